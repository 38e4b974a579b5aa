"""Recognising the columns of an export: which header holds which field.

Headers are compared without case, spaces, punctuation or accents, so "Lln.nr", "LLN NR"
and "lln-nr" are the same. Guardian columns ("Ouder/verzorger 1 achternaam", "Verzorger 2
E-mail", "Ouder 1 Postcode", "Achternaam ouder 1") map to ``guardian1_<field>`` and
``guardian2_<field>``. ``suggest_mapping`` guesses; an explicit ``{field: header}`` mapping the
user made in the mapping dialog (and the caller may remember) overrides the guess.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from ..i18n import N_, _
from .problems import ImportProblem

MAX_GUARDIANS = 2

# field -> compact header spellings, best first (the first listed wins when several match)
STUDENT_SYNONYMS: dict[str, tuple[str, ...]] = {
    "number": ("stamnummer", "stamnr", "leerlingnummer", "leerlingnr", "llnnr", "llnr",
               "lnr", "leerlingnummers"),
    "first_name": ("roepnaam", "voornaam", "roepnaamleerling", "voornaamleerling"),
    "initials": ("voorletters", "voorletter"),
    "tussenvoegsel": ("tussenvoegsel", "tussenvoegsels", "voorvoegsel", "voorvoegsels",
                      "tussenv", "tv"),
    "last_name": ("achternaam", "geslachtsnaam", "familienaam", "achternaamleerling"),
    "birth_date": ("geboortedatum", "geboortedat", "gebdatum", "geboren", "gebdat"),
    "class": ("klas", "stamgroep", "stamklas", "basisgroep", "klasnaam", "groep"),
    "leerjaar": ("leerjaar", "studie", "jaarlaag"),
    "mentor": ("klassenmentor1", "klassenmentor", "mentor", "mentor1", "mentoren"),
    "mentor2": ("klassenmentor2", "mentor2"),
    "gender": ("geslacht", "sekse"),
    # the class's afdeling: what an afdelingscoördinator's departments are matched against
    "department": ("afdeling", "afdelingsnaam", "team", "locatieafdeling", "bouw",
                   "afdelingen"),
    # the household address: used for guardians whose own address columns are missing
    "street": ("straat", "straatnaam", "adres"),
    "house_number": ("huisnummer", "huisnr"),
    "house_suffix": ("huisnummertoevoeging", "toevoeging", "huisnrtoev"),
    "postcode": ("postcode",),
    "city": ("woonplaats", "plaats"),
    "country": ("land",),
}

GUARDIAN_SYNONYMS: dict[str, tuple[str, ...]] = {
    "last_name": ("achternaam", "geslachtsnaam", "naam", "familienaam"),
    "first_name": ("roepnaam", "voornaam"),
    "initials": ("voorletters", "voorletter"),
    "tussenvoegsel": ("tussenvoegsel", "tussenvoegsels", "voorvoegsel", "tussenv"),
    "salutation": ("aanhef", "aanspreekvorm", "titel"),
    "street": ("straat", "straatnaam", "adres"),
    "house_number": ("huisnummer", "huisnr"),
    "house_suffix": ("huisnummertoevoeging", "toevoeging", "huisnrtoev"),
    "postcode": ("postcode",),
    "city": ("woonplaats", "plaats"),
    "country": ("land",),
    "email": ("email", "emailadres", "mail"),
    "phone": ("telefoon", "telefoonnummer", "telnr", "mobiel", "mobielnummer", "tel"),
    "relation": ("relatie", "soort", "rol", "relatietotleerling", "type"),
    "has_authority": ("gezag", "ouderlijkgezag", "wettelijkgezag", "gezaghebbend"),
}

_GUARDIAN_WORDS = "ouderverzorger|verzorger|ouder|voogd|contactpersoon|ouderverz|verz"
_PREFIX = re.compile(rf"^(?:{_GUARDIAN_WORDS})([12])(.+)$")
_SUFFIX = re.compile(rf"^(.+?)(?:{_GUARDIAN_WORDS})([12])$")

REQUIRED_FIELDS: tuple[str, ...] = ("number", "last_name", "first_name", "class")

FIELD_LABELS: dict[str, str] = {
    "number": N_("Student number"),
    "first_name": N_("First name"),
    "initials": N_("Initials"),
    "tussenvoegsel": N_("Name prefix (tussenvoegsel)"),
    "last_name": N_("Last name"),
    "birth_date": N_("Date of birth"),
    "class": N_("Class"),
    "leerjaar": N_("Year (leerjaar)"),
    "mentor": N_("Mentor"),
    "mentor2": N_("Second mentor"),
    "gender": N_("Gender"),
    "department": N_("Department (afdeling)"),
    "street": N_("Street"),
    "house_number": N_("House number"),
    "house_suffix": N_("House number suffix"),
    "postcode": N_("Postcode"),
    "city": N_("City"),
    "country": N_("Country"),
}


def compact(header: str) -> str:
    """Lowercase letters and digits only, accents removed: "Lln.nr" -> "llnnr"."""
    text = unicodedata.normalize("NFKD", header or "")
    return "".join(ch for ch in text.lower() if ch.isalnum() and ch.isascii())


def guardian_field(header: str) -> str | None:
    """``guardian1_last_name`` for "Ouder/verzorger 1 achternaam", else None."""
    key = compact(header)
    for pattern, index_group, rest_group in ((_PREFIX, 1, 2), (_SUFFIX, 2, 1)):
        match = pattern.match(key)
        if not match:
            continue
        rest = match.group(rest_group)
        for name, spellings in GUARDIAN_SYNONYMS.items():
            if rest in spellings:
                return f"guardian{match.group(index_group)}_{name}"
    return None


def _rank(header: str) -> tuple[str, int] | None:
    """(field, preference) for one header; lower preference wins."""
    found = guardian_field(header)
    if found:
        return found, 0
    key = compact(header)
    for name, spellings in STUDENT_SYNONYMS.items():
        if key in spellings:
            return name, spellings.index(key)
    return None


@dataclass
class ColumnMapping:
    """Which header feeds which field, and the headers nothing uses."""

    fields: dict[str, str] = field(default_factory=dict)
    unrecognised: list[str] = field(default_factory=list)

    def has(self, name: str) -> bool:
        return name in self.fields

    def missing(self, required: Iterable[str] = REQUIRED_FIELDS) -> list[str]:
        return [name for name in required if name not in self.fields]


def suggest_mapping(headers: Iterable[str], rank=None) -> ColumnMapping:
    """Guess the mapping from header texts alone (see ``STUDENT_SYNONYMS``)."""
    rank = rank or _rank
    best: dict[str, tuple[int, str]] = {}
    unrecognised: list[str] = []
    for header in headers:
        found = rank(header) if header else None
        if found is None:
            if header:
                unrecognised.append(header)
            continue
        name, preference = found
        current = best.get(name)
        if current is None or preference < current[0]:
            if current is not None:
                unrecognised.append(current[1])
            best[name] = (preference, header)
        else:
            unrecognised.append(header)
    return ColumnMapping({name: header for name, (_p, header) in best.items()}, unrecognised)


def apply_explicit(suggested: ColumnMapping, explicit: Mapping[str, str | None] | None,
                   headers: list[str]) -> tuple[ColumnMapping, list[ImportProblem]]:
    """Merge a user's ``{field: header}`` over the guess; a header not in the file is a problem.

    A field mapped to ``None`` or ``""`` is switched off even when the guess found it.
    """
    if not explicit:
        return suggested, []
    problems = []
    claimed = {header for header in explicit.values() if header}
    fields = {k: v for k, v in suggested.fields.items() if v not in claimed and k not in explicit}
    for name, header in explicit.items():
        if not header:
            continue
        if header not in headers:
            problems.append(ImportProblem(0, header, _(
                "The saved column choice expects a column \"{header}\", but this file has none."
            ).format(header=header)))
            continue
        fields[name] = header
    used = set(fields.values())
    unrecognised = [h for h in headers if h and h not in used]
    return ColumnMapping(fields, unrecognised), problems


def column_indexes(mapping: ColumnMapping, headers: list[str]) -> tuple[dict[str, int],
                                                                       list[ImportProblem]]:
    """field -> column index; a mapped header that occurs twice is a problem."""
    indexes: dict[str, int] = {}
    problems = []
    for name, header in mapping.fields.items():
        if headers.count(header) > 1:
            problems.append(ImportProblem(1, header, _(
                "The column \"{header}\" occurs more than once; rename or remove one of them."
            ).format(header=header)))
        indexes[name] = headers.index(header)
    return indexes, problems


def missing_column_problems(mapping: ColumnMapping,
                            required: Iterable[str] = REQUIRED_FIELDS,
                            labels: Mapping[str, str] = FIELD_LABELS) -> list[ImportProblem]:
    """One problem per required field that no column feeds."""
    return [
        ImportProblem(1, "", _(
            "The file has no column for \"{field}\"; choose it in the column mapping."
        ).format(field=_(labels.get(name, name))))
        for name in mapping.missing(required)
    ]
