"""The school's name detector built from the database: every student and guardian, rebuilt
after a change, and 'does this name belong here'."""

from __future__ import annotations

from pestdesk.services import names
from pestdesk.services.base import SYSTEM, create, save_versioned, write
from pestdesk.store import models as m


def test_school_index_finds_students_and_guardians_and_follows_changes(db):
    with write():
        ayoub = create(SYSTEM, m.Student, number="100001", first_name="Ayoub",
                       last_name="Amrani", tussenvoegsel="el")
        daan = create(SYSTEM, m.Student, number="100002", first_name="Daan", last_name="Kuiper")
        mother = create(SYSTEM, m.Guardian, first_name="Hülya", last_name="Kaya")
        create(SYSTEM, m.StudentGuardian, student=ayoub, guardian=mother)
    text = "Daan Kuiper zei dat Ayoubs moeder Hulya Kaya belde over leerling 100002."
    index = names.school_index()
    assert names.school_index() is index  # cached
    hits = {h.text: h.keys for h in index.find(text)}
    assert hits == {"Daan Kuiper": {names.student_key(daan.id)},
                    "Ayoubs": {names.student_key(ayoub.id)},
                    "Hulya Kaya": {names.guardian_key(mother.id)},
                    "100002": {names.student_key(daan.id)}}
    own = names.own_keys([ayoub.id])
    assert own == {names.student_key(ayoub.id), names.guardian_key(mother.id)}
    foreign = names.foreign_names(text, own)
    assert [f.text for f in foreign] == ["Daan Kuiper", "100002"]
    assert "Daan Kuiper" in names.describe_all(foreign)
    with write():
        save_versioned(SYSTEM, daan, daan.version, first_name="Thijs")
    rebuilt = names.school_index()
    assert rebuilt is not index
    assert [h.text for h in rebuilt.find("Thijs Kuiper en Daan")] == ["Thijs Kuiper"]
