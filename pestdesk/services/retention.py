"""Bewaartermijn: removing the data of students who left school longer ago than the period.

The period (default two years after ``Student.left_on``) is a school setting. What goes:
- the student, with everything that hangs on the student: guardian links, involvements,
  contracts, sanctions, consents, letters addressed to the student;
- guardians who have no other child left in pestdesk;
- every case in which *all* involved students are past the period, with its timeline,
  agreements, actions, agenda items, letters and attachments;
- in a case that stays (because another involved student is still within the period) the
  timeline entries tied to the removed student's involvement.
Cases without any involved student are never touched here.

Deleting runs in one transaction with ``PRAGMA secure_delete=ON`` (freed pages are zeroed),
then ``VACUUM`` and a WAL checkpoint so no copy lingers in the file. The audit trail keeps
one anonymous line with counts only. Backups made earlier still hold the data until rotation
removes them; the GUI says so.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from peewee import JOIN, fn

from ..i18n import N_, _
from ..store import models as m
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


@dataclass
class RetentionPlan:
    today: dt.date
    cutoff: dt.date  # left on or before this day: past the period
    student_ids: list[int] = field(default_factory=list)
    case_ids: list[int] = field(default_factory=list)
    guardian_ids: list[int] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not self.student_ids


@dataclass
class PurgeResult:
    deleted: dict[str, int]
    compacted: bool


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


def due_for_deletion(today: dt.date, years: int | None = None,
                     only: list[int] | None = None) -> RetentionPlan:
    """What a purge on ``today`` would remove (``only``: limit to these confirmed students)."""
    years = retention_years() if years is None else years
    cutoff = cutoff_for(today, years)
    S, Inv, SG = m.Student, m.Involvement, m.StudentGuardian
    due = S.select(S.id).where(_due(cutoff, only))
    student_ids = [r.id for r in due.order_by(S.id)]
    kept_students = S.select(S.id).where(~_due(cutoff, only) | S.left_on.is_null())
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
    )


def purge(actor: Actor, today: dt.date, student_ids: list[int] | None = None,
          years: int | None = None, vacuum: bool = True) -> PurgeResult:
    """Delete what ``due_for_deletion`` lists (limited to ``student_ids`` if given).

    The plan is computed again inside the transaction, so a student whose leaving date was
    corrected in the meantime is not deleted. Only a beheerder or the care coordinator may.
    """
    if not actor.has_role("beheerder", "ondersteuningscoordinator"):
        raise ServiceError(_("Only an administrator may delete data past the retention "
                             "period."))
    db = m.database.obj
    db.execute_sql("PRAGMA secure_delete = ON")
    with write():
        plan = due_for_deletion(today, years, student_ids)
        before = _counts()
        _delete(plan)
        deleted = {k: before[k] - v for k, v in _counts().items()}
        detail = ";".join(f"{k}={v}" for k, v in deleted.items() if v)
        audit(actor, "retention_purge", "", None, detail or "none")
    compacted = _compact(db) if vacuum and not plan.empty else False
    return PurgeResult(deleted, compacted)


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
    """VACUUM and empty the WAL; False when others kept the file busy (data is zeroed anyway)."""
    try:
        db.execute_sql("VACUUM")
        if db.execute_sql("PRAGMA journal_mode").fetchone()[0] == "wal":
            db.execute_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    except Exception:  # noqa: BLE001 - busy: secure_delete already zeroed the freed pages
        return False
    return True


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
        return (S.select(S.id, full_name(S), S.number, S.left_on, fn.COUNT(Inv.id))
                .join(Inv, JOIN.LEFT_OUTER, on=(Inv.student == S.id))
                .where(_due(cutoff))
                .group_by(S.id))

    def count(self) -> int:
        cutoff = self.filters.get("cutoff", dt.date.min)
        return m.Student.select().where(_due(cutoff)).count()
