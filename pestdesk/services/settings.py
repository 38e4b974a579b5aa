"""School profile and application settings stored in the database (shared by all users).

Per-user preferences (window geometry, last database) live in QSettings on the PC instead.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, fields

from ..i18n import _
from ..store import scope
from ..store.models import School, Setting
from . import lengths
from .base import Actor, Conflict, ServiceError, audit, write

PROFILE_KEY = "school_profile"


@dataclass
class SchoolProfile:
    name: str = ""
    street: str = ""
    postcode: str = ""
    city: str = ""
    phone: str = ""
    email: str = ""
    website: str = ""
    brin: str = ""
    denomination: str = "openbaar"  # openbaar or bijzonder: the objection route differs
    protocol_code: str = "doultremont"
    footer: str = ""

    @property
    def is_set_up(self) -> bool:
        return bool(self.name.strip())


def get_value(key: str, default=None):
    row = Setting.get_or_none(Setting.key == key)
    return json.loads(row.value) if row else default


PROFILE_ROLES = ("beheerder", "ondersteuningscoordinator", "directie")


def setting_version(key: str) -> int:
    """The version of a stored setting (0 when it was never stored): pass it back to
    ``set_value`` so a colleague's save in between is not silently overwritten."""
    row = Setting.get_or_none(Setting.key == key)
    return row.version if row else 0


def set_value(actor: Actor, key: str, value, read_version: int | None = None) -> None:
    """Store a setting (inside its own short transaction) with an audit line.

    With ``read_version`` the save is refused (``Conflict``) when someone else stored the
    setting after it was read.
    """
    text = json.dumps(value, ensure_ascii=False, sort_keys=True)
    lengths.require("setting", {"value": text})
    with write():
        row = Setting.get_or_none(Setting.key == key)
        if read_version is not None and read_version != (row.version if row else 0):
            raise Conflict("setting", 0, json.loads(row.value) if row else {})
        if row is None:
            Setting.create(key=key, value=text)
        elif row.value != text:
            Setting.update(value=text, version=Setting.version + 1).where(
                Setting.key == key
            ).execute()
        audit(actor, "setting", "setting", None, key)


def school_profile() -> SchoolProfile:
    data = get_value(PROFILE_KEY, {}) or {}
    known = {f.name for f in fields(SchoolProfile)}
    return SchoolProfile(**{k: v for k, v in data.items() if k in known})


def save_school_profile(actor: Actor, profile: SchoolProfile,
                        read_version: int | None = None) -> None:
    if not (actor.user_id is None or actor.has_role(*PROFILE_ROLES)):
        raise ServiceError(_("You do not have the rights to do this."))
    lengths.require("school_profile", asdict(profile))
    name = profile.name.strip()
    with write():
        set_value(actor, PROFILE_KEY, asdict(profile), read_version)
        if name:  # the profile names the school (the board's list of schools, --school)
            school = scope.active_school()
            with scope.unscoped():
                if School.select().where((School.name == name) & (School.id != school)).exists():
                    raise ServiceError(_("There is already a school named {name}.").format(
                        name=name))
                School.update(name=name, version=School.version + 1).where(
                    (School.id == school) & (School.name != name)).execute()
