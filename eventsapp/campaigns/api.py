"""API: campaigns (list, create, read, update, publish, archive)."""
from __future__ import annotations

from flask import abort
from flask_login import current_user

from ..api import api_error, bp, json_body
from ..api.resources import load, operation, page_of
from ..api_helpers import commit_or_400, managed_association
from ..extensions import db
from ..i18n import gettext as _
from ..permissions import Action, association_ids_for, authorize
from . import schemas, services
from .models import Campaign, CampaignKind


def _load(campaign_id: int, action: Action) -> Campaign:
    campaign = db.session.get(Campaign, campaign_id)
    if campaign is None:
        abort(api_error(404, "not_found", _("No such campaign.")))
    authorize(action, campaign.association_id)
    return campaign


def _values(data: dict, creating: bool) -> dict:
    """The campaign fields sent in `data`, checked by the schema; with `year` (a number or a string of
    digits) a Tết campaign's dates and title are proposed from the lunar calendar."""
    values = load(schemas.Campaign() if creating else schemas.for_update(), data)
    values.pop("association", None)
    year = values.pop("year", None)
    if creating and year is not None and "starts_on" not in values:
        proposal = services.propose(values.get("kind", CampaignKind.OTHER), year)
        if proposal:
            values.setdefault("title_vi", proposal["title_vi"])
            values.setdefault("title_en", proposal["title_en"])
            values["starts_on"], values["ends_on"] = proposal["starts_on"], proposal["ends_on"]
    return values


RESPONSES = {200: ("The campaign", schemas.Campaign), 403: "The caller may not manage it"}


@bp.get("/campaigns")
@operation(tags=["campaigns"], responses={200: ("The campaigns", page_of(schemas.Campaign))})
def list_campaigns():
    """List the campaigns the caller may see."""
    return {"items": services.campaigns_for(association_ids_for(current_user, Action.VIEW))}


@bp.post("/campaigns")
@operation(tags=["campaigns"], body=schemas.Campaign, example={"association": "viet-nhat", "kind": "tet_week",
                                                               "year": 2027},
           responses={201: ("The campaign", schemas.Campaign), 400: "Invalid values",
                      403: "The caller may not manage this association"})
def create_campaign():
    """Create a draft campaign.
    For tet_week and xuan_que_huong, give `year` and the dates come from the Vietnamese lunar calendar."""
    data = json_body()
    association = managed_association(data)
    return commit_or_400(services.CampaignError, services.create_campaign, association,
                         **_values(data, creating=True)), 201


@bp.get("/campaigns/<int:campaign_id>")
@operation(tags=["campaigns"], responses={200: ("The campaign", schemas.Campaign),
                                          403: "No role in its association", 404: "Unknown campaign"})
def get_campaign(campaign_id: int):
    """Read a campaign."""
    return _load(campaign_id, Action.VIEW)


@bp.patch("/campaigns/<int:campaign_id>")
@operation(tags=["campaigns"], body=schemas.for_update(), responses=RESPONSES | {400: "Invalid values"})
def update_campaign(campaign_id: int):
    """Change a campaign: only the fields sent change."""
    campaign = _load(campaign_id, Action.MANAGE)
    commit_or_400(services.CampaignError, services.update_campaign, campaign, **_values(json_body(), creating=False))
    return campaign


@bp.post("/campaigns/<int:campaign_id>/publish")
@operation(tags=["campaigns"], responses=RESPONSES)
def publish_campaign(campaign_id: int):
    """Publish a campaign."""
    campaign = _load(campaign_id, Action.MANAGE)
    commit_or_400(services.CampaignError, services.publish, campaign)
    return campaign


@bp.post("/campaigns/<int:campaign_id>/archive")
@operation(tags=["campaigns"], responses=RESPONSES)
def archive_campaign(campaign_id: int):
    """Archive a campaign."""
    campaign = _load(campaign_id, Action.MANAGE)
    commit_or_400(services.CampaignError, services.archive, campaign)
    return campaign
