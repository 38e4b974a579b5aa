"""Shared dialog helpers: dates in and out of Qt, text boxes, the save dialog
every editing dialog builds on, and the conflict and error handling they share."""

from __future__ import annotations

import datetime as dt

from PySide6.QtCore import QDate, Signal
from PySide6.QtWidgets import (
    QDateEdit,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QPlainTextEdit,
    QVBoxLayout,
    QWidget,
)

from pestdesk import clock
from pestdesk.gui.common import ops
from pestdesk.gui.common.limits import limit
from pestdesk.gui.common.widgets import ShowsErrors, error_label
from pestdesk.services.base import Actor, Conflict

error_text = ops.error_text  # the user-facing message of a refusal (one place: gui.common.ops)


def qdate(value: dt.date | None) -> QDate:
    value = value or clock.today()
    return QDate(value.year, value.month, value.day)


def pydate(edit: QDateEdit) -> dt.date:
    d = edit.date()
    return dt.date(d.year(), d.month(), d.day())


class DateEdit(QDateEdit):
    """A date field that Tab leaves (Qt's steps through day, month and year instead);
    the sections are reached with the arrow keys or by typing."""

    def focusNextPrevChild(self, forward: bool) -> bool:  # noqa: N802
        return QWidget.focusNextPrevChild(self, forward)


def date_edit(value: dt.date | None = None, latest_today: bool = True) -> QDateEdit:
    edit = DateEdit(qdate(value))
    edit.setCalendarPopup(True)
    edit.setDisplayFormat("d-M-yyyy")
    if latest_today:
        edit.setMaximumDate(qdate(clock.today()))
    return edit


def text_box(lines: int = 3, placeholder: str = "",
             field: tuple[str, str] | None = None) -> QPlainTextEdit:
    """A multi-line text input; ``field`` (table, field) gives it that field's length."""
    box = QPlainTextEdit()
    if field is not None:
        limit(box, *field)
    box.setTabChangesFocus(True)  # keyboard-first: Tab leaves the box
    box.setPlaceholderText(placeholder)
    box.setMinimumHeight(box.fontMetrics().lineSpacing() * lines + 14)
    return box


class SaveDialog(ShowsErrors, QDialog):
    """A form with an inline error line and Save/Cancel; subclasses give ``save()``.

    ``save()`` reads the form (on the GUI thread) and returns the service call to make,
    usually a ``functools.partial``; ``accept()`` runs that call through ``gui.common.ops`` (off
    the GUI thread, errors to the one handler, what changed announced with ``changes()``).
    A ``save()`` that does its work itself and returns a value still works."""

    changed = Signal()
    touches: tuple[str, ...] = ()  # parts of the case window a save changes (all when empty)

    def __init__(self, actor: Actor, title: str, parent: QWidget | None = None,
                 save_text: str | None = None) -> None:
        super().__init__(parent)
        self.actor = actor
        self.setWindowTitle(title)
        self.outer = QVBoxLayout(self)
        self.form = QFormLayout()
        self.form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.ExpandingFieldsGrow)
        self.form.setRowWrapPolicy(QFormLayout.RowWrapPolicy.DontWrapRows)
        self.outer.addLayout(self.form)
        self.error = error_label(hidden=True)
        self.outer.addWidget(self.error)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save
                                        | QDialogButtonBox.StandardButton.Cancel)
        if save_text:
            self.buttons.button(QDialogButtonBox.StandardButton.Save).setText(save_text)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        self.outer.addWidget(self.buttons)
        self.setMinimumWidth(520)

    def save(self):  # pragma: no cover - abstract
        raise NotImplementedError

    def conflict_values(self) -> dict:
        """What this dialog tried to store (for the conflict dialog)."""
        return {}

    def after_conflict(self, exc: Conflict) -> None:
        """Take the stored version after a reload (override where a version is kept)."""

    def changes(self) -> ops.Changes:
        return ops.Changes.case(getattr(self, "case_id", None), *self.touches)

    def _conflict(self, exc: Conflict, choice) -> None:
        if choice.reload:
            self.after_conflict(exc)
            self.changed.emit()
            ops.bus.changed.emit(self.changes())

    def _refused(self, exc: BaseException) -> None:
        ops.handle_error(self, exc, show=self.show_error, on_conflict=self._conflict,
                         mine=self.conflict_values())

    def accept(self) -> None:
        try:
            work = self.save()  # reads the form here, on the GUI thread
        except Exception as exc:  # noqa: BLE001 - every kind goes to the one handler
            self._refused(exc)
            return
        if callable(work):
            op = (ops.Op(self, work, changes=self.changes()).errors_to(self.show_error)
                  .on_conflict(self._conflict, self.conflict_values))
            if not op.run():
                return
        self.changed.emit()
        QDialog.accept(self)
