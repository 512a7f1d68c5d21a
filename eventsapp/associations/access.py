"""Loading an association for the current user, with the permission check its routes need."""
from __future__ import annotations

from flask import abort

from ..permissions import Action, authorize
from .models import Association
from .services import get_by_slug


def load_association(slug: str, action: Action | None = Action.VIEW) -> Association:
    """The association, or 404; 403 unless the current user may do `action` there (None: no check,
    for what the association shows the public: its logo and colours)."""
    association = get_by_slug(slug)
    if association is None:
        abort(404)
    if action is not None:
        authorize(action, association)
    return association
