"""Issue 15, item 5: `scripts/deploy.sh` as an operator runs it, in production config on the test
database and Redis: it refuses incomplete settings, starts gunicorn + worker + beat, serves pages in
Vietnamese behind a trusted proxy, its worker delivers a Vietnamese e-mail, and `stop` ends them all."""
from __future__ import annotations

import functools
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import pytest

from eventsapp.invitations.models import InvitationStatus
from eventsapp.timeutils import utcnow
from tests.reminders_helpers import HOUR, MINUTE, invite, make_event, rule

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "scripts" / "deploy.sh"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def deploy(database_url, redis_url, smtp_sink):
    # Not pytest's tmp_path: another pytest session on this machine may prune that folder while the
    # daemons still write their pid files there.
    with tempfile.TemporaryDirectory(prefix="eventsapp-deploy-") as folder:
        yield from _deploy(database_url, redis_url, smtp_sink, Path(folder))


def _deploy(database_url, redis_url, smtp_sink, tmp_path):
    import redis

    # Tasks earlier tests queued (no worker consumes them until the worker tests) are not this
    # worker's business, nor are the beat's leftovers the next tests'.
    broker = redis.Redis.from_url(redis_url)
    broker.flushdb()
    port = free_port()
    env = {key: value for key, value in os.environ.items()
           if not key.startswith(("EVENTSAPP_", "MAIL_", "TEST_")) and key not in {"REDIS_URL", "DATABASE_URL"}}
    env.update({
        "EVENTSAPP_CONFIG": "production", "EVENTSAPP_ENV_FILE": str(tmp_path / "no.env"),
        "EVENTSAPP_INSTANCE_DIR": str(tmp_path / "instance"), "SECRET_KEY": "deploy-test-secret",
        "DATABASE_URL": database_url, "REDIS_URL": redis_url, "MAIL_SERVER": "127.0.0.1",
        "MAIL_PORT": str(smtp_sink.port), "EVENTSAPP_BASE_URL": "https://events.example.vn",
        "TRUSTED_PROXY_COUNT": "1", "BIND": f"127.0.0.1:{port}", "WEB_WORKERS": "1", "WORKER_CONCURRENCY": "1",
        "RUN_DIR": str(tmp_path / "run"), "VENV": str(Path(sys.executable).parent.parent),
    })

    def run(*args, **overrides):
        return subprocess.run(["bash", str(SCRIPT), *args], cwd=ROOT, env={**env, **overrides},
                              capture_output=True, text=True, timeout=180)

    run.port, run.run_dir = port, tmp_path / "run"
    yield run
    stopped = run("stop")
    for pid_file in run.run_dir.glob("*.pid"):  # a failed stop: end what this test started
        try:
            os.kill(int(pid_file.read_text()), signal.SIGKILL)
        except (ProcessLookupError, ValueError):
            pass
    broker.flushdb()
    assert stopped.returncode == 0, stopped.stderr


def get(url: str, headers: dict | None = None) -> tuple[int, str]:
    request = urllib.request.Request(url, headers=headers or {})
    opener = urllib.request.build_opener(NoRedirect)
    try:
        with opener.open(request, timeout=60) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.headers.get("Location", "")


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def logs(run_dir: Path) -> str:
    """The end of every log the daemons wrote, for a failure's message."""
    return "\n".join(f"--- {log.name}\n" + "\n".join(log.read_text(errors="replace").splitlines()[-15:])
                     for log in sorted(run_dir.glob("*.log")))


def wait_until(condition, timeout=60.0, diagnose=lambda: ""):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if condition():
                return
        except OSError:  # not listening yet
            pass
        time.sleep(0.3)
    raise AssertionError("timed out\n" + diagnose())


def test_start_refuses_incomplete_settings_with_one_line(deploy):
    result = deploy("start", SECRET_KEY="")
    assert result.returncode != 0
    assert "SECRET_KEY is not set" in result.stderr and "the settings are incomplete" in result.stderr
    assert not list(deploy.run_dir.glob("*.pid"))


@pytest.mark.slow
def test_the_deploy_script_runs_web_worker_and_beat_in_production_and_stops_them(app, db, deploy, smtp_sink):
    assert deploy("migrate").returncode == 0
    started = deploy("start")
    assert started.returncode == 0, started.stdout + started.stderr
    diagnose = lambda: logs(deploy.run_dir)  # noqa: E731
    pid_files = {part: deploy.run_dir / f"{part}.pid" for part in ("web", "worker", "beat")}
    assert all(f.exists() for f in pid_files.values()), started.stdout + diagnose()
    pids = {part: int(f.read_text()) for part, f in pid_files.items()}

    base = f"http://127.0.0.1:{deploy.port}"
    pages = []
    # The master listens at once; its worker may still be importing the app on a loaded machine.
    wait_until(lambda: pages.append(get(f"{base}/login", {"X-Forwarded-Proto": "https"})) or pages[-1][0] == 200,
               timeout=120, diagnose=diagnose)
    status, body = pages[-1]  # as the TLS proxy forwards it
    assert status == 200 and '<html lang="vi">' in body and "Mật khẩu" in body
    status, location = get(f"{base}/login")  # plain HTTP from the proxy: to HTTPS
    assert status == 302 and location.startswith("https://")

    # A reminder fired by the script's worker reaches the SMTP server, in Vietnamese.
    event = make_event(starts_at=(utcnow() + 100 * MINUTE).replace(microsecond=0), title_vi="Gặp mặt đầu xuân")
    invite(event, InvitationStatus.PENDING, email="lan@example.vn", language="vi", sent_at=utcnow() - HOUR)
    rule(event, offset=-2 * HOUR, audience=("pending",))
    app.extensions["celery"].send_task("reminders.fire_due")
    wait_until(lambda: smtp_sink.to("lan@example.vn"), timeout=180, diagnose=diagnose)
    assert smtp_sink.to("lan@example.vn")[0].message["Subject"] == "Xin trả lời: Gặp mặt đầu xuân"

    status_output = deploy("status").stdout
    assert "web runs" in status_output and "worker runs" in status_output and "beat runs" in status_output, \
        status_output + logs(deploy.run_dir)

    stopped = deploy("stop")
    assert stopped.returncode == 0, stopped.stderr
    def ended(pid) -> bool:
        return not os.path.exists(f"/proc/{pid}") or "Z" in Path(f"/proc/{pid}/stat").read_text().split()[2]

    for pid in pids.values():
        wait_until(functools.partial(ended, pid), timeout=30)
    assert "web is stopped" in deploy("status").stdout
