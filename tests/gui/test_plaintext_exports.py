"""Exports are plaintext whatever the database: every save dialog of an export says so, and
saving a contract or an evidence file leaves an audit line (the other exports audit in their
services: figures, year report, meeting pack, AVG inzage, letters)."""

from __future__ import annotations

import io

from PySide6.QtWidgets import QFileDialog

from pestdesk.services.base import SYSTEM, Actor
from pestdesk.store.models import AuditLog


def tiny_pdf() -> bytes:
    from reportlab.pdfgen import canvas

    out = io.BytesIO()
    page = canvas.Canvas(out)
    page.drawString(72, 720, "contract")
    page.save()
    return out.getvalue()


def test_save_dialogs_say_the_export_is_not_encrypted(db, tmp_path, monkeypatch, qtbot):
    from pestdesk.gui.case.contracts import ContractPrintDialog

    captions = []
    target = tmp_path / "contract.pdf"

    def ask(parent, caption, *a, **k):
        captions.append(caption)
        return str(target), ""

    monkeypatch.setattr(QFileDialog, "getSaveFileName", ask)
    actor = Actor(1, "zorg", roles=SYSTEM.roles)
    dialog = ContractPrintDialog(tiny_pdf(), None, actor, 42)
    qtbot.addWidget(dialog)
    dialog.save_contract()
    assert target.read_bytes().startswith(b"%PDF")
    assert "niet versleuteld" in captions[-1] and captions[-1].startswith("Opslaan als pdf")
    line = AuditLog.select().order_by(AuditLog.id.desc()).first()
    assert (line.action, line.table, line.record_id, line.user) == ("export", "contract", 42, 1)
