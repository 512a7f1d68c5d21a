"""API: an event's registrations (confirmed ones, with their answers) and an organiser's decision on one, by the
services the registration page uses (same e-mail to the person, same audit entry)."""
from __future__ import annotations

from flask import request

from ..api import api_error, bp, json_body
from ..api.resources import Extended, load, operation, page_of
from ..events.access import load_event, load_of_event
from ..extensions import db
from ..i18n import gettext as _
from ..invitations.services import InvitationError
from ..permissions import Action
from ..questions import answers
from ..questions import services as questions
from . import schemas, services
from .models import Registration, RegistrationState


def _with_answers(registrations: list[Registration]) -> list[Extended]:
    """Each registration with its answers typed by their question (a question removed since is left out)."""
    asked = {str(q.id): q for q in questions.event_questions(registrations[0].event_id)} if registrations else {}
    return [Extended(r, answer_items=[{"question_id": int(key), "value": answers.typed(asked[key], value)}
                                      for key, value in (r.answers or {}).items() if key in asked])
            for r in registrations]


def _registration(event_id: int, registration_id: int, action: Action) -> Registration | None:
    """The event's confirmed registration, or 404 (one not yet confirmed by its link is nobody's business)."""
    registration = load_of_event(Registration, registration_id, load_event(event_id, action))
    if registration.state == RegistrationState.UNCONFIRMED:
        return None
    return registration


def _not_found():
    return api_error(404, "not_found", _("No such registration for this event."))


@bp.get("/events/<int:event_id>/registrations")
@operation(tags=["registration"], query=schemas.RegistrationQuery, responses={
    200: ("The event's confirmed registrations, those waiting for a decision first (at most 500)",
          page_of(schemas.Registration)),
    403: "No role in the event's association", 404: "Unknown event"})
def list_registrations(event_id: int):
    """List an event's registrations (`state`: pending, accepted or declined) with their answers."""
    event = load_event(event_id, Action.VIEW)
    state = load(schemas.RegistrationQuery(), request.args).get("state")
    return {"items": _with_answers(services.registrations(event.id, RegistrationState(state) if state else None))}


@bp.get("/events/<int:event_id>/registrations/<int:registration_id>")
@operation(tags=["registration"], responses={200: ("The registration", schemas.Registration),
                                             403: "No role in the event's association",
                                             404: "Unknown event, or no such confirmed registration for it"})
def get_registration(event_id: int, registration_id: int):
    """Read one registration with its answers."""
    registration = _registration(event_id, registration_id, Action.VIEW)
    if registration is None:
        return _not_found()
    return _with_answers([registration])[0]


def _decide(event_id: int, registration_id: int, accept: bool):
    registration = _registration(event_id, registration_id, Action.MANAGE)
    if registration is None:
        return _not_found()
    message = load(schemas.Decision(), json_body() if request.content_length else {})["message"].strip()
    try:
        services.decide(registration, accept, message)
    except (services.RegistrationError, InvitationError) as error:
        db.session.rollback()
        return api_error(409, "refused", error.message)
    db.session.commit()
    return _with_answers([registration])[0]


DECISION = {200: ("The registration as decided", schemas.Registration), 400: "A message that is not plain text",
            403: "May not manage the event's association", 404: "Unknown event, or no such confirmed registration",
            409: "Not waiting for a decision (already decided), or the event no longer takes answers"}


@bp.post("/events/<int:event_id>/registrations/<int:registration_id>/approve")
@operation(tags=["registration"], body=schemas.Decision, example={"message": "Kính mời Quý vị đến đúng giờ."},
           responses=DECISION)
def approve_registration(event_id: int, registration_id: int):
    """Approve a registration waiting for it: the person becomes an accepted invitee (waitlisted when the seats are
    taken) and gets their answer page and check-in code; the message, if any, goes to them by e-mail."""
    return _decide(event_id, registration_id, True)


@bp.post("/events/<int:event_id>/registrations/<int:registration_id>/decline")
@operation(tags=["registration"], body=schemas.Decision, example={"message": "Rất tiếc hội trường đã kín chỗ."},
           responses=DECISION)
def decline_registration(event_id: int, registration_id: int):
    """Decline a registration waiting for it; the person is told by e-mail, with the message."""
    return _decide(event_id, registration_id, False)
