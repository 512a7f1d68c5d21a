"""Every value a person reads has a label in their language: no internal codes on pages or in exports."""
from __future__ import annotations

import csv
import io
import re

from eventsapp.associations.models import Role
from eventsapp.invitations import services
from tests.factories import (
    AssociationFactory,
    ContactFactory,
    EventFactory,
    InvitationFactory,
    UserFactory,
    staff,
)
from tests.support.browser import sign_in


def test_the_invitee_table_names_the_last_email_and_its_state(db, page, live_server):
    event = EventFactory()
    InvitationFactory(event=event, contact=ContactFactory(full_name="Đỗ Thị Lan"))
    services.send_invitations(event.id)
    db.session.commit()
    sign_in(page, live_server, staff(event.association).email)
    page.goto(f"{live_server}/events/{event.id}/invitations")
    row = page.locator("#invitations tbody tr", has_text="Đỗ Thị Lan").inner_text()
    assert "Thư mời · Đang chờ gửi" in row
    assert "invitation" not in row and "queued" not in row
    page.goto(f"{live_server}/events/{event.id}/invitations?lang=en")
    assert "Invitation · Queued" in page.locator("#invitations tbody tr", has_text="Đỗ Thị Lan").inner_text()


def test_the_users_page_names_associations_and_roles(db, page, live_server):
    association = AssociationFactory(slug="viet-nhat", name_vi="Hội hữu nghị Việt Nam – Nhật Bản")
    staff(association, Role.CHECKIN, email="cua@example.vn")
    sign_in(page, live_server, UserFactory(is_admin=True).email)
    page.goto(f"{live_server}/admin/users")
    row = page.locator("tr", has_text="cua@example.vn").inner_text()
    assert "Hội hữu nghị Việt Nam – Nhật Bản: Nhân viên đón khách" in row
    assert "viet-nhat" not in row and "checkin" not in row


def test_the_event_page_says_what_its_version_counts(db, page, live_server):
    event = EventFactory(sequence=2)
    sign_in(page, live_server, staff(event.association).email)
    page.goto(f"{live_server}/events/{event.id}")
    text = page.locator("main").inner_text()
    assert "sequence" not in text and "Số lần thay đổi đã báo khách mời" not in text
    assert "Đã báo thay đổi cho khách mời\t2 lần" in text or "Đã báo thay đổi cho khách mời\n2 lần" in text


def test_calendar_words_are_plain(db, client, auth):
    """No "webcal" and no "personal calendar of events" jargon in what an organiser or invitee reads."""
    from flask_babel import force_locale

    from eventsapp.i18n import gettext

    association = AssociationFactory(slug="viet-duc")
    auth.login(staff(association))
    page = client.get("/associations/viet-duc/calendar-feeds").text
    assert "webcal)" not in page and "webcal link" not in page and "liên kết webcal" not in page
    assert "Mở bằng ứng dụng lịch trên máy" in page
    with force_locale("vi"):
        assert gettext("Your personal calendar of events") == "Lịch các sự kiện Quý vị được mời"


def test_the_invitation_export_writes_answers_and_languages_in_words(client, auth, db):
    event = EventFactory()
    InvitationFactory(event=event, contact=ContactFactory(full_name="An", language="vi"))
    InvitationFactory(event=event, contact=ContactFactory(full_name="Bob", language="en"), status="accepted")
    auth.login(staff(event.association))
    response = client.get(f"/events/{event.id}/invitations.csv")
    rows = {row["Họ và tên"]: row for row in csv.DictReader(io.StringIO(response.text.lstrip("\ufeff")))}
    assert rows["An"]["Trạng thái"] == "Chưa trả lời" and rows["An"]["Ngôn ngữ"] == "Tiếng Việt"
    assert rows["Bob"]["Trạng thái"] == "Nhận lời" and rows["Bob"]["Ngôn ngữ"] == "English"


def test_countries_and_zones_are_named_in_the_readers_language(client, auth, db):
    association = AssociationFactory()
    ContactFactory(full_name="Vũ Xuân Lộc", country="Cộng hòa Séc", timezone="Europe/Prague", associations=[association])
    ContactFactory(full_name="Lê Hà", country="Nhật Bản", timezone="Asia/Tokyo", associations=[association])
    auth.login(staff(association))
    english = client.get("/contacts/?lang=en").text
    assert "Czechia" in english and "Japan" in english
    shown = re.sub(r'value="[^"]*"', "", english)  # option values keep what is stored, for the filter
    assert "Cộng hòa Séc" not in shown and "Nhật Bản" not in shown
    assert "Japan Time (UTC+9)" in english
    vietnamese = client.get("/contacts/?lang=vi").text
    assert "Nhật Bản" in vietnamese and "giờ Nhật Bản (UTC+9)" in vietnamese
    assert 'value="Cộng hòa Séc"' in vietnamese  # the filter still matches what is stored


def test_the_country_filter_finds_a_country_in_either_language(db):
    from eventsapp.invitations.services import Criteria, count_invitees

    event = EventFactory()
    ContactFactory(country="Nhật Bản")
    ContactFactory(country="Japan")
    ContactFactory(country="Cộng hòa Séc")
    for typed in ("Japan", "nhat ban", "Nhật Bản"):
        assert count_invitees(event, Criteria(country=typed), user=None).added == 2, typed
    assert count_invitees(event, Criteria(country="Czechia"), user=None).added == 1
    assert count_invitees(event, Criteria(country="Atlantis"), user=None).added == 0
