"""API: the associations the caller may see."""
from __future__ import annotations

from flask import abort
from flask_login import current_user

from ..api import bp
from ..permissions import Action, accessible_associations, authorize
from . import services
from .models import Association


def association_json(association: Association) -> dict:
    return {
        "id": association.id,
        "slug": association.slug,
        "kind": association.kind.value,
        "name_vi": association.name_vi,
        "name_en": association.name_en,
        "parent": association.parent.slug if association.parent else None,
        "founded_on": association.founded_on.isoformat() if association.founded_on else None,
        "timezone": association.timezone,
    }


@bp.get("/associations")
def list_associations():
    """List the associations the caller holds a role in (and their branches).
    ---
    get:
      summary: List associations
      tags: [associations]
      responses:
        200: {description: The associations, schema: [Association]}
    """
    return {"items": [association_json(a) for a in accessible_associations(current_user, Action.VIEW)]}


@bp.get("/associations/<slug>")
def get_association(slug: str):
    """Read one association.
    ---
    get:
      summary: Read an association
      tags: [associations]
      parameters:
        - {name: slug, in: path, required: true, schema: {type: string}}
      responses:
        200: {description: The association, schema: Association}
        403: {description: No role in this association}
        404: {description: Unknown slug}
    """
    association = services.get_by_slug(slug)
    if association is None:
        abort(404)
    authorize(Action.VIEW, association)
    return association_json(association)
