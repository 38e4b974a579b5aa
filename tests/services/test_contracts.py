"""Contracts: made from the protocol, signed, evaluated; broken moves the ladder on."""

from __future__ import annotations

import datetime as dt

import pytest
from pypdf import PdfReader

from pestdesk.domain.sanctions import Hearing
from pestdesk.services import contracts, sanctions
from pestdesk.services.base import ServiceError
from pestdesk.store import models as m
from tests.helpers.casework import make_case, pester_stage, put_on_stage
from tests.helpers.renamed import S, T

D = dt.date


def test_contract_from_protocol_rules_with_evaluation_action(db):
    setup = make_case()
    put_on_stage(setup, "afdelingscoordinator")
    contract = contracts.make_contract(setup.actor, setup.case_id, setup.pester_id,
                                       made_on=D(2026, 10, 1),
                                       move_reason="Teruggevallen",
                                       extra_rules=["Ik laat Sanne met rust."])
    rules = contracts.rules_of(contract)
    assert rules[0] == "Ik accepteer anderen zoals ze zijn."
    assert rules[-1] == "Ik laat Sanne met rust."
    assert contract.evaluate_on == D(2026, 11, 12)  # the protocol's 42 days
    assert pester_stage(setup) == "contract"
    action = m.Action.get(m.Action.case == setup.case_id)
    assert action.due_on == D(2026, 11, 12) and action.owner_id == setup.staff_id
    kinds = [e.kind for e in m.Event.select().where(m.Event.case == setup.case_id)]
    assert "contract" in kinds


def test_contract_only_with_a_pester(db):
    setup = make_case()
    with pytest.raises(ServiceError):
        contracts.make_contract(setup.actor, setup.case_id, setup.victim_id, made_on=D(2026, 10, 1),
                                       move_reason="Teruggevallen")
    assert m.Contract.select().count() == 0


def test_signatures_then_kept_closes_the_evaluation(db):
    setup = make_case()
    c = contracts.make_contract(setup.actor, setup.case_id, setup.pester_id, made_on=D(2026, 10, 1),
                                       move_reason="Teruggevallen")
    c = contracts.record_signatures(setup.actor, c.id, c.version, student_on=D(2026, 10, 1),
                                    parents_on=D(2026, 10, 2), parents="moeder")
    assert c.signed_parent_on == D(2026, 10, 2)
    steps = [e.step_code for e in m.Event.select().where(m.Event.kind == "step")]
    assert T("contract_tekenen") in steps
    c = contracts.record_outcome(setup.actor, c.id, c.version, outcome="kept", on=D(2026, 11, 12))
    assert c.outcome == "kept"
    action = m.Action.get(m.Action.case == setup.case_id)
    assert action.done_on == D(2026, 11, 12)
    assert m.AuditLog.select().where((m.AuditLog.table == "action")
                                     & (m.AuditLog.record_id == action.id)
                                     & (m.AuditLog.detail == "done_on")).exists()
    assert pester_stage(setup) == "contract"


def test_broken_contract_leads_to_a_one_day_suspension(db):
    setup = make_case()
    put_on_stage(setup, "afdelingscoordinator")
    c = contracts.make_contract(setup.actor, setup.case_id, setup.pester_id, made_on=D(2026, 10, 1),
                                       move_reason="Teruggevallen")
    contracts.record_outcome(setup.actor, c.id, c.version, outcome="broken", on=D(2026, 11, 2))
    assert pester_stage(setup) == "schorsing_1_dag"
    hearing = Hearing(D(2026, 11, 3), ("leerling", "ouders"), "Bram erkent het schelden.")
    sanction = sanctions.decide_suspension(
        setup.actor, setup.case_id, setup.pester_id, first_day=D(2026, 11, 4), school_days=1,
        decided_on=D(2026, 11, 3), reason="Opnieuw uitgescholden na het contract.",
        hearing=hearing, decided_by=setup.staff_id)
    assert sanction.school_days == 1 and sanction.inspectie_due_on is None
    assert pester_stage(setup) == "schorsing_1_dag"
    assert sanctions.open_legal_tasks(setup.case_id) == []
    done = {e.step_code for e in m.Event.select().where(
        (m.Event.kind == "step") & (m.Event.stage_code == S("schorsing_1_dag")))}
    assert done == {T("horen"), T("besluit")}


def test_outcome_twice_is_refused(db):
    setup = make_case()
    c = contracts.make_contract(setup.actor, setup.case_id, setup.pester_id, made_on=D(2026, 10, 1),
                                       move_reason="Teruggevallen")
    c = contracts.record_outcome(setup.actor, c.id, c.version, outcome="kept", on=D(2026, 11, 2))
    with pytest.raises(ServiceError):
        contracts.record_outcome(setup.actor, c.id, c.version, outcome="broken", on=D(2026, 11, 3))


def test_contract_pdf_carries_the_rules(db):
    setup = make_case()
    c = contracts.make_contract(setup.actor, setup.case_id, setup.pester_id, made_on=D(2026, 10, 1),
                                       move_reason="Teruggevallen")
    pdf = contracts.render_contract_pdf(c.id)
    import io

    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages)
    assert "Ik accepteer anderen zoals ze zijn." in text
    assert "Bram" in text


def test_contract_letter_lists_the_stored_rules_one_by_one(db):
    """The letters service reads the rules the contracts service stored (as JSON)."""
    from pestdesk.services import letters

    setup = make_case()
    put_on_stage(setup, "afdelingscoordinator")
    contracts.make_contract(setup.actor, setup.case_id, setup.pester_id, made_on=D(2026, 10, 1),
                                       move_reason="Teruggevallen",
                            extra_rules=["Ik laat Sanne met rust."])
    data = letters.merge_data_for(setup.case_id, setup.pester_id, "contract",
                                  actor=setup.actor)
    rules = data["contract"]["regels"]
    assert rules[0] == "Ik accepteer anderen zoals ze zijn."
    assert rules[-1] == "Ik laat Sanne met rust."
    assert not any(rule.startswith("[") for rule in rules)


def test_contract_uses_the_school_version_and_never_prints_an_empty_field(db):
    """The contract for signature is a letter too: printed from the school's version of the
    template, and refused (naming the field) when it would print a field without a value."""
    import io

    from pestdesk.services import letters
    from pestdesk.services.base import SYSTEM

    setup = make_case()
    c = contracts.make_contract(setup.actor, setup.case_id, setup.pester_id,
                                made_on=D(2026, 10, 1), move_reason="Teruggevallen")
    source = letters.template_source("contract")
    own = source.text.replace("De mentor houdt in de tussentijd",
                              "Uw contactpersoon is {{ mentor.naam }}. De mentor houdt", 1)
    assert own != source.text
    letters.save_template(SYSTEM, "contract", own, source.read_version)
    with pytest.raises(ServiceError, match="mentor.naam"):
        contracts.render_contract_pdf(c.id)
    worded = letters.template_source("contract")
    letters.save_template(SYSTEM, "contract", worded.text.replace(
        "Uw contactpersoon is {{ mentor.naam }}. ", "Onze eigen zin staat hier. "),
        worded.read_version)
    pdf = contracts.render_contract_pdf(c.id)
    text = " ".join(" ".join(p.extract_text().split()) for p in PdfReader(io.BytesIO(pdf)).pages)
    assert "Onze eigen zin staat hier." in text and "Ik accepteer anderen" in text
