"""The audit log's page: administrators see everything, organisers their associations' part."""
from __future__ import annotations

from datetime import datetime, timedelta

from flask import Blueprint, render_template, request
from flask_login import current_user, login_required

from .. import navigation, query_args
from ..i18n import lazy_gettext as _l
from ..permissions import Action, accessible_associations, require_some
from ..timeutils import zone
from . import services
from .labels import ACTION_LABELS, detail_lines, target_label

bp = Blueprint("audit", __name__)

navigation.register("audit.index", _l("Audit log"), order=97, admin_only=True)

PER_PAGE = 50


def _day(value: str | None, reader_zone: str, shift: int = 0) -> datetime | None:
    """Midnight of a YYYY-MM-DD day in the reader's zone (plus `shift` days), or None."""
    try:
        day = datetime.strptime((value or "").strip(), "%Y-%m-%d")
    except ValueError:
        return None
    if not 1900 <= day.year <= 2199:
        return None
    return (day + timedelta(days=shift)).replace(tzinfo=zone(reader_zone))


def filter_from_args(args, reader_zone: str) -> services.AuditFilter:
    """The page's and the API's filters; anything not understood is no filter."""
    action = args.get("action") or ""
    return services.AuditFilter(
        action=action if action in services.ACTIONS else "",
        actor=(args.get("actor") or "")[:254],
        target_type=(args.get("target_type") or "")[:40],
        target_id=(args.get("target_id") or "")[:64],
        association_id=query_args.id_value(args.get("association")) or None,
        since=_day(args.get("since"), reader_zone),
        until=_day(args.get("until"), reader_zone, shift=1),
    )


@bp.get("/audit/")
@login_required
def index():
    """What staff did, newest first, with filters."""
    require_some(Action.MANAGE)
    flt = filter_from_args(request.args, current_user.timezone)
    page = query_args.paginate(services.query(current_user, flt), per_page=PER_PAGE)
    args = {key: request.args.get(key, "") for key in
            ("action", "actor", "target_type", "target_id", "association", "since", "until")}
    return render_template("audit/index.html", page=page, args=args, labels=ACTION_LABELS,
                           target_label=target_label, detail_lines=detail_lines, associations=accessible_associations(current_user, Action.MANAGE))
