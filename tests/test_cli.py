"""The ``pestdesk`` command as a beheerder uses it, run as a real process."""

from __future__ import annotations

import hashlib
import os
import sqlite3
import subprocess
import sys

import pytest


def run(*args, lang="nl", **env_vars):
    env = dict(os.environ, PESTDESK_LANG=lang, QT_QPA_PLATFORM="offscreen", **env_vars)
    return subprocess.run([sys.executable, "-m", "pestdesk", *map(str, args)],
                          capture_output=True, text=True, env=env, timeout=120,
                          stdin=subprocess.DEVNULL)


def digest(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_help_in_dutch_and_english():
    nl = run("--help")
    assert nl.returncode == 0
    assert "gebruik:" in nl.stdout and "database" in nl.stdout
    en = run("--lang", "en", "--help")
    assert en.returncode == 0
    assert "usage:" in en.stdout


def test_init_encrypts_and_admin_commands_need_a_secret(tmp_path):
    target = tmp_path / "versleuteld.sqlite"
    result = run("init", "--db", target)
    assert result.returncode == 0, result.stderr
    assert not target.read_bytes().startswith(b"SQLite format 3")
    assert (tmp_path / "versleuteld.sqlite.keys").exists()
    recovery = result.stdout.strip().splitlines()[-2].strip()
    assert len(recovery.split("-")) == 9, result.stdout
    before = digest(target)
    refused = run("check", "--db", target)
    assert refused.returncode == 2
    assert "is versleuteld" in refused.stderr and "PESTDESK_RECOVERY_KEY" in refused.stderr
    assert len(refused.stderr.strip().splitlines()) == 1
    wrong = run("check", "--db", target, PESTDESK_USER="beheer", PESTDESK_PASSWORD="fout-fout-fout")
    assert wrong.returncode == 2 and "verkeerd wachtwoord" in wrong.stderr
    assert "Traceback" not in wrong.stderr + refused.stderr
    assert digest(target) == before
    check = run("check", "--db", target, PESTDESK_RECOVERY_KEY=recovery)
    assert check.returncode == 0, check.stdout + check.stderr
    assert "Integriteit: ok" in check.stdout
    (tmp_path / "versleuteld.sqlite.keys").unlink()
    lost = run("check", "--db", target, PESTDESK_RECOVERY_KEY=recovery)
    assert lost.returncode == 2 and "sleutelbestand" in lost.stderr


def test_init_then_check_then_refuse_overwrite(tmp_path):
    target = tmp_path / "leeg.sqlite"
    result = run("init", "--db", target, "--no-encryption")
    assert result.returncode == 0, result.stderr
    assert target.exists()
    check = run("check", "--db", target)
    assert check.returncode == 0, check.stdout + check.stderr
    assert "Integriteit: ok" in check.stdout
    before = digest(target)
    again = run("init", "--db", target)
    assert again.returncode != 0
    assert "bestaat al" in again.stderr
    assert "Traceback" not in again.stderr
    assert digest(target) == before


@pytest.mark.parametrize("content", [os.urandom(20_000), b"Dit is een tekstbestand.\n" * 50],
                         ids=["random-bytes", "text"])
def test_check_refuses_non_database_untouched(tmp_path, content):
    target = tmp_path / "vreemd.sqlite"
    target.write_bytes(content)
    before = digest(target)
    result = run("check", "--db", target)
    assert result.returncode != 0
    assert "geen pestdesk-database" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert "Traceback" not in result.stderr
    assert digest(target) == before


def test_demo_check_and_backup(tmp_path):
    target = tmp_path / "demo.sqlite"
    result = run("demo", "--db", target, "--students", "120", "--years", "1", "--seed", "3")
    assert result.returncode == 0, result.stderr
    check = run("check", "--db", target)
    assert check.returncode == 0
    assert "leerlingen: 120" in check.stdout
    backup = tmp_path / "kopie.sqlite"
    result = run("backup", "--db", target, backup)
    assert result.returncode == 0, result.stderr
    assert run("check", "--db", backup).returncode == 0
    con = sqlite3.connect(target)  # the backup service wrote who made it
    assert con.execute("select count(*) from audit_log where action = 'backup' "
                       "and detail = 'manual'").fetchone() == (1,)
    con.close()


def test_check_detects_audit_edit_behind_the_apps_back(tmp_path):
    import sqlite3

    target = tmp_path / "demo.sqlite"
    assert run("demo", "--db", target, "--students", "40", "--years", "1").returncode == 0
    con = sqlite3.connect(target)
    con.execute("DROP TRIGGER audit_log_no_update")
    con.execute("UPDATE audit_log SET detail = 'vervalst'")
    con.commit()
    con.close()
    check = run("check", "--db", target)
    assert check.returncode == 1
    assert "buiten pestdesk om gewijzigd" in check.stdout


def test_newer_schema_refused_by_every_command(tmp_path):
    import sqlite3

    target = tmp_path / "nieuw.sqlite"
    assert run("init", "--db", target, "--no-encryption").returncode == 0
    con = sqlite3.connect(target)
    con.execute("PRAGMA user_version = 99")
    con.close()
    before = digest(target)
    for args in (("check", "--db", target), ("export-student", "1", "--db", target, "--out",
                                               tmp_path / "x.json")):
        result = run(*args)
        assert result.returncode != 0
        assert "nieuwere versie" in result.stderr
    assert digest(target) == before


def test_import_then_export_student_from_the_command_line(tmp_path):
    import json

    target = tmp_path / "school.sqlite"
    assert run("init", "--db", target, "--no-encryption").returncode == 0
    export = tmp_path / "magister.csv"
    export.write_bytes(
        "Stamnummer;Roepnaam;Tussenvoegsel;Achternaam;Geboortedatum;Klas\r\n"
        "004512;Zoë;van der;Meer;3-4-2012;2B\r\n"
        "004513;Daan;;Çelik;12-11-2011;2B\r\n".encode("cp1252"))
    dry = run("import-students", export, "--db", target, "--dry-run")
    assert dry.returncode == 0, dry.stderr
    assert run("export-student", "004512", "--db", target, "--out",
               tmp_path / "x.json").returncode != 0  # nothing written by the dry run
    done = run("import-students", export, "--db", target)
    assert done.returncode == 0, done.stderr
    out = tmp_path / "inzage.json"
    result = run("export-student", "004512", "--db", target, "--out", out)
    assert result.returncode == 0, result.stderr
    assert "niet versleuteld" in result.stdout  # an export is plaintext, and says so
    data = json.loads(out.read_text("utf-8"))
    text = json.dumps(data, ensure_ascii=False)
    assert "Zoë" in text and "004512" in text
    missing = run("export-student", "999999", "--db", target, "--out", tmp_path / "y.json")
    assert missing.returncode != 0 and "Traceback" not in missing.stderr


def test_import_refuses_a_broken_file_and_changes_nothing(tmp_path):
    target = tmp_path / "school.sqlite"
    assert run("init", "--db", target, "--no-encryption").returncode == 0
    before = digest(target)
    broken = tmp_path / "kapot.csv"
    broken.write_text("Stamnummer;Roepnaam;Achternaam;Klas\n1;Sem;Bos;1A\n1;Sem;Bos;1A\n",
                      encoding="utf-8")
    result = run("import-students", broken, "--db", target)
    assert result.returncode != 0
    assert "rij" in (result.stdout + result.stderr).lower()
    assert digest(target) == before


def test_admin_commands_act_as_who_signed_in(tmp_path, monkeypatch):
    """On an encrypted school the command line signs a person in; what it then does is theirs
    and within their rights: a beheerder who reads no dossiers gets no AVG export of a
    student's dossier on the command line either (the care coordinator does), and the audit
    trail names the person, not 'system'."""
    from pestdesk.services import accounts, users
    from pestdesk.services.base import write
    from pestdesk.store import models as m
    from tests.helpers import crypt

    crypt.fast_slots(monkeypatch)
    path = tmp_path / "school.sqlite"
    school = crypt.encrypted_school(path)  # its set-up user: beheerder and care coordinator
    setup = accounts.sign_in(school.username, school.password)
    with write():
        staff = m.Staff.create(code="IT", last_name="Systeembeheer", roles="beheerder")
        m.Student.create(number="310001", first_name="Sanne", last_name="Visser")
    users.create_user(setup, staff.id, "it", "Alleen-Beheer-Geen-Dossiers")
    m.database.obj.close()
    out = tmp_path / "inzage.json"
    # a password the beheerder set works nowhere until its owner chose their own
    first = run("export-student", "--db", path, "--out", out, "310001",
                PESTDESK_USER="it", PESTDESK_PASSWORD="Alleen-Beheer-Geen-Dossiers")
    assert first.returncode != 0 and "eigen wachtwoord" in first.stderr, first.stderr
    from pestdesk.services import encryption

    it = encryption.sign_in(path, "it", "Alleen-Beheer-Geen-Dossiers")
    assert it.must_change_password
    users.change_own_password(it, "Alleen-Beheer-Geen-Dossiers", "Eigen-Beheer-Geen-Dossiers",
                              "Eigen-Beheer-Geen-Dossiers")
    m.database.obj.close()
    refused = run("export-student", "--db", path, "--out", out, "310001",
                  PESTDESK_USER="it", PESTDESK_PASSWORD="Eigen-Beheer-Geen-Dossiers")
    assert refused.returncode != 0 and "rechten" in refused.stderr, refused.stderr
    assert not out.exists() and "Traceback" not in refused.stderr
    done = run("export-student", "--db", path, "--out", out, "310001",
               PESTDESK_USER=school.username, PESTDESK_PASSWORD=school.password)
    assert done.returncode == 0, done.stderr
    assert "Visser" in out.read_text(encoding="utf-8")
    encryption.unlock(path, school.username, school.password)
    exports = [a.user for a in m.AuditLog.select().where(m.AuditLog.action == "export")]
    assert exports == [setup.user_id]  # not None: the person, not 'system'
    m.database.obj.close()


def test_purge_keeps_a_student_of_an_open_case_and_says_why(tmp_path):
    """``pestdesk purge`` on a real file: the dry run lists who waits (numbers, no names)
    and changes nothing; the purge deletes the student past the period and keeps the one
    still involved in an open case, with that case whole."""
    import datetime as dt

    from pestdesk.services.base import SYSTEM, create, write
    from pestdesk.store import models as m
    from pestdesk.store.db import create_database, open_database

    path = tmp_path / "school.sqlite"
    database = create_database(path)
    with write():
        waits = create(SYSTEM, m.Student, number="810001", first_name="Wachter",
                       last_name="Open", left_on=dt.date(2020, 7, 1))
        goes = create(SYSTEM, m.Student, number="810002", first_name="Vertrokken",
                      last_name="Dicht", left_on=dt.date(2020, 7, 1))
        running = create(SYSTEM, m.Case, number="2020-0031", reported_on=dt.date(2020, 3, 1))
        create(SYSTEM, m.Involvement, case=running, student=waits, role="gepeste")
        done = create(SYSTEM, m.Case, number="2020-0032", reported_on=dt.date(2020, 3, 1),
                      status="closed")
        create(SYSTEM, m.Involvement, case=done, student=goes, role="pester")
    database.close()
    before = digest(path)
    dry = run("purge", "--db", path, "--dry-run", PESTDESK_TODAY="2026-09-01")
    assert dry.returncode == 0, dry.stderr
    assert "leerling 810001: open melding 2020-0031" in dry.stdout
    assert "wacht" in dry.stdout and "Wachter" not in dry.stdout
    assert digest(path) == before
    done_run = run("purge", "--db", path, PESTDESK_TODAY="2026-09-01")
    assert done_run.returncode == 0, done_run.stderr
    assert "810001" in done_run.stdout and "Traceback" not in done_run.stderr
    database = open_database(path)
    try:
        assert [s.number for s in m.Student.select()] == ["810001"]
        assert [c.number for c in m.Case.select()] == ["2020-0031"]
        assert m.Involvement.select().where(m.Involvement.case == running.id).count() == 1
    finally:
        database.close()


def test_an_encrypted_backup_restored_on_another_computer(tmp_path, monkeypatch):
    """Only the backup and its key file reach the new computer: the recovery key (or a
    beheerder's password) opens the backup read-only, the restore writes a new database
    with the key file beside it, the backup stays as it was, and `check` is healthy."""
    import shutil

    from pestdesk.services import encryption
    from pestdesk.store.keyfile import sidecar_path
    from pestdesk.store.models import database
    from tests.helpers import crypt

    school_dir, other = tmp_path / "school", tmp_path / "andere-pc"
    school_dir.mkdir()
    other.mkdir()
    crypt.fast_slots(monkeypatch)
    school = crypt.encrypted_school(school_dir / "school.sqlite")
    database.close()
    encryption.forget_all()
    admin = {"PESTDESK_USER": crypt.ADMIN, "PESTDESK_PASSWORD": crypt.PASSWORD}
    made = run("backup", "--db", school.path, school_dir / "kopie.sqlite", **admin)
    assert made.returncode == 0, made.stderr
    for name in ("kopie.sqlite", "kopie.sqlite.keys"):
        shutil.copy(school_dir / name, other / name)
    backup = other / "kopie.sqlite"
    before = digest(backup), digest(sidecar_path(backup))
    for target, secret in ((other / "hersteld.sqlite",
                            {"PESTDESK_RECOVERY_KEY": school.recovery_key}),
                           (other / "met-wachtwoord.sqlite", admin)):
        restored = run("restore", "--db", target, backup, **secret)
        assert restored.returncode == 0, restored.stdout + restored.stderr
        assert not target.read_bytes().startswith(b"SQLite format 3")
        assert sidecar_path(target).exists()
        check = run("check", "--db", target, **admin)
        assert check.returncode == 0 and "In orde." in check.stdout, check.stdout
    assert (digest(backup), digest(sidecar_path(backup))) == before
    wrong = run("restore", "--db", other / "fout.sqlite", backup, PESTDESK_USER=crypt.ADMIN,
                PESTDESK_PASSWORD="fout-fout-fout")
    assert wrong.returncode == 2 and "verkeerd wachtwoord" in wrong.stderr
    assert not (other / "fout.sqlite").exists()
