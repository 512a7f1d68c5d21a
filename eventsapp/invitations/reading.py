"""The RSVP page's read of an invitation by its token: one prepared query per view.

The RSVP page is the hottest page of a send (every invitee opens it, some several
times). Per request, one narrow query on the serving engine reads the invitation's
answer, its contact's language, zone and feed token, and the *versions* (`updated_at`)
of its event and association; what the page shows of the event and its association comes
from a per-process `VersionedCache` of frozen `EventSnapshot`s keyed by those versions, so an
edit shows on the next view and each event is loaded once per version and process. (The page
shows nothing of the event's campaign, so a campaign's edit changes nothing here.)
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import NamedTuple

from flask import current_app
from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session, joinedload

from ..associations.models import Association
from ..contacts.models import Contact
from ..events.models import Event, EventStatus
from ..fastread import PreparedRead, reader
from ..versioned_cache import VersionedCache
from .models import Invitation, InvitationStatus

EVENT_CACHE_SIZE = 256


@dataclass(frozen=True)
class AssociationSnapshot:
    id: int
    slug: str
    name_vi: str
    name_en: str
    brand_color: str | None  # its identity on the page (associations.branding.brand)
    logo_version: str | None

    def name(self, locale: str = "vi") -> str:
        return self.name_en if locale == "en" and self.name_en else self.name_vi


@dataclass(frozen=True)
class EventSnapshot:
    """Exactly what the RSVP page (and the answer's "closed" check) reads of an event and its
    association, frozen: shared by every request of the process, with nothing left to load.
    `versions` is the cache key it was built for."""

    versions: tuple
    id: int
    slug: str
    title_vi: str
    title_en: str
    description_vi: str
    description_en: str
    status: EventStatus
    timezone: str
    starts_at: datetime
    ends_at: datetime
    all_day: bool
    rsvp_deadline: datetime | None
    venue_name: str
    venue_address: str
    online_url: str
    max_guests: int
    association: AssociationSnapshot
    guests_must_be_named: bool = False  # the guests are named (eventsapp/guests): no number to type

    title = Event.title
    description = Event.description
    is_cancelled = Event.is_cancelled

    @classmethod
    def of(cls, event: Event, versions: tuple) -> EventSnapshot:
        a = event.association
        return cls(versions, event.id, event.slug, event.title_vi, event.title_en or "", event.description_vi or "",
                   event.description_en or "", EventStatus(event.status), event.timezone, event.starts_at,
                   event.ends_at, bool(event.all_day), event.rsvp_deadline, event.venue_name or "",
                   event.venue_address or "", event.online_url or "", event.max_guests or 0,
                   AssociationSnapshot(a.id, a.slug, a.name_vi, a.name_en or "", a.brand_color, a.logo_version),
                   guests_must_be_named=bool(event.guests_must_be_named))


@dataclass(frozen=True)
class InvitationView:
    """What the RSVP page shows of an invitation and its invitee; `event` is a frozen snapshot."""

    id: int
    token: str
    status: InvitationStatus
    guests: int
    comment: str
    language: str
    timezone: str
    feed_token: str
    event: EventSnapshot
    join_token: str = ""  # the personal join link of an online event (attendance.online)

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
    join_token: str
    event_id: int
    event_version: object  # compared only: the driver's own timestamp type
    association_version: object


_BY_TOKEN = PreparedRead(
    select(Invitation.id, Invitation.status, Invitation.guests, Invitation.comment, Contact.language, Contact.timezone,
           Contact.feed_token, Invitation.join_token, Event.id, Event.updated_at, Association.updated_at)
    .join(Contact, Contact.id == Invitation.contact_id)
    .join(Event, Event.id == Invitation.event_id)
    .join(Association, Association.id == Event.association_id)
    .where(Invitation.token == bindparam("token"), Invitation.revoked_at.is_(None)),
    _Row,
)

events: VersionedCache[EventSnapshot] = VersionedCache(EVENT_CACHE_SIZE)


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
                          row.feed_token, event, row.join_token)


def _event(engine, row: _Row) -> EventSnapshot | None:
    versions = (row.event_id, row.event_version, row.association_version)

    def load() -> EventSnapshot | None:
        with Session(bind=engine) as session:
            event = session.scalar(select(Event).options(joinedload(Event.association)).where(Event.id == row.event_id))
            return EventSnapshot.of(event, versions) if event is not None else None

    return events.get(versions, load)
