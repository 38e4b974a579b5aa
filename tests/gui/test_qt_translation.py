"""Qt's own dialogs speak Dutch, and looking texts up never wears out Python's None."""

from __future__ import annotations

import sys

from PySide6.QtCore import QCoreApplication
from PySide6.QtWidgets import QFileDialog, QLabel


def test_the_file_dialog_is_dutch(qt_dutch, qtbot):
    dialog = QFileDialog(None, "Bestand kiezen")
    dialog.setOption(QFileDialog.Option.DontUseNativeDialog, True)
    qtbot.addWidget(dialog)
    dialog.show()
    labels = {label.text() for label in dialog.findChildren(QLabel)}
    assert {"&Zoeken in:", "Bestands&type:"} <= labels
    assert not any("Look in" in t or "Files of" in t for t in labels)


def test_qt_calls_cannot_wear_out_none(qt_dutch):
    """PySide6 6.12 on Python 3.11 drops a reference to None on every void call and every
    translator lookup; importing pestdesk.gui keeps None alive (see its docstring)."""
    import pestdesk.gui

    if sys.version_info < (3, 12):
        assert sys.getrefcount(None) > pestdesk.gui.NONE_RESERVE // 2
    app = QCoreApplication.instance()
    for _i in range(3000):
        app.processEvents()  # each one cost None a reference: fatal after a few thousand
        QCoreApplication.translate("QFileDialog", "Look in:")
    assert QCoreApplication.translate("pestdesk", "a text nobody translates") \
        == "a text nobody translates"
