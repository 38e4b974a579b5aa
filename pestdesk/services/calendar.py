"""The school calendar (vacations and free days) in the shared settings.

Suspensions are counted in school days, so the school enters its vacation periods here
(pestdesk ships none: they differ per region and per school). ``school_calendar()`` returns
the pure ``domain.schooldays.SchoolCalendar`` the rules work with.
"""

from __future__ import annotations

import datetime as dt

from ..domain.schooldays import REGIONS, FreePeriod, SchoolCalendar
from ..i18n import _, format_date
from .base import Actor, ServiceError
from .settings import get_value, set_value

CALENDAR_KEY = "school_calendar"


def school_calendar() -> SchoolCalendar:
    """The school's calendar as stored (an empty one: weekends and public holidays only)."""
    data = get_value(CALENDAR_KEY, {}) or {}
    periods = []
    for row in data.get("periods", []):
        try:
            periods.append(FreePeriod(dt.date.fromisoformat(row["first"]),
                                      dt.date.fromisoformat(row["last"]), row.get("label", "")))
        except (KeyError, ValueError, TypeError):
            continue  # a damaged row is skipped, never fatal
    return SchoolCalendar(tuple(sorted(periods, key=lambda p: p.first)),
                          bool(data.get("public_holidays", True)), data.get("region", ""))


def is_configured() -> bool:
    """True once the school entered at least one vacation period."""
    return bool(school_calendar().periods)


def covers(day: dt.date) -> bool:
    """True if some entered period lies in the school year of ``day`` (Aug-Jul)."""
    start = dt.date(day.year if day.month >= 8 else day.year - 1, 8, 1)
    end = dt.date(start.year + 1, 7, 31)
    return any(p.last >= start and p.first <= end for p in school_calendar().periods)


def save_calendar(actor: Actor, periods: list[FreePeriod], region: str = "",
                  public_holidays: bool = True) -> SchoolCalendar:
    """Validate and store the vacation periods; refuses overlaps and unknown regions."""
    if region and region not in REGIONS:
        raise ServiceError(_("Unknown holiday region '{region}'.").format(region=region))
    ordered = sorted(periods, key=lambda p: p.first)
    for before, after in zip(ordered, ordered[1:], strict=False):
        if after.first <= before.last:
            raise ServiceError(_("The free periods starting {a} and {b} overlap.").format(
                a=format_date(before.first), b=format_date(after.first)))
    for period in ordered:
        if (period.last - period.first).days > 120:
            raise ServiceError(_("A free period of more than 120 days ({label}) is not "
                                 "plausible; check the dates.").format(label=period.label))
    set_value(actor, CALENDAR_KEY, {
        "region": region,
        "public_holidays": public_holidays,
        "periods": [{"first": p.first.isoformat(), "last": p.last.isoformat(),
                     "label": p.label} for p in ordered],
    })
    return school_calendar()


def add_period(actor: Actor, first: dt.date, last: dt.date, label: str) -> SchoolCalendar:
    """Add one vacation or free day to the stored calendar."""
    if last < first:
        raise ServiceError(_("A free period cannot end before it starts."))
    current = school_calendar()
    return save_calendar(actor, [*current.periods, FreePeriod(first, last, label.strip())],
                         current.region, current.public_holidays)
