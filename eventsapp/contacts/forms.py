"""Forms of the contact pages."""
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import BooleanField, EmailField, SelectField, SelectMultipleField, StringField, TextAreaField
from wtforms.validators import DataRequired, Email, Length, Optional

from ..associations.forms import TimezoneField
from ..i18n import lazy_gettext as _l

def _strip(value):
    return value.strip() if isinstance(value, str) else value


LANGUAGE_CHOICES = [("vi", "Tiếng Việt"), ("en", "English")]


class ContactForm(FlaskForm):
    full_name = StringField(_l("Full name"), validators=[DataRequired(_l("Enter the full name.")), Length(max=200)],
                            filters=[_strip])
    email = EmailField(_l("E-mail"), validators=[DataRequired(_l("Enter the e-mail address.")),
                                                Email(_l("This is not a valid e-mail address.")), Length(max=254)],
                       filters=[_strip])
    phone = StringField(_l("Phone"), validators=[Optional(), Length(max=50)])
    country = StringField(_l("Country"), validators=[Optional(), Length(max=100)])
    place = StringField(_l("Place"), validators=[Optional(), Length(max=200)])
    timezone = TimezoneField(_l("Time zone"))
    language = SelectField(_l("Language"), choices=LANGUAGE_CHOICES, default="vi")
    association_ids = SelectMultipleField(_l("Associations"), coerce=int)
    tags = StringField(_l("Tags"), description=_l("Separated by semicolons."), validators=[Optional(), Length(max=500)])
    notes = TextAreaField(_l("Notes"), validators=[Optional(), Length(max=5000)])


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
