"""API: the invitees of an event (with their invitation e-mail's state), sending their invitations, the
progress of a send, and answers recorded by organisers."""
from __future__ import annotations

from datetime import datetime

from flask import request
from flask_login import current_user

from .. import links, validation
from ..api import api_error, bp, json_body
from ..api_helpers import Fields
from ..events.access import load_event
from ..extensions import db
from ..i18n import gettext as _
from ..mail.api import check_send_of_event
from ..mail.models import MessageKind, MessageState, OutboxMessage
from ..permissions import Action, authorize, can
from . import services
from .models import Invitation, InvitationStatus


def invitation_json(invitation, mail: OutboxMessage | None = None, organiser: bool = False) -> dict:
    """An invitation; `mail` (its latest invitation e-mail) gives its sending state, and for organisers the
    invitee's RSVP link and personal calendar feed are added (both are keys to the invitee's answers)."""
    body = {
        "id": invitation.id, "contact_id": invitation.contact_id, "email": invitation.contact.email,
        "full_name": invitation.contact.full_name, "status": invitation.status.value, "guests": invitation.guests,
        "comment": invitation.comment, "is_honoree": invitation.is_honoree,
        "answered_at": invitation.answered_at.isoformat() if invitation.answered_at else None,
        "revoked": invitation.revoked_at is not None,
        "mail": None if mail is None else {
            "state": mail.state.value, "delivered": mail.state == MessageState.SENT, "attempts": mail.attempts,
            "last_error": mail.last_error, "sent_at": mail.sent_at.isoformat() if mail.sent_at else None},
    }
    if organiser:
        body["rsvp_url"] = links.rsvp_url(invitation)
        body["personal_feed_url"] = links.personal_feed_url(invitation.contact)
    return body


def _items(event, invitations) -> list[dict]:
    """The invitations of `event` as JSON, with their invitation e-mail's state, in two queries."""
    invitations = list(invitations)
    mails = services.last_messages([i.id for i in invitations], kinds=(MessageKind.INVITATION,))
    organiser = can(current_user, Action.MANAGE, event.association_id)
    return [invitation_json(i, mails.get(i.id), organiser) for i in invitations]


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
        - {name: q, in: query, description: "name or e-mail, without diacritics if you like", schema: {type: string}}
        - {name: limit, in: query, schema: {type: integer, default: 500, maximum: 5000}}
        - {name: offset, in: query, schema: {type: integer, default: 0}}
      responses:
        200: {description: "The invitations (each with its invitation e-mail's state in `mail`; for organisers its
          rsvp_url and personal_feed_url) and the counts by status", schema: InvitationPage}
        403: {description: No role in the event's association}
        404: {description: Unknown event}
    """
    event = load_event(event_id, Action.VIEW)
    limit = min(max(request.args.get("limit", 500, type=int) or 500, 1), 5000)
    offset = min(max(request.args.get("offset", 0, type=int) or 0, 0), validation.INT_MAX)
    query = services.invitation_query([event.id], status=request.args.get("status", ""), search=request.args.get("q", ""))
    rows = db.session.scalars(query.limit(limit).offset(offset)).unique()
    return {"items": _items(event, rows), "counts": services.status_counts([event.id])}


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
            example: {emails: ["lan@example.vn"], tags: [], contact_ids: []}
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
        201: {description: "Counts: added, already_invited, opted_out, archived, no_address, unknown_emails, honorees", schema: InviteesAdded}
        400: {description: Invalid body or no criteria}
        403: {description: Not an organiser of the event's association}
        409: {description: The event no longer takes invitees (cancelled or over)}
    """
    event = load_event(event_id, Action.MANAGE)
    data = json_body()
    tags, ids, emails = _list_of(data, "tags", str), _list_of(data, "contact_ids", int), _list_of(data, "emails", str)
    association_id = data.get("association_id")
    if tags is None or ids is None or emails is None or (association_id is not None and not isinstance(association_id, int)):
        return api_error(400, "invalid_criteria", _("tags, contact_ids and emails are lists; association_id an integer."))
    fields = Fields()
    for contact_id in ids:
        fields.check("contact_ids", validation.identifier, contact_id)
    if association_id is not None:
        fields.check("association_id", validation.identifier, association_id)
    for email in emails:
        fields.check("emails", validation.text, email, max_length=254)
    for tag in tags:
        fields.check("tags", validation.text, tag, max_length=60)
    for key, max_length in (("country", 100), ("language", 5)):
        fields.check(key, validation.text, data.get(key) or "", max_length=max_length)
    fields.done()
    if association_id:
        authorize(Action.VIEW, association_id)
    criteria = services.Criteria(
        association_id=association_id, include_branches=bool(data.get("include_branches", True)), tags=tags,
        country=str(data.get("country") or ""), language=str(data.get("language") or ""), contact_ids=ids,
        emails=[e.strip().lower() for e in emails],
    )
    if criteria.is_empty:
        return api_error(400, "no_criteria", _("Give at least one filter, contact id or e-mail address."))
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
      requestBody:
        required: false
        content:
          application/json:
            schema: {type: object, properties: {not_before: {type: string, format: date-time,
                     description: "start sending then (ISO 8601 with offset); the rows wait in the outbox"}}}
      responses:
        202: {description: "The send's id, the messages queued and where to follow it", schema: SendQueued}
        400: {description: not_before is not a time with an offset}
        409: {description: "The event is cancelled or over, or not_before is past or after the start"}
    """
    event = load_event(event_id, Action.MANAGE)
    body = request.get_json(silent=True) if request.content_length else None
    not_before = None
    if isinstance(body, dict) and body.get("not_before") is not None:
        try:
            not_before = datetime.fromisoformat(str(body["not_before"]))
        except ValueError:
            not_before = None
        if not_before is None or not_before.tzinfo is None:
            message = _("not_before must be an ISO 8601 time with its offset.")
            return api_error(400, "invalid", message, fields={"not_before": message})
    try:
        send_id, queued = services.send_invitations(event.id, not_before=not_before)
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
        200: {description: "Messages by state: queued, sending, sent, failed, total", schema: SendProgress}
        404: {description: No such send for this event}
    """
    check_send_of_event(event_id, send_id)
    return services.send_progress(send_id)


@bp.post("/events/<int:event_id>/invitations/<int:invitation_id>/answer")
def record_answer(event_id: int, invitation_id: int):
    """Record an invitee's answer taken by an organiser (by phone, in person), by the RSVP page's rules:
    capacity (a full event waitlists an acceptance), freed seats promote waiters, a confirmation e-mail.
    ---
    post:
      summary: Record an answer for an invitee
      tags: [invitations]
      parameters:
        - {name: event_id, in: path, required: true, schema: {type: integer}}
        - {name: invitation_id, in: path, required: true, schema: {type: integer}}
      requestBody:
        required: true
        content:
          application/json:
            example: {status: accepted, guests: 1, comment: "Trả lời qua điện thoại"}
            schema:
              type: object
              required: [status]
              properties:
                status: {type: string, enum: [accepted, tentative, declined]}
                guests: {type: integer, minimum: 0, maximum: 20, default: 0, description: "with accepted; at most the event's max_guests"}
                comment: {type: string, maxLength: 2000}
      responses:
        200: {description: "The invitation; status is waitlisted when the event was full", schema: Invitation}
        400: {description: "Bad status, guests or comment (error.fields)"}
        403: {description: Not an organiser of the event's association}
        404: {description: "Unknown event, or no such invitation to it"}
        409: {description: "Answers are closed (cancelled, past, deadline) or the invitation is revoked"}
    """
    event = load_event(event_id, Action.MANAGE)
    invitation = db.session.get(Invitation, invitation_id)
    if invitation is None or invitation.event_id != event.id:
        return api_error(404, "not_found", _("No such invitation to this event."))
    data = json_body()
    fields = Fields()
    if data.get("status") not in {s.value for s in services.ANSWERS}:
        fields.refuse("status", _("Choose accepted, tentative or declined."))
    guests = fields.check("guests", validation.integer, data.get("guests", 0) or 0, minimum=0,
                          maximum=event.max_guests) or 0
    comment = fields.check("comment", validation.text, data.get("comment", ""), max_length=2000, multiline=True)
    fields.done()
    try:
        answered = services.answer(invitation, InvitationStatus(data["status"]), guests, comment or "")
    except services.InvitationError as error:
        db.session.rollback()
        return api_error(409, "answer_refused", str(error.message))
    db.session.commit()
    return _items(event, [answered])[0]
