"""The JSON API under /api/v1, authenticated with `Authorization: Bearer <token>`.

Each domain adds its routes to `bp` in its own `api.py`; `eventsapp.api.views`
imports them and serves the OpenAPI document. Session cookies are not
accepted here, which is why the blueprint is exempt from CSRF.
"""
from __future__ import annotations

from flask import Blueprint, abort, jsonify, request
from flask_login import current_user
from sqlalchemy import select

from ..auth.models import ApiToken, hash_token
from ..extensions import db, login_manager
from ..i18n import gettext as _
from ..timeutils import utcnow

bp = Blueprint("api", __name__, url_prefix="/api/v1")

PUBLIC_ENDPOINTS = {"api.openapi"}


def _bearer_token() -> str | None:
    auth = request.authorization
    return auth.token if auth is not None and auth.type == "bearer" and auth.token else None


@login_manager.request_loader
def user_from_bearer_token(request):
    """Flask-Login's request loader: on API requests, the owner of the bearer token (the session
    loader answers nothing there, see auth.views.load_user), so current_user is never a cookie's."""
    if request.blueprint != bp.name or not _bearer_token():
        return None
    token = db.session.scalar(
        select(ApiToken).where(ApiToken.token_hash == hash_token(_bearer_token()), ApiToken.revoked_at.is_(None))
    )
    if token is None or not token.user.is_active:
        return None
    token.last_used_at = utcnow()
    db.session.commit()
    return token.user


@bp.before_request
def authenticate_bearer():
    if request.endpoint in PUBLIC_ENDPOINTS:
        return None
    if _bearer_token() is None:
        return api_error(401, "missing_token", _("Send Authorization: Bearer <token>."))
    if not current_user.is_authenticated:
        return api_error(401, "invalid_token", _("The token is unknown or revoked."))
    return None


def api_error(status: int, code: str, message, fields: dict | None = None, **details):
    """The one error shape of the API: `{"error": {"code": "<string>", "message": "…", "fields": {…}}}`;
    `fields` maps a field to its message, `details` adds keys of their own (e.g. `check_in`)."""
    body = {"code": str(code), "message": str(message), "fields": {k: str(v) for k, v in (fields or {}).items()}}
    response = jsonify({"error": body | details})
    response.status_code = status
    return response


def json_body() -> dict:
    """The request's JSON object, or a 400 that says so (control characters and depth were checked
    for every request by `eventsapp.validation`)."""
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        abort(api_error(400, "invalid_json", _("The body must be a JSON object.")))
    return data
