"""The main menu: each domain registers its entry when its views are imported."""
from __future__ import annotations

from dataclasses import dataclass

from flask import current_app
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
    if not current_user.is_authenticated:
        return []
    return [
        item for item in sorted(_ITEMS.values(), key=lambda i: (i.order, i.endpoint))
        if item.endpoint in current_app.view_functions and (current_user.is_admin or not item.admin_only)
    ]
