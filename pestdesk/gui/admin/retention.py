"""Beheer → Bewaartermijn: the retention period, who is past it, and deleting after confirmation.

The list is a SQL query (``services.retention.RetentionList``) paged into the table. Deleting
asks for an explicit confirmation that names the counts, runs off the GUI thread (the VACUUM
after it can take a while on a large file) and reports what was removed.
"""

from __future__ import annotations

import datetime as dt

from PySide6.QtCore import Qt, QThreadPool, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QMessageBox,
    QPushButton,
    QSpinBox,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from pestdesk import clock
from pestdesk.gui.common.models import ListModel
from pestdesk.gui.common.tasks import Task
from pestdesk.i18n import _, format_date, format_number, ngettext
from pestdesk.services import retention
from pestdesk.services.base import Actor, ServiceError
from pestdesk.store.errors import StoreError


class RetentionView(QWidget):
    purged = Signal(dict)

    def __init__(self, actor: Actor, today: dt.date | None = None,
                 parent: QWidget | None = None):
        super().__init__(parent)
        self.actor = actor
        self.today = today or clock.today()
        self._task: Task | None = None
        layout = QVBoxLayout(self)
        title = QLabel(_("Retention period"))
        title.setObjectName("sectionTitle")
        layout.addWidget(title)
        row = QHBoxLayout()
        row.addWidget(QLabel(_("Keep data after a student left school for")))
        self.years = QSpinBox()
        self.years.setRange(1, 20)
        self.years.setSuffix(" " + _("years"))
        self.years.setValue(retention.retention_years())
        row.addWidget(self.years)
        self.save_years = QPushButton(_("Save period"))
        self.save_years.clicked.connect(self.store_period)
        row.addWidget(self.save_years)
        row.addStretch(1)
        layout.addLayout(row)
        self.summary = QLabel()
        self.summary.setWordWrap(True)
        layout.addWidget(self.summary)
        self.waiting = QLabel()
        self.waiting.setWordWrap(True)
        self.waiting.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout.addWidget(self.waiting)
        self.model = ListModel(retention.RetentionList(actor=actor), self, {
            "left_on": lambda v: format_date(v) if v else ""})
        self.table = QTableView()
        self.table.setModel(self.model)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        self.table.verticalHeader().hide()
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        layout.addWidget(self.table, 1)
        note = QLabel(_(
            "Deleting removes these students, their guardians without other children at "
            "school, and every report in which all involved students are past the period, "
            "with letters, attachments and timeline. In the reports that stay their names "
            "are replaced by “[removed student]”."))
        note.setWordWrap(True)
        layout.addWidget(note)
        self.backups = QLabel()
        self.backups.setWordWrap(True)
        layout.addWidget(self.backups)
        self.delete_button = QPushButton(_("Delete permanently…"))
        self.delete_button.clicked.connect(self.confirm_and_purge)
        bottom = QHBoxLayout()
        bottom.addStretch(1)
        bottom.addWidget(self.delete_button)
        layout.addLayout(bottom)
        self.refresh()

    def refresh(self) -> None:
        self.plan = retention.due_for_deletion(self.today)
        self.model.set_filters(cutoff=self.plan.cutoff)
        self.summary.setText(_(
            "Students who left on or before {date}: {students}. Reports to delete: {cases}; "
            "guardians: {guardians}.").format(
                date=format_date(self.plan.cutoff),
                students=format_number(len(self.plan.student_ids)),
                cases=format_number(len(self.plan.case_ids)),
                guardians=format_number(len(self.plan.guardian_ids))))
        self.waiting.setText("\n".join(retention.waiting_lines(self.plan, self.actor)))
        self.waiting.setVisible(bool(self.plan.waiting))
        self.backups.setText("\n".join(retention.hold_lines(retention.backup_hold(self.today))))
        self.delete_button.setEnabled(not self.plan.empty and self._task is None)

    def store_period(self) -> None:
        try:
            retention.set_retention_years(self.actor, self.years.value())
        except (ServiceError, StoreError) as exc:
            QMessageBox.warning(self, _("Retention period"), str(exc))
            return
        self.refresh()

    def confirm_and_purge(self) -> None:
        plan = self.plan
        answer = QMessageBox.warning(
            self, _("Delete permanently"),
            _("Delete {students} students, {cases} reports and {guardians} guardians "
              "permanently? This cannot be undone.").format(
                students=format_number(len(plan.student_ids)),
                cases=format_number(len(plan.case_ids)),
                guardians=format_number(len(plan.guardian_ids))),
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel,
            QMessageBox.StandardButton.Cancel)
        if answer != QMessageBox.StandardButton.Yes:
            return
        self.start_purge(plan.student_ids)

    def start_purge(self, student_ids: list[int]) -> Task:
        actor, today = self.actor, self.today
        self._task = Task(lambda: retention.purge(actor, today, student_ids))
        self._task.signals.done.connect(self._done)
        self._task.signals.failed.connect(self._failed)
        self.delete_button.setEnabled(False)
        QThreadPool.globalInstance().start(self._task)
        return self._task

    def _done(self, result: retention.PurgeResult) -> None:
        self._task = None
        self.refresh()
        self.purged.emit(result.deleted)
        lines = [_("Deleted: {students} students, {cases} reports, {guardians} guardians.")
                 .format(students=result.deleted.get("students", 0),
                         cases=result.deleted.get("cases", 0),
                         guardians=result.deleted.get("guardians", 0))]
        if result.scrubbed:
            lines.append(ngettext(
                "Their names were replaced in {n} text that stays.",
                "Their names were replaced in {n} texts that stay.",
                result.scrubbed).format(n=format_number(result.scrubbed)))
        if result.removed_copies:
            lines.append(ngettext(
                "{n} safety or migration copy beside the database was removed.",
                "{n} safety or migration copies beside the database were removed.",
                len(result.removed_copies)).format(n=format_number(len(result.removed_copies))))
        if not result.compacted:
            lines.append(_("Compacting the file is postponed while others use it."))
        QMessageBox.information(self, _("Retention period"), "\n".join(lines))

    def _failed(self, exc: object) -> None:
        self._task = None
        self.refresh()
        message = str(exc) if isinstance(exc, ServiceError | StoreError) else _(
            "Deleting failed ({kind}); nothing was deleted.").format(kind=type(exc).__name__)
        QMessageBox.warning(self, _("Retention period"), message)


class RetentionDialog(QDialog):
    """The retention screen in its own window (Beheer menu)."""

    def __init__(self, actor: Actor, parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle(_("Retention period"))
        layout = QVBoxLayout(self)
        self.view = RetentionView(actor, parent=self)
        layout.addWidget(self.view)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self.resize(760, 520)
