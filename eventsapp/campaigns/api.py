"""API: campaigns (list, create, read, update, publish, archive)."""
from __future__ import annotations

from datetime import date

from flask import abort
from flask_login import current_user

from .. import validation
from ..api import api_error, bp, json_body
from ..api_helpers import Fields, commit_or_400, managed_association
from ..extensions import db
from ..fields import DESCRIPTION_MAX
from ..i18n import gettext as _
from ..permissions import Action, association_ids_for, authorize
from . import lunar, services
from .models import Campaign, CampaignKind

TET_KINDS = (CampaignKind.TET_WEEK, CampaignKind.XUAN_QUE_HUONG)


def campaign_json(campaign: Campaign) -> dict:
    return {
        "id": campaign.id, "slug": campaign.slug, "association": campaign.association.slug,
        "title_vi": campaign.title_vi, "title_en": campaign.title_en, "kind": campaign.kind.value,
        "description_vi": campaign.description_vi, "description_en": campaign.description_en,
        "starts_on": campaign.starts_on.isoformat() if campaign.starts_on else None,
        "ends_on": campaign.ends_on.isoformat() if campaign.ends_on else None,
        "tet": _tet(campaign), "status": campaign.status.value, "event_ids": [e.id for e in campaign.events],
    }


def _tet(campaign: Campaign) -> str | None:
    """Tết Nguyên đán of a Tết-week or Xuân Quê hương campaign (the week and the gathering fall in its year)."""
    if campaign.kind not in TET_KINDS or campaign.starts_on is None:
        return None
    return lunar.tet(campaign.starts_on.year).isoformat()


def _load(campaign_id: int, action: Action) -> Campaign:
    campaign = db.session.get(Campaign, campaign_id)
    if campaign is None:
        abort(api_error(404, "not_found", _("No such campaign.")))
    authorize(action, campaign.association_id)
    return campaign


def _day(value):
    if value in (None, ""):
        return None
    if not isinstance(value, str) or len(value) > 10:
        raise validation.Invalid(_("Not an ISO 8601 date, e.g. 2027-02-06."))
    try:
        parsed = date.fromisoformat(value)
    except ValueError:
        raise validation.Invalid(_("Not an ISO 8601 date, e.g. 2027-02-06.")) from None
    return validation.day(parsed)


def _values(data: dict, creating: bool) -> dict:
    """The campaign fields sent in `data`, checked by `eventsapp.validation`; with `year` (a number or a
    string of digits) a Tết campaign's dates and title are proposed from the lunar calendar."""
    fields = Fields()
    values = {}
    for key, max_length, multiline in (("title_vi", 300, False), ("title_en", 300, False),
                                       ("description_vi", DESCRIPTION_MAX, True),
                                       ("description_en", DESCRIPTION_MAX, True)):
        if key in data:
            values[key] = fields.check(key, validation.text, data[key], max_length=max_length, multiline=multiline)
    if "kind" in data:
        if data["kind"] not in CampaignKind._value2member_map_:
            fields.refuse("kind", _("Unknown kind."))
        else:
            values["kind"] = data["kind"]
    for key in ("starts_on", "ends_on"):
        if key in data:
            values[key] = fields.check(key, _day, data[key])
    year = None
    if data.get("year") is not None:
        year = fields.check("year", validation.year, data["year"])
    fields.done()
    if creating and year is not None and "starts_on" not in values:
        proposal = services.propose(values.get("kind", CampaignKind.OTHER), year)
        if proposal:
            values.setdefault("title_vi", proposal["title_vi"])
            values.setdefault("title_en", proposal["title_en"])
            values["starts_on"], values["ends_on"] = proposal["starts_on"], proposal["ends_on"]
    return values


@bp.get("/campaigns")
def list_campaigns():
    """List the campaigns the caller may see.
    ---
    get:
      summary: List campaigns
      tags: [campaigns]
      responses:
        200: {description: The campaigns, schema: [Campaign]}
    """
    return {"items": [campaign_json(c) for c in services.campaigns_for(association_ids_for(current_user, Action.VIEW))]}


@bp.post("/campaigns")
def create_campaign():
    """Create a draft campaign. For tet_week and xuan_que_huong, give `year` and the dates
    come from the Vietnamese lunar calendar.
    ---
    post:
      summary: Create a campaign
      tags: [campaigns]
      requestBody:
        content:
          application/json:
            example: {association: viet-nhat, kind: tet_week, year: 2027}
            schema:
              type: object
              required: [association, kind]
              properties:
                association: {type: string}
                kind: {type: string, enum: [tet_week, xuan_que_huong, anniversary, award_ceremony, charity, friendship, other]}
                year: {type: integer}
                title_vi: {type: string}
                starts_on: {type: string, format: date}
                ends_on: {type: string, format: date}
      responses:
        201: {description: The campaign, schema: Campaign}
        400: {description: Invalid values}
        403: {description: The caller may not manage this association}
    """
    data = json_body()
    association = managed_association(data)
    campaign = commit_or_400(services.CampaignError, services.create_campaign, association, **_values(data, creating=True))
    return campaign_json(campaign), 201


@bp.get("/campaigns/<int:campaign_id>")
def get_campaign(campaign_id: int):
    """Read a campaign.
    ---
    get:
      summary: Read a campaign
      tags: [campaigns]
      parameters:
        - {name: campaign_id, in: path, required: true, schema: {type: integer}}
      responses:
        200: {description: The campaign, schema: Campaign}
        403: {description: No role in its association}
        404: {description: Unknown campaign}
    """
    return campaign_json(_load(campaign_id, Action.VIEW))


@bp.patch("/campaigns/<int:campaign_id>")
def update_campaign(campaign_id: int):
    """Change a campaign.
    ---
    patch:
      summary: Update a campaign
      tags: [campaigns]
      parameters:
        - {name: campaign_id, in: path, required: true, schema: {type: integer}}
      responses:
        200: {description: The campaign, schema: Campaign}
        400: {description: Invalid values}
        403: {description: The caller may not manage it}
    """
    campaign = _load(campaign_id, Action.MANAGE)
    commit_or_400(services.CampaignError, services.update_campaign, campaign, **_values(json_body(), creating=False))
    return campaign_json(campaign)


@bp.post("/campaigns/<int:campaign_id>/publish")
def publish_campaign(campaign_id: int):
    """Publish a campaign.
    ---
    post:
      summary: Publish a campaign
      tags: [campaigns]
      parameters:
        - {name: campaign_id, in: path, required: true, schema: {type: integer}}
      responses:
        200: {description: The campaign, schema: Campaign}
        403: {description: The caller may not manage it}
    """
    campaign = _load(campaign_id, Action.MANAGE)
    commit_or_400(services.CampaignError, services.publish, campaign)
    return campaign_json(campaign)


@bp.post("/campaigns/<int:campaign_id>/archive")
def archive_campaign(campaign_id: int):
    """Archive a campaign.
    ---
    post:
      summary: Archive a campaign
      tags: [campaigns]
      parameters:
        - {name: campaign_id, in: path, required: true, schema: {type: integer}}
      responses:
        200: {description: The campaign, schema: Campaign}
        403: {description: The caller may not manage it}
    """
    campaign = _load(campaign_id, Action.MANAGE)
    commit_or_400(services.CampaignError, services.archive, campaign)
    return campaign_json(campaign)
