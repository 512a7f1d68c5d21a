"""The API's question, answers and summary: fields, rules and documentation written once
(see eventsapp.api.resources)."""
from __future__ import annotations

from marshmallow import fields

from ..api import fields as api
from ..api.resources import Schema
from ..api.schemas import component
from .models import MAX_OPTIONS, MAX_QUESTIONS, OPTION_MAX, TEXT_MAX, QuestionKind


class Option(Schema):
    """An option of a choice question; `key` is what an answer names, kept when the wording changes."""

    key = fields.Integer(dump_only=True, required=True)
    vi = api.Text(OPTION_MAX, required=True)
    en = api.Text(OPTION_MAX, load_default="")


@component("Question")
class Question(Schema):
    """A question of an event, in Vietnamese and English, asked of invitees, named guests and/or delegation
    members; options only for `choice` and `choices`."""

    id = fields.Integer(dump_only=True, required=True)
    position = api.WholeNumber(1, MAX_QUESTIONS, metadata={"description": "1 first; a PATCH moves the question"})
    kind = api.Choice(QuestionKind, required=True)
    text_vi = api.Text(TEXT_MAX, required=True)
    text_en = api.Text(TEXT_MAX, load_default="")
    options = api.Items(fields.Nested(Option), load_default=list, metadata={"maxItems": MAX_OPTIONS})
    required = api.Flag(load_default=False)
    for_invitees = api.Flag(load_default=True)
    for_guests = api.Flag(load_default=False)
    for_members = api.Flag(load_default=False)
    deadline = api.Moment(require_offset=True, metadata={"description": "answers until then (ISO 8601 with offset); "
                                                                         "null: until the answers close"})


class AnswerItem(Schema):
    """One answer: choice → an option's key, choices → a list of keys, yes_no → true/false, text → a string
    (one line, at most 500 characters), number → a whole number 0–1,000,000, date → "YYYY-MM-DD"; null removes
    the answer."""

    question_id = api.Identifier(required=True)
    value = fields.Raw(required=True, allow_none=True, metadata={"description": "typed by the question's kind"})


@component("Answers")
class Answers(Schema):
    """An invitee's answers to the event's questions."""

    answers = api.Items(fields.Nested(AnswerItem), required=True)


class SummaryLine(Schema):
    answer = fields.String(required=True)
    coming = fields.Integer(required=True, metadata={"description": "people coming who gave this answer"})
    everyone = fields.Integer(required=True, metadata={"description": "everyone who gave it"})


@component("QuestionSummary")
class QuestionSummary(Schema):
    """A question's answers counted; `coming` counts accepted invitees, their guests and delegation members."""

    question_id = fields.Integer(attribute="question.id", required=True)
    text = fields.String(required=True)
    answered = fields.Integer(required=True)
    coming = fields.Integer(required=True)
    total_coming = fields.Integer(allow_none=True, metadata={"description": "number questions: the sum"})
    lines = fields.List(fields.Nested(SummaryLine), required=True)
