"""Numbered schema migrations, keyed on ``PRAGMA user_version``.

Migration N brings a database from version N-1 to N. Before any migration runs on an
existing file, a consistent copy is made next to it with SQLite's backup API; each migration
runs inside one ``BEGIN IMMEDIATE`` transaction together with its ``user_version`` bump, so a
failed migration changes nothing. Migration 1 is the first schema, frozen as SQL: never edit
a released migration, add a new one.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from peewee import Database

from ... import clock
from ..db import backup_to
from ..dialect import prepare, run_statement, schema_version, set_schema_version


def _sql_file(name: str) -> Callable[[Database], None]:
    def run(db: Database) -> None:
        text = (Path(__file__).parent / name).read_text(encoding="utf-8")
        for statement in _statements(text):
            run_statement(db, statement)

    run.__name__ = name
    return run


def _statements(text: str) -> list[str]:
    """Split a migration file into statements; a trigger body keeps its inner semicolons."""
    out, buf = [], []
    for line in text.splitlines():
        if line.startswith("--") and not buf:
            continue
        buf.append(line)
        if line.rstrip().endswith(";"):
            joined = "\n".join(buf).strip()
            depth = joined.upper().count("BEGIN") - joined.upper().count("END;")
            if "CREATE TRIGGER" in joined.upper() and depth > 0:
                continue
            out.append(joined.rstrip(";"))
            buf = []
    if "".join(buf).strip():
        out.append("\n".join(buf).strip().rstrip(";"))
    return out


def created_triggers(name: str) -> dict[str, str]:
    """The triggers a migration file creates: name -> its CREATE TRIGGER statement."""
    text = (Path(__file__).parent / name).read_text(encoding="utf-8")
    out = {}
    for statement in _statements(text):
        words = statement.split()
        if [w.upper() for w in words[:2]] == ["CREATE", "TRIGGER"]:
            out[words[2].strip('"')] = statement
    return out


def _schools(db: Database) -> None:
    """Migration 5 (several schools in one database), then the first school named after its
    profile in Python rather than with a dialect's JSON function."""
    _sql_file("0005_schools.sql")(db)
    row = db.execute_sql("SELECT value FROM setting WHERE key = 'school_profile'").fetchone()
    try:
        name = str(json.loads(row[0]).get("name") or "").strip() if row else ""
    except (ValueError, AttributeError):
        name = ""
    if name:
        db.execute_sql(f"UPDATE school SET name = {db.param} WHERE id = 1", (name[:255],))


_schools.__name__ = "0005_schools.sql"


MIGRATIONS: list[Callable[[Database], None]] = [
    _sql_file("0001_initial.sql"),
    _sql_file("0002_audit_append_only.sql"),
    _sql_file("0003_access_and_sign_in.sql"),
    _sql_file("0004_separation_of_duties.sql"),
    _schools,
    _sql_file("0006_school_indexes.sql"),
]
LATEST = len(MIGRATIONS)


def current_version(db: Database) -> int:
    return schema_version(db)


def backup_path_for(path: Path, version: int) -> Path:
    stamp = clock.now().strftime("%Y%m%d-%H%M%S")
    return path.with_name(f"{path.stem}.schema{version}-{stamp}.backup{path.suffix}")


def migrate(db: Database, path: Path | None, *, backup: bool = True, target: int = LATEST) -> int:
    """Run the migrations from the file's version up to ``target``; returns the new version."""
    version = current_version(db)
    if version >= target:
        return version
    if backup and path is not None:
        backup_to(path, backup_path_for(path, version))
    for number in range(version + 1, target + 1):
        with db.atomic():  # BEGIN IMMEDIATE (lock_type of the database)
            if number == version + 1:
                prepare(db)  # PostgreSQL: its meta table and functions (store.dialect)
            MIGRATIONS[number - 1](db)
            set_schema_version(db, number)
    return target
