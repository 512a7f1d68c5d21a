"""Sending SMS, Zalo and printed-card rows of the outbox: claim, prepare, send at the provider's rate, record.

The same guarantees as e-mail (eventsapp.mail.sender, whose `claim` this uses with the channel): one row per
message, claimed with a lease by one worker; a temporary failure goes back to the queue with exponential
backoff (MAIL_RETRY_*) until MAIL_MAX_ATTEMPTS; a permanent one is `failed` with the provider's reason and
the event's next channel is queued (routing.next_channel); a gateway that cannot be reached releases the
rest of the batch without counting the attempt. Each provider has its own rate limit (<PROVIDER>_RATE_PER_SECOND),
one token bucket in Redis for every worker (mail.ratelimit). A batch is prepared together (its short links and
Zalo templates read once); its sent messages are recorded together (SentRecorder: every MAIL_RECORD_EVERY
messages or every second, in one statement), a failure at once, on a connection of its own, with the fallback
row in the same transaction. A printed card is recorded "sent" without being transmitted.
"""
from __future__ import annotations

import hashlib
import hmac
import logging
import time
from dataclasses import dataclass, field
from datetime import timedelta

from flask import current_app
from sqlalchemy import Integer, String, select, update
from sqlalchemy.orm import selectinload

from ..broker import redis_url
from ..contacts.models import Contact
from ..extensions import db, dialect_insert
from ..links import absolute
from ..mail import ratelimit
from ..mail.models import Channel, MessageState, OutboxMessage
from ..mail.sender import COMPACT_EVERY_CLAIMS, claim, compact_quietly, update_each
from ..mail.services import DISPATCH_TASK as EMAIL_DISPATCH_TASK
from ..mail.services import new_row
from ..timeutils import utcnow
from . import providers, routing, segments, texts
from .models import ZaloTemplate
from .providers.base import ChannelMessage, PermanentFailure, Provider, TemporaryFailure, Unreachable

logger = logging.getLogger(__name__)
table = OutboxMessage.__table__
c = table.c
SENDING, SENT, FAILED, QUEUED = MessageState.SENDING, MessageState.SENT, MessageState.FAILED, MessageState.QUEUED


class OptedOut(PermanentFailure):
    """The person opted out (on any channel): no channel is tried for them."""


@dataclass
class Prepared:
    row_id: int
    attempts: int
    channel: Channel
    dedupe_key: str
    provider: Provider | None  # None: a printed card
    message: ChannelMessage
    segments: int
    cost: int
    summary: str  # what the log shows: the SMS text, or the Zalo template and its values


def setting(name: str):
    return current_app.config[name]


# ---------------------------------------------------------------- rate limits

_buckets: dict[tuple[str, float], object] = {}


def bucket(provider: Provider):
    """The provider's token bucket: in Redis (every worker shares it) when there is a Redis broker."""
    rate = provider.rate
    if rate <= 0:
        return ratelimit.Unlimited()
    key = (provider.name, rate)
    if key not in _buckets:
        url = redis_url(current_app.config)
        _buckets[key] = (ratelimit.RedisBucket(url, rate, key=f"eventsapp:channels:rate:{provider.name}") if url
                         else ratelimit.LocalBucket(rate))
    return _buckets[key]


# ---------------------------------------------------------------- prepare

def callback_token(row_id: int) -> str:
    """Our signature of a row id, in the callback link of gateways that sign nothing (eSMS)."""
    secret = (current_app.config.get("ESMS_CALLBACK_SECRET") or current_app.config["SECRET_KEY"]).encode()
    return hmac.new(secret, f"esms-callback:{row_id}".encode(), hashlib.sha256).hexdigest()[:32]


def callback_url(provider: Provider, row_id: int) -> str:
    if provider.name == "esms":
        return absolute(f"/hooks/esms/{row_id}/{callback_token(row_id)}")
    if provider.name == "twilio":
        return absolute("/hooks/twilio/status")
    return ""


@dataclass
class Batch:
    """What the messages of one claimed batch share, read once for all of them: their invitations' short
    link codes and the Zalo templates found (by association and kind)."""

    codes: dict[int, str] = field(default_factory=dict)
    templates: dict[tuple[int, str], ZaloTemplate | None] = field(default_factory=dict)

    @classmethod
    def of(cls, rows) -> Batch:
        return cls(codes=texts.short_codes(row.invitation_id for row in rows if row.invitation_id is not None))


def zalo_template(message: OutboxMessage, batch: Batch | None = None) -> ZaloTemplate:
    """The association's approved template for the message's kind (or its nearest parent's), else a
    PermanentFailure saying so; one query per association and kind of a batch."""
    association = message.event.association if message.event is not None else None
    kind = message.kind.value
    key = (association.id if association is not None else 0, kind)
    found = batch.templates.get(key, False) if batch is not None else False
    if found is False:
        chain = [association, *association.ancestors()] if association is not None else []
        usable = {template.association_id: template for template in db.session.scalars(
            select(ZaloTemplate).where(ZaloTemplate.association_id.in_([owner.id for owner in chain]),
                                       ZaloTemplate.kind == kind))
            if template.approved and template.template_id}
        found = next((usable[owner.id] for owner in chain if owner.id in usable), None)
        if batch is not None:
            batch.templates[key] = found
    if found is not None:
        return found
    name = association.name_vi if association is not None else "?"
    raise PermanentFailure(f"no approved Zalo template for {kind} messages of {name}: "
                           "add it on the association's Zalo templates page")


def prepare(message: OutboxMessage, batch: Batch | None = None) -> Prepared:
    contact = message.contact
    if contact is not None and contact.opted_out_at is not None:
        raise OptedOut("the person opted out of messages")
    base = {"row_id": message.id, "attempts": message.attempts, "channel": message.channel,
            "dedupe_key": message.dedupe_key}
    if message.channel == Channel.PRINTED:
        return Prepared(**base, provider=None, message=ChannelMessage(message.recipient), segments=0, cost=0,
                        summary="printed card")
    provider = providers.for_message(message.channel, message.recipient)
    tracking = f"outbox-{message.id}"
    if message.channel == Channel.ZALO:
        template = zalo_template(message, batch)
        data = texts.template_data(template.params or {}, message, batch.codes if batch else None)
        summary = f"ZNS {template.template_id}: " + "; ".join(f"{k}={v}" for k, v in data.items())
        return Prepared(**base, provider=provider, segments=1, cost=provider.price, summary=summary,
                        message=ChannelMessage(message.recipient, template_id=template.template_id,
                                               template_data=data, tracking_id=tracking))
    text = texts.sms_text(message, batch.codes if batch else None)
    if not getattr(provider, "unicode", True):
        text = segments.without_accents(text)
    counted = segments.count(text)
    return Prepared(**base, provider=provider, segments=counted.count, cost=counted.count * provider.price,
                    summary=text, message=ChannelMessage(message.recipient, text=text, tracking_id=tracking,
                                                         callback_url=callback_url(provider, message.id)))


def estimate(message: OutboxMessage) -> tuple[int, int]:
    """(segments, cost in VND) of a message before it is sent; (0, 0) when it cannot be prepared."""
    try:
        prepared = prepare(message)
    except PermanentFailure:
        return 0, 0
    return prepared.segments, prepared.cost


# ---------------------------------------------------------------- record

@dataclass
class SentRecorder:
    """The batch's sent messages, written together (as mail.sender.Recorder does for e-mail): one set-based
    statement every `every` messages or every second, and at the end of the batch. A worker killed in
    between leaves at most `every` sent but unrecorded (the sweeper queues them again; eSMS's RequestId
    keeps those from going twice)."""

    every: int = 20
    sent: list[dict] = field(default_factory=list)
    _last_flush: float = field(default_factory=time.monotonic)

    def mark(self, item: Prepared, provider_id: str) -> None:
        self.sent.append({"b_id": item.row_id, "b_summary": item.summary[:500],
                          "b_provider": item.provider.name if item.provider else "printed",
                          "b_provider_id": provider_id[:100], "b_segments": item.segments, "b_cost": item.cost})
        if len(self.sent) >= self.every or time.monotonic() - self._last_flush > 1.0:
            self.flush()

    def flush(self) -> None:
        if self.sent:
            now = utcnow()
            with db.engine.begin() as connection:
                update_each(connection, self.sent, [c.state == SENDING], lambda given: {
                    "state": SENT, "sent_at": now, "updated_at": now, "lease_expires_at": None, "last_error": "",
                    "subject": given.b_summary, "provider": given.b_provider,
                    "provider_message_id": given.b_provider_id, "segments": given.b_segments, "cost": given.b_cost},
                    b_id=Integer(), b_summary=String(), b_provider=String(), b_provider_id=String(),
                    b_segments=Integer(), b_cost=Integer())
            self.sent.clear()
        self._last_flush = time.monotonic()


def _record_temporary(item: Prepared, reason: str) -> list[Channel]:
    if item.attempts >= setting("MAIL_MAX_ATTEMPTS"):
        return record_failed(item.row_id, f"gave up after {item.attempts} attempts: {reason}")
    delay = min(setting("MAIL_RETRY_BASE_SECONDS") * 2 ** max(0, item.attempts - 1), setting("MAIL_RETRY_MAX_SECONDS"))
    now = utcnow()
    with db.engine.begin() as connection:
        connection.execute(update(table).where(c.id == item.row_id, c.state == SENDING).values(
            state=QUEUED, updated_at=now, lease_expires_at=None, last_error=reason[:2000],
            next_attempt_at=now + timedelta(seconds=delay)))
    return []


def _release(row_ids: list[int], reason: str) -> None:
    if not row_ids:
        return
    now = utcnow()
    with db.engine.begin() as connection:
        connection.execute(update(table).where(c.id.in_(row_ids), c.state == SENDING).values(
            state=QUEUED, updated_at=now, lease_expires_at=None, attempts=c.attempts - 1, last_error=reason[:2000],
            next_attempt_at=now + timedelta(seconds=setting("MAIL_CONNECT_RETRY_SECONDS"))))


def record_failed(row_id: int, reason: str, *, fall_back: bool = True, states=(SENDING,)) -> list[Channel]:
    """Fail the row (if it is in one of `states`) with `reason` and, unless the person opted out, queue the
    event's next channel in the same transaction; returns the channels to wake."""
    now = utcnow()
    with db.engine.begin() as connection:
        failed = connection.execute(update(table).where(c.id == row_id, c.state.in_(states)).values(
            state=FAILED, updated_at=now, lease_expires_at=None, last_error=reason[:2000]).returning(c.id)).first()
        if failed is None or not fall_back:
            return []
        return _queue_next(connection, row_id)


def _queue_next(connection, row_id: int) -> list[Channel]:
    row = connection.execute(select(table).where(c.id == row_id)).one()
    if row.contact_id is None:
        return []
    contact = connection.execute(select(Contact.__table__).where(Contact.__table__.c.id == row.contact_id)).first()
    if contact is None or contact.opted_out_at is not None:
        return []
    order = routing.order_of(row.event_id)
    following = routing.next_channel(contact, order, Channel(row.channel))
    if following is None:
        return []
    channel, recipient = following
    values = {**new_row(utcnow()), "kind": getattr(row.kind, "value", row.kind), "channel": channel.value,
              "recipient": recipient, "dedupe_key": routing.key_for(routing.root_of(row.dedupe_key), channel),
              "contact_id": row.contact_id, "invitation_id": row.invitation_id, "event_id": row.event_id,
              "campaign_id": row.campaign_id, "send_id": row.send_id, "payload": row.payload or {}}
    inserted = connection.execute(dialect_insert(table).values(**values)
                                  .on_conflict_do_nothing(index_elements=["dedupe_key"]).returning(c.id)).first()
    return [channel] if inserted is not None else []


def wake(channels, send_id: str | None = None) -> None:
    """Wake a dispatcher for each channel (after the rows are committed); the beat's sweep covers a failure."""
    celery = current_app.extensions["celery"]
    for channel in set(channels):
        try:
            if channel == Channel.EMAIL:
                celery.send_task(EMAIL_DISPATCH_TASK)
            else:
                celery.send_task(routing.DISPATCH_TASK, args=[channel.value, send_id] if send_id else [channel.value])
        except Exception:
            logger.exception("could not wake the %s dispatcher", channel.value)


# ---------------------------------------------------------------- send

def send_batch(ids: list[int]) -> bool:
    """Prepare, send and record claimed rows; True when the gateway could not be reached (the rest released)."""
    rows = db.session.scalars(
        select(OutboxMessage).where(OutboxMessage.id.in_(ids)).order_by(OutboxMessage.id)
        .options(selectinload(OutboxMessage.contact), selectinload(OutboxMessage.invitation),
                 selectinload(OutboxMessage.event))).all()
    prepared: list[Prepared] = []
    to_wake: list[Channel] = []
    batch = Batch.of(rows)
    for row in rows:
        try:
            prepared.append(prepare(row, batch))
        except OptedOut as error:
            record_failed(row.id, str(error), fall_back=False)
        except PermanentFailure as error:
            to_wake += record_failed(row.id, str(error))
        except Exception as error:  # a bug in one message fails that message, not the batch
            logger.exception("could not prepare outbox message %s", row.id)
            db.session.rollback()
            to_wake += record_failed(row.id, f"could not build the message: {error}")
    db.session.commit()  # the short links made while preparing; the rows need not stay read
    unreachable = False
    recorder = SentRecorder(every=max(1, int(setting("MAIL_RECORD_EVERY"))))
    try:
        for index, item in enumerate(prepared):
            if item.provider is None:
                recorder.mark(item, "")
                continue
            bucket(item.provider).take()
            try:
                result = item.provider.send(item.message)
            except Unreachable as error:
                _release([later.row_id for later in prepared[index:]], str(error))
                logger.warning("%s unreachable (%s); %d messages wait", item.provider.name, error,
                               len(prepared) - index)
                unreachable = True
                break
            except TemporaryFailure as error:
                to_wake += _record_temporary(item, str(error))
            except PermanentFailure as error:
                to_wake += record_failed(item.row_id, str(error))
            except Exception as error:  # our bug, or the database: tried again later rather than left "sending"
                logger.exception("could not send outbox message %s", item.row_id)
                to_wake += _record_temporary(item, f"could not send the message: {error}")
            else:
                recorder.mark(item, result.provider_id)
    finally:
        recorder.flush()
    wake(to_wake)
    return unreachable


def dispatch(channel: Channel, send_id: str | None = None) -> dict:
    """Claim and send `channel`'s due rows until none is left, the gateway is unreachable, or
    MAIL_DISPATCH_MAX_SECONDS have passed (a fresh task carries on)."""
    size = max(1, int(setting("CHANNEL_BATCH_SIZE")))
    deadline = time.monotonic() + setting("MAIL_DISPATCH_MAX_SECONDS")
    batches = 0
    while True:
        ids = claim(size, send_id, channel=channel)
        if not ids:
            break
        batches += 1
        if send_batch(ids):
            break
        if batches % COMPACT_EVERY_CLAIMS == 0:
            compact_quietly()
        if time.monotonic() > deadline:
            wake([channel], send_id)
            break
    return {"channel": channel.value, "batches": batches}


def due_channels() -> list[Channel]:
    """The channels other than e-mail with a message due now (the beat's sweep wakes their dispatchers)."""
    now = utcnow()
    return [Channel(value) for value in db.session.scalars(
        select(c.channel).where(c.state == QUEUED, c.next_attempt_at <= now, c.channel != Channel.EMAIL).distinct())]
