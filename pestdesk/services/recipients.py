"""Who receives a letter about a student, and at which address.

The rules (Dutch law on parental authority and the school's duty to inform):

- every parent/guardian with parental authority (``StudentGuardian.has_authority``) gets the
  letter at their own address; parents who share an address (same postcode and house
  number) get ONE letter "De ouders/verzorgers van <student>";
- a parent without authority only when they asked for information and the school granted it
  (``StudentGuardian.info_granted``);
- a student of 18 or older is an adult and is addressed directly. The student record has no
  address of its own, so the letter goes to the address of the first parent/guardian in the
  student record (the LVS lists the household the student lives in first) that has a usable
  address;
- a parent with authority whose record says "no post" (``receives_mail`` off) gets no letter;
  that is reported as a note so nobody is forgotten silently.

:func:`recipients_for` returns the planned addressees, each with its address problems
(:func:`pestdesk.letters.validate_address`), so the interface reports an unusable address
BEFORE anything is printed. :func:`plan_problems` adds the problems that belong to no single
addressee (no one to write to at all).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from ..i18n import _
from ..letters import Recipient, normalise_postcode, validate_address
from ..store.models import Guardian, Student, StudentGuardian
from . import access
from .base import Actor

ADULT_AGE = 18

#: name line of a letter to parents sharing an address, per letter language
TOGETHER = {"nl": "De ouders/verzorgers van", "en": "The parents/guardians of"}


@dataclass(frozen=True)
class PlannedRecipient:
    """One letter to be sent: the addressee, why, and what is wrong with the address.

    ``kind``: ``guardian`` (one parent with authority), ``guardians`` (parents sharing an
    address), ``info`` (a parent without authority who was granted information) or
    ``student`` (an adult student). ``problems`` block printing; ``notes`` do not.
    """

    key: str
    kind: str
    recipient: Recipient
    guardian_ids: tuple[int, ...] = ()
    problems: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()

    @property
    def name(self) -> str:
        return self.recipient.name

    @property
    def usable(self) -> bool:
        return not self.problems

    def describe(self) -> str:
        """One line for a list: name, street and town."""
        r = self.recipient
        street = " ".join(p for p in (r.street, r.house_number) if p)
        place = " ".join(p for p in (normalise_postcode(r.postcode) or r.postcode, r.city) if p)
        return " · ".join(p for p in (r.name, street, place) if p)


def age_on(birth_date: dt.date | None, today: dt.date) -> int | None:
    """Age in whole years on ``today`` (None when the birth date is unknown)."""
    if birth_date is None:
        return None
    years = today.year - birth_date.year
    if (today.month, today.day) < (birth_date.month, birth_date.day):
        years -= 1
    return years


def student_name(student: Student) -> str:
    parts = (student.first_name, student.tussenvoegsel, student.last_name)
    return " ".join(p.strip() for p in parts if p and p.strip())


def _initials(g: Guardian) -> str:
    if g.initials.strip():
        return g.initials.strip()
    return f"{g.first_name.strip()[0]}." if g.first_name.strip() else ""


def _surname(g: Guardian, capital: bool) -> str:
    tv = g.tussenvoegsel.strip()
    if tv and capital:  # "mevrouw De Vries", but "A. de Vries"
        tv = tv[0].upper() + tv[1:]
    return " ".join(p for p in (tv, g.last_name.strip()) if p)


_TITLES = {
    "nl": {"mevrouw": ("Mevrouw", "mevrouw"), "de heer": ("De heer", "heer")},
    "en": {"mevrouw": ("Ms", "Ms"), "de heer": ("Mr", "Mr")},
}


def guardian_address_name(g: Guardian, lang: str = "nl") -> str:
    """``Mevrouw A. de Vries`` / ``De heer B. Jansen`` / ``A. de Vries``."""
    title = _TITLES.get(lang, _TITLES["nl"]).get(g.salutation.strip().lower(), ("", ""))[0]
    name = " ".join(p for p in (_initials(g), _surname(g, capital=False)) if p)
    return f"{title} {name}".strip()


def guardian_salutation(g: Guardian, lang: str = "nl") -> str:
    """``Geachte mevrouw De Vries`` (without the comma the template adds)."""
    titles = _TITLES.get(lang, _TITLES["nl"])
    title = titles.get(g.salutation.strip().lower(), ("", ""))[1]
    if lang == "en":
        return f"Dear {title} {_surname(g, capital=True)}".replace("  ", " ")
    if not title:
        title = "heer/mevrouw"
    return f"Geachte {title} {_surname(g, capital=True)}"


def guardian_full_name(g: Guardian) -> str:
    parts = (g.first_name, g.tussenvoegsel, g.last_name)
    return " ".join(p.strip() for p in parts if p and p.strip())


def _address_key(g: Guardian) -> str | None:
    """Postcode + house number, normalised; None when the address cannot be compared."""
    postcode = normalise_postcode(g.postcode)
    number = "".join(g.house_number.split()).lower()
    if not postcode or not number:
        return None
    return f"{postcode}|{number}"


def _recipient(g: Guardian, name_lines: tuple[str, ...], salutation: str) -> Recipient:
    return Recipient(
        name_lines=name_lines,
        street=g.street.strip(),
        house_number=g.house_number.strip(),
        postcode=g.postcode.strip(),
        city=g.city.strip(),
        country=g.country.strip(),
        salutation=salutation,
    )


def _problems(recipient: Recipient, who: str) -> tuple[str, ...]:
    return tuple(
        _("Address of {who}: {problem}").format(who=who, problem=p.message)
        for p in validate_address(recipient)
    )


def _links(actor: Actor, student_id: int) -> list[tuple[StudentGuardian, Guardian]]:
    query = (
        StudentGuardian.select(StudentGuardian, Guardian)
        .join(Guardian)
        .where((StudentGuardian.student == student_id) & access.guardian_visibility(actor))
        .order_by(StudentGuardian.id)
    )
    return [(link, link.guardian) for link in query]


def recipients_for(actor: Actor, student_id: int, today: dt.date, lang: str = "nl"
                   ) -> list[PlannedRecipient]:
    """The letters to send about ``student_id`` (see the module docstring for the rules).

    Addressees are people: only a student ``actor`` may see (``access.NotFound`` otherwise,
    the same answer as a missing student) and the parents that come with them
    (``access.guardian_visibility``), like every other path to a parent's address."""
    access.require_student(actor, student_id)
    student = Student.get_by_id(student_id)
    links = _links(actor, student_id)
    age = age_on(student.birth_date, today)
    if age is not None and age >= ADULT_AGE:
        return [_adult_student(student, links, lang)]
    chosen: list[tuple[str, StudentGuardian, Guardian]] = []
    notes: list[str] = []
    for link, g in links:
        if link.has_authority and link.receives_mail:
            chosen.append(("guardian", link, g))
        elif link.has_authority:
            notes.append(
                _("{name} has parental authority but gets no post (student record).").format(
                    name=guardian_full_name(g)
                )
            )
        elif link.info_granted:
            chosen.append(("info", link, g))
    groups: dict[str, list[tuple[str, StudentGuardian, Guardian]]] = {}
    order: list[str] = []
    for item in chosen:
        key = _address_key(item[2]) or f"guardian:{item[2].id}"
        if key not in groups:
            groups[key] = []
            order.append(key)
        groups[key].append(item)
    planned = [_for_group(student, groups[key], lang) for key in order]
    if planned and notes:
        first = planned[0]
        planned[0] = PlannedRecipient(
            first.key, first.kind, first.recipient, first.guardian_ids, first.problems,
            first.notes + tuple(notes),
        )
    return planned


def _for_group(
    student: Student, group: list[tuple[str, StudentGuardian, Guardian]], lang: str
) -> PlannedRecipient:
    ids = tuple(g.id for _k, _l, g in group)
    key = "g:" + "+".join(str(i) for i in ids)
    if len(group) == 1:
        kind, _link, g = group[0]
        recipient = _recipient(g, (guardian_address_name(g, lang),), guardian_salutation(g, lang))
        return PlannedRecipient(key, kind, recipient, ids, _problems(recipient, recipient.name))
    first = group[0][2]
    salutation = ", ".join(
        s[0].lower() + s[1:] if i else s
        for i, s in enumerate(guardian_salutation(g, lang) for _k, _l, g in group)
    )
    name_lines = (TOGETHER.get(lang, TOGETHER["nl"]), student_name(student))
    recipient = _recipient(first, name_lines, salutation)
    return PlannedRecipient(key, "guardians", recipient, ids, _problems(recipient, recipient.name))


def _adult_student(
    student: Student, links: list[tuple[StudentGuardian, Guardian]], lang: str
) -> PlannedRecipient:
    name = student_name(student)
    greeting = "Dear" if lang == "en" else "Beste"
    salutation = f"{greeting} {student.first_name.strip()}"
    ranked = sorted(links, key=lambda lg: (not lg[0].has_authority, not lg[0].receives_mail))
    home = next(
        (g for _l, g in ranked if not validate_address(_recipient(g, (name,), ""))), None
    )
    if home is None:
        recipient = Recipient(name_lines=(name,), salutation=salutation)
        problems = (
            _(
                "{name} is 18 or older and is written to directly, but no usable home "
                "address is known."
            ).format(name=name),
        )
        return PlannedRecipient(f"s:{student.id}", "student", recipient, (), problems)
    recipient = _recipient(home, (name,), salutation)
    return PlannedRecipient(f"s:{student.id}", "student", recipient, (home.id,))


def plan_problems(student_id: int, planned: list[PlannedRecipient]) -> list[str]:
    """Every problem of a plan, including "nobody to write to"; empty when all is well."""
    out: list[str] = []
    if not planned:
        student = Student.get_by_id(student_id)
        out.append(
            _(
                "No parent or guardian with parental authority is known for {name}; "
                "add one in the student record first."
            ).format(name=student_name(student))
        )
    for p in planned:
        out.extend(p.problems)
    return out
