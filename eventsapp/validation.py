"""One validation per field, shared by the WTForms forms and the JSON API.

The checkers (`text`, `url`, `integer`, `year`, `moment`, `day`) take a value and return it
cleaned, or raise `Invalid` with a message in the reader's language. Forms use them through
`Check` (a WTForms validator); API schemas call them directly and collect the messages per field.
`init_app` adds what applies to every request: ids in URLs within the database's integer range
(a larger one is a 404, as for an id that does not exist), and no NUL or control character in
the path, the query string, form fields or a JSON body (nor JSON nested beyond reason): a 400.
"""
from __future__ import annotations

import functools
import re
from datetime import date, datetime, time
from urllib.parse import urlsplit

from flask import Flask, request
from werkzeug.routing import IntegerConverter
from wtforms.validators import ValidationError

from .errors import render_error
from .i18n import gettext as _
from .text import has_control_characters

INT_MAX = 2**31 - 1            # PostgreSQL `integer`: every id column and count
MAX_CAPACITY = 100_000         # seats of one event
MAX_GUESTS = 20                # guests one invitee may bring (the event form's bound)
YEAR_MIN, YEAR_MAX = 1900, 2199  # the lunar calendar's table and any plausible event
MAX_JSON_DEPTH = 20
URL_MAX = 500

# Tab, line feed and carriage return are text in a multi-line field; every other C0 control
# character and DEL is refused (NUL cannot even be stored by PostgreSQL).
_CONTROL_MULTILINE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_CONTROL_LINE = re.compile(r"[\x00-\x1f\x7f]")
# Half of a UTF-16 pair alone ("\ud800" in JSON) is no character: it cannot be written as UTF-8, so neither
# PostgreSQL nor a page nor an e-mail could hold it.
_SURROGATE = re.compile(r"[\ud800-\udfff]")


class Invalid(ValueError):
    """A value a person sent is not acceptable; `message` says why, in their language."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def text(value, *, max_length: int | None = None, multiline: bool = False, required: bool = False) -> str:
    """A string without control characters (multi-line: tab and line breaks allowed; one line: none of
    `text.has_control_characters`, U+2028 included), at most `max_length`."""
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise Invalid(_("Must be text."))
    if _SURROGATE.search(value):
        raise Invalid(_("Contains a character that is not text (half of a pair); remove it."))
    if multiline and _CONTROL_MULTILINE.search(value):
        raise Invalid(_("Contains a control character (such as NUL); remove it."))
    if not multiline and has_control_characters(value):
        raise Invalid(_("Must be on one line, without control characters (such as NUL)."))
    if max_length is not None and len(value) > max_length:
        raise Invalid(_("At most %(count)s characters.", count=max_length))
    if required and not value.strip():
        raise Invalid(_("Required."))
    return value


PHONE_MAX = 50  # as people type it, with spaces, dots and a leading 00 (stored: E.164, at most 16)
PHONE_REGION = "VN"  # a number written without a country code ("0912 345 678") is Vietnamese
_PHONE_CHARACTERS = re.compile(r"[0-9 +().\-/]+")
_PHONE_SEPARATORS = re.compile(r"[ ().\-/]")
# A Vietnamese number of nine digits after 0, +84 or 0084: most of any roll. Whether libphonenumber takes it
# depends on its first digits only (its Vietnamese patterns fix at most four), so that is asked once per prefix
# (tests/test_contacts_phones.py checks the shortcut against the library): a roll of 100,000 rows is read in a
# fraction of a second instead of five.
_VIETNAMESE = re.compile(r"(?:\+84|0084|0)([1-9]\d{8})")


def phone(value, *, region: str = PHONE_REGION) -> str:
    """A phone number as people write it ("0912 345 678", "+84 912 345 678", "0084…", "+420 601 234 567")
    in E.164 ("+84912345678"), or "" for none; one that is not a valid number anywhere is refused."""
    value = text(value, max_length=PHONE_MAX).strip()
    if not value:
        return ""
    # Letters are refused: phonenumbers would read "1-800-FLOWERS" (or "=cmd") as digits on a phone's keypad.
    if not _PHONE_CHARACTERS.fullmatch(value):
        raise Invalid(_("Not a phone number: write digits, such as 0912 345 678 or +84 912 345 678."))
    if region == PHONE_REGION and (local := _VIETNAMESE.fullmatch(_PHONE_SEPARATORS.sub("", value))):
        national = local.group(1)
        if _vietnamese_prefix_valid(national[:4]):
            return "+84" + national
    number = _parsed_phone(value, region)
    if number is None:
        raise Invalid(_("Not a phone number: write digits, such as 0912 345 678 or +84 912 345 678."))
    return number


def _parsed_phone(value: str, region: str) -> str | None:
    """E.164 by libphonenumber, or None."""
    import phonenumbers  # read on first use: most requests never parse a number

    try:
        number = phonenumbers.parse(value, region)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


@functools.cache
def _vietnamese_prefix_valid(prefix: str) -> bool:
    """Whether libphonenumber takes the nine-digit Vietnamese numbers that start with these four digits."""
    return _parsed_phone("+84" + prefix.ljust(9, "0"), PHONE_REGION) is not None \
        and _parsed_phone("+84" + prefix.ljust(9, "9"), PHONE_REGION) is not None
_WALL_TIME = re.compile(r"([01][0-9]|2[0-3]):([0-5][0-9])")


def wall_time(value) -> time:
    """A time of day on a clock, "HH:MM" from 00:00 to 23:59 (a `time` passes as it is)."""
    if isinstance(value, time):
        return value.replace(second=0, microsecond=0, tzinfo=None)
    value = text(value, max_length=5).strip()
    found = _WALL_TIME.fullmatch(value)
    if found is None:
        raise Invalid(_("Must be a time of day such as 09:00 (hours 00 to 23, minutes 00 to 59)."))
    return time(int(found.group(1)), int(found.group(2)))


def url(value) -> str:
    """An http or https address with a host (empty allowed), at most 500 characters."""
    value = text(value, max_length=URL_MAX).strip()
    if not value:
        return ""
    try:
        parts = urlsplit(value)
    except ValueError:
        parts = None
    if parts is None or parts.scheme.lower() not in ("http", "https") or not parts.hostname or " " in value:
        raise Invalid(_("Enter a web address starting with http:// or https://."))
    return value


def integer(value, *, minimum: int = 0, maximum: int = INT_MAX) -> int:
    """A whole number (not a boolean, not a string) between `minimum` and `maximum`."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise Invalid(_("Must be a whole number."))
    if not minimum <= value <= maximum:
        raise Invalid(_("Must be between %(minimum)s and %(maximum)s.", minimum=minimum, maximum=maximum))
    return value


def identifier(value) -> int:
    """A database id: a whole number from 1 to 2,147,483,647."""
    return integer(value, minimum=1, maximum=INT_MAX)


def year(value) -> int:
    """A year between 1900 and 2199, as a number or a string of digits ("2027")."""
    if isinstance(value, str) and value.strip().isascii() and value.strip().isdigit():
        value = int(value.strip())
    if isinstance(value, bool) or not isinstance(value, int):
        raise Invalid(_("Enter a year, e.g. 2027."))
    if not YEAR_MIN <= value <= YEAR_MAX:
        raise Invalid(_("Enter a year between %(minimum)s and %(maximum)s.", minimum=YEAR_MIN, maximum=YEAR_MAX))
    return value


def moment(value: datetime) -> datetime:
    """A date and time whose year lies between 1900 and 2199."""
    if not YEAR_MIN <= value.year <= YEAR_MAX:
        raise Invalid(_("Enter a date between the years %(minimum)s and %(maximum)s.",
                        minimum=YEAR_MIN, maximum=YEAR_MAX))
    return value


def day(value: date) -> date:
    """A date whose year lies between 1900 and 2199."""
    return moment(value)


def json_value(value, depth: int = 0):
    """Refuse JSON nested deeper than MAX_JSON_DEPTH, and NUL, control characters or lone surrogates in its
    strings (keys included)."""
    if depth > MAX_JSON_DEPTH:
        raise Invalid(_("The JSON body is nested too deeply."))
    if isinstance(value, str):
        if _CONTROL_MULTILINE.search(value):
            raise Invalid(_("Contains a control character (such as NUL); remove it."))
        if _SURROGATE.search(value):
            raise Invalid(_("Contains a character that is not text (half of a pair); remove it."))
    elif isinstance(value, dict):
        for key, item in value.items():
            json_value(key, depth + 1)
            try:
                json_value(item, depth + 1)
            except Invalid as error:
                if depth:
                    raise
                name = _SURROGATE.sub("\ufffd", key[:40])  # the message must itself be writable
                raise Invalid(f"{name}: {error.message}") from None  # name the top-level field
    elif isinstance(value, list):
        for item in value:
            json_value(item, depth + 1)
    return value


class Check:
    """A WTForms validator from a checker above: `Check(validation.url)`, `Check(text, max_length=300)`.
    Empty fields are left to `Optional`/`DataRequired`."""

    def __init__(self, checker, **options):
        self.checker, self.options = checker, options

    def __call__(self, form, field):
        if field.data in (None, ""):
            return
        try:
            field.data = self.checker(field.data, **self.options)
        except Invalid as error:
            raise ValidationError(error.message) from None


class BoundedIntegerConverter(IntegerConverter):
    """`<int:…>` in every route (all of them ids): a number beyond 2,147,483,647 becomes 0, an id that never
    exists, so the view answers its ordinary 404 instead of a database error. (Refusing the match instead
    would make Werkzeug answer 405 where another method's rule has the same path.)"""

    def to_python(self, value: str) -> int:
        number = super().to_python(value)
        return number if number <= INT_MAX else 0


def request_problem() -> str | None:
    """Why this request is refused before any view sees it, or None."""
    if _CONTROL_LINE.search(request.path):
        return _("The address contains a control character (such as NUL).")
    for key, value in request.args.items(multi=True):
        if _CONTROL_LINE.search(key) or _CONTROL_MULTILINE.search(value):
            return _("The query contains a control character (such as NUL).")
    if request.mimetype in ("application/x-www-form-urlencoded", "multipart/form-data"):
        for key, value in request.form.items(multi=True):
            if _CONTROL_LINE.search(key) or _CONTROL_MULTILINE.search(value):
                return _("A field contains a control character (such as NUL); remove it.")
    if request.is_json and request.content_length != 0:
        try:
            data = request.get_json(silent=True)
        except RecursionError:
            return _("The JSON body is nested too deeply.")
        try:
            json_value(data)
        except Invalid as error:
            return error.message
    return None


def init_app(app: Flask) -> None:
    """Bounded `<int:…>` ids in every route, and the request-wide refusal of control characters."""
    app.url_map.converters["int"] = BoundedIntegerConverter

    @app.before_request
    def refuse_control_characters():
        problem = request_problem()
        if problem is not None:
            return render_error(400, problem, code="invalid_characters")
        return None

