"""API: the invitees of an event (with their invitation e-mail's state), sending their invitations, the
progress of a send, and answers recorded by organisers."""
from __future__ import annotations

from flask import request
from flask_login import current_user
from marshmallow import fields

from .. import links
from ..api import api_error, bp, json_body
from ..api.resources import Extended, load, operation, page_of
from ..events.access import load_event
from ..extensions import db
from ..i18n import gettext as _
from ..mail import schemas as mail_schemas
from ..mail.api import check_send_of_event
from ..mail.models import MessageKind
from ..permissions import Action, authorize, can
from . import schemas, services
from .models import Invitation, InvitationStatus


def _items(event, invitations) -> list[Extended]:
    """The invitations of `event` with their invitation e-mail's state (two queries), and for organisers the
    invitee's RSVP link and personal calendar feed."""
    invitations = list(invitations)
    mails = services.last_messages([i.id for i in invitations], kinds=(MessageKind.INVITATION,))
    organiser = can(current_user, Action.MANAGE, event.association_id)
    return [Extended(i, mail=mails.get(i.id), **({
        "rsvp_url": links.rsvp_url(i), "personal_feed_url": links.personal_feed_url(i.contact)} if organiser else {}))
        for i in invitations]


@bp.get("/events/<int:event_id>/invitations")
@operation(tags=["invitations"], query=schemas.InvitationQuery, responses={
    200: ("The invitations (each with its invitation e-mail's state in `mail`; for organisers its rsvp_url and "
          "personal_feed_url) and the counts by status",
          page_of(schemas.Invitation, counts=fields.Dict(keys=fields.String(), values=fields.Integer(), required=True))),
    403: "No role in the event's association", 404: "Unknown event"})
def list_invitations(event_id: int):
    """List the invitations of an event with their status."""
    event = load_event(event_id, Action.VIEW)
    args = load(schemas.InvitationQuery(), request.args)
    query = services.invitation_query([event.id], status=args.get("status", ""), search=args.get("q", ""))
    rows = db.session.scalars(query.limit(args["limit"]).offset(args["offset"])).unique()
    return {"items": _items(event, rows), "counts": services.status_counts([event.id])}


@bp.post("/events/<int:event_id>/invitations")
@operation(tags=["invitations"], body=schemas.Invitees, example={"emails": ["lan@example.vn"], "tags": [],
                                                                  "contact_ids": []}, responses={
    201: ("Counts: added, already_invited, opted_out, archived, no_address, unknown_emails, honorees",
          schemas.InviteesAdded),
    400: "Invalid body or no criteria", 403: "Not an organiser of the event's association",
    409: "The event no longer takes invitees (cancelled or over)"})
def add_invitations(event_id: int):
    """Add invitees by filters (combined with AND), contact ids or e-mail addresses."""
    event = load_event(event_id, Action.MANAGE)
    data = load(schemas.Invitees(), json_body())
    association_id = data.get("association_id")
    if association_id:
        authorize(Action.VIEW, association_id)
    criteria = services.Criteria(
        association_id=association_id, include_branches=data["include_branches"], tags=data["tags"] or [],
        country=data["country"], language=data["language"], contact_ids=data["contact_ids"] or [],
        emails=[e.strip().lower() for e in data["emails"] or []],
    )
    if criteria.is_empty:
        return api_error(400, "no_criteria", _("Give at least one filter, contact id or e-mail address."))
    try:
        result = services.add_invitees(event, criteria, user=current_user)
    except services.InvitationError as error:
        db.session.rollback()
        return api_error(409, "not_allowed", str(error.message))
    db.session.commit()
    return result, 201


@bp.post("/events/<int:event_id>/invitations/send")
@operation(tags=["invitations"], body=schemas.SendRequest, responses={
    202: ("The send's id, the messages queued and where to follow it", schemas.SendQueued),
    400: "not_before is not a time with an offset, or local_time is not a time of day (HH:MM)",
    409: "The event is cancelled or over, not_before is past or after the start, both not_before and "
         "local_time are given, or the send would finish after the start at the provider's limits "
         "(code would_finish_late, with finishes_at)"})
def send_invitations(event_id: int):
    """Queue the invitation e-mail of every pending invitee not mailed for the current version of the event."""
    event = load_event(event_id, Action.MANAGE)
    body = request.get_json(silent=True) if request.content_length else None
    when = load(schemas.SendRequest(), body if isinstance(body, dict) else {})
    try:
        send_id, queued = services.send_invitations(event.id, not_before=when.get("not_before"),
                                                    local_time=when.get("local_time"),
                                                    accept_late=when.get("accept_late", False))
    except services.InvitationError as error:
        db.session.rollback()
        return api_error(409, "not_allowed", str(error.message))
    except services.SendWouldFinishLate as late:
        db.session.rollback()
        return api_error(409, "would_finish_late", _(
            "At the mail provider's sending limits this send would only finish %(when)s, after the event starts; "
            "send it with accept_late to send it all the same.", when=late.finishes_at.isoformat()),
            finishes_at=late.finishes_at.isoformat())
    db.session.commit()
    return {"send_id": send_id, "queued": queued,
            "progress_url": f"/api/v1/events/{event.id}/invitations/sends/{send_id}"}, 202


@bp.get("/events/<int:event_id>/invitations/sends/<send_id>")
@operation(tags=["invitations"], responses={
    200: ("Messages by state: queued, sending, sent, failed, total", mail_schemas.Progress),
    404: "No such send for this event"})
def send_progress(event_id: int, send_id: str):
    """Progress of a send: messages by outbox state."""
    check_send_of_event(event_id, send_id)
    return services.send_progress(send_id)


@bp.post("/events/<int:event_id>/invitations/<int:invitation_id>/answer")
@operation(tags=["invitations"], body=schemas.Answer, example={
    "status": "accepted", "guests": 1, "comment": "Trả lời qua điện thoại"}, responses={
    200: ("The invitation; status is waitlisted when the event was full", schemas.Invitation),
    400: "Bad status, guests or comment (error.fields)", 403: "Not an organiser of the event's association",
    404: "Unknown event, or no such invitation to it",
    409: "Answers are closed (cancelled, past, deadline) or the invitation is revoked"})
def record_answer(event_id: int, invitation_id: int):
    """Record an invitee's answer taken by an organiser (by phone, in person), by the RSVP page's rules:
    capacity (a full event waitlists an acceptance), freed seats promote waiters, a confirmation e-mail."""
    event = load_event(event_id, Action.MANAGE)
    invitation = db.session.get(Invitation, invitation_id)
    if invitation is None or invitation.event_id != event.id:
        return api_error(404, "not_found", _("No such invitation to this event."))
    answer = load(schemas.Answer(max_guests=event.max_guests), json_body())
    try:
        answered = services.record_answer(invitation, InvitationStatus(answer["status"]), source=answer["source"],
                                          by=current_user, guests=answer["guests"], comment=answer["comment"])
    except services.InvitationError as error:
        db.session.rollback()
        return api_error(409, "answer_refused", str(error.message))
    db.session.commit()
    return _items(event, [answered])[0]
