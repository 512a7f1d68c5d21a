"""The beat task that fires due reminders (every minute; safe to run twice or concurrently)."""
from celery import shared_task

from . import services


@shared_task(name="reminders.fire_due")
def fire_due() -> dict:
    """Fire every due reminder rule into the outbox; returns counts for the log."""
    result = services.fire_due()
    return {"fired": result.fired, "skipped": result.skipped, "messages": result.messages}
