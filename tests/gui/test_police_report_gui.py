"""The police report in the case window's cyber section: a control that records the state
(audited), after which the checklist pauses blocking and keeps the evidence first."""

from __future__ import annotations

import datetime as dt

from pestdesk import clock
from pestdesk.services.base import write
from pestdesk.store import models as m
from tests.helpers.casework import make_case
from tests.helpers.renamed import C


def test_the_cyber_section_records_the_police_report(db, qtbot):
    from pestdesk.gui.case.view import CaseView

    clock.set_today(dt.date(2026, 11, 20))
    setup = make_case()
    with write():
        m.Case.update(is_cyber=True, forms="haatmail", location="online").where(
            m.Case.id == setup.case_id).execute()
    view = CaseView(setup.actor, setup.case_id)
    qtbot.addWidget(view)
    combo = view.police_report
    assert combo.currentData() == "" and combo.isEnabled()
    assert C("afzender_blokkeren") in view.checklist_buttons
    combo.setCurrentIndex(combo.findData("planned"))
    qtbot.waitUntil(lambda: m.Event.select().where(m.Event.kind == "police_report").exists(),
                    timeout=5000)
    event = m.Event.get(m.Event.kind == "police_report")
    assert event.title == "Aangifte bij de politie: gepland"
    assert m.AuditLog.select().where((m.AuditLog.table == "event")
                                     & (m.AuditLog.record_id == event.id)).exists()
    qtbot.waitUntil(lambda: view.police_report.currentData() == "planned", timeout=5000)
    from PySide6.QtWidgets import QLabel

    labels = " ".join(label.text() for label in view.findChildren(QLabel))
    assert "Wacht hiermee tot de aangifte is gedaan" in labels
    assert "bewaar eerst al het bewijs" in labels
