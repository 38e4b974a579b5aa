"""Separation of duties (services.grants): a beheerder manages accounts but cannot open
dossiers, to itself or anyone, alone — by the users screen, the staff dialog, the staff import
(in the app and on the command line), a new account or a password reset."""

from __future__ import annotations

import pytest

from pestdesk.services import access, accounts, grants, users
from pestdesk.services.base import SYSTEM, ServiceError, write
from pestdesk.services.people import import_staff
from pestdesk.services.staff import ClassForm, StaffForm, class_form, save_class, save_staff
from pestdesk.store.models import AuditLog, Event, RoleGrant, Staff, Student, User
from tests.helpers.school import PASSWORD, build_school


@pytest.fixture
def school(db):
    return build_school()


def _sign_in(name: str, password: str = PASSWORD):
    return accounts.sign_in(name, password)


def _own_password(name: str, password: str = PASSWORD):
    """Sign in with a password the beheerder set and change it, as the app makes the user
    do (to another and back, so the test's password still opens the account)."""
    actor = accounts.sign_in(name, password)
    users.change_own_password(actor, password, password + " eigen", password + " eigen")
    actor = accounts.sign_in(name, password + " eigen")
    users.change_own_password(actor, password + " eigen", password, password)
    return accounts.sign_in(name, password)


def _staff(school, key: str) -> Staff:
    return Staff.get_by_id(school.staff[key].id)


def _secret_visible(actor, school) -> bool:
    return (Event.select().where((Event.id == school.secret.id)
                                 & access.event_visibility(actor)).exists())


def test_a_beheerder_cannot_give_itself_a_dossier_role_by_any_path(school, tmp_path):
    admin = school.actors["admin"]
    me = _staff(school, "admin")
    with pytest.raises(ServiceError, match="uzelf"):
        users.set_roles(admin, me.id, ["beheerder", "directie"], [], me.version)
    form = StaffForm(code=me.code, first_name=me.first_name, last_name=me.last_name,
                     roles=["beheerder", "directie"], id=me.id, version=me.version)
    with pytest.raises(ServiceError, match="uzelf"):
        save_staff(admin, form)
    path = tmp_path / "personeel.csv"
    path.write_text(f"Afkorting;Achternaam;Functie\n{me.code};{me.last_name};"
                    "Beheerder, Directeur\n", encoding="utf-8")
    result = import_staff(admin, path)
    assert not result.applied and [p.row for p in result.problems] == [2]
    assert "uzelf" in str(result.problems[0])
    assert _staff(school, "admin").roles == "beheerder"
    assert _sign_in("admin").roles == {"beheerder"}


def test_a_dossier_role_counts_once_another_directie_member_confirms(school):
    admin, directie = school.actors["admin"], school.actors["directie"]
    docent = _staff(school, "docent")
    users.set_roles(admin, docent.id, ["vakdocent", "directie"], [], docent.version)
    assert _staff(school, "docent").roles == "directie,vakdocent"  # stored, asked for
    assert _sign_in("docent").roles == {"vakdocent"}  # does not count yet
    grant = RoleGrant.get(RoleGrant.staff == docent.id)
    assert (grant.kind, grant.value, grant.status, grant.requested_by) == (
        "role", "directie", "pending", admin.user_id)
    with pytest.raises(ServiceError):  # the beheerder cannot confirm it
        grants.decide(admin, [grant.id], True)
    with pytest.raises(ServiceError):  # nor can the one who receives it
        grants.decide(_sign_in("docent"), [grant.id], True)
    assert grants.pending_count(directie) == 1
    assert [g.may_decide for g in grants.grant_rows(directie)] == [True]
    assert [g.may_decide for g in grants.grant_rows(admin)] == [False]  # sees its request
    assert grants.grant_rows(school.actors["mentor_a"]) == []
    grants.decide(directie, [grant.id], True)
    assert _sign_in("docent").roles == {"vakdocent", "directie"}
    actions = [a.action for a in AuditLog.select().where(AuditLog.table == "role_grant")]
    assert actions == ["grant_request_role", "grant_confirm"]


def test_nobody_confirms_their_own_request(school):
    directie = school.actors["directie"]
    with pytest.raises(ServiceError):  # a directie member is no beheerder: cannot ask
        users.set_roles(directie, school.staff["docent"].id, ["directie"], [], 1)
    # a directie member who is also beheerder asks: another directie member must confirm
    both = accounts.actor_for(User.get_by_id(school.users["directie"].id))
    both = type(both)(both.user_id, both.username, both.staff_id,
                      both.roles | {"beheerder"})
    docent = _staff(school, "docent")
    users.set_roles(both, docent.id, ["vakdocent", "mentor"], [], docent.version)
    grant = RoleGrant.get(RoleGrant.staff == docent.id)
    with pytest.raises(ServiceError):
        grants.decide(both, [grant.id], True)
    assert grants.pending_count(both) == 0


def test_refusing_takes_the_role_away_and_removing_needs_nobody(school):
    admin, directie = school.actors["admin"], school.actors["directie"]
    docent = _staff(school, "docent")
    users.set_roles(admin, docent.id, ["vakdocent", "ondersteuningscoordinator"], [],
                    docent.version)
    grants.decide(directie, [RoleGrant.get().id], False)
    assert _staff(school, "docent").roles == "vakdocent"
    coord = _staff(school, "coord")
    users.set_roles(admin, coord.id, [], [], coord.version)  # taking away: at once
    assert _sign_in("coord").roles == set()
    assert not RoleGrant.select().where(RoleGrant.status == "pending").exists()


def test_a_password_reset_does_not_open_the_confidants_notes(school):
    """The beheerder resets the vertrouwenspersoon's password and signs in as them: no
    confidential notes, no dossier role, until another vertrouwenspersoon or the directie
    confirms again."""
    admin = school.actors["admin"]
    assert _secret_visible(_sign_in("vp"), school)
    users.reset_password(admin, school.users["vp"].id, "ik ben nu de vp!")
    impostor = _sign_in("vp", "ik ben nu de vp!")
    assert impostor.must_change_password
    users.change_own_password(impostor, "ik ben nu de vp!", "nog steeds de vp", "nog steeds de vp")
    impostor = _sign_in("vp", "nog steeds de vp")
    assert impostor.roles == set() and not _secret_visible(impostor, school)
    assert not access.can_view_case(impostor, school.cases.a.id)
    grant = RoleGrant.get(RoleGrant.kind == "password")
    assert grant.value == "vertrouwenspersoon" and grant.requested_by == admin.user_id
    with pytest.raises(ServiceError):
        grants.decide(impostor, [grant.id], True)  # not their own
    with pytest.raises(ServiceError):
        grants.decide(admin, [grant.id], True)
    # another vertrouwenspersoon may confirm this one (a colleague who knows them)
    with pytest.raises(ServiceError):  # ... a mentor may not
        grants.decide(school.actors["mentor_a"], [grant.id], True)
    grants.decide(school.actors["directie"], [grant.id], True)
    assert _secret_visible(_sign_in("vp", "nog steeds de vp"), school)


def test_a_new_account_for_a_dossier_role_waits_for_the_directie(school):
    """The beheerder makes an account (with a password it knows) for the deputy head, who
    has none yet: signing in with it opens no dossier until the directie confirms."""
    admin = school.actors["admin"]
    deputy = save_staff(SYSTEM, StaffForm(code="ADJ", last_name="Adjunct"))
    with pytest.raises(ServiceError):  # nor can the beheerder give it the role directly
        save_staff(school.actors["zoco"], StaffForm(
            code="ADJ", last_name="Adjunct", roles=["directie"], id=deputy.id,
            version=deputy.version))
    from pestdesk.store.models import database

    with database.atomic():  # as if the role had been confirmed long ago
        Staff.update(roles="directie").where(Staff.id == deputy.id).execute()
    users.create_user(admin, deputy.id, "adjunct", PASSWORD)
    assert _sign_in("adjunct").roles == set()
    assert not access.can_view_case(_sign_in("adjunct"), school.cases.a.id)
    grants.decide(school.actors["directie"],
                  [g.id for g in RoleGrant.select().where(RoleGrant.staff == deputy.id)], True)
    assert _sign_in("adjunct").roles == {"directie"}


def test_a_made_up_mentor_waits_too(school):
    """Mentor opens the dossiers of whole classes: a beheerder cannot make a colleague up,
    give them the mentor role and a class, and sign in as them."""
    admin = school.actors["admin"]
    fake = save_staff(admin, StaffForm(code="NEP", last_name="Nep", roles=["mentor"]))
    save_class(admin, ClassForm(**{**class_form(school.classes["1A"].id).__dict__,
                                   "mentor_ids": [school.staff["mentor_a"].id, fake.id]}))
    users.create_user(admin, fake.id, "nep", PASSWORD)
    assert _sign_in("nep").roles == set()
    assert not access.can_view_case(_sign_in("nep"), school.cases.a.id)


def test_nobody_makes_themselves_mentor_of_a_class(school):
    mentor_b = school.actors["mentor_b"]
    zoco = school.actors["zoco"]
    own = accounts.actor_for(User.get_by_id(school.users["zoco"].id))
    form = class_form(school.classes["1A"].id)
    form.mentor_ids = [*form.mentor_ids, own.staff_id]
    with pytest.raises(ServiceError, match="uzelf"):
        save_class(zoco, form)
    assert mentor_b  # a mentor does not manage classes at all (checked in test_staff)


def test_an_import_cannot_give_what_the_importer_may_not(school, tmp_path):
    """Issue 7: a coordinator who is no beheerder imports 'Mentor, Beheerder, Directeur'."""
    zoco = school.actors["zoco"]
    path = tmp_path / "personeel.csv"
    path.write_text("Afkorting;Achternaam;Functie\nNEW;Nieuw;Mentor, Beheerder, Directeur\n"
                    f"{school.staff['docent'].code};Werker10;Directeur\n", encoding="utf-8")
    before = [(s.code, s.roles) for s in Staff.select().order_by(Staff.id)]
    preview = import_staff(zoco, path, dry_run=True)
    assert [p.row for p in preview.problems] == [2, 3]
    result = import_staff(zoco, path)
    assert not result.applied and [p.row for p in result.problems] == [2, 3]
    assert [(s.code, s.roles) for s in Staff.select().order_by(Staff.id)] == before
    # a plain mentor on a new staff member is what a coordinator may ask for (as before)
    path.write_text("Afkorting;Achternaam;Functie\nNEW;Nieuw;Mentor\n", encoding="utf-8")
    assert import_staff(zoco, path).applied
    assert grants.pending_roles(Staff.get(Staff.code == "NEW").id) == {"mentor"}


def test_the_command_line_import_asks_too(school, tmp_path):
    path = tmp_path / "personeel.csv"
    path.write_text("Afkorting;Achternaam;Functie\nDIR2;Tweede;Directeur\n", encoding="utf-8")
    assert import_staff(SYSTEM, path).applied  # the CLI acts as SYSTEM
    grant = RoleGrant.get()
    assert (grant.value, grant.requested_by, grant.status) == ("directie", None, "pending")
    rows = grants.grant_rows(school.actors["directie"])
    assert rows[0].requested_by == "" and rows[0].may_decide


def test_a_new_school_bootstraps_through_its_care_coordinator(db):
    """Only the set-up user (beheerder + ondersteuningscoordinator) exists: they confirm the
    first roles; once a directie account is confirmed, only the directie confirms."""
    from pestdesk.services import settings

    setup = accounts.set_up(settings.SchoolProfile(name="Nieuw"), "Anna", "Bakker", "BKR",
                            "anna", PASSWORD)
    assert setup.roles == {"beheerder", "ondersteuningscoordinator"}
    director = save_staff(setup, StaffForm(code="DIR", last_name="Directeur",
                                           roles=["directie"]))
    users.create_user(setup, director.id, "dir", PASSWORD)
    mentor = save_staff(setup, StaffForm(code="MEN", last_name="Mentor", roles=["mentor"]))
    assert grants.bootstrapping() and grants.may_confirm(setup)
    first = RoleGrant.get(RoleGrant.staff == director.id)
    grants.decide(setup, [first.id], True)
    assert not grants.bootstrapping() and not grants.may_confirm(setup)
    second = RoleGrant.get(RoleGrant.staff == mentor.id)
    with pytest.raises(ServiceError):
        grants.decide(setup, [second.id], True)
    with pytest.raises(ServiceError):  # not with the password the set-up user chose
        grants.decide(_sign_in("dir"), [second.id], True)
    grants.decide(_own_password("dir"), [second.id], True)
    assert grants.pending_roles(mentor.id) == set()


def test_the_bootstrap_never_comes_back(db):
    """Once a directie member is confirmed, the set-up user (beheerder and care coordinator)
    cannot reopen the bootstrap by taking the directie's role away or disabling the account,
    and so cannot confirm the roles of an account whose password they set."""
    from pestdesk.services import settings

    setup = accounts.set_up(settings.SchoolProfile(name="Nieuw"), "Anna", "Bakker", "BKR",
                            "anna", PASSWORD)
    director = save_staff(setup, StaffForm(code="DIR", last_name="Directeur",
                                           roles=["directie"]))
    account = users.create_user(setup, director.id, "dir", PASSWORD)
    grants.decide(setup, [g.id for g in RoleGrant.select()], True)
    assert not grants.bootstrapping()
    director = Staff.get_by_id(director.id)
    users.set_roles(setup, director.id, [], [], director.version)
    users.set_active(setup, account.id, False, User.get_by_id(account.id).version)
    assert not grants.bootstrapping() and not grants.may_confirm(setup)
    vp = save_staff(setup, StaffForm(code="VP", last_name="Vertrouwen",
                                     roles=["vertrouwenspersoon"]))
    users.create_user(setup, vp.id, "vp", PASSWORD)
    with pytest.raises(ServiceError):
        grants.decide(setup, [g.id for g in RoleGrant.select().where(
            RoleGrant.status == "pending")], True)


def test_a_school_whose_directie_has_signed_in_is_past_its_bootstrap(school):
    """A school whose directie role was there before role grants existed (no grant rows):
    once a directie member has signed in, taking the role away does not hand the care
    coordinator who is also beheerder the power to confirm a reset password of the
    vertrouwenspersoon (and read the confidential notes)."""
    with write():
        both = Staff.create(code="BZ", last_name="Beheer-Zorg",
                            roles="beheerder,ondersteuningscoordinator")
        User.create(staff=both, username="bz", password_hash=accounts.hash_password(PASSWORD))
    _sign_in("directie")
    setup = _sign_in("bz")
    director = _staff(school, "directie")
    users.set_roles(setup, director.id, [], [], director.version)
    assert not grants.bootstrapping()
    users.reset_password(setup, school.users["vp"].id, "ik ben nu de vp!")
    grant = RoleGrant.get(RoleGrant.kind == "password")
    with pytest.raises(ServiceError):
        grants.decide(setup, [grant.id], True)
    impostor = _sign_in("vp", "ik ben nu de vp!")
    assert not _secret_visible(impostor, school)


def test_the_student_import_cannot_make_the_importer_mentor(school, tmp_path):
    """The class dialog's mentor rule holds for the import's mentor column: nobody makes
    themselves mentor of a class (and so sees its students) by importing a file; another
    staff manager may, and the dry run names whose mentorship changes."""
    from pestdesk.services.people import import_students
    from pestdesk.store.models import ClassMentor
    from tests.helpers.exports import write_magister

    zoco, admin = school.actors["zoco"], school.actors["admin"]
    zoco_code = school.staff["zoco"].code
    row = ("2001", "Kind", "", "Bosman", "1-1-2012", "M", "1B", "1 havo", zoco_code)
    path = write_magister(tmp_path / "1b.csv", [row])
    klass = school.classes["1B"].id

    def mentors():
        return {link.staff_id for link in ClassMentor.select()
                .where(ClassMentor.school_class == klass)}

    before = mentors()
    student = Student.get(Student.number == "2001")
    assert not access.can_view_student(zoco, student.id) or access.sees_all_cases(zoco)
    for dry_run in (True, False):
        result = import_students(zoco, path, dry_run=dry_run, full_export=False)
        assert not result.applied and [p.row for p in result.problems] == [2], result.problems
        assert "uzelf" in result.problems[0].message
    assert mentors() == before
    # the same file by the beheerder (not the new mentor): allowed, and said by name
    preview = import_students(admin, path, dry_run=True, full_export=False)
    assert preview.ok and mentors() == before
    assert preview.notices == ("Klas 1B: mentoren Mede Werker3 (S3) worden Mede Werker6 (S6)",)
    assert "Mede Werker6 (S6)" in preview.summary()
    done = import_students(admin, path, full_export=False)
    assert done.applied and mentors() == {school.staff["zoco"].id}
    # nor does the beheerder make themselves mentor
    mine = write_magister(tmp_path / "mine.csv", [(*row[:8], school.staff["admin"].code)])
    assert not import_students(admin, mine, full_export=False).applied
    assert mentors() == {school.staff["zoco"].id}


def test_nobody_moves_a_class_into_their_own_department(school, tmp_path):
    """A staff manager who is also an afdelingscoördinator (of the upper school) moves 1A
    there -- by the class dialog or by the student import's department column -- and would
    read its students' dossiers: refused on both paths, nothing written."""
    from pestdesk.services.base import Actor
    from pestdesk.services.people import import_students
    from pestdesk.store.models import SchoolClass
    from tests.helpers.exports import magister_with_departments, to_csv

    with write():
        Staff.update(roles="beheerder,afdelingscoordinator", departments="bovenbouw").where(
            Staff.id == school.staff["admin"].id).execute()
    both = Actor(school.users["admin"].id, "admin", school.staff["admin"].id,
                 frozenset({"beheerder", "afdelingscoordinator"}))
    one_a = school.classes["1A"]
    form = class_form(one_a.id)
    form.department = "Bovenbouw"
    with pytest.raises(ServiceError, match="afdeling|department"):
        save_class(both, form)
    row = ("1001", "Kind", "", "Akkerman", "1-1-2012", "M", "1A", "1 havo", "")
    path = tmp_path / "1a.csv"
    path.write_text(to_csv(magister_with_departments([row], {"1A": "bovenbouw"}), ";"),
                    encoding="utf-8")
    result = import_students(both, path, full_export=False)
    assert not result.applied and [p.row for p in result.problems] == [2], result.problems
    assert SchoolClass.get_by_id(one_a.id).department == "onderbouw"
    # another department is an ordinary change
    form.department = "Middenbouw"
    save_class(both, form)
    assert SchoolClass.get_by_id(one_a.id).department == "Middenbouw"


def test_the_import_does_not_move_a_student_into_the_importers_class(school, tmp_path):
    """A beheerder who is also a mentor (of 1A) moves a child of 4H into 1A with the student
    import: they would read that child's dossiers. Refused (a problem of that row, nothing
    written); a staff manager who does not mentor 1A may."""
    from pestdesk.services.base import Actor
    from pestdesk.services.people import import_students
    from tests.helpers.exports import write_magister

    with write():
        Staff.update(roles="beheerder,mentor").where(
            Staff.id == school.staff["mentor_a"].id).execute()
    both = Actor(school.users["mentor_a"].id, "mentor_a", school.staff["mentor_a"].id,
                 frozenset({"beheerder", "mentor"}))
    child = school.students["4001"]  # 4H, in case h that mentor_a may not see
    assert not access.can_view_case(both, school.cases.h.id)
    row = ("4001", "Kind", "", "Hendriks", "1-1-2010", "M", "1A", "1 havo", "")
    path = write_magister(tmp_path / "verhuis.csv", [row])
    for dry_run in (True, False):
        result = import_students(both, path, dry_run=dry_run, full_export=False)
        assert not result.applied and [p.row for p in result.problems] == [2], result.problems
    assert Student.get_by_id(child.id).school_class_id == school.classes["4H"].id
    assert not access.can_view_case(both, school.cases.h.id)
    assert import_students(school.actors["admin"], path, full_export=False).applied
    assert Student.get_by_id(child.id).school_class_id == school.classes["1A"].id
