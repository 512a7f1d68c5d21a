"""The feedback form an invitee fills in, and the organiser's settings of it."""
from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import BooleanField, RadioField, StringField, TextAreaField
from wtforms.validators import InputRequired, NumberRange, Optional

from .. import validation
from ..fields import WholeNumberField
from ..i18n import lazy_gettext as _l
from ..validation import Check
from .services import MAX_TEXT

RATINGS = [("5", _l("5 – excellent")), ("4", _l("4 – good")), ("3", _l("3 – fair")), ("2", _l("2 – poor")),
           ("1", _l("1 – very poor"))]


class AnswerForm(FlaskForm):
    rating = RadioField(_l("How was the event?"), choices=RATINGS,
                        validators=[InputRequired(message=_l("Please choose a mark from 1 to 5."))])
    better = TextAreaField(_l("What should we do better?"), validators=[
        Optional(), Check(validation.text, max_length=MAX_TEXT, multiline=True)])
    answer = TextAreaField(_l("Your answer"), validators=[
        Optional(), Check(validation.text, max_length=MAX_TEXT, multiline=True)])


class SettingsForm(FlaskForm):
    anonymous = BooleanField(_l("Anonymous answers (not linked to the person)"))
    question_vi = StringField(_l("Your own question, in Vietnamese (optional)"), validators=[
        Optional(), Check(validation.text, max_length=300)])
    question_en = StringField(_l("Your own question, in English (optional)"), validators=[
        Optional(), Check(validation.text, max_length=300)])
    open_days = WholeNumberField(_l("Days the form stays open after the event"), default=14, validators=[
        InputRequired(_l("Enter a number of days.")), NumberRange(1, 365, _l("Between 1 and 365 days."))])
