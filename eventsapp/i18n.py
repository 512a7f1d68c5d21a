"""Languages and time zones: Vietnamese first, English as a full second language.

The locale is, in order: one forced for this request (an invitee's language on
public pages, `g.locale_override`), the one picked in the language switch,
the signed-in user's, then Vietnamese.
"""
from __future__ import annotations

import os

from flask import Flask, current_app, g, has_request_context, request, session
from flask_babel import Babel, get_locale, get_translations, refresh
from flask_babel.speaklater import LazyString
from flask_login import current_user

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
    # Compiling catalogues needs Babel's writer and the project's config: loaded only when an app is built.
    from .catalogues import ensure_compiled

    ensure_compiled(app)  # the .mo files are not in git: a fresh install compiles them here
    babel.init_app(app, locale_selector=select_locale, timezone_selector=select_timezone)
    install_template_gettext(app)
    # Flask-Babel caches the locale on the app context; a request must choose afresh
    # (an app context can outlive one request, as in the test client).
    app.before_request(refresh)


_TRANSLATIONS_BY_LOCALE: dict = {}


def _translations():
    """The translations of the current locale. Flask-Babel's `get_translations` walks the request
    context three times and spells out the locale's name for every string; a locale's catalogue never
    changes while the process runs, so after the locale only a dictionary look-up remains."""
    locale = get_locale()
    translations = _TRANSLATIONS_BY_LOCALE.get(locale)
    if translations is None:
        translations = _TRANSLATIONS_BY_LOCALE[locale] = get_translations()
    return translations


def gettext(string: str, **variables) -> str:
    """Flask-Babel's `gettext`, through `_translations`: the one to use (as `_`) in Python code."""
    translated = _translations().ugettext(string)
    return translated % variables if variables else translated


def ngettext(singular: str, plural: str, num: int, **variables) -> str:
    """Flask-Babel's `ngettext` (`%(num)s` is the number), through `_translations`."""
    variables.setdefault("num", num)
    return _translations().ungettext(singular, plural, num) % variables


def lazy_gettext(string: str, **variables) -> LazyString:
    """Flask-Babel's lazy string (labels defined at import time), translated by `gettext` above when used."""
    return LazyString(gettext, string, **variables)


def install_template_gettext(app: Flask) -> None:
    """`_()` and friends in templates, as Flask-Babel installs them, through `_translations`
    (a page calls them dozens of times)."""
    app.jinja_env.install_gettext_callables(
        gettext=lambda s: _translations().ugettext(s),
        ngettext=lambda s, p, n: _translations().ungettext(s, p, n),
        pgettext=lambda c, s: _translations().upgettext(c, s),
        npgettext=lambda c, s, p, n: _translations().unpgettext(c, s, p, n),
        newstyle=True,
    )
