"""School days: weekends, public holidays and the school's own vacations do not count."""

from __future__ import annotations

import datetime as dt

import pytest

from pestdesk.domain.schooldays import FreePeriod, SchoolCalendar, easter_sunday, public_holidays

D = dt.date
AUTUMN = FreePeriod(D(2026, 10, 17), D(2026, 10, 25), "herfstvakantie")


def test_easter_dates_known_years():
    assert easter_sunday(2026) == D(2026, 4, 5)
    assert easter_sunday(2027) == D(2027, 3, 28)
    assert easter_sunday(2025) == D(2025, 4, 20)


def test_public_holidays_2026_include_ascension_and_whit_monday():
    days = public_holidays(2026)
    assert D(2026, 5, 14) in days  # Hemelvaartsdag
    assert D(2026, 5, 25) in days  # 2e Pinksterdag
    assert D(2026, 4, 6) in days  # 2e Paasdag


def test_kings_day_moves_to_saturday_when_on_sunday():
    assert D(2025, 4, 26) in public_holidays(2025)  # 27 April 2025 is a Sunday
    assert D(2025, 4, 27) not in public_holidays(2025)


def test_weekend_is_not_counted():
    cal = SchoolCalendar()
    # Thursday 1 Oct 2026 .. Wednesday 7 Oct: 5 school days
    assert cal.school_days_between(D(2026, 10, 1), D(2026, 10, 7)) == 5
    assert cal.last_day_for(D(2026, 10, 1), 5) == D(2026, 10, 7)


def test_vacation_is_skipped():
    cal = SchoolCalendar((AUTUMN,))
    # Thursday 15 Oct + 3 school days: Thu, Fri, then Mon 26 Oct after the vacation
    assert cal.last_day_for(D(2026, 10, 15), 3) == D(2026, 10, 26)
    assert not cal.is_school_day(D(2026, 10, 20))
    assert cal.holiday(D(2026, 10, 20)) == "herfstvakantie"


def test_public_holiday_skipped_unless_switched_off():
    assert SchoolCalendar().last_day_for(D(2026, 5, 13), 2) == D(2026, 5, 15)
    assert SchoolCalendar(public_holidays=False).last_day_for(D(2026, 5, 13), 2) == D(2026, 5, 14)


def test_add_school_days_and_next_school_day():
    cal = SchoolCalendar()
    assert cal.add_school_days(D(2026, 10, 2), 2) == D(2026, 10, 6)  # Fri + 2 -> Tue
    assert cal.next_school_day(D(2026, 10, 3)) == D(2026, 10, 5)
    assert cal.add_school_days(D(2026, 10, 3), 0) == D(2026, 10, 5)


def test_free_days_within_lists_reasons():
    cal = SchoolCalendar((AUTUMN,))
    free = cal.free_days_within(D(2026, 10, 16), D(2026, 10, 26))
    assert [d for d, _r in free] == [D(2026, 10, d) for d in (19, 20, 21, 22, 23)]


def test_period_must_not_end_before_it_starts():
    with pytest.raises(ValueError):
        FreePeriod(D(2026, 10, 25), D(2026, 10, 17))
