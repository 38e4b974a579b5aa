"""Dialogs for entering the school's people by hand: a staff member, a class with its mentors,
a student's guardian, and the Beheer window listing staff and classes.

Each dialog reads a form from ``services.staff``, keeps the version it read and saves through
the service; a refusal or a version conflict is shown inside the dialog, which stays open
(with a reload button on a conflict) so nothing typed is lost by surprise.
"""

from __future__ import annotations

from dataclasses import asdict

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QSpinBox,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from pestdesk.gui.common import ops
from pestdesk.gui.common.colors import ERROR_STYLE
from pestdesk.gui.common.limits import exempt, limit
from pestdesk.gui.common.list_panel import ListPanel
from pestdesk.i18n import N_, _, ngettext
from pestdesk.importers.staff import ROLE_CODES
from pestdesk.services import settings
from pestdesk.services import staff as staff_service
from pestdesk.services.base import Actor, Conflict

# roles the protocol presets do not name
EXTRA_ROLE_TITLES = {"beheerder": N_("administrator (beheerder)"),
                     "zorgteam": N_("care team (zorgteam)")}
SALUTATIONS = ("", "mevrouw", "de heer")


def role_titles() -> dict[str, str]:
    """Role code -> the display title of the school's protocol ("afdelingsleider" at a
    Dalton school), our own title for roles a protocol does not name."""
    titles = {code: _(text) for code, text in EXTRA_ROLE_TITLES.items()}
    try:
        from pestdesk.domain.protocol import get_protocol

        protocol = get_protocol(settings.school_profile().protocol_code)
    except Exception:  # no or broken preset: codes are still understandable
        protocol = None
    for code in ROLE_CODES:
        if code in titles:
            continue
        title = protocol.role_title(code) if protocol is not None else code
        titles[code] = title[:1].upper() + title[1:]
    return titles


KEYS = ("id", "version", "link_id", "link_version")


def _comparable(values: dict) -> dict:
    """Form values the way the table stores them (roles as "mentor,vakdocent")."""
    return {k: ",".join(map(str, v)) if isinstance(v, list) else v for k, v in values.items()}


class EditDialog(QDialog):
    """A form with an inline error line, a reload button for conflicts and OK/Cancel."""

    saved = Signal(int)

    def __init__(self, actor: Actor, title: str, parent: QWidget | None = None):
        super().__init__(parent)
        self.actor = actor
        self.setWindowTitle(title)
        self.layout_ = QVBoxLayout(self)
        self.form = QFormLayout()
        self.form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.ExpandingFieldsGrow)
        self.layout_.addLayout(self.form)
        self.error = QLabel()
        self.error.setWordWrap(True)
        self.error.setStyleSheet(ERROR_STYLE)
        self.error.hide()
        self.reload_button = QPushButton(_("Reload"))
        self.reload_button.hide()
        self.reload_button.clicked.connect(self._reload)
        row = QHBoxLayout()
        row.addWidget(self.error, 1)
        row.addWidget(self.reload_button)
        self.layout_.addLayout(row)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save
                                        | QDialogButtonBox.StandardButton.Cancel)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        self.layout_.addWidget(self.buttons)

    def show_error(self, message: str, conflict: bool = False) -> None:
        self.error.setText(message)
        self.error.show()
        self.reload_button.setVisible(conflict)

    def _reload(self) -> None:
        self.error.hide()
        self.reload_button.hide()
        self.load()

    # subclasses: read() the stored form, fill() the widgets, collect() them, store() a form
    def read(self):  # pragma: no cover - abstract
        raise NotImplementedError

    def fill(self, form) -> None:  # pragma: no cover - abstract
        raise NotImplementedError

    def collect(self):  # pragma: no cover - abstract
        raise NotImplementedError

    def store(self, form) -> int:  # pragma: no cover - abstract
        raise NotImplementedError

    def labels(self) -> dict[str, str]:
        """Field name -> the label text in this form, for the conflict dialog."""
        found = {}
        for name, widget in vars(self).items():
            if isinstance(widget, QWidget):
                label = self.form.labelForField(widget)
                if label is not None and hasattr(label, "text") and label.text():
                    found[name] = label.text()
        return found

    def load(self) -> None:
        self.current = self.read()
        self.fill(self.current)

    def save(self) -> int:
        return self.store(self.collect())

    def reload_keeping_mine(self) -> None:
        """Reload the stored record and put back the fields this user changed."""
        mine, original = asdict(self.collect()), asdict(self.current)
        self._reload()
        fresh = asdict(self.current)
        for key, value in mine.items():
            if key not in KEYS and value != original.get(key):
                fresh[key] = value
        self.fill(type(self.current)(**fresh))

    def resolve_conflict(self, exc: Conflict) -> None:
        """Show what differs (``gui.common.conflict``); reload, with the user's edits put back."""
        from pestdesk.gui.common.conflict import ConflictDialog

        stored = exc.current or {}
        mine = {k: v for k, v in _comparable(asdict(self.collect())).items() if k in stored}
        original = {k: v for k, v in _comparable(asdict(self.current)).items() if k in stored}
        choice = ConflictDialog.ask(self, exc, mine, original, self.labels())
        if choice.reload and choice.reapply:
            self.reload_keeping_mine()
        elif choice.reload:
            self._reload()

    def accept(self) -> None:
        form = self.collect()  # read here; stored on the op's thread

        def conflict(exc: BaseException) -> bool:
            if isinstance(exc, Conflict):  # compared field by field, with this form's labels
                self.show_error(str(exc), conflict=True)
                self.resolve_conflict(exc)
                return True
            return False

        op = ops.Op(self, lambda: self.store(form), changes=ops.Changes.of(ops.PEOPLE))
        if not op.errors_to(self.show_error).failure(conflict).run():
            return
        self.saved.emit(op.result)
        super().accept()


def _line(table: str, field: str) -> QLineEdit:
    """A line edit that takes as many characters as the service stores (services.lengths)."""
    edit = limit(QLineEdit(), table, field)
    edit.setMinimumWidth(220)
    return edit


class StaffDialog(EditDialog):
    """A staff member: code, name, e-mail, active, and the roles as check boxes."""

    def __init__(self, actor: Actor, staff_id: int | None = None,
                 parent: QWidget | None = None):
        super().__init__(actor, _("Edit staff member") if staff_id else _("New staff member"),
                         parent)
        self.staff_id = staff_id
        self.code, self.first_name = _line("staff", "code"), _line("staff", "first_name")
        self.tussenvoegsel = _line("staff", "tussenvoegsel")
        self.last_name, self.email = _line("staff", "last_name"), _line("staff", "email")
        self.active = QCheckBox(_("Active (works at the school)"))
        self.departments = _line("staff", "departments")
        self.departments.setPlaceholderText(_("e.g. onderbouw, bovenbouw havo"))
        for label, widget in ((_("Staff code"), self.code), (_("First name"), self.first_name),
                              (_("Name prefix (tussenvoegsel)"), self.tussenvoegsel),
                              (_("Last name"), self.last_name), (_("E-mail"), self.email)):
            self.form.addRow(label, widget)
        self.form.addRow("", self.active)
        self.form.addRow(_("Department(s)"), self.departments)
        self.departments.setToolTip(_("For a head of department: the departments whose "
                                      "cases they see, as named at the classes."))
        box = QGroupBox(_("Roles in pestdesk"))
        grid = QGridLayout(box)
        self.roles: dict[str, QCheckBox] = {}
        for i, (code, title) in enumerate(role_titles().items()):
            check = QCheckBox(title)
            check.setObjectName(f"role_{code}")
            self.roles[code] = check
            grid.addWidget(check, i // 2, i % 2)
        self.layout_.insertWidget(1, box)
        self.current = staff_service.StaffForm()
        self.load()

    def read(self) -> staff_service.StaffForm:
        return (staff_service.staff_form(self.staff_id) if self.staff_id
                else staff_service.StaffForm())

    def fill(self, f: staff_service.StaffForm) -> None:
        for edit, value in ((self.code, f.code), (self.first_name, f.first_name),
                            (self.tussenvoegsel, f.tussenvoegsel),
                            (self.last_name, f.last_name), (self.email, f.email)):
            edit.setText(value)
        self.active.setChecked(f.active)
        self.departments.setText(f.departments)
        for code, check in self.roles.items():
            check.setChecked(code in f.roles)

    def collect(self) -> staff_service.StaffForm:
        f = self.current
        return staff_service.StaffForm(
            code=self.code.text(), first_name=self.first_name.text(),
            tussenvoegsel=self.tussenvoegsel.text(), last_name=self.last_name.text(),
            email=self.email.text(), active=self.active.isChecked(),
            departments=self.departments.text(),
            roles=[c for c, check in self.roles.items() if check.isChecked()],
            id=f.id, version=f.version)

    def store(self, form: staff_service.StaffForm) -> int:
        return staff_service.save_staff(self.actor, form).id


class ClassDialog(EditDialog):
    """A class: name, leerjaar, department, school year and its mentors."""

    def __init__(self, actor: Actor, class_id: int | None = None,
                 parent: QWidget | None = None):
        super().__init__(actor, _("Edit class") if class_id else _("New class"), parent)
        self.class_id = class_id
        self.name = _line("school_class", "name")
        self.leerjaar = QSpinBox()
        self.leerjaar.setRange(1, 6)
        self.department = QComboBox()
        self.department.setEditable(True)
        limit(self.department.lineEdit(), "school_class", "department")
        for text in ("", "onderbouw", "bovenbouw havo", "bovenbouw vwo", "vmbo"):
            self.department.addItem(text)
        self.school_year = _line("school_class", "school_year")
        self.mentor_filter = exempt(QLineEdit(), "filters the staff list")
        self.mentor_filter.setPlaceholderText(_("Filter staff…"))
        self.mentor_filter.setClearButtonEnabled(True)
        self.mentors = QListWidget()
        self.mentors.setMinimumHeight(180)
        # a school's staff is a few hundred people at most: one list is fine here
        for staff_id, code, name in staff_service.active_staff():
            item = QListWidgetItem(f"{name} ({code})")
            item.setData(Qt.ItemDataRole.UserRole, staff_id)
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            item.setCheckState(Qt.CheckState.Unchecked)
            self.mentors.addItem(item)
        self.mentor_filter.textChanged.connect(self._filter_mentors)
        mentor_box = QVBoxLayout()
        mentor_box.addWidget(self.mentor_filter)
        mentor_box.addWidget(self.mentors)
        for label, widget in ((_("Class"), self.name), (_("Year (leerjaar)"), self.leerjaar),
                              (_("Department"), self.department),
                              (_("School year"), self.school_year)):
            self.form.addRow(label, widget)
        self.form.addRow(_("Mentors"), mentor_box)
        self.current = staff_service.ClassForm()
        self.load()

    def _filter_mentors(self, text: str) -> None:
        needle = text.strip().lower()
        for i in range(self.mentors.count()):
            item = self.mentors.item(i)
            item.setHidden(bool(needle) and needle not in item.text().lower())

    def mentor_items(self) -> list[QListWidgetItem]:
        return [self.mentors.item(i) for i in range(self.mentors.count())]

    def read(self) -> staff_service.ClassForm:
        return (staff_service.class_form(self.class_id) if self.class_id
                else staff_service.ClassForm())

    def fill(self, f: staff_service.ClassForm) -> None:
        self.name.setText(f.name)
        self.leerjaar.setValue(f.leerjaar)
        self.department.setCurrentText(f.department)
        self.school_year.setText(f.school_year)
        for item in self.mentor_items():
            chosen = item.data(Qt.ItemDataRole.UserRole) in f.mentor_ids
            item.setCheckState(Qt.CheckState.Checked if chosen else Qt.CheckState.Unchecked)

    def collect(self) -> staff_service.ClassForm:
        mentors = [item.data(Qt.ItemDataRole.UserRole) for item in self.mentor_items()
                   if item.checkState() == Qt.CheckState.Checked]
        return staff_service.ClassForm(
            name=self.name.text(), leerjaar=self.leerjaar.value(),
            department=self.department.currentText(), school_year=self.school_year.text(),
            mentor_ids=mentors, id=self.current.id, version=self.current.version)

    def store(self, form: staff_service.ClassForm) -> int:
        return staff_service.save_class(self.actor, form).id


class GuardianDialog(EditDialog):
    """A student's parent or carer: name, address, contact, and what the link allows."""

    TEXT_FIELDS = (
        ("initials", N_("Initials")), ("first_name", N_("First name")),
        ("tussenvoegsel", N_("Name prefix (tussenvoegsel)")), ("last_name", N_("Last name")),
        ("street", N_("Street")), ("house_number", N_("House number")),
        ("postcode", N_("Postcode")), ("city", N_("City")), ("country", N_("Country")),
        ("email", N_("E-mail")), ("phone", N_("Telephone")),
    )

    def __init__(self, actor: Actor, student_id: int, guardian_id: int | None = None,
                 parent: QWidget | None = None):
        super().__init__(actor, _("Edit guardian") if guardian_id else _("New guardian"),
                         parent)
        self.student_id = student_id
        self.guardian_id = guardian_id
        self.salutation = QComboBox()
        self.salutation.setEditable(True)
        limit(self.salutation.lineEdit(), "guardian", "salutation")
        self.salutation.addItems(list(SALUTATIONS))
        self.relation = QComboBox()
        self.relation.setEditable(True)
        limit(self.relation.lineEdit(), "student_guardian", "relation")
        self.relation.addItems([""] + list(staff_service.RELATIONS))
        for combo in (self.salutation, self.relation):
            combo.setMinimumWidth(220)
        self.edits = {name: _line("guardian", name) for name, _label in self.TEXT_FIELDS}
        self.form.addRow(_("Relation to the student"), self.relation)
        self.form.addRow(_("Salutation"), self.salutation)
        for name, label in self.TEXT_FIELDS:
            self.form.addRow(_(label), self.edits[name])
        self.has_authority = QCheckBox(_("Has parental authority (gezag)"))
        self.receives_mail = QCheckBox(_("Receives letters"))
        self.info_granted = QCheckBox(_("Information granted (parent without authority)"))
        for check in (self.has_authority, self.receives_mail, self.info_granted):
            self.form.addRow("", check)
        note = QLabel(_("A guardian shared by brothers and sisters is one record: a changed "
                        "address applies to every child."))
        note.setWordWrap(True)
        note.setStyleSheet("color: #555;")
        self.layout_.insertWidget(1, note)
        self.current = staff_service.GuardianForm()
        self.load()

    def read(self) -> staff_service.GuardianForm:
        return (staff_service.guardian_form(self.actor, self.student_id, self.guardian_id)
                if self.guardian_id else staff_service.GuardianForm())

    def fill(self, f: staff_service.GuardianForm) -> None:
        for name, edit in self.edits.items():
            edit.setText(getattr(f, name))
        self.salutation.setCurrentText(f.salutation)
        self.relation.setCurrentText(f.relation)
        self.has_authority.setChecked(f.has_authority)
        self.receives_mail.setChecked(f.receives_mail)
        self.info_granted.setChecked(f.info_granted)

    def collect(self) -> staff_service.GuardianForm:
        f = self.current
        values = {name: edit.text() for name, edit in self.edits.items()}
        return staff_service.GuardianForm(
            **values, salutation=self.salutation.currentText(),
            relation=self.relation.currentText(), has_authority=self.has_authority.isChecked(),
            receives_mail=self.receives_mail.isChecked(),
            info_granted=self.info_granted.isChecked(), id=f.id, version=f.version,
            link_id=f.link_id, link_version=f.link_version)

    def store(self, form: staff_service.GuardianForm) -> int:
        return staff_service.save_guardian(self.actor, self.student_id, form).guardian_id

    def labels(self) -> dict[str, str]:
        found = {name: _(label) for name, label in self.TEXT_FIELDS}
        found.update({"relation": _("Relation to the student"), "salutation": _("Salutation"),
                      "has_authority": self.has_authority.text(),
                      "receives_mail": self.receives_mail.text(),
                      "info_granted": self.info_granted.text()})
        return found


class PeopleDialog(QDialog):
    """Beheer → Medewerkers en klassen: both lists (SQL-paged), with New and Edit."""

    def __init__(self, actor: Actor, parent: QWidget | None = None):
        super().__init__(parent)
        self.actor = actor
        self.setWindowTitle(_("Staff and classes"))
        self.resize(860, 560)
        layout = QVBoxLayout(self)
        self.tabs = QTabWidget()
        titles = role_titles()
        roles = lambda text: ", ".join(titles.get(c, c) for c in str(text).split(",") if c)  # noqa: E731
        self.staff = ListPanel(_("Staff"), staff_service.StaffList(order_key="name", actor=actor),
                               lambda n: ngettext("{n} staff member", "{n} staff members",
                                                  n), formatters={"roles": roles})
        self.staff.size_columns([90, 220, 220, 260])
        self.staff.finish_filters()
        classes = staff_service.ClassList(order_key="name", actor=actor)
        self.classes = ListPanel(_("Classes"), classes,
                                 lambda n: ngettext("{n} class", "{n} classes", n))
        self.classes.size_columns([90, 110, 160, 200])
        self.classes.finish_filters()
        self.tabs.addTab(self._with_buttons(self.staff, _("New staff member…"), self.new_staff,
                                            self.edit_staff), _("Staff"))
        self.tabs.addTab(self._with_buttons(self.classes, _("New class…"), self.new_class,
                                            self.edit_class), _("Classes"))
        self.staff.opened.connect(self.edit_staff)
        self.classes.opened.connect(self.edit_class)
        layout.addWidget(self.tabs)
        close = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        close.rejected.connect(self.reject)
        layout.addWidget(close)

    def _with_buttons(self, panel: ListPanel, new_text: str, on_new, on_edit) -> QWidget:
        page = QWidget()
        column = QVBoxLayout(page)
        column.addWidget(panel, 1)
        row = QHBoxLayout()
        add = QPushButton(new_text)
        add.clicked.connect(on_new)
        edit = QPushButton(_("Edit…"))
        edit.clicked.connect(lambda: self._edit_selected(panel, on_edit))
        row.addWidget(add)
        row.addWidget(edit)
        row.addStretch(1)
        column.addLayout(row)
        return page

    def _edit_selected(self, panel: ListPanel, on_edit) -> None:
        index = panel.table.currentIndex()
        record = panel.model.record_id(index.row()) if index.isValid() else None
        if record is not None:
            on_edit(record)

    def _run(self, dialog: EditDialog, panel: ListPanel) -> EditDialog:
        dialog.saved.connect(lambda _id: panel.refresh())
        dialog.open()
        return dialog

    def new_staff(self) -> EditDialog:
        return self._run(StaffDialog(self.actor, None, self), self.staff)

    def edit_staff(self, staff_id: int) -> EditDialog:
        return self._run(StaffDialog(self.actor, staff_id, self), self.staff)

    def new_class(self) -> EditDialog:
        return self._run(ClassDialog(self.actor, None, self), self.classes)

    def edit_class(self, class_id: int) -> EditDialog:
        return self._run(ClassDialog(self.actor, class_id, self), self.classes)
