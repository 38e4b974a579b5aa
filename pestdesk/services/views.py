"""Small read-models for the casework dialogs (contract, suspension, expulsion), with the
need-to-know rules applied.

The dialogs show a pester's newest contract or expulsion procedure and re-read a measure's
version after a conflict; those reads live here so the GUI never queries the models itself.
A measure of a case the actor may not see answers like a missing one: ``None`` or
``access.NotFound`` (same message), so a refusal confirms nothing.
"""

from __future__ import annotations

from ..domain.sanctions import EXPULSION_KINDS
from ..i18n import _
from ..store import models as m
from . import access
from .base import Actor


def _in_visible_case(actor: Actor, column):
    return column.in_(access.visible_case_ids(actor))


def sanction(actor: Actor, sanction_id: int) -> m.Sanction:
    """The sanction with its student joined (``sanction.student`` costs no query);
    ``access.NotFound`` when it is missing or its case is hidden from ``actor``."""
    S = m.Sanction
    found = (S.select(S, m.Student).join(m.Student, on=(S.student == m.Student.id))
             .where((S.id == sanction_id) & _in_visible_case(actor, S.case)).first())
    if found is None:
        raise access.NotFound(_("This record does not exist (any more)."))
    return found


def latest_expulsion(actor: Actor, case_id: int, student_id: int | None) -> m.Sanction | None:
    """The student's expulsion procedure in this case (the newest), if any and visible."""
    if student_id is None:
        return None
    S = m.Sanction
    return (S.select(S, m.Student).join(m.Student, on=(S.student == m.Student.id))
            .where((S.case == case_id) & (S.student == student_id)
                   & S.kind.in_(EXPULSION_KINDS) & _in_visible_case(actor, S.case))
            .order_by(S.id.desc()).first())


def latest_contract(actor: Actor, case_id: int, student_id: int | None) -> m.Contract | None:
    """The student's newest anti-bullying contract in this case, if any and visible."""
    if student_id is None:
        return None
    C = m.Contract
    return (C.select()
            .where((C.case == case_id) & (C.student == student_id)
                   & _in_visible_case(actor, C.case))
            .order_by(C.made_on.desc(), C.id.desc()).first())
