"""Tables formatted for people: one convention per quantity, by column name
(:mod:`puhui.report.labels`), the same in report.md, report.html and tables.xlsx.

:func:`present` turns a DataFrame into headers and cell texts (report.md and report.html show the
same strings); :func:`cell_quantities` gives the quantity of every cell, and
:func:`excel_number_format` the number format tables.xlsx gives it. The CSV tables keep the raw
numbers.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import date, datetime

import numpy as np
import pandas as pd

from .labels import ROW_KEY_COLUMNS, Quantity, lookup, row_label, text

#: How a missing number is shown.
MISSING = "—"


def is_number_column(values: pd.Series) -> bool:
    """True for a numeric column that is not a flag (booleans are shown as words)."""
    return bool(pd.api.types.is_numeric_dtype(values.dtype)
                and not pd.api.types.is_bool_dtype(values.dtype))


@dataclass(frozen=True)
class CellPlan:
    """The quantities of a table: per column (None: unregistered), per row when the first
    column names a quantity per row (:data:`~puhui.report.labels.ROW_KEY_COLUMNS`), and which
    columns hold numbers."""

    columns: list[str]
    column_q: list[Quantity | None]
    row_q: list[Quantity | None] | None
    numeric: list[bool]

    def quantity(self, i: int, j: int) -> Quantity | None:
        """The quantity of the cell in row ``i``, column ``j``: the row's in a numeric column
        of a long table, else the column's."""
        if self.row_q is not None and self.numeric[j]:
            q = self.row_q[i]
            if q is not None:
                return q
        return self.column_q[j]

    def header(self, j: int, lang: str | None) -> str:
        """Column ``j``'s header in ``lang``: its label with the unit when the column holds the
        quantity's numbers; its name when unregistered."""
        q = self.column_q[j]
        if q is None:
            return self.columns[j]
        with_unit = self.numeric[j] and q.numeric and self.row_q is None
        return q.header(lang, with_unit=with_unit)

    def hint(self, j: int, lang: str | None) -> str:
        """The other language's header and the CSV column name (a tooltip in report.html)."""
        q = self.column_q[j]
        name = self.columns[j]
        if q is None:
            return name
        other = "en" if lang == "zh" else "zh"
        with_unit = self.numeric[j] and q.numeric and self.row_q is None
        return f"{q.header(other, with_unit=with_unit)} · {name}"


def cell_quantities(df: pd.DataFrame, *, row_keys=None) -> CellPlan:
    """The :class:`CellPlan` of ``df`` (by column names and, for a long table, row keys:
    the first column's cells, or ``row_keys``, one per row, when the shown first column is a
    label in the report's language).

    >>> plan = cell_quantities(pd.DataFrame({"metric": ["expected_cr", "members"],
    ...                                      "current": [1.26, 188000.0]}))
    >>> plan.quantity(0, 1).kind, plan.quantity(1, 1).kind
    ('percent', 'count')
    """
    columns = [str(c) for c in df.columns]
    numeric = [is_number_column(df.iloc[:, j]) for j in range(df.shape[1])]
    column_q = [lookup(c) for c in columns]
    row_q = None
    if row_keys is not None or (columns and columns[0] in ROW_KEY_COLUMNS and not numeric[0]):
        keys = df.iloc[:, 0].tolist() if row_keys is None else list(row_keys)
        found = [lookup(v) for v in keys]
        found = [q if q is not None and q.numeric else None for q in found]
        if any(q is not None for q in found):
            row_q = found
    return CellPlan(columns, column_q, row_q, numeric)


def _is_missing(v) -> bool:
    if v is None or v is pd.NA or v is pd.NaT:
        return True
    if isinstance(v, (float, np.floating)):
        return bool(np.isnan(v))
    return False


def _no_negative_zero(s: str) -> str:
    """``-0.00`` → ``0.00`` (a value that rounds to zero shows no sign)."""
    if s.startswith("-") and not re.search(r"[1-9]", s):
        return s[1:]
    return s


def format_number(v, q: Quantity) -> str:
    """A number shown by its quantity's kind (:mod:`puhui.report.labels`).

    >>> from puhui.report.labels import REGISTRY as R
    >>> [format_number(v, R[k]) for v, k in [(514547.0, "member_years"), (2025, "policy_year"),
    ...     (1234.5, "paid"), (1.2602, "expected_cr"), (0.0030, "kernel_rate"),
    ...     (1.3921, "amount_ae"), (-0.0001, "deviation")]]
    ['514,547', '2025', '1,234.50', '126.02%', '0.300%', '1.392', '0.00']
    """
    kind, d = q.kind, q.decimals
    if isinstance(v, (int, np.integer)) and not isinstance(v, bool) and kind in ("count",
                                                                                 "year", "code"):
        return f"{int(v):,}" if kind == "count" else str(int(v))
    x = float(v)
    if math.isinf(x):
        return "∞" if x > 0 else "−∞"
    if kind == "count":
        s = f"{x:,.0f}"
    elif kind in ("year", "code"):
        s = f"{x:.0f}"
    elif kind == "percent":
        s = f"{100 * x:,.{d}f}%"
    else:  # money, factor, number
        s = f"{x:,.{d}f}"
    return _no_negative_zero(s)


def format_value(v, q: Quantity | None, column: str, *, floatfmt: str = ",.2f",
                 lang: str | None = None) -> str:
    """One cell as text: by its quantity when it has a numeric one, else by the fallback
    (an integer with thousands separators — none when the column name holds ``year`` — a float
    with ``floatfmt``); a missing number ``—``; a flag ``True``/``False`` (``是``/``否``,
    ``yes``/``no`` with a language); a date ``YYYY-MM-DD``.

    >>> format_value(0.5, None, "x"), format_value(12345, None, "n"), format_value(2025, None, "year")
    ('0.50', '12,345', '2025')
    >>> format_value(float("nan"), None, "x"), format_value(True, None, "ok", lang="zh")
    ('—', '是')
    """
    if _is_missing(v):
        return MISSING
    if isinstance(v, (bool, np.bool_)):
        if lang is None:
            return str(bool(v))
        return text("yes" if v else "no", lang)
    if isinstance(v, (pd.Timestamp, datetime, date)):
        return v.strftime("%Y-%m-%d")
    if isinstance(v, (int, float, np.integer, np.floating)):
        if q is not None and q.numeric:
            return format_number(v, q)
        if isinstance(v, (int, np.integer)):
            return str(int(v)) if "year" in column.lower() else f"{int(v):,}"
        x = float(v)
        if math.isinf(x):
            return "∞" if x > 0 else "−∞"
        return _no_negative_zero(format(x, floatfmt))
    return str(v)


@dataclass(frozen=True)
class Shown:
    """A table as people read it: headers, tooltips, which columns are numbers (right-aligned),
    the first rows as text and how many rows are not shown."""

    names: list[str]
    headers: list[str]
    hints: list[str]
    numeric: list[bool]
    rows: list[list[str]]
    hidden: int


def present(df: pd.DataFrame, *, floatfmt: str = ",.2f", index: bool = False,
            max_rows: int = 60, lang: str | None = None, columns=None,
            row_key: str | None = None) -> Shown:
    """The first ``max_rows`` rows of ``df`` formatted (:func:`format_value`) with headers in
    ``lang`` (:meth:`CellPlan.header`).

    ``columns`` (a mapping: column of ``df`` → name shown, which gives the header) shows those
    columns only, in that order — the CSV and the workbook keep every column of ``df``.
    ``row_key`` names the column of ``df`` whose cells name each row's quantity (a long table,
    :data:`~puhui.report.labels.ROW_KEY_COLUMNS`) when the first column shown holds labels in
    the report's language; those labels are shown as they are.

    >>> s = present(pd.DataFrame({"policy_year": [2025], "members": [514547.0],
    ...                           "loss_ratio": [0.8123], "x": [1.5]}))
    >>> s.headers, s.rows
    (['policy year', 'members', 'loss ratio (%)', 'x'], [['2025', '514,547', '81.23%', '1.50']])
    >>> t = pd.DataFrame({"item": ["loss_ratio", "members"], "value": [0.8123, 514547.0],
    ...                   "item_zh": ["赔付率", "参保人数"]})
    >>> s = present(t, lang="zh", columns={"item_zh": "item", "value": "value"}, row_key="item")
    >>> s.headers, s.rows
    (['项目', '值'], [['赔付率', '81.23%'], ['参保人数', '514,547']])
    """
    if index:
        df = df.reset_index()
    keys = None if row_key is None else df[row_key].head(max_rows).tolist()
    if columns is not None:
        df = df[list(columns)].set_axis(list(columns.values()), axis=1)
    shown = df.head(max_rows)
    plan = cell_quantities(shown, row_keys=keys)
    cols = plan.columns
    rows = []
    for i, row in enumerate(shown.itertuples(index=False)):
        cells = [format_value(v, plan.quantity(i, j), cols[j], floatfmt=floatfmt, lang=lang)
                 for j, v in enumerate(row)]
        if keys is None and plan.row_q is not None and plan.row_q[i] is not None:
            cells[0] = row_label(str(row[0]), plan.row_q[i], lang)  # the row's quantity, named
        rows.append(cells)
    return Shown(cols, [plan.header(j, lang) for j in range(len(cols))],
                 [plan.hint(j, lang) for j in range(len(cols))], plan.numeric, rows,
                 max(len(df) - max_rows, 0))


_FLOATFMT = re.compile(r"^(,)?\.(\d+)([f%])$")


def excel_number_format(q: Quantity | None, column: str, *, integer: bool,
                        floatfmt: str = ",.2f") -> str:
    """The Excel number format of a number cell, by the same convention as the text.

    >>> from puhui.report.labels import REGISTRY as R
    >>> excel_number_format(R["expected_cr"], "expected_cr", integer=False)
    '0.00%'
    >>> excel_number_format(None, "x", integer=False, floatfmt=",.4f")
    '#,##0.0000'
    """
    if q is not None and q.numeric:
        d = q.decimals
        frac = "." + "0" * d if d else ""
        return {"count": "#,##0", "year": "0", "code": "0", "money": f"#,##0{frac}",
                "percent": f"0{frac}%", "factor": f"0{frac}",
                "number": f"#,##0{frac}"}[q.kind]
    if integer:
        return "0" if "year" in column.lower() else "#,##0"
    m = _FLOATFMT.match(floatfmt)
    if m is None:
        return "General"
    comma, d, kind = m.groups()
    frac = "." + "0" * int(d) if int(d) else ""
    return f"0{frac}%" if kind == "%" else f"{'#,##0' if comma else '0'}{frac}"
