"""Named guests and delegations: the rules, for the RSVP page, the staff's pages, the leader's page and the API.

Every change that adds people takes the event's row lock first (as the invitations' answers do), so the
seats counted stay true until commit: named guests and delegation members never overbook an event.
An invitation's `guests` stays the number of its guests: when the event wants them named, the number of
names; otherwise at least that.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from .. import audit, validation
from ..contacts.models import Contact
from ..contacts.services import is_valid_email, visible_filter
from ..events.models import Event
from ..extensions import db
from ..i18n import gettext as _
from ..invitations import services as invitations
from ..invitations.models import Invitation, InvitationStatus, new_token
from ..mail.models import MessageKind
from ..mail.services import queue_messages
from ..text import nfc
from ..timeutils import is_valid_timezone, utcnow
from . import member_mail
from .models import Delegation, EventGuest

MAX_QUOTA = 500  # places of one delegation
_PHONE_SEPARATORS = re.compile(r"[\s.\-()/]")
_E164 = re.compile(r"^\+[1-9][0-9]{6,14}$")


class GuestError(Exception):
    """A change refused; `message` says why in the reader's language, `fields` names each bad field."""

    def __init__(self, message: str, fields: dict[str, str] | None = None):
        super().__init__(message)
        self.message = message
        self.fields = fields or {}


# ---------------------------------------------------------------- one person's details

PERSON_FIELDS = ("full_name", "honorific", "email", "phone")
MEMBER_FIELDS = ("full_name", "honorific", "position", "email", "phone", "language", "timezone")
PASSPORT_FIELDS = ("nationality", "passport_number", "passport_expires_on")
LIMITS = {"full_name": 200, "honorific": 40, "position": 300, "email": 254, "phone": 40, "nationality": 100,
          "passport_number": 40, "language": 5, "timezone": 64}
LANGUAGES = ("vi", "en")


def _phone(value: str) -> str | None:
    number = _PHONE_SEPARATORS.sub("", value)
    if not number:
        return None
    if number.startswith("00"):
        number = "+" + number[2:]
    if not _E164.match(number):
        raise validation.Invalid(_("Enter the phone number with its country code, e.g. +84 912 345 678."))
    return number


def _expiry(value) -> date | None:
    if value in (None, ""):
        return None
    if isinstance(value, date):
        return validation.day(value)
    text = validation.text(value, max_length=10)
    try:
        parsed = date.fromisoformat(text)
    except ValueError:
        raise validation.Invalid(_("Enter a date, e.g. 2030-12-31.")) from None
    return validation.day(parsed)


def clean_person(data: dict, fields: tuple[str, ...]) -> dict:
    """The values of one guest or member, checked like every other input: text on one line within its
    column, a valid e-mail, a phone number in E.164, a date. GuestError names each bad field."""
    values, problems = {}, {}
    for name in fields:
        raw = data.get(name)
        try:
            if name == "passport_expires_on":
                values[name] = _expiry(raw)
                continue
            text = nfc(validation.text(raw, max_length=LIMITS[name])).strip()
            if name == "full_name":
                if not text:
                    raise validation.Invalid(_("Enter the name."))
                values[name] = " ".join(text.split())
            elif name == "email":
                text = text.lower()
                if text and not is_valid_email(text):
                    raise validation.Invalid(_("This e-mail address is not valid."))
                values[name] = text or None
            elif name == "phone":
                values[name] = _phone(text)
            elif name == "language":  # the language of the person's e-mails; left out: the default stays
                if text and text not in LANGUAGES:
                    raise validation.Invalid(_("Choose Vietnamese or English."))
                if text:
                    values[name] = text
            elif name == "timezone":  # the zone of the person's e-mails; left out: the default stays
                if text and not is_valid_timezone(text):
                    raise validation.Invalid(_("This time zone does not exist (example: Asia/Ho_Chi_Minh)."))
                if text:
                    values[name] = text
            else:
                values[name] = text
        except validation.Invalid as error:
            problems[name] = error.message
    if problems:
        first = next(iter(problems))
        raise GuestError(f"{first}: {problems[first]}", problems)
    return values


def is_blank(data: dict, fields: tuple[str, ...]) -> bool:
    """Whether a form's row was left empty (a slot not used, or a name cleared to remove the guest)."""
    return all(not (isinstance(data.get(name), str) and data[name].strip()) and data.get(name) in (None, "")
               for name in fields)


def _lock_event(event_id: int) -> Event:
    db.session.execute(select(Event.id).where(Event.id == event_id).with_for_update())
    return db.session.get(Event, event_id)


def _free_places(event: Event) -> int | None:
    """Seats left (read under the event's lock), or None without a capacity."""
    if event.capacity is None:
        return None
    return event.capacity - invitations.seats_taken([event.id])


# ---------------------------------------------------------------- an invitee's named guests

def named_guests(invitation_id: int) -> list[EventGuest]:
    return list(db.session.scalars(select(EventGuest).where(EventGuest.invitation_id == invitation_id)
                                   .order_by(EventGuest.id)))


def guests_closed_reason(invitation: Invitation, *, staff: bool = False) -> str | None:
    """Why this invitation's guests cannot be named now, or None. The staff, answering for an invitee
    on the phone, are not held to the reply deadline; nobody changes a past or cancelled event."""
    event = invitation.event
    if invitation.revoked_at is not None:
        return _("This invitation is revoked.")
    if event.max_guests <= 0:
        return _("This event has no places for guests.")
    if staff:
        if event.is_cancelled:
            return _("This event has been cancelled.")
        if event.ends_at <= utcnow():
            return _("This event has already taken place.")
    else:
        reason = invitations.answer_closed_reason(event)
        if reason:
            return str(reason)
    if invitation.status not in (InvitationStatus.ACCEPTED, InvitationStatus.WAITLISTED):
        return _("Answer “I will attend” first; then you can name your guests.")
    return None


def save_named_guests(invitation: Invitation, rows: list[dict], *, staff: bool = False) -> Invitation:
    """Make `rows` the invitation's named guests (a row with the `id` of one of its guests changes that
    guest, who keeps their check-in code; guests left out are removed) and its number of guests agree.

    Under the event's lock: more guests than before need free seats (an accepted invitee keeps what they
    had otherwise); fewer free seats for the waiting list.
    """
    event = _lock_event(invitation.event_id)
    invitation = db.session.scalar(select(Invitation).where(Invitation.id == invitation.id)
                                   .execution_options(populate_existing=True))
    reason = guests_closed_reason(invitation, staff=staff)
    if reason:
        raise GuestError(reason)
    cleaned, problems = [], {}
    for index, row in enumerate(rows):
        if not isinstance(row, dict):
            problems[f"guests.{index}"] = _("Must be an object.")
            continue
        try:
            cleaned.append((row.get("id"), clean_person(row, PERSON_FIELDS)))
        except GuestError as error:
            problems.update({f"guests.{index}.{name}": message for name, message in error.fields.items()})
    if problems:
        first = next(iter(problems))
        raise GuestError(f"{_('Guest %(n)s', n=int(first.split('.')[1]) + 1)}: {problems[first]}", problems)
    if len(cleaned) > event.max_guests:
        raise GuestError(_("You may bring at most %(n)s guests.", n=event.max_guests))
    previous = invitation.guests
    count = len(cleaned) if event.guests_must_be_named else max(previous, len(cleaned))
    if invitation.status == InvitationStatus.ACCEPTED and count > previous:
        free = _free_places(event)
        if free is not None and count - previous > free:
            raise GuestError(_("Only %(n)s places are left for you and your guests.", n=previous + max(free, 0)))
    existing = {guest.id: guest for guest in named_guests(invitation.id)}
    kept = set()
    for guest_id, values in cleaned:
        guest = existing.get(guest_id) if isinstance(guest_id, int) and not isinstance(guest_id, bool) else None
        if guest is None:
            guest = EventGuest(event_id=event.id, invitation_id=invitation.id,
                               language=invitation.contact.language or "vi")
            db.session.add(guest)
        else:
            kept.add(guest.id)
        for name, value in values.items():
            setattr(guest, name, value)
    for guest_id, guest in existing.items():
        if guest_id not in kept:
            db.session.delete(guest)
    invitation.guests = count
    invitation.updated_at = utcnow()  # the door list's version moves even when only a name changed
    db.session.flush()
    if staff:
        audit.record("invitation_changed", invitation, association_id=event.association_id, change="guests_named",
                     event_id=event.id, named=len(cleaned), removed=len(existing) - len(kept), guests=count)
    if invitation.status == InvitationStatus.ACCEPTED and count < previous:
        invitations.promote_waiters(event)
    return invitation


# ---------------------------------------------------------------- delegations

@dataclass
class DelegationValues:
    name: str
    leader_email: str
    quota: int
    deadline: datetime | None
    organisation_email: str = ""


def _visible_contact(email: str, user, field: str) -> Contact:
    contact = db.session.scalar(select(Contact).where(Contact.email == email.strip().lower(), visible_filter(user)))
    if contact is None:
        message = _("No contact with this address in your associations.")
        raise GuestError(message, {field: message})
    return contact


def _audit(delegation: Delegation, change: str, **details) -> None:
    """What staff did to a delegation, in the audit log (ids and counts; the delegation's name is an
    organisation's, but it stays out too)."""
    event = delegation.event or db.session.get(Event, delegation.event_id)
    audit.record("delegation_changed", delegation, association_id=event.association_id, change=change,
                 event_id=delegation.event_id, **details)


def create_delegation(event: Event, values: DelegationValues, *, user) -> Delegation:
    """A delegation with its leader's invitation to the event (made if they have none) and the leader's
    link sent through the outbox."""
    name = " ".join(nfc(values.name).split())
    if not name:
        raise GuestError(_("Enter the name of the sending organisation."), {"name": _("Required.")})
    if not 1 <= values.quota <= MAX_QUOTA:
        message = _("Between 1 and %(n)s places.", n=MAX_QUOTA)
        raise GuestError(message, {"quota": message})
    if values.deadline is not None and values.deadline >= event.starts_at:
        message = _("The deadline must be before the start of the event.")
        raise GuestError(message, {"deadline": message})
    leader = _visible_contact(values.leader_email, user, "leader_email")
    organisation = (_visible_contact(values.organisation_email, user, "organisation_email")
                    if values.organisation_email.strip() else None)
    invitation = db.session.scalar(select(Invitation).where(Invitation.event_id == event.id,
                                                            Invitation.contact_id == leader.id))
    if invitation is None:
        invitation = Invitation(event_id=event.id, contact_id=leader.id)
        db.session.add(invitation)
    elif invitation.revoked_at is not None:
        raise GuestError(_("The leader's invitation to this event is revoked."))
    delegation = Delegation(event_id=event.id, name=name, leader_contact_id=leader.id,
                            organisation_contact_id=organisation.id if organisation else None,
                            quota=values.quota, deadline=values.deadline)
    delegation.leader_invitation = invitation
    db.session.add(delegation)
    db.session.flush()
    _audit(delegation, "created", quota=delegation.quota, leader_contact_id=leader.id,
           messages=send_link(delegation))
    return delegation


def send_link(delegation: Delegation) -> int:
    """Queue the leader's message with the delegation's link (once per link: a new link sends again)."""
    leader = db.session.get(Contact, delegation.leader_contact_id) if delegation.leader_contact_id else None
    if leader is None or leader.opted_out_at is not None or leader.archived_at is not None:
        return 0
    return queue_messages([{
        "kind": MessageKind.DELEGATION, "dedupe_key": f"delegation:{delegation.id}:{delegation.token[:16]}",
        "recipient": leader.email, "contact_id": leader.id, "invitation_id": delegation.leader_invitation_id,
        "event_id": delegation.event_id, "payload": {"delegation_id": delegation.id}}])


def renew_link(delegation: Delegation) -> int:
    """A new link for the leader, sent to them; the old one stops working."""
    delegation.token = new_token()
    db.session.flush()
    messages = send_link(delegation)
    _audit(delegation, "new_link", messages=messages)
    return messages


def revoke_delegation(delegation: Delegation) -> None:
    """The link stops working (404) and the members leave the door list and give back their seats."""
    delegation.revoked_at = utcnow()
    db.session.flush()
    _audit(delegation, "revoked", members=member_count(delegation.id))
    invitations.promote_waiters(_lock_event(delegation.event_id))


def by_token(token: str) -> Delegation | None:
    """The live delegation of a leader's link (a revoked one, or one of a draft event, is unknown)."""
    if not isinstance(token, str) or not token or len(token) > 64:
        return None
    delegation = db.session.scalar(select(Delegation).where(Delegation.token == token,
                                                            Delegation.revoked_at.is_(None)))
    if delegation is None or delegation.event.status.value == "draft":
        return None
    return delegation


def members_closed_reason(delegation: Delegation, now: datetime | None = None) -> str | None:
    """Why the members can no longer be changed, or None."""
    now = now or utcnow()
    event = delegation.event
    if delegation.revoked_at is not None:
        return _("This delegation's link is no longer valid.")
    if event.is_cancelled:
        return _("This event has been cancelled.")
    if event.starts_at <= now:
        return _("This event has already taken place.")
    if delegation.deadline is not None and delegation.deadline <= now:
        return _("The deadline for the delegation's list has passed.")
    return None


def member_fields(event: Event) -> tuple[str, ...]:
    return MEMBER_FIELDS + (PASSPORT_FIELDS if event.delegations_ask_passport else ())


def member_count(delegation_id: int) -> int:
    return db.session.scalar(select(func.count(EventGuest.id)).where(EventGuest.delegation_id == delegation_id)) or 0


def save_member(delegation: Delegation, data: dict, member: EventGuest | None = None, *,
                staff: bool = False) -> EventGuest:
    """Add a member (within the quota and the event's free seats) or change one, before the deadline
    (the organisers are not held to it)."""
    event = _lock_event(delegation.event_id)
    db.session.refresh(delegation)
    reason = members_closed_reason(delegation)
    if reason and not (staff and delegation.revoked_at is None and not event.is_cancelled):
        raise GuestError(reason)
    values = clean_person(data, member_fields(event))
    if member is None:
        if member_count(delegation.id) >= delegation.quota:
            raise GuestError(_("All %(n)s places of the delegation are filled: remove a member first.",
                               n=delegation.quota))
        free = _free_places(event)
        if free is not None and free <= 0:
            raise GuestError(_("The event is full: no place is left for another member."))
        leader = delegation.leader_contact
        # A member speaks and lives as their leader does unless the leader says otherwise (a delegation travels
        # from one country).
        member = EventGuest(event_id=event.id, delegation_id=delegation.id,
                            language=leader.language if leader is not None and leader.language in LANGUAGES else "vi",
                            timezone=leader.timezone if leader is not None else None)
        db.session.add(member)
    elif member.delegation_id != delegation.id:
        raise GuestError(_("No such member."))
    adding = member.id is None
    for name, value in values.items():
        setattr(member, name, value)
    fields = audit.changed(member, values)
    delegation.updated_at = utcnow()
    db.session.flush()
    member_mail.welcome(member)
    if staff:
        _audit(delegation, "member_added" if adding else "member_changed", member_id=member.id,
               **({} if adding else {"fields": fields}))
    return member


def remove_member(delegation: Delegation, member: EventGuest, *, staff: bool = False) -> None:
    event = _lock_event(delegation.event_id)
    reason = members_closed_reason(delegation)
    if reason and not (staff and delegation.revoked_at is None and not event.is_cancelled):
        raise GuestError(reason)
    if member.delegation_id != delegation.id:
        raise GuestError(_("No such member."))
    if staff:
        _audit(delegation, "member_removed", member_id=member.id)
    db.session.delete(member)
    delegation.updated_at = utcnow()  # the door list's version sees a member gone
    db.session.flush()
    invitations.promote_waiters(event)


def delegations_of(event_id: int) -> list[Delegation]:
    return list(db.session.scalars(select(Delegation)
                                   .options(selectinload(Delegation.members), selectinload(Delegation.leader_contact))
                                   .where(Delegation.event_id == event_id)
                                   .order_by(Delegation.revoked_at.is_not(None), Delegation.name, Delegation.id)))


def guests_by_invitation(event_id: int) -> dict[int, list[EventGuest]]:
    """The named guests of an event's invitations, by invitation id."""
    found: dict[int, list[EventGuest]] = {}
    for guest in db.session.scalars(select(EventGuest).where(EventGuest.event_id == event_id,
                                                              EventGuest.invitation_id.is_not(None))
                                    .order_by(EventGuest.id)):
        found.setdefault(guest.invitation_id, []).append(guest)
    return found


def set_options(event: Event, *, must_be_named: bool, ask_passport: bool) -> Event:
    """The event's settings for guests and delegations."""
    event.guests_must_be_named = bool(must_be_named)
    event.delegations_ask_passport = bool(ask_passport)
    fields = audit.changed(event, ("guests_must_be_named", "delegations_ask_passport"))
    db.session.flush()
    audit.record("settings_changed", event, association_id=event.association_id, what="event_guests", fields=fields,
                 guests_must_be_named=event.guests_must_be_named, delegations_ask_passport=event.delegations_ask_passport)
    return event
