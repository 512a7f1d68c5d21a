"""Demo: the next Tết Việt week and Xuân Quê hương of the Vietnam–Japan association (dates from the lunar calendar)."""
from __future__ import annotations

from ..associations import services as associations
from ..extensions import db
from ..timeutils import utcnow
from . import lunar, services
from .models import CampaignKind, CampaignStatus

HOST = "viet-nhat"


def tet_week_slug(year: int) -> str:
    return f"tuan-le-tet-viet-{year}"


def _ensure(association, kind: CampaignKind, year: int, slug: str, description: str):
    campaign = services.get_by_slug(slug)
    if campaign is None:
        proposal = services.propose(kind, year)
        campaign = services.create_campaign(
            association, kind=kind, title_vi=proposal["title_vi"], title_en=proposal["title_en"],
            starts_on=proposal["starts_on"], ends_on=proposal["ends_on"], description_vi=description)
        campaign.slug = slug
        services.publish(campaign)
        db.session.flush()
    elif campaign.status == CampaignStatus.DRAFT:
        services.publish(campaign)
    return campaign


def seed():
    association = associations.get_by_slug(HOST)
    if association is None:
        return
    year = lunar.next_tet(utcnow().date()).year
    week = _ensure(association, CampaignKind.TET_WEEK, year, tet_week_slug(year),
                   "Chuỗi hoạt động **đón Tết cổ truyền** cùng hội viên, bạn bè Nhật Bản và kiều bào.")
    spring = _ensure(association, CampaignKind.XUAN_QUE_HUONG, year, f"xuan-que-huong-{year}",
                     "Gặp mặt kiều bào về quê đón Tết.")
    yield (f"Campaigns: {week.title_vi} ({week.starts_on:%d/%m/%Y} – {week.ends_on:%d/%m/%Y}, "
           f"Tết {lunar.tet(year):%d/%m/%Y}); {spring.title_vi} ({spring.starts_on:%d/%m/%Y}).")
