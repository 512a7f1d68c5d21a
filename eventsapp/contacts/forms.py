"""Forms of the contact pages."""
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import BooleanField, EmailField, SelectField, SelectMultipleField, StringField, TextAreaField
from wtforms.validators import DataRequired, Email, Optional

from .. import validation
from ..associations.forms import TimezoneField
from ..i18n import lazy_gettext as _l
from ..validation import Check

# Characters per field (the columns' lengths; notes and tags: the form's bounds), for the form and the API.
TEXT_LIMITS = {"full_name": 200, "email": 254, "phone": 50, "country": 100, "place": 200, "timezone": 64,
               "language": 5, "notes": 5000, "tags": 500}



def _strip(value):
    return value.strip() if isinstance(value, str) else value


LANGUAGE_CHOICES = [("vi", "Tiếng Việt"), ("en", "English")]


class ContactForm(FlaskForm):
    full_name = StringField(_l("Full name"), validators=[DataRequired(_l("Enter the full name.")),
                                                         Check(validation.text, max_length=TEXT_LIMITS["full_name"])],
                            filters=[_strip])
    email = EmailField(_l("E-mail"), validators=[DataRequired(_l("Enter the e-mail address.")),
                                                Check(validation.text, max_length=TEXT_LIMITS["email"]),
                                                Email(_l("This is not a valid e-mail address."))],
                       filters=[_strip])
    phone = StringField(_l("Phone"), validators=[Optional(), Check(validation.text, max_length=TEXT_LIMITS["phone"])])
    country = StringField(_l("Country"), validators=[Optional(),
                                                     Check(validation.text, max_length=TEXT_LIMITS["country"])])
    place = StringField(_l("Place"), validators=[Optional(), Check(validation.text, max_length=TEXT_LIMITS["place"])])
    timezone = TimezoneField(_l("Time zone"))
    language = SelectField(_l("Language"), choices=LANGUAGE_CHOICES, default="vi")
    association_ids = SelectMultipleField(_l("Associations"), coerce=int)
    tags = StringField(_l("Tags"), description=_l("Separated by semicolons."),
                       validators=[Optional(), Check(validation.text, max_length=TEXT_LIMITS["tags"])])
    notes = TextAreaField(_l("Notes"), validators=[
        Optional(), Check(validation.text, max_length=TEXT_LIMITS["notes"], multiline=True)])


class ImportForm(FlaskForm):
    file = FileField(_l("Spreadsheet (CSV or XLSX)"), validators=[FileRequired(_l("Choose a file."))])
    association_id = SelectField(_l("Add every row to this association"), coerce=int)


class ConfirmImportForm(FlaskForm):
    valid_only = BooleanField(_l("Import the valid rows only and leave the rows with errors out"))


class MergeForm(FlaskForm):
    other_email = EmailField(_l("E-mail of the duplicate to merge into this contact"),
                             validators=[DataRequired(_l("Enter the e-mail address.")),
                                         Email(_l("This is not a valid e-mail address."))], filters=[_strip])


class ConfirmForm(FlaskForm):
    """An empty form: a POST button protected by CSRF."""
