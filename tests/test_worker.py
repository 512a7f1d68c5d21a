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
