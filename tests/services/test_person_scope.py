"""One 'who may see this person' rule for parents (access.guardian_visibility): a guardian's
address comes with a child the user may see, by search, form, link or unlink alike."""

from __future__ import annotations

import datetime as dt

import pytest

from pestdesk import clock
from pestdesk.services import access, staff
from pestdesk.services.base import ServiceError, write
from pestdesk.store.models import Guardian, StudentGuardian
from tests.helpers.school import build_school


@pytest.fixture
def school(db):
    school = build_school()
    with write():
        for number, street in (("1001", "Akkerlaan"), ("4001", "Hendrikstraat")):
            parent = Guardian.create(last_name=f"Ouder{number}", street=street,
                                     house_number="1", postcode="1811 AB", city="Alkmaar")
            StudentGuardian.create(student=school.students[number], guardian=parent)
    return school


def _found(actor, text: str) -> list[str]:
    return [m.address for m in staff.search_guardians(actor, text)]


def test_a_mentor_finds_only_the_parents_of_their_own_students(school):
    mentor = school.actors["mentor_b"]  # mentor of 1B: neither 1001 (1A) nor 4001 (4H)
    assert _found(mentor, "Alkmaar") == []
    assert _found(mentor, "Hendrikstraat") == []
    mentor_a = school.actors["mentor_a"]  # 1A, and registered a case about 4001 (4H)
    assert _found(mentor_a, "Akkerlaan") == ["Akkerlaan 1, 1811 AB Alkmaar"]
    coord_bb = school.actors["coord_bb"]
    assert _found(coord_bb, "Alkmaar") == ["Hendrikstraat 1, 1811 AB Alkmaar"]
    zoco = school.actors["zoco"]
    assert len(_found(zoco, "Alkmaar")) == 2


def test_no_side_door_by_id(school):
    mentor = school.actors["mentor_b"]
    hidden = Guardian.get(Guardian.street == "Akkerlaan")
    own_student = school.students["2001"]  # in 1B: the mentor's own class
    with pytest.raises(ServiceError):  # linking a hidden parent to an own student
        staff.link_guardian(mentor, own_student.id, hidden.id, "moeder")
    assert not StudentGuardian.select().where(StudentGuardian.student == own_student).exists()
    with pytest.raises(access.NotFound):  # the form of a hidden student's parent
        staff.guardian_form(mentor, school.students["1001"].id, hidden.id)
    form = staff.GuardianForm(last_name="Nieuw")
    with pytest.raises(access.NotFound):
        staff.save_guardian(mentor, school.students["1001"].id, form)
    with pytest.raises(access.NotFound):
        staff.unlink_guardian(mentor, school.students["1001"].id, hidden.id, 1)
    assert staff.guardian_form(school.actors["mentor_a"], school.students["1001"].id,
                               hidden.id).street == "Akkerlaan"


def test_a_mentor_names_a_bully_from_another_class_but_reads_no_other_case(school):
    """Issue 12, point 11: reporting works for any current student; reading stays
    need-to-know (the bully's earlier case in 4H stays hidden)."""
    from pestdesk.services import people
    from tests.helpers.gui import new_case

    mentor = school.actors["mentor_b"]  # mentor of 1B
    bully = school.students["4001"]  # 4H, has case h the mentor may not see
    own = school.students["2001"]
    assert not people.search_students_query("Hendriks", actor=mentor).exists()
    named = people.search_students_query("Hendriks", actor=mentor, to_report=True)
    assert [s.id for s in named] == [bully.id]
    # naming reads name, class and number: not the birth date or anything else of the card
    with write():
        type(bully).update(birth_date=dt.date(2011, 5, 4), gender="M").where(
            type(bully).id == bully.id).execute()
    found = named.clone().get()
    assert (found.number, found.last_name, found.school_class.name) == ("4001", "Hendriks",
                                                                         "4H")
    assert found.birth_date is None and found.gender != "M"
    case_id = new_case(mentor, own, bully)
    assert access.can_view_case(mentor, case_id)
    assert not access.can_view_case(mentor, school.cases.h.id)
    card = people.student_card(bully.id, mentor)
    assert [c.id for c in card.cases] == [case_id]
    # a vakdocent may name students for a signal; a beheerder-only account may not report
    assert people.search_students_query("Hendriks", actor=school.actors["docent"],
                                        to_report=True).exists()
    assert not people.search_students_query("Hendriks", actor=school.actors["admin"],
                                            to_report=True).exists()


def test_letter_addressees_follow_the_same_rule(school):
    """A letter's addressees are a student and their parents: the recipient planner asks the
    one rule, so a mentor gets no address of a child they may not see."""
    from pestdesk.services import recipients

    hidden = school.students["1001"]  # 1A: not mentor_b's
    with pytest.raises(access.NotFound):
        recipients.recipients_for(school.actors["mentor_b"], hidden.id, clock.today())
    planned = recipients.recipients_for(school.actors["mentor_a"], hidden.id, clock.today())
    assert [p.recipient.street for p in planned] == ["Akkerlaan"]


def test_meeting_texts_outside_a_case_name_nobody_the_reader_may_not_see(school):
    """A meeting's place and a general agenda point are free text no case covers: every care
    role sees the meeting, so the names in them follow the person rule (list, screen, pack)."""
    from pestdesk.services import lists, meetings

    zoco, mentor_b = school.actors["zoco"], school.actors["mentor_b"]
    meeting = meetings.plan_meeting(zoco, kind="IZO", starts_at=dt.datetime(2026, 11, 18, 14),
                                    place="Thuis bij Kind Akkerman", chair_id=zoco.staff_id)
    meetings.add_item(zoco, meeting.id, None, "Hoe gaat het nu met Kind Akkerman en Kind Bosman?")
    assert "Akkerman" in meetings.meeting_view(meeting.id, zoco).place
    for text in (meetings.meeting_view(meeting.id, mentor_b).place,
                 meetings.agenda(meeting.id, actor=mentor_b)[0].question,
                 meetings.pack_data(meeting.id, mentor_b).place,
                 meetings.pack_data(meeting.id, mentor_b).items[0].question):
        assert "Akkerman" not in text and "andere leerling" in text, text
    # mentor_b's own student (1B) stays named
    assert "Bosman" in meetings.agenda(meeting.id, actor=mentor_b)[0].question
    # a parent taking part is typed text as well: named to who sees their child only
    with_parent = meetings.plan_meeting(
        zoco, kind="OT", starts_at=dt.datetime(2026, 11, 19, 14), chair_id=zoco.staff_id,
        externals=[meetings.External("Ouder1001 (moeder)", "other")])
    assert "Ouder1001" in meetings.meeting_view(with_parent.id, zoco).externals[0].name
    assert "Ouder1001" not in meetings.meeting_view(with_parent.id, mentor_b).externals[0].name
    assert not any("Ouder1001" in e
                   for e in meetings.pack_data(with_parent.id, mentor_b).externals)
    rows = {r[0]: r for r in lists.MeetingList(actor=mentor_b).page(0, 50)}
    assert "Akkerman" not in rows[meeting.id][3]
    rows = {r[0]: r for r in lists.MeetingList(actor=zoco).page(0, 50)}
    assert "Akkerman" in rows[meeting.id][3]


def test_the_staff_managers_lists_are_theirs(school):
    assert staff.StaffList(actor=school.actors["mentor_b"]).count() == 0
    assert staff.ClassList(actor=school.actors["coord"]).count() == 0
    assert staff.StaffList(actor=school.actors["admin"]).count() == len(school.staff)
    assert staff.ClassList(actor=school.actors["zoco"]).count() == 3


def test_a_bullys_earlier_case_is_named_only_to_who_may_open_it(school):
    """A mentor opens their own case about a bully from another class whose earlier case
    they may not see: the case detail says a relapse, not the other case's number."""
    from pestdesk.services import cases
    from pestdesk.store.models import Case, Involvement
    from tests.helpers.gui import new_case

    mentor = school.actors["mentor_b"]  # 1B
    bully = school.students["4001"]
    earlier = school.cases.h  # 4H: hidden from mentor_b
    with write():
        Case.update(status="closed").where(Case.id == earlier.id).execute()
        Involvement.update(role="pester").where((Involvement.case == earlier.id)
                                                & (Involvement.student == bully.id)).execute()
    case_id = new_case(mentor, school.students["2001"], bully)
    row = next(i for i in cases.case_detail(case_id, actor=mentor).involvements
               if i.student_id == bully.id)
    assert row.relapse_of == earlier.id and row.relapse_number == ""
    row = next(i for i in cases.case_detail(case_id, actor=school.actors["zoco"]).involvements
               if i.student_id == bully.id)
    assert row.relapse_number == earlier.number


def test_where_a_hidden_case_stands_is_not_told(school):
    """The assessment (stages, steps, a pester's earlier cases), the engine's history, the
    cyber checklist and the police report state read a dossier: NotFound for a hidden case,
    like the case itself."""
    from pestdesk.services import cases

    mentor, hidden = school.actors["mentor_b"], school.cases.h.id
    for read in (lambda: cases.assess(hidden, actor=mentor),
                 lambda: cases.history_for(hidden, actor=mentor),
                 lambda: cases.cyber_checklist(hidden, actor=mentor),
                 lambda: cases.police_report_state(hidden, actor=mentor)):
        with pytest.raises(access.NotFound):
            read()


def test_a_measures_ladder_preview_is_a_read_of_the_case(school):
    """The contract and suspension dialogs' preview of the ladder answers NotFound for a
    hidden case, like every other read of it."""
    from pestdesk.services import contracts, sanctions

    mentor, hidden = school.actors["mentor_b"], school.cases.h.id
    bully = school.students["4001"].id
    with pytest.raises(access.NotFound):
        contracts.ladder_preview(hidden, bully, actor=mentor)
    with pytest.raises(access.NotFound):
        sanctions.ladder_preview(hidden, bully, "schorsing", 1, actor=mentor)
