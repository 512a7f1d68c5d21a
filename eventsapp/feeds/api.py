"""API: an association's calendar feed URLs, and revoking its private link (as the staff page does)."""
from __future__ import annotations

from .. import links
from ..api import bp
from ..associations.access import load_association
from ..associations.models import Association
from ..extensions import db
from ..permissions import Action
from . import services


def feeds_json(association: Association) -> dict:
    public, private = links.association_feed_url(association), links.association_private_feed_url(association)
    return {"association": association.slug, "public_url": public, "public_with_branches_url": public + "?branches=1",
            "private_url": private, "private_with_branches_url": private + "?branches=1",
            "webcal_private_url": links.webcal(private)}


@bp.get("/associations/<slug>/feeds")
def association_feeds(slug: str):
    """An association's calendar feeds: the public one, and the private one (invite-only events too) for staff.
    ---
    get:
      summary: Calendar feed URLs of an association
      tags: [feeds]
      parameters:
        - {name: slug, in: path, required: true, schema: {type: string}}
      responses:
        200: {description: "The feed URLs (?branches=1 adds the branches' events)", schema: AssociationFeeds}
        403: {description: No role in this association}
        404: {description: Unknown association}
    """
    return feeds_json(load_association(slug, Action.VIEW))


@bp.post("/associations/<slug>/feeds/revoke")
def revoke_private_feed(slug: str):
    """Revoke the private feed link: the old URL answers 404 at once; the answer carries the new one.
    ---
    post:
      summary: Revoke an association's private feed link
      tags: [feeds]
      parameters:
        - {name: slug, in: path, required: true, schema: {type: string}}
      responses:
        200: {description: "The feed URLs, with the new private link", schema: AssociationFeeds}
        403: {description: The caller may not manage this association}
        404: {description: Unknown association}
    """
    association = load_association(slug, Action.MANAGE)
    services.rotate_private_token(association)
    db.session.commit()
    return feeds_json(association)
