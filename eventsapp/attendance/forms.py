"""Forms at the door and for the report period."""
from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import DateField, EmailField, IntegerField, StringField
from wtforms.validators import DataRequired, NumberRange, Optional, ValidationError

from .. import validation
from ..i18n import lazy_gettext as _l
from ..validation import Check
from .services import MAX_GUESTS


class CheckInForm(FlaskForm):
    guests = IntegerField(_l("Guests"), default=0, validators=[Optional(), NumberRange(0, MAX_GUESTS)])


class WalkInForm(FlaskForm):
    full_name = StringField(_l("Full name"), validators=[DataRequired(), Check(validation.text, max_length=200)])
    email = EmailField(_l("E-mail (optional)"), validators=[Optional(), Check(validation.text, max_length=254)])
    guests = IntegerField(_l("Guests"), default=0, validators=[Optional(), NumberRange(0, MAX_GUESTS)])


class PeriodForm(FlaskForm):
    """A date range in the query string (GET, so no CSRF token)."""

    class Meta:
        csrf = False

    start = DateField(_l("From date"), validators=[Optional()])
    end = DateField(_l("To date"), validators=[Optional()])

    def validate_end(self, field):
        if field.data and self.start.data and field.data < self.start.data:
            raise ValidationError(_l("The end date must not be before the start date."))
