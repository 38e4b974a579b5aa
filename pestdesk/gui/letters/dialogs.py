"""The letter dialogs: compose and issue (one letter or a protocol step's batch), the template
editor with live preview, and the envelope-window settings with a test print.

All data work goes through :mod:`pestdesk.services.letters`; issuing a batch renders off the
GUI thread (:class:`~pestdesk.gui.common.tasks.Task`) behind a progress dialog.
"""

from __future__ import annotations

import threading
from typing import Any

from PySide6.QtCore import QDate, Qt, QThreadPool, QTimer, Signal
from PySide6.QtGui import QColor, QFontDatabase, QTextCursor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDateEdit,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QMessageBox,
    QPlainTextEdit,
    QProgressDialog,
    QPushButton,
    QSplitter,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from pestdesk import clock
from pestdesk.gui.common.colors import RED
from pestdesk.gui.common.limits import exempt, limit
from pestdesk.gui.common.models import ListModel
from pestdesk.gui.common.pdf_preview import PdfPreview, print_pdfs
from pestdesk.gui.common.tasks import Task
from pestdesk.gui.letters.template_list import TemplateList
from pestdesk.i18n import N_, _, ngettext
from pestdesk.letters import MERGE_FIELDS, WindowSettings, merge_context, render_test_print
from pestdesk.letters import fields as letter_fields
from pestdesk.services import letters, lists
from pestdesk.services.base import Actor, Conflict, ServiceError

ERROR = QColor(RED)
ROLE_LABELS = {"gepeste": N_("victim"), "pester": N_("bully"), "meeloper": N_("follower"),
               "middengroep": N_("bystander"), "getuige": N_("witness")}
CHECKED, UNCHECKED = Qt.CheckState.Checked, Qt.CheckState.Unchecked
DATA = Qt.ItemDataRole.UserRole
#: groups whose fields a user may type in when the dossier has no value
TYPED_GROUPS = ("meeting", "vervolg", "verwijzing", "sanction", "contract", "cyber", "school")


def _error(parent: QWidget, title: str, exc: Exception) -> None:
    QMessageBox.warning(parent, title, str(exc))


# --------------------------------------------------------------------------- compose


class ComposeDialog(QDialog):
    """Nieuwe brief: case → letter (or protocol step) → students → addressees → preview →
    issue. Problems with an address are shown before anything is printed."""

    issued = Signal(list)  # letter ids

    def __init__(self, actor: Actor, parent: QWidget | None = None,
                 case_id: int | None = None) -> None:
        super().__init__(parent)
        self.actor = actor
        self.setWindowTitle(_("New letter"))
        self.plans: dict[int, letters.LetterPlan] = {}
        self.blocked: list[str] = []  # why the letters may not be issued yet
        self.case_id: int | None = None
        self._task: Task | None = None
        self._cancel = threading.Event()
        self._extra_edits: dict[str, QLineEdit] = {}
        self._rebuild = QTimer(self, singleShot=True, interval=350)
        self._rebuild.timeout.connect(self.rebuild_plans)

        left = QWidget()
        form = QVBoxLayout(left)
        form.setContentsMargins(0, 0, 6, 0)
        form.addWidget(QLabel(_("<b>1. Case</b>")))
        self.case_search = exempt(QLineEdit(), "searches the cases")
        self.case_search.setPlaceholderText(_("Search by case number, summary or student…"))
        self.case_search.setClearButtonEnabled(True)
        form.addWidget(self.case_search)
        self.case_model = ListModel(
            lists.CaseList(order_key="reported_on", descending=True, actor=actor), self)
        self.case_table = QTableView()
        self.case_table.setModel(self.case_model)
        self.case_table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.case_table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.case_table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.case_table.verticalHeader().hide()
        self.case_table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        for col in range(4, self.case_model.columnCount()):
            self.case_table.hideColumn(col)
        for col, width in enumerate((100, 90, 200, 160)):
            self.case_table.setColumnWidth(col, width)
        self.case_table.setMaximumHeight(150)
        form.addWidget(self.case_table)
        self._case_debounce = QTimer(self, singleShot=True, interval=150)
        self._case_debounce.timeout.connect(
            lambda: self.case_model.set_filters(text=self.case_search.text()))
        self.case_search.textChanged.connect(lambda _t: self._case_debounce.start())
        self.case_table.selectionModel().currentRowChanged.connect(
            lambda cur, _prev: self.set_case(self.case_model.record_id(cur.row())))

        self.case_label = QLabel()
        form.addWidget(self.case_label)
        form.addWidget(QLabel(_("<b>2. Letter</b>")))
        grid = QFormLayout()
        self.step_combo = QComboBox()
        self.step_combo.currentIndexChanged.connect(self._step_chosen)
        grid.addRow(_("Protocol step"), self.step_combo)
        self.template_combo = QComboBox()
        for code, title, is_school in letters.template_choices():
            school_version = _("school version")
            label = f"{title}  ({school_version})" if is_school else title
            self.template_combo.addItem(label, code)
        self.template_combo.currentIndexChanged.connect(self._template_chosen)
        grid.addRow(_("Letter"), self.template_combo)
        for combo in (self.step_combo, self.template_combo):
            # long step titles must not push the preview aside: the list pops out wide
            combo.setSizeAdjustPolicy(
                QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
            combo.setMinimumContentsLength(24)
            combo.view().setMinimumWidth(520)
        self.date_edit = QDateEdit(QDate(clock.today()))
        self.date_edit.setCalendarPopup(True)
        self.date_edit.dateChanged.connect(lambda _d: self._rebuild.start())
        grid.addRow(_("Date of the letter"), self.date_edit)
        self.lang_combo = QComboBox()
        self.lang_combo.addItem(_("Dutch"), "nl")
        self.lang_combo.addItem(_("English"), "en")
        self.lang_combo.currentIndexChanged.connect(lambda _i: self._rebuild.start())
        grid.addRow(_("Language"), self.lang_combo)
        form.addLayout(grid)

        form.addWidget(QLabel(_("<b>3. About which students</b>")))
        self.student_list = QListWidget()
        self.student_list.setMaximumHeight(90)
        self.student_list.itemChanged.connect(lambda _i: self._rebuild.start())
        form.addWidget(self.student_list)

        self.parent_box = QGroupBox(_("Text for the parents"))
        parent_layout = QVBoxLayout(self.parent_box)
        hint = QLabel(_("The letter never copies the internal report. Write here what the "
                        "parents may read; name only this student and their own parents."))
        hint.setWordWrap(True)
        parent_layout.addWidget(hint)
        self.parent_text = limit(QPlainTextEdit(), "case", "description")  # the letter's
        self.parent_text.setMaximumHeight(90)
        self.parent_text.textChanged.connect(self._parent_text_edited)
        parent_layout.addWidget(self.parent_text)
        self.neutral_button = QPushButton(_("Neutral text"))
        self.neutral_button.setToolTip(_("Put the neutral default text back"))
        self.neutral_button.clicked.connect(self.use_neutral_text)
        parent_layout.addWidget(self.neutral_button, 0, Qt.AlignmentFlag.AlignLeft)
        self._parent_edited = False
        self.parent_box.hide()
        form.addWidget(self.parent_box)

        self.extra_box = QGroupBox(_("Fill in what the dossier does not say"))
        self.extra_form = QFormLayout(self.extra_box)
        self.extra_form.setVerticalSpacing(3)
        self.extra_box.hide()
        form.addWidget(self.extra_box)

        form.addWidget(QLabel(_("<b>4. Addressees</b>")))
        self.recipient_list = QListWidget()
        self.recipient_list.currentItemChanged.connect(lambda _c, _p: self.show_preview())
        self.recipient_list.itemChanged.connect(lambda _i: self._update_buttons())
        form.addWidget(self.recipient_list, 1)
        self.problems = QLabel()
        self.problems.setWordWrap(True)
        self.problems.setStyleSheet("color: #8a1c13;")
        form.addWidget(self.problems)

        self.preview = PdfPreview()
        splitter = QSplitter()
        splitter.addWidget(left)
        splitter.addWidget(self.preview)
        # the letter is what is checked here: the preview gets the larger share, and grows
        splitter.setSizes([470, 760])
        splitter.setStretchFactor(0, 0)
        splitter.setStretchFactor(1, 1)

        self.buttons = QDialogButtonBox()
        self.issue_button = self.buttons.addButton(
            _("Issue and print…"), QDialogButtonBox.ButtonRole.AcceptRole)
        self.archive_button = self.buttons.addButton(
            _("Issue without printing"), QDialogButtonBox.ButtonRole.ApplyRole)
        self.buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        self.issue_button.clicked.connect(lambda: self.issue_letters(print_after=True))
        self.archive_button.clicked.connect(lambda: self.issue_letters(print_after=False))
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(splitter, 1)
        layout.addWidget(self.buttons)
        self.resize(1240, 740)  # fits a 1366x768 school laptop
        self._update_buttons()
        if case_id is not None:
            self.set_case(case_id)

    # -- choosing --------------------------------------------------------------------
    def set_case(self, case_id: int | None) -> None:
        self.case_id = case_id
        self.step_combo.blockSignals(True)
        self.step_combo.clear()
        self.step_combo.addItem(_("(no step: choose the letter yourself)"), None)
        self.student_list.blockSignals(True)
        self.student_list.clear()
        self.case_label.setText(_("No case chosen."))
        if case_id is not None:
            case = letters.compose_case(self.actor, case_id)  # NotFound when hidden
            self.case_label.setText(_("Case {number}: {summary}").format(
                number=case.number, summary=case.summary))
            for stage in case.protocol.stages:
                for step in stage.steps:
                    for code in step.letters:  # a step may produce several versions
                        label = f"{stage.title} — {step.title}"
                        if len(step.letters) > 1:
                            label += f" ({letters.template_title(code)})"
                        self.step_combo.addItem(label, (stage.code, step.code, code))
            for inv in case.students:
                item = QListWidgetItem(
                    f"{inv.name} — {_(ROLE_LABELS.get(inv.role, inv.role))}")
                item.setData(DATA, inv.student_id)
                item.setData(257, inv.role)
                item.setCheckState(UNCHECKED)
                self.student_list.addItem(item)
        self.step_combo.blockSignals(False)
        self.student_list.blockSignals(False)
        self._mark_unfit_templates()
        self._check_students_for_template()

    def _mark_unfit_templates(self) -> None:
        """Letters that do not fit this case are greyed out, the reason as their tooltip."""
        model = self.template_combo.model()
        for i in range(self.template_combo.count()):
            code = self.template_combo.itemData(i)
            why = letters.unfit_reason(code, self.case_id) if self.case_id else ""
            item = model.item(i)
            item.setEnabled(not why)
            item.setToolTip(why)
        if not model.item(self.template_combo.currentIndex()).isEnabled():
            first = next((i for i in range(self.template_combo.count())
                          if model.item(i).isEnabled()), 0)
            self.template_combo.setCurrentIndex(first)

    def _step_chosen(self, _index: int) -> None:
        data = self.step_combo.currentData()
        if not data or self.case_id is None:
            return
        code = data[2] if len(data) > 2 else letters.letter_for_step(self.case_id, data[1],
                                                                      data[0])
        index = self.template_combo.findData(code)
        if index >= 0:
            self.template_combo.setCurrentIndex(index)
        self._check_students_for_template()

    def _template_chosen(self, _index: int) -> None:
        self._check_students_for_template()

    def _check_students_for_template(self) -> None:
        if self.case_id is None:
            self.rebuild_plans()
            return
        wanted = set(letters.students_for_letter(self.case_id, self.template_code()))
        self.student_list.blockSignals(True)
        for i in range(self.student_list.count()):
            item = self.student_list.item(i)
            item.setCheckState(CHECKED if item.data(DATA) in wanted else UNCHECKED)
        self.student_list.blockSignals(False)
        self.rebuild_plans()

    def template_code(self) -> str:
        return self.template_combo.currentData() or ""

    def chosen_students(self) -> list[int]:
        return [self.student_list.item(i).data(DATA) for i in range(self.student_list.count())
                if self.student_list.item(i).checkState() == CHECKED]

    def _parent_text_edited(self) -> None:
        if self.parent_text.signalsBlocked():
            return
        self._parent_edited = True
        self._rebuild.start()

    def use_neutral_text(self) -> None:
        """Forget the typed parent text: every letter gets the neutral default again."""
        self._parent_edited = False
        self.rebuild_plans()

    def chosen_parent_text(self) -> str | None:
        """The parent text the user wrote, or None for the neutral default per student."""
        return self.parent_text.toPlainText() if self._parent_edited else None

    def _show_parent_text(self) -> None:
        plan = next(iter(self.plans.values()), None)
        uses = plan is not None and "case.omschrijving" in plan.template.used_fields(plan.lang)
        self.parent_box.setVisible(uses)
        if uses and not self._parent_edited:
            self.parent_text.blockSignals(True)
            self.parent_text.setPlainText(plan.merge_data["case"]["omschrijving"])
            self.parent_text.blockSignals(False)

    def extra(self) -> dict[str, dict[str, str]]:
        out: dict[str, dict[str, str]] = {}
        for name, edit in self._extra_edits.items():
            if edit.text().strip():
                group, _dot, field = name.partition(".")
                out.setdefault(group, {})[field] = edit.text().strip()
        return out

    # -- planning --------------------------------------------------------------------
    def rebuild_plans(self) -> None:
        self.plans = {}
        problems: list[str] = []
        if self.case_id is not None and self.template_code():
            when = self.date_edit.date().toPython()
            for sid in self.chosen_students():
                try:
                    self.plans[sid] = letters.prepare(
                        self.actor, self.case_id, sid, self.template_code(),
                        letter_date=when, lang=self.lang_combo.currentData(), extra=self.extra(),
                        parent_text=self.chosen_parent_text())
                except ServiceError as exc:
                    problems.append(str(exc))
        self.blocked = []
        for plan in self.plans.values():
            problems += plan.problems
            self.blocked += [f"{plan.student_name}: {why}" for why in plan.blocking()]
        self._show_parent_text()
        self._fill_extra_fields()
        self._fill_recipients()
        self.problems.setText("\n".join(f"• {p}" for p in problems + self.blocked))
        self.show_preview()

    def _missing_fields(self) -> list[str]:
        missing: set[str] = set()
        for plan in self.plans.values():
            data = merge_context(plan.merge_data, None, plan.letterhead, plan.letter_date)
            used = plan.template.used_fields(plan.lang)
            missing |= set(letter_fields.missing_fields(used, data))
        return sorted(n for n in missing if n.split(".")[0] in TYPED_GROUPS)

    def _fill_extra_fields(self) -> None:
        missing = self._missing_fields()
        keep = {k: e.text() for k, e in self._extra_edits.items()}
        if set(missing) <= set(self._extra_edits) and self._extra_edits:
            return
        while self.extra_form.rowCount():
            self.extra_form.removeRow(0)
        self._extra_edits = {}
        for name in sorted(set(missing) | {k for k, v in keep.items() if v}):
            edit = limit(QLineEdit(keep.get(name, "")), "event", "title")
            edit.setToolTip("{{ " + name + " }}")
            edit.textChanged.connect(lambda _t: self._rebuild.start())
            self._extra_edits[name] = edit
            label = QLabel(_(MERGE_FIELDS.get(name, name)))
            label.setToolTip("{{ " + name + " }}")
            self.extra_form.addRow(label, edit)
        self.extra_box.setVisible(bool(self._extra_edits))

    def _fill_recipients(self) -> None:
        self.recipient_list.blockSignals(True)
        self.recipient_list.clear()
        for sid, plan in self.plans.items():
            for r in plan.recipients:
                text = f"{plan.student_name} → {r.describe()}"
                item = QListWidgetItem(text)
                item.setData(DATA, (sid, r.key))
                if r.problems:
                    item.setText(text + "  — " + _("address not usable"))
                    item.setForeground(ERROR)
                    item.setCheckState(UNCHECKED)
                    item.setToolTip("\n".join(r.problems))
                    item.setFlags(item.flags() & ~Qt.ItemFlag.ItemIsUserCheckable)
                else:
                    item.setCheckState(CHECKED)
                    tips = plan.warnings(r) + list(r.notes)
                    if tips:
                        item.setToolTip("\n".join(tips))
                self.recipient_list.addItem(item)
        self.recipient_list.blockSignals(False)
        if self.recipient_list.count():
            self.recipient_list.setCurrentRow(0)
        self._update_buttons()

    def chosen(self) -> list[tuple[letters.LetterPlan, Any]]:
        out = []
        for i in range(self.recipient_list.count()):
            item = self.recipient_list.item(i)
            if item.checkState() != CHECKED:
                continue
            sid, key = item.data(DATA)
            plan = self.plans[sid]
            out.append((plan, next(r for r in plan.recipients if r.key == key)))
        return out

    def _update_buttons(self) -> None:
        n = len(self.chosen()) if self.plans else 0
        ok = n > 0 and not self.blocked
        self.issue_button.setEnabled(ok)
        self.archive_button.setEnabled(ok)
        tip = _("Solve the points in red first.") if self.blocked else ""
        self.issue_button.setToolTip(tip)
        self.archive_button.setToolTip(tip)
        self.issue_button.setText(
            ngettext("Issue and print {n} letter…", "Issue and print {n} letters…", n).format(
                n=n) if n != 1 else _("Issue and print…"))

    def show_preview(self) -> None:
        item = self.recipient_list.currentItem()
        if item is None:
            self.preview.show_message(_("Choose a case, a letter and a student."))
            return
        sid, key = item.data(DATA)
        plan = self.plans.get(sid)
        if plan is None:
            return
        recipient = next(r for r in plan.recipients if r.key == key)
        try:
            self.preview.load_pdf(plan.render(recipient))
        except ServiceError as exc:
            self.preview.show_message(str(exc))

    # -- issuing -----------------------------------------------------------------------
    def issue_letters(self, print_after: bool) -> None:
        todo = self.chosen()
        if not todo:
            return
        if self.blocked:
            QMessageBox.warning(self, _("New letter"), _("Nothing was issued:\n{problems}")
                                .format(problems="\n".join(self.blocked)))
            return
        warnings = sorted({w for plan, r in todo for w in plan.warnings(r)})
        if warnings and QMessageBox.question(
            self, _("New letter"),
            _("Please check before printing:\n{warnings}\n\n"
              "Issue the letters anyway?").format(warnings="\n".join(warnings[:12])),
        ) != QMessageBox.StandardButton.Yes:
            return
        progress = QProgressDialog(_("Preparing letters…"), _("Cancel"), 0, len(todo) + 1, self)
        progress.setWindowTitle(_("New letter"))
        progress.setMinimumDuration(300)
        self._cancel.clear()
        progress.canceled.connect(self._cancel.set)
        actor, cancel = self.actor, self._cancel

        def work(report):
            def step(done: int, total: int) -> bool:
                report(done, total)
                return not cancel.is_set()

            return letters.issue(actor, todo, step)

        task = Task(work, with_progress=True)
        task.signals.progress.connect(lambda done, _total: progress.setValue(done))
        task.signals.done.connect(lambda result: self._issued(result, progress, print_after))
        task.signals.failed.connect(lambda exc: self._failed(exc, progress))
        self._task = task
        self.issue_button.setEnabled(False)
        self.archive_button.setEnabled(False)
        QThreadPool.globalInstance().start(task)

    def _issued(self, result: list, progress: QProgressDialog, print_after: bool) -> None:
        progress.reset()
        self._update_buttons()
        if not result:  # cancelled before anything was stored
            return
        ids = [r.letter_id for r in result]
        self.issued.emit(ids)
        if print_after and print_pdfs(self, [r.pdf for r in result], self.template_code()):
            letters.record_output(self.actor, ids, "print")
        self.accept()

    def _failed(self, exc: Exception, progress: QProgressDialog) -> None:
        progress.reset()
        self._update_buttons()
        if isinstance(exc, ServiceError):
            _error(self, _("New letter"), exc)
        else:
            QMessageBox.critical(self, _("New letter"),
                                 _("The letters could not be made; nothing was stored."))


# --------------------------------------------------------------------------- templates


class TemplateEditorDialog(TemplateList, QDialog):
    """Sjablonen: edit the school's version of a letter, with a live preview; a broken
    template is refused on save with the line and column of the mistake."""

    def __init__(self, actor: Actor, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.actor = actor
        self.setWindowTitle(_("Letter templates"))
        self.source: letters.TemplateSource | None = None
        self._dirty = False
        self.list = QListWidget()
        self.list.setMaximumWidth(260)
        self.editor = limit(QPlainTextEdit(), "setting", "value")  # templates are settings
        font = QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)
        font.setPointSize(max(9, font.pointSize()))
        self.editor.setFont(font)
        self.editor.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        self.editor.textChanged.connect(self._changed)
        self.editor.cursorPositionChanged.connect(self._show_position)
        self.status = QLabel()
        self.status.setWordWrap(True)
        self.position = QLabel()
        self.position.setObjectName("countLabel")
        self.preview = PdfPreview()
        self._debounce = QTimer(self, singleShot=True, interval=400)
        self._debounce.timeout.connect(self.refresh_preview)

        middle = QWidget()
        col = QVBoxLayout(middle)
        col.setContentsMargins(0, 0, 0, 0)
        col.addWidget(self.editor, 1)
        row = QHBoxLayout()
        row.addWidget(self.status, 1)
        row.addWidget(self.position)
        col.addLayout(row)
        splitter = QSplitter()
        splitter.addWidget(self.list)
        splitter.addWidget(middle)
        splitter.addWidget(self.preview)
        splitter.setSizes([220, 560, 460])

        self.buttons = QDialogButtonBox()
        self.save_button = self.buttons.addButton(
            _("Save school version"), QDialogButtonBox.ButtonRole.AcceptRole)
        self.restore_button = self.buttons.addButton(
            _("Restore shipped version"), QDialogButtonBox.ButtonRole.ResetRole)
        self.buttons.addButton(QDialogButtonBox.StandardButton.Close)
        self.save_button.clicked.connect(self.save)
        self.restore_button.clicked.connect(self.restore)
        self.buttons.rejected.connect(self.reject)
        if not letters.can_edit_template_source(actor):  # the raw file is the beheerder's
            self.save_button.setEnabled(False)
            self.restore_button.setEnabled(False)
            self.editor.setReadOnly(True)
        layout = QVBoxLayout(self)
        layout.addWidget(splitter, 1)
        layout.addWidget(self.buttons)
        self.resize(1300, 800)
        self._fill_list()
        self.list.currentRowChanged.connect(self._template_chosen)
        if self.list.count():
            self.list.setCurrentRow(0)

    # the list of templates: gui.letters.template_list
    def _choices(self):
        return letters.template_choices()

    def _item_text(self, code: str, title: str, is_school: bool) -> str:
        return f"{title}\n{code}" + (" · " + _("school version") if is_school else "")

    def _loaded(self) -> tuple[str, str] | None:
        return None if self.source is None else (self.source.code, self.source.code)

    def load(self, code: str) -> None:
        self.source = letters.template_source(code)
        self.editor.blockSignals(True)
        self.editor.setPlainText(self.source.text)
        self.editor.blockSignals(False)
        self._dirty = False
        self.restore_button.setEnabled(self.source.is_school
                                       and letters.can_edit_template_source(self.actor))
        self.refresh_preview()

    def _changed(self) -> None:
        self._dirty = True
        self._debounce.start()

    def _show_position(self) -> None:
        cursor = self.editor.textCursor()
        self.position.setText(_("line {line}, column {column}").format(
            line=cursor.blockNumber() + 1, column=cursor.positionInBlock() + 1))

    def problems(self) -> list:
        return letters.check_template(self.current_code(), self.editor.toPlainText())

    def refresh_preview(self) -> None:
        problems = self.problems()
        if problems:
            self.status.setStyleSheet("color: #8a1c13;")
            self.status.setText("\n".join(str(p) for p in problems[:4]))
            return
        self.status.setStyleSheet("color: #2e6b30;")
        self.status.setText(_("No mistakes found. The preview uses sample data."))
        try:
            self.preview.load_pdf(letters.preview_template(self.editor.toPlainText()))
        except Exception as exc:  # an address or layout problem: show it, keep editing
            self.preview.show_message(str(exc))

    def go_to(self, line: int, column: int) -> None:
        block = self.editor.document().findBlockByNumber(max(0, line - 1))
        cursor = QTextCursor(block)
        cursor.movePosition(QTextCursor.MoveOperation.Right, n=max(0, column - 1))
        self.editor.setTextCursor(cursor)
        self.editor.setFocus()

    def save(self) -> bool:
        if self.source is None:
            return False
        try:
            letters.save_template(self.actor, self.source.code, self.editor.toPlainText(),
                                  self.source.read_version)
        except letters.TemplateRefused as exc:
            first = exc.problems[0]
            self.go_to(first.line, first.column)
            self.refresh_preview()
            QMessageBox.warning(self, _("Letter templates"), str(exc))
            return False
        except Conflict as exc:
            QMessageBox.warning(self, _("Letter templates"), str(exc))
            return False
        except ServiceError as exc:
            _error(self, _("Letter templates"), exc)
            return False
        code = self.source.code
        self._fill_list(select=code)
        self.load(code)
        self.status.setText(_("Saved. New letters use this version; letters already issued "
                              "stay exactly as they were sent."))
        return True

    def restore(self) -> None:
        if self.source is None:
            return
        answer = QMessageBox.question(
            self, _("Letter templates"),
            _("Delete the school's version of this letter and use the shipped text again?"))
        if answer != QMessageBox.StandardButton.Yes:
            return
        try:
            letters.restore_shipped(self.actor, self.source.code)
        except ServiceError as exc:
            _error(self, _("Letter templates"), exc)
            return
        code = self.source.code
        self._fill_list(select=code)
        self.load(code)


# --------------------------------------------------------------------------- window


class WindowSettingsDialog(QDialog):
    """Where the envelope window is (mm from the top-left corner), with a test print."""

    def __init__(self, actor: Actor, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.actor = actor
        self.setWindowTitle(_("Envelope window"))
        current = letters.window_settings()
        self.spins: dict[str, QDoubleSpinBox] = {}
        form = QFormLayout()
        for name, label, maximum in (
            ("left_mm", _("From the left edge"), 190),
            ("top_mm", _("From the top edge"), 120),
            ("width_mm", _("Width"), 190),
            ("height_mm", _("Height"), 120),
        ):
            spin = QDoubleSpinBox()
            spin.setRange(0, maximum)
            spin.setDecimals(1)
            spin.setSingleStep(0.5)
            spin.setSuffix(" mm")
            spin.setValue(getattr(current, name))
            spin.valueChanged.connect(lambda _v: self._debounce.start())
            self.spins[name] = spin
            form.addRow(label, spin)
        self.padding = current.padding_mm
        note = QLabel(_("Measure the window of your envelope with the flap up, from the "
                        "top-left corner of a folded A4 sheet inside it. The default suits "
                        "the common Dutch window envelope (EA5/6 and EA4)."))
        note.setWordWrap(True)
        self.status = QLabel()
        self.status.setWordWrap(True)
        self.status.setStyleSheet("color: #8a1c13;")
        default = QPushButton(_("Default window"))
        default.clicked.connect(self.set_default)
        test = QPushButton(_("Print test page…"))
        test.clicked.connect(self.print_test)
        left = QWidget()
        col = QVBoxLayout(left)
        col.addWidget(note)
        col.addLayout(form)
        col.addWidget(default)
        col.addWidget(test)
        col.addWidget(self.status)
        col.addStretch(1)
        self.preview = PdfPreview()
        row = QHBoxLayout()
        row.addWidget(left)
        row.addWidget(self.preview, 1)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save
                                        | QDialogButtonBox.StandardButton.Cancel)
        self.buttons.accepted.connect(self.save)
        self.buttons.rejected.connect(self.reject)
        if not letters.can_edit_templates(actor):
            self.buttons.button(QDialogButtonBox.StandardButton.Save).setEnabled(False)
        layout = QVBoxLayout(self)
        layout.addLayout(row, 1)
        layout.addWidget(self.buttons)
        self._debounce = QTimer(self, singleShot=True, interval=250)
        self._debounce.timeout.connect(self.refresh)
        self.resize(980, 720)
        self.refresh()

    def settings(self) -> WindowSettings:
        values = {k: s.value() for k, s in self.spins.items()}
        return WindowSettings(padding_mm=self.padding, **values)

    def set_default(self) -> None:
        default = WindowSettings()
        for name, spin in self.spins.items():
            spin.setValue(getattr(default, name))

    def test_page(self) -> bytes | None:
        window = self.settings()
        try:
            window.check()
            pdf = render_test_print(window, letters.letterhead())
        except ValueError as exc:
            self.status.setText(str(exc))
            return None
        self.status.setText("")
        return pdf

    def refresh(self) -> None:
        pdf = self.test_page()
        ok = pdf is not None
        self.buttons.button(QDialogButtonBox.StandardButton.Save).setEnabled(
            ok and letters.can_edit_templates(self.actor))
        if ok:
            self.preview.load_pdf(pdf)

    def print_test(self) -> None:
        pdf = self.test_page()
        if pdf is not None:
            print_pdfs(self, [pdf], _("Envelope window test print"))

    def save(self) -> None:
        try:
            letters.save_window_settings(self.actor, self.settings())
        except ServiceError as exc:
            _error(self, _("Envelope window"), exc)
            return
        self.accept()
