"""Beheer → Schoolkalender: free periods saved through the service, overlap refused, and
the suspension dialog counting with what was entered."""

from __future__ import annotations

import datetime as dt

from PySide6.QtCore import QDate

from pestdesk.domain.schooldays import FreePeriod
from pestdesk.gui.admin.calendar import CalendarDialog, holidays_in_school_year
from pestdesk.gui.case.sanctions import SuspensionDialog
from pestdesk.services import calendar
from tests.helpers.casework import make_case
from tests.helpers.gui import shot

D = dt.date


def qd(day: dt.date) -> QDate:
    return QDate(day.year, day.month, day.day)


def add(dialog: CalendarDialog, qtbot, first: dt.date, last: dt.date, label: str):
    form = dialog.period_dialog()
    qtbot.addWidget(form)
    form.changed.connect(dialog._saved)
    form.label.setText(label)
    form.first.setDate(qd(first))
    form.last.setDate(qd(last))
    form.accept()
    return form


def test_a_vacation_changes_the_last_day_in_the_suspension_dialog(db, qtbot, qt_dutch):
    setup = make_case()
    suspension = SuspensionDialog(setup.actor, setup.case_id, setup.pester_id,
                                  today=D(2026, 10, 12))
    qtbot.addWidget(suspension)
    suspension.first_day.setDate(qd(D(2026, 10, 15)))  # a Thursday
    suspension.days.setValue(3)
    assert "maandag 19 oktober 2026" in suspension.plan_label.text()

    dialog = CalendarDialog(setup.actor)
    qtbot.addWidget(dialog)
    form = add(dialog, qtbot, D(2026, 10, 17), D(2026, 10, 25), "Herfstvakantie")
    assert form.error.isHidden(), form.error.text()
    assert dialog.table.rowCount() == 1 and dialog.table.item(0, 0).text() == "Herfstvakantie"
    assert calendar.school_calendar().periods == (
        FreePeriod(D(2026, 10, 17), D(2026, 10, 25), "Herfstvakantie"),)
    shot(dialog, "calendar")

    suspension.update_plan()
    assert "maandag 26 oktober 2026" in suspension.plan_label.text()
    assert "Herfstvakantie" in suspension.plan_label.text()  # the days not counted, and why


def test_overlap_is_refused_with_the_services_message(db, qtbot, qt_dutch):
    setup = make_case()
    calendar.add_period(setup.actor, D(2026, 10, 17), D(2026, 10, 25), "Herfstvakantie")
    dialog = CalendarDialog(setup.actor)
    qtbot.addWidget(dialog)
    form = add(dialog, qtbot, D(2026, 10, 23), D(2026, 10, 23), "Studiedag")
    assert "overlappen" in form.error.text()
    assert form.result() != form.DialogCode.Accepted  # stays open with what was typed
    assert form.label.text() == "Studiedag"
    assert len(calendar.school_calendar().periods) == 1 and dialog.table.rowCount() == 1
    shot(form, "calendar_overlap")


def test_change_and_remove_a_period(db, qtbot, qt_dutch, monkeypatch):
    setup = make_case()
    calendar.add_period(setup.actor, D(2026, 12, 19), D(2027, 1, 3), "Kerstvakantie")
    calendar.add_period(setup.actor, D(2026, 10, 17), D(2026, 10, 25), "Herfstvakantie")
    dialog = CalendarDialog(setup.actor)
    qtbot.addWidget(dialog)
    assert [dialog.table.item(r, 0).text() for r in range(2)] == ["Herfstvakantie",
                                                                  "Kerstvakantie"]
    form = dialog.period_dialog(1)
    qtbot.addWidget(form)
    form.changed.connect(dialog._saved)
    form.last.setDate(qd(D(2027, 1, 4)))
    form.accept()
    assert calendar.school_calendar().periods[1].last == D(2027, 1, 4)
    from PySide6.QtWidgets import QMessageBox

    monkeypatch.setattr(QMessageBox, "question",
                        staticmethod(lambda *a, **k: QMessageBox.StandardButton.Yes))
    dialog.table.selectRow(0)
    dialog.remove_period()
    assert [p.label for p in calendar.school_calendar().periods] == ["Kerstvakantie"]


def test_public_holidays_of_the_school_year(db, qtbot, qt_dutch):
    days = dict(holidays_in_school_year(2026))
    assert D(2026, 12, 25) in days and D(2027, 4, 27) in days  # Koningsdag on a Tuesday
    assert D(2027, 3, 29) in days  # Easter Monday 2027
    assert all(d.weekday() < 5 for d in days)
    assert all(D(2026, 8, 1) <= d <= D(2027, 7, 31) for d in days)
    setup = make_case()
    dialog = CalendarDialog(setup.actor)
    qtbot.addWidget(dialog)
    dialog.year.setCurrentIndex(dialog.year.findData(2026))
    texts = [dialog.holidays.item(i).text() for i in range(dialog.holidays.count())]
    assert any("Eerste kerstdag" in t for t in texts) and len(texts) == len(days)


def test_beheer_has_the_school_calendar(db, db_path, qtbot, qt_dutch):
    from pestdesk.gui.admin.view import AdminView

    view = AdminView(db_path)
    qtbot.addWidget(view)
    with qtbot.waitSignal(view.school_calendar, timeout=1000):
        view.calendar_button.click()
