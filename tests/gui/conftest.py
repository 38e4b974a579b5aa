"""Fixtures for the people screens (see ``people_fixtures``)."""

from __future__ import annotations

import pytest

from tests.helpers.people import fill_school


@pytest.fixture
def qt_dutch(qapp):
    from pestdesk.gui.common import translation

    translation.install(qapp, "nl")
    return qapp


@pytest.fixture
def school(db, tmp_path):
    """Staff and six students with guardians from real export files, and two cases."""
    return fill_school(tmp_path)


@pytest.fixture
def conflicts(monkeypatch):
    """Answer the (modal) conflict dialog without showing it; records what it was shown.

    Set ``conflicts.answer`` to a ``ConflictChoice``; default: reload, put my changes back.
    """
    from pestdesk.gui.common.conflict import ConflictChoice, ConflictDialog, changed_fields

    class Recorder:
        answer = ConflictChoice(reload=True, reapply=True)
        shown: list[list[str]] = []

    recorder = Recorder()
    recorder.shown = []

    def ask(parent, conflict, mine, original=None, labels=None):
        recorder.shown.append(changed_fields(conflict.current, mine, original))
        return recorder.answer

    monkeypatch.setattr(ConflictDialog, "ask", staticmethod(ask))
    return recorder
