"""The API's audit entries, written once (see eventsapp.api.resources)."""
from __future__ import annotations

from marshmallow import fields

from ..api import fields as api
from ..api.resources import Schema
from ..api.schemas import component
from .services import ACTIONS


@component("AuditEntry")
class AuditEntry(Schema):
    """One thing staff did: who (account e-mail, "cli" or "system"), when, from where, what, on which object."""

    id = fields.Integer(required=True)
    at = api.Moment(required=True)
    actor_id = fields.Integer(required=True, allow_none=True)
    actor = fields.String(required=True)
    ip = fields.String(required=True)
    action = fields.String(required=True, metadata={"enum": list(ACTIONS)})
    target_type = fields.String(required=True)
    target_id = fields.String(required=True)
    association_id = fields.Integer(required=True, allow_none=True)
    details = fields.Dict(required=True, metadata={"description": "ids, counts and filters; no personal values"})


@component("AuditPage")
class AuditPage(Schema):
    """A page of audit entries, newest first."""

    items = fields.List(fields.Nested(AuditEntry), required=True)
    next_cursor = fields.String(required=True, allow_none=True)


class AuditQuery(Schema):
    """Filters of the audit log (a value not understood is no filter) and its pages."""

    action = api.Text(60, metadata={"enum": list(ACTIONS)})
    actor = api.Text(254, metadata={"description": "the account's e-mail address, cli or system"})
    target_type = api.Text(40)
    target_id = api.Text(64)
    association = api.Text(20, metadata={"description": "an association's id"})
    since = api.Text(10, metadata={"description": "YYYY-MM-DD, in the token owner's zone"})
    until = api.Text(10, metadata={"description": "YYYY-MM-DD (included), in the token owner's zone"})
    cursor = api.Text(20, metadata={"description": "next_cursor of the previous page"})
    limit = api.QueryNumber(1, 500, clamp=True, load_default=100)
