"""Need-to-know through the service API: a role x record matrix with zero leaks.

A small real school in a temp SQLite file: two lower-school classes (1A, 1B, department
"onderbouw") and one upper-school class (4H, "bovenbouw"), a case in each, a case a mentor of
1A registered about a 4H student, a teacher's signal, and a vertrouwenspersoon's confidential
note. Every actor is checked in the lists, by id, in counts, in search, on the student card
and in the AVG export.
"""

from __future__ import annotations

import datetime as dt
import json

import pytest

from pestdesk import clock
from pestdesk.services import access, overview, people
from pestdesk.services.base import SYSTEM, ServiceError, write
from pestdesk.services.lists import CaseList, LetterList, MeetingList, StudentList
from pestdesk.store.models import (
    AuditLog,
    Event,
    Involvement,
    Staff,
)
from tests.helpers.school import PASSWORD, ROLES, TODAY, build_school  # noqa: F401


@pytest.fixture
def school(db):
    return build_school()


ALL = {"a", "b", "h", "reg"}
EXPECTED_CASES = {
    "mentor_a": {"a", "reg"},  # own class 1A + the case they registered about 4H
    "mentor_b": {"b"},
    "coord": {"a", "b"},  # department onderbouw (stored with another capital)
    "coord_bb": {"h", "reg"},
    "zoco": ALL,
    "directie": ALL,
    "zorgteam": ALL,
    "vp": {"a"},  # wrote in it
    "docent": set(),
    "admin": set(),
}
EXPECTED_SIGNALS = {"mentor_a": False, "mentor_b": True, "coord": True, "coord_bb": False,
                    "zoco": True, "directie": True, "zorgteam": True, "vp": False,
                    "docent": False, "admin": False}


def _names(school, ids) -> set[str]:
    by_id = {c.id: key for key, c in vars(school.cases).items()}
    return {by_id[i] for i in ids}


@pytest.mark.parametrize("who", list(ROLES))
def test_case_list_and_ids_follow_need_to_know(school, who):
    actor = school.actors[who]
    query = CaseList(actor=actor)
    rows = query.page(0, 100)
    assert _names(school, [r[0] for r in rows]) == EXPECTED_CASES[who]
    assert query.count() == len(EXPECTED_CASES[who])
    signals = CaseList(actor=actor, filters={"signals": True})
    assert (signals.count() == 1) is EXPECTED_SIGNALS[who]
    for key, case in vars(school.cases).items():
        visible = key in EXPECTED_CASES[who] or (key == "signal" and EXPECTED_SIGNALS[who])
        assert access.can_view_case(actor, case.id) is visible, key


@pytest.mark.parametrize("who", list(ROLES))
def test_hidden_case_by_id_is_indistinguishable_from_a_missing_one(school, who):
    actor = school.actors[who]
    with pytest.raises(access.NotFound) as missing:
        access.visible_case(actor, 999_999)
    for case in vars(school.cases).values():
        if access.can_view_case(actor, case.id):
            assert access.visible_case(actor, case.id).id == case.id
            continue
        with pytest.raises(access.NotFound) as hidden:
            access.visible_case(actor, case.id)
        assert str(hidden.value) == str(missing.value)


@pytest.mark.parametrize("who", list(ROLES))
def test_search_finds_no_hidden_case(school, who):
    actor = school.actors[who]
    for key, case in vars(school.cases).items():
        if key == "signal":
            continue
        victim = Involvement.get((Involvement.case == case) & (Involvement.role == "gepeste"))
        for text in (case.number, victim.student.last_name.lower(), case.summary):
            found = {r[0] for r in CaseList(actor=actor, filters={"text": text}).page(0, 50)}
            assert (case.id in found) is (key in EXPECTED_CASES[who]), (key, text)


@pytest.mark.parametrize("who", list(ROLES))
def test_overview_counts_only_visible_cases(school, who):
    actor = school.actors[who]
    expected = EXPECTED_CASES[who]
    visible = {getattr(school.cases, k).id for k in expected}
    # "my" overdue work is a part of what one may see, never more
    count, lines = overview.overdue_cases(actor, TODAY)
    assert count <= len(expected) and {ln.record_id for ln in lines} <= visible
    assert overview.open_case_count(actor) == len(expected)
    count, lines = overview.new_reports(actor, TODAY - dt.timedelta(days=7))
    expected_new = len(expected) + (1 if EXPECTED_SIGNALS[who] else 0)
    assert count == expected_new and len(lines) == expected_new
    assert overview.inspectie_open(actor)[0] == (1 if "b" in expected else 0)
    meetings = overview.upcoming_meetings(actor, clock.now())[0]
    assert meetings == (0 if who in ("docent", "admin") else 1)


def test_student_list_counts_only_visible_cases_and_hides_strangers(school):
    rows = {r[2]: r for r in StudentList(actor=school.actors["mentor_a"]).page(0, 50)}
    # own class, plus the 4H student of the case they registered; never 1B
    assert set(rows) == {"1001", "1002", "4001"}
    assert rows["4001"][5] == 1  # two cases about Hendriks, one visible to this mentor
    assert StudentList(actor=school.actors["docent"]).count() == 0
    assert StudentList(actor=school.actors["vp"]).count() == 2  # students of case a
    admin_rows = StudentList(actor=school.actors["admin"]).page(0, 50)
    assert len(admin_rows) == 4 and all(r[5] == 0 for r in admin_rows)  # register, no dossiers
    zoco = {r[2]: r[5] for r in StudentList(actor=school.actors["zoco"]).page(0, 50)}
    assert zoco == {"1001": 1, "1002": 1, "2001": 2, "4001": 2}  # 2001: case and signal
    found = StudentList(actor=school.actors["mentor_a"], filters={"text": "bosman"})
    assert found.count() == 0


def test_student_card_and_search_follow_need_to_know(school):
    b = school.students["2001"]
    with pytest.raises(ServiceError) as hidden:
        people.student_card(b.id, actor=school.actors["mentor_a"])
    with pytest.raises(ServiceError) as missing:
        people.student_card(999_999, actor=school.actors["mentor_a"])
    assert str(hidden.value) == str(missing.value)
    card = people.student_card(b.id, actor=school.actors["coord"])
    assert [c.number for c in card.cases] == ["2026-0005", "2026-0002"]
    h = school.students["4001"]
    card = people.student_card(h.id, actor=school.actors["mentor_a"])
    assert [c.number for c in card.cases] == ["2026-0004"]
    admin_card = people.student_card(h.id, actor=school.actors["admin"])
    assert admin_card.cases == ()
    last = AuditLog.select().order_by(AuditLog.id.desc()).get()
    assert (last.action, last.table, last.record_id) == ("view", "student", h.id)
    assert [s.number for s in people.search_students_query(
        "kind", actor=school.actors["mentor_b"])] == ["2001"]
    assert list(people.search_students_query("", actor=school.actors["docent"])) == []
    assert access.can_view_student(school.actors["mentor_b"], b.id)
    assert not access.can_view_student(school.actors["mentor_b"], h.id)


@pytest.mark.parametrize("who", list(ROLES))
def test_confidential_note_only_for_its_author(school, who):
    actor = school.actors[who]
    case = school.cases.a
    events = list(access.visible_events(actor, case.id))
    bodies = [e.body for e in events]
    assert ("GEHEIM-VP-NOTITIE" in bodies) is (who == "vp")
    if who in ("zoco", "directie", "zorgteam", "coord", "mentor_a"):
        assert bodies == ["gewoon verslag"]  # they see the case, not the note
    visible_count = (Event.select().where((Event.case == case.id)
                                          & access.event_visibility(actor)).count())
    assert visible_count == (2 if who == "vp" else 1)


def test_confidential_note_hidden_from_system_and_the_avg_export(school):
    assert [e.body for e in access.visible_events(SYSTEM, school.cases.a.id)] == [
        "gewoon verslag"]
    data = people.export_student(school.actors["zoco"], "1001")
    text = json.dumps(data, ensure_ascii=False)
    assert "GEHEIM-VP-NOTITIE" not in text and "vertrouwelijk" not in text.lower()
    assert "gewoon verslag" in text


@pytest.mark.parametrize("who", ["mentor_a", "coord", "vp", "docent", "admin"])
def test_avg_export_only_for_who_sees_every_case(school, who):
    with pytest.raises(ServiceError):
        people.export_student(school.actors[who], "1001")


def test_vakdocent_records_signals_but_reads_nothing(school):
    docent = school.actors["docent"]
    assert access.can_record_signal(docent)
    assert not access.has_care_role(docent)
    assert CaseList(actor=docent).count() == 0
    assert CaseList(actor=docent, filters={"signals": True}).count() == 0  # not even their own
    assert MeetingList(actor=docent).count() == 0
    assert LetterList(actor=docent).count() == 0
    assert not access.can_view_case(docent, school.cases.signal.id)


def test_letters_and_meeting_agendas_follow_cases(school):
    assert LetterList(actor=school.actors["mentor_a"]).count() == 0
    assert LetterList(actor=school.actors["mentor_b"]).count() == 1
    row = MeetingList(actor=school.actors["mentor_b"]).page(0, 5)[0]
    assert row[5] == 1  # one of the two agenda items concerns a case they may see
    row = MeetingList(actor=school.actors["zoco"]).page(0, 5)[0]
    assert row[5] == 2


def test_editing_needs_a_working_role(school):
    assert access.can_edit_case(school.actors["mentor_a"], school.cases.a.id)
    assert not access.can_edit_case(school.actors["zorgteam"], school.cases.a.id)
    assert not access.can_edit_case(school.actors["mentor_b"], school.cases.a.id)
    with pytest.raises(access.NotFound):
        access.require_edit(school.actors["mentor_b"], school.cases.a.id)
    with pytest.raises(ServiceError) as refused:
        access.require_edit(school.actors["zorgteam"], school.cases.a.id)
    assert not isinstance(refused.value, access.NotFound)


def test_opening_a_case_is_audited(school):
    mentor = school.actors["mentor_a"]
    case = access.open_case(mentor, school.cases.a.id)
    last = AuditLog.select().order_by(AuditLog.id.desc()).get()
    assert (last.user, last.action, last.table, last.record_id) == (
        mentor.user_id, "view", "case", case.id)
    before = AuditLog.select().count()
    with pytest.raises(access.NotFound):
        access.open_case(mentor, school.cases.b.id)
    assert AuditLog.select().count() == before


def test_department_change_applies_at_once(school):
    coord = school.actors["coord"]
    assert not access.can_view_case(coord, school.cases.h.id)
    with write():
        Staff.update(departments="onderbouw,bovenbouw").where(
            Staff.id == coord.staff_id).execute()
    assert access.can_view_case(coord, school.cases.h.id)
