"""Events, the changes invitees must hear about, and award honorees."""
from __future__ import annotations

import enum
import uuid
from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..dbtypes import EnumType, UTCDateTime
from ..extensions import db
from ..timeutils import utcnow


class EventKind(str, enum.Enum):
    TET_WEEK = "tet_week"
    XUAN_QUE_HUONG = "xuan_que_huong"
    ANNIVERSARY = "anniversary"
    AWARD_CEREMONY = "award_ceremony"
    CHARITY = "charity"
    FRIENDSHIP = "friendship"
    MEETING = "meeting"
    OTHER = "other"


class EventStatus(str, enum.Enum):
    DRAFT = "draft"
    PUBLISHED = "published"
    CANCELLED = "cancelled"


class Visibility(str, enum.Enum):
    PUBLIC = "public"
    INVITE_ONLY = "invite_only"


class ChangeKind(str, enum.Enum):
    """What changed in a way invitees must be told about."""

    TIME = "time"
    PLACE = "place"
    ONLINE = "online"
    CANCELLED = "cancelled"


def new_uid() -> str:
    return f"{uuid.uuid4()}@eventsapp"


class Event(db.Model):
    __tablename__ = "events"
    __table_args__ = (Index("ix_events_association_starts", "association_id", "starts_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    association_id: Mapped[int] = mapped_column(ForeignKey("associations.id", ondelete="RESTRICT"), index=True)
    campaign_id: Mapped[int | None] = mapped_column(ForeignKey("campaigns.id", ondelete="SET NULL"), index=True)
    slug: Mapped[str] = mapped_column(String(160), unique=True)
    uid: Mapped[str] = mapped_column(String(120), unique=True, default=new_uid)  # iCalendar UID, never changes
    sequence: Mapped[int] = mapped_column(default=0)  # iCalendar SEQUENCE, grows with each ChangeKind change
    title_vi: Mapped[str] = mapped_column(String(300))
    title_en: Mapped[str] = mapped_column(String(300), default="")
    description_vi: Mapped[str] = mapped_column(Text, default="")  # Markdown; rendered sanitised
    description_en: Mapped[str] = mapped_column(Text, default="")
    kind: Mapped[EventKind] = mapped_column(EnumType(EventKind), default=EventKind.OTHER)
    timezone: Mapped[str] = mapped_column(String(64), default="Asia/Ho_Chi_Minh")
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    all_day: Mapped[bool] = mapped_column(default=False)  # dates are starts_at/ends_at in the event's zone
    venue_name: Mapped[str] = mapped_column(String(300), default="")
    venue_address: Mapped[str] = mapped_column(String(500), default="")
    online_url: Mapped[str] = mapped_column(String(500), default="")
    capacity: Mapped[int | None]
    max_guests: Mapped[int] = mapped_column(default=0)  # guests an invitee may bring
    # Named guests and delegations (eventsapp/guests): an invitee's guests must each be named (their number
    # is then the number of names); delegation members are asked their nationality and passport.
    guests_must_be_named: Mapped[bool] = mapped_column(default=False)
    delegations_ask_passport: Mapped[bool] = mapped_column(default=False)
    rsvp_deadline: Mapped[datetime | None] = mapped_column(UTCDateTime)
    visibility: Mapped[Visibility] = mapped_column(EnumType(Visibility), default=Visibility.INVITE_ONLY)
    status: Mapped[EventStatus] = mapped_column(EnumType(EventStatus), default=EventStatus.DRAFT)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Every edit, however small: LAST-MODIFIED and DTSTAMP in calendars.
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    association: Mapped["Association"] = relationship()  # noqa: F821
    campaign: Mapped["Campaign | None"] = relationship(back_populates="events")  # noqa: F821
    changes: Mapped[list[EventChange]] = relationship(
        back_populates="event", cascade="all, delete-orphan", order_by="EventChange.id"
    )
    honorees: Mapped[list[Honoree]] = relationship(
        back_populates="event", cascade="all, delete-orphan", order_by="Honoree.id"
    )

    def title(self, locale: str = "vi") -> str:
        return self.title_en if locale == "en" and self.title_en else self.title_vi

    def description(self, locale: str = "vi") -> str:
        return self.description_en if locale == "en" and self.description_en else self.description_vi

    @property
    def is_cancelled(self) -> bool:
        return self.status == EventStatus.CANCELLED

    def __repr__(self) -> str:
        return f"<Event {self.slug}>"


class EventChange(db.Model):
    """One change invitees must hear about, with the sequence it produced."""

    __tablename__ = "event_changes"
    __table_args__ = (UniqueConstraint("event_id", "sequence", "kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"), index=True)
    sequence: Mapped[int]
    kind: Mapped[ChangeKind] = mapped_column(EnumType(ChangeKind))
    before: Mapped[dict] = mapped_column(JSON, default=dict)
    after: Mapped[dict] = mapped_column(JSON, default=dict)
    changed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    event: Mapped[Event] = relationship(back_populates="changes")


class Honoree(db.Model):
    """A contact honoured at an award ceremony (Giấy khen, Bằng khen, …)."""

    __tablename__ = "honorees"
    __table_args__ = (UniqueConstraint("event_id", "contact_id", "award"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"), index=True)
    contact_id: Mapped[int] = mapped_column(ForeignKey("contacts.id", ondelete="RESTRICT"), index=True)
    award: Mapped[str] = mapped_column(String(200))
    citation: Mapped[str] = mapped_column(Text, default="")

    event: Mapped[Event] = relationship(back_populates="honorees")
    contact: Mapped["Contact"] = relationship()  # noqa: F821
