"""Key pages in a real browser (Debian's Chromium through Playwright)."""
from pathlib import Path

from tests.factories import UserFactory
from tests.support.browser import sign_in

ARTIFACTS = Path(__file__).resolve().parent / ".artifacts"


def test_login_and_dashboard_render_in_chromium(live_server, page, db):
    UserFactory(email="hoa@example.vn", name="Nguyễn Thị Hoa")
    errors = []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    sign_in(page, live_server, "hoa@example.vn")
    assert page.locator("h1").inner_text() == "Xin chào, Nguyễn Thị Hoa"
    # Bootstrap is served by the app itself and applied (no CDN).
    assert page.evaluate("getComputedStyle(document.querySelector('.navbar')).display") == "flex"
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "dashboard.png"), full_page=True)
    assert errors == []  # no CSP violations or script errors


def test_language_switch_to_english_in_chromium(live_server, page, db):
    page.goto(f"{live_server}/login")
    page.click("a[lang=en]")
    page.wait_for_load_state()
    assert page.locator("h1").inner_text() == "Sign in"
    assert "Đăng nhập" not in page.locator("main").inner_text()
