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


def test_lookups_keep_none_alive(qt_dutch):
    before = sys.getrefcount(None)
    for _i in range(3000):
        QCoreApplication.translate("QFileDialog", "Look in:")
        QCoreApplication.translate("pestdesk", "a text nobody translates")
    assert sys.getrefcount(None) >= before - 50  # other code may hold or drop a few
    assert QCoreApplication.translate("pestdesk", "a text nobody translates") \
        == "a text nobody translates"
