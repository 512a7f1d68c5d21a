"""Dates and times as people read them (eventsapp/timefmt.py), and where they meet them: pages and pickers."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest

from eventsapp import timefmt
from tests.factories import ContactFactory, EventFactory, InvitationFactory
from tests.support.browser import sign_in

UTC = timezone.utc
START, END = datetime(2027, 2, 5, 12, 0, tzinfo=UTC), datetime(2027, 2, 5, 14, 30, tzinfo=UTC)


@pytest.mark.parametrize("locale, zone_name, expected", [
    ("vi", "Asia/Ho_Chi_Minh", "Thứ Sáu, 5 tháng 2, 2027, 19:00–21:30 · giờ Việt Nam (UTC+7)"),
    ("en", "Asia/Ho_Chi_Minh", "Friday, February 5, 2027, 7:00 – 9:30 PM · Vietnam Time (UTC+7)"),
    ("vi", "Asia/Tokyo", "Thứ Sáu, 5 tháng 2, 2027, 21:00–23:30 · giờ Nhật Bản (UTC+9)"),
    ("en", "Europe/Berlin", "Friday, February 5, 2027, 1:00 – 3:30 PM · Germany (Berlin) Time (UTC+1)"),
    ("vi", "Asia/Kolkata", "Thứ Sáu, 5 tháng 2, 2027, 17:30–20:00 · giờ Ấn Độ (UTC+5:30)"),
])
def test_a_range_writes_its_date_once_with_a_four_digit_year_and_a_named_zone(locale, zone_name, expected):
    assert timefmt.span_text(START, END, zone_name, locale) == expected


def test_a_range_over_midnight_writes_both_dates_and_all_day_events_no_time():
    late = datetime(2027, 2, 5, 18, 0, tzinfo=UTC)  # 01:00 the next day in Hà Nội
    assert timefmt.span_text(START, late, "Asia/Ho_Chi_Minh", "vi") == \
        "Thứ Sáu, 5 tháng 2, 2027, 19:00 – Thứ Bảy, 6 tháng 2, 2027, 01:00 · giờ Việt Nam (UTC+7)"
    midnight = datetime(2027, 2, 4, 17, 0, tzinfo=UTC)  # local midnights, the end exclusive
    one_day = timefmt.span_text(midnight, datetime(2027, 2, 5, 17, 0, tzinfo=UTC), "Asia/Ho_Chi_Minh", "en",
                                all_day=True)
    assert one_day == "Friday, February 5, 2027"
    three = timefmt.span_text(midnight, datetime(2027, 2, 7, 17, 0, tzinfo=UTC), "Asia/Ho_Chi_Minh", "vi",
                              all_day=True)
    assert three == "Thứ 6, 5 thg 2 – CN, 7 thg 2, 2027" and "00:00" not in three


def test_an_unknown_zone_is_shown_as_written_not_as_the_default():
    assert timefmt.zone_label("Mars/Olympus", "vi") == "Mars/Olympus"
    assert timefmt.zone_label("Asia/Ho_Chi_Minh", "vi") == "giờ Việt Nam (UTC+7)"


def test_the_zone_picker_lists_the_contacts_zones_first_and_leaves_out_the_technical_ones():
    choices = timefmt.zone_choices(["Asia/Tokyo", "Asia/Ho_Chi_Minh", "Factory"], "vi")
    values = [value for value, _label in choices]
    assert values[:2] == ["Asia/Tokyo", "Asia/Ho_Chi_Minh"]
    assert dict(choices)["Asia/Tokyo"].startswith("giờ Nhật Bản (UTC+9)")
    for technical in ("Factory", "localtime", "posixrules", "Etc/GMT+7", "US/Eastern", "EST5EDT"):
        assert technical not in values
    assert "UTC" in values and "America/Sao_Paulo" in values


def test_the_rsvp_page_reads_one_line_per_zone_in_the_readers_language(db, page, live_server):
    event = EventFactory(starts_at=START, ends_at=END, timezone="Asia/Ho_Chi_Minh")
    vi = InvitationFactory(event=event, contact=ContactFactory(language="vi", timezone="Asia/Tokyo"))
    en = InvitationFactory(event=event, contact=ContactFactory(language="en", timezone="Asia/Ho_Chi_Minh"))
    page.goto(f"{live_server}/rsvp/{vi.token}")
    when = page.locator("dd").first.inner_text()
    assert when == ("Thứ Sáu, 5 tháng 2, 2027, 19:00–21:30 · giờ Việt Nam (UTC+7)\n"
                    "Thứ Sáu, 5 tháng 2, 2027, 21:00–23:30 · giờ Nhật Bản (UTC+9)")
    page.goto(f"{live_server}/rsvp/{en.token}")
    when = page.locator("dd").first.inner_text()
    assert when == "Friday, February 5, 2027, 7:00 – 9:30 PM · Vietnam Time (UTC+7)"
    assert "2/5/27" not in page.locator("main").inner_text()


def test_an_all_day_event_shows_its_date_not_midnight(db, page, live_server):
    event = EventFactory(starts_at=datetime(2027, 2, 4, 17, 0, tzinfo=UTC), ends_at=datetime(2027, 2, 5, 17, 0, tzinfo=UTC),
                         all_day=True, timezone="Asia/Ho_Chi_Minh")
    invitation = InvitationFactory(event=event, contact=ContactFactory(language="vi", timezone="Europe/Berlin"))
    page.goto(f"{live_server}/rsvp/{invitation.token}")
    assert page.locator("dd").first.inner_text() == "Thứ Sáu, 5 tháng 2, 2027"
    assert "00:00" not in page.locator("main").inner_text()


def test_the_zone_picker_is_searchable_and_offers_the_associations_zones_first(db, page, live_server):
    from tests.factories import AssociationFactory, MembershipFactory

    association = AssociationFactory()
    organiser = MembershipFactory(association=association).user
    for _ in range(2):
        ContactFactory(timezone="Asia/Seoul", associations=[association])
    ContactFactory(timezone="Europe/Prague", associations=[association])
    sign_in(page, live_server, organiser.email)
    page.goto(f"{live_server}/events/new")
    options = page.locator("select[name=timezone] option")
    assert options.nth(0).get_attribute("value") == "Asia/Seoul"
    assert options.nth(1).get_attribute("value") == "Europe/Prague"
    assert options.nth(0).inner_text() == "giờ Hàn Quốc (UTC+9) — Seoul"
    labels = options.all_inner_texts()
    assert "giờ Việt Nam (UTC+7) — TP Hồ Chí Minh" in labels
    assert [label for label in labels if "/" in label or "_" in label] == []  # no IANA id shown
    page.fill("input[type=search][aria-controls=timezone]", "tokyo")
    shown = page.eval_on_selector_all("select[name=timezone] option:not([hidden])", "os => os.map(o => o.value)")
    assert shown == ["Asia/Tokyo"]
    page.fill("input[type=search][aria-controls=timezone]", "nhat ban")
    shown = page.eval_on_selector_all("select[name=timezone] option:not([hidden])", "os => os.map(o => o.value)")
    assert shown == ["Asia/Tokyo"]
    page.fill("input[type=search][aria-controls=timezone]", "utc+7")
    shown = page.eval_on_selector_all("select[name=timezone] option:not([hidden])", "os => os.map(o => o.value)")
    assert "Asia/Ho_Chi_Minh" in shown and "Asia/Bangkok" in shown and "Asia/Tokyo" not in shown
    assert page.locator("select[name=timezone] option[value=Factory]").count() == 0


def test_the_agenda_and_campaigns_write_dates_in_the_readers_language(client, auth, db):
    from datetime import date

    from tests.factories import CampaignFactory, staff

    event = EventFactory(starts_at=datetime(2027, 2, 5, 12, 0, tzinfo=UTC), ends_at=datetime(2027, 2, 5, 14, 0, tzinfo=UTC))
    CampaignFactory(association=event.association, starts_on=date(2027, 2, 5), ends_on=date(2027, 2, 12))
    auth.login(staff(event.association, locale="en", timezone="Asia/Ho_Chi_Minh"))
    agenda = client.get(f"/events/agenda?association={event.association_id}&lang=en").text
    assert "Friday, February 5, 2027" in agenda and "7:00 PM" in agenda and "05/02/2027" not in agenda
    assert "Days and times in Vietnam Time (UTC+7)." in agenda and "Asia/Ho_Chi_Minh" not in agenda
    campaigns = client.get("/campaigns/?lang=vi").text
    assert "5 – 12 thg 2, 2027" in campaigns and "05/02/2027" not in campaigns
