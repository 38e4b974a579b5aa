"""The school calendar (vacations and free days) in the shared settings.

Suspensions are counted in school days, so the school enters its vacation periods here
(pestdesk ships none: they differ per region and per school). ``school_calendar()`` returns
the pure ``domain.schooldays.SchoolCalendar`` the rules work with.

Who may change it: ``EDITOR_ROLES`` (ondersteuningscoordinator/zorgcoordinator, directie,
beheerder) and ``SYSTEM``. The calendar is stored as one ``Setting`` row whose ``version``
counts the saves: ``save_calendar``/``add_period`` take the ``read_version`` the editor read
(``calendar_version()``), and a save after someone else's raises ``Conflict`` instead of
silently overwriting their periods. Without a ``read_version`` the current one is used: the
last save wins, as before.
"""

from __future__ import annotations

import datetime as dt
import json

from ..domain.schooldays import REGIONS, FreePeriod, SchoolCalendar
from ..i18n import _, format_date
from ..store.models import Setting
from . import access, lengths
from .base import Actor, Conflict, ServiceError, audit, write

CALENDAR_KEY = "school_calendar"
#: who keeps the school calendar (roles of ``access``; zorgteam reads only)
EDITOR_ROLES = (access.ALL_CASES_ROLES - access.READ_ONLY_ROLES) | {access.ADMIN_ROLE}


def may_edit(actor: Actor) -> bool:
    """May change the school calendar."""
    return access.is_system(actor) or actor.has_role(*EDITOR_ROLES)


def _stored() -> tuple[dict, int]:
    """The stored calendar data and its version (0 when never saved), read in one go."""
    row = Setting.get_or_none(Setting.key == CALENDAR_KEY)
    if row is None:
        return {}, 0
    try:
        data = json.loads(row.value) or {}
    except ValueError:
        data = {}
    return (data if isinstance(data, dict) else {}), row.version


def calendar_version() -> int:
    """The version to pass back as ``read_version`` (0 while nothing is stored)."""
    return _stored()[1]


def school_calendar() -> SchoolCalendar:
    """The school's calendar as stored (an empty one: weekends and public holidays only)."""
    return _calendar_of(_stored()[0])


def _calendar_of(data: dict) -> SchoolCalendar:
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
                  public_holidays: bool = True,
                  read_version: int | None = None) -> SchoolCalendar:
    """Validate and store the vacation periods; refuses overlaps and unknown regions.

    ``read_version``: the ``calendar_version()`` the editor started from; ``Conflict`` when
    someone saved since (default: the current version, the last save wins)."""
    if not may_edit(actor):
        raise ServiceError(_("You do not have the rights to do this."))
    if region and region not in REGIONS:
        raise ServiceError(_("Unknown holiday region '{region}'.").format(region=region))
    ordered = sorted(periods, key=lambda p: p.first)
    for before, after in zip(ordered, ordered[1:], strict=False):
        if after.first <= before.last:
            raise ServiceError(_("The free periods starting {a} and {b} overlap.").format(
                a=format_date(before.first), b=format_date(after.first)))
    for period in ordered:
        lengths.require("free_period", {"label": period.label})
        if (period.last - period.first).days > 120:
            raise ServiceError(_("A free period of more than 120 days ({label}) is not "
                                 "plausible; check the dates.").format(label=period.label))
    _store(actor, {
        "region": region,
        "public_holidays": public_holidays,
        "periods": [{"first": p.first.isoformat(), "last": p.last.isoformat(),
                     "label": p.label} for p in ordered],
    }, read_version)
    return school_calendar()


def _store(actor: Actor, value: dict, read_version: int | None) -> None:
    """Write the calendar row if it still has ``read_version`` (one transaction, audited)."""
    text = json.dumps(value, ensure_ascii=False, sort_keys=True)
    with write():
        row = Setting.get_or_none(Setting.key == CALENDAR_KEY)
        current = row.version if row is not None else 0
        if read_version is not None and read_version != current:
            raise Conflict("setting", 0, {"key": CALENDAR_KEY, "version": current})
        if row is None:
            Setting.create(key=CALENDAR_KEY, value=text, version=1)
        elif row.value != text:
            Setting.update(value=text, version=current + 1).where(
                (Setting.key == CALENDAR_KEY) & (Setting.version == current)).execute()
        audit(actor, "setting", "setting", None, CALENDAR_KEY)


def add_period(actor: Actor, first: dt.date, last: dt.date, label: str,
               read_version: int | None = None) -> SchoolCalendar:
    """Add one vacation or free day to the stored calendar.

    ``read_version`` as for ``save_calendar``; by default the version read here together
    with the periods, so a save by someone else in between is refused, never lost."""
    if not may_edit(actor):
        raise ServiceError(_("You do not have the rights to do this."))
    if last < first:
        raise ServiceError(_("A free period cannot end before it starts."))
    data, version = _stored()
    if read_version is not None and read_version != version:
        raise Conflict("setting", 0, {"key": CALENDAR_KEY, "version": version})
    current = _calendar_of(data)
    return save_calendar(actor, [*current.periods, FreePeriod(first, last, label.strip())],
                         current.region, current.public_holidays, read_version=version)
