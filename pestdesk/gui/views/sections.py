"""The list sections: Leerlingen, Meldingen, Overleggen, Brieven."""

from __future__ import annotations

from PySide6.QtWidgets import QCheckBox, QComboBox, QWidget

from ...i18n import _
from ...services import lists
from ...services.base import Actor
from ..labels import stage_label, status_label
from .common import ListPanel


class CasesView(ListPanel):
    def __init__(self, actor: Actor, parent: QWidget | None = None):
        query = lists.CaseList(order_key="reported_on", descending=True,
                               filters={"status": "open"}, actor=actor)
        super().__init__(_("Reports and cases"), query, _("{n} cases"),
                         formatters={"stage": stage_label, "status": status_label},
                         parent=parent)
        self.search.setPlaceholderText(_("Search by case number, summary or student…"))
        self.status = QComboBox()
        for label, value in ((_("Open"), "open"), (_("Closed"), "closed"), (_("All"), "")):
            self.status.addItem(label, value)
        self.status.currentIndexChanged.connect(
            lambda _i: self.set_filters(status=self.status.currentData()))
        self.add_filter(self.status)
        self.cyber = QCheckBox(_("Cyberbullying"))
        self.cyber.toggled.connect(lambda on: self.set_filters(cyber=on))
        self.add_filter(self.cyber)
        self.overdue = QCheckBox(_("Overdue"))
        self.overdue.toggled.connect(lambda on: self.set_filters(overdue=on))
        self.add_filter(self.overdue)
        self.finish_filters()
        self.size_columns([110, 90, 260, 170, 60, 170, 80, 110, 50])


class MeetingsView(ListPanel):
    def __init__(self, actor: Actor, parent: QWidget | None = None):
        super().__init__(_("Care-team meetings"),
                         lists.MeetingList(order_key="starts_at", descending=True, actor=actor),
                         _("{n} meetings"), parent=parent)
        self.search.hide()
        self.upcoming = QCheckBox(_("Upcoming only"))
        self.upcoming.toggled.connect(lambda on: self.set_filters(upcoming=on))
        self.add_filter(self.upcoming)
        self.kind = QComboBox()
        for label, value in ((_("All meetings"), ""), ("IZO", "IZO"), ("OT", "OT"),
                             ("ACT", "ACT")):
            self.kind.addItem(label, value)
        self.kind.currentIndexChanged.connect(
            lambda _i: self.set_filters(kind=self.kind.currentData()))
        self.add_filter(self.kind)
        self.finish_filters()
        self.size_columns([150, 80, 200, 200, 100])


class LettersView(ListPanel):
    def __init__(self, actor: Actor, parent: QWidget | None = None):
        super().__init__(_("Letters"), lists.LetterList(order_key="created_at", descending=True,
                                                        actor=actor),
                         _("{n} letters"), parent=parent)
        self.search.hide()
        self.finish_filters()
        self.size_columns([150, 120, 260, 200])

