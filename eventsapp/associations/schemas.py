"""The API's association: its fields and their documentation, written once (see eventsapp.api.resources)."""
from __future__ import annotations

from marshmallow import fields

from ..api import fields as api
from ..api.resources import Schema
from ..api.schemas import component
from .models import AssociationKind


@component("Association")
class Association(Schema):
    """A friendship association, a member association or a branch (`parent`: the one it belongs to)."""

    id = fields.Integer(required=True)
    slug = fields.String(required=True)
    kind = api.Choice(AssociationKind, required=True)
    name_vi = fields.String(required=True)
    name_en = fields.String(required=True)
    parent = api.Slug(required=True, metadata={"description": "slug of the association it belongs to"})
    founded_on = fields.Date(required=True, allow_none=True)
    timezone = fields.String(required=True)
    quiet_from = api.WallTime(required=True, metadata={
        "description": "reminders and thank-yous wait from this hour until quiet_until, in each reader's zone"})
    quiet_until = api.WallTime(required=True)
