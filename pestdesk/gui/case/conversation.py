"""Log a conversation (gesprek) with the victim, the bully, both, the class or the parents.

The protocol's conversation guide is built into the form from its data
(``protocol.guide(...)``): a field per question for the victim, a field per aim with the
bully (confront, underlying causes, what follows if it does not stop), and the points of
attention beside them. The protocol steps the conversation fulfils are ticked (the step the
user came from is ticked already); agreements made in it get an owner and an evaluation date
and come back as follow-ups when due. Saved in one transaction by
``services.cases.log_conversation``.
"""

from __future__ import annotations

import datetime as dt

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QFrame,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QScrollArea,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from pestdesk import clock
from pestdesk.domain.engine import CaseAssessment
from pestdesk.domain.protocol import Guide, Protocol
from pestdesk.gui.common import ops
from pestdesk.gui.common.dialogs import date_edit, pydate, text_box
from pestdesk.gui.common.labels import role_label
from pestdesk.gui.common.limits import limit
from pestdesk.gui.common.student_picker import StaffCombo
from pestdesk.gui.common.widgets import error_label
from pestdesk.i18n import _
from pestdesk.services import cases
from pestdesk.services import staff as staff_service
from pestdesk.services.base import Actor

DATA = Qt.ItemDataRole.UserRole
#: which students take part by default, per "with whom"
PARTICIPANT_ROLES = {"victim": {"gepeste"}, "bully": {"pester"}, "both": {"gepeste", "pester"},
                     "class": set(), "parents": set()}


def with_whom_for_step(step, protocol: Protocol | None = None) -> str:
    """With whom a protocol step's conversation is held (the user can change it): the
    step's declared ``with``, else whom its guide is for, else the bully for a step per
    bully."""
    if step.partner:
        return step.partner
    guide = protocol.guide(step.guide) if protocol and step.guide else None
    if guide is not None and guide.partner:
        return guide.partner
    return "bully" if step.scope == "pester" else "victim"


def guide_for(protocol: Protocol, with_whom: str) -> str:
    """The protocol's guide for this kind of conversation ("" when it has none)."""
    guide = protocol.guide_with(with_whom)
    return guide.code if guide else ""


class GuideForm(QGroupBox):
    """A conversation guide as a form: one answer field per question and per aim."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.guide: Guide | None = None
        self.answers: dict[str, object] = {}
        self._layout = QVBoxLayout(self)

    def set_guide(self, guide: Guide | None) -> None:
        kept = {q: box.toPlainText() for q, box in self.answers.items()}
        while self._layout.count():
            item = self._layout.takeAt(0)
            if item.widget():
                item.widget().hide()
                item.widget().deleteLater()
        self.answers = {}
        self.guide = guide
        self.setVisible(guide is not None)
        if guide is None:
            return
        self.setTitle(guide.title)
        if guide.intro:
            self._layout.addWidget(self._note(guide.intro))
        for heading, texts in ((_("Questions"), guide.questions), (_("Aims"), guide.aims)):
            if not texts:
                continue
            self._layout.addWidget(QLabel(f"<b>{heading}</b>"))
            for n, text in enumerate(texts, start=1):
                label = QLabel(f"{n}. {text}")
                label.setWordWrap(True)
                box = text_box(2, field=("event", "body"))  # kept in the event's data
                box.setMaximumHeight(box.minimumHeight() + 30)
                box.setPlainText(kept.get(text, ""))
                label.setBuddy(box)
                self._layout.addWidget(label)
                self._layout.addWidget(box)
                self.answers[text] = box
        if guide.attention:
            items = "".join(f"<li>{t}</li>" for t in guide.attention)
            heading = _("Pay attention to")
            self._layout.addWidget(self._note(
                f"<b>{heading}</b><ul style='margin: 2px 0 0 -20px'>{items}</ul>"))

    @staticmethod
    def _note(text: str) -> QLabel:
        label = QLabel(text)
        label.setWordWrap(True)
        label.setStyleSheet("background: #f1f4f8; color: #333; padding: 6px 8px; "
                            "border-radius: 4px;")
        return label

    def values(self) -> dict[str, str]:
        return {q: box.toPlainText() for q, box in self.answers.items()
                if box.toPlainText().strip()}


class AgreementRows(QWidget):
    """Agreements made in the conversation: description, owner, evaluation date."""

    def __init__(self, actor: Actor, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.actor = actor
        self.rows: list[tuple[QWidget, QLineEdit, StaffCombo, object]] = []
        self._layout = QVBoxLayout(self)
        self._layout.setContentsMargins(0, 0, 0, 0)
        self.add_button = QPushButton(_("+ Add an agreement"))
        self.add_button.clicked.connect(lambda: self.add_row())
        self._layout.addWidget(self.add_button, 0, Qt.AlignmentFlag.AlignLeft)

    def add_row(self, text: str = "") -> QLineEdit:
        row = QWidget()
        line = QHBoxLayout(row)
        line.setContentsMargins(0, 0, 0, 0)
        description = limit(QLineEdit(text), "agreement", "description")
        description.setPlaceholderText(_("What was agreed?"))
        owner = StaffCombo()
        owner.set_staff(self.actor.staff_id)
        owner.setMinimumWidth(200)
        evaluate = date_edit(clock.today() + dt.timedelta(days=14), latest_today=False)
        remove = QToolButton()
        remove.setText("✕")
        remove.setToolTip(_("Remove this agreement"))
        remove.clicked.connect(lambda: self._remove(row))
        line.addWidget(description, 1)
        line.addWidget(QLabel(_("follow-up:")))
        line.addWidget(owner)
        line.addWidget(QLabel(_("evaluate on:")))
        line.addWidget(evaluate)
        line.addWidget(remove)
        self._layout.insertWidget(self._layout.count() - 1, row)
        self.rows.append((row, description, owner, evaluate))
        description.setFocus()
        return description

    def _remove(self, row: QWidget) -> None:
        self.rows = [r for r in self.rows if r[0] is not row]
        row.deleteLater()

    def agreements(self) -> tuple[cases.AgreementInput, ...]:
        return tuple(
            cases.AgreementInput(description.text(), owner.staff_id(), pydate(evaluate))
            for _row, description, owner, evaluate in self.rows
            if description.text().strip()
        )


class ConversationDialog(QDialog):
    """Log a conversation; ``saved(event_id)``."""

    saved = Signal(int)

    def __init__(self, actor: Actor, case_id: int, parent: QWidget | None = None, *,
                 with_whom: str = "", step_codes: tuple[str, ...] = (),
                 pester_id: int | None = None, guide_code: str | None = None,
                 detail: cases.CaseDetail | None = None, assessment: CaseAssessment | None = None,
                 protocol: Protocol | None = None) -> None:
        super().__init__(parent)
        self.actor, self.case_id = actor, case_id
        self.event_id: int | None = None
        self.detail = detail or cases.case_detail(case_id, actor=actor)
        self.protocol = protocol or cases.protocol_for(case_id)
        self.assessment = assessment or cases.assess(case_id, actor=actor)
        self.setWindowTitle(_("Log a conversation — {number}").format(
            number=self.detail.number))
        self._preset_steps = tuple(step_codes)
        outer = QVBoxLayout(self)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        body = QWidget()
        self.body_layout = QVBoxLayout(body)
        scroll.setWidget(body)
        outer.addWidget(scroll, 1)
        self._build_form(with_whom or "victim", pester_id)
        self.guide_form = GuideForm()
        self.body_layout.addWidget(self.guide_form)
        self.summary = text_box(4, _("What was said; how did the student react?"),
                                ("event", "body"))
        self.summary.setMaximumHeight(self.summary.minimumHeight() + 80)
        summary_box = QGroupBox(_("Report of the conversation"))
        QVBoxLayout(summary_box).addWidget(self.summary)
        self.body_layout.addWidget(summary_box)
        agreements_box = QGroupBox(_("Agreements"))
        self.agreements = AgreementRows(actor)
        QVBoxLayout(agreements_box).addWidget(self.agreements)
        self.body_layout.addWidget(agreements_box)
        self.body_layout.addStretch(1)
        self.error = error_label(hidden=True)
        outer.addWidget(self.error)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save
                                        | QDialogButtonBox.StandardButton.Cancel)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        outer.addWidget(self.buttons)
        if guide_code is None:
            guide_code = guide_for(self.protocol, self.with_whom.currentData())
        self.set_guide(guide_code)
        self.resize(860, 760)
        self.held_on.setFocus()

    # -- building ----------------------------------------------------------------------
    def _build_form(self, with_whom: str, pester_id: int | None) -> None:
        form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.ExpandingFieldsGrow)
        self.held_on = date_edit()
        form.addRow(_("&Date"), self.held_on)
        self.with_whom = QComboBox()
        for code, label in cases.CONVERSATION_WITH.items():
            self.with_whom.addItem(_(label), code)
        self.with_whom.setCurrentIndex(max(0, self.with_whom.findData(with_whom)))
        self.with_whom.currentIndexChanged.connect(self._with_whom_changed)
        form.addRow(_("Conversation &with"), self.with_whom)
        self.pester = QComboBox()
        self.pester.addItem(_("the whole case"), None)
        for inv in self.detail.involvements:
            if inv.role == "pester":
                self.pester.addItem(inv.name, inv.student_id)
        self.pester.setCurrentIndex(max(0, self.pester.findData(pester_id)))
        self.pester.currentIndexChanged.connect(lambda _i: self._fill_steps())
        self.pester.setVisible(self.pester.count() > 1)
        form.addRow(_("About &bully"), self.pester)
        form.labelForField(self.pester).setVisible(self.pester.count() > 1)
        self.students = QListWidget()
        for inv in self.detail.involvements:
            item = QListWidgetItem(f"{inv.name} — {role_label(inv.role)}")
            item.setData(DATA, inv.student_id)
            item.setData(DATA + 1, inv.role)
            item.setCheckState(Qt.CheckState.Unchecked)
            self.students.addItem(item)
        self.students.setMaximumHeight(96)
        form.addRow(_("Students present"), self.students)
        staff_row = QHBoxLayout()
        self.staff_pick = StaffCombo(none_text="")
        add_staff = QPushButton(_("Add"))
        add_staff.clicked.connect(self._add_staff)
        self.staff = QListWidget()
        self.staff.setMaximumHeight(60)
        self.staff.setFlow(QListWidget.Flow.LeftToRight)
        self.staff.setWrapping(True)
        self.staff.setToolTip(_("Press Delete to remove a name"))
        staff_row.addWidget(self.staff_pick, 1)
        staff_row.addWidget(add_staff)
        staff_box = QVBoxLayout()
        staff_box.addLayout(staff_row)
        staff_box.addWidget(self.staff)
        form.addRow(_("Staff present"), staff_box)
        if self.actor.staff_id is not None:
            self._add_staff_id(self.actor.staff_id)
        self.others = limit(QLineEdit(), "event", "title")
        self.others.setPlaceholderText(_("e.g. mother, father"))
        form.addRow(_("Others present"), self.others)
        self.steps = QListWidget()
        self.steps.setMaximumHeight(120)
        form.addRow(_("Protocol steps done\nwith this conversation"), self.steps)
        self.guide_combo = QComboBox()
        self.guide_combo.addItem(_("(no guide)"), "")
        for guide in self.protocol.guides:
            self.guide_combo.addItem(guide.title, guide.code)
        self.guide_combo.currentIndexChanged.connect(
            lambda _i: self.guide_form.set_guide(self.protocol.guide(
                self.guide_combo.currentData())))
        form.addRow(_("Conversation &guide"), self.guide_combo)
        self.confidential = QCheckBox(_("Confidential (only you can read the report)"))
        if self.actor.has_role("vertrouwenspersoon"):
            form.addRow("", self.confidential)
        else:
            self.confidential.hide()
        self.body_layout.addLayout(form)
        self._fill_steps(self._preset_steps)
        self._tick_participants()

    def _add_staff(self) -> None:
        staff_id = self.staff_pick.staff_id()
        if staff_id is not None:
            self._add_staff_id(staff_id)

    def _add_staff_id(self, staff_id: int) -> None:
        if any(self.staff.item(i).data(DATA) == staff_id for i in range(self.staff.count())):
            return
        name = staff_service.staff_display_name(staff_id)
        if name is None:
            return
        item = QListWidgetItem(name)
        item.setData(DATA, staff_id)
        self.staff.addItem(item)

    def keyPressEvent(self, event) -> None:  # noqa: N802
        if event.key() == Qt.Key.Key_Delete and self.staff.hasFocus():
            for item in self.staff.selectedItems():
                self.staff.takeItem(self.staff.row(item))
            return
        super().keyPressEvent(event)

    def _open_steps(self) -> list[tuple[str, str]]:
        """(code, title) of the open ladder steps for the chosen bully (or all bullies) and
        the open cyber checklist items."""
        chosen = self.pester.currentData()
        seen: dict[str, str] = {}
        for pester in self.assessment.pesters:
            if chosen is not None and pester.student_id != chosen:
                continue
            for step in pester.open_steps:
                seen.setdefault(step.code, step.title)
        if self.assessment.cyber is not None:
            for item in self.assessment.cyber.items:
                if item.status == "open":
                    seen.setdefault(item.code, item.title)
        return list(seen.items())

    def _fill_steps(self, checked: tuple[str, ...] | None = None) -> None:
        if checked is None:
            checked = self.step_codes()
        self.steps.clear()
        for code, title in self._open_steps():
            item = QListWidgetItem(title)
            item.setData(DATA, code)
            item.setCheckState(Qt.CheckState.Checked if code in checked
                               else Qt.CheckState.Unchecked)
            self.steps.addItem(item)

    def _tick_participants(self) -> None:
        roles = PARTICIPANT_ROLES.get(self.with_whom.currentData(), set())
        chosen = self.pester.currentData()
        for i in range(self.students.count()):
            item = self.students.item(i)
            role = item.data(DATA + 1)
            on = role in roles and (role != "pester" or chosen is None
                                    or item.data(DATA) == chosen)
            item.setCheckState(Qt.CheckState.Checked if on else Qt.CheckState.Unchecked)

    def _with_whom_changed(self, _index: int) -> None:
        self._tick_participants()
        code = guide_for(self.protocol, self.with_whom.currentData())
        self.set_guide(code)

    def set_guide(self, code: str) -> None:
        index = self.guide_combo.findData(code or "")
        self.guide_combo.blockSignals(True)
        self.guide_combo.setCurrentIndex(max(0, index))
        self.guide_combo.blockSignals(False)
        self.guide_form.set_guide(self.protocol.guide(code) if code else None)

    # -- reading the form --------------------------------------------------------------
    def step_codes(self) -> tuple[str, ...]:
        return tuple(self.steps.item(i).data(DATA) for i in range(self.steps.count())
                     if self.steps.item(i).checkState() == Qt.CheckState.Checked)

    def conversation_input(self) -> cases.ConversationInput:
        students = tuple(self.students.item(i).data(DATA) for i in range(self.students.count())
                         if self.students.item(i).checkState() == Qt.CheckState.Checked)
        staff = tuple(self.staff.item(i).data(DATA) for i in range(self.staff.count()))
        guide = self.guide_form.guide
        return cases.ConversationInput(
            held_on=pydate(self.held_on),
            with_whom=self.with_whom.currentData(),
            summary=self.summary.toPlainText(),
            student_ids=students,
            staff_ids=staff,
            others=self.others.text(),
            pester_id=self.pester.currentData(),
            step_codes=self.step_codes(),
            guide_code=guide.code if guide else "",
            answers=self.guide_form.values(),
            agreements=self.agreements.agreements(),
            confidential=self.confidential.isChecked(),
        )

    def accept(self) -> None:
        def show(message: str) -> None:
            self.error.setText(message)
            self.error.setVisible(bool(message))

        data = self.conversation_input()  # read here; saved on the op's thread
        op = ops.Op(self, lambda: cases.log_conversation(self.actor, self.case_id, data).id,
                    changes=ops.Changes.case(self.case_id, ops.TIMELINE, ops.LADDER,
                                             ops.AGREEMENTS, ops.CASE))
        if not op.errors_to(show).run():
            return
        self.event_id = op.result
        self.saved.emit(self.event_id)
        super().accept()
