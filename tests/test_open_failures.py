"""Every way opening a database can fail has its own one-line message, on the real command
line (a separate process: exit code, one line, no traceback, the file unchanged) and in the
GUI's open path (the message box the File > Open dialog and the start-up show)."""

from __future__ import annotations

import hashlib
import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers import db_states

STUDENTS_CSV = "Stamnr;Roepnaam;Achternaam;Klas\n1001;Zoë;Meer;1A\n"


def run(*args, timeout=120):
    env = dict(os.environ, PESTDESK_LANG="nl", QT_QPA_PLATFORM="offscreen")
    return subprocess.run([sys.executable, "-m", "pestdesk", *map(str, args)],
                          capture_output=True, text=True, env=env, timeout=timeout)


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def one_line(result) -> str:
    out = (result.stdout + result.stderr).strip()
    assert result.returncode != 0, out
    assert "Traceback" not in out and "Onverwachte interne fout" not in out, out
    assert len(out.splitlines()) == 1, out
    return out


@pytest.fixture(scope="module")
def healthy(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("gezond") / "school.sqlite"
    assert run("init", "--db", path, "--no-encryption").returncode == 0
    return path


@pytest.fixture
def school(tmp_path, healthy) -> Path:
    path = tmp_path / "school.sqlite"
    shutil.copy(healthy, path)
    return path


@pytest.fixture
def export(tmp_path) -> Path:
    path = tmp_path / "export.csv"
    path.write_text(STUDENTS_CSV, encoding="utf-8")
    return path


def commands(db: Path, tmp: Path, export: Path, healthy: Path) -> list[list]:
    """Every command of the CLI on ``db``, as target (and ``restore`` also as backup)."""
    return [
        ["check", "--db", db],
        ["backup", "--db", db, tmp / "kopie.sqlite"],
        ["restore", "--db", db, healthy],
        ["restore", "--db", healthy, db],
        ["purge", "--db", db, "--dry-run"],
        ["purge", "--db", db],
        ["import-students", export, "--db", db, "--dry-run"],
        ["import-students", export, "--db", db],
        ["import-staff", export, "--db", db],
        ["export-student", "1001", "--db", db, "--out", tmp / "inzage.json"],
    ]


@pytest.mark.parametrize("state", list(db_states.FILE_STATES))
def test_every_command_refuses_a_bad_file_with_one_line(tmp_path, school, export, healthy,
                                                        state):
    make, fragment = db_states.FILE_STATES[state]
    make(school)
    before, healthy_before = digest(school), digest(healthy)
    for args in commands(school, tmp_path, export, healthy):
        out = one_line(run(*args))
        if state == "damaged" and args[0] == "restore" and args[2] == school:
            fragment_here = "veiligheidskopie"  # too broken to copy: move it away first
        else:
            fragment_here = fragment
        assert fragment_here in out, (args[0], out)
    assert digest(school) == before
    assert digest(healthy) == healthy_before
    assert not (tmp_path / "kopie.sqlite").exists() and not (tmp_path / "inzage.json").exists()
    # a read-only look at a WAL file leaves SQLite's empty -wal/-shm, nothing else
    assert {p.name for p in tmp_path.iterdir()} - {"school.sqlite-wal", "school.sqlite-shm"} \
        == {"export.csv", "school.sqlite"}


def test_busy_database(school, export):
    with db_states.locked(school):
        out = one_line(run("import-students", export, "--db", school))
    assert "slaat op dit moment iets op" in out


def test_another_client_in_the_other_journal_mode(school, export):
    """The server PC has the file open locally (WAL); a client that opens it over the
    network path needs the rollback journal and is told why it cannot have it."""
    network_path = "/" + str(school)  # "//tmp/...": a UNC-style path, the network settings
    before = digest(school)  # not inside: closing a file drops this process's SQLite locks
    with db_states.open_in_wal_elsewhere(school):
        out = one_line(run("import-students", export, "--db", network_path))
        assert "wie het eerst opent" in out
    assert digest(school) == before
    # once the local client is gone, the network client may switch the file
    assert run("import-students", export, "--db", network_path).returncode == 0
    con = sqlite3.connect(school)
    assert con.execute("PRAGMA journal_mode").fetchone()[0] == "delete"
    con.close()


def test_read_only_file(school, export):
    with db_states.immutable(school):
        out = one_line(run("import-students", export, "--db", school))
        assert "is alleen-lezen" in out and "map" not in out
        check = run("check", "--db", school)  # reading is still fine
        assert check.returncode == 0, check.stdout + check.stderr


def test_read_only_folder_refuses_writing_but_checks_and_backs_up(tmp_path, school, export):
    backup_folder = tmp_path / "kopieen"
    backup_folder.mkdir()
    con = sqlite3.connect(school)  # a WAL database, cleanly closed: no -wal file
    assert con.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    con.close()
    before = digest(school)
    with db_states.immutable(school.parent):
        out = one_line(run("import-students", export, "--db", school))
        assert "De map van" in out
        check = run("check", "--db", school)
        assert check.returncode == 0, check.stdout + check.stderr
        assert "Integriteit: ok" in check.stdout
        backup = run("backup", "--db", school, backup_folder / "kopie.sqlite")
        assert backup.returncode == 0, backup.stderr
        # a healthy backup in a read-only folder is not called damaged
        target = backup_folder / "doel.sqlite"
        shutil.copy(school, target)
        restored = run("restore", "--db", target, school)
        assert restored.returncode == 0, restored.stdout + restored.stderr
    assert digest(school) == before


def test_backup_into_a_read_only_folder(tmp_path, school):
    folder = tmp_path / "dicht"
    folder.mkdir()
    with db_states.immutable(folder):
        out = one_line(run("backup", "--db", school, folder / "kopie.sqlite"))
    assert "De map van" in out


def test_disk_full(tmp_path, healthy, export):
    with db_states.small_disk(tmp_path / "schijf") as disk:
        school = disk / "school.sqlite"
        shutil.copy(healthy, school)
        db_states.fill_disk(disk)
        before = digest(school)
        out = one_line(run("import-students", export, "--db", school))
        assert "vol" in out
        restore = one_line(run("restore", "--db", school, healthy))
        assert "vol" in restore
        assert digest(school) == before
        assert {p.name for p in disk.iterdir()} - {"school.sqlite-wal", "school.sqlite-shm"} \
            == {"school.sqlite", "vulling.bin"}


def test_older_schema_dry_run_changes_nothing(tmp_path, export):
    from pestdesk.store.db import create_database
    from pestdesk.store.migrations import migrate

    path = tmp_path / "oud.sqlite"
    con = sqlite3.connect(path)
    con.execute("PRAGMA application_id = 1346720596")
    con.commit()
    con.close()
    from peewee import SqliteDatabase

    db = SqliteDatabase(str(path))
    migrate(db, None, backup=False, target=1)
    db.close()
    before = digest(path)
    for args in (["purge", "--db", path, "--dry-run"],
                 ["import-students", export, "--db", path, "--dry-run"]):
        assert "ouder schema" in one_line(run(*args))
    assert digest(path) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["export.csv", "oud.sqlite"]
    del create_database


# -- the GUI's open path ---------------------------------------------------------------------

GUI_CASES = {
    **{name: (make, fragment) for name, (make, fragment) in db_states.FILE_STATES.items()},
}


@pytest.fixture
def shown(monkeypatch):
    from PySide6.QtWidgets import QMessageBox

    messages: list[str] = []
    monkeypatch.setattr(QMessageBox, "critical",
                        lambda parent, title, text, *a, **k: messages.append(text))
    return messages


def gui_open(path: Path):
    from PySide6.QtWidgets import QApplication

    from pestdesk.gui.app import open_window

    app = QApplication.instance() or QApplication([])
    return open_window(app, Path(path), demo=False)


@pytest.mark.parametrize("state", list(db_states.FILE_STATES))
def test_gui_open_refuses_a_bad_file(qtbot, school, shown, state):
    make, fragment = db_states.FILE_STATES[state]
    make(school)
    before = digest(school)
    assert gui_open(school) is None
    assert len(shown) == 1 and fragment in shown[0], shown
    assert digest(school) == before


def test_gui_open_read_only_file_and_folder(qtbot, school, shown):
    with db_states.immutable(school):
        assert gui_open(school) is None
    with db_states.immutable(school.parent):
        assert gui_open(school) is None
    assert len(shown) == 2
    assert "is alleen-lezen" in shown[0] and "De map van" in shown[1]


def test_gui_open_busy_and_other_journal_mode(qtbot, school, shown):
    with db_states.open_in_wal_elsewhere(school):
        assert gui_open(Path("/" + str(school))) is None
    with db_states.locked(school):
        assert gui_open(school) is None
    assert len(shown) == 2
    assert "wie het eerst opent" in shown[0]
    assert "slaat op dit moment iets op" in shown[1]


def test_gui_open_disk_full(qtbot, tmp_path, healthy, shown):
    with db_states.small_disk(tmp_path / "schijf") as disk:
        school = disk / "school.sqlite"
        shutil.copy(healthy, school)
        db_states.fill_disk(disk)
        assert gui_open(school) is None
    assert len(shown) == 1 and "vol" in shown[0]


# -- an encrypted database (SQLCipher pages and a .keys file beside them) --------------------

def run_as(user: str, password: str, *args):
    env = dict(os.environ, PESTDESK_LANG="nl", QT_QPA_PLATFORM="offscreen",
               PESTDESK_USER=user, PESTDESK_PASSWORD=password)
    env.pop("PESTDESK_RECOVERY_KEY", None)
    return subprocess.run([sys.executable, "-m", "pestdesk", *map(str, args)],
                          capture_output=True, text=True, env=env, timeout=120)


def _make_encrypted(path: Path) -> None:
    from pestdesk.services import encryption
    from pestdesk.store.db import forget_keys
    from tests.helpers import crypt

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(encryption, "slot_params", crypt.FAST)
        crypt.encrypted_school(path)
    from pestdesk.store.models import database

    database.close()
    encryption.forget_all()
    forget_keys()


@pytest.fixture(scope="module")
def encrypted_pair(tmp_path_factory) -> tuple[Path, Path]:
    """Two encrypted schools (the second one's key file is a foreign key for the first)."""
    folder = tmp_path_factory.mktemp("versleuteld")
    first, second = folder / "a" / "school.sqlite", folder / "b" / "school.sqlite"
    for path in (first, second):
        path.parent.mkdir()
        _make_encrypted(path)
    return first, second


def _keys(path: Path) -> Path:
    from pestdesk.store.keyfile import sidecar_path

    return sidecar_path(path)


@pytest.fixture
def secret(tmp_path, encrypted_pair) -> Path:
    path = tmp_path / "school.sqlite"
    shutil.copy(encrypted_pair[0], path)
    shutil.copy(_keys(encrypted_pair[0]), _keys(path))
    return path


def encrypted_commands(db: Path, tmp: Path, export: Path) -> list[list]:
    return [
        ["check", "--db", db],
        ["backup", "--db", db, tmp / "kopie.sqlite"],
        ["purge", "--db", db, "--dry-run"],
        ["import-students", export, "--db", db, "--dry-run"],
        ["import-students", export, "--db", db],
        ["export-student", "1001", "--db", db, "--out", tmp / "inzage.json"],
    ]


def _unchanged(paths: list[Path]) -> dict[Path, str | None]:
    return {p: digest(p) if p.exists() else None for p in paths}


def _break_keys(kind: str, path: Path, other: Path) -> None:
    if kind == "missing":
        _keys(path).unlink()
    elif kind == "damaged":
        _keys(path).write_bytes(b"{ dit is geen sleutelbestand")
    elif kind == "truncated":
        data = _keys(path).read_bytes()
        _keys(path).write_bytes(data[: len(data) // 2])
    elif kind == "foreign":
        shutil.copy(_keys(other), _keys(path))


KEY_STATES = {
    "missing": "ontbreekt",
    "damaged": "is beschadigd",
    "truncated": "is beschadigd",
    "foreign": "horen niet bij elkaar",
}


@pytest.mark.parametrize("kind", list(KEY_STATES))
def test_encrypted_with_a_bad_key_file(tmp_path, secret, encrypted_pair, export, kind):
    from tests.helpers import crypt

    _break_keys(kind, secret, encrypted_pair[1])
    before = _unchanged([secret, _keys(secret)])
    for args in encrypted_commands(secret, tmp_path, export):
        out = one_line(run_as(crypt.ADMIN, crypt.PASSWORD, *args))
        assert KEY_STATES[kind] in out, (kind, args[0], out)
    assert _unchanged([secret, _keys(secret)]) == before
    assert not (tmp_path / "kopie.sqlite").exists() and not (tmp_path / "inzage.json").exists()


def test_encrypted_with_a_wrong_password_or_none(tmp_path, secret, export):
    from tests.helpers import crypt

    before = _unchanged([secret, _keys(secret)])
    for args in encrypted_commands(secret, tmp_path, export):
        out = one_line(run_as(crypt.ADMIN, "Verkeerd-Wachtwoord-123", *args))
        assert "wachtwoord" in out.lower(), (args[0], out)
        out = one_line(run_as("niemand", crypt.PASSWORD, *args))
        assert "wachtwoord" in out.lower(), (args[0], out)
        out = one_line(run_as("", "", *args))  # no credentials, no terminal to ask them
        assert "PESTDESK_PASSWORD" in out, (args[0], out)
    assert _unchanged([secret, _keys(secret)]) == before


def test_plaintext_file_with_a_key_file_beside_it(tmp_path, healthy, secret, export):
    """An unencrypted backup put back where an encrypted database was: the key file stays."""
    from tests.helpers import crypt

    school = tmp_path / "terug" / "school.sqlite"
    school.parent.mkdir()
    shutil.copy(healthy, school)
    shutil.copy(_keys(secret), _keys(school))
    before = _unchanged([school, _keys(school)])
    for args in encrypted_commands(school, tmp_path, export):
        out = one_line(run_as(crypt.ADMIN, crypt.PASSWORD, *args))
        assert "is niet versleuteld" in out, (args[0], out)
    assert _unchanged([school, _keys(school)]) == before


def test_encrypted_file_opened_as_plaintext(tmp_path, secret, export):
    """An encrypted file and no key file and no credentials: it is not called damaged."""
    _keys(secret).unlink()
    before = digest(secret)
    for args in encrypted_commands(secret, tmp_path, export):
        out = one_line(run(*args))
        assert "ontbreekt" in out, (args[0], out)
    assert digest(secret) == before


def test_encrypted_read_only_file_and_folder(tmp_path_factory, secret, export):
    """A command that writes is refused with the read-only line. ``check`` and ``backup``
    only read: they work, and say that the sign-in could not be recorded (a beheerder's
    sign-in writes an audit line, which a read-only file cannot take). A wrong password
    and a user who is no beheerder are still refused; nothing changes."""
    from tests.helpers import crypt

    before = _unchanged([secret, _keys(secret)])
    not_recorded = "kon deze aanmelding niet worden vastgelegd"
    with db_states.immutable(secret):
        out = one_line(run_as(crypt.ADMIN, crypt.PASSWORD, "import-students", export,
                              "--db", secret))
        assert "is alleen-lezen" in out and "map" not in out, out
        check = run_as(crypt.ADMIN, crypt.PASSWORD, "check", "--db", secret)
        assert check.returncode == 0, check.stdout + check.stderr
        assert "Integriteit: ok" in check.stdout and "In orde." in check.stdout
        assert not_recorded in check.stderr and "Traceback" not in check.stderr
        out = one_line(run_as(crypt.ADMIN, "fout-wachtwoord", "check", "--db", secret))
        assert "Onbekende gebruikersnaam of verkeerd wachtwoord" in out, out
    with db_states.immutable(secret.parent):
        out = one_line(run_as(crypt.ADMIN, crypt.PASSWORD, "import-students", export,
                              "--db", secret))
        assert "De map van" in out, out
        check = run_as(crypt.ADMIN, crypt.PASSWORD, "check", "--db", secret)
        assert check.returncode == 0 and not_recorded in check.stderr, check.stderr
        copy = tmp_path_factory.mktemp("elders") / "kopie.sqlite"
        backup = run_as(crypt.ADMIN, crypt.PASSWORD, "backup", "--db", secret, copy)
        assert backup.returncode == 0 and not_recorded in backup.stderr, backup.stderr
    assert _unchanged([secret, _keys(secret)]) == before
    check = run_as(crypt.ADMIN, crypt.PASSWORD, "check", "--db", copy)
    assert check.returncode == 0 and "In orde." in check.stdout, check.stdout + check.stderr


def test_encrypted_busy(tmp_path, secret, export):
    from pestdesk.services import encryption
    from pestdesk.store import db as store_db
    from tests.helpers import crypt

    encryption.unlock(secret, crypt.ADMIN, crypt.PASSWORD).close()
    con = store_db.connect(secret, readonly=False)
    con.isolation_level = None
    con.execute("BEGIN EXCLUSIVE")
    try:
        before = digest(secret)
        out = one_line(run_as(crypt.ADMIN, crypt.PASSWORD, "import-students", export,
                              "--db", secret))
        assert "slaat op dit moment iets op" in out, out
        assert digest(secret) == before
    finally:
        con.execute("ROLLBACK")
        con.close()
        encryption.forget_all()
        store_db.forget_keys()
