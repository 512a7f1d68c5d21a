"""Error pages in the reader's language, and JSON errors for the API."""
from __future__ import annotations

import logging
from typing import NoReturn

from flask import Flask, abort, make_response, render_template, request
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, InternalServerError

from .extensions import db
from .i18n import lazy_gettext as _l

logger = logging.getLogger(__name__)

MESSAGES = {
    400: (_l("Bad request"), _l("The request could not be understood. Please check what you entered.")),
    401: (_l("Sign-in needed"), _l("Please sign in to continue.")),
    403: (_l("Not allowed"), _l("You do not have permission to see or change this.")),
    404: (_l("Not found"), _l("This page does not exist, or the link is no longer valid.")),
    405: (_l("Not allowed"), _l("This action is not allowed here.")),
    413: (_l("File too large"), _l("The file is larger than the allowed size.")),
    429: (_l("Too many attempts"), _l("Too many attempts. Please wait a few minutes and try again.")),
    500: (_l("Something went wrong"), _l("An unexpected error happened. It has been logged; please try again.")),
    503: (_l("Unavailable"), _l("The service is temporarily unavailable. Please try again soon.")),
}


def _wants_json() -> bool:
    return request.path.startswith("/api/") or request.path == "/healthz"


# The `code` of a JSON error for each status: always a string a client can switch on.
CODES = {400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found", 405: "method_not_allowed",
         409: "conflict", 413: "too_large", 415: "unsupported_media_type", 422: "invalid", 429: "too_many_requests",
         500: "server_error", 503: "unavailable"}


def render_error(status: int, detail: str | None = None, code: str | None = None):
    """The error page, or under /api/ (and /healthz) the one JSON error shape
    `{"error": {"code": "<string>", "message": "…", "fields": {}}}`."""
    title, message = MESSAGES.get(status, MESSAGES[500] if status >= 500 else MESSAGES[400])
    if _wants_json():
        code = code or CODES.get(status, "server_error" if status >= 500 else "bad_request")
        return {"error": {"code": code, "message": str(detail or message), "fields": {}}}, status
    return render_template("errors/error.html", status=status, title=title, message=detail or message), status


def refuse(status: int, detail: str, code: str | None = None) -> NoReturn:
    """End the request with the error page (or the API's JSON error) saying `detail`."""
    abort(make_response(render_error(status, detail, code)))


def init_error_handlers(app: Flask) -> None:
    @app.errorhandler(CSRFError)
    def csrf_error(error):
        return render_error(400, str(_l("The form has expired or was not sent from this site. Please reload the page and try again.")),
                            code="csrf_failed")

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        if error.response is not None:  # abort(response) hands over a finished response
            return error.response
        return render_error(error.code or 500)

    @app.errorhandler(Exception)
    def unexpected_error(error: Exception):
        if isinstance(error, HTTPException):
            return http_error(error)
        logger.exception("unhandled error on %s %s", request.method, request.path)
        db.session.rollback()
        return render_error(InternalServerError.code)
