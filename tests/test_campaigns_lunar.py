"""Tết from the Vietnamese lunar calendar (UTC+7), which differs from the Chinese one in some years."""
from datetime import date

import pytest

from eventsapp.campaigns import lunar
from eventsapp.campaigns.models import CampaignKind
from eventsapp.campaigns.services import propose

KNOWN_TET = {
    1985: date(1985, 1, 21),  # China: 20 Feb 1985
    2007: date(2007, 2, 17),  # China: 18 Feb 2007
    2024: date(2024, 2, 10),
    2025: date(2025, 1, 29),
    2026: date(2026, 2, 17),
    2027: date(2027, 2, 6),
    2028: date(2028, 1, 26),
    2029: date(2029, 2, 13),
    # The new moon is at 16:07 UTC on 2 Feb 2030: 23:07 in Vietnam, 00:07 on 3 Feb in China.
    2030: date(2030, 2, 2),
}


@pytest.mark.parametrize("year, expected", sorted(KNOWN_TET.items()))
def test_tet_follows_the_vietnamese_calendar(year, expected):
    assert lunar.tet(year) == expected


@pytest.mark.parametrize("year, chinese", [(1985, date(1985, 2, 20)), (2007, date(2007, 2, 18)),
                                           (2030, date(2030, 2, 3))])
def test_the_same_algorithm_for_utc_plus_8_gives_the_chinese_dates(year, chinese):
    assert lunar.tet(year, tz=8.0) == chinese
    assert lunar.tet(year) != chinese


def test_lunar_dates_inside_a_leap_year():
    # 2023 had a leap 2nd month (tháng 2 nhuận): it began on 22 Mar 2023; month 3 on 20 Apr.
    assert lunar.lunar_to_solar(2023, 2, 1, leap=True) == date(2023, 3, 22)
    assert lunar.lunar_to_solar(2023, 3, 1) == date(2023, 4, 20)
    assert lunar.lunar_to_solar(2020, 4, 1, leap=True) == date(2020, 5, 23)
    with pytest.raises(ValueError):
        lunar.lunar_to_solar(2024, 5, 1, leap=True)


def test_next_tet_after_today():
    assert lunar.next_tet(date(2026, 11, 29)) == date(2027, 2, 6)
    assert lunar.next_tet(date(2027, 2, 6)) == date(2027, 2, 6)


def test_proposals_for_tet_campaigns():
    week = propose(CampaignKind.TET_WEEK, 2027)
    assert (week["starts_on"], week["ends_on"]) == (date(2027, 2, 3), date(2027, 2, 9))
    assert week["title_vi"] == "Tuần lễ Tết Việt 2027"
    spring = propose(CampaignKind.XUAN_QUE_HUONG, 1985)
    assert spring["starts_on"] == spring["ends_on"] == date(1985, 1, 14)  # a week before the Vietnamese Tết
    assert propose(CampaignKind.CHARITY, 2027) == {}
