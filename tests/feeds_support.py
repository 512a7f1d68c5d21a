"""Helpers for the feeds tests: changing events the way the events service does."""
from __future__ import annotations

from eventsapp import signals
from eventsapp.events.models import EventStatus
from eventsapp.extensions import db
from eventsapp.timeutils import utcnow


def change_event(event, *, bump_sequence: bool = False, **fields):
    """Edit `event` like the events service: set fields, send event_saved in the transaction, commit."""
    for name, value in fields.items():
        setattr(event, name, value)
    if bump_sequence:
        event.sequence += 1
    signals.event_saved.send(event)
    db.session.commit()
    return event


def cancel_event(event, when=None):
    return change_event(event, bump_sequence=True, status=EventStatus.CANCELLED, cancelled_at=when or utcnow())
