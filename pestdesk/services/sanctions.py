"""Suspensions and expulsions: deciding them within the law, and the legal tasks they raise.

The law's limits and terms come from ``domain.sanctions`` (rules as data in
``resources/legal/nl-wvo.toml``); school days from the school calendar
(``services.calendar``). Every decision and every step lands in the case timeline and, where
the protocol has a matching stage, moves the pester on the ladder. A notification to the
inspectorate is a legal task with a deadline until it is marked done; ``open_legal_tasks``
lists what keeps a case from being closed.

Who may: every change needs ``access.require_edit`` on the case, checked before anything
about the case is looked up and again inside the write transaction: a case (or a measure of a
case) the actor may not see answers ``access.NotFound``, exactly as a missing one; a
read-only role (zorgteam) gets a refusal. The protocol leaves two decisions to the school's
management (the adjunct-directeur / directie): a suspension of more than one school day and
the decision to expel. Those need the ``directie`` role; ``SYSTEM`` (the command line, run by
whoever holds the database file) may record them too.

Who is recorded as deciding (``decided_by``, on paper too) is declared per decision:
``deciding_roles`` -- the role of the protocol's ``decision`` step on the measure's stage,
within the roles the legal rules give the decision to. Only an active staff member holding
(a confirmed) one of them can be named; the dialog offers only them (``deciders``).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from .. import clock
from ..domain import sanctions as rules_mod
from ..domain.protocol import Protocol
from ..domain.sanctions import (
    EXPULSION_KINDS,
    SCHORSING,
    SUSPENSION_KINDS,
    VERWIJDERING,
    VOORNEMEN,
    Deadline,
    ExpulsionState,
    Hearing,
    SanctionRefused,
    SchoolApproached,
    SuspensionPlan,
)
from ..i18n import _, format_date
from ..store import models as m
from . import _ladder, access, grants
from .base import Actor, ServiceError, audit, create, save_versioned, write
from .calendar import school_calendar
from .settings import school_profile


@dataclass(frozen=True)
class Consultation:
    """The consultation the protocol asks for before a longer suspension."""

    on: dt.date
    with_whom: str
    notes: str = ""


@dataclass(frozen=True)
class LegalTask:
    """Something the law requires that is not done yet (blocks closing the case)."""

    sanction_id: int
    case_id: int
    code: str  # inspectie, beslissing_bezwaar
    title: str
    due_on: dt.date | None

    def overdue(self, today: dt.date) -> bool:
        return self.due_on is not None and self.due_on < today


#: the role the protocol leaves longer suspensions and expulsion to (one of
#: ``access.ALL_CASES_ROLES``; not a new role)
DECIDING_ROLE = "directie"


def may_decide(actor: Actor) -> bool:
    """May take the decisions the protocol reserves for the management (directie)."""
    return access.is_system(actor) or actor.has_role(DECIDING_ROLE)


def needs_management(kind: str, school_days: int) -> bool:
    """Is this measure the management's decision (a suspension of more than one day,
    an expulsion)? For a dialog that wants to say so before the user fills it in."""
    return kind in EXPULSION_KINDS or school_days > 1


def deciding_roles(protocol: Protocol, kind: str, school_days: int = 1) -> tuple[str, ...]:
    """Who takes the decision on this measure (role codes): the role of the protocol's
    ``decision`` step on the measure's stage (the step's, else the stage's role), within the
    roles the law gives the decision to (``deciding_roles`` in the legal rules). Where the
    protocol declares no decision step, or a role the law does not give it to, the law's."""
    legal = legal_rules().deciding_roles(kind)
    stage = protocol.stage(sanction_stage(protocol, kind, school_days) or "")
    step = stage.step_of_kind("decision") if stage else None
    declared = (step.role or stage.role) if step else ""
    if declared and (not legal or declared in legal):
        return (declared,)
    return legal


def deciders(case_id: int, kind: str, school_days: int = 1) -> list[tuple[int, str, str]]:
    """(staff id, code, name) of the active staff who may be recorded as taking this
    decision (for the dialog: it offers only them)."""
    protocol = _ladder.protocol_for(_ladder.get_case(case_id))
    roles = set(deciding_roles(protocol, kind, school_days))
    out = []
    query = (m.Staff.select().where(m.Staff.active == True)  # noqa: E712
             .order_by(m.Staff.last_name, m.Staff.first_name, m.Staff.id))
    for staff in query:
        if roles & grants.effective_roles(staff):
            name = " ".join(p for p in (staff.first_name, staff.tussenvoegsel,
                                        staff.last_name) if p)
            out.append((staff.id, staff.code, name))
    return out


def _decider(actor: Actor, protocol: Protocol, kind: str, school_days: int,
             decided_by: int | None) -> int:
    """Who is recorded as deciding: ``decided_by`` (else the actor's own staff record), who
    must hold a deciding role (``deciding_roles``); refused with the reason in words."""
    roles = deciding_roles(protocol, kind, school_days)
    titles = " / ".join(protocol.role_title(r) for r in roles) or "-"
    measure = _(rules_mod.KIND_LABELS[kind])
    staff_id = decided_by if decided_by is not None else actor.staff_id
    staff = m.Staff.get_or_none(m.Staff.id == staff_id) if staff_id is not None else None
    if staff is None or not staff.active:
        raise _with_code(ServiceError(_(
            "Choose who took this decision ({measure}): someone with the role "
            "{roles}.").format(measure=measure, roles=titles)), "no_decider")
    if roles and not set(roles) & grants.effective_roles(staff):
        name = " ".join(p for p in (staff.first_name, staff.tussenvoegsel, staff.last_name)
                        if p)
        raise _with_code(ServiceError(_(
            "{name} cannot be recorded as taking this decision ({measure}): the protocol "
            "and the law leave it to the {roles}.").format(
            name=name, measure=measure, roles=titles)), "not_a_decider")
    return staff.id


def _with_code(error: ServiceError, code: str) -> ServiceError:
    error.code = code  # type: ignore[attr-defined]
    return error


def _refuse_unless_deciding(actor: Actor, message: str) -> None:
    if not may_decide(actor):
        error = ServiceError(message)
        error.code = "needs_directie"  # type: ignore[attr-defined]
        raise error


def _refused(exc: SanctionRefused) -> ServiceError:
    error = ServiceError(exc.message)
    error.code = exc.code  # type: ignore[attr-defined]
    return error


def legal_rules() -> rules_mod.LegalRules:
    return rules_mod.load_legal_rules()


# ---------------------------------------------------------------------------------------------
# the protocol's side: which stage a sanction belongs to, which consultation it needs


def sanction_stage(protocol: Protocol, kind: str, school_days: int = 0) -> str | None:
    """The ladder stage a sanction stands for in this protocol (None when it has none): the
    stage of declared kind ``suspension`` (one day), ``suspension_long`` (more than one
    school day; the one-day stage when there is none) or ``expulsion``."""
    if kind in SUSPENSION_KINDS:
        one = _ladder.stage_of_kind(protocol, "suspension")
        longer = _ladder.stage_of_kind(protocol, "suspension_long")
        if school_days > 1 and longer:
            return longer
        return one or longer
    return _ladder.stage_of_kind(protocol, "expulsion")


def required_consultation(protocol: Protocol, school_days: int) -> tuple[str, str] | None:
    """(stage code, step title) of the consultation needed before a longer suspension: the
    step of kind ``consultation`` of the suspension's stage."""
    if school_days <= 1:
        return None
    stage = protocol.stage(sanction_stage(protocol, SCHORSING, school_days) or "")
    step = stage.step_of_kind("consultation") if stage else None
    return (stage.code, step.title) if step else None


# ---------------------------------------------------------------------------------------------
# suspension


def ladder_preview(case_id: int, student_id: int, kind: str, school_days: int = 1,
                   on: dt.date | None = None, *, actor: Actor):
    """Would this measure move the pester on the ladder, and does the protocol want a reason
    for it (``cases.MovePreview``)? ``access.NotFound`` for a hidden case."""
    from .cases import preview_move

    protocol = _ladder.protocol_for(access.visible_case(actor, case_id))
    return preview_move(case_id, student_id, sanction_stage(protocol, kind, school_days), on)


def plan_suspension(first_day: dt.date, school_days: int | None = None,
                    last_day: dt.date | None = None, kind: str = SCHORSING) -> SuspensionPlan:
    """Preview for a dialog: the period in school days, or a ServiceError saying why not."""
    try:
        return rules_mod.plan_suspension(legal_rules(), school_calendar(), kind, first_day,
                                         school_days, last_day)
    except SanctionRefused as exc:
        raise _refused(exc) from None


def decide_suspension(actor: Actor, case_id: int, student_id: int, *, first_day: dt.date,
                      decided_on: dt.date, reason: str, hearing: Hearing | None,
                      school_days: int | None = None, last_day: dt.date | None = None,
                      kind: str = SCHORSING, decided_by: int | None = None,
                      consultation: Consultation | None = None, schoolwork: str = "",
                      return_meeting_on: dt.date | None = None,
                      move_reason: str = "") -> m.Sanction:
    """Record a decided suspension; refuses what the law or the protocol does not allow.

    A suspension of more than one school day is decided by the management: it needs the
    ``directie`` role (or ``SYSTEM``); one day may be recorded by anyone who may change the
    case. A pester below the suspension's stage moves there through the ladder's one path:
    where the protocol asks for a reason, ``move_reason`` is the user's own, else refused."""
    if kind not in SUSPENSION_KINDS:
        raise ValueError(kind)
    access.require_edit(actor, case_id)
    rules = legal_rules()
    calendar = school_calendar()
    case = _ladder.get_case(case_id)
    inv = _ladder.involvement(case_id, student_id)
    if not reason.strip():
        raise ServiceError(_("Give the facts and reasons for the suspension."))
    try:
        plan = rules_mod.plan_suspension(rules, calendar, kind, first_day, school_days, last_day)
        rules_mod.check_hearing(rules, kind, hearing, decided_on)
    except SanctionRefused as exc:
        raise _refused(exc) from None
    if needs_management(kind, plan.school_days):
        _refuse_unless_deciding(actor, _(
            "A suspension of more than one school day is decided by the school management "
            "(directie); ask them to record it."))
    if first_day < decided_on:
        raise ServiceError(_("A suspension cannot start before it is decided."))
    protocol = _ladder.protocol_for(case)
    decided_by = _decider(actor, protocol, kind, plan.school_days, decided_by)
    needed = required_consultation(protocol, plan.school_days)
    if needed and (consultation is None or not consultation.with_whom.strip()):
        raise ServiceError(_("The protocol asks for this before a longer suspension: {step}. "
                             "Record it first.").format(step=needed[1]))
    if consultation and consultation.on > decided_on:
        raise ServiceError(_("The consultation must take place before the decision."))
    due = (rules_mod.inspectie_due_on(rules, calendar, kind, decided_on)
           if plan.inspectie_required else None)
    with write():
        access.require_edit(actor, case_id)
        sanction = create(actor, m.Sanction, case=case_id, student=student_id, kind=kind,
                          first_day=plan.first_day, last_day=plan.last_day,
                          school_days=plan.school_days, reason=reason.strip(),
                          decided_by=decided_by, decided_on=decided_on,
                          hearing_on=hearing.on, hearing_who=",".join(hearing.who),
                          hearing_summary=hearing.summary, inspectie_due_on=due)
        _suspension_events(actor, protocol, case, inv, sanction, plan, hearing, consultation,
                           schoolwork, return_meeting_on, move_reason)
        _ladder.refresh(case_id)
    return sanction


def _suspension_events(actor: Actor, protocol: Protocol, case: m.Case, inv: m.Involvement,
                       sanction: m.Sanction, plan: SuspensionPlan, hearing: Hearing,
                       consultation: Consultation | None, schoolwork: str,
                       return_meeting_on: dt.date | None, move_reason: str) -> None:
    case_id = inv.case_id
    _ladder.add_event(actor, case_id, "hearing", hearing.on, involvement_id=inv.id,
                      title=_("Hearing before the decision"), body=hearing.summary,
                      data={"sanction_id": sanction.id, "who": list(hearing.who)})
    if consultation:
        _ladder.add_event(actor, case_id, "consultation", consultation.on,
                          involvement_id=inv.id, title=_("Consultation before the decision"),
                          body=consultation.notes,
                          data={"sanction_id": sanction.id, "with": consultation.with_whom})
    label = _(rules_mod.KIND_LABELS[sanction.kind])
    _ladder.add_event(
        actor, case_id, "sanction", sanction.decided_on, involvement_id=inv.id,
        title=_("{kind} of {n} school days decided ({first} to {last})").format(
            kind=label.capitalize(), n=plan.school_days, first=format_date(plan.first_day),
            last=format_date(plan.last_day)),
        body=sanction.reason,
        data={"sanction_id": sanction.id, "schoolwork": schoolwork,
              "return_meeting_on": return_meeting_on})
    stage = sanction_stage(protocol, sanction.kind, plan.school_days)
    _ladder.move(actor, case, inv, stage, sanction.decided_on, move_reason)
    if consultation:
        _ladder.step_done(actor, protocol, inv, case_id, stage, "consultation",
                          consultation.on)
    _ladder.step_done(actor, protocol, inv, case_id, stage, "hearing", hearing.on)
    _ladder.step_done(actor, protocol, inv, case_id, stage, "decision", sanction.decided_on)


def letter_sent(actor: Actor, sanction_id: int, template: str) -> m.Event | None:
    """The suspension's letter went out: the protocol's step that sends this letter on the
    suspension's stage is done (None when the stage has no such step)."""
    from .cases import record_step

    sanction = _editable(actor, sanction_id)
    protocol = _ladder.protocol_for(_ladder.get_case(sanction.case_id))
    stage = protocol.stage(sanction_stage(protocol, sanction.kind, sanction.school_days) or "")
    step = next((st for st in stage.steps if st.letter == template), None) if stage else None
    if step is None:
        return None
    return record_step(actor, sanction.case_id, step.code, student_id=sanction.student_id,
                       note=_("Letter sent"))


def record_inspectie_report(actor: Actor, sanction_id: int, read_version: int, *,
                            reported_on: dt.date, reported_by: str,
                            reference: str) -> m.Sanction:
    """Mark the notification to the inspectorate as done (date, by whom, ISD reference)."""
    sanction = _editable(actor, sanction_id)
    if sanction.inspectie_due_on is None:
        raise ServiceError(_("This measure needs no notification to the inspectorate."))
    if not reported_by.strip() or not reference.strip():
        raise ServiceError(_("Fill in who made the notification and its reference."))
    earliest = (sanction.decided_on if sanction.kind != VOORNEMEN
                else _intention_on(sanction))
    if earliest and reported_on < earliest:
        raise ServiceError(_("The notification cannot be made before the decision."))
    case = _ladder.get_case(sanction.case_id)
    protocol = _ladder.protocol_for(case)
    with write():
        access.require_edit(actor, sanction.case_id)
        save_versioned(actor, sanction, read_version, inspectie_reported_on=reported_on,
                       inspectie_reference=reference.strip())
        inv = _ladder.involvement(sanction.case_id, sanction.student_id)
        _ladder.add_event(actor, sanction.case_id, "inspectie_melding", reported_on,
                          involvement_id=inv.id,
                          title=_("Notified to the inspectorate (reference {ref})").format(
                              ref=reference.strip()),
                          data={"sanction_id": sanction.id, "by": reported_by.strip()})
        stage = sanction_stage(protocol, sanction.kind, sanction.school_days)
        _ladder.step_done(actor, protocol, inv, sanction.case_id, stage, "inspectorate",
                          reported_on)
        _ladder.refresh(sanction.case_id)
    return sanction


def _sanction(sanction_id: int) -> m.Sanction:
    sanction = m.Sanction.get_or_none(m.Sanction.id == sanction_id)
    if sanction is None:
        raise ServiceError(_("This measure no longer exists."))
    return sanction


def _editable(actor: Actor, sanction_id: int) -> m.Sanction:
    """The measure, if ``actor`` may change its case."""
    return access.editable_in_case(actor, m.Sanction, sanction_id,
                                   _("This measure no longer exists."))


# ---------------------------------------------------------------------------------------------
# the tasks the law leaves open


def open_legal_tasks(case_id: int) -> list[LegalTask]:
    """Legal tasks not done yet for a case; a case with any of these cannot be closed."""
    S = m.Sanction
    tasks = [
        LegalTask(s.id, case_id, "inspectie", _("Notify the inspectorate of the {kind} "
                                               "(Internet Schooldossier)").format(
                      kind=_(rules_mod.KIND_LABELS[s.kind])), s.inspectie_due_on)
        for s in S.select().where((S.case == case_id) & S.inspectie_due_on.is_null(False)
                                  & S.inspectie_reported_on.is_null())
    ]
    for s in S.select().where((S.case == case_id) & S.kind.in_(EXPULSION_KINDS)):
        for deadline in expulsion_deadlines(s.id):
            if deadline.code == "beslissing_bezwaar" and deadline.done_on is None:
                tasks.append(LegalTask(s.id, case_id, deadline.code, deadline.title,
                                       deadline.due_on))
    return tasks


def refuse_close_if_open(case_id: int) -> None:
    """Raise ServiceError when legal tasks block closing (for the case service)."""
    tasks = open_legal_tasks(case_id)
    if tasks:
        raise ServiceError(_("The case cannot be closed yet: {tasks}.").format(
            tasks="; ".join(t.title for t in tasks)))


def sanction_deadlines(sanction_id: int) -> list[Deadline]:
    """The legal deadlines of one measure, for display."""
    sanction = _sanction(sanction_id)
    if sanction.kind in EXPULSION_KINDS:
        return expulsion_deadlines(sanction_id)
    out = []
    if sanction.inspectie_due_on:
        out.append(Deadline("inspectie", _("Notify the inspectorate (Internet Schooldossier)"),
                            sanction.inspectie_due_on, sanction.inspectie_reported_on,
                            legal_rules().article("melding_inspectie")))
    return out


# ---------------------------------------------------------------------------------------------
# letters


def suspension_letter_data(sanction_id: int, lang: str = "nl") -> dict:
    """Merge data for the suspension letter (template ``schorsing``), with the objection text
    for this school's denomination and whom to address (an adult student directly)."""
    sanction = _sanction(sanction_id)
    rules = legal_rules()
    student = sanction.student
    decision = (m.Event.select().where((m.Event.case == sanction.case_id)
                                       & (m.Event.kind == "sanction"))
                .order_by(m.Event.id))
    extra = next((_ladder.event_data(e) for e in decision
                  if _ladder.event_data(e).get("sanction_id") == sanction.id), {})
    profile = school_profile()
    return_on = extra.get("return_meeting_on")
    data = {
        "student": {"roepnaam": student.first_name, "tussenvoegsel": student.tussenvoegsel,
                    "achternaam": student.last_name,
                    "klas": student.school_class.name if student.school_class else "",
                    "geboortedatum": student.birth_date},
        "case": {"nummer": sanction.case.number},
        "sanction": {"eerste_dag": sanction.first_day, "laatste_dag": sanction.last_day,
                     "dagen": sanction.school_days, "reden": sanction.reason,
                     "schoolwerk": extra.get("schoolwork", ""),
                     "bezwaar": rules.objection_text(profile.denomination, lang)},
        "meeting": {"datum": dt.date.fromisoformat(return_on) if return_on else None},
        "addressee": rules_mod.addressee(rules, student.birth_date,
                                         sanction.decided_on or clock.today()),
    }
    return data


def missing_letter_parts(sanction_id: int) -> list[str]:
    """What the law wants in the letter that is still empty (translated part names)."""
    data = suspension_letter_data(sanction_id)
    parts = {"reden": data["sanction"]["reden"],
             "periode": data["sanction"]["eerste_dag"],
             "schoolwerk": data["sanction"]["schoolwerk"],
             "terugkeergesprek": data["meeting"]["datum"],
             "bezwaar": data["sanction"]["bezwaar"]}
    return [_(rules_mod.LETTER_PARTS[p])
            for p in rules_mod.missing_letter_parts(legal_rules(), parts)]


# ---------------------------------------------------------------------------------------------
# expulsion


def start_expulsion(actor: Actor, case_id: int, student_id: int, *, intention_on: dt.date,
                    reason: str, decided_by: int | None = None,
                    move_reason: str = "") -> m.Sanction:
    """The written intention to expel: opens the procedure and the inspectorate task.

    Like the decision itself, the intention is the management's (bevoegd gezag) to make.
    The pester moves to the expulsion stage through the ladder's one path (``move_reason``:
    the user's own, where the protocol asks for one).
    """
    access.require_edit(actor, case_id)
    _refuse_unless_deciding(actor, _("Only the directie can announce an intention to expel."))
    if not reason.strip():
        raise ServiceError(_("Give the facts and reasons for the intention to expel."))
    case = _ladder.get_case(case_id)
    inv = _ladder.involvement(case_id, student_id)
    rules = legal_rules()
    due = rules_mod.inspectie_due_on(rules, school_calendar(), VOORNEMEN, intention_on)
    protocol = _ladder.protocol_for(case)
    decided_by = _decider(actor, protocol, VOORNEMEN, 1, decided_by)
    stage = sanction_stage(protocol, VOORNEMEN)
    with write():
        access.require_edit(actor, case_id)
        sanction = create(actor, m.Sanction, case=case_id, student=student_id, kind=VOORNEMEN,
                          reason=reason.strip(), decided_by=decided_by,
                          inspectie_due_on=due if rules.report_intention else None)
        _ladder.add_event(actor, case_id, "sanction", intention_on, involvement_id=inv.id,
                          title=_("Intention to expel, in writing"), body=sanction.reason,
                          data={"sanction_id": sanction.id, "step": "voornemen"})
        _ladder.move(actor, case, inv, stage, intention_on, move_reason)
        _ladder.step_done(actor, protocol, inv, case_id, stage, "expulsion_intention",
                          intention_on)
        _ladder.refresh(case_id)
    return sanction


def _intention_on(sanction: m.Sanction) -> dt.date:
    for event in _procedure_events(sanction):
        if _ladder.event_data(event).get("step") == "voornemen":
            return event.occurred_on
    return clock.local_date(sanction.created_at)


PROCEDURE_EVENT_KINDS = ("sanction", "expulsion_step", "inspectie_melding")


def _procedure_events(sanction: m.Sanction) -> list[m.Event]:
    events = (m.Event.select().where((m.Event.case == sanction.case_id)
                                     & m.Event.kind.in_(PROCEDURE_EVENT_KINDS))
              .order_by(m.Event.occurred_on, m.Event.id))
    return [e for e in events if _ladder.event_data(e).get("sanction_id") == sanction.id]


def expulsion_state(sanction_id: int) -> ExpulsionState:
    sanction = _sanction(sanction_id)
    if sanction.kind not in EXPULSION_KINDS:
        raise ServiceError(_("This measure is not an expulsion."))
    steps: dict[str, dt.date] = {}
    schools = []
    for event in _procedure_events(sanction):
        data = _ladder.event_data(event)
        step = "inspectie" if event.kind == "inspectie_melding" else data.get("step", "")
        if step == "andere_school":
            schools.append(SchoolApproached(event.occurred_on, data.get("school", ""),
                                            data.get("outcome", "")))
        elif step:
            steps.setdefault(step, event.occurred_on)
    hearing = None
    if sanction.hearing_on:
        hearing = Hearing(sanction.hearing_on,
                          tuple(w for w in sanction.hearing_who.split(",") if w),
                          sanction.hearing_summary)
    return ExpulsionState(
        intention_on=_intention_on(sanction), hearing=hearing,
        inspectie_on=steps.get("inspectie"), leerplicht_on=steps.get("leerplicht"),
        decision_reported_on=(sanction.inspectie_reported_on
                              if sanction.kind == VERWIJDERING else None),
        decided_on=sanction.decided_on if sanction.kind == VERWIJDERING else None,
        letter_on=steps.get("brief"), schools=tuple(schools),
        objection_on=steps.get("bezwaar"), objection_decided_on=steps.get("beslissing_bezwaar"),
        geschillencommissie_on=steps.get("geschillencommissie"))


def expulsion_deadlines(sanction_id: int) -> list[Deadline]:
    """The procedure's deadlines, on school days of the school's calendar."""
    return rules_mod.expulsion_deadlines(legal_rules(), school_calendar(),
                                         expulsion_state(sanction_id))


def expulsion_may_take_effect(sanction_id: int, today: dt.date) -> tuple[bool, str]:
    """May the decided expulsion take effect (another school, or the search term over)?"""
    return rules_mod.expulsion_may_take_effect(legal_rules(), expulsion_state(sanction_id),
                                               today, school_calendar())


def record_expulsion_hearing(actor: Actor, sanction_id: int, read_version: int,
                             hearing: Hearing) -> m.Sanction:
    """Record who was heard about the intended expulsion (student, parents, teachers)."""
    sanction = _editable(actor, sanction_id)
    if not hearing.who:
        raise ServiceError(_("Name who was heard."))
    state = expulsion_state(sanction_id)
    if hearing.on < state.intention_on:
        raise ServiceError(_("This date lies before the intention to expel."))
    case = _ladder.get_case(sanction.case_id)
    protocol = _ladder.protocol_for(case)
    with write():
        access.require_edit(actor, sanction.case_id)
        save_versioned(actor, sanction, read_version, hearing_on=hearing.on,
                       hearing_who=",".join(hearing.who), hearing_summary=hearing.summary)
        inv = _ladder.involvement(sanction.case_id, sanction.student_id)
        _ladder.add_event(actor, sanction.case_id, "hearing", hearing.on, involvement_id=inv.id,
                          title=_("Hearing about the intended expulsion"), body=hearing.summary,
                          data={"sanction_id": sanction.id, "who": list(hearing.who)})
        _ladder.step_done(actor, protocol, inv, sanction.case_id,
                          sanction_stage(protocol, VOORNEMEN), "hearing", hearing.on)
        _ladder.refresh(sanction.case_id)
    return sanction


EXPULSION_STEP_CODES = ("leerplicht", "brief", "andere_school", "bezwaar", "beslissing_bezwaar",
                        "geschillencommissie")


def record_expulsion_step(actor: Actor, sanction_id: int, step: str, on: dt.date, *,
                          note: str = "", school: str = "", outcome: str = "") -> m.Event:
    """Record a step of the procedure (in order; the law's order is checked)."""
    if step not in EXPULSION_STEP_CODES:
        raise ValueError(step)
    sanction = _editable(actor, sanction_id)
    state = expulsion_state(sanction_id)
    try:
        rules_mod.check_expulsion_step(legal_rules(), state, step, on)
    except SanctionRefused as exc:
        raise _refused(exc) from None
    if step == "andere_school" and not school.strip():
        raise ServiceError(_("Name the school that was approached."))
    if outcome not in ("", "admitted", "refused"):
        raise ValueError(outcome)
    titles = {
        "leerplicht": _("Compulsory-education officer informed"),
        "brief": _("Decision to expel sent in writing"),
        "andere_school": _("School approached: {school}").format(school=school.strip()),
        "bezwaar": _("Objection received"),
        "beslissing_bezwaar": _("Decision on the objection"),
        "geschillencommissie": _("Dispute submitted to the Geschillencommissie passend "
                                 "onderwijs"),
    }
    case = _ladder.get_case(sanction.case_id)
    protocol = _ladder.protocol_for(case)
    with write():
        access.require_edit(actor, sanction.case_id)
        inv = _ladder.involvement(sanction.case_id, sanction.student_id)
        event = _ladder.add_event(actor, sanction.case_id, "expulsion_step", on,
                                  involvement_id=inv.id, title=titles[step], body=note,
                                  data={"sanction_id": sanction.id, "step": step,
                                        "school": school.strip(), "outcome": outcome})
        stage = sanction_stage(protocol, VOORNEMEN)
        if step == "andere_school" and outcome == "admitted":
            _ladder.step_done(actor, protocol, inv, sanction.case_id, stage, "other_school", on)
        if step == "brief":
            _ladder.step_done(actor, protocol, inv, sanction.case_id, stage, "decision", on)
        _ladder.refresh(sanction.case_id)
    return event


def decide_expulsion(actor: Actor, sanction_id: int, read_version: int, *,
                     decided_on: dt.date, decided_by: int | None = None) -> m.Sanction:
    """The decision to expel: only after the hearing and consulting the inspectorate.

    The protocol leaves this decision to the school's management: it needs the ``directie``
    role (or ``SYSTEM``, the command line)."""
    sanction = _editable(actor, sanction_id)
    _refuse_unless_deciding(actor, _("The decision to expel is taken by the school "
                                     "management (directie); ask them to record it."))
    if sanction.kind != VOORNEMEN:
        raise ServiceError(_("Start with the intention to expel."))
    protocol = _ladder.protocol_for(_ladder.get_case(sanction.case_id))
    decided_by = _decider(actor, protocol, VERWIJDERING, 1,
                          decided_by if decided_by is not None else sanction.decided_by_id)
    try:
        rules_mod.check_expulsion_step(legal_rules(), expulsion_state(sanction_id), "besluit",
                                       decided_on)
    except SanctionRefused as exc:
        raise _refused(exc) from None
    with write():
        access.require_edit(actor, sanction.case_id)
        due = rules_mod.inspectie_due_on(legal_rules(), school_calendar(), VERWIJDERING,
                                         decided_on)
        save_versioned(actor, sanction, read_version, kind=VERWIJDERING, decided_on=decided_on,
                       decided_by=decided_by, inspectie_due_on=due,
                       inspectie_reported_on=None, inspectie_reference="")
        inv = _ladder.involvement(sanction.case_id, sanction.student_id)
        _ladder.add_event(actor, sanction.case_id, "sanction", decided_on, involvement_id=inv.id,
                          title=_("Expulsion decided"), body=sanction.reason,
                          data={"sanction_id": sanction.id, "step": "besluit"})
        audit(actor, "decide", "sanction", sanction.id, VERWIJDERING)
        _ladder.refresh(sanction.case_id)
    return sanction
