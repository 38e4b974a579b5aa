"""Fixtures for the people screens (see ``people_fixtures``)."""

from __future__ import annotations

import pytest

from tests.gui.people_fixtures import fill_school


@pytest.fixture
def qt_dutch(qapp):
    from pestdesk.gui import translation

    translation.install(qapp, "nl")
    return qapp


@pytest.fixture
def school(db, tmp_path):
    """Staff and six students with guardians from real export files, and two cases."""
    return fill_school(tmp_path)
