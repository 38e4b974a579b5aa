"""Every user-visible string of the letter engine has a Dutch translation pending."""

from __future__ import annotations

import ast
import json
import re
from pathlib import Path

import pestdesk.letters
from pestdesk.paths import DATA_ROOT

PACKAGE = Path(pestdesk.letters.__file__).parent
PENDING = DATA_ROOT / "translations" / "pending" / "letters.json"


def msgids() -> set[str]:
    found = set()
    for path in PACKAGE.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text("utf-8"))):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Name)
                and node.func.id in ("_", "N_")
                and node.args
                and isinstance(node.args[0], ast.Constant)
            ):
                found.add(node.args[0].value)
    return found


def test_every_msgid_has_a_dutch_translation_with_the_same_placeholders():
    catalog = json.loads(PENDING.read_text("utf-8"))
    ids = msgids()
    assert ids and ids == set(catalog)
    for msgid, dutch in catalog.items():
        assert dutch and dutch != msgid or msgid.startswith("line "), msgid
        assert set(re.findall(r"{\w+}", msgid)) == set(re.findall(r"{\w+}", dutch)), msgid
