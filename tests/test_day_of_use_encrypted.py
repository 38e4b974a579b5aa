"""A day of use on an encrypted school, then the bytes on disk (issue 13, "How it will be
checked"): a unique marker in a dossier, in a vertrouwenspersoon's confidential note and in
the name of a child purged past the retention period occurs 0 times in the bytes of the
database, its journal/WAL, every backup, every safety copy and their key files; with the
beheerder's own key the confidential marker is still not readable; a trail recomputed
without the key is found by the check; retention removes old safety copies with their key
files."""

from __future__ import annotations

import datetime as dt
import uuid

from pestdesk import clock
from pestdesk.services import accounts, backups, cases, encryption, health, retention
from pestdesk.services.base import write
from pestdesk.store import keyfile
from pestdesk.store.db import connect
from pestdesk.store.models import AuditLog, SchoolClass, Staff, Student, database
from tests.helpers.crypt import (
    ADMIN,
    PASSWORD,
    encrypted_school,
    fast_slots,
    files_beside,
    forge_audit_trail,
    occurrences,
)

OTHER = "Herfst-Wandeling-Bos-31"


def text_hits(path, marker: str) -> list[str]:
    """Every table.column whose text holds ``marker``, read through SQLCipher with the held
    key: what a holder of the database key sees."""
    con = connect(path)
    try:
        hits = []
        tables = [r[0] for r in con.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table'")]
        for table in tables:
            for _cid, column, kind, *_rest in con.execute(f'PRAGMA table_info("{table}")'):
                if kind.upper() in ("TEXT", "VARCHAR(255)", "") or "CHAR" in kind.upper():
                    n = con.execute(f'SELECT count(*) FROM "{table}" WHERE CAST("{column}" '
                                    "AS TEXT) LIKE ?", (f"%{marker}%",)).fetchone()[0]
                    if n:
                        hits.append(f"{table}.{column}")
        return hits
    finally:
        con.close()


def test_a_day_of_use_leaves_no_marker_in_any_file(tmp_path, monkeypatch):
    fast_slots(monkeypatch)
    tag = uuid.uuid4().hex[:10].upper()
    dossier, secret, child = f"DOSSIER{tag}", f"VERTROUWELIJK{tag}", f"Zwaluwstaart{tag}"
    folder = tmp_path / "school"
    folder.mkdir()
    school = encrypted_school(folder / "pestdesk.sqlite")
    path = school.path
    admin = accounts.sign_in(ADMIN, PASSWORD)
    with write():
        klass = SchoolClass.create(name="2B", leerjaar=2)
        staff = {code: Staff.create(code=code, first_name="Mede", last_name=code, roles=roles)
                 for code, roles in (("VP", "vertrouwenspersoon"), ("DIR", "directie"),
                                     ("ZC", "ondersteuningscoordinator"))}
        victim = Student.create(number="1001", first_name="Sanne", last_name="Visser",
                                school_class=klass)
        pester = Student.create(number="1002", first_name="Bram", last_name="Bakker",
                                school_class=klass)
        Student.create(number="0999", first_name="Quinten", last_name=child,
                       left_on=clock.today() - dt.timedelta(days=3650))
    for code, name in (("VP", "vp"), ("DIR", "dir"), ("ZC", "zorg")):
        accounts.create_user(admin, staff[code], name, OTHER)
    # the directeur opens the sealed notes for the new vertrouwenspersoon
    database.close()
    encryption.forget_all()
    directeur = encryption.recover(path, school.recovery_key, "dir", OTHER, OTHER)
    encryption.grant_seal(directeur, "vp")

    # the care coordinator registers a report with a dossier text
    zorg = encryption.sign_in(path, "zorg", OTHER)
    case = cases.register_report(zorg, cases.ReportInput(
        reported_on=clock.today(), summary="Uitschelden", description=f"Melding {dossier}",
        reporter_kind="gepeste", forms=("woorden",), locations=("klas",),
        involved=(cases.InvolvedInput(victim.id, "gepeste"),
                  cases.InvolvedInput(pester.id, "pester"))))
    cases.add_note(zorg, case.id, f"Gesprek gehad; eerder ruzie met Quinten {child}.")
    backups.make_backup(path, backups.config(path))  # the daily backup, mid-day

    # the vertrouwenspersoon writes in the case and keeps a confidential note
    database.close()
    encryption.forget_all()
    vp = encryption.sign_in(path, "vp", OTHER)
    with write():
        from pestdesk.store.models import Case

        Case.update(created_by=vp.user_id).where(Case.id == case.id).execute()
    cases.add_note(vp, case.id, f"Leerling vertrouwt toe: {secret}", confidential=True)
    rows = cases.readable_events(cases.timeline_query(case.id, actor=vp).dicts())
    assert any(secret in row["body"] for row in rows)  # its author reads it
    live = files_beside(path)  # mid-day, the file open: its WAL is there and encrypted too
    assert any(f.name.endswith("-wal") and f.stat().st_size for f in live)
    for marker in (dossier, secret, child):
        assert occurrences(marker, live) == {}, marker

    # the beheerder: a backup, a restore of it (a safety copy), then the yearly purge
    database.close()
    encryption.forget_all()
    admin = encryption.sign_in(path, ADMIN, PASSWORD)
    made = backups.make_backup(path, backups.config(path), now=clock.now()
                               + dt.timedelta(minutes=5))
    database.close()
    restored = backups.restore(path, made.path, force=True)
    assert restored.safety_copy is not None and keyfile.sidecar_path(
        restored.safety_copy).exists()
    admin = encryption.sign_in(path, ADMIN, PASSWORD)
    result = retention.purge(admin, clock.today())
    assert result.deleted.get("students") == 1
    assert restored.safety_copy in result.removed_copies  # it still held the child
    assert not keyfile.sidecar_path(restored.safety_copy).exists()  # with its key file
    assert health.check_database(path).healthy

    backup_folder = backups.config(path).folder
    # what the beheerder's own key shows: the dossier, not the note, not the child
    assert text_hits(path, dossier)  # the database key reads the dossier, as it should
    assert text_hits(path, secret) == []
    assert text_hits(path, child) == []
    database.close()
    encryption.forget_all()

    # the bytes on disk: database, WAL/journal, backups, safety copies, key files
    files = files_beside(path)
    names = {f.name for f in files}
    assert "pestdesk.sqlite" in names and "pestdesk.sqlite.keys" in names
    assert len([f for f in files if f.parent == backup_folder]) == 4  # 2 backups, 2 .keys
    for marker in (dossier, secret, child):
        assert occurrences(marker, files) == {}, marker

    # a trail edited and recomputed without the key is found
    encryption.sign_in(path, ADMIN, PASSWORD)
    first = AuditLog.select().order_by(AuditLog.id).first()
    forge_audit_trail(path, first.id, "niets")
    database.close()
    report = health.check_database(path)
    assert report.audit_broken_at == first.id and not report.healthy
