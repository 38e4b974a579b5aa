"""Need-to-know: which cases, students, timeline entries and meetings an actor may see.

Every rule is a peewee expression that the list and detail queries put in their WHERE clause,
so what a user may not see is never loaded, counted or found by a search. Hiding a button is
not protection; these expressions are. A record the actor may not see behaves exactly like a
record that does not exist (``NotFound``, same message), so a refusal confirms nothing.

The roles (``Staff.roles``):
- ondersteuningscoordinator (zorgcoordinator), zorgteam, directie: every case;
- afdelingscoordinator / afdelingsleider: cases of students in their department(s)
  (``Staff.departments`` against ``SchoolClass.department``) and the cases they registered;
- mentor: cases of students in the classes they mentor (``ClassMentor``) and those they
  registered (``Case.created_by``);
- vertrouwenspersoon: the cases they registered or wrote in; their confidential notes
  (``Event.confidential``) are visible to the author alone, to nobody else, beheerder included;
- vakdocent: may record a signal, reads no dossiers;
- beheerder: users, imports, backups and the student register, no dossiers unless they also
  hold a care role.
``SYSTEM`` (the command line, run by whoever holds the database file) sees every case but,
like everyone else, not the vertrouwenspersoon's confidential notes.

Roles come from the actor (read at sign-in); departments are read from the database each
time a rule is built, so a change by the beheerder applies at once.
"""

from __future__ import annotations

from peewee import SQL, fn

from ..i18n import _
from ..store import models as m
from ..store import scope as school_scope
from .base import Actor, ServiceError, audit, write

ALL_CASES_ROLES = frozenset({"ondersteuningscoordinator", "zorgcoordinator", "zorgteam",
                             "directie"})
DEPARTMENT_ROLES = frozenset({"afdelingscoordinator", "afdelingsleider"})
MENTOR_ROLE = "mentor"
CONFIDANT_ROLE = "vertrouwenspersoon"
SIGNAL_ROLES = frozenset({"vakdocent"})
ADMIN_ROLE = "beheerder"
AUDIT_ROLES = frozenset({"beheerder", "directie"})
# roles that also see the cases they registered themselves
REGISTRAR_ROLES = DEPARTMENT_ROLES | {MENTOR_ROLE, CONFIDANT_ROLE}
CARE_ROLES = ALL_CASES_ROLES | DEPARTMENT_ROLES | {MENTOR_ROLE, CONFIDANT_ROLE}
# zorgteam members (often from outside the school) read but do not change dossiers
READ_ONLY_ROLES = frozenset({"zorgteam"})
# the school board (bestuur): masked, anonymous figures of its schools, never a dossier
BOARD_ROLE = "bestuur"


class NotFound(ServiceError):
    """The record does not exist, or the actor may not know that it does: same answer."""

    def __init__(self, message: str | None = None):
        super().__init__(message or _("This record does not exist (any more)."))


def everything():
    """A WHERE expression that lets every row through."""
    return SQL("1 = 1")


def nothing():
    """A WHERE expression that lets no row through."""
    return SQL("1 = 0")


def _any(parts: list):
    if not parts:
        return nothing()
    expression = parts[0]
    for part in parts[1:]:
        expression = expression | part
    return expression


# -- who is who ------------------------------------------------------------------------------


def is_system(actor: Actor) -> bool:
    """The command line / the app itself, not a signed-in person."""
    return actor.user_id is None and actor.username == "system"


def sees_all_cases(actor: Actor) -> bool:
    return is_system(actor) or actor.has_role(*ALL_CASES_ROLES)


def has_care_role(actor: Actor) -> bool:
    """Works with dossiers at all (not a vakdocent or a beheerder only)."""
    return is_system(actor) or actor.has_role(*CARE_ROLES)


def can_record_signal(actor: Actor) -> bool:
    return actor.has_role(*SIGNAL_ROLES) or has_care_role(actor)


def can_manage_users(actor: Actor) -> bool:
    return actor.has_role(ADMIN_ROLE)


def can_read_audit(actor: Actor) -> bool:
    return actor.has_role(*AUDIT_ROLES)


def actor_departments(actor: Actor) -> list[str]:
    """The department names (lower case) of a department role holder, fresh from the DB."""
    if actor.staff_id is None or not actor.has_role(*DEPARTMENT_ROLES):
        return []
    text = (m.Staff.select(m.Staff.departments).where(m.Staff.id == actor.staff_id)
            .scalar() or "")
    return sorted({d.strip().lower() for d in text.split(",") if d.strip()})


# -- schools ---------------------------------------------------------------------------------
#
# A board database holds several schools. Which ones a person works for is decided here; the
# store puts the answer into every query (``store.scope``), so each rule below (and every
# other query of every door) only ever meets rows of those schools.


def schools_of(actor: Actor) -> frozenset[int]:
    """The schools ``actor`` works for: the one that added their staff record and those
    linked to it (``StaffSchool``: a teacher at two locations, a bestuur member of a board).
    The system (the command line on the file) works for every school; an account without a
    staff record only in a single-school file."""
    with school_scope.unscoped():
        every = frozenset(row[0] for row in m.School.select(m.School.id).tuples())
        if is_system(actor):
            return every
        if actor.staff_id is None:
            return every if len(every) == 1 else frozenset()
        home = m.Staff.select(m.Staff.school).where(m.Staff.id == actor.staff_id).scalar()
        linked = {row[0] for row in m.StaffSchool.select(m.StaffSchool.school)
                  .where(m.StaffSchool.staff == actor.staff_id).tuples()}
    return frozenset(linked | ({home} if home is not None else set()))


def enter(actor: Actor, school: int | None = None) -> school_scope.Scope | None:
    """Start ``actor``'s session: from now on every query of this process sees the schools
    they work for; ``school`` narrows it to that one (the switch of someone at two schools).
    A school they do not work for is refused like a missing one. The system keeps the whole
    file unless a ``school`` is named."""
    mine = schools_of(actor)
    if school is not None and school not in mine:
        raise NotFound(_("This school does not exist (any more)."))
    if is_system(actor) and school is None:
        school_scope.clear()
        return None
    if not mine:  # a staff record without a school: nothing
        raise NotFound(_("This school does not exist (any more)."))
    if school is not None:
        chosen = school_scope.Scope(frozenset({school}), school)
    else:
        chosen = school_scope.Scope(mine, min(mine))
    school_scope.set_scope(chosen)
    return chosen


def my_schools(actor: Actor) -> list[tuple[int, str]]:
    """(id, name) of the schools ``actor`` works for, by name: the choices of the switch."""
    ids = schools_of(actor)
    with school_scope.unscoped():
        return [(row[0], row[1]) for row in m.School.select(m.School.id, m.School.name)
                .where(m.School.id.in_(sorted(ids))).order_by(m.School.name).tuples()]


def may_handle_whole_database(actor: Actor) -> bool:
    """Whole-database work -- a backup, a restore, encrypting the file, adding a school,
    linking staff across schools -- reaches every school in it. On a single-school database
    that is its beheerder; on a board database (several schools, SQLite or PostgreSQL) only
    the board's IT: a beheerder who works for every school of it, or the command line
    acting as the system. A school's own beheerder is refused: a copy of the file holds
    the other schools' dossiers too. The one rule for the GUI and the CLI."""
    if is_system(actor):
        return True
    if not actor.has_role(ADMIN_ROLE):
        return False
    with school_scope.unscoped():
        every = frozenset(row[0] for row in m.School.select(m.School.id).tuples())
    return every <= schools_of(actor)


def whole_database_refusal() -> str:
    return _("This database holds several schools: only the board's IT (a beheerder who "
             "works for every school in it) does what reaches all of them, such as a "
             "backup, a restore or encrypting the file.")


def is_board(actor: Actor) -> bool:
    """A bestuur member without a care role: figures only, masked, never a dossier."""
    return actor.has_role(BOARD_ROLE) and not has_care_role(actor)


# -- cases -----------------------------------------------------------------------------------


# Each rule is "Case.id IN (small set)", found from the actor's side through indexes
# (class_mentor.staff -> student.school_class -> involvement.student), so its cost follows
# the size of the actor's classes, not the size of the whole case table.


def _cases_of_classes(classes):
    inv, stu = m.Involvement.alias("acc_inv"), m.Student.alias("acc_stu")
    return m.Case.id.in_(inv.select(inv.case).join(stu, on=(inv.student == stu.id))
                         .where(stu.school_class.in_(classes)))


def _mentor_rule(actor: Actor):
    cm = m.ClassMentor.alias("acc_cm")
    return _cases_of_classes(cm.select(cm.school_class).where(cm.staff == actor.staff_id))


def _department_rule(departments: list[str]):
    klass = m.SchoolClass.alias("acc_cls")
    return _cases_of_classes(klass.select(klass.id)
                             .where(fn.LOWER(klass.department).in_(departments)))


def _wrote_in_rule(actor: Actor):
    ev = m.Event.alias("acc_ev")
    return m.Case.id.in_(ev.select(ev.case).where(ev.author == actor.user_id))


def case_visibility(actor: Actor):
    """A WHERE expression over ``Case``: the cases (and signals) ``actor`` may see."""
    if sees_all_cases(actor):
        return everything()
    parts = []
    if actor.has_role(MENTOR_ROLE) and actor.staff_id is not None:
        parts.append(_mentor_rule(actor))
    departments = actor_departments(actor)
    if departments:
        parts.append(_department_rule(departments))
    if actor.user_id is not None and actor.has_role(*REGISTRAR_ROLES):
        parts.append(m.Case.created_by == actor.user_id)
    if actor.user_id is not None and actor.has_role(CONFIDANT_ROLE):
        parts.append(_wrote_in_rule(actor))
    return _any(parts)


def case_row_visible(actor: Actor, case_ref):
    """Like ``case_visibility`` but for ONE case given by ``case_ref`` (a column such as
    ``Involvement.case``) inside a correlated subquery: each rule is an indexed EXISTS on
    that case, so per-row cost stays constant where an ``IN (all visible cases)`` list
    would be rebuilt for every row."""
    if sees_all_cases(actor):
        return everything()
    inv, stu = m.Involvement.alias("row_inv"), m.Student.alias("row_stu")
    parts = []
    if actor.has_role(MENTOR_ROLE) and actor.staff_id is not None:
        cm = m.ClassMentor.alias("row_cm")
        parts.append(fn.EXISTS(
            inv.select(inv.id).join(stu, on=(inv.student == stu.id))
            .join(cm, on=(cm.school_class == stu.school_class))
            .where((inv.case == case_ref) & (cm.staff == actor.staff_id))))
    departments = actor_departments(actor)
    if departments:
        klass = m.SchoolClass.alias("row_cls")
        parts.append(fn.EXISTS(
            inv.select(inv.id).join(stu, on=(inv.student == stu.id))
            .join(klass, on=(stu.school_class == klass.id))
            .where((inv.case == case_ref) & fn.LOWER(klass.department).in_(departments))))
    if actor.user_id is not None and actor.has_role(*REGISTRAR_ROLES):
        own = m.Case.alias("row_case")
        parts.append(fn.EXISTS(own.select(own.id).where(
            (own.id == case_ref) & (own.created_by == actor.user_id))))
    if actor.user_id is not None and actor.has_role(CONFIDANT_ROLE):
        ev = m.Event.alias("row_ev")
        parts.append(fn.EXISTS(ev.select(ev.id).where(
            (ev.case == case_ref) & (ev.author == actor.user_id))))
    return _any(parts)


def figures_visibility(actor: Actor):
    """A WHERE expression over ``Case``: the cases ``actor``'s anonymous figures count. A
    dossier role counts what it may read; the bestuur counts every case of the schools it
    works for (the scope), always masked (``figures.may_see_exact`` is for dossier roles)
    and without ever opening one (``case_visibility`` gives it nothing)."""
    if is_board(actor):
        return everything()
    return case_visibility(actor)


def visible_case_ids(actor: Actor):
    """A subquery of the case ids ``actor`` may see (for ``IN``)."""
    return m.Case.select(m.Case.id).where(case_visibility(actor))


def can_view_case(actor: Actor, case_id: int) -> bool:
    return (m.Case.select(m.Case.id)
            .where((m.Case.id == case_id) & case_visibility(actor)).exists())


def can_edit_case(actor: Actor, case_id: int) -> bool:
    """May change the case: sees it and holds a role that works on dossiers."""
    editing = (is_system(actor)
               or bool(actor.roles & (CARE_ROLES - READ_ONLY_ROLES)))
    return editing and can_view_case(actor, case_id)


def visible_case(actor: Actor, case_id: int) -> m.Case:
    """The case, or ``NotFound`` whether it is missing or hidden from ``actor``."""
    case = m.Case.select().where((m.Case.id == case_id) & case_visibility(actor)).first()
    if case is None:
        raise NotFound(_("This case does not exist (any more)."))
    return case


def open_case(actor: Actor, case_id: int) -> m.Case:
    """The case for its detail screen, with the view recorded in the audit trail."""
    case = visible_case(actor, case_id)
    record_view(actor, "case", case.id)
    return case


def editable_in_case(actor: Actor, model, record_id: int, missing: str):
    """A record of a case (contract, sanction, ...) that ``actor`` may change; a record of a
    hidden case answers ``NotFound`` with the same ``missing`` words as a deleted one."""
    record = model.get_or_none(model.id == record_id)
    if record is None or not can_view_case(actor, record.case_id):
        raise NotFound(missing)
    require_edit(actor, record.case_id)
    return record


def require_edit(actor: Actor, case_id: int) -> None:
    """Refuse a change: ``NotFound`` when the case is hidden, a plain refusal when read-only."""
    if not can_view_case(actor, case_id):
        raise NotFound(_("This case does not exist (any more)."))
    if not can_edit_case(actor, case_id):
        raise ServiceError(_("You do not have the rights to do this."))


# -- timeline --------------------------------------------------------------------------------


def event_visibility(actor: Actor):
    """A WHERE expression over ``Event``: confidential notes only for the confidant who wrote
    them; combine with ``Event.case.in_(visible_case_ids(actor))`` for whole timelines."""
    public = m.Event.confidential == False  # noqa: E712
    if actor.user_id is not None and actor.has_role(CONFIDANT_ROLE):
        return public | (m.Event.author == actor.user_id)
    return public


def visible_events(actor: Actor, case_id: int):
    """The timeline of one visible case (empty when the case is hidden), oldest first."""
    return (m.Event.select()
            .where((m.Event.case == case_id) & m.Event.case.in_(visible_case_ids(actor))
                   & event_visibility(actor))
            .order_by(m.Event.occurred_on, m.Event.id))


# -- students and meetings -------------------------------------------------------------------


def sees_every_student(actor: Actor) -> bool:
    """Whoever sees every case, and the beheerder who keeps the student register."""
    return sees_all_cases(actor) or actor.has_role(ADMIN_ROLE)


def student_visibility(actor: Actor):
    """A WHERE expression over ``Student``: whose student card ``actor`` may open.

    Everyone with the student register (care roles over their scope, the beheerder who
    imports it) plus the students involved in a case the actor may see.
    """
    S = m.Student
    if sees_every_student(actor):
        return everything()
    parts = []
    if actor.has_role(MENTOR_ROLE) and actor.staff_id is not None:
        mentored = (m.ClassMentor.select(m.ClassMentor.school_class)
                    .where(m.ClassMentor.staff == actor.staff_id))
        parts.append(S.school_class.in_(mentored))
    departments = actor_departments(actor)
    if departments:
        classes = (m.SchoolClass.select(m.SchoolClass.id)
                   .where(fn.LOWER(m.SchoolClass.department).in_(departments)))
        parts.append(S.school_class.in_(classes))
    if has_care_role(actor):
        inv = m.Involvement.alias("acc_sinv")
        # computed once per query (not per student): the students of the visible cases
        parts.append(S.id.in_(inv.select(inv.student)
                              .where(inv.case.in_(visible_case_ids(actor)))))
    return _any(parts)


def reportable_students(actor: Actor):
    """A WHERE expression over ``Student``: whom ``actor`` may *name* in a report or add to
    a case — every current student for anyone who may report (a bully from another class
    must be nameable). Naming shows name, class and number only; it opens neither the
    student's card nor their other cases, which stay behind ``student_visibility`` and
    ``case_visibility``."""
    if not can_record_signal(actor):
        return nothing()
    return m.Student.left_on.is_null()


def can_view_student(actor: Actor, student_id: int) -> bool:
    return (m.Student.select(m.Student.id)
            .where((m.Student.id == student_id) & student_visibility(actor)).exists())


def guardian_visibility(actor: Actor):
    """A WHERE expression over ``Guardian``: the parents ``actor`` may see — those of a
    student whose card the actor may open (``student_visibility``). A parent's name, address
    and phone come with their child; a parent of children outside the actor's scope is not
    found, not even by a search for their street."""
    if sees_every_student(actor):
        return everything()
    sg = m.StudentGuardian.alias("acc_sg")
    seen = m.Student.select(m.Student.id).where(student_visibility(actor))
    return m.Guardian.id.in_(sg.select(sg.guardian).where(sg.student.in_(seen)))


def can_view_guardian(actor: Actor, guardian_id: int) -> bool:
    return (m.Guardian.select(m.Guardian.id)
            .where((m.Guardian.id == guardian_id) & guardian_visibility(actor)).exists())


def require_student(actor: Actor, student_id: int) -> None:
    """``NotFound`` (the same answer as a missing student) unless ``actor`` may see them."""
    if not can_view_student(actor, student_id):
        raise NotFound(_("This student no longer exists."))


def meeting_visibility(actor: Actor):
    """Care-team meetings are for those who work with dossiers."""
    return everything() if has_care_role(actor) else nothing()


def letter_visibility(actor: Actor):
    """Letters of visible cases; a letter without a case only for who sees every case."""
    L = m.Letter
    if sees_all_cases(actor):
        return everything()
    return L.case.is_null(False) & L.case.in_(visible_case_ids(actor))


# -- the audit trail of reading --------------------------------------------------------------


def record_view(actor: Actor, table: str, record_id: int, detail: str = "") -> None:
    """Record that ``actor`` opened a dossier record (its own short transaction)."""
    with write():
        audit(actor, "view", table, record_id, detail)
