"""Forms of the admin pages: associations, users and memberships."""
from datetime import time

from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import BooleanField, DateField, EmailField, PasswordField, SelectField, StringField
from wtforms.validators import DataRequired, Email, InputRequired, Length, Optional, Regexp, ValidationError

from ..auth.forms import AccountAddress
from ..fields import WallTimeField
from ..i18n import lazy_gettext as _l
from ..timefmt import zone_choices
from ..timeutils import is_valid_timezone
from .models import AssociationKind, Role

KIND_LABELS = {
    AssociationKind.UNION: _l("Union"),
    AssociationKind.ASSOCIATION: _l("Association"),
    AssociationKind.BRANCH: _l("Branch"),
}

ROLE_LABELS = {
    Role.ORGANISER: _l("Organiser"),
    Role.CHECKIN: _l("Check-in staff"),
    Role.VIEWER: _l("Viewer"),
}


def validate_timezone(form, field):
    if not is_valid_timezone(field.data):
        raise ValidationError(_l("This time zone does not exist (example: Asia/Ho_Chi_Minh)."))


class TimezoneField(SelectField):
    """A time-zone picker: zones by name and offset ("giờ Nhật Bản (UTC+9) — Asia/Tokyo"), those of the
    reader's contacts first, no "Factory" or "localtime" (`timefmt.zone_choices`); `static/js/zone-picker.js`
    adds a search box. The stored value stays the IANA id; a stored zone outside the list is kept in it."""

    def __init__(self, label=None, validators=None, **kwargs):
        kwargs.setdefault("default", "Asia/Ho_Chi_Minh")
        kwargs.setdefault("render_kw", {"data-zone-picker": "", "data-search-label": _l("Search: city, country or UTC+7")})
        super().__init__(label, [DataRequired(), validate_timezone, *(validators or [])], choices=[],
                         validate_choice=False, **kwargs)

    def iter_choices(self):
        from flask_login import current_user

        # Contacts sit above associations (their forms use this field): their zones are read when a form is built.
        from ..contacts.services import zones_in_use

        preferred = zones_in_use(current_user) if current_user and current_user.is_authenticated else []
        choices = zone_choices(preferred)
        if self.data and self.data not in {value for value, _label in choices}:
            choices.insert(0, (self.data, self.data))
        self.choices = choices
        return super().iter_choices()


class AssociationForm(FlaskForm):
    name_vi = StringField(_l("Name in Vietnamese"), validators=[DataRequired(_l("Enter the Vietnamese name.")),
                                                              Length(max=200)])
    name_en = StringField(_l("Name in English"), validators=[Optional(), Length(max=200)])
    slug = StringField(_l("Short name (in addresses)"), validators=[
        DataRequired(_l("Enter a short name.")), Length(max=80),
        Regexp(r"^[a-z0-9]+(?:-[a-z0-9]+)*$", message=_l("Use lower-case letters, digits and hyphens only."))])
    kind = SelectField(_l("Kind"), choices=[(k.value, v) for k, v in KIND_LABELS.items()])
    parent_id = SelectField(_l("Belongs to"), coerce=int)
    founded_on = DateField(_l("Founding date"), validators=[Optional()])
    timezone = TimezoneField(_l("Time zone"))
    sender_email = EmailField(_l("Sending address"), validators=[Optional(), Email(_l("This is not a valid e-mail address."))])
    # Reminders and thank-yous wait until the end of the reader's night, in the reader's zone.
    quiet_from = WallTimeField(_l("Quiet hours from"), validators=[InputRequired(_l("Enter a time such as 21:00."))],
                               default=time(21, 0))
    quiet_until = WallTimeField(_l("Quiet hours until"), validators=[InputRequired(_l("Enter a time such as 07:00."))],
                                default=time(7, 0))


class UserForm(FlaskForm):
    email = EmailField(_l("E-mail"), validators=[DataRequired(_l("Enter your e-mail address.")), AccountAddress()])
    name = StringField(_l("Full name"), validators=[Optional(), Length(max=200)])
    password = PasswordField(_l("Password"), validators=[Optional(), Length(min=8, message=_l("The password must have at least 8 characters."))])
    is_admin = BooleanField(_l("Administrator"))
    active = BooleanField(_l("Active"), default=True)
    locale = SelectField(_l("Language"), choices=[("vi", "Tiếng Việt"), ("en", "English")])
    timezone = TimezoneField(_l("Time zone"))


class MembershipForm(FlaskForm):
    email = EmailField(_l("Staff e-mail"), validators=[DataRequired(_l("Enter your e-mail address.")),
                                                      Email(_l("This is not a valid e-mail address."))])
    role = SelectField(_l("Role"), choices=[(r.value, v) for r, v in ROLE_LABELS.items()])


class UserRoleForm(FlaskForm):
    """An administrator gives a user a role in an association (the user's roles page)."""
    association_id = SelectField(_l("Association"), coerce=int,
                                 validate_choice=False)  # checked by the view, with a sentence
    role = SelectField(_l("Role"), choices=[(r.value, v) for r, v in ROLE_LABELS.items()])


class ConfirmForm(FlaskForm):
    """An empty form: a POST button protected by CSRF."""


class IdentityForm(FlaskForm):
    """What the association's public pages and e-mails show: logo and colour (associations/branding.py)."""

    logo = FileField(_l("Logo (PNG, JPEG or WebP, at most 1 MB)"))
    remove_logo = BooleanField(_l("Remove the logo"))
    brand_color = StringField(_l("Colour (#rrggbb)"))  # checked by branding.clean_color
