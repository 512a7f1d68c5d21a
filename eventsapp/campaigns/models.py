"""Campaigns: the Tết Việt week, anniversaries, award ceremonies, … each holding events."""
from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..dbtypes import EnumType, UTCDateTime
from ..extensions import db
from ..timeutils import utcnow


class CampaignKind(str, enum.Enum):
    TET_WEEK = "tet_week"
    XUAN_QUE_HUONG = "xuan_que_huong"
    ANNIVERSARY = "anniversary"
    AWARD_CEREMONY = "award_ceremony"
    CHARITY = "charity"
    FRIENDSHIP = "friendship"
    OTHER = "other"


class CampaignStatus(str, enum.Enum):
    DRAFT = "draft"
    PUBLISHED = "published"
    ARCHIVED = "archived"


class Campaign(db.Model):
    __tablename__ = "campaigns"

    id: Mapped[int] = mapped_column(primary_key=True)
    association_id: Mapped[int] = mapped_column(ForeignKey("associations.id", ondelete="RESTRICT"), index=True)
    slug: Mapped[str] = mapped_column(String(120), unique=True)
    title_vi: Mapped[str] = mapped_column(String(300))
    title_en: Mapped[str] = mapped_column(String(300), default="")
    kind: Mapped[CampaignKind] = mapped_column(EnumType(CampaignKind), default=CampaignKind.OTHER)
    description_vi: Mapped[str] = mapped_column(Text, default="")
    description_en: Mapped[str] = mapped_column(Text, default="")
    starts_on: Mapped[date | None]
    ends_on: Mapped[date | None]
    status: Mapped[CampaignStatus] = mapped_column(EnumType(CampaignStatus), default=CampaignStatus.DRAFT)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    association: Mapped["Association"] = relationship()  # noqa: F821
    events: Mapped[list["Event"]] = relationship(back_populates="campaign", order_by="Event.starts_at")  # noqa: F821

    def title(self, locale: str = "vi") -> str:
        return self.title_en if locale == "en" and self.title_en else self.title_vi
