"""The form of a reminder rule (an event's, a campaign's default, an association's default)."""
from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import BooleanField, DateTimeLocalField, IntegerField, SelectField, TextAreaField
from wtforms.validators import Length, NumberRange, Optional, ValidationError

from ..i18n import lazy_gettext as _l
from ..timeutils import UTC, zone
from .models import Anchor, ReminderRule, RuleKind
from .services import RuleValues

UNITS = {"minutes": 1, "hours": 60, "days": 24 * 60}


class RuleForm(FlaskForm):
    kind = SelectField(_l("Kind"), choices=[(RuleKind.REMINDER.value, _l("Reminder before the event")),
                                            (RuleKind.THANK_YOU.value, _l("Thank-you after the event"))])
    timing = SelectField(_l("When"), choices=[("relative", _l("Relative to the event")),
                                              ("absolute", _l("At a fixed date and time"))])
    amount = IntegerField(_l("How long"), default=1, validators=[
        Optional(), NumberRange(min=0, max=366 * 24 * 60, message=_l("Enter a number from 0 upwards."))])
    unit = SelectField(_l("Unit"), default="days", choices=[
        ("minutes", _l("minutes")), ("hours", _l("hours")), ("days", _l("days"))])
    absolute_at = DateTimeLocalField(_l("Date and time (in the event's time zone)"), validators=[Optional()],
                                     format="%Y-%m-%dT%H:%M")
    to_accepted = BooleanField(_l("Accepted"), default=True)
    to_tentative = BooleanField(_l("Maybe"), default=True)
    to_pending = BooleanField(_l("Not yet answered"), default=True)
    to_attended = BooleanField(_l("Checked in at the door"))
    message_vi = TextAreaField(_l("Extra message in Vietnamese"), validators=[Optional(), Length(max=2000)])
    message_en = TextAreaField(_l("Extra message in English"), validators=[Optional(), Length(max=2000)])

    def validate_amount(self, field):
        if self.timing.data == "relative" and field.data is None:
            raise ValidationError(_l("Enter how long before or after the event."))

    def validate_absolute_at(self, field):
        if self.timing.data == "absolute" and field.data is None:
            raise ValidationError(_l("Enter the date and time of the reminder."))

    def values(self, zone_name: str) -> RuleValues:
        """The rule the form describes: a reminder before the start, a thank-you after the end."""
        kind = RuleKind(self.kind.data)
        audience = [name for name in ("accepted", "tentative", "pending", "attended")
                    if getattr(self, f"to_{name}").data]
        values = RuleValues(kind=kind, audience=audience, message_vi=self.message_vi.data or "",
                            message_en=self.message_en.data or "")
        if self.timing.data == "absolute":
            values.anchor = Anchor.ABSOLUTE
            values.absolute_at = self.absolute_at.data.replace(tzinfo=zone(zone_name)).astimezone(UTC)
        else:
            minutes = (self.amount.data or 0) * UNITS[self.unit.data]
            values.anchor = Anchor.START if kind == RuleKind.REMINDER else Anchor.END
            values.offset_minutes = -minutes if kind == RuleKind.REMINDER else minutes
        return values

    def fill_from(self, rule: ReminderRule, zone_name: str) -> None:
        self.kind.data = rule.kind.value
        for name in ("accepted", "tentative", "pending", "attended"):
            getattr(self, f"to_{name}").data = getattr(rule, f"to_{name}")
        self.message_vi.data, self.message_en.data = rule.message_vi, rule.message_en
        if rule.anchor == Anchor.ABSOLUTE:
            self.timing.data = "absolute"
            self.absolute_at.data = rule.absolute_at.astimezone(zone(zone_name)).replace(tzinfo=None)
            return
        self.timing.data = "relative"
        minutes = abs(rule.offset_minutes)
        unit = next(u for u in ("days", "hours", "minutes") if minutes % UNITS[u] == 0)
        self.amount.data, self.unit.data = minutes // UNITS[unit], unit
