"""Bench: the door and the reports on a large event (10,000 invitees), on SQLite or DATABASE_URL.

Prints: check-ins per second through the service (each committed), counter and search
latency at the door, and the time to build the event report and the CSV/XLSX exports.
Run: .venv/bin/python bench/attendance_door.py [invitees]
"""
from __future__ import annotations

import os
import sys
import tempfile
import time
from datetime import timedelta

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
os.environ.setdefault("EVENTSAPP_INSTANCE_DIR", tempfile.mkdtemp(prefix="bench-attendance-"))

from eventsapp import create_app  # noqa: E402
from eventsapp.extensions import db  # noqa: E402


def timed(label, fn, repeat=1):
    start = time.perf_counter()
    for _ in range(repeat):
        result = fn()
    elapsed = (time.perf_counter() - start) / repeat
    print(f"{label:<44} {elapsed * 1000:9.1f} ms")
    return result


def main(size: int) -> None:
    app = create_app()
    with app.app_context():
        from flask_migrate import upgrade
        from sqlalchemy import insert, select, text

        from eventsapp.associations.models import Association, AssociationKind
        from eventsapp.attendance import reports, services
        from eventsapp.auth.models import User
        from eventsapp.contacts.models import Contact
        from eventsapp.events.models import Event
        from eventsapp.invitations.models import Invitation, InvitationStatus, new_token
        from eventsapp.text import fold, sort_key
        from eventsapp.timeutils import utcnow

        upgrade()
        association = Association(slug="bench", name_vi="Hội thử", name_en="Bench", kind=AssociationKind.ASSOCIATION)
        user = User(email="door@bench.vn", name="Cửa", password_hash="x")
        starts = utcnow() - timedelta(hours=1)
        event = Event(association=association, slug="bench-event", title_vi="Gặp mặt thử", starts_at=starts,
                      ends_at=starts + timedelta(hours=3))
        db.session.add_all([association, user, event])
        db.session.flush()
        names = ["Nguyễn Văn An", "Trần Thị Bình", "Lê Hoàng Cường", "Phạm Thu Hà", "Đỗ Minh Đức"]
        countries = ["Việt Nam", "Nhật Bản", "Đức", "Nga", "Hàn Quốc"]
        now = utcnow()
        rows = [{"full_name": f"{names[i % 5]} {i}", "email": f"k{i}@bench.vn", "country": countries[i % 5],
                 "search_text": f"{fold(names[i % 5])} {i} k{i}@bench.vn", "sort_key": sort_key(names[i % 5]),
                 "feed_token": new_token(), "unsubscribe_token": new_token(), "created_at": now, "updated_at": now,
                 "phone": "", "place": "", "timezone": "Asia/Ho_Chi_Minh", "language": "vi", "notes": ""}
                for i in range(size)]
        db.session.execute(insert(Contact), rows)
        ids = db.session.scalars(select(Contact.id).order_by(Contact.id)).all()
        statuses = [InvitationStatus.ACCEPTED] * 6 + [InvitationStatus.DECLINED, InvitationStatus.PENDING]
        db.session.execute(insert(Invitation), [
            {"event_id": event.id, "contact_id": cid, "token": new_token(), "checkin_token": new_token(),
             "status": statuses[n % len(statuses)], "guests": n % 2, "comment": "", "is_honoree": False,
             "created_at": now, "updated_at": now} for n, cid in enumerate(ids)])
        db.session.commit()
        db.session.execute(text("ANALYZE"))  # what autovacuum does after a bulk import
        db.session.commit()
        tokens = db.session.scalars(select(Invitation.checkin_token).where(
            Invitation.status == InvitationStatus.ACCEPTED).limit(size // 2)).all()
        print(f"database: {db.engine.url.get_backend_name()}, invitees: {size}")

        count = min(500, len(tokens))
        start = time.perf_counter()
        for token in tokens[:count]:
            services.check_in_by_token(event, token, by=user)
            db.session.commit()
        elapsed = time.perf_counter() - start
        print(f"{'check-ins (service + commit each)':<44} {count / elapsed:9.0f} /s")
        start = time.perf_counter()
        for token in tokens[:100]:
            try:
                services.check_in_by_token(event, token, by=user)
            except services.AlreadyCheckedIn:
                db.session.rollback()
        print(f"{'second scans answered (already checked in)':<44} {100 / (time.perf_counter() - start):9.0f} /s")
        for token in tokens[count:]:
            services.check_in_by_token(event, token, by=user)
        db.session.commit()
        timed("door counters", lambda: services.counters(event), repeat=20)
        timed("door search 'nguyen van an 12'", lambda: services.search(event, "nguyen van an 12"), repeat=20)
        report = timed("event report (all figures, breakdowns)", lambda: reports.build([event]))
        print(f"  attended {report.total.attended}, no-shows {report.total.no_shows}, rate {report.total.rate_percent}")
        with app.test_request_context():
            timed("CSV export", lambda: reports.attendees_csv(event))
            timed("XLSX export", lambda: reports.attendees_xlsx(event))


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 10_000)
