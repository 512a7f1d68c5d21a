"""Bench: how long a refused sign-in takes for an unknown account and for a real account with a
wrong password (through the login page, test client, SQLite in a temporary folder).

Both verify one scrypt hash (a dummy one for unknown accounts), so the medians should match;
before, an unknown account answered in ~20 ms and a wrong password in 110–450 ms.
Run: .venv/bin/python bench/login_timing.py [rounds]
"""
from __future__ import annotations

import os
import re
import statistics
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
os.environ.setdefault("EVENTSAPP_INSTANCE_DIR", tempfile.mkdtemp(prefix="bench-login-"))

from eventsapp import create_app  # noqa: E402
from eventsapp.extensions import db  # noqa: E402

TOKEN = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')


def attempt(client, email: str) -> float:
    token = TOKEN.search(client.get("/login").text).group(1)
    started = time.perf_counter()
    response = client.post("/login", data={"email": email, "password": "wrong-password", "csrf_token": token})
    elapsed = time.perf_counter() - started
    assert response.status_code == 200, response.status_code
    return elapsed


def main(rounds: int) -> None:
    app = create_app("development", LOGIN_RATE_LIMIT_PER_ADDRESS="100000 per minute",
                     LOGIN_RATE_LIMIT_PER_ACCOUNT="100000 per minute",
                     LOGIN_RATE_LIMIT_PER_ACCOUNT_AND_ADDRESS="100000 per minute")
    with app.app_context():
        from flask_migrate import upgrade

        from eventsapp.auth.services import create_user

        upgrade()
        create_user("real@example.vn", "the-right-password")
        db.session.commit()
    client = app.test_client()
    attempt(client, "warm-up@example.vn")
    timings = {"unknown account": [], "wrong password": []}
    for _ in range(rounds):  # interleaved, so that the machine's load weighs on both alike
        timings["unknown account"].append(attempt(client, "nobody@example.vn"))
        timings["wrong password"].append(attempt(client, "real@example.vn"))
    for label, values in timings.items():
        print(f"{label:<16} median {statistics.median(values) * 1000:7.1f} ms   "
              f"min {min(values) * 1000:7.1f} ms   max {max(values) * 1000:7.1f} ms   ({rounds} attempts)")
    ratio = statistics.median(timings["wrong password"]) / statistics.median(timings["unknown account"])
    print(f"wrong password / unknown account (medians): {ratio:.2f}")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 20)
