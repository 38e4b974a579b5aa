"""Nieuwe melding (Ctrl+N) and Nieuw signaal: register a report of bullying.

A melding asks what the protocol needs to start: when and by whom it was reported and how,
what happened, where, since when and how often, within one class or across classes, the
forms of bullying (grouped checkboxes from the taxonomy) and the students with their roles,
found by typing. A teacher's signaal asks only the date, what was noticed and (optionally)
the students; it can be made a case later. Everything is saved by ``services.cases`` in one
transaction; refusals come back as Dutch messages next to the form, nothing half-saved.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from ..domain.taxonomy import CASE_ROLES, CYBER_FORMS, FORMS, LOCATIONS, REPORTER_KINDS
from ..i18n import N_, _
from ..services import cases
from ..services.base import Actor, ServiceError
from ..store.errors import StoreError
from .case_dialogs import date_edit, error_text, pydate, role_combo, text_box
from .student_picker import StaffCombo, StudentPicker
from .widgets import error_label

#: how a report came in (free text in the database; these are suggestions)
VIA = (N_("in person"), N_("by phone"), N_("by e-mail"), N_("by letter"),
       N_("via the student system"), N_("via the confidential counsellor"))
#: how often (free text; suggestions)
FREQUENCY = (N_("once"), N_("a few times"), N_("weekly"), N_("several times a week"),
             N_("daily"))
#: the forms of bullying, grouped as the protocols present them
FORM_GROUPS = (
    (N_("Bullying"), ("woorden", "lichamelijk", "achtervolgen", "uitsluiting",
                      "stelen_vernielen", "afpersing")),
    (N_("Cyberbullying"), ("haatmail", "beeldpesten", "stalking", "grooming", "sexting",
                           "hacken")),
    (N_("Discrimination"), ("discriminatie",)),
)
SCOPE_LABELS = {"": N_("(not known)"), "one_class": N_("within one class"),
                "across_classes": N_("across classes")}


class InvolvedTable(QWidget):
    """The students of the report: type to find, choose a role, add; remove with Delete."""

    def __init__(self, actor: Actor, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.rows: list[tuple[int, str, str]] = []  # (student id, label, role)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        add_row = QHBoxLayout()
        self.picker = StudentPicker(actor)
        self.role = role_combo("gepeste")
        self.add_button = QPushButton(_("&Add"))
        self.add_button.clicked.connect(self.add_current)
        self.picker.picked.connect(lambda _id, _label: self.role.setFocus())
        add_row.addWidget(self.picker, 1)
        add_row.addWidget(self.role)
        add_row.addWidget(self.add_button)
        layout.addLayout(add_row)
        self.table = QTableWidget(0, 2)
        self.table.setHorizontalHeaderLabels([_("Student"), _("Role")])
        self.table.verticalHeader().hide()
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.table.horizontalHeader().setSectionResizeMode(
            1, QHeaderView.ResizeMode.ResizeToContents)
        self.table.setMinimumHeight(110)
        layout.addWidget(self.table, 1)
        self.remove_button = QPushButton(_("&Remove selected"))
        self.remove_button.clicked.connect(self.remove_selected)
        layout.addWidget(self.remove_button, 0, Qt.AlignmentFlag.AlignRight)

    def add_current(self) -> bool:
        if self.picker.student_id is None:
            self.picker.choose_first()
        student_id = self.picker.student_id
        if student_id is None:
            self.picker.setFocus()
            return False
        role = self.role.currentData()
        self.rows.append((student_id, self.picker.text(), role))
        self.picker.exclude.add(student_id)
        row = self.table.rowCount()
        self.table.insertRow(row)
        self.table.setItem(row, 0, QTableWidgetItem(self.picker.text()))
        self.table.setItem(row, 1, QTableWidgetItem(_(CASE_ROLES[role])))
        self.picker.reset()
        self.picker.setFocus()
        return True

    def remove_selected(self) -> None:
        for row in sorted({i.row() for i in self.table.selectedIndexes()}, reverse=True):
            student_id = self.rows.pop(row)[0]
            self.picker.exclude.discard(student_id)
            self.table.removeRow(row)

    def involved(self) -> tuple[cases.InvolvedInput, ...]:
        return tuple(cases.InvolvedInput(sid, role) for sid, _label, role in self.rows)


class ReportDialog(QDialog):
    """Nieuwe melding, or (``signal=True``) a quick signaal. ``saved(case_id)``."""

    saved = Signal(int)

    def __init__(self, actor: Actor, parent: QWidget | None = None, signal: bool = False):
        super().__init__(parent)
        self.actor = actor
        self.signal = signal
        self.case_id: int | None = None
        self.setWindowTitle(_("New signal") if signal else _("New report"))
        outer = QVBoxLayout(self)
        intro = QLabel(_(
            "A signal is a quick note of something you noticed. The care team can make it "
            "a case later.") if signal else _(
            "Register what was reported. Only the date and a victim (or a description) are "
            "required; fill in what you know."))
        intro.setWordWrap(True)
        intro.setStyleSheet("color: #444;")
        outer.addWidget(intro)
        columns = QHBoxLayout()
        columns.setSpacing(18)
        outer.addLayout(columns, 1)
        columns.addWidget(self._report_box(), 1)
        if not signal:
            right = QVBoxLayout()
            right.addWidget(self._forms_box())
            right.addWidget(self._students_box(), 1)
            columns.addLayout(right, 1)
        else:
            self.report_form.addRow(self._students_box())
        self.error = error_label(hidden=True)
        outer.addWidget(self.error)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save
                                        | QDialogButtonBox.StandardButton.Cancel)
        self.buttons.button(QDialogButtonBox.StandardButton.Save).setText(
            _("Save signal") if signal else _("Save report"))
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        outer.addWidget(self.buttons)
        self._tab_order()
        self.resize(760, 560) if signal else self.resize(1180, 720)
        self.date.setFocus()

    # -- building ----------------------------------------------------------------------
    def _report_box(self) -> QGroupBox:
        box = QGroupBox(_("What was noticed") if self.signal else _("The report"))
        column = QVBoxLayout(box)
        form = QFormLayout()
        column.addLayout(form)
        column.addStretch(1)
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.ExpandingFieldsGrow)
        form.setVerticalSpacing(8)
        self.report_form = form
        self.date = date_edit()
        form.addRow(_("&Date"), self.date)
        self.summary = QLineEdit()
        self.summary.setMaxLength(255)
        self.summary.setPlaceholderText(_("In a few words, e.g. 'Name-calling in the class app'"))
        form.addRow(_("&Summary"), self.summary)
        self.description = text_box(4 if self.signal else 5,
                                    _("What happened? Facts: who, what, when."))
        if not self.signal:
            self.description.setMaximumHeight(self.description.minimumHeight() + 40)
        form.addRow(_("What &happened"), self.description)
        if self.signal:
            return box
        self.reporter = QComboBox()
        self.reporter.addItem(_("(choose)"), "")
        for code, label in REPORTER_KINDS.items():
            self.reporter.addItem(_(label), code)
        form.addRow(_("&Reported by"), self.reporter)
        self.via = QComboBox()
        self.via.setEditable(True)
        self.via.addItem("")
        for label in VIA:
            self.via.addItem(_(label))
        form.addRow(_("Reported &how"), self.via)
        where = QWidget()
        grid = QGridLayout(where)
        grid.setContentsMargins(0, 0, 0, 0)
        self.locations: dict[str, QCheckBox] = {}
        for i, (code, label) in enumerate(LOCATIONS.items()):
            check = QCheckBox(_(label))
            self.locations[code] = check
            grid.addWidget(check, i // 2, i % 2)
        form.addRow(_("Where"), where)
        self.since = QLineEdit()
        self.since.setPlaceholderText(_("e.g. since the autumn holiday"))
        form.addRow(_("Since &when"), self.since)
        self.frequency = QComboBox()
        self.frequency.setEditable(True)
        self.frequency.addItem("")
        for label in FREQUENCY:
            self.frequency.addItem(_(label))
        form.addRow(_("How &often"), self.frequency)
        self.scope = QComboBox()
        for code, label in SCOPE_LABELS.items():
            self.scope.addItem(_(label), code)
        form.addRow(_("Scope"), self.scope)
        self.owner = StaffCombo(none_text=_("(me)"))
        form.addRow(_("Case &owner"), self.owner)
        return box

    def _forms_box(self) -> QGroupBox:
        box = QGroupBox(_("Forms of bullying"))
        outer = QVBoxLayout(box)
        layout = QHBoxLayout()
        layout.setSpacing(16)
        outer.addLayout(layout)
        self.forms: dict[str, QCheckBox] = {}
        for title, codes in FORM_GROUPS:
            column = QVBoxLayout()
            head = QLabel(f"<b>{_(title)}</b>")
            column.addWidget(head)
            for code in codes:
                check = QCheckBox(_(FORMS[code]))
                check.setToolTip(_(FORMS[code]))
                self.forms[code] = check
                column.addWidget(check)
            column.addStretch(1)
            layout.addLayout(column)
        self.cyber_hint = QLabel()
        self.cyber_hint.setWordWrap(True)
        self.cyber_hint.setStyleSheet("color: #7a4b00;")
        outer.addWidget(self.cyber_hint)
        for check in self.forms.values():
            check.toggled.connect(self._update_cyber_hint)
        return box

    def _students_box(self) -> QGroupBox:
        box = QGroupBox(_("Students involved"))
        layout = QVBoxLayout(box)
        self.students = InvolvedTable(self.actor)
        layout.addWidget(self.students)
        return box

    def _tab_order(self) -> None:
        chain: list[QWidget] = [self.date, self.summary, self.description]
        if not self.signal:
            chain += [self.reporter, self.via, *self.locations.values(), self.since,
                      self.frequency, self.scope, self.owner, *self.forms.values()]
        chain += [self.students.picker, self.students.role, self.students.add_button,
                  self.students.table, self.students.remove_button, self.buttons]
        for first, second in zip(chain, chain[1:], strict=False):
            QWidget.setTabOrder(first, second)

    def _update_cyber_hint(self) -> None:
        chosen = {c for c, check in self.forms.items() if check.isChecked()}
        self.cyber_hint.setText(_("Cyberbullying: the case gets the cyber checklist.")
                                if chosen & CYBER_FORMS else "")

    # -- saving ------------------------------------------------------------------------
    def report_input(self) -> cases.ReportInput:
        return cases.ReportInput(
            reported_on=pydate(self.date),
            summary=self.summary.text(),
            description=self.description.toPlainText(),
            reporter_kind=self.reporter.currentData() or "",
            reported_via=self.via.currentText(),
            locations=tuple(c for c, check in self.locations.items() if check.isChecked()),
            since=self.since.text(),
            frequency=self.frequency.currentText(),
            scope=self.scope.currentData() or "",
            forms=tuple(c for c, check in self.forms.items() if check.isChecked()),
            involved=self.students.involved(),
            owner_id=self.owner.staff_id(),
        )

    def _pending_student(self) -> bool:
        """A student typed and picked but not added yet: add it rather than lose it."""
        picker = self.students.picker
        if picker.student_id is not None:
            return self.students.add_current()
        return not picker.text().strip()

    def save(self) -> int:
        if self.signal:
            case = cases.record_signal(self.actor, pydate(self.date), self.summary.text(),
                                       self.description.toPlainText(),
                                       self.students.involved())
        else:
            case = cases.register_report(self.actor, self.report_input())
        return case.id

    def accept(self) -> None:
        if not self._pending_student():
            self.show_error(_("Pick the student from the list (type part of the name), or "
                              "clear the field."))
            self.students.picker.setFocus()
            return
        try:
            self.case_id = self.save()
        except cases.ValidationError as exc:
            self.show_error(error_text(exc))
            self._focus_problem(exc.problems)
            return
        except (ServiceError, StoreError) as exc:
            self.show_error(error_text(exc))
            return
        except Exception:  # never lose the typed report silently
            QMessageBox.critical(self, self.windowTitle(),
                                 _("The report could not be saved; nothing was stored."))
            return
        self.saved.emit(self.case_id)
        super().accept()

    def show_error(self, message: str) -> None:
        self.error.setText(message)
        self.error.setVisible(bool(message))

    def _focus_problem(self, problems: dict[str, str]) -> None:
        widgets = {"reported_on": self.date, "summary": self.summary,
                   "involved": self.students.picker, "description": self.description}
        for key in problems:
            if key in widgets:
                widgets[key].setFocus()
                return
