"""Leerlingen: the searchable student list (SQL-paged) beside the student card.

The card shows one student's details, guardians and every case the student appears in, in
any role, newest first. Opening a case is asked for through the ``open_case`` signal, so the
view does not need to know the main window.
"""

from __future__ import annotations

import datetime as dt
import json
from functools import partial
from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QMessageBox,
    QPushButton,
    QScrollArea,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)
from shiboken6 import isValid

from pestdesk import clock
from pestdesk.gui.common import ops
from pestdesk.gui.common.labels import role_label, status_label
from pestdesk.gui.common.list_panel import ListPanel
from pestdesk.gui.common.pdf_preview import ask_export_path
from pestdesk.gui.common.student_picker import student_label
from pestdesk.i18n import _, format_date, ngettext
from pestdesk.letters.address import Recipient, address_lines
from pestdesk.services import access, lists, people
from pestdesk.services import staff as staff_service
from pestdesk.services.base import Actor, ServiceError

ID_ROLE = Qt.ItemDataRole.UserRole
UNLINK_COLUMN = 6  # the guardians table's column with the Ontkoppelen button


def age_on(birth: dt.date, today: dt.date) -> int:
    return today.year - birth.year - ((today.month, today.day) < (birth.month, birth.day))


def guardian_address(g: people.LinkedGuardian) -> str:
    """The address as PostNL writes it, without the name: "Dorpsstraat 5\n1234 AB  EDE"."""
    lines = address_lines(Recipient((), g.street, g.house_number, g.postcode, g.city,
                                    g.country))
    return "\n".join(lines)


def _small_table(headers: list[str]) -> QTableWidget:
    """A read-only table for the card's short lists (one student's guardians or cases)."""
    table = QTableWidget(0, len(headers))
    table.setHorizontalHeaderLabels(headers)
    table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    table.verticalHeader().hide()
    table.setAlternatingRowColors(True)
    table.setWordWrap(False)
    table.horizontalHeader().setStretchLastSection(True)
    table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
    return table


def _yes(value: bool) -> str:
    return _("yes") if value else _("no")


class StudentCard(QWidget):
    """One student: details, guardians (with Add/Edit) and cases (double-click opens)."""

    open_case = Signal(int)
    changed = Signal()
    new_report = Signal(int, str)  # (student id, label): a report about this student

    def __init__(self, actor: Actor, parent: QWidget | None = None,
                 today: dt.date | None = None):
        super().__init__(parent)
        self.actor = actor
        self.today = today
        self.student_id: int | None = None
        self.card: people.StudentCardRecord | None = None
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        outer.addWidget(scroll)
        body = QWidget()
        scroll.setWidget(body)
        layout = QVBoxLayout(body)
        self.placeholder = QLabel(_("Choose a student in the list to see the card."))
        self.placeholder.setStyleSheet("color: #666; padding: 20px;")
        self.placeholder.setAlignment(Qt.AlignmentFlag.AlignCenter)
        layout.addWidget(self.placeholder)
        self.content = QWidget()
        layout.addWidget(self.content, 1)
        self._build(self.content)
        self.content.hide()

    def _build(self, content: QWidget) -> None:
        layout = QVBoxLayout(content)
        layout.setContentsMargins(4, 0, 4, 0)
        self.name = QLabel()
        self.name.setStyleSheet("font-size: 14pt; font-weight: 600; color: #12355b;")
        self.name.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout.addWidget(self.name)
        form = QFormLayout()
        self.number, self.klass, self.mentors = QLabel(), QLabel(), QLabel()
        self.birth, self.left_on = QLabel(), QLabel()
        self.mentors.setWordWrap(True)
        form.addRow(_("Student number"), self.number)
        form.addRow(_("Class"), self.klass)
        form.addRow(_("Mentor(s)"), self.mentors)
        form.addRow(_("Date of birth"), self.birth)
        form.addRow(_("Left school on"), self.left_on)
        self.details_form = form
        layout.addLayout(form)

        guardians = QGroupBox(_("Parents and guardians"))
        column = QVBoxLayout(guardians)
        self.guardians = _small_table([
            _("Name"), _("Address"), _("E-mail and telephone"), _("Authority"), _("Mail"),
            _("Info"), ""])
        self.guardians.setWordWrap(True)
        self.guardians.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.guardians.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        header = self.guardians.horizontalHeader()
        header.setStretchLastSection(False)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)  # elide, never clip
        self.guardians.setToolTip(_("Authority: parental authority (gezag). Mail: receives "
                                    "letters. Info: information granted to a parent without "
                                    "authority."))
        self.guardians.doubleClicked.connect(lambda _i: self.edit_guardian())
        column.addWidget(self.guardians)
        row = QHBoxLayout()
        self.add_guardian_button = QPushButton(_("Add guardian…"))
        self.add_guardian_button.clicked.connect(self.add_guardian)
        self.edit_guardian_button = QPushButton(_("Edit guardian…"))
        self.edit_guardian_button.clicked.connect(self.edit_guardian)
        self.link_guardian_button = QPushButton(_("Link existing guardian…"))
        self.link_guardian_button.setToolTip(_("A parent already in pestdesk, for example "
                                               "of a brother or sister"))
        self.link_guardian_button.clicked.connect(self.link_guardian)
        row.addWidget(self.add_guardian_button)
        row.addWidget(self.edit_guardian_button)
        row.addStretch(1)
        column.addLayout(row)
        row = QHBoxLayout()  # its own line: the card stays narrow enough beside the list
        row.addWidget(self.link_guardian_button)
        row.addStretch(1)
        column.addLayout(row)
        layout.addWidget(guardians)

        cases = QGroupBox(_("Cases"))
        column = QVBoxLayout(cases)
        self.cases = _small_table([_("Number"), _("Reported"), _("Role"), _("Status"),
                                   _("Summary")])
        self.cases.doubleClicked.connect(self._open_case)
        self.cases.setToolTip(_("Double-click to open the case."))
        column.addWidget(self.cases)
        row = QHBoxLayout()
        self.new_report_button = QPushButton(_("New report…"))
        self.new_report_button.clicked.connect(self._new_report)
        if not access.has_care_role(self.actor):  # said up front, not after the form
            self.new_report_button.setEnabled(False)
            self.new_report_button.setToolTip(_(
                "Reports are registered by mentors and the care team; you can record a "
                "signal instead."))
        else:
            self.new_report_button.setToolTip(_("Register a report about this student"))
        row.addWidget(self.new_report_button)
        row.addStretch(1)
        column.addLayout(row)
        layout.addWidget(cases, 1)

        row = QHBoxLayout()
        row.addStretch(1)
        self.export_button = QPushButton(_("Export AVG access request…"))
        self.export_button.setToolTip(_("Everything stored about this student as a JSON file; "
                                        "other children are left out. The export is logged."))
        self.export_button.clicked.connect(self.export_dialog)
        row.addWidget(self.export_button)
        layout.addLayout(row)

    # -- filling -----------------------------------------------------------------------------
    def show_student(self, student_id: int | None) -> None:
        self.student_id = student_id
        if student_id is None:
            self.card = None
            self.content.hide()
            self.placeholder.show()
            return
        # read on the op path (the card's view line is a write): the window keeps painting
        # while another PC holds the database; a refusal or busy shows in the card itself
        read = ops.Op(self.window(), partial(people.student_card, student_id, self.actor),
                      label=_("Opening…"))
        ok = read.failure(lambda exc: ops.error_kind(exc) != "unexpected").run()
        if not isValid(self):  # the window was closed (signing out) while it read
            return
        if not ok:
            self.card = None
            self.content.hide()
            kind = ops.error_kind(read.error)  # an unexpected error went to the crash hook
            self.placeholder.setText(ops.error_text(read.error) if kind != "unexpected" else "")
            self.placeholder.show()
            return
        self.card = read.result
        self.placeholder.hide()
        self.content.show()
        self._fill_details(self.card.student)
        self._fill_guardians(self.card.guardians)
        self._fill_cases(self.card.cases)

    def reload(self) -> None:
        self.show_student(self.student_id)

    def label(self) -> str:
        """The student as the pickers show them: 'Bram Bakker (2B, 123456)'."""
        if self.card is None:
            return student_label("", "", "", "", "")
        s = self.card.student
        return student_label(s.name, "", "", s.number, s.class_name)

    def _new_report(self) -> None:
        if self.student_id is not None:
            self.new_report.emit(self.student_id, self.label())

    def _fill_details(self, s: people.StudentDetails) -> None:
        self.name.setText(s.name)
        self.number.setText(s.number)
        klass = s.class_name or "—"
        if s.leerjaar:
            klass = _("{klass} (year {year})").format(klass=klass, year=s.leerjaar)
        self.klass.setText(klass)
        self.mentors.setText(", ".join(s.mentors) or "—")
        birth = s.birth_date
        if birth:
            age = age_on(birth, self.today or clock.today())
            self.birth.setText(ngettext("{date} ({age} year)", "{date} ({age} years)", age)
                               .format(date=format_date(birth, "long"), age=age))
        else:
            self.birth.setText("—")
        left = s.left_on
        self.left_on.setText(format_date(left, "long") if left else "")
        self.details_form.setRowVisible(self.left_on, left is not None)

    def _fill_guardians(self, guardians: tuple[people.LinkedGuardian, ...]) -> None:
        table = self.guardians
        self.unlink_buttons: dict[int, QPushButton] = {}
        table.setRowCount(len(guardians))
        for row, g in enumerate(guardians):
            name = "\n".join(p for p in (g.name, g.relation) if p)
            contact = "\n".join(p for p in (g.email, g.phone) if p)
            cells = [name, guardian_address(g), contact, _yes(g.has_authority),
                     _yes(g.receives_mail), _yes(g.info_granted)]
            for column, text in enumerate(cells):
                item = QTableWidgetItem(text)
                item.setData(ID_ROLE, g.id)
                table.setItem(row, column, item)
            table.setItem(row, UNLINK_COLUMN, QTableWidgetItem())
            table.setCellWidget(row, UNLINK_COLUMN, self._unlink_button(g))
        table.resizeRowsToContents()
        for r in range(len(guardians)):  # a little air between the two-line rows
            table.setRowHeight(r, table.rowHeight(r) + 6)
        rows = sum(table.rowHeight(r) for r in range(len(guardians)))
        empty = table.verticalHeader().defaultSectionSize() * (2 - min(2, len(guardians)))
        table.setFixedHeight(table.horizontalHeader().sizeHint().height() + rows + empty + 4)
        self.edit_guardian_button.setEnabled(bool(guardians))
        may = staff_service.may_edit_guardians(self.actor)
        for button in (self.add_guardian_button, self.link_guardian_button):
            button.setEnabled(may)

    def _unlink_button(self, g: people.LinkedGuardian) -> QWidget:
        """Ontkoppelen, in the guardian's own row (the guardian record itself stays)."""
        cell = QWidget()
        layout = QHBoxLayout(cell)
        layout.setContentsMargins(4, 2, 4, 2)
        button = QPushButton(_("Unlink…"))
        button.setObjectName(f"unlink_{g.id}")
        button.setToolTip(_("Remove this guardian from this student only"))
        button.setEnabled(staff_service.may_edit_guardians(self.actor))
        button.clicked.connect(lambda _c=False, gid=g.id, name=g.name:
                               self.unlink_guardian(gid, name))
        layout.addWidget(button, 0, Qt.AlignmentFlag.AlignTop)
        self.unlink_buttons[g.id] = button
        return cell

    def _fill_cases(self, cases: tuple[people.StudentCase, ...]) -> None:
        table = self.cases
        table.setRowCount(len(cases))
        for row, c in enumerate(cases):
            reported = c.reported_on
            signal = " ({})".format(_("signal")) if c.is_signal else ""
            number = c.number + signal
            cells = [number, format_date(reported, "short") if reported else "",
                     role_label(c.role), status_label(c.status), c.summary]
            for column, text in enumerate(cells):
                item = QTableWidgetItem(text)
                item.setData(ID_ROLE, c.id)
                table.setItem(row, column, item)
        table.setMinimumHeight(self._table_height(table, min(max(3, len(cases)), 5)))

    @staticmethod
    def _table_height(table: QTableWidget, rows: int) -> int:
        return (table.horizontalHeader().sizeHint().height()
                + rows * table.verticalHeader().defaultSectionSize() + 4)

    # -- actions -----------------------------------------------------------------------------
    def _open_case(self, index) -> None:
        item = self.cases.item(index.row(), 0)
        if item is not None:
            self.open_case.emit(int(item.data(ID_ROLE)))

    def selected_guardian(self) -> int | None:
        row = self.guardians.currentRow()
        if row < 0 and self.guardians.rowCount() == 1:
            row = 0
        item = self.guardians.item(row, 0) if row >= 0 else None
        return int(item.data(ID_ROLE)) if item is not None else None

    def guardian_dialog(self, guardian_id: int | None):
        from pestdesk.gui.people.dialogs import GuardianDialog

        if self.student_id is None:
            return None
        dialog = GuardianDialog(self.actor, self.student_id, guardian_id, self)
        dialog.saved.connect(lambda _id: (self.reload(), self.changed.emit()))
        return dialog

    def add_guardian(self) -> None:
        dialog = self.guardian_dialog(None)
        if dialog is not None:
            dialog.open()

    def edit_guardian(self) -> None:
        guardian_id = self.selected_guardian()
        dialog = self.guardian_dialog(guardian_id) if guardian_id is not None else None
        if dialog is not None:
            dialog.open()

    def link_dialog(self):
        """Bestaande ouder/verzorger koppelen for the shown student (not yet shown)."""
        from pestdesk.gui.people.guardians import GuardianLinkDialog

        if self.student_id is None:
            return None
        name = self.card.student.name if self.card is not None else ""
        dialog = GuardianLinkDialog(self.actor, self.student_id, name, self)
        dialog.saved.connect(lambda _id: (self.reload(), self.changed.emit()))
        return dialog

    def link_guardian(self) -> None:
        dialog = self.link_dialog()
        if dialog is not None:
            dialog.open()

    def unlink_guardian(self, guardian_id: int, name: str) -> bool:
        """Ontkoppelen after a confirmation; True when the link was removed."""
        if self.student_id is None:
            return False
        student = self.card.student.name if self.card is not None else ""
        # the version as it is now, read before the question is asked
        read = ops.Op(self, partial(staff_service.guardian_form, self.actor, self.student_id,
                                    guardian_id)).titled(_("Unlink guardian"))
        if not read.run():
            self.reload()
            return False
        link_version = read.result.link_version
        answer = QMessageBox.question(self, _("Unlink guardian"), _(
            "Unlink {name} from {student}? {name} no longer receives letters about "
            "{student}; the details stay for other children they are linked to.").format(
                name=name, student=student))
        if answer != QMessageBox.StandardButton.Yes:
            return False
        done = ops.run(self, partial(staff_service.unlink_guardian, self.actor,
                                     self.student_id, guardian_id, link_version),
                       changes=ops.Changes.of(ops.PEOPLE), title=_("Unlink guardian"))
        self.reload()
        if not done:
            return False
        self.changed.emit()
        return True

    def export_to(self, path: str | Path) -> Path:
        """Write the AVG access export of the shown student (audited by the service)."""
        if self.card is None:
            raise ServiceError(_("Choose a student first."))
        data = people.export_student(self.actor, self.card.student.number)
        target = Path(path)
        target.write_text(json.dumps(data, ensure_ascii=False, indent=2), encoding="utf-8")
        return target

    def export_dialog(self) -> None:
        if self.card is None:
            return
        answer = QMessageBox.question(self, _("AVG access request"), _(
            "The export holds everything pestdesk stores about {name}, with other children "
            "left out. It is recorded in the audit log with your name. Continue?").format(
                name=self.card.student.name))
        if answer != QMessageBox.StandardButton.Yes:
            return
        suggested = f"inzage-{self.card.student.number}.json"
        name = ask_export_path(self, _("Export AVG access request"), suggested,
                               _("JSON files (*.json)"))
        if not name:
            return

        def refused(exc: BaseException) -> bool:
            if isinstance(exc, OSError):
                QMessageBox.warning(self, _("AVG access request"), _(
                    "The file could not be written: {reason}").format(
                        reason=exc.strerror or exc))
                return True
            return False

        op = ops.Op(self, partial(self.export_to, name)).titled(_("AVG access request"))
        if not op.failure(refused).run():
            return
        target = op.result
        QMessageBox.information(self, _("AVG access request"),
                                _("Export written: {path}").format(path=target))


class StudentsView(ListPanel):
    """The student list with the card of the selected student beside it."""

    open_case = Signal(int)
    new_report = Signal(int, str)

    def __init__(self, actor: Actor, parent: QWidget | None = None):
        super().__init__(_("Students"), lists.StudentList(order_key="name", actor=actor),
                         lambda n: ngettext("{n} student", "{n} students", n), parent=parent)
        self.actor = actor
        self.include_left = QCheckBox(_("Include students who left"))
        self.include_left.toggled.connect(lambda on: self.set_filters(include_left=on))
        self.add_filter(self.include_left)
        self.finish_filters()
        self.search.setPlaceholderText(_("Search by name, student number or class…"))
        self.size_columns([170, 112, 45, 90, 70])
        self.card = StudentCard(actor)
        self.card.open_case.connect(self.open_case)
        self.card.new_report.connect(self.new_report)
        self.card.changed.connect(self.model.reload)
        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        self.layout().replaceWidget(self.table, self.splitter)
        self.splitter.addWidget(self.table)
        self.splitter.addWidget(self.card)
        self.splitter.setStretchFactor(0, 2)
        self.splitter.setStretchFactor(1, 3)
        self.splitter.setSizes([555, 645])
        self.splitter.setChildrenCollapsible(False)
        self.table.selectionModel().currentRowChanged.connect(self._current_changed)
        self.opened.connect(self.card.show_student)

    def selected_student(self) -> tuple[int, str] | None:
        """The student whose card is shown (for Ctrl+N), or None."""
        if self.card.student_id is None or self.card.card is None:
            return None
        return self.card.student_id, self.card.label()

    def _current_changed(self, current, _previous) -> None:
        self.card.show_student(self.model.record_id(current.row()) if current.isValid()
                               else None)

    def refresh(self) -> None:
        super().refresh()
        self.card.reload()
