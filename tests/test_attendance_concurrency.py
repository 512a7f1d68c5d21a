"""Two door phones syncing the same person at the same instant (the hall's Wi-Fi returns for everyone at
once), against gunicorn started here: real concurrent requests from threads, not one after the other.

Whatever the order in which the requests reach the database, exactly one check-in stays, dated at the
earliest time either phone recorded and credited to that phone's staff member; neither phone hears
"error".
"""
from __future__ import annotations

import functools
import json
import os
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from http.cookiejar import CookieJar
from pathlib import Path

import pytest
from sqlalchemy import select

from eventsapp.associations.models import Role
from eventsapp.attendance.models import CheckIn
from eventsapp.timeutils import utcnow
from tests.attendance_factories import door, invite
from tests.conftest import csrf_token_from
from tests.factories import PASSWORD, staff
from tests.support import services

ROOT = Path(__file__).resolve().parent.parent


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def gunicorn_server(database_url, tmp_path_factory):
    """The app under gunicorn (two processes, four threads each), as the Procfile runs it."""
    port = _free_port()
    env = {**os.environ, "EVENTSAPP_CONFIG": "testing", "TEST_DATABASE_URL": database_url,
           "TEST_BROKER_URL": services.REDIS_URL, "MAIL_OUTBOX_DIR": str(tmp_path_factory.mktemp("gunicorn-outbox")),
           "EVENTSAPP_INSTANCE_DIR": str(tmp_path_factory.mktemp("gunicorn-instance"))}
    process = subprocess.Popen(
        [str(Path(sys.executable).parent / "gunicorn"), "--bind", f"127.0.0.1:{port}", "--workers", "2",
         "--threads", "4", "eventsapp:create_app()"], cwd=ROOT, env=env,
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            urllib.request.urlopen(f"{base}/login", timeout=5).read()
            break
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                pytest.fail(f"gunicorn did not start: {process.stderr.read().decode()[-2000:]}")
            time.sleep(0.2)
    yield base
    process.terminate()
    process.wait(timeout=30)


class Phone:
    """A door phone: a staff member signed in over HTTP, with the CSRF token of the door page."""

    def __init__(self, base: str, email: str, event_id: int):
        self.base, self.event_id = base, event_id
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(CookieJar()))
        token = csrf_token_from(self.opener.open(f"{base}/login", timeout=60).read().decode())
        body = urllib.parse.urlencode({"csrf_token": token, "email": email, "password": PASSWORD}).encode()
        self.opener.open(urllib.request.Request(f"{base}/login", data=body), timeout=60).read()
        page = self.opener.open(f"{base}/events/{event_id}/checkin", timeout=60).read().decode()
        self.csrf = csrf_token_from(page)

    def sync(self, ops: list[dict]) -> tuple[int, dict]:
        request = urllib.request.Request(
            f"{self.base}/events/{self.event_id}/checkin/sync", data=json.dumps({"ops": ops}).encode(),
            headers={"Content-Type": "application/json", "Accept": "application/json", "X-CSRFToken": self.csrf})
        try:
            with self.opener.open(request, timeout=120) as response:
                return response.status, json.loads(response.read())
        except urllib.error.HTTPError as error:
            return error.code, {"body": error.read().decode()[:500]}


def _at(minutes_ago: float) -> str:
    return (utcnow() - timedelta(minutes=minutes_ago)).isoformat()


def _all_at_once(calls):
    """Run the calls in threads released together by a barrier; their results in order."""
    barrier = threading.Barrier(len(calls))

    def run(call):
        barrier.wait()
        return call()

    with ThreadPoolExecutor(max_workers=len(calls)) as pool:
        return list(pool.map(run, calls))


def test_two_phones_syncing_the_same_people_at_once_keep_one_check_in_at_the_earliest_time(
        gunicorn_server, db):
    event, first = door(title_vi="Gặp mặt kiều bào")
    second = staff(event.association, Role.CHECKIN, email="cong2@example.vn", name="Lý Thị Bích")
    rounds = 30
    people = [invite(event, full_name=f"Khách số {n}").contact_id for n in range(2 * rounds)]
    phone_a = Phone(gunicorn_server, first.email, event.id)
    phone_b = Phone(gunicorn_server, second.email, event.id)
    expected = {}
    for n in range(rounds):
        one, two = people[2 * n], people[2 * n + 1]
        # Alternate which phone was first, and send the two people in opposite orders (locks taken crosswise).
        a_first = n % 2 == 0
        a_minutes, b_minutes = (9 - n % 3, 4) if a_first else (4, 8 - n % 3)
        ops_a = [{"id": f"phone-a-{n}-{c}", "type": "checkin", "contact_id": c, "guests": 0, "at": _at(a_minutes)}
                 for c in (one, two)]
        ops_b = [{"id": f"phone-b-{n}-{c}", "type": "checkin", "contact_id": c, "guests": 0, "at": _at(b_minutes)}
                 for c in (two, one)]
        (status_a, answer_a), (status_b, answer_b) = _all_at_once([functools.partial(phone_a.sync, ops_a),
                                                                   functools.partial(phone_b.sync, ops_b)])
        assert (status_a, status_b) == (200, 200), (answer_a, answer_b)
        for contact_id in (one, two):
            statuses = sorted(r["status"] for r in answer_a["results"] + answer_b["results"]
                              if r["contact_id"] == contact_id)
            assert statuses == ["applied", "conflict"], (n, answer_a, answer_b)
            expected[contact_id] = (first.id if a_first else second.id,
                                    utcnow() - timedelta(minutes=a_minutes if a_first else b_minutes))
    db.session.expire_all()
    rows = list(db.session.scalars(select(CheckIn).where(CheckIn.event_id == event.id, CheckIn.undone_at.is_(None))))
    assert sorted(r.contact_id for r in rows) == sorted(people)  # one active check-in each
    for row in rows:
        by, at = expected[row.contact_id]
        assert row.checked_in_by_id == by, row.contact_id
        assert abs(row.checked_in_at - at) < timedelta(minutes=1), row.contact_id
