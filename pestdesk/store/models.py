"""The peewee models: the whole pestdesk domain as tables.

Models are bound at run time to the database that ``pestdesk.store.db`` opens (a
``DatabaseProxy``), so one process can open any file and tests use real temp files.
Every table a user edits has a ``version`` column for optimistic concurrency
(see ``pestdesk.services.base``). Times are stored in UTC, dates as dates.
"""

from __future__ import annotations

import datetime as dt

from peewee import (
    BlobField,
    BooleanField,
    CharField,
    DatabaseProxy,
    DateField,
    DateTimeField,
    ForeignKeyField,
    IntegerField,
    Model,
    TextField,
)

from .. import clock

database = DatabaseProxy()


def utcnow() -> dt.datetime:
    """Now in UTC, naive (SQLite has no time zones; every stored time is UTC)."""
    return clock.utcnow()


class BaseModel(Model):
    class Meta:
        database = database
        legacy_table_names = False


class Versioned(BaseModel):
    """A table users edit: saves state the version they read (see services.base)."""

    version = IntegerField(default=1)
    created_at = DateTimeField(default=utcnow)
    updated_at = DateTimeField(default=utcnow)


class Setting(BaseModel):
    """School profile and app settings as key -> JSON text."""

    key = CharField(primary_key=True)
    value = TextField()
    version = IntegerField(default=1)


class Staff(Versioned):
    code = CharField(unique=True)  # afkorting, e.g. "JNS"
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


class SchoolClass(Versioned):
    name = CharField(unique=True)  # "2B"
    leerjaar = IntegerField()
    department = CharField(default="")  # afdeling: onderbouw, bovenbouw havo, ...
    school_year = CharField(default="")


class ClassMentor(BaseModel):
    school_class = ForeignKeyField(SchoolClass, backref="mentors", on_delete="CASCADE")
    staff = ForeignKeyField(Staff, backref="mentor_of", on_delete="CASCADE")

    class Meta:
        indexes = ((("school_class", "staff"), True),)


class Student(Versioned):
    number = CharField(unique=True)  # stamnummer; text: "004512" stays "004512"
    first_name = CharField()  # roepnaam
    initials = CharField(default="")
    tussenvoegsel = CharField(default="")
    last_name = CharField(index=True)
    birth_date = DateField(null=True)
    gender = CharField(default="")
    school_class = ForeignKeyField(SchoolClass, backref="students", null=True, on_delete="SET NULL")
    left_on = DateField(null=True)  # left school: the retention period starts
    sort_name = CharField(index=True, default="")  # "achternaam, roepnaam tussenvoegsel" lowercase


class Guardian(Versioned):
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


class StudentGuardian(Versioned):
    student = ForeignKeyField(Student, backref="guardian_links", on_delete="CASCADE")
    guardian = ForeignKeyField(Guardian, backref="student_links", on_delete="CASCADE")
    relation = CharField(default="")  # moeder, vader, verzorger, voogd
    has_authority = BooleanField(default=True)  # ouderlijk gezag
    receives_mail = BooleanField(default=True)
    info_granted = BooleanField(default=False)  # parent without authority granted information

    class Meta:
        indexes = ((("student", "guardian"), True),)


class Case(Versioned):
    number = CharField(unique=True)  # "2026-0042"
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


class Involvement(Versioned):
    case = ForeignKeyField(Case, backref="involvements", on_delete="CASCADE")
    student = ForeignKeyField(Student, backref="involvements", on_delete="CASCADE")
    role = CharField(index=True)  # gepeste, pester, meeloper, middengroep, getuige
    stage_code = CharField(default="")  # the pester's stage on the ladder
    relapse_of = ForeignKeyField(Case, null=True, on_delete="SET NULL", backref="relapses")
    notes = TextField(default="")

    class Meta:
        indexes = ((("case", "student"), True),)


class Event(Versioned):
    """A timeline entry of a case: conversation, step, letter, sanction, note, ..."""

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


class Agreement(Versioned):
    case = ForeignKeyField(Case, backref="agreements", on_delete="CASCADE")
    event = ForeignKeyField(Event, null=True, on_delete="SET NULL")
    description = TextField()
    owner = ForeignKeyField(Staff, null=True, on_delete="SET NULL")
    evaluate_on = DateField(null=True, index=True)
    done_on = DateField(null=True)
    outcome = TextField(default="")


class Contract(Versioned):
    case = ForeignKeyField(Case, backref="contracts", on_delete="CASCADE")
    student = ForeignKeyField(Student, on_delete="CASCADE")
    made_on = DateField()
    rules = TextField(default="")
    signed_student_on = DateField(null=True)
    signed_parent_on = DateField(null=True)
    evaluate_on = DateField(null=True, index=True)
    outcome = CharField(default="")  # "", kept, broken


class Sanction(Versioned):
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


class Meeting(Versioned):
    kind = CharField(index=True)  # IZO, OT, ACT
    starts_at = DateTimeField(index=True)
    duration_minutes = IntegerField(default=60)
    place = CharField(default="")
    chair = ForeignKeyField(Staff, null=True, on_delete="SET NULL")
    attendees = TextField(default="")  # JSON list of staff ids
    externals = TextField(default="")  # JSON list of {name, role}
    notes = TextField(default="")


class AgendaItem(Versioned):
    meeting = ForeignKeyField(Meeting, backref="items", on_delete="CASCADE")
    case = ForeignKeyField(Case, null=True, backref="agenda_items", on_delete="CASCADE")
    position = IntegerField(default=0)
    question = TextField(default="")  # hulpvraag
    minutes = TextField(default="")
    decision = TextField(default="")
    consent_basis = CharField(default="")  # consent, samenwerkingsverband, none


class Consent(Versioned):
    student = ForeignKeyField(Student, backref="consents", on_delete="CASCADE")
    given_by = CharField()  # guardian name or "leerling"
    given_on = DateField()
    scope = TextField(default="")
    withdrawn_on = DateField(null=True)


class Action(Versioned):
    case = ForeignKeyField(Case, null=True, backref="actions", on_delete="CASCADE")
    agenda_item = ForeignKeyField(AgendaItem, null=True, backref="actions", on_delete="SET NULL")
    description = TextField()
    owner = ForeignKeyField(Staff, null=True, on_delete="SET NULL")
    due_on = DateField(null=True, index=True)
    done_on = DateField(null=True)


class Letter(BaseModel):
    """An issued letter, archived exactly as sent (never edited, so no version)."""

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


class Attachment(BaseModel):
    """Evidence stored inside the database; never altered (hence no version)."""

    case = ForeignKeyField(Case, backref="attachments", on_delete="CASCADE")
    filename = CharField()
    mime_type = CharField(default="")
    description = TextField(default="")
    data = BlobField(null=True)
    sha256 = CharField()
    size = IntegerField(default=0)
    added_by = ForeignKeyField(User, null=True, on_delete="SET NULL")
    added_at = DateTimeField(default=utcnow)


class Helpline(Versioned):
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
    Setting,
    Staff,
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
