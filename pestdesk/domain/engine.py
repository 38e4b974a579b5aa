"""The protocol engine: where does a case stand, what is done, what is next, what is overdue.

Input is a ``Protocol`` (see ``protocol.py``), a ``CaseHistory`` of plain entries and a date;
output is a ``CaseAssessment``. The ladder runs per pester: every pester of a case has their
own stage, and a pester who was a pester in an earlier case is a relapse (recidive).
``check_transition`` is the gate the services ask before they record an escalation, a step
back, closing or reopening: it raises ``TransitionRefused`` with a translated reason.

Pure Python: no Qt, no database. Replaying the history is cheap (well under a millisecond for
a large case, see ``bench/bench_ladder.py``), so nothing here is cached.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, replace

from pestdesk.i18n import _, format_date

from .protocol import CyberItem, CyberTrack, Helpline, Protocol, Stage, Step
from .schooldays import SchoolCalendar
from .taxonomy import POLICE_REPORT_LEVELS

STEP_DONE = "step_done"
ESCALATE = "escalate"
DEESCALATE = "deescalate"
CLOSE = "close"
REOPEN = "reopen"
CONTRACT_BROKEN = "contract_broken"
CONTRACT_KEPT = "contract_kept"
HISTORY_KINDS = (STEP_DONE, ESCALATE, DEESCALATE, CLOSE, REOPEN, CONTRACT_BROKEN, CONTRACT_KEPT)
TRANSITION_KINDS = (ESCALATE, DEESCALATE, CLOSE, REOPEN, CONTRACT_BROKEN, CONTRACT_KEPT)
CYBER_STAGE = "cyber"  # stage_code that marks a step_done as a cyber checklist item

OPEN = "open"
CLOSED = "closed"

# ---------------------------------------------------------------------------------------------
# input


@dataclass(frozen=True)
class HistoryEntry:
    """One recorded fact of a case.

    ``student_id`` names the pester it is about; ``None`` (or a non-pester such as the victim)
    means the whole case. ``stage_code`` of a ``step_done`` defaults to the pester's stage at
    that moment; for ``escalate``/``deescalate`` it is the target stage (default: the next or
    previous one).
    """

    kind: str
    on: dt.date
    student_id: int | None = None
    step_code: str = ""
    stage_code: str = ""
    reason: str = ""


@dataclass(frozen=True)
class PriorCase:
    """An earlier case in which the student was a pester."""

    case_id: int
    reported_on: dt.date
    closed_on: dt.date | None
    last_stage_code: str


@dataclass
class CaseHistory:
    case_id: int
    reported_on: dt.date
    pesters: list[int] = field(default_factory=list)
    is_cyber: bool = False
    cyber_track: str = ""
    entries: list[HistoryEntry] = field(default_factory=list)
    prior_cases: dict[int, list[PriorCase]] = field(default_factory=dict)
    status: str = OPEN
    scope: str = ""  # "across_classes": the pesters start on the protocol's declared stage
    #: where a report to the police stands (``taxonomy.POLICE_REPORT_STATES``): while it is
    #: "planned" or "made", evidence comes first and blocking the sender waits
    police_report: str = ""


# ---------------------------------------------------------------------------------------------
# output


@dataclass(frozen=True)
class Notice:
    """Something the user should know; ``code`` is stable for the GUI, ``message`` translated."""

    code: str
    message: str
    severity: str = "warning"  # "info" or "warning"


@dataclass(frozen=True)
class StepStatus:
    stage_code: str
    code: str
    title: str
    required: bool
    scope: str
    letter: str
    role_code: str
    role_title: str
    due_on: dt.date | None
    done_on: dt.date | None
    overdue: bool = False
    #: the title of the step this one waits for (a decision waits for its hearing), or ""
    waits_for: str = ""


@dataclass(frozen=True)
class NextStep:
    stage_code: str
    step_code: str
    title: str
    role_code: str
    role_title: str
    letter: str
    due_on: dt.date | None
    guide: str = ""


@dataclass(frozen=True)
class Relapse:
    relapse_of: tuple[int, ...]
    highest_stage_code: str
    proposed_stage_code: str
    proposed_stage_title: str


@dataclass(frozen=True)
class PesterAssessment:
    student_id: int
    stage_code: str
    stage_title: str
    stage_index: int
    role_code: str
    role_title: str
    entered_on: dt.date
    done_steps: tuple[StepStatus, ...]
    open_steps: tuple[StepStatus, ...]
    required_open: tuple[StepStatus, ...]
    overdue: tuple[StepStatus, ...]
    next_step: NextStep | None
    relapse: Relapse | None
    proposed_stage_code: str  # where the engine proposes to move this pester, or ""
    proposal_reason: str  # "relapse" or ""
    is_last_stage: bool
    notices: tuple[Notice, ...]


@dataclass(frozen=True)
class ChecklistItem:
    code: str
    title: str
    advice: str
    letter: str
    status: str  # "done", "open", "skipped" (track says: do not), "paused" (wait for police)
    done_on: dt.date | None
    note: str = ""


@dataclass(frozen=True)
class TrackAdvice:
    code: str
    title: str
    description: str
    police_report: str
    police_report_text: str
    block_sender: bool
    advice: tuple[str, ...]
    roles: tuple[tuple[str, str], ...]  # (role code, display title)


@dataclass(frozen=True)
class CyberAssessment:
    items: tuple[ChecklistItem, ...]
    track: TrackAdvice | None
    helplines: tuple[Helpline, ...]  # the track's first, then the others
    next_item: ChecklistItem | None
    notices: tuple[Notice, ...]
    police_report: str = ""  # the recorded state (taxonomy.POLICE_REPORT_STATES)
    #: blocking the sender: "yes" (do it, after keeping the evidence), "wait" (a police
    #: report is planned, made or advised), "no" (the track says not to) -- the checklist
    #: and the advice letter to the parents say the same
    block: str = "yes"


@dataclass(frozen=True)
class CaseAssessment:
    case_id: int
    today: dt.date
    status: str
    pesters: tuple[PesterAssessment, ...]
    cyber: CyberAssessment | None
    notices: tuple[Notice, ...]
    stage_code: str  # the highest stage any pester stands on ("" without pesters)
    next_due_on: dt.date | None  # earliest due date of an open required step
    overdue_count: int

    def pester(self, student_id: int) -> PesterAssessment:
        for pester in self.pesters:
            if pester.student_id == student_id:
                return pester
        raise KeyError(student_id)


class TransitionRefused(Exception):
    """The protocol does not allow this move now; ``message`` says why (translated)."""

    def __init__(self, message: str, missing: tuple[str, ...] = ()) -> None:
        super().__init__(message)
        self.message = message
        self.missing = missing


# ---------------------------------------------------------------------------------------------
# replaying the history


@dataclass
class _Pester:
    student_id: int
    stage_index: int
    entered_on: dt.date
    done: dict[tuple[str, str], dt.date] = field(default_factory=dict)
    notices: list[Notice] = field(default_factory=list)


@dataclass
class _Replay:
    pesters: dict[int, _Pester]
    status: str
    cyber_done: dict[str, dt.date]
    notices: list[Notice]
    #: per pester, the stage index a relapse proposes (a move there follows the protocol)
    proposals: dict[int, int] = field(default_factory=dict)


def _replay(protocol: Protocol, history: CaseHistory) -> _Replay:
    start = protocol.stage_index(protocol.start_stage(history.scope).code)
    pesters = {sid: _Pester(sid, start, history.reported_on)
               for sid in dict.fromkeys(history.pesters)}
    state = _Replay(pesters, history.status or OPEN, {}, [])
    for sid in pesters:
        relapse = _relapse(protocol, history, sid)
        if relapse is not None:
            state.proposals[sid] = protocol.stage_index(relapse.proposed_stage_code)
    for entry in sorted(history.entries, key=lambda e: e.on):
        _apply(protocol, state, entry)
    return state


def _apply(protocol: Protocol, state: _Replay, entry: HistoryEntry) -> None:
    if entry.kind == STEP_DONE:
        _apply_step(protocol, state, entry)
    elif entry.kind in (ESCALATE, DEESCALATE):
        for pester in _targets(state, entry):
            _move(protocol, pester, entry, state.proposals.get(pester.student_id, -1))
    elif entry.kind == CLOSE:
        state.status = CLOSED
    elif entry.kind == REOPEN:
        state.status = OPEN
    elif entry.kind == CONTRACT_BROKEN:
        for pester in _targets(state, entry):
            _contract_broken(protocol, pester, entry)
    elif entry.kind == CONTRACT_KEPT:
        for pester in _targets(state, entry):
            pester.notices.append(Notice("contract_kept", _("The contract was kept."), "info"))
    else:
        state.notices.append(
            Notice(
                "unknown_entry",
                _("A history entry of unknown kind '{kind}' was ignored.").format(kind=entry.kind),
            )
        )


def _targets(state: _Replay, entry: HistoryEntry) -> list[_Pester]:
    if entry.student_id in state.pesters:
        return [state.pesters[entry.student_id]]
    return list(state.pesters.values())


def _apply_step(protocol: Protocol, state: _Replay, entry: HistoryEntry) -> None:
    if entry.stage_code in ("", CYBER_STAGE) and protocol.cyber.item(entry.step_code):
        state.cyber_done.setdefault(entry.step_code, entry.on)
        return
    applied = False
    for pester in _targets(state, entry):
        stage_code = entry.stage_code or protocol.stages[pester.stage_index].code
        stage = protocol.stage(stage_code)
        step = stage.step(entry.step_code) if stage else None
        if step is None:
            continue
        applied = True
        pester.done.setdefault((stage_code, step.code), entry.on)
        if step.scope == "case":  # done once for everyone standing on that stage
            for other in state.pesters.values():
                if protocol.stages[other.stage_index].code == stage_code:
                    other.done.setdefault((stage_code, step.code), entry.on)
    if not applied:
        state.notices.append(
            Notice(
                "step_not_on_stage",
                _("Step '{step}' was recorded but belongs to no stage a bully stands on.").format(
                    step=entry.step_code
                ),
                "info",
            )
        )


def _move(protocol: Protocol, pester: _Pester, entry: HistoryEntry, proposed: int = -1) -> None:
    """Apply an escalation or a step back. Moving on with required steps open is noted as a
    deviation, unless the move is the one the protocol itself proposes (a relapse starting
    higher on the ladder)."""
    last = len(protocol.stages) - 1
    if entry.stage_code:
        target = protocol.stage_index(entry.stage_code)
        if target < 0:
            pester.notices.append(
                Notice(
                    "unknown_stage",
                    _("A move to the unknown stage '{stage}' was ignored.").format(
                        stage=entry.stage_code
                    ),
                )
            )
            return
    elif entry.kind == ESCALATE:
        target = min(pester.stage_index + 1, last)
    else:
        target = max(pester.stage_index - 1, 0)
    if entry.kind == ESCALATE and target != proposed:
        missing = _required_open(protocol, pester)
        if missing:
            pester.notices.append(
                Notice(
                    "moved_with_open_steps",
                    _(
                        "Moved on from '{stage}' with required steps open ({steps}); "
                        "reason: {reason}"
                    ).format(
                        stage=protocol.stages[pester.stage_index].title,
                        steps=", ".join(s.title for s in missing),
                        reason=entry.reason or "-",
                    ),
                    "info",
                )
            )
    if target != pester.stage_index:
        pester.stage_index = target
        pester.entered_on = entry.on


def _contract_broken(protocol: Protocol, pester: _Pester, entry: HistoryEntry) -> None:
    """A broken contract moves the pester to the stage after the contract's stage (declared
    ``kind = "contract"``; without one, the stage after the current one)."""
    current = protocol.stages[pester.stage_index]
    contract = protocol.stage_of_kind("contract")
    base = protocol.stage_index(contract.code) if contract else pester.stage_index
    following = protocol.next_stage(protocol.stages[base].code)
    if following is None:
        pester.notices.append(
            Notice(
                "contract_broken_last_stage",
                _("The contract was broken, and '{stage}' is already the last stage.").format(
                    stage=current.title
                ),
            )
        )
        return
    target = protocol.stage_index(following.code)
    if target <= pester.stage_index:
        pester.notices.append(
            Notice(
                "contract_broken",
                _("The contract was broken on {date}; the bully already stands on "
                  "'{stage}'.").format(date=format_date(entry.on), stage=current.title),
                "info",
            )
        )
        return
    pester.notices.append(
        Notice(
            "contract_broken",
            _("The contract was broken on {date}; moved on to '{stage}'.").format(
                date=format_date(entry.on), stage=following.title
            ),
        )
    )
    pester.stage_index = target
    pester.entered_on = entry.on


def _required_open(protocol: Protocol, pester: _Pester) -> list[Step]:
    stage = protocol.stages[pester.stage_index]
    return [s for s in stage.required_steps if (stage.code, s.code) not in pester.done]


# ---------------------------------------------------------------------------------------------
# assessing


def evaluate(protocol: Protocol, history: CaseHistory, today: dt.date,
             calendar: SchoolCalendar | None = None) -> CaseAssessment:
    """Where the case stands on ``today``: per pester, for the cyber checklist, and overall.

    A step's due date is ``due_days`` calendar days after the pester entered the stage,
    rolled on to the next school day of ``calendar`` (the school's: its vacations and free
    days; without one, weekends and public holidays)."""
    state = _replay(protocol, history)
    calendar = calendar or _PLAIN_CALENDAR
    pesters = tuple(
        _assess_pester(protocol, history, state, pester, today, calendar)
        for pester in state.pesters.values()
    )
    notices = list(state.notices)
    if not pesters:
        notices.append(
            Notice(
                "no_pester",
                _("No bully has been registered yet; the ladder starts when one is added."),
                "info",
            )
        )
    cyber = None
    if history.is_cyber or history.cyber_track:
        cyber = _assess_cyber(protocol, history, state)
    stage_code = ""
    if pesters:
        stage_code = max(pesters, key=lambda p: p.stage_index).stage_code
    open_due = [s.due_on for p in pesters for s in p.required_open if s.due_on]
    return CaseAssessment(
        case_id=history.case_id,
        today=today,
        status=state.status,
        pesters=pesters,
        cyber=cyber,
        notices=tuple(notices),
        stage_code=stage_code,
        next_due_on=min(open_due) if open_due and state.status == OPEN else None,
        overdue_count=sum(len(p.overdue) for p in pesters),
    )


_PLAIN_CALENDAR = SchoolCalendar()


def due_date(calendar: SchoolCalendar, start: dt.date, days: int) -> dt.date:
    """``days`` calendar days after ``start``, on the next school day if that is none."""
    return calendar.next_school_day(start + dt.timedelta(days=days))


def _step_status(
    protocol: Protocol, stage: Stage, step: Step, pester: _Pester, today: dt.date, is_open: bool,
    calendar: SchoolCalendar,
) -> StepStatus:
    role = step.role or stage.role
    due_on = None
    if step.due_days is not None:
        due_on = due_date(calendar, pester.entered_on, step.due_days)
    done_on = pester.done.get((stage.code, step.code))
    overdue = bool(
        is_open and step.required and done_on is None and due_on is not None and due_on < today
    )
    return StepStatus(
        stage_code=stage.code,
        code=step.code,
        title=step.title,
        required=step.required,
        scope=step.scope,
        letter=step.letter,
        role_code=role,
        role_title=protocol.role_title(role),
        due_on=due_on,
        done_on=done_on,
        overdue=overdue,
    )


def _assess_pester(
    protocol: Protocol, history: CaseHistory, state: _Replay, pester: _Pester, today: dt.date,
    calendar: SchoolCalendar,
) -> PesterAssessment:
    stage = protocol.stages[pester.stage_index]
    is_open = state.status == OPEN
    steps = [_step_status(protocol, stage, s, pester, today, is_open, calendar)
             for s in stage.steps]
    hearing = _open_hearing(stage, pester)
    if hearing is not None:  # no decision before the hearing, in every stage
        steps = [replace(s, waits_for=hearing.title, overdue=False)
                 if s.done_on is None and stage.step(s.code).kind == "decision" else s
                 for s in steps]
    done = tuple(s for s in steps if s.done_on is not None)
    open_steps = tuple(s for s in steps if s.done_on is None)
    required_open = tuple(s for s in open_steps if s.required)
    overdue = tuple(s for s in open_steps if s.overdue)
    notices = list(pester.notices)
    relapse = _relapse(protocol, history, pester.student_id)
    proposed, reason = "", ""
    if relapse and protocol.stage_index(relapse.proposed_stage_code) > pester.stage_index:
        proposed, reason = relapse.proposed_stage_code, "relapse"
        notices.append(
            Notice(
                "relapse",
                _(
                    "Relapse: this student was a bully before (case {cases}); "
                    "the protocol proposes starting at '{stage}'."
                ).format(
                    cases=", ".join(str(c) for c in relapse.relapse_of),
                    stage=relapse.proposed_stage_title,
                ),
            )
        )
    for step in overdue:
        notices.append(
            Notice(
                "overdue",
                _("'{step}' was due on {date}.").format(
                    step=step.title, date=format_date(step.due_on)
                ),
            )
        )
    return PesterAssessment(
        student_id=pester.student_id,
        stage_code=stage.code,
        stage_title=stage.title,
        stage_index=pester.stage_index,
        role_code=stage.role,
        role_title=protocol.role_title(stage.role),
        entered_on=pester.entered_on,
        done_steps=done,
        open_steps=open_steps,
        required_open=required_open,
        overdue=overdue,
        next_step=_next_step(stage, open_steps) if is_open else None,
        relapse=relapse,
        proposed_stage_code=proposed,
        proposal_reason=reason,
        is_last_stage=pester.stage_index == len(protocol.stages) - 1,
        notices=tuple(notices),
    )


def _open_hearing(stage: Stage, pester: _Pester) -> Step | None:
    """The stage's hearing step when this pester has not been heard yet (else None)."""
    hearing = stage.step_of_kind("hearing")
    if hearing is None or (stage.code, hearing.code) in pester.done:
        return None
    return hearing


def _next_step(stage: Stage, open_steps: tuple[StepStatus, ...]) -> NextStep | None:
    """The first open required step in protocol order, else the first open optional one;
    never a step that waits for another (a decision before its hearing)."""
    ready = [s for s in open_steps if not s.waits_for]
    candidates = [s for s in ready if s.required] or ready
    if not candidates:
        return None
    chosen = candidates[0]
    step = stage.step(chosen.code)
    return NextStep(
        stage_code=stage.code,
        step_code=chosen.code,
        title=chosen.title,
        role_code=chosen.role_code,
        role_title=chosen.role_title,
        letter=chosen.letter,
        due_on=chosen.due_on,
        guide=step.guide if step else "",
    )


def _relapse(protocol: Protocol, history: CaseHistory, student_id: int) -> Relapse | None:
    prior = [p for p in history.prior_cases.get(student_id, []) if p.case_id != history.case_id]
    if not prior:
        return None
    # A prior case on an unknown stage (another protocol) counts as the first stage reached.
    highest = max(max(protocol.stage_index(p.last_stage_code), 0) for p in prior)
    proposed = protocol.stages[min(highest + 1, len(protocol.stages) - 1)]
    return Relapse(
        relapse_of=tuple(sorted(p.case_id for p in prior)),
        highest_stage_code=protocol.stages[highest].code,
        proposed_stage_code=proposed.code,
        proposed_stage_title=proposed.title,
    )


# ---------------------------------------------------------------------------------------------
# cyberbullying


def _assess_cyber(protocol: Protocol, history: CaseHistory, state: _Replay) -> CyberAssessment:
    notices: list[Notice] = []
    track = protocol.cyber.track(history.cyber_track) if history.cyber_track else None
    if history.cyber_track and track is None:
        notices.append(
            Notice(
                "unknown_track",
                _("This protocol has no advice for the cyber track '{track}'.").format(
                    track=history.cyber_track
                ),
            )
        )
    reported = history.police_report in ("planned", "made")
    wait = reported or bool(track and track.police_report in ("direct", "adviseren")
                            and history.police_report != "not_wanted")
    items = tuple(_checklist_item(item, track, state, notices, wait, history.police_report)
                  for item in protocol.cyber.items)
    if track:
        notices.extend(_track_notices(track, history.police_report))
    if reported:
        notices.append(Notice(
            "police_report_evidence",
            _("A police report is planned or made: keep all evidence first, and wait with "
              "blocking the sender.")))
    first = [h for code in (track.helplines if track else ()) if (h := protocol.helpline(code))]
    rest = [h for h in protocol.helplines if h not in first]
    open_items = [i for i in items if i.status == "open"]
    evidence = protocol.cyber.item_of_kind("evidence")
    if reported and evidence is not None:  # evidence comes first once the police are involved
        open_items.sort(key=lambda i: i.code != evidence.code)
    blocker = protocol.cyber.item_of_kind("block_sender") or next(
        (i for i in protocol.cyber.items if i.waits_for_police), None)
    block = "yes"
    if (track and not track.block_sender) or (blocker and track and blocker.code in track.skip):
        block = "no"
    elif wait:
        block = "wait"
    return CyberAssessment(
        items=items,
        track=_track_advice(protocol, track) if track else None,
        helplines=tuple(first + rest),
        next_item=open_items[0] if open_items else None,
        notices=tuple(notices),
        police_report=history.police_report,
        block=block,
    )


def _checklist_item(
    item: CyberItem, track: CyberTrack | None, state: _Replay, notices: list[Notice],
    wait: bool = False, police_report: str = "",
) -> ChecklistItem:
    done_on = state.cyber_done.get(item.code)
    status, note = ("done" if done_on else "open"), ""
    advice = item.advice
    if track and not track.keep_images and item.advice_no_images:
        advice = item.advice_no_images  # no screenshots of images in sexting or grooming
    if track and item.code in track.skip:
        note = _("Do not do this in a case of {track}.").format(track=track.title)
        if done_on:
            notices.append(
                Notice(
                    "done_against_advice",
                    _("'{item}' was done although the {track} advice says not to.").format(
                        item=item.title, track=track.title
                    ),
                )
            )
        else:
            status = "skipped"
    elif item.waits_for_police and wait:
        note = (_("Wait with this: the police report has been made.") if police_report == "made"
                else _("Wait with this until the police report has been made."))
        if not done_on:
            status = "paused"
    return ChecklistItem(item.code, item.title, advice, item.letter, status, done_on, note)


def _track_notices(track: CyberTrack, police_report: str = "") -> list[Notice]:
    notices = []
    if police_report in ("planned", "made", "not_wanted"):
        pass  # the report's state is recorded: no advice to make one
    elif track.police_report == "direct":
        notices.append(
            Notice(
                "police_report_now",
                _("Advise the parents to report this to the police at once."),
            )
        )
    elif track.police_report == "adviseren":
        notices.append(
            Notice("police_report", _("Advise the parents to report this to the police."), "info")
        )
    if not track.block_sender:
        notices.append(
            Notice("do_not_block", _("Do not block the contact: the police need it as evidence."))
        )
    return notices


def _track_advice(protocol: Protocol, track: CyberTrack) -> TrackAdvice:
    return TrackAdvice(
        code=track.code,
        title=track.title,
        description=track.description,
        police_report=track.police_report,
        police_report_text=_(POLICE_REPORT_LEVELS[track.police_report]),
        block_sender=track.block_sender,
        advice=track.advice,
        roles=tuple((code, protocol.role_title(code)) for code in track.roles),
    )


# ---------------------------------------------------------------------------------------------
# the gate for steps


def check_step(protocol: Protocol, history: CaseHistory, student_id: int | None,
               step_code: str, stage_code: str = "") -> None:
    """Raise ``TransitionRefused`` when a step may not be recorded now: a ``decision`` step
    while its stage's ``hearing`` step is open, in every stage (for ``student_id``, or for
    every pester on the stage when it is None)."""
    state = _replay(protocol, history)
    pesters = ([state.pesters[student_id]] if student_id in state.pesters
               else list(state.pesters.values()))
    for pester in pesters:
        stage = protocol.stage(stage_code) if stage_code else protocol.stages[pester.stage_index]
        step = stage.step(step_code) if stage else None
        if step is None or step.kind != "decision":
            continue
        if not stage_code and protocol.stages[pester.stage_index].code != stage.code:
            continue
        hearing = _open_hearing(stage, pester)
        if hearing is not None:
            raise TransitionRefused(
                _("'{step}' comes after '{hearing}': no decision before the student and the "
                  "parents have been heard. Record the hearing first.").format(
                    step=step.title, hearing=hearing.title),
                missing=(hearing.code,))


# ---------------------------------------------------------------------------------------------
# the gate for transitions


def check_transition(
    protocol: Protocol,
    history: CaseHistory,
    student_id: int | None,
    kind: str,
    target_stage: str | None = None,
    reason: str = "",
) -> None:
    """Raise ``TransitionRefused`` if the protocol does not allow ``kind`` now.

    ``student_id`` is the pester for ladder moves and contract outcomes; it is ignored for
    closing and reopening the case. A reason lets the user override the protocol's order
    (moving on with required steps open, skipping a stage) but is always needed to close the
    case or to go back a stage.
    """
    if kind not in TRANSITION_KINDS:
        raise ValueError(f"not a transition: {kind!r}")
    reason = (reason or "").strip()
    state = _replay(protocol, history)
    if kind == CLOSE:
        _check_close(state, reason)
        return
    if kind == REOPEN:
        if state.status != CLOSED:
            raise TransitionRefused(_("The case is not closed."))
        return
    if state.status == CLOSED:
        raise TransitionRefused(_("The case is closed; reopen it first."))
    pester = state.pesters.get(student_id) if student_id is not None else None
    if pester is None:
        raise TransitionRefused(
            _("This student is not a bully in this case; the ladder applies to bullies only.")
        )
    if kind == ESCALATE:
        _check_escalate(protocol, history, pester, target_stage, reason)
    elif kind == DEESCALATE:
        _check_deescalate(protocol, pester, target_stage, reason)


def _check_close(state: _Replay, reason: str) -> None:
    if state.status == CLOSED:
        raise TransitionRefused(_("The case is already closed."))
    if not reason:
        raise TransitionRefused(_("Give a reason for closing the case."))


def _target_index(protocol: Protocol, target_stage: str | None, default: int) -> int:
    if not target_stage:
        return default
    index = protocol.stage_index(target_stage)
    if index < 0:
        raise TransitionRefused(
            _("There is no stage '{stage}' in this protocol.").format(stage=target_stage)
        )
    return index


def _check_escalate(
    protocol: Protocol, history: CaseHistory, pester: _Pester, target: str | None, reason: str
) -> None:
    current = protocol.stages[pester.stage_index]
    if pester.stage_index == len(protocol.stages) - 1:
        raise TransitionRefused(
            _("'{stage}' is the last stage of the ladder.").format(stage=current.title)
        )
    index = _target_index(protocol, target, pester.stage_index + 1)
    if index <= pester.stage_index:
        raise TransitionRefused(
            _("'{stage}' is not a later stage; go back a stage instead.").format(
                stage=protocol.stages[index].title
            )
        )
    relapse = _relapse(protocol, history, pester.student_id)
    relapse_index = protocol.stage_index(relapse.proposed_stage_code) if relapse else -1
    if index == relapse_index:
        return  # a relapse starts higher on the ladder: the earlier case is the reason
    missing = _required_open(protocol, pester)
    if missing and not reason:
        raise TransitionRefused(
            _(
                "These required steps of '{stage}' are not done yet: {steps}. Do them first, or "
                "give a reason to move on anyway."
            ).format(stage=current.title, steps="; ".join(s.title for s in missing)),
            missing=tuple(s.code for s in missing),
        )
    if index != pester.stage_index + 1 and not reason:
        raise TransitionRefused(
            _("'{stage}' skips stages of the ladder; give a reason to skip to it.").format(
                stage=protocol.stages[index].title
            )
        )


def _check_deescalate(protocol: Protocol, pester: _Pester, target: str | None, reason: str) -> None:
    current = protocol.stages[pester.stage_index]
    if pester.stage_index == 0:
        raise TransitionRefused(
            _("'{stage}' is the first stage; there is no stage before it.").format(
                stage=current.title
            )
        )
    index = _target_index(protocol, target, pester.stage_index - 1)
    if index >= pester.stage_index:
        raise TransitionRefused(
            _("'{stage}' is not an earlier stage.").format(stage=protocol.stages[index].title)
        )
    if not reason:
        raise TransitionRefused(_("Give a reason for going back a stage."))
