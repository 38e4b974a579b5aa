"""Builders for casework tests (contracts, sanctions, meetings): a real case in a real database."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from pestdesk.services.base import Actor, write
from pestdesk.store import models as m
from tests.helpers.renamed import S, original_stage

#: the roles of the set-up's actor: the care coordinator who is also the adjunct-directeur,
#: so casework tests may record the decisions the protocol leaves to the management (longer
#: suspensions, expulsion). Access tests pass ``roles=`` or build their own actors.
CASEWORK_ROLES = frozenset({"ondersteuningscoordinator", "directie"})


@dataclass
class CaseSetup:
    case_id: int
    victim_id: int
    pester_id: int
    staff_id: int
    actor: Actor


def make_staff(code: str = "ZC", last_name: str = "Zorgman",
               roles: str = "ondersteuningscoordinator"):
    with write():
        return m.Staff.create(code=code, first_name="Zara", last_name=last_name, roles=roles)


def make_case(number: str = "2026-0001", *, reported_on: dt.date = dt.date(2026, 9, 7),
              pester_stage: str = "", victim_name=("Sanne", "Visser"),
              pester_name=("Bram", "Bakker"), pester_birth=dt.date(2012, 5, 1),
              staff=None, roles: frozenset[str] = CASEWORK_ROLES) -> CaseSetup:
    """One case (d'Oultremont preset) with a victim and a pester, an owner and a user."""
    with write():
        klass, _c = m.SchoolClass.get_or_create(name="2B", defaults={"leerjaar": 2})
        staff = staff or m.Staff.create(code=f"S{number[-4:]}", first_name="Zara",
                                        last_name="Zorgman",
                                        roles="ondersteuningscoordinator,directie")
        user, _u = m.User.get_or_create(username=f"u{staff.id}", defaults={"staff": staff})
        victim = m.Student.create(number=f"V{number}", first_name=victim_name[0],
                                  last_name=victim_name[1], school_class=klass,
                                  birth_date=dt.date(2012, 3, 3))
        pester = m.Student.create(number=f"P{number}", first_name=pester_name[0],
                                  last_name=pester_name[1], school_class=klass,
                                  birth_date=pester_birth)
        case = m.Case.create(number=number, reported_on=reported_on,
                             summary="Uitschelden in de klas", protocol_code="doultremont",
                             owner=staff)
        m.Involvement.create(case=case, student=victim, role="gepeste")
        m.Involvement.create(case=case, student=pester, role="pester",
                             stage_code=S(pester_stage))
    actor = Actor(user_id=user.id, username=user.username, staff_id=staff.id,
                  roles=frozenset(roles))
    from pestdesk.services import _ladder

    _ladder.refresh(case.id)  # stage and next due date, as registering a report does
    return CaseSetup(case.id, victim.id, pester.id, staff.id, actor)


def put_on_stage(setup: CaseSetup, stage_code: str, on: dt.date = dt.date(2026, 9, 14)) -> None:
    """Move the pester up the ladder as the case service would (an escalate event)."""
    from pestdesk.services import _ladder

    with write():
        inv = m.Involvement.get(m.Involvement.case == setup.case_id,
                                m.Involvement.student == setup.pester_id)
        _ladder.add_event(setup.actor, setup.case_id, "escalate", on, involvement_id=inv.id,
                          stage_code=S(stage_code), body="test set-up")
    _ladder.refresh(setup.case_id)


def pester_stage(setup: CaseSetup) -> str:
    """The pester's stored stage, by its original code (also in the renamed-codes run)."""
    return original_stage(m.Involvement.get(m.Involvement.case == setup.case_id,
                                            m.Involvement.student == setup.pester_id).stage_code)
