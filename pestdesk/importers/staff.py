"""Staff exports: afkorting, names, e-mail and roles, validated into a plan keyed on the code.

Roles arrive as Dutch job names ("Mentor, Afdelingsleider", "Zorgcoördinator") and become the
role codes pestdesk uses. A job title we do not know ("Conciërge") grants nothing and is
reported as a warning: an unknown title must never grant access by accident. A department
column ("Afdeling", "Afdelingen", "Team") gives an afdelingscoördinator the departments whose
classes' cases they see; an empty cell keeps what is stored.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from ..i18n import N_, _
from .columns import (
    ColumnMapping,
    apply_explicit,
    column_indexes,
    compact,
    missing_column_problems,
    suggest_mapping,
)
from .problems import ImportProblem
from .reader import Table
from .values import clean

ROLE_CODES = ("mentor", "afdelingscoordinator", "ondersteuningscoordinator",
              "vertrouwenspersoon", "directie", "vakdocent", "beheerder", "zorgteam", "bestuur")

ROLE_NAMES: dict[str, str] = {
    "mentor": "mentor", "klassenmentor": "mentor", "coach": "mentor",
    "afdelingscoordinator": "afdelingscoordinator", "afdelingsleider": "afdelingscoordinator",
    "teamleider": "afdelingscoordinator", "afdelingsleiding": "afdelingscoordinator",
    "ondersteuningscoordinator": "ondersteuningscoordinator",
    "zorgcoordinator": "ondersteuningscoordinator", "oco": "ondersteuningscoordinator",
    "zoco": "ondersteuningscoordinator",
    "vertrouwenspersoon": "vertrouwenspersoon", "internevertrouwenspersoon": "vertrouwenspersoon",
    "directie": "directie", "directeur": "directie", "adjunctdirecteur": "directie",
    "rector": "directie", "conrector": "directie", "locatiedirecteur": "directie",
    "vakdocent": "vakdocent", "docent": "vakdocent", "leraar": "vakdocent",
    "beheerder": "beheerder", "applicatiebeheerder": "beheerder", "administratie": "beheerder",
    "zorgteam": "zorgteam", "zorg": "zorgteam", "antipestcoordinator": "zorgteam",
    "bestuur": "bestuur", "bestuurder": "bestuur", "collegevanbestuur": "bestuur",
}

STAFF_SYNONYMS: dict[str, tuple[str, ...]] = {
    "code": ("afkorting", "code", "docentcode", "medewerkercode", "personeelscode", "afk"),
    "first_name": ("roepnaam", "voornaam"),
    "tussenvoegsel": ("tussenvoegsel", "tussenvoegsels", "voorvoegsel", "tussenv"),
    "last_name": ("achternaam", "geslachtsnaam"),
    "email": ("email", "emailadres", "mail", "emailschool"),
    "roles": ("rollen", "rol", "functie", "functies"),
    "departments": ("afdelingen", "afdeling", "team", "teams"),
}
STAFF_REQUIRED = ("code", "last_name")
STAFF_LABELS = {
    "code": N_("Staff code"), "first_name": N_("First name"),
    "tussenvoegsel": N_("Name prefix (tussenvoegsel)"), "last_name": N_("Last name"),
    "email": N_("E-mail"), "roles": N_("Roles"),
    "departments": N_("Departments (afdelingen)"),
}
_ROLE_SPLIT = re.compile(r"\s*(?:[,;/|+&]|\ben\b)\s*")
_DEPARTMENT_SPLIT = re.compile(r"[,;]")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def _rank(header: str) -> tuple[str, int] | None:
    key = compact(header)
    for name, spellings in STAFF_SYNONYMS.items():
        if key in spellings:
            return name, spellings.index(key)
    return None


def parse_roles(text: str) -> tuple[list[str], list[str]]:
    """(role codes, words we did not recognise) from "Mentor, Afdelingsleider"."""
    codes, unknown = [], []
    for part in _ROLE_SPLIT.split(text or ""):
        if not part.strip():
            continue
        key = compact(part)
        code = ROLE_NAMES.get(key)
        if code is None and key.startswith("docent"):  # "Docent Engels"
            code = "vakdocent"
        if code is None:
            unknown.append(part.strip())
        elif code not in codes:
            codes.append(code)
    return codes, unknown


def parse_departments(text: str) -> str:
    """"Onderbouw; bovenbouw havo" -> "Onderbouw,bovenbouw havo": the stored form, comma
    separated, each name once (without regard to case), in the file's order."""
    names: list[str] = []
    for part in _DEPARTMENT_SPLIT.split(text or ""):
        name = clean(part)
        if name and name.casefold() not in {n.casefold() for n in names}:
            names.append(name)
    return ",".join(names)


def department_set(text: str) -> frozenset[str]:
    """The departments of a stored or parsed value, compared as access compares them."""
    return frozenset(d.strip().casefold() for d in (text or "").split(",") if d.strip())


@dataclass
class StaffRecord:
    row: int
    code: str
    last_name: str
    first_name: str = ""
    tussenvoegsel: str = ""
    email: str = ""
    roles: str | None = None  # None: the file says nothing, keep what is stored
    departments: str | None = None  # None: no column or an empty cell, keep what is stored


@dataclass(frozen=True)
class ExistingStaff:
    id: int
    version: int
    code: str
    first_name: str
    tussenvoegsel: str
    last_name: str
    email: str
    roles: str
    active: bool
    departments: str = ""


@dataclass
class StaffPlan:
    mapping: ColumnMapping
    problems: list[ImportProblem] = field(default_factory=list)
    warnings: list[ImportProblem] = field(default_factory=list)
    records: list[StaffRecord] = field(default_factory=list)
    new: list[StaffRecord] = field(default_factory=list)
    changed: list[tuple[StaffRecord, ExistingStaff, dict[str, object]]] = field(
        default_factory=list)
    unchanged: list[StaffRecord] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def counts(self) -> dict[str, int]:
        return {"rows": len(self.records), "new": len(self.new), "changed": len(self.changed),
                "unchanged": len(self.unchanged), "problems": len(self.problems),
                "warnings": len(self.warnings)}


def parse_staff(table: Table, explicit: Mapping[str, str | None] | None = None) -> StaffPlan:
    """Validate every row of a staff export."""
    mapping, problems = apply_explicit(suggest_mapping(table.headers, _rank), explicit,
                                       table.headers)
    plan = StaffPlan(mapping, list(table.problems) + problems)
    if not table.headers:
        return plan
    plan.problems.extend(missing_column_problems(mapping, STAFF_REQUIRED, STAFF_LABELS))
    if mapping.missing(STAFF_REQUIRED):
        return plan
    indexes, index_problems = column_indexes(mapping, table.headers)
    plan.problems.extend(index_problems)
    seen: dict[str, int] = {}
    for row_number, row in zip(table.row_numbers, table.rows, strict=True):
        record = _staff_record(row_number, row, indexes, mapping, plan)
        code = clean(row[indexes["code"]])
        first = seen.setdefault(code.upper(), row_number) if code else row_number
        if first != row_number:
            plan.problems.append(ImportProblem(row_number, mapping.fields["code"], _(
                "Staff code {code} also appears in row {row}.").format(code=code, row=first)))
        elif record is not None:
            plan.records.append(record)
    return plan


def _staff_record(row_number: int, row: list[str], indexes: dict[str, int],
                  mapping: ColumnMapping, plan: StaffPlan) -> StaffRecord | None:
    def value(name: str) -> str:
        return clean(row[indexes[name]]) if name in indexes else ""

    ok = True
    if not value("code"):
        plan.problems.append(ImportProblem(row_number, mapping.fields["code"],
                                           _("The staff code is empty.")))
        ok = False
    if not value("last_name"):
        plan.problems.append(ImportProblem(row_number, mapping.fields["last_name"],
                                           _("The last name is empty.")))
        ok = False
    email = value("email")
    if email and not _EMAIL.match(email):
        plan.problems.append(ImportProblem(row_number, mapping.fields["email"], _(
            "\"{value}\" is not an e-mail address.").format(value=email)))
        ok = False
    roles = None
    if "roles" in indexes and value("roles"):
        codes, unknown = parse_roles(value("roles"))
        roles = ",".join(codes)
        for word in unknown:
            plan.warnings.append(ImportProblem(row_number, mapping.fields["roles"], _(
                "\"{role}\" is not a pestdesk role and gives no rights.").format(role=word)))
    if not ok:
        return None
    return StaffRecord(row_number, value("code"), value("last_name"), value("first_name"),
                       value("tussenvoegsel"), email, roles,
                       parse_departments(value("departments")) or None)


def _role_set(roles: str) -> frozenset[str]:
    return frozenset(r.strip() for r in roles.split(",") if r.strip())


def build_staff_plan(plan: StaffPlan, existing: list[ExistingStaff]) -> StaffPlan:
    """Sort the records into new, changed and unchanged against the stored staff."""
    if not plan.ok:
        return plan
    by_code = {s.code.upper(): s for s in existing}
    for record in plan.records:
        stored = by_code.get(record.code.upper())
        if stored is None:
            plan.new.append(record)
            continue
        changes: dict[str, object] = {}
        for name in ("first_name", "tussenvoegsel", "last_name", "email"):
            if name in plan.mapping.fields and getattr(record, name) != getattr(stored, name):
                changes[name] = getattr(record, name)
        if record.roles is not None and _role_set(record.roles) != _role_set(stored.roles):
            changes["roles"] = record.roles
        if (record.departments is not None
                and department_set(record.departments) != department_set(stored.departments)):
            changes["departments"] = record.departments
        if not stored.active:
            changes["active"] = True
        if changes:
            plan.changed.append((record, stored, changes))
        else:
            plan.unchanged.append(record)
    return plan
