"""Saving: stale versions are refused, every change leaves an audit line."""

from __future__ import annotations

import pytest

from pestdesk.services.base import (
    SYSTEM,
    Actor,
    Conflict,
    create,
    save_versioned,
    verify_audit_chain,
    write,
)
from pestdesk.store.models import AuditLog, Student


def make_student():
    with write():
        return create(SYSTEM, Student, number="1", first_name="Sem", last_name="Bakker")


def test_stale_save_is_refused_and_nothing_overwritten(db):
    student = make_student()
    alice = Actor(1, "alice")
    bob = Actor(2, "bob")
    alice_copy = Student.get_by_id(student.id)
    bob_copy = Student.get_by_id(student.id)
    with write():
        save_versioned(alice, alice_copy, alice_copy.version, first_name="Semmie")
    with pytest.raises(Conflict) as info, write():
        save_versioned(bob, bob_copy, bob_copy.version, last_name="Visser")
    assert "Iemand anders" in str(info.value)
    assert info.value.current["first_name"] == "Semmie"
    fresh = Student.get_by_id(student.id)
    assert (fresh.first_name, fresh.last_name, fresh.version) == ("Semmie", "Bakker", 2)


def test_changes_are_audited_without_personal_data(db):
    student = make_student()
    with write():
        save_versioned(Actor(7, "x"), student, student.version, first_name="Geheimenaam")
    lines = list(AuditLog.select().order_by(AuditLog.id))
    assert [(a.action, a.table) for a in lines] == [("create", "student"), ("update", "student")]
    assert lines[1].user == 7 and lines[1].detail == "first_name"
    assert all("Geheimenaam" not in (a.detail or "") for a in lines)
    assert verify_audit_chain() is None


def test_failed_transaction_leaves_no_audit_line(db):
    with pytest.raises(RuntimeError), write():
        create(SYSTEM, Student, number="2", first_name="A", last_name="B")
        raise RuntimeError("stop")
    assert Student.select().count() == 0
    assert AuditLog.select().count() == 0
