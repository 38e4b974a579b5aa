"""pestdesk on PostgreSQL: the URL rules (no password on the command line), one schema for
both dialects, the append-only audit trail (trigger AND revoked rights for the app role),
check, backup and restore with pg_dump, the CLI against a real server.

The tests that need a server run with PESTDESK_TEST_PG (``scripts/test --pg``)."""

from __future__ import annotations

import os
import re
from urllib.parse import urlsplit

import psycopg
import pytest

from pestdesk import cli
from pestdesk.store import dialect, errors, server
from pestdesk.store.db import create_database, open_database
from tests.helpers import pg

needs_server = pytest.mark.skipif(not pg.active(), reason="needs PESTDESK_TEST_PG")


def test_a_url_with_a_password_is_refused_in_dutch(capsys):
    with pytest.raises(errors.PasswordInUrl) as caught:
        server.parse_url("postgresql://app:geheim123@db.bestuur.nl/pestdesk")
    assert "geheim123" not in str(caught.value)
    assert "wachtwoord" in str(caught.value) and "pgpass" in str(caught.value)
    code = cli.main(["check", "--db", "postgresql://app:geheim123@db.bestuur.nl/pestdesk"])
    err = capsys.readouterr().err
    assert code == cli.EXIT_ERROR
    assert "wachtwoord" in err and "geheim123" not in err
    assert "Traceback" not in err


def test_a_url_keeps_its_double_slash_and_sslmode():
    args = cli.build_parser().parse_args(
        ["check", "--db", "postgresql://db.bestuur.nl/pestdesk?sslmode=require"])
    assert args.db == "postgresql://db.bestuur.nl/pestdesk?sslmode=require"
    params = server.connect_params(args.db)
    assert params["sslmode"] == "require" and "password" not in params


def test_migrations_translate_to_postgresql():
    """Every statement of every migration has a PostgreSQL form (none is guessed)."""
    from pathlib import Path

    from pestdesk.store import migrations

    folder = Path(migrations.__file__).parent
    for sql in sorted(folder.glob("*.sql")):
        for statement in migrations._statements(sql.read_text(encoding="utf-8")):
            for text in dialect.translate(statement):
                assert "DATETIME" not in text and "BLOB" not in text and "RAISE(" not in text
    with pytest.raises(ValueError):
        dialect.translate("INSERT OR IGNORE INTO setting VALUES ('a', 'b', 1)")


def _columns(db) -> dict:
    kinds = {"integer": "int", "boolean": "bool", "character varying": "text",
             "varchar": "text", "text": "text", "timestamp without time zone": "datetime",
             "datetime": "datetime", "date": "date", "bytea": "blob", "blob": "blob",
             "bool": "bool", "int": "int", "character varying(255)": "text"}
    out = {}
    for table in db.get_tables():
        if table == dialect.META_TABLE:
            continue
        cols = {}
        for c in db.get_columns(table):
            kind = re.sub(r"\(.*\)", "", c.data_type.lower()).strip()
            cols[c.name] = (kinds.get(kind, kind), c.null, c.primary_key)
        indexes = {(i.name, tuple(i.columns), i.unique) for i in db.get_indexes(table)
                   if not i.name.endswith("_pkey") and not i.name.startswith("sqlite_")}
        fks = {(f.column, f.dest_table, f.dest_column) for f in db.get_foreign_keys(table)}
        out[table] = (cols, indexes, fks)
    return out


@needs_server
def test_one_schema_on_both_databases(tmp_path):
    """Tables, columns (kind, null, key), indexes and foreign keys are the same; a boolean
    is 0/1 in an INTEGER on SQLite and a BOOLEAN on PostgreSQL (store.dialect)."""
    lite = create_database(tmp_path / "s.pestdesk")
    try:
        expected = _columns(lite)
    finally:
        lite.close()
    server_db = open_database(pg.reset_database())
    try:
        actual = _columns(server_db)
    finally:
        server_db.close()
    booleans = dialect._boolean_columns()
    for table, (cols, _i, _f) in expected.items():
        for name, (_kind, null, key) in cols.items():
            if (table, name) in booleans:
                cols[name] = ("bool", null, key)
    assert set(actual) == set(expected)
    for table in expected:
        assert actual[table] == expected[table], table


@needs_server
def test_the_audit_trail_is_append_only_even_for_the_owner(db):
    from pestdesk.services.base import SYSTEM, audit, write

    with write():
        audit(SYSTEM, "test", "case", 1, "x")
    for statement in ('UPDATE audit_log SET detail = \'y\'', "DELETE FROM audit_log",
                      "TRUNCATE audit_log"):
        with pytest.raises(errors.DRIVER_ERRORS, match="append-only"):
            with db.atomic():
                db.execute_sql(statement)
    assert db.execute_sql("SELECT count(*) FROM audit_log").fetchone()[0] == 1


@needs_server
def test_the_app_role_may_not_rewrite_the_trail_and_check_sees_it(capsys):
    """init --app-role: the role reads and writes records and appends audit lines; UPDATE
    and DELETE on audit_log are revoked (also with the trigger gone); check says healthy,
    and NOT healthy once someone grants the role UPDATE or disables a trigger."""
    url = pg.fresh_database(empty=True)
    role = "pestdesk_app_" + urlsplit(url).path.rsplit("_", 1)[-1]
    try:
        assert cli.main(["init", "--db", url, "--app-role", role]) == cli.EXIT_OK
        out = capsys.readouterr().out
        assert role in out and "SQLCipher" in out
        app_url = url.replace("postgres@", f"{role}@", 1)
        app = open_database(app_url)
        try:
            from pestdesk.services.base import SYSTEM, audit, write

            with write():
                audit(SYSTEM, "test", "case", 1, "x")
            with pg_owner(url) as owner:
                owner.execute("ALTER TABLE audit_log DISABLE TRIGGER audit_log_no_update")
            with pytest.raises(errors.DRIVER_ERRORS, match="permission denied"):
                with app.atomic():
                    app.execute_sql("UPDATE audit_log SET detail = 'y'")
            with pg_owner(url) as owner:
                owner.execute("ALTER TABLE audit_log ENABLE TRIGGER audit_log_no_update")
        finally:
            app.close()
        assert cli.main(["check", "--db", url]) == cli.EXIT_OK
        assert "In orde." in capsys.readouterr().out
        with pg_owner(url) as owner:
            owner.execute(f'GRANT UPDATE ON audit_log TO "{role}"')
        assert cli.main(["check", "--db", url]) == cli.EXIT_UNHEALTHY
        assert f"role {role} may UPDATE audit_log" in capsys.readouterr().out
        with pg_owner(url) as owner:
            owner.execute(f'REVOKE UPDATE ON audit_log FROM "{role}"')
            owner.execute("ALTER TABLE audit_log DISABLE TRIGGER audit_log_no_delete")
        assert cli.main(["check", "--db", url]) == cli.EXIT_UNHEALTHY
        assert "audit_log_no_delete disabled" in capsys.readouterr().out
    finally:
        pg.drop(url)
        pg.admin_execute(f'DROP ROLE IF EXISTS "{role}"')


class pg_owner:
    def __init__(self, url):
        self.con = psycopg.connect(url, autocommit=True)

    def __enter__(self):
        return self.con

    def __exit__(self, *exc):
        self.con.close()


@needs_server
def test_init_refuses_a_database_that_holds_tables(capsys):
    url = pg.reset_database()
    assert cli.main(["init", "--db", url]) == cli.EXIT_ERROR
    assert "bestaat al" in capsys.readouterr().err


@needs_server
def test_an_empty_server_database_is_named_as_such(capsys):
    url = pg.fresh_database(empty=True)
    try:
        assert cli.main(["check", "--db", url]) == cli.EXIT_ERROR
        assert "pestdesk init" in capsys.readouterr().err
    finally:
        pg.drop(url)


@needs_server
def test_backup_and_restore_with_pg_dump(tmp_path, capsys):
    """backup: a pg_dump file; restore: a safety dump first, then the backup's contents
    back in one transaction (a case made after the backup is gone, the trail intact)."""
    from pestdesk.services.base import verify_audit_chain
    from pestdesk.store import models as m
    from tests.helpers.cases import School

    url = pg.reset_database()
    db = open_database(url)
    try:
        school = School(students=4)
        school.report()
        cases_before = m.Case.select().count()
    finally:
        db.close()
    assert cli.main(["backup", "--db", url, str(tmp_path)]) == cli.EXIT_OK
    dumps = list(tmp_path.glob("*.pgdump"))
    assert len(dumps) == 1 and "pg_dump" in capsys.readouterr().out
    db = open_database(url)
    try:
        school.report()
        assert m.Case.select().count() == cases_before + 1
    finally:
        db.close()
    assert cli.main(["restore", "--db", url, str(dumps[0])]) == cli.EXIT_OK
    out = capsys.readouterr().out
    assert "pg_restore" in out
    assert len(list(tmp_path.glob("*.before-restore-*.pgdump"))) == 1
    db = open_database(url)
    try:
        assert m.Case.select().count() == cases_before
        assert verify_audit_chain() is None
    finally:
        db.close()
    assert cli.main(["check", "--db", url]) == cli.EXIT_OK


@needs_server
def test_concurrent_writers_keep_one_audit_chain():
    """Eight threads write at once, each on its own connection: every line chains to the
    one before (the audit head is taken FOR UPDATE: store.dialect.lock_append)."""
    import threading

    from pestdesk.services.base import SYSTEM, audit, verify_audit_chain, write
    from pestdesk.store.models import database

    url = pg.reset_database()
    db = open_database(url)
    errors_seen = []

    def worker():
        try:
            for _ in range(10):
                with write():
                    audit(SYSTEM, "test", "case", 1, "x")
        except Exception as exc:  # noqa: BLE001 - reported below
            errors_seen.append(exc)
        finally:
            database.close()

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    try:
        assert not errors_seen
        assert db.execute_sql("SELECT count(*) FROM audit_log").fetchone()[0] == 80
        assert verify_audit_chain() is None
    finally:
        db.close()


def test_the_window_takes_a_server_url_but_no_demo_there(capsys, monkeypatch):
    from pestdesk.gui import app

    started = []
    monkeypatch.setattr(app, "run", lambda **kw: started.append(kw) or 0)
    assert cli.main(["--db", "postgresql://db.bestuur.nl/pestdesk", "--demo"]) == \
        cli.EXIT_ERROR
    assert "pestdesk demo --db URL" in capsys.readouterr().err and started == []
    assert cli.main(["--db", "postgresql://db.bestuur.nl/pestdesk"]) == cli.EXIT_OK
    assert started[0]["db"] == "postgresql://db.bestuur.nl/pestdesk"


def test_encrypt_and_a_recovery_sheet_say_sqlcipher_does_not_apply(capsys, tmp_path):
    assert cli.main(["encrypt", "--db", "postgresql://db.bestuur.nl/pestdesk"]) \
        == cli.EXIT_ERROR
    assert "SQLCipher" in capsys.readouterr().err
    assert cli.main(["init", "--db", "postgresql://db.bestuur.nl/pestdesk",
                     "--recovery-sheet", str(tmp_path / "x.pdf")]) == cli.EXIT_ERROR
    assert "SQLCipher" in capsys.readouterr().err


def _tcp_url(user: str, dbname: str, query: str = "") -> str:
    from urllib.parse import parse_qs

    port = parse_qs(urlsplit(pg.ADMIN_URL).query)["port"][0]
    return f"postgresql://{user}@127.0.0.1:{port}/{dbname}" + (f"?{query}" if query else "")


@needs_server
def test_sslmode_require_refuses_a_server_without_tls(capsys):
    """The test cluster has no TLS: asking for it is refused, in Dutch, nothing done."""
    url = _tcp_url("postgres", "postgres", "sslmode=require")
    with pytest.raises(errors.ServerTlsFailed):
        open_database(url)
    assert cli.main(["check", "--db", url]) == cli.EXIT_ERROR
    assert "TLS" in capsys.readouterr().err


@needs_server
def test_the_password_comes_from_the_pgpass_file(tmp_path, monkeypatch, capsys):
    role = f"pestdesk_pw_{os.getpid()}"
    secret = "Pgpass-Only-" + os.urandom(6).hex()
    pg.admin_execute(f'DROP ROLE IF EXISTS "{role}"',
                     f"CREATE ROLE \"{role}\" LOGIN PASSWORD '{secret}'")
    url = pg.reset_database()
    dbname = urlsplit(url).path.lstrip("/")
    pg.admin_execute(f'GRANT CONNECT ON DATABASE "{dbname}" TO "{role}"')
    try:
        tcp = _tcp_url(role, dbname)
        monkeypatch.setenv("PGPASSFILE", str(tmp_path / "none"))
        monkeypatch.setenv("PESTDESK_NO_KEYRING", "1")
        with pytest.raises(errors.ServerLoginFailed) as refused:
            open_database(tcp)
        assert "pgpass" in str(refused.value)
        passfile = tmp_path / "pgpass"
        passfile.write_text(f"127.0.0.1:*:{dbname}:{role}:{secret}\n")
        passfile.chmod(0o600)
        monkeypatch.setenv("PGPASSFILE", str(passfile))
        con = server.raw_connect(tcp)
        assert con.execute("SELECT current_user").fetchone()[0] == role
        con.close()
    finally:
        pg.admin_execute(f'REVOKE CONNECT ON DATABASE "{dbname}" FROM "{role}"',
                         f'DROP ROLE IF EXISTS "{role}"')


def _run(*args, **env_vars):
    import subprocess
    import sys

    env = dict(os.environ, PESTDESK_LANG="nl", QT_QPA_PLATFORM="offscreen", **env_vars)
    return subprocess.run([sys.executable, "-m", "pestdesk", *map(str, args)],
                          capture_output=True, text=True, env=env, timeout=180,
                          stdin=subprocess.DEVNULL)


@needs_server
def test_import_export_and_a_refused_import_from_the_command_line(tmp_path):
    """init, import-students (dry run, real), export-student and a broken import that
    changes no row, each a real `pestdesk` process against the server."""
    import json

    url = pg.fresh_database(empty=True)
    try:
        assert _run("init", "--db", url).returncode == 0
        export = tmp_path / "magister.csv"
        export.write_bytes(
            "Stamnummer;Roepnaam;Tussenvoegsel;Achternaam;Geboortedatum;Klas\r\n"
            "004512;Zoë;van der;Meer;3-4-2012;2B\r\n"
            "004513;Daan;;Çelik;12-11-2011;2B\r\n".encode("cp1252"))
        dry = _run("import-students", export, "--db", url, "--dry-run")
        assert dry.returncode == 0, dry.stderr
        assert _run("export-student", "004512", "--db", url, "--out",
                    tmp_path / "x.json").returncode != 0  # the dry run wrote nothing
        done = _run("import-students", export, "--db", url)
        assert done.returncode == 0, done.stderr
        out = tmp_path / "inzage.json"
        result = _run("export-student", "004512", "--db", url, "--out", out)
        assert result.returncode == 0, result.stderr
        assert "Zoë" in json.dumps(json.loads(out.read_text("utf-8")), ensure_ascii=False)
        db = open_database(url)
        try:
            before = pg.dump(db)
        finally:
            db.close()
        broken = tmp_path / "kapot.csv"
        broken.write_text("Stamnummer;Roepnaam;Achternaam;Klas\n1;Sem;Bos;1A\n1;Sem;Bos;1A\n",
                          encoding="utf-8")
        refused = _run("import-students", broken, "--db", url)
        assert refused.returncode != 0 and "Traceback" not in refused.stderr
        db = open_database(url)
        try:
            assert pg.dump(db) == before
        finally:
            db.close()
    finally:
        pg.drop(url)


@needs_server
def test_purge_on_the_server_keeps_a_student_of_an_open_case():
    import datetime as dt

    from pestdesk.services.base import SYSTEM, create, write
    from pestdesk.store import models as m

    url = pg.reset_database()
    database = open_database(url)
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
    before = pg.dump(database)
    database.close()
    dry = _run("purge", "--db", url, "--dry-run", PESTDESK_TODAY="2026-09-01")
    assert dry.returncode == 0, dry.stderr
    assert "leerling 810001: open melding 2020-0031" in dry.stdout
    database = open_database(url)
    assert pg.dump(database) == before
    database.close()
    purged = _run("purge", "--db", url, PESTDESK_TODAY="2026-09-01")
    assert purged.returncode == 0, purged.stderr
    database = open_database(url)
    try:
        assert [s.number for s in m.Student.select()] == ["810001"]
        assert [c.number for c in m.Case.select()] == ["2020-0031"]
    finally:
        database.close()


@needs_server
def test_check_reads_the_schema_version_and_refuses_a_newer_one(capsys):
    from pestdesk.store.migrations import LATEST

    url = pg.reset_database()
    assert cli.main(["check", "--db", url]) == cli.EXIT_OK
    assert f"Schemaversie: {LATEST}" in capsys.readouterr().out
    with pg_owner(url) as owner:
        owner.execute('UPDATE "pestdesk_meta" SET "schema_version" = %s', (LATEST + 1,))
    try:
        assert cli.main(["check", "--db", url]) == cli.EXIT_ERROR
        assert "nieuwere versie" in capsys.readouterr().err
    finally:
        with pg_owner(url) as owner:
            owner.execute('UPDATE "pestdesk_meta" SET "schema_version" = %s', (LATEST,))
