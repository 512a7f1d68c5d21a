"""Bench: name badges as PDF for a large event, as the worker makes them (`attendance.render_printable`).

Seeds an event with invitees (SQLite in a temporary folder, or DATABASE_URL), then renders 500 and
2,000 badges (and the door list of the same people), each in a fresh child process, and prints
the time, the PDF size and the child's peak RSS (before rendering, and the peak during it) beside its ceiling: the PDF
itself, which the worker holds once to store it. Rows are read 200 at a time; what grows with the
batch is what ReportLab keeps of each page until the document is saved (a QR code is one small image).
Run: .venv/bin/python bench/printables_badges.py [sizes…]   (default: 500 2000)
"""
from __future__ import annotations

import os
import resource
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
os.environ.setdefault("EVENTSAPP_INSTANCE_DIR", tempfile.mkdtemp(prefix="bench-printables-"))

from eventsapp import create_app  # noqa: E402
from eventsapp.extensions import db  # noqa: E402


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: kilobytes


def render_child(printable_id: int) -> None:
    """In the child: load the app, note the RSS, render one printable as the task does, print figures."""
    app = create_app()
    with app.app_context():
        from eventsapp.attendance import printables, printing
        from eventsapp.attendance.models import Printable

        printing.register_fonts()
        before = peak_rss_mb()
        start = time.perf_counter()
        printables.render(printable_id)
        elapsed = time.perf_counter() - start
        row = db.session.get(Printable, printable_id)
        assert row.state == "done", row.error
        pdf_mb, growth = len(row.content) / 1e6, peak_rss_mb() - before
        # The ceiling: a worker must hold the finished PDF once to store it (one bytea column); what it
        # needs beyond that is what drawing keeps until the document is saved.
        print(f"{row.kind:<10} {row.item_count:6d} items  {elapsed:7.2f} s  {pdf_mb:6.2f} MB PDF  "
              f"RSS {before:6.1f} MB before, peak {peak_rss_mb():6.1f} MB: +{growth:5.1f} MB "
              f"({growth * 1000 / max(row.item_count, 1):.1f} KB an item; {growth / pdf_mb:.1f}x the PDF, "
              f"ceiling 1x); load average {os.getloadavg()[0]:.1f}", flush=True)


def seed(size: int):
    from flask_migrate import upgrade
    from sqlalchemy import insert, select

    from eventsapp.associations.models import Association, AssociationKind
    from eventsapp.contacts.models import Contact, contact_associations
    from eventsapp.events.models import Event
    from eventsapp.invitations.models import Invitation, InvitationStatus, new_token
    from eventsapp.text import fold, sort_key
    from eventsapp.timeutils import utcnow

    upgrade()
    association = Association(slug="bench-print", name_vi="Hội hữu nghị Việt Nam – Nhật Bản tỉnh Bắc Giang",
                              name_en="Bench", kind=AssociationKind.ASSOCIATION)
    event = Event(association=association, slug="bench-print", title_vi="Gặp mặt kiều bào Xuân Đinh Mùi",
                  starts_at=utcnow(), ends_at=utcnow())
    db.session.add_all([association, event])
    db.session.flush()
    names = ["Nguyễn Thị Ánh Tuyết", "Trần Quốc Đạt", "Lê Hoàng Cường", "Phạm Thu Hà", "Đỗ Minh Đức", "Vũ Ngọc Ửng"]
    now = utcnow()
    db.session.execute(insert(Contact), [
        {"full_name": f"{names[i % 6]} {i}", "email": f"k{i}@bench.vn", "country": "Việt Nam",
         "search_text": fold(names[i % 6]), "sort_key": sort_key(f"{names[i % 6]} {i}"), "feed_token": new_token(),
         "unsubscribe_token": new_token(), "created_at": now, "updated_at": now, "phone": "", "place": "",
         "timezone": "Asia/Ho_Chi_Minh", "language": "vi", "notes": ""} for i in range(size)])
    ids = db.session.scalars(select(Contact.id).order_by(Contact.id)).all()
    db.session.execute(insert(contact_associations), [{"contact_id": c, "association_id": association.id} for c in ids])
    db.session.execute(insert(Invitation), [
        {"event_id": event.id, "contact_id": cid, "token": new_token(), "checkin_token": new_token(),
         "status": InvitationStatus.ACCEPTED, "guests": 0, "comment": "", "is_honoree": False,
         "created_at": now, "updated_at": now} for cid in ids])
    db.session.commit()
    return event


def main(sizes: list[int]) -> None:
    app = create_app()
    print(f"database: {app.config['SQLALCHEMY_DATABASE_URI'].split(':')[0]}")
    from eventsapp.attendance.models import Printable

    for size in sizes:
        with app.app_context():
            db.drop_all()
            db.session.execute(db.text("DROP TABLE IF EXISTS alembic_version"))
            db.session.commit()
            event = seed(size)
            jobs = []
            for kind, options in (("badges", {"paper": "A4", "columns": 2, "rows": 5, "audience": "accepted"}),
                                  ("door_list", {"audience": "all"})):
                row = Printable(event_id=event.id, kind=kind, options={**options, "locale": "vi"})
                db.session.add(row)
                db.session.commit()
                jobs.append(row.id)
        for printable_id in jobs:
            subprocess.run([sys.executable, __file__, "--render", str(printable_id)], check=True, env=os.environ)


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--render":
        render_child(int(sys.argv[2]))
    else:
        main([int(a) for a in sys.argv[1:]] or [500, 2000])
