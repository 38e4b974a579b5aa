"""Bewaartermijn: who is past the period, what goes with them, what stays, and that the
deleted text is gone from the file itself."""

from __future__ import annotations

import datetime as dt

import pytest

from pestdesk.services import retention
from pestdesk.services.base import SYSTEM, Actor, ServiceError, create, write
from pestdesk.store import models as m

TODAY = dt.date(2026, 9, 1)
LONG_AGO = dt.date(2024, 7, 1)  # more than 2 years before TODAY
RECENT = dt.date(2025, 7, 1)


def student(number, left_on=None, name="Sem"):
    return create(SYSTEM, m.Student, number=number, first_name=name, last_name="Jansen",
                  left_on=left_on)


def case(number, *students, text=""):
    c = create(SYSTEM, m.Case, number=number, reported_on=dt.date(2023, 1, 10),
               description=text)
    for s in students:
        inv = create(SYSTEM, m.Involvement, case=c, student=s, role="gepeste")
        create(SYSTEM, m.Event, case=c, involvement=inv, kind="gesprek",
               occurred_on=dt.date(2023, 1, 11), body=f"gesprek {text}")
    return c


@pytest.fixture
def school(db):
    with write():
        old = student("1", LONG_AGO, name="Oudleerling")
        old2 = student("2", LONG_AGO)
        young = student("3", RECENT)
        staying = student("4")
        only_old = case("2023-001", old, old2, text="GEHEIMVERHAAL")
        mixed = case("2023-002", old, staying, text="gemengd")
        case("2023-003", young)
        m.Attachment.create(case=only_old, filename="x.png", data=b"GEHEIMBLOB" * 50,
                            sha256="0")
        m.Letter.create(case=only_old, student=old, template_code="t", recipient="ouders")
        shared_parent = create(SYSTEM, m.Guardian, last_name="Gedeeld")
        own_parent = create(SYSTEM, m.Guardian, last_name="Alleen")
        for s, g in ((old, shared_parent), (staying, shared_parent), (old, own_parent)):
            create(SYSTEM, m.StudentGuardian, student=s, guardian=g)
    return {"old": old, "old2": old2, "young": young, "staying": staying,
            "only_old": only_old, "mixed": mixed, "shared": shared_parent, "own": own_parent}


def test_plan_lists_students_cases_and_guardians_past_the_period(school):
    plan = retention.due_for_deletion(TODAY)
    assert plan.cutoff == dt.date(2024, 9, 1)
    assert plan.student_ids == [school["old"].id, school["old2"].id]
    assert plan.case_ids == [school["only_old"].id]
    assert plan.guardian_ids == [school["own"].id]
    assert retention.due_for_deletion(TODAY, years=5).empty


def test_purge_removes_everything_about_them_and_keeps_the_rest(school, db_path):
    result = retention.purge(SYSTEM, TODAY)
    assert result.deleted["students"] == 2 and result.deleted["cases"] == 1
    assert result.deleted["guardians"] == 1 and result.deleted["attachments"] == 1
    assert result.deleted["letters"] == 1 and result.compacted
    assert not m.Student.select().where(m.Student.id.in_([school["old"].id])).exists()
    mixed = m.Case.get_by_id(school["mixed"].id)
    assert [i.student_id for i in mixed.involvements] == [school["staying"].id]
    assert mixed.events.count() == 1  # the removed student's conversation went too
    assert m.Guardian.get_or_none(m.Guardian.id == school["shared"].id) is not None
    line = m.AuditLog.select().where(m.AuditLog.action == "retention_purge").get()
    assert "students=2" in line.detail and "Oudleerling" not in line.detail
    m.database.obj.close()
    files = [db_path, db_path.with_name(db_path.name + "-wal")]
    raw = b"".join(f.read_bytes() for f in files if f.exists())
    for secret in (b"GEHEIMVERHAAL", b"GEHEIMBLOB", b"Oudleerling"):
        assert secret not in raw


def test_purge_limited_to_confirmed_students(school):
    retention.purge(SYSTEM, TODAY, [school["old2"].id], vacuum=False)
    assert m.Student.get_or_none(m.Student.id == school["old"].id) is not None
    assert m.Student.get_or_none(m.Student.id == school["old2"].id) is None
    # the case still has a student within reach of the plan: it stays
    assert m.Case.get_or_none(m.Case.id == school["only_old"].id) is not None


def test_purge_needs_an_administrator(school):
    with pytest.raises(ServiceError):
        retention.purge(Actor(3, "mentor", roles=frozenset({"mentor"})), TODAY)
    assert m.Student.select().count() == 4


def test_retention_period_is_a_setting(school):
    retention.set_retention_years(SYSTEM, 1)
    plan = retention.due_for_deletion(TODAY)
    assert school["young"].id in plan.student_ids
    with pytest.raises(ServiceError):
        retention.set_retention_years(SYSTEM, 0)


def test_leap_day_cutoff():
    assert retention.cutoff_for(dt.date(2028, 2, 29), 2) == dt.date(2026, 2, 28)


def test_list_query_pages_the_due_students(school):
    q = retention.RetentionList(filters={"cutoff": retention.due_for_deletion(TODAY).cutoff})
    assert q.count() == 2
    rows = q.page(0, 10)
    assert {r[0] for r in rows} == {school["old"].id, school["old2"].id}
    assert {r[4] for r in rows} == {1, 2}
