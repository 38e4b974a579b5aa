"""Shared by the contract, sanction and meeting services: timeline events and the ladder.

Every contract, sanction and meeting outcome is written as ``Event`` rows of its case. Rows
of kind ``step`` and of the engine's transition kinds (escalate, contract_broken, ...) move
the engine's picture of the case; the others (sanction, contract, meeting, action, ...) are
timeline entries only. A change of a pester's stage goes through ``move``/``outcome``, which
take the case service's one ladder path (``cases.ladder_move``: the engine's gate, the
user's own reason); ``refresh(case_id)``, inside the same transaction, recomputes the case's
denormalised stage and next due date.
"""

from __future__ import annotations

import datetime as dt
import json

from ..domain import engine
from ..domain.protocol import Protocol
from ..store import models as m
from .base import Actor, ServiceError, audit, write

# the Event kind ``services.cases`` reads as the engine's step_done
STEP_EVENT = "step"


def protocol_for(case: m.Case) -> Protocol:
    """The protocol a case follows (``services.cases`` decides which)."""
    from .cases import protocol_for as case_protocol

    return case_protocol(case.id)


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
    from . import lengths

    lengths.require("event", {"title": title, "body": body})
    event = m.Event.create(case=case_id, involvement=involvement_id, kind=kind, occurred_on=on,
                           title=title, body=body, step_code=step_code, stage_code=stage_code,
                           data=(json.dumps(data, default=str, sort_keys=True, ensure_ascii=False)
                                 if data else ""),
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


def move(actor: Actor, case: m.Case, inv: m.Involvement, stage_code: str | None, on: dt.date,
         reason: str = "", title: str = "") -> m.Event | None:
    """Escalate the pester to the stage a measure belongs to, if they stand lower.

    Inside the caller's ``write()``: through ``cases.ladder_move``, the one path every stage
    change takes (the engine's gate, the user's own reason, one transaction). Refused moves
    raise ``cases.TransitionError`` and roll the caller's record back with them."""
    if not stage_code or inv.role != "pester":
        return None
    from .cases import ladder_move

    event = ladder_move(actor, case, inv.student_id, engine.ESCALATE, on,
                        target_stage=stage_code, reason=reason, only_up=True, title=title)
    if event is not None:
        inv.stage_code = stage_code  # until the refresh runs
    return event


def outcome(actor: Actor, case: m.Case, inv: m.Involvement, kind: str, on: dt.date,
            note: str = "", title: str = "", data: dict | None = None) -> m.Event:
    """A contract kept or broken, through the one ladder path (inside ``write()``)."""
    from .cases import ladder_move

    return ladder_move(actor, case, inv.student_id, kind, on, reason=note, title=title,
                       data=data)


def step_done(actor: Actor, protocol: Protocol, inv: m.Involvement | None, case_id: int,
              stage_code: str | None, kind: str, on: dt.date, title: str = "") -> bool:
    """Record the step of declared ``kind`` of a stage as done, if the stage has one (inside
    ``write()``). Code knows steps by their kind, never by the school's step codes."""
    stage = protocol.stage(stage_code or "")
    step = stage.step_of_kind(kind) if stage else None
    if step is None:
        return False
    from .cases import gate_step

    gate_step(get_case(case_id), inv.student_id if inv else None, step.code, stage.code,
              protocol)
    add_event(actor, case_id, STEP_EVENT, on, involvement_id=inv.id if inv else None,
              step_code=step.code, stage_code=stage.code, title=title or step.title)
    return True


def stage_of_kind(protocol: Protocol, kind: str) -> str | None:
    """The code of the protocol's stage of declared ``kind`` (None when it has none)."""
    stage = protocol.stage_of_kind(kind)
    return stage.code if stage else None


def refresh(case_id: int) -> None:
    """Recompute the case's stage and next due date after new events (``services.cases``).

    Call it inside the write transaction that wrote the events, so the stored stage never
    lags behind them (nested, it runs as a savepoint of that transaction)."""
    from .cases import _refresh_case_state

    with write():
        _refresh_case_state(case_id)
