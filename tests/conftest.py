"""Shared fixtures: real database files in temp folders, Qt offscreen, Dutch UI."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("PESTDESK_LANG", "nl")

import pytest  # noqa: E402

from pestdesk import clock, i18n  # noqa: E402


def _renamed_presets() -> None:
    """With PESTDESK_TEST_RENAMED set, the protocol loader reads copies of the presets with
    every stage, step, checklist and guide code renamed (tests/helpers/renamed.py)."""
    import tempfile
    from pathlib import Path

    from pestdesk.domain import protocol
    from tests.helpers.renamed import ACTIVE, rename_presets

    if not ACTIVE:
        return
    target = Path(tempfile.mkdtemp(prefix="pestdesk-renamed-"))
    protocol.PROTOCOLS_DIR = rename_presets(protocol.PROTOCOLS_DIR, target)
    protocol._builtin_all.cache_clear()


_renamed_presets()


@pytest.fixture(autouse=True)
def _dutch():
    i18n.set_language("nl")
    yield
    i18n.set_language("nl")


@pytest.fixture(autouse=True)
def _clock():
    """Every test starts on the run's day (the real one, or PESTDESK_TODAY in the date sweep)
    and a test that sets the day with ``clock.set_today`` cannot leak it into the next."""
    clock.reset()
    yield
    clock.reset()


@pytest.fixture(autouse=True)
def _no_school_scope_left():
    """A test that signed someone in (and so set the school scope) cannot leak it."""
    from pestdesk.store import scope

    scope.clear()
    yield
    scope.clear()


@pytest.fixture(autouse=True)
def _no_keys_left():
    """Keys an encrypted test database left in the process do not open the next test's."""
    yield
    from pestdesk.services import encryption

    encryption.forget_all()


@pytest.fixture
def db_path(tmp_path):
    return tmp_path / "school.pestdesk"


@pytest.fixture
def db(db_path, request):
    """A fresh pestdesk database: a SQLite file in a temp folder, or with PESTDESK_TEST_PG
    a fresh PostgreSQL database (tests/helpers/pg.py)."""
    from tests.helpers import pg

    if pg.active() and request.node.get_closest_marker("sqlite_only") is None:
        from pestdesk.store.db import open_database

        database = open_database(pg.reset_database())
        yield database
        database.close()
        return
    from pestdesk.store.db import create_database

    database = create_database(db_path)
    yield database
    database.close()


def pytest_configure(config):
    config.addinivalue_line("markers", "sqlite_only: tests what only a SQLite file has (the "
                            "header, SQLCipher, journals, the backup API); skipped on "
                            "PostgreSQL")


def pytest_collection_modifyitems(config, items):
    from tests.helpers import pg

    if not pg.active():
        return
    skip = pytest.mark.skip(reason="SQLite only (PESTDESK_TEST_PG)")
    for item in items:
        if item.get_closest_marker("sqlite_only") is not None:
            item.add_marker(skip)


def pytest_sessionfinish(session, exitstatus):
    from tests.helpers import pg

    if pg.active():
        pg.drop_template()
    _qt_teardown()


def _qt_teardown():
    """Tear Qt down in order before the interpreter exits: windows that tests left open are
    closed and deleted while the QApplication still lives, so Python's arbitrary shutdown
    order cannot free a Qt object twice (seen as "shared QObject was deleted directly")."""
    import gc
    import sys

    if "PySide6.QtWidgets" not in sys.modules:
        return
    from PySide6.QtCore import QCoreApplication, QEvent, QThreadPool
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance()
    if app is None:
        return
    QThreadPool.globalInstance().waitForDone(10_000)
    for widget in app.topLevelWidgets():
        widget.close()
        widget.deleteLater()
    QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
    app.processEvents()
    gc.collect()
