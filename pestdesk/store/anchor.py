"""The audit trail's anchor: its head (how many lines, the last hash) kept in two more places.

The chain itself (``services.base.audit``) shows a line that was changed; it cannot show
lines missing at the end, a table emptied, or a chain recomputed from scratch. So every
audit line also moves the head kept in the ``audit_head`` setting (same transaction) and, once
committed, in a small JSON file beside the database (``<name>.audit-anchor``); a backup
writes the head its copy holds into that file too. ``pestdesk check`` compares all of them
with the table (``verify``). The file holds counts and hashes only, no personal data.
(The encryption issue keys the chain; until then whoever can rewrite the table and both
anchors and every backup record can hide a change.)
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

HEAD_KEY = "audit_head"
TRIGGERS = ("audit_log_no_update", "audit_log_no_delete")
TRIGGER_MIGRATION = "0002_audit_append_only.sql"
#: tables whose rows are only written with an audit line: rows there and no audit line at
#: all means the trail was emptied
RECORD_TABLES = ("staff", "user", "student", "case")


@dataclass(frozen=True)
class Head:
    count: int
    hash: str


def anchor_path(db_path: str | os.PathLike) -> Path:
    path = Path(db_path)
    return path.with_name(path.name + ".audit-anchor")


def read_anchor(db_path: str | os.PathLike) -> dict | None:
    """The anchor file's content, or None when there is none (or it cannot be read)."""
    try:
        data = json.loads(anchor_path(db_path).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def write_anchor(db_path: str | os.PathLike, head: Head | None = None,
                 backup: Head | None = None, *, restart: bool = False) -> None:
    """Move the file's head forward (never back: another process may have written a later
    one) and/or record the head a backup saw; atomically (temp file, then rename).
    ``restart``: a restore put an older database back; its head becomes the anchor."""
    data = {} if restart else (read_anchor(db_path) or {})
    if head is not None and head.count >= int(data.get("count", -1)):
        data.update(count=head.count, hash=head.hash)
    if backup is not None:
        data["backup"] = {"count": backup.count, "hash": backup.hash}
    target = anchor_path(db_path)
    tmp = target.with_name(target.name + ".tmp")
    try:
        tmp.write_text(json.dumps(data, sort_keys=True), encoding="utf-8")
        os.replace(tmp, target)
    except OSError:  # a read-only folder: the setting row still holds the head
        tmp.unlink(missing_ok=True)


def restart_from(db_path: str | os.PathLike, con) -> None:
    """After a restore: the restored database's own head is the anchor from now on."""
    try:
        head = table_head(con)
    except Exception:  # noqa: BLE001 - not readable as a pestdesk database: leave it
        return
    write_anchor(db_path, head, restart=True)


def table_head(con) -> Head:
    """The head as the table has it, from a DB-API connection (sqlite3 or SQLCipher)."""
    count = con.execute('SELECT count(*) FROM "audit_log"').fetchone()[0]
    row = con.execute('SELECT "hash" FROM "audit_log" ORDER BY "id" DESC LIMIT 1').fetchone()
    return Head(count, row[0] if row else "")


def setting_head(con) -> Head | None:
    row = con.execute('SELECT "value" FROM "setting" WHERE "key" = ?', (HEAD_KEY,)).fetchone()
    if row is None:
        return None
    data = json.loads(row[0])
    return Head(int(data["count"]), str(data["hash"]))


def hash_at(con, count: int) -> str | None:
    """The hash of the ``count``-th line (1-based), None when the table is shorter."""
    if count <= 0:
        return ""
    row = con.execute('SELECT "hash" FROM "audit_log" ORDER BY "id" LIMIT 1 OFFSET ?',
                      (count - 1,)).fetchone()
    return row[0] if row else None


def _normal(sql: str) -> str:
    return " ".join((sql or "").split()).rstrip(";").strip()


def missing_triggers(con) -> list[str]:
    """The append-only triggers that are gone or changed: each must be exactly the statement
    migration 0002 made (whitespace aside). A trigger of that name with a WHEN that never
    holds, on another event, or with its RAISE in a comment refuses nothing."""
    from .migrations import created_triggers

    expected = created_triggers(TRIGGER_MIGRATION)
    found = dict(con.execute(
        "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'audit_log'"
    ).fetchall())
    return [name for name in TRIGGERS
            if _normal(found.get(name) or "") != _normal(expected.get(name, "-"))]


def holds_records(con) -> bool:
    """Whether the database holds people or cases (each written with an audit line)."""
    return any(con.execute(f'SELECT EXISTS (SELECT 1 FROM "{table}")').fetchone()[0]
               for table in RECORD_TABLES)


def verify(con, db_path: str | os.PathLike) -> list[str]:
    """What is wrong with the trail's anchoring, as codes: ``triggers``, ``setting``,
    ``anchor`` (the file's head is not in the chain), ``backup`` (the last backup's head is
    not in the chain), ``empty`` (no audit line in a database that holds records),
    ``no-anchor`` (no file beside the database: a warning)."""
    problems = []
    if missing_triggers(con):
        problems.append("triggers")
    actual = table_head(con)
    if actual.count == 0 and holds_records(con):
        problems.append("empty")
    if setting_head(con) != actual:
        problems.append("setting")
    data = read_anchor(db_path)
    if data is None:
        if actual.count:
            problems.append("no-anchor")
        return problems
    if "count" in data and hash_at(con, int(data["count"])) != data.get("hash"):
        problems.append("anchor")
    backup = data.get("backup")
    if backup and hash_at(con, int(backup["count"])) != backup.get("hash"):
        problems.append("backup")
    return problems
