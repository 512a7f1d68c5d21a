"""Invitation work for the workers."""
from __future__ import annotations

from celery import shared_task

from . import checkin_codes


@shared_task(name="invitations.prepare_checkin_codes")
def prepare_checkin_codes(event_id: int) -> int:
    """Make the door QR codes an event's invitations lack (see eventsapp/invitations/checkin_codes.py)."""
    return checkin_codes.prepare_event(event_id)
