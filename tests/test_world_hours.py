"""Each person's hour: a send at 09:00 in each invitee's zone (across the European change to summer time),
its progress, and quiet hours for reminders and thank-yous — with the real worker and time travel."""
from __future__ import annotations

import time as clock_time
from datetime import datetime, time, timedelta
from email.utils import parsedate_to_datetime

import pytest
from sqlalchemy import select

from eventsapp.hours import after_quiet_hours, in_quiet_hours, next_wall_time
from eventsapp.invitations import services
from eventsapp.invitations.models import InvitationStatus
from eventsapp.mail import services as mail_services
from eventsapp.mail.models import MessageKind, MessageState, OutboxMessage
from eventsapp.reminders import services as reminders
from eventsapp.reminders.models import RuleKind
from eventsapp.timeutils import UTC, utcnow, zone
from tests.factories import AssociationFactory, ContactFactory, EventFactory, InvitationFactory, staff
from tests.reminders_helpers import invite, rule

# Saturday 27 March 2027, 12:00 UTC: Europe moves to summer time the next night (01:00 UTC, 28 March);
# Los Angeles moved two weeks earlier; Hanoi and Tokyo never do.
SATURDAY_NOON = datetime(2027, 3, 27, 12, 0, tzinfo=UTC)
PEOPLE = {  # e-mail: (zone, when 09:00 comes there, in UTC)
    "los-angeles@example.com": ("America/Los_Angeles", datetime(2027, 3, 27, 16, 0, tzinfo=UTC)),  # PDT, UTC-7
    "tokyo@example.jp": ("Asia/Tokyo", datetime(2027, 3, 28, 0, 0, tzinfo=UTC)),
    "ha-noi@example.vn": ("Asia/Ho_Chi_Minh", datetime(2027, 3, 28, 2, 0, tzinfo=UTC)),
    "khong-ro@example.vn": ("", datetime(2027, 3, 28, 2, 0, tzinfo=UTC)),  # no zone: the association's (Hanoi)
    "praha@example.cz": ("Europe/Prague", datetime(2027, 3, 28, 7, 0, tzinfo=UTC)),  # CEST now, UTC+2
    "berlin@example.de": ("Europe/Berlin", datetime(2027, 3, 28, 7, 0, tzinfo=UTC)),
}


def _event_with_people(**event):
    association = AssociationFactory(timezone="Asia/Ho_Chi_Minh")
    event.setdefault("starts_at", SATURDAY_NOON + timedelta(days=14))
    made = EventFactory(association=association, ends_at=event["starts_at"] + timedelta(hours=3), **event)
    for address, (zone_name, _due) in PEOPLE.items():
        InvitationFactory(event=made, contact=ContactFactory(email=address, timezone=zone_name))
    return made


def _due_times(db) -> dict[str, datetime]:
    db.session.rollback()
    return {row.recipient: row.next_attempt_at for row in db.session.scalars(select(OutboxMessage))}


def _wait_until_recorded(db, timeout: float = 30) -> None:
    """Wait until the worker has recorded every message it sent (none is left `sending`)."""
    deadline = clock_time.monotonic() + timeout
    while clock_time.monotonic() < deadline:
        db.session.rollback()
        sending = db.session.scalar(select(OutboxMessage.id).where(OutboxMessage.state == MessageState.SENDING))
        if sending is None:
            return
        clock_time.sleep(0.05)
    raise AssertionError("the worker did not record what it sent")


# ---------------------------------------------------------------- the clock arithmetic

@pytest.mark.parametrize(("zone_name", "now", "expected"), [
    ("Europe/Prague", datetime(2027, 3, 27, 12, 0, tzinfo=UTC), datetime(2027, 3, 28, 7, 0, tzinfo=UTC)),  # summer
    ("Europe/Prague", datetime(2027, 3, 26, 12, 0, tzinfo=UTC), datetime(2027, 3, 27, 8, 0, tzinfo=UTC)),  # winter
    ("Europe/Berlin", datetime(2027, 10, 30, 12, 0, tzinfo=UTC), datetime(2027, 10, 31, 8, 0, tzinfo=UTC)),  # back
    ("America/Los_Angeles", datetime(2027, 3, 13, 20, 0, tzinfo=UTC), datetime(2027, 3, 14, 16, 0, tzinfo=UTC)),
    ("Asia/Tokyo", datetime(2027, 3, 27, 23, 59, tzinfo=UTC), datetime(2027, 3, 28, 0, 0, tzinfo=UTC)),
    ("Asia/Ho_Chi_Minh", datetime(2027, 3, 28, 2, 0, tzinfo=UTC), datetime(2027, 3, 29, 2, 0, tzinfo=UTC)),  # strictly after
])
def test_the_next_nine_o_clock_is_the_zone_s_own_across_daylight_saving_changes(zone_name, now, expected):
    assert next_wall_time(now, time(9, 0), zone_name) == expected
    assert expected.astimezone(zone(zone_name)).strftime("%H:%M") == "09:00"


def test_quiet_hours_span_midnight_and_end_at_the_zone_s_morning():
    night = datetime(2027, 3, 27, 22, 0, tzinfo=UTC)  # 23:00 in Prague, the night summer time begins
    assert in_quiet_hours(night, "Europe/Prague")
    assert after_quiet_hours(night, "Europe/Prague") == datetime(2027, 3, 28, 5, 0, tzinfo=UTC)  # 07:00 CEST
    day = datetime(2027, 3, 27, 12, 0, tzinfo=UTC)
    assert after_quiet_hours(day, "Europe/Prague") == day
    assert after_quiet_hours(day, "Asia/Tokyo") == datetime(2027, 3, 27, 22, 0, tzinfo=UTC)  # 21:00 → 07:00 JST
    assert not in_quiet_hours(night, "Europe/Prague", 9 * 60, 9 * 60)  # equal bounds: no quiet hours


# ---------------------------------------------------------------- the send, end to end

@pytest.mark.slow
def test_each_invitee_receives_the_invitation_at_nine_in_their_own_zone(app, db, celery_worker, smtp_sink, travel):
    smtp_sink.clear()
    travel(SATURDAY_NOON)
    event = _event_with_people()
    send_id, queued = services.send_invitations(event.id, local_time=time(9, 0))
    db.session.commit()
    assert queued == len(PEOPLE)
    assert _due_times(db) == {address: due for address, (_zone, due) in PEOPLE.items()}
    progress = mail_services.progress(send_id)
    assert progress["waiting_for_time"] == len(PEOPLE)
    assert progress["last_due_at"] == datetime(2027, 3, 28, 7, 0, tzinfo=UTC).isoformat()

    celery = app.extensions["celery"]
    received: set[str] = set()
    for due in sorted({due for _zone, due in PEOPLE.values()}):
        travel(due - timedelta(minutes=2))  # just before: the worker's sweep finds nothing due
        celery.send_task("mail.sweep")
        clock_time.sleep(1.5)
        assert {m.recipients[0] for m in smtp_sink.messages} == received
        travel(due + timedelta(seconds=20))
        celery.send_task("mail.sweep")  # what beat runs every minute
        expected = received | {address for address, (_zone, when) in PEOPLE.items() if when == due}
        smtp_sink.wait_for(len(expected), timeout=60)
        assert {m.recipients[0] for m in smtp_sink.messages} == expected
        _wait_until_recorded(db)  # before the clock jumps hours ahead: a row still "sending" would look lost
        received = expected
    for message in smtp_sink.messages:  # the Date each carries is the worker's clock when it went
        address = message.recipients[0]
        zone_name = PEOPLE[address][0] or "Asia/Ho_Chi_Minh"
        local = parsedate_to_datetime(message.header("Date")).astimezone(zone(zone_name))
        assert (local.hour, local.minute) == (9, 0), (address, local)


def test_an_hour_that_comes_after_the_start_sends_at_once(db, travel):
    travel(SATURDAY_NOON)
    event = _event_with_people(starts_at=datetime(2027, 3, 28, 1, 0, tzinfo=UTC))  # 09:00 in Tokyo comes first
    services.send_invitations(event.id, local_time=time(9, 0))
    db.session.commit()
    due = _due_times(db)
    assert due["tokyo@example.jp"] == datetime(2027, 3, 28, 0, 0, tzinfo=UTC)
    assert due["los-angeles@example.com"] == datetime(2027, 3, 27, 16, 0, tzinfo=UTC)
    for late in ("ha-noi@example.vn", "praha@example.cz", "berlin@example.de"):
        assert abs(due[late] - utcnow()) < timedelta(minutes=1)  # now, not after the event began


def test_a_time_and_an_hour_in_each_zone_are_not_both_taken(db):
    event = EventFactory()
    with pytest.raises(services.InvitationError):
        services.send_invitations(event.id, not_before=utcnow() + timedelta(hours=1), local_time=time(9, 0))


# ---------------------------------------------------------------- the page and the API

def test_the_organiser_sends_at_nine_in_each_zone_and_sees_who_waits(app, db, auth, travel):
    travel(SATURDAY_NOON)
    event = _event_with_people()
    organiser = staff(event.association, locale="en")
    auth.login(organiser)
    page = auth.post(f"/events/{event.id}/invitations/send", data={"when": "local", "local_time": "09:00"},
                     follow_redirects=True, form_url=f"/events/{event.id}/invitations")
    text = page.get_data(as_text=True)
    assert "6 invitations will go out at 09:00 in each invitee&#39;s time zone." in text
    assert "6 wait for their hour; the last goes" in text
    assert len(_due_times(db)) == 6


@pytest.mark.parametrize("hostile", ["25:00", "9", "09:00\r\nBcc: x@example.com", "\x00", "a" * 10_000,
                                     "javascript:alert(1)", "=cmd|' /C calc'!A0", ""])
def test_a_hostile_hour_on_the_page_is_refused_and_nothing_is_queued(app, db, auth, hostile):
    event = EventFactory()
    InvitationFactory(event=event)
    auth.login(staff(event.association, locale="en"))
    page = auth.post(f"/events/{event.id}/invitations/send", data={"when": "local", "local_time": hostile},
                     follow_redirects=True, form_url=f"/events/{event.id}/invitations")
    assert page.status_code in (200, 400)
    if page.status_code == 200:
        assert "The hour in each invitee&#39;s zone" in page.get_data(as_text=True)
    assert _due_times(db) == {}


def test_the_api_sends_at_an_hour_in_each_zone_and_reports_who_waits(app, db, api, travel):
    travel(SATURDAY_NOON)
    event = _event_with_people()
    client = api(staff(event.association))
    answer = client.post(f"/api/v1/events/{event.id}/invitations/send", json={"local_time": "09:00"})
    assert answer.status_code == 202, answer.get_json()
    progress = client.get(answer.get_json()["progress_url"]).get_json()
    assert progress["waiting_for_time"] == 6 and progress["queued"] == 6
    assert progress["last_due_at"].startswith("2027-03-28T07:00")


@pytest.mark.parametrize("hostile", ["24:00", "09:60", 9, {}, [], "\ud800", "0" * 10_000, 2**63, "javascript:",
                                     "=cmd", "09:00\n"])
def test_the_api_refuses_a_hostile_hour(app, db, api, hostile):
    event = EventFactory()
    InvitationFactory(event=event)
    answer = api(staff(event.association)).post(f"/api/v1/events/{event.id}/invitations/send",
                                                json={"local_time": hostile})
    assert answer.status_code == 400
    error = answer.get_json()["error"]
    assert "local_time" in error["fields"] or error["code"] == "invalid_characters"
    assert _due_times(db) == {}


def test_the_api_refuses_a_time_and_an_hour_together(app, db, api):
    event = EventFactory()
    InvitationFactory(event=event)
    answer = api(staff(event.association)).post(f"/api/v1/events/{event.id}/invitations/send", json={
        "local_time": "09:00", "not_before": (utcnow() + timedelta(hours=2)).isoformat()})
    assert answer.status_code == 409
    assert _due_times(db) == {}


def test_the_send_form_offers_each_invitee_s_hour_in_both_languages(app, db, auth):
    event = EventFactory()
    for locale, words in (("en", "At this hour in each invitee's time zone:"),
                          ("vi", "Vào giờ này theo múi giờ của từng khách mời:")):
        auth.login(staff(event.association, locale=locale))
        text = auth.client.get(f"/events/{event.id}/invitations").get_data(as_text=True)
        assert words in text and 'name="local_time"' in text


# ---------------------------------------------------------------- quiet hours

def _reminder_rows(db, kind=MessageKind.REMINDER) -> dict[str, datetime]:
    db.session.expire_all()
    return {row.recipient: row.next_attempt_at
            for row in db.session.scalars(select(OutboxMessage).where(OutboxMessage.kind == kind))}


def test_a_reminder_due_in_someone_s_night_goes_when_their_night_ends(db):
    starts = datetime(2027, 4, 10, 10, 0, tzinfo=UTC)
    event = EventFactory(association=AssociationFactory(timezone="Asia/Ho_Chi_Minh"), starts_at=starts,
                         ends_at=starts + timedelta(hours=3))
    invite(event, InvitationStatus.ACCEPTED, email="praha@example.cz", timezone="Europe/Prague",
           sent_at=starts - timedelta(days=30))
    invite(event, InvitationStatus.ACCEPTED, email="ha-noi@example.vn", timezone="Asia/Ho_Chi_Minh",
           sent_at=starts - timedelta(days=30))
    rule(event, offset=-timedelta(days=3))
    fire_at = starts - timedelta(days=3)  # 10:00 UTC: 12:00 in Prague, 17:00 in Hanoi: both awake
    reminders.fire_due(now=fire_at)
    assert _reminder_rows(db) == {"praha@example.cz": fire_at, "ha-noi@example.vn": fire_at}


def test_quiet_hours_follow_the_reader_s_zone_and_the_association_s_choice(db):
    association = AssociationFactory(timezone="Asia/Ho_Chi_Minh", quiet_from=time(22, 0), quiet_until=time(6, 30))
    starts = datetime(2027, 4, 10, 10, 0, tzinfo=UTC)
    event = EventFactory(association=association, starts_at=starts, ends_at=starts + timedelta(hours=3))
    for address, zone_name in (("praha@example.cz", "Europe/Prague"), ("ha-noi@example.vn", "Asia/Ho_Chi_Minh"),
                               ("la@example.com", "America/Los_Angeles")):
        invite(event, InvitationStatus.ACCEPTED, email=address, timezone=zone_name, sent_at=starts - timedelta(days=30))
    rule(event, offset=-timedelta(days=2, hours=8))  # 2027-04-08 02:00 UTC
    fire_at = datetime(2027, 4, 8, 2, 0, tzinfo=UTC)
    reminders.fire_due(now=fire_at)
    assert _reminder_rows(db) == {
        "praha@example.cz": datetime(2027, 4, 8, 4, 30, tzinfo=UTC),  # 04:00 CEST: waits for 06:30
        "ha-noi@example.vn": fire_at,  # 09:00 in Hanoi
        "la@example.com": fire_at,  # 19:00 in Los Angeles
    }


def test_a_reminder_whose_night_ends_after_the_start_goes_at_once(db):
    starts = datetime(2027, 4, 10, 4, 0, tzinfo=UTC)  # 06:00 in Prague
    event = EventFactory(association=AssociationFactory(), starts_at=starts, ends_at=starts + timedelta(hours=3))
    invite(event, InvitationStatus.ACCEPTED, email="praha@example.cz", timezone="Europe/Prague",
           sent_at=starts - timedelta(days=30))
    rule(event, offset=-timedelta(hours=3))  # 03:00 in Prague; the night ends at 07:00, after the start
    reminders.fire_due(now=starts - timedelta(hours=3))
    assert _reminder_rows(db) == {"praha@example.cz": starts - timedelta(hours=3)}


def test_a_thank_you_due_at_night_waits_for_the_morning(db):
    starts = datetime(2027, 4, 10, 10, 0, tzinfo=UTC)
    event = EventFactory(association=AssociationFactory(), starts_at=starts, ends_at=starts + timedelta(hours=3))
    invite(event, InvitationStatus.ACCEPTED, email="tokyo@example.jp", timezone="Asia/Tokyo",
           sent_at=starts - timedelta(days=30))
    rule(event, kind=RuleKind.THANK_YOU, anchor="end", offset=timedelta(hours=1), audience=("accepted",))
    fire_at = starts + timedelta(hours=4)  # 14:00 UTC: 23:00 in Tokyo
    reminders.fire_due(now=fire_at)
    assert _reminder_rows(db, MessageKind.THANK_YOU) == {"tokyo@example.jp": datetime(2027, 4, 10, 22, 0, tzinfo=UTC)}


# ---------------------------------------------------------------- the association's quiet hours

def test_an_administrator_sets_the_quiet_hours(app, db, auth):
    from tests.factories import UserFactory

    association = AssociationFactory()
    admin = UserFactory(is_admin=True, locale="en")
    auth.login(admin)
    url = f"/associations/{association.slug}/edit"
    data = {"name_vi": association.name_vi, "name_en": association.name_en, "slug": association.slug,
            "kind": association.kind.value, "parent_id": "0", "timezone": "Asia/Ho_Chi_Minh",
            "quiet_from": "22:30", "quiet_until": "06:00"}
    auth.post(url, data=data, form_url=url)
    db.session.expire_all()
    assert (association.quiet_from, association.quiet_until) == (time(22, 30), time(6, 0))
    page = auth.client.get(f"/associations/{association.slug}").get_data(as_text=True)
    assert "22:30–06:00" in page
    answer = auth.post(url, data={**data, "quiet_from": "25:00"}, form_url=url)
    assert "Must be a time of day such as 09:00" in answer.get_data(as_text=True)
    for hostile in ("25:00", "\x00", "a" * 10_000, "=cmd", "javascript:", "21:00\r\n"):
        answer = auth.post(url, data={**data, "quiet_from": hostile}, form_url=url)
        assert answer.status_code == 400 or "Please correct the fields marked below." in answer.get_data(as_text=True)
        db.session.expire_all()
        assert association.quiet_from == time(22, 30)
