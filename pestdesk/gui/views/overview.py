"""Overzicht: what needs doing today, each line opening its case or meeting."""

from __future__ import annotations

import datetime as dt

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QGridLayout,
    QGroupBox,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from ...i18n import _, format_date, format_datetime
from ...services import overview
from ...services.base import Actor

KIND_ROLE = Qt.ItemDataRole.UserRole + 1
ID_ROLE = Qt.ItemDataRole.UserRole + 2


class OverviewView(QWidget):
    open_case = Signal(int)
    open_meeting = Signal(int)

    def __init__(self, actor: Actor, parent: QWidget | None = None):
        super().__init__(parent)
        self.actor = actor
        outer = QVBoxLayout(self)
        self.title = QLabel()
        self.title.setObjectName("sectionTitle")
        outer.addWidget(self.title)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        body = QWidget()
        self.grid = QGridLayout(body)
        self.grid.setSpacing(12)
        scroll.setWidget(body)
        outer.addWidget(scroll, 1)
        self.boxes: dict[str, tuple[QGroupBox, QListWidget]] = {}
        sections = [
            ("overdue", _("Overdue actions")),
            ("soon", _("Due in the coming week")),
            ("inspectie", _("Notifications to the inspectorate still to make")),
            ("meetings", _("Next care-team meetings")),
            ("new", _("New reports (last 7 days)")),
        ]
        for i, (key, title) in enumerate(sections):
            box = QGroupBox(title)
            lay = QVBoxLayout(box)
            lst = QListWidget()
            lst.setObjectName(f"overview_{key}")
            lst.itemActivated.connect(self._activated)
            lst.itemDoubleClicked.connect(self._activated)
            lay.addWidget(lst)
            self.grid.addWidget(box, i // 2, i % 2)
            self.boxes[key] = (box, lst)
        self.refresh()

    def refresh(self) -> None:
        today = dt.date.today()
        self.title.setText(_("Overview for {date}").format(date=format_date(today, "full")))
        self._fill("overdue", *overview.overdue_cases(self.actor, today))
        self._fill("soon", *overview.due_soon(self.actor, today))
        self._fill("inspectie", *overview.inspectie_open(self.actor))
        self._fill("meetings", *overview.upcoming_meetings(self.actor, dt.datetime.now()))
        self._fill("new", *overview.new_reports(self.actor, today - dt.timedelta(days=7)))

    def counts(self) -> dict[str, int]:
        return {key: box.property("count") or 0 for key, (box, _l) in self.boxes.items()}

    def _fill(self, key: str, count: int, lines) -> None:
        box, lst = self.boxes[key]
        box.setProperty("count", count)
        base = box.title().split(" (")[0] if key != "new" else box.title()
        box.setTitle(base if key == "new" else f"{base} ({count})")
        lst.clear()
        if not lines:
            item = QListWidgetItem(_("Nothing here."))
            item.setFlags(Qt.ItemFlag.NoItemFlags)
            lst.addItem(item)
        for line in lines:
            when = line.when
            stamp = (format_datetime(when, "short") if isinstance(when, dt.datetime)
                     else format_date(when, "medium"))
            item = QListWidgetItem(f"{stamp}   {line.text}")
            item.setData(KIND_ROLE, line.kind)
            item.setData(ID_ROLE, line.record_id)
            lst.addItem(item)
        if count > len(lines):
            more = QListWidgetItem(_("… and {n} more").format(n=count - len(lines)))
            more.setFlags(Qt.ItemFlag.NoItemFlags)
            lst.addItem(more)

    def _activated(self, item: QListWidgetItem) -> None:
        kind, record = item.data(KIND_ROLE), item.data(ID_ROLE)
        if kind == "case":
            self.open_case.emit(record)
        elif kind == "meeting":
            self.open_meeting.emit(record)
