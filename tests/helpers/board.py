"""A board database of two schools, built through the services: A (the file's first school)
and B, each with the people of ``cases.School`` plus a zorgcoordinator and a beheerder, a
case, a meeting with that case on its agenda and a student who left long ago; a bestuur
member working for both schools and a zorgcoordinator of A who also works at B.

B's student numbers, case numbers, class names and staff codes are the same as A's on
purpose: they are unique per school, and a door that mixed the schools up would show it.
"""

from __future__ import annotations

import datetime as dt

from pestdesk import clock
from pestdesk.services import meetings, schools
from pestdesk.services.base import SYSTEM, Actor, create, write
from pestdesk.store import models as m
from pestdesk.store import scope
from tests.helpers.cases import School

SECRET_B = "Geheimpje van het Tweede College"


def _person(code: str, username: str, roles: str) -> Actor:
    with write():
        staff = create(SYSTEM, m.Staff, code=code, first_name=code.title(),
                       last_name=f"Van {username}", roles=roles)
        user = create(SYSTEM, m.User, username=username, staff=staff.id)
    return Actor(user.id, username, staff.id, frozenset(roles.split(",")))


class Side:
    """One school of the board: its people, a case, a meeting and a student who left."""

    def __init__(self, school_id: int, name: str, prefix: str, summary: str) -> None:
        self.id = school_id
        self.school = School(name=name, prefix=prefix)
        self.zorg = _person("ZRG", prefix + "zorg", "ondersteuningscoordinator")
        self.admin = _person("BHR", prefix + "beheer", "beheerder")
        self.case = self.school.report(description=summary)
        self.student_ids = [s.id for s in self.school.students]
        meeting = meetings.plan_meeting(self.zorg, kind="IZO", starts_at=dt.datetime.combine(
            clock.today(), dt.time(10, 0)))
        self.meeting_id = meeting.id
        meetings.add_item(self.zorg, meeting.id, self.case.id, "Wat nu?")
        with write():
            self.left = create(SYSTEM, m.Student, number="9999", first_name="Oud",
                               last_name="Leerling", sort_name="leerling, oud",
                               left_on=clock.today() - dt.timedelta(days=365 * 8))


class Board:
    def __init__(self) -> None:
        self.a = Side(scope.FIRST_SCHOOL, "Het Eerste Lyceum", "", "Ruzie op het plein")
        self.b_id = schools.add_school(SYSTEM, "Het Tweede College")
        with scope.using(scope.Scope(frozenset({self.b_id}), self.b_id)):
            self.b = Side(self.b_id, "Het Tweede College", "b-", SECRET_B)
        # works for both schools: added by A, linked to B
        self.both = _person("TWE", "twee-locaties", "ondersteuningscoordinator")
        schools.link_staff(SYSTEM, self.both.staff_id, self.b_id)
        self.bestuur = _person("BST", "bestuur", "bestuur")
        schools.link_staff(SYSTEM, self.bestuur.staff_id, self.b_id)

    def a_people(self) -> dict[str, Actor]:
        """Everyone who works for A only (the doors are tried as each of them)."""
        s = self.a.school
        return {"zorg": self.a.zorg, "mentor": s.actor, "afdeling": s.other,
                "vertrouwenspersoon": s.confidant, "vakdocent": s.teacher,
                "beheerder": self.a.admin}
