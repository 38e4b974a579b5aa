"""The cryptographic building blocks of encryption at rest, from well-kept libraries only.

- ``DatabaseKey``: the random 256-bit key SQLCipher encrypts the database file with, plus
  the file's 16-byte salt. Given to SQLCipher as a *raw* key (``x'<key><salt>'``), so opening
  costs no key derivation, and every copy of the database (backups, safety copies) carries
  the same salt in its first 16 bytes: the salt is the database's identity, which lets the key
  file (``keyfile``) tell "this is not my database" before anyone types a password.
- ``derive_password_key``: Argon2id (argon2-cffi's low-level ``hash_secret_raw``) turns a
  password into the key that wraps a user's slot; the parameters are stored per slot, so they
  can be raised later without locking anyone out.
- ``seal``/``unseal``: AES-256-GCM from ``cryptography`` (a random 96-bit nonce per message,
  associated data binding the ciphertext to its place).
- ``subkey``: HKDF-SHA256 for keys derived from another key (the audit chain's HMAC key,
  the recovery key's wrapping key).

Nothing here writes a file or logs; keys never appear in a ``repr``.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import secrets
from dataclasses import dataclass, field

KEY_BYTES = 32
SALT_BYTES = 16
NONCE_BYTES = 12

#: Argon2id for a slot's wrapping key. The slot file can be copied and attacked offline, so
#: this is above OWASP's interactive minimum (19 MiB, t=2): 64 MiB, two passes.
ARGON2_DEFAULTS = {"t": 2, "m": 64 * 1024, "p": 1}
#: The weakest parameters a slot may name (a damaged or hostile key file cannot make us
#: accept a trivially cheap derivation).
ARGON2_MINIMUM = {"t": 1, "m": 8 * 1024, "p": 1}


class CryptoError(Exception):
    """A ciphertext did not verify (wrong key, or the data was changed)."""


@dataclass(frozen=True)
class DatabaseKey:
    """The key SQLCipher uses for one database (and every copy of it)."""

    key: bytes = field(repr=False)
    salt: bytes

    def __post_init__(self) -> None:
        if len(self.key) != KEY_BYTES or len(self.salt) != SALT_BYTES:
            raise ValueError("a database key is 32 bytes and its salt 16")

    @classmethod
    def generate(cls) -> DatabaseKey:
        return cls(secrets.token_bytes(KEY_BYTES), secrets.token_bytes(SALT_BYTES))

    def pragma_value(self) -> str:
        """SQLCipher's raw key with explicit salt: no PBKDF2 at open, same salt in every copy."""
        return f"x'{self.key.hex()}{self.salt.hex()}'"


def random_key() -> bytes:
    return secrets.token_bytes(KEY_BYTES)


def derive_password_key(password: str, salt: bytes, params: dict) -> bytes:
    """Argon2id(password, salt) -> 32 bytes, with the slot's stored parameters.

    A slot made from an account's existing Argon2id hash (``"name": "argon2id-phc"``, when
    a plain database is encrypted and only the hashes are known) derives that hash again
    and turns it into the wrapping key with HKDF.
    """
    from argon2.low_level import Type, hash_secret_raw

    t, m, p = int(params["t"]), int(params["m"]), int(params["p"])
    if t < ARGON2_MINIMUM["t"] or m < ARGON2_MINIMUM["m"] or p < ARGON2_MINIMUM["p"]:
        raise CryptoError("argon2 parameters below the minimum")
    length = int(params.get("len", KEY_BYTES))
    raw = hash_secret_raw(password.encode("utf-8"), salt, time_cost=t, memory_cost=m,
                          parallelism=p, hash_len=length, type=Type.ID)
    if params.get("name") == "argon2id-phc":
        return subkey(raw, "pestdesk slot from account hash")
    return raw


def phc_slot_params(phc: str) -> tuple[dict, bytes]:
    """(kdf parameters, wrapping key) of a slot made from an Argon2id PHC hash string."""
    parts = phc.split("$")
    if len(parts) != 6 or parts[1] != "argon2id":
        raise CryptoError("not an argon2id hash")

    def unpad(text: str) -> bytes:
        return base64.b64decode(text + "=" * (-len(text) % 4))

    params = dict(item.split("=", 1) for item in parts[3].split(","))
    salt, raw = unpad(parts[4]), unpad(parts[5])
    kdf = {"name": "argon2id-phc", "salt": b64(salt), "t": int(params["t"]),
           "m": int(params["m"]), "p": int(params["p"]), "len": len(raw)}
    return kdf, subkey(raw, "pestdesk slot from account hash")


def subkey(key: bytes, purpose: str, salt: bytes = b"") -> bytes:
    """A 32-byte key for one ``purpose`` derived from ``key`` (HKDF-SHA256)."""
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.kdf.hkdf import HKDF

    return HKDF(algorithm=hashes.SHA256(), length=KEY_BYTES, salt=salt or None,
                info=purpose.encode("utf-8")).derive(key)


def seal(key: bytes, plaintext: bytes, associated: bytes = b"") -> bytes:
    """nonce || AES-256-GCM(plaintext); ``associated`` must match when unsealing."""
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    nonce = os.urandom(NONCE_BYTES)
    return nonce + AESGCM(key).encrypt(nonce, plaintext, associated or None)


def unseal(key: bytes, sealed: bytes, associated: bytes = b"") -> bytes:
    from cryptography.exceptions import InvalidTag
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    if len(sealed) < NONCE_BYTES + 16:
        raise CryptoError("too short")
    try:
        return AESGCM(key).decrypt(sealed[:NONCE_BYTES], sealed[NONCE_BYTES:],
                                   associated or None)
    except (InvalidTag, ValueError) as exc:
        raise CryptoError("does not verify") from exc


def mac(key: bytes, message: bytes) -> str:
    """HMAC-SHA256 as hex (the keyed audit chain)."""
    return hmac.new(key, message, hashlib.sha256).hexdigest()


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def unb64(text: str) -> bytes:
    return base64.b64decode(text.encode("ascii"), validate=True)


# -- the recovery key: what a person writes down -----------------------------------------------

_RECOVERY_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read from paper
RECOVERY_GROUPS = 8  # 8 groups of 5 characters = 200 bits of entropy
RECOVERY_GROUP_LEN = 5


def new_recovery_key() -> str:
    """A random recovery key in groups, like BitLocker's: ``ABCDE-FGHJK-...`` plus a check."""
    chars = [secrets.choice(_RECOVERY_ALPHABET)
             for _ in range(RECOVERY_GROUPS * RECOVERY_GROUP_LEN)]
    body = "".join(chars)
    groups = [body[i:i + RECOVERY_GROUP_LEN] for i in range(0, len(body), RECOVERY_GROUP_LEN)]
    return "-".join([*groups, _check_group(body)])


def _check_group(body: str) -> str:
    digest = hashlib.sha256(body.encode("ascii")).digest()
    return "".join(_RECOVERY_ALPHABET[b % len(_RECOVERY_ALPHABET)] for b in digest[:3])


def normalize_recovery_key(text: str) -> str | None:
    """The canonical form of a typed recovery key, or None when it is not one (typo).

    Spaces, dashes and letter case do not matter; the alphabet has no 0/O and no 1/I, so a
    key read from paper cannot be mistyped that way. The last group is a check.
    """
    cleaned = "".join(ch for ch in text.upper() if ch.isalnum())
    size = RECOVERY_GROUPS * RECOVERY_GROUP_LEN
    if len(cleaned) != size + 3 or any(ch not in _RECOVERY_ALPHABET for ch in cleaned):
        return None
    body, check = cleaned[:size], cleaned[size:]
    if not hmac.compare_digest(check, _check_group(body)):
        return None
    groups = [body[i:i + RECOVERY_GROUP_LEN] for i in range(0, size, RECOVERY_GROUP_LEN)]
    return "-".join([*groups, check])


def recovery_wrapping_key(recovery_key: str, salt: bytes) -> bytes:
    """The key that wraps the recovery slot. The recovery key has 200 random bits, so a
    slow derivation adds nothing; HKDF binds it to this database's slot salt."""
    canonical = normalize_recovery_key(recovery_key)
    if canonical is None:
        raise CryptoError("not a recovery key")
    return subkey(canonical.replace("-", "").encode("ascii"), "pestdesk recovery slot", salt)
