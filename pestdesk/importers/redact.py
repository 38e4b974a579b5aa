"""Redacting other children out of an AVG access export (inzageverzoek).

A dossier about bullying always names other children. When one student (or their parents)
asks to see what is stored about them, every other student is replaced by their role in the
case ("pester 1", "getuige 2"), in structured fields and, by simple replacement of their
names and student numbers, in free text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class OtherStudent:
    """Another child to hide: their identifying texts and the label that replaces them."""

    number: str
    first_name: str
    tussenvoegsel: str
    last_name: str
    initials: str = ""


def _variants(person: OtherStudent) -> list[str]:
    first, tv, last = person.first_name.strip(), person.tussenvoegsel.strip(), \
        person.last_name.strip()
    full_last = f"{tv} {last}".strip()
    names = [
        f"{first} {full_last}", f"{last}, {first} {tv}".strip(), f"{last}, {first}",
        f"{person.initials} {full_last}".strip() if person.initials else "",
        full_last, last, first,
    ]
    # a short number ("17") would also hit dates and counts; real stamnummers are longer
    if len(person.number) >= 4:
        names.append(person.number)
        if person.number.isdigit() and len(person.number.lstrip("0")) >= 4:
            names.append(person.number.lstrip("0"))
    return [n for n in dict.fromkeys(names) if len(n) >= 2]


class Redactor:
    """Replace other students' names and numbers in text by labels, longest match first."""

    def __init__(self, labelled: list[tuple[OtherStudent, str]]):
        pairs: list[tuple[str, str]] = []
        for person, label in labelled:
            pairs.extend((variant, label) for variant in _variants(person))
        pairs.sort(key=lambda pair: len(pair[0]), reverse=True)
        self._labels = {}
        for variant, label in pairs:
            self._labels.setdefault(variant.lower(), label)
        self._pattern = (
            re.compile("|".join(rf"(?<!\w){re.escape(v)}(?!\w)" for v, _l in pairs),
                       re.IGNORECASE)
            if pairs else None
        )

    def __call__(self, text: str | None) -> str:
        if not text or self._pattern is None:
            return text or ""
        return self._pattern.sub(lambda m: self._labels[m.group(0).lower()], text)
