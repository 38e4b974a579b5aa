"""Nieuwe melding / Nieuw signaal: Ctrl+N, typing to find students, validation in Dutch."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QApplication, QDialog

from pestdesk import clock
from pestdesk.gui.case.report import ReportDialog
from pestdesk.services import cases
from pestdesk.store.models import Case, Event, Involvement
from tests.helpers.gui import check, demo_school, fresh_students, when_modal


@pytest.fixture
def actor(db, qt_dutch):
    return demo_school()


@pytest.fixture
def dialog(qtbot, actor):
    widget = ReportDialog(actor)
    qtbot.addWidget(widget)
    widget.show()
    qtbot.waitExposed(widget)
    return widget


def pick(qtbot, picker, student) -> None:
    """Type the student's name and press Enter: the first match is taken."""
    qtbot.keyClicks(picker, f"{student.first_name} {student.last_name}".lower())
    assert any(student.number in label for label in picker.matches())
    qtbot.keyClick(picker, Qt.Key.Key_Return)
    assert picker.student_id == student.id


def test_typing_a_name_finds_students_in_sql_with_a_limit(dialog, qtbot):
    picker = dialog.students.picker
    qtbot.keyClicks(picker, "a")
    assert 0 < len(picker.matches()) <= 15  # never the whole school
    picker.clear()
    qtbot.keyClicks(picker, "zzzqq")
    assert picker.matches() == []


def test_fill_by_typing_and_save_creates_the_case_with_roles(dialog, qtbot):
    victim, bully = fresh_students(2)
    qtbot.keyClicks(dialog.summary, "Uitschelden in de klassenapp")
    qtbot.keyClicks(dialog.description, "Al twee weken scheldwoorden in de app.")
    dialog.reporter.setCurrentIndex(dialog.reporter.findData("ouder"))
    dialog.locations["online"].setChecked(True)
    dialog.forms["woorden"].setChecked(True)
    dialog.forms["haatmail"].setChecked(True)
    pick(qtbot, dialog.students.picker, victim)
    dialog.students.role.setCurrentIndex(dialog.students.role.findData("gepeste"))
    qtbot.mouseClick(dialog.students.add_button, Qt.MouseButton.LeftButton)
    pick(qtbot, dialog.students.picker, bully)
    dialog.students.role.setCurrentIndex(dialog.students.role.findData("pester"))
    qtbot.keyClick(dialog.students.add_button, Qt.Key.Key_Space)
    assert dialog.students.table.rowCount() == 2
    with qtbot.waitSignal(dialog.saved) as saved:
        dialog.accept()
    case = Case.get_by_id(saved.args[0])
    assert not case.is_signal and case.is_cyber and case.reporter_kind == "ouder"
    assert case.forms == "woorden,haatmail" and case.location == "online"
    roles = {i.student_id: i.role for i in Involvement.select().where(Involvement.case == case)}
    assert roles == {victim.id: "gepeste", bully.id: "pester"}
    assert case.stage_code == "mentor"  # the ladder started for the pester


def test_a_student_picked_but_not_added_is_not_lost(dialog, qtbot):
    victim, = fresh_students(1)
    pick(qtbot, dialog.students.picker, victim)
    dialog.accept()  # Save with the picked student still in the field: it is added
    assert dialog.result() == QDialog.DialogCode.Accepted
    assert Involvement.get(Involvement.case == dialog.case_id).student_id == victim.id


def test_nothing_is_saved_without_a_victim_or_description(dialog, qtbot):
    before = Case.select().count()
    qtbot.keyClicks(dialog.summary, "Iets gezien")
    dialog.accept()
    assert dialog.error.isVisible()
    assert dialog.error.text() == ("Noem ten minste één gepeste leerling, of beschrijf wat "
                                   "er is gebeurd.")
    assert dialog.isVisible() and Case.select().count() == before
    assert dialog.students.picker.hasFocus()


def test_typed_name_not_picked_is_refused_in_dutch(dialog, qtbot):
    qtbot.keyClicks(dialog.description, "Iets")
    qtbot.keyClicks(dialog.students.picker, "zzzqq")
    dialog.accept()
    assert "Kies de leerling uit de lijst" in dialog.error.text() or \
        "Pick the student from the list" in dialog.error.text()
    assert dialog.case_id is None


def test_tab_order_follows_the_form(dialog, qtbot):
    dialog.activateWindow()
    dialog.date.setFocus()
    seen = []
    for _step in range(4):
        qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Tab)
        seen.append(QApplication.focusWidget())
    assert seen == [dialog.summary, dialog.description, dialog.reporter,
                    dialog.via]


def test_a_signal_asks_less_and_can_become_a_case(qtbot, actor):
    signal = ReportDialog(actor, signal=True)
    qtbot.addWidget(signal)
    assert not hasattr(signal, "forms")
    qtbot.keyClicks(signal.summary, "Duwen bij de kluisjes")
    qtbot.keyClicks(signal.description, "Twee leerlingen duwden een klasgenoot.")
    signal.accept()
    case = Case.get_by_id(signal.case_id)
    assert case.is_signal and case.number.startswith("S")
    assert Event.get(Event.case == case).kind == "signal"
    promoted = cases.promote_signal(actor, case.id, case.version, None)
    assert not promoted.is_signal and not promoted.number.startswith("S")


def test_ctrl_n_opens_the_report_dialog_and_the_saved_case_opens(qtbot, actor, db_path):
    from pestdesk.gui.main_window import MainWindow

    window = MainWindow(db_path, actor, demo=True)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    victim, = fresh_students(1)
    seen = {}

    def fill(dialog):
        assert isinstance(dialog, ReportDialog) and not dialog.signal
        assert dialog.windowTitle() in ("Nieuwe melding", "New report")
        seen["dialog"] = True
        qtbot.keyClicks(dialog.description, "Buitengesloten bij gym")
        pick(qtbot, dialog.students.picker, victim)
        dialog.accept()

    action = next(a for a in window.findChildren(QAction)
                  if a.shortcut() == QKeySequence("Ctrl+N"))
    assert action.text() == "&Nieuwe melding…" or action.text() == "&New report…"
    errors = when_modal(fill)
    action.trigger()  # what Ctrl+N does (offscreen windows get no shortcut events)
    check(errors)
    assert seen
    case_id = Involvement.get(Involvement.student == victim.id).case_id
    assert case_id in window.case_windows
    case_window = window.case_windows[case_id]
    assert case_window.isVisible()
    assert Case.get_by_id(case_id).reported_on == clock.today()
    case_window.close()
    assert case_id not in window.case_windows


def test_the_picker_finds_any_student_to_report_and_says_when_none_matches(qtbot, db,
                                                                           qt_dutch):
    from pestdesk.gui.case.report import InvolvedTable
    from tests.helpers.school import build_school

    school = build_school()
    table = InvolvedTable(school.actors["mentor_b"])  # mentor of 1B
    qtbot.addWidget(table)
    table.show()
    qtbot.keyClicks(table.picker, "Hendriks")  # 4H: another class
    assert [m for m in table.picker.matches() if "Hendriks" in m]
    assert not table.not_found.isVisible()
    assert table.add_current() and table.rows[0][0] == school.students["4001"].id
    qtbot.keyClicks(table.picker, "Qwxyz")
    assert table.picker.matches() == []
    assert table.not_found.isVisible() and "Qwxyz" in table.not_found.text()
    assert not table.add_current() and len(table.rows) == 1
    assert "Qwxyz" in table.not_found.text()


def test_enter_again_in_the_student_field_adds_the_student_and_never_saves(dialog, qtbot):
    victim, = fresh_students(1)
    before = Case.select().count()
    qtbot.keyClicks(dialog.description, "Buitengesloten")
    pick(qtbot, dialog.students.picker, victim)  # Enter picks ...
    dialog.students.picker.setFocus()
    qtbot.keyClick(dialog.students.picker, Qt.Key.Key_Return)  # ... Enter again adds
    assert dialog.students.table.rowCount() == 1 and dialog.isVisible()
    qtbot.keyClick(dialog.students.picker, Qt.Key.Key_Return)  # empty field: still nothing
    assert dialog.isVisible() and dialog.case_id is None
    assert Case.select().count() == before


def test_enter_on_the_role_adds_the_picked_student(dialog, qtbot):
    victim, = fresh_students(1)
    pick(qtbot, dialog.students.picker, victim)
    qtbot.keyClick(dialog.students.role, Qt.Key.Key_Return)
    assert dialog.students.table.rowCount() == 1 and dialog.case_id is None


def _window(qtbot, actor, db_path):
    from pestdesk.gui.main_window import MainWindow

    window = MainWindow(db_path, actor, demo=True)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    return window


def test_new_report_from_a_student_card_and_ctrl_n_prefill_the_student(qtbot, actor, db_path):
    victim, = fresh_students(1)
    window = _window(qtbot, actor, db_path)
    window.go("students")
    students = window.view("students")
    students.card.show_student(victim.id)
    seen: list[list[str]] = []

    def look(dialog):
        seen.append([dialog.students.table.item(r, 0).text()
                     for r in range(dialog.students.table.rowCount())])
        seen[-1].append(dialog.students.involved()[0].role)
        dialog.reject()

    errors = when_modal(look, kind=ReportDialog)
    assert students.card.new_report_button.isEnabled()
    qtbot.mouseClick(students.card.new_report_button, Qt.MouseButton.LeftButton)
    check(errors)
    errors = when_modal(look, kind=ReportDialog)
    action = next(a for a in window.findChildren(QAction)
                  if a.shortcut() == QKeySequence("Ctrl+N"))
    action.trigger()  # Ctrl+N with this student's card open
    check(errors)
    assert len(seen) == 2
    for rows in seen:
        assert victim.number in rows[0] and rows[-1] == "gepeste"
