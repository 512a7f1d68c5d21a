"""Time helpers: aware UTC everywhere in storage, the reader's zone on screen."""
from __future__ import annotations

from datetime import datetime, timezone
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

UTC = timezone.utc


def utcnow() -> datetime:
    """The current time, aware, in UTC (a callable default for columns)."""
    return datetime.now(UTC)


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
