"""An answer's value: checked from what a form or the API sent, stored as canonical text, shown to people.

One checker per kind, built on `eventsapp.validation`, for the RSVP page, the staff's page, the
delegation page and the API alike. Typed values (the API's JSON, and the forms' strings once read by
`from_form`): choice → an option's key (whole number), choices → a list of keys, yes/no → true/false,
text → one line of at most 500 characters, number → a whole number 0–1,000,000, date → "YYYY-MM-DD".
None (or empty) is no answer.
"""
from __future__ import annotations

import re
from datetime import date

from .. import validation
from ..i18n import gettext as _
from ..validation import Invalid
from .models import ANSWER_TEXT_MAX, NUMBER_MAX, Question, QuestionKind

# Yes and no in the reader's language (False, True), also where the locale is not the request's (exports).
YES_NO = {"vi": ("Không", "Có"), "en": ("No", "Yes")}
_DIGITS = re.compile(r"\s*[0-9]{1,30}\s*")


def _key(question: Question, value) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value not in {o["key"] for o in question.options or []}:
        raise Invalid(_("Choose one of the options."))
    return value


def check(question: Question, value) -> str | None:
    """The canonical text of a typed `value` for `question`, None for no answer; `Invalid` when it is not one."""
    if value is None or value == "" or value == []:
        return None
    kind = question.kind
    if kind == QuestionKind.CHOICE:
        return str(_key(question, value))
    if kind == QuestionKind.CHOICES:
        if not isinstance(value, list):
            raise Invalid(_("Choose one or more of the options."))
        keys = sorted({_key(question, item) for item in value})
        return ",".join(str(key) for key in keys)
    if kind == QuestionKind.YES_NO:
        if not isinstance(value, bool):
            raise Invalid(_("Answer yes or no."))
        return "yes" if value else "no"
    if kind == QuestionKind.NUMBER:
        return str(validation.integer(value, minimum=0, maximum=NUMBER_MAX))
    if kind == QuestionKind.DATE:
        if not isinstance(value, str) or len(value) > 10:
            raise Invalid(_("Enter a date, e.g. 2027-02-06."))
        try:
            parsed = date.fromisoformat(value)
        except ValueError:
            raise Invalid(_("Enter a date, e.g. 2027-02-06.")) from None
        return validation.day(parsed).isoformat()
    text = validation.text(value, max_length=ANSWER_TEXT_MAX).strip()
    return text or None


def from_form(question: Question, values: list[str]):
    """A form's strings for `question` (all the values of its field) as the typed value `check` takes."""
    values = [value for value in values if value.strip()]
    if not values:
        return None
    first = values[0]
    kind = question.kind
    if kind in (QuestionKind.CHOICE, QuestionKind.CHOICES):
        keys = [int(value) if _DIGITS.fullmatch(value) else -1 for value in values]
        return keys if kind == QuestionKind.CHOICES else keys[0]
    if kind == QuestionKind.YES_NO:
        if first not in ("yes", "no"):
            raise Invalid(_("Answer yes or no."))
        return first == "yes"
    if kind == QuestionKind.NUMBER:
        if not _DIGITS.fullmatch(first):
            raise Invalid(_("Enter a whole number."))
        return int(first)
    return first


def typed(question: Question, stored: str | None):
    """A stored answer as the API gives it (the typed value `check` takes)."""
    if stored is None:
        return None
    kind = question.kind
    if kind == QuestionKind.CHOICE:
        return int(stored)
    if kind == QuestionKind.CHOICES:
        return [int(key) for key in stored.split(",") if key]
    if kind == QuestionKind.YES_NO:
        return stored == "yes"
    if kind == QuestionKind.NUMBER:
        return int(stored)
    return stored


def keys_of(question: Question, stored: str | None) -> list[int]:
    """The option keys a stored choice answer holds (none for other kinds)."""
    if stored is None or question.kind not in (QuestionKind.CHOICE, QuestionKind.CHOICES):
        return []
    return [int(key) for key in stored.split(",") if key]


def shown(question: Question, stored: str | None, locale: str) -> str:
    """A stored answer as people read it, in `locale` (pages, exports)."""
    if stored is None:
        return ""
    kind = question.kind
    if kind in (QuestionKind.CHOICE, QuestionKind.CHOICES):
        return ", ".join(label for label in (question.option_label(key, locale) for key in keys_of(question, stored))
                         if label)
    if kind == QuestionKind.YES_NO:
        return YES_NO[locale if locale in YES_NO else "vi"][stored == "yes"]
    return stored
