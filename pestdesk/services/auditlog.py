"""Reading the audit trail: who did what to which record, when, searchable for the beheerder
and the directie.

The trail itself is written by ``services.base.audit`` (append-only, hash-chained, checked
by ``pestdesk check``); it holds user ids, action codes, table names and record ids, no
personal data. Times are stored in UTC; the date filters here take local calendar days.
"""

from __future__ import annotations

import datetime as dt

from peewee import JOIN

from .. import clock
from ..i18n import N_
from ..store.models import AuditLog, User
from . import access
from .base import Actor
from .lists import Column, ListQuery

ACTION_LABELS: dict[str, str] = {
    "create": N_("created"),
    "update": N_("changed"),
    "delete": N_("deleted"),
    "view": N_("viewed"),
    "print": N_("printed"),
    "export": N_("exported"),
    "import": N_("imported"),
    "login": N_("signed in"),
    "login_failed": N_("wrong password"),
    "unlock": N_("unlocked"),
    "unlock_failed": N_("wrong password at unlock"),
    "lock": N_("locked"),
    "logout": N_("signed out"),
    "password_check": N_("password checked"),
    "password_check_failed": N_("wrong current password"),
    "password_change": N_("changed own password"),
    "password_reset": N_("password reset"),
    "password_set": N_("password set by a beheerder"),
    "login_refused": N_("sign-in refused"),
    "setting": N_("setting changed"),
    "demo": N_("demo school created"),
    "restore": N_("restored from a backup"),
    "encrypt": N_("database encrypted"),
}


def local_day_start_utc(day: dt.date) -> dt.datetime:
    """Midnight at the start of a local calendar day, as naive UTC (how times are stored)."""
    local = dt.datetime.combine(day, dt.time()).astimezone()
    return local.astimezone(dt.UTC).replace(tzinfo=None)


def utc_to_local(value: dt.datetime) -> dt.datetime:
    """A stored (naive UTC) time as naive local time, for display."""
    return clock.to_local(value)


class AuditList(ListQuery):
    """The trail, newest first by default; filters: ``user_id``, ``action``, ``table``,
    ``record_id``, ``date_from``/``date_to`` (local dates, inclusive) and ``text`` (action,
    table or detail). Only the beheerder and the directie get rows."""

    columns = (
        Column("at", N_("When")),  # stored in UTC: the view shows local time
        Column("user", N_("User")),
        Column("action", N_("Action")),
        Column("table", N_("Table")),
        Column("record_id", N_("Record"), "number"),
        Column("detail", N_("Detail")),
    )

    def id_field(self):
        return AuditLog.id

    def order_expressions(self):
        A = AuditLog
        return {"at": A.id, "user": User.username, "action": A.action, "table": A.table,
                "record_id": A.record_id}

    def select(self):
        A = AuditLog
        query = (A.select(A.id, A.at, User.username, A.action, A.table, A.record_id, A.detail)
                 .join(User, JOIN.LEFT_OUTER, on=(A.user == User.id)))
        if not access.can_read_audit(self.actor):
            return query.where(access.nothing())
        f = self.filters
        if f.get("user_id"):
            query = query.where(A.user == int(f["user_id"]))
        if f.get("action"):
            query = query.where(A.action == f["action"])
        if f.get("table"):
            query = query.where(A.table == f["table"])
        if f.get("record_id"):
            query = query.where(A.record_id == int(f["record_id"]))
        if f.get("date_from"):
            query = query.where(A.at >= local_day_start_utc(f["date_from"]))
        if f.get("date_to"):
            query = query.where(
                A.at < local_day_start_utc(f["date_to"] + dt.timedelta(days=1)))
        text = (f.get("text") or "").strip().lower()
        if text:
            query = query.where(A.action.contains(text) | A.table.contains(text)
                                | A.detail.contains(text))
        return query


def actions(actor: Actor) -> list[str]:
    """The action codes that occur in the trail (for the filter)."""
    if not access.can_read_audit(actor):
        return []
    return [r[0] for r in AuditLog.select(AuditLog.action).distinct()
            .order_by(AuditLog.action).tuples()]


def tables(actor: Actor) -> list[str]:
    """The table names that occur in the trail (for the filter)."""
    if not access.can_read_audit(actor):
        return []
    return [r[0] for r in AuditLog.select(AuditLog.table).distinct()
            .where(AuditLog.table != "").order_by(AuditLog.table).tuples()]
