"""List sections built on ``ListPanel``: Meldingen (``CasesView``) and the meeting list
(``MeetingsView``) that the Overleggen section (``gui.meetings.view``) embeds."""

from __future__ import annotations

from PySide6.QtWidgets import QCheckBox, QComboBox, QWidget

from pestdesk.domain.protocol import UnknownProtocol, get_protocol
from pestdesk.domain.taxonomy import FORMS
from pestdesk.gui.common.labels import stage_label, status_label
from pestdesk.gui.common.list_panel import ListPanel, compact_combo
from pestdesk.i18n import _, ngettext
from pestdesk.services import lists, settings, staff
from pestdesk.services.base import Actor


class CasesView(ListPanel):
    """Meldingen: filter by status, stage (the school's protocol), class, form, cyber, mine,
    overdue and text -- all in SQL (``lists.CaseList``)."""

    def __init__(self, actor: Actor, parent: QWidget | None = None):
        query = lists.CaseList(order_key="reported_on", descending=True,
                               filters={"status": "open"}, actor=actor)
        super().__init__(_("Reports and cases"), query,
                         lambda n: ngettext("{n} case", "{n} cases", n),
                         formatters={"stage": stage_label, "status": status_label},
                         parent=parent)
        self.actor = actor
        self.search.setPlaceholderText(_("Search by case number, summary or student…"))
        self.search.setMinimumWidth(200)
        self.status = self._combo(((_("Open"), "open"), (_("Closed"), "closed"),
                                   (_("All"), "")), "status", chars=6)
        self.stage = self._combo([(_("All stages"), "")] + self._stages(), "stage")
        self.klass = self._combo([(_("All classes"), None)] + self._classes(), "class_id",
                                 chars=10)
        self.form = self._combo([(_("All forms"), "")]
                                + [(_(label), code) for code, label in FORMS.items()], "form")
        self.cyber = QCheckBox(_("Cyberbullying"))
        self.cyber.toggled.connect(lambda on: self.set_filters(cyber=on))
        self.add_filter(self.cyber)
        self.mine = QCheckBox(_("Mine"))
        self.mine.setToolTip(_("Cases I own"))
        self.mine.setVisible(actor.staff_id is not None)
        self.mine.toggled.connect(
            lambda on: self.set_filters(owner=actor.staff_id if on else None))
        self.add_filter(self.mine)
        self.overdue = QCheckBox(_("Overdue"))
        self.overdue.toggled.connect(lambda on: self.set_filters(overdue=on))
        self.add_filter(self.overdue)
        self.finish_filters()
        self.size_columns([110, 90, 260, 170, 60, 170, 80, 110, 50])

    def _combo(self, items, key: str, chars: int = 12) -> QComboBox:
        combo = QComboBox()
        for label, value in items:
            combo.addItem(label, value)
        compact_combo(combo, chars)
        combo.currentIndexChanged.connect(
            lambda _i: self.set_filters(**{key: combo.currentData()}))
        self.add_filter(combo)
        return combo

    @staticmethod
    def _stages() -> list[tuple[str, str]]:
        code = settings.school_profile().protocol_code or "doultremont"
        try:
            protocol = get_protocol(code)
        except UnknownProtocol:
            return []
        return [(stage.title, stage.code) for stage in protocol.stages]

    @staticmethod
    def _classes() -> list[tuple[str, int]]:
        return staff.class_choices()


class MeetingsView(ListPanel):
    def __init__(self, actor: Actor, parent: QWidget | None = None):
        super().__init__(_("Care-team meetings"),
                         lists.MeetingList(order_key="starts_at", descending=True, actor=actor),
                         lambda n: ngettext("{n} meeting", "{n} meetings", n),
                         formatters={"status": status_label},
                         parent=parent)
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
        self.size_columns([150, 80, 200, 200, 100, 90])
