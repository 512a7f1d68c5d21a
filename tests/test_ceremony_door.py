"""The door's kept list carries each invitee's seat ("Bàn 3 · ghế 5" on the card after check-in): a seat
given or moved changes the list's version, and a phone that holds the old one gets just that line."""
from __future__ import annotations

from sqlalchemy import select

from eventsapp.attendance import services
from eventsapp.ceremony import seating
from eventsapp.ceremony.models import SeatAssignment, SeatTable
from eventsapp.guests.models import EventGuest
from tests.ceremony_support import ceremony
from tests.test_attendance_door_list import body_of, fetch


def test_the_seat_travels_in_the_door_list_and_a_move_sends_only_that_line(client, auth, db):
    world = ceremony(invitees=14, tables=2, capacity=10, delegation_sizes=())
    seating.assign(world.event)
    db.session.commit()
    auth.login(world.door_staff)
    kept = body_of(fetch(client, world.event))
    by_contact = {line["contact_id"]: line for line in kept["people"]}
    first, last = world.invitations[0], world.invitations[13]
    assert by_contact[first.contact_id]["seat"] == {"table": 1, "seat": 1, "row": False}
    assert by_contact[last.contact_id]["seat"]["table"] == 2
    assert fetch(client, world.event, held=kept["version"]).status_code == 304

    seating.place(world.event, f"i-{last.id}", world.tables[1], 10)
    db.session.commit()
    delta = body_of(fetch(client, world.event, held=kept["version"]))
    assert delta["full"] is False
    assert [line["contact_id"] for line in delta["changed"]] == [last.contact_id]
    assert delta["changed"][0]["seat"] == {"table": 2, "seat": 10, "row": False}


def test_the_server_drawn_card_shows_the_seat_after_check_in(client, auth, db):
    world = ceremony(invitees=3, tables=1, delegation_sizes=())
    seating.assign(world.event)
    db.session.commit()
    invitation = world.invitations[1]
    services.check_in_invitation(invitation, by=world.door_staff)
    db.session.commit()
    auth.login(world.door_staff)
    page = client.get(f"/events/{world.event.id}/checkin/search?q={invitation.contact.full_name}")
    assert "Bàn 1 · ghế 2" in page.text


def test_a_named_guest_and_a_delegation_member_carry_their_own_seat_to_the_door(client, auth, db):
    world = ceremony(invitees=14, tables=3, capacity=10, delegation_sizes=(3,))
    seating.assign(world.event)
    db.session.commit()
    seats = {assignment.guest_id: assignment for assignment in db.session.scalars(
        select(SeatAssignment).where(SeatAssignment.event_id == world.event.id, SeatAssignment.guest_id.is_not(None)))}
    guests = db.session.scalars(select(EventGuest).where(EventGuest.event_id == world.event.id)).all()
    assert guests and {guest.id for guest in guests} == set(seats)
    auth.login(world.door_staff)
    lines = {line["contact_id"]: line for line in body_of(fetch(client, world.event))["people"]}
    for guest in guests:  # a guest's line is under minus their id (attendance/doorlist.py)
        table = db.session.get(SeatTable, seats[guest.id].table_id)
        assert lines[-guest.id]["seat"] == {"table": table.number, "seat": seats[guest.id].seat, "row": False}
