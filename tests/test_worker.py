"""The real Celery worker, through Redis, and the health check that watches it."""
import uuid

from eventsapp.health.models import WorkerHeartbeat
from eventsapp.health.tasks import heartbeat


def test_a_task_is_executed_by_the_real_worker_through_redis(app, db, celery_worker):
    name = f"probe-{uuid.uuid4().hex[:8]}"
    heartbeat.delay(name)

    def recorded():
        db.session.expire_all()
        return db.session.get(WorkerHeartbeat, name) is not None

    celery_worker.wait_until(recorded, timeout=30)


def test_healthz_reports_database_broker_and_worker(app, client, db, celery_worker):
    heartbeat.delay()
    celery_worker.wait_until(lambda: client.get("/healthz").status_code == 200, timeout=30)
    body = client.get("/healthz").json
    assert body["status"] == "ok"
    assert body["database"]["ok"] and body["broker"]["ok"] and body["worker"]["ok"]
    assert "redis://" in body["broker"]["url"]


def test_healthz_is_503_when_no_worker_has_been_heard_from(client, db):
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json["worker"] == {"ok": False, "error": "no heartbeat yet"}
    assert response.json["database"]["ok"] is True


def test_healthz_is_503_when_the_broker_is_down(app, client):
    celery = app.extensions["celery"]
    original = celery.conf.broker_url
    celery.conf.broker_url = "redis://127.0.0.1:1/0"  # nothing listens there
    try:
        response = client.get("/healthz")
    finally:
        celery.conf.broker_url = original
    assert response.status_code == 503
    assert response.json["broker"]["ok"] is False


def test_healthz_says_starting_in_the_first_minute_then_down(app, client, db):
    """Right after start no worker has beaten yet: that is "starting", not "down"; later it is "down"."""
    import time

    started = app.extensions["health_started_at"]
    try:
        app.extensions["health_started_at"] = time.monotonic() - 5  # five seconds after start
        response = client.get("/healthz")
        assert response.status_code == 503 and response.json["status"] == "starting"
        assert response.headers["Retry-After"] == "5"
        app.extensions["health_started_at"] = time.monotonic() - 120  # two minutes after start
        assert client.get("/healthz").json["status"] == "down"
    finally:
        app.extensions["health_started_at"] = started


def test_the_ready_line_says_where_to_open_the_app_once_it_is_healthy(app, client, db, celery_worker, live_server):
    """What `make run` prints once /healthz answers ok (scripts/announce_ready.py)."""
    import subprocess
    import sys

    heartbeat.delay()
    celery_worker.wait_until(lambda: client.get("/healthz").status_code == 200, timeout=30)
    done = subprocess.run([sys.executable, "scripts/announce_ready.py", live_server, "--timeout", "30"],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0
    assert f"eventsapp is ready: open {live_server}/ in your browser" in done.stdout
    gone = subprocess.run([sys.executable, "scripts/announce_ready.py", "http://127.0.0.1:1", "--timeout", "2"],
                          capture_output=True, text=True, timeout=60)
    assert gone.returncode == 1 and "did not answer" in gone.stderr
