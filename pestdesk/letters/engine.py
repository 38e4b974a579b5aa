"""The small placeholder language inside letter texts: parse, check, fill in.

Syntax (documented for schools in ``resources/templates/README.md``):

- ``{{ student.roepnaam }}`` prints a merge field; ``{{ meeting.datum | weekday }}`` applies
  a filter (``upper``, ``lower``, ``capitalize``, ``weekday``).
- ``{% if sanction.reden %} ... {% elif ... %} ... {% else %} ... {% endif %}``; a condition
  is a field, ``not`` field, or field compared with a text or number literal
  (``==``, ``!=``, ``<``, ``<=``, ``>``, ``>=``), e.g. ``{% if cyber.soort == "grooming" %}``.
- ``{% for h in helplines %}- {{ h.naam }}{% endfor %}`` repeats for each list item.
- A ``{% %}`` tag alone on its line removes that whole line (indent and newline), so it
  leaves no empty line behind; a tag inside a line of text leaves the text's newline alone.

:func:`parse` turns text into a node tree and a list of :class:`Problem` (offset-based);
:func:`render` fills a *valid* tree in and never raises on data: missing values print as
nothing, comparisons with odd values are simply false.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from pestdesk.i18n import _

from . import fields as F

_IDENT = r"[A-Za-z_][A-Za-z0-9_]*"
_PATH_RE = re.compile(rf"{_IDENT}(?:\.{_IDENT})*\Z")
_COND_RE = re.compile(
    rf"""\s*(?P<not>not\s+)?(?P<path>{_IDENT}(?:\.{_IDENT})*)\s*
    (?:(?P<op>==|!=|<=|>=|<|>)\s*(?P<lit>"[^"]*"|'[^']*'|-?\d+(?:\.\d+)?))?\s*\Z""",
    re.X,
)
_FOR_RE = re.compile(rf"\s*for\s+(?P<var>{_IDENT})\s+in\s+(?P<path>{_IDENT}(?:\.{_IDENT})*)\s*\Z")


@dataclass(frozen=True)
class Problem:
    """A mistake at ``offset`` in the parsed text (turned into line/column by the caller)."""

    offset: int
    message: str


@dataclass
class Text:
    text: str


@dataclass
class Output:
    path: str
    filters: tuple[str, ...]


@dataclass(frozen=True)
class Condition:
    path: str
    negate: bool = False
    op: str = ""
    literal: str | float | None = None


@dataclass
class If:
    branches: list[tuple[Condition, list]] = field(default_factory=list)
    otherwise: list = field(default_factory=list)
    offset: int = 0


@dataclass
class For:
    var: str
    path: str
    body: list = field(default_factory=list)
    offset: int = 0


@dataclass
class Parsed:
    nodes: list
    problems: list[Problem]
    used_fields: set[str]


# --------------------------------------------------------------------------- tokenizing


def _tokens(text: str, problems: list[Problem]) -> list[tuple[str, str, int]]:
    """Split into ('text'|'out'|'tag', content, offset); standalone tag lines vanish."""
    tokens: list[tuple[str, str, int]] = []
    pos = 0
    while True:
        start = _next_open(text, pos)
        if start < 0:
            _check_stray_close(text, pos, len(text), problems)
            tokens.append(("text", text[pos:], pos))
            return tokens
        _check_stray_close(text, pos, start, problems)
        closer = "}}" if text[start + 1] == "{" else "%}"
        end = text.find(closer, start + 2)
        other = _next_open(text, start + 2)
        if end < 0 or (0 <= other < end):
            message = (
                _("Unclosed placeholder: “{{” without “}}”.")
                if closer == "}}"
                else _("Unclosed block tag: “{%” without “%}”.")
            )
            problems.append(Problem(start, message))
            tokens.append(("text", text[pos:], pos))
            return tokens
        standalone = _standalone(text, start, end + 2) if closer == "%}" else None
        # A block tag alone on its line takes the whole line with it (indent and newline).
        tokens.append(("text", text[pos : standalone[0] if standalone else start], pos))
        kind = "out" if closer == "}}" else "tag"
        tokens.append((kind, text[start + 2 : end], start))
        pos = standalone[1] if standalone else end + 2


def _standalone(text: str, start: int, end: int) -> tuple[int, int] | None:
    """(line start, next line start) when only whitespace surrounds text[start:end]."""
    line_start = text.rfind("\n", 0, start) + 1
    line_end = text.find("\n", end)
    line_end = len(text) if line_end < 0 else line_end
    if text[line_start:start].strip(" \t") or text[end:line_end].strip(" \t"):
        return None
    return line_start, min(line_end + 1, len(text))


def _next_open(text: str, pos: int) -> int:
    a, b = text.find("{{", pos), text.find("{%", pos)
    found = [i for i in (a, b) if i >= 0]
    return min(found) if found else -1


def _check_stray_close(text: str, start: int, end: int, problems: list[Problem]) -> None:
    for closer in ("}}", "%}"):
        i = text.find(closer, start, end)
        if i >= 0:
            problems.append(
                Problem(
                    i,
                    _("“{closer}” without an opening “{opener}”.").format(
                        closer=closer, opener="{{" if closer == "}}" else "{%"
                    ),
                )
            )


# --------------------------------------------------------------------------- parsing


class _Parser:
    def __init__(self, text: str) -> None:
        self.problems: list[Problem] = []
        self.used: set[str] = set()
        self.tokens = _tokens(text, self.problems)
        self.i = 0
        self.scope: dict[str, str] = {}

    def parse(self) -> list:
        nodes, _end = self._block(())
        return nodes

    def _block(self, stops: tuple[str, ...]) -> tuple[list, tuple[str, str, int] | None]:
        """Parse until a tag whose keyword is in ``stops``; return nodes and that tag."""
        nodes: list = []
        while self.i < len(self.tokens):
            kind, content, offset = self.tokens[self.i]
            self.i += 1
            if kind == "text":
                if content:
                    nodes.append(Text(content))
            elif kind == "out":
                node = self._output(content, offset)
                if node:
                    nodes.append(node)
            else:
                word = content.strip().split(None, 1)[0] if content.strip() else ""
                if word in stops:
                    return nodes, (word, content, offset)
                if word in ("endif", "endfor", "else", "elif"):
                    self.problems.append(
                        Problem(
                            offset,
                            _("“{tag}” without a matching opening tag.").format(
                                tag="{% " + word + " %}"
                            ),
                        )
                    )
                    continue
                nodes.extend(self._tag(word, content, offset))
        return nodes, None

    def _tag(self, word: str, content: str, offset: int) -> list:
        if word == "if":
            return [self._if(content, offset)]
        if word == "for":
            return [self._for(content, offset)]
        self.problems.append(
            Problem(
                offset,
                _("Unknown block tag “{tag}”; use if, elif, else, endif, for or endfor.").format(
                    tag=word or content
                ),
            )
        )
        return []

    def _if(self, content: str, offset: int) -> If:
        node = If(offset=offset)
        cond = self._condition(content, offset, "if")
        while True:
            body, end = self._block(("elif", "else", "endif"))
            if end is None:
                self.problems.append(
                    Problem(
                        offset,
                        _("Block “{tag}” is not closed with “{end}”.").format(
                            tag="{% if %}", end="{% endif %}"
                        ),
                    )
                )
                node.branches.append((cond, body))
                return node
            word, end_content, end_offset = end
            if cond is not None:
                node.branches.append((cond, body))
            else:
                node.otherwise = body
            if word == "endif":
                return node
            if cond is None:
                self.problems.append(
                    Problem(
                        end_offset,
                        _("“{tag}” after “{{% else %}}”.").format(tag="{% " + word + " %}"),
                    )
                )
            cond = self._condition(end_content, end_offset, "elif") if word == "elif" else None

    def _for(self, content: str, offset: int) -> For:
        m = _FOR_RE.match(content)
        node = For(var="", path="", offset=offset)
        if not m:
            self.problems.append(
                Problem(
                    offset,
                    _("Write a loop as “{example}”.").format(example="{% for h in helplines %}"),
                )
            )
        else:
            node.var, node.path = m["var"], m["path"]
            if node.path not in F.LIST_FIELDS:
                self._unknown(node.path, offset + 2 + m.start("path"), lists_only=True)
        outer = self.scope.get(node.var)
        if node.var:
            self.scope[node.var] = node.path
        node.body, end = self._block(("endfor",))
        if node.var:
            if outer is None:
                self.scope.pop(node.var, None)
            else:
                self.scope[node.var] = outer
        if end is None:
            self.problems.append(
                Problem(
                    offset,
                    _("Block “{tag}” is not closed with “{end}”.").format(
                        tag="{% for %}", end="{% endfor %}"
                    ),
                )
            )
        return node

    def _condition(self, content: str, offset: int, keyword: str) -> Condition:
        after = content.find(keyword) + len(keyword)
        text = content[after:]
        m = _COND_RE.match(text)
        if not m:
            self.problems.append(
                Problem(offset, _("Cannot read the condition “{text}”.").format(text=text.strip()))
            )
            return Condition(path="")
        self._check_path(m["path"], offset + 2 + after + m.start("path"), in_condition=True)
        lit = m["lit"]
        literal: str | float | None = None
        if lit is not None:
            literal = lit[1:-1] if lit[0] in "\"'" else float(lit)
        return Condition(m["path"], bool(m["not"]), m["op"] or "", literal)

    def _output(self, content: str, offset: int) -> Output | None:
        parts = [p.strip() for p in content.split("|")]
        path, filters = parts[0], tuple(parts[1:])
        if not path:
            self.problems.append(Problem(offset, _("Empty placeholder “{{ }}”.")))
            return None
        if not _PATH_RE.match(path):
            self.problems.append(
                Problem(offset, _("“{text}” is not a field name.").format(text=path))
            )
            return None
        for name in filters:
            if name not in F.FILTERS:
                self.problems.append(
                    Problem(
                        offset,
                        _("Unknown filter “{name}”; known filters: {known}.").format(
                            name=name, known=", ".join(F.FILTERS)
                        ),
                    )
                )
        self._check_path(path, offset + 2 + content.index(path), in_condition=False)
        return Output(path, filters)

    def _check_path(self, path: str, offset: int, in_condition: bool) -> None:
        head, _dot, rest = path.partition(".")
        if head in self.scope:
            list_name = self.scope[head]
            item_fields = F.LIST_FIELDS.get(list_name, frozenset())
            if list_name and (
                (rest and rest not in item_fields)
                or (not rest and item_fields and not in_condition)
            ):
                self._unknown(path, offset, item_of=(head, list_name))
            return
        if path in F.SCALAR_FIELDS:
            self.used.add(path)
            return
        if in_condition and (path in F.GROUPS or path in F.LIST_FIELDS):
            return
        self._unknown(path, offset)

    def _unknown(
        self,
        path: str,
        offset: int,
        lists_only: bool = False,
        item_of: tuple[str, str] | None = None,
    ) -> None:
        if item_of:
            var, list_name = item_of
            known = sorted(f"{var}.{f}" for f in F.LIST_FIELDS.get(list_name, ())) or [var]
        elif lists_only:
            known = sorted(F.LIST_FIELDS)
        else:
            known = sorted(F.SCALAR_FIELDS)
        close = difflib.get_close_matches(path, known, n=1)
        msg = _("Unknown merge field “{name}”.").format(name=path)
        if close:
            msg += " " + _("Did you mean “{name}”?").format(name=close[0])
        self.problems.append(Problem(offset, msg))


def parse(text: str) -> Parsed:
    """Parse ``text``; problems are collected, never raised."""
    parser = _Parser(text)
    nodes = parser.parse()
    return Parsed(nodes, parser.problems, parser.used)


# --------------------------------------------------------------------------- rendering


def render(nodes: list, data: Mapping[str, Any], lang: str, escape=None,
           empty: set[str] | None = None) -> str:
    """Fill ``nodes`` in with ``data``; ``escape`` (e.g. XML escaping) applies to values.

    ``empty`` collects the merge fields that were printed without a value (a field inside
    an ``{% if %}`` branch that is not taken is not printed, so not collected; nor are the
    fields of a list item)."""
    out: list[str] = []
    _render_into(out, nodes, _Scope(data), lang, escape or (lambda s: s), empty)
    return "".join(out)


class _Scope:
    def __init__(self, data: Mapping[str, Any], local: dict[str, Any] | None = None) -> None:
        self.data = data
        self.local = local or {}

    def get(self, path: str) -> Any:
        head, _dot, rest = path.partition(".")
        if head in self.local:
            value = self.local[head]
            return F.lookup(value, rest) if rest else value
        return F.lookup(self.data, path)

    def child(self, name: str, value: Any) -> _Scope:
        return _Scope(self.data, {**self.local, name: value})


def _render_into(out: list[str], nodes: list, scope: _Scope, lang: str, escape,
                 empty: set[str] | None = None) -> None:
    for node in nodes:
        if isinstance(node, Text):
            out.append(node.text)
        elif isinstance(node, Output):
            value = scope.get(node.path)
            for name in node.filters:
                value = F.apply_filter(name, value, lang)
            text = F.format_value(value, lang)
            if empty is not None and not text.strip() \
                    and node.path.partition(".")[0] not in scope.local:
                empty.add(node.path)
            out.append(escape(text))
        elif isinstance(node, If):
            body = next((b for c, b in node.branches if _holds(c, scope)), node.otherwise)
            _render_into(out, body, scope, lang, escape, empty)
        elif isinstance(node, For):
            items = scope.get(node.path)
            if isinstance(items, list | tuple):
                for item in items:
                    _render_into(out, node.body, scope.child(node.var, item), lang, escape,
                                 empty)


def _holds(cond: Condition, scope: _Scope) -> bool:
    value = scope.get(cond.path)
    result = _compare(value, cond.op, cond.literal) if cond.op else _truthy(value)
    return result != cond.negate


def _truthy(value: Any) -> bool:
    if isinstance(value, Mapping):
        return any(_truthy(v) for v in value.values())
    if isinstance(value, str):
        return bool(value.strip())
    return bool(value)


def _compare(value: Any, op: str, literal: str | float | None) -> bool:
    if isinstance(literal, float):
        try:
            left: Any = float(value)
        except (TypeError, ValueError):
            return False
    else:
        left = "" if value is None else str(value).strip().lower()
        literal = (literal or "").strip().lower()
    try:
        return {
            "==": left == literal,
            "!=": left != literal,
            "<": left < literal,
            "<=": left <= literal,
            ">": left > literal,
            ">=": left >= literal,
        }[op]
    except TypeError:
        return False
