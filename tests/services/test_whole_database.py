"""Whole-database work on a board (backup, restore, encrypting the file, adding a school)
reaches every school in it: one rule, ``access.may_handle_whole_database``, lets the board's
IT do it (a beheerder of every school, the system) and refuses a school's own beheerder. A
single-school database keeps its beheerder's rights."""

from __future__ import annotations

import pytest

from pestdesk.services import access, backups, encryption, schools
from pestdesk.services.base import SYSTEM, ServiceError
from pestdesk.store import scope
from tests.helpers import pg
from tests.helpers.board import Board
from tests.helpers.cases import School


@pytest.fixture
def board(db):
    return Board()


def test_a_schools_beheerder_may_not_handle_the_whole_board(board, db, db_path, tmp_path):
    admin = board.a.admin
    access.enter(admin)
    assert not access.may_handle_whole_database(admin)
    assert not backups.can_make_backups(admin)
    target = pg.target_of(db, db_path)
    for attempt in (lambda: backups.manual_backup(admin, target, tmp_path),
                    lambda: backups.save_config(admin, tmp_path),
                    lambda: schools.add_school(admin, "Het Derde Atheneum")):
        with pytest.raises(ServiceError) as refused:
            attempt()
        assert "IT van het bestuur" in str(refused.value) or "rechten" in str(refused.value)
    assert list(tmp_path.glob("*.backup.*")) == []
    with scope.unscoped():
        assert [n for _i, n in schools.all_schools()] == ["Het Eerste Lyceum",
                                                           "Het Tweede College"]


def test_the_board_it_and_the_system_may(board):
    it = board.a.admin
    schools.link_staff(SYSTEM, it.staff_id, board.b_id)
    assert access.may_handle_whole_database(it)
    assert access.may_handle_whole_database(SYSTEM)
    # the bestuur works for every school too, but is no beheerder: figures only
    assert not access.may_handle_whole_database(board.bestuur)


@pytest.mark.sqlite_only
def test_restore_and_encrypt_refuse_a_schools_beheerder(board, db, db_path, tmp_path):
    from pestdesk.store.db import backup_to

    copy = backup_to(db_path, tmp_path / "kopie.sqlite")
    admin = board.a.admin
    with pytest.raises(ServiceError, match="IT van het bestuur"):
        backups.restore(db_path, copy, force=True, actor=admin)
    with pytest.raises(ServiceError, match="IT van het bestuur"):
        encryption.encrypt_file(db_path, admin, "wat-dan-ook-lang-genoeg")
    assert not encryption.is_encrypted(db_path)


def test_a_single_schools_beheerder_keeps_the_whole_file(db):
    from pestdesk.services.base import Actor, create, write
    from pestdesk.store import models as m

    School()
    with write():
        staff = create(SYSTEM, m.Staff, code="BHR", first_name="Bea", last_name="Heer",
                       roles="beheerder")
        user = create(SYSTEM, m.User, username="beheer", staff=staff.id)
    admin = Actor(user.id, "beheer", staff.id, frozenset({"beheerder"}))
    assert access.may_handle_whole_database(admin)
    assert backups.can_make_backups(admin)
