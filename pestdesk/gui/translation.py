"""One module installs every translation for the Qt side.

- ``GettextTranslator`` answers Qt's ``translate()`` calls (``.ui`` forms loaded with
  QUiLoader, ``QCoreApplication.translate``) from the same babel catalog the Python code uses.
- Qt's own dialogs and buttons come from the ``qtbase_<lang>`` catalog that PySide6 ships.
- ``QLocale`` is set so Qt widgets (calendars, spin boxes) follow the language too.
"""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication, QLibraryInfo, QLocale, QTranslator

from .. import i18n


class GettextTranslator(QTranslator):
    def translate(self, context, source_text, disambiguation=None, n=-1):  # noqa: D401
        # None (a null QString) tells Qt "no translation here"; an empty string would be
        # taken as the translation and blank every untranslated Qt string, e.g. the paper
        # size names that QPageSize looks up, leaving a 0 x 0 page to print on.
        if not source_text:
            return None
        translated = i18n.catalog().gettext(source_text)
        return translated if translated != source_text else None

    def isEmpty(self) -> bool:  # noqa: N802 - Qt name
        return False


_installed: list[QTranslator] = []


def install(app: QCoreApplication, lang: str | None = None) -> str:
    """Install the translators for ``lang`` (default: the current i18n language)."""
    lang = i18n.set_language(lang or i18n.language())
    for translator in _installed:
        app.removeTranslator(translator)
    _installed.clear()
    qt = QTranslator(app)
    path = QLibraryInfo.path(QLibraryInfo.LibraryPath.TranslationsPath)
    if qt.load(f"qtbase_{lang}", path):
        app.installTranslator(qt)
        _installed.append(qt)
    ours = GettextTranslator(app)
    app.installTranslator(ours)
    _installed.append(ours)
    QLocale.setDefault(QLocale(i18n.locale_name()))
    return lang
