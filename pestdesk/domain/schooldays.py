"""School days: counting and adding days on which the school is open.

A suspension (schorsing) is counted in school days: weekends, the school's vacation periods
and its other free days do not count. The school enters its own vacation periods (they
differ per region -- noord, midden, zuid -- and schools may shift them); the national public
holidays on which Dutch schools are closed are computed here (Easter rule), so only the
vacations have to be typed in.

Pure Python: no Qt, no database. ``services.calendar`` stores a ``SchoolCalendar`` in the
settings.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from pestdesk.i18n import N_

REGIONS: dict[str, str] = {
    "noord": N_("region north"),
    "midden": N_("region central"),
    "zuid": N_("region south"),
}

# The pestdesk does NOT ship regional vacation dates: the search for an authoritative list
# for 2025-2026 and 2026-2027 (rijksoverheid) turned up only school websites that disagree
# with each other (schools may shift their summer holiday), so a school enters its own.


def easter_sunday(year: int) -> dt.date:
    """Easter Sunday (Gregorian calendar, the anonymous 'Meeus/Jones/Butcher' algorithm)."""
    a = year % 19
    b, c = divmod(year, 100)
    d, e = divmod(b, 4)
    f = (b + 8) // 25
    g = (b - f + 1) // 3
    h = (19 * a + b - d - g + 15) % 30
    i, k = divmod(c, 4)
    l_ = (32 + 2 * e + 2 * i - h - k) % 7
    m = (a + 11 * h + 22 * l_) // 451
    month, day = divmod(h + l_ - 7 * m + 114, 31)
    return dt.date(year, month, day + 1)


def public_holidays(year: int) -> dict[dt.date, str]:
    """The Dutch public holidays on which schools are closed (weekdays only matter).

    Koningsdag moves to 26 April when 27 April is a Sunday. Goede Vrijdag and Bevrijdingsdag
    are not general days off by law; a school that is closed then enters them as free days.
    """
    easter = easter_sunday(year)
    kingsday = dt.date(year, 4, 27)
    if kingsday.weekday() == 6:
        kingsday = dt.date(year, 4, 26)
    return {
        dt.date(year, 1, 1): N_("New Year's Day"),
        easter + dt.timedelta(days=1): N_("Easter Monday"),
        kingsday: N_("King's Day"),
        easter + dt.timedelta(days=39): N_("Ascension Day"),
        easter + dt.timedelta(days=50): N_("Whit Monday"),
        dt.date(year, 12, 25): N_("Christmas Day"),
        dt.date(year, 12, 26): N_("Boxing Day"),
    }


@dataclass(frozen=True)
class FreePeriod:
    """A vacation or free day (first and last day inclusive)."""

    first: dt.date
    last: dt.date
    label: str = ""

    def __post_init__(self) -> None:
        if self.last < self.first:
            raise ValueError("a free period cannot end before it starts")

    def contains(self, day: dt.date) -> bool:
        return self.first <= day <= self.last


@dataclass(frozen=True)
class SchoolCalendar:
    """Which days the school is open: weekdays, minus holidays and the school's free periods."""

    periods: tuple[FreePeriod, ...] = ()
    public_holidays: bool = True
    region: str = ""
    _holiday_cache: dict = field(default_factory=dict, compare=False, repr=False)

    def holiday(self, day: dt.date) -> str:
        """Why ``day`` is not a school day ('' when it is one)."""
        if day.weekday() >= 5:
            return N_("weekend")
        for period in self.periods:
            if period.contains(day):
                return period.label or N_("free day")
        if self.public_holidays:
            year = self._holiday_cache.get(day.year)
            if year is None:
                year = self._holiday_cache.setdefault(day.year, public_holidays(day.year))
            if day in year:
                return year[day]
        return ""

    def is_school_day(self, day: dt.date) -> bool:
        return not self.holiday(day)

    def next_school_day(self, day: dt.date) -> dt.date:
        """``day`` itself if the school is open then, else the first school day after it."""
        for _step in range(400):
            if self.is_school_day(day):
                return day
            day += dt.timedelta(days=1)
        raise ValueError("no school day within a year")

    def school_days_between(self, first: dt.date, last: dt.date) -> int:
        """School days from ``first`` to ``last``, both included (0 if ``last`` < ``first``)."""
        count, day = 0, first
        while day <= last:
            if self.is_school_day(day):
                count += 1
            day += dt.timedelta(days=1)
        return count

    def last_day_for(self, first: dt.date, school_days: int) -> dt.date:
        """The last day of a period of ``school_days`` school days that starts on ``first``."""
        if school_days < 1:
            raise ValueError("a period has at least one school day")
        day = self.next_school_day(first)
        remaining = school_days - 1
        while remaining:
            day = self.next_school_day(day + dt.timedelta(days=1))
            remaining -= 1
        return day

    def add_school_days(self, start: dt.date, days: int) -> dt.date:
        """The date ``days`` school days after ``start`` (0: ``start`` or the next school day)."""
        if days <= 0:
            return self.next_school_day(start)
        day = start
        for _n in range(days):
            day = self.next_school_day(day + dt.timedelta(days=1))
        return day

    def free_days_within(self, first: dt.date, last: dt.date) -> list[tuple[dt.date, str]]:
        """The weekdays between ``first`` and ``last`` on which the school is closed, why."""
        out, day = [], first
        while day <= last:
            reason = self.holiday(day)
            if reason and day.weekday() < 5:
                out.append((day, reason))
            day += dt.timedelta(days=1)
        return out
