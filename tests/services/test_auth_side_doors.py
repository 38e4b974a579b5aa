"""Role x record x side door for accounts, roles and people: every role, the beheerder, the
vakdocent and a user without a staff member, through each path that returns people or
changes who may read (services, import, the account use cases). A refusal must hold by every
path, not only the screen that hides the button."""

from __future__ import annotations

import pytest

from pestdesk.services import access, accounts, grants, people, staff, users
from pestdesk.services.base import ServiceError, write
from pestdesk.store.models import Guardian, StudentGuardian, User
from tests.helpers.school import PASSWORD, build_school

# who may see the parents of 1001 (1A) and of 4001 (4H), by role
PARENT_OF_1A = {"admin", "mentor_a", "coord", "zoco", "directie", "zorgteam"}
PARENT_OF_4H = {"admin", "mentor_a", "coord_bb", "zoco", "directie", "zorgteam"}
MAY_EDIT_GUARDIANS = set(staff.GUARDIAN_ROLES)


@pytest.fixture
def school(db):
    school = build_school()
    with write():
        for number in ("1001", "4001"):
            parent = Guardian.create(last_name=f"Ouder{number}", street=f"Straat{number}",
                                     city="Alkmaar")
            StudentGuardian.create(student=school.students[number], guardian=parent)
        nobody = User.create(staff=None, username="zonder",
                             password_hash=accounts.hash_password(PASSWORD))
    school.actors["zonder"] = accounts.actor_for(nobody)
    return school


def _guardian_search(actor) -> set[str] | str:
    try:
        return {m.address.split(",")[0] for m in staff.search_guardians(actor, "Alkmaar")}
    except ServiceError:
        return "refused"


@pytest.mark.parametrize("who", ["admin", "mentor_a", "mentor_b", "coord", "coord_bb", "zoco",
                                 "directie", "zorgteam", "vp", "docent", "zonder"])
def test_guardians_by_role(school, who):
    actor = school.actors[who]
    found = _guardian_search(actor)
    if not actor.has_role(*MAY_EDIT_GUARDIANS):
        assert found == "refused"
        return
    expected = ({"Straat1001"} if who in PARENT_OF_1A else set()) | (
        {"Straat4001"} if who in PARENT_OF_4H else set())
    assert found == expected
    hidden = Guardian.get(Guardian.street == "Straat4001")
    if "Straat4001" not in expected:
        with pytest.raises(ServiceError):
            staff.link_guardian(actor, school.students["2001"].id, hidden.id)


@pytest.mark.parametrize("who", ["admin", "docent", "zonder", "mentor_a", "zorgteam", "vp"])
def test_no_role_change_by_anyone_but_the_rule(school, who, tmp_path):
    """Nobody but a beheerder asks for roles, nobody gives themselves one, and what is asked
    counts only after a directie member confirms — by the users screen, the staff dialog and
    the import alike."""
    actor = school.actors[who]
    target = school.staff["docent"] if who != "docent" else school.staff["mentor_b"]
    path = tmp_path / "p.csv"
    path.write_text(f"Afkorting;Achternaam;Functie\n{target.code};Werker;Directeur\n",
                    encoding="utf-8")
    paths = {
        "set_roles": lambda: users.set_roles(actor, target.id, ["directie"], [], 1),
        "save_staff": lambda: staff.save_staff(actor, staff.StaffForm(
            code=target.code, last_name="Werker", roles=["directie"], id=target.id,
            version=1)),
        "import": lambda: people.import_staff(actor, path),
    }
    for name, attempt in paths.items():
        try:
            result = attempt()
        except ServiceError:
            continue
        if name == "import" and not result.applied:
            continue
        assert actor.has_role("beheerder"), (who, name)
    signed = accounts.sign_in(User.get(User.staff == target.id).username, PASSWORD)
    assert "directie" not in signed.roles
    assert not grants.may_confirm(actor) or actor.has_role("directie", "vertrouwenspersoon")


def test_a_user_without_staff_reads_nothing_and_names_nobody(school):
    actor = school.actors["zonder"]
    assert actor.roles == frozenset()
    assert not people.search_students_query("", actor=actor).exists()
    assert not people.search_students_query("", actor=actor, to_report=True).exists()
    assert not access.visible_case_ids(actor).exists()
    assert grants.grant_rows(actor) == [] and users.UserList(actor=actor).count() == 0


def test_the_beheerder_reads_no_dossier_and_names_nobody(school):
    admin = school.actors["admin"]
    assert not access.visible_case_ids(admin).exists()
    assert not people.search_students_query("", actor=admin, to_report=True).exists()
    assert access.event_visibility(admin) is not None
    for case in vars(school.cases).values():
        assert not access.can_view_case(admin, case.id)
