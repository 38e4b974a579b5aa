"""The addressee of a letter and its address block, formatted the way PostNL asks.

A Dutch address block is, top to bottom::

    De ouders/verzorgers van Zoë Çelik-van den Brûle      name line(s)
    Kanaalkade 12 A                                       street + house number
    1811 LB  ALKMAAR                                      postcode "1234 AB", TWO spaces, TOWN

A foreign address ends with the country on its own line in capitals; its postcode is kept
as written. :func:`validate_address` reports what makes an address unusable (missing street,
postcode or town, a postcode that cannot be Dutch) as a list of :class:`AddressProblem`, so
the interface can warn before anything is printed; :func:`address_lines` never raises.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from pestdesk.i18n import _

_POSTCODE_RE = re.compile(r"^\s*([1-9][0-9]{3})\s*([A-Za-z]{2})\s*$")
# PostNL never issues these letter pairs.
_UNUSED_LETTERS = {"SA", "SD", "SS"}
_DOMESTIC = {"", "nl", "nld", "nederland", "netherlands", "the netherlands", "holland"}
#: PostNL: at most six lines in an address block.
MAX_ADDRESS_LINES = 6


@dataclass(frozen=True)
class Recipient:
    """Who a letter goes to. ``country`` empty (or "Nederland") means a Dutch address."""

    name_lines: tuple[str, ...]
    street: str = ""
    house_number: str = ""
    postcode: str = ""
    city: str = ""
    country: str = ""
    salutation: str = ""

    @property
    def is_domestic(self) -> bool:
        return self.country.strip().lower() in _DOMESTIC

    @property
    def name(self) -> str:
        return " ".join(line.strip() for line in self.name_lines if line.strip())


@dataclass(frozen=True)
class AddressProblem:
    """One reason an address cannot be used; ``field`` names the Recipient attribute."""

    field: str
    message: str


def normalise_postcode(postcode: str) -> str | None:
    """``"1234ab"``/``"1234 ab"`` → ``"1234 AB"``; ``None`` when it is no Dutch postcode."""
    m = _POSTCODE_RE.match(postcode or "")
    if not m or m[2].upper() in _UNUSED_LETTERS:
        return None
    return f"{m[1]} {m[2].upper()}"


def _clean(text: str) -> str:
    return " ".join((text or "").split())


def validate_address(recipient: Recipient) -> list[AddressProblem]:
    """Everything that makes ``recipient``'s address unusable for post; empty when fine."""
    problems: list[AddressProblem] = []
    if not any(_clean(n) for n in recipient.name_lines):
        problems.append(AddressProblem("name_lines", _("The addressee has no name.")))
    if not _clean(recipient.street):
        problems.append(AddressProblem("street", _("The street is missing.")))
    if not _clean(recipient.city):
        problems.append(AddressProblem("city", _("The town is missing.")))
    if recipient.is_domestic:
        if not _clean(recipient.postcode):
            problems.append(AddressProblem("postcode", _("The postcode is missing.")))
        elif normalise_postcode(recipient.postcode) is None:
            problems.append(
                AddressProblem(
                    "postcode",
                    _(
                        "“{postcode}” is not a Dutch postcode (four digits and two letters, e.g. "
                        "1811 LB)."
                    ).format(postcode=recipient.postcode.strip()),
                )
            )
        if _clean(recipient.street).lower() != "postbus" and not _clean(recipient.house_number):
            problems.append(AddressProblem("house_number", _("The house number is missing.")))
    if len(address_lines(recipient)) > MAX_ADDRESS_LINES:
        problems.append(
            AddressProblem(
                "name_lines", _("The address has more than {n} lines.").format(n=MAX_ADDRESS_LINES)
            )
        )
    return problems


def address_lines(recipient: Recipient) -> list[str]:
    """The address block as lines of text, formatted per PostNL; never raises."""
    lines = [_clean(n) for n in recipient.name_lines if _clean(n)]
    street = " ".join(p for p in (_clean(recipient.street), _clean(recipient.house_number)) if p)
    if street:
        lines.append(street)
    city = _clean(recipient.city).upper()
    if recipient.is_domestic:
        postcode = normalise_postcode(recipient.postcode) or _clean(recipient.postcode).upper()
        place = f"{postcode}  {city}" if postcode and city else postcode or city
    else:
        postcode = _clean(recipient.postcode)
        place = " ".join(p for p in (postcode, city) if p)
    if place:
        lines.append(place)
    if not recipient.is_domestic:
        lines.append(_clean(recipient.country).upper())
    return lines
