"""Health of the parts the app needs: database, broker and a live worker."""
from __future__ import annotations

import logging
import socket
from datetime import timedelta

from flask import current_app
from sqlalchemy import func, select, text

from ..extensions import db, dialect_insert
from ..timeutils import utcnow
from .models import WorkerHeartbeat

logger = logging.getLogger(__name__)


def record_heartbeat(hostname: str | None = None) -> None:
    """Called by the worker's periodic task: 'I am alive'."""
    hostname = hostname or socket.gethostname()
    now = utcnow()
    # An upsert: two worker processes on one host beat at the same moment.
    statement = dialect_insert(WorkerHeartbeat).values(hostname=hostname, beat_at=now)
    db.session.execute(statement.on_conflict_do_update(index_elements=["hostname"], set_={"beat_at": now}))
    db.session.commit()


def check_database() -> dict:
    try:
        db.session.execute(text("SELECT 1"))
        return {"ok": True}
    except Exception as error:  # any failure means "down"; report why
        db.session.rollback()
        return {"ok": False, "error": error.__class__.__name__}


def check_broker() -> dict:
    celery = current_app.extensions["celery"]
    try:
        with celery.connection_for_write() as connection:
            connection.ensure_connection(max_retries=1, timeout=2)
        return {"ok": True, "url": _redact(celery.conf.broker_url)}
    except Exception as error:
        return {"ok": False, "error": error.__class__.__name__}


def check_worker() -> dict:
    try:
        last = db.session.scalar(select(func.max(WorkerHeartbeat.beat_at)))
    except Exception as error:
        db.session.rollback()
        return {"ok": False, "error": error.__class__.__name__}
    max_age = timedelta(seconds=current_app.config["HEARTBEAT_MAX_AGE_SECONDS"])
    if last is None:
        return {"ok": False, "error": "no heartbeat yet"}
    age = (utcnow() - last).total_seconds()
    return {"ok": age <= max_age.total_seconds(), "last_heartbeat_seconds_ago": round(age, 1)}


def _redact(url: str) -> str:
    """Broker URL without its password."""
    if "@" in url and "://" in url:
        scheme, rest = url.split("://", 1)
        return f"{scheme}://***@{rest.split('@', 1)[1]}"
    return url


def health_report() -> tuple[dict, bool]:
    report = {"database": check_database(), "broker": check_broker(), "worker": check_worker()}
    return report, all(part["ok"] for part in report.values())
