"""The import wizard on real files: column mapping, dry-run preview, import off the GUI thread,
the remembered mapping, and a broken file that is refused without changing anything."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt

from pestdesk.gui.admin.imports import ImportDialog
from pestdesk.services import settings
from pestdesk.services.base import SYSTEM
from pestdesk.services.people import import_staff
from pestdesk.store.models import Guardian, SchoolClass, Staff, Student
from tests.helpers.exports import (
    CLASS_DEPARTMENTS,
    STAFF_CSV,
    STUDENTS,
    magister_rows,
    magister_with_departments,
    to_csv,
    write_magister,
)
from tests.helpers.people import TODAY, ZORG

# a school's own export with headers pestdesk does not know
RENAMED = {"Stamnr": "Leerling ID", "Achternaam": "Familie naam", "Klas": "Groepje"}


def write_renamed(path, students=STUDENTS):
    rows = magister_rows(students)
    rows[0] = [RENAMED.get(h, h) for h in rows[0]]
    path.write_bytes(to_csv(rows).encode("cp1252"))
    return path


def dump(db) -> str:
    return "\n".join(db.connection().iterdump())


@pytest.fixture
def staff(db, tmp_path):
    path = tmp_path / "personeel.csv"
    path.write_text(STAFF_CSV, encoding="utf-8")
    assert import_staff(SYSTEM, path).applied


def open_dialog(qtbot, kind: str, path) -> ImportDialog:
    dialog = ImportDialog(ZORG, kind, today=TODAY)
    qtbot.addWidget(dialog)
    dialog.show()
    dialog.path_edit.setText(str(path))
    return dialog


def wait_page(qtbot, dialog: ImportDialog, page: int) -> None:
    qtbot.waitUntil(lambda: not dialog.is_busy() and dialog.pages.currentIndex() == page,
                    timeout=10_000)


def count(dialog: ImportDialog, key: str) -> str:
    return dialog.count_labels[key].text()


def map_columns(dialog: ImportDialog, choices: dict[str, str]) -> None:
    for name, header in choices.items():
        combo = dialog.combos[name]
        combo.setCurrentIndex(combo.findData(header))


def test_unknown_headers_go_through_mapping_then_preview_then_import(
        qtbot, db, staff, qt_dutch, tmp_path):
    path = write_renamed(tmp_path / "export.csv")
    dialog = open_dialog(qtbot, "students", path)
    dialog.next()
    wait_page(qtbot, dialog, dialog.MAPPING)
    form = dialog.mapping_form
    assert form.fieldTable.rowCount() == len(dialog.kind.fields)
    assert form.previewTable.rowCount() == 5
    assert form.previewTable.horizontalHeaderItem(0).text() == "Leerling ID"
    assert form.previewTable.item(0, 0).text() == "004512"
    # the recognised columns are already chosen, the renamed ones are not
    assert dialog.combos["first_name"].currentData() == "Roepnaam"
    assert dialog.combos["number"].currentData() is None
    dialog.next()  # required fields still missing: stays, says which
    assert dialog.pages.currentIndex() == dialog.MAPPING
    assert form.errorLabel.text()
    map_columns(dialog, {"number": "Leerling ID", "last_name": "Familie naam",
                         "class": "Groepje"})
    dialog.next()
    wait_page(qtbot, dialog, dialog.PREVIEW)
    assert Student.select().count() == 0  # a dry run changes nothing
    assert count(dialog, "rows") == "6"
    assert count(dialog, "new") == "6"
    assert count(dialog, "left") == "0"
    assert count(dialog, "classes_new") == "3"
    assert dialog.next_button.isEnabled()
    dialog.next()
    wait_page(qtbot, dialog, dialog.DONE)
    assert Student.select().count() == 6
    assert SchoolClass.select().count() == 3
    assert Guardian.select().count() > 0
    assert Student.get(Student.number == "000017").last_name == "Ødegård"
    assert "6" in dialog.summary.text()
    saved = settings.get_value("import_mapping_students")
    assert saved["number"] == "Leerling ID" and saved["class"] == "Groepje"


def test_department_column_is_offered_mapped_and_counted(qtbot, db, staff, qt_dutch, tmp_path):
    from pestdesk.services.people import import_students

    assert import_students(SYSTEM, write_magister(tmp_path / "eerst.csv"), today=TODAY).applied
    rows = magister_with_departments(header="Team")
    rows[0] = [RENAMED.get(h, h) for h in rows[0]]
    path = tmp_path / "afdelingen.csv"
    path.write_bytes(to_csv(rows).encode("cp1252"))
    dialog = open_dialog(qtbot, "students", path)
    dialog.next()
    wait_page(qtbot, dialog, dialog.MAPPING)
    assert dialog.combos["department"].currentData() == "Team"
    labels = [dialog.mapping_form.fieldTable.item(r, 0).text()
              for r in range(dialog.mapping_form.fieldTable.rowCount())]
    assert "Afdeling" in labels
    map_columns(dialog, {"number": "Leerling ID", "last_name": "Familie naam",
                         "class": "Groepje"})
    dialog.next()
    wait_page(qtbot, dialog, dialog.PREVIEW)
    assert count(dialog, "classes_department_changed") == "3"
    assert count(dialog, "changed") == "0"
    dialog.next()
    wait_page(qtbot, dialog, dialog.DONE)
    assert {c.name: c.department for c in SchoolClass.select()} == CLASS_DEPARTMENTS
    assert "Klassen met een andere afdeling: 3" in dialog.summary.text()


def test_remembered_mapping_skips_the_mapping_step(qtbot, db, staff, qt_dutch, tmp_path):
    settings.set_value(SYSTEM, "import_mapping_students",
                       {"number": "Leerling ID", "last_name": "Familie naam",
                        "class": "Groepje", "mentor2": None})
    path = write_renamed(tmp_path / "export.csv")
    first = open_dialog(qtbot, "students", path)
    first.next()
    wait_page(qtbot, first, first.PREVIEW)
    first.next()
    wait_page(qtbot, first, first.DONE)
    # next term: one student left, one changed class
    students = [s for s in STUDENTS if s[0] != "004516"]
    students[0] = students[0][:6] + ("1B",) + students[0][7:]
    again = open_dialog(qtbot, "students", write_renamed(tmp_path / "again.csv", students))
    again.next()
    wait_page(qtbot, again, again.PREVIEW)
    assert count(again, "new") == "0"
    assert count(again, "changed") == "1"
    assert count(again, "unchanged") == "4"
    assert count(again, "left") == "1"
    again.next()
    wait_page(qtbot, again, again.DONE)
    assert Student.get(Student.number == "004516").left_on == TODAY
    assert Student.get(Student.number == "004512").school_class.name == "1B"


def test_broken_file_shows_row_and_column_problems_and_changes_nothing(
        qtbot, db, staff, qt_dutch, tmp_path):
    rows = magister_rows()
    rows[2][0] = ""  # row 3: no student number
    rows[4][5] = "31-2-2011"  # row 5: no such date
    path = tmp_path / "kapot.csv"
    path.write_bytes(to_csv(rows).encode("cp1252"))
    before = dump(db)
    dialog = open_dialog(qtbot, "students", path)
    dialog.next()
    wait_page(qtbot, dialog, dialog.PREVIEW)
    model = dialog.problem_model
    found = {(model.data(model.index(r, 1)), model.data(model.index(r, 2)))
             for r in range(model.rowCount())}
    assert ("3", "Stamnr") in found
    assert ("5", "Geb.datum") in found
    explanations = [model.data(model.index(r, 3)) for r in range(model.rowCount())]
    assert all(explanations)
    assert not dialog.next_button.isEnabled()
    assert not dialog.counts_box.isVisibleTo(dialog)
    dialog.run_import()  # even when forced: nothing happens
    assert not dialog.is_busy()
    assert dump(db) == before


def test_unreadable_file_is_refused(qtbot, db, qt_dutch, tmp_path):
    path = tmp_path / "oud.xls"
    path.write_bytes(b"\xd0\xcf\x11\xe0" + b"\x00" * 600)
    dialog = open_dialog(qtbot, "students", path)
    dialog.next()
    wait_page(qtbot, dialog, dialog.PREVIEW)
    assert dialog.problem_model.rowCount() == 1
    assert not dialog.next_button.isEnabled()
    assert not dialog.columns_button.isVisibleTo(dialog)
    table = dialog.problems  # the refusal's explanation is readable in full, not cut off
    text = dialog.problem_model.data(dialog.problem_model.index(0, 3))
    lines = table.fontMetrics().boundingRect(
        0, 0, table.columnWidth(3) - 8, 10_000, int(Qt.TextFlag.TextWordWrap), text).height()
    assert table.wordWrap() and table.rowHeight(0) >= lines


def test_staff_import_through_the_same_dialog(qtbot, db, qt_dutch, tmp_path):
    path = tmp_path / "personeel.csv"
    path.write_text(STAFF_CSV.replace("Afkorting", "Code docent"), encoding="utf-8")
    dialog = open_dialog(qtbot, "staff", path)
    dialog.next()
    wait_page(qtbot, dialog, dialog.MAPPING)
    map_columns(dialog, {"code": "Code docent"})
    dialog.next()
    wait_page(qtbot, dialog, dialog.PREVIEW)
    assert count(dialog, "new") == "4"
    dialog.next()
    wait_page(qtbot, dialog, dialog.DONE)
    assert Staff.get(Staff.code == "VRS").roles == "mentor,afdelingscoordinator"
    assert settings.get_value("import_mapping_staff")["code"] == "Code docent"


@pytest.mark.parametrize("name", ["xlsx-10-million-rows", "xlsx-billion-laughs",
                                  "xlsx-external-entity", "xlsx-broken-xml", "xlsx-huge-cell",
                                  "csv-mixed-encoding", "csv-shift-jis",
                                  "csv-10-million-lines"])
def test_hostile_file_is_refused_with_one_line_and_changes_nothing(qtbot, db, qt_dutch,
                                                                   tmp_path, name):
    from tests.helpers import hostile

    maker, _fragment = hostile.FILES[name]
    path = maker(tmp_path)
    before = dump(db)
    dialog = open_dialog(qtbot, "students", path)
    dialog.next()
    wait_page(qtbot, dialog, dialog.PREVIEW)
    model = dialog.problem_model
    assert model.rowCount() == 1
    assert model.data(model.index(0, 3))
    assert not dialog.next_button.isEnabled()
    dialog.run_import()
    assert dump(db) == before


def test_the_preview_names_whose_mentorship_changes(qtbot, db, staff, qt_dutch, tmp_path):
    """A mentor opens a class's dossiers: the dry run shows, by name, which classes get
    other mentors before anything is imported."""
    from pestdesk.services.people import import_students

    assert import_students(SYSTEM, write_magister(tmp_path / "eerst.csv"), today=TODAY).applied
    second = [list(s) for s in STUDENTS]
    for row in second:
        if row[6] == "1A":
            row[8] = "PTR"
    dialog = open_dialog(qtbot, "students", write_magister(tmp_path / "tweede.csv", second))
    dialog.next()
    wait_page(qtbot, dialog, dialog.PREVIEW)
    assert dialog.notices.isVisible()
    assert dialog.notices.text() == "Klas 1A: mentoren Jan Jansen (JNS) worden Piet Peters (PTR)"
