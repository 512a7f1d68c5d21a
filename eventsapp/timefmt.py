"""Dates and times as people read them, in their language, through Babel's locale data (CLDR).

One module for pages and e-mails alike: a date written once per range ("Thứ Sáu, 5 tháng 2, 2027,
19:00 – 21:30"), four-digit years, all-day events as dates only, and zones by a friendly name with
their offset ("giờ Việt Nam (UTC+7)", "Japan Time (UTC+9)") instead of IANA ids.
"""
from __future__ import annotations

from datetime import date, datetime, timedelta

from babel.dates import (
    format_date,
    format_datetime,
    format_interval,
    format_time,
    get_time_format,
    get_timezone_location,
)

from .i18n import current_locale
from .timeutils import UTC, is_valid_timezone, timezone_choices, zone

# The zones people pick: the continents' and oceans' cities, and UTC. Left out: "Factory", "localtime",
# "posixrules", the Etc/GMT±n aliases (their sign is the opposite of what people expect) and the old
# "US/Eastern"-style links.
REGIONS = ("Africa/", "America/", "Antarctica/", "Asia/", "Atlantic/", "Australia/", "Europe/", "Indian/",
           "Pacific/")


# CLDR 42+ puts a narrow no-break space before "PM" and thin spaces around "–"; older mail clients and
# fonts show them as boxes, so plain spaces are written instead.
_SPACES = str.maketrans({"\u202f": " ", "\u2009": " ", "\u00a0": " "})


def _plain(text: str) -> str:
    return text.translate(_SPACES)


def _locale(locale: str | None) -> str:
    return locale or current_locale()


def offset_text(moment: datetime | None, zone_name: str) -> str:
    """The zone's offset at `moment` (default: now): "UTC+7", "UTC+5:30", "UTC-3", "UTC"."""
    offset = (moment or datetime.now(UTC)).astimezone(zone(zone_name)).utcoffset() or timedelta(0)
    minutes = int(offset.total_seconds() // 60)
    if not minutes:
        return "UTC"
    sign = "+" if minutes > 0 else "-"
    hours, rest = divmod(abs(minutes), 60)
    return f"UTC{sign}{hours}" + (f":{rest:02d}" if rest else "")


def zone_name_text(zone_name: str, locale: str | None = None) -> str:
    """The zone's name in `locale`: "giờ Việt Nam", "Vietnam Time", "giờ Đức (Berlin)"."""
    locale = _locale(locale)
    if zone_name in ("UTC", "Etc/UTC"):
        return "UTC"
    try:
        name = get_timezone_location(zone(zone_name), locale=locale)
    except (LookupError, ValueError):
        return zone_name
    # Vietnamese writes "giờ" in lower case inside a sentence ("19:00, giờ Việt Nam").
    return name[:1].lower() + name[1:] if locale == "vi" and name.startswith("Giờ ") else name


def zone_label(zone_name: str, locale: str | None = None, moment: datetime | None = None) -> str:
    """"giờ Việt Nam (UTC+7)": the zone's name and its offset at `moment`; an unknown zone as written."""
    if not is_valid_timezone(zone_name):
        return zone_name or ""
    name, offset = zone_name_text(zone_name, locale), offset_text(moment, zone_name)
    if name == offset:
        return name
    # "giờ Đức (Berlin)" → "giờ Đức (Berlin, UTC+1)", not two brackets in a row.
    return f"{name[:-1]}, {offset})" if name.endswith(")") else f"{name} ({offset})"


def _time_skeleton(locale: str) -> str:
    return "Hm" if "H" in get_time_format("short", locale=locale).pattern else "hm"


def date_text(day: date, locale: str | None = None, fmt: str = "full") -> str:
    return _plain(format_date(day, fmt, locale=_locale(locale)))


def days_text(first: date, last: date | None = None, locale: str | None = None) -> str:
    """A day or a range of days, the month and year written once: "5 – 7 thg 2, 2027", "Feb 5 – 7, 2027"."""
    locale = _locale(locale)
    if last is None or last == first:
        return date_text(first, locale, "medium")
    return _plain(format_interval(first, last, "yMMMd", locale=locale))


def time_text(moment: datetime, zone_name: str, locale: str | None = None) -> str:
    return _plain(format_time(moment, "short", tzinfo=zone(zone_name), locale=_locale(locale)))


def moment_text(moment: datetime | None, zone_name: str, locale: str | None = None, fmt: str = "medium",
                with_zone: bool = True) -> str:
    """A moment as wall time in `zone_name`: "5 thg 2, 2027, 19:00 · giờ Việt Nam (UTC+7)".

    `fmt`: "short"/"medium" (abbreviated date), "long"/"full" (the weekday, the month written out),
    "time" (the time alone), or a Babel pattern such as "HH:mm".
    """
    if moment is None:
        return ""
    locale = _locale(locale)
    local = moment.astimezone(zone(zone_name))
    if fmt == "time":
        text = time_text(local, zone_name, locale)
    elif fmt in ("short", "medium", "long", "full"):
        date_format = "medium" if fmt in ("short", "medium") else "full"
        text = f"{format_date(local.date(), date_format, locale=locale)}, {time_text(local, zone_name, locale)}"
    else:
        text = _plain(format_datetime(local.replace(tzinfo=None), fmt, locale=locale))
    return f"{text} · {zone_label(zone_name, locale, moment)}" if with_zone else text


def span_text(start: datetime, end: datetime, zone_name: str, locale: str | None = None, *, all_day: bool = False,
              with_zone: bool = True) -> str:
    """A range as wall time in `zone_name`, each date written once.

    Timed: "Thứ Sáu, 5 tháng 2, 2027, 19:00 – 21:30 · giờ Việt Nam (UTC+7)"; over midnight both dates.
    All-day (`end` exclusive, local midnights): "Thứ Sáu, 5 tháng 2, 2027", or a date range; no zone,
    since a day is a day wherever the reader is.
    """
    locale = _locale(locale)
    tz = zone(zone_name)
    start, end = start.astimezone(tz), end.astimezone(tz)
    if all_day:
        first, last = start.date(), end.date() - timedelta(days=1) if end.date() > start.date() else start.date()
        if first == last:
            return date_text(first, locale, "full")
        return _plain(format_interval(first, last, "yMMMMEEEEd", locale=locale))
    if start.date() == end.date():
        times = _plain(format_interval(start, end, _time_skeleton(locale), tzinfo=tz, locale=locale))
        text = f"{format_date(start.date(), 'full', locale=locale)}, {times}"
    else:
        text = (f"{format_date(start.date(), 'full', locale=locale)}, {time_text(start, zone_name, locale)} – "
                f"{format_date(end.date(), 'full', locale=locale)}, {time_text(end, zone_name, locale)}")
    return f"{text} · {zone_label(zone_name, locale, start)}" if with_zone else text


def event_span(event, zone_name: str | None = None, locale: str | None = None, with_zone: bool = True) -> str:
    """When `event` is, seen from `zone_name` (default: its own zone)."""
    return span_text(event.starts_at, event.ends_at, zone_name or event.timezone, locale, all_day=event.all_day,
                     with_zone=with_zone)


def event_start_text(event, locale: str | None = None, zone_name: str | None = None) -> str:
    """When `event` starts, as every list shows it: "8 thg 2, 2027 · cả ngày" for an all-day event (a day
    is a day in every zone), else "9 thg 2, 2027, 19:00 · giờ Việt Nam (UTC+7)" in `zone_name`
    (default: the event's zone)."""
    locale = _locale(locale)
    if event.all_day:
        from .i18n import gettext  # i18n reads the request's language; imported here like `_locale` does

        day = event.starts_at.astimezone(zone(event.timezone)).date()
        return f"{date_text(day, locale, 'medium')} · {gettext('all day')}"
    return moment_text(event.starts_at, zone_name or event.timezone, locale, "short")


def zone_choices(preferred: list[str] | tuple[str, ...] = (), locale: str | None = None,
                 moment: datetime | None = None) -> list[tuple[str, str]]:
    """(IANA id, label) for a time-zone picker: `preferred` first (e.g. the zones of the association's
    contacts, most used first), then every other zone people pick, by offset then name. Each label
    names the zone, its offset and its city in `locale` ("giờ Việt Nam (UTC+7) — TP Hồ Chí Minh"), never
    the IANA id; the picker's search also matches the id, so typing "Tokyo", "Nhật" or "UTC+9" finds it."""
    locale = _locale(locale)
    moment = moment or datetime.now(UTC)
    pickable = [name for name in timezone_choices() if name.startswith(REGIONS) or name == "UTC"]

    def label(name: str) -> str:
        if name == "UTC":
            return "UTC"
        shown = zone_label(name, locale, moment)
        city = get_timezone_location(zone(name), locale=locale, return_city=True)
        return shown if city in shown else f"{shown} — {city}"

    first = [name for name in dict.fromkeys(preferred) if name in pickable]
    rest = sorted((name for name in pickable if name not in first),
                  key=lambda name: (moment.astimezone(zone(name)).utcoffset(), name))
    return [(name, label(name)) for name in first + rest]


def format_in_zone(moment, zone_name: str, fmt: str = "medium") -> str:
    """A moment as wall time in `zone_name` in the current language, with the zone named
    (`moment_text`: "5 thg 2, 2027, 19:00 · giờ Việt Nam (UTC+7)")."""
    return moment_text(moment, zone_name, current_locale(), fmt)
