"""A new school's first weeks with pestdesk, walked through the real GUI as one scenario.

A fresh database file, no demo data, the Dutch interface: the set-up wizard, importing staff
and students from the school's own export files, accounts, a report, the mentor's steps with
a conversation and letters, escalation, a contract that is broken, a suspension, closing the
case, and what the mentor sees when they sign in. Modal dialogs are driven with
``when_modal`` (a QTimer that acts on the dialog once it runs) through their widgets; the
services are only read, to check what the screens did.
"""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys

import pytest
from PySide6.QtCore import QDate, QEvent, Qt
from PySide6.QtGui import QAction
from PySide6.QtWidgets import (
    QApplication,
    QDialogButtonBox,
    QLabel,
    QMenu,
    QMessageBox,
    QScrollArea,
    QWizard,
)

from pestdesk import clock
from pestdesk.i18n import format_date
from pestdesk.services import accounts, settings
from pestdesk.store import models as m
from tests.helpers.gui import check, when_modal

TODAY = clock.today()
SHOTS = os.environ.get("PESTDESK_JOURNEY_SHOTS", "/tmp")
PASSWORD = "zomer-fiets-2026"  # not the school's name: that is refused

STAFF_CSV = (
    "Afkorting;Voornaam;Tussenvoegsel;Achternaam;E-mail;Functie\r\n"
    "JNS;Jan;;Jansen;jansen@hetbaken.nl;Mentor\r\n"
    "PTR;Piet;;Peters;peters@hetbaken.nl;Mentor/Docent Engels\r\n"
    "VRS;Els;de;Vries;devries@hetbaken.nl;Afdelingscoördinator\r\n"
    "SMT;Karin;;Smit;smit@hetbaken.nl;Adjunct-directeur\r\n"
)

STUDENT_HEADERS = [
    "Stamnr", "Roepnaam", "Tussenv.", "Achternaam", "Geb.datum", "Geslacht", "Klas", "Studie",
    "Klassenmentor 1", "Straat", "Huisnummer", "Postcode", "Woonplaats",
    "Ouder/verzorger 1 achternaam", "Ouder/verzorger 1 voorletters",
    "Ouder/verzorger 1 relatie", "Ouder/verzorger 1 gezag",
    "Ouder/verzorger 2 achternaam", "Ouder/verzorger 2 voorletters",
    "Ouder/verzorger 2 relatie", "Ouder/verzorger 2 gezag",
    "Ouder/verzorger 2 straat", "Ouder/verzorger 2 huisnummer",
    "Ouder/verzorger 2 postcode", "Ouder/verzorger 2 woonplaats",
]
NO_SECOND = ["", "", "", "", "", "", "", ""]
STUDENT_ROWS = [
    # Lotte: her parents live apart, each with authority -> two letters, two addresses
    ["100201", "Lotte", "", "Mulder", "12-3-2012", "V", "1A", "1 havo/vwo", "JNS",
     "Kennemerstraatweg", "10", "1814 GA", "Alkmaar", "Mulder", "M.", "moeder", "ja",
     "Brouwer", "R.", "vader", "ja", "Laat", "44", "1811EK", "Alkmaar"],
    ["100202", "Bram", "", "Visser", "3-11-2011", "M", "1A", "1 havo/vwo", "JNS",
     "Oudegracht", "7", "1811CB", "Alkmaar", "Visser", "H.", "vader", "ja", *NO_SECOND],
    ["100203", "Sem", "van", "Dijk", "30-1-2012", "M", "1A", "1 havo/vwo", "JNS",
     "Koedijkerweg", "2", "1817AA", "Alkmaar", "Dijk", "S.", "moeder", "ja", *NO_SECOND],
    ["100204", "Zoë", "", "Çelik", "7-7-2011", "V", "2B", "2 havo", "PTR",
     "Bergerweg", "5", "1815AC", "Alkmaar", "Çelik", "A.", "moeder", "ja", *NO_SECOND],
    ["100205", "Tim", "", "Kok", "21-5-2011", "M", "2B", "2 havo", "PTR",
     "Bergerweg", "9", "1815AC", "Alkmaar", "Kok", "J.", "vader", "ja", *NO_SECOND],
]


def write_students(path) -> None:
    """A Magister export as Excel saves it on a Dutch PC: cp1252, ``;``, CRLF."""
    lines = [";".join(row) for row in [STUDENT_HEADERS, *STUDENT_ROWS]]
    path.write_bytes(("\r\n".join(lines) + "\r\n").encode("cp1252"))


def action(window, text: str):
    """The menu action whose Dutch text (without the '&') is ``text``."""
    for menu in window.menuBar().findChildren(QMenu):
        for act in menu.actions():
            if act.text().replace("&", "") == text:
                return act
    raise AssertionError(f"no menu action {text!r}")


def shot(widget, n: int) -> None:
    widget.grab().save(os.path.join(SHOTS, f"journey_{n}.png"))


def measure(view, name: str):
    """The case window's Maatregelen menu entry for dialog class ``name``."""
    found = view.measures_button.menu().findChild(QAction, name)
    assert found is not None, name
    return found


def qd(day: dt.date) -> QDate:
    return QDate(day.year, day.month, day.day)


def on_modal(kind: type, handler, tries: int = 300) -> list:
    """``when_modal`` for a dialog of class ``kind`` (a nested dialog opened from another)."""
    return when_modal(handler, tries, kind)


def row_of(model, text: str, column: int = 0) -> int:
    for row in range(model.rowCount()):
        if model.data(model.index(row, column)) == text:
            return row
    raise AssertionError(f"{text!r} not in the list")


def import_file(qtbot, window, menu_text: str, path, expect_new: int) -> None:
    """Beheer → import: file, (recognised columns), preview, import, done."""
    seen: dict = {}

    def drive(dialog):
        dialog.path_edit.setText(str(path))
        dialog.next()
        qtbot.waitUntil(lambda: not dialog.is_busy()
                        and dialog.pages.currentIndex() != dialog.FILE, timeout=10_000)
        assert dialog.pages.currentIndex() == dialog.PREVIEW, "columns not recognised"
        assert dialog.problem_model.rowCount() == 0, [
            dialog.problem_model.data(dialog.problem_model.index(r, 3))
            for r in range(dialog.problem_model.rowCount())]
        seen["new"] = dialog.count_labels["new"].text()
        dialog.next()
        qtbot.waitUntil(lambda: not dialog.is_busy()
                        and dialog.pages.currentIndex() == dialog.DONE, timeout=10_000)
        seen["summary"] = dialog.summary.text()
        dialog.close_button.click()

    errors = when_modal(drive)
    action(window, menu_text).trigger()
    check(errors)
    assert seen["new"] == str(expect_new), seen


@pytest.fixture
def window_factory(qtbot, db_path):
    from pestdesk.gui.main_window import MainWindow

    made = []

    def make(actor):
        window = MainWindow(db_path, actor)
        qtbot.addWidget(window)
        window.show()
        qtbot.waitExposed(window)
        made.append(window)
        return window

    yield make
    for window in made:  # closed and deleted here, not left to interpreter shutdown
        window.close()
        window.deleteLater()
    QApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)


def test_a_new_school_walks_the_whole_job(qtbot, db, db_path, qt_dutch, tmp_path,
                                          window_factory):
    from pestdesk.gui.admin.grants import GrantsDialog
    from pestdesk.gui.admin.users import NewUserDialog, UsersDialog
    from pestdesk.gui.case.contracts import ContractDialog
    from pestdesk.gui.case.conversation import ConversationDialog
    from pestdesk.gui.case.dialogs import RecordStepDialog
    from pestdesk.gui.case.sanctions import InspectieReportDialog, SuspensionDialog
    from pestdesk.gui.letters.dialogs import ComposeDialog
    from pestdesk.gui.people.dialogs import PeopleDialog
    from pestdesk.gui.session.dialogs import SetupWizard
    from pestdesk.services.calendar import school_calendar

    # -- 1. the set-up wizard on the empty database -----------------------------------
    assert not accounts.has_users() and m.Student.select().count() == 0
    wizard = SetupWizard()
    qtbot.addWidget(wizard)
    wizard.show()
    qtbot.keyClicks(wizard.name, "Het Baken")
    qtbot.keyClicks(wizard.street, "Schoolweg 1")
    qtbot.keyClicks(wizard.postcode, "1811ab")
    qtbot.keyClicks(wizard.city, "Alkmaar")
    wizard.next()
    wizard.protocol.setCurrentIndex(wizard.protocol.findData("doultremont"))
    wizard.next()
    for edit, text in ((wizard.first, "Anna"), (wizard.last, "Bakker"), (wizard.code, "bkr"),
                       (wizard.username, "abakker"), (wizard.password, PASSWORD),
                       (wizard.password2, PASSWORD)):
        qtbot.keyClicks(edit, text)
    wizard.button(QWizard.WizardButton.FinishButton).click()
    zorg = wizard.actor
    assert zorg is not None
    assert zorg.roles == {"beheerder", "ondersteuningscoordinator"}
    assert settings.school_profile().protocol_code == "doultremont"
    window = window_factory(zorg)
    assert window.windowTitle() == "pestdesk — Het Baken"

    # -- 2. staff and students from the school's own exports --------------------------
    staff_file = tmp_path / "medewerkers.csv"
    staff_file.write_bytes(STAFF_CSV.encode("utf-8-sig"))
    import_file(qtbot, window, "Medewerkers importeren…", staff_file, 4)
    assert m.Staff.get(m.Staff.code == "VRS").roles == "afdelingscoordinator"
    assert m.Staff.get(m.Staff.code == "SMT").roles == "directie"
    students_file = tmp_path / "magister.csv"
    write_students(students_file)
    import_file(qtbot, window, "Leerlingen importeren…", students_file, 5)
    assert m.Student.get(m.Student.number == "100204").first_name == "Zoë"
    lotte = m.Student.get(m.Student.number == "100201")
    addresses = {(g.street, g.postcode) for g in
                 m.Guardian.select().join(m.StudentGuardian).where(
                     m.StudentGuardian.student == lotte)}
    assert addresses == {("Kennemerstraatweg", "1814 GA"), ("Laat", "1811 EK")}

    # the classes' department and the head of department's, in Medewerkers en klassen
    def people(dialog):
        klass = dialog.edit_class(dialog.classes.model.record_id(
            row_of(dialog.classes.model, "1A")))
        klass.department.setCurrentText("onderbouw")
        klass.accept()
        assert klass.result() == klass.DialogCode.Accepted, klass.error.text()
        head = dialog.edit_staff(m.Staff.get(m.Staff.code == "VRS").id)
        head.departments.setText("onderbouw")
        head.accept()
        assert head.result() == head.DialogCode.Accepted, head.error.text()

    errors = on_modal(PeopleDialog, people)
    action(window, "Medewerkers en klassen…").trigger()
    check(errors)
    assert m.SchoolClass.get(m.SchoolClass.name == "1A").department == "onderbouw"
    assert m.Staff.get(m.Staff.code == "VRS").departments == "onderbouw"

    # accounts for the mentor, the head of department and the adjunct-directeur
    def new_user(code: str, username: str):
        def fill(dialog):
            dialog.staff.setCurrentIndex(dialog.staff.findData(
                m.Staff.get(m.Staff.code == code).id))
            qtbot.keyClicks(dialog.username, username)
            qtbot.keyClicks(dialog.password, PASSWORD)
            qtbot.keyClicks(dialog.password2, PASSWORD)
            dialog.buttons.button(QDialogButtonBox.StandardButton.Ok).click()
            assert dialog.result() == dialog.DialogCode.Accepted, dialog.error.text()
        return fill

    def users_screen(dialog):
        for code, username in (("JNS", "jjansen"), ("VRS", "evries"), ("SMT", "ksmit")):
            errors = on_modal(NewUserDialog, new_user(code, username))
            dialog.new_button.click()
            check(errors)
        assert dialog.model.total() == 4

    errors = on_modal(UsersDialog, users_screen)
    action(window, "Gebruikers…").trigger()
    check(errors)
    # the imported roles open dossiers: they count once confirmed. A new school has no
    # directie account yet, so its care coordinator confirms them (services.grants)
    assert accounts.sign_in("jjansen", PASSWORD).roles == set()

    def confirm_roles(dialog):
        assert dialog.table.rowCount() == 4  # mentor x2, afdelingscoordinator, directie
        dialog.confirm_all_button.click()
        assert {dialog.table.item(r, 5).text() for r in range(4)} == {"bevestigd (abakker)"}

    errors = on_modal(GrantsDialog, confirm_roles)
    action(window, "Rolaanvragen…").trigger()
    check(errors)
    mentor = accounts.sign_in("jjansen", PASSWORD)
    assert mentor.roles == {"mentor"}

    # -- 3. a new report, students found by typing; the case window opens --------------
    def report(dialog):
        qtbot.keyClicks(dialog.summary, "Uitgescholden in de klas en in de klassenapp")
        qtbot.keyClicks(dialog.description, "Lotte wordt al twee weken door Bram uitgescholden, "
                                            "ook 's avonds in de groepsapp.")
        dialog.reporter.setCurrentIndex(dialog.reporter.findData("ouder"))
        dialog.locations["klas"].setChecked(True)
        dialog.locations["online"].setChecked(True)
        dialog.forms["woorden"].setChecked(True)
        dialog.forms["haatmail"].setChecked(True)
        assert dialog.cyber_hint.text()
        for typed, role in (("lotte mul", "gepeste"), ("bram vis", "pester")):
            picker = dialog.students.picker
            qtbot.keyClicks(picker, typed)
            assert len(picker.matches()) == 1, picker.matches()
            qtbot.keyClick(picker, Qt.Key.Key_Return)
            dialog.students.role.setCurrentIndex(dialog.students.role.findData(role))
            qtbot.mouseClick(dialog.students.add_button, Qt.MouseButton.LeftButton)
        assert dialog.students.table.rowCount() == 2
        shot(dialog, 1)
        dialog.accept()
        assert dialog.result() == dialog.DialogCode.Accepted, dialog.error.text()

    errors = when_modal(report)
    action(window, "Nieuwe melding…").trigger()
    check(errors)
    case = m.Case.get()
    assert case.is_cyber and case.protocol_code == "doultremont"
    case_window = window.case_windows[case.id]
    qtbot.waitExposed(case_window)
    view = case_window.view
    card, = view.cards
    assert "Gesprek met de gepeste leerling" in card.next_button.text()

    # -- 4. the next step: the conversation with the victim, along the protocol's guide --
    def converse_with_victim(dialog):
        assert isinstance(dialog, ConversationDialog)
        assert dialog.with_whom.currentData() == "victim"
        question = next(iter(dialog.guide_form.answers))
        qtbot.keyClicks(dialog.guide_form.answers[question], "Ja, al twee weken.")
        qtbot.keyClicks(dialog.summary, "Lotte vertelt over scheldwoorden in de klas en de app.")
        qtbot.keyClicks(dialog.agreements.add_row(), "Mentor vraagt vrijdag hoe het gaat")
        dialog.accept()
        assert dialog.result() == dialog.DialogCode.Accepted, dialog.error.text()

    errors = when_modal(converse_with_victim)
    qtbot.mouseClick(card.next_button, Qt.MouseButton.LeftButton)
    check(errors)
    card, = view.cards
    assert "Apart gesprek met de pester" in card.next_button.text()
    assert m.Agreement.select().where(m.Agreement.case == case.id).count() == 1

    # the other required mentor steps, each through the form the step opens
    letters_before = m.Letter.select().count()
    seen_steps: list[str] = []

    def do_next_step(dialog):
        seen_steps.append(type(dialog).__name__)
        if isinstance(dialog, ConversationDialog):
            qtbot.keyClicks(dialog.summary, "Besproken volgens het protocol.")
            for edit in dialog.guide_form.answers.values():
                qtbot.keyClicks(edit, "besproken")
            dialog.accept()
        elif isinstance(dialog, ComposeDialog):
            assert dialog.step_combo.currentData() is not None, "the step's letter not chosen"
            recipients = [dialog.recipient_list.item(i).text()
                          for i in range(dialog.recipient_list.count())]
            seen_steps.append(recipients)
            assert dialog.archive_button.isEnabled(), dialog.problems.text()
            with qtbot.waitSignal(dialog.issued, timeout=10_000):
                answers = on_modal(QMessageBox, lambda box: box.button(
                    QMessageBox.StandardButton.Yes).click())
                dialog.archive_button.click()
            del answers
        else:
            assert isinstance(dialog, RecordStepDialog), type(dialog)
            qtbot.keyClicks(dialog.note, "Gedaan.")
            dialog.buttons.button(QDialogButtonBox.StandardButton.Save).click()
        assert dialog.result() == dialog.DialogCode.Accepted, getattr(dialog, "error", None)

    for _round in range(10):
        card, = view.cards
        if card.next_button is None:
            break
        errors = when_modal(do_next_step)
        qtbot.mouseClick(card.next_button, Qt.MouseButton.LeftButton)
        check(errors)
    card, = view.cards
    assert card.next_button is None, seen_steps
    assert seen_steps.count("ConversationDialog") == 3  # bully, both together, the class
    assert seen_steps.count("RecordStepDialog") == 2
    letter_lists = [s for s in seen_steps if isinstance(s, list)]
    assert [len(r) for r in letter_lists] == [2, 1]  # Lotte's parents live apart
    assert "Laat 44" in " ".join(letter_lists[0]) and "Kennemerstraatweg 10" in " ".join(
        letter_lists[0])
    assert m.Letter.select().count() == letters_before + 3
    assert "Alle stappen van deze trede zijn gedaan." in [
        label.text() for label in card.findChildren(QLabel)]
    window.go("letters")
    archive = window.view("letters")
    archive.refresh()
    assert archive.panel.model.total() == 3
    qtbot.wait(20)  # let the rebuilt ladder show (and the old cards go) before the shot
    shot(case_window, 2)

    # -- 5. escalation, a contract that is broken, a suspension, closing ---------------
    def escalate(dialog):
        assert dialog.target.currentData() == "afdelingscoordinator"
        qtbot.keyClicks(dialog.reason, "Pesten gaat door in de groepsapp ondanks de afspraken.")
        dialog.buttons.button(QDialogButtonBox.StandardButton.Save).click()
        assert dialog.result() == dialog.DialogCode.Accepted, dialog.error.text()

    errors = when_modal(escalate)
    card.escalate_button.click()
    check(errors)
    card, = view.cards
    assert card.pester.stage_code == "afdelingscoordinator"

    def contract(dialog):
        assert isinstance(dialog, ContractDialog)
        assert dialog.pages.currentIndex() == 0
        dialog.add_rule("Ik stuur Lotte geen berichten meer, ook niet in de groepsapp.")
        assert dialog.ladder.isVisibleTo(dialog)  # steps of this stage are open: a reason
        qtbot.keyClicks(dialog.ladder.reason_box, "Opnieuw berichten na het gesprek: contract.")
        dialog.make_button.click()
        assert dialog.pages.currentIndex() == 1, dialog.error.text()
        dialog.broken.setChecked(True)
        dialog.outcome_note.setPlainText("Na een week weer berichten gestuurd.")
        dialog.outcome_button.click()
        assert m.Contract.get().outcome == "broken", dialog.error.text()

    errors = when_modal(contract)
    measure(view, "ContractDialog").trigger()
    check(errors)
    card, = view.cards
    assert card.pester.stage_code == "schorsing_1_dag"

    # the adjunct-directeur decides the one-day suspension, after hearing student and parents
    directie = accounts.sign_in("ksmit", PASSWORD)
    director_window = window_factory(directie)
    director_window.show_case(case.id)
    director_view = director_window.case_windows[case.id].view

    def suspend(dialog):
        assert isinstance(dialog, SuspensionDialog)
        assert dialog.student.student_id() == m.Student.get(m.Student.number == "100202").id
        assert dialog.days.value() == 1 and dialog.consultation_box.isHidden()
        assert dialog.days.text() == "1 schooldag"  # not "1 schooldagen"
        dialog.decided_by.set_staff(directie.staff_id)
        qtbot.keyClicks(dialog.reason, "Ondanks het contract opnieuw dreigberichten gestuurd.")
        qtbot.keyClicks(dialog.schoolwork, "Werk via de mentor en de studiewijzer.")
        for check_box in dialog.heard.values():
            check_box.setChecked(True)
        qtbot.keyClicks(dialog.hearing_summary, "Bram en zijn vader zijn gehoord.")
        shot(dialog, 3)
        dialog.save_button.click()
        assert dialog.sanction is not None, dialog.error.text()
        seen["inspectie"] = dialog.result.inspectie_label.text()
        seen["inspectie_button"] = dialog.result.inspectie_button.isVisibleTo(dialog)

    seen: dict = {}
    errors = when_modal(suspend)
    measure(director_view, "SuspensionDialog").trigger()
    check(errors)
    sanction = m.Sanction.get()
    assert (sanction.school_days, sanction.hearing_on) == (1, TODAY)
    assert sanction.inspectie_due_on is None  # one day: no notification to the inspectorate
    assert not seen["inspectie_button"], seen
    view.reload()  # the coordinator's own window shows what the directie recorded
    card, = view.cards
    assert card.pester.stage_code == "schorsing_1_dag"  # the suspension is this stage
    assert [s.code for s in card.pester.done_steps] == ["horen", "besluit"]

    # it goes on: a two-day suspension after consulting, which the inspectorate must hear of
    later = school_calendar().next_school_day(TODAY + dt.timedelta(days=7))

    def suspend_longer(dialog):
        dialog.first_day.setDate(qd(later))
        dialog.days.setValue(2)
        assert not dialog.consultation_box.isHidden()
        dialog.decided_by.set_staff(directie.staff_id)
        dialog.consulted_on.setDate(qd(TODAY))
        dialog.consulted.setEditText("K. Smit, adjunct-directeur")
        qtbot.keyClicks(dialog.reason, "Opnieuw bedreigd na de schorsing.")
        qtbot.keyClicks(dialog.schoolwork, "Werk via de mentor.")
        for check_box in dialog.heard.values():
            check_box.setChecked(True)
        qtbot.keyClicks(dialog.hearing_summary, "Opnieuw gehoord.")
        if dialog.ladder.reason_box.isVisibleTo(dialog):  # the one-day stage is not finished
            qtbot.keyClicks(dialog.ladder.reason_box, "Dreiging na de schorsing: langer.")
        dialog.save_button.click()
        assert dialog.sanction is not None, dialog.error.text()
        assert dialog.result.inspectie_button.isVisibleTo(dialog)

    errors = when_modal(suspend_longer)
    measure(director_view, "SuspensionDialog").trigger()
    check(errors)
    assert m.Sanction.select().where(m.Sanction.inspectie_due_on.is_null(False)).count() == 1
    view.reload()

    # closing is refused while the notification is open; noted as done, the case closes
    def close_case(dialog, refused: bool):
        qtbot.keyClicks(dialog.reason, "Pesten gestopt; nagevraagd bij Lotte en haar ouders.")
        dialog.buttons.button(QDialogButtonBox.StandardButton.Save).click()
        if refused:
            assert dialog.isVisible() and "inspectie" in dialog.error.text().lower()
        else:
            assert dialog.result() == dialog.DialogCode.Accepted, dialog.error.text()

    errors = when_modal(lambda dialog: close_case(dialog, refused=True))
    view.close_button.click()
    check(errors)
    assert m.Case.get_by_id(case.id).status == "open"

    def notified(dialog):
        assert isinstance(dialog, InspectieReportDialog) and dialog.task.count() == 1
        qtbot.keyClicks(dialog.reference, "ISD-2026-117")
        dialog.buttons.button(QDialogButtonBox.StandardButton.Save).click()
        assert dialog.result() == dialog.DialogCode.Accepted, dialog.error.text()

    errors = when_modal(notified)
    measure(view, "InspectieReportDialog").trigger()
    check(errors)
    errors = when_modal(lambda dialog: close_case(dialog, refused=False))
    view.close_button.click()
    check(errors)
    assert m.Case.get_by_id(case.id).status == "closed"
    assert view.status_chip.text() == "afgesloten"

    # -- 6. a report in another class; the mentor sees only their own class's case ------
    def other_report(dialog):
        qtbot.keyClicks(dialog.summary, "Buitengesloten bij de gymles")
        dialog.description.setPlainText("Zoë mag nooit meedoen in de groep van Tim.")
        dialog.forms["uitsluiting"].setChecked(True)
        for typed, role in (("100204", "gepeste"), ("tim kok", "pester")):
            qtbot.keyClicks(dialog.students.picker, typed)
            qtbot.keyClick(dialog.students.picker, Qt.Key.Key_Return)
            dialog.students.role.setCurrentIndex(dialog.students.role.findData(role))
            dialog.students.add_button.click()
        assert dialog.students.table.rowCount() == 2
        dialog.accept()
        assert dialog.result() == dialog.DialogCode.Accepted, dialog.error.text()

    errors = when_modal(other_report)
    action(window, "Nieuwe melding…").trigger()
    check(errors)
    other = m.Case.select().where(m.Case.id != case.id).get()
    assert {i.student.school_class.name for i in other.involvements} == {"2B"}

    mentor = accounts.sign_in("jjansen", PASSWORD)
    mentor_window = window_factory(mentor)
    mentor_window.go("cases")
    their_cases = mentor_window.view("cases")
    their_cases.status.setCurrentIndex(their_cases.status.findData(""))  # open and closed
    assert their_cases.model.total() == 1
    assert their_cases.model.record_id(0) == case.id
    refused: dict = {}
    errors = when_modal(lambda box: refused.setdefault("text", box.text()))
    mentor_window.show_case(other.id)  # e.g. a link: hidden is the same as missing
    check(errors)
    assert other.id not in mentor_window.case_windows and refused["text"]
    mentor_window.show_case(case.id)
    mentor_view = mentor_window.case_windows[case.id].view
    assert mentor_view.number.text().endswith(case.number)

    # -- 7. Overzicht, Cijfers and the health check -------------------------------------
    window.go("overview")
    overview = window.view("overview")
    overview.refresh()
    assert other.id in overview.case_ids("soon")  # the first conversation is due in 2 days
    assert {case.id, other.id} <= set(overview.case_ids("new"))
    running = [overview.cards["suspensions"].list.item(i).text()
               for i in range(overview.cards["suspensions"].list.count())]
    one_day = f"schorsing {format_date(sanction.first_day, 'd MMM')}"
    assert any(line.endswith(one_day) for line in running), running  # not "26 nov – 26 nov"
    scroll = overview.findChild(QScrollArea)
    assert not scroll.horizontalScrollBar().isVisible()  # the two columns fit the window
    shot(window, 4)
    window.go("figures")
    assert window.current_key() == "figures" and window.view("figures").isVisible()
    result = subprocess.run([sys.executable, "-m", "pestdesk", "check", "--db", str(db_path)],
                            capture_output=True, text=True, timeout=60,
                            env=dict(os.environ, PESTDESK_LANG="nl"))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Audittrail: intact" in result.stdout or "intact" in result.stdout, result.stdout
