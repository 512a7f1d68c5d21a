"""What the mail loop costs: storing and processing calendar answers, and DKIM-signing an invitation.

    .venv/bin/python bench/inbound_replies.py [N]                   # a scratch SQLite file
    BENCH_DATABASE_URL=postgresql+psycopg://…/scratch .venv/bin/python bench/inbound_replies.py 500

N Gmail-style iTIP REPLYs (accepted) for N invitees of one event with a capacity: each is stored
(`inbound.services.store`, one commit each, as the IMAP poll and `flask mail receive` do) and then
processed (`services.process`: parse, match, the RSVP answer under the event lock, the confirmation
queued). Then the DKIM signature of a 17 KB message (the size of an invitation with its QR code and
calendar) with 1024- and 2048-bit keys. Writes to the database it is given: use a scratch one.
"""
from __future__ import annotations

import os
import statistics
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from config import TestingConfig  # noqa: E402
from eventsapp import create_app  # noqa: E402
from eventsapp.extensions import db  # noqa: E402
from eventsapp.timeutils import utcnow  # noqa: E402


def main(count: int) -> None:
    url = os.environ.get("BENCH_DATABASE_URL") or f"sqlite:///{tempfile.mkdtemp()}/bench.sqlite3"
    app = create_app(TestingConfig, SQLALCHEMY_DATABASE_URI=url, CELERY_BROKER_URL="memory://",
                     MAIL_REPLY_ADDRESS="rsvp@bench.example.vn", MAIL_TRUSTED_AUTHSERV_IDS="mx.eventsapp.test")
    with app.app_context():
        from flask_migrate import upgrade

        from eventsapp.associations.models import Association, AssociationKind
        from eventsapp.contacts.models import Contact
        from eventsapp.events.models import Event
        from eventsapp.inbound import services
        from eventsapp.inbound.models import InboundState
        from eventsapp.invitations.models import Invitation, InvitationStatus
        from tests import inbound_support as mails

        upgrade()
        stamp = int(time.time())
        association = Association(kind=AssociationKind.ASSOCIATION, slug=f"bench-{stamp}", name_vi="Hội thử",
                                  name_en="Bench")
        event = Event(association=association, slug=f"bench-{stamp}", title_vi="Gặp mặt kiều bào đón Tết",
                      starts_at=utcnow() + timedelta(days=30), ends_at=utcnow() + timedelta(days=30, hours=3),
                      capacity=count // 2)
        contacts = [Contact(full_name=f"Khách {n}", email=f"khach{n}.{stamp}@example.vn") for n in range(count)]
        db.session.add_all([event, *contacts])
        db.session.flush()
        db.session.add_all([Invitation(event_id=event.id, contact_id=c.id) for c in contacts])
        db.session.commit()
        request = mails.Request(event.uid, event.sequence, "Gặp mặt kiều bào đón Tết", "mailto:rsvp@bench.example.vn",
                                event.starts_at.strftime("%Y%m%dT%H%M%SZ"), "", "<bench@x>")
        # As our receiving server hands them on: its Authentication-Results authenticate each sender.
        replies = [mails.as_received(mails.gmail_reply(request, c.email)) for c in contacts]

        store_times, ids = [], []
        for raw in replies:
            start = time.perf_counter()
            ids.append(services.store(raw, "pipe")[0])
            db.session.commit()
            store_times.append(time.perf_counter() - start)
        process_times = []
        for inbound_id in ids:
            start = time.perf_counter()
            row = services.process(inbound_id)
            process_times.append(time.perf_counter() - start)
            assert row.state == InboundState.DONE, row.outcome
        accepted = db.session.query(Invitation).filter_by(event_id=event.id, status=InvitationStatus.ACCEPTED).count()
        waitlisted = db.session.query(Invitation).filter_by(event_id=event.id, status=InvitationStatus.WAITLISTED).count()
        print(f"database: {db.engine.dialect.name}; {count} REPLYs of {len(replies[0]):,} bytes")
        for name, times in (("store", store_times), ("process", process_times)):
            print(f"  {name:8s} median {statistics.median(times) * 1000:6.2f} ms, "
                  f"p95 {sorted(times)[int(len(times) * 0.95) - 1] * 1000:6.2f} ms, "
                  f"{len(times) / sum(times):7.1f} messages/s")
        print(f"  accepted {accepted}, waitlisted {waitlisted} (capacity {event.capacity})")

        from eventsapp.mail.signing import generate_key, signer

        message = mails.plain_mail("hoi@bench.example.vn", "khach@example.vn", "Thư mời", "x" * 17_000)
        for bits in (1024, 2048):
            path = Path(tempfile.mkdtemp()) / "dkim.pem"
            generate_key(str(path), bits)
            app.config.update(DKIM_DOMAIN="bench.example.vn", DKIM_SELECTOR="b", DKIM_PRIVATE_KEY=str(path))
            sign = signer()
            sign(message)
            start = time.perf_counter()
            rounds = 200
            for _ in range(rounds):
                sign(message)
            print(f"DKIM sign, {bits}-bit key, {len(message):,}-byte message: "
                  f"{(time.perf_counter() - start) / rounds * 1000:.2f} ms")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 200)
