"""Encrypted test schools: a new encrypted database with a first beheerder, cheap Argon2id.

Slots keep the parameters they were made with; tests lower them (``FAST``) so a sign-in costs
milliseconds, not the production half second. Nothing else differs from a real school.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

from pestdesk.services import accounts, encryption, settings

FAST = {"t": 1, "m": 8 * 1024, "p": 1}
ADMIN, PASSWORD = "beheer", "Lange-Zomer-Vakantie-2026"


@dataclass
class EncryptedSchool:
    path: Path
    recovery_key: str
    username: str = ADMIN
    password: str = PASSWORD


def fast_slots(monkeypatch) -> None:
    monkeypatch.setattr(encryption, "slot_params", FAST)


def encrypted_school(path: Path) -> EncryptedSchool:
    """A new encrypted database at ``path``, set up with a beheerder; left open and bound."""
    new = encryption.create_encrypted(path)
    accounts.set_up(settings.SchoolProfile(name="Testschool"), "Bea", "Heer", "BH", ADMIN,
                    PASSWORD)
    return EncryptedSchool(path, new.recovery_key)


def files_beside(path: Path) -> list[Path]:
    """The database and every file pestdesk keeps beside it or in its backup folder."""
    return [p for p in path.parent.rglob("*") if p.is_file()]


def occurrences(marker: str, files: list[Path]) -> dict[str, int]:
    """How often ``marker`` occurs in each file's bytes (UTF-8 and UTF-16, as SQLite stores)."""
    needles = [marker.encode("utf-8"), marker.encode("utf-16-le")]
    found = {}
    for f in files:
        data = f.read_bytes()
        n = sum(data.count(needle) for needle in needles)
        if n:
            found[str(f)] = n
    return found


def forge_audit_trail(path: Path, entry_id: int, detail: str) -> None:
    """What someone with write access but without the key can do to the trail: change a
    line and recompute every link with plain SHA-256 (as on a plain database). Needs the
    file's key held (the test signed in) and the database bound for reading."""
    from pestdesk.services.base import audit_row_payload
    from pestdesk.store.db import connect
    from pestdesk.store.models import AuditLog

    con = connect(path, readonly=False)
    try:
        con.execute("BEGIN IMMEDIATE")
        con.execute("DROP TRIGGER IF EXISTS audit_log_no_update")
        prev = ""
        for entry in AuditLog.select().order_by(AuditLog.id):
            if entry.id == entry_id:
                entry.detail = detail
                con.execute("UPDATE audit_log SET detail = ? WHERE id = ?", (detail, entry_id))
            payload = json.dumps(audit_row_payload(entry), sort_keys=True, default=str)
            link = hashlib.sha256((prev + payload).encode("utf-8")).hexdigest()
            con.execute("UPDATE audit_log SET prev_hash = ?, hash = ? WHERE id = ?",
                        (prev, link, entry.id))
            prev = link
        con.execute("COMMIT")
    finally:
        con.close()
