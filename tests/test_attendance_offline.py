"""The offline door: the list kept on the phone, and queued check-ins sent later (idempotent, conflicts)."""
from __future__ import annotations

import json
from datetime import timedelta

from sqlalchemy import select

from eventsapp.associations.models import Role
from eventsapp.attendance import services
from eventsapp.attendance.models import CheckIn
from eventsapp.timeutils import utcnow
from tests.attendance_factories import door, invite
from tests.factories import AssociationFactory, EventFactory, staff
from tests.support.browser import sign_in


def active_rows(db, event_id: int) -> list[CheckIn]:
    db.session.expire_all()
    return list(db.session.scalars(select(CheckIn).where(CheckIn.event_id == event_id, CheckIn.undone_at.is_(None))))


def door_data(client, event):
    """The kept list as a new phone gets it, with the CSRF token for the sync (sent in a header)."""
    response = client.get(f"/events/{event.id}/checkin/door.json")
    assert response.status_code == 200, response.status_code
    return {**response.get_json(), "csrf_token": response.headers["X-CSRF-Token"]}


def sync(client, event, ops, token):
    return client.post(f"/events/{event.id}/checkin/sync", data=json.dumps({"ops": ops}),
                       headers={"Content-Type": "application/json", "X-CSRFToken": token})


def op(contact_id, op_id, minutes_ago=5, **extra):
    at = (utcnow() - timedelta(minutes=minutes_ago)).isoformat()
    return {"id": op_id, "type": "checkin", "contact_id": contact_id, "guests": 0, "at": at, **extra}


def test_the_door_list_has_names_and_code_hashes_never_the_codes(client, auth, db):
    event, user = door(title_vi="Lễ trao Kỷ niệm chương")
    invitation = invite(event, full_name="Nguyễn Thị Ánh Tuyết", guests=2)
    invite(event, full_name="Phạm Văn Đồng")
    auth.login(user)
    data = door_data(client, event)
    names = [p["name"] for p in data["people"]]
    assert names == ["Phạm Văn Đồng", "Nguyễn Thị Ánh Tuyết"]  # Vietnamese order: by given name
    tuyet = data["people"][1]
    assert tuyet["guests"] == 2 and tuyet["status"] == "accepted" and tuyet["check_in"] is None
    assert tuyet["code_hash"] == services.code_hash(event.id, invitation.checkin_token)
    assert invitation.checkin_token not in json.dumps(data) and invitation.token not in json.dumps(data)
    assert data["csrf_token"]


def test_only_check_in_staff_of_the_association_get_the_list_or_sync(client, auth, db):
    event, _ = door()
    invite(event, full_name="Trần Thị Mai")
    outsider = staff(AssociationFactory(), Role.ORGANISER, email="other@example.vn")
    viewer = staff(event.association, Role.VIEWER, email="viewer@example.vn")
    assert client.get(f"/events/{event.id}/checkin/door.json").status_code in (302, 401)
    for user in (outsider, viewer):
        auth.login(user)
        assert client.get(f"/events/{event.id}/checkin/door.json").status_code == 403
        assert client.get(f"/events/{event.id}/checkin/manifest.webmanifest").status_code == 403


def test_a_queued_check_in_sent_twice_counts_once(client, auth, db):
    event, user = door()
    invitation = invite(event, full_name="Hoàng Thị Lan", guests=1)
    auth.login(user)
    token = door_data(client, event)["csrf_token"]
    queued = op(invitation.contact_id, "phone-a-0001", minutes_ago=7, guests=1)
    first = sync(client, event, [queued], token).get_json()
    again = sync(client, event, [queued], token).get_json()  # the answer was lost: the phone sends it again
    assert first["results"][0]["status"] == again["results"][0]["status"] == "applied"
    assert again["counts"]["checked_in"] == 1 and again["counts"]["checked_in_guests"] == 1
    rows = active_rows(db, event.id)
    assert len(rows) == 1 and rows[0].client_id == "phone-a-0001"
    assert abs(rows[0].checked_in_at - (utcnow() - timedelta(minutes=7))) < timedelta(minutes=1)  # the phone's time


def test_the_same_person_on_two_phones_is_one_check_in_with_the_earliest_time(client, auth, db):
    event, user = door()
    second = staff(event.association, Role.CHECKIN, email="cong2@example.vn", name="Lý Thị Bích")
    invitation = invite(event, full_name="Võ Văn Kiệt")
    auth.login(second)
    token = door_data(client, event)["csrf_token"]
    assert sync(client, event, [op(invitation.contact_id, "phone-b-0001", minutes_ago=3)], token).status_code == 200
    auth.login(user)
    token = door_data(client, event)["csrf_token"]
    answer = sync(client, event, [op(invitation.contact_id, "phone-a-0001", minutes_ago=9)], token).get_json()
    result = answer["results"][0]
    assert result["status"] == "conflict"
    rows = active_rows(db, event.id)
    assert len(rows) == 1 and answer["counts"]["checked_in"] == 1
    assert abs(rows[0].checked_in_at - (utcnow() - timedelta(minutes=9))) < timedelta(minutes=1)
    assert rows[0].checked_in_by_id == user.id  # phone A was first after all
    # A phone later than the first: it hears who was first, and nothing changes.
    auth.login(second)
    token = door_data(client, event)["csrf_token"]
    late = sync(client, event, [op(invitation.contact_id, "phone-b-0002", minutes_ago=1)], token).get_json()
    assert late["results"][0]["status"] == "conflict"
    assert "Trần Văn Nam" in late["results"][0]["message"]
    assert len(active_rows(db, event.id)) == 1


def test_a_sync_sent_again_with_an_earlier_time_changes_nothing(client, auth, db):
    event, user = door()
    second = staff(event.association, Role.CHECKIN, email="cong2@example.vn", name="Lý Thị Bích")
    invitation = invite(event, full_name="Võ Thị Sáu")
    auth.login(second)
    token = door_data(client, event)["csrf_token"]
    sync(client, event, [op(invitation.contact_id, "phone-b-0001", minutes_ago=10)], token)
    auth.login(user)
    token = door_data(client, event)["csrf_token"]
    later = op(invitation.contact_id, "phone-a-0001", minutes_ago=4)
    assert sync(client, event, [later], token).get_json()["results"][0]["status"] == "conflict"
    # The same operation again, its time rewritten to look first: answered as before, nothing moves.
    forged = {**later, "at": (utcnow() - timedelta(minutes=60)).isoformat()}
    again = sync(client, event, [forged], token).get_json()["results"][0]
    assert again["status"] == "conflict" and "Lý Thị Bích" in again["message"]
    created = sync(client, event, [op(invitation.contact_id, "phone-b-0001", minutes_ago=90)], token)
    assert created.get_json()["results"][0]["status"] == "applied"  # the first phone's own id, re-sent
    rows = active_rows(db, event.id)
    assert len(rows) == 1 and rows[0].checked_in_by_id == second.id
    assert abs(rows[0].checked_in_at - (utcnow() - timedelta(minutes=10))) < timedelta(minutes=1)


def test_undo_sent_twice_undoes_once_and_bad_operations_change_nothing(client, auth, db):
    event, user = door()
    invitation = invite(event, full_name="Đặng Thùy Trâm")
    other_event = EventFactory(association=AssociationFactory())
    stranger = invite(other_event, full_name="Người Khác")
    auth.login(user)
    token = door_data(client, event)["csrf_token"]
    row_id = sync(client, event, [op(invitation.contact_id, "phone-a-0001")], token).get_json()["results"][0]["check_in"]["id"]
    undo = {"id": "phone-a-0002", "type": "undo", "check_in_id": row_id, "contact_id": invitation.contact_id}
    assert sync(client, event, [undo], token).get_json()["results"][0]["status"] == "applied"
    assert sync(client, event, [undo], token).get_json()["results"][0]["status"] == "applied"
    assert active_rows(db, event.id) == []
    bad = [
        op(invitation.contact_id, "x" * 10_000),
        op(2 ** 63, "phone-a-0003"),
        op(stranger.contact_id, "phone-a-0004"),  # not invited here, not on the association's rolls
        op(invitation.contact_id, "phone-a-0005", at="yesterday"),
        op(invitation.contact_id, "phone-a-0006", at="1970-01-01T00:00:00+00:00"),
        op(invitation.contact_id, "phone-a-0007", guests=2 ** 63),
        {"id": "phone-a-0008", "type": "undo", "check_in_id": 2 ** 63},
        {"id": "phone-a-0009", "type": "=cmd|' /C calc'!A0"},
        "not an object",
    ]
    answer = sync(client, event, bad, token)
    assert answer.status_code == 200
    assert [r["status"] for r in answer.get_json()["results"]] == ["error"] * len(bad)
    assert active_rows(db, event.id) == []
    assert sync(client, event, "nope", token).status_code == 400
    response = client.post(f"/events/{event.id}/checkin/sync", data=json.dumps({"ops": [op(invitation.contact_id, "phone-a-0010")]}),
                           headers={"Content-Type": "application/json"})  # no CSRF token
    assert response.status_code == 400
    assert active_rows(db, event.id) == []


def test_the_page_is_an_installable_app_served_by_the_app(client, auth, db):
    event, user = door()
    auth.login(user)
    page = client.get(f"/events/{event.id}/checkin").text
    assert f'rel="manifest" href="/events/{event.id}/checkin/manifest.webmanifest"' in page
    manifest = client.get(f"/events/{event.id}/checkin/manifest.webmanifest").get_json(force=True)
    assert manifest["start_url"] == f"/events/{event.id}/checkin" and manifest["display"] == "standalone"
    for icon in manifest["icons"]:
        assert client.get(icon["src"]).status_code == 200
    worker = client.get("/door-sw.js")
    assert worker.status_code == 200 and "javascript" in worker.content_type
    assert "script-src 'self'" in worker.headers["Content-Security-Policy"]


# ---------------------------------------------------------------- two phones in Chromium, offline

def _phone(browser, live_server, user):

    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True,
                                  locale="vi-VN", timezone_id="Asia/Ho_Chi_Minh")
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    sign_in(page, live_server, user.email, lands_on="/doors")  # check-in staff land on today's doors
    return context, page, errors


class SendsWhileOffline:
    """What a phone's page sends that could change anything (any request but a GET) while the test holds
    it offline: a door must never send while it believes it is offline, whatever the emulation lets out."""

    def __init__(self, context):
        self.offline = False
        self.sent: list[str] = []
        context.on("request", self._seen)
        context.route("**/*", self._through)

    def _seen(self, request):
        if self.offline and request.method != "GET" and request.service_worker is None:
            self.sent.append(f"{request.method} {request.url}")

    def _through(self, route):
        # Offline, the service worker's own requests fail too (Playwright's set_offline does not reach them).
        if self.offline and route.request.service_worker is not None:
            route.abort("internetdisconnected")
        else:
            route.fallback()


def _open_door(page, live_server, event):
    page.goto(f"{live_server}/events/{event.id}/checkin")
    page.locator("#door[data-list-ready=true][data-offline-ready=true]").wait_for()


def _check_in_by_name(page, query, name):
    page.fill("#door-q", query)
    card = page.locator(".person-card", has_text=name)
    card.locator(".checkin-button").tap()
    card.locator(".checked-in-note").wait_for()
    return card


def test_two_phones_offline_check_in_and_sync_to_exactly_the_right_check_ins(live_server, browser, db):
    from eventsapp.links import checkin_url
    from tests.conftest import ARTIFACTS

    event, first = door(title_vi="Gặp mặt kiều bào Xuân Đinh Mùi")
    second = staff(event.association, Role.CHECKIN, email="cong2@example.vn", name="Lý Thị Bích")
    an = invite(event, full_name="Nguyễn Văn Ân", guests=1)
    binh = invite(event, full_name="Lê Thị Bình")
    cuc = invite(event, full_name="Phạm Thị Cúc", guests=2)
    invite(event, full_name="Đỗ Quang Dũng")
    en = invite(event, full_name="Vũ Thị Én")
    services.check_in_invitation(en, by=first)  # let in before the network failed
    db.session.commit()
    cuc_link = checkin_url(cuc)

    context1, phone1, errors1 = _phone(browser, live_server, first)
    context2, phone2, errors2 = _phone(browser, live_server, second)
    try:
        _open_door(phone1, live_server, event)
        _open_door(phone2, live_server, event)
        sends1, sends2 = SendsWhileOffline(context1), SendsWhileOffline(context2)
        sends1.offline = sends2.offline = True
        context1.set_offline(True)
        context2.set_offline(True)
        for phone in (phone1, phone2):  # each page has noticed: what it does from now on waits in its queue
            phone.locator("#door[data-online=false]").wait_for()

        # Phone 1, offline: Ân by name (no diacritics typed), Cúc by her QR code (a scanner types the link).
        _check_in_by_name(phone1, "nguyen van an", "Nguyễn Văn Ân")
        phone1.locator("#door[data-online=false]").wait_for()
        phone1.fill("#door-q", cuc_link)
        phone1.press("#door-q", "Enter")
        phone1.locator(".person-card", has_text="Phạm Thị Cúc").locator(".checked-in-note").wait_for()
        # Dũng checked in by mistake and undone at once: never sent.
        card = _check_in_by_name(phone1, "dung", "Đỗ Quang Dũng")
        card.locator(".undo-button").tap()
        phone1.locator(".person-card", has_text="Đỗ Quang Dũng").locator(".checkin-button").wait_for()
        phone1.locator("#door-pending[data-pending='2']").wait_for()
        assert phone1.locator("[data-count=checked_in]").inner_text() == "3"  # Én + Ân + Cúc
        assert phone1.locator("[data-count=checked_in_guests]").inner_text() == "3"
        assert phone1.locator("#door-online").inner_text() in ("Mất mạng", "No network")

        # Phone 2, offline: Bình, Cúc again (a second queue), and undoes Én's check-in from before.
        _check_in_by_name(phone2, "le thi binh", "Lê Thị Bình")
        _check_in_by_name(phone2, "pham thi cuc", "Phạm Thị Cúc")
        phone2.fill("#door-q", "vu thi en")
        phone2.locator(".person-card", has_text="Vũ Thị Én").locator(".undo-button").tap()
        phone2.locator(".person-card", has_text="Vũ Thị Én").locator(".checkin-button").wait_for()
        phone2.locator("#door-pending[data-pending='3']").wait_for()

        # Phone 1 reloads without network: the service worker serves the page, the queue is still there.
        phone1.reload()
        phone1.locator("#door-pending[data-pending='2']").wait_for()
        phone1.fill("#door-q", "binh")
        phone1.locator(".person-card", has_text="Lê Thị Bình").wait_for()
        ARTIFACTS.mkdir(exist_ok=True)
        phone1.screenshot(path=str(ARTIFACTS / "door-offline-phone.png"), full_page=True)
        assert [row.contact_id for row in active_rows(db, event.id)] == [en.contact_id]  # nothing sent yet
        assert sends1.sent == [] and sends2.sent == []  # not even tried: each page knew it was offline

        sends1.offline = sends2.offline = False
        context1.set_offline(False)
        phone1.locator("#door-pending[data-pending='0']").wait_for()
        context2.set_offline(False)
        phone2.locator("#door-pending[data-pending='0']").wait_for()
        phone2.locator("#door-message", has_text="Trần Văn Nam").wait_for()  # who let Cúc in first
        phone2.screenshot(path=str(ARTIFACTS / "door-after-sync-phone.png"), full_page=True)
        phone2.locator("[data-count=checked_in]", has_text="3").wait_for()
        assert phone2.locator("[data-count=checked_in_guests]").inner_text() == "3"
    finally:
        context1.close()
        context2.close()

    rows = active_rows(db, event.id)
    assert sorted((r.contact.full_name, r.guests, r.checked_in_by_id) for r in rows) == [
        ("Lê Thị Bình", 0, second.id), ("Nguyễn Văn Ân", 1, first.id), ("Phạm Thị Cúc", 2, first.id)]
    assert services.counters(event)["checked_in"] == 3
    assert an.contact_id in {r.contact_id for r in rows} and binh.contact_id in {r.contact_id for r in rows}
    assert errors1 == [] and errors2 == []
