"""Who may do what in the casework services (sanctions, contracts, meetings, school calendar).

Real temp database; the actors are real users: the care coordinator of the set-up, a mentor of
the case's class, a mentor of another class (the outsider), a zorgteam member (read-only) and
the directie. Every refused change must leave the audit trail (and so the dossier) untouched.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from pypdf import PdfReader

from pestdesk.domain import sanctions as rules_mod
from pestdesk.domain.sanctions import Hearing
from pestdesk.domain.schooldays import FreePeriod
from pestdesk.i18n import _, format_date
from pestdesk.services import access, calendar, contracts, meetings, sanctions
from pestdesk.services.base import SYSTEM, Actor, Conflict, ServiceError, write
from pestdesk.services.sanctions import Consultation
from pestdesk.store import models as m
from tests.helpers.casework import CaseSetup, make_case, put_on_stage

D = dt.date
HEARD = Hearing(D(2026, 10, 12), ("leerling", "ouders"), "Beide kanten gehoord.")
CONSULT = Consultation(D(2026, 10, 12), "adjunct-directeur")
COORDINATOR = frozenset({"ondersteuningscoordinator"})
START = dt.datetime(2026, 11, 18, 14, 0)


def make_actor(code: str, roles: str, mentor_of: str | None = None) -> Actor:
    """A staff member with a user account (and the classes they mentor)."""
    with write():
        staff = m.Staff.create(code=code, first_name="Test", last_name=code, roles=roles)
        user = m.User.create(username=code.lower(), staff=staff)
        if mentor_of:
            klass, _created = m.SchoolClass.get_or_create(name=mentor_of,
                                                          defaults={"leerjaar": 3})
            m.ClassMentor.create(school_class=klass, staff=staff)
    return Actor(user_id=user.id, username=user.username, staff_id=staff.id,
                 roles=frozenset(roles.split(",")))


def audit_lines() -> int:
    return m.AuditLog.select().count()


def suspend(setup: CaseSetup, actor: Actor, days: int, **kw) -> m.Sanction:
    values = dict(first_day=D(2026, 10, 13), decided_on=D(2026, 10, 12), reason="Bedreiging",
                  hearing=HEARD, consultation=CONSULT, decided_by=setup.staff_id,
                  school_days=days, move_reason="Ernstige bedreiging: meteen schorsen.")
    values.update(kw)
    return sanctions.decide_suspension(actor, setup.case_id, setup.pester_id, **values)


@dataclass
class World:
    """One case with a record of every kind a change can touch."""

    setup: CaseSetup
    directie: Actor
    suspension: m.Sanction
    intention: m.Sanction
    contract: m.Contract
    meeting: m.Meeting
    other_meeting: m.Meeting
    item: m.AgendaItem
    action: m.Action
    consent: m.Consent


@pytest.fixture
def world(db) -> World:
    setup = make_case(roles=COORDINATOR)
    directie = make_actor("DIR", "directie")
    suspension = suspend(setup, directie, 3)
    put_on_stage(setup, "act_opdc")
    intention = sanctions.start_expulsion(directie, setup.case_id, setup.pester_id,
                                          intention_on=D(2026, 11, 2), reason="Blijft pesten",
                                          move_reason="ACT-advies: verwijderen")
    contract = contracts.make_contract(setup.actor, setup.case_id, setup.pester_id,
                                       made_on=D(2026, 10, 1))
    meeting = meetings.plan_meeting(setup.actor, kind="OT", starts_at=START)
    item = meetings.add_item(setup.actor, meeting.id, setup.case_id, "Hoe verder met Bram?")
    action = meetings.add_action(setup.actor, item.id, description="Ouders bellen",
                                 owner_id=setup.staff_id, due_on=D(2026, 11, 25))
    consent = meetings.record_consent(setup.actor, setup.pester_id, given_on=D(2026, 11, 1),
                                      scope=["OT"], guardian_id=_guardian(setup))
    other_meeting = meetings.plan_meeting(directie, kind="IZO", starts_at=START)
    return World(setup, directie, suspension, intention, contract, meeting, other_meeting,
                 item, action, consent)


def _guardian(setup: CaseSetup) -> int:
    with write():
        guardian = m.Guardian.create(first_name="Petra", last_name="Bakker")
        m.StudentGuardian.create(student=setup.pester_id, guardian=guardian,
                                 relation="moeder", has_authority=True)
    return guardian.id


# every function that changes a dossier, as (name, call(actor, world))
CHANGES: list[tuple[str, Callable[[Actor, World], object]]] = [
    ("decide_suspension", lambda a, w: suspend(w.setup, a, 1)),
    ("record_inspectie_report", lambda a, w: sanctions.record_inspectie_report(
        a, w.suspension.id, w.suspension.version, reported_on=D(2026, 10, 13),
        reported_by="directie", reference="ISD-9")),
    ("start_expulsion", lambda a, w: sanctions.start_expulsion(
        a, w.setup.case_id, w.setup.pester_id, intention_on=D(2026, 11, 3), reason="Opnieuw",
        move_reason="ACT-advies")),
    ("record_expulsion_hearing", lambda a, w: sanctions.record_expulsion_hearing(
        a, w.intention.id, w.intention.version,
        Hearing(D(2026, 11, 4), ("leerling", "ouders", "leraren"), "Gehoord."))),
    ("record_expulsion_step", lambda a, w: sanctions.record_expulsion_step(
        a, w.intention.id, "leerplicht", D(2026, 11, 3))),
    ("decide_expulsion", lambda a, w: sanctions.decide_expulsion(
        a, w.intention.id, w.intention.version, decided_on=D(2026, 11, 10))),
    ("make_contract", lambda a, w: contracts.make_contract(
        a, w.setup.case_id, w.setup.pester_id, made_on=D(2026, 10, 2))),
    ("record_signatures", lambda a, w: contracts.record_signatures(
        a, w.contract.id, w.contract.version, student_on=D(2026, 10, 2))),
    ("record_outcome", lambda a, w: contracts.record_outcome(
        a, w.contract.id, w.contract.version, outcome="kept", on=D(2026, 11, 12))),
    ("add_item", lambda a, w: meetings.add_item(
        a, w.other_meeting.id, w.setup.case_id, "Nog een vraag")),
    ("remove_item", lambda a, w: meetings.remove_item(a, w.item.id)),
    ("record_minutes", lambda a, w: meetings.record_minutes(
        a, w.item.id, w.item.version, minutes="Besproken.", decision="")),
    ("set_consent_basis", lambda a, w: meetings.set_consent_basis(
        a, w.item.id, w.item.version, meetings.BASIS_SAMENWERKINGSVERBAND)),
    ("add_action", lambda a, w: meetings.add_action(
        a, w.item.id, description="Nog iets", owner_id=w.setup.staff_id,
        due_on=D(2026, 11, 30))),
    ("complete_action", lambda a, w: meetings.complete_action(
        a, w.action.id, w.action.version, D(2026, 11, 20))),
    ("record_consent", lambda a, w: meetings.record_consent(
        a, w.setup.pester_id, given_on=D(2026, 11, 2), scope=["ACT"],
        guardian_id=m.StudentGuardian.get(m.StudentGuardian.student == w.setup.pester_id)
        .guardian_id)),
    ("withdraw_consent", lambda a, w: meetings.withdraw_consent(
        a, w.consent.id, w.consent.version, D(2026, 11, 5))),
]
NAMES = [name for name, _call in CHANGES]


@pytest.mark.parametrize("name", NAMES)
def test_outsider_gets_not_found_and_nothing_changes(world, name):
    outsider = make_actor("BUI", "mentor", mentor_of="3C")  # mentor of another class
    call = dict(CHANGES)[name]
    before = audit_lines()
    with pytest.raises(access.NotFound):
        call(outsider, world)
    assert audit_lines() == before


@pytest.mark.parametrize("name", NAMES)
def test_zorgteam_reads_but_is_refused(world, name):
    zorgteam = make_actor("ZT", "zorgteam")
    assert access.can_view_case(zorgteam, world.setup.case_id)
    call = dict(CHANGES)[name]
    before = audit_lines()
    with pytest.raises(ServiceError) as exc:
        call(zorgteam, world)
    assert not isinstance(exc.value, access.NotFound)
    assert str(exc.value) == _("You do not have the rights to do this.")
    assert audit_lines() == before


def test_hidden_record_answers_exactly_as_a_missing_one(world):
    outsider = make_actor("BUI", "mentor", mentor_of="3C")
    pairs = [
        (lambda i: sanctions.record_expulsion_step(outsider, i, "leerplicht", D(2026, 11, 3)),
         world.intention.id),
        (lambda i: contracts.record_signatures(outsider, i, 1, student_on=D(2026, 10, 2)),
         world.contract.id),
        (lambda i: meetings.record_minutes(outsider, i, 1, minutes="x", decision=""),
         world.item.id),
        (lambda i: meetings.complete_action(outsider, i, 1, D(2026, 11, 20)), world.action.id),
        (lambda i: meetings.withdraw_consent(outsider, i, 1, D(2026, 11, 5)), world.consent.id),
        (lambda i: sanctions.decide_suspension(
            outsider, i, world.setup.pester_id, first_day=D(2026, 10, 13),
            decided_on=D(2026, 10, 12), reason="x", hearing=HEARD, school_days=1),
         world.setup.case_id),
        (lambda i: contracts.make_contract(outsider, i, world.setup.pester_id,
                                           made_on=D(2026, 10, 2)), world.setup.case_id),
    ]
    for call, real_id in pairs:
        with pytest.raises(access.NotFound) as hidden:
            call(real_id)
        with pytest.raises(access.NotFound) as missing:
            call(987654)
        assert str(hidden.value) == str(missing.value)


def test_mentor_of_the_class_may_work_on_the_case(world):
    mentor = make_actor("MEN", "mentor", mentor_of="2B")
    item = meetings.record_minutes(mentor, world.item.id, world.item.version,
                                   minutes="Besproken met de mentor.", decision="")
    assert item.minutes == "Besproken met de mentor."
    signed = contracts.record_signatures(mentor, world.contract.id, world.contract.version,
                                         student_on=D(2026, 10, 2))
    assert signed.signed_student_on == D(2026, 10, 2)


def test_coordinator_suspends_one_day_but_three_days_need_directie(db):
    setup = make_case(roles=COORDINATOR)
    directie = make_actor("DIR", "directie")
    one = suspend(setup, setup.actor, 1, consultation=None)
    assert one.school_days == 1
    before = (audit_lines(), m.Sanction.select().count())
    with pytest.raises(ServiceError) as exc:
        suspend(setup, setup.actor, 3, first_day=D(2026, 10, 14), decided_on=D(2026, 10, 13))
    assert getattr(exc.value, "code", "") == "needs_directie"
    assert (audit_lines(), m.Sanction.select().count()) == before
    three = suspend(setup, directie, 3, first_day=D(2026, 10, 14), decided_on=D(2026, 10, 13))
    assert three.school_days == 3 and three.inspectie_due_on is not None


def test_internal_suspension_of_two_days_needs_directie_too(db):
    setup = make_case(roles=COORDINATOR)
    with pytest.raises(ServiceError) as exc:
        suspend(setup, setup.actor, 2, kind=rules_mod.INTERNE_SCHORSING)
    assert getattr(exc.value, "code", "") == "needs_directie"


def test_decide_expulsion_only_by_directie(db):
    setup = make_case(roles=COORDINATOR)
    directie = make_actor("DIR", "directie")
    put_on_stage(setup, "act_opdc")
    with pytest.raises(ServiceError) as refused:  # the intention is the directie's too
        sanctions.start_expulsion(setup.actor, setup.case_id, setup.pester_id,
                                  intention_on=D(2026, 11, 2), reason="Blijft pesten",
                                          move_reason="ACT-advies: verwijderen")
    assert getattr(refused.value, "code", "") == "needs_directie"
    s = sanctions.start_expulsion(directie, setup.case_id, setup.pester_id,
                                  intention_on=D(2026, 11, 2), reason="Blijft pesten",
                                          move_reason="ACT-advies: verwijderen")
    s = sanctions.record_expulsion_hearing(
        setup.actor, s.id, s.version,
        Hearing(D(2026, 11, 4), ("leerling", "ouders", "leraren"), "Gehoord."))
    s = sanctions.record_inspectie_report(setup.actor, s.id, s.version,
                                          reported_on=D(2026, 11, 3), reported_by="directie",
                                          reference="ISD-1")
    sanctions.record_expulsion_step(setup.actor, s.id, "leerplicht", D(2026, 11, 3))
    before = audit_lines()
    with pytest.raises(ServiceError) as exc:  # the law allows it now; the role does not
        sanctions.decide_expulsion(setup.actor, s.id, s.version, decided_on=D(2026, 11, 10))
    assert getattr(exc.value, "code", "") == "needs_directie"
    assert audit_lines() == before
    assert m.Sanction.get_by_id(s.id).kind == rules_mod.VOORNEMEN
    decided = sanctions.decide_expulsion(directie, s.id, s.version, decided_on=D(2026, 11, 10))
    assert decided.kind == rules_mod.VERWIJDERING


def test_planning_meetings_needs_a_planner_role(db):
    setup = make_case(roles=COORDINATOR)
    mentor = make_actor("MEN", "mentor", mentor_of="2B")
    teacher = make_actor("VAK", "vakdocent")
    zorgteam = make_actor("ZT", "zorgteam")
    for actor in (mentor, teacher):
        with pytest.raises(ServiceError):
            meetings.plan_meeting(actor, kind="IZO", starts_at=START)
    meeting = meetings.plan_meeting(zorgteam, kind="IZO", starts_at=START)
    meeting = meetings.update_meeting(setup.actor, meeting.id, meeting.version, place="B1.04")
    assert meeting.place == "B1.04"
    with pytest.raises(ServiceError) as exc:
        meetings.update_meeting(mentor, meeting.id, meeting.version, place="A0.01")
    assert not isinstance(exc.value, access.NotFound)
    with pytest.raises(access.NotFound):  # meetings are hidden from a vakdocent altogether
        meetings.update_meeting(teacher, meeting.id, meeting.version, place="A0.01")
    assert m.Meeting.get_by_id(meeting.id).place == "B1.04"


# -- reading a meeting ------------------------------------------------------------------------


@pytest.fixture
def two_cases(db):
    """An IZO with a case of class 2B (visible to its mentor) and one of class 3C (not)."""
    seen = make_case("2026-0001", roles=COORDINATOR)
    hidden = make_case("2026-0002", victim_name=("Fleur", "Verstegen"),
                       pester_name=("Kees", "Ouwehand"), staff=m.Staff.get_by_id(seen.staff_id),
                       roles=COORDINATOR)
    with write():
        other, _created = m.SchoolClass.get_or_create(name="3C", defaults={"leerjaar": 3})
        m.Student.update(school_class=other).where(
            m.Student.id.in_([hidden.victim_id, hidden.pester_id])).execute()
    meeting = meetings.plan_meeting(seen.actor, kind="IZO", starts_at=START)
    meetings.add_item(seen.actor, meeting.id, seen.case_id, "Hoe gaat het met Sanne?")
    meetings.add_item(seen.actor, meeting.id, hidden.case_id, "Kees blijft Fleur pesten")
    mentor = make_actor("MEN", "mentor", mentor_of="2B")
    return meeting, mentor


SECRETS = ("2026-0002", "Fleur", "Verstegen", "Kees", "Ouwehand")


def test_pack_for_an_actor_leaves_out_the_case_they_may_not_see(two_cases):
    meeting, mentor = two_cases
    full = repr(meetings.pack_data(meeting.id, actor=SYSTEM))
    assert all(secret in full for secret in SECRETS)  # the default reads everything
    pack = meetings.pack_data(meeting.id, mentor)
    text = repr(pack)
    assert "2026-0001" in text and "Sanne" in text
    assert not [s for s in SECRETS if s in text]
    assert [i.position for i in pack.items] == [1, 2] and pack.items[1].anonymised
    pdf = meetings.build_pack(meeting.id, actor=mentor)
    printed = "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
    assert "2026-0001" in printed and "Sanne" in printed
    assert not [s for s in SECRETS if s in printed]


def test_agenda_and_ics_for_an_actor_hide_the_case_they_may_not_see(two_cases):
    meeting, mentor = two_cases
    items = meetings.agenda(meeting.id, D(2026, 11, 18), actor=mentor)
    assert [i.hidden for i in items] == [False, True]
    hidden = items[1]
    assert hidden.case_id is None and hidden.anonymised
    assert not [s for s in SECRETS if s in repr(hidden)]
    assert "2026-0001" in items[0].heading
    ics = meetings.export_ics(meeting.id, actor=mentor)
    assert "2026-0001" in ics and "2026-0002" not in ics
    assert "2026-0002" in meetings.export_ics(meeting.id, actor=SYSTEM)
    assert meetings.meeting_view(meeting.id, mentor).kind == "IZO"
    suggested = {s.number for s in meetings.suggest_cases("IZO", D(2026, 12, 31),
                                                          actor=mentor)}
    assert "2026-0002" not in suggested
    with pytest.raises(access.NotFound):
        meetings.item_consent(meetings.items_of(meeting.id)[1].id, mentor)


def test_meeting_reading_refused_to_who_may_not_see_meetings(two_cases):
    meeting, _mentor = two_cases
    teacher = make_actor("VAK", "vakdocent")
    for call in (meetings.meeting_view, meetings.agenda, meetings.pack_data):
        with pytest.raises(access.NotFound):
            call(meeting.id, actor=teacher)


# -- the school calendar ----------------------------------------------------------------------


AUTUMN = FreePeriod(D(2026, 10, 17), D(2026, 10, 25), "Herfstvakantie")
CHRISTMAS = FreePeriod(D(2026, 12, 19), D(2027, 1, 3), "Kerstvakantie")


def test_calendar_only_for_coordinators_directie_and_beheerder(db):
    allowed = [("ZC", "ondersteuningscoordinator"), ("DIR", "directie"), ("BH", "beheerder")]
    for day, (code, roles) in enumerate(allowed, start=1):
        calendar.add_period(make_actor(code, roles), D(2027, 3, day), D(2027, 3, day), roles)
    for code, roles in (("ZT", "zorgteam"), ("MEN", "mentor"), ("VAK", "vakdocent")):
        actor = make_actor(code, roles)
        before = audit_lines()
        with pytest.raises(ServiceError):
            calendar.add_period(actor, D(2027, 3, 1), D(2027, 3, 1), "Studiedag")
        with pytest.raises(ServiceError):
            calendar.save_calendar(actor, [])
        assert audit_lines() == before
    assert len(calendar.school_calendar().periods) == 3


def test_calendar_stale_version_refused(db):
    first = make_actor("ZC1", "ondersteuningscoordinator")
    second = make_actor("DIR", "directie")
    assert calendar.calendar_version() == 0
    calendar.save_calendar(first, [AUTUMN], "midden")
    read = calendar.calendar_version()
    # both open the calendar, the first saves, the second's save is refused
    calendar.save_calendar(first, [AUTUMN, CHRISTMAS], "midden", read_version=read)
    before = audit_lines()
    with pytest.raises(Conflict):
        calendar.save_calendar(second, [], "midden", read_version=read)
    with pytest.raises(Conflict):
        calendar.add_period(second, D(2027, 2, 22), D(2027, 2, 26), "Voorjaarsvakantie",
                            read_version=read)
    assert audit_lines() == before
    assert [p.label for p in calendar.school_calendar().periods] == ["Herfstvakantie",
                                                                     "Kerstvakantie"]
    # after reloading, the second's change goes through
    fresh = calendar.calendar_version()
    assert fresh == read + 1
    calendar.add_period(second, D(2027, 2, 22), D(2027, 2, 26), "Voorjaarsvakantie",
                        read_version=fresh)
    assert len(calendar.school_calendar().periods) == 3
    # without a version the last save wins, as the existing dialog expects
    calendar.save_calendar(first, [AUTUMN], "midden")
    assert len(calendar.school_calendar().periods) == 1


# -- the expulsion's search term in the user's words ------------------------------------------


def test_search_term_date_in_dutch_not_iso():
    rules = rules_mod.load_legal_rules()
    state = rules_mod.ExpulsionState(intention_on=D(2026, 11, 2), decided_on=D(2026, 11, 10))
    ok, why = rules_mod.expulsion_may_take_effect(rules, state, D(2026, 11, 20))
    end = D(2026, 11, 10) + dt.timedelta(weeks=rules.search_weeks)
    assert not ok
    assert format_date(end) in why and end.isoformat() not in why
    assert "jan" in why  # a Dutch month name, not a number
