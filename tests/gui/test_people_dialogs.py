"""Staff and class dialogs: they save through the service and refuse a stale version."""

from __future__ import annotations

from PySide6.QtCore import Qt

from pestdesk.gui.people.dialogs import ClassDialog, PeopleDialog, StaffDialog, role_titles
from pestdesk.services import settings
from pestdesk.services.base import SYSTEM
from pestdesk.store.models import ClassMentor, SchoolClass, Staff
from tests.helpers.people import ZORG


def test_role_titles_follow_the_schools_protocol(db, qt_dutch):
    settings.save_school_profile(SYSTEM, settings.SchoolProfile(name="X",
                                                                protocol_code="doultremont"))
    assert role_titles()["afdelingscoordinator"] == "Afdelingscoördinator"
    settings.save_school_profile(SYSTEM, settings.SchoolProfile(name="X",
                                                                protocol_code="dalton-alkmaar"))
    assert role_titles()["afdelingscoordinator"].lower().startswith("afdelingsleider")


def test_new_staff_member_saved_with_roles(qtbot, db, qt_dutch):
    dialog = StaffDialog(ZORG)
    qtbot.addWidget(dialog)
    dialog.code.setText("bkr")
    dialog.first_name.setText("Anna")
    dialog.last_name.setText("Bakker")
    dialog.email.setText("bakker@school.nl")
    dialog.departments.setText("onderbouw ,  bovenbouw havo")
    dialog.roles["afdelingscoordinator"].setChecked(True)
    dialog.roles["mentor"].setChecked(True)
    with qtbot.waitSignal(dialog.saved):
        dialog.accept()
    staff = Staff.get(Staff.code == "BKR")
    assert staff.roles == "mentor,afdelingscoordinator"
    assert staff.departments == "onderbouw, bovenbouw havo"


def test_staff_dialog_shows_refusal_and_keeps_input(qtbot, db, qt_dutch):
    dialog = StaffDialog(ZORG)
    qtbot.addWidget(dialog)
    dialog.code.setText("BKR")
    dialog.email.setText("geen adres")
    dialog.accept()
    assert dialog.result() != dialog.DialogCode.Accepted
    assert dialog.error.text() and not dialog.reload_button.isVisibleTo(dialog)
    assert dialog.code.text() == "BKR"
    assert Staff.select().count() == 0


def test_stale_staff_edit_is_refused(qtbot, db, school, qt_dutch, conflicts):
    from pestdesk.gui.common.conflict import ConflictChoice

    conflicts.answer = ConflictChoice(reload=False, reapply=False)
    staff_id = Staff.get(Staff.code == "JNS").id
    first, second = StaffDialog(ZORG, staff_id), StaffDialog(ZORG, staff_id)
    qtbot.addWidget(first)
    qtbot.addWidget(second)
    first.email.setText("j.jansen@school.nl")
    first.accept()
    second.last_name.setText("Janssen")
    second.accept()
    assert second.result() != second.DialogCode.Accepted
    assert second.reload_button.isVisibleTo(second)
    assert conflicts.shown == [["last_name", "email"]]
    stored = Staff.get_by_id(staff_id)
    assert (stored.email, stored.last_name) == ("j.jansen@school.nl", "Jansen")
    second.reload_button.click()  # the inline reload: their version, my typing gone
    assert (second.email.text(), second.last_name.text()) == ("j.jansen@school.nl", "Jansen")


def test_class_dialog_sets_mentors_and_refuses_stale_version(qtbot, db, school, qt_dutch,
                                                             conflicts):
    klass = SchoolClass.get(SchoolClass.name == "2B")
    first, second = ClassDialog(ZORG, klass.id), ClassDialog(ZORG, klass.id)
    qtbot.addWidget(first)
    qtbot.addWidget(second)
    checked = [i.text() for i in first.mentor_items() if i.checkState() == Qt.CheckState.Checked]
    assert checked == ["Els de Vries (VRS)"]
    first.mentor_filter.setText("pet")
    visible = [i for i in first.mentor_items() if not i.isHidden()]
    assert [i.text() for i in visible] == ["Piet Peters (PTR)"]
    visible[0].setCheckState(Qt.CheckState.Checked)
    first.department.setCurrentText("onderbouw")
    first.accept()
    mentors = {m.staff.code for m in ClassMentor.select().where(ClassMentor.school_class == klass)}
    assert mentors == {"VRS", "PTR"}
    assert SchoolClass.get_by_id(klass.id).department == "onderbouw"
    second.leerjaar.setValue(3)
    second.accept()
    assert second.result() != second.DialogCode.Accepted
    assert SchoolClass.get_by_id(klass.id).leerjaar == 2
    # reloaded with my change put back: their department and mentors, my leerjaar
    assert second.leerjaar.value() == 3
    assert second.department.currentText() == "onderbouw"
    assert sum(i.checkState() == Qt.CheckState.Checked for i in second.mentor_items()) == 2
    second.accept()
    assert SchoolClass.get_by_id(klass.id).leerjaar == 3
    assert ClassMentor.select().where(ClassMentor.school_class == klass).count() == 2


def test_new_class_from_the_people_window(qtbot, db, school, qt_dutch):
    window = PeopleDialog(ZORG)
    qtbot.addWidget(window)
    before = window.classes.model.total()
    dialog = window.new_class()
    dialog.name.setText("4h")
    dialog.leerjaar.setValue(4)
    dialog.accept()
    assert window.classes.model.total() == before + 1
    assert SchoolClass.get(SchoolClass.name == "4H").leerjaar == 4
    assert window.staff.model.total() == 4


def test_line_edits_take_as_many_characters_as_the_service_stores(qtbot, db, qt_dutch):
    from pestdesk.gui.case.report import ReportForm
    from pestdesk.services import lengths

    dialog = StaffDialog(ZORG)
    qtbot.addWidget(dialog)
    for name in ("code", "first_name", "tussenvoegsel", "last_name", "email", "departments"):
        assert getattr(dialog, name).maxLength() == lengths.max_length("staff", name), name
    dialog.first_name.setText("A" * 500)  # a paste is cut where the service would refuse
    assert len(dialog.first_name.text()) == lengths.max_length("staff", "first_name")
    classes = ClassDialog(ZORG)
    qtbot.addWidget(classes)
    assert classes.name.maxLength() == lengths.max_length("school_class", "name")
    form = ReportForm()
    qtbot.addWidget(form)
    assert form.summary.maxLength() == lengths.max_length("case", "summary")
