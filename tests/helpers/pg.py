"""The suites on PostgreSQL: with PESTDESK_TEST_PG=<admin URL> (``scripts/test --pg`` starts
a throw-away cluster and sets it) the ``db`` fixture gives each test a fresh pestdesk
database on the server: one database per run, migrated once, and reset before each test
(every table emptied with TRUNCATE, identities restarted, the rows the migrations wrote put
back: the settings, the first school; ~30 ms where CREATE DATABASE costs a second or more).
A test that changed the schema itself (dropped a trigger, revoked a right) is noticed by
a fingerprint of the schema, and the database is then made anew. Tests of what only a
file has (the SQLite header, SQLCipher, journals, the backup API, file permissions) carry
``sqlite_only``."""

from __future__ import annotations

import itertools
import os
from urllib.parse import urlsplit

ADMIN_URL = os.environ.get("PESTDESK_TEST_PG", "")
_counter = itertools.count(1)
_template: str | None = None


def active() -> bool:
    return bool(ADMIN_URL)


def url_for(name: str, admin: str | None = None) -> str:
    """The admin URL with another database name."""
    parts = urlsplit(admin or ADMIN_URL)
    return parts._replace(path="/" + name).geturl()


def admin_execute(*statements: str) -> None:
    import psycopg

    with psycopg.connect(ADMIN_URL, autocommit=True) as con:
        for statement in statements:
            con.execute(statement)


def template() -> str:
    """The name of this run's migrated template database (made on first use)."""
    global _template
    if _template is None:
        from pestdesk.store.db import create_database

        name = f"pestdesk_tpl_{os.getpid()}"
        admin_execute(f'DROP DATABASE IF EXISTS "{name}"', f'CREATE DATABASE "{name}"')
        create_database(url_for(name)).close()
        _template = name
    return _template


def fresh_database(empty: bool = False) -> str:
    """A new database for one test: the URL (a migrated copy of the template, or empty)."""
    name = f"pestdesk_t_{os.getpid()}_{next(_counter)}"
    if empty:
        admin_execute(f'CREATE DATABASE "{name}"')
    else:
        admin_execute(f'CREATE DATABASE "{name}" TEMPLATE "{template()}"')
    return url_for(name)


_run_db: str | None = None
_initial: dict = {}

FINGERPRINT = """
SELECT md5(coalesce(string_agg(x, '|' ORDER BY x), '')) FROM (
  SELECT table_name || '.' || column_name || ':' || data_type || ':' || is_nullable
         || ':' || coalesce(column_default, '') AS x
  FROM information_schema.columns WHERE table_schema = 'public'
  UNION ALL SELECT tgname || ':' || tgenabled::text || ':' || tgrelid::regclass::text
  FROM pg_trigger WHERE NOT tgisinternal
  UNION ALL SELECT indexname FROM pg_indexes WHERE schemaname = 'public'
  UNION ALL SELECT proname || ':' || md5(prosrc) FROM pg_proc
  WHERE pronamespace = 'public'::regnamespace
  UNION ALL SELECT grantee || ':' || table_name || ':' || privilege_type
  FROM information_schema.role_table_grants WHERE table_schema = 'public'
  UNION ALL SELECT rolname FROM pg_roles
) AS parts"""


def reset_database() -> str:
    """This run's database, emptied back to a freshly migrated one; its URL."""
    global _run_db
    import psycopg

    if _run_db is None:
        _make_run_db()
    url = url_for(_run_db)
    with psycopg.connect(url, autocommit=True) as con:
        if con.execute(FINGERPRINT).fetchone()[0] != _initial["fingerprint"]:
            con.close()
            _make_run_db()
            return url_for(_run_db)
        tables = [r[0] for r in con.execute(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public' "
            "AND tablename <> 'pestdesk_meta'")]
        with con.transaction():
            con.execute("SET LOCAL session_replication_role = replica")  # triggers off
            con.execute("TRUNCATE " + ", ".join(f'"{t}"' for t in tables)
                        + " RESTART IDENTITY CASCADE")
            for table, rows in _initial["rows"].items():
                for row in rows:
                    marks = ", ".join(["%s"] * len(row))
                    con.execute(f'INSERT INTO "{table}" VALUES ({marks})', row)
                if table in _initial["identities"]:
                    con.execute(f"SELECT setval(pg_get_serial_sequence('\"{table}\"', 'id'), "
                                f'(SELECT max("id") FROM "{table}"))')
            con.execute('UPDATE "pestdesk_meta" SET "schema_version" = %s, "app_role" = %s',
                        _initial["meta"])
    return url


def _make_run_db() -> None:
    global _run_db
    import psycopg

    from pestdesk.store.db import create_database

    name = f"pestdesk_run_{os.getpid()}"
    admin_execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)', f'CREATE DATABASE "{name}"')
    create_database(url_for(name)).close()
    with psycopg.connect(url_for(name), autocommit=True) as con:
        tables = [r[0] for r in con.execute(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public' "
            "AND tablename <> 'pestdesk_meta'")]
        # what the migrations wrote (settings, the first school) comes back after each reset
        _initial["rows"] = {t: rows for t in tables
                            if (rows := con.execute(f'SELECT * FROM "{t}"').fetchall())}
        _initial["identities"] = {r[0] for r in con.execute(
            "SELECT table_name FROM information_schema.columns WHERE table_schema = 'public' "
            "AND column_name = 'id' AND is_identity = 'YES'")} & set(_initial["rows"])
        _initial["meta"] = con.execute(
            'SELECT "schema_version", "app_role" FROM "pestdesk_meta"').fetchone()
        _initial["fingerprint"] = con.execute(FINGERPRINT).fetchone()[0]
    _run_db = name


def drop(url: str) -> None:
    name = urlsplit(url).path.lstrip("/")
    admin_execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def drop_template() -> None:
    global _template, _run_db
    if _run_db is not None:
        admin_execute(f'DROP DATABASE IF EXISTS "{_run_db}" WITH (FORCE)')
        _run_db = None
    if _template is not None:
        admin_execute(f'DROP DATABASE IF EXISTS "{_template}" WITH (FORCE)')
        _template = None


def dump(db) -> str:
    """Every row of every table as text, for "nothing changed" comparisons on either
    database (SQLite's ``iterdump``; on PostgreSQL each table's rows in key order)."""
    from pestdesk.store.dialect import is_postgres

    if not is_postgres(db):
        return "\n".join(db.connection().iterdump())
    lines = []
    for table in db.get_tables():
        rows = db.execute_sql(f'SELECT * FROM "{table}" ORDER BY 1').fetchall()
        lines += [f"{table}: {row!r}" for row in rows]
    return "\n".join(lines)


def refuse_insert(db, name: str, table: str, column: str, value: str) -> None:
    """A trigger that makes the database refuse one row (a real refusal halfway through a
    transaction), in the dialect of ``db``."""
    from pestdesk.store.dialect import is_postgres

    if not is_postgres(db):
        db.execute_sql(f"CREATE TRIGGER {name} BEFORE INSERT ON {table} "
                       f"WHEN NEW.{column} = '{value}' BEGIN SELECT RAISE(ABORT, 'refused'); END")
        return
    db.execute_sql(f"CREATE TRIGGER {name} BEFORE INSERT ON \"{table}\" FOR EACH ROW "
                   f"WHEN (NEW.\"{column}\" = '{value}') EXECUTE FUNCTION "
                   "pestdesk_refuse('refused')")


def target_of(db, db_path):
    """What ``--db`` names for the test's database: its URL on PostgreSQL, else the file."""
    return getattr(db, "url", None) or db_path
