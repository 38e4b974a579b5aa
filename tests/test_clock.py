"""The one clock: a test sets the day once and the whole program agrees on it."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys

from pestdesk import clock


def test_set_today_freezes_the_date_and_time_runs_on():
    clock.set_today(dt.date(2028, 2, 29))
    first = clock.now()
    assert clock.today() == dt.date(2028, 2, 29)
    assert first.date() == dt.date(2028, 2, 29) and first.hour == 10
    assert clock.now() >= first  # timestamps still increase
    assert abs(clock.utcnow() - first.astimezone(dt.UTC).replace(tzinfo=None)) < dt.timedelta(
        seconds=5)


def test_reset_returns_to_the_day_the_run_started_with(monkeypatch):
    monkeypatch.delenv(clock.ENV_VAR, raising=False)
    clock.set_today(dt.date(2001, 1, 1))
    clock.reset()
    assert not clock.is_set()
    assert abs(clock.now() - dt.datetime.now()) < dt.timedelta(seconds=5)
    monkeypatch.setenv(clock.ENV_VAR, "2027-07-24")
    clock.reset()
    assert clock.today() == dt.date(2027, 7, 24)


def test_a_subprocess_takes_the_day_from_the_environment():
    env = {**os.environ, clock.ENV_VAR: "2027-10-25"}
    out = subprocess.run([sys.executable, "-c", "from pestdesk import clock; print(clock.today())"],
                         env=env, capture_output=True, text=True, check=True).stdout
    assert out.strip() == "2027-10-25"


def test_a_malformed_day_is_refused_with_a_clear_line():
    env = {**os.environ, clock.ENV_VAR: "29-02-2028"}
    done = subprocess.run([sys.executable, "-c", "import pestdesk.clock"], env=env,
                          capture_output=True, text=True)
    assert done.returncode != 0 and "is not an ISO date" in done.stderr


def test_no_module_asks_the_real_clock():
    """Every 'what day is it' goes through pestdesk.clock (searched on the AST)."""
    import ast
    from pathlib import Path

    import pestdesk

    root = Path(pestdesk.__file__).parent
    found = []
    for path in root.rglob("*.py"):
        if path.name == "clock.py":
            continue
        for node in ast.walk(ast.parse(path.read_text("utf-8"))):
            if isinstance(node, ast.Attribute) and node.attr in (
                    "today", "now", "utcnow", "currentDate", "currentDateTime", "currentTime"):
                base = ast.unparse(node.value)
                if base in ("dt.date", "date", "datetime.date", "dt.datetime", "datetime",
                            "datetime.datetime", "QDate", "QDateTime", "QTime"):
                    found.append(f"{path.relative_to(root)}:{node.lineno}: {base}.{node.attr}")
    assert found == [], "use pestdesk.clock instead: " + "; ".join(found)
