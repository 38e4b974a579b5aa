"""User accounts: Argon2id password hashes (OWASP minimum or above), sign-in, the acting user.

Passwords are never stored or logged; only the Argon2id hash is. A hash made with weaker
parameters than today's is replaced at the next successful sign-in.
"""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from ..i18n import _
from ..store.models import Staff, User, utcnow
from .base import Actor, ServiceError, audit, create, write

# OWASP: Argon2id, m=19 MiB, t=2, p=1 at least. Slightly above, still well under 1 s.
HASHER = PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1)
MIN_PASSWORD = 8


def hash_password(password: str) -> str:
    return HASHER.hash(password)


def actor_for(user: User) -> Actor:
    staff = user.staff
    roles = frozenset(r for r in (staff.roles.split(",") if staff else []) if r)
    return Actor(user_id=user.id, username=user.username,
                 staff_id=staff.id if staff else None, roles=roles)


def has_users() -> bool:
    return User.select().limit(1).exists()


def create_user(actor: Actor, staff: Staff | None, username: str, password: str) -> User:
    username = username.strip().lower()
    if not username:
        raise ServiceError(_("A user name is required."))
    if len(password) < MIN_PASSWORD:
        raise ServiceError(
            _("The password must be at least {n} characters long.").format(n=MIN_PASSWORD)
        )
    with write():
        if User.select().where(User.username == username).exists():
            raise ServiceError(_("The user name {name} is already taken.").format(name=username))
        return create(actor, User, staff=staff, username=username,
                      password_hash=hash_password(password))


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


def sign_in(username: str, password: str) -> Actor:
    """Check the password; returns the Actor or raises ServiceError (no hint which was wrong)."""
    refused = ServiceError(_("Unknown user name or wrong password."))
    user = User.get_or_none(User.username == username.strip().lower())
    if user is None or not user.active or not user.password_hash:
        HASHER.hash(password)  # same cost whether or not the user exists
        raise refused
    try:
        HASHER.verify(user.password_hash, password)
    except (VerificationError, InvalidHashError):
        with write():
            User.update(failed_attempts=User.failed_attempts + 1).where(
                User.id == user.id).execute()
            audit(Actor(user.id, user.username), "login_failed", "user", user.id)
        raise refused from None
    with write():
        changes = {User.failed_attempts: 0, User.last_login_at: utcnow()}
        if HASHER.check_needs_rehash(user.password_hash):
            changes[User.password_hash] = hash_password(password)
        User.update(changes).where(User.id == user.id).execute()
        actor = actor_for(user)
        audit(actor, "login", "user", user.id)
    return actor
