"""The merge fields a letter template may use, and how their values become text.

``MERGE_FIELDS`` maps every field name a template may mention to a description (marked for
translation; the template editor shows it). Names are dotted paths into the merge data, a
nested ``dict`` the services build for one letter::

    {"student": {"roepnaam": "Zoë", "achternaam": "Çelik-van den Brûle", ...},
     "case": {"nummer": "2026-0017", "datum_melding": date(2026, 11, 3)},
     "helplines": [{"naam": "Kindertelefoon", "telefoon": "0800-0432"}], ...}

A name ending in ``[]`` is a list (``helplines[]``); ``helplines[].naam`` is a field of each
item, reached in a template through a loop variable (``{% for h in helplines %}{{ h.naam
}}{% endfor %}``). A list whose items are plain text (``contract.regels[]``) has no item
fields: ``{{ regel }}``.

Values are turned into text by :func:`format_value`: dates in the letter's language in long
form ("24 november 2026"), numbers as written, ``None`` as nothing. A missing value never
makes rendering fail; :func:`missing_fields` lists the ones a template uses but the data
lacks, so the interface can warn before printing.
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Mapping
from typing import Any

from babel import dates as _bdates

from pestdesk.i18n import N_

#: babel locale per letter language.
LETTER_LOCALES = {"nl": "nl_NL", "en": "en_GB"}

MERGE_FIELDS: dict[str, str] = {
    # the letter itself
    "datum": N_("Date of the letter (long form, e.g. 24 November 2026)"),
    # school (letterhead values are filled in automatically when missing)
    "school.naam": N_("Name of the school"),
    "school.plaats": N_("Town of the school (used in the place and date line)"),
    "school.adres": N_("Postal address of the school on one line"),
    "school.telefoon": N_("Telephone number of the school"),
    "school.email": N_("E-mail address of the school"),
    "school.website": N_("Website of the school"),
    "school.bestuur": N_("Name of the school board (competent authority)"),
    "school.bestuur_adres": N_("Postal address of the school board, for objections"),
    # student
    "student.roepnaam": N_("First name the student goes by"),
    "student.tussenvoegsel": N_("Surname prefix of the student (van, de, van den ...)"),
    "student.achternaam": N_("Surname of the student, without prefix"),
    "student.volledige_naam": N_("Full name of the student (made from the parts when missing)"),
    "student.klas": N_("Class of the student"),
    "student.geboortedatum": N_("Date of birth of the student"),
    # mentor
    "mentor.naam": N_("Name of the mentor"),
    "mentor.email": N_("E-mail address of the mentor"),
    "mentor.telefoon": N_("Telephone number of the mentor"),
    # addressee and guardians
    "recipient.naam": N_("Name of the addressee (from the address when missing)"),
    "recipient.aanhef": N_("Salutation for the addressee, e.g. Dear Mr and Mrs Jansen"),
    "guardians[]": N_("List of parents/guardians with parental authority"),
    "guardians[].naam": N_("Name of a parent/guardian"),
    "guardians[].relatie": N_("Relation of a parent/guardian to the student"),
    # case
    "case.nummer": N_("Case number (used as the letter's reference)"),
    "case.datum_melding": N_("Date the bullying was reported"),
    "case.omschrijving": N_("What the letter tells the parents about what happened (written "
                            "for them in the compose dialog; never the internal report)"),
    # meeting (conversation, return meeting or hearing)
    "meeting.datum": N_("Date of the meeting"),
    "meeting.tijd": N_("Time of the meeting"),
    "meeting.locatie": N_("Place of the meeting"),
    "meeting.deelnemers": N_("Who will attend the meeting"),
    "meeting.doel": N_("Purpose of the meeting"),
    # sanction (suspension, expulsion)
    "sanction.eerste_dag": N_("First day of the suspension"),
    "sanction.laatste_dag": N_("Last day of the suspension"),
    "sanction.dagen": N_("Number of school days of the suspension"),
    "sanction.reden": N_("Facts and reasons for the measure"),
    "sanction.inspectie_gemeld": N_("Notified to the inspectorate: ja once the notification "
                                    "is recorded, else nee (the letter then says it will be)"),
    "sanction.schoolwerk": N_("Arrangements for schoolwork during the measure"),
    "sanction.bezwaar": N_("How to object to the decision (text supplied by the school)"),
    "sanction.ingangsdatum": N_("Date the expulsion takes effect"),
    "sanction.vorige_laatste_dag": N_("Last day of the earlier suspension that is extended"),
    "sanction.nieuwe_school": N_("School that will admit the expelled student"),
    # contract
    "contract.regels[]": N_("List of the rules of the anti-bullying contract"),
    "contract.ingangsdatum": N_("Date the contract takes effect"),
    "contract.evaluatiedatum": N_("Date the contract is evaluated"),
    "contract.gevolgen": N_("What happens when the contract is broken"),
    # follow-up and referral
    "vervolg.omschrijving": N_("Description of the follow-up programme"),
    "vervolg.begeleider": N_("Who guides the follow-up programme"),
    "vervolg.evaluatiedatum": N_("Date the follow-up programme is evaluated"),
    "verwijzing.instantie": N_("Organisation the student or parents are referred to"),
    "verwijzing.reden": N_("Why the referral is made"),
    "helplines[]": N_("List of helplines to refer to"),
    "helplines[].naam": N_("Name of a helpline"),
    "helplines[].telefoon": N_("Telephone number of a helpline"),
    "helplines[].website": N_("Website of a helpline"),
    "helplines[].omschrijving": N_("What a helpline is for"),
    # cyberbullying
    "cyber.soort": N_("Kind of cyber case: stalking, discriminatie, grooming or another"),
    "cyber.omschrijving": N_("Short description of the online incident"),
    "cyber.aangifte": N_("Police report: geen (none recorded), gepland, gedaan or "
                         "niet_gewenst"),
    "cyber.blokkeren": N_("Blocking the sender: ja, wachten (a police report is planned, made "
                          "or advised) or nee (the track says not to)"),
    # who signs
    "signatory.naam": N_("Name of the person who signs the letter"),
    "signatory.functie": N_("Role of the person who signs the letter"),
}

#: List fields (without the ``[]``) mapped to the names of their item fields.
LIST_FIELDS: dict[str, frozenset[str]] = {
    name[:-2]: frozenset(sub[len(name) + 1 :] for sub in MERGE_FIELDS if sub.startswith(name + "."))
    for name in MERGE_FIELDS
    if name.endswith("[]")
}

#: Every leaf (printable) field name, without list markers.
SCALAR_FIELDS: frozenset[str] = frozenset(n for n in MERGE_FIELDS if "[]" not in n)

#: Group names (``student``, ``sanction`` ...) usable in ``{% if %}``.
GROUPS: frozenset[str] = frozenset(n.split(".")[0] for n in MERGE_FIELDS if "." in n) - {
    n for n in LIST_FIELDS
}

FILTERS: dict[str, str] = {
    "upper": N_("in capitals"),
    "lower": N_("in lower case"),
    "capitalize": N_("with a capital first letter"),
    "weekday": N_("date with the day of the week, e.g. Tuesday 24 November 2026"),
}


def lookup(data: Any, path: str) -> Any:
    """The value at dotted ``path`` in nested dicts/objects, or ``None``; never raises."""
    if isinstance(data, Mapping) and path in data:
        return data[path]
    value = data
    for part in path.split("."):
        if isinstance(value, Mapping):
            value = value.get(part)
        else:
            value = getattr(value, part, None)
        if value is None:
            return None
    return value


def format_date_long(value: _dt.date, lang: str, weekday: bool = False) -> str:
    """``24 november 2026`` (nl) / ``24 November 2026`` (en); optionally with the weekday."""
    pattern = "EEEE d MMMM y" if weekday else "d MMMM y"
    return _bdates.format_date(value, pattern, locale=LETTER_LOCALES.get(lang, "nl_NL"))


def format_value(value: Any, lang: str) -> str:
    """Text for a merge value: dates long, lists joined with commas, ``None`` empty."""
    if value is None:
        return ""
    if isinstance(value, _dt.datetime):
        value = value.date()
    if isinstance(value, _dt.date):
        return format_date_long(value, lang)
    if isinstance(value, bool):
        return {"nl": ("nee", "ja"), "en": ("no", "yes")}.get(lang, ("no", "yes"))[value]
    if isinstance(value, list | tuple):
        return ", ".join(format_value(v, lang) for v in value)
    if isinstance(value, Mapping):
        return ""
    return str(value)


def apply_filter(name: str, value: Any, lang: str) -> Any:
    """Apply one ``| filter`` to a value; unknown filters are refused at validation time."""
    if name == "weekday":
        if isinstance(value, _dt.datetime):
            value = value.date()
        if isinstance(value, _dt.date):
            return format_date_long(value, lang, weekday=True)
        return value
    text = format_value(value, lang)
    if name == "upper":
        return text.upper()
    if name == "lower":
        return text.lower()
    if name == "capitalize":
        return text[:1].upper() + text[1:]
    return text


def full_name(student: Mapping[str, Any]) -> str:
    """``roepnaam tussenvoegsel achternaam`` with empty parts left out."""
    parts = (student.get("roepnaam"), student.get("tussenvoegsel"), student.get("achternaam"))
    return " ".join(str(p).strip() for p in parts if p and str(p).strip())


def sample_merge_data() -> dict[str, Any]:
    """Realistic fictitious data that fills every field: previews, test prints, benchmarks."""
    d = _dt.date
    return {
        "school": {
            "naam": "Scholengemeenschap De Wierde",
            "plaats": "Alkmaar",
            "adres": "Postbus 1024, 1800 BA  ALKMAAR",
            "telefoon": "072 - 511 22 33",
            "email": "zorg@dewierde.nl",
            "website": "www.dewierde.nl",
            "bestuur": "Stichting Voortgezet Onderwijs Noord-Kennemerland",
            "bestuur_adres": "Postbus 2048, 1800 CA  ALKMAAR",
        },
        "student": {
            "roepnaam": "Zoë",
            "achternaam": "Çelik-van den Brûle",
            "klas": "2H3",
            "geboortedatum": d(2012, 3, 14),
        },
        "mentor": {
            "naam": "mevrouw L. IJzerman",
            "email": "l.ijzerman@dewierde.nl",
            "telefoon": "072 - 511 22 40",
        },
        "guardians": [
            {"naam": "Aylin Çelik", "relatie": "moeder"},
            {"naam": "Joost van den Brûle", "relatie": "vader"},
        ],
        "case": {
            "nummer": "2026-0017",
            "datum_melding": d(2026, 11, 3),
            "omschrijving": "Zoë is sinds september herhaaldelijk uitgescholden en buitengesloten "
            "door een groep klasgenoten, ook via een groepsapp.",
        },
        "meeting": {
            "datum": d(2026, 12, 1),
            "tijd": "15.30 uur",
            "locatie": "kamer 1.14 (ondersteuningsteam)",
            "deelnemers": "de mentor en de ondersteuningscoördinator",
            "doel": "bespreken wat er is gebeurd en welke afspraken wij maken",
        },
        "sanction": {
            "eerste_dag": d(2026, 11, 25),
            "laatste_dag": d(2026, 11, 26),
            "dagen": 2,
            "inspectie_gemeld": "ja",
            "vorige_laatste_dag": d(2026, 11, 24),
            "ingangsdatum": d(2027, 1, 11),
            "nieuwe_school": "Het Noordercollege in Heerhugowaard",
            "reden": "Op 20 november 2026 heeft uw kind, ondanks eerdere afspraken, een "
            "klasgenoot opnieuw bedreigd via sociale media.",
            "schoolwerk": "Uw kind krijgt via de mentor opdrachten mee en levert het werk op "
            "de dag van terugkeer in.",
            "bezwaar": "Bent u het niet eens met dit besluit, dan kunt u binnen zes weken na "
            "de datum van deze brief schriftelijk bezwaar maken bij de directie.",
        },
        "contract": {
            "regels": [
                "Ik scheld niet, bedreig niemand en sluit niemand buiten.",
                "Ik zet geen berichten, foto's of filmpjes over anderen online zonder toestemming.",
                "Als ik zie dat iemand gepest wordt, meld ik dat bij mijn mentor.",
            ],
            "ingangsdatum": d(2026, 11, 25),
            "evaluatiedatum": d(2027, 1, 20),
            "gevolgen": "Bij overtreding volgt een schorsing.",
        },
        "vervolg": {
            "omschrijving": "zes begeleidingsgesprekken over weerbaarheid en omgaan met conflicten",
            "begeleider": "de schoolmaatschappelijk werker",
            "evaluatiedatum": d(2027, 2, 10),
        },
        "verwijzing": {
            "instantie": "het Centrum voor Jeugd en Gezin",
            "reden": "verdere ondersteuning bij het verwerken van de gebeurtenissen",
        },
        "helplines": [
            {
                "naam": "De Kindertelefoon",
                "telefoon": "0800 - 0432",
                "website": "www.kindertelefoon.nl",
                "omschrijving": "gratis en anoniem praten met iemand",
            },
            {
                "naam": "Slachtofferhulp Nederland",
                "telefoon": "0900 - 0101",
                "website": "www.slachtofferhulp.nl",
                "omschrijving": "hulp na een misdrijf, ook online",
            },
        ],
        "cyber": {"soort": "stalking", "omschrijving": "ongewenste berichten via Instagram",
                  "aangifte": "gepland", "blokkeren": "wachten"},
        "signatory": {"naam": "drs. M.J. de Vries", "functie": "ondersteuningscoördinator"},
    }


def missing_fields(used: set[str], data: Mapping[str, Any]) -> list[str]:
    """The scalar fields in ``used`` that have no value in ``data``, sorted."""
    return sorted(n for n in used if n in SCALAR_FIELDS and lookup(data, n) in (None, ""))
