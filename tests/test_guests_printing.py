"""Named guests and delegation members on paper and in the figures: badges with their own QR codes (made by
the real worker), lines of the paper door list grouped by delegation, the reports and exports, the API's door."""
from __future__ import annotations

import re

from sqlalchemy import select

from eventsapp.associations.models import Role
from eventsapp.attendance.models import CheckIn
from eventsapp.guests.models import Delegation, EventGuest
from tests.attendance_factories import invite
from tests.conftest import csrf_token_from
from tests.factories import staff
from tests.test_attendance_printables import ceremony, pdf_text, qr_texts, wait_until_done


def family_and_delegation(db, event):
    host = invite(event, full_name="Nguyễn Văn An", guests=2)
    guests = [EventGuest(event_id=event.id, invitation_id=host.id, full_name=name, honorific=honorific)
              for name, honorific in (("Trần Thị Bình", "Bà"), ("Nguyễn Minh Châu", ""))]
    leader = invite(event, full_name="Tanaka Hiroshi")
    delegation = Delegation(event_id=event.id, name="Hội hữu nghị Nhật – Việt Osaka", quota=3,
                            leader_contact_id=leader.contact_id, leader_invitation_id=leader.id)
    members = [EventGuest(event_id=event.id, full_name=name, position="Hội viên") for name in ("Sato Yuki", "Ito Ken")]
    delegation.members.extend(members)
    db.session.add_all([*guests, delegation])
    db.session.commit()
    return host, guests, delegation, members


def test_badges_of_named_guests_and_members_check_each_in_and_the_door_list_groups_them(
        celery_worker, client, auth, db, tmp_path):
    event, organiser = ceremony()
    event.max_guests = 2
    host, guests, delegation, members = family_and_delegation(db, event)
    auth.login(organiser)
    token = csrf_token_from(client.get(f"/events/{event.id}/printables").text)
    client.post(f"/events/{event.id}/printables/badges", data={
        "csrf_token": token, "paper": "A4", "columns": "2", "rows": "4", "audience": "accepted"})
    state = wait_until_done(client, event)
    assert state["state"] == "done" and state["item_count"] == 6  # 2 invitees, 2 named guests, 2 members
    pdf = client.get(state["download_url"]).data
    text = pdf_text(pdf, tmp_path)
    for name in ("Bà Trần Thị Bình", "Nguyễn Minh Châu", "Sato Yuki", "Ito Ken", "Hội hữu nghị Nhật – Việt Osaka"):
        assert name in text
    assert "Khách đi cùng của Nguyễn Văn An" in text
    codes = qr_texts(pdf, tmp_path)
    assert len(codes) == 6

    door = staff(event.association, Role.CHECKIN, email="cua@example.vn")
    auth.login(door)
    csrf = csrf_token_from(client.get(f"/events/{event.id}/checkin").text)
    for code in codes:
        answer = client.post(f"/events/{event.id}/checkin/scan", data={"code": code, "csrf_token": csrf},
                             headers={"Accept": "application/json"})
        assert answer.status_code == 200, answer.get_json()
    db.session.expire_all()
    rows = db.session.scalars(select(CheckIn).where(CheckIn.event_id == event.id, CheckIn.undone_at.is_(None))).all()
    assert {r.guest_id for r in rows if r.guest_id} == {g.id for g in guests + members}
    assert next(r for r in rows if r.contact_id == host.contact_id).guests == 0  # both guests came on their codes
    counts = client.get(f"/events/{event.id}/checkin/counts").get_json()
    assert counts["checked_in_total"] == 6 and counts["expected_total"] == 6

    # The paper door list: a line per person, the members together under their delegation.
    auth.login(organiser)
    token = csrf_token_from(client.get(f"/events/{event.id}/printables").text)
    client.post(f"/events/{event.id}/printables/door_list", data={"csrf_token": token, "audience": "all"})
    state = wait_until_done(client, event)
    assert state["item_count"] == 6
    lines = [line for line in pdf_text(client.get(state["download_url"]).data, tmp_path).splitlines() if line.strip()]
    host_line = next(line for line in lines if "Nguyễn Văn An" in line and "Khách" not in line)
    # The named guests have their own lines: the host's guests column is empty, between the answer and the time.
    assert re.search(r"Nhận lời\s+\d{1,2}:\d{2}$", host_line.strip()), host_line
    osaka = [n for n, line in enumerate(lines) if "Osaka" in line]
    assert len(osaka) == 2 and osaka[1] - osaka[0] == 1

    # The report counts them as people, with a row per delegation; the export names them.
    report = client.get(f"/events/{event.id}/attendance")
    assert report.status_code == 200 and "Hội hữu nghị Nhật – Việt Osaka" in report.text
    export = client.get(f"/events/{event.id}/attendance.csv").data.decode("utf-8-sig")
    assert "Bà Trần Thị Bình" in export and "Đoàn: Hội hữu nghị Nhật – Việt Osaka" in export


def test_the_apis_door_checks_a_members_code_and_lists_the_guest(api, db):
    event, organiser = ceremony()
    _host, guests, delegation, members = family_and_delegation(db, event)
    door = staff(event.association, Role.CHECKIN, email="cua2@example.vn")
    created = api(door).post(f"/api/v1/events/{event.id}/attendance/checkins",
                             json={"token": f"http://x/c/{members[0].checkin_token}"})
    assert created.status_code == 201, created.get_json()
    body = created.get_json()
    assert body["contact"] is None and body["guest"]["full_name"] == "Sato Yuki"
    assert body["guest"]["with"] == "Đoàn: Hội hữu nghị Nhật – Việt Osaka"
    again = api(door).post(f"/api/v1/events/{event.id}/attendance/checkins", json={"token": members[0].checkin_token})
    assert again.status_code == 409
    listed = api(organiser).get(f"/api/v1/events/{event.id}/attendance/checkins").get_json()["items"]
    assert [item["guest"]["full_name"] for item in listed] == ["Sato Yuki"]
    totals = api(organiser).get(f"/api/v1/events/{event.id}/attendance").get_json()["totals"]
    assert totals["attended"] == 1 and totals["accepted"] == 2 + 2  # two invitees, two members
    other = api(door).post(f"/api/v1/events/{event.id}/attendance/checkins", json={"token": guests[0].checkin_token})
    assert other.status_code == 201 and other.get_json()["guest"]["with"] == "Khách đi cùng của Nguyễn Văn An"
