"""Toestemming vastleggen from the meeting screen: the dialog offers who may consent (the
service's rule), saves through the meetings service on the op path, and is audited."""

from __future__ import annotations

import datetime as dt

import pytest

from pestdesk import clock
from pestdesk.gui.meetings.consent import ConsentDialog
from pestdesk.services import meetings
from pestdesk.services.base import Actor, ServiceError, write
from pestdesk.store import models as m
from tests.helpers.casework import make_case

TODAY = dt.date(2026, 11, 18)


def _parents(student_id):
    with write():
        mother = m.Guardian.create(first_name="Anna", last_name="Bakker")
        m.StudentGuardian.create(student=student_id, guardian=mother, has_authority=True,
                                 relation="moeder")
        other = m.Guardian.create(first_name="Piet", last_name="Bakker")
        m.StudentGuardian.create(student=student_id, guardian=other, has_authority=False)
    return mother, other


def test_a_parent_with_authority_consents_for_a_younger_student(db, qtbot):
    clock.set_today(TODAY)
    setup = make_case(pester_birth=dt.date(2012, 5, 1))
    mother, _other = _parents(setup.pester_id)
    dialog = ConsentDialog(setup.actor, setup.pester_id, "OT")
    qtbot.addWidget(dialog)
    assert [dialog.guardian.itemText(i) for i in range(dialog.guardian.count())] \
        == ["Anna Bakker"]  # only the parent with parental authority
    assert dialog.scope() == ["OT"]
    shown = ConsentDialog(setup.actor, setup.pester_id, "OT", shown_as="Leerling A")
    qtbot.addWidget(shown)  # from a meeting screen that names nobody: no names here either
    assert shown.guardian.itemText(0) == "moeder"
    dialog.save()
    assert dialog.result() == dialog.DialogCode.Accepted
    consent = m.Consent.get(m.Consent.student == setup.pester_id)
    assert consent.given_by == "Anna Bakker" and consent.scope == "OT"
    assert meetings.has_consent(setup.pester_id, "OT", TODAY)
    assert m.AuditLog.select().where((m.AuditLog.table == "consent")
                                     & (m.AuditLog.record_id == consent.id)).exists()


def test_from_16_the_student_consents_and_a_refusal_stays_in_the_dialog(db, qtbot):
    clock.set_today(TODAY)
    setup = make_case(pester_birth=dt.date(2009, 5, 1))
    dialog = ConsentDialog(setup.actor, setup.pester_id, "IZO")
    qtbot.addWidget(dialog)
    assert dialog.givers.by_student and dialog.guardian.count() == 0
    for box in dialog.kinds.values():
        box.setChecked(False)
    dialog.save()  # no meeting kind ticked: the service refuses, the dialog says so
    assert dialog.result() != dialog.DialogCode.Accepted
    assert "IZO" in dialog.error.text() and not dialog.error.isHidden()
    assert not m.Consent.select().exists()


def test_who_may_not_record_consent_is_told_up_front(db):
    setup = make_case()
    reader = Actor(user_id=setup.actor.user_id, username="lezer", staff_id=setup.staff_id,
                   roles=frozenset({"zorgteam"}))
    assert meetings.may_record_consent(setup.actor)
    assert not meetings.may_record_consent(reader)
    with pytest.raises(ServiceError):
        meetings.consent_givers(reader, setup.pester_id, TODAY)
