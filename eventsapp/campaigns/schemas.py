"""The API's campaign: its fields, their rules and their documentation, written once (see eventsapp.api.resources)."""
from __future__ import annotations

from marshmallow import fields

from ..api import fields as api
from ..api.resources import Schema
from ..api.schemas import component
from ..fields import DESCRIPTION_MAX
from ..i18n import lazy_gettext as _l
from . import lunar
from .models import Campaign as CampaignModel
from .models import CampaignKind, CampaignStatus

TET_KINDS = (CampaignKind.TET_WEEK, CampaignKind.XUAN_QUE_HUONG)


def tet(campaign: CampaignModel) -> str | None:
    """Tết Nguyên đán of a Tết-week or Xuân Quê hương campaign (the week and the gathering fall in its year)."""
    if campaign.kind not in TET_KINDS or campaign.starts_on is None:
        return None
    return lunar.tet(campaign.starts_on.year).isoformat()


@component("Campaign")
class Campaign(Schema):
    """A campaign: one or more events under one name (a Tết week, an anniversary, a charity drive…)."""

    id = fields.Integer(dump_only=True, required=True)
    slug = fields.String(dump_only=True, required=True)
    association = api.Slug(required=True, metadata={"description": "slug of the host association"})
    title_vi = api.Text(api.column_length(CampaignModel.title_vi))
    title_en = api.Text(api.column_length(CampaignModel.title_en))
    kind = api.Choice(CampaignKind, message=_l("Unknown kind."), load_default=CampaignKind.OTHER.value)
    description_vi = api.Text(DESCRIPTION_MAX, multiline=True, metadata={"description": "Markdown"})
    description_en = api.Text(DESCRIPTION_MAX, multiline=True, metadata={"description": "Markdown"})
    starts_on = api.Day()
    ends_on = api.Day()
    year = api.Year(load_only=True, allow_none=True, metadata={
        "description": "tet_week and xuan_que_huong: the dates (and a title) come from the lunar calendar"})
    tet = fields.Function(tet, dump_only=True, allow_none=True, metadata={
        "type": "string", "format": "date", "description": "Tết Nguyên đán of a Tết campaign's year"})
    status = api.Choice(CampaignStatus, dump_only=True, required=True)
    event_ids = fields.Function(lambda campaign: [event.id for event in campaign.events], dump_only=True,
                                metadata={"type": "array", "items": {"type": "integer"}})


def for_update() -> Campaign:
    """The schema that reads a PATCH: every field optional; the host association and year stay."""
    return Campaign(partial=True, exclude=("association", "year"))
