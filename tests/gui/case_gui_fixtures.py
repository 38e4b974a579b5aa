"""Shared set-up for the case screen tests: a real demo school and modal-dialog driving."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QDialog

from pestdesk.services import accounts, cases
from pestdesk.services.demo import generate_demo
from pestdesk.store.models import Involvement, Student


def demo_school(students: int = 80) -> object:
    """A demo school (one year, seed 1) up to today; returns the zorgcoordinator's actor."""
    generate_demo(students=students, years=1, seed=1, today=dt.date.today())
    return accounts.demo_actor("zorg")


def fresh_students(n: int) -> list[Student]:
    """Students in no case yet, with an ASCII name that is unique in the school (QTest
    types ASCII only, and a unique name makes the first match the right one)."""
    involved = Involvement.select(Involvement.student)
    found = []
    query = (Student.select().where(Student.id.not_in(involved) & Student.left_on.is_null())
             .order_by(Student.id))
    for student in query:
        name = f"{student.first_name} {student.last_name}"
        if not name.isascii() or student.tussenvoegsel:
            continue
        same = Student.select().where((Student.first_name == student.first_name)
                                      & (Student.last_name == student.last_name)).count()
        if same == 1:
            found.append(student)
        if len(found) == n:
            return found
    raise AssertionError("not enough fresh students in the demo school")


def new_case(actor, victim: Student, pester: Student, forms=("woorden",),
             locations=("klas",)) -> int:
    data = cases.ReportInput(
        reported_on=dt.date.today(), summary="Uitschelden in de klas",
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
