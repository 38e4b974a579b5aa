"""Reading the audit trail: who did what to which record, when, searchable for the beheerder
and the directie.

The trail itself is written by ``services.base.audit`` (append-only, hash-chained, checked
by ``pestdesk check``); it holds user ids, action codes, table names and record ids, no
personal data. Times are stored in UTC; the date filters here take local calendar days.
"""

from __future__ import annotations

import datetime as dt
import json

from peewee import JOIN

from .. import clock
from ..i18n import N_, _
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
    "backup": N_("backup made"),
    "decide": N_("decided"),
    "refuse": N_("refused"),
    "escalate": N_("escalated"),
    "deescalate": N_("back a stage"),
    "retention_purge": N_("deleted after the retention period"),
    "seed": N_("filled from the protocol"),
    "recovery_key": N_("recovery key made"),
    "integrity_fail": N_("fingerprint did not match"),
}

#: what the stored table names are called in the trail's Table column
TABLE_LABELS: dict[str, str] = {
    "case": N_("Report"), "involvement": N_("Student in a report"),
    "event": N_("Timeline entry"), "agreement": N_("Agreement"), "action": N_("Action"),
    "student": N_("Student"), "guardian": N_("Guardian"),
    "student_guardian": N_("Student and guardian link"), "staff": N_("Staff member"),
    "school_class": N_("Class"), "class_mentor": N_("Mentor of a class"),
    "user": N_("User"), "role_grant": N_("Role"), "setting": N_("Setting"),
    "meeting": N_("Meeting"), "agenda_item": N_("Agenda item"), "consent": N_("Consent"),
    "letter": N_("Letter"), "contract": N_("Contract"), "sanction": N_("Measure"),
    "attachment": N_("Evidence file"), "helpline": N_("Helpline"), "figures": N_("Figures"),
}

#: the words in a detail (field names, keys of counts and key=value pairs)
DETAIL_WORDS: dict[str, str] = {
    "summary": N_("summary"), "description": N_("description"), "status": N_("status"),
    "owner": N_("owner"), "owner_id": N_("owner"), "reported_on": N_("report date"),
    "reporter_kind": N_("reported by"), "reported_via": N_("reported via"),
    "locations": N_("places"), "location": N_("places"), "forms": N_("forms of bullying"),
    "since": N_("since"), "frequency": N_("how often"), "scope": N_("scope"),
    "role": N_("role"), "roles": N_("roles"), "notes": N_("note"), "done_on": N_("done on"),
    "outcome": N_("outcome"), "evaluate_on": N_("evaluate on"), "close_reason": N_("reason"),
    "closed_on": N_("closed on"), "minutes": N_("minutes of the meeting"),
    "decision": N_("decision"),
    "case": N_("report"), "from": N_("from stage"), "to": N_("to stage"), "reason": N_("reason"),
    "template": N_("letter"), "rows": N_("rows"), "new": N_("new"), "changed": N_("changed"),
    "unchanged": N_("unchanged"), "left": N_("left school"), "returning": N_("returned"),
    "problems": N_("problems"), "warnings": N_("warnings"), "classes_new": N_("new classes"),
    "guardians_new": N_("new guardians"), "guardians_changed": N_("changed guardians"),
    "guardian_links_new": N_("new guardian links"),
    "guardian_links_changed": N_("changed guardian links"), "image": N_("image"),
    "students": N_("students"), "cases": N_("reports"), "guardians": N_("guardians"),
    "manual": N_("by hand"), "auto": N_("automatic (daily)"), "pack": N_("preparation pack"),
    "avg_inzage": N_("AVG access request"), "demo": N_("demo"), "revision": N_("revision"),
    "count": N_("count"), "protocol": N_("protocol"), "first_name": N_("first name"),
    "last_name": N_("last name"), "email": N_("e-mail"), "phone": N_("telephone"),
}


def table_label(table: str) -> str:
    return _(TABLE_LABELS[table]) if table in TABLE_LABELS else table.replace("_", " ")


def _word(text: str) -> str:
    text = text.strip()
    return _(DETAIL_WORDS[text]) if text in DETAIL_WORDS else text.replace("_", " ")


def detail_text(detail: str) -> str:
    """A stored detail as a person reads it: counts of an import ('nieuw: 3, gewijzigd: 1'),
    key=value pairs ('melding: 12, rol: pester') or the changed fields of an update
    ('samenvatting, omschrijving'); anything else as it is."""
    text = (detail or "").strip()
    if text.startswith("{"):
        try:
            data = json.loads(text)
        except ValueError:
            return text
        if isinstance(data, dict):
            return ", ".join(f"{_word(str(k))}: {v}" for k, v in data.items() if v not in
                             (0, "", None))
        return text
    parts = [p for p in text.split(",") if p.strip()]
    if parts and all("=" in p for p in parts):
        pairs = (p.split("=", 1) for p in parts)
        return ", ".join(f"{_word(k)}: {_word(v)}" for k, v in pairs)
    if parts and all(p.strip().replace("_", "").isalnum() for p in parts):
        return ", ".join(_word(p) for p in parts)
    return text


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
