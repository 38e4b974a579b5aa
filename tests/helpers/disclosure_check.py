"""An auditor for a figures result, written apart from the code that masks it.

It reads the figures the way an outside reader does: only the texts that are shared (numbers,
"<5", "x"), plus what any reader knows about the tables' meaning (columns add up to their
total, a class belongs to its year group, the stage table's totals are the outcomes' open
and closed, cyberbullying is part of the reports, and so on). These relations are written
here from the tables' meaning, not taken from the service's ledger, so a relation the
service forgot to protect shows up as a derivable cell. The solver is the domain's
(``Ledger.derivable``), itself checked against brute force in tests/domain.
"""

from __future__ import annotations

from pestdesk.domain.disclosure import SECONDARY, SHOWN, SMALL, WITHHELD, Ledger
from pestdesk.services import figures as F

Cell = tuple[str, int | str, int]  # table key, row index or "total", column


def _mark(text: str) -> int:
    return {F.MASK: SMALL, F.HIDDEN: SECONDARY, F.NOT_SHOWN: WITHHELD}.get(text, SHOWN)


def derivable_cells(figures: F.Figures, class_years: dict[str, int]) -> list[Cell]:
    """The cells of the shared (masked) ``figures`` whose hidden value a reader can work out.

    ``class_years``: class id (as the by_class row key) -> its leerjaar, read by the test
    from the database."""
    shared = figures.shared()
    ledger = Ledger()
    ids: dict[Cell, int] = {}

    def cell(key: str, row: int | str, col: int) -> int:
        return ids[(key, row, col)]

    for key, table in shared.tables.items():
        lines = [(r, table.values[r]) for r in range(len(table.values))]
        if table.total is not None:
            lines.append(("total", table.total))
        for r, values in lines:
            for c in table.count_columns:
                text = table.total_text(c, True) if r == "total" else table.text(r, c, True)
                q = ledger.add(int(values[c] or 0))
                ledger.marks[q] = _mark(text)
                if ledger.marks[q] == SHOWN:
                    assert text == F._show(values[c], 0), (key, r, c, text)
                ids[(key, r, c)] = q

    def equal(a: int, b: int) -> None:
        ledger.add_sum([a], b)

    def column_sum(key: str, col: int) -> None:
        table = shared.tables[key]
        ledger.add_sum([cell(key, r, col) for r in range(len(table.values))],
                       cell(key, "total", col))

    # every table of reports adds up to the number of reports
    for key in ("by_leerjaar", "by_class", "by_location"):
        column_sum(key, 0)
        equal(cell(key, "total", 0), cell("over_time", "total", 0))
    for c in range(3):
        column_sum("over_time", c)
    for r in [*range(len(shared["over_time"].values)), "total"]:
        ledger.add_at_most(cell("over_time", r, 1), cell("over_time", r, 0))
    forms = shared["by_form"]
    equal(cell("by_form", "total", 0), cell("over_time", "total", 0))
    for r in range(len(forms.values)):
        ledger.add_at_most(cell("by_form", r, 0), cell("by_form", "total", 0))
    # classes of a year group make up that year group; "unknown" is one row in both
    years = shared["by_leerjaar"]
    classes = shared["by_class"]
    for r, year_key in enumerate(years.row_keys):
        members = [cell("by_class", k, 0) for k, class_key in enumerate(classes.row_keys)
                   if (class_key == "None" and year_key == "None")
                   or (class_key != "None" and str(class_years.get(class_key)) == year_key)]
        ledger.add_sum(members, cell("by_leerjaar", r, 0))
    # stages: open + closed = total in every row; columns add up; totals are the outcomes
    stages = shared["stages"]
    for c in range(3):
        column_sum("stages", c)
    for r in [*range(len(stages.values)), "total"]:
        ledger.add_sum([cell("stages", r, 0), cell("stages", r, 1)], cell("stages", r, 2))
    equal(cell("stages", "total", 2), cell("over_time", "total", 0))
    outcomes = shared["outcomes"]
    equal(cell("outcomes", outcomes.row_keys.index("closed"), 0), cell("stages", "total", 1))
    equal(cell("outcomes", outcomes.row_keys.index("open"), 0), cell("stages", "total", 0))
    column_sum("duration", 0)
    relapses = shared["relapses"]
    column_sum("relapses", 0)
    column_sum("relapses", 1)
    for r in [*range(len(relapses.values)), "total"]:
        ledger.add_at_most(cell("relapses", r, 1), cell("relapses", r, 0))
    sanctions = shared["sanctions"]
    column_sum("sanctions", 0)
    for r in [*range(len(sanctions.values)), "total"]:
        ledger.add_at_most(cell("sanctions", r, 1), cell("sanctions", r, 0))
        ledger.add_at_most(cell("sanctions", r, 1), cell("sanctions", "total", 1))
    found = set(ledger.derivable())
    return [c for c, q in ids.items() if q in found]


def derived_cells_follow_counts(figures: F.Figures) -> list[Cell]:
    """Medians, averages and shares shown beside a hidden or small count (should be none)."""
    shared = figures.shared()
    bad = []
    for key, table in shared.tables.items():
        lines = [(r, table.values[r]) for r in range(len(table.values))]
        if table.total is not None:
            lines.append(("total", table.total))
        for r, values in lines:
            for c, base in table.derived.items():
                text = table.total_text(c, True) if r == "total" else table.text(r, c, True)
                hidden = [table.total_text(b, True) if r == "total" else table.text(r, b, True)
                          for b in base]
                small = 0 < (values[base[0]] or 0) < F.THRESHOLD
                if (small or any(h in (F.MASK, F.HIDDEN, F.NOT_SHOWN) for h in hidden)) and (
                        text not in (F.MASK, F.HIDDEN, F.NOT_SHOWN)):
                    bad.append((key, r, c))
    return bad
