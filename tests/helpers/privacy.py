"""Checking a text that leaves pestdesk (an AVG export, a letter, a meeting pack, the bytes of
a purged database) against the names of every student and guardian of the school.

Independent of the name detector on purpose: plain folded text search for each person's full
name ("Jan de Vries"), "last name, first name" and student number.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

from pestdesk.store import models as m


def fold(text: str) -> str:
    text = unicodedata.normalize("NFKD", (text or "").casefold().replace("ı", "i"))
    return " ".join("".join(c for c in text if not unicodedata.combining(c)).split())


def _probes(first: str, tv: str, last: str, number: str = "") -> set[str]:
    out = set()
    if first and last:
        out.add(fold(" ".join(p for p in (first, tv, last) if p)))
        out.add(fold(f"{last}, {first}"))
    if len(number or "") >= 4:
        out.add(fold(number))
    return out


def _student_probes(s) -> set[str]:
    return _probes(s.first_name, s.tussenvoegsel, s.last_name, s.number)


def _guardian_probes(g) -> set[str]:
    return _probes(g.first_name, g.tussenvoegsel, g.last_name)


def foreign_leaks(text: str, allowed_students: Iterable[int],
                  allowed_names: Iterable[str] = ()) -> list[str]:
    """Full names and numbers of every *other* student and guardian found in ``text``.

    The allowed students, their own guardians, staff and ``allowed_names`` are not checked
    (nor is anyone whose name equals one of theirs)."""
    allowed = set(allowed_students)
    own_guardians = {sg.guardian_id for sg in m.StudentGuardian.select().where(
        m.StudentGuardian.student.in_(list(allowed)))}
    skip = {fold(n) for n in allowed_names}
    for s in m.Student.select().where(m.Student.id.in_(list(allowed))):
        skip |= _student_probes(s)
    for g in m.Guardian.select().where(m.Guardian.id.in_(list(own_guardians))):
        skip |= _guardian_probes(g)
    for st in m.Staff.select():
        skip |= _probes(st.first_name, st.tussenvoegsel, st.last_name)
    haystack = fold(text)
    leaks = []
    probes: set[str] = set()
    for s in m.Student.select().where(m.Student.id.not_in(list(allowed) or [0])):
        probes |= _student_probes(s)
    for g in m.Guardian.select().where(m.Guardian.id.not_in(list(own_guardians) or [0])):
        probes |= _guardian_probes(g)
    for probe in sorted(probes - skip):
        if re.search(rf"(?<!\w){re.escape(probe)}(?!\w)", haystack):
            leaks.append(probe)
    return leaks


def pdf_text(pdf: bytes) -> str:
    """All text of a PDF, read back with pypdf."""
    import io

    from pypdf import PdfReader

    return "\n".join(page.extract_text() or "" for page in PdfReader(io.BytesIO(pdf)).pages)
