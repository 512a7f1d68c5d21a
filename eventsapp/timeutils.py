"""Time helpers: aware UTC everywhere in storage, the reader's zone on screen."""
from __future__ import annotations

import os
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

UTC = timezone.utc


# Tests travel in time: EVENTSAPP_TEST_CLOCK_FILE names a file holding a number of seconds added to the
# clock, read by the test process and the worker it starts alike. Unset (always outside tests): no cost.
_CLOCK_VARIABLE = "EVENTSAPP_TEST_CLOCK_FILE"
_shift_cache: tuple[tuple[int, int], timedelta] = ((-1, -1), timedelta(0))


def utcnow() -> datetime:
    """The current time, aware, in UTC (a callable default for columns)."""
    path = os.environ.get(_CLOCK_VARIABLE)
    if path:
        return datetime.now(UTC) + _clock_shift(path)
    return datetime.now(UTC)


def _clock_shift(path: str) -> timedelta:
    """The tests' shift of the clock, read again only when its file changed (tests replace it by a rename)."""
    global _shift_cache
    try:
        found = os.stat(path)
        changed = (found.st_ino, found.st_mtime_ns)
    except OSError:
        return timedelta(0)
    if changed != _shift_cache[0]:
        with open(path, encoding="ascii") as file:
            text = file.read().strip()
        _shift_cache = (changed, timedelta(seconds=float(text or 0)))
    return _shift_cache[1]


def is_valid_timezone(name: str | None) -> bool:
    if not name or len(name) > 64:  # zone names are short; a long one made ZoneInfo raise OSError
        return False
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        return False
    return True


def zone(name: str | None, default: str = "Asia/Ho_Chi_Minh") -> ZoneInfo:
    """The ZoneInfo for `name`, or `default` when it is empty or unknown."""
    return ZoneInfo(name) if is_valid_timezone(name) else ZoneInfo(default)


def timezone_choices() -> list[str]:
    return sorted(available_timezones())


def in_zone(moment: datetime, zone_name: str) -> datetime:
    """`moment` (aware) seen from `zone_name`."""
    return moment.astimezone(zone(zone_name))
