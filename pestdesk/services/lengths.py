"""How long each stored text may be: declared and checked here, and only here.

Every save goes through ``services.base.create``/``save_versioned`` (and the few direct
inserts: timeline entries, letters, evidence, settings), which call ``require``; imports
check their records with ``import_problems`` before planning; the GUI gives every text
input the same number through ``gui.common.limits.limit(widget, table, field)``. A text field not
listed is a code or machine data (JSON, hashes) that the services fill themselves.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from ..i18n import _, format_number
from .base import ServiceError

NAME, CODE, LINE, TEXT, LONG = 100, 30, 200, 10_000, 50_000

#: field name -> the most characters it takes, the same in every table ...
BY_FIELD: dict[str, int] = {
    "first_name": NAME, "last_name": NAME, "tussenvoegsel": 30, "initials": 20,
    "salutation": 40, "relation": 40, "number": CODE, "code": CODE, "name": NAME,
    "department": NAME, "departments": LINE, "school_year": 20, "username": 64,
    "street": NAME, "house_number": 20, "postcode": 12, "city": NAME, "country": 60,
    "email": 254, "phone": 40, "url": 500, "topic": LINE, "filename": 255,
    "summary": LINE, "reported_via": NAME, "since": NAME, "frequency": NAME, "title": LINE,
    "description": TEXT, "close_reason": TEXT, "notes": TEXT, "body": TEXT, "outcome": TEXT,
    "rules": TEXT, "reason": TEXT, "hearing_who": LINE, "hearing_summary": TEXT,
    "inspectie_reference": NAME, "place": LINE, "question": TEXT, "minutes": TEXT,
    "decision": TEXT, "given_by": LINE, "recipient": TEXT, "data": LONG,
}
#: ... unless the table says otherwise
BY_TABLE: dict[tuple[str, str], int] = {
    ("school_class", "name"): CODE,
    ("staff", "code"): 12,  # an afkorting; services.staff also allows letters and digits only
    ("case", "scope"): CODE,
    ("consent", "scope"): TEXT,
    ("setting", "value"): LONG,  # letter texts and the school's settings (JSON)
}
#: texts kept inside a setting's JSON, not in a column of their own: the school profile
#: (settings.save_school_profile) and a free period of the calendar (calendar.save_calendar)
IN_SETTINGS: dict[tuple[str, str], int] = {
    ("school_profile", "name"): LINE, ("school_profile", "website"): 500,
    ("school_profile", "brin"): CODE,
    ("school_profile", "footer"): 500, ("free_period", "label"): NAME,
}


class TooLong(ServiceError):
    """A text longer than its field takes; ``problems`` maps field -> message."""

    def __init__(self, problems: Mapping[str, str]):
        self.problems = dict(problems)
        super().__init__(" ".join(self.problems.values()))


def max_length(table: str, field: str) -> int | None:
    """The most characters ``table.field`` takes (None: not a text a user types)."""
    return BY_TABLE.get((table, field), IN_SETTINGS.get((table, field), BY_FIELD.get(field)))


def message(limit: int, text: str) -> str:
    """The refusal, quoting the text's start so that the user sees which field it is."""
    start = " ".join(text[:24].split()) + ("…" if len(text) > 24 else "")
    return _("The text \"{start}\" is {length} characters long; it may be at most {limit}."
             ).format(start=start, limit=format_number(limit), length=format_number(len(text)))


def problems(table: str, values: Mapping[str, object]) -> dict[str, str]:
    """field -> message for every text in ``values`` longer than its field takes."""
    found = {}
    for field, value in values.items():
        limit = max_length(table, field)
        if limit is not None and isinstance(value, str) and len(value) > limit:
            found[field] = message(limit, value)
    return found


def require(table: str, values: Mapping[str, object]) -> None:
    """Raise ``TooLong`` when a text in ``values`` is longer than its field takes."""
    found = problems(table, values)
    if found:
        raise TooLong(found)


def require_model(model, values: Mapping[str, object]) -> None:
    require(model._meta.table_name, values)


def import_problems(table: str, rows: Iterable[tuple[int, Mapping[str, object]]]):
    """(row, field, message) for the records an import would store in ``table``."""
    for row, values in rows:
        for field, text in problems(table, values).items():
            yield row, field, text
