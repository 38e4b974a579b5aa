"""Consent by participant, not by meeting type: any meeting with someone from outside the
school names a student only with consent (a parent under 16, the student from 16), on screen,
in the pack PDF and in the minutes shown; the name detector runs over the item's texts."""

from __future__ import annotations

import datetime as dt

from pestdesk.services import meetings
from pestdesk.services.base import SYSTEM, write
from pestdesk.services.meetings import External
from pestdesk.store import models as m
from tests.helpers.casework import make_case
from tests.helpers.privacy import foreign_leaks, pdf_text

D = dt.date
START = dt.datetime(2026, 11, 18, 14, 30, tzinfo=dt.UTC)
SMW = External("K. Dekker", "schoolmaatschappelijk_werk")


def _meeting(setup, kind="IZO", externals=(SMW,)):
    return meetings.plan_meeting(setup.actor, kind=kind, starts_at=START,
                                 chair_id=setup.staff_id, externals=list(externals))


def _parent(student_id, first="Anna", last="Bakker"):
    with write():
        guardian = m.Guardian.create(first_name=first, last_name=last)
        m.StudentGuardian.create(student=student_id, guardian=guardian, has_authority=True)
    return guardian


def test_an_izo_with_an_outside_participant_needs_consent(db):
    setup = make_case()
    with_smw = _meeting(setup)
    item = meetings.add_item(setup.actor, with_smw.id, setup.case_id, "Hoe verder met Bram?")
    assert {c.named for c in meetings.item_consent(item.id, actor=SYSTEM)} == {False}
    text = pdf_text(meetings.build_pack(with_smw.id, actor=SYSTEM))
    for name in ("Sanne", "Visser", "Bram", "Bakker"):
        assert name not in text
    shown = meetings.agenda(with_smw.id, actor=SYSTEM)[0]
    assert shown.anonymised and "Bram" not in shown.question
    assert all("Leerling" in c.name for c in shown.consent)
    # the same kind of meeting within the school names everyone
    internal = _meeting(setup, externals=())
    item = meetings.add_item(setup.actor, internal.id, setup.case_id, "Hoe verder met Bram?")
    assert {c.named for c in meetings.item_consent(item.id, actor=SYSTEM)} == {True}
    assert "Bram Bakker" in pdf_text(meetings.build_pack(internal.id, actor=SYSTEM))
    # an OT without anyone from outside is internal too
    ot = _meeting(setup, kind="OT", externals=())
    item = meetings.add_item(setup.actor, ot.id, setup.case_id, "Vraag")
    assert not meetings.item_is_anonymised(item.id, actor=SYSTEM)


def test_consent_for_an_izo_names_the_student_there(db):
    setup = make_case()
    parent = _parent(setup.pester_id)
    meetings.record_consent(setup.actor, setup.pester_id, given_on=D(2026, 11, 1),
                            scope=["IZO"], guardian_id=parent.id)
    meeting = _meeting(setup)
    item = meetings.add_item(setup.actor, meeting.id, setup.case_id, "Vervolg voor Bram")
    state = {c.student_id: c.named for c in meetings.item_consent(item.id, actor=SYSTEM)}
    assert state == {setup.victim_id: False, setup.pester_id: True}
    text = pdf_text(meetings.build_pack(meeting.id, actor=SYSTEM))
    assert "Bram Bakker" in text and "Sanne" not in text


def test_a_parents_consent_ends_when_the_child_turns_16(db):
    setup = make_case(pester_birth=D(2010, 11, 10))  # 16 on 10 November 2026
    parent = _parent(setup.pester_id)
    meetings.record_consent(setup.actor, setup.pester_id, given_on=D(2026, 10, 1),
                            scope=["OT"], guardian_id=parent.id)
    assert meetings.has_consent(setup.pester_id, "OT", D(2026, 11, 9))
    assert not meetings.has_consent(setup.pester_id, "OT", D(2026, 11, 18))
    meetings.record_consent(setup.actor, setup.pester_id, given_on=D(2026, 11, 12),
                            scope=["OT"])
    assert meetings.has_consent(setup.pester_id, "OT", D(2026, 11, 18))


def test_the_pack_runs_the_detector_over_every_text(db):
    setup = make_case()
    for sid in (setup.victim_id, setup.pester_id):
        parent = _parent(sid, first="Ouder", last=f"Van{sid}")
        meetings.record_consent(setup.actor, sid, given_on=D(2026, 11, 1), scope=["OT"],
                                guardian_id=parent.id)
    with write():
        classmate = m.Student.create(number="C0001", first_name="Ayoub", last_name="Amrani",
                                     tussenvoegsel="el")
        mother = _parent(classmate.id, first="Hülya", last="Kaya")
        m.Case.update(summary="Bram en Ayoubs vrienden schelden Sanne uit").where(
            m.Case.id == setup.case_id).execute()
    meeting = _meeting(setup, kind="OT")
    meetings.add_item(setup.actor, meeting.id, setup.case_id,
                      f"Moeten we Ayoub el Amrani erbij halen? {mother.first_name} "
                      f"{mother.last_name} belde.")
    text = pdf_text(meetings.build_pack(meeting.id, actor=SYSTEM))
    assert "Bram Bakker" in text and "Sanne Visser" in text  # consent for both
    assert "Ayoub" not in text and "Hülya" not in text and "Kaya" not in text
    assert "een andere leerling" in text and "een ouder van een andere leerling" in text
    assert foreign_leaks(text, [setup.victim_id, setup.pester_id]) == []
    screen = meetings.agenda(meeting.id, actor=SYSTEM)[0]
    assert "Ayoub" not in screen.heading and "Kaya" not in screen.question


def test_minutes_with_names_without_consent_are_read_only_on_screen(db):
    setup = make_case()
    meeting = _meeting(setup, kind="OT")
    item = meetings.add_item(setup.actor, meeting.id, setup.case_id, "Vraag")
    meetings.record_minutes(setup.actor, item.id, item.version,
                            minutes="Sanne is bang voor Bram.", decision="")
    shown = meetings.agenda(meeting.id, actor=SYSTEM)[0]
    assert "Sanne" not in shown.minutes and "Bram" not in shown.minutes
    assert shown.minutes_redacted
    assert m.AgendaItem.get_by_id(item.id).minutes == "Sanne is bang voor Bram."


def test_the_place_names_no_student_without_consent(db):
    """The place is typed free text too ("thuis bij ..."): with someone from outside the
    school it is shown without the students who have no consent, on screen and in the pack;
    the calendar file leaves pestdesk and never names anyone of the school."""
    setup = make_case()
    place = "Thuis bij Bram Bakker"
    meeting = meetings.plan_meeting(setup.actor, kind="IZO", starts_at=START,
                                    chair_id=setup.staff_id, place=place, externals=[SMW])
    meetings.add_item(setup.actor, meeting.id, setup.case_id, "Hoe verder?")
    shown = (pdf_text(meetings.build_pack(meeting.id, actor=SYSTEM)),
             meetings.meeting_view(meeting.id, actor=SYSTEM).place,
             meetings.export_ics(meeting.id, actor=SYSTEM).replace("\r\n ", ""))
    for text in shown:
        assert "Bram" not in text and "Bakker" not in text, text
    assert meetings.meeting_view(meeting.id, actor=SYSTEM).place == "Thuis bij een andere leerling"
    internal = meetings.plan_meeting(setup.actor, kind="IZO", starts_at=START,
                                     chair_id=setup.staff_id, place=place)
    assert meetings.meeting_view(internal.id, actor=SYSTEM).place == place
    assert "Bakker" not in meetings.export_ics(internal.id, actor=SYSTEM).replace("\r\n ", "")
    # with consent the student may be named in the place as well
    parent = _parent(setup.pester_id, first="Karin", last="Bakker")
    meetings.record_consent(setup.actor, setup.pester_id, given_on=D(2026, 11, 1),
                            scope=["IZO"], guardian_id=parent.id)
    assert meetings.meeting_view(meeting.id, actor=SYSTEM).place == place


def test_unreadable_outside_participants_count_as_outside(db):
    """A meeting whose stored outside participants cannot be read is treated as having them:
    the consent rule fails closed."""
    setup = make_case()
    meeting = _meeting(setup, externals=())
    with write():
        m.Meeting.update(externals="mevr. Dekker (SMW)").where(
            m.Meeting.id == meeting.id).execute()
    item = meetings.add_item(setup.actor, meeting.id, setup.case_id, "Hoe verder?")
    assert meetings.item_is_anonymised(item.id, actor=SYSTEM)
    assert "Bram" not in pdf_text(meetings.build_pack(meeting.id, actor=SYSTEM))


def test_consent_counts_on_the_schools_local_day_around_midnight(db, monkeypatch):
    """A meeting at 00:30 local time on 18 November is stored as 23:30 UTC on the 17th;
    consent given on the 18th (a local date) is valid for it, consent withdrawn on the 18th
    is not, and the action it records is dated the 18th."""
    import time

    monkeypatch.setenv("TZ", "Europe/Amsterdam")
    time.tzset()
    try:
        setup = make_case()
        parent = _parent(setup.pester_id)
        meetings.record_consent(setup.actor, setup.pester_id, given_on=D(2026, 11, 18),
                                scope=["IZO"], guardian_id=parent.id)
        late = meetings.plan_meeting(setup.actor, kind="IZO",
                                     starts_at=dt.datetime(2026, 11, 18, 0, 30),
                                     chair_id=setup.staff_id, externals=[SMW])
        assert m.Meeting.get_by_id(late.id).starts_at.date() == D(2026, 11, 17)  # UTC
        assert meetings.meeting_day(late) == D(2026, 11, 18)
        item = meetings.add_item(setup.actor, late.id, setup.case_id, "Vervolg")
        state = {c.student_id: c.named for c in meetings.item_consent(item.id, actor=SYSTEM)}
        assert state[setup.pester_id] is True
        # a meeting at 23:30 local on the 17th (22:30 UTC) comes before the consent
        early = meetings.plan_meeting(setup.actor, kind="IZO",
                                      starts_at=dt.datetime(2026, 11, 17, 23, 30),
                                      chair_id=setup.staff_id, externals=[SMW])
        item = meetings.add_item(setup.actor, early.id, setup.case_id, "Vervolg")
        state = {c.student_id: c.named for c in meetings.item_consent(item.id, actor=SYSTEM)}
        assert state[setup.pester_id] is False
    finally:
        monkeypatch.delenv("TZ")
        time.tzset()
