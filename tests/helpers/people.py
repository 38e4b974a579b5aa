"""Shared set-up for the people screens: a real school database filled by the real imports."""

from __future__ import annotations

import datetime as dt

from pestdesk.services.base import SYSTEM, Actor, create, write
from pestdesk.services.people import import_staff, import_students
from pestdesk.store.models import Case, Involvement, Student
from tests.helpers.exports import STAFF_CSV, write_magister

TODAY = dt.date(2026, 1, 15)
ZORG = Actor(user_id=None, username="zorg", roles=frozenset({"beheerder",
                                                             "ondersteuningscoordinator"}))


def fill_school(tmp_path) -> dict:
    """Staff and six students with guardians from real export files, and two cases."""
    staff_file = tmp_path / "personeel.csv"
    staff_file.write_text(STAFF_CSV, encoding="utf-8")
    assert import_staff(SYSTEM, staff_file).applied
    result = import_students(SYSTEM, write_magister(tmp_path / "magister.csv"), today=TODAY)
    assert result.applied, result.problems
    zoe = Student.get(Student.number == "004512")
    daan = Student.get(Student.number == "004513")
    with write():
        old = create(SYSTEM, Case, number="2025-0007", reported_on=dt.date(2025, 10, 1),
                     summary="Buitengesloten in de pauze", status="closed")
        new = create(SYSTEM, Case, number="2026-0002", reported_on=dt.date(2026, 1, 10),
                     summary="Berichten in de klassenapp")
        create(SYSTEM, Involvement, case=old, student=zoe, role="gepeste")
        create(SYSTEM, Involvement, case=new, student=zoe, role="getuige")
        create(SYSTEM, Involvement, case=new, student=daan, role="pester")
    return {"zoe": zoe, "daan": daan, "old": old, "new": new}
