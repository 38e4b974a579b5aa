"""Accounts and sign-in: Argon2id at OWASP's minimum, rehash, the persisted slow-down, the
beheerder's user management and changing one's own password."""

from __future__ import annotations

import datetime as dt

import pytest
from argon2 import PasswordHasher

from pestdesk.i18n import _
from pestdesk.services import accounts, users
from pestdesk.services.base import SYSTEM, Conflict, ServiceError, write
from pestdesk.store.models import AuditLog, SignInThrottle, Staff, User, utcnow
from tests.helpers.roles import confirm_all_grants

PASSWORD = "lang genoeg wachtwoord"


def staff(code: str, roles: str) -> Staff:
    with write():
        return Staff.create(code=code, last_name=f"Werker {code}", roles=roles)


@pytest.fixture
def admin(db):
    user = accounts.create_user(SYSTEM, staff("BEH", ""), "beheer", PASSWORD)
    return accounts.actor_for(User.get_by_id(user.id))


@pytest.fixture
def mentor(admin):
    """A mentor's account as the app leaves it after the first sign-in: the password the
    beheerder chose was changed (here to another and back, so PASSWORD still opens it)."""
    user = users.create_user(admin, staff("MEN", "mentor").id, "mentor", PASSWORD)
    first = accounts.actor_for(User.get_by_id(user.id))
    users.change_own_password(first, PASSWORD, PASSWORD + "!", PASSWORD + "!")
    users.change_own_password(first, PASSWORD + "!", PASSWORD, PASSWORD)
    return accounts.actor_for(User.get_by_id(user.id))


def test_first_user_becomes_beheerder(admin):
    assert admin.has_role("beheerder")
    assert "beheerder" in Staff.get_by_id(admin.staff_id).roles


def test_hash_is_argon2id_at_owasp_minimum_or_above(admin):
    stored = User.get_by_id(admin.user_id).password_hash
    assert stored.startswith("$argon2id$")
    params = dict(p.split("=") for p in stored.split("$")[3].split(","))
    assert int(params["m"]) >= 19 * 1024 and int(params["t"]) >= 2 and int(params["p"]) >= 1
    assert PASSWORD not in stored


def test_sign_in_is_audited(admin):
    actor = accounts.sign_in("  BEHEER ", PASSWORD)  # timed in bench/bench_casework.py
    assert actor.user_id == admin.user_id and actor.has_role("beheerder")
    last = AuditLog.select().order_by(AuditLog.id.desc()).get()
    assert (last.action, last.table, last.record_id, last.user) == (
        "login", "user", admin.user_id, admin.user_id)
    assert User.get_by_id(admin.user_id).last_login_at is not None


def test_weaker_hash_is_replaced_at_sign_in(admin):
    weak = PasswordHasher(time_cost=1, memory_cost=8 * 1024, parallelism=1).hash(PASSWORD)
    with write():
        User.update(password_hash=weak).where(User.id == admin.user_id).execute()
    accounts.sign_in("beheer", PASSWORD)
    stored = User.get_by_id(admin.user_id).password_hash
    assert stored != weak and "m=19456,t=2,p=1" in stored
    accounts.sign_in("beheer", PASSWORD)  # the new hash verifies


def test_unknown_user_and_wrong_password_give_the_same_answer(admin):
    with pytest.raises(ServiceError) as unknown:
        accounts.sign_in("niemand", PASSWORD)
    with pytest.raises(ServiceError) as wrong:
        accounts.sign_in("beheer", "verkeerd wachtwoord")
    assert str(unknown.value) == str(wrong.value)


def _throttle(name: str) -> SignInThrottle | None:
    return SignInThrottle.get_or_none(SignInThrottle.key == accounts.throttle_key(name))


def test_wrong_passwords_slow_down_and_the_count_is_persisted(admin):
    for _attempt in range(accounts.FREE_ATTEMPTS):
        with pytest.raises(ServiceError) as refused:
            accounts.sign_in("beheer", "verkeerd wachtwoord")
        assert not isinstance(refused.value, accounts.Throttled)
    row = _throttle("beheer")
    assert row.failed_attempts == accounts.FREE_ATTEMPTS and row.last_failed_at is not None
    assert "beheer" not in row.key  # a keyed hash, never the typed name
    # now even the right password is not checked until the wait is over
    with pytest.raises(accounts.Throttled) as waiting:
        accounts.sign_in("beheer", PASSWORD)
    assert 0 < waiting.value.seconds <= accounts.wait_seconds(accounts.FREE_ATTEMPTS)
    assert str(waiting.value.seconds) in str(waiting.value)
    assert _throttle("beheer").failed_attempts == accounts.FREE_ATTEMPTS
    # the wait has passed (as if the app had been restarted later): the right password works
    with write():
        SignInThrottle.update(last_failed_at=utcnow() - dt.timedelta(minutes=1)).execute()
    accounts.sign_in("beheer", PASSWORD)
    assert _throttle("beheer") is None


def test_unknown_and_known_names_are_throttled_alike(admin):
    """OWASP: the answers do not tell which user names exist, throttled or not."""
    answers = {}
    for name in ("beheer", "niemand"):
        seen = []
        for _attempt in range(accounts.FREE_ATTEMPTS + 1):
            with pytest.raises(ServiceError) as refused:
                accounts.sign_in(name, "verkeerd wachtwoord")
            seen.append((type(refused.value).__name__, str(refused.value)))
        answers[name] = seen
    assert answers["beheer"] == answers["niemand"]
    assert answers["niemand"][-1][0] == "Throttled"


def test_a_disabled_account_answers_like_an_unknown_name(admin, mentor):
    users.set_active(admin, mentor.user_id, False, User.get_by_id(mentor.user_id).version)
    with pytest.raises(ServiceError) as disabled:
        accounts.sign_in("mentor", PASSWORD)  # the right password
    with pytest.raises(ServiceError) as unknown:
        accounts.sign_in("niemand", PASSWORD)
    assert str(disabled.value) == str(unknown.value)
    assert type(disabled.value) is type(unknown.value) is ServiceError


def test_the_dummy_hash_costs_what_a_real_check_costs():
    """Unknown names are verified against DUMMY_HASH: made with today's parameters."""
    assert not accounts.hasher().check_needs_rehash(accounts.DUMMY_HASH)
    assert not accounts._verify(accounts.DUMMY_HASH, "")


def test_wait_doubles_and_is_capped():
    waits = [accounts.wait_seconds(n) for n in range(8)]
    assert waits[:3] == [0, 0, 0]
    assert waits[3:] == [2, 4, 8, 16, 32]
    assert accounts.wait_seconds(40) == accounts.MAX_WAIT


def test_password_rules(admin):
    s = staff("NEW", "mentor")
    for bad in ("kort", "elf tekens.", "x" * 300, "nieuwe", "password", "Password1234",
                "1qaz2wsx3edc"):
        with pytest.raises(ServiceError):
            users.create_user(admin, s.id, "nieuwe" if bad != "nieuwe" else "nieuwe", bad)
    with pytest.raises(ServiceError, match="verschillen"):
        users.create_user(admin, s.id, "nieuwe", PASSWORD, PASSWORD + "!")
    assert not User.select().where(User.username == "nieuwe").exists()


def test_only_a_beheerder_manages_users(admin, mentor):
    s = staff("ANDER", "mentor")
    with pytest.raises(ServiceError):
        users.create_user(mentor, s.id, "ander", PASSWORD)
    with pytest.raises(ServiceError):
        users.reset_password(mentor, admin.user_id, "nieuw wachtwoord!")
    with pytest.raises(ServiceError):
        users.set_roles(mentor, s.id, ["directie"], [], 1)
    assert users.UserList(actor=mentor).count() == 0
    assert users.UserList(actor=admin).count() == 2


def test_one_account_per_staff_member(admin, mentor):
    with pytest.raises(ServiceError):
        users.create_user(admin, mentor.staff_id, "tweede", PASSWORD)


def test_disable_enable_and_the_last_beheerder(admin, mentor):
    with pytest.raises(ServiceError):
        users.set_active(admin, admin.user_id, False, 1)  # not oneself
    version = User.get_by_id(mentor.user_id).version
    users.set_active(admin, mentor.user_id, False, version)
    with pytest.raises(ServiceError):
        accounts.sign_in("mentor", PASSWORD)
    with pytest.raises(Conflict):
        users.set_active(admin, mentor.user_id, True, version)  # stale version
    users.set_active(admin, mentor.user_id, True, version + 1)
    accounts.sign_in("mentor", PASSWORD)
    admin_staff = Staff.get_by_id(admin.staff_id)
    with pytest.raises(ServiceError, match="beheerder"):
        users.set_roles(admin, admin_staff.id, ["mentor"], [], admin_staff.version)


def test_inactive_staff_member_cannot_sign_in(mentor):
    with write():
        Staff.update(active=False).where(Staff.id == mentor.staff_id).execute()
    with pytest.raises(ServiceError):
        accounts.sign_in("mentor", PASSWORD)


def test_roles_and_departments_on_the_staff_member(admin, mentor):
    s = Staff.get_by_id(mentor.staff_id)
    users.set_roles(admin, s.id, ["afdelingscoordinator", "mentor"], ["onderbouw"], s.version)
    detail = users.user_detail(admin, mentor.user_id)
    assert detail.roles == ["mentor", "afdelingscoordinator"]
    assert detail.departments == ["onderbouw"]
    # the dossier roles count once a directie member has confirmed them (services.grants)
    assert not accounts.sign_in("mentor", PASSWORD).has_role("afdelingscoordinator")
    assert confirm_all_grants() == 2  # mentor (account made by the beheerder), afdeling
    assert accounts.sign_in("mentor", PASSWORD).roles == {"afdelingscoordinator", "mentor"}
    with pytest.raises(ServiceError):
        users.set_roles(admin, s.id, ["koning"], [], detail.staff_version)
    line = AuditLog.select().where(AuditLog.table == "staff").order_by(AuditLog.id.desc()).get()
    assert line.detail == "departments,roles"


def test_reset_password_clears_the_wait(admin, mentor):
    for _attempt in range(accounts.FREE_ATTEMPTS + 1):
        with pytest.raises(ServiceError):
            accounts.sign_in("mentor", "fout fout fout")
    users.reset_password(admin, mentor.user_id, "tijdelijk wachtwoord")
    reset = accounts.sign_in("mentor", "tijdelijk wachtwoord")
    assert reset.user_id == mentor.user_id
    last = AuditLog.select().where(AuditLog.action == "password_reset").get()
    assert last.user == admin.user_id and last.record_id == mentor.user_id
    # the reset is flagged and the user must choose their own password first
    assert reset.must_change_password
    assert User.get_by_id(mentor.user_id).password_reset_at is not None
    users.change_own_password(reset, "tijdelijk wachtwoord", "eigen wachtwoord!",
                              "eigen wachtwoord!")
    assert not accounts.sign_in("mentor", "eigen wachtwoord!").must_change_password


def test_change_own_password(mentor):
    with pytest.raises(ServiceError, match="verschillen"):
        users.change_own_password(mentor, PASSWORD, "nieuw wachtwoord", "nieuw wachtwoordd")
    with pytest.raises(ServiceError) as wrong_old:
        users.change_own_password(mentor, "fout!", "nieuw wachtwoord", "nieuw wachtwoord")
    assert str(wrong_old.value) == _("The current password is not correct.")
    users.change_own_password(mentor, PASSWORD, "nieuw wachtwoord", "nieuw wachtwoord")
    with pytest.raises(ServiceError):
        accounts.sign_in("mentor", PASSWORD)
    assert accounts.sign_in("mentor", "nieuw wachtwoord").user_id == mentor.user_id
    details = [a.detail for a in AuditLog.select()]
    assert not any("wachtwoord" in d for d in details)


def test_unlock_checks_the_signed_in_users_password(mentor):
    with pytest.raises(ServiceError):
        accounts.unlock(mentor, "fout fout")
    assert accounts.unlock(mentor, PASSWORD).user_id == mentor.user_id
    actions = [a.action for a in AuditLog.select().where(AuditLog.record_id == mentor.user_id)
               .where(AuditLog.table == "user").order_by(AuditLog.id)]
    assert actions[-2:] == ["unlock_failed", "unlock"]


def test_lock_minutes_setting(admin, mentor):
    assert users.lock_minutes() == users.DEFAULT_LOCK_MINUTES == 10
    users.set_lock_minutes(admin, 5)
    assert users.lock_minutes() == 5
    with pytest.raises(ServiceError):
        users.set_lock_minutes(admin, 0)
    with pytest.raises(ServiceError):
        users.set_lock_minutes(mentor, 30)
    assert users.lock_minutes() == 5


def test_an_account_made_by_a_beheerder_changes_its_password_first(admin):
    """The beheerder chose that password: the new user must choose their own at the first
    sign-in (as after a reset), and the beheerder's setting it is in the trail."""
    made = users.create_user(admin, staff("NIE", "mentor").id, "nieuw", PASSWORD)
    first = accounts.sign_in("nieuw", PASSWORD)
    assert first.must_change_password
    line = AuditLog.get((AuditLog.action == "password_set") & (AuditLog.record_id == made.id))
    assert line.user == admin.user_id
    # the command line has no dialog for it: it refuses, and says so in the trail
    with pytest.raises(ServiceError, match="eigen wachtwoord|your own password"):
        accounts.require_own_password(first)
    assert AuditLog.select().where((AuditLog.action == "login_refused")
                                   & (AuditLog.record_id == made.id)).exists()
    users.change_own_password(first, PASSWORD, "eigen wachtwoord!", "eigen wachtwoord!")
    again = accounts.sign_in("nieuw", "eigen wachtwoord!")
    assert not again.must_change_password
    accounts.require_own_password(again)  # no refusal now
    # the very first user chose their own password
    assert not admin.must_change_password


def test_passwords_a_guesser_tries_first_are_refused(admin):
    """Beyond the common list: the person's own names, user name and school, too few
    different characters, keyboard rows and columns, sequences, repetitions -- each with a
    clear Dutch reason; a passphrase passes."""
    from pestdesk.services import settings

    with write():
        settings.set_value(SYSTEM, settings.PROFILE_KEY, {"name": "Het Baken College"})
    person = staff("JAN", "mentor")
    with write():
        Staff.update(first_name="Piet", last_name="Jansen").where(Staff.id == person.id).execute()
    refused = {
        "Jansen-zomer-2026": "naam",          # the last name
        "zomer-pjansen-x!": "naam",           # the user name
        "ik-werk-op-het-BAKEN!": "naam",      # a word of the school's name
        "Çelik.Piet.2026": "naam",            # the first name, whatever around it
        "aaaaaaaaaaaab": "verschillende",     # too few different characters
        "abc1abc1abc1abc1": "verschillende",
        "qwertyuiop12": "toetsenbord",        # a keyboard row
        "1qaz2wsx3edc4rfv": "toetsenbord",    # keyboard columns
        "azertyuiop123": "toetsenbord",       # the Belgian/French row
        "Welkom123456": "toetsenbord",        # a word and a sequence
        "abcdefghijkl": "toetsenbord",        # the alphabet
    }
    for password, reason in refused.items():
        with pytest.raises(ServiceError, match=reason):
            users.create_user(admin, person.id, "pjansen", password)
    assert not User.select().where(User.username == "pjansen").exists()
    made = users.create_user(admin, person.id, "pjansen", "fiets-boom-7kaas")
    # a reset and the user's own change go through the same rules
    with pytest.raises(ServiceError, match="naam"):
        users.reset_password(admin, made.id, "Piet-op-de-fiets")
    users.reset_password(admin, made.id, "appel peer banaan")
    own = accounts.sign_in("pjansen", "appel peer banaan")
    with pytest.raises(ServiceError, match="toetsenbord"):
        users.change_own_password(own, "appel peer banaan", "0987654321poiuy",
                                  "0987654321poiuy")


def test_a_reset_password_does_not_unlock_the_users_locked_session(admin, mentor):
    """Attack: the beheerder resets a colleague's password and types it at that colleague's
    locked screen. The session (their rights, their keys) stays locked; the user signs out
    and in again and chooses their own password."""
    users.reset_password(admin, mentor.user_id, "tijdelijk wachtwoord")
    with pytest.raises(ServiceError, match="opnieuw aan|sign in again"):
        accounts.unlock(mentor, "tijdelijk wachtwoord")
    with pytest.raises(ServiceError):
        accounts.unlock(mentor, PASSWORD)  # the old password is gone too
    assert AuditLog.select().where((AuditLog.action == "login_refused")
                                   & (AuditLog.detail == "unlock_after_reset")).exists()
    # the forced change itself checks the reset password the same way, and works
    again = accounts.sign_in("mentor", "tijdelijk wachtwoord")
    users.change_own_password(again, "tijdelijk wachtwoord", "eigen wachtwoord!",
                              "eigen wachtwoord!")
    assert accounts.unlock(mentor, "eigen wachtwoord!").user_id == mentor.user_id
