"""The school's helplines: an editable table, seeded once from the school's protocol preset.

The preset's helplines (``protocol.helplines``) are copied into the ``helpline`` table the
first time the list is asked for; from then on the school keeps its own list (a number
changes, a local service is added) and the preset is not consulted again, also not when
every line has been removed. Every change is version-checked and audited.

Changes are for the care coordinator and the beheerder; everyone may read the list.

API: ``ensure_seeded(actor=SYSTEM) -> int``,
``list_helplines() -> list[HelplineLine]`` (frozen records, in list order),
``get_helpline(helpline_id) -> HelplineLine`` (as stored now, with its version),
``add_helpline(actor, name, topic='', phone='', url='', description='') -> HelplineLine``,
``edit_helpline(actor, helpline_id, read_version, **changes) -> HelplineLine``,
``remove_helpline(actor, helpline_id, read_version) -> None``.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

from ..domain.protocol import UnknownProtocol, get_protocol
from ..i18n import _
from ..store.models import Helpline, Setting
from . import access, lengths
from .base import SYSTEM, Actor, Conflict, ServiceError, audit, save_versioned, write
from .settings import school_profile

SEEDED_KEY = "helplines_seeded"
EDITABLE = ("name", "topic", "phone", "url", "description")
#: Who keeps the list: the care coordinator and the administrator.
EDIT_ROLES = ("beheerder", "ondersteuningscoordinator", "zorgcoordinator")
_PHONE_RE = re.compile(r"^[0-9+()\- ]{3,20}$")


class HelplineError(ServiceError):
    """Helpline input that cannot be saved; ``problems`` maps field -> translated message."""

    def __init__(self, problems: dict[str, str]) -> None:
        super().__init__("\n".join(problems.values()))
        self.problems = problems


def _require_editor(actor: Actor) -> None:
    if not (actor.has_role(*EDIT_ROLES) or access.is_system(actor)):
        raise ServiceError(_("You do not have the rights to do this."))


def _seeded() -> bool:
    return Setting.select().where(Setting.key == SEEDED_KEY).exists()


def ensure_seeded(actor: Actor = SYSTEM) -> int:
    """Copy the protocol preset's helplines once; returns how many were added (0 if done)."""
    if _seeded():
        return 0
    code = school_profile().protocol_code or "doultremont"
    try:
        lines = get_protocol(code).helplines
    except UnknownProtocol:
        lines = ()
    with write():
        if _seeded():  # another user seeded meanwhile
            return 0
        for line in lines:
            description = "; ".join(p for p in (line.description, line.hours) if p)
            Helpline.create(name=line.name, topic=line.topic, phone=line.phone, url=line.url,
                            description=description)
        Setting.create(key=SEEDED_KEY, value=json.dumps(code))
        audit(actor, "seed", "helpline", None, f"protocol={code},count={len(lines)}")
    return len(lines)


@dataclass(frozen=True, slots=True)
class HelplineLine:
    """One helpline as the screens show it (and edit it: ``version``)."""

    id: int
    version: int
    name: str
    topic: str
    phone: str
    url: str
    description: str

    @classmethod
    def of(cls, line: Helpline) -> HelplineLine:
        return cls(id=line.id, version=line.version, name=line.name, topic=line.topic or "",
                   phone=line.phone or "", url=line.url or "",
                   description=line.description or "")


def list_helplines() -> list[HelplineLine]:
    """The school's helplines in the order they were added (seeding on first use)."""
    ensure_seeded()
    return [HelplineLine.of(line) for line in Helpline.select().order_by(Helpline.id)]


def _clean(values: dict[str, str]) -> dict[str, str]:
    cleaned = {k: (v or "").strip() for k, v in values.items()}
    problems: dict[str, str] = {}
    if not cleaned.get("name"):
        problems["name"] = _("Give the helpline's name.")
    if not cleaned.get("phone") and not cleaned.get("url"):
        problems["phone"] = _("Give a phone number or a website.")
    if cleaned.get("phone") and not _PHONE_RE.match(cleaned["phone"]):
        problems["phone"] = _("'{phone}' is not a phone number.").format(phone=cleaned["phone"])
    url = cleaned.get("url", "")
    if url and (" " in url or "." not in url):
        problems["url"] = _("'{url}' is not a web address.").format(url=url)
    if url and not url.lower().startswith(("http://", "https://")):
        cleaned["url"] = "https://" + url
    if problems:
        raise HelplineError(problems)
    return cleaned


def add_helpline(actor: Actor, name: str, topic: str = "", phone: str = "", url: str = "",
                 description: str = "") -> HelplineLine:
    """Add a helpline to the school's list."""
    _require_editor(actor)
    values = _clean(dict(name=name, topic=topic, phone=phone, url=url, description=description))
    ensure_seeded(actor)
    lengths.require("helpline", values)
    with write():
        line = Helpline.create(**values)
        audit(actor, "create", "helpline", line.id, "")
    return HelplineLine.of(line)


def get_helpline(helpline_id: int) -> HelplineLine:
    """One helpline as stored now (with its version), for editing; ``ServiceError`` if gone."""
    return HelplineLine.of(_stored(helpline_id))


def _stored(helpline_id: int) -> Helpline:
    line = Helpline.get_or_none(Helpline.id == helpline_id)
    if line is None:
        raise ServiceError(_("This helpline does not exist (any more)."))
    return line



def edit_helpline(actor: Actor, helpline_id: int, read_version: int,
                  **changes) -> HelplineLine:
    """Change a helpline's fields (``name``, ``topic``, ``phone``, ``url``, ``description``)."""
    unknown = set(changes) - set(EDITABLE)
    if unknown:
        raise ValueError(f"not editable: {sorted(unknown)}")
    _require_editor(actor)
    with write():
        line = _stored(helpline_id)
        current = {k: getattr(line, k) for k in EDITABLE}
        values = _clean({**current, **changes})
        return HelplineLine.of(save_versioned(actor, line, read_version, **values))


def remove_helpline(actor: Actor, helpline_id: int, read_version: int) -> None:
    """Remove a helpline from the list (refused if someone changed it meanwhile)."""
    _require_editor(actor)
    with write():
        line = _stored(helpline_id)
        rows = Helpline.delete().where(
            (Helpline.id == helpline_id) & (Helpline.version == read_version)
        ).execute()
        if rows == 0:
            raise Conflict("helpline", helpline_id, line.__data__)
        audit(actor, "delete", "helpline", helpline_id, "")
