"""Case services: from a report (melding) to the next right step of the protocol.

Every function that changes a dossier runs in one short ``write()`` transaction, checks the
version the user read where a record is edited (``Conflict`` otherwise), leaves audit lines
without personal data, and ends by refreshing the denormalised state (``Case.stage_code``,
``Case.next_due_on``, ``Involvement.stage_code``) from the engine. Ladder moves always ask
``engine.check_transition`` first; a refusal becomes a ``TransitionError`` (a
``ServiceError``) carrying the engine's translated message. Refusals carry a stable ``code``
for the GUI; every message is translated.

Public API (stable; the case screens build on it)
-------------------------------------------------

Input records: ``ReportInput`` (with ``InvolvedInput`` per student), ``ConversationInput``
(with ``AgreementInput`` per agreement).

Reports and signals
    ``register_report(actor, ReportInput) -> Case``
    ``record_signal(actor, reported_on, summary, description='', involved=()) -> Case``
    ``promote_signal(actor, case_id, read_version, details: ReportInput | None) -> Case``
    ``update_case(actor, case_id, read_version, **changes) -> Case`` (the report's fields)
Students in a case
    ``add_involvement(actor, case_id, student_id, role, notes='') -> Involvement``
    ``change_role(actor, involvement_id, read_version, role) -> Involvement``
    ``remove_involvement(actor, involvement_id, read_version) -> None``
Where the case stands
    ``history_for(case_id, *, actor) -> CaseHistory``;
    ``assess(case_id, today=None, *, actor) -> CaseAssessment``
    ``cyber_checklist(case_id, today=None, *, actor) -> CyberAssessment | None``
    ``protocol_for(case_id) -> Protocol`` (the version the case started under)
    ``guide_for_step(case_id, step_code) -> Guide | None``
Doing the steps
    ``record_step(actor, case_id, step_code, on=None, student_id=None, note='') -> Event``
    (a cyber checklist item is recorded the same way, with the item's code)
    ``log_conversation(actor, case_id, ConversationInput) -> Event``
    ``add_note(actor, case_id, text, on=None, confidential=False) -> Event``
    ``set_police_report(actor, case_id, state, on=None, note='') -> Event`` (planned, made,
    not_wanted; the cyber checklist and the advice letter follow it)
    ``update_case(actor, case_id, read_version, **changes) -> Case``
    ``add_agreement(actor, case_id, AgreementInput, event_id=None) -> Agreement``
    ``complete_agreement(actor, agreement_id, read_version, done_on=None, outcome='')``
    ``due_agreements(today=None, owner_id=None, *, actor)`` -> query;
    ``case_agreements(case_id, *, actor) -> list[AgreementLine]``,
    ``agreement_of(actor, agreement_id) -> AgreementLine | None``
The ladder and the case
    ``escalate(actor, case_id, student_id, target_stage=None, reason='', on=None,
    expected_stage=None) -> Event``; ``deescalate(...)`` likewise
    ``record_contract_outcome(actor, case_id, student_id, kept, on=None, note='') -> Event``
    ``ladder_move(actor, case, student_id, kind, on, ...)``: the one path every change of a
    pester's stage takes (also from contracts, sanctions, meetings), inside ``write()``;
    ``ladder_move_to(actor, case, student_id, target_stage, on, ...)``: a decision naming
    the stage (a meeting's outcome), up or back through ``ladder_move``;
    ``preview_move(case_id, student_id, target_stage, only_up=True) -> MovePreview``
    ``close_case(actor, case_id, read_version, reason, on=None) -> Case``
    ``reopen_case(actor, case_id, read_version, reason, on=None) -> Case``
Evidence
    ``add_attachment(actor, case_id, filename, data, mime_type='', description='')``
    ``add_evidence_note(actor, case_id, description, on=None) -> Event``
    ``attachment_bytes(actor, attachment_id) -> bytes`` (sha256 verified, audited view)
    ``sniff_media(data) -> str`` (image/video kind by magic bytes, "" when none)
Reading
    ``timeline_query(case_id, kinds=None, text='', *, actor)`` -> query, newest
    first, rows with ``student_name``; ``timeline_entries(..., offset=0, limit=100)
    -> list[TimelineEntry]`` (a page as records) and ``timeline_count(...)``;
    ``case_detail(case_id, *, actor) -> CaseDetail``
    (a frozen record, with ``InvolvedStudent`` and ``EvidenceFile`` records);
    ``open_case(actor, case_id) -> CaseDetail`` (records a ``view`` audit line);
    ``case_screen(actor, case_id, today=None, *, opening=False, agreements=True)
    -> CaseScreen`` (everything the case window shows, read in one go)

Who may: registering a report needs a care role (``access.has_care_role``), a signal also
a vakdocent; every other change needs ``access.require_edit`` on the case, and a case the
actor may not see behaves as missing (``access.NotFound``). Only a vertrouwenspersoon
writes confidential notes. ``history_for``/``assess``/``case_detail`` take no actor: the
GUI reaches a case through ``open_case`` (the need-to-know gate) or a visible list.

Dates default to today and may not lie in the future. Event kinds written here:
``report, signal, promote, conversation, step, escalate, deescalate, close, reopen,
contract_broken, contract_kept, note, attachment, evidence, police_report`` (labels in
``EVENT_KINDS``).
A pester-scoped step or move has ``Event.involvement`` = the pester's ``Involvement``;
``None`` means the whole case.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace

from peewee import JOIN, IntegrityError, fn

from .. import clock
from ..domain import engine
from ..domain.engine import (
    CaseAssessment,
    CaseHistory,
    CyberAssessment,
    HistoryEntry,
    PriorCase,
    TransitionRefused,
    check_transition,
    evaluate,
)
from ..domain.protocol import Guide, Protocol, UnknownProtocol, get_protocol
from ..domain.schooldays import SchoolCalendar
from ..domain.taxonomy import (
    CASE_ROLES,
    CYBER_FORMS,
    FORMS,
    LOCATIONS,
    POLICE_REPORT_STATES,
    REPORTER_KINDS,
)
from ..i18n import N_, _
from ..store.dialect import lock_append
from ..store.models import (
    Agreement,
    Attachment,
    Case,
    Contract,
    Event,
    Involvement,
    Sanction,
    SchoolClass,
    Staff,
    Student,
    User,
)
from . import access, encryption, lengths
from .base import Actor, Conflict, ServiceError, audit, create, save_versioned, write
from .calendar import school_calendar
from .lists import full_name
from .settings import school_profile

# ---------------------------------------------------------------------------------------------
# codes

SCOPES: dict[str, str] = {
    "one_class": N_("within one class"),
    "across_classes": N_("across classes"),
}

#: With whom a conversation was held (labels for a choice list).
CONVERSATION_WITH: dict[str, str] = {
    "victim": N_("victim"),
    "bully": N_("bully"),
    "both": N_("victim and bully together"),
    "class": N_("the class"),
    "parents": N_("the parents"),
}
#: The timeline title of a conversation, by with whom it was held.
CONVERSATION_TITLES: dict[str, str] = {
    "victim": N_("Conversation with the victim"),
    "bully": N_("Conversation with the bully"),
    "both": N_("Joint conversation with victim and bully"),
    "class": N_("Class conversation"),
    "parents": N_("Conversation with the parents"),
}

#: Timeline entry kinds and their labels.
EVENT_KINDS: dict[str, str] = {
    "report": N_("Report"),
    "signal": N_("Signal"),
    "promote": N_("Signal became a case"),
    "conversation": N_("Conversation"),
    "step": N_("Step"),
    "escalate": N_("Escalation"),
    "deescalate": N_("Back a stage"),
    "close": N_("Closed"),
    "reopen": N_("Reopened"),
    "contract_broken": N_("Contract broken"),
    "contract_kept": N_("Contract kept"),
    "note": N_("Note"),
    "attachment": N_("Evidence file"),
    "evidence": N_("Evidence description"),
    "police_report": N_("Police report"),
}

#: Cyber tracks in order of priority when a report names several forms.
TRACK_PRIORITY = ("grooming", "stalking", "sexting", "discriminatie")
#: Forms in which no image or video may be stored as evidence.
NO_IMAGE_FORMS = frozenset({"sexting", "grooming"})
MAX_ATTACHMENT_BYTES = 25 * 1024 * 1024
_STEP_KINDS = ("step", "conversation")
_MOVE_KINDS = engine.TRANSITION_KINDS
_POLICE_EVENT = "police_report"
_HISTORY_EVENT_KINDS = _STEP_KINDS + _MOVE_KINDS + (_POLICE_EVENT,)
_EDITABLE = (
    "reported_on", "reporter_kind", "reported_via", "summary", "description", "locations",
    "since", "frequency", "scope", "forms", "owner_id",
)


# ---------------------------------------------------------------------------------------------
# errors


class CaseError(ServiceError):
    """A refusal with a translated message and a stable ``code`` for the GUI."""

    def __init__(self, message: str, code: str = "refused") -> None:
        super().__init__(message)
        self.message = message
        self.code = code


class ValidationError(CaseError):
    """Input that cannot be saved; ``problems`` maps field name -> translated message."""

    def __init__(self, problems: Mapping[str, str]) -> None:
        super().__init__("\n".join(problems.values()), "invalid")
        self.problems = dict(problems)


class TransitionError(CaseError):
    """The protocol does not allow this move now (the engine's reason, translated)."""

    def __init__(self, refused: TransitionRefused) -> None:
        super().__init__(refused.message, "transition_refused")
        self.missing = refused.missing


class ImageRefused(CaseError):
    """An image or video offered as evidence in a sexting or grooming case."""


# ---------------------------------------------------------------------------------------------
# input records


@dataclass(frozen=True)
class InvolvedInput:
    student_id: int
    role: str  # a CASE_ROLES code
    notes: str = ""


@dataclass(frozen=True)
class ReportInput:
    reported_on: dt.date
    summary: str = ""
    description: str = ""
    reporter_kind: str = ""  # REPORTER_KINDS code
    reported_via: str = ""  # free text: in person, phone, e-mail, ...
    locations: tuple[str, ...] = ()  # LOCATIONS codes
    since: str = ""
    frequency: str = ""
    scope: str = ""  # SCOPES code
    forms: tuple[str, ...] = ()  # FORMS codes
    involved: tuple[InvolvedInput, ...] = ()
    owner_id: int | None = None  # Staff; default the actor's staff record


@dataclass(frozen=True)
class AgreementInput:
    description: str
    owner_id: int | None = None  # Staff
    evaluate_on: dt.date | None = None


@dataclass(frozen=True)
class ConversationInput:
    held_on: dt.date
    with_whom: str  # CONVERSATION_WITH code
    summary: str = ""
    student_ids: tuple[int, ...] = ()  # students present (must be in the case)
    staff_ids: tuple[int, ...] = ()  # staff present
    others: str = ""  # e.g. "moeder, vader"
    pester_id: int | None = None  # the bully a pester-scoped step is about; None = all
    step_codes: tuple[str, ...] = ()  # the protocol steps (or cyber items) it fulfils
    guide_code: str = ""  # the protocol's conversation guide used
    answers: Mapping[str, str] = field(default_factory=dict)  # guide question/aim -> answer
    agreements: tuple[AgreementInput, ...] = ()
    confidential: bool = False


# ---------------------------------------------------------------------------------------------
# small helpers


def _today() -> dt.date:
    return clock.today()


def _check_date(on: dt.date | None, field_name: str = "on") -> dt.date:
    on = on or _today()
    if on > _today():
        raise ValidationError({field_name: _("A date in the future cannot be recorded.")})
    return on


def _calendar() -> SchoolCalendar:
    """The school's calendar: every due date the engine computes rolls to a school day."""
    return school_calendar()


def _case(case_id: int) -> Case:
    case = Case.get_or_none(Case.id == case_id)
    if case is None:
        raise CaseError(_("This case does not exist (any more)."), "missing")
    return case


def _editable(actor: Actor, case_id: int) -> Case:
    """The case, if ``actor`` may change it (``access.NotFound`` when hidden, else a refusal)."""
    access.require_edit(actor, case_id)
    return _case(case_id)


def _forbidden() -> CaseError:
    return CaseError(_("You do not have the rights to do this."), "forbidden")


def _open(case: Case) -> Case:
    if case.status == "closed":
        raise CaseError(_("The case is closed; reopen it first."), "closed")
    return case


def _not_signal(case: Case) -> Case:
    if case.is_signal:
        raise CaseError(
            _("This is a signal, not yet a case: make it a case first."), "is_signal"
        )
    return case


def _codes(text: str) -> list[str]:
    return [c for c in (text or "").split(",") if c]


def _join(codes: Iterable[str]) -> str:
    return ",".join(dict.fromkeys(c for c in codes if c))


def cyber_of(forms: Iterable[str], locations: Iterable[str]) -> tuple[bool, str]:
    """``(is_cyber, cyber_track)`` for a report's forms and locations."""
    forms, locations = set(forms), set(locations)
    is_cyber = bool(forms & CYBER_FORMS) or "online" in locations
    track = next((t for t in TRACK_PRIORITY if t in forms), "") if is_cyber else ""
    return is_cyber, track


def _school_protocol() -> Protocol:
    code = school_profile().protocol_code or "doultremont"
    try:
        return get_protocol(code)
    except UnknownProtocol as error:
        raise CaseError(error.message, "protocol") from None


def _protocol(case: Case) -> Protocol:
    """The protocol version the case started under (the newest if that one is gone)."""
    try:
        return get_protocol(case.protocol_code, case.protocol_version or None)
    except UnknownProtocol:
        try:
            return get_protocol(case.protocol_code)
        except UnknownProtocol as error:
            raise CaseError(error.message, "protocol") from None


def protocol_for(case_id: int) -> Protocol:
    return _protocol(_case(case_id))


def _next_number(year: int, prefix: str = "") -> str:
    """Next "YYYY-NNNNN" of the year (five digits, as the demo's "2026-00721"); call inside
    the write transaction (it serialises). The highest number counts by value, so numbering
    goes on after older four-digit numbers ("2026-0721" -> "2026-00722")."""
    head = f"{prefix}{year}-"
    lock_append()  # read-then-write: a concurrent report waits for this one's number
    last = (
        Case.select(fn.MAX(fn.substr(Case.number, len(head) + 1).cast("INTEGER")))
        .where(Case.number.startswith(head))
        .scalar()
    )
    return f"{head}{(last or 0) + 1:05d}"


def _save(actor: Actor, record, read_version: int, **values):
    """``save_versioned`` with only the values that differ from the stored ones.

    Compares raw stored values (a foreign key as its id), so an unchanged owner or
    relapse link is neither written nor named in the audit line. A stale version still
    raises ``Conflict`` even when nothing changed.
    """
    changed = {k: v for k, v in values.items() if record.__data__.get(k) != v}
    if not changed:
        if type(record).select().where(
            (type(record).id == record.id) & (type(record).version == read_version)
        ).exists():
            return record
        fresh = type(record).get_or_none(type(record).id == record.id)
        raise Conflict(type(record)._meta.table_name, record.id,
                       fresh.__data__ if fresh is not None else None)
    return save_versioned(actor, record, read_version, **changed)


def _add_event(actor: Actor, case: Case, kind: str, on: dt.date, title: str, *,
               body: str = "", involvement: Involvement | None = None, step_code: str = "",
               stage_code: str = "", data: dict | None = None,
               confidential: bool = False) -> Event:
    lengths.require("event", {"title": title, "body": body})
    stored = json.dumps(data, ensure_ascii=False) if data else ""
    if confidential:  # on an encrypted database sealed: the database key does not open it
        body, stored = encryption.seal_note(case.id, body, stored)
    event = Event.create(
        case=case.id, involvement=involvement.id if involvement else None, kind=kind,
        occurred_on=on, title=title, body=body, step_code=step_code, stage_code=stage_code,
        data=stored, confidential=confidential, author=actor.user_id,
    )
    detail = f"case={case.id},kind={kind}"
    if step_code:
        detail += f",step={step_code}"
    if stage_code:
        detail += f",stage={stage_code}"
    audit(actor, "create", "event", event.id, detail)
    return event


# ---------------------------------------------------------------------------------------------
# validation


def _validate_codes(values: Iterable[str], allowed: Mapping[str, str], key: str,
                    problems: dict[str, str]) -> None:
    unknown = [v for v in values if v not in allowed]
    if unknown:
        problems[key] = _("Unknown code(s): {codes}.").format(codes=", ".join(unknown))


def _validate_involved(involved: Iterable[InvolvedInput], problems: dict[str, str]) -> None:
    seen: set[int] = set()
    for item in involved:
        if item.role not in CASE_ROLES:
            problems["involved"] = _("'{role}' is not a role in a case.").format(role=item.role)
        if item.student_id in seen:
            problems["involved"] = _("A student can have only one role in a case.")
        seen.add(item.student_id)
    if seen:
        found = Student.select(Student.id).where(Student.id.in_(list(seen))).count()
        if found != len(seen):
            problems["involved"] = _("A student in this report does not exist (any more).")


def report_of(case: Case) -> ReportInput:
    """A stored case's report as the input an edit starts from."""
    return ReportInput(
        reported_on=case.reported_on, summary=case.summary, description=case.description,
        reporter_kind=case.reporter_kind, reported_via=case.reported_via,
        locations=tuple(_codes(case.location)), since=case.since,
        frequency=case.frequency, scope=case.scope, forms=tuple(_codes(case.forms)),
        owner_id=case.owner_id,
        involved=tuple(
            InvolvedInput(i.student_id, i.role)
            for i in Involvement.select().where(Involvement.case == case.id)
        ),
    )


def validate_report(data: ReportInput) -> dict[str, str]:
    """What is wrong with a report (field -> message), as a new report or an edit checks it."""
    return _validate_report(data, _today())


def _validate_report(data: ReportInput, today: dt.date) -> dict[str, str]:
    problems: dict[str, str] = {}
    if not isinstance(data.reported_on, dt.date):
        problems["reported_on"] = _("Give the date of the report.")
    elif data.reported_on > today:
        problems["reported_on"] = _("The date of the report cannot be in the future.")
    if data.reporter_kind:
        _validate_codes([data.reporter_kind], REPORTER_KINDS, "reporter_kind", problems)
    _validate_codes(data.locations, LOCATIONS, "locations", problems)
    _validate_codes(data.forms, FORMS, "forms", problems)
    if data.scope:
        _validate_codes([data.scope], SCOPES, "scope", problems)
    if data.owner_id is not None and Staff.get_or_none(Staff.id == data.owner_id) is None:
        problems["owner_id"] = _("This staff member does not exist (any more).")
    _validate_involved(data.involved, problems)
    has_victim = any(i.role == "gepeste" for i in data.involved)
    if not has_victim and not data.description.strip():
        problems.setdefault(
            "involved", _("Name at least one victim, or describe what happened.")
        )
    if len(data.summary) > 255:
        problems["summary"] = _("The summary is too long (at most 255 characters).")
    return problems


def _report_fields(data: ReportInput, actor: Actor) -> dict:
    is_cyber, track = cyber_of(data.forms, data.locations)
    return dict(
        reported_on=data.reported_on, reporter_kind=data.reporter_kind,
        reported_via=data.reported_via.strip(), summary=data.summary.strip(),
        description=data.description.strip(), location=_join(data.locations),
        since=data.since.strip(), frequency=data.frequency.strip(), scope=data.scope,
        forms=_join(data.forms), is_cyber=is_cyber, cyber_track=track,
        owner=data.owner_id if data.owner_id is not None else actor.staff_id,
    )


def _start_owner(protocol: Protocol, data: ReportInput, owner_id: int | None) -> int | None:
    """Who owns a new case: for bullying across classes the protocol's declared start stage
    decides (its role, e.g. the afdelingscoördinator of the students' department); the
    given owner stays when they hold that role for that department, or when nobody does."""
    stage = protocol.start_stage(data.scope)
    if stage is protocol.first_stage:
        return owner_id
    student_ids = ([i.student_id for i in data.involved if i.role == "pester"]
                   + [i.student_id for i in data.involved if i.role != "pester"])
    departments: list[str] = []
    for sid in student_ids:
        student = Student.get_or_none(Student.id == sid)
        klass = student.school_class if student and student.school_class_id else None
        name = (klass.department or "").strip().lower() if klass else ""
        if name and name not in departments:
            departments.append(name)

    def serves(staff: Staff, department: str) -> bool:
        roles = {r.strip() for r in (staff.roles or "").split(",")}
        own = {d.strip().lower() for d in (staff.departments or "").split(",") if d.strip()}
        return stage.role in roles and (department in own or not department)

    if owner_id is not None:
        given = Staff.get_or_none(Staff.id == owner_id)
        if given is not None and any(serves(given, d) for d in departments or [""]):
            return owner_id
    candidates = list(Staff.select().where((Staff.active == True)  # noqa: E712
                                           & Staff.roles.contains(stage.role))
                      .order_by(Staff.id))
    for department in departments or [""]:
        found = next((s for s in candidates if serves(s, department)), None)
        if found is not None:
            return found.id
    return owner_id


# ---------------------------------------------------------------------------------------------
# reports and signals


def register_report(actor: Actor, data: ReportInput) -> Case:
    """Register a melding with its students; the ladder starts for every pester."""
    if not access.has_care_role(actor):
        raise _forbidden()
    problems = _validate_report(data, _today())
    if problems:
        raise ValidationError(problems)
    protocol = _school_protocol()
    with write():
        fields = _report_fields(data, actor)
        fields["owner"] = _start_owner(protocol, data, fields["owner"])
        case = create(
            actor, Case, number=_next_number(data.reported_on.year), is_signal=False,
            protocol_code=protocol.code, protocol_version=protocol.version,
            created_by=actor.user_id, **fields,
        )
        for item in data.involved:
            _insert_involvement(actor, case, item.student_id, item.role, item.notes)
        _add_event(actor, case, "report", data.reported_on, _("Report registered"),
                   body=case.summary)
        _refresh_case_state(case.id)
    return Case.get_by_id(case.id)


def record_signal(actor: Actor, reported_on: dt.date, summary: str, description: str = "",
                  involved: Iterable[InvolvedInput] = ()) -> Case:
    """A teacher's quick signaal: a Case with ``is_signal`` and a number "SYYYY-NNNN"."""
    if not access.can_record_signal(actor):
        raise _forbidden()
    involved = tuple(involved)
    problems: dict[str, str] = {}
    if not isinstance(reported_on, dt.date):
        problems["reported_on"] = _("Give the date of the report.")
    elif reported_on > _today():
        problems["reported_on"] = _("The date of the report cannot be in the future.")
    if not summary.strip() and not description.strip():
        problems["summary"] = _("Say briefly what you noticed.")
    if len(summary) > 255:
        problems["summary"] = _("The summary is too long (at most 255 characters).")
    _validate_involved(involved, problems)
    if problems:
        raise ValidationError(problems)
    protocol = _school_protocol()
    with write():
        case = create(
            actor, Case, number=_next_number(reported_on.year, "S"), is_signal=True,
            reported_on=reported_on, summary=summary.strip(), description=description.strip(),
            reporter_kind="docent", protocol_code=protocol.code,
            protocol_version=protocol.version, created_by=actor.user_id,
            owner=actor.staff_id,
        )
        for item in involved:
            _insert_involvement(actor, case, item.student_id, item.role, item.notes)
        _add_event(actor, case, "signal", reported_on, _("Signal recorded"), body=case.summary)
        _refresh_case_state(case.id)
    return Case.get_by_id(case.id)


def promote_signal(actor: Actor, case_id: int, read_version: int,
                   details: ReportInput | None = None) -> Case:
    """Make a signal a case: a case number, optionally the report's fuller details.

    ``details`` replaces the report fields; its students are added to those of the signal
    (a student already in it must keep the same role).
    """
    with write():
        case = _editable(actor, case_id)
        if not case.is_signal:
            raise CaseError(_("This is already a case."), "not_signal")
        _open(case)
        current = {
            i.student_id: i.role
            for i in Involvement.select(Involvement.student, Involvement.role).where(
                Involvement.case == case.id
            )
        }
        if details is None:
            details = ReportInput(
                reported_on=case.reported_on, summary=case.summary,
                description=case.description, reporter_kind=case.reporter_kind,
                owner_id=case.owner_id,
            )
        merged = tuple(InvolvedInput(s, r) for s, r in current.items()) + tuple(
            i for i in details.involved if current.get(i.student_id) != i.role
        )
        problems = _validate_report(replace(details, involved=merged), _today())
        if problems:
            raise ValidationError(problems)
        signal_number = case.number
        _save(actor, case, read_version, is_signal=False,
              number=_next_number(details.reported_on.year), **_report_fields(details, actor))
        for item in details.involved:
            if item.student_id not in current:
                _insert_involvement(actor, case, item.student_id, item.role, item.notes)
        for inv in Involvement.select().where(
            (Involvement.case == case.id) & (Involvement.role == "pester")
        ):
            relapse = _relapse_of(inv.student_id, case)
            if relapse != inv.relapse_of_id:
                _save(actor, inv, inv.version, relapse_of=relapse)
        _add_event(actor, case, "promote", _today(), _("Signal became a case"),
                   data={"signal_number": signal_number})
        _refresh_case_state(case.id)
    return Case.get_by_id(case.id)


def update_case(actor: Actor, case_id: int, read_version: int, **changes) -> Case:
    """Edit the report's fields (those of ``ReportInput`` except ``involved``)."""
    unknown = set(changes) - set(_EDITABLE)
    if unknown:
        raise ValueError(f"not editable: {sorted(unknown)}")
    with write():
        case = _open(_editable(actor, case_id))
        wanted = replace(report_of(case), **changes)
        problems = validate_report(wanted)
        if problems:
            raise ValidationError(problems)
        values = _report_fields(wanted, actor)
        values["owner"] = wanted.owner_id
        if case.reported_on.year != wanted.reported_on.year and not case.is_signal:
            values["number"] = _next_number(wanted.reported_on.year)
        _save(actor, case, read_version, **values)
        _refresh_case_state(case.id)
    return Case.get_by_id(case.id)


# ---------------------------------------------------------------------------------------------
# students in a case


def _earlier_pester_rows(student_ids: list[int], case: Case):
    """(student, case id, reported_on, closed_on, involvement stage, case stage) of earlier
    cases (not signals) in which these students were a pester."""
    earlier = (Case.reported_on < case.reported_on) | (
        (Case.reported_on == case.reported_on) & (Case.id < case.id)
    )
    return (
        Involvement.select(Involvement.student, Case.id, Case.reported_on, Case.closed_on,
                           Involvement.stage_code, Case.stage_code)
        .join(Case, on=(Involvement.case == Case.id))
        .where(Involvement.student.in_(student_ids) & (Involvement.role == "pester")
               & (Case.id != case.id) & (Case.is_signal == False) & earlier)  # noqa: E712
        .order_by(Case.reported_on.desc(), Case.id.desc())
        .tuples()
    )


def _relapse_of(student_id: int, case: Case) -> int | None:
    """The most recent earlier case in which the student was a pester (None for signals)."""
    if case.is_signal:
        return None
    row = _earlier_pester_rows([student_id], case).limit(1).first()
    return row[1] if row else None


def _insert_involvement(actor: Actor, case: Case, student_id: int, role: str,
                        notes: str = "") -> Involvement:
    if role not in CASE_ROLES:
        raise ValidationError({"role": _("'{role}' is not a role in a case.").format(role=role)})
    if Student.get_or_none(Student.id == student_id) is None:
        raise ValidationError({"student": _("This student does not exist (any more).")})
    exists = Involvement.get_or_none(
        (Involvement.case == case.id) & (Involvement.student == student_id)
    )
    if exists is not None:
        raise ValidationError({"student": _("A student can have only one role in a case.")})
    relapse = _relapse_of(student_id, case) if role == "pester" else None
    try:
        return create(actor, Involvement, case=case.id, student=student_id, role=role,
                      notes=notes.strip(), relapse_of=relapse)
    except IntegrityError:
        raise ValidationError(
            {"student": _("A student can have only one role in a case.")}
        ) from None


def add_involvement(actor: Actor, case_id: int, student_id: int, role: str,
                    notes: str = "") -> Involvement:
    """Add a student to the case; a pester who was a pester before is marked a relapse."""
    with write():
        case = _open(_editable(actor, case_id))
        inv = _insert_involvement(actor, case, student_id, role, notes)
        _refresh_case_state(case.id)
    return Involvement.get_by_id(inv.id)


def _involvement(involvement_id: int) -> Involvement:
    inv = Involvement.get_or_none(Involvement.id == involvement_id)
    if inv is None:
        raise CaseError(_("This student is no longer in the case."), "missing")
    return inv


def _has_ladder_records(inv: Involvement) -> bool:
    if Event.select().where(Event.involvement == inv.id).exists():
        return True
    same = lambda model: (model.case == inv.case_id) & (model.student == inv.student_id)  # noqa: E731
    return (Contract.select().where(same(Contract)).exists()
            or Sanction.select().where(same(Sanction)).exists())


def change_role(actor: Actor, involvement_id: int, read_version: int, role: str) -> Involvement:
    """Give a student another role in the case (not a pester with recorded steps)."""
    if role not in CASE_ROLES:
        raise ValidationError({"role": _("'{role}' is not a role in a case.").format(role=role)})
    with write():
        inv = _involvement(involvement_id)
        case = _open(_editable(actor, inv.case_id))
        if inv.role == role:
            if inv.version != read_version:
                raise Conflict("involvement", inv.id, inv.__data__)
            return inv
        if inv.role == "pester" and _has_ladder_records(inv):
            raise CaseError(
                _("Steps, contracts or sanctions are recorded for this bully; the role "
                  "cannot be changed any more."), "in_use")
        relapse = _relapse_of(inv.student_id, case) if role == "pester" else None
        _save(actor, inv, read_version, role=role, relapse_of=relapse,
              stage_code="" if role != "pester" else inv.stage_code)
        _refresh_case_state(case.id)
    return Involvement.get_by_id(inv.id)


def remove_involvement(actor: Actor, involvement_id: int, read_version: int) -> None:
    """Take a student out of the case; refused when timeline entries refer to them."""
    with write():
        inv = _involvement(involvement_id)
        case = _open(_editable(actor, inv.case_id))
        if _has_ladder_records(inv):
            raise CaseError(
                _("Timeline entries, contracts or sanctions refer to this student; the "
                  "student cannot be removed from the case."), "in_use")
        rows = Involvement.delete().where(
            (Involvement.id == inv.id) & (Involvement.version == read_version)
        ).execute()
        if rows == 0:
            raise Conflict("involvement", inv.id, inv.__data__)
        audit(actor, "delete", "involvement", inv.id, f"case={case.id},role={inv.role}")
        _refresh_case_state(case.id)


# ---------------------------------------------------------------------------------------------
# the engine's view of a case


def _history(case: Case) -> CaseHistory:
    invs = list(
        Involvement.select(Involvement.id, Involvement.student, Involvement.role)
        .where(Involvement.case == case.id)
        .order_by(Involvement.id)
        .tuples()
    )
    student_of = {inv_id: sid for inv_id, sid, _role in invs}
    pesters = [sid for _id, sid, role in invs if role == "pester"]
    rows = (
        Event.select(Event.kind, Event.occurred_on, Event.involvement, Event.step_code,
                     Event.stage_code, Event.body, Event.data)
        .where((Event.case == case.id) & Event.kind.in_(_HISTORY_EVENT_KINDS))
        .order_by(Event.occurred_on, Event.id)
        .tuples()
    )
    entries: list[HistoryEntry] = []
    police = ""
    for kind, on, inv_id, step, stage, body, data in rows:
        student = student_of.get(inv_id) if inv_id else None
        if kind == _POLICE_EVENT:  # the latest recorded state counts
            police = _police_state(data)
            continue
        if kind in _STEP_KINDS:
            for step_code, stage_code in _steps_of(step, stage, data):
                entries.append(HistoryEntry(engine.STEP_DONE, on, student, step_code, stage_code))
        else:
            entries.append(HistoryEntry(kind, on, student, "", stage, body or ""))
    return CaseHistory(
        case_id=case.id, reported_on=case.reported_on, pesters=pesters,
        is_cyber=bool(case.is_cyber), cyber_track=case.cyber_track or "", entries=entries,
        prior_cases=_prior_cases(pesters, case), status=case.status or engine.OPEN,
        scope=case.scope or "", police_report=police,
    )


def _police_state(data: str) -> str:
    try:
        state = (json.loads(data) if data else {}).get("state", "")
    except (ValueError, AttributeError):
        return ""
    return state if state in POLICE_REPORT_STATES else ""


def _steps_of(step: str, stage: str, data: str) -> list[tuple[str, str]]:
    """The (step, stage) pairs an event fulfils: its own, plus a conversation's others."""
    if data and '"steps"' in data:
        try:
            steps = json.loads(data).get("steps") or []
            return [(s["step"], s.get("stage", "")) for s in steps if s.get("step")]
        except (ValueError, TypeError, KeyError, AttributeError):
            pass
    return [(step, stage)] if step else []


def _prior_cases(pesters: list[int], case: Case) -> dict[int, list[PriorCase]]:
    if not pesters or case.is_signal:
        return {}
    prior: dict[int, list[PriorCase]] = {}
    for sid, cid, reported, closed, inv_stage, case_stage in _earlier_pester_rows(pesters, case):
        prior.setdefault(sid, []).append(
            PriorCase(cid, reported, closed, inv_stage or case_stage or "")
        )
    return prior


def history_for(case_id: int, *, actor: Actor) -> CaseHistory:
    """The case's timeline as the engine's history (with earlier cases of its pesters);
    ``access.NotFound`` when the case is hidden from ``actor``."""
    return _history(access.visible_case(actor, case_id))


def assess(case_id: int, today: dt.date | None = None, *, actor: Actor) -> CaseAssessment:
    """Where the case stands, by the protocol version it started under; ``access.NotFound``
    when the case is hidden from ``actor``."""
    return _assess(access.visible_case(actor, case_id), today)


def _assess(case: Case, today: dt.date | None = None) -> CaseAssessment:
    return evaluate(_protocol(case), _history(case), today or _today(), _calendar())


def cyber_checklist(case_id: int, today: dt.date | None = None, *,
                    actor: Actor) -> CyberAssessment | None:
    """The cyberbullying checklist with the track's advice; None for a case that is not cyber."""
    return assess(case_id, today, actor=actor).cyber


def case_cyber_checklist(case: Case) -> CyberAssessment | None:
    """``cyber_checklist`` for a case its caller already checked (a letter being prepared)."""
    return _assess(case).cyber


def guide_for_step(case_id: int, step_code: str) -> Guide | None:
    """The conversation guide the protocol names for a step (any stage), if any."""
    protocol = protocol_for(case_id)
    for stage in protocol.stages:
        step = stage.step(step_code)
        if step is not None and step.guide:
            return protocol.guide(step.guide)
    return None


def _refresh_case_state(case_id: int) -> None:
    """Recompute the denormalised stage and due date of the case and its pesters.

    Call inside the write transaction of every change. These fields are derived, so they
    are written without a version bump: a user editing the report is not in conflict with
    someone recording a step.
    """
    case = Case.get_by_id(case_id)
    per_pester: dict[int, str] = {}
    stage, due = "", None
    if not case.is_signal:
        assessment = evaluate(_protocol(case), _history(case), _today(), _calendar())
        stage, due = assessment.stage_code, assessment.next_due_on
        per_pester = {p.student_id: p.stage_code for p in assessment.pesters}
    if (case.stage_code, case.next_due_on) != (stage, due):
        Case.update(stage_code=stage, next_due_on=due).where(Case.id == case_id).execute()
    for inv_id, sid, role, current in (
        Involvement.select(Involvement.id, Involvement.student, Involvement.role,
                           Involvement.stage_code)
        .where(Involvement.case == case_id)
        .tuples()
    ):
        wanted = per_pester.get(sid, "") if role == "pester" else ""
        if current != wanted:
            Involvement.update(stage_code=wanted).where(Involvement.id == inv_id).execute()


# ---------------------------------------------------------------------------------------------
# doing the steps


def _pester(case: Case, student_id: int) -> Involvement:
    inv = Involvement.get_or_none(
        (Involvement.case == case.id) & (Involvement.student == student_id)
        & (Involvement.role == "pester")
    )
    if inv is None:
        raise CaseError(
            _("This student is not a bully in this case; the ladder applies to bullies only."),
            "not_pester",
        )
    return inv


def _resolve_step(protocol: Protocol, assessment: CaseAssessment, step_code: str,
                  student_id: int | None) -> tuple[str, str]:
    """(stage code to store, step title) for a step about to be recorded.

    A cyber checklist item gets the cyber stage. A step for one pester is stored with that
    pester's current stage; a step for the whole case keeps the stage empty so that every
    pester's own stage applies (the engine resolves it).
    """
    item = protocol.cyber.item(step_code)
    if item is not None:
        return engine.CYBER_STAGE, item.title
    if student_id is not None:
        stage = protocol.stage(assessment.pester(student_id).stage_code)
        step = stage.step(step_code) if stage else None
        if step is None:
            raise CaseError(
                _("'{step}' is not a step of '{stage}', where this bully stands.").format(
                    step=step_code, stage=stage.title if stage else "-"), "unknown_step")
        return stage.code, step.title
    stage_codes = [p.stage_code for p in assessment.pesters] or [protocol.first_stage.code]
    for code in sorted(set(stage_codes), key=protocol.stage_index):
        step = protocol.stage(code).step(step_code)
        if step is not None:
            return "", step.title
    raise CaseError(
        _("'{step}' is not a step of the stage this case stands on.").format(step=step_code),
        "unknown_step",
    )


def record_step(actor: Actor, case_id: int, step_code: str, on: dt.date | None = None,
                student_id: int | None = None, note: str = "") -> Event:
    """Record that a protocol step (or cyber checklist item) was done.

    ``student_id`` names the pester for a pester-scoped step; None means the whole case.
    """
    on = _check_date(on)
    with write():
        case = _not_signal(_open(_editable(actor, case_id)))
        protocol = _protocol(case)
        assessment = evaluate(protocol, _history(case), on, _calendar())
        inv = _pester(case, student_id) if student_id is not None else None
        stage_code, title = _resolve_step(protocol, assessment, step_code, student_id)
        gate_step(case, student_id, step_code, stage_code, protocol)
        event = _add_event(actor, case, "step", on, title, body=note.strip(), involvement=inv,
                           step_code=step_code, stage_code=stage_code)
        _refresh_case_state(case.id)
    return event


def set_police_report(actor: Actor, case_id: int, state: str, on: dt.date | None = None,
                      note: str = "") -> Event:
    """Record where a report to the police stands: planned, made, not wanted ("" = not
    decided). The cyber checklist and the advice letter read the latest state (while a
    report is planned or made, evidence comes first and blocking waits); every change is a
    timeline entry with its audit line."""
    if state not in POLICE_REPORT_STATES:
        raise ValidationError({"state": _("Unknown state of the police report.")})
    on = _check_date(on)
    with write():
        case = _not_signal(_open(_editable(actor, case_id)))
        if _history(case).police_report == state:
            raise CaseError(_("The police report already has this state."), "unchanged")
        event = _add_event(
            actor, case, _POLICE_EVENT, on,
            _("Police report: {state}").format(state=_(POLICE_REPORT_STATES[state])),
            body=note.strip(), data={"state": state})
        _refresh_case_state(case.id)
    return event


def police_report_state(case_id: int, *, actor: Actor) -> str:
    """The recorded state of the police report ("" when none was recorded)."""
    return history_for(case_id, actor=actor).police_report


def add_note(actor: Actor, case_id: int, text: str, on: dt.date | None = None,
             confidential: bool = False) -> Event:
    """A free note on the timeline (a vertrouwenspersoon's note can be confidential)."""
    on = _check_date(on)
    if not text.strip():
        raise ValidationError({"text": _("The note is empty.")})
    if confidential and not actor.has_role(access.CONFIDANT_ROLE):
        raise _forbidden()  # only the vertrouwenspersoon keeps confidential notes
    with write():
        case = _editable(actor, case_id)
        return _add_event(actor, case, "note", on, _("Note"), body=text.strip(),
                          confidential=confidential)


def _validate_conversation(protocol: Protocol, case: Case, data: ConversationInput,
                           problems: dict[str, str]) -> Guide | None:
    if data.with_whom not in CONVERSATION_WITH:
        problems["with_whom"] = _("Choose with whom the conversation was held.")
    if not data.summary.strip() and not any(v.strip() for v in data.answers.values()):
        problems["summary"] = _("Write down what was said.")
    in_case = {
        sid for (sid,) in Involvement.select(Involvement.student)
        .where(Involvement.case == case.id).tuples()
    }
    if set(data.student_ids) - in_case:
        problems["student_ids"] = _("Only students in this case can take part.")
    staff = set(data.staff_ids)
    if staff and Staff.select().where(Staff.id.in_(list(staff))).count() != len(staff):
        problems["staff_ids"] = _("This staff member does not exist (any more).")
    guide = None
    if data.guide_code:
        guide = protocol.guide(data.guide_code)
        if guide is None:
            problems["guide_code"] = _("This protocol has no conversation guide '{guide}'.").format(
                guide=data.guide_code)
    if data.answers:
        known = set(guide.questions + guide.aims) if guide else set()
        if set(data.answers) - known:
            problems["answers"] = _("An answer does not belong to a question of the guide.")
    for n, agreement in enumerate(data.agreements):
        _validate_agreement(agreement, data.held_on, problems, f"agreements[{n}]")
    return guide


def _validate_agreement(agreement: AgreementInput, made_on: dt.date, problems: dict[str, str],
                        key: str = "agreement") -> None:
    if not agreement.description.strip():
        problems[key] = _("Describe the agreement.")
    elif agreement.evaluate_on is not None and agreement.evaluate_on < made_on:
        problems[key] = _("The evaluation date lies before the agreement was made.")
    elif agreement.owner_id is not None and Staff.get_or_none(
        Staff.id == agreement.owner_id
    ) is None:
        problems[key] = _("This staff member does not exist (any more).")


def _guide_answers(guide: Guide | None, answers: Mapping[str, str]) -> list[dict]:
    if guide is None:
        return []
    out = []
    for kind, texts in (("question", guide.questions), ("aim", guide.aims)):
        for text in texts:
            answer = (answers.get(text) or "").strip()
            if answer:
                out.append({"kind": kind, "question": text, "answer": answer})
    return out


def log_conversation(actor: Actor, case_id: int, data: ConversationInput) -> Event:
    """Log a conversation: who, when, the guide's answers, the steps it fulfils, agreements."""
    held_on = _check_date(data.held_on, "held_on")
    with write():
        case = _not_signal(_open(_editable(actor, case_id)))
        protocol = _protocol(case)
        problems: dict[str, str] = {}
        guide = _validate_conversation(protocol, case, data, problems)
        if problems:
            raise ValidationError(problems)
        assessment = evaluate(protocol, _history(case), held_on, _calendar())
        inv = _pester(case, data.pester_id) if data.pester_id is not None else None
        steps = []
        for code in dict.fromkeys(data.step_codes):
            stage_code, _title = _resolve_step(protocol, assessment, code, data.pester_id)
            gate_step(case, data.pester_id, code, stage_code, protocol)
            steps.append({"step": code, "stage": stage_code})
        payload = {
            "with": data.with_whom, "students": list(data.student_ids),
            "staff": list(data.staff_ids), "others": data.others.strip(),
            "guide": data.guide_code, "answers": _guide_answers(guide, data.answers),
            "steps": steps,
        }
        event = _add_event(
            actor, case, "conversation", held_on,
            _(CONVERSATION_TITLES[data.with_whom]),
            body=data.summary.strip(), involvement=inv,
            step_code=steps[0]["step"] if steps else "",
            stage_code=steps[0]["stage"] if steps else "", data=payload,
            confidential=data.confidential,
        )
        for agreement in data.agreements:
            _insert_agreement(actor, case, agreement, event.id)
        _refresh_case_state(case.id)
    return event


def _insert_agreement(actor: Actor, case: Case, agreement: AgreementInput,
                      event_id: int | None) -> Agreement:
    return create(actor, Agreement, case=case.id, event=event_id,
                  description=agreement.description.strip(), owner=agreement.owner_id,
                  evaluate_on=agreement.evaluate_on)


def add_agreement(actor: Actor, case_id: int, agreement: AgreementInput,
                  event_id: int | None = None) -> Agreement:
    """An agreement outside a logged conversation (or linked to an existing event)."""
    problems: dict[str, str] = {}
    _validate_agreement(agreement, dt.date.min, problems)
    if problems:
        raise ValidationError(problems)
    with write():
        case = _open(_editable(actor, case_id))
        if event_id is not None and not Event.select().where(
            (Event.id == event_id) & (Event.case == case.id)
        ).exists():
            raise CaseError(_("This timeline entry does not belong to the case."), "missing")
        return _insert_agreement(actor, case, agreement, event_id)


def complete_agreement(actor: Actor, agreement_id: int, read_version: int,
                       done_on: dt.date | None = None, outcome: str = "") -> Agreement:
    """Mark an agreement evaluated/done with its outcome."""
    done_on = _check_date(done_on, "done_on")
    with write():
        agreement = Agreement.get_or_none(Agreement.id == agreement_id)
        if agreement is None:
            raise CaseError(_("This agreement does not exist (any more)."), "missing")
        access.require_edit(actor, agreement.case_id)
        return save_versioned(actor, agreement, read_version, done_on=done_on,
                              outcome=outcome.strip())


def due_agreements(today: dt.date | None = None, owner_id: int | None = None, *,
                   actor: Actor):
    """Open agreements of open cases whose evaluation date has come (a query, oldest first),
    only those of cases ``actor`` may see."""
    today = today or _today()
    query = (
        Agreement.select(Agreement, Case.number)
        .join(Case, on=(Agreement.case == Case.id))
        .where(Agreement.done_on.is_null() & (Agreement.evaluate_on <= today)
               & (Case.status == "open"))
        .order_by(Agreement.evaluate_on, Agreement.id)
    )
    if owner_id is not None:
        query = query.where(Agreement.owner == owner_id)
    return query.where(Case.id.in_(access.visible_case_ids(actor)))


@dataclass(frozen=True, slots=True)
class AgreementLine:
    """An agreement of a case as the case window lists it."""

    id: int
    version: int
    description: str
    owner_id: int | None
    owner_name: str  # the owner's display name, "" without one
    evaluate_on: dt.date | None
    done_on: dt.date | None
    outcome: str


def _agreement_lines(query) -> list[AgreementLine]:
    owner_name = fn.COALESCE(full_name(Staff), "").alias("owner_name")
    rows = (query.select(Agreement.id, Agreement.version, Agreement.description,
                         Agreement.owner, owner_name, Agreement.evaluate_on,
                         Agreement.done_on, Agreement.outcome)
            .join(Staff, JOIN.LEFT_OUTER, on=(Agreement.owner == Staff.id)).dicts())
    return [AgreementLine(id=r["id"], version=r["version"], description=r["description"],
                          owner_id=r["owner"], owner_name=r["owner_name"] or "",
                          evaluate_on=r["evaluate_on"], done_on=r["done_on"],
                          outcome=r["outcome"] or "") for r in rows]


def case_agreements(case_id: int, *, actor: Actor) -> list[AgreementLine]:
    """The case's agreements, open ones first, by evaluation date; nothing of a case
    ``actor`` may not see."""
    return _agreement_lines(
        Agreement.select()
        .where((Agreement.case == case_id)
               & Agreement.case.in_(access.visible_case_ids(actor)))
        .order_by(Agreement.done_on.is_null(False), Agreement.evaluate_on, Agreement.id))


def agreement_of(actor: Actor, agreement_id: int) -> AgreementLine | None:
    """One agreement, or None when it is missing or its case is hidden from ``actor``."""
    found = _agreement_lines(
        Agreement.select().where((Agreement.id == agreement_id)
                                 & Agreement.case.in_(access.visible_case_ids(actor))))
    return found[0] if found else None


# ---------------------------------------------------------------------------------------------
# the ladder and the case


def _gate(protocol: Protocol, history: CaseHistory, student_id: int | None, kind: str,
          target: str | None = None, reason: str = "") -> None:
    try:
        check_transition(protocol, history, student_id, kind, target, reason)
    except TransitionRefused as refused:
        raise TransitionError(refused) from None


def gate_step(case: Case, student_id: int | None, step_code: str, stage_code: str = "",
              protocol: Protocol | None = None) -> None:
    """Refuse recording a step the protocol's order does not allow yet (a decision while its
    hearing is open): every path that ticks a step asks this (``record_step``, a logged
    conversation, the measures through ``_ladder.step_done``)."""
    if stage_code == engine.CYBER_STAGE:
        return
    try:
        engine.check_step(protocol or _protocol(case), _history(case), student_id, step_code,
                          stage_code)
    except TransitionRefused as refused:
        raise TransitionError(refused) from None


@dataclass(frozen=True)
class MovePreview:
    """What a ladder move would do, for a dialog that wants to say so before saving.

    ``moves``: the pester's stage changes; ``needs_reason``: the protocol allows it only with
    the user's own reason (``message`` says why); ``refused``: not allowed at all now."""

    moves: bool
    needs_reason: bool = False
    refused: bool = False
    message: str = ""
    target_stage: str = ""


def _target_of(protocol: Protocol, current: str, kind: str, target_stage: str | None):
    if target_stage:
        return protocol.stage(target_stage)
    if kind == engine.ESCALATE:
        return protocol.next_stage(current)
    if kind == engine.DEESCALATE:
        return protocol.previous_stage(current)
    return None


def ladder_move(actor: Actor, case: Case, student_id: int, kind: str, on: dt.date, *,
                target_stage: str | None = None, reason: str = "", only_up: bool = False,
                expected_stage: str | None = None, title: str = "",
                data: dict | None = None) -> Event | None:
    """THE one path for every change of a pester's stage; call it inside ``write()``.

    Escalating, going back, accepting a relapse proposal, a contract made or broken, a
    suspension, an expulsion: each asks ``engine.check_transition`` with the user's own
    ``reason`` (never one made up here), writes the event and leaves the caller to refresh
    the stored stage in the same transaction. A refusal raises ``TransitionError`` with the
    protocol's reason, and the caller's transaction (with its contract or sanction) rolls
    back. ``only_up``: a measure that belongs to a stage the pester already stands on (or
    above) records no move and returns None.
    """
    protocol = _protocol(case)
    history = _history(case)
    inv = _pester(case, student_id)
    current = evaluate(protocol, history, on).pester(student_id).stage_code
    if expected_stage and current != expected_stage:
        raise Conflict("involvement", inv.id, inv.__data__)
    if kind in (engine.ESCALATE, engine.DEESCALATE):
        target = _target_of(protocol, current, kind, target_stage)
        if only_up and (target is None or
                        protocol.stage_index(target.code) <= protocol.stage_index(current)):
            return None
    _gate(protocol, history, student_id, kind, target_stage, reason)
    stage_code = ""
    if kind == engine.ESCALATE:
        stage_code = target.code
        title = title or _("Escalated to '{stage}'").format(stage=target.title)
    elif kind == engine.DEESCALATE:
        stage_code = target.code
        title = title or _("Back to '{stage}'").format(stage=target.title)
    elif kind == engine.CONTRACT_BROKEN:
        title = title or _("Contract broken")
    elif kind == engine.CONTRACT_KEPT:
        title = title or _("Contract kept")
    else:
        raise ValueError(f"not a ladder move: {kind!r}")
    event = _add_event(actor, case, kind, on, title, body=reason.strip(), involvement=inv,
                       stage_code=stage_code, data=data)
    audit(actor, kind, "case", case.id, f"from={current},to={stage_code or '-'}")
    return event


def preview_move(case_id: int, student_id: int, target_stage: str | None,
                 on: dt.date | None = None, *, only_up: bool = True,
                 steps_first: tuple[tuple[str, str], ...] = ()) -> MovePreview:
    """Would moving this pester to ``target_stage`` move them, and need a reason?

    For the dialogs that move the pester as a side effect (contract, suspension, expulsion:
    ``only_up``, a lower stage moves nobody) or by a decision naming a stage (a meeting's
    outcome: ``only_up=False``, a lower stage is a step back): they show the reason field
    exactly when the engine asks for one. ``steps_first``: steps the same save ticks before
    the move (the meeting's discussion and decision), counted as done."""
    case = _case(case_id)
    protocol = _protocol(case)
    history = _history(case)
    if steps_first:  # (stage, step) the same save ticks before it moves (a meeting's steps)
        history = replace(history, entries=history.entries + [
            HistoryEntry(engine.STEP_DONE, on or _today(), None, step, stage)
            for stage, step in steps_first])
    try:
        current = evaluate(protocol, history, on or _today()).pester(student_id).stage_code
    except KeyError:
        return MovePreview(False)
    target = _target_of(protocol, current, engine.ESCALATE, target_stage)
    if target is None:
        return MovePreview(False)
    up = protocol.stage_index(target.code) > protocol.stage_index(current)
    if target.code == current or (only_up and not up):
        return MovePreview(False)
    kind = engine.ESCALATE if up else engine.DEESCALATE
    try:
        check_transition(protocol, history, student_id, kind, target.code, "")
        return MovePreview(True, target_stage=target.code)
    except TransitionRefused as first:
        try:
            check_transition(protocol, history, student_id, kind, target.code, "reason")
        except TransitionRefused as refused:
            return MovePreview(True, refused=True, message=refused.message,
                               target_stage=target.code)
        return MovePreview(True, needs_reason=True, message=first.message,
                           target_stage=target.code)


def ladder_move_to(actor: Actor, case: Case, student_id: int, target_stage: str,
                   on: dt.date, *, reason: str = "", title: str = "",
                   data: dict | None = None) -> Event | None:
    """A decision that names the pester's stage (a meeting decides 'on to the OT', or
    'back to the afdelingscoördinator'): up or back through ``ladder_move``, inside
    ``write()``. The pester already standing there: no move, None."""
    protocol = _protocol(case)
    target = protocol.stage(target_stage)
    if target is None:
        raise TransitionError(TransitionRefused(
            _("There is no stage '{stage}' in this protocol.").format(stage=target_stage)))
    _check_date(on)
    _pester(case, student_id)  # refuses: not a bully in this case
    current = evaluate(protocol, _history(case), on).pester(student_id).stage_code
    if target.code == current:
        return None
    up = protocol.stage_index(target.code) > protocol.stage_index(current)
    return ladder_move(actor, case, student_id, engine.ESCALATE if up else engine.DEESCALATE,
                       on, target_stage=target.code, reason=reason, title=title, data=data)


def _move(actor: Actor, case_id: int, student_id: int, kind: str, target_stage: str | None,
          reason: str, on: dt.date | None, expected_stage: str | None) -> Event:
    on = _check_date(on)
    with write():
        case = _not_signal(_editable(actor, case_id))
        event = ladder_move(actor, case, student_id, kind, on, target_stage=target_stage,
                            reason=reason, expected_stage=expected_stage)
        _refresh_case_state(case.id)
    return event


def escalate(actor: Actor, case_id: int, student_id: int, target_stage: str | None = None,
             reason: str = "", on: dt.date | None = None,
             expected_stage: str | None = None) -> Event:
    """Move a pester up the ladder (next stage, or ``target_stage``).

    The protocol refuses moving on with required steps open unless a reason is given (a
    relapse may start at the proposed stage without one). ``expected_stage``: the stage the
    user saw; if someone moved the pester meanwhile, ``Conflict``.
    """
    return _move(actor, case_id, student_id, engine.ESCALATE, target_stage, reason, on,
                 expected_stage)


def deescalate(actor: Actor, case_id: int, student_id: int, target_stage: str | None = None,
               reason: str = "", on: dt.date | None = None,
               expected_stage: str | None = None) -> Event:
    """Move a pester back a stage (always with a reason)."""
    return _move(actor, case_id, student_id, engine.DEESCALATE, target_stage, reason, on,
                 expected_stage)


def record_contract_outcome(actor: Actor, case_id: int, student_id: int, kept: bool,
                            on: dt.date | None = None, note: str = "") -> Event:
    """The anti-bullying contract was kept or broken (broken moves the pester on)."""
    on = _check_date(on)
    kind = engine.CONTRACT_KEPT if kept else engine.CONTRACT_BROKEN
    with write():
        case = _not_signal(_editable(actor, case_id))
        event = ladder_move(actor, case, student_id, kind, on, reason=note)
        _refresh_case_state(case.id)
    return event


def close_case(actor: Actor, case_id: int, read_version: int, reason: str,
               on: dt.date | None = None) -> Case:
    """Close the case (a reason is required); a signal can be closed the same way."""
    on = _check_date(on)
    with write():
        case = _editable(actor, case_id)
        _gate(_protocol(case), _history(case), None, engine.CLOSE, None, reason)
        from .sanctions import refuse_close_if_open  # sanctions builds on this module

        refuse_close_if_open(case.id)  # e.g. an inspectorate notification still to make
        save_versioned(actor, case, read_version, status="closed", closed_on=on,
                       close_reason=reason.strip())
        _add_event(actor, case, "close", on, _("Case closed"), body=reason.strip())
        _refresh_case_state(case.id)
    return Case.get_by_id(case.id)


def reopen_case(actor: Actor, case_id: int, read_version: int, reason: str,
                on: dt.date | None = None) -> Case:
    """Reopen a closed case; the pesters stay on the stage they had reached."""
    on = _check_date(on)
    with write():
        case = _editable(actor, case_id)
        _gate(_protocol(case), _history(case), None, engine.REOPEN, None, reason)
        if not reason.strip():
            raise ValidationError({"reason": _("Give a reason for reopening the case.")})
        save_versioned(actor, case, read_version, status="open", closed_on=None,
                       close_reason="")
        _add_event(actor, case, "reopen", on, _("Case reopened"), body=reason.strip())
        _refresh_case_state(case.id)
    return Case.get_by_id(case.id)


# ---------------------------------------------------------------------------------------------
# evidence

_HEIF_BRANDS = {b"heic", b"heix", b"hevc", b"hevx", b"heim", b"heis", b"mif1", b"msf1",
                b"avif", b"avis"}


def sniff_media(data: bytes) -> str:
    """The image or video kind the bytes start with ("png", "jpeg", ..., "video"), or ""."""
    head = bytes(data[:32])
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if head.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if head[:6] in (b"GIF87a", b"GIF89a"):
        return "gif"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "webp"
    if head[4:8] == b"ftyp":  # ISO media: HEIC/AVIF images, MP4/MOV/3GP videos
        return "heic" if head[8:12] in _HEIF_BRANDS else "video"
    if head[:2] == b"BM" and len(head) >= 26 and head[6:10] == b"\x00\x00\x00\x00":
        return "bmp"
    if head[:4] in (b"II*\x00", b"MM\x00*"):
        return "tiff"
    if head[:4] == b"RIFF" and head[8:12] == b"AVI ":
        return "video"
    if head[:4] == b"\x1aE\xdf\xa3":  # Matroska / WebM
        return "video"
    return ""


def _refuses_pictures(case: Case) -> bool:
    return bool(NO_IMAGE_FORMS & set(_codes(case.forms))) or case.cyber_track in NO_IMAGE_FORMS


def _is_picture(data: bytes, mime_type: str) -> bool:
    return (mime_type or "").lower().startswith(("image/", "video/")) or bool(sniff_media(data))


def add_attachment(actor: Actor, case_id: int, filename: str, data: bytes,
                   mime_type: str = "", description: str = "") -> Attachment:
    """Store a file as evidence inside the database (sha256, size, who, when); never altered.

    In a case about sexting or grooming no image or video is accepted, whatever its name:
    possessing or forwarding sexual images of minors is a crime. Describe it instead
    (``add_evidence_note``).
    """
    filename = (filename or "").strip()
    if not filename:
        raise ValidationError({"filename": _("The file has no name.")})
    if not data:
        raise ValidationError({"data": _("The file is empty.")})
    if len(data) > MAX_ATTACHMENT_BYTES:
        raise ValidationError({"data": _("The file is too large (at most {size} MB).").format(
            size=MAX_ATTACHMENT_BYTES // (1024 * 1024))})
    if _refuses_pictures(_editable(actor, case_id)) and _is_picture(data, mime_type):
        with write():  # the attempt is recorded (without the file), then refused
            audit(actor, "refuse", "attachment", None, f"case={case_id},reason=image")
        raise ImageRefused(
            _("This case concerns sexting or grooming, so no image or video can be "
              "stored here. Possessing or forwarding sexual images of minors is a "
              "crime, also as evidence. Do not keep or forward the image: describe in "
              "an evidence note what it shows, where and when it was seen, and leave "
              "securing it to the police."), "image_refused")
    with write():
        case = _editable(actor, case_id)
        if _refuses_pictures(case) and _is_picture(data, mime_type):  # forms changed meanwhile
            raise ImageRefused(_("This case concerns sexting or grooming, so no image or video "
                                 "can be stored here."), "image_refused")
        digest = hashlib.sha256(data).hexdigest()
        lengths.require("attachment", {"filename": filename,
                                       "description": description.strip()})
        attachment = Attachment.create(
            case=case.id, filename=filename, mime_type=mime_type, data=data, sha256=digest,
            size=len(data), description=description.strip(), added_by=actor.user_id,
        )
        audit(actor, "create", "attachment", attachment.id,
              f"case={case.id},size={len(data)},sha256={digest[:16]}")
        _add_event(actor, case, "attachment", _today(), _("Evidence added"),
                   body=description.strip(), data={"attachment_id": attachment.id})
    return attachment


def add_evidence_note(actor: Actor, case_id: int, description: str,
                      on: dt.date | None = None) -> Event:
    """Evidence described in words (what, where, when) instead of a stored file."""
    on = _check_date(on)
    if not description.strip():
        raise ValidationError({"description": _("Describe the evidence.")})
    with write():
        case = _editable(actor, case_id)
        return _add_event(actor, case, "evidence", on, _("Evidence described"),
                          body=description.strip())


def attachment_bytes(actor: Actor, attachment_id: int) -> bytes:
    """The stored file, after checking its sha256; the look is recorded in the audit trail."""
    attachment = Attachment.get_or_none(Attachment.id == attachment_id)
    if (attachment is None or attachment.data is None
            or not access.can_view_case(actor, attachment.case_id)):
        raise access.NotFound(_("This file does not exist (any more)."))
    data = bytes(attachment.data)
    intact = hashlib.sha256(data).hexdigest() == attachment.sha256
    with write():
        audit(actor, "view" if intact else "integrity_fail", "attachment", attachment.id,
              f"case={attachment.case_id}")
    if not intact:
        raise CaseError(
            _("The stored file no longer matches its fingerprint: it has been altered or "
              "damaged. Do not use it as evidence."), "tampered")
    return data


# ---------------------------------------------------------------------------------------------
# reading


def timeline_query(case_id: int, kinds: Iterable[str] | None = None, text: str = "", *,
                   actor: Actor):
    """The case's timeline, newest first, as a query (page it; never load it all).

    Rows have the Event's fields plus ``student_name`` (the pester a step is about). The
    need-to-know rules of ``actor`` apply (nothing of a hidden case; a confidential note
    only for the vertrouwenspersoon who wrote it; ``SYSTEM`` gets no confidential note).
    """
    E, Inv, S = Event, Involvement, Student
    query = (
        E.select(E.id, E.case, E.occurred_on, E.kind, E.title, E.body, E.step_code,
                 E.stage_code, E.involvement, E.confidential, E.author, E.data,
                 full_name(S).alias("student_name"))
        .join(Inv, JOIN.LEFT_OUTER, on=(E.involvement == Inv.id))
        .join(S, JOIN.LEFT_OUTER, on=(Inv.student == S.id))
        .where(E.case == case_id)
        .order_by(E.occurred_on.desc(), E.id.desc())
    )
    kinds = list(kinds or ())
    if kinds:
        query = query.where(E.kind.in_(kinds))
    query = query.where(E.case.in_(access.visible_case_ids(actor))
                        & access.event_visibility(actor))
    for token in (text or "").split():
        query = query.where(E.title.contains(token) | E.body.contains(token))
    return query


def readable_events(rows: Iterable[dict]) -> list[dict]:
    """Rows of ``timeline_query`` as their reader sees them: a sealed confidential note
    opened when the signed-in vertrouwenspersoon holds the seal, else a line saying it is
    sealed (``encryption.open_note``)."""
    return [encryption.open_note(row) for row in rows]


@dataclass(frozen=True, slots=True)
class TimelineEntry:
    """One line of a case's timeline as its reader sees it (a sealed note opened or not)."""

    id: int
    occurred_on: dt.date
    kind: str
    title: str
    body: str
    step_code: str
    stage_code: str
    involvement_id: int | None
    confidential: bool
    author_id: int | None
    data: str  # JSON: the conversation guide's answers, who was there, ...
    student_name: str  # the pester a step is about, "" for the whole case
    sealed: bool  # a sealed note this session cannot open (``body`` says so)


def timeline_entries(case_id: int, kinds: Iterable[str] | None = None, text: str = "", *,
                     actor: Actor, offset: int = 0, limit: int = 100) -> list[TimelineEntry]:
    """A page of ``timeline_query`` (newest first) as records, sealed notes as readable."""
    query = timeline_query(case_id, kinds, text, actor=actor).offset(offset).limit(limit)
    return [TimelineEntry(
        id=r["id"], occurred_on=r["occurred_on"], kind=r["kind"], title=r["title"] or "",
        body=r["body"] or "", step_code=r["step_code"] or "", stage_code=r["stage_code"] or "",
        involvement_id=r["involvement"], confidential=bool(r["confidential"]),
        author_id=r["author"], data=r["data"] or "", student_name=r["student_name"] or "",
        sealed=bool(r.get("sealed"))) for r in readable_events(query.dicts())]


def timeline_count(case_id: int, kinds: Iterable[str] | None = None, text: str = "", *,
                   actor: Actor) -> int:
    """How many entries ``timeline_entries`` can page through."""
    return timeline_query(case_id, kinds, text, actor=actor).count()


def case_numbers(actor: Actor, case_ids: Iterable[int | None]) -> dict[int, str]:
    """{case id: case number} of those of ``case_ids`` that ``actor`` may see."""
    ids = [c for c in case_ids if c]
    if not ids:
        return {}
    return dict(Case.select(Case.id, Case.number)
                .where(Case.id.in_(ids) & access.case_visibility(actor)).tuples())


@dataclass(frozen=True, slots=True)
class InvolvedStudent:
    """A student in a case as the case window shows it (``CaseDetail.involvements``)."""

    id: int  # the involvement's id
    student_id: int
    name: str
    number: str  # the stamnummer
    class_name: str  # "" when the student has no class
    role: str
    stage_code: str  # the pester's stage ("" for other roles)
    relapse_of: int | None  # an earlier case of this pester
    relapse_number: str  # its number, "" when the reader may not open it
    notes: str
    version: int


@dataclass(frozen=True, slots=True)
class EvidenceFile:
    """An evidence file's metadata (never its bytes: ``attachment_bytes`` reads those)."""

    id: int
    filename: str
    mime_type: str
    description: str
    size: int
    sha256: str
    added_at: dt.datetime
    added_by_id: int | None
    added_by_name: str  # the user name of who added it, "" when unknown


@dataclass(frozen=True, slots=True)
class CaseDetail:
    """One case as its reader sees it: the report's fields, the students and the evidence."""

    id: int
    number: str
    version: int
    is_signal: bool
    status: str
    reported_on: dt.date
    reporter_kind: str
    reported_via: str
    summary: str
    description: str
    locations: tuple[str, ...]
    since: str
    frequency: str
    scope: str
    forms: tuple[str, ...]
    is_cyber: bool
    cyber_track: str
    protocol_code: str
    protocol_version: str
    owner_id: int | None
    owner_name: str
    closed_on: dt.date | None
    close_reason: str
    stage_code: str
    next_due_on: dt.date | None
    involvements: tuple[InvolvedStudent, ...]
    attachments: tuple[EvidenceFile, ...]

    @property
    def closed(self) -> bool:
        return self.status == "closed"

    def involvement(self, involvement_id: int) -> InvolvedStudent | None:
        return next((i for i in self.involvements if i.id == involvement_id), None)

    def student(self, student_id: int | None) -> InvolvedStudent | None:
        return next((i for i in self.involvements if i.student_id == student_id), None)


def case_detail(case_id: int, *, actor: Actor) -> CaseDetail:
    """The case's fields, its students (names, classes, roles, stages) and evidence metadata
    (with ``added_by_name``, the user name of who added it).

    ``access.NotFound`` when the case is hidden from ``actor`` (as when missing).
    """
    case = access.visible_case(actor, case_id)
    owner = Staff.get_or_none(Staff.id == case.owner_id) if case.owner_id else None
    students = list(
        Involvement.select(Involvement.id, Involvement.student, full_name(Student).alias("name"),
                           Student.number, SchoolClass.name.alias("class_name"),
                           Involvement.role, Involvement.stage_code, Involvement.relapse_of,
                           Involvement.notes, Involvement.version)
        .join(Student, on=(Involvement.student == Student.id))
        .join(SchoolClass, JOIN.LEFT_OUTER, on=(Student.school_class == SchoolClass.id))
        .where(Involvement.case == case.id)
        .order_by(Involvement.id)
        .dicts()
    )
    attachments = (
        Attachment.select(Attachment.id, Attachment.filename, Attachment.mime_type,
                          Attachment.description, Attachment.size, Attachment.sha256,
                          Attachment.added_at, Attachment.added_by,
                          fn.COALESCE(User.username, "").alias("added_by_name"))
        .join(User, JOIN.LEFT_OUTER, on=(Attachment.added_by == User.id))
        .where(Attachment.case == case.id)
        .order_by(Attachment.id)
        .dicts()
    )
    # an earlier case of a pester is named only when the reader may open it
    earlier = case_numbers(actor, [r["relapse_of"] for r in students])
    return CaseDetail(
        id=case.id, number=case.number, version=case.version, is_signal=case.is_signal,
        status=case.status, reported_on=case.reported_on, reporter_kind=case.reporter_kind,
        reported_via=case.reported_via, summary=case.summary, description=case.description,
        locations=tuple(_codes(case.location)), since=case.since, frequency=case.frequency,
        scope=case.scope, forms=tuple(_codes(case.forms)), is_cyber=case.is_cyber,
        cyber_track=case.cyber_track, protocol_code=case.protocol_code,
        protocol_version=case.protocol_version, owner_id=case.owner_id,
        owner_name=" ".join(p for p in (owner.first_name, owner.tussenvoegsel,
                                        owner.last_name) if p) if owner else "",
        closed_on=case.closed_on, close_reason=case.close_reason,
        stage_code=case.stage_code, next_due_on=case.next_due_on,
        involvements=tuple(
            InvolvedStudent(
                id=r["id"], student_id=r["student"], name=r["name"], number=r["number"],
                class_name=r["class_name"] or "", role=r["role"],
                stage_code=r["stage_code"] or "", relapse_of=r["relapse_of"],
                relapse_number=earlier.get(r["relapse_of"], ""), notes=r["notes"] or "",
                version=r["version"])
            for r in students),
        attachments=tuple(
            EvidenceFile(
                id=a["id"], filename=a["filename"], mime_type=a["mime_type"] or "",
                description=a["description"] or "", size=a["size"] or 0, sha256=a["sha256"],
                added_at=a["added_at"], added_by_id=a["added_by"],
                added_by_name=a["added_by_name"] or "")
            for a in attachments),
    )


@dataclass(frozen=True, slots=True)
class CaseScreen:
    """What the case window shows, read in one go (the window reads it off the GUI thread).

    ``assessment`` is None for a signal; ``agreements`` None when they were not asked for;
    ``case_numbers`` names the pesters' earlier cases the reader may open."""

    detail: CaseDetail
    protocol: Protocol
    editable: bool
    assessment: CaseAssessment | None
    agreements: tuple[AgreementLine, ...] | None
    case_numbers: Mapping[int, str]


def case_screen(actor: Actor, case_id: int, today: dt.date | None = None, *,
                opening: bool = False, agreements: bool = True) -> CaseScreen:
    """The case window's reads: the detail (``opening``: through ``open_case``, with its
    ``view`` audit line), the protocol, whether ``actor`` may edit, where the case stands
    on ``today`` and (``agreements``) its agreements. ``access.NotFound`` when hidden."""
    detail = open_case(actor, case_id) if opening else case_detail(case_id, actor=actor)
    assessment = None if detail.is_signal else assess(case_id, today, actor=actor)
    earlier = [i.relapse_of for i in detail.involvements]
    for pester in assessment.pesters if assessment is not None else ():
        if pester.relapse is not None:
            earlier += pester.relapse.relapse_of
    return CaseScreen(
        detail=detail, protocol=protocol_for(case_id),
        editable=access.can_edit_case(actor, case_id), assessment=assessment,
        agreements=tuple(case_agreements(case_id, actor=actor)) if agreements else None,
        case_numbers=case_numbers(actor, earlier))


def open_case(actor: Actor, case_id: int) -> CaseDetail:
    """Open a dossier: the detail, with a ``view`` line in the audit trail.

    ``access.NotFound`` when the case is missing or hidden from ``actor`` (same answer).
    """
    access.open_case(actor, case_id)  # checks need-to-know and records the view
    return case_detail(case_id, actor=actor)
