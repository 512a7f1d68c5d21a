"""API: campaigns (list, create, read, update, publish, archive)."""
from __future__ import annotations

from datetime import date

from flask import abort
from flask_login import current_user

from ..api import api_error, bp, json_body
from ..api_helpers import bad_request, commit_or_400, managed_association
from ..extensions import db
from ..permissions import Action, association_ids_for, authorize
from . import services
from .models import Campaign, CampaignKind


def campaign_json(campaign: Campaign) -> dict:
    return {
        "id": campaign.id, "slug": campaign.slug, "association": campaign.association.slug,
        "title_vi": campaign.title_vi, "title_en": campaign.title_en, "kind": campaign.kind.value,
        "description_vi": campaign.description_vi, "description_en": campaign.description_en,
        "starts_on": campaign.starts_on.isoformat() if campaign.starts_on else None,
        "ends_on": campaign.ends_on.isoformat() if campaign.ends_on else None,
        "status": campaign.status.value, "event_ids": [e.id for e in campaign.events],
    }


def _load(campaign_id: int, action: Action) -> Campaign:
    campaign = db.session.get(Campaign, campaign_id)
    if campaign is None:
        abort(api_error(404, "not_found", "No such campaign."))
    authorize(action, campaign.association_id)
    return campaign


def _values(data: dict, creating: bool) -> dict:
    values = {}
    for key in ("title_vi", "title_en", "description_vi", "description_en"):
        if key in data:
            if not isinstance(data[key], str):
                bad_request(f"{key} must be a string.", key)
            values[key] = data[key]
    if "kind" in data:
        if data["kind"] not in CampaignKind._value2member_map_:
            bad_request("Unknown kind.", "kind")
        values["kind"] = data["kind"]
    for key in ("starts_on", "ends_on"):
        if key in data:
            try:
                values[key] = date.fromisoformat(data[key]) if data[key] else None
            except (TypeError, ValueError):
                bad_request(f"{key} is not an ISO 8601 date.", key)
    year = data.get("year")
    if creating and isinstance(year, int) and "starts_on" not in values:
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
        200: {description: "{items: [campaign]}"}
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
        201: {description: The campaign}
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
        200: {description: The campaign}
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
        200: {description: The campaign}
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
        200: {description: The campaign}
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
        200: {description: The campaign}
        403: {description: The caller may not manage it}
    """
    campaign = _load(campaign_id, Action.MANAGE)
    commit_or_400(services.CampaignError, services.archive, campaign)
    return campaign_json(campaign)
