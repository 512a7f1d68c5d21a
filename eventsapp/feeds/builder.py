"""What goes into each feed, and its iCalendar text (through calendars/core.py).

Rules:
- an event appears while published; a cancelled one stays for CANCELLED_KEPT
  after its cancellation as STATUS:CANCELLED with the "[Đã hủy]" prefix, then
  drops out; drafts never appear;
- association and campaign feeds are public by URL, so they carry public events
  only; the private association feed carries invite-only events too;
- a personal feed carries the events the contact accepted (STATUS:CONFIRMED) or
  answered "maybe" to (STATUS:TENTATIVE); pending, declined and waitlisted
  invitations and revoked ones are left out;
- no attendee, invitee name or e-mail is ever written into a feed;
- output is deterministic (events ordered by start then id, DTSTAMP from the
  event's last change), so the ETag only changes when the content does.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import and_, func, or_, select

from .. import links
from ..associations.models import Association
from ..calendars import core
from ..campaigns.models import Campaign, CampaignStatus
from ..contacts.models import Contact
from ..events.models import Event, EventStatus, Visibility
from ..extensions import db
from ..invitations.models import Invitation, InvitationStatus
from ..permissions import descendant_ids
from ..timeutils import UTC, utcnow
from .models import FeedKind

CANCELLED_KEPT = timedelta(days=30)
REFRESH = "PT1H"
PERSONAL_STATUSES = (InvitationStatus.ACCEPTED, InvitationStatus.TENTATIVE)

# Calendar names and descriptions, in the feed's language (Vietnamese except personal feeds in English).
TEXTS = {
    "vi": {
        "public": "Các sự kiện công khai của {name}.",
        "public_branches": "Các sự kiện công khai của {name} và các chi hội trực thuộc.",
        "private": "Mọi sự kiện của {name}, kể cả sự kiện chỉ dành cho khách mời. Lịch nội bộ: không chia sẻ đường dẫn này.",
        "private_branches": "Mọi sự kiện của {name} và các chi hội trực thuộc, kể cả sự kiện chỉ dành cho khách mời. Lịch nội bộ: không chia sẻ đường dẫn này.",
        "branches_suffix": " (gồm các chi hội)",
        "private_suffix": " — nội bộ",
        "campaign": "Các sự kiện của chương trình {name} ({association}).",
        "personal_name": "Sự kiện của tôi",
        "personal": "Các sự kiện bạn đã nhận lời hoặc có thể tham dự.",
    },
    "en": {
        "personal_name": "My events",
        "personal": "The events you accepted or may attend.",
    },
}


@dataclass
class Built:
    body: bytes
    event_count: int


def visible_clause(now: datetime | None = None):
    """Published events, and cancelled ones for CANCELLED_KEPT after their cancellation."""
    cutoff = (now or utcnow()) - CANCELLED_KEPT
    return or_(
        Event.status == EventStatus.PUBLISHED,
        and_(Event.status == EventStatus.CANCELLED, func.coalesce(Event.cancelled_at, Event.updated_at) >= cutoff),
    )


def _ordered(query):
    return query.where(visible_clause()).order_by(Event.starts_at, Event.id)


def build(kind: FeedKind, subject_id: int, branches: bool = False) -> Built | None:
    """The feed's body, or None when its subject no longer exists."""
    if kind in (FeedKind.ASSOCIATION, FeedKind.ASSOCIATION_PRIVATE):
        return _association(db.session.get(Association, subject_id), kind == FeedKind.ASSOCIATION_PRIVATE, branches)
    if kind == FeedKind.CAMPAIGN:
        return _campaign(db.session.get(Campaign, subject_id))
    if kind == FeedKind.PERSONAL:
        return _personal(db.session.get(Contact, subject_id))
    raise ValueError(kind)


def _calendar(name: str, description: str, events, components) -> Built:
    cal = core.new_calendar(name=name, description=description, refresh=REFRESH)
    core.add_timezones(cal, events)
    for component in components:
        cal.add_component(component)
    return Built(core.to_ics(cal), len(events))


def _public_url(event: Event) -> str | None:
    return links.public_event_url(event) if event.visibility == Visibility.PUBLIC else None


def _association(association: Association | None, private: bool, branches: bool) -> Built | None:
    if association is None:
        return None
    ids = descendant_ids([association.id]) if branches else {association.id}
    query = select(Event).where(Event.association_id.in_(ids))
    if not private:
        query = query.where(Event.visibility == Visibility.PUBLIC)
    events = db.session.scalars(_ordered(query)).all()
    texts = TEXTS["vi"]
    name = association.name_vi + (texts["private_suffix"] if private else "") + (texts["branches_suffix"] if branches else "")
    key = ("private" if private else "public") + ("_branches" if branches else "")
    return _calendar(name, texts[key].format(name=association.name_vi), events,
                     [core.event_component(e, url=_public_url(e)) for e in events])


def _campaign(campaign: Campaign | None) -> Built | None:
    if campaign is None or campaign.status == CampaignStatus.DRAFT:
        return None
    query = select(Event).where(Event.campaign_id == campaign.id, Event.visibility == Visibility.PUBLIC)
    events = db.session.scalars(_ordered(query)).all()
    description = TEXTS["vi"]["campaign"].format(name=campaign.title_vi, association=campaign.association.name_vi)
    return _calendar(campaign.title_vi, description, events,
                     [core.event_component(e, url=_public_url(e)) for e in events])


def _personal(contact: Contact | None) -> Built | None:
    if contact is None:
        return None
    locale = "en" if contact.language == "en" else "vi"
    rows = db.session.execute(
        _ordered(select(Event, Invitation).join(Invitation, Invitation.event_id == Event.id).where(
            Invitation.contact_id == contact.id, Invitation.revoked_at.is_(None),
            Invitation.status.in_(PERSONAL_STATUSES)))
    ).all()
    components = []
    for event, invitation in rows:
        component = core.event_component(event, locale=locale, url=_public_url(event) or links.rsvp_url(invitation))
        if invitation.status == InvitationStatus.TENTATIVE and not event.is_cancelled:
            component["STATUS"] = "TENTATIVE"
        # The answer is part of this feed's content: stamp with the later of the two changes.
        answered = invitation.updated_at.astimezone(UTC)
        if answered > event.updated_at.astimezone(UTC):
            for prop in ("DTSTAMP", "LAST-MODIFIED"):
                del component[prop]
                component.add(prop, answered)
        components.append(component)
    texts = TEXTS[locale]
    return _calendar(texts["personal_name"], texts["personal"], [event for event, _ in rows], components)


def single_event(event: Event) -> bytes:
    """The .ics download of one public event: METHOD:PUBLISH with its ORGANIZER."""
    from email.utils import parseaddr

    from flask import current_app

    association = event.association
    organizer = association.sender_email or parseaddr(current_app.config["MAIL_DEFAULT_SENDER"])[1]
    cal = core.single_event_calendar(event, method="PUBLISH", url=links.public_event_url(event),
                                     organizer_email=organizer, organizer_name=association.name_vi)
    return core.to_ics(cal)
