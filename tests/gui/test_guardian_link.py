"""Linking an existing guardian to a brother or sister from the student card, and unlinking."""

from __future__ import annotations

import datetime as dt

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox

from pestdesk.gui.people.guardians import GuardianLinkDialog
from pestdesk.gui.people.students import StudentCard
from pestdesk.services import accounts, staff
from pestdesk.services.base import SYSTEM, Actor
from pestdesk.services.demo import generate_demo
from pestdesk.services.recipients import recipients_for
from pestdesk.store.models import (
    AuditLog,
    ClassMentor,
    Guardian,
    Student,
    StudentGuardian,
    User,
)

TODAY = dt.date(2025, 11, 20)


@pytest.fixture
def actor(db, qt_dutch):
    generate_demo(students=60, years=1, seed=1, today=TODAY)
    return accounts.demo_actor("zorg")


def guardians_of(student: Student) -> set[int]:
    return {link.guardian_id for link in
            StudentGuardian.select().where(StudentGuardian.student == student.id)}


def minor(student: Student) -> bool:
    return student.birth_date is not None and (TODAY - student.birth_date).days < 16 * 365


@pytest.fixture
def family(actor):
    """(sibling, parent): a parent of one child, and a minor of another family."""
    students = [s for s in Student.select().where(Student.left_on.is_null())
                .order_by(Student.id) if minor(s)]
    child = next(s for s in students if guardians_of(s))
    parent = Guardian.get_by_id(min(guardians_of(child)))
    sibling = next(s for s in students if s.id != child.id and guardians_of(s)
                   and not guardians_of(s) & guardians_of(child))
    return sibling, parent, child


@pytest.fixture
def card(qtbot, actor):
    widget = StudentCard(actor, today=TODAY)
    qtbot.addWidget(widget)
    return widget


def planned_guardians(student: Student) -> set[int]:
    return {gid for letter in recipients_for(SYSTEM, student.id, TODAY)
            for gid in letter.guardian_ids}


def card_names(card: StudentCard) -> list[str]:
    return [card.guardians.item(r, 0).text().split("\n")[0]
            for r in range(card.guardians.rowCount())]


def open_link_dialog(qtbot, card: StudentCard, student: Student) -> GuardianLinkDialog:
    card.show_student(student.id)
    assert card.link_guardian_button.isEnabled()
    assert card.link_guardian_button.text() == "Bestaande ouder/verzorger koppelen…"
    dialog = card.link_dialog()
    qtbot.addWidget(dialog)
    return dialog


def find(qtbot, dialog: GuardianLinkDialog, text: str) -> None:
    dialog.search.clear()
    qtbot.keyClicks(dialog.search, text)
    # the typing timer asks the search 200 ms after the last key, off the GUI thread
    qtbot.waitUntil(lambda: not dialog._timer.isActive())
    qtbot.waitUntil(lambda: not dialog.searcher.busy(), timeout=10_000)


def test_linking_a_siblings_parent_shows_them_and_plans_their_letter(
        qtbot, actor, card, family):
    sibling, parent, child = family
    name = " ".join(p for p in (parent.first_name or parent.initials, parent.tussenvoegsel,
                                parent.last_name) if p)
    assert parent.id not in planned_guardians(sibling)
    dialog = open_link_dialog(qtbot, card, sibling)
    assert not dialog.save_button.isEnabled()  # nothing chosen yet
    find(qtbot, dialog, "v")
    assert dialog.results.rowCount() == 0 and "twee tekens" in dialog.count.text()
    find(qtbot, dialog, parent.last_name)
    assert 0 < dialog.results.rowCount() <= staff.GUARDIAN_SEARCH_LIMIT
    ids = [dialog.results.item(r, 0).data(Qt.ItemDataRole.UserRole)
           for r in range(dialog.results.rowCount())]
    assert parent.id in ids
    assert not guardians_of(sibling) & set(ids)  # the sibling's own parents are left out
    dialog.results.selectRow(ids.index(parent.id))
    children = dialog.results.item(ids.index(parent.id), 2).text()
    assert child.first_name in children  # recognisable by the child already linked
    assert dialog.save_button.isEnabled() and dialog.save_button.text() == "&Koppelen"
    dialog.relation.setCurrentText("moeder")
    assert dialog.has_authority.isChecked() and dialog.receives_mail.isChecked()
    qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    assert dialog.result() == dialog.DialogCode.Accepted
    link = StudentGuardian.get((StudentGuardian.student == sibling.id)
                               & (StudentGuardian.guardian == parent.id))
    assert (link.relation, link.has_authority, link.receives_mail, link.info_granted) == (
        "moeder", True, True, False)
    assert name in card_names(card)  # the card reloaded
    assert parent.id in planned_guardians(sibling)  # the letter plan includes them now
    assert parent.id in guardians_of(child)  # the first child keeps them
    line = AuditLog.select().where((AuditLog.table == "student_guardian")
                                   & (AuditLog.record_id == link.id)).first()
    assert line is not None and line.action == "create"


def test_unlinking_asks_first_and_removes_them_from_this_child_only(
        qtbot, actor, card, family, monkeypatch):
    sibling, parent, child = family
    staff.link_guardian(actor, sibling.id, parent.id, "vader")
    card.show_student(sibling.id)
    rows = card.guardians.rowCount()
    button = card.unlink_buttons[parent.id]
    assert button.text() == "Ontkoppelen…"
    asked: list[str] = []

    def answer(reply):
        def question(parent_widget, title, text, *args, **kwargs):
            asked.append(text)
            return reply
        return question

    monkeypatch.setattr(QMessageBox, "question", answer(QMessageBox.StandardButton.No))
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    assert len(asked) == 1 and "ontkoppelen van" in asked[0]
    assert parent.id in guardians_of(sibling)  # No: nothing removed
    monkeypatch.setattr(QMessageBox, "question", answer(QMessageBox.StandardButton.Yes))
    qtbot.mouseClick(card.unlink_buttons[parent.id], Qt.MouseButton.LeftButton)
    assert parent.id not in guardians_of(sibling)
    assert card.guardians.rowCount() == rows - 1
    assert parent.id not in card.unlink_buttons
    assert parent.id not in planned_guardians(sibling)
    assert parent.id in guardians_of(child)  # still the parent of the other child
    assert Guardian.get_or_none(Guardian.id == parent.id) is not None


def test_mail_without_authority_needs_information_granted(qtbot, actor, card, family):
    sibling, parent, _child = family
    dialog = open_link_dialog(qtbot, card, sibling)
    find(qtbot, dialog, parent.postcode)  # a postcode with its space finds them too
    ids = [dialog.results.item(r, 0).data(Qt.ItemDataRole.UserRole)
           for r in range(dialog.results.rowCount())]
    dialog.results.selectRow(ids.index(parent.id))
    dialog.has_authority.setChecked(False)
    dialog.receives_mail.setChecked(True)
    dialog.accept()
    assert dialog.error.isVisibleTo(dialog)
    assert "gezag" in dialog.error.text() and dialog.result() != dialog.DialogCode.Accepted
    assert parent.id not in guardians_of(sibling)  # nothing half-saved
    dialog.info_granted.setChecked(True)
    dialog.accept()
    link = StudentGuardian.get((StudentGuardian.student == sibling.id)
                               & (StudentGuardian.guardian == parent.id))
    assert (link.has_authority, link.receives_mail, link.info_granted) == (False, True, True)
    kinds = {letter.kind for letter in recipients_for(SYSTEM, sibling.id, TODAY)
             if parent.id in letter.guardian_ids}
    assert kinds == {"info"}


def test_search_is_limited_and_names_only_children_the_user_may_see(actor, family):
    _sibling, parent, child = family
    assert len(staff.search_guardians(actor, parent.last_name[:2], limit=3)) <= 3
    mentor = accounts.demo_actor("mentor")
    ClassMentor.delete().where((ClassMentor.staff == mentor.staff_id)
                               & (ClassMentor.school_class == child.school_class_id)).execute()
    found = {m.id: m for m in staff.search_guardians(mentor, parent.last_name)}
    seen = {m.id: m for m in staff.search_guardians(actor, parent.last_name)}
    assert child.first_name in " ".join(seen[parent.id].children)
    if parent.id in found:  # a parent of another child the mentor may see: that child only
        assert child.first_name not in " ".join(found[parent.id].children)
        assert found[parent.id].other_children >= 1 and found[parent.id].children
    for match in found.values():  # nobody whose children are all outside the mentor's scope
        assert match.children


def test_who_may_not_edit_guardians_gets_no_link_or_unlink(qtbot, actor, family):
    sibling, _parent, _child = family
    staff_id = User.get(User.username == "zorg").staff_id
    reader = Actor(user_id=None, username="extern", staff_id=staff_id,
                   roles=frozenset({"zorgteam"}))
    card = StudentCard(reader, today=TODAY)
    qtbot.addWidget(card)
    card.show_student(sibling.id)
    assert card.guardians.rowCount() > 0
    assert not card.link_guardian_button.isEnabled()
    assert not any(b.isEnabled() for b in card.unlink_buttons.values())


def test_search_runs_off_the_gui_thread_and_a_late_older_answer_never_wins(
        qtbot, actor, card, family, monkeypatch):
    """The search asked for what was typed first is still running (a slow share) when the
    user has typed something else and its search has answered; when the older one answers
    at last, the list keeps the newer answer."""
    import threading

    sibling, parent, _child = family
    full = parent.last_name

    def ids(text: str) -> list[int]:
        return [m.id for m in staff.search_guardians(actor, text, exclude_student=sibling.id)]

    expected = ids(full)
    prefix = next(t for t in ("an", "er", "de", "ie", "ma", "ja", "ol", "en")
                  if ids(t) and ids(t) != expected)  # the two answers differ: it can fail
    real = staff.search_guardians
    slow_share, threads_used = threading.Event(), set()

    def search(who, text, **kwargs):
        threads_used.add(threading.get_ident())
        if text == prefix:
            slow_share.wait(10)  # the older search hangs until the newer one has answered
        return real(who, text, **kwargs)

    monkeypatch.setattr(staff, "search_guardians", search)
    dialog = open_link_dialog(qtbot, card, sibling)
    qtbot.keyClicks(dialog.search, prefix)
    qtbot.waitUntil(lambda: not dialog._timer.isActive())  # the older search is under way
    dialog.search.selectAll()
    qtbot.keyClicks(dialog.search, full)
    with qtbot.waitSignal(dialog.searcher.answered, timeout=10_000):
        pass  # the newer search answers while the older one still hangs
    shown = [dialog.results.item(r, 0).data(Qt.ItemDataRole.UserRole)
             for r in range(dialog.results.rowCount())]
    assert shown == expected and dialog.searcher.busy()
    slow_share.set()
    qtbot.waitUntil(lambda: not dialog.searcher.busy(), timeout=10_000)
    shown = [dialog.results.item(r, 0).data(Qt.ItemDataRole.UserRole)
             for r in range(dialog.results.rowCount())]
    assert shown == expected  # the late, older answer was dropped
    assert threading.get_ident() not in threads_used  # never on the GUI thread


def test_enter_chooses_the_first_match_once_the_search_answers(qtbot, actor, card, family):
    sibling, parent, _child = family
    dialog = open_link_dialog(qtbot, card, sibling)
    dialog.search.setText(parent.postcode)
    qtbot.keyClick(dialog.search, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: dialog.guardian_id() is not None, timeout=10_000)
    assert dialog.save_button.isEnabled()
