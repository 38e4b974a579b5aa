"""Bullying across classes starts where the protocol says (the afdelingscoördinator /
afdelingsleider), with that role's holder for the students' department as the owner."""

from __future__ import annotations

import pytest

from pestdesk.domain.protocol import ProtocolError, parse_protocol
from pestdesk.paths import PROTOCOLS_DIR
from pestdesk.services import cases
from pestdesk.services.base import SYSTEM
from pestdesk.store import models as m
from tests.helpers.cases import School
from tests.helpers.renamed import S


@pytest.mark.parametrize(("code", "stage", "title"), [
    ("doultremont", "afdelingscoordinator", "afdelingscoördinator"),
    ("dalton-alkmaar", "afdelingsleider", "afdelingsleider"),
])
def test_a_report_across_classes_starts_with_the_head_of_department(db, code, stage, title):
    school = School(code)
    case = school.report(scope="across_classes")  # reported by the mentor
    pester = cases.assess(case.id, actor=SYSTEM).pester(school.sid(1))
    assert pester.stage_code == S(stage) and pester.role_title == title
    assert pester.notices == () or all(n.code != "moved_with_open_steps" for n in pester.notices)
    assert m.Case.get_by_id(case.id).owner_id == school.coordinator.id
    assert m.Involvement.get(m.Involvement.student == school.sid(1)).stage_code == S(stage)


def test_a_report_within_one_class_starts_with_the_mentor(db):
    school = School("doultremont")
    case = school.report(scope="one_class")
    assert cases.assess(case.id, actor=SYSTEM).pester(school.sid(1)).stage_code == S("mentor")
    assert m.Case.get_by_id(case.id).owner_id == school.mentor.id


def test_the_head_of_department_may_step_back_to_the_mentor_with_a_reason(db):
    school = School("doultremont")
    case = school.report(scope="across_classes")
    with pytest.raises(cases.TransitionError):
        cases.deescalate(school.other, case.id, school.sid(1))
    cases.deescalate(school.other, case.id, school.sid(1), reason="Toch binnen de klas")
    assert cases.assess(case.id, actor=SYSTEM).pester(school.sid(1)).stage_code == S("mentor")


def test_an_unknown_start_stage_is_refused_with_line_and_field():
    source = (PROTOCOLS_DIR / "doultremont.toml").read_text(encoding="utf-8").replace(
        'across_classes_stage = "afdelingscoordinator"', 'across_classes_stage = "afdeling"')
    with pytest.raises(ProtocolError) as info:
        parse_protocol(source, "school.toml")
    assert info.value.field == "across_classes_stage"
    assert info.value.line == source.split("\n").index('across_classes_stage = "afdeling"') + 1
