"""Entering staff, classes, mentors and guardians by hand: validation, version checks, audit."""

from __future__ import annotations

import pytest

from pestdesk.i18n import _
from pestdesk.services.base import SYSTEM, Actor, Conflict, ServiceError, create, write
from pestdesk.services.staff import (
    ClassForm,
    ClassList,
    GuardianForm,
    StaffForm,
    StaffList,
    active_staff,
    class_choices,
    class_form,
    guardian_form,
    link_guardian,
    save_class,
    save_guardian,
    save_staff,
    staff_form,
    unlink_guardian,
)
from pestdesk.store.models import AuditLog, ClassMentor, Guardian, Staff, Student, StudentGuardian

MENTOR = Actor(user_id=None, username="mentor", roles=frozenset({"mentor"}))


def audit_lines(table: str) -> list[AuditLog]:
    return list(AuditLog.select().where(AuditLog.table == table).order_by(AuditLog.id))


@pytest.fixture
def student(db):
    with write():
        return create(SYSTEM, Student, number="004512", first_name="Zoë", last_name="Çelik",
                      sort_name="celik, zoe")


def test_staff_created_with_roles_and_audited(db):
    staff = save_staff(SYSTEM, StaffForm(code=" jns ", first_name="Jan", last_name="Jansen",
                                         email="jansen@school.nl",
                                         roles=["mentor", "afdelingscoordinator"]))
    stored = Staff.get_by_id(staff.id)
    assert stored.code == "JNS"
    assert stored.roles == "mentor,afdelingscoordinator"
    assert [a.action for a in audit_lines("staff")] == ["create"]
    assert (staff.id, "JNS", "Jan Jansen") in active_staff()


def test_staff_update_checks_version_and_audits_field_names_only(db):
    staff = save_staff(SYSTEM, StaffForm(code="JNS", last_name="Jansen"))
    form = staff_form(staff.id)
    stale = staff_form(staff.id)
    form.email = "j.jansen@school.nl"
    save_staff(SYSTEM, form)
    assert Staff.get_by_id(staff.id).version == 2
    assert audit_lines("staff")[-1].detail == "email"
    stale.last_name = "Janssen"
    with pytest.raises(Conflict):
        save_staff(SYSTEM, stale)
    assert Staff.get_by_id(staff.id).last_name == "Jansen"


@pytest.mark.parametrize("form, msgid, values", [
    (StaffForm(code="", last_name="X"),
     "The staff code is required: letters and digits, at most 12.", {}),
    (StaffForm(code="ABC", last_name=""), "The last name is required.", {}),
    (StaffForm(code="ABC", last_name="X", email="geen-adres"),
     "\"{value}\" is not an e-mail address.", {"value": "geen-adres"}),
    (StaffForm(code="ABC", last_name="X", roles=["koning"]), "Unknown role: {role}",
     {"role": "koning"}),
])
def test_bad_staff_input_is_refused_with_a_translated_message(db, form, msgid, values):
    with pytest.raises(ServiceError) as info:
        save_staff(SYSTEM, form)
    assert str(info.value) == _(msgid).format(**values)
    assert Staff.select().count() == 0


def test_duplicate_staff_code_refused(db):
    save_staff(SYSTEM, StaffForm(code="JNS", last_name="Jansen"))
    with pytest.raises(ServiceError):
        save_staff(SYSTEM, StaffForm(code="jns", last_name="Janssen"))
    assert Staff.select().count() == 1


def test_only_admin_roles_edit_staff(db):
    with pytest.raises(ServiceError):
        save_staff(MENTOR, StaffForm(code="JNS", last_name="Jansen"))


def test_class_with_mentors_and_mentor_change_bumps_version(db):
    a = save_staff(SYSTEM, StaffForm(code="JNS", last_name="Jansen"))
    b = save_staff(SYSTEM, StaffForm(code="VRS", last_name="Vries"))
    klass = save_class(SYSTEM, ClassForm(name="2b", leerjaar=2, department="onderbouw",
                                         mentor_ids=[a.id]))
    assert klass.name == "2B"
    form = class_form(klass.id)
    assert form.mentor_ids == [a.id]
    stale = class_form(klass.id)
    form.mentor_ids = [b.id, a.id]
    save_class(SYSTEM, form)
    assert class_form(klass.id).version == 2
    assert ClassMentor.select().where(ClassMentor.school_class == klass.id).count() == 2
    stale.mentor_ids = []
    with pytest.raises(Conflict):
        save_class(SYSTEM, stale)
    assert ClassMentor.select().where(ClassMentor.school_class == klass.id).count() == 2
    rows = ClassList(actor=SYSTEM).page(0, 10)
    assert rows[0][1] == "2B" and "JNS" in rows[0][4] and "VRS" in rows[0][4]


def test_class_choices_by_year_then_name(db):
    assert class_choices() == []
    ids = {name: save_class(SYSTEM, ClassForm(name=name, leerjaar=year)).id
           for name, year in (("2B", 2), ("1C", 1), ("2A", 2), ("1A", 1))}
    assert class_choices() == [(n, ids[n]) for n in ("1A", "1C", "2A", "2B")]


def test_class_name_unique_and_year_checked(db):
    save_class(SYSTEM, ClassForm(name="1A", leerjaar=1))
    with pytest.raises(ServiceError):
        save_class(SYSTEM, ClassForm(name="1a", leerjaar=1))
    with pytest.raises(ServiceError):
        save_class(SYSTEM, ClassForm(name="7X", leerjaar=7))


def test_guardian_created_linked_and_updated_with_version(db, student):
    link = save_guardian(SYSTEM, student.id, GuardianForm(
        last_name="Çelik", initials="A.", relation="moeder", street="Dorpsstraat",
        house_number="5", postcode="1234ab", city="Ede", email="a@example.nl",
        has_authority=True, receives_mail=True))
    form = guardian_form(SYSTEM, student.id, link.guardian_id)
    assert form.postcode == "1234AB" and form.relation == "moeder" and form.has_authority
    stale = guardian_form(SYSTEM, student.id, link.guardian_id)
    form.phone = "0612345678"
    form.receives_mail = False
    save_guardian(SYSTEM, student.id, form)
    fresh = guardian_form(SYSTEM, student.id, link.guardian_id)
    assert fresh.phone == "0612345678" and not fresh.receives_mail
    assert (fresh.version, fresh.link_version) == (2, 2)
    stale.city = "Arnhem"
    with pytest.raises(Conflict):
        save_guardian(SYSTEM, student.id, stale)
    assert Guardian.get_by_id(link.guardian_id).city == "Ede"
    details = [a.detail for a in audit_lines("guardian")]
    assert "phone" in details and not any("0612" in d for d in details)


def test_mail_to_parent_without_authority_needs_information_granted(db, student):
    with pytest.raises(ServiceError):
        save_guardian(SYSTEM, student.id, GuardianForm(last_name="Bouzid", has_authority=False,
                                                        receives_mail=True))
    assert Guardian.select().count() == 0
    save_guardian(SYSTEM, student.id, GuardianForm(last_name="Bouzid", has_authority=False,
                                                   receives_mail=True, info_granted=True))
    assert StudentGuardian.select().count() == 1


def test_link_existing_guardian_to_sibling_and_unlink(db, student):
    link = save_guardian(SYSTEM, student.id, GuardianForm(last_name="Çelik"))
    with write():
        sister = create(SYSTEM, Student, number="004599", first_name="Ela", last_name="Çelik")
    link_guardian(SYSTEM, sister.id, link.guardian_id, "moeder")
    with pytest.raises(ServiceError):
        link_guardian(SYSTEM, sister.id, link.guardian_id)
    assert StudentGuardian.select().count() == 2
    with pytest.raises(Conflict):
        unlink_guardian(SYSTEM, sister.id, link.guardian_id, link_version=5)
    unlink_guardian(SYSTEM, sister.id, link.guardian_id, link_version=1)
    assert StudentGuardian.select().count() == 1
    assert Guardian.select().count() == 1


def test_staff_list_filters_in_sql(db):
    save_staff(SYSTEM, StaffForm(code="JNS", first_name="Jan", last_name="Jansen"))
    save_staff(SYSTEM, StaffForm(code="VRS", first_name="Els", last_name="Vries"))
    assert StaffList(actor=SYSTEM).count() == 2
    assert [r[1] for r in StaffList(filters={"text": "vr"}, actor=SYSTEM).page(0, 10)] == ["VRS"]


def test_only_a_beheerder_changes_roles(db):
    """A coordinator who manages staff cannot hand out access (no role escalation)."""
    from pestdesk.services.base import Actor, ServiceError
    from pestdesk.services.staff import StaffForm, save_staff

    coordinator = Actor(1, "zc", None, frozenset({"ondersteuningscoordinator"}))
    beheerder = Actor(2, "bh", None, frozenset({"beheerder"}))
    with pytest.raises(ServiceError, match="beheerder"):
        save_staff(coordinator, StaffForm(code="XY", last_name="Bos", roles=("beheerder",)))
    plain = save_staff(coordinator, StaffForm(code="XY", last_name="Bos", roles=("mentor",)))
    with pytest.raises(ServiceError, match="beheerder"):
        save_staff(coordinator, StaffForm(id=plain.id, version=plain.version, code="XY",
                                          last_name="Bos", roles=("mentor", "directie")))
    renamed = save_staff(coordinator, StaffForm(id=plain.id, version=plain.version, code="XY",
                                                last_name="Bosch", roles=("mentor",)))
    assert renamed.last_name == "Bosch"
    promoted = save_staff(beheerder, StaffForm(id=renamed.id, version=renamed.version,
                                               code="XY", last_name="Bosch",
                                               roles=("mentor", "directie")))
    assert "directie" in promoted.roles
