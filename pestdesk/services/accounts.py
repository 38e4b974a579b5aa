"""User accounts: Argon2id password hashes (OWASP minimum or above), sign-in, the acting user.

Passwords are never stored or logged; only the Argon2id hash is. A hash made with weaker
parameters than today's is replaced at the next successful sign-in. Wrong passwords slow
the next try down: after ``FREE_ATTEMPTS`` failures a user must wait ``wait_seconds()``
(doubling per failure, at most ``MAX_WAIT``) before a password is even checked. The count
and the time of the last failure live in the ``user`` row, so quitting the app, another PC
or a script against the same file does not reset them.
"""

from __future__ import annotations

import datetime as dt
import functools
import math

from ..i18n import _
from ..store.models import Staff, User, utcnow
from .base import SYSTEM, Actor, ServiceError, audit, create, write


# OWASP: Argon2id, m=19 MiB, t=2, p=1 at least. ~30 ms here: sign-in stays well under 1 s.
@functools.cache
def hasher():
    """The Argon2id hasher, built on first use (argon2's import costs start-up time)."""
    from argon2 import PasswordHasher

    return PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1)
MIN_PASSWORD = 8
MAX_PASSWORD = 256
FREE_ATTEMPTS = 3
MAX_WAIT = 15 * 60  # seconds


class Throttled(ServiceError):
    """Too many wrong passwords: the next one is not even checked until the wait is over."""

    def __init__(self, seconds: int):
        self.seconds = seconds
        super().__init__(_("Too many wrong passwords. Wait {seconds} seconds and try "
                           "again.").format(seconds=seconds))


def hash_password(password: str) -> str:
    return hasher().hash(password)


def check_password_rules(password: str, username: str = "") -> None:
    """Length rules (NIST/OWASP: length, not composition); raises ServiceError."""
    if len(password) < MIN_PASSWORD:
        raise ServiceError(
            _("The password must be at least {n} characters long.").format(n=MIN_PASSWORD)
        )
    if len(password) > MAX_PASSWORD:
        raise ServiceError(
            _("The password may be at most {n} characters long.").format(n=MAX_PASSWORD))
    if username and password.strip().lower() == username.strip().lower():
        raise ServiceError(_("The password may not be the same as the user name."))


def wait_seconds(failed_attempts: int) -> int:
    """How long to wait after ``failed_attempts`` wrong passwords in a row: 0, then 2, 4, 8..."""
    if failed_attempts < FREE_ATTEMPTS:
        return 0
    return min(MAX_WAIT, 2 ** (failed_attempts - FREE_ATTEMPTS + 1))


def remaining_wait(user: User, now: dt.datetime | None = None) -> int:
    """Whole seconds ``user`` must still wait before the next password is checked."""
    wait = wait_seconds(user.failed_attempts)
    if not wait or user.last_failed_at is None:
        return 0
    left = (user.last_failed_at + dt.timedelta(seconds=wait) - (now or utcnow())).total_seconds()
    return max(0, math.ceil(left))


def actor_for(user: User) -> Actor:
    staff = user.staff
    roles = frozenset(r for r in (staff.roles.split(",") if staff else []) if r)
    return Actor(user_id=user.id, username=user.username,
                 staff_id=staff.id if staff else None, roles=roles)


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
    check_password_rules(password, username)
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
        return create(actor, User, staff=staff, username=username,
                      password_hash=hash_password(password))


def set_up(profile, first_name: str, last_name: str, code: str, username: str,
           password: str) -> Actor:
    """First run of a new database: the school profile, the first staff member (beheerder
    and ondersteuningscoördinator) and their account, together or not at all.

    Refused once the database has a user: after that only a beheerder adds people.
    ``profile`` is a ``settings.SchoolProfile``.
    """
    from . import settings

    check_password_rules(password, username)
    with write():
        if has_users():
            raise ServiceError(_("You do not have the rights to do this."))
        staff = create(SYSTEM, Staff, code=code.strip().upper(), first_name=first_name.strip(),
                       last_name=last_name.strip(), roles="beheerder,ondersteuningscoordinator")
        actor = actor_for(create_user(SYSTEM, staff, username, password))
        settings.save_school_profile(actor, profile)
    return actor


def demo_actor(username: str) -> Actor:
    """In a demo database (fictional people) the app signs in without asking."""
    from .settings import get_value

    if not get_value("demo", False):
        raise ServiceError(_("Unknown user name or wrong password."))
    user = User.get(User.username == username)
    with write():
        actor = actor_for(user)
        audit(actor, "login", "user", user.id, "demo")
    return actor


def _refused() -> ServiceError:
    return ServiceError(_("Unknown user name or wrong password."))


def _may_sign_in(user: User | None) -> bool:
    if user is None or not user.active or not user.password_hash:
        return False
    return user.staff is None or user.staff.active


def _check(user: User, password: str, action: str) -> Actor:
    """Verify ``password`` for ``user`` with the persisted slow-down; audit as ``action``."""
    wait = remaining_wait(user)
    if wait:
        raise Throttled(wait)
    from argon2 import exceptions as argon2_exceptions

    try:
        hasher().verify(user.password_hash, password)
    except (argon2_exceptions.VerificationError, argon2_exceptions.InvalidHashError):
        with write():
            User.update(failed_attempts=User.failed_attempts + 1,
                        last_failed_at=utcnow()).where(User.id == user.id).execute()
            audit(Actor(user.id, user.username), f"{action}_failed", "user", user.id)
        raise _refused() from None
    with write():
        changes = {User.failed_attempts: 0, User.last_failed_at: None}
        if action == "login":
            changes[User.last_login_at] = utcnow()
        if hasher().check_needs_rehash(user.password_hash):
            changes[User.password_hash] = hash_password(password)
        User.update(changes).where(User.id == user.id).execute()
        actor = actor_for(user)
        audit(actor, action, "user", user.id)
    return actor


def record_lock(actor: Actor) -> None:
    """The session locked (idle or on request): an audit line, nothing else changes."""
    if actor.user_id is not None:
        with write():
            audit(actor, "lock", "user", actor.user_id)


def record_sign_out(actor: Actor) -> None:
    if actor.user_id is not None:
        with write():
            audit(actor, "logout", "user", actor.user_id)


def sign_in(username: str, password: str) -> Actor:
    """Check the password; returns the Actor or raises ServiceError (no hint which was wrong)."""
    user = User.get_or_none(User.username == username.strip().lower())
    if not _may_sign_in(user):
        hasher().hash(password)  # same cost whether or not the user exists
        raise _refused()
    return _check(user, password, "login")


def unlock(actor: Actor, password: str, action: str = "unlock") -> Actor:
    """Unlock a locked session: the signed-in user's own password, same slow-down.

    Returns the actor afresh (roles as they are now); a user disabled meanwhile is refused.
    ``action`` names the audit line (``password_check`` when changing one's password).
    """
    user = User.get_or_none(User.id == actor.user_id) if actor.user_id is not None else None
    if not _may_sign_in(user):
        hasher().hash(password)
        raise _refused()
    return _check(user, password, action)
