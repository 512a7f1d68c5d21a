"""Languages and time zones: Vietnamese first, English as a full second language.

The locale is, in order: one forced for this request (an invitee's language on
public pages, `g.locale_override`), the one picked in the language switch,
the signed-in user's, then Vietnamese.
"""
from __future__ import annotations

import os

from flask import Flask, current_app, g, has_request_context, request, session
from flask_babel import Babel, format_date, format_datetime, format_time, get_locale, refresh
from flask_login import current_user

from .timeutils import zone

LANGUAGE_NAMES = {"vi": "Tiếng Việt", "en": "English"}


def select_locale() -> str:
    languages = current_app.config["LANGUAGES"]
    candidates = [g.get("locale_override")]
    if has_request_context():
        candidates += [
            request.args.get("lang"),
            session.get("lang"),
            current_user.locale if current_user.is_authenticated else None,
        ]
    for candidate in candidates:
        if candidate in languages:
            return candidate
    return current_app.config["BABEL_DEFAULT_LOCALE"]


def select_timezone() -> str:
    override = g.get("timezone_override")
    if override:
        return override
    if has_request_context() and current_user.is_authenticated:
        return current_user.timezone
    return current_app.config["DEFAULT_TIMEZONE"]


def current_locale() -> str:
    return str(get_locale() or "vi")


def init_i18n(app: Flask, babel: Babel) -> None:
    app.config.setdefault(
        "BABEL_TRANSLATION_DIRECTORIES", os.path.join(os.path.dirname(__file__), "translations")
    )
    babel.init_app(app, locale_selector=select_locale, timezone_selector=select_timezone)
    # Flask-Babel caches the locale on the app context; a request must choose afresh
    # (an app context can outlive one request, as in the test client).
    app.before_request(refresh)


def format_in_zone(moment, zone_name: str, fmt: str = "medium") -> str:
    """A moment as wall time in `zone_name`, with the zone named (for mixed-zone readers)."""
    if moment is None:
        return ""
    local = moment.astimezone(zone(zone_name))
    if fmt in ("full", "long"):
        # Babel's full/long datetime formats append a zone name; ours is named below.
        text = f"{format_time(local.replace(tzinfo=None), 'short', rebase=False)} {format_date(local.date(), fmt)}"
    else:
        text = format_datetime(local.replace(tzinfo=None), fmt, rebase=False)
    return f"{text} ({zone_name})"
