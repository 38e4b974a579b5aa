"""The contract dialog on a real case: made from the protocol, signed, printed, evaluated."""

from __future__ import annotations

import datetime as dt
import io

from pypdf import PdfReader
from PySide6.QtCore import QDate

from pestdesk.gui.case.contracts import ContractDialog
from pestdesk.services import contracts
from pestdesk.services.base import write
from pestdesk.store import models as m
from tests.helpers.casework import make_case, pester_stage, put_on_stage
from tests.helpers.gui import shot
from tests.helpers.renamed import S

D = dt.date


def qd(day: dt.date) -> QDate:
    return QDate(day.year, day.month, day.day)


def with_guardian(setup) -> None:
    with write():
        mother = m.Guardian.create(first_name="Petra", last_name="Bakker")
        m.StudentGuardian.create(student=setup.pester_id, guardian=mother, relation="moeder",
                                 has_authority=True)


def test_contract_made_signed_and_broken_moves_the_stage(db, qtbot, qt_dutch):
    setup = make_case()
    with_guardian(setup)
    put_on_stage(setup, "afdelingscoordinator")
    dialog = ContractDialog(setup.actor, setup.case_id, setup.pester_id)
    qtbot.addWidget(dialog)
    assert dialog.pages.currentIndex() == 0
    dialog.made_on.setDate(qd(D(2026, 10, 1)))
    assert dialog.evaluate_on.date() == qd(D(2026, 11, 12))  # the protocol's 42 days
    dialog.add_rule("Ik laat Sanne met rust, ook online.")
    # the afdelingscoordinator's steps are open: the protocol wants the user's own reason
    assert not dialog.ladder.isHidden() and not dialog.ladder.reason_box.isHidden()
    assert "Mentor draagt het dossier" in dialog.ladder.message.text()
    assert dialog.make() is False and "reden" in dialog.error.text()
    assert m.Contract.select().count() == 0
    dialog.ladder.reason_box.setPlainText("Teruggevallen in de eerste week.")
    shot(dialog, "contract_make")
    assert dialog.make(), dialog.error.text()
    assert m.Event.get(m.Event.kind == "escalate", m.Event.stage_code == S("contract")).body \
        == "Teruggevallen in de eerste week."
    contract = m.Contract.get()
    assert contracts.rules_of(contract)[-1] == "Ik laat Sanne met rust, ook online."
    assert pester_stage(setup) == "contract" and dialog.pages.currentIndex() == 1

    dialog.student_signed.setChecked(True)
    dialog.student_on.setDate(qd(D(2026, 10, 1)))
    dialog.parents_signed.setChecked(True)
    dialog.parents_on.setDate(qd(D(2026, 10, 2)))
    assert [b.text() for b in dialog.guardian_boxes] == ["Petra Bakker"]
    dialog.guardian_boxes[0].setChecked(True)
    assert dialog.sign(), dialog.error.text()
    contract = m.Contract.get()
    assert (contract.signed_student_on, contract.signed_parent_on) == (D(2026, 10, 1),
                                                                       D(2026, 10, 2))
    signed = m.Event.get(m.Event.kind == "contract_signed")
    assert "Petra Bakker" in signed.data
    shot(dialog, "contract_signed")

    dialog.broken.setChecked(True)
    dialog.outcome_on.setDate(qd(D(2026, 10, 20)))
    dialog.outcome_note.setPlainText("Weer gescholden in de les.")
    assert dialog.record_outcome(), dialog.error.text()
    assert m.Contract.get().outcome == "broken"
    assert pester_stage(setup) == "schorsing_1_dag"
    assert dialog.outcome_button.isHidden() and not dialog.new_button.isHidden()


def test_outcome_without_choice_is_refused(db, qtbot, qt_dutch):
    setup = make_case()
    c = contracts.make_contract(setup.actor, setup.case_id, setup.pester_id,
                                made_on=D(2026, 10, 1),
                                move_reason="Ernstig")
    dialog = ContractDialog(setup.actor, setup.case_id, None)
    qtbot.addWidget(dialog)
    assert dialog.contract.id == c.id
    assert dialog.record_outcome() is False
    assert "nagekomen of verbroken" in dialog.error.text()
    assert m.Contract.get().outcome == ""


def test_signature_before_the_contract_is_refused(db, qtbot, qt_dutch):
    setup = make_case()
    contracts.make_contract(setup.actor, setup.case_id, setup.pester_id, made_on=D(2026, 10, 1),
                                move_reason="Ernstig")
    dialog = ContractDialog(setup.actor, setup.case_id, setup.pester_id)
    qtbot.addWidget(dialog)
    dialog.student_signed.setChecked(True)
    dialog.student_on.setDate(qd(D(2026, 9, 30)))
    assert dialog.sign() is False and dialog.error.text()
    assert m.Contract.get().signed_student_on is None


def test_print_for_signature_shows_the_contract_pdf(db, qtbot, qt_dutch, monkeypatch):
    setup = make_case()
    contracts.make_contract(setup.actor, setup.case_id, setup.pester_id, made_on=D(2026, 10, 1),
                            extra_rules=["Ik laat Sanne met rust."], move_reason="Ernstig")
    dialog = ContractDialog(setup.actor, setup.case_id, setup.pester_id)
    qtbot.addWidget(dialog)
    from pestdesk.gui.case import contracts as contract_dialogs

    shown = []
    monkeypatch.setattr(contract_dialogs.ContractPrintDialog, "exec",
                        lambda self: shown.append(self) or 0)
    dialog.show_print()
    assert shown and shown[0].preview.page_count() >= 1
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(shown[0].pdf)).pages)
    assert "Ik laat Sanne met rust." in text
    shown[0].resize(620, 760)
    shot(shown[0], "contract_print")
