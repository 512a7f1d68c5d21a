"""Reliability of sending with real workers, Redis and an SMTP server: a killed worker, a
flushed broker, an SMTP outage, two dispatchers at once. Nothing lost; duplicates only
where a crash makes them unavoidable, and then traceable."""
from __future__ import annotations

import time
import uuid
from collections import Counter

import pytest
import redis
from sqlalchemy import select

from eventsapp.extensions import db as _db
from eventsapp.health.models import WorkerHeartbeat
from eventsapp.mail import sender
from eventsapp.mail.models import MessageState, OutboxMessage
from tests.conftest import ARTIFACTS
from tests.mail_factories import address, queue_staff
from tests.support.worker import WorkerProcess

RECORD_EVERY = 10
WORKER_SETTINGS = {  # short enough that the tests do not wait for minutes
    "MAIL_LEASE_SECONDS": "4",
    "MAIL_RETRY_BASE_SECONDS": "1",
    "MAIL_CONNECT_RETRY_SECONDS": "1",
    "MAIL_BATCH_SIZE": "50",
    "MAIL_RECORD_EVERY": str(RECORD_EVERY),
    "MAIL_DISPATCH_MAX_SECONDS": "1",
}


def wait_ready(app, worker: WorkerProcess, timeout: float = 90) -> None:
    marker = f"ready-{uuid.uuid4().hex[:8]}"
    celery = app.extensions["celery"]

    def ready():
        celery.send_task("health.heartbeat", args=[marker])
        found = _db.session.get(WorkerHeartbeat, marker) is not None
        _db.session.rollback()
        return found

    worker.wait_until(ready, timeout=timeout, interval=1.0)


@pytest.fixture(scope="module")
def mail_worker(app, celery_worker):
    """The suite's worker, restarted with short leases and backoffs for this module."""
    saved = dict(celery_worker.env)
    celery_worker.stop()
    celery_worker.env.update(WORKER_SETTINGS)
    celery_worker.start()
    with app.app_context():
        wait_ready(app, celery_worker)
    yield celery_worker
    celery_worker.stop()
    celery_worker.env.clear()
    celery_worker.env.update(saved)
    celery_worker.start()
    with app.app_context():
        wait_ready(app, celery_worker)


@pytest.fixture
def second_worker(app, mail_worker):
    worker = WorkerProcess(dict(mail_worker.env), ARTIFACTS / "celery-worker-mail-2.log", queues="mail")
    worker.start()
    log = ARTIFACTS / "celery-worker-mail-2.log"
    deadline = time.monotonic() + 90
    while b"ready." not in log.read_bytes()[-20000:]:
        assert worker.alive() and time.monotonic() < deadline, f"the second worker did not start; see {log}"
        time.sleep(0.2)
    yield worker
    worker.stop()


def states(send_id) -> Counter:
    _db.session.rollback()
    return Counter(state.value for state in _db.session.scalars(
        select(OutboxMessage.state).where(OutboxMessage.send_id == send_id)))


def sweep_until(predicate, worker: WorkerProcess, timeout: float = 180) -> None:
    """What beat does every minute, every second here, until `predicate()` holds."""
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "the send did not finish"
        assert worker.alive(), f"the worker died; see {worker.log_path}"
        sender.sweep()
        _db.session.rollback()
        time.sleep(1)


def copies_by_recipient(smtp_sink, send_id) -> Counter:
    return Counter(r for m in smtp_sink.messages for r in m.recipients if f".{send_id}@" in r)


def test_a_worker_killed_mid_send_loses_nothing_and_duplicates_only_what_it_was_sending(
        app, db, smtp_sink, mail_worker):
    send = queue_staff(2000, wake=True)
    smtp_sink.wait_for(300, timeout=120)
    # Kill while a batch is being sent (dispatchers hand over every second, leaving short gaps).
    deadline = time.monotonic() + 30
    while states(send)["sending"] == 0 and time.monotonic() < deadline:
        time.sleep(0.01)
    mail_worker.kill()
    _db.session.rollback()
    in_flight = {row.recipient: row.smtp_message_id for row in _db.session.scalars(
        select(OutboxMessage).where(OutboxMessage.send_id == send, OutboxMessage.state == MessageState.SENDING))}
    assert states(send)["queued"] > 0, "the kill came too late to test anything"

    mail_worker.start()
    wait_ready(app, mail_worker)
    sweep_until(lambda: states(send) == Counter(sent=2000), mail_worker)

    copies = copies_by_recipient(smtp_sink, send)
    assert set(copies) == {address(n, send) for n in range(2000)}  # everyone has theirs
    duplicates = {recipient for recipient, n in copies.items() if n > 1}
    assert duplicates <= set(in_flight)  # each one was being sent when the worker died ...
    assert len(duplicates) <= 2 * RECORD_EVERY  # ... at most one unrecorded chunk per pool process
    for recipient in duplicates:  # ... and both copies carry the Message-ID of the log
        ids = {m.message["Message-ID"] for m in smtp_sink.to(recipient)}
        assert ids == {in_flight[recipient]}


def test_a_flushed_broker_mid_send_is_recovered_by_the_sweeper(app, db, smtp_sink, mail_worker, redis_url):
    send = queue_staff(2000, wake=True)
    smtp_sink.wait_for(200, timeout=120)
    broker = redis.Redis.from_url(redis_url)
    until = time.monotonic() + 2.5  # Redis restarted without its data, repeatedly: every task in it is lost
    while time.monotonic() < until:
        broker.flushdb()
        time.sleep(0.05)
    sweep_until(lambda: states(send) == Counter(sent=2000), mail_worker)
    copies = copies_by_recipient(smtp_sink, send)
    assert len(copies) == 2000 and set(copies.values()) == {1}


def test_an_smtp_outage_delays_messages_and_a_permanent_rejection_fails_once(app, db, smtp_sink, mail_worker):
    send = uuid.uuid4().hex[:12]
    refused = address(7, send)
    smtp_sink.handler.reject[refused] = "550 5.1.1 <%s>: Recipient address rejected: User unknown" % refused
    queue_staff(600, send_id=send, wake=True)
    smtp_sink.wait_for(50, timeout=120)
    smtp_sink.stop()
    try:
        # The dispatcher finds the server gone and releases its batch: every unsent row waits, queued.
        deadline = time.monotonic() + 120
        while (waiting := states(send))["sending"] or not waiting["queued"]:
            assert time.monotonic() < deadline, waiting
            time.sleep(0.2)
        assert waiting["sent"] < 599 and waiting["failed"] <= 1  # they wait for the server
    finally:
        smtp_sink.start()
    sweep_until(lambda: states(send) == Counter(sent=599, failed=1), mail_worker)

    copies = copies_by_recipient(smtp_sink, send)
    assert set(copies) == {address(n, send) for n in range(600)} - {refused}
    assert sum(copies.values()) - len(copies) <= 2  # at most what was on the wire when it went down
    rejected = _db.session.scalars(select(OutboxMessage).where(OutboxMessage.recipient == refused)).one()
    assert rejected.state == MessageState.FAILED and rejected.attempts == 1
    assert "550 5.1.1" in rejected.last_error and "User unknown" in rejected.last_error
    sender.sweep()
    assert sender.dispatch(send)["sent"] == 0  # a dispatcher run to its end, here: it claims nothing
    _db.session.refresh(rejected)
    assert rejected.attempts == 1 and rejected.state == MessageState.FAILED  # never retried by itself


def test_two_workers_dispatching_at_once_send_each_message_exactly_once(
        app, db, smtp_sink, mail_worker, second_worker):
    send = queue_staff(2000, wake=True)
    deadline = time.monotonic() + 180  # no sweeper: the dispatchers alone, in normal operation
    while states(send) != Counter(sent=2000):
        assert time.monotonic() < deadline, states(send)
        time.sleep(0.5)
    copies = copies_by_recipient(smtp_sink, send)
    assert len(copies) == 2000 and set(copies.values()) == {1}
    attempts = set(_db.session.scalars(select(OutboxMessage.attempts).where(OutboxMessage.send_id == send)))
    assert attempts == {1}
    # Both workers took part.
    log = (ARTIFACTS / "celery-worker-mail-2.log").read_text(errors="replace")
    assert "mail.dispatch" in log and "succeeded" in log
