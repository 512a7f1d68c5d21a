"""API: the state of each e-mail of an event or of one send (kind, recipient, state, attempts, last error)."""
from __future__ import annotations

from flask import abort, request

from .. import query_args
from ..api import api_error, bp
from ..api_helpers import bad_request
from ..events.access import load_event
from ..extensions import db
from ..i18n import gettext as _
from ..permissions import Action
from . import services
from .models import OutboxMessage


def check_send_of_event(event_id: int, send_id: str) -> None:
    """404 (JSON) unless the caller may view the event and `send_id` is one of its sends."""
    event = load_event(event_id, Action.VIEW)
    if not services.is_send_of_event(send_id, event.id):
        abort(api_error(404, "unknown_send", _("No such send for this event.")))


PAGE_SIZE, PAGE_MAX = 100, 1000

def message_json(message: OutboxMessage) -> dict:
    """One e-mail's state. `sent` means the mail server accepted it; `failed` is final (see last_error)."""
    return {
        "id": message.id, "kind": message.kind.value, "recipient": message.recipient, "state": message.state.value,
        "attempts": message.attempts, "last_error": message.last_error,
        "sent_at": message.sent_at.isoformat() if message.sent_at else None,
        "created_at": message.created_at.isoformat() if message.created_at else None,
        "invitation_id": message.invitation_id, "contact_id": message.contact_id, "send_id": message.send_id,
    }


def _page(query, counts: dict) -> dict:
    """Newest first, keyset on the id: `cursor` is the last id of the previous page."""
    query = query.order_by(None).order_by(OutboxMessage.id.desc())
    cursor = request.args.get("cursor")
    if cursor:
        after = query_args.id_value(cursor)  # 0 for anything but an id (10,000 digits too)
        if not after:
            bad_request(_("This cursor is not valid; start again without one."), "cursor")
        query = query.where(OutboxMessage.id < after)
    limit = request.args.get("limit", PAGE_SIZE, type=int)
    if not 1 <= limit <= PAGE_MAX:
        bad_request(_("limit must be between 1 and %(maximum)s.", maximum=PAGE_MAX), "limit")
    rows = list(db.session.scalars(query.limit(limit + 1)))
    next_cursor = str(rows[limit - 1].id) if len(rows) > limit else None
    return {"items": [message_json(m) for m in rows[:limit]], "counts": counts, "next_cursor": next_cursor}


def _filters() -> dict:
    return {"state": request.args.get("state"), "kind": request.args.get("kind")}


@bp.get("/events/<int:event_id>/messages")
def event_messages(event_id: int):
    """Every e-mail about an event (invitations, updates, confirmations, reminders …), newest first.
    ---
    get:
      summary: E-mails of an event and their state
      tags: [mail]
      parameters:
        - {name: event_id, in: path, required: true, schema: {type: integer}}
        - {name: state, in: query, schema: {type: string, enum: [queued, sending, sent, failed]}}
        - {name: kind, in: query, schema: {type: string, enum: [invitation, campaign_invitation, update, cancellation, confirmation, promotion, reminder, thank_you]}}
        - {name: cursor, in: query, schema: {type: string}, description: "next_cursor of the previous page"}
        - {name: limit, in: query, schema: {type: integer, minimum: 1, maximum: 1000, default: 100}}
      responses:
        200: {description: "The messages (state sent: accepted by the mail server), counts by state of all of them", schema: MessagePage}
    """
    event = load_event(event_id, Action.VIEW)
    return _page(services.log_query(event_id=event.id, **_filters()), services.event_counts(event.id))


@bp.get("/events/<int:event_id>/invitations/sends/<send_id>/messages")
def send_messages(event_id: int, send_id: str):
    """The e-mails of one send of an event, newest first.
    ---
    get:
      summary: E-mails of a send and their state
      tags: [mail]
      parameters:
        - {name: event_id, in: path, required: true, schema: {type: integer}}
        - {name: send_id, in: path, required: true, schema: {type: string}}
        - {name: state, in: query, schema: {type: string, enum: [queued, sending, sent, failed]}}
        - {name: kind, in: query, schema: {type: string, enum: [invitation, campaign_invitation, update, cancellation, confirmation, promotion, reminder, thank_you]}}
        - {name: cursor, in: query, schema: {type: string}, description: "next_cursor of the previous page"}
        - {name: limit, in: query, schema: {type: integer, minimum: 1, maximum: 1000, default: 100}}
      responses:
        200: {description: "The messages of the send, counts by state of all of them", schema: MessagePage}
        404: {description: No such send for this event}
    """
    check_send_of_event(event_id, send_id)
    return _page(services.log_query(send_id=send_id, **_filters()), services.progress(send_id))
