"""Reminder rules: when to remind whom of an event, and when to thank them afterwards.

A rule belongs to exactly one owner:
- an event: the rule that fires; `fire_at` is materialised (UTC) from the event's
  times, `fired_at` / `skipped_at` record what became of it;
- a campaign: a default that the campaign's new events copy;
- an association: a default for its events (and its branches') outside a campaign.

The due query reads the partial index `ix_reminder_rules_due`, which holds only
rules that have neither fired nor been skipped: its size is the number of
pending reminders, not the number of reminders ever stored.
"""
from __future__ import annotations

import enum
from datetime import datetime, timedelta

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..dbtypes import EnumType, UTCDateTime
from ..extensions import db
from ..timeutils import utcnow


class RuleKind(str, enum.Enum):
    REMINDER = "reminder"
    THANK_YOU = "thank_you"


class Anchor(str, enum.Enum):
    START = "start"        # offset from the event's start
    END = "end"            # offset from the event's end (thank-you)
    ABSOLUTE = "absolute"  # a fixed moment (event rules only)


class SkipReason(str, enum.Enum):
    STARTED = "started"              # its time passed while the system was down and the event has begun
    TOO_LATE = "too_late"            # a thank-you more than THANK_YOU_GRACE late
    CANCELLED = "cancelled"          # the event was cancelled
    NOT_PUBLISHED = "not_published"  # due while the event was a draft (re-armed on publishing)
    REMOVED = "removed"              # the organiser removed the rule
    SUPERSEDED = "superseded"        # late, and a later reminder to the same people is due too
    PUBLISHED_LATE = "published_late"  # its moment had passed when the event was published
    # Only for single invitees (rows of ReminderSkip), never a whole rule:
    NOT_INVITED = "not_invited"      # the invitation e-mail was never sent to this invitee
    INVITED_LATE = "invited_late"    # its moment had passed when the invitation was sent
    RECENTLY_REMINDED = "recently_reminded"  # reminded of this event within REMINDER_WINDOW_MINUTES


AUDIENCES = ("accepted", "tentative", "pending", "attended")
DUE_WHERE = "fired_at IS NULL AND skipped_at IS NULL"


class ReminderSkip(db.Model):
    """One invitee a rule left out when it fired, and why (shown on the event's reminders tab)."""

    __tablename__ = "reminder_skips"
    __table_args__ = (UniqueConstraint("rule_id", "invitation_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    rule_id: Mapped[int] = mapped_column(ForeignKey("reminder_rules.id", ondelete="CASCADE"))
    invitation_id: Mapped[int] = mapped_column(ForeignKey("invitations.id", ondelete="CASCADE"), index=True)
    reason: Mapped[SkipReason] = mapped_column(EnumType(SkipReason))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ReminderRule(db.Model):
    __tablename__ = "reminder_rules"
    __table_args__ = (
        # Only pending rules are in this index: the due query's cost follows them alone.
        Index("ix_reminder_rules_due", "fire_at",
              postgresql_where=text(DUE_WHERE), sqlite_where=text(DUE_WHERE)),
        CheckConstraint(
            "(CASE WHEN event_id IS NULL THEN 0 ELSE 1 END) + (CASE WHEN campaign_id IS NULL THEN 0 ELSE 1 END)"
            " + (CASE WHEN association_id IS NULL THEN 0 ELSE 1 END) = 1",
            name="one_owner",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int | None] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"), index=True)
    campaign_id: Mapped[int | None] = mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"), index=True)
    association_id: Mapped[int | None] = mapped_column(ForeignKey("associations.id", ondelete="CASCADE"), index=True)
    kind: Mapped[RuleKind] = mapped_column(EnumType(RuleKind), default=RuleKind.REMINDER)
    anchor: Mapped[Anchor] = mapped_column(EnumType(Anchor), default=Anchor.START)
    offset_minutes: Mapped[int] = mapped_column(default=0)  # negative = before the anchor
    absolute_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    to_accepted: Mapped[bool] = mapped_column(default=True)
    to_tentative: Mapped[bool] = mapped_column(default=False)
    to_pending: Mapped[bool] = mapped_column(default=False)
    to_attended: Mapped[bool] = mapped_column(default=False)  # thank-you: who checked in at the door
    message_vi: Mapped[str] = mapped_column(Text, default="")
    message_en: Mapped[str] = mapped_column(Text, default="")
    # Event rules copied from a default keep a note of where they came from ("inherited").
    inherited_from: Mapped[str] = mapped_column(String(20), default="")
    fire_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    fired_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    skipped_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    skip_reason: Mapped[SkipReason | None] = mapped_column(EnumType(SkipReason))
    removed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    sent_count: Mapped[int] = mapped_column(default=0)  # outbox rows written when it fired
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    event: Mapped["Event | None"] = relationship()  # noqa: F821
    campaign: Mapped["Campaign | None"] = relationship()  # noqa: F821
    association: Mapped["Association | None"] = relationship()  # noqa: F821

    @property
    def audience(self) -> list[str]:
        return [name for name in AUDIENCES if getattr(self, f"to_{name}")]

    @property
    def message(self) -> dict[str, str]:
        return {"vi": self.message_vi, "en": self.message_en}

    @property
    def is_pending(self) -> bool:
        return self.fired_at is None and self.skipped_at is None

    def moment_for(self, starts_at: datetime, ends_at: datetime) -> datetime | None:
        """When this rule fires for an event with these times."""
        if self.anchor == Anchor.ABSOLUTE:
            return self.absolute_at
        base = ends_at if self.anchor == Anchor.END else starts_at
        return base + timedelta(minutes=self.offset_minutes)

    def __repr__(self) -> str:
        owner = f"event={self.event_id}" if self.event_id else (
            f"campaign={self.campaign_id}" if self.campaign_id else f"association={self.association_id}")
        return f"<ReminderRule {self.id} {owner} {self.kind.value} {self.anchor.value}{self.offset_minutes:+d}>"
