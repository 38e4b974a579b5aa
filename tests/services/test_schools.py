"""Several schools in one database: a user of school A meets nothing of school B at any
door; the bestuur sees masked figures of its schools and never a dossier; a single-school
file behaves as before (everything is school 1)."""

from __future__ import annotations

import sqlite3

import pytest

from pestdesk import clock
from pestdesk.services import access, cases, figures, letters, lists, meetings, people, retention
from pestdesk.services.base import SYSTEM, ServiceError
from pestdesk.services.settings import SchoolProfile, save_school_profile, school_profile
from pestdesk.store import models as m
from pestdesk.store import scope
from pestdesk.store.db import APPLICATION_ID, open_database
from pestdesk.store.migrations import MIGRATIONS
from tests.helpers import pg
from tests.helpers.board import SECRET_B, Board
from tests.helpers.exports import write_magister

ROLES = ["zorg", "mentor", "afdeling", "vertrouwenspersoon", "vakdocent", "beheerder"]


@pytest.fixture
def board(db):
    return Board()


def _b_rows(board) -> dict[str, set[int]]:
    """Every row of school B, per table, read without a scope."""
    with scope.unscoped():
        out = {}
        for model in m.ALL_MODELS:
            if "school" in model._meta.fields and model is not m.Setting:
                out[model.__name__] = {r[0] for r in model.select(model._meta.primary_key)
                                       .where(model.school == board.b_id).tuples()}
        return out


# -- a single-school file -----------------------------------------------------------------------


def test_a_new_file_is_one_school_and_every_row_belongs_to_it(db):
    from tests.helpers.cases import School

    school = School()
    school.report()
    assert [r.id for r in m.School.select()] == [scope.FIRST_SCHOOL]
    for model in m.ALL_MODELS:
        if "school" in model._meta.fields and model is not m.Setting:
            schools_used = {r[0] for r in model.select(model.school).tuples()}
            assert schools_used <= {scope.FIRST_SCHOOL}, model


def test_migration_gives_every_existing_row_the_one_school(tmp_path):
    path = tmp_path / "oud.sqlite"
    con = sqlite3.connect(path)
    con.execute(f"PRAGMA application_id = {APPLICATION_ID}")
    con.commit()
    con.close()
    from peewee import SqliteDatabase

    old = SqliteDatabase(str(path))
    for number, migration in enumerate(MIGRATIONS[:4], 1):
        migration(old)
        old.execute_sql(f"PRAGMA user_version = {number}")
    old.execute_sql(
        "INSERT INTO student (version, created_at, updated_at, number, first_name, initials, "
        "tussenvoegsel, last_name, gender, sort_name) VALUES (1, '2020-01-01', '2020-01-01', "
        "'004512', 'Zoë', 'Z.', 'van der', 'Meer', '', 'meer, zoë van der')")
    old.execute_sql("INSERT INTO setting (key, value, version) VALUES ('school_profile', "
                    "'{\"name\": \"Oud College\"}', 3)")
    old.close()
    db = open_database(path)
    try:
        assert [(s.id, s.name) for s in m.School.select()] == [(1, "Oud College")]
        student = m.Student.get(m.Student.number == "004512")
        assert student.school_id == 1
        assert school_profile().name == "Oud College"
        rows = db.execute_sql("SELECT school_id, key FROM setting ORDER BY key").fetchall()
        assert (1, "school_profile") in rows
        assert (0, "audit_head") in rows and (0, "throttle_salt") in rows
    finally:
        db.close()


# -- school A sees nothing of school B ----------------------------------------------------------


@pytest.mark.parametrize("role", ROLES)
def test_every_table_of_school_b_is_out_of_reach_of_a(board, role):
    actor = board.a_people()[role]
    access.enter(actor)
    b_rows = _b_rows(board)
    for model in m.ALL_MODELS:
        if model.__name__ in b_rows:
            seen = {r[0] for r in model.select(model._meta.primary_key).tuples()}
            assert not seen & b_rows[model.__name__], (role, model.__name__)
            alias = model.alias("x")
            seen = {r[0] for r in alias.select(alias.id).tuples()}
            assert not seen & b_rows[model.__name__], (role, model.__name__, "alias")
    b_staff = {board.b.zorg.staff_id, board.b.admin.staff_id, board.b.school.mentor.id}
    assert not {s.id for s in m.Staff.select()} & b_staff
    assert not {u.username for u in m.User.select()} & {"b-zorg", "b-beheer", "b-mentor"}
    # an update or a delete of "everything" leaves B alone
    m.Student.update(first_name="X").where(m.Student.id > 0).execute()
    with scope.unscoped():
        names = {s.first_name for s in m.Student.select().where(m.Student.school == board.b_id)}
    assert "X" not in names


@pytest.mark.parametrize("role", ROLES)
def test_lists_search_and_case_doors_show_nothing_of_b(board, role):
    actor = board.a_people()[role]
    access.enter(actor)
    b = board.b
    b_letters = _b_rows(board)["Letter"]
    for query, theirs in ((lists.StudentList(actor=actor), {*b.student_ids, b.left.id}),
                          (lists.CaseList(actor=actor), {b.case.id}),
                          (lists.MeetingList(actor=actor), {b.meeting_id}),
                          (lists.LetterList(actor=actor), b_letters)):
        ids = {row[0] for row in query.page(0, 1000)}
        assert not ids & theirs, query
    # the same student number exists in both schools: the search finds A's only
    found = {s.id for s in people.search_students_query(b.school.students[0].number,
                                                        actor=actor)}
    assert not found & set(b.student_ids)
    with pytest.raises(access.NotFound):
        access.visible_case(actor, b.case.id)
    with pytest.raises(ServiceError):
        people.student_card(b.student_ids[0], actor)
    assert not access.can_view_student(actor, b.student_ids[0])


@pytest.mark.parametrize("role", ["zorg", "mentor", "beheerder"])
def test_letters_packs_exports_and_figures_show_nothing_of_b(board, role, tmp_path):
    actor = board.a_people()[role]
    access.enter(actor)
    b = board.b
    with pytest.raises(ServiceError):
        letters.compose_case(actor, b.case.id)
    with pytest.raises(ServiceError):
        meetings.pack_data(b.meeting_id, actor)
    # the AVG export of A's student with the same number carries nothing of B
    number = b.school.students[0].number
    try:
        data = people.export_student(actor, number)
    except ServiceError:
        data = {}
    assert SECRET_B not in repr(data)
    result = figures.compute_figures(actor, figures.Period.school_year(
        figures.school_year_of(clock.today())), exact=True)
    if figures.may_see_exact(actor):
        assert result.ledger.values[0] <= 1  # A's one case, never B's too


def test_an_import_in_a_touches_nothing_of_b(board, tmp_path):
    access.enter(board.a.admin)
    with scope.unscoped():
        before = [(s.id, s.first_name, s.school_class_id, s.left_on)
                  for s in m.Student.select().where(m.Student.school == board.b_id)]
    result = people.import_students(board.a.admin, write_magister(tmp_path / "m.csv"),
                                    today=clock.today())
    assert result.applied, result.problems
    with scope.unscoped():
        after = [(s.id, s.first_name, s.school_class_id, s.left_on)
                 for s in m.Student.select().where(m.Student.school == board.b_id)]
        assert after == before
        assert not m.Student.select().where(
            (m.Student.school == board.b_id) & (m.Student.number == "004512")).exists()


def test_the_purge_in_a_leaves_b_alone(board):
    access.enter(SYSTEM, board.a.id)
    plan = retention.due_for_deletion(clock.today())
    ids = set(plan.student_ids)
    assert board.a.left.id in ids
    assert board.b.left.id not in ids
    retention.purge(SYSTEM, clock.today())
    with scope.unscoped():
        assert m.Student.select().where(m.Student.id == board.b.left.id).exists()
        assert not m.Student.select().where(m.Student.id == board.a.left.id).exists()


def test_settings_are_per_school(board):
    access.enter(board.a.admin)
    assert school_profile().name == "Het Eerste Lyceum"
    access.enter(board.b.admin)
    assert school_profile().name == "Het Tweede College"
    save_school_profile(board.b.admin, SchoolProfile(name="Tweede College Noord",
                                                     protocol_code="dalton"))
    access.enter(board.a.admin)
    assert school_profile().name == "Het Eerste Lyceum"
    assert school_profile().protocol_code == "doultremont"


# -- two locations -----------------------------------------------------------------------------


def test_someone_at_two_schools_sees_both_and_can_switch(board):
    both = board.both
    assert {s for s, _ in access.my_schools(both)} == {board.a.id, board.b_id}
    access.enter(both)
    ids = {row[0] for row in lists.CaseList(actor=both).page(0, 100)}
    assert {board.a.case.id, board.b.case.id} <= ids
    access.enter(both, board.b_id)
    ids = {row[0] for row in lists.CaseList(actor=both).page(0, 100)}
    assert board.b.case.id in ids and board.a.case.id not in ids
    with pytest.raises(access.NotFound):
        access.enter(board.a.zorg, board.b_id)  # not a school of theirs


def test_a_new_row_takes_the_school_of_its_case(board):
    both = board.both
    access.enter(both)  # sees both schools, active: A
    cases.add_note(both, board.b.case.id, "Gesprek op locatie B")
    with scope.unscoped():
        wrong = (m.Event.select().join(m.Case, on=(m.Event.case == m.Case.id))
                 .where(m.Event.school != m.Case.school).count())
    assert wrong == 0


# -- the bestuur -------------------------------------------------------------------------------


def test_the_bestuur_sees_masked_figures_of_both_schools_and_no_dossier(board, tmp_path):
    bestuur = board.bestuur
    access.enter(bestuur)
    assert not figures.may_see_exact(bestuur)
    period = figures.Period.school_year(figures.school_year_of(clock.today()))
    result = figures.compute_figures(bestuur, period, exact=True)
    assert result.ledger.values[0] == 2  # both schools' cases counted ...
    assert not result.exact  # ... and never shown exactly
    for query in (lists.StudentList(actor=bestuur), lists.CaseList(actor=bestuur),
                  lists.MeetingList(actor=bestuur), lists.LetterList(actor=bestuur)):
        assert query.page(0, 100) == []
    for side in (board.a, board.b):
        with pytest.raises(access.NotFound):
            access.visible_case(bestuur, side.case.id)
        with pytest.raises(ServiceError):
            letters.compose_case(bestuur, side.case.id)
        with pytest.raises(ServiceError):
            meetings.pack_data(side.meeting_id, bestuur)
        with pytest.raises(ServiceError):
            people.student_card(side.student_ids[0], bestuur)
        assert not access.can_view_student(bestuur, side.student_ids[0])
    with pytest.raises(ServiceError):
        people.export_student(bestuur, board.a.school.students[0].number)
    with pytest.raises(ServiceError):
        people.import_students(bestuur, write_magister(tmp_path / "m.csv"), today=clock.today())
    with pytest.raises(ServiceError):
        retention.purge(bestuur, clock.today())
    with scope.unscoped():
        assert m.Student.select().where(m.Student.id.in_(
            [board.a.left.id, board.b.left.id])).count() == 2
    pdf = figures.year_report_pdf(bestuur, figures.school_year_of(clock.today()))
    assert pdf.startswith(b"%PDF")
    import io

    from pypdf import PdfReader

    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
    rows = figures.export_rows(result)
    text += repr(rows)
    for side in (board.a, board.b):
        for student in side.school.students:
            assert student.last_name not in text


# -- the command line --------------------------------------------------------------------------


def _run(*args):
    import os
    import subprocess
    import sys

    env = dict(os.environ, PESTDESK_LANG="nl", QT_QPA_PLATFORM="offscreen")
    return subprocess.run([sys.executable, "-m", "pestdesk", *map(str, args)],
                          capture_output=True, text=True, env=env, timeout=120,
                          stdin=subprocess.DEVNULL)


def test_the_command_line_names_the_school_and_sees_only_that_one(board, db, db_path,
                                                                   tmp_path):
    number = board.b.school.students[0].number  # the same number in both schools
    db.close()
    db_path = pg.target_of(db, db_path)  # the file, or the PostgreSQL database's URL
    refused = _run("export-student", number, "--db", db_path, "--out", tmp_path / "x.json")
    assert refused.returncode != 0 and "--school" in refused.stderr
    assert not (tmp_path / "x.json").exists()
    unknown = _run("purge", "--dry-run", "--db", db_path, "--school", "Nergens")
    assert unknown.returncode != 0 and "Nergens" in unknown.stderr
    for school, secret in (("Het Eerste Lyceum", False), ("Het Tweede College", True)):
        out = tmp_path / f"{secret}.json"
        done = _run("export-student", number, "--db", db_path, "--out", out, "--school", school)
        assert done.returncode == 0, done.stderr
        assert (SECRET_B in out.read_text(encoding="utf-8")) is secret
    purge = _run("purge", "--dry-run", "--db", db_path, "--school", "Het Eerste Lyceum")
    assert purge.returncode == 0, purge.stderr
    assert "1 leerlingen" in purge.stdout or "1 leerling" in purge.stdout, purge.stdout


def test_a_board_set_up_on_the_command_line(db, db_path, tmp_path):
    from tests.helpers.cases import School

    School(name="Het Eerste Lyceum")
    db.close()
    db_path = pg.target_of(db, db_path)  # the file, or the PostgreSQL database's URL
    assert _run("add-school", "Het Tweede College", "--db", db_path).returncode == 0
    staff = tmp_path / "personeel.csv"
    staff.write_text("Afkorting;Roepnaam;Achternaam;Functie\nBST;Bea;Bestuur;bestuurder\n",
                     encoding="utf-8")
    imported = _run("import-staff", staff, "--db", db_path, "--school", "Het Tweede College")
    assert imported.returncode == 0, imported.stdout + imported.stderr
    linked = _run("link-staff", "BST", "--db", db_path, "--school", "Het Tweede College",
                  "--to", "Het Eerste Lyceum")
    assert linked.returncode == 0, linked.stderr
    wrong = _run("link-staff", "XYZ", "--db", db_path, "--school", "Het Tweede College",
                 "--to", "Het Eerste Lyceum")
    assert wrong.returncode != 0 and "XYZ" in wrong.stderr
    from pestdesk.store.db import open_database

    reopened = open_database(db_path)
    try:
        bea = m.Staff.get(m.Staff.code == "BST")
        assert bea.roles == "bestuur"
        from pestdesk.services.base import Actor

        actor = Actor(1, "bea", bea.id, frozenset({"bestuur"}))
        assert {name for _id, name in access.my_schools(actor)} == {
            "Het Eerste Lyceum", "Het Tweede College"}
    finally:
        reopened.close()
