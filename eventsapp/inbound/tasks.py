"""Inbound tasks (queue `default`): process one stored message; poll the mailbox (beat)."""
from __future__ import annotations

from celery import shared_task

from . import receiving, services


@shared_task(name="inbound.process")
def process(inbound_id: int) -> str:
    """Classify and handle one stored inbound message."""
    row = services.process(inbound_id)
    return "" if row is None else f"{row.state.value}: {row.outcome}"


@shared_task(name="inbound.poll")
def poll() -> dict:
    """Take in what waits in the IMAP mailbox (MAIL_INBOX_URL) and the inbox folder (MAIL_INBOX_DIR)."""
    return receiving.poll_all()
