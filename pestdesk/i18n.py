"""Translation and locale formatting, without Qt.

Source strings are English; the UI speaks Dutch by default. Python code marks strings with
``_()`` (translated when called) or ``N_()`` (marked for extraction, translated later, for
module-level constants). Catalogs are babel/gettext ``.mo`` files in ``translations/``; the
Qt side (``pestdesk.gui.common.translation``) reads the same catalogs.
"""

from __future__ import annotations

import datetime as _dt
import gettext
import os

from .paths import TRANSLATIONS_DIR

DOMAIN = "pestdesk"
LANGUAGES = ("nl", "en")
DEFAULT_LANGUAGE = "nl"
_LOCALES = {"nl": "nl_NL", "en": "en_GB"}

_current: gettext.NullTranslations = gettext.NullTranslations()
_language = "en"


def set_language(lang: str | None = None) -> str:
    """Install the catalog for ``lang`` (``nl``/``en``); default from PESTDESK_LANG or Dutch."""
    global _current, _language
    lang = (lang or os.environ.get("PESTDESK_LANG") or DEFAULT_LANGUAGE).lower()[:2]
    if lang not in LANGUAGES:
        lang = DEFAULT_LANGUAGE
    _current = gettext.translation(
        DOMAIN, localedir=str(TRANSLATIONS_DIR), languages=[lang], fallback=True
    )
    _language = lang
    return lang


def language() -> str:
    return _language


def locale_name() -> str:
    return _LOCALES[_language]


def catalog() -> gettext.NullTranslations:
    return _current


def _(message: str) -> str:
    return _current.gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    return _current.ngettext(singular, plural, n)


def N_(message: str) -> str:
    """Mark ``message`` for extraction only; translate it with ``_()`` where it is shown."""
    return message


def format_date(value: _dt.date | None, fmt: str = "medium") -> str:
    """A date in the user's locale: ``long`` gives '24 november 2026' in Dutch."""
    if value is None:
        return ""
    from babel import dates  # babel's data loads on first use, not at start-up

    return dates.format_date(value, format=fmt, locale=locale_name())


def format_datetime(value: _dt.datetime | None, fmt: str = "medium") -> str:
    """A stored UTC time shown in local time and the user's locale."""
    if value is None:
        return ""
    if value.tzinfo is None:
        value = value.replace(tzinfo=_dt.UTC)
    from babel import dates

    return dates.format_datetime(value.astimezone(), format=fmt, locale=locale_name())


def format_number(value: float | int) -> str:
    from babel import numbers

    return numbers.format_decimal(value, locale=locale_name())


set_language(os.environ.get("PESTDESK_LANG"))
