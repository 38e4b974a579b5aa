"""Benchmark the case screens on the 2,000-student, 10-year demo school.

    .venv/bin/python bench/bench_case_view.py [--runs 7] [--db PATH]

Targets: opening a case with 200 timeline entries to a painted window < 100 ms; filtering
the Meldingen list (text, stage, class, form, cyber, overdue) < 50 ms each. Works on a copy
of the bench demo (``bench/run.py`` builds it once), so the notes it adds to fill a timeline
never touch the shared bench database. Medians to stdout; nothing here is a test.
"""

from __future__ import annotations

import os
import sqlite3
import statistics
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from _common import bench_arguments, median_ms  # noqa: E402


def copy_database(source: Path, target: Path) -> None:
    with sqlite3.connect(source) as src, sqlite3.connect(target) as dst:
        src.backup(dst)


def fill_timeline(actor, entries: int = 200) -> int:
    """An open case of the demo with a pester, its timeline filled up to ``entries``."""
    from pestdesk.services import cases
    from pestdesk.store.models import Case, Event, Involvement

    case = (Case.select().join(Involvement, on=(Involvement.case == Case.id))
            .where((Case.status == "open") & (Case.is_signal == False)  # noqa: E712
                   & (Involvement.role == "pester"))
            .order_by(Case.reported_on.desc()).first())
    have = Event.select().where(Event.case == case.id).count()
    for n in range(max(0, entries - have)):
        cases.add_note(actor, case.id, f"Bench-notitie {n}: gesprek in de pauze, afspraken "
                                       "herhaald en teruggekoppeld aan de mentor.")
    return case.id


def main() -> None:
    args = bench_arguments(runs=7)
    work = Path(tempfile.mkdtemp()) / "case-view.sqlite"
    copy_database(args.db, work)

    from PySide6.QtWidgets import QApplication

    from pestdesk import i18n
    from pestdesk.gui.case.lists import CasesView
    from pestdesk.gui.case.view import CaseWindow
    from pestdesk.services import accounts
    from pestdesk.store.db import open_database
    from pestdesk.store.models import Event, SchoolClass

    i18n.set_language("nl")
    app = QApplication(sys.argv)
    open_database(work)
    actor = accounts.demo_actor("zorg")
    case_id = fill_timeline(actor)
    entries = Event.select().where(Event.case == case_id).count()

    def open_case() -> None:
        window = CaseWindow(actor, case_id)
        window.show()
        app.processEvents()
        window.grab()  # paint it
        window.close()

    open_case()  # warm-up: imports, first query plans
    print(f"open a case with {entries} timeline entries to a painted window: "
          f"{median_ms(open_case, args.runs):.0f} ms (target < 100 ms)")

    view = CasesView(actor)
    view.set_filters(status="")
    klass = SchoolClass.select().first()
    filters = [
        ("text 'de'", {"text": "de"}),
        ("stage 'mentor'", {"stage": "mentor"}),
        (f"class {klass.name}", {"class_id": klass.id}),
        ("form 'woorden'", {"form": "woorden"}),
        ("cyber", {"cyber": True}),
        ("overdue", {"overdue": True}),
        ("mine", {"owner": actor.staff_id}),
    ]
    total = view.model.total()
    for label, values in filters:
        cleared = {k: None for k in values}
        times, shown = [], 0
        for _run in range(args.runs):
            t = time.perf_counter()
            view.set_filters(**values)  # count + first page, as the view runs it
            times.append((time.perf_counter() - t) * 1000)
            shown = view.model.total()
            view.set_filters(**cleared)
        print(f"filter the case list ({total} cases) by {label}: "
              f"{statistics.median(times):.1f} ms ({shown} cases; target < 50 ms)")
    app.quit()


if __name__ == "__main__":
    main()
