"""Parents and carers (ouders/verzorgers) in a student export, and how they are matched.

A row may describe up to two guardians. A guardian already linked to the student is updated;
otherwise the same person is looked for among all guardians (by e-mail, or by name plus
postcode and house number) so that brothers and sisters share one guardian record; only then
is a new one made. Empty cells never wipe what is stored, and links are never removed by an
import: a change in custody is something a person records, not a file.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field

from ..i18n import _
from .columns import ColumnMapping
from .problems import ImportProblem
from .values import normalise_postcode, parse_bool, split_street

GUARDIAN_FIELDS = ("first_name", "initials", "tussenvoegsel", "last_name", "salutation",
                   "street", "house_number", "postcode", "city", "country", "email", "phone")
ADDRESS_FIELDS = ("street", "house_number", "house_suffix", "postcode", "city", "country")
RELATIONS = {"moeder": "moeder", "vader": "vader", "mother": "moeder", "father": "vader",
             "verzorger": "verzorger", "verzorgster": "verzorger", "pleegouder": "pleegouder",
             "voogd": "voogd", "stiefmoeder": "stiefouder", "stiefvader": "stiefouder"}


@dataclass
class GuardianRecord:
    """One guardian as the export describes them."""

    slot: int
    values: dict[str, str]  # Guardian model fields with their (possibly empty) text
    relation: str = ""
    has_authority: bool = True
    authority_given: bool = False  # the file has a Gezag column with a value

    def identity(self) -> tuple[str, ...]:
        """Name plus address: the same person across brothers and sisters."""
        v = self.values
        return (_fold(v["last_name"]), _fold(v["first_name"] or v["initials"])[:1],
                _fold(v["postcode"]).replace(" ", ""), _fold(v["house_number"]))

    def email_key(self) -> str:
        return self.values["email"].strip().lower()


def _fold(text: str) -> str:
    text = unicodedata.normalize("NFKD", text or "").lower()
    return "".join(ch for ch in text if not unicodedata.combining(ch)).strip()


def guardian_from_row(slot: int, value: Callable[[str], str], mapping: ColumnMapping,
                      row: int) -> tuple[GuardianRecord | None, list[ImportProblem]]:
    """The guardian in ``slot`` (1 or 2) of a row; None when its cells are all empty."""
    prefix = f"guardian{slot}_"
    own = {name[len(prefix):]: value(name) for name in mapping.fields if name.startswith(prefix)}
    if not any(own.values()):
        return None, []
    if not own.get("last_name"):
        column = mapping.fields.get(prefix + "last_name", "")
        return None, [ImportProblem(row, column, _(
            "Guardian {slot} has details but no last name.").format(slot=slot))]
    if not any(own.get(name) for name in ADDRESS_FIELDS):
        own.update({name: value(name) for name in ADDRESS_FIELDS})  # the household address
    street, number = split_street(own.get("street", ""), own.get("house_number", ""))
    suffix = own.get("house_suffix", "")
    values = {name: own.get(name, "") for name in GUARDIAN_FIELDS}
    values["street"] = street
    values["house_number"] = f"{number} {suffix}".strip() if suffix else number
    values["postcode"] = normalise_postcode(values["postcode"])
    relation_text = own.get("relation", "").strip()
    relation = RELATIONS.get(relation_text.lower(), relation_text.lower())
    authority_text = own.get("has_authority", "")
    return GuardianRecord(slot, values, relation, parse_bool(authority_text, True),
                          bool(authority_text.strip())), []


@dataclass(frozen=True)
class ExistingGuardian:
    id: int
    version: int
    values: dict[str, str]

    def identity(self) -> tuple[str, ...]:
        return GuardianRecord(0, self.values).identity()


@dataclass(frozen=True)
class ExistingLink:
    id: int
    version: int
    student_id: int
    guardian_id: int
    relation: str
    has_authority: bool


@dataclass
class GuardianAction:
    """What to do for one guardian of one student in the file.

    ``guardian_id`` is set for a stored guardian, ``new_ref`` for one this import creates
    (shared by brothers and sisters). ``link`` is the stored link, if any.
    """

    student_number: str
    record: GuardianRecord
    guardian_id: int | None = None
    new_ref: int | None = None
    changes: dict[str, str] = field(default_factory=dict)
    link: ExistingLink | None = None
    link_changes: dict[str, object] = field(default_factory=dict)


class GuardianMatcher:
    """Plan guardian creates, updates and links against a snapshot of stored guardians."""

    def __init__(self, guardians: list[ExistingGuardian], links: list[ExistingLink]):
        self.guardians = {g.id: g for g in guardians}
        self.links_by_student: dict[int, list[ExistingLink]] = {}
        for link in links:
            self.links_by_student.setdefault(link.student_id, []).append(link)
        self.by_email: dict[str, set[int]] = {}
        self.by_identity: dict[tuple[str, ...], set[int]] = {}
        for g in guardians:
            email = g.values.get("email", "").strip().lower()
            if email:
                self.by_email.setdefault(email, set()).add(g.id)
            ident = g.identity()
            if ident[2]:  # only with a postcode is name + address specific enough
                self.by_identity.setdefault(ident, set()).add(g.id)
        self.new_records: list[GuardianRecord] = []
        self._new_by_email: dict[str, int] = {}
        self._new_by_identity: dict[tuple[str, ...], int] = {}
        self.actions: list[GuardianAction] = []

    def plan(self, student_number: str, student_id: int | None,
             records: list[GuardianRecord]) -> None:
        linked = self.links_by_student.get(student_id, []) if student_id else []
        for record in records:
            action = GuardianAction(student_number, record)
            link = self._linked_match(record, linked)
            guardian_id = link.guardian_id if link else self._stored_match(record)
            if guardian_id is not None:
                action.guardian_id = guardian_id
                action.link = link or next(
                    (lk for lk in linked if lk.guardian_id == guardian_id), None)
                stored = self.guardians[guardian_id].values
                action.changes = {k: v for k, v in record.values.items()
                                  if v and v != stored.get(k, "")}
            else:
                action.new_ref = self._new_ref(record)
            if action.link is not None:
                action.link_changes = self._link_changes(record, action.link)
            self.actions.append(action)

    def _linked_match(self, record: GuardianRecord, linked: list[ExistingLink]
                      ) -> ExistingLink | None:
        ident = record.identity()
        for link in linked:
            stored = self.guardians.get(link.guardian_id)
            if stored is None:
                continue
            other = stored.identity()
            email = record.email_key()
            if (email and email == stored.values.get("email", "").strip().lower()) or (
                    ident[0] == other[0] and (not ident[1] or not other[1]
                                              or ident[1] == other[1])):
                return link
        return None

    def _stored_match(self, record: GuardianRecord) -> int | None:
        email = record.email_key()
        found = self.by_email.get(email, set()) if email else set()
        if len(found) == 1:
            return next(iter(found))
        ident = record.identity()
        found = self.by_identity.get(ident, set()) if ident[2] else set()
        return next(iter(found)) if len(found) == 1 else None

    def _new_ref(self, record: GuardianRecord) -> int:
        email, ident = record.email_key(), record.identity()
        ref = self._new_by_email.get(email) if email else None
        if ref is None and ident[2]:
            ref = self._new_by_identity.get(ident)
        if ref is None:
            ref = len(self.new_records)
            self.new_records.append(record)
        if email:
            self._new_by_email.setdefault(email, ref)
        if ident[2]:
            self._new_by_identity.setdefault(ident, ref)
        return ref

    @staticmethod
    def _link_changes(record: GuardianRecord, link: ExistingLink) -> dict[str, object]:
        changes: dict[str, object] = {}
        if record.relation and record.relation != link.relation:
            changes["relation"] = record.relation
        if record.authority_given and record.has_authority != link.has_authority:
            changes["has_authority"] = record.has_authority
        return changes

    def counts(self) -> dict[str, int]:
        updated = {a.guardian_id for a in self.actions if a.guardian_id and a.changes}
        return {
            "guardians_new": len(self.new_records),
            "guardians_changed": len(updated),
            "guardian_links_new": sum(1 for a in self.actions if a.link is None),
            "guardian_links_changed": sum(1 for a in self.actions if a.link_changes),
        }
