"""The key file beside an encrypted database: key slots, as LUKS and KeePass keep them.

``pestdesk.sqlite`` is encrypted with one random database key (``crypto.DatabaseKey``).
``pestdesk.sqlite.keys`` (JSON, readable before the database opens) holds that key wrapped
once per way in:

- a **user slot** per account: AES-256-GCM under a key derived from the user's password with
  Argon2id (salt and parameters stored in the slot). Its sealed payload holds the database
  key, the user's own X25519 private key (so others can grant them a key without knowing
  their password), and for a vertrouwenspersoon who was granted it the private key of the
  *seal*, the key pair the confidential notes are encrypted to;
- the **recovery slot**: the same under a key derived from the recovery key printed at
  set-up, with a key pair of its own;
- **grants**: the seal's private key encrypted to one slot's public key (a sealed box): to
  a vertrouwenspersoon, left by another one or by the recovery key's holder; and to the
  recovery slot (name ""), so the recovery key gives the sealed notes back too. A grant
  needs no password of the one it is for, which is why each slot has a key pair.

Each slot's associated data names the file's database salt, the slot's kind and its name,
so a slot cannot be moved to another user or another database. The file records the
database salt (the first 16 bytes of the encrypted file and of every copy of it) and a key
check value, so "this key file belongs to another database" is known without a password
and "this key does not open this database" without asking SQLite.

Written atomically (temp file, fsync, rename) by the caller holding the database's write
lock, so two clients on a share never interleave their changes.
"""

from __future__ import annotations

import json
import os
import secrets
import tempfile
from dataclasses import dataclass, field, replace
from pathlib import Path

from . import crypto, errors
from .crypto import CryptoError, DatabaseKey

FORMAT = "pestdesk-keys"
VERSION = 1
SUFFIX = ".keys"
RECOVERY = "recovery"
USER = "user"


def sidecar_path(db_path: str | os.PathLike) -> Path:
    p = Path(db_path)
    return p.with_name(p.name + SUFFIX)


@dataclass(frozen=True)
class Keys:
    """What an unlocked slot gives: the database key, the user's own private key (a user
    slot) and the seal's private key (vertrouwenspersoon slots and the recovery slot)."""

    database: DatabaseKey
    private: bytes | None = field(default=None, repr=False)
    seal: bytes | None = field(default=None, repr=False)

    def payload(self) -> bytes:
        data = {"database": self.database.key.hex()}
        if self.private is not None:
            data["private"] = self.private.hex()
        if self.seal is not None:
            data["seal"] = self.seal.hex()
        return json.dumps(data, sort_keys=True).encode("ascii")


@dataclass(frozen=True)
class Slot:
    kind: str  # USER or RECOVERY
    name: str  # the user name; "" for the recovery slot
    kdf: dict
    data: bytes  # nonce || AES-GCM(payload)
    public: bytes = b""  # the user's X25519 public key (user slots)

    def to_json(self) -> dict:
        out = {"kind": self.kind, "name": self.name, "kdf": self.kdf,
               "data": crypto.b64(self.data)}
        if self.public:
            out["public"] = crypto.b64(self.public)
        return out


@dataclass(frozen=True)
class Grant:
    to: str  # user name
    box: bytes  # sealed to the user's public key at the time of the grant
    by: str = ""


@dataclass(frozen=True)
class KeyFile:
    database_salt: bytes
    check: bytes  # HMAC of the salt under a subkey of the database key (16 bytes)
    seal_public: bytes = b""  # the X25519 public key confidential notes are sealed to
    slots: tuple[Slot, ...] = ()
    grants: tuple[Grant, ...] = ()

    # -- making and reading --------------------------------------------------------------

    @classmethod
    def new(cls, database: DatabaseKey, seal_public: bytes) -> KeyFile:
        return cls(database.salt, key_check(database), seal_public)

    def matches(self, database: DatabaseKey) -> bool:
        return (database.salt == self.database_salt
                and secrets.compare_digest(key_check(database), self.check))

    def slot(self, kind: str, name: str = "") -> Slot | None:
        return next((s for s in self.slots if s.kind == kind and s.name == name), None)

    def user_names(self) -> list[str]:
        return sorted(s.name for s in self.slots if s.kind == USER)

    def _associated(self, kind: str, name: str) -> bytes:
        return f"{FORMAT}/{VERSION}|{self.database_salt.hex()}|{kind}|{name}".encode()

    def _open(self, slot: Slot, wrapping: bytes) -> Keys:
        payload = crypto.unseal(wrapping, slot.data, self._associated(slot.kind, slot.name))
        try:
            data = json.loads(payload)
            keys = Keys(DatabaseKey(bytes.fromhex(data["database"]), self.database_salt),
                        bytes.fromhex(data["private"]) if data.get("private") else None,
                        bytes.fromhex(data["seal"]) if data.get("seal") else None)
        except (ValueError, KeyError, TypeError) as exc:
            raise CryptoError("bad payload") from exc
        if not self.matches(keys.database):
            raise CryptoError("key does not match this key file")
        return keys

    # -- unlocking -------------------------------------------------------------------------

    def unlock_password(self, username: str, password: str) -> Keys:
        """The keys of ``username``'s slot; ``CryptoError`` for a wrong password or name.

        An unknown name costs the same Argon2id work as a known one (one answer, one timing).
        """
        slot = self.slot(USER, username)
        if slot is None:
            crypto.derive_password_key(password, secrets.token_bytes(crypto.SALT_BYTES),
                                       crypto.ARGON2_DEFAULTS)
            raise CryptoError("no such slot")
        wrapping = crypto.derive_password_key(password, _kdf_salt(slot), slot.kdf)
        return self._open(slot, wrapping)

    def unlock_recovery(self, recovery_key: str) -> Keys:
        slot = self.slot(RECOVERY)
        if slot is None:
            raise CryptoError("no recovery slot")
        return self._open(slot, crypto.recovery_wrapping_key(recovery_key, _kdf_salt(slot)))

    # -- changing (each returns a new KeyFile; the caller writes it) -----------------------

    def with_user_slot(self, username: str, password: str, keys: Keys,
                       params: dict | None = None) -> KeyFile:
        """A new or replaced slot for ``username``, wrapping ``keys`` under ``password``.

        A new user key pair is made when ``keys`` has none (a new or reset account);
        grants made to an earlier key pair of this name are dropped.
        """
        params = dict(params or crypto.ARGON2_DEFAULTS)
        private = keys.private
        old = self.slot(USER, username)
        if private is None:
            private = new_private_key()
        public = public_key(private)
        salt = secrets.token_bytes(crypto.SALT_BYTES)
        wrapping = crypto.derive_password_key(password, salt, params)
        keys = replace(keys, private=private)
        slot = Slot(USER, username, {"name": "argon2id", "salt": crypto.b64(salt), **params},
                    crypto.seal(wrapping, keys.payload(), self._associated(USER, username)),
                    public)
        grants = self.grants
        if old is None or old.public != public:
            grants = tuple(g for g in grants if g.to != username)
        return replace(self, slots=(*self._other_slots(USER, username), slot), grants=grants)

    def with_account_hash_slot(self, username: str, phc_hash: str, keys: Keys) -> KeyFile:
        """A slot for an account whose password is unknown but whose Argon2id hash is: the
        password opens it as any slot; the first sign-in replaces it with a normal one."""
        kdf, wrapping = crypto.phc_slot_params(phc_hash)
        private = new_private_key()
        keys = replace(keys, private=private)
        slot = Slot(USER, username, kdf,
                    crypto.seal(wrapping, keys.payload(), self._associated(USER, username)),
                    public_key(private))
        return replace(self, slots=(*self._other_slots(USER, username), slot))

    def with_recovery_slot(self, recovery_key: str, database: DatabaseKey,
                           seal: bytes | None = None) -> KeyFile:
        """A new recovery slot (the old one and its grant go); with ``seal`` it is granted
        the seal at once, else the next vertrouwenspersoon who signs in grants it."""
        salt = secrets.token_bytes(crypto.SALT_BYTES)
        wrapping = crypto.recovery_wrapping_key(recovery_key, salt)
        private = new_private_key()
        payload = Keys(database, private).payload()
        slot = Slot(RECOVERY, "", {"name": "hkdf-sha256", "salt": crypto.b64(salt)},
                    crypto.seal(wrapping, payload, self._associated(RECOVERY, "")),
                    public_key(private))
        kf = replace(self, slots=(slot, *self._other_slots(RECOVERY, "")),
                     grants=tuple(g for g in self.grants if g.to != ""))
        return kf.with_grant("", seal) if seal is not None else kf

    def needs_grant(self, name: str) -> bool:
        """A slot (``""``: the recovery slot) without a grant of the seal."""
        return (self._grant_slot(name) is not None
                and not any(g.to == name for g in self.grants))

    def without_user(self, username: str) -> KeyFile:
        return replace(self, slots=self._other_slots(USER, username),
                       grants=tuple(g for g in self.grants if g.to != username))

    def _grant_slot(self, name: str) -> Slot | None:
        return self.slot(USER, name) if name else self.slot(RECOVERY)

    def with_grant(self, username: str, seal_private: bytes, by: str = "") -> KeyFile:
        """Give ``username`` (``""``: the recovery slot) the seal's private key, readable
        only with that slot."""
        slot = self._grant_slot(username)
        if slot is None or not slot.public:
            raise CryptoError("no slot to grant to")
        box = box_seal(slot.public, seal_private,
                       self._associated("grant", username) + slot.public)
        others = tuple(g for g in self.grants if g.to != username)
        return replace(self, grants=(*others, Grant(username, box, by)))

    def open_grant(self, username: str, keys: Keys) -> bytes | None:
        """The seal key granted to ``username`` (whose slot gave ``keys``), if any."""
        grant = next((g for g in self.grants if g.to == username), None)
        slot = self._grant_slot(username)
        if grant is None or slot is None or keys.private is None:
            return None
        try:
            return box_open(keys.private, grant.box,
                            self._associated("grant", username) + slot.public)
        except CryptoError:
            return None

    def _other_slots(self, kind: str, name: str) -> tuple[Slot, ...]:
        return tuple(s for s in self.slots if not (s.kind == kind and s.name == name))

    # -- serialising -----------------------------------------------------------------------

    def to_json(self) -> dict:
        return {
            "format": FORMAT, "version": VERSION,
            "database_salt": self.database_salt.hex(), "check": self.check.hex(),
            "seal_public": crypto.b64(self.seal_public),
            "slots": [s.to_json() for s in self.slots],
            "grants": [{"to": g.to, "by": g.by, "box": crypto.b64(g.box)} for g in self.grants],
        }

    @classmethod
    def from_json(cls, data: dict) -> KeyFile:
        if data.get("format") != FORMAT or data.get("version") != VERSION:
            raise ValueError("not a pestdesk key file")
        slots = tuple(
            Slot(s["kind"], str(s["name"]), dict(s["kdf"]), crypto.unb64(s["data"]),
                 crypto.unb64(s["public"]) if s.get("public") else b"")
            for s in data["slots"])
        for s in slots:
            if s.kind not in (USER, RECOVERY) or not isinstance(s.kdf.get("salt"), str):
                raise ValueError("bad slot")
        grants = tuple(Grant(str(g["to"]), crypto.unb64(g["box"]), str(g.get("by", "")))
                       for g in data.get("grants", []))
        salt = bytes.fromhex(data["database_salt"])
        check = bytes.fromhex(data["check"])
        if len(salt) != crypto.SALT_BYTES or len(check) != 16:
            raise ValueError("bad salt")
        return cls(salt, check, crypto.unb64(data.get("seal_public", "")), slots, grants)


def key_check(database: DatabaseKey) -> bytes:
    return bytes.fromhex(crypto.mac(crypto.subkey(database.key, "pestdesk key check"),
                                    database.salt))[:16]


def _kdf_salt(slot: Slot) -> bytes:
    return crypto.unb64(slot.kdf["salt"])


# -- X25519 sealed boxes (grants) ------------------------------------------------------------


def new_private_key() -> bytes:
    from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

    return _raw_private(X25519PrivateKey.generate())


def public_key(private: bytes) -> bytes:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

    return X25519PrivateKey.from_private_bytes(private).public_key().public_bytes(
        serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def _raw_private(key) -> bytes:
    from cryptography.hazmat.primitives import serialization

    return key.private_bytes(serialization.Encoding.Raw, serialization.PrivateFormat.Raw,
                             serialization.NoEncryption())


def box_seal(recipient_public: bytes, plaintext: bytes, associated: bytes = b"") -> bytes:
    """Ephemeral X25519 + HKDF + AES-256-GCM: only the recipient's private key opens it."""
    from cryptography.hazmat.primitives.asymmetric.x25519 import (
        X25519PrivateKey,
        X25519PublicKey,
    )

    ephemeral = X25519PrivateKey.generate()
    eph_public = public_key(_raw_private(ephemeral))
    shared = ephemeral.exchange(X25519PublicKey.from_public_bytes(recipient_public))
    key = crypto.subkey(shared, "pestdesk sealed box", eph_public + recipient_public)
    return eph_public + crypto.seal(key, plaintext, associated)


def box_open(private: bytes, box: bytes, associated: bytes = b"") -> bytes:
    from cryptography.hazmat.primitives.asymmetric.x25519 import (
        X25519PrivateKey,
        X25519PublicKey,
    )

    if len(box) < 32:
        raise CryptoError("too short")
    eph_public, sealed = box[:32], box[32:]
    try:
        shared = X25519PrivateKey.from_private_bytes(private).exchange(
            X25519PublicKey.from_public_bytes(eph_public))
    except ValueError as exc:
        raise CryptoError("bad key") from exc
    key = crypto.subkey(shared, "pestdesk sealed box", eph_public + public_key(private))
    return crypto.unseal(key, sealed, associated)


# -- the file --------------------------------------------------------------------------------


def read(db_path: str | os.PathLike) -> KeyFile:
    """The key file of ``db_path``; ``KeyFileMissing`` or ``KeyFileDamaged`` otherwise."""
    path = sidecar_path(db_path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise errors.KeyFileMissing(db_path) from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise errors.KeyFileDamaged(db_path) from exc
    try:
        return KeyFile.from_json(json.loads(text))
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise errors.KeyFileDamaged(db_path) from exc


def write(db_path: str | os.PathLike, keyfile: KeyFile) -> Path:
    """Replace the key file atomically: temp file in the same folder, fsync, rename, fsync."""
    return write_to(sidecar_path(db_path), keyfile)


def write_to(path: Path, keyfile: KeyFile) -> Path:
    data = json.dumps(keyfile.to_json(), indent=1, sort_keys=True).encode("utf-8")
    fd, tmp = tempfile.mkstemp(prefix=path.name + ".", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    _fsync_folder(path.parent)
    return path


def _fsync_folder(folder: Path) -> None:
    if os.name != "posix":  # pragma: no cover - Windows has no directory fsync
        return
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
