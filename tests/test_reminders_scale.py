"""100,000 stored reminder rules do not slow the due query: PostgreSQL reads the partial index."""
from __future__ import annotations

import random
import time
from datetime import timedelta

import pytest
from sqlalchemy import insert, text

from eventsapp.reminders import services
from eventsapp.reminders.models import ReminderRule
from tests.factories import EventFactory
from tests.reminders_helpers import DAY, MINUTE, START

pytestmark = pytest.mark.slow  # 100,000 rules in the database

TOTAL = 100_000
DUE = 25


def stored_rules(event_ids, now):
    """Most fired or skipped long ago, the rest far in the future, and DUE due now."""
    rng = random.Random(6)
    base = {"kind": "reminder", "anchor": "start", "offset_minutes": -1440, "to_accepted": True, "to_tentative": True,
            "to_pending": True, "to_attended": False, "message_vi": "", "message_en": "", "inherited_from": "",
            "sent_count": 0, "created_at": now, "updated_at": now, "absolute_at": None, "fired_at": None,
            "skipped_at": None, "skip_reason": None, "removed_at": None}
    for n in range(TOTAL - DUE):
        past = now - timedelta(minutes=rng.randint(1, 700 * 24 * 60))
        if n % 10 < 6:
            row = {"fire_at": past, "fired_at": past, "sent_count": 40}
        elif n % 10 < 7:
            row = {"fire_at": past, "skipped_at": past, "skip_reason": "started"}
        else:
            row = {"fire_at": now + timedelta(minutes=rng.randint(60, 365 * 24 * 60))}
        yield {**base, "event_id": event_ids[n % len(event_ids)], **row}
    for n in range(DUE):
        yield {**base, "event_id": event_ids[n], "fire_at": now - n * MINUTE}


def test_the_due_query_uses_the_partial_index_among_100000_rules(db):
    now = START - DAY
    event_ids = [EventFactory().id for _ in range(50)]
    rows = list(stored_rules(event_ids, now))
    for start in range(0, len(rows), 10_000):
        db.session.execute(insert(ReminderRule), rows[start:start + 10_000])
    db.session.commit()
    db.session.execute(text("ANALYZE reminder_rules"))

    statement = services.due_query(now).compile(db.engine, compile_kwargs={"literal_binds": True})
    plan = "\n".join(db.session.scalars(text(f"EXPLAIN (ANALYZE, BUFFERS) {statement}")))
    print(plan)
    assert "ix_reminder_rules_due" in plan, plan
    assert "Seq Scan on reminder_rules" not in plan, plan

    started = time.perf_counter()
    due = services.due_rule_ids(now)
    elapsed = time.perf_counter() - started
    print(f"due query among {TOTAL} rules: {elapsed * 1000:.1f} ms for {len(due)} due rules")
    assert len(due) == DUE
    assert elapsed < 0.5
