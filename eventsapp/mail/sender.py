"""Sending the outbox: claim a batch, render it, send it over one connection, record it.

The database is the source of truth and the only coordination between workers:

1. **claim** — one statement moves up to MAIL_BATCH_SIZE due rows from `queued`
   to `sending`, counts the attempt, sets a lease (MAIL_LEASE_SECONDS) and fixes
   the row's Message-ID, then commits. On PostgreSQL the rows are chosen with
   `FOR UPDATE SKIP LOCKED`, so any number of workers claim disjoint batches;
   on SQLite (one embedded worker) a conditional `UPDATE … WHERE state='queued'`
   does the same.
2. **render** each row (a renderer's error fails that row with the reason); what the messages of a
   dispatcher's batches share is rendered once (`rendering_batch`).
3. **send** the batch over one SMTP connection (pipelined where the server allows), at most
   MAIL_RATE_LIMIT_PER_SECOND, from a thread that sends each message as soon as it is rendered
   (mail.pipeline): rendering the next message overlaps waiting for the server's reply.
4. **record** the results in bulk — one statement per outcome group (sent, retry,
   failed), every MAIL_RECORD_EVERY messages so that a crash leaves only a few
   sent-but-unrecorded rows: those are the only possible duplicates, they keep
   the Message-ID they were sent with, and the sweeper re-queues them when
   their lease expires.

Temporary failures (4xx, a dropped connection) go back to `queued` with
exponential backoff, until MAIL_MAX_ATTEMPTS; permanent ones (5xx) are `failed`
with the server's reason and never retried automatically. When the server
cannot be reached at all, the batch is released untouched (the attempt does not
count) and the dispatcher stops; the sweeper wakes it again. A dispatcher claims until
nothing is due, or for MAIL_DISPATCH_MAX_SECONDS, after which a fresh task
carries on.
"""
from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email.utils import parseaddr
from types import SimpleNamespace

from flask import current_app
from sqlalchemy import Integer, String, bindparam, case, cast, exists, literal, select, update
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import selectinload

from ..extensions import db
from ..invitations.models import Invitation
from ..timeutils import utcnow
from . import ratelimit
from .addresses import message_id_secret, tagged_address
from .compose import Mail
from .models import Channel, MessageKind, MessageState, OutboxMessage
from .pipeline import Outcome, SendingThread
from .renderers import render, rendering_batch
from .services import DISPATCH_TASK, compact_tallies
from .transport import ConnectionLost, PermanentFailure, open_transport

logger = logging.getLogger(__name__)

table = OutboxMessage.__table__
c = table.c

QUEUED, SENDING, SENT, FAILED = MessageState.QUEUED, MessageState.SENDING, MessageState.SENT, MessageState.FAILED


def setting(name: str):
    """A MAIL_* setting; config.py holds every default."""
    return current_app.config[name]


# ---------------------------------------------------------------- claim

def _message_id_domain() -> str:
    address = parseaddr(setting("MAIL_DEFAULT_SENDER") or "")[1]
    return address.rpartition("@")[2] or "eventsapp"


def _due(now, send_id: str | None) -> list:
    conditions = [c.state == QUEUED, c.next_attempt_at <= now]
    if send_id:
        conditions.append(c.send_id == send_id)
    return conditions


def claim(limit: int, send_id: str | None = None, channel: Channel = Channel.EMAIL) -> list[int]:
    """Move up to `limit` due rows of `channel` to `sending` (one statement), commit, return their ids.

    E-mail is this module's; eventsapp.channels.dispatch claims SMS, Zalo and printed rows the same way."""
    now = utcnow()
    # The Message-ID is fixed at the first claim and kept on retries: a copy sent
    # twice (crash between send and record) carries the same id, and the log shows it.
    message_id = case(
        (c.smtp_message_id == "",
         literal("<outbox.") + cast(c.id, String) + literal(".") + message_id_secret(db.session.get_bind())
         + literal(f"@{_message_id_domain()}>")),
        else_=c.smtp_message_id,
    )
    values = {"state": SENDING, "attempts": c.attempts + 1, "updated_at": now, "smtp_message_id": message_id,
              "lease_expires_at": now + timedelta(seconds=setting("MAIL_LEASE_SECONDS"))}
    # The most urgent first (an update, a confirmation, a test copy overtakes the invitations of a large send),
    # then the oldest.
    chosen = (select(c.id).where(*_due(now, send_id), c.channel == channel)
              .order_by(c.priority, c.next_attempt_at, c.id).limit(limit))
    if db.session.get_bind().dialect.name == "postgresql":
        statement = update(table).where(c.id.in_(chosen.with_for_update(skip_locked=True).scalar_subquery()))
    else:
        ids = db.session.scalars(chosen).all()
        if not ids:
            db.session.commit()
            return []
        statement = update(table).where(c.id.in_(ids), c.state == QUEUED)
    claimed = db.session.scalars(statement.values(**values).returning(c.id)).all()
    db.session.commit()
    return sorted(claimed)


def batch_size() -> int:
    """MAIL_BATCH_SIZE, smaller when a rate limit means a batch could outlive its lease."""
    size = max(1, int(setting("MAIL_BATCH_SIZE")))
    rate = float(setting("MAIL_RATE_LIMIT_PER_SECOND") or 0)
    if rate > 0:
        size = min(size, max(1, int(rate * setting("MAIL_LEASE_SECONDS") / 2)))
    return size


# ---------------------------------------------------------------- record

@dataclass
class Recorder:
    """Buffers the results of a batch and writes them one statement per outcome group."""

    every: int = 20
    sent: list[dict] = field(default_factory=list)
    failed: list[dict] = field(default_factory=list)
    retry: list[dict] = field(default_factory=list)
    released: list[int] = field(default_factory=list)
    deferred: list[dict] = field(default_factory=list)
    # Set when the hour or day window is full: the dispatcher claims no more until then.
    capped_until: datetime | None = None
    totals: dict = field(default_factory=lambda: {"sent": 0, "failed": 0, "retry": 0, "released": 0, "deferred": 0})
    _last_flush: float = field(default_factory=time.monotonic)

    def mark_sent(self, row_id: int, subject: str) -> None:
        self.sent.append({"b_id": row_id, "b_subject": subject})

    def mark_failed(self, row_id: int, reason: str, subject: str = "") -> None:
        self.failed.append({"b_id": row_id, "b_error": reason[:2000], "b_subject": subject})

    def mark_temporary(self, row_id: int, attempts: int, reason: str, subject: str = "") -> None:
        """Back to the queue with exponential backoff, or failed once the attempts are spent."""
        if attempts >= setting("MAIL_MAX_ATTEMPTS"):
            self.mark_failed(row_id, f"gave up after {attempts} attempts: {reason}", subject)
            return
        delay = min(setting("MAIL_RETRY_BASE_SECONDS") * 2 ** max(0, attempts - 1),
                    setting("MAIL_RETRY_MAX_SECONDS"))
        self.retry.append({"b_id": row_id, "b_error": reason[:2000], "b_subject": subject,
                           "b_next": utcnow() + timedelta(seconds=delay)})

    def defer(self, row_id: int, limit: ratelimit.LimitReached) -> None:
        """Not sent: a provider's window is full. Back to the queue until it has room, the attempt not counted."""
        self.deferred.append({"b_id": row_id, "b_error": str(limit)[:2000], "b_next": limit.until})
        if limit.scope != "domain":
            self.capped_until = max(self.capped_until or limit.until, limit.until)

    def release(self, row_ids: list[int]) -> None:
        """Not attempted (no connection): back to the queue, the attempt not counted."""
        self.released.extend(row_ids)

    def pending(self) -> int:
        return len(self.sent) + len(self.failed) + len(self.retry) + len(self.released) + len(self.deferred)

    def maybe_flush(self) -> None:
        if self.pending() >= self.every or time.monotonic() - self._last_flush > 1.0:
            self.flush()

    def flush(self, release_reason: str = "") -> None:
        if not self.pending():
            return
        now = utcnow()
        # On a connection of its own: committing in the session would expire the rows of the batch
        # the dispatcher is still rendering, and each would be read again, one query at a time.
        with db.engine.begin() as connection:
            self._write(connection, now, release_reason)
        for name in ("sent", "failed", "retry", "deferred"):
            self.totals[name] += len(getattr(self, name))
            getattr(self, name).clear()
        self.totals["released"] += len(self.released)
        self.released.clear()
        self._last_flush = time.monotonic()

    def _write(self, connection, now, release_reason: str) -> None:
        """One statement per outcome group."""
        if self.sent:
            update_each(connection, self.sent, [c.state != SENT, c.state != FAILED], lambda given: {
                "state": SENT, "sent_at": now, "updated_at": now, "lease_expires_at": None, "last_error": "",
                "subject": given.b_subject}, b_id=Integer(), b_subject=String())
        if self.failed:
            connection.execute(
                update(table).where(c.id == bindparam("b_id"), c.state == SENDING)
                .values(state=FAILED, updated_at=now, lease_expires_at=None, last_error=bindparam("b_error"),
                        subject=bindparam("b_subject")),
                self.failed)
        if self.retry:
            connection.execute(
                update(table).where(c.id == bindparam("b_id"), c.state == SENDING)
                .values(state=QUEUED, updated_at=now, lease_expires_at=None, last_error=bindparam("b_error"),
                        subject=bindparam("b_subject"), next_attempt_at=bindparam("b_next")),
                self.retry)
        if self.deferred:
            connection.execute(
                update(table).where(c.id == bindparam("b_id"), c.state == SENDING)
                .values(state=QUEUED, updated_at=now, lease_expires_at=None, attempts=c.attempts - 1,
                        last_error=bindparam("b_error"), next_attempt_at=bindparam("b_next")),
                self.deferred)
        if self.released:
            connection.execute(
                update(table).where(c.id.in_(self.released), c.state == SENDING)
                .values(state=QUEUED, updated_at=now, lease_expires_at=None, attempts=c.attempts - 1,
                        last_error=release_reason[:2000],
                        next_attempt_at=now + timedelta(seconds=setting("MAIL_CONNECT_RETRY_SECONDS"))))


def update_each(connection, items: list[dict], conditions: list, values, **types) -> None:
    """Update the outbox rows `items` name (dicts with the keys of `types`, `b_id` the row's id), each with its
    own values: `values(given)` maps columns to expressions of `given.<key>`.

    On PostgreSQL in ONE statement (UPDATE … FROM VALUES): the outbox's tally triggers then add one change for
    the whole group, not one a message. SQLite (the embedded default) has no VALUES list with column names to
    join: one statement run for each item there."""
    if connection.dialect.name == "postgresql":
        from sqlalchemy import column
        from sqlalchemy import values as values_list

        given = values_list(*(column(name, kind) for name, kind in types.items()), name="given").data(
            [tuple(item[name] for name in types) for item in items]).c
        connection.execute(update(table).where(c.id == given.b_id, *conditions).values(**values(given)))
    else:
        given = SimpleNamespace(**{name: bindparam(name) for name in types})
        connection.execute(update(table).where(c.id == given.b_id, *conditions).values(**values(given)), items)


# ---------------------------------------------------------------- render and send

@dataclass
class Outgoing:
    row_id: int
    attempts: int
    subject: str
    email: Mail
    envelope_sender: str | None = None  # VERP: bounces come back to an address naming this row
    domain: str = ""  # the recipient's domain, for the provider's per-domain limit


# Mail no person sent at that moment: vacation responders must not answer it (RFC 3834).
AUTOMATIC_KINDS = frozenset({MessageKind.CONFIRMATION, MessageKind.PROMOTION, MessageKind.REMINDER,
                             MessageKind.THANK_YOU, MessageKind.STAFF, MessageKind.INBOUND_FORWARD})


class AddressUndeliverable(PermanentFailure):
    """The recipient's address bounced for good: the message is skipped (and counted as failed)."""


def _prepare(message: OutboxMessage) -> Outgoing:
    contact = message.contact
    if contact is not None and contact.undeliverable_at is not None and contact.email == message.recipient.lower():
        raise AddressUndeliverable(f"address undeliverable: {contact.undeliverable_reason}".strip()[:2000])
    email = render(message)
    del email["Message-ID"]
    email["Message-ID"] = message.smtp_message_id
    if not email.get("From"):
        email["From"] = setting("MAIL_DEFAULT_SENDER")
    if not email.get("To"):
        email["To"] = message.recipient
    # Replies and bounces come back to an address naming this row (eventsapp.mail.addresses).
    tagged = tagged_address(message.id)
    if tagged and not email.get("Reply-To"):
        sender_name = parseaddr(email["From"])[0] if isinstance(email["From"], str) else email["From"][0]
        email["Reply-To"] = (sender_name, tagged)
    if message.kind in AUTOMATIC_KINDS and not email.get("Auto-Submitted"):
        email["Auto-Submitted"] = "auto-generated"
    return Outgoing(message.id, message.attempts, str(email.get("Subject", ""))[:500], email, tagged,
                    message.recipient.rpartition("@")[2].lower() if "@" in message.recipient else "")


def render_batch(ids: list[int], recorder: Recorder) -> list[Outgoing]:
    """Load the claimed rows (related rows in a few queries, not one per message) and render them."""
    return list(_rendered(ids, recorder, set()))


def _rendered(ids: list[int], recorder: Recorder, done: set[int]) -> Iterator[Outgoing]:
    """The claimed rows rendered one by one; a row that cannot be is recorded failed (its id put in
    `done`) and skipped."""
    rows = db.session.scalars(
        select(OutboxMessage).where(OutboxMessage.id.in_(ids)).order_by(OutboxMessage.id)
        .options(selectinload(OutboxMessage.contact),
                 selectinload(OutboxMessage.invitation).selectinload(Invitation.checkin_code),  # the door QR codes
                 selectinload(OutboxMessage.event))
    ).all()
    with rendering_batch():  # what a batch's messages share (calendars, bodies) is built once
        for row in rows:
            try:
                outgoing = _prepare(row)
            except AddressUndeliverable as error:
                recorder.mark_failed(row.id, str(error))
                done.add(row.id)
                continue
            except Exception as error:  # a renderer's bug fails its message, not the batch
                logger.exception("could not render outbox message %s", row.id)
                if isinstance(error, SQLAlchemyError):
                    db.session.rollback()
                recorder.mark_failed(row.id, f"could not build the message: {error}")
                done.add(row.id)
                continue
            yield outgoing


def _record(outcomes: list[Outcome], recorder: Recorder, done: set[int]) -> None:
    for outcome in outcomes:
        item, error = outcome.item, outcome.error
        if not outcome.attempted:
            continue  # released with the rest of the batch
        done.add(item.row_id)
        if error is None:
            recorder.mark_sent(item.row_id, item.subject)
        elif isinstance(error, ratelimit.LimitReached):
            recorder.defer(item.row_id, error)
        elif isinstance(error, PermanentFailure):
            recorder.mark_failed(item.row_id, str(error), item.subject)
        else:  # TemporaryFailure, ConnectionLost
            recorder.mark_temporary(item.row_id, item.attempts, str(error), item.subject)
    recorder.maybe_flush()


def send_batch(ids: list[int], recorder: Recorder | None = None,
               more: Callable[[], list[int]] | None = None) -> tuple[Recorder, bool]:
    """Render and send claimed rows; returns the recorder and whether the connection failed.

    The messages are sent by a thread (mail.pipeline) as they are rendered, and recorded as their
    outcomes come back; once the connection is lost, rendering stops and what is left is released.

    With `more`, the batches it gives after `ids` (claimed when asked for; an empty one ends) go over
    the same connection and thread: the next batch is claimed, loaded and rendered while the thread
    still sends the last one's tail (batch after batch, the renderer waited for each tail and the
    thread for each load and new connection: a third of a dispatch's time). The next batch is asked
    for once at most a quarter of a batch waits for the thread (enough to cover its claim and load), so
    that a claimed row waits behind a quarter of a batch at most (`batch_size` gives a batch half the
    lease) and a worker does not claim what another could be sending.
    """
    recorder = recorder or Recorder(every=max(1, int(setting("MAIL_RECORD_EVERY"))))
    done: set[int] = set()  # recorded: sent, refused, or not renderable
    claimed = list(ids)
    reason = ""
    try:
        with open_transport() as transport, SendingThread(transport, ratelimit.limiter()) as sending:
            batch = ids
            while batch:
                with contextlib.closing(_rendered(batch, recorder, done)) as rendered:
                    for item in rendered:
                        if sending.lost is not None:
                            break
                        sending.put(item)
                        _record(sending.outcomes(), recorder, done)
                db.session.commit()  # the rows are rendered: their read transaction need not stay open
                while more is not None and sending.lost is None and sending.waiting() > len(batch) // 4:
                    if (arrived := sending.next_outcomes()) is None:
                        break
                    _record(arrived, recorder, done)
                if sending.lost is not None or more is None:
                    break
                batch = more()
                claimed.extend(batch)
            sending.close()
            while (arrived := sending.next_outcomes()) is not None:
                _record(arrived, recorder, done)  # recorded as they come, not at the batch's end
            if sending.lost is not None:
                reason = str(sending.lost)
    except ConnectionLost as error:  # the connection could not even be opened
        reason = str(error)
    connection_failed = bool(reason)
    if connection_failed:
        left = [row_id for row_id in claimed if row_id not in done]
        logger.warning("mail server unreachable (%s); %d messages wait for the next try", reason, len(left))
        recorder.release(left)
    recorder.flush(release_reason=reason)
    return recorder, connection_failed


def wake_dispatcher(send_id: str | None = None) -> None:
    celery = current_app.extensions["celery"]
    celery.send_task(DISPATCH_TASK, args=[send_id] if send_id else [])


def dispatch(send_id: str | None = None) -> dict:
    """Claim and send batches until nothing is due (or the server is unreachable).

    When the first batch is full, one more dispatcher is woken, so a large send
    spreads over every free mail worker (each of those does the same).
    """
    with rendering_batch():  # a send's batches share their renders (eventsapp/personalise.py)
        return _dispatch(send_id)


def _dispatch(send_id: str | None) -> dict:
    size = batch_size()
    recorder = Recorder(every=max(1, int(setting("MAIL_RECORD_EVERY"))))
    deadline = time.monotonic() + setting("MAIL_DISPATCH_MAX_SECONDS")
    windows = ratelimit.windows()
    if windows.full_until() is not None:  # the hour or day is used up: the sweeper wakes us again
        return dict(recorder.totals)
    ids = claim(size, send_id)
    if not ids:
        return dict(recorder.totals)  # nothing due: no connection opened
    if len(ids) == size:
        _wake_quietly(send_id)

    claims = 0

    def more() -> list[int]:
        nonlocal claims
        claims += 1
        if claims % COMPACT_EVERY_CLAIMS == 0:
            compact_quietly()
        if recorder.capped_until is not None or windows.full_until() is not None:
            return []  # the provider's hour or day is used up: the sweeper wakes a dispatcher when it has room
        if time.monotonic() > deadline:
            # A long send continues in a fresh task: no task outlives the broker's
            # visibility timeout or holds up a worker's warm shutdown.
            _wake_quietly(send_id)
            return []
        return claim(size, send_id)

    send_batch(ids, recorder, more)
    return dict(recorder.totals)


# During a long send, every so many batches: the outbox's tallies stay a few rows for the pages that sum them.
COMPACT_EVERY_CLAIMS = 20


def compact_quietly() -> None:
    """compact_tallies, whose failure never stops a send (the sweeper compacts again within a minute)."""
    try:
        compact_tallies()
    except Exception:
        logger.exception("could not compact the outbox tallies")


def _wake_quietly(send_id: str | None) -> None:
    try:
        wake_dispatcher(send_id)
    except Exception:  # the sweeper covers a broker hiccup
        logger.exception("could not wake a dispatcher")


# ---------------------------------------------------------------- the sweeper

def sweep() -> dict:
    """Re-queue rows whose worker died while sending; wake a dispatcher when rows are due.

    Run by beat every minute: it is what makes a lost task, a flushed broker or
    a killed worker harmless.
    """
    now = utcnow()
    expired = [c.state == SENDING, c.lease_expires_at < now]
    max_attempts = setting("MAIL_MAX_ATTEMPTS")
    gave_up = db.session.execute(
        update(table).where(*expired, c.attempts >= max_attempts)
        .values(state=FAILED, updated_at=now, lease_expires_at=None,
                last_error=f"gave up after {max_attempts} attempts: the worker was lost while sending")
    ).rowcount
    requeued = db.session.execute(
        update(table).where(*expired)
        .values(state=QUEUED, updated_at=now, lease_expires_at=None, next_attempt_at=now,
                last_error="the worker was lost while sending; queued again")
    ).rowcount
    db.session.commit()
    due = db.session.scalar(select(exists().where(*_due(now, None))))
    if due:
        wake_dispatcher()
    return {"requeued": requeued, "gave_up": gave_up, "woke_dispatcher": bool(due), "compacted": compact_tallies()}
