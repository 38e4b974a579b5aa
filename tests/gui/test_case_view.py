"""The case screen's parts: paged timeline with filters, relapse link, students, evidence
viewer, and the Meldingen list filters that lead to it."""

from __future__ import annotations

import pytest
from PySide6.QtWidgets import QLabel

from pestdesk import clock
from pestdesk.gui.case import dialogs
from pestdesk.gui.case.lists import CasesView
from pestdesk.gui.case.timeline import PAGE
from pestdesk.gui.case.view import CaseView
from pestdesk.services import cases
from pestdesk.services.base import SYSTEM
from pestdesk.store.models import Case, Involvement, SchoolClass
from tests.helpers.gui import (
    PNG,
    check,
    demo_school,
    fresh_students,
    new_case,
    open_view,
    when_modal,
)


@pytest.fixture
def actor(db, qt_dutch):
    return demo_school()


def test_timeline_is_paged_newest_first_and_filters_in_sql(qtbot, actor):
    victim, bully = fresh_students(2)
    case_id = new_case(actor, victim, bully)
    for n in range(PAGE + 20):
        cases.add_note(actor, case_id, f"notitie {n} over de pauze" if n % 2 else f"notitie {n}")
    cases.record_step(actor, case_id, "gesprek_gepeste", note="gesprek gevoerd")
    view = open_view(qtbot, actor, case_id)
    model = view.timeline_model
    total = PAGE + 22  # the notes, the step and the report
    assert model.total() == total and model.rowCount() == PAGE  # one page loaded
    assert model.canFetchMore()
    model.fetchMore()
    assert model.rowCount() == total
    view.kind_filter.setCurrentIndex(view.kind_filter.findText("Stappen en escalaties"))
    assert model.total() == 1 and model.row(0).step_code == "gesprek_gepeste"
    view.kind_filter.setCurrentIndex(0)
    qtbot.keyClicks(view.timeline_search, "pauze")
    qtbot.waitUntil(lambda: model.total() == (PAGE + 20) // 2, timeout=2000)
    assert "pauze" in model.row(0).body
    assert view.timeline_count.text().startswith(str((PAGE + 20) // 2))
    view.timeline.selectRow(0)
    assert "pauze" in view.entry.toPlainText()


def test_relapse_banner_links_the_earlier_case(qtbot, actor):
    victim, bully, other = fresh_students(3)
    first = new_case(actor, victim, bully)
    second = new_case(actor, other, bully)
    view = open_view(qtbot, actor, second)
    banner = view.findChild(QLabel, "relapseBanner")
    number = Case.get_by_id(first).number
    assert banner is not None and number in banner.text()
    with qtbot.waitSignal(view.open_case) as opened:
        banner.linkActivated.emit(f"case:{first}")
    assert opened.args == [first]


def test_add_a_student_by_typing_and_change_the_role(qtbot, actor):
    victim, bully, witness = fresh_students(3)
    case_id = new_case(actor, victim, bully)
    view = open_view(qtbot, actor, case_id)

    def add(dialog):
        qtbot.keyClicks(dialog.picker, f"{witness.first_name} {witness.last_name}".lower())
        dialog.picker.choose_first()
        dialog.role.setCurrentIndex(dialog.role.findData("getuige"))
        dialog.accept()

    errors = when_modal(add)
    view.add_student_button.click()
    check(errors)
    assert view.students.rowCount() == 3
    row = next(r for r in range(3) if view.students.item(r, 0).text().startswith(
        witness.first_name))
    view.students.selectRow(row)

    def change(dialog):
        dialog.role.setCurrentIndex(dialog.role.findData("meeloper"))
        dialog.accept()

    errors = when_modal(change)
    view.role_button.click()
    check(errors)
    inv = Involvement.get((Involvement.case == case_id) & (Involvement.student == witness.id))
    assert inv.role == "meeloper" and inv.version == 2


def test_evidence_is_stored_with_fingerprint_and_shown(qtbot, actor, tmp_path):
    victim, bully = fresh_students(2)
    case_id = new_case(actor, victim, bully)
    view = open_view(qtbot, actor, case_id)
    picture = tmp_path / "bericht.png"
    picture.write_bytes(PNG)
    text = tmp_path / "chat.txt"
    text.write_text("chatlog", encoding="utf-8")
    assert view.evidence_tab().add_paths([picture, text]) == 2
    assert view.evidence_table.rowCount() == 2
    detail = cases.case_detail(case_id, actor=SYSTEM)
    image = next(a for a in detail.attachments if a.filename == "bericht.png")
    viewer = dialogs.AttachmentViewer(actor, image, "zorg")
    qtbot.addWidget(viewer)
    assert viewer.kind == "image" and viewer.data == PNG
    assert viewer.windowTitle() == "Bewijs"  # a file name may hold a name: not in titles
    other = next(a for a in detail.attachments if a.filename == "chat.txt")
    viewer = dialogs.AttachmentViewer(actor, other, "zorg")
    qtbot.addWidget(viewer)
    assert viewer.kind == "other" and viewer.save_button.isEnabled()


def test_a_hidden_case_does_not_open(qtbot, actor):
    from pestdesk.services import accounts
    from pestdesk.services.access import NotFound

    victim, bully = fresh_students(2)
    case_id = new_case(actor, victim, bully)
    mentor = accounts.demo_actor("mentor")  # the test class T9 has no mentor
    with pytest.raises(NotFound):
        CaseView(mentor, case_id)


def test_meldingen_filters_narrow_the_list(qtbot, actor):
    view = CasesView(actor)
    qtbot.addWidget(view)
    view.status.setCurrentIndex(view.status.findData(""))
    everything = view.model.total()
    assert everything > 10
    view.stage.setCurrentIndex(view.stage.findData("mentor"))
    on_stage = view.model.total()
    assert 0 < on_stage < everything
    stage_col = [c.key for c in view.model.query.columns].index("stage")
    assert {view.model.data(view.model.index(r, stage_col))
            for r in range(view.model.rowCount())} == {"Aanpak door de mentor"}
    view.stage.setCurrentIndex(0)
    klass = SchoolClass.select().order_by(SchoolClass.id).first()
    view.klass.setCurrentIndex(view.klass.findData(klass.id))
    in_class = view.model.total()
    assert 0 < in_class < everything
    view.klass.setCurrentIndex(0)
    view.form.setCurrentIndex(view.form.findData("woorden"))
    with_form = view.model.total()
    assert 0 < with_form < everything
    view.form.setCurrentIndex(0)
    view.mine.setChecked(True)
    mine = view.model.total()
    assert mine == Case.select().where((Case.owner == actor.staff_id)
                                       & (Case.is_signal == False)).count()  # noqa: E712
    view.mine.setChecked(False)
    number = Case.select().where(Case.is_signal == False).first().number  # noqa: E712
    qtbot.keyClicks(view.search, number)
    qtbot.waitUntil(lambda: view.model.total() == 1, timeout=2000)
    with qtbot.waitSignal(view.opened) as opened:
        view._open_index(view.model.index(0, 0))
    assert Case.get_by_id(opened.args[0]).number == number


def test_future_dates_cannot_be_picked(qtbot, actor):
    edit = dialogs.date_edit()
    assert edit.maximumDate().toPython() == clock.today()
