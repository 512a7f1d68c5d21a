"""The API's reminder rule: its fields, their rules and their documentation, written once
(see eventsapp.api.resources); `services.parse_values` turns what the schema read into a rule."""
from __future__ import annotations

from marshmallow import fields

from .. import validation
from ..api import fields as api
from ..api.resources import Schema
from ..api.schemas import component
from .models import AUDIENCES, Anchor, RuleKind, SkipReason


@component("ReminderRule")
class ReminderRule(Schema):
    """A reminder or thank-you rule of an event: when it fires (an offset from the start or end, or a fixed
    time), to whom, with what extra message; and once fired, what it sent and whom it left out."""

    id = fields.Integer(dump_only=True, required=True)
    # Left out of a POST, the service's defaults apply (RuleValues); of a PATCH, the rule's values stay.
    kind = api.Choice(RuleKind, metadata={"default": RuleKind.REMINDER.value})
    anchor = api.Choice(Anchor, metadata={"default": Anchor.START.value})
    offset_minutes = api.WholeNumber(-validation.INT_MAX, validation.INT_MAX, allow_none=True, metadata={
        "description": "minutes from the anchor; negative = before (-120 = 2 hours before)"})
    absolute_at = api.Moment(metadata={"description": "with anchor absolute (ISO 8601 with offset)"})
    audience = api.Items(api.Text(20, metadata={"enum": list(AUDIENCES)}))
    message_vi = api.Text(multiline=True)
    message_en = api.Text(multiline=True)
    inherited_from = fields.Function(lambda rule: rule.inherited_from or None, dump_only=True, allow_none=True,
                                     metadata={"type": "string", "nullable": True})
    fire_at = api.Moment(dump_only=True, required=True, metadata={"description": "when it fires (UTC)"})
    fired_at = api.Moment(dump_only=True)
    skipped_at = api.Moment(dump_only=True)
    skip_reason = api.Choice(SkipReason, dump_only=True, allow_none=True)
    sent_count = fields.Integer(dump_only=True)
    messages = fields.Dict(keys=fields.String(), values=fields.Integer(), dump_only=True,
                           metadata={"description": "its outbox rows by state"})
    left_out = fields.Dict(keys=fields.String(), values=fields.Integer(), dump_only=True, metadata={
        "description": "invitees the fired rule left out, by reason: not_invited, invited_late, superseded, "
                       "recently_reminded"})
