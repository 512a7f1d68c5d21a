"""Mail tasks (queue `mail`): the dispatcher, woken after commit, and the sweeper, run by beat."""
from __future__ import annotations

from celery import shared_task

from ..broker import release_wakeup
from . import sender
from .services import DISPATCH_WAKEUP


@shared_task(name="mail.dispatch")
def dispatch(send_id: str | None = None) -> dict:
    """Send every due outbox message (only those of `send_id` when given); safe to run many at once."""
    if send_id is None:
        release_wakeup(DISPATCH_WAKEUP)  # before claiming: a change committed from now on wakes another
    return sender.dispatch(send_id)


@shared_task(name="mail.sweep")
def sweep() -> dict:
    """Re-queue messages whose worker died while sending, and wake a dispatcher when some are due."""
    return sender.sweep()
