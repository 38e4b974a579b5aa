"""Every English message of the importers has a plain Dutch translation waiting to be merged."""

from __future__ import annotations

import json
import re
from pathlib import Path

from babel.messages.extract import extract_from_file

ROOT = Path(__file__).resolve().parents[2]
SOURCES = sorted((ROOT / "pestdesk/importers").glob("*.py")) + [
    ROOT / "pestdesk/services/people.py"]
PENDING = ROOT / "translations/pending/importers.json"


def _msgids() -> set[str]:
    found = set()
    for path in SOURCES:
        for _line, message, _comments, _ctx in extract_from_file(
                "python", str(path), keywords={"_": None, "N_": None, "ngettext": (1, 2)}):
            found.add(message if isinstance(message, str) else message[0])
    return found


def test_every_message_has_a_dutch_translation():
    pending = json.loads(PENDING.read_text("utf-8"))
    missing = _msgids() - set(pending)
    assert not missing, sorted(missing)
    assert all(text.strip() for text in pending.values())


def test_placeholders_survive_translation():
    pending = json.loads(PENDING.read_text("utf-8"))
    for msgid, text in pending.items():
        assert set(re.findall(r"{\w+}", msgid)) == set(re.findall(r"{\w+}", text)), msgid
