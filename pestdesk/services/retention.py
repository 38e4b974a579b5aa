"""Bewaartermijn: removing the data of students who left school longer ago than the period.

The period (default two years after ``Student.left_on``) is a school setting. What goes:
- the student, with everything that hangs on the student: guardian links, involvements,
  contracts, sanctions, consents, letters addressed to the student;
- guardians who have no other child left in pestdesk;
- every case in which *all* involved students are past the period, with its timeline,
  agreements, actions, agenda items, letters and attachments;
- in a case that stays (because another involved student is still within the period) the
  timeline entries tied to the removed student's involvement;
- the removed students (and removed guardians) in every text that stays: the school's name
  detector (``services.names``) finds their names, possessives and student numbers in case
  summaries and descriptions, timeline titles, bodies and data, agreements, contracts,
  sanctions, agenda questions, minutes and decisions, actions, meeting notes, attachment
  descriptions and archived letters' merge data, and replaces them by a neutral marker
  ("[verwijderde leerling]"); text kept as JSON is read decoded, so a name stored escaped
  ("Zo\u00eb") is found too. A mention that may also be a student still involved in that
  case (a shared first name) is theirs and stays. An archived letter whose text named a
  removed child loses its stored PDF (its merge data, scrubbed, stays); a piece of evidence
  named or described after a removed child, or whose text names them (plain text and the
  text parts of packed documents: ``services.evidence``), loses its file (its row, scrubbed,
  stays in the timeline); in a case the removed student was involved in, so does every file
  that cannot be read (a PDF, a picture, a packed file with a binary part);
- the safety copies (``.before-restore-*``) and migration copies (``.schemaN-*``) beside the
  database that are older than the period, or that still hold a removed student.
Cases without any involved student are never touched here.

A student past the period who is still involved in an open case *waits*: deleting them would
take the victim or the bully out of a case that is still running. The plan lists who waits
and in which open cases (``RetentionPlan.waiting``); they go with a later purge.

Deleting runs in one transaction with ``PRAGMA secure_delete=ON`` (freed pages are zeroed),
then ``VACUUM`` and a WAL checkpoint so no copy lingers in the file. The audit trail keeps
one anonymous line with counts only. Backups in the backup folder still hold the data until
rotation removes them; :func:`backup_hold` says how many and until when.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import re
from dataclasses import dataclass, field
from pathlib import Path

from peewee import JOIN, SQL, fn

from ..domain.names import words
from ..i18n import N_, _, format_date, format_number, ngettext
from ..store import models as m
from ..store.db import copy_holds_students
from ..store.dialect import compact, secure_delete
from ..store.keyfile import sidecar_path
from . import access, backups, evidence, names
from .base import Actor, ServiceError, audit, write
from .lists import Column, ListQuery, full_name

SETTING_KEY = "retention_years"
DEFAULT_YEARS = 2
COUNTED = {
    "students": m.Student, "guardians": m.Guardian, "cases": m.Case,
    "involvements": m.Involvement, "events": m.Event, "agreements": m.Agreement,
    "contracts": m.Contract, "sanctions": m.Sanction, "consents": m.Consent,
    "letters": m.Letter, "attachments": m.Attachment, "actions": m.Action,
    "agenda_items": m.AgendaItem,
}


@dataclass(frozen=True)
class WaitingStudent:
    """Past the period, but still involved in an open case: not deleted until it closes."""

    student_id: int
    name: str
    number: str
    left_on: dt.date
    open_cases: tuple[str, ...]  # case numbers
    case_ids: tuple[int, ...] = ()  # the same cases' ids (for who may see them)


@dataclass
class RetentionPlan:
    today: dt.date
    cutoff: dt.date  # left on or before this day: past the period
    student_ids: list[int] = field(default_factory=list)
    case_ids: list[int] = field(default_factory=list)
    guardian_ids: list[int] = field(default_factory=list)
    waiting: list[WaitingStudent] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not self.student_ids


@dataclass
class PurgeResult:
    deleted: dict[str, int]
    compacted: bool
    scrubbed: int = 0  # texts that stay, with a removed student's name replaced
    removed_copies: list[Path] = field(default_factory=list)


def retention_years() -> int:
    from .settings import get_value

    return int(get_value(SETTING_KEY, DEFAULT_YEARS) or DEFAULT_YEARS)


def set_retention_years(actor: Actor, years: int) -> None:
    from .settings import set_value

    if not 1 <= int(years) <= 20:
        raise ServiceError(_("The retention period must be between 1 and 20 years."))
    set_value(actor, SETTING_KEY, int(years))


def cutoff_for(today: dt.date, years: int) -> dt.date:
    """The last leaving date that is past the period on ``today`` (29 Feb -> 28 Feb)."""
    try:
        return today.replace(year=today.year - years)
    except ValueError:
        return today.replace(year=today.year - years, day=28)


def _due(cutoff: dt.date, only: list[int] | None = None):
    S = m.Student
    condition = S.left_on.is_null(False) & (S.left_on <= cutoff)
    if only is not None:
        condition &= S.id.in_(only)
    return condition


def _in_open_case():
    Inv = m.Involvement
    return (Inv.select(Inv.student).join(m.Case, on=(Inv.case == m.Case.id))
            .where(m.Case.status == "open"))


def due_for_deletion(today: dt.date, years: int | None = None,
                     only: list[int] | None = None) -> RetentionPlan:
    """What a purge on ``today`` would remove (``only``: limit to these confirmed students),
    and who is past the period but waits for an open case."""
    years = retention_years() if years is None else years
    cutoff = cutoff_for(today, years)
    S, Inv, SG = m.Student, m.Involvement, m.StudentGuardian
    due_condition = _due(cutoff, only) & S.id.not_in(_in_open_case())
    due = S.select(S.id).where(due_condition)
    student_ids = [r.id for r in due.order_by(S.id)]
    kept_students = S.select(S.id).where(~due_condition | S.left_on.is_null())
    blocked = Inv.select(Inv.case).where(Inv.student.in_(kept_students))
    cases = (m.Case.select(m.Case.id)
             .where(m.Case.id.in_(Inv.select(Inv.case).where(Inv.student.in_(due)))
                    & m.Case.id.not_in(blocked)))
    other_child = SG.select(SG.guardian).where(SG.student.in_(kept_students))
    guardians = (SG.select(SG.guardian).distinct()
                 .where(SG.student.in_(due) & SG.guardian.not_in(other_child)))
    return RetentionPlan(
        today, cutoff, student_ids,
        sorted(r.id for r in cases),
        sorted(r.guardian_id for r in guardians),
        _waiting(cutoff, only),
    )


def _waiting(cutoff: dt.date, only: list[int] | None) -> list[WaitingStudent]:
    S, Inv, C = m.Student, m.Involvement, m.Case
    rows = (S.select(S.id, S.first_name, S.tussenvoegsel, S.last_name, S.number, S.left_on,
                     C.number, C.id)
            .join(Inv, on=(Inv.student == S.id)).join(C, on=(Inv.case == C.id))
            .where(_due(cutoff, only) & (C.status == "open"))
            .order_by(S.sort_name, S.id, C.number).tuples())
    found: dict[int, WaitingStudent] = {}
    for sid, first, tv, last, number, left_on, case_number, case_id in rows:
        name = " ".join(p for p in (first, tv, last) if p)
        before = found.get(sid)
        cases = (before.open_cases if before else ()) + (case_number,)
        ids = (before.case_ids if before else ()) + (case_id,)
        found[sid] = WaitingStudent(sid, name, number, left_on, cases, ids)
    return list(found.values())


def purge(actor: Actor, today: dt.date, student_ids: list[int] | None = None,
          years: int | None = None, vacuum: bool = True) -> PurgeResult:
    """Delete what ``due_for_deletion`` lists (limited to ``student_ids`` if given), scrub
    the removed students from every text that stays, and remove the copies beside the
    database that are older than the period or still hold a removed student.

    The plan is computed again inside the transaction, so a student whose leaving date was
    corrected (or whose case was reopened) in the meantime is not deleted. Only a beheerder
    or the care coordinator may.
    """
    if not may_purge(actor):
        raise ServiceError(_("Only an administrator may delete data past the retention "
                             "period."))
    db = m.database.obj
    secure_delete(db)
    with write():
        plan = due_for_deletion(today, years, student_ids)
        numbers = [n for (n,) in m.Student.select(m.Student.number)
                   .where(m.Student.id.in_(plan.student_ids)).tuples()]
        before = _counts()
        scrubbed = _scrub(actor, plan)
        _delete(plan)
        deleted = {k: before[k] - v for k, v in _counts().items()}
        detail = ";".join(f"{k}={v}" for k, v in deleted.items() if v)
        if scrubbed:
            detail += f";texts_scrubbed={scrubbed}"
        audit(actor, "retention_purge", "", None, detail or "none")
    compacted = _compact(db) if vacuum and not plan.empty else False
    removed = _remove_copies(actor, plan, numbers)
    return PurgeResult(deleted, compacted, scrubbed, removed)


# --- scrubbing the texts that stay -------------------------------------------------------------

#: the column naming a row's case (None: the row belongs to no case)
_CASE_COLUMN: dict[type[m.BaseModel], str | None] = {m.Case: "id", m.Meeting: None}
#: (model, the field naming its case or None, the free-text fields): every column people
#: write free text into (``services.names.FREE_TEXT``)
SCRUBBED_TEXTS: tuple[tuple[type[m.BaseModel], str | None, tuple[str, ...]], ...] = tuple(
    (model, _CASE_COLUMN.get(model, "case"), fields)
    for model, fields in names.FREE_TEXT.items())
#: the fields above that hold JSON: their strings are looked at decoded (a name may be stored
#: escaped, "Zo\u00eb")
JSON_TEXTS = names.JSON_TEXT
#: evidence files larger than this are not read for names (their name and description are)
READ_EVIDENCE_UP_TO = 20 * 1024 * 1024


def _scrub(actor: Actor, plan: RetentionPlan) -> int:
    """Replace the removed students and guardians in every text that stays; the number of
    records changed. Runs inside the purge's transaction, before the rows are deleted (the
    detector needs to know them). Rows are read as plain tuples and looked at word by word
    first; only a text that has one of the removed people's words goes through the
    detector."""
    if plan.empty:
        return 0
    removed = {names.student_key(i) for i in plan.student_ids}
    removed |= {names.guardian_key(i) for i in plan.guardian_ids}
    wanted = _name_words(names.people(plan.student_ids, plan.guardian_ids))
    index = names.school_index()
    going_cases = set(plan.case_ids)
    going_students = set(plan.student_ids)
    going_involvements = {i for (i,) in m.Involvement.select(m.Involvement.id).where(
        m.Involvement.student.in_(plan.student_ids)).tuples().iterator()}
    # the cases that stay but lose a removed student: their unreadable evidence goes too
    removed_from = {c for (c,) in m.Involvement.select(m.Involvement.case).where(
        m.Involvement.student.in_(plan.student_ids)).tuples().iterator()}
    context: dict[int | None, frozenset[str]] = {None: frozenset()}
    marker_student, marker_parent = _("[removed student]"), _("[removed parent]")

    def label(hit, case_id):
        if not hit.keys & removed:
            return None
        if case_id not in context:
            context[case_id] = _still_involved(case_id, plan.student_ids)
        if hit.keys & context[case_id]:
            return None  # may be a student still in this case: theirs
        return marker_student if any(k.startswith("student:") for k in hit.keys & removed) \
            else marker_parent

    db = m.database.obj
    changed = 0
    for model, case_field, fields in SCRUBBED_TEXTS:
        owner, going_owners = _owner(model, going_involvements, going_students)
        columns = [model.id, getattr(model, case_field) if case_field else model.id,
                   owner or model.id] + [getattr(model, f) for f in fields]
        cursor = db.execute_sql(*model.select(*columns).sql())
        for row in cursor:
            record_id, case_id, owned_by = row[0], row[1] if case_field else None, row[2]
            if case_id in going_cases or (owner is not None and owned_by in going_owners):
                continue  # deleted with the case or the student anyway
            updates: dict[str, str | None] = {}
            for name, text in zip(fields, row[3:], strict=True):
                if not text or not isinstance(text, str):
                    continue
                as_json = (model, name) in JSON_TEXTS
                plain = (names.json_strings(text) if as_json else None) or text
                if not _mentions(plain, wanted):
                    continue
                replace = functools.partial(label, case_id=case_id)
                new = (names.redact_json(index, text, replace) if as_json
                       else index.redact(text, replace, strict=True))
                if new != text:
                    updates[name] = new
            if model is m.Attachment and (updates or _evidence_names(
                    record_id, wanted, functools.partial(label, case_id=case_id), index,
                    case_id in removed_from)):
                updates["data"] = None  # a file about the removed child goes
            if updates:
                _store_scrubbed(actor, model, record_id, updates)
                changed += 1
    return changed


def _evidence_names(attachment_id: int, wanted: frozenset[str], label, index,
                    of_removed: bool) -> bool:
    """Whether a stored evidence file may name a removed person: its text does (plain text,
    and the text parts of packed documents such as .docx, .xlsx and .odt), or -- in a case
    a removed student was involved in (``of_removed``) -- it cannot be read at all (a PDF,
    a picture, a packed file with a binary part, a file too large to read)."""
    A = m.Attachment
    row = A.select(A.data, A.size).where((A.id == attachment_id)
                                         & A.data.is_null(False)).tuples().first()
    if row is None:
        return False
    data = bytes(row[0])
    text = evidence.evidence_text(data) if len(data) <= READ_EVIDENCE_UP_TO else None
    if text is None:
        return of_removed
    if not _mentions(text, wanted):
        return False
    return any(label(hit) is not None for hit in index.find(text, strict=True))


def _owner(model, involvements: set[int], students: set[int]):
    """The column tying a row of ``model`` to a removed student, and the ids that do."""
    if model is m.Involvement:
        return model.id, involvements
    if model is m.Event:
        return model.involvement, involvements
    if model in (m.Contract, m.Sanction, m.Letter):
        return model.student, students
    return None, set()


def _still_involved(case_id: int | None, removed_students: list[int]) -> frozenset[str]:
    if case_id is None:
        return frozenset()
    Inv = m.Involvement
    staying = [s for (s,) in Inv.select(Inv.student).where(
        (Inv.case == case_id) & Inv.student.not_in(removed_students)).tuples()]
    return names.own_keys(staying)


def _name_words(people: list[names.Person]) -> frozenset[str]:
    """The words the removed people are written with (folded, and as typed in lower case):
    a quick first look at a text."""
    out: set[str] = set()
    for person in people:
        for text in (person.first_name, person.last_name, person.number):
            out.update(w for w in words(text) if len(w) > 1)
            out.update(w for w in _PLAIN_WORD.findall(text.casefold()) if len(w) > 1)
        if person.number.isdigit():
            out.add(person.number.lstrip("0"))
    return frozenset(out)


_PLAIN_WORD = re.compile(r"[^\W_]+")


def _mentions(text: str, wanted: frozenset[str]) -> bool:
    """Whether ``text`` has a word of ``wanted`` (or its possessive): cheap, may say yes
    too often (the detector decides), never no when the detector would find one."""
    tokens = set(_PLAIN_WORD.findall(text.casefold()))
    if not text.isascii():
        tokens.update(words(text))
    if tokens & wanted:
        return True
    return any(t[:-1] in wanted for t in tokens if len(t) > 3 and t.endswith("s"))


def _store_scrubbed(actor: Actor, model, record_id: int,
                    updates: dict[str, str | None]) -> None:
    values = {getattr(model, k): v for k, v in updates.items()}
    if issubclass(model, m.Versioned):
        values[model.version] = model.version + 1
        values[model.updated_at] = m.utcnow()
    if model is m.Letter and "merge_data" in updates:
        values[m.Letter.pdf] = None  # the PDF as sent named the child: it goes
        _check_json(updates["merge_data"])
    if model is m.Event and "data" in updates:
        _check_json(updates["data"])
    model.update(values).where(model.id == record_id).execute()
    audit(actor, "update", model._meta.table_name, record_id,
          "retention_scrub:" + ",".join(sorted(updates)))


def _check_json(text: str) -> None:
    """The marker holds no quote or backslash, so JSON stays JSON; make sure of it."""
    try:
        json.loads(text)
    except ValueError as exc:  # pragma: no cover - a name inside a JSON key or escape
        raise ServiceError(_("A stored text could not be cleaned of a removed student; "
                             "nothing was deleted.")) from exc


# --- copies beside the database -----------------------------------------------------------------


def _database_path() -> Path | None:
    name = getattr(m.database.obj, "database", "")
    if not name or name == ":memory:" or str(name).startswith("file:"):
        return None
    return Path(name)


def _remove_copies(actor: Actor, plan: RetentionPlan, numbers: list[str]) -> list[Path]:
    """Remove the safety and migration copies beside the database that are older than the
    period, or that still hold a student this purge removed."""
    path = _database_path()
    if path is None:
        return []
    removed = []
    for copy in backups.beside_copies(path):
        old = copy.made_at.date() <= plan.cutoff
        if old or (numbers and copy_holds_students(copy.path, numbers)):
            copy.path.unlink(missing_ok=True)
            sidecar_path(copy.path).unlink(missing_ok=True)  # its key file goes with it
            removed.append(copy.path)
    if removed:
        with write():
            audit(actor, "retention_purge", "", None, f"copies_removed={len(removed)}")
    return removed


@dataclass(frozen=True)
class BackupHold:
    """What the backups still hold after a purge, and until when (for the retention screen)."""

    folder: Path
    count: int
    oldest: dt.datetime | None
    keep: int
    until: dt.date | None  # the last backup made before today leaves rotation about then
    copies: tuple[backups.BackupFile, ...]  # safety and migration copies beside the database


def backup_hold(today: dt.date) -> BackupHold | None:
    """The backups and copies that still hold data deleted today (None: no file database)."""
    path = _database_path()
    if path is None:
        return None
    cfg = backups.config(path)
    found = backups.list_backups(cfg.folder, path.stem)
    until = today + dt.timedelta(days=cfg.keep) if found else None
    return BackupHold(cfg.folder, len(found), found[-1].made_at if found else None, cfg.keep,
                      until, tuple(backups.beside_copies(path)))


def waiting_lines(plan: RetentionPlan, actor: Actor, limit: int = 12,
                  with_names: bool = True) -> list[str]:
    """Who waits and why, for the retention screen and ``purge --dry-run``.

    What a line shows of a student and their open cases follows the one visibility rule
    (``services.access``): the name only to whom may open the student's card, a case number
    only to whom may see the case (the others read "an open case"). ``with_names=False``
    prints student numbers only, whoever asks (no names in a terminal's output)."""
    if not plan.waiting:
        return []
    shown = plan.waiting[:limit]
    seen_students = _visible_ids(m.Student, access.student_visibility(actor),
                                 [w.student_id for w in shown]) if with_names else set()
    seen_cases = _visible_ids(m.Case, access.case_visibility(actor),
                              [c for w in shown for c in w.case_ids])
    n = len(plan.waiting)
    lines = [ngettext(
        "{n} student is past the period but waits: still involved in an open case.",
        "{n} students are past the period but wait: still involved in an open case.",
        n).format(n=format_number(n))]
    for w in shown:
        visible = [number for number, case_id in zip(w.open_cases, w.case_ids, strict=False)
                   if case_id in seen_cases]
        hidden = len(w.open_cases) - len(visible)
        parts = []
        if visible:
            parts.append(ngettext("open case {cases}", "open cases {cases}",
                                  len(visible)).format(cases=", ".join(visible)))
        if hidden and visible:
            parts.append(ngettext("{n} other open case", "{n} other open cases",
                                  hidden).format(n=format_number(hidden)))
        elif hidden:
            parts.append(ngettext("an open case", "{n} open cases", hidden).format(
                n=format_number(hidden)))
        who = (_("{name} ({number})") if w.student_id in seen_students
               else _("student {number}")).format(name=w.name, number=w.number)
        lines.append("  " + _("{student}: {cases}").format(student=who,
                                                            cases=", ".join(parts)))
    if n > limit:
        lines.append("  " + _("… and {n} more").format(n=format_number(n - limit)))
    return lines


def _visible_ids(model, rule, ids: list[int]) -> set[int]:
    if not ids:
        return set()
    return {i for (i,) in model.select(model.id).where(model.id.in_(ids) & rule).tuples()}


def hold_lines(hold: BackupHold | None) -> list[str]:
    """What the backups and the copies beside the database still hold, and until when."""
    if hold is None:
        return []
    if hold.count:
        lines = [ngettext(
            "The backup folder {folder} holds {n} backup, from {oldest}. Data deleted now "
            "stays in it until rotation removes it: about {until} ({keep} backups are kept, "
            "one a day).",
            "The backup folder {folder} holds {n} backups, the oldest from {oldest}. Data "
            "deleted now stays in them until rotation removes the last of them: about "
            "{until} ({keep} backups are kept, one a day).", hold.count).format(
            folder=hold.folder, n=format_number(hold.count),
            oldest=format_date(hold.oldest.date()), until=format_date(hold.until),
            keep=format_number(hold.keep))]
    else:
        lines = [_("The backup folder {folder} holds no backups.").format(folder=hold.folder)]
    if hold.copies:
        lines.append(ngettext(
            "Beside the database is {n} safety or migration copy (from {dates}); deleting "
            "removes it when it is older than the period or still holds a deleted student.",
            "Beside the database are {n} safety or migration copies (from {dates}); deleting "
            "removes those older than the period and those that still hold a deleted "
            "student.", len(hold.copies)).format(
            n=format_number(len(hold.copies)),
            dates=", ".join(format_date(c.made_at.date()) for c in hold.copies[:6])))
    return lines


def _counts() -> dict[str, int]:
    return {key: model.select().count() for key, model in COUNTED.items()}


def _delete(plan: RetentionPlan) -> None:
    if plan.empty:
        return
    Inv, E = m.Involvement, m.Event
    # timeline entries about the student in cases that stay
    their_involvements = Inv.select(Inv.id).where(Inv.student.in_(plan.student_ids))
    E.delete().where(E.involvement.in_(their_involvements)).execute()
    for chunk in _chunks(plan.case_ids):
        m.Case.delete().where(m.Case.id.in_(chunk)).execute()  # cascades the case's rows
    for chunk in _chunks(plan.student_ids):
        m.Student.delete().where(m.Student.id.in_(chunk)).execute()  # cascades links
    for chunk in _chunks(plan.guardian_ids):
        m.Guardian.delete().where(m.Guardian.id.in_(chunk)).execute()


def _chunks(ids: list[int], size: int = 500):
    for i in range(0, len(ids), size):
        yield ids[i:i + size]


def _compact(db) -> bool:
    """VACUUM (and empty SQLite's WAL); False when others kept it busy (store.dialect)."""
    return compact(db)


PURGE_ROLES = ("beheerder", "ondersteuningscoordinator")


def may_purge(actor: Actor) -> bool:
    """Who deletes data past the period, and so sees who is due."""
    return actor.has_role(*PURGE_ROLES)


class RetentionList(ListQuery):
    """Students past the retention period (filter ``cutoff``), for the confirmation screen."""

    columns = (
        Column("name", N_("Name")),
        Column("number", N_("Student number")),
        Column("left_on", N_("Left school"), "date"),
        Column("cases", N_("Cases"), "number"),
    )

    def id_field(self):
        return m.Student.id

    def order_expressions(self):
        return {"name": m.Student.sort_name, "number": m.Student.number,
                "left_on": m.Student.left_on, "cases": fn.COUNT(m.Involvement.id)}

    def select(self):
        S, Inv = m.Student, m.Involvement
        cutoff = self.filters.get("cutoff", dt.date.min)
        query = (S.select(S.id, full_name(S), S.number, S.left_on, fn.COUNT(Inv.id))
                 .join(Inv, JOIN.LEFT_OUTER, on=(Inv.student == S.id))
                 .where(_due(cutoff) & S.id.not_in(_in_open_case()))
                 .group_by(S.id))
        return query if may_purge(self.actor) else query.where(SQL("1 = 0"))

    def count(self) -> int:
        if not may_purge(self.actor):
            return 0
        cutoff = self.filters.get("cutoff", dt.date.min)
        return m.Student.select().where(_due(cutoff)
                                        & m.Student.id.not_in(_in_open_case())).count()
