"""The case screen: where a case stands and the next right step, one click away.

Top: the header (number, status, stage, protocol, reported on, owner) and the banners that
must not be missed: a relapse (linking the earlier case), the special advice of a cyber track
(grooming: report to the police at once, do NOT block the contact, parents should not
question the child at length), a signal that is not a case yet, a closed case.
Left: the ladder per pester -- stage, done and open steps (required marked, overdue in red)
and the suggested next step as a button that opens the right form -- and the students with
their roles. Right, in tabs: the timeline (model/view, paged, filter by kind and text), the
cyber checklist with the helplines, the evidence (drop files here), the agreements.

Each case opens in its own window (``CaseWindow``) so a coordinator can keep several side
by side; Esc closes it. Everything the screen shows is read for the signed-in actor, in one
read on the op path (``read_case``: the window keeps painting while another PC holds the
database); every change goes through the services and the screen then reads and refreshes
only the parts the change names (``gui.common.ops.Changes``).
"""

from __future__ import annotations

import json
import textwrap
from dataclasses import dataclass
from functools import partial
from pathlib import Path

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView,
    QApplication,
    QComboBox,
    QFrame,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMenu,
    QMessageBox,
    QPushButton,
    QScrollArea,
    QSplitter,
    QTableView,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QTextBrowser,
    QToolButton,
    QVBoxLayout,
    QWidget,
)
from shiboken6 import isValid

from pestdesk import clock
from pestdesk.domain.engine import CaseAssessment, NextStep, PesterAssessment, StepStatus
from pestdesk.domain.protocol import Protocol
from pestdesk.gui.case import dialogs
from pestdesk.gui.case.conversation import ConversationDialog, with_whom_for_step
from pestdesk.gui.case.timeline import TimelineModel, kind_label
from pestdesk.gui.common import ops
from pestdesk.gui.common.colors import AMBER, GREEN, GREY, RED
from pestdesk.gui.common.labels import role_label, status_label
from pestdesk.gui.common.limits import exempt
from pestdesk.i18n import _, format_date, format_number, ngettext
from pestdesk.services import cases
from pestdesk.services import helplines as helpline_service
from pestdesk.services import letters as letter_service
from pestdesk.services.base import Actor, ServiceError

STYLE = f"""
#caseNumber {{ font-size: 17pt; font-weight: 600; color: #12355b; }}
#caseSummary {{ font-size: 11pt; color: #222; }}
#caseMeta {{ color: #444; }}
#statusChip {{ border-radius: 9px; padding: 2px 10px; font-weight: 600; }}
#banner {{ border-radius: 6px; padding: 8px 12px; }}
#pesterCard {{ font-weight: 600; }}
#pesterCard QLabel {{ font-weight: normal; }}
QPushButton#nextStep {{ text-align: left; padding: 8px 12px; font-weight: 600;
    background: #1f5fa8; color: white; border-radius: 5px; border: none; }}
QPushButton#nextStep:focus {{ outline: 2px solid #12355b; background: #174b86; }}
QPushButton#nextStep:hover {{ background: #174b86; }}
QPushButton#nextStep[overdue="true"] {{ background: {RED}; }}
QTabWidget::pane {{ border-top: 1px solid #ccd3dc; }}
"""


def _html(text: str) -> str:
    return (text or "").replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def banner(html: str, background: str, color: str = "#222") -> QLabel:
    label = QLabel(html)
    label.setObjectName("banner")
    label.setWordWrap(True)
    label.setTextFormat(Qt.TextFormat.RichText)
    label.setStyleSheet(f"background: {background}; color: {color};")
    return label


def clear_layout(layout) -> None:
    while layout.count():
        item = layout.takeAt(0)
        if item.widget() is not None:
            item.widget().deleteLater()
        elif item.layout() is not None:
            clear_layout(item.layout())


def is_conversation_step(step) -> bool:
    """A step done by holding a conversation (it then opens the conversation form): its
    declared kind says so, or it names a conversation guide."""
    return step.kind == "conversation" or bool(step.guide)


# --------------------------------------------------------------------------- the ladder


class PesterCard(QGroupBox):
    """One pester on the ladder: stage, steps, the next step as a button, moves."""

    def __init__(self, view: CaseView, pester: PesterAssessment, name: str,
                 protocol: Protocol, relapse_links: str = "") -> None:
        super().__init__(name)
        self.setObjectName("pesterCard")
        self.view, self.pester = view, pester
        layout = QVBoxLayout(self)
        layout.setSpacing(6)
        stage = QLabel(_("Stage {n} of {total}: <b>{stage}</b> · responsible: {role} · "
                         "since {date}").format(
            n=pester.stage_index + 1, total=len(protocol.stages), stage=_html(pester.stage_title),
            role=_html(pester.role_title), date=format_date(pester.entered_on)))
        stage.setWordWrap(True)
        layout.addWidget(stage)
        if relapse_links:
            relapse = banner(relapse_links, "#fff4ce", "#6b4e00")
            relapse.setObjectName("relapseBanner")
            relapse.linkActivated.connect(view.open_link)
            layout.addWidget(relapse)
        self.next_button: QPushButton | None = None
        if pester.next_step is not None and view.editable:
            self.next_button = self._next_button(pester.next_step)
            layout.addWidget(self.next_button)
        elif pester.next_step is None:
            done = QLabel(_("All steps of this stage are done."))
            done.setStyleSheet(f"color: {GREEN};")
            layout.addWidget(done)
        self.steps_label = QLabel(self._steps_html())
        self.steps_label.setWordWrap(True)
        self.steps_label.setTextFormat(Qt.TextFormat.RichText)
        layout.addWidget(self.steps_label)
        for notice in pester.notices:
            if notice.code in ("relapse", "overdue"):  # shown above, in the step lines
                continue
            note = QLabel(_html(notice.message))
            note.setWordWrap(True)
            note.setStyleSheet(f"color: {RED if notice.severity == 'warning' else GREY};")
            layout.addWidget(note)
        if view.editable:
            layout.addLayout(self._buttons())

    def _next_button(self, step: NextStep) -> QPushButton:
        overdue = step.due_on is not None and step.due_on < self.view.today
        if step.due_on is None:
            when = ""
        elif overdue:
            when = _(" — overdue since {date}").format(date=format_date(step.due_on))
        else:
            when = _(" — by {date}").format(date=format_date(step.due_on))
        text = _("Next step: {step}{when}").format(step=step.title, when=when)
        button = QPushButton(textwrap.fill(text, 62))
        button.setObjectName("nextStep")
        button.setProperty("overdue", overdue)
        button.setToolTip(_("Responsible: {role}").format(role=step.role_title))
        button.setCursor(Qt.CursorShape.PointingHandCursor)
        button.clicked.connect(lambda: self.view.do_step(step.step_code, step.stage_code,
                                                         self.pester.student_id))
        return button

    def _steps_html(self) -> str:
        lines = []
        for step in self.pester.done_steps:
            lines.append(f"<span style='color:{GREEN}'>✓</span> {_html(step.title)} "
                         f"<span style='color:{GREY}'>— {format_date(step.done_on)}</span>")
        for step in self.pester.open_steps:
            lines.append(self._open_line(step))
        return "<br>".join(lines)

    def _open_line(self, step: StepStatus) -> str:
        mark = _("required")
        required = f" <span style='color:{GREY}'>({mark})</span>" if step.required else ""
        if step.waits_for:  # a decision before its hearing: not yet
            after = _("after: {step}").format(step=step.waits_for)
            return (f"<span style='color:{GREY}'>○ {_html(step.title)}{required} — "
                    f"{_html(after)}</span>")
        if step.overdue:
            due = _("overdue since {date}").format(date=format_date(step.due_on))
            return (f"<span style='color:{RED}'>○ {_html(step.title)}{required} — "
                    f"<b>{due}</b></span>")
        by = _("by {date}").format(date=format_date(step.due_on)) if step.due_on else ""
        due = f" <span style='color:{GREY}'>— {by}</span>" if by else ""
        return f"○ {_html(step.title)}{required}{due}"

    def _buttons(self) -> QHBoxLayout:
        row = QHBoxLayout()
        other = QToolButton()
        other.setText(_("Record a step"))
        other.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        menu = QMenu(other)
        self.step_menu = menu
        for step in self.pester.open_steps:
            action = menu.addAction(step.title)
            if step.waits_for:
                action.setEnabled(False)
                action.setToolTip(_("after: {step}").format(step=step.waits_for))
            action.triggered.connect(
                lambda _c=False, s=step: self.view.do_step(s.code, s.stage_code,
                                                           self.pester.student_id))
        other.setMenu(menu)
        other.setEnabled(bool(self.pester.open_steps))
        row.addWidget(other)
        row.addStretch(1)
        self.escalate_button = QPushButton(_("Escalate…"))
        self.escalate_button.setEnabled(not self.pester.is_last_stage)
        self.escalate_button.clicked.connect(
            lambda: self.view.move_pester(self.pester.student_id, True))
        self.back_button = QPushButton(_("Back a stage…"))
        self.back_button.setEnabled(self.pester.stage_index > 0)
        self.back_button.clicked.connect(
            lambda: self.view.move_pester(self.pester.student_id, False))
        row.addWidget(self.escalate_button)
        row.addWidget(self.back_button)
        return row


# --------------------------------------------------------------------------- reading


@dataclass(frozen=True, slots=True)
class CaseRead:
    """What one read of the case window brought back (see ``read_case``)."""

    screen: cases.CaseScreen
    helplines: tuple[helpline_service.HelplineLine, ...] | None  # None: not read
    timeline: tuple[list[cases.TimelineEntry], int] | None  # first page, total; None: not read


def read_case(actor: Actor, case_id: int, today, parts: frozenset[str], *,
              opening: bool = False, kinds: tuple[str, ...] = (), text: str = "") -> CaseRead:
    """Every database read the case window needs to show ``parts``: no Qt here, so the
    op path runs it on its worker thread while the window keeps painting."""
    screen = cases.case_screen(actor, case_id, today, opening=opening,
                               agreements=ops.AGREEMENTS in parts)
    cyber = screen.assessment is not None and screen.assessment.cyber is not None
    helplines = (tuple(helpline_service.list_helplines())
                 if cyber and parts & {ops.CASE, ops.LADDER, ops.STUDENTS} else None)
    timeline = (TimelineModel.first_page(actor, case_id, kinds, text)
                if ops.TIMELINE in parts else None)
    return CaseRead(screen, helplines, timeline)


# --------------------------------------------------------------------------- the screen


class CaseView(QWidget):
    """Everything about one case; ``open_case(id)`` for a linked case, ``changed(id)``."""

    open_case = Signal(int)
    changed = Signal(int)

    def __init__(self, actor: Actor, case_id: int, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.actor, self.case_id = actor, case_id
        self.setStyleSheet(STYLE)
        self.today = clock.today()
        self.cards: list[PesterCard] = []
        self._pending: set[str] = set()  # parts to refresh once our dialog has closed
        self._dialogs_open = 0
        self._reading = False
        self.helplines: tuple[helpline_service.HelplineLine, ...] = ()
        self.agreement_lines: tuple[cases.AgreementLine, ...] = ()
        # the first read, off the GUI thread: NotFound when hidden (same as missing)
        read = self._read(ops.CASE_PARTS, opening=True)
        self.protocol = read.screen.protocol
        self._take(read)
        ops.bus.changed.connect(self._on_changes)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(12, 10, 12, 8)
        layout.addLayout(self._header())
        self.banners = QVBoxLayout()
        layout.addLayout(self.banners)
        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.addWidget(self._left_column())
        splitter.addWidget(self._tabs())
        splitter.setStretchFactor(0, 5)
        splitter.setStretchFactor(1, 6)
        splitter.setChildrenCollapsible(False)
        layout.addWidget(splitter, 1)
        self.fill()

    # -- building ----------------------------------------------------------------------
    def _header(self) -> QHBoxLayout:
        row = QHBoxLayout()
        texts = QVBoxLayout()
        top = QHBoxLayout()
        self.number = QLabel()
        self.number.setObjectName("caseNumber")
        self.status_chip = QLabel()
        self.status_chip.setObjectName("statusChip")
        top.addWidget(self.number)
        top.addWidget(self.status_chip)
        top.addStretch(1)
        texts.addLayout(top)
        self.summary = QLabel()
        self.summary.setObjectName("caseSummary")
        self.summary.setWordWrap(True)
        texts.addWidget(self.summary)
        self.meta = QLabel()
        self.meta.setObjectName("caseMeta")
        self.meta.setWordWrap(True)
        texts.addWidget(self.meta)
        row.addLayout(texts, 1)
        buttons = QVBoxLayout()
        first = QHBoxLayout()
        self.conversation_button = QPushButton(_("&Conversation…"))
        self.conversation_button.setToolTip(_("Log a conversation (Ctrl+G)"))
        self.conversation_button.clicked.connect(lambda: self.log_conversation())
        self.note_button = QPushButton(_("&Note…"))
        self.note_button.clicked.connect(self.add_note)
        self.letter_button = QPushButton(_("&Letter…"))
        self.letter_button.setToolTip(_("Write a letter in this case (to parents, the "
                                        "student or others)"))
        self.letter_button.clicked.connect(self.write_letter)
        self.close_button = QPushButton()
        self.close_button.clicked.connect(self.close_or_reopen)
        for button in (self.conversation_button, self.note_button, self.letter_button,
                       self.close_button):
            first.addWidget(button)
        buttons.addLayout(first)
        second = QHBoxLayout()
        second.addStretch(1)
        self.details_button = QPushButton(_("Ed&it details…"))
        self.details_button.setToolTip(_("Change the date, reporter, description, places "
                                         "and forms of bullying of this report"))
        self.details_button.clicked.connect(self.edit_details)
        second.addWidget(self.details_button)
        self.promote_button = QPushButton(_("&Make it a case"))
        self.promote_button.clicked.connect(self.promote)
        second.addWidget(self.promote_button)
        self.measures_button = QToolButton()
        self.measures_button.setText(_("Measures"))
        self.measures_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        measures = QMenu(self.measures_button)
        for text, name in ((_("Contract…"), "ContractDialog"),
                           (_("Suspension…"), "SuspensionDialog"),
                           (_("Expulsion procedure…"), "ExpulsionDialog"),
                           (_("Inspectorate notification…"), "InspectieReportDialog")):
            action = measures.addAction(text)
            action.setObjectName(name)
            action.triggered.connect(lambda _c=False, n=name: self.open_measure(n))
        self.measures_button.setMenu(measures)
        second.addWidget(self.measures_button)
        buttons.addLayout(second)
        buttons.addStretch(1)
        row.addLayout(buttons)
        QShortcut(QKeySequence("Ctrl+G"), self, activated=self.log_conversation)
        return row

    def _left_column(self) -> QWidget:
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        inner = QWidget()
        column = QVBoxLayout(inner)
        column.setContentsMargins(0, 0, 6, 0)
        title = QLabel("<b>{}</b>".format(_("The ladder per bully")))
        column.addWidget(title)
        self.ladder = QVBoxLayout()
        column.addLayout(self.ladder)
        students = QGroupBox(_("Students in this case"))
        box = QVBoxLayout(students)
        self.students = QTableWidget(0, 4)
        self.students.setHorizontalHeaderLabels([_("Student"), _("Class"), _("Role"),
                                                  _("Stage")])
        self.students.verticalHeader().hide()
        self.students.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.students.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.students.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        header = self.students.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        for col in (1, 2, 3):
            header.setSectionResizeMode(col, QHeaderView.ResizeMode.ResizeToContents)
        self.students.doubleClicked.connect(lambda _i: self.change_role())
        box.addWidget(self.students)
        row = QHBoxLayout()
        self.add_student_button = QPushButton(_("&Add student…"))
        self.add_student_button.clicked.connect(self.add_student)
        self.role_button = QPushButton(_("Change role…"))
        self.role_button.clicked.connect(self.change_role)
        self.remove_student_button = QPushButton(_("Remove"))
        self.remove_student_button.clicked.connect(self.remove_student)
        for button in (self.add_student_button, self.role_button, self.remove_student_button):
            row.addWidget(button)
        row.addStretch(1)
        box.addLayout(row)
        column.addWidget(students)
        self.report_box = QLabel()
        self.report_box.setWordWrap(True)
        self.report_box.setTextFormat(Qt.TextFormat.RichText)
        self.report_box.setStyleSheet("color: #333;")
        report = QGroupBox(_("The report"))
        QVBoxLayout(report).addWidget(self.report_box)
        column.addWidget(report)
        column.addStretch(1)
        scroll.setWidget(inner)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        scroll.setMinimumWidth(480)
        return scroll

    def _tabs(self) -> QTabWidget:
        self.tabs = QTabWidget()
        self.tabs.addTab(self._timeline_tab(), _("Timeline"))
        self.cyber_tab = QWidget()
        self.cyber_layout = QVBoxLayout(self.cyber_tab)
        self.tabs.addTab(self._scrolling(self.cyber_tab), _("Cyberbullying"))
        self.tabs.addTab(self._evidence_tab(), _("Evidence"))
        self.tabs.addTab(self._agreements_tab(), _("Agreements"))
        return self.tabs

    @staticmethod
    def _scrolling(widget: QWidget) -> QScrollArea:
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setWidget(widget)
        return scroll

    def _timeline_tab(self) -> QWidget:
        tab = QWidget()
        layout = QVBoxLayout(tab)
        bar = QHBoxLayout()
        self.kind_filter = QComboBox()
        self.kind_filter.addItem(_("Everything"), ())
        self.kind_filter.addItem(_("Conversations"), ("conversation",))
        self.kind_filter.addItem(_("Steps and moves"), ("step", "escalate", "deescalate",
                                                        "contract_broken", "contract_kept"))
        self.kind_filter.addItem(_("Notes"), ("note",))
        self.kind_filter.addItem(_("Evidence"), ("attachment", "evidence"))
        self.kind_filter.addItem(_("Letters"), ("letter",))
        self.kind_filter.addItem(_("Report, close and reopen"),
                                 ("report", "signal", "promote", "close", "reopen"))
        self.kind_filter.currentIndexChanged.connect(lambda _i: self.filter_timeline())
        self.timeline_search = exempt(QLineEdit(), "searches the timeline")
        self.timeline_search.setPlaceholderText(_("Search the timeline…"))
        self.timeline_search.setClearButtonEnabled(True)
        self._search_timer = QTimer(self, singleShot=True, interval=150)
        self._search_timer.timeout.connect(self.filter_timeline)
        self.timeline_search.textChanged.connect(lambda _t: self._search_timer.start())
        bar.addWidget(self.kind_filter)
        bar.addWidget(self.timeline_search, 1)
        layout.addLayout(bar)
        self.timeline_model = TimelineModel(self.actor, self.case_id, self, load=False)
        self.timeline = QTableView()
        self.timeline.setModel(self.timeline_model)
        self.timeline.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.timeline.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.timeline.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.timeline.setAlternatingRowColors(True)
        self.timeline.verticalHeader().hide()
        self.timeline.setWordWrap(False)
        header = self.timeline.horizontalHeader()
        header.setStretchLastSection(True)
        for col, width in enumerate((90, 100, 250, 130)):
            self.timeline.setColumnWidth(col, width)
        self.timeline.selectionModel().currentRowChanged.connect(
            lambda current, _prev: self.show_entry(current.row()))
        layout.addWidget(self.timeline, 3)
        self.entry = QTextBrowser()
        self.entry.setOpenLinks(False)
        self.entry.setPlaceholderText(_("Select an entry to read it in full."))
        layout.addWidget(self.entry, 2)
        self.timeline_count = QLabel()
        self.timeline_count.setObjectName("countLabel")
        layout.addWidget(self.timeline_count)
        return tab

    def _evidence_tab(self) -> QWidget:
        tab = EvidenceTab(self)
        self.evidence_table = tab.table
        return tab

    def _agreements_tab(self) -> QWidget:
        tab = QWidget()
        layout = QVBoxLayout(tab)
        self.agreements = QTableWidget(0, 4)
        self.agreements.setHorizontalHeaderLabels([_("Agreement"), _("Followed up by"),
                                                    _("Evaluate on"), _("Outcome")])
        self.agreements.verticalHeader().hide()
        self.agreements.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.agreements.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.agreements.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.agreements.setWordWrap(True)
        header = self.agreements.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(3, QHeaderView.ResizeMode.Stretch)
        self.agreements.doubleClicked.connect(lambda _i: self.evaluate_agreement())
        layout.addWidget(self.agreements, 1)
        row = QHBoxLayout()
        self.agreement_button = QPushButton(_("New &agreement…"))
        self.agreement_button.clicked.connect(self.add_agreement)
        self.evaluate_button = QPushButton(_("&Evaluate…"))
        self.evaluate_button.clicked.connect(self.evaluate_agreement)
        row.addWidget(self.agreement_button)
        row.addWidget(self.evaluate_button)
        row.addStretch(1)
        layout.addLayout(row)
        return tab

    # -- filling -----------------------------------------------------------------------
    def _read(self, parts: frozenset[str], opening: bool = False) -> CaseRead:
        """Read what ``parts`` show on the op path (the window keeps painting while the
        database is locked); the op's error is raised here for the caller to handle."""
        model = getattr(self, "timeline_model", None)
        kinds, text = (model.kinds, model.text) if model is not None else ((), "")
        op = ops.Op(QApplication.activeWindow() if opening else self.window(),
                    partial(read_case, self.actor, self.case_id, self.today, parts,
                            opening=opening, kinds=kinds, text=text),
                    label=_("Opening…") if opening else _("Reading…"))
        self._reading = True
        try:
            if not op.failure(lambda _exc: True).run():
                raise op.error
        finally:
            self._reading = False
        return op.result

    def _take(self, read: CaseRead) -> None:
        """Keep what a read brought (the parts it did not read stay as they were)."""
        screen = read.screen
        self.detail, self.editable = screen.detail, screen.editable
        self.assessment: CaseAssessment | None = screen.assessment
        self.case_numbers = screen.case_numbers
        if screen.agreements is not None:
            self.agreement_lines = screen.agreements
        if read.helplines is not None:
            self.helplines = read.helplines
        self._timeline_page = read.timeline

    def reload(self, parts: frozenset[str] = ops.CASE_PARTS) -> None:
        """Read the case again (after a save, or a conflict) and show the ``parts`` of it
        that changed (``gui.common.ops`` part names; everything by default).

        The reads run on the op path: the window keeps painting while another PC holds the
        database; a refusal (the case hidden or gone meanwhile) leaves the window as it was,
        and any other error (busy) is told the one way errors are told."""
        if self._reading:  # a read is under way: this one follows it
            self._pending |= parts
            return
        self.today = clock.today()
        try:
            read = self._read(frozenset(parts))
        except ServiceError:
            return
        except Exception as exc:  # noqa: BLE001 - told by the one error handler
            if isValid(self):
                ops.handle_error(self.window(), exc, title=_("Case"))
            return
        if not isValid(self):  # the window was closed (signing out) while it read
            return
        self._take(read)
        self.fill(parts=parts)
        self.changed.emit(self.case_id)
        self._refresh_pending()

    def _on_changes(self, changes: ops.Changes) -> None:
        """A save somewhere (this window's dialogs, a meeting, another window) announced
        what it changed: refresh only those parts, once no dialog of ours is open."""
        if changes.case_id not in (None, self.case_id):
            return
        parts = changes.parts & ops.CASE_PARTS
        if not parts:
            return
        self._pending |= parts
        self._refresh_pending()  # at once, unless one of our dialogs is still open

    def _refresh_pending(self) -> None:
        if self._pending and self._dialogs_open == 0 and not self._reading:
            parts, self._pending = frozenset(self._pending), set()
            self.reload(parts)

    def fill(self, parts: frozenset[str] = ops.CASE_PARTS) -> None:
        d = self.detail
        self.closed = d.closed
        if ops.CASE in parts:
            self._fill_header()
            self._fill_banners()
            self._fill_report()
        if parts & {ops.CASE, ops.LADDER, ops.STUDENTS}:
            self._fill_ladder()
            self._fill_cyber()
        if parts & {ops.CASE, ops.STUDENTS}:
            self._fill_students()
        if ops.EVIDENCE in parts:
            self.evidence_tab().fill(d.attachments)
        if ops.AGREEMENTS in parts:
            self._fill_agreements()
        self.timeline_model.names = {i.student_id: i.name for i in d.involvements}
        if self._timeline_page is not None:
            self.timeline_model.show(*self._timeline_page)
            self._timeline_page = None
        self._timeline_count()
        can_work = self.editable and not self.closed
        for widget in (self.conversation_button, self.note_button, self.add_student_button,
                       self.role_button, self.remove_student_button, self.agreement_button,
                       self.evaluate_button):
            widget.setEnabled(can_work)
        self.conversation_button.setEnabled(can_work and not d.is_signal)
        self.letter_button.setEnabled(can_work and not d.is_signal)
        self._explain_disabled(can_work, d.is_signal)
        self.close_button.setEnabled(self.editable)
        self.evidence_tab().set_enabled(self.editable)
        self.promote_button.setVisible(d.is_signal and can_work)
        self.measures_button.setEnabled(can_work and not d.is_signal)
        self.details_button.setText(_("Ed&it details…") if can_work else _("Show details…"))

    def _explain_disabled(self, can_work: bool, is_signal: bool) -> None:
        """A greyed-out action says why (rights up front, not after a form)."""
        if not self.editable:
            why = _("You may read this case but not change it.")
        elif self.closed:
            why = _("The case is closed: reopen it first.")
        elif is_signal:
            why = _("A signal has no conversations, letters or measures yet: make it a "
                    "case first.")
        else:
            why = ""
        tips = {self.conversation_button: _("Log a conversation (Ctrl+G)"),
                self.note_button: "", self.letter_button: _(
                    "Write a letter in this case (to parents, the student or others)"),
                self.measures_button: "", self.agreement_button: "",
                self.add_student_button: ""}
        for widget, tip in tips.items():
            widget.setToolTip(tip if widget.isEnabled() else why)

    def write_letter(self) -> None:
        """Brief…: the letters dialog for this case, without a protocol step."""
        try:
            from pestdesk.gui.letters.dialogs import ComposeDialog
        except ImportError:  # pragma: no cover - the letters need reportlab and QtPdf
            return
        self._after(ComposeDialog(self.actor, self, case_id=self.case_id))

    def evidence_tab(self) -> EvidenceTab:
        return self.tabs.widget(2)

    def _fill_header(self) -> None:
        d = self.detail
        kind = _("Signal") if d.is_signal else _("Case")
        self.number.setText(f"{kind} {d.number}")
        closed = d.closed
        self.status_chip.setText(status_label(d.status))
        self.status_chip.setStyleSheet(
            "background: #e3e3e3; color: #444;" if closed
            else "background: #dcefe1; color: #1e6b34;")
        self.summary.setText(_html(d.summary) or _("(no summary)"))
        stage = self.protocol.stage(d.stage_code) if d.stage_code else None
        parts = [
            _("Stage: {stage}").format(stage=stage.title if stage else "—"),
            _("Protocol: {name} ({version})").format(name=self.protocol.name,
                                                     version=d.protocol_version or "-"),
            _("Reported on {date}").format(date=format_date(d.reported_on, "long")),
            _("Owner: {name}").format(name=d.owner_name or "—"),
        ]
        if d.next_due_on and not closed:
            due = format_date(d.next_due_on)
            if d.next_due_on < self.today:
                late = _("overdue since {date}").format(date=due)
                parts.append(f"<span style='color:{RED}'><b>{late}</b></span>")
            else:
                parts.append(_("next action by {date}").format(date=due))
        self.meta.setText("  ·  ".join(parts))
        self.close_button.setText(_("&Reopen…") if closed else _("C&lose case…"))
        self.window().setWindowTitle(f"{kind} {d.number} — pestdesk")

    def _fill_banners(self) -> None:
        clear_layout(self.banners)
        d = self.detail
        if d.is_signal:
            self.banners.addWidget(banner(_(
                "<b>This is a signal.</b> Make it a case when the care team takes it up; the "
                "protocol's steps start then."), "#e8f0fb", "#12355b"))
        if d.status == "closed":
            self.banners.addWidget(banner(_("<b>Closed</b> on {date}: {reason}").format(
                date=format_date(d.closed_on), reason=_html(d.close_reason)),
                "#eeeeee", "#333"))
        if self.assessment is not None and self.assessment.cyber is not None:
            track = self.assessment.cyber.track
            if track is not None:
                self.banners.addWidget(self._track_banner(track))

    def _track_banner(self, track) -> QLabel:
        lines = [f"<b>{_html(track.title)}</b> — {_html(track.description)}"]
        if track.police_report:
            police = track.police_report_text
            lines.append(f"<b>{_html(police[:1].upper() + police[1:])}.</b>")
        if not track.block_sender:
            warning = _("Do NOT block the contact: the police need it as evidence.")
            lines.append(f"<b>{warning}</b>")
        items = "".join(f"<li>{_html(a)}</li>" for a in track.advice)
        helplines = self._helplines()[:3]
        phones = " · ".join(f"{_html(h.name)} {_html(h.phone)}" for h in helplines
                            if h.phone)
        html = "<br>".join(lines) + f"<ul style='margin: 4px 0 0 -20px'>{items}</ul>"
        if phones:
            html += _("Helplines: {lines}").format(lines=phones)
        severe = track.police_report == "direct" or not track.block_sender
        label = banner(html, "#fdecea" if severe else "#fff4ce",
                       "#7a1c14" if severe else "#6b4e00")
        label.setObjectName("trackAdvice")
        return label

    def _name(self, student_id: int | None) -> str:
        inv = self.detail.student(student_id) if student_id else None
        return inv.name if inv is not None else ""

    def _fill_ladder(self) -> None:
        clear_layout(self.ladder)
        self.cards = []
        if self.assessment is None:
            self.ladder.addWidget(QLabel(_("A signal has no ladder yet.")))
            return
        for pester in self.assessment.pesters:
            inv = self.detail.student(pester.student_id)
            title = inv.name if inv is not None else "?"
            if inv is not None and inv.class_name:
                title += f" ({inv.class_name})"
            card = PesterCard(self, pester, title, self.protocol, self._relapse_html(pester, inv))
            self.cards.append(card)
            self.ladder.addWidget(card)
        for notice in self.assessment.notices:
            note = QLabel(_html(notice.message))
            note.setWordWrap(True)
            note.setStyleSheet(f"color: {GREY};")
            self.ladder.addWidget(note)

    def _relapse_html(self, pester: PesterAssessment, inv: cases.InvolvedStudent | None) -> str:
        if pester.relapse is None and (inv is None or not inv.relapse_of):
            return ""
        earlier = pester.relapse.relapse_of if pester.relapse else (inv.relapse_of,)
        numbers = self.case_numbers  # only the cases I may open
        links = ", ".join(f"<a href='case:{cid}'>{_html(numbers[cid])}</a>" if cid in numbers
                          else _("another case") for cid in earlier)
        text = _("<b>Relapse:</b> a bully before in {cases}.").format(cases=links)
        if pester.proposed_stage_code and pester.relapse is not None:
            text += " " + _("The protocol proposes starting at '{stage}'.").format(
                stage=_html(pester.relapse.proposed_stage_title))
        return text

    def _fill_students(self) -> None:
        rows = self.detail.involvements
        self.students.setRowCount(len(rows))
        for r, inv in enumerate(rows):
            stage = self.protocol.stage(inv.stage_code) if inv.stage_code else None
            values = (inv.name, inv.class_name, role_label(inv.role),
                      stage.title if stage else "")
            for c, text in enumerate(values):
                item = QTableWidgetItem(text)
                item.setData(Qt.ItemDataRole.UserRole, inv.id)
                self.students.setItem(r, c, item)
        self.students.setMaximumHeight(40 + 30 * max(2, len(rows)))

    def _fill_report(self) -> None:
        from pestdesk.domain.taxonomy import FORMS, LOCATIONS, REPORTER_KINDS

        d = self.detail
        rows = []

        def add(label: str, value: str) -> None:
            if value:
                rows.append(f"<tr><td style='color:#666; padding-right:10px'>{label}</td>"
                            f"<td>{value}</td></tr>")

        reporter = REPORTER_KINDS.get(d.reporter_kind, "")
        add(_("Reported by"), _html(", ".join(
            p for p in (_(reporter) if reporter else "", d.reported_via) if p)))
        add(_("Where"), _html(", ".join(_(LOCATIONS.get(c, c)) for c in d.locations)))
        add(_("Since"), _html(d.since))
        add(_("How often"), _html(d.frequency))
        if d.scope in cases.SCOPES:
            scope = cases.SCOPES[d.scope]  # an N_()-marked label
            add(_("Scope"), _(scope))
        add(_("Forms"), _html(", ".join(_(FORMS.get(c, c)) for c in d.forms)))
        add(_("What happened"), _html(d.description).replace("\n", "<br>"))
        self.report_box.setText(f"<table>{''.join(rows)}</table>" if rows
                                else _("No details recorded."))

    def _helplines(self) -> list[helpline_service.HelplineLine]:
        """The school's helplines, those the cyber track names first."""
        preset = []
        if self.assessment is not None and self.assessment.cyber is not None:
            preset = [h.name for h in self.assessment.cyber.helplines]
        order = {name: i for i, name in enumerate(preset)}
        return sorted(self.helplines, key=lambda h: order.get(h.name, len(order)))

    def _fill_cyber(self) -> None:
        clear_layout(self.cyber_layout)
        cyber = self.assessment.cyber if self.assessment is not None else None
        self.tabs.setTabVisible(1, cyber is not None)
        self.checklist_buttons: dict[str, QPushButton] = {}
        if cyber is None:
            return
        intro = QLabel(f"<b>{_html(self.protocol.cyber.title)}</b><br>"
                       f"{_html(self.protocol.cyber.intro)}")
        intro.setWordWrap(True)
        self.cyber_layout.addWidget(intro)
        self.cyber_layout.addLayout(self._police_row(cyber.police_report))
        for item in cyber.items:
            self.cyber_layout.addWidget(self._checklist_row(item))
        for notice in cyber.notices:
            self.cyber_layout.addWidget(banner(_html(notice.message), "#fdecea", "#7a1c14")
                                        if notice.severity == "warning"
                                        else QLabel(_html(notice.message)))
        lines = self._helplines()
        if lines:
            rows = "".join(
                f"<tr><td><b>{_html(h.name)}</b></td><td>{_html(h.phone)}</td>"
                f"<td>{_html(h.topic)}</td></tr>" for h in lines)
            box = QLabel(f"<b>{_('Helplines')}</b><table cellspacing='4'>{rows}</table>")
            box.setWordWrap(True)
            box.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            self.cyber_layout.addWidget(box)
        self.cyber_layout.addStretch(1)

    def _police_row(self, state: str) -> QHBoxLayout:
        """Where a report to the police stands; the checklist and the advice letter follow
        it (``cases.set_police_report``: a timeline entry with its audit line)."""
        from pestdesk.domain.taxonomy import POLICE_REPORT_STATES

        row = QHBoxLayout()
        label = QLabel(_("Police report:"))
        self.police_report = QComboBox()
        self.police_report.setObjectName("policeReport")
        for code, text in POLICE_REPORT_STATES.items():
            self.police_report.addItem(_(text), code)
        self.police_report.setCurrentIndex(max(self.police_report.findData(state), 0))
        self.police_report.setEnabled(self.editable and not self.closed)
        self.police_report.setToolTip(_("While a police report is planned or made, keeping "
                                        "the evidence comes first and blocking waits."))
        label.setBuddy(self.police_report)
        self.police_report.currentIndexChanged.connect(self._police_changed)
        row.addWidget(label)
        row.addWidget(self.police_report)
        row.addStretch(1)
        return row

    def _police_changed(self) -> None:
        state = self.police_report.currentData()
        if not ops.run(self, partial(cases.set_police_report, self.actor, self.case_id, state),
                       changes=ops.Changes.case(self.case_id, ops.LADDER, ops.TIMELINE),
                       title=_("Police report")):
            self.reload(frozenset({ops.LADDER}))  # refused: show the stored state again

    def _checklist_row(self, item) -> QWidget:
        row = QFrame()
        row.setFrameShape(QFrame.Shape.StyledPanel)
        layout = QHBoxLayout(row)
        marks = {"done": ("✓", GREEN), "open": ("○", "#12355b"), "skipped": ("⊘", RED),
                 "paused": ("⏸", AMBER)}
        mark, color = marks.get(item.status, ("○", GREY))
        title = _html(item.title)
        if item.status == "skipped":
            title = f"<s>{title}</s>"
        text = f"<span style='color:{color}; font-size: 13pt'>{mark}</span> <b>{title}</b>"
        if item.done_on:
            text += f" <span style='color:{GREY}'>— {format_date(item.done_on)}</span>"
        if item.note:
            text += f"<br><span style='color:{RED}'><b>{_html(item.note)}</b></span>"
        if item.advice:
            text += f"<br><span style='color:#444'>{_html(item.advice)}</span>"
        label = QLabel(text)
        label.setWordWrap(True)
        layout.addWidget(label, 1)
        if item.status in ("open", "paused") and self.editable and not self.closed:
            button = QPushButton(_("Done…"))
            button.clicked.connect(
                lambda _c=False, i=item: self.record_step(i.code, i.title, None, i.advice))
            self.checklist_buttons[item.code] = button
            layout.addWidget(button, 0, Qt.AlignmentFlag.AlignTop)
        return row

    def _fill_agreements(self) -> None:
        rows = self.agreement_lines
        self.agreements.setRowCount(len(rows))
        for r, agreement in enumerate(rows):
            due = agreement.evaluate_on
            outcome = agreement.outcome
            if agreement.done_on:
                outcome = _("done {date}: {outcome}").format(
                    date=format_date(agreement.done_on), outcome=agreement.outcome or "—")
            values = (agreement.description, agreement.owner_name,
                      format_date(due) if due else "", outcome)
            for c, text in enumerate(values):
                item = QTableWidgetItem(text)
                item.setData(Qt.ItemDataRole.UserRole, (agreement.id, agreement.version))
                if c == 2 and due and not agreement.done_on and due <= self.today:
                    item.setForeground(Qt.GlobalColor.red)
                    item.setToolTip(_("Due: evaluate this agreement"))
                self.agreements.setItem(r, c, item)
        self.agreements.resizeRowsToContents()
        due = sum(1 for a in rows if not a.done_on and a.evaluate_on and
                  a.evaluate_on <= self.today)
        self.tabs.setTabText(3, _("Agreements ({n} due)").format(n=due) if due
                             else _("Agreements"))

    def _timeline_count(self) -> None:
        total = self.timeline_model.total()
        self.timeline_count.setText(ngettext("{n} entry", "{n} entries", total).format(
            n=format_number(total)))

    # -- timeline ----------------------------------------------------------------------
    def filter_timeline(self) -> None:
        self.timeline_model.set_filter(self.kind_filter.currentData() or (),
                                       self.timeline_search.text())
        self._timeline_count()
        self.entry.clear()

    def show_entry(self, row: int) -> None:
        entry = self.timeline_model.row(row)
        if entry is None:
            self.entry.clear()
            return
        parts = [f"<h3 style='margin:0'>{_html(entry.title)}</h3>",
                 f"<p style='color:#555'>{format_date(entry.occurred_on, 'long')} · "
                 f"{kind_label(entry.kind)}"
                 + (f" · {_html(entry.student_name)}" if entry.student_name else "")
                 + "</p>"]
        if entry.body:
            parts.append(f"<p>{_html(entry.body).replace(chr(10), '<br>')}</p>")
        parts += self._entry_data(entry.data)
        self.entry.setHtml("".join(parts))

    @staticmethod
    def _entry_data(data: str) -> list[str]:
        try:
            payload = json.loads(data) if data else {}
        except ValueError:
            return []
        parts = []
        for answer in payload.get("answers", []) if isinstance(payload, dict) else []:
            parts.append(f"<p><b>{_html(answer.get('question', ''))}</b><br>"
                         f"{_html(answer.get('answer', ''))}</p>")
        if isinstance(payload, dict) and payload.get("others"):
            others = _("Also present: {others}").format(others=_html(payload["others"]))
            parts.append(f"<p>{others}</p>")
        return parts

    # -- actions -----------------------------------------------------------------------
    def _after(self, dialog) -> bool:
        """Run a dialog that saves; reload when it (or a conflict reload) changed things.

        The reload waits until the dialog is closed: rebuilding the ladder inside the
        dialog's event loop would delete the button whose click opened it."""
        changed: list[bool] = []
        if hasattr(dialog, "changed"):
            dialog.changed.connect(lambda: changed.append(True))
        self._dialogs_open += 1
        try:
            accepted = bool(dialog.exec())
        finally:
            self._dialogs_open -= 1
        if (changed or accepted) and not self._pending:
            self._pending |= ops.CASE_PARTS  # a dialog that did not say what it changed
        self._refresh_pending()
        return accepted

    def do_step(self, step_code: str, stage_code: str, student_id: int | None) -> None:
        """Open the right form for a protocol step: conversation, letter or record."""
        stage = self.protocol.stage(stage_code)
        step = stage.step(step_code) if stage else None
        if step is None:
            return
        pester = student_id if step.scope == "pester" else None
        if is_conversation_step(step):
            self.log_conversation(
                with_whom=with_whom_for_step(step, self.protocol),
                step_codes=(step.code,), pester_id=pester, guide_code=step.guide or None)
        elif step.letter and self.compose_letter(step.code, stage.code, pester):
            return
        else:
            self.record_step(step.code, step.title, pester, step.description)

    def record_step(self, step_code: str, title: str, student_id: int | None,
                    advice: str = "") -> None:
        name = self._name(student_id)
        self._after(dialogs.RecordStepDialog(self.actor, self.case_id, step_code, title,
                                             student_id, name, advice, self))

    def compose_letter(self, step_code: str, stage_code: str, student_id: int | None) -> bool:
        """Compose the step's letter with the letters screen, then record the step done.

        False when the letter dialog is not available (the step is then recorded by hand)."""
        try:
            from pestdesk.gui.letters.dialogs import ComposeDialog
        except ImportError:
            return False
        issued: list = []
        # a step may produce several letters (the victim's parents' and the bully's parents'
        # version): one compose dialog for each, then the step is done once
        for template in (letter_service.letters_for_step(self.case_id, step_code, stage_code)
                         or [""]):
            dialog = ComposeDialog(self.actor, self, case_id=self.case_id)
            combo = getattr(dialog, "step_combo", None)
            if combo is not None:
                # the items hold Python tuples, which findData compares by identity
                index = next((i for i in range(combo.count())
                              if (combo.itemData(i) or ())[:2] == (stage_code, step_code)
                              and (not template or combo.itemData(i)[2] == template)), -1)
                if index >= 0:
                    combo.setCurrentIndex(index)
            dialog.issued.connect(issued.extend)
            self._after(dialog)
        if issued:
            ops.run(self, partial(cases.record_step, self.actor, self.case_id, step_code,
                                  student_id=student_id, note=_("Letter sent")),
                    changes=ops.Changes.case(self.case_id), title=_("Record step"))
        return True

    def log_conversation(self, with_whom: str = "victim", step_codes: tuple[str, ...] = (),
                         pester_id: int | None = None, guide_code: str | None = None) -> None:
        if self.detail.is_signal or self.closed or not self.editable:
            return
        dialog = ConversationDialog(self.actor, self.case_id, self, with_whom=with_whom,
                                    step_codes=step_codes, pester_id=pester_id,
                                    guide_code=guide_code, detail=self.detail,
                                    assessment=self.assessment, protocol=self.protocol)
        self._after(dialog)

    def open_measure(self, name: str) -> None:
        """Maatregelen: contract, suspension, expulsion, inspectorate notification."""
        from pestdesk.gui.case import contracts as contract_dialogs
        from pestdesk.gui.case import sanctions as sanction_dialogs

        cls = getattr(contract_dialogs, name, None) or getattr(sanction_dialogs, name)
        dialog = cls(self.actor, self.case_id, None, self)
        self._after(dialog)

    def add_note(self) -> None:
        self._after(dialogs.NoteDialog(self.actor, self.case_id, self))

    def move_pester(self, student_id: int, up: bool) -> None:
        pester = self.assessment.pester(student_id)
        name = self._name(student_id)
        dialog = dialogs.LadderMoveDialog(self.actor, self.case_id, self.protocol, student_id,
                                          name, pester.stage_code, up, self,
                                          proposed_stage=pester.proposed_stage_code)
        self._after(dialog)

    def close_or_reopen(self) -> None:
        dialog = dialogs.CloseCaseDialog(self.actor, self.case_id, self.detail.version,
                                         reopen=self.closed, parent=self)
        self._after(dialog)

    def edit_details(self) -> None:
        """Gegevens wijzigen: the report's fields (read-only when the user may not edit)."""
        from pestdesk.gui.case.edit_dialog import edit_details

        dialog = edit_details(self.actor, self.case_id, self)
        if dialog is not None:
            self._after(dialog)

    def promote(self) -> None:
        ops.Op(self, partial(cases.promote_signal, self.actor, self.case_id,
                             self.detail.version, None),
               changes=ops.Changes.case(self.case_id)).titled(_("Make it a case")).on_conflict(
            lambda _exc, _choice: self.reload()).run()

    def _selected_involvement(self) -> cases.InvolvedStudent | None:
        row = self.students.currentRow()
        if row < 0:
            return None
        return self.detail.involvement(self.students.item(row, 0).data(Qt.ItemDataRole.UserRole))

    def add_student(self) -> None:
        exclude = {i.student_id for i in self.detail.involvements}
        self._after(dialogs.InvolvementDialog(self.actor, self.case_id, self, exclude=exclude))

    def change_role(self) -> None:
        inv = self._selected_involvement()
        if inv is not None and self.editable and not self.closed:
            self._after(dialogs.InvolvementDialog(self.actor, self.case_id, self,
                                                  involvement=inv))

    def remove_student(self) -> None:
        inv = self._selected_involvement()
        if inv is None:
            return
        answer = QMessageBox.question(self, _("Remove"), _(
            "Take {name} out of this case?").format(name=inv.name))
        if answer != QMessageBox.StandardButton.Yes:
            return
        ops.Op(self, partial(cases.remove_involvement, self.actor, inv.id, inv.version),
               changes=ops.Changes.case(self.case_id, ops.CASE, ops.STUDENTS, ops.LADDER,
                                        ops.TIMELINE)).titled(_("Remove")).on_conflict(
            lambda _exc, _choice: self.reload()).run()

    def add_agreement(self) -> None:
        self._after(dialogs.AgreementDialog(self.actor, self.case_id, self))

    def evaluate_agreement(self) -> None:
        row = self.agreements.currentRow()
        if row < 0 or not self.editable:
            return
        agreement_id, version = self.agreements.item(row, 0).data(Qt.ItemDataRole.UserRole)
        agreement = next((a for a in self.agreement_lines if a.id == agreement_id), None)
        if agreement is None or agreement.done_on:  # as read: a save checks the version
            return
        self._after(dialogs.CompleteAgreementDialog(self.actor, agreement_id, version,
                                                    agreement.description, self, self.case_id))

    def open_link(self, link: str) -> None:
        if link.startswith("case:"):
            self.open_case.emit(int(link.split(":", 1)[1]))


class EvidenceTab(QWidget):
    """Evidence files (stored in the database) and descriptions; drop files to add them."""

    def __init__(self, view: CaseView) -> None:
        super().__init__()
        self.view = view
        self.setAcceptDrops(True)
        layout = QVBoxLayout(self)
        hint = QLabel(_("Drop files here, or use 'Add file'. Files are stored in the database "
                        "with date, who and a SHA-256 fingerprint."))
        hint.setWordWrap(True)
        hint.setStyleSheet(f"color: {GREY};")
        layout.addWidget(hint)
        self.table = QTableWidget(0, 4)
        self.table.setHorizontalHeaderLabels([_("File"), _("Description"), _("Added"),
                                              _("By")])
        self.table.verticalHeader().hide()
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.horizontalHeader().setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        self.table.doubleClicked.connect(lambda _i: self.view_selected())
        layout.addWidget(self.table, 1)
        row = QHBoxLayout()
        self.add_button = QPushButton(_("Add &file…"))
        self.add_button.clicked.connect(self.add_file)
        self.describe_button = QPushButton(_("&Describe evidence…"))
        self.describe_button.clicked.connect(self.describe)
        self.view_button = QPushButton(_("&View"))
        self.view_button.clicked.connect(self.view_selected)
        for button in (self.add_button, self.describe_button, self.view_button):
            row.addWidget(button)
        row.addStretch(1)
        layout.addLayout(row)
        self.attachments: tuple[cases.EvidenceFile, ...] = ()

    def fill(self, attachments: tuple[cases.EvidenceFile, ...]) -> None:
        self.attachments = attachments
        self.table.setRowCount(len(attachments))
        for r, a in enumerate(attachments):
            values = (a.filename, a.description,
                      dialogs.added_on_text(a.added_at), a.added_by_name)
            for c, text in enumerate(values):
                item = QTableWidgetItem(text)
                item.setToolTip(f"SHA-256 {a.sha256}")
                self.table.setItem(r, c, item)

    def set_enabled(self, on: bool) -> None:
        self.add_button.setEnabled(on)
        self.describe_button.setEnabled(on)
        self.setAcceptDrops(on)

    def add_file(self) -> None:
        self.view._after(dialogs.AttachmentDialog(self.view.actor, self.view.case_id, self))

    def describe(self) -> None:
        self.view._after(dialogs.EvidenceNoteDialog(self.view.actor, self.view.case_id, self))

    def add_paths(self, paths: list[Path]) -> int:
        return dialogs.add_files(self, self.view.actor, self.view.case_id, paths,
                                 done=self.view.reload)

    def view_selected(self) -> None:
        row = self.table.currentRow()
        if 0 <= row < len(self.attachments):
            a = self.attachments[row]
            viewer = dialogs.AttachmentViewer(self.view.actor, a,
                                              a.added_by_name, self)
            viewer.exec()

    def dragEnterEvent(self, event) -> None:  # noqa: N802
        if event.mimeData().hasUrls():
            event.acceptProposedAction()

    def dropEvent(self, event) -> None:  # noqa: N802
        paths = [Path(u.toLocalFile()) for u in event.mimeData().urls() if u.isLocalFile()]
        if paths:
            event.acceptProposedAction()
            self.add_paths(paths)


class CaseWindow(QWidget):
    """A case in its own window; Esc closes it. ``closed(case_id)``."""

    closed = Signal(int)

    def __init__(self, actor: Actor, case_id: int, parent: QWidget | None = None) -> None:
        super().__init__(parent, Qt.WindowType.Window)
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.case_id = case_id
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.view = CaseView(actor, case_id, self)
        layout.addWidget(self.view)
        self.setWindowTitle(f"{self.view.number.text()} — pestdesk")
        QShortcut(QKeySequence(Qt.Key.Key_Escape), self, activated=self.close)
        QShortcut(QKeySequence.StandardKey.Close, self, activated=self.close)  # Ctrl+W
        QShortcut(QKeySequence.StandardKey.Refresh, self, activated=self.view.reload)
        self.resize(1280, 800)

    def keyPressEvent(self, event) -> None:  # noqa: N802
        # Esc or Ctrl+W that no child used (a shortcut can be taken by a focused list or
        # popup): the window still closes
        if event.key() == Qt.Key.Key_Escape or event.matches(QKeySequence.StandardKey.Close):
            self.close()
            return
        super().keyPressEvent(event)

    def closeEvent(self, event) -> None:  # noqa: N802
        self.closed.emit(self.case_id)
        super().closeEvent(event)
