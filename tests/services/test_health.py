"""services.health: the schema version of the open database, as Beheer shows it."""

from __future__ import annotations

from pestdesk.services.health import current_schema_version
from pestdesk.store.db import schema_version
from pestdesk.store.dialect import set_schema_version
from pestdesk.store.migrations import LATEST


def test_current_schema_version_is_the_open_files(db):
    assert current_schema_version() == LATEST == schema_version(db)
    set_schema_version(db, LATEST - 1)
    assert current_schema_version() == LATEST - 1
