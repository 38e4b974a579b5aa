"""A small school built through the services for case tests: one class with a mentor,
another class with another mentor, an afdelingscoordinator, a vertrouwenspersoon, a teacher,
their users and up to twelve students."""

from __future__ import annotations

import datetime as dt

from pestdesk import clock
from pestdesk.services import cases
from pestdesk.services.base import SYSTEM, Actor, create, write
from pestdesk.services.cases import InvolvedInput, ReportInput
from pestdesk.services.settings import SchoolProfile, save_school_profile
from pestdesk.store import models as m


class School:
    """A small school built through the services: one class, staff, users, students."""

    def __init__(self, protocol_code: str = "doultremont", students: int = 10,
                 name: str = "Testschool", prefix: str = "", first_number: int = 1000) -> None:
        """``name``, ``prefix`` (before every user name) and ``first_number`` let a test
        build a second school in a board database (user names are unique board-wide)."""
        save_school_profile(SYSTEM, SchoolProfile(name=name, protocol_code=protocol_code))
        names = ["Sem Bakker", "Noor de Vries", "Daan Jansen", "Fleur Visser", "Ayoub Amrani",
                 "Lotte Smit", "Emre Kaya", "Tess Mulder", "Bram de Groot", "Isa Bos",
                 "Milan Peters", "Roos Dekker"]
        with write():
            klass = create(SYSTEM, m.SchoolClass, name="2B", leerjaar=2, department="Onderbouw")
            other_class = create(SYSTEM, m.SchoolClass, name="5V", leerjaar=5,
                                 department="Bovenbouw")
            self.mentor = create(SYSTEM, m.Staff, code="MNT", first_name="Marieke",
                                 last_name="Mentor", roles="mentor")
            self.coordinator = create(SYSTEM, m.Staff, code="AFD", first_name="Erik",
                                      last_name="Afdeling", roles="afdelingscoordinator",
                                      departments="Onderbouw")
            stranger = create(SYSTEM, m.Staff, code="VWO", first_name="Anja",
                              last_name="Anders", roles="mentor")
            confidant = create(SYSTEM, m.Staff, code="VPS", first_name="Petra",
                               last_name="Vertrouwen", roles="vertrouwenspersoon")
            teacher = create(SYSTEM, m.Staff, code="VAK", first_name="Bas",
                             last_name="Docent", roles="vakdocent")
            m.ClassMentor.create(school_class=klass.id, staff=self.mentor.id)
            m.ClassMentor.create(school_class=other_class.id, staff=stranger.id)
            user = create(SYSTEM, m.User, username=prefix + "mentor", staff=self.mentor.id)
            user2 = create(SYSTEM, m.User, username=prefix + "afdeling",
                           staff=self.coordinator.id)
            users = [create(SYSTEM, m.User, username=prefix + s.code.lower(), staff=s.id)
                     for s in (stranger, confidant, teacher)]
            self.students = []
            for n, name in enumerate(names[:students]):
                first, last = name.split(" ", 1)
                self.students.append(create(
                    SYSTEM, m.Student, number=f"{first_number + n}", first_name=first,
                    last_name=last,
                    school_class=klass.id, sort_name=f"{last}, {first}".lower()))
        self.names = names[:students]
        self.actor = Actor(user.id, "mentor", self.mentor.id, frozenset({"mentor"}))
        self.other = Actor(user2.id, "afdeling", self.coordinator.id,
                           frozenset({"afdelingscoordinator"}))
        self.stranger = Actor(users[0].id, "vwo", stranger.id, frozenset({"mentor"}))
        self.confidant = Actor(users[1].id, "vps", confidant.id,
                               frozenset({"vertrouwenspersoon"}))
        self.teacher = Actor(users[2].id, "vak", teacher.id, frozenset({"vakdocent"}))

    def sid(self, n: int) -> int:
        return self.students[n].id

    def report(self, victim: int = 0, pesters: tuple[int, ...] = (1,), on: dt.date | None = None,
               forms: tuple[str, ...] = ("woorden",), **extra) -> m.Case:
        return self.report_as(self.actor, victim, pesters, on, forms, **extra)

    def report_as(self, actor: Actor, victim: int = 0, pesters: tuple[int, ...] = (1,),
                  on: dt.date | None = None, forms: tuple[str, ...] = ("woorden",),
                  **extra) -> m.Case:
        involved = (InvolvedInput(self.sid(victim), "gepeste"),) + tuple(
            InvolvedInput(self.sid(p), "pester") for p in pesters)
        return cases.register_report(actor, ReportInput(
            reported_on=on or clock.today(), summary="Uitschelden in de klas",
            reporter_kind="gepeste",
            locations=("klas",), forms=forms, involved=involved, **extra))
