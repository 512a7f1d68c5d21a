"""The API's field types: marshmallow fields whose checks are `eventsapp.validation`'s.

Each field checks a value sent to the API with the same checker the forms use (so the message is
the same, in the reader's language), and says what it accepts to the OpenAPI document through its
metadata (`maxLength`, `minimum`, `enum`, …), which apispec's MarshmallowPlugin copies into the schema.
marshmallow's own messages ("Missing data for required field.", …) are replaced by ours, translated
when the error is made (they are lazy strings, so no keyword is formatted into them).
"""
from __future__ import annotations

import re
from datetime import date, datetime
from enum import Enum

from marshmallow import ValidationError, fields

from .. import validation
from ..i18n import gettext as _
from ..i18n import lazy_gettext as _l
from ..timeutils import is_valid_timezone, zone

MESSAGES = {
    "required": _l("Required."),
    "null": _l("Required."),
    "invalid": _l("Not a valid value."),
    "validator_failed": _l("Not a valid value."),
}


def column_length(column) -> int:
    """The length of a `String(n)` column: a text field's limit is the model's, written once there."""
    return column.property.columns[0].type.length


def _checked(checker, value, **options):
    try:
        return checker(value, **options)
    except validation.Invalid as error:
        raise ValidationError(error.message) from None


class Text(fields.String):
    """Text without control characters (`multiline`: tab and line breaks allowed), at most `max_length`;
    null is taken as empty text."""

    default_error_messages = MESSAGES

    def __init__(self, max_length: int | None = None, *, multiline: bool = False, **kwargs):
        self.max_length, self.multiline = max_length, multiline
        metadata = kwargs.pop("metadata", {})
        if max_length is not None:
            metadata.setdefault("maxLength", max_length)
        kwargs.setdefault("allow_none", True)
        super().__init__(metadata=metadata, **kwargs)

    def deserialize(self, value, attr=None, data=None, **kwargs):
        return super().deserialize("" if value is None else value, attr, data, **kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        return _checked(validation.text, value, max_length=self.max_length, multiline=self.multiline)


class Phone(Text):
    """A phone number as people write it, answered and stored in E.164 ("+84912345678"); empty: none."""

    def __init__(self, **kwargs):
        metadata = kwargs.pop("metadata", {})
        metadata.setdefault("example", "+84912345678")
        super().__init__(validation.PHONE_MAX, metadata=metadata, **kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        return _checked(validation.phone, value)


class Url(Text):
    """An http or https address (or empty), at most 500 characters."""

    def __init__(self, **kwargs):
        metadata = kwargs.pop("metadata", {})
        metadata.setdefault("description", "http:// or https:// only")
        super().__init__(validation.URL_MAX, metadata=metadata, **kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        return _checked(validation.url, value)


class WholeNumber(fields.Integer):
    """A whole number (not a boolean, not a string, not 2.5) between `minimum` and `maximum`;
    `null_as` is what null stands for (`None`: null is refused unless `allow_none`)."""

    default_error_messages = MESSAGES

    def __init__(self, minimum: int = 0, maximum: int = validation.INT_MAX, **kwargs):
        self.minimum, self.maximum = minimum, maximum
        metadata = kwargs.pop("metadata", {})
        metadata.setdefault("minimum", minimum)
        metadata.setdefault("maximum", maximum)
        super().__init__(strict=True, metadata=metadata, **kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        return _checked(validation.integer, value, minimum=self.minimum, maximum=self.maximum)


class Identifier(WholeNumber):
    """A database id: 1 to 2,147,483,647."""

    def __init__(self, **kwargs):
        super().__init__(1, validation.INT_MAX, **kwargs)


class Year(fields.Integer):
    """A year between 1900 and 2199, as a number or a string of digits ("2027")."""

    default_error_messages = MESSAGES

    def __init__(self, **kwargs):
        metadata = kwargs.pop("metadata", {})
        metadata.setdefault("minimum", validation.YEAR_MIN)
        metadata.setdefault("maximum", validation.YEAR_MAX)
        super().__init__(metadata=metadata, **kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        return _checked(validation.year, value)


class Flag(fields.Boolean):
    """true or false, and nothing else ("yes", 1 and "true" are refused: a client sending them has a bug)."""

    default_error_messages = MESSAGES

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, bool):
            raise ValidationError(_l("Must be true or false."))
        return value


class Choice(fields.String):
    """One of an enumeration's values, or of some of its members (sent and answered as the value's string)."""

    default_error_messages = MESSAGES

    def __init__(self, enum: type[Enum] | tuple[Enum, ...], message=None, **kwargs):
        self.values = [member.value for member in enum]
        self.message = message or _l("Unknown value: choose one of %(values)s.", values=", ".join(self.values))
        metadata = kwargs.pop("metadata", {})
        metadata.setdefault("enum", self.values)
        super().__init__(metadata=metadata, **kwargs)

    def _serialize(self, value, attr, obj, **kwargs):
        return value.value if isinstance(value, Enum) else value

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, str) or value not in self.values:  # a dict or a list is no choice either
            raise ValidationError(self.message)
        return value


class Day(fields.Date):
    """An ISO 8601 date (2027-02-06) whose year lies between 1900 and 2199; null or empty: none."""

    default_error_messages = MESSAGES

    def __init__(self, **kwargs):
        kwargs.setdefault("allow_none", True)
        super().__init__(**kwargs)

    def deserialize(self, value, attr=None, data=None, **kwargs):
        return super().deserialize(None if value == "" else value, attr, data, **kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, str) or len(value) > 10:
            raise ValidationError(_l("Not an ISO 8601 date, e.g. 2027-02-06."))
        try:
            parsed = date.fromisoformat(value)
        except ValueError:
            raise ValidationError(_l("Not an ISO 8601 date, e.g. 2027-02-06.")) from None
        return _checked(validation.day, parsed)


class Moment(fields.DateTime):
    """An ISO 8601 time. Sent with an offset it is that instant; without one it is a wall time, which the
    schema places in its zone (answered naive here), unless `require_offset`. Answered with the offset of the object's zone
    (`zone_attribute`, e.g. the event's), or in UTC."""

    default_error_messages = MESSAGES

    def __init__(self, zone_attribute: str | None = None, *, require_offset: bool = False, **kwargs):
        self.zone_attribute, self.require_offset = zone_attribute, require_offset
        kwargs.setdefault("allow_none", True)
        metadata = kwargs.pop("metadata", {})
        metadata.setdefault("description", "ISO 8601 with offset")
        super().__init__(metadata=metadata, **kwargs)

    def _serialize(self, value, attr, obj, **kwargs):
        if value is None:
            return None
        zone_name = getattr(obj, self.zone_attribute) if self.zone_attribute else "UTC"
        return value.astimezone(zone(zone_name)).isoformat()

    def deserialize(self, value, attr=None, data=None, **kwargs):
        return super().deserialize(None if value == "" else value, attr, data, **kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, str) or len(value) > 40:
            raise ValidationError(_l("Not an ISO 8601 time, e.g. 2027-02-03T19:00:00+07:00."))
        try:
            parsed = datetime.fromisoformat(value)
        except ValueError:
            raise ValidationError(_l("Not an ISO 8601 time, e.g. 2027-02-03T19:00:00+07:00.")) from None
        moment = _checked(validation.moment, parsed)
        if self.require_offset and moment.tzinfo is None:
            raise ValidationError(_l("Give the time with its offset, e.g. 2027-02-03T19:00:00+07:00."))
        return moment if moment.tzinfo is None else moment.astimezone(zone("UTC"))


class Items(fields.List):
    """A list of one field's values; a value that is no list is refused in words."""

    default_error_messages = MESSAGES | {"invalid": _l("Must be a list.")}


class Slug(Text):
    """An object named by its slug (an association…): sent as the slug, answered as `<attribute>.slug`."""

    def __init__(self, **kwargs):
        super().__init__(200, **kwargs)

    def _serialize(self, value, attr, obj, **kwargs):
        return None if value is None else value.slug


class TimeZone(Text):
    """An IANA time zone name (Asia/Ho_Chi_Minh, Europe/Berlin); null or empty: none (the default applies)."""

    def __init__(self, **kwargs):
        metadata = kwargs.pop("metadata", {})
        metadata.setdefault("example", "Asia/Ho_Chi_Minh")
        super().__init__(64, metadata=metadata, **kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, str) or len(value) > 64 or (value and not is_valid_timezone(value)):
            raise ValidationError(_("Unknown time zone: %(zone)s", zone=str(value)[:64]))
        return value or None


class WallTime(Text):
    """A time of day on a clock, "HH:MM" (09:00); answered the same way."""

    def __init__(self, **kwargs):
        metadata = kwargs.pop("metadata", {})
        metadata.setdefault("example", "09:00")
        metadata.setdefault("pattern", "^([01][0-9]|2[0-3]):[0-5][0-9]$")
        super().__init__(5, metadata=metadata, **kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        if value in ("", None):
            return None
        return _checked(validation.wall_time, value)

    def _serialize(self, value, attr, obj, **kwargs):
        return None if value is None else value.strftime("%H:%M")


class QueryNumber(WholeNumber):
    """A whole number in a query string ("?limit=50"), between `minimum` and `maximum` (`clamp`: a number
    beyond them is brought within them rather than refused)."""

    def __init__(self, minimum: int = 0, maximum: int = validation.INT_MAX, *, clamp: bool = False, **kwargs):
        self.clamp = clamp
        super().__init__(minimum, maximum, **kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, str) and re.fullmatch(r"\s*-?[0-9]{1,30}\s*", value):
            value = int(value)
        if self.clamp and isinstance(value, int) and not isinstance(value, bool):
            value = max(self.minimum, min(value, self.maximum))
        return super()._deserialize(value, attr, data, **kwargs)


class QueryFlag(fields.Boolean):
    """A yes/no in a query string: true, false, 1 or 0."""

    default_error_messages = MESSAGES

    def _deserialize(self, value, attr, data, **kwargs):
        if value in ("1", "true"):
            return True
        if value in ("0", "false", ""):
            return False
        raise ValidationError(_l("Must be true or false."))
