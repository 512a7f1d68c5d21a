"""API: an event's questions, their summary, and an invitee's answers recorded by staff."""
from __future__ import annotations

from ..api import api_error, bp, json_body
from ..api.resources import Extended, load, operation, page_of, refuse
from ..events.access import load_event, load_of_event
from ..extensions import db
from ..i18n import current_locale
from ..invitations.models import Invitation
from ..permissions import Action
from . import schemas, services
from .models import Audience, Question, QuestionKind


def _values(data: dict, base: services.QuestionValues | None = None) -> services.QuestionValues:
    values = base or services.QuestionValues(kind=QuestionKind(data["kind"]), text_vi="")
    for name in ("text_vi", "text_en", "required", "for_invitees", "for_guests", "for_members", "deadline"):
        if name in data:
            setattr(values, name, data[name])
    if "kind" in data:
        values.kind = QuestionKind(data["kind"])
    if "options" in data:
        values.options = [(option["vi"], option["en"]) for option in data["options"] or []]
    return values


def _base(question: Question) -> services.QuestionValues:
    return services.QuestionValues(
        kind=question.kind, text_vi=question.text_vi, text_en=question.text_en,
        options=[(option["vi"], option["en"]) for option in question.options or []], required=question.required,
        for_invitees=question.for_invitees, for_guests=question.for_guests, for_members=question.for_members,
        deadline=question.deadline)


def _refused(error: services.QuestionError):
    db.session.rollback()
    return api_error(400, "invalid_question", error.message)


@bp.get("/events/<int:event_id>/questions")
@operation(tags=["questions"], responses={200: ("The questions in order", page_of(schemas.Question)),
                                          403: "No role in the event's association", 404: "Unknown event"})
def list_questions(event_id: int):
    """List an event's questions."""
    event = load_event(event_id)
    return {"items": services.event_questions(event.id)}


@bp.post("/events/<int:event_id>/questions")
@operation(tags=["questions"], body=schemas.Question, example={
    "kind": "choice", "text_vi": "Quý vị dùng món gì?", "text_en": "Which meal?",
    "options": [{"vi": "Món chay", "en": "Vegetarian"}, {"vi": "Món mặn", "en": "Regular"}], "required": True},
    responses={201: ("The new question", schemas.Question), 400: "Invalid values, or already 10 questions",
               403: "May not manage the event's association", 404: "Unknown event"})
def create_question(event_id: int):
    """Add a question at the end of an event's questions (at most 10)."""
    event = load_event(event_id, Action.MANAGE)
    data = load(schemas.Question(), json_body())
    try:
        question = services.create_question(event, _values(data))
        if data.get("position"):
            services.place_question(question, data["position"])
    except services.QuestionError as error:
        return _refused(error)
    db.session.commit()
    return question, 201


def _question(event_id: int, question_id: int) -> Question:
    event = load_event(event_id, Action.MANAGE)
    return load_of_event(Question, question_id, event)


@bp.patch("/events/<int:event_id>/questions/<int:question_id>")
@operation(tags=["questions"], body=schemas.Question(partial=True), responses={
    200: ("The changed question", schemas.Question), 400: "Invalid values",
    403: "May not manage the event's association", 404: "Unknown event or question"})
def update_question(event_id: int, question_id: int):
    """Change a question; fields left out keep their value (`position` moves it). A new kind drops its answers."""
    question = _question(event_id, question_id)
    data = load(schemas.Question(partial=True), json_body())
    try:
        services.update_question(question, _values(data, _base(question)))
        if data.get("position"):
            services.place_question(question, data["position"])
    except services.QuestionError as error:
        return _refused(error)
    db.session.commit()
    return question


@bp.delete("/events/<int:event_id>/questions/<int:question_id>")
@operation(tags=["questions"], responses={204: "Removed", 403: "May not manage the event's association",
                                          404: "Unknown event or question"})
def delete_question(event_id: int, question_id: int):
    """Remove a question and its answers."""
    services.remove_question(_question(event_id, question_id))
    db.session.commit()
    return "", 204


@bp.get("/events/<int:event_id>/questions/summary")
@operation(tags=["questions"], responses={200: ("Each question's answers counted", page_of(schemas.QuestionSummary)),
                                          403: "No role in the event's association", 404: "Unknown event"})
def question_summary(event_id: int):
    """Count the answers to each question (e.g. 37 vegetarian meals among the people coming)."""
    event = load_event(event_id)
    locale = current_locale()
    return {"items": [Extended(summary, text=summary.question.text(locale), lines=[
        {"answer": label, "coming": coming, "everyone": everyone} for label, coming, everyone in summary.lines])
        for summary in services.summaries(event.id, locale)]}


def _answers(invitation: Invitation) -> dict:
    return {"answers": services.typed_answers(invitation.event_id,
                                              services.stored(services.Person(invitation_id=invitation.id)))}


def _invitation(event_id: int, invitation_id: int, action: Action) -> Invitation:
    event = load_event(event_id, action)
    return load_of_event(Invitation, invitation_id, event)


@bp.get("/events/<int:event_id>/invitations/<int:invitation_id>/answers")
@operation(tags=["questions"], responses={200: ("The invitee's answers", schemas.Answers),
                                          403: "No role in the event's association",
                                          404: "Unknown event, or no such invitation to it"})
def get_answers(event_id: int, invitation_id: int):
    """An invitee's answers to the event's questions."""
    return _answers(_invitation(event_id, invitation_id, Action.VIEW))


@bp.put("/events/<int:event_id>/invitations/<int:invitation_id>/answers")
@operation(tags=["questions"], body=schemas.Answers, example={"answers": [{"question_id": 1, "value": 2}]},
           responses={200: ("The invitee's answers", schemas.Answers),
                      400: "A value does not fit its question (error.fields names the question ids)",
                      403: "May not manage the event's association",
                      404: "Unknown event, or no such invitation to it"})
def set_answers(event_id: int, invitation_id: int):
    """Record an invitee's answers taken by staff (by phone, in person); questions left out keep their answer."""
    invitation = _invitation(event_id, invitation_id, Action.MANAGE)
    data = load(schemas.Answers(), json_body())
    sent = {item["question_id"]: item["value"] for item in data["answers"]}
    errors = services.record_values(invitation.event_id, Audience.INVITEE, services.Person(invitation_id=invitation.id),
                                    sent, staff=True)
    if errors:
        db.session.rollback()
        refuse({f"answers.{key}": message for key, message in errors.items()})
    db.session.commit()
    return _answers(invitation)
