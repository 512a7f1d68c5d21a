"""Attendance reports add up from invitations and check-ins; exports keep Vietnamese intact."""
from __future__ import annotations

import csv
import io
from datetime import timedelta

from openpyxl import load_workbook

from eventsapp.associations.models import Role
from eventsapp.attendance import reports, services
from eventsapp.invitations.models import InvitationStatus
from eventsapp.timeutils import in_zone, utcnow
from tests.attendance_factories import invite, past_event
from tests.factories import AssociationFactory, CampaignFactory, EventFactory, UserFactory, staff

A, T, D, P = (InvitationStatus.ACCEPTED, InvitationStatus.TENTATIVE, InvitationStatus.DECLINED,
              InvitationStatus.PENDING)


def _scenario():
    """A past event: 6 accepted (4 came), 1 maybe who came, 2 declined, 1 no answer; 2 walk-ins."""
    association = AssociationFactory()
    by = staff(association, Role.CHECKIN, name="Trần Văn Nam")
    event = past_event(association)
    people = [
        invite(event, A, 1, full_name="Nguyễn Văn An", country="Việt Nam", language="vi"),
        invite(event, A, 0, full_name="Lê Thị Bình", country="Nhật Bản", language="vi"),
        invite(event, A, 2, full_name="Yamada Taro", country="Nhật Bản", language="en"),
        invite(event, A, 0, full_name="Phạm Thị Cúc", country="Việt Nam", language="vi"),
        invite(event, A, 0, full_name="Đỗ Văn Dũng", country="Đức", language="vi"),   # no-show
        invite(event, A, 1, full_name="Hans Müller", country="Đức", language="en"),    # no-show
        invite(event, T, 0, full_name="Vũ Thị Én", country="Việt Nam", language="vi"),
        invite(event, D, 0, full_name="Bùi Văn Giang", country="Việt Nam", language="vi"),
        invite(event, D, 0, full_name="Tanaka Hanako", country="Nhật Bản", language="en"),
        invite(event, P, 0, full_name="Hồ Thị Hạnh", country="Việt Nam", language="vi"),
    ]
    for invitation in people[:4] + [people[6]]:
        services.check_in_invitation(invitation, by=by)
    services.register_walk_in(event, by=by, full_name="Đinh Thị Khuê", guests=1)
    services.register_walk_in(event, by=by, full_name="Mai Văn Lâm", email="lam.mai@example.vn")
    undone = services.check_in_invitation(people[4], by=by)  # a mistake, undone: not counted
    services.undo(undone, by=by)
    from eventsapp.extensions import db
    db.session.commit()
    return event, people, by


def test_event_report_numbers_match_invitations_and_check_ins(db):
    event, _, _ = _scenario()
    report = reports.build([event])
    f = report.total
    assert (f.invited, f.answered, f.accepted, f.tentative, f.declined) == (10, 9, 6, 1, 2)
    assert (f.attended, f.attended_invitees, f.walk_ins, f.no_shows) == (7, 5, 2, 2)
    assert f.accepted_attended == 4 and f.rate_percent == "67%"
    assert (f.expected_guests, f.guests) == (4, 1 + 2 + 1)
    assert report.per_event[event.id] == f
    japan = report.by_country["Nhật Bản"]
    assert (japan.invited, japan.accepted, japan.attended, japan.no_shows) == (3, 2, 2, 0)
    germany = report.by_country["Đức"]
    assert (germany.invited, germany.no_shows, germany.rate) == (2, 2, 0.0)
    assert report.by_country["—"].walk_ins == 2  # walk-ins without a country
    english = report.by_language["en"]
    assert (english.invited, english.attended, english.no_shows) == (3, 1, 1)
    # The breakdowns add up to the totals.
    for name in ("by_country", "by_language"):
        rows = getattr(report, name).values()
        assert sum(r.invited for r in rows) == f.invited and sum(r.attended for r in rows) == f.attended
    # Counters at the door agree.
    counts = services.counters(event)
    assert (counts["expected"], counts["checked_in"], counts["walk_ins"]) == (6, 7, 2)


def test_no_shows_wait_until_the_event_is_over(db):
    event, _, _ = _scenario()
    assert reports.build([event], now=event.starts_at + timedelta(hours=1)).total.no_shows == 0
    assert reports.build([event], now=event.starts_at + timedelta(hours=1)).total.rate is None


def test_report_pages_show_the_figures(auth, client, db):
    event, people, by = _scenario()
    campaign = CampaignFactory(association=event.association)
    event.campaign = campaign
    other = EventFactory(association=event.association, campaign=campaign)
    invite(other, A)
    db.session.commit()
    auth.login(staff(event.association, Role.VIEWER))  # reports are for readers; the door staff only check in
    html = client.get(f"/events/{event.id}/attendance").text
    assert 'data-figure="attended">7<' in html and 'data-figure="no_shows">2<' in html
    assert "Đỗ Văn Dũng" in html.split("id=\"attendees\"")[1]  # in the no-show list below the attendees
    assert 'data-bar-percent="' in html and "<script src=\"/static/js/attendance.js\"" in html
    html = client.get(f"/campaigns/{campaign.id}/attendance").text
    assert 'data-figure="invited">11<' in html and 'data-figure="attended">7<' in html
    html = client.get(f"/associations/{event.association.slug}/attendance").text
    assert 'data-figure="invited">11<' in html
    start = in_zone(event.starts_at, event.association.timezone).date()
    html = client.get(f"/associations/{event.association.slug}/attendance?start={start}&end={start}").text
    assert 'data-figure="invited">10<' in html
    bad = client.get(f"/associations/{event.association.slug}/attendance?start=2026-05-01&end=2026-04-01")
    assert bad.status_code == 200 and "invalid-feedback" in bad.text
    # Staff of another association may not read it.
    auth.login(staff(AssociationFactory(), Role.ORGANISER))
    assert client.get(f"/events/{event.id}/attendance").status_code == 403
    assert client.get(f"/events/{event.id}/attendance.csv").status_code == 403
    assert client.get(f"/campaigns/{campaign.id}/attendance").status_code == 403


def test_admin_overview_for_a_period(auth, client, db):
    event, _, _ = _scenario()
    later = EventFactory(association=AssociationFactory(name_vi="Hội hữu nghị Việt Nam – Lào"))
    invite(later, A)
    auth.login(UserFactory(is_admin=True))
    day = in_zone(event.starts_at, "Asia/Ho_Chi_Minh").date()
    html = client.get(f"/admin/attendance?start={day}&end={day}").text
    assert event.association.name_vi in html and "Việt Nam – Lào" not in html
    assert f"<a href=\"/associations/{event.association.slug}/attendance?start={day}" in html
    html = client.get("/admin/attendance").text
    assert "Hội hữu nghị Việt Nam – Lào" in html and 'data-figure="invited">11<' in html
    auth.login(UserFactory())
    assert client.get("/admin/attendance").status_code == 403


def test_csv_export_opens_with_diacritics_intact(auth, client, db):
    event, people, by = _scenario()
    auth.login(staff(event.association, Role.VIEWER))  # reports are for readers; the door staff only check in
    response = client.get(f"/events/{event.id}/attendance.csv")
    assert response.status_code == 200 and "attachment" in response.headers["Content-Disposition"]
    assert response.data.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"))))
    assert rows[0][:3] == ["STT", "Họ và tên", "Email"] and rows[0][10] == "Giờ check-in – giờ Việt Nam (UTC+7)"  # the zone by name, not its IANA id
    names = [row[1] for row in rows[1:]]
    assert sorted(names) == sorted(["Nguyễn Văn An", "Lê Thị Bình", "Yamada Taro", "Phạm Thị Cúc", "Vũ Thị Én",
                                    "Đinh Thị Khuê", "Mai Văn Lâm"])
    an = next(row for row in rows if row[1] == "Nguyễn Văn An")
    check_in = next(r for r in services.check_ins(event) if r.contact.full_name == "Nguyễn Văn An")
    assert an[10] == in_zone(check_in.checked_in_at, "Asia/Ho_Chi_Minh").strftime("%Y-%m-%d %H:%M")
    assert an[6] == "Nhận lời" and an[11] == "Trần Văn Nam"
    khue = next(row for row in rows if row[1] == "Đinh Thị Khuê")
    assert khue[2] == "" and khue[9] == "Có"  # no placeholder address in the export


def test_xlsx_export_opens_with_diacritics_intact(auth, client, db):
    event, people, by = _scenario()
    auth.login(staff(event.association, Role.VIEWER))  # reports are for readers; the door staff only check in
    response = client.get(f"/events/{event.id}/attendance.xlsx")
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.data)).active
    values = list(sheet.iter_rows(values_only=True))
    assert values[0][0] == event.title_vi and values[1][1] == "Họ và tên"
    names = {row[1] for row in values[2:]}
    assert {"Nguyễn Văn An", "Đinh Thị Khuê", "Vũ Thị Én"} <= names and len(names) == 7
    assert "Đỗ Văn Dũng" not in names  # undone check-in


def test_api_counts_match_the_report(api, db):
    event, _, by = _scenario()
    body = api(by).get(f"/api/v1/events/{event.id}/attendance").json
    assert body["totals"]["attended"] == 7 and body["totals"]["no_shows"] == 2
    assert body["counts"]["walk_ins"] == 2 and body["by_country"]["Nhật Bản"]["invited"] == 3
    assert round(body["totals"]["attendance_rate"], 3) == round(4 / 6, 3)


def test_demo_seed_makes_a_past_event_with_check_ins_and_is_idempotent(db):
    from eventsapp.associations import demo as associations_demo
    from eventsapp.attendance import demo

    list(associations_demo.seed())
    db.session.commit()
    first = list(demo.seed())
    db.session.commit()
    second = list(demo.seed())
    db.session.commit()
    assert first == second and "40 invited, 25 checked in (3 walk-ins)" in first[0]
    event = demo._event(None)
    assert event.ends_at < utcnow()
    report = reports.build([event]).total
    assert report.attended == 25 and report.walk_ins == 3 and report.no_shows > 0 and report.answered > 0
