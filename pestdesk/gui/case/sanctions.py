"""The formal measures of a case: suspension (schorsing), the notification to the inspectorate
and the expulsion procedure (schoolverwijdering).

Every dialog opens with ``(actor, case_id, student_id, parent)`` so the case screen can call
it; ``student_id`` may be None (the dialog then offers the case's pesters). All rules come
from :mod:`pestdesk.services.sanctions` (the law as data in ``resources/legal/nl-wvo.toml``):

- :class:`SuspensionDialog`: pester, kind, first day and number of school days with the last
  day computed live from the school calendar, facts, who decided, the hearing and -- for a
  longer suspension -- the consultation the protocol asks for. Save explains everything
  that is still missing, with the law's reason and article; nothing is half-saved. After
  saving it shows the inspectorate task with its deadline and offers the letter.
- :class:`InspectieReportDialog`: "Inspectiemelding gedaan" (date, by whom, reference).
- :class:`ExpulsionDialog`: the procedure as a list of steps with their state and deadlines
  (objection 6 weeks, decision 4 weeks, 8 weeks to find another school, the
  Geschillencommissie), one dialog per step; the service refuses a step that comes too early.

``changed`` tells the case screen to reload.
"""

from __future__ import annotations

import datetime as dt
from functools import partial

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QButtonGroup,
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QRadioButton,
    QSpinBox,
    QStackedWidget,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from pestdesk import clock
from pestdesk.domain import sanctions as rules_mod
from pestdesk.domain.sanctions import (
    HEARD_GROUPS,
    INTERNE_SCHORSING,
    SCHORSING,
    Hearing,
    SanctionRefused,
)
from pestdesk.gui.common import ops
from pestdesk.gui.common.colors import ERROR_STYLE, GREEN, GREY, RED
from pestdesk.gui.common.dialogs import SaveDialog, date_edit, pydate, text_box
from pestdesk.gui.common.limits import limit
from pestdesk.gui.common.student_picker import StaffCombo
from pestdesk.gui.common.widgets import ShowsErrors
from pestdesk.i18n import N_, _, format_date, ngettext
from pestdesk.services import access, cases, sanctions, views
from pestdesk.services import staff as staff_service
from pestdesk.services.base import Actor, Conflict, ServiceError
from pestdesk.services.calendar import school_calendar

MAX_DAYS_OFFERED = 10  # more than the law allows, so a refusal can be shown with its reason


def short_box(lines: int = 3, placeholder: str = "",
              field: tuple[str, str] = ("event", "body")):
    """A text box that grows a little, not to fill the dialog."""
    box = text_box(lines, placeholder, field)
    box.setMaximumHeight(int(box.minimumHeight() * 1.6))
    return box


def bullet_list(lines: list[str]) -> str:
    return "\n".join(f"• {line}" for line in lines)


def case_students(case_id: int, student_id: int | None = None,
                  roles: tuple[str, ...] = ("pester",), *,
                  actor: Actor | None = None) -> list[tuple[int, str]]:
    """(student id, name) of the case's students in ``roles`` (plus ``student_id``)."""
    detail = cases.case_detail(case_id, actor=actor)
    return [(i.student_id, i.name) for i in detail.involvements
            if i.role in roles or i.student_id == student_id]


class StudentCombo(QComboBox):
    """The students a measure can be about (the case's pesters); ``student_id()``."""

    def __init__(self, case_id: int, student_id: int | None = None,
                 parent: QWidget | None = None, *, actor: Actor | None = None) -> None:
        super().__init__(parent)
        for sid, name in case_students(case_id, student_id, actor=actor):
            self.addItem(name, sid)
        if student_id is not None and self.findData(student_id) >= 0:
            self.setCurrentIndex(self.findData(student_id))

    def student_id(self) -> int | None:
        return self.currentData()


def staff_text(combo: StaffCombo) -> str:
    """The chosen staff member's name, or what was typed (for a 'with whom' field)."""
    if combo.staff_id() is not None:
        return combo.currentText().rsplit(" (", 1)[0]
    if combo.currentIndex() == 0 and combo.itemData(0) is None:
        typed = combo.currentText().strip()
        return "" if typed == combo.itemText(0) else typed
    return combo.currentText().strip()


def actor_name(actor: Actor) -> str:
    return staff_service.staff_display_name(actor.staff_id) or actor.username


def hearing_checks() -> dict[str, QCheckBox]:
    return {code: QCheckBox(_(label)) for code, label in HEARD_GROUPS.items()}


def checks_row(checks: dict[str, QCheckBox]) -> QHBoxLayout:
    row = QHBoxLayout()
    for box in checks.values():
        row.addWidget(box)
    row.addStretch(1)
    return row


class LadderMoveBox(QGroupBox):
    """What a measure does to the pester's stage on the ladder, and the user's own reason
    where the protocol asks for one (the engine decides, through ``cases.MovePreview``).

    Hidden when the measure moves nobody; ``reason()`` is what the user wrote."""

    def __init__(self, protocol, parent: QWidget | None = None) -> None:
        super().__init__(_("Escalation ladder"), parent)
        self.protocol = protocol
        self.setObjectName("ladderMoveBox")
        form = QFormLayout(self)
        self.message = QLabel()
        self.message.setObjectName("ladderMessage")
        self.message.setWordWrap(True)
        form.addRow(self.message)
        self.reason_box = short_box(2, _("Why the protocol's order is not followed here"))
        self.reason_label = QLabel(_("Reason"))
        form.addRow(self.reason_label, self.reason_box)
        self.preview = None
        self.hide()

    def show_preview(self, preview) -> None:
        self.preview = preview
        if preview is None or not preview.moves:
            self.hide()
            return
        stage = self.protocol.stage(preview.target_stage)
        text = _("This measure moves the bully to '{stage}'.").format(
            stage=stage.title if stage else preview.target_stage)
        if preview.message:
            text += " " + preview.message
        self.message.setText(text)
        self.message.setStyleSheet(f"color: {RED};" if preview.refused else "")
        self.reason_box.setVisible(preview.needs_reason)
        self.reason_label.setVisible(preview.needs_reason)
        self.show()

    def reason(self) -> str:
        if self.preview is None or not self.preview.needs_reason:
            return ""
        return self.reason_box.toPlainText().strip()

    def missing(self) -> list[str]:
        if self.preview is not None and self.preview.needs_reason and not self.reason():
            return [_("Give a reason for the step on the ladder: {why}").format(
                why=self.preview.message)]
        return []


# --------------------------------------------------------------------------- suspension


class SuspensionDialog(ShowsErrors, QDialog):
    """Schorsing vastleggen: the form, then the result with the legal tasks it raised."""

    changed = Signal()

    def __init__(self, actor: Actor, case_id: int, student_id: int | None = None,
                 parent: QWidget | None = None, today: dt.date | None = None) -> None:
        super().__init__(parent)
        self.actor, self.case_id = actor, case_id
        self.today = today or clock.today()
        self.protocol = cases.protocol_for(case_id)
        self.sanction = None  # the recorded Sanction, once saved
        self.setWindowTitle(_("Suspension"))
        self.pages = QStackedWidget()
        self.pages.addWidget(self._form_page(student_id))
        self.result_page = QWidget()
        self.pages.addWidget(self.result_page)
        self.error = QLabel()
        self.error.setObjectName("errorLabel")
        self.error.setWordWrap(True)
        self.error.setStyleSheet(ERROR_STYLE)
        self.error.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.error.hide()
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.save_button = self.buttons.addButton(_("Record suspension"),
                                                  QDialogButtonBox.ButtonRole.AcceptRole)
        self.save_button.setDefault(True)
        self.buttons.accepted.connect(self.save)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.pages, 1)
        layout.addWidget(self.error)
        layout.addWidget(self.buttons)
        if not access.can_edit_case(actor, case_id):
            self.save_button.setEnabled(False)
            self.show_error(_("You may read this case but not change it."))
        self.update_plan()

    # -- the form ------------------------------------------------------------------------
    def _form_page(self, student_id: int | None) -> QWidget:
        page = QWidget()
        columns = QHBoxLayout(page)
        columns.setContentsMargins(0, 0, 0, 0)
        columns.addWidget(self._measure_box(student_id), 1)
        right = QVBoxLayout()
        right.addWidget(self._hearing_box())
        right.addWidget(self._consultation_box())
        self.ladder = LadderMoveBox(self.protocol)
        right.addWidget(self.ladder)
        right.addStretch(1)
        columns.addLayout(right, 1)
        return page

    def _measure_box(self, student_id: int | None) -> QGroupBox:
        box = QGroupBox(_("The suspension"))
        form = QFormLayout(box)
        self.student = StudentCombo(self.case_id, student_id, actor=self.actor)
        form.addRow(_("Student"), self.student)
        kinds = QHBoxLayout()
        self.external = QRadioButton(_("At home (external)"))
        self.internal = QRadioButton(_("At school (internal)"))
        self.external.setChecked(True)
        self.kind_group = QButtonGroup(self)
        for button in (self.external, self.internal):
            self.kind_group.addButton(button)
            kinds.addWidget(button)
        kinds.addStretch(1)
        form.addRow(_("Kind"), kinds)
        self.decided_on = date_edit(self.today, latest_today=False)
        form.addRow(_("Decided on"), self.decided_on)
        first = self.today + dt.timedelta(days=1)
        self.first_day = date_edit(school_calendar().next_school_day(first), latest_today=False)
        form.addRow(_("First day"), self.first_day)
        self.days = QSpinBox()
        self.days.setRange(1, MAX_DAYS_OFFERED)
        self._days_suffix(self.days.value())
        self.days.valueChanged.connect(self._days_suffix)
        form.addRow(_("Length"), self.days)
        self.plan_label = QLabel()
        self.plan_label.setWordWrap(True)
        self.plan_label.setTextFormat(Qt.TextFormat.RichText)
        self.plan_label.setMinimumHeight(self.plan_label.fontMetrics().lineSpacing() * 3)
        form.addRow(_("Period"), self.plan_label)
        self.decided_by = StaffCombo(none_text=_("(choose)"), choices=[])
        self.decided_by.setToolTip(_("Only those whom the protocol and the law give this "
                                     "decision can be chosen."))
        form.addRow(_("Decided by"), self.decided_by)
        self.reason = short_box(3, _("What happened, and why this measure"),
                                ("sanction", "reason"))
        form.addRow(_("Facts and reasons"), self.reason)
        self.schoolwork = short_box(2, _("How the student keeps up with schoolwork"))
        form.addRow(_("Schoolwork"), self.schoolwork)
        meeting = QHBoxLayout()
        self.has_return = QCheckBox(_("planned on"))
        self.return_on = date_edit(self.today, latest_today=False)
        self.return_on.setEnabled(False)
        self.has_return.toggled.connect(self.return_on.setEnabled)
        meeting.addWidget(self.has_return)
        meeting.addWidget(self.return_on)
        meeting.addStretch(1)
        form.addRow(_("Return meeting"), meeting)
        for signal in (self.first_day.dateChanged, self.days.valueChanged,
                       self.decided_on.dateChanged, self.kind_group.buttonToggled,
                       self.student.currentIndexChanged):
            signal.connect(lambda *_a: self.update_plan())
        return box

    def _days_suffix(self, n: int) -> None:
        self.days.setSuffix(ngettext(" school day", " school days", n))

    def _hearing_box(self) -> QGroupBox:
        box = QGroupBox(_("Hearing (required before the decision)"))
        form = QFormLayout(box)
        self.hearing_on = date_edit(self.today, latest_today=False)
        form.addRow(_("Date"), self.hearing_on)
        self.heard = hearing_checks()
        form.addRow(_("Heard"), checks_row(self.heard))
        self.hearing_summary = short_box(3, _("What the student and the parents said"),
                                         ("sanction", "hearing_summary"))
        form.addRow(_("Summary"), self.hearing_summary)
        return box

    def _consultation_box(self) -> QGroupBox:
        self.consultation_box = QGroupBox(_("Consultation before a longer suspension"))
        form = QFormLayout(self.consultation_box)
        self.consultation_step = QLabel()
        self.consultation_step.setWordWrap(True)
        self.consultation_step.setStyleSheet(f"color: {GREY};")
        form.addRow(self.consultation_step)
        self.consulted_on = date_edit(self.today, latest_today=False)
        form.addRow(_("Date"), self.consulted_on)
        self.consulted = StaffCombo(none_text="")
        self.consulted.lineEdit().setPlaceholderText(_("e.g. the deputy head"))
        form.addRow(_("With"), self.consulted)
        self.consultation_notes = short_box(2)
        form.addRow(_("Notes"), self.consultation_notes)
        return self.consultation_box

    # -- reading the form --------------------------------------------------------------
    def kind(self) -> str:
        return INTERNE_SCHORSING if self.internal.isChecked() else SCHORSING

    def hearing(self) -> Hearing | None:
        who = tuple(code for code, box in self.heard.items() if box.isChecked())
        if not who:
            return None
        return Hearing(pydate(self.hearing_on), who, self.hearing_summary.toPlainText().strip())

    def consultation(self) -> sanctions.Consultation | None:
        if self.consultation_box.isHidden():
            return None
        with_whom = staff_text(self.consulted)
        if not with_whom:
            return None
        return sanctions.Consultation(pydate(self.consulted_on), with_whom,
                                      self.consultation_notes.toPlainText().strip())

    def needed_consultation(self) -> tuple[str, str] | None:
        return sanctions.required_consultation(self.protocol, self.days.value())

    def plan(self):
        """The live plan, or the service's refusal (a ServiceError)."""
        return sanctions.plan_suspension(pydate(self.first_day), self.days.value(),
                                         kind=self.kind())

    def update_plan(self) -> None:
        try:
            plan = self.plan()
        except ServiceError as exc:
            self.plan_label.setText(f"<span style='color:{RED}'>{exc}</span>")
        else:
            self.plan_label.setText(self._plan_html(plan))
        needed = self.needed_consultation()
        self.consultation_box.setVisible(needed is not None)
        if needed:
            self.consultation_step.setText(_("The protocol asks for this first: {step}.")
                                           .format(step=needed[1]))
        self.decided_by.set_choices(sanctions.deciders(self.case_id, self.kind(),
                                                       self.days.value()))
        sid = self.student.student_id()
        self.ladder.show_preview(
            sanctions.ladder_preview(self.case_id, sid, self.kind(), self.days.value(),
                                     actor=self.actor)
            if sid is not None else None)

    def _plan_html(self, plan) -> str:
        days = ngettext("{n} school day", "{n} school days", plan.school_days).format(
            n=plan.school_days)
        if plan.first_day == plan.last_day:
            lines = [_("<b>{first}</b> ({days})").format(
                first=format_date(plan.first_day, "full"), days=days)]
        else:
            lines = [_("<b>{first}</b> up to and including <b>{last}</b> ({days})").format(
                first=format_date(plan.first_day, "full"),
                last=format_date(plan.last_day, "full"), days=days)]
        if plan.free_days:
            free = ", ".join(f"{format_date(d, 'EEE d MMM')} ({_(why)})"
                             for d, why in plan.free_days)
            lines.append(f"<span style='color:{GREY}'>"
                         + _("Not counted: {days}").format(days=free) + "</span>")
        if plan.inspectie_required:
            due = rules_mod.inspectie_due_on(sanctions.legal_rules(), school_calendar(),
                                             plan.kind, pydate(self.decided_on))
            lines.append(_("Longer than one day: notify the inspectorate by {date}.")
                         .format(date=format_date(due, "full")))
        return "<br>".join(lines)

    def missing(self) -> list[str]:
        """Everything that keeps this suspension from being recorded, with the law's reasons."""
        problems = []
        if self.student.student_id() is None:
            problems.append(_("This case has no bully to suspend."))
        try:
            self.plan()
        except ServiceError as exc:
            problems.append(str(exc))
        if not self.reason.toPlainText().strip():
            problems.append(_("Give the facts and reasons for the suspension."))
        if self.decided_by.staff_id() is None:
            problems.append(_("Choose who decided."))
        try:
            rules_mod.check_hearing(sanctions.legal_rules(), self.kind(), self.hearing(),
                                    pydate(self.decided_on))
        except SanctionRefused as exc:
            problems.append(exc.message)
        needed = self.needed_consultation()
        if needed and self.consultation() is None:
            problems.append(_("The protocol asks for this before a longer suspension: {step}. "
                              "Record it first.").format(step=needed[1]))
        problems += self.ladder.missing()
        return problems

    # -- saving ------------------------------------------------------------------------
    def save(self) -> bool:
        if self.sanction is not None:
            self.accept()
            return True
        problems = self.missing()
        if problems:
            self.show_error(_("Not recorded yet:") + "\n" + bullet_list(problems))
            return False
        op = ops.Op(self, partial(
            sanctions.decide_suspension, self.actor, self.case_id, self.student.student_id(),
            first_day=pydate(self.first_day), school_days=self.days.value(),
            decided_on=pydate(self.decided_on), reason=self.reason.toPlainText(),
            hearing=self.hearing(), kind=self.kind(),
            decided_by=self.decided_by.staff_id(), consultation=self.consultation(),
            schoolwork=self.schoolwork.toPlainText().strip(),
            return_meeting_on=(pydate(self.return_on) if self.has_return.isChecked()
                               else None),
            move_reason=self.ladder.reason()), changes=ops.Changes.case(self.case_id))
        if not op.errors_to(self.show_error).run():
            return False
        self.sanction = op.result
        self.show_error("")
        self.changed.emit()
        self._show_result()
        return True

    def _show_result(self) -> None:
        self.result = SuspensionResult(self.actor, self.sanction.id, self)
        self.result.changed.connect(self.changed)
        self.pages.removeWidget(self.result_page)
        self.result_page = self.result
        self.pages.addWidget(self.result)
        self.pages.setCurrentWidget(self.result)
        self.buttons.clear()
        close = self.buttons.addButton(QDialogButtonBox.StandardButton.Close)
        close.clicked.connect(self.accept)


def issued_template(sanction: views.SanctionView) -> str:
    """The letter template of a suspension: one day, or longer."""
    return "schorsing_verlengd" if sanction.school_days > 1 else "schorsing"


class SuspensionResult(QWidget):
    """After saving: what was recorded, the inspectorate task and the letter."""

    changed = Signal()

    def __init__(self, actor: Actor, sanction_id: int, dialog: QDialog) -> None:
        super().__init__(dialog)
        self.actor, self.sanction_id, self.dialog = actor, sanction_id, dialog
        layout = QVBoxLayout(self)
        self.summary = QLabel()
        self.summary.setWordWrap(True)
        self.summary.setTextFormat(Qt.TextFormat.RichText)
        layout.addWidget(self.summary)
        inspectie = QGroupBox(_("Inspectorate"))
        box = QVBoxLayout(inspectie)
        self.inspectie_label = QLabel()
        self.inspectie_label.setWordWrap(True)
        self.inspectie_label.setTextFormat(Qt.TextFormat.RichText)
        box.addWidget(self.inspectie_label)
        self.inspectie_button = QPushButton(_("Inspectorate notification done…"))
        self.inspectie_button.clicked.connect(self.report_inspectie)
        box.addWidget(self.inspectie_button, 0, Qt.AlignmentFlag.AlignLeft)
        layout.addWidget(inspectie)
        letter = QGroupBox(_("Letter"))
        box = QVBoxLayout(letter)
        self.letter_label = QLabel()
        self.letter_label.setWordWrap(True)
        box.addWidget(self.letter_label)
        self.letter_button = QPushButton(_("Compose the suspension letter…"))
        self.letter_button.clicked.connect(self.compose_letter)
        box.addWidget(self.letter_button, 0, Qt.AlignmentFlag.AlignLeft)
        layout.addWidget(letter)
        layout.addStretch(1)
        self.fill()

    def fill(self) -> None:
        s = views.sanction(self.actor, self.sanction_id)
        self.sanction = s
        kind = _(rules_mod.KIND_LABELS[s.kind])
        self.summary.setText(
            f"<p style='font-size:13pt; color:{GREEN}'><b>"
            + _("{kind} recorded").format(kind=kind.capitalize()) + "</b></p>"
            + _("{name}: {first} up to and including {last} ({n} school days).").format(
                name=sanction_student(s), first=format_date(s.first_day, "full"),
                last=format_date(s.last_day, "full"), n=s.school_days))
        if s.inspectie_due_on is None:
            self.inspectie_label.setText(_("A suspension of one day need not be notified to "
                                           "the inspectorate."))
            self.inspectie_button.hide()
        elif s.inspectie_reported_on:
            self.inspectie_label.setText(
                f"<span style='color:{GREEN}'>✓ "
                + _("Notified on {date} (reference {ref}).").format(
                    date=format_date(s.inspectie_reported_on), ref=s.inspectie_reference)
                + "</span>")
            self.inspectie_button.hide()
        else:
            self.inspectie_label.setText(
                _("Notify the inspectorate through the Internet Schooldossier, "
                  "<b>by {date}</b>. Until then the case cannot be closed.").format(
                    date=format_date(s.inspectie_due_on, "full")))
        missing = sanctions.missing_letter_parts(s.id)
        text = _("The parents get the decision in writing: why, how long, the schoolwork "
                 "and how to object.")
        if missing:
            text += "\n" + _("Still to fill in for the letter: {parts}.").format(
                parts=", ".join(missing))
        self.letter_label.setText(text)

    def inspectie_text(self) -> str:
        return self.inspectie_label.text()

    def report_inspectie(self) -> None:
        dialog = InspectieReportDialog(self.actor, self.sanction.case_id,
                                       self.sanction.student_id, self,
                                       sanction_id=self.sanction_id)
        dialog.changed.connect(self.changed)
        if dialog.exec():
            self.fill()

    def compose_letter(self) -> None:
        s = self.sanction
        issued = compose_letter(self, self.actor, s.case_id, s.student_id, issued_template(s))
        if not issued:
            return
        # the protocol's letter step is done once the letter went out
        ops.run(self, partial(sanctions.letter_sent, self.actor, s.id, issued_template(s)),
                changes=ops.Changes.case(s.case_id), title=_("Letter"))
        self.letter_label.setText(_("The letter has been issued."))
        self.letter_button.hide()
        self.changed.emit()


def sanction_student(s: views.SanctionView) -> str:
    """The name of the student a sanction is about."""
    return s.student_name


def compose_letter(parent: QWidget, actor: Actor, case_id: int, student_id: int,
                   template_code: str) -> list[int]:
    """Open the compose dialog on ``template_code`` for one student; the ids issued."""
    from pestdesk.gui.letters.dialogs import CHECKED, DATA, UNCHECKED, ComposeDialog

    dialog = ComposeDialog(actor, parent, case_id=case_id)
    index = dialog.template_combo.findData(template_code)
    if index >= 0:
        dialog.template_combo.setCurrentIndex(index)
    for row in range(dialog.student_list.count()):
        item = dialog.student_list.item(row)
        item.setCheckState(CHECKED if item.data(DATA) == student_id else UNCHECKED)
    issued: list[int] = []
    dialog.issued.connect(issued.extend)
    dialog.exec()
    return issued


# --------------------------------------------------------------------------- inspectorate


class InspectieReportDialog(SaveDialog):
    """Inspectiemelding gedaan: the date, who made it and the reference of the notification."""

    def __init__(self, actor: Actor, case_id: int, student_id: int | None = None,
                 parent: QWidget | None = None, sanction_id: int | None = None) -> None:
        super().__init__(actor, _("Notification to the inspectorate"), parent,
                         save_text=_("Record notification"))
        self.case_id = case_id
        self.versions: dict[int, int] = {}
        self.task = QComboBox()
        for task in sanctions.open_legal_tasks(case_id):
            if task.code != "inspectie" or (sanction_id and task.sanction_id != sanction_id):
                continue
            s = views.sanction(actor, task.sanction_id)
            if student_id is not None and s.student_id != student_id and not sanction_id:
                continue
            self.versions[s.id] = s.version
            due = _("due {date}").format(date=format_date(task.due_on)) if task.due_on else ""
            self.task.addItem(f"{sanction_student(s)} — {task.title} {due}".strip(), s.id)
        self.form.addRow(_("Notification"), self.task)
        self.reported_on = date_edit(clock.today())
        self.form.addRow(_("Notified on"), self.reported_on)
        self.reported_by = limit(QLineEdit(actor_name(actor)), "event", "title")
        self.form.addRow(_("By"), self.reported_by)
        self.reference = limit(QLineEdit(), "sanction", "inspectie_reference")
        self.reference.setPlaceholderText(_("reference of the Internet Schooldossier"))
        self.form.addRow(_("Reference"), self.reference)
        self.setMinimumWidth(660)
        if not self.task.count():
            self.show_error(_("No notification to the inspectorate is open in this case."))
            self.buttons.button(QDialogButtonBox.StandardButton.Save).setEnabled(False)

    def sanction_id(self) -> int | None:
        return self.task.currentData()

    def save(self):
        sid = self.sanction_id()
        if sid is None:
            raise ServiceError(_("No notification to the inspectorate is open in this case."))
        return partial(sanctions.record_inspectie_report, self.actor, sid, self.versions[sid],
                       reported_on=pydate(self.reported_on),
                       reported_by=self.reported_by.text(), reference=self.reference.text())

    def conflict_values(self) -> dict:
        return {"inspectie_reported_on": pydate(self.reported_on),
                "inspectie_reference": self.reference.text().strip()}

    def after_conflict(self, exc: Conflict) -> None:
        sid = self.sanction_id()
        if sid is not None:
            self.versions[sid] = views.sanction(self.actor, sid).version


# --------------------------------------------------------------------------- expulsion


#: the procedure in its legal order: (code, title); titles of the deadlines where they exist
PROCEDURE = (
    ("horen", N_("Hear student, parents and teachers")),
    ("inspectie", N_("Inform and consult the inspectorate")),
    ("leerplicht", N_("Inform the compulsory-education officer")),
    ("besluit", N_("Decide on the expulsion")),
    ("inspectie_besluit", N_("Report the decision to the inspectorate")),
    ("brief", N_("Send the decision in writing, with how to object")),
    ("andere_school", N_("Find another school")),
    ("bezwaar", N_("Objection (term of {weeks} weeks)")),
    ("geschillencommissie", N_("Geschillencommissie passend onderwijs (within {weeks} weeks)")),
    ("beslissing_bezwaar", N_("Decide on the objection (within {weeks} weeks)")),
)


class ExpulsionDialog(QDialog):
    """Verwijderingsprocedure: start it (the written intention), then step by step."""

    changed = Signal()

    def __init__(self, actor: Actor, case_id: int, student_id: int | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.actor, self.case_id = actor, case_id
        self.editable = access.can_edit_case(actor, case_id)
        self.setWindowTitle(_("Expulsion procedure"))
        self.student = StudentCombo(case_id, student_id, actor=actor)
        self.student.currentIndexChanged.connect(lambda _i: self.fill())
        top = QFormLayout()
        top.addRow(_("Student"), self.student)
        self.state_label = QLabel()
        self.state_label.setWordWrap(True)
        self.state_label.setTextFormat(Qt.TextFormat.RichText)
        self.start_button = QPushButton(_("Record the intention to expel…"))
        self.start_button.clicked.connect(self.start)
        self.table = QTableWidget(0, 4)
        self.table.setHorizontalHeaderLabels([_("Step"), _("Deadline"), _("State"), ""])
        self.table.verticalHeader().hide()
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        self.table.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        for col in (1, 2, 3):
            header.setSectionResizeMode(col, QHeaderView.ResizeMode.ResizeToContents)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.state_label)
        layout.addWidget(self.start_button, 0, Qt.AlignmentFlag.AlignLeft)
        layout.addWidget(self.table, 1)
        layout.addWidget(buttons)
        self.step_buttons: dict[str, QPushButton] = {}
        self.resize(900, 560)
        self.fill()

    def sanction(self):
        """The student's expulsion procedure (a Sanction), or None."""
        return views.latest_expulsion(self.actor, self.case_id, self.student.student_id())

    def fill(self) -> None:
        s = self.sanction()
        self.start_button.setVisible(s is None and self.editable
                                     and self.student.student_id() is not None)
        self.table.setVisible(s is not None)
        self.step_buttons = {}
        if s is None:
            self.state_label.setText(_("No expulsion procedure has been started for this "
                                       "student. It starts with the written intention to "
                                       "expel; the law then asks for a hearing, the "
                                       "inspectorate and the search for another school."))
            return
        state = sanctions.expulsion_state(s.id)
        rules = sanctions.legal_rules()
        lines = [_("Intention to expel on {date}.").format(
            date=format_date(state.intention_on, "long"))]
        if state.decided_on:
            _ok, why = sanctions.expulsion_may_take_effect(s.id, clock.today())
            lines.append(_("Expulsion decided on {date}.").format(
                date=format_date(state.decided_on, "long")) + " " + why)
        self.state_label.setText(" ".join(lines))
        rows = self._rows(s, state, rules)
        self.table.setRowCount(0)  # drops the old row buttons
        self.table.setRowCount(len(rows))
        waiting = self._waiting(state)
        first_open = next((r[0] for r in rows if r[3] is None and r[0] not in waiting
                           and r[0] != "geschillencommissie"), None)
        for row, (code, title, due, done, note) in enumerate(rows):
            self._fill_row(row, code, title, due, done, waiting.get(code) or note,
                           code == first_open, code not in waiting)

    def _rows(self, s, state, rules) -> list[tuple]:
        deadlines = {d.code: d for d in sanctions.expulsion_deadlines(s.id)}
        done = {"geschillencommissie": state.geschillencommissie_on,
                "inspectie_besluit": state.decision_reported_on,
                "bezwaar": state.objection_on,
                "beslissing_bezwaar": state.objection_decided_on}
        weeks = {"bezwaar": rules.objection_weeks, "geschillencommissie": rules.gc_weeks,
                 "beslissing_bezwaar": rules.objection_decision_weeks}
        out = []
        for code, title in PROCEDURE:
            d = deadlines.get(code)
            title = _(title).format(weeks=weeks.get(code, ""))
            if code == "andere_school":
                title = _("Find another school (at least {n} weeks of demonstrable "
                          "search)").format(n=rules.search_weeks)
            due = d.due_on if d else None
            finished = d.done_on if d else done.get(code)
            note = ""
            if code == "andere_school" and state.schools and not finished:
                note = ngettext("{n} school approached", "{n} schools approached",
                                len(state.schools)).format(n=len(state.schools))
            out.append((code, title, due, finished, note))
        return out

    @staticmethod
    def _waiting(state) -> dict[str, str]:
        """Steps that cannot be taken yet, with what they wait for."""
        out = {}
        if state.decided_on is None:
            for code in ("inspectie_besluit", "brief"):
                out[code] = _("after the decision")
        if state.letter_on is None:
            for code in ("bezwaar", "geschillencommissie"):
                out[code] = _("after the letter")
        if state.objection_on is None:
            out["beslissing_bezwaar"] = _("after an objection")
        return out

    def _fill_row(self, row: int, code: str, title: str, due: dt.date | None,
                  done: dt.date | None, note: str, is_next: bool, can_record: bool) -> None:
        item = QTableWidgetItem(title)
        item.setData(Qt.ItemDataRole.UserRole, code)
        if is_next:
            font = item.font()
            font.setBold(True)
            item.setFont(font)
        self.table.setItem(row, 0, item)
        self.table.setItem(row, 1, QTableWidgetItem(format_date(due) if due else "—"))
        if done:
            state = QTableWidgetItem("✓ " + format_date(done))
            state.setForeground(Qt.GlobalColor.darkGreen)
        elif due and due < clock.today():
            state = QTableWidgetItem(_("overdue"))
            state.setForeground(Qt.GlobalColor.red)
        else:
            state = QTableWidgetItem(note or _("open"))
            if not can_record:
                state.setForeground(Qt.GlobalColor.gray)
        self.table.setItem(row, 2, state)
        if done is None and self.editable and can_record:
            button = QPushButton(_("Record…"))
            button.setAutoDefault(False)
            button.clicked.connect(lambda _c=False, c=code: self.open_step(c))
            self.step_buttons[code] = button
            self.table.setCellWidget(row, 3, button)

    def row_of(self, code: str) -> int:
        return next(r for r in range(self.table.rowCount())
                    if self.table.item(r, 0).data(Qt.ItemDataRole.UserRole) == code)

    def cell(self, code: str, column: int) -> str:
        return self.table.item(self.row_of(code), column).text()

    def step_dialog(self, code: str) -> QDialog | None:
        """The dialog that records step ``code`` (for the button and for tests)."""
        s = self.sanction()
        if s is None:
            return None
        if code == "horen":
            return ExpulsionHearingDialog(self.actor, s.id, self)
        if code in ("inspectie", "inspectie_besluit"):
            return InspectieReportDialog(self.actor, self.case_id, s.student_id, self,
                                         sanction_id=s.id)
        if code == "besluit":
            return ExpulsionDecisionDialog(self.actor, s.id, self)
        return ExpulsionStepDialog(self.actor, s.id, code, self)

    def open_step(self, code: str) -> None:
        dialog = self.step_dialog(code)
        if dialog is None:
            return
        dialog.changed.connect(self._changed)
        dialog.exec()

    def _changed(self) -> None:
        self.fill()
        self.changed.emit()

    def start(self) -> None:
        sid = self.student.student_id()
        if sid is None:
            return
        dialog = ExpulsionStartDialog(self.actor, self.case_id, sid, self)
        dialog.changed.connect(self._changed)
        dialog.exec()


class ExpulsionStartDialog(SaveDialog):
    """The written intention to expel: the date, the facts and reasons, who decided."""

    def __init__(self, actor: Actor, case_id: int, student_id: int,
                 parent: QWidget | None = None) -> None:
        super().__init__(actor, _("Intention to expel"), parent,
                         save_text=_("Record intention"))
        self.case_id, self.student_id = case_id, student_id
        self.intention_on = date_edit(clock.today())
        self.form.addRow(_("Date of the written intention"), self.intention_on)
        self.decided_by = StaffCombo(none_text=_("(choose)"), choices=sanctions.deciders(
            case_id, rules_mod.VOORNEMEN))
        self.form.addRow(_("Decided by"), self.decided_by)
        self.reason = text_box(4, _("What happened, and why the school intends to expel"),
                               ("sanction", "reason"))
        self.form.addRow(_("Facts and reasons"), self.reason)
        self.ladder = LadderMoveBox(cases.protocol_for(case_id))
        self.form.addRow(self.ladder)
        self.ladder.show_preview(sanctions.ladder_preview(case_id, student_id,
                                                          rules_mod.VOORNEMEN, actor=actor))

    def save(self):
        return partial(sanctions.start_expulsion, self.actor, self.case_id, self.student_id,
                       intention_on=pydate(self.intention_on),
                       reason=self.reason.toPlainText(),
                       decided_by=self.decided_by.staff_id(),
                       move_reason=self.ladder.reason())


class ExpulsionHearingDialog(SaveDialog):
    """Who was heard about the intended expulsion: student, parents and teachers."""

    def __init__(self, actor: Actor, sanction_id: int, parent: QWidget | None = None) -> None:
        super().__init__(actor, _("Hearing about the intended expulsion"), parent)
        self.sanction_id = sanction_id
        self.read_version = views.sanction(actor, sanction_id).version
        note = QLabel(_("Before a decision to expel the law asks to hear the student, the "
                        "parents and the teachers."))
        note.setWordWrap(True)
        self.form.addRow(note)
        self.hearing_on = date_edit(clock.today())
        self.form.addRow(_("Date"), self.hearing_on)
        self.heard = hearing_checks()
        self.form.addRow(_("Heard"), checks_row(self.heard))
        self.summary = text_box(4, field=("sanction", "hearing_summary"))
        self.form.addRow(_("Summary"), self.summary)

    def save(self):
        who = tuple(code for code, box in self.heard.items() if box.isChecked())
        hearing = Hearing(pydate(self.hearing_on), who, self.summary.toPlainText().strip())
        return partial(sanctions.record_expulsion_hearing, self.actor, self.sanction_id,
                       self.read_version, hearing)

    def after_conflict(self, exc: Conflict) -> None:
        self.read_version = views.sanction(self.actor, self.sanction_id).version


class ExpulsionDecisionDialog(SaveDialog):
    """The decision to expel: refused before the hearing and the inspectorate."""

    def __init__(self, actor: Actor, sanction_id: int, parent: QWidget | None = None) -> None:
        super().__init__(actor, _("Decision to expel"), parent, save_text=_("Record decision"))
        self.sanction_id = sanction_id
        s = views.sanction(actor, sanction_id)
        self.read_version = s.version
        self.decided_on = date_edit(clock.today())
        self.form.addRow(_("Decided on"), self.decided_on)
        self.decided_by = StaffCombo(none_text=_("(choose)"), choices=sanctions.deciders(
            s.case_id, rules_mod.VERWIJDERING))
        self.decided_by.set_staff(s.decided_by_id)
        self.form.addRow(_("Decided by"), self.decided_by)

    def save(self):
        return partial(sanctions.decide_expulsion, self.actor, self.sanction_id,
                       self.read_version, decided_on=pydate(self.decided_on),
                       decided_by=self.decided_by.staff_id())

    def after_conflict(self, exc: Conflict) -> None:
        self.read_version = views.sanction(self.actor, self.sanction_id).version


STEP_TITLES = {
    "leerplicht": N_("Compulsory-education officer informed"),
    "brief": N_("Decision sent in writing"),
    "andere_school": N_("School approached"),
    "bezwaar": N_("Objection received"),
    "geschillencommissie": N_("Submitted to the Geschillencommissie"),
    "beslissing_bezwaar": N_("Decision on the objection"),
}
OUTCOMES = (("", N_("no answer yet")), ("admitted", N_("admits the student")),
            ("refused", N_("does not admit the student")))


class ExpulsionStepDialog(SaveDialog):
    """One later step of the procedure: its date and a note (a school and its answer)."""

    def __init__(self, actor: Actor, sanction_id: int, step: str,
                 parent: QWidget | None = None) -> None:
        super().__init__(actor, _(STEP_TITLES[step]), parent)
        self.sanction_id, self.step = sanction_id, step
        self.on = date_edit(clock.today())
        self.form.addRow(_("Date"), self.on)
        self.school = limit(QLineEdit(), "event", "title")
        self.outcome = QComboBox()
        for code, label in OUTCOMES:
            self.outcome.addItem(_(label), code)
        if step == "andere_school":
            self.form.addRow(_("School"), self.school)
            self.form.addRow(_("Answer"), self.outcome)
        if step == "brief":
            letter = QPushButton(_("Compose the letter…"))
            letter.setAutoDefault(False)
            letter.clicked.connect(self.compose)
            self.form.addRow(letter)
        self.note = text_box(2, field=("event", "body"))
        self.form.addRow(_("Note"), self.note)

    def compose(self) -> None:
        s = views.sanction(self.actor, self.sanction_id)
        compose_letter(self, self.actor, s.case_id, s.student_id, "verwijdering")

    def save(self):
        return partial(sanctions.record_expulsion_step, self.actor, self.sanction_id,
                       self.step, pydate(self.on), note=self.note.toPlainText().strip(),
                       school=self.school.text(), outcome=self.outcome.currentData() or "")
