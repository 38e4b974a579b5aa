"""Student exports: from rows of text to validated records, then to a sync plan.

Nothing here touches the database. ``parse_students`` checks every row and collects every
problem; ``build_plan`` compares the records with a snapshot of the students already stored
(made by ``pestdesk.services.people``) and says who is new, changed (and in which fields),
unchanged, left or returning. The service applies the plan in one transaction, and only when
the plan has no problems.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field

from .. import clock
from ..i18n import _
from .columns import (
    MAX_GUARDIANS,
    ColumnMapping,
    apply_explicit,
    column_indexes,
    missing_column_problems,
    suggest_mapping,
)
from .guardians import GuardianRecord, guardian_from_row
from .mentors import StaffIndex
from .problems import ImportProblem
from .reader import Table
from .values import clean, derive_leerjaar, normalise_gender, number_key, parse_date

# fields compared with the stored student; "class" and "mentor" are derived
NAME_FIELDS = ("first_name", "initials", "tussenvoegsel", "last_name")
KEEP_WHEN_EMPTY = ("birth_date", "gender")
MASS_LEAVE_SHARE = 0.5  # a "full" export lacking more than this share is refused
MASS_LEAVE_MINIMUM = 20


@dataclass
class StudentRecord:
    """One validated row of the export."""

    row: int
    number: str
    first_name: str
    last_name: str
    class_name: str
    initials: str = ""
    tussenvoegsel: str = ""
    birth_date: dt.date | None = None
    gender: str = ""
    leerjaar: int = 0
    mentor_texts: list[str] = field(default_factory=list)
    department: str = ""  # the class's afdeling as the file names it ("" when empty)
    guardians: list[GuardianRecord] = field(default_factory=list)
    provided: frozenset[str] = frozenset()  # fields the file has a column for

    @property
    def key(self) -> str:
        return number_key(self.number)


@dataclass(frozen=True)
class ExistingStudent:
    """What the database holds about a student, as far as an import compares it."""

    id: int
    version: int
    number: str
    first_name: str
    last_name: str
    initials: str = ""
    tussenvoegsel: str = ""
    birth_date: dt.date | None = None
    gender: str = ""
    class_name: str = ""
    left_on: dt.date | None = None
    mentor_ids: frozenset[int] = frozenset()


@dataclass(frozen=True)
class ExistingClass:
    id: int
    name: str
    leerjaar: int
    mentor_ids: frozenset[int] = frozenset()
    department: str = ""


@dataclass
class StudentChange:
    """A stored student the import updates; ``fields`` names what differs."""

    record: StudentRecord
    existing: ExistingStudent
    fields: tuple[str, ...]
    values: dict[str, object]  # model field -> new value (no class, no mentor)


@dataclass
class ClassPlan:
    """A class in the export: created when new; mentors and department replaced when the file
    names them."""

    name: str
    leerjaar: int
    existing: ExistingClass | None
    mentor_ids: tuple[int, ...] | None  # None: the file says nothing about mentors
    department: str | None = None  # None: the file says nothing about the department

    @property
    def mentors_changed(self) -> bool:
        if self.mentor_ids is None:
            return False
        current = self.existing.mentor_ids if self.existing else frozenset()
        return frozenset(self.mentor_ids) != current

    @property
    def department_changed(self) -> bool:
        """A stored class gets another department (a change of letter case is none: access
        compares departments without case)."""
        if self.department is None or self.existing is None:
            return False
        return self.department.casefold() != self.existing.department.casefold()


@dataclass
class ImportPlan:
    """Everything an import would do, and every reason it may not."""

    mapping: ColumnMapping
    problems: list[ImportProblem] = field(default_factory=list)
    warnings: list[ImportProblem] = field(default_factory=list)
    records: list[StudentRecord] = field(default_factory=list)
    new: list[StudentRecord] = field(default_factory=list)
    changed: list[StudentChange] = field(default_factory=list)
    unchanged: list[StudentRecord] = field(default_factory=list)
    left: list[ExistingStudent] = field(default_factory=list)
    returning: list[StudentChange] = field(default_factory=list)
    classes: dict[str, ClassPlan] = field(default_factory=dict)
    full_export: bool = True
    matched: dict[str, int] = field(default_factory=dict)  # number in file -> stored id
    guardian_counts: dict[str, int] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def counts(self) -> dict[str, int]:
        counts = {
            "rows": len(self.records),
            "new": len(self.new),
            "changed": len(self.changed),
            "unchanged": len(self.unchanged),
            "left": len(self.left),
            "returning": len(self.returning),
            "classes_new": sum(1 for c in self.classes.values() if c.existing is None),
            "classes_mentor_changed": sum(1 for c in self.classes.values() if c.mentors_changed),
            "classes_department_changed": sum(1 for c in self.classes.values()
                                              if c.department_changed),
            "problems": len(self.problems),
            "warnings": len(self.warnings),
        }
        counts.update(self.guardian_counts)
        return counts


def resolve_mapping(headers: list[str], explicit: Mapping[str, str | None] | None
                    ) -> tuple[ColumnMapping, list[ImportProblem]]:
    """The guessed mapping with the user's explicit choices laid over it."""
    mapping, problems = apply_explicit(suggest_mapping(headers), explicit, headers)
    return mapping, problems + missing_column_problems(mapping)


def parse_students(table: Table, explicit: Mapping[str, str | None] | None = None,
                   today: dt.date | None = None) -> ImportPlan:
    """Validate every row; the plan holds the records and every problem found."""
    today = today or clock.today()
    mapping, problems = resolve_mapping(table.headers, explicit) if table.headers else (
        ColumnMapping(), [])
    plan = ImportPlan(mapping=mapping, problems=list(table.problems) + problems)
    if not table.headers or mapping.missing():
        return plan
    indexes, index_problems = column_indexes(mapping, table.headers)
    plan.problems.extend(index_problems)
    seen: dict[str, int] = {}
    for row_number, row in zip(table.row_numbers, table.rows, strict=True):
        record = _record(row_number, row, indexes, mapping, today, plan)
        number = clean(row[indexes["number"]])
        first_row = seen.setdefault(number_key(number), row_number) if number else row_number
        if first_row != row_number:
            plan.problems.append(ImportProblem(row_number, mapping.fields["number"], _(
                "Student number {number} also appears in row {row}."
            ).format(number=number, row=first_row)))
        elif record is not None:
            plan.records.append(record)
    _check_departments(plan)
    return plan


def _check_departments(plan: ImportPlan) -> None:
    """A class belongs to one department: a row naming another one than the class's first row
    with a department is a problem (empty cells say nothing and agree with everything)."""
    first: dict[str, StudentRecord] = {}
    for record in plan.records:
        if not record.department:
            continue
        earlier = first.setdefault(record.class_name.upper(), record)
        if earlier.department.casefold() != record.department.casefold():
            plan.problems.append(ImportProblem(record.row, plan.mapping.fields["department"], _(
                "Class {klass} is in department \"{department}\" here, but in \"{first}\" in "
                "row {row}; a class belongs to one department. Correct the department of one "
                "of these rows.").format(klass=record.class_name, department=record.department,
                                        first=earlier.department, row=earlier.row)))


def _record(row_number: int, row: list[str], indexes: dict[str, int], mapping: ColumnMapping,
            today: dt.date, plan: ImportPlan) -> StudentRecord | None:
    def value(name: str) -> str:
        return clean(row[indexes[name]]) if name in indexes else ""

    ok = True
    for name, message in (
        ("number", _("The student number is empty.")),
        ("last_name", _("The last name is empty.")),
        ("first_name", _("The first name is empty.")),
        ("class", _("The class is empty.")),
    ):
        if not value(name):
            plan.problems.append(ImportProblem(row_number, mapping.fields[name], message))
            ok = False
    birth_date = None
    if "birth_date" in indexes:
        try:
            birth_date = parse_date(value("birth_date"))
        except ValueError as exc:
            plan.problems.append(ImportProblem(row_number, mapping.fields["birth_date"],
                                               str(exc)))
            ok = False
        if birth_date and birth_date > today:
            plan.problems.append(ImportProblem(row_number, mapping.fields["birth_date"], _(
                "The date of birth lies in the future.")))
            ok = False
    guardians = []
    for slot in range(1, MAX_GUARDIANS + 1):
        guardian, problems = guardian_from_row(slot, value, mapping, row_number)
        plan.problems.extend(problems)
        ok = ok and not problems
        if guardian is not None:
            guardians.append(guardian)
    if not ok:
        return None
    class_name = value("class")
    return StudentRecord(
        row=row_number, number=value("number"), first_name=value("first_name"),
        last_name=value("last_name"), class_name=class_name, initials=value("initials"),
        tussenvoegsel=value("tussenvoegsel"), birth_date=birth_date,
        gender=normalise_gender(value("gender")),
        leerjaar=derive_leerjaar(value("leerjaar"), class_name),
        mentor_texts=[t for t in (value("mentor"), value("mentor2")) if t],
        department=value("department"),
        guardians=guardians,
        provided=frozenset(indexes),
    )


def build_plan(plan: ImportPlan, existing: list[ExistingStudent], classes: list[ExistingClass],
               staff: StaffIndex, *, full_export: bool = True) -> ImportPlan:
    """Compare the parsed records with the stored students; fills ``plan`` in place."""
    plan.full_export = full_export
    if not plan.ok:
        return plan
    _plan_classes(plan, classes, staff)
    by_key = {number_key(s.number): s for s in existing}
    present = set()
    for record in plan.records:
        stored = by_key.get(record.key)
        if stored is None:
            plan.new.append(record)
            continue
        present.add(stored.id)
        plan.matched[record.number] = stored.id
        change = _compare(record, stored, plan.classes[record.class_name.upper()])
        if stored.left_on is not None:
            plan.returning.append(change)
        elif change.fields:
            plan.changed.append(change)
        else:
            plan.unchanged.append(record)
    if full_export:
        plan.left = [s for s in existing if s.left_on is None and s.id not in present]
        _guard_mass_leave(plan, existing)
    return plan


def _plan_classes(plan: ImportPlan, classes: list[ExistingClass], staff: StaffIndex) -> None:
    stored = {c.name.upper(): c for c in classes}
    mentors_given = plan.mapping.has("mentor") or plan.mapping.has("mentor2")
    wanted: dict[str, list[int]] = {}
    for record in plan.records:
        key = record.class_name.upper()
        if key not in plan.classes:
            existing = stored.get(key)
            plan.classes[key] = ClassPlan(
                name=existing.name if existing else record.class_name,
                leerjaar=existing.leerjaar if existing else record.leerjaar,
                existing=existing, mentor_ids=None)
            wanted[key] = []
        if record.department and plan.classes[key].department is None:
            plan.classes[key].department = record.department
        for text in record.mentor_texts:
            found, unknown = staff.resolve(text)
            for staff_id in found:
                if staff_id not in wanted[key]:
                    wanted[key].append(staff_id)
            for part in unknown:
                plan.warnings.append(ImportProblem(record.row, plan.mapping.fields.get(
                    "mentor", ""), _(
                    "Mentor \"{mentor}\" matches no staff member (or more than one); import "
                    "the staff first or use the staff code.").format(mentor=part)))
    if mentors_given:
        for key, ids in wanted.items():
            if ids:  # a class whose mentor cells are all empty keeps its mentors
                plan.classes[key].mentor_ids = tuple(ids)


def _compare(record: StudentRecord, stored: ExistingStudent, class_plan: ClassPlan
             ) -> StudentChange:
    values: dict[str, object] = {}
    for name in NAME_FIELDS:
        if name in record.provided and getattr(record, name) != getattr(stored, name):
            values[name] = getattr(record, name)
    for name in KEEP_WHEN_EMPTY:
        new = getattr(record, name)
        if name in record.provided and new not in (None, "") and new != getattr(stored, name):
            values[name] = new
    if len(record.number) > len(stored.number):  # the file restores lost leading zeros
        values["number"] = record.number
    fields = list(values)
    if class_plan.name != stored.class_name:
        fields.append("class")
    new_mentors = (frozenset(class_plan.mentor_ids) if class_plan.mentor_ids is not None
                   else class_plan.existing.mentor_ids if class_plan.existing else frozenset())
    if new_mentors != stored.mentor_ids:
        fields.append("mentor")
    if stored.left_on is not None:
        values["left_on"] = None
    return StudentChange(record, stored, tuple(fields), values)


def _guard_mass_leave(plan: ImportPlan, existing: list[ExistingStudent]) -> None:
    active = sum(1 for s in existing if s.left_on is None)
    if len(plan.left) >= MASS_LEAVE_MINIMUM and len(plan.left) > active * MASS_LEAVE_SHARE:
        plan.problems.append(ImportProblem(0, "", _(
            "This export lacks {missing} of the {active} current students; they would all be "
            "marked as having left. If the file holds only part of the school, import it as a "
            "partial export.").format(missing=len(plan.left), active=active)))
