"""Retention: answers, inbound messages and message bodies are purged `RETENTION_DAYS_AFTER_EVENT` days after
their event ended (inbound messages about no event: that many days after they came in).

What goes: invitations' comments (the free answers), the received messages (their rows), and the outbox rows'
payloads and error texts (what a message was rendered from). What stays: who was invited, answered, came —
the events' figures. `purge(dry_run=True)` reports what would go without changing anything.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import String, and_, cast, delete, func, or_, select, update

from .. import audit
from ..events.models import Event
from ..extensions import db
from ..inbound.models import InboundMessage
from ..invitations.models import Invitation
from ..mail.models import OutboxMessage
from ..timeutils import utcnow


@dataclass
class RetentionReport:
    cutoff: datetime
    days: int
    events: list[tuple[int, str, datetime]] = field(default_factory=list)  # id, title, end
    answers: int = 0
    inbound_messages: int = 0
    message_bodies: int = 0
    dry_run: bool = True

    def lines(self) -> list[str]:
        head = "Would purge" if self.dry_run else "Purged"
        lines = [f"{head} what belongs to events ended before {self.cutoff:%Y-%m-%d %H:%M} UTC "
                 f"({self.days} days ago): {len(self.events)} events."]
        lines += [f"  event {event_id}: {title} (ended {ended:%Y-%m-%d})" for event_id, title, ended in self.events]
        lines.append(f"{self.answers} answers' comments, {self.inbound_messages} received messages, "
                     f"{self.message_bodies} sent messages' bodies.")
        return lines


def purge(now: datetime | None = None, *, dry_run: bool = False) -> RetentionReport:
    """Purge (or with `dry_run` only count) what is past its retention; the caller commits."""
    days = int(current_app.config["RETENTION_DAYS_AFTER_EVENT"])
    cutoff = (now or utcnow()) - timedelta(days=days)
    report = RetentionReport(cutoff=cutoff, days=days, dry_run=dry_run)
    expired = select(Event.id).where(Event.ends_at < cutoff)
    report.events = [tuple(row) for row in db.session.execute(
        select(Event.id, Event.title_vi, Event.ends_at).where(Event.ends_at < cutoff).order_by(Event.ends_at))]

    answers = and_(Invitation.event_id.in_(expired), Invitation.comment != "")
    inbound = or_(InboundMessage.event_id.in_(expired),
                  and_(InboundMessage.event_id.is_(None), InboundMessage.received_at < cutoff))
    bodies = and_(OutboxMessage.event_id.in_(expired),
                  or_(cast(OutboxMessage.payload, String).not_in(("{}", "null")), OutboxMessage.last_error != ""))
    report.answers = _count(Invitation, answers)
    report.inbound_messages = _count(InboundMessage, inbound)
    report.message_bodies = _count(OutboxMessage, bodies)
    if dry_run:
        return report
    db.session.execute(update(Invitation).where(answers).values(comment=""))
    db.session.execute(delete(InboundMessage).where(inbound))
    db.session.execute(update(OutboxMessage).where(bodies).values(payload={}, last_error=""))
    if report.answers or report.inbound_messages or report.message_bodies:
        audit.record("retention_purged", None, days=days, events=len(report.events), answers=report.answers,
                     inbound_messages=report.inbound_messages, message_bodies=report.message_bodies)
    return report


def _count(model, where) -> int:
    return db.session.scalar(select(func.count()).select_from(model).where(where)) or 0
