"""Whole cases walked through the services, by the two schools' protocols, and the demo
school's timelines read back through the engine."""

from __future__ import annotations

import datetime as dt

import pytest

from pestdesk import clock
from pestdesk.services import cases
from pestdesk.services.base import SYSTEM, Actor
from pestdesk.services.cases import AgreementInput, ConversationInput
from pestdesk.services.settings import save_school_profile, school_profile
from pestdesk.store import models as m
from tests.helpers.cases import School
from tests.helpers.renamed import C, G, S, T

TODAY = clock.today()

DAY = dt.timedelta(days=1)


def stage_of(case_id: int, student_id: int) -> str:
    return cases.assess(case_id, actor=SYSTEM).pester(student_id).stage_code


def test_doultremont_from_report_to_suspension(db):
    school = School("doultremont")
    start = TODAY - 40 * DAY
    case = school.report(on=start, pesters=(1,))
    victim, bully = school.sid(0), school.sid(1)
    pester_guide = cases.guide_for_step(case.id, T("gesprek_pester"))
    # the mentor's stage, done by the book
    cases.log_conversation(school.actor, case.id, ConversationInput(
        held_on=start, with_whom="victim", summary="Gesprek met de gepeste.",
        student_ids=(victim,), step_codes=(T("gesprek_gepeste"),), guide_code=G("gepeste")))
    cases.log_conversation(school.actor, case.id, ConversationInput(
        held_on=start + DAY, with_whom="bully", summary="Confronterend gesprek.",
        student_ids=(bully,), pester_id=bully, step_codes=(T("gesprek_pester"),),
        guide_code=G("pester"), answers={pester_guide.aims[0]: "Gedrag benoemd"}))
    cases.log_conversation(school.actor, case.id, ConversationInput(
        held_on=start + 2 * DAY, with_whom="both", summary="Samen afspraken gemaakt.",
        pester_id=bully, step_codes=(T("gezamenlijk_gesprek"), T("vervolgtraject_bespreken")),
        agreements=(AgreementInput("Geen scheldwoorden meer", school.mentor.id,
                                   start + 16 * DAY),)))
    for code in (T("ouders_gepeste"), T("klassengesprek"), T("vastleggen")):
        cases.record_step(school.actor, case.id, code, on=start + 3 * DAY)
    cases.record_step(school.actor, case.id, T("ouders_pester"), on=start + 3 * DAY,
                      student_id=bully)
    assessment = cases.assess(case.id, actor=SYSTEM)
    assert assessment.pester(bully).required_open == ()
    assert assessment.next_due_on is None
    # the bullying goes on: up to the head of department, without a reason needed
    cases.escalate(school.actor, case.id, bully, on=start + 10 * DAY)
    pester = cases.assess(case.id, actor=SYSTEM).pester(bully)
    assert (pester.stage_code, pester.role_title) == (S("afdelingscoordinator"),
                                                      "afdelingscoördinator")
    assert pester.next_step.step_code == T("dossier_overdragen")
    # steps left undone become overdue
    late = cases.assess(case.id, start + 30 * DAY, actor=SYSTEM)
    assert late.overdue_count > 0
    assert {"overdue"} <= {n.code for n in late.pester(bully).notices}
    # relapse into bullying: contract, then the contract is broken
    with pytest.raises(cases.TransitionError) as info:
        cases.escalate(school.other, case.id, bully, on=start + 20 * DAY)
    assert "Mentor draagt het dossier" in str(info.value)
    cases.escalate(school.other, case.id, bully, reason="Nieuw incident in de gymzaal",
                   on=start + 20 * DAY)
    assert m.Case.get_by_id(case.id).stage_code == S("contract")
    cases.record_step(school.other, case.id, T("contract_tekenen"), on=start + 22 * DAY,
                      student_id=bully)
    cases.record_contract_outcome(school.other, case.id, bully, kept=False,
                                  on=start + 35 * DAY, note="Opnieuw bedreigd")
    pester = cases.assess(case.id, actor=SYSTEM).pester(bully)
    assert pester.stage_code == S("schorsing_1_dag")
    assert pester.next_step.step_code == T("horen")  # the hearing comes before the decision
    assert m.Involvement.get(m.Involvement.student == bully).stage_code == S("schorsing_1_dag")
    # the agreement of the joint conversation is due
    due = cases.due_agreements(TODAY, actor=SYSTEM)
    assert [a.description for a in due] == ["Geen scheldwoorden meer"]


def test_dalton_uses_the_afdelingsleider_and_has_a_short_ladder(db):
    school = School("dalton-alkmaar")
    start = TODAY - 20 * DAY
    case = school.report(on=start, pesters=(1,))
    assert (case.protocol_code, case.protocol_version) == ("dalton-alkmaar", "2023.3")
    bully = school.sid(1)
    nxt = cases.assess(case.id, actor=SYSTEM).pester(bully).next_step
    assert (nxt.step_code, nxt.role_title) == (T("gesprek_gepeste"), "mentor")
    cases.record_step(school.actor, case.id, T("gesprek_gepeste"), on=start)
    cases.log_conversation(school.actor, case.id, ConversationInput(
        held_on=start + DAY, with_whom="bully", summary="Gesprek.", pester_id=bully,
        step_codes=(T("gesprek_pester"),)))
    cases.log_conversation(school.actor, case.id, ConversationInput(
        held_on=start + 2 * DAY, with_whom="both", summary="Samen.", pester_id=bully,
        step_codes=(T("gezamenlijk_gesprek"), T("vervolgtraject_bespreken"))))
    cases.record_step(school.actor, case.id, T("klassengesprek"), on=start + 3 * DAY)
    cases.record_step(school.actor, case.id, T("vastleggen"), on=start + 3 * DAY)
    # "Ouders worden bij bovenstaande betrokken": the parents' steps hold up the ladder
    with pytest.raises(cases.TransitionError):
        cases.escalate(school.actor, case.id, bully, on=start + 5 * DAY)
    cases.record_step(school.actor, case.id, T("ouders_gepeste"), on=start + 4 * DAY)
    cases.record_step(school.actor, case.id, T("ouders_pester"), on=start + 4 * DAY,
                      student_id=bully)
    cases.escalate(school.actor, case.id, bully, on=start + 5 * DAY)
    pester = cases.assess(case.id, actor=SYSTEM).pester(bully)
    assert (pester.stage_code, pester.role_title) == (S("afdelingsleider"), "afdelingsleider")
    assert pester.next_step.step_code == T("dossier_overdragen")
    cases.escalate(school.other, case.id, bully, reason="Herhaling buiten de klas",
                   on=start + 10 * DAY)
    assert stage_of(case.id, bully) == S("ondersteuning")
    with pytest.raises(cases.TransitionError) as info:
        cases.escalate(school.other, case.id, bully, reason="nog hoger")
    assert "laatste" in str(info.value)  # the engine's Dutch message: the last stage
    fresh = m.Case.get_by_id(case.id)
    closed = cases.close_case(school.other, case.id, fresh.version, "Begeleiding afgerond")
    assert closed.status == "closed"


def test_an_existing_case_keeps_its_protocol_when_the_school_changes_it(db):
    school = School("doultremont")
    old = school.report(on=TODAY - 5 * DAY)
    profile = school_profile()
    profile.protocol_code = "dalton-alkmaar"
    save_school_profile(SYSTEM, profile)
    new = school.report(victim=2, pesters=(3,))
    assert (new.protocol_code, old.protocol_code) == ("dalton-alkmaar", "doultremont")
    cases.escalate(school.actor, old.id, school.sid(1), reason="ernstig")
    assert stage_of(old.id, school.sid(1)) == S("afdelingscoordinator")
    cases.escalate(school.actor, new.id, school.sid(3), reason="ernstig")
    assert stage_of(new.id, school.sid(3)) == S("afdelingsleider")
    # a version no longer shipped falls back to the newest of the same protocol
    m.Case.update(protocol_version="1999.1").where(m.Case.id == old.id).execute()
    assert stage_of(old.id, school.sid(1)) == S("afdelingscoordinator")


def test_grooming_track_advice_through_the_checklist(db):
    school = School("doultremont")
    case = school.report(forms=("grooming",), pesters=())
    checklist = cases.cyber_checklist(case.id, actor=SYSTEM)
    assert checklist.track.police_report == "direct"
    notices = {n.code for n in checklist.notices}
    assert {"police_report_now", "do_not_block"} <= notices
    assert checklist.helplines[0].code == "politie"
    cases.record_step(school.actor, case.id, C("bewijs_bewaren"))
    cases.record_step(school.actor, case.id, C("afzender_blokkeren"))
    checklist = cases.cyber_checklist(case.id, actor=SYSTEM)
    assert "done_against_advice" in {n.code for n in checklist.notices}
    assert checklist.next_item.code == C("afzender_opsporen")


def test_the_demo_schools_timelines_read_back_through_the_engine(db):
    from pestdesk.services.demo import generate_demo

    generate_demo(students=60, years=1, seed=1, today=TODAY)
    demo_cases = list(m.Case.select().order_by(m.Case.id))
    assert demo_cases
    for case in demo_cases:
        assessment = cases.assess(case.id, TODAY, actor=SYSTEM)
        assert assessment.stage_code == case.stage_code, case.number
        assert assessment.status == case.status
    # the services continue a demo case: a new case number follows the demo's numbering
    actor = Actor(1, "zorg", m.User.get_by_id(1).staff_id,
                  frozenset({"ondersteuningscoordinator"}))
    open_case = next(c for c in demo_cases if c.status == "open")
    victim = m.Involvement.get((m.Involvement.case == open_case.id)
                               & (m.Involvement.role == "gepeste"))
    new = cases.register_report(actor, cases.ReportInput(
        reported_on=TODAY, summary="Nieuw", involved=(
            cases.InvolvedInput(victim.student_id, "gepeste"),)))
    year_numbers = [c.number for c in demo_cases if c.number.startswith(f"{TODAY.year}-")]
    highest = max(int(n.split("-")[1]) for n in year_numbers) if year_numbers else 0
    assert new.number == f"{TODAY.year}-{highest + 1:05d}"
