"""Delegations: an organiser creates one, its leader gets a link by e-mail (the real worker and SMTP), enters,
changes and removes members within the quota until the deadline; members get codes and door lines."""
from __future__ import annotations

import hashlib
import re
from datetime import timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select

from eventsapp.associations.models import Role
from eventsapp.guests.models import Delegation, EventGuest
from eventsapp.invitations.models import Invitation
from eventsapp.timeutils import utcnow
from tests.conftest import csrf_token_from
from tests.factories import ContactFactory, EventFactory, staff

LINK = re.compile(r"http://eventsapp\.test/delegation/([A-Za-z0-9_\-]+)")


def members_of(db, delegation_id) -> list[EventGuest]:
    db.session.expire_all()
    return list(db.session.scalars(select(EventGuest).where(EventGuest.delegation_id == delegation_id)
                                   .order_by(EventGuest.id)))


def leader_and_event(**event_kwargs):
    event = EventFactory(**event_kwargs)
    leader = ContactFactory(full_name="Nguyễn Văn Hùng", email="hung@example.cz", language="vi",
                            associations=[event.association])
    return event, leader


def create(client, auth, event, **form):
    auth.login(staff(event.association, Role.ORGANISER))
    data = {"name": "Hội người Bắc Giang tại Séc", "leader_email": "hung@example.cz", "quota": "6", **form}
    return auth.post(f"/events/{event.id}/delegations", data, form_url=f"/events/{event.id}/guests")


def add(client, token, **member):
    page = client.get(f"/delegation/{token}")
    return client.post(f"/delegation/{token}/members", data={"csrf_token": csrf_token_from(page.text), **member})


def test_a_leader_fills_five_of_six_places_changes_one_and_is_refused_after_the_deadline(
        client, auth, db, celery_worker, smtp_sink):
    event, leader = leader_and_event(capacity=100)
    local = (event.starts_at - timedelta(days=2)).astimezone(ZoneInfo(event.timezone)).strftime("%Y-%m-%dT%H:%M")
    response = create(client, auth, event, deadline_local=local)
    assert response.status_code == 303
    delegation = db.session.scalar(select(Delegation).where(Delegation.event_id == event.id))
    assert delegation.quota == 6 and delegation.leader_contact_id == leader.id
    assert db.session.get(Invitation, delegation.leader_invitation_id).contact_id == leader.id

    # The leader's link arrives by e-mail through the outbox and the worker.
    mail = smtp_sink.wait_for(1)[0]
    assert mail.recipients == ["hung@example.cz"]
    assert "Hội người Bắc Giang tại Séc" in mail.header("Subject") or "Danh sách đoàn" in mail.header("Subject")
    text = mail.message.get_body(("plain",)).get_content()
    token = LINK.search(text).group(1)
    assert token == delegation.token

    client.get("/logout")
    page = client.get(f"/delegation/{token}")
    assert page.status_code == 200 and "Đã điền 0 trên 6 chỗ." in page.text
    names = ["Nguyễn Thị Lan", "Trần Văn Minh", "Lê Thị Hoa", "Phạm Văn Đức", "Vũ Thị Mai"]
    for name in names:
        assert add(client, token, full_name=name, honorific="Bà", position="Hội viên").status_code == 303
    page = client.get(f"/delegation/{token}").text
    assert "Đã điền 5 trên 6 chỗ." in page
    members = members_of(db, delegation.id)
    assert [m.full_name for m in members] == names
    changed = client.post(f"/delegation/{token}/members/{members[1].id}", data={
        "csrf_token": csrf_token_from(page), "full_name": "Trần Văn Minh Tuấn", "honorific": "Ông",
        "position": "Phó chủ tịch"})
    assert changed.status_code == 303
    members = members_of(db, delegation.id)
    assert (members[1].full_name, members[1].position) == ("Trần Văn Minh Tuấn", "Phó chủ tịch")

    # Each member has their own door line and code; the card says their delegation.
    auth.login(staff(event.association, Role.CHECKIN))
    door = client.get(f"/events/{event.id}/checkin/door.json").get_json()
    lines = {line["contact_id"]: line for line in door["people"]}
    for member in members:
        line = lines[-member.id]
        assert line["association"] == "Hội người Bắc Giang tại Séc"
        assert line["code_hash"] == hashlib.sha256(f"{event.id}:{member.checkin_token}".encode()).hexdigest()
    assert door["counts"]["expected"] == 5  # the members (the leader has not answered yet)
    token_csrf = csrf_token_from(client.get(f"/events/{event.id}/checkin").text)
    scanned = client.post(f"/events/{event.id}/checkin/scan", data={"code": members[0].checkin_token,
                                                                     "csrf_token": token_csrf},
                          headers={"Accept": "application/json"})
    assert scanned.status_code == 200 and "Nguyễn Thị Lan" in scanned.get_json()["message"]
    client.get("/logout")

    # After the deadline: the list is shown, every change refused with a clear message.
    page = client.get(f"/delegation/{token}").text
    csrf = csrf_token_from(page)
    found = db.session.get(Delegation, delegation.id)
    found.deadline = utcnow() - timedelta(minutes=1)
    db.session.commit()
    page = client.get(f"/delegation/{token}")
    assert "Đã hết hạn nhập danh sách đoàn." in page.text and 'id="add-member"' not in page.text
    refused = client.post(f"/delegation/{token}/members", data={"csrf_token": csrf, "full_name": "Người thứ sáu"})
    assert refused.status_code == 400 and "Đã hết hạn nhập danh sách đoàn." in refused.text
    refused = client.post(f"/delegation/{token}/members/{members[0].id}/remove", data={"csrf_token": csrf})
    assert refused.status_code == 400
    assert len(members_of(db, delegation.id)) == 5


def test_the_quota_is_a_limit_with_a_clear_message(client, auth, db):
    event, _leader = leader_and_event()
    create(client, auth, event, quota="2")
    token = db.session.scalar(select(Delegation.token).where(Delegation.event_id == event.id))
    client.get("/logout")
    add(client, token, full_name="Một")
    add(client, token, full_name="Hai")
    page = client.get(f"/delegation/{token}").text
    assert 'id="quota-full"' in page
    refused = client.post(f"/delegation/{token}/members", data={"csrf_token": csrf_token_from(page), "full_name": "Ba"})
    assert refused.status_code == 400 and "Đoàn đã đủ 2 chỗ" in refused.text
    # The invitee list shows the members grouped under their delegation, the leader among the invitees.
    auth.login(staff(event.association, Role.VIEWER))
    listed = client.get(f"/events/{event.id}/invitations").text
    group = listed.split('id="delegations"')[1]
    assert "Hội người Bắc Giang tại Séc" in group and "<li> Một</li>" in group and "<li> Hai</li>" in group
    assert "Nguyễn Văn Hùng" in listed.split('id="delegations"')[0]


def test_passport_details_are_asked_only_when_the_event_says_so(client, auth, db):
    event, _leader = leader_and_event()
    create(client, auth, event)
    token = db.session.scalar(select(Delegation.token).where(Delegation.event_id == event.id))
    assert "passport_number" not in client.get(f"/delegation/{token}").text
    event.delegations_ask_passport = True
    db.session.commit()
    assert "Số hộ chiếu" in client.get(f"/delegation/{token}").text
    client.get("/logout")
    assert add(client, token, full_name="Nguyễn Thị Lan", nationality="Séc", passport_number="C1234567",
               passport_expires_on="2031-05-01").status_code == 303
    member = db.session.scalar(select(EventGuest).where(EventGuest.full_name == "Nguyễn Thị Lan"))
    assert (member.nationality, member.passport_number, str(member.passport_expires_on)) == (
        "Séc", "C1234567", "2031-05-01")
    refused = add(client, token, full_name="Lê Hoa", passport_expires_on="31/12/2030")
    assert refused.status_code == 400 and "2030-12-31" in refused.text


def test_a_leaders_link_reaches_no_other_delegation_and_a_revoked_link_is_gone(client, auth, db):
    event, _leader = leader_and_event()
    other_event = EventFactory(association=event.association)
    ContactFactory(email="khac@example.jp", associations=[event.association])
    create(client, auth, event)
    auth.post(f"/events/{other_event.id}/delegations", {"name": "Hội hữu nghị Nhật Bản", "leader_email": "khac@example.jp",
                                                        "quota": "3"}, form_url=f"/events/{other_event.id}/guests")
    mine = db.session.scalar(select(Delegation).where(Delegation.event_id == event.id))
    theirs = db.session.scalar(select(Delegation).where(Delegation.event_id == other_event.id))
    client.get("/logout")
    add(client, theirs.token, full_name="Tanaka Hiroshi")
    client.get(f"/delegation/{theirs.token}")  # (its "added" notice shown there)
    stranger = members_of(db, theirs.id)[0]
    page = client.get(f"/delegation/{mine.token}").text
    assert "Tanaka" not in page
    csrf = csrf_token_from(page)
    for path in (f"/delegation/{mine.token}/members/{stranger.id}",
                 f"/delegation/{mine.token}/members/{stranger.id}/remove"):
        response = client.post(path, data={"csrf_token": csrf, "full_name": "Đổi tên"})
        assert response.status_code == 404
    assert [m.full_name for m in members_of(db, theirs.id)] == ["Tanaka Hiroshi"]
    assert client.get("/delegation/khong-co-duong-dan-nay").status_code == 404

    auth.login(staff(event.association, Role.ORGANISER))
    assert auth.post(f"/events/{event.id}/delegations/{mine.id}/revoke", {},
                     form_url=f"/events/{event.id}/guests").status_code == 303
    client.get("/logout")
    assert client.get(f"/delegation/{mine.token}").status_code == 404
    assert client.post(f"/delegation/{mine.token}/members", data={"csrf_token": csrf, "full_name": "X"}).status_code == 404


def test_a_new_link_replaces_the_old_one(client, auth, db):
    event, _leader = leader_and_event()
    create(client, auth, event)
    delegation = db.session.scalar(select(Delegation).where(Delegation.event_id == event.id))
    old = delegation.token
    assert auth.post(f"/events/{event.id}/delegations/{delegation.id}/new-link", {},
                     form_url=f"/events/{event.id}/guests").status_code == 303
    db.session.expire_all()
    new = db.session.get(Delegation, delegation.id).token
    assert new != old
    assert client.get(f"/delegation/{old}").status_code == 404
    assert client.get(f"/delegation/{new}").status_code == 200


def test_the_organisers_form_refuses_bad_values_and_unknown_leaders(client, auth, db):
    event, _leader = leader_and_event()
    for form, message in (({"leader_email": "khong-ai@example.vn"}, "Không có ai với email này"),
                          ({"quota": "0"}, "Từ 1 đến 500 chỗ."), ({"quota": str(2**63)}, ""),
                          ({"quota": "{}"}, ""), ({"name": "Đ" * 10_000}, ""), ({"name": ""}, "")):
        response = create(client, auth, event, **form)
        assert response.status_code == 400, form
        assert message in response.text, form
    assert db.session.scalar(select(Delegation.id)) is None
    create(client, auth, event)
    page = client.get(f"/events/{event.id}/guests").text
    assert "Hội người Bắc Giang tại Séc" in page and "Đã điền 0 trên 6 chỗ." in page


def test_hostile_values_on_every_member_field_change_nothing(client, auth, db):
    event, _leader = leader_and_event(delegations_ask_passport=True)
    create(client, auth, event)
    token = db.session.scalar(select(Delegation.token).where(Delegation.event_id == event.id))
    client.get("/logout")
    for field in ("full_name", "honorific", "position", "email", "phone", "nationality", "passport_number",
                  "passport_expires_on"):
        values = ["x\r\ny", "x\x00", "L" * 10_000] + (["javascript:alert(1)", "=cmd"] if field == "email" else [])
        for value in values:
            data = {"full_name": "Nguyễn Thị Lan", field: value}
            response = add(client, token, **data)
            assert response.status_code == 400, (field, value[:10])
    assert members_of(db, db.session.scalar(select(Delegation.id))) == []
