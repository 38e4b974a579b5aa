"""First run of a new database: the set-up wizard creates the school and its beheerder."""

from __future__ import annotations

from PySide6.QtWidgets import QWizard

from pestdesk.services import accounts, settings
from pestdesk.store.models import Staff, User


def fill_school(wizard, qtbot):
    qtbot.keyClicks(wizard.name, "Het Baken")
    qtbot.keyClicks(wizard.street, "Schoolstraat 3")
    qtbot.keyClicks(wizard.postcode, "1811ab")
    qtbot.keyClicks(wizard.city, "Alkmaar")


def fill_user(wizard, qtbot, password="geheim-wachtwoord", again=None):
    qtbot.keyClicks(wizard.first, "Anna")
    qtbot.keyClicks(wizard.last, "de Boer")
    qtbot.keyClicks(wizard.code, "boa")
    qtbot.keyClicks(wizard.username, "Anna")
    qtbot.keyClicks(wizard.password, password)
    qtbot.keyClicks(wizard.password2, again if again is not None else password)


def test_setup_creates_school_profile_and_beheerder(db, qtbot):
    from pestdesk.gui.session.dialogs import SetupWizard

    wizard = SetupWizard()
    qtbot.addWidget(wizard)
    wizard.show()
    assert wizard.windowTitle() == "pestdesk instellen"
    fill_school(wizard, qtbot)
    wizard.next()
    codes = [wizard.protocol.itemData(i) for i in range(wizard.protocol.count())]
    assert {"doultremont", "dalton-alkmaar"} <= set(codes)
    wizard.protocol.setCurrentIndex(codes.index("dalton-alkmaar"))
    wizard.next()
    assert wizard.currentPage() is wizard.user_page
    fill_user(wizard, qtbot)
    wizard.button(QWizard.WizardButton.FinishButton).click()
    assert wizard.actor is not None and wizard.actor.has_role("beheerder")
    profile = settings.school_profile()
    assert (profile.name, profile.postcode, profile.protocol_code) == (
        "Het Baken", "1811AB", "dalton-alkmaar")
    staff = Staff.get(Staff.code == "BOA")
    assert "beheerder" in staff.roles
    user = User.get(User.username == "anna")
    assert user.password_hash.startswith("$argon2id$")
    assert "geheim-wachtwoord" not in user.password_hash
    assert accounts.sign_in("anna", "geheim-wachtwoord").username == "anna"


def test_setup_refuses_mismatched_or_short_password(db, qtbot):
    from pestdesk.gui.session.dialogs import SetupWizard

    wizard = SetupWizard()
    qtbot.addWidget(wizard)
    wizard.show()
    fill_school(wizard, qtbot)
    wizard.next()
    wizard.next()
    fill_user(wizard, qtbot, password="geheim-wachtwoord", again="anders-wachtwoord")
    assert not wizard.validateCurrentPage()
    assert "verschillen" in wizard.error.text()
    wizard.password.setText("kort")
    wizard.password2.setText("kort")
    assert not wizard.validateCurrentPage()
    assert "minstens 12 tekens" in wizard.error.text()
    assert User.select().count() == 0
    assert Staff.select().count() == 0
