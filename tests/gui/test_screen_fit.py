"""The main window fits a 1366×768 school laptop screen, whichever sections were opened.

Long filter choices (protocol stage names, forms of bullying) once forced the window to
1571 px; the filter bars now elide long choices and the Cijfers filters flow onto more lines.
"""

from __future__ import annotations

import pytest
from PySide6.QtWidgets import QApplication, QFrame

from pestdesk import clock
from pestdesk.services import accounts
from pestdesk.services.demo import DEMO_PASSWORD, generate_demo
from pestdesk.store.db import create_database


@pytest.fixture
def demo_window(qtbot, tmp_path):
    from pestdesk.gui.common import translation
    from pestdesk.gui.main_window import MainWindow

    translation.install(QApplication.instance(), "nl")
    path = tmp_path / "demo.sqlite"
    db = create_database(path)
    generate_demo(students=200, years=2, seed=3, today=clock.today())
    window = MainWindow(path, accounts.sign_in("zorg", DEMO_PASSWORD), demo=True)
    qtbot.addWidget(window)
    window.resize(1366, 768)
    window.show()
    qtbot.waitExposed(window)
    yield window
    window.session_lock.stop()
    db.close()


def test_every_section_fits_1366_pixels(demo_window, tmp_path):
    for key in demo_window.SECTIONS:
        demo_window.go(key)
        QApplication.processEvents()
        assert demo_window.minimumSizeHint().width() <= 1366, key
    demo_window.resize(1366, 768)
    QApplication.processEvents()
    assert demo_window.width() <= 1366
    shot = demo_window.grab()
    assert shot.width() <= 1366 and shot.save(str(tmp_path / "figures.png"))


def _line(widget) -> int:
    """The y of the label+field pair holding ``widget`` within the filter bar."""
    return widget.parentWidget().y()


def test_figure_filters_wrap_in_a_narrow_window(demo_window):
    demo_window.go("figures")
    view = demo_window.view("figures")
    bar = view.findChild(QFrame, "filterBar")
    QApplication.processEvents()
    # at 1366 px: the period on one line, every filter on the next
    assert _line(view.granularity) == _line(view.period) < _line(view.department)
    assert _line(view.cyber) == _line(view.department)
    assert view.minimumSizeHint().width() < 700
    demo_window.resize(900, 700)
    QApplication.processEvents()
    assert demo_window.width() == 900
    assert _line(view.cyber) > _line(view.department)  # wrapped onto a third line
    right = view.cyber.mapTo(bar, view.cyber.rect().topRight()).x()
    assert right <= bar.width()
