"""The order of precedence at an event: who comes first, from the association's protocol table and the
organiser's adjustments. Plain rows are read (no ORM object per person); the caller commits.

The rule, as the order page states it:
- A person's line of the table is the one whose words begin (or appear in) their position, without
  diacritics or case; when several match, the longest words win, then the earlier line. People whose
  position matches no line come after every line.
- Delegations rank together at the line marked for delegations (or at their head's line when there is
  none): the head first, then the members by their own line, then by name.
- An invitee's named guests follow the invitee (a delegation's head too).
- Same place: the earlier line first, then people before delegations, then Vietnamese name order
  (given name first), then delegations by name.
- An organiser's move pins the order: each unit keeps the rank it was given (`protocol_rank`); people
  added later go after the pinned people of their own line.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from sqlalchemy import select

from .. import audit
from ..associations.models import Association
from ..contacts.models import Contact
from ..events.models import Event
from ..extensions import db
from ..guests.models import Delegation, EventGuest
from ..invitations.models import Invitation, InvitationStatus
from ..text import fold, sort_key
from .models import ProtocolPosition

BAND = 1000  # ranks of one line of the table: line n from n × 1000
UNPINNED = BAND - 1  # an unpinned person comes after the pinned ones of their line
_SEPARATORS = re.compile(r"[;\n,]+")


@dataclass(frozen=True)
class Line:
    """A line of the protocol table, as matching needs it."""

    order: int
    label: str
    words: tuple[str, ...]
    delegations: bool = False


@dataclass
class Person:
    """One person in the order: an invitee (`kind` "i", the invitation id) or a named guest ("g")."""

    kind: str
    id: int
    name: str
    honorific: str
    position: str
    sort: str
    line: Line | None
    pinned: int | None = None
    delegation_id: int | None = None
    host_invitation_id: int | None = None  # an invitee's guest: whose
    contact_id: int | None = None  # an invitee's contact

    @property
    def key(self) -> str:
        return f"{self.kind}-{self.id}"

    @property
    def line_order(self) -> int:
        return self.line.order if self.line else 10**6


@dataclass
class Unit:
    """What moves in the order as one: a person with their named guests, or a delegation (head first)."""

    kind: str  # "i" (an invitee) or "d" (a delegation)
    id: int
    name: str  # the delegation's name, or the invitee's
    line: Line | None
    pinned: int | None
    people: list[Person] = field(default_factory=list)
    sort: str = ""

    @property
    def key(self) -> str:
        return f"{self.kind}-{self.id}"

    @property
    def base(self) -> int:
        """The first rank of its line's band: where a pinned unit of this line starts."""
        return (self.line.order if self.line else 10**6) * BAND

    @property
    def rank(self) -> int:
        return self.pinned if self.pinned is not None else self.base + UNPINNED

    @property
    def head(self) -> Person:
        return self.people[0]

    def order_key(self) -> tuple:
        return (self.rank, self.line.order if self.line else 10**6, self.kind == "d", self.sort, self.id)


def words_of(keywords: str) -> tuple[str, ...]:
    """The folded phrases of a line's keywords (separated by ";", "," or line breaks)."""
    return tuple(phrase for phrase in (fold(part) for part in _SEPARATORS.split(keywords or "")) if phrase)


def table_for(association: Association) -> list[Line]:
    """The protocol table that applies: the association's own, else its nearest parent's."""
    node = association
    while node is not None:
        rows = db.session.execute(select(ProtocolPosition.order, ProtocolPosition.label, ProtocolPosition.keywords,
                                         ProtocolPosition.delegations)
                                  .where(ProtocolPosition.association_id == node.id)
                                  .order_by(ProtocolPosition.order, ProtocolPosition.id)).all()
        if rows:
            return [Line(index, label, words_of(keywords) or words_of(label), bool(delegations))
                    for index, (_, label, keywords, delegations) in enumerate(rows, start=1)]
        node = node.parent
    return []


def match(position: str, lines: list[Line]) -> Line | None:
    """The line of the table `position` ranks at: the longest phrase found at the start of the folded
    position or as whole words in it; the earlier line on a tie. None when no line matches."""
    folded = fold(position)
    if not folded:
        return None
    padded = f" {folded} "
    best: tuple[int, int] | None = None
    found = None
    for line in lines:
        for phrase in line.words:
            if folded.startswith(phrase) or f" {phrase} " in padded:
                candidate = (-len(phrase), line.order)
                if best is None or candidate < best:
                    best, found = candidate, line
    return found


@dataclass
class Order:
    """An event's order: its units in protocol order, and the table it was derived from."""

    units: list[Unit]
    lines: list[Line]

    def people(self) -> list[Person]:
        return [person for unit in self.units for person in unit.people]

    def unit(self, key: str) -> Unit | None:
        return next((unit for unit in self.units if unit.key == key), None)


def read(event: Event, lines: list[Line] | None = None) -> Order:
    """Everyone expected at `event` in protocol order: accepted invitees, their named guests, and the
    members of its delegations."""
    lines = table_for(event.association) if lines is None else lines
    delegation_line = next((line for line in lines if line.delegations), None)
    invitees = {}
    for row in db.session.execute(
            select(Invitation.id, Invitation.contact_id, Invitation.protocol_rank, Contact.full_name, Contact.sort_key, Contact.honorific,
                   Contact.position)
            .join(Contact, Contact.id == Invitation.contact_id)
            .where(Invitation.event_id == event.id, Invitation.revoked_at.is_(None),
                   Invitation.status == InvitationStatus.ACCEPTED)).all():
        invitees[row.id] = Person("i", row.id, row.full_name, row.honorific or "", row.position or "", row.sort_key,
                                  match(row.position, lines), row.protocol_rank, contact_id=row.contact_id)
    delegations = {row.id: row for row in db.session.execute(
        select(Delegation.id, Delegation.name, Delegation.protocol_rank, Delegation.leader_invitation_id)
        .where(Delegation.event_id == event.id, Delegation.revoked_at.is_(None))).all()}
    members: dict[int, list[Person]] = {}
    guests_of: dict[int, list[Person]] = {}
    for row in db.session.execute(
            select(EventGuest.id, EventGuest.invitation_id, EventGuest.delegation_id, EventGuest.full_name,
                   EventGuest.honorific, EventGuest.position, EventGuest.protocol_rank)
            .where(EventGuest.event_id == event.id)).all():
        person = Person("g", row.id, row.full_name, row.honorific or "", row.position or "", sort_key(row.full_name),
                        match(row.position, lines), row.protocol_rank, row.delegation_id, row.invitation_id)
        if row.delegation_id in delegations:
            members.setdefault(row.delegation_id, []).append(person)
        elif row.delegation_id is None and row.invitation_id in invitees:
            guests_of.setdefault(row.invitation_id, []).append(person)
    units = []
    for delegation in delegations.values():
        people = sorted(members.get(delegation.id, []),
                        key=lambda p: (p.pinned if p.pinned is not None else p.line_order * BAND + UNPINNED,
                                       p.sort, p.id))
        leader = invitees.pop(delegation.leader_invitation_id, None)
        if leader is not None:
            leader.delegation_id = delegation.id
            people[:0] = [leader, *sorted(guests_of.pop(leader.id, []), key=lambda p: (p.sort, p.id))]
        if not people:
            continue
        line = delegation_line or people[0].line
        units.append(Unit("d", delegation.id, delegation.name, line, delegation.protocol_rank, people,
                          fold(delegation.name)))
    for invitee in invitees.values():
        guests = sorted(guests_of.get(invitee.id, []), key=lambda p: (p.sort, p.id))
        units.append(Unit("i", invitee.id, invitee.name, invitee.line, invitee.pinned, [invitee, *guests],
                          invitee.sort))
    units.sort(key=Unit.order_key)
    return Order(units, lines)


def move(event: Event, key: str, to: int) -> bool:
    """Move the unit `key` ("i-<invitation id>" or "d-<delegation id>") to place `to` (1 first) and pin the
    order: every unit gets a rank that keeps the new order, as near its own line's band as it allows.
    False when no such unit is in the order."""
    order = read(event)
    unit = order.unit(key)
    if unit is None:
        return False
    units = [u for u in order.units if u is not unit]
    index = max(0, min(to - 1, len(units)))
    units.insert(index, unit)
    # The moved unit takes the band of its new neighbour, the others their own.
    neighbour = units[index + 1] if index + 1 < len(units) else (units[index - 1] if index else unit)
    previous = 0
    for each in units:
        base = neighbour.base if each is unit else each.base
        rank = max(previous + 1, base)
        _pin(each, rank)
        previous = rank
    audit.for_event("settings_changed", ("events", event.id), event, what="protocol", change="moved", unit=key, to=to)
    return True


def _pin(unit: Unit, rank: int) -> None:
    model = Delegation if unit.kind == "d" else Invitation
    db.session.execute(model.__table__.update().where(model.id == unit.id).values(protocol_rank=rank))


def reset(event: Event) -> None:
    """Forget the organiser's moves: the order follows the table again."""
    db.session.execute(Invitation.__table__.update().where(Invitation.event_id == event.id).values(protocol_rank=None))
    db.session.execute(Delegation.__table__.update().where(Delegation.event_id == event.id).values(protocol_rank=None))
    audit.for_event("settings_changed", ("events", event.id), event, what="protocol", change="reset")


def spoken(person: Person) -> str:
    """How the master of ceremonies reads a person: "Đồng chí Nguyễn Văn A, Phó Chủ tịch UBND tỉnh"."""
    name = f"{person.honorific.strip()} {person.name}".strip()
    return f"{name}, {person.position.strip()}" if person.position.strip() else name
