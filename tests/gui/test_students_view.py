"""The Leerlingen section: search in SQL, the student card, guardians, cases, AVG export."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFileDialog, QMessageBox

from pestdesk import clock
from pestdesk.gui.common.labels import role_label, status_label
from pestdesk.gui.people.students import StudentsView, age_on
from pestdesk.store.models import AuditLog, Guardian, StudentGuardian
from tests.helpers.people import ZORG


@pytest.fixture
def view(qtbot, school, qt_dutch):
    widget = StudentsView(ZORG)
    qtbot.addWidget(widget)
    widget.resize(1200, 700)
    widget.show()
    qtbot.waitExposed(widget)
    return widget


def select_first(view, qtbot) -> None:
    view.table.setCurrentIndex(view.model.index(0, 0))
    qtbot.waitUntil(lambda: view.card.content.isVisible(), timeout=2000)


def cell(table, row: int, column: int) -> str:
    return table.item(row, column).text()


def test_typing_filters_and_selecting_fills_the_card(view, qtbot, school):
    assert view.model.total() == 6
    assert not view.card.content.isVisible()
    qtbot.keyClicks(view.search, "celik")
    qtbot.waitUntil(lambda: view.model.total() == 1, timeout=2000)
    select_first(view, qtbot)
    card = view.card
    assert card.name.text() == "Zoë Çelik"
    assert card.number.text() == "004512"
    assert card.klass.text().startswith("1A")
    assert card.mentors.text() == "Jan Jansen"
    age = age_on(dt.date(2012, 7, 3), clock.today())
    assert card.birth.text().startswith(f"3 juli 2012 ({age} ")
    assert not card.details_form.isRowVisible(card.left_on)
    # guardians: both parents with the family address formatted the PostNL way
    assert card.guardians.rowCount() == 2
    names = {cell(card.guardians, r, 0) for r in range(2)}
    assert names == {"A. Çelik\nmoeder", "M. Çelik"}  # the export has no relation 2
    assert cell(card.guardians, 0, 1) == "Dorpsstraat 5\n1234 AB  EDE"
    assert cell(card.guardians, 0, 2) == "a.celik@example.nl\n0612345678"
    assert cell(card.guardians, 0, 3) == "ja"  # gezag
    # every case in any role, newest first
    assert card.cases.rowCount() == 2
    assert [cell(card.cases, r, 0) for r in range(2)] == ["2026-0002", "2025-0007"]
    assert cell(card.cases, 0, 2) == role_label("getuige")
    assert cell(card.cases, 1, 2) == role_label("gepeste")
    assert cell(card.cases, 1, 3) == status_label("closed")


def test_search_by_class_and_number(view, qtbot):
    qtbot.keyClicks(view.search, "2B")
    qtbot.waitUntil(lambda: view.model.total() == 3, timeout=2000)
    view.search.clear()
    qtbot.keyClicks(view.search, "00451")
    qtbot.waitUntil(lambda: view.model.total() == 5, timeout=2000)


def test_double_click_on_a_case_asks_to_open_it(view, qtbot, school):
    qtbot.keyClicks(view.search, "daan")
    qtbot.waitUntil(lambda: view.model.total() == 1, timeout=2000)
    select_first(view, qtbot)
    table = view.card.cases
    assert table.rowCount() == 1
    rect = table.visualRect(table.model().index(0, 0))
    with qtbot.waitSignal(view.open_case, timeout=2000) as blocker:
        # Qt 6's QTest double click needs the press before it, as a real mouse sends
        qtbot.mouseClick(table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
        qtbot.mouseDClick(table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert blocker.args == [school["new"].id]


def test_guardian_added_and_edited_from_the_card(view, qtbot, school):
    qtbot.keyClicks(view.search, "hek")
    qtbot.waitUntil(lambda: view.model.total() == 1, timeout=2000)
    select_first(view, qtbot)
    card = view.card
    assert card.guardians.rowCount() == 0
    assert not card.edit_guardian_button.isEnabled()
    dialog = card.guardian_dialog(None)
    qtbot.addWidget(dialog)
    dialog.relation.setCurrentText("voogd")
    dialog.edits["initials"].setText("R.")
    dialog.edits["last_name"].setText("Hek")
    dialog.edits["tussenvoegsel"].setText("van 't")
    dialog.edits["street"].setText("Hoek")
    dialog.edits["house_number"].setText("3")
    dialog.edits["postcode"].setText("1234ae")
    dialog.edits["city"].setText("Ede")
    dialog.accept()
    assert dialog.result() == dialog.DialogCode.Accepted
    assert card.guardians.rowCount() == 1
    assert cell(card.guardians, 0, 0) == "R. van 't Hek\nvoogd"
    assert cell(card.guardians, 0, 1) == "Hoek 3\n1234 AE  EDE"
    # edit: the selected guardian's dialog is filled from the database
    card.guardians.selectRow(0)
    guardian_id = card.selected_guardian()
    edit = card.guardian_dialog(guardian_id)
    qtbot.addWidget(edit)
    assert edit.relation.currentText() == "voogd"
    edit.edits["phone"].setText("0301234567")
    edit.info_granted.setChecked(True)
    edit.accept()
    assert Guardian.get_by_id(guardian_id).phone == "0301234567"
    assert StudentGuardian.get(StudentGuardian.guardian == guardian_id).info_granted
    assert cell(card.guardians, 0, 2) == "0301234567"
    assert cell(card.guardians, 0, 5) == "ja"  # information granted


def test_stale_guardian_edit_is_refused_then_reloaded_with_my_change(view, qtbot, conflicts):
    from pestdesk.gui.common.conflict import ConflictChoice

    qtbot.keyClicks(view.search, "celik")
    qtbot.waitUntil(lambda: view.model.total() == 1, timeout=2000)
    select_first(view, qtbot)
    card = view.card
    card.guardians.selectRow(0)
    guardian_id = card.selected_guardian()
    first, second = card.guardian_dialog(guardian_id), card.guardian_dialog(guardian_id)
    qtbot.addWidget(first)
    qtbot.addWidget(second)
    first.edits["city"].setText("Wageningen")
    first.accept()
    second.edits["phone"].setText("0611111111")
    conflicts.answer = ConflictChoice(reload=False, reapply=False)
    second.accept()
    assert second.result() != second.DialogCode.Accepted
    assert sorted(conflicts.shown[0]) == ["city", "phone"] and len(conflicts.shown) == 1
    assert second.error.isVisibleTo(second) and second.reload_button.isVisibleTo(second)
    assert Guardian.get_by_id(guardian_id).phone == "0612345678"
    conflicts.answer = ConflictChoice(reload=True, reapply=True)
    second.accept()
    # reloaded: the colleague's town, with my telephone number put back on top
    assert second.edits["city"].text() == "Wageningen"
    assert second.edits["phone"].text() == "0611111111"
    second.accept()
    stored = Guardian.get_by_id(guardian_id)
    assert (stored.city, stored.phone) == ("Wageningen", "0611111111")


def test_avg_export_written_after_confirmation_and_audited(view, qtbot, school, tmp_path,
                                                          monkeypatch):
    qtbot.keyClicks(view.search, "celik")
    qtbot.waitUntil(lambda: view.model.total() == 1, timeout=2000)
    select_first(view, qtbot)
    target = tmp_path / "inzage.json"
    asked = []
    monkeypatch.setattr(QMessageBox, "question",
                        lambda *a, **k: asked.append(a[2]) or QMessageBox.StandardButton.Yes)
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (str(target), ""))
    monkeypatch.setattr(QMessageBox, "information", lambda *a, **k: None)
    before = AuditLog.select().where(AuditLog.action == "export").count()
    view.card.export_button.click()
    assert asked and "Zoë Çelik" in asked[0]
    data = json.loads(target.read_text(encoding="utf-8"))
    assert data["kind"] == "pestdesk-avg-inzage"
    assert data["student"]["number"] == "004512"
    assert len(data["cases"]) == 2
    assert "Daan" not in target.read_text(encoding="utf-8")  # the other child is left out
    assert AuditLog.select().where(AuditLog.action == "export").count() == before + 1


def test_export_cancelled_writes_nothing(view, qtbot, tmp_path, monkeypatch):
    select_first(view, qtbot)
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: QMessageBox.StandardButton.No)
    monkeypatch.setattr(QFileDialog, "getSaveFileName",
                        lambda *a, **k: pytest.fail("no file asked after No"))
    view.card.export_button.click()
    assert AuditLog.select().where(AuditLog.action == "export").count() == 0
