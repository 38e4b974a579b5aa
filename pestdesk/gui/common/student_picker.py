"""Type-to-find pickers: a student by name, number or class, and a staff member.

``StudentPicker`` is a line edit whose completer is filled from one SQL query per keystroke
(``people.find_students`` with a LIMIT, need-to-know applied for the actor): the
student table is never loaded as a whole. Enter takes the highlighted (or the first) match.
``StaffCombo`` is a searchable combo box over the active staff (a short, bounded list).
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QStringListModel, Qt, Signal
from PySide6.QtWidgets import QComboBox, QCompleter, QLineEdit, QWidget

from pestdesk.gui.common.limits import exempt
from pestdesk.i18n import _
from pestdesk.services import people
from pestdesk.services import staff as staff_service
from pestdesk.services.base import Actor

#: matches shown while typing (enough to pick from; refine by typing more)
LIMIT = 15


def student_label(first: str, tussenvoegsel: str, last: str, number: str,
                  class_name: str) -> str:
    """'Bram Bakker (2B, 123456)': a name alone is not unique in a school."""
    name = " ".join(p for p in (first, tussenvoegsel, last) if p)
    detail = ", ".join(p for p in (class_name, number) if p)
    return f"{name} ({detail})" if detail else name


class StudentPicker(QLineEdit):
    """Type part of a name, a student number or a class; pick from the popup.

    Emits ``picked(student_id, label)``; ``student_id`` is None until a student is chosen
    and again as soon as the text is edited.
    """

    picked = Signal(int, str)
    searched = Signal(str, int)  # the text searched for and how many were found
    confirmed = Signal()  # Enter again on a chosen student (a form adds it; never 'Save')

    def __init__(self, actor: Actor, parent: QWidget | None = None,
                 include_left: bool = False, to_report: bool = False) -> None:
        super().__init__(parent)
        self.actor = actor
        self.include_left = include_left
        self.to_report = to_report  # every current student may be named in a report
        self.student_id: int | None = None
        self.exclude: set[int] = set()
        self._ids: dict[str, int] = {}
        self.setPlaceholderText(_("Type a name, student number or class…"))
        self.setClearButtonEnabled(True)
        exempt(self, "finds a student; only the choice is saved")
        self._model = QStringListModel(self)
        completer = QCompleter(self._model, self)
        completer.setCompletionMode(QCompleter.CompletionMode.UnfilteredPopupCompletion)
        completer.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        completer.setMaxVisibleItems(LIMIT)
        completer.activated[str].connect(self._choose_label)
        self.setCompleter(completer)
        completer.popup().installEventFilter(self)
        self.textEdited.connect(self._search)
        self.returnPressed.connect(self.choose_first)

    # -- searching ---------------------------------------------------------------------
    def matches(self) -> list[str]:
        return self._model.stringList()

    def _search(self, text: str) -> None:
        self.student_id = None
        text = text.strip()
        labels: list[str] = []
        self._ids = {}
        if text:
            found = people.find_students(
                text, include_left=self.include_left, actor=self.actor, exclude=self.exclude,
                to_report=self.to_report, limit=LIMIT)
            for student in found:
                label = student_label(student.first_name, student.tussenvoegsel,
                                      student.last_name, student.number, student.class_name)
                self._ids[label] = student.id
                labels.append(label)
        self._model.setStringList(labels)
        self.searched.emit(text, len(labels))
        completer = self.completer()
        if labels:
            completer.complete()  # nothing highlighted: Enter takes the first match
        else:
            completer.popup().hide()

    def eventFilter(self, watched, event) -> bool:  # noqa: N802
        # Enter on the popup without a highlighted row: take the first match
        if (event.type() == QEvent.Type.KeyPress
                and event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter)
                and watched is self.completer().popup()
                and not watched.currentIndex().isValid()):
            self.choose_first()
            watched.hide()
            return True
        return super().eventFilter(watched, event)

    def keyPressEvent(self, event) -> None:  # noqa: N802
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and (
                self.student_id is not None or not self.text().strip()):
            # a student is chosen (or nothing typed): Enter is for this field, it must not
            # reach the dialog's default button and save a half-filled form
            event.accept()
            if self.student_id is not None:
                self.confirmed.emit()
            return
        # QLineEdit leaves Enter to a visible completer popup; take the highlighted match
        # (or the first) ourselves so Enter works whichever widget has the key
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and self.student_id is None:
            popup = self.completer().popup()
            index = popup.currentIndex() if popup.isVisible() else None
            if index is not None and index.isValid():
                self._choose_label(index.data())
            else:
                self.choose_first()
            event.accept()  # found or not: Enter stays in this field
            return
        super().keyPressEvent(event)

    # -- choosing ----------------------------------------------------------------------
    def choose_first(self) -> None:
        if self.student_id is None and self.matches():
            self._choose_label(self.matches()[0])

    def _choose_label(self, label: str) -> None:
        student_id = self._ids.get(label)
        if student_id is None:
            return
        self.student_id = student_id
        self.setText(label)
        self.completer().popup().hide()
        self.picked.emit(student_id, label)

    def reset(self) -> None:
        self.student_id = None
        self.clear()
        self._model.setStringList([])


class StaffCombo(QComboBox):
    """Pick a staff member by typing part of the name or the code; ``staff_id()``."""

    def __init__(self, parent: QWidget | None = None, allow_none: bool = True,
                 none_text: str | None = None,
                 choices: list[tuple[int, str, str]] | None = None) -> None:
        super().__init__(parent)
        self.setEditable(True)
        self.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        self._none = (none_text if none_text is not None else _("(nobody)")) if allow_none \
            else None
        self.set_choices(staff_service.active_staff() if choices is None else choices)
        completer = self.completer()
        completer.setFilterMode(Qt.MatchFlag.MatchContains)
        completer.setCompletionMode(QCompleter.CompletionMode.PopupCompletion)
        self.lineEdit().setPlaceholderText(_("Type a name…"))
        exempt(self.lineEdit(), "finds a staff member; only the choice is saved")

    def set_choices(self, choices: list[tuple[int, str, str]]) -> None:
        """Offer only these staff members (id, code, name); keeps the choice if still there."""
        current = self.staff_id() if self.count() else None
        self.blockSignals(True)
        self.clear()
        if self._none is not None:
            self.addItem(self._none, None)
        for staff_id, code, name in choices:
            self.addItem(f"{name} ({code})", staff_id)
        self.blockSignals(False)
        index = self.findData(current) if current is not None else -1
        self.setCurrentIndex(max(index, 0))

    def staff_id(self) -> int | None:
        index = self.findText(self.currentText(), Qt.MatchFlag.MatchExactly)
        return self.itemData(index) if index >= 0 else None

    def set_staff(self, staff_id: int | None) -> None:
        index = self.findData(staff_id)
        if index >= 0:
            self.setCurrentIndex(index)
