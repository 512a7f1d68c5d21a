"""Forms at the door and for the report period."""
from __future__ import annotations

from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import DateField, EmailField, IntegerField, SelectField, StringField
from wtforms.validators import DataRequired, Length, NumberRange, Optional, ValidationError

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


class BadgesForm(FlaskForm):
    paper = SelectField(_l("Paper"), choices=[("A4", "A4"), ("A3", "A3"), ("A5", "A5")], default="A4")
    columns = IntegerField(_l("Badges across"), default=2, validators=[DataRequired(), NumberRange(1, 4)])
    rows = IntegerField(_l("Badges down"), default=5, validators=[DataRequired(), NumberRange(1, 8)])
    audience = SelectField(_l("Who"), default="accepted",
                           choices=[("accepted", _l("Invitees who accepted")), ("all", _l("Every invitee"))])


class DoorListForm(FlaskForm):
    audience = SelectField(_l("Who"), default="all",
                           choices=[("all", _l("Every invitee")), ("accepted", _l("Invitees who accepted"))])


class InvitationCardsForm(FlaskForm):
    audience = SelectField(_l("Who"), default="all", id="cards-audience",  # an id of its own on the same page
                           choices=[("all", _l("Every invitee")), ("accepted", _l("Invitees who accepted"))])


class AddressLabelsForm(FlaskForm):
    audience = SelectField(_l("Who"), default="all", id="labels-audience",
                           choices=[("all", _l("Every invitee")), ("accepted", _l("Invitees who accepted"))])


class CertificateTemplateForm(FlaskForm):
    title = StringField(_l("Title"), default="Giấy khen", validators=[DataRequired(), Length(max=200)])
    intro = StringField(_l("Words before the name"), default="Trân trọng trao tặng", validators=[Length(max=300)])
    place = StringField(_l("Place written before the date"), validators=[Length(max=100)],
                        description=_l("e.g. Bắc Giang: “Bắc Giang, ngày 5 tháng 2 năm 2027”"))
    signer_title = StringField(_l("Signer's title"), validators=[Length(max=200)])
    signer_name = StringField(_l("Signer's name"), validators=[Length(max=200)])
    logo = FileField(_l("Logo (PNG, JPEG or WebP, at most 1 MB)"))
