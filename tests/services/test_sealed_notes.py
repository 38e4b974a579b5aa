"""Sealed confidential notes: on an encrypted database the vertrouwenspersoon's notes are
sealed to a key that only vertrouwenspersoon slots (and the recovery slot) hold. Whoever
has only the database key (a beheerder, the directie, a copied file with a known password)
sees that a sealed note exists, never its text; a reset password loses access until
another vertrouwenspersoon or the recovery key grants it again."""

from __future__ import annotations

import pytest

from pestdesk.services import accounts, cases, encryption, grants, users
from pestdesk.services.base import ServiceError, write
from pestdesk.store import keyfile
from pestdesk.store.crypto import CryptoError
from pestdesk.store.models import Event, Staff, User, database
from tests.helpers.casework import make_case as casework_case
from tests.helpers.crypt import ADMIN, PASSWORD, encrypted_school, fast_slots
from tests.helpers.school import PASSWORD as SCHOOL_PASSWORD
from tests.helpers.school import build_school

VP_PASSWORD = "Vertrouwen-Is-Goed-2027"
MARKER = "ZEGEL-7f3a-kluis"


def staff_user(admin, code, roles, username, password):
    with write():
        staff = Staff.create(code=code, first_name="Vera", last_name=code, roles=roles)
    return accounts.actor_for(accounts.create_user(admin, staff, username, password))


def make_case(vp) -> int:
    """A case the vertrouwenspersoon registered (so they may write in it)."""
    from pestdesk.store.models import Case

    case_id = casework_case().case_id
    with write():
        Case.update(created_by=vp.user_id).where(Case.id == case_id).execute()
    return case_id


def timeline(actor, case_id):
    return cases.readable_events(cases.timeline_query(case_id, actor=actor).dicts())


def sign_in_as(path, name, password):
    database.close()
    encryption.forget_all()
    return encryption.sign_in(path, name, password)


@pytest.fixture
def school(tmp_path, monkeypatch):
    fast_slots(monkeypatch)
    s = encrypted_school(tmp_path / "school.sqlite")
    admin = accounts.sign_in(ADMIN, PASSWORD)
    staff_user(admin, "VP1", "vertrouwenspersoon", "vp1", VP_PASSWORD)
    staff_user(admin, "VP2", "vertrouwenspersoon", "vp2", VP_PASSWORD)
    staff_user(admin, "DIR", "directie", "dir", VP_PASSWORD)
    yield s
    database.close()


def grant_with_recovery(school, *names):
    """The directeur uses the recovery key (every vertrouwenspersoon is new) to grant."""
    database.close()
    encryption.forget_all()
    directeur = encryption.recover(school.path, school.recovery_key, "dir", VP_PASSWORD,
                                   VP_PASSWORD)
    for name in names:
        encryption.grant_seal(directeur, name)


def test_only_a_vertrouwenspersoon_with_the_seal_reads_the_note(school):
    # a new vertrouwenspersoon has no seal until it is granted
    vp1 = sign_in_as(school.path, "vp1", VP_PASSWORD)
    assert encryption.seal_key() is None
    with pytest.raises(ServiceError):
        encryption.grant_seal(vp1, "vp2")  # not holding it, cannot give it
    grant_with_recovery(school, "vp1")
    vp1 = sign_in_as(school.path, "vp1", VP_PASSWORD)
    assert encryption.seal_key() is not None
    case_id = make_case(vp1)
    event = cases.add_note(vp1, case_id, f"Leerling vertelt: {MARKER}", confidential=True)
    stored = Event.get_by_id(event.id)
    assert MARKER not in stored.body + stored.data and encryption.is_sealed(stored.body)
    assert any(MARKER in row["body"] for row in timeline(vp1, case_id))

    # the beheerder holds the database key, and sees the note exists in no screen...
    admin = sign_in_as(school.path, ADMIN, PASSWORD)
    assert encryption.seal_key() is None
    assert all(row["id"] != event.id for row in timeline(admin, case_id))
    # ...and cannot read it with the key either: the row itself says only "sealed"
    row = Event.select().where(Event.id == event.id).dicts().get()
    opened = encryption.open_note(row)
    assert MARKER not in opened["body"] and opened["sealed"]
    own = keyfile.read(school.path).unlock_password(ADMIN, PASSWORD)
    with pytest.raises(CryptoError):
        keyfile.box_open(own.private, encryption.unb64(row["body"][len(encryption.SEALED):]))


def test_a_reset_password_loses_the_seal_until_another_vertrouwenspersoon_grants_it(school):
    grant_with_recovery(school, "vp1", "vp2")
    vp1 = sign_in_as(school.path, "vp1", VP_PASSWORD)
    case_id = make_case(vp1)
    cases.add_note(vp1, case_id, MARKER, confidential=True)
    # vp1 forgot the password; the beheerder resets it (and so knows the new one)
    admin = sign_in_as(school.path, ADMIN, PASSWORD)
    vp1_id = User.get(User.username == "vp1").id
    users.reset_password(admin, vp1_id, "Nieuw-Door-Beheer-2027")
    vp1 = sign_in_as(school.path, "vp1", "Nieuw-Door-Beheer-2027")
    assert encryption.seal_key() is None
    assert not any(MARKER in row["body"] for row in timeline(vp1, case_id))
    # the directie confirms the role again (services.grants): the note shows, still sealed
    directeur = sign_in_as(school.path, "dir", VP_PASSWORD)
    grants.decide(directeur, [g.id for g in grants.grant_rows(directeur, False) if g.may_decide],
                  True)
    vp1 = sign_in_as(school.path, "vp1", "Nieuw-Door-Beheer-2027")
    assert vp1.has_role("vertrouwenspersoon")
    assert any("Verzegelde notitie" in row["body"] for row in timeline(vp1, case_id))
    # a beheerder cannot grant; the other vertrouwenspersoon can
    admin = sign_in_as(school.path, ADMIN, PASSWORD)
    with pytest.raises(ServiceError):
        encryption.grant_seal(admin, "vp1")
    vp2 = sign_in_as(school.path, "vp2", VP_PASSWORD)
    with pytest.raises(ServiceError):
        encryption.grant_seal(vp2, ADMIN)  # only to a vertrouwenspersoon
    encryption.grant_seal(vp2, "vp1")
    vp1 = sign_in_as(school.path, "vp1", "Nieuw-Door-Beheer-2027")
    assert any(MARKER in row["body"] for row in timeline(vp1, case_id))


def test_encrypting_a_plain_school_seals_its_existing_notes(tmp_path, monkeypatch):
    from pestdesk.store.db import create_database

    fast_slots(monkeypatch)
    path = tmp_path / "plain.sqlite"
    create_database(path)
    s = build_school()
    database.close()
    encryption.encrypt_existing(path, "admin", SCHOOL_PASSWORD)
    database.close()
    encryption.forget_all()
    # the vertrouwenspersoon's own password (a slot made from the stored hash) opens the
    # file, and the seal was granted to it: the note reads as before
    vp = encryption.sign_in(path, "vp", SCHOOL_PASSWORD)
    assert any(row["body"] == "GEHEIM-VP-NOTITIE" for row in timeline(vp, s.cases.a.id))
    sign_in_as(path, "admin", SCHOOL_PASSWORD)
    stored = Event.get_by_id(s.secret.id)
    assert encryption.is_sealed(stored.body) and "GEHEIM" not in stored.body
    assert b"GEHEIM-VP-NOTITIE" not in path.read_bytes()
