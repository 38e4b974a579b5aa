"""The school's name detector: every student and guardian, found in free text.

One :class:`~pestdesk.domain.names.NameIndex` per database, built from the ``student`` and
``guardian`` tables the first time it is needed and rebuilt only when those tables change
(their row count, highest id or last change differ). Every path that lets free text leave a
dossier asks this module which names in it do not belong there:

- the AVG access export redacts everyone but the subject and their own guardians
  (``services.people``);
- a retention purge scrubs the purged students from every text that stays
  (``services.retention``);
- a letter's parent text and a meeting pack are checked before they go out
  (``services.letters``, ``services.meetings``).

Keys are ``"student:<id>"`` and ``"guardian:<id>"``.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from peewee import fn

from ..domain.names import Hit, NameIndex, Person
from ..i18n import _
from ..store import models as m

#: every column people write free text into (the rest are codes, ids, a person's own row,
#: staff and school settings: tests/services/test_retention.py lists them with reasons). The
#: AVG export redacts these, a retention purge scrubs them.
FREE_TEXT: dict[type[m.BaseModel], tuple[str, ...]] = {
    m.Case: ("reported_via", "summary", "description", "since", "frequency", "close_reason"),
    m.Involvement: ("notes",),
    m.Event: ("title", "body", "data"),
    m.Agreement: ("description", "outcome"),
    m.Contract: ("rules",),
    m.Sanction: ("reason", "hearing_who", "hearing_summary", "inspectie_reference"),
    m.AgendaItem: ("question", "minutes", "decision"),
    m.Action: ("description",),
    m.Meeting: ("notes", "place", "externals"),
    m.Letter: ("recipient", "merge_data"),
    m.Attachment: ("filename", "description"),
}
#: the columns above that hold JSON: their strings are read decoded (``json_strings``)
JSON_TEXT: frozenset[tuple[type[m.BaseModel], str]] = frozenset({
    (m.Event, "data"), (m.Letter, "merge_data"), (m.Meeting, "externals"),
    (m.Contract, "rules")})

_lock = threading.Lock()
_cache: dict[tuple[int, str], tuple[tuple, NameIndex]] = {}


def student_key(student_id: int) -> str:
    return f"student:{student_id}"


def guardian_key(guardian_id: int) -> str:
    return f"guardian:{guardian_id}"


def key_id(key: str) -> tuple[str, int]:
    kind, _sep, number = key.partition(":")
    return kind, int(number)


def _fingerprint() -> tuple:
    out = []
    for model in (m.Student, m.Guardian):
        out.append(tuple(model.select(fn.COUNT(model.id), fn.MAX(model.id),
                                      fn.MAX(model.updated_at)).tuples().get()))
    return tuple(out)


def people(student_ids: Iterable[int] | None = None,
           guardian_ids: Iterable[int] | None = None) -> list[Person]:
    """The detector's people from the database (all, or only the ids given)."""
    S, G = m.Student, m.Guardian
    students = S.select(S.id, S.first_name, S.last_name, S.tussenvoegsel, S.initials, S.number)
    guardians = G.select(G.id, G.first_name, G.last_name, G.tussenvoegsel, G.initials)
    if student_ids is not None:
        students = students.where(S.id.in_(list(student_ids)))
    if guardian_ids is not None:
        guardians = guardians.where(G.id.in_(list(guardian_ids)))
    found = [Person(student_key(r[0]), r[1], r[2], r[3], r[4], r[5])
             for r in students.tuples().iterator()]
    found += [Person(guardian_key(r[0]), r[1], r[2], r[3], r[4])
              for r in guardians.tuples().iterator()]
    return found


def school_index() -> NameIndex:
    """Every student and guardian of the school, compiled once (rebuilt after changes)."""
    db = m.database.obj
    db_id = (id(db), str(getattr(db, "database", "")))
    stamp = _fingerprint()
    with _lock:
        cached = _cache.get(db_id)
        if cached is not None and cached[0] == stamp:
            return cached[1]
    index = NameIndex(people())
    with _lock:
        _cache.clear()  # one database at a time
        _cache[db_id] = (stamp, index)
    return index


def own_keys(student_ids: Iterable[int]) -> frozenset[str]:
    """The students and their own guardians: the names that belong in their texts."""
    ids = list(student_ids)
    if not ids:
        return frozenset()
    SG = m.StudentGuardian
    guardians = SG.select(SG.guardian).where(SG.student.in_(ids)).tuples()
    return frozenset([student_key(i) for i in ids] + [guardian_key(g) for (g,) in guardians])


def for_reader(actor) -> Callable[[str | None], str]:
    """What ``actor`` may read of a free text that belongs to no case they may see (a
    meeting's place, a general agenda point): every student whose card they may not open
    (``access.student_visibility``) and every parent they may not see
    (``access.guardian_visibility``) becomes "another student" / "a parent of another
    student". The one person-visibility rule, applied to text; identity for whoever sees
    every student."""
    from . import access

    S, G = m.Student, m.Guardian
    if access.sees_every_student(actor):
        return lambda text: text or ""
    allowed = frozenset(
        [student_key(i) for (i,) in S.select(S.id).where(access.student_visibility(actor))
         .tuples().iterator()]
        + [guardian_key(i) for (i,) in G.select(G.id).where(access.guardian_visibility(actor))
           .tuples().iterator()])
    index = None

    def label(hit: Hit) -> str | None:
        if hit.keys & allowed:
            return None
        if any(key_id(k)[0] == "student" for k in hit.keys):
            return _("another student")
        return _("a parent of another student")

    def read(text: str | None) -> str:
        nonlocal index
        if not text:
            return ""
        index = index or school_index()
        return index.redact(text, label, strict=True)

    return read


@dataclass(frozen=True)
class ForeignName:
    """A name in a text that does not belong there: what was written, and who it may be."""

    text: str
    keys: frozenset[str]

    def describe(self) -> str:
        kinds = {key_id(k)[0] for k in self.keys}
        if kinds == {"guardian"}:
            return _("“{name}” (a parent of another student)").format(name=self.text)
        return _("“{name}” (another student)").format(name=self.text)


def foreign_names(text: str, allowed: frozenset[str], strict: bool = False,
                  index: NameIndex | None = None) -> list[ForeignName]:
    """The mentions in ``text`` of anyone outside ``allowed`` (a mention that may also be one
    of ``allowed``, such as a shared first name, belongs)."""
    index = index or school_index()
    out: dict[str, ForeignName] = {}
    for hit in index.find(text or "", strict=strict):
        if hit.keys & allowed:
            continue
        out.setdefault(hit.text.casefold(), ForeignName(hit.text, hit.keys))
    return list(out.values())


def json_strings(text: str) -> str | None:
    """The strings a JSON text holds, one a line, escapes decoded ("Zo\\u00eb" reads "Zoë");
    None when ``text`` is not JSON. Timeline data, a letter's merge data, a meeting's
    outside participants and a contract's rules are kept as JSON: free text inside them is
    looked at as the user typed it, never as its JSON spelling."""
    try:
        value = json.loads(text)
    except (TypeError, ValueError):
        return None
    out: list[str] = []

    def walk(item) -> None:
        if isinstance(item, str):
            out.append(item)
        elif isinstance(item, list):
            for x in item:
                walk(x)
        elif isinstance(item, dict):
            for x in item.values():
                walk(x)

    walk(value)
    return "\n".join(out)


def redact_json(index: NameIndex, text: str, replace: Callable[[Hit], str | None],
                strict: bool = True) -> str:
    """``index.redact`` over every string a JSON text holds (decoded first, so a name stored
    escaped is found too), written back as JSON; a text that is not JSON is redacted as it
    is. Unchanged when nothing was replaced."""
    try:
        value = json.loads(text)
    except (TypeError, ValueError):
        return index.redact(text, replace, strict)

    def walk(item):
        if isinstance(item, str):
            return index.redact(item, replace, strict)
        if isinstance(item, list):
            return [walk(x) for x in item]
        if isinstance(item, dict):
            return {k: walk(x) for k, x in item.items()}
        return item

    out = walk(value)
    return text if out == value else json.dumps(out, ensure_ascii=False)


def describe_all(found: Iterable[ForeignName]) -> str:
    return ", ".join(f.describe() for f in found)


__all__ = ["FREE_TEXT", "JSON_TEXT", "Hit", "NameIndex", "Person", "ForeignName",
           "describe_all", "foreign_names",
           "guardian_key", "json_strings", "key_id", "own_keys", "people", "redact_json",
           "school_index", "student_key"]
