"""Every stage, step, checklist and guide code renamed in copies of both presets: the casework
suites still pass, because no service or screen knows a code -- only declared kinds.

The suites run in a child pytest with PESTDESK_TEST_RENAMED set (tests/conftest.py then
loads the renamed copies; the tests name codes through tests/helpers/renamed.S/T/C).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from pestdesk.domain.protocol import parse_protocol
from pestdesk.paths import PROTOCOLS_DIR
from tests.helpers.renamed import ACTIVE, ENV, rename_text

ROOT = Path(__file__).resolve().parents[2]
SUITES = [
    "tests/services/test_contracts.py",
    "tests/services/test_sanctions.py",
    "tests/services/test_meetings.py",
    "tests/services/test_ladder_path.py",
    "tests/services/test_scope.py",
    "tests/services/test_case_scenarios.py",
    "tests/services/test_casework_access.py",
    "tests/services/test_deciding.py",
    "tests/services/test_school_day_deadlines.py",
    "tests/gui/test_sanction_dialogs.py",
    "tests/gui/test_contract_dialogs.py",
    "tests/gui/test_meetings.py",
    "tests/services/test_police_report.py",
    "tests/gui/test_police_report_gui.py",
]


@pytest.mark.parametrize("name", ["doultremont.toml", "dalton-alkmaar.toml"])
def test_the_renamed_copy_keeps_no_original_code(name):
    source = (PROTOCOLS_DIR / name).read_text(encoding="utf-8")
    original = parse_protocol(source, name)
    renamed = parse_protocol(rename_text(source), name)
    old_codes = {s.code for s in original.stages} | {
        t.code for s in original.stages for t in s.steps} | {
        i.code for i in original.cyber.items} | {g.code for g in original.guides}
    new_codes = {s.code for s in renamed.stages} | {
        t.code for s in renamed.stages for t in s.steps} | {
        i.code for i in renamed.cyber.items} | {g.code for g in renamed.guides}
    assert not old_codes & new_codes
    assert [s.kind for s in renamed.stages] == [s.kind for s in original.stages]
    assert [[t.kind for t in s.steps] for s in renamed.stages] == [
        [t.kind for t in s.steps] for s in original.stages]
    assert [i.kind for i in renamed.cyber.items] == [i.kind for i in original.cyber.items]
    assert {"evidence", "block_sender"} <= {i.kind for i in renamed.cyber.items}
    assert [s.title for s in renamed.stages] == [s.title for s in original.stages]


@pytest.mark.skipif(ACTIVE, reason="already the renamed run")
def test_casework_suites_pass_with_every_code_renamed(tmp_path):
    env = dict(os.environ, **{ENV: "1"})
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-x", "-p", "no:cacheprovider", *SUITES],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=900)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
