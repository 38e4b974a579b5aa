"""Encryption at rest: making an encrypted school, unlocking it, and keeping the key slots in
step with the accounts (docs/architecture.md, "Encryption at rest").

The database file is encrypted by SQLCipher under a random database key; the key file
beside it (``store.keyfile``) holds that key once per user, wrapped under their password
(Argon2id + AES-GCM), and once under the recovery key. This module is the one place that
turns a password or recovery key into an open database, and the one place the account use
cases call when a password is set: ``password_set`` (a new account, a reset, the set-up),
``password_changed`` (one's own) and ``account_removed``. On a plain (unencrypted) database
those calls do nothing.

A wrong password or recovery key never reaches SQLite: the slot's authentication tag
refuses it first, with the same answer as the account check (one answer, one timing).
The session's keys (``session_keys()``) are held only while someone is signed in; the
seal's private key, which opens the vertrouwenspersoon's sealed notes, only when the
signed-in user's slot holds it.
"""

from __future__ import annotations

import glob
import json
import os
from dataclasses import dataclass, replace
from pathlib import Path

from ..i18n import _
from ..store import errors, keyfile
from ..store.crypto import CryptoError, DatabaseKey, b64, unb64
from ..store.db import (
    create_database,
    file_salt,
    forget_keys,
    is_encrypted,
    key_for,
    open_database,
)
from ..store.keyfile import KeyFile, Keys
from ..store.models import database
from .base import ServiceError

#: Argon2id parameters for new slots (None: ``crypto.ARGON2_DEFAULTS``). Tests and the demo
#: may lower them; a slot keeps the parameters it was made with.
slot_params: dict | None = None


@dataclass
class _Session:
    path: Path | None = None
    username: str = ""
    keys: Keys | None = None
    slot_keys: Keys | None = None  # what the user's own slot holds (no granted seal)
    recovery: bool = False  # opened with the recovery key
    recovered: bool = False  # an account given a new password with the recovery key


_session = _Session()


def session_keys() -> Keys | None:
    """The keys the signed-in user's slot gave (None on a plain database)."""
    return _session.keys


def seal_key() -> bytes | None:
    """The seal's private key when the signed-in user holds it, else None."""
    return _session.keys.seal if _session.keys else None


def forget() -> None:
    """Sign-out or quit: drop the session's keys (the open connection keeps its own)."""
    _session.path, _session.username, _session.keys = None, "", None
    _session.slot_keys = None
    _session.recovery = _session.recovered = False


def forget_all() -> None:
    """Drop every key this process holds (after closing the database)."""
    forget()
    forget_keys()


def _refused() -> ServiceError:
    return ServiceError(_("Unknown user name or wrong password."))


def bound_path() -> Path | None:
    """The file of the bound database, or None."""
    db = database.obj
    if db is None:
        return None
    name = str(db.database)
    if name.startswith("file:"):
        from urllib.parse import unquote, urlparse

        name = unquote(urlparse(name).path)
    return Path(name)


def _bound_key() -> DatabaseKey | None:
    return getattr(database.obj, "key", None)


# -- creating ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class NewDatabase:
    db: object  # the open peewee database
    recovery_key: str  # shown once; never stored in clear


def new_keys() -> Keys:
    """A fresh database key and seal key pair (the seal's private key goes to the recovery
    slot, and later by grant to vertrouwenspersonen)."""
    return Keys(DatabaseKey.generate(), None, keyfile.new_private_key())


def create_encrypted(path: str | os.PathLike) -> NewDatabase:
    """A new database encrypted from its first byte, its key file with the recovery slot.

    The key file is written first: a database without its key file could never be read.
    The session holds the database key (not the seal) until the first account is made.
    """
    from ..store.crypto import new_recovery_key

    p = Path(path)
    if p.exists():
        raise errors.DatabaseExists(p)
    if keyfile.sidecar_path(p).exists():
        raise errors.DatabaseExists(keyfile.sidecar_path(p))
    if not p.parent.exists():
        raise errors.DatabaseMissing(p.parent)
    keys = new_keys()
    recovery = new_recovery_key()
    kf = KeyFile.new(keys.database, keyfile.public_key(keys.seal)).with_recovery_slot(
        recovery, keys.database, keys.seal)
    keyfile.write(p, kf)
    try:
        db = create_database(p, key=keys.database)
    except BaseException:
        keyfile.sidecar_path(p).unlink(missing_ok=True)
        raise
    _session.path, _session.username = p, ""
    _session.keys = Keys(keys.database)
    return NewDatabase(db, recovery)


# -- unlocking --------------------------------------------------------------------------------


def read_keyfile(path: str | os.PathLike) -> KeyFile:
    """The key file of the encrypted ``path``, checked to belong to it."""
    p = Path(path)
    if not p.exists():
        raise errors.DatabaseMissing(p)
    kf = keyfile.read(p)
    if kf.database_salt != file_salt(p):
        raise errors.ForeignKeyFile(p)
    return kf


def check_plain(path: str | os.PathLike) -> None:
    """A plain file with a key file beside it: refuse (someone put back a plain copy)."""
    p = Path(path)
    if p.exists() and not is_encrypted(p) and keyfile.sidecar_path(p).exists():
        raise errors.NotEncrypted(p)


def has_user_slots(path: str | os.PathLike) -> bool:
    return bool(read_keyfile(path).user_names())


def unlock(path: str | os.PathLike, username: str, password: str):
    """Open the encrypted ``path`` with ``username``'s slot; returns the open database.

    ``ServiceError`` (the sign-in's own words) for an unknown name or wrong password;
    a ``StoreError`` when the key file is missing, damaged or of another database.
    """
    p = Path(path)
    kf = read_keyfile(p)
    name = username.strip().lower()
    try:
        keys = kf.unlock_password(name, password)
    except CryptoError:
        raise _refused() from None
    granted = kf.open_grant(name, keys)
    if granted is not None:
        keys = replace(keys, seal=granted)
    db = _open(p, keys.database)
    _session.path, _session.username, _session.keys = p, name, keys
    _session.recovery = _session.recovered = False
    return db


def unlock_with_recovery(path: str | os.PathLike, recovery_key: str, *,
                         readonly: bool = False):
    """Open the encrypted ``path`` with the recovery key; the session holds the seal too.
    ``readonly``: for a command that only reads a file that cannot be written."""
    p = Path(path)
    kf = read_keyfile(p)
    try:
        keys = kf.unlock_recovery(recovery_key)
    except CryptoError:
        raise ServiceError(_("This recovery key does not open this database. Check the "
                             "groups on the sheet; each group has five characters.")) from None
    keys = replace(keys, seal=kf.open_grant("", keys))
    db = _open(p, keys.database, readonly)
    _session.path, _session.username, _session.keys = p, "", keys
    _session.recovery = True
    return db


def _open(p: Path, key: DatabaseKey, readonly: bool = False):
    """Open ``p`` with ``key`` unless the bound database already is that file."""
    if _is_bound(p, readonly) and _bound_key() == key:
        return database.obj
    return open_database(p, key=key, verify=False, readonly=readonly,
                         migrate_schema=not readonly)


def open_any(path: str | os.PathLike, username: str = "", password: str = "",
             recovery_key: str = "", **options):
    """Open ``path`` whether plain or encrypted (the CLI's and the tests' single door)."""
    p = Path(path)
    settle(p)
    if not is_encrypted(p):
        check_plain(p)
        return open_database(p, **options)
    if recovery_key:
        return unlock_with_recovery(p, recovery_key)
    if not username:
        raise errors.EncryptedDatabase(p)
    return unlock(p, username, password)


# -- keeping the slots in step with the accounts ---------------------------------------------


def _encrypted_target() -> tuple[Path, DatabaseKey] | None:
    key = _bound_key()
    path = bound_path()
    if key is None or path is None:
        return None
    return path, key


def password_set(username: str, password: str, *, seal: bool = False) -> None:
    """A new password for ``username`` set by someone else (new account, reset, set-up).

    Call inside the ``write()`` that changes the account: its lock keeps two clients from
    writing the key file at once. The slot gets a new key pair (grants to the old one are
    gone); it holds the seal only when ``seal`` and the session holds it (a re-grant).
    """
    target = _encrypted_target()
    if target is None:
        return
    path, key = target
    kf = read_keyfile(path)
    held_seal = seal_key() if seal else None
    kf = kf.with_user_slot(username.strip().lower(), password, Keys(key, None, held_seal),
                           slot_params)
    keyfile.write(path, kf)


def password_changed(username: str, old: str, new: str) -> None:
    """The user's own new password: their slot is rewrapped, keeping what it held."""
    target = _encrypted_target()
    if target is None:
        return
    path, key = target
    name = username.strip().lower()
    kf = read_keyfile(path)
    try:
        keys = kf.unlock_password(name, old)
    except CryptoError:
        keys = Keys(key)  # no slot yet (made before encryption): a fresh one
    granted = kf.open_grant(name, keys)
    if granted is not None:
        keys = replace(keys, seal=granted)
    keyfile.write(path, kf.with_user_slot(name, new, keys, slot_params))
    if _session.username == name:
        _session.keys = keys


def account_removed(username: str) -> None:
    """A disabled or removed account: its slot goes (the password no longer opens the file)."""
    target = _encrypted_target()
    if target is None:
        return
    path, _key = target
    kf = read_keyfile(path)
    if kf.slot(keyfile.USER, username.strip().lower()) is not None:
        keyfile.write(path, kf.without_user(username.strip().lower()))


def new_recovery_key(actor) -> str:
    """A new recovery key for the directie; the old sheet stops working.

    The new key opens the sealed notes too only when this session holds the seal (the
    directeur signed in with the old recovery key, or a vertrouwenspersoon in the
    directie). Nothing grants it later by itself: the recovery slot's public key is in the
    key file, which whoever can write the share could swap for their own.
    """
    from ..store.crypto import new_recovery_key as make
    from .base import audit, write

    if not may_make_recovery_key(actor):
        raise ServiceError(_("Only the directie can make a new recovery key."))
    target = _encrypted_target()
    if target is None:
        raise ServiceError(_("This database is not encrypted."))
    path, key = target
    recovery = make()
    with write():
        kf = read_keyfile(path)
        keyfile.write(path, kf.with_recovery_slot(recovery, key, seal_key()))
        audit(actor, "recovery_key", "", None, "with seal" if seal_key() else "database")
    return recovery


@dataclass(frozen=True)
class Status:
    """What the Beheer screen says about encryption."""

    encrypted: bool
    key_file: Path | None = None
    slots: int = 0  # user slots
    recovery_opens_sealed_notes: bool = False


def status(path: str | os.PathLike | None = None) -> Status:
    p = Path(path) if path is not None else bound_path()
    if p is None or not is_encrypted(p):
        return Status(False)
    kf = read_keyfile(p)
    return Status(True, keyfile.sidecar_path(p), len(kf.user_names()),
                  not kf.needs_grant(""))


def may_make_recovery_key(actor) -> bool:
    """The directie keeps the recovery sheet (and so makes a new one)."""
    return actor.has_role("directie") or _session.recovery


def needs_set_up(path: str | os.PathLike) -> bool:
    """An encrypted file without a user slot yet (made by ``pestdesk init``): only the
    recovery key printed then opens it, for the set-up wizard to make the first user."""
    p = Path(path)
    return is_encrypted(p) and not has_user_slots(p)


def session_became(username: str) -> None:
    """The set-up made the first user: the session is theirs now, no longer the recovery
    key's (their slot holds no seal; that is for vertrouwenspersonen)."""
    if _session.keys is None:
        return
    _session.username = username.strip().lower()
    _session.keys = Keys(_session.keys.database)
    _session.recovery = False


#: Who may be given a new password with the recovery key (the directeur keeps the sheet).
RECOVERY_ROLES = ("directie", "beheerder")


def recover(path: str | os.PathLike, recovery_key: str, username: str, password: str,
            password_again: str):
    """Every password lost: the recovery key opens the database and a directie or
    beheerder account gets a new password (and slot) of its holder's choosing; returns
    that account's ``Actor``, signed in. Audited as that account ("recovery key").

    The account's slot holds the seal only when it is a vertrouwenspersoon's and the
    recovery slot was granted the seal (then the session holds it).
    """
    from ..store.models import User
    from . import accounts
    from .base import audit, write

    name = username.strip().lower()
    if password != password_again:
        raise ServiceError(_("The two passwords differ."))
    accounts.check_password_rules(password, name)
    p = Path(path)
    settle(p)
    unlock_with_recovery(p, recovery_key)
    user = User.get_or_none(User.username == name)
    if user is not None:  # now readable: the person's and the school's names too
        accounts.check_password_rules(password, name, accounts.staff_names(user.staff))
    actor = accounts.actor_for(user) if user is not None else None
    if (user is None or not user.active or (user.staff is not None and not user.staff.active)
            or not actor.has_role(*RECOVERY_ROLES)):
        raise ServiceError(_("With the recovery key you can set a new password for an "
                             "active directie or beheerder account only; {name} is not "
                             "one.").format(name=name))
    with write():
        User.update(password_hash=accounts.hash_password(password),
                    must_change_password=False,
                    version=User.version + 1).where(User.id == user.id).execute()
        accounts.clear_throttle(name)
        password_set(name, password, seal=actor.has_role("vertrouwenspersoon"))
        actor = accounts.actor_for(User.get_by_id(user.id))
        audit(actor, "password_recovery", "user", user.id, "recovery key")
        audit(actor, "login", "user", user.id, "recovery key")
    # the session keeps the seal the recovery slot gave (if granted): for this sitting
    # only, so the directeur can give a vertrouwenspersoon their sealed notes back
    _session.username, _session.recovery, _session.recovered = name, False, True
    return actor


def recovery_opens_sealed_notes(path: str | os.PathLike) -> bool:
    return not read_keyfile(path).needs_grant("")


# -- sealed notes: the vertrouwenspersoon's confidential notes -------------------------------

#: A sealed field starts with this; the rest is the sealed box in base64.
SEALED = "pestdesk-sealed:1:"
#: The free text of a confidential event's structured data (the rest, such as the steps a
#: conversation fulfils, stays readable: the ladder needs it, and it is codes and ids).
SEALED_DATA_KEYS = ("answers", "others")


def _note_associated(case_id: int) -> bytes:
    return f"pestdesk sealed note|case={int(case_id)}".encode()


def seal_public_key() -> bytes | None:
    """The seal's public key of the bound encrypted database (None: plain, or no seal)."""
    path = bound_path()
    if path is None or _bound_key() is None:
        return None
    return read_keyfile(path).seal_public or None


def seal_note(case_id: int, body: str, data: str, public: bytes | None = None
              ) -> tuple[str, str]:
    """``(body, data)`` of a confidential event as stored: on an encrypted database the body
    and the free text of ``data`` sealed to the seal's public key (a sealed box: writing
    needs no secret, reading needs the seal's private key, which only vertrouwenspersoon
    slots and the recovery slot hold). On a plain database unchanged."""
    public = public if public is not None else seal_public_key()
    if public is None or body.startswith(SEALED):
        return body, data
    try:
        payload = json.loads(data) if data else {}
    except ValueError:
        payload = {"text": data}
    if not isinstance(payload, dict):
        payload = {"value": payload}
    secret = {"body": body, **{k: payload.pop(k) for k in SEALED_DATA_KEYS if k in payload}}
    box = keyfile.box_seal(public, json.dumps(secret, ensure_ascii=False).encode("utf-8"),
                           _note_associated(case_id))
    payload["sealed"] = True
    return SEALED + b64(box), json.dumps(payload, ensure_ascii=False)


def is_sealed(body: str | None) -> bool:
    return bool(body) and body.startswith(SEALED)


def open_note(row: dict) -> dict:
    """A timeline row (a dict with ``case``, ``body``, ``data``) as its reader sees it: a
    sealed note opened when this session holds the seal, else a line saying a sealed note
    is there (its text is not). Other rows are returned unchanged."""
    body = row.get("body") or ""
    if not is_sealed(body):
        return row
    row = dict(row)
    try:
        payload = json.loads(row.get("data") or "{}")
    except ValueError:
        payload = {}
    secret = None
    seal = seal_key()
    if seal is not None:
        try:
            secret = json.loads(keyfile.box_open(seal, unb64(body[len(SEALED):]),
                                                 _note_associated(row.get("case"))))
        except (CryptoError, ValueError):
            secret = None
    if secret is None:
        row["body"] = _("Sealed note of the vertrouwenspersoon: only a vertrouwenspersoon "
                        "who holds the seal can read it.")
        row["sealed"] = True
        return row
    row["body"] = secret.pop("body", "")
    payload.update(secret)
    payload.pop("sealed", None)
    row["data"] = json.dumps(payload, ensure_ascii=False)
    return row


def may_grant_seal(actor) -> bool:
    """Who may give a vertrouwenspersoon the seal: one who holds it (another
    vertrouwenspersoon, or the directeur signed in with the recovery key)."""
    return seal_key() is not None and (actor.has_role("vertrouwenspersoon") or _session.recovery
                                       or _session.recovered)


def seal_holders(path: str | os.PathLike | None = None) -> list[str]:
    """User names whose slot was granted the seal."""
    p = Path(path) if path is not None else bound_path()
    if p is None or not is_encrypted(p):
        return []
    kf = read_keyfile(p)
    return sorted({g.to for g in kf.grants if g.to and kf.slot(keyfile.USER, g.to)})


def seal_candidates() -> list[str]:
    """Active vertrouwenspersonen with a key slot who do not hold the seal (yet, or no longer
    since a password reset): whom ``grant_seal`` can be asked for."""
    from ..store.models import User
    from . import accounts

    path = bound_path()
    if path is None or not is_encrypted(path):
        return []
    kf = read_keyfile(path)
    out = []
    for user in User.select().where(User.active == True):  # noqa: E712
        if (kf.slot(keyfile.USER, user.username) is not None and kf.needs_grant(user.username)
                and accounts.actor_for(user).has_role("vertrouwenspersoon")):
            out.append(user.username)
    return sorted(out)


def grant_seal(actor, username: str) -> None:
    """Give the vertrouwenspersoon ``username`` the seal (their sealed notes open for them
    again, e.g. after a password reset). Only one who holds the seal can; audited."""
    from ..store.models import User
    from . import accounts
    from .base import audit, write

    name = username.strip().lower()
    if not may_grant_seal(actor):
        raise ServiceError(_("Only a vertrouwenspersoon who holds the seal, or the directeur "
                             "with the recovery key, can give access to the sealed notes."))
    target = _encrypted_target()
    if target is None:
        raise ServiceError(_("This database is not encrypted."))
    user = User.get_or_none(User.username == name)
    if user is None or not user.active or not accounts.actor_for(user).has_role(
            "vertrouwenspersoon"):
        raise ServiceError(_("Only an active vertrouwenspersoon can be given access to the "
                             "sealed notes; {name} is not one.").format(name=name))
    path, _key = target
    with write():
        kf = read_keyfile(path)
        if kf.slot(keyfile.USER, name) is None:
            raise ServiceError(_("{name} has no key slot yet: they sign in once first.")
                               .format(name=name))
        keyfile.write(path, kf.with_grant(name, seal_key(), by=actor.username))
        audit(actor, "seal_grant", "user", user.id)


def sign_in(path: str | os.PathLike, username: str, password: str):
    """The sign-in dialog's one call: unlock the slot of an encrypted file (opening it),
    then the account check with its throttle and audit line. Returns the ``Actor``.

    One Argon2id per attempt: the slot that opens proves the password, so the account's
    own hash is not verified again (``accounts.sign_in(verify=...)``). A wrong password on
    the slot counts towards the throttle in the database like any other: at once when the
    file is open already (after a sign-out), else as soon as a sign-in opens it (the
    attempts are kept in memory until then, and audited as ``login_failed`` by key slot).
    A slot made from a stored hash by ``encrypt`` becomes a normal one at its first use.
    """
    from . import accounts

    p = Path(path)
    settle(p)
    if not is_encrypted(p):
        check_plain(p)
        return accounts.sign_in(username, password)
    kf = read_keyfile(p)
    name = username.strip().lower()
    if _is_bound(p):  # warm: the throttle first, then the slot instead of the hash
        opened: list[Keys] = []

        def slot_opens() -> bool:
            try:
                opened.append(kf.unlock_password(name, password))
            except CryptoError:
                return False
            return True

        actor = accounts.sign_in(username, password, verify=slot_opens)
        _start_session(p, kf, name, opened[0])
    else:
        try:
            keys = kf.unlock_password(name, password)
        except CryptoError:
            _failed_attempts.append(name)
            raise _refused() from None
        _open(p, keys.database)
        _start_session(p, kf, name, keys)
        try:
            for failed in _failed_attempts:
                accounts.count_failed_attempt(failed, "key slot")
            _failed_attempts.clear()
            actor = accounts.sign_in(username, password, verify=lambda: True)
        except BaseException:
            forget()
            raise
    _upgrade_slot(p, name, password)
    return actor


def sign_in_read_only(path: str | os.PathLike, username: str, password: str):
    """A sign-in to an encrypted file that cannot be written (a read-only file or folder),
    for a command that only reads (``pestdesk check``, ``backup``): the slot proves the
    password and opens the file read-only, the account is checked as at sign-in. Nothing
    is recorded (no audit line, no throttle, no slot upgrade): the caller says so. The key
    stays held for the command; the database is closed again. Returns the ``Actor``."""
    from . import accounts

    p = Path(path)
    kf = read_keyfile(p)
    name = username.strip().lower()
    try:
        keys = kf.unlock_password(name, password)
    except CryptoError:
        raise _refused() from None
    db = _open(p, keys.database, readonly=True)
    try:
        actor = accounts.read_only_account(name)
    finally:
        db.close()
    _start_session(p, kf, name, keys)
    return actor


#: Wrong passwords typed while the file was still closed, counted once it opens.
_failed_attempts: list[str] = []


def _is_bound(p: Path, readonly: bool = False) -> bool:
    """``p`` is the bound database, opened to save in (or ``readonly`` is enough), and this
    process still holds its key: the file is open. Asked the same on any thread: the
    sign-in runs on a worker, whose own connection is always closed before and after, so
    peewee's per-thread ``is_closed`` cannot say it. A file bound only to read (a check)
    is opened again to save in."""
    bound, key = bound_path(), _bound_key()
    return (bound is not None and key is not None and key_for(p) == key
            and (readonly or not getattr(database.obj, "read_only", False))
            and bound.resolve() == p.resolve())


def _start_session(p: Path, kf: KeyFile, name: str, keys: Keys) -> None:
    granted = kf.open_grant(name, keys)
    _session.path, _session.username = p, name
    _session.keys = replace(keys, seal=granted) if granted is not None else keys
    _session.slot_keys = keys
    _session.recovery = _session.recovered = False


def _upgrade_slot(p: Path, name: str, password: str) -> None:
    """A slot made from the account's stored hash (``encrypt``) becomes a normal one, with
    today's Argon2id parameters; its key pair stays, so grants to it keep working."""
    from .base import write

    kf = read_keyfile(p)
    slot = kf.slot(keyfile.USER, name)
    if slot is None or slot.kdf.get("name") != "argon2id-phc" or _session.slot_keys is None:
        return
    with write():  # the key file is written under the database's write lock
        kf = read_keyfile(p)
        keyfile.write(p, kf.with_user_slot(name, password, _session.slot_keys, slot_params))


def write_recovery_sheet(out: str | os.PathLike, recovery_key: str, *, database_name: str,
                         made_by: str = "") -> Path:
    """The printable recovery key sheet (PDF) for a key just made."""
    from .. import clock
    from ..letters.recovery_sheet import render_recovery_sheet
    from . import settings

    try:
        school = settings.school_profile().name
    except Exception:  # noqa: BLE001 - no school profile yet (a new database): no name
        school = ""
    bound = bound_path()
    sealed = recovery_opens_sealed_notes(bound) if bound and is_encrypted(bound) else True
    return render_recovery_sheet(Path(out), school=school, database=database_name,
                                 recovery_key=recovery_key, made_on=clock.today(),
                                 made_by=made_by, opens_sealed_notes=sealed)


# -- moving an existing (plain) school over ----------------------------------------------------

PENDING = ".pending"  # the key file of an encryption not yet swapped in
ENCRYPTING = ".encrypting"  # the encrypted copy being made


def _pending(path: Path) -> Path:
    return keyfile.sidecar_path(path).with_name(keyfile.sidecar_path(path).name + PENDING)


def _copy(path: Path) -> Path:
    return path.with_name(path.name + ENCRYPTING)


def _finish_copy(copy: Path, keys: Keys, actor):
    """What changes with encryption, done in the encrypted copy before it is swapped in (so
    a kill leaves the plain file as it was), on one raw connection in one transaction: the
    existing confidential notes sealed (``seal_note``), the audit trail's links recomputed
    as HMACs under the new database key (after checking the plain chain), the audit line
    saying so, and the head setting moved with them. Returns the new head, which becomes
    the anchor beside the database when the copy is swapped in (``store.anchor``)."""
    from ..store import anchor
    from ..store.db import connect, integrity_check
    from .base import append_audit_raw, chain_key, rekey_audit_chain_raw

    con = connect(copy, readonly=False, key=keys.database)
    try:
        con.execute("PRAGMA secure_delete = 1")  # the notes' plain text is overwritten
        con.execute("BEGIN IMMEDIATE")
        public = keyfile.public_key(keys.seal)
        rows = con.execute("SELECT id, case_id, body, data FROM event "
                           "WHERE confidential = 1").fetchall()
        for event_id, case_id, body, data in rows:
            sealed_body, sealed_data = seal_note(case_id, body or "", data or "", public)
            con.execute("UPDATE event SET body = ?, data = ? WHERE id = ?",
                        (sealed_body, sealed_data, event_id))
        chain = chain_key(keys.database)
        rekey_audit_chain_raw(con, chain)  # the trail's links become HMACs under the key
        append_audit_raw(con, actor, "encrypt", detail=f"sqlcipher4,sealed={len(rows)}",
                         key=chain)
        head = anchor.store_setting_head(con)  # the head setting follows the chain
        con.execute("COMMIT")
    finally:
        con.close()
    verdict = integrity_check(copy)
    if verdict != "ok":
        raise errors.DamagedDatabase(copy, verdict)
    with open(copy, "rb+") as fh:
        os.fsync(fh.fileno())
    return head


def settle(path: str | os.PathLike) -> None:
    """Finish or undo an ``encrypt`` that was interrupted, so the file opens either way.

    The swap (one rename of the encrypted copy over the plain file) is the moment that
    counts: before it the plain file is the database and the leftovers go; after it the
    pending key file becomes the key file.
    """
    p = Path(path)
    pending, copy, head = _pending(p), _copy(p), _pending_anchor(p)
    # a kill while the pending key file was written leaves keyfile.write_to's temp file
    # (only encrypt writes the pending key file, so nobody else is writing it now)
    half_written = list(p.parent.glob(glob.escape(pending.name) + ".*.tmp"))
    if not (pending.exists() or head.exists() or half_written
            or any(f.exists() for f in _copy_files(copy))):
        return
    if is_encrypted(p) and (pending.exists() or head.exists()):
        _complete(p)
    elif not is_encrypted(p):
        pending.unlink(missing_ok=True)
        head.unlink(missing_ok=True)
    for leftover in half_written:
        leftover.unlink(missing_ok=True)
    _remove_copy(copy)


def _copy_files(copy: Path) -> list[Path]:
    return [copy.with_name(copy.name + suffix) for suffix in ("", "-journal", "-wal", "-shm")]


def _remove_copy(copy: Path) -> None:
    """The encrypted copy of an unfinished run and SQLite's files beside it: a hot journal
    left by a kill would otherwise be played back into the next run's copy of that name."""
    for leftover in _copy_files(copy):
        leftover.unlink(missing_ok=True)


def _pending_anchor(path: Path) -> Path:
    from ..store.anchor import anchor_path

    return anchor_path(path).with_name(anchor_path(path).name + PENDING)


def _complete(p: Path) -> None:
    """After the swap: the pending key file and the re-signed chain's head (the anchor of
    the plain chain would no longer be found in it; signed with the new key when it was
    written) take their places."""
    from ..store.anchor import anchor_path

    if _pending(p).exists():
        os.replace(_pending(p), keyfile.sidecar_path(p))
    if _pending_anchor(p).exists():
        os.replace(_pending_anchor(p), anchor_path(p))
    keyfile._fsync_folder(p.parent)


def encrypt_existing(path: str | os.PathLike, username: str, password: str, *,
                     force: bool = False) -> str:
    """Encrypt a plain school in place (the CLI's door); returns the new recovery key.

    A beheerder's name and password are checked on the plain file first (sign-in with its
    throttle and audit line), then ``encrypt_file`` does the work.
    """
    from . import accounts

    p = Path(path)
    settle(p)
    if is_encrypted(p):
        raise ServiceError(_("{path} is already encrypted.").format(path=p))
    check_plain(p)
    db = open_database(p, verify=True)
    try:
        actor = accounts.sign_in(username, password)
    finally:
        db.close()
    return encrypt_file(p, actor, password, force=force)


def require_whole_database(actor) -> None:
    """Encrypting reaches every school in the file: only for whoever may handle the whole
    database (``access.may_handle_whole_database``). Asked of the bound database, whose
    connection of this thread is closed again: the file is about to be swapped."""
    from . import access

    allowed = access.may_handle_whole_database(actor)
    if database.obj is not None and not database.in_transaction():
        database.close()
    if allowed:
        return
    if actor.has_role(access.ADMIN_ROLE):
        raise ServiceError(access.whole_database_refusal())
    raise ServiceError(_("Only a beheerder can use the admin commands."))


def encrypt_file(path: str | os.PathLike, actor, password: str, *,
                 force: bool = False) -> str:
    """Encrypt the plain school at ``path`` in place; returns the new recovery key (show it
    once). ``actor`` is a beheerder whose ``password`` the caller has just checked.

    Binds no database: it works on raw connections only, so a window that keeps the plain
    file bound (Beheer runs this off the GUI thread) is not switched under its feet.

    Every active account gets a slot made from its Argon2id hash (its own password opens
    it; the first sign-in replaces it), the beheerder a normal one. The encrypted copy is
    made with ``sqlcipher_export`` under the plain file's write lock, verified (integrity,
    row counts), finished (``_finish_copy``), its key file written as pending, then swapped
    in with one atomic rename, and the key file put in place. Killed at any moment,
    ``settle`` leaves either the plain file or the encrypted one with its key file, both
    usable.
    """
    from ..store.anchor import anchor_text
    from ..store.crypto import new_recovery_key
    from ..store.db import connect, export_encrypted, hold_write_lock, to_rollback_journal
    from .backups import users_present

    p = Path(path)
    settle(p)
    if is_encrypted(p):
        raise ServiceError(_("{path} is already encrypted.").format(path=p))
    check_plain(p)
    require_whole_database(actor)
    if not force:
        others = [n for n in users_present(p) if n != actor.username]
        if others:
            raise ServiceError(_(
                "{names} still have the database open. Ask them to close pestdesk first "
                "(or encrypt with --force).").format(names=", ".join(others)))
    con = connect(p)
    try:
        accounts_hashes = con.execute(
            'SELECT u.username, u.password_hash, COALESCE(s.roles, \'\') FROM "user" u '
            'LEFT JOIN staff s ON s.id = u.staff_id WHERE u.active = 1').fetchall()
    finally:
        con.close()
    keys = new_keys()
    recovery = new_recovery_key()
    kf = KeyFile.new(keys.database, keyfile.public_key(keys.seal)).with_recovery_slot(
        recovery, keys.database, keys.seal)
    confidants = []
    for name, phc, roles in accounts_hashes:
        if "vertrouwenspersoon" in roles.split(","):
            confidants.append(name)
        if name != actor.username and phc:
            try:
                kf = kf.with_account_hash_slot(name, phc, Keys(keys.database))
            except (CryptoError, ValueError, KeyError):
                pass  # not an Argon2id hash: the beheerder resets this one's password
    kf = kf.with_user_slot(actor.username, password, Keys(keys.database), slot_params)
    for name in confidants:  # their notes are sealed now: they get the seal to read them
        if kf.slot(keyfile.USER, name) is not None:
            kf = kf.with_grant(name, keys.seal, by=actor.username)
    to_rollback_journal(p)
    lock = hold_write_lock(p)
    try:
        copy = _copy(p)
        _remove_copy(copy)
        try:
            export_encrypted(p, copy, keys.database)
            head = _finish_copy(copy, keys, actor)
        except BaseException:
            _remove_copy(copy)  # nothing of a failed run stays beside the file
            raise
        _pending_anchor(p).write_text(anchor_text(head, keys.database), encoding="utf-8")
        keyfile.write_to(_pending(p), kf)
        os.replace(copy, p)  # the moment of the swap
        keyfile._fsync_folder(p.parent)
    finally:
        lock.close()
    _complete(p)
    return recovery
