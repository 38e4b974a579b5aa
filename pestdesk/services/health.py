"""``pestdesk check``: integrity, schema version, counts and the audit chain, read-only."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from ..i18n import N_, _, format_number, ngettext
from ..store import anchor
from ..store import models as m
from ..store.db import integrity_verdict, open_database, schema_version, server_notes
from ..store.dialect import is_server
from ..store.migrations import LATEST
from .base import verify_audit_chain

COUNTED = [
    (m.Student, N_("students")), (m.Guardian, N_("guardians")), (m.Staff, N_("staff")),
    (m.SchoolClass, N_("classes")), (m.User, N_("users")), (m.Case, N_("cases")),
    (m.Event, N_("timeline entries")), (m.Agreement, N_("agreements")),
    (m.Contract, N_("contracts")),
    (m.Sanction, N_("sanctions")), (m.Meeting, N_("meetings")), (m.Letter, N_("letters")),
    (m.Attachment, N_("attachments")), (m.AuditLog, N_("audit entries")),
]


ANCHOR_MESSAGES = {
    "triggers": N_("Audit trail: the triggers that keep it append-only are missing or "
                   "changed."),
    "setting": N_("Audit trail: its lines do not match the head recorded with the last "
                  "line (lines removed or rewritten)."),
    "anchor": N_("Audit trail: lines recorded in the anchor file beside the database are "
                 "missing or rewritten."),
    "backup": N_("Audit trail: lines that the last backup holds are missing or rewritten."),
    "empty": N_("Audit trail: it is empty while the database holds people and cases (its "
                "lines were deleted)."),
    "no-anchor": N_("Audit trail: no anchor file beside the database (moved or new copy?); "
                    "its end cannot be compared with it."),
    "forged": N_("Audit trail: the anchor file beside the database was written or changed "
                 "without the database key (or belongs to another database)."),
}


@dataclass
class HealthReport:
    path: Path
    integrity: str = ""
    version: int = 0
    counts: dict[str, int] = field(default_factory=dict)
    audit_broken_at: int | None = None
    older: bool = False  # an older schema: counted once pestdesk has updated it
    anchor_problems: list[str] = field(default_factory=list)  # store.anchor.verify codes
    newest_backup: Path | None = None  # the newest backup the trail was compared with
    behind_backup: bool = False  # that backup holds lines the trail lacks (store.anchor)
    plain_copies: list[Path] = field(default_factory=list)  # of an encrypted database
    notes: list[str] = field(default_factory=list)  # what the database's kind adds (server)

    @property
    def healthy(self) -> bool:
        return (self.integrity == "ok" and self.audit_broken_at is None
                and not self.behind_backup
                and not set(self.anchor_problems) - {"no-anchor"})

    def lines(self) -> list[str]:
        out = [_("Database: {path}").format(path=self.path)]
        out.append(_("Schema version: {v} (this pestdesk knows up to {latest})").format(
            v=self.version, latest=LATEST))
        if self.integrity == "ok":
            out.append(_("Integrity: ok"))
        else:
            out.append(_("Integrity: DAMAGED ({detail})").format(detail=self.integrity))
        if self.older:
            out.append(_("Older schema: pestdesk updates it (after a backup) when it opens "
                         "the file for work; the counts and the audit trail are checked then."))
        elif (self.audit_broken_at is None and not self.anchor_problems
              and not self.behind_backup):
            out.append(_("Audit trail: intact"))
        elif self.audit_broken_at is not None:
            out.append(_("Audit trail: altered outside pestdesk at entry {id}").format(
                id=self.audit_broken_at))
        for code in self.anchor_problems:
            out.append(_(ANCHOR_MESSAGES[code]))
        if self.behind_backup:
            out.append(_("Audit trail: the newest backup ({name}) holds lines that this "
                         "database does not have, and no restore was recorded after it: the "
                         "file was put back to an older copy outside pestdesk, or lines were "
                         "removed. Restore the newest good backup.").format(
                             name=self.newest_backup.name))
        elif self.newest_backup is not None:
            out.append(_("Audit trail: every line of the newest backup ({name}) is here.")
                       .format(name=self.newest_backup.name))
        if self.plain_copies:
            out.append(ngettext(
                "Privacy: {n} unencrypted copy of this database, made before it was "
                "encrypted, is still there and readable by whoever copies it: {names}. "
                "Delete it.",
                "Privacy: {n} unencrypted copies of this database, made before it was "
                "encrypted, are still there and readable by whoever copies them: {names}. "
                "Delete them.", len(self.plain_copies)).format(
                    n=len(self.plain_copies),
                    names=", ".join(str(p) for p in self.plain_copies)))
        out.extend(self.notes)
        for label, n in self.counts.items():
            out.append(f"  {_(label)}: {format_number(n)}")
        out.append(_("Healthy.") if self.healthy else _("NOT healthy."))
        return out


def current_schema_version() -> int:
    """The schema version of the database this process has open (Beheer shows it)."""
    return schema_version(m.database.obj)


def check_database(path: Path | str) -> HealthReport:
    """Read-only: a SQLite file or a PostgreSQL database (``postgresql://`` URL)."""
    db = open_database(path, readonly=True, migrate_schema=False)
    try:
        report = HealthReport(path)
        report.integrity = integrity_verdict(db)
        report.notes = server_notes(db)
        report.version = schema_version(db)
        if report.version < LATEST:  # the models describe the latest schema only
            report.older = True
            return report
        for model, label in COUNTED:
            report.counts[label] = model.select().count()
        report.audit_broken_at = verify_audit_chain()
        report.anchor_problems = anchor.verify_database(db, path)
        if not is_server(path):  # a file: its backups and unencrypted copies beside it
            _compare_newest_backup(report, db.connection(), Path(path))
            report.plain_copies = _plain_copies(Path(path))
        return report
    finally:
        db.close()


def _compare_newest_backup(report: HealthReport, con, path: Path) -> None:
    """The trail against the newest backup of this database in the backup folder (an
    encrypted one: a copy with its salt, readable with its key only): the witness that
    stays when the file is put back to an older copy and the anchor file removed."""
    from ..store import errors
    from ..store.db import DATABASE_ERRORS, connect, file_salt, is_encrypted
    from . import backups

    encrypted = is_encrypted(path)
    try:
        folder = backups.config(path).folder
    except Exception:  # noqa: BLE001 - no readable setting: nothing to compare with
        return
    for backup in backups.list_backups(folder, path.stem):
        try:
            if is_encrypted(backup.path) != encrypted or (
                    encrypted and file_salt(backup.path) != file_salt(path)):
                continue  # made before the school was encrypted, or another database's
            copy = connect(backup.path)
            try:
                report.behind_backup = anchor.behind(con, copy)
            finally:
                copy.close()
        except (OSError, errors.StoreError, *DATABASE_ERRORS):
            continue  # damaged or unreadable: the next one
        report.newest_backup = backup.path
        return


def _plain_copies(path: Path) -> list[Path]:
    """Of an encrypted database: its backups and the copies beside it (restore, migration)
    that are still plain, made before it was encrypted (a warning: they are readable)."""
    from ..store.db import is_encrypted
    from . import backups

    if not is_encrypted(path):
        return []
    try:
        found = backups.list_backups(backups.config(path).folder, path.stem)
    except Exception:  # noqa: BLE001 - no readable setting: the copies beside it only
        found = []
    found += backups.beside_copies(path)
    return sorted(b.path for b in found if b.path.is_file() and not is_encrypted(b.path))
