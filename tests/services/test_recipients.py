"""Who gets a letter: parents with authority, shared addresses, information rights, adults."""

from __future__ import annotations

import datetime as dt

import pytest

from pestdesk.services.base import SYSTEM
from pestdesk.services.recipients import age_on, plan_problems, recipients_for
from pestdesk.store.models import Guardian, SchoolClass, Student, StudentGuardian

TODAY = dt.date(2026, 11, 24)


@pytest.fixture
def klass(db):
    return SchoolClass.create(name="2B", leerjaar=2)


def make_student(klass, born=dt.date(2012, 3, 14), first="Zoë", last="Çelik"):
    n = Student.select().count() + 1
    return Student.create(
        number=f"{n:06d}", first_name=first, last_name=last, birth_date=born, school_class=klass
    )


def add_guardian(student, first, last, *, salutation="mevrouw", street="Kanaalkade",
                 number="12", postcode="1811 LB", city="Alkmaar", tv="", **link):
    g = Guardian.create(first_name=first, initials=first[0] + ".", tussenvoegsel=tv,
                        last_name=last, salutation=salutation, street=street,
                        house_number=number, postcode=postcode, city=city)
    StudentGuardian.create(student=student, guardian=g, **link)
    return g


def test_two_parents_at_two_addresses_get_two_letters(klass):
    s = make_student(klass)
    add_guardian(s, "Aylin", "Çelik", relation="moeder")
    add_guardian(s, "Joost", "Brûle", tv="van den", salutation="de heer", street="Laat",
                 number="3", postcode="1811ab", relation="vader")
    planned = recipients_for(SYSTEM, s.id, TODAY)
    assert [p.kind for p in planned] == ["guardian", "guardian"]
    assert planned[0].recipient.name_lines == ("Mevrouw A. Çelik",)
    assert planned[1].recipient.name_lines == ("De heer J. van den Brûle",)
    assert planned[1].recipient.salutation == "Geachte heer Van den Brûle"
    assert planned[1].recipient.street == "Laat"
    assert all(p.usable for p in planned)


def test_parents_at_one_address_get_one_letter_to_the_parents(klass):
    s = make_student(klass)
    add_guardian(s, "Aylin", "Çelik", number="12")
    add_guardian(s, "Joost", "Çelik", salutation="de heer", number=" 12 ", postcode="1811lb")
    planned = recipients_for(SYSTEM, s.id, TODAY)
    assert len(planned) == 1
    assert planned[0].kind == "guardians"
    assert planned[0].recipient.name_lines == ("De ouders/verzorgers van", "Zoë Çelik")
    assert planned[0].recipient.salutation == "Geachte mevrouw Çelik, geachte heer Çelik"


def test_parent_without_authority_only_when_information_was_granted(klass):
    s = make_student(klass)
    add_guardian(s, "Aylin", "Çelik")
    add_guardian(s, "Joost", "Bos", salutation="de heer", number="99", has_authority=False,
                 receives_mail=False, info_granted=False)
    assert [p.recipient.name for p in recipients_for(SYSTEM, s.id, TODAY)] == ["Mevrouw A. Çelik"]
    StudentGuardian.update(info_granted=True).where(StudentGuardian.student == s).execute()
    planned = recipients_for(SYSTEM, s.id, TODAY)
    assert [p.kind for p in planned] == ["guardian", "info"]
    assert planned[1].recipient.name == "De heer J. Bos"


def test_student_of_eighteen_is_addressed_directly_at_home(klass):
    s = make_student(klass, born=dt.date(2008, 11, 24), first="Daan", last="Bakker")
    add_guardian(s, "Els", "Bakker", street="", number="", postcode="", city="")
    add_guardian(s, "Piet", "Bakker", salutation="de heer", street="Dorpsstraat", number="4",
                 postcode="1851 AA", city="Heiloo")
    planned = recipients_for(SYSTEM, s.id, TODAY)
    assert [p.kind for p in planned] == ["student"]
    assert planned[0].recipient.name_lines == ("Daan Bakker",)
    assert planned[0].recipient.salutation == "Beste Daan"
    assert planned[0].recipient.city == "Heiloo"
    # one day younger: still a minor, the parents are written to
    StudentGuardian.delete().execute()
    Student.update(birth_date=dt.date(2008, 11, 25)).where(Student.id == s.id).execute()
    assert age_on(dt.date(2008, 11, 25), TODAY) == 17
    assert recipients_for(SYSTEM, s.id, TODAY) == []


def test_guardian_without_address_is_reported_before_printing(klass):
    s = make_student(klass)
    add_guardian(s, "Aylin", "Çelik", street="", number="", postcode="", city="")
    add_guardian(s, "Joost", "Bos", salutation="de heer", number="99", postcode="1811 XX")
    planned = recipients_for(SYSTEM, s.id, TODAY)
    assert len(planned) == 2
    bad = planned[0]
    assert not bad.usable
    assert any("straat ontbreekt" in p for p in bad.problems)
    assert planned[1].usable
    assert plan_problems(s.id, planned) == list(bad.problems)


def test_no_one_to_write_to_is_a_problem(klass):
    s = make_student(klass)
    problems = plan_problems(s.id, recipients_for(SYSTEM, s.id, TODAY))
    assert len(problems) == 1 and "Zoë Çelik" in problems[0]


def test_parent_with_authority_but_no_post_is_noted(klass):
    s = make_student(klass)
    add_guardian(s, "Aylin", "Çelik")
    add_guardian(s, "Joost", "Bos", salutation="de heer", number="99", receives_mail=False)
    planned = recipients_for(SYSTEM, s.id, TODAY)
    assert len(planned) == 1
    assert "Joost Bos" in planned[0].notes[0]
