"""The other hand: does a text that leaves pestdesk name anyone of the school it should not?

Written apart from the name detector (``pestdesk.domain.names``) on purpose, with plain
regular expressions per person, so a blind spot of the detector is not also a blind spot of
the check. For every student and guardian outside the allowed set it looks for:

- the full name ("Jan de Vries", "jan de vries"), "last name, first name" ("de Vries, Jan",
  "Vries, Jan de"), initials with the last name ("J. de Vries", "J.P. de Vries",
  "JP de Vries", "J. Vries");
- the last name with its tussenvoegsel ("de Vries", "De Vries"), written with a capital;
- the first name and the last name alone, written with a capital ("Daan", "Vries"), and
  their possessives ("Daans", "Daan's", "Daan’s", "Vries'");
- the student number (four digits or more, also without its leading zeros).

Accents are ignored ("Zoe" finds "Zoë"). A single word that also belongs to an allowed
person (the subject's first name shared by a classmate), to a member of staff, or that the
caller lists in ``ignore`` is not looked for alone: the check cannot tell those apart.

``database_leaks`` looks for a purged person in raw bytes (a database file with its free
pages, a WAL, a journal, any file beside it): UTF-8, JSON's ``\\u`` escapes, UTF-16.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from pestdesk.store import models as m


def plain(text: str) -> str:
    """``text`` without accents, case kept ("Zoë Çelik" -> "Zoe Celik")."""
    text = (text or "").replace("ı", "i").replace("ø", "o").replace("ß", "ss")
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def _split(text: str) -> list[str]:
    return [w for w in re.split(r"[\s]+", plain(text).strip()) if w]


_TV = {"de", "den", "der", "van", "het", "'t", "ter", "ten", "te", "in", "op", "aan", "bij",
       "uit", "la", "le", "du", "da", "di", "el", "al", "von", "d'", "des"}


@dataclass(frozen=True)
class Who:
    kind: str  # student, guardian
    id: int
    first: str
    tv: str
    last: str
    initials: str = ""
    number: str = ""

    @property
    def full(self) -> str:
        return " ".join(p for p in (self.first, self.tv, self.last) if p)

    def last_parts(self) -> tuple[str, list[str]]:
        """(tussenvoegsel, last name words) also when the tussenvoegsel was typed in the
        last name ("de Vries" as the last name)."""
        tv, words = self.tv, _split(self.last)
        if not tv:
            lead = []
            while len(words) > 1 and words[0].lower() in _TV:
                lead.append(words.pop(0))
            tv = " ".join(lead)
        return tv, words


def _gap() -> str:
    return r"[\s,.\-]{1,3}"


def _phrase(words: list[str]) -> str:
    return _gap().join(re.escape(w) for w in words)


def _bounded(body: str) -> str:
    return rf"(?<![\w]){body}(?:['’`]?s|['’`])?(?![\w])"


def _patterns(who: Who, single_ok) -> list[tuple[str, re.Pattern]]:
    """(what it is, pattern) for one person."""
    out: list[tuple[str, re.Pattern]] = []
    tv, last = who.last_parts()
    tvw = _split(tv)
    first = _split(who.first)
    if first and last:
        for words in (first + tvw + last, tvw + last + first, last + first + tvw,
                      last + tvw + first):
            out.append(("full name", re.compile(_bounded(_phrase(words)), re.I)))
        letters = [c for c in plain(who.initials or "") if c.isalpha()]
        initial_sets = {first[0][0]}
        if letters:
            initial_sets |= {".".join(letters), "".join(letters)}
        for ini in initial_sets:
            for lastw in (tvw + last, last):
                body = re.escape(ini) + r"\.?" + r"\s{0,2}" + _phrase(lastw)
                out.append(("initials + last name", re.compile(_bounded(body))))
    if last and tvw:
        body = _phrase(tvw + last)
        out.append(("tussenvoegsel + last name",
                    re.compile(_bounded(_cap_first(body, tvw[0])))))
    for word in list(first) + [w for w in last if w.lower() not in _TV]:
        if len(word) < 2 or not single_ok(word):
            continue
        cap = word[:1].upper() + word[1:]
        out.append(("name alone", re.compile(_bounded(re.escape(cap)))))
        out.append(("name alone", re.compile(_bounded(re.escape(word.upper())))))
    number = (who.number or "").strip()
    if len(number) >= 4:
        out.append(("student number", re.compile(rf"(?<!\w){re.escape(number)}(?!\w)", re.I)))
        bare = number.lstrip("0")
        if bare != number and len(bare) >= 4:
            out.append(("student number", re.compile(rf"(?<!\w){re.escape(bare)}(?!\w)")))
    return out


def _cap_first(body: str, first_word: str) -> str:
    """The tussenvoegsel either way ("de Vries", "De Vries"), the last name as written."""
    lower = first_word.lower()
    alt = f"(?:{re.escape(lower)}|{re.escape(lower[:1].upper() + lower[1:])})"
    return body.replace(re.escape(first_word), alt, 1)


def school_people() -> list[Who]:
    S, G = m.Student, m.Guardian
    out = [Who("student", s.id, s.first_name, s.tussenvoegsel, s.last_name, s.initials,
               s.number) for s in S.select()]
    out += [Who("guardian", g.id, g.first_name, g.tussenvoegsel, g.last_name, g.initials)
            for g in G.select()]
    return out


def _allowed(students: Iterable[int], extra: Iterable[str]) -> tuple[set, set, list[str]]:
    """The people allowed in the text; the single words that belong to them or to staff
    (not looked for alone, nor with a possessive s added or taken off); their full names
    and the staff's (masked before the search, so "Sandra Smits" is no "Sandra Smit's")."""
    students = list(students)
    SG = m.StudentGuardian
    guardians = [g for (g,) in SG.select(SG.guardian).where(SG.student.in_(students or [0]))
                 .tuples()]
    allowed = {("student", i) for i in students} | {("guardian", g) for g in guardians}
    words: set[str] = {plain(w).casefold() for w in extra}
    masked: list[str] = list(extra)
    mine = [w for w in school_people() if (w.kind, w.id) in allowed]
    mine += [Who("staff", st.id, st.first_name, st.tussenvoegsel, st.last_name)
             for st in m.Staff.select()]
    for who in mine:
        words |= {w.casefold() for w in _split(who.first) + _split(who.last)}
        if who.first and who.last:
            tv, last = who.last_parts()
            masked += [who.full, " ".join(_split(tv) + last)]
    words |= {w + "s" for w in words} | {w[:-1] for w in words if w.endswith("s")}
    return allowed, words, sorted({plain(t) for t in masked if t}, key=len, reverse=True)


@dataclass(frozen=True)
class Leak:
    who: Who
    what: str
    found: str

    def __str__(self) -> str:
        return f"{self.who.kind} {self.who.full!r} ({self.what}): {self.found!r}"


def leaks(text: str, allowed_students: Iterable[int], ignore: Iterable[str] = (),
          people: list[Who] | None = None) -> list[Leak]:
    """Every other student and guardian of the school named in ``text``."""
    allowed, skip, masked = _allowed(allowed_students, ignore)
    haystack = plain(text)
    for name in masked:
        haystack = re.sub(rf"(?<!\w){re.escape(name)}(?!\w)", "[ok]", haystack,
                          flags=re.I)
    found = []
    for who in people if people is not None else school_people():
        if (who.kind, who.id) in allowed:
            continue
        for what, pattern in _patterns(who, lambda w: w.casefold() not in skip):
            hit = pattern.search(haystack)
            if hit:
                found.append(Leak(who, what, haystack[max(0, hit.start() - 30):hit.end() + 30]))
                break
    return found


def json_text(value) -> str:
    """A JSON document's text with every escape decoded (what a reader of the file sees)."""
    return json.dumps(value, ensure_ascii=False)


# --- raw bytes ---------------------------------------------------------------------------


def _byte_forms(text: str) -> set[bytes]:
    forms = set()
    for variant in {text, text.lower(), text.upper()}:
        forms.add(variant.encode("utf-8"))
        forms.add(json.dumps(variant)[1:-1].encode("ascii"))  # "Zo\u00eb"
        forms.add(variant.encode("utf-16-le"))
    return {f for f in forms if f}


def byte_probes(who: Who) -> dict[str, set[bytes]]:
    """What of ``who`` must not be in a purged file: the full name (with and without the
    tussenvoegsel as typed), "last name, first name", the number. (The last name alone is
    shared by siblings, parents and staff who stay.)"""
    tv, last = who.last_parts()
    probes: dict[str, set[bytes]] = {}
    if who.first and who.last:
        probes["full name"] = _byte_forms(" ".join(_split(who.first) + _split(tv) + last)) \
            | _byte_forms(who.full)
        probes["last name, first name"] = _byte_forms(" ".join(last) + ", " + who.first)
    if len(who.number or "") >= 4:
        probes["student number"] = _byte_forms(who.number)
    return probes


def database_leaks(files: Iterable[Path], people: Iterable[Who]) -> list[str]:
    """Where ``people`` still occur in the raw bytes of ``files`` (ignoring missing files)."""
    found = []
    people = list(people)
    for path in files:
        path = Path(path)
        if not path.is_file():
            continue
        data = path.read_bytes()
        for who in people:
            for what, forms in byte_probes(who).items():
                for form in sorted(forms):
                    at = data.find(form)
                    while at >= 0:
                        found.append(f"{path.name}: {who.kind} {who.full!r} {what} at byte "
                                     f"{at}: {data[max(0, at - 20):at + len(form) + 20]!r}")
                        at = data.find(form, at + 1)
    return found


def files_beside(db_path: Path, backup_folder: Path | None = None) -> list[Path]:
    """Every file in the database's folder (recursively) outside the backup folder."""
    db_path = Path(db_path)
    out = []
    for path in db_path.parent.rglob("*"):
        if not path.is_file():
            continue
        if backup_folder is not None and Path(backup_folder) in path.parents:
            continue
        out.append(path)
    return out


def who_of(student) -> Who:
    """The check's picture of a student row (take it before the row is deleted)."""
    return Who("student", student.id, student.first_name, student.tussenvoegsel,
               student.last_name, student.initials, student.number)
