"""Benchmark: 10,000 invitations through the outbox and two Celery workers, against the ceiling —
plain smtplib loops sending 10,000 pre-built messages of the same size, one connection and one
process per worker, to the same sink — on two sinks in the same run: aiosmtpd (Python; it is the bottleneck) and
Postfix's C `smtp-sink` (apt-get install postfix), which takes what one connection can send.

What is measured is the product's own path: the contacts of shared/data/contacts-10k.csv are
added to one event's invitee list, a worker makes their door QR codes (timed apart: the default
worker does it as soon as invitees are added; --no-prepare sends before, and the send makes them),
the organiser's "send" queues them, the workers render the real invitation (text, HTML, QR code,
iTIP calendar, invite.ics) and send it. The ceiling's messages are those same invitations,
rendered beforehand by the same code.

    .venv/bin/python bench/mail_send.py [--count 10000] [--redis-db 3] [--workers 2]
        [--sink both|aiosmtpd|smtp-sink] [--no-prepare] [--profile]

Needs PostgreSQL on 127.0.0.1:5432 (a temporary database is created and dropped) and
Redis on 127.0.0.1:6379 (the given database is flushed). The sinks run in their own processes
and only count. For each sink, eventsapp sends one event's invitations (workers started for
that sink) and the time runs from the send button until every outbox row is recorded `sent`.
Prints per sink: messages/s, the workers' CPU time and peak RSS, the ceiling and the ratio, with the
load average (the machine may be shared: compare ratios of one run, not figures of different runs).
"""
from __future__ import annotations

import argparse
import csv
import multiprocessing
import os
import signal
import smtplib
import subprocess
import sys
import time
import uuid
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
CONTACTS = ROOT.parent / "shared" / "data" / "contacts-10k.csv"  # ../shared beside the repository
ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/postgres"


# ---------------------------------------------------------------- the sink, in its own process

def run_sink(port: int, count, sizes, ready) -> None:
    import asyncio

    from aiosmtpd.controller import Controller

    class Handler:
        async def handle_DATA(self, server, session, envelope):
            with count.get_lock():
                count.value += 1
                sizes.value += len(envelope.original_content or envelope.content)
            return "250 OK"

    controller = Controller(Handler(), hostname="127.0.0.1", port=port, data_size_limit=50 * 1024 * 1024)
    controller.start()
    ready.set()
    signal.sigwait({signal.SIGTERM})
    controller.stop()
    del asyncio


def start_smtp_sink(port: int) -> subprocess.Popen:
    """Postfix's smtp-sink on 127.0.0.1:port (backlog 1000), discarding every message."""
    import socket

    process = subprocess.Popen(["smtp-sink", "-u", "nobody", f"127.0.0.1:{port}", "1000"],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    deadline = time.monotonic() + 30
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return process
        except OSError:
            if time.monotonic() > deadline or process.poll() is not None:
                raise SystemExit("smtp-sink did not start (apt-get install postfix)") from None
            time.sleep(0.05)


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# ---------------------------------------------------------------- workers

def peak_rss_kb(pid: int) -> int:
    """VmHWM of a process and its children (a prefork worker is a parent and its pool)."""
    total = 0
    pids = [pid]
    for task in Path(f"/proc/{pid}/task").glob("*/children"):
        pids += [int(p) for p in task.read_text().split()]
    for each in pids:
        try:
            for line in Path(f"/proc/{each}/status").read_text().splitlines():
                if line.startswith("VmHWM:"):
                    total += int(line.split()[1])
        except FileNotFoundError:
            pass
    return total


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process and its children so far (a prefork worker and its pool)."""
    ticks = os.sysconf("SC_CLK_TCK")
    pids = [pid] + [int(p) for task in Path(f"/proc/{pid}/task").glob("*/children") for p in task.read_text().split()]
    total = 0
    for each in pids:
        try:
            fields = Path(f"/proc/{each}/stat").read_text().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])  # utime, stime
        except FileNotFoundError:
            pass
    return total / ticks


def start_workers(n: int, env: dict, log_dir: Path) -> list[subprocess.Popen]:
    workers = []
    for i in range(n):
        log = open(log_dir / f"bench-mail-worker-{i}.log", "wb")
        workers.append(subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "celery_worker", "worker", "-Q", "mail", "-c", "1",
             "--loglevel=WARNING", "--without-gossip", "--without-mingle", "--without-heartbeat",
             "-n", f"bench-{i}-{uuid.uuid4().hex[:6]}@%h"],
            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True))
    return workers


def stop_workers(workers: list[subprocess.Popen]) -> None:
    for worker in workers:
        try:
            os.killpg(worker.pid, signal.SIGTERM)
            worker.wait(timeout=30)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            os.killpg(worker.pid, signal.SIGKILL)


def wait_workers_ready(app, n: int, timeout: float = 120) -> None:
    """Each worker answers a ping on the broker."""
    celery = app.extensions["celery"]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        replies = celery.control.ping(timeout=1.0) or []
        if len(replies) >= n:
            return
    raise SystemExit("the workers did not start; see bench-mail-worker-*.log")


# ---------------------------------------------------------------- data

def seed(app, contacts: Path, count: int, events: int = 2):
    from sqlalchemy import insert

    from eventsapp.associations.models import Association, AssociationKind
    from eventsapp.contacts.models import Contact
    from eventsapp.events.models import Event, EventStatus
    from eventsapp.extensions import db
    from eventsapp.timeutils import utcnow

    with contacts.open(encoding="utf-8") as handle:
        people = list(csv.DictReader(handle))[:count]
    association = Association(slug="viet-nhat", name_vi="Hội hữu nghị Việt Nam – Nhật Bản",
                              name_en="Vietnam–Japan Friendship Association", kind=AssociationKind.ASSOCIATION)
    db.session.add(association)
    db.session.flush()
    start = (utcnow() + timedelta(days=20)).replace(minute=0, second=0, microsecond=0)
    event = Event(association_id=association.id, slug="gap-mat-xuan", title_vi="Gặp mặt kiều bào Xuân Quê hương 2027",
                  title_en="Spring homeland gathering 2027", timezone="Asia/Ho_Chi_Minh", starts_at=start,
                  ends_at=start + timedelta(hours=3), venue_name="Nhà văn hóa tỉnh Bắc Giang",
                  venue_address="Đường Nguyễn Văn Cừ, TP Bắc Giang", status=EventStatus.PUBLISHED,
                  description_vi="Chương trình văn nghệ, gói bánh chưng và trao bằng khen.")
    db.session.add(event)
    db.session.flush()
    event_ids = [event.id]
    for n in range(2, events + 1):  # one event per sink, the same invitation
        copy = Event(**{c.key: getattr(event, c.key) for c in Event.__table__.columns
                        if c.key not in ("id", "slug", "uid")}, slug=f"gap-mat-xuan-{n}")
        db.session.add(copy)
        db.session.flush()
        event_ids.append(copy.id)
    db.session.execute(insert(Contact), [
        {"full_name": p["Họ và tên"], "email": p["Email"].strip().lower(), "country": p["Quốc gia"],
         "timezone": p["Múi giờ"] or "Asia/Ho_Chi_Minh", "language": p["Ngôn ngữ"] or "vi"} for p in people])
    db.session.commit()
    return event_ids, list(db.session.scalars(db.select(Contact.id).order_by(Contact.id)))


def invite(event_id: int, contact_ids: list[int]) -> float:
    """The organiser's step before sending: every contact on the event's invitee list (seconds)."""
    from eventsapp.events.models import Event
    from eventsapp.extensions import db
    from eventsapp.invitations.services import Criteria, add_invitees

    started = time.monotonic()
    result = add_invitees(db.session.get(Event, event_id), Criteria(contact_ids=contact_ids), user=None)
    db.session.commit()
    assert result.added == len(contact_ids), result.as_dict()
    return time.monotonic() - started


def prepare_codes(event_id: int) -> float:
    """What the default worker does after invitees are added: their door QR codes, made and stored (seconds)."""
    from eventsapp.invitations.checkin_codes import prepare_event

    started = time.monotonic()
    prepare_event(event_id)
    return time.monotonic() - started


def send(event_id: int) -> str:
    """What the organiser's "Send invitations" button does: queue every pending invitee (one commit)."""
    from eventsapp.extensions import db
    from eventsapp.invitations.services import send_invitations

    send_id, _ = send_invitations(event_id)
    db.session.commit()
    return send_id


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--contacts", type=Path, default=CONTACTS, help="the contacts CSV (default: %(default)s)")
    parser.add_argument("--count", type=int, default=10_000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--redis-db", type=int, default=int(os.environ.get("EVENTSAPP_TEST_REDIS_DB", "3")))
    parser.add_argument("--batch-size", type=int, default=200)
    parser.add_argument("--no-prepare", action="store_true",
                        help="press send right after adding the invitees, before a worker made their door QR codes "
                             "(the send makes them)")
    parser.add_argument("--sink", choices=("both", "aiosmtpd", "smtp-sink"), default="both",
                        help="which sink(s) to measure (default: both, in one run)")
    parser.add_argument("--profile", action="store_true",
                        help="no workers: run the dispatcher in this process under cProfile against smtp-sink "
                             "and print the top")
    args = parser.parse_args()
    if not args.contacts.exists():
        parser.error(f"no contacts file at {args.contacts} (shared/ beside the repository, or --contacts FILE)")

    import psycopg
    import redis

    name = f"eventsapp_bench_mail_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(ADMIN_URL, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    database_url = f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"
    broker_url = f"redis://127.0.0.1:6379/{args.redis_db}"
    redis.Redis.from_url(broker_url).flushdb()

    port = free_port()
    count, sizes, ready = multiprocessing.Value("q", 0), multiprocessing.Value("q", 0), multiprocessing.Event()
    sink = multiprocessing.Process(target=run_sink, args=(port, count, sizes, ready), daemon=True)
    sink.start()
    ready.wait(30)
    c_port = free_port()
    c_sink = start_smtp_sink(c_port)

    settings = {"EVENTSAPP_CONFIG": "testing", "TEST_DATABASE_URL": database_url, "TEST_BROKER_URL": broker_url,
                "MAIL_SERVER": "127.0.0.1", "MAIL_PORT": str(port), "MAIL_BATCH_SIZE": str(args.batch_size),
                "EVENTSAPP_BASE_URL": "https://events.example.vn"}
    os.environ.update(settings)
    from flask_migrate import upgrade

    from config import TestingConfig
    from eventsapp import create_app

    app = create_app(TestingConfig, SQLALCHEMY_DATABASE_URI=database_url, CELERY_BROKER_URL=broker_url,
                     MAIL_SERVER="127.0.0.1", MAIL_PORT=port, BASE_URL="https://events.example.vn")
    log_dir = ROOT / "bench" / "results"
    log_dir.mkdir(exist_ok=True)
    workers: list[subprocess.Popen] = []
    load_before = os.getloadavg()
    try:
        with app.app_context():
            upgrade()
            event_ids, contact_ids = seed(app, args.contacts, args.count)
            if args.profile:
                app.config["MAIL_PORT"] = c_port  # the C sink: what is left is eventsapp's own time
                report = profile(app, event_ids[0], contact_ids, prepare=not args.no_prepare)
            else:
                sinks = [("aiosmtpd (Python)", port, event_ids[0]), ("smtp-sink (Postfix, C)", c_port, event_ids[1])]
                sinks = [s for s in sinks if args.sink == "both" or s[0].startswith(args.sink)]
                lines = []
                for label, sink_port, event_id in sinks:
                    workers = start_workers(args.workers, {**os.environ, **settings, "MAIL_PORT": str(sink_port)},
                                            log_dir)
                    wait_workers_ready(app, args.workers)
                    lines += run(app, label, sink_port, event_id, contact_ids, count, sizes, workers,
                                 prepare=not args.no_prepare)
                    stop_workers(workers)
                    workers = []
                load = f"load average {load_before[0]:.1f} at the start, {os.getloadavg()[0]:.1f} at the end"
                report = "\n".join([
                    f"mail send benchmark: {len(contact_ids)} invitations per sink, {args.workers} worker processes "
                    f"(-Q mail -c 1), PostgreSQL + Redis; {load} ({os.cpu_count()} CPUs)", *lines])
    finally:
        stop_workers(workers)
        sink.terminate()
        if c_sink is not None:
            os.killpg(c_sink.pid, signal.SIGTERM)
        with psycopg.connect(ADMIN_URL, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    print(report)


def profile(app, event_id: int, contact_ids: list[int], prepare: bool = True) -> str:
    import cProfile
    import io
    import pstats

    from eventsapp.mail import sender

    invite(event_id, contact_ids)
    if prepare:
        prepare_codes(event_id)
    send(event_id)
    profiler = cProfile.Profile()
    started = time.monotonic()
    profiler.enable()
    totals = sender.dispatch()
    profiler.disable()
    seconds = time.monotonic() - started
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out)
    stats.sort_stats("cumulative").print_stats(45)
    stats.sort_stats("tottime").print_stats(30)
    return f"{totals} in {seconds:.2f} s ({totals['sent'] / seconds:.0f}/s, one process, profiled)\n{out.getvalue()}"


def prebuilt_messages(app, event_id: int) -> list[tuple[str, bytes]]:
    """The messages eventsapp sent, rebuilt by its own renderer, as bytes ready for the ceiling's loop."""
    from sqlalchemy import select

    from eventsapp.extensions import db
    from eventsapp.mail.models import OutboxMessage
    from eventsapp.mail.sender import Recorder, render_batch

    ids = list(db.session.scalars(select(OutboxMessage.id).where(OutboxMessage.event_id == event_id)
                                  .order_by(OutboxMessage.id)))
    built = []
    for first in range(0, len(ids), 500):
        for item in render_batch(ids[first:first + 500], Recorder()):
            built.append((item.email.addresses("To")[0], bytes(item.email)))
    return built


_prebuilt: list[tuple[str, bytes]] = []


def wait_sent(event_id: int, n: int, timeout: float = 1800) -> float:
    """Poll until the event's n outbox rows are recorded `sent`; returns that moment."""
    from sqlalchemy import func, select

    from eventsapp.extensions import db
    from eventsapp.mail.models import MessageState, OutboxMessage

    deadline = time.monotonic() + timeout
    query = select(func.count()).where(OutboxMessage.event_id == event_id, OutboxMessage.state == MessageState.SENT)
    while db.session.scalar(query) < n:
        db.session.rollback()
        if time.monotonic() > deadline:
            raise SystemExit(f"timed out: {db.session.scalar(query)} of {n} sent")
        time.sleep(0.1)  # the count reads every row of the event: a finer poll would take the workers' CPU
    return time.monotonic()


def smtplib_loop(share: str, sender: str, port: int) -> None:
    """In a child: load this connection's messages, say so, wait for the start, send them all."""
    import pickle

    with open(share, "rb") as handle:
        messages = pickle.load(handle)
    print("ready", flush=True)
    sys.stdin.readline()
    with smtplib.SMTP("127.0.0.1", port) as smtp:
        for recipient, data in messages:
            smtp.sendmail(sender, [recipient], data)


def ceiling(sender: str, port: int, connections: int) -> float:
    """The pre-built messages through `connections` smtplib loops at once, each in a fresh process of its
    own (as many as eventsapp's workers) with its share loaded before the start: the seconds until the
    last one is done."""
    import pickle
    import tempfile

    loops = []
    with tempfile.TemporaryDirectory() as folder:
        for n in range(connections):
            share = Path(folder) / f"share-{n}.pickle"
            share.write_bytes(pickle.dumps(_prebuilt[n::connections]))
            loops.append(subprocess.Popen([sys.executable, __file__, "--ceiling-loop", str(share), sender, str(port)],
                                          stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True))
        for loop in loops:
            if loop.stdout.readline().strip() != "ready":
                raise SystemExit("the ceiling's smtplib loop did not start")
        started = time.monotonic()
        for loop in loops:
            loop.stdin.write("go\n")
            loop.stdin.flush()
        for loop in loops:
            if loop.wait() != 0:
                raise SystemExit("the ceiling's smtplib loop failed")
    return time.monotonic() - started


def run(app, label: str, port: int, event_id: int, contact_ids: list[int], count, sizes, workers,
        prepare: bool = True) -> list[str]:
    """One sink: eventsapp's send of one event, then the ceiling's smtplib loop to the same sink."""
    from sqlalchemy import func, select

    from eventsapp.extensions import db
    from eventsapp.mail.models import OutboxMessage

    n = len(contact_ids)
    invite_seconds = invite(event_id, contact_ids)
    prepare_seconds = prepare_codes(event_id) if prepare else None
    with count.get_lock():
        count.value, sizes.value = 0, 0
    # --- eventsapp: the send button (one transaction); the dispatcher is woken after commit
    cpu_before = sum(cpu_seconds(w.pid) for w in workers)
    started = time.monotonic()
    send(event_id)
    queue_seconds = time.monotonic() - started
    app_seconds = wait_sent(event_id, n) - started
    worker_cpu = sum(cpu_seconds(w.pid) for w in workers) - cpu_before
    rss = [peak_rss_kb(w.pid) for w in workers]
    states = dict(db.session.execute(select(OutboxMessage.state, func.count())
                                     .where(OutboxMessage.event_id == event_id).group_by(OutboxMessage.state)).all())
    size = f"{sizes.value / n / 1024:.1f} KB average as received" if sizes.value else "(this sink does not count bytes)"

    # --- the ceiling: the same messages, pre-built (the first event's), one smtplib connection per worker
    if not _prebuilt:
        _prebuilt.extend(prebuilt_messages(app, event_id))
    ceiling_seconds = ceiling(app.config["MAIL_DEFAULT_SENDER"], port, len(workers))

    return [
        f"-- {label}",
        f"  message size           {size}; ceiling's {sum(len(d) for _, d in _prebuilt) / n / 1024:.1f} KB as sent",
        f"  invitee list           {invite_seconds:.2f} s to add {n} invitees",
        (f"  door QR codes          {prepare_seconds:.2f} s on one process, before the send (as the default worker "
         "makes them after invitees are added)" if prepare else
         "  door QR codes          made by the send (it started before a worker had made them)"),
        f"  queue (send button)    {queue_seconds:.2f} s",
        f"  eventsapp, all sent    {app_seconds:.2f} s   {n / app_seconds:.0f} messages/s",
        "  outbox states          " + ", ".join(f"{getattr(k, 'value', k)}={v}" for k, v in states.items()),
        f"  workers' CPU time      {worker_cpu:.2f} s   {worker_cpu / n * 1000:.2f} ms a message",
        f"  worker peak RSS        {', '.join(f'{kb / 1024:.0f} MB' for kb in rss)} (main + pool process each)",
        f"  ceiling ({len(workers)} smtplib loops at once, one connection each) {ceiling_seconds:.2f} s   "
        f"{n / ceiling_seconds:.0f} messages/s",
        f"  ratio                  {app_seconds / ceiling_seconds:.2f}x the ceiling (goal: at most 1.5x); "
        f"load average {os.getloadavg()[0]:.1f}",
    ]


if __name__ == "__main__":
    if sys.argv[1:2] == ["--ceiling-loop"]:
        smtplib_loop(sys.argv[2], sys.argv[3], int(sys.argv[4]))
    else:
        main()
