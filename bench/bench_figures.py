"""Benchmark the start screen and the figures on the 2,000-student, 10-year demo school.

    .venv/bin/python bench/bench_figures.py [--runs 7] [--db PATH]

Targets: the Overzicht opens in < 200 ms; every figure for ten years in < 1 s (counting,
masking and its audit together); the year report PDF in < 3 s. Prints medians (the first
run, which warms SQLite's cache, is left out) and how long the masking's audit took of it.
Nothing here is a test.
"""

from __future__ import annotations

import datetime as dt
import os
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from _common import bench_arguments  # noqa: E402
from _common import median_ms as _median_ms  # noqa: E402

from pestdesk import clock  # noqa: E402


def median_ms(fn, runs: int) -> float:
    return _median_ms(fn, runs, warm_up=True)  # the figures queries warm SQLite's cache


def main() -> None:
    args = bench_arguments(runs=7)

    from PySide6.QtWidgets import QApplication

    from pestdesk.services import accounts
    from pestdesk.services import figures as F
    from pestdesk.services import overview as ov
    from pestdesk.store.db import open_database

    app = QApplication.instance() or QApplication([])
    open_database(args.db)
    today = clock.today()
    for username in ("zorg", "mentor"):
        actor = accounts.demo_actor(username)

        def queries(a=actor):
            ov.overdue_cases(a, today), ov.due_soon(a, today), ov.followups_due(a, today)
            ov.contract_evaluations(a, today), ov.suspensions_current(a, today)
            ov.inspectie_open(a), ov.relapses_open(a), ov.new_reports(a, today)
            ov.upcoming_meetings(a, clock.now())

        print(f"overview queries ({username:<6})       : {median_ms(queries, args.runs):7.1f} ms")

        from pestdesk.gui.overview.view import OverviewView

        def build(a=actor):
            view = OverviewView(a)
            app.processEvents()
            view.deleteLater()

        print(f"overview view built ({username:<6})    : {median_ms(build, args.runs):7.1f} ms"
              "  (target < 200 ms)")

    zorg, mentor = accounts.demo_actor("zorg"), accounts.demo_actor("mentor")
    ten = F.Period(dt.date(today.year - 10, 8, 1), today)
    year = F.Period.school_year(F.school_year_of(today) - 1)
    for label, fn in [
        ("figures, 10 years (coordinator)", lambda: F.compute_figures(zorg, ten)),
        ("figures, 10 years (mentor)", lambda: F.compute_figures(mentor, ten)),
        ("figures, 10 years, cyber + leerjaar 2",
         lambda: F.compute_figures(zorg, ten, F.FigureFilters(leerjaar=2, cyber=True))),
        ("figures, one school year by month", lambda: F.compute_figures(zorg, year, None, "month")),
    ]:
        print(f"{label:<38}: {median_ms(fn, args.runs):7.1f} ms  (target < 1000 ms)")
    current = F.Period.school_year(F.school_year_of(today))
    for label, period in [("masking + audit, 10 years", ten), ("masking + audit, last year", year),
                          ("masking + audit, this year so far", current)]:
        figures = F.compute_figures(zorg, period)

        def audit(f=figures):
            f.ledger.marks = [0] * len(f.ledger.marks)
            f.ledger.suppress()

        hidden = sum(1 for mark in figures.ledger.marks if mark)
        print(f"{label:<38}: {median_ms(audit, args.runs):7.1f} ms  "
              f"({hidden} of {len(figures.ledger.values)} counts hidden)")
    runs = max(3, args.runs // 2)
    for label, first in [("year report PDF, last school year", year.start.year),
                         ("year report PDF, this year so far", current.start.year)]:
        print(f"{label:<38}: {median_ms(lambda y=first: F.year_report_pdf(zorg, y), runs):7.1f}"
              " ms  (target < 3000 ms)")

    from pestdesk.gui.figures.view import FiguresView

    def figures_view():
        view = FiguresView(zorg)
        app.processEvents()
        view.deleteLater()

    print(f"{'Cijfers section built (this year)':<38}: {median_ms(figures_view, runs):7.1f} ms")


if __name__ == "__main__":
    main()
