"""Small read-models for the casework dialogs (contract, suspension, expulsion), with the
need-to-know rules applied.

The dialogs show a pester's newest contract or expulsion procedure and re-read a measure's
version after a conflict; those reads live here so the GUI never queries the models itself,
and they answer with frozen records (``SanctionView``, ``ContractView``), never peewee rows
(a lazy foreign key would query on the GUI thread).
A measure of a case the actor may not see answers like a missing one: ``None`` or
``access.NotFound`` (same message), so a refusal confirms nothing.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from ..domain.sanctions import EXPULSION_KINDS
from ..i18n import _
from ..store import models as m
from . import access, contracts
from .base import Actor


@dataclass(frozen=True, slots=True)
class SanctionView:
    """A suspension or expulsion procedure as the casework dialogs show it."""

    id: int
    version: int
    case_id: int
    student_id: int
    student_name: str
    kind: str
    first_day: dt.date | None
    last_day: dt.date | None
    school_days: int
    reason: str
    decided_by_id: int | None
    decided_on: dt.date | None
    hearing_on: dt.date | None
    hearing_who: str
    hearing_summary: str
    inspectie_due_on: dt.date | None
    inspectie_reported_on: dt.date | None
    inspectie_reference: str

    @classmethod
    def of(cls, s: m.Sanction) -> SanctionView:
        """From a Sanction read with its student joined (no further query)."""
        st = s.student
        return cls(
            id=s.id, version=s.version, case_id=s.case_id, student_id=s.student_id,
            student_name=" ".join(p for p in (st.first_name, st.tussenvoegsel, st.last_name)
                                  if p),
            kind=s.kind, first_day=s.first_day, last_day=s.last_day,
            school_days=s.school_days or 0, reason=s.reason or "",
            decided_by_id=s.decided_by_id, decided_on=s.decided_on, hearing_on=s.hearing_on,
            hearing_who=s.hearing_who or "", hearing_summary=s.hearing_summary or "",
            inspectie_due_on=s.inspectie_due_on, inspectie_reported_on=s.inspectie_reported_on,
            inspectie_reference=s.inspectie_reference or "")


@dataclass(frozen=True, slots=True)
class ContractView:
    """An anti-bullying contract as the contract dialog shows it."""

    id: int
    version: int
    case_id: int
    student_id: int
    made_on: dt.date
    evaluate_on: dt.date | None
    rules: tuple[str, ...]
    signed_student_on: dt.date | None
    signed_parent_on: dt.date | None
    outcome: str  # "", kept, broken
    guardians: tuple[str, ...]  # the names of who signs for the parents


def _in_visible_case(actor: Actor, column):
    return column.in_(access.visible_case_ids(actor))


def sanction(actor: Actor, sanction_id: int) -> SanctionView:
    """The sanction with its student joined (``sanction.student`` costs no query);
    ``access.NotFound`` when it is missing or its case is hidden from ``actor``."""
    S = m.Sanction
    found = (S.select(S, m.Student).join(m.Student, on=(S.student == m.Student.id))
             .where((S.id == sanction_id) & _in_visible_case(actor, S.case)).first())
    if found is None:
        raise access.NotFound(_("This record does not exist (any more)."))
    return SanctionView.of(found)


def latest_expulsion(actor: Actor, case_id: int,
                     student_id: int | None) -> SanctionView | None:
    """The student's expulsion procedure in this case (the newest), if any and visible."""
    if student_id is None:
        return None
    S = m.Sanction
    found = (S.select(S, m.Student).join(m.Student, on=(S.student == m.Student.id))
             .where((S.case == case_id) & (S.student == student_id)
                    & S.kind.in_(EXPULSION_KINDS) & _in_visible_case(actor, S.case))
             .order_by(S.id.desc()).first())
    return SanctionView.of(found) if found is not None else None


def latest_contract(actor: Actor, case_id: int,
                    student_id: int | None) -> ContractView | None:
    """The student's newest anti-bullying contract in this case, if any and visible."""
    if student_id is None:
        return None
    C = m.Contract
    c = (C.select()
         .where((C.case == case_id) & (C.student == student_id)
                & _in_visible_case(actor, C.case))
         .order_by(C.made_on.desc(), C.id.desc()).first())
    if c is None:
        return None
    return ContractView(
        id=c.id, version=c.version, case_id=c.case_id, student_id=c.student_id,
        made_on=c.made_on, evaluate_on=c.evaluate_on, rules=tuple(contracts.rules_of(c)),
        signed_student_on=c.signed_student_on, signed_parent_on=c.signed_parent_on,
        outcome=c.outcome or "",
        guardians=tuple(name for name, _relation in contracts.signing_guardians(c.student_id)))
