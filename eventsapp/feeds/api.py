"""API: an association's calendar feed URLs, and revoking its private link (as the staff page does)."""
from __future__ import annotations

from ..api import bp
from ..api.resources import operation
from ..associations.access import load_association
from ..extensions import db
from ..permissions import Action
from . import schemas, services


@bp.get("/associations/<slug>/feeds")
@operation(tags=["feeds"], responses={
    200: ("The feed URLs (?branches=1 adds the branches' events)", schemas.AssociationFeeds),
    403: "No role in this association", 404: "Unknown association"})
def association_feeds(slug: str):
    """An association's calendar feeds: the public one, and the private one (invite-only events too) for staff."""
    return load_association(slug, Action.VIEW)


@bp.post("/associations/<slug>/feeds/revoke")
@operation(tags=["feeds"], responses={
    200: ("The feed URLs, with the new private link", schemas.AssociationFeeds),
    403: "The caller may not manage this association", 404: "Unknown association"})
def revoke_private_feed(slug: str):
    """Revoke the private feed link: the old URL answers 404 at once; the answer carries the new one."""
    association = load_association(slug, Action.MANAGE)
    services.rotate_private_token(association)
    db.session.commit()
    return association
