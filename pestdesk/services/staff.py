"""Entering the school's people by hand: staff members, classes with their mentors, and a
student's guardians (ouders/verzorgers).

The LVS import (``services.people``) fills these tables in bulk; these use cases cover what
an export lacks or gets wrong. Every save is one short ``write()`` transaction, states the
version the user read (``Conflict`` when someone else saved in between) and leaves an audit
line with field names only.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from peewee import JOIN, fn

from ..i18n import N_, _
from ..importers.staff import ROLE_CODES
from ..store.models import (
    ClassMentor,
    Guardian,
    SchoolClass,
    Staff,
    Student,
    StudentGuardian,
    utcnow,
)
from . import access, grants
from .base import Actor, Conflict, ServiceError, audit, create, save_versioned, write
from .lists import Column, ListQuery, full_name, sort_name_matches

STAFF_ROLES = ("beheerder", "ondersteuningscoordinator")
GUARDIAN_ROLES = ("beheerder", "ondersteuningscoordinator", "afdelingscoordinator", "mentor")
RELATIONS = ("moeder", "vader", "verzorger", "voogd", "pleegouder", "overig")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_CODE = re.compile(r"^[A-Za-z0-9._-]{1,12}$")


def _require(actor: Actor, roles: Iterable[str]) -> None:
    if not actor.has_role(*roles):
        raise ServiceError(_("You do not have the rights to do this."))


def _check_email(email: str) -> None:
    if email and not _EMAIL.match(email):
        raise ServiceError(_("\"{value}\" is not an e-mail address.").format(value=email))


def _touch(actor: Actor, record, read_version: int, detail: str) -> None:
    """Bump a record's version for a change stored elsewhere (its mentor links)."""
    model = type(record)
    rows = (model.update({model.version: read_version + 1, model.updated_at: utcnow()})
            .where((model.id == record.id) & (model.version == read_version)).execute())
    if rows == 0:
        raise Conflict(model._meta.table_name, record.id, _stored(record))
    record.version = read_version + 1
    audit(actor, "update", model._meta.table_name, record.id, detail)


def _stored(record) -> dict:
    """The record as it is stored now, for the conflict dialog's comparison."""
    fresh = type(record).get_or_none(type(record).id == record.id)
    return dict(fresh.__data__) if fresh is not None else {}


# --- staff ------------------------------------------------------------------------------------


@dataclass
class StaffForm:
    """What the staff dialog edits; ``version`` is the one read (0 for a new member)."""

    code: str = ""
    first_name: str = ""
    tussenvoegsel: str = ""
    last_name: str = ""
    email: str = ""
    roles: list[str] = field(default_factory=list)
    active: bool = True
    departments: str = ""  # afdeling(en) of an afdelingscoördinator, comma-separated
    id: int | None = None
    version: int = 0


def staff_form(staff_id: int) -> StaffForm:
    s = Staff.get_or_none(Staff.id == staff_id)
    if s is None:
        raise ServiceError(_("This staff member no longer exists."))
    return StaffForm(s.code, s.first_name, s.tussenvoegsel, s.last_name, s.email,
                     [r for r in s.roles.split(",") if r], s.active, s.departments, s.id,
                     s.version)


def save_staff(actor: Actor, form: StaffForm) -> Staff:
    """Create (``form.id`` None) or update a staff member; the code stays unique."""
    _require(actor, STAFF_ROLES)
    code = form.code.strip().upper()
    last_name = form.last_name.strip()
    email = form.email.strip()
    if not _CODE.match(code):
        raise ServiceError(_("The staff code is required: letters and digits, at most 12."))
    if not last_name:
        raise ServiceError(_("The last name is required."))
    _check_email(email)
    unknown = [r for r in form.roles if r not in ROLE_CODES]
    if unknown:
        raise ServiceError(_("Unknown role: {role}").format(role=", ".join(unknown)))
    values = {"code": code, "first_name": form.first_name.strip(),
              "tussenvoegsel": form.tussenvoegsel.strip(), "last_name": last_name,
              "email": email, "roles": ",".join(r for r in ROLE_CODES if r in form.roles),
              "active": form.active,
              "departments": ", ".join(d.strip() for d in form.departments.split(",")
                                       if d.strip())}
    with write():
        current = Staff.get_or_none(Staff.id == form.id) if form.id is not None else None
        requested = grants.check_role_change(
            actor, form.id, current.roles if current else "",
            current.departments if current else "", values["roles"], values["departments"])
        taken = Staff.select(Staff.id).where(fn.UPPER(Staff.code) == code)
        if form.id is not None:
            taken = taken.where(Staff.id != form.id)
        if taken.exists():
            raise ServiceError(_("The staff code {code} is already in use.").format(code=code))
        if form.id is None:
            staff = create(actor, Staff, **values)
        else:
            if current is None:
                raise ServiceError(_("This staff member no longer exists."))
            staff = save_versioned(actor, current, form.version, **values)
        grants.after_role_change(actor, staff.id, requested, values["roles"])
        return staff


def active_staff() -> list[tuple[int, str, str]]:
    """(id, code, name) of the active staff, by last name: a school's staff stays small."""
    return [(row[0], row[1], row[2]) for row in
            Staff.select(Staff.id, Staff.code, full_name(Staff))
            .where(Staff.active == True)  # noqa: E712
            .order_by(Staff.last_name, Staff.first_name).tuples()]


def staff_display_name(staff_id: int | None) -> str | None:
    """'Roepnaam tussenvoegsel Achternaam' of one staff member (None: no such member)."""
    if staff_id is None:
        return None
    staff = Staff.get_or_none(Staff.id == staff_id)
    if staff is None:
        return None
    return " ".join(p for p in (staff.first_name, staff.tussenvoegsel, staff.last_name) if p)


class StaffList(ListQuery):
    """Staff for the management list, filtered and sorted in SQL."""

    columns = (
        Column("code", N_("Staff code")),
        Column("name", N_("Name")),
        Column("email", N_("E-mail")),
        Column("roles", N_("Roles")),
        Column("active", N_("Active"), "bool"),
    )

    def id_field(self):
        return Staff.id

    def order_expressions(self):
        return {"name": Staff.last_name, "code": Staff.code, "email": Staff.email}

    def select(self):
        query = Staff.select(Staff.id, Staff.code, full_name(Staff), Staff.email, Staff.roles,
                             Staff.active)
        if not self.actor.has_role(*STAFF_ROLES):  # the staff managers' list: nobody else's
            return query.where(access.nothing())
        text = (self.filters.get("text") or "").strip()
        if text:
            query = query.where(Staff.code.startswith(text.upper())
                                | sort_name_matches(fn.LOWER(full_name(Staff)), text)
                                | Staff.last_name.contains(text))
        return query


# --- classes ----------------------------------------------------------------------------------


@dataclass
class ClassForm:
    name: str = ""
    leerjaar: int = 1
    department: str = ""
    school_year: str = ""
    mentor_ids: list[int] = field(default_factory=list)
    id: int | None = None
    version: int = 0


def class_choices() -> list[tuple[str, int]]:
    """(name, id) of every class, by year (leerjaar) then name: for a filter; no dossier data."""
    query = SchoolClass.select(SchoolClass.name, SchoolClass.id).order_by(
        SchoolClass.leerjaar, SchoolClass.name)
    return list(query.tuples())


def class_form(class_id: int) -> ClassForm:
    k = SchoolClass.get_or_none(SchoolClass.id == class_id)
    if k is None:
        raise ServiceError(_("This class no longer exists."))
    mentors = [row[0] for row in ClassMentor.select(ClassMentor.staff)
               .where(ClassMentor.school_class == class_id).order_by(ClassMentor.id).tuples()]
    return ClassForm(k.name, k.leerjaar, k.department, k.school_year, mentors, k.id, k.version)


def save_class(actor: Actor, form: ClassForm) -> SchoolClass:
    """Create or update a class and replace its mentors; the name stays unique."""
    _require(actor, STAFF_ROLES)
    name = form.name.strip().upper()
    if not name:
        raise ServiceError(_("The class name is required."))
    if not 1 <= int(form.leerjaar) <= 6:
        raise ServiceError(_("The year (leerjaar) must lie between 1 and 6."))
    values = {"name": name, "leerjaar": int(form.leerjaar),
              "department": form.department.strip(), "school_year": form.school_year.strip()}
    with write():
        taken = SchoolClass.select(SchoolClass.id).where(fn.UPPER(SchoolClass.name) == name)
        if form.id is not None:
            taken = taken.where(SchoolClass.id != form.id)
        if taken.exists():
            raise ServiceError(_("There is already a class {name}.").format(name=name))
        known = {row[0] for row in Staff.select(Staff.id)
                 .where(Staff.id.in_(form.mentor_ids)).tuples()} if form.mentor_ids else set()
        if set(form.mentor_ids) - known:
            raise ServiceError(_("A chosen mentor no longer exists."))
        stored = ({row[0] for row in ClassMentor.select(ClassMentor.staff)
                   .where(ClassMentor.school_class == form.id).tuples()}
                  if form.id is not None else set())
        check_mentor_change(actor, stored, form.mentor_ids)
        if form.id is not None:
            klass = SchoolClass.get_or_none(SchoolClass.id == form.id)
            check_department_change(actor, klass.department if klass else "",
                                    values["department"])
        else:
            check_department_change(actor, "", values["department"])
        if form.id is None:
            klass = create(actor, SchoolClass, **values)
            _set_mentors(actor, klass.id, form.mentor_ids)
            return klass
        klass = SchoolClass.get_or_none(SchoolClass.id == form.id)
        if klass is None:
            raise ServiceError(_("This class no longer exists."))
        changed_fields = any(getattr(klass, k) != v for k, v in values.items())
        if changed_fields:
            save_versioned(actor, klass, form.version, **values)
        mentors_changed = _set_mentors(actor, klass.id, form.mentor_ids)
        if mentors_changed and not changed_fields:
            _touch(actor, klass, form.version, "mentors")
        elif not changed_fields and klass.version != form.version:
            raise Conflict("school_class", klass.id, _stored(klass))
        return klass


def may_assign_mentors(actor: Actor) -> bool:
    """Who may say who mentors a class (the class dialog and the student import alike)."""
    return actor.has_role(*STAFF_ROLES)


def check_mentor_change(actor: Actor, old_ids: Iterable[int], new_ids: Iterable[int]) -> None:
    """The one rule for changing a class's mentors, whatever the path (class dialog, student
    import): a mentor sees the dossiers of the class's students, so only a staff manager
    changes mentors, and nobody makes themselves the mentor of a class -- another staff
    manager does that (separation of duties, see ``services.grants``)."""
    old, new = set(old_ids), set(new_ids)
    if old == new:
        return
    if not may_assign_mentors(actor):
        raise ServiceError(_("You do not have the rights to do this."))
    if actor.staff_id is not None and actor.staff_id in new - old:
        raise ServiceError(_("You cannot make yourself the mentor of a class; another staff "
                             "manager does that."))


def check_department_change(actor: Actor, old: str, new: str) -> None:
    """A class's department decides which afdelingscoördinator sees its students: nobody
    moves a class into a department of their own (another staff manager does that), on
    every path (class dialog, student import)."""
    if old.strip().casefold() == new.strip().casefold() or not new.strip():
        return
    if new.strip().casefold() in {d.casefold() for d in access.actor_departments(actor)}:
        raise ServiceError(_("You cannot move a class into your own department; another "
                             "staff manager does that."))


def check_student_move(actor: Actor, mentor_ids: Iterable[int], department: str) -> None:
    """Moving a student into a class opens their dossiers to its mentors and its department's
    coördinator: nobody moves a student into a class they mentor or a department of their
    own (another staff manager does that). Whoever sees every case anyway is not asked."""
    if access.sees_all_cases(actor):
        return
    own_class = actor.staff_id is not None and actor.staff_id in set(mentor_ids)
    own_department = department.strip().casefold() in {
        d.casefold() for d in access.actor_departments(actor)} if department.strip() else False
    if own_class or own_department:
        raise ServiceError(_("You cannot move a student into a class of your own; another "
                             "staff manager does that."))


def _set_mentors(actor: Actor, class_id: int, wanted_ids: list[int]) -> bool:
    wanted = list(dict.fromkeys(wanted_ids))
    changed = False
    for link in ClassMentor.select().where(ClassMentor.school_class == class_id):
        if link.staff_id in wanted:
            wanted.remove(link.staff_id)
        else:
            link.delete_instance()
            audit(actor, "delete", "class_mentor", link.id)
            changed = True
    for staff_id in wanted:
        link_id = ClassMentor.insert(school_class=class_id, staff=staff_id).execute()
        audit(actor, "create", "class_mentor", link_id)
        changed = True
    return changed


class ClassList(ListQuery):
    """Classes with their mentors' codes and student counts."""

    columns = (
        Column("name", N_("Class")),
        Column("leerjaar", N_("Year (leerjaar)"), "number"),
        Column("department", N_("Department")),
        Column("mentors", N_("Mentors")),
        Column("students", N_("Students"), "number"),
    )

    def id_field(self):
        return SchoolClass.id

    def order_expressions(self):
        return {"name": SchoolClass.name, "leerjaar": SchoolClass.leerjaar,
                "department": SchoolClass.department}

    def select(self):
        K = SchoolClass
        mentors = (ClassMentor.select(fn.GROUP_CONCAT(Staff.code, ", ")).join(Staff)
                   .where(ClassMentor.school_class == K.id))
        students = Student.select(fn.COUNT(Student.id)).where(
            (Student.school_class == K.id) & Student.left_on.is_null())
        query = K.select(K.id, K.name, K.leerjaar, K.department, mentors, students)
        if not self.actor.has_role(*STAFF_ROLES):  # the staff managers' list
            return query.where(access.nothing())
        text = (self.filters.get("text") or "").strip()
        if text:
            query = query.where(K.name.startswith(text.upper()))
        return query


# --- guardians --------------------------------------------------------------------------------


@dataclass
class GuardianForm:
    """A guardian and their link to one student (relation, gezag, post, information)."""

    last_name: str = ""
    first_name: str = ""
    initials: str = ""
    tussenvoegsel: str = ""
    salutation: str = ""
    street: str = ""
    house_number: str = ""
    postcode: str = ""
    city: str = ""
    country: str = ""
    email: str = ""
    phone: str = ""
    relation: str = ""
    has_authority: bool = True
    receives_mail: bool = True
    info_granted: bool = False
    id: int | None = None
    version: int = 0
    link_id: int | None = None
    link_version: int = 0

    GUARDIAN_FIELDS = ("last_name", "first_name", "initials", "tussenvoegsel", "salutation",
                       "street", "house_number", "postcode", "city", "country", "email",
                       "phone")
    LINK_FIELDS = ("relation", "has_authority", "receives_mail", "info_granted")


def guardian_form(actor: Actor, student_id: int, guardian_id: int) -> GuardianForm:
    access.require_student(actor, student_id)
    link = (StudentGuardian.select(StudentGuardian, Guardian).join(Guardian)
            .where((StudentGuardian.student == student_id)
                   & (StudentGuardian.guardian == guardian_id)).first())
    if link is None:
        raise ServiceError(_("This guardian is no longer linked to the student."))
    g = link.guardian
    values = {name: getattr(g, name) for name in GuardianForm.GUARDIAN_FIELDS}
    values.update({name: getattr(link, name) for name in GuardianForm.LINK_FIELDS})
    return GuardianForm(**values, id=g.id, version=g.version, link_id=link.id,
                        link_version=link.version)


def _guardian_values(form: GuardianForm) -> dict[str, object]:
    values = {name: str(getattr(form, name) or "").strip() for name in form.GUARDIAN_FIELDS}
    values["postcode"] = values["postcode"].upper()
    if not values["last_name"]:
        raise ServiceError(_("The last name is required."))
    _check_email(values["email"])
    return values


def save_guardian(actor: Actor, student_id: int, form: GuardianForm) -> StudentGuardian:
    """Create a guardian for the student (``form.id`` None) or update guardian and link.

    A guardian shared by siblings is one record: a changed address shows on every child.
    Parental authority without receiving mail is allowed (a parent may opt out); mail to a
    parent without authority needs ``info_granted``.
    """
    _require(actor, GUARDIAN_ROLES)
    values = _guardian_values(form)
    link_values = {"relation": form.relation.strip(), "has_authority": bool(form.has_authority),
                   "receives_mail": bool(form.receives_mail),
                   "info_granted": bool(form.info_granted)}
    _mail_rule(link_values["has_authority"], link_values["receives_mail"],
               link_values["info_granted"])
    with write():
        access.require_student(actor, student_id)
        if form.id is None:
            guardian = create(actor, Guardian, **values)
            return create(actor, StudentGuardian, student=student_id, guardian=guardian.id,
                          **link_values)
        guardian = Guardian.get_or_none(Guardian.id == form.id)
        link = StudentGuardian.get_or_none((StudentGuardian.student == student_id)
                                           & (StudentGuardian.guardian == form.id))
        if guardian is None or link is None:
            raise ServiceError(_("This guardian is no longer linked to the student."))
        save_versioned(actor, guardian, form.version, **values)
        return save_versioned(actor, link, form.link_version, **link_values)


def may_edit_guardians(actor: Actor) -> bool:
    """May add, change, link and unlink a student's guardians."""
    return actor.has_role(*GUARDIAN_ROLES)


def _mail_rule(has_authority: bool, receives_mail: bool, info_granted: bool) -> None:
    if receives_mail and not (has_authority or info_granted):
        raise ServiceError(_("A parent without parental authority only receives mail when "
                             "information has been granted to them."))


def link_guardian(actor: Actor, student_id: int, guardian_id: int, relation: str = "",
                  has_authority: bool = True, receives_mail: bool | None = None,
                  info_granted: bool = False) -> StudentGuardian:
    """Link an existing guardian to another child (a brother or sister).

    ``receives_mail`` defaults to ``has_authority``; mail to a parent without authority
    needs ``info_granted`` (as in ``save_guardian``).
    """
    _require(actor, GUARDIAN_ROLES)
    receives_mail = has_authority if receives_mail is None else receives_mail
    _mail_rule(has_authority, receives_mail, info_granted)
    with write():
        if not access.can_view_guardian(actor, guardian_id):
            raise ServiceError(_("This guardian no longer exists."))
        access.require_student(actor, student_id)
        existing = StudentGuardian.get_or_none((StudentGuardian.student == student_id)
                                               & (StudentGuardian.guardian == guardian_id))
        if existing is not None:
            raise ServiceError(_("This guardian is already linked to the student."))
        return create(actor, StudentGuardian, student=student_id, guardian=guardian_id,
                      relation=relation.strip(), has_authority=bool(has_authority),
                      receives_mail=bool(receives_mail), info_granted=bool(info_granted))


@dataclass(frozen=True)
class GuardianMatch:
    """A guardian found by typing: enough to recognise them, little more."""

    id: int
    name: str
    address: str  # "Dorpsstraat 5, 1234 AB Ede"
    children: tuple[str, ...]  # linked students the searcher may see: "Name (2A)"
    other_children: int  # linked students the searcher may not see


_POSTCODE = re.compile(r"\b(\d{4})\s+([A-Za-z]{2})\b")
GUARDIAN_SEARCH_LIMIT = 20


def _guardian_word(word: str):
    G = Guardian
    postcode = fn.REPLACE(fn.UPPER(G.postcode), " ", "")
    return (G.last_name.contains(word) | G.first_name.startswith(word)
            | G.initials.startswith(word) | G.tussenvoegsel.startswith(word)
            | postcode.startswith(word.upper()) | G.city.startswith(word)
            | G.email.startswith(word) | G.street.startswith(word))


def search_guardians(actor: Actor, text: str, exclude_student: int | None = None,
                     limit: int = GUARDIAN_SEARCH_LIMIT) -> list[GuardianMatch]:
    """Guardians matching every typed word (name, postcode, city, street, e-mail), at most
    ``limit``, by last name; nothing for less than two characters. Those already linked to
    ``exclude_student`` are left out. Children the actor may not see are only counted."""
    _require(actor, GUARDIAN_ROLES)
    text = _POSTCODE.sub(r"\1\2", (text or "").strip())
    if len(text.replace(" ", "")) < 2:
        return []
    G = Guardian
    query = G.select(G.id, G.first_name, G.initials, G.tussenvoegsel, G.last_name, G.street,
                     G.house_number, G.postcode, G.city).where(access.guardian_visibility(actor))
    for word in text.split():
        query = query.where(_guardian_word(word))
    if exclude_student is not None:
        linked = StudentGuardian.select(StudentGuardian.guardian).where(
            StudentGuardian.student == exclude_student)
        query = query.where(G.id.not_in(linked))
    rows = list(query.order_by(G.last_name, G.first_name, G.id).limit(max(1, limit)))
    children = _children_of([g.id for g in rows], actor)
    return [GuardianMatch(g.id, _guardian_name(g), _guardian_address(g),
                          tuple(children.get(g.id, ([], 0))[0]),
                          children.get(g.id, ([], 0))[1]) for g in rows]


def _guardian_name(g: Guardian) -> str:
    return " ".join(p for p in (g.first_name or g.initials, g.tussenvoegsel, g.last_name) if p)


def _guardian_address(g: Guardian) -> str:
    street = " ".join(p for p in (g.street, g.house_number) if p)
    place = " ".join(p for p in (g.postcode, g.city) if p)
    return ", ".join(p for p in (street, place) if p)


def _children_of(guardian_ids: list[int], actor: Actor) -> dict[int, tuple[list[str], int]]:
    """Guardian id -> (visible children "Name (class)", count of the others)."""
    if not guardian_ids:
        return {}
    visible = Student.select(Student.id).where(access.student_visibility(actor))
    SG = StudentGuardian
    rows = (SG.select(SG.guardian, Student.first_name, Student.tussenvoegsel,
                      Student.last_name, SchoolClass.name.alias("class_name"),
                      Student.id.in_(visible).alias("seen"))
            .join(Student, on=(SG.student == Student.id))
            .join(SchoolClass, JOIN.LEFT_OUTER, on=(Student.school_class == SchoolClass.id))
            .where(SG.guardian.in_(guardian_ids) & Student.left_on.is_null())
            .order_by(Student.sort_name).dicts())
    found: dict[int, tuple[list[str], int]] = {}
    for row in rows:
        names, others = found.get(row["guardian"], ([], 0))
        if row["seen"]:
            name = " ".join(p for p in (row["first_name"], row["tussenvoegsel"],
                                        row["last_name"]) if p)
            names.append(f"{name} ({row['class_name']})" if row["class_name"] else name)
        else:
            others += 1
        found[row["guardian"]] = (names, others)
    return found


def unlink_guardian(actor: Actor, student_id: int, guardian_id: int, link_version: int) -> None:
    """Remove a guardian from one student; the guardian record stays for siblings."""
    _require(actor, GUARDIAN_ROLES)
    with write():
        access.require_student(actor, student_id)
        link = StudentGuardian.get_or_none((StudentGuardian.student == student_id)
                                           & (StudentGuardian.guardian == guardian_id))
        if link is None:
            raise ServiceError(_("This guardian is no longer linked to the student."))
        rows = (StudentGuardian.delete().where((StudentGuardian.id == link.id)
                                               & (StudentGuardian.version == link_version))
                .execute())
        if rows == 0:
            raise Conflict("student_guardian", link.id, _stored(link))
        audit(actor, "delete", "student_guardian", link.id)
