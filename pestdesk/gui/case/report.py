"""Nieuwe melding (Ctrl+N) and Nieuw signaal: register a report of bullying.

A melding asks what the protocol needs to start: when and by whom it was reported and how,
what happened, where, since when and how often, within one class or across classes, the
forms of bullying (grouped checkboxes from the taxonomy) and the students with their roles,
found by typing. A teacher's signaal asks only the date, what was noticed and (optionally)
the students; it can be made a case later. Everything is saved by ``services.cases`` in one
transaction; refusals come back as Dutch messages next to the form, nothing half-saved.

The report's own fields (everything but the students) are one widget, ``ReportForm``, which
the case window's "Gegevens wijzigen" dialog (``gui.case.edit_dialog``) uses as well.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from functools import partial

from PySide6.QtCore import QEvent, Qt, Signal
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
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from pestdesk.domain.taxonomy import CASE_ROLES, CYBER_FORMS, FORMS, LOCATIONS, REPORTER_KINDS
from pestdesk.gui.case.dialogs import role_combo
from pestdesk.gui.common import ops
from pestdesk.gui.common.dialogs import date_edit, error_text, pydate, qdate, text_box
from pestdesk.gui.common.limits import limit
from pestdesk.gui.common.student_picker import StaffCombo, StudentPicker
from pestdesk.gui.common.widgets import ShowsErrors, error_label
from pestdesk.i18n import N_, _
from pestdesk.services import cases
from pestdesk.services.base import Actor

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


def no_student_message(text: str) -> str:
    if not text:
        return _("Type a name, student number or class first, then choose a student.")
    return _("No current student matches \"{text}\". Check the spelling, or type the "
             "student number or the class.").format(text=text)


class InvolvedTable(QWidget):
    """The students of the report: type to find, choose a role, add; remove with Delete."""

    def __init__(self, actor: Actor, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.rows: list[tuple[int, str, str]] = []  # (student id, label, role)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        add_row = QHBoxLayout()
        self.picker = StudentPicker(actor, to_report=True)
        self.role = role_combo("gepeste")
        self.add_button = QPushButton(_("&Add"))
        self.add_button.clicked.connect(self.add_current)
        self.picker.picked.connect(lambda _id, _label: self.role.setFocus())
        self.picker.confirmed.connect(self.add_current)
        self.role.installEventFilter(self)  # Enter on the role adds the student
        add_row.addWidget(self.picker, 1)
        add_row.addWidget(self.role)
        add_row.addWidget(self.add_button)
        layout.addLayout(add_row)
        self.not_found = error_label(hidden=True)
        self.picker.searched.connect(self._show_search_result)
        layout.addWidget(self.not_found)
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

    def _show_search_result(self, text: str, found: int) -> None:
        self.not_found.setText(no_student_message(text) if text and not found else "")
        self.not_found.setVisible(bool(text) and not found)

    def eventFilter(self, watched, event) -> bool:  # noqa: N802
        if (watched is self.role and event.type() == QEvent.Type.KeyPress
                and event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter)
                and self.picker.student_id is not None):
            self.add_current()
            return True
        return super().eventFilter(watched, event)

    def preset(self, student_id: int, label: str, role: str = "gepeste") -> None:
        """Start with this student in the list (a report from a student's card)."""
        self.picker.student_id = student_id
        self.picker.setText(label)
        self.role.setCurrentIndex(max(0, self.role.findData(role)))
        self.add_current()

    def add_current(self) -> bool:
        if self.picker.student_id is None:
            self.picker.choose_first()
        student_id = self.picker.student_id
        if student_id is None:
            self.not_found.setText(no_student_message(self.picker.text().strip()))
            self.not_found.setVisible(True)
            self.picker.setFocus()
            return False
        self.not_found.setVisible(False)
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


#: the fields of ``ReportForm.values()`` (the keyword names of ``cases.update_case``)
REPORT_FIELDS = ("reported_on", "reporter_kind", "reported_via", "summary", "description",
                 "locations", "since", "frequency", "scope", "forms")
SIGNAL_FIELDS = ("reported_on", "summary", "description")


class ReportForm(QWidget):
    """The report's own fields: a "report" box (date, summary, what happened, who reported
    and how, where, since when, how often, scope, optionally the owner) and, for a melding,
    the forms of bullying beside it. ``right`` is the column under the forms where a dialog
    may add more (the students); for a signal ``report_form`` takes them instead.

    ``values()`` gives the fields as ``cases.update_case`` names them; ``set_values()`` fills
    them from such a mapping (``cases.case_detail`` uses the same keys).
    """

    def __init__(self, signal: bool = False, with_owner: bool = True,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.signal = signal
        self.with_owner = with_owner and not signal
        columns = QHBoxLayout(self)
        columns.setContentsMargins(0, 0, 0, 0)
        columns.setSpacing(18)
        self.report_box = self._report_box()
        columns.addWidget(self.report_box, 1)
        self.right: QVBoxLayout | None = None
        self.forms: dict[str, QCheckBox] = {}
        if not signal:
            self.right = QVBoxLayout()
            self.forms_box = self._forms_box()
            self.right.addWidget(self.forms_box)
            columns.addLayout(self.right, 1)

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
        self.summary = limit(QLineEdit(), "case", "summary")
        self.summary.setPlaceholderText(_("In a few words, e.g. 'Name-calling in the class app'"))
        form.addRow(_("&Summary"), self.summary)
        self.description = text_box(4 if self.signal else 5,
                                    _("What happened? Facts: who, what, when."),
                                    ("case", "description"))
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
        limit(self.via.lineEdit(), "case", "reported_via")
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
        self.where = where
        form.addRow(_("Where"), where)
        self.since = limit(QLineEdit(), "case", "since")
        self.since.setPlaceholderText(_("e.g. since the autumn holiday"))
        form.addRow(_("Since &when"), self.since)
        self.frequency = QComboBox()
        self.frequency.setEditable(True)
        limit(self.frequency.lineEdit(), "case", "frequency")
        self.frequency.addItem("")
        for label in FREQUENCY:
            self.frequency.addItem(_(label))
        form.addRow(_("How &often"), self.frequency)
        self.scope = QComboBox()
        for code, label in SCOPE_LABELS.items():
            self.scope.addItem(_(label), code)
        form.addRow(_("Scope"), self.scope)
        if self.with_owner:
            self.owner = StaffCombo(none_text=_("(me)"))
            form.addRow(_("Case &owner"), self.owner)
        return box

    def _forms_box(self) -> QGroupBox:
        box = QGroupBox(_("Forms of bullying"))
        outer = QVBoxLayout(box)
        layout = QHBoxLayout()
        layout.setSpacing(16)
        outer.addLayout(layout)
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

    def _update_cyber_hint(self) -> None:
        chosen = {c for c, check in self.forms.items() if check.isChecked()}
        self.cyber_hint.setText(_("Cyberbullying: the case gets the cyber checklist.")
                                if chosen & CYBER_FORMS else "")

    def tab_chain(self) -> list[QWidget]:
        """The fields in the order Tab should visit them."""
        chain: list[QWidget] = [self.date, self.summary, self.description]
        if not self.signal:
            chain += [self.reporter, self.via, *self.locations.values(), self.since,
                      self.frequency, self.scope]
            if self.with_owner:
                chain.append(self.owner)
            chain += list(self.forms.values())
        return chain

    # -- values ------------------------------------------------------------------------
    def fields(self) -> tuple[str, ...]:
        return SIGNAL_FIELDS if self.signal else REPORT_FIELDS

    def values(self) -> dict:
        """The fields as ``cases.update_case`` takes them (codes as tuples)."""
        values: dict = {"reported_on": pydate(self.date), "summary": self.summary.text(),
                        "description": self.description.toPlainText()}
        if self.signal:
            return values
        values.update(
            reporter_kind=self.reporter.currentData() or "",
            reported_via=self.via.currentText(),
            locations=tuple(c for c, check in self.locations.items() if check.isChecked()),
            since=self.since.text(),
            frequency=self.frequency.currentText(),
            scope=self.scope.currentData() or "",
            forms=tuple(c for c, check in self.forms.items() if check.isChecked()),
        )
        return values

    def set_values(self, values: Mapping) -> None:
        """Fill the fields from ``values`` (keys as in ``values()``; missing keys stay)."""
        if "reported_on" in values:
            self.date.setDate(qdate(values["reported_on"]))
        if "summary" in values:
            self.summary.setText(values["summary"] or "")
        if "description" in values:
            self.description.setPlainText(values["description"] or "")
        if self.signal:
            return
        if "reporter_kind" in values:
            self.reporter.setCurrentIndex(max(0, self.reporter.findData(
                values["reporter_kind"] or "")))
        if "reported_via" in values:
            self.via.setCurrentText(values["reported_via"] or "")
        if "since" in values:
            self.since.setText(values["since"] or "")
        if "frequency" in values:
            self.frequency.setCurrentText(values["frequency"] or "")
        if "scope" in values:
            self.scope.setCurrentIndex(max(0, self.scope.findData(values["scope"] or "")))
        for key, checks in (("locations", self.locations), ("forms", self.forms)):
            if key in values:
                chosen = set(values[key] or ())
                for code, check in checks.items():
                    check.setChecked(code in chosen)

    def labels(self) -> dict[str, str]:
        """Field name -> its label without the shortcut mark, for the conflict dialog."""
        found = {"reported_on": _("&Date"), "summary": _("&Summary"),
                 "description": _("What &happened")}
        if not self.signal:
            found.update(reporter_kind=_("&Reported by"), reported_via=_("Reported &how"),
                         locations=_("Where"), since=_("Since &when"),
                         frequency=_("How &often"), scope=_("Scope"),
                         forms=_("Forms of bullying"))
        return {key: text.replace("&", "") for key, text in found.items()}

    @staticmethod
    def display(values: Mapping) -> dict[str, object]:
        """The values as a person reads them (codes as their translated labels)."""
        shown = dict(values)
        if "reporter_kind" in shown:
            label = REPORTER_KINDS.get(shown["reporter_kind"] or "")
            shown["reporter_kind"] = _(label) if label else ""
        if "scope" in shown:
            label = SCOPE_LABELS.get(shown["scope"] or "")
            shown["scope"] = _(label) if label and shown["scope"] else ""
        for key, names in (("locations", LOCATIONS), ("forms", FORMS)):
            if key in shown:
                shown[key] = ", ".join(_(names.get(c, c)) for c in shown[key] or ())
        return shown

    def widget_for(self, key: str) -> QWidget | None:
        """The field that shows ``key`` (for putting the focus on a problem)."""
        widgets: dict[str, QWidget] = {"reported_on": self.date, "summary": self.summary,
                                       "description": self.description}
        if not self.signal:
            widgets.update(reporter_kind=self.reporter, reported_via=self.via,
                           since=self.since, frequency=self.frequency, scope=self.scope,
                           locations=next(iter(self.locations.values())),
                           forms=next(iter(self.forms.values())))
        return widgets.get(key)

    def set_read_only(self, on: bool) -> None:
        """Show the values without letting them be changed."""
        self.summary.setReadOnly(on)
        self.description.setReadOnly(on)
        self.date.setReadOnly(on)
        if self.signal:
            return
        self.since.setReadOnly(on)
        for widget in (self.reporter, self.via, self.frequency, self.scope,
                       *self.locations.values(), *self.forms.values()):
            widget.setEnabled(not on)


class ReportDialog(ShowsErrors, QDialog):
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
        self.form = ReportForm(signal=signal, with_owner=True)
        outer.addWidget(self.form, 1)
        self._alias_fields()
        if signal:
            self.report_form.addRow(self._students_box())
        else:
            self.form.right.addWidget(self._students_box(), 1)
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
    def _alias_fields(self) -> None:
        """The form's fields as attributes of the dialog (``dialog.summary``...)."""
        form = self.form
        self.report_form = form.report_form
        self.date, self.summary, self.description = form.date, form.summary, form.description
        if not self.signal:
            self.forms = form.forms
            self.reporter, self.via, self.locations = form.reporter, form.via, form.locations
            self.since, self.frequency, self.scope = form.since, form.frequency, form.scope
            self.owner, self.cyber_hint = form.owner, form.cyber_hint

    def _students_box(self) -> QGroupBox:
        box = QGroupBox(_("Students involved"))
        layout = QVBoxLayout(box)
        self.students = InvolvedTable(self.actor)
        layout.addWidget(self.students)
        return box

    def _tab_order(self) -> None:
        chain = self.form.tab_chain()
        chain += [self.students.picker, self.students.role, self.students.add_button,
                  self.students.table, self.students.remove_button, self.buttons]
        for first, second in zip(chain, chain[1:], strict=False):
            QWidget.setTabOrder(first, second)

    # -- saving ------------------------------------------------------------------------
    def report_input(self) -> cases.ReportInput:
        return cases.ReportInput(**self.form.values(), involved=self.students.involved(),
                                 owner_id=self.owner.staff_id())

    def _pending_student(self) -> bool:
        """A student typed and picked but not added yet: add it rather than lose it."""
        picker = self.students.picker
        if picker.student_id is not None:
            return self.students.add_current()
        return not picker.text().strip()

    def save(self) -> Callable[[], int]:
        """The service call for what the form holds (read here, on the GUI thread)."""
        if self.signal:
            call = partial(cases.record_signal, self.actor, pydate(self.date),
                           self.summary.text(), self.description.toPlainText(),
                           self.students.involved())
        else:
            call = partial(cases.register_report, self.actor, self.report_input())
        return lambda: call().id

    def accept(self) -> None:
        if not self._pending_student():
            self.show_error(_("Pick the student from the list (type part of the name), or "
                              "clear the field."))
            self.students.picker.setFocus()
            return
        def refused(exc: BaseException) -> bool:
            if isinstance(exc, cases.ValidationError):
                self.show_error(error_text(exc))
                self._focus_problem(exc.problems)
                return True
            return False

        op = ops.Op(self, self.save(), changes=ops.Changes.of(ops.CASES))
        if not op.errors_to(self.show_error).failure(refused).run():
            return  # the dialog stays open with everything typed
        self.case_id = op.result
        self.saved.emit(self.case_id)
        super().accept()

    def _focus_problem(self, problems: dict[str, str]) -> None:
        for key in problems:
            widget = (self.students.picker if key == "involved"
                      else self.form.widget_for(key))
            if widget is not None:
                widget.setFocus()
                return
