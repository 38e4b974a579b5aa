"""Hostile and broken import files through the real command line: a non-zero exit, one line
in Dutch, no traceback, and the database unchanged (sha256). Every file of the set goes
through the reader in tests/importers/test_hostile_files.py; here a sample of each kind goes
through both import commands as a separate process."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys

import pytest

from tests.helpers import hostile

SAMPLE = ["xlsx-10-million-rows", "xlsx-billion-laughs", "xlsx-external-entity",
          "xlsx-broken-xml", "xlsx-huge-cell", "csv-mixed-encoding", "csv-shift-jis",
          "csv-10-million-lines"]


def run(*args):
    env = dict(os.environ, PESTDESK_LANG="nl", QT_QPA_PLATFORM="offscreen")
    return subprocess.run([sys.executable, "-m", "pestdesk", *map(str, args)],
                          capture_output=True, text=True, env=env, timeout=120)


def digest(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def school(tmp_path_factory):
    path = tmp_path_factory.mktemp("school") / "school.sqlite"
    assert run("init", "--db", path, "--no-encryption").returncode == 0
    return path


@pytest.mark.parametrize("command", ["import-students", "import-staff"])
@pytest.mark.parametrize("name", SAMPLE)
def test_hostile_file_one_line_nothing_changed(tmp_path, school, name, command):
    maker, _fragment = hostile.FILES[name]
    path = maker(tmp_path)
    before = digest(school)
    for extra in (["--dry-run"], []):
        result = run(command, path, "--db", school, *extra)
        output = (result.stdout + result.stderr).strip()
        assert result.returncode != 0
        assert len(output.splitlines()) == 1, output
        assert output.startswith("Het bestand is geweigerd; er is niets gewijzigd:"), output
        assert "Traceback" not in output
    assert digest(school) == before
