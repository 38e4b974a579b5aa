"""Audit: the trail of who did what to which record, for the beheerder and the directie.

A ``ListPanel`` over ``services.auditlog.AuditList`` (paged SQL, never the whole table) with
filters for user, action, table and a date range. Times are stored in UTC and shown in
local time. The section only appears in the navigation for those roles, and the query
returns nothing for anyone else.
"""

from __future__ import annotations

import datetime as dt

from PySide6.QtCore import QDate
from PySide6.QtWidgets import QComboBox, QDateEdit, QLabel, QWidget

from pestdesk import clock
from pestdesk.gui.common.list_panel import ListPanel
from pestdesk.i18n import _, format_datetime, ngettext
from pestdesk.services import auditlog, users
from pestdesk.services.base import Actor

DEFAULT_DAYS = 30


def _when(value: object) -> str:
    if isinstance(value, dt.datetime):
        return format_datetime(value, "short")  # stored UTC, shown local
    return str(value or "")


def _action(value: object) -> str:
    code = str(value or "")
    return _(auditlog.ACTION_LABELS[code]) if code in auditlog.ACTION_LABELS else code


def _to_date(qdate: QDate) -> dt.date:
    return dt.date(qdate.year(), qdate.month(), qdate.day())


class AuditView(ListPanel):
    def __init__(self, actor: Actor, parent: QWidget | None = None):
        today = clock.today()
        query = auditlog.AuditList(actor=actor, order_key="at", descending=True, filters={
            "date_from": today - dt.timedelta(days=DEFAULT_DAYS), "date_to": today})
        super().__init__(_("Audit trail"), query,
                         lambda n: ngettext("{n} entry", "{n} entries", n),
                         formatters={"at": _when, "action": _action,
                                     "table": auditlog.table_label,
                                     "detail": auditlog.detail_text}, parent=parent)
        self.actor = actor
        self.search.setPlaceholderText(_("Search in action, table or detail…"))
        self.user = QComboBox()
        self.user.addItem(_("All users"), None)
        for user_id, username in users.usernames(actor):
            self.user.addItem(username, user_id)
        self.user.currentIndexChanged.connect(
            lambda _i: self.set_filters(user_id=self.user.currentData()))
        self.action = QComboBox()
        self.action.addItem(_("All actions"), "")
        for code in auditlog.actions(actor):
            self.action.addItem(_action(code), code)
        self.action.currentIndexChanged.connect(
            lambda _i: self.set_filters(action=self.action.currentData()))
        self.table_filter = QComboBox()
        self.table_filter.addItem(_("All tables"), "")
        for name in auditlog.tables(actor):
            self.table_filter.addItem(auditlog.table_label(name), name)
        self.table_filter.currentIndexChanged.connect(
            lambda _i: self.set_filters(table=self.table_filter.currentData()))
        self.date_from = self._date_edit(today - dt.timedelta(days=DEFAULT_DAYS))
        self.date_to = self._date_edit(today)
        for widget in (self.user, self.action, self.table_filter, QLabel(_("from")),
                       self.date_from, QLabel(_("to")), self.date_to):
            self.add_filter(widget)
        self.finish_filters()
        self.size_columns([140, 110, 150, 120, 70, 200])

    def _date_edit(self, day: dt.date) -> QDateEdit:
        edit = QDateEdit(QDate(day.year, day.month, day.day))
        edit.setCalendarPopup(True)
        edit.setDisplayFormat("dd-MM-yyyy")
        edit.dateChanged.connect(self._dates_changed)
        return edit

    def _dates_changed(self, _date=None) -> None:
        self.set_filters(date_from=_to_date(self.date_from.date()),
                         date_to=_to_date(self.date_to.date()))
