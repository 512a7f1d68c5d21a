"""Browser helpers shared by the Playwright tests."""
from __future__ import annotations

from tests.factories import PASSWORD


def sign_in(page, live_server: str, email: str, password: str = PASSWORD, *, lands_on: str = "/") -> None:
    """Sign in through the login form as a person would, and wait for the page they land on
    (organisers: the dashboard; check-in staff: today's doors)."""
    page.goto(f"{live_server}/login")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server}{lands_on}")
