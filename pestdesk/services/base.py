"""What every use case shares: the acting user, short write transactions, the version check
and the audit trail.

Every change to a dossier goes through ``write()`` (one ``BEGIN IMMEDIATE`` transaction) and
records an ``AuditLog`` line in that same transaction. ``save_versioned`` is our small
optimistic-locking recipe: the UPDATE names the version the user read and a zero row count
means someone else saved in between, which raises ``Conflict`` instead of overwriting.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import hmac
import json
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from peewee import DatabaseError

from ..i18n import _
from ..store import anchor, errors
from ..store.dialect import lock_append, move_audit_head
from ..store.models import AuditLog, Setting, Versioned, database, utcnow


@dataclass(frozen=True)
class Actor:
    """Who is acting: a signed-in user (or the system, for admin commands)."""

    user_id: int | None
    username: str = "system"
    staff_id: int | None = None
    roles: frozenset[str] = field(default_factory=frozenset)
    # a beheerder set this user's password: they choose their own before anything else
    must_change_password: bool = False

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


class ReadOnlyMode(ServiceError):
    """pestdesk stopped saving after a storage failure; everything saved before is safe."""

    def __init__(self) -> None:
        super().__init__(_(
            "pestdesk is read-only after a storage error (disk full or network problem): "
            "nothing can be saved until the problem is solved and pestdesk is restarted. "
            "Everything saved before the error is safe."))


class SomeoneSaving(errors.DatabaseBusy, ServiceError):
    """The database stayed locked past the busy timeout; ``detail`` names who has it open.

    Also a ``ServiceError``, so every dialog that shows service refusals shows this one too.
    """

    def message(self) -> str:
        if self.detail:
            return _(
                "The database is busy: {names} may be saving right now. Your changes are "
                "kept; please try again in a moment.").format(names=self.detail)
        return _(
            "Someone else is saving to the database right now. Your changes are kept; "
            "please try again in a moment.")


@dataclass
class StorageState:
    """Process-wide: after a disk-full or I/O error the app refuses further writes."""

    read_only: bool = False
    listeners: list[Callable[[], None]] = field(default_factory=list)

    def fail(self) -> None:
        first = not self.read_only
        self.read_only = True
        if first:
            for callback in list(self.listeners):
                callback()

    def reset(self) -> None:
        self.read_only = False


storage = StorageState()


class SaveFailed(errors.StorageFailure, ServiceError):
    """Disk full or I/O error while saving (a ``ServiceError`` too, for the dialogs)."""


_classify = errors.classify


def _busy_error() -> errors.DatabaseBusy:
    from . import presence  # presence writes through write(): import late

    return SomeoneSaving("", ", ".join(presence.known_others()))


def _translate(exc: BaseException) -> BaseException | None:
    kind = _classify(exc)
    if kind == "busy":
        return _busy_error()
    if kind in ("storage", "readonly"):
        storage.fail()
        return SaveFailed()
    return None


def _rollback_quietly(txn) -> None:
    """Roll back what is open; after SQLITE_FULL/IOERR SQLite may have done it already."""
    try:
        txn.rollback(False)
    except Exception:  # noqa: BLE001 - "no transaction is active": nothing more to undo
        pass


def _begin(db, retries: int):
    """BEGIN IMMEDIATE; SQLite's busy timeout waits first, then a few quiet retries."""
    attempt = 0
    while True:
        txn = db.transaction()  # lock_type IMMEDIATE from the database
        try:
            txn.__enter__()
            return txn
        except DatabaseError as exc:
            if _classify(exc) == "busy" and attempt < retries:
                attempt += 1
                time.sleep(0.1 * attempt)
                continue
            mapped = _translate(exc)
            if mapped is not None:
                raise mapped from exc
            raise


@contextlib.contextmanager
def write(retries: int = 2) -> Iterator[None]:
    """One short write transaction (BEGIN IMMEDIATE); a busy database is retried quietly.

    The busy timeout waits inside SQLite; when it runs out, BEGIN is retried a few times
    before ``DatabaseBusy`` (naming who else has the file open, from presence) is raised.
    Nothing is written then, so the caller's draft stays as it was. A full disk or an I/O
    error raises ``StorageFailure`` and turns the process read-only (``storage``); what was
    committed before stays committed. Nested use makes a savepoint.
    """
    if storage.read_only:
        raise ReadOnlyMode()
    db = database.obj
    if db.transaction_depth() > 0:
        mark = len(_undo_list())
        try:
            with db.atomic():
                yield
        except BaseException:
            _undo(mark)  # the savepoint was rolled back: so are the caller's objects
            raise
        return
    _local.undo = []
    txn = _begin(db, retries)
    try:
        yield
    except BaseException as exc:
        _local.anchor_due = False
        db.pop_transaction()
        _rollback_quietly(txn)
        _undo(0)
        mapped = _translate(exc)
        if mapped is not None:
            raise mapped from exc
        raise
    db.pop_transaction()
    try:
        txn.commit(False)
    except DatabaseError as exc:
        # SQLite refuses a COMMIT while another process reads the file (the rollback
        # journal on a share): everything is rolled back, the caller's objects too
        _local.anchor_due = False
        _rollback_quietly(txn)
        _undo(0)
        mapped = _translate(exc)
        if mapped is not None:
            raise mapped from exc
        raise
    _local.undo = []
    _write_anchor_file()


def _undo_list() -> list[Callable[[], None]]:
    undo = getattr(_local, "undo", None)
    if undo is None:
        undo = _local.undo = []
    return undo


def on_rollback(fn: Callable[[], None]) -> None:
    """Inside ``write()``: ``fn`` runs if the transaction does not commit after all, so an
    object the caller holds goes back to what was read (``save_versioned``'s record). A
    refused COMMIT (busy) must not leave a record claiming values and a version that were
    never saved: the retry would see nothing to save and write nothing."""
    if database.obj.transaction_depth() > 0:
        _undo_list().append(fn)


def _undo(mark: int) -> None:
    undo = _undo_list()
    while len(undo) > mark:
        undo.pop()()


_BOUND = object()


def chain_key(database_key=_BOUND) -> bytes | None:
    """The audit chain's HMAC key: derived (HKDF) from the database key of an encrypted
    database (the bound one by default), None for a plain one. Someone who edits an
    encrypted file's trail and recomputes the hashes without the key fails ``check``."""
    if database_key is _BOUND:
        database_key = getattr(database.obj, "key", None)
    return _derived_chain_key(database_key.key) if database_key is not None else None


@functools.lru_cache(maxsize=8)
def _derived_chain_key(key: bytes) -> bytes:
    from ..store.crypto import subkey

    return subkey(key, "pestdesk audit chain")


def _chain_hash(prev: str, row: dict, key: bytes | None | object = _BOUND) -> str:
    """The link of one audit line: HMAC-SHA256 under ``chain_key()`` on an encrypted
    database, SHA-256 on a plain one."""
    if key is _BOUND:
        key = chain_key()
    payload = (prev + json.dumps(row, sort_keys=True, default=str)).encode("utf-8")
    if key is not None:
        return hmac.new(key, payload, hashlib.sha256).hexdigest()
    return hashlib.sha256(payload).hexdigest()


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
    lock_append()  # concurrent writers take turns at the chain's end (store.dialect)
    last = AuditLog.select(AuditLog.hash).order_by(AuditLog.id.desc()).limit(1).first()
    prev = last.hash if last else ""
    entry = AuditLog(at=utcnow(), user=actor.user_id, action=action, table=table,
                     record_id=record_id, detail=detail, prev_hash=prev)
    entry.hash = _chain_hash(prev, audit_row_payload(entry))
    entry.save(force_insert=True)
    advance_audit_head(1, entry.hash)
    return entry


_local = threading.local()


def advance_audit_head(added: int, last_hash: str) -> None:
    """The chain grew by ``added`` lines ending in ``last_hash``: move the head kept in the
    ``audit_head`` setting (same transaction); the anchor file beside the database follows
    when the transaction commits (``store.anchor``)."""
    db = database.obj
    moved = move_audit_head(db, added, last_hash, anchor.HEAD_KEY)
    if not moved:
        Setting.insert(key=anchor.HEAD_KEY, version=1,
                       value=json.dumps({"count": AuditLog.select().count(),
                                         "hash": last_hash})).execute()
    _local.anchor_due = True


def _write_anchor_file() -> None:
    """After a commit that added audit lines: the head into the file beside the database."""
    if not getattr(_local, "anchor_due", False):
        return
    _local.anchor_due = False
    db = database.obj
    path = anchor.file_of(db)
    if not path:
        return
    try:
        head = anchor.setting_head(db.connection())
    except Exception:  # noqa: BLE001 - the anchor is a second witness, never a failure
        return
    if head is not None:
        anchor.write_anchor(path, head)


def append_audit_raw(con, actor: Actor, action: str, table: str = "",
                     record_id: int | None = None, detail: str = "",
                     key: bytes | None = None) -> str:
    """``audit`` on a raw DB-API connection (a file that is not the bound one, such as the
    encrypted copy ``encryption.encrypt_file`` finishes before swapping it in), chained with
    ``key`` (``chain_key`` of that file's database key); returns the new hash. The caller
    holds the write transaction."""
    row = con.execute('SELECT hash FROM audit_log ORDER BY id DESC LIMIT 1').fetchone()
    prev = row[0] if row else ""
    at = utcnow()
    entry = AuditLog(at=at, user=actor.user_id, action=action, table=table,
                     record_id=record_id, detail=detail, prev_hash=prev)
    entry.hash = _chain_hash(prev, audit_row_payload(entry), key)
    con.execute('INSERT INTO audit_log (at, user, action, "table", record_id, detail, '
                'prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
                (str(at), actor.user_id, action, table, record_id, detail, prev, entry.hash))
    return entry.hash


class AuditChainBroken(ServiceError):
    def __init__(self, entry_id: int):
        self.entry_id = entry_id
        super().__init__(_("The audit trail is broken at line {id}; nothing was changed. Run "
                           "'pestdesk check' and restore the newest good backup.").format(
                               id=entry_id))


def rekey_audit_chain_raw(con, key: bytes | None, old_key: bytes | None = None) -> int:
    """Recompute every link of the trail with ``key`` on a raw connection (``encrypt``: the
    plain file's SHA-256 chain becomes the encrypted file's HMAC chain, in the copy before
    it is swapped in; the lines themselves are unchanged). The trail is first verified
    under ``old_key`` (``AuditChainBroken`` otherwise: a broken trail is never re-signed).
    The append-only triggers are lifted for this one transaction and put back as they
    were. Returns the lines rekeyed."""
    rows = con.execute('SELECT id, at, user, action, "table", record_id, detail, prev_hash, '
                       "hash FROM audit_log ORDER BY id").fetchall()
    prev = ""
    for entry_id, at, user, action, table, record_id, detail, prev_hash, link in rows:
        entry = AuditLog(at=AuditLog.at.python_value(at), user=user, action=action,
                         table=table, record_id=record_id, detail=detail)
        if prev_hash != prev or link != _chain_hash(prev, audit_row_payload(entry), old_key):
            raise AuditChainBroken(entry_id)  # never launder a broken trail into a new key
        prev = link
    triggers = con.execute("SELECT name, sql FROM sqlite_master WHERE type = 'trigger' "
                           "AND tbl_name = 'audit_log'").fetchall()
    for name, _sql in triggers:
        con.execute(f'DROP TRIGGER "{name}"')
    prev, count = "", 0
    for entry_id, at, user, action, table, record_id, detail, _prev, _link in rows:
        entry = AuditLog(at=AuditLog.at.python_value(at), user=user, action=action,
                         table=table, record_id=record_id, detail=detail)
        link = _chain_hash(prev, audit_row_payload(entry), key)
        con.execute("UPDATE audit_log SET prev_hash = ?, hash = ? WHERE id = ?",
                    (prev, link, entry_id))
        prev, count = link, count + 1
    for _name, sql in triggers:
        con.execute(sql)
    return count


def verify_audit_chain() -> int | None:
    """The id of the first audit line whose hash does not match, or None when intact.

    On an encrypted database the links are HMACs under ``chain_key()``: a trail edited and
    recomputed without the database key is found here."""
    prev = ""
    key = chain_key()
    for entry in AuditLog.select().order_by(AuditLog.id).iterator():
        if (entry.prev_hash != prev
                or entry.hash != _chain_hash(prev, audit_row_payload(entry), key)):
            return entry.id
        prev = entry.hash
    return None


def create(actor: Actor, model: type[Versioned], **values) -> Versioned:
    """Insert a record with its audit line (call inside ``write()``); texts longer than their
    field takes (``services.lengths``) are refused."""
    from . import lengths

    lengths.require_model(model, values)
    record = model.create(**values)
    audit(actor, "create", model._meta.table_name, record.id)
    return record


def save_versioned(actor: Actor, record: Versioned, read_version: int, **changes) -> Versioned:
    """Update ``record`` only if it still has ``read_version``; else raise ``Conflict``.

    Call inside ``write()``. Only the changed field names go into the audit detail. A text
    longer than its field takes (``services.lengths``) is refused.
    """
    from . import lengths

    model = type(record)
    changed = {k: v for k, v in changes.items() if getattr(record, k) != v}
    if not changed:
        return record
    lengths.require_model(model, changed)
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
    # the audit line first: where it waits for another writer (PostgreSQL's row lock on the
    # chain's head) and gives up, the caller's record must still be the one it read
    audit(actor, "update", model._meta.table_name, record.id, ",".join(sorted(changed)))
    before = {key: getattr(record, key) for key in (*changed, "version")}
    on_rollback(lambda: [setattr(record, key, value) for key, value in before.items()])
    for key, value in changed.items():
        setattr(record, key, value)
    record.version = read_version + 1
    return record
