"""Shared fixtures: real database files in temp folders, Qt offscreen, Dutch UI."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("PESTDESK_LANG", "nl")

import pytest  # noqa: E402

from pestdesk import i18n  # noqa: E402


@pytest.fixture(autouse=True)
def _dutch():
    i18n.set_language("nl")
    yield
    i18n.set_language("nl")


@pytest.fixture
def db_path(tmp_path):
    return tmp_path / "school.pestdesk"


@pytest.fixture
def db(db_path):
    from pestdesk.store.db import create_database

    database = create_database(db_path)
    yield database
    database.close()
