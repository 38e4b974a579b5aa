"""The main window in a board database: the switch for someone at two schools, the bestuur's
figures-only window, and no new menu for someone at one school."""

from __future__ import annotations

import pytest

from pestdesk.gui.main_window import MainWindow
from pestdesk.services import access
from pestdesk.store import scope
from tests.helpers.board import Board


@pytest.fixture
def board(db):
    return Board()


def _window(qtbot, db_path, actor):
    access.enter(actor)
    window = MainWindow(db_path, actor)
    qtbot.addWidget(window)
    window.show()
    return window


def _menus(window) -> list[str]:
    return [a.text() for a in window.menuBar().actions()]


def test_one_school_no_school_menu(board, db_path, qtbot, qt_dutch):
    window = _window(qtbot, db_path, board.a.zorg)
    assert not any("chool" in text for text in _menus(window))
    assert window.school_actions == {}
    window.session_lock.stop()


def test_two_locations_switch_between_their_schools(board, db_path, qtbot, qt_dutch):
    window = _window(qtbot, db_path, board.both)
    assert set(window.school_actions) == {None, board.a.id, board.b_id}
    window.go("cases")
    view = window.view("cases")
    window.school_actions[board.b_id].trigger()
    assert scope.current().schools == {board.b_id}
    assert window.windowTitle().startswith("pestdesk — Het Tweede College")
    window.school_actions[None].trigger()
    assert scope.current().schools == {board.a.id, board.b_id}
    assert view is window.view("cases")
    window.session_lock.stop()


def test_the_bestuur_window_holds_the_figures_only(board, db_path, qtbot, qt_dutch):
    window = _window(qtbot, db_path, board.bestuur)
    assert window.SECTIONS == ("figures",)
    assert window.nav.count() == 1
    qtbot.waitUntil(lambda: "figures" in window.views, timeout=3000)
    assert not any(text.replace("&", "") in ("Melding", "Beheer") for text in _menus(window))
    window.session_lock.stop()
