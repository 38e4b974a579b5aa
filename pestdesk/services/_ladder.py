"""Shared by the contract, sanction and meeting services: timeline events and the ladder.

Every contract, sanction and meeting outcome is written as ``Event`` rows of its case. Rows
whose ``kind`` is one of the engine's history kinds (step_done, escalate, contract_broken,
...) move the engine's picture of the case; the others (sanction, contract, meeting,
action, ...) are timeline entries only. After writing, ``refresh(case_id)`` recomputes the
case's denormalised stage and next due date through ``services.cases`` when that module
offers ``_refresh_case_state``; until then a small replay here does the same.
"""

from __future__ import annotations

import datetime as dt
import json

from ..domain import engine
from ..domain.protocol import Protocol, UnknownProtocol, get_protocol
from ..store import models as m
from .base import Actor, ServiceError, audit, write
from .settings import school_profile


def protocol_for(case: m.Case) -> Protocol:
    """The protocol a case follows (its own preset and version, else the school's)."""
    code = case.protocol_code or school_profile().protocol_code or "doultremont"
    try:
        return get_protocol(code, case.protocol_version or None)
    except UnknownProtocol:
        return get_protocol(code)


def get_case(case_id: int) -> m.Case:
    from ..i18n import _

    case = m.Case.get_or_none(m.Case.id == case_id)
    if case is None:
        raise ServiceError(_("This case no longer exists."))
    return case


def involvement(case_id: int, student_id: int) -> m.Involvement:
    from ..i18n import _

    inv = m.Involvement.get_or_none((m.Involvement.case == case_id)
                                    & (m.Involvement.student == student_id))
    if inv is None:
        raise ServiceError(_("This student is not involved in this case."))
    return inv


def add_event(actor: Actor, case_id: int, kind: str, on: dt.date, *,
              involvement_id: int | None = None, title: str = "", body: str = "",
              step_code: str = "", stage_code: str = "", data: dict | None = None) -> m.Event:
    """One timeline row with its audit line (call inside ``write()``)."""
    event = m.Event.create(case=case_id, involvement=involvement_id, kind=kind, occurred_on=on,
                           title=title, body=body, step_code=step_code, stage_code=stage_code,
                           data=json.dumps(data, default=str, sort_keys=True) if data else "",
                           author=actor.user_id)
    audit(actor, "create", "event", event.id, kind)
    return event


def event_data(event: m.Event) -> dict:
    try:
        return json.loads(event.data) if event.data else {}
    except ValueError:
        return {}


def current_stage(protocol: Protocol, inv: m.Involvement) -> str:
    return inv.stage_code if protocol.stage(inv.stage_code) else protocol.first_stage.code


def move_to(actor: Actor, protocol: Protocol, inv: m.Involvement, stage_code: str | None,
            on: dt.date, reason: str) -> bool:
    """Escalate the pester to ``stage_code`` if they stand lower (inside ``write()``)."""
    if not stage_code or protocol.stage(stage_code) is None or inv.role != "pester":
        return False
    if protocol.stage_index(current_stage(protocol, inv)) >= protocol.stage_index(stage_code):
        return False
    add_event(actor, inv.case_id, engine.ESCALATE, on, involvement_id=inv.id,
              stage_code=stage_code, body=reason, title=protocol.stage(stage_code).title)
    inv.stage_code = stage_code  # until the refresh runs
    return True


def step_done(actor: Actor, protocol: Protocol, inv: m.Involvement | None, case_id: int,
              stage_code: str | None, step_code: str, on: dt.date) -> bool:
    """Record a protocol step as done, if the stage has it (inside ``write()``)."""
    stage = protocol.stage(stage_code or "")
    step = stage.step(step_code) if stage else None
    if step is None:
        return False
    add_event(actor, case_id, engine.STEP_DONE, on, involvement_id=inv.id if inv else None,
              step_code=step.code, stage_code=stage.code, title=step.title)
    return True


def refresh(case_id: int) -> None:
    """Recompute the case's stage and next due date after new events."""
    try:
        from . import cases  # written by another helper; use it when it is there
    except ImportError:
        cases = None
    fn = getattr(cases, "_refresh_case_state", None) if cases else None
    with write():
        if fn is not None:
            fn(case_id)
        else:
            _replay(case_id)


def _replay(case_id: int) -> None:
    case = m.Case.get_by_id(case_id)
    protocol = protocol_for(case)
    invs = list(m.Involvement.select().where(m.Involvement.case == case_id))
    students = {i.id: i.student_id for i in invs}
    entries = [
        engine.HistoryEntry(e.kind, e.occurred_on, students.get(e.involvement_id),
                            e.step_code, e.stage_code, e.body)
        for e in m.Event.select().where((m.Event.case == case_id)
                                        & m.Event.kind.in_(engine.HISTORY_KINDS))
    ]
    history = engine.CaseHistory(case_id=case_id, reported_on=case.reported_on,
                                 pesters=[i.student_id for i in invs if i.role == "pester"],
                                 is_cyber=case.is_cyber, cyber_track=case.cyber_track,
                                 entries=entries, status=case.status)
    picture = engine.evaluate(protocol, history, dt.date.today())
    m.Case.update(stage_code=picture.stage_code, next_due_on=picture.next_due_on).where(
        m.Case.id == case_id).execute()
    for pester in picture.pesters:
        m.Involvement.update(stage_code=pester.stage_code).where(
            (m.Involvement.case == case_id)
            & (m.Involvement.student == pester.student_id)).execute()
