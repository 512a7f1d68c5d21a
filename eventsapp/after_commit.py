"""Enqueue Celery tasks only once the transaction that justifies them has committed.

Usage: `enqueue_after_commit(task, *args)`; if the transaction rolls back,
nothing is sent. Outside a request the same holds for the current session.
A wake-up task that handles everything due when it runs passes `coalesce=<purpose>`:
it is not published while one is still pending (see eventsapp.broker).
"""
from __future__ import annotations

import logging

from sqlalchemy import event

from . import broker
from .extensions import db

logger = logging.getLogger(__name__)

_PENDING_KEY = "eventsapp_after_commit"


def enqueue_after_commit(task, *args, coalesce: str | None = None, **options) -> None:
    """Send `task.apply_async(args, **options)` after the session's next commit."""
    session = db.session()
    pending = session.info.setdefault(_PENDING_KEY, [])
    pending.append((task, args, options, coalesce))


def _send_pending(session) -> None:
    pending = session.info.pop(_PENDING_KEY, [])
    for task, args, options, coalesce in pending:
        if coalesce and not broker.reserve_wakeup(coalesce):
            continue  # a wake-up for this purpose is pending: it will find this transaction's work
        try:
            task.apply_async(args=args, **options)
        except Exception:  # the outbox sweeper will pick the work up; never fail the commit
            logger.exception("could not enqueue %s%r; the sweeper will retry", task.name, args)
            if coalesce:
                broker.release_wakeup(coalesce)


def _drop_pending(session) -> None:
    session.info.pop(_PENDING_KEY, None)


def _drop_on_rollback(session, previous_transaction) -> None:
    if not previous_transaction.nested:  # a savepoint rolling back keeps the outer work
        _drop_pending(session)


def install() -> None:
    from sqlalchemy.orm import Session

    if not event.contains(Session, "after_commit", _send_pending):
        event.listen(Session, "after_commit", _send_pending)
        event.listen(Session, "after_soft_rollback", _drop_on_rollback)


install()
