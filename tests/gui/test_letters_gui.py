"""Brieven in the GUI: PDF preview, the archive, composing and issuing off the GUI thread,
the template editor refusing a broken template, printing onto a (PDF) printer."""

from __future__ import annotations

import datetime as dt

import pypdf
import pytest
from PySide6.QtGui import QTextCursor
from PySide6.QtPrintSupport import QPrinter
from PySide6.QtWidgets import QMessageBox

from pestdesk.gui.common.pdf_preview import PdfPreview, make_printer, paint_pdfs
from pestdesk.gui.letters.dialogs import ComposeDialog, TemplateEditorDialog, WindowSettingsDialog
from pestdesk.gui.letters.view import LettersView
from pestdesk.services import letters
from pestdesk.services.accounts import actor_for
from pestdesk.services.demo import generate_demo
from pestdesk.store.models import AuditLog, Letter, Sanction, Setting, User

TODAY = dt.date(2026, 11, 24)


@pytest.fixture
def demo(db):
    generate_demo(students=60, years=1, seed=1, today=TODAY)
    return actor_for(User.get(User.username == "zorg"))


@pytest.fixture
def issued(demo):
    s = Sanction.select().order_by(Sanction.id).first()
    plan = letters.prepare(demo, s.case_id, s.student_id, "schorsing", letter_date=TODAY,
                           extra={"meeting": {"datum": dt.date(2026, 12, 1)}})
    return letters.issue(demo, [(plan, plan.usable[0])])[0]


@pytest.fixture
def answers(monkeypatch):
    """Message boxes answer Yes and are recorded instead of waiting for a click."""
    seen: list[str] = []

    def record(_parent, _title, text, *args, **kwargs):
        seen.append(text)
        return QMessageBox.StandardButton.Yes

    for name in ("warning", "question", "information", "critical"):
        monkeypatch.setattr(QMessageBox, name, staticmethod(record))
    return seen


def test_preview_widget_loads_a_pdf_and_refuses_garbage(qtbot, demo, issued):
    preview = PdfPreview()
    qtbot.addWidget(preview)
    assert preview.load_pdf(issued.pdf)
    assert preview.page_count() == 2
    assert preview.stack.currentWidget() is preview.view
    assert not preview.load_pdf(b"%PDF-nonsense")
    assert preview.stack.currentWidget() is preview.message


def test_archive_lists_letter_and_previews_the_stored_bytes(qtbot, demo, issued):
    view = LettersView(demo)
    qtbot.addWidget(view)
    view.panel.search.setText("schorsing")
    view.panel.apply_search()
    assert view.panel.model.total() == 1
    view.panel.table.selectRow(0)
    assert view.letter_id == issued.letter_id
    assert view.preview.page_count() == 2
    assert view.reprint_button.isEnabled() and view.save_button.isEnabled()
    assert issued.sha256[:12] in view.info.text()
    assert AuditLog.select().where((AuditLog.action == "view") & (AuditLog.table == "letter")
                                   & (AuditLog.record_id == issued.letter_id)).exists()
    view.panel.search.setText("2099-")
    view.panel.apply_search()
    assert view.panel.model.total() == 0


def test_compose_issues_the_letters_off_the_gui_thread(qtbot, demo, answers):
    s = Sanction.select().order_by(Sanction.id).first()
    dialog = ComposeDialog(demo, case_id=s.case_id)
    qtbot.addWidget(dialog)
    dialog.template_combo.setCurrentIndex(dialog.template_combo.findData("schorsing"))
    assert s.student_id in dialog.chosen_students()
    chosen = dialog.chosen()
    assert chosen and all(r.usable for _p, r in chosen)
    assert dialog.preview.page_count() >= 1
    assert "meeting.datum" in dialog._extra_edits  # the dossier has no return meeting
    # an empty merge field blocks issuing, named in the dialog
    assert not dialog.issue_button.isEnabled() and not dialog.archive_button.isEnabled()
    assert "meeting.datum" in dialog.problems.text()
    dialog.issue_letters(print_after=False)
    assert answers and "Er is niets uitgegeven" in answers[-1]
    dialog._extra_edits["meeting.datum"].setText("dinsdag 1 december 2026")
    dialog.rebuild_plans()
    before = Letter.select().count()
    with qtbot.waitSignal(dialog.issued, timeout=10_000) as blocker:
        dialog.issue_letters(print_after=False)
    ids = blocker.args[0]
    assert len(ids) == len(chosen) == Letter.select().count() - before
    text = pypdf.PdfReader(__import__("io").BytesIO(bytes(Letter.get_by_id(ids[0]).pdf)))
    assert "dinsdag 1 december 2026" in "".join(p.extract_text() for p in text.pages)


def admin():
    return actor_for(User.get(User.username == "beheer"))


def test_template_editor_refuses_a_broken_template(qtbot, demo, answers):
    editor = TemplateEditorDialog(admin())
    qtbot.addWidget(editor)
    row = next(i for i in range(editor.list.count())
               if editor.list.item(i).data(256) == "verwijzing")
    editor.list.setCurrentRow(row)
    assert editor.current_code() == "verwijzing"
    text = editor.editor.toPlainText().replace("{{ student.roepnaam }}",
                                               "{{ student.roepnaam }", 1)
    editor.editor.setPlainText(text)
    assert not editor.save()
    assert answers and "regel" in answers[-1]
    assert Setting.get_or_none(Setting.key == "letter_template:verwijzing") is None
    problem = letters.check_template("verwijzing", text)[0]
    cursor = editor.editor.textCursor()
    assert cursor.blockNumber() + 1 == problem.line
    editor.refresh_preview()
    assert "regel" in editor.status.text()


def test_template_editor_saves_and_restores(qtbot, demo, answers):
    editor = TemplateEditorDialog(admin())
    qtbot.addWidget(editor)
    code = editor.current_code()
    editor.editor.setPlainText(editor.editor.toPlainText() + "\n# aangepast\n")
    assert editor.save()
    assert letters.template_source(code).is_school
    assert editor.restore_button.isEnabled()
    editor.restore()
    assert not letters.template_source(code).is_school


def _form_at(qtbot, actor, code):
    from pestdesk.gui.letters.template_form import TemplateFormDialog

    form = TemplateFormDialog(actor)
    qtbot.addWidget(form)
    row = next(i for i in range(form.list.count()) if form.list.item(i).data(256) == code)
    form.list.setCurrentRow(row)
    assert form.current_code() == code
    return form


def test_the_coordinator_edits_a_letter_in_a_form(qtbot, demo, answers):
    """Texts in boxes, fields as buttons that insert at the cursor, a live preview; the raw
    file is not offered to the coordinator."""
    form = _form_at(qtbot, demo, "uitnodiging_gesprek")
    assert not form.source_button.isVisible() and form.save_button.isEnabled()
    assert form.subject_edit.text().startswith("Uitnodiging voor een gesprek")
    assert len(form.block_edits) >= 3 and form.preview.page_count() == 1
    assert "Roepnaam" in {b.text() for b in form.field_buttons.values()} or any(
        "roepnaam" in b.toolTip() for b in form.field_buttons.values())
    form.add_block_button.click()
    box = form.block_edits[-1]
    box.setPlainText("Wij bellen u over ")
    box.moveCursor(QTextCursor.MoveOperation.End)
    form._last_box = box  # as the focus change records it when the user clicks in the box
    form.field_buttons["student.roepnaam"].click()
    assert box.toPlainText() == "Wij bellen u over {{ student.roepnaam }}"
    form.refresh_preview()
    assert "Geen fouten" in form.status.text()
    assert form.save()
    saved = letters.template_texts("uitnodiging_gesprek")
    assert saved.is_school and saved.blocks[-1] == "Wij bellen u over {{ student.roepnaam }}"


def test_the_form_refuses_a_mistake_with_its_box_and_saves_nothing(qtbot, demo, answers):
    form = _form_at(qtbot, demo, "verwijzing")
    form.block_edits[0].setPlainText(form.block_edits[0].toPlainText()
                                     + " Tot {{ meeting.datumm }}.")
    form.refresh_preview()
    assert "Alinea 1" in form.status.text() and "meeting.datum" in form.status.text()
    assert not form.save()
    assert answers and "Alinea 1" in answers[-1]
    assert Setting.get_or_none(Setting.key == "letter_template:verwijzing") is None


def test_only_the_beheerder_opens_the_raw_file(qtbot, demo):
    form = _form_at(qtbot, admin(), "verwijzing")
    form.show()
    assert form.source_button.isVisible()
    editor = TemplateEditorDialog(demo)  # the coordinator reaching the raw editor anyway
    qtbot.addWidget(editor)
    assert editor.editor.isReadOnly() and not editor.save_button.isEnabled()


def test_window_settings_dialog_previews_and_saves(qtbot, demo):
    dialog = WindowSettingsDialog(demo)
    qtbot.addWidget(dialog)
    assert dialog.preview.page_count() == 1
    dialog.spins["left_mm"].setValue(25)
    dialog.save()
    assert letters.window_settings().left_mm == 25


def test_printing_paints_every_page_onto_the_printer(qtbot, tmp_path, demo, issued):
    printer = make_printer()
    printer.setOutputFormat(QPrinter.OutputFormat.PdfFormat)
    out = tmp_path / "printed.pdf"
    printer.setOutputFileName(str(out))
    assert paint_pdfs(printer, [issued.pdf, issued.pdf]) == 4
    reader = pypdf.PdfReader(out)
    assert len(reader.pages) == 4
    box = reader.pages[0].mediabox
    assert round(float(box.width)) == 595 and round(float(box.height)) == 842


def test_compose_offers_a_parent_text_and_blocks_other_childrens_names(qtbot, demo, answers):
    from pestdesk.services.base import SYSTEM, save_versioned, write
    from pestdesk.store.models import Case, Involvement, Student
    from tests.helpers.privacy import foreign_leaks, pdf_text

    inv = Involvement.select().where(Involvement.role == "gepeste").order_by(
        Involvement.id).first()
    case = Case.get_by_id(inv.case_id)
    other = Student.select().where(Student.id != inv.student_id).order_by(Student.id).first()
    other_name = f"{other.first_name} {other.tussenvoegsel} {other.last_name}".replace(
        "  ", " ")
    with write():
        save_versioned(SYSTEM, case, case.version,
                       description=f"Intern: {other_name} pestte haar in de kantine.")
    dialog = ComposeDialog(demo, case_id=case.id)
    qtbot.addWidget(dialog)
    dialog.template_combo.setCurrentIndex(dialog.template_combo.findData(
        "informeren_ouders_gepeste"))
    dialog.rebuild_plans()
    assert dialog.parent_box.isVisibleTo(dialog)
    neutral = dialog.parent_text.toPlainText()
    assert "privacy" in neutral and other.last_name not in neutral
    assert dialog.issue_button.isEnabled()
    plan = dialog.plans[inv.student_id]
    assert "kantine" not in pdf_text(plan.render(plan.usable[0]))  # never the report
    dialog.parent_text.setPlainText(f"Uw dochter werd door {other_name} uitgescholden.")
    dialog.rebuild_plans()
    assert not dialog.issue_button.isEnabled()
    assert other.last_name in dialog.problems.text()
    assert "een andere leerling" in dialog.problems.text()
    dialog.parent_text.setPlainText("Uw dochter werd uitgescholden in de kantine.")
    dialog.rebuild_plans()
    assert dialog.issue_button.isEnabled()
    with qtbot.waitSignal(dialog.issued, timeout=10_000) as blocker:
        dialog.issue_letters(print_after=False)
    for letter_id in blocker.args[0]:
        text = pdf_text(bytes(Letter.get_by_id(letter_id).pdf))
        assert "Uw dochter werd uitgescholden in de kantine." in " ".join(text.split())
        assert foreign_leaks(text, [inv.student_id]) == []
    dialog.use_neutral_text()
    assert dialog.parent_text.toPlainText() == neutral


def test_the_recidive_step_offers_a_version_for_each_parent(qtbot, db):
    from tests.helpers.casework import make_case, put_on_stage

    setup = make_case()
    put_on_stage(setup, "afdelingscoordinator")
    dialog = ComposeDialog(setup.actor, case_id=setup.case_id)
    qtbot.addWidget(dialog)
    entries = [(dialog.step_combo.itemText(i), dialog.step_combo.itemData(i))
               for i in range(dialog.step_combo.count())]
    recidive = [(text, data) for text, data in entries
                if data and data[2].startswith("recidive_")]
    assert [data[2] for _t, data in recidive] == ["recidive_ouders_gepeste",
                                                  "recidive_ouders_pester"]
    assert all("Alle betrokken ouders informeren" in text for text, _d in recidive)
    for (_text, data), student in zip(recidive, (setup.victim_id, setup.pester_id),
                                      strict=True):
        dialog.step_combo.setCurrentIndex(dialog.step_combo.findText(_text))
        assert dialog.template_code() == data[2]
        assert dialog.chosen_students() == [student]
    dialog._rebuild.stop()  # no rebuild after the test's database is gone
    dialog.rebuild_plans()
    assert set(dialog.plans) == {setup.pester_id}


def test_printing_to_a_pdf_file_writes_the_letters_themselves(qtbot, tmp_path, demo, issued):
    from pestdesk.gui.common.pdf_preview import prints_to_pdf_file, write_pdf_file

    printer = make_printer()
    printer.setOutputFormat(QPrinter.OutputFormat.PdfFormat)
    out = tmp_path / "brief.pdf"
    printer.setOutputFileName(str(out))
    assert prints_to_pdf_file(printer)
    assert write_pdf_file(printer, [issued.pdf]) == 2
    assert out.read_bytes() == issued.pdf  # the archived letter, not a 300-dpi picture
    both = tmp_path / "twee.pdf"
    printer.setOutputFileName(str(both))
    assert write_pdf_file(printer, [issued.pdf, issued.pdf]) == 4
    reader = pypdf.PdfReader(both)
    assert len(reader.pages) == 4 and reader.pages[0].extract_text().strip()  # text, not images
    assert both.stat().st_size < 3 * len(issued.pdf)


def test_the_cyber_advice_is_only_offered_in_a_cyber_case(qtbot, demo):
    from pestdesk.services.base import ServiceError
    from pestdesk.store.models import Case, Involvement

    plain = Case.select().where(Case.is_cyber == False).order_by(Case.id).first()  # noqa: E712
    cyber = Case.select().where(Case.is_cyber == True).order_by(Case.id).first()  # noqa: E712
    dialog = ComposeDialog(demo, case_id=plain.id)
    qtbot.addWidget(dialog)
    index = dialog.template_combo.findData("advies_cyber")
    item = dialog.template_combo.model().item(index)
    assert not item.isEnabled() and "cyberpesten" in item.toolTip()
    assert dialog.template_code() != "advies_cyber"
    victim = Involvement.get((Involvement.case == plain.id) & (Involvement.role == "gepeste"))
    with pytest.raises(ServiceError):  # the same rule for every path to a letter
        letters.prepare(demo, plain.id, victim.student_id, "advies_cyber")
    dialog.set_case(cyber.id)
    assert dialog.template_combo.model().item(index).isEnabled()
