"""The protocol engine, scenario by scenario, written from the two schools' protocols."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys

import pytest

from pestdesk.domain.engine import (
    CaseHistory,
    HistoryEntry,
    PriorCase,
    TransitionRefused,
    check_transition,
    evaluate,
)
from pestdesk.domain.protocol import get_protocol

DAY0 = dt.date(2026, 9, 7)  # a Monday
VICTIM, PIET, KEES = 1, 2, 3
MENTOR_REQUIRED = [
    "gesprek_gepeste",
    "gesprek_pester",
    "gezamenlijk_gesprek",
    "ouders_gepeste",
    "ouders_pester",
    "vervolgtraject_bespreken",
    "klassengesprek",
    "vastleggen",
]


@pytest.fixture
def doul():
    return get_protocol("doultremont")


@pytest.fixture
def dalton():
    return get_protocol("dalton-alkmaar")


def day(n: int) -> dt.date:
    return DAY0 + dt.timedelta(days=n)


def case(*entries: HistoryEntry, pesters=(PIET,), **kwargs) -> CaseHistory:
    return CaseHistory(
        case_id=10, reported_on=DAY0, pesters=list(pesters), entries=list(entries), **kwargs
    )


def done(step: str, n: int = 0, student: int | None = None, stage: str = "") -> HistoryEntry:
    return HistoryEntry("step_done", day(n), student, step_code=step, stage_code=stage)


def entry(kind: str, n: int = 0, student: int | None = None, stage: str = "", reason: str = ""):
    return HistoryEntry(kind, day(n), student, stage_code=stage, reason=reason)


def all_mentor_steps(student: int | None = None) -> list[HistoryEntry]:
    return [done(code, 1, student) for code in MENTOR_REQUIRED]


# --- the first stage -----------------------------------------------------------------------------


def test_new_case_suggests_the_mentors_talk_with_the_victim_first(doul):
    result = evaluate(doul, case(), DAY0)
    piet = result.pester(PIET)
    assert piet.stage_code == "mentor"
    assert piet.next_step.step_code == "gesprek_gepeste"
    assert piet.next_step.role_code == "mentor"
    assert piet.next_step.role_title == "mentor"
    assert piet.next_step.guide == "gepeste"
    assert [s.code for s in piet.required_open] == MENTOR_REQUIRED
    assert result.stage_code == "mentor"
    assert result.status == "open"


def test_after_the_victim_the_bully_is_next(doul):
    result = evaluate(doul, case(done("gesprek_gepeste", 0, VICTIM)), DAY0)
    piet = result.pester(PIET)
    assert [s.code for s in piet.done_steps] == ["gesprek_gepeste"]
    assert piet.next_step.step_code == "gesprek_pester"
    assert piet.next_step.guide == "pester"


def test_next_step_carries_the_letter(doul):
    history = case(*[done(c) for c in MENTOR_REQUIRED[:4]])
    piet = evaluate(doul, history, DAY0).pester(PIET)
    assert piet.next_step.step_code == "ouders_pester"
    assert piet.next_step.letter == "informeren_ouders_pester"


def test_all_required_done_leaves_no_next_step_on_the_mentor_stage(doul):
    piet = evaluate(doul, case(*all_mentor_steps()), day(2)).pester(PIET)
    assert piet.required_open == ()
    assert piet.next_step is None


def test_without_a_bully_there_is_no_ladder_yet(doul):
    result = evaluate(doul, case(pesters=()), DAY0)
    assert result.pesters == ()
    assert result.stage_code == ""
    assert "no_pester" in {n.code for n in result.notices}


# --- escalation ----------------------------------------------------------------------------------


def test_escalation_refused_while_required_steps_are_open(doul):
    history = case(done("gesprek_gepeste"))
    with pytest.raises(TransitionRefused) as info:
        check_transition(doul, history, PIET, "escalate")
    assert "gesprek_pester" in info.value.missing
    assert "gesprek_gepeste" not in info.value.missing
    assert "Apart gesprek met de pester" in info.value.message


def test_escalation_allowed_with_a_reason(doul):
    history = case(done("gesprek_gepeste"))
    check_transition(doul, history, PIET, "escalate", reason="pesten buiten de klas")
    history.entries.append(entry("escalate", 1, PIET, reason="pesten buiten de klas"))
    piet = evaluate(doul, history, day(1)).pester(PIET)
    assert piet.stage_code == "afdelingscoordinator"
    assert piet.role_title == "afdelingscoördinator"
    assert "moved_with_open_steps" in {n.code for n in piet.notices}


def test_escalation_allowed_without_reason_when_required_steps_are_done(doul):
    check_transition(doul, case(*all_mentor_steps()), PIET, "escalate")


def test_skipping_a_stage_needs_a_reason(doul):
    history = case(*all_mentor_steps())
    with pytest.raises(TransitionRefused):
        check_transition(doul, history, PIET, "escalate", target_stage="contract")
    check_transition(doul, history, PIET, "escalate", "contract", reason="ernstig geweld")


def test_escalating_to_an_earlier_or_unknown_stage_is_refused(doul):
    history = case(entry("escalate", 1, PIET, reason="x"))
    with pytest.raises(TransitionRefused):
        check_transition(doul, history, PIET, "escalate", "mentor", reason="x")
    with pytest.raises(TransitionRefused):
        check_transition(doul, history, PIET, "escalate", "strafwerk", reason="x")


def test_the_last_stage_cannot_be_escalated(doul):
    history = case(entry("escalate", 1, PIET, "schoolverwijdering", reason="x"))
    assert evaluate(doul, history, day(1)).pester(PIET).is_last_stage
    with pytest.raises(TransitionRefused):
        check_transition(doul, history, PIET, "escalate", reason="x")


def test_going_back_a_stage_needs_a_reason(doul):
    history = case(entry("escalate", 1, PIET, reason="x"))
    with pytest.raises(TransitionRefused):
        check_transition(doul, history, PIET, "deescalate")
    check_transition(doul, history, PIET, "deescalate", reason="verkeerd ingeschaald")
    history.entries.append(entry("deescalate", 2, PIET, reason="verkeerd ingeschaald"))
    assert evaluate(doul, history, day(2)).pester(PIET).stage_code == "mentor"


def test_no_way_back_from_the_first_stage(doul):
    with pytest.raises(TransitionRefused):
        check_transition(doul, case(), PIET, "deescalate", reason="x")


def test_ladder_moves_only_for_bullies(doul):
    with pytest.raises(TransitionRefused):
        check_transition(doul, case(), VICTIM, "escalate", reason="x")


def test_steps_are_not_transitions(doul):
    with pytest.raises(ValueError):
        check_transition(doul, case(), PIET, "step_done")


# --- per pester ----------------------------------------------------------------------------------


def test_two_bullies_stand_on_different_stages(doul):
    history = case(
        done("gesprek_gepeste", 0, VICTIM),
        done("gesprek_pester", 1, PIET),
        entry("escalate", 2, KEES, reason="pest ook in andere klassen"),
        pesters=(PIET, KEES),
    )
    result = evaluate(doul, history, day(2))
    piet, kees = result.pester(PIET), result.pester(KEES)
    assert piet.stage_code == "mentor"
    assert kees.stage_code == "afdelingscoordinator"
    assert result.stage_code == "afdelingscoordinator"
    assert "gesprek_pester" in {s.code for s in piet.done_steps}
    assert piet.next_step.step_code == "gezamenlijk_gesprek"
    assert kees.next_step.step_code == "dossier_overdragen"
    assert kees.entered_on == day(2)


def test_a_bully_step_counts_only_for_that_bully(doul):
    history = case(done("gesprek_pester", 1, PIET), pesters=(PIET, KEES))
    result = evaluate(doul, history, day(1))
    assert "gesprek_pester" in {s.code for s in result.pester(PIET).done_steps}
    assert "gesprek_pester" in {s.code for s in result.pester(KEES).required_open}


def test_a_case_step_counts_for_every_bully_on_that_stage(doul):
    history = case(
        entry("escalate", 1, KEES, reason="x"),
        done("klassengesprek", 2, PIET),
        pesters=(PIET, KEES, 4),
    )
    result = evaluate(doul, history, day(2))
    assert "klassengesprek" in {s.code for s in result.pester(4).done_steps}
    assert result.pester(KEES).stage_code == "afdelingscoordinator"
    assert "klassengesprek" not in {s.code for s in result.pester(KEES).done_steps}


def test_a_step_on_no_current_stage_is_reported(doul):
    result = evaluate(doul, case(done("contract_tekenen", 1)), day(1))
    assert "step_not_on_stage" in {n.code for n in result.notices}


# --- relapse -------------------------------------------------------------------------------------


def prior(case_id: int, stage: str) -> PriorCase:
    return PriorCase(case_id, dt.date(2025, 10, 1), dt.date(2025, 12, 1), stage)


def test_relapse_links_the_earlier_case_and_proposes_the_next_stage(doul):
    history = case(prior_cases={PIET: [prior(4, "mentor"), prior(6, "afdelingscoordinator")]})
    piet = evaluate(doul, history, DAY0).pester(PIET)
    assert piet.relapse.relapse_of == (4, 6)
    assert piet.relapse.highest_stage_code == "afdelingscoordinator"
    assert piet.relapse.proposed_stage_code == "contract"
    assert piet.proposed_stage_code == "contract"
    assert piet.proposal_reason == "relapse"
    assert "relapse" in {n.code for n in piet.notices}


def test_relapse_stage_can_be_taken_without_reason_but_not_beyond(doul):
    history = case(prior_cases={PIET: [prior(6, "afdelingscoordinator")]})
    check_transition(doul, history, PIET, "escalate", target_stage="contract")
    with pytest.raises(TransitionRefused):
        check_transition(doul, history, PIET, "escalate", target_stage="schorsing_1_dag")


def test_the_case_itself_is_not_a_relapse_of_itself(doul):
    history = case(prior_cases={PIET: [prior(10, "contract")]})
    assert evaluate(doul, history, DAY0).pester(PIET).relapse is None


def test_relapse_after_the_last_stage_proposes_the_last_stage(doul):
    history = case(prior_cases={PIET: [prior(3, "schoolverwijdering")]})
    relapse = evaluate(doul, history, DAY0).pester(PIET).relapse
    assert relapse.proposed_stage_code == "schoolverwijdering"


def test_relapse_in_dalton_goes_to_the_afdelingsleider(dalton):
    history = case(prior_cases={PIET: [prior(2, "mentor")]})
    piet = evaluate(dalton, history, DAY0).pester(PIET)
    assert piet.proposed_stage_code == "afdelingsleider"


# --- contract ------------------------------------------------------------------------------------


def test_a_broken_contract_moves_the_bully_on(doul):
    history = case(
        entry("escalate", 1, PIET, "contract", reason="recidive"),
        entry("contract_broken", 20, PIET),
        pesters=(PIET, KEES),
    )
    result = evaluate(doul, history, day(20))
    piet = result.pester(PIET)
    assert piet.stage_code == "schorsing_1_dag"
    assert piet.entered_on == day(20)
    assert "contract_broken" in {n.code for n in piet.notices}
    assert result.pester(KEES).stage_code == "mentor"


def test_a_kept_contract_moves_nothing(doul):
    history = case(
        entry("escalate", 1, PIET, "contract", reason="recidive"),
        entry("contract_kept", 40, PIET),
    )
    piet = evaluate(doul, history, day(40)).pester(PIET)
    assert piet.stage_code == "contract"
    assert "contract_kept" in {n.code for n in piet.notices}


# --- closing -------------------------------------------------------------------------------------


def test_closing_needs_a_reason(doul):
    with pytest.raises(TransitionRefused):
        check_transition(doul, case(), None, "close")
    with pytest.raises(TransitionRefused):
        check_transition(doul, case(), None, "close", reason="   ")
    check_transition(doul, case(), None, "close", reason="pesten gestopt, evaluatie positief")


def test_a_closed_case_has_no_next_steps_and_must_be_reopened(doul):
    history = case(entry("close", 5, reason="opgelost"))
    result = evaluate(doul, history, day(30))
    assert result.status == "closed"
    assert result.pester(PIET).next_step is None
    assert result.overdue_count == 0
    with pytest.raises(TransitionRefused):
        check_transition(doul, history, None, "close", reason="nogmaals")
    with pytest.raises(TransitionRefused):
        check_transition(doul, history, PIET, "escalate", reason="x")
    check_transition(doul, history, None, "reopen")
    history.entries.append(entry("reopen", 31))
    assert evaluate(doul, history, day(31)).status == "open"


def test_an_open_case_cannot_be_reopened(doul):
    with pytest.raises(TransitionRefused):
        check_transition(doul, case(), None, "reopen")


# --- deadlines -----------------------------------------------------------------------------------


def test_overdue_steps_from_due_days(doul):
    # gesprek_gepeste is due 2 days after the report, gesprek_pester after 4.
    piet = evaluate(doul, case(), day(2)).pester(PIET)
    assert piet.overdue == ()
    piet = evaluate(doul, case(), day(3)).pester(PIET)
    assert [s.code for s in piet.overdue] == ["gesprek_gepeste"]
    assert piet.overdue[0].due_on == day(2)
    assert "overdue" in {n.code for n in piet.notices}
    piet = evaluate(doul, case(done("gesprek_gepeste", 3)), day(5)).pester(PIET)
    assert [s.code for s in piet.overdue] == ["gesprek_pester"]


def test_next_due_date_of_the_case(doul):
    result = evaluate(doul, case(done("gesprek_gepeste")), DAY0)
    assert result.next_due_on == day(4)


def test_due_dates_count_from_entering_the_stage(doul):
    history = case(entry("escalate", 10, PIET, reason="x"))
    piet = evaluate(doul, history, day(10)).pester(PIET)
    due = {s.code: s.due_on for s in piet.open_steps}
    assert due["dossier_overdragen"] == day(14)  # day 12 is a Saturday: the Monday after
    assert due["gesprek_pester"] == day(15)  # entered on day 10 (Thursday) + 5
    assert due["gesprek_gepeste"] is None  # optional, no due date


def test_optional_steps_are_never_overdue(doul):
    history = case(entry("escalate", 0, PIET, reason="x"))
    piet = evaluate(doul, history, day(100)).pester(PIET)
    assert all(s.required for s in piet.overdue)
    assert "hulp_adviseren" in {s.code for s in piet.open_steps}


# --- cyberbullying -------------------------------------------------------------------------------


def test_a_case_that_is_not_cyber_has_no_checklist(doul):
    assert evaluate(doul, case(), DAY0).cyber is None


def test_cyber_checklist_done_and_open(doul):
    history = case(done("bewijs_bewaren", 0), is_cyber=True)
    cyber = evaluate(doul, history, DAY0).cyber
    status = {i.code: i.status for i in cyber.items}
    assert status["bewijs_bewaren"] == "done"
    assert status["afzender_blokkeren"] == "open"
    assert cyber.next_item.code == "afzender_blokkeren"
    assert cyber.track is None
    assert cyber.helplines  # all of the protocol's helplines


def test_grooming_advises_a_police_report_and_not_to_block(doul):
    history = case(is_cyber=True, cyber_track="grooming")
    cyber = evaluate(doul, history, DAY0).cyber
    assert cyber.track.police_report == "direct"
    assert cyber.track.block_sender is False
    assert {i.code: i.status for i in cyber.items}["afzender_blokkeren"] == "skipped"
    assert {"police_report_now", "do_not_block"} <= {n.code for n in cyber.notices}
    assert cyber.helplines[0].code == "politie"
    assert any("niet uitgebreid" in line for line in cyber.track.advice)
    assert ("vertrouwenspersoon", "vertrouwenspersoon") in cyber.track.roles
    assert cyber.next_item.code == "bewijs_bewaren"


def test_blocking_in_a_grooming_case_is_flagged(doul):
    history = case(done("afzender_blokkeren"), is_cyber=True, cyber_track="grooming")
    cyber = evaluate(doul, history, DAY0).cyber
    assert "done_against_advice" in {n.code for n in cyber.notices}


def test_stalking_pauses_blocking_until_the_police_report(doul):
    history = case(is_cyber=True, cyber_track="stalking")
    cyber = evaluate(doul, history, DAY0).cyber
    assert {i.code: i.status for i in cyber.items}["afzender_blokkeren"] == "paused"
    assert cyber.helplines[0].code == "slachtofferhulp"


def test_discrimination_track_points_to_the_national_line(doul):
    cyber = evaluate(doul, case(is_cyber=True, cyber_track="discriminatie"), DAY0).cyber
    assert cyber.helplines[0].phone == "0800-0880"
    assert {i.code: i.status for i in cyber.items}["afzender_blokkeren"] == "open"


def test_unknown_track_is_reported(doul):
    cyber = evaluate(doul, case(is_cyber=True, cyber_track="hacken"), DAY0).cyber
    assert "unknown_track" in {n.code for n in cyber.notices}


# --- Dalton --------------------------------------------------------------------------------------


def test_dalton_ladder_and_role_names(dalton):
    history = case(entry("escalate", 1, PIET, reason="herhaling"))
    piet = evaluate(dalton, history, day(1)).pester(PIET)
    assert piet.stage_code == "afdelingsleider"
    assert piet.role_title == "afdelingsleider"
    assert piet.next_step.step_code == "dossier_overdragen"
    assert piet.next_step.role_title == "mentor"
    history.entries.append(entry("escalate", 2, PIET, reason="x"))
    piet = evaluate(dalton, history, day(2)).pester(PIET)
    assert piet.stage_code == "ondersteuning"
    assert piet.is_last_stage


def test_dalton_mentor_stage_involves_the_parents(dalton):
    # "Ouders worden bij bovenstaande betrokken": the parents' steps are required
    steps = ["gesprek_gepeste", "gesprek_pester", "gezamenlijk_gesprek",
             "vervolgtraject_bespreken", "klassengesprek", "vastleggen"]
    history = case(*[done(c) for c in steps])
    with pytest.raises(TransitionRefused) as refused:
        check_transition(dalton, history, PIET, "escalate")
    assert set(refused.value.missing) == {"ouders_gepeste", "ouders_pester"}
    history = case(*[done(c) for c in steps + ["ouders_gepeste", "ouders_pester"]])
    check_transition(dalton, history, PIET, "escalate")


def test_dalton_voluntary_help_is_no_required_stage(dalton):
    # "biedt indien gewenst individuele begeleiding": nothing on it is required
    stage = dalton.stages[-1]
    assert not stage.required_steps and "indien gewenst" in stage.title
    history = case(entry("escalate", 1, PIET, stage=stage.code, reason="x"))
    piet = evaluate(dalton, history, day(60)).pester(PIET)
    assert not piet.required_open and not piet.overdue


def test_dalton_cyber_has_six_numbered_steps(dalton):
    cyber = evaluate(dalton, case(is_cyber=True), DAY0).cyber
    assert [i.code for i in cyber.items] == [
        "bewijs_bewaren",
        "afzender_blokkeren",
        "dader_opsporen",
        "ouders_adviseren",
        "ouders_doorverwijzen",
        "doorverwijzen_ondersteuning",
    ]


# --- purity --------------------------------------------------------------------------------------


def test_engine_imports_neither_qt_nor_peewee():
    code = (
        "import sys, pestdesk.domain.engine, pestdesk.domain.protocol;"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('PySide6', 'peewee')))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_entries_are_replayed_in_date_order(doul):
    history = case(entry("escalate", 5, PIET, reason="x"), done("gesprek_gepeste", 1))
    piet = evaluate(doul, history, day(5)).pester(PIET)
    assert piet.stage_code == "afdelingscoordinator"
    assert piet.entered_on == day(5)


# --- due dates on school days ------------------------------------------------------------------


def test_a_due_date_on_a_saturday_rolls_to_the_next_school_day(doul):
    from pestdesk.domain.schooldays import FreePeriod, SchoolCalendar

    monday = dt.date(2026, 11, 30)
    history = CaseHistory(case_id=1, reported_on=monday, pesters=[PIET])
    plain = {s.code: s.due_on for s in evaluate(doul, history, monday).pester(PIET).open_steps}
    assert plain["gesprek_pester"] == dt.date(2026, 12, 4)  # a Friday: stays
    assert plain["ouders_gepeste"] == dt.date(2026, 12, 7)  # 5 dec is a Saturday: Monday
    vacation = SchoolCalendar((FreePeriod(dt.date(2026, 12, 7), dt.date(2026, 12, 11),
                                          "studieweek"),))
    school = evaluate(doul, history, monday, vacation)
    dues = {s.code: s.due_on for s in school.pester(PIET).open_steps}
    assert dues["ouders_gepeste"] == dt.date(2026, 12, 14)  # after the school's free week
    assert dues["gesprek_gepeste"] == dt.date(2026, 12, 2)
    assert all(vacation.is_school_day(d) for d in dues.values() if d)
    assert school.next_due_on == dt.date(2026, 12, 2)
    # overdue counts from the rolled date: not yet on Monday 7 December
    late = evaluate(doul, history, dt.date(2026, 12, 7), vacation).pester(PIET).overdue
    assert "ouders_gepeste" not in {s.code for s in late}
    late = evaluate(doul, history, dt.date(2026, 12, 15), vacation).pester(PIET).overdue
    assert "ouders_gepeste" in {s.code for s in late}
