"""Turning the text of one cell into a value: dates, the year of a class, yes/no, numbers.

Each parser returns ``None`` (or raises ``ValueError`` with a user-facing message) instead of
guessing: a date like 31-02-2012 is a problem to show, not a date to store.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata

from ..i18n import _

_DMY = re.compile(r"^(\d{1,2})[-/.](\d{1,2})[-/.](\d{2,4})$")
_ISO = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?$")
_POSTCODE = re.compile(r"^(\d{4})\s*([A-Z]{2})$")
_DIGITS = re.compile(r"\d+")
_TRAILING_NUMBER = re.compile(r"^(.*\D)\s+(\d+\s*\S{0,6})$")

# letters NFKD does not decompose
_FOLD_EXTRA = str.maketrans({"ø": "o", "æ": "ae", "œ": "oe", "ß": "ss", "ł": "l", "đ": "d",
                             "ı": "i", "ŀ": "l", "þ": "th"})

TRUE_WORDS = {"ja", "j", "1", "true", "waar", "x", "y", "yes", "wel"}
FALSE_WORDS = {"nee", "n", "0", "false", "onwaar", "no", "geen", "niet"}
GENDERS = {"m": "M", "man": "M", "jongen": "M", "male": "M",
           "v": "V", "vrouw": "V", "meisje": "V", "f": "V", "female": "V",
           "x": "X", "o": "X", "onbekend": "X", "anders": "X"}


def parse_date(text: str) -> dt.date | None:
    """dd-mm-jjjj, d-m-jjjj (also / or .) or ISO jjjj-mm-dd; empty gives None.

    Raises ``ValueError`` with a translated message for anything else.
    """
    text = (text or "").strip()
    if not text:
        return None
    iso = _ISO.match(text)
    dmy = _DMY.match(text)
    if iso:
        year, month, day = (int(g) for g in iso.groups())
    elif dmy:
        day, month, year = (int(g) for g in dmy.groups())
        if len(dmy.group(3)) != 4:
            raise ValueError(_("\"{value}\" has a two-digit year; write the date as "
                               "dd-mm-jjjj.").format(value=text))
    else:
        raise ValueError(_("\"{value}\" is not a date; write it as dd-mm-jjjj.").format(
            value=text))
    try:
        return dt.date(year, month, day)
    except ValueError:
        raise ValueError(_("\"{value}\" is not an existing date.").format(value=text)) from None


def derive_leerjaar(*texts: str) -> int:
    """The year (1-6) from "2 havo", "h2", "2B", "V4a" or a leerjaar column; 0 when unknown."""
    for text in texts:
        match = _DIGITS.search(text or "")
        if match and 1 <= int(match.group()) <= 6:
            return int(match.group())
    return 0


def parse_bool(text: str, default: bool = True) -> bool:
    """ja/nee, 1/0, waar/onwaar; an empty or unknown value gives ``default``."""
    word = (text or "").strip().lower()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    return default


def normalise_gender(text: str) -> str:
    """M, V or X for the usual spellings; anything else as written."""
    word = (text or "").strip()
    return GENDERS.get(word.lower(), word)


def number_key(number: str) -> str:
    """The identity of a student number: digits without leading zeros ("004512" ~ "4512").

    An XLSX export stores stamnummers as numbers and loses the zeros; the key lets such a
    file still match the students a CSV import created.
    """
    text = (number or "").strip()
    if text.isdigit():
        return text.lstrip("0") or "0"
    return text.upper()


def split_street(street: str, house_number: str) -> tuple[str, str]:
    """"Dorpsstraat 12a" -> ("Dorpsstraat", "12a") when no separate house number was given."""
    street, house_number = (street or "").strip(), (house_number or "").strip()
    if house_number or not street:
        return street, house_number
    match = _TRAILING_NUMBER.match(street)
    if match:
        return match.group(1).strip(), match.group(2).strip()
    return street, house_number


def normalise_postcode(text: str) -> str:
    """Dutch postcodes as "1234 AB"; anything else (a foreign code) upper-cased as written."""
    text = clean(text).upper()
    match = _POSTCODE.match(text)
    return f"{match.group(1)} {match.group(2)}" if match else text


def school_year(today: dt.date) -> str:
    """"2025-2026" for any date from 1 August 2025 to 31 July 2026."""
    start = today.year if today.month >= 8 else today.year - 1
    return f"{start}-{start + 1}"


def clean(text: str | None) -> str:
    """Trim and collapse inner whitespace."""
    return " ".join((text or "").split())


def fold(text: str) -> str:
    """Lowercase without diacritics: "Ødegård, Zoë" -> "odegard, zoe" (for sorting, search)."""
    text = unicodedata.normalize("NFKD", (text or "").lower()).translate(_FOLD_EXTRA)
    return "".join(ch for ch in text if not unicodedata.combining(ch))
