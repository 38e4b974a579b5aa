"""The Overleggen section: the list of meetings, a meeting's detail screen and the dialog to
plan one.

The detail screen shows the agenda (with each item's consent state), the minutes and
decision of the chosen item and its actions, and offers the preparation pack (built off the
GUI thread with a progress dialog) and an .ics export. Everything goes through
``services.meetings``.
"""

from __future__ import annotations

import datetime as dt
from functools import partial
from pathlib import Path

from PySide6.QtCore import QDate, QDateTime, Qt, QThreadPool, QTime, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDateEdit,
    QDateTimeEdit,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QMessageBox,
    QPlainTextEdit,
    QProgressDialog,
    QPushButton,
    QSpinBox,
    QSplitter,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from pestdesk import clock
from pestdesk.gui.case.lists import MeetingsView
from pestdesk.gui.common import ops
from pestdesk.gui.common.colors import ERROR_STYLE
from pestdesk.gui.common.limits import limit
from pestdesk.gui.common.pdf_preview import ask_export_path
from pestdesk.gui.common.tasks import Task
from pestdesk.gui.common.widgets import ShowsErrors, error_label
from pestdesk.i18n import _, format_date, format_datetime
from pestdesk.services import meetings
from pestdesk.services.base import Actor, ServiceError


def _to_date(value: QDate) -> dt.date:
    return dt.date(value.year(), value.month(), value.day())


def plan_refused_text() -> str:
    return _("Meetings are planned by the care coordinator, the care team and the "
             "directie.")


def external_role_names() -> list[str]:
    """The known roles of external participants, in the user's language."""
    return [_(label) for code, label in meetings.EXTERNAL_ROLES.items() if code != "other"]


def parse_external(line: str) -> meetings.External:
    """'name ; role': the role by its code or its name in either language (any case); any
    other role is kept with the name and stored as 'other' ('A. Bos (wijkagent)')."""
    name, _sep, typed = line.partition(";")
    name, typed = name.strip(), typed.strip()
    wanted = typed.lower().replace("_", " ")
    for code, label in meetings.EXTERNAL_ROLES.items():
        names = {code.replace("_", " "), label.lower(), _(label).lower()}
        if wanted and wanted in names:
            return meetings.External(name, code)
    if typed:
        name = f"{name} ({typed})" if name else typed
    return meetings.External(name, "other")


class PlanMeetingDialog(ShowsErrors, QDialog):
    """Plan an IZO, OT or ACT meeting: date, time, place, chair, attendees, externals."""

    def __init__(self, actor: Actor, parent: QWidget | None = None):
        super().__init__(parent)
        self.actor = actor
        self.meeting_id: int | None = None
        self.setWindowTitle(_("Plan a meeting"))
        form = QFormLayout(self)
        self.kind = QComboBox()
        for kind in meetings.KINDS:
            self.kind.addItem(kind, kind)
        self.when = QDateTimeEdit(QDateTime(QDate(clock.today()).addDays(7), QTime(14, 0)))
        self.when.setCalendarPopup(True)
        self.when.setDisplayFormat("dd-MM-yyyy HH:mm")
        self.duration = QSpinBox()
        self.duration.setRange(10, 600)
        self.duration.setSingleStep(15)
        self.duration.setValue(60)
        self.duration.setSuffix(_(" min"))
        self.place = limit(QLineEdit(), "meeting", "place")
        self.chair = QComboBox()
        self.chair.addItem(_("(nobody)"), None)
        self.attendees = QListWidget()
        self.attendees.setMaximumHeight(120)
        for staff_id, label in meetings.staff_choices():
            self.chair.addItem(label, staff_id)
            entry = QListWidgetItem(label)
            entry.setData(Qt.ItemDataRole.UserRole, staff_id)
            entry.setFlags(entry.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            entry.setCheckState(Qt.CheckState.Unchecked)
            self.attendees.addItem(entry)
        index = self.chair.findData(actor.staff_id)
        if index >= 0:
            self.chair.setCurrentIndex(index)
        self.externals = limit(QPlainTextEdit(), "meeting", "notes")  # stored as a list
        self.externals.setTabChangesFocus(True)
        self.externals.setPlaceholderText(_("One per line: name ; role (e.g. J. de Leeuw ; "
                                            "leerplichtambtenaar)"))
        self.externals.setMaximumHeight(80)
        self.externals_hint = QLabel(_("Roles: {roles}. Another role may be typed too.")
                                     .format(roles=", ".join(external_role_names())))
        self.externals_hint.setWordWrap(True)
        self.externals_hint.setStyleSheet("color: #555;")
        self.error = error_label(hidden=True)
        form.addRow(_("Meeting"), self.kind)
        form.addRow(_("Date and time"), self.when)
        form.addRow(_("Duration"), self.duration)
        form.addRow(_("Place"), self.place)
        form.addRow(_("Chair"), self.chair)
        form.addRow(_("Staff attending"), self.attendees)
        form.addRow(_("External participants"), self.externals)
        form.addRow("", self.externals_hint)
        form.addRow(self.error)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok
                                   | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.save)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)

    def _externals(self) -> list[meetings.External]:
        return [parse_external(line) for line in self.externals.toPlainText().splitlines()
                if line.strip()]

    def save(self) -> None:
        moment = self.when.dateTime().toPython()
        attendees = [self.attendees.item(i).data(Qt.ItemDataRole.UserRole)
                     for i in range(self.attendees.count())
                     if self.attendees.item(i).checkState() == Qt.CheckState.Checked]
        call = partial(meetings.plan_meeting, self.actor, kind=self.kind.currentData(),
                       starts_at=moment, duration_minutes=self.duration.value(),
                       place=self.place.text(), chair_id=self.chair.currentData(),
                       attendee_ids=attendees, externals=self._externals())
        op = ops.Op(self, lambda: call().id, changes=ops.Changes.of(ops.MEETINGS))
        if op.errors_to(self.show_error).run():
            self.meeting_id = op.result
            self.accept()


class AddItemsDialog(QDialog):
    """Put suggested cases on the agenda, each with its question (hulpvraag)."""

    def __init__(self, actor: Actor, meeting_id: int, kind: str,
                 parent: QWidget | None = None):
        super().__init__(parent)
        self.actor, self.meeting_id = actor, meeting_id
        self.setWindowTitle(_("Add cases to the agenda"))
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel(_("Cases whose stage calls for this meeting, then cases with "
                                  "overdue steps:")))
        self.cases = QListWidget()
        for s in meetings.suggest_cases(kind, clock.today(), meeting_id,
                                        actor=self.actor):
            why = _("stage") if s.reason == "stage" else _("overdue")
            entry = QListWidgetItem(f"{s.number} · {s.summary}  ({why})")
            entry.setData(Qt.ItemDataRole.UserRole, s.case_id)
            entry.setFlags(entry.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            entry.setCheckState(Qt.CheckState.Unchecked)
            self.cases.addItem(entry)
        layout.addWidget(self.cases, 1)
        self.question = limit(QPlainTextEdit(), "agenda_item", "question")
        self.question.setPlaceholderText(_("Question for the meeting (hulpvraag)"))
        self.question.setMaximumHeight(80)
        layout.addWidget(self.question)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok
                                   | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.save)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)

    def save(self) -> None:
        chosen = [self.cases.item(i).data(Qt.ItemDataRole.UserRole)
                  for i in range(self.cases.count())
                  if self.cases.item(i).checkState() == Qt.CheckState.Checked]
        question = self.question.toPlainText()

        def add_all() -> None:
            for case_id in chosen:
                meetings.add_item(self.actor, self.meeting_id, case_id, question)

        if ops.run(self, add_all, changes=ops.Changes.of(ops.MEETINGS),
                   title=self.windowTitle()):
            self.accept()


class MeetingDetail(QWidget):
    """One meeting: agenda, consent, minutes and decision, actions, pack and .ics."""

    back = Signal()

    def __init__(self, actor: Actor, parent: QWidget | None = None):
        super().__init__(parent)
        self.actor = actor
        self.meeting_id: int | None = None
        self.items: list[meetings.ItemView] = []
        self.pack_task: Task | None = None
        self.choose_path = self._ask_path  # tests replace this
        layout = QVBoxLayout(self)
        top = QHBoxLayout()
        back = QPushButton(_("← Meetings"))
        back.clicked.connect(self.back.emit)
        self.title = QLabel()
        self.title.setObjectName("sectionTitle")
        self.add_button = QPushButton(_("Add cases…"))
        self.add_button.clicked.connect(self.add_cases)
        self.pack_button = QPushButton(_("Preparation (PDF)"))
        self.pack_button.clicked.connect(self.make_pack)
        self.ics_button = QPushButton(_("Calendar invitation (.ics)…"))
        self.ics_button.setToolTip(_("Save the meeting as a calendar invitation to mail or "
                                     "open in Outlook or Google Calendar"))
        self.ics_button.clicked.connect(self.export_ics)
        for widget in (back, self.title):
            top.addWidget(widget)
        top.addStretch(1)
        for widget in (self.add_button, self.pack_button, self.ics_button):
            top.addWidget(widget)
        layout.addLayout(top)
        self.info = QLabel()
        self.info.setWordWrap(True)
        layout.addWidget(self.info)
        split = QSplitter()
        self.agenda = QListWidget()
        self.agenda.currentRowChanged.connect(self.show_item)
        split.addWidget(self.agenda)
        split.addWidget(self._item_panel())
        split.setSizes([320, 640])
        layout.addWidget(split, 1)

    def _item_panel(self) -> QWidget:
        panel = QWidget()
        form = QFormLayout(panel)
        self.question = QLabel()
        self.question.setWordWrap(True)
        self.consent = QLabel()
        self.consent.setWordWrap(True)
        consent_box = QWidget()  # "Record consent: <student>…" per anonymised student
        self.consent_row = QHBoxLayout(consent_box)
        self.consent_row.setContentsMargins(0, 0, 0, 0)
        self.consent_row.addStretch(1)
        self.consent_buttons: list[QPushButton] = []
        self.minutes = limit(QPlainTextEdit(), "agenda_item", "minutes")
        self.decision = limit(QPlainTextEdit(), "agenda_item", "decision")
        self.decision.setMaximumHeight(90)
        self.save_button = QPushButton(_("Save minutes"))
        self.save_button.clicked.connect(self.save_minutes)
        ladder = self._ladder_row()
        self.actions = QListWidget()
        self.actions.setMaximumHeight(110)
        row = QHBoxLayout()
        self.action_text = limit(QLineEdit(), "action", "description")
        self.action_text.setPlaceholderText(_("Action"))
        self.action_owner = QComboBox()
        for staff_id, label in meetings.staff_choices():
            self.action_owner.addItem(label, staff_id)
        self.action_due = QDateEdit(QDate(clock.today()).addDays(14))
        self.action_due.setCalendarPopup(True)
        self.action_due.setDisplayFormat("dd-MM-yyyy")
        self.action_button = QPushButton(_("Add action"))
        self.action_button.clicked.connect(self.add_action)
        for widget in (self.action_text, self.action_owner, self.action_due, self.action_button):
            row.addWidget(widget)
        form.addRow(_("Question"), self.question)
        form.addRow(_("Consent"), self.consent)
        form.addRow("", consent_box)
        form.addRow(_("Minutes"), self.minutes)
        form.addRow(_("Decision"), self.decision)
        form.addRow(_("Ladder"), ladder)
        form.addRow("", self.save_button)
        form.addRow(_("Actions"), self.actions)
        form.addRow("", row)
        return panel

    def _ladder_row(self) -> QWidget:
        """Where the meeting's decision moves a bully on the ladder (the engine decides
        whether that needs a reason, through ``meetings.ladder_preview``)."""
        box = QWidget()
        box.setObjectName("meetingLadder")
        layout = QVBoxLayout(box)
        layout.setContentsMargins(0, 0, 0, 0)
        row = QHBoxLayout()
        self.move_pester = QComboBox()
        self.move_pester.setAccessibleName(_("Bully"))
        self.move_stage = QComboBox()
        self.move_stage.setAccessibleName(_("Stage after the meeting"))
        row.addWidget(self.move_pester)
        row.addWidget(self.move_stage, 1)
        layout.addLayout(row)
        self.move_message = QLabel()
        self.move_message.setWordWrap(True)
        self.move_message.setObjectName("ladderMessage")
        layout.addWidget(self.move_message)
        self.move_reason = QLineEdit()
        self.move_reason.setPlaceholderText(_("Why the protocol's order is not followed here"))
        limit(self.move_reason, "event", "body")
        layout.addWidget(self.move_reason)
        self.move_preview = None
        self.move_pester.currentIndexChanged.connect(self._fill_stages)
        self.move_stage.currentIndexChanged.connect(self._preview_move)
        self.decision.textChanged.connect(self._decision_edited)
        return box

    def _fill_stages(self) -> None:
        item = self.current()
        self.move_stage.blockSignals(True)
        self.move_stage.clear()
        pester = next((p for p in item.pesters if p.student_id == self.move_pester.currentData()),
                      None) if item else None
        if pester is not None:
            self.move_stage.addItem(_("Stays on '{stage}'").format(stage=pester.stage_title), "")
            for code, title in meetings.ladder_stages(item.item_id):
                if code != pester.stage_code:
                    self.move_stage.addItem(title, code)
        self.move_stage.blockSignals(False)
        self._preview_move()

    def _preview_move(self) -> None:
        item, target = self.current(), self.move_stage.currentData()
        self.move_preview = None
        if item is not None and target:
            self.move_preview = meetings.ladder_preview(
                item.item_id, self.move_pester.currentData(), target, actor=self.actor,
                with_decision=bool(self.decision.toPlainText().strip()))
        preview = self.move_preview
        self.move_message.setText(preview.message if preview and preview.message else "")
        self.move_message.setStyleSheet(ERROR_STYLE if preview and preview.refused
                                        else "")
        self.move_message.setVisible(bool(preview and preview.message))
        self.move_reason.setVisible(bool(preview and preview.needs_reason))

    def _decision_edited(self) -> None:
        if self.move_stage.currentData():  # whether a decision is recorded changes the preview
            self._preview_move()

    def _moves(self) -> list[meetings.LadderDecision]:
        target = self.move_stage.currentData()
        if not target or self.move_pester.currentData() is None:
            return []
        reason = self.move_reason.text().strip() if self.move_reason.isVisible() else ""
        return [meetings.LadderDecision(self.move_pester.currentData(), target, reason)]

    def _show_ladder(self, item: meetings.ItemView | None) -> None:
        self.move_pester.blockSignals(True)
        self.move_pester.clear()
        for pester in item.pesters if item else ():
            self.move_pester.addItem(pester.name, pester.student_id)
        self.move_pester.blockSignals(False)
        self.move_pester.setVisible(self.move_pester.count() > 1)
        self.move_stage.setEnabled(self.move_pester.count() > 0)
        self.move_reason.clear()
        self._fill_stages()

    # -- loading ---------------------------------------------------------------------------
    def load(self, meeting_id: int) -> None:
        self.meeting_id = meeting_id
        view = meetings.meeting_view(meeting_id, actor=self.actor)
        self.view = view
        self.title.setText(f"{view.kind} · {format_datetime(view.starts_at, 'short')}")
        parts = [p for p in (view.place, view.chair and _("chair: {name}").format(
            name=view.chair)) if p]
        if view.externals:
            parts.append(_("external: {names}").format(
                names=", ".join(f"{e.name} ({_(meetings.EXTERNAL_ROLES.get(e.role, e.role))})"
                                for e in view.externals)))
        self.info.setText(" · ".join(parts))
        self.reload_agenda()
        may_plan = meetings.may_plan(self.actor)
        self.add_button.setEnabled(may_plan)
        self.add_button.setToolTip("" if may_plan else plan_refused_text())

    def reload_agenda(self, keep_row: int = 0) -> None:
        self.items = meetings.agenda(self.meeting_id, actor=self.actor)
        self.agenda.blockSignals(True)
        self.agenda.clear()
        for item in self.items:
            mark = "  " + _("(anonymised)") if item.anonymised else ""
            self.agenda.addItem(f"{item.position}. {item.heading}{mark}")
        self.agenda.blockSignals(False)
        if self.items:
            # keep_row is -1 when the agenda was empty: show the first new item
            self.agenda.setCurrentRow(min(max(keep_row, 0), len(self.items) - 1))
            self.show_item(self.agenda.currentRow())
        else:
            self.show_item(-1)

    def current(self) -> meetings.ItemView | None:
        row = self.agenda.currentRow()
        return self.items[row] if 0 <= row < len(self.items) else None

    def _consent_buttons(self, waiting: list) -> None:
        """A "Record consent" button beside each student the meeting anonymises; greyed out,
        with the reason, for a role that does not record consent."""
        for button in self.consent_buttons:
            self.consent_row.removeWidget(button)
            button.deleteLater()
        self.consent_buttons = []
        may = meetings.may_record_consent(self.actor)
        for student in waiting:
            button = QPushButton(_("Record consent: {name}…").format(name=student.name))
            button.setEnabled(may)
            button.setToolTip("" if may else meetings.consent_refused_text())
            button.setProperty("student_id", student.student_id)
            button.clicked.connect(lambda _c=False, sid=student.student_id, n=student.name:
                                   self.record_consent(sid, n))
            self.consent_row.insertWidget(len(self.consent_buttons), button)
            self.consent_buttons.append(button)

    def record_consent(self, student_id: int, shown_as: str) -> None:
        from pestdesk.gui.meetings.consent import ConsentDialog

        meeting = meetings.meeting_view(self.meeting_id, actor=self.actor)
        dialog = ConsentDialog(self.actor, student_id, meeting.kind, self, shown_as=shown_as)
        if dialog.exec():
            self.reload_agenda(self.agenda.currentRow())

    def show_item(self, row: int) -> None:
        item = self.items[row] if 0 <= row < len(self.items) else None
        for widget in (self.minutes, self.decision, self.save_button, self.action_button):
            widget.setEnabled(item is not None)
        self.actions.clear()
        self._show_ladder(item)
        if item is None:
            self.question.setText(_("No agenda items yet."))
            self.consent.setText("")
            self._consent_buttons([])
            self.minutes.clear()
            self.decision.clear()
            return
        self.question.setText(item.question)
        self.consent.setText("\n".join(f"{c.name} ({c.role}): {c.why}" for c in item.consent)
                             or "-")
        self._consent_buttons([c for c in item.consent if not c.named])
        self.minutes.setPlainText(item.minutes)
        self.decision.setPlainText(item.decision)
        locked = item.minutes_redacted  # shown without the names of students without consent
        for widget in (self.minutes, self.decision):
            widget.setReadOnly(locked)
            widget.setToolTip(_("Names without consent are left out here; change these "
                                "minutes in a meeting without outside participants.")
                              if locked else "")
        self.save_button.setEnabled(not locked)
        for action in item.actions:
            due = format_date(action.due_on) if action.due_on else ""
            self.actions.addItem(f"{action.description} — {due}")

    # -- acting ----------------------------------------------------------------------------
    def add_cases(self) -> None:
        if AddItemsDialog(self.actor, self.meeting_id, self.view.kind, self).exec():
            self.reload_agenda(self.agenda.currentRow())

    def save_minutes(self) -> None:
        item = self.current()
        if item is None:
            return
        moves = self._moves()
        if moves and self.move_preview is not None and self.move_preview.needs_reason \
                and not moves[0].reason:
            QMessageBox.warning(self, _("Minutes"), _(
                "Give a reason for the step on the ladder: {why}").format(
                why=self.move_preview.message))
            return
        row = self.agenda.currentRow()
        ops.Op(self, partial(meetings.record_minutes, self.actor, item.item_id, item.version,
                             minutes=self.minutes.toPlainText(),
                             decision=self.decision.toPlainText(), moves=moves),
               changes=ops.Changes(frozenset({ops.MEETINGS, ops.TIMELINE, ops.LADDER}),
                                   item.case_id)) \
            .titled(_("Minutes")).on_conflict(lambda _e, _c: self.reload_agenda(row)).run()
        self.reload_agenda(row)

    def add_action(self) -> None:
        item = self.current()
        if item is None:
            return
        if not ops.run(self, partial(meetings.add_action, self.actor, item.item_id,
                                     description=self.action_text.text(),
                                     owner_id=self.action_owner.currentData(),
                                     due_on=_to_date(self.action_due.date())),
                       changes=ops.Changes(frozenset({ops.MEETINGS, ops.TIMELINE}),
                                           item.case_id), title=_("Actions")):
            return
        self.action_text.clear()
        self.reload_agenda(self.agenda.currentRow())

    def _ask_path(self, title: str, name: str, pattern: str) -> str:
        return ask_export_path(self, title, str(Path.home() / name), pattern)

    def make_pack(self) -> None:
        """Build the pack off the GUI thread, with a progress dialog, then save it."""
        meeting_id, actor = self.meeting_id, self.actor
        self.progress = QProgressDialog(_("Preparing the pack…"), _("Cancel"), 0, 0, self)
        self.progress.setWindowModality(Qt.WindowModality.WindowModal)
        self.progress.setMinimumDuration(300)
        task = Task(lambda report: meetings.build_pack(meeting_id, report, actor=actor),
                    with_progress=True)
        task.signals.progress.connect(self._pack_progress)
        task.signals.done.connect(self._pack_done)
        task.signals.failed.connect(self._pack_failed)
        self.pack_task = task
        self.pack_button.setEnabled(False)
        QThreadPool.globalInstance().start(task)

    def _pack_progress(self, done: int, total: int) -> None:
        self.progress.setMaximum(total)
        self.progress.setValue(done)

    def _pack_done(self, pdf: object) -> None:
        self.progress.reset()
        self.pack_button.setEnabled(True)
        day = clock.local_date(self.view.starts_at)
        name = f"voorbereiding-{self.view.kind.lower()}-{day:%Y%m%d}.pdf"
        path = self.choose_path(_("Save the preparation pack"), name, _("PDF files (*.pdf)"))
        if not path:
            return
        try:
            Path(path).write_bytes(pdf)
        except OSError as exc:
            QMessageBox.warning(self, _("Preparation (PDF)"),
                                _("The file could not be written: {error}").format(
                                    error=exc.strerror))
            return
        meetings.log_pack_printed(self.actor, self.meeting_id)
        self.last_saved = Path(path)

    def _pack_failed(self, exc: object) -> None:
        self.progress.reset()
        self.pack_button.setEnabled(True)
        message = str(exc) if isinstance(exc, ServiceError) else _(
            "The pack could not be made.")
        QMessageBox.warning(self, _("Preparation (PDF)"), message)

    def export_ics(self) -> None:
        name = f"{self.view.kind.lower()}-{clock.local_date(self.view.starts_at):%Y%m%d}.ics"
        path = self.choose_path(_("Export to a calendar"), name,
                                _("iCalendar files (*.ics)"))
        if not path:
            return
        try:
            ics = meetings.export_ics(self.meeting_id, actor=self.actor)
            Path(path).write_bytes(ics.encode("utf-8"))
        except OSError as exc:
            QMessageBox.warning(self, _("Export to a calendar"),
                                _("The file could not be written: {error}").format(
                                    error=exc.strerror))
            return
        self.last_saved = Path(path)


class MeetingsSection(QWidget):
    """The list of meetings with a 'Plan a meeting' button; opening one shows its detail."""

    def __init__(self, actor: Actor, parent: QWidget | None = None):
        super().__init__(parent)
        self.actor = actor
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.stack = QStackedWidget()
        self.list = MeetingsView(actor)
        self.plan_button = QPushButton(_("Plan a meeting…"))
        self.plan_button.clicked.connect(self.plan)
        if not meetings.may_plan(actor):  # said up front, not after filling in the form
            self.plan_button.setEnabled(False)
            self.plan_button.setToolTip(plan_refused_text())
        self.list.add_filter(self.plan_button)
        self.list.opened.connect(self.open_meeting)
        self.detail = MeetingDetail(actor)
        self.detail.back.connect(self.show_list)
        self.stack.addWidget(self.list)
        self.stack.addWidget(self.detail)
        layout.addWidget(self.stack)

    def plan(self) -> None:
        dialog = PlanMeetingDialog(self.actor, self)
        if dialog.exec() and dialog.meeting_id:
            self.list.refresh()
            self.open_meeting(dialog.meeting_id)

    def open_meeting(self, meeting_id: int) -> None:
        try:
            self.detail.load(meeting_id)
        except ServiceError as exc:
            QMessageBox.warning(self, _("Meetings"), str(exc))
            return
        self.stack.setCurrentWidget(self.detail)

    def show_list(self) -> None:
        self.list.refresh()
        self.stack.setCurrentWidget(self.list)

    def refresh(self) -> None:
        self.list.refresh()
        if self.stack.currentWidget() is self.detail and self.detail.meeting_id:
            self.detail.reload_agenda(self.detail.agenda.currentRow())

    def focus_search(self) -> None:
        self.list.focus_search()
