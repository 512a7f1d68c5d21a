"""Idempotent demo data: each domain's `demo.seed()` runs in dependency order.

Every seeder looks rows up by a natural key before creating them, so
`flask seed-demo` can run again and again (each start of `make run` does).
"""
from __future__ import annotations

from collections.abc import Iterator

from .blueprints import optional_module
from .extensions import db

# Dependency order: later domains use what earlier ones created.
SEED_ORDER = ("associations", "contacts", "campaigns", "events", "invitations", "questions", "reminders", "attendance", "feeds")

DEMO_PASSWORDS = {
    "admin@demo.eventsapp.vn": "admin-demo-2026",
    "organiser@demo.eventsapp.vn": "organiser-demo-2026",
    "checkin@demo.eventsapp.vn": "checkin-demo-2026",
}


def seed_all() -> Iterator[str]:
    for domain in SEED_ORDER:
        module = optional_module(f"eventsapp.{domain}.demo")
        if module is None:
            continue
        for line in module.seed() or ():
            yield line
        db.session.commit()
