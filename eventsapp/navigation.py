"""Menus: the main menu, and the tabs of an event's and a campaign's pages.

Each domain registers its entries when its views are imported; an entry shows
only when its view exists, so domains can be added one at a time.
"""
from __future__ import annotations

from dataclasses import dataclass

from flask import current_app, has_request_context
from flask_login import current_user


@dataclass(frozen=True)
class NavItem:
    endpoint: str
    label: object  # a lazy translated string
    order: int = 50
    admin_only: bool = False
    door: bool = False  # the menu of check-in staff, who see only these entries (and nobody else does)


_ITEMS: dict[str, NavItem] = {}


def register(endpoint: str, label, order: int = 50, admin_only: bool = False, door: bool = False) -> None:
    _ITEMS[endpoint] = NavItem(endpoint, label, order, admin_only, door)


def is_door_staff(user) -> bool:
    """Whether `user`'s only roles are check-in staff: their work is the door, not the organisers' pages."""
    from sqlalchemy import select

    # Navigation is ground (every domain registers its tabs here); door staff are known by their memberships.
    from .associations.models import Membership, Role
    from .extensions import db

    if not getattr(user, "is_authenticated", False) or user.is_admin:
        return False
    roles = set(db.session.scalars(select(Membership.role).where(Membership.user_id == user.id)))
    return roles == {Role.CHECKIN}


def visible_items() -> list[NavItem]:
    """Entries whose view exists and that the signed-in user may open (check-in staff: the door's)."""
    if not has_request_context() or not current_user.is_authenticated:
        return []  # e-mails rendered by workers have no menu
    door_only = is_door_staff(current_user)
    return [
        item for item in sorted(_ITEMS.values(), key=lambda i: (i.order, i.endpoint))
        if item.endpoint in current_app.view_functions and (current_user.is_admin or not item.admin_only)
        and item.door == door_only
    ]


@dataclass(frozen=True)
class Tab:
    endpoint: str  # takes the object's id as its one argument (event_id / campaign_id)
    label: object
    order: int = 50


_TABS: dict[str, dict[str, Tab]] = {"event": {}, "campaign": {}}


def register_tab(page: str, endpoint: str, label, order: int = 50) -> None:
    """Add a tab to the 'event' or 'campaign' page."""
    _TABS[page][endpoint] = Tab(endpoint, label, order)


def tabs(page: str) -> list[Tab]:
    return [tab for tab in sorted(_TABS[page].values(), key=lambda t: (t.order, t.endpoint))
            if tab.endpoint in current_app.view_functions]
