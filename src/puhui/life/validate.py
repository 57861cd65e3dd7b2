"""Validation of life tables (生命表校验): every problem listed, with column, row and rule.

A life table is a column of one-year death probabilities ``q_x`` (死亡率) by integer age.
The rules checked (the ``rule`` field of each :class:`puhui.Problem`):

=======================  ===================================================================
``empty``                the table has no rows
``missing_column``       the age column or the q column is absent
``ambiguous_column``     several q columns and no ``column=`` to choose one
``missing_value``        an empty (NaN) age or q
``not_a_number``         text that is not a number
``not_an_integer``       an age with a fractional part
``out_of_range``         a negative age
``duplicate_age``        an age that appears twice
``ages_not_contiguous``  ages are not consecutive integers in increasing order
``ratio_out_of_range``   q outside [0, 1]
``last_q_not_one``       q at the last (closing) age is not 1, so the table does not close
=======================  ===================================================================

Row numbers are 1-based data rows (row 1 is the first row under the header).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..errors import Problem


def check_qx(ages, qx, *, table: str = "life table", age_column: str = "age",
             q_column: str = "qx") -> list[Problem]:
    """Problems of a life table given as arrays of ages and q (empty list when valid)."""
    ages = np.asarray(ages, dtype=float).ravel()
    qx = np.asarray(qx, dtype=float).ravel()
    problems: list[Problem] = []
    if ages.size == 0:
        return [Problem(table, None, None, "empty", "the life table has no rows")]
    if ages.size != qx.size:
        return [Problem(table, q_column, None, "length_mismatch",
                        f"{ages.size} ages but {qx.size} q values")]

    def add(column, i, rule, message, value=None):
        problems.append(Problem(table, column, int(i) + 1, rule, message,
                                None if value is None else _plain(value)))

    for i in np.flatnonzero(np.isnan(ages)):
        add(age_column, i, "missing_value", "age is empty")
    for i in np.flatnonzero(np.isnan(qx)):
        add(q_column, i, "missing_value", "q is empty")
    finite = ~np.isnan(ages)
    frac = finite & (ages != np.floor(np.where(finite, ages, 0.0)))
    for i in np.flatnonzero(frac):
        add(age_column, i, "not_an_integer", "age must be a whole number of years", ages[i])
    for i in np.flatnonzero(finite & (ages < 0)):
        add(age_column, i, "out_of_range", "age must be ≥ 0", ages[i])
    steps = np.diff(ages)  # NaN steps (around an empty age) are reported as missing above
    for j in np.flatnonzero(steps == 0):
        add(age_column, j + 1, "duplicate_age", "age appears twice", ages[j + 1])
    for j in np.flatnonzero((steps != 1) & (steps != 0) & ~np.isnan(steps)):
        add(age_column, j + 1, "ages_not_contiguous",
            f"ages must be consecutive integers: {_plain(ages[j])} is followed by "
            f"{_plain(ages[j + 1])}", ages[j + 1])
    bad_q = ~np.isnan(qx) & ((qx < 0) | (qx > 1))
    for i in np.flatnonzero(bad_q):
        add(q_column, i, "ratio_out_of_range", "q must lie in [0, 1]", qx[i])
    last = qx.size - 1
    if not np.isnan(qx[last]) and qx[last] != 1.0:
        add(q_column, last, "last_q_not_one",
            "q at the last age must be 1 (the table must close: everyone dies by the end)",
            qx[last])
    return problems


def parse_table_frame(df: pd.DataFrame, *, column: str | None, age_column: str,
                      table: str) -> tuple[np.ndarray, np.ndarray, str, list[Problem]]:
    """Pick and parse the age and q columns of ``df``; return ages, q, q column, problems.

    Text cells are parsed as numbers; a cell that is not a number is reported, never
    dropped or coerced.
    """
    problems: list[Problem] = []
    cols = [str(c) for c in df.columns]
    if age_column not in cols:
        problems.append(Problem(table, age_column, None, "missing_column",
                                f"no age column '{age_column}' (columns: {cols})"))
    q_candidates = [c for c in cols if c != age_column]
    if column is None:
        if len(q_candidates) == 1:
            column = q_candidates[0]
        elif "qx" in q_candidates:
            column = "qx"
        else:
            problems.append(Problem(table, None, None, "ambiguous_column" if q_candidates
                                    else "missing_column",
                                    "choose the q column with column=…; the table has "
                                    f"{q_candidates}" if q_candidates else "no q column"))
    elif column not in cols:
        problems.append(Problem(table, column, None, "missing_column",
                                f"no column '{column}' (columns: {cols})"))
    if problems:
        return np.empty(0), np.empty(0), column or "", problems
    frame = df.copy()
    frame.columns = cols
    out = []
    for name in (age_column, column):
        raw = frame[name]
        text = raw.astype("string").str.strip()
        empty = raw.isna() | (text == "")
        num = pd.to_numeric(text.where(~empty), errors="coerce")
        for i in np.flatnonzero((~empty & num.isna()).to_numpy()):
            problems.append(Problem(table, name, int(i) + 1, "not_a_number",
                                    "not a number", raw.iloc[i]))
        out.append(num.to_numpy(dtype=float))
    return out[0], out[1], column, problems


def _plain(value):
    value = float(value)
    return int(value) if value.is_integer() else value
