"""Attendance work for the workers: PDFs of badges, door lists and certificates."""
from __future__ import annotations

from celery import shared_task

from . import printables


@shared_task(name="attendance.render_printable")
def render_printable(printable_id: int) -> None:
    """Make and store the PDF of one printable; a second run of a done printable does nothing."""
    printables.render(printable_id)
