"""Every English message of the protocol modules has a Dutch translation waiting in
``translations/pending/engine.json``, with the same placeholders."""

from __future__ import annotations

import json
import re

import pytest
from babel.messages.extract import extract_from_file

from pestdesk.domain import engine, protocol, taxonomy
from pestdesk.paths import TRANSLATIONS_DIR

MODULES = (engine, protocol, taxonomy)
PENDING = TRANSLATIONS_DIR / "pending" / "engine.json"
PLACEHOLDER = re.compile(r"\{(\w+)\}")


def msgids() -> list[str]:
    found = []
    for module in MODULES:
        for _line, message, _comments, _context in extract_from_file(
            "python", module.__file__, keywords={"_": None, "N_": None, "ngettext": (1, 2)}
        ):
            found.append(message)
    return found


@pytest.fixture(scope="module")
def pending() -> dict[str, str]:
    return json.loads(PENDING.read_text(encoding="utf-8"))


def test_the_modules_have_messages():
    assert len(msgids()) > 50


@pytest.mark.parametrize("msgid", sorted(set(msgids())))
def test_message_has_a_dutch_translation_with_the_same_placeholders(pending, msgid):
    assert pending.get(msgid, "").strip(), msgid
    assert set(PLACEHOLDER.findall(pending[msgid])) == set(PLACEHOLDER.findall(msgid))


def test_no_stale_translations(pending):
    assert set(pending) <= set(msgids())
