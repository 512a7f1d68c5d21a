"""The door as door staff meet it on a phone (390 px, Chromium), in Vietnamese and English: a door page
of another day warns and asks before a check-in, the walk-in form says why it waits while offline, the
search box's hint fits, and the event's tabs name the door and the report with one word each."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from eventsapp.associations.models import Role
from eventsapp.attendance.models import CheckIn
from eventsapp.timeutils import utcnow
from tests.attendance_factories import door, invite
from tests.conftest import ARTIFACTS
from tests.factories import staff
from tests.support.browser import sign_in

WORDS = {
    "vi": {"not_today": "Không phải hôm nay: sự kiện này diễn ra ngày",
           "ask": "Hôm nay không phải ngày diễn ra sự kiện",
           "walk_in_offline": "Đang mất mạng: người không có trong danh sách chỉ ghi thêm được khi có mạng trở lại",
           "placeholder": "Họ tên hoặc email", "network_error": "Mất kết nối",
           "tabs": ("Điểm danh", "Tham dự"), "checked_in": "Đã điểm danh: Nguyễn Văn Ân."},
    "en": {"not_today": "Not today: this event takes place on",
           "ask": "Today is not the day of this event",
           "walk_in_offline": "Offline: a person who is not on the list can be added only when the network is back",
           "placeholder": "Name or e-mail", "network_error": "No connection",
           "tabs": ("Check-in", "Attendance"), "checked_in": "Checked in: Nguyễn Văn Ân."},
}


def _phone(browser, live_server, user, language):
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True,
                                  locale="vi-VN", timezone_id="Asia/Ho_Chi_Minh")
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    sign_in(page, live_server, user.email, lands_on="/doors" if user.memberships[0].role == Role.CHECKIN else "/")
    page.goto(f"{live_server}/lang/{language}")
    return context, page, errors


def _active(db, event_id):
    db.session.expire_all()
    return list(db.session.scalars(select(CheckIn).where(CheckIn.event_id == event_id, CheckIn.undone_at.is_(None))))


@pytest.mark.parametrize("language", ["vi", "en"])
def test_a_door_of_another_day_warns_and_asks_before_checking_in(live_server, browser, db, language):
    words = WORDS[language]
    starts = utcnow().replace(microsecond=0) + timedelta(days=13)
    event, user = door(title_vi="Gặp mặt kiều bào", starts_at=starts, ends_at=starts + timedelta(hours=3))
    invite(event, full_name="Nguyễn Văn Ân")
    context, page, errors = _phone(browser, live_server, user, language)
    try:
        page.goto(f"{live_server}/events/{event.id}/checkin")
        warning = page.locator("#door-day-warning")
        assert warning.is_visible() and words["not_today"] in warning.inner_text()
        box = warning.bounding_box()
        assert box["y"] < 400  # seen before anything else is done
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / f"door-another-day-{language}.png"))

        page.fill("#door-q", "nguyen van an")
        card = page.locator(".person-card", has_text="Nguyễn Văn Ân")
        asked = []

        def answer(dialog, accept):
            asked.append(dialog.message)
            dialog.accept() if accept else dialog.dismiss()

        page.once("dialog", lambda dialog: answer(dialog, False))
        card.locator(".checkin-button").tap()
        page.wait_for_function("document.querySelector('#door-q') !== null")
        assert len(asked) == 1 and words["ask"] in asked[0]
        assert _active(db, event.id) == []  # "no": nobody is checked in

        page.once("dialog", lambda dialog: answer(dialog, True))
        card.locator(".checkin-button").tap()
        page.locator("#door-message", has_text=words["checked_in"]).wait_for()
        assert len(asked) == 2 and len(_active(db, event.id)) == 1
        assert errors == []
    finally:
        context.close()


@pytest.mark.parametrize("language", ["vi", "en"])
def test_todays_door_has_no_warning_and_its_search_hint_fits_a_phone(live_server, browser, db, language):
    words = WORDS[language]
    event, user = door(title_vi="Lễ kỷ niệm ngày truyền thống")
    context, page, errors = _phone(browser, live_server, user, language)
    try:
        page.goto(f"{live_server}/events/{event.id}/checkin")
        page.locator("#door[data-list-ready=true]").wait_for()
        assert not page.locator("#door-day-warning").is_visible()
        search = page.locator("#door-q")
        assert search.get_attribute("placeholder") == words["placeholder"]
        room, needed = page.evaluate("""() => {
            const input = document.getElementById('door-q'), style = getComputedStyle(input);
            const context = document.createElement('canvas').getContext('2d');
            context.font = style.font;
            return [input.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight),
                    context.measureText(input.placeholder).width];
        }""")
        assert needed <= room, (needed, room)  # the whole hint shows, nothing cut off
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
        assert errors == []
    finally:
        context.close()


@pytest.mark.parametrize("language", ["vi", "en"])
def test_the_walk_in_form_says_why_it_waits_offline_and_works_again_online(live_server, browser, db, language):
    words = WORDS[language]
    event, user = door()
    context, page, errors = _phone(browser, live_server, user, language)
    try:
        page.goto(f"{live_server}/events/{event.id}/checkin")
        page.locator("#door[data-list-ready=true][data-offline-ready=true]").wait_for()
        note = page.locator("#walkin-offline")
        button = page.locator("#walkin-form button[type=submit]")
        assert not note.is_visible() and button.is_enabled()

        context.set_offline(True)
        page.locator("#door[data-online=false]").wait_for()
        assert note.is_visible() and words["walk_in_offline"] in note.inner_text()
        assert button.is_disabled()
        note.scroll_into_view_if_needed()
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / f"door-walk-in-offline-{language}.png"))

        context.set_offline(False)
        page.locator("#door[data-online=true]").wait_for()
        assert not note.is_visible() and button.is_enabled()
        assert words["network_error"] not in page.locator("main").inner_text()

        # The network drops while the walk-in is sent: the failure is said, and forgotten once it is back.
        page.route("**/checkin/walk-in", lambda route: route.abort())
        page.fill("#walkin-form input[name=full_name]", "Hoàng Văn Khách")
        button.tap()
        page.locator("#door-message", has_text=words["network_error"]).wait_for()
        page.unroute("**/checkin/walk-in")
        page.locator("#door[data-online=true]").wait_for()  # the counters read every 5 s answer again
        page.locator("#door-message", has_text=words["network_error"]).wait_for(state="hidden")
        assert button.is_enabled() and not note.is_visible()
        page.fill("#walkin-form input[name=full_name]", "Hoàng Văn Khách")
        button.tap()
        page.locator("#door-message", has_text="Hoàng Văn Khách").wait_for()
        assert [r.contact.full_name for r in _active(db, event.id)] == ["Hoàng Văn Khách"]
        assert errors == []
    finally:
        context.close()


@pytest.mark.parametrize("language", ["vi", "en"])
def test_the_event_tabs_name_the_door_and_the_report_once_each(live_server, browser, db, language):
    words = WORDS[language]
    event, _ = door()
    organiser = staff(event.association, Role.ORGANISER, email="to.chuc@example.vn")
    context, page, errors = _phone(browser, live_server, organiser, language)
    try:
        page.goto(f"{live_server}/events/{event.id}")
        tabs = page.locator(".nav-tabs").inner_text()
        door_tab, report_tab = words["tabs"]
        assert door_tab in tabs and report_tab in tabs
        if language == "vi":
            assert "Check-in" not in tabs and "check-in" not in page.locator("main").inner_text().lower()
        page.locator(".nav-tabs").get_by_role("link", name=door_tab, exact=True).click()
        page.wait_for_url(f"{live_server}/events/{event.id}/checkin")
    finally:
        context.close()
