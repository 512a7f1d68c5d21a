"""An event's questions and the answers of invitees, named guests and delegation members.

An answer belongs to exactly one person: an invitation (the invitee) or an `EventGuest` (a named guest or a
delegation member). Its value is stored as text in one canonical form per kind (see `answers.py`), so
exports and summaries read it without knowing who wrote it.
"""
from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import JSON, CheckConstraint, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..dbtypes import EnumType, UTCDateTime
from ..extensions import db
from ..timeutils import utcnow

MAX_QUESTIONS = 10  # per event
MAX_OPTIONS = 20    # per choice question
TEXT_MAX = 300      # a question's wording, in each language
OPTION_MAX = 200    # an option's wording
ANSWER_TEXT_MAX = 500
NUMBER_MAX = 1_000_000


class QuestionKind(str, enum.Enum):
    CHOICE = "choice"        # one of the options
    CHOICES = "choices"      # any of the options
    YES_NO = "yes_no"
    TEXT = "text"            # a short text, one line
    NUMBER = "number"        # a whole number, 0 to 1,000,000
    DATE = "date"


class Audience(str, enum.Enum):
    """Who answers: the invitee, a guest named by an invitee, or a member of a delegation."""

    INVITEE = "invitee"
    GUEST = "guest"
    MEMBER = "member"


class Question(db.Model):
    __tablename__ = "questions"

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(default=1)  # 1 first
    kind: Mapped[QuestionKind] = mapped_column(EnumType(QuestionKind))
    text_vi: Mapped[str] = mapped_column(String(TEXT_MAX))
    text_en: Mapped[str] = mapped_column(String(TEXT_MAX), default="")
    # [{"key": 1, "vi": "Chay", "en": "Vegetarian"}, …]: a key never changes once given, so an answer keeps
    # meaning the same option when the wording is corrected or the options are reordered.
    options: Mapped[list] = mapped_column(JSON, default=list)
    required: Mapped[bool] = mapped_column(default=False)
    for_invitees: Mapped[bool] = mapped_column(default=True)
    for_guests: Mapped[bool] = mapped_column(default=False)
    for_members: Mapped[bool] = mapped_column(default=False)
    deadline: Mapped[datetime | None] = mapped_column(UTCDateTime)  # answers are closed after it (staff excepted)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    event: Mapped["Event"] = relationship()  # noqa: F821

    def text(self, locale: str = "vi") -> str:
        return self.text_en if locale == "en" and self.text_en else self.text_vi

    def option_label(self, key: int, locale: str = "vi") -> str:
        for option in self.options or []:
            if option["key"] == key:
                return option["en"] if locale == "en" and option.get("en") else option["vi"]
        return ""

    def asks(self, audience: Audience) -> bool:
        return {Audience.INVITEE: self.for_invitees, Audience.GUEST: self.for_guests,
                Audience.MEMBER: self.for_members}[audience]

    def is_closed(self, now: datetime) -> bool:
        return self.deadline is not None and now > self.deadline


class QuestionAnswer(db.Model):
    __tablename__ = "question_answers"
    __table_args__ = (
        UniqueConstraint("question_id", "invitation_id", name="uq_question_answers_invitation"),
        UniqueConstraint("question_id", "guest_id", name="uq_question_answers_guest"),
        CheckConstraint("(invitation_id IS NULL) <> (guest_id IS NULL)", name="ck_question_answers_one_person"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    question_id: Mapped[int] = mapped_column(ForeignKey("questions.id", ondelete="CASCADE"), index=True)
    invitation_id: Mapped[int | None] = mapped_column(ForeignKey("invitations.id", ondelete="CASCADE"), index=True)
    guest_id: Mapped[int | None] = mapped_column(ForeignKey("event_guests.id", ondelete="CASCADE"), index=True)
    value: Mapped[str] = mapped_column(Text)  # canonical text of the kind: "3", "1,4", "yes", "12", "2027-02-06"
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    question: Mapped[Question] = relationship()
