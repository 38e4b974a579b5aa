"""Moving a school's own file into a board database: row by row, the audit chain, all or
nothing, and the source file byte for byte untouched."""

from __future__ import annotations

import hashlib
import json
import sqlite3

import pytest
from peewee import ForeignKeyField

from pestdesk.services import schools
from pestdesk.services.base import SYSTEM, ServiceError, verify_audit_chain
from pestdesk.services.demo import generate_demo
from pestdesk.store import models as m
from pestdesk.store import scope
from pestdesk.store.db import create_database
from tests.helpers.cases import School


def _digest(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture
def demo_file(tmp_path):
    path = tmp_path / "demo-school.sqlite"
    db = create_database(path)
    generate_demo(students=60, years=1, seed=7)
    db.close()
    return path


def _source_rows(path, table):
    con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    con.row_factory = sqlite3.Row
    try:
        return [dict(r) for r in con.execute(f'SELECT * FROM "{table}" ORDER BY id')]
    finally:
        con.close()


def test_the_demo_school_moves_in_row_by_row(demo_file, db, tmp_path):
    School(prefix="t-")  # the board already has a school with data: every id is mapped
    before = _digest(demo_file)
    siblings = sorted(p.name for p in demo_file.parent.glob("demo-school*"))
    report = schools.move_in(SYSTEM, demo_file, "Demo College")
    assert _digest(demo_file) == before
    assert sorted(p.name for p in demo_file.parent.glob("demo-school*")) == siblings
    assert report.school_id != scope.FIRST_SCHOOL
    compared = 0
    with scope.unscoped():
        for model in schools._copied_models():
            table = model._meta.table_name
            source = _source_rows(demo_file, table)
            assert report.counts[table] == len(source), table
            for row in source:
                target = model.get_by_id(report.id_maps[table][row["id"]])
                for field_ in model._meta.sorted_fields:
                    if field_.name == "id":
                        continue
                    got = getattr(target, field_.column_name if isinstance(
                        field_, ForeignKeyField) else field_.name)
                    if field_.name == "school":
                        assert got == report.school_id
                        continue
                    want = field_.python_value(row[field_.column_name])
                    if isinstance(field_, ForeignKeyField) and want is not None:
                        want = report.id_maps[field_.rel_model._meta.table_name][want]
                    elif model is m.Meeting and field_.name == "attendees" and want:
                        want = json.dumps(sorted(report.id_maps["staff"][i]
                                                 for i in json.loads(want)))
                    if model is m.Event and field_.name == "data" and want:
                        continue  # ids inside are mapped: compared below
                    assert got == want, (table, row["id"], field_.name)
                    compared += 1
        assert compared > 10_000
        # a timeline entry's ids point at the copied rows
        for event in m.Event.select().where((m.Event.school == report.school_id)
                                            & m.Event.data.contains("letter_id")):
            letter = m.Letter.get_by_id(json.loads(event.data)["letter_id"])
            assert letter.case_id == event.case_id
    assert verify_audit_chain() is None
    assert report.audit_lines == len(_source_rows(demo_file, "audit_log"))
    # the school's own settings came along; the first school's stayed its own
    from pestdesk.services.settings import school_profile

    with scope.using(scope.Scope(frozenset({report.school_id}), report.school_id)):
        demo_name = school_profile().name
    assert demo_name and demo_name != "Testschool"
    assert school_profile().name == "Testschool"


def _counts() -> dict[str, int]:
    with scope.unscoped():
        return {model.__name__: model.select().count() for model in m.ALL_MODELS}


def test_a_clash_changes_nothing(demo_file, db):
    schools.move_in(SYSTEM, demo_file, "Demo College")
    before = _counts()
    with pytest.raises(ServiceError, match="bestaan al|already"):
        schools.move_in(SYSTEM, demo_file, "Demo College Twee")  # the same user names
    assert _counts() == before
    with pytest.raises(ServiceError):
        schools.move_in(SYSTEM, demo_file, "Demo College")  # a school with data
    assert _counts() == before


def test_a_broken_trail_is_not_moved_in(demo_file, db, tmp_path):
    broken = tmp_path / "broken.sqlite"
    broken.write_bytes(demo_file.read_bytes())
    con = sqlite3.connect(broken)
    names = [r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type='trigger'")]
    for name in names:
        con.execute(f'DROP TRIGGER "{name}"')
    assert con.execute("UPDATE audit_log SET detail = 'x' WHERE id = "
                       "(SELECT min(id) FROM audit_log)").rowcount == 1
    con.commit()
    con.close()
    before = _counts()
    with pytest.raises(ServiceError):
        schools.move_in(SYSTEM, broken, "Kapot College")
    assert _counts() == before


def test_someone_who_signed_in_may_not_move_a_school_in(demo_file, db):
    school = School()
    with pytest.raises(ServiceError):
        schools.move_in(school.actor, demo_file, "Demo College")


def test_pestdesk_migrate_on_the_command_line(demo_file, tmp_path):
    import os
    import subprocess
    import sys

    target = tmp_path / "bestuur.sqlite"
    create_database(target).close()
    before = _digest(demo_file)
    env = dict(os.environ, PESTDESK_LANG="nl", QT_QPA_PLATFORM="offscreen")

    def run(*args):
        return subprocess.run([sys.executable, "-m", "pestdesk", *map(str, args)],
                              capture_output=True, text=True, env=env, timeout=300,
                              stdin=subprocess.DEVNULL)

    done = run("migrate", "--from", demo_file, "--to", target, "--school", "Demo College")
    assert done.returncode == 0, done.stderr
    assert "Demo College: overgezet en gecontroleerd" in done.stdout
    again = run("migrate", "--from", demo_file, "--to", target, "--school", "Ander College")
    assert again.returncode != 0 and "bestaan al" in again.stderr
    assert "Traceback" not in again.stderr
    assert _digest(demo_file) == before
    check = run("check", "--db", target)
    assert check.returncode == 0, check.stdout + check.stderr
