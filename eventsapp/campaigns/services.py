"""Campaigns: create, update, publish, archive; dates proposed from the lunar calendar. The caller commits."""
from __future__ import annotations

import re
from datetime import date

from sqlalchemy import select

from .. import audit
from ..associations.models import Association
from ..extensions import db
from ..i18n import lazy_gettext as _l
from ..slugs import unique_slug
from ..text import has_control_characters
from ..timeutils import utcnow
from . import lunar
from .models import Campaign, CampaignKind, CampaignStatus


class CampaignError(ValueError):
    """A rule about campaigns was broken; the message is shown to the user."""


EDITABLE = ("title_vi", "title_en", "kind", "description_vi", "description_en", "starts_on", "ends_on")

DEFAULT_TITLES = {
    CampaignKind.TET_WEEK: ("Tuần lễ Tết Việt {year}", "Tết Việt week {year}"),
    CampaignKind.XUAN_QUE_HUONG: ("Xuân Quê hương {year}", "Homeland Spring {year}"),
}


def propose(kind: CampaignKind | str, year: int) -> dict:
    """Dates (and a title) for a campaign of `kind` in `year`, from the Vietnamese Lunar New Year.

    Tết Việt week: the seven days around Tết. Xuân Quê hương: one gathering a week before Tết.
    Other kinds: nothing to propose (an empty dict).
    """
    kind = CampaignKind(kind)
    if kind == CampaignKind.TET_WEEK:
        starts_on, ends_on = lunar.tet_week(year)
    elif kind == CampaignKind.XUAN_QUE_HUONG:
        starts_on = ends_on = lunar.xuan_que_huong(year)
    else:
        return {}
    title_vi, title_en = DEFAULT_TITLES[kind]
    return {"starts_on": starts_on, "ends_on": ends_on, "tet": lunar.tet(year),
            "title_vi": title_vi.format(year=year), "title_en": title_en.format(year=year)}


def is_proposed_title(kind: CampaignKind | str, title: str) -> bool:
    """True when `title` is empty or one this module proposed (for any year), so a new proposal may replace it."""
    title = (title or "").strip()
    if not title:
        return True
    try:
        templates = DEFAULT_TITLES.get(CampaignKind(kind), ())
    except ValueError:
        return False
    return any(re.fullmatch(re.escape(t).replace(re.escape("{year}"), r"\d{4}"), title) for t in templates)


def _normalise(values: dict) -> dict:
    values = {k: v for k, v in values.items() if k in EDITABLE}
    for key in ("title_vi", "title_en"):
        if key in values:
            values[key] = (values[key] or "").strip()
    if "kind" in values:
        values["kind"] = CampaignKind(values["kind"])
    return values


def validate(values: dict) -> None:
    if not values.get("title_vi"):
        raise CampaignError(_l("Enter the Vietnamese title."))
    if has_control_characters(values.get("title_vi")) or has_control_characters(values.get("title_en")):
        raise CampaignError(_l("A title cannot contain line breaks or control characters."))
    starts_on, ends_on = values.get("starts_on"), values.get("ends_on")
    if starts_on and ends_on and ends_on < starts_on:
        raise CampaignError(_l("The last day must not be before the first day."))


def create_campaign(association: Association, **values) -> Campaign:
    values = _normalise(values)
    validate(values)
    campaign = Campaign(association_id=association.id, association=association, status=CampaignStatus.DRAFT,
                        slug=unique_slug(Campaign, values["title_vi"]), **values)
    db.session.add(campaign)
    db.session.flush()
    audit.record("settings_changed", campaign, association_id=association.id, what="campaign", change="created")
    return campaign


def update_campaign(campaign: Campaign, **values) -> Campaign:
    if campaign.status == CampaignStatus.ARCHIVED:
        raise CampaignError(_l("An archived campaign cannot be changed."))
    values = _normalise(values)
    validate({name: getattr(campaign, name) for name in EDITABLE} | values)
    for name, value in values.items():
        setattr(campaign, name, value)
    fields = audit.changed(campaign, EDITABLE)
    campaign.updated_at = utcnow()
    db.session.flush()
    if fields:
        audit.record("settings_changed", campaign, association_id=campaign.association_id, what="campaign",
                     change="edited", fields=fields)
    return campaign


def publish(campaign: Campaign) -> Campaign:
    if campaign.status == CampaignStatus.ARCHIVED:
        raise CampaignError(_l("An archived campaign cannot be published."))
    campaign.status = CampaignStatus.PUBLISHED
    db.session.flush()
    audit.record("settings_changed", campaign, association_id=campaign.association_id, what="campaign",
                 change="published")
    return campaign


def archive(campaign: Campaign) -> Campaign:
    campaign.status = CampaignStatus.ARCHIVED
    db.session.flush()
    audit.record("settings_changed", campaign, association_id=campaign.association_id, what="campaign",
                 change="archived")
    return campaign


def get_by_slug(slug: str) -> Campaign | None:
    return db.session.scalar(select(Campaign).where(Campaign.slug == slug))


def campaigns_for(association_ids: set[int] | None) -> list[Campaign]:
    query = select(Campaign).order_by(Campaign.starts_on.desc().nulls_last(), Campaign.id.desc())
    if association_ids is not None:
        query = query.where(Campaign.association_id.in_(association_ids or [-1]))
    return list(db.session.scalars(query))


def default_year(today: date) -> int:
    """The year whose Tết is next: after this year's Tết, plan next year's."""
    return lunar.next_tet(today).year
