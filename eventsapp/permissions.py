"""The one permission helper every view, API call and CLI command uses.

A role held in an association applies to it and to every branch below it.
Admins may do everything everywhere.
"""
from __future__ import annotations

import enum
from collections.abc import Iterable

from flask import abort
from flask_login import current_user
from sqlalchemy import select

from .associations.models import Association, Membership, Role
from .extensions import db


class Action(str, enum.Enum):
    VIEW = "view"          # read events, contacts, invitation lists, mail logs, reports
    MANAGE = "manage"      # create and change campaigns, events, contacts, invitations
    CHECKIN = "checkin"    # the door: search (name, association, status, guests), check in, door counters


# Check-in staff hold CHECKIN only, not VIEW: the door is all they get (issue 13): no directory,
# invitation lists, mail logs, drafts or reports with names. docs/architecture.md has the role × action table.
ROLE_ACTIONS: dict[Role, frozenset[Action]] = {
    Role.ORGANISER: frozenset({Action.VIEW, Action.MANAGE, Action.CHECKIN}),
    Role.CHECKIN: frozenset({Action.CHECKIN}),
    Role.VIEWER: frozenset({Action.VIEW}),
}


def _association_tree() -> tuple[dict[int, int | None], dict[int, list[int]]]:
    rows = db.session.execute(select(Association.id, Association.parent_id)).all()
    parents = {row.id: row.parent_id for row in rows}
    children: dict[int, list[int]] = {}
    for child, parent in parents.items():
        if parent is not None:
            children.setdefault(parent, []).append(child)
    return parents, children


def descendant_ids(association_ids: Iterable[int], children: dict[int, list[int]] | None = None) -> set[int]:
    """The given associations and every branch below them."""
    if children is None:
        children = _association_tree()[1]
    seen: set[int] = set()
    stack = list(association_ids)
    while stack:
        node = stack.pop()
        if node not in seen:
            seen.add(node)
            stack.extend(children.get(node, ()))
    return seen


def association_ids_for(user, action: Action | str) -> set[int] | None:
    """Ids of the associations where `user` may do `action`; None means all (admin)."""
    action = Action(action)
    if user is None or not getattr(user, "is_authenticated", False):
        return set()
    if user.is_admin:
        return None
    granted = [
        m.association_id
        for m in db.session.scalars(select(Membership).where(Membership.user_id == user.id))
        if action in ROLE_ACTIONS[m.role]
    ]
    return descendant_ids(granted) if granted else set()


def can(user, action: Action | str, association: Association | int | None) -> bool:
    """Whether `user` may do `action` in `association` (by inheritance too)."""
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    if user.is_admin:
        return True
    if association is None:
        return False
    association_id = association if isinstance(association, int) else association.id
    allowed = association_ids_for(user, action)
    return allowed is None or association_id in allowed


def authorize(action: Action | str | tuple, association: Association | int | None, user=None) -> None:
    """Abort with 403 unless the (current) user may do `action` (or one of a tuple of actions) in `association`."""
    user = user if user is not None else current_user
    actions = action if isinstance(action, tuple) else (action,)
    if not any(can(user, one, association) for one in actions):
        abort(403)


def require_some(action: Action | str, user=None) -> None:
    """Abort with 403 unless the (current) user may do `action` in at least one association.

    For pages that list across associations (the directory, its exports): a user without the
    action anywhere is refused rather than shown an empty page."""
    if association_ids_for(user if user is not None else current_user, action) == set():
        abort(403)


def require_admin(user=None) -> None:
    user = user if user is not None else current_user
    if not (getattr(user, "is_authenticated", False) and user.is_admin):
        abort(403)


def accessible_associations(user, action: Action | str = Action.VIEW) -> list[Association]:
    """Associations `user` may act on, in tree order by Vietnamese name."""
    ids = association_ids_for(user, action)
    query = select(Association).order_by(Association.name_vi)
    if ids is not None:
        if not ids:
            return []
        query = query.where(Association.id.in_(ids))
    return list(db.session.scalars(query))


def home_association(user, associations: list[Association]) -> Association | None:
    """The association a new campaign or event starts on: among `associations`, the highest in the tree
    (a branch's parent before the branch, though "Chi hội …" sorts first), one she belongs to first."""
    ids = {association.id for association in associations}
    own = {membership.association_id for membership in getattr(user, "memberships", [])}
    tops = [association for association in associations if association.parent_id not in ids]
    return min(tops, key=lambda a: (a.id not in own, a.name_vi), default=None)


def filter_by_association(query, column, user, action: Action | str = Action.VIEW):
    """Restrict a select() to rows whose `column` is an association the user may act on."""
    ids = association_ids_for(user, action)
    if ids is None:
        return query
    return query.where(column.in_(ids or [-1]))
