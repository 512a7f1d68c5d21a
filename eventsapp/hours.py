"""Wall-clock hours in a person's zone: "09:00 where they live", and quiet hours at night.

Zones come from zoneinfo, so daylight-saving changes are the zone's own: 09:00 in Prague is 08:00 UTC
in winter and 07:00 UTC in summer. A wall time that does not exist on a day (skipped by a change to
summer time) is read as the moment just after the gap.
"""
from __future__ import annotations

from datetime import datetime, time, timedelta

from .timeutils import UTC, is_valid_timezone, zone

# Quiet hours when an association has not set its own: 21:00 to 07:00, in minutes after midnight.
QUIET_FROM, QUIET_UNTIL = 21 * 60, 7 * 60


def zone_of(name: str | None, fallback: str | None) -> str:
    """A person's zone: their own when it is a real zone, else `fallback` (their association's)."""
    if is_valid_timezone(name):
        return name
    return fallback if is_valid_timezone(fallback) else "Asia/Ho_Chi_Minh"


def at_wall_time(day, wall: time, zone_name: str) -> datetime:
    """`wall` on `day` in the zone, as an aware UTC moment."""
    return datetime.combine(day, wall, tzinfo=zone(zone_name)).astimezone(UTC)


def next_wall_time(now: datetime, wall: time, zone_name: str) -> datetime:
    """The first moment after `now` when the clocks of the zone show `wall` (UTC)."""
    local_day = now.astimezone(zone(zone_name)).date()
    for offset in range(3):  # today, tomorrow, or (across a change of the date line) the day after
        moment = at_wall_time(local_day + timedelta(days=offset), wall, zone_name)
        if moment > now:
            return moment
    raise AssertionError("a wall time recurs every day")


def minutes_of(wall: time) -> int:
    return wall.hour * 60 + wall.minute


def wall_of(minutes: int) -> time:
    return time(minutes // 60 % 24, minutes % 60)


def in_quiet_hours(moment: datetime, zone_name: str, quiet_from: int = QUIET_FROM,
                   quiet_until: int = QUIET_UNTIL) -> bool:
    """Whether `moment` falls in the night [quiet_from, quiet_until) of the zone (it may span midnight)."""
    if quiet_from == quiet_until:
        return False  # no quiet hours
    local = moment.astimezone(zone(zone_name))
    minute = local.hour * 60 + local.minute
    if quiet_from < quiet_until:
        return quiet_from <= minute < quiet_until
    return minute >= quiet_from or minute < quiet_until


def after_quiet_hours(moment: datetime, zone_name: str, quiet_from: int = QUIET_FROM,
                      quiet_until: int = QUIET_UNTIL) -> datetime:
    """`moment` itself outside the zone's quiet hours, else the end of that night (UTC)."""
    if not in_quiet_hours(moment, zone_name, quiet_from, quiet_until):
        return moment
    return next_wall_time(moment, wall_of(quiet_until), zone_name)
