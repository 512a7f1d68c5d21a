"""The check-in page at phone size in Chromium: find a person by name, check them in, counters move."""
from pathlib import Path

from sqlalchemy import select

from eventsapp.associations.models import Role
from eventsapp.attendance.models import CheckIn
from tests.attendance_factories import invite
from tests.factories import PASSWORD, AssociationFactory, EventFactory, staff

ARTIFACTS = Path(__file__).resolve().parent / ".artifacts"


def test_check_in_by_search_on_a_phone(live_server, phone_page, db):
    association = AssociationFactory()
    event = EventFactory(association=association, title_vi="Gặp mặt kiều bào Xuân Bính Ngọ")
    user = staff(association, Role.CHECKIN, email="cua@example.vn", name="Trần Văn Nam")
    invite(event, full_name="Nguyễn Văn Ân", email="an.nguyen@example.vn", guests=1)
    invite(event, full_name="Lê Thị Hoa", email="hoa.le@example.vn")
    page = phone_page
    errors = []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda error: errors.append(str(error)))

    page.goto(f"{live_server}/login")
    page.fill("input[name=email]", user.email)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server}/")
    page.goto(f"{live_server}/events/{event.id}/checkin")
    assert page.locator("[data-count=expected]").inner_text() == "2"
    assert page.locator("[data-count=checked_in]").inner_text() == "0"
    assert page.evaluate("typeof window.ZXingBrowser") == "object"  # the vendored scanner loaded
    start = page.locator("#scan-start").bounding_box()
    assert start["width"] > 300 and start["height"] >= 44  # a big touch target

    page.fill("#door-q", "nguyen van an")  # typed without diacritics
    card = page.locator(".person-card", has_text="Nguyễn Văn Ân")
    card.wait_for()
    assert page.locator(".person-card").count() == 1
    card.locator(".checkin-button").tap()
    page.locator("[data-count=checked_in]", has_text="1").wait_for()
    assert page.locator("[data-count=checked_in_guests]").inner_text() == "1"
    assert "Nguyễn Văn Ân" in page.locator("#door-message").inner_text()
    card.locator(".checked-in-note").wait_for()
    assert "Trần Văn Nam" in card.locator(".checked-in-note").inner_text()
    db.session.expire_all()
    rows = db.session.scalars(select(CheckIn).where(CheckIn.event_id == event.id)).all()
    assert [(r.contact.full_name, r.guests) for r in rows] == [("Nguyễn Văn Ân", 1)]

    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "attendance-checkin-phone.png"), full_page=True)
    assert page.evaluate("document.documentElement.scrollWidth") <= 390  # no sideways scrolling
    assert errors == []
