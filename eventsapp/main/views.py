"""The dashboard, the language switch and the preview of Markdown descriptions."""
from __future__ import annotations

from flask import Blueprint, abort, current_app, redirect, render_template, request, session, url_for
from flask_login import current_user, login_required
from sqlalchemy import func, select

from .. import navigation, validation
from ..api_helpers import bad_request
from ..events.models import Event, EventStatus
from ..extensions import db
from ..fields import DESCRIPTION_MAX
from ..i18n import lazy_gettext as _l
from ..invitations.models import Invitation
from ..mail.models import MessageState, OutboxMessage
from ..markdown import render_markdown
from ..permissions import Action, accessible_associations, filter_by_association
from ..redirects import safe_next
from ..timeutils import utcnow

bp = Blueprint("main", __name__)

navigation.register("main.dashboard", _l("Dashboard"), order=0)


@bp.get("/")
@login_required
def dashboard():
    if navigation.is_door_staff(current_user) and "attendance.doors" in current_app.view_functions:
        return redirect(url_for("attendance.doors"))  # check-in staff work at the door
    associations = accessible_associations(current_user, Action.VIEW)
    upcoming = db.session.scalars(
        filter_by_association(select(Event), Event.association_id, current_user)
        .where(Event.ends_at >= utcnow(), Event.status != EventStatus.CANCELLED)
        .order_by(Event.starts_at)
        .limit(8)
    ).all()
    invitation_count = db.session.scalar(
        filter_by_association(select(func.count(Invitation.id)).join(Event), Event.association_id, current_user)
    )
    outbox = dict(
        db.session.execute(
            filter_by_association(
                select(OutboxMessage.state, func.count(OutboxMessage.id)).join(Event, OutboxMessage.event_id == Event.id),
                Event.association_id, current_user,
            ).group_by(OutboxMessage.state)
        ).all()
    )
    return render_template(
        "main/dashboard.html",
        associations=associations,
        upcoming=upcoming,
        invitation_count=invitation_count or 0,
        outbox={state.value: outbox.get(state, 0) for state in MessageState},
    )


@bp.get("/lang/<code>")
def set_language(code: str):
    if code not in current_app.config["LANGUAGES"]:
        abort(404)
    session["lang"] = code
    return redirect(safe_next(request.args.get("next")))


@bp.post("/markdown/preview")
@login_required
def markdown_preview():
    """A description as the pages will show it (static/js/markdown.js): {"html": …}, sanitised as on the pages."""
    payload = request.get_json(silent=True) or {}
    try:
        source = validation.text(payload.get("text"), max_length=DESCRIPTION_MAX, multiline=True)
    except validation.Invalid as error:
        bad_request(str(error), "text")
    return {"html": str(render_markdown(source))}
