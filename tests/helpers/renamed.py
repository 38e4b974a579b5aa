"""Presets with every code renamed: proof that no service or screen knows a stage or step code.

``rename_presets(src, dst)`` copies the protocol presets with every stage, step, cyber
checklist and guide code replaced by an opaque one (roles keep their fixed codes; titles,
kinds and the rest stay). When the environment variable ``PESTDESK_TEST_RENAMED`` is set,
``tests/conftest.py`` points the protocol loader at such copies, and the test modules write
the codes they check through ``S`` (stage), ``T`` (step), ``C`` (cyber item) and ``G``
(guide): the
original code normally, its renamed twin in that run. ``tests/services/test_renamed_codes.py``
runs the casework suites that way.
"""

from __future__ import annotations

import hashlib
import os
import re
from pathlib import Path

ENV = "PESTDESK_TEST_RENAMED"
ACTIVE = bool(os.environ.get(ENV))


def _twin(prefix: str, code: str) -> str:
    return f"{prefix}_{hashlib.sha1(code.encode()).hexdigest()[:7]}"


def S(code: str) -> str:
    """A stage code as the active presets spell it."""
    return _twin("st", code) if ACTIVE and code else code


def T(code: str) -> str:
    """A step code as the active presets spell it."""
    return _twin("sp", code) if ACTIVE and code else code


def C(code: str) -> str:
    """A cyber checklist item's code as the active presets spell it."""
    return _twin("cy", code) if ACTIVE and code else code


def G(code: str) -> str:
    """A conversation guide's code as the active presets spell it."""
    return _twin("gd", code) if ACTIVE and code else code


def original_stage(code: str) -> str:
    """The original name of a (possibly renamed) stage code of the shipped presets."""
    if not ACTIVE or not code:
        return code
    from pestdesk.paths import PROTOCOLS_DIR  # the shipped folder, not the renamed copy

    known = {m.group(1) for path in PROTOCOLS_DIR.glob("*.toml")
             for m in re.finditer(r'\n\[\[stages\]\]\ncode = "([^"]+)"',
                                  path.read_text(encoding="utf-8"))}
    return next((k for k in sorted(known) if S(k) == code), code)


_CODE = re.compile(r'^(\s*)code = "([^"]+)"(.*)$')
_GUIDE_REF = re.compile(r'^(\s*)guide = "([^"]+)"(.*)$')
_GUIDE_TABLE = re.compile(r"^\[guides\.([a-z0-9_]+)\]")
_SKIP = re.compile(r"^(\s*)skip = \[(.*)\](.*)$")
_ACROSS = re.compile(r'^(\s*)across_classes_stage = "([^"]+)"(.*)$')


def rename_text(text: str) -> str:
    """One preset's TOML with its codes renamed (line by line, comments kept)."""
    out, table = [], ""
    for line in text.split("\n"):
        stripped = line.strip()
        if stripped.startswith("["):
            table = stripped
            guide = _GUIDE_TABLE.match(stripped)
            if guide:
                line = f"[guides.{_twin('gd', guide.group(1))}]"
            out.append(line)
            continue
        code = _CODE.match(line)
        if code and table in ("[[stages]]", "[[stages.steps]]", "[[cyber.items]]"):
            prefix = {"[[stages]]": "st", "[[stages.steps]]": "sp", "[[cyber.items]]": "cy"}
            line = f'{code.group(1)}code = "{_twin(prefix[table], code.group(2))}"{code.group(3)}'
        elif (ref := _GUIDE_REF.match(line)) is not None:
            line = f'{ref.group(1)}guide = "{_twin("gd", ref.group(2))}"{ref.group(3)}'
        elif (skip := _SKIP.match(line)) is not None:
            items = [s.strip().strip('"') for s in skip.group(2).split(",") if s.strip()]
            renamed = ", ".join(f'"{_twin("cy", i)}"' for i in items)
            line = f"{skip.group(1)}skip = [{renamed}]{skip.group(3)}"
        elif (across := _ACROSS.match(line)) is not None:
            line = (f'{across.group(1)}across_classes_stage = "{_twin("st", across.group(2))}"'
                    f"{across.group(3)}")
        out.append(line)
    return "\n".join(out)


def rename_presets(src: Path, dst: Path) -> Path:
    dst.mkdir(parents=True, exist_ok=True)
    for path in sorted(Path(src).glob("*.toml")):
        (dst / path.name).write_text(rename_text(path.read_text(encoding="utf-8")),
                                     encoding="utf-8")
    return dst
