"""pestdesk on a school board's PostgreSQL server (peewee's ``PostgresqlDatabase``, psycopg 3).

A database is named by a libpq URL, ``postgresql://host[:port]/dbname[?sslmode=require]``.
The password never travels in it (``PasswordInUrl``: the command line and the shell's
history would keep it): libpq reads it from the pgpass file (``~/.pgpass``, or
``PGPASSFILE``), or pestdesk takes it from the system keyring (service ``pestdesk``, user
name ``user@host:port/dbname``). ``sslmode`` (``require``, ``verify-full``) is passed on.

Roles (least privilege): the *owner* role (the URL's user at ``pestdesk init``) owns the
tables and runs migrations; the *app* role that daily work connects as gets SELECT, INSERT,
UPDATE and DELETE on the tables and only SELECT and INSERT on ``audit_log`` (revoked UPDATE,
DELETE, TRUNCATE), renewed after every migration (``dialect.grant_app_role``). Besides the
revoked rights, triggers refuse every UPDATE, DELETE and TRUNCATE of the audit trail (also
for the owner). SQLCipher's file encryption does not apply: the server's disks and backups
are the board's to protect. Confidential notes are not sealed on a server database yet (the
seal's keys live in the key file of an encrypted SQLite file); ``check`` and ``init`` say so.

Backups are ``pg_dump --format=custom`` files (one consistent snapshot while others work),
checked with ``pg_restore --list``; a restore first dumps the current contents beside the
backup as a safety copy, then runs ``pg_restore --clean --single-transaction`` (all or
nothing). Both need the PostgreSQL client programs on the machine that runs them.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import psycopg
from peewee import PostgresqlDatabase
from psycopg.conninfo import conninfo_to_dict, make_conninfo

from . import dialect, errors
from .models import ALL_MODELS, database

KEYRING_SERVICE = "pestdesk"
CONNECT_TIMEOUT_S = "10"
LOCK_TIMEOUT = "15s"  # a writer waits this long for another's row lock (SQLite: busy timeout)
CORE_TABLES = frozenset({"setting", "staff", "student", "case", "event", "audit_log"})


class ServerDatabase(PostgresqlDatabase):
    """peewee's PostgreSQL database on psycopg 3, remembering the URL it was opened with
    (never with a password in it)."""

    key = None  # no SQLCipher key: the audit chain is plain SHA-256, as on a plain file

    def __init__(self, url: str, params: dict, **kwargs):
        self.url = url
        params = dict(params)
        name = params.pop("dbname", "") or params.get("user", "") or "postgres"
        super().__init__(name, prefer_psycopg3=True, **params, **kwargs)


def parse_url(url: str) -> dict:
    """The URL's connection parameters; refuses a URL with a password in it."""
    try:
        params = conninfo_to_dict(url)
    except psycopg.Error as exc:
        raise errors.BadServerUrl(url) from exc
    if params.get("password"):
        raise errors.PasswordInUrl(redact(url))
    return params


def redact(url: str) -> str:
    """The URL without anything after ``?`` and without a password: safe to print."""
    base = url.split("?", 1)[0]
    scheme, sep, rest = base.partition("://")
    if "@" in rest:
        who, _at, where = rest.rpartition("@")
        rest = f"{who.split(':', 1)[0]}@{where}"
    return f"{scheme}{sep}{rest}"


def keyring_name(params: dict) -> str:
    host = params.get("host") or "localhost"
    return (f"{params.get('user') or os.environ.get('PGUSER', '')}@{host}:"
            f"{params.get('port') or '5432'}/{params.get('dbname', '')}")


def _keyring_password(params: dict) -> str | None:
    if os.environ.get("PESTDESK_NO_KEYRING"):
        return None
    try:
        import keyring

        return keyring.get_password(KEYRING_SERVICE, keyring_name(params))
    except Exception:  # noqa: BLE001 - no keyring on this machine: libpq's pgpass then
        return None


def connect_params(url: str, *, readonly: bool = False, busy_ms: int | None = None) -> dict:
    """libpq's parameters for ``url``: the keyring's password (if any), a short connect
    timeout, UTC, and the lock wait (``busy_ms``: SQLite's busy timeout's counterpart)."""
    params = parse_url(url)
    password = _keyring_password(params)
    if password:
        params["password"] = password  # in memory only; libpq's pgpass otherwise
    params.setdefault("application_name", "pestdesk")
    params.setdefault("connect_timeout", CONNECT_TIMEOUT_S)
    wait = f"{int(busy_ms)}ms" if busy_ms else LOCK_TIMEOUT
    options = [f"-c lock_timeout={wait}", "-c TimeZone=UTC", "-c jit=off"]
    if readonly:
        options.append("-c default_transaction_read_only=on")
    params["options"] = " ".join([params.get("options", ""), *options]).strip()
    return params


def raw_connect(url: str, *, readonly: bool = False, autocommit: bool = True):
    """A psycopg connection (for checks and presence reads that do not bind)."""
    try:
        return psycopg.connect(make_conninfo(**connect_params(url, readonly=readonly)),
                               autocommit=autocommit)
    except psycopg.Error as exc:
        raise connect_error(exc, url) from exc


def connect_error(exc: BaseException, url: str) -> errors.StoreError:
    text = str(exc).lower()
    where = redact(url)
    if "password" in text or "authentication" in text:
        return errors.ServerLoginFailed(where)
    if "does not exist" in text and "database" in text:
        return errors.DatabaseMissing(where)
    if "ssl" in text:
        return errors.ServerTlsFailed(where)
    return errors.ServerUnreachable(where, str(exc).splitlines()[0] if str(exc) else "")


def _make(url: str, readonly: bool = False, busy_ms: int | None = None) -> ServerDatabase:
    return ServerDatabase(url, connect_params(url, readonly=readonly, busy_ms=busy_ms))


def _connect(db: ServerDatabase) -> None:
    try:
        db.connect(reuse_if_open=True)
    except errors.DRIVER_ERRORS as exc:
        raise connect_error(exc, db.url) from exc


def _meta(db: ServerDatabase) -> tuple[int, int, str] | None:
    if dialect.META_TABLE not in db.get_tables():
        return None
    row = db.execute_sql(f'SELECT "application_id", "schema_version", "app_role" FROM '
                         f'"{dialect.META_TABLE}"').fetchone()
    return tuple(row) if row else None


def create_database(url: str, app_role: str = "") -> ServerDatabase:
    """Make the pestdesk schema in the (empty) database ``url`` names, as its owner role;
    ``app_role``: the role daily work connects as, created when missing and granted only
    what it needs. Refuses a database that already holds tables."""
    from .migrations import migrate

    db = _make(url)
    _connect(db)
    try:
        if db.get_tables():
            raise errors.DatabaseExists(redact(url))
        bind(db)
        with db.atomic():
            dialect.prepare(db)
            if app_role:
                _ensure_role(db, app_role)
                db.execute_sql(f'UPDATE "{dialect.META_TABLE}" SET "app_role" = %s',
                               (app_role,))
        migrate(db, None, backup=False)
    except BaseException:
        db.close()
        raise
    return db


def _ensure_role(db: ServerDatabase, role: str) -> None:
    exists = db.execute_sql("SELECT 1 FROM pg_roles WHERE rolname = %s", (role,)).fetchone()
    if exists:
        return
    ident = '"' + role.replace('"', '""') + '"'
    try:
        with db.atomic():
            db.execute_sql(f"CREATE ROLE {ident} LOGIN")
    except errors.DRIVER_ERRORS as exc:
        raise errors.CannotCreateRole(role) from exc


def inspect(url: str, db: ServerDatabase | None = None) -> int:
    """The schema version of the pestdesk database at ``url``; ``StoreError`` otherwise."""
    from .migrations import LATEST

    own = db is None
    db = db or _make(url, readonly=True)
    _connect(db)
    try:
        meta = _meta(db)
        tables = set(db.get_tables())
    finally:
        if own:
            db.close()
    if meta is None:
        raise (errors.NotAPestdeskDatabase(redact(url)) if tables
               else errors.EmptyServerDatabase(redact(url)))
    if meta[0] != dialect.APPLICATION_ID:
        raise errors.NotAPestdeskDatabase(redact(url))
    if meta[1] > LATEST:
        raise errors.NewerSchema(redact(url))
    if meta[1] < 1 or not CORE_TABLES <= tables:
        raise errors.ForeignDatabase(redact(url))
    return meta[1]


def open_database(url: str, *, readonly: bool = False, migrate_schema: bool = True,
                  dry_run: bool = False, busy_ms: int | None = None) -> ServerDatabase:
    from .migrations import LATEST, migrate

    if dry_run:
        readonly, migrate_schema = True, False
    db = _make(url, readonly=readonly, busy_ms=busy_ms)
    _connect(db)
    try:
        version = inspect(url, db)
        if dry_run and version < LATEST:
            raise errors.OlderSchema(redact(url))
        bind(db)
        if version < LATEST and migrate_schema:
            if readonly:
                raise errors.ReadOnlyDatabase(redact(url))
            try:
                migrate(db, None, backup=False)
            except errors.DRIVER_ERRORS as exc:
                if "permission denied" in str(exc).lower() or "must be owner" in str(exc):
                    raise errors.MigrationNeedsOwner(redact(url)) from exc
                raise
    except BaseException:
        db.close()
        raise
    return db


def bind(db: ServerDatabase) -> None:
    database.initialize(db)
    db.bind(ALL_MODELS)


def present_usernames(url: str, since) -> list[str]:
    try:
        con = raw_connect(url, readonly=True)
    except errors.StoreError:
        return []
    try:
        rows = con.execute("SELECT DISTINCT username FROM presence WHERE heartbeat_at >= %s",
                           (since,)).fetchall()
    except psycopg.Error:
        return []
    finally:
        con.close()
    return sorted(r[0] or "?" for r in rows)


def integrity_problems(db: ServerDatabase) -> list[str]:
    """What ``check`` finds wrong on PostgreSQL beyond the audit chain: constraints that are
    not validated, the append-only triggers missing or disabled, an application role that
    may UPDATE, DELETE or TRUNCATE the audit trail. Plain English details (the caller words
    the verdict)."""
    problems = []
    for (name, table) in db.execute_sql(
            "SELECT c.conname, t.relname FROM pg_constraint c JOIN pg_class t "
            "ON t.oid = c.conrelid JOIN pg_namespace n ON n.oid = t.relnamespace "
            "WHERE n.nspname = current_schema() AND NOT c.convalidated").fetchall():
        problems.append(f"constraint {name} on {table} not validated")
    found = dict(db.execute_sql(
        "SELECT tgname, tgenabled FROM pg_trigger WHERE tgrelid = '\"audit_log\"'::regclass "
        "AND NOT tgisinternal").fetchall())
    for name in expected_triggers():
        if name not in found:
            problems.append(f"trigger {name} missing")
        elif found[name] == "D":
            problems.append(f"trigger {name} disabled")
    meta = _meta(db)
    role = meta[2] if meta else ""
    if role:
        for right in ("UPDATE", "DELETE", "TRUNCATE"):
            if db.execute_sql("SELECT has_table_privilege(%s, 'audit_log', %s)",
                              (role, right)).fetchone()[0]:
                problems.append(f"role {role} may {right} audit_log")
    return problems


def quick_check(url: str) -> str:
    """The start-up check of a server database, on a read-only connection of its own (it
    runs off the GUI thread): "ok", or what ``integrity_problems`` finds. The server checks
    its own pages; this is what pestdesk relies on beyond them."""
    db = _make(url, readonly=True)
    try:
        _connect(db)
        problems = integrity_problems(db)
    except errors.StoreError as exc:
        return str(exc)
    except errors.DRIVER_ERRORS as exc:
        return str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    finally:
        db.close()
    return "; ".join(problems) if problems else "ok"


def expected_triggers() -> list[str]:
    from .migrations import created_triggers

    names = []
    for name, sql in created_triggers("0002_audit_append_only.sql").items():
        names.append(name)
        if "BEFORE DELETE" in sql.upper():
            names.append(f"{name}_truncate")
    return names


def app_role(db: ServerDatabase) -> str:
    meta = _meta(db)
    return meta[2] if meta else ""


def pg_tool(name: str) -> str:
    """The path of a PostgreSQL client program (pg_dump, pg_restore)."""
    found = shutil.which(name)
    if found:
        return found
    for folder in sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True):
        if (folder / name).exists():
            return str(folder / name)
    raise errors.ServerToolMissing(name)


def _tool_env(url: str) -> tuple[dict, str | None]:
    """The environment for pg_dump/pg_restore: the connection as a conninfo string (no
    password on the command line); a keyring password goes through a temporary pgpass file
    in a private folder (mode 0600), removed right after."""
    params = connect_params(url)
    password = params.pop("password", None)
    env = dict(os.environ)
    folder = None
    if password:
        folder = tempfile.mkdtemp(prefix="pestdesk-pgpass-")
        passfile = Path(folder) / "pgpass"
        fields = [params.get("host") or "*", params.get("port") or "*",
                  params.get("dbname") or "*", params.get("user") or "*", password]
        escaped = [f.replace("\\", "\\\\").replace(":", "\\:") for f in fields]
        fd = os.open(passfile, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(":".join(escaped) + "\n")
        env["PGPASSFILE"] = str(passfile)
    params.pop("options", None)
    return env | {"PESTDESK_CONNINFO": make_conninfo(**params)}, folder


def dump(url: str, dest: Path) -> Path:
    """``pg_dump --format=custom`` of the whole database into ``dest`` (one consistent
    snapshot, taken while others work); checked by listing it with ``pg_restore --list``
    before it is reported good. A failed dump leaves no file."""
    if dest.is_dir():
        dest = dest / f"{parse_url(url).get('dbname') or 'pestdesk'}.backup.pgdump"
    if dest.exists():
        raise errors.DatabaseExists(dest)
    if not dest.parent.is_dir():
        raise errors.DatabaseMissing(dest.parent)
    tmp = dest.with_name(dest.name + ".partial")
    env, folder = _tool_env(url)
    try:
        done = subprocess.run([pg_tool("pg_dump"), "--format=custom", "--no-owner",
                               "--no-privileges", "--file", str(tmp), "--dbname",
                               env["PESTDESK_CONNINFO"]],
                              env=env, capture_output=True, text=True, timeout=3600)
        if done.returncode != 0:
            raise errors.ServerToolFailed("pg_dump", _first_line(done.stderr))
        listed = subprocess.run([pg_tool("pg_restore"), "--list", str(tmp)],
                                capture_output=True, text=True, timeout=600)
        if listed.returncode != 0 or "TABLE DATA public audit_log" not in listed.stdout:
            raise errors.ServerToolFailed("pg_restore --list", _first_line(listed.stderr))
        os.replace(tmp, dest)
    finally:
        tmp.unlink(missing_ok=True)
        if folder:
            shutil.rmtree(folder, ignore_errors=True)
    return dest


def restore(url: str, backup: Path) -> None:
    """Put a ``dump`` back into the database ``url`` names, in ONE transaction
    (``pg_restore --clean --single-transaction``): the old contents go and the backup's come,
    or nothing changes. Needs the owner role. The application role's grants are renewed."""
    if not backup.exists():
        raise errors.DatabaseMissing(backup)
    env, folder = _tool_env(url)
    try:
        done = subprocess.run([pg_tool("pg_restore"), "--clean", "--if-exists",
                               "--single-transaction", "--exit-on-error", "--no-owner",
                               "--no-privileges", "--dbname", env["PESTDESK_CONNINFO"],
                               str(backup)],
                              env=env, capture_output=True, text=True, timeout=3600)
    finally:
        if folder:
            shutil.rmtree(folder, ignore_errors=True)
    if done.returncode != 0:
        raise errors.ServerToolFailed("pg_restore", _first_line(done.stderr))
    db = _make(url)
    _connect(db)
    try:
        dialect.grant_app_role(db)
    finally:
        db.close()


def _first_line(text: str) -> str:
    return (text or "").strip().splitlines()[0] if (text or "").strip() else ""
