"""The Redis behind the Celery broker, when the broker is Redis: state shared by web and worker processes.

Coalesced wake-ups: a burst of changes (hundreds of invitees answering at once) each
wants, say, the mail dispatcher woken; one pending wake-up serves them all, since the
task handles everything due when it runs. A flag key records that a wake-up is pending:
`reserve_wakeup` sets it (SET NX) and says whether to publish; the task calls
`release_wakeup` *before* it looks for work, so whatever committed before a skipped
publish is found by the pending task. The flag expires, so a lost task (a flushed
broker) stops holding wake-ups back; the beat sweepers cover the gap. With another
broker (the embedded SQLite default), or when Redis cannot be reached, every wake-up
is published.
"""
from __future__ import annotations

import logging

from flask import current_app

logger = logging.getLogger(__name__)

WAKEUP_FLAG_SECONDS = 30
_clients: dict = {}


def redis_url(config) -> str | None:
    """The broker's URL when it is Redis."""
    broker = config.get("CELERY_BROKER_URL") or ""
    if broker.startswith(("redis://", "rediss://")):
        return broker
    return None


def _client():
    url = redis_url(current_app.config)
    if url is None:
        return None
    client = _clients.get(url)
    if client is None:
        import redis

        client = _clients[url] = redis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2)
    return client


def _key(purpose: str) -> str:
    return f"eventsapp:wakeup:{purpose}"


def reserve_wakeup(purpose: str) -> bool:
    """True when the caller should publish the wake-up task of `purpose` (none is pending)."""
    client = _client()
    if client is None:
        return True
    try:
        return bool(client.set(_key(purpose), b"1", nx=True, ex=WAKEUP_FLAG_SECONDS))
    except Exception:  # Redis unreachable: publishing too often is harmless, not publishing is not
        logger.warning("could not check the pending %s wake-up; publishing", purpose, exc_info=True)
        return True


def release_wakeup(purpose: str) -> None:
    """The pending wake-up of `purpose` is being handled (or was never published): the next change publishes."""
    client = _client()
    if client is None:
        return
    try:
        client.delete(_key(purpose))
    except Exception:  # the flag expires on its own
        logger.warning("could not clear the pending %s wake-up", purpose, exc_info=True)
