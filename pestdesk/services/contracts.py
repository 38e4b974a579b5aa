"""The anti-bullying contract ("Veilig in school"): made, signed, evaluated, kept or broken.

The contract's rules come from the case's protocol (``protocol.contract``). Making one puts
the pester on the protocol's contract stage; the evaluation date comes back as an action on
the owner's overview; a broken contract moves the pester's ladder on (engine kind
``contract_broken``). The printable contract is the letter template ``contract``, rendered by
``pestdesk.letters`` (``render_contract_pdf``).

Who may: making, signing and evaluating a contract need ``access.require_edit`` on its case,
checked before the case is looked at and again inside the write transaction. A contract of a
case the actor may not see answers ``access.NotFound`` exactly as a missing one; a read-only
role (zorgteam) gets a refusal.
"""

from __future__ import annotations

import datetime as dt
import json

from ..domain import engine
from ..domain.protocol import Protocol
from ..i18n import _, format_date
from ..store import models as m
from . import _ladder, access
from .base import Actor, ServiceError, audit, create, save_versioned, write
from .calendar import school_calendar

OUTCOMES = ("kept", "broken")


def contract_stage(protocol: Protocol) -> str | None:
    """The stage of the ladder the contract belongs to (declared ``kind = "contract"``)."""
    return _ladder.stage_of_kind(protocol, "contract")


def default_evaluate_on(protocol: Protocol, made_on: dt.date) -> dt.date:
    """The protocol's evaluation term (its ``contract_evaluate`` step), else six weeks, on
    the next school day of the school's calendar."""
    stage = protocol.stage(contract_stage(protocol) or "")
    step = stage.step_of_kind("contract_evaluate") if stage else None
    days = step.due_days if step and step.due_days else 42
    return engine.due_date(school_calendar(), made_on, days)


def rules_of(contract: m.Contract) -> list[str]:
    try:
        rules = json.loads(contract.rules) if contract.rules else []
    except ValueError:
        rules = [line for line in contract.rules.splitlines() if line.strip()]
    return [str(r) for r in rules]


def ladder_preview(case_id: int, student_id: int, on: dt.date | None = None, *,
                   actor: Actor):
    """Would making a contract move this pester on the ladder, and does the protocol want a
    reason for it (``cases.MovePreview``)? ``access.NotFound`` for a hidden case."""
    from .cases import preview_move

    protocol = _ladder.protocol_for(access.visible_case(actor, case_id))
    return preview_move(case_id, student_id, contract_stage(protocol), on)


def make_contract(actor: Actor, case_id: int, student_id: int, *, made_on: dt.date,
                  evaluate_on: dt.date | None = None, extra_rules: list[str] | None = None,
                  owner_id: int | None = None, move_reason: str = "") -> m.Contract:
    """A contract for a pester from the protocol's rules (plus the school's own extra rules).

    A pester below the contract stage moves there, through the ladder's one path: where the
    protocol asks for a reason (required steps open, a stage skipped) ``move_reason`` is the
    user's own; without one the contract is refused with the protocol's reason."""
    access.require_edit(actor, case_id)
    case = _ladder.get_case(case_id)
    inv = _ladder.involvement(case_id, student_id)
    if inv.role != "pester":
        raise ServiceError(_("A contract is made with a student who bullies."))
    protocol = _ladder.protocol_for(case)
    if protocol.contract is None:
        raise ServiceError(_("The protocol '{name}' has no contract.").format(name=protocol.name))
    rules = list(protocol.contract.rules) + [r.strip() for r in (extra_rules or []) if r.strip()]
    evaluate_on = evaluate_on or default_evaluate_on(protocol, made_on)
    if evaluate_on <= made_on:
        raise ServiceError(_("The evaluation date must lie after the date of the contract."))
    open_one = m.Contract.get_or_none((m.Contract.case == case_id)
                                      & (m.Contract.student == student_id)
                                      & (m.Contract.outcome == ""))
    if open_one is not None:
        raise ServiceError(_("This student already has a contract in this case that has not "
                             "been evaluated."))
    stage = contract_stage(protocol)
    with write():
        access.require_edit(actor, case_id)
        contract = create(actor, m.Contract, case=case_id, student=student_id, made_on=made_on,
                          rules=json.dumps(rules, ensure_ascii=False), evaluate_on=evaluate_on)
        _ladder.move(actor, case, inv, stage, made_on, move_reason)
        action = create(actor, m.Action, case=case_id,
                        description=_("Evaluate the contract of case {number}").format(
                            number=case.number),
                        owner=owner_id or case.owner_id or actor.staff_id, due_on=evaluate_on)
        _ladder.add_event(actor, case_id, "contract", made_on, involvement_id=inv.id,
                          title=_("Contract '{title}' made; evaluation on {date}").format(
                              title=protocol.contract.title, date=format_date(evaluate_on)),
                          data={"contract_id": contract.id, "action_id": action.id})
        _ladder.refresh(case_id)
    return contract


def record_signatures(actor: Actor, contract_id: int, read_version: int, *,
                      student_on: dt.date | None = None, parents_on: dt.date | None = None,
                      parents: str = "") -> m.Contract:
    """Record the signatures of the student and the parent(s), with their dates."""
    contract = _editable(actor, contract_id)
    for day in (student_on, parents_on):
        if day is not None and day < contract.made_on:
            raise ServiceError(_("A signature cannot be dated before the contract."))
    changes = {}
    if student_on:
        changes["signed_student_on"] = student_on
    if parents_on:
        changes["signed_parent_on"] = parents_on
    if not changes:
        raise ServiceError(_("Fill in at least one signature date."))
    case = _ladder.get_case(contract.case_id)
    protocol = _ladder.protocol_for(case)
    with write():
        access.require_edit(actor, contract.case_id)
        save_versioned(actor, contract, read_version, **changes)
        inv = _ladder.involvement(contract.case_id, contract.student_id)
        signed = [d for d in (student_on, parents_on) if d]
        _ladder.add_event(actor, contract.case_id, "contract_signed", max(signed),
                          involvement_id=inv.id, title=_("Contract signed"),
                          data={"contract_id": contract.id, "student_on": student_on,
                                "parents_on": parents_on, "parents": parents.strip()})
        if contract.signed_student_on and contract.signed_parent_on:
            _ladder.step_done(actor, protocol, inv, contract.case_id, contract_stage(protocol),
                              "contract_sign",
                              max(contract.signed_student_on, contract.signed_parent_on))
        _ladder.refresh(contract.case_id)
    return contract


def record_outcome(actor: Actor, contract_id: int, read_version: int, *, outcome: str,
                   on: dt.date, note: str = "") -> m.Contract:
    """Kept or broken; broken moves the pester one stage on (the engine's rule)."""
    if outcome not in OUTCOMES:
        raise ServiceError(_("Choose whether the contract was kept or broken."))
    contract = _editable(actor, contract_id)
    if contract.outcome:
        raise ServiceError(_("The outcome of this contract has already been recorded."))
    if on < contract.made_on:
        raise ServiceError(_("The outcome cannot be dated before the contract."))
    case = _ladder.get_case(contract.case_id)
    protocol = _ladder.protocol_for(case)
    kind = engine.CONTRACT_BROKEN if outcome == "broken" else engine.CONTRACT_KEPT
    with write():
        access.require_edit(actor, contract.case_id)
        save_versioned(actor, contract, read_version, outcome=outcome)
        inv = _ladder.involvement(contract.case_id, contract.student_id)
        _ladder.step_done(actor, protocol, inv, contract.case_id, contract_stage(protocol),
                          "contract_evaluate", on)
        _ladder.outcome(actor, case, inv, kind, on, note,
                        title=_("Contract broken") if outcome == "broken" else _("Contract kept"),
                        data={"contract_id": contract.id})
        action_id = _evaluation_action(contract)
        if action_id:
            done = m.Action.update(done_on=on, version=m.Action.version + 1).where(
                (m.Action.id == action_id) & m.Action.done_on.is_null()).execute()
            if done:  # the follow-up on the owner's overview is closed with the contract
                audit(actor, "update", "action", action_id, "done_on")
        _ladder.refresh(contract.case_id)
    return contract


def _evaluation_action(contract: m.Contract) -> int | None:
    for event in m.Event.select().where((m.Event.case == contract.case_id)
                                        & (m.Event.kind == "contract")):
        data = _ladder.event_data(event)
        if data.get("contract_id") == contract.id:
            return data.get("action_id")
    return None


def _contract(contract_id: int) -> m.Contract:
    contract = m.Contract.get_or_none(m.Contract.id == contract_id)
    if contract is None:
        raise ServiceError(_("This contract no longer exists."))
    return contract


def _editable(actor: Actor, contract_id: int) -> m.Contract:
    """The contract, if ``actor`` may change its case."""
    return access.editable_in_case(actor, m.Contract, contract_id,
                                   _("This contract no longer exists."))


def signing_guardians(student_id: int) -> list[tuple[str, str]]:
    """(name, relation) of the student's guardians with parental authority: who signs."""
    return [
        (" ".join(p for p in (g.first_name, g.tussenvoegsel, g.last_name) if p), link.relation)
        for link in m.StudentGuardian.select().where(
            (m.StudentGuardian.student == student_id) & m.StudentGuardian.has_authority)
        for g in [link.guardian]
    ]


def contract_merge_data(contract_id: int) -> dict:
    """Merge data for the letter template ``contract``."""
    contract = _contract(contract_id)
    student = contract.student
    guardians = [{"naam": name, "relatie": relation}
                 for name, relation in signing_guardians(student.id)]
    return {
        "student": {"roepnaam": student.first_name, "tussenvoegsel": student.tussenvoegsel,
                    "achternaam": student.last_name,
                    "klas": student.school_class.name if student.school_class else ""},
        "case": {"nummer": contract.case.number, "datum_melding": contract.case.reported_on},
        "guardians": guardians,
        "contract": {"regels": rules_of(contract), "ingangsdatum": contract.made_on,
                     "evaluatiedatum": contract.evaluate_on},
    }


def render_contract_pdf(contract_id: int, letterhead=None, lang: str = "nl") -> bytes:
    """The contract for signature as PDF, from the school's version of the template
    ``contract`` (the shipped one when the school has none), through the letters service's
    rule: ``ServiceError`` naming every merge field it would print without a value.

    ``letterhead``: a ``pestdesk.letters.Letterhead``; default: the school's letterhead.
    Addressed to nobody (handed over in the meeting)."""
    from . import letters

    template, _version = letters.template_for("contract", lang)
    contract = _contract(contract_id)
    return letters.render_complete(template, contract_merge_data(contract_id), None,
                                   letterhead or letters.letterhead(), lang=lang,
                                   letter_date=contract.made_on)
