"""Finding one's way in Chromium: dashboard events lead to their page, check-in staff land on
today's doors (no organiser tabs there), the menu fits a 1366 px screen in both languages."""
from datetime import timedelta
from pathlib import Path

import pytest

from eventsapp.associations.models import Role
from eventsapp.timeutils import utcnow
from tests.factories import PASSWORD, AssociationFactory, EventFactory, UserFactory, staff

ARTIFACTS = Path(__file__).resolve().parent / ".artifacts"


def sign_in(page, base: str, user) -> None:
    page.goto(f"{base}/login")
    page.fill("input[name=email]", user.email)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_load_state()


def test_dashboard_events_lead_to_their_page(live_server, page, db):
    association = AssociationFactory()
    event = EventFactory(association=association, title_vi="Gặp mặt Xuân Bính Ngọ")
    user = staff(association, Role.ORGANISER)
    db.session.commit()
    sign_in(page, live_server, user)
    page.wait_for_url(f"{live_server}/")
    page.get_by_role("link", name="Gặp mặt Xuân Bính Ngọ").click()
    page.wait_for_url(f"{live_server}/events/{event.id}")
    assert page.locator("h1").inner_text() == "Gặp mặt Xuân Bính Ngọ"


def test_check_in_staff_land_on_todays_doors(live_server, phone_page, db):
    association = AssociationFactory()
    now = utcnow().replace(microsecond=0)
    today = EventFactory(association=association, title_vi="Gặp mặt tối nay",
                         starts_at=now + timedelta(hours=1), ends_at=now + timedelta(hours=4))
    EventFactory(association=association, title_vi="Hội chợ tháng sau",
                 starts_at=now + timedelta(days=30), ends_at=now + timedelta(days=30, hours=3))
    EventFactory(title_vi="Sự kiện của hội khác", starts_at=now + timedelta(hours=1),
                 ends_at=now + timedelta(hours=3))
    user = staff(association, Role.CHECKIN)
    db.session.commit()
    page = phone_page

    sign_in(page, live_server, user)
    page.wait_for_url(f"{live_server}/doors")
    doors = page.locator("main")
    assert "Gặp mặt tối nay" in doors.inner_text()
    assert "Hội chợ tháng sau" not in doors.inner_text()
    assert "Sự kiện của hội khác" not in doors.inner_text()
    # The menu offers the door, not the organisers' pages.
    menu = page.locator("#main-nav")
    assert menu.locator("a", has_text="Sự kiện").count() == 0
    assert menu.locator("a", has_text="Danh bạ").count() == 0

    page.get_by_role("link", name="Gặp mặt tối nay").click()
    page.wait_for_url(f"{live_server}/events/{today.id}/checkin")
    assert page.locator(".nav-tabs").count() == 0  # no organiser tabs at the door
    assert page.locator("main").get_by_text("Lời mời").count() == 0
    page.get_by_role("link", name="Cửa vào hôm nay").click()
    page.wait_for_url(f"{live_server}/doors")

    # The dashboard address takes them to the doors too.
    page.goto(f"{live_server}/")
    page.wait_for_url(f"{live_server}/doors")


def test_organisers_reach_the_door_from_the_event_and_back(live_server, page, db):
    association = AssociationFactory()
    event = EventFactory(association=association, title_vi="Gặp mặt cuối năm")
    user = staff(association, Role.ORGANISER)
    db.session.commit()
    sign_in(page, live_server, user)
    page.goto(f"{live_server}/events/{event.id}")
    page.locator(".nav-tabs").get_by_role("link", name="Điểm danh", exact=True).click()
    page.wait_for_url(f"{live_server}/events/{event.id}/checkin")
    assert page.locator(".nav-tabs").count() == 0
    page.get_by_role("link", name="Trang sự kiện").click()
    page.wait_for_url(f"{live_server}/events/{event.id}")


@pytest.mark.parametrize("language", ["vi", "en"])
def test_the_admin_menu_fits_a_1366_px_screen(live_server, browser, db, language):
    admin = UserFactory(email="quan.tri.vien.hoi.huu.nghi@lien-hiep-huu-nghi.example.vn", is_admin=True,
                        name="Nguyễn Thị Quản Trị")
    db.session.commit()
    context = browser.new_context(viewport={"width": 1366, "height": 800}, locale="vi-VN")
    page = context.new_page()
    sign_in(page, live_server, admin)
    page.goto(f"{live_server}/lang/{language}")
    page.wait_for_url(f"{live_server}/")
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"navbar-1366-{language}.png"))
    assert page.evaluate("document.documentElement.scrollWidth") <= 1366
    navbar = page.locator("nav.navbar").bounding_box()
    assert navbar["height"] < 80  # one line
    # Signing out is visible and works.
    page.locator("#account-menu").click()
    sign_out = page.get_by_role("button", name="Đăng xuất" if language == "vi" else "Sign out")
    box = sign_out.bounding_box()
    assert box["x"] + box["width"] <= 1366
    sign_out.click()
    page.wait_for_url(f"{live_server}/login")
    context.close()
