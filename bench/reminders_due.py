"""How long the reminders' due query and an idle beat take as stored rules grow.

    .venv/bin/python bench/reminders_due.py                     # a scratch SQLite file
    BENCH_DATABASE_URL=postgresql+psycopg://…/scratch .venv/bin/python bench/reminders_due.py

Most rules have fired or are far in the future, as in a real year of events; 20
are due. The figures should stay flat: the due query reads the partial index of
pending rules only. Writes to the database it is given: use a scratch one.
"""
from __future__ import annotations

import os
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import delete, insert, text  # noqa: E402

from config import TestingConfig  # noqa: E402
from eventsapp import create_app  # noqa: E402
from eventsapp.extensions import db  # noqa: E402
from eventsapp.timeutils import utcnow  # noqa: E402


def main() -> None:
    url = os.environ.get("BENCH_DATABASE_URL") or f"sqlite:///{tempfile.mkdtemp()}/bench.sqlite3"
    app = create_app(TestingConfig, SQLALCHEMY_DATABASE_URI=url, CELERY_BROKER_URL="memory://")
    with app.app_context():
        from flask_migrate import upgrade

        from eventsapp.associations.models import Association, AssociationKind
        from eventsapp.events.models import Event
        from eventsapp.reminders import services
        from eventsapp.reminders.models import ReminderRule

        upgrade()
        now = utcnow()
        association = Association(kind=AssociationKind.ASSOCIATION, slug=f"bench-{int(time.time())}",
                                  name_vi="Hội thử", name_en="Bench")
        events = [Event(association=association, slug=f"{association.slug}-{n}", title_vi=f"Sự kiện {n}",
                        starts_at=now + timedelta(days=400), ends_at=now + timedelta(days=400, hours=2))
                  for n in range(100)]
        db.session.add_all(events)
        db.session.commit()
        base = {"kind": "reminder", "anchor": "start", "offset_minutes": -1440, "to_accepted": True,
                "to_tentative": True, "to_pending": True, "to_attended": False, "message_vi": "", "message_en": "",
                "inherited_from": "", "sent_count": 0, "created_at": now, "updated_at": now, "fired_at": None}
        stored = 0
        for target in (1_000, 10_000, 100_000, 300_000):
            rows = []
            for n in range(stored, target):
                moment = now - timedelta(minutes=n + 60) if n % 3 else now + timedelta(minutes=n + 60)
                rows.append({**base, "event_id": events[n % 100].id, "fire_at": moment,
                             "fired_at": moment if n % 3 else None})
            for start in range(0, len(rows), 10_000):
                db.session.execute(insert(ReminderRule), rows[start:start + 10_000])
            stored = target
            db.session.commit()
            if db.engine.dialect.name == "postgresql":
                db.session.execute(text("ANALYZE reminder_rules"))
            timings = []
            for _ in range(20):
                started = time.perf_counter()
                services.due_rule_ids(now)
                timings.append(time.perf_counter() - started)
            timings.sort()
            print(f"{db.engine.dialect.name}: {target:>7} rules stored: due query median "
                  f"{timings[10] * 1000:.2f} ms, worst {timings[-1] * 1000:.2f} ms")
        db.session.execute(delete(ReminderRule).where(ReminderRule.event_id.in_([e.id for e in events])))
        db.session.commit()


if __name__ == "__main__":
    main()
