"""Creating an event through the form in Chromium, and its public page read from Prague."""
from eventsapp.events.models import Event, EventStatus, Visibility
from tests.factories import AssociationFactory, staff
from tests.support.browser import sign_in


def test_organiser_creates_an_event_and_a_reader_in_prague_sees_their_time(live_server, page, browser, db):
    association = AssociationFactory(name_vi="Hội hữu nghị Việt Nam – Séc – Slovakia")
    organiser = staff(association, email="hoa@example.vn")
    errors = []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    sign_in(page, live_server, organiser.email)

    page.goto(f"{live_server}/events/new")
    page.fill("input[name=title_vi]", "Gặp mặt kiều bào tại Praha")
    page.select_option("select[name=visibility]", "public")
    page.select_option("select[name=timezone]", "Asia/Ho_Chi_Minh")
    page.fill("input[name=starts_local]", "2027-01-15T19:00")
    page.fill("input[name=ends_local]", "2027-01-15T21:00")
    page.fill("input[name=venue_name]", "Nhà văn hóa tỉnh Bắc Giang")
    page.fill("textarea[name=description_vi]", "Mời **bà con** <script>alert(1)</script>")
    page.click("#event-form button[type=submit]")
    page.wait_for_url(f"{live_server}/events/*")
    assert page.locator("h1").inner_text() == "Gặp mặt kiều bào tại Praha"
    assert "Thứ Sáu, 15 tháng 1, 2027, 19:00–21:00 · giờ Việt Nam (UTC+7)" in page.locator("main").inner_text()
    assert page.locator(".event-description strong").inner_text() == "bà con"
    page.click("button:has-text('Công bố')")
    page.wait_for_load_state()
    assert page.locator(".badge.text-bg-success").first.inner_text() == "Đã công bố"

    event = db.session.query(Event).one()
    db.session.refresh(event)
    assert event.status == EventStatus.PUBLISHED and event.visibility == Visibility.PUBLIC
    assert event.timezone == "Asia/Ho_Chi_Minh" and event.starts_at.hour == 12  # 19:00 +07 stored as 12:00 UTC

    # A reader in Prague: the page's script reloads with ?tz=Europe/Prague and shows both times.
    context = browser.new_context(locale="cs-CZ", timezone_id="Europe/Prague")
    reader = context.new_page()
    try:
        reader.goto(f"{live_server}/e/{event.slug}")
        reader.wait_for_url("**tz=Europe%2FPrague**")
        assert "15 tháng 1, 2027, 13:00–15:00 · giờ Séc (UTC+1)" in reader.locator(".event-time-reader").inner_text()
        assert "15 tháng 1, 2027, 19:00–21:00 · giờ Việt Nam (UTC+7)" in reader.locator(".event-time-local").inner_text()
    finally:
        context.close()
    assert errors == []
