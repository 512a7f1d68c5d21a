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


def progress(send_id: str) -> dict:
    """Counts by state of one send, for progress bars: {queued, sending, sent, failed, total, done,
    scheduled_for, waiting_for_time, last_due_at}; `scheduled_for` (ISO 8601) while the whole send still
    waits for its time, else None; `waiting_for_time` rows wait for their time (their hour in their zone),
    the last of them due at `last_due_at`."""
    from sqlalchemy import func, select

    counts = _counts(OutboxMessage.send_id == send_id)
    waiting, first_due, last_due = db.session.execute(
        select(func.count(OutboxMessage.id), func.min(OutboxMessage.next_attempt_at),
               func.max(OutboxMessage.next_attempt_at))
        .where(OutboxMessage.send_id == send_id, _still_scheduled())).one()
    scheduled = counts["total"] and waiting == counts["total"]
    return {**counts, "scheduled_for": first_due.isoformat() if scheduled else None,
            "waiting_for_time": waiting, "last_due_at": last_due.isoformat() if last_due else None}


def _still_scheduled():
    """A row of a scheduled send: it waits for its first attempt at a time to come."""
    from sqlalchemy import and_

    return and_(OutboxMessage.state == MessageState.QUEUED, OutboxMessage.attempts == 0,
                OutboxMessage.next_attempt_at > utcnow())


def recent_sends(condition, limit: int = 5) -> list[dict]:
    """The latest sends among the messages matching `condition`, newest first:
    [{send_id, started, scheduled_for, waiting_for_time, last_due_at, queued, sending, sent, failed, total,
    done}], one query; `scheduled_for` is when a send that waits for its time starts (None once it has
    started); `waiting_for_time` messages wait for their time (their hour in their zone), the last due
    at `last_due_at`."""
    from sqlalchemy import func, select

    def count(state: MessageState):
        return func.sum(case((OutboxMessage.state == state, 1), else_=0))

    # A scheduled send: every row still waits for its first attempt at a time to come.
    waiting = _still_scheduled()
    rows = db.session.execute(
        select(OutboxMessage.send_id, func.min(OutboxMessage.created_at),
               func.sum(case((waiting, 1), else_=0)), func.min(OutboxMessage.next_attempt_at),
               func.max(case((waiting, OutboxMessage.next_attempt_at), else_=None)),
               *(count(state) for state in MessageState))
        .where(condition, OutboxMessage.send_id.is_not(None))
        .group_by(OutboxMessage.send_id).order_by(func.min(OutboxMessage.created_at).desc()).limit(limit)
    ).all()
    sends = []
    for send_id, started, waiting_count, first_due, last_due, *numbers in rows:
        counts = {state.value: int(number or 0) for state, number in zip(MessageState, numbers, strict=True)}
        counts["total"] = sum(counts.values())
        counts["done"] = counts["queued"] + counts["sending"] == 0
        scheduled_for = first_due if counts["total"] and waiting_count == counts["total"] else None
        sends.append({"send_id": send_id, "started": started, "scheduled_for": scheduled_for,
                      "waiting_for_time": int(waiting_count or 0), "last_due_at": last_due, **counts})
    return sends


def event_counts(event_id: int) -> dict:
    """Counts by state of every message about an event."""
    return _counts(OutboxMessage.event_id == event_id)


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
