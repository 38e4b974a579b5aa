"""Every deadline the engine or the legal rules compute falls on a school day of the school's
own calendar (weekends, public holidays and the vacations the school entered roll on)."""

from __future__ import annotations

import datetime as dt

import pytest

from pestdesk import clock
from pestdesk.domain.sanctions import Hearing
from pestdesk.domain.schooldays import FreePeriod
from pestdesk.services import calendar, cases, contracts, sanctions
from pestdesk.services.base import SYSTEM
from pestdesk.store import models as m
from tests.helpers.casework import make_case, put_on_stage
from tests.helpers.renamed import T

D = dt.date


@pytest.fixture(autouse=True)
def _day():
    clock.set_today(D(2026, 12, 1))


def _free_week():
    calendar.save_calendar(SYSTEM, [FreePeriod(D(2026, 12, 7), D(2026, 12, 11), "studieweek"),
                                    FreePeriod(D(2026, 12, 21), D(2027, 1, 1), "kerstvakantie")])


def test_the_cases_due_dates_follow_the_schools_calendar(db):
    setup = make_case(reported_on=D(2026, 11, 30))  # a Monday
    assessed = cases.assess(setup.case_id, actor=SYSTEM)
    dues = {s.code: s.due_on for s in assessed.pester(setup.pester_id).open_steps}
    assert dues[T("ouders_gepeste")] == D(2026, 12, 7)  # not Saturday 5 December
    _free_week()
    assessment = cases.assess(setup.case_id, actor=SYSTEM)
    dues = {s.code: s.due_on for s in assessment.pester(setup.pester_id).open_steps}
    assert dues[T("ouders_gepeste")] == D(2026, 12, 14)  # after the school's free week
    school = calendar.school_calendar()
    assert all(school.is_school_day(d) for d in dues.values() if d)
    # the stored next due date (Overzicht, lists) is the engine's, refreshed on the next write
    cases.record_step(setup.actor, setup.case_id, T("gesprek_gepeste"), on=D(2026, 11, 30))
    case = m.Case.get_by_id(setup.case_id)
    assert case.next_due_on == min(d for c, d in dues.items()
                                   if c != T("gesprek_gepeste") and d)
    assert school.is_school_day(case.next_due_on)


def test_the_contracts_evaluation_date_is_a_school_day(db):
    _free_week()
    setup = make_case()
    put_on_stage(setup, "contract")
    # 42 days after Thursday 12 November 2026 is Thursday 24 December: Christmas holidays
    evaluate_on = contracts.default_evaluate_on(cases.protocol_for(setup.case_id),
                                                D(2026, 11, 12))
    assert evaluate_on == D(2027, 1, 4)


def test_the_expulsion_terms_end_on_school_days(db):
    clock.set_today(D(2026, 12, 18))
    _free_week()
    setup = make_case()
    put_on_stage(setup, "schoolverwijdering", on=D(2026, 11, 2))
    sanction = sanctions.start_expulsion(setup.actor, setup.case_id, setup.pester_id,
                                         intention_on=D(2026, 11, 5), reason="Geweld",
                                         decided_by=setup.staff_id)
    sanction = sanctions.record_expulsion_hearing(
        setup.actor, sanction.id, sanction.version,
        Hearing(D(2026, 11, 9), ("leerling", "ouders", "leraren"), "Gehoord."))
    sanctions.record_inspectie_report(setup.actor, sanction.id, sanction.version,
                                      reported_on=D(2026, 11, 6), reported_by="ZC",
                                      reference="ISD-1")
    sanction = m.Sanction.get_by_id(sanction.id)
    sanctions.decide_expulsion(setup.actor, sanction.id, sanction.version,
                               decided_on=D(2026, 11, 10), decided_by=setup.staff_id)
    sanctions.record_expulsion_step(setup.actor, sanction.id, "brief", D(2026, 11, 12))
    deadlines = {d.code: d.due_on for d in sanctions.expulsion_deadlines(sanction.id)}
    school = calendar.school_calendar()
    # six weeks after 12 November is 24 December: Christmas holidays, so 4 January
    assert deadlines["bezwaar"] == D(2027, 1, 4)
    assert deadlines["geschillencommissie"] == D(2027, 1, 4)
    assert all(school.is_school_day(d) for d in deadlines.values() if d)
