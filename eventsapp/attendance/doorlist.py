"""The door's kept list: what each door phone holds offline, versioned, sent whole or as the changes.

A fast path (docs/architecture.md, "The door's kept list"):
- `fingerprint(event)`: one statement of index look-ups (the event's `updated_at`, the latest
  `updated_at` of its invitations and of its check-ins, its number of check-ins, the latest `updated_at`
  of any contact), hashed with the current 5-minute period: the list's version, sent as the ETag. A
  phone that has it gets 304 and no body. The period bounds how long a change that moves no
  `updated_at` (a contact joining or leaving an association, an association renamed, two transactions
  committing out of order) can go unseen: at most 5 minutes, then the list is built whole again and the
  difference sent.
- `build()` reads plain rows (no ORM object per person) in one REPEATABLE READ snapshot together with
  the version, and writes each person's line as JSON once; when only check-ins moved since the last
  build, `with_new_check_ins()` reads the check-ins alone and rewrites only the lines they touch.
- `Lineage` keeps, per process and event, the latest list and the generation at which each person's
  line last changed; a phone whose version this process made gets only the lines changed since (and
  the ids of the people gone); any other phone gets the whole list, gzipped once per version.
  The lineage holds bytes, strings and numbers only, never ORM objects; it is never stale, because
  every request reads the database's version first.
"""
from __future__ import annotations

import gzip
import hashlib
import json
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass, field
from datetime import timedelta
from functools import cached_property

from sqlalchemy import String, func, or_, select, type_coerce, union

from ..associations.models import Association
from ..auth.models import User
from ..ceremony.models import SeatAssignment, SeatTable
from ..ceremony.seating import seats_by_guest, seats_by_invitation
from ..contacts.models import Contact, contact_associations
from ..events.models import Event
from ..extensions import db
from ..guests.models import Delegation, EventGuest
from ..invitations.models import Invitation, InvitationStatus
from ..permissions import descendant_ids
from ..text import sort_key
from ..timeutils import utcnow
from . import doorlist_sql
from .models import CheckIn
from .services import code_hash, counters

PERIOD_SECONDS = 300
CHANGES_OVERLAP = timedelta(seconds=60)  # check-ins read again before the last change seen (late commits)
KNOWN_VERSIONS = 512  # versions of one event a process remembers, to answer a phone with a delta
EVENTS_KEPT = 16  # events whose list a process keeps at once


def _encode(value) -> bytes:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode()


def _door_contacts(event_id: int):
    """The ids of everyone on the event's door list: its invitees (revoked too) and whoever it checked in."""
    return union(select(Invitation.contact_id).where(Invitation.event_id == event_id),
                 select(CheckIn.contact_id).where(CheckIn.event_id == event_id)).subquery()


def period() -> int:
    """The current 5-minute period, part of every version."""
    return int(time.time() // PERIOD_SECONDS)


def fingerprint_parts(event: Event, connection=None) -> tuple:
    """What the version of `event`'s door list is made of: it changes whenever a line may have changed.

    One statement of index look-ups (no scan of the event's invitations), so an unchanged list answers
    in a few milliseconds: the event's `updated_at`, the latest `updated_at` of its invitations and of
    its check-ins (indexes by event), its number of check-ins, and the latest `updated_at` of any contact
    (an index: a contact edited anywhere rebuilds the list once, and the phones get an empty change).
    """
    statement = select(
        select(Event.updated_at).where(Event.id == event.id).scalar_subquery(),
        select(func.max(Invitation.updated_at)).where(Invitation.event_id == event.id).scalar_subquery(),
        select(func.max(CheckIn.updated_at)).where(CheckIn.event_id == event.id).scalar_subquery(),
        select(func.count()).where(CheckIn.event_id == event.id).scalar_subquery(),
        select(func.max(Contact.updated_at)).scalar_subquery(),
        # Named guests and delegation members (eventsapp.guests): a guest added, renamed or removed moves
        # one of these (removing one also dates its invitation or delegation).
        select(func.max(EventGuest.updated_at)).where(EventGuest.event_id == event.id).scalar_subquery(),
        select(func.count(EventGuest.id)).where(EventGuest.event_id == event.id).scalar_subquery(),
        select(func.max(Delegation.updated_at)).where(Delegation.event_id == event.id).scalar_subquery(),
        # The seating plan (issue 28): a seat given, moved or freed, a table renumbered.
        select(func.max(SeatAssignment.updated_at)).where(SeatAssignment.event_id == event.id).scalar_subquery(),
        select(func.count()).where(SeatAssignment.event_id == event.id).scalar_subquery(),
        select(func.max(SeatTable.updated_at)).where(SeatTable.event_id == event.id).scalar_subquery(),
    )
    return tuple((connection or db.session).execute(statement).one())


def version_of(event_id: int, now_period: int, parts: tuple) -> str:
    return hashlib.sha256(repr((event_id, now_period, *parts)).encode()).hexdigest()[:20]


def fingerprint(event: Event, now_period: int, connection=None) -> str:
    """The version of `event`'s door list in the current period (the ETag)."""
    return version_of(event.id, now_period, fingerprint_parts(event, connection))


def _only_check_ins_moved(before: tuple, after: tuple) -> bool:
    """Whether nothing but check-ins changed between two versions' parts (event, invitations, contacts same)."""
    return before[:2] == after[:2] and before[4:] == after[4:]


# ---------------------------------------------------------------- building the list

# A str as a JSON string, straight to the C escaping (what json.dumps(ensure_ascii=False) does to a str).
_string = json.encoder.encode_basestring


def _json_text(value: str | None) -> str:
    return "null" if value is None else _string(value)


def _associations(connection, event: Event, contact_ids=None) -> dict[int, str]:
    """Each person's associations within the event's association tree, by name, as the door shows them
    (of everyone on the list, or of `contact_ids`)."""
    allowed = descendant_ids([event.association_id])
    names = dict(connection.execute(select(Association.id, Association.name_vi).where(Association.id.in_(allowed))).all())
    people = select(_door_contacts(event.id).c.contact_id) if contact_ids is None else contact_ids
    found: dict[int, str] = {}
    several: dict[int, list[str]] = {}  # the few people in more than one association of the tree
    for contact_id, association_id in connection.execute(
            select(contact_associations.c.contact_id, contact_associations.c.association_id)
            .where(contact_associations.c.association_id.in_(allowed),
                   contact_associations.c.contact_id.in_(people))).all():
        if contact_id in found:
            several.setdefault(contact_id, [found[contact_id]]).append(names[association_id])
        found[contact_id] = names[association_id]
    for contact_id, each in several.items():
        found[contact_id] = ", ".join(sorted(each))
    return found


def _check_in_rows(connection, event: Event, since):
    """Every check-in of the event changed from `since` on, undone ones too, in the order they changed."""
    return connection.execute(
        select(CheckIn.id, CheckIn.contact_id, CheckIn.client_id, CheckIn.checked_in_at, CheckIn.guests,
               CheckIn.walk_in, CheckIn.undone_at, User.name, User.email, CheckIn.guest_id)
        .outerjoin(User, User.id == CheckIn.checked_in_by_id)
        .where(CheckIn.event_id == event.id, CheckIn.updated_at >= since)
        .order_by(CheckIn.updated_at, CheckIn.id)).all()


def _key(row) -> int:
    """A check-in's line on the list: its contact's id, or minus its named guest's id (a guest is no contact:
    the phone keeps every line under `contact_id`, so a guest's is negative and never meets a contact's)."""
    return -row.guest_id if row.guest_id is not None else row.contact_id


def _state(check_in_id: int, client_id: str | None, at, by: str, guests: int, walk_in: bool) -> str:
    """A check-in as the phone keeps it, as JSON (the phone writes the time in the event's zone itself)."""
    return (f'{{"id":{check_in_id},"client_id":{_json_text(client_id)},"at":"{at.isoformat()}",'
            f'"by":{_string(by)},"guests":{guests},"walk_in":{"true" if walk_in else "false"}}}')


def _check_ins(connection, event: Event) -> dict[int, str]:
    """The event's active check-ins by line (`_key`: contact id, or minus a named guest's id), as JSON (one statement, a tuple per row: the staff's
    names are read once, not joined to each of thousands of rows)."""
    staff = {user_id: name or email or "—" for user_id, name, email in connection.execute(
        select(User.id, User.name, User.email).where(User.id.in_(
            select(CheckIn.checked_in_by_id).where(CheckIn.event_id == event.id).distinct())))}
    return {-guest_id if guest_id is not None else contact_id:
            _state(check_in_id, client_id, at, staff.get(by_id, "—"), guests, walk_in)
            for check_in_id, contact_id, guest_id, client_id, at, guests, walk_in, by_id in connection.execute(
                select(CheckIn.id, CheckIn.contact_id, CheckIn.guest_id, CheckIn.client_id, CheckIn.checked_in_at,
                       CheckIn.guests, CheckIn.walk_in, CheckIn.checked_in_by_id)
                .where(CheckIn.event_id == event.id, CheckIn.undone_at.is_(None))
            ).all()}


def _seat(seat: tuple | None) -> str:
    """A seat as the card shows it after check-in ("Bàn 3 · ghế 5": the phone words it), or null."""
    if seat is None:
        return "null"
    shape, table, number = seat
    return f'{{"table":{table},"seat":{number},"row":{"true" if shape == "row" else "false"}}}'


def _head(contact_id: int, name: str, association: str, status: str | None, honoree: bool, guests: int,
          hashed: str | None, seat: tuple | None = None) -> str:
    """One person's line as JSON up to their check-in, written directly: the strings through the json
    module's escaping, the rest numbers, booleans and hex (several times faster than json.dumps)."""
    return (f'{{"contact_id":{contact_id},"name":{_string(name)},'
            f'"association":{_string(association)},"status":{_json_text(status)},'
            f'"honoree":{"true" if honoree else "false"},"guests":{guests},"code_hash":{_json_text(hashed)},'
            f'"seat":{_seat(seat)},"check_in":')


def _line(head: str, state: str | None) -> bytes:
    return f"{head}{state or 'null'}}}".encode()


@dataclass(frozen=True)
class DoorList:
    """One build of the list: each person's line as JSON bytes, in Vietnamese order, and the counters;
    with the parts it is made of, so that a change of check-ins only rewrites the lines it touches."""

    rows: dict[int, bytes]
    order: tuple[int, ...]
    counts: dict
    states: dict[int, str] = field(repr=False)  # the active check-ins, as JSON (the end of their lines)
    walk_ins: frozenset = frozenset()
    parts: tuple = ()  # the version's parts it was read with
    period: int = 0  # and its period: a new period builds the whole list (what no `updated_at` shows)

    def head(self, key: int) -> str:
        """A line up to its check-in (what `_head` wrote): the line less its check-in and closing brace."""
        return self.rows[key][:-len((self.states.get(key) or "null").encode()) - 1].decode()


def _guest_lines(connection, event: Event, keys: list, heads: dict) -> dict[int, int]:
    """Add the lines of the named guests and delegation members (plain rows, as the invitees'); returns the
    number of guests named per invitation (the invitee's own line brings only the others)."""
    named: dict[int, int] = {}
    seats = seats_by_guest(connection, event.id)
    host = Contact.__table__.alias("host")
    for guest_id, name, honorific, invitation_id, status, host_name, delegation_name, token in connection.execute(
            select(EventGuest.id, EventGuest.full_name, EventGuest.honorific, EventGuest.invitation_id,
                   Invitation.status, host.c.full_name, Delegation.name, EventGuest.checkin_token)
            .outerjoin(Invitation, Invitation.id == EventGuest.invitation_id)
            .outerjoin(host, host.c.id == Invitation.contact_id)
            .outerjoin(Delegation, Delegation.id == EventGuest.delegation_id)
            .where(EventGuest.event_id == event.id,
                   or_(Invitation.revoked_at.is_(None) & EventGuest.invitation_id.is_not(None),
                       Delegation.revoked_at.is_(None) & EventGuest.delegation_id.is_not(None)))).all():
        if invitation_id is not None:
            named[invitation_id] = named.get(invitation_id, 0) + 1
        # The line's "association" says whom the guest is with: the door card shows it under the name.
        with_whom = delegation_name if delegation_name is not None else f"+ {host_name}"
        keys.append((sort_key(name), -guest_id))
        heads[-guest_id] = _head(-guest_id, f"{honorific} {name}".strip(), with_whom,
                                 status.value if status is not None else InvitationStatus.ACCEPTED.value,
                                 False, 0, code_hash(event.id, token), seats.get(guest_id))
    return named


def build(connection, event: Event, parts: tuple = (), now_period: int = 0, *,
          in_database: bool | None = None) -> DoorList:
    """Everyone the door expects or has let in: invitees, and walk-ins already checked in.

    Names, association, answer, guests and a hash of the check-in code (never the code itself), for
    the phone to keep offline; no e-mail, phone or note leaves for the phones (issue 13). Plain rows,
    no ORM object per person. On PostgreSQL (psycopg 3) the database writes the invitees' lines
    (doorlist_sql.py), elsewhere Python does (`in_database` chooses, for the tests that compare both).
    """
    if in_database is None:  # (doorlist_sql reads through psycopg 3's binary protocol)
        in_database = (connection.dialect.name, connection.dialect.driver) == ("postgresql", "psycopg")
    keys, heads = [], {}
    named = _guest_lines(connection, event, keys, heads)
    if in_database:
        invitees = doorlist_sql.invitee_lines(connection, event.id, descendant_ids([event.association_id]))
        states = doorlist_sql.other_check_in_states(connection, event.id)
        states.update((contact_id, state) for contact_id, _, _, state in invitees if state is not None)
        associations = None
    else:
        states = _check_ins(connection, event)
        associations = _associations(connection, event)
        invitees = _invitee_lines(connection, event, named, states, associations)
    rows = {contact_id: line for contact_id, _, line, _ in invitees}
    walk_ins = frozenset(states.keys() - heads.keys() - rows.keys())
    if walk_ins:
        if associations is None:
            associations = _associations(connection, event, walk_ins)
        for contact_id, name, key in connection.execute(
                select(Contact.id, Contact.full_name, Contact.sort_key).where(Contact.id.in_(walk_ins))):
            keys.append((key, contact_id))
            heads[contact_id] = _head(contact_id, name, associations.get(contact_id, ""), None, False, 0, None)
    rows.update((key, _line(head, states.get(key))) for key, head in heads.items())
    if keys:  # named guests or walk-ins among the invitees (in order already)
        keys += [(key, contact_id) for contact_id, key, _, _ in invitees]
        keys.sort()
        order = tuple(contact_id for _, contact_id in keys)
    else:
        order = tuple(contact_id for contact_id, _, _, _ in invitees)
    return DoorList(rows=rows, order=order, counts=counters(event, connection), states=states,
                    walk_ins=walk_ins, parts=parts, period=now_period)


def _invitee_lines(connection, event: Event, named: dict[int, int], states: dict[int, str],
                   associations: dict[int, str]) -> list[tuple[int, str, bytes, str | None]]:
    """(contact id, sort key, whole line, check-in) of each invitee whose invitation stands, in the list's order,
    written in Python (any database; doorlist_sql.py writes the same bytes on PostgreSQL)."""
    # The code's hash as `code_hash` does it, from a copy of the hash of the prefix shared by every code.
    prefix = hashlib.sha256(f"{event.id}:".encode())
    seats = seats_by_invitation(connection, event.id)
    lines = []
    for invitation_id, contact_id, name, key, status, honoree, guests, token in connection.execute(
            select(Invitation.id, Contact.id, Contact.full_name, Contact.sort_key, type_coerce(Invitation.status, String),
                   Invitation.is_honoree, Invitation.guests, Invitation.checkin_token)
            .join(Contact, Contact.id == Invitation.contact_id)
            .where(Invitation.event_id == event.id, Invitation.revoked_at.is_(None))).all():
        hashed = prefix.copy()
        hashed.update(token.encode())
        head = _head(contact_id, name, associations.get(contact_id, ""), status, honoree,
                     max(guests - named.get(invitation_id, 0), 0), hashed.hexdigest(), seats.get(invitation_id))
        lines.append((contact_id, key, _line(head, states.get(contact_id)), states.get(contact_id)))
    lines.sort(key=lambda line: (line[1], line[0]))
    return lines


def with_new_check_ins(connection, event: Event, previous: DoorList, parts: tuple) -> DoorList | None:
    """`previous` with the check-ins changed since it was read, when nothing else changed: only those are
    read (from `CHANGES_OVERLAP` before the latest change it saw, for transactions that commit out of
    order) and only their lines written again: a door checking people in rewrites a few lines, not 10,000.
    None when a walk-in joins or leaves the list: then the list is built whole."""
    since = previous.parts[2]
    if since is None:
        return None
    states = dict(previous.states)
    touched = set()
    for row in _check_in_rows(connection, event, since - CHANGES_OVERLAP):
        key = _key(row)
        if key not in previous.rows or key in previous.walk_ins:
            return None  # a walk-in arrives or is undone: the list itself changes
        touched.add(key)
        if row.undone_at is None:
            states[key] = _state(row.id, row.client_id, row.checked_in_at, row.name or row.email or "—",
                                 row.guests, row.walk_in)
        elif states.get(key, "").startswith(f'{{"id":{row.id},'):
            del states[key]  # this check-in was undone (a later one of the person may follow)
    rows = dict(previous.rows)
    for key in touched:
        if previous.states.get(key) != states.get(key):
            rows[key] = _line(previous.head(key), states.get(key))
    return DoorList(rows=rows, order=previous.order, counts=counters(event, connection), states=states,
                    walk_ins=previous.walk_ins, parts=parts, period=previous.period)


def read_consistent(event: Event, now_period: int, previous: DoorList | None = None) -> tuple[str, DoorList]:
    """The version and the list read in one snapshot of the database (REPEATABLE READ), so that any
    process that builds a version builds the same list for it: a phone's delta may come from another.
    From `previous` when only check-ins changed since it was read."""
    isolation = "SERIALIZABLE" if db.engine.dialect.name == "sqlite" else "REPEATABLE READ"
    with db.engine.connect().execution_options(isolation_level=isolation) as connection:
        with connection.begin():
            parts = fingerprint_parts(event, connection)
            door_list = None
            if (previous is not None and previous.parts and previous.period == now_period
                    and _only_check_ins_moved(previous.parts, parts)):
                door_list = with_new_check_ins(connection, event, previous, parts)
            return version_of(event.id, now_period, parts), door_list or build(connection, event, parts, now_period)


# ---------------------------------------------------------------- versions and deltas

@dataclass(frozen=True)
class Snapshot:
    """The list at one version, with what the JSON answers need; immutable, shared by threads."""

    event_id: int
    version: str
    generation: int
    timezone: str
    generated_at: str
    door_list: DoorList
    revisions: dict[int, int] = field(repr=False)  # contact id → generation at which the line last changed
    removed: dict[int, int] = field(repr=False)  # contact id → generation at which the person left the list
    order_generation: int = 0

    def _head(self, **extra) -> bytes:
        head = {"event_id": self.event_id, "version": self.version, "timezone": self.timezone,
                "generated_at": self.generated_at, "counts": self.door_list.counts, **extra}
        return _encode(head)[:-1]  # the object left open for the list that follows

    @cached_property
    def body(self) -> bytes:
        """The whole list: {"full": true, "people": [...]} (3.5 MB for 10,000 people before gzip)."""
        rows = self.door_list.rows
        return (self._head(full=True) + b',"people":['
                + b",".join(rows[contact_id] for contact_id in self.door_list.order) + b"]}")

    @cached_property
    def gzipped(self) -> bytes:
        """`body` gzipped once per version (level 1: a tenth of the size, in a tenth of level 6's time)."""
        return gzip.compress(self.body, compresslevel=1)

    def delta(self, since: int) -> bytes:
        """What changed after generation `since`: the changed lines, the ids of those gone, the order if it moved."""
        changed = [self.door_list.rows[c] for c, generation in self.revisions.items() if generation > since]
        gone = [c for c, generation in self.removed.items() if generation > since]
        extra = {"full": False, "removed": gone}
        if self.order_generation > since:
            extra["order"] = list(self.door_list.order)
        return self._head(**extra) + b',"changed":[' + b",".join(changed) + b"]}"


class Lineage:
    """The successive lists of one event in this process, and the versions phones may hold."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.snapshot: Snapshot | None = None
        self.known: OrderedDict[str, int] = OrderedDict()  # version → generation

    def current(self, event: Event, version: str, now_period: int) -> Snapshot:
        """The list at `version`, built now if this process has not built it yet (once, under the lock);
        a change committed since `version` was read makes a newer version."""
        with self.lock:
            previous = self.snapshot
            if previous is not None and previous.version == version:
                return previous
            version, door_list = read_consistent(event, now_period, previous.door_list if previous else None)
            if previous is not None and previous.version == version:
                return previous
            generation = previous.generation + 1 if previous else 1
            old_rows = previous.door_list.rows if previous else {}
            revisions = dict(previous.revisions) if previous else {}
            removed = dict(previous.removed) if previous else {}
            for contact_id, line in door_list.rows.items():
                if old_rows.get(contact_id) != line:
                    revisions[contact_id] = generation
                removed.pop(contact_id, None)
            for contact_id in old_rows.keys() - door_list.rows.keys():
                revisions.pop(contact_id, None)
                removed[contact_id] = generation
            moved = previous is None or previous.door_list.order != door_list.order
            self.snapshot = Snapshot(
                event_id=event.id, version=version, generation=generation, timezone=event.timezone,
                generated_at=utcnow().isoformat(), door_list=door_list, revisions=revisions, removed=removed,
                order_generation=generation if moved else previous.order_generation)
            self.known[version] = generation
            while len(self.known) > KNOWN_VERSIONS:
                self.known.popitem(last=False)
            return self.snapshot

    def generation_of(self, version: str | None) -> int | None:
        """The generation at which this process sent `version`, or None when it never did."""
        return self.known.get(version) if version else None


_lineages: OrderedDict[int, Lineage] = OrderedDict()
_lineages_lock = threading.Lock()


def lineage(event_id: int) -> Lineage:
    """This process's lineage of `event_id`'s list (the least recently used event's is forgotten)."""
    with _lineages_lock:
        found = _lineages.get(event_id)
        if found is None:
            found = _lineages[event_id] = Lineage()
        _lineages.move_to_end(event_id)
        while len(_lineages) > EVENTS_KEPT:
            _lineages.popitem(last=False)
        return found


def forget_all() -> None:
    """Drop every kept list (tests and benchmarks that start from a cold process)."""
    with _lineages_lock:
        _lineages.clear()
