"""Named guests: an invitee names the guests they bring (RSVP page, the staff by phone, until the deadline);
each gets their own code, line on the door list and check-in, and counts as a person in capacity."""
from __future__ import annotations

import hashlib
import json
import re
from datetime import timedelta

from sqlalchemy import func, select

from eventsapp.associations.models import Role
from eventsapp.attendance.models import CheckIn
from eventsapp.guests.models import EventGuest
from eventsapp.invitations.models import Invitation, InvitationStatus
from eventsapp.timeutils import utcnow
from tests.conftest import csrf_token_from
from tests.factories import ContactFactory, EventFactory, InvitationFactory, staff

HOSTILE = {
    "CR/LF": "Lan\r\nBcc: x@example.com",
    "NUL": "Lan\x00",
    "surrogate": "Lan\ud800",
    "long": "L" * 10_000,
}


def fresh(db, model, row_id):
    db.session.expire_all()
    return db.session.get(model, row_id)


def guests_of(db, invitation) -> list[EventGuest]:
    db.session.expire_all()
    return list(db.session.scalars(select(EventGuest).where(EventGuest.invitation_id == invitation.id)
                                   .order_by(EventGuest.id)))


def post_form(client, url, data):
    page = client.get(url)
    return client.post(url, data={"csrf_token": csrf_token_from(page.text), **data})


def answer(client, invitation, **data):
    return post_form(client, f"/rsvp/{invitation.token}", data)


def name_guests(client, invitation, *names, **extra):
    data = {}
    for index, name in enumerate(names):
        data[f"guest-{index}-full_name"] = name
    data.update(extra)
    return post_form(client, f"/rsvp/{invitation.token}/guests", data)


def family_event(**kwargs):
    event = EventFactory(max_guests=2, guests_must_be_named=True, capacity=kwargs.pop("capacity", 50), **kwargs)
    contact = ContactFactory(full_name="Nguyễn Văn An", language="vi")
    contact.associations.append(event.association)
    return event, InvitationFactory(event=event, contact=contact)


def test_a_family_of_three_is_named_on_the_rsvp_page_and_checked_in_separately(client, auth, db):
    event, invitation = family_event()
    assert answer(client, invitation, status="accepted").status_code == 303
    page = client.get(f"/rsvp/{invitation.token}").text
    assert "Ghi tên hoặc sửa khách đi cùng" in page
    assert 'id="guests"' not in page  # the number is the names: no number to type

    response = name_guests(client, invitation, "Trần Thị Bình", "Nguyễn Minh Châu",
                           **{"guest-0-honorific": "Bà", "guest-1-phone": "+84 912 345 678"})
    assert response.status_code == 303
    saved = fresh(db, Invitation, invitation.id)
    assert (saved.status, saved.guests) == (InvitationStatus.ACCEPTED, 2)
    guests = guests_of(db, invitation)
    assert [(g.honorific, g.full_name, g.phone) for g in guests] == [
        ("Bà", "Trần Thị Bình", None), ("", "Nguyễn Minh Châu", "+84912345678")]
    assert len({invitation.checkin_token, *(g.checkin_token for g in guests)}) == 3
    shown = client.get(f"/rsvp/{invitation.token}").text
    assert "Bà Trần Thị Bình" in shown and "Nguyễn Minh Châu" in shown

    # The door: three lines, each with its own code's hash; three check-ins, one per scanned code.
    _event, user = event, staff(event.association, Role.CHECKIN)
    auth.login(user)
    door = client.get(f"/events/{event.id}/checkin/door.json").get_json()
    lines = {line["contact_id"]: line for line in door["people"]}
    assert len(lines) == 3
    host_line = lines[invitation.contact_id]
    assert host_line["guests"] == 0  # both guests come in on their own codes
    for guest in guests:
        line = lines[-guest.id]
        assert line["code_hash"] == hashlib.sha256(f"{event.id}:{guest.checkin_token}".encode()).hexdigest()
        assert line["association"] == "+ Nguyễn Văn An"
        assert guest.checkin_token not in json.dumps(door)
    token = csrf_token_from(client.get(f"/events/{event.id}/checkin").text)
    for code in (invitation.checkin_token, guests[0].checkin_token):
        scanned = client.post(f"/events/{event.id}/checkin/scan", data={"code": f"http://x/c/{code}",
                                                                         "csrf_token": token})
        assert scanned.status_code == 302
    again = client.post(f"/events/{event.id}/checkin/scan", data={"code": guests[0].checkin_token,
                                                                   "csrf_token": token},
                        headers={"Accept": "application/json"})
    assert again.status_code == 409 and "Đã điểm danh" in again.get_json()["message"]
    # The third comes in on a phone that was offline: its queued check-in names the guest's line.
    sync = client.post(f"/events/{event.id}/checkin/sync", data=json.dumps({"ops": [{
        "id": "phone-a-guest-0001", "type": "checkin", "contact_id": -guests[1].id, "guests": 0,
        "at": utcnow().isoformat()}]}), headers={"Content-Type": "application/json", "X-CSRFToken": token})
    assert sync.get_json()["results"][0]["status"] == "applied"
    rows = db.session.scalars(select(CheckIn).where(CheckIn.event_id == event.id, CheckIn.undone_at.is_(None))).all()
    assert sorted((r.contact_id is not None, r.guest_id or 0, r.guests) for r in rows) == sorted(
        [(True, 0, 0), (False, guests[0].id, 0), (False, guests[1].id, 0)])
    counts = client.get(f"/events/{event.id}/checkin/counts").get_json()
    assert (counts["checked_in_total"], counts["expected_total"]) == (3, 3)
    # The list the phones keep shows the three in.
    door = client.get(f"/events/{event.id}/checkin/door.json").get_json()
    assert all(line["check_in"] is not None for line in door["people"])


def test_renaming_keeps_the_code_and_clearing_a_name_removes_the_guest(client, db):
    event, invitation = family_event()
    answer(client, invitation, status="accepted")
    name_guests(client, invitation, "Trần Thị Bình", "Nguyễn Minh Châu")
    first, second = guests_of(db, invitation)
    response = post_form(client, f"/rsvp/{invitation.token}/guests", {
        "guest-0-id": str(first.id), "guest-0-full_name": "Trần Thị Bình An",
        "guest-1-id": str(second.id), "guest-1-full_name": ""})
    assert response.status_code == 303
    kept = guests_of(db, invitation)
    assert [(g.id, g.full_name, g.checkin_token) for g in kept] == [(first.id, "Trần Thị Bình An", first.checkin_token)]
    assert fresh(db, Invitation, invitation.id).guests == 1


def test_names_are_optional_unless_the_event_asks_and_the_count_follows(client, db):
    event = EventFactory(max_guests=3, capacity=None)
    invitation = InvitationFactory(event=event)
    answer(client, invitation, status="accepted", guests="3")
    name_guests(client, invitation, "Lê Văn Dũng")
    assert fresh(db, Invitation, invitation.id).guests == 3  # one named of three
    response = answer(client, invitation, status="accepted", guests="0")
    assert response.status_code == 400 and "Quý vị đã ghi tên 1 khách" in response.text
    assert fresh(db, Invitation, invitation.id).guests == 3


def test_guests_cannot_be_named_before_accepting_after_the_deadline_or_beyond_the_limit(client, db):
    event, invitation = family_event()
    page = client.get(f"/rsvp/{invitation.token}/guests")
    assert page.status_code == 200 and 'id="guests-closed"' in page.text
    answer(client, invitation, status="accepted")
    response = name_guests(client, invitation, "A Một", "B Hai", "C Ba")  # the third slot is not on the form
    assert response.status_code == 303 and len(guests_of(db, invitation)) == 2
    late_event, late = family_event(rsvp_deadline=utcnow() + timedelta(hours=1))
    answer(client, late, status="accepted")
    token = csrf_token_from(client.get(f"/rsvp/{late.token}/guests").text)
    late_event.rsvp_deadline = utcnow() - timedelta(minutes=1)
    db.session.commit()
    response = client.post(f"/rsvp/{late.token}/guests", data={"csrf_token": token,
                                                               "guest-0-full_name": "Trần Thị Bình"})
    assert response.status_code == 400 and "Đã hết hạn trả lời" in response.text
    assert "Đã hết hạn trả lời" in client.get(f"/rsvp/{late.token}/guests").text
    assert guests_of(db, late) == []


def test_a_full_event_refuses_more_named_guests_and_keeps_the_seat(client, db):
    event, invitation = family_event(capacity=3)
    other = InvitationFactory(event=event, status=InvitationStatus.ACCEPTED, guests=0)
    assert other.status == InvitationStatus.ACCEPTED
    answer(client, invitation, status="accepted")
    response = name_guests(client, invitation, "Trần Thị Bình", "Nguyễn Minh Châu")
    assert response.status_code == 400
    assert "Chỉ còn 1 chỗ" in response.text
    saved = fresh(db, Invitation, invitation.id)
    assert (saved.status, saved.guests) == (InvitationStatus.ACCEPTED, 0)
    assert guests_of(db, invitation) == []
    assert 'value="Nguyễn Minh Châu"' in response.text  # what was typed is kept on the page


def test_hostile_values_on_every_guest_field_are_refused_with_a_message(client, db):
    event, invitation = family_event()
    answer(client, invitation, status="accepted")
    for field in ("full_name", "honorific", "email", "phone"):
        for label, value in HOSTILE.items():
            if label == "surrogate":
                continue  # a form cannot carry half a pair (it is no UTF-8): the API's tests send it
            data = {"guest-0-full_name": "Trần Thị Bình", f"guest-0-{field}": value}
            response = post_form(client, f"/rsvp/{invitation.token}/guests", data)
            # Control characters and lone surrogates are refused for every request before any view
            # (eventsapp/validation.py); the length by the guests' own check, beside the field.
            assert response.status_code == 400, (field, label)
            if label == "long":
                assert "is-invalid" in response.text, (field, label)
    for field, value in (("email", "javascript:alert(1)"), ("phone", "=cmd|' /C calc'!A0"), ("phone", "0912")):
        response = post_form(client, f"/rsvp/{invitation.token}/guests",
                             {"guest-0-full_name": "Trần Thị Bình", f"guest-0-{field}": value})
        assert response.status_code == 400, (field, value)
    assert guests_of(db, invitation) == []
    # Text that is only text is kept as typed and shown escaped.
    name_guests(client, invitation, "=cmd|' /C calc'!A0 <script>")
    assert guests_of(db, invitation)[0].full_name == "=cmd|' /C calc'!A0 <script>"
    assert "<script>" not in client.get(f"/rsvp/{invitation.token}").text.split("</header>")[-1].split(
        "event-description")[0]


def test_the_staff_name_guests_by_phone_after_the_deadline(client, auth, db):
    event, invitation = family_event(rsvp_deadline=utcnow() + timedelta(hours=1))
    invitation.status = InvitationStatus.ACCEPTED
    event.rsvp_deadline = utcnow() - timedelta(minutes=1)
    db.session.commit()
    auth.login(staff(event.association, Role.ORGANISER))
    url = f"/events/{event.id}/invitations/{invitation.id}/guests"
    page = client.get(url)
    assert page.status_code == 200 and "Khách đi cùng của Nguyễn Văn An" in page.text
    response = post_form(client, url, {"guest-0-full_name": "Trần Thị Bình"})
    assert response.status_code == 303
    assert [g.full_name for g in guests_of(db, invitation)] == ["Trần Thị Bình"]
    tab = client.get(f"/events/{event.id}/guests").text
    assert "Trần Thị Bình" in tab and "Nguyễn Văn An" in tab


def test_the_pages_speak_english_to_an_english_invitee(client, db):
    event = EventFactory(max_guests=2)
    contact = ContactFactory(language="en")
    invitation = InvitationFactory(event=event, contact=contact, status=InvitationStatus.ACCEPTED, guests=1)
    page = client.get(f"/rsvp/{invitation.token}/guests").text
    assert "Your guests" in page and "Save the names" in page
    assert re.search(r'lang="en"', page)


def test_a_revoked_invitation_has_no_guests_page_and_its_guests_leave_the_door(client, auth, db):
    event, invitation = family_event()
    answer(client, invitation, status="accepted")
    name_guests(client, invitation, "Trần Thị Bình")
    guest = guests_of(db, invitation)[0]
    invitation = fresh(db, Invitation, invitation.id)
    invitation.revoked_at = utcnow()
    db.session.commit()
    assert client.get(f"/rsvp/{invitation.token}/guests").status_code == 404
    auth.login(staff(event.association, Role.CHECKIN))
    door = client.get(f"/events/{event.id}/checkin/door.json").get_json()
    assert -guest.id not in {line["contact_id"] for line in door["people"]}
    token = csrf_token_from(client.get(f"/events/{event.id}/checkin").text)
    response = client.post(f"/events/{event.id}/checkin/scan", data={"code": guest.checkin_token, "csrf_token": token},
                           headers={"Accept": "application/json"})
    assert response.status_code == 422
    assert db.session.scalar(select(func.count(CheckIn.id))) == 0


def test_the_door_lists_delta_carries_a_named_guest_added_renamed_checked_in_and_removed(client, auth, db):
    event, invitation = family_event()
    answer(client, invitation, status="accepted")
    auth.login(staff(event.association, Role.CHECKIN))
    url = f"/events/{event.id}/checkin/door.json"
    first = client.get(url)
    held = first.headers["ETag"]
    assert client.get(url, headers={"If-None-Match": held}).status_code == 304

    name_guests(client, invitation, "Trần Thị Bình")
    guest = guests_of(db, invitation)[0]
    delta = client.get(url, headers={"If-None-Match": held})
    body = delta.get_json()
    assert body["full"] is False
    changed = {line["contact_id"]: line for line in body["changed"]}
    assert changed[-guest.id]["name"] == "Trần Thị Bình"
    assert changed.get(invitation.contact_id, {"guests": 0})["guests"] == 0  # the guest is named: none other comes
    held = delta.headers["ETag"]

    token = csrf_token_from(client.get(f"/events/{event.id}/checkin").text)
    client.post(f"/events/{event.id}/checkin/scan", data={"code": guest.checkin_token, "csrf_token": token})
    delta = client.get(url, headers={"If-None-Match": held})
    changed = {line["contact_id"]: line for line in delta.get_json()["changed"]}
    assert list(changed) == [-guest.id] and changed[-guest.id]["check_in"] is not None
    held = delta.headers["ETag"]

    post_form(client, f"/rsvp/{invitation.token}/guests", {"guest-0-id": str(guest.id), "guest-0-full_name": ""})
    delta = client.get(url, headers={"If-None-Match": held}).get_json()
    assert -guest.id in delta["removed"]
