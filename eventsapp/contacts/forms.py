"""Forms of the contact pages."""
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import BooleanField, EmailField, SelectField, SelectMultipleField, StringField, TextAreaField
from wtforms.validators import DataRequired, Email, Optional

from .. import validation
from ..associations.forms import TimezoneField
from ..i18n import lazy_gettext as _l
from ..validation import Check
from .services import NO_WAY_TO_REACH, TEXT_MAX

# Characters per field (the columns' lengths; notes and tags: the form's bounds), for the form and the API.
TEXT_LIMITS = {"full_name": 200, "email": 254, "phone": validation.PHONE_MAX, **TEXT_MAX, "country": 100, "place": 200, "timezone": 64, "language": 5, "notes": 5000,
               "tags": 500}
# How each channel is named on the pages (the contact's preferred channel).
CHANNEL_LABELS = {"email": _l("E-mail"), "sms": _l("SMS"), "zalo": _l("Zalo"), "printed": _l("Printed card")}



def _strip(value):
    return value.strip() if isinstance(value, str) else value


LANGUAGE_CHOICES = [("vi", "Tiếng Việt"), ("en", "English")]


class ContactForm(FlaskForm):
    full_name = StringField(_l("Full name"), validators=[DataRequired(_l("Enter the full name.")),
                                                         Check(validation.text, max_length=TEXT_LIMITS["full_name"])],
                            filters=[_strip])
    honorific = StringField(_l("Form of address"), description=_l("Ông, Bà, Đồng chí… or your own words."),
                            validators=[Optional(), Check(validation.text, max_length=TEXT_LIMITS["honorific"])],
                            filters=[_strip])
    position = StringField(_l("Position"), description=_l("As a letter names it, e.g. Phó Chủ tịch Hội."),
                           validators=[Optional(), Check(validation.text, max_length=TEXT_LIMITS["position"])],
                           filters=[_strip])
    email = EmailField(_l("E-mail"), validators=[Optional(), Check(validation.text, max_length=TEXT_LIMITS["email"]),
                                                Email(_l("This is not a valid e-mail address."))],
                       filters=[_strip])
    phone = StringField(_l("Mobile phone"), description=_l("For example 0912 345 678 or +84 912 345 678."),
                        validators=[Optional(), Check(validation.phone)], filters=[_strip])
    postal_address = TextAreaField(_l("Postal address"), validators=[
        Optional(), Check(validation.text, max_length=TEXT_LIMITS["postal_address"], multiline=True)],
        filters=[_strip])
    preferred_channel = SelectField(_l("Reach first by"), choices=list(CHANNEL_LABELS.items()), default="email")
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


    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        if valid and not (self.email.data or self.phone.data or self.postal_address.data):
            # Said beside the first of the three; the service says the same to the API and the import.
            self.email.errors = [*self.email.errors, str(NO_WAY_TO_REACH)]
            return False
        return valid


class ImportForm(FlaskForm):
    file = FileField(_l("Spreadsheet (CSV or XLSX)"), validators=[FileRequired(_l("Choose a file."))])
    association_id = SelectField(_l("Add every row to this association"), coerce=int)


BASIS_CHOICES = [
    ("", _l("— choose —")),
    ("consent", _l("They agreed to receive our invitations (in writing, on a form or by phone)")),
    ("membership", _l("They are members of the association")),
    ("contract", _l("They registered for our events")),
    ("none", _l("No basis yet: do not send them anything until they agree")),
]


class ConfirmImportForm(FlaskForm):
    valid_only = BooleanField(_l("Import the valid rows only and leave the rows with errors out"))
    basis = SelectField(_l("Why may the association write to the people of this list?"), choices=BASIS_CHOICES,
                        validators=[DataRequired(_l("Choose why the association may write to these people."))])


class MergeForm(FlaskForm):
    other_email = StringField(_l("E-mail or phone number of the duplicate to merge into this contact"),
                              validators=[DataRequired(_l("Enter the e-mail address or phone number.")),
                                          Check(validation.text, max_length=TEXT_LIMITS["email"])],
                              filters=[_strip])


class ConfirmForm(FlaskForm):
    """An empty form: a POST button protected by CSRF."""
