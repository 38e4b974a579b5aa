"""The audit screen's query: searchable by user, action, table and date range, only for the
beheerder and the directie, and without personal data."""

from __future__ import annotations

import datetime as dt

import pytest

from pestdesk import clock
from pestdesk.services import access, accounts, auditlog, users
from pestdesk.services.base import SYSTEM, Actor, audit, write
from pestdesk.store.models import AuditLog, Staff, Student, User
from tests.helpers.roles import confirm_all_grants

PASSWORD = "lang genoeg wachtwoord"


@pytest.fixture
def trail(db):
    with write():
        admin_staff = Staff.create(code="BEH", last_name="Beheer", roles="beheerder")
        dir_staff = Staff.create(code="DIR", last_name="Directeur", roles="directie")
        men_staff = Staff.create(code="MEN", last_name="Mentor", roles="mentor")
    admin = accounts.actor_for(accounts.create_user(SYSTEM, admin_staff, "beheer", PASSWORD))
    directie_user = users.create_user(admin, dir_staff.id, "directie", PASSWORD)
    mentor_user = users.create_user(admin, men_staff.id, "mentor", PASSWORD)
    confirm_all_grants()  # the roles count once confirmed (services.grants)
    directie = accounts.actor_for(User.get_by_id(directie_user.id))
    mentor = accounts.actor_for(User.get_by_id(mentor_user.id))
    accounts.sign_in("mentor", PASSWORD)
    with write():
        student = Student.create(number="1001", first_name="Zoë", last_name="Geheimnaam")
        audit(mentor, "view", "student", student.id)
    return admin, directie, mentor, student


def _rows(query):
    return query.page(0, 500)


def test_only_beheerder_and_directie_read_the_trail(trail):
    admin, directie, mentor, _student = trail
    total = AuditLog.select().count()
    assert auditlog.AuditList(actor=admin).count() == total
    assert auditlog.AuditList(actor=directie).count() == total
    assert auditlog.AuditList(actor=mentor).count() == 0
    assert auditlog.actions(mentor) == [] and auditlog.tables(mentor) == []
    assert not access.can_read_audit(Actor(5, "x", roles=frozenset({"zorgteam"})))


def test_filters_by_user_action_table_and_record(trail):
    admin, _directie, mentor, student = trail
    by_mentor = auditlog.AuditList(actor=admin, filters={"user_id": mentor.user_id})
    assert {r[3] for r in _rows(by_mentor)} == {"login", "view"}
    assert {r[2] for r in _rows(by_mentor)} == {"mentor"}  # the user name column
    logins = auditlog.AuditList(actor=admin, filters={"action": "login"})
    assert [r[2] for r in _rows(logins)] == ["mentor"]
    views = auditlog.AuditList(actor=admin, filters={"table": "student",
                                                     "record_id": student.id})
    assert [(r[3], r[5]) for r in _rows(views)] == [("view", student.id)]
    assert "login" in auditlog.actions(admin) and "user" in auditlog.tables(admin)
    text = auditlog.AuditList(actor=admin, filters={"text": "login"})
    assert text.count() == 1


def test_date_range_in_local_days(trail):
    admin = trail[0]
    today = clock.today()
    total = AuditLog.select().count()
    assert auditlog.AuditList(actor=admin, filters={"date_from": today,
                                                    "date_to": today}).count() == total
    assert auditlog.AuditList(actor=admin, filters={
        "date_to": today - dt.timedelta(days=1)}).count() == 0
    assert auditlog.AuditList(actor=admin, filters={
        "date_from": today + dt.timedelta(days=1)}).count() == 0


def test_newest_first_and_sorting(trail):
    admin = trail[0]
    query = auditlog.AuditList(actor=admin, order_key="at", descending=True)
    ids = [r[0] for r in _rows(query)]
    assert ids == sorted(ids, reverse=True)
    query = auditlog.AuditList(actor=admin, order_key="action")
    actions = [r[3] for r in _rows(query)]
    assert actions == sorted(actions)


def test_trail_holds_no_personal_data(trail):
    for row in _rows(auditlog.AuditList(actor=trail[0])):
        assert all("Geheimnaam" not in str(v) and PASSWORD not in str(v) for v in row)


def test_local_day_start_is_utc_midnight_shift():
    start = auditlog.local_day_start_utc(dt.date(2026, 3, 1))
    local = auditlog.utc_to_local(start)
    assert local == dt.datetime(2026, 3, 1, 0, 0)


def test_the_trail_reads_in_dutch_not_as_codes_and_json():
    assert auditlog.table_label("case") == "Melding"
    assert auditlog.table_label("agenda_item") == "Agendapunt"
    assert auditlog.detail_text('{"changed": 1, "new": 3, "problems": 0}') \
        == "gewijzigd: 1, nieuw: 3"
    assert auditlog.detail_text("case=12,role=pester") == "melding: 12, rol: pester"
    assert auditlog.detail_text("description,summary") == "omschrijving, samenvatting"
    assert auditlog.detail_text("een vrije tekst; met tekens") == "een vrije tekst; met tekens"
