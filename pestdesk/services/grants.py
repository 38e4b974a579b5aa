"""Separation of duties: who may give which role, and when a role that opens dossiers counts.

The one place for the rule. ``staff.save_staff`` (the staff dialog), ``users.set_roles`` (the
users screen), ``people.import_staff`` (the staff import, in the app and on the command line)
and the account use cases (``users.create_user``, ``users.reset_password``) all call it.

Roles (``Staff.roles``) and what giving them takes:

- ``vakdocent`` records a signal and reads no dossier: anyone who manages staff gives it.
- ``beheerder`` manages accounts, imports, backups and settings and reads no dossier: only a
  beheerder gives or takes it (never the last one, see ``services.users``).
- ``DOSSIER_ROLES`` (mentor, afdelingscoordinator, ondersteuningscoordinator, zorgteam,
  vertrouwenspersoon, directie) open dossiers. A beheerder may *ask* for one (a staff
  manager who is not beheerder only for mentor, on a new staff member, as before); it is
  stored on the staff member at once but does not count (``effective_roles``) until a
  directie member *confirms* it (``decide``). Mentor is one of them: a mentor reads the cases
  of whole classes, and a beheerder could otherwise give it to a made-up colleague with an
  account whose password they chose. Taking a role away needs nobody's confirmation.
- Nobody gives roles or departments to themselves (removing one's own is allowed).
- Departments (of an afdelingscoordinator) and class mentors change the scope of a confirmed
  role holder: a beheerder sets them directly (not for themselves).

Who confirms: a user whose (confirmed) roles include directie, who neither asked for the
grant nor receives it. Bootstrap: while the school has never had a confirmed directie (a
new school: only the set-up user, beheerder and ondersteuningscoordinator, exists), a user
with a confirmed ondersteuningscoordinator role confirms instead (never their own roles);
that user already reads every dossier, so it opens nothing they do not see. The first
directie confirmed (or signing in) ends the bootstrap for good: taking the role away or
disabling the account later does not bring it back (``bootstrapping``).

Passwords: when a beheerder sets the password of an account (a new account, a reset), the
dossier roles of that account are suspended as "password" grants until confirmed again
(by directie; a vertrouwenspersoon's also by another vertrouwenspersoon): whoever set the
password could sign in as that person, so it must not open their dossiers or the
vertrouwenspersoon's confidential notes. (The encryption issue will seal those notes with the
confidant's own key; until then this suspension is what keeps them closed.)

Every request, confirmation and refusal is an audit line; the directie sees the open ones and
the recent decisions (``GrantList``), the beheerder sees the state of what they asked.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from peewee import JOIN, fn

from ..i18n import _
from ..store.models import RoleGrant, Setting, Staff, User, utcnow
from . import access
from .base import Actor, ServiceError, audit, write

ADMIN_ROLE = "beheerder"
PLAIN_ROLES = frozenset({"vakdocent"})
DOSSIER_ROLES = frozenset({"mentor", "afdelingscoordinator", "ondersteuningscoordinator",
                           "zorgteam", "vertrouwenspersoon", "directie"})
CONFIRMER_ROLE = "directie"
BOOTSTRAP_ROLES = frozenset({"ondersteuningscoordinator", "zorgcoordinator"})
# a staff manager who is not beheerder may give these on a new staff member
MANAGER_ROLES = frozenset({"mentor", "vakdocent"})
PENDING = "pending"
SUSPENDING_KINDS = ("role", "password")  # a pending grant of these kinds does not count
#: setting: the school has had a confirmed directie; the bootstrap is over for good
ESTABLISHED_KEY = "role_grants_established"


def _roles(text: str | Iterable[str]) -> set[str]:
    items = text.split(",") if isinstance(text, str) else text
    return {r.strip() for r in items if r and r.strip()}


def _departments(text: str) -> set[str]:
    return {d.strip().lower() for d in (text or "").split(",") if d.strip()}


# -- what counts ------------------------------------------------------------------------------


def pending_roles(staff_id: int) -> set[str]:
    """Roles of ``staff_id`` that wait for a confirmation (they do not count yet)."""
    return {row[0] for row in RoleGrant.select(RoleGrant.value)
            .where((RoleGrant.staff == staff_id) & (RoleGrant.status == PENDING)
                   & RoleGrant.kind.in_(SUSPENDING_KINDS)).tuples()}


def effective_roles(staff: Staff | None) -> frozenset[str]:
    """The roles that count for ``staff`` now: stored minus those waiting for confirmation."""
    if staff is None:
        return frozenset()
    return frozenset(_roles(staff.roles) - pending_roles(staff.id))


# -- asking -----------------------------------------------------------------------------------


def check_role_change(actor: Actor, staff_id: int | None, old_roles: str, old_departments: str,
                      new_roles: str, new_departments: str) -> set[str]:
    """Refuse a change ``actor`` may not make (``ServiceError``); else return the dossier
    roles it asks for (to be confirmed). Every path that changes roles calls this."""
    old, new = _roles(old_roles), _roles(new_roles)
    added, removed = new - old, old - new
    depts_added = _departments(new_departments) - _departments(old_departments)
    depts_changed = _departments(new_departments) != _departments(old_departments)
    if not (added or removed or depts_changed):
        return set()
    own = staff_id is not None and staff_id == actor.staff_id
    if own and (added or depts_added):
        raise ServiceError(_("You cannot give yourself roles or departments; another "
                             "beheerder does that."))
    if actor.has_role(ADMIN_ROLE):
        return added & DOSSIER_ROLES
    if staff_id is None and new <= MANAGER_ROLES and not new_departments.strip():
        return added & DOSSIER_ROLES
    raise ServiceError(_("Only a beheerder can give or change roles and departments."))


def request_roles(actor: Actor, staff_id: int, roles: Iterable[str], kind: str = "role") -> int:
    """Store pending grants for ``roles`` of ``staff_id`` (inside ``write()``); a role that
    already waits is not asked twice. Returns how many were asked."""
    waiting = pending_roles(staff_id)
    asked = 0
    for role in sorted(set(roles) - waiting):
        grant = RoleGrant.create(staff=staff_id, kind=kind, value=role,
                                 requested_by=actor.user_id, requested_at=utcnow())
        audit(actor, f"grant_request_{kind}", "role_grant", grant.id, role)
        asked += 1
    return asked


def withdraw_removed(actor: Actor, staff_id: int, roles_now: str) -> None:
    """Pending grants for roles the staff member no longer has are withdrawn."""
    keep = _roles(roles_now)
    for grant in RoleGrant.select().where((RoleGrant.staff == staff_id)
                                          & (RoleGrant.status == PENDING)):
        if grant.value not in keep:
            RoleGrant.update(status="withdrawn", decided_by=actor.user_id,
                             decided_at=utcnow()).where(RoleGrant.id == grant.id).execute()
            audit(actor, "grant_withdraw", "role_grant", grant.id, grant.value)


def after_role_change(actor: Actor, staff_id: int, requested: set[str], roles_now: str) -> None:
    """Call after saving a role change (inside the same ``write()``)."""
    withdraw_removed(actor, staff_id, roles_now)
    if requested:
        request_roles(actor, staff_id, requested)


def suspend_after_password(actor: Actor, staff_id: int | None) -> int:
    """A beheerder set this account's password: its dossier roles wait for a confirmation
    again (call inside ``write()``). Returns how many roles were suspended."""
    if staff_id is None:
        return 0
    staff = Staff.get_or_none(Staff.id == staff_id)
    if staff is None:
        return 0
    return request_roles(actor, staff_id, _roles(staff.roles) & DOSSIER_ROLES, "password")


# -- confirming -------------------------------------------------------------------------------


def _confirmed_holders(roles: Iterable[str]):
    """Active accounts of active staff holding one of ``roles``, confirmed (a subquery)."""
    waiting = RoleGrant.alias("holder_grant")
    parts = [fn.INSTR("," + Staff.roles + ",", f",{role},") > 0 for role in roles]
    holds = parts[0]
    for part in parts[1:]:
        holds = holds | part
    return (User.select(User.id).join(Staff, on=(User.staff == Staff.id))
            .where((User.active == True) & (Staff.active == True) & holds  # noqa: E712
                   & ~fn.EXISTS(waiting.select(waiting.id).where(
                       (waiting.staff == Staff.id) & (waiting.status == PENDING)
                       & waiting.kind.in_(SUSPENDING_KINDS)
                       & waiting.value.in_(list(roles))))))


def bootstrapping() -> bool:
    """A new school: no directie member has ever been confirmed or signed in.

    One way only: once the school has had a confirmed directie (a confirmed grant, or a
    directie member who signed in: ``note_sign_in``), taking the role away or disabling the
    account does not reopen the bootstrap. Else the set-up user (beheerder and care
    coordinator) could strip the directie, reset the vertrouwenspersoon's password, confirm
    it themselves and read the confidential notes."""
    if Setting.select().where(Setting.key == ESTABLISHED_KEY).exists():
        return False
    if RoleGrant.select().where((RoleGrant.value == CONFIRMER_ROLE)
                                & (RoleGrant.status == "confirmed")).exists():
        return False
    return not _confirmed_holders([CONFIRMER_ROLE]).exists()


def _establish() -> None:
    """Remember for good that the school has a confirmed directie (inside ``write()``)."""
    Setting.insert(key=ESTABLISHED_KEY, value="true").on_conflict_ignore().execute()


def note_sign_in(actor: Actor) -> None:
    """A signed-in directie member (confirmed) ends the bootstrap for good (inside the
    sign-in's ``write()``)."""
    if actor.has_role(CONFIRMER_ROLE):
        _establish()


def _decidable(actor: Actor, bootstrap: bool):
    """A WHERE expression over ``RoleGrant``: the pending grants ``actor`` may decide."""
    G = RoleGrant
    if actor.user_id is None or actor.must_change_password:
        return access.nothing()
    not_own = (G.staff != actor.staff_id) if actor.staff_id is not None else access.everything()
    parts = []
    if actor.has_role(CONFIRMER_ROLE):
        parts.append(not_own & ((G.requested_by != actor.user_id) | G.requested_by.is_null()))
    if actor.has_role("vertrouwenspersoon"):
        parts.append(not_own & (G.kind == "password") & (G.value == "vertrouwenspersoon")
                     & ((G.requested_by != actor.user_id) | G.requested_by.is_null()))
    if bootstrap and actor.has_role(*BOOTSTRAP_ROLES):
        parts.append(not_own)
    if not parts:
        return access.nothing()
    expression = parts[0]
    for part in parts[1:]:
        expression = expression | part
    return (G.status == PENDING) & expression


def may_confirm(actor: Actor) -> bool:
    """Whether ``actor`` decides grants at all (the menu entry)."""
    return (actor.has_role(CONFIRMER_ROLE, "vertrouwenspersoon")
            or (actor.has_role(*BOOTSTRAP_ROLES) and bootstrapping()))


def may_see_grants(actor: Actor) -> bool:
    return may_confirm(actor) or actor.has_role(ADMIN_ROLE)


def decide(actor: Actor, grant_ids: Iterable[int], confirm: bool) -> int:
    """Confirm (or refuse) pending grants, all or none, in one write transaction; a grant the
    actor may not decide refuses the lot. Refusing removes the role from the staff member.
    Returns how many were decided."""
    ids = sorted(set(grant_ids))
    if not ids:
        return 0
    with write():
        return _decide(actor, ids, confirm)


def _decide(actor: Actor, ids: list[int], confirm: bool) -> int:
    allowed = {row[0] for row in RoleGrant.select(RoleGrant.id).where(
        RoleGrant.id.in_(ids) & _decidable(actor, bootstrapping())).tuples()}
    if allowed != set(ids):
        raise ServiceError(_("You may not decide on one of these role requests (any more)."))
    now = utcnow()
    for grant in RoleGrant.select().where(RoleGrant.id.in_(ids)).order_by(RoleGrant.id):
        RoleGrant.update(status="confirmed" if confirm else "refused",
                         decided_by=actor.user_id, decided_at=now).where(
            RoleGrant.id == grant.id).execute()
        audit(actor, "grant_confirm" if confirm else "grant_refuse", "role_grant", grant.id,
              grant.value)
        if confirm and grant.value == CONFIRMER_ROLE:
            _establish()
        if not confirm:
            staff = Staff.get_by_id(grant.staff_id)
            roles = ",".join(r for r in staff.roles.split(",") if r and r != grant.value)
            Staff.update(roles=roles, version=Staff.version + 1, updated_at=now).where(
                Staff.id == staff.id).execute()
            audit(actor, "update", "staff", staff.id, "roles")
    return len(ids)


# -- listing ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class GrantRow:
    id: int
    staff_code: str
    staff_name: str
    kind: str  # role, password
    role: str
    requested_by: str  # user name, or "" for the command line
    requested_at: object
    status: str
    decided_by: str
    may_decide: bool


def grant_rows(actor: Actor, include_decided: bool = True, limit: int = 200) -> list[GrantRow]:
    """Pending grants first, then the latest decisions; for directie, confirmers and the
    beheerder (who sees what was asked and what became of it). Nobody else gets rows."""
    if not may_see_grants(actor):
        return []
    G = RoleGrant
    asker, decider = User.alias("asker"), User.alias("decider")
    query = (G.select(G.id, Staff.code, Staff.first_name, Staff.tussenvoegsel, Staff.last_name,
                      G.kind, G.value, asker.username.alias("asker"), G.requested_at, G.status,
                      decider.username.alias("decider"),
                      _decidable(actor, bootstrapping()).alias("may"))
             .join(Staff, on=(G.staff == Staff.id))
             .join(asker, JOIN.LEFT_OUTER, on=(G.requested_by == asker.id))
             .join(decider, JOIN.LEFT_OUTER, on=(G.decided_by == decider.id)))
    if not include_decided:
        query = query.where(G.status == PENDING)
    query = query.order_by((G.status != PENDING), G.id.desc()).limit(limit)
    return [GrantRow(r["id"], r["code"],
                     " ".join(p for p in (r["first_name"], r["tussenvoegsel"], r["last_name"])
                              if p),
                     r["kind"], r["value"], r["asker"] or "", r["requested_at"], r["status"],
                     r["decider"] or "", bool(r["may"]))
            for r in query.dicts()]


def pending_count(actor: Actor) -> int:
    """How many grants wait for ``actor``'s decision."""
    if actor.user_id is None:
        return 0
    return RoleGrant.select().where(_decidable(actor, bootstrapping())).count()
