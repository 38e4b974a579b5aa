"""One module installs every translation for the Qt side.

- ``GettextTranslator`` answers Qt's ``translate()`` calls (``.ui`` forms loaded with
  QUiLoader, ``QCoreApplication.translate``) from the same babel catalog the Python code uses.
- Qt's own dialogs and buttons come from the ``qtbase_<lang>`` catalog that PySide6 ships,
  asked by the same translator; a few texts Qt 6 renamed (its file dialog's "&Look in:")
  are missing there and are kept in our catalog (``QT_TEXTS``).
- ``QLocale`` is set so Qt widgets (calendars, spin boxes) follow the language too.

One translator answers everything and always returns a string: the source text itself
when nobody translates it. (PySide6 6.12 hands a Python ``translate()`` ``None`` for Qt's
null disambiguation without taking a reference to it; ``pestdesk.gui`` keeps ``None``
alive against that, see its docstring.)
"""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication, QLibraryInfo, QLocale, QTranslator

from pestdesk import i18n
from pestdesk.i18n import N_

#: Qt's own texts that its ``qtbase`` catalog lacks in Qt 6 (the file dialog's labels got
#: accelerators); extracted into our catalog by these markers
QT_TEXTS = (N_("&Look in:"), N_("Files of &type:"))


class GettextTranslator(QTranslator):
    """Our catalog first, then Qt's own (``qt``), else the text as it is."""

    def __init__(self, parent=None, qt: QTranslator | None = None) -> None:
        super().__init__(parent)
        self.qt = qt

    def translate(self, context, source_text, disambiguation=None, n=-1):  # noqa: D401
        # Never an empty string for an untranslated text: it would blank every Qt string
        # nobody translates, e.g. the paper size names that QPageSize looks up, leaving a
        # 0 x 0 page to print on. Never None either (see the module docstring).
        if not source_text:
            return ""
        translated = i18n.catalog().gettext(source_text)
        if translated != source_text:
            return translated
        if self.qt is not None:
            theirs = self.qt.translate(context, source_text, disambiguation, n)
            if theirs:
                return theirs
        return source_text

    def isEmpty(self) -> bool:  # noqa: N802 - Qt name
        return False


_installed: list[QTranslator] = []


def install(app: QCoreApplication, lang: str | None = None) -> str:
    """Install the translators for ``lang`` (default: the current i18n language)."""
    lang = i18n.set_language(lang or i18n.language())
    for translator in _installed:
        app.removeTranslator(translator)
    _installed.clear()
    qt: QTranslator | None = QTranslator(app)
    path = QLibraryInfo.path(QLibraryInfo.LibraryPath.TranslationsPath)
    if not qt.load(f"qtbase_{lang}", path):
        qt = None  # English: Qt's own texts are already right
    ours = GettextTranslator(app, qt)
    app.installTranslator(ours)
    _installed.append(ours)
    QLocale.setDefault(QLocale(i18n.locale_name()))
    return lang
