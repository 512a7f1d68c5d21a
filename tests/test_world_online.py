"""Online attendance: each invitee's personal join link (/j/<token>) in every message and on the RSVP page,
the redirect to the event's own meeting address in its time, counted once, revoked with the invitation;
reports and the board count online arrivals apart."""
from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy import select

from eventsapp.attendance.models import OnlineJoin
from eventsapp.attendance.reports import build
from eventsapp.extensions import db as _db
from eventsapp.invitations import services
from eventsapp.timeutils import UTC
from tests.factories import ContactFactory, EventFactory, InvitationFactory, staff

MEETING = "https://meet.example.vn/tet-viet-2027?pwd=abc"
START = datetime(2027, 2, 5, 12, 0, tzinfo=UTC)  # 19:00 in Hanoi


def _online_event(**values):
    values.setdefault("online_url", MEETING)
    return EventFactory(starts_at=START, ends_at=START + timedelta(hours=3), **values)


def _joins(db) -> list[OnlineJoin]:
    db.session.expire_all()
    return db.session.scalars(select(OnlineJoin)).all()


@pytest.mark.slow
def test_every_message_carries_the_personal_join_link_and_it_counts_online_attendance_once(
        app, db, client, celery_worker, smtp_sink, travel):
    smtp_sink.clear()
    travel(START - timedelta(days=10))
    event = _online_event()
    invitation = InvitationFactory(event=event, contact=ContactFactory(email="truc-tuyen@example.jp",
                                                                       country="Nhật Bản", language="vi"))
    services.send_invitations(event.id)
    _db.session.commit()
    message = smtp_sink.wait_for(1, timeout=60)[0]
    parts = {part.get_content_type(): part.get_payload(decode=True).decode("utf-8").replace("\r\n ", "")
             for part in message.message.walk() if part.get_content_maintype() == "text"
             or part.get_content_type() == "application/ics"}
    join = f"http://eventsapp.test/j/{invitation.join_token}"
    assert {"text/plain", "text/html", "text/calendar"} <= set(parts)
    for content_type, content in parts.items():  # the text, the HTML and the calendar
        assert join in content, content_type
        assert "meet.example.vn" not in content, content_type  # the shared address is in no message

    # The RSVP page shows the personal link, not the shared one.
    page = client.get(f"/rsvp/{invitation.token}").get_data(as_text=True)
    assert join in page and "meet.example.vn" not in page

    # An hour before the start: a page saying when it opens (Vietnamese, the invitee's language).
    travel(START - timedelta(hours=1))
    early = client.get(f"/j/{invitation.join_token}")
    assert early.status_code == 200 and "Phòng họp trực tuyến chưa mở" in early.get_data(as_text=True)
    assert _joins(db) == []
    # Twenty minutes before the start: to the meeting, counted once however often it is opened.
    travel(START - timedelta(minutes=20))
    for _ in range(3):
        opened = client.get(f"/j/{invitation.join_token}")
        assert opened.status_code == 303 and opened.headers["Location"] == MEETING
        assert opened.headers["Referrer-Policy"] == "no-referrer"
    assert [(j.invitation_id, j.event_id) for j in _joins(db)] == [(invitation.id, event.id)]
    # After the end: over.
    travel(START + timedelta(hours=4))
    over = client.get(f"/j/{invitation.join_token}")
    assert over.status_code == 200 and "Sự kiện đã kết thúc" in over.get_data(as_text=True)


def test_the_join_page_speaks_the_invitee_s_language(app, db, client, travel):
    event = _online_event()
    invitation = InvitationFactory(event=event, contact=ContactFactory(language="en"))
    travel(START - timedelta(days=1))
    page = client.get(f"/j/{invitation.join_token}").get_data(as_text=True)
    assert "The online meeting is not open yet" in page and "30 minutes before the start" in page
    travel(START + timedelta(hours=5))
    assert "This event is over" in client.get(f"/j/{invitation.join_token}").get_data(as_text=True)


def test_a_revoked_invitation_s_join_link_is_gone_and_a_new_link_replaces_it(app, db, client, travel):
    event = _online_event()
    invitation = InvitationFactory(event=event)
    travel(START)
    old = invitation.join_token
    services.revoke(invitation)
    _db.session.commit()
    assert client.get(f"/j/{old}").status_code == 404
    services.regenerate_token(invitation)
    _db.session.commit()
    assert invitation.join_token != old
    assert client.get(f"/j/{old}").status_code == 404
    assert client.get(f"/j/{invitation.join_token}").status_code == 303
    assert len(_joins(db)) == 1


@pytest.mark.parametrize("stored", ["javascript:alert(1)", "JavaScript:alert(1)", "data:text/html,<script>",
                                    "//evil.example.com/", "ftp://files.example.com/", "https://", " javascript:alert(1)",
                                    "https://meet.example.vn/\r\nSet-Cookie: x=1"])
def test_only_the_event_s_own_http_address_is_ever_followed(app, db, client, travel, stored):
    event = _online_event(online_url=stored)  # written past the form's checks: the redirect checks again
    invitation = InvitationFactory(event=event)
    travel(START)
    answer = client.get(f"/j/{invitation.join_token}")
    assert answer.status_code == 404 and "Location" not in answer.headers
    assert _joins(db) == []


@pytest.mark.parametrize("token", ["x" * 10_000, "%00", "..%2F..%2Fadmin", "https:%2F%2Fevil.example.com",
                                   "'%20OR%201=1--", "%E2%80%A8"])
def test_hostile_join_tokens_open_nothing(app, db, client, token):
    _online_event()
    answer = client.get(f"/j/{token}")
    assert answer.status_code in (400, 404) and "Location" not in answer.headers


def test_an_event_without_an_online_link_has_no_join_link(app, db, client, travel):
    invitation = InvitationFactory(event=EventFactory(starts_at=START, ends_at=START + timedelta(hours=2)))
    travel(START)
    assert client.get(f"/j/{invitation.join_token}").status_code == 404
    assert "/j/" not in client.get(f"/rsvp/{invitation.token}").get_data(as_text=True)


def test_reports_and_the_board_count_online_attendance_apart(app, db, client, auth, travel):
    from eventsapp.attendance import services as attendance

    event = _online_event()
    japan = InvitationFactory(event=event, status="accepted", contact=ContactFactory(country="Nhật Bản", language="vi"))
    czech = InvitationFactory(event=event, status="accepted", contact=ContactFactory(country="Séc", language="en"))
    here = InvitationFactory(event=event, status="accepted", contact=ContactFactory(country="Việt Nam", language="vi"))
    attendance.check_in(event, here.contact, invitation=here)
    _db.session.commit()
    travel(START)
    for invitation in (japan, czech):
        assert client.get(f"/j/{invitation.join_token}").status_code == 303
    travel(START + timedelta(hours=4))
    report = build([event])
    assert report.total.online == 2 and report.total.attended == 1  # in person, apart
    assert report.by_country["Nhật Bản"].online == 1 and report.by_country["Séc"].online == 1
    assert report.by_language["vi"].online == 1 and report.by_language["en"].online == 1
    assert report.total.no_shows == report.total.accepted - report.total.accepted_attended
    assert report.by_country["Nhật Bản"].no_shows == 0  # joined online: no no-show
    auth.login(staff(event.association, locale="en"))
    board = client.get(f"/events/{event.id}/board").get_data(as_text=True)
    assert "Joined online" in board and japan.contact.full_name in board
    assert client.get(f"/events/{event.id}/board.json").get_json()["counts"]["online"] == 2
    report_page = client.get(f"/events/{event.id}/attendance").get_data(as_text=True)
    assert 'data-figure="online">2<' in report_page


def test_the_join_link_of_an_organiser_s_test_copy_says_what_it_does(app, db, client):
    answer = client.get("/j/test-copy", follow_redirects=True)
    assert answer.status_code == 200 and "đường dẫn riêng của khách" in answer.get_data(as_text=True)
    assert _joins(db) == []
