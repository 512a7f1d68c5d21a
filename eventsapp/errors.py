"""Error pages in the reader's language, and JSON errors for the API."""
from __future__ import annotations

import logging

from flask import Flask, render_template, request
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


def render_error(status: int, detail: str | None = None):
    title, message = MESSAGES.get(status, MESSAGES[500] if status >= 500 else MESSAGES[400])
    if _wants_json():
        return {"error": {"code": status, "message": str(detail or message)}}, status
    return render_template("errors/error.html", status=status, title=title, message=detail or message), status


def init_error_handlers(app: Flask) -> None:
    @app.errorhandler(CSRFError)
    def csrf_error(error):
        return render_error(400, str(_l("The form has expired or was not sent from this site. Please reload the page and try again.")))

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
