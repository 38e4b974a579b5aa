"""Personal data never leaks into logs, temp files, crash output or process output.

A whole session runs in real child processes with their own temp folder and home folder:
students whose names and notes carry a unique marker are created, edited (with a conflict),
exported, backed up, imported (a broken file), purged; errors are forced, debug logging is
on everywhere and faulthandler writes to a crash file. Afterwards the marker may be found only
in the places meant to hold data (the database, its backups, the export files the user asked
for) and nowhere else: not in any log, temp or crash file, nor in stdout/stderr.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import uuid

SESSION = textwrap.dedent('''
    import datetime as dt, faulthandler, logging, sys
    from pathlib import Path
    root, marker = Path(sys.argv[1]), sys.argv[2]
    logging.basicConfig(filename=root / "logs" / "session.log", level=logging.DEBUG)
    crash = open(root / "logs" / "crash.log", "w")
    faulthandler.enable(crash)
    log = logging.getLogger("session")
    from pestdesk.services import backups, exports, presence, retention
    from pestdesk.services.base import SYSTEM, Actor, Conflict, create, save_versioned, write
    from pestdesk.store.db import create_database
    from pestdesk.store import models as m
    db = create_database(root / "data" / "school.pestdesk")
    presence.join(Actor(1, "zorg"))
    with write():
        s = create(SYSTEM, m.Student, number="100", first_name=marker, last_name=marker + "son",
                   left_on=dt.date(2015, 7, 1))
        other = create(SYSTEM, m.Student, number="101", first_name="Sem", last_name="Bakker")
        c = create(SYSTEM, m.Case, number="2026-0001", reported_on=dt.date(2026, 1, 5),
                   description="Gesprek met " + marker, status="closed")
        create(SYSTEM, m.Involvement, case=c, student=s, role="gepeste", notes=marker)
        c2 = create(SYSTEM, m.Case, number="2026-0002", reported_on=dt.date(2026, 1, 6))
        create(SYSTEM, m.Involvement, case=c2, student=other, role="pester")
    stale = m.Case.get_by_id(c.id)
    with write():
        save_versioned(SYSTEM, m.Case.get_by_id(c.id), 1, summary="ander " + marker)
    try:
        with write():
            save_versioned(SYSTEM, stale, 1, summary=marker + " opnieuw")
    except Conflict as exc:
        log.exception("save refused: %s", exc)
        print(exc)
    try:  # a forced database error: duplicate student number
        with write():
            create(SYSTEM, m.Student, number="100", first_name=marker, last_name=marker)
    except Exception as exc:
        log.exception("insert failed")
        print(type(exc).__name__, exc, file=sys.stderr)
    from pestdesk.gui.common import crash
    try:  # a forced programming error inside a transaction, reported as the GUI reports it
        with write():
            m.Student.update(first_name=marker + "x").where(m.Student.id == s.id).execute()
            {}[marker]  # the key itself is data: the report must not show it
    except KeyError:
        crash.excepthook(*sys.exc_info())
    exports.export_students(SYSTEM, root / "out" / "leerlingen.csv")
    exports.export_students(SYSTEM, root / "out" / "leerlingen.xlsx")
    backups.make_backup(root / "data" / "school.pestdesk",
                        backups.BackupConfig(root / "data" / "backups"))
    presence.heartbeat()
    presence.leave()
    db.close()
''')


def run(args, env, cwd):
    return subprocess.run(args, env=env, cwd=cwd, capture_output=True, text=True, timeout=120)


def test_marker_appears_only_where_data_belongs(tmp_path):
    marker = "Zqx" + uuid.uuid4().hex[:12]
    for sub in ("tmp", "home", "logs", "data", "out"):
        (tmp_path / sub).mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith("PESTDESK_DEBUG")}
    env.update(TMPDIR=str(tmp_path / "tmp"), TEMP=str(tmp_path / "tmp"),
               TMP=str(tmp_path / "tmp"), SQLITE_TMPDIR=str(tmp_path / "tmp"),
               HOME=str(tmp_path / "home"), XDG_DATA_HOME=str(tmp_path / "home" / "data"),
               XDG_CONFIG_HOME=str(tmp_path / "home" / "config"),
               XDG_CACHE_HOME=str(tmp_path / "home" / "cache"),
               PESTDESK_LANG="nl", PYTHONFAULTHANDLER="1", PYTHONDONTWRITEBYTECODE="1")
    db = tmp_path / "data" / "school.pestdesk"
    py = sys.executable
    outputs = [run([py, "-c", SESSION, str(tmp_path), marker], env, tmp_path)]
    assert outputs[0].returncode == 0, outputs[0].stderr[-2000:]

    import_file = tmp_path / "data" / "import.csv"
    import_file.write_text("Stamnr;Roepnaam;Achternaam;Geb.datum;Klas\n"
                           f"200;{marker};{marker};31-31-2011;1A\n"
                           f"201;{marker}b;{marker};1-1-2011;1A\n", encoding="utf-8")
    cli = [py, "-m", "pestdesk"]
    commands = [
        ["check", "--db", str(db)],
        ["backup", "--db", str(db), str(tmp_path / "data")],
        ["export-student", "100", "--db", str(db), "--out", str(tmp_path / "out" / "avg.json")],
        ["export-student", "999", "--db", str(db), "--out", str(tmp_path / "out" / "x.json")],
        ["import-students", str(import_file), "--db", str(db)],
        ["import-students", str(import_file), "--db", str(db), "--dry-run"],
        ["restore", "--db", str(db), str(import_file)],
        ["purge", "--db", str(db), "--dry-run"],
        ["purge", "--db", str(db)],
        ["check", "--db", str(tmp_path / "out" / "avg.json")],
    ]
    for command in commands:
        result = run(cli + command, env, tmp_path)
        outputs.append(result)
        assert "Traceback" not in result.stderr, (command, result.stderr[-1500:])
    assert (tmp_path / "out" / "avg.json").exists()  # the export itself worked
    assert outputs[8].returncode == 0  # the purge ran

    leaks = []
    for i, result in enumerate(outputs):
        for name, text in (("stdout", result.stdout), ("stderr", result.stderr)):
            if marker.lower() in text.lower():
                leaks.append(f"process {i} {name}")
    allowed = {tmp_path / "data", tmp_path / "out"}  # where the user asked data to go
    for path in tmp_path.rglob("*"):
        if not path.is_file() or any(a in path.parents for a in allowed):
            continue
        if marker.encode() in path.read_bytes() or marker.lower().encode() in path.read_bytes():
            leaks.append(str(path.relative_to(tmp_path)))
    assert (tmp_path / "logs" / "session.log").stat().st_size > 0  # logging really ran
    assert not leaks, f"personal data found in: {leaks}"

    # and the purge really removed the left student's data from the database file itself
    assert marker.encode() not in db.read_bytes()
    assert not list((tmp_path / "tmp").iterdir())  # nothing left in the temp folder
