"""The API's check-ins, scanned codes and attendance figures: fields, rules and documentation written once
(see eventsapp.api.resources)."""
from __future__ import annotations

from flask_login import current_user
from marshmallow import fields

from ..api import fields as api
from ..api.resources import Schema
from ..api.schemas import component
from ..invitations.models import InvitationStatus
from ..permissions import Action, can
from . import services

COUNTS = {"keys": fields.String(), "values": fields.Integer()}


@component("CheckInContact")
class CheckInContact(Schema):
    """The person checked in; e-mail, country and language only for callers who may read the event."""

    id = fields.Integer(required=True)
    full_name = fields.String(required=True)
    email = fields.String()
    country = fields.String()
    language = fields.String()


class DoorContact(fields.Nested):
    """A check-in's contact: check-in staff get what the door needs (id and name), readers of the event more."""

    def __init__(self, **kwargs):
        super().__init__(CheckInContact, required=True, allow_none=True, metadata={
            "description": "null for a named guest or delegation member who is no contact (see guest)"}, **kwargs)

    def serialize(self, attr, obj, accessor=None, **kwargs):
        if obj.contact is None:
            return None
        if can(current_user, Action.VIEW, obj.event.association_id):
            return self.schema.dump(obj.contact)
        return CheckInContact(only=("id", "full_name")).dump(obj.contact)


@component("CheckIn")
class CheckIn(Schema):
    """A check-in at the door (of an invitee, or of a walk-in)."""

    id = fields.Integer(required=True)
    event_id = fields.Integer(required=True)
    contact = DoorContact()
    invitation_id = fields.Function(lambda row: row.invitation.id if row.invitation else None, required=True,
                                    metadata={"type": "integer", "nullable": True})
    status = fields.Function(lambda row: row.invitation.status.value if row.invitation else None, required=True,
                             metadata={"type": "string", "nullable": True, "description": "the invitation's answer"})
    is_honoree = fields.Function(lambda row: bool(row.invitation and row.invitation.is_honoree), required=True,
                                 metadata={"type": "boolean"})
    guests = fields.Integer(required=True)
    walk_in = fields.Boolean(required=True)
    checked_in_at = api.Moment(required=True, allow_none=False)
    checked_in_by = fields.Function(lambda row: services.staff_name(row.checked_in_by) if row.checked_in_by else None,
                                    required=True, metadata={"type": "string", "nullable": True})
    undone_at = api.Moment(required=True)
    guest = fields.Function(
        lambda row: {"id": row.guest.id, "full_name": row.guest.full_name, "with": services.guest_label(row.guest)}
        if row.guest_id is not None else None, required=True, metadata={
            "type": "object", "nullable": True, "properties": {
                "id": {"type": "integer"}, "full_name": {"type": "string"}, "with": {"type": "string"}},
            "description": "a named guest or delegation member checked in on their own code: who, and with "
                           "whom (their delegation, or the invitee who brought them)"})


@component("ScannedCode")
class ScannedCode(Schema):
    """Whose code was scanned: the invitation, the person and their active check-in (or null)."""

    event_id = fields.Integer(required=True)
    invitation_id = fields.Integer(attribute="id", required=True)
    status = api.Choice(InvitationStatus, required=True)
    guests = fields.Integer(required=True)
    is_honoree = fields.Boolean(required=True)
    contact = DoorContact()
    check_in = fields.Nested(CheckIn, allow_none=True, required=True)


@component("Attendance")
class Attendance(Schema):
    """An event's attendance figures."""

    counts = fields.Dict(**COUNTS, required=True, metadata={
        "description": "expected, expected_guests, checked_in, checked_in_guests, walk_ins …"})
    totals = fields.Dict(required=True, metadata={
        "description": "invited, answered, accepted, attended, walk_ins, no_shows, attendance_rate …"})
    by_country = fields.Dict(required=True)
    by_language = fields.Dict(required=True)


class CheckInRequest(Schema):
    """A scanned code to check in. The door's own rules answer a code or a number of guests they refuse
    with a 422, as the door page does, so neither is checked here."""

    token = fields.Raw(metadata={"type": "string", "description": "check-in token or the scanned /c/<token> URL"})
    guests = fields.Raw(metadata={"type": "integer", "description": "guests who came along (default: as answered)"})


class WalkIn(Schema):
    """Someone who came without an invitation: a known contact, or a new one by name."""

    contact_id = api.Identifier(allow_none=True)
    full_name = api.Text(200)
    email = api.Text(254)
    guests = api.WholeNumber(0, services.MAX_GUESTS, allow_none=True, load_default=0)


class ScanQuery(Schema):
    token = api.Text(required=True, metadata={"maxLength": 500})
