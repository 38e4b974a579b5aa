"""Care-team meetings: agenda from the cases, consent, anonymised pack, minutes, actions, .ics."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from pypdf import PdfReader

from pestdesk.i18n import _
from pestdesk.services import meetings, overview
from pestdesk.services.base import SYSTEM, ServiceError, write
from pestdesk.services.meetings import External
from pestdesk.store import models as m
from tests.helpers.casework import make_case, make_staff, pester_stage, put_on_stage
from tests.helpers.renamed import S, T

D = dt.date
START = dt.datetime(2026, 11, 18, 14, 30, tzinfo=dt.UTC)


def _pdf_text(pdf: bytes) -> str:
    return "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages)


def _ot(setup, **kw):
    return meetings.plan_meeting(
        setup.actor, kind=kw.get("kind", "OT"), starts_at=START, place="Kamer 1.14",
        chair_id=setup.staff_id, attendee_ids=[setup.staff_id],
        externals=[External("J. de Leeuw", "leerplichtambtenaar"),
                   External("Dr. Ank Smit", "jeugdarts")])


def test_suggestions_by_stage_and_overdue(db):
    on_stage = make_case("2026-0001")
    put_on_stage(on_stage, "ot")
    make_case("2026-0002")  # mentor stage; its steps are due in September
    quiet = make_case("2026-0003", reported_on=D(2026, 11, 16))
    found = meetings.suggest_cases("OT", today=D(2026, 11, 18), actor=SYSTEM)
    reasons = {s.case_id: s.reason for s in found}
    assert reasons[on_stage.case_id] == "stage"
    assert quiet.case_id not in reasons
    assert "overdue" in reasons.values()


def test_ot_item_without_consent_gives_an_anonymised_pack(db):
    setup = make_case(victim_name=("Sanne", "Visser"), pester_name=("Bram", "Bakker"))
    with write():
        m.Case.update(summary="Bram Bakker scheldt Sanne uit").where(
            m.Case.id == setup.case_id).execute()
    meeting = _ot(setup)
    item = meetings.add_item(setup.actor, meeting.id, setup.case_id,
                             "Hoe helpen we Sanne en Bram Bakker verder?")
    assert meetings.item_is_anonymised(item.id, actor=SYSTEM)
    pdf = meetings.build_pack(meeting.id, actor=SYSTEM)
    text = _pdf_text(pdf)
    for name in ("Sanne", "Visser", "Bram", "Bakker"):
        assert name not in text
    assert _("Student {letter}").format(letter="A") in text
    assert "2026-0001" in text


def test_consent_under_16_from_parent_names_the_student(db):
    setup = make_case(pester_birth=D(2012, 5, 1))
    with write():
        guardian = m.Guardian.create(first_name="Anna", last_name="Bakker")
        m.StudentGuardian.create(student=setup.pester_id, guardian=guardian, has_authority=True)
        other = m.Guardian.create(first_name="Piet", last_name="Bakker")
        m.StudentGuardian.create(student=setup.pester_id, guardian=other, has_authority=False)
    with pytest.raises(ServiceError):
        meetings.record_consent(setup.actor, setup.pester_id, given_on=D(2026, 11, 1),
                                scope=["OT"])  # the student is 14: a parent must consent
    with pytest.raises(ServiceError):
        meetings.record_consent(setup.actor, setup.pester_id, given_on=D(2026, 11, 1),
                                scope=["OT"], guardian_id=other.id)  # no authority
    consent = meetings.record_consent(setup.actor, setup.pester_id, given_on=D(2026, 11, 1),
                                      scope=["OT"], guardian_id=guardian.id)
    meeting = _ot(setup)
    item = meetings.add_item(setup.actor, meeting.id, setup.case_id, "Vervolg?")
    state = {c.student_id: c.named for c in meetings.item_consent(item.id, actor=SYSTEM)}
    assert state == {setup.victim_id: False, setup.pester_id: True}
    text = _pdf_text(meetings.build_pack(meeting.id, actor=SYSTEM))
    assert "Bram Bakker" in text and "Sanne" not in text
    meetings.withdraw_consent(setup.actor, consent.id, consent.version, D(2026, 11, 10))
    assert meetings.item_is_anonymised(item.id, actor=SYSTEM)
    assert not meetings.has_consent(setup.pester_id, "OT", D(2026, 11, 18))


def test_samenwerkingsverband_basis_is_recorded_exception(db):
    setup = make_case()
    meeting = _ot(setup, kind="ACT")
    item = meetings.add_item(setup.actor, meeting.id, setup.case_id, "Aanvraag OPDC",
                             consent_basis="samenwerkingsverband")
    assert not meetings.item_is_anonymised(item.id, actor=SYSTEM)
    text = _pdf_text(meetings.build_pack(meeting.id, actor=SYSTEM))
    assert "Bram Bakker" in text and "samenwerkingsverband" in text


def test_decision_creates_an_action_on_the_owners_overview(db):
    setup = make_case()
    put_on_stage(setup, "izo")
    owner = make_staff("MEN", "Mentorsma", "mentor")
    with write():  # the mentor of the class: need-to-know lets them see the case
        m.ClassMentor.create(school_class=m.SchoolClass.get(name="2B"), staff=owner)
    meeting = meetings.plan_meeting(setup.actor, kind="IZO", starts_at=START,
                                    chair_id=setup.staff_id)
    item = meetings.add_item(setup.actor, meeting.id, setup.case_id, "Welke hulp?")
    item = meetings.record_minutes(setup.actor, item.id, item.version,
                                   minutes="Besproken.", decision="Aanmelden bij SMW")
    action = meetings.add_action(setup.actor, item.id, description="Aanmelden bij SMW",
                                 owner_id=owner.id, due_on=D(2026, 11, 25))
    from pestdesk.services.base import Actor

    owner_actor = Actor(user_id=None, username="men", staff_id=owner.id,
                        roles=frozenset({"mentor"}))
    count, lines = overview.my_actions(owner_actor, D(2026, 11, 26))
    assert count == 1 and lines[0].when == D(2026, 11, 25)
    assert lines[0].kind == "case" and lines[0].record_id == setup.case_id
    assert "Aanmelden bij SMW" in lines[0].text
    count, lines = overview.overdue_cases(owner_actor, D(2026, 11, 26))
    assert any("Aanmelden bij SMW" in line.text for line in lines)
    assert overview.my_actions(setup.actor, D(2026, 11, 26))[0] == 0
    kinds = [e.kind for e in m.Event.select().where(m.Event.case == setup.case_id)]
    assert "meeting" in kinds and "action" in kinds
    done = {e.step_code for e in m.Event.select().where(
        (m.Event.kind == "step") & (m.Event.stage_code == S("izo")))}
    assert done == {T("bespreken"), T("afspraken_vastleggen")}
    assert pester_stage(setup) == "izo"
    meetings.complete_action(owner_actor, action.id, action.version, D(2026, 11, 24))
    assert overview.my_actions(owner_actor, D(2026, 11, 26))[0] == 0


def test_item_needs_a_question_and_no_duplicates(db):
    setup = make_case()
    meeting = _ot(setup)
    with pytest.raises(ServiceError):
        meetings.add_item(setup.actor, meeting.id, setup.case_id, "  ")
    meetings.add_item(setup.actor, meeting.id, setup.case_id, "Vraag")
    with pytest.raises(ServiceError):
        meetings.add_item(setup.actor, meeting.id, setup.case_id, "Nog eens")
    assert m.AgendaItem.select().count() == 1


def _parsed_event(text: str):
    import icalendar

    calendar = icalendar.Calendar.from_ical(text)
    event, = calendar.walk("VEVENT")
    return calendar, event


@pytest.mark.parametrize("starts_at, utc_hour", [
    (dt.datetime(2026, 11, 18, 13, 30), 12),  # winter time: UTC+1
    (dt.datetime(2027, 6, 9, 13, 30), 11),  # summer time: UTC+2
])
def test_ics_is_at_the_schools_local_time_in_any_season(db, starts_at, utc_hour):
    from zoneinfo import ZoneInfo

    amsterdam = ZoneInfo("Europe/Amsterdam")
    setup = make_case()  # planned at 13:30 on a school PC (whatever this machine's zone is)
    meeting = meetings.plan_meeting(setup.actor, kind="OT",
                                    starts_at=starts_at.replace(tzinfo=amsterdam),
                                    place="Kamer 1.14, gebouw Noord; " + "é" * 60,
                                    chair_id=setup.staff_id, duration_minutes=90)
    meetings.add_item(setup.actor, meeting.id, setup.case_id, "Vraag")
    text = meetings.export_ics(meeting.id, now=dt.datetime(2026, 11, 1, 8, 0), actor=SYSTEM)
    assert text.endswith("\r\n")
    assert all(len(line.encode("utf-8")) <= 75 for line in text.split("\r\n"))
    calendar, event = _parsed_event(text)
    start = event.decoded("dtstart")
    assert event["dtstart"].params["TZID"] == "Europe/Amsterdam"
    assert start == starts_at.replace(tzinfo=amsterdam)  # 13:30 in the school's calendar
    assert start.astimezone(dt.UTC).hour == utc_hour and start.minute == 30
    assert event.decoded("dtend") - start == dt.timedelta(minutes=90)
    assert event.decoded("dtstamp") == dt.datetime(2026, 11, 1, 8, 0, tzinfo=dt.UTC)
    zones = calendar.walk("VTIMEZONE")
    assert [str(z["tzid"]) for z in zones] == ["Europe/Amsterdam"]
    assert zones[0].to_tz().utcoffset(starts_at) == start.utcoffset()
    assert str(event["uid"]).startswith(f"pestdesk-meeting-{meeting.id}-")
    assert str(event["location"]) == "Kamer 1.14, gebouw Noord; " + "é" * 60
    assert "2026-0001" in str(event["description"]) and "Bram" not in text


def test_pack_of_ten_cases_reports_progress(db):
    """Its speed is measured in bench/bench_casework.py, not here."""
    staff = make_staff()
    setups = [make_case(f"2026-{n:04d}", staff=staff, pester_name=("Bram", f"B{n}"))
              for n in range(1, 11)]
    meeting = _ot(setups[0])
    for s in setups:
        meetings.add_item(s.actor, meeting.id, s.case_id, "Hoe verder?")
    progress = []
    pdf = meetings.build_pack(meeting.id, lambda done, total: progress.append((done, total)),
                              actor=SYSTEM)
    assert progress[-1] == (11, 11)
    assert len(PdfReader(io.BytesIO(pdf)).pages) >= 11


# ---------------------------------------------------------------------------------------------
# a meeting's decision moves a pester through the one ladder path


def _izo_item(setup):
    meeting = meetings.plan_meeting(setup.actor, kind="IZO", starts_at=START,
                                    chair_id=setup.staff_id)
    return meeting, meetings.add_item(setup.actor, meeting.id, setup.case_id, "Verder?")


def _moves(case_id: int, kind: str = "escalate") -> list[m.Event]:
    return list(m.Event.select().where((m.Event.case == case_id) & (m.Event.kind == kind)
                                       & (m.Event.body != "test set-up")).order_by(m.Event.id))


def test_izo_decides_the_ot_through_the_ladder_with_the_users_reason(db):
    from pestdesk import clock
    from pestdesk.services.cases import TransitionError

    clock.set_today(D(2026, 11, 20))
    setup = make_case()
    put_on_stage(setup, "izo")
    meeting, item = _izo_item(setup)
    preview = meetings.ladder_preview(item.id, setup.pester_id, S("ot"), setup.actor)
    assert preview.moves and preview.needs_reason  # 'aanmelden' is still open
    before = (m.Event.select().count(), m.AuditLog.select().count())
    with pytest.raises(TransitionError) as refused:
        meetings.record_minutes(setup.actor, item.id, item.version, minutes="Besproken.",
                                decision="Aanmelden bij het OT",
                                moves=[meetings.LadderDecision(setup.pester_id, S("ot"))])
    assert "Leerling aanmelden voor het IZO" in refused.value.message
    # nothing half-done: no minutes, no steps, no move
    assert (m.Event.select().count(), m.AuditLog.select().count()) == before
    assert m.AgendaItem.get_by_id(item.id).minutes == ""
    assert pester_stage(setup) == "izo"
    meetings.record_minutes(
        setup.actor, item.id, item.version, minutes="Besproken.",
        decision="Aanmelden bij het OT",
        moves=[meetings.LadderDecision(setup.pester_id, S("ot"),
                                       "Aangemeld via de mail, niet in pestdesk.")])
    assert pester_stage(setup) == "ot"
    (move,) = _moves(setup.case_id)
    assert move.occurred_on == START.date()
    assert move.body == "Aangemeld via de mail, niet in pestdesk."  # the user's own
    assert move.stage_code == S("ot") and "IZO" in move.title
    assert m.AuditLog.select().where((m.AuditLog.action == "escalate")
                                     & (m.AuditLog.record_id == setup.case_id)).exists()


def test_a_move_the_protocol_allows_needs_no_reason_and_back_a_stage_needs_one(db):
    from pestdesk import clock
    from pestdesk.services import cases
    from pestdesk.services.cases import TransitionError

    clock.set_today(D(2026, 11, 20))
    setup = make_case()
    put_on_stage(setup, "izo")
    cases.record_step(setup.actor, setup.case_id, T("aanmelden"), on=D(2026, 11, 2),
                      student_id=setup.pester_id)
    meeting, item = _izo_item(setup)
    # the discussion and its decision tick the IZO's own steps first, so 'on to the OT'
    # follows the protocol and asks for no reason -- the preview counts them as the save will
    assert not meetings.ladder_preview(item.id, setup.pester_id, S("ot"), setup.actor).needs_reason
    assert meetings.ladder_preview(item.id, setup.pester_id, S("ot"), setup.actor,
                                   with_decision=False).needs_reason  # no decision recorded
    item = meetings.record_minutes(setup.actor, item.id, item.version, minutes="Besproken.",
                                   decision="Naar het OT",
                                   moves=[meetings.LadderDecision(setup.pester_id, S("ot"))])
    assert pester_stage(setup) == "ot"
    assert _moves(setup.case_id)[0].body == ""
    # a second meeting sends the bully back: always with a reason
    meeting2 = meetings.plan_meeting(setup.actor, kind="IZO", starts_at=START,
                                     chair_id=setup.staff_id)
    item2 = meetings.add_item(setup.actor, meeting2.id, setup.case_id, "Terug?")
    preview = meetings.ladder_preview(item2.id, setup.pester_id, S("afdelingscoordinator"),
                                      setup.actor)
    assert preview.moves and preview.needs_reason and not preview.refused
    with pytest.raises(TransitionError):
        meetings.record_minutes(
            setup.actor, item2.id, item2.version, minutes="x", decision="terug",
            moves=[meetings.LadderDecision(setup.pester_id, S("afdelingscoordinator"))])
    meetings.record_minutes(
        setup.actor, item2.id, item2.version, minutes="x", decision="terug",
        moves=[meetings.LadderDecision(setup.pester_id, S("afdelingscoordinator"),
                                       "Het gaat goed; de afdelingscoördinator volgt het.")])
    assert pester_stage(setup) == "afdelingscoordinator"
    assert [e.stage_code for e in _moves(setup.case_id, "deescalate")] == [
        S("afdelingscoordinator")]


def test_an_expulsion_track_skips_stages_only_with_a_reason(db):
    from pestdesk import clock
    from pestdesk.services.cases import TransitionError

    clock.set_today(D(2026, 11, 20))
    setup = make_case()
    put_on_stage(setup, "izo")
    meeting, item = _izo_item(setup)
    stages = [code for code, _title in meetings.ladder_stages(item.id)]
    assert S("schoolverwijdering") in stages
    target = S("schoolverwijdering")
    preview = meetings.ladder_preview(item.id, setup.pester_id, target, setup.actor)
    assert preview.needs_reason
    with pytest.raises(TransitionError):
        meetings.record_minutes(setup.actor, item.id, item.version, minutes="x",
                                decision="verwijderen",
                                moves=[meetings.LadderDecision(setup.pester_id, target)])
    meetings.record_minutes(setup.actor, item.id, item.version, minutes="x",
                            decision="verwijderen",
                            moves=[meetings.LadderDecision(setup.pester_id, target,
                                                           "Geweld; geen perspectief.")])
    assert pester_stage(setup) == "schoolverwijdering"


def test_a_general_item_or_a_victim_moves_nobody(db):
    from pestdesk import clock
    from pestdesk.services.cases import CaseError

    clock.set_today(D(2026, 11, 20))
    setup = make_case()
    put_on_stage(setup, "izo")
    meeting, item = _izo_item(setup)
    general = meetings.add_item(setup.actor, meeting.id, None, "Rooster")
    with pytest.raises(ServiceError):
        meetings.record_minutes(setup.actor, general.id, general.version, minutes="x",
                                decision="", moves=[meetings.LadderDecision(
                                    setup.pester_id, S("ot"), "r")])
    with pytest.raises(CaseError):
        meetings.record_minutes(setup.actor, item.id, item.version, minutes="x", decision="",
                                moves=[meetings.LadderDecision(setup.victim_id, S("ot"), "r")])
    assert m.AgendaItem.get_by_id(item.id).minutes == ""
    (view,) = meetings.agenda(meeting.id, actor=SYSTEM)[:1]
    assert [p.student_id for p in view.pesters] == [setup.pester_id]
    assert view.pesters[0].stage_code == S("izo")


def test_consent_ticks_the_consent_step_and_says_who_gave_it(db):
    from pestdesk import clock

    clock.set_today(D(2026, 11, 20))
    older = make_case("2026-0001", pester_birth=D(2010, 1, 1))  # 16 on the day of consent
    put_on_stage(older, "ot")
    meetings.record_consent(older.actor, older.pester_id, given_on=D(2026, 11, 2),
                            scope=["OT"])
    (step,) = m.Event.select().where((m.Event.case == older.case_id)
                                     & (m.Event.step_code == T("toestemming_ouders")))
    assert "van de leerling" in step.title and "van een ouder" not in step.title
    from pestdesk.services import cases

    assessed = cases.assess(older.case_id, actor=SYSTEM)
    done = {s.code for s in assessed.pester(older.pester_id).done_steps}
    assert T("toestemming_ouders") in done
    younger = make_case("2026-0002", pester_birth=D(2012, 5, 1))
    put_on_stage(younger, "ot")
    with write():
        guardian = m.Guardian.create(first_name="Anna", last_name="Bakker")
        m.StudentGuardian.create(student=younger.pester_id, guardian=guardian,
                                 has_authority=True)
    meetings.record_consent(younger.actor, younger.pester_id, given_on=D(2026, 11, 2),
                            scope=["OT"], guardian_id=guardian.id)
    (step,) = m.Event.select().where((m.Event.case == younger.case_id)
                                     & (m.Event.step_code == T("toestemming_ouders")))
    assert "van een ouder met gezag" in step.title and "Anna" not in step.title
    # a student on another stage: nothing ticked
    elsewhere = make_case("2026-0003", pester_birth=D(2010, 1, 1))
    meetings.record_consent(elsewhere.actor, elsewhere.pester_id, given_on=D(2026, 11, 2),
                            scope=["OT"])
    assert not m.Event.select().where((m.Event.case == elsewhere.case_id)
                                      & (m.Event.kind == "step")).exists()


def _pages(pdf: bytes) -> list[str]:
    return [p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages]


def test_pack_says_invited_before_and_attending_after_with_page_totals(db):
    from pestdesk import clock

    setup = make_case()
    meeting = _ot(setup)
    meetings.add_item(setup.actor, meeting.id, setup.case_id, "Vraag")
    clock.set_today(D(2026, 11, 1))  # before the meeting
    pages = _pages(meetings.build_pack(meeting.id, actor=SYSTEM))
    assert len(pages) >= 2
    for number, page in enumerate(pages, start=1):
        assert f"pagina {number} van {len(pages)}" in page
    assert "Uitgenodigd: Zara Zorgman" in pages[0] and "Aanwezig" not in pages[0]
    clock.set_today(D(2026, 11, 19))  # the day after: it was held
    first = _pages(meetings.build_pack(meeting.id, actor=SYSTEM))[0]
    assert "Aanwezig: Zara Zorgman" in first and "Uitgenodigd" not in first
