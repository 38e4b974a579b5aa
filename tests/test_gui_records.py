"""Services hand the GUI typed records, not peewee rows or dicts (AST, not grep).

Two checks on every module under pestdesk/gui:

* no screen looks a service's answer up by a string key: ``cases.case_detail(...)["status"]``,
  or ``detail["status"]`` where ``detail`` (or ``self.detail``) was assigned from a service
  call in the same function or class;
* no screen calls a service function whose return annotation names a peewee model or a
  ``dict``: a row's lazy foreign key would query on the GUI thread, a dict has no types.
  Write results (a save returns what it stored; the screens take its id) are listed below.

What the checks cannot see: a service call handed to an op as ``partial(...)`` (its result
comes back as ``op.result``), and functions without a return annotation.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "pestdesk"
SERVICES = "pestdesk.services"

# service function -> why the GUI may still receive a model or a dict from it
ALLOWED_RETURNS: dict[str, str] = {
    "users.set_active": "a save; the screen only reloads the list afterwards",
    "cases.log_conversation": "a save; the dialog keeps the new event's id",
    "meetings.add_item": "a save; the screen keeps the new item's id",
    "staff.save_staff": "a save; the dialog emits the stored id",
    "staff.save_class": "a save; the dialog emits the stored id",
    "staff.save_guardian": "a save; the dialog emits the stored id",
    "demo.generate_demo": "counts per table for a message, not a record",
    "people.export_student": "the AVG export itself: JSON written to a file as it is",
}


def _models() -> set[str]:
    tree = ast.parse((PACKAGE / "store" / "models.py").read_text(encoding="utf-8"))
    return {node.name for node in tree.body if isinstance(node, ast.ClassDef)}


def _service_returns() -> dict[tuple[str, str], str]:
    """(module, function) -> its return annotation as written ("" without one)."""
    out = {}
    for path in (PACKAGE / "services").glob("*.py"):
        module = f"{SERVICES}.{path.stem}"
        for node in ast.parse(path.read_text(encoding="utf-8")).body:
            if isinstance(node, ast.FunctionDef):
                out[(module, node.name)] = ast.unparse(node.returns) if node.returns else ""
    return out


class ServiceCalls:
    """The names a GUI module uses for service modules and functions."""

    def __init__(self, tree: ast.AST) -> None:
        self.modules: dict[str, str] = {}  # local name -> service module
        self.functions: dict[str, tuple[str, str]] = {}  # local name -> (module, function)
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module == SERVICES:
                for alias in node.names:
                    self.modules[alias.asname or alias.name] = f"{SERVICES}.{alias.name}"
            elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith(
                    SERVICES + "."):
                for alias in node.names:
                    self.functions[alias.asname or alias.name] = (node.module, alias.name)
            elif isinstance(node, ast.Import):
                for alias in node.names:
                    if alias.name.startswith(SERVICES + ".") and alias.asname:
                        self.modules[alias.asname] = alias.name

    def of(self, node: ast.AST) -> tuple[str, str] | None:
        """(module, function) when ``node`` calls a service function."""
        if not isinstance(node, ast.Call):
            return None
        func = node.func
        if (isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name)
                and func.value.id in self.modules):
            return self.modules[func.value.id], func.attr
        if isinstance(func, ast.Name) and func.id in self.functions:
            return self.functions[func.id]
        return None


def _holder(node: ast.AST) -> str | None:
    """``name`` or ``self.name`` as a key; None for anything else."""
    if isinstance(node, ast.Name):
        return node.id
    if (isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name)
            and node.value.id == "self"):
        return f"self.{node.attr}"
    return None


def string_lookups(source: str) -> Iterator[tuple[int, str]]:
    """(line, expression) of every string-key lookup on a service call's answer."""
    tree = ast.parse(source)
    calls = ServiceCalls(tree)
    seen = set()
    for scope in ast.walk(tree):
        if not isinstance(scope, ast.Module | ast.ClassDef | ast.FunctionDef):
            continue
        answers = set()
        for node in ast.walk(scope):
            if isinstance(node, ast.Assign) and calls.of(node.value):
                answers.update(h for h in map(_holder, node.targets) if h)
        for node in ast.walk(scope):
            if (isinstance(node, ast.Subscript) and isinstance(node.slice, ast.Constant)
                    and isinstance(node.slice.value, str)
                    and (calls.of(node.value) or _holder(node.value) in answers)
                    and (node.lineno, node.col_offset) not in seen):
                seen.add((node.lineno, node.col_offset))
                yield node.lineno, ast.unparse(node)


def untyped_answers(source: str, returns: dict[tuple[str, str], str],
                    models: set[str]) -> Iterator[tuple[int, str, str]]:
    """(line, "module.function", annotation) of calls answered by a model or a dict."""
    tree = ast.parse(source)
    calls = ServiceCalls(tree)
    for node in ast.walk(tree):
        called = calls.of(node)
        if called is None or called not in returns:
            continue
        annotation = returns[called]
        words = set(annotation.replace("m.", " ").replace("|", " ").replace("[", " ")
                    .replace("]", " ").replace(",", " ").split())
        if words & (models | {"dict", "Mapping"}):
            yield node.lineno, f"{called[0].rpartition('.')[2]}.{called[1]}", annotation


def gui_modules() -> Iterator[Path]:
    yield from sorted((PACKAGE / "gui").rglob("*.py"))


def test_no_screen_looks_up_a_service_answer_by_a_string_key():
    found = [f"{path.relative_to(PACKAGE.parent)}:{line}: {text}"
             for path in gui_modules()
             for line, text in string_lookups(path.read_text(encoding="utf-8"))]
    assert found == [], "services return records with typed fields:\n" + "\n".join(found)


def test_no_screen_gets_a_peewee_row_or_a_dict_from_a_service():
    returns, models = _service_returns(), _models()
    found = [f"{path.relative_to(PACKAGE.parent)}:{line}: {name} -> {annotation}"
             for path in gui_modules()
             for line, name, annotation in untyped_answers(
                 path.read_text(encoding="utf-8"), returns, models)
             if name not in ALLOWED_RETURNS]
    assert found == [], "return a frozen record instead:\n" + "\n".join(found)


def test_every_allowed_exception_is_still_needed():
    returns, models = _service_returns(), _models()
    used = {name for path in gui_modules()
            for _line, name, _a in untyped_answers(path.read_text(encoding="utf-8"),
                                                   returns, models)}
    assert set(ALLOWED_RETURNS) <= used, sorted(set(ALLOWED_RETURNS) - used)


def test_the_checks_see_what_they_are_for():
    """The checks themselves can fail: the shapes this project had before its records."""
    source = '''
from pestdesk.services import cases
from pestdesk.services import people as people_service
from pestdesk.services.views import sanction


class View:
    def __init__(self, actor, case_id):
        self.detail = cases.case_detail(case_id, actor=actor)

    def fill(self):
        return self.detail["status"]


def card(actor, student_id):
    found = people_service.student_card(student_id, actor)
    return found["student"], cases.case_detail(1, actor=actor)["number"]


def other(actor):
    row = sanction(actor, 1)
    mapping = {"a": 1}
    return row, mapping["a"]
'''
    assert sorted(text for _line, text in string_lookups(source)) == [
        "cases.case_detail(1, actor=actor)['number']", "found['student']",
        "self.detail['status']"]
    returns = {("pestdesk.services.views", "sanction"): "m.Sanction",
               ("pestdesk.services.cases", "case_detail"): "dict",
               ("pestdesk.services.people", "student_card"): "StudentCardRecord"}
    assert sorted((name, annotation) for _line, name, annotation
                  in untyped_answers(source, returns, {"Sanction"})) == [
        ("cases.case_detail", "dict"), ("cases.case_detail", "dict"),
        ("views.sanction", "m.Sanction")]
