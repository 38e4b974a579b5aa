"""A school's anti-bullying protocol as data: the model, the TOML loader and its validator.

A protocol preset (``resources/protocols/*.toml``, format in that folder's README) names the
roles, the escalation ladder (stages in order, each with steps), the cyberbullying checklist
and its special tracks, the conversation guides, the contract rules and the helplines.
``load_protocol`` reads one file and refuses anything it does not understand -- unknown keys
included, because a typo in a key would otherwise silently drop a rule -- with a message that
names the file, the line and the field.

Pure Python: no Qt, no database.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, NoReturn

from pestdesk.i18n import _
from pestdesk.paths import PROTOCOLS_DIR

from .taxonomy import (
    CONVERSATION_PARTNERS,
    CYBER_ITEM_KINDS,
    CYBER_TRACKS,
    LETTERS,
    POLICE_REPORT_LEVELS,
    STAGE_KINDS,
    STEP_KINDS,
)

FORMAT_VERSION = 1
_CODE_RE = re.compile(r"^[a-z][a-z0-9_]*$")
_PROTOCOL_CODE_RE = re.compile(r"^[a-z][a-z0-9_\-]*$")  # also names the file: dalton-alkmaar

# ---------------------------------------------------------------------------------------------
# errors


class ProtocolError(ValueError):
    """A protocol file that cannot be used; ``str()`` is a translated, user-facing message."""

    def __init__(self, message: str, *, file: str = "", line: int = 0, field: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.file = file
        self.line = line
        self.field = field


class UnknownProtocol(LookupError):
    """No protocol with the asked code (and version) is available."""

    def __init__(self, code: str, version: str | None = None) -> None:
        if version:
            message = _("There is no protocol '{code}' version {version}.").format(
                code=code, version=version
            )
        else:
            message = _("There is no protocol '{code}'.").format(code=code)
        super().__init__(message)
        self.message = message


# ---------------------------------------------------------------------------------------------
# model


@dataclass(frozen=True)
class Role:
    """A staff role as this school names it (the code is functional, the title the school's)."""

    code: str
    title: str
    title_en: str = ""


@dataclass(frozen=True)
class Step:
    """One thing to do within a stage of the ladder.

    ``scope`` is ``"pester"`` (done for each pester separately, e.g. the conversation with
    the bully) or ``"case"`` (done once for everyone on the stage, e.g. the class discussion).
    ``role`` is empty when the stage's role is responsible. ``due_days`` counts calendar days
    from entering the stage. ``kind`` (``taxonomy.STEP_KINDS``) is what code knows the step
    by -- never its code, which is the school's to choose; ``partner`` is with whom a
    conversation step is held (``with`` in the file).
    """

    code: str
    title: str
    kind: str = ""
    partner: str = ""
    required: bool = True
    letter: str = ""
    due_days: int | None = None
    role: str = ""
    scope: str = "pester"
    guide: str = ""
    description: str = ""
    title_en: str = ""
    #: every letter the step produces (``letter`` is the first): e.g. one version for the
    #: victim's parents and one for the bully's parents
    letters: tuple[str, ...] = ()


@dataclass(frozen=True)
class Stage:
    """One rung of the escalation ladder."""

    code: str
    title: str
    role: str
    steps: tuple[Step, ...]
    kind: str = ""
    description: str = ""
    title_en: str = ""

    def step(self, code: str) -> Step | None:
        for step in self.steps:
            if step.code == code:
                return step
        return None

    def step_of_kind(self, kind: str) -> Step | None:
        """The (first) step of this declared kind, if the stage has one."""
        return next((s for s in self.steps if s.kind == kind), None)

    @property
    def required_steps(self) -> tuple[Step, ...]:
        return tuple(s for s in self.steps if s.required)


@dataclass(frozen=True)
class CyberItem:
    """A step of the cyberbullying checklist."""

    code: str
    title: str
    advice: str = ""
    letter: str = ""
    pause_if_police_report: bool = False
    title_en: str = ""
    kind: str = ""  # CYBER_ITEM_KINDS: "evidence", "block_sender" or ""
    #: the advice where the track forbids keeping images (sexting, grooming): no screenshots
    advice_no_images: str = ""

    @property
    def waits_for_police(self) -> bool:
        """Wait with this item while a police report is planned or made (blocking)."""
        return self.pause_if_police_report or self.kind == "block_sender"


@dataclass(frozen=True)
class CyberTrack:
    """Special advice for a kind of cyberbullying (stalking, discriminatie, grooming, ...)."""

    code: str
    title: str
    description: str = ""
    police_report: str = ""  # "", "overwegen", "adviseren", "direct"
    block_sender: bool = True
    skip: tuple[str, ...] = ()
    advice: tuple[str, ...] = ()
    roles: tuple[str, ...] = ()
    helplines: tuple[str, ...] = ()
    #: ``False`` where images may not be kept, not even as evidence (sexting, grooming):
    #: the checklist gives the items' ``advice_no_images`` instead
    keep_images: bool = True


@dataclass(frozen=True)
class CyberProtocol:
    title: str
    intro: str
    items: tuple[CyberItem, ...]
    tracks: tuple[CyberTrack, ...]

    def item(self, code: str) -> CyberItem | None:
        return next((i for i in self.items if i.code == code), None)

    def item_of_kind(self, kind: str) -> CyberItem | None:
        return next((i for i in self.items if i.kind == kind), None)

    def track(self, code: str) -> CyberTrack | None:
        return next((t for t in self.tracks if t.code == code), None)


@dataclass(frozen=True)
class Guide:
    """A conversation guide: questions to ask, aims of the conversation, points of attention."""

    code: str
    title: str
    partner: str = ""  # with whom the conversation is held ("with" in the file)
    intro: str = ""
    questions: tuple[str, ...] = ()
    aims: tuple[str, ...] = ()
    attention: tuple[str, ...] = ()


@dataclass(frozen=True)
class ContractTemplate:
    """The anti-bullying contract's text."""

    title: str
    intro: str
    rules: tuple[str, ...]
    closing: str = ""


@dataclass(frozen=True)
class Helpline:
    code: str
    name: str
    topic: str
    phone: str = ""
    url: str = ""
    hours: str = ""
    description: str = ""


@dataclass(frozen=True)
class Protocol:
    """A whole protocol. Look things up with the helper methods, not by scanning tuples."""

    code: str
    version: str
    name: str
    school: str
    roles: tuple[Role, ...]
    stages: tuple[Stage, ...]
    cyber: CyberProtocol
    guides: tuple[Guide, ...]
    contract: ContractTemplate | None
    helplines: tuple[Helpline, ...]
    student_system: str = ""
    description: str = ""
    #: where a case of bullying across classes starts ("" = the first stage)
    across_classes_stage: str = ""
    source: str = field(default="", compare=False)
    _stage_index: Mapping[str, int] = field(
        default_factory=dict, init=False, compare=False, repr=False
    )

    def __post_init__(self) -> None:
        object.__setattr__(self, "_stage_index", {s.code: i for i, s in enumerate(self.stages)})

    def __hash__(self) -> int:
        return hash((self.code, self.version))

    # roles
    def role(self, code: str) -> Role | None:
        return next((r for r in self.roles if r.code == code), None)

    def role_title(self, code: str) -> str:
        role = self.role(code)
        return role.title if role else code

    # stages
    def stage(self, code: str) -> Stage | None:
        index = self._stage_index.get(code)
        return None if index is None else self.stages[index]

    def stage_index(self, code: str) -> int:
        """Position of the stage on the ladder; -1 if unknown."""
        return self._stage_index.get(code, -1)

    def next_stage(self, code: str) -> Stage | None:
        index = self.stage_index(code)
        if index < 0 or index + 1 >= len(self.stages):
            return None
        return self.stages[index + 1]

    def previous_stage(self, code: str) -> Stage | None:
        index = self.stage_index(code)
        return self.stages[index - 1] if index > 0 else None

    @property
    def first_stage(self) -> Stage:
        return self.stages[0]

    def start_stage(self, scope: str) -> Stage:
        """Where a case starts: the declared stage for bullying across classes, else the
        first stage."""
        if scope == "across_classes" and self.across_classes_stage:
            return self.stage(self.across_classes_stage) or self.first_stage
        return self.first_stage

    def stage_of_kind(self, kind: str) -> Stage | None:
        """The stage of this declared kind (``taxonomy.STAGE_KINDS``), if the ladder has one."""
        return next((s for s in self.stages if s.kind == kind), None)

    # the rest
    def guide(self, code: str) -> Guide | None:
        return next((g for g in self.guides if g.code == code), None)

    def guide_with(self, partner: str) -> Guide | None:
        """The conversation guide for a conversation with ``partner`` (victim, bully...)."""
        return next((g for g in self.guides if g.partner == partner), None)

    def helpline(self, code: str) -> Helpline | None:
        return next((h for h in self.helplines if h.code == code), None)

    def letters(self) -> tuple[str, ...]:
        """Every letter template code this protocol uses, in ladder order."""
        codes: list[str] = []
        for stage in self.stages:
            codes += [s.letter for s in stage.steps if s.letter]
        codes += [i.letter for i in self.cyber.items if i.letter]
        return tuple(dict.fromkeys(codes))


# ---------------------------------------------------------------------------------------------
# finding the line of a key in the source text

_HEADER_RE = re.compile(r"^\s*(\[\[?)\s*([^\[\]]+?)\s*\]\]?\s*(?:#.*)?$")
_KEY_RE = re.compile(r"""^\s*([A-Za-z0-9_\-]+|"[^"]*"|'[^']*')\s*=\s*(.*)$""")
_STRING_RE = re.compile(r""""(?:[^"\\]|\\.)*"|'[^']*'""")

PathT = tuple[str | int, ...]


def _split_dotted(text: str) -> list[str]:
    return [part.strip().strip("\"'") for part in text.split(".")]


def _bracket_delta(text: str) -> int:
    bare = _STRING_RE.sub("", text).split("#", 1)[0]
    return bare.count("[") + bare.count("{") - bare.count("]") - bare.count("}")


def _line_index(source: str) -> dict[PathT, int]:
    """Map each table and key path in a TOML text to the line it is on (1-based).

    Arrays of tables get their element index, so ``stages[2].steps[0].letter`` becomes the
    path ``("stages", 2, "steps", 0, "letter")``. Good enough for presets written by hand;
    used only to point at the line of a semantic error.
    """
    index: dict[PathT, int] = {}
    counters: dict[PathT, int] = {}
    table: PathT = ()
    multiline = ""
    depth = 0
    for lineno, line in enumerate(source.splitlines(), 1):
        if multiline:
            if line.count(multiline) % 2 == 1:
                multiline = ""
            continue
        if depth > 0:
            depth += _bracket_delta(line)
            continue
        header = _HEADER_RE.match(line)
        if header:
            table = _resolve_header(
                _split_dotted(header.group(2)), header.group(1) == "[[", counters
            )
            index.setdefault(table, lineno)
            continue
        key = _KEY_RE.match(line)
        if not key:
            continue
        path = table + tuple(_split_dotted(key.group(1)))
        index.setdefault(path, lineno)
        value = key.group(2).strip()
        for quote in ('"""', "'''"):
            if value.startswith(quote) and value.count(quote) % 2 == 1:
                multiline = quote
        if value.startswith(("[", "{")):
            depth = _bracket_delta(value)
    return index


def _resolve_header(keys: list[str], is_array: bool, counters: dict[PathT, int]) -> PathT:
    path: PathT = ()
    for key in keys[:-1]:
        path += (key,)
        if path in counters:
            path += (counters[path] - 1,)
    path += (keys[-1],)
    if is_array:
        counters[path] = counters.get(path, 0) + 1
        path += (counters[path] - 1,)
    return path


def _field_name(path: PathT) -> str:
    text = ""
    for part in path:
        if isinstance(part, int):
            text += f"[{part + 1}]"
        else:
            text += ("." if text else "") + part
    return text or "-"


# ---------------------------------------------------------------------------------------------
# reading values with checks


class _Reader:
    """Typed access to the parsed TOML that raises ``ProtocolError`` at the right line."""

    def __init__(self, file: str, source: str) -> None:
        self.file = file
        self.lines = _line_index(source)

    def line_of(self, path: PathT) -> int:
        for end in range(len(path), 0, -1):
            line = self.lines.get(path[:end])
            if line:
                return line
        return 1

    def fail(self, path: PathT, problem: str) -> NoReturn:
        line = self.line_of(path)
        name = _field_name(path)
        message = _("{file}, line {line}: {field}: {problem}").format(
            file=self.file, line=line, field=name, problem=problem
        )
        raise ProtocolError(message, file=self.file, line=line, field=name)

    def table(self, value: Any, path: PathT, required: Iterable[str], optional: Iterable[str]):
        if not isinstance(value, dict):
            self.fail(path, _("must be a table"))
        required = tuple(required)
        allowed = set(required) | set(optional)
        for key in value:
            if key not in allowed:
                self.fail(
                    path + (key,),
                    _("unknown key '{key}' (allowed here: {keys})").format(
                        key=key, keys=", ".join(sorted(allowed))
                    ),
                )
        for key in required:
            if key not in value:
                self.fail(path + (key,), _("missing; this field is required"))
        return value

    def text(self, data: dict, key: str, path: PathT, default: str | None = None) -> str:
        if key not in data:
            if default is None:
                self.fail(path + (key,), _("missing; this field is required"))
            return default
        value = data[key]
        if not isinstance(value, str):
            self.fail(path + (key,), _("must be text (in quotes)"))
        if default is None and not value.strip():
            self.fail(path + (key,), _("must not be empty"))
        return value.strip()

    def code(self, data: dict, key: str, path: PathT, default: str | None = None) -> str:
        value = self.text(data, key, path, default)
        if value and not _CODE_RE.match(value):
            self.fail(
                path + (key,),
                _("'{value}' is not a valid code (lower-case letters, digits and _)").format(
                    value=value
                ),
            )
        return value

    def boolean(self, data: dict, key: str, path: PathT, default: bool) -> bool:
        value = data.get(key, default)
        if not isinstance(value, bool):
            self.fail(path + (key,), _("must be true or false"))
        return value

    def days(self, data: dict, key: str, path: PathT) -> int | None:
        if key not in data:
            return None
        value = data[key]
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            self.fail(path + (key,), _("must be a whole number of days, 0 or more"))
        return value

    def texts(self, data: dict, key: str, path: PathT, required: bool = False) -> tuple[str, ...]:
        if key not in data:
            if required:
                self.fail(path + (key,), _("missing; this field is required"))
            return ()
        value = data[key]
        if not isinstance(value, list):
            self.fail(path + (key,), _("must be a list of texts"))
        for i, item in enumerate(value):
            if not isinstance(item, str) or not item.strip():
                self.fail(path + (key, i), _("must be a non-empty text"))
        if required and not value:
            self.fail(path + (key,), _("must not be empty"))
        return tuple(item.strip() for item in value)

    def array(self, data: dict, key: str, path: PathT, required: bool = True) -> list:
        if key not in data:
            if required:
                self.fail(path + (key,), _("missing; this field is required"))
            return []
        value = data[key]
        if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
            self.fail(path + (key,), _("must be a list of tables ([[{key}]])").format(key=key))
        if required and not value:
            self.fail(path + (key,), _("must not be empty"))
        return value

    def mapping(self, data: dict, key: str, path: PathT, required: bool = True) -> dict:
        if key not in data:
            if required:
                self.fail(path + (key,), _("missing; this field is required"))
            return {}
        value = data[key]
        if not isinstance(value, dict):
            self.fail(path + (key,), _("must be a table"))
        return value

    def unique(self, seen: set[str], code: str, path: PathT) -> None:
        if code in seen:
            self.fail(path, _("duplicate code '{code}'").format(code=code))
        seen.add(code)

    def one_of(self, value: str, known: Iterable[str], path: PathT, what: str) -> None:
        known = tuple(known)
        if value not in known:
            self.fail(
                path,
                _("unknown {what} '{value}' (known: {known})").format(
                    what=what, value=value, known=", ".join(known)
                ),
            )


# ---------------------------------------------------------------------------------------------
# the sections of a protocol file

_TOP_REQUIRED = ("format", "code", "version", "name", "school", "roles", "stages", "cyber")
_TOP_OPTIONAL = ("student_system", "description", "guides", "contract", "helplines",
                 "across_classes_stage")


def _parse(data: dict, r: _Reader, source: str) -> Protocol:
    r.table(data, (), _TOP_REQUIRED, _TOP_OPTIONAL)
    fmt = data["format"]
    if fmt != FORMAT_VERSION:
        r.fail(("format",), _("this version of pestdesk reads format {n}").format(n=FORMAT_VERSION))
    roles = _parse_roles(data, r)
    role_codes = [role.code for role in roles]
    helplines = _parse_helplines(data, r)
    guides = _parse_guides(data, r)
    stages = _parse_stages(data, r, role_codes, [g.code for g in guides])
    across = r.code(data, "across_classes_stage", (), "")
    if across:
        r.one_of(across, [s.code for s in stages], ("across_classes_stage",), _("stage"))
    step_codes = {step.code for stage in stages for step in stage.steps}
    cyber = _parse_cyber(data, r, role_codes, [h.code for h in helplines], step_codes)
    return Protocol(
        code=_protocol_code(data, r),
        version=r.text(data, "version", ()),
        name=r.text(data, "name", ()),
        school=r.text(data, "school", ()),
        student_system=r.text(data, "student_system", (), ""),
        description=r.text(data, "description", (), ""),
        roles=roles,
        stages=stages,
        cyber=cyber,
        guides=guides,
        contract=_parse_contract(data, r),
        helplines=helplines,
        across_classes_stage=across,
        source=source,
    )


def _protocol_code(data: dict, r: _Reader) -> str:
    code = r.text(data, "code", ())
    if not _PROTOCOL_CODE_RE.match(code):
        r.fail(
            ("code",),
            _("'{value}' is not a valid code (lower-case letters, digits, - and _)").format(
                value=code
            ),
        )
    return code


def _parse_roles(data: dict, r: _Reader) -> tuple[Role, ...]:
    table = r.mapping(data, "roles", ())
    if not table:
        r.fail(("roles",), _("must not be empty"))
    roles = []
    for code, body in table.items():
        path = ("roles", code)
        if not _CODE_RE.match(code):
            r.fail(
                path,
                _("'{value}' is not a valid code (lower-case letters, digits and _)").format(
                    value=code
                ),
            )
        r.table(body, path, ("title",), ("title_en",))
        roles.append(Role(code, r.text(body, "title", path), r.text(body, "title_en", path, "")))
    return tuple(roles)


def _parse_stages(data: dict, r: _Reader, roles: list[str], guides: list[str]) -> tuple[Stage, ...]:
    stages, seen, kinds_seen = [], set(), set()
    for i, body in enumerate(r.array(data, "stages", ())):
        path: PathT = ("stages", i)
        r.table(body, path, ("code", "title", "role", "steps"),
                ("kind", "description", "title_en"))
        code = r.code(body, "code", path)
        r.unique(seen, code, path + ("code",))
        kind = r.code(body, "kind", path, "")
        if kind:
            r.one_of(kind, STAGE_KINDS, path + ("kind",), _("stage kind"))
            r.unique(kinds_seen, kind, path + ("kind",))
        role = r.code(body, "role", path)
        r.one_of(role, roles, path + ("role",), _("role"))
        steps, step_seen = [], set()
        for j, step_body in enumerate(r.array(body, "steps", path)):
            step = _parse_step(step_body, r, path + ("steps", j), roles, guides)
            r.unique(step_seen, step.code, path + ("steps", j, "code"))
            steps.append(step)
        _check_hearing_first(r, path, steps)
        stages.append(
            Stage(
                code=code,
                title=r.text(body, "title", path),
                role=role,
                steps=tuple(steps),
                kind=kind,
                description=r.text(body, "description", path, ""),
                title_en=r.text(body, "title_en", path, ""),
            )
        )
    return tuple(stages)


def _check_hearing_first(r: _Reader, path: PathT, steps: list[Step]) -> None:
    """In every stage, a decision comes after the hearing (no decision without hearing)."""
    kinds = [s.kind for s in steps]
    if "decision" in kinds and "hearing" in kinds:
        decision, hearing = kinds.index("decision"), kinds.index("hearing")
        if decision < hearing:
            r.fail(path + ("steps", decision, "kind"),
                   _("the decision must come after the hearing ('{step}')").format(
                       step=steps[hearing].code))


_STEP_OPTIONAL = (
    "kind",
    "with",
    "required",
    "letter",
    "letters",
    "due_days",
    "role",
    "scope",
    "guide",
    "description",
    "title_en",
)


def _parse_step(body: Any, r: _Reader, path: PathT, roles: list[str], guides: list[str]) -> Step:
    r.table(body, path, ("code", "title"), _STEP_OPTIONAL)
    letter = r.code(body, "letter", path, "")
    if letter:
        r.one_of(letter, LETTERS, path + ("letter",), _("letter template"))
    letters = r.texts(body, "letters", path)
    for i, code in enumerate(letters):
        r.one_of(code, LETTERS, path + ("letters", i), _("letter template"))
    if letter and letters:
        r.fail(path + ("letters",), _("give either 'letter' or 'letters', not both"))
    letter = letter or (letters[0] if letters else "")
    letters = letters or ((letter,) if letter else ())
    role = r.code(body, "role", path, "")
    if role:
        r.one_of(role, roles, path + ("role",), _("role"))
    scope = r.text(body, "scope", path, "pester")
    r.one_of(scope, ("pester", "case"), path + ("scope",), _("scope"))
    guide = r.code(body, "guide", path, "")
    if guide:
        r.one_of(guide, guides, path + ("guide",), _("conversation guide"))
    kind = r.code(body, "kind", path, "")
    if kind:
        r.one_of(kind, STEP_KINDS, path + ("kind",), _("step kind"))
    partner = r.code(body, "with", path, "")
    if partner:
        r.one_of(partner, CONVERSATION_PARTNERS, path + ("with",), _("conversation partner"))
        if kind != "conversation":
            r.fail(path + ("with",), _("only a step of kind 'conversation' has 'with'"))
    elif kind == "conversation":
        r.fail(path + ("with",), _("missing: say with whom the conversation is held ({known})")
               .format(known=", ".join(CONVERSATION_PARTNERS)))
    if kind == "letter" and not letter:
        r.fail(path + ("letter",), _("missing: a step of kind 'letter' names its letter"))
    return Step(
        code=r.code(body, "code", path),
        title=r.text(body, "title", path),
        kind=kind,
        partner=partner,
        required=r.boolean(body, "required", path, True),
        letter=letter,
        letters=tuple(letters),
        due_days=r.days(body, "due_days", path),
        role=role,
        scope=scope,
        guide=guide,
        description=r.text(body, "description", path, ""),
        title_en=r.text(body, "title_en", path, ""),
    )


def _parse_cyber(
    data: dict, r: _Reader, roles: list[str], helplines: list[str], step_codes: set[str]
) -> CyberProtocol:
    body = r.mapping(data, "cyber", ())
    path: PathT = ("cyber",)
    r.table(body, path, ("title", "items"), ("intro", "tracks"))
    items, seen, item_kinds = [], set(), set()
    for i, item in enumerate(r.array(body, "items", path)):
        ipath = path + ("items", i)
        r.table(
            item,
            ipath,
            ("code", "title"),
            ("advice", "letter", "pause_if_police_report", "title_en", "kind",
             "advice_no_images"),
        )
        code = r.code(item, "code", ipath)
        kind = r.code(item, "kind", ipath, "")
        if kind:
            r.one_of(kind, CYBER_ITEM_KINDS, ipath + ("kind",), _("checklist item kind"))
            r.unique(item_kinds, kind, ipath + ("kind",))
        r.unique(seen, code, ipath + ("code",))
        if code in step_codes:
            r.fail(
                ipath + ("code",),
                _("'{code}' is already the code of a ladder step").format(code=code),
            )
        letter = r.code(item, "letter", ipath, "")
        if letter:
            r.one_of(letter, LETTERS, ipath + ("letter",), _("letter template"))
        items.append(
            CyberItem(
                code=code,
                title=r.text(item, "title", ipath),
                advice=r.text(item, "advice", ipath, ""),
                letter=letter,
                pause_if_police_report=r.boolean(item, "pause_if_police_report", ipath, False),
                title_en=r.text(item, "title_en", ipath, ""),
                kind=kind,
                advice_no_images=r.text(item, "advice_no_images", ipath, ""),
            )
        )
    tracks = [
        _parse_track(code, track, r, path + ("tracks", code), roles, helplines, seen)
        for code, track in r.mapping(body, "tracks", path, required=False).items()
    ]
    return CyberProtocol(
        title=r.text(body, "title", path),
        intro=r.text(body, "intro", path, ""),
        items=tuple(items),
        tracks=tuple(tracks),
    )


_TRACK_OPTIONAL = (
    "description",
    "police_report",
    "block_sender",
    "skip",
    "advice",
    "roles",
    "helplines",
    "keep_images",
)


def _parse_track(
    code: str,
    body: Any,
    r: _Reader,
    path: PathT,
    roles: list[str],
    helplines: list[str],
    items: set[str],
) -> CyberTrack:
    r.one_of(code, CYBER_TRACKS, path, _("cyber track"))
    r.table(body, path, ("title",), _TRACK_OPTIONAL)
    police = r.text(body, "police_report", path, "")
    r.one_of(police, POLICE_REPORT_LEVELS, path + ("police_report",), _("police report level"))
    skip = r.texts(body, "skip", path)
    for i, item in enumerate(skip):
        r.one_of(item, sorted(items), path + ("skip", i), _("checklist item"))
    track_roles = r.texts(body, "roles", path)
    for i, role in enumerate(track_roles):
        r.one_of(role, roles, path + ("roles", i), _("role"))
    track_lines = r.texts(body, "helplines", path)
    for i, line in enumerate(track_lines):
        r.one_of(line, helplines, path + ("helplines", i), _("helpline"))
    return CyberTrack(
        code=code,
        title=r.text(body, "title", path),
        description=r.text(body, "description", path, ""),
        police_report=police,
        block_sender=r.boolean(body, "block_sender", path, True),
        skip=skip,
        advice=r.texts(body, "advice", path),
        roles=track_roles,
        helplines=track_lines,
        keep_images=r.boolean(body, "keep_images", path, True),
    )


def _parse_guides(data: dict, r: _Reader) -> tuple[Guide, ...]:
    guides = []
    for code, body in r.mapping(data, "guides", (), required=False).items():
        path: PathT = ("guides", code)
        if not _CODE_RE.match(code):
            r.fail(
                path,
                _("'{value}' is not a valid code (lower-case letters, digits and _)").format(
                    value=code
                ),
            )
        r.table(body, path, ("title",), ("with", "intro", "questions", "aims", "attention"))
        partner = r.code(body, "with", path, "")
        if partner:
            r.one_of(partner, CONVERSATION_PARTNERS, path + ("with",), _("conversation partner"))
        guides.append(
            Guide(
                code=code,
                title=r.text(body, "title", path),
                partner=partner,
                intro=r.text(body, "intro", path, ""),
                questions=r.texts(body, "questions", path),
                aims=r.texts(body, "aims", path),
                attention=r.texts(body, "attention", path),
            )
        )
    return tuple(guides)


def _parse_contract(data: dict, r: _Reader) -> ContractTemplate | None:
    if "contract" not in data:
        return None
    body = r.mapping(data, "contract", ())
    path: PathT = ("contract",)
    r.table(body, path, ("title", "rules"), ("intro", "closing"))
    return ContractTemplate(
        title=r.text(body, "title", path),
        intro=r.text(body, "intro", path, ""),
        rules=r.texts(body, "rules", path, required=True),
        closing=r.text(body, "closing", path, ""),
    )


def _parse_helplines(data: dict, r: _Reader) -> tuple[Helpline, ...]:
    lines, seen = [], set()
    for i, body in enumerate(r.array(data, "helplines", (), required=False)):
        path: PathT = ("helplines", i)
        r.table(body, path, ("code", "name", "topic"), ("phone", "url", "hours", "description"))
        code = r.code(body, "code", path)
        r.unique(seen, code, path + ("code",))
        line = Helpline(
            code=code,
            name=r.text(body, "name", path),
            topic=r.text(body, "topic", path),
            phone=r.text(body, "phone", path, ""),
            url=r.text(body, "url", path, ""),
            hours=r.text(body, "hours", path, ""),
            description=r.text(body, "description", path, ""),
        )
        if not (line.phone or line.url):
            r.fail(path + ("phone",), _("give a phone number or a url"))
        lines.append(line)
    return tuple(lines)


# ---------------------------------------------------------------------------------------------
# loading

_TOML_POS_RE = re.compile(r"\s*\(at line (\d+), column (\d+)\)|\s*\(at end of document\)")


def _syntax_error(file: str, source: str, error: tomllib.TOMLDecodeError) -> ProtocolError:
    text = str(error)
    match = _TOML_POS_RE.search(text)
    detail = _TOML_POS_RE.sub("", text)
    if match and match.group(1):
        line = int(match.group(1))
    else:
        line = max(1, source.count("\n") + 1)
    lines = source.splitlines()
    current = lines[line - 1] if 0 < line <= len(lines) else ""
    key = _KEY_RE.match(current)
    name = key.group(1).strip("\"'") if key else _("TOML syntax")
    problem = _("not valid TOML ({detail})").format(detail=detail)
    message = _("{file}, line {line}: {field}: {problem}").format(
        file=file, line=line, field=name, problem=problem
    )
    return ProtocolError(message, file=file, line=line, field=name)


def parse_protocol(source: str, file: str = "<text>") -> Protocol:
    """Read a protocol from TOML text; ``file`` names it in error messages."""
    try:
        data = tomllib.loads(source)
    except tomllib.TOMLDecodeError as error:
        raise _syntax_error(file, source, error) from None
    return _parse(data, _Reader(file, source), file)


def load_protocol(path: str | Path) -> Protocol:
    """Read and validate one protocol file; raises ``ProtocolError`` on any problem."""
    path = Path(path)
    try:
        raw = path.read_bytes()
    except OSError as error:
        raise ProtocolError(
            _("{file}: the file cannot be read ({error})").format(
                file=path.name, error=error.strerror
            ),
            file=path.name,
        ) from None
    try:
        source = raw.decode("utf-8")
    except UnicodeDecodeError as error:
        line = raw[: error.start].count(b"\n") + 1
        raise ProtocolError(
            _("{file}, line {line}: the file is not UTF-8 text").format(file=path.name, line=line),
            file=path.name,
            line=line,
        ) from None
    protocol = parse_protocol(source, path.name)
    return _with_source(protocol, str(path))


def _with_source(protocol: Protocol, source: str) -> Protocol:
    from dataclasses import replace

    return replace(protocol, source=source)


def _version_key(version: str) -> tuple:
    return tuple(int(p) if p.isdigit() else 0 for p in re.split(r"[.\-]", version))


def load_protocols(directory: str | Path) -> dict[tuple[str, str], Protocol]:
    """Every ``*.toml`` protocol in ``directory``, keyed by (code, version)."""
    found: dict[tuple[str, str], Protocol] = {}
    for path in sorted(Path(directory).glob("*.toml")):
        protocol = load_protocol(path)
        found[(protocol.code, protocol.version)] = protocol
    return found


@lru_cache(maxsize=1)
def _builtin_all() -> dict[tuple[str, str], Protocol]:
    return load_protocols(PROTOCOLS_DIR)


def builtin_protocols() -> dict[str, Protocol]:
    """The presets shipped with pestdesk: code -> newest version."""
    result: dict[str, Protocol] = {}
    for (code, _version), protocol in sorted(
        _builtin_all().items(), key=lambda kv: (kv[0][0], _version_key(kv[0][1]))
    ):
        result[code] = protocol
    return result


def get_protocol(code: str, version: str | None = None) -> Protocol:
    """A shipped preset by code (newest version, or exactly ``version``)."""
    if version is None:
        protocol = builtin_protocols().get(code)
    else:
        protocol = _builtin_all().get((code, version))
    if protocol is None:
        raise UnknownProtocol(code, version)
    return protocol
