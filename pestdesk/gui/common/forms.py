"""Loading Qt Designer forms from ``ui/`` (translated through the installed translators)."""

from __future__ import annotations

from PySide6.QtCore import QFile, QIODevice
from PySide6.QtUiTools import QUiLoader
from PySide6.QtWidgets import QWidget

from pestdesk.paths import UI_DIR


def load_form(name: str, parent: QWidget | None = None) -> QWidget:
    """Load ``ui/<name>.ui``; its strings go through Qt's translator (our gettext catalog)."""
    path = UI_DIR / f"{name}.ui"
    handle = QFile(str(path))
    if not handle.open(QIODevice.OpenModeFlag.ReadOnly):
        raise FileNotFoundError(path)
    try:
        loader = QUiLoader()
        widget = loader.load(handle, parent)
    finally:
        handle.close()
    if widget is None:
        raise RuntimeError(f"cannot load form {path}: {loader.errorString()}")
    return widget
