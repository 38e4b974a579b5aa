"""Every user-visible string has a Dutch translation, and the compiled catalog is current."""

from __future__ import annotations

import re

from pestdesk.devtools import catalogs


def test_every_string_has_a_dutch_translation():
    missing = catalogs.untranslated("nl")
    assert missing == [], f"{len(missing)} strings without Dutch translation: {missing[:10]}"


def test_compiled_catalog_matches_po():
    for lang in catalogs.TRANSLATED:
        compiled = catalogs.po_path(lang).with_suffix(".mo").read_bytes()
        assert compiled == catalogs.compiled_mo(catalogs.load_po(lang)), (
            "run: python -m pestdesk.devtools.catalogs compile")


def test_placeholders_survive_translation():
    catalog = catalogs.load_po("nl")
    for message in catalog:
        if not message.id or not message.string or isinstance(message.id, tuple):
            continue
        wanted = sorted(re.findall(r"\{\w*\}|%\(\w+\)\w|%s", message.id))
        found = sorted(re.findall(r"\{\w*\}|%\(\w+\)\w|%s", message.string))
        assert wanted == found, message.id


def test_dates_in_dutch_long_form():
    import datetime as dt

    from pestdesk import i18n

    i18n.set_language("nl")
    assert i18n.format_date(dt.date(2026, 11, 24), "long") == "24 november 2026"
    i18n.set_language("en")
    assert i18n.format_date(dt.date(2026, 11, 24), "long") == "24 November 2026"
