"""The API's e-mail states, written once (see eventsapp.api.resources)."""
from __future__ import annotations

from marshmallow import fields

from ..api import fields as api
from ..api.resources import Schema
from ..api.schemas import component
from .models import MessageKind, MessageState


@component("ChannelProgress")
class ChannelProgress(Schema):
    """One channel's share of a send."""

    queued = fields.Integer(required=True, metadata={"description": "not gone yet (those waiting for their time too)"})
    waiting_for_time = fields.Integer(required=True, metadata={"description": "queued until their time"})
    sending = fields.Integer(required=True)
    sent = fields.Integer(required=True)
    delivered = fields.Integer(required=True, allow_none=True, metadata={
        "description": "sent and confirmed delivered by the gateway's receipt (SMS, Zalo); null where there are no "
                       "receipts (e-mail, printed cards)"})
    failed = fields.Integer(required=True)
    total = fields.Integer(required=True)


@component("SendProgress")
class Progress(Schema):
    """Messages by outbox state."""

    queued = fields.Integer(required=True)
    sending = fields.Integer(required=True)
    sent = fields.Integer(required=True)
    failed = fields.Integer(required=True)
    total = fields.Integer(required=True)
    done = fields.Boolean(metadata={"description": "nothing left queued or sending"})
    scheduled_for = fields.String(allow_none=True, metadata={  # already ISO 8601 in mail.services.progress
        "format": "date-time", "description": "when a send that waits for its time starts; null once started"})
    waiting_for_time = fields.Integer(metadata={
        "description": "messages waiting for their time (a scheduled send, or each invitee's hour in their zone)"})
    last_due_at = fields.String(allow_none=True, metadata={
        "format": "date-time", "description": "when the last message waiting for its time goes; null when none waits"})
    channels = fields.Dict(keys=fields.String(), values=fields.Nested(ChannelProgress), metadata={
        "description": "the send by channel (email, sms, zalo, printed), only the channels it uses"})


@component("MailState")
class MailState(Schema):
    """One e-mail's state: `sent` means the mail server accepted it; `failed` is final (see last_error)."""

    id = fields.Integer(required=True)
    kind = api.Choice(MessageKind, required=True)
    recipient = fields.String(required=True)
    state = api.Choice(MessageState, required=True)
    attempts = fields.Integer(required=True)
    last_error = fields.String(required=True)
    sent_at = api.Moment(required=True)
    created_at = api.Moment(required=True)
    invitation_id = fields.Integer(required=True, allow_none=True)
    contact_id = fields.Integer(required=True, allow_none=True)
    send_id = fields.String(required=True, allow_none=True)


@component("MessagePage")
class MessagePage(Schema):
    """A page of e-mails, newest first, with the counts by state of all of them."""

    items = fields.List(fields.Nested(MailState), required=True)
    counts = fields.Nested(Progress, required=True)
    next_cursor = fields.String(required=True, allow_none=True)


class MessageQuery(Schema):
    """Filters of the e-mail log (an unknown state or kind is no filter) and its pages."""

    state = api.Text(20, metadata={"enum": [s.value for s in MessageState]})
    kind = api.Text(40, metadata={"enum": [k.value for k in MessageKind]})
    cursor = api.Text(20, metadata={"description": "next_cursor of the previous page"})
    limit = api.QueryNumber(1, 1000, load_default=100)
