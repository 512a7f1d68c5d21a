"""Ceremony work for the workers: the PDFs of place cards, the seating chart, table lists and the MC's script."""
from __future__ import annotations

from celery import shared_task

from . import printables


@shared_task(name="ceremony.render_printable")
def render_printable(printable_id: int) -> None:
    """Make and store one PDF; a second run of a done printable does nothing."""
    printables.render(printable_id)
