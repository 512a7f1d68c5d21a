"""GET /healthz: JSON state of database, broker and worker; 503 when one is down."""
from flask import Blueprint, jsonify

from .services import health_report

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz():
    report, healthy = health_report()
    response = jsonify({"status": "ok" if healthy else "down", **report})
    response.status_code = 200 if healthy else 503
    response.headers["Cache-Control"] = "no-store"
    return response
