"""API: the associations the caller may see."""
from __future__ import annotations

from flask import abort
from flask_login import current_user

from ..api import bp
from ..api.resources import operation, page_of
from ..permissions import Action, accessible_associations, authorize
from . import schemas, services


@bp.get("/associations")
@operation(tags=["associations"], responses={200: ("The associations", page_of(schemas.Association))})
def list_associations():
    """List the associations the caller holds a role in (and their branches)."""
    return {"items": accessible_associations(current_user, Action.VIEW)}


@bp.get("/associations/<slug>")
@operation(tags=["associations"], responses={200: ("The association", schemas.Association),
                                             403: "No role in this association", 404: "Unknown slug"})
def get_association(slug: str):
    """Read one association."""
    association = services.get_by_slug(slug)
    if association is None:
        abort(404)
    authorize(Action.VIEW, association)
    return association
