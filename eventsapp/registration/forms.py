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
    email = EmailField(_l("E-mail"), validators=[Optional(), Check(validation.text, max_length=254),
                                                Email(_l("This is not a valid e-mail address."))],
                       filters=[_strip])
    phone = StringField(_l("Mobile phone"), validators=[Optional(), Check(validation.text, max_length=50)],
                        filters=[_strip])
    guests = WholeNumberField(_l("Guests coming with you"), default=0, validators=[Optional(), NumberRange(min=0)])

    def validate(self, extra_validators=None) -> bool:
        """An e-mail address (the link), or else a mobile number (a code by SMS), which must then be a number."""
        if not super().validate(extra_validators):
            return False
        if self.email.data:
            return True
        if not self.phone.data:
            self.email.errors.append(_l("Enter the e-mail address, or a mobile number to get a code by SMS."))
            return False
        try:
            self.phone.data = validation.phone(self.phone.data)
        except validation.Invalid as error:
            self.phone.errors.append(error.message)
            return False
        return True

    def limit_guests(self, max_guests: int) -> None:
        self.guests.validators = [Optional(), NumberRange(min=0, max=max_guests,
                                                          message=_l("At most %(max)s.", max=max_guests))]


class SettingsForm(FlaskForm):
    is_open = BooleanField(_l("Open for registration on the public page"))
    needs_approval = BooleanField(_l("An organiser approves each registration (otherwise accepted while seats remain)"))


class CodeForm(FlaskForm):
    code = StringField(_l("Code from the SMS"), validators=[DataRequired(_l("Type the code from the SMS.")),
                                                             Check(validation.text, max_length=20)],
                       filters=[_strip])


class DecisionForm(FlaskForm):
    message = TextAreaField(_l("Message to the person (optional)"), validators=[
        Optional(), Check(validation.text, max_length=MESSAGE_MAX, multiline=True)])
