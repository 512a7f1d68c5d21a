"""Feeds benchmark: build time for 500/1,000/2,000 events, bytes served, and requests/s
for the stored feed, a 304 and a trivial route (a static file) on one gunicorn server.

Needs PostgreSQL on 127.0.0.1:5432 (a temporary database is created and dropped)
and Debian's `wrk`. Usage: .venv/bin/python bench/feeds_serve.py [--seconds 8]
"""
from __future__ import annotations

import argparse
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import time
import uuid
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
ADMIN_URL = os.environ.get("TEST_POSTGRES_ADMIN_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
SIZES = (500, 1000, 2000)
ZONES = ("Asia/Ho_Chi_Minh", "Asia/Ho_Chi_Minh", "Asia/Ho_Chi_Minh", "Europe/Prague", "Asia/Tokyo")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def seed(count: int, suffix: str):
    """An association with `count` events (public and invite-only, some cancelled, some all-day)."""
    from eventsapp.associations.models import Association, AssociationKind
    from eventsapp.events.models import Event, EventKind, EventStatus, Visibility
    from eventsapp.extensions import db

    association = Association(slug=f"bench-{suffix}", name_vi=f"Hội hữu nghị Việt Nam – Nhật Bản ({suffix})",
                              name_en=f"Vietnam – Japan friendship association ({suffix})",
                              kind=AssociationKind.ASSOCIATION, sender_email="hoi@example.vn")
    db.session.add(association)
    db.session.flush()
    kinds = list(EventKind)
    start = datetime(2026, 1, 5, 9, 0, tzinfo=ZoneInfo("Asia/Ho_Chi_Minh"))
    now = datetime.now(ZoneInfo("UTC"))
    rows = []
    for n in range(count):
        starts = start + timedelta(days=n // 3, hours=(n % 3) * 3)
        cancelled = n % 50 == 7
        rows.append(dict(
            association_id=association.id, slug=f"{suffix}-su-kien-{n}", uid=f"{suffix}-{n}@bench.eventsapp",
            sequence=n % 4, kind=kinds[n % len(kinds)], timezone=ZONES[n % len(ZONES)],
            title_vi=f"Gặp mặt hữu nghị kỷ niệm ngày thành lập lần thứ {n} – Đêm văn hóa Việt Nam",
            title_en=f"Friendship gathering {n}",
            description_vi=("Chương trình gồm phát biểu khai mạc, trao Bằng khen và Giấy khen, "
                            "biểu diễn áo dài và ẩm thực ba miền. Xin vui lòng đến trước 15 phút."),
            starts_at=starts, ends_at=starts + timedelta(hours=2, minutes=30), all_day=n % 40 == 3,
            venue_name="Nhà văn hóa Thanh niên", venue_address="4 Phạm Ngọc Thạch, Quận 1, TP Hồ Chí Minh",
            online_url="https://meet.example.vn/giao-luu" if n % 5 == 0 else "",
            visibility=Visibility.INVITE_ONLY if n % 10 == 9 else Visibility.PUBLIC,
            status=EventStatus.CANCELLED if cancelled else EventStatus.PUBLISHED,
            cancelled_at=now - timedelta(days=2) if cancelled else None,
            created_at=now - timedelta(days=60), updated_at=now - timedelta(days=1),
        ))
    db.session.execute(Event.__table__.insert(), [
        {**row, "kind": row["kind"].value, "visibility": row["visibility"].value, "status": row["status"].value,
         "max_guests": 0} for row in rows])
    db.session.commit()
    return association


def wrk(url: str, seconds: int, headers: dict[str, str] | None = None) -> dict:
    command = ["wrk", "-t2", "-c8", f"-d{seconds}s", "--latency"]
    for name, value in (headers or {}).items():
        command += ["-H", f"{name}: {value}"]
    output = subprocess.run(command + [url], capture_output=True, text=True, check=True).stdout
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))
    transfer = re.search(r"Transfer/sec:\s+([\d.]+\w+)", output).group(1)
    p50 = re.search(r"50%\s+([\d.]+\w+)", output).group(1)
    non2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", output)
    return {"rps": rate, "transfer": transfer, "p50": p50, "errors": int(non2xx.group(1)) if non2xx else 0}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=int, default=4, help="wrk duration per run")
    parser.add_argument("--rounds", type=int, default=3, help="rounds of interleaved runs")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        sys.exit("wrk is missing: apt-get install -y wrk")

    import psycopg

    name = f"eventsapp_bench_{uuid.uuid4().hex[:8]}"
    database_url = f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"
    with psycopg.connect(ADMIN_URL, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    server = None
    try:
        os.environ.update(EVENTSAPP_CONFIG="production", SECRET_KEY="bench-only", DATABASE_URL=database_url,
                          CELERY_BROKER_URL="memory://", MAIL_SERVER="127.0.0.1", FORCE_HTTPS="0",
                          EVENTSAPP_BASE_URL="http://127.0.0.1")
        from flask_migrate import upgrade

        from eventsapp import create_app
        from eventsapp.feeds import builder, services
        from eventsapp.feeds.models import FeedKind

        app = create_app()
        with app.app_context(), app.test_request_context():
            upgrade()
            print(f"feeds benchmark: PostgreSQL database {name}")
            print("\nbuild (median of 3 builds, in process; CPU time is less disturbed by other load than wall time):")
            print(f"  {'events':>7} {'in feed':>8} {'wall ms':>8} {'CPU ms':>8} {'CPU ms/event':>13} {'bytes':>10}")
            target = None
            for size in SIZES:
                association = seed(size, str(size))
                timings, cpu = [], []
                for _ in range(3):
                    clock, cpu_clock = time.perf_counter(), time.process_time()
                    built = builder.build(FeedKind.ASSOCIATION_PRIVATE, association.id)
                    timings.append((time.perf_counter() - clock) * 1000)
                    cpu.append((time.process_time() - cpu_clock) * 1000)
                wall, cpu_ms = statistics.median(timings), statistics.median(cpu)
                print(f"  {size:>7} {built.event_count:>8} {wall:>8.0f} {cpu_ms:>8.0f} "
                      f"{cpu_ms / built.event_count:>13.2f} {len(built.body):>10,}")
                target = association
            feed = services.ensure_built(FeedKind.ASSOCIATION_PRIVATE, target.id)
            body_bytes, etag, slug, token = len(feed.body), feed.etag, target.slug, target.private_feed_token
            public = services.ensure_built(FeedKind.ASSOCIATION, target.id)
            public_etag = public.etag
            from sqlalchemy import text

            from eventsapp.fastread import reader

            trips = []
            with reader(app).connect() as connection:
                for _ in range(200):
                    clock = time.perf_counter()
                    connection.execute(text("SELECT 1")).scalar()
                    trips.append((time.perf_counter() - clock) * 1000)
            print(f"\ndatabase round trip (SELECT 1, 200 times): median {statistics.median(trips):.2f} ms, "
                  f"p90 {statistics.quantiles(trips, n=10)[-1]:.2f} ms  (load average {os.getloadavg()[0]:.1f})")
            print(f"stored private feed of 2,000 events: {body_bytes:,} bytes ({feed.event_count} events); "
                  f"public feed: {len(public.body):,} bytes ({public.event_count} events)")

        port = free_port()
        server = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "--workers", "2", "--bind", f"127.0.0.1:{port}",
             "--log-level", "warning", "eventsapp:create_app()"],
            cwd=ROOT, env=os.environ.copy())
        base = f"http://127.0.0.1:{port}"
        feed_url = f"{base}/feeds/associations/{slug}.ics"
        private_url = f"{base}/feeds/associations/{slug}/private/{token}.ics"
        for _ in range(100):
            try:
                subprocess.run(["curl", "-sf", "-o", "/dev/null", feed_url], check=True, timeout=5)
                break
            except (subprocess.CalledProcessError, subprocess.TimeoutExpired):
                time.sleep(0.2)
        for _ in range(4):  # warm every worker's body cache
            for url in (feed_url, private_url):
                subprocess.run(["curl", "-sf", "-o", "/dev/null", url], check=False, timeout=10)

        print(f"\nserving on gunicorn (2 sync workers), wrk -t2 -c8 -d{args.seconds}s per run, {args.rounds} rounds "
              "with the routes interleaved (the machine is shared: medians):")
        routes = [
            ("trivial route (static file /static/favicon.svg)", f"{base}/static/favicon.svg", None),
            ("public feed, 200 (1,800 public events)", feed_url, None),
            ("public feed, 200 gzip (Accept-Encoding: gzip)", feed_url, {"Accept-Encoding": "gzip"}),
            ("public feed, 304 (If-None-Match)", feed_url, {"If-None-Match": f'"{public_etag}"'}),
            ("private feed, 200 (2,000 events, DB lookup)", private_url, None),
            ("private feed, 200 gzip (DB lookup)", private_url, {"Accept-Encoding": "gzip"}),
            ("private feed, 304 (DB lookup)", private_url, {"If-None-Match": f'"{etag}"'}),
        ]
        runs: dict[str, list[dict]] = {label: [] for label, _, _ in routes}
        ratios: dict[str, list[float]] = {label: [] for label, _, _ in routes[1:]}
        for _round in range(args.rounds):
            trivial_rates = []
            for label, url, headers in routes + [routes[0]]:  # the trivial route before and after each round
                result = wrk(url, args.seconds, headers)
                assert result["errors"] == 0, f"{label}: non-2xx/3xx answers"
                runs[label].append(result)
                if label == routes[0][0]:
                    trivial_rates.append(result["rps"])
            trivial = statistics.mean(trivial_rates)
            for label in ratios:
                ratios[label].append(runs[label][-1]["rps"] / trivial)
        print(f"  {'route':<48} {'req/s':>9} {'p50':>9} {'transfer/s':>11} {'÷ trivial':>10}")
        for label, _, _ in routes:
            rates = [r["rps"] for r in runs[label]]
            middle = sorted(runs[label], key=lambda r: r["rps"])[len(rates) // 2]
            ratio = f"{statistics.median(ratios[label]):.2f}" if label in ratios else "1.00"
            print(f"  {label:<48} {statistics.median(rates):>9.1f} {middle['p50']:>9} {middle['transfer']:>11} {ratio:>10}")
        print("\n  ÷ trivial: median over rounds of (route's rate / trivial route's rate in the same round); target ≥ 0.50")
    finally:
        if server is not None:
            server.terminate()
            server.wait(timeout=20)
        with psycopg.connect(ADMIN_URL, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


if __name__ == "__main__":
    main()
