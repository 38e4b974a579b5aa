"""A small real school for need-to-know tests: two lower-school classes (1A, 1B, department
"onderbouw") and one upper-school class (4H, "bovenbouw"), a case in each, a case a mentor of
1A registered about a 4H student, a teacher's signal, and a vertrouwenspersoon's confidential
note; one user per role."""

from __future__ import annotations

import datetime as dt
import functools
from types import SimpleNamespace

from pestdesk import clock
from pestdesk.services import accounts
from pestdesk.services.base import write
from pestdesk.store.models import (
    AgendaItem,
    Case,
    ClassMentor,
    Event,
    Involvement,
    Letter,
    Meeting,
    Sanction,
    SchoolClass,
    Staff,
    Student,
    User,
)

TODAY = clock.today()
PASSWORD = "correct horse battery"
ROLES = {
    "admin": ("beheerder", ""),
    "mentor_a": ("mentor,vakdocent", ""),
    "mentor_b": ("mentor", ""),
    "coord": ("afdelingscoordinator", "Onderbouw"),
    "coord_bb": ("afdelingscoordinator", "bovenbouw"),
    "zoco": ("ondersteuningscoordinator", ""),
    "directie": ("directie", ""),
    "zorgteam": ("zorgteam", ""),
    "vp": ("vertrouwenspersoon", ""),
    "docent": ("vakdocent", ""),
}


@functools.cache
def _hash() -> str:
    return accounts.hash_password(PASSWORD)


def build_school() -> SimpleNamespace:
    """The school above; returns actors (by name), students, cases and the secret note."""
    with write():
        classes = {name: SchoolClass.create(name=name, leerjaar=int(name[0]), department=dept)
                   for name, dept in (("1A", "onderbouw"), ("1B", "onderbouw"),
                                      ("4H", "bovenbouw"))}
        staff = {}
        for i, (key, (roles, depts)) in enumerate(ROLES.items(), start=1):
            staff[key] = Staff.create(code=f"S{i}", first_name="Mede", last_name=f"Werker{i}",
                                      roles=roles, departments=depts)
        ClassMentor.create(school_class=classes["1A"], staff=staff["mentor_a"])
        ClassMentor.create(school_class=classes["1B"], staff=staff["mentor_b"])
        students = {}
        for number, (klass, last) in {"1001": ("1A", "Akkerman"), "1002": ("1A", "Aalders"),
                                      "2001": ("1B", "Bosman"),
                                      "4001": ("4H", "Hendriks")}.items():
            students[number] = Student.create(number=number, first_name="Kind", last_name=last,
                                              school_class=classes[klass],
                                              sort_name=f"{last.lower()}, kind")
    with write():  # one hash for all: Argon2id costs ~30 ms a time
        users = {key: User.create(staff=staff[key], username=key, password_hash=_hash())
                 for key in ROLES}
    actors = {key: accounts.actor_for(User.get_by_id(u.id)) for key, u in users.items()}
    overdue = TODAY - dt.timedelta(days=3)
    with write():
        def case(number, victim, bully=None, creator=None, signal=False):
            c = Case.create(number=number, reported_on=TODAY - dt.timedelta(days=1),
                            summary=f"melding {number}", is_signal=signal, next_due_on=overdue,
                            created_by=users[creator] if creator else None)
            Involvement.create(case=c, student=students[victim], role="gepeste")
            if bully:
                Involvement.create(case=c, student=students[bully], role="pester")
            return c

        cases = SimpleNamespace(
            a=case("2026-0001", "1001", "1002"),
            b=case("2026-0002", "2001"),
            h=case("2026-0003", "4001"),
            reg=case("2026-0004", "4001", creator="mentor_a"),
            signal=case("2026-0005", "2001", creator="docent", signal=True),
        )
        Event.create(case=cases.a, kind="gesprek", occurred_on=TODAY, title="Gesprek mentor",
                     body="gewoon verslag", author=users["mentor_a"])
        secret = Event.create(case=cases.a, kind="vertrouwelijk", occurred_on=TODAY,
                              title="Vertrouwelijk", body="GEHEIM-VP-NOTITIE", confidential=True,
                              author=users["vp"])
        Sanction.create(case=cases.b, student=students["2001"], kind="schorsing",
                        inspectie_due_on=TODAY + dt.timedelta(days=2))
        Letter.create(case=cases.b, student=students["2001"], template_code="brief_b",
                      recipient="Ouders Bosman")
        meeting = Meeting.create(kind="IZO", starts_at=clock.now() + dt.timedelta(days=1))
        AgendaItem.create(meeting=meeting, case=cases.b, question="b")
        AgendaItem.create(meeting=meeting, case=cases.h, question="h")
    return SimpleNamespace(actors=actors, users=users, students=students, cases=cases,
                           secret=secret, staff=staff, classes=classes)
