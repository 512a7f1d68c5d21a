"""API: the audit log (read only; nothing edits or deletes an entry)."""
from __future__ import annotations

from flask import request
from flask_login import current_user

from .. import query_args
from ..api import bp
from ..api.resources import load, operation
from ..api_helpers import bad_request
from ..extensions import db
from ..i18n import gettext as _
from ..permissions import Action, require_some
from . import schemas, services
from .models import AuditEntry
from .views import filter_from_args


@bp.get("/audit")
@operation(tags=["audit"], query=schemas.AuditQuery, responses={200: ("The entries, newest first", schemas.AuditPage)})
def audit_entries():
    """What staff did (administrators: everything; organisers: their associations' part), newest first."""
    require_some(Action.MANAGE)
    args = load(schemas.AuditQuery(), request.args)
    stmt = services.query(current_user, filter_from_args(request.args, current_user.timezone))
    cursor = args.get("cursor")
    if cursor:
        before = query_args.id_value(cursor)
        if not before:
            bad_request(_("This cursor is not valid; start again without one."), "cursor")
        stmt = stmt.where(AuditEntry.id < before)
    limit = args["limit"]
    rows = list(db.session.scalars(stmt.limit(limit + 1)))
    next_cursor = str(rows[limit - 1].id) if len(rows) > limit else None
    return {"items": rows[:limit], "next_cursor": next_cursor}
