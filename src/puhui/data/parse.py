"""Column parsers used by validation: each returns parsed values and a mask of bad cells.

They never coerce silently: a cell that is not empty and does not parse is reported as bad.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

# Cell texts read as "no value" in every column (spreadsheet and R/pandas exports).
MISSING_TOKENS = frozenset({"", "na", "n/a", "nan", "null", "none", "#n/a", "-"})
TRUE_TOKENS = frozenset({"true", "t", "1", "yes", "y", "是", "有"})
FALSE_TOKENS = frozenset({"false", "f", "0", "no", "n", "否", "无"})

# Date formats accepted in text cells, tried in order (ISO first). No day-first/month-first
# ambiguity is accepted: 03/04/2024 is rejected rather than guessed.
DATE_FORMATS = ("%Y-%m-%d", "%Y/%m/%d", "%Y%m%d", "%Y年%m月%d日", "%Y-%m-%d %H:%M:%S",
                "%Y/%m/%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S")

_THOUSANDS = re.compile(r"^[+-]?\d{1,3}(,\d{3})+(\.\d+)?$")


def is_text(values: pd.Series) -> bool:
    return values.dtype == object or isinstance(values.dtype, pd.StringDtype)


def missing_mask(values: pd.Series) -> np.ndarray:
    """True where a cell holds no value (NaN/None/NaT or a missing token)."""
    mask = values.isna().to_numpy()
    if is_text(values):
        text = values.astype(str).str.strip().str.lower()
        mask |= text.isin(MISSING_TOKENS).to_numpy()
    return mask


def parse_float(values: pd.Series, missing: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Numbers; '1,234.5' (thousands separators) is read as 1234.5. Returns (values, bad)."""
    if pd.api.types.is_bool_dtype(values.dtype):
        return values.to_numpy(float), np.zeros(len(values), bool)
    if pd.api.types.is_numeric_dtype(values.dtype):
        out = values.to_numpy(dtype=float, na_value=np.nan)
    else:
        text = values.astype(str).str.strip()
        grouped = text.str.match(_THOUSANDS).fillna(False).to_numpy(bool)
        text = text.where(~grouped, text.str.replace(",", "", regex=False))
        out = pd.to_numeric(text.where(~missing, None), errors="coerce").to_numpy(float)
    bad = ~missing & ~np.isfinite(out)
    out = np.where(missing, np.nan, out)
    return out, bad


def parse_int(values: pd.Series, missing: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Whole numbers (a float such as 3.0 is accepted, 3.5 is not). Returns (float values, bad)."""
    out, bad = parse_float(values, missing)
    with np.errstate(invalid="ignore"):
        fractional = np.isfinite(out) & (out != np.round(out))
    return out, bad | fractional


def parse_date(values: pd.Series, missing: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Calendar dates as datetime64[ns] at midnight. Returns (values, bad).

    A datetime with a time of day other than midnight is bad: a date column holds days.
    """
    n = len(values)
    if pd.api.types.is_datetime64_any_dtype(values.dtype):
        out = pd.to_datetime(values).dt.tz_localize(None) if getattr(
            values.dt, "tz", None) is not None else pd.to_datetime(values)
        out = out.to_numpy("datetime64[ns]")
    else:
        text = values.astype(str).str.strip()
        out = np.full(n, np.datetime64("NaT"), dtype="datetime64[ns]")
        todo = ~missing
        for fmt in DATE_FORMATS:
            if not todo.any():
                break
            parsed = pd.to_datetime(text[todo], format=fmt, errors="coerce").to_numpy(
                "datetime64[ns]")
            ok = ~np.isnat(parsed)
            idx = np.flatnonzero(todo)[ok]
            out[idx] = parsed[ok]
            todo[idx] = False
    nat = np.isnat(out)
    with np.errstate(invalid="ignore"):
        timed = ~nat & (out != out.astype("datetime64[D]").astype("datetime64[ns]"))
    bad = (~missing & nat) | timed
    out = np.where(missing | bad, np.datetime64("NaT"), out)
    return out, bad


def parse_bool(values: pd.Series, missing: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """true/false, 1/0, yes/no, Y/N, 是/否. Returns (object array of True/False/None, bad)."""
    if pd.api.types.is_bool_dtype(values.dtype):
        return values.to_numpy(object), np.zeros(len(values), bool)
    text = values.astype(str).str.strip().str.lower()
    if pd.api.types.is_numeric_dtype(values.dtype):
        text = text.str.replace(r"\.0$", "", regex=True)
    is_true = text.isin(TRUE_TOKENS).to_numpy()
    is_false = text.isin(FALSE_TOKENS).to_numpy()
    bad = ~missing & ~is_true & ~is_false
    out = np.where(is_true, True, np.where(is_false, False, None)).astype(object)
    out[missing] = None
    return out, bad


def parse_str(values: pd.Series, missing: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Text with surrounding blanks removed (IDs typed ' P01' match 'P01'). Returns (values, bad).

    Numbers that are whole (e.g. an ID column a spreadsheet stored as 1001.0) are written without
    the '.0'; any other value is kept as its text.
    """
    if pd.api.types.is_float_dtype(values.dtype):
        arr = values.to_numpy(float)
        whole = np.isfinite(arr) & (arr == np.round(arr))
        text = values.astype(str).to_numpy(object)
        text[whole] = arr[whole].astype(np.int64).astype(str)
        text = pd.Series(text, index=values.index)
    else:
        text = values.astype(str).str.strip()
    out = text.to_numpy(object)
    out[missing] = None
    return out, np.zeros(len(values), bool)


PARSERS = {"float": parse_float, "int": parse_int, "date": parse_date, "bool": parse_bool,
           "str": parse_str}
