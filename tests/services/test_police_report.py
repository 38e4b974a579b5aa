"""The police report as a recorded state of a case: while it is planned or made, keeping the
evidence comes first and blocking the sender waits, for every cyber form; the advice letter
to the parents says the same. Sexting and grooming get no screenshot advice."""

from __future__ import annotations

import datetime as dt

import pytest

from pestdesk import clock
from pestdesk.services import cases, letters
from pestdesk.services.base import SYSTEM, write
from pestdesk.services.cases import CaseError, ValidationError
from pestdesk.store import models as m
from tests.helpers.casework import make_case
from tests.helpers.renamed import C

D = dt.date


@pytest.fixture(autouse=True)
def _day():
    clock.set_today(D(2026, 11, 20))


def cyber_case(track: str = "", forms: str = "haatmail"):
    setup = make_case()
    with write():
        m.Case.update(is_cyber=True, cyber_track=track, forms=forms or track,
                      location="online").where(m.Case.id == setup.case_id).execute()
    return setup


def items(case_id: int) -> dict[str, str]:
    return {i.code: i.status for i in cases.cyber_checklist(case_id, actor=SYSTEM).items}


def test_hate_mail_with_a_planned_report_keeps_evidence_first_and_waits_with_blocking(db):
    setup = cyber_case()
    checklist = cases.cyber_checklist(setup.case_id, actor=SYSTEM)
    assert items(setup.case_id)[C("afzender_blokkeren")] == "open"  # no report: block away
    assert checklist.block == "yes" and checklist.police_report == ""
    cases.record_step(setup.actor, setup.case_id, C("afzender_opsporen"))
    before = m.AuditLog.select().count()
    event = cases.set_police_report(setup.actor, setup.case_id, "planned",
                                    note="Ouders gaan morgen naar het bureau.")
    assert event.kind == "police_report" and "gepland" in event.title
    assert m.AuditLog.select().count() > before  # attributable
    checklist = cases.cyber_checklist(setup.case_id, actor=SYSTEM)
    assert checklist.police_report == "planned" and checklist.block == "wait"
    assert items(setup.case_id)[C("afzender_blokkeren")] == "paused"
    assert checklist.next_item.code == C("bewijs_bewaren")  # evidence comes first
    assert any(n.code == "police_report_evidence" for n in checklist.notices)
    plan = letters.prepare(setup.actor, setup.case_id, setup.victim_id, "advies_cyber")
    assert plan.merge_data["cyber"]["aangifte"] == "gepland"
    assert plan.merge_data["cyber"]["blokkeren"] == "wachten"
    cases.set_police_report(setup.actor, setup.case_id, "made")
    assert cases.cyber_checklist(setup.case_id, actor=SYSTEM).block == "wait"
    cases.set_police_report(setup.actor, setup.case_id, "not_wanted")
    assert items(setup.case_id)[C("afzender_blokkeren")] == "open"
    with pytest.raises(CaseError):
        cases.set_police_report(setup.actor, setup.case_id, "not_wanted")  # no change
    with pytest.raises(ValidationError):
        cases.set_police_report(setup.actor, setup.case_id, "maybe")


def test_stalking_waits_while_a_report_is_advised_unless_none_is_wanted(db):
    setup = cyber_case("stalking")
    # the track advises one
    assert cases.cyber_checklist(setup.case_id, actor=SYSTEM).block == "wait"
    plan = letters.prepare(setup.actor, setup.case_id, setup.victim_id, "advies_cyber")
    assert plan.merge_data["cyber"]["blokkeren"] == "wachten"
    cases.set_police_report(setup.actor, setup.case_id, "not_wanted")
    assert cases.cyber_checklist(setup.case_id, actor=SYSTEM).block == "yes"
    assert items(setup.case_id)[C("afzender_blokkeren")] == "open"


def test_grooming_never_blocks_and_has_no_screenshot_advice(db):
    setup = cyber_case("grooming")
    cases.set_police_report(setup.actor, setup.case_id, "made")
    checklist = cases.cyber_checklist(setup.case_id, actor=SYSTEM)
    assert checklist.block == "no"
    assert items(setup.case_id)[C("afzender_blokkeren")] == "skipped"
    for item in checklist.items:
        assert "schermafdruk" not in item.advice.lower()


def test_sexting_has_no_screenshot_advice(db):
    setup = cyber_case("sexting")
    evidence = next(i for i in cases.cyber_checklist(setup.case_id, actor=SYSTEM).items
                    if i.code == C("bewijs_bewaren"))
    assert "schermafdruk" not in evidence.advice.lower()
    assert "geen beelden" in evidence.advice.lower()
    # a plain hate-mail case keeps the screenshot advice
    other = make_case("2026-0002")
    with write():
        m.Case.update(is_cyber=True, forms="haatmail").where(
            m.Case.id == other.case_id).execute()
    plain = next(i for i in cases.cyber_checklist(other.case_id, actor=SYSTEM).items
                 if i.code == C("bewijs_bewaren"))
    assert "schermafdruk" in plain.advice.lower()
