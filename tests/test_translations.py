"""Every user-visible string has a Dutch translation, and the compiled catalog is current."""

from __future__ import annotations

import re

from pestdesk.devtools import catalogs


def test_every_string_has_a_dutch_translation():
    missing = catalogs.untranslated("nl")
    assert missing == [], f"{len(missing)} strings without Dutch translation: {missing[:10]}"


def _messages(catalog) -> dict:
    """What a catalog says: msgid (with context) -> msgstr, the header left out (the header
    names the tool version that wrote the file, which is not content)."""
    return {(m.context, m.id): m.string for m in catalog if m.id}


def test_compiled_catalog_matches_po():
    """The .mo says what the .po says: every translated message, nothing else. Compared by
    content, not bytes, so a newer babel (another "Generated-By") does not fail it."""
    import gettext

    for lang in catalogs.TRANSLATED:
        po = {key: string for key, string in _messages(catalogs.load_po(lang)).items()
              if string and (string if isinstance(string, str) else any(string))}
        with catalogs.po_path(lang).with_suffix(".mo").open("rb") as handle:
            mo = gettext.GNUTranslations(handle)
        compiled = {}
        for raw_id, string in mo._catalog.items():  # noqa: SLF001 - the stdlib's parsed .mo
            if isinstance(raw_id, tuple):  # a plural form: (msgid, index)
                msgid, index = raw_id
                context, _sep, msgid = msgid.rpartition("\x04")
                compiled.setdefault((context or None, msgid), {})[index] = string
                continue
            if not raw_id:
                continue  # the header
            context, _sep, msgid = raw_id.rpartition("\x04")
            compiled[(context or None, msgid)] = string
        expected = {}
        for (context, msgid), string in po.items():
            if isinstance(msgid, tuple):  # plural: compare the singular id and every form
                expected[(context, msgid[0])] = dict(enumerate(string))
            else:
                expected[(context, msgid)] = string
        stale = sorted(str(k) for k in expected.keys() ^ compiled.keys())[:10]
        assert expected.keys() == compiled.keys(), (
            f"{lang}: .mo and .po hold other messages ({stale}); "
            "run: python -m pestdesk.devtools.catalogs compile")
        differ = [k for k in expected if expected[k] != compiled[k]][:10]
        assert differ == [], (f"{lang}: .mo translates these differently: {differ}; "
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


def _marked_strings():
    """Every literal passed to _(), N_() or ngettext() in the package, found with the AST —
    which, unlike babel's extractor on Python 3.11, also sees calls inside f-strings."""
    import ast
    from pathlib import Path

    import pestdesk

    root = Path(pestdesk.__file__).parent
    for path in sorted(root.rglob("*.py")):
        if "devtools" in path.parts:
            continue
        for node in ast.walk(ast.parse(path.read_text("utf-8"))):
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
                    and node.func.id in ("_", "N_", "ngettext") and node.args
                    and isinstance(node.args[0], ast.Constant)
                    and isinstance(node.args[0].value, str)):
                yield path.relative_to(root.parent), node.lineno, node.args[0].value


def test_no_marked_string_escapes_extraction():
    catalog = catalogs.load_po("nl")
    missing = []
    for path, line, msgid in _marked_strings():
        found = catalog.get(msgid)
        if not (found and found.string):
            missing.append(f"{path}:{line}: {msgid!r}")
    assert missing == [], ("marked strings the catalog lacks (a _() inside an f-string is "
                           "invisible to extraction: call it outside): " + "; ".join(missing))
