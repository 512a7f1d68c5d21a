"""Forms of the person's data page and of the erasure confirmations."""
from flask_wtf import FlaskForm
from wtforms import BooleanField, SelectField, StringField
from wtforms.validators import DataRequired

from .. import validation
from ..associations.forms import TimezoneField
from ..contacts.forms import LANGUAGE_CHOICES, TEXT_LIMITS
from ..i18n import lazy_gettext as _l
from ..validation import Check


class CorrectionForm(FlaskForm):
    full_name = StringField(_l("Full name"), validators=[
        DataRequired(_l("Enter the full name.")), Check(validation.text, max_length=TEXT_LIMITS["full_name"])])
    language = SelectField(_l("Language"), choices=LANGUAGE_CHOICES)
    timezone = TimezoneField(_l("Time zone"))


class ConsentForm(FlaskForm):
    invitations = BooleanField(_l("I agree to receive invitations from the association"))
    reminders = BooleanField(_l("I agree to receive reminders before the events I am invited to"))
    newsletter = BooleanField(_l("I agree to receive the newsletter"))


class EraseForm(FlaskForm):
    confirm = BooleanField(_l("Yes, erase my data. I understand this cannot be undone."),
                           validators=[DataRequired(_l("Tick the box to confirm."))])


class StaffEraseForm(FlaskForm):
    confirm = BooleanField(_l("The person asked for it; erase their data. This cannot be undone."),
                           validators=[DataRequired(_l("Tick the box to confirm."))])
