"""Shared set-up for the GUI tests: a real demo school, students made for a test, opening a
case window, modal-dialog driving and optional screenshots (PESTDESK_SHOTS=folder)."""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QDialog

from pestdesk import clock
from pestdesk.gui.case.view import CaseView
from pestdesk.services import accounts, cases
from pestdesk.services.demo import generate_demo
from pestdesk.services.people import sort_name_for
from pestdesk.store.models import SchoolClass, Student


def demo_school(students: int = 80) -> object:
    """A demo school (one year, seed 1) up to today; returns the zorgcoordinator's actor."""
    generate_demo(students=students, years=1, seed=1, today=clock.today())
    return accounts.demo_actor("zorg")


FIRST_NAMES = ("Anouk", "Bram", "Cas", "Daan", "Eva", "Fenna", "Gijs", "Hugo", "Ilse")


def fresh_students(n: int) -> list[Student]:
    """``n`` new students, made for the test in a class of their own that no mentor of the
    demo teaches (so who may see their cases is decided by rule, not by the demo's luck),
    each with a unique ASCII name (QTest types ASCII only, and a unique name makes the first
    match the right one)."""
    klass, _ = SchoolClass.get_or_create(name="T9", defaults={"leerjaar": 2,
                                                                "department": "onderbouw"})
    made = Student.select().where(Student.number.startswith("T9-")).count()
    students = []
    for i in range(made, made + n):
        first = FIRST_NAMES[i % len(FIRST_NAMES)]
        last = "Proefmaker" + _letters(i)
        students.append(Student.create(
            number=f"T9-{i:04d}", first_name=first, last_name=last,
            birth_date=clock.today().replace(day=1) - dt.timedelta(days=365 * 13),
            school_class=klass, sort_name=sort_name_for(first, "", last)))
    return students


def _letters(i: int) -> str:
    """0 -> "aa", 1 -> "ab", ...: a unique, letters-only suffix (digits would not type)."""
    return chr(ord("a") + i // 26) + chr(ord("a") + i % 26)


def new_case(actor, victim: Student, pester: Student, forms=("woorden",),
             locations=("klas",)) -> int:
    data = cases.ReportInput(
        reported_on=clock.today(), summary="Uitschelden in de klas",
        description="Wordt al weken uitgescholden.", reporter_kind="gepeste",
        forms=tuple(forms), locations=tuple(locations),
        involved=(cases.InvolvedInput(victim.id, "gepeste"),
                  cases.InvolvedInput(pester.id, "pester")))
    return cases.register_report(actor, data).id


def when_modal(handler: Callable[[QDialog], None], tries: int = 200,
               kind: type = QDialog) -> list:
    """Run ``handler(dialog)`` on the next modal dialog (of class ``kind``: a nested dialog
    opened from another); the dialog is closed afterwards whatever happens, and an
    assertion error is kept in the returned list (re-raise it with ``check``) instead of
    hanging the test."""
    errors: list = []

    def run(left: int = tries) -> None:
        dialog = QApplication.activeModalWidget()
        if not isinstance(dialog, kind):
            if left:
                QTimer.singleShot(10, lambda: run(left - 1))
            else:
                errors.append(AssertionError(f"no {kind.__name__} appeared"))
            return
        try:
            handler(dialog)
        except BaseException as exc:  # noqa: BLE001 - handed back to the test
            errors.append(exc)
        finally:
            if dialog.isVisible():
                dialog.reject()

    QTimer.singleShot(0, run)
    return errors


def check(errors: list) -> None:
    if errors:
        raise errors[0]


PNG = (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x02\x00\x00"
       b"\x00\x90wS\xde\x00\x00\x00\x0cIDATx\x9cc\xf8\xcf\xc0\x00\x00\x03\x01\x01\x00\xc9\xfe"
       b"\x92\xef\x00\x00\x00\x00IEND\xaeB`\x82")


def open_view(qtbot, actor, case_id) -> CaseView:
    view = CaseView(actor, case_id)
    qtbot.addWidget(view)
    view.resize(1280, 800)
    view.show()
    qtbot.waitExposed(view)
    return view


SHOTS = os.environ.get("PESTDESK_SHOTS")  # folder for screenshots, when set


def shot(widget, name: str) -> None:
    if SHOTS:
        widget.grab().save(os.path.join(SHOTS, f"{name}.png"))
