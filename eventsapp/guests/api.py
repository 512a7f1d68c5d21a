"""API: an invitation's named guests (read, and replaced by an organiser taking them by phone), and an
event's delegations with their members and the members' answers to the event's questions."""
from __future__ import annotations

from flask_login import current_user

from ..api import api_error, bp, json_body
from ..api.resources import Extended, load, operation, page_of, refuse
from ..events.access import load_event
from ..extensions import db
from ..i18n import gettext as _
from ..invitations.models import Invitation
from ..permissions import Action
from ..questions import services as questions
from ..questions.models import Audience
from . import schemas, services
from .models import Delegation, EventGuest


def _invitation(event, invitation_id: int):
    invitation = db.session.get(Invitation, invitation_id)
    if invitation is None or invitation.event_id != event.id:
        return None
    return invitation


def _named(invitation: Invitation) -> dict:
    return {"id": invitation.id, "guests": invitation.guests, "items": services.named_guests(invitation.id)}


def _refused(error: services.GuestError, status: int = 409):
    db.session.rollback()
    if error.fields:
        return api_error(400, "invalid", error.message, fields=error.fields)
    return api_error(status, "refused", error.message)


NAMED = {200: ("The invitation's named guests and its number of guests", schemas.NamedGuests),
         404: "Unknown event, or no such invitation to it"}


@bp.get("/events/<int:event_id>/invitations/<int:invitation_id>/guests")
@operation(tags=["guests"], responses=NAMED | {403: "No role in the event's association"})
def list_named_guests(event_id: int, invitation_id: int):
    """The guests an invitee has named."""
    event = load_event(event_id, Action.VIEW)
    invitation = _invitation(event, invitation_id)
    if invitation is None:
        return api_error(404, "not_found", _("No such invitation to this event."))
    return _named(invitation)


@bp.put("/events/<int:event_id>/invitations/<int:invitation_id>/guests")
@operation(tags=["guests"], body=schemas.GuestList, example={"guests": [
    {"full_name": "Trần Thị Bình", "honorific": "Bà"}, {"full_name": "Nguyễn Minh Châu"}]}, responses=NAMED | {
    400: "Bad values (error.fields: guests.<n>.<field>)", 403: "Not an organiser of the event's association",
    409: "Not accepted yet, the event is over or cancelled, too many guests, or no free seats"})
def replace_named_guests(event_id: int, invitation_id: int):
    """Name an invitee's guests for them (an answer by phone): the list sent replaces the one before (a guest
    sent with their `id` keeps their check-in code); the invitation's number of guests follows."""
    event = load_event(event_id, Action.MANAGE)
    invitation = _invitation(event, invitation_id)
    if invitation is None:
        return api_error(404, "not_found", _("No such invitation to this event."))
    data = load(schemas.GuestList(), json_body())
    try:
        services.save_named_guests(invitation, data["guests"], staff=True)
    except services.GuestError as error:
        return _refused(error)
    db.session.commit()
    return _named(db.session.get(Invitation, invitation_id))


def _members_answered(event_id: int, members) -> list[Extended]:
    """The members, each with their answers to the event's questions (typed as the API gives them)."""
    given = questions.answers_by_guest(member.id for member in members)
    return [Extended(member, answers=questions.typed_answers(event_id, given.get(member.id, {})))
            for member in members]


def _answered(delegation: Delegation) -> Extended:
    return Extended(delegation, members=_members_answered(delegation.event_id, delegation.members))


@bp.get("/events/<int:event_id>/delegations")
@operation(tags=["guests"], responses={200: ("The event's delegations with their members", page_of(schemas.Delegation)),
                                       403: "No role in the event's association", 404: "Unknown event"})
def list_delegations(event_id: int):
    """The delegations of an event (revoked ones last) with their members."""
    event = load_event(event_id, Action.VIEW)
    return {"items": [_answered(delegation) for delegation in services.delegations_of(event.id)]}


@bp.post("/events/<int:event_id>/delegations")
@operation(tags=["guests"], body=schemas.Delegation, example={
    "name": "Hội người Bắc Giang tại Séc", "leader_email": "truong.doan@example.cz", "quota": 6,
    "deadline": "2027-01-20T23:59:00+07:00"}, responses={
    201: ("The delegation; its leader's link is on its way by e-mail", schemas.Delegation),
    400: "Bad values, or a leader or organisation address that names no contact the caller may see",
    403: "Not an organiser of the event's association", 404: "Unknown event",
    409: "The leader's invitation to the event is revoked"})
def create_delegation(event_id: int):
    """Create a delegation: its leader gets an invitation to the event and, by e-mail, the link to the page
    where they enter their members until the deadline."""
    event = load_event(event_id, Action.MANAGE)
    data = load(schemas.Delegation(), json_body())
    values = services.DelegationValues(name=data["name"], leader_email=data["leader_email"], quota=data["quota"],
                                       deadline=data.get("deadline"), organisation_email=data["organisation_email"])
    try:
        created = services.create_delegation(event, values, user=current_user)
    except services.GuestError as error:
        return _refused(error)
    db.session.commit()
    return created, 201


def _delegation(event, delegation_id: int) -> Delegation | None:
    found = db.session.get(Delegation, delegation_id)
    return found if found is not None and found.event_id == event.id else None


@bp.get("/events/<int:event_id>/delegations/<int:delegation_id>")
@operation(tags=["guests"], responses={200: ("The delegation with its members", schemas.Delegation),
                                       403: "No role in the event's association",
                                       404: "Unknown event, or no such delegation at it"})
def get_delegation(event_id: int, delegation_id: int):
    """One delegation with its members."""
    event = load_event(event_id, Action.VIEW)
    found = _delegation(event, delegation_id)
    if found is None:
        return api_error(404, "not_found", _("No such delegation."))
    return _answered(found)


@bp.post("/events/<int:event_id>/delegations/<int:delegation_id>/members")
@operation(tags=["guests"], body=schemas.Member, example={
    "full_name": "Nguyễn Văn Hùng", "honorific": "Ông", "position": "Chủ tịch hội",
    "answers": [{"question_id": 1, "value": 2}]}, responses={
    201: ("The member with their answers", schemas.Member),
    400: "Bad values (error.fields; answers.<question id> for an answer: not a question for members, not fitting "
         "its question, a required one missing, or past its deadline)",
    403: "Not an organiser of the event's association", 404: "Unknown event, or no such delegation at it",
    409: "The delegation is revoked or full, the event is full, over or cancelled"})
def add_delegation_member(event_id: int, delegation_id: int):
    """Add a member for the leader (the organisers are not held to the delegation's deadline) with their answers
    to the questions for delegation members, checked as on the leader's page; nothing is saved when one is
    refused."""
    event = load_event(event_id, Action.MANAGE)
    found = _delegation(event, delegation_id)
    if found is None:
        return api_error(404, "not_found", _("No such delegation."))
    data = load(schemas.Member(), json_body())
    try:
        member = services.save_member(found, data, staff=True)
    except services.GuestError as error:
        return _refused(error)
    # Answered for the leader: the members' questions, their required ones and deadlines, as on the leader's page.
    errors = questions.record_values(event.id, Audience.MEMBER, questions.Person(guest_id=member.id),
                                     {item["question_id"]: item["value"] for item in data["answers"]}, complete=True)
    if errors:
        db.session.rollback()
        refuse({f"answers.{key}": message for key, message in errors.items()})
    db.session.commit()
    return _members_answered(event.id, [member])[0], 201


@bp.delete("/events/<int:event_id>/delegations/<int:delegation_id>/members/<int:member_id>")
@operation(tags=["guests"], responses={
    204: "Removed", 403: "Not an organiser of the event's association",
    404: "Unknown event, delegation or member", 409: "The delegation is revoked, or the event is cancelled"})
def remove_delegation_member(event_id: int, delegation_id: int, member_id: int):
    """Remove a member: their place is free again."""
    event = load_event(event_id, Action.MANAGE)
    found = _delegation(event, delegation_id)
    member = db.session.get(EventGuest, member_id)
    if found is None or member is None or member.delegation_id != found.id:
        return api_error(404, "not_found", _("No such member."))
    try:
        services.remove_member(found, member, staff=True)
    except services.GuestError as error:
        return _refused(error)
    db.session.commit()
    return "", 204
