"""An event's figures by channel: invitations reached, answers, attendance, messages by state, SMS/Zalo cost.

An invitation counts under the channel of its latest invitation message that went out (a person reached by
SMS after Zalo failed counts under SMS); one that never went out counts nowhere.
"""
from __future__ import annotations

from sqlalchemy import and_, case, func, select

from ..attendance.models import CheckIn
from ..extensions import db
from ..invitations.models import Invitation, InvitationStatus
from ..mail.models import Channel, MessageKind, MessageState, OutboxMessage
from ..mail.services import recent_sends


def _empty() -> dict:
    return {"invited": 0, "accepted": 0, "tentative": 0, "declined": 0, "pending": 0, "attended": 0,
            "queued": 0, "sending": 0, "sent": 0, "failed": 0, "delivered": 0, "segments": 0, "cost": 0}


def event_report(event_id: int) -> dict:
    """{channel value: {invited, accepted, tentative, declined, pending, attended, queued, sending, sent, failed,
    delivered, segments, cost}} for every channel, and "total"; three queries."""
    report = {channel.value: _empty() for channel in Channel}
    messages = db.session.execute(
        select(OutboxMessage.channel, OutboxMessage.state, func.count(OutboxMessage.id),
               func.sum(case((OutboxMessage.delivery_status == "delivered", 1), else_=0)),
               func.sum(case((OutboxMessage.state == MessageState.SENT, OutboxMessage.segments), else_=0)),
               func.sum(case((OutboxMessage.state == MessageState.SENT, OutboxMessage.cost), else_=0)))
        .where(OutboxMessage.event_id == event_id).group_by(OutboxMessage.channel, OutboxMessage.state))
    for channel, state, number, delivered, segments, cost in messages:
        entry = report[Channel(channel).value]
        entry[MessageState(state).value] += number
        entry["delivered"] += int(delivered or 0)
        entry["segments"] += int(segments or 0)
        entry["cost"] += int(cost or 0)

    latest = (select(func.max(OutboxMessage.id).label("id"))
              .where(OutboxMessage.event_id == event_id, OutboxMessage.kind == MessageKind.INVITATION,
                     OutboxMessage.state == MessageState.SENT, OutboxMessage.invitation_id.is_not(None))
              .group_by(OutboxMessage.invitation_id).subquery())
    attended = (select(CheckIn.id).where(CheckIn.event_id == event_id, CheckIn.contact_id == Invitation.contact_id,
                                         CheckIn.undone_at.is_(None)).exists())
    reached = db.session.execute(
        select(OutboxMessage.channel, Invitation.status, func.count(Invitation.id),
               func.sum(case((attended, 1), else_=0)))
        .select_from(latest)
        .join(OutboxMessage, OutboxMessage.id == latest.c.id)
        .join(Invitation, and_(Invitation.id == OutboxMessage.invitation_id))
        .group_by(OutboxMessage.channel, Invitation.status))
    for channel, status, number, came in reached:
        entry = report[Channel(channel).value]
        entry["invited"] += number
        name = InvitationStatus(status).value
        entry[name if name in entry else "pending"] += number
        entry["attended"] += int(came or 0)

    total = _empty()
    for entry in report.values():
        for name, value in entry.items():
            total[name] += value
    report["total"] = total
    return report


def recent_sends_by_channel(event_id: int, limit: int = 5) -> list[dict]:
    """The event's latest sends (mail.services.recent_sends), each with its counts by channel ("channels")."""
    return recent_sends(event_ids=[event_id], limit=limit)
