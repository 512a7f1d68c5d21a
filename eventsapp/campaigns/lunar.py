"""The Vietnamese lunisolar calendar: the date of Tết (Lunar New Year) for a year.

Hồ Ngọc Đức's astronomical algorithm ("Âm lịch Việt Nam", Hồ Ngọc Đức,
https://www.informatik.uni-leipzig.de/~duc/amlich/calrules.html), itself built on
Jean Meeus, *Astronomical Algorithms* (Willmann-Bell, 1998): new moons from Meeus'
series (ch. 49, simplified), the sun's apparent longitude (ch. 25, low precision),
and the rules of the calendar:

- a month starts on the day (in local time) that holds the new moon;
- the 11th month is the one holding the winter solstice;
- a year with 13 months between two 11th months has a leap month: the first
  month after the 11th that holds no major solar term (trung khí) repeats.

The days are counted in the zone UTC+7 (Vietnam since 1968). The Chinese
calendar counts them in UTC+8, which is why the dates differ in some years:
Tết was on 21 Jan 1985 in Vietnam (20 Feb in China) and on 17 Feb 2007 in
Vietnam (18 Feb in China). Libraries computing the Chinese calendar
(e.g. `lunardate`) are therefore wrong for Vietnam in those years.
"""
from __future__ import annotations

import math
from datetime import date, timedelta

VIETNAM_UTC_OFFSET = 7.0
_JDN_OFFSET = 1721425  # date.toordinal() + this = Julian day number
_SYNODIC_MONTH = 29.530588853


def _jd(day: date) -> int:
    return day.toordinal() + _JDN_OFFSET


def _from_jd(jd: int) -> date:
    return date.fromordinal(jd - _JDN_OFFSET)


def new_moon(k: int) -> float:
    """Julian date (UT) of the k-th new moon after 1 Jan 1900 (Meeus, simplified)."""
    t = k / 1236.85
    t2, t3 = t * t, t * t * t
    dr = math.pi / 180
    jd1 = 2415020.75933 + 29.53058868 * k + 0.0001178 * t2 - 0.000000155 * t3
    jd1 += 0.00033 * math.sin((166.56 + 132.87 * t - 0.009173 * t2) * dr)
    m = 359.2242 + 29.10535608 * k - 0.0000333 * t2 - 0.00000347 * t3  # sun's mean anomaly
    mpr = 306.0253 + 385.81691806 * k + 0.0107306 * t2 + 0.00001236 * t3  # moon's mean anomaly
    f = 21.2964 + 390.67050646 * k - 0.0016528 * t2 - 0.00000239 * t3  # moon's argument of latitude
    c1 = (0.1734 - 0.000393 * t) * math.sin(m * dr) + 0.0021 * math.sin(2 * dr * m)
    c1 += -0.4068 * math.sin(mpr * dr) + 0.0161 * math.sin(dr * 2 * mpr)
    c1 += -0.0004 * math.sin(dr * 3 * mpr)
    c1 += 0.0104 * math.sin(dr * 2 * f) - 0.0051 * math.sin(dr * (m + mpr))
    c1 += -0.0074 * math.sin(dr * (m - mpr)) + 0.0004 * math.sin(dr * (2 * f + m))
    c1 += -0.0004 * math.sin(dr * (2 * f - m)) - 0.0006 * math.sin(dr * (2 * f + mpr))
    c1 += 0.0010 * math.sin(dr * (2 * f - mpr)) + 0.0005 * math.sin(dr * (2 * mpr + m))
    if t < -11:
        delta_t = 0.001 + 0.000839 * t + 0.0002261 * t2 - 0.00000845 * t3 - 0.000000081 * t * t3
    else:
        delta_t = -0.000278 + 0.000265 * t + 0.000262 * t2
    return jd1 + c1 - delta_t


def sun_longitude(jdn: float) -> float:
    """The sun's apparent longitude in radians (0 … 2π) at Julian date `jdn` (UT)."""
    t = (jdn - 2451545.0) / 36525
    t2 = t * t
    dr = math.pi / 180
    m = 357.52910 + 35999.05030 * t - 0.0001559 * t2 - 0.00000048 * t * t2
    l0 = 280.46645 + 36000.76983 * t + 0.0003032 * t2
    dl = (1.914600 - 0.004817 * t - 0.000014 * t2) * math.sin(dr * m)
    dl += (0.019993 - 0.000101 * t) * math.sin(dr * 2 * m) + 0.000290 * math.sin(dr * 3 * m)
    longitude = (l0 + dl) * dr
    return longitude - 2 * math.pi * math.floor(longitude / (2 * math.pi))


def _new_moon_day(k: int, tz: float) -> int:
    """The Julian day number (local) holding the k-th new moon."""
    return math.floor(new_moon(k) + 0.5 + tz / 24)


def _sun_sector(day: int, tz: float) -> int:
    """Which of the 12 thirty-degree sectors the sun is in at the start of local `day`."""
    return math.floor(sun_longitude(day - 0.5 - tz / 24) / math.pi * 6)


def _month11(year: int, tz: float) -> int:
    """Julian day number of the first day of the 11th lunar month of `year`."""
    off = _jd(date(year, 12, 31)) - 2415021
    k = math.floor(off / _SYNODIC_MONTH)
    start = _new_moon_day(k, tz)
    if _sun_sector(start, tz) >= 9:  # the solstice comes after this new moon: take the previous one
        start = _new_moon_day(k - 1, tz)
    return start


def _leap_month_offset(a11: int, tz: float) -> int:
    """Months after month 11 at which the leap month (no major solar term) falls."""
    k = math.floor((a11 - 2415021.076998695) / _SYNODIC_MONTH + 0.5)
    i = 1
    arc = _sun_sector(_new_moon_day(k + i, tz), tz)
    while True:
        last = arc
        i += 1
        arc = _sun_sector(_new_moon_day(k + i, tz), tz)
        if arc == last or i >= 14:
            break
    return i - 1


def lunar_to_solar(lunar_year: int, lunar_month: int, lunar_day: int, leap: bool = False,
                   tz: float = VIETNAM_UTC_OFFSET) -> date:
    """The solar (Gregorian) date of a lunar date in the Vietnamese calendar."""
    if lunar_month < 11:
        a11, b11 = _month11(lunar_year - 1, tz), _month11(lunar_year, tz)
    else:
        a11, b11 = _month11(lunar_year, tz), _month11(lunar_year + 1, tz)
    k = math.floor(0.5 + (a11 - 2415021.076998695) / _SYNODIC_MONTH)
    off = (lunar_month - 11) % 12
    if b11 - a11 > 365:
        leap_off = _leap_month_offset(a11, tz)
        leap_month = (leap_off - 2) % 12
        if leap and lunar_month != leap_month:
            raise ValueError(f"{lunar_year} has no leap month {lunar_month}")
        if leap or off >= leap_off:
            off += 1
    elif leap:
        raise ValueError(f"{lunar_year} has no leap month")
    return _from_jd(_new_moon_day(k + off, tz) + lunar_day - 1)


def tet(year: int, tz: float = VIETNAM_UTC_OFFSET) -> date:
    """Tết Nguyên đán (1st day of the 1st lunar month) of `year`, Vietnamese calendar by default."""
    return lunar_to_solar(year, 1, 1, tz=tz)


def tet_week(year: int) -> tuple[date, date]:
    """The Tết Việt week: the seven days around Tết (three before, Tết, three after)."""
    day = tet(year)
    return day - timedelta(days=3), day + timedelta(days=3)


def xuan_que_huong(year: int) -> date:
    """Xuân Quê hương: the homeland gathering shortly before Tết (a week before, ~23 tháng Chạp)."""
    return tet(year) - timedelta(days=7)


def next_tet(today: date) -> date:
    """The next Tết on or after `today`."""
    this_year = tet(today.year)
    return this_year if this_year >= today else tet(today.year + 1)
