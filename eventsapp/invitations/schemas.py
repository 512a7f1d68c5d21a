"""The API's invitation, the answer an organiser records and the invitees added: fields, rules and documentation
written once (see eventsapp.api.resources)."""
from __future__ import annotations

import enum

from marshmallow import fields, post_load

from .. import validation
from ..api import fields as api
from ..api.resources import Schema
from ..api.schemas import component
from ..contacts.schemas import UndeliverableMark
from ..i18n import lazy_gettext as _l
from ..mail.models import MessageState
from .models import InvitationStatus
from .services import ANSWERS


@component("InvitationMail")
class InvitationMail(Schema):
    """The latest invitation e-mail of an invitation: its state."""

    state = api.Choice(MessageState, required=True)
    delivered = fields.Function(lambda message: message.state == MessageState.SENT, required=True,
                                metadata={"type": "boolean"})
    attempts = fields.Integer(required=True)
    last_error = fields.String(required=True)
    sent_at = api.Moment(required=True)


@component("Invitation")
class Invitation(Schema):
    """An invitation with its invitee; `mail` is its latest invitation e-mail's state, and organisers also get
    the invitee's RSVP link and personal calendar feed (both are keys to the invitee's answers)."""

    id = fields.Integer(required=True)
    contact_id = fields.Integer(required=True)
    email = fields.String(attribute="contact.email", required=True, allow_none=True,
                          metadata={"description": "null for an invitee without e-mail"})
    full_name = fields.String(attribute="contact.full_name", required=True)
    status = api.Choice(InvitationStatus, required=True)
    guests = fields.Integer(required=True)
    comment = fields.String(required=True)
    is_honoree = fields.Boolean(required=True)
    answered_at = api.Moment(required=True)
    answer_source = fields.String(required=True, allow_none=True, metadata={
        "enum": ["phone", "in_person", None], "description": "how a staff member heard the answer; null: the "
                                                           "invitee answered themselves (link, e-mail)"})
    card_handed_at = api.Moment(required=True, metadata={"description": "when the printed card was handed over"})
    revoked = fields.Function(lambda invitation: invitation.revoked_at is not None, required=True,
                              metadata={"type": "boolean"})
    undeliverable = UndeliverableMark(of="contact", metadata={
        "description": "the invitee's address is marked undeliverable (null: it is not)"})
    mail = fields.Nested(InvitationMail, allow_none=True, metadata={
        "description": "the latest invitation e-mail: its state"})
    rsvp_url = fields.String(metadata={"description": "organisers: the invitee's RSVP link"})
    personal_feed_url = fields.String(metadata={"description": "organisers: the invitee's personal calendar feed"})


class AnswerSource(str, enum.Enum):
    """How a staff member heard an answer (models.ANSWER_SOURCES)."""

    PHONE = "phone"
    IN_PERSON = "in_person"


class Answer(Schema):
    """An answer taken by an organiser (by phone, in person); `max_guests` is the event's."""

    status = api.Choice(ANSWERS, message=_l("Choose accepted, tentative or declined."), required=True)
    guests = api.WholeNumber(0, validation.MAX_GUESTS, allow_none=True, load_default=0, metadata={
        "description": "with accepted; at most the event's max_guests"})
    comment = api.Text(2000, multiline=True, load_default="")
    source = api.Choice(AnswerSource, message=_l("Choose how the answer was given: by phone or in person."),
                        load_default="phone", metadata={"description": "how the answer was given (default: by phone)"})

    def __init__(self, *args, max_guests: int = validation.MAX_GUESTS, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["guests"].maximum = max_guests

    @post_load
    def no_guests(self, values: dict, **kwargs) -> dict:
        values["guests"] = values["guests"] or 0
        return values


class Invitees(Schema):
    """Who to invite: filters (combined with AND), contact ids or e-mail addresses."""

    association_id = api.Identifier(allow_none=True)
    include_branches = api.Flag(load_default=True)
    tags = api.Items(api.Text(60), load_default=list, allow_none=True)
    country = api.Text(100, load_default="")
    language = api.Text(5, load_default="", metadata={"enum": ["vi", "en"]})
    contact_ids = api.Items(api.Identifier(), load_default=list, allow_none=True)
    emails = api.Items(api.Text(254), load_default=list, allow_none=True)


class InvitationQuery(Schema):
    """Filters of the invitee list."""

    status = api.Text(20, metadata={"enum": [s.value for s in InvitationStatus] + ["revoked"]})
    q = api.Text(200, metadata={"description": "name or e-mail, without diacritics if you like"})
    limit = api.QueryNumber(1, 5000, clamp=True, load_default=500)
    offset = api.QueryNumber(0, validation.INT_MAX, clamp=True, load_default=0)


@component("InviteesAdded")
class InviteesAdded(Schema):
    """What adding invitees did: each contact counted once, by what happened to it."""

    added = fields.Integer(required=True)
    already_invited = fields.Integer(required=True)
    opted_out = fields.Integer(required=True, metadata={"description": "left out: they opted out"})
    archived = fields.Integer(required=True, metadata={"description": "left out: archived contacts"})
    no_address = fields.Integer(required=True, metadata={"description": "invited without an e-mail address"})
    unknown_emails = fields.List(fields.String(), required=True, metadata={
        "description": "addresses sent that name no contact the caller may see"})
    honorees = fields.Integer(required=True)


class SendRequest(Schema):
    not_before = api.Moment(require_offset=True, metadata={"description": "start sending then (ISO 8601 with offset); the rows wait "
                                                     "in the outbox"})
    local_time = api.WallTime(metadata={
        "description": "send at this hour (HH:MM) in each invitee's own time zone (the association's when the "
                       "contact has none), instead of now; not with not_before"})
    accept_late = api.Flag(load_default=False, metadata={
        "description": "send even when, at the provider's sending limits, it would finish after the event starts"})


@component("SendQueued")
class SendQueued(Schema):
    send_id = fields.String(required=True)
    queued = fields.Integer(required=True)
    progress_url = fields.String(required=True)
