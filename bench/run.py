"""pestdesk benchmarks on the 2,000-student, 10-year demo school.

    .venv/bin/python bench/run.py [--runs 5] [--db PATH]

Builds the demo once (kept in the temp folder), then reports medians of several runs:
cold start to a shown main window next to a bare PySide6 window (the floor), opening the
database, resident memory, and the list queries the views run as the user types.
Figures go to stdout; nothing here is a test.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from _common import bench_arguments, median_ms  # noqa: E402


def startup(mode: str, path: Path, runs: int) -> tuple[float, float, float]:
    """Medians of: process spawn to the window shown, to the overview filled, max RSS (MB)."""
    env = dict(os.environ)
    env.setdefault("QT_QPA_PLATFORM", "offscreen")
    shown, filled, rss = [], [], []
    for _ in range(runs):
        t = time.perf_counter()
        child = subprocess.Popen([sys.executable, str(HERE / "_child.py"), mode, str(path)],
                                 stdout=subprocess.PIPE, text=True, env=env)
        line = next(x for x in child.stdout if x.startswith("SHOWN"))
        wall = time.perf_counter() - t
        child.wait()
        _tag, inner_shown, inner_filled, maxrss = line.split()
        shown.append(wall - (float(inner_filled) - float(inner_shown)))
        filled.append(wall)
        rss.append(int(maxrss) / 1024)
    return statistics.median(shown), statistics.median(filled), statistics.median(rss)


def main() -> None:
    args = bench_arguments(runs=5)

    bare, _same, bare_rss = startup("bare", args.db, args.runs)
    app, app_filled, app_rss = startup("app", args.db, args.runs)
    print(f"cold start, bare PySide6 window : {bare * 1000:7.0f} ms  ({bare_rss:.0f} MB max RSS)")
    print(f"cold start, pestdesk main window: {app * 1000:7.0f} ms  ({app_rss:.0f} MB max RSS)"
          f"  = {app / bare:.1f}x the bare window (target < 3x, < 200 MB)")
    print(f"  ... and its overview filled   : {app_filled * 1000:7.0f} ms")

    from pestdesk.store.db import open_database

    def open_close(verify: bool):
        open_database(args.db, verify=verify).close()

    gui_ms = median_ms(lambda: open_close(False), args.runs)
    cli_ms = median_ms(lambda: open_close(True), args.runs)
    print(f"open database (as the GUI does)  : {gui_ms:7.1f} ms")
    print(f"open database + quick_check (CLI): {cli_ms:7.1f} ms")
    open_database(args.db)
    from pestdesk.services.base import SYSTEM
    from pestdesk.services.lists import CaseList, StudentList

    for label, query in [
        ("students, no filter", StudentList(actor=SYSTEM)),
        ("students, typed 'de v'", StudentList(filters={"text": "de v"}, actor=SYSTEM)),
        ("students, typed 'jansen sem'",
         StudentList(filters={"text": "jansen sem"}, actor=SYSTEM)),
        ("cases, open", CaseList(filters={"status": "open"}, actor=SYSTEM)),
        ("cases, all, newest first",
         CaseList(order_key="reported_on", descending=True, actor=SYSTEM)),
        ("cases, search 'groepsapp'", CaseList(filters={"text": "groepsapp"}, actor=SYSTEM)),
        ("cases, search student 'de vr'", CaseList(filters={"text": "de vr"}, actor=SYSTEM)),
        ("cases, cyber + overdue",
         CaseList(filters={"cyber": True, "overdue": True}, actor=SYSTEM)),
    ]:
        ms = median_ms(lambda q=query: (q.count(), q.page(0, 200)), args.runs)
        print(f"query {label:<28}: {ms:7.1f} ms (count + first 200 rows)")

    from PySide6.QtWidgets import QApplication

    from pestdesk.gui.common.models import ListModel

    QApplication.instance() or QApplication([])
    model = ListModel(StudentList(actor=SYSTEM))
    texts = iter(["j", "ja", "jan", "jans", "janse", "jansen"] * 100)
    ms = median_ms(lambda: model.set_filters(text=next(texts)), args.runs * 4)
    print(f"student list model update as you type: {ms:7.1f} ms (target < 30 ms)")
    bench_import(max(1, args.runs // 2))


def bench_import(runs: int) -> None:
    """A 2,000-student Magister export (two guardians each) into a new database."""
    import statistics
    import tempfile

    from tests.importers.exports import bulk_guardians, bulk_students, write_magister

    from pestdesk.services.base import SYSTEM
    from pestdesk.services.people import import_students
    from pestdesk.store.db import create_database

    with tempfile.TemporaryDirectory() as folder:
        students = bulk_students(2000)
        export = write_magister(Path(folder) / "export.csv", students, encoding="utf-8",
                                guardians_of=bulk_guardians(students))
        times = []
        for i in range(runs):
            db = create_database(Path(folder) / f"school{i}.sqlite")
            start = time.perf_counter()
            result = import_students(SYSTEM, export)
            times.append(time.perf_counter() - start)
            db.close()
            assert result.applied, result.problems
    print(f"import 2,000 students + 4,000 guardians: {statistics.median(times):5.2f} s "
          "(target < 5 s)")


if __name__ == "__main__":
    main()
