"""The sender in-process: claim, render, send over SMTP, record; failures, backoff, the sweeper."""
from __future__ import annotations

import threading
import time
from datetime import timedelta

from sqlalchemy import func, select, update

from eventsapp.extensions import db as _db
from eventsapp.mail import sender
from eventsapp.mail.models import MessageKind, MessageState, OutboxMessage
from eventsapp.mail.ratelimit import LocalBucket, RedisBucket
from eventsapp.mail.services import progress, resend, retry_failed
from eventsapp.timeutils import utcnow
from tests.mail_factories import SUBJECT, address, queue_staff


def rows(send_id):
    _db.session.expire_all()
    return _db.session.scalars(select(OutboxMessage).where(OutboxMessage.send_id == send_id)
                               .order_by(OutboxMessage.id)).all()


def test_a_send_goes_out_over_smtp_with_vietnamese_intact_and_is_recorded(app, db, smtp_sink):
    send = queue_staff(30)
    before = utcnow().replace(microsecond=0)
    totals = sender.dispatch()
    assert totals["sent"] == 30
    received = smtp_sink.wait_for(30)
    assert len(received) == 30
    message = received[0].message
    assert message["Subject"] == SUBJECT
    assert "Kính gửi chị Nguyễn Thị Ánh" in message.get_body(("plain",)).get_content()
    assert message.get_body(("html",)) is not None
    # RFC 5322 Date, written when the message goes out (spam filters penalise mail without one).
    dates = [item.message["Date"].datetime for item in received]
    assert all(before <= date <= utcnow() for date in dates), dates
    by_id = {r.smtp_message_id: r for r in rows(send)}
    assert all(r.state == MessageState.SENT and r.sent_at and r.attempts == 1 for r in by_id.values())
    # The Message-ID the recipient got is the one in the log.
    for item in received:
        row = by_id[item.message["Message-ID"]]
        assert row.recipient in item.recipients and row.subject == SUBJECT
    assert progress(send) == {"queued": 0, "sending": 0, "sent": 30, "failed": 0, "total": 30, "done": True,
                              "scheduled_for": None, "waiting_for_time": 0, "last_due_at": None,
                              "channels": {"email": {"queued": 0, "waiting_for_time": 0, "sending": 0, "sent": 30,
                                                     "delivered": None, "failed": 0, "total": 30}}}


def test_a_permanent_rejection_is_failed_with_the_reason_and_never_retried(app, db, smtp_sink):
    send = queue_staff(5)
    smtp_sink.handler.reject[address(2, send)] = "550 5.1.1 Mailbox does not exist"
    sender.dispatch()
    smtp_sink.wait_for(4)
    rejected = [r for r in rows(send) if r.recipient == address(2, send)][0]
    assert rejected.state == MessageState.FAILED
    assert "550" in rejected.last_error and "Mailbox does not exist" in rejected.last_error
    assert sender.dispatch()["sent"] == 0 and sender.sweep()["requeued"] == 0
    _db.session.refresh(rejected)
    assert rejected.attempts == 1 and rejected.state == MessageState.FAILED
    assert len(smtp_sink.messages) == 4


def test_a_temporary_rejection_waits_with_backoff_and_gives_up_after_the_last_attempt(app, db, smtp_sink):
    send = queue_staff(1)
    smtp_sink.handler.reject[address(0, send)] = "451 4.7.1 Greylisted, try later"
    app.config.update(MAIL_RETRY_BASE_SECONDS=60, MAIL_MAX_ATTEMPTS=3)
    try:
        before = utcnow()
        sender.dispatch()
        [row] = rows(send)
        assert row.state == MessageState.QUEUED and "451" in row.last_error and row.attempts == 1
        assert row.next_attempt_at >= before + timedelta(seconds=59)
        assert sender.dispatch()["sent"] == 0  # not due yet
        for attempt in (2, 3):
            _db.session.execute(update(OutboxMessage).values(next_attempt_at=utcnow()))
            _db.session.commit()
            started = utcnow()
            sender.dispatch()
            [row] = rows(send)
            if attempt == 2:  # the wait doubles
                assert row.next_attempt_at >= started + timedelta(seconds=119)
        assert row.state == MessageState.FAILED and row.attempts == 3
        assert row.last_error.startswith("gave up after 3 attempts: 451")
    finally:
        app.config.update(MAIL_RETRY_BASE_SECONDS=60, MAIL_MAX_ATTEMPTS=8)
    assert smtp_sink.messages == []


def test_a_renderer_error_fails_that_message_and_the_others_go(app, db, smtp_sink):
    good = queue_staff(3)
    bad = queue_staff(1, payload={"text": "no subject"})
    sender.dispatch()
    smtp_sink.wait_for(3)
    [broken] = rows(bad)
    assert broken.state == MessageState.FAILED and "subject" in broken.last_error
    assert all(r.state == MessageState.SENT for r in rows(good))


def test_while_the_server_is_down_messages_wait_without_using_attempts(app, db, smtp_sink):
    send = queue_staff(10)
    smtp_sink.stop()
    try:
        totals = sender.dispatch()
        assert totals["released"] == 10 and totals["sent"] == 0
        assert all(r.state == MessageState.QUEUED and r.attempts == 0 and "cannot connect" in r.last_error
                   for r in rows(send))
    finally:
        smtp_sink.start()
    _db.session.execute(update(OutboxMessage).values(next_attempt_at=utcnow()))
    _db.session.commit()
    assert sender.dispatch()["sent"] == 10
    assert len(smtp_sink.wait_for(10)) == 10


def test_concurrent_claims_never_share_a_row(app, db):
    queue_staff(300)
    claimed: list[list[int]] = []

    def claimer():
        with app.app_context():
            while ids := sender.claim(7):
                claimed.append(ids)
            _db.session.remove()

    threads = [threading.Thread(target=claimer) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    flat = [i for ids in claimed for i in ids]
    assert len(flat) == 300 and len(set(flat)) == 300


def test_the_sweeper_requeues_messages_whose_worker_died(app, db, smtp_sink):
    send = queue_staff(4)
    ids = sender.claim(10)
    assert len(ids) == 4
    assert sender.sweep()["requeued"] == 0  # the lease still runs
    _db.session.execute(update(OutboxMessage).values(lease_expires_at=utcnow() - timedelta(seconds=1)))
    _db.session.commit()
    result = sender.sweep()
    assert result["requeued"] == 4 and result["woke_dispatcher"] is True
    first_ids = {r.id: r.smtp_message_id for r in rows(send)}
    assert sender.dispatch()["sent"] == 4
    # A second try keeps the Message-ID of the first, so a copy sent twice is recognisable.
    assert {r.id: r.smtp_message_id for r in rows(send)} == first_ids
    assert all(r.attempts == 2 for r in rows(send))


def test_retry_failed_and_resend(app, db, smtp_sink):
    send = queue_staff(3)
    smtp_sink.handler.reject[address(1, send)] = "550 no such user"
    sender.dispatch()
    smtp_sink.wait_for(2)
    assert retry_failed(send_id=send) == 1
    _db.session.commit()
    smtp_sink.handler.reject.clear()
    sender.dispatch()
    smtp_sink.wait_for(3)
    assert progress(send)["sent"] == 3
    original = rows(send)[0]
    copy = resend(original)
    again = resend(copy)
    _db.session.commit()
    assert copy.dedupe_key == f"{original.dedupe_key}:resend:1" and again.dedupe_key.endswith(":resend:2")
    sender.dispatch()
    assert len(smtp_sink.wait_for(5)) == 5
    assert len(smtp_sink.to(original.recipient)) == 3


def test_the_local_rate_limit_spaces_messages():
    now = [0.0]
    slept = []

    def sleep(seconds):
        slept.append(seconds)
        now[0] += seconds

    bucket = LocalBucket(5, clock=lambda: now[0], sleep=sleep)
    for _ in range(15):
        bucket.take()
    assert 1.9 <= now[0] <= 2.1  # 5 at once, then 10 more at 5 per second


def test_the_shared_rate_limit_in_redis_caps_all_senders(redis_url):
    import redis

    key = "eventsapp:test:mail-rate"
    redis.Redis.from_url(redis_url).delete(key)
    buckets = [RedisBucket(redis_url, 20, key=key) for _ in range(2)]
    started = time.monotonic()
    threads = [threading.Thread(target=lambda b=b: [b.take() for _ in range(20)]) for b in buckets]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.monotonic() - started
    assert 0.9 <= elapsed < 2.5  # 40 tokens at 20/s with a burst of 20: about one second


def test_the_claim_counts_and_message_kind(app, db):
    queue_staff(2)
    assert _db.session.scalar(select(func.count()).select_from(OutboxMessage)
                              .where(OutboxMessage.kind == MessageKind.STAFF)) == 2


def test_rows_of_different_shapes_are_queued_together(app, db):
    from eventsapp.mail.services import queue_messages

    assert queue_messages([
        {"kind": MessageKind.STAFF, "dedupe_key": "shape:1", "recipient": "a@vi.example.test"},
        {"kind": MessageKind.STAFF, "dedupe_key": "shape:2", "recipient": "b@vi.example.test", "send_id": "s",
         "payload": {"subject": "Chào", "text": "Xin chào"}},
    ], wake_sender=False) == 2
    _db.session.commit()
    assert progress("s")["queued"] == 1


def test_recording_while_a_batch_is_sent_does_not_read_its_rows_again(app, db, smtp_sink):
    """Messages are sent as they are rendered and recorded every few: the recording must not make the
    rows still to be rendered stale, or each is read again (a query a message, the worker's time doubled)."""
    from sqlalchemy import event as sa_event

    send = queue_staff(150)
    selects = []

    def count(conn, cursor, statement, parameters, context, executemany):
        if statement.lstrip().upper().startswith("SELECT") and "outbox_messages" in statement:
            selects.append(statement)

    app.config["MAIL_RECORD_EVERY"], every = 1, app.config["MAIL_RECORD_EVERY"]
    sa_event.listen(_db.engine, "before_cursor_execute", count)
    try:
        assert sender.dispatch()["sent"] == 150
    finally:
        sa_event.remove(_db.engine, "before_cursor_execute", count)
        app.config["MAIL_RECORD_EVERY"] = every
    assert len(smtp_sink.wait_for(150)) == 150
    assert len(selects) <= 3, selects  # the batch's rows once (and the check that nothing else is due)
    assert all(r.state == MessageState.SENT for r in rows(send))


def test_a_dispatch_sends_batch_after_batch_over_one_connection_each_message_once(app, db, smtp_sink, monkeypatch):
    monkeypatch.setitem(app.config, "MAIL_BATCH_SIZE", 8)
    send = queue_staff(35)  # five batches, the last one short
    greetings = smtp_sink.handler.greetings
    totals = sender.dispatch()
    assert totals["sent"] == 35
    received = smtp_sink.wait_for(35)
    assert sorted(r for item in received for r in item.recipients) == sorted(address(n, send) for n in range(35))
    assert smtp_sink.handler.greetings - greetings == 1  # one connection for the whole dispatch
    assert {r.state for r in rows(send)} == {MessageState.SENT} and {r.attempts for r in rows(send)} == {1}
