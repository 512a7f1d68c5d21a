"""Channel tasks (queue `mail`, beside e-mail's): one dispatcher per channel, and its sweep run by beat."""
from __future__ import annotations

from celery import shared_task

from ..broker import release_wakeup
from ..mail.models import Channel
from . import dispatch as dispatching
from .routing import wakeup_name


@shared_task(name="channels.dispatch")
def dispatch(channel: str, send_id: str | None = None) -> dict:
    """Send every due message of `channel` (sms, zalo, printed); safe to run many at once."""
    chosen = Channel(channel)
    if send_id is None:
        release_wakeup(wakeup_name(chosen))  # before claiming: a change committed from now on wakes another
    return dispatching.dispatch(chosen, send_id)


@shared_task(name="channels.sweep")
def sweep() -> dict:
    """Wake the dispatcher of every channel with a message due (a lost wake-up, a retry come due).
    Rows whose worker died while sending are queued again by mail.sweep, for every channel."""
    due = dispatching.due_channels()
    dispatching.wake(due)
    return {"woke": [channel.value for channel in due]}
