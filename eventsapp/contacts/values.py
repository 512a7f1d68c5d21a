"""What people write in a roll's cells, read as the values a contact stores.

Time zones: an IANA id ("Asia/Tokyo"), an offset ("UTC+9", "GMT+7", "giờ UTC+7"), a city in Vietnamese
or English ("Tokyo", "Giờ Tokyo", "Praha", "Mát-xcơ-va", "Hà Nội"), a country with exactly one zone
("Nhật Bản", "Japan") or a zone's own name ("giờ Nhật Bản", "Japan Time"). Languages: "vi"/"en",
"tiếng Việt", "Vietnamese", "Tiếng Anh", "English". Anything else reads as None: the caller says why.
"""
from __future__ import annotations

import functools
import re
from datetime import datetime

from babel.core import get_global
from babel.dates import get_timezone_location

from ..countries import country_code
from ..text import fold
from ..timefmt import REGIONS, zone_name_text
from ..timeutils import UTC, is_valid_timezone, timezone_choices, zone

# Words around a zone that say only "this is a time zone" (folded).
_ZONE_WORDS = re.compile(r"^(?:mui gio|gio|time ?zone|time)\s+|\s+(?:time|standard time|gio)$")
_OFFSET = re.compile(r"^(?:utc|gmt)?\s*([+-])\s*(\d{1,2})(?:[:.h]?(\d{2}))?$")
# Names people write that CLDR's cities and zone names do not hold (folded).
_ZONE_ALIASES = {
    "ha noi": "Asia/Ho_Chi_Minh", "hanoi": "Asia/Ho_Chi_Minh", "sai gon": "Asia/Ho_Chi_Minh",
    "saigon": "Asia/Ho_Chi_Minh", "tp ho chi minh": "Asia/Ho_Chi_Minh", "thanh pho ho chi minh": "Asia/Ho_Chi_Minh",
    "ho chi minh": "Asia/Ho_Chi_Minh", "bac giang": "Asia/Ho_Chi_Minh", "viet nam": "Asia/Ho_Chi_Minh",
    "moskva": "Europe/Moscow", "matxcova": "Europe/Moscow", "mat xco va": "Europe/Moscow", "prague": "Europe/Prague",
    "utc": "UTC", "gmt": "UTC",
}
# For an offset, the zone without daylight saving that this union's people most likely mean.
_ZONE_FOR_OFFSET = {
    7 * 60: "Asia/Ho_Chi_Minh", 8 * 60: "Asia/Shanghai", 9 * 60: "Asia/Tokyo", 3 * 60: "Europe/Moscow",
    330: "Asia/Kolkata", 6 * 60: "Asia/Dhaka", 5 * 60: "Asia/Tashkent", 4 * 60: "Asia/Dubai",
    10 * 60: "Australia/Brisbane", 0: "UTC", -5 * 60: "America/Bogota", -3 * 60: "America/Sao_Paulo",
}
_LANGUAGES = {
    "vi": "vi", "vie": "vi", "vi-vn": "vi", "viet": "vi", "tieng viet": "vi", "vietnamese": "vi", "viet nam": "vi",
    "en": "en", "eng": "en", "en-us": "en", "en-gb": "en", "anh": "en", "tieng anh": "en", "english": "en",
}


# How people name a channel in a spreadsheet (folded: lower-case, no diacritics).
_CHANNELS = {
    "email": "email", "e-mail": "email", "e mail": "email", "mail": "email", "thu dien tu": "email", "thu": "email",
    "sms": "sms", "tin nhan": "sms", "nhan tin": "sms", "text": "sms", "text message": "sms",
    "zalo": "zalo",
    "printed": "printed", "printed card": "printed", "card": "printed", "post": "printed", "letter": "printed",
    "thiep": "printed", "thiep moi": "printed", "giay moi": "printed", "thu tay": "printed", "buu dien": "printed",
    "ban in": "printed", "in": "printed",
}


def read_channel(text: str | None) -> str | None:
    """"email", "sms", "zalo" or "printed" for what a person wrote ("Zalo", "Tin nhắn", "Thiệp mời"), else None."""
    return _CHANNELS.get(" ".join(fold(text or "").split()))


def read_language(text: str | None) -> str | None:
    """"vi" or "en" for what a person wrote ("tiếng Việt", "Vietnamese", "Tiếng Anh", "en"), else None."""
    return _LANGUAGES.get(" ".join(fold(text or "").replace("_", "-").split()))


def read_timezone(text: str | None) -> str | None:
    """The IANA id for what a person wrote as a time zone, or None when it names none or several."""
    text = " ".join((text or "").split())
    if not text or len(text) > 100:
        return None
    if is_valid_timezone(text) and "/" in text or text == "UTC":
        return text
    words = _ZONE_WORDS.sub("", fold(text)).strip()
    words = _ZONE_WORDS.sub("", words).strip()  # "múi giờ Tokyo time"
    if match := _OFFSET.match(words.replace("−", "-")):
        sign, hours, minutes = match.groups()
        return _zone_for_offset((1 if sign == "+" else -1) * (int(hours) * 60 + int(minutes or 0)))
    found = _ZONE_ALIASES.get(words) or _zone_index().get(words)
    if found:
        return found
    return _only_zone_of_country(text) or _only_zone_of_country(words)


def zones_of_country(text: str | None) -> list[str]:
    """The zones of the country written as `text` (none when it is not a country)."""
    code = country_code(text)
    return list(get_global("territory_zones").get(code, ())) if code else []


def _only_zone_of_country(text: str) -> str | None:
    """The country's zone when it has one clock (Germany's Busingen keeps Berlin's time: one clock)."""
    zones = [name for name in zones_of_country(text) if is_valid_timezone(name)]
    if not zones or len({_offsets(name) for name in zones}) != 1:
        return None
    return zones[0]  # CLDR lists the country's main zone first


def _pickable() -> list[str]:
    return [name for name in timezone_choices() if name.startswith(REGIONS)]


@functools.cache
def _zone_index() -> dict[str, str]:
    """Folded city and zone names in Vietnamese and English → the zone; names shared by two zones left out."""
    index: dict[str, str | None] = {}

    def add(key: str, name: str) -> None:
        key = _ZONE_WORDS.sub("", fold(key)).strip(" ()")
        if key:
            index[key] = name if index.get(key, name) == name else None

    for name in _pickable():
        add(name.rsplit("/", 1)[-1].replace("_", " "), name)
        for locale in ("vi", "en"):
            try:
                add(get_timezone_location(zone(name), locale=locale, return_city=True), name)
            except (LookupError, ValueError):
                pass
            add(zone_name_text(name, locale), name)
    return {key: name for key, name in index.items() if name}


def _offsets(name: str) -> tuple:
    """The zone's offsets in January and July of this year."""
    year = datetime.now(UTC).year
    return tuple(datetime(year, month, 15, tzinfo=UTC).astimezone(zone(name)).utcoffset() for month in (1, 7))


def _fixed_offset_minutes(name: str) -> int | None:
    """The zone's offset in minutes if it is the same in January and July (no daylight saving)."""
    january, july = _offsets(name)
    return int(january.total_seconds() // 60) if january == july else None


def _zone_for_offset(minutes: int) -> str | None:
    if minutes in _ZONE_FOR_OFFSET:
        return _ZONE_FOR_OFFSET[minutes]
    return next((name for name in _pickable() if _fixed_offset_minutes(name) == minutes), None)
