"""The public registration form and the organiser's forms."""
from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, StringField, TextAreaField
from wtforms.validators import DataRequired, Email, NumberRange, Optional

from .. import validation
from ..fields import WholeNumberField
from ..i18n import lazy_gettext as _l
from ..validation import Check

MESSAGE_MAX = 2000  # an organiser's message with a decision


def _strip(value):
    return value.strip() if isinstance(value, str) else value


class RegistrationForm(FlaskForm):
    full_name = StringField(_l("Full name"), validators=[DataRequired(_l("Enter the full name.")),
                                                         Check(validation.text, max_length=200)],
                            filters=[_strip])
    email = EmailField(_l("E-mail"), validators=[DataRequired(_l("Enter the e-mail address.")),
                                                Check(validation.text, max_length=254),
                                                Email(_l("This is not a valid e-mail address."))],
                       filters=[_strip])
    phone = StringField(_l("Phone (optional)"), validators=[Optional(), Check(validation.text, max_length=50)])
    guests = WholeNumberField(_l("Guests coming with you"), default=0, validators=[Optional(), NumberRange(min=0)])

    def limit_guests(self, max_guests: int) -> None:
        self.guests.validators = [Optional(), NumberRange(min=0, max=max_guests,
                                                          message=_l("At most %(max)s.", max=max_guests))]


class SettingsForm(FlaskForm):
    is_open = BooleanField(_l("Open for registration on the public page"))
    needs_approval = BooleanField(_l("An organiser approves each registration (otherwise accepted while seats remain)"))


class DecisionForm(FlaskForm):
    message = TextAreaField(_l("Message to the person (optional)"), validators=[
        Optional(), Check(validation.text, max_length=MESSAGE_MAX, multiline=True)])
