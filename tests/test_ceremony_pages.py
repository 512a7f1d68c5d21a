"""The ceremony's pages as an organiser uses them, in Vietnamese and English: the protocol table, the
event's order with its arrow buttons (no script needed), the seating plan, the MC's list and its JSON (ETag);
hostile values in every field are refused with a message and change nothing."""
from __future__ import annotations

from urllib.parse import urlencode

import pytest
from sqlalchemy import func, select

from eventsapp.attendance.models import CheckIn
from eventsapp.ceremony import protocol, seating
from eventsapp.ceremony.models import ProtocolPosition, SeatAssignment, SeatTable
from eventsapp.contacts.models import Contact
from eventsapp.extensions import db as _db
from eventsapp.guests.models import Delegation, EventGuest
from eventsapp.invitations.models import Invitation
from eventsapp.timeutils import utcnow
from tests.ceremony_support import ceremony
from tests.conftest import csrf_token_from

WORDS = {
    "vi": {"table": "Bảng thứ tự lễ tân", "order": "Thứ tự lễ tân", "seat_all": "Xếp chỗ cho mọi người theo thứ tự lễ tân",
           "mc": "Giới thiệu đại biểu", "nobody": "Chưa có ai đến.", "rule": "Khi ngang bậc"},
    "en": {"table": "Protocol table", "order": "Protocol order", "seat_all": "Seat everyone in protocol order",
           "mc": "Introducing the delegates", "nobody": "Nobody has come in yet.", "rule": "At the same place"},
}


@pytest.mark.parametrize("language", ["vi", "en"])
def test_every_page_speaks_the_reader_s_language(client, auth, db, language):
    world = ceremony(invitees=12, tables=2, delegation_sizes=(3,))
    auth.login(world.organiser)
    client.get(f"/lang/{language}")
    words = WORDS[language]
    page = client.get(f"/associations/{world.event.association.slug}/protocol")
    assert page.status_code == 200 and words["table"] in page.text and "Lãnh đạo tỉnh" in page.text
    page = client.get(f"/events/{world.event.id}/protocol")
    assert page.status_code == 200 and words["order"] in page.text and words["rule"] in page.text
    assert "Hội người Việt tại Séc" in page.text
    page = client.get(f"/events/{world.event.id}/seating")
    assert page.status_code == 200 and words["seat_all"] in page.text and "<svg" in page.text
    page = client.get(f"/events/{world.event.id}/mc")
    assert page.status_code == 200 and words["mc"] in page.text and words["nobody"] in page.text


def test_the_arrows_move_a_line_without_a_script_and_the_table_orders_its_lines(client, auth, db):
    world = ceremony(invitees=12, tables=2, delegation_sizes=())
    auth.login(world.organiser)
    keys = [unit.key for unit in protocol.read(world.event).units]
    page = client.get(f"/events/{world.event.id}/protocol")
    answer = client.post(f"/events/{world.event.id}/protocol/move", data={
        "csrf_token": csrf_token_from(page.text), "unit": keys[3], "direction": "up"})
    assert answer.status_code == 303
    moved = [unit.key for unit in protocol.read(world.event).units]
    assert moved[2] == keys[3] and moved[3] == keys[2]
    # The association's table: the last line moved up to the first place.
    slug = world.event.association.slug
    page = client.get(f"/associations/{slug}/protocol")
    lines = _db.session.scalars(select(ProtocolPosition).order_by(ProtocolPosition.order)).all()
    for _ in range(3):
        client.post(f"/associations/{slug}/protocol/change", data={
            "csrf_token": csrf_token_from(page.text), "position_id": lines[-1].id, "action": "up"})
    _db.session.expire_all()
    assert [line.label for line in _db.session.scalars(select(ProtocolPosition).order_by(ProtocolPosition.order))][0] \
        == "Chủ tịch các hội"


def test_the_mc_json_answers_304_until_someone_comes_in(client, auth, db):
    world = ceremony(invitees=6, tables=1, delegation_sizes=())
    auth.login(world.door_staff)  # the MC may be door staff
    first = client.get(f"/events/{world.event.id}/mc.json")
    assert first.status_code == 200 and first.get_json() == {"entries": []}
    etag = first.headers["ETag"]
    assert client.get(f"/events/{world.event.id}/mc.json", headers={"If-None-Match": etag}).status_code == 304
    invitation = world.invitations[2]
    _db.session.add(CheckIn(event_id=world.event.id, contact_id=invitation.contact_id, invitation_id=invitation.id,
                            checked_in_at=utcnow()))
    _db.session.commit()
    answer = client.get(f"/events/{world.event.id}/mc.json", headers={"If-None-Match": etag})
    assert answer.status_code == 200
    assert [entry["text"] for entry in answer.get_json()["entries"]] == [
        "Đồng chí Lê Văn Long 002, Phó Chủ tịch UBND tỉnh"]


HOSTILE = ["a\r\nb", "a\x00b", "\ud800", "x" * 10_000, str(2**63), "{}", "javascript:alert(1)", "=cmd|' /C calc'!A0", "-1"]


def _state():
    _db.session.expire_all()
    return (
        [(p.order, p.label, p.keywords, p.delegations) for p in _db.session.scalars(select(ProtocolPosition).order_by(ProtocolPosition.id))],
        [(t.number, t.name, t.shape, t.capacity, t.x, t.y) for t in _db.session.scalars(select(SeatTable).order_by(SeatTable.id))],
        sorted((a.table_id, a.seat, a.invitation_id, a.guest_id) for a in _db.session.scalars(select(SeatAssignment))),
        sorted((i.id, i.protocol_rank) for i in _db.session.scalars(select(Invitation))),
        sorted((d.id, d.protocol_rank) for d in _db.session.scalars(select(Delegation))),
        sorted((c.id, c.honorific, c.position) for c in _db.session.scalars(select(Contact))),
        sorted((g.id, g.honorific, g.position) for g in _db.session.scalars(select(EventGuest))),
    )


def test_hostile_values_in_every_field_are_refused_and_change_nothing(client, auth, db):
    world = ceremony(invitees=8, tables=2, delegation_sizes=(2,))
    seating.assign(world.event)
    _db.session.commit()
    auth.login(world.organiser)
    event, slug = world.event, world.event.association.slug
    person = protocol.read(event).people()[0].key
    table = world.tables[0]
    line = _db.session.scalar(select(ProtocolPosition.id))
    forms = {
        f"/associations/{slug}/protocol": {"label": "Lãnh đạo", "keywords": "Chủ tịch"},
        f"/associations/{slug}/protocol/change": {"position_id": line, "action": "up"},
        f"/events/{event.id}/protocol/move": {"unit": f"i-{world.invitations[1].id}", "direction": "up", "to": "1"},
        f"/events/{event.id}/seating/tables": {"number": "9", "name": "Bàn", "shape": "round", "capacity": "8",
                                               "x": "10", "y": "10"},
        f"/events/{event.id}/seating/tables/change": {"table_id": table.id, "name": "Bàn", "shape": "long",
                                                      "capacity": "10", "x": "10", "y": "10"},
        f"/events/{event.id}/seating/place": {"person": person, "table_id": world.tables[1].id, "seat": "3"},
        f"/events/{event.id}/protocol/person": {"person": person, "honorific": "Ông", "position": "Chủ tịch Hội"},
    }
    token = csrf_token_from(client.get(f"/events/{event.id}/seating").text)
    # Free text keeps "javascript:" and "=cmd" as the words typed (shown escaped, printed as text), and a
    # lone surrogate cannot travel in a form (its bytes arrive as U+FFFD, a character); every other field
    # refuses them all.
    free_text = {"label", "keywords", "name", "honorific", "position"}
    before = _state()
    for url, good in forms.items():
        for name in good:
            for value in HOSTILE:
                if name in free_text and value in ("\ud800", "{}", "javascript:alert(1)", "=cmd|' /C calc'!A0", "-1", str(2**63)):
                    continue
                if name == "keywords" and value == "a\r\nb":
                    continue  # one position a line
                data = {**good, name: value, "csrf_token": token}
                body = urlencode(data, encoding="utf-8", errors="surrogatepass")  # a lone surrogate as sent raw
                answer = client.post(url, data=body, content_type="application/x-www-form-urlencoded",
                                     headers={"Accept": "text/html"})
                where = f"{url} {name}={value[:20]!r}"
                assert answer.status_code in (303, 400), where
                if answer.status_code == 303:
                    page = client.get(answer.headers["Location"])
                    assert "alert-danger" in page.text, where
                assert _state() == before, where
    # The page shows what was typed in free text as text, never as markup.
    client.post(f"/associations/{slug}/protocol", data={"label": "<script>alert(1)</script>", "keywords": "=cmd",
                                                         "csrf_token": token})
    page = client.get(f"/associations/{slug}/protocol")
    assert "<script>alert(1)" not in page.text and "&lt;script&gt;alert(1)&lt;/script&gt;" in page.text


def test_capacity_is_enforced_from_the_page_and_the_plan(client, auth, db):
    world = ceremony(invitees=12, tables=2, capacity=6, delegation_sizes=())
    seating.assign(world.event)
    _db.session.commit()
    auth.login(world.organiser)
    full, other = world.tables
    outside = next(each.person.key for each in seating.seats(world.event)[0] if each.table.id == other.id)
    token = csrf_token_from(client.get(f"/events/{world.event.id}/seating").text)
    answer = client.post(f"/events/{world.event.id}/seating/place", data={
        "csrf_token": token, "person": outside, "table_id": full.id}, headers={"Accept": "application/json"})
    assert answer.status_code == 409 and answer.get_json()["message"] == "Bàn 1 đã đủ người (6 ghế)."
    answer = client.post(f"/events/{world.event.id}/seating/tables/change", data={
        "csrf_token": token, "table_id": full.id, "shape": "round", "capacity": "4", "x": "1", "y": "1"},
        follow_redirects=True)
    assert "Ghế 6 đã có người" in answer.text
    assert _db.session.scalar(select(func.count(SeatAssignment.id)).where(SeatAssignment.table_id == full.id)) == 6


def test_an_honorific_and_position_set_on_the_order_page_move_the_person_to_their_line(client, auth, db):
    world = ceremony(invitees=40, tables=4, delegation_sizes=(2,))
    auth.login(world.organiser)
    member = world.invitations[35]  # a member of the association, no line of the table
    guest = _db.session.scalar(select(EventGuest).where(EventGuest.delegation_id.is_not(None)))
    page = client.get(f"/events/{world.event.id}/protocol")
    token = csrf_token_from(page.text)
    client.post(f"/events/{world.event.id}/protocol/person", data={
        "csrf_token": token, "person": f"i-{member.id}", "honorific": "Đồng chí", "position": "chu tich ubnd tinh"})
    client.post(f"/events/{world.event.id}/protocol/person", data={
        "csrf_token": token, "person": f"g-{guest.id}", "honorific": "Ngài", "position": "Đại sứ"})
    units = protocol.read(world.event).units
    mine = next(u for u in units if u.key == f"i-{member.id}")
    assert mine.line.label == "Lãnh đạo tỉnh" and units.index(mine) < 5  # with the four provincial leaders
    assert _db.session.get(EventGuest, guest.id).position == "Đại sứ"
    # Someone whose record another association keeps is not changed from here.
    from tests.factories import AssociationFactory, ContactFactory, InvitationFactory

    stranger = InvitationFactory(event=world.event, contact=ContactFactory(associations=[AssociationFactory()]))
    answer = client.post(f"/events/{world.event.id}/protocol/person", data={
        "csrf_token": token, "person": f"i-{stranger.id}", "honorific": "Ông", "position": "Chủ tịch"},
        follow_redirects=True)
    assert "do hội khác quản lý" in answer.text
    assert _db.session.get(Contact, stranger.contact_id).position == ""
