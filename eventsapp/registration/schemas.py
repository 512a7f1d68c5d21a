"""The API's registration (made on an event's public page) and an organiser's decision on it: fields, rules
and documentation written once (see eventsapp.api.resources)."""
from __future__ import annotations

from marshmallow import fields

from ..api import fields as api
from ..api.resources import Schema
from ..api.schemas import component
from ..i18n import lazy_gettext as _l
from ..questions.schemas import AnswerItem
from .forms import MESSAGE_MAX
from .models import RegistrationState

LISTED = tuple(state for state in RegistrationState if state != RegistrationState.UNCONFIRMED)


@component("Registration")
class Registration(Schema):
    """A confirmed registration: waiting for an organiser (`pending`), `accepted` (an invitee, with
    `invitation_id`) or `declined`. Registrations not yet confirmed by their link are not listed."""

    id = fields.Integer(required=True)
    event_id = fields.Integer(required=True)
    full_name = fields.String(required=True)
    email = fields.String(required=True)
    phone = fields.String(required=True)
    language = fields.String(required=True, metadata={"enum": ["vi", "en"]})
    guests = fields.Integer(required=True)
    state = api.Choice(LISTED, required=True)
    answers = fields.List(fields.Nested(AnswerItem), required=True, attribute="answer_items", metadata={
        "description": "the answers to the event's questions, typed as in the invitee's answers"})
    message = fields.String(required=True, metadata={"description": "the organiser's words with the decision"})
    invitation_id = fields.Integer(required=True, allow_none=True)
    created_at = api.Moment(required=True)
    confirmed_at = api.Moment(required=True)
    decided_at = api.Moment(required=True)


class RegistrationQuery(Schema):
    state = api.Choice(LISTED, message=_l("State is pending, accepted or declined."))


class Decision(Schema):
    """An organiser's decision; the message goes to the person by e-mail with it (a decline is always told)."""

    message = api.Text(MESSAGE_MAX, multiline=True, load_default="")
