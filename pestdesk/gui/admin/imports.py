"""Beheer → Leerlingen/Medewerkers importeren: file → (column mapping) → dry run → import.

The dry run and the import run off the GUI thread (``gui.common.tasks.Task``) behind a progress
dialog. A file with any problem is refused whole: the preview lists every problem with its
row, column and explanation, and the Import button stays off. The column choice the user
makes is remembered per kind of import (by header names) for the next file.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path

from PySide6.QtCore import QAbstractTableModel, QModelIndex, Qt, QThreadPool, Signal
from PySide6.QtGui import QFont
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QDialog,
    QFileDialog,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QProgressDialog,
    QPushButton,
    QStackedWidget,
    QTableView,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from pestdesk.gui.common import ops
from pestdesk.gui.common.colors import AMBER, ERROR_STYLE, RED
from pestdesk.gui.common.forms import load_form
from pestdesk.gui.common.limits import exempt
from pestdesk.gui.common.tasks import Task
from pestdesk.i18n import N_, _, format_number, ngettext
from pestdesk.importers import columns
from pestdesk.importers import staff as staff_columns
from pestdesk.importers.problems import ImportProblem
from pestdesk.importers.reader import Table, read_table
from pestdesk.services import people, settings
from pestdesk.services.base import Actor

NOT_USED = N_("(not in the file)")
PREVIEW_ROWS = 5
MAX_NOTICES = 30  # mentor changes listed in the preview; the rest counted
_ROOT = QModelIndex()

GUARDIAN_LABELS = {
    "last_name": N_("Last name"), "first_name": N_("First name"),
    "initials": N_("Initials"), "tussenvoegsel": N_("Name prefix (tussenvoegsel)"),
    "salutation": N_("Salutation"), "street": N_("Street"),
    "house_number": N_("House number"), "house_suffix": N_("House number suffix"),
    "postcode": N_("Postcode"), "city": N_("City"), "country": N_("Country"),
    "email": N_("E-mail"), "phone": N_("Telephone"),
    "relation": N_("Relation to the student"), "has_authority": N_("Parental authority (gezag)"),
}

COUNT_LABELS = people.COUNT_LABELS


@dataclass(frozen=True)
class ImportKind:
    """What differs between the student and the staff import."""

    key: str
    title: str
    fields: tuple[tuple[str, str], ...]  # (field, translated label)
    required: tuple[str, ...]
    rank: Callable | None
    counts: tuple[str, ...]

    @property
    def setting_key(self) -> str:
        return f"import_mapping_{self.key}"


def student_kind() -> ImportKind:
    fields = [(name, _(label)) for name, label in columns.FIELD_LABELS.items()]
    for slot in range(1, columns.MAX_GUARDIANS + 1):
        for name, label in GUARDIAN_LABELS.items():
            fields.append((f"guardian{slot}_{name}", _("Guardian {n}: {field}").format(
                n=slot, field=_(label))))
    return ImportKind("students", _("Import students"), tuple(fields), columns.REQUIRED_FIELDS,
                      None, ("rows", "new", "changed", "unchanged", "left", "returning",
                             "classes_new", "classes_mentor_changed",
                             "classes_department_changed", "guardians_new",
                             "guardians_changed"))


def staff_kind() -> ImportKind:
    fields = tuple((name, _(label)) for name, label in staff_columns.STAFF_LABELS.items())
    return ImportKind("staff", _("Import staff"), fields, staff_columns.STAFF_REQUIRED,
                      staff_columns._rank, ("rows", "new", "changed", "unchanged"))


class ProblemModel(QAbstractTableModel):
    """Problems and warnings of one file: a bounded list, shown in a QTableView."""

    HEADERS = (N_("Kind"), N_("Row"), N_("Column"), N_("Explanation"))

    def __init__(self, parent=None):
        super().__init__(parent)
        self.rows: list[tuple[str, ImportProblem]] = []

    def set_problems(self, problems: list[ImportProblem], warnings: list[ImportProblem]) -> None:
        self.beginResetModel()
        self.rows = [("problem", p) for p in problems] + [("warning", w) for w in warnings]
        self.endResetModel()

    def rowCount(self, parent=_ROOT):  # noqa: N802
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent=_ROOT):  # noqa: N802
        return 0 if parent.isValid() else len(self.HEADERS)

    def headerData(self, section, orientation, role=Qt.ItemDataRole.DisplayRole):  # noqa: N802
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return _(self.HEADERS[section])
        return None

    def data(self, index, role=Qt.ItemDataRole.DisplayRole):
        if not index.isValid():
            return None
        kind, problem = self.rows[index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            return (_("Problem") if kind == "problem" else _("Warning"),
                    str(problem.row) if problem.row else _("whole file"),
                    problem.column, problem.message)[index.column()]
        if role == Qt.ItemDataRole.ForegroundRole and index.column() == 0:
            from PySide6.QtGui import QColor

            return QColor(RED) if kind == "problem" else QColor(AMBER)
        if role == Qt.ItemDataRole.ToolTipRole and index.column() == 3:
            return problem.message
        return None


class ImportDialog(QDialog):
    """The import wizard for ``kind`` "students" or "staff"."""

    imported = Signal(object)  # the ImportResult of an applied import

    FILE, MAPPING, PREVIEW, DONE = range(4)

    def __init__(self, actor: Actor, kind: str = "students", parent: QWidget | None = None,
                 today: dt.date | None = None):
        super().__init__(parent)
        self.actor = actor
        self.kind = student_kind() if kind == "students" else staff_kind()
        self.today = today
        self.path: Path | None = None
        self.table: Table | None = None
        self.mapping: dict[str, str | None] | None = None
        self.result: people.ImportResult | None = None
        self.task: Task | None = None
        self.progress: QProgressDialog | None = None
        self.setWindowTitle(self.kind.title)
        self.resize(900, 640)
        layout = QVBoxLayout(self)
        self.pages = QStackedWidget()
        layout.addWidget(self.pages, 1)
        self._build_file_page()
        self._build_mapping_page()
        self._build_preview_page()
        self._build_done_page()
        buttons = QHBoxLayout()
        self.back_button = QPushButton(_("Back"))
        self.back_button.clicked.connect(self.back)
        self.columns_button = QPushButton(_("Choose columns…"))
        self.columns_button.clicked.connect(self.show_mapping)
        self.next_button = QPushButton(_("Next"))
        self.next_button.setDefault(True)
        self.next_button.clicked.connect(self.next)
        self.close_button = QPushButton(_("Close"))
        self.close_button.clicked.connect(self.reject)
        buttons.addWidget(self.back_button)
        buttons.addWidget(self.columns_button)
        buttons.addStretch(1)
        buttons.addWidget(self.next_button)
        buttons.addWidget(self.close_button)
        layout.addLayout(buttons)
        self._go(self.FILE)

    # -- pages -------------------------------------------------------------------------------
    def _build_file_page(self) -> None:
        page = QWidget()
        layout = QVBoxLayout(page)
        title = QLabel(self.kind.title)
        title.setObjectName("sectionTitle")
        title.setStyleSheet("font-size: 14pt; font-weight: 600; color: #12355b;")
        layout.addWidget(title)
        if self.kind.key == "students":
            text = _("Choose the student export of your student information system (Magister, "
                     "SOMtoday) as CSV or Excel (.xlsx). pestdesk first checks the whole file "
                     "and shows what would change; nothing changes until you press Import.")
        else:
            text = _("Choose the staff export (code, names, e-mail, job titles) as CSV or "
                     "Excel (.xlsx). pestdesk first checks the whole file and shows what would "
                     "change; nothing changes until you press Import.")
        intro = QLabel(text)
        intro.setWordWrap(True)
        layout.addWidget(intro)
        row = QHBoxLayout()
        self.path_edit = exempt(QLineEdit(), "the file to import; the importer checks it")
        self.path_edit.setPlaceholderText(_("File to import"))
        self.path_edit.textChanged.connect(lambda _t: self._update_buttons())
        browse = QPushButton(_("Browse…"))
        browse.clicked.connect(self.browse)
        row.addWidget(self.path_edit, 1)
        row.addWidget(browse)
        layout.addLayout(row)
        self.full_export = QCheckBox(_("This file holds every current student (students "
                                       "missing from it are marked as having left)"))
        self.full_export.setChecked(True)
        self.full_export.setVisible(self.kind.key == "students")
        layout.addWidget(self.full_export)
        self.file_error = QLabel()
        self.file_error.setStyleSheet(ERROR_STYLE)
        self.file_error.setWordWrap(True)
        layout.addWidget(self.file_error)
        layout.addStretch(1)
        self.pages.addWidget(page)

    def _build_mapping_page(self) -> None:
        self.mapping_form = load_form("import_mapping", self)
        table = self.mapping_form.fieldTable
        # QUiLoader leaves header items empty when the catalog lacks a string: set them here
        table.setHorizontalHeaderLabels([_("Field in pestdesk"), _("Column in the file")])
        table.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        self.mapping_form.splitter.setSizes([380, 170])
        table.setRowCount(len(self.kind.fields))
        self.combos: dict[str, QComboBox] = {}
        bold = QFont()
        bold.setBold(True)
        for row, (name, label) in enumerate(self.kind.fields):
            required = name in self.kind.required
            item = QTableWidgetItem(f"{label} *" if required else label)
            if required:
                item.setFont(bold)
            table.setItem(row, 0, item)
            combo = QComboBox()
            combo.setObjectName(f"map_{name}")
            self.combos[name] = combo
            table.setCellWidget(row, 1, combo)
        self.pages.addWidget(self.mapping_form)

    def _build_preview_page(self) -> None:
        page = QWidget()
        layout = QVBoxLayout(page)
        self.verdict = QLabel()
        self.verdict.setWordWrap(True)
        self.verdict.setStyleSheet("font-size: 12pt; font-weight: 600;")
        layout.addWidget(self.verdict)
        self.counts_box = QGroupBox(_("What the import would do"))
        grid = QGridLayout(self.counts_box)
        grid.setHorizontalSpacing(14)
        self.count_labels: dict[str, QLabel] = {}
        half = (len(self.kind.counts) + 1) // 2  # two columns of "label  number"
        for i, key in enumerate(self.kind.counts):
            label = QLabel()
            label.setObjectName(f"count_{key}")
            label.setStyleSheet("font-weight: 600;")
            label.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            self.count_labels[key] = label
            row, column = i % half, (i // half) * 3
            grid.addWidget(QLabel(_(COUNT_LABELS[key])), row, column)
            grid.addWidget(label, row, column + 1)
        grid.setColumnMinimumWidth(2, 40)
        grid.setColumnStretch(5, 1)
        layout.addWidget(self.counts_box)
        self.notices = QLabel()  # whose mentorship the import changes, by name
        self.notices.setObjectName("import_notices")
        self.notices.setWordWrap(True)
        self.notices.setTextFormat(Qt.TextFormat.PlainText)
        self.notices.hide()
        layout.addWidget(self.notices)
        self.problems_label = QLabel()
        layout.addWidget(self.problems_label)
        self.problem_model = ProblemModel(self)
        self.problems = QTableView()
        self.problems.setModel(self.problem_model)
        self.problems.verticalHeader().hide()
        # an explanation wraps onto more lines instead of being cut off in its cell
        self.problems.verticalHeader().setDefaultSectionSize(
            self.problems.fontMetrics().lineSpacing() * 3 + 8)
        self.problems.setAlternatingRowColors(True)
        self.problems.setWordWrap(True)
        self.problems.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        header = self.problems.horizontalHeader()
        header.setStretchLastSection(True)
        for column, width in enumerate((95, 55, 170)):
            self.problems.setColumnWidth(column, width)
        layout.addWidget(self.problems, 1)
        self.pages.addWidget(page)

    def _build_done_page(self) -> None:
        page = QWidget()
        layout = QVBoxLayout(page)
        self.summary = QLabel()
        self.summary.setWordWrap(True)
        self.summary.setStyleSheet("font-size: 12pt;")
        self.summary.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        layout.addWidget(self.summary, 1)
        self.pages.addWidget(page)

    # -- navigation --------------------------------------------------------------------------
    def _go(self, page: int) -> None:
        self.pages.setCurrentIndex(page)
        self._update_buttons()

    def _update_buttons(self) -> None:
        page = self.pages.currentIndex()
        busy = self.task is not None
        self.back_button.setVisible(page in (self.MAPPING, self.PREVIEW))
        self.columns_button.setVisible(page == self.PREVIEW and bool(self.table
                                                                     and self.table.headers))
        self.next_button.setVisible(page != self.DONE)
        self.next_button.setText(_("Import") if page == self.PREVIEW else _("Next"))
        if page == self.FILE:
            enabled = bool(self.path_edit.text().strip())
        elif page == self.PREVIEW:
            enabled = bool(self.result and self.result.ok)
        else:
            enabled = True
        self.next_button.setEnabled(enabled and not busy)
        self.close_button.setText(_("Close"))

    def back(self) -> None:
        self._go(self.FILE)

    def next(self) -> None:
        page = self.pages.currentIndex()
        if page == self.FILE:
            self.read_file()
        elif page == self.MAPPING:
            self.accept_mapping()
        elif page == self.PREVIEW:
            self.run_import()

    def browse(self) -> None:
        name, _filter = QFileDialog.getOpenFileName(
            self, self.kind.title, self.path_edit.text(),
            _("Exports (*.csv *.txt *.xlsx);;All files (*)"))
        if name:
            self.path_edit.setText(name)

    # -- step 1: read the headers ------------------------------------------------------------
    def read_file(self) -> None:
        self.path = Path(self.path_edit.text().strip())
        self.file_error.clear()
        path = self.path
        self._start(lambda: read_table(path), self._file_read,
                    _("Reading the file…"))

    def remembered(self, headers: list[str]) -> dict[str, str | None]:
        """The saved column choice, limited to the headers this file has."""
        saved = settings.get_value(self.kind.setting_key, {}) or {}
        return {name: header for name, header in saved.items()
                if not header or header in headers}

    def _file_read(self, table: Table) -> None:
        self.table = table
        if not table.headers:  # unreadable or empty: refused, nothing to map
            self.result = None
            self._show_refusal(table.problems)
            return
        explicit = self.remembered(table.headers)
        guess, _problems = columns.apply_explicit(
            columns.suggest_mapping(table.headers, self.kind.rank), explicit, table.headers)
        self.mapping = explicit or None
        self._fill_mapping(guess.fields)
        if guess.missing(self.kind.required):
            self._go(self.MAPPING)
        else:
            self.dry_run()

    # -- step 2: the column mapping ----------------------------------------------------------
    def _fill_mapping(self, fields: dict[str, str]) -> None:
        headers = self.table.headers if self.table else []
        for name, combo in self.combos.items():
            combo.blockSignals(True)
            combo.clear()
            combo.addItem(_(NOT_USED), None)
            for header in headers:
                combo.addItem(header, header)
            combo.setCurrentIndex(max(0, combo.findData(fields.get(name))))
            combo.blockSignals(False)
        preview = self.mapping_form.previewTable
        rows = self.table.rows[:PREVIEW_ROWS] if self.table else []
        preview.clear()
        preview.setColumnCount(len(headers))
        preview.setRowCount(len(rows))
        preview.setHorizontalHeaderLabels(headers)
        # row numbers as a spreadsheet shows them, the same numbers the problems list uses
        numbers = self.table.row_numbers[:PREVIEW_ROWS] if self.table else []
        preview.setVerticalHeaderLabels([str(n) for n in numbers])
        for r, values in enumerate(rows):
            for c, value in enumerate(values):
                preview.setItem(r, c, QTableWidgetItem(value))
        preview.resizeColumnsToContents()
        self.mapping_form.errorLabel.clear()

    def show_mapping(self) -> None:
        self._go(self.MAPPING)

    def chosen_mapping(self) -> dict[str, str | None]:
        return {name: combo.currentData() for name, combo in self.combos.items()}

    def accept_mapping(self) -> None:
        chosen = self.chosen_mapping()
        labels = dict(self.kind.fields)
        missing = [labels[name] for name in self.kind.required if not chosen.get(name)]
        if missing:
            self.mapping_form.errorLabel.setText(_("Choose a column for: {fields}").format(
                fields=", ".join(missing)))
            return
        used: dict[str, str] = {}
        for name, header in chosen.items():
            if header and header in used:
                self.mapping_form.errorLabel.setText(_(
                    "The column \"{header}\" is chosen for both \"{first}\" and \"{second}\"."
                ).format(header=header, first=labels[used[header]], second=labels[name]))
                return
            if header:
                used[header] = name
        # remembered for the next import; a busy or read-only database is said, and the
        # import can still run
        ops.Op(self, partial(settings.set_value, self.actor, self.kind.setting_key, chosen),
               changes=ops.Changes.of(ops.SETTINGS)) \
            .errors_to(self.mapping_form.errorLabel.setText).run()
        self.mapping = chosen
        self.dry_run()

    # -- step 3: the dry run -----------------------------------------------------------------
    def _job(self, dry_run: bool) -> Callable:
        """The import call with every input captured here, on the GUI thread."""
        actor, path, mapping, today = self.actor, self.path, self.mapping, self.today
        full_export = self.full_export.isChecked()
        if self.kind.key == "students":
            def students(report=None):
                return people.import_students(actor, path, mapping=mapping, dry_run=dry_run,
                                              today=today, progress=report,
                                              full_export=full_export)
            return students

        def staff():
            return people.import_staff(actor, path, dry_run=dry_run, mapping=mapping)
        return staff

    def dry_run(self) -> None:
        self._start(self._job(True), self._dry_run_done, _("Checking the file…"))

    def _dry_run_done(self, result: people.ImportResult) -> None:
        self.result = result
        counts = result.counts
        for key, label in self.count_labels.items():
            label.setText(format_number(counts.get(key, 0)))
        self.counts_box.setVisible(result.ok)
        shown = list(result.notices[:MAX_NOTICES])
        if len(result.notices) > MAX_NOTICES:
            shown.append(_("… and {n} more").format(n=len(result.notices) - MAX_NOTICES))
        self.notices.setText("\n".join(shown))
        self.notices.setVisible(bool(shown))
        if result.ok:
            self.verdict.setText(_("The file is in order. Nothing has changed yet: check the "
                                   "numbers below and press Import."))
            self.verdict.setStyleSheet("font-size: 12pt; font-weight: 600; color: #1b5e20;")
        else:
            self._refusal_text()
        self._set_problems(result.problems, result.warnings)
        self._go(self.PREVIEW)

    def _refusal_text(self) -> None:
        self.verdict.setText(_("The file was refused and nothing has changed. Correct the "
                               "problems below in the file (or choose other columns) and try "
                               "again."))
        self.verdict.setStyleSheet(f"font-size: 12pt; font-weight: 600; color: {RED};")

    def _show_refusal(self, problems: list[ImportProblem]) -> None:
        self.counts_box.hide()
        self.notices.hide()
        self._refusal_text()
        self._set_problems(problems, [])
        self._go(self.PREVIEW)

    def _set_problems(self, problems: list[ImportProblem], warnings: list[ImportProblem]) -> None:
        self.problem_model.set_problems(problems, warnings)
        # rows as high as their text; past a few hundred rows measuring them all would
        # stall the window, and three lines (the default height) then have to do
        self.problems.verticalHeader().setSectionResizeMode(
            QHeaderView.ResizeMode.ResizeToContents if len(problems) + len(warnings) <= 300
            else QHeaderView.ResizeMode.Interactive)
        self.problems.setVisible(bool(problems or warnings))
        self.problems_label.setText(", ".join((
            ngettext("{n} problem", "{n} problems", len(problems)).format(
                n=format_number(len(problems))),
            ngettext("{n} warning", "{n} warnings", len(warnings)).format(
                n=format_number(len(warnings))))))

    # -- step 4: the import ------------------------------------------------------------------
    def run_import(self) -> None:
        if not (self.result and self.result.ok):
            return
        self._start(self._job(False), self._import_done, _("Importing…"),
                    with_progress=self.kind.key == "students")

    def _import_done(self, result: people.ImportResult) -> None:
        if not result.applied:  # the database changed between the dry run and now
            self._dry_run_done(result)
            return
        self.result = result
        counts = result.counts
        lines = [_("The import is done.")]
        for key in self.kind.counts:
            lines.append(f"{_(COUNT_LABELS[key])}: {format_number(counts.get(key, 0))}")
        self.summary.setText("\n".join(lines))
        self._go(self.DONE)
        self.imported.emit(result)

    # -- background work ---------------------------------------------------------------------
    def _start(self, fn: Callable, on_done: Callable, label: str,
               with_progress: bool = False) -> None:
        self.progress = QProgressDialog(label, "", 0, 0, self)
        self.progress.setCancelButton(None)
        self.progress.setWindowModality(Qt.WindowModality.WindowModal)
        self.progress.setMinimumDuration(300)
        self.progress.setAutoClose(False)
        self.progress.setAutoReset(False)
        self.progress.setValue(0)
        task = Task(fn, with_progress=with_progress)
        task.signals.progress.connect(self._progress)
        task.signals.done.connect(lambda result: self._finished(on_done, result))
        task.signals.failed.connect(self._failed)
        self.task = task
        self._update_buttons()
        QThreadPool.globalInstance().start(task)

    def _progress(self, done: int, total: int) -> None:
        if self.progress is not None:
            self.progress.setMaximum(max(total, 0))
            self.progress.setValue(min(done, total) if total else 0)

    def _end_task(self) -> None:
        self.task = None
        if self.progress is not None:
            self.progress.close()
            self.progress.deleteLater()
            self.progress = None

    def _finished(self, on_done: Callable, result: object) -> None:
        self._end_task()
        on_done(result)
        self._update_buttons()

    def _failed(self, exc: object) -> None:
        self._end_task()
        message = str(exc) or _("The import failed and changed nothing.")
        if self.pages.currentIndex() == self.FILE:
            self.file_error.setText(message)
        else:
            self.verdict.setText(message)
            self.verdict.setStyleSheet(f"font-size: 12pt; font-weight: 600; color: {RED};")
        self._update_buttons()

    def is_busy(self) -> bool:
        return self.task is not None

    def reject(self) -> None:
        if self.task is not None:  # the work cannot be interrupted half-way
            return
        super().reject()
