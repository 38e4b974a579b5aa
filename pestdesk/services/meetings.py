"""Care-team meetings (Overleggen): plan an IZO, OT or ACT meeting, build its agenda from the
cases, respect consent, prepare the pack, record minutes, decisions and actions.

Consent goes by participant, not by meeting type: any meeting with a participant from outside
the school (an IZO with the schoolmaatschappelijk werker as much as an OT or ACT) discusses a
named student only with recorded consent for that kind of meeting, valid on the meeting's
day: from a parent with parental authority while the student is under 16, from the student
from 16 on. Without it the student is "Leerling A" on screen, in the pack and in the minutes
shown -- unless the item records a legal basis (sharing with the samenwerkingsverband for its
statutory tasks, such as an ACT application). In such a meeting the school's name detector
(``services.names``) also runs over every free text of the item (summary, question, minutes,
decision, timeline): a student without consent becomes their label, anyone else of the school
who is not a consenting student or their own parent "een andere leerling" or "een ouder van
een andere leerling". Anonymisation happens here, when the screen's and the pack's data are
built, so neither the screen nor the PDF renderer receives a name it may not show. Minutes
and decisions land in the case timeline; actions land on their owner's overview.

Who may:
- planning and changing a meeting (``plan_meeting``, ``update_meeting``): the roles that run
  the care structure, ``PLANNER_ROLES`` (ondersteuningscoordinator/zorgcoordinator, zorgteam,
  directie) and ``SYSTEM``;
- anything that touches an agenda item with a case (adding, removing, the basis for sharing,
  minutes, actions, completing an action of a case): ``access.require_edit`` on that case,
  checked before anything about it is looked up and again inside the write transaction. An
  item of a case the actor may not see answers ``access.NotFound`` exactly as a missing one;
  a read-only role (zorgteam) gets a refusal. General items (no case) are for everyone the
  meetings are visible to (``access.meeting_visibility``);
- consent (``record_consent``, ``withdraw_consent``): the actor must see the student
  (``access.can_view_student``, else ``NotFound``) and hold a care role that changes dossiers.
Reading (``meeting_view``, ``agenda``, ``item_consent``, ``pack_data``, ``build_pack``,
``export_ics``, ``suggest_cases``) takes an optional ``actor``; without one it reads with
full access (``SYSTEM``), as the command line does. With one, an item whose case the actor may
not see keeps its place on the agenda but shows neither case number, summary, question,
students, minutes nor actions.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from .. import clock
from ..domain import taxonomy
from ..domain.protocol import builtin_protocols
from ..domain.sanctions import age_on
from ..i18n import N_, _, format_date, format_datetime, ngettext
from ..letters.pack import MeetingPack, PackItem, PackLabels, PackStudent, render_pack
from ..store import models as m
from . import _ladder, access, names
from .base import Actor, ServiceError, audit, create, save_versioned, write

KINDS = ("IZO", "OT", "ACT")
EXTERNAL_ROLES = {
    "leerplichtambtenaar": N_("compulsory-education officer"),
    "jeugdarts": N_("youth doctor"),
    "schoolmaatschappelijk_werk": N_("school social worker"),
    "wijkteam": N_("neighbourhood team"),
    "samenwerkingsverband": N_("regional partnership (samenwerkingsverband)"),
    "other": N_("other"),
}
BASIS_SAMENWERKINGSVERBAND = "samenwerkingsverband"
CONSENT_AGE = 16
#: who plans care-team meetings: the roles that see every case (zorgteam included: planning
#: is not changing a dossier) and the beheerder; ``SYSTEM`` too
# planning a care meeting is care work: the beheerder (who does not see dossiers) does not
PLANNER_ROLES = access.ALL_CASES_ROLES
#: care roles that change dossiers (consent is part of the student's dossier)
EDITING_ROLES = access.CARE_ROLES - access.READ_ONLY_ROLES


@dataclass(frozen=True)
class External:
    name: str
    role: str


@dataclass(frozen=True)
class Suggestion:
    case_id: int
    number: str
    summary: str
    reason: str  # "stage" or "overdue"
    stage_code: str
    next_due_on: dt.date | None


@dataclass(frozen=True)
class LadderDecision:
    """The meeting decided to move one pester of the item's case to ``target_stage`` (on to
    the OT, an expulsion track, back to the afdelingscoördinator); ``reason`` is the user's
    own, needed exactly where the protocol's engine asks for one (``ladder_preview``)."""

    student_id: int
    target_stage: str
    reason: str = ""


@dataclass(frozen=True)
class ItemPester:
    """A pester of an agenda item's case, as the meeting screen may show them."""

    student_id: int
    name: str  # "Leerling A" without consent
    stage_code: str
    stage_title: str


@dataclass(frozen=True)
class StudentConsent:
    student_id: int
    name: str
    role: str
    named: bool  # may be named in this meeting
    why: str


def _meeting(meeting_id: int) -> m.Meeting:
    meeting = m.Meeting.get_or_none(m.Meeting.id == meeting_id)
    if meeting is None:
        raise ServiceError(_("This meeting no longer exists."))
    return meeting


def _item(item_id: int) -> m.AgendaItem:
    item = m.AgendaItem.get_or_none(m.AgendaItem.id == item_id)
    if item is None:
        raise ServiceError(_("This agenda item no longer exists."))
    return item


# ---------------------------------------------------------------------------------------------
# who may


def _no_rights() -> ServiceError:
    return ServiceError(_("You do not have the rights to do this."))


def may_plan(actor: Actor) -> bool:
    """May plan and change meetings (not their cases)."""
    return access.is_system(actor) or actor.has_role(*PLANNER_ROLES)


def _visible_meeting(actor: Actor, meeting_id: int) -> m.Meeting:
    """The meeting, or ``NotFound`` (same words as a missing one) when hidden from ``actor``."""
    meeting = (m.Meeting.select()
               .where((m.Meeting.id == meeting_id) & access.meeting_visibility(actor)).first())
    if meeting is None:
        raise access.NotFound(_("This meeting no longer exists."))
    return meeting


def _require_item(actor: Actor, item: m.AgendaItem | None) -> m.AgendaItem:
    """Refuse a change to an agenda item: its case's ``require_edit``; for a general item the
    meeting must be visible. A hidden or missing item: ``NotFound`` with the same words."""
    missing = access.NotFound(_("This agenda item no longer exists."))
    if item is None:
        raise missing
    if item.case_id is None:
        if not access.has_care_role(actor):
            raise missing
        return item
    if not access.can_view_case(actor, item.case_id):
        raise missing
    access.require_edit(actor, item.case_id)
    return item


def _editable_item(actor: Actor, item_id: int) -> m.AgendaItem:
    return _require_item(actor, m.AgendaItem.get_or_none(m.AgendaItem.id == item_id))


def _require_student(actor: Actor, student_id: int) -> None:
    """Refuse a change to a student's consent: ``NotFound`` when the student is hidden from
    ``actor`` (same words as a missing one), a refusal without a role that changes dossiers."""
    if not access.can_view_student(actor, student_id):
        raise access.NotFound(_("This student no longer exists."))
    if not (access.is_system(actor) or actor.has_role(*EDITING_ROLES)):
        raise _no_rights()


def _visible_cases(actor: Actor, case_ids: set[int]) -> set[int]:
    """Which of ``case_ids`` ``actor`` may see (one query)."""
    if not case_ids:
        return set()
    if access.sees_all_cases(actor):
        return set(case_ids)
    query = m.Case.select(m.Case.id).where(m.Case.id.in_(sorted(case_ids))
                                           & access.case_visibility(actor))
    return {cid for (cid,) in query.tuples()}


def to_utc(moment: dt.datetime) -> dt.datetime:
    """Naive UTC for storage; a naive input is taken as the PC's local time."""
    return clock.to_utc(moment)


def meeting_day(meeting: m.Meeting) -> dt.date:
    """The school's local calendar day of a meeting (``starts_at`` is stored in UTC)."""
    return clock.local_date(meeting.starts_at)


# ---------------------------------------------------------------------------------------------
# planning


def plan_meeting(actor: Actor, *, kind: str, starts_at: dt.datetime, place: str = "",
                 duration_minutes: int = 60, chair_id: int | None = None,
                 attendee_ids: list[int] | None = None, externals: list[External] | None = None,
                 notes: str = "") -> m.Meeting:
    """Plan a meeting; ``starts_at`` naive = local time (stored in UTC).

    Needs one of ``PLANNER_ROLES`` (or ``SYSTEM``)."""
    if not may_plan(actor):
        raise _no_rights()
    if kind not in KINDS:
        raise ServiceError(_("Choose IZO, OT or ACT."))
    if not 10 <= duration_minutes <= 600:
        raise ServiceError(_("A meeting lasts between 10 minutes and 10 hours."))
    for ext in externals or []:
        if not ext.name.strip() or ext.role not in EXTERNAL_ROLES:
            raise ServiceError(_("Give each external participant a name and a role."))
    with write():
        meeting = create(actor, m.Meeting, kind=kind, starts_at=to_utc(starts_at),
                         duration_minutes=duration_minutes, place=place.strip(),
                         chair=chair_id, attendees=json.dumps(sorted(set(attendee_ids or []))),
                         externals=json.dumps([{"name": e.name.strip(), "role": e.role}
                                               for e in externals or []], ensure_ascii=False),
                         notes=notes)
    return meeting


def update_meeting(actor: Actor, meeting_id: int, read_version: int, **changes) -> m.Meeting:
    """Change place, time, chair, attendees or externals (version-checked).

    Needs one of ``PLANNER_ROLES`` (or ``SYSTEM``)."""
    if not may_plan(actor):
        _visible_meeting(actor, meeting_id)  # NotFound for who may not see meetings at all
        raise _no_rights()
    meeting = _meeting(meeting_id)
    values = {}
    if "starts_at" in changes:
        values["starts_at"] = to_utc(changes.pop("starts_at"))
    if "attendee_ids" in changes:
        values["attendees"] = json.dumps(sorted(set(changes.pop("attendee_ids"))))
    if "externals" in changes:
        values["externals"] = json.dumps([{"name": e.name, "role": e.role}
                                          for e in changes.pop("externals")], ensure_ascii=False)
    if "chair_id" in changes:
        values["chair"] = changes.pop("chair_id")
    values.update({k: v for k, v in changes.items()
                   if k in ("place", "duration_minutes", "notes", "kind")})
    with write():
        return save_versioned(actor, meeting, read_version, **values)


def externals_of(meeting: m.Meeting) -> list[External]:
    """The outside participants; stored text that cannot be read counts as one (the consent
    rule fails closed)."""
    stored = (meeting.externals or "").strip()
    try:
        return [External(e["name"], e["role"]) for e in json.loads(stored or "[]")]
    except (ValueError, KeyError, TypeError):
        return [External(stored, "other")]


def attendees_of(meeting: m.Meeting) -> list[int]:
    try:
        return [int(i) for i in json.loads(meeting.attendees or "[]")]
    except (ValueError, TypeError):
        return []


# ---------------------------------------------------------------------------------------------
# the agenda


def meeting_stage_codes(kind: str) -> list[str]:
    """The codes of the ladder stages a meeting of ``kind`` discusses: in every protocol a
    case may follow, the stage of the matching declared kind (izo, ot, act)."""
    wanted = taxonomy.MEETING_STAGE_KINDS.get(kind, "")
    protocols = list(builtin_protocols().values())
    codes = {stage.code for p in protocols if (stage := p.stage_of_kind(wanted))} if wanted \
        else set()
    return sorted(codes)


def suggest_cases(kind: str, today: dt.date, meeting_id: int | None = None,
                  limit: int = 40, *, actor: Actor) -> list[Suggestion]:
    """Open cases whose stage calls for this meeting, then cases with overdue steps; with an
    ``actor``, only the cases they may see."""
    C = m.Case
    stages = meeting_stage_codes(kind)
    on_stage = m.Involvement.select(m.Involvement.case).where(
        m.Involvement.stage_code.in_(stages))
    base = C.select(C.id, C.number, C.summary, C.stage_code, C.next_due_on).where(
        (C.status == "open") & (C.is_signal == False)  # noqa: E712
        & access.case_visibility(actor))
    if meeting_id:
        taken = m.AgendaItem.select(m.AgendaItem.case).where(
            (m.AgendaItem.meeting == meeting_id) & m.AgendaItem.case.is_null(False))
        base = base.where(C.id.not_in(taken))
    out: list[Suggestion] = []
    seen: set[int] = set()
    by_stage = base.where(C.stage_code.in_(stages) | C.id.in_(on_stage)).order_by(C.next_due_on)
    for cid, number, summary, stage_code, due in by_stage.limit(limit).tuples():
        seen.add(cid)
        out.append(Suggestion(cid, number, summary, "stage", stage_code, due))
    overdue = base.where(C.next_due_on < today).order_by(C.next_due_on)
    for cid, number, summary, stage_code, due in overdue.limit(limit).tuples():
        if cid not in seen and len(out) < limit:
            out.append(Suggestion(cid, number, summary, "overdue", stage_code, due))
    return out


def add_item(actor: Actor, meeting_id: int, case_id: int | None, question: str,
             consent_basis: str = "") -> m.AgendaItem:
    """Put a case (or a general point, ``case_id=None``) on the agenda with its hulpvraag.

    A case needs ``access.require_edit`` on it; a general point a role that sees meetings."""
    meeting = _visible_meeting(actor, meeting_id)
    if case_id is not None:
        access.require_edit(actor, case_id)
    if not question.strip():
        raise ServiceError(_("Write down the question for the meeting (hulpvraag)."))
    if consent_basis not in ("", BASIS_SAMENWERKINGSVERBAND):
        raise ServiceError(_("Unknown basis for sharing."))
    if case_id is not None:
        _ladder.get_case(case_id)
        if m.AgendaItem.get_or_none((m.AgendaItem.meeting == meeting_id)
                                    & (m.AgendaItem.case == case_id)):
            raise ServiceError(_("This case is already on the agenda."))
    last = (m.AgendaItem.select(m.AgendaItem.position).where(m.AgendaItem.meeting == meeting_id)
            .order_by(m.AgendaItem.position.desc()).first())
    with write():
        if case_id is not None:
            access.require_edit(actor, case_id)
        item = create(actor, m.AgendaItem, meeting=meeting.id, case=case_id,
                      position=(last.position + 1) if last else 1, question=question.strip(),
                      consent_basis=consent_basis)
    return item


def set_consent_basis(actor: Actor, item_id: int, read_version: int, basis: str) -> m.AgendaItem:
    """Record the legal basis for sharing with the samenwerkingsverband ('' to clear it)."""
    if basis not in ("", BASIS_SAMENWERKINGSVERBAND):
        raise ServiceError(_("Unknown basis for sharing."))
    item = _editable_item(actor, item_id)
    with write():
        _require_item(actor, item)
        return save_versioned(actor, item, read_version, consent_basis=basis)


def remove_item(actor: Actor, item_id: int) -> None:
    """Take an item off the agenda (refused once it has minutes or actions)."""
    with write():  # checked inside the transaction: minutes saved meanwhile are never lost
        item = _editable_item(actor, item_id)
        if item.minutes or item.decision or item.actions.count():
            raise ServiceError(_("This item has minutes or actions; it cannot be removed."))
        item.delete_instance()
        audit(actor, "delete", "agenda_item", item_id)


# ---------------------------------------------------------------------------------------------
# consent


def record_consent(actor: Actor, student_id: int, *, given_on: dt.date, scope: list[str],
                   guardian_id: int | None = None) -> m.Consent:
    """Consent to discuss a student by name in meetings of the kinds in ``scope`` that have a
    participant from outside the school.

    Under 16 it comes from a parent with parental authority; from 16 from the student.
    The actor must see the student and hold a care role that changes dossiers.
    """
    _require_student(actor, student_id)
    student = m.Student.get_or_none(m.Student.id == student_id)
    if student is None:
        raise ServiceError(_("This student no longer exists."))
    kinds = [k for k in scope if k in KINDS]
    if not kinds:
        raise ServiceError(_("Choose the meetings the consent is for (IZO, OT, ACT)."))
    if student.birth_date is None:
        raise ServiceError(_("The student's date of birth is unknown; it decides who gives "
                             "consent."))
    adult = age_on(student.birth_date, given_on) >= CONSENT_AGE
    if adult and guardian_id is not None:
        raise ServiceError(_("From 16 the student gives consent."))
    if not adult:
        link = m.StudentGuardian.get_or_none((m.StudentGuardian.student == student_id)
                                             & (m.StudentGuardian.guardian == guardian_id)
                                             & m.StudentGuardian.has_authority)
        if link is None:
            raise ServiceError(_("Under 16 consent comes from a parent with parental "
                                 "authority."))
        g = link.guardian
        given_by = " ".join(p for p in (g.first_name, g.tussenvoegsel, g.last_name) if p)
    else:
        given_by = "leerling"
    with write():
        _require_student(actor, student_id)
        consent = create(actor, m.Consent, student=student_id, given_by=given_by,
                         given_on=given_on, scope=",".join(kinds))
        _consent_steps(actor, student_id, kinds, given_on, adult)
    return consent


def may_record_consent(actor: Actor) -> bool:
    """Holds a role that records consent (the care roles that change dossiers); which
    students is ``access.student_visibility``'s answer."""
    return access.is_system(actor) or actor.has_role(*EDITING_ROLES)


def consent_refused_text() -> str:
    return _("Consent is recorded by the care roles that change dossiers.")


@dataclass(frozen=True)
class ConsentGivers:
    """Who may give consent for a student on a day, for the "record consent" dialog."""

    student_id: int
    name: str
    by_student: bool  # 16 or older: the student consents
    #: under 16: the parents with parental authority (id, name, relation: "moeder", ...)
    guardians: tuple[tuple[int, str, str], ...]
    problem: str  # why consent cannot be recorded ("": it can)


def consent_givers(actor: Actor, student_id: int, on: dt.date) -> ConsentGivers:
    """Who may consent for ``student_id`` on ``on`` (the same rule as ``record_consent``);
    ``NotFound`` when the student is hidden from ``actor``, a refusal without the rights."""
    _require_student(actor, student_id)
    student = m.Student.get_by_id(student_id)
    name = " ".join(p for p in (student.first_name, student.tussenvoegsel, student.last_name)
                    if p)
    if student.birth_date is None:
        return ConsentGivers(student_id, name, False, (), _(
            "The student's date of birth is unknown; it decides who gives consent."))
    if age_on(student.birth_date, on) >= CONSENT_AGE:
        return ConsentGivers(student_id, name, True, (), "")
    links = (m.StudentGuardian.select(m.StudentGuardian, m.Guardian).join(m.Guardian)
             .where((m.StudentGuardian.student == student_id)
                    & m.StudentGuardian.has_authority).order_by(m.StudentGuardian.id))
    guardians = tuple(
        (link.guardian_id, " ".join(p for p in (link.guardian.first_name,
                                                link.guardian.tussenvoegsel,
                                                link.guardian.last_name) if p),
         link.relation or "")
        for link in links)
    problem = "" if guardians else _("Under 16 consent comes from a parent with parental "
                                     "authority.")
    return ConsentGivers(student_id, name, False, guardians, problem)


def _consent_steps(actor: Actor, student_id: int, kinds: list[str], on: dt.date,
                   by_student: bool) -> None:
    """The consent ticks the protocol's consent step (kind ``consent``) of the meeting's
    stage, for each open case in which the student stands on that stage as a bully; its
    timeline title says who consented (the student from 16, else a parent)."""
    invs = (m.Involvement.select().join(m.Case)
            .where((m.Involvement.student == student_id) & (m.Involvement.role == "pester")
                   & (m.Case.status == "open") & (m.Case.is_signal == False)))  # noqa: E712
    for inv in invs:
        if not access.can_edit_case(actor, inv.case_id):
            continue
        protocol = _ladder.protocol_for(inv.case)
        for kind in kinds:
            stage = protocol.stage_of_kind(taxonomy.MEETING_STAGE_KINDS.get(kind, ""))
            step = stage.step_of_kind("consent") if stage else None
            if step is None or inv.stage_code != stage.code:
                continue
            if m.Event.select().where((m.Event.case == inv.case_id)
                                      & (m.Event.involvement == inv.id)
                                      & (m.Event.stage_code == stage.code)
                                      & (m.Event.step_code == step.code)).exists():
                continue
            title = (_("Consent of the student (16 or older) for the {kind} with external "
                       "partners") if by_student else
                     _("Consent of a parent with parental authority for the {kind} with "
                       "external partners")).format(kind=kind)
            _ladder.step_done(actor, protocol, inv, inv.case_id, stage.code, "consent", on,
                              title=title)
            _ladder.refresh(inv.case_id)


def withdraw_consent(actor: Actor, consent_id: int, read_version: int,
                     on: dt.date) -> m.Consent:
    """Record that consent was withdrawn on ``on`` (same rights as ``record_consent``)."""
    consent = m.Consent.get_or_none(m.Consent.id == consent_id)
    if consent is None or not access.can_view_student(actor, consent.student_id):
        raise access.NotFound(_("This consent no longer exists."))
    _require_student(actor, consent.student_id)
    if on < consent.given_on:
        raise ServiceError(_("Consent cannot be withdrawn before it was given."))
    with write():
        _require_student(actor, consent.student_id)
        return save_versioned(actor, consent, read_version, withdrawn_on=on)


def needs_consent(meeting: m.Meeting) -> bool:
    """A meeting with anyone from outside the school names a student only with consent."""
    return bool(externals_of(meeting))


def has_consent(student_id: int, kind: str, on: dt.date) -> bool:
    """Valid consent for a meeting of ``kind`` on ``on``: given before, not withdrawn, and
    from whoever decides on that day (a parent under 16, the student from 16: a parent's
    consent ends when the child turns 16)."""
    C = m.Consent
    student = m.Student.get_or_none(m.Student.id == student_id)
    birth = student.birth_date if student is not None else None
    adult = birth is not None and age_on(birth, on) >= CONSENT_AGE
    for consent in C.select().where((C.student == student_id) & (C.given_on <= on)):
        if consent.withdrawn_on is not None and consent.withdrawn_on <= on:
            continue
        if kind not in consent.scope.split(","):
            continue
        if birth is None or (consent.given_by == "leerling") == adult:
            return True
    return False


def item_consent(item_id: int, actor: Actor) -> list[StudentConsent]:
    """Per student of the item's case: may they be named in this meeting, and why.

    ``NotFound`` for an ``actor`` who may not see the item's case."""
    item = _item(item_id)
    if item.case_id is not None and not access.can_view_case(actor, item.case_id):
        raise access.NotFound(_("This agenda item no longer exists."))
    return _item_consent(item)


def _item_consent(item: m.AgendaItem) -> list[StudentConsent]:
    """``item_consent`` for an item whose reader was checked (or for the meeting itself)."""
    meeting = item.meeting
    if item.case_id is None:
        return []
    on = meeting_day(meeting)
    out = []
    query = (m.Involvement.select(m.Involvement, m.Student).join(m.Student)
             .where(m.Involvement.case == item.case_id).order_by(m.Involvement.id))
    for inv in query:
        name = " ".join(p for p in (inv.student.first_name, inv.student.tussenvoegsel,
                                    inv.student.last_name) if p)
        if not needs_consent(meeting):
            named, why = True, _("internal meeting")
        elif has_consent(inv.student_id, meeting.kind, on):
            named, why = True, _("consent recorded")
        elif item.consent_basis == BASIS_SAMENWERKINGSVERBAND:
            named, why = True, _("statutory task of the samenwerkingsverband")
        else:
            named, why = False, _("no consent: anonymised")
        out.append(StudentConsent(inv.student_id, name, inv.role, named, why))
    return out


def item_is_anonymised(item_id: int, actor: Actor) -> bool:
    return any(not s.named for s in item_consent(item_id, actor))


class _ItemScrub:
    """What an agenda item may show in a meeting: without outside participants everything;
    with them, students without consent as "Leerling A" and, through the name detector,
    nobody of the school but the consenting students and their own parents."""

    def __init__(self, meeting: m.Meeting, consent: list[StudentConsent],
                 leaves_school: bool = False) -> None:
        # ``leaves_school``: for a text that leaves pestdesk whoever takes part (a calendar
        # file), where nobody of the school is named
        self.active = leaves_school or needs_consent(meeting)
        letters = iter("ABCDEFGHIJKLMNOPQRSTUVWXYZ")
        self.labels = {c.student_id: _("Student {letter}").format(letter=next(letters, "?"))
                       for c in consent if not c.named}
        self._by_key = {names.student_key(sid): label for sid, label in self.labels.items()}
        if self.active:
            self._allowed = names.own_keys([c.student_id for c in consent if c.named])
            self._index = names.school_index()

    def name(self, entry: StudentConsent) -> str:
        return self.labels.get(entry.student_id, entry.name)

    def _label(self, hit) -> str | None:
        if hit.keys & self._allowed:
            return None
        mine = {self._by_key[k] for k in hit.keys if k in self._by_key}
        if len(mine) == 1:
            return mine.pop()
        if any(names.key_id(k)[0] == "student" for k in hit.keys):
            return _("another student")
        return _("a parent of another student")

    def __call__(self, text: str | None) -> str:
        if not self.active or not text:
            return text or ""
        return self._index.redact(text, self._label, strict=True)


class _Both:
    """An item's scrub followed by the reader's: for a general point, which no case's
    visibility covers."""

    def __init__(self, scrub: _ItemScrub, reader) -> None:
        self.scrub, self.reader, self.labels = scrub, reader, scrub.labels

    def name(self, entry: StudentConsent) -> str:
        return self.scrub.name(entry)

    def __call__(self, text: str | None) -> str:
        return self.reader(self.scrub(text))


# ---------------------------------------------------------------------------------------------
# minutes, decisions, actions


def record_minutes(actor: Actor, item_id: int, read_version: int, *, minutes: str,
                   decision: str, moves: Sequence[LadderDecision] = ()) -> m.AgendaItem:
    """Minutes and decision of an item; both land in the case timeline, and the discussion
    counts as the protocol's step for this meeting.

    ``moves``: where the meeting moves a pester on the ladder. Each goes through the one
    ladder path (``cases.ladder_move``) on the meeting's day, in the same transaction: a move
    the protocol refuses, or one without the reason it asks for, saves nothing at all."""
    item = _editable_item(actor, item_id)
    meeting = item.meeting
    on = meeting_day(meeting)
    if moves and item.case_id is None:
        raise ServiceError(_("A general agenda item has no bully to move on the ladder."))
    with write():
        _require_item(actor, item)
        save_versioned(actor, item, read_version, minutes=minutes.strip(),
                       decision=decision.strip())
        if item.case_id is not None:
            _case_outcome(actor, item, meeting, on)
            _ladder_decisions(actor, item, meeting, on, moves)
            _ladder.refresh(item.case_id)
    return item


def _ladder_decisions(actor: Actor, item: m.AgendaItem, meeting: m.Meeting, on: dt.date,
                      moves: Sequence[LadderDecision]) -> None:
    from .cases import ladder_move_to

    case = _ladder.get_case(item.case_id)
    protocol = _ladder.protocol_for(case)
    for move in moves:
        stage = protocol.stage(move.target_stage)
        title = _("Decided in the {kind}: to '{stage}'").format(
            kind=meeting.kind, stage=stage.title if stage else move.target_stage)
        ladder_move_to(actor, case, move.student_id, move.target_stage, on,
                       reason=move.reason, title=title,
                       data={"meeting_id": meeting.id, "agenda_item_id": item.id})


def ladder_preview(item_id: int, student_id: int, target_stage: str,
                   actor: Actor, *, with_decision: bool = True):
    """Would the meeting's decision move this pester to ``target_stage``, and does the
    protocol want a reason for it (``cases.MovePreview``; a lower stage is a step back)?

    Saving the minutes ticks the meeting's own steps first (the discussion, and with a
    decision its recording), so the preview counts them as done, as the save will."""
    from .cases import preview_move

    item = _item(item_id)
    if item.case_id is None or (actor is not None
                                and not access.can_view_case(actor, item.case_id)):
        raise access.NotFound(_("This agenda item no longer exists."))
    stage = _ladder.protocol_for(item.case).stage_of_kind(
        taxonomy.MEETING_STAGE_KINDS.get(item.meeting.kind, ""))
    kinds = ["discuss"] + (["record_outcome"] if with_decision else [])
    first = tuple((stage.code, step.code) for kind in kinds
                  if stage is not None and (step := stage.step_of_kind(kind)) is not None)
    return preview_move(item.case_id, student_id, target_stage,
                        meeting_day(item.meeting), only_up=False, steps_first=first)


def ladder_stages(item_id: int) -> list[tuple[str, str]]:
    """(code, title) of the ladder of the item's case, in order ([] for a general item)."""
    item = _item(item_id)
    if item.case_id is None:
        return []
    return [(s.code, s.title) for s in _ladder.protocol_for(item.case).stages]


def _case_outcome(actor: Actor, item: m.AgendaItem, meeting: m.Meeting, on: dt.date) -> None:
    case = _ladder.get_case(item.case_id)
    _ladder.add_event(actor, case.id, "meeting", on,
                      title=_("Discussed in the {kind}").format(kind=meeting.kind),
                      body=(item.decision or item.minutes),
                      data={"meeting_id": meeting.id, "agenda_item_id": item.id})
    protocol = _ladder.protocol_for(case)
    stage = protocol.stage_of_kind(taxonomy.MEETING_STAGE_KINDS.get(meeting.kind, ""))
    if stage is None:
        return
    done = {e.step_code for e in m.Event.select(m.Event.step_code).where(
        (m.Event.case == case.id) & (m.Event.stage_code == stage.code))}
    kinds = ["discuss"] + (["record_outcome"] if item.decision else [])
    for kind in kinds:  # the steps a discussion and its recorded decision fulfil
        step = stage.step_of_kind(kind)
        if step is not None and step.code not in done:
            _ladder.step_done(actor, protocol, None, case.id, stage.code, kind, on)


def add_action(actor: Actor, item_id: int, *, description: str, owner_id: int,
               due_on: dt.date) -> m.Action:
    """An action decided in the meeting: on the owner's overview and in the case timeline."""
    item = _editable_item(actor, item_id)
    if not description.strip():
        raise ServiceError(_("Describe the action."))
    if m.Staff.get_or_none(m.Staff.id == owner_id) is None:
        raise ServiceError(_("Choose who will do the action."))
    meeting = item.meeting
    with write():
        _require_item(actor, item)
        action = create(actor, m.Action, case=item.case_id, agenda_item=item.id,
                        description=description.strip(), owner=owner_id, due_on=due_on)
        if item.case_id is not None:
            owner = m.Staff.get_by_id(owner_id)
            _ladder.add_event(actor, item.case_id, "action", meeting_day(meeting),
                              title=_("Action from the {kind}: {text} ({who}, by {date})").format(
                                  kind=meeting.kind, text=action.description, who=owner.code,
                                  date=format_date(due_on)),
                              data={"action_id": action.id, "meeting_id": meeting.id})
    return action


def complete_action(actor: Actor, action_id: int, read_version: int,
                    on: dt.date) -> m.Action:
    """Mark an action done: of a case, ``access.require_edit`` on it; without a case, its
    owner or a care role."""
    action = _editable_action(actor, action_id)
    with write():
        _editable_action(actor, action_id)
        save_versioned(actor, action, read_version, done_on=on)
        if action.case_id is not None:
            _ladder.add_event(actor, action.case_id, "action_done", on,
                              title=_("Action done: {text}").format(text=action.description),
                              data={"action_id": action.id})
    return action


def _editable_action(actor: Actor, action_id: int) -> m.Action:
    action = m.Action.get_or_none(m.Action.id == action_id)
    missing = access.NotFound(_("This action no longer exists."))
    if action is None:
        raise missing
    if action.case_id is not None:
        if not access.can_view_case(actor, action.case_id):
            raise missing
        access.require_edit(actor, action.case_id)
    elif not (access.has_care_role(actor)
              or (actor.staff_id is not None and action.owner_id == actor.staff_id)):
        raise missing
    return action


@dataclass(frozen=True)
class ActionLine:
    action_id: int
    case_id: int | None
    case_number: str
    description: str
    due_on: dt.date | None
    overdue: bool


@dataclass(frozen=True)
class ItemView:
    """One agenda item as the meeting screen shows it."""

    item_id: int
    version: int
    position: int
    case_id: int | None
    heading: str
    question: str
    minutes: str
    decision: str
    basis: str
    consent: tuple[StudentConsent, ...]
    actions: tuple[ActionLine, ...]
    hidden: bool = False  # a case the reader may not see: no number, names or minutes
    # names left out of the minutes shown (no consent): they are read-only here, so a save
    # cannot write the anonymised text over the real minutes
    minutes_redacted: bool = False
    pesters: tuple[ItemPester, ...] = ()  # whom a decision can move on the ladder

    @property
    def anonymised(self) -> bool:
        return self.hidden or any(not c.named for c in self.consent)


@dataclass(frozen=True)
class MeetingView:
    meeting_id: int
    version: int
    kind: str
    starts_at: dt.datetime  # UTC
    duration_minutes: int
    place: str
    chair: str
    externals: tuple[External, ...]

    @property
    def is_external(self) -> bool:
        """Someone from outside the school takes part: students are named only with consent."""
        return bool(self.externals)


def meeting_view(meeting_id: int, actor: Actor) -> MeetingView:
    """The meeting's header; ``NotFound`` for an ``actor`` meetings are hidden from. The
    outside participants' names are typed text too (a parent may take part): read as the
    place is (only planners, who see every student, edit them)."""
    meeting = _visible_meeting(actor, meeting_id)
    reader = _reader(actor)
    return MeetingView(meeting.id, meeting.version, meeting.kind, meeting.starts_at,
                       meeting.duration_minutes, _place(meeting, actor=actor),
                       _staff_name(meeting.chair),
                       tuple(External(reader(e.name), e.role) for e in externals_of(meeting)))


def _place(meeting: m.Meeting, leaves_school: bool = False, actor: Actor | None = None
           ) -> str:
    """The place as shown: typed free text, so with someone from outside the school (or in a
    file that leaves pestdesk) it names only students with consent for every item, and to an
    ``actor`` nobody they may not see (``names.for_reader``)."""
    if not meeting.place:
        return ""
    named = []
    if not leaves_school and needs_consent(meeting):
        named = [c for item in items_of(meeting.id) for c in _item_consent(item) if c.named]
    return _reader(actor)(_ItemScrub(meeting, named, leaves_school)(meeting.place))


def place_for(actor: Actor, meeting_id: int) -> str:
    """The place of one meeting as ``actor`` may read it (for lists)."""
    meeting = m.Meeting.get_or_none(m.Meeting.id == meeting_id)
    return _place(meeting, actor=actor) if meeting is not None else ""


def _reader(actor: Actor | None):
    """Free text that belongs to no case (a place, a general point) as ``actor`` may read it."""
    return names.for_reader(actor) if actor is not None else (lambda text: text or "")


def hidden_heading() -> str:
    """What an agenda item of a case the reader may not see is called."""
    return _("A case you have no access to")


def _readable_items(meeting_id: int, actor: Actor) -> tuple[list[m.AgendaItem], set[int]]:
    """The meeting's items and the case ids among them ``actor`` may see."""
    _visible_meeting(actor, meeting_id)
    items = items_of(meeting_id)
    case_ids = {i.case_id for i in items if i.case_id is not None}
    return items, _visible_cases(actor, case_ids)


def agenda(meeting_id: int, today: dt.date | None = None, *,
           actor: Actor) -> list[ItemView]:
    """The agenda with consent state and actions per item; with an ``actor``, an item whose
    case they may not see keeps its place but shows nothing of the case."""
    today = today or clock.today()
    out = []
    items, visible = _readable_items(meeting_id, actor)
    reader = _reader(actor)
    for item in items:
        if item.case_id is not None and item.case_id not in visible:
            out.append(ItemView(item.id, item.version, item.position, None, hidden_heading(),
                                "", "", "", "", (), (), hidden=True))
            continue
        consent = _item_consent(item)
        scrub = _ItemScrub(item.meeting, consent)
        if item.case_id is None:  # a general point: nobody the reader may not see
            scrub = _Both(scrub, reader)
        heading = (f"{item.case.number} · {scrub(item.case.summary)}" if item.case_id
                   else _("General"))
        actions = tuple(
            ActionLine(a.id, a.case_id, item.case.number if item.case_id else "",
                       scrub(a.description), a.due_on,
                       a.done_on is None and a.due_on is not None and a.due_on < today)
            for a in actions_of(item.id))
        minutes, decision = scrub(item.minutes), scrub(item.decision)
        shown = tuple(StudentConsent(c.student_id, scrub.name(c), c.role, c.named, c.why)
                      for c in consent)
        out.append(ItemView(item.id, item.version, item.position, item.case_id, heading,
                            scrub(item.question), minutes, decision, item.consent_basis,
                            shown, actions,
                            minutes_redacted=(minutes, decision) != (item.minutes,
                                                                     item.decision),
                            pesters=_item_pesters(item, shown)))
    return out


def _item_pesters(item: m.AgendaItem, shown: tuple[StudentConsent, ...]
                  ) -> tuple[ItemPester, ...]:
    """The pesters of the item's case with their stage (names as the screen may show them)."""
    if item.case_id is None:
        return ()
    protocol = _ladder.protocol_for(item.case)
    stages = {i.student_id: i.stage_code for i in m.Involvement.select(
        m.Involvement.student, m.Involvement.stage_code).where(
        (m.Involvement.case == item.case_id) & (m.Involvement.role == "pester"))}
    out = []
    for entry in shown:
        if entry.student_id in stages:
            stage = protocol.stage(stages[entry.student_id]) or protocol.first_stage
            out.append(ItemPester(entry.student_id, entry.name, stage.code, stage.title))
    return tuple(out)


def staff_choices() -> list[tuple[int, str]]:
    """Active staff (id, "CODE - name") for chair, attendee and owner pickers."""
    return [(s.id, f"{s.code} - {_staff_name(s)}")
            for s in m.Staff.select().where(m.Staff.active == True)  # noqa: E712
            .order_by(m.Staff.code)]


def items_of(meeting_id: int) -> list[m.AgendaItem]:
    return list(m.AgendaItem.select().where(m.AgendaItem.meeting == meeting_id)
                .order_by(m.AgendaItem.position, m.AgendaItem.id))


def actions_of(item_id: int) -> list[m.Action]:
    return list(m.Action.select().where(m.Action.agenda_item == item_id).order_by(m.Action.id))


# ---------------------------------------------------------------------------------------------
# the preparation pack


def _staff_name(staff: m.Staff | None) -> str:
    if staff is None:
        return ""
    return " ".join(p for p in (staff.first_name, staff.tussenvoegsel, staff.last_name) if p)


def _pack_item(item: m.AgendaItem, consent: list[StudentConsent], reader=None) -> PackItem:
    scrub = _ItemScrub(item.meeting, consent)
    if item.case_id is None:
        return PackItem(item.position, _("General"),
                        (reader or _reader(None))(scrub(item.question)))
    case = item.case
    invs = {i.student_id: i for i in m.Involvement.select().where(m.Involvement.case == case.id)}
    students = []
    for entry in consent:
        inv = invs[entry.student_id]
        role = _(taxonomy.CASE_ROLES.get(entry.role, entry.role))
        if entry.named:
            klass = inv.student.school_class.name if inv.student.school_class else ""
            students.append(PackStudent(entry.name, role, klass))
        else:
            students.append(PackStudent(scrub.name(entry), role, ""))
    forms = tuple(_(taxonomy.FORMS.get(f, f)) for f in case.forms.split(",") if f)
    events = (m.Event.select().where((m.Event.case == case.id) & (m.Event.confidential == False))  # noqa: E712
              .order_by(m.Event.occurred_on.desc(), m.Event.id.desc()).limit(12))
    timeline = tuple((format_date(e.occurred_on), scrub(e.title or e.kind))
                     for e in reversed(list(events)))
    steps = tuple(dict.fromkeys(
        scrub(e.title) for e in m.Event.select().where((m.Event.case == case.id)
                                                       & (m.Event.kind == _ladder.STEP_EVENT))
        .order_by(m.Event.occurred_on) if e.title))
    basis = (_("statutory task of the samenwerkingsverband")
             if item.consent_basis == BASIS_SAMENWERKINGSVERBAND else "")
    return PackItem(item.position, f"{case.number} · {scrub(case.summary)}",
                    scrub(item.question), tuple(students), forms, timeline, steps,
                    anonymised=bool(scrub.labels), basis=basis)


def pack_labels() -> PackLabels:
    """The pack's fixed texts in the user's language."""
    return PackLabels(
        place=_("Place: {place}"), chair=_("Chair: {name}"), attending=_("Attending: {names}"),
        invited=_("Invited: {names}"),
        externals=_("External participants: {names}"), agenda=_("Agenda"), case=_("Case"),
        question=_("Question"), no_items=_("No agenda items yet."),
        anonymised=_("Anonymised: there is no recorded consent to discuss these students by "
                     "name in this meeting."),
        basis=_("Shared without consent on this basis: {basis}"),
        question_heading=_("Question for the meeting"), students=_("Students involved"),
        student=_("Student"), role=_("Role"), klass=_("Class"), forms=_("Forms of bullying"),
        steps=_("Steps taken"), timeline=_("Timeline"), date=_("Date"),
        what=_("What happened"), footer=_("Confidential - care team"),
        page=_("page {page} of {pages}"))


def pack_data(meeting_id: int, actor: Actor) -> MeetingPack:
    """The pack's content, anonymised per student where consent is missing; with an
    ``actor``, an item whose case they may not see shows nothing of the case."""
    meeting = _meeting(meeting_id)
    items_read, visible = _readable_items(meeting_id, actor)
    reader = _reader(actor)
    staff = {s.id: _staff_name(s) for s in
             m.Staff.select().where(m.Staff.id.in_(attendees_of(meeting)))}
    items = tuple(
        PackItem(item.position, hidden_heading(), "", anonymised=True)
        if item.case_id is not None and item.case_id not in visible
        else _pack_item(item, _item_consent(item), reader)
        for item in items_read)
    externals = tuple(f"{reader(e.name)} ({_(EXTERNAL_ROLES.get(e.role, e.role))})"
                      for e in externals_of(meeting))
    return MeetingPack(
        title=_("Preparation {kind}").format(kind=meeting.kind),
        when=format_datetime(meeting.starts_at, "EEEE d MMMM y, HH:mm"),
        place=_place(meeting, actor=actor),
        chair=_staff_name(meeting.chair), attendees=tuple(staff.values()),
        externals=externals, items=items, labels=pack_labels(),
        held=meeting.starts_at <= clock.utcnow())


def build_pack(meeting_id: int, progress: Callable[[int, int], None] | None = None, *,
               actor: Actor) -> bytes:
    """The preparation pack PDF (run off the GUI thread; ``progress(done, total)``); with an
    ``actor``, as ``pack_data`` builds it for them."""
    return render_pack(pack_data(meeting_id, actor), progress)


def log_pack_printed(actor: Actor, meeting_id: int) -> None:
    with write():
        audit(actor, "print", "meeting", meeting_id, "pack")


# ---------------------------------------------------------------------------------------------
# iCalendar


SCHOOL_TIME_ZONE = "Europe/Amsterdam"  # meetings are planned in the school's local time


def export_ics(meeting_id: int, now: dt.datetime | None = None,
               *, actor: Actor) -> str:
    """The meeting as an iCalendar invitation (RFC 5545, written by ``icalendar``).

    The start (stored in UTC) is written in the school's time with ``TZID=Europe/Amsterdam``
    and that zone's VTIMEZONE (its summer and winter time around the meeting), so Outlook
    and Google show 13:30 for a meeting planned at 13:30, in winter and in summer. It
    leaves pestdesk (mail, phone calendars), so it carries no student names: only the kind,
    place, chair and the numbers of the cases on the agenda that ``actor`` may see."""
    from zoneinfo import ZoneInfo

    import icalendar

    meeting = _meeting(meeting_id)
    stamp = now or clock.utcnow()
    zone = ZoneInfo(SCHOOL_TIME_ZONE)
    start = meeting.starts_at.replace(tzinfo=dt.UTC).astimezone(zone)  # stored in UTC
    end = start + dt.timedelta(minutes=meeting.duration_minutes)
    items, visible = _readable_items(meeting_id, actor)
    numbers = [item.case.number for item in items if item.case_id in visible]
    description = ngettext("Agenda: {n} item", "Agenda: {n} items", len(items)).format(
        n=len(items))
    if numbers:
        description += "\n" + _("Cases: {numbers}").format(numbers=", ".join(numbers))
    created = meeting.created_at.strftime("%Y%m%d%H%M%S") if meeting.created_at else "0"
    calendar = icalendar.Calendar()
    calendar.add("prodid", "-//pestdesk//pestdesk//NL")
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    event = icalendar.Event()
    event.add("uid", f"pestdesk-meeting-{meeting.id}-{created}@pestdesk")
    event.add("dtstamp", stamp.replace(tzinfo=dt.UTC))
    event.add("dtstart", start)
    event.add("dtend", end)
    event.add("summary", _("{kind} meeting").format(kind=meeting.kind))
    if meeting.place:
        event.add("location", _place(meeting, leaves_school=True))
    if meeting.chair:
        organizer = icalendar.vCalAddress(
            f"mailto:{meeting.chair.email or 'noreply@invalid'}")
        organizer.params["cn"] = _staff_name(meeting.chair)
        event.add("organizer", organizer)
    event.add("description", description)
    event.add("sequence", meeting.version - 1)
    calendar.add_component(event)
    year = dt.date(start.year, 1, 1)
    calendar.add_component(icalendar.Timezone.from_tzid(
        SCHOOL_TIME_ZONE, first_date=year.replace(year=year.year - 1),
        last_date=year.replace(year=year.year + 2)))
    return calendar.to_ical().decode("utf-8")
