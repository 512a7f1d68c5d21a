"""GET /healthz: JSON state of database, broker and worker; 503 when one is down, "starting" (503 too,
with Retry-After) while a part is not up yet in the first minute after the web process began."""
import time

from flask import Blueprint, current_app, jsonify

from .services import health_report

bp = Blueprint("health", __name__)


@bp.record_once
def _remember_start(state) -> None:
    # A monotonic clock: "how long since start" must not jump with the wall clock.
    state.app.extensions["health_started_at"] = time.monotonic()


def _starting() -> bool:
    started = current_app.extensions.get("health_started_at", 0.0)
    return time.monotonic() - started < current_app.config.get("HEALTH_STARTING_SECONDS", 60)


@bp.get("/healthz")
def healthz():
    report, healthy = health_report()
    status = "ok" if healthy else "starting" if _starting() else "down"
    response = jsonify({"status": status, **report})
    response.status_code = 200 if healthy else 503
    if status == "starting":
        response.headers["Retry-After"] = "5"
    response.headers["Cache-Control"] = "no-store"
    return response
