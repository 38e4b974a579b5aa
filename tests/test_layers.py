"""The layering of docs/architecture.md §2, checked on the imports of every module (AST, not grep).

gui/cli -> services -> domain + store. Nothing below gui imports Qt; the domain imports
neither Qt nor peewee (nor the database driver, nor the layers above it); only the storage
module talks to sqlite3 directly, so a PostgreSQL back end stays a storage-only change.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable, Iterator
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "pestdesk"

QT = ("PySide6", "shiboken6")
ORM = ("peewee", "playhouse")
DRIVER = ("sqlite3", "sqlcipher3")
UPPER = ("pestdesk.gui", "pestdesk.cli")

# Modules outside pestdesk/store that may import sqlite3, and why. Keep this list short.
SQLITE3_EXCEPTIONS: dict[str, str] = {
    # none: store.errors.DRIVER_ERRORS / classify() and store.db.present_usernames() give
    # the services what they need from the driver without importing it
}

# Modules outside pestdesk/gui that may import Qt, and why.
QT_EXCEPTIONS: dict[str, str] = {}

# The GUI reads and writes dossiers only through services (which apply need-to-know and
# the audit trail); it never imports the peewee models. Exceptions: module -> (the names
# it may take from pestdesk.store.models, why). Keep this list empty.
MODELS = "pestdesk.store.models"
GUI_MODELS_EXCEPTIONS: dict[str, tuple[frozenset[str], str]] = {
    # none: connections through services.threads (in_worker, close_thread_connection), the
    # schema version through services.health, class names through services.staff and one
    # helpline through services.helplines
}

# What each layer may not import (besides Qt, checked for everything below gui).
FORBIDDEN: dict[str, tuple[str, ...]] = {
    "pestdesk.domain": (*ORM, *DRIVER, "pestdesk.store", "pestdesk.services",
                        "pestdesk.letters", "pestdesk.importers", *UPPER),
    "pestdesk.store": ("pestdesk.services", "pestdesk.letters", "pestdesk.importers", *UPPER),
    "pestdesk.services": UPPER,
    "pestdesk.letters": ("pestdesk.services", *UPPER),  # renders plain data it is handed
    "pestdesk.importers": ("pestdesk.services", "pestdesk.store", *UPPER),
}


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported(path: Path) -> Iterator[tuple[int, str]]:
    """(line, absolute module name) of every import in ``path``, lazy imports included."""
    name = module_name(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            yield node.lineno, target
            for alias in node.names:  # "from . import services" names a module too
                yield node.lineno, f"{target}.{alias.name}"


def matches(target: str, prefixes: tuple[str, ...]) -> bool:
    return any(target == p or target.startswith(p + ".") for p in prefixes)


MODULES = sorted(PACKAGE.rglob("*.py"))


def violations(rule) -> list[str]:
    found = []
    for path in MODULES:
        name = module_name(path)
        for line, target in imported(path):
            if rule(name, target):
                found.append(f"{path.relative_to(PACKAGE.parent)}:{line} imports {target}")
    return sorted(set(found))


def test_the_walk_sees_the_whole_package():
    names = {module_name(p) for p in MODULES}
    assert {"pestdesk.domain.engine", "pestdesk.store.db", "pestdesk.services.base",
            "pestdesk.gui.main_window", "pestdesk.cli"} <= names


def test_the_walk_resolves_relative_imports():
    found = {t for _line, t in imported(PACKAGE / "services" / "base.py")}
    assert "pestdesk.store.models" in found and "pestdesk.i18n" in found


def test_nothing_below_gui_imports_qt():
    def rule(name: str, target: str) -> bool:
        return (matches(target, QT) and not matches(name, UPPER)
                and name not in QT_EXCEPTIONS)

    assert violations(rule) == []


@pytest.mark.parametrize("layer", sorted(FORBIDDEN))
def test_layer_does_not_reach_up_or_sideways(layer):
    def rule(name: str, target: str) -> bool:
        return matches(name, (layer,)) and matches(target, FORBIDDEN[layer])

    assert violations(rule) == []


def test_domain_is_pure():
    def rule(name: str, target: str) -> bool:
        return matches(name, ("pestdesk.domain",)) and matches(target, (*QT, *ORM, *DRIVER))

    assert violations(rule) == []


def test_only_the_store_imports_sqlite3():
    def rule(name: str, target: str) -> bool:
        return (matches(target, DRIVER) and not matches(name, ("pestdesk.store",))
                and name not in SQLITE3_EXCEPTIONS)

    assert violations(rule) == []


def test_sqlite3_exceptions_are_still_needed():
    users = {module_name(p) for p in MODULES
             if any(matches(t, DRIVER) for _line, t in imported(p))}
    assert set(SQLITE3_EXCEPTIONS) <= users, "drop exceptions that no longer import sqlite3"




def gui_model_imports(name: str, targets: Iterable[tuple[int, str]],
                      exceptions: dict | None = None) -> list[str]:
    """The forbidden imports of the models module among ``targets`` of GUI module ``name``.

    Per import statement: every name taken from pestdesk.store.models must be in the module's
    exception; taking the module itself ("from ..store import models", "import
    pestdesk.store.models") is never allowed, as it opens every model.
    """
    if not matches(name, ("pestdesk.gui",)):
        return []
    exceptions = GUI_MODELS_EXCEPTIONS if exceptions is None else exceptions
    allowed = exceptions.get(name, (frozenset(), ""))[0]
    by_line: dict[int, set[str]] = {}
    for line, target in targets:
        if matches(target, (MODELS,)):
            by_line.setdefault(line, set()).add(target[len(MODELS) + 1:])
    bad = []
    for line, taken in sorted(by_line.items()):
        names = taken - {""}
        if not names or not names <= allowed:
            bad.append(f"{name}:{line} imports {MODELS} {sorted(names - allowed)}")
    return bad


def test_gui_does_not_import_the_models():
    found = [v for path in MODULES
             for v in gui_model_imports(module_name(path), imported(path))]
    assert found == []


# an exception as the list would hold one, to check that the rule honours it name by name
SAMPLE_EXCEPTIONS = {"pestdesk.gui.app": (frozenset({"database"}), "closes the database")}


@pytest.mark.parametrize(("statement", "targets", "forbidden"), [
    ("from ..store.models import Case",
     ["pestdesk.store.models", "pestdesk.store.models.Case"], True),
    ("from ..store import models as m", ["pestdesk.store", "pestdesk.store.models"], True),
    ("import pestdesk.store.models", ["pestdesk.store.models"], True),
    ("from ..store.models import database, Case", ["pestdesk.store.models",
     "pestdesk.store.models.database", "pestdesk.store.models.Case"], True),
    ("from ..store.models import database",  # in SAMPLE_EXCEPTIONS
     ["pestdesk.store.models", "pestdesk.store.models.database"], False),
    ("from ..store.errors import StoreError",
     ["pestdesk.store.errors", "pestdesk.store.errors.StoreError"], False),
])
def test_the_gui_models_rule_catches_each_form(statement, targets, forbidden):
    # the targets are what imported() yields for the statement in pestdesk/gui/app.py
    found = gui_model_imports("pestdesk.gui.app", [(1, t) for t in targets], SAMPLE_EXCEPTIONS)
    assert bool(found) is forbidden, statement


def test_without_an_exception_even_the_database_object_is_refused():
    targets = [(1, "pestdesk.store.models"), (1, "pestdesk.store.models.database")]
    assert gui_model_imports("pestdesk.gui.app", targets) != []


def test_gui_models_exceptions_are_still_needed():
    for name, (allowed, _why) in GUI_MODELS_EXCEPTIONS.items():
        path = PACKAGE.parent / (name.replace(".", "/") + ".py")
        taken = {t[len(MODELS) + 1:] for _line, t in imported(path) if matches(t, (MODELS,))}
        assert allowed <= taken, f"{name} no longer imports {sorted(allowed - taken)}"
