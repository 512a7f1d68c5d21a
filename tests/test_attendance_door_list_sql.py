"""The door's kept list written by PostgreSQL (attendance/doorlist_sql.py) is byte for byte the list Python
writes (attendance/doorlist.py, the writer of any other database): hostile names, associations in and out
of the tree, seats at a round table and in a row, named guests and delegation members, check-ins at a
whole second and not, by staff without a name and by nobody, walk-ins, undone and revoked."""
from __future__ import annotations

import json
from datetime import timedelta

from sqlalchemy import select

from eventsapp.attendance import doorlist, services
from eventsapp.ceremony import seating
from eventsapp.ceremony.models import SeatTable
from eventsapp.guests.models import EventGuest
from eventsapp.invitations.models import InvitationStatus
from eventsapp.timeutils import utcnow
from tests.attendance_factories import invite
from tests.ceremony_support import ceremony
from tests.factories import AssociationFactory, UserFactory
from tests.test_attendance_door_list import body_of, fetch

HOSTILE = [
    'Nguyễn "Văn" \\ An', "Trần\r\nThị Bình", "Lê\tHoàng\x01\x1f\x7f Cường", "Phạm\u2028Thu\u2029Hà",
    "=cmd|' /C calc'!A0", "javascript:alert(1)", "{}", "😀 Đỗ Minh Đức", "Z" * 200, "</script><b>Ánh</b>",
]


def both_writers(event):
    """The list as PostgreSQL writes it and as Python writes it, read in one snapshot."""
    from eventsapp.extensions import db

    with db.engine.connect().execution_options(isolation_level="REPEATABLE READ") as connection:
        with connection.begin():
            return (doorlist.build(connection, event, in_database=True),
                    doorlist.build(connection, event, in_database=False))


def test_postgresql_writes_the_same_bytes_as_python(db):
    world = ceremony(invitees=24, tables=3, capacity=10, delegation_sizes=(3,), under_way=True)
    event, door_staff = world.event, world.door_staff
    seating.assign(event)
    db.session.scalars(select(SeatTable).where(SeatTable.event_id == event.id, SeatTable.number == 2)).one().shape = "row"
    quoted = AssociationFactory(name_vi='Chi hội "Đà Nẵng" \\ 1', parent=event.association)
    accented = AssociationFactory(name_vi="Ánh Dương", parent=event.association)
    outside = AssociationFactory(name_vi="Hội khác")
    hostile = [invite(event, full_name=name, guests=n % 3,
                      status=[InvitationStatus.ACCEPTED, InvitationStatus.DECLINED, InvitationStatus.PENDING][n % 3])
               for n, name in enumerate(HOSTILE)]
    hostile[0].contact.associations.extend([quoted, accented, outside])
    hostile[1].contact.associations.remove(event.association)  # on the list, in no association of the tree
    hostile[2].is_honoree = True
    db.session.add(EventGuest(event_id=event.id, invitation_id=hostile[3].id, full_name='Khách "một"\n', honorific=""))
    db.session.commit()

    nameless = UserFactory(name="", email="cua-2@example.vn")
    at_a_whole_second = utcnow().replace(microsecond=0) - timedelta(minutes=5)
    services.check_in_invitation(hostile[0], by=door_staff)
    services.check_in_invitation(hostile[3], by=nameless, guests=2).client_id = 'phone-"1"\\\r\n'
    services.check_in_invitation(hostile[4], by=None).checked_in_at = at_a_whole_second
    services.check_in_invitation(world.invitations[5], by=door_staff)
    member = db.session.scalars(select(EventGuest).where(EventGuest.delegation_id.is_not(None))).first()
    services.check_in_guest(event, member, by=door_staff)
    db.session.commit()
    services.undo(services.active_check_in(event.id, world.invitations[5].contact_id), by=door_staff)
    walk_in = services.register_walk_in(event, by=door_staff, full_name='Vãng "Lai" \\ 😀')
    walk_in.contact.associations.append(quoted)
    services.check_in_invitation(world.invitations[7], by=door_staff)
    world.invitations[7].revoked_at = utcnow()  # let in, then uninvited: a line as a walk-in's
    db.session.commit()

    in_database, in_python = both_writers(event)
    assert in_database.rows == in_python.rows
    assert in_database.order == in_python.order and in_database.states == in_python.states
    assert in_database.walk_ins == in_python.walk_ins == {walk_in.contact_id, world.invitations[7].contact_id}
    assert in_database.counts == in_python.counts
    for key in in_database.rows:  # every line is JSON a phone reads, ending with its check-in
        line = json.loads(in_database.rows[key])
        assert json.loads(in_database.head(key) + json.dumps(line["check_in"]) + "}") == line
    lines = {line["contact_id"]: line for line in map(json.loads, in_database.rows.values())}
    assert lines[hostile[0].contact_id]["association"] == ", ".join(
        sorted([event.association.name_vi, 'Chi hội "Đà Nẵng" \\ 1', "Ánh Dương"]))
    assert lines[hostile[1].contact_id]["association"] == ""
    assert lines[hostile[3].contact_id]["check_in"]["by"] == "cua-2@example.vn"
    assert lines[hostile[3].contact_id]["guests"] == 0  # one named guest of the invitation's one other
    assert lines[hostile[4].contact_id]["check_in"]["by"] == "—"
    assert lines[hostile[4].contact_id]["check_in"]["at"] == at_a_whole_second.isoformat()
    assert lines[world.invitations[5].contact_id]["check_in"] is None
    assert lines[-member.id]["check_in"]["by"] == "Trần Văn Nam"
    assert {line["seat"]["row"] for line in lines.values() if line["seat"]} == {True, False}
    assert lines[hostile[0].contact_id]["code_hash"] == services.code_hash(event.id, hostile[0].checkin_token)


def test_a_phone_gets_the_database_written_list_and_then_only_the_lines_a_check_in_changes(client, auth, db):
    world = ceremony(invitees=12, tables=2, capacity=10, delegation_sizes=(), under_way=True)
    hostile = invite(world.event, full_name='Trần "Văn"\r\nKhách')
    db.session.commit()
    auth.login(world.door_staff)
    doorlist.forget_all()
    kept = body_of(fetch(client, world.event))
    assert [line["name"] for line in kept["people"] if line["contact_id"] == hostile.contact_id] == [
        'Trần "Văn"\r\nKhách']
    services.check_in_invitation(hostile, by=world.door_staff)
    db.session.commit()
    delta = body_of(fetch(client, world.event, held=kept["version"]))
    assert [line["contact_id"] for line in delta["changed"]] == [hostile.contact_id]
    assert delta["changed"][0]["check_in"]["by"] == "Trần Văn Nam"
    doorlist.forget_all()
    fresh = body_of(fetch(client, world.event))
    assert [line for line in fresh["people"] if line["contact_id"] == hostile.contact_id] == delta["changed"]
    in_database, in_python = both_writers(world.event)  # no named guest nor walk-in: the database's order
    assert in_database.order == in_python.order and in_database.rows == in_python.rows
    assert [line["contact_id"] for line in fresh["people"]] == list(in_database.order)
