"""API: check-in by QR token, walk-ins, looking up a scanned code, undo, attendance counts and the list of
check-ins of an event."""
from __future__ import annotations

from flask import request
from flask_login import current_user

from .. import validation
from ..api import api_error, bp, json_body
from ..api_helpers import Fields
from ..contacts.models import Contact
from ..events.access import load_event, load_of_event
from ..extensions import db
from ..i18n import gettext as _
from ..invitations.models import Invitation
from ..permissions import Action, can
from . import reports, services
from .models import CheckIn


def _scanned_invitation(event, scanned):
    """The invitation of this event whose code was scanned, or the 422 to answer. A code of another
    event is refused without naming that event: the door staff may have no role there."""
    token = services.token_from_scan(scanned) if isinstance(scanned, str) and len(scanned) <= 500 else None
    invitation = services.invitation_by_token(token)
    if invitation is None:
        return api_error(422, "unknown_code", _("This code is not a valid invitation."), fields={"token": _(
            "This code is not a valid invitation.")})
    if invitation.event_id != event.id:
        return api_error(422, "other_event", _("This code is for another event."),
                         fields={"token": _("This code is for another event.")})
    return invitation


def check_in_json(row: CheckIn) -> dict:
    """A check-in; the contact's e-mail, country and language only for callers who may read the event
    (check-in staff get what the door needs: name, status, guests)."""
    invitation = row.invitation
    contact = {"id": row.contact.id, "full_name": row.contact.full_name}
    if can(current_user, Action.VIEW, row.event.association_id):
        contact.update(email=row.contact.email, country=row.contact.country, language=row.contact.language)
    return {
        "id": row.id,
        "event_id": row.event_id,
        "contact": contact,
        "invitation_id": invitation.id if invitation else None,
        "status": invitation.status.value if invitation else None,
        "is_honoree": bool(invitation and invitation.is_honoree),
        "guests": row.guests,
        "walk_in": row.walk_in,
        "checked_in_at": row.checked_in_at.isoformat(),
        "checked_in_by": services.staff_name(row.checked_in_by) if row.checked_in_by else None,
        "undone_at": row.undone_at.isoformat() if row.undone_at else None,
    }


@bp.get("/events/<int:event_id>/attendance")
def attendance_counts(event_id: int):
    """Attendance figures of an event: the door's counters and the report's totals.
    ---
    get:
      summary: Attendance counts of an event
      tags: [attendance]
      parameters:
        - {name: event_id, in: path, required: true, schema: {type: integer}}
      responses:
        200:
          description: "counts: expected, expected_guests, checked_in, checked_in_guests, walk_ins …;
            totals: invited, answered, accepted, attended, walk_ins, no_shows, attendance_rate …;
            by_country; by_language"
          schema: Attendance
        403: {description: No role in the event's association}
        404: {description: Unknown event}
    """
    event = load_event(event_id, (Action.VIEW, Action.CHECKIN))  # figures only: the door may read them
    report = reports.build([event]).as_dict()
    return {"counts": services.counters(event), "totals": report["totals"],
            "by_country": report["by_country"], "by_language": report["by_language"]}


@bp.get("/events/<int:event_id>/attendance/checkins")
def list_check_ins(event_id: int):
    """The active check-ins of an event, earliest first.
    ---
    get:
      summary: List check-ins
      tags: [attendance]
      parameters:
        - {name: event_id, in: path, required: true, schema: {type: integer}}
      responses:
        200: {description: The active check-ins, schema: [CheckIn]}
        403: {description: No role in the event's association}
        404: {description: Unknown event}
    """
    event = load_event(event_id, Action.VIEW)
    return {"items": [check_in_json(row) for row in services.check_ins(event)]}


def _checked_in(check_in):
    """Run a check-in service call and answer as the API does: 201 with the check-in, 409 with the
    existing one when the person is already in, 422 with the reason otherwise (nothing committed)."""
    try:
        row = check_in()
    except services.AlreadyCheckedIn as error:
        db.session.rollback()
        return api_error(409, "already_checked_in", str(error), check_in=check_in_json(error.existing))
    except services.CheckInError as error:
        db.session.rollback()
        return api_error(422, "invalid", str(error))
    db.session.commit()
    return check_in_json(row), 201


@bp.post("/events/<int:event_id>/attendance/checkins")
def create_check_in(event_id: int):
    """Check in the invitee whose QR code was scanned (the /c/<token> link or the bare token).
    ---
    post:
      summary: Check in by QR token
      tags: [attendance]
      parameters:
        - {name: event_id, in: path, required: true, schema: {type: integer}}
      requestBody:
        required: true
        content:
          application/json:
            example: {token: "http://127.0.0.1:5000/c/<checkin token>", guests: 0}
            schema:
              type: object
              required: [token]
              properties:
                token: {type: string, description: "check-in token or the scanned /c/<token> URL"}
                guests: {type: integer, description: "guests who came along (default: as answered)"}
      responses:
        201: {description: The check-in, schema: CheckIn}
        403: {description: No check-in role in the event's association}
        404: {description: Unknown event}
        409: {description: "Already checked in; error.check_in says when and by whom"}
        422: {description: "Unknown token, another event's invitation, or bad guests"}
    """
    event = load_event(event_id, Action.CHECKIN)
    data = json_body()
    invitation = _scanned_invitation(event, data.get("token"))
    if not isinstance(invitation, Invitation):
        return invitation
    return _checked_in(lambda: services.check_in_invitation(invitation, by=current_user, guests=data.get("guests")))


@bp.post("/events/<int:event_id>/attendance/checkins/<int:checkin_id>/undo")
def undo_check_in(event_id: int, checkin_id: int):
    """Undo a mistaken check-in; the person can be checked in again.
    ---
    post:
      summary: Undo a check-in
      tags: [attendance]
      parameters:
        - {name: event_id, in: path, required: true, schema: {type: integer}}
        - {name: checkin_id, in: path, required: true, schema: {type: integer}}
      responses:
        200: {description: The undone check-in, schema: CheckIn}
        403: {description: No check-in role in the event's association}
        404: {description: Unknown event or check-in}
        409: {description: Already undone}
    """
    event = load_event(event_id, Action.CHECKIN)
    row = load_of_event(CheckIn, checkin_id, event)
    try:
        services.undo(row, by=current_user)
    except services.CheckInError as error:
        db.session.rollback()
        return api_error(409, "already_undone", str(error))
    db.session.commit()
    return check_in_json(row)


def _contact_json(contact) -> dict:
    return {"id": contact.id, "full_name": contact.full_name, "email": contact.email,
            "country": contact.country, "language": contact.language}


@bp.post("/events/<int:event_id>/attendance/walk-ins")
def create_walk_in(event_id: int):
    """Check in someone who came without an invitation, as the door page does: a known contact
    (`contact_id`, on the event's association's rolls) or a new one (`full_name`, optional `email`;
    without one a placeholder address that is never mailed). Someone invited after all is checked in
    on their invitation.
    ---
    post:
      summary: Register a walk-in
      tags: [attendance]
      parameters:
        - {name: event_id, in: path, required: true, schema: {type: integer}}
      requestBody:
        required: true
        content:
          application/json:
            example: {full_name: "Phạm Văn Đức", email: "duc@example.vn", guests: 1}
            schema:
              type: object
              properties:
                contact_id: {type: integer, minimum: 1}
                full_name: {type: string, maxLength: 200}
                email: {type: string, maxLength: 254}
                guests: {type: integer, minimum: 0, maximum: 50, default: 0}
      responses:
        201: {description: The check-in, schema: CheckIn}
        400: {description: "Bad values (error.fields)"}
        403: {description: No check-in role in the event's association}
        404: {description: "Unknown event, or a contact the door may not see"}
        409: {description: "Already checked in; error.check_in says when and by whom"}
        422: {description: "No name for a new walk-in, or an invalid e-mail"}
    """
    event = load_event(event_id, Action.CHECKIN)
    data = json_body()
    fields = Fields()
    contact = None
    if data.get("contact_id") is not None:
        contact_id = fields.check("contact_id", validation.identifier, data["contact_id"])
        contact = db.session.get(Contact, contact_id) if contact_id else None
    full_name = fields.check("full_name", validation.text, data.get("full_name", ""), max_length=200) or ""
    email = fields.check("email", validation.text, data.get("email", ""), max_length=254) or ""
    guests = fields.check("guests", validation.integer, data.get("guests", 0) or 0, minimum=0,
                          maximum=services.MAX_GUESTS) or 0
    fields.done()
    if data.get("contact_id") is not None and (contact is None or not services.search_scope_allows(event, contact)):
        return api_error(404, "not_found", _("No such contact."))
    return _checked_in(lambda: services.register_walk_in(event, by=current_user, contact=contact, full_name=full_name,
                                                         email=email, guests=guests))


@bp.get("/events/<int:event_id>/attendance/scan")
def look_up_code(event_id: int):
    """Whose code was scanned (the /c/<token> link or the bare token), for the staff of this event's door:
    the person, their answer and whether they are in. Nothing is recorded.
    ---
    get:
      summary: Look up a scanned code
      tags: [attendance]
      parameters:
        - {name: event_id, in: path, required: true, schema: {type: integer}}
        - {name: token, in: query, required: true, schema: {type: string, maxLength: 500}}
      responses:
        200: {description: "The event, invitation, person and active check-in (or null)", schema: ScannedCode}
        403: {description: No check-in role in the event's association}
        404: {description: Unknown event}
        422: {description: "Unknown code, or a code of another event (which is not named)"}
    """
    event = load_event(event_id, Action.CHECKIN)
    invitation = _scanned_invitation(event, request.args.get("token", ""))
    if not isinstance(invitation, Invitation):
        return invitation
    active = services.active_check_in(event.id, invitation.contact_id)
    return {"event_id": event.id, "invitation_id": invitation.id, "status": invitation.status.value,
            "guests": invitation.guests, "is_honoree": invitation.is_honoree,
            "contact": _contact_json(invitation.contact),
            "check_in": check_in_json(active) if active else None}
