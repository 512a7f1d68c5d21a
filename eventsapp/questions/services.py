"""The rules of an event's questions and their answers; the caller commits.

Organisers: `create_question`, `update_question`, `move_question`, `remove_question` (at most 10 per event).
Answering (the RSVP page, the staff's page, the delegation page, the API): `fields` gives what a form shows,
`record_form` checks a submitted form and saves its answers, `record_values` does the same for the API's
typed values. A person is an invitation (the invitee) or an `EventGuest` (`Person`). After a question's
deadline only staff may change its answers; "required" binds invitees who attend, guests and members, not
staff taking an answer by phone.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.orm import aliased

from .. import audit
from ..events.models import Event
from ..extensions import db
from ..guests.models import Delegation, EventGuest
from ..i18n import gettext as _
from ..invitations.models import Invitation, InvitationStatus
from ..timeutils import utcnow
from ..validation import Invalid
from . import answers, reading
from .models import MAX_OPTIONS, MAX_QUESTIONS, Audience, Question, QuestionAnswer, QuestionKind

CHOICE_KINDS = (QuestionKind.CHOICE, QuestionKind.CHOICES)


class QuestionError(Exception):
    """A change to the questions that the rules refuse; the message says why, in the reader's language."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


# ------------------------------------------------------------------ organisers: the questions

@dataclass
class QuestionValues:
    """A question as an organiser writes it; `options` are (Vietnamese, English) pairs in order."""

    kind: QuestionKind
    text_vi: str
    text_en: str = ""
    options: list[tuple[str, str]] = field(default_factory=list)
    required: bool = False
    for_invitees: bool = True
    for_guests: bool = False
    for_members: bool = False
    deadline: datetime | None = None


def event_questions(event_id: int) -> list[Question]:
    """The event's questions in their order."""
    return list(db.session.scalars(select(Question).where(Question.event_id == event_id)
                                   .order_by(Question.position, Question.id)))


def _keyed_options(existing: list[dict], pairs: list[tuple[str, str]]) -> list[dict]:
    """The new options with keys: an option whose Vietnamese wording (case aside) was there keeps its key, so
    the answers that chose it still do; the others get new keys."""
    known = {option["vi"].strip().casefold(): option["key"] for option in existing}
    next_key = max([option["key"] for option in existing] + [0]) + 1
    keyed, used = [], set()
    for vi, en in pairs:
        key = known.get(vi.strip().casefold())
        if key is None or key in used:
            key, next_key = next_key, next_key + 1
        used.add(key)
        keyed.append({"key": key, "vi": vi.strip(), "en": en.strip()})
    return keyed


def _check(values: QuestionValues) -> None:
    if not values.text_vi.strip():
        raise QuestionError(_("Write the question in Vietnamese."))
    if not (values.for_invitees or values.for_guests or values.for_members):
        raise QuestionError(_("Choose who is asked: invitees, guests or delegation members."))
    if values.kind in CHOICE_KINDS:
        if len(values.options) < 2:
            raise QuestionError(_("A question with options needs at least two options."))
        if len(values.options) > MAX_OPTIONS:
            raise QuestionError(_("At most %(n)s options.", n=MAX_OPTIONS))
        if any(not vi.strip() for vi, _en in values.options):
            raise QuestionError(_("Every option needs its Vietnamese wording."))
        if len({vi.strip().casefold() for vi, _en in values.options}) != len(values.options):
            raise QuestionError(_("Two options have the same wording."))


def touch_event(event_id: int) -> None:
    """Move the event's version: the RSVP page's cached questions (`reading.of_event`) are read afresh."""
    db.session.execute(update(Event).where(Event.id == event_id).values(updated_at=utcnow()))


def _apply(question: Question, values: QuestionValues) -> None:
    _check(values)
    if question.event_id is not None:
        touch_event(question.event_id)
    question.kind = values.kind
    question.text_vi, question.text_en = values.text_vi.strip(), values.text_en.strip()
    question.options = _keyed_options(question.options or [], values.options) if values.kind in CHOICE_KINDS else []
    question.required = values.required
    question.for_invitees, question.for_guests, question.for_members = \
        values.for_invitees, values.for_guests, values.for_members
    question.deadline = values.deadline


def _audit(question: Question, change: str, event=None, **details) -> None:
    """A question added, changed, moved or removed, in the audit log (its id and kind, never its words)."""
    event = event if event is not None else db.session.get(Event, question.event_id)
    audit.record("settings_changed", ("questions", question.id), association_id=event.association_id if event else None,
                 what="question", change=change, event_id=question.event_id, kind=question.kind.value, **details)


def create_question(event, values: QuestionValues) -> Question:
    """Add a question at the end of the event's list (at most 10)."""
    # The event's row is the lock two organisers adding at once queue behind, so the eleventh is refused.
    db.session.execute(select(type(event).id).where(type(event).id == event.id).with_for_update())
    count = db.session.scalar(select(func.count()).where(Question.event_id == event.id))
    if count >= MAX_QUESTIONS:
        raise QuestionError(_("An event has at most %(n)s questions.", n=MAX_QUESTIONS))
    question = Question(event_id=event.id, position=count + 1, options=[])
    _apply(question, values)
    touch_event(event.id)
    db.session.add(question)
    db.session.flush()
    _audit(question, "added", event)
    return question


def update_question(question: Question, values: QuestionValues) -> Question:
    """Change a question; a new kind drops the answers given to the old one (they would mean nothing)."""
    dropped = 0
    if question.kind != values.kind:
        dropped = db.session.execute(
            QuestionAnswer.__table__.delete().where(QuestionAnswer.question_id == question.id)).rowcount
    _apply(question, values)
    fields = audit.changed(question)
    db.session.flush()
    if fields:
        _audit(question, "edited", fields=[name for name in fields if name != "updated_at"], answers_dropped=dropped)
    return question


def move_question(question: Question, step: int) -> None:
    """Move a question one place up (-1) or down (+1)."""
    ordered = event_questions(question.event_id)
    index = ordered.index(question)
    other = index + step
    if 0 <= other < len(ordered):
        ordered[index], ordered[other] = ordered[other], ordered[index]
    for position, item in enumerate(ordered, start=1):
        item.position = position
    touch_event(question.event_id)
    db.session.flush()
    _audit(question, "moved", position=question.position)


def place_question(question: Question, position: int) -> None:
    """Put a question at `position` (1 first; past the end: last); the others keep their order around it."""
    ordered = [item for item in event_questions(question.event_id) if item.id != question.id]
    ordered.insert(max(0, min(position - 1, len(ordered))), question)
    for number, item in enumerate(ordered, start=1):
        item.position = number
    touch_event(question.event_id)
    db.session.flush()
    _audit(question, "moved", position=question.position)


def remove_question(question: Question) -> None:
    """Remove a question and its answers; the others close up."""
    event_id = question.event_id
    answers_removed = db.session.scalar(select(func.count()).where(QuestionAnswer.question_id == question.id))
    _audit(question, "removed", answers_removed=answers_removed)
    db.session.delete(question)
    db.session.flush()
    for position, item in enumerate(event_questions(event_id), start=1):
        item.position = position
    touch_event(event_id)
    db.session.flush()


# ------------------------------------------------------------------ answering

@dataclass(frozen=True)
class Person:
    """Who answers: an invitation's invitee, or a named guest or delegation member (`EventGuest`)."""

    invitation_id: int | None = None
    guest_id: int | None = None

    def where(self):
        return (QuestionAnswer.invitation_id == self.invitation_id if self.invitation_id is not None
                else QuestionAnswer.guest_id == self.guest_id)


def _questions(event, audience: Audience | None = None) -> list:
    """The questions of `event` (an id; or the RSVP page's `EventSnapshot` or an `Event`, whose questions are
    cached per version) that `audience` is asked (None: all of them, as staff see them), in order."""
    questions = event_questions(event) if isinstance(event, int) else reading.of_event(event)
    return [q for q in questions if audience is None or q.asks(Audience(audience))]


def asked(event, audience: Audience) -> list:
    """The event's questions that `audience` is asked, in order (`event`: an id or an `EventSnapshot`)."""
    return _questions(event, audience)


def stored(person: Person, question_ids=None) -> dict[int, str]:
    """The person's stored answers, by question id."""
    query = select(QuestionAnswer.question_id, QuestionAnswer.value).where(person.where())
    if question_ids is not None:
        query = query.where(QuestionAnswer.question_id.in_(list(question_ids)))
    return dict(db.session.execute(query).all())


@dataclass(frozen=True)
class Field:
    """One question as a form shows it: its input's name, the values to show, its error, whether it is closed."""

    question: Question
    name: str
    values: tuple[str, ...]
    error: str | None
    closed: bool

    @property
    def value(self) -> str:
        return self.values[0] if self.values else ""


def _form_values(question: Question, value: str | None) -> tuple[str, ...]:
    if value is None:
        return ()
    if question.kind in CHOICE_KINDS:
        return tuple(str(key) for key in answers.keys_of(question, value))
    return (value,)


def fields(event, audience: Audience, person: Person | None, *, form=None, errors=None,
           prefix: str = "question-", staff: bool = False) -> list[Field]:
    """What a form shows of the questions `audience` is asked (`event`: an id or an `EventSnapshot`): the
    person's answers (or, after a refused submission, what was sent), and each field's error. `person` None: a
    person not known yet (registration); `staff`: every question, none closed."""
    questions = _questions(event, None if staff else audience)
    saved = stored(person, [q.id for q in questions]) if person is not None and questions else {}
    now, errors = utcnow(), errors or {}
    shown = []
    for question in questions:
        name = f"{prefix}{question.id}"
        closed = question.is_closed(now) and not staff
        if form is not None and not closed:
            values = tuple(value for value in form.getlist(name) if value)
        else:
            values = _form_values(question, saved.get(question.id))
        shown.append(Field(question, name, values, errors.get(name), closed))
    return shown


def _save(person: Person, values: dict[int, str | None]) -> None:
    if not values:
        return
    rows = {row.question_id: row for row in db.session.scalars(
        select(QuestionAnswer).where(person.where(), QuestionAnswer.question_id.in_(list(values))))}
    for question_id, value in values.items():
        row = rows.get(question_id)
        if value is None:
            if row is not None:
                db.session.delete(row)
        elif row is None:
            db.session.add(QuestionAnswer(question_id=question_id, invitation_id=person.invitation_id,
                                          guest_id=person.guest_id, value=value))
        elif row.value != value:
            row.value = value
    db.session.flush()


def _checked(questions: list[Question], sent, *, attending: bool, staff: bool, name) -> tuple[dict, dict]:
    """(canonical values by question id, errors by field name) of the typed values `sent(question)` gives
    (a question not sent at all is left as it is)."""
    now, values, errors = utcnow(), {}, {}
    missing = object()
    for question in questions:
        if question.is_closed(now) and not staff:
            continue
        try:
            value = sent(question, missing)
            if value is missing:
                continue
            values[question.id] = answers.check(question, value)
        except Invalid as error:
            errors[name(question)] = error.message
            continue
        if values[question.id] is None and question.required and attending and not staff:
            errors[name(question)] = _("Please answer this question.")
    return values, errors


def check_form(event, audience: Audience, form, *, attending: bool = True, staff: bool = False,
               prefix: str = "question-") -> tuple[dict[int, str | None], dict[str, str]]:
    """The answers a submitted form (`request.form`) holds for the questions `audience` is asked: (canonical
    values by question id, errors by field name). `attending` False (an invitee declining): required questions
    may stay unanswered."""
    questions = _questions(event, None if staff else audience)

    def sent(question, missing):
        return answers.from_form(question, form.getlist(f"{prefix}{question.id}"))

    return _checked(questions, sent, attending=attending, staff=staff, name=lambda q: f"{prefix}{q.id}")


def record_form(event, audience: Audience, form, person: Person, *, attending: bool = True,
                staff: bool = False, prefix: str = "question-") -> dict[str, str]:
    """Check the answers a submitted form holds (`check_form`) and, when all are acceptable, save them (not
    committed). Returns the errors by field name (empty: saved)."""
    values, errors = check_form(event, audience, form, attending=attending, staff=staff, prefix=prefix)
    if not errors:
        _save(person, values)
        if staff:
            _audit_answers(event, person, values)
    return errors


def restore(event_id: int, person: Person, kept: dict[str, str | None]) -> None:
    """Save answers checked earlier and kept as canonical text by question id (a registration, until it is
    confirmed); an answer that no longer fits its question (changed or removed meanwhile) is left out."""
    values = {}
    for question in event_questions(event_id):
        if str(question.id) in kept:
            try:
                values[question.id] = answers.check(question, answers.typed(question, kept[str(question.id)]))
            except (Invalid, ValueError):
                continue
    _save(person, values)


def record_values(event_id: int, audience: Audience, person: Person, sent: dict[int, object], *,
                  staff: bool = False, attending: bool = True, complete: bool = False) -> dict[str, str]:
    """The API's answers (`{question id: typed value}`): the errors by question id (as text), or saved (not
    committed) when there are none. A question id the event does not have (or does not ask `audience`) is an
    error too, and so, for anyone but staff, is an answer to a question whose deadline has passed. `complete`
    (a new person, as a form sends every field): a question left out counts as unanswered, so a required one
    is refused."""
    questions = _questions(event_id, None if staff else audience)
    known = {question.id for question in questions}
    errors = {str(question_id): _("No such question for this event.") for question_id in sent if question_id not in known}
    now = utcnow()
    if not staff:
        errors |= {str(q.id): _("Answers to this question are closed.") for q in questions
                   if q.id in sent and q.is_closed(now)}
    if complete:
        sent = {question.id: None for question in questions} | sent
    values, more = _checked(questions, lambda q, missing: sent.get(q.id, missing), attending=attending,
                            staff=staff, name=lambda q: str(q.id))
    errors |= more
    if not errors:
        _save(person, values)
        if staff:
            _audit_answers(event_id, person, values)
    return errors


def _audit_answers(event, person: Person, values: dict) -> None:
    """Answers recorded by staff for a person: whose (invitation or guest id), how many questions; not the answers."""
    event = event if isinstance(event, Event) else db.session.get(Event, event if isinstance(event, int) else event.id)
    target = ("invitations", person.invitation_id) if person.invitation_id is not None else (
        "event_guests", person.guest_id)
    audit.record("invitation_changed", target, association_id=event.association_id if event else None,
                 change="answers_recorded", event_id=event.id if event else None, questions=len(values))


# ------------------------------------------------------------------ reading answers: lists, exports, summaries

def typed_answers(event_id: int, given: dict[int, str]) -> list[dict]:
    """Stored answers (`{question id: value}`) as the API gives them: `[{question_id, value typed by its kind}]`, in
    the event's order of its questions."""
    return [{"question_id": question.id, "value": answers.typed(question, given[question.id])}
            for question in event_questions(event_id) if question.id in given]


def answers_by_invitation(invitation_ids) -> dict[int, dict[int, str]]:
    """{invitation id: {question id: stored value}}."""
    return _answers_by(QuestionAnswer.invitation_id, invitation_ids)


def answers_by_guest(guest_ids) -> dict[int, dict[int, str]]:
    """{event guest id: {question id: stored value}}."""
    return _answers_by(QuestionAnswer.guest_id, guest_ids)


def _answers_by(owner, ids) -> dict[int, dict[int, str]]:
    """{owner id: {question id: stored value}} in one query, `owner` the answer's invitation or guest column."""
    found: dict[int, dict[int, str]] = {}
    ids = list(ids)
    if not ids:
        return found
    for owner_id, question_id, value in db.session.execute(
            select(owner, QuestionAnswer.question_id, QuestionAnswer.value).where(owner.in_(ids))):
        found.setdefault(owner_id, {})[question_id] = value
    return found


def answer_lines(event_id: int, invitation_ids, locale: str, *, guests: bool = False
                 ) -> dict[int, list[tuple[str, str]]] | None:
    """{invitation id: [(question, answer as read)]}, for the invitation list; None when the event asks nothing.
    With `guests`, the ids are event guests' (named guests, delegation members) and so are the keys."""
    questions = event_questions(event_id)
    if not questions:
        return None
    by_person = answers_by_guest(invitation_ids) if guests else answers_by_invitation(invitation_ids)
    return {person_id: [(q.text(locale), answers.shown(q, given[q.id], locale)) for q in questions if q.id in given]
            for person_id, given in by_person.items()}


def export_columns(event_id: int, invitation_ids):
    """(the questions' Vietnamese wordings, a function giving an invitation's answers in that order), for exports."""
    questions = event_questions(event_id)
    by_invitation = answers_by_invitation(invitation_ids) if questions else {}

    def cells(invitation_id: int) -> list[str]:
        given = by_invitation.get(invitation_id, {})
        return [answers.shown(q, given.get(q.id), "vi") for q in questions]

    return [q.text_vi for q in questions], cells


@dataclass
class Summary:
    """A question's answers counted: `coming` counts the people who are coming (accepted invitees, the guests
    of accepted invitees, members of delegations not withdrawn), `answered` everyone who answered."""

    question: Question
    answered: int = 0
    coming: int = 0
    lines: list[tuple[str, int, int]] = field(default_factory=list)  # (answer as read, coming, everyone)
    total_coming: int | None = None  # a number question: the sum over the people coming


def _answer_rows(event_id: int):
    """(question id, value, whether the person is coming) of every answer to the event's questions."""
    guest_invitation = aliased(Invitation)
    rows = db.session.execute(
        select(QuestionAnswer.question_id, QuestionAnswer.value, Invitation.status, Invitation.revoked_at,
               EventGuest.id, guest_invitation.status, guest_invitation.revoked_at, Delegation.id,
               Delegation.revoked_at)
        .join(Question, Question.id == QuestionAnswer.question_id)
        .outerjoin(Invitation, Invitation.id == QuestionAnswer.invitation_id)
        .outerjoin(EventGuest, EventGuest.id == QuestionAnswer.guest_id)
        .outerjoin(guest_invitation, guest_invitation.id == EventGuest.invitation_id)
        .outerjoin(Delegation, Delegation.id == EventGuest.delegation_id)
        .where(Question.event_id == event_id))
    for question_id, value, status, revoked, guest_id, guest_status, guest_revoked, delegation_id, withdrawn in rows:
        if guest_id is None:
            coming = status == InvitationStatus.ACCEPTED and revoked is None
        elif delegation_id is not None:
            coming = withdrawn is None
        else:
            coming = guest_status == InvitationStatus.ACCEPTED and guest_revoked is None
        yield question_id, value, coming


def summaries(event_id: int, locale: str) -> list[Summary]:
    """Each question's answers counted (e.g. "Vegetarian: 37 coming"), in the questions' order."""
    questions = event_questions(event_id)
    by_id = {question.id: Summary(question) for question in questions}
    counts: dict[int, tuple[Counter, Counter]] = {q.id: (Counter(), Counter()) for q in questions}
    totals: dict[int, int] = {}
    for question_id, value, coming in _answer_rows(event_id):
        summary, (coming_counts, all_counts) = by_id[question_id], counts[question_id]
        question = summary.question
        summary.answered += 1
        summary.coming += coming
        parts = [str(key) for key in answers.keys_of(question, value)] if question.kind in CHOICE_KINDS else [value]
        for part in parts:
            all_counts[part] += 1
            coming_counts[part] += coming
        if question.kind == QuestionKind.NUMBER and coming:
            totals[question_id] = totals.get(question_id, 0) + int(value)
    for question in questions:
        summary, (coming_counts, all_counts) = by_id[question.id], counts[question.id]
        if question.kind in CHOICE_KINDS:
            order = [str(option["key"]) for option in question.options]
            summary.lines = [(question.option_label(int(key), locale), coming_counts[key], all_counts[key])
                             for key in order]
        elif question.kind == QuestionKind.YES_NO:
            summary.lines = [(answers.shown(question, value, locale), coming_counts[value], all_counts[value])
                             for value in ("yes", "no")]
        elif question.kind == QuestionKind.NUMBER:
            summary.total_coming = totals.get(question.id, 0)
        else:  # text and dates: the most frequent answers
            summary.lines = [(answers.shown(question, value, locale), coming_counts[value], count)
                             for value, count in all_counts.most_common(20)]
    return [by_id[question.id] for question in questions]
