"""Protocol order and automatic seating: 120 accepted guests of mixed rank, their named guests and three
delegations, seated with every rule kept; moves by hand within capacity, flagged after printing."""
from __future__ import annotations

from collections import Counter

from sqlalchemy import func, select

from eventsapp.ceremony import protocol, seating
from eventsapp.ceremony.models import SeatAssignment
from tests.attendance_factories import invite
from tests.ceremony_support import ceremony


def test_the_order_follows_the_table_without_diacritics_longest_words_first(db):
    lines = [protocol.Line(1, "Lãnh đạo tỉnh", protocol.words_of("Chủ tịch UBND tỉnh; Phó Chủ tịch UBND tỉnh")),
             protocol.Line(2, "Phó chủ tịch", protocol.words_of("Phó Chủ tịch")),
             protocol.Line(3, "Chủ tịch các hội", protocol.words_of("Chủ tịch Hội"))]
    assert protocol.match("PHO CHU TICH UBND TINH Bắc Giang", lines).order == 1
    assert protocol.match("Phó Chủ tịch Hội hữu nghị", lines).order == 2  # as long as "chu tich hoi": the earlier line
    assert protocol.match("Chủ tịch Hội Việt – Séc", lines).order == 3
    assert protocol.match("Hội viên", lines) is None
    assert protocol.match("", lines) is None


def test_120_guests_and_three_delegations_are_seated_with_every_rule_kept(db):
    world = ceremony()
    result = seating.assign(world.event)
    db.session.commit()
    order = protocol.read(world.event)
    people = order.people()
    assert len(people) == 120 + 11 + (3 + 5 + 11)
    assert result.unseated == [] and result.seated == len(people)
    seats, tables = seating.seats(world.event, order)
    where = {each.person.key: (each.table.number, each.seat) for each in seats}
    # Highest rank first: the provincial leaders open the order and sit at table 1 from seat 1.
    assert [p.line.label for p in people[:4]] == ["Lãnh đạo tỉnh"] * 4
    assert where[people[0].key] == (1, 1)
    # Nobody sits at a lower-numbered table than someone ranked before them.
    numbers = [where[p.key][0] for p in people]
    assert numbers == sorted(numbers)
    # Capacity: no seat twice, no seat beyond the table's.
    assert max(Counter(where.values()).values()) == 1
    assert all(1 <= seat <= 10 for _, seat in where.values())
    # An invitee's guest sits beside them.
    for unit in order.units:
        if unit.kind == "i" and len(unit.people) > 1:
            host, guest = unit.people[0], unit.people[1]
            assert where[guest.key] == (where[host.key][0], where[host.key][1] + 1)
    # A delegation sits together, head first, at one table or (larger than a table) consecutive tables.
    delegations = [unit for unit in order.units if unit.kind == "d"]
    assert len(delegations) == 3
    for unit in delegations:
        assert unit.line.label == "Khách quốc tế (theo đoàn)"
        places = [where[p.key] for p in unit.people]
        assert unit.people[0].kind == "i"  # the leader, by their invitation
        tables_used = sorted({number for number, _ in places})
        assert tables_used == list(range(tables_used[0], tables_used[0] + len(tables_used)))
        if len(unit.people) <= 10:
            assert len(tables_used) == 1
            assert [seat for _, seat in places] == list(range(places[0][1], places[0][1] + len(places)))


def test_a_move_by_hand_respects_capacity_swaps_and_is_flagged_after_printing(db):
    world = ceremony(invitees=30, tables=4, capacity=10, delegation_sizes=())
    seating.assign(world.event)
    seating.mark_printed(world.event.id)
    db.session.commit()
    order = protocol.read(world.event)
    first, last = order.people()[0], order.people()[-1]
    table_1 = world.tables[0]
    # Table 1 is full: a free seat there does not exist.
    try:
        seating.place(world.event, last.key, table_1, None)
        raise AssertionError("a full table took one more")
    except seating.SeatingError as error:
        assert "10" in str(error)
    db.session.rollback()
    # A chosen seat beyond the table's seats is refused; a taken one swaps.
    try:
        seating.place(world.event, last.key, table_1, 11)
        raise AssertionError("seat 11 at a table of 10")
    except seating.SeatingError:
        db.session.rollback()
    before = {each.person.key: (each.table.number, each.seat) for each in seating.seats(world.event)[0]}
    seating.place(world.event, last.key, table_1, 1)
    db.session.commit()
    seats, _ = seating.seats(world.event)
    after = {each.person.key: (each.table.number, each.seat) for each in seats}
    assert after[last.key] == (1, 1) and after[first.key] == before[last.key]
    assert {each.person.key for each in seats if each.changed_after_print} == {first.key, last.key}


def test_moving_a_line_pins_the_order_and_a_latecomer_goes_after_their_own_line(db):
    world = ceremony(invitees=40, tables=5, delegation_sizes=())
    keys = [unit.key for unit in protocol.read(world.event).units]
    assert protocol.move(world.event, keys[5], 1)
    db.session.commit()
    moved = [unit.key for unit in protocol.read(world.event).units]
    assert moved[0] == keys[5] and moved[1:6] == keys[:5] and moved[6:] == keys[6:]
    # A chair of an association who accepts later: after the pinned chairs, before the members.
    late = invite(world.event, full_name="Võ Văn Muộn", honorific="Ông", position="Chủ tịch Hội người Việt")
    units = protocol.read(world.event).units
    lines = [unit.line.label if unit.line else None for unit in units]
    place = [unit.key for unit in units].index(f"i-{late.id}")
    assert lines[place - 1] == "Chủ tịch các hội" and lines[place + 1] is None
    protocol.reset(world.event)
    db.session.commit()
    assert [unit.key for unit in protocol.read(world.event).units if unit.key != f"i-{late.id}"] == keys


def test_seating_again_replaces_every_seat(db):
    world = ceremony(invitees=12, tables=2, delegation_sizes=())
    seating.assign(world.event)
    seating.assign(world.event)
    db.session.commit()
    assert db.session.scalar(select(func.count(SeatAssignment.id))) == 12
