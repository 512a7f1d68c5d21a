"""Check-in rules: one active check-in per person and event, undo, walk-ins, door search.

Views, the API and the demo call these; the caller commits. A check-in is
inserted inside a SAVEPOINT: when another device checked the same person in at
the same moment, the partial unique index refuses the second row and the
service answers with who was first and when.
"""
from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone

from sqlalchemy import func, or_, select, update
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.orm import selectinload

from .. import audit
from ..associations.models import Association
from ..contacts.models import Contact, contact_associations
from ..events.models import Event, EventStatus
from ..extensions import db
from ..guests.counting import members_of_events, named_count
from ..guests.models import EventGuest
from ..i18n import lazy_gettext as _l
from ..invitations.models import Invitation, InvitationStatus
from ..permissions import Action, descendant_ids, filter_by_association
from ..text import fold, nfc
from ..timeutils import UTC, in_zone, utcnow, zone
from .models import CheckIn, DoorSyncOp, OnlineJoin

MAX_GUESTS = 50
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


def doors_for(user, zone_name: str, days_ahead: int = 21) -> tuple[list[Event], list[Event]]:
    """The events `user` may check people in at: those under way or starting today (in `zone_name`),
    then those of the next `days_ahead` days (three weeks: door phones are prepared ahead, while the
    Wi-Fi works, so that the list is on them offline); cancelled events and drafts left out."""
    local_today = in_zone(utcnow(), zone_name).date()
    start_of_day = datetime.combine(local_today, time.min, tzinfo=zone(zone_name)).astimezone(UTC)
    end_of_day = start_of_day + timedelta(days=1)
    events = db.session.scalars(
        filter_by_association(select(Event), Event.association_id, user, Action.CHECKIN)
        .where(Event.status == EventStatus.PUBLISHED, Event.ends_at > start_of_day,
               Event.starts_at < end_of_day + timedelta(days=days_ahead))
        .order_by(Event.starts_at, Event.id)
    ).all()
    today = [event for event in events if event.starts_at < end_of_day]
    return today, [event for event in events if event.starts_at >= end_of_day]


def event_days(event: Event) -> tuple[date, date]:
    """The first and last day of `event` in its own zone (an end at midnight belongs to the day before)."""
    first = in_zone(event.starts_at, event.timezone).date()
    last = in_zone(event.ends_at - timedelta(microseconds=1), event.timezone).date()
    return first, max(first, last)


def is_event_day(event: Event) -> bool:
    """Whether today, in the event's zone, is one of its days: the door warns and asks otherwise."""
    first, last = event_days(event)
    return first <= in_zone(utcnow(), event.timezone).date() <= last


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


def guest_by_token(token: str | None) -> EventGuest | None:
    """The named guest or delegation member whose own QR code carries `token` (a guest of a revoked
    invitation, or a member of a revoked delegation, is unknown)."""
    if not token:
        return None
    guest = db.session.scalar(select(EventGuest).where(EventGuest.checkin_token == token))
    if guest is None:
        return None
    if guest.invitation_id is not None and guest.invitation.revoked_at is not None:
        return None
    if guest.delegation_id is not None and guest.delegation.revoked_at is not None:
        return None
    return guest


def guest_label(guest: EventGuest) -> str:
    """Who a named guest is with, as the door says it: their delegation, or the invitee who brought them."""
    if guest.delegation_id is not None:
        return str(_l("Delegation: %(name)s", name=guest.delegation.name))
    if guest.invitation_id is not None:
        return str(_l("Guest of %(name)s", name=guest.invitation.contact.full_name))
    return ""


def person_id(row: CheckIn) -> int:
    """The id of a check-in's person on the door list: the contact's, or minus the named guest's
    (named guests have lines of their own without being contacts; see attendance/doorlist.py)."""
    return row.contact_id if row.contact_id is not None else -row.guest_id


def active_guest_check_in(event_id: int, guest_id: int) -> CheckIn | None:
    return db.session.scalar(select(CheckIn).where(
        CheckIn.event_id == event_id, CheckIn.guest_id == guest_id, CheckIn.undone_at.is_(None)))


def active_check_in(event_id: int, contact_id: int) -> CheckIn | None:
    return db.session.scalar(select(CheckIn).where(
        CheckIn.event_id == event_id, CheckIn.contact_id == contact_id, CheckIn.undone_at.is_(None)))


# ---------------------------------------------------------------- check in / undo

def _valid_guests(guests) -> int:
    try:
        value = int(guests)
    except (TypeError, ValueError):
        raise CheckInError(str(_l("The number of guests must be a whole number."))) from None
    if not 0 <= value <= MAX_GUESTS:
        raise CheckInError(str(_l("The number of guests must be between 0 and %(max)s.", max=MAX_GUESTS)))
    return value


def check_in(event: Event, contact: Contact, *, by=None, invitation: Invitation | None = None,
             guests: int | None = None, walk_in: bool = False, at: datetime | None = None,
             client_id: str | None = None) -> CheckIn:
    """Record that `contact` came to `event` (now, or `at` for a phone's queued check-in, under the phone's
    `client_id`); AlreadyCheckedIn when someone was quicker."""
    if invitation is not None and invitation.event_id != event.id:
        # Said exactly as for an unknown code: the other event (maybe another association's) is not named.
        raise CheckInError(str(_l("This code is not a valid invitation.")))
    if guests is None and invitation is not None:
        # The guests named on the invitation come in with codes of their own: the invitee brings the others.
        guests = max(invitation.guests - named_count(invitation.id), 0)
    guests = _valid_guests(guests or 0)
    existing = active_check_in(event.id, contact.id)
    if existing is not None:
        raise AlreadyCheckedIn(existing)
    row = CheckIn(event=event, contact=contact, invitation=invitation, guests=guests, walk_in=walk_in,
                  checked_in_at=at or utcnow(), checked_in_by=by, client_id=client_id)
    return _insert_check_in(row, lambda: active_check_in(event.id, contact.id))


def check_in_guest(event: Event, guest: EventGuest, *, by=None, at: datetime | None = None,
                   client_id: str | None = None) -> CheckIn:
    """Record that a named guest or delegation member came in, on their own check-in (like `check_in`)."""
    if guest.event_id != event.id:
        raise CheckInError(str(_l("This code is not a valid invitation.")))
    existing = active_guest_check_in(event.id, guest.id)
    if existing is not None:
        raise AlreadyCheckedIn(existing)
    row = CheckIn(event=event, guest=guest, invitation_id=guest.invitation_id, contact_id=guest.contact_id,
                  guests=0, checked_in_at=at or utcnow(), checked_in_by=by, client_id=client_id)
    return _insert_check_in(row, lambda: active_guest_check_in(event.id, guest.id))


def _insert_check_in(row: CheckIn, active) -> CheckIn:
    """Insert `row` in a savepoint; AlreadyCheckedIn with `active()` when another device was quicker."""
    savepoint = db.session.begin_nested()
    try:
        db.session.add(row)
        db.session.flush()
    except IntegrityError:
        # Another device inserted the active row between our look-up and our insert (PostgreSQL made
        # this insert wait for that device's commit), or the same queued check-in arrived twice at once.
        savepoint.rollback()
        existing = active()
        if existing is None:  # the phone's id is already another person's check-in: a forged or garbled id
            raise CheckInError(str(_l("This check-in has no valid id."))) from None
        raise AlreadyCheckedIn(existing) from None
    savepoint.commit()
    return row


def check_in_invitation(invitation: Invitation, *, by=None, guests: int | None = None) -> CheckIn:
    return check_in(invitation.event, invitation.contact, by=by, invitation=invitation, guests=guests)


def check_in_by_token(event: Event, scanned: str | None, *, by=None, guests: int | None = None) -> CheckIn:
    """Check in the invitee whose QR code (link or token) was scanned at `event`'s door."""
    token = token_from_scan(scanned)
    invitation = invitation_by_token(token)
    if invitation is None:
        guest = guest_by_token(token)
        if guest is not None:
            return check_in_guest(event, guest, by=by)
        raise CheckInError(str(_l("This code is not a valid invitation.")))
    return check_in(event, invitation.contact, by=by, invitation=invitation, guests=guests)


def undo(row: CheckIn, *, by=None) -> CheckIn:
    """Cancel a mistaken check-in; the person can be checked in again later."""
    if row.undone_at is not None:
        raise CheckInError(str(_l("This check-in was already undone.")))
    row.undone_at = utcnow()
    row.undone_by = by
    db.session.flush()
    event = db.session.get(Event, row.event_id)
    audit.record("check_in_undone", row, association_id=event.association_id if event else None,
                 event_id=row.event_id, contact_id=row.contact_id, guest_id=row.guest_id)
    return row


def register_walk_in(event: Event, *, by=None, contact: Contact | None = None, full_name: str = "",
                     email: str = "", guests: int = 0) -> CheckIn:
    """Check in someone without an invitation: a known contact, or a new one.

    A new contact joins the event's association; without an e-mail it has none (NULL: no placeholder).
    If the person was invited after all, the invitation is used (not a walk-in).
    An address that belongs to a contact outside the door's scope (another association's rolls)
    is treated exactly as an unknown one would be at the door, without touching that contact:
    the person is a new contact under the typed name, without that address (addresses are unique),
    so neither the door nor this association's organisers see the other's data.
    """
    if contact is None:
        full_name = nfc(full_name).strip()
        email = (email or "").strip().lower()
        if email:
            contact = db.session.scalar(select(Contact).where(Contact.email == email))
            if contact is not None and not search_scope_allows(event, contact):
                contact, email = None, ""
        if contact is None:
            if not full_name:
                raise CheckInError(str(_l("Enter the walk-in's name.")))
            if email and not re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", email):
                raise CheckInError(str(_l("This e-mail address is not valid.")))
            contact = Contact(full_name=full_name, email=email or None,
                              timezone=event.timezone, notes=str(_l("Walk-in")))
            db.session.add(contact)
            audit.for_event("contact_created", contact, event, via="walk_in", with_email=bool(email))
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


def counters(event: Event, connection=None) -> dict:
    """Live figures for the door: expected (accepted, with guests), checked in, walk-ins (read through
    `connection` when given: the door list reads them in its own snapshot)."""
    execute = (connection or db.session).execute
    accepted = execute(
        select(func.count(Invitation.id), func.coalesce(func.sum(Invitation.guests), 0),
               members_of_events([event.id]))
        .where(Invitation.event_id == event.id, Invitation.status == InvitationStatus.ACCEPTED,
               Invitation.revoked_at.is_(None))
    ).one()
    came = execute(
        select(func.count(CheckIn.id), func.coalesce(func.sum(CheckIn.guests), 0),
               func.count(CheckIn.id).filter(CheckIn.walk_in.is_(True)))
        .where(CheckIn.event_id == event.id, CheckIn.undone_at.is_(None))
    ).one()
    # Delegation members are expected as people of their own (each has a line and a code).
    expected = accepted[0] + accepted[2]
    online = execute(select(func.count(OnlineJoin.id)).where(OnlineJoin.event_id == event.id)).scalar() or 0
    return {
        "expected": expected, "expected_guests": int(accepted[1]),
        "online": online,  # joined through their personal link (attendance.online), apart from those at the door
        "expected_total": expected + int(accepted[1]),
        "checked_in": came[0], "checked_in_guests": int(came[1]), "checked_in_total": came[0] + int(came[1]),
        "walk_ins": came[2],
    }


def check_ins(event: Event) -> list[CheckIn]:
    """Active check-ins of the event, earliest first."""
    return list(db.session.scalars(
        select(CheckIn)
        .options(selectinload(CheckIn.contact), selectinload(CheckIn.invitation), selectinload(CheckIn.checked_in_by),
                 selectinload(CheckIn.guest).selectinload(EventGuest.delegation))
        .where(CheckIn.event_id == event.id, CheckIn.undone_at.is_(None))
        .order_by(CheckIn.checked_in_at, CheckIn.id)
    ))


# ---------------------------------------------------------------- the offline door

OFFLINE_BATCH_MAX = 500
_CLIENT_ID = re.compile(r"^[A-Za-z0-9_\-]{8,64}$")
OFFLINE_EARLIEST = timedelta(days=2)  # a phone clock may not date a check-in this long before the event (or now)


def code_hash(event_id: int, token: str) -> str:
    """What the phone keeps instead of a check-in code: SHA-256 of "<event id>:<token>" in hex.

    The phone hashes what it scans the same way; a list copied off a lost phone
    gives no code that opens anyone's check-in card.
    """
    return hashlib.sha256(f"{event_id}:{token}".encode()).hexdigest()


def _check_in_state(row: CheckIn | None, zone: str) -> dict | None:
    if row is None:
        return None
    return {"id": row.id, "client_id": row.client_id, "at": row.checked_in_at.isoformat(),
            "time": clock(row.checked_in_at, zone), "by": staff_name(row.checked_in_by),
            "guests": row.guests, "walk_in": row.walk_in}


def _offline_time(value, event: Event) -> datetime:
    """When the phone says it checked someone in: aware ISO 8601, not in the future, not days early."""
    try:
        moment = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        raise CheckInError(str(_l("The check-in time is not valid."))) from None
    if moment.tzinfo is None:
        raise CheckInError(str(_l("The check-in time is not valid.")))
    now = utcnow()
    moment = min(moment.astimezone(timezone.utc), now)  # a phone clock running ahead
    if moment < min(event.starts_at, now) - OFFLINE_EARLIEST:
        raise CheckInError(str(_l("The check-in time is not valid.")))
    return moment


def _row_id(value) -> int | None:
    """A database id sent by a phone, or None when it is not one (2^63 would overflow the column)."""
    try:
        number = int(value)
    except (TypeError, ValueError):
        return None
    return number if 0 < number < 2 ** 31 else None


def _apply_check_in(event: Event, op: dict, by) -> dict:
    client_id = op["id"]
    done = db.session.scalar(select(CheckIn).where(CheckIn.client_id == client_id))
    if done is not None:  # sent before, the answer was lost: the same result again
        if done.event_id != event.id:
            raise CheckInError(str(_l("This check-in belongs to another event.")))
        return {"status": "applied", "check_in": _check_in_state(done, event.timezone)}
    met = db.session.get(DoorSyncOp, client_id)
    if met is not None:  # sent before and met an earlier check-in: answered as then, whatever time it says now
        existing = db.session.get(CheckIn, met.check_in_id)
        if existing.event_id != event.id:
            raise CheckInError(str(_l("This check-in belongs to another event.")))
        return {"status": "conflict", "message": already_message(existing),
                "check_in": _check_in_state(existing, event.timezone)}
    raw_person = op.get("contact_id")
    if isinstance(raw_person, int) and not isinstance(raw_person, bool) and raw_person < 0:
        return _apply_guest_check_in(event, op, by, client_id, _row_id(-raw_person))
    contact_id = _row_id(raw_person)
    contact = db.session.get(Contact, contact_id) if contact_id else None
    if contact is None:
        raise CheckInError(str(_l("Unknown person.")))
    found = person(event, contact)
    if found.invitation is None and not search_scope_allows(event, contact):
        raise CheckInError(str(_l("Unknown person.")))
    at = _offline_time(op.get("at"), event)
    guests = _valid_guests(op.get("guests", 0))
    existing = found.check_in
    if existing is None:
        try:
            row = check_in(event, contact, by=by, invitation=found.invitation, guests=guests,
                           walk_in=found.invitation is None, at=at, client_id=client_id)
        except AlreadyCheckedIn as error:  # another phone's sync of the same person won the insert
            existing = error.existing
        else:
            return {"status": "applied", "check_in": _check_in_state(row, event.timezone)}
    if existing.client_id == client_id:  # this very check-in, sent twice at the same moment
        return {"status": "applied", "check_in": _check_in_state(existing, event.timezone)}
    # Two phones let the same person in while offline: one check-in stays, with the earliest time.
    existing = keep_earliest(existing, at, by)
    try:
        with db.session.begin_nested():
            db.session.add(DoorSyncOp(client_id=client_id, check_in_id=existing.id))
    except IntegrityError:
        pass  # the same operation, sent twice at the same moment, was recorded by the other request
    return {"status": "conflict", "message": already_message(existing),
            "check_in": _check_in_state(existing, event.timezone)}


def _on_door_list(event: Event, guest: EventGuest | None) -> bool:
    """Whether a named guest has a line on `event`'s door list (see doorlist.py)."""
    if guest is None or guest.event_id != event.id:
        return False
    if guest.invitation_id is not None:
        return guest.invitation.revoked_at is None
    return guest.delegation is not None and guest.delegation.revoked_at is None


def _apply_guest_check_in(event: Event, op: dict, by, client_id: str, guest_id: int | None) -> dict:
    """A phone's queued check-in of a named guest (their line's id is minus the guest's id)."""
    guest = db.session.get(EventGuest, guest_id) if guest_id else None
    if not _on_door_list(event, guest):
        raise CheckInError(str(_l("Unknown person.")))
    at = _offline_time(op.get("at"), event)
    existing = active_guest_check_in(event.id, guest.id)
    if existing is None:
        try:
            row = check_in_guest(event, guest, by=by, at=at, client_id=client_id)
        except AlreadyCheckedIn as error:
            existing = error.existing
        else:
            return {"status": "applied", "check_in": _check_in_state(row, event.timezone)}
    if existing.client_id == client_id:
        return {"status": "applied", "check_in": _check_in_state(existing, event.timezone)}
    existing = keep_earliest(existing, at, by)
    try:
        with db.session.begin_nested():
            db.session.add(DoorSyncOp(client_id=client_id, check_in_id=existing.id))
    except IntegrityError:
        pass
    return {"status": "conflict", "message": already_message(existing),
            "check_in": _check_in_state(existing, event.timezone)}


def keep_earliest(existing: CheckIn, at: datetime, by) -> CheckIn:
    """Date `existing` at `at` and credit it to `by` (whose phone saw the person first) when `at` is earlier;
    otherwise change nothing. The time and the person credited move together or not at all.

    One conditional UPDATE: PostgreSQL locks the row and re-checks the condition after any concurrent
    change, so of phones syncing the same person at once the earliest time wins whatever the order.
    """
    db.session.execute(
        update(CheckIn)
        .where(CheckIn.id == existing.id, CheckIn.undone_at.is_(None), CheckIn.checked_in_at > at)
        .values(checked_in_at=at, checked_in_by_id=by.id if by is not None else None)
        .execution_options(synchronize_session=False))
    db.session.refresh(existing)
    return existing


def is_lock_conflict(error: DBAPIError) -> bool:
    """Whether a database error is a deadlock or serialization failure, which a retry of the whole
    transaction resolves (two phones' batches taking the same people's rows in opposite orders)."""
    return getattr(error.orig, "sqlstate", None) in ("40P01", "40001")


def _apply_undo(event: Event, op: dict, by) -> dict:
    row = None
    if op.get("check_in_id") is not None:
        row_id = _row_id(op["check_in_id"])
        row = db.session.get(CheckIn, row_id) if row_id else None
    elif op.get("target"):
        row = db.session.scalar(select(CheckIn).where(CheckIn.client_id == str(op["target"])))
    if row is None or row.event_id != event.id:
        raise CheckInError(str(_l("There is no such check-in to undo.")))
    if row.undone_at is None:  # an undo sent twice stays one undo
        undo(row, by=by)
    return {"status": "applied", "check_in": None, "contact_id": person_id(row)}


def apply_offline(event: Event, ops: list, *, by=None) -> list[dict]:
    """Apply check-ins and undos queued on a door phone, in order, each at most once.

    Every operation carries the phone's unique id; a check-in already applied
    under that id answers as before. A person already checked in by another
    device is a conflict: one check-in stays (with the earliest time) and the
    answer says who was first. Each operation runs in its own SAVEPOINT, so a
    bad one changes nothing and the others still apply.
    """
    if not isinstance(ops, list) or len(ops) > OFFLINE_BATCH_MAX:
        raise CheckInError(str(_l("Send at most %(max)s check-ins at once.", max=OFFLINE_BATCH_MAX)))
    results = []
    for op in ops:
        op_id = op.get("id") if isinstance(op, dict) else None
        if not isinstance(op_id, str) or not _CLIENT_ID.match(op_id):
            results.append({"id": None, "status": "error", "message": str(_l("This check-in has no valid id."))})
            continue
        savepoint = db.session.begin_nested()
        try:
            if op.get("type") == "checkin":
                result = _apply_check_in(event, op, by)
            elif op.get("type") == "undo":
                result = _apply_undo(event, op, by)
            else:
                raise CheckInError(str(_l("Unknown kind of operation.")))
        except CheckInError as error:
            savepoint.rollback()
            results.append({"id": op_id, "status": "error", "message": str(error),
                            "contact_id": op.get("contact_id")})
            continue
        savepoint.commit()
        result.setdefault("contact_id", op.get("contact_id"))
        results.append({"id": op_id, **result})
    return results


# ---------------------------------------------------------------- the live board

def board(event: Event, last: int = 12) -> dict:
    """What the projector shows: arrivals counted, by association and by country, the latest arrivals."""
    rows = list(db.session.scalars(
        select(CheckIn).options(selectinload(CheckIn.contact).selectinload(Contact.associations))
        .where(CheckIn.event_id == event.id, CheckIn.undone_at.is_(None))
        .order_by(CheckIn.checked_in_at.desc(), CheckIn.id.desc())))
    allowed = descendant_ids([event.association_id])
    by_association: dict[str, int] = {}
    by_country: dict[str, int] = {}
    latest = []
    for row in rows:
        names = sorted(a.name_vi for a in row.contact.associations if a.id in allowed)
        association = names[0] if names else event.association.name_vi
        by_association[association] = by_association.get(association, 0) + 1 + row.guests
        country = row.contact.country or str(_l("Unknown"))
        by_country[country] = by_country.get(country, 0) + 1 + row.guests
        if len(latest) < last:
            latest.append({"name": row.contact.full_name, "association": association,
                           "time": clock(row.checked_in_at, event.timezone), "guests": row.guests})
    ordered = lambda counts: [{"name": k, "count": v} for k, v in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))]  # noqa: E731
    joined = db.session.execute(
        select(OnlineJoin.joined_at, Contact.full_name).join(Contact, Contact.id == OnlineJoin.contact_id)
        .where(OnlineJoin.event_id == event.id).order_by(OnlineJoin.joined_at.desc(), OnlineJoin.id.desc())
        .limit(last)).all()
    return {"counts": counters(event), "by_association": ordered(by_association),
            "by_country": ordered(by_country), "latest": latest,
            "online_latest": [{"name": name, "time": clock(at, event.timezone)} for at, name in joined]}
