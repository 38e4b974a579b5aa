"""One ladder path: every change of a pester's stage asks the protocol engine, with the user's
own reason where the engine wants one, and writes the event, the record and the stage together.

The side doors of issue 14: a contract made on day one from the mentor stage, a three-day
suspension decided from the mentor stage, and accepting the protocol's own relapse proposal
(which must not read as a deviation).
"""

from __future__ import annotations

import datetime as dt

import pytest

from pestdesk import clock
from pestdesk.domain.sanctions import Hearing
from pestdesk.services import cases, contracts, sanctions
from pestdesk.services.base import SYSTEM, ServiceError
from pestdesk.services.cases import InvolvedInput, ReportInput, TransitionError
from pestdesk.services.sanctions import Consultation
from pestdesk.store import models as m
from tests.helpers.casework import make_case, pester_stage, put_on_stage
from tests.helpers.renamed import S

D = dt.date
HEARD = Hearing(D(2026, 10, 12), ("leerling", "ouders"), "Beide kanten gehoord.")
CONSULT = Consultation(D(2026, 10, 12), "adjunct-directeur")


@pytest.fixture(autouse=True)
def _day():
    clock.set_today(D(2026, 11, 20))
    yield
    clock.set_today(None)


def counts() -> tuple[int, ...]:
    return (m.AuditLog.select().count(), m.Event.select().count(),
            m.Contract.select().count(), m.Sanction.select().count(),
            m.Action.select().count())


def moves(case_id: int) -> list[m.Event]:
    return list(m.Event.select().where((m.Event.case == case_id)
                                       & (m.Event.kind == "escalate")).order_by(m.Event.id))


def test_contract_on_day_one_from_the_mentor_stage_needs_the_users_reason(db):
    setup = make_case()
    preview = contracts.ladder_preview(setup.case_id, setup.pester_id, actor=setup.actor)
    assert preview.moves and preview.needs_reason and preview.target_stage == S("contract")
    before = counts()
    with pytest.raises(TransitionError) as refused:
        contracts.make_contract(setup.actor, setup.case_id, setup.pester_id,
                                made_on=D(2026, 9, 7))
    assert "Gesprek met de gepeste leerling" in refused.value.message  # the protocol's reason
    assert counts() == before  # nothing half-done: no contract, no action, no event
    assert pester_stage(setup) == "mentor"
    contracts.make_contract(setup.actor, setup.case_id, setup.pester_id, made_on=D(2026, 9, 7),
                            move_reason="Bedreiging met een mes: direct een contract.")
    assert pester_stage(setup) == "contract"
    (move,) = moves(setup.case_id)
    assert move.body == "Bedreiging met een mes: direct een contract."  # the user's, not ours
    assert move.stage_code == S("contract")


def test_contract_on_the_contract_stage_moves_nothing_and_needs_no_reason(db):
    setup = make_case()
    put_on_stage(setup, "contract")
    preview = contracts.ladder_preview(setup.case_id, setup.pester_id, actor=setup.actor)
    assert not preview.moves and not preview.needs_reason
    contracts.make_contract(setup.actor, setup.case_id, setup.pester_id, made_on=D(2026, 10, 1))
    assert [e.body for e in moves(setup.case_id)] == ["test set-up"]


def test_three_day_suspension_from_the_mentor_stage_needs_the_users_reason(db):
    setup = make_case()
    values = dict(first_day=D(2026, 10, 13), decided_on=D(2026, 10, 12), reason="Bedreiging",
                  hearing=HEARD, consultation=CONSULT, decided_by=setup.staff_id,
                  school_days=3)
    preview = sanctions.ladder_preview(setup.case_id, setup.pester_id, "schorsing", 3,
                                       actor=setup.actor)
    assert preview.needs_reason and preview.target_stage == S("schorsing_verlengd")
    before = counts()
    with pytest.raises(TransitionError) as refused:
        sanctions.decide_suspension(setup.actor, setup.case_id, setup.pester_id, **values)
    assert "Aanpak door de mentor" in refused.value.message
    assert counts() == before and pester_stage(setup) == "mentor"
    sanctions.decide_suspension(setup.actor, setup.case_id, setup.pester_id, **values,
                                move_reason="Geweld op het schoolplein.")
    assert pester_stage(setup) == "schorsing_verlengd"
    assert [e.body for e in moves(setup.case_id)] == ["Geweld op het schoolplein."]


def test_expulsion_skipping_the_ladder_needs_the_users_reason(db):
    setup = make_case()
    before = counts()
    with pytest.raises(TransitionError):
        sanctions.start_expulsion(setup.actor, setup.case_id, setup.pester_id,
                                  intention_on=D(2026, 11, 2), reason="Blijft pesten")
    assert counts() == before and pester_stage(setup) == "mentor"


def test_a_move_refused_outright_is_refused_with_a_reason_too(db):
    setup = make_case()
    case = m.Case.get_by_id(setup.case_id)
    cases.close_case(setup.actor, case.id, case.version, "Opgelost", on=D(2026, 9, 20))
    with pytest.raises(ServiceError):
        contracts.make_contract(setup.actor, setup.case_id, setup.pester_id,
                                made_on=D(2026, 9, 21), move_reason="toch")
    assert m.Contract.select().count() == 0


def test_a_broken_contract_on_a_closed_case_is_refused(db):
    setup = make_case()
    put_on_stage(setup, "contract")
    c = contracts.make_contract(setup.actor, setup.case_id, setup.pester_id,
                                made_on=D(2026, 10, 1))
    case = m.Case.get_by_id(setup.case_id)
    cases.close_case(setup.actor, case.id, case.version, "Opgelost", on=D(2026, 10, 20))
    before = counts()
    with pytest.raises(ServiceError):
        contracts.record_outcome(setup.actor, c.id, c.version, outcome="broken",
                                 on=D(2026, 11, 2))
    assert counts() == before and m.Contract.get_by_id(c.id).outcome == ""


def test_the_stored_stage_follows_the_move_in_the_same_call(db):
    setup = make_case()
    put_on_stage(setup, "contract")
    c = contracts.make_contract(setup.actor, setup.case_id, setup.pester_id,
                                made_on=D(2026, 10, 1))
    contracts.record_outcome(setup.actor, c.id, c.version, outcome="broken", on=D(2026, 11, 2))
    assert pester_stage(setup) == "schorsing_1_dag"
    assert m.Case.get_by_id(setup.case_id).stage_code == S("schorsing_1_dag")
    assessed = cases.assess(setup.case_id, actor=SYSTEM)
    assert assessed.pester(setup.pester_id).stage_code == S("schorsing_1_dag")


def test_accepting_the_relapse_proposal_is_not_a_deviation(db):
    setup = make_case(reported_on=D(2026, 9, 7))
    put_on_stage(setup, "afdelingscoordinator")
    first = m.Case.get_by_id(setup.case_id)
    cases.close_case(setup.actor, first.id, first.version, "Gestopt", on=D(2026, 10, 1))
    second = cases.register_report(setup.actor, ReportInput(
        reported_on=D(2026, 11, 2), summary="Weer uitschelden", involved=(
            InvolvedInput(setup.victim_id, "gepeste"),
            InvolvedInput(setup.pester_id, "pester"))))
    pester = cases.assess(second.id, actor=SYSTEM).pester(setup.pester_id)
    assert pester.proposed_stage_code == S("contract") and pester.required_open
    cases.escalate(setup.actor, second.id, setup.pester_id, target_stage=S("contract"),
                   on=D(2026, 11, 3))
    pester = cases.assess(second.id, actor=SYSTEM).pester(setup.pester_id)
    assert pester.stage_code == S("contract")
    assert [n.code for n in pester.notices if n.code == "moved_with_open_steps"] == []
    assert all("reden: -" not in n.message for n in pester.notices)
    (move,) = moves(second.id)
    assert move.body == ""  # no reason was made up for it


def test_moving_on_with_open_steps_and_a_reason_is_still_noted(db):
    setup = make_case()
    cases.escalate(setup.actor, setup.case_id, setup.pester_id, reason="Ernstig voorval",
                   on=D(2026, 9, 8))
    notices = cases.assess(setup.case_id, actor=SYSTEM).pester(setup.pester_id).notices
    noted = [n.message for n in notices if n.code == "moved_with_open_steps"]
    assert len(noted) == 1 and "Ernstig voorval" in noted[0]
