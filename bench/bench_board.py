"""Benchmark a board database: ten schools of the 2,000-student, 10-year demo in one file.

    .venv/bin/python bench/bench_board.py [--runs 7] [--schools 10] [--db PATH] [--rebuild]

Builds (once, kept in the temp folder) 10 schools x 2,000 students: 20,000 current
students (56,000 with ten years of leavers), 120,000 cases, ~2.5 million timeline rows. The
bench demo school (``_common.DEMO_DB``, ``pestdesk demo``, ~6 min) is copied in school by
school with bulk ``INSERT ... SELECT`` inside SQLite (ids shifted per school, every row its
school's id, user names suffixed), then ANALYZE (~4 min on a busy 2-core machine).

Targets, measured as a zorgcoordinator of one school (scoped to it, as signed in) and as
the bestuur over every school: the student and case lists (count + first page of 50, as the
list views run them) <= 50 ms, a case to a painted window <= 100 ms, ten years of figures
for one school <= 1 s and for the board <= 3 s. Medians to stdout; nothing here is a test.
SQLite only for now; the same measurements on PostgreSQL follow with the server dialect.
"""

from __future__ import annotations

import argparse
import datetime as dt
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

from _common import DEMO_DB, ensure_demo  # noqa: E402

TMP = Path(tempfile.gettempdir())


def timed(fn, runs: int) -> str:
    """Median wall time and median CPU time of ``runs`` calls (after one warm-up call), in
    ms: on a shared machine the wall time waits for other processes, the CPU time does not
    (SQLite runs in this process)."""
    fn()
    walls, cpus = [], []
    for _ in range(runs):
        w, c = time.perf_counter(), time.process_time()
        fn()
        walls.append((time.perf_counter() - w) * 1000)
        cpus.append((time.process_time() - c) * 1000)
    return f"{statistics.median(walls):8.1f} ms wall, {statistics.median(cpus):8.1f} ms CPU"


def _versioned(name: str) -> Path:
    from pestdesk.store.migrations import LATEST

    return TMP / f"{name}-schema{LATEST}.sqlite"


def build_board(source: Path, board: Path, schools: int) -> None:
    """``schools`` copies of ``source`` in a new board file, by bulk SQL inside SQLite."""
    if board.exists():
        return
    from pestdesk.store import models as m
    from pestdesk.store.db import create_database
    from pestdesk.store.scope import FIRST_SCHOOL

    t = time.perf_counter()
    tmp = board.with_name(board.name + ".building")
    tmp.unlink(missing_ok=True)
    create_database(tmp).close()
    con = sqlite3.connect(tmp)
    con.execute("PRAGMA journal_mode = OFF")
    con.execute("PRAGMA synchronous = OFF")
    con.execute("ATTACH DATABASE ? AS src", (f"file:{source}?mode=ro",))
    skipped = {"school", "staff_school", "setting", "sign_in_throttle", "presence",
               "audit_log"}
    models = [model for model in m.ALL_MODELS if model._meta.table_name not in skipped]
    top = {model._meta.table_name: con.execute(
        f'SELECT COALESCE(MAX(id), 0) FROM src."{model._meta.table_name}"').fetchone()[0]
        for model in models}
    con.execute("BEGIN")
    for k in range(schools):
        school = FIRST_SCHOOL + k
        name = f"Board school {k + 1:02d}"
        if school == FIRST_SCHOOL:
            con.execute("UPDATE school SET name = ? WHERE id = ?", (name, school))
        else:
            con.execute("INSERT INTO school (id, version, created_at, updated_at, name) "
                        "VALUES (?, 1, datetime('now'), datetime('now'), ?)", (school, name))
        for model in models:
            table = model._meta.table_name
            columns, values = [], []
            for field in model._meta.sorted_fields:
                column = field.column_name
                columns.append(f'"{column}"')
                if field.name == "id":
                    values.append(f'"id" + {k * top[table]}')
                elif field.name == "school":
                    values.append(str(school))
                elif hasattr(field, "rel_model"):
                    shift = k * top[field.rel_model._meta.table_name]
                    values.append(f'"{column}" + {shift}')
                elif model is m.User and field.name == "username":
                    values.append(f"\"username\" || '-{k + 1}'" if k else '"username"')
                else:
                    values.append(f'"{column}"')
            con.execute(f'INSERT INTO main."{table}" ({", ".join(columns)}) '
                        f'SELECT {", ".join(values)} FROM src."{table}"')
        con.execute("INSERT OR REPLACE INTO main.setting (school_id, key, value, version) "
                    "SELECT ?, key, CASE WHEN key = 'school_profile' THEN "
                    "json_set(value, '$.name', ?) ELSE value END, version FROM src.setting "
                    "WHERE school_id = 1 AND key IN ('school_profile', 'school_calendar', "
                    "'demo', 'helplines_seeded', 'retention_years')", (school, name))
    # the bestuur: a staff member of the first school, working for every school
    con.execute("INSERT INTO staff (version, created_at, updated_at, school_id, code, "
                "first_name, tussenvoegsel, last_name, email, roles, active, departments) "
                "VALUES (1, datetime('now'), datetime('now'), 1, 'BST', 'Bea', '', 'Bestuur',"
                " '', 'bestuur', 1, '')")
    staff_id = con.execute("SELECT last_insert_rowid()").fetchone()[0]
    con.execute("INSERT INTO user (version, created_at, updated_at, staff_id, username, "
                "password_hash, active, failed_attempts, must_change_password) VALUES "
                "(1, datetime('now'), datetime('now'), ?, 'bestuur', '', 1, 0, 0)", (staff_id,))
    con.executemany("INSERT INTO staff_school (staff_id, school_id) VALUES (?, ?)",
                    [(staff_id, FIRST_SCHOOL + k) for k in range(schools)])
    con.execute("COMMIT")
    con.execute("DETACH DATABASE src")
    con.execute("ANALYZE")
    con.execute("PRAGMA journal_mode = DELETE")
    con.close()
    tmp.rename(board)
    print(f"board of {schools} schools built in {time.perf_counter() - t:.0f} s")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--schools", type=int, default=10)
    parser.add_argument("--db", type=Path, default=None)
    parser.add_argument("--rebuild", action="store_true")
    args = parser.parse_args()
    source = DEMO_DB
    board = args.db or _versioned(f"pestdesk-bench-board-{args.schools}x2000x10")
    print(f"board database: {board} (delete it, or --rebuild, to build it again)")
    if args.rebuild:
        board.unlink(missing_ok=True)
    ensure_demo(source)
    build_board(source, board, args.schools)

    from PySide6.QtWidgets import QApplication

    from pestdesk import clock, i18n
    from pestdesk.gui.case.view import CaseWindow
    from pestdesk.services import accounts, figures, lists
    from pestdesk.store import scope
    from pestdesk.store.db import open_database
    from pestdesk.store.models import Case, Event, Student

    i18n.set_language("nl")
    app = QApplication.instance() or QApplication([])
    open_database(board)
    with scope.unscoped():
        print(f"board: {Student.select().count():,} students, {Case.select().count():,} "
              f"cases, {Event.select().count():,} timeline rows")
    zorg = accounts.demo_actor("zorg-5" if args.schools >= 5 else "zorg")  # school 5: ids far in
    print(f"as {zorg.username} (scope: school {sorted(scope.current().schools)})")

    def first_page(query):
        def run():
            query.count()
            query.page(0, 50)
        return run

    for label, query in (("student list", lists.StudentList(actor=zorg)),
                         ("case list", lists.CaseList(actor=zorg, filters={"status": ""}))):
        print(f"  {label} (count + first 50): {timed(first_page(query), args.runs)} (<= 50)")
    from peewee import fn

    busiest = fn.COUNT(Event.id)  # the case of the school with the longest timeline
    case_id = (Event.select(Event.case, busiest).group_by(Event.case)
               .order_by(busiest.desc()).limit(1).tuples()[0][0])
    entries = Event.select().where(Event.case == case_id).count()

    def open_case() -> None:
        window = CaseWindow(zorg, case_id)
        window.show()
        app.processEvents()
        window.grab()
        window.close()

    print(f"  a case ({entries} timeline rows) to a painted window: "
          f"{timed(open_case, args.runs)} (<= 100)")
    today = clock.today()
    ten_years = figures.Period(dt.date(today.year - 10, 8, 1), today)

    def school_figures():
        figures.compute_figures(zorg, ten_years)

    print(f"  ten years of figures, one school: {timed(school_figures, max(3, args.runs // 2))}"
          " (<= 1000)")
    bestuur = accounts.demo_actor("bestuur")
    print(f"as bestuur (scope: {len(scope.current().schools)} schools)")

    def board_figures():
        figures.compute_figures(bestuur, ten_years)

    print(f"  ten years of figures, the board: {timed(board_figures, max(3, args.runs // 2))}"
          " (<= 3000)")
    app.quit()


if __name__ == "__main__":
    main()
