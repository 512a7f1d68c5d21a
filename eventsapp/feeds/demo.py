"""Demo: build the public and private feed of every association that has events (idempotent)."""
from __future__ import annotations

from sqlalchemy import select

from .. import links
from ..associations.models import Association
from ..events.models import Event
from ..extensions import db
from . import services
from .models import FeedKind


def seed():
    with_events = select(Event.association_id).distinct()
    for association in db.session.scalars(select(Association).where(Association.id.in_(with_events))
                                          .order_by(Association.slug)):
        for kind in (FeedKind.ASSOCIATION, FeedKind.ASSOCIATION_PRIVATE):
            services.ensure_built(kind, association.id)
        yield f"feeds: {links.association_feed_url(association)}"
