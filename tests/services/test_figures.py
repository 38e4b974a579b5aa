"""Cijfers on a demo school: every figure agrees with a count made directly in SQL, and no
shown cell gives away a count under five (not even by subtraction from a total)."""

from __future__ import annotations

import csv
import datetime as dt
import statistics

import openpyxl
import pytest

from pestdesk.domain.taxonomy import FORMS
from pestdesk.services import figures as F
from pestdesk.services.base import SYSTEM, Actor
from pestdesk.services.demo import generate_demo
from pestdesk.store import models as m
from pestdesk.store.db import bind, create_database
from tests.helpers.disclosure_check import derivable_cells, derived_cells_follow_counts

TODAY = dt.date(2026, 3, 15)
YEAR = F.Period.school_year(2024)  # 1 Aug 2024 - 31 Jul 2025, fully inside the demo
ALL = F.Period(dt.date(2023, 1, 1), TODAY)

CASES = """
    SELECT c.*, (SELECT s.school_class_id FROM involvement i
                 JOIN student s ON s.id = i.student_id
                 WHERE i.case_id = c.id AND i.role = 'gepeste' ORDER BY i.id LIMIT 1) AS cls
    FROM "case" c
"""


@pytest.fixture(scope="module")
def school(tmp_path_factory):
    db = create_database(tmp_path_factory.mktemp("fig") / "demo.sqlite")
    generate_demo(students=300, years=3, seed=7, today=TODAY)
    yield db
    db.close()


def sql(db, query: str, *params) -> list[tuple]:
    return list(db.execute_sql(query, params).fetchall())


def in_period(period: F.Period, column: str = "reported_on") -> str:
    return f"{column} BETWEEN '{period.start.isoformat()}' AND '{period.end.isoformat()}'"


def assert_shown_safely(table: F.FigureTable) -> None:
    """A shown count is 0 or at least 5; an additive line never has exactly one hidden cell."""
    for r, row in enumerate(table.values):
        for c in table.count_columns:
            text = table.text(r, c)
            if row[c] and row[c] < F.THRESHOLD:
                assert text == F.MASK, (table.key, r, c, text)
            if text not in (F.MASK, F.HIDDEN):
                assert row[c] == 0 or row[c] >= F.THRESHOLD
    if table.total is not None:
        for c in table.additive_columns:
            line = [table.masked[r][c] for r in range(len(table.values))]
            line.append(table.total_masked[c])
            assert sum(1 for x in line if x) != 1, (table.key, "column", c)
    if table.row_total is not None:
        rows = list(zip(table.values, table.masked, strict=True))
        for values, hidden in rows:
            line = [hidden[c] for c in (*table.row_parts, table.row_total)]
            assert sum(1 for x in line if x) != 1, (table.key, "row", values)


def test_reports_over_time_per_month_match_sql(school):
    fig = F.compute_figures(SYSTEM, YEAR)
    table = fig["over_time"]
    assert fig.granularity == "month" and len(table.values) == 12
    expected = dict(sql(school, f"""SELECT strftime('%Y%m', reported_on), count(*) FROM "case"
        WHERE is_signal = 0 AND {in_period(YEAR)} GROUP BY 1"""))
    cyber = dict(sql(school, f"""SELECT strftime('%Y%m', reported_on), count(*) FROM "case"
        WHERE is_signal = 0 AND is_cyber = 1 AND {in_period(YEAR)} GROUP BY 1"""))
    for key, row in zip(table.row_keys, table.values, strict=True):
        assert row[0] == expected.get(key, 0)
        assert row[1] == cyber.get(key, 0)
    assert table.total[0] == sum(expected.values()) > 0
    assert_shown_safely(table)


def test_reports_per_school_year_over_three_years(school):
    fig = F.compute_figures(SYSTEM, ALL)
    assert fig.granularity == "school_year"
    expected = dict(sql(school, f"""SELECT CAST(strftime('%Y', reported_on) AS INT)
        - (CAST(strftime('%m', reported_on) AS INT) < 8), count(*) FROM "case"
        WHERE is_signal = 0 AND {in_period(ALL)} GROUP BY 1"""))
    got = {int(k): row[0] for k, row in zip(fig["over_time"].row_keys,
                                            fig["over_time"].values, strict=True)}
    assert got == {k: expected.get(k, 0) for k in got}
    assert set(expected) <= set(got)


def test_forms_locations_and_classes_match_sql(school):
    fig = F.compute_figures(SYSTEM, YEAR)
    where = f"is_signal = 0 AND {in_period(YEAR)}"
    for code in FORMS:
        (n,), = sql(school, f"""SELECT count(*) FROM "case" WHERE {where}
            AND instr(',' || forms || ',', ',{code},') > 0""")
        assert fig["by_form"].value_of(code) == n
    locations = dict(sql(school, f'SELECT location, count(*) FROM "case" WHERE {where} GROUP BY 1'))
    for code, n in locations.items():
        assert fig["by_location"].value_of(code) == n
    classes = dict(sql(school, f"""SELECT k.id, count(*) FROM ({CASES}) c
        LEFT JOIN school_class k ON k.id = c.cls WHERE {where} GROUP BY 1"""))
    table = fig["by_class"]
    for class_id, n in classes.items():
        assert table.value_of(str(class_id) if class_id else "None") == n
    leerjaren = dict(sql(school, f"""SELECT k.leerjaar, count(*) FROM ({CASES}) c
        LEFT JOIN school_class k ON k.id = c.cls WHERE {where} GROUP BY 1"""))
    for year, n in leerjaren.items():
        assert fig["by_leerjaar"].value_of(str(year)) == n
    for key in ("by_form", "by_location", "by_class", "by_leerjaar"):
        assert_shown_safely(fig[key])


def test_stages_outcomes_and_relapses_match_sql(school):
    fig = F.compute_figures(SYSTEM, ALL)
    where = f"is_signal = 0 AND {in_period(ALL)}"
    stages = {code: (o, c) for code, o, c in sql(school, f"""SELECT stage_code,
        sum(status = 'open'), sum(status <> 'open') FROM "case" WHERE {where} GROUP BY 1""")}
    table = fig["stages"]
    for code, (still_open, closed) in stages.items():
        row = table.values[table.row_keys.index(code)]
        assert row == [still_open, closed, still_open + closed]
    assert_shown_safely(table)
    (closed, still_open), = sql(school, f"""SELECT sum(status <> 'open'), sum(status = 'open')
        FROM "case" WHERE {where}""")
    assert fig["outcomes"].value_of("closed") == closed
    assert fig["outcomes"].value_of("open") == still_open
    (kept, broken), = sql(school, f"""SELECT sum(k.outcome = 'kept'), sum(k.outcome = 'broken')
        FROM contract k JOIN "case" c ON c.id = k.case_id WHERE {where}""")
    assert fig["outcomes"].value_of("contract_kept") == kept
    assert fig["outcomes"].value_of("contract_broken") == broken
    (bullies, relapses), = sql(school, f"""SELECT count(*), sum(i.relapse_of_id IS NOT NULL)
        FROM involvement i JOIN "case" c ON c.id = i.case_id
        WHERE i.role = 'pester' AND {where}""")
    rel = fig["relapses"]
    assert rel.total[:2] == [bullies, relapses]
    assert rel.total[2] == round(100 * relapses / bullies, 1)
    assert_shown_safely(rel)


def test_durations_median_and_average_match_sql(school):
    fig = F.compute_figures(SYSTEM, ALL)
    days = [d for (d,) in sql(school, f"""SELECT julianday(closed_on) - julianday(reported_on)
        FROM "case" WHERE is_signal = 0 AND status = 'closed'
        AND {in_period(ALL, 'closed_on')}""")]
    total = fig["duration"].total
    assert total[0] == len(days)
    assert total[1] == round(statistics.median(days), 1)
    assert total[2] == round(statistics.mean(days), 1)
    per_year = fig["duration"]
    year_rows = sql(school, f"""SELECT julianday(closed_on) - julianday(reported_on)
        FROM "case" WHERE is_signal = 0 AND status = 'closed'
        AND {in_period(YEAR, 'closed_on')}""")
    row = per_year.values[per_year.row_keys.index("2024")]
    assert row[0] == len(year_rows)
    assert row[1] == round(statistics.median(d for (d,) in year_rows), 1)


def test_sanctions_match_sql(school):
    fig = F.compute_figures(SYSTEM, ALL)
    rows = sql(school, f"""SELECT CASE WHEN kind = 'schorsing' AND school_days <= 1
        THEN 'schorsing_1' WHEN kind = 'schorsing' THEN 'schorsing_lang' ELSE kind END,
        count(*), count(DISTINCT s.student_id)
        FROM sanction s JOIN "case" c ON c.id = s.case_id
        WHERE c.is_signal = 0 AND {in_period(ALL, 'coalesce(s.first_day, s.decided_on)')}
        GROUP BY 1""")
    assert rows
    table = fig["sanctions"]
    for kind, n, students in rows:
        assert table.values[table.row_keys.index(kind)] == [n, students]
    assert table.total[0] == sum(r[1] for r in rows)
    assert_shown_safely(table)


def test_filters_narrow_every_count(school):
    (class_id, name, leerjaar, dept), = sql(
        school, "SELECT id, name, leerjaar, department FROM school_class WHERE name = '2A'")
    by_class = F.compute_figures(SYSTEM, ALL, F.FigureFilters(class_id=class_id))
    (n,), = sql(school, f"SELECT count(*) FROM ({CASES}) c WHERE c.is_signal = 0 AND "
                        f"{in_period(ALL)} AND cls = ?", class_id)
    assert by_class["over_time"].total[0] == n
    assert by_class["by_class"].row_labels == [name]
    year = F.compute_figures(SYSTEM, ALL, F.FigureFilters(leerjaar=leerjaar, cyber=True,
                                                          form="stalking"))
    (n,), = sql(school, f"""SELECT count(*) FROM ({CASES}) c JOIN school_class k ON k.id = c.cls
        WHERE c.is_signal = 0 AND {in_period(ALL)} AND k.leerjaar = ? AND c.is_cyber = 1
        AND instr(',' || c.forms || ',', ',stalking,') > 0""", leerjaar)
    assert year["over_time"].total[0] == n
    dept_fig = F.compute_figures(SYSTEM, ALL, F.FigureFilters(department=dept.upper()))
    (n,), = sql(school, f"""SELECT count(*) FROM ({CASES}) c JOIN school_class k ON k.id = c.cls
        WHERE c.is_signal = 0 AND {in_period(ALL)} AND k.department = ?""", dept)
    assert dept_fig["over_time"].total[0] == n
    for table in by_class.tables.values():
        assert_shown_safely(table)


def test_mentor_counts_only_cases_of_their_classes(school):
    mentor = m.User.get(m.User.username == "mentor")
    actor = Actor(mentor.id, "mentor", mentor.staff_id, frozenset({"mentor"}))
    fig = F.compute_figures(actor, ALL)
    (n,), = sql(school, f"""SELECT count(*) FROM "case" c WHERE c.is_signal = 0
        AND {in_period(ALL)} AND (c.created_by_id = ? OR EXISTS (
            SELECT 1 FROM involvement i JOIN student s ON s.id = i.student_id
            JOIN class_mentor cm ON cm.school_class_id = s.school_class_id
            WHERE i.case_id = c.id AND cm.staff_id = ?))""", mentor.id, mentor.staff_id)
    everyone = F.compute_figures(SYSTEM, ALL)
    assert 0 < fig["over_time"].total[0] == n < everyone["over_time"].total[0]
    narrowed = F.compute_figures(SYSTEM, ALL, visibility=m.Case.id < 0)
    assert narrowed["over_time"].total[0] == 0


def test_small_counts_are_masked_in_a_narrow_selection(school):
    (class_id,), = sql(school, "SELECT id FROM school_class WHERE name = '1A'")
    fig = F.compute_figures(SYSTEM, F.Period(dt.date(2025, 9, 1), dt.date(2025, 12, 31)),
                            F.FigureFilters(class_id=class_id))
    texts = [t.text(r, c) for t in fig.tables.values() for r in range(len(t.values))
             for c in t.count_columns]
    assert F.MASK in texts
    for table in fig.tables.values():
        assert_shown_safely(table)
    assert "<5 melding " not in " ".join(fig.summary()) + " "  # no singular beside a mask
    for sentence in fig.summary()[:-1]:  # the last one is the legend
        sentence = sentence.replace(fig.compared.range_label(), "")
        for word in sentence.replace("(", " ").replace(")", " ").split():
            assert word.rstrip(".,") not in {"1", "2", "3", "4"}, sentence


def test_masking_protects_a_lone_small_cell_in_rows_and_columns():
    table = F.FigureTable(
        "t", "t", ["a", "b", "sum"], ["r1", "r2", "r3"], ["r1", "r2", "r3"],
        [[3, 40, 43], [20, 30, 50], [25, 6, 31]], [48, 76, 124], "Total",
        additive_columns=(0, 1, 2), row_parts=(0, 1), row_total=2, count_columns=(0, 1, 2))
    F.apply_masking(table)
    assert table.text(0, 0) == F.MASK
    # row r1 had one hidden cell: the 40 beside it goes too, then column b needs a partner
    assert table.masked[0][1] == F.SECONDARY
    assert table.text(0, 1) == F.HIDDEN
    assert sum(1 for r in range(3) if table.masked[r][0]) >= 2
    assert sum(1 for r in range(3) if table.masked[r][1]) >= 2
    assert_shown_safely(table)


def test_a_small_total_is_masked():
    table = F.FigureTable("t", "t", ["n"], ["a", "b"], ["a", "b"], [[3], [0]], [3], "Total",
                          additive_columns=(0,))
    F.apply_masking(table)
    assert table.text(0, 0) == F.MASK and table.total_text(0) == F.MASK
    assert table.text(1, 0) == "0"


def test_exports_hold_the_masked_counts(school, tmp_path):
    (class_id,), = sql(school, "SELECT id FROM school_class WHERE name = '1A'")
    school.execute_sql("UPDATE school_class SET name = '=1A' WHERE id = ?", (class_id,))
    try:
        fig = F.compute_figures(SYSTEM, F.Period(dt.date(2025, 9, 1), dt.date(2025, 12, 31)),
                                F.FigureFilters(class_id=class_id))
        path = F.export_csv(SYSTEM, fig, tmp_path / "cijfers.csv")
        xlsx = F.export_xlsx(SYSTEM, fig, tmp_path / "cijfers.xlsx")
    finally:
        school.execute_sql("UPDATE school_class SET name = '1A' WHERE id = ?", (class_id,))
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(raw.decode("utf-8-sig").splitlines(), delimiter=";"))
    assert any(F.MASK in row for row in rows)
    assert ["'=1A", fig["by_class"].text(0, 0)] in rows
    cells = [c.value for row in openpyxl.load_workbook(xlsx).active.iter_rows() for c in row]
    assert F.MASK in cells and "'=1A" in cells
    assert not any(isinstance(v, int | float) and 0 < v < 5 for v in cells)
    assert fig["over_time"].total[0] in cells or fig["over_time"].total_masked[0]
    audits = sql(school, "SELECT detail FROM audit_log WHERE action = 'export' "
                         "AND \"table\" = 'figures'")
    assert {"csv", "xlsx"} <= {d for (d,) in audits}


def test_a_period_that_ends_before_it_starts_is_refused(school):
    with pytest.raises(F.ServiceError):
        F.compute_figures(SYSTEM, F.Period(dt.date(2025, 2, 1), dt.date(2025, 1, 1)))


def class_years(db) -> dict[str, int]:
    return {str(i): y for i, y in sql(db, "SELECT id, leerjaar FROM school_class")}


def test_the_whole_screen_gives_nothing_away_on_the_demo(school):
    """Every table of a result together: no hidden count follows from what is shown."""
    years = class_years(school)
    (class_id,), = sql(school, "SELECT id FROM school_class WHERE name = '1A'")
    for period, filters in [(YEAR, F.FigureFilters()), (ALL, F.FigureFilters()),
                            (YEAR, F.FigureFilters(leerjaar=2)),
                            (YEAR, F.FigureFilters(class_id=class_id)),
                            (F.Period(dt.date(2025, 9, 1), dt.date(2025, 12, 31)),
                             F.FigureFilters(form="stalking", cyber=True))]:
        fig = F.compute_figures(SYSTEM, period, filters)
        assert derivable_cells(fig, years) == [], (period, filters)
        assert derived_cells_follow_counts(fig) == []


@pytest.fixture(scope="module")
def small_schools(tmp_path_factory):
    """Tiny schools (40-70 students, about 25-40 reports a year): counts near the threshold."""
    paths = []
    for seed in range(3):
        path = tmp_path_factory.mktemp(f"small{seed}") / "small.sqlite"
        db = create_database(path)
        generate_demo(students=40 + 15 * seed, years=2, seed=seed, today=TODAY)
        db.close()
        paths.append(path)
    return paths


def test_random_small_schools_give_nothing_away(small_schools, school):
    """Many random selections of small schools near the threshold, audited by a checker
    written apart from the masking: no hidden cell can be worked out from the shown ones."""
    import random

    from pestdesk.store.db import open_database

    rng = random.Random(15)
    audited = hidden = 0
    for path in small_schools:
        db = open_database(path)
        try:
            years = class_years(db)
            classes = [i for (i,) in sql(db, "SELECT id FROM school_class")]
            for _ in range(12):
                start = TODAY - dt.timedelta(days=rng.randint(30, 700))
                period = F.Period(start, start + dt.timedelta(days=rng.randint(20, 400)))
                filters = rng.choice([
                    F.FigureFilters(), F.FigureFilters(leerjaar=rng.randint(1, 3)),
                    F.FigureFilters(class_id=rng.choice(classes)),
                    F.FigureFilters(cyber=rng.choice([True, False])),
                    F.FigureFilters(form=rng.choice(list(FORMS)))])
                fig = F.compute_figures(SYSTEM, period, filters)
                assert derivable_cells(fig, years) == [], (period, filters)
                assert derived_cells_follow_counts(fig) == []
                for table in fig.tables.values():
                    for r, row in enumerate(table.values):
                        for c in table.count_columns:
                            if 0 < (row[c] or 0) < F.THRESHOLD:  # never shown as a number
                                assert table.text(r, c, shared=True) in (F.MASK, F.NOT_SHOWN)
                hidden += sum(1 for mark in fig.ledger.marks if mark)
                audited += 1
        finally:
            db.close()
            bind(school)  # the module's demo school again, for the tests after this one
    assert audited == 36 and hidden > 100  # the selections really were near the threshold


def test_the_current_school_year_is_compared_like_for_like(school):
    from pestdesk import clock

    clock.set_today(dt.date(2025, 12, 3))
    try:
        fig = F.compute_figures(SYSTEM, F.Period.school_year(2025))
    finally:
        clock.set_today(None)
    assert fig.shown == F.Period(dt.date(2025, 8, 1), dt.date(2025, 12, 3))
    assert fig.compared == F.Period(dt.date(2024, 8, 1), dt.date(2024, 12, 3))
    (before,), = sql(school, f'SELECT count(*) FROM "case" WHERE is_signal = 0 AND '
                             f'{in_period(fig.compared)}')
    assert fig.compared_reports == before
    assert fig.shown.label() == "2025-2026 tot en met 3 december 2025"
    assert fig.shown.range_label() == "1 augustus 2025 tot en met 3 december 2025"
    assert "1 augustus 2024 tot en met 3 december 2024" in " ".join(fig.summary())
    assert "31 juli 2026" not in " ".join(fig.summary())
    assert fig["over_time"].row_labels[-1] == "dec 2025"  # no months still to come
    whole = F.compute_figures(SYSTEM, YEAR)
    assert whole.compared == F.Period.school_year(2023)  # a full year with a full year
    assert whole.shown.label() == "2024-2025"


def test_the_summary_reads_the_tables_numbers(school):
    fig = F.compute_figures(SYSTEM, YEAR)
    text = " ".join(fig.summary(shared=True))
    t = fig.tables
    assert t["outcomes"].value_of("closed") == t["stages"].total[1]
    assert t["outcomes"].value_of("open") == t["stages"].total[0]
    assert t["over_time"].total[0] == t["stages"].total[2] == t["by_class"].total[0]
    for number in (t["over_time"].total_text(0, True), t["outcomes"].text_of("closed", 0, True),
                   t["duration"].total_text(0, True),
                   t["sanctions"].text_of("verwijdering", 0, True),
                   t["sanctions"].text_of("voornemen_verwijdering", 0, True)):
        assert number in text
    assert "((" not in text and ") (" not in text  # no doubled parentheses
    top = max(r for r in range(len(t["stages"].values))
              if t["stages"].row_keys[r] and t["stages"].values[r][2])
    assert t["stages"].row_labels[top] in text  # the highest stage, by the protocol's order


def test_exact_counts_only_on_screen_for_who_may_read_the_cases(school):
    mentor = m.User.get(m.User.username == "mentor")
    actor = Actor(mentor.id, "mentor", mentor.staff_id, frozenset({"mentor"}))
    assert F.may_see_exact(actor) and not F.may_see_exact(
        Actor(None, "beheer", None, frozenset({"beheerder"})))
    exact = F.compute_figures(actor, ALL, exact=True)
    assert exact.exact
    masked = [(t, r, c) for t in exact.tables.values() for r in range(len(t.values))
              for c in t.count_columns if t.masked[r][c]]
    assert masked, "a mentor's figures hold small counts"
    for table, r, c in masked:
        assert table.text(r, c) == F._show(table.values[r][c], 0)  # on screen: exact
        assert table.text(r, c, shared=True) in (F.MASK, F.HIDDEN)  # shared: masked
    assert "Exacte aantallen" in exact.summary()[-1]
    shared = exact.shared()
    assert not shared.exact and all(not t.exact for t in shared.tables.values())
    outsider = F.compute_figures(Actor(None, "x", None, frozenset({"vakdocent"})), ALL,
                                 exact=True)
    assert not outsider.exact  # the rule, not the caller, decides
    overridden = F.compute_figures(actor, ALL, exact=True, visibility=m.Case.id > 0)
    assert not overridden.exact


VISIBLE = {  # who may see which case, written in plain SQL apart from services.access
    "zorg": "1 = 1",
    "directie": "1 = 1",
    "mentor": """(c.created_by_id = :uid OR EXISTS (
        SELECT 1 FROM involvement i JOIN student s ON s.id = i.student_id
        JOIN class_mentor cm ON cm.school_class_id = s.school_class_id
        WHERE i.case_id = c.id AND cm.staff_id = :sid))""",
    "afdeling": """(c.created_by_id = :uid OR EXISTS (
        SELECT 1 FROM involvement i JOIN student s ON s.id = i.student_id
        JOIN school_class k ON k.id = s.school_class_id JOIN staff st ON st.id = :sid
        WHERE i.case_id = c.id AND instr(',' || lower(st.departments) || ',',
                                         ',' || lower(k.department) || ',') > 0))""",
}


def _shown(n: int, text: str) -> None:
    """A shared cell: the exact count where shown, a mask only where the count is small
    or hidden beside one."""
    if text in (F.MASK, F.HIDDEN, F.NOT_SHOWN):
        assert text != F.MASK or 0 < n < F.THRESHOLD
    else:
        assert text == F._show(n, 0) and not 0 < n < F.THRESHOLD


@pytest.mark.parametrize("username", ["zorg", "directie", "mentor", "afdeling"])
def test_every_shared_number_is_its_own_count_per_role(school, username, tmp_path):
    """Export (XLSX), year report (PDF) and screen for each role, several periods and
    filters: each count equals a plain-SQL count over the cases that role may see."""
    import io

    import pypdf

    user = m.User.get(m.User.username == username)
    actor = accounts_actor(user)
    params = {"uid": user.id, "sid": user.staff_id}
    rule = VISIBLE[username]
    for period, filters, where in [
        (YEAR, F.FigureFilters(), "1 = 1"),
        (ALL, F.FigureFilters(cyber=True), "c.is_cyber = 1"),
        (F.Period(dt.date(2025, 9, 1), dt.date(2026, 1, 31)), F.FigureFilters(form="woorden"),
         "instr(',' || c.forms || ',', ',woorden,') > 0"),
    ]:
        fig = F.compute_figures(actor, period, filters, exact=True)
        base = (f'FROM "case" c WHERE c.is_signal = 0 AND {in_period(period, "c.reported_on")}'
                f" AND {where} AND {rule}")
        (reports, cyber, closed, still_open), = school.execute_sql(
            f"SELECT count(*), coalesce(sum(c.is_cyber), 0), coalesce(sum(c.status <> 'open'), 0),"
            f" coalesce(sum(c.status = 'open'), 0) {base}", params).fetchall()
        t = fig.tables
        assert t["over_time"].total[0] == reports and t["over_time"].total[1] == cyber
        assert t["stages"].total[:2] == [still_open, closed]
        locations = dict(school.execute_sql(f"SELECT c.location, count(*) {base} GROUP BY 1",
                                            params).fetchall())
        for code, n in locations.items():
            assert t["by_location"].value_of(code) == n
            _shown(n, t["by_location"].text_of(code, 0, shared=True))
        _shown(reports, t["over_time"].total_text(0, shared=True))
        _shown(closed, t["outcomes"].text_of("closed", 0, shared=True))
        # the export holds exactly the shared texts (numbers as numbers)
        path = F.export_xlsx(actor, fig, tmp_path / f"{username}.xlsx")
        rows = [[c.value for c in row] for row in openpyxl.load_workbook(path).active.iter_rows()]
        for table in fig.tables.values():
            for shown in table.shown_rows(shared=True):
                found = [_as_text(r[:len(shown)]) for r in rows if r and r[0] == shown[0]]
                assert shown in found, (table.key, shown, found)
    pdf = F.year_report_pdf(actor, 2024)
    text = " ".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(pdf)).pages)
    fig = F.compute_figures(actor, F.Period.school_year(2024), granularity="month")
    (reports,), = school.execute_sql(
        f'SELECT count(*) FROM "case" c WHERE c.is_signal = 0 AND '
        f'{in_period(F.Period.school_year(2024), "c.reported_on")} AND {rule}', params).fetchall()
    assert fig["over_time"].total[0] == reports
    assert fig["over_time"].total_text(0, shared=True) in text
    for sentence in fig.summary(shared=True):
        assert " ".join(sentence.split()) in " ".join(text.split())


def _as_text(cells: list) -> list:
    """An exported row as the screen writes it (numbers as numbers, empty as "–")."""
    return [cells[0], *("–" if v is None else v if isinstance(v, str) else F._show(v, 0)
                        for v in cells[1:])]


def accounts_actor(user):
    from pestdesk.services import accounts

    return accounts.actor_for(user)


def test_a_masked_count_takes_the_plural(school):
    """'(<5 melding)' would say the hidden count is 1: a mask always reads as a plural."""
    ones = 0
    for (class_id,) in sql(school, "SELECT id FROM school_class ORDER BY id LIMIT 25"):
        fig = F.compute_figures(SYSTEM, YEAR, F.FigureFilters(class_id=class_id))
        stages = fig["stages"]
        reached = [r for r in range(len(stages.values))
                   if stages.row_keys[r] and stages.values[r][2]]
        if reached and stages.values[reached[-1]][2] == 1:
            ones += 1
            text = " ".join(fig.summary(shared=True))
            assert "<5 meldingen)" in text and "<5 melding)" not in text
    assert ones, "some class should have a single case at its highest stage"
