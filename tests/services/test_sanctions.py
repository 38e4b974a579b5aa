"""Suspensions and expulsions within the law: school days, hearing, inspectorate, procedure."""

from __future__ import annotations

import datetime as dt

import pytest

from pestdesk.domain.sanctions import Hearing
from pestdesk.domain.schooldays import FreePeriod
from pestdesk.services import calendar, cases, sanctions
from pestdesk.services.base import SYSTEM, ServiceError
from pestdesk.services.sanctions import Consultation
from pestdesk.services.settings import SchoolProfile, save_school_profile
from pestdesk.store import models as m
from tests.helpers.casework import make_case, pester_stage, put_on_stage
from tests.helpers.renamed import S, T

D = dt.date
HEARD = Hearing(D(2026, 10, 12), ("leerling", "ouders"), "Beide kanten gehoord.")
CONSULT = Consultation(D(2026, 10, 12), "adjunct-directeur")


def _suspend(setup, **kw):
    values = dict(first_day=D(2026, 10, 13), decided_on=D(2026, 10, 12), reason="Bedreiging",
                  hearing=HEARD, consultation=CONSULT, decided_by=setup.staff_id,
                  move_reason="Ernstige bedreiging")
    values.update(kw)
    return sanctions.decide_suspension(setup.actor, setup.case_id, setup.pester_id, **values)


def test_six_school_days_refused_and_nothing_saved(db):
    setup = make_case()
    with pytest.raises(ServiceError) as exc:
        _suspend(setup, school_days=6)
    assert exc.value.code == "too_long" and "WVO 2020" in str(exc.value)
    assert m.Sanction.select().count() == 0


def test_three_days_raise_the_inspectorate_task_with_deadline(db):
    setup = make_case()
    put_on_stage(setup, "schorsing_1_dag")
    # Tue 13 Oct + 3 school days, over the weekend: last day Thursday 15 Oct
    s = _suspend(setup, school_days=3)
    assert s.last_day == D(2026, 10, 15)
    assert s.inspectie_due_on == D(2026, 10, 14)  # two school days after Monday 12 Oct
    tasks = sanctions.open_legal_tasks(setup.case_id)
    assert [t.code for t in tasks] == ["inspectie"]
    assert tasks[0].due_on == D(2026, 10, 14)
    with pytest.raises(ServiceError):
        sanctions.refuse_close_if_open(setup.case_id)
    case = m.Case.get_by_id(setup.case_id)
    with pytest.raises(ServiceError, match="inspectie"):  # the case service refuses too
        cases.close_case(setup.actor, case.id, case.version, "Pesten gestopt.",
                         on=D(2026, 10, 13))
    assert m.Case.get_by_id(setup.case_id).status == "open"
    assert pester_stage(setup) == "schorsing_verlengd"
    s = sanctions.record_inspectie_report(setup.actor, s.id, s.version, reported_on=D(2026, 10, 13),
                                          reported_by="A. de Vries", reference="ISD-12345")
    assert s.inspectie_reported_on == D(2026, 10, 13)
    assert sanctions.open_legal_tasks(setup.case_id) == []
    sanctions.refuse_close_if_open(setup.case_id)
    steps = {e.step_code
             for e in m.Event.select().where(m.Event.stage_code == S("schorsing_verlengd"))}
    assert {T("overleg_adjunct"), T("horen"), T("melding_inspectie")} <= steps


def test_school_calendar_counts_across_the_vacation(db):
    setup = make_case()
    calendar.add_period(setup.actor, D(2026, 10, 17), D(2026, 10, 25), "herfstvakantie")
    s = _suspend(setup, first_day=D(2026, 10, 15), school_days=3)
    assert s.last_day == D(2026, 10, 26)


def test_longer_suspension_needs_the_consultation(db):
    setup = make_case()
    with pytest.raises(ServiceError) as exc:
        _suspend(setup, school_days=2, consultation=None)
    assert "adjunct" in str(exc.value).lower()


def test_no_suspension_without_hearing(db):
    setup = make_case()
    with pytest.raises(ServiceError):
        _suspend(setup, school_days=1, hearing=None)
    assert m.Sanction.select().count() == 0 and m.Event.select().count() == 0


def test_letter_data_objection_per_denomination_and_adult_addressee(db):
    setup = make_case(pester_birth=D(2008, 1, 1))
    s = _suspend(setup, school_days=1, schoolwork="Opdrachten via de mentor",
                 return_meeting_on=D(2026, 10, 14))
    save_school_profile(setup.actor, SchoolProfile(name="Testschool", denomination="bijzonder"))
    data = sanctions.suspension_letter_data(s.id)
    assert "civiele rechter" in data["sanction"]["bezwaar"]
    assert data["addressee"] == "student"
    assert data["meeting"]["datum"] == D(2026, 10, 14)
    assert sanctions.missing_letter_parts(s.id) == []


def test_expulsion_procedure_steps_in_order(db):
    setup = make_case()
    put_on_stage(setup, "act_opdc")
    s = sanctions.start_expulsion(setup.actor, setup.case_id, setup.pester_id,
                                  intention_on=D(2026, 11, 2), reason="Blijft pesten",
                                  move_reason="Advies ACT: geen plaatsing mogelijk")
    assert pester_stage(setup) == "schoolverwijdering"
    assert [t.code for t in sanctions.open_legal_tasks(setup.case_id)] == ["inspectie"]
    # a decision before the hearing is refused
    with pytest.raises(ServiceError) as exc:
        sanctions.decide_expulsion(setup.actor, s.id, s.version, decided_on=D(2026, 11, 10))
    assert getattr(exc.value, "code", "") == "no_hearing"
    with pytest.raises(ServiceError):
        sanctions.record_expulsion_step(setup.actor, s.id, "brief", D(2026, 11, 10))
    s = sanctions.record_expulsion_hearing(
        setup.actor, s.id, s.version,
        Hearing(D(2026, 11, 4), ("leerling", "ouders", "leraren"), "Gehoord."))
    # still refused: the inspectorate has not been consulted
    with pytest.raises(ServiceError):
        sanctions.decide_expulsion(setup.actor, s.id, s.version, decided_on=D(2026, 11, 10))
    s = sanctions.record_inspectie_report(setup.actor, s.id, s.version, reported_on=D(2026, 11, 3),
                                          reported_by="directie", reference="ISD-1")
    sanctions.record_expulsion_step(setup.actor, s.id, "leerplicht", D(2026, 11, 3))
    s = sanctions.decide_expulsion(setup.actor, s.id, s.version, decided_on=D(2026, 11, 10))
    assert s.kind == "verwijdering"
    # the decision itself is a new notification to the inspectorate
    assert [t.code for t in sanctions.open_legal_tasks(setup.case_id)] == ["inspectie"]
    sanctions.record_expulsion_step(setup.actor, s.id, "brief", D(2026, 11, 11))
    sanctions.record_expulsion_step(setup.actor, s.id, "andere_school", D(2026, 11, 12),
                                    school="Noordercollege", outcome="refused")
    sanctions.record_expulsion_step(setup.actor, s.id, "bezwaar", D(2026, 11, 20))
    deadlines = {d.code: d for d in sanctions.expulsion_deadlines(s.id)}
    assert deadlines["bezwaar"].due_on == D(2026, 12, 23)
    assert deadlines["beslissing_bezwaar"].due_on == D(2026, 12, 18)
    assert deadlines["andere_school"].due_on == D(2027, 1, 5)
    assert deadlines["horen"].done_on == D(2026, 11, 4)
    codes = [t.code for t in sanctions.open_legal_tasks(setup.case_id)]
    assert codes == ["inspectie", "beslissing_bezwaar"]
    timeline = [e.kind for e in m.Event.select().where(m.Event.case == setup.case_id)
                .order_by(m.Event.occurred_on, m.Event.id)]
    assert "hearing" in timeline and "expulsion_step" in timeline


def test_overlapping_free_periods_refused(db):
    setup = make_case()
    with pytest.raises(ServiceError):
        calendar.save_calendar(setup.actor, [FreePeriod(D(2026, 10, 17), D(2026, 10, 25)),
                                             FreePeriod(D(2026, 10, 20), D(2026, 10, 30))])
    assert not calendar.is_configured()


def test_the_letter_knows_whether_the_inspectorate_was_told(db):
    from pestdesk.services import letters

    setup = make_case()
    put_on_stage(setup, "schorsing_1_dag")
    s = _suspend(setup, school_days=3)
    data = letters.merge_data_for(setup.case_id, setup.pester_id, "schorsing_verlengd",
                                  actor=SYSTEM)
    assert data["sanction"]["inspectie_gemeld"] == "nee"
    sanctions.record_inspectie_report(setup.actor, s.id, s.version, reported_on=D(2026, 10, 13),
                                      reported_by="A. de Vries", reference="ISD-1")
    data = letters.merge_data_for(setup.case_id, setup.pester_id, "schorsing_verlengd",
                                  actor=SYSTEM)
    assert data["sanction"]["inspectie_gemeld"] == "ja"
