"""The association tree and memberships: the rules, for views, API and CLI alike."""
from __future__ import annotations

from datetime import date, time

from sqlalchemy import inspect, select

from .. import audit, signals
from ..auth.models import User
from ..extensions import db
from ..i18n import lazy_gettext as _l
from ..timeutils import is_valid_timezone
from .models import Association, AssociationKind, Membership, Role


class AssociationError(ValueError):
    """A rule about associations was broken; the message is shown to the user."""


def get_by_slug(slug: str) -> Association | None:
    return db.session.scalar(select(Association).where(Association.slug == slug))


def save_association(association: Association | None, *, slug: str, name_vi: str, name_en: str,
                     kind: AssociationKind, parent: Association | None, founded_on: date | None,
                     timezone: str, sender_email: str | None = None, quiet_from: time | None = None,
                     quiet_until: time | None = None) -> Association:
    """Create or update an association; the caller commits. Quiet hours (reminders and thank-yous wait
    out each reader's night) keep their value when not given."""
    if not is_valid_timezone(timezone):
        raise AssociationError(_l("This time zone does not exist: %(zone)s", zone=timezone))
    existing = get_by_slug(slug)
    if existing is not None and existing is not association:
        raise AssociationError(_l("The short name %(slug)s is already used.", slug=slug))
    if association is not None and parent is not None and (
        parent is association or association in parent.ancestors()
    ):
        raise AssociationError(_l("An association cannot be placed under itself or one of its branches."))
    creating = association is None
    if association is None:
        association = Association()
        db.session.add(association)
    association.slug = slug
    association.name_vi = name_vi
    association.name_en = name_en or name_vi
    association.kind = kind
    association.parent = parent
    association.founded_on = founded_on
    association.timezone = timezone
    association.sender_email = sender_email or None
    if quiet_from is not None:
        association.quiet_from = quiet_from
    if quiet_until is not None:
        association.quiet_until = quiet_until
    fields = audit.changed(association, ("slug", "name_vi", "name_en", "kind", "parent_id", "founded_on", "timezone",
                                         "sender_email", "quiet_from", "quiet_until"))
    if "parent_id" not in fields and not creating and inspect(association).attrs.parent.history.has_changes():
        fields = sorted([*fields, "parent_id"])  # the relationship is set, its column only at the flush
    db.session.flush()
    audit.record("settings_changed", association, association_id=association.id, what="association",
                 change="created" if creating else "edited", **({} if creating else {"fields": fields}))
    if association.id is not None:
        signals.association_saved.send(association)  # feeds rebuild (names, the tree)
    return association


def grant(user: User, association: Association, role: Role) -> Membership:
    """Give `user` `role` in `association` (replacing an earlier role there); caller commits."""
    membership = db.session.scalar(
        select(Membership).where(Membership.user_id == user.id, Membership.association_id == association.id)
    )
    if membership is None:
        membership = Membership(user=user, association=association, role=role)
        db.session.add(membership)
    else:
        membership.role = role
    audit.record("role_granted", ("users", user.id), association_id=association.id, role=role.value)
    return membership


def revoke(membership: Membership) -> None:
    audit.record("role_revoked", ("users", membership.user_id), association_id=membership.association_id,
                 role=membership.role.value)
    db.session.delete(membership)


def tree(associations: list[Association] | None = None) -> list[tuple[int, Association]]:
    """(depth, association) pairs in tree order, for indented lists and select boxes."""
    if associations is None:
        associations = list(db.session.scalars(select(Association).order_by(Association.name_vi)))
    by_parent: dict[int | None, list[Association]] = {}
    ids = {a.id for a in associations}
    for a in associations:
        by_parent.setdefault(a.parent_id if a.parent_id in ids else None, []).append(a)
    result: list[tuple[int, Association]] = []

    def walk(parent_id, depth):
        for child in by_parent.get(parent_id, []):
            result.append((depth, child))
            walk(child.id, depth + 1)

    walk(None, 0)
    return result
