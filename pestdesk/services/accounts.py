"""User accounts: Argon2id password hashes (OWASP minimum or above), sign-in, the acting user.

Sign-in follows OWASP's Authentication Cheat Sheet:
- one answer for every refusal ("unknown user name or wrong password") and the same work
  for an unknown name as for a known one (an Argon2id verification against a dummy hash,
  the same write transactions), so neither the message nor the time tells who exists;
- a throttle that holds across processes and parallel attempts: the state lives in the
  database (``SignInThrottle``, keyed by a keyed hash of the typed name, known or not) and an
  attempt is *counted before* its password is checked, in one ``BEGIN IMMEDIATE``
  transaction; after ``FREE_ATTEMPTS`` failures the next try must wait ``wait_seconds()``
  (doubling, at most ``MAX_WAIT``), so sixteen parallel guesses do not all get checked;
- passwords of at least ``MIN_PASSWORD`` (12) characters that are not among the 10,000 most
  common ones (``resources/passwords``, source in its README), nor what a guesser tries
  first (the person's names, user name or school, keyboard rows, sequences, repetitions:
  ``check_password_rules``); no composition rules.

Passwords are never stored or logged; only the Argon2id hash is. A hash made with weaker
parameters than today's is replaced at the next successful sign-in. A password set by a
beheerder (a reset) must be changed at the next sign-in (``Actor.must_change_password``).
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import hmac
import math

from ..i18n import _
from ..paths import RESOURCES_DIR
from ..store.models import Setting, SignInThrottle, Staff, User, utcnow
from .base import SYSTEM, Actor, ServiceError, audit, create, write


# OWASP: Argon2id, m=19 MiB, t=2, p=1 at least. ~30 ms here: sign-in stays well under 1 s.
@functools.cache
def hasher():
    """The Argon2id hasher, built on first use (argon2's import costs start-up time)."""
    from argon2 import PasswordHasher

    return PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1)


MIN_PASSWORD = 12
MAX_PASSWORD = 256
FREE_ATTEMPTS = 3
MAX_WAIT = 15 * 60  # seconds
# the demo school's users (fictional people): 12 characters or more, not a common one
DEMO_PASSWORD = "demo-pestdesk"
COMMON_PASSWORDS = RESOURCES_DIR / "passwords" / "common-10000.txt"
# Verified when the typed name is unknown or may not sign in: the same Argon2id work as a
# real check. Made with the parameters of ``hasher()`` (a test keeps them in step).
DUMMY_HASH = ("$argon2id$v=19$m=19456,t=2,p=1$cGVzdGRlc2stZHVtbXkxNg$"
              "jK1E6QP+vs7qSNVHJ2Q52ZFMexrUKYXXjqwnRRozCZ8")


class Throttled(ServiceError):
    """Too many wrong passwords: the next one is not even checked until the wait is over."""

    def __init__(self, seconds: int):
        self.seconds = seconds
        super().__init__(_("Too many wrong passwords. Wait {seconds} seconds and try "
                           "again.").format(seconds=seconds))


def hash_password(password: str) -> str:
    return hasher().hash(password)


@functools.cache
def common_passwords() -> frozenset[str]:
    """The 10,000 most common passwords, lower case (read once)."""
    text = COMMON_PASSWORDS.read_text(encoding="utf-8")
    return frozenset(line.strip() for line in text.splitlines() if line.strip())


# Keyboard rows and columns (QWERTY and AZERTY) and the alphabet and digits: neighbours in
# one of these, in either direction, make a pattern ("qwerty", "1qaz", "abcd", "4321").
_SEQUENCES = ("abcdefghijklmnopqrstuvwxyz", "0123456789", "1234567890", "qwertyuiop",
              "asdfghjkl", "zxcvbnm", "azertyuiop", "qsdfghjklm", "wxcvbn",
              "1qaz", "2wsx", "3edc", "4rfv", "5tgb", "6yhn", "7ujm", "8ik", "9ol", "0p",
              "1aqw", "2zsx", "3edc", "4rfv", "5tgb", "6yhn", "7uj", "8ik", "9ol", "0pm")
_NEIGHBOURS = frozenset((a, b) for seq in _SEQUENCES for a, b in zip(seq, seq[1:], strict=False))
MIN_DISTINCT = 6  # different characters
MIN_OUTSIDE_PATTERNS = 8  # characters that are not part of a row, sequence or repetition
MIN_NAME_PART = 4  # a name (or part of one) this long is looked for in the password


def _pattern_free(text: str) -> int:
    """How many characters of ``text`` are outside runs of three or more that repeat one
    character or follow a keyboard row or column, the alphabet or the digits (either way)."""
    covered = [False] * len(text)
    start = 0
    for i in range(1, len(text) + 1):
        linked = i < len(text) and (
            text[i] == text[i - 1] or (text[i - 1], text[i]) in _NEIGHBOURS
            or (text[i], text[i - 1]) in _NEIGHBOURS)
        if not linked:
            if i - start >= 3:
                covered[start:i] = [True] * (i - start)
            start = i
    # a chunk said again and again ("abc1abc1abc1") adds nothing after its first time
    for size in range(1, len(text) // 2 + 1):
        if len(text) % size == 0 and text == text[:size] * (len(text) // size):
            covered[size:] = [True] * (len(text) - size)
            break
    return covered.count(False)


def _folded(text: str) -> str:
    """Lower case letters and digits only, accents dropped: 'Çelik-2026' -> 'celik2026'."""
    import unicodedata

    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if c.isalnum() and not unicodedata.combining(c))


def _personal_parts(username: str, names: tuple[str, ...]) -> list[str]:
    """The user name, every part of the person's names and of the school's name, folded."""
    parts = []
    for name in (*names, _school_name()):
        for word in (name or "").replace("-", " ").replace(".", " ").split():
            parts.append(_folded(word))
        parts.append(_folded(name or ""))
    parts = [p for p in parts if len(p) >= MIN_NAME_PART]
    login = _folded(username)
    if len(login) >= 3:
        parts.append(login)
    return sorted(set(parts), key=len, reverse=True)


def _school_name() -> str:
    """The school's name when a database is open (never opens one: a closed encrypted file
    has no key yet; the set-up wizard names the school itself)."""
    from ..store.models import database

    if database.obj is None or database.is_closed():
        return ""
    from .settings import school_profile

    return school_profile().name


def check_password_rules(password: str, username: str = "",
                         names: tuple[str, ...] | list[str] = ()) -> None:
    """Length, the 10,000 common passwords, and what a guesser tries first: the user's own
    name, user name or school (``names``: the person's names; the school's comes from the
    settings), too few different characters, keyboard rows, sequences and repetitions.
    Raises ServiceError with the reason (NIST/OWASP: no composition rules)."""
    if len(password) < MIN_PASSWORD:
        raise ServiceError(
            _("The password must be at least {n} characters long.").format(n=MIN_PASSWORD)
        )
    if len(password) > MAX_PASSWORD:
        raise ServiceError(
            _("The password may be at most {n} characters long.").format(n=MAX_PASSWORD))
    if username and password.strip().lower() == username.strip().lower():
        raise ServiceError(_("The password may not be the same as the user name."))
    if password.strip().lower() in common_passwords():
        raise ServiceError(_("This password is one of the most commonly used passwords; "
                             "choose another one."))
    folded = _folded(password)
    if any(part in folded for part in _personal_parts(username, tuple(names))):
        raise ServiceError(_("The password may not contain your name, your user name or the "
                             "name of the school."))
    lowered = password.casefold()
    if len(set(lowered)) < MIN_DISTINCT:
        raise ServiceError(_("The password has too few different characters; use at least "
                             "{n}.").format(n=MIN_DISTINCT))
    if _pattern_free(lowered) < MIN_OUTSIDE_PATTERNS:
        raise ServiceError(_("The password consists mostly of a keyboard row, a sequence "
                             "(abcd, 1234) or repetitions; choose words that are harder to "
                             "guess."))


def staff_names(staff: Staff | None) -> tuple[str, ...]:
    """The names a password of ``staff`` may not contain."""
    if staff is None:
        return ()
    return tuple(p for p in (staff.first_name, staff.last_name) if p)


def wait_seconds(failed_attempts: int) -> int:
    """How long to wait after ``failed_attempts`` wrong passwords in a row: 0, then 2, 4, 8..."""
    if failed_attempts < FREE_ATTEMPTS:
        return 0
    return min(MAX_WAIT, 2 ** (failed_attempts - FREE_ATTEMPTS + 1))


def _remaining(failed_attempts: int, last_failed_at: dt.datetime | None,
               now: dt.datetime) -> int:
    wait = wait_seconds(failed_attempts)
    if not wait or last_failed_at is None:
        return 0
    left = (last_failed_at + dt.timedelta(seconds=wait) - now).total_seconds()
    return max(0, math.ceil(left))


def throttle_key(username: str) -> str:
    """A keyed hash of the typed name (lower case): the name itself is never stored."""
    row = Setting.get_or_none(Setting.key == "throttle_salt")
    salt = (row.value if row else "pestdesk").encode("utf-8")
    name = username.strip().lower().encode("utf-8")
    return hmac.new(salt, name, hashlib.sha256).hexdigest()


def remaining_wait(username: str, now: dt.datetime | None = None) -> int:
    """Whole seconds a sign-in as ``username`` must still wait (0: may try now)."""
    row = SignInThrottle.get_or_none(SignInThrottle.key == throttle_key(username))
    if row is None:
        return 0
    return _remaining(row.failed_attempts, row.last_failed_at, now or utcnow())


def _reserve_attempt(key: str) -> None:
    """Count this attempt as failed before its password is checked, in one write transaction
    (BEGIN IMMEDIATE serialises parallel attempts, in this process or another); raises
    ``Throttled`` without counting when the wait is not over. A correct password clears it."""
    now = utcnow()
    with write():
        row = SignInThrottle.get_or_none(SignInThrottle.key == key)
        failed = row.failed_attempts if row else 0
        wait = _remaining(failed, row.last_failed_at if row else None, now)
        if wait:
            raise Throttled(wait)
        (SignInThrottle.insert(key=key, failed_attempts=failed + 1, last_failed_at=now)
         .on_conflict(conflict_target=[SignInThrottle.key],
                      update={SignInThrottle.failed_attempts: failed + 1,
                              SignInThrottle.last_failed_at: now})
         .execute())


def clear_throttle(username: str) -> None:
    """Forget the wrong tries of ``username`` (call inside ``write()``)."""
    SignInThrottle.delete().where(SignInThrottle.key == throttle_key(username)).execute()


def actor_for(user: User) -> Actor:
    from . import grants

    staff = user.staff
    roles = grants.effective_roles(staff)  # roles waiting for a confirmation do not count
    return Actor(user_id=user.id, username=user.username,
                 staff_id=staff.id if staff else None, roles=roles,
                 must_change_password=bool(user.must_change_password))


def has_users() -> bool:
    return User.select().limit(1).exists()


def create_user(actor: Actor, staff: Staff | None, username: str, password: str) -> User:
    """A personal account for a staff member; only a beheerder may, except the very first.

    The first user of a new database becomes its beheerder (the role is added to their
    staff record if missing).
    """
    username = username.strip().lower()
    if not username:
        raise ServiceError(_("A user name is required."))
    check_password_rules(password, username, staff_names(staff))
    with write():
        first = not has_users()
        if not first and not actor.has_role("beheerder"):
            raise ServiceError(_("You do not have the rights to do this."))
        if User.select().where(User.username == username).exists():
            raise ServiceError(_("The user name {name} is already taken.").format(name=username))
        if staff is not None and User.select().where(User.staff == staff.id).exists():
            raise ServiceError(_("This staff member already has an account."))
        if first and staff is not None and "beheerder" not in staff.roles.split(","):
            staff = Staff.get_by_id(staff.id)
            roles = ",".join(r for r in ["beheerder", *staff.roles.split(",")] if r)
            Staff.update(roles=roles, version=Staff.version + 1).where(
                Staff.id == staff.id).execute()
            audit(actor, "update", "staff", staff.id, "roles")
        from . import encryption  # the key slot, under the same write lock

        encryption.password_set(username, password)
        # a password someone else chose (the beheerder's) is changed at the first sign-in;
        # only the very first user, who chose their own, keeps it
        user = create(actor, User, staff=staff, username=username,
                      password_hash=hash_password(password), must_change_password=not first)
        if not first:
            audit(actor, "password_set", "user", user.id, "must_change_password")
        return user


def set_up(profile, first_name: str, last_name: str, code: str, username: str,
           password: str) -> Actor:
    """First run of a new database: the school profile, the first staff member (beheerder
    and ondersteuningscoördinator) and their account, together or not at all.

    Refused once the database has a user: after that only a beheerder adds people.
    ``profile`` is a ``settings.SchoolProfile``.
    """
    from . import settings

    check_password_rules(password, username,
                         (first_name, last_name, getattr(profile, "name", "")))
    with write():
        if has_users():
            raise ServiceError(_("You do not have the rights to do this."))
        staff = create(SYSTEM, Staff, code=code.strip().upper(), first_name=first_name.strip(),
                       last_name=last_name.strip(), roles="beheerder,ondersteuningscoordinator")
        actor = actor_for(create_user(SYSTEM, staff, username, password))
        settings.save_school_profile(actor, profile)
    from . import encryption

    encryption.session_became(actor.username)
    return actor


def demo_actor(username: str) -> Actor:
    """In a demo database (fictional people) the app signs in without asking."""
    from .settings import get_value

    if not get_value("demo", False):
        raise ServiceError(_("Unknown user name or wrong password."))
    from ..store import scope
    from . import access

    scope.clear()
    user = User.get(User.username == username)
    with write():
        actor = actor_for(user)
        audit(actor, "login", "user", user.id, "demo")
    access.enter(actor)
    return actor


def _refused() -> ServiceError:
    return ServiceError(_("Unknown user name or wrong password."))


def _may_sign_in(user: User | None) -> bool:
    if user is None or not user.active or not user.password_hash:
        return False
    return user.staff is None or user.staff.active


def _verify(stored_hash: str, password: str) -> bool:
    from argon2 import exceptions as argon2_exceptions

    try:
        return hasher().verify(stored_hash, password)
    except (argon2_exceptions.VerificationError, argon2_exceptions.InvalidHashError):
        return False


def _attempt(username: str, user: User | None, password: str, action: str,
             verify=None) -> Actor:
    """One sign-in (or unlock, or password check) attempt, the same steps for every name:
    reserve the attempt, verify (against the dummy hash when ``user`` may not sign in),
    then one write with the outcome and its audit line.

    ``verify`` replaces the hash check on an encrypted database: the user's key slot
    (Argon2id too) proves the password, so it is not derived twice."""
    name = username.strip().lower()
    _reserve_attempt(throttle_key(name))
    allowed = _may_sign_in(user)
    if verify is not None:
        ok = verify() and allowed
    else:
        ok = _verify(user.password_hash if allowed else DUMMY_HASH, password) and allowed
    if not ok:
        with write():  # the same write for a known and an unknown name
            user_id = user.id if allowed else None
            audit(Actor(user_id, name if allowed else "?"), f"{action}_failed", "user",
                  user_id)
        raise _refused()
    with write():
        clear_throttle(name)
        changes = {}
        if action == "login":
            changes[User.last_login_at] = utcnow()
        if hasher().check_needs_rehash(user.password_hash):
            changes[User.password_hash] = hash_password(password)
        if changes:
            User.update(changes).where(User.id == user.id).execute()
        actor = actor_for(User.get_by_id(user.id))
        audit(actor, action, "user", user.id)
        if action == "login":
            from . import grants

            grants.note_sign_in(actor)
    return actor


def require_own_password(actor: Actor) -> None:
    """Refuse to work for an account whose password a beheerder set (a new account or a
    reset) until its owner chose their own in the app: the command line has no dialog for
    it, and the beheerder knows that password. The refusal is audited."""
    if not actor.must_change_password:
        return
    with write():
        audit(actor, "login_refused", "user", actor.user_id, "must_change_password")
    raise ServiceError(_("A beheerder set this password. Sign in to the app first and choose "
                         "your own password; then try again."))


def refreshed(actor: Actor) -> Actor:
    """The signed-in user's actor as the database says now (roles, password flag), e.g.
    after they changed their password; a user disabled meanwhile is refused."""
    user = User.get_or_none(User.id == actor.user_id) if actor.user_id is not None else None
    if not _may_sign_in(user):
        raise _refused()
    return actor_for(user)


def record_lock(actor: Actor) -> None:
    """The session locked (idle or on request): an audit line, nothing else changes."""
    if actor.user_id is not None:
        with write():
            audit(actor, "lock", "user", actor.user_id)


def record_sign_out(actor: Actor) -> None:
    if actor.user_id is not None:
        with write():
            audit(actor, "logout", "user", actor.user_id)


def sign_in(username: str, password: str, *, verify=None) -> Actor:
    """Check the password; returns the Actor or raises ServiceError: the same message (and
    the same work) for an unknown name, a disabled account and a wrong password;
    ``Throttled`` alike for known and unknown names. ``verify``: see ``_attempt``
    (``encryption.sign_in`` passes the key slot's check)."""
    from ..store import scope

    scope.clear()  # a new session: the name is looked up in every school of the file
    user = User.get_or_none(User.username == username.strip().lower())
    actor = _attempt(username, user, password, "login", verify)
    from . import access

    access.enter(actor)
    return actor


def read_only_account(username: str) -> Actor:
    """The account of a user whose password a key slot has just proved, for a command that
    only reads a file that cannot be written (``encryption.sign_in_read_only``): it must be
    one that may sign in. Nothing can be recorded there, so there is no throttle and no
    audit line (the caller says so); the same answer as ``sign_in`` when it may not. The
    session's school scope is entered as at sign-in."""
    from ..store import scope
    from . import access

    scope.clear()  # a new session: the name is looked up in every school of the file
    user = User.get_or_none(User.username == username.strip().lower())
    if not _may_sign_in(user):
        raise _refused()
    actor = actor_for(user)
    access.enter(actor)
    return actor


def count_failed_attempt(username: str, detail: str = "") -> None:
    """A wrong password found where the database could not be asked first (a key slot of a
    file that was still closed): counted towards the throttle and audited now."""
    name = username.strip().lower()
    user = User.get_or_none(User.username == name)
    allowed = _may_sign_in(user)
    try:
        _reserve_attempt(throttle_key(name))
    except Throttled:
        pass  # already waiting: the wrong try is still audited
    with write():
        user_id = user.id if allowed else None
        audit(Actor(user_id, name if allowed else "?"), "login_failed", "user", user_id,
              detail)


def unlock(actor: Actor, password: str, action: str = "unlock") -> Actor:
    """Unlock a locked session: the signed-in user's own password, same slow-down.

    Returns the actor afresh (roles as they are now); a user disabled meanwhile is refused.
    ``action`` names the audit line (``password_check`` when changing one's password).
    """
    user = User.get_or_none(User.id == actor.user_id) if actor.user_id is not None else None
    unlocked = _attempt(actor.username, user, password, action)
    if action == "unlock" and unlocked.must_change_password:
        # a password someone else set (a reset by the beheerder) does not reopen the locked
        # session of its user, with their keys and sealed notes in memory: sign in again
        with write():
            audit(unlocked, "login_refused", "user", unlocked.user_id, "unlock_after_reset")
        raise ServiceError(_("A beheerder set a new password for this account. Sign out and "
                             "sign in again to choose your own."))
    return unlocked
