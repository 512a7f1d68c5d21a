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


_ITEMS: dict[str, NavItem] = {}


def register(endpoint: str, label, order: int = 50, admin_only: bool = False) -> None:
    _ITEMS[endpoint] = NavItem(endpoint, label, order, admin_only)


def visible_items() -> list[NavItem]:
    """Entries whose view exists and that the signed-in user may open."""
    if not has_request_context() or not current_user.is_authenticated:
        return []  # e-mails rendered by workers have no menu
    return [
        item for item in sorted(_ITEMS.values(), key=lambda i: (i.order, i.endpoint))
        if item.endpoint in current_app.view_functions and (current_user.is_admin or not item.admin_only)
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
