"""Feed builds run on the `feeds` queue (routed by the `feeds.` prefix)."""
from __future__ import annotations

from celery import shared_task

from . import services


@shared_task(name="feeds.build")
def build(feed_id: int) -> None:
    """Rebuild one stored feed; safe to run twice (the second finds the same content)."""
    services.rebuild(feed_id)


@shared_task(name="feeds.build_many")
def build_many(feed_ids: list[int]) -> None:
    """Rebuild many feeds (a change touching thousands of personal feeds sends these in batches)."""
    for feed_id in feed_ids:
        services.rebuild(feed_id)


@shared_task(name="feeds.sweep")
def sweep() -> None:
    """Periodic: rebuild dirty feeds whose build was lost; drop long-cancelled events."""
    services.sweep()
