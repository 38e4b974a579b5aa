"""Where the data folders shipped with pestdesk live.

In a wheel they are copied into ``pestdesk/_data/``; in a source checkout (and an editable
install) they sit at the repository root next to the package. Everything that needs a form,
a protocol preset, a font or a catalog asks this module, never ``__file__`` directly.
"""

from __future__ import annotations

from pathlib import Path

_PKG = Path(__file__).resolve().parent


def _data_root() -> Path:
    installed = _PKG / "_data"
    if installed.is_dir():
        return installed
    return _PKG.parent


DATA_ROOT = _data_root()
UI_DIR = DATA_ROOT / "ui"
RESOURCES_DIR = DATA_ROOT / "resources"
TRANSLATIONS_DIR = DATA_ROOT / "translations"
PROTOCOLS_DIR = RESOURCES_DIR / "protocols"
FONTS_DIR = RESOURCES_DIR / "fonts"
TEMPLATES_DIR = RESOURCES_DIR / "templates"
ICONS_DIR = RESOURCES_DIR / "icons"
