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
from .models import (
    BULK_KINDS,
    URGENT_KINDS,
    Channel,
    MessageKind,
    MessageState,
    OutboxMessage,
    OutboxTally,
    Priority,
    priority_of,
)

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
    (see `_summaries`)."""
    summary = _summaries([send_id]).get(send_id) or _summary()
    summary.pop("started")
    for name in ("scheduled_for", "last_due_at"):
        summary[name] = summary[name].isoformat() if summary[name] else None
    return summary


def _still_scheduled():
    """A row of a scheduled send: it waits for its first attempt at a time to come."""
    from sqlalchemy import and_

    return and_(OutboxMessage.state == MessageState.QUEUED, OutboxMessage.attempts == 0,
                OutboxMessage.next_attempt_at > utcnow())


# ---------------------------------------------------------------- counting without reading every message

def _tallies():
    """The counts of outbox rows by (event_id, campaign_id, send_id, kind, channel, state, delivered), with
    `first_at` (their earliest created_at) and `n` (how many, to be summed): on PostgreSQL the ledger its
    triggers keep (OutboxTally), elsewhere the same columns computed from outbox_messages, row by row."""
    from sqlalchemy import literal, select

    if db.session.get_bind().dialect.name == "postgresql":
        return OutboxTally.__table__
    o = OutboxMessage
    return select(o.event_id, o.campaign_id, o.send_id, o.kind, o.channel, o.state,
                  (o.delivery_status == DELIVERED).label("delivered"), o.created_at.label("first_at"),
                  literal(1).label("n")).subquery("tallies")


def _scope(columns, event_ids=None, campaign_id=None) -> list:
    """Conditions on the messages of these events or of this campaign (`columns`: a table's .c)."""
    if campaign_id is not None:
        return [columns.campaign_id == campaign_id]
    return [columns.event_id.in_(list(event_ids))] if event_ids is not None else []


TALLY_COMPACTION_LOCK = 2026_26_01  # a transaction-level advisory lock: one compaction at a time


def compact_tallies() -> int:
    """Sum each key's ledger rows into one (dropping keys that add up to nothing); run by the sweeper and
    by dispatchers during a long send, so that reading the counts stays a few rows however many changes a
    large send made. Returns the rows removed (0 when another compaction is running). On a connection of
    its own, committed at once: it never touches the caller's session. Concurrent changes are safe: rows
    committed meanwhile are not seen by the DELETE."""
    if db.session.get_bind().dialect.name != "postgresql":
        return 0
    with db.engine.begin() as connection:
        return _compact(connection)


def _compact(connection) -> int:
    from sqlalchemy import text

    if not connection.scalar(text(f"SELECT pg_try_advisory_xact_lock({TALLY_COMPACTION_LOCK})")):
        return 0
    key = "event_id, campaign_id, send_id, kind, channel, state, delivered"

    def parts(alias: str) -> list[str]:
        # The key with its NULLs made values, so that the join is a hash join (IS NOT DISTINCT FROM is not).
        return [f"coalesce({alias}event_id, -1)", f"coalesce({alias}campaign_id, -1)", f"coalesce({alias}send_id, '')",
                f"{alias}kind", f"{alias}channel", f"{alias}state", f"{alias}delivered"]

    named = ", ".join(f"{part} AS k{index}" for index, part in enumerate(parts("")))
    joined = " AND ".join(f"{part} = d.k{index}" for index, part in enumerate(parts("t.")))
    removed = connection.execute(text(f"""
        WITH doubled AS (SELECT {named} FROM outbox_tallies GROUP BY {", ".join(parts(""))} HAVING count(*) > 1),
        moved AS (DELETE FROM outbox_tallies t USING doubled d WHERE {joined} RETURNING t.*),
        summed AS (INSERT INTO outbox_tallies ({key}, first_at, n)
                   SELECT {key}, min(first_at), sum(n) FROM moved GROUP BY {key} HAVING sum(n) <> 0)
        SELECT count(*) FROM moved""")).scalar()
    return int(removed or 0)


def recent_sends(*, event_ids=None, campaign_id=None, limit: int = 5) -> list[dict]:
    """The latest sends among the messages of these events (or this campaign), newest first by their first
    message: [{send_id, started, scheduled_for, waiting_for_time, last_due_at, queued, sending, sent, failed,
    total, done, channels}]; `scheduled_for` is when a send that waits for its time starts (None once it has
    started); `waiting_for_time` messages wait for their time (their hour in their zone), the last due
    at `last_due_at`; `channels` as in `progress`."""
    from sqlalchemy import func, select

    tallies = _tallies()
    started = func.min(tallies.c.first_at)
    latest = list(db.session.scalars(
        select(tallies.c.send_id).where(*_scope(tallies.c, event_ids, campaign_id), tallies.c.send_id.is_not(None))
        .group_by(tallies.c.send_id).having(func.sum(tallies.c.n) > 0)
        .order_by(started.desc(), tallies.c.send_id.desc()).limit(limit)))
    summaries = _summaries(latest, event_ids=event_ids, campaign_id=campaign_id) if latest else {}
    return [{"send_id": send_id, **summaries[send_id]} for send_id in latest if send_id in summaries]


def _summary() -> dict:
    return {"started": None, "scheduled_for": None, "waiting_for_time": 0, "last_due_at": None,
            **{state.value: 0 for state in MessageState}, "total": 0, "done": True, "channels": {}}


def _summaries(send_ids: list[str], **scope) -> dict[str, dict]:
    """Each send's counts (among the messages of `scope`'s events or campaign, when given): {send_id: {started,
    scheduled_for, waiting_for_time, last_due_at, queued, sending, sent, failed, total, done, channels}}.

    `channels` maps each channel the send uses (in Channel's order) to {queued, waiting_for_time, sending,
    sent, delivered, failed, total}: `queued` counts those waiting for their time too; `delivered` (sent
    and confirmed by the gateway's receipt) is None for channels without receipts (e-mail, printed cards)."""
    from sqlalchemy import func, select, text

    tallies = _tallies()
    counted = db.session.execute(
        select(tallies.c.send_id, tallies.c.channel, tallies.c.state, func.sum(tallies.c.n),
               func.sum(case((tallies.c.delivered, tallies.c.n), else_=0)), func.min(tallies.c.first_at))
        .where(tallies.c.send_id.in_(send_ids), *_scope(tallies.c, **scope))
        .group_by(tallies.c.send_id, tallies.c.channel, tallies.c.state).having(func.sum(tallies.c.n) != 0)).all()
    # Those waiting for their time, through the partial index ix_outbox_send_waiting (its condition written
    # out, not bound, so that the planner sees the index applies).
    waiting = db.session.execute(
        select(OutboxMessage.send_id, OutboxMessage.channel, func.count(), func.min(OutboxMessage.next_attempt_at),
               func.max(OutboxMessage.next_attempt_at))
        .where(OutboxMessage.send_id.in_(send_ids), text("outbox_messages.state = 'queued'"),
               text("outbox_messages.attempts = 0"), OutboxMessage.next_attempt_at > utcnow(),
               *_scope(OutboxMessage.__table__.c, **scope))
        .group_by(OutboxMessage.send_id, OutboxMessage.channel)).all()
    summaries: dict[str, dict] = {}
    order = {channel.value: index for index, channel in enumerate(Channel)}

    def entry_of(summary: dict, channel: str) -> dict:
        return summary["channels"].setdefault(channel, {
            "queued": 0, "waiting_for_time": 0, "sending": 0, "sent": 0,
            "delivered": 0 if channel in RECEIPT_CHANNELS else None, "failed": 0, "total": 0})

    for send_id, channel, state, number, delivered, started in counted:
        summary = summaries.setdefault(send_id, _summary())
        entry = entry_of(summary, Channel(channel).value)
        state = MessageState(state).value
        for counts in (summary, entry):
            counts[state] += int(number)
            counts["total"] += int(number)
        if entry["delivered"] is not None:
            entry["delivered"] += int(delivered or 0)
        summary["started"] = min(filter(None, (summary["started"], started)), default=None)
    for send_id, channel, number, first_due, last_due in waiting:
        if send_id not in summaries:
            continue
        summary = summaries[send_id]
        summary["waiting_for_time"] += number
        entry_of(summary, Channel(channel).value)["waiting_for_time"] += number
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
    return counts_of(event_cells(event_id))


def event_cells(event_id: int) -> dict[tuple[str, str, str], int]:
    """How many messages about an event are of each (kind, state, channel), from the tallies: the log's
    counts and each filter's total are added up from these few numbers."""
    from sqlalchemy import func, select

    tallies = _tallies()
    return {(MessageKind(kind).value, MessageState(state).value, Channel(channel).value): int(number)
            for kind, state, channel, number in db.session.execute(
                select(tallies.c.kind, tallies.c.state, tallies.c.channel, func.sum(tallies.c.n))
                .where(tallies.c.event_id == event_id)
                .group_by(tallies.c.kind, tallies.c.state, tallies.c.channel).having(func.sum(tallies.c.n) != 0))}


def counts_of(cells: dict[tuple[str, str, str], int]) -> dict:
    """`event_counts` added up from `event_cells`."""
    counts = {state.value: 0 for state in MessageState}
    for (_kind, state, _channel), number in cells.items():
        counts[state] += number
    counts["total"] = sum(counts.values())
    counts["done"] = counts["queued"] + counts["sending"] == 0
    return counts


def log_total(cells: dict[tuple[str, str, str], int], *, state: str | None = None, kind: str | None = None,
              channel: str | None = None) -> int:
    """How many messages `log_query(state=, kind=, channel=)` lists, added up from `event_cells` (an unknown
    state, kind or channel is no filter there, nor here)."""
    state = state if state in {s.value for s in MessageState} else None
    kind = kind if kind in {k.value for k in MessageKind} else None
    channel = channel if channel in {c.value for c in Channel} else None
    return sum(number for (cell_kind, cell_state, cell_channel), number in cells.items()
               if state in (None, cell_state) and kind in (None, cell_kind) and channel in (None, cell_channel))


def recipient_prefixes(search: str | None) -> list[str]:
    """What a search of the log looks for at the start of recipients: a phone number as people write it
    ("0912 345", "+84 912", "0084 912…") turned toward E.164 ("+84912345"), or an e-mail address as typed and
    in lower case; [] for nothing to look for (control characters are dropped)."""
    import re

    search = "".join(character for character in (search or "") if character.isprintable()).strip()[:254]
    if not search:
        return []
    digits = re.sub(r"[\s.\-()]", "", search)
    if re.fullmatch(r"\+?\d+", digits, flags=re.ASCII):
        if digits.startswith("00"):
            digits = "+" + digits[2:]
        elif digits.startswith("0"):
            digits = "+84" + digits[1:]  # as dialled in Vietnam
        return [digits] if digits.startswith("+") else ["+" + digits, digits]
    return sorted({search, search.lower()})


def log_query(*, event_id: int | None = None, send_id: str | None = None, state: str | None = None,
              kind: str | None = None, channel: str | None = None, search: str | None = None):
    """The message log (every channel): messages newest first, filtered (`search`: recipients starting
    with it, see `recipient_prefixes`); a select() for pagination."""
    from sqlalchemy import or_, select

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
    if prefixes := recipient_prefixes(search):
        escaped = [prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") for prefix in prefixes]
        query = query.where(or_(*(OutboxMessage.recipient.like(prefix + "%", escape="\\") for prefix in escaped)))
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
