"""Check-in rules: one active check-in per person and event, undo, walk-ins, door search.

Views, the API and the demo call these; the caller commits. A check-in is
inserted inside a SAVEPOINT: when another device checked the same person in at
the same moment, the partial unique index refuses the second row and the
service answers with who was first and when.
"""
from __future__ import annotations

import re
import secrets
from dataclasses import dataclass

from sqlalchemy import func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from ..associations.models import Association
from ..contacts.models import Contact, contact_associations
from ..events.models import Event
from ..extensions import db
from ..i18n import lazy_gettext as _l
from ..invitations.models import Invitation, InvitationStatus
from ..permissions import descendant_ids
from ..text import fold, nfc
from ..timeutils import in_zone, utcnow
from .models import CheckIn

MAX_GUESTS = 50
WALK_IN_DOMAIN = "walk-in.invalid"
_TOKEN_IN_URL = re.compile(r"/c/([A-Za-z0-9_\-]{16,64})/?(?:[?#].*)?$")
_BARE_TOKEN = re.compile(r"^[A-Za-z0-9_\-]{16,64}$")


class CheckInError(Exception):
    """A check-in that cannot be done; str() is a message for the person at the door."""


class AlreadyCheckedIn(CheckInError):
    def __init__(self, existing: CheckIn):
        self.existing = existing
        super().__init__(already_message(existing))


def clock(moment, zone_name: str) -> str:
    """HH:MM of `moment` in the event's zone."""
    return in_zone(moment, zone_name).strftime("%H:%M")


def staff_name(user) -> str:
    if user is None:
        return "—"
    return user.name or user.email


def already_message(existing: CheckIn) -> str:
    return str(_l("Already checked in at %(time)s by %(name)s.",
                  time=clock(existing.checked_in_at, existing.event.timezone),
                  name=staff_name(existing.checked_in_by)))


# ---------------------------------------------------------------- lookups

def token_from_scan(scanned: str | None) -> str | None:
    """The check-in token in what a scanner read: a /c/<token> link or the bare token."""
    value = (scanned or "").strip()
    match = _TOKEN_IN_URL.search(value)
    if match:
        return match.group(1)
    return value if _BARE_TOKEN.match(value) else None


def invitation_by_token(token: str | None) -> Invitation | None:
    """The live invitation whose QR code carries `token` (revoked ones are unknown)."""
    if not token:
        return None
    return db.session.scalar(
        select(Invitation).where(Invitation.checkin_token == token, Invitation.revoked_at.is_(None))
    )


def active_check_in(event_id: int, contact_id: int) -> CheckIn | None:
    return db.session.scalar(select(CheckIn).where(
        CheckIn.event_id == event_id, CheckIn.contact_id == contact_id, CheckIn.undone_at.is_(None)))


# ---------------------------------------------------------------- check in / undo

def _valid_guests(guests) -> int:
    try:
        value = int(guests)
    except (TypeError, ValueError):
        raise CheckInError(str(_l("The number of guests must be a whole number.")))
    if not 0 <= value <= MAX_GUESTS:
        raise CheckInError(str(_l("The number of guests must be between 0 and %(max)s.", max=MAX_GUESTS)))
    return value


def check_in(event: Event, contact: Contact, *, by=None, invitation: Invitation | None = None,
             guests: int | None = None, walk_in: bool = False) -> CheckIn:
    """Record that `contact` came to `event`; AlreadyCheckedIn when someone was quicker."""
    if invitation is not None and invitation.event_id != event.id:
        # Said exactly as for an unknown code: the other event (maybe another association's) is not named.
        raise CheckInError(str(_l("This code is not a valid invitation.")))
    guests = _valid_guests(invitation.guests if guests is None and invitation is not None else guests or 0)
    existing = active_check_in(event.id, contact.id)
    if existing is not None:
        raise AlreadyCheckedIn(existing)
    row = CheckIn(event=event, contact=contact, invitation=invitation, guests=guests, walk_in=walk_in,
                  checked_in_at=utcnow(), checked_in_by=by)
    savepoint = db.session.begin_nested()
    try:
        db.session.add(row)
        db.session.flush()
    except IntegrityError:
        # Another device inserted the active row between our look-up and our insert.
        savepoint.rollback()
        existing = active_check_in(event.id, contact.id)
        if existing is None:  # pragma: no cover - the index only refuses when a row exists
            raise
        raise AlreadyCheckedIn(existing) from None
    savepoint.commit()
    return row


def check_in_invitation(invitation: Invitation, *, by=None, guests: int | None = None) -> CheckIn:
    return check_in(invitation.event, invitation.contact, by=by, invitation=invitation, guests=guests)


def check_in_by_token(event: Event, scanned: str | None, *, by=None, guests: int | None = None) -> CheckIn:
    """Check in the invitee whose QR code (link or token) was scanned at `event`'s door."""
    invitation = invitation_by_token(token_from_scan(scanned))
    if invitation is None:
        raise CheckInError(str(_l("This code is not a valid invitation.")))
    return check_in(event, invitation.contact, by=by, invitation=invitation, guests=guests)


def undo(row: CheckIn, *, by=None) -> CheckIn:
    """Cancel a mistaken check-in; the person can be checked in again later."""
    if row.undone_at is not None:
        raise CheckInError(str(_l("This check-in was already undone.")))
    row.undone_at = utcnow()
    row.undone_by = by
    db.session.flush()
    return row


def walk_in_placeholder_email() -> str:
    return f"walkin-{secrets.token_hex(6)}@{WALK_IN_DOMAIN}"


def register_walk_in(event: Event, *, by=None, contact: Contact | None = None, full_name: str = "",
                     email: str = "", guests: int = 0) -> CheckIn:
    """Check in someone without an invitation: a known contact, or a new one.

    A new contact joins the event's association; without an e-mail it gets a
    unique placeholder address on the reserved `.invalid` domain (never mailed).
    If the person was invited after all, the invitation is used (not a walk-in).
    """
    if contact is None:
        full_name = nfc(full_name).strip()
        email = (email or "").strip().lower()
        if email:
            contact = db.session.scalar(select(Contact).where(Contact.email == email))
        if contact is None:
            if not full_name:
                raise CheckInError(str(_l("Enter the walk-in's name.")))
            if email and not re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", email):
                raise CheckInError(str(_l("This e-mail address is not valid.")))
            contact = Contact(full_name=full_name, email=email or walk_in_placeholder_email(),
                              timezone=event.timezone, notes=str(_l("Walk-in")))
            db.session.add(contact)
    association = db.session.get(Association, event.association_id)
    if association not in contact.associations:
        contact.associations.append(association)
    invitation = db.session.scalar(select(Invitation).where(
        Invitation.event_id == event.id, Invitation.contact_id == contact.id, Invitation.revoked_at.is_(None)))
    return check_in(event, contact, by=by, invitation=invitation, guests=guests, walk_in=invitation is None)


# ---------------------------------------------------------------- the door: search and counters

@dataclass
class Person:
    """One line at the door: a contact, their invitation to the event and active check-in."""

    contact: Contact
    invitation: Invitation | None
    check_in: CheckIn | None


def person(event: Event, contact: Contact) -> Person:
    invitation = db.session.scalar(select(Invitation).where(
        Invitation.event_id == event.id, Invitation.contact_id == contact.id, Invitation.revoked_at.is_(None)))
    return Person(contact, invitation, active_check_in(event.id, contact.id))


def search_scope_allows(event: Event, contact: Contact) -> bool:
    """Whether the door may see `contact`: invited to the event, or on its association's rolls."""
    if person(event, contact).invitation is not None:
        return True
    allowed = descendant_ids([event.association_id])
    return any(a.id in allowed for a in contact.associations)


def door_associations(event: Event, contact: Contact) -> list[Association]:
    """The contact's associations within the event's association tree: the door shows these, never the others."""
    allowed = descendant_ids([event.association_id])
    return [a for a in contact.associations if a.id in allowed]


def _like_escape(term: str) -> str:
    return term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def search(event: Event, query: str, limit: int = 20) -> list[Person]:
    """Invitees of the event and contacts of its association, by name (no diacritics needed) or e-mail."""
    terms = fold(query).split()
    if not terms or len("".join(terms)) < 2:
        return []
    invited = select(Invitation.contact_id).where(Invitation.event_id == event.id, Invitation.revoked_at.is_(None))
    members = select(contact_associations.c.contact_id).where(
        contact_associations.c.association_id.in_(descendant_ids([event.association_id])))
    statement = (
        select(Contact)
        .where(or_(Contact.id.in_(invited), Contact.id.in_(members)), Contact.archived_at.is_(None))
        .where(*[Contact.search_text.like(f"%{_like_escape(term)}%", escape="\\") for term in terms])
        .order_by(Contact.sort_key, Contact.id)
        .limit(limit)
    )
    contacts = list(db.session.scalars(statement))
    if not contacts:
        return []
    ids = [c.id for c in contacts]
    invitations = {i.contact_id: i for i in db.session.scalars(select(Invitation).where(
        Invitation.event_id == event.id, Invitation.contact_id.in_(ids), Invitation.revoked_at.is_(None)))}
    check_ins = {c.contact_id: c for c in db.session.scalars(
        select(CheckIn).options(selectinload(CheckIn.checked_in_by))
        .where(CheckIn.event_id == event.id, CheckIn.contact_id.in_(ids), CheckIn.undone_at.is_(None)))}
    # Invitees first: they are whom the door expects.
    people = [Person(c, invitations.get(c.id), check_ins.get(c.id)) for c in contacts]
    return sorted(people, key=lambda p: p.invitation is None)


def counters(event: Event) -> dict:
    """Live figures for the door: expected (accepted, with guests), checked in, walk-ins."""
    accepted = db.session.execute(
        select(func.count(Invitation.id), func.coalesce(func.sum(Invitation.guests), 0))
        .where(Invitation.event_id == event.id, Invitation.status == InvitationStatus.ACCEPTED,
               Invitation.revoked_at.is_(None))
    ).one()
    came = db.session.execute(
        select(func.count(CheckIn.id), func.coalesce(func.sum(CheckIn.guests), 0),
               func.count(CheckIn.id).filter(CheckIn.walk_in.is_(True)))
        .where(CheckIn.event_id == event.id, CheckIn.undone_at.is_(None))
    ).one()
    return {
        "expected": accepted[0], "expected_guests": int(accepted[1]),
        "expected_total": accepted[0] + int(accepted[1]),
        "checked_in": came[0], "checked_in_guests": int(came[1]), "checked_in_total": came[0] + int(came[1]),
        "walk_ins": came[2],
    }


def check_ins(event: Event) -> list[CheckIn]:
    """Active check-ins of the event, earliest first."""
    return list(db.session.scalars(
        select(CheckIn)
        .options(selectinload(CheckIn.contact), selectinload(CheckIn.invitation), selectinload(CheckIn.checked_in_by))
        .where(CheckIn.event_id == event.id, CheckIn.undone_at.is_(None))
        .order_by(CheckIn.checked_in_at, CheckIn.id)
    ))
