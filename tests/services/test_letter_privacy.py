"""Letters to parents are written for parents: never the internal report, no name that does
not belong (checked against every student and guardian of the school), no empty merge field,
and the legal parts checked on the printed text."""

from __future__ import annotations

import datetime as dt

import pytest

from pestdesk.services import letters
from pestdesk.services.accounts import actor_for
from pestdesk.services.base import SYSTEM, ServiceError, save_versioned, write
from pestdesk.services.demo import generate_demo
from pestdesk.store.models import (
    Case,
    Guardian,
    Involvement,
    Sanction,
    Student,
    StudentGuardian,
    User,
)
from tests.helpers.privacy import foreign_leaks, pdf_text

TODAY = dt.date(2026, 11, 24)
RETURN = {"meeting": {"datum": dt.date(2026, 12, 1)}}


@pytest.fixture
def demo(db):
    generate_demo(students=80, years=1, seed=2, today=TODAY)
    return actor_for(User.get(User.username == "zorg"))


@pytest.fixture
def victim_case(demo):
    inv = (Involvement.select().where(Involvement.role == "gepeste")
           .order_by(Involvement.id).first())
    case = Case.get_by_id(inv.case_id)
    other = Student.select().where(Student.id != inv.student_id).order_by(Student.id).first()
    mother = (Guardian.select().join(StudentGuardian)
              .where(StudentGuardian.student == other.id).first())
    with write():
        save_versioned(SYSTEM, case, case.version, description=(
            f"INTERN: {other.first_name} {other.tussenvoegsel} {other.last_name} pestte; "
            f"{mother.first_name} {mother.last_name} belde boos."))
    return inv, other, mother


def _name(p) -> str:
    return " ".join(x for x in (p.first_name, p.tussenvoegsel, p.last_name) if x)


def test_a_letter_never_copies_the_report(demo, victim_case):
    inv, other, _mother = victim_case
    plan = letters.prepare(demo, inv.case_id, inv.student_id, "informeren_ouders_gepeste",
                           letter_date=TODAY)
    assert plan.merge_data["case"]["omschrijving"] == letters.PARENT_TEXT[("gepeste", "nl")]
    assert plan.blocking() == []
    issued = letters.issue(demo, [(plan, r) for r in plan.usable])
    for letter in issued:
        text = pdf_text(letter.pdf)
        assert "INTERN" not in text
        assert foreign_leaks(text, [inv.student_id]) == []
        assert Student.get_by_id(inv.student_id).first_name in text


def test_a_parent_text_naming_another_child_or_parent_is_refused(demo, victim_case):
    inv, other, mother = victim_case
    for written in (f"Zij werd door {_name(other)} geschopt.",
                    f"{mother.first_name} {mother.last_name} heeft gebeld.",
                    f"Het was {other.first_name}s idee."):
        plan = letters.prepare(demo, inv.case_id, inv.student_id, "informeren_ouders_gepeste",
                               letter_date=TODAY, parent_text=written)
        blocking = plan.blocking()
        assert blocking and "niet in deze brief thuishoort" in blocking[0], written
        with pytest.raises(ServiceError, match="Er is niets uitgegeven"):
            letters.issue(demo, [(plan, r) for r in plan.usable])
    own = Student.get_by_id(inv.student_id)
    guardian = (Guardian.select().join(StudentGuardian)
                .where(StudentGuardian.student == own.id).first())
    plan = letters.prepare(demo, inv.case_id, inv.student_id, "informeren_ouders_gepeste",
                           letter_date=TODAY,
                           parent_text=f"{_name(own)} vertelde het aan {_name(guardian)}.")
    assert plan.blocking() == []


def test_an_empty_merge_field_blocks_and_is_named(demo):
    s = Sanction.select().where(Sanction.kind == "schorsing").order_by(Sanction.id).first()
    plan = letters.prepare(demo, s.case_id, s.student_id, "schorsing", letter_date=TODAY)
    assert plan.empty_fields() == ["meeting.datum"]
    with pytest.raises(ServiceError, match="meeting.datum"):
        letters.issue(demo, [(plan, plan.usable[0])])
    plan = letters.prepare(demo, s.case_id, s.student_id, "schorsing", letter_date=TODAY,
                           extra=RETURN)
    assert plan.empty_fields() == [] and plan.blocking() == []


def test_legal_parts_are_checked_on_the_printed_text(demo):
    s = Sanction.select().where(Sanction.kind == "schorsing").order_by(Sanction.id).first()
    source = letters.template_source("schorsing")
    text = source.text.replace("{{ sanction.bezwaar }}", "Neem gerust contact op.", 1)
    admin = actor_for(User.get(User.username == "beheer"))
    letters.save_template(admin, "schorsing", text, source.read_version)
    plan = letters.prepare(demo, s.case_id, s.student_id, "schorsing", letter_date=TODAY,
                           extra=RETURN)
    assert plan.empty_fields() == []  # the template is valid and fills every field it prints
    assert plan.missing_legal_parts()
    with pytest.raises(ServiceError, match="wat de wet vraagt"):
        letters.issue(demo, [(plan, plan.usable[0])])
    letters.restore_shipped(demo, "schorsing")
    plan = letters.prepare(demo, s.case_id, s.student_id, "schorsing", letter_date=TODAY,
                           extra=RETURN)
    assert plan.missing_legal_parts() == []


def test_a_sanction_reason_naming_the_victim_blocks_the_suspension_letter(demo):
    s = Sanction.select().where(Sanction.kind == "schorsing").order_by(Sanction.id).first()
    victim = (Involvement.select().where((Involvement.case == s.case_id)
                                         & (Involvement.role == "gepeste")).first())
    name = _name(victim.student)
    with write():
        save_versioned(SYSTEM, s, s.version, reason=f"Heeft {name} bedreigd.")
    plan = letters.prepare(demo, s.case_id, s.student_id, "schorsing", letter_date=TODAY,
                           extra=RETURN)
    assert any(name in why for why in plan.blocking())


def test_every_field_a_user_types_is_checked(demo, victim_case):
    """The compose dialog lets the user type every merge field the dossier leaves empty
    (a school board's address, the first day of a suspension, a contract's dates, ...):
    whatever is typed, in any group of any template, is checked for names before issuing."""
    inv, other, _mother = victim_case
    name = _name(other)
    for code, _title, _school in letters.template_choices():
        if letters.unfit_reason(code, inv.case_id):
            continue  # e.g. the cyber advice: not offered in a case without cyberbullying
        used = letters.prepare(demo, inv.case_id, inv.student_id, code,
                               letter_date=TODAY).template.used_fields("nl")
        for field in sorted(n for n in used if "." in n and "[]" not in n):
            group, _dot, key = field.partition(".")
            plan = letters.prepare(demo, inv.case_id, inv.student_id, code, letter_date=TODAY,
                                   extra={group: {key: f"samen met {name}"}})
            assert any(name in why for why in plan.blocking()), (code, field)


def test_a_filled_in_field_is_printed_and_no_sentence_is_left_hanging(demo):
    """Read the issued PDF back: the return meeting's date is in it, and the sentence that
    was refused while it was empty ("... op .") is nowhere."""
    import re

    from babel.dates import format_date as babel_date

    s = Sanction.select().where(Sanction.kind == "schorsing").order_by(Sanction.id).first()
    plan = letters.prepare(demo, s.case_id, s.student_id, "schorsing", letter_date=TODAY)
    refusal = " ".join(plan.blocking())
    assert "meeting.datum" in refusal and "Datum van het gesprek" in refusal
    plan = letters.prepare(demo, s.case_id, s.student_id, "schorsing", letter_date=TODAY,
                           extra=RETURN)
    issued = letters.issue(demo, [(plan, plan.usable[0])])
    text = " ".join(pdf_text(issued[0].pdf).split())
    assert babel_date(RETURN["meeting"]["datum"], "d MMMM y", locale="nl_NL") in text
    assert not re.search(r"\s[.,;:]", text), re.search(r".{30}\s[.,;:]", text)
