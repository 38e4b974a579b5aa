"""The one clock of pestdesk: every "what day is it" and "what time is it" asks this module.

Services, the domain's callers, the demo, the importers and the GUI call :func:`today`,
:func:`now` (local wall time, naive) or :func:`utcnow` (naive UTC, what the store keeps)
instead of ``date.today()``/``datetime.now()``/``QDate.currentDate()``, so that a test (or
the CI date sweep) can set the day once and the whole program agrees on it.

Setting the day (:func:`set_today`, or the environment variable ``PESTDESK_TODAY`` holding
an ISO date, read at import for the subprocesses the tests start) freezes the *date* only:
the time of day keeps running from the moment it was set, so timestamps still increase and
orderings by time stay meaningful.
"""

from __future__ import annotations

import datetime as dt
import os
import time

ENV_VAR = "PESTDESK_TODAY"

_frozen_start: dt.datetime | None = None  # local wall time when the clock was set
_monotonic_start: float = 0.0


def set_today(day: dt.date | None, at: dt.time = dt.time(10, 0)) -> None:
    """Make :func:`today` answer ``day`` from now on (``None``: the real clock again).

    :func:`now` then starts at ``day`` + ``at`` and runs on with the real elapsed time."""
    global _frozen_start, _monotonic_start
    if day is None:
        _frozen_start = None
        return
    _frozen_start = dt.datetime.combine(day, at)
    _monotonic_start = time.monotonic()


def is_set() -> bool:
    return _frozen_start is not None


def now() -> dt.datetime:
    """Local wall time, without a time zone (what a user reads on the clock)."""
    if _frozen_start is None:
        return dt.datetime.now()
    return _frozen_start + dt.timedelta(seconds=time.monotonic() - _monotonic_start)


def today() -> dt.date:
    return now().date()


def utcnow() -> dt.datetime:
    """UTC without a time zone: how the store keeps moments."""
    if _frozen_start is None:
        return dt.datetime.now(dt.UTC).replace(tzinfo=None)
    return now().astimezone(dt.UTC).replace(tzinfo=None)


def to_utc(moment: dt.datetime) -> dt.datetime:
    """Naive UTC for storage; a naive ``moment`` is the PC's local wall time."""
    aware = moment if moment.tzinfo else moment.astimezone()
    return aware.astimezone(dt.UTC).replace(tzinfo=None)


def to_local(stored: dt.datetime) -> dt.datetime:
    """A stored moment (naive UTC) as the school's local wall time, naive."""
    aware = stored if stored.tzinfo else stored.replace(tzinfo=dt.UTC)
    return aware.astimezone().replace(tzinfo=None)


def local_date(stored: dt.datetime) -> dt.date:
    """The school's calendar day of a stored (naive UTC) moment: a meeting at 00:30 local
    time is on that local day, not on the UTC day before."""
    return to_local(stored).date()


def reset() -> None:
    """Back to the clock the process started with: the day ``PESTDESK_TODAY`` names, or the
    real clock when it is not set. The tests call this after every test."""
    value = os.environ.get(ENV_VAR, "").strip()
    if not value:
        set_today(None)
        return
    try:
        set_today(dt.date.fromisoformat(value))
    except ValueError as exc:
        raise SystemExit(f"{ENV_VAR}={value!r} is not an ISO date (YYYY-MM-DD)") from exc


reset()
