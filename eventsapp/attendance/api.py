"""API: check-in by QR token, undo, attendance counts and the list of check-ins of an event."""
from __future__ import annotations

from flask import abort
from flask_login import current_user

from ..api import api_error, bp, json_body
from ..events.access import load_event
from ..extensions import db
from ..permissions import Action, can
from . import reports, services
from .models import CheckIn


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
          description: "{counts: {expected, expected_guests, checked_in, checked_in_guests, walk_ins, …},
            totals: {invited, answered, accepted, attended, walk_ins, no_shows, attendance_rate, …},
            by_country: {…}, by_language: {…}}"
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
        200: {description: "{items: [check-in]}"}
        403: {description: No role in the event's association}
        404: {description: Unknown event}
    """
    event = load_event(event_id, Action.VIEW)
    return {"items": [check_in_json(row) for row in services.check_ins(event)]}


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
            schema:
              type: object
              required: [token]
              properties:
                token: {type: string, description: "check-in token or the scanned /c/<token> URL"}
                guests: {type: integer, description: "guests who came along (default: as answered)"}
      responses:
        201: {description: The check-in}
        403: {description: No check-in role in the event's association}
        404: {description: Unknown event}
        409: {description: "Already checked in; error.check_in says when and by whom"}
        422: {description: Unknown token, another event's invitation, or bad guests}
    """
    event = load_event(event_id, Action.CHECKIN)
    data = json_body()
    try:
        row = services.check_in_by_token(event, str(data.get("token") or ""), by=current_user,
                                         guests=data.get("guests"))
    except services.AlreadyCheckedIn as error:
        db.session.rollback()
        return api_error(409, "already_checked_in", str(error), check_in=check_in_json(error.existing))
    except services.CheckInError as error:
        db.session.rollback()
        return api_error(422, "invalid", str(error))
    db.session.commit()
    return check_in_json(row), 201


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
        200: {description: The undone check-in}
        403: {description: No check-in role in the event's association}
        404: {description: Unknown event or check-in}
        409: {description: Already undone}
    """
    event = load_event(event_id, Action.CHECKIN)
    row = db.session.get(CheckIn, checkin_id)
    if row is None or row.event_id != event.id:
        abort(404)
    try:
        services.undo(row, by=current_user)
    except services.CheckInError as error:
        db.session.rollback()
        return api_error(409, "already_undone", str(error))
    db.session.commit()
    return check_in_json(row)
