"""Load the RSVP page with wrk against gunicorn on PostgreSQL, beside a trivial route.

    .venv/bin/python bench/rsvp_load.py [--invitations 2000] [--duration 12] [--rounds 3] [--connections 8] [--workers 4]

Creates a temporary PostgreSQL database (dropped at the end), migrates it, seeds one
event with N invitations, starts gunicorn (sync workers, 4 as in the README's production
example), then runs wrk on the same server, the three routes in turn, `--rounds` times (so that
a change of load on a shared machine weighs on all three alike):
  trivial  GET /static/favicon.svg        (a static file through the same Flask stack)
  rsvp-get GET /rsvp/<random valid token>
  rsvp-post POST /rsvp/<random valid token> an answer (random accepted/tentative/declined)
  floor    POST /bench/answer-floor/<token>: a bench-only route with the least any answer can cost on
           this stack (CSRF-checked form, one UPDATE and its commit, a flashed message, a redirect),
           served by the same gunicorn (see floor_app): the ceiling for the answer route
For the POST the script fetches one RSVP page first and reuses its session cookie and CSRF
token (Flask-WTF binds the token to the session, not to the form), so every POST is a real,
CSRF-checked answer: event row lock, seat count, outbox row, broker message after commit.
Prints requests/s and p99 latency for each, and the ratio to the trivial route.
Needs PostgreSQL on 127.0.0.1:5432 (user postgres), Redis on 127.0.0.1:6379, and wrk (Debian).
"""
from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

ADMIN_URL = os.environ.get("BENCH_POSTGRES_ADMIN_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/4")

LUA = r"""
tokens = {%(tokens)s}
mode = "%(mode)s"
cookie = "%(cookie)s"
csrf = "%(csrf)s"
answers = {"accepted", "tentative", "declined"}
request = function()
  if mode == "trivial" then
    return wrk.format("GET", "/static/favicon.svg")
  end
  local token = tokens[math.random(#tokens)]
  if mode == "get" then
    return wrk.format("GET", "/rsvp/" .. token)
  end
  local path = mode == "floor" and "/bench/answer-floor/" or "/rsvp/"
  local body = "csrf_token=" .. csrf .. "&status=" .. answers[math.random(3)] .. "&guests=0&comment="
  return wrk.format("POST", path .. token,
    {["Content-Type"] = "application/x-www-form-urlencoded", ["Cookie"] = cookie}, body)
end
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format('RESULT {"requests": %%d, "duration_us": %%d, "p50_us": %%d, "p99_us": %%d, "bad_status": %%d, "socket_errors": %%d}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99), e.status,
    e.connect + e.read + e.write + e.timeout))
end
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def create_database() -> tuple[str, str]:
    import psycopg

    name = f"eventsapp_bench_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    with psycopg.connect(ADMIN_URL, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    return name, f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"


def drop_database(name: str) -> None:
    import psycopg

    with psycopg.connect(ADMIN_URL, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def seed(env: dict, count: int) -> list[str]:
    """Migrate and create one event with `count` invitations; returns their tokens."""
    os.environ.update(env)
    from datetime import timedelta

    from flask_migrate import upgrade
    from sqlalchemy import insert, select

    from eventsapp import create_app
    from eventsapp.associations.models import Association, AssociationKind
    from eventsapp.contacts.models import Contact, contact_associations
    from eventsapp.events.models import Event, EventStatus
    from eventsapp.extensions import db
    from eventsapp.invitations import services
    from eventsapp.invitations.models import Invitation
    from eventsapp.timeutils import utcnow

    app = create_app("development")
    with app.app_context():
        upgrade()
        association = Association(slug="bench", name_vi="Hội hữu nghị Việt – Nhật (bench)", name_en="Bench",
                                  kind=AssociationKind.ASSOCIATION)
        db.session.add(association)
        now = utcnow()
        db.session.execute(insert(Contact), [
            {"full_name": f"Nguyễn Thị Thu Hương {n}", "email": f"bench{n}@example.vn", "search_text": "",
             "sort_key": "", "feed_token": f"feed{n}", "unsubscribe_token": f"unsub{n}", "created_at": now,
             "updated_at": now, "timezone": "Asia/Ho_Chi_Minh" if n % 3 else "Europe/Berlin",
             "language": "vi" if n % 4 else "en", "phone": "", "country": "", "place": "", "notes": ""}
            for n in range(count)])
        db.session.flush()
        ids = db.session.scalars(select(Contact.id)).all()
        db.session.execute(insert(contact_associations), [{"contact_id": i, "association_id": association.id} for i in ids])
        event = Event(association=association, slug="bench-event", title_vi="Gặp mặt kiều bào đón Tết Bính Ngọ",
                      title_en="Tết gathering", starts_at=now + timedelta(days=30),
                      ends_at=now + timedelta(days=30, hours=3), venue_name="Nhà văn hóa Hữu nghị",
                      venue_address="91 Trần Hưng Đạo, Hà Nội", capacity=count, max_guests=2,
                      status=EventStatus.PUBLISHED, description_vi="Chương trình văn nghệ và tiệc tất niên.")
        db.session.add(event)
        db.session.flush()
        services.add_invitees(event, services.Criteria(association_id=association.id), user=None)
        db.session.commit()
        return db.session.scalars(select(Invitation.token).where(Invitation.event_id == event.id)).all()


def wait_for(url: str, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(url, timeout=2).read()
            return
        except OSError:
            time.sleep(0.2)
    raise SystemExit(f"the server did not answer {url}")


def session_and_csrf(base: str, token: str) -> tuple[str, str]:
    response = urllib.request.urlopen(f"{base}/rsvp/{token}", timeout=10)
    cookie = response.headers.get("Set-Cookie", "").split(";")[0]
    match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', response.read().decode())
    if not cookie or not match:
        raise SystemExit("could not read the session cookie and CSRF token of the RSVP page")
    return cookie, match.group(1)


MODES = ("trivial", "get", "post", "floor")


def floor_app():
    """What gunicorn serves: eventsapp plus one bench-only route, the least any answer can cost here."""
    from flask import Blueprint, flash, redirect
    from sqlalchemy import text

    from eventsapp import create_app
    from eventsapp.extensions import db
    from eventsapp.invitations.forms import AnswerForm

    app = create_app()
    floor = Blueprint("bench_floor", __name__)

    @floor.post("/bench/answer-floor/<token>")
    def answer_floor(token: str):
        form = AnswerForm()
        if not form.validate_on_submit():
            return "", 400
        db.session.execute(text("UPDATE invitations SET comment = :comment WHERE token = :token"),
                           {"comment": form.status.data, "token": token})
        db.session.commit()
        flash("recorded", "success")
        return redirect(f"/rsvp/{token}", code=303)

    app.register_blueprint(floor)
    return app


def write_scripts(tokens: list[str], cookie: str, csrf: str, workdir: Path) -> dict[str, Path]:
    scripts = {}
    for mode in MODES:
        scripts[mode] = workdir / f"{mode}.lua"
        scripts[mode].write_text(LUA % {"tokens": ",".join(f'"{t}"' for t in tokens), "mode": mode, "cookie": cookie,
                                        "csrf": csrf})
    return scripts


def run_wrk(base: str, script: Path, seconds: int, connections: int) -> dict:
    command = ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--timeout", "5s", "-s", str(script), base]
    output = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    return json.loads(output.split("RESULT ", 1)[1].splitlines()[0])


def measure(base: str, scripts: dict[str, Path], args) -> dict[str, dict]:
    """Each route for `duration` seconds in all, in `rounds` interleaved slices, so that a change of load
    on a shared machine weighs on every route alike. p50 is the median of the slices' p50, p99 the highest
    of their p99."""
    for script in scripts.values():
        subprocess.run(["wrk", "-t1", "-c2", "-d2s", "-s", str(script), base], capture_output=True, check=True)  # warm-up
    slices = {mode: [] for mode in MODES}
    seconds = max(1, round(args.duration / args.rounds))
    for _ in range(args.rounds):
        for mode in MODES:
            slices[mode].append(run_wrk(base, scripts[mode], seconds, args.connections))
    results = {}
    for mode, runs in slices.items():
        requests, duration = sum(r["requests"] for r in runs), sum(r["duration_us"] for r in runs)
        results[mode] = {"rps": requests / (duration / 1e6), "p50_us": statistics.median(r["p50_us"] for r in runs),
                         "p99_us": max(r["p99_us"] for r in runs),
                         "errors": sum(r["bad_status"] + r["socket_errors"] for r in runs)}
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--invitations", type=int, default=2000)
    parser.add_argument("--duration", type=int, default=12, help="seconds per route, in all")
    parser.add_argument("--rounds", type=int, default=3, help="interleaved slices per route")
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--workers", type=int, default=4, help="gunicorn sync workers (the README's production example)")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is missing: apt-get install -y wrk")
    db_name, db_url = create_database()
    workdir = Path(tempfile.mkdtemp(prefix="rsvp-bench-"))
    env = {"EVENTSAPP_CONFIG": "development", "DATABASE_URL": db_url, "CELERY_BROKER_URL": REDIS_URL,
           "EVENTSAPP_INSTANCE_DIR": str(workdir), "SECRET_KEY": "bench-secret", "MAIL_OUTBOX_DIR": str(workdir / "outbox")}
    server = None
    try:
        tokens = seed(env, args.invitations)
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        server = subprocess.Popen(
            [str(ROOT / ".venv/bin/gunicorn"), "--workers", str(args.workers), "--bind", f"127.0.0.1:{port}", "--log-level", "warning",
             "--pythonpath", str(ROOT / "bench"), "rsvp_load:floor_app()"], cwd=ROOT, env={**os.environ, **env})
        wait_for(f"{base}/static/favicon.svg")
        cookie, csrf = session_and_csrf(base, tokens[0])
        load_before = os.getloadavg()[0]
        results = measure(base, write_scripts(tokens, cookie, csrf, workdir), args)
        print(f"load average (1 min) {load_before:.2f} before, {os.getloadavg()[0]:.2f} after the measurement")
        trivial = results["trivial"]["rps"]
        print(f"gunicorn {args.workers} sync workers, PostgreSQL, {len(tokens)} invitations, wrk 2 threads x {args.connections} "
              f"connections, {args.duration}s per route in {args.rounds} interleaved rounds")
        print(f"{'route':<38}{'req/s':>10}{'p50 ms':>10}{'p99 ms':>10}{'vs trivial':>12}{'bad':>6}")
        labels = {"trivial": "GET /static/favicon.svg (trivial)", "get": "GET /rsvp/<token>",
                  "post": "POST /rsvp/<token> (answer)", "floor": "POST answer floor (bench-only route)"}
        for mode, result in results.items():
            print(f"{labels[mode]:<38}{result['rps']:>10.0f}{result['p50_us'] / 1000:>10.1f}{result['p99_us'] / 1000:>10.1f}"
                  f"{result['rps'] / trivial:>11.0%}{result['errors']:>6}")
        ok = results["get"]["rps"] >= 0.4 * trivial and results["get"]["p99_us"] < 50_000
        print(f"target ({labels['get']}: >= 40% of trivial, p99 < 50 ms): {'met' if ok else 'NOT met'}")
        ratio = results["post"]["rps"] / results["floor"]["rps"]
        ok = ratio >= 0.5 and results["post"]["p99_us"] < 50_000
        print(f"target (answer: >= 50% of the answer floor, p99 < 50 ms): {ratio:.2f} of the floor, "
              f"p99 {results['post']['p99_us'] / 1000:.1f} ms: {'met' if ok else 'NOT met'}")
    finally:
        if server is not None:
            server.terminate()
            try:
                server.wait(timeout=60)
            except subprocess.TimeoutExpired:  # a loaded machine: the workers did not finish in time
                server.kill()
                server.wait()
        drop_database(db_name)
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
