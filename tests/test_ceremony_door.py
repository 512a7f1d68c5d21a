"""The door's kept list carries each invitee's seat ("Bàn 3 · ghế 5" on the card after check-in): a seat
given or moved changes the list's version, and a phone that holds the old one gets just that line."""
from __future__ import annotations

from eventsapp.attendance import services
from eventsapp.ceremony import seating
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
