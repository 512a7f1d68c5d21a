"""Helpers for the reminder tests: a test clock, events with invitees, the signals the
events domain sends when it saves or changes an event."""
from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select

from eventsapp.events.models import ChangeKind, EventChange, EventStatus
from eventsapp.extensions import db
from eventsapp.invitations.models import InvitationStatus
from eventsapp.mail.models import MessageKind, MessageState, OutboxMessage
from eventsapp.reminders import services
from eventsapp.reminders.models import ReminderRule
from eventsapp.signals import event_changed, event_saved
from eventsapp.timeutils import UTC
from tests.factories import ContactFactory, EventFactory, InvitationFactory

# The test clock: every test passes `now` explicitly, relative to this start.
START = datetime(2027, 1, 30, 12, 0, tzinfo=UTC)  # 19:00 in Hà Nội, 13:00 in Berlin
DAY, HOUR, MINUTE = timedelta(days=1), timedelta(hours=1), timedelta(minutes=1)


def make_event(**kwargs):
    kwargs.setdefault("starts_at", START)
    kwargs.setdefault("ends_at", kwargs["starts_at"] + 3 * HOUR)
    return EventFactory(**kwargs)


def invite(event, status=InvitationStatus.PENDING, *, sent_at=START - 30 * DAY, **contact):
    """An invitee of `event` who was sent the invitation at `sent_at` (None: never sent)."""
    invitation = InvitationFactory(event=event, contact=ContactFactory(**contact), status=status)
    if sent_at is not None:
        mark_invitation_sent(invitation, sent_at)
    return invitation


def mark_invitation_sent(invitation, sent_at):
    """The outbox row of a sent invitation e-mail, as the sender leaves it."""
    db.session.add(OutboxMessage(
        kind=MessageKind.INVITATION, dedupe_key=f"invitation:{invitation.id}:seq:{invitation.event.sequence}",
        recipient=invitation.contact.email, contact_id=invitation.contact_id, invitation_id=invitation.id,
        event_id=invitation.event_id, state=MessageState.SENT, sent_at=sent_at, created_at=sent_at,
        next_attempt_at=sent_at, payload={"sequence": invitation.event.sequence}))
    db.session.commit()


def rule(event, *, offset=-DAY, audience=("accepted", "tentative", "pending"), **values):
    values.setdefault("offset_minutes", int(offset.total_seconds() // 60))
    made = services.create_rule(services.RuleValues(audience=list(audience), **values), event=event,
                                now=event.starts_at - 30 * DAY)
    db.session.commit()
    return made


def save_event(event):
    """What the events domain does when it saves an event."""
    event_saved.send(event)
    db.session.commit()


def move_event(event, new_start, by=None):
    """What the events domain does when an event's start moves."""
    before = event.starts_at
    length = event.ends_at - event.starts_at
    event.starts_at, event.ends_at = new_start, new_start + length
    event.sequence += 1
    change = EventChange(event=event, sequence=event.sequence, kind=ChangeKind.TIME,
                         before={"starts_at": before.isoformat()}, after={"starts_at": new_start.isoformat()})
    db.session.add(change)
    event_saved.send(event)
    event_changed.send(event, changes=[change])
    db.session.commit()


def cancel_event(event):
    event.status = EventStatus.CANCELLED
    event.sequence += 1
    change = EventChange(event=event, sequence=event.sequence, kind=ChangeKind.CANCELLED)
    db.session.add(change)
    event_saved.send(event)
    event_changed.send(event, changes=[change])
    db.session.commit()


def reminders_to(event=None, rule_id=None) -> list[str]:
    query = select(OutboxMessage.recipient).where(OutboxMessage.kind.in_((MessageKind.REMINDER, MessageKind.THANK_YOU)))
    if event is not None:
        query = query.where(OutboxMessage.event_id == event.id)
    if rule_id is not None:
        query = query.where(OutboxMessage.dedupe_key.startswith(services.dedupe_prefix(rule_id)))
    db.session.expire_all()
    return sorted(db.session.scalars(query))


def reload(rule_row: ReminderRule) -> ReminderRule:
    db.session.expire_all()
    return db.session.get(ReminderRule, rule_row.id)
