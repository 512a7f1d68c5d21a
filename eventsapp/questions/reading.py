"""The questions as the RSVP page reads them: frozen, once per version of the event and process.

The RSVP page is the hottest page of a send and costs one query per view (`invitations/reading.py`); its
questions come from a `VersionedCache` keyed by the event's versions (`EventSnapshot.versions`), which every
change to the questions moves (`services.touch_event`), so an edit shows on the next view in every process.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from ..extensions import db
from ..versioned_cache import VersionedCache
from .models import Question, QuestionKind


@dataclass(frozen=True)
class QuestionSnapshot:
    """What a form reads of a question, frozen (shared by every request of the process)."""

    id: int
    event_id: int
    position: int
    kind: QuestionKind
    text_vi: str
    text_en: str
    options: tuple
    required: bool
    for_invitees: bool
    for_guests: bool
    for_members: bool
    deadline: datetime | None

    text = Question.text
    option_label = Question.option_label
    asks = Question.asks
    is_closed = Question.is_closed

    @classmethod
    def of(cls, q: Question) -> QuestionSnapshot:
        return cls(q.id, q.event_id, q.position, QuestionKind(q.kind), q.text_vi, q.text_en or "",
                   tuple(dict(option) for option in q.options or []), bool(q.required), bool(q.for_invitees),
                   bool(q.for_guests), bool(q.for_members), q.deadline)


snapshots: VersionedCache[tuple[QuestionSnapshot, ...]] = VersionedCache(256)


def of_event(event) -> tuple[QuestionSnapshot, ...]:
    """The questions of `event` (an `EventSnapshot`, which carries its `versions`, or an `Event` as an answer
    reads it under its lock: its `updated_at` is the version), in order."""
    versions = getattr(event, "versions", None) or (event.id, event.updated_at)
    return snapshots.get(versions, lambda: tuple(QuestionSnapshot.of(q) for q in db.session.scalars(
        select(Question).where(Question.event_id == event.id).order_by(Question.position, Question.id))))
