"""The anti-bullying contract ("Veilig in school") of one pester: make, print, sign, evaluate.

:class:`ContractDialog` opens with ``(actor, case_id, student_id, parent)``. Without an open
contract it shows the form to make one: the protocol's rules (fixed: they are the school's
contract) plus the school's own extra rules for this student (an editable list), the date
and the evaluation date (the protocol's term by default). With a contract it shows the
contract, prints it for signature (``contracts.render_contract_pdf`` in the PDF preview),
records the signatures of the student and the parent(s) with their dates, and records the
outcome: kept, or broken -- which moves the pester one stage on the ladder.

All changes go through :mod:`pestdesk.services.contracts`; a stale version shows the shared
conflict dialog; ``changed`` tells the case screen to reload.
"""

from __future__ import annotations

from functools import partial

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QRadioButton,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from pestdesk import clock
from pestdesk.gui.case.sanctions import LadderMoveBox, StudentCombo, short_box
from pestdesk.gui.common import ops
from pestdesk.gui.common.colors import ERROR_STYLE, GREEN, GREY, RED
from pestdesk.gui.common.dialogs import date_edit, pydate, qdate
from pestdesk.gui.common.pdf_preview import PdfPreview, print_pdfs, save_pdf
from pestdesk.gui.common.widgets import ShowsErrors
from pestdesk.i18n import _, format_date
from pestdesk.services import access, cases, contracts, exports, views
from pestdesk.services.base import Actor, Conflict

EDITABLE = (Qt.ItemFlag.ItemIsEditable | Qt.ItemFlag.ItemIsEnabled
            | Qt.ItemFlag.ItemIsSelectable)


def left_aligned(widget: QWidget) -> QHBoxLayout:
    row = QHBoxLayout()
    row.addWidget(widget)
    row.addStretch(1)
    return row


class ContractDialog(ShowsErrors, QDialog):
    """Contract for one pester: the make form, or the contract with signatures and outcome."""

    changed = Signal()

    def __init__(self, actor: Actor, case_id: int, student_id: int | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.actor, self.case_id = actor, case_id
        self.editable = access.can_edit_case(actor, case_id)
        self.protocol = cases.protocol_for(case_id)
        self.contract = None  # the shown Contract, if the student has one
        self.setWindowTitle(_("Anti-bullying contract"))
        top = QFormLayout()
        self.student = StudentCombo(case_id, student_id, actor=actor)
        self.student.currentIndexChanged.connect(lambda _i: self.load())
        top.addRow(_("Student"), self.student)
        self.pages = QStackedWidget()
        self.pages.addWidget(self._make_page())
        self.pages.addWidget(self._contract_page())
        self.error = QLabel()
        self.error.setObjectName("errorLabel")
        self.error.setWordWrap(True)
        self.error.setStyleSheet(ERROR_STYLE)
        self.error.hide()
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.pages, 1)
        layout.addWidget(self.error)
        layout.addWidget(buttons)
        self.resize(720, 600)
        self.load()

    # -- making ------------------------------------------------------------------------
    def _make_page(self) -> QWidget:
        page = QWidget()
        layout = QVBoxLayout(page)
        layout.setContentsMargins(0, 0, 0, 0)
        form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.FieldsStayAtSizeHint)
        self.made_on = date_edit(clock.today())
        self.made_on.dateChanged.connect(lambda _d: self._default_evaluation())
        form.addRow(_("Date of the contract"), self.made_on)
        self.evaluate_on = date_edit(clock.today(), latest_today=False)
        form.addRow(_("Evaluate on"), self.evaluate_on)
        layout.addLayout(form)
        preset = self.protocol.contract
        fixed = QGroupBox(_("Rules from the protocol"))
        fixed_layout = QVBoxLayout(fixed)
        rules = preset.rules if preset else ()
        self.preset_rules = QLabel("<br>".join(f"{i}. {r}" for i, r in enumerate(rules, 1))
                                   or _("The protocol has no contract."))
        self.preset_rules.setWordWrap(True)
        self.preset_rules.setTextFormat(Qt.TextFormat.RichText)
        fixed_layout.addWidget(self.preset_rules)
        layout.addWidget(fixed)
        extra = QGroupBox(_("Extra rules for this student"))
        extra_layout = QVBoxLayout(extra)
        hint = QLabel(_("Double-click a rule to change it. For example: I leave my classmate "
                        "alone, also online."))
        hint.setWordWrap(True)
        hint.setStyleSheet(f"color: {GREY};")
        extra_layout.addWidget(hint)
        self.extra_rules = QListWidget()
        self.extra_rules.setDragDropMode(QAbstractItemView.DragDropMode.InternalMove)
        self.extra_rules.setMaximumHeight(110)
        extra_layout.addWidget(self.extra_rules)
        row = QHBoxLayout()
        add = QPushButton(_("Add rule"))
        add.clicked.connect(lambda: self.add_rule())
        remove = QPushButton(_("Remove rule"))
        remove.clicked.connect(self.remove_rule)
        row.addWidget(add)
        row.addWidget(remove)
        row.addStretch(1)
        extra_layout.addLayout(row)
        layout.addWidget(extra)
        self.ladder = LadderMoveBox(self.protocol)
        layout.addWidget(self.ladder)
        layout.addStretch(1)
        self.make_button = QPushButton(_("Make contract"))
        self.make_button.clicked.connect(self.make)
        layout.addWidget(self.make_button, 0, Qt.AlignmentFlag.AlignRight)
        self._default_evaluation()
        return page

    def _default_evaluation(self) -> None:
        due = contracts.default_evaluate_on(self.protocol, pydate(self.made_on))
        self.evaluate_on.setDate(qdate(due))

    def add_rule(self, text: str = "") -> QListWidgetItem:
        item = QListWidgetItem(text or _("New rule"))
        item.setFlags(EDITABLE | Qt.ItemFlag.ItemIsDragEnabled)
        self.extra_rules.addItem(item)
        self.extra_rules.setCurrentItem(item)
        if not text:
            self.extra_rules.editItem(item)
        return item

    def remove_rule(self) -> None:
        row = self.extra_rules.currentRow()
        if row >= 0:
            self.extra_rules.takeItem(row)

    def rules(self) -> list[str]:
        return [self.extra_rules.item(i).text().strip() for i in range(self.extra_rules.count())
                if self.extra_rules.item(i).text().strip()]

    def make(self) -> bool:
        sid = self.student.student_id()
        if sid is None:
            self.show_error(_("This case has no bully to make a contract with."))
            return False
        missing = self.ladder.missing()
        if missing:
            self.show_error("\n".join(missing))
            return False
        if not ops.run(self, partial(contracts.make_contract, self.actor, self.case_id, sid,
                                     made_on=pydate(self.made_on),
                                     evaluate_on=pydate(self.evaluate_on),
                                     extra_rules=self.rules(),
                                     move_reason=self.ladder.reason()),
                       changes=ops.Changes.case(self.case_id), show=self.show_error):
            return False
        self.extra_rules.clear()
        self._saved()
        return True

    # -- the contract ------------------------------------------------------------------
    def _contract_page(self) -> QWidget:
        page = QWidget()
        layout = QVBoxLayout(page)
        layout.setContentsMargins(0, 0, 0, 0)
        self.summary = QLabel()
        self.summary.setWordWrap(True)
        self.summary.setTextFormat(Qt.TextFormat.RichText)
        layout.addWidget(self.summary)
        row = QHBoxLayout()
        self.print_button = QPushButton(_("Print for signature…"))
        self.print_button.clicked.connect(self.show_print)
        self.new_button = QPushButton(_("New contract…"))
        self.new_button.clicked.connect(lambda: self.pages.setCurrentIndex(0))
        row.addWidget(self.print_button)
        row.addStretch(1)
        row.addWidget(self.new_button)
        layout.addLayout(row)
        layout.addWidget(self._signature_box())
        layout.addWidget(self._outcome_box())
        layout.addStretch(1)
        return page

    def _signature_box(self) -> QGroupBox:
        self.signature_box = QGroupBox(_("Signatures"))
        form = QFormLayout(self.signature_box)
        self.student_signed = QCheckBox(_("signed on"))
        self.student_on = date_edit(clock.today())
        form.addRow(_("Student"), self._dated(self.student_signed, self.student_on))
        self.parents_signed = QCheckBox(_("signed on"))
        self.parents_on = date_edit(clock.today())
        form.addRow(_("Parent(s)"), self._dated(self.parents_signed, self.parents_on))
        self.guardian_boxes: list[QCheckBox] = []
        self.guardian_row = QHBoxLayout()
        form.addRow(_("Who signed"), self.guardian_row)
        self.sign_button = QPushButton(_("Save signatures"))
        self.sign_button.clicked.connect(self.sign)
        form.addRow("", left_aligned(self.sign_button))
        return self.signature_box

    @staticmethod
    def _dated(check: QCheckBox, edit) -> QHBoxLayout:
        row = QHBoxLayout()
        edit.setEnabled(False)
        check.toggled.connect(edit.setEnabled)
        row.addWidget(check)
        row.addWidget(edit)
        row.addStretch(1)
        return row

    def _outcome_box(self) -> QGroupBox:
        self.outcome_box = QGroupBox(_("Evaluation"))
        form = QFormLayout(self.outcome_box)
        choice = QHBoxLayout()
        self.kept = QRadioButton(_("Kept"))
        self.broken = QRadioButton(_("Broken"))
        choice.addWidget(self.kept)
        choice.addWidget(self.broken)
        choice.addStretch(1)
        form.addRow(_("Outcome"), choice)
        self.broken_hint = QLabel()
        self.broken_hint.setWordWrap(True)
        self.broken_hint.setStyleSheet(f"color: {GREY};")
        form.addRow(self.broken_hint)
        self.outcome_on = date_edit(clock.today())
        form.addRow(_("Date"), left_aligned(self.outcome_on))
        self.outcome_note = short_box(2, _("What went well, what did not"))
        form.addRow(_("Note"), self.outcome_note)
        self.outcome_button = QPushButton(_("Record outcome"))
        self.outcome_button.clicked.connect(self.record_outcome)
        form.addRow("", left_aligned(self.outcome_button))
        self.outcome_label = QLabel()
        self.outcome_label.setWordWrap(True)
        self.outcome_label.setTextFormat(Qt.TextFormat.RichText)
        form.addRow(self.outcome_label)
        return self.outcome_box

    def _next_stage_title(self) -> str:
        codes = [s.code for s in self.protocol.stages]
        here = contracts.contract_stage(self.protocol)
        if here in codes and codes.index(here) + 1 < len(codes):
            return self.protocol.stages[codes.index(here) + 1].title
        return ""

    # -- loading -----------------------------------------------------------------------
    def load(self) -> None:
        self.show_error("")
        self.contract = views.latest_contract(self.actor, self.case_id,
                                              self.student.student_id())
        sid = self.student.student_id()
        self.make_button.setEnabled(self.editable and sid is not None)
        self.ladder.show_preview(contracts.ladder_preview(self.case_id, sid, actor=self.actor)
                                 if sid is not None and self.editable else None)
        if self.contract is None:
            self.pages.setCurrentIndex(0)
            return
        self._fill_contract(self.contract)
        self.pages.setCurrentIndex(1)

    def _fill_contract(self, c: views.ContractView) -> None:
        rules = "".join(f"<li>{r}</li>" for r in c.rules)
        self.summary.setText(
            _("Contract of {made}; evaluation on <b>{evaluate}</b>.").format(
                made=format_date(c.made_on, "long"), evaluate=format_date(c.evaluate_on, "long"))
            + f"<ol>{rules}</ol>")
        open_ = not c.outcome and self.editable
        self.student_signed.setChecked(c.signed_student_on is not None)
        self.student_on.setDate(qdate(c.signed_student_on or clock.today()))
        self.parents_signed.setChecked(c.signed_parent_on is not None)
        self.parents_on.setDate(qdate(c.signed_parent_on or clock.today()))
        self._fill_guardians(c)
        self.signature_box.setEnabled(open_)
        self.new_button.setVisible(bool(c.outcome) and self.editable)
        for widget in (self.kept, self.broken, self.outcome_on, self.outcome_note,
                       self.outcome_button):
            widget.setVisible(not c.outcome)
            widget.setEnabled(open_)
        nxt = self._next_stage_title()
        self.broken_hint.setText(_("Broken: the student moves on to the next stage ({stage}).")
                                 .format(stage=nxt) if nxt else "")
        self.broken_hint.setVisible(not c.outcome and bool(nxt))
        if c.outcome:
            word = _("kept") if c.outcome == "kept" else _("broken")
            color = GREEN if c.outcome == "kept" else RED
            self.outcome_label.setText(f"<span style='color:{color}'><b>"
                                       + _("The contract was {outcome}.").format(outcome=word)
                                       + "</b></span>")
        else:
            self.outcome_label.setText("")

    def _fill_guardians(self, c: views.ContractView) -> None:
        while self.guardian_row.count():
            item = self.guardian_row.takeAt(0)
            if item.widget():
                item.widget().deleteLater()
        self.guardian_boxes = []
        for name in c.guardians:
            box = QCheckBox(name)
            self.guardian_boxes.append(box)
            self.guardian_row.addWidget(box)
        if not self.guardian_boxes:
            self.guardian_row.addWidget(QLabel(_("(no parent with parental authority known)")))
        self.guardian_row.addStretch(1)

    def _saved(self) -> None:
        self.changed.emit()
        self.load()

    def _save(self, call, mine: dict) -> bool:
        """One save through gui.common.ops: errors in the form's line, a conflict reloads."""
        def reloaded(_exc: Conflict, choice) -> None:
            if choice.reload:
                self.load()
                self.changed.emit()

        return (ops.Op(self, call, changes=ops.Changes.case(self.case_id))
                .errors_to(self.show_error).on_conflict(reloaded, lambda: mine).run())

    # -- signing and evaluating -------------------------------------------------------
    def sign(self) -> bool:
        c = self.contract
        if c is None:
            return False
        student_on = pydate(self.student_on) if self.student_signed.isChecked() else None
        parents_on = pydate(self.parents_on) if self.parents_signed.isChecked() else None
        who = ", ".join(b.text() for b in self.guardian_boxes if b.isChecked())
        mine = {"signed_student_on": student_on, "signed_parent_on": parents_on}
        if not self._save(partial(contracts.record_signatures, self.actor, c.id, c.version,
                                  student_on=student_on, parents_on=parents_on, parents=who),
                          mine):
            return False
        self._saved()
        return True

    def record_outcome(self) -> bool:
        c = self.contract
        if c is None:
            return False
        outcome = "kept" if self.kept.isChecked() else "broken" if self.broken.isChecked() else ""
        if not self._save(partial(contracts.record_outcome, self.actor, c.id, c.version,
                                  outcome=outcome, on=pydate(self.outcome_on),
                                  note=self.outcome_note.toPlainText()),
                          {"outcome": outcome}):
            return False
        self.outcome_note.clear()
        self._saved()
        return True

    # -- printing ----------------------------------------------------------------------
    def show_print(self) -> None:
        if self.contract is None:
            return
        def layout_problem(exc: BaseException) -> bool:  # an address or layout problem
            if isinstance(exc, ValueError):
                self.show_error(str(exc))
                return True
            return False

        render = ops.Op(self, partial(contracts.render_contract_pdf, self.contract.id),
                        label=_("Preparing the contract…")).errors_to(self.show_error)
        if not render.failure(layout_problem).run():
            return
        self.print_dialog = ContractPrintDialog(render.result, self, self.actor,
                                                self.contract.id)
        self.print_dialog.exec()


class ContractPrintDialog(QDialog):
    """The contract as it will be printed, with Print and Save as PDF."""

    def __init__(self, pdf: bytes, parent: QWidget | None = None, actor: Actor | None = None,
                 contract_id: int | None = None) -> None:
        super().__init__(parent)
        self.pdf = pdf
        self.actor, self.contract_id = actor, contract_id
        self.setWindowTitle(_("Contract for signature"))
        self.preview = PdfPreview()
        self.preview.load_pdf(pdf)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        print_button = buttons.addButton(_("Print…"), QDialogButtonBox.ButtonRole.ActionRole)
        print_button.clicked.connect(self.print_contract)
        save_button = buttons.addButton(_("Save as PDF…"), QDialogButtonBox.ButtonRole.ActionRole)
        save_button.clicked.connect(self.save_contract)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.preview, 1)
        layout.addWidget(buttons)
        self.resize(700, 820)

    def _record(self, action: str) -> None:
        if self.actor is not None:
            ops.Op(self, partial(exports.record_export, self.actor, action, "contract",
                                 self.contract_id)).titled(_("Contract for signature")).run()

    def print_contract(self) -> None:
        if print_pdfs(self, [self.pdf], _("Contract")):
            self._record("print")

    def save_contract(self) -> None:
        if save_pdf(self, self.pdf, _("contract") + ".pdf") is not None:
            self._record("export")
