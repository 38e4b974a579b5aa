"""Finding the staff member an export means by "Klassenmentor 1": a code or a name.

Exports write mentors as a code ("JNS"), a name ("Jansen", "J. de Vries", "Vries, J. de",
"Jan de Vries"), a name with the code ("de Vries (VRS)") or several at once ("JNS/PTR"). A
name that fits two people is not guessed: it stays unresolved and the user is told.
"""

from __future__ import annotations

import re
import unicodedata
from collections import defaultdict
from dataclasses import dataclass

_SPLIT = re.compile(r"\s*(?:[;/&+|]|\ben\b)\s*")
_PARENS = re.compile(r"\(([^)]*)\)")


@dataclass(frozen=True)
class StaffRef:
    """The parts of a Staff row needed to recognise them."""

    id: int
    code: str
    first_name: str = ""
    tussenvoegsel: str = ""
    last_name: str = ""


def _norm(text: str) -> str:
    text = unicodedata.normalize("NFKD", text or "").lower()
    text = "".join(ch if ch.isalnum() else " " for ch in text if not unicodedata.combining(ch))
    return " ".join(text.split())


def _name_keys(ref: StaffRef) -> set[str]:
    first, tv, last = _norm(ref.first_name), _norm(ref.tussenvoegsel), _norm(ref.last_name)
    initial = first[:1]
    keys = {
        f"{tv} {last}", last, f"{first} {tv} {last}", f"{initial} {tv} {last}",
        f"{last} {first} {tv}", f"{last} {initial} {tv}", f"{last} {tv}",
        f"{last} {tv} {first}", f"{last} {tv} {initial}",
    }
    return {" ".join(k.split()) for k in keys if k.strip()}


class StaffIndex:
    """Resolve mentor texts to staff ids by code first, then by an unambiguous name."""

    def __init__(self, staff: list[StaffRef]):
        self._codes = {ref.code.strip().upper(): ref.id for ref in staff if ref.code}
        self._names: dict[str, set[int]] = defaultdict(set)
        for ref in staff:
            for key in _name_keys(ref):
                self._names[key].add(ref.id)

    def _one(self, text: str) -> int | None:
        text = text.strip()
        if not text:
            return None
        code = self._codes.get(text.upper())
        if code is not None:
            return code
        for inner in _PARENS.findall(text):
            code = self._codes.get(inner.strip().upper())
            if code is not None:
                return code
        ids = self._names.get(_norm(_PARENS.sub(" ", text)), set())
        if len(ids) == 1:
            return next(iter(ids))
        # "Jansen, J." style: the initials' dots are punctuation, already dropped by _norm
        return None

    def resolve(self, text: str) -> tuple[list[int], list[str]]:
        """(staff ids found, parts that matched nobody or more than one person)."""
        text = (text or "").strip()
        if not text:
            return [], []
        whole = self._one(text)
        if whole is not None:
            return [whole], []
        parts = [p for p in _SPLIT.split(text) if p.strip()]
        if len(parts) == 1 and "," in text:
            pieces = [p.strip() for p in text.split(",")]
            if all(self._codes.get(p.upper()) is not None for p in pieces if p):
                parts = pieces
        found, unknown = [], []
        for part in parts:
            staff_id = self._one(part)
            if staff_id is None:
                unknown.append(part)
            elif staff_id not in found:
                found.append(staff_id)
        return found, unknown
