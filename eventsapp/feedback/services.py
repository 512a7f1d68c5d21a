"""Feedback: who may answer, the one answer per invitation, and the results. The caller commits."""
from __future__ import annotations

import hashlib
import hmac
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from .. import spreadsheets
from ..events.models import Event
from ..extensions import db
from ..i18n import lazy_gettext as _l
from ..invitations.models import Invitation
from ..mail.models import MessageKind, MessageState, OutboxMessage
from ..timeutils import utcnow
from .models import FeedbackAnswer, FeedbackForm

MAX_TEXT = 2000


class FeedbackError(ValueError):
    """The answer cannot be taken; the message is for the reader."""


def form_of(event: Event) -> FeedbackForm:
    """The event's form (the defaults until the organiser changes them: anonymous, no question, 14 days)."""
    form = db.session.get(FeedbackForm, event.id)
    if form is None:
        form = FeedbackForm(event_id=event.id, anonymous=True, question_vi="", question_en="", open_days=14)
    return form


def closes_at(event: Event, form: FeedbackForm) -> datetime:
    return event.ends_at + timedelta(days=form.open_days)


def closed_reason(event: Event, form: FeedbackForm, now: datetime | None = None):
    now = now or utcnow()
    if event.is_cancelled:
        return _l("This event was cancelled.")
    if now < event.starts_at:
        return _l("The form opens when the event has begun.")
    if now > closes_at(event, form):
        return _l("This form is closed: answers were taken until %(days)s days after the event.", days=form.open_days)
    return None


def marker(invitation: Invitation) -> str:
    """A one-way mark of the invitation for this event: the same invitation always gives the same mark, and
    without the app's secret key nobody can tell which invitation a mark belongs to."""
    key = hashlib.sha256(f"feedback:{current_app.config['SECRET_KEY']}".encode()).digest()
    return hmac.new(key, f"{invitation.event_id}:{invitation.id}".encode(), hashlib.sha256).hexdigest()


def has_answered(invitation: Invitation) -> bool:
    return db.session.scalar(select(FeedbackAnswer.id).where(
        FeedbackAnswer.event_id == invitation.event_id, FeedbackAnswer.marker == marker(invitation))) is not None


def answer(invitation: Invitation, *, rating: int, better: str, answer_text: str, language: str,
           now: datetime | None = None) -> FeedbackAnswer:
    """Take the invitation's one answer; FeedbackError when closed or already answered."""
    event = invitation.event
    form = form_of(event)
    now = now or utcnow()
    reason = closed_reason(event, form, now)
    if reason:
        raise FeedbackError(reason)
    if has_answered(invitation):
        raise FeedbackError(_l("Thank you: your answer was already received."))
    row = FeedbackAnswer(
        event_id=event.id, marker=marker(invitation), rating=rating, better=better, answer=answer_text,
        language=language if language in ("vi", "en") else "vi",
        invitation_id=None if form.anonymous else invitation.id,
        # An anonymous answer keeps its day, not its moment (which the web server's log could match).
        created_at=now.replace(hour=0, minute=0, second=0, microsecond=0) if form.anonymous else now)
    savepoint = db.session.begin_nested()
    db.session.add(row)
    try:
        db.session.flush()
    except IntegrityError:  # the same invitation answered in another tab at the same moment
        savepoint.rollback()
        raise FeedbackError(_l("Thank you: your answer was already received.")) from None
    savepoint.commit()
    return row


# ---------------------------------------------------------------- results

@dataclass
class Results:
    asked: int = 0  # thank-you messages sent (the people the form was offered to)
    answers: list[FeedbackAnswer] = field(default_factory=list)

    @property
    def distribution(self) -> list[tuple[int, int]]:
        counts = Counter(answer.rating for answer in self.answers)
        return [(rating, counts.get(rating, 0)) for rating in range(1, 6)]

    @property
    def average(self) -> str:
        return f"{sum(a.rating for a in self.answers) / len(self.answers):.1f}" if self.answers else "—"

    @property
    def rate(self) -> str:
        return f"{100 * len(self.answers) / self.asked:.0f}%" if self.asked else "—"


def results(event_ids: list[int]) -> Results:
    """The answers of these events, newest first, and how many were asked (thank-yous sent)."""
    ids = event_ids or [-1]
    asked = db.session.scalar(select(func.count(OutboxMessage.id)).where(
        OutboxMessage.event_id.in_(ids), OutboxMessage.kind == MessageKind.THANK_YOU,
        OutboxMessage.state == MessageState.SENT)) or 0
    answers = list(db.session.scalars(select(FeedbackAnswer).where(FeedbackAnswer.event_id.in_(ids))
                                      .order_by(FeedbackAnswer.created_at.desc(), FeedbackAnswer.id.desc())))
    return Results(asked=asked, answers=answers)


def export_rows(event: Event) -> list[list]:
    """The answers as spreadsheet rows (through spreadsheets: a formula in a comment is text)."""
    form = form_of(event)
    rows = [["Ngày", "Điểm (1–5)", "Cần làm tốt hơn", form.question_vi or "Câu hỏi riêng", "Ngôn ngữ", "Khách mời"]]
    names = {}
    if not form.anonymous:
        names = dict(db.session.execute(select(Invitation.id, Invitation.contact_id)).all())
    from ..contacts.models import Contact

    for row in results([event.id]).answers:
        person = ""
        if row.invitation_id and row.invitation_id in names:
            contact = db.session.get(Contact, names[row.invitation_id])
            person = contact.full_name if contact else ""
        rows.append([row.created_at.strftime("%Y-%m-%d"), row.rating, row.better, row.answer, row.language, person])
    return rows


def export_csv(event: Event) -> bytes:
    return spreadsheets.csv_bytes(export_rows(event))
