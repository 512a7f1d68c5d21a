"""Writing to the outbox; sending happens in workers (see mail.tasks).

`queue_messages` inserts rows in the caller's transaction, skipping those whose
`dedupe_key` already exists, and arranges for the sender to be woken once the
transaction commits. Nothing is sent if the transaction rolls back.
"""
from __future__ import annotations

from collections.abc import Iterable

from flask import current_app
from sqlalchemy import Integer, Select, case, literal

from ..after_commit import enqueue_after_commit
from ..contacts.models import lacks_email
from ..extensions import db, dialect_insert
from ..timeutils import utcnow
from .models import BULK_KINDS, URGENT_KINDS, Channel, MessageKind, MessageState, OutboxMessage, Priority, priority_of

DISPATCH_TASK = "mail.dispatch"
DISPATCH_WAKEUP = "mail-dispatch"  # the coalesced wake-up of a dispatcher for every due message


def new_row(now) -> dict:
    """What every new outbox row starts with (the caller adds kind, recipient, dedupe_key, links…):
    the one definition, for `queue_messages` and `queue_from_select` alike."""
    return {"state": MessageState.QUEUED.value, "attempts": 0, "payload": {}, "last_error": "", "smtp_message_id": "",
            "subject": "", "created_at": now, "updated_at": now, "next_attempt_at": now}


def queue_messages(rows: Iterable[dict], *, wake_sender: bool = True) -> int:
    """Insert outbox rows (dicts of OutboxMessage columns); returns how many were new.

    A row whose `dedupe_key` exists already is skipped, whatever its state:
    the same purpose never produces a second message.
    """
    now = utcnow()
    # No recipient (a contact without e-mail) never gets a row: nothing to send, nothing to count as delivered.
    rows = [{"priority": priority_of(row.get("kind")), **row} for row in rows if not lacks_email(row.get("recipient"))]
    values = [{**new_row(now), **{k: (v.value if hasattr(v, "value") else v) for k, v in row.items()}} for row in rows]
    if not values:
        return 0
    columns = set().union(*values)  # executemany needs the same keys in every row
    values = [{name: row.get(name) for name in columns} for row in values]
    # One cached statement executed for many rows: SQLAlchemy batches them into multi-row
    # INSERTs ("insertmanyvalues") without compiling a new statement for every chunk.
    statement = dialect_insert(OutboxMessage.__table__).on_conflict_do_nothing(index_elements=["dedupe_key"])
    inserted = len(db.session.execute(statement.returning(OutboxMessage.__table__.c.id), values).all())
    if wake_sender and inserted:
        wake_sender_after_commit()
    return inserted


def queue_from_select(columns: dict, query: Select) -> int:
    """Outbox rows from a query in ONE statement (INSERT … SELECT, existing dedupe keys skipped): the rows
    `queue_messages` would write, without a Python round trip per recipient. `query` gives the FROM, WHERE
    and ORDER BY; `columns` maps column names to SQL expressions over it (at least kind, dedupe_key and
    recipient); the other columns are `new_row`'s."""
    table = OutboxMessage.__table__
    columns = {**{name: literal(value, table.c[name].type) for name, value in new_row(utcnow()).items()},
               "priority": _priority_expression(columns["kind"]), **columns}
    rows = query.with_only_columns(*[value.label(name) for name, value in columns.items()])
    statement = (dialect_insert(OutboxMessage.__table__).from_select(list(columns), rows)
                 .on_conflict_do_nothing(index_elements=["dedupe_key"]).returning(table.c.id))
    inserted = len(db.session.execute(statement).all())
    if inserted:
        wake_sender_after_commit()
    return inserted


def _priority_expression(kind):
    """`priority_of` in SQL, over the kind column of an INSERT … SELECT."""
    return case({**{name: literal(int(Priority.URGENT)) for name in URGENT_KINDS},
                 **{name: literal(int(Priority.BULK)) for name in BULK_KINDS}},
                value=kind, else_=literal(int(Priority.NORMAL), Integer))


def wake_sender_after_commit() -> None:
    """Ask a mail worker to dispatch due messages once this transaction commits."""
    enqueue_after_commit(current_app.extensions["celery"].signature(DISPATCH_TASK), coalesce=DISPATCH_WAKEUP)


# ---------------------------------------------------------------- organiser actions and progress

RESEND_MARK = ":resend:"


def retry_failed(*, event_id: int | None = None, send_id: str | None = None,
                 campaign_id: int | None = None, message_ids: Iterable[int] | None = None) -> int:
    """Queue failed messages again (of an event, a send, a campaign, or given ids); returns how many.

    Their attempts start from zero; the sender is woken after the caller commits.
    """
    from sqlalchemy import update

    conditions = [OutboxMessage.state == MessageState.FAILED]
    if event_id is not None:
        conditions.append(OutboxMessage.event_id == event_id)
    if send_id is not None:
        conditions.append(OutboxMessage.send_id == send_id)
    if campaign_id is not None:
        conditions.append(OutboxMessage.campaign_id == campaign_id)
    if message_ids is not None:
        conditions.append(OutboxMessage.id.in_(list(message_ids)))
    if len(conditions) == 1:
        raise ValueError("retry_failed needs an event, a send, a campaign or message ids")
    now = utcnow()
    count = db.session.execute(
        update(OutboxMessage).where(*conditions)
        .values(state=MessageState.QUEUED, attempts=0, next_attempt_at=now, lease_expires_at=None, updated_at=now)
        .execution_options(synchronize_session=False)
    ).rowcount
    if count:
        wake_sender_after_commit()
    return count


def resend(message: OutboxMessage, *, send_id: str | None = None) -> OutboxMessage:
    """A new outbox row for the same purpose as `message` (its key gets a `:resend:<n>` suffix).

    The original stays as it was, for the log. Returns the new (queued) row;
    the sender is woken after the caller commits.
    """
    from sqlalchemy import func, select

    root = message.dedupe_key.split(RESEND_MARK)[0]
    earlier = db.session.scalar(select(func.count(OutboxMessage.id)).where(
        OutboxMessage.dedupe_key.like(root.replace("%", r"\%").replace("_", r"\_") + RESEND_MARK + "%", escape="\\")))
    copy = OutboxMessage(
        kind=message.kind, dedupe_key=f"{root}{RESEND_MARK}{earlier + 1}", recipient=message.recipient,
        channel=message.channel,
        contact_id=message.contact_id, invitation_id=message.invitation_id, event_id=message.event_id,
        campaign_id=message.campaign_id, send_id=send_id or message.send_id, payload=dict(message.payload or {}),
        priority=Priority.URGENT,  # an organiser sent it again for one person: it does not wait behind a send
    )
    db.session.add(copy)
    db.session.flush()
    wake_sender_after_commit()
    return copy


def is_send_of_event(send_id: str, event_id: int) -> bool:
    """Whether `send_id` names a send of the event (the API answers 404 for any other)."""
    from sqlalchemy import select

    return db.session.scalar(select(OutboxMessage.id).where(OutboxMessage.send_id == send_id,
                                                            OutboxMessage.event_id == event_id).limit(1)) is not None


# A receipt's final "delivered" (eventsapp.channels.receipts); only these channels' gateways send receipts.
DELIVERED = "delivered"
RECEIPT_CHANNELS = frozenset({Channel.SMS.value, Channel.ZALO.value})


def progress(send_id: str) -> dict:
    """Counts by state of one send, for progress bars: {queued, sending, sent, failed, total, done,
    scheduled_for, waiting_for_time, last_due_at, channels}; `scheduled_for` (ISO 8601) while the whole send
    still waits for its time, else None; `waiting_for_time` rows (counted in `queued` too) wait for their time
    (their hour in their zone), the last of them due at `last_due_at`; `channels` splits the send by channel
    (see `_summaries`). One query."""
    summary = _summaries(OutboxMessage.send_id == send_id).get(send_id) or _summary()
    summary.pop("started")
    for name in ("scheduled_for", "last_due_at"):
        summary[name] = summary[name].isoformat() if summary[name] else None
    return summary


def _still_scheduled():
    """A row of a scheduled send: it waits for its first attempt at a time to come."""
    from sqlalchemy import and_

    return and_(OutboxMessage.state == MessageState.QUEUED, OutboxMessage.attempts == 0,
                OutboxMessage.next_attempt_at > utcnow())


def recent_sends(condition, limit: int = 5) -> list[dict]:
    """The latest sends among the messages matching `condition` (newest first, by their first message):
    [{send_id, started, scheduled_for, waiting_for_time, last_due_at, queued, sending, sent, failed, total,
    done, channels}]; `scheduled_for` is when a send that waits for its time starts (None once it has
    started); `waiting_for_time` messages wait for their time (their hour in their zone), the last due
    at `last_due_at`; `channels` as in `progress`. Two queries, neither reading the whole event."""
    from sqlalchemy import func, select

    # The event's (or campaign's) sends, one index probe each (a "loose index scan" over
    # ix_outbox_event_send / ix_outbox_campaign_send): an event has tens of sends but may have 100,000
    # messages, which a GROUP BY send_id would all read.
    first = select(func.min(OutboxMessage.send_id)).where(condition, OutboxMessage.send_id.is_not(None))
    sends = select(first.scalar_subquery().label("send_id")).cte("sends", recursive=True)
    following = select(func.min(OutboxMessage.send_id)).where(condition, OutboxMessage.send_id > sends.c.send_id)
    sends = sends.union_all(select(following.scalar_subquery()).where(sends.c.send_id.is_not(None)))
    started = (select(func.min(OutboxMessage.created_at))
               .where(condition, OutboxMessage.send_id == sends.c.send_id).scalar_subquery())
    latest = list(db.session.scalars(select(sends.c.send_id).where(sends.c.send_id.is_not(None))
                                     .order_by(started.desc(), sends.c.send_id.desc()).limit(limit)))
    if not latest:
        return []
    summaries = _summaries(condition, OutboxMessage.send_id.in_(latest))
    return [{"send_id": send_id, **summaries[send_id]} for send_id in latest if send_id in summaries]


def _summary() -> dict:
    return {"started": None, "scheduled_for": None, "waiting_for_time": 0, "last_due_at": None,
            **{state.value: 0 for state in MessageState}, "total": 0, "done": True, "channels": {}}


def _summaries(*conditions) -> dict[str, dict]:
    """Each send's counts among the messages matching `conditions`: {send_id: {started, scheduled_for,
    waiting_for_time, last_due_at, queued, sending, sent, failed, total, done, channels}}, one query.

    `channels` maps each channel the send uses (in Channel's order) to {queued, waiting_for_time, sending,
    sent, delivered, failed, total}: `queued` counts those waiting for their time too; `delivered` (sent
    and confirmed by the gateway's receipt) is None for channels without receipts (e-mail, printed cards)."""
    from sqlalchemy import func, select

    waiting = _still_scheduled()
    rows = db.session.execute(
        select(OutboxMessage.send_id, OutboxMessage.channel, OutboxMessage.state, func.count(OutboxMessage.id),
               func.sum(case((waiting, 1), else_=0)),
               func.sum(case((OutboxMessage.delivery_status == DELIVERED, 1), else_=0)),
               func.min(OutboxMessage.created_at), func.min(case((waiting, OutboxMessage.next_attempt_at), else_=None)),
               func.max(case((waiting, OutboxMessage.next_attempt_at), else_=None)))
        .where(*conditions, OutboxMessage.send_id.is_not(None))
        .group_by(OutboxMessage.send_id, OutboxMessage.channel, OutboxMessage.state)).all()
    summaries: dict[str, dict] = {}
    order = {channel.value: index for index, channel in enumerate(Channel)}
    for send_id, channel, state, number, waiting_count, delivered, started, first_due, last_due in rows:
        summary = summaries.setdefault(send_id, _summary())
        channel, state = Channel(channel).value, MessageState(state).value
        entry = summary["channels"].setdefault(channel, {
            "queued": 0, "waiting_for_time": 0, "sending": 0, "sent": 0,
            "delivered": 0 if channel in RECEIPT_CHANNELS else None, "failed": 0, "total": 0})
        waiting_count = int(waiting_count or 0)
        for counts in (summary, entry):
            counts[state] += number
            counts["total"] += number
            counts["waiting_for_time"] += waiting_count
        if entry["delivered"] is not None:
            entry["delivered"] += int(delivered or 0)
        summary["started"] = min(filter(None, (summary["started"], started)), default=None)
        summary["scheduled_for"] = min(filter(None, (summary["scheduled_for"], first_due)), default=None)
        summary["last_due_at"] = max(filter(None, (summary["last_due_at"], last_due)), default=None)
    for summary in summaries.values():
        summary["done"] = summary["queued"] + summary["sending"] == 0
        # A scheduled send: every message still waits for its first attempt at a time to come.
        if summary["waiting_for_time"] != summary["total"]:
            summary["scheduled_for"] = None
        summary["channels"] = dict(sorted(summary["channels"].items(), key=lambda item: order[item[0]]))
    return summaries


def event_counts(event_id: int) -> dict:
    """Counts by state of every message about an event."""
    return _counts(OutboxMessage.event_id == event_id)


def event_cells(event_id: int) -> dict[tuple[str, str], int]:
    """How many messages about an event are in each (state, channel): one index-only scan
    (ix_outbox_event_state_channel), from which the log's counts and its filtered totals are all added up."""
    from sqlalchemy import func, select

    return {(MessageState(state).value, Channel(channel).value): number for state, channel, number in db.session.execute(
        select(OutboxMessage.state, OutboxMessage.channel, func.count()).where(OutboxMessage.event_id == event_id)
        .group_by(OutboxMessage.state, OutboxMessage.channel))}


def counts_of(cells: dict[tuple[str, str], int]) -> dict:
    """`event_counts` added up from `event_cells`."""
    counts = {state.value: 0 for state in MessageState}
    for (state, _channel), number in cells.items():
        counts[state] += number
    counts["total"] = sum(counts.values())
    counts["done"] = counts["queued"] + counts["sending"] == 0
    return counts


def log_total(cells: dict[tuple[str, str], int], *, state: str | None = None, channel: str | None = None) -> int:
    """How many messages `log_query(state=, channel=)` lists, added up from `event_cells` (an unknown
    state or channel is no filter there, nor here)."""
    state = state if state in {s.value for s in MessageState} else None
    channel = channel if channel in {c.value for c in Channel} else None
    return sum(number for (cell_state, cell_channel), number in cells.items()
               if state in (None, cell_state) and channel in (None, cell_channel))


def _counts(condition) -> dict:
    from sqlalchemy import func, select

    counts = {state.value: 0 for state in MessageState}
    for state, number in db.session.execute(
            select(OutboxMessage.state, func.count()).where(condition).group_by(OutboxMessage.state)):
        counts[MessageState(state).value] = number
    counts["total"] = sum(counts.values())
    counts["done"] = counts["queued"] + counts["sending"] == 0
    return counts


def log_query(*, event_id: int | None = None, send_id: str | None = None, state: str | None = None,
              kind: str | None = None, channel: str | None = None):
    """The message log (every channel): messages newest first, filtered; a select() for pagination."""
    from sqlalchemy import select

    query = select(OutboxMessage).order_by(OutboxMessage.created_at.desc(), OutboxMessage.id.desc())
    if event_id is not None:
        query = query.where(OutboxMessage.event_id == event_id)
    if send_id is not None:
        query = query.where(OutboxMessage.send_id == send_id)
    if state in {s.value for s in MessageState}:
        query = query.where(OutboxMessage.state == MessageState(state))
    if kind in {k.value for k in MessageKind}:
        query = query.where(OutboxMessage.kind == MessageKind(kind))
    if channel in {c.value for c in Channel}:
        query = query.where(OutboxMessage.channel == Channel(channel))
    return query


def send_owner_association_id(send_id: str) -> int | None:
    """The association a send belongs to (through its event or campaign), for permission checks."""
    from sqlalchemy import select

    # Events and campaigns sit above the outbox (they queue their mail through it): read here only for a send's owner.
    from ..campaigns.models import Campaign
    from ..events.models import Event

    row = db.session.execute(select(OutboxMessage.event_id, OutboxMessage.campaign_id)
                             .where(OutboxMessage.send_id == send_id).limit(1)).first()
    if row is None:
        return None
    if row.event_id is not None:
        return db.session.scalar(select(Event.association_id).where(Event.id == row.event_id))
    if row.campaign_id is not None:
        return db.session.scalar(select(Campaign.association_id).where(Campaign.id == row.campaign_id))
    return None


# ---------------------------------------------------------------- the provider's limits

def estimated_finish(count: int, start=None):
    """When `count` more messages, queued from `start` (default now) behind those already waiting, would all
    have gone at the provider's limits (mail.ratelimit), at the earliest; None when no limit is set.

    Each full window (hour, 24 hours) makes the rest wait one more window; the messages already in the
    current windows count, so a day half used leaves half a day's cap."""
    import math
    from datetime import timedelta

    from sqlalchemy import func, select

    from . import ratelimit

    config = current_app.config
    rate = float(config.get("MAIL_RATE_LIMIT_PER_SECOND") or 0)
    windows = ratelimit.configured_windows(config)
    global_windows = [window for window in windows if window.scope != "domain"]
    if rate <= 0 and not global_windows:
        return None
    start = max(start or utcnow(), utcnow())
    ahead = db.session.scalar(select(func.count(OutboxMessage.id)).where(
        OutboxMessage.state.in_([MessageState.QUEUED, MessageState.SENDING]))) or 0
    total = ahead + count
    used = ratelimit.windows().used() if global_windows else {}
    waits = [timedelta(seconds=total / rate)] if rate > 0 else []
    for window in global_windows:
        waves = math.ceil((used.get(window.scope, 0) + total) / window.cap) - 1
        waits.append(window.length * max(0, waves))
    return start + max(waits)
