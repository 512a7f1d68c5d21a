"""Received mail for administrators: what came in and what was done with it (kind, state, reason)."""
from __future__ import annotations

from flask import Blueprint, render_template, request
from flask_login import current_user, login_required
from sqlalchemy import select

from .. import navigation, query_args
from ..i18n import lazy_gettext as _l
from ..permissions import require_admin
from .models import InboundKind, InboundMessage, InboundState
from .setup_status import inbound_setup

bp = Blueprint("inbound", __name__)

navigation.register("inbound.index", _l("Received mail"), order=96, admin_only=True)

PER_PAGE = 50
KIND_LABELS = {
    InboundKind.CALENDAR_REPLY.value: _l("Calendar answer"), InboundKind.CALENDAR_OTHER.value: _l("Other calendar message"),
    InboundKind.BOUNCE.value: _l("Bounce"), InboundKind.AUTO_REPLY.value: _l("Automatic reply"),
    InboundKind.UNSUBSCRIBE.value: _l("Unsubscribe request"), InboundKind.HUMAN.value: _l("Reply from a person"),
    InboundKind.MALFORMED.value: _l("Unreadable"),
}
STATE_LABELS = {InboundState.NEW.value: _l("Waiting"), InboundState.DONE.value: _l("Done"),
                InboundState.IGNORED.value: _l("Ignored"), InboundState.FAILED.value: _l("Failed"),
                InboundState.UNVERIFIED.value: _l("Sender not verified: not applied")}


@bp.get("/mail/inbound")
@login_required
def index():
    """Every received message, newest first, filtered by kind and state (administrators only)."""
    require_admin(current_user)
    kind, state = request.args.get("kind") or None, request.args.get("state") or None
    query = select(InboundMessage).order_by(InboundMessage.received_at.desc(), InboundMessage.id.desc())
    if kind in KIND_LABELS:
        query = query.where(InboundMessage.kind == InboundKind(kind))
    if state in STATE_LABELS:
        query = query.where(InboundMessage.state == InboundState(state))
    page = query_args.paginate(query, per_page=PER_PAGE)
    return render_template("inbound/index.html", page=page, kind=kind, state=state, kind_labels=KIND_LABELS,
                           state_labels=STATE_LABELS, setup=inbound_setup())
