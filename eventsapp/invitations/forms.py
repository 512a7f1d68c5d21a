"""Forms of the RSVP page and of the organiser's invitation pages."""
from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import BooleanField, IntegerField, RadioField, SelectField, StringField, TextAreaField
from wtforms.validators import InputRequired, Length, NumberRange, Optional

from ..i18n import lazy_gettext as _l

ANSWER_CHOICES = [("accepted", _l("I will attend")), ("tentative", _l("Maybe")), ("declined", _l("I cannot attend"))]
ANSWER_VALUES = frozenset(value for value, _label in ANSWER_CHOICES)


class AnswerForm(FlaskForm):
    status = RadioField(_l("Your answer"), choices=ANSWER_CHOICES,
                        validators=[InputRequired(message=_l("Please choose an answer."))])
    guests = IntegerField(_l("Guests coming with you"), default=0, validators=[Optional(), NumberRange(min=0)])
    comment = TextAreaField(_l("Comment"), validators=[Optional(), Length(max=2000)])


class AddInviteesForm(FlaskForm):
    association_id = SelectField(_l("Association"), coerce=int, default=0)
    include_branches = BooleanField(_l("Include its branches"), default=True)
    tag = StringField(_l("Tag"), validators=[Optional(), Length(max=60)])
    country = StringField(_l("Country"), validators=[Optional(), Length(max=100)])
    language = SelectField(_l("Language"), choices=[("", "—"), ("vi", "Tiếng Việt"), ("en", "English")], default="")
    emails = TextAreaField(_l("E-mail addresses (one per line)"), validators=[Optional(), Length(max=200_000)])


# How a staff member heard an answer (models.ANSWER_SOURCES), and the answers they record.
SOURCE_CHOICES = [("phone", _l("By phone")), ("in_person", _l("In person"))]
RECORDED_ANSWERS = [("accepted", _l("Attends")), ("tentative", _l("Maybe")), ("declined", _l("Cannot attend"))]


class RecordAnswerForm(FlaskForm):
    """An answer taken by phone or in person: the source (phone unless changed) and the answer's button."""

    source = RadioField(_l("Answer given"), choices=SOURCE_CHOICES, default="phone",
                        validators=[InputRequired(message=_l("Choose how the answer was given: by phone or in "
                                                             "person."))])
    status = RadioField(_l("Answer"), choices=RECORDED_ANSWERS,
                        validators=[InputRequired(message=_l("Please choose an answer."))])


class ConfirmForm(FlaskForm):
    """A POST button with its CSRF token."""
