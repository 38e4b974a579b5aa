"""The ``pestdesk`` command: the GUI by default, admin subcommands for the beheerder.

Every command refuses a file that is not a pestdesk database, is damaged, is read-only when
it must write, or has a newer schema, with one clear line in the user's language and a
non-zero exit; the file is left untouched. No traceback reaches the user (set
PESTDESK_DEBUG=1 to see one): a traceback can carry personal data.

An encrypted database opens for an admin command with a beheerder's user name and password
(asked for, or PESTDESK_USER and PESTDESK_PASSWORD for scripts) or with the recovery key
(PESTDESK_RECOVERY_KEY); never on the command line, where other users and the shell's
history would see it.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys
from pathlib import Path

from . import __version__, clock, i18n
from .i18n import _

EXIT_OK, EXIT_UNHEALTHY, EXIT_ERROR = 0, 1, 2


def _target(text: str) -> Path | str:
    """``--db``: a file path, or a PostgreSQL URL (``postgresql://server/database``) kept as
    text (a Path would fold its double slash)."""
    from .store.dialect import is_server

    return text if is_server(text) else Path(text)


def _is_server(target) -> bool:
    from .store.dialect import is_server

    return is_server(target)


def default_database() -> Path:
    from platformdirs import user_data_dir

    return Path(user_data_dir("pestdesk", appauthor=False)) / "pestdesk.sqlite"


def _lang_from_argv(argv: list[str]) -> str | None:
    for i, arg in enumerate(argv):
        if arg == "--lang" and i + 1 < len(argv):
            return argv[i + 1]
        if arg.startswith("--lang="):
            return arg.split("=", 1)[1]
    return None


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="pestdesk",
        description=_("pestdesk: the school's anti-bullying protocol as daily work for the "
                      "care team. Without a command the application window opens."),
    )
    parser.add_argument("--version", action="version", version=f"pestdesk {__version__}",
                        help=_("show program's version number and exit"))
    parser.add_argument("--db", metavar=_("PATH"), type=_target,
                        help=_("the database file (default: {path})").format(
                            path=default_database()))
    parser.add_argument("--lang", choices=i18n.LANGUAGES,
                        help=_("language of the user interface (default: nl)"))
    parser.add_argument("--demo", action="store_true",
                        help=_("open a fresh copy of a demo school"))
    parser.add_argument("--demo-if-new", action="store_true",
                        help=_("fill the database with a demo school when it does not exist yet"))
    sub = parser.add_subparsers(dest="command", metavar=_("COMMAND"))

    p = sub.add_parser("init", help=_("create a new, empty database"))
    p.add_argument("--db", metavar=_("PATH"), type=_target, required=True,
                   help=_("the new database file"))
    p.add_argument("--no-encryption", action="store_true",
                   help=_("leave the file unencrypted (only for trying pestdesk out)"))
    p.add_argument("--recovery-sheet", metavar=_("FILE"), type=Path,
                   help=_("also write the recovery key as a printable PDF sheet (print it, "
                          "then delete the file)"))
    p.add_argument("--app-role", metavar=_("ROLE"), default="",
                   help=_("PostgreSQL only: the role pestdesk connects as for daily work, "
                          "created when missing and given only what it needs (no UPDATE or "
                          "DELETE on the audit trail)"))

    p = sub.add_parser("demo", help=_("create a new database filled with a demo school"))
    p.add_argument("--db", metavar=_("PATH"), type=_target, required=True,
                   help=_("the new database file"))
    p.add_argument("--students", type=int, default=600, help=_("number of students (600)"))
    p.add_argument("--years", type=int, default=2, help=_("school years of history (2)"))
    p.add_argument("--seed", type=int, default=1, help=_("random seed (1)"))

    p = sub.add_parser("check", help=_("check a database: integrity, schema version, counts"))
    p.add_argument("--db", metavar=_("PATH"), type=_target, required=True,
                   help=_("the database file"))

    p = sub.add_parser("backup", help=_("make a consistent copy while others may use it"))
    p.add_argument("--db", metavar=_("PATH"), type=_target, required=True,
                   help=_("the database file"))
    p.add_argument("dest", metavar=_("DEST"), type=Path,
                   help=_("the backup file or folder"))

    p = sub.add_parser("restore", help=_("put a backup back (keeps a safety copy first)"))
    p.add_argument("--db", metavar=_("PATH"), type=_target, required=True,
                   help=_("the database file"))
    p.add_argument("backup", metavar=_("BACKUP"), type=Path, help=_("the backup file"))
    p.add_argument("--force", action="store_true",
                   help=_("restore even while others have the database open"))

    p = sub.add_parser("encrypt", help=_("encrypt an existing database in place"))
    p.add_argument("--db", metavar=_("PATH"), type=_target, required=True,
                   help=_("the database file"))
    p.add_argument("--force", action="store_true",
                   help=_("encrypt even while others have the database open"))
    p.add_argument("--recovery-sheet", metavar=_("FILE"), type=Path,
                   help=_("also write the recovery key as a printable PDF sheet (print it, "
                          "then delete the file)"))

    p = sub.add_parser("purge", help=_("delete the data of students past the retention period"))
    p.add_argument("--db", metavar=_("PATH"), type=_target, required=True,
                   help=_("the database file"))
    p.add_argument("--dry-run", action="store_true",
                   help=_("only report what would be deleted"))
    _school_option(p)

    _add_people_commands(sub)
    _add_board_commands(sub)
    return parser


def _school_option(p) -> None:
    p.add_argument("--school", metavar=_("NAME"),
                   help=_("the school, in a database of several schools (a board)"))


def _add_board_commands(sub) -> None:
    p = sub.add_parser("add-school", help=_("add a school to a database of several schools"))
    p.add_argument("name", metavar=_("NAME"), help=_("the name of the new school"))
    p.add_argument("--db", metavar=_("PATH"), type=_target, required=True,
                   help=_("the database file"))

    p = sub.add_parser("link-staff", help=_(
        "let a staff member work for another school too (two locations, the bestuur)"))
    p.add_argument("code", metavar=_("CODE"), help=_("the staff member's code"))
    p.add_argument("--db", metavar=_("PATH"), type=_target, required=True,
                   help=_("the database file"))
    p.add_argument("--school", metavar=_("NAME"), required=True,
                   help=_("the school that added the staff member"))
    p.add_argument("--to", metavar=_("NAME"), required=True,
                   help=_("the school they work for too"))

    p = sub.add_parser("migrate", help=_(
        "copy one school's own database into a database of several schools (the source "
        "stays untouched)"))
    p.add_argument("--from", dest="source", metavar=_("PATH"), type=Path, required=True,
                   help=_("the school's own database file"))
    p.add_argument("--to", dest="target", metavar=_("PATH"), type=_target, required=True,
                   help=_("the database of several schools"))
    p.add_argument("--school", metavar=_("NAME"), required=True,
                   help=_("the name of the school in the database of several schools"))


def _add_people_commands(sub) -> None:
    p = sub.add_parser("import-students",
                       help=_("import or sync students from a Magister/SOMtoday export"))
    p.add_argument("file", metavar=_("FILE"), type=Path, help=_("CSV or XLSX export"))
    p.add_argument("--db", metavar=_("PATH"), type=_target, help=_("the database file"))
    p.add_argument("--dry-run", action="store_true",
                   help=_("only report what would change"))
    _school_option(p)

    p = sub.add_parser("import-staff", help=_("import or update staff from a CSV export"))
    p.add_argument("file", metavar=_("FILE"), type=Path, help=_("CSV or XLSX export"))
    p.add_argument("--db", metavar=_("PATH"), type=_target, help=_("the database file"))
    p.add_argument("--dry-run", action="store_true",
                   help=_("only report what would change"))
    _school_option(p)

    p = sub.add_parser("export-student",
                       help=_("export everything stored about one student (AVG access request)"))
    p.add_argument("number", metavar=_("NUMBER"), help=_("the student number"))
    p.add_argument("--db", metavar=_("PATH"), type=_target, help=_("the database file"))
    p.add_argument("--out", metavar=_("FILE"), type=Path, required=True,
                   help=_("the JSON file to write"))
    _school_option(p)


def fail(message: str, code: int = EXIT_ERROR) -> int:
    print(f"pestdesk: {message}", file=sys.stderr)
    return code


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    i18n.set_language(_lang_from_argv(argv))
    from . import argparse_nl

    argparse_nl.install()
    args = build_parser().parse_args(argv)
    from .services.base import ServiceError
    from .store.errors import StoreError

    try:
        return _dispatch(args)
    except (StoreError, ServiceError) as exc:
        return fail(str(exc))
    except KeyboardInterrupt:
        return fail(_("Interrupted."))
    except Exception as exc:  # no traceback: it may carry personal data
        if os.environ.get("PESTDESK_DEBUG"):
            raise
        return fail(_("Unexpected internal error ({kind}). Run 'pestdesk check' to see the "
                      "state of the database.").format(kind=type(exc).__name__))


def _dispatch(args: argparse.Namespace) -> int:
    command = args.command
    if command is None:
        return _run_gui(args)
    handlers = {
        "init": cmd_init,
        "demo": cmd_demo,
        "check": cmd_check,
        "backup": cmd_backup,
        "restore": cmd_restore,
        "purge": cmd_purge,
        "encrypt": cmd_encrypt,
        "import-students": cmd_import_students,
        "import-staff": cmd_import_staff,
        "export-student": cmd_export_student,
        "add-school": cmd_add_school,
        "migrate": cmd_migrate,
        "link-staff": cmd_link_staff,
    }
    return handlers[command](args)


def _db_arg(args) -> Path:
    return args.db or default_database()


def cmd_init(args) -> int:
    from .services import encryption
    from .store.db import create_database

    if _is_server(args.db):
        from .store import server

        if args.recovery_sheet:
            return fail(_("File encryption (SQLCipher) does not apply to a PostgreSQL "
                          "database, so there is no recovery key sheet."))
        server.create_database(args.db, app_role=args.app_role).close()
        print(_("Created the pestdesk tables in the PostgreSQL database {path}.").format(
            path=server.redact(args.db)))
        print(_("File encryption (SQLCipher) does not apply to a PostgreSQL database: the "
                "server's disks and backups are protected by its administrator. Confidential "
                "notes are not sealed on a server database yet: pestdesk's own rules still decide "
                "who sees them, but the server's administrator can read them."))
        if args.app_role:
            print(_("Daily work connects as the role {role}: it may read and write the "
                    "records and add audit lines, never change or remove them.").format(
                        role=args.app_role))
        return EXIT_OK
    if args.app_role:
        return fail(_("--app-role is for a PostgreSQL database."))
    if args.no_encryption:
        create_database(args.db).close()
        print(_("Created an empty pestdesk database: {path}").format(path=args.db))
        return EXIT_OK
    new = encryption.create_encrypted(args.db)
    print(_("Created an empty, encrypted pestdesk database: {path}").format(path=args.db))
    print(_("Its key file: {path}. Keep the two together; every backup copies both.").format(
        path=encryption.keyfile.sidecar_path(args.db)))
    print(_("Recovery key (write it down now and keep it in a safe place; it is shown only "
            "once). It opens the database when every password is lost; whoever loses both "
            "loses the data:"))
    print(f"    {new.recovery_key}")
    if args.recovery_sheet:
        sheet = encryption.write_recovery_sheet(args.recovery_sheet, new.recovery_key,
                                                database_name=Path(args.db).name)
        print(_("Recovery key sheet: {path} (print it, then delete the file).").format(
            path=sheet))
    new.db.close()
    print(_("Start pestdesk with this database and type this recovery key to set up the "
            "school and its first user (the beheerder)."))
    return EXIT_OK


def _unlock(path: Path, any_user: bool = False, reads_only: bool = False,
            record: bool = True):
    """Open an encrypted ``path`` for an admin command (held until the process ends) and
    return who acts: the signed-in person, whose rights the services then apply, or
    ``SYSTEM`` for a plain file (whoever can read it reads everything) and for the recovery
    key (which opens everything).

    A user name and password must be a beheerder's (``any_user``: anyone's, for a command
    whose service decides, such as the AVG export); the recovery key needs no account.
    ``reads_only``: a command that only reads (``check``, ``backup``) also works on a file
    that cannot be written; its sign-in cannot be recorded there, and it says so.
    ``record=False``: never write into ``path`` (a backup restored to a new place is only
    read; the restore line in the restored file names who did it).
    """
    import getpass

    from .services import encryption
    from .services.base import SYSTEM, ServiceError
    from .store import errors
    from .store.db import check_writable, is_encrypted

    if _is_server(path):
        # a server database: whoever the server lets in (its role, from the pgpass file or
        # the keyring) reads every table, as with a plain file
        from .store import server

        server.parse_url(path)  # a password in the URL is refused before anything else
        return SYSTEM
    encryption.settle(path)
    if not is_encrypted(path):
        encryption.check_plain(path)
        return SYSTEM
    encryption.read_keyfile(path)  # missing, damaged, foreign: before any prompt
    writable = record
    if reads_only and record:
        try:
            check_writable(path)
        except (errors.ReadOnlyDatabase, errors.ReadOnlyFolder):
            writable = False
    recovery = os.environ.get("PESTDESK_RECOVERY_KEY", "")
    if recovery:
        encryption.unlock_with_recovery(path, recovery, readonly=not writable).close()
        return SYSTEM
    user = os.environ.get("PESTDESK_USER", "")
    password = os.environ.get("PESTDESK_PASSWORD", "")
    if not (user and password):
        if not sys.stdin.isatty():
            raise ServiceError(_(
                "{path} is encrypted: set PESTDESK_USER and PESTDESK_PASSWORD (a beheerder's) "
                "or PESTDESK_RECOVERY_KEY.").format(path=path))
        user = user or input(_("User name: "))
        password = getpass.getpass(_("Password: "))
    from .store.models import database

    try:  # the app's sign-in: slot, throttle and audit line
        if writable:
            actor = encryption.sign_in(path, user, password)
        else:
            actor = encryption.sign_in_read_only(path, user, password)
        from .services import accounts

        accounts.require_own_password(actor)  # a password the beheerder set: not here
        if not (any_user or actor.has_role("beheerder")):
            raise ServiceError(_("Only a beheerder can use the admin commands."))
    except BaseException:
        if database.obj is not None:
            database.close()
        encryption.forget_all()
        raise
    database.close()
    if record and not writable:
        print("pestdesk: " + _("{path} cannot be written, so this sign-in could not be "
                               "recorded in the audit trail; the command only reads.")
              .format(path=path), file=sys.stderr)
    return actor


def cmd_demo(args) -> int:
    from .services.demo import generate_demo
    from .store.db import create_database

    if args.students < 20 or args.years < 1:
        return fail(_("A demo school needs at least 20 students and 1 year."))
    db = create_database(args.db)
    try:
        stats = generate_demo(students=args.students, years=args.years, seed=args.seed)
    except BaseException:
        db.close()
        if not _is_server(args.db):  # generate_demo wrote in one transaction: nothing stays
            Path(args.db).unlink(missing_ok=True)
        raise
    db.close()
    print(_("Demo school created in {path}: {students} students, {cases} cases, "
            "{events} timeline entries.").format(path=args.db, **stats))
    return EXIT_OK


def cmd_check(args) -> int:
    from .services.health import check_database

    _unlock(args.db, reads_only=True)
    report = check_database(args.db)
    for line in report.lines():
        print(line)
    return EXIT_OK if report.healthy else EXIT_UNHEALTHY


def cmd_backup(args) -> int:
    from .services import backups
    from .store import errors
    from .store.db import open_database

    if _is_server(args.db):
        from .store import server

        _unlock(args.db)
        from .store.db import inspect

        inspect(args.db)
        dest = server.dump(args.db, Path(args.dest))
        print(_("Backup written with pg_dump (one consistent snapshot of the whole database) "
                "and checked: {path}").format(path=dest))
        return EXIT_OK
    actor = _unlock(args.db, reads_only=True)  # the audit line names who signed in
    try:
        db = open_database(args.db, migrate_schema=False)  # checks the file before the copy
    except (errors.ReadOnlyDatabase, errors.ReadOnlyFolder):
        # nothing can be written there (not even the audit line), a copy can still be made
        from .store.db import backup_to, inspect

        inspect(args.db)
        dest = backup_to(args.db, args.dest)
        print(_("Backup written and verified: {path}").format(path=dest))
        print(_("The database is read-only here, so the backup is not in its audit trail."))
        return EXIT_OK
    try:
        made = backups.manual_backup(actor, args.db, args.dest)
    finally:
        db.close()
    print(_("Backup written and verified: {path}").format(path=made.path))
    return EXIT_OK


def cmd_restore(args) -> int:
    from .services.backups import restore
    from .store.db import is_encrypted

    if _is_server(args.db):
        _unlock(args.db)
        from .services.backups import restore_server

        safety = restore_server(args.db, args.backup, force=args.force)
        print(_("Safety copy of the previous database (pg_dump): {path}").format(path=safety))
        print(_("Restored {backup} into {path} with pg_restore, in one transaction.").format(
            backup=args.backup, path=args.db.split("?", 1)[0]))
        return EXIT_OK
    if not Path(args.db).exists() and is_encrypted(args.backup):
        # a new place (another computer): the backup's own key file opens it, read-only
        actor = _unlock(args.backup, reads_only=True, record=False)
    else:
        actor = _unlock(args.db)
    result = restore(args.db, args.backup, force=args.force, actor=actor)
    if result.safety_copy is not None:
        print(_("Safety copy of the previous database: {path}").format(path=result.safety_copy))
    print(_("Restored {backup} into {path}.").format(backup=args.backup, path=result.database))
    return EXIT_OK


def _credentials() -> tuple[str, str]:
    import getpass

    from .services.base import ServiceError

    user = os.environ.get("PESTDESK_USER", "")
    password = os.environ.get("PESTDESK_PASSWORD", "")
    if not (user and password):
        if not sys.stdin.isatty():
            raise ServiceError(_("Set PESTDESK_USER and PESTDESK_PASSWORD (a beheerder's)."))
        user = user or input(_("User name: "))
        password = getpass.getpass(_("Password: "))
    return user, password


def cmd_encrypt(args) -> int:
    from .services import encryption
    from .store.errors import SqlcipherNotOnServer

    if _is_server(args.db):
        raise SqlcipherNotOnServer(args.db)

    user, password = _credentials()
    recovery = encryption.encrypt_existing(args.db, user, password, force=args.force)
    print(_("Encrypted: {path}; key file {keys}. Older backups and safety copies made before "
            "today are not encrypted: delete them once a new backup exists.").format(
                path=args.db, keys=encryption.keyfile.sidecar_path(args.db)))
    print(_("Recovery key (write it down now and keep it in a safe place; it is shown only "
            "once). It opens the database when every password is lost; whoever loses both "
            "loses the data:"))
    print(f"    {recovery}")
    if args.recovery_sheet:
        encryption.write_recovery_sheet(args.recovery_sheet, recovery,
                                        database_name=Path(args.db).name)
    return EXIT_OK


def cmd_purge(args) -> int:

    from .services import retention
    from .store.db import open_database

    actor = _unlock(args.db)
    db = open_database(args.db, dry_run=args.dry_run)
    try:
        _enter_school(args, actor)
        today = clock.today()
        plan = retention.due_for_deletion(today)
        print(_("Retention period: {years} years; students who left on or before {date}.")
              .format(years=retention.retention_years(), date=i18n.format_date(plan.cutoff)))
        print(_("Past the period: {students} students, {cases} cases, {guardians} guardians.")
              .format(students=len(plan.student_ids), cases=len(plan.case_ids),
                      guardians=len(plan.guardian_ids)))
        for line in retention.waiting_lines(plan, actor, limit=50, with_names=False):
            print(line)
        hold = retention.backup_hold(today)
        for line in retention.hold_lines(hold):
            print(line)
        if args.dry_run or (plan.empty and not _old_copies(hold, plan.cutoff)):
            return EXIT_OK
        result = retention.purge(actor, today, plan.student_ids)
    finally:
        db.close()
    for key, n in result.deleted.items():
        if n:
            print(f"  {key}: {n}")
    if result.scrubbed:
        print(_("Names replaced in texts that stay: {n}").format(n=result.scrubbed))
    for path in result.removed_copies:
        print(_("Removed copy: {path}").format(path=path))
    print(_("Deleted permanently.") if result.compacted or plan.empty else _(
        "Deleted permanently; compacting the file is postponed while others use it."))
    return EXIT_OK


def _old_copies(hold, cutoff) -> bool:
    return bool(hold and any(c.made_at.date() <= cutoff for c in hold.copies))


@contextlib.contextmanager
def _opened(args, dry_run: bool = False, any_user: bool = False):
    """The database of ``--db`` (or the default one) open for the length of a command, and
    who acts (``_unlock``); ``dry_run`` opens it read-only (a dry run changes no byte, nor
    migrates)."""
    from .store.db import open_database

    actor = _unlock(_db_arg(args), any_user)
    db = open_database(_db_arg(args), dry_run=dry_run)
    try:
        _enter_school(args, actor)
        yield actor
    finally:
        db.close()


def _enter_school(args, actor) -> None:
    """Scope the command to ``--school`` (every query then sees that school only, through
    ``services.access``). A database of several schools needs the name whenever the command
    would otherwise reach more than one school."""
    from .services import access, schools
    from .services.base import ServiceError
    from .store import scope

    name = getattr(args, "school", None)
    if name:
        school = schools.school_id(name)
        if school is None:
            raise ServiceError(_("There is no school named {name} in this database.").format(
                name=name))
        try:
            access.enter(actor, school)
        except access.NotFound:
            raise ServiceError(_("There is no school named {name} in this database.").format(
                name=name)) from None
        return
    current = scope.current()
    reach = len(schools.all_schools()) if current is None else len(current.schools)
    if reach > 1:
        raise ServiceError(_("This database holds several schools: name one with --school."))


def cmd_add_school(args) -> int:
    from .services import schools
    from .store.db import open_database

    actor = _unlock(args.db)
    db = open_database(args.db)
    try:
        schools.add_school(actor, args.name)
    finally:
        db.close()
    print(_("School added: {name}").format(name=args.name))
    return EXIT_OK


def cmd_link_staff(args) -> int:
    from .services import schools
    from .store.db import open_database

    actor = _unlock(args.db)
    db = open_database(args.db)
    try:
        schools.link_staff_by_name(actor, args.code, args.school, args.to)
    finally:
        db.close()
    print(_("{code} of {school} now also works for {other}.").format(
        code=args.code, school=args.school, other=args.to))
    return EXIT_OK


def cmd_migrate(args) -> int:
    from .services import schools
    from .store.db import open_database

    actor = _unlock(args.target)
    db = open_database(args.target)
    try:
        report = schools.move_in(actor, args.source, args.school)
    finally:
        db.close()
    for line in report.lines():
        print(line)
    return EXIT_OK


def _run_import(args, kind: str) -> int:
    from .services import people

    importer = people.import_students if kind == "students" else people.import_staff
    with _opened(args, dry_run=args.dry_run) as actor:
        result = importer(actor, args.file, dry_run=args.dry_run)
    print(result.summary())
    return EXIT_OK if result.ok else EXIT_UNHEALTHY


def cmd_import_students(args) -> int:
    return _run_import(args, "students")


def cmd_import_staff(args) -> int:
    return _run_import(args, "staff")


def cmd_export_student(args) -> int:
    from .services import people

    # who signed in exports within their rights (the service: who sees every case); the
    # export is written in the audit trail under their name
    with _opened(args, any_user=True) as actor:
        data = people.export_student(actor, args.number)
    args.out.write_text(json.dumps(data, ensure_ascii=False, indent=2, default=str),
                        encoding="utf-8")
    print(_("Written: {path}").format(path=args.out))
    print(_("This file is not encrypted: hand it over safely and delete it when done."))
    return EXIT_OK


def _run_gui(args) -> int:
    if _is_server(args.db):
        from .store import server

        server.parse_url(args.db)  # a password in the URL: refused first, in those words
        if args.demo or args.demo_if_new:
            return fail(_("--demo and --demo-if-new make a database file; fill a PostgreSQL "
                          "database with 'pestdesk demo --db URL'."))
    from .gui.app import run

    return run(db=args.db, demo=args.demo, demo_if_new=args.demo_if_new,
               default_db=default_database(), lang=args.lang)


if __name__ == "__main__":
    sys.exit(main())
