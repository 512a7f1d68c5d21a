"""What every template can use: the menu, the language, times in the reader's zone."""
from __future__ import annotations

from flask import Flask, flash
from flask_babel import format_datetime

from . import navigation
from .contacts.models import lacks_email
from .countries import country_name
from .extensions import db
from .i18n import LANGUAGE_NAMES, current_locale, select_timezone
from .i18n import gettext as _
from .markdown import markdown_to_text, render_markdown_email
from .phones import shown_phone
from .timefmt import date_text, days_text, event_span, event_start_text, format_in_zone, time_text, zone_label
from .timeutils import zone


def local_time(moment, zone_name: str | None = None, fmt: str = "short") -> str:
    """`moment` as wall time in `zone_name` (default: the reader's), zone named."""
    if moment is None:
        return ""
    return format_in_zone(moment, zone_name or select_timezone(), fmt)


def shown_email(address: str | None) -> str:
    """An address as staff read it: none reads "No e-mail"."""
    return _("No e-mail") if lacks_email(address) else address


def init_template_helpers(app: Flask) -> None:
    app.jinja_env.filters["local_time"] = local_time
    app.jinja_env.filters["event_start"] = event_start_text
    app.jinja_env.filters["shown_email"] = shown_email
    app.jinja_env.filters["phone"] = shown_phone
    app.jinja_env.filters["datetime"] = lambda value, fmt="short": format_datetime(value, fmt) if value else ""
    # E-mails: Markdown as inline-styled HTML for the HTML part, as plain text for the text part.
    app.jinja_env.filters["markdown_email"] = render_markdown_email
    app.jinja_env.filters["markdown_text"] = markdown_to_text
    app.jinja_env.filters["country"] = country_name

    @app.context_processor
    def inject_globals():
        return {
            "nav_items": navigation.visible_items(),
            "current_locale": current_locale(),
            "language_names": LANGUAGE_NAMES,
            "reader_timezone": select_timezone(),
            "zone": zone,
            "event_span": event_span,
            "zone_label": zone_label,
            "date_text": date_text,
            "days_text": days_text,
            "time_text": time_text,
            "page_tabs": navigation.tabs,
        }


def save_or_flash(refusal: type[Exception], action, *args, saved=None, **kwargs):
    """Run a service `action` and commit, flashing `saved` (default "Saved."; a function of the
    result may choose it); when the service refuses (raises `refusal`), roll back and flash its
    reason. Returns the result, or None if refused."""
    try:
        result = action(*args, **kwargs)
    except refusal as error:
        db.session.rollback()
        flash(_("Could not save: %(reason)s", reason=str(error)), "danger")
        return None
    db.session.commit()
    flash(saved(result) if callable(saved) else saved or _("Saved."), "success")
    return result
