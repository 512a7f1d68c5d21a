"""Check-in at the door: exactly once under concurrent scans, undo, walk-ins, who may check in."""
from __future__ import annotations

import threading

import pytest
from sqlalchemy import func, select

from eventsapp.associations.models import Role
from eventsapp.attendance import services
from eventsapp.attendance.models import CheckIn
from eventsapp.auth.models import User
from eventsapp.contacts.models import Contact
from eventsapp.events.models import Event
from eventsapp.invitations.models import InvitationStatus
from eventsapp.links import card_url, checkin_url
from eventsapp.timeutils import in_zone
from tests.attendance_factories import door, invite
from tests.factories import ContactFactory, EventFactory, UserFactory


def active_rows(db, event_id: int) -> list[CheckIn]:
    db.session.expire_all()
    return list(db.session.scalars(select(CheckIn).where(CheckIn.event_id == event_id, CheckIn.undone_at.is_(None))))


def _race(count: int, attempt):
    """Run `attempt(i)` in `count` threads released at the same moment; their results."""
    barrier = threading.Barrier(count)
    results: list = [None] * count

    def run(i):
        barrier.wait()
        results[i] = attempt(i)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


def test_a_qr_code_scanned_by_many_devices_at_once_checks_in_exactly_once(app, db):
    event, user = door()
    invitation = invite(event, guests=2, full_name="Lê Thị Thu Hà")
    event_id, user_id, url = event.id, user.id, checkin_url(invitation)

    def scan(_):
        with app.app_context():
            try:
                services.check_in_by_token(db.session.get(Event, event_id), url,
                                           by=db.session.get(User, user_id))
                db.session.commit()
                return "ok"
            except services.AlreadyCheckedIn as error:
                db.session.rollback()
                return str(error)
            finally:
                db.session.remove()

    results = _race(8, scan)
    rows = active_rows(db, event_id)
    assert len(rows) == 1 and rows[0].guests == 2
    assert results.count("ok") == 1
    when = in_zone(rows[0].checked_in_at, event.timezone).strftime("%H:%M")
    refusals = [r for r in results if r != "ok"]
    assert len(refusals) == 7
    assert all(when in r and "Trần Văn Nam" in r for r in refusals), refusals


def test_concurrent_api_scans_give_one_201_and_409s_naming_the_first(app, db, api):
    event, user = door()
    invitation = invite(event)
    callers = [api(user) for _ in range(6)]
    url, token = f"/api/v1/events/{event.id}/attendance/checkins", invitation.checkin_token
    clients = [app.test_client() for _ in callers]

    def scan(i):
        response = clients[i].post(url, json={"token": token}, headers=callers[i].headers)
        return response.status_code, response.get_json()

    results = _race(len(callers), scan)
    statuses = sorted(status for status, _ in results)
    assert statuses == [201] + [409] * 5, results
    assert len(active_rows(db, event.id)) == 1
    refused = [body for status, body in results if status == 409]
    assert all(body["error"]["check_in"]["checked_in_by"] == "Trần Văn Nam" for body in refused)


def test_the_unique_index_catches_a_check_in_the_look_up_missed(app, db, monkeypatch):
    """Two devices pass the look-up at once: the index refuses the second row, with who was first."""
    event, user = door()
    invitation = invite(event)
    first = services.check_in_invitation(invitation, by=user)
    db.session.commit()
    real, calls = services.active_check_in, []

    def blind_once(*args):
        calls.append(args)
        return None if len(calls) == 1 else real(*args)

    monkeypatch.setattr(services, "active_check_in", blind_once)
    with pytest.raises(services.AlreadyCheckedIn) as refused:
        services.check_in_invitation(invitation, by=user)
    assert refused.value.existing.id == first.id
    db.session.rollback()
    assert len(active_rows(db, event.id)) == 1


def test_undo_then_check_in_again(db):
    event, user = door()
    invitation = invite(event)
    first = services.check_in_invitation(invitation, by=user)
    db.session.commit()
    with pytest.raises(services.AlreadyCheckedIn):
        services.check_in_invitation(invitation, by=user)
    db.session.rollback()
    services.undo(first, by=user)
    db.session.commit()
    assert active_rows(db, event.id) == []
    assert services.counters(event)["checked_in"] == 0
    second = services.check_in_invitation(invitation, by=user, guests=1)
    db.session.commit()
    assert second.id != first.id and [r.id for r in active_rows(db, event.id)] == [second.id]
    assert services.counters(event)["checked_in_total"] == 2
    with pytest.raises(services.CheckInError):
        services.undo(db.session.get(CheckIn, first.id), by=user)


def test_undo_on_the_page_then_check_in_again(auth, db):
    event, user = door()
    invitation = invite(event, full_name="Phạm Minh Đức")
    auth.login(user)
    page = f"/events/{event.id}/checkin"
    refused = auth.post(f"{page}/contacts/{invitation.contact_id}", {"guests": "-2"}, form_url=page,
                        headers={"Accept": "application/json"})
    assert refused.status_code == 400 and "50" in refused.json["message"] and active_rows(db, event.id) == []
    response = auth.post(f"{page}/contacts/{invitation.contact_id}", {"guests": "0"}, form_url=page,
                         headers={"Accept": "application/json"})
    assert response.status_code == 200 and response.json["ok"] and response.json["counts"]["checked_in"] == 1
    row = active_rows(db, event.id)[0]
    response = auth.post(f"{page}/{row.id}/undo", form_url=page, headers={"Accept": "application/json"})
    assert response.json["ok"] and response.json["counts"]["checked_in"] == 0
    assert "Phạm Minh Đức" in response.json["html"]
    response = auth.post(f"{page}/contacts/{invitation.contact_id}", {"guests": "1"}, form_url=page,
                         follow_redirects=True)
    assert "Phạm Minh Đức" in response.text
    assert [r.guests for r in active_rows(db, event.id)] == [1]


def test_scan_endpoint_answers_already_checked_in(auth, db):
    event, user = door()
    invitation = invite(event, full_name="Vũ Xuân Lộc")
    auth.login(user)
    page = f"/events/{event.id}/checkin"
    first = auth.post(f"{page}/scan", {"code": checkin_url(invitation)}, form_url=page,
                      headers={"Accept": "application/json"})
    assert first.status_code == 200 and "Vũ Xuân Lộc" in first.json["message"]
    second = auth.post(f"{page}/scan", {"code": invitation.checkin_token}, form_url=page,
                       headers={"Accept": "application/json"})
    assert second.status_code == 409
    row = active_rows(db, event.id)[0]
    assert in_zone(row.checked_in_at, event.timezone).strftime("%H:%M") in second.json["message"]
    assert "Trần Văn Nam" in second.json["message"]
    unknown = auth.post(f"{page}/scan", {"code": "http://eventsapp.test/rsvp/not-a-checkin-token-at-all"},
                        form_url=page, headers={"Accept": "application/json"})
    assert unknown.status_code == 422 and len(active_rows(db, event.id)) == 1


def test_a_code_for_another_event_is_refused(db):
    event, user = door()
    other = EventFactory(association=event.association)
    invitation = invite(other)
    with pytest.raises(services.CheckInError):
        services.check_in_by_token(event, invitation.checkin_token, by=user)
    assert active_rows(db, event.id) == []


def test_walk_in_with_a_new_contact_without_e_mail(auth, db):
    event, user = door()
    auth.login(user)
    page = f"/events/{event.id}/checkin"
    response = auth.post(f"{page}/walk-in", {"full_name": "Đặng Thị Ngọc Ánh", "email": "", "guests": "1"},
                         form_url=page, headers={"Accept": "application/json"})
    assert response.status_code == 200 and response.json["counts"]["walk_ins"] == 1
    row = active_rows(db, event.id)[0]
    assert row.walk_in and row.invitation_id is None and row.guests == 1
    contact = db.session.get(Contact, row.contact_id)
    assert contact.full_name == "Đặng Thị Ngọc Ánh"
    assert contact.email is None  # no placeholder address (issue 26)
    assert event.association in contact.associations
    # A second walk-in of the same name without e-mail is another person.
    auth.post(f"{page}/walk-in", {"full_name": "Đặng Thị Ngọc Ánh"}, form_url=page)
    assert len({r.contact_id for r in active_rows(db, event.id)}) == 2


def test_walk_in_with_an_existing_contact_found_by_search(auth, db):
    event, user = door()
    known = ContactFactory(full_name="Hoàng Thị Lụa", email="lua.hoang@example.vn")
    known.associations.append(event.association)
    db.session.commit()
    auth.login(user)
    page = f"/events/{event.id}/checkin"
    found = auth.client.get(f"{page}/search?q=hoang thi lua")
    assert "Hoàng Thị Lụa" in found.text
    response = auth.post(f"{page}/contacts/{known.id}", {"guests": ""}, form_url=page,
                         headers={"Accept": "application/json"})
    assert response.json["ok"]
    row = active_rows(db, event.id)[0]
    assert row.walk_in and row.contact_id == known.id and row.invitation_id is None
    # The same person by e-mail through the walk-in form: recognised, not counted twice.
    again = auth.post(f"{page}/walk-in", {"full_name": "Hoàng Thị Lụa", "email": "LUA.hoang@example.vn"},
                      form_url=page, headers={"Accept": "application/json"})
    assert again.status_code == 409
    assert db.session.scalar(select(func.count(Contact.id)).where(Contact.full_name == "Hoàng Thị Lụa")) == 1


def test_an_invitee_registered_as_walk_in_uses_the_invitation(db):
    event, user = door()
    invitation = invite(event, email="an@example.vn")
    row = services.register_walk_in(event, by=user, full_name="X", email="an@example.vn")
    assert row.invitation_id == invitation.id and not row.walk_in


def test_search_ignores_diacritics_and_finds_e_mails(auth, db):
    event, user = door()
    invite(event, full_name="Nguyễn Thị Hồng Nhung", email="nhung@example.vn", status=InvitationStatus.DECLINED)
    invite(event, full_name="Trịnh Văn Quyết", email="quyet@example.org")
    stranger = ContactFactory(full_name="Nguyễn Thị Hồng Nhung", email="khac@example.vn")  # other association
    auth.login(user)
    html = auth.client.get(f"/events/{event.id}/checkin/search?q=nguyen hong NHUNG").text
    # The door shows name, association, status and guests; e-mail addresses are searched, never shown.
    assert "Nguyễn Thị Hồng Nhung" in html and "nhung@example.vn" not in html and stranger.email not in html
    assert "Trịnh Văn Quyết" in auth.client.get(f"/events/{event.id}/checkin?q=quyet@example").text


def test_a_check_in_user_of_one_association_is_refused_on_another(auth, api, client, db):
    event, user = door()
    elsewhere, _ = door()
    invitation = invite(elsewhere)
    auth.login(user)
    assert client.get(f"/events/{elsewhere.id}/checkin").status_code == 403
    assert client.get(f"/events/{elsewhere.id}/checkin/counts").status_code == 403
    assert client.get(f"/c/{invitation.checkin_token}").status_code == 403
    page = f"/events/{event.id}/checkin"  # a CSRF token from a page the user may open
    assert auth.post(f"/events/{elsewhere.id}/checkin/scan", {"code": invitation.checkin_token},
                     form_url=page).status_code == 403
    caller = api(user)
    assert caller.post(f"/api/v1/events/{elsewhere.id}/attendance/checkins",
                       json={"token": invitation.checkin_token}).status_code == 403
    assert caller.get(f"/api/v1/events/{elsewhere.id}/attendance").status_code == 403
    assert active_rows(db, elsewhere.id) == []
    # A viewer may read reports but not check people in.
    viewer_event, viewer = door(Role.VIEWER)
    assert api(viewer).post(f"/api/v1/events/{viewer_event.id}/attendance/checkins",
                            json={"token": "x" * 30}).status_code == 403
    assert api(viewer).get(f"/api/v1/events/{viewer_event.id}/attendance").status_code == 200


def test_the_qr_link_opens_the_persons_check_in_for_staff_only(app, auth, client, db):
    event, user = door()
    invitation = invite(event, full_name="Ngô Bảo Châu", guests=1)
    invitation.is_honoree = True
    db.session.commit()
    path = f"/c/{invitation.checkin_token}"
    assert checkin_url(invitation).endswith(path)
    anonymous = app.test_client().get(path)
    assert anonymous.status_code == 302 and "/login" in anonymous.headers["Location"]
    auth.login(UserFactory())
    assert client.get(path).status_code == 403
    auth.login(user)
    html = client.get(path).text
    assert "Ngô Bảo Châu" in html and "Người được khen thưởng" in html
    assert f"/events/{event.id}/checkin/contacts/{invitation.contact_id}" in html
    assert client.get("/c/unknown-token-1234567890").status_code == 404


def test_api_check_in_undo_and_list(api, db):
    event, user = door(Role.ORGANISER)
    invitation = invite(event, guests=3, full_name="Bùi Thị Xuân")
    caller = api(user)
    base = f"/api/v1/events/{event.id}/attendance"
    created = caller.post(f"{base}/checkins", json={"token": checkin_url(invitation), "guests": 2})
    assert created.status_code == 201 and created.json["guests"] == 2
    assert caller.get(base).json["counts"]["checked_in_total"] == 3
    listed = caller.get(f"{base}/checkins").json["items"]
    assert [item["contact"]["full_name"] for item in listed] == ["Bùi Thị Xuân"]
    undone = caller.post(f"{base}/checkins/{created.json['id']}/undo")
    assert undone.status_code == 200 and undone.json["undone_at"]
    assert caller.post(f"{base}/checkins/{created.json['id']}/undo").status_code == 409
    assert caller.get(f"{base}/checkins").json["items"] == []
    assert caller.post(f"{base}/checkins", json={"token": invitation.checkin_token}).status_code == 201
    assert caller.post(f"{base}/checkins", json={"token": "nope"}).status_code == 422
    assert caller.post(f"{base}/checkins", json={"token": invitation.checkin_token, "guests": -1}).status_code == 422
    spec = caller.get("/api/v1/openapi.json").json
    assert "/events/{event_id}/attendance/checkins" in spec["paths"]


def test_only_a_printed_cards_signed_code_opens_the_answer_page_to_others(app, auth, client, db):
    """A printed invitation card's code opens the invitee's answer page to whoever scans it (the invitee at
    home); the same person's badge or e-mailed code (unsigned), photographed at the door, opens nothing."""
    event, user = door()
    invitation = invite(event, full_name="Lý Thường Kiệt")
    db.session.commit()
    card = card_url(invitation).split("://", 1)[1].partition("/")[2]
    opened = app.test_client().get("/" + card)
    assert opened.status_code == 303 and opened.headers["Location"].endswith(f"/rsvp/{invitation.token}")
    other = invite(event, full_name="Trần Hưng Đạo")
    forged = f"/c/{other.checkin_token}?{card.partition('?')[2]}"  # a card's signature on another code
    assert app.test_client().get(forged).status_code == 302
    assert app.test_client().get(f"/c/{invitation.checkin_token}?card=x").status_code == 302
    auth.login(user)  # the door still gets the check-in card from the signed code
    assert "Lý Thường Kiệt" in client.get("/" + card).text
