"""The main window on a demo school, driven with pytest-qt, in Dutch."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt

from pestdesk import clock
from pestdesk.services import accounts
from pestdesk.services.demo import DEMO_PASSWORD, generate_demo
from pestdesk.store.db import create_database


@pytest.fixture
def demo_window(qtbot, tmp_path):
    from PySide6.QtWidgets import QApplication

    from pestdesk.gui.common import translation
    from pestdesk.gui.main_window import MainWindow

    translation.install(QApplication.instance(), "nl")
    path = tmp_path / "demo.sqlite"
    db = create_database(path)
    generate_demo(students=200, years=2, seed=2, today=clock.today())
    actor = accounts.sign_in("zorg", DEMO_PASSWORD)
    window = MainWindow(path, actor, demo=True)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    yield window
    db.close()


def test_window_title_and_dutch_navigation(demo_window):
    assert "pestdesk" in demo_window.windowTitle()
    assert "DEMO" in demo_window.windowTitle()
    labels = [demo_window.nav.item(i).text() for i in range(demo_window.nav.count())]
    assert labels[0].startswith("Overzicht")
    assert labels[1:3] == ["Leerlingen", labels[2]] and labels[2].startswith("Meldingen")
    assert labels[-1] == "Beheer"
    assert demo_window.menuBar().actions()[0].text() == "&Bestand"
    assert "Aangemeld als zorg" in demo_window.user_label.text()


def test_student_search_filters_in_sql(demo_window, qtbot):
    demo_window.go("students")
    view = demo_window.view("students")
    total = view.model.total()
    assert total == 200
    names = [view.model.data(view.model.index(r, 0)) for r in range(view.model.rowCount())]
    last_name = next(n.split(",")[0] for n in names if n.split(",")[0].isascii())
    qtbot.keyClicks(view.search, last_name.lower())  # QTest types ASCII only
    qtbot.waitUntil(lambda: view.model.total() < total, timeout=2000)
    names = [view.model.data(view.model.index(r, 0)) for r in range(view.model.rowCount())]
    assert names and all(last_name.lower() in n.lower() for n in names)
    assert "leerling" in view.count_label.text()  # "1 leerling", "3 leerlingen"


def test_case_list_filters_and_sorts(demo_window, qtbot):
    demo_window.go("cases")
    view = demo_window.view("cases")
    open_total = view.model.total()
    view.status.setCurrentIndex(2)  # all
    assert view.model.total() > open_total
    view.cyber.setChecked(True)
    cyber_col = [c.key for c in view.model.query.columns].index("cyber")
    values = {view.model.data(view.model.index(r, cyber_col)) for r in range(view.model.rowCount())}
    assert values == {"ja"}
    header = view.model.headerData(0, Qt.Orientation.Horizontal)
    assert header == "Nummer"


def test_lazy_loading_fetches_in_batches(demo_window):
    demo_window.go("cases")
    view = demo_window.view("cases")
    view.status.setCurrentIndex(2)
    model = view.model
    assert model.total() > 200
    assert model.rowCount() == 200
    assert model.canFetchMore()
    model.fetchMore()
    assert model.rowCount() == min(400, model.total())


def test_school_profile_form_is_translated_and_saves(demo_window, qtbot, monkeypatch):
    from pestdesk.gui.session.dialogs import SchoolProfileDialog
    from pestdesk.services import settings

    dialog = SchoolProfileDialog(demo_window.actor, demo_window)
    qtbot.addWidget(dialog)
    assert dialog.windowTitle() == "Schoolgegevens"
    assert dialog.form.nameEditLabel.text() == "Naam van de school"
    dialog.form.nameEdit.setText("")
    dialog.accept()
    assert "verplicht" in dialog.form.errorLabel.text()
    dialog.form.nameEdit.setText("Sint-Jozef Lyceum")
    dialog.accept()
    assert settings.school_profile().name == "Sint-Jozef Lyceum"


def test_overview_lines_open_cases(demo_window):
    view = demo_window.view("overview")
    assert view.title.text().startswith("Overzicht voor")
    box, lst = view.boxes["new"]
    assert lst.count() > 0


def test_english_on_request(qtbot, tmp_path):
    from PySide6.QtWidgets import QApplication

    from pestdesk.gui.common import translation
    from pestdesk.gui.main_window import MainWindow

    db = create_database(tmp_path / "en.sqlite")
    generate_demo(students=40, years=1, seed=2, today=clock.today())
    translation.install(QApplication.instance(), "en")
    try:
        window = MainWindow(tmp_path / "en.sqlite", accounts.demo_actor("zorg"), demo=True)
        qtbot.addWidget(window)
        assert window.nav.item(1).text() == "Students"
        assert window.menuBar().actions()[0].text() == "&File"
    finally:
        translation.install(QApplication.instance(), "nl")
        db.close()


def test_school_profile_conflict_is_shown_and_nothing_overwritten(demo_window, qtbot,
                                                                  monkeypatch):
    """Two coordinators edit the school details at once: the second save is refused."""
    from pestdesk.gui.common import conflict as conflict_module
    from pestdesk.gui.session.dialogs import SchoolProfileDialog
    from pestdesk.services import settings

    first = SchoolProfileDialog(demo_window.actor, demo_window)
    second = SchoolProfileDialog(demo_window.actor, demo_window)
    qtbot.addWidget(first)
    qtbot.addWidget(second)
    first.form.phoneEdit.setText("072-1111111")
    first.accept()
    asked = []
    monkeypatch.setattr(conflict_module.ConflictDialog, "ask", classmethod(
        lambda cls, parent, conflict, mine, original=None, labels=None: asked.append(
            conflict) or conflict_module.ConflictChoice(reload=True, reapply=True)))
    second.form.emailEdit.setText("nieuw@school.nl")
    second.accept()
    assert asked, "the conflict dialog was not offered"
    assert settings.school_profile().phone == "072-1111111"
    assert settings.school_profile().email != "nieuw@school.nl"
    # after reload with reapply, both changes are in the form; saving again stores both
    assert second.form.phoneEdit.text() == "072-1111111"
    assert second.form.emailEdit.text() == "nieuw@school.nl"
    second.accept()
    assert (settings.school_profile().phone, settings.school_profile().email) == (
        "072-1111111", "nieuw@school.nl")


def test_case_list_header_shows_the_newest_first_order(demo_window):
    from PySide6.QtCore import Qt

    demo_window.go("cases")
    view = demo_window.view("cases")
    header = view.table.horizontalHeader()
    keys = [c.key for c in view.model.query.columns]
    assert header.sortIndicatorSection() == keys.index("reported_on")
    assert header.sortIndicatorOrder() == Qt.SortOrder.DescendingOrder
    dates = [view.model._rows[r][2] for r in range(min(20, view.model.rowCount()))]
    assert dates == sorted(dates, reverse=True)


def test_a_save_refreshes_only_the_sections_that_show_it(demo_window, monkeypatch):
    from pestdesk.gui.common import ops

    for key in ("overview", "admin", "letters"):
        demo_window.view(key)  # built
    refreshed: list[str] = []
    for key, view in demo_window.views.items():
        monkeypatch.setattr(view, "refresh", lambda k=key: refreshed.append(k))
    ops.bus.changed.emit(ops.Changes.case(1, ops.TIMELINE))  # e.g. a note in a case
    assert "overview" in refreshed and "admin" not in refreshed and "letters" not in refreshed
    refreshed.clear()
    ops.bus.changed.emit(ops.Changes.of(ops.BACKUPS))
    assert refreshed == ["admin"]
