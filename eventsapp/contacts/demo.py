"""Demo: a few hundred members and overseas compatriots, imported through the importer (idempotent)."""
from __future__ import annotations

from pathlib import Path

from sqlalchemy import func, select

from ..extensions import db
from . import importing
from .models import Contact

DEMO_FILE = Path(__file__).with_name("demo_contacts.csv")


def seed():
    result = importing.check_file(DEMO_FILE.name, DEMO_FILE.read_bytes(), None)
    counts = importing.apply(result, valid_only=True)
    total = db.session.scalar(select(func.count()).select_from(Contact))
    yield (f"Contacts: {total} ({counts['created']} new, {counts['updated']} updated, "
           f"{counts['skipped']} unchanged from {DEMO_FILE.name}).")
