"""The audit trail's anchor: its head (how many lines, the last hash) kept in two more places.

The chain itself (``services.base.audit``) shows a line that was changed; it cannot show
lines missing at the end, a table emptied, or a chain recomputed from scratch. So every
audit line also moves the head kept in the ``audit_head`` setting (same transaction) and, once
committed, in a small JSON file beside the database (``<name>.audit-anchor``); a backup
writes the head its copy holds into that file too. ``pestdesk check`` compares all of them
with the table (``verify``). The file holds counts and hashes only, no personal data.

On an encrypted database the chain's links are HMACs under the database key, and so is the
anchor file: it carries a ``mac`` over its content and the database's salt, under a key
derived from the database key (``anchor_key``). An anchor written, edited or copied from
another database without that key is reported (``forged``), never built upon; one of an
older state of this database is still caught by the head it names. And ``behind``
compares the trail with a backup of the same database: a backup whose last line is not in
the trail, where the two do not part at a restore recorded here, means the file was put
back to an older copy (or lines were removed), even when the anchor file went too.
Whoever holds neither the key nor the backups cannot make that pass; whoever holds the key
and can rewrite the table, the anchor and every backup can, which is why the backups live
elsewhere.
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


def file_of(db) -> str | None:
    """The database file whose anchor file a commit moves: None for an in-memory or URI
    database and for a PostgreSQL server (no file beside it: there the revoked rights and
    triggers guard the trail, and the head setting and ``check`` stay as they are)."""
    from .dialect import is_postgres

    if is_postgres(db):
        return None
    path = str(getattr(db, "database", "") or "")
    if not path or path == ":memory:" or path.startswith("file:"):
        return None
    return path


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


def anchor_key(db_path: str | os.PathLike) -> bytes | None:
    """The anchor's MAC key for an encrypted ``db_path`` whose key this process holds
    (derived with HKDF from the database key, bound to its salt); None otherwise."""
    from .db import key_for

    key = key_for(db_path)
    return _derived(key) if key is not None else None


def _derived(database_key) -> bytes:
    from .crypto import subkey

    return subkey(database_key.key, "pestdesk audit anchor", database_key.salt)


def anchor_text(head: Head, database_key) -> str:
    """The content of a signed anchor naming ``head``, for a database whose key is
    ``database_key`` (``encrypt`` writes it beside the copy before swapping it in)."""
    data = {"count": head.count, "hash": head.hash}
    data["mac"] = _mac(_derived(database_key), data)
    return json.dumps(data, sort_keys=True)


def _mac(key: bytes, data: dict) -> str:
    from .crypto import mac

    body = {k: v for k, v in data.items() if k != "mac"}
    return mac(key, json.dumps(body, sort_keys=True).encode("utf-8"))


def signed(data: dict, key: bytes) -> bool:
    """Whether the anchor content ``data`` carries a valid MAC under ``key``."""
    import hmac

    tag = data.get("mac")
    return isinstance(tag, str) and hmac.compare_digest(tag, _mac(key, data))


def write_anchor(db_path: str | os.PathLike, head: Head | None = None,
                 backup: Head | None = None, *, restart: bool = False) -> None:
    """Move the file's head forward (never back: another process may have written a later
    one) and/or record the head a backup saw; atomically (temp file, then rename).
    ``restart``: a restore put an older database back; its head becomes the anchor.

    For an encrypted file the content is MACed (``anchor_key``); an existing anchor that
    does not verify is not built upon, and without the key nothing is written."""
    from .db import is_encrypted

    key = None
    if is_encrypted(db_path):
        key = anchor_key(db_path)
        if key is None:
            return
    data = {} if restart else (read_anchor(db_path) or {})
    if key is not None and data and not signed(data, key):
        data = {}  # forged or from before the MAC: the head written now replaces it
    data.pop("mac", None)
    if head is not None and head.count >= int(data.get("count", -1)):
        data.update(count=head.count, hash=head.hash)
    if backup is not None:
        data["backup"] = {"count": backup.count, "hash": backup.hash}
    if key is not None:
        data["mac"] = _mac(key, data)
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


def store_setting_head(con) -> Head:
    """Put the table's head into the ``audit_head`` setting (raw connection, inside the
    caller's transaction: after lines were appended or re-signed there); returns it."""
    head = table_head(con)
    con.execute('INSERT OR REPLACE INTO setting (key, value, version) VALUES (?, ?, '
                'COALESCE((SELECT version FROM setting WHERE key = ?), 0) + 1)',
                (HEAD_KEY, json.dumps({"count": head.count, "hash": head.hash}), HEAD_KEY))
    return head


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


RESTORE_ACTION = "restore"  # the audit line a restore appends to the restored database


def behind(con, copy) -> bool:
    """Whether the backup ``copy`` (a DB-API connection to a copy of the same database)
    holds audit lines this trail lacks: its last line is not in the chain here, and the
    two do not part at a restore recorded here. Then the database was put back to an older
    copy outside pestdesk (a restore appends its own line), or lines were removed.

    A restore excuses the difference only where the trails part: its line follows a line
    the backup has, and is itself not in the backup (a restore the backup also holds is
    older than it and excuses nothing). By place in the chain, not by time: the clocks of
    a school's PCs differ."""
    head = table_head(copy)
    if head.count == 0 or hash_at(con, head.count) == head.hash:
        return False

    def in_copy(link: str) -> bool:
        return copy.execute('SELECT 1 FROM "audit_log" WHERE "hash" = ? LIMIT 1',
                            (link,)).fetchone() is not None

    restores = con.execute('SELECT "prev_hash", "hash" FROM "audit_log" WHERE "action" = ?',
                           (RESTORE_ACTION,)).fetchall()
    return not any((prev == "" or in_copy(prev)) and not in_copy(link)
                   for prev, link in restores)


def verify_database(db, db_path) -> list[str]:
    """``verify`` on the bound peewee database: a SQLite file through its connection; a
    PostgreSQL server without an anchor file (its triggers are checked with its integrity,
    ``server.integrity_problems``)."""
    from .dialect import is_postgres

    if not is_postgres(db):
        return verify(db.connection(), db_path)
    problems = []
    count = db.execute_sql('SELECT count(*) FROM "audit_log"').fetchone()[0]
    row = db.execute_sql('SELECT "hash" FROM "audit_log" ORDER BY "id" DESC LIMIT 1').fetchone()
    actual = Head(count, row[0] if row else "")
    if actual.count == 0 and any(
            db.execute_sql(f'SELECT EXISTS (SELECT 1 FROM "{table}")').fetchone()[0]
            for table in RECORD_TABLES):
        problems.append("empty")
    row = db.execute_sql('SELECT "value" FROM "setting" WHERE "key" = %s',
                         (HEAD_KEY,)).fetchone()
    data = json.loads(row[0]) if row else None
    if data is None or Head(int(data["count"]), str(data["hash"])) != actual:
        problems.append("setting")
    return problems


def verify(con, db_path: str | os.PathLike) -> list[str]:
    """What is wrong with the trail's anchoring, as codes: ``triggers``, ``setting``,
    ``anchor`` (the file's head is not in the chain), ``backup`` (the last backup's head is
    not in the chain), ``empty`` (no audit line in a database that holds records),
    ``forged`` (an encrypted database's anchor file without a valid MAC under its key:
    written or changed without the key, or another database's), ``no-anchor`` (no file
    beside the database: a warning; ``behind`` with the newest backup still tells a
    database put back to an older copy)."""
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
    from .db import is_encrypted

    if is_encrypted(db_path):
        key = anchor_key(db_path)
        if key is None or not signed(data, key):
            problems.append("forged")
            return problems  # its heads say nothing: ``behind`` with a backup still does
    if "count" in data and hash_at(con, int(data["count"])) != data.get("hash"):
        problems.append("anchor")
    backup = data.get("backup")
    if backup and hash_at(con, int(backup["count"])) != backup.get("hash"):
        problems.append("backup")
    return problems
