"""The school's people: importing students and staff from the LVS, the student card and search,
and the AVG access export (inzage) of everything stored about one student.

An import reads and validates the whole file first (``pestdesk.importers``) and refuses it
whole on any problem. Only then, inside one ``BEGIN IMMEDIATE`` transaction, is the sync plan
made against the stored students and applied, so the plan applied is exactly the database it
was made from. Students are never deleted: one missing from a full export gets ``left_on``.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from peewee import JOIN, IntegrityError, fn

from .. import clock
from ..i18n import N_, _, format_number
from ..importers.guardians import (
    ExistingGuardian,
    ExistingLink,
    GuardianAction,
    GuardianMatcher,
)
from ..importers.mentors import StaffIndex, StaffRef
from ..importers.problems import ImportProblem
from ..importers.reader import read_table
from ..importers.staff import ExistingStaff, StaffPlan, build_staff_plan, parse_staff
from ..importers.students import (
    ExistingClass,
    ExistingStudent,
    ImportPlan,
    StudentChange,
    build_plan,
    parse_students,
)
from ..importers.values import fold, school_year
from ..store.models import (
    Action,
    AgendaItem,
    Agreement,
    Attachment,
    AuditLog,
    Case,
    ClassMentor,
    Consent,
    Contract,
    Event,
    Guardian,
    Involvement,
    Letter,
    Meeting,
    Sanction,
    SchoolClass,
    Staff,
    Student,
    StudentGuardian,
    utcnow,
)
from . import access, grants, lengths, names
from .base import (
    Actor,
    ServiceError,
    _chain_hash,  # the audit chain's own hash; base offers no batch writer yet
    advance_audit_head,
    audit,
    audit_row_payload,
    create,
    save_versioned,
    write,
)
from .lists import full_name, student_text_condition, student_text_rank

Progress = Callable[[int, int], None]
IMPORT_ROLES = ("beheerder", "ondersteuningscoordinator")
CHUNK = 200
IN_CHUNK = 500  # ids per IN (...) list: well under SQLite's variable limit


#: evidence files are listed in an AVG export, never included: a document, a PDF or a
#: picture may name other people, and only text can be redacted
EVIDENCE_NOT_INCLUDED = N_(
    "Not included in this export: an evidence file may name other people. The school can "
    "let you see it with the other people's names made unreadable.")

COUNT_LABELS = {
    "rows": N_("Rows in the file"), "new": N_("New"), "changed": N_("Changed"),
    "unchanged": N_("Unchanged"), "left": N_("Left school (not in the file)"),
    "returning": N_("Returning"), "classes_new": N_("New classes"),
    "classes_mentor_changed": N_("Classes with other mentors"),
    "classes_department_changed": N_("Classes with another department"),
    "guardians_new": N_("New guardians"), "guardians_changed": N_("Changed guardians"),
}


@dataclass
class ImportResult:
    """What an import did (or, for a dry run or a refused file, would do)."""

    plan: ImportPlan | StaffPlan
    applied: bool
    dry_run: bool
    #: what the import changes that a count does not say: whose mentorship (names)
    notices: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        return self.plan.ok

    @property
    def problems(self) -> list[ImportProblem]:
        return self.plan.problems

    @property
    def warnings(self) -> list[ImportProblem]:
        return self.plan.warnings

    @property
    def counts(self) -> dict[str, int]:
        return self.plan.counts

    def summary(self) -> str:
        """The command line's report: the verdict, the counts, then every problem and warning
        with its row and column."""
        if not self.ok and len(self.problems) == 1 and not self.warnings:
            return _("The file was refused; nothing was changed: {problem}").format(
                problem=_describe(self.problems[0]))
        if not self.ok:
            head = _("The file was refused; nothing was changed. Problems:")
        elif self.dry_run:
            head = _("Dry run: nothing was changed. This import would give:")
        else:
            head = _("The import is done.")
        lines = [head]
        if self.ok:
            counts = self.counts
            lines += [f"  {_(label)}: {format_number(counts[key])}"
                      for key, label in COUNT_LABELS.items() if key in counts]
            lines += [f"  {notice}" for notice in self.notices]
        for kind, items in ((_("problem"), self.problems), (_("warning"), self.warnings)):
            lines += [f"  {kind}: {_describe(item)}" for item in items]
        return "\n".join(lines)


def _describe(problem: ImportProblem) -> str:
    where = []
    if problem.row:
        where.append(_("row {row}").format(row=problem.row))
    if problem.column:
        where.append(_("column {column}").format(column=problem.column))
    return f"{', '.join(where)}: {problem.message}" if where else problem.message


def sort_name_for(first_name: str, tussenvoegsel: str, last_name: str) -> str:
    """"achternaam, roepnaam tussenvoegsel", lowercase and without accents: "vries, jan de".

    Accents are folded so that Çelik sorts among the C and a search for "celik" finds her
    (SQLite's LIKE and ORDER BY compare bytes); ``search_students_query`` folds its words too.
    """
    given = " ".join(p for p in (first_name.strip(), tussenvoegsel.strip()) if p)
    return fold(f"{last_name.strip()}, {given}".strip().strip(","))


def display_name(first_name: str, tussenvoegsel: str, last_name: str) -> str:
    return " ".join(p for p in (first_name, tussenvoegsel, last_name) if p)


def _require(actor: Actor, roles: Iterable[str]) -> None:
    if not actor.has_role(*roles):
        raise ServiceError(_("You do not have the rights to do this."))


def _chunks(items: list, size: int) -> Iterable[list]:
    for start in range(0, len(items), size):
        yield items[start:start + size]


# --- student import ---------------------------------------------------------------------------


def import_students(actor: Actor, path: str | Path, *, mapping: Mapping[str, str | None] | None
                    = None, dry_run: bool = False, today: dt.date | None = None,
                    progress: Progress | None = None, full_export: bool = True) -> ImportResult:
    """Validate, plan and (unless ``dry_run`` or the file has problems) apply a student export.

    ``mapping`` is the user's ``{field: header}`` choice laid over the guess. With
    ``full_export`` (the default) active students missing from the file are marked as left on
    ``today``; a partial export (one class) leaves them alone. Either everything is applied in
    one transaction or nothing is. ``progress(done, total)`` is called from the calling thread
    (``(0, 0)`` first: reading and checking the file, length unknown).
    """
    _require(actor, IMPORT_ROLES)
    today = today or clock.today()
    report = progress or (lambda done, total: None)
    report(0, 0)
    plan = parse_students(read_table(path), mapping, today)
    _length_problems(plan, _student_texts(plan))
    if not plan.ok:
        return ImportResult(plan, applied=False, dry_run=dry_run)
    if dry_run:
        _plan_against_database(plan, full_export)
        notices = _check_mentors(actor, plan)
        return ImportResult(plan, applied=False, dry_run=True, notices=notices)
    try:
        with write():
            matcher = _plan_against_database(plan, full_export)
            notices = _check_mentors(actor, plan)
            if not plan.ok:
                return ImportResult(plan, applied=False, dry_run=False, notices=notices)
            _apply(actor, plan, matcher, today, report)
    except IntegrityError as exc:
        raise ServiceError(_("The import failed and changed nothing: {reason}").format(
            reason=str(exc))) from exc
    return ImportResult(plan, applied=True, dry_run=False, notices=notices)


def _check_mentors(actor: Actor, plan: ImportPlan) -> tuple[str, ...]:
    """The class dialog's mentor rule (``staff.check_mentor_change``) for every class whose
    mentors the file changes -- a refusal is a problem of the class's first row, so nothing
    is written -- and one line per such class naming the mentors before and after."""
    from .staff import check_department_change, check_mentor_change, check_student_move

    if not plan.ok:
        return ()
    first_row = {}
    for record in plan.records:
        first_row.setdefault(record.class_name.upper(), record.row)
    for change in plan.changed + plan.returning:  # a student moved into the importer's class
        key = change.record.class_name.upper()
        if key == (change.existing.class_name or "").upper() or key not in plan.classes:
            continue
        target = plan.classes[key]
        mentors = (target.mentor_ids if target.mentor_ids is not None
                   else target.existing.mentor_ids if target.existing else ())
        department = (target.department if target.department is not None
                      else target.existing.department if target.existing else "")
        try:
            check_student_move(actor, mentors, department or "")
        except ServiceError as exc:
            plan.problems.append(ImportProblem(change.record.row,
                                               plan.mapping.fields.get("class", ""), str(exc)))
    for key, c in sorted(plan.classes.items()):  # the class dialog's department rule too
        if c.department is not None and (c.existing is None or c.department_changed):
            try:
                check_department_change(actor, c.existing.department if c.existing else "",
                                        c.department)
            except ServiceError as exc:
                plan.problems.append(ImportProblem(
                    first_row.get(key, 0), plan.mapping.fields.get("department", ""), str(exc)))
    changed = [(key, c) for key, c in sorted(plan.classes.items()) if c.mentors_changed]
    if not changed:
        return ()
    column = plan.mapping.fields.get("mentor", "") or plan.mapping.fields.get("mentor2", "")
    ids = {i for _k, c in changed for i in (*(c.mentor_ids or ()),
                                           *(c.existing.mentor_ids if c.existing else ()))}
    who = {row[0]: f"{row[2]} ({row[1]})" for row in
           Staff.select(Staff.id, Staff.code, full_name(Staff))
           .where(Staff.id.in_(sorted(ids))).tuples()}
    notices = []
    for key, c in changed:
        old = c.existing.mentor_ids if c.existing else frozenset()
        try:
            check_mentor_change(actor, old, c.mentor_ids or ())
        except ServiceError as exc:
            plan.problems.append(ImportProblem(first_row.get(key, 0), column, str(exc)))
        before = ", ".join(sorted(who.get(i, "?") for i in old)) or _("none")
        after = ", ".join(who.get(i, "?") for i in c.mentor_ids or ()) or _("none")
        notices.append(_("Class {name}: mentors {before} become {after}").format(
            name=c.name, before=before, after=after))
    return tuple(notices)


def _student_texts(plan: ImportPlan):
    """(row, table, column prefix, {field: text}) for every text a student import stores."""
    for r in plan.records:
        yield r.row, "student", "", {"number": r.number, "first_name": r.first_name,
                                     "initials": r.initials, "tussenvoegsel": r.tussenvoegsel,
                                     "last_name": r.last_name}
        yield r.row, "school_class", "", {"name": r.class_name, "department": r.department}
        for g in r.guardians:
            yield r.row, "guardian", f"guardian{g.slot}_", g.values
            yield r.row, "student_guardian", f"guardian{g.slot}_", {"relation": g.relation}


def _staff_texts(plan: StaffPlan):
    for r in plan.records:
        yield r.row, "staff", "", {"code": r.code, "first_name": r.first_name,
                                   "tussenvoegsel": r.tussenvoegsel, "last_name": r.last_name,
                                   "email": r.email, "departments": r.departments or ""}


def _length_problems(plan: ImportPlan | StaffPlan, texts) -> None:
    """A text longer than its field takes (``services.lengths``) is a row problem, with the
    column it came from: the import is refused, as for any other problem."""
    headers = plan.mapping.fields
    for row, table, prefix, values in texts:
        for field, message in lengths.problems(table, values).items():
            plan.problems.append(ImportProblem(row, headers.get(prefix + field, ""), message))


def _plan_against_database(plan: ImportPlan, full_export: bool) -> GuardianMatcher:
    mentors = _class_mentors()
    classes = [ExistingClass(c.id, c.name, c.leerjaar, mentors.get(c.id, frozenset()),
                             c.department)
               for c in SchoolClass.select()]
    build_plan(plan, _existing_students(mentors), classes, _staff_index(),
               full_export=full_export)
    matcher = GuardianMatcher(*_existing_guardians())
    if plan.ok:
        for record in plan.records:
            if record.guardians:
                matcher.plan(record.number, plan.matched.get(record.number), record.guardians)
        plan.guardian_counts = matcher.counts()
    return matcher


def _class_mentors() -> dict[int, frozenset[int]]:
    found: dict[int, set[int]] = {}
    for row in ClassMentor.select(ClassMentor.school_class, ClassMentor.staff).tuples():
        found.setdefault(row[0], set()).add(row[1])
    return {k: frozenset(v) for k, v in found.items()}


def _existing_students(mentors: dict[int, frozenset[int]]) -> list[ExistingStudent]:
    query = (Student.select(Student.id, Student.version, Student.number, Student.first_name,
                            Student.last_name, Student.initials, Student.tussenvoegsel,
                            Student.birth_date, Student.gender, Student.school_class,
                            SchoolClass.name, Student.left_on)
             .join(SchoolClass, JOIN.LEFT_OUTER).tuples())
    return [
        ExistingStudent(id=r[0], version=r[1], number=r[2], first_name=r[3], last_name=r[4],
                        initials=r[5], tussenvoegsel=r[6], birth_date=r[7], gender=r[8],
                        class_name=r[10] or "", left_on=r[11],
                        mentor_ids=mentors.get(r[9], frozenset()))
        for r in query
    ]


def _staff_index() -> StaffIndex:
    rows = Staff.select(Staff.id, Staff.code, Staff.first_name, Staff.tussenvoegsel,
                        Staff.last_name).where(Staff.active == True).tuples()  # noqa: E712
    return StaffIndex([StaffRef(*row) for row in rows])


def _existing_guardians() -> tuple[list[ExistingGuardian], list[ExistingLink]]:
    fields = ("first_name", "initials", "tussenvoegsel", "last_name", "salutation", "street",
              "house_number", "postcode", "city", "country", "email", "phone")
    guardians = [
        ExistingGuardian(g["id"], g["version"], {k: g[k] for k in fields})
        for g in Guardian.select().dicts()
    ]
    links = [
        ExistingLink(*row)
        for row in StudentGuardian.select(
            StudentGuardian.id, StudentGuardian.version, StudentGuardian.student,
            StudentGuardian.guardian, StudentGuardian.relation, StudentGuardian.has_authority
        ).tuples()
    ]
    return guardians, links


class _Ticker:
    """Report progress every ``every`` items without flooding a progress dialog."""

    def __init__(self, report: Progress, total: int, every: int = 100):
        self.report, self.total, self.every, self.done = report, total, every, 0

    def __call__(self, count: int = 1) -> None:
        before = self.done
        self.done += count
        if self.done // self.every != before // self.every or self.done == self.total:
            self.report(self.done, self.total)


def _apply(actor: Actor, plan: ImportPlan, matcher: GuardianMatcher, today: dt.date,
           report: Progress) -> None:
    total = (len(plan.new) + len(plan.changed) + len(plan.returning) + len(plan.left)
             + len(matcher.actions))
    tick = _Ticker(report, total)
    class_ids = _apply_classes(actor, plan, today)
    _apply_mentors(actor, plan, class_ids)
    student_ids = dict(plan.matched)
    student_ids.update(_create_students(actor, plan, class_ids, tick))
    _update_students(actor, plan.changed + plan.returning, class_ids, tick)
    _mark_left(actor, plan, today, tick)
    _apply_guardians(actor, matcher, student_ids, tick)
    audit(actor, "import", "student", None, json.dumps(plan.counts, sort_keys=True))
    report(total, total)


def _apply_classes(actor: Actor, plan: ImportPlan, today: dt.date) -> dict[str, int]:
    """Create the new classes (with their department) and give stored classes the department
    the file names for them; the class ids by upper-case name."""
    ids = {}
    for key, planned in plan.classes.items():
        if planned.existing is None:
            ids[key] = create(actor, SchoolClass, name=planned.name, leerjaar=planned.leerjaar,
                              department=planned.department or "",
                              school_year=school_year(today)).id
            continue
        ids[key] = planned.existing.id
        if planned.department_changed:
            klass = SchoolClass.get_by_id(planned.existing.id)
            save_versioned(actor, klass, klass.version, department=planned.department)
    return ids


def _apply_mentors(actor: Actor, plan: ImportPlan, class_ids: dict[str, int]) -> None:
    for key, planned in plan.classes.items():
        if not planned.mentors_changed:
            continue
        wanted = set(planned.mentor_ids or ())
        class_id = class_ids[key]
        for link in ClassMentor.select().where(ClassMentor.school_class == class_id):
            if link.staff_id not in wanted:
                link.delete_instance()
                audit(actor, "delete", "class_mentor", link.id, "import")
            else:
                wanted.discard(link.staff_id)
        for staff_id in planned.mentor_ids or ():
            if staff_id in wanted:
                link_id = ClassMentor.insert(school_class=class_id, staff=staff_id).execute()
                audit(actor, "create", "class_mentor", link_id, "import")


def _create_students(actor: Actor, plan: ImportPlan, class_ids: dict[str, int],
                     tick: _Ticker) -> dict[str, int]:
    now = utcnow()
    created: dict[str, int] = {}
    lines = _AuditBatch(actor)
    for chunk in _chunks(plan.new, CHUNK):
        rows = [{
            "number": r.number, "first_name": r.first_name, "initials": r.initials,
            "tussenvoegsel": r.tussenvoegsel, "last_name": r.last_name,
            "birth_date": r.birth_date, "gender": r.gender,
            "school_class": class_ids[r.class_name.upper()],
            "sort_name": sort_name_for(r.first_name, r.tussenvoegsel, r.last_name),
            "version": 1, "created_at": now, "updated_at": now,
        } for r in chunk]
        Student.insert_many(rows).execute()
        found = dict(Student.select(Student.number, Student.id)
                     .where(Student.number.in_([r.number for r in chunk])).tuples())
        for record in chunk:
            lines.add("create", "student", found[record.number])
        created.update(found)
        tick(len(chunk))
    lines.flush()
    return created


def _students_by_id(ids: list[int]) -> dict[int, Student]:
    query = (Student.select(Student, SchoolClass).join(SchoolClass, JOIN.LEFT_OUTER)
             .where(Student.id.in_(ids)))
    return {s.id: s for s in query}


def _update_students(actor: Actor, changes: list[StudentChange], class_ids: dict[str, int],
                     tick: _Ticker) -> None:
    for chunk in _chunks(changes, IN_CHUNK):
        loaded = _students_by_id([c.existing.id for c in chunk])
        for change in chunk:
            student = loaded[change.existing.id]
            values = dict(change.values)
            if "class" in change.fields:
                values["school_class"] = class_ids[change.record.class_name.upper()]
            names = {k: values.get(k, getattr(student, k))
                     for k in ("first_name", "tussenvoegsel", "last_name")}
            values["sort_name"] = sort_name_for(**names)
            save_versioned(actor, student, student.version, **values)
        tick(len(chunk))


def _mark_left(actor: Actor, plan: ImportPlan, today: dt.date, tick: _Ticker) -> None:
    for chunk in _chunks(plan.left, IN_CHUNK):
        loaded = _students_by_id([s.id for s in chunk])
        for stored in chunk:
            student = loaded[stored.id]
            save_versioned(actor, student, student.version, left_on=today)
        tick(len(chunk))


def _apply_guardians(actor: Actor, matcher: GuardianMatcher, student_ids: dict[str, int],
                     tick: _Ticker) -> None:
    new_ids = _insert_guardians(actor, matcher.new_records)
    updates: dict[int, dict[str, str]] = {}
    for action in matcher.actions:
        if action.guardian_id and action.changes:
            updates.setdefault(action.guardian_id, {}).update(action.changes)
    for chunk in _chunks(list(updates), IN_CHUNK):
        for guardian in Guardian.select().where(Guardian.id.in_(chunk)):
            save_versioned(actor, guardian, guardian.version, **updates[guardian.id])
    new_links: dict[tuple[int, int], GuardianAction] = {}
    for action in matcher.actions:
        key = (student_ids[action.student_number],
               action.guardian_id or new_ids[action.new_ref])
        if action.link is None:
            new_links.setdefault(key, action)
        elif action.link_changes:
            link = StudentGuardian.get_by_id(action.link.id)
            save_versioned(actor, link, link.version, **action.link_changes)
    _insert_links(actor, new_links)
    tick(len(matcher.actions))


def _insert_guardians(actor: Actor, records: list) -> list[int]:
    """insert_many, then find the new ids by content (portable: no reliance on id order)."""
    if not records:
        return []
    first_new = (Guardian.select(fn.MAX(Guardian.id)).scalar() or 0) + 1
    now = utcnow()
    for chunk in _chunks(records, CHUNK):
        Guardian.insert_many([dict(r.values, version=1, created_at=now, updated_at=now)
                              for r in chunk]).execute()
    columns = [getattr(Guardian, name) for name in records[0].values]
    by_content: dict[tuple, list[int]] = {}
    for row in (Guardian.select(Guardian.id, *columns).where(Guardian.id >= first_new)
                .order_by(Guardian.id).tuples()):
        by_content.setdefault(tuple(row[1:]), []).append(row[0])
    ids = [by_content[tuple(r.values.values())].pop(0) for r in records]
    lines = _AuditBatch(actor)
    for guardian_id in ids:
        lines.add("create", "guardian", guardian_id)
    lines.flush()
    return ids


def _insert_links(actor: Actor, new_links: dict[tuple[int, int], GuardianAction]) -> None:
    now = utcnow()
    rows = [{"student": student_id, "guardian": guardian_id,
             "relation": action.record.relation, "has_authority": action.record.has_authority,
             "receives_mail": action.record.has_authority, "version": 1,
             "created_at": now, "updated_at": now}
            for (student_id, guardian_id), action in new_links.items()]
    lines = _AuditBatch(actor)
    for chunk in _chunks(rows, CHUNK):
        StudentGuardian.insert_many(chunk).execute()
        students = list({row["student"] for row in chunk})
        found = {(sid, gid): link_id for link_id, sid, gid in StudentGuardian.select(
            StudentGuardian.id, StudentGuardian.student, StudentGuardian.guardian)
            .where(StudentGuardian.student.in_(students)).tuples()}
        for row in chunk:
            lines.add("create", "student_guardian", found[(row["student"], row["guardian"])])
    lines.flush()


class _AuditBatch:
    """Audit lines for bulk inserts, chained exactly as ``audit()`` does, written with
    insert_many. Flush before anything else writes audit lines, so the chain stays in id
    order."""

    def __init__(self, actor: Actor):
        self.actor = actor
        self.lines: list[tuple[str, str, int]] = []

    def add(self, action: str, table: str, record_id: int) -> None:
        self.lines.append((action, table, record_id))

    def flush(self) -> None:
        if not self.lines:
            return
        last = AuditLog.select(AuditLog.hash).order_by(AuditLog.id.desc()).limit(1).first()
        prev = last.hash if last else ""
        rows = []
        for action, table, record_id in self.lines:
            entry = AuditLog(at=utcnow(), user=self.actor.user_id, action=action, table=table,
                             record_id=record_id, detail="import", prev_hash=prev)
            entry.hash = prev = _chain_hash(prev, audit_row_payload(entry))
            rows.append({k: v for k, v in entry.__data__.items() if k != "id"})
        for chunk in _chunks(rows, CHUNK):
            AuditLog.insert_many(chunk).execute()
        advance_audit_head(len(rows), prev)
        self.lines = []


# --- staff import -----------------------------------------------------------------------------


def import_staff(actor: Actor, path: str | Path, dry_run: bool = False, *,
                 mapping: Mapping[str, str | None] | None = None) -> ImportResult:
    """Create and update Staff rows from a staff export, all or nothing.

    Staff missing from the file are left as they are (a staff export is often partial); a
    roles or departments cell that is empty keeps the stored roles or departments.
    """
    _require(actor, IMPORT_ROLES)
    plan = parse_staff(read_table(path), mapping)
    _length_problems(plan, _staff_texts(plan))
    if not plan.ok or dry_run:
        if plan.ok:
            build_staff_plan(plan, _existing_staff())
            _check_staff_roles(actor, plan)
        return ImportResult(plan, applied=False, dry_run=dry_run)
    with write():
        build_staff_plan(plan, _existing_staff())
        requested = _check_staff_roles(actor, plan)
        if not plan.ok:  # a role the importer may not give: nothing is written
            return ImportResult(plan, applied=False, dry_run=False)
        for record in plan.new:
            staff = create(actor, Staff, code=record.code, first_name=record.first_name,
                           tussenvoegsel=record.tussenvoegsel, last_name=record.last_name,
                           email=record.email, roles=record.roles or "",
                           departments=record.departments or "")
            grants.after_role_change(actor, staff.id, requested[record.row], staff.roles)
        for record, stored, changes in plan.changed:
            staff = Staff.get_by_id(stored.id)
            save_versioned(actor, staff, staff.version, **changes)
            grants.after_role_change(actor, staff.id, requested[record.row], staff.roles)
        audit(actor, "import", "staff", None, json.dumps(plan.counts, sort_keys=True))
    return ImportResult(plan, applied=True, dry_run=False)


def _check_staff_roles(actor: Actor, plan) -> dict[int, set[str]]:
    """The same role rule as the staff dialog (``grants.check_role_change``) for every row;
    a refusal is a problem of that row. Returns row -> the dossier roles it asks for."""
    requested: dict[int, set[str]] = {}
    column = plan.mapping.fields.get("roles", "")
    rows = [(r, None, {"roles": r.roles or "", "departments": r.departments or ""})
            for r in plan.new] + list(plan.changed)
    for record, stored, changes in rows:
        old_roles = stored.roles if stored else ""
        old_departments = stored.departments if stored else ""
        try:
            requested[record.row] = grants.check_role_change(
                actor, stored.id if stored else None, old_roles, old_departments,
                changes.get("roles", old_roles), changes.get("departments", old_departments))
        except ServiceError as exc:
            plan.problems.append(ImportProblem(record.row, column, str(exc)))
    return requested


def _existing_staff() -> list[ExistingStaff]:
    return [
        ExistingStaff(s.id, s.version, s.code, s.first_name, s.tussenvoegsel, s.last_name,
                      s.email, s.roles, s.active, s.departments)
        for s in Staff.select()
    ]


# --- student card and search ------------------------------------------------------------------


def search_students_query(text: str = "", *, include_left: bool = True,
                          actor: Actor, exclude: Iterable[int] = (),
                          to_report: bool = False):
    """Students matching every word of ``text`` in name, number or class, by sort_name.

    Returns a peewee query (filtered and ordered in SQL) for a Qt model to page through;
    rows carry ``school_class`` joined, so showing the class costs no extra query. Only the
    students ``actor`` may see (``access.student_visibility``) are found; ``to_report``: the
    current students ``actor`` may name in a report (``access.reportable_students``).
    """
    if to_report:  # naming shows name, class and number only: nothing else is read
        S = Student
        query = (S.select(S.id, S.number, S.first_name, S.tussenvoegsel, S.last_name,
                          S.sort_name, S.left_on, S.school_class, SchoolClass.id,
                          SchoolClass.name)
                 .join(SchoolClass, JOIN.LEFT_OUTER).where(access.reportable_students(actor)))
    else:
        query = (Student.select(Student, SchoolClass).join(SchoolClass, JOIN.LEFT_OUTER)
                 .where(access.student_visibility(actor)))
    condition = student_text_condition(text or "")
    if condition is not None:
        query = query.where(condition)
    if not include_left:
        query = query.where(Student.left_on.is_null())
    exclude = list(exclude)
    if exclude:  # those already chosen
        query = query.where(Student.id.not_in(exclude))
    return query.order_by(student_text_rank(text or "").desc(), Student.sort_name,
                          Student.number)


@dataclass(frozen=True, slots=True)
class StudentMatch:
    """A student found by typing, as a picker lists them (name, class and number only)."""

    id: int
    number: str
    first_name: str
    tussenvoegsel: str
    last_name: str
    class_name: str  # "" without a class


def find_students(text: str, *, actor: Actor, limit: int, include_left: bool = True,
                  exclude: Iterable[int] = (), to_report: bool = False) -> list[StudentMatch]:
    """The first ``limit`` students of ``search_students_query`` as records."""
    query = search_students_query(text, include_left=include_left, actor=actor,
                                  exclude=exclude, to_report=to_report)
    return [StudentMatch(id=s.id, number=s.number, first_name=s.first_name or "",
                         tussenvoegsel=s.tussenvoegsel or "", last_name=s.last_name or "",
                         class_name=s.school_class.name if s.school_class_id else "")
            for s in query.limit(limit)]


def _guardian_dict(link: StudentGuardian) -> dict:
    g = link.guardian
    return {
        "id": g.id, "name": display_name(g.first_name or g.initials, g.tussenvoegsel,
                                         g.last_name),
        "first_name": g.first_name, "initials": g.initials, "tussenvoegsel": g.tussenvoegsel,
        "last_name": g.last_name, "salutation": g.salutation, "street": g.street,
        "house_number": g.house_number, "postcode": g.postcode, "city": g.city,
        "country": g.country, "email": g.email, "phone": g.phone,
        "relation": link.relation, "has_authority": link.has_authority,
        "receives_mail": link.receives_mail, "info_granted": link.info_granted,
    }


def _guardian_links(student_id: int) -> list[StudentGuardian]:
    return list(StudentGuardian.select(StudentGuardian, Guardian).join(Guardian)
                .where(StudentGuardian.student == student_id)
                .order_by(StudentGuardian.id))


def _student_details(student: Student) -> dict:
    school_class = student.school_class
    return {
        "id": student.id, "number": student.number, "first_name": student.first_name,
        "initials": student.initials, "tussenvoegsel": student.tussenvoegsel,
        "last_name": student.last_name,
        "name": display_name(student.first_name, student.tussenvoegsel, student.last_name),
        "birth_date": _iso(student.birth_date), "gender": student.gender,
        "class": school_class.name if school_class else "",
        "leerjaar": school_class.leerjaar if school_class else None,
        "left_on": _iso(student.left_on), "version": student.version,
    }


@dataclass(frozen=True, slots=True)
class StudentDetails:
    """A student as the card shows them."""

    id: int
    number: str
    first_name: str
    initials: str
    tussenvoegsel: str
    last_name: str
    name: str
    birth_date: dt.date | None
    gender: str
    class_name: str  # "" without a class
    leerjaar: int | None
    left_on: dt.date | None
    version: int
    mentors: tuple[str, ...]  # the class's mentors, by last name


@dataclass(frozen=True, slots=True)
class LinkedGuardian:
    """A guardian of the student on the card, with the link's own facts."""

    id: int
    name: str
    street: str
    house_number: str
    postcode: str
    city: str
    country: str
    email: str
    phone: str
    relation: str
    has_authority: bool
    receives_mail: bool
    info_granted: bool


@dataclass(frozen=True, slots=True)
class StudentCase:
    """A case the student is in (that the reader may see), with the student's role."""

    id: int
    number: str
    reported_on: dt.date
    status: str
    summary: str
    is_signal: bool
    role: str
    stage_code: str


@dataclass(frozen=True, slots=True)
class StudentCardRecord:
    """What the student card shows: the details, guardians and cases (newest first)."""

    student: StudentDetails
    guardians: tuple[LinkedGuardian, ...]
    cases: tuple[StudentCase, ...]


def student_card(student_id: int, actor: Actor) -> StudentCardRecord:
    """Details, guardians and cases (newest first, with the student's role) for one student.

    A student ``actor`` may not see is "no longer exists"; only cases ``actor`` may see are
    listed. Opening the card is recorded in the audit trail.
    """
    student = (Student.select(Student, SchoolClass).join(SchoolClass, JOIN.LEFT_OUTER)
               .where((Student.id == student_id) & access.student_visibility(actor)).first())
    if student is None:
        raise ServiceError(_("This student no longer exists."))
    mentors = tuple(
        display_name(s.first_name, s.tussenvoegsel, s.last_name)
        for s in Staff.select().join(ClassMentor).where(
            ClassMentor.school_class == student.school_class_id).order_by(Staff.last_name)
    ) if student.school_class_id else ()
    cases = tuple(
        StudentCase(id=inv.case.id, number=inv.case.number, reported_on=inv.case.reported_on,
                    status=inv.case.status, summary=inv.case.summary or "",
                    is_signal=inv.case.is_signal, role=inv.role,
                    stage_code=inv.stage_code or "")
        for inv in Involvement.select(Involvement, Case).join(Case)
        .where((Involvement.student == student_id) & access.case_visibility(actor))
        .order_by(Case.reported_on.desc(), Case.id.desc())
    )
    school_class = student.school_class
    details = StudentDetails(
        id=student.id, number=student.number, first_name=student.first_name or "",
        initials=student.initials or "", tussenvoegsel=student.tussenvoegsel or "",
        last_name=student.last_name or "",
        name=display_name(student.first_name, student.tussenvoegsel, student.last_name),
        birth_date=student.birth_date, gender=student.gender or "",
        class_name=school_class.name if school_class else "",
        leerjaar=school_class.leerjaar if school_class else None,
        left_on=student.left_on, version=student.version, mentors=mentors)
    guardians = []
    for link in _guardian_links(student_id):
        g = link.guardian
        guardians.append(LinkedGuardian(
            id=g.id, name=display_name(g.first_name or g.initials, g.tussenvoegsel,
                                       g.last_name),
            street=g.street or "", house_number=g.house_number or "",
            postcode=g.postcode or "", city=g.city or "", country=g.country or "",
            email=g.email or "", phone=g.phone or "", relation=link.relation or "",
            has_authority=bool(link.has_authority), receives_mail=bool(link.receives_mail),
            info_granted=bool(link.info_granted)))
    access.record_view(actor, "student", student.id, "card")
    return StudentCardRecord(details, tuple(guardians), cases)


# --- AVG access export ------------------------------------------------------------------------


def _iso(value: object) -> object:
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    return value


def _staff_name(staff: Staff | None) -> str:
    if staff is None:
        return ""
    return display_name(staff.first_name, staff.tussenvoegsel, staff.last_name)


def export_student(actor: Actor, number: str) -> dict:
    """Everything stored about one student, for an AVG inzageverzoek; other people redacted.

    Other students appear only as their role in a case ("pester 1"). In free text the school's
    name detector (``services.names``) replaces every other student and guardian of the school
    (also a classmate the case does not register, another child's parent, a possessive) by
    that role, "another student" or "a parent of another student"; the subject and their own
    guardians stay named. Conversations and letters that concern another child's
    part in a case are listed without their content. The vertrouwenspersoon's confidential
    notes are not part of it (they are theirs alone). Only someone who sees every case may
    export. The export is recorded in the audit trail in the same transaction.
    """
    if not access.sees_all_cases(actor):
        raise ServiceError(_("You do not have the rights to do this."))
    with write():
        student = (Student.select(Student, SchoolClass).join(SchoolClass, JOIN.LEFT_OUTER)
                   .where(fn.LOWER(Student.number) == (number or "").strip().lower()).first())
        if student is None:
            raise ServiceError(_("There is no student with number {number}.").format(
                number=number))
        result = _inzage(student)
        audit(actor, "export", "student", student.id, "avg_inzage")
    return result


def _inzage(student: Student) -> dict:
    own = list(Involvement.select(Involvement, Case).join(Case)
               .where(Involvement.student == student.id)
               .order_by(Case.reported_on, Case.id))
    case_ids = [inv.case_id for inv in own]
    everyone = list(Involvement.select(Involvement, Student).join(Student)
                    .where(Involvement.case.in_(case_ids), Involvement.student != student.id)
                    .order_by(Involvement.case, Involvement.role, Involvement.id)) \
        if case_ids else []
    index = names.school_index()
    allowed = names.own_keys([student.id])
    cases = []
    for inv in own:
        in_case = [i for i in everyone if i.case_id == inv.case_id]
        labels = _role_labels(in_case)
        redact = _InzageRedactor(index, allowed, {
            names.student_key(i.student_id): labels[i.id] for i in in_case})
        cases.append(_case_export(inv, student.id, in_case, labels, redact))
    details = _student_details(student)
    details["created_at"] = _iso(student.created_at)
    details["updated_at"] = _iso(student.updated_at)
    return {
        "kind": "pestdesk-avg-inzage",
        "format_version": 1,
        "exported_at": utcnow().isoformat(timespec="seconds") + "Z",
        "student": details,
        "guardians": [_guardian_dict(link) for link in _guardian_links(student.id)],
        "consents": [
            {"given_by": c.given_by, "given_on": _iso(c.given_on), "scope": c.scope,
             "withdrawn_on": _iso(c.withdrawn_on)}
            for c in Consent.select().where(Consent.student == student.id).order_by(Consent.id)
        ],
        "cases": cases,
        "access_log": [
            {"at": _iso(a.at), "action": a.action, "user": a.user}
            for a in AuditLog.select().where((AuditLog.table == "student")
                                             & (AuditLog.record_id == student.id))
            .order_by(AuditLog.id)
        ],
    }


class _InzageRedactor:
    """Free text of an inzage: every student and guardian of the school found by the name
    detector (``services.names``) is replaced, except the subject and their own guardians; a
    student involved in the case by their role label ("pester 1"), anyone else by "another
    student" or "a parent of another student". A mention that may be the subject (a shared
    first name) stays: the subject's own name is never redacted."""

    def __init__(self, index, allowed: frozenset[str], labels: dict[str, str]) -> None:
        self.index, self.allowed, self.labels = index, allowed, labels

    def label(self, hit) -> str | None:
        if hit.keys & self.allowed:
            return None
        in_case = {self.labels[k] for k in hit.keys if k in self.labels}
        if len(in_case) == 1:  # the one student of this case it may be
            return in_case.pop()
        if any(names.key_id(k)[0] == "student" for k in hit.keys):
            return _("another student")
        return _("a parent of another student")

    def __call__(self, text: str | None) -> str:
        return self.index.redact(text or "", self.label, strict=True)

    def json(self, text: str | None) -> str:
        """The same for a JSON text (timeline data, contract rules): its strings decoded."""
        return names.redact_json(self.index, text or "", self.label, strict=True)


def _role_labels(involvements: list[Involvement]) -> dict[int, str]:
    counts: dict[str, int] = {}
    labels = {}
    for inv in involvements:
        counts[inv.role] = counts.get(inv.role, 0) + 1
        labels[inv.id] = f"{inv.role} {counts[inv.role]}"
    return labels


def _case_export(own: Involvement, student_id: int, others: list[Involvement],
                 labels: dict[int, str], redact: _InzageRedactor) -> dict:
    case = own.case
    other_involvement = {i.id: labels[i.id] for i in others}
    return {
        "number": case.number, "is_signal": case.is_signal, "status": case.status,
        "reported_on": _iso(case.reported_on), "reporter_kind": case.reporter_kind,
        "reported_via": redact(case.reported_via), "summary": redact(case.summary),
        "description": redact(case.description), "location": case.location,
        "since": redact(case.since), "frequency": redact(case.frequency), "scope": case.scope,
        "forms": case.forms, "is_cyber": case.is_cyber, "cyber_track": case.cyber_track,
        "owner": _staff_name(case.owner), "closed_on": _iso(case.closed_on),
        "close_reason": redact(case.close_reason),
        "role": own.role, "stage_code": own.stage_code, "notes": redact(own.notes),
        "relapse_of": own.relapse_of.number if own.relapse_of_id else None,
        "others_involved": [{"label": labels[i.id], "role": i.role} for i in others],
        "events": [_event_export(e, other_involvement, redact)
                   for e in Event.select().where((Event.case == case.id)
                                                 & (Event.confidential == False))  # noqa: E712
                   .order_by(Event.occurred_on, Event.id)],
        "agreements": [
            {"description": redact(a.description), "owner": _staff_name(a.owner),
             "evaluate_on": _iso(a.evaluate_on), "done_on": _iso(a.done_on),
             "outcome": redact(a.outcome)}
            for a in Agreement.select().where(Agreement.case == case.id).order_by(Agreement.id)
        ],
        "contracts": [
            {"made_on": _iso(c.made_on), "rules": redact.json(c.rules),
             "signed_student_on": _iso(c.signed_student_on),
             "signed_parent_on": _iso(c.signed_parent_on), "evaluate_on": _iso(c.evaluate_on),
             "outcome": c.outcome}
            for c in Contract.select().where((Contract.case == case.id)
                                             & (Contract.student == student_id))
        ],
        "sanctions": [_sanction_export(s, redact) for s in Sanction.select().where(
            (Sanction.case == case.id) & (Sanction.student == student_id))],
        "letters": [
            {"template_code": lt.template_code, "template_version": lt.template_version,
             "created_at": _iso(lt.created_at), "recipient": redact(lt.recipient),
             "sha256": lt.sha256}
            for lt in Letter.select(Letter.id, Letter.template_code, Letter.template_version,
                                    Letter.created_at, Letter.recipient, Letter.sha256)
            .where((Letter.case == case.id)
                   & ((Letter.student == student_id) | Letter.student.is_null()))
            .order_by(Letter.id)
        ],
        "meetings": [
            {"kind": item.meeting.kind, "starts_at": _iso(item.meeting.starts_at),
             "question": redact(item.question), "minutes": redact(item.minutes),
             "decision": redact(item.decision), "consent_basis": item.consent_basis}
            for item in AgendaItem.select(AgendaItem, Meeting).join(Meeting)
            .where(AgendaItem.case == case.id).order_by(Meeting.starts_at)
        ],
        "actions": [
            {"description": redact(a.description), "owner": _staff_name(a.owner),
             "due_on": _iso(a.due_on), "done_on": _iso(a.done_on)}
            for a in Action.select().where(Action.case == case.id).order_by(Action.id)
        ],
        "attachments": [
            {"filename": redact(a.filename), "description": redact(a.description),
             "mime_type": a.mime_type, "size": a.size, "sha256": a.sha256,
             "added_at": _iso(a.added_at), "content": _(EVIDENCE_NOT_INCLUDED)}
            for a in Attachment.select(Attachment.id, Attachment.filename,
                                       Attachment.description, Attachment.mime_type,
                                       Attachment.size, Attachment.sha256, Attachment.added_at)
            .where(Attachment.case == case.id).order_by(Attachment.id)
        ],
    }


def _event_export(event: Event, other_involvement: dict[int, str],
                  redact: _InzageRedactor) -> dict:
    about = other_involvement.get(event.involvement_id) if event.involvement_id else None
    entry = {
        "kind": event.kind, "occurred_on": _iso(event.occurred_on),
        "title": redact(event.title), "step_code": event.step_code,
        "stage_code": event.stage_code, "confidential": event.confidential,
        "about": about,
    }
    if about:  # another child's conversation: its content is theirs, not this student's
        entry["content_withheld"] = True
        return entry
    entry["body"] = redact(event.body)
    data = redact.json(event.data)
    try:
        entry["data"] = json.loads(data) if data else None
    except ValueError:
        entry["data"] = data
    return entry


def _sanction_export(s: Sanction, redact: _InzageRedactor) -> dict:
    return {
        "kind": s.kind, "first_day": _iso(s.first_day), "last_day": _iso(s.last_day),
        "school_days": s.school_days, "reason": redact(s.reason),
        "decided_by": _staff_name(s.decided_by), "decided_on": _iso(s.decided_on),
        "hearing_on": _iso(s.hearing_on), "hearing_who": redact(s.hearing_who),
        "hearing_summary": redact(s.hearing_summary),
        "inspectie_due_on": _iso(s.inspectie_due_on),
        "inspectie_reported_on": _iso(s.inspectie_reported_on),
        "inspectie_reference": redact(s.inspectie_reference),
    }
