"""Errors raised by puhui.

Every error that comes from bad input names where the problem is (table, column, row) and
which rule was broken, so an actuary can fix the file rather than read a traceback.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

#: Longest cell text echoed in a problem; a longer value is cut (a 1 MB cell is not printed).
MAX_SHOWN_CHARS = 200

# 18-character resident identity numbers (居民身份证号码, GB 11643-1999): 6-digit area code,
# birth date YYYYMMDD, 3-digit sequence, ISO 7064 MOD 11-2 check character.
_ID_CARD = re.compile(r"(?<![0-9A-Za-z])([1-9][0-9]{5})((?:18|19|20)[0-9]{2}(?:0[1-9]|1[0-2])"
                      r"(?:0[1-9]|[12][0-9]|3[01])[0-9]{3})([0-9Xx])(?![0-9A-Za-z])")
_ID_WEIGHTS = tuple(pow(2, 17 - i, 11) for i in range(17))


def _id_card_checks(first17: str, check: str) -> bool:
    """GB 11643-1999 check character: ``"10X98765432"[Σ wᵢ·aᵢ mod 11]`` with wᵢ = 2^(17−i) mod 11."""
    total = sum(int(d) * w for d, w in zip(first17, _ID_WEIGHTS, strict=True))
    return "10X98765432"[total % 11] == check.upper()


def shown_value(value):
    """A cell value as it may be echoed in a message: text is cut to ``MAX_SHOWN_CHARS``
    characters and the middle of any valid 18-digit 身份证号 is masked.

    >>> shown_value("11010519491231002X")
    '110105********002X'
    >>> shown_value("x" * 500)[-30:]
    '… (500 characters, cut to 200)'
    >>> shown_value(3.5)
    3.5
    """
    if not isinstance(value, str):
        return value

    def mask(m: re.Match) -> str:
        area, middle, check = m.group(1), m.group(2), m.group(3)
        if not _id_card_checks(area + middle, check):
            return m.group(0)
        return area + "*" * 8 + middle[8:] + check

    if len(value) > MAX_SHOWN_CHARS:
        value = (value[:MAX_SHOWN_CHARS] + f"… ({len(value):,} characters, cut to "
                 f"{MAX_SHOWN_CHARS})")
    return _ID_CARD.sub(mask, value) if len(value) >= 18 else value


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

    def __post_init__(self):
        # the echoed value is cut and masked once, here, for every reader and rule
        object.__setattr__(self, "value", shown_value(self.value))

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


class DataWarning(UserWarning):
    """Something in a table that can be legitimate but deserves a look (hidden spreadsheet rows,
    a placeholder such as "NA" kept as text). ``problems`` lists each, like :class:`DataError`."""

    def __init__(self, problems: list[Problem]):
        self.problems = list(problems)
        lines = [str(p) for p in self.problems[:20]]
        if len(self.problems) > 20:
            lines.append(f"... and {len(self.problems) - 20} more")
        super().__init__(f"{len(self.problems)} warning(s):\n  " + "\n  ".join(lines))
