"""The JSON API under /api/v1, authenticated with `Authorization: Bearer <token>`.

Each domain adds its routes to `bp` in its own `api.py`; `eventsapp.api.views`
imports them and serves the OpenAPI document. Session cookies are not
accepted here, which is why the blueprint is exempt from CSRF.
"""
from __future__ import annotations

from flask import Blueprint, abort, g, jsonify, request
from sqlalchemy import select

from ..auth.models import ApiToken, hash_token
from ..extensions import db
from ..i18n import gettext as _
from ..timeutils import utcnow

bp = Blueprint("api", __name__, url_prefix="/api/v1")

PUBLIC_ENDPOINTS = {"api.openapi"}


@bp.before_request
def authenticate_bearer():
    if request.endpoint in PUBLIC_ENDPOINTS:
        return None
    auth = request.authorization
    if auth is None or auth.type != "bearer" or not auth.token:
        return api_error(401, "missing_token", _("Send Authorization: Bearer <token>."))
    token = db.session.scalar(
        select(ApiToken).where(ApiToken.token_hash == hash_token(auth.token), ApiToken.revoked_at.is_(None))
    )
    if token is None or not token.user.is_active:
        return api_error(401, "invalid_token", _("The token is unknown or revoked."))
    token.last_used_at = utcnow()
    db.session.commit()
    # Flask-Login keeps the request's user in g._login_user; setting it makes
    # current_user (and so the permission helper) the token's owner, never a cookie's.
    g._login_user = token.user
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
