"""A date typed in a form reads the same whatever the browser's language: the field's value is
written out in words, in the page's language, beside it."""
from __future__ import annotations

import pytest

from tests.factories import AssociationFactory, staff
from tests.support.browser import sign_in


@pytest.mark.parametrize(("language", "first_day", "changed"), [
    ("vi", "Thứ Tư, 3 tháng 2, 2027", "Thứ Sáu, 5 tháng 3, 2027"),
    ("en", "Wednesday, February 3, 2027", "Friday, March 5, 2027"),
])
def test_a_date_field_says_its_day_in_words_in_a_browser_set_to_american_english(
        db, browser, live_server, language, first_day, changed):
    organiser = staff(AssociationFactory(), email="thu-ky@example.vn")
    db.session.commit()
    context = browser.new_context(locale="en-US", timezone_id="America/New_York", viewport={"width": 390, "height": 844})
    page = context.new_page()
    sign_in(page, live_server, organiser.email)
    page.goto(f"{live_server}/lang/{language}")
    page.goto(f"{live_server}/campaigns/new?kind=tet_week&year=2027")
    assert page.locator("#starts_on-in-words").inner_text() == first_day
    page.fill("#starts_on", "2027-03-05")
    assert page.locator("#starts_on-in-words").inner_text() == changed
    page.goto(f"{live_server}/events/new")
    page.fill("#starts_local", "2027-02-05T19:30")
    assert page.locator("#starts_local-in-words").inner_text() in (
        "Thứ Sáu, 5 tháng 2, 2027, 19:30", "Friday, February 5, 2027, 7:30 PM")
    context.close()
