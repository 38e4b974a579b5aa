"""The legal rules for suspension and expulsion, read from resources/legal/nl-wvo.toml."""

from __future__ import annotations

import datetime as dt

import pytest

from pestdesk.domain import sanctions as s
from pestdesk.domain.schooldays import FreePeriod, SchoolCalendar

D = dt.date
CAL = SchoolCalendar((FreePeriod(D(2026, 10, 17), D(2026, 10, 25), "herfstvakantie"),))


@pytest.fixture
def rules():
    return s.load_legal_rules()


def test_shipped_rules_name_articles_and_limits(rules):
    assert rules.max_school_days == 5
    assert rules.report_over_days == 1
    assert rules.search_weeks == 8 and rules.objection_weeks == 6
    assert rules.objection_decision_weeks == 4
    assert "WVO 2020" in rules.article("schorsing")
    assert "bestuursrechter" in rules.objection_text("openbaar")
    assert "civiele rechter" in rules.objection_text("bijzonder")
    assert rules.objection_text("bijzonder") != rules.objection_text("openbaar")


def test_six_school_days_refused_with_reason_and_article(rules):
    with pytest.raises(s.SanctionRefused) as exc:
        s.plan_suspension(rules, CAL, s.SCHORSING, D(2026, 10, 5), school_days=6)
    assert exc.value.code == "too_long"
    assert "WVO 2020" in exc.value.message


def test_internal_suspension_has_the_same_limit(rules):
    with pytest.raises(s.SanctionRefused):
        s.plan_suspension(rules, CAL, s.INTERNE_SCHORSING, D(2026, 10, 5),
                          last_day=D(2026, 10, 12))  # Mon..Mon = 6 school days


def test_five_days_across_a_vacation_is_allowed(rules):
    plan = s.plan_suspension(rules, CAL, s.SCHORSING, D(2026, 10, 15), school_days=5)
    assert plan.last_day == D(2026, 10, 28)
    assert plan.inspectie_required
    assert len(plan.free_days) == 5


def test_one_day_needs_no_inspectorate(rules):
    plan = s.plan_suspension(rules, CAL, s.SCHORSING, D(2026, 10, 5), school_days=1)
    assert plan.last_day == D(2026, 10, 5) and not plan.inspectie_required


def test_first_day_must_be_a_school_day(rules):
    with pytest.raises(s.SanctionRefused):
        s.plan_suspension(rules, CAL, s.SCHORSING, D(2026, 10, 3), school_days=1)


def test_no_decision_without_hearing(rules):
    with pytest.raises(s.SanctionRefused) as exc:
        s.check_hearing(rules, s.SCHORSING, None, D(2026, 10, 5))
    assert exc.value.code == "no_hearing"
    with pytest.raises(s.SanctionRefused):
        s.check_hearing(rules, s.SCHORSING,
                        s.Hearing(D(2026, 10, 6), ("leerling",)), D(2026, 10, 5))
    s.check_hearing(rules, s.SCHORSING, s.Hearing(D(2026, 10, 5), ("leerling", "ouders")),
                    D(2026, 10, 5))


def test_expulsion_hearing_must_include_teachers(rules):
    with pytest.raises(s.SanctionRefused) as exc:
        s.check_hearing(rules, s.VERWIJDERING,
                        s.Hearing(D(2026, 10, 5), ("leerling", "ouders")), D(2026, 10, 9))
    assert exc.value.code == "hearing_incomplete"


def test_adult_student_is_addressed_directly(rules):
    assert s.addressee(rules, D(2008, 10, 5), D(2026, 10, 5)) == "student"
    assert s.addressee(rules, D(2008, 10, 6), D(2026, 10, 5)) == "guardians"
    assert s.addressee(rules, None, D(2026, 10, 5)) == "guardians"


def test_expulsion_steps_in_order_and_deadlines(rules):
    state = s.ExpulsionState(intention_on=D(2026, 11, 2))
    with pytest.raises(s.SanctionRefused):
        s.check_expulsion_step(rules, state, "besluit", D(2026, 11, 10))
    with pytest.raises(s.SanctionRefused):
        s.check_expulsion_step(rules, state, "brief", D(2026, 11, 10))
    heard = s.Hearing(D(2026, 11, 5), ("leerling", "ouders", "leraren"), "gehoord")
    state = s.ExpulsionState(intention_on=D(2026, 11, 2), hearing=heard,
                             inspectie_on=D(2026, 11, 3))
    s.check_expulsion_step(rules, state, "besluit", D(2026, 11, 10))
    decided = s.ExpulsionState(intention_on=D(2026, 11, 2), hearing=heard,
                               inspectie_on=D(2026, 11, 3), decided_on=D(2026, 11, 10),
                               letter_on=D(2026, 11, 11), objection_on=D(2026, 11, 20))
    due = {d.code: d.due_on for d in s.expulsion_deadlines(rules, CAL, decided)}
    assert due["andere_school"] == D(2027, 1, 5)  # eight weeks after the decision
    assert due["bezwaar"] == D(2026, 12, 23)  # six weeks after the letter
    assert due["beslissing_bezwaar"] == D(2026, 12, 18)  # four weeks after the objection
    ok, _why = s.expulsion_may_take_effect(rules, decided, D(2026, 12, 1))
    assert not ok


def test_broken_rules_file_is_refused(tmp_path):
    path = tmp_path / "rules.toml"
    path.write_text('format = 1\n[suspension]\nmax_school_days = "vijf"\n', encoding="utf-8")
    with pytest.raises(s.LegalRulesError):
        s.load_legal_rules(path)
