"""Validate iCalendar bytes with ical.js (npm, the parser Thunderbird uses) and with icalendar.

`parse_with_icaljs(ics)` returns the calendars as ical.js sees them (UIDs,
summaries, start/end instants in UTC, statuses); `assert_valid_ics(ics)` also
checks icalendar's own parse reports no `component.errors`, that lines are at
most 75 octets and that no fold splits a UTF-8 character. Other domains use it
for their e-mails' calendars:

    from tests.support.icaljs import assert_valid_ics
    parsed = assert_valid_ics(part.get_payload(decode=True))
    assert parsed.events[0].uid == event.uid

`make setup` installs ical.js into node_modules (package.json devDependencies).
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = Path(__file__).with_name("icaljs_parse.js")
MAX_OCTETS = 75


@dataclass
class ParsedEvent:
    uid: str
    summary: str
    status: str | None
    sequence: int
    start: datetime  # aware, UTC
    end: datetime
    start_local: str  # wall time as seen from the viewer's zone (`viewer_zone`), ISO without offset
    end_local: str
    start_zone: str | None
    all_day: bool
    start_date: str | None
    end_date: str | None
    location: str | None
    description: str | None
    url: str | None
    organizer: str | None
    attendees: list[str]


@dataclass
class ParsedCalendar:
    method: str | None
    name: str | None
    timezones: list[str]
    events: list[ParsedEvent] = field(default_factory=list)

    def by_uid(self, uid: str) -> ParsedEvent:
        matches = [e for e in self.events if e.uid == uid]
        assert matches, f"no VEVENT with UID {uid} (have {[e.uid for e in self.events]})"
        return matches[0]

    @property
    def uids(self) -> set[str]:
        return {e.uid for e in self.events}


def _instant(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def require_icaljs() -> None:
    if shutil.which("node") is None or not (ROOT / "node_modules" / "ical.js").is_dir():
        from tests.support.services import missing

        missing("ical.js is not installed: run `make setup` (npm install) with Node.js on PATH")


def parse_with_icaljs(ics: bytes | str, viewer_zone: str = "UTC") -> ParsedCalendar:
    """The first VCALENDAR of `ics` as ical.js reads it, on a machine set to `viewer_zone`."""
    require_icaljs()
    data = ics.encode("utf-8") if isinstance(ics, str) else ics
    env = {**os.environ, "TZ": viewer_zone}
    result = subprocess.run(["node", str(SCRIPT)], input=data, cwd=ROOT, capture_output=True, timeout=60, env=env)
    if result.returncode != 0:
        pytest.fail(f"ical.js could not parse the calendar:\n{result.stderr.decode(errors='replace')}")
    calendar = json.loads(result.stdout)["calendars"][0]
    return ParsedCalendar(
        method=calendar["method"], name=calendar["name"], timezones=calendar["timezones"],
        events=[ParsedEvent(
            uid=e["uid"], summary=e["summary"], status=e["status"], sequence=e["sequence"],
            start=_instant(e["start"]), end=_instant(e["end"]), start_local=e["startLocal"], end_local=e["endLocal"],
            start_zone=e["startZone"], all_day=e["allDay"],
            start_date=e["startDate"], end_date=e["endDate"], location=e["location"],
            description=e["description"], url=e["url"], organizer=e["organizer"], attendees=e["attendees"],
        ) for e in calendar["events"]],
    )


def assert_well_folded(ics: bytes) -> None:
    """Every line (without CRLF) ≤ 75 octets, CRLF endings, no fold splitting a UTF-8 character."""
    assert b"\n" not in ics.replace(b"\r\n", b""), "bare LF line ending"
    for number, line in enumerate(ics.split(b"\r\n"), 1):
        assert len(line) <= MAX_OCTETS, f"line {number} has {len(line)} octets: {line!r}"
        try:
            line.decode("utf-8")
        except UnicodeDecodeError as error:
            raise AssertionError(f"line {number} splits a UTF-8 character: {line!r}") from error


def assert_icalendar_clean(ics: bytes) -> None:
    """icalendar's own parse: no component (calendar, events, timezones) lists errors."""
    from icalendar import Calendar

    calendar = Calendar.from_ical(ics)
    problems = [(component.name, component.errors) for component in calendar.walk() if component.errors]
    assert not problems, f"icalendar reports errors: {problems}"


def assert_valid_ics(ics: bytes | str, viewer_zone: str = "UTC") -> ParsedCalendar:
    """Valid for icalendar and ical.js, correctly folded; returns ical.js's reading."""
    data = ics.encode("utf-8") if isinstance(ics, str) else ics
    assert_well_folded(data)
    assert_icalendar_clean(data)
    return parse_with_icaljs(data, viewer_zone)


def expected_wall_time(moment: datetime, viewer_zone: str) -> str:
    """`moment` as the wall time a viewer in `viewer_zone` should see (for comparing with start_local)."""
    from zoneinfo import ZoneInfo

    return moment.astimezone(ZoneInfo(viewer_zone)).replace(tzinfo=None).isoformat(timespec="seconds")
