"""Periodic: the retention purge (beat, daily; eventsapp.schedule)."""
from __future__ import annotations

from celery import shared_task

from ..extensions import db
from . import retention


@shared_task(name="privacy.purge_expired")
def purge_expired() -> None:
    """Purge answers, received messages and message bodies past their retention."""
    retention.purge()
    db.session.commit()
