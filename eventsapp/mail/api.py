"""API: the state of each e-mail of an event or of one send (kind, recipient, state, attempts, last error)."""
from __future__ import annotations

from flask import abort, request

from .. import query_args
from ..api import api_error, bp
from ..api.resources import load, operation
from ..api_helpers import bad_request
from ..events.access import load_event
from ..extensions import db
from ..i18n import gettext as _
from ..permissions import Action
from . import schemas, services
from .models import OutboxMessage


def check_send_of_event(event_id: int, send_id: str) -> None:
    """404 (JSON) unless the caller may view the event and `send_id` is one of its sends."""
    event = load_event(event_id, Action.VIEW)
    if not services.is_send_of_event(send_id, event.id):
        abort(api_error(404, "unknown_send", _("No such send for this event.")))


def _page(query, counts: dict) -> dict:
    """Newest first, keyset on the id: `cursor` is the last id of the previous page."""
    args = load(schemas.MessageQuery(), request.args)
    query = query.order_by(None).order_by(OutboxMessage.id.desc())
    cursor = args.get("cursor")
    if cursor:
        after = query_args.id_value(cursor)  # 0 for anything but an id (10,000 digits too)
        if not after:
            bad_request(_("This cursor is not valid; start again without one."), "cursor")
        query = query.where(OutboxMessage.id < after)
    limit = args["limit"]
    rows = list(db.session.scalars(query.limit(limit + 1)))
    next_cursor = str(rows[limit - 1].id) if len(rows) > limit else None
    return {"items": rows[:limit], "counts": counts, "next_cursor": next_cursor}


def _filters() -> dict:
    return {"state": request.args.get("state"), "kind": request.args.get("kind")}


@bp.get("/events/<int:event_id>/messages")
@operation(tags=["mail"], query=schemas.MessageQuery, responses={200: (
    "The messages (state sent: accepted by the mail server), counts by state of all of them", schemas.MessagePage)})
def event_messages(event_id: int):
    """Every e-mail about an event (invitations, updates, confirmations, reminders …), newest first."""
    event = load_event(event_id, Action.VIEW)
    return _page(services.log_query(event_id=event.id, **_filters()), services.event_counts(event.id))


@bp.get("/events/<int:event_id>/invitations/sends/<send_id>/messages")
@operation(tags=["mail"], query=schemas.MessageQuery, responses={
    200: ("The messages of the send, counts by state of all of them", schemas.MessagePage),
    404: "No such send for this event"})
def send_messages(event_id: int, send_id: str):
    """The e-mails of one send of an event, newest first."""
    check_send_of_event(event_id, send_id)
    return _page(services.log_query(send_id=send_id, **_filters()), services.progress(send_id))
