"""Managing user accounts: the beheerder creates, disables and resets; everyone changes their
own password; roles and departments are set on the staff member behind an account.

Every use case checks the actor's right here, in the service (hiding a menu entry is not
protection), runs in one short write transaction and leaves an audit line without personal
data. The last active beheerder cannot be disabled or lose the role: a school must never
lock itself out of its own database.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from peewee import JOIN, fn

from ..i18n import N_, _
from ..importers.staff import ROLE_CODES
from ..store.models import SchoolClass, Staff, User, utcnow
from . import access, accounts, encryption, grants
from .base import Actor, ServiceError, audit, save_versioned, write
from .lists import Column, ListQuery, full_name
from .settings import get_value, set_value

ROLE_LABELS: dict[str, str] = {
    "mentor": N_("mentor"),
    "vakdocent": N_("subject teacher (vakdocent)"),
    "afdelingscoordinator": N_("head of department (afdelingscoördinator/-leider)"),
    "ondersteuningscoordinator": N_("care coordinator (ondersteuningscoördinator)"),
    "zorgteam": N_("care team (zorgteam)"),
    "vertrouwenspersoon": N_("confidential counsellor (vertrouwenspersoon)"),
    "directie": N_("school management (directie)"),
    "beheerder": N_("administrator (beheerder)"),
    "bestuur": N_("school board (bestuur): masked figures of its schools"),
}
LOCK_KEY = "lock_minutes"
DEFAULT_LOCK_MINUTES = 10
LOCK_RANGE = (1, 120)


def _require_admin(actor: Actor) -> None:
    if not access.can_manage_users(actor):
        raise ServiceError(_("You do not have the rights to do this."))


def _user(user_id: int) -> User:
    user = User.get_or_none(User.id == user_id)
    if user is None:
        raise access.NotFound(_("This user no longer exists."))
    return user


def _active_admins(excluding_user: int | None = None) -> int:
    query = (User.select().join(Staff)
             .where((User.active == True) & (Staff.active == True)  # noqa: E712
                    & (fn.INSTR("," + Staff.roles + ",", ",beheerder,") > 0)))
    if excluding_user is not None:
        query = query.where(User.id != excluding_user)
    return query.count()


# -- the list --------------------------------------------------------------------------------


class UserList(ListQuery):
    """User accounts for the beheerder's screen (nobody else gets rows)."""

    columns = (
        Column("username", N_("User name")),
        Column("name", N_("Staff member")),
        Column("roles", N_("Roles")),
        Column("active", N_("Active"), "bool"),
        Column("last_login_at", N_("Last sign-in"), "datetime"),
        Column("password_reset_at", N_("Password reset by a beheerder"), "datetime"),
    )

    def id_field(self):
        return User.id

    def order_expressions(self):
        return {"username": User.username, "name": Staff.last_name,
                "last_login_at": User.last_login_at, "active": User.active}

    def select(self):
        query = (User.select(User.id, User.username, full_name(Staff), Staff.roles, User.active,
                             User.last_login_at, User.password_reset_at)
                 .join(Staff, JOIN.LEFT_OUTER, on=(User.staff == Staff.id)))
        if not access.can_manage_users(self.actor):
            return query.where(access.nothing())
        text = (self.filters.get("text") or "").strip().lower()
        if text:
            query = query.where(User.username.contains(text)
                                | fn.LOWER(full_name(Staff)).contains(text)
                                | (fn.LOWER(Staff.code) == text))
        if not self.filters.get("include_inactive"):
            query = query.where(User.active == True)  # noqa: E712
        return query


@dataclass
class UserDetail:
    id: int
    username: str
    staff_id: int | None
    staff_name: str
    roles: list[str]
    departments: list[str]
    active: bool
    version: int
    staff_version: int


def user_detail(actor: Actor, user_id: int) -> UserDetail:
    _require_admin(actor)
    user = _user(user_id)
    staff = user.staff
    name = " ".join(p for p in (staff.first_name, staff.tussenvoegsel, staff.last_name) if p) \
        if staff else ""
    return UserDetail(
        user.id, user.username, staff.id if staff else None, name,
        [r for r in staff.roles.split(",") if r] if staff else [],
        [d for d in staff.departments.split(",") if d] if staff else [],
        user.active, user.version, staff.version if staff else 0)


def staff_without_account(actor: Actor) -> list[tuple[int, str]]:
    """(id, "CODE — name") of active staff who have no account yet, by last name."""
    _require_admin(actor)
    has_user = User.select(User.staff).where(User.staff.is_null(False))
    rows = (Staff.select(Staff.id, Staff.code, full_name(Staff))
            .where((Staff.active == True) & Staff.id.not_in(has_user))  # noqa: E712
            .order_by(Staff.last_name, Staff.first_name).tuples())
    return [(r[0], f"{r[1]} — {r[2]}") for r in rows]


def departments() -> list[str]:
    """The department names the classes use (for choosing a coordinator's departments)."""
    rows = (SchoolClass.select(SchoolClass.department).distinct()
            .where(SchoolClass.department != "").order_by(SchoolClass.department).tuples())
    return [r[0] for r in rows]


def usernames(actor: Actor) -> list[tuple[int, str]]:
    """(id, username) of every account, for the audit screen's filter."""
    if not (access.can_manage_users(actor) or access.can_read_audit(actor)):
        return []
    return list(User.select(User.id, User.username).order_by(User.username).tuples())


# -- the beheerder's use cases ---------------------------------------------------------------


def create_user(actor: Actor, staff_id: int, username: str, password: str,
                password_again: str | None = None) -> User:
    """An account for a staff member with an initial password the user changes later.

    The beheerder knows that password: the account's dossier roles wait for a confirmation
    (``services.grants``) before they count.
    """
    _require_admin(actor)
    if password_again is not None and password != password_again:
        raise ServiceError(_("The two passwords differ."))
    staff = Staff.get_or_none(Staff.id == staff_id)
    if staff is None or not staff.active:
        raise ServiceError(_("This staff member no longer exists."))
    if staff.id == actor.staff_id:
        raise ServiceError(_("This staff member already has an account."))
    with write():
        user = accounts.create_user(actor, staff, username, password)
        grants.suspend_after_password(actor, staff.id)
    return user


def set_active(actor: Actor, user_id: int, active: bool, read_version: int) -> User:
    """Disable or enable an account (never one's own, never the last beheerder)."""
    _require_admin(actor)
    with write():
        user = _user(user_id)
        if not active:
            if user.id == actor.user_id:
                raise ServiceError(_("You cannot disable your own account."))
            if _active_admins(excluding_user=user.id) == 0:
                raise ServiceError(_("This is the last active beheerder; appoint another "
                                     "one first."))
            encryption.account_removed(user.username)
        return save_versioned(actor, user, read_version, active=active)


def reset_password(actor: Actor, user_id: int, password: str,
                   password_again: str | None = None) -> None:
    """A new password set by the beheerder; the wait after wrong tries starts over.

    The user must choose their own password at the next sign-in, and the reset is flagged
    (``User.password_reset_at``, in the user list and the audit trail).
    """
    _require_admin(actor)
    if password_again is not None and password != password_again:
        raise ServiceError(_("The two passwords differ."))
    user = _user(user_id)
    accounts.check_password_rules(password, user.username,
                                  accounts.staff_names(user.staff))
    new_hash = accounts.hash_password(password)  # outside the transaction: ~30 ms of work
    with write():
        User.update(password_hash=new_hash, must_change_password=True,
                    password_reset_at=utcnow(), version=User.version + 1).where(
            User.id == user.id).execute()
        accounts.clear_throttle(user.username)
        audit(actor, "password_reset", "user", user.id)
        encryption.password_set(user.username, password)
        grants.suspend_after_password(actor, user.staff_id)


def set_roles(actor: Actor, staff_id: int, roles: Iterable[str], departments: Iterable[str],
              read_version: int) -> Staff:
    """The roles (and, for a department role, the departments) of a staff member."""
    _require_admin(actor)
    wanted = {r.strip() for r in roles if r.strip()}
    unknown = sorted(wanted - set(ROLE_CODES))
    if unknown:
        raise ServiceError(_("Unknown role: {role}").format(role=", ".join(unknown)))
    depts = sorted({d.strip() for d in departments if d.strip()})
    if any("," in d for d in depts):
        raise ServiceError(_("A department name may not contain a comma."))
    with write():
        staff = Staff.get_or_none(Staff.id == staff_id)
        if staff is None:
            raise ServiceError(_("This staff member no longer exists."))
        if "beheerder" not in wanted and "beheerder" in staff.roles.split(","):
            account = User.get_or_none(User.staff == staff.id)
            if account is not None and _active_admins(excluding_user=account.id) == 0:
                raise ServiceError(_("This is the last active beheerder; appoint another "
                                     "one first."))
        roles_text = ",".join(r for r in ROLE_CODES if r in wanted)
        requested = grants.check_role_change(actor, staff.id, staff.roles, staff.departments,
                                             roles_text, ",".join(depts))
        saved = save_versioned(actor, staff, read_version, roles=roles_text,
                               departments=",".join(depts))
        grants.after_role_change(actor, staff.id, requested, roles_text)
        return saved


# -- every user ------------------------------------------------------------------------------


def change_own_password(actor: Actor, old: str, new: str, new_again: str) -> None:
    """The signed-in user's own password: the old one first, the new one twice."""
    if actor.user_id is None:
        raise ServiceError(_("You do not have the rights to do this."))
    if new != new_again:
        raise ServiceError(_("The two passwords differ."))
    user = _user(actor.user_id)
    accounts.check_password_rules(new, user.username, accounts.staff_names(user.staff))
    if new == old:
        raise ServiceError(_("The new password must differ from the old one."))
    try:  # the same check and slow-down as signing in
        accounts.unlock(actor, old, action="password_check")
    except accounts.Throttled:
        raise
    except ServiceError:
        raise ServiceError(_("The current password is not correct.")) from None
    new_hash = accounts.hash_password(new)
    with write():
        User.update(password_hash=new_hash, must_change_password=False,
                    version=User.version + 1).where(User.id == user.id).execute()
        audit(actor, "password_change", "user", user.id)
        encryption.password_changed(user.username, old, new)


# -- the idle lock ---------------------------------------------------------------------------


def lock_minutes() -> int:
    """Minutes without input before a session locks (shared by all PCs; default 10)."""
    value = get_value(LOCK_KEY, DEFAULT_LOCK_MINUTES)
    try:
        minutes = int(value)
    except (TypeError, ValueError):
        return DEFAULT_LOCK_MINUTES
    return min(max(minutes, LOCK_RANGE[0]), LOCK_RANGE[1])


def set_lock_minutes(actor: Actor, minutes: int) -> None:
    _require_admin(actor)
    if not LOCK_RANGE[0] <= int(minutes) <= LOCK_RANGE[1]:
        raise ServiceError(_("Choose between {low} and {high} minutes.").format(
            low=LOCK_RANGE[0], high=LOCK_RANGE[1]))
    set_value(actor, LOCK_KEY, int(minutes))
