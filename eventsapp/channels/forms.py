"""The forms of the channel pages: an event's channel order, an association's Zalo templates."""
from __future__ import annotations

import re

from flask_wtf import FlaskForm
from wtforms import BooleanField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Optional, Regexp, ValidationError

from .. import validation
from ..i18n import lazy_gettext as _l
from ..validation import Check
from .texts import CHANNEL_KINDS, ZALO_SOURCES

ORDERS = (
    ("email", _l("E-mail only")),
    ("zalo,sms,email", _l("Zalo, else SMS, else e-mail")),
    ("zalo,email", _l("Zalo, else e-mail")),
    ("sms,email", _l("SMS, else e-mail")),
    ("email,zalo,sms", _l("E-mail, else Zalo, else SMS")),
    ("zalo,sms", _l("Zalo, else SMS")),
    ("printed", _l("Printed card only")),
)
KIND_LABELS = {"invitation": _l("Invitation"), "reminder": _l("Reminder"), "update": _l("Update"),
               "cancellation": _l("Cancellation")}
PARAM_LINE = re.compile(r"^\s*([A-Za-z0-9_]{1,30})\s*=\s*([a-z]{1,20})\s*$")


class ChannelOrderForm(FlaskForm):
    order = SelectField(_l("Channels, in the order they are tried"), choices=ORDERS)


def parse_params(text: str) -> dict[str, str]:
    """"customer_name = name" lines → {"customer_name": "name"}; ValueError naming the first bad line."""
    mapping = {}
    for line in (text or "").splitlines():
        if not line.strip():
            continue
        found = PARAM_LINE.match(line)
        if found is None or found.group(2) not in ZALO_SOURCES:
            raise ValueError(line.strip()[:60])
        mapping[found.group(1)] = found.group(2)
    return mapping


class ZaloTemplateForm(FlaskForm):
    kind = SelectField(_l("Kind of message"), choices=[(k.value, KIND_LABELS[k.value]) for k in CHANNEL_KINDS])
    template_id = StringField(_l("Template number (from Zalo)"), validators=[
        DataRequired(), Check(validation.text, max_length=40),
        Regexp(r"^[0-9]{1,40}$", message=_l("Only the digits of the template number."))])
    params = TextAreaField(_l("Parameters"), validators=[Optional(), Check(validation.text, max_length=2000,
                                                                           multiline=True)])
    text = TextAreaField(_l("Wording approved by Zalo"), validators=[Optional(), Check(validation.text, max_length=400,
                                                                                      multiline=True)])
    approved = BooleanField(_l("Zalo has approved this template"))

    def validate_params(self, field) -> None:
        try:
            field.parsed = parse_params(field.data)
        except ValueError as error:
            raise ValidationError(_l("Write one parameter a line, as name = source (one of: %(sources)s): %(line)s",
                                     sources=", ".join(ZALO_SOURCES), line=str(error))) from None
        if not field.parsed:
            raise ValidationError(_l("Name at least one parameter of the template."))
