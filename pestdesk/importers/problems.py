"""What can be wrong with an import file, said the way a user can act on it.

Every check in the importers appends an ``ImportProblem`` instead of raising: the user gets
the whole list at once (row numbers as a spreadsheet shows them, the header being row 1) and
a file with any problem is refused whole.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ImportProblem:
    """One problem: ``row`` 0 means the file as a whole, ``column`` is the header text."""

    row: int
    column: str
    message: str

    def __str__(self) -> str:
        where = []
        if self.row:
            where.append(f"{self.row}")
        if self.column:
            where.append(self.column)
        prefix = " / ".join(where)
        return f"{prefix}: {self.message}" if prefix else self.message
