"""Bench: the door and the reports on a large event (10,000 invitees), on SQLite, DATABASE_URL, or a
temporary PostgreSQL database (--postgres, dropped at the end).

Prints: check-ins per second through the service (each committed), counter and search
latency at the door, and the time to build the event report and the CSV/XLSX exports; then the door's
kept list as 5 phones fetch it (`door.json` through the whole Flask stack, each phone signed in), each
figure beside its ceiling (issue 25): the list built from the database, the 304 of an unchanged list,
the delta after a change, and what five phones move in four hours.
Run: .venv/bin/python bench/attendance_door.py [invitees] [--phones 5] [--postgres] [--compare-with REV]
(--compare-with times the list's build as at a git revision beside this one, interleaved, same load.)
"""
from __future__ import annotations

import argparse
import gc
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


def main(size: int, phones: int, database_url: str | None = None, compare_with=()) -> None:
    app = create_app(**({"SQLALCHEMY_DATABASE_URI": database_url} if database_url else {}))
    with app.app_context():
        from flask_migrate import upgrade
        from sqlalchemy import insert, select, text

        from eventsapp.associations.models import Association, AssociationKind
        from eventsapp.attendance import reports, services
        from eventsapp.auth.models import User
        from eventsapp.contacts.models import Contact, contact_associations
        from eventsapp.events.models import Event
        from eventsapp.invitations.models import Invitation, InvitationStatus, new_token
        from eventsapp.text import fold, sort_key
        from eventsapp.timeutils import utcnow

        upgrade()
        association = Association(slug="bench", name_vi="Hội thử", name_en="Bench", kind=AssociationKind.ASSOCIATION)
        user = User(email="door@bench.vn", name="Cửa", password_hash="x", is_admin=True)
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
        db.session.execute(insert(contact_associations), [
            {"contact_id": cid, "association_id": association.id} for cid in ids])
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
        db.session.execute(text("ANALYZE"))  # as autovacuum does after the arrivals above
        db.session.commit()
        event_id, user_id = event.id, user.id
        db.session.expunge_all()  # a web worker's heap: not the 10,000 objects the sections above loaded
        gc.collect()
        door_list(app, db.session.get(Event, event_id), db.session.get(User, user_id), phones, compare_with)


def _ms(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))] * 1000


def _line(label: str, value: str, ceiling: str) -> None:
    print(f"  {label:<52} {value:>14}   ceiling {ceiling}")


BUILDS = 20


def _backends_cpu(database: str) -> float:
    """CPU seconds used so far by the local PostgreSQL processes serving `database` (Linux; 0 elsewhere)."""
    total = 0
    try:
        pids = [pid for pid in os.listdir("/proc") if pid.isdigit()]
    except OSError:
        return 0.0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as command:
                if f" {database} ".encode() not in command.read().replace(b"\0", b" ") + b" ":
                    continue
            with open(f"/proc/{pid}/stat") as stat:
                fields = stat.read().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])  # utime + stime, in clock ticks
        except OSError:
            continue
    return total / os.sysconf("SC_CLK_TCK")


def _doorlist_at(revision: str):
    """eventsapp/attendance/doorlist.py as it was at git `revision`, to time beside this one in the same run."""
    import importlib.util
    import subprocess

    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    source = subprocess.run(["git", "show", f"{revision}:eventsapp/attendance/doorlist.py"], cwd=root,
                            check=True, capture_output=True, text=True).stdout
    path = os.path.join(os.environ["EVENTSAPP_INSTANCE_DIR"], f"doorlist_{revision}.py")
    with open(path, "w") as out:
        out.write(source)
    name = f"eventsapp.attendance.doorlist_{revision.replace('-', '_')}"
    spec = importlib.util.spec_from_file_location(name, path)
    module = sys.modules[name] = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def door_list(app, event, user, phones: int, compare_with=()) -> None:
    """The door's kept list as `phones` phones fetch it, each figure beside its ceiling (issue 25)."""
    import gzip

    from flask import g

    from eventsapp.attendance import doorlist, services
    from eventsapp.invitations.models import Invitation

    print(f"\nthe door's kept list: {phones} phones, load average {' '.join(f'{n:.2f}' for n in os.getloadavg())} "
          f"on {os.cpu_count()} cores")
    doorlist.forget_all()
    builders = [("", doorlist)] + [(f" ({revision})", _doorlist_at(revision)) for revision in compare_with]
    builds, lists = {label: [] for label, _ in builders}, {}
    cpu = {label: [0.0, 0.0] for label, _ in builders}
    database = db.engine.url.database
    for _ in range(BUILDS):  # interleaved, so that the load is the same for each
        for label, module in builders:
            python, postgres = time.process_time(), _backends_cpu(database)
            start = time.perf_counter()
            _, lists[label] = module.read_consistent(event, module.period())
            builds[label].append(time.perf_counter() - start)
            cpu[label][0] += time.process_time() - python
            cpu[label][1] += _backends_cpu(database) - postgres
    built = lists[""]
    for label, other in lists.items():
        assert (other.rows, other.order) == (built.rows, built.order), f"the list built{label} differs"
    for label, times in builds.items():
        _line(f"full list of {len(built.order)} built{label} (p50 / p95 of {BUILDS})",
              f"{_ms(times, 0.5):.1f} / {_ms(times, 0.95):.1f} ms", "150 ms")
        if database and _backends_cpu(database):  # the CPU it takes, whatever else the machine runs
            python, postgres = (total / BUILDS * 1000 for total in cpu[label])
            _line(f"  CPU per build{label}: Python + PostgreSQL", f"{python:.0f} + {postgres:.0f} ms", "")
    snapshot = doorlist.lineage(event.id).current(event, doorlist.fingerprint(event, doorlist.period()),
                                                   doorlist.period())
    start = time.perf_counter()
    packed = gzip.compress(snapshot.body, compresslevel=1)
    gzip_ms = (time.perf_counter() - start) * 1000
    _line(f"full list, JSON / gzipped ({gzip_ms:.0f} ms to gzip, once per version)",
          f"{len(snapshot.body) / 1e6:.2f} / {len(packed) / 1e6:.2f} MB", "3.5 MB, not gzipped, before")

    url = f"/events/{event.id}/checkin/door.json"
    clients = []
    for _ in range(phones):
        client = app.test_client()
        with client.session_transaction() as session:
            session["_user_id"] = user.get_id()
            session["_fresh"] = True
        clients.append(client)

    def fetch(client, held=None):
        g.pop("_login_user", None)
        headers = {"Accept": "application/json", "Accept-Encoding": "gzip"}
        if held:
            headers["If-None-Match"] = f'"{held}"'
        start = time.perf_counter()
        response = client.get(url, headers=headers)
        elapsed = time.perf_counter() - start
        assert response.status_code in (200, 304), response.status_code
        return response, elapsed

    held, first_bytes = {}, 0
    for n, client in enumerate(clients):
        response, _ = fetch(client)
        held[n] = response.headers["ETag"].strip('"')
        first_bytes += len(response.get_data())
    unchanged = []
    for _ in range(40):
        for n, client in enumerate(clients):
            response, elapsed = fetch(client, held[n])
            assert response.status_code == 304 and response.get_data() == b""
            unchanged.append(elapsed)
    _line("unchanged list: 304, no body (p50 / p95 per poll)",
          f"{_ms(unchanged, 0.5):.1f} / {_ms(unchanged, 0.95):.1f} ms", "10 ms")

    tokens = db.session.scalars(select_open_tokens(event, Invitation)).all()
    first_after, others_after, delta_bytes = [], [], []
    for token in tokens[:20]:
        services.check_in_by_token(event, token, by=user)  # one arrival between two polls
        db.session.commit()
        for n, client in enumerate(clients):
            response, elapsed = fetch(client, held[n])
            held[n] = response.headers["ETag"].strip('"')
            (first_after if n == 0 else others_after).append(elapsed)
            delta_bytes.append(len(response.get_data()))
    _line("after one change, first phone (rebuilds; p50 / p95)",
          f"{_ms(first_after, 0.5):.1f} / {_ms(first_after, 0.95):.1f} ms", "150 ms")
    _line("after one change, other phones (p50 / p95)",
          f"{_ms(others_after, 0.5):.1f} / {_ms(others_after, 0.95):.1f} ms", "10 ms")
    mean_delta = sum(delta_bytes) / len(delta_bytes)
    _line("after one change, body per phone (delta)", f"{mean_delta / 1e3:.2f} kB",
          f"{len(packed) / 1e3:.0f} kB (whole list gzipped)")

    # Five phones for four hours: a poll every 30 s, and another 2 s after each online scan (one scan
    # every 5 s per phone), every poll after a change (the worst case).
    polls = phones * (4 * 3600 // 30 + 4 * 3600 // 5)
    moved = polls * mean_delta + first_bytes
    worker = polls / phones * (sum(first_after) / len(first_after) + (phones - 1) * sum(others_after) / len(others_after))
    _line(f"{phones} phones x 4 h, a change before every poll: moved", f"{moved / 1e6:.1f} MB", "8.5 GB before")
    _line(f"{phones} phones x 4 h, a change before every poll: web worker", f"{worker / 60:.1f} min",
          "50 min before (timer alone)")


def select_open_tokens(event, Invitation):
    """Check-in codes of invitees not checked in yet."""
    from sqlalchemy import select

    from eventsapp.attendance.models import CheckIn

    came = select(CheckIn.contact_id).where(CheckIn.event_id == event.id, CheckIn.undone_at.is_(None))
    return select(Invitation.checkin_token).where(Invitation.event_id == event.id,
                                                  Invitation.contact_id.not_in(came)).limit(50)


def _temporary_postgres():
    """A fresh PostgreSQL database for this run; its URL, and a function that drops it."""
    import uuid

    import psycopg

    admin_url = os.environ.get("BENCH_POSTGRES_ADMIN_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
    name = f"bench_door_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(admin_url, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')

    def drop():
        with psycopg.connect(admin_url, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    return f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}", drop


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("invitees", nargs="?", type=int, default=10_000)
    parser.add_argument("--phones", type=int, default=5)
    parser.add_argument("--postgres", action="store_true", help="a temporary PostgreSQL database")
    parser.add_argument("--compare-with", action="append", default=[], metavar="REVISION",
                        help="also time the door list's build as at this git revision, in the same run")
    arguments = parser.parse_args()
    url, drop = _temporary_postgres() if arguments.postgres else (None, None)
    try:
        main(arguments.invitees, arguments.phones, url, arguments.compare_with)
    finally:
        if drop:
            drop()
