"""The reads the GUI makes of a dossier go through services that apply need-to-know.

The school of ``test_access``: mentor_a mentors 1A (case a), mentor_b mentors 1B (case b,
with a suspension). Every read answers for what the actor may see and behaves as "missing"
for the rest.
"""

from __future__ import annotations

import datetime as dt
import threading

import pytest

from pestdesk import clock
from pestdesk.services import access, cases, letters, people, staff, threads, views
from pestdesk.services.base import SYSTEM, write
from pestdesk.store.models import Agreement, Attachment, Contract, Letter, Sanction, database
from tests.helpers.school import build_school

TODAY = clock.today()


@pytest.fixture
def school(db):
    return build_school()


def test_sanction_read_only_for_who_sees_its_case(school):
    sanction = Sanction.get()
    mine = views.sanction(school.actors["mentor_b"], sanction.id)
    assert mine.id == sanction.id and mine.student_name.endswith("Bosman")
    with pytest.raises(access.NotFound):
        views.sanction(school.actors["mentor_a"], sanction.id)
    with pytest.raises(access.NotFound):
        views.sanction(school.actors["zoco"], 999_999)


def test_latest_expulsion_and_contract_hidden_outside_the_case(school):
    b, bosman = school.cases.b, school.students["2001"]
    with write():
        Sanction.create(case=b, student=bosman, kind="voornemen_verwijdering")
        newest = Sanction.create(case=b, student=bosman, kind="voornemen_verwijdering")
        Contract.create(case=b, student=bosman, made_on=TODAY - dt.timedelta(days=9))
        contract = Contract.create(case=b, student=bosman, made_on=TODAY)
    mentor_b, mentor_a = school.actors["mentor_b"], school.actors["mentor_a"]
    assert views.latest_expulsion(mentor_b, b.id, bosman.id).id == newest.id
    assert views.latest_expulsion(mentor_a, b.id, bosman.id) is None
    assert views.latest_expulsion(mentor_b, b.id, None) is None
    assert views.latest_contract(mentor_b, b.id, bosman.id).id == contract.id
    assert views.latest_contract(mentor_a, b.id, bosman.id) is None


def test_case_detail_with_actor_refuses_a_hidden_case_and_names_who_added_evidence(school):
    a = school.cases.a
    with write():
        Attachment.create(case=a, filename="chat.txt", mime_type="text/plain", size=1,
                          sha256="0" * 64, data=b"x", added_by=school.users["mentor_a"])
    detail = cases.case_detail(a.id, actor=school.actors["mentor_a"])
    assert [x.added_by_name for x in detail.attachments] == ["mentor_a"]
    with pytest.raises(access.NotFound):
        cases.case_detail(a.id, actor=school.actors["mentor_b"])


def test_agreements_and_case_numbers_only_of_visible_cases(school):
    a, b = school.cases.a, school.cases.b
    with write():
        agreement = Agreement.create(case=a, description="Niet meer duwen",
                                     owner=school.staff["mentor_a"], evaluate_on=TODAY)
    mentor_a, mentor_b = school.actors["mentor_a"], school.actors["mentor_b"]
    rows = list(cases.case_agreements(a.id, actor=mentor_a))
    assert [(r.id, r.owner_name) for r in rows] == [(agreement.id, "Mede Werker2")]
    assert list(cases.case_agreements(a.id, actor=mentor_b)) == []
    assert cases.agreement_of(mentor_a, agreement.id).id == agreement.id
    assert cases.agreement_of(mentor_b, agreement.id) is None
    assert cases.case_numbers(mentor_a, [a.id, b.id, None]) == {a.id: a.number}


def test_compose_case_lists_the_students_of_a_visible_case_only(school):
    a = school.cases.a
    case = letters.compose_case(school.actors["mentor_a"], a.id)
    assert (case.number, case.summary) == (a.number, a.summary)
    assert [(s.name, s.role) for s in case.students] == [
        ("Kind Akkerman", "gepeste"), ("Kind Aalders", "pester")]
    assert case.protocol.stages
    with pytest.raises(access.NotFound):
        letters.compose_case(school.actors["mentor_b"], a.id)


def test_student_search_leaves_out_the_students_already_chosen(school):
    zoco = school.actors["zoco"]
    found = {s.number for s in people.search_students_query("kind", actor=zoco)}
    assert {"1001", "1002"} <= found
    left = {s.number for s in people.search_students_query(
        "kind", actor=zoco, exclude={school.students["1001"].id})}
    assert left == found - {"1001"}


def test_staff_display_name(school):
    assert staff.staff_display_name(school.staff["mentor_a"].id) == "Mede Werker2"
    assert staff.staff_display_name(999_999) is None
    assert staff.staff_display_name(None) is None


def test_in_worker_closes_the_worker_threads_own_connection(school):
    seen = {}

    def work():
        seen["count"] = Sanction.select().count()
        seen["open"] = not database.is_closed()

    def thread():
        threads.in_worker(work)()
        seen["closed after"] = database.is_closed()

    worker = threading.Thread(target=thread)
    worker.start()
    worker.join()
    assert seen == {"count": 1, "open": True, "closed after": True}
    assert not database.is_closed()  # this thread's connection is left alone


def test_letter_info_hidden_like_a_missing_letter(school):
    letter = Letter.get()
    assert letters.letter_info(letter.id, school.actors["mentor_b"]).case_number == "2026-0002"
    with pytest.raises(access.NotFound) as hidden:
        letters.letter_info(letter.id, school.actors["mentor_a"])
    with pytest.raises(access.NotFound) as missing:
        letters.letter_info(999_999, school.actors["mentor_a"])
    assert str(hidden.value) == str(missing.value)


def test_a_letter_is_only_about_a_student_of_its_case(school):
    """A letter is prepared for a case and a student; a student outside the case (here in a
    class the mentor has nothing to do with) got a preview with their parents' home
    address. Now it answers as if the student were not there, for every role."""
    from pestdesk.store.models import Guardian, StudentGuardian

    a, bosman = school.cases.a, school.students["2001"]
    with write():
        parent = Guardian.create(first_name="Ouder", last_name="Bosman", street="Verborgenlaan",
                                 house_number="7", postcode="1811 AB", city="Alkmaar")
        StudentGuardian.create(student=bosman, guardian=parent, has_authority=True)
    for who in ("mentor_a", "zoco"):
        with pytest.raises(access.NotFound):
            letters.prepare(school.actors[who], a.id, bosman.id, "informeren_ouders_gepeste")
    with pytest.raises(access.NotFound):
        letters.prepare(SYSTEM, a.id, bosman.id, "informeren_ouders_gepeste")
    plan = letters.prepare(school.actors["mentor_a"], a.id, school.students["1001"].id,
                           "informeren_ouders_gepeste")
    assert plan.student_name == "Kind Akkerman"
