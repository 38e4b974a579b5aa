"""Letter templates: a small TOML file per letter, in Dutch and English.

A template (format documented in ``resources/templates/README.md``)::

    code = "uitnodiging_gesprek"
    version = 1
    signatures = []                  # optional: "student", "guardians", "signatory", "mentor"

    [nl]
    title = "Uitnodiging voor een gesprek"
    subject = "Uitnodiging gesprek over {{ student.roepnaam }}"
    salutation = "Geachte ouder(s)/verzorger(s),"
    body = '''
    Paragraphs are separated by a blank line. Lines starting with "- " are a list,
    a line starting with "## " is a small heading, **text** is bold.
    '''
    closing = "Met vriendelijke groet,"

    [en]
    ...

API:

- :meth:`Template.from_text` / :meth:`Template.to_text` read and write that format
  (``from_text`` raises :class:`TemplateError` carrying the problems);
- :func:`validate_template` checks text (or a :class:`Template`) and returns every
  :class:`TemplateProblem` with its line and column: call it when a user saves a template;
- :func:`load_template` and :func:`shipped_templates` read the templates pestdesk ships in
  ``resources/templates/`` (optionally searching a school's own folder first).
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from pestdesk.i18n import _
from pestdesk.paths import TEMPLATES_DIR

from . import engine

LANGUAGES = ("nl", "en")
PARTS = ("title", "subject", "salutation", "body", "closing")
REQUIRED_PARTS = ("title", "subject", "body")
SIGNERS = ("student", "guardians", "mentor", "signatory")
_TOP_KEYS = {"code", "version", "signatures", *LANGUAGES}
_CODE_RE = re.compile(r"^[a-z][a-z0-9_]*$")


@dataclass(frozen=True)
class TemplateProblem:
    """A mistake in a template: 1-based ``line``/``column`` and a translated message.

    For text, line and column count in the whole file; for a :class:`Template` object they
    count within ``part`` (e.g. ``"nl.body"``).
    """

    line: int
    column: int
    message: str
    part: str = ""

    def __str__(self) -> str:
        return _("line {line}, column {column}: {message}").format(
            line=self.line, column=self.column, message=self.message
        )


class TemplateError(ValueError):
    """A template that cannot be used; ``problems`` says where and why."""

    def __init__(self, problems: list[TemplateProblem]) -> None:
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


class TemplateNotFound(LookupError):
    """No template with that code (or not in that language)."""


@dataclass(frozen=True)
class LetterText:
    """The texts of one template in one language."""

    title: str
    subject: str
    body: str
    salutation: str | None = None  # None: the standard salutation of the language
    closing: str | None = None  # None: standard closing; "": no closing (e.g. a contract)


@dataclass(frozen=True)
class Template:
    """A letter template: its code, version, language variants and signature lines."""

    code: str
    version: int
    variants: Mapping[str, LetterText] = field(hash=False)
    signatures: tuple[str, ...] = ()
    _parsed: dict = field(default_factory=dict, compare=False, repr=False, hash=False)

    @property
    def languages(self) -> tuple[str, ...]:
        return tuple(lang for lang in LANGUAGES if lang in self.variants)

    def variant(self, lang: str) -> LetterText:
        """The texts in ``lang``; :class:`TemplateNotFound` when the template lacks it."""
        try:
            return self.variants[lang]
        except KeyError:
            raise TemplateNotFound(
                _("Template “{code}” has no “{lang}” version.").format(code=self.code, lang=lang)
            ) from None

    def parsed(self, lang: str, part: str) -> engine.Parsed:
        """The parsed placeholder tree of one part (cached; templates are immutable)."""
        key = (lang, part)
        if key not in self._parsed:
            self._parsed[key] = engine.parse(getattr(self.variant(lang), part) or "")
        return self._parsed[key]

    def used_fields(self, lang: str) -> set[str]:
        """Every merge field the ``lang`` variant mentions."""
        used: set[str] = set()
        for part in PARTS:
            used |= self.parsed(lang, part).used_fields
        return used

    @classmethod
    def from_text(cls, text: str) -> Template:
        """Read a template file's text; :class:`TemplateError` lists every problem."""
        problems = validate_template(text)
        if problems:
            raise TemplateError(problems)
        return _build(tomllib.loads(text))

    def to_text(self) -> str:
        """The template in its TOML file format; ``from_text(t.to_text()) == t``."""
        out = [f"code = {_toml_str(self.code)}", f"version = {int(self.version)}"]
        out.append("signatures = [" + ", ".join(_toml_str(s) for s in self.signatures) + "]")
        for lang in self.languages:
            v = self.variants[lang]
            out.append(f"\n[{lang}]")
            for part in PARTS:
                if getattr(v, part) is not None:
                    out.append(f"{part} = {_toml_str(getattr(v, part))}")
        return "\n".join(out) + "\n"


def _build(data: Mapping) -> Template:
    variants = {
        lang: LetterText(**{p: data[lang].get(p) for p in PARTS})
        for lang in LANGUAGES
        if lang in data
    }
    return Template(data["code"], int(data["version"]), variants, tuple(data.get("signatures", ())))


def _toml_str(value: str) -> str:
    """A TOML string: literal multi-line for texts with line breaks, else basic."""
    if (
        "\n" in value
        and "'''" not in value
        and not value.endswith("'")
        and not re.search(r"[\x00-\x08\x0b-\x1f\x7f]", value.replace("\r\n", "\n"))
    ):
        return "'''\n" + value + "'''"
    escaped = value.replace("\\", "\\\\").replace('"', '\\"')
    escaped = re.sub(r"[\x00-\x1f\x7f]", lambda m: f"\\u{ord(m[0]):04x}", escaped)
    return f'"{escaped}"'


# --------------------------------------------------------------------------- validation

_TOML_POS_RE = re.compile(r"\(at line (\d+), column (\d+)\)")
_HEADER_RE = re.compile(r"[ \t]*\[([^\]\[]+)\][ \t]*(?:#.*)?$")
_KEY_RE = re.compile(r"[ \t]*([A-Za-z0-9_-]+)[ \t]*=[ \t]*")


@dataclass(frozen=True)
class _Located:
    """Where a key (and, for strings, the raw string content) sits in the file."""

    key_offset: int
    content_start: int = -1
    content_end: int = -1


def validate_template(template: str | Template) -> list[TemplateProblem]:
    """Every problem in a template's text (or object), with line and column; [] when valid."""
    if isinstance(template, Template):
        return _validate_object(template)
    text = template
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        m = _TOML_POS_RE.search(str(exc))
        line, col = (int(m[1]), int(m[2])) if m else (1, 1)
        reason = _TOML_POS_RE.sub("", str(exc)).strip()
        return [
            TemplateProblem(line, col, _("This is not valid TOML: {reason}").format(reason=reason))
        ]
    located = _locate(text)
    problems: list[TemplateProblem] = []

    def at(key: str, offset: int | None, message: str) -> None:
        loc = located.get(key)
        off = offset if offset is not None else (loc.key_offset if loc else 0)
        line, col = _line_col(text, off)
        problems.append(TemplateProblem(line, col, message, key))

    _check_structure(data, at)
    for lang in LANGUAGES:
        section = data.get(lang)
        if not isinstance(section, dict):
            continue
        for part in PARTS:
            value = section.get(part)
            if not isinstance(value, str):
                continue
            key = f"{lang}.{part}"
            loc = located.get(key)
            if loc and loc.content_start >= 0:
                raw = text[loc.content_start : loc.content_end]
                found = engine.parse(raw).problems
                for p in found:
                    at(key, loc.content_start + p.offset, p.message)
                if found:
                    continue
            for p in engine.parse(value).problems:  # e.g. tags built from escapes
                at(key, None, p.message)
    return sorted(problems, key=lambda p: (p.line, p.column))


def _check_structure(data: Mapping, at) -> None:
    for key in data:
        if key not in _TOP_KEYS:
            at(key, None, _("Unknown key “{key}”.").format(key=key))
    code = data.get("code")
    if not isinstance(code, str) or not _CODE_RE.match(code):
        at(
            "code",
            None,
            _(
                "“code” must be a name in lower case letters, digits and _, "
                'e.g. code = "schorsing".'
            ),
        )
    if not isinstance(data.get("version"), int) or isinstance(data.get("version"), bool):
        at("version", None, _("“version” must be a whole number, e.g. version = 1."))
    signatures = data.get("signatures", [])
    if not isinstance(signatures, list) or any(s not in SIGNERS for s in signatures):
        at(
            "signatures",
            None,
            _("“signatures” may only list: {names}.").format(names=", ".join(SIGNERS)),
        )
    langs = [lang for lang in LANGUAGES if lang in data]
    if not langs:
        at("code", None, _("The template needs a [nl] or [en] section."))
    for lang in langs:
        section = data[lang]
        if not isinstance(section, dict):
            at(lang, None, _("“{key}” must be a section like [{key}].").format(key=lang))
            continue
        for key, value in section.items():
            if key not in PARTS:
                at(
                    f"{lang}.{key}",
                    None,
                    _("Unknown key “{key}”; use {keys}.").format(key=key, keys=", ".join(PARTS)),
                )
            elif not isinstance(value, str):
                at(f"{lang}.{key}", None, _("“{key}” must be text.").format(key=key))
        for part in REQUIRED_PARTS:
            if part not in section:
                at(lang, None, _("Section [{lang}] has no “{key}”.").format(lang=lang, key=part))


def _validate_object(template: Template) -> list[TemplateProblem]:
    problems: list[TemplateProblem] = []
    if not _CODE_RE.match(template.code or ""):
        problems.append(
            TemplateProblem(
                1,
                1,
                _(
                    "“code” must be a name in lower case letters, "
                    'digits and _, e.g. code = "schorsing".'
                ),
                "code",
            )
        )
    for lang, variant in template.variants.items():
        for part in PARTS:
            text = getattr(variant, part) or ""
            for p in engine.parse(text).problems:
                line, col = _line_col(text, p.offset)
                problems.append(TemplateProblem(line, col, p.message, f"{lang}.{part}"))
    return problems


def _line_col(text: str, offset: int) -> tuple[int, int]:
    line = text.count("\n", 0, offset) + 1
    return line, offset - (text.rfind("\n", 0, offset) + 1) + 1


def _locate(text: str) -> dict[str, _Located]:
    """Find each key, and each string value's raw content, in the TOML text.

    tomllib does not report positions; this small scanner covers the documented format
    (tables ``[nl]``/``[en]``, ``key = "..."``, ``'...'``, ``'''...'''`` and ``\"\"\"...\"\"\"``).
    """
    found: dict[str, _Located] = {}
    table = ""
    pos = 0
    while pos < len(text):
        eol = text.find("\n", pos)
        eol = len(text) if eol < 0 else eol
        line = text[pos:eol]
        header = _HEADER_RE.match(line)
        key = _KEY_RE.match(line)
        if header:
            table = header[1].strip()
            found.setdefault(table, _Located(pos + line.index("[")))
        elif key:
            name = f"{table}.{key[1]}" if table else key[1]
            start, end, resume = _string_extent(text, pos + key.end())
            found.setdefault(name, _Located(pos + key.start(1), start, end))
            if resume > eol:
                eol = text.find("\n", resume)
                eol = len(text) if eol < 0 else eol
        pos = eol + 1
    return found


def _string_extent(text: str, i: int) -> tuple[int, int, int]:
    """(content start, content end, position after the closing quote) of a string at i."""
    for delim in ("'''", '"""', "'", '"'):
        if text.startswith(delim, i):
            start = i + len(delim)
            if len(delim) == 3 and text.startswith("\n", start):
                start += 1
            end = start
            while True:
                end = text.find(delim, end)
                if end < 0:
                    return -1, -1, i
                if delim[0] == '"' and _escaped(text, end):
                    end += 1
                    continue
                return start, end, end + len(delim)
    return -1, -1, i


def _escaped(text: str, i: int) -> bool:
    backslashes = 0
    while i > 0 and text[i - 1] == "\\":
        backslashes += 1
        i -= 1
    return backslashes % 2 == 1


# --------------------------------------------------------------------------- loading


def _search_dirs(extra: Iterable[Path | str]) -> list[Path]:
    return [Path(d) for d in extra] + [TEMPLATES_DIR]


def load_template(
    code: str, lang: str = "nl", *, search_dirs: Iterable[Path | str] = ()
) -> Template:
    """The template ``code`` (a school's own folder in ``search_dirs`` wins over the shipped
    one); :class:`TemplateNotFound` when missing or without ``lang``; :class:`TemplateError`
    when the file is broken."""
    if not _CODE_RE.match(code):
        raise TemplateNotFound(_("No letter template “{code}”.").format(code=code))
    for folder in _search_dirs(search_dirs):
        path = folder / f"{code}.toml"
        if path.is_file():
            template = _load_file(path, path.stat().st_mtime_ns)
            template.variant(lang)
            return template
    raise TemplateNotFound(_("No letter template “{code}”.").format(code=code))


@lru_cache(maxsize=128)
def _load_file(path: Path, _mtime: int) -> Template:
    return Template.from_text(path.read_text(encoding="utf-8"))


def shipped_templates() -> list[Template]:
    """Every template pestdesk ships, sorted by code."""
    return [_load_file(p, p.stat().st_mtime_ns) for p in sorted(TEMPLATES_DIR.glob("*.toml"))]
