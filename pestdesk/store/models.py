"""The peewee models: the whole pestdesk domain as tables.

Models are bound at run time to the database that ``pestdesk.store.db`` opens (a
``DatabaseProxy``), so one process can open any file and tests use real temp files.
Every table a user edits has a ``version`` column for optimistic concurrency
(see ``pestdesk.services.base``). Times are stored in UTC, dates as dates.
"""

from __future__ import annotations

import datetime as dt

import peewee
from peewee import (
    BlobField,
    BooleanField,
    CharField,
    CompositeKey,
    DatabaseProxy,
    DateField,
    DateTimeField,
    ForeignKeyField,
    IntegerField,
    Model,
    ModelAlias,
    TextField,
)

from .. import clock
from . import scope as _scope

database = DatabaseProxy()


def utcnow() -> dt.datetime:
    """Now in UTC, naive (SQLite has no time zones; every stored time is UTC)."""
    return clock.utcnow()


class BaseModel(Model):
    """Every query built through a model passes the school scope (``store.scope``).

    A model says how its rows belong to a school in ``_scope_where`` (None: board-wide, such
    as the audit trail); ``select``/``update``/``delete`` and aliases add that condition, and
    ``insert``/``insert_many`` fill ``school`` when the caller did not (``_school_default``).
    """

    class Meta:
        database = database
        legacy_table_names = False

    # the foreign key whose row a new row takes its school from (else the active school)
    _school_parent: str | None = None

    @classmethod
    def _scope_where(cls, source, scope: _scope.Scope):
        """The condition over ``source`` (the model or an alias of it) for ``scope``."""
        return None

    @classmethod
    def _unscoped_where(cls, source):
        """The condition without a scope (the whole file): none, except for settings."""
        return None

    @classmethod
    def _scoped(cls, query, source):
        scope = _scope.current()
        if scope is None:
            where = cls._unscoped_where(source)
            return query if where is None else query.where(where)
        where = cls._scope_where(source, scope)
        return query if where is None else query.where(where)

    @classmethod
    def select(cls, *fields):
        return cls._scoped(super().select(*fields), cls)

    @classmethod
    def update(cls, __data=None, **update):
        return cls._scoped(super().update(__data, **update), cls)

    @peewee.classmethod_only
    def delete(cls):
        return cls._scoped(super().delete(), cls)

    @classmethod
    def alias(cls, alias=None):
        return ScopedAlias(cls, alias)

    @classmethod
    def _school_default(cls, rows: list[dict]) -> None:
        """Fill ``school`` in rows (dicts keyed by field) that do not name it."""
        if "school" not in cls._meta.fields:
            return
        school = cls._meta.fields["school"]
        missing = [row for row in rows if school not in row and "school" not in row]
        if not missing:
            return
        parents: dict = {}
        if cls._school_parent is not None:
            fk = cls._meta.fields[cls._school_parent]
            ids = set()
            for row in missing:
                value = row.get(fk, row.get(fk.name))
                value = getattr(value, "id", value)
                if value is not None:
                    ids.add(value)
            model = fk.rel_model
            ids = sorted(ids)
            for start in range(0, len(ids), 500):
                parents.update(model.select(model.id, model.school)
                               .where(model.id.in_(ids[start:start + 500])).tuples())
        for row in missing:
            value = None
            if cls._school_parent is not None:
                fk = cls._meta.fields[cls._school_parent]
                value = row.get(fk, row.get(fk.name))
                value = getattr(value, "id", value)
            row[school] = parents.get(value) or cls._own_school(row)

    @classmethod
    def _own_school(cls, row: dict) -> int:
        return _scope.active_school()

    @classmethod
    def insert(cls, __data=None, **insert):
        data = cls._normalize_data(__data, insert)
        if isinstance(data, dict):
            cls._school_default([data])
        return peewee.ModelInsert(cls, data)

    @classmethod
    def insert_many(cls, rows, fields=None):
        if "school" not in cls._meta.fields:
            return super().insert_many(rows, fields)
        rows = list(rows)
        if fields is not None:
            names = [f if isinstance(f, str) else f.name for f in fields]
            if "school" in names:
                return super().insert_many(rows, fields)
            dicts = [dict(zip(names, row, strict=True)) for row in rows]
        else:
            dicts = [dict(row) if isinstance(row, dict) else row for row in rows]
            if any(not isinstance(row, dict) for row in dicts):
                return super().insert_many(rows, fields)
        cls._school_default(dicts)
        out = []
        for row in dicts:  # names and fields mixed: key everything by field name
            out.append({(k.name if isinstance(k, peewee.Field) else k): v
                        for k, v in row.items()})
        return super().insert_many(out)


class ScopedAlias(ModelAlias):
    """An alias (``Model.alias("x")``) whose SELECT passes the scope like the model's."""

    def select(self, *selection):
        return self.model._scoped(super().select(*selection), self)


def _in(column, schools: frozenset[int]):
    if len(schools) == 1:
        return column == next(iter(schools))
    return column.in_(sorted(schools))


class SchoolOwned:
    """Mixin for the scope rule of a model with a ``school`` column."""

    @classmethod
    def _scope_where(cls, source, scope):
        return _in(source.school, scope.schools)


class Versioned(BaseModel):
    """A table users edit: saves state the version they read (see services.base)."""

    version = IntegerField(default=1)
    created_at = DateTimeField(default=utcnow)
    updated_at = DateTimeField(default=utcnow)


class School(Versioned):
    """One school (or location) of a board; a single-school file has exactly one."""

    name = CharField(unique=True)

    @classmethod
    def _scope_where(cls, source, scope):
        return _in(source.id, scope.schools)


def school_field():
    """The ``school`` column of a school-owned table (no index of its own: the lists
    keep their own indexes; the per-school unique keys lead with it)."""
    return ForeignKeyField(School, backref="+", index=False, on_delete="RESTRICT")


#: the settings that belong to one school (its profile and letterhead, protocol preset,
#: calendar, letter templates, ...); every other key is board-wide (school ``scope.BOARD``)
SCHOOL_SETTINGS = ("school_profile", "school_calendar", "helplines_seeded",
                   "letter_template:", "letter_window", "retention_years", "demo")


def is_school_setting(key: str) -> bool:
    return any(key == k or (k.endswith(":") and key.startswith(k)) for k in SCHOOL_SETTINGS)


class Setting(BaseModel):
    """School profile and app settings as key -> JSON text, per school or board-wide."""

    school = IntegerField(column_name="school_id")  # a School, or scope.BOARD: board-wide
    key = CharField()
    value = TextField()
    version = IntegerField(default=1)

    class Meta:
        primary_key = CompositeKey("school", "key")

    @classmethod
    def _scope_where(cls, source, scope):
        return source.school.in_([_scope.BOARD, scope.active])

    @classmethod
    def _unscoped_where(cls, source):
        # the whole file reads the settings of its first school (a single-school file's)
        return source.school.in_([_scope.BOARD, _scope.FIRST_SCHOOL])

    @classmethod
    def _school_default(cls, rows):
        school = cls._meta.fields["school"]
        key_field = cls._meta.fields["key"]
        for row in rows:
            if school in row or "school" in row:
                continue
            key = row.get(key_field, row.get("key", ""))
            row[school] = _scope.active_school() if is_school_setting(str(key)) else _scope.BOARD


class Staff(Versioned):
    school = school_field()  # the school that added them; more schools in StaffSchool
    code = CharField()  # afkorting, e.g. "JNS"; unique per school
    first_name = CharField(default="")
    tussenvoegsel = CharField(default="")
    last_name = CharField()
    email = CharField(default="")
    # comma-separated role codes: mentor, afdelingscoordinator, ondersteuningscoordinator,
    # vertrouwenspersoon, directie, vakdocent, beheerder, zorgteam
    roles = CharField(default="")
    active = BooleanField(default=True)
    # afdeling(en) of an afdelingscoordinator/-leider: names as in SchoolClass.department
    departments = CharField(default="")

    class Meta:
        indexes = ((("school", "code"), True),)

    @classmethod
    def _scope_where(cls, source, scope):
        link = StaffSchool.alias("scope_staff_school")
        return (_in(source.school, scope.schools)
                | source.id.in_(link.select(link.staff)))


class StaffSchool(SchoolOwned, BaseModel):
    """A school a staff member works for besides the one that added them (a teacher at two
    locations works in both)."""

    staff = ForeignKeyField(Staff, backref="schools", on_delete="CASCADE")
    school = school_field()

    class Meta:
        indexes = ((("staff", "school"), True),)


class User(Versioned):
    staff = ForeignKeyField(Staff, backref="users", null=True, on_delete="SET NULL")
    username = CharField(unique=True)
    password_hash = CharField(default="")
    active = BooleanField(default=True)
    failed_attempts = IntegerField(default=0)  # unused since schema 4 (SignInThrottle)
    last_login_at = DateTimeField(null=True)
    last_failed_at = DateTimeField(null=True)  # unused since schema 4 (SignInThrottle)
    must_change_password = BooleanField(default=False)  # set by a reset: change at sign-in
    password_reset_at = DateTimeField(null=True)  # the last reset by a beheerder (shown)

    @classmethod
    def _scope_where(cls, source, scope):
        staff = Staff.alias("scope_user_staff")
        return source.staff.is_null() | source.staff.in_(staff.select(staff.id))


class SignInThrottle(BaseModel):
    """The wait after wrong passwords per typed user name, known or not.

    ``key`` is a keyed hash of the lower-case name (never the name: it may be a password
    typed in the wrong field). Updated in one write transaction before a password is checked.
    """

    key = CharField(primary_key=True)
    failed_attempts = IntegerField(default=0)
    last_failed_at = DateTimeField(null=True)


class RoleGrant(BaseModel):
    """Access that opens dossiers, asked by one person, in force once another confirms.

    ``kind`` "role" (``value`` a role code), "department" (a department name for a holder of a
    department role) or "notes" (a vertrouwenspersoon's confidential notes after their
    password was reset). ``status``: pending, confirmed, refused, withdrawn. User ids are
    plain numbers (like the audit trail) so history survives a deleted account.
    """

    staff = ForeignKeyField(Staff, backref="grants", on_delete="CASCADE")
    kind = CharField()
    value = CharField()
    requested_by = IntegerField(null=True)  # user id; None: the command line
    requested_at = DateTimeField(default=utcnow)
    status = CharField(default="pending", index=True)
    decided_by = IntegerField(null=True)
    decided_at = DateTimeField(null=True)

    @classmethod
    def _scope_where(cls, source, scope):
        staff = Staff.alias("scope_grant_staff")
        return source.staff.in_(staff.select(staff.id))


class SchoolClass(SchoolOwned, Versioned):
    school = school_field()
    name = CharField()  # "2B", unique per school
    leerjaar = IntegerField()
    department = CharField(default="")  # afdeling: onderbouw, bovenbouw havo, ...
    school_year = CharField(default="")

    class Meta:
        indexes = ((("school", "name"), True),)


class ClassMentor(SchoolOwned, BaseModel):
    school = school_field()
    _school_parent = "school_class"
    school_class = ForeignKeyField(SchoolClass, backref="mentors", on_delete="CASCADE")
    staff = ForeignKeyField(Staff, backref="mentor_of", on_delete="CASCADE")

    class Meta:
        indexes = ((("school_class", "staff"), True),)


class Student(SchoolOwned, Versioned):
    school = school_field()
    number = CharField()  # stamnummer; text: "004512" stays "004512"; unique per school
    first_name = CharField()  # roepnaam
    initials = CharField(default="")
    tussenvoegsel = CharField(default="")
    last_name = CharField(index=True)
    birth_date = DateField(null=True)
    gender = CharField(default="")
    school_class = ForeignKeyField(SchoolClass, backref="students", null=True, on_delete="SET NULL")
    left_on = DateField(null=True)  # left school: the retention period starts
    sort_name = CharField(index=True, default="")  # "achternaam, roepnaam tussenvoegsel" lowercase

    class Meta:
        indexes = ((("school", "number"), True),)


class Guardian(SchoolOwned, Versioned):
    school = school_field()
    first_name = CharField(default="")
    initials = CharField(default="")
    tussenvoegsel = CharField(default="")
    last_name = CharField()
    salutation = CharField(default="")  # "mevrouw", "de heer", ""
    street = CharField(default="")
    house_number = CharField(default="")
    postcode = CharField(default="")
    city = CharField(default="")
    country = CharField(default="")
    email = CharField(default="")
    phone = CharField(default="")


class StudentGuardian(SchoolOwned, Versioned):
    school = school_field()
    _school_parent = "student"
    student = ForeignKeyField(Student, backref="guardian_links", on_delete="CASCADE")
    guardian = ForeignKeyField(Guardian, backref="student_links", on_delete="CASCADE")
    relation = CharField(default="")  # moeder, vader, verzorger, voogd
    has_authority = BooleanField(default=True)  # ouderlijk gezag
    receives_mail = BooleanField(default=True)
    info_granted = BooleanField(default=False)  # parent without authority granted information

    class Meta:
        indexes = ((("student", "guardian"), True),)


class Case(SchoolOwned, Versioned):
    school = school_field()
    number = CharField()  # "2026-0042", unique per school
    is_signal = BooleanField(default=False)  # a teacher's signaal, not (yet) a case
    status = CharField(default="open", index=True)  # open, closed
    reported_on = DateField(index=True)
    reporter_kind = CharField(default="")  # student, parent, teacher, anonymous, vertrouwenspersoon
    reported_via = CharField(default="")  # in person, phone, e-mail, ...
    summary = CharField(default="")
    description = TextField(default="")
    location = CharField(default="")  # class, school, outside, online
    since = CharField(default="")
    frequency = CharField(default="")
    scope = CharField(default="")  # one_class, across_classes
    forms = CharField(default="")  # comma-separated form codes from the protocol taxonomy
    is_cyber = BooleanField(default=False, index=True)
    cyber_track = CharField(default="")  # stalking, discriminatie, grooming, sexting
    protocol_code = CharField(default="")
    protocol_version = CharField(default="")
    owner = ForeignKeyField(Staff, backref="owned_cases", null=True, on_delete="SET NULL")
    created_by = ForeignKeyField(User, backref="created_cases", null=True, on_delete="SET NULL")
    closed_on = DateField(null=True)
    close_reason = TextField(default="")
    # denormalised for fast lists; kept by services
    stage_code = CharField(default="", index=True)
    next_due_on = DateField(null=True, index=True)

    class Meta:
        # the figures search a school's cases by the day reported or closed (migration 6)
        indexes = ((("school", "number"), True), (("school", "reported_on"), False),
                   (("school", "closed_on"), False))


class Involvement(SchoolOwned, Versioned):
    school = school_field()
    _school_parent = "case"
    case = ForeignKeyField(Case, backref="involvements", on_delete="CASCADE")
    student = ForeignKeyField(Student, backref="involvements", on_delete="CASCADE")
    role = CharField(index=True)  # gepeste, pester, meeloper, middengroep, getuige
    stage_code = CharField(default="")  # the pester's stage on the ladder
    relapse_of = ForeignKeyField(Case, null=True, on_delete="SET NULL", backref="relapses")
    notes = TextField(default="")

    class Meta:
        indexes = ((("case", "student"), True),)


class Event(SchoolOwned, Versioned):
    """A timeline entry of a case: conversation, step, letter, sanction, note, ..."""

    school = school_field()
    _school_parent = "case"

    case = ForeignKeyField(Case, backref="events", on_delete="CASCADE")
    involvement = ForeignKeyField(Involvement, null=True, backref="events", on_delete="SET NULL")
    kind = CharField(index=True)
    occurred_on = DateField(index=True)
    title = CharField(default="")
    body = TextField(default="")
    step_code = CharField(default="")
    stage_code = CharField(default="")
    data = TextField(default="")  # JSON: structured fields of the conversation guide etc.
    confidential = BooleanField(default=False)  # vertrouwenspersoon's notes
    author = ForeignKeyField(User, null=True, on_delete="SET NULL")


class Agreement(SchoolOwned, Versioned):
    school = school_field()
    _school_parent = "case"
    case = ForeignKeyField(Case, backref="agreements", on_delete="CASCADE")
    event = ForeignKeyField(Event, null=True, on_delete="SET NULL")
    description = TextField()
    owner = ForeignKeyField(Staff, null=True, on_delete="SET NULL")
    evaluate_on = DateField(null=True, index=True)
    done_on = DateField(null=True)
    outcome = TextField(default="")


class Contract(SchoolOwned, Versioned):
    school = school_field()
    _school_parent = "case"
    case = ForeignKeyField(Case, backref="contracts", on_delete="CASCADE")
    student = ForeignKeyField(Student, on_delete="CASCADE")
    made_on = DateField()
    rules = TextField(default="")
    signed_student_on = DateField(null=True)
    signed_parent_on = DateField(null=True)
    evaluate_on = DateField(null=True, index=True)
    outcome = CharField(default="")  # "", kept, broken


class Sanction(SchoolOwned, Versioned):
    school = school_field()
    _school_parent = "case"
    case = ForeignKeyField(Case, backref="sanctions", on_delete="CASCADE")
    student = ForeignKeyField(Student, on_delete="CASCADE")
    kind = CharField()  # schorsing, interne_schorsing, voornemen_verwijdering, verwijdering
    first_day = DateField(null=True)
    last_day = DateField(null=True)
    school_days = IntegerField(default=0)
    reason = TextField(default="")
    decided_by = ForeignKeyField(Staff, null=True, on_delete="SET NULL")
    decided_on = DateField(null=True)
    hearing_on = DateField(null=True)
    hearing_who = CharField(default="")
    hearing_summary = TextField(default="")
    inspectie_due_on = DateField(null=True)
    inspectie_reported_on = DateField(null=True)
    inspectie_reference = CharField(default="")


class Meeting(SchoolOwned, Versioned):
    school = school_field()
    kind = CharField(index=True)  # IZO, OT, ACT
    starts_at = DateTimeField(index=True)
    duration_minutes = IntegerField(default=60)
    place = CharField(default="")
    chair = ForeignKeyField(Staff, null=True, on_delete="SET NULL")
    attendees = TextField(default="")  # JSON list of staff ids
    externals = TextField(default="")  # JSON list of {name, role}
    notes = TextField(default="")


class AgendaItem(SchoolOwned, Versioned):
    school = school_field()
    _school_parent = "meeting"
    meeting = ForeignKeyField(Meeting, backref="items", on_delete="CASCADE")
    case = ForeignKeyField(Case, null=True, backref="agenda_items", on_delete="CASCADE")
    position = IntegerField(default=0)
    question = TextField(default="")  # hulpvraag
    minutes = TextField(default="")
    decision = TextField(default="")
    consent_basis = CharField(default="")  # consent, samenwerkingsverband, none


class Consent(SchoolOwned, Versioned):
    school = school_field()
    _school_parent = "student"
    student = ForeignKeyField(Student, backref="consents", on_delete="CASCADE")
    given_by = CharField()  # guardian name or "leerling"
    given_on = DateField()
    scope = TextField(default="")
    withdrawn_on = DateField(null=True)


class Action(SchoolOwned, Versioned):
    school = school_field()
    _school_parent = "case"
    case = ForeignKeyField(Case, null=True, backref="actions", on_delete="CASCADE")
    agenda_item = ForeignKeyField(AgendaItem, null=True, backref="actions", on_delete="SET NULL")
    description = TextField()
    owner = ForeignKeyField(Staff, null=True, on_delete="SET NULL")
    due_on = DateField(null=True, index=True)
    done_on = DateField(null=True)


class Letter(SchoolOwned, BaseModel):
    """An issued letter, archived exactly as sent (never edited, so no version)."""

    school = school_field()
    _school_parent = "case"

    case = ForeignKeyField(Case, null=True, backref="letters", on_delete="CASCADE")
    student = ForeignKeyField(Student, null=True, on_delete="CASCADE")
    template_code = CharField()
    template_version = CharField(default="")
    recipient = TextField(default="")
    merge_data = TextField(default="")  # JSON
    pdf = BlobField(null=True)
    sha256 = CharField(default="")
    created_by = ForeignKeyField(User, null=True, on_delete="SET NULL")
    created_at = DateTimeField(default=utcnow)


class Attachment(SchoolOwned, BaseModel):
    """Evidence stored inside the database; never altered (hence no version)."""

    school = school_field()
    _school_parent = "case"

    case = ForeignKeyField(Case, backref="attachments", on_delete="CASCADE")
    filename = CharField()
    mime_type = CharField(default="")
    description = TextField(default="")
    data = BlobField(null=True)
    sha256 = CharField()
    size = IntegerField(default=0)
    added_by = ForeignKeyField(User, null=True, on_delete="SET NULL")
    added_at = DateTimeField(default=utcnow)


class Helpline(SchoolOwned, Versioned):
    school = school_field()
    name = CharField()
    phone = CharField(default="")
    url = CharField(default="")
    topic = CharField(default="")
    description = TextField(default="")


class Presence(BaseModel):
    """Who has the database open; a heartbeat that goes stale when a client dies."""

    client_id = CharField(primary_key=True)
    username = CharField(default="")
    host = CharField(default="")
    started_at = DateTimeField(default=utcnow)
    heartbeat_at = DateTimeField(default=utcnow)


class AuditLog(BaseModel):
    """Append-only, hash-chained trail: who did what to which record, when.

    Holds no personal data: table names and ids, an action code and a short non-personal
    detail. Triggers refuse UPDATE and DELETE (migration 2).
    """

    at = DateTimeField(default=utcnow)
    user = IntegerField(null=True)  # user id, kept as a plain number so history survives
    action = CharField()  # create, update, delete, view, print, export, login, ...
    table = CharField(default="")
    record_id = IntegerField(null=True)
    detail = TextField(default="")
    prev_hash = CharField(default="")
    hash = CharField(default="")


ALL_MODELS: list[type[BaseModel]] = [
    School,
    Setting,
    Staff,
    StaffSchool,
    User,
    SignInThrottle,
    RoleGrant,
    SchoolClass,
    ClassMentor,
    Student,
    Guardian,
    StudentGuardian,
    Case,
    Involvement,
    Event,
    Agreement,
    Contract,
    Sanction,
    Meeting,
    AgendaItem,
    Consent,
    Action,
    Letter,
    Attachment,
    Helpline,
    Presence,
    AuditLog,
]
