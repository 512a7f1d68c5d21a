"""The organiser's feedback form of an event and the answers to it.

An answer is written once per invitation. `marker` (an HMAC of the invitation with the app's secret and
the event, see services.marker) makes a second answer impossible; an anonymous answer keeps only that
marker — no invitation, no contact, its day instead of its moment — so no table links it to the person,
and the marker cannot be recomputed from the database alone.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from ..dbtypes import UTCDateTime
from ..extensions import db
from ..timeutils import utcnow

DEFAULT_OPEN_DAYS = 14


class FeedbackForm(db.Model):
    """How an event asks: anonymously or not, one optional question of the organiser's, open for N days
    after the event ends."""

    __tablename__ = "feedback_forms"

    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"), primary_key=True)
    anonymous: Mapped[bool] = mapped_column(default=True)
    question_vi: Mapped[str] = mapped_column(String(300), default="")
    question_en: Mapped[str] = mapped_column(String(300), default="")
    open_days: Mapped[int] = mapped_column(default=DEFAULT_OPEN_DAYS)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    def question(self, locale: str) -> str:
        return (self.question_en if locale == "en" else self.question_vi) or self.question_vi or self.question_en


class FeedbackAnswer(db.Model):
    __tablename__ = "feedback_answers"
    __table_args__ = (
        UniqueConstraint("event_id", "marker", name="uq_feedback_answers_event_marker"),
        CheckConstraint("rating BETWEEN 1 AND 5", name="rating_1_to_5"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"), index=True)
    # Set only when the form was not anonymous.
    invitation_id: Mapped[int | None] = mapped_column(ForeignKey("invitations.id", ondelete="SET NULL"))
    marker: Mapped[str] = mapped_column(String(64))
    rating: Mapped[int] = mapped_column()
    better: Mapped[str] = mapped_column(Text, default="")  # "what should we do better"
    answer: Mapped[str] = mapped_column(Text, default="")  # to the organiser's own question
    language: Mapped[str] = mapped_column(String(5), default="vi")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)  # the day only when anonymous
