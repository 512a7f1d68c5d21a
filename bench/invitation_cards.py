"""Bench: printed invitation cards (A5, two to an A4 sheet) and address labels, as the worker makes them
(`attendance.render_printable`).

Seeds an event with invitees (SQLite in a temporary folder, or DATABASE_URL) by bench/printables_badges.py's
seed, gives them a form of address, a position and a postal address, then renders the cards and the labels,
each in a fresh child process, and prints the time, the PDF size and the child's peak RSS (before rendering,
and the peak during it). Goal: 300 cards in under 10 s, memory near the PDF's own size.
Run: .venv/bin/python bench/invitation_cards.py [sizes…]   (default: 300)
"""
from __future__ import annotations

import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import printables_badges as badges_bench  # noqa: E402  (sets the instance folder and sys.path too)

from eventsapp import create_app  # noqa: E402
from eventsapp.extensions import db  # noqa: E402


def main(sizes: list[int]) -> None:
    app = create_app()
    print(f"database: {app.config['SQLALCHEMY_DATABASE_URI'].split(':')[0]}")
    from sqlalchemy import update

    from eventsapp.attendance.models import Printable
    from eventsapp.contacts.models import Contact

    for size in sizes:
        with app.app_context():
            db.drop_all()
            db.session.execute(db.text("DROP TABLE IF EXISTS alembic_version"))
            db.session.commit()
            event = badges_bench.seed(size)
            event.venue_name, event.venue_address = "Nhà văn hóa tỉnh Bắc Giang", "Đường Nguyễn Văn Cừ, TP Bắc Giang"
            event.rsvp_deadline = event.starts_at
            db.session.execute(update(Contact).values(
                honorific="Đồng chí", position="Phó Chủ tịch Hội hữu nghị Việt Nam – Nhật Bản tỉnh",
                postal_address="Số 12 phố Hoàng Văn Thụ\nPhường Ngô Quyền, TP Bắc Giang"))
            db.session.commit()
            jobs = []
            for kind in ("invitation_cards", "address_labels"):
                row = Printable(event_id=event.id, kind=kind, options={"audience": "all", "locale": "vi"})
                db.session.add(row)
                db.session.commit()
                jobs.append(row.id)
        for printable_id in jobs:
            subprocess.run([sys.executable, badges_bench.__file__, "--render", str(printable_id)], check=True,
                           env=os.environ)


if __name__ == "__main__":
    main([int(a) for a in sys.argv[1:]] or [300])
