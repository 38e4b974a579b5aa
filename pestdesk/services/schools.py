"""The schools of a board database: adding one, and who works for which.

Which schools a signed-in person sees is decided in ``services.access`` (``enter``); this
module only keeps the list of schools and the links of staff to schools.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from peewee import ForeignKeyField

from ..i18n import _, ngettext
from ..store import models as m
from ..store import scope
from ..store.models import AuditLog
from . import access
from .base import Actor, ServiceError, audit, audit_row_payload, create, write


def _require_board_admin(actor: Actor) -> None:
    # adding a school or linking staff across schools is the board's IT (the command line on
    # the board database, or a beheerder of every school in it), not a school's beheerder
    if not access.may_handle_whole_database(actor):
        raise ServiceError(_("You do not have the rights to do this."))


def add_school(actor: Actor, name: str) -> int:
    """A new, empty school in this database; returns its id."""
    _require_board_admin(actor)
    name = name.strip()
    if not name:
        raise ServiceError(_("A school needs a name."))
    with scope.unscoped(), write():
        if m.School.select().where(m.School.name == name).exists():
            raise ServiceError(_("There is already a school named {name}.").format(name=name))
        school = create(actor, m.School, name=name)
    return school.id


def school_id(name: str) -> int | None:
    """The id of the school named ``name`` (whole file), or None."""
    with scope.unscoped():
        return (m.School.select(m.School.id).where(m.School.name == name.strip()).scalar())


def link_staff(actor: Actor, staff_id: int, school: int) -> None:
    """``staff_id`` works for ``school`` too (a teacher at two locations, a bestuur member)."""
    _require_board_admin(actor)
    with scope.unscoped(), write():
        if not m.School.select().where(m.School.id == school).exists():
            raise access.NotFound(_("This school does not exist (any more)."))
        if not m.StaffSchool.select().where((m.StaffSchool.staff == staff_id)
                                            & (m.StaffSchool.school == school)).exists():
            m.StaffSchool.insert(staff=staff_id, school=school).execute()
            audit(actor, "create", "staff_school", staff_id, str(school))


def all_schools() -> list[tuple[int, str]]:
    """(id, name) of every school of the file, whatever the scope (for the command line)."""
    with scope.unscoped():
        return list(m.School.select(m.School.id, m.School.name).order_by(m.School.id).tuples())


def link_staff_by_name(actor: Actor, code: str, home: str, other: str) -> None:
    """``link_staff`` for the command line: the staff member by code and school names."""
    _require_board_admin(actor)
    home_id, other_id = school_id(home), school_id(other)
    for name, found in ((home, home_id), (other, other_id)):
        if found is None:
            raise ServiceError(_("There is no school named {name} in this database.").format(
                name=name))
    with scope.unscoped():
        staff = (m.Staff.select(m.Staff.id).where((m.Staff.school == home_id)
                                                  & (m.Staff.code == code.strip().upper()))
                 .scalar())
    if staff is None:
        raise access.NotFound(_("There is no staff member {code} at {school}.").format(
            code=code, school=home))
    link_staff(actor, staff, other_id)


# -- moving a school's own file in -------------------------------------------------------------

#: the tables a school's file brings, in an order where every referenced row comes first;
#: the school list and its links, settings (copied by key), the audit trail (re-chained),
#: presence and the sign-in throttle (runtime state) are handled apart or not at all
_NOT_COPIED = ("school", "staff_school", "setting", "sign_in_throttle", "presence", "audit_log")


def _copied_models() -> list:
    return [model for model in m.ALL_MODELS if model._meta.table_name not in _NOT_COPIED]


@dataclass
class MoveReport:
    """What ``move_in`` copied: the school, rows per table, audit lines re-chained."""

    school_id: int
    school_name: str
    counts: dict[str, int] = field(default_factory=dict)
    audit_lines: int = 0
    source_head: str = ""
    id_maps: dict[str, dict[int, int]] = field(default_factory=dict)

    def lines(self) -> list[str]:
        out = [_("School {name}: copied and verified.").format(name=self.school_name)]
        out += [f"  {table}: {n}" for table, n in self.counts.items() if n]
        out.append(ngettext("  audit trail: {n} line, chain intact",
                            "  audit trail: {n} lines, chain intact",
                            self.audit_lines).format(n=self.audit_lines))
        return out


def _rows(copy, table: str):
    cursor = copy.execute_sql(f'SELECT * FROM "{table}" ORDER BY 1')
    names = [d[0] for d in cursor.description]
    for row in cursor:
        yield dict(zip(names, row, strict=True))


def _map_ids_in(value, maps: dict[str, dict[int, int]]):
    """Ids inside a timeline entry's JSON data ("contract_id": 7) follow their rows."""
    if isinstance(value, dict):
        out = {}
        for key, item in value.items():
            table = {"owner_id": "staff"}.get(key, key[:-3] if key.endswith("_id") else "")
            if table in maps and isinstance(item, int) and not isinstance(item, bool):
                out[key] = maps[table].get(item)
            else:
                out[key] = _map_ids_in(item, maps)
        return out
    if isinstance(value, list):
        return [_map_ids_in(item, maps) for item in value]
    return value


def _target_school(name: str) -> m.School:
    """The school ``name`` of the board: an empty one of that name, the empty first school
    of a new file (renamed), or a new one. A school that holds data is never filled."""
    existing = m.School.get_or_none(m.School.name == name)
    if existing is None:
        only = list(m.School.select())
        if len(only) == 1 and _is_empty(only[0].id):
            m.School.update(name=name).where(m.School.id == only[0].id).execute()
            return m.School.get_by_id(only[0].id)
        return m.School.create(name=name)
    if not _is_empty(existing.id):
        raise ServiceError(_("The school {name} in this database already holds data; a "
                             "school is moved in only once, into an empty school.").format(
                                 name=name))
    return existing


def _is_empty(school: int) -> bool:
    return not any(model.select().where(model.school == school).exists()
                   for model in (m.Student, m.Case, m.Staff, m.SchoolClass))


def move_in(actor: Actor, source_path, name: str) -> MoveReport:
    """Copy one school's own pestdesk file into this (board) database as school ``name``:
    every row with new ids and the school's own settings; its audit trail verified and
    appended to this database's chain. Counts and the chain are verified before the one
    transaction commits: all or nothing. The source file is only read."""
    from ..store.source import memory_copy
    from .base import _chain_hash, advance_audit_head, verify_audit_chain

    _require_board_admin(actor)
    name = name.strip()
    if not name:
        raise ServiceError(_("A school needs a name."))
    copy = memory_copy(source_path)
    try:
        if copy.execute_sql('SELECT count(*) FROM "school"').fetchone()[0] != 1:
            raise ServiceError(_("{path} holds several schools; move in one school's own "
                                 "file.").format(path=source_path))
        source_lines = list(_rows(copy, "audit_log"))
        prev = ""
        for line in source_lines:
            payload = {k: line[k] for k in ("at", "user", "action", "table", "record_id",
                                            "detail")}
            payload["at"] = AuditLog.at.python_value(payload["at"]).isoformat()
            if line["prev_hash"] != prev or line["hash"] != _chain_hash(prev, payload, None):
                raise ServiceError(_("The audit trail of {path} is broken (line {n}); it is "
                                     "not moved in.").format(path=source_path, n=line["id"]))
            prev = line["hash"]
        with scope.unscoped(), write():
            school = _target_school(name)
            report = MoveReport(school.id, school.name, source_head=prev)
            _check_user_names(copy)
            maps: dict[str, dict[int, int]] = {}
            for model in _copied_models():
                report.counts[model._meta.table_name] = _copy_table(copy, model, school.id,
                                                                    maps)
            _fix_event_data(maps)
            _copy_settings(copy, school.id)
            report.audit_lines = _copy_audit(source_lines, maps, _chain_hash,
                                             advance_audit_head)
            audit(actor, "migrate", "school", school.id,
                  f"lines={len(source_lines)},source_head={prev}")
            for model in _copied_models():  # verify before the commit
                table = model._meta.table_name
                if _count_copied(model, school.id, maps[table]) != report.counts[table]:
                    raise ServiceError(_("Moving the school in failed: the number of rows "
                                         "in {table} does not match.").format(table=table))
            if verify_audit_chain() is not None:
                raise ServiceError(_("Moving the school in failed: the audit trail does not "
                                     "verify."))
            report.id_maps = maps
    finally:
        copy.close()
    return report


def _count_copied(model, school: int, ids: dict[int, int]) -> int:
    """The copied rows found again: by the school's column, else by their new ids."""
    if "school" in model._meta.fields:
        return model.select().where(model.school == school).count()
    new = list(ids.values())
    return sum(model.select().where(model.id.in_(new[i:i + 500])).count()
               for i in range(0, len(new), 500))


def _check_user_names(copy) -> None:
    names = [row[0] for row in copy.execute_sql('SELECT username FROM "user"')]
    taken = sorted(row[0] for row in m.User.select(m.User.username)
                   .where(m.User.username.in_(names)).tuples())
    if taken:
        raise ServiceError(_("These user names already exist in this database: {names}. "
                             "Rename them in the school's file first.").format(
                                 names=", ".join(taken)))


def _copy_table(copy, model, school: int, maps: dict[str, dict[int, int]]) -> int:
    table = model._meta.table_name
    by_column = {f.column_name: f for f in model._meta.sorted_fields}
    ids = maps.setdefault(table, {})
    count = 0
    for row in _rows(copy, table):
        values = {}
        for column, raw in row.items():
            field_ = by_column.get(column)
            if field_ is None or field_.name == "id":
                continue
            value = field_.python_value(raw)
            if field_.name == "school":
                value = school
            elif isinstance(field_, ForeignKeyField) and value is not None:
                value = maps[field_.rel_model._meta.table_name][value]
            elif model is m.Meeting and field_.name == "attendees" and value:
                value = json.dumps(sorted(maps["staff"][i] for i in json.loads(value)))
            elif model is m.RoleGrant and field_.name in ("requested_by", "decided_by"):
                value = maps["user"].get(value) if value is not None else None
            values[field_.name] = value
        ids[row["id"]] = model.insert(**values).execute()
        count += 1
    return count


def _fix_event_data(maps: dict[str, dict[int, int]]) -> None:
    new_ids = list(maps.get("event", {}).values())
    for start in range(0, len(new_ids), 500):
        for event_id, data in (m.Event.select(m.Event.id, m.Event.data)
                               .where(m.Event.id.in_(new_ids[start:start + 500])
                                      & (m.Event.data != "")).tuples()):
            try:
                parsed = json.loads(data)
            except ValueError:
                continue  # a sealed note or free text: no ids in it
            mapped = _map_ids_in(parsed, maps)
            if mapped != parsed:
                m.Event.update(data=json.dumps(mapped, ensure_ascii=False)).where(
                    m.Event.id == event_id).execute()


def _copy_settings(copy, school: int) -> None:
    """The school's own settings (profile, calendar, templates, ...), none of the board's."""
    with scope.using(scope.Scope(frozenset({school}), school)):
        for row in _rows(copy, "setting"):
            if row["school_id"] != scope.FIRST_SCHOOL or not m.is_school_setting(row["key"]):
                continue
            m.Setting.delete().where((m.Setting.school == school)
                                     & (m.Setting.key == row["key"])).execute()
            m.Setting.insert(school=school, key=row["key"], value=row["value"],
                             version=row["version"]).execute()


def _copy_audit(lines: list[dict], maps, chain_hash, advance_head) -> int:
    """The school's trail appended to this database's chain: the same moments, acts and
    details; user and record ids those of the copied rows (None where the row is gone)."""
    if not lines:
        return 0
    last = AuditLog.select(AuditLog.hash).order_by(AuditLog.id.desc()).limit(1).first()
    prev = last.hash if last else ""
    for line in lines:
        table_map = maps.get(line["table"] or "", {})
        user = maps["user"].get(line["user"]) if line["user"] is not None else None
        record = table_map.get(line["record_id"]) if line["record_id"] is not None else None
        entry = AuditLog(at=AuditLog.at.python_value(line["at"]), user=user,
                         action=line["action"], table=line["table"], record_id=record,
                         detail=line["detail"], prev_hash=prev)
        entry.hash = prev = chain_hash(prev, audit_row_payload(entry))
        entry.save(force_insert=True)
    advance_head(len(lines), prev)
    return len(lines)
