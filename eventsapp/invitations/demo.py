"""Demo: invite each upcoming published event's association members (with branches), a few answers."""
from __future__ import annotations

from sqlalchemy import func, select

from ..events.models import Event, EventStatus
from ..extensions import db
from ..timeutils import utcnow
from . import services
from .models import Invitation, InvitationStatus

DEMO_ANSWERS = (InvitationStatus.ACCEPTED, InvitationStatus.TENTATIVE, InvitationStatus.DECLINED)


def seed():
    events = db.session.scalars(
        select(Event).where(Event.status == EventStatus.PUBLISHED, Event.starts_at > utcnow()).order_by(Event.starts_at)
    ).all()
    for event in events:
        if db.session.scalar(select(func.count(Invitation.id)).where(Invitation.event_id == event.id)):
            continue  # already seeded: leave the demo's answers alone
        result = services.add_invitees(event, services.Criteria(association_id=event.association_id), user=None)
        invitations = db.session.scalars(select(Invitation).where(Invitation.event_id == event.id)
                                         .order_by(Invitation.id).limit(6)).all()
        for index, invitation in enumerate(invitations):
            if services.answer_closed_reason(event) is None:
                services.answer(invitation, DEMO_ANSWERS[index % 3], guests=0, comment="")
        db.session.commit()
        yield f"invitations: {result.added} invitees for {event.slug}"
