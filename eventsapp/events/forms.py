"""Event and honoree forms. Start and end are wall times in the event's own zone."""
from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateTimeLocalField,
    HiddenField,
    SelectField,
    StringField,
    TextAreaField,
    URLField,
)
from wtforms.validators import DataRequired, NumberRange, Optional, ValidationError

from .. import validation
from ..associations.forms import TimezoneField
from ..fields import DESCRIPTION_MAX, MARKDOWN, WholeNumberField
from ..i18n import lazy_gettext as _l
from ..validation import Check
from .models import EventKind, Visibility

KIND_LABELS = {
    EventKind.TET_WEEK: _l("Tết Việt week"),
    EventKind.XUAN_QUE_HUONG: _l("Xuân Quê hương (homeland spring)"),
    EventKind.ANNIVERSARY: _l("Anniversary"),
    EventKind.AWARD_CEREMONY: _l("Award ceremony"),
    EventKind.CHARITY: _l("Charity drive"),
    EventKind.FRIENDSHIP: _l("Friendship exchange"),
    EventKind.MEETING: _l("Meeting"),
    EventKind.OTHER: _l("Other"),
}
VISIBILITY_LABELS = {Visibility.PUBLIC: _l("Public"), Visibility.INVITE_ONLY: _l("Invite only")}
LOCAL_FORMATS = ["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S"]


class LocalTimeField(DateTimeLocalField):
    """A wall time (datetime-local) whose parse error is in the reader's language."""

    def process_formdata(self, valuelist):
        try:
            super().process_formdata(valuelist)
        except ValueError as error:
            raise ValueError(_l("Enter a date and time, e.g. 2027-02-03 19:00.")) from error


class EventForm(FlaskForm):
    association_id = SelectField(_l("Host association"), coerce=int)
    campaign_id = SelectField(_l("Campaign"), coerce=int, validate_choice=False, default=0)
    kind = SelectField(_l("Kind"), choices=[(k.value, v) for k, v in KIND_LABELS.items()], default="meeting")
    title_vi = StringField(_l("Title in Vietnamese"), validators=[DataRequired(_l("Enter the Vietnamese title.")),
                                                                Check(validation.text, max_length=300)])
    title_en = StringField(_l("Title in English"), validators=[Optional(), Check(validation.text, max_length=300)])
    description_vi = TextAreaField(_l("Description in Vietnamese (Markdown)"), render_kw=MARKDOWN, validators=[
        Optional(), Check(validation.text, max_length=DESCRIPTION_MAX, multiline=True)])
    description_en = TextAreaField(_l("Description in English (Markdown)"), render_kw=MARKDOWN, validators=[
        Optional(), Check(validation.text, max_length=DESCRIPTION_MAX, multiline=True)])
    timezone = TimezoneField(_l("Time zone"))
    starts_local = LocalTimeField(_l("Starts (in the event's time zone)"), format=LOCAL_FORMATS,
                                  validators=[DataRequired(_l("Enter the start.")), Check(validation.moment)])
    ends_local = LocalTimeField(_l("Ends (in the event's time zone)"), format=LOCAL_FORMATS,
                                validators=[DataRequired(_l("Enter the end.")), Check(validation.moment)])
    all_day = BooleanField(_l("All-day event (the times are ignored)"))
    venue_name = StringField(_l("Venue"), validators=[Optional(), Check(validation.text, max_length=300)])
    venue_address = StringField(_l("Venue address"), validators=[Optional(), Check(validation.text, max_length=500)])
    online_url = URLField(_l("Online link (for guests abroad)"), validators=[Optional(), Check(validation.url)])
    capacity = WholeNumberField(_l("Capacity"), validators=[
        Optional(), NumberRange(min=1, message=_l("The capacity must be a positive number.")),
        Check(validation.integer, minimum=1, maximum=validation.MAX_CAPACITY)])
    max_guests = WholeNumberField(_l("Guests an invitee may bring"), default=0, validators=[
        Optional(), NumberRange(min=0, max=validation.MAX_GUESTS, message=_l("Between 0 and 20 guests.")),
        Check(validation.integer, minimum=0, maximum=validation.MAX_GUESTS)])
    rsvp_deadline_local = LocalTimeField(_l("Reply by (in the event's time zone)"), format=LOCAL_FORMATS,
                                             validators=[Optional(), Check(validation.moment)])
    visibility = SelectField(_l("Visibility"), choices=[(v.value, label) for v, label in VISIBILITY_LABELS.items()],
                             default="invite_only")

    def validate_ends_local(self, field):
        start = self.starts_local.data
        if start and field.data:
            if self.all_day.data and field.data.date() < start.date():
                raise ValidationError(_l("The end must be after the start."))
            if not self.all_day.data and field.data <= start:
                raise ValidationError(_l("The end must be after the start."))

    def validate_rsvp_deadline_local(self, field):
        if field.data and self.starts_local.data and field.data > self.starts_local.data:
            raise ValidationError(_l("The reply deadline must be before the start."))


class HonoreeForm(FlaskForm):
    contact = StringField(_l("Person (name or e-mail)"), validators=[
        DataRequired(_l("Enter the person's name or e-mail.")), Check(validation.text, max_length=200)])
    contact_id = HiddenField()  # set when she chose one of several people with that name
    award = StringField(_l("Award"), default="Giấy khen", validators=[DataRequired(_l("Enter the award.")),
                                                                     Check(validation.text, max_length=200)])
    citation = TextAreaField(_l("Citation"), validators=[Optional(),
                                                         Check(validation.text, max_length=2000, multiline=True)])


class CancelForm(FlaskForm):
    reason = StringField(_l("Reason (told to invitees)"), validators=[Optional(), Check(validation.text, max_length=300)])
