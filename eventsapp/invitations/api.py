"""API: the invitees of an event, sending their invitations, and the progress of a send."""
from __future__ import annotations

from flask import request
from flask_login import current_user
from sqlalchemy import select

from ..api import api_error, bp, json_body
from ..events.access import load_event
from ..extensions import db
from ..mail.models import OutboxMessage
from ..permissions import Action, authorize
from . import services


def invitation_json(invitation) -> dict:
    return {
        "id": invitation.id, "contact_id": invitation.contact_id, "email": invitation.contact.email,
        "full_name": invitation.contact.full_name, "status": invitation.status.value, "guests": invitation.guests,
        "comment": invitation.comment, "is_honoree": invitation.is_honoree,
        "answered_at": invitation.answered_at.isoformat() if invitation.answered_at else None,
        "revoked": invitation.revoked_at is not None,
    }


def _list_of(data: dict, key: str, kind):
    value = data.get(key) or []
    if not isinstance(value, list) or not all(isinstance(v, kind) for v in value):
        return None
    return value


@bp.get("/events/<int:event_id>/invitations")
def list_invitations(event_id: int):
    """List the invitations of an event with their status.
    ---
    get:
      summary: List invitations
      tags: [invitations]
      parameters:
        - {name: event_id, in: path, required: true, schema: {type: integer}}
        - {name: status, in: query, schema: {type: string, enum: [pending, accepted, tentative, declined, waitlisted, revoked]}}
        - {name: q, in: query, description: name or e-mail, without diacritics if you like, schema: {type: string}}
        - {name: limit, in: query, schema: {type: integer, default: 500, maximum: 5000}}
        - {name: offset, in: query, schema: {type: integer, default: 0}}
      responses:
        200: {description: "{items: [invitation], counts: {status: n}}"}
        403: {description: No role in the event's association}
        404: {description: Unknown event}
    """
    event = load_event(event_id, Action.VIEW)
    limit = min(max(request.args.get("limit", 500, type=int) or 500, 1), 5000)
    offset = max(request.args.get("offset", 0, type=int) or 0, 0)
    query = services.invitation_query([event.id], status=request.args.get("status", ""), search=request.args.get("q", ""))
    rows = db.session.scalars(query.limit(limit).offset(offset)).unique()
    return {"items": [invitation_json(i) for i in rows], "counts": services.status_counts([event.id])}


@bp.post("/events/<int:event_id>/invitations")
def add_invitations(event_id: int):
    """Add invitees by filters (combined with AND), contact ids or e-mail addresses.
    ---
    post:
      summary: Add invitees
      tags: [invitations]
      parameters:
        - {name: event_id, in: path, required: true, schema: {type: integer}}
      requestBody:
        required: true
        content:
          application/json:
            schema:
              type: object
              properties:
                association_id: {type: integer}
                include_branches: {type: boolean, default: true}
                tags: {type: array, items: {type: string}}
                country: {type: string}
                language: {type: string, enum: [vi, en]}
                contact_ids: {type: array, items: {type: integer}}
                emails: {type: array, items: {type: string}}
      responses:
        201: {description: "{added, already_invited, opted_out, archived, unknown_emails, honorees}"}
        400: {description: Invalid body or no criteria}
        403: {description: Not an organiser of the event's association}
    """
    event = load_event(event_id, Action.MANAGE)
    data = json_body()
    tags, ids, emails = _list_of(data, "tags", str), _list_of(data, "contact_ids", int), _list_of(data, "emails", str)
    association_id = data.get("association_id")
    if tags is None or ids is None or emails is None or (association_id is not None and not isinstance(association_id, int)):
        return api_error(400, "invalid_criteria", "tags, contact_ids and emails are lists; association_id an integer.")
    if association_id:
        authorize(Action.VIEW, association_id)
    criteria = services.Criteria(
        association_id=association_id, include_branches=bool(data.get("include_branches", True)), tags=tags,
        country=str(data.get("country") or ""), language=str(data.get("language") or ""), contact_ids=ids,
        emails=[e.strip().lower() for e in emails],
    )
    if criteria.is_empty:
        return api_error(400, "no_criteria", "Give at least one filter, contact id or e-mail address.")
    try:
        result = services.add_invitees(event, criteria, user=current_user)
    except services.InvitationError as error:
        db.session.rollback()
        return api_error(409, "not_allowed", str(error.message))
    db.session.commit()
    return result.as_dict(), 201


@bp.post("/events/<int:event_id>/invitations/send")
def send_invitations(event_id: int):
    """Queue the invitation e-mail of every pending invitee not mailed for the current version of the event.
    ---
    post:
      summary: Send invitations
      tags: [invitations]
      parameters:
        - {name: event_id, in: path, required: true, schema: {type: integer}}
      responses:
        202: {description: "{send_id, queued, progress_url}"}
        409: {description: The event is cancelled or over}
    """
    event = load_event(event_id, Action.MANAGE)
    try:
        send_id, queued = services.send_invitations(event.id)
    except services.InvitationError as error:
        db.session.rollback()
        return api_error(409, "not_allowed", str(error.message))
    db.session.commit()
    return {"send_id": send_id, "queued": queued,
            "progress_url": f"/api/v1/events/{event.id}/invitations/sends/{send_id}"}, 202


@bp.get("/events/<int:event_id>/invitations/sends/<send_id>")
def send_progress(event_id: int, send_id: str):
    """Progress of a send: messages by outbox state.
    ---
    get:
      summary: Progress of a send
      tags: [invitations]
      parameters:
        - {name: event_id, in: path, required: true, schema: {type: integer}}
        - {name: send_id, in: path, required: true, schema: {type: string}}
      responses:
        200: {description: "{queued, sending, sent, failed, total}"}
        404: {description: No such send for this event}
    """
    event = load_event(event_id, Action.VIEW)
    found = db.session.scalar(select(OutboxMessage.id).where(OutboxMessage.send_id == send_id,
                                                             OutboxMessage.event_id == event.id).limit(1))
    if found is None:
        return api_error(404, "unknown_send", "No such send for this event.")
    return services.send_progress(send_id)
