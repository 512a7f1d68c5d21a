"""The embedded default (SQLite database, SQLite broker, mail to a folder) runs
end to end: migrate, seed, web, a real worker and a real beat, as `make run` does."""
from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow  # starts web, worker and beat processes

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def embedded_env(tmp_path):
    env = {k: v for k, v in os.environ.items()
           if k not in {"DATABASE_URL", "CELERY_BROKER_URL", "REDIS_URL", "MAIL_SERVER", "TEST_DATABASE_URL"}}
    env.update(EVENTSAPP_CONFIG="development", EVENTSAPP_INSTANCE_DIR=str(tmp_path),
               HEARTBEAT_INTERVAL_SECONDS="2", FLASK_APP="eventsapp", PATH=f"{BIN}:{env['PATH']}")
    return env


def run(env, *args):
    result = subprocess.run([str(BIN / "flask"), *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=180)
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_embedded_default_runs_web_worker_and_beat(embedded_env, tmp_path):
    run(embedded_env, "db", "upgrade")
    seeded = run(embedded_env, "seed-demo")
    assert "admin@demo.eventsapp.vn" in seeded
    assert (tmp_path / "eventsapp.sqlite3").exists()

    port = free_port()
    log = open(tmp_path / "honcho.log", "wb")
    honcho = subprocess.Popen([str(BIN / "honcho"), "start", "-p", str(port)], cwd=ROOT, env=embedded_env,
                              stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        deadline, status, body = time.monotonic() + 120, None, b""
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=5) as response:
                    status, body = response.status, response.read()
                    break
            except urllib.error.HTTPError as error:
                status, body = error.code, error.read()
            except OSError:
                pass
            time.sleep(1)
        assert status == 200, (status, body, (tmp_path / "honcho.log").read_text()[-3000:])
        assert b"sqla+sqlite" in body
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/login", timeout=5) as response:
            assert "Đăng nhập" in response.read().decode()
        # The worker sends the demo's mail to the outbox folder and records it as sent.
        deadline, sent = time.monotonic() + 90, 0
        while time.monotonic() < deadline and not sent:
            time.sleep(1)
            sent = _count(tmp_path / "eventsapp.sqlite3", "SELECT count(*) FROM outbox_messages WHERE state = 'sent'")
        assert sent, (tmp_path / "honcho.log").read_text()[-3000:]
        assert list((tmp_path / "outbox").glob("*.eml"))
        assert "Traceback" not in (tmp_path / "honcho.log").read_text(errors="replace")
    finally:
        os.killpg(honcho.pid, signal.SIGINT)  # Ctrl-C: honcho stops every process
        honcho.wait(timeout=60)
        log.close()
    time.sleep(1)
    with socket.socket() as sock:
        assert sock.connect_ex(("127.0.0.1", port)) != 0, "the web process is still running after Ctrl-C"


def _count(database: Path, query: str) -> int:
    import sqlite3

    with sqlite3.connect(database, timeout=10) as connection:
        return connection.execute(query).fetchone()[0]
