"""An event's seating plan: its tables (or theatre rows), the automatic assignment by protocol order, and
changes by hand. The caller commits.

The automatic assignment (`assign`), as the seating page states it:
- Tables are filled in their numbers' order, table 1 first, with people in protocol order: the highest
  ranks at table 1, and nobody sits at a lower-numbered table than someone ranked before them.
- An invitee and their named guests sit side by side; a delegation sits together at one table. A group
  that does not fit in what is left of a table starts the next one; a group larger than any table fills
  consecutive tables.
- Who finds no seat is listed as not seated.
"""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import delete, func, select

from .. import audit
from ..events.models import Event
from ..extensions import db
from ..i18n import gettext as _
from ..timeutils import utcnow
from . import protocol
from .models import SeatAssignment, SeatingState, SeatTable

SHAPES = ("round", "long", "row")
MAX_TABLES = 500
MAX_CAPACITY = 200
PLAN_WIDTH, PLAN_HEIGHT = 1000, 700


class SeatingError(ValueError):
    """A change that cannot be made; str() is a message for the organiser."""


def tables(event: Event) -> list[SeatTable]:
    return list(db.session.scalars(select(SeatTable).where(SeatTable.event_id == event.id)
                                   .order_by(SeatTable.number, SeatTable.id)))


def label(number: int, seat: int) -> str:
    """"Bàn 3 · ghế 5" (in the reader's language)."""
    return _("Table %(table)s · seat %(seat)s", table=number, seat=seat)


def row_label(number: int, seat: int) -> str:
    return _("Row %(table)s · seat %(seat)s", table=number, seat=seat)


def seat_text(shape: str, number: int, seat: int) -> str:
    return row_label(number, seat) if shape == "row" else label(number, seat)


def add_table(event: Event, *, number: int | None, name: str, shape: str, capacity: int, x: int, y: int) -> SeatTable:
    if shape not in SHAPES:
        raise SeatingError(_("Choose round, long or a row of seats."))
    count = db.session.scalar(select(func.count(SeatTable.id)).where(SeatTable.event_id == event.id)) or 0
    if count >= MAX_TABLES:
        raise SeatingError(_("A plan holds at most %(n)s tables.", n=MAX_TABLES))
    if number is None:
        number = (db.session.scalar(select(func.max(SeatTable.number)).where(SeatTable.event_id == event.id)) or 0) + 1
    if db.session.scalar(select(SeatTable.id).where(SeatTable.event_id == event.id, SeatTable.number == number)):
        raise SeatingError(_("There is already a table number %(n)s.", n=number))
    table = SeatTable(event_id=event.id, number=number, name=name, shape=shape, capacity=capacity,
                      x=min(max(x, 0), PLAN_WIDTH), y=min(max(y, 0), PLAN_HEIGHT))
    db.session.add(table)
    db.session.flush()
    audit.for_event("settings_changed", table, event, what="seating", change="table_added", capacity=capacity)
    return table


def update_table(table: SeatTable, *, name: str, shape: str, capacity: int, x: int, y: int) -> None:
    if shape not in SHAPES:
        raise SeatingError(_("Choose round, long or a row of seats."))
    taken = db.session.scalar(select(func.max(SeatAssignment.seat)).where(SeatAssignment.table_id == table.id)) or 0
    if capacity < taken:
        raise SeatingError(_("Seat %(n)s is taken: free it before making the table smaller.", n=taken))
    table.name, table.shape, table.capacity = name, shape, capacity
    table.x, table.y = min(max(x, 0), PLAN_WIDTH), min(max(y, 0), PLAN_HEIGHT)
    fields = audit.changed(table, ("name", "shape", "capacity", "x", "y"))
    if fields:
        audit.for_event("settings_changed", table, table.event_id, what="seating", change="table_changed",
                        fields=fields)


def remove_table(table: SeatTable) -> None:
    seated = db.session.scalar(select(func.count(SeatAssignment.id)).where(SeatAssignment.table_id == table.id))
    audit.for_event("settings_changed", table, table.event_id, what="seating", change="table_removed",
                    seated=seated or 0)
    db.session.delete(table)


def _person_column(key: str) -> tuple:
    kind, _, raw = key.partition("-")
    if kind not in ("i", "g") or not raw.isdigit() or len(raw) > 10:
        raise SeatingError(_("This person is not on the list."))
    return (SeatAssignment.invitation_id if kind == "i" else SeatAssignment.guest_id), int(raw)


@dataclass
class Result:
    seated: int
    unseated: list[protocol.Person]


def assign(event: Event) -> Result:
    """Seat everyone in protocol order (the rule in this module's docstring), replacing the plan's seats."""
    order = protocol.read(event)
    all_tables = tables(event)
    db.session.execute(delete(SeatAssignment).where(SeatAssignment.event_id == event.id))
    index, used = 0, 0  # the table being filled, and its seats taken
    rows, unseated = [], []
    for unit in order.units:
        group = unit.people
        while index < len(all_tables) and used and used + len(group) > all_tables[index].capacity:
            index, used = index + 1, 0  # the group starts the next table
        if index >= len(all_tables):
            unseated += group
            continue
        for person in group:
            while index < len(all_tables) and used >= all_tables[index].capacity:
                index, used = index + 1, 0  # a group larger than a table goes on at the next
            if index >= len(all_tables):
                unseated.append(person)
                continue
            used += 1
            rows.append({"event_id": event.id, "table_id": all_tables[index].id, "seat": used,
                         "invitation_id": person.id if person.kind == "i" else None,
                         "guest_id": person.id if person.kind == "g" else None, "updated_at": utcnow()})
    if rows:
        db.session.execute(SeatAssignment.__table__.insert(), rows)
    audit.for_event("settings_changed", ("events", event.id), event, what="seating", change="assigned",
                    seated=len(rows), unseated=len(unseated))
    return Result(len(rows), unseated)


def place(event: Event, key: str, table: SeatTable, seat: int | None) -> None:
    """Seat the person `key` ("i-<invitation id>" or "g-<guest id>") at `table`: at `seat` (whoever sat
    there takes the person's old seat, or stands up when they had none), or at its first free seat.
    Capacity is enforced: a full table has no free seat, and seats run from 1 to its capacity."""
    column, person_id = _person_column(key)
    if key not in {person.key for person in protocol.read(event).people()}:
        raise SeatingError(_("This person is not on the list."))
    mine = db.session.scalar(select(SeatAssignment).where(SeatAssignment.event_id == event.id, column == person_id))
    taken = {row.seat: row for row in db.session.scalars(select(SeatAssignment).where(SeatAssignment.table_id == table.id))}
    if seat is None:
        free = [n for n in range(1, table.capacity + 1) if n not in taken]
        if not free:
            raise SeatingError(_("Table %(n)s is full (%(capacity)s seats).", n=table.number, capacity=table.capacity))
        seat = free[0]
    if not 1 <= seat <= table.capacity:
        raise SeatingError(_("Table %(n)s has seats 1 to %(capacity)s.", n=table.number, capacity=table.capacity))
    other = taken.get(seat)
    if other is not None and other is mine:
        return
    if other is not None:
        if mine is not None:
            old_table, old_seat = mine.table_id, mine.seat
            db.session.delete(mine)
            db.session.flush()
            other.table_id, other.seat = old_table, old_seat
            db.session.flush()
        else:
            db.session.delete(other)
            db.session.flush()
        mine = None
    if mine is None:
        mine = SeatAssignment(event_id=event.id, table_id=table.id, seat=seat,
                              invitation_id=person_id if column is SeatAssignment.invitation_id else None,
                              guest_id=person_id if column is SeatAssignment.guest_id else None)
        db.session.add(mine)
    else:
        mine.table_id, mine.seat = table.id, seat
    db.session.flush()
    audit.for_event("settings_changed", ("events", event.id), event, what="seating", change="placed", person=key,
                    table_id=table.id, seat=seat, swapped=other is not None)


def unseat(event: Event, key: str) -> None:
    column, person_id = _person_column(key)
    removed = db.session.execute(delete(SeatAssignment).where(SeatAssignment.event_id == event.id,
                                                              column == person_id)).rowcount
    if removed:
        audit.for_event("settings_changed", ("events", event.id), event, what="seating", change="unseated",
                        person=key)


@dataclass
class Seat:
    person: protocol.Person
    table: SeatTable | None
    seat: int | None
    changed_after_print: bool


def seats(event: Event, order: protocol.Order | None = None) -> tuple[list[Seat], list[SeatTable]]:
    """Everyone in protocol order with their seat (or none), and the tables."""
    order = order or protocol.read(event)
    all_tables = tables(event)
    by_id = {table.id: table for table in all_tables}
    printed = printed_at(event)
    where: dict[str, tuple] = {}
    for row in db.session.execute(select(SeatAssignment.table_id, SeatAssignment.seat, SeatAssignment.invitation_id,
                                         SeatAssignment.guest_id, SeatAssignment.updated_at)
                                  .where(SeatAssignment.event_id == event.id)).all():
        key = f"i-{row.invitation_id}" if row.invitation_id else f"g-{row.guest_id}"
        where[key] = (by_id.get(row.table_id), row.seat, printed is not None and row.updated_at > printed)
    result = []
    for person in order.people():
        table, seat, changed = where.get(person.key, (None, None, False))
        result.append(Seat(person, table, seat, changed))
    return result, all_tables


def printed_at(event: Event):
    return db.session.scalar(select(SeatingState.cards_printed_at).where(SeatingState.event_id == event.id))


def mark_printed(event_id: int) -> None:
    state = db.session.get(SeatingState, event_id)
    if state is None:
        db.session.add(SeatingState(event_id=event_id, cards_printed_at=utcnow()))
    else:
        state.cards_printed_at = utcnow()


def seats_by_invitation(connection, event_id: int) -> dict[int, tuple[str, int, int]]:
    """(shape, table number, seat) of each seated invitee: plain rows, for the door list."""
    return _seats_by(connection, event_id, SeatAssignment.invitation_id)


def seats_by_guest(connection, event_id: int) -> dict[int, tuple[str, int, int]]:
    """(shape, table number, seat) of each seated named guest or delegation member, by guest id."""
    return _seats_by(connection, event_id, SeatAssignment.guest_id)


def _seats_by(connection, event_id: int, person) -> dict[int, tuple[str, int, int]]:
    return {row[0]: (row.shape, row.number, row.seat) for row in connection.execute(
        select(person, SeatTable.shape, SeatTable.number, SeatAssignment.seat)
        .join(SeatTable, SeatTable.id == SeatAssignment.table_id)
        .where(SeatAssignment.event_id == event_id, person.is_not(None))).all()}
