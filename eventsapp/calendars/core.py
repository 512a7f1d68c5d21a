"""iCalendar objects built with the `icalendar` library, in one plain module.

Used by invitations (iTIP REQUEST/CANCEL in e-mails), feeds (no METHOD) and
the single-event download (PUBLISH). Rules followed, from calendar-notes.md:
- times carry the event's IANA TZID with a matching VTIMEZONE (zoneinfo, never
  pytz or fixed offsets), VTIMEZONEs limited to the years used so that Outlook
  sees one rule for Asia/Ho_Chi_Minh; all-day events are DATE values with an
  exclusive DTEND;
- UID stable, SEQUENCE from the event, DTSTAMP/LAST-MODIFIED from its last
  revision, so that output is deterministic;
- text normalised to NFC before the library folds lines.
"""
from __future__ import annotations

import copy
import functools
import unicodedata
from collections.abc import Iterable
from datetime import date, datetime, timedelta

from icalendar import Calendar, Timezone, vCalAddress, vDuration, vText
from icalendar import Event as VEvent
from icalendar.parser import Parameters

from ..markdown import markdown_to_text
from ..personalise import stand_in
from ..timeutils import UTC, zone

PRODID = "-//eventsapp//Friendship associations//VI"
CANCELLED_PREFIX = {"vi": "[Đã hủy] ", "en": "[Cancelled] "}
KIND_CATEGORIES = {
    "tet_week": ("Tết Việt", "Tet Viet week"),
    "xuan_que_huong": ("Xuân Quê hương", "Homeland spring"),
    "anniversary": ("Kỷ niệm", "Anniversary"),
    "award_ceremony": ("Lễ trao thưởng", "Award ceremony"),
    "charity": ("Từ thiện", "Charity"),
    "friendship": ("Giao lưu hữu nghị", "Friendship exchange"),
    "meeting": ("Gặp mặt", "Meeting"),
    "other": ("Sự kiện", "Event"),
}


def _foldline(line: str) -> str:
    """RFC 5545 folding (75 octets, never inside a UTF-8 character), as icalendar's content-line API
    folds (`icalendar.parser.foldline` is deprecated): at most 74 octets before each fold, and a
    backslash or caret that would end a piece starts the next one instead (icalendar issue #1501).

    The same bytes as `Contentline(line).to_ical()` (tests/test_calendar_core.py compares them on
    hostile and random text), written over the UTF-8 bytes: a send batch folds three lines a
    message, and the library's loop over characters was a fifth of a calendar's cost.
    """
    data = line.encode("utf-8")
    if len(data) < 75:
        return line
    pieces, start = [], 0
    while len(data) - start > 74:
        end = start + 74
        while data[end] & 0xC0 == 0x80:  # inside a character: fold before it
            end -= 1
        if data[end - 1] in b"\\^" and end - 1 > start:  # keep an escape with what it escapes
            end -= 1
        pieces.append(data[start:end])
        start = end
    pieces.append(data[start:])
    return b"\r\n ".join(pieces).decode("utf-8")


def nfc(text: str | None) -> str:
    return unicodedata.normalize("NFC", text or "")


def new_calendar(method: str | None = None, *, name: str | None = None, description: str | None = None,
                 refresh: str | None = None) -> Calendar:
    """An empty VCALENDAR; `method` REQUEST/CANCEL/PUBLISH, or None for a feed."""
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    if method:
        cal.add("method", method.upper())
    if name:
        cal.add("name", nfc(name))
        cal.add("x-wr-calname", nfc(name))
    if description:
        cal.add("description", nfc(description))
        cal.add("x-wr-caldesc", nfc(description))
    if refresh:
        # A string, not a timedelta: an X- property given a timedelta is written as "1:00:00".
        # REFRESH-INTERVAL is typed (duration): the library wants a vDuration, not a string.
        cal.add("refresh-interval", vDuration(vDuration.from_ical(refresh)), parameters={"VALUE": "DURATION"})
        cal["X-PUBLISHED-TTL"] = refresh
    return cal


def vtimezone(zone_name: str, first: date, last: date) -> Timezone:
    """VTIMEZONE for `zone_name` covering only the years [first, last]."""
    # Building one walks the zone's offsets (~60 ms); a send renders thousands: cache, hand out copies.
    return copy.deepcopy(_vtimezone(zone_name, first.year, last.year))


@functools.lru_cache(maxsize=512)
def _vtimezone(zone_name: str, first_year: int, last_year: int) -> Timezone:
    return Timezone.from_tzid(zone_name, first_date=date(first_year, 1, 1), last_date=date(last_year + 1, 1, 1))


def add_timezones(cal: Calendar, events: Iterable) -> None:
    """Add one VTIMEZONE per zone used by timed `events`."""
    spans: dict[str, tuple[date, date]] = {}
    for event in events:
        if event.all_day:
            continue
        start = event.starts_at.date()
        end = event.ends_at.date()
        first, last = spans.get(event.timezone, (start, end))
        spans[event.timezone] = (min(first, start), max(last, end))
    for zone_name in sorted(spans):
        cal.add_component(vtimezone(zone_name, *spans[zone_name]))


def local_dates(event) -> tuple[date, date]:
    """An all-day event's first day and exclusive end day, in its own zone."""
    tz = zone(event.timezone)
    first = event.starts_at.astimezone(tz).date()
    last = event.ends_at.astimezone(tz).date()
    end = last if last > first and event.ends_at.astimezone(tz).time() == datetime.min.time() else last + timedelta(days=1)
    return first, max(end, first + timedelta(days=1))


def event_component(event, *, locale: str = "vi", url: str | None = None, extra_description: str = "",
                    organizer_email: str | None = None, organizer_name: str | None = None,
                    attendees: Iterable[tuple[str, str, str]] = (), cancelled: bool | None = None,
                    online_url: str | None = None) -> VEvent:
    """A VEVENT for `event` (an events.models.Event).

    `attendees` are (email, name, partstat) triples, for iTIP messages only;
    feeds never pass them, so no personal data reaches a feed. `online_url` replaces the event's online
    link (an invitee's personal join link).
    """
    online = online_url or event.online_url
    cancelled = event.is_cancelled if cancelled is None else cancelled
    vevent = VEvent()
    vevent.add("uid", event.uid)
    vevent.add("sequence", event.sequence)
    stamp = event.updated_at.astimezone(UTC)
    vevent.add("dtstamp", stamp)
    vevent.add("last-modified", stamp)
    vevent.add("created", event.created_at.astimezone(UTC))
    title = nfc(event.title(locale))
    if cancelled:
        title = CANCELLED_PREFIX.get(locale, CANCELLED_PREFIX["en"]) + title
    vevent.add("summary", title)
    if event.all_day:
        first, end = local_dates(event)
        vevent.add("dtstart", first)
        vevent.add("dtend", end)
    else:
        tz = zone(event.timezone)
        vevent.add("dtstart", event.starts_at.astimezone(tz))
        vevent.add("dtend", event.ends_at.astimezone(tz))
    location = ", ".join(part for part in (event.venue_name, event.venue_address) if part)
    if not location and online:
        location = online
    if location:
        vevent.add("location", nfc(location))
    description = plain_description(event, locale)
    if online:
        description += ("\n\n" if description else "") + ("Trực tuyến: " if locale == "vi" else "Online: ") + online
    if extra_description:
        description += ("\n\n" if description else "") + nfc(extra_description)
    if description:
        vevent.add("description", description)
    if url:
        vevent.add("url", url)
    if online:
        vevent.add("conference", online, parameters={"VALUE": "URI"})
    category = KIND_CATEGORIES.get(getattr(event.kind, "value", event.kind), KIND_CATEGORIES["other"])
    vevent.add("categories", [category[0] if locale == "vi" else category[1]])
    vevent.add("status", "CANCELLED" if cancelled else "CONFIRMED")
    vevent.add("transp", "OPAQUE")
    if organizer_email:
        organizer = vCalAddress(f"mailto:{organizer_email}")
        if organizer_name:
            organizer.params["CN"] = vText(nfc(organizer_name))
        vevent.add("organizer", organizer)
    for email, name, partstat in attendees:
        attendee = vCalAddress(f"mailto:{email}")
        attendee.params["CN"] = vText(nfc(name))
        attendee.params["ROLE"] = vText("REQ-PARTICIPANT")
        attendee.params["PARTSTAT"] = vText(partstat)
        attendee.params["RSVP"] = vText("TRUE")
        vevent.add("attendee", attendee)
    return vevent


def plain_description(event, locale: str) -> str:
    """The event's description as plain text made from its Markdown: links as "text (url)", raw HTML and
    unsafe links dropped (Google Calendar and Outlook.com render DESCRIPTION as HTML)."""
    return nfc(markdown_to_text(event.description(locale))).strip()


def to_ics(cal: Calendar) -> bytes:
    """Serialise (the library folds lines at 75 octets without splitting characters)."""
    return cal.to_ical()


def single_event_calendar(event, *, method: str = "PUBLISH", locale: str = "vi", **component_options) -> Calendar:
    """A calendar holding one event, with its VTIMEZONE; for downloads and e-mails."""
    cal = new_calendar(method)
    add_timezones(cal, [event])
    cal.add_component(event_component(event, locale=locale, **component_options))
    return cal


# ---------------------------------------------------------------- per-batch ICS templates
#
# A mail batch sends the same event to many people: only the URL, the last paragraph of the
# DESCRIPTION (the personal answer link) and the ATTENDEE differ. The calendar is serialised
# once with placeholders; each recipient gets those three content lines re-folded with
# icalendar's own folding, so the bytes equal a direct `single_event_calendar(...).to_ical()`.
# The templates live in a dict the caller keeps for the batch (the mail sender's batch memo).
# The same rule as every batch render (eventsapp/personalise.py), applied per content line: the
# three lines are re-folded after the substitution, since folding depends on their length.

_URL_MARK = f"https://placeholder.invalid/{stand_in('URL')}"
_EXTRA_MARK = stand_in("EXTRA")
_ATTENDEE_MARK = ("attendee-7f3c@placeholder.invalid", stand_in("CN"), "NEEDS-ACTION")


def _personal_attendee_line(templates: dict, email: str, name: str, partstat: str) -> str:
    """`_attendee_line(email, name, partstat)` from a line built once per answer: the library writes
    only the CN parameter (its quoting and RFC 6868 escaping), the address is appended as it is."""
    key = ("ics-attendee", partstat)
    if key not in templates:
        line = _attendee_line(_ATTENDEE_MARK[0], _ATTENDEE_MARK[1], partstat)
        head, tail = f"ATTENDEE;CN={_ATTENDEE_MARK[1]}", f"mailto:{_ATTENDEE_MARK[0]}"
        templates[key] = line[len(head):-len(tail)] if line.startswith(head) and line.endswith(tail) else None
    middle = templates[key]
    if middle is None:  # a library that writes the line otherwise: build it directly
        return _attendee_line(email, name, partstat)
    cn = Parameters({"CN": vText(nfc(name))}).to_ical().decode("utf-8")
    return f"ATTENDEE;{cn}{middle}mailto:{email}"


def _attendee_line(email: str, name: str, partstat: str) -> str:
    vevent = VEvent()
    attendee = vCalAddress(f"mailto:{email}")
    attendee.params["CN"] = vText(nfc(name))
    attendee.params["ROLE"] = vText("REQ-PARTICIPANT")
    attendee.params["PARTSTAT"] = vText(partstat)
    attendee.params["RSVP"] = vText("TRUE")
    vevent.add("attendee", attendee)
    return str(vevent.content_lines()[1])


def _ics_template(event, method: str, locale: str, organizer_email, organizer_name, cancelled,
                  has_url: bool, has_extra: bool):
    text = to_ics(single_event_calendar(
        event, method=method, locale=locale, url=_URL_MARK if has_url else None,
        extra_description=_EXTRA_MARK if has_extra else "",
        organizer_email=organizer_email, organizer_name=organizer_name, attendees=[_ATTENDEE_MARK],
        cancelled=cancelled)).decode("utf-8")
    lines = text.replace("\r\n ", "").split("\r\n")  # unfold: values are escaped, no raw CR/LF
    placeholder_attendee = _attendee_line(*_ATTENDEE_MARK)
    parts: list = []  # folded text chunks, and ("url"|"extra"|"attendee", logical line) holes
    fixed: list[str] = []
    for line in lines:
        if line == placeholder_attendee:
            kind = "attendee"
        elif _URL_MARK in line:
            kind = "url"
        elif _EXTRA_MARK in line:
            kind = "extra"
        else:
            fixed.append(_foldline(line) if line else line)
            continue
        if fixed:
            parts.append("\r\n".join(fixed))
        fixed = []
        parts.append((kind, line))
    if fixed:
        parts.append("\r\n".join(fixed))
    holes = [p for p in parts if isinstance(p, tuple)]
    expected = ["attendee"] + (["extra"] if has_extra else []) + (["url"] if has_url else [])
    if sorted(h[0] for h in holes) != expected:
        return None  # unexpected shape: callers serialise directly
    return parts


def personal_event_ics(event, *, method: str, locale: str = "vi", url: str | None = None,
                       extra_description: str = "",
                       organizer_email: str | None = None, organizer_name: str | None = None,
                       attendee: tuple[str, str, str], cancelled: bool | None = None,
                       templates: dict | None = None, online_url: str | None = None) -> bytes:
    """`to_ics(single_event_calendar(...))` for one attendee; with `templates` (a dict kept for a send
    batch), from one serialisation per event and options. With a personal `online_url` (a join link) the
    calendar is serialised for this attendee alone."""
    def direct() -> bytes:
        return to_ics(single_event_calendar(
            event, method=method, locale=locale, url=url, extra_description=extra_description,
            organizer_email=organizer_email, organizer_name=organizer_name, attendees=[attendee],
            cancelled=cancelled, online_url=online_url))

    if templates is None or online_url:
        return direct()
    has_url, has_extra = bool(url), bool(extra_description)
    key = ("ics", event.id, event.uid, event.sequence, event.updated_at, method, locale, organizer_email,
           organizer_name, cancelled, has_url, has_extra)
    if key not in templates:
        templates[key] = _ics_template(event, method, locale, organizer_email, organizer_name, cancelled,
                                   has_url, has_extra)
    parts = templates[key]
    if parts is None:
        return direct()
    values = {"url": url, "extra": vText(nfc(extra_description)).to_ical().decode("utf-8") if has_extra else ""}
    out = []
    for part in parts:
        if isinstance(part, tuple):
            kind, line = part
            if kind == "attendee":
                line = _personal_attendee_line(templates, *attendee)
            elif kind == "url":
                line = line.replace(_URL_MARK, values["url"])
            else:
                line = line.replace(_EXTRA_MARK, values["extra"])
            part = _foldline(line)
        out.append(part)
    return "\r\n".join(out).encode("utf-8")
