"""Maintain the babel catalogs: extract strings from Python and Qt Designer forms, update the
Dutch catalog, compile ``.mo`` files.

    python -m pestdesk.devtools.catalogs all      # extract + update + compile

Python strings are marked with ``_()``, ``N_()`` or ``ngettext()``; ``.ui`` forms contribute
every ``<string>`` not marked ``notr="true"`` (Qt's translator then asks the same catalog).
"""

from __future__ import annotations

import io
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po

from ..paths import DATA_ROOT, TRANSLATIONS_DIR, UI_DIR

PKG_DIR = Path(__file__).resolve().parent.parent
KEYWORDS = {"_": None, "N_": None, "ngettext": (1, 2)}
TRANSLATED = ("nl",)


def extract_qt_ui(fileobj, keywords, comment_tags, options):
    """Babel extractor for Qt Designer ``.ui`` files."""
    tree = ET.parse(fileobj)
    for element in tree.iter("string"):
        if element.get("notr") == "true" or not (element.text or "").strip():
            continue
        yield 0, None, element.text, [element.get("comment", "")] if element.get("comment") else []


def extract_catalog() -> Catalog:
    catalog = Catalog(project="pestdesk", domain="pestdesk", charset="utf-8")
    sources = [
        (PKG_DIR, [("**/devtools/**.py", "ignore"), ("**.py", "python")]),
        (UI_DIR, [("**.ui", extract_qt_ui)]),
    ]
    for root, method_map in sources:
        if not root.is_dir():
            continue
        for filename, lineno, message, comments, context in extract_from_dir(
            str(root), method_map=method_map, keywords=KEYWORDS, comment_tags=("TRANSLATORS:",)
        ):
            location = (str((root / filename).relative_to(DATA_ROOT)), lineno)
            catalog.add(message, None, [location], auto_comments=comments, context=context)
    return catalog


def po_path(lang: str) -> Path:
    return TRANSLATIONS_DIR / lang / "LC_MESSAGES" / "pestdesk.po"


def load_po(lang: str) -> Catalog:
    path = po_path(lang)
    if not path.exists():
        return Catalog(locale=lang, domain="pestdesk")
    with open(path, "rb") as fh:
        return read_po(fh, locale=lang)


def write_catalog(catalog: Catalog, path: Path, **kwargs) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "wb") as fh:
        write_po(fh, catalog, width=100, sort_output=True, **kwargs)


def compiled_mo(catalog: Catalog) -> bytes:
    buf = io.BytesIO()
    write_mo(buf, catalog, use_fuzzy=False)
    return buf.getvalue()


def extract() -> Catalog:
    template = extract_catalog()
    write_catalog(template, TRANSLATIONS_DIR / "messages.pot", omit_header=False)
    return template


def update(template: Catalog) -> None:
    for lang in TRANSLATED:
        catalog = load_po(lang)
        catalog.update(template, no_fuzzy_matching=True)
        write_catalog(catalog, po_path(lang), ignore_obsolete=True)


def compile_all() -> None:
    for lang in TRANSLATED:
        catalog = load_po(lang)
        po_path(lang).with_suffix(".mo").write_bytes(compiled_mo(catalog))


def untranslated(lang: str = "nl") -> list[str]:
    """Source strings in the code that have no (non-fuzzy) translation in ``lang``."""
    catalog = load_po(lang)
    missing = []
    for message in extract_catalog():
        if not message.id:
            continue
        found = catalog.get(message.id, context=message.context)
        text = found.string if found else None
        if isinstance(text, tuple | list):
            ok = all(text)
        else:
            ok = bool(text)
        if not ok or (found and found.fuzzy):
            missing.append(message.id if isinstance(message.id, str) else message.id[0])
    return missing


def fill(mapping: dict[str, str], lang: str = "nl") -> int:
    """Set translations from ``{msgid: translation}``; returns how many were set."""
    catalog = load_po(lang)
    count = 0
    for msgid, text in mapping.items():
        message = catalog.get(msgid)
        if message is None:
            continue
        message.string = text
        message.flags.discard("fuzzy")
        count += 1
    write_catalog(catalog, po_path(lang), ignore_obsolete=True)
    return count


def main(argv: list[str] | None = None) -> int:
    command = (argv or sys.argv[1:] or ["all"])[0]
    if command in ("extract", "all"):
        template = extract()
        if command == "all":
            update(template)
    if command == "update":
        update(extract_catalog())
    if command in ("compile", "all"):
        compile_all()
    if command == "fill":  # fill FILE.json: {"source": "vertaling"}
        import json

        args = argv or sys.argv[1:]
        print(fill(json.loads(Path(args[1]).read_text(encoding="utf-8"))))
        compile_all()
    if command == "missing":
        for msgid in untranslated():
            print(msgid)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
