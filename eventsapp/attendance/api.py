"""API: check-in by QR token, walk-ins, looking up a scanned code, undo, attendance counts and the list of
check-ins of an event."""
from __future__ import annotations

from flask import request
from flask_login import current_user

from ..api import api_error, bp, json_body
from ..api.resources import Extended, load, operation, page_of
from ..contacts.models import Contact
from ..events.access import load_event, load_of_event
from ..extensions import db
from ..i18n import gettext as _
from ..invitations.models import Invitation
from ..permissions import Action
from . import reports, schemas, services
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


@bp.get("/events/<int:event_id>/attendance")
@operation(tags=["attendance"], responses={
    200: ("counts: the door's counters; totals: the report's (invited, answered, attended, no_shows, "
          "attendance_rate …); by_country; by_language", schemas.Attendance),
    403: "No role in the event's association", 404: "Unknown event"})
def attendance_counts(event_id: int):
    """Attendance figures of an event: the door's counters and the report's totals."""
    event = load_event(event_id, (Action.VIEW, Action.CHECKIN))  # figures only: the door may read them
    report = reports.build([event]).as_dict()
    return {"counts": services.counters(event), "totals": report["totals"],
            "by_country": report["by_country"], "by_language": report["by_language"]}


@bp.get("/events/<int:event_id>/attendance/checkins")
@operation(tags=["attendance"], responses={200: ("The active check-ins", page_of(schemas.CheckIn)),
                                           403: "No role in the event's association", 404: "Unknown event"})
def list_check_ins(event_id: int):
    """The active check-ins of an event, earliest first."""
    event = load_event(event_id, Action.VIEW)
    return {"items": services.check_ins(event)}


def _checked_in(check_in):
    """Run a check-in service call and answer as the API does: 201 with the check-in, 409 with the
    existing one when the person is already in, 422 with the reason otherwise (nothing committed)."""
    try:
        row = check_in()
    except services.AlreadyCheckedIn as error:
        db.session.rollback()
        return api_error(409, "already_checked_in", str(error), check_in=schemas.CheckIn().dump(error.existing))
    except services.CheckInError as error:
        db.session.rollback()
        return api_error(422, "invalid", str(error))
    db.session.commit()
    return row, 201


CHECKED_IN = {201: ("The check-in", schemas.CheckIn), 403: "No check-in role in the event's association",
              409: "Already checked in; error.check_in says when and by whom"}


@bp.post("/events/<int:event_id>/attendance/checkins")
@operation(tags=["attendance"], body=schemas.CheckInRequest, example={
    "token": "http://127.0.0.1:5000/c/<checkin token>", "guests": 0}, responses=CHECKED_IN | {
    404: "Unknown event", 422: "Unknown token, another event's invitation, or bad guests"})
def create_check_in(event_id: int):
    """Check in the invitee whose QR code was scanned (the /c/<token> link or the bare token)."""
    event = load_event(event_id, Action.CHECKIN)
    data = load(schemas.CheckInRequest(), json_body())
    scanned = data.get("token")
    guest = services.guest_by_token(services.token_from_scan(scanned)) if isinstance(scanned, str) \
        and len(scanned) <= 500 else None
    if guest is not None and guest.event_id == event.id:  # a named guest's or member's own code
        return _checked_in(lambda: services.check_in_guest(event, guest, by=current_user))
    invitation = _scanned_invitation(event, scanned)
    if not isinstance(invitation, Invitation):
        return invitation
    return _checked_in(lambda: services.check_in_invitation(invitation, by=current_user, guests=data.get("guests")))


@bp.post("/events/<int:event_id>/attendance/checkins/<int:checkin_id>/undo")
@operation(tags=["attendance"], responses={
    200: ("The undone check-in", schemas.CheckIn), 403: "No check-in role in the event's association",
    404: "Unknown event or check-in", 409: "Already undone"})
def undo_check_in(event_id: int, checkin_id: int):
    """Undo a mistaken check-in; the person can be checked in again."""
    event = load_event(event_id, Action.CHECKIN)
    row = load_of_event(CheckIn, checkin_id, event)
    try:
        services.undo(row, by=current_user)
    except services.CheckInError as error:
        db.session.rollback()
        return api_error(409, "already_undone", str(error))
    db.session.commit()
    return row


@bp.post("/events/<int:event_id>/attendance/walk-ins")
@operation(tags=["attendance"], body=schemas.WalkIn, example={
    "full_name": "Phạm Văn Đức", "email": "duc@example.vn", "guests": 1}, responses=CHECKED_IN | {
    400: "Bad values (error.fields)", 404: "Unknown event, or a contact the door may not see",
    422: "No name for a new walk-in, or an invalid e-mail"})
def create_walk_in(event_id: int):
    """Check in someone who came without an invitation, as the door page does: a known contact
    (`contact_id`, on the event's association's rolls) or a new one (`full_name`, optional `email`;
    without one a placeholder address that is never mailed). Someone invited after all is checked in
    on their invitation."""
    event = load_event(event_id, Action.CHECKIN)
    data = load(schemas.WalkIn(), json_body())
    contact = None
    if data.get("contact_id") is not None:
        contact = db.session.get(Contact, data["contact_id"])
        if contact is None or not services.search_scope_allows(event, contact):
            return api_error(404, "not_found", _("No such contact."))
    return _checked_in(lambda: services.register_walk_in(
        event, by=current_user, contact=contact, full_name=data.get("full_name", ""), email=data.get("email", ""),
        guests=data["guests"] or 0))


@bp.get("/events/<int:event_id>/attendance/scan")
@operation(tags=["attendance"], query=schemas.ScanQuery, responses={
    200: ("The event, invitation, person and active check-in (or null)", schemas.ScannedCode),
    403: "No check-in role in the event's association", 404: "Unknown event",
    422: "Unknown code, or a code of another event (which is not named)"})
def look_up_code(event_id: int):
    """Whose code was scanned (the /c/<token> link or the bare token), for the staff of this event's door:
    the person, their answer and whether they are in. Nothing is recorded."""
    event = load_event(event_id, Action.CHECKIN)
    invitation = _scanned_invitation(event, load(schemas.ScanQuery(), request.args)["token"])
    if not isinstance(invitation, Invitation):
        return invitation
    return Extended(invitation, check_in=services.active_check_in(event.id, invitation.contact_id))
