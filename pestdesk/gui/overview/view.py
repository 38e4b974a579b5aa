"""Overzicht: what needs doing today for the signed-in user, each line opening its case or
meeting. The lists come from ``services.overview`` (short SQL queries with COUNTs)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from pestdesk import clock
from pestdesk.gui.common import ops
from pestdesk.gui.common.colors import RED, RED_BACKGROUND
from pestdesk.i18n import _, format_date, format_datetime, format_number
from pestdesk.services import overview
from pestdesk.services.base import Actor

KIND_ROLE = Qt.ItemDataRole.UserRole + 1
ID_ROLE = Qt.ItemDataRole.UserRole + 2
LATE = QColor(RED)

STYLE = f"""
#overviewCard {{ background: #ffffff; border: 1px solid #dde2e8; border-radius: 8px; }}
#overviewCard QLabel#cardTitle {{ font-weight: 600; color: #12355b; font-size: 10.5pt; }}
#overviewCard QLabel#cardCount {{ background: #e8eef7; color: #12355b; border-radius: 9px;
    padding: 1px 8px; font-weight: 600; }}
#overviewCard QLabel#cardCount[urgent="true"] {{ background: {RED_BACKGROUND}; color: {RED}; }}
#overviewCard QLabel#cardScope {{ color: #5b6270; border: 1px solid #c9ced6; border-radius: 8px;
    padding: 0px 6px; font-size: 8.5pt; }}
#overviewCard QListWidget {{ border: none; background: transparent; }}
#overviewCard QListWidget::item {{ padding: 3px 2px; }}
#overviewCard QListWidget::item:hover {{ background: #eef3fa; }}
#monitorBanner {{ background: #eef6ee; color: #1e5128; border: 1px solid #b7d7b9;
    border-radius: 6px; padding: 8px 12px; }}
"""


class _Card(QFrame):
    """A titled list with a count badge and a tag saying whose items it counts."""

    def __init__(self, section: overview.Section, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("overviewCard")
        key, title = section.key, section.title
        self.key = key
        self.section = section
        self.urgent = section.urgent
        layout = QVBoxLayout(self)
        layout.setContentsMargins(12, 10, 12, 8)
        head = QHBoxLayout()
        self.title = QLabel(title)
        self.title.setObjectName("cardTitle")
        self.title.setWordWrap(True)  # a long Dutch title must not widen the column
        self.badge = QLabel("0")
        self.badge.setObjectName("cardCount")
        self.scope = QLabel(section.scope_label())
        self.scope.setObjectName("cardScope")
        self.scope.setToolTip(section.scope_help())
        self.badge.setToolTip(section.scope_help())
        head.addWidget(self.title, 1)
        head.addWidget(self.scope, 0, Qt.AlignmentFlag.AlignTop)
        head.addWidget(self.badge, 0, Qt.AlignmentFlag.AlignTop)
        layout.addLayout(head)
        self.list = QListWidget()
        self.list.setObjectName(f"overview_{key}")
        self.list.setMinimumHeight(185)  # the eight lines and "… and n more"
        self.list.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAsNeeded)
        # a long line wraps (never a horizontal scroll bar that would hide the last line,
        # and no "…" that cuts lines that start alike at the same place)
        self.list.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.list.setWordWrap(True)
        self.list.setTextElideMode(Qt.TextElideMode.ElideNone)
        layout.addWidget(self.list, 1)
        self.count = 0

    def set_count(self, count: int) -> None:
        self.count = count
        self.badge.setText(format_number(count))
        self.badge.setProperty("urgent", "true" if self.urgent and count else "false")
        self.badge.style().unpolish(self.badge)
        self.badge.style().polish(self.badge)


class OverviewView(QWidget):
    open_case = Signal(int)
    open_meeting = Signal(int)

    def __init__(self, actor: Actor, parent: QWidget | None = None,
                 today: Callable[[], dt.date] = clock.today):
        super().__init__(parent)
        self.actor = actor
        self._today = today
        self.setStyleSheet(STYLE)
        # new reports are those since the previous visit; this visit is remembered at once
        self.since = overview.last_visit(actor)
        overview.record_visit(actor)
        outer = QVBoxLayout(self)
        self.title = QLabel()
        self.title.setObjectName("sectionTitle")
        outer.addWidget(self.title)
        self.banner = QLabel()
        self.banner.setObjectName("monitorBanner")
        self.banner.setWordWrap(True)
        outer.addWidget(self.banner)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        body = QWidget()
        self.grid = QGridLayout(body)
        self.grid.setSpacing(12)
        self.grid.setContentsMargins(0, 0, 8, 0)
        scroll.setWidget(body)
        outer.addWidget(scroll, 1)
        self.cards: dict[str, _Card] = {}
        for i, section in enumerate(overview.sections(actor, self.since)):
            card = _Card(section)
            key = section.key
            card.list.itemActivated.connect(self._activated)
            card.list.itemDoubleClicked.connect(self._activated)
            self.grid.addWidget(card, i // 2, i % 2)
            self.cards[key] = card
        for column in (0, 1):
            self.grid.setColumnStretch(column, 1)
        self.refresh()

    @property
    def boxes(self) -> dict[str, tuple[_Card, QListWidget]]:
        """Each section's card and list (kept for callers and tests)."""
        return {key: (card, card.list) for key, card in self.cards.items()}

    def refresh(self) -> None:
        """Read every list off the GUI thread (the due steps ask the protocol's engine per
        line: a few hundred milliseconds on a big school), then show them."""
        today = self._today()
        actor = self.actor
        since = self.since or (today - dt.timedelta(days=7))
        now = clock.utcnow() + (today - clock.today())

        def read() -> dict:
            return {
                "reminder": overview.safety_monitor_reminder(actor, today),
                "overdue": overview.overdue_cases(actor, today),
                "soon": overview.due_soon(actor, today),
                "followups": overview.followups_due(actor, today),
                "contracts": overview.contract_evaluations(actor, today),
                "suspensions": overview.suspensions_current(actor, today),
                # only for who oversees the school: their task
                "inspectie": overview.inspectie_open(actor) if "inspectie" in self.cards
                else (0, []),
                "new": overview.new_reports(actor, since),
                "relapses": overview.relapses_open(actor),
                "meetings": overview.upcoming_meetings(actor, now),
            }

        op = ops.Op(self, read, label=_("Loading the overview…")).titled(_("Overview"))
        if not op.run():
            return
        data = op.result
        self.title.setText(_("Overview for {date}").format(date=format_date(today, "full")))
        self.banner.setText(data["reminder"])
        self.banner.setVisible(bool(data["reminder"]))
        late = {"overdue", "followups", "contracts", "inspectie"}
        for key in self.cards:
            self._fill(key, *data[key], late_before=today if key in late else None)

    def counts(self) -> dict[str, int]:
        return {key: card.count for key, card in self.cards.items()}

    def urgent_count(self) -> int:
        """What the navigation shows: overdue work and open legal notifications."""
        return sum(self.cards[key].count for key in ("overdue", "inspectie")
                   if key in self.cards)

    def urgent_help(self) -> str:
        """What the navigation's number counts, in words (its tooltip)."""
        parts = [_("{n} overdue actions ({scope})").format(
            n=format_number(self.cards["overdue"].count),
            scope=self.cards["overdue"].section.scope_label())]
        if "inspectie" in self.cards:
            parts.append(_("{n} notifications to the inspectorate still to make (school)")
                         .format(n=format_number(self.cards["inspectie"].count)))
        return _("Overview: {parts}").format(parts=", ".join(parts))

    def case_ids(self, key: str) -> list[int]:
        """The case ids the lines of one section open (in order)."""
        lst = self.cards[key].list
        return [lst.item(i).data(ID_ROLE) for i in range(lst.count())
                if lst.item(i).data(KIND_ROLE) == "case"]

    def _fill(self, key: str, count: int, lines: list[overview.OverviewLine],
              late_before: dt.date | None = None) -> None:
        card = self.cards[key]
        card.set_count(count)
        lst = card.list
        lst.clear()
        if not lines:
            item = QListWidgetItem(_("Nothing here."))
            item.setFlags(Qt.ItemFlag.NoItemFlags)
            lst.addItem(item)
        for line in lines:
            item = QListWidgetItem(f"{_stamp(line.when)}   {line.text}")
            item.setData(KIND_ROLE, line.kind)
            item.setData(ID_ROLE, line.record_id)
            item.setToolTip(line.text + "\n" + _("Double-click or press Enter to open"))
            when = line.when.date() if isinstance(line.when, dt.datetime) else line.when
            if late_before is not None and when is not None and when < late_before:
                item.setForeground(QBrush(LATE))
            lst.addItem(item)
        if count > len(lines):
            more = QListWidgetItem(_("… and {n} more").format(n=format_number(count - len(lines))))
            more.setFlags(Qt.ItemFlag.NoItemFlags)
            lst.addItem(more)

    def _activated(self, item: QListWidgetItem) -> None:
        kind, record = item.data(KIND_ROLE), item.data(ID_ROLE)
        if kind == "case":
            self.open_case.emit(record)
        elif kind == "meeting":
            self.open_meeting.emit(record)


def _stamp(when: dt.date | dt.datetime | None) -> str:
    if isinstance(when, dt.datetime):
        return format_datetime(when, "short")
    return format_date(when, "d MMM yyyy") if when else ""
