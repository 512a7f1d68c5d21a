"""The provider's limits: rolling hour, 24 hours and per-domain windows shared through Redis by every worker,
never exceeded, surviving a restart; updates before the invitations of a large send; a send that cannot
finish before its event says so first."""
from __future__ import annotations

import threading
import time as clock_time
import uuid
from contextlib import contextmanager
from datetime import datetime, timedelta
from email.utils import parsedate_to_datetime

import pytest
from sqlalchemy import select

from eventsapp.invitations import services
from eventsapp.mail import sender
from eventsapp.mail.models import MessageKind, MessageState, OutboxMessage, Priority
from eventsapp.mail.ratelimit import LimitReached, LocalWindows, RedisWindows, Window
from eventsapp.mail.services import queue_messages
from eventsapp.timeutils import UTC, utcnow
from tests.conftest import ARTIFACTS
from tests.factories import ContactFactory, EventFactory, InvitationFactory, staff
from tests.support.worker import WorkerProcess

HOUR, DAY = timedelta(hours=1), timedelta(hours=24)
T0 = datetime(2027, 1, 4, 8, 0, tzinfo=UTC)


class Clock:
    def __init__(self, now: datetime):
        self.now = now

    def __call__(self) -> datetime:
        return self.now


def _windows(kind, redis_url, clock, hour=4, day=6, domain=2, prefix=None):
    found = [Window("hour", HOUR, hour), Window("day", DAY, day), Window("domain", timedelta(minutes=1), domain)]
    if kind == "redis":
        return RedisWindows(redis_url, found, prefix, clock=clock)
    return LocalWindows(found, clock=clock)


@pytest.mark.parametrize("kind", ["redis", "local"])
def test_rolling_windows_count_exactly_and_say_when_they_have_room(redis_url, kind):
    clock, prefix = Clock(T0), f"test:windows:{uuid.uuid4().hex}"
    first = _windows(kind, redis_url, clock, prefix=prefix)
    # Two a minute to one domain; the others go on.
    first.take("gmail.com")
    first.take("GMAIL.com")
    with pytest.raises(LimitReached) as refused:
        first.take("gmail.com")
    assert refused.value.scope == "domain" and refused.value.until == T0 + timedelta(minutes=1, seconds=1)
    first.take("example.vn")
    first.take("example.cz")  # the fourth of the hour
    with pytest.raises(LimitReached) as refused:
        first.take("example.de")
    assert refused.value.scope == "hour" and refused.value.until == T0 + HOUR + timedelta(seconds=1)
    assert first.full_until() == T0 + HOUR + timedelta(seconds=1)
    assert first.used() == {"hour": 4, "day": 4}
    clock.now = T0 + HOUR + timedelta(seconds=2)  # the hour has rolled on: two more, then the day is full
    first.take("example.de")
    first.take("example.de")
    with pytest.raises(LimitReached) as refused:
        first.take("example.jp")
    assert refused.value.scope == "day" and refused.value.until == T0 + DAY + timedelta(seconds=1)
    if kind == "redis":  # a worker started afterwards (or restarted) reads the same log
        second = _windows(kind, redis_url, clock, prefix=prefix)
        with pytest.raises(LimitReached):
            second.take("example.jp")
        clock.now = T0 + DAY + timedelta(seconds=2)
        second.take("example.jp")  # the first four have left the 24 hours
        assert second.used() == {"hour": 1, "day": 3}


def test_many_senders_at_once_never_take_more_than_the_cap(redis_url):
    prefix = f"test:windows:{uuid.uuid4().hex}"
    taken, lock = [], threading.Lock()

    def send():
        windows = RedisWindows(redis_url, [Window("day", DAY, 37)], prefix)  # each a worker of its own
        for _ in range(25):
            try:
                windows.take("example.vn")
            except LimitReached:
                continue
            with lock:
                taken.append(1)

    threads = [threading.Thread(target=send) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(taken) == 37  # 200 tries, exactly the cap


def test_updates_cancellations_confirmations_and_test_copies_go_before_the_invitations(app, db):
    bulk = [{"kind": MessageKind.INVITATION, "dedupe_key": f"bulk:{n}", "recipient": f"khach{n}@example.vn"}
            for n in range(30)]
    queue_messages(bulk, wake_sender=False)
    urgent = [{"kind": kind, "dedupe_key": f"urgent:{kind.value}", "recipient": f"{kind.value}@example.vn"}
              for kind in (MessageKind.UPDATE, MessageKind.CANCELLATION, MessageKind.CONFIRMATION, MessageKind.TEST)]
    queue_messages(urgent, wake_sender=False)
    queue_messages([{"kind": MessageKind.REMINDER, "dedupe_key": "reminder:1:1", "recipient": "nhac@example.vn"}],
                   wake_sender=False)
    db.session.commit()
    claimed = sender.claim(5)
    kinds = [db.session.get(OutboxMessage, row_id).kind for row_id in claimed]
    assert sorted(kind.value for kind in kinds) == ["cancellation", "confirmation", "reminder", "test", "update"]


def test_a_send_and_change_notices_get_their_priorities(app, db):
    event = EventFactory()
    for n in range(3):
        InvitationFactory(event=event, contact=ContactFactory(email=f"uu-tien-{n}@example.vn"))
    services.send_invitations(event.id)
    event.sequence += 1
    services.queue_change_notices(event, [])
    db.session.commit()
    rows = {(row.kind, row.priority) for row in db.session.scalars(select(OutboxMessage))}
    assert rows == {(MessageKind.INVITATION, Priority.BULK), (MessageKind.UPDATE, Priority.URGENT)}


# ---------------------------------------------------------------- a send that cannot finish in time

@contextmanager
def limits(app, **values):
    saved = {name: app.config.get(name) for name in values}
    app.config.update(values)
    try:
        yield
    finally:
        app.config.update(saved)


def _late_event(count=25):
    event = EventFactory(starts_at=(utcnow() + timedelta(hours=36)).replace(microsecond=0),
                         ends_at=(utcnow() + timedelta(hours=39)).replace(microsecond=0))
    for n in range(count):
        InvitationFactory(event=event, contact=ContactFactory(email=f"muon-{n}@example.vn"))
    return event


def test_a_send_that_cannot_finish_before_the_event_says_when_it_would_and_queues_nothing(app, db):
    event = _late_event()
    with limits(app, MAIL_LIMIT_PER_DAY=10, MAIL_LIMIT_KEY=f"test:late:{uuid.uuid4().hex}"):
        with pytest.raises(services.SendWouldFinishLate) as late:
            services.send_invitations(event.id)
        db.session.rollback()
        # 25 at 10 a day: 10 now, 10 tomorrow, the last 5 the day after.
        assert abs(late.value.finishes_at - (utcnow() + 2 * DAY)) < timedelta(minutes=1)
        assert db.session.scalars(select(OutboxMessage)).all() == []
        _send_id, queued = services.send_invitations(event.id, accept_late=True)
        db.session.commit()
    assert queued == 25


@pytest.mark.parametrize(("locale", "words"), [
    ("en", "after the event starts"), ("vi", "sau khi sự kiện đã bắt đầu")])
def test_the_organiser_is_warned_before_a_late_send_and_may_send_anyway(app, db, auth, locale, words):
    event = _late_event()
    auth.login(staff(event.association, locale=locale))
    with limits(app, MAIL_LIMIT_PER_DAY=10, MAIL_LIMIT_KEY=f"test:late:{uuid.uuid4().hex}"):
        page = auth.client.get(f"/events/{event.id}/invitations").get_data(as_text=True)
        assert 'id="late-finish"' in page and words in page and str((utcnow() + 2 * DAY).year) in page
        answer = auth.post(f"/events/{event.id}/invitations/send", data={"when": "now"}, follow_redirects=True,
                           form_url=f"/events/{event.id}/invitations").get_data(as_text=True)
        assert words in answer
        assert db.session.scalars(select(OutboxMessage)).all() == []
        auth.post(f"/events/{event.id}/invitations/send", data={"when": "now", "accept_late": "1"},
                  form_url=f"/events/{event.id}/invitations")
    db.session.expire_all()
    assert len(db.session.scalars(select(OutboxMessage)).all()) == 25


def test_the_api_refuses_a_late_send_with_its_finishing_date_unless_accepted(app, db, api):
    event = _late_event()
    client = api(staff(event.association))
    with limits(app, MAIL_LIMIT_PER_DAY=10, MAIL_LIMIT_KEY=f"test:late:{uuid.uuid4().hex}"):
        answer = client.post(f"/api/v1/events/{event.id}/invitations/send", json={})
        assert answer.status_code == 409
        error = answer.get_json()["error"]
        assert error["code"] == "would_finish_late" and error["finishes_at"][:4] == str((utcnow() + 2 * DAY).year)
        for hostile in ("yes", {}, [], 2**63, "\ud800"):
            assert client.post(f"/api/v1/events/{event.id}/invitations/send",
                               json={"accept_late": hostile}).status_code == 400
        answer = client.post(f"/api/v1/events/{event.id}/invitations/send", json={"accept_late": True})
        assert answer.status_code == 202 and answer.get_json()["queued"] == 25


# ---------------------------------------------------------------- with real workers

def _received(smtp_sink) -> list[str]:
    return sorted(m.recipients[0] for m in smtp_sink.messages)


def _states(db) -> dict[str, str]:
    db.session.rollback()
    return {row.recipient + ":" + row.kind.value: row.state.value for row in db.session.scalars(select(OutboxMessage))}


def _quiet_for(smtp_sink, count: int, seconds: float = 4.0) -> None:
    """Nothing more than `count` arrives for a while."""
    deadline = clock_time.monotonic() + seconds
    while clock_time.monotonic() < deadline:
        assert len(smtp_sink.messages) <= count, _received(smtp_sink)
        clock_time.sleep(0.1)


@pytest.mark.slow
def test_a_24_hour_cap_holds_across_two_workers_and_a_restart_and_an_update_overtakes_the_send(
        app, db, celery_worker, smtp_sink, travel):
    cap = 7
    env = {**celery_worker.env, "MAIL_LIMIT_PER_DAY": str(cap), "MAIL_BATCH_SIZE": "3",
           "MAIL_LIMIT_KEY": f"test:day:{uuid.uuid4().hex}"}
    original_env = celery_worker.env
    celery_worker.stop()  # the run's worker, started again with the cap (and again without it at the end)
    celery_worker.env = env
    second = WorkerProcess(env, ARTIFACTS / "celery-worker-second.log")
    celery = app.extensions["celery"]
    try:
        smtp_sink.clear()
        travel(T0)
        celery_worker.start()
        second.start()
        event = EventFactory(starts_at=T0 + 10 * DAY, ends_at=T0 + 10 * DAY + 3 * HOUR)
        people = [f"khach-{n:02d}@example-{n % 4}.vn" for n in range(12)]
        for address in people:
            InvitationFactory(event=event, contact=ContactFactory(email=address))
        services.send_invitations(event.id, accept_late=True)
        db.session.commit()  # wakes a dispatcher; both workers claim batches of 3
        first_wave = smtp_sink.wait_for(cap, timeout=90)
        celery.send_task("mail.sweep")
        _quiet_for(smtp_sink, cap)
        assert len(smtp_sink.messages) == cap

        celery_worker.kill()  # a crash, then a restart: the log of the day is in Redis, not in the worker
        celery_worker.start()
        celery.send_task("mail.sweep")
        celery.send_task("mail.sweep")
        _quiet_for(smtp_sink, cap)
        waiting = [row for row in db.session.scalars(select(OutboxMessage)) if row.state == MessageState.QUEUED]
        assert len(waiting) == 12 - cap
        first_sent = min(parsedate_to_datetime(m.header("Date")) for m in first_wave)
        assert all(row.next_attempt_at >= first_sent + DAY for row in waiting)
        assert all("sending limit reached (7 per day)" in row.last_error for row in waiting)

        # The event changes while five invitations wait: its update to all twelve goes first.
        second.stop()  # one dispatcher from here on, so the order is the claim's
        event.sequence += 1
        services.queue_change_notices(event, [])
        db.session.commit()
        _quiet_for(smtp_sink, cap)  # the day is still full
        travel(max(row.next_attempt_at for row in waiting) + timedelta(seconds=5))
        celery.send_task("mail.sweep")
        smtp_sink.wait_for(2 * cap, timeout=90)
        _quiet_for(smtp_sink, 2 * cap)
        second_wave = smtp_sink.messages[cap:]
        subjects = [m.header("Subject") for m in second_wave]
        assert all("Cập nhật" in subject or "Updated" in subject for subject in subjects), subjects
        states = _states(db)
        assert sum(1 for key, state in states.items() if key.endswith(":invitation") and state == "sent") == cap
        # Per rolling 24 hours, exactly the cap: the Date of each message is the worker's clock when it went.
        dates = sorted(parsedate_to_datetime(m.header("Date")) for m in smtp_sink.messages)
        assert max(sum(1 for d in dates if start <= d < start + DAY) for start in dates) == cap
    finally:
        second.stop()
        celery_worker.stop()
        celery_worker.env = original_env
        celery_worker.start()
