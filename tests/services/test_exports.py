"""Exports: cells a spreadsheet would run as formulas are neutralised in CSV and XLSX."""

from __future__ import annotations

import csv
import datetime as dt

import pytest
from openpyxl import load_workbook

from pestdesk.services import exports
from pestdesk.services.base import SYSTEM, ServiceError, create, write
from pestdesk.store.models import Student

EVIL = ["=HYPERLINK(\"http://x\",\"klik\")", "+31 6 1234", "-2+3", "@SUM(A1)", "\t=1+1",
        "\r=1", " =1+1", "＝1+1"]


@pytest.mark.parametrize("text", EVIL)
def test_dangerous_text_gets_an_apostrophe(text):
    assert exports.neutralise(text) == "'" + text


def test_harmless_values_unchanged():
    for value in ("Sem de Vries", "", "2B", None, 42, -3, 1.5, dt.date(2026, 1, 2), True):
        assert exports.neutralise(value) == value


def test_csv_round_trip(tmp_path):
    path = tmp_path / "out.csv"
    n = exports.write_csv(path, ["naam", "getal"], [[t, -1] for t in EVIL])
    assert n == len(EVIL)
    with open(path, encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.reader(fh, delimiter=";"))
    assert rows[0] == ["naam", "getal"]
    assert [r[0] for r in rows[1:]] == ["'" + t for t in EVIL]
    assert all(r[1] == "-1" for r in rows[1:])
    assert not list(tmp_path.glob(".*partial"))


def test_xlsx_cells_are_text_never_formulas(tmp_path):
    path = tmp_path / "out.xlsx"
    exports.write_xlsx(path, ["naam", "datum"], [[t, dt.date(2026, 1, 2)] for t in EVIL])
    ws = load_workbook(path).active
    values = [row[0] for row in ws.iter_rows(min_row=2, values_only=True)]
    assert all(v.startswith("'") for v in values)
    assert [v for v, t in zip(values, EVIL, strict=True) if "\r" not in t] == [
        "'" + t for t in EVIL if "\r" not in t]
    for row in ws.iter_rows(min_row=2):
        assert row[0].data_type == "s"
        assert row[1].is_date


def test_unsupported_format_and_missing_folder(tmp_path):
    with pytest.raises(ServiceError):
        exports.write_table(tmp_path / "x.pdf", ["a"], [])
    with pytest.raises(ServiceError):
        exports.write_csv(tmp_path / "nope" / "x.csv", ["a"], [])


def test_student_export_neutralises_names(db, tmp_path):
    with write():
        create(SYSTEM, Student, number="7", first_name="=cmd|'/c calc'!A1", last_name="X",
               sort_name="x")
    path = tmp_path / "leerlingen.xlsx"
    assert exports.export_students(SYSTEM, path) == 1
    ws = load_workbook(path).active
    assert ws.cell(row=2, column=2).value.startswith("'=cmd")
    assert ws.cell(row=2, column=2).data_type == "s"


def test_the_student_list_export_follows_the_person_rule(db, tmp_path):
    """The list of students leaves pestdesk as a file: only the students the exporter may
    see, and the export is in the audit trail."""
    from pestdesk.store.models import AuditLog
    from tests.helpers.school import build_school

    school = build_school()
    path = tmp_path / "leerlingen.csv"
    assert exports.export_students(school.actors["mentor_b"], path) == 1  # 2001, in 1B
    assert "Bosman" in path.read_text(encoding="utf-8-sig")
    assert "Akkerman" not in path.read_text(encoding="utf-8-sig")
    assert exports.export_students(school.actors["docent"], path) == 0
    assert exports.export_students(school.actors["admin"], path) == 4
    assert AuditLog.select().where((AuditLog.action == "export")
                                   & (AuditLog.table == "student")).count() == 3
