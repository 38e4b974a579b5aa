"""Small dialogs: school details (a Designer form), first-run set-up, sign-in, the
recovery key.

Everything that touches the database or a key runs on the one operation path
(``gui.common.ops``): the password hash (Argon2id), a key slot's unlock and the audit lines
take a moment, and on a shared file held locked by another PC the wait is the busy timeout;
the window keeps painting meanwhile and every refusal reaches the one error handler, shown
on the dialog's own error line (``widgets.error_label``)."""

from __future__ import annotations

import tomllib
from collections.abc import Callable
from dataclasses import asdict
from functools import partial
from pathlib import Path

from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
    QWizard,
    QWizardPage,
)

from pestdesk.gui.common import ops
from pestdesk.gui.common.conflict import reapply
from pestdesk.gui.common.limits import exempt, limit
from pestdesk.gui.common.widgets import ShowsErrors, error_label
from pestdesk.i18n import N_, _
from pestdesk.paths import PROTOCOLS_DIR
from pestdesk.services import accounts, encryption, settings
from pestdesk.services.base import Actor

DENOMINATIONS = (("openbaar", N_("public school (openbaar)")),
                 ("bijzonder", N_("denominational school (bijzonder)")))


def available_protocols() -> list[tuple[str, str]]:
    """(code, name) of the protocol presets shipped in resources/protocols."""
    out = []
    for path in sorted(PROTOCOLS_DIR.glob("*.toml")):
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except (OSError, tomllib.TOMLDecodeError):
            continue
        out.append((str(data.get("code", path.stem)), str(data.get("name", path.stem))))
    return out or [("doultremont", "d'Oultremont College")]


class SchoolProfileDialog(ShowsErrors, QDialog):
    """Edit the school's details (``ui/school_profile.ui``)."""

    def __init__(self, actor: Actor, parent: QWidget | None = None):
        super().__init__(parent)
        from pestdesk.gui.common.forms import load_form

        self.actor = actor
        self.form = load_form("school_profile", self)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.form)
        self.setWindowTitle(self.form.windowTitle())
        self.resize(self.form.size())
        self.error = error_label(hidden=True, label=self.form.errorLabel)
        for code, label in DENOMINATIONS:
            self.form.denominationCombo.addItem(_(label), code)
        for code, name in available_protocols():
            self.form.protocolCombo.addItem(name, code)
        self.read_version = settings.setting_version(settings.PROFILE_KEY)
        self.original = asdict(settings.school_profile())
        for attr in ("name", "street", "postcode", "city", "phone", "email", "website", "brin",
                     "footer"):
            limit(getattr(self.form, f"{attr}Edit"), "school_profile", attr)
        self.load(settings.school_profile())
        self.form.buttonBox.accepted.connect(self.accept)
        self.form.buttonBox.rejected.connect(self.reject)

    def load(self, p: settings.SchoolProfile) -> None:
        f = self.form
        for attr, edit in (("name", f.nameEdit), ("street", f.streetEdit),
                           ("postcode", f.postcodeEdit), ("city", f.cityEdit),
                           ("phone", f.phoneEdit), ("email", f.emailEdit),
                           ("website", f.websiteEdit), ("brin", f.brinEdit),
                           ("footer", f.footerEdit)):
            edit.setText(getattr(p, attr))
        f.denominationCombo.setCurrentIndex(max(0, f.denominationCombo.findData(p.denomination)))
        f.protocolCombo.setCurrentIndex(max(0, f.protocolCombo.findData(p.protocol_code)))

    def profile(self) -> settings.SchoolProfile:
        f = self.form
        return settings.SchoolProfile(
            name=f.nameEdit.text().strip(), street=f.streetEdit.text().strip(),
            postcode=f.postcodeEdit.text().strip().upper(), city=f.cityEdit.text().strip(),
            phone=f.phoneEdit.text().strip(), email=f.emailEdit.text().strip(),
            website=f.websiteEdit.text().strip(), brin=f.brinEdit.text().strip(),
            denomination=f.denominationCombo.currentData(),
            protocol_code=f.protocolCombo.currentData(), footer=f.footerEdit.text().strip())

    def accept(self) -> None:
        profile = self.profile()
        if not profile.name:
            self.show_error(_("The school name is required."))
            self.form.nameEdit.setFocus()
            return
        mine = {k: v for k, v in asdict(profile).items() if self.original.get(k) != v}

        def reload(_conflict, choice) -> None:  # a colleague saved first: reload, reapply
            if choice.reload:
                current = settings.school_profile()
                self.read_version = settings.setting_version(settings.PROFILE_KEY)
                self.original = asdict(current)
                merged = reapply(asdict(current), mine) if choice.reapply else {}
                self.load(settings.SchoolProfile(**merged) if merged else current)

        op = ops.Op(self, partial(settings.save_school_profile, self.actor, profile,
                                  self.read_version), changes=ops.Changes.of(ops.SETTINGS))
        if not op.errors_to(self.show_error) \
                .on_conflict(reload, lambda: mine, original=self.original).run():
            return  # shown in the form, which stays open
        super().accept()


class SetupWizard(ShowsErrors, QWizard):
    """First run of a new database: school, protocol preset, the first user (beheerder)."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle(_("Set up pestdesk"))
        self.setWizardStyle(QWizard.WizardStyle.ModernStyle)
        self.actor: Actor | None = None
        self.school_page = QWizardPage()
        self.school_page.setTitle(_("Your school"))
        self.school_page.setSubTitle(_("These details appear on letters and reports."))
        form = QFormLayout(self.school_page)
        self.name = limit(QLineEdit(), "school_profile", "name")
        self.street = limit(QLineEdit(), "school_profile", "street")
        self.postcode = limit(QLineEdit(), "school_profile", "postcode")
        self.city = limit(QLineEdit(), "school_profile", "city")
        form.addRow(_("School name"), self.name)
        form.addRow(_("Street and number"), self.street)
        form.addRow(_("Postcode"), self.postcode)
        form.addRow(_("Town"), self.city)
        self.school_page.registerField("name*", self.name)
        self.addPage(self.school_page)

        self.protocol_page = QWizardPage()
        self.protocol_page.setTitle(_("Anti-bullying protocol"))
        self.protocol_page.setSubTitle(
            _("Choose the preset closest to your school's protocol; you can change it later."))
        pform = QFormLayout(self.protocol_page)
        from PySide6.QtWidgets import QComboBox

        self.protocol = QComboBox()
        for code, pname in available_protocols():
            self.protocol.addItem(pname, code)
        pform.addRow(_("Protocol"), self.protocol)
        self.addPage(self.protocol_page)

        self.user_page = QWizardPage()
        self.user_page.setTitle(_("First user"))
        self.user_page.setSubTitle(
            _("The first user manages pestdesk (beheerder) and can add the others."))
        uform = QFormLayout(self.user_page)
        self.first = QLineEdit()
        self.last = QLineEdit()
        self.code = QLineEdit()
        self.username = QLineEdit()
        for widget, table, field in ((self.first, "staff", "first_name"),
                                     (self.last, "staff", "last_name"),
                                     (self.code, "staff", "code"),
                                     (self.username, "user", "username")):
            limit(widget, table, field)
        self.password = exempt(QLineEdit(), "a password is hashed; its rules are checked")
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.password2 = exempt(QLineEdit(), "the password again")
        self.password2.setEchoMode(QLineEdit.EchoMode.Password)
        uform.addRow(_("First name"), self.first)
        uform.addRow(_("Last name"), self.last)
        uform.addRow(_("Staff code"), self.code)
        uform.addRow(_("User name"), self.username)
        uform.addRow(_("Password"), self.password)
        uform.addRow(_("Password again"), self.password2)
        self.error = error_label(hidden=True)
        uform.addRow(self.error)
        for name, widget in (("last*", self.last), ("code*", self.code),
                             ("username*", self.username), ("password*", self.password)):
            self.user_page.registerField(name, widget)
        self.addPage(self.user_page)

    def validateCurrentPage(self) -> bool:  # noqa: N802
        if self.currentPage() is not self.user_page:
            return True
        if self.password.text() != self.password2.text():
            self.show_error(_("The two passwords differ."))
            return False
        self.show_error("")
        op = ops.Op(self, self._save(), changes=ops.Changes(ops.EVERYTHING))
        if not op.errors_to(self.show_error).run():
            return False
        self.actor = op.result
        return True

    def _save(self) -> Callable[[], Actor]:
        """The set-up as one call, with what was typed read here on the GUI thread."""
        return partial(
            accounts.set_up,
            settings.SchoolProfile(
                name=self.name.text().strip(), street=self.street.text().strip(),
                postcode=self.postcode.text().strip().upper(), city=self.city.text().strip(),
                protocol_code=self.protocol.currentData()),
            self.first.text(), self.last.text(), self.code.text(), self.username.text(),
            self.password.text())


class LoginDialog(ShowsErrors, QDialog):
    """Sign in with a personal account."""

    def __init__(self, school: str, parent: QWidget | None = None, hint: str = "",
                 path: Path | None = None):
        super().__init__(parent)
        self.setWindowTitle(_("Sign in to pestdesk"))
        self.actor: Actor | None = None
        self.path = path  # an encrypted file opens with the user's key slot
        layout = QVBoxLayout(self)
        title = QLabel(school or "pestdesk")
        title.setStyleSheet("font-size: 16pt; font-weight: 600;")
        layout.addWidget(title)
        if hint:
            note = QLabel(hint)
            note.setWordWrap(True)
            layout.addWidget(note)
        form = QFormLayout()
        self.username = exempt(QLineEdit(), "signs in; nothing typed here is stored")
        self.password = exempt(QLineEdit(), "signs in; nothing typed here is stored")
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        form.addRow(_("User name"), self.username)
        form.addRow(_("Password"), self.password)
        layout.addLayout(form)
        self.error = error_label(hidden=True)
        layout.addWidget(self.error)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok
                                   | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        self.recovery_button = None
        if path is not None:  # every password lost: the directeur's recovery key
            self.recovery_button = buttons.addButton(
                _("Use the recovery key…"), QDialogButtonBox.ButtonRole.ActionRole)
            self.recovery_button.clicked.connect(self.use_recovery_key)
        layout.addWidget(buttons)

    def use_recovery_key(self) -> None:
        dialog = RecoveryKeyDialog(self.path, parent=self)
        if dialog.exec() == QDialog.DialogCode.Accepted and dialog.actor is not None:
            self.actor = dialog.actor
            super().accept()

    def accept(self) -> None:
        # the slow-down after wrong passwords lives in the database (services.accounts),
        # so it holds across restarts and PCs; the dialog only shows the message
        username, password = self.username.text(), self.password.text()
        if self.path is not None:
            call = partial(encryption.sign_in, self.path, username, password)
        else:
            call = partial(accounts.sign_in, username, password)
        op = ops.Op(self, call, label=_("Signing in…"))
        if not op.errors_to(self.show_error).run():
            self.password.clear()
            self.password.setFocus()
            return
        self.actor = op.result
        super().accept()


class RecoveryKeyDialog(ShowsErrors, QDialog):
    """The recovery key from the printed sheet opens an encrypted database.

    ``setup``: a database made with ``pestdesk init`` has no user yet; the key opens it and
    the set-up wizard follows. Otherwise every password is lost: the key opens it and a
    directie or beheerder account gets a new password chosen here (``encryption.recover``).
    """

    def __init__(self, path: Path, parent: QWidget | None = None, setup: bool = False):
        super().__init__(parent)
        self.path = path
        self.setup = setup
        self.actor: Actor | None = None
        self.setWindowTitle(_("Recovery key"))
        layout = QVBoxLayout(self)
        intro = QLabel(_(
            "This database is encrypted and has no users yet. Type the recovery key that "
            "'pestdesk init' printed; then set up the school and its first user.") if setup
            else _("Every password lost? The recovery key from the sheet in the directeur's "
                   "safe opens the database. Then choose a new password for a directie or "
                   "beheerder account; that user signs in with it from now on."))
        intro.setWordWrap(True)
        layout.addWidget(intro)
        form = QFormLayout()
        self.key = QLineEdit()
        self.key.setPlaceholderText("XXXXX-XXXXX-XXXXX-XXXXX-XXXXX-XXXXX-XXXXX-XXXXX-XXX")
        form.addRow(_("Recovery key"), self.key)
        self.username = QLineEdit()
        self.password = QLineEdit()
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.password2 = QLineEdit()
        self.password2.setEchoMode(QLineEdit.EchoMode.Password)
        if not setup:
            form.addRow(_("User name"), self.username)
            form.addRow(_("New password"), self.password)
            form.addRow(_("New password again"), self.password2)
        layout.addLayout(form)
        self.error = error_label(hidden=True)
        layout.addWidget(self.error)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok
                                   | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self.resize(560, self.sizeHint().height())

    def accept(self) -> None:
        if self.setup:
            call = partial(encryption.unlock_with_recovery, self.path, self.key.text())
        else:
            call = partial(encryption.recover, self.path, self.key.text(),
                           self.username.text(), self.password.text(), self.password2.text())
        op = ops.Op(self, call, label=_("Opening the database…"))
        if not op.errors_to(self.show_error).run():
            self.password.clear()
            self.password2.clear()
            return
        if not self.setup:
            self.actor = op.result
        super().accept()
