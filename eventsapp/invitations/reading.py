"""The RSVP page's read of an invitation by its token: one prepared query per view.

The RSVP page is the hottest page of a send (every invitee opens it, some several
times). Per request, one narrow query on the serving engine reads the invitation's
answer, its contact's language, zone and feed token, and the *versions* (`updated_at`)
of its event and association; the event itself (with its association) comes from a
per-process cache keyed by those versions, so an edit shows on the next view and the
ORM loads each event once per version and process.
"""
from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import NamedTuple

from flask import current_app
from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session, joinedload

from ..associations.models import Association
from ..contacts.models import Contact
from ..events.models import Event
from ..fastread import PreparedRead, reader
from .models import Invitation, InvitationStatus

EVENT_CACHE_SIZE = 256


@dataclass(frozen=True)
class InvitationView:
    """What the RSVP page shows of an invitation and its invitee; `event` (with its association
    loaded) is shared between requests and must only be read."""

    id: int
    token: str
    status: InvitationStatus
    guests: int
    comment: str
    language: str
    timezone: str
    feed_token: str
    event: Event

    @property
    def event_id(self) -> int:
        return self.event.id


class _Row(NamedTuple):
    id: int
    status: str
    guests: int
    comment: str
    language: str
    timezone: str
    feed_token: str
    event_id: int
    event_version: object  # compared only: the driver's own timestamp type
    association_version: object


_BY_TOKEN = PreparedRead(
    select(Invitation.id, Invitation.status, Invitation.guests, Invitation.comment, Contact.language, Contact.timezone,
           Contact.feed_token, Event.id, Event.updated_at, Association.updated_at)
    .join(Contact, Contact.id == Invitation.contact_id)
    .join(Event, Event.id == Invitation.event_id)
    .join(Association, Association.id == Event.association_id)
    .where(Invitation.token == bindparam("token"), Invitation.revoked_at.is_(None)),
    _Row,
)

_events: dict[tuple, Event] = {}
_events_lock = threading.Lock()


def by_token(token: str) -> InvitationView | None:
    """The active invitation with exactly this token, as the RSVP page shows it; None when there is none."""
    if not token or len(token) > 64:
        return None
    engine = reader(current_app)
    row = _BY_TOKEN.first(engine, {"token": token})
    if row is None:
        return None
    event = _event(engine, row)
    if event is None:  # deleted since the first query
        return None
    return InvitationView(row.id, token, InvitationStatus(row.status), row.guests, row.comment, row.language, row.timezone,
                          row.feed_token, event)


def _event(engine, row: _Row) -> Event | None:
    key = (row.event_id, row.event_version, row.association_version)
    event = _events.get(key)
    if event is None:
        with Session(bind=engine, expire_on_commit=False) as session:
            event = session.scalar(select(Event).options(joinedload(Event.association)).where(Event.id == row.event_id))
        if event is None:
            return None
        with _events_lock:
            if len(_events) >= EVENT_CACHE_SIZE:
                _events.clear()  # mostly superseded versions of edited events; each is reloaded on its next view
            _events[key] = event
    return event
