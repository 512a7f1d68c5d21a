"""The API's personal-data resources, written once (see eventsapp.api.resources): what is held about a person
(the same document as the person's own download) and what an erasure did."""
from __future__ import annotations

from marshmallow import fields

from ..api import fields as api
from ..api.resources import Schema
from ..api.schemas import component

_text = {"required": True, "allow_none": True}
_moment = {"required": True, "allow_none": True, "metadata": {"format": "date-time"}}


def _record(schema_name: str, /, **columns) -> type[Schema]:
    return Schema.from_dict(columns, name=schema_name)


def _texts(*names: str) -> dict:
    return {name: fields.String(**_text) for name in names}


@component("PersonalData")
class PersonalData(Schema):
    """Everything held about a person, as plain values: their contact, consents, invitations and answers,
    check-ins, online attendance, named guests, honours, registrations, questions answered, feedback, delegations led, messages."""

    contact = fields.Nested(_record(
        "PersonalDataContact", **_texts("full_name", "email", "phone", "honorific", "position", "postal_address",
                                        "country", "place", "timezone", "language", "notes", "preferred_channel"),
        tags=fields.List(fields.String(), required=True), associations=fields.List(fields.String(), required=True),
        opted_out_at=fields.String(**_moment), created_at=fields.String(**_moment)), required=True)
    consents = fields.List(fields.Nested(_record(
        "PersonalDataConsent", **_texts("purpose", "channel", "source", "basis", "wording_version"),
        granted=fields.Boolean(required=True), at=fields.String(**_moment))), required=True)
    invitations = fields.List(fields.Nested(_record(
        "PersonalDataInvitation", **_texts("event", "status", "comment"), guests=fields.Integer(required=True),
        starts_at=fields.String(**_moment), answered_at=fields.String(**_moment))), required=True)
    check_ins = fields.List(fields.Nested(_record(
        "PersonalDataCheckIn", event=fields.String(**_text), at=fields.String(**_moment),
        guests=fields.Integer(required=True), undone_at=fields.String(**_moment))), required=True)
    online = fields.List(fields.Nested(_record(
        "PersonalDataOnline", event=fields.String(**_text), joined_at=fields.String(**_moment))), required=True)
    guests = fields.List(fields.Nested(_record(
        "PersonalDataGuest", **_texts("full_name", "honorific", "position", "email", "phone", "language",
                                      "nationality", "passport_number"),
        event_id=fields.Integer(required=True))), required=True)
    honours = fields.List(fields.Nested(_record(
        "PersonalDataHonour", **_texts("event", "award", "citation"))), required=True)
    registrations = fields.List(fields.Nested(_record(
        "PersonalDataRegistration", **_texts("event", "full_name", "email", "phone", "language", "state", "message"),
        guests=fields.Integer(required=True), answers=fields.Dict(required=True),
        created_at=fields.String(**_moment))), required=True)
    answers = fields.List(fields.Nested(_record(
        "PersonalDataAnswer", **_texts("event", "question", "value"), for_guest=fields.Boolean(required=True),
        updated_at=fields.String(**_moment))), required=True)
    feedback = fields.List(fields.Nested(_record(
        "PersonalDataFeedback", **_texts("event", "better", "answer"), rating=fields.Integer(**_text),
        created_at=fields.String(**_moment))), required=True)
    delegations = fields.List(fields.Nested(_record(
        "PersonalDataDelegation", **_texts("event", "name"), quota=fields.Integer(**_text))), required=True)
    messages_sent = fields.List(fields.Nested(_record(
        "PersonalDataMessageSent", **_texts("kind", "recipient", "subject", "state"),
        sent_at=fields.String(**_moment))), required=True)
    messages_received = fields.List(fields.Nested(_record(
        "PersonalDataMessageReceived", **_texts("subject", "text"),
        sender=fields.String(data_key="from", **_text), received_at=fields.String(**_moment))), required=True)


@component("Erasure")
class Erasure(Schema):
    """What erasing a person did: how many rows of each kind were emptied or deleted (no personal value)."""

    contact_id = fields.Integer(required=True)
    invitations = fields.Integer(required=True)
    guests = fields.Integer(required=True)
    answers = fields.Integer(required=True)
    messages = fields.Integer(required=True)
    received = fields.Integer(required=True)
    printables = fields.Integer(required=True)
    files = fields.Integer(required=True)


class ErasureRequest(Schema):
    """The administrator confirms the erasure (it cannot be undone)."""

    confirm = api.Flag(required=True, metadata={"description": "true: erase now (cannot be undone)"})
