"""School profile and application settings stored in the database (shared by all users).

Per-user preferences (window geometry, last database) live in QSettings on the PC instead.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, fields

from ..store.models import Setting
from .base import Actor, audit, write

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


def set_value(actor: Actor, key: str, value) -> None:
    """Store a setting (inside its own short transaction) with an audit line."""
    text = json.dumps(value, ensure_ascii=False, sort_keys=True)
    with write():
        row = Setting.get_or_none(Setting.key == key)
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


def save_school_profile(actor: Actor, profile: SchoolProfile) -> None:
    set_value(actor, PROFILE_KEY, asdict(profile))
