"""What every use case shares: the acting user, short write transactions, the version check
and the audit trail.

Every change to a dossier goes through ``write()`` (one ``BEGIN IMMEDIATE`` transaction) and
records an ``AuditLog`` line in that same transaction. ``save_versioned`` is our small
optimistic-locking recipe: the UPDATE names the version the user read and a zero row count
means someone else saved in between, which raises ``Conflict`` instead of overwriting.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import sqlite3
import time
from collections.abc import Iterator
from dataclasses import dataclass, field

from peewee import OperationalError

from ..i18n import _
from ..store import errors
from ..store.models import AuditLog, Versioned, database, utcnow


@dataclass(frozen=True)
class Actor:
    """Who is acting: a signed-in user (or the system, for admin commands)."""

    user_id: int | None
    username: str = "system"
    staff_id: int | None = None
    roles: frozenset[str] = field(default_factory=frozenset)

    def has_role(self, *roles: str) -> bool:
        return bool(self.roles.intersection(roles))


SYSTEM = Actor(user_id=None, username="system", roles=frozenset({"beheerder"}))


class ServiceError(Exception):
    """A refusal with a translated message for the user."""


class Conflict(ServiceError):
    """Someone else saved this record after it was read."""

    def __init__(self, table: str, record_id: int, current: dict | None = None):
        self.table = table
        self.record_id = record_id
        self.current = current or {}
        super().__init__(
            _("Someone else changed this record while you were editing it. "
              "Reload it to see their change, then apply yours again.")
        )


def _is_busy(exc: Exception) -> bool:
    text = str(exc).lower()
    return "locked" in text or "busy" in text


def _is_io(exc: Exception) -> bool:
    text = str(exc).lower()
    return "disk" in text or "i/o" in text or "full" in text


@contextlib.contextmanager
def write(retries: int = 3) -> Iterator[None]:
    """One short write transaction (BEGIN IMMEDIATE); a busy database is retried quietly.

    The busy timeout already waits inside SQLite; on top of that a whole transaction is
    retried a few times only when BEGIN itself failed, before anything ran.
    """
    db = database.obj
    attempt = 0
    while True:
        txn = db.atomic()
        try:
            txn.__enter__()
        except OperationalError as exc:
            if _is_busy(exc) and attempt < retries:
                attempt += 1
                time.sleep(0.2 * attempt)
                continue
            if _is_busy(exc):
                raise errors.DatabaseBusy() from exc
            raise
        break
    try:
        yield
    except BaseException as exc:
        txn.__exit__(type(exc), exc, exc.__traceback__)
        if isinstance(exc, OperationalError | sqlite3.OperationalError) and _is_busy(exc):
            raise errors.DatabaseBusy() from exc
        if isinstance(exc, OperationalError | sqlite3.OperationalError) and _is_io(exc):
            raise errors.StorageFailure() from exc
        raise
    else:
        try:
            txn.__exit__(None, None, None)
        except OperationalError as exc:
            if _is_busy(exc):
                raise errors.DatabaseBusy() from exc
            if _is_io(exc):
                raise errors.StorageFailure() from exc
            raise


def _chain_hash(prev: str, row: dict) -> str:
    payload = json.dumps(row, sort_keys=True, default=str)
    return hashlib.sha256((prev + payload).encode("utf-8")).hexdigest()


def audit_row_payload(entry: AuditLog) -> dict:
    return {
        "at": entry.at.isoformat() if hasattr(entry.at, "isoformat") else str(entry.at),
        "user": entry.user,
        "action": entry.action,
        "table": entry.table,
        "record_id": entry.record_id,
        "detail": entry.detail,
    }


def audit(actor: Actor, action: str, table: str = "", record_id: int | None = None,
          detail: str = "") -> AuditLog:
    """Append an audit line; call inside ``write()`` so it commits with the act.

    ``detail`` must hold no personal data: field names, codes, counts.
    """
    last = AuditLog.select(AuditLog.hash).order_by(AuditLog.id.desc()).limit(1).first()
    prev = last.hash if last else ""
    entry = AuditLog(at=utcnow(), user=actor.user_id, action=action, table=table,
                     record_id=record_id, detail=detail, prev_hash=prev)
    entry.hash = _chain_hash(prev, audit_row_payload(entry))
    entry.save(force_insert=True)
    return entry


def verify_audit_chain() -> int | None:
    """The id of the first audit line whose hash does not match, or None when intact."""
    prev = ""
    for entry in AuditLog.select().order_by(AuditLog.id).iterator():
        if entry.prev_hash != prev or entry.hash != _chain_hash(prev, audit_row_payload(entry)):
            return entry.id
        prev = entry.hash
    return None


def create(actor: Actor, model: type[Versioned], **values) -> Versioned:
    """Insert a record with its audit line (call inside ``write()``)."""
    record = model.create(**values)
    audit(actor, "create", model._meta.table_name, record.id)
    return record


def save_versioned(actor: Actor, record: Versioned, read_version: int, **changes) -> Versioned:
    """Update ``record`` only if it still has ``read_version``; else raise ``Conflict``.

    Call inside ``write()``. Only the changed field names go into the audit detail.
    """
    model = type(record)
    changed = {k: v for k, v in changes.items() if getattr(record, k) != v}
    if not changed:
        return record
    fields = {getattr(model, k): v for k, v in changed.items()}
    fields[model.version] = read_version + 1
    fields[model.updated_at] = utcnow()
    rows = (
        model.update(fields)
        .where((model.id == record.id) & (model.version == read_version))
        .execute()
    )
    if rows == 0:
        fresh = model.get_or_none(model.id == record.id)
        raise Conflict(model._meta.table_name, record.id,
                       fresh.__data__ if fresh is not None else None)
    for key, value in changed.items():
        setattr(record, key, value)
    record.version = read_version + 1
    audit(actor, "update", model._meta.table_name, record.id, ",".join(sorted(changed)))
    return record
