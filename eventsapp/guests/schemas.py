"""The API's named guests, delegations and their members: fields, rules and documentation written once
(see eventsapp.api.resources). `services.clean_person` checks the values again (e-mail, phone in E.164)."""
from __future__ import annotations

from marshmallow import fields

from ..api import fields as api
from ..api.resources import Schema
from ..api.schemas import component
from ..questions.schemas import AnswerItem
from .services import LIMITS, MAX_QUOTA


@component("NamedGuest")
class Guest(Schema):
    """A guest named by an invitee: their own person at the door (own check-in code)."""

    id = api.Identifier(metadata={"description": "to change a guest already named (who keeps their code); "
                                                 "left out: a new guest"})
    full_name = api.Text(LIMITS["full_name"], required=True)
    honorific = api.Text(LIMITS["honorific"], load_default="")
    email = api.Text(LIMITS["email"], allow_none=True, load_default=None)
    phone = api.Text(LIMITS["phone"], allow_none=True, load_default=None, metadata={
        "description": "with its country code; answered in E.164 (+84912345678)"})


class GuestList(Schema):
    """The whole list of an invitation's named guests: those left out are removed."""

    guests = api.Items(fields.Nested(Guest), required=True)


@component("NamedGuests")
class NamedGuests(Schema):
    invitation_id = fields.Integer(attribute="id", required=True)
    guests_count = fields.Integer(attribute="guests", required=True, metadata={
        "description": "the invitation's number of guests (the names, or more when names are optional)"})
    items = fields.List(fields.Nested(Guest), required=True)


@component("DelegationMember")
class Member(Schema):
    """A member of a delegation; nationality and passport are asked only when the event says so."""

    id = fields.Integer(dump_only=True)
    full_name = api.Text(LIMITS["full_name"], required=True)
    honorific = api.Text(LIMITS["honorific"], load_default="")
    position = api.Text(LIMITS["position"], load_default="")
    email = api.Text(LIMITS["email"], allow_none=True, load_default=None)
    phone = api.Text(LIMITS["phone"], allow_none=True, load_default=None)
    language = api.Text(LIMITS["language"], load_default="", metadata={
        "description": "vi or en: the language of the member's e-mails (sent when they have an address); "
                       "left out: the leader's, or unchanged"})
    timezone = api.Text(LIMITS["timezone"], load_default="", allow_none=True, metadata={
        "description": "IANA time zone of the member's e-mails (e.g. Europe/Prague); left out: the leader's, or "
                       "unchanged"})
    nationality = api.Text(LIMITS["nationality"], load_default="")
    passport_number = api.Text(LIMITS["passport_number"], load_default="")
    passport_expires_on = api.Day(load_default=None)
    answers = api.Items(fields.Nested(AnswerItem), load_default=list, metadata={
        "description": "the member's answers to the event's questions for delegation members, checked as on the "
                       "leader's page: a required question must be answered, a question past its deadline "
                       "takes no answer"})


@component("Delegation")
class Delegation(Schema):
    """A sending organisation's places at an event, filled by its leader through their link."""

    id = fields.Integer(dump_only=True)
    event_id = fields.Integer(dump_only=True)
    name = api.Text(300, required=True, metadata={"description": "the sending organisation, as introduced"})
    leader_email = api.Text(254, required=True, load_only=True, metadata={
        "description": "the leader: a contact the caller may see; they get an invitation and the link"})
    organisation_email = api.Text(254, load_default="", load_only=True, metadata={
        "description": "the organisation's contact, if any"})
    leader_contact_id = fields.Integer(dump_only=True, allow_none=True)
    leader_invitation_id = fields.Integer(dump_only=True, allow_none=True)
    quota = api.WholeNumber(1, MAX_QUOTA, required=True)
    deadline = api.Moment(require_offset=True, load_default=None, metadata={
        "description": "members can be changed until then (ISO 8601 with offset); null: until the event"})
    revoked = fields.Function(lambda delegation: delegation.revoked_at is not None, dump_only=True,
                              metadata={"type": "boolean"})
    members = fields.List(fields.Nested(Member), dump_only=True)
