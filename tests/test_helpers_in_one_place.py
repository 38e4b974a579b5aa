"""Shared test code lives in tests/helpers/: no test module imports from another test module
(or from a fixture file beside one), so that a test can be moved or deleted without breaking
the others. conftest.py fixtures are pytest's own sharing and are not imported."""

from __future__ import annotations

import ast
from pathlib import Path

TESTS = Path(__file__).resolve().parent


def test_tests_import_shared_code_only_from_tests_helpers():
    wrong = []
    for path in sorted(TESTS.rglob("*.py")):
        if "helpers" in path.relative_to(TESTS).parts:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                name = node.module
            elif isinstance(node, ast.ImportFrom) and node.level:
                name = "tests.<relative>." + (node.module or "")
            else:
                continue
            if name.startswith("tests") and not name.startswith("tests.helpers"):
                wrong.append(f"{path.relative_to(TESTS)}:{node.lineno}: {name}")
    assert wrong == [], "move shared test code to tests/helpers/: " + "; ".join(wrong)
