"""First run of a new database through ``accounts.set_up``: school, beheerder and account
together or not at all, and only while the database has no user."""

from __future__ import annotations

import pytest

from pestdesk.services import accounts, settings
from pestdesk.services.base import ServiceError, verify_audit_chain
from pestdesk.store.models import AuditLog, Setting, Staff, User

PROFILE = settings.SchoolProfile(name="Het Baken", city="Alkmaar", protocol_code="doultremont")


def test_set_up_creates_profile_beheerder_and_account_with_audit(db):
    actor = accounts.set_up(PROFILE, " Anna ", "de Boer", "boa", "Anna", "geheim-wachtwoord")
    assert actor.has_role("beheerder", "ondersteuningscoordinator")
    staff = Staff.get(Staff.code == "BOA")
    assert (staff.first_name, staff.last_name) == ("Anna", "de Boer")
    assert User.get(User.username == "anna").staff_id == staff.id
    assert settings.school_profile().name == "Het Baken"
    assert {(a.action, a.table) for a in AuditLog.select()} >= {
        ("create", "staff"), ("create", "user"), ("setting", "setting")}
    assert verify_audit_chain() is None


def test_set_up_with_a_bad_password_leaves_nothing(db):
    settings_before = Setting.select().count()  # what the migrations store
    with pytest.raises(ServiceError, match="minstens 12 tekens"):
        accounts.set_up(PROFILE, "Anna", "de Boer", "BOA", "anna", "kort")
    assert Staff.select().count() == User.select().count() == 0
    assert Setting.select().count() == settings_before


def test_set_up_is_refused_once_the_database_has_a_user(db):
    accounts.set_up(PROFILE, "Anna", "de Boer", "BOA", "anna", "geheim-wachtwoord")
    with pytest.raises(ServiceError):
        accounts.set_up(settings.SchoolProfile(name="Ander"), "Piet", "Jansen", "JAP",
                        "piet", "ander-wachtwoord")
    assert Staff.select().count() == 1 and User.select().count() == 1
    assert settings.school_profile().name == "Het Baken"
