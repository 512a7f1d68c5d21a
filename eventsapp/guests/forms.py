"""The organiser's forms for guests and delegations (the invitees' and leaders' pages use plain inputs,
read by `services.clean_person`)."""
from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, StringField
from wtforms.validators import DataRequired, InputRequired, NumberRange, Optional

from .. import validation
from ..events.forms import LOCAL_FORMATS, LocalTimeField
from ..fields import WholeNumberField
from ..i18n import lazy_gettext as _l
from ..validation import Check
from .services import MAX_QUOTA


class GuestOptionsForm(FlaskForm):
    guests_must_be_named = BooleanField(_l("Guests must be named (one name for each guest)"))
    delegations_ask_passport = BooleanField(_l("Ask delegation members their nationality and passport"))


class DelegationForm(FlaskForm):
    name = StringField(_l("Sending organisation"), validators=[
        DataRequired(_l("Enter the name of the sending organisation.")), Check(validation.text, max_length=300)])
    organisation_email = EmailField(_l("E-mail of the organisation's contact (optional)"), validators=[
        Optional(), Check(validation.text, max_length=254)])
    leader_email = EmailField(_l("E-mail of the delegation's leader (a contact)"), validators=[
        DataRequired(_l("Enter the leader's e-mail address.")), Check(validation.text, max_length=254)])
    quota = WholeNumberField(_l("Places"), default=5, validators=[
        InputRequired(_l("Enter the number of places.")),
        NumberRange(min=1, max=MAX_QUOTA, message=_l("Between 1 and %(n)s places.", n=MAX_QUOTA)),
        Check(validation.integer, minimum=1, maximum=MAX_QUOTA)])
    deadline_local = LocalTimeField(_l("Members can be entered until (in the event's time zone)"),
                                    format=LOCAL_FORMATS, validators=[Optional(), Check(validation.moment)])
