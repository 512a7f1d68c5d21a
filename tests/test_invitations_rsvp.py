"""The RSVP page: preselect without recording, one POST confirms, deadlines, capacity under concurrency."""
from __future__ import annotations

import re
import secrets
import urllib.parse
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from datetime import timedelta
from http.cookiejar import CookieJar

import psycopg
import pytest
from sqlalchemy import event as sa_event
from sqlalchemy import func, select

from eventsapp.events.models import EventStatus
from eventsapp.fastread import reader
from eventsapp.invitations import services
from eventsapp.invitations.models import Invitation, InvitationStatus
from eventsapp.mail.models import MessageKind, OutboxMessage
from eventsapp.timeutils import utcnow
from tests.conftest import csrf_token_from
from tests.factories import ContactFactory, EventFactory, InvitationFactory


def fresh(db, invitation):
    db.session.expire_all()
    return db.session.get(Invitation, invitation.id)


def post_answer(client, invitation, **data):
    page = client.get(f"/rsvp/{invitation.token}")
    return client.post(f"/rsvp/{invitation.token}", data={"csrf_token": csrf_token_from(page.text), **data})


def test_a_link_scanner_following_the_answer_link_records_nothing(client, db):
    invitation = InvitationFactory()
    page = client.get(f"/rsvp/{invitation.token}?answer=accepted")
    assert page.status_code == 200
    assert re.search(r'<input[^>]*checked[^>]*value="accepted"|<input[^>]*value="accepted"[^>]*checked', page.text)
    assert "Gặp mặt kiều bào" in page.text and "Xác nhận câu trả lời" in page.text
    assert fresh(db, invitation).status == InvitationStatus.PENDING
    assert db.session.scalar(select(func.count(OutboxMessage.id))) == 0


def test_one_post_records_the_answer_and_queues_a_confirmation(client, db):
    invitation = InvitationFactory(event=EventFactory(max_guests=2))
    response = post_answer(client, invitation, status="accepted", guests="2", comment="Tôi đi cùng vợ và con gái")
    assert response.status_code == 303
    saved = fresh(db, invitation)
    assert (saved.status, saved.guests, saved.comment) == (InvitationStatus.ACCEPTED, 2, "Tôi đi cùng vợ và con gái")
    assert saved.answered_at is not None
    shown = client.get(f"/rsvp/{invitation.token}").text
    assert "Xin cảm ơn, câu trả lời của Quý vị đã được ghi nhận: Tham dự." in shown
    assert '<strong>Tham dự</strong>' in shown and "Tôi đi cùng vợ và con gái" in shown
    post_answer(client, invitation, status="declined")
    kinds = db.session.scalars(select(OutboxMessage.kind).where(OutboxMessage.invitation_id == invitation.id)).all()
    assert kinds == [MessageKind.CONFIRMATION, MessageKind.CONFIRMATION]  # one per answer
    assert fresh(db, invitation).status == InvitationStatus.DECLINED


def test_a_post_without_the_csrf_token_is_refused(client, db):
    invitation = InvitationFactory()
    response = client.post(f"/rsvp/{invitation.token}", data={"status": "accepted"})
    assert response.status_code == 400
    assert fresh(db, invitation).status == InvitationStatus.PENDING


def test_too_many_guests_are_refused_with_a_message(client, db):
    invitation = InvitationFactory(event=EventFactory(max_guests=1))
    response = post_answer(client, invitation, status="accepted", guests="3")
    assert response.status_code == 400
    assert "tối đa 1 khách" in response.text
    assert fresh(db, invitation).status == InvitationStatus.PENDING


def test_the_deadline_and_a_cancelled_event_close_the_answers(client, db):
    late = InvitationFactory(event=EventFactory(rsvp_deadline=utcnow() - timedelta(hours=1)))
    page = client.get(f"/rsvp/{late.token}")
    assert "Đã hết hạn trả lời" in page.text and 'name="status"' not in page.text
    token = csrf_token_from(client.get(f"/rsvp/{InvitationFactory().token}").text)
    response = client.post(f"/rsvp/{late.token}", data={"csrf_token": token, "status": "accepted"})
    assert fresh(db, late).status == InvitationStatus.PENDING
    assert response.status_code == 400 and "Đã hết hạn trả lời" in response.text
    cancelled = InvitationFactory(event=EventFactory(status=EventStatus.CANCELLED))
    assert "Sự kiện này đã bị hủy" in client.get(f"/rsvp/{cancelled.token}").text
    past = InvitationFactory(event=EventFactory(starts_at=utcnow() - timedelta(days=2)))
    assert "Sự kiện này đã diễn ra" in client.get(f"/rsvp/{past.token}").text


def test_the_page_speaks_the_invitees_language_and_zone(client, db):
    invitation = InvitationFactory(contact=ContactFactory(language="en", timezone="Europe/Berlin"))
    page = client.get(f"/rsvp/{invitation.token}")
    assert "Confirm my answer" in page.text and "Germany (Berlin) Time" in page.text and "Vietnam Time" in page.text


def test_an_edited_event_or_association_shows_at_once_on_the_rsvp_page(client, db):
    invitation = InvitationFactory(contact=ContactFactory(language="en"))
    assert "Overseas Vietnamese gathering" in client.get(f"/rsvp/{invitation.token}").text
    event = invitation.event
    event.title_en, event.venue_name = "Spring gathering", "Hanoi Opera House"
    db.session.commit()
    page = client.get(f"/rsvp/{invitation.token}").text
    assert "Spring gathering" in page and "Hanoi Opera House" in page and "Overseas Vietnamese" not in page
    event.association.name_en = "Vietnam – Japan Friendship Association"
    db.session.commit()
    assert "Vietnam – Japan Friendship Association" in client.get(f"/rsvp/{invitation.token}").text
    event.status = EventStatus.CANCELLED
    db.session.commit()
    assert "This event has been cancelled." in client.get(f"/rsvp/{invitation.token}").text


def test_the_current_answer_is_named_in_each_invitees_language(client, db):
    event = EventFactory()
    english = InvitationFactory(event=event, contact=ContactFactory(language="en"))
    vietnamese = InvitationFactory(event=event, contact=ContactFactory(language="vi"))
    for _ in range(2):  # the labels are remembered per language: alternate
        assert "<strong>Not answered yet</strong>" in client.get(f"/rsvp/{english.token}").text
        assert "<strong>Chưa trả lời</strong>" in client.get(f"/rsvp/{vietnamese.token}").text


@contextmanager
def sql_statements(*engines):
    """The SQL statements sent on `engines` while the block runs, through SQLAlchemy or on raw DBAPI
    cursors alike (connection checks and BEGIN/COMMIT not included)."""
    seen, patched = [], {}

    class Recording(psycopg.Cursor):
        def execute(self, query, params=None, **options):
            if query != "SELECT 1":  # the pool's pre-ping
                seen.append(query)
            return super().execute(query, params, **options)

    def on_checkout(dbapi_connection, record, proxy):
        patched.setdefault(dbapi_connection, dbapi_connection.cursor_factory)
        dbapi_connection.cursor_factory = Recording

    for engine in engines:
        sa_event.listen(engine, "checkout", on_checkout)
    try:
        yield seen
    finally:
        for engine in engines:
            sa_event.remove(engine, "checkout", on_checkout)
        for dbapi_connection, factory in patched.items():
            dbapi_connection.cursor_factory = factory


def test_the_rsvp_page_costs_one_query_and_an_answer_four_or_five(app, client, db):
    invitation = InvitationFactory(event=EventFactory(capacity=100))
    url = f"/rsvp/{invitation.token}"
    engines = (db.engine, reader(app))
    with sql_statements(*engines) as first_view:
        assert client.get(url).status_code == 200
    assert len(first_view) == 2  # the invitation with its contact and versions; the event, once per version
    with sql_statements(*engines) as page_statements:
        page = client.get(url)
    assert page.status_code == 200
    assert len(page_statements) == 1  # the invitation with its contact and the versions of its event
    db.session.close()  # the test's session lets its connection go: the request checks out one that is recorded
    with sql_statements(*engines) as answer_statements:
        response = client.post(url, data={"csrf_token": csrf_token_from(page.text), "status": "declined"})
    assert response.status_code == 303
    # A decline takes no seat, so the event is not locked: the invitation with its contact and event, found
    # by its token, its own row locked (no read of the page's snapshot first); the answer; the
    # confirmation's outbox row; the invitee's personal feeds marked; and the event's questions, read once
    # per version of the event and process (eventsapp/questions/reading.py): not again below.
    assert len(answer_statements) == 5
    assert sum("FROM questions" in s for s in answer_statements) == 1
    assert not any("FOR UPDATE OF invitations" not in s and "FOR UPDATE" in s for s in answer_statements)
    assert fresh(db, invitation).status == InvitationStatus.DECLINED
    db.session.close()
    with sql_statements(*engines) as answer_statements:
        response = client.post(url, data={"csrf_token": csrf_token_from(page.text), "status": "accepted"})
    assert response.status_code == 303
    # An acceptance locks the event, then reads the invitation with the seats the others take in one
    # statement: five.
    assert len(answer_statements) == 5
    assert fresh(db, invitation).status == InvitationStatus.ACCEPTED


def test_guessed_altered_and_revoked_tokens_show_nothing(client, db):
    invitation = InvitationFactory(contact=ContactFactory(full_name="Trần Văn Bí Mật"))
    other = InvitationFactory(event=invitation.event, contact=ContactFactory(full_name="Lê Thị Riêng Tư"))
    altered = invitation.token[:-1] + ("A" if invitation.token[-1] != "A" else "B")
    for token in (secrets.token_urlsafe(32), altered, invitation.token.upper(), invitation.token[:20], "x" * 300):
        for url in (f"/rsvp/{token}", f"/rsvp/{token}/event.ics"):
            response = client.get(url)
            assert response.status_code == 404
            assert "Không tìm thấy thư mời" in response.text
            assert "Bí Mật" not in response.text and "Riêng Tư" not in response.text
    services.revoke(other)
    db.session.commit()
    assert client.get(f"/rsvp/{other.token}").status_code == 404
    old = invitation.token
    services.regenerate_token(invitation)
    db.session.commit()
    assert client.get(f"/rsvp/{old}").status_code == 404
    assert client.get(f"/rsvp/{invitation.token}").status_code == 200


def test_an_answer_sent_from_a_page_opened_before_the_link_was_revoked_is_refused(client, db):
    invitation = InvitationFactory()
    page = client.get(f"/rsvp/{invitation.token}")
    services.revoke(invitation)
    db.session.commit()
    response = client.post(f"/rsvp/{invitation.token}",
                           data={"csrf_token": csrf_token_from(page.text), "status": "accepted"})
    assert response.status_code == 404
    assert "Không tìm thấy thư mời" in response.text
    assert fresh(db, invitation).status == InvitationStatus.PENDING


def test_the_ics_download_is_a_publish_with_the_organizer(client, db):
    import icalendar

    invitation = InvitationFactory()
    response = client.get(f"/rsvp/{invitation.token}/event.ics")
    assert response.mimetype == "text/calendar"
    cal = icalendar.Calendar.from_ical(response.data)
    assert str(cal["METHOD"]) == "PUBLISH" and not cal.errors
    vevent = cal.walk("VEVENT")[0]
    assert str(vevent["UID"]) == invitation.event.uid and "ORGANIZER" in vevent
    assert vevent.decoded("DTSTART") == invitation.event.starts_at


def test_a_decline_promotes_the_first_waiter_that_fits_and_mails_them(db):
    event = EventFactory(capacity=2, max_guests=1)
    first, second, third, fourth = (InvitationFactory(event=event) for _ in range(4))
    services.answer(first, "accepted", guests=1)
    services.answer(second, "accepted", guests=1)  # full: waitlisted (needs 2 seats)
    services.answer(third, "accepted")  # waitlisted after second
    services.answer(fourth, "accepted")
    db.session.commit()
    assert [fresh(db, i).status for i in (first, second, third, fourth)] == [
        InvitationStatus.ACCEPTED, InvitationStatus.WAITLISTED, InvitationStatus.WAITLISTED, InvitationStatus.WAITLISTED]
    services.answer(fresh(db, first), "declined")
    db.session.commit()
    assert fresh(db, second).status == InvitationStatus.ACCEPTED
    assert fresh(db, third).status == InvitationStatus.WAITLISTED
    promotions = db.session.scalars(select(OutboxMessage).where(OutboxMessage.kind == MessageKind.PROMOTION)).all()
    assert [m.invitation_id for m in promotions] == [second.id]
    # Someone with a seat reducing guests frees a seat for the next waiter.
    services.answer(fresh(db, second), "accepted", guests=0)
    db.session.commit()
    assert fresh(db, third).status == InvitationStatus.ACCEPTED
    assert fresh(db, fourth).status == InvitationStatus.WAITLISTED


def test_an_unsubscribed_invitee_gets_no_confirmation(db):
    invitation = InvitationFactory(contact=ContactFactory(opted_out_at=utcnow()))
    services.answer(invitation, "accepted")
    db.session.commit()
    assert db.session.scalar(select(func.count(OutboxMessage.id))) == 0


def _accept_over_http(base: str, token: str, status: str = "accepted") -> int:
    jar = CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    page = opener.open(f"{base}/rsvp/{token}", timeout=60).read().decode()
    body = urllib.parse.urlencode({"csrf_token": csrf_token_from(page), "status": status, "guests": "0"}).encode()
    return opener.open(urllib.request.Request(f"{base}/rsvp/{token}", data=body), timeout=60).status


@pytest.mark.slow
def test_100_simultaneous_acceptances_never_overbook(db, live_server):
    event = EventFactory(capacity=30)
    tokens = [InvitationFactory(event=event).token for _ in range(100)]
    with ThreadPoolExecutor(max_workers=25) as pool:
        statuses = list(pool.map(lambda t: _accept_over_http(live_server, t), tokens))
    assert statuses == [200] * 100
    db.session.expire_all()
    counts = dict(db.session.execute(select(Invitation.status, func.count()).where(Invitation.event_id == event.id)
                                     .group_by(Invitation.status)).all())
    assert counts == {InvitationStatus.ACCEPTED: 30, InvitationStatus.WAITLISTED: 70}
    waiters = db.session.scalars(select(Invitation.waitlisted_at).where(Invitation.status == InvitationStatus.WAITLISTED))
    assert all(w is not None for w in waiters)


def test_simultaneous_answers_of_every_kind_fill_freed_seats_and_never_overbook(db, live_server):
    """Seats given back, taken, and answers that hold none, all at once: the event ends exactly full,
    the waiting list moved up into the freed seats, and nobody's answer was refused or lost."""
    event = EventFactory(capacity=20)
    start = utcnow() - timedelta(hours=1)
    seated = [InvitationFactory(event=event, status=InvitationStatus.ACCEPTED) for _ in range(20)]
    waiting = [InvitationFactory(event=event, status=InvitationStatus.WAITLISTED,
                                 waitlisted_at=start + timedelta(minutes=n)) for n in range(20)]
    pending = [InvitationFactory(event=event) for _ in range(20)]
    answers = ([(i.token, "declined") for i in seated[:10]] + [(i.token, "accepted") for i in pending[:10]]
               + [(i.token, "declined") for i in pending[10:]] + [(i.token, "tentative") for i in waiting[:5]])
    with ThreadPoolExecutor(max_workers=25) as pool:
        statuses = list(pool.map(lambda answer: _accept_over_http(live_server, *answer), answers))
    assert statuses == [200] * len(answers)
    db.session.expire_all()
    counts = dict(db.session.execute(select(Invitation.status, func.count()).where(Invitation.event_id == event.id)
                                     .group_by(Invitation.status)).all())
    # 10 kept seats + 15 still waiting + 10 new acceptances ask for 35 seats: 20 taken, 15 wait.
    assert counts == {InvitationStatus.ACCEPTED: 20, InvitationStatus.WAITLISTED: 15,
                      InvitationStatus.DECLINED: 20, InvitationStatus.TENTATIVE: 5}
    for invitation in seated[10:]:
        assert fresh(db, invitation).status == InvitationStatus.ACCEPTED
    for invitation in waiting[:5]:
        assert fresh(db, invitation).status == InvitationStatus.TENTATIVE


def test_unsubscribe_one_click_post_without_csrf(client, db):
    contact = ContactFactory()
    invitation = InvitationFactory(contact=contact)
    services.send_invitations(invitation.event_id)
    db.session.commit()
    page = client.get(f"/unsubscribe/{contact.unsubscribe_token}")
    assert page.status_code == 200 and "Hủy đăng ký nhận thư" in page.text
    db.session.expire_all()
    assert contact.opted_out_at is None  # a GET changes nothing
    response = client.post(f"/unsubscribe/{contact.unsubscribe_token}", data={"List-Unsubscribe": "One-Click"})
    assert response.status_code == 200
    db.session.expire_all()
    assert contact.opted_out_at is not None
    message = db.session.scalar(select(OutboxMessage))
    assert message.state.value == "failed" and "unsubscribed" in message.last_error
    # never mailed again: not at queue time …
    other = InvitationFactory(contact=contact)
    _, queued = services.send_invitations(other.event_id)
    assert queued == 0
    result = services.add_invitees(EventFactory(), services.Criteria(contact_ids=[contact.id]), user=None)
    assert (result.added, result.opted_out) == (0, 1)
    assert client.get("/unsubscribe/not-a-token").status_code == 404


def test_the_rsvp_page_caches_a_frozen_snapshot_with_nothing_left_to_load(app, client, db):
    import dataclasses

    from eventsapp.invitations import reading

    invitation = InvitationFactory(contact=ContactFactory(language="en"))
    with app.test_request_context():
        view = reading.by_token(invitation.token)
    snapshot = view.event
    assert not hasattr(snapshot, "_sa_instance_state")  # no ORM object shared between requests
    assert snapshot.association.name("en") == invitation.event.association.name("en")
    assert snapshot.title("en") == invitation.event.title("en") and not snapshot.is_cancelled
    with pytest.raises(dataclasses.FrozenInstanceError):
        snapshot.title_vi = "changed by one request for all"


def test_the_versioned_cache_drops_the_least_recently_used_and_never_stores_none():
    from eventsapp.versioned_cache import VersionedCache

    cache = VersionedCache(2)
    builds = []

    def build(value):
        return lambda: builds.append(value) or value

    assert cache.get("a", build("A")) == "A" and cache.get("b", build("B")) == "B"
    assert cache.get("a", build("A2")) == "A"  # a hit: not rebuilt, and now the most recently used
    cache.get("c", build("C"))  # full: "b" goes
    assert cache.get("b", build("B2")) == "B2" and cache.get("a", build("A3")) == "A3"
    assert cache.get("gone", build(None)) is None and cache.get("gone", build("later")) == "later"
    assert builds == ["A", "B", "C", "B2", "A3", None, "later"]
