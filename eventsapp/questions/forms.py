"""The organiser's form of a question."""
from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import BooleanField, SelectField, StringField, TextAreaField
from wtforms.validators import InputRequired, Optional

from .. import validation
from ..events.forms import LocalTimeField
from ..i18n import lazy_gettext as _l
from ..validation import Check
from .models import MAX_OPTIONS, OPTION_MAX, TEXT_MAX, QuestionKind

KIND_LABELS = {
    QuestionKind.CHOICE: _l("One choice"),
    QuestionKind.CHOICES: _l("Several choices"),
    QuestionKind.YES_NO: _l("Yes or no"),
    QuestionKind.TEXT: _l("Short text"),
    QuestionKind.NUMBER: _l("Number"),
    QuestionKind.DATE: _l("Date"),
}
OPTIONS_MAX = MAX_OPTIONS * (2 * OPTION_MAX + 4)  # twenty lines of "Vietnamese | English"


class QuestionForm(FlaskForm):
    kind = SelectField(_l("Kind of answer"), choices=[(kind.value, label) for kind, label in KIND_LABELS.items()],
                       default=QuestionKind.CHOICE.value)
    text_vi = StringField(_l("Question in Vietnamese"), validators=[
        InputRequired(message=_l("Write the question in Vietnamese.")), Check(validation.text, max_length=TEXT_MAX)])
    text_en = StringField(_l("Question in English"), validators=[Optional(), Check(validation.text, max_length=TEXT_MAX)])
    options = TextAreaField(_l("Options (one per line: Vietnamese | English)"), validators=[
        Optional(), Check(validation.text, max_length=OPTIONS_MAX, multiline=True)])
    required = BooleanField(_l("An answer is required"))
    for_invitees = BooleanField(_l("Ask invitees"), default=True)
    for_guests = BooleanField(_l("Ask named guests"))
    for_members = BooleanField(_l("Ask delegation members"))
    deadline = LocalTimeField(_l("Answers until (in the event's time zone; empty: until the answers close)"),
                              format=["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S"], validators=[Optional()])

    def option_pairs(self) -> list[tuple[str, str]]:
        """The options as (Vietnamese, English) pairs; an option longer than allowed raises `validation.Invalid`."""
        pairs = []
        for line in (self.options.data or "").splitlines():
            if not line.strip():
                continue
            vi, _bar, en = line.partition("|")
            for part in (vi, en):
                validation.text(part.strip(), max_length=OPTION_MAX)
            pairs.append((vi.strip(), en.strip()))
        return pairs

    @staticmethod
    def options_text(options: list[dict]) -> str:
        return "\n".join(f"{o['vi']} | {o['en']}" if o.get("en") else o["vi"] for o in options)
