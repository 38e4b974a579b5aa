"""Who may decide, and in what order: only a holder of the deciding role is recorded as
deciding (declared per decision in the preset and the legal rules), and no decision step
is recorded while its hearing is open, in any stage."""

from __future__ import annotations

import datetime as dt

import pytest

from pestdesk import clock
from pestdesk.domain.sanctions import Hearing
from pestdesk.i18n import _
from pestdesk.services import cases, sanctions
from pestdesk.services.base import SYSTEM, ServiceError, write
from pestdesk.services.cases import TransitionError
from pestdesk.store import models as m
from tests.helpers.casework import make_case, make_staff, put_on_stage
from tests.helpers.renamed import T

D = dt.date
HEARD = Hearing(D(2026, 10, 12), ("leerling", "ouders"), "Beide kanten gehoord.")


@pytest.fixture(autouse=True)
def _day():
    clock.set_today(D(2026, 11, 20))


def counts() -> tuple[int, int, int]:
    return m.Sanction.select().count(), m.Event.select().count(), m.AuditLog.select().count()


def one_day(setup, actor=None, **kw):
    values = dict(first_day=D(2026, 10, 13), decided_on=D(2026, 10, 12), school_days=1,
                  reason="Schoppen", hearing=HEARD)
    values.update(kw)
    return sanctions.decide_suspension(actor or setup.actor, setup.case_id, setup.pester_id,
                                       **values)


def test_a_mentor_cannot_be_recorded_as_deciding_a_one_day_suspension(db):
    setup = make_case()
    put_on_stage(setup, "schorsing_1_dag")
    mentor = make_staff("MEN", "Mentorsma", "mentor")
    before = counts()
    with pytest.raises(ServiceError) as refused:
        one_day(setup, decided_by=mentor.id)
    assert refused.value.code == "not_a_decider"
    text = str(refused.value)
    assert "Zara Mentorsma" in text and "adjunct-directeur / directie" in text
    assert counts() == before  # nothing written, the decision step not ticked
    # only those holding the deciding role are offered
    offered = [sid for sid, _code, _name in sanctions.deciders(setup.case_id, "schorsing")]
    assert offered == [setup.staff_id] and mentor.id not in offered
    sanction = one_day(setup, decided_by=setup.staff_id)
    assert sanction.decided_by_id == setup.staff_id
    assessed = cases.assess(setup.case_id, actor=SYSTEM)
    done = {s.code for s in assessed.pester(setup.pester_id).done_steps}
    assert {T("horen"), T("besluit")} <= done


def test_without_a_name_the_recorder_decides_only_if_they_hold_the_role(db):
    setup = make_case()
    put_on_stage(setup, "schorsing_1_dag")
    mentor = make_staff("MEN", "Mentorsma", "mentor")
    from pestdesk.services.base import Actor

    with write():
        user = m.User.create(username="men", staff=mentor)
    as_mentor = Actor(user_id=user.id, username="men", staff_id=mentor.id,
                      roles=frozenset({"mentor", "ondersteuningscoordinator"}))
    with pytest.raises(ServiceError) as refused:
        one_day(setup, actor=as_mentor)
    assert refused.value.code == "not_a_decider"
    sanction = one_day(setup)  # the coordinator who is also the adjunct-directeur
    assert sanction.decided_by_id == setup.staff_id


def test_an_unconfirmed_directie_role_does_not_decide(db):
    setup = make_case()
    put_on_stage(setup, "schorsing_1_dag")
    waiting = make_staff("NEW", "Nieuw", "directie")
    with write():
        m.RoleGrant.create(staff=waiting, value="directie", kind="role")
    assert waiting.id not in [s for s, _c, _n in sanctions.deciders(setup.case_id,
                                                                     "schorsing")]
    with pytest.raises(ServiceError):
        one_day(setup, decided_by=waiting.id)


def test_the_expulsion_decision_is_the_directies(db):
    setup = make_case()
    put_on_stage(setup, "schoolverwijdering")
    mentor = make_staff("MEN", "Mentorsma", "mentor")
    with pytest.raises(ServiceError) as refused:
        sanctions.start_expulsion(setup.actor, setup.case_id, setup.pester_id,
                                  intention_on=D(2026, 10, 1), reason="Geweld",
                                  decided_by=mentor.id)
    assert refused.value.code == "not_a_decider"
    s = sanctions.start_expulsion(setup.actor, setup.case_id, setup.pester_id,
                                  intention_on=D(2026, 10, 1), reason="Geweld")
    assert s.decided_by_id == setup.staff_id


@pytest.mark.parametrize("stage", ["schorsing_1_dag", "schorsing_verlengd",
                                   "schoolverwijdering"])
def test_no_decision_step_while_the_hearing_is_open_in_any_stage(db, stage):
    setup = make_case()
    put_on_stage(setup, stage)
    pester = cases.assess(setup.case_id, actor=SYSTEM).pester(setup.pester_id)
    decision = next(s for s in pester.open_steps if s.code == T("besluit"))
    assert decision.waits_for  # listed as waiting for the hearing
    assert pester.next_step is None or pester.next_step.step_code != T("besluit")
    before = counts()
    with pytest.raises(TransitionError) as refused:
        cases.record_step(setup.actor, setup.case_id, T("besluit"), on=D(2026, 10, 5),
                          student_id=setup.pester_id)
    assert T("horen") in refused.value.missing
    assert counts() == before
    cases.record_step(setup.actor, setup.case_id, T("horen"), on=D(2026, 10, 5),
                      student_id=setup.pester_id)
    pester = cases.assess(setup.case_id, actor=SYSTEM).pester(setup.pester_id)
    assert not next(s for s in pester.open_steps if s.code == T("besluit")).waits_for
    cases.record_step(setup.actor, setup.case_id, T("besluit"), on=D(2026, 10, 5),
                      student_id=setup.pester_id)


def test_the_one_day_stage_suggests_the_hearing_first(db):
    setup = make_case()
    put_on_stage(setup, "schorsing_1_dag")
    pester = cases.assess(setup.case_id, actor=SYSTEM).pester(setup.pester_id)
    assert pester.next_step.step_code == T("horen")
    assert [s.code for s in pester.open_steps][:2] == [T("horen"), T("besluit")]
    message = _("'{step}' comes after '{hearing}': no decision before the student and the "
                "parents have been heard. Record the hearing first.")
    assert "{hearing}" in message  # the refusal names the hearing to record
