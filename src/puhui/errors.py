"""Errors raised by puhui.

Every error that comes from bad input names where the problem is (table, column, row) and
which rule was broken, so an actuary can fix the file rather than read a traceback.
"""

from __future__ import annotations

from dataclasses import dataclass


class PuhuiError(Exception):
    """Base class of every error puhui raises on purpose."""


class ParameterError(PuhuiError, ValueError):
    """A function argument is outside its domain (a negative deductible, a share above 1, …)."""


class RuleError(PuhuiError, ValueError):
    """A regulatory rule is breached (e.g. a rate factor outside the 2023 band)."""


@dataclass(frozen=True)
class Problem:
    """One problem found in a table.

    ``row`` is the 1-based data row number as a spreadsheet user sees it (the header is row 0),
    or ``None`` when the problem concerns the whole column or table.
    """

    table: str
    column: str | None
    row: int | None
    rule: str
    message: str
    value: object = None

    def __str__(self) -> str:
        where = [self.table]
        if self.column is not None:
            where.append(f"column '{self.column}'")
        if self.row is not None:
            where.append(f"row {self.row}")
        shown = "" if self.value is None else f" (value: {self.value!r})"
        return f"{', '.join(where)}: [{self.rule}] {self.message}{shown}"


class DataError(PuhuiError, ValueError):
    """A table failed validation. ``problems`` lists every problem found, not only the first."""

    def __init__(self, problems: list[Problem], *, max_shown: int = 50):
        self.problems = list(problems)
        lines = [str(p) for p in self.problems[:max_shown]]
        more = len(self.problems) - len(lines)
        if more > 0:
            lines.append(f"... and {more} more problem(s)")
        head = f"{len(self.problems)} problem(s) found"
        super().__init__(head + ":\n  " + "\n  ".join(lines))

    def to_frame(self):
        """The problems as a DataFrame (table, column, row, rule, message, value)."""
        import pandas as pd

        return pd.DataFrame(
            [
                {
                    "table": p.table,
                    "column": p.column,
                    "row": p.row,
                    "rule": p.rule,
                    "message": p.message,
                    "value": p.value,
                }
                for p in self.problems
            ],
            columns=["table", "column", "row", "rule", "message", "value"],
        )
