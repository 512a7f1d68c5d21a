"""Writing to the outbox; sending happens in workers (see mail.tasks).

`queue_messages` inserts rows in the caller's transaction, skipping those whose
`dedupe_key` already exists, and arranges for the sender to be woken once the
transaction commits. Nothing is sent if the transaction rolls back.
"""
from __future__ import annotations

from collections.abc import Iterable

from flask import current_app
from sqlalchemy.dialects import postgresql, sqlite

from ..extensions import db
from ..timeutils import utcnow
from .models import MessageState, OutboxMessage

DISPATCH_TASK = "mail.dispatch"


def _insert():
    dialect = db.session.get_bind().dialect.name
    builder = postgresql.insert if dialect == "postgresql" else sqlite.insert
    return builder(OutboxMessage.__table__)


def queue_messages(rows: Iterable[dict], *, wake_sender: bool = True) -> int:
    """Insert outbox rows (dicts of OutboxMessage columns); returns how many were new.

    A row whose `dedupe_key` exists already is skipped, whatever its state:
    the same purpose never produces a second message.
    """
    now = utcnow()
    values = [
        {"state": MessageState.QUEUED.value, "attempts": 0, "payload": {}, "last_error": "", "smtp_message_id": "",
         "subject": "", "created_at": now, "updated_at": now, "next_attempt_at": now,
         **{k: (v.value if hasattr(v, "value") else v) for k, v in row.items()}}
        for row in rows
    ]
    if not values:
        return 0
    inserted = 0
    for start in range(0, len(values), 1000):
        chunk = values[start:start + 1000]
        statement = _insert().values(chunk).on_conflict_do_nothing(index_elements=["dedupe_key"])
        inserted += len(db.session.execute(statement.returning(OutboxMessage.__table__.c.id)).all())
    if wake_sender and inserted:
        wake_sender_after_commit()
    return inserted


def wake_sender_after_commit() -> None:
    """Ask a mail worker to dispatch due messages once this transaction commits."""
    from ..after_commit import enqueue_after_commit

    enqueue_after_commit(current_app.extensions["celery"].signature(DISPATCH_TASK))
