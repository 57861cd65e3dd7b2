"""Column parsers used by validation: each returns parsed values and a mask of bad cells.

They never coerce silently: a cell that is not empty and does not parse is reported as bad.

Rules (stated once here and in ``docs/data_model.md``):

* **Missing** (缺失): only an empty cell (or one holding only blanks) and a real null of a typed
  file (Parquet null, an empty spreadsheet cell). Tokens such as ``NA``, ``NULL``, ``-`` are
  *not* missing: in a number, date or yes/no column they are errors (a number column that says
  ``NA`` is not silently empty); in a text column they are kept as text, and validation warns
  (:data:`PLACEHOLDER_TOKENS`).
* **Numbers**: decimal ASCII numbers, optionally with thousands separators (``1,234.5``), read
  with correct rounding (the same double as Python's ``float()``), so a CSV written at full
  precision reads back bit for bit. ``inf``/``nan`` are not numbers.
* **Whole numbers**: a number equal to an integer; ``2025.0`` is accepted (spreadsheets export
  whole numbers that way), ``2025.5`` is an error, never truncated.
* **Dates**: only forms that cannot be misread, see :data:`DATE_PATTERNS`.
* **Text / ids**: a number that arrives in a text column (a Parquet float column, a numeric
  spreadsheet cell) is written as its digits only when that is exact: a whole number of at most
  2^53 (9,007,199,254,740,992). A fraction, or a larger float (whose last digits were already
  lost by the spreadsheet or the writer), is an error: store ids as text.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

# Text kept as text but warned about in text columns: they usually mean "no value" and are
# not missing (only the empty cell is).
PLACEHOLDER_TOKENS = frozenset({"na", "n/a", "nan", "null", "none", "nil", "#n/a", "-", "--",
                                "—", "?"})
TRUE_TOKENS = frozenset({"true", "t", "1", "yes", "y", "是", "有"})
FALSE_TOKENS = frozenset({"false", "f", "0", "no", "n", "否", "无"})

#: Largest whole number a float holds exactly (2^53); larger float ids have lost digits.
EXACT_INT_LIMIT = 2**53

# Date forms accepted in text cells: (full-match pattern, strptime format). Year first, four
# digits; the compact form needs exactly 8 digits (2024111 or 202431 could be several days); no
# day-first/month-first form such as 03/04/2024 is accepted (it is ambiguous).
DATE_PATTERNS = (
    (r"[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}", "%Y-%m-%d"),
    (r"[0-9]{4}/[0-9]{1,2}/[0-9]{1,2}", "%Y/%m/%d"),
    (r"[0-9]{8}", "%Y%m%d"),
    (r"[0-9]{4}年[0-9]{1,2}月[0-9]{1,2}日", "%Y年%m月%d日"),
    (r"[0-9]{4}-[0-9]{1,2}-[0-9]{1,2} [0-9]{1,2}:[0-9]{2}:[0-9]{2}", "%Y-%m-%d %H:%M:%S"),
    (r"[0-9]{4}/[0-9]{1,2}/[0-9]{1,2} [0-9]{1,2}:[0-9]{2}:[0-9]{2}", "%Y/%m/%d %H:%M:%S"),
    (r"[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}T[0-9]{1,2}:[0-9]{2}:[0-9]{2}", "%Y-%m-%dT%H:%M:%S"),
)
DATE_FORMATS = tuple(fmt for _, fmt in DATE_PATTERNS)

_THOUSANDS = r"[+-]?[0-9]{1,3}(,[0-9]{3})+(\.[0-9]+)?"
_NUMBER = r"[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]+)?"


_SD = np.dtypes.StringDType()


def is_text(values: pd.Series) -> bool:
    return values.dtype == object or isinstance(values.dtype, pd.StringDtype)


def logical_type(values: pd.Series) -> str:
    """What a column holds: 'number', 'bool', 'date', 'text', 'empty' or 'mixed'.

    >>> logical_type(pd.Series([1.5, 2.0]))
    'number'
    >>> logical_type(pd.Series(["a", None]))
    'text'
    >>> logical_type(pd.Series([True, False]))
    'bool'
    """
    dt = values.dtype
    if pd.api.types.is_bool_dtype(dt):
        return "bool"
    if pd.api.types.is_numeric_dtype(dt):
        return "number"
    if pd.api.types.is_datetime64_any_dtype(dt):
        return "date"
    inferred = pd.api.types.infer_dtype(values, skipna=True)
    return {"string": "text", "empty": "empty", "integer": "number", "floating": "number",
            "mixed-integer-float": "number", "decimal": "number", "boolean": "bool",
            "date": "date", "datetime": "date", "datetime64": "date"}.get(inferred, "mixed")


def clean_text(values: pd.Series) -> np.ndarray | None:
    """Each cell as text without surrounding blanks ('' for a null), as a numpy string array;
    None for a column that is not text (numbers, dates … of a typed file).

    The text operations of validation are numpy string ufuncs, not a Python loop per cell.
    """
    if not is_text(values):
        return None
    obj = values.to_numpy(object)
    null = pd.isna(obj)
    if null.any():
        obj = np.where(null, "", obj)
    return np.strings.strip(obj.astype(_SD))


def _ascii(text: np.ndarray) -> np.ndarray:
    """True where a cell is ASCII (numbers and dates are written in ASCII digits)."""
    obj = text.astype(object)
    if "".join(obj).isascii():
        return np.ones(len(text), bool)
    return np.fromiter((t.isascii() for t in obj), bool, len(obj))


def missing_mask(values: pd.Series, text: np.ndarray | None = None) -> np.ndarray:
    """True where a cell holds no value: a null, or text that is empty or only blanks."""
    mask = values.isna().to_numpy(bool)
    if text is None:
        text = clean_text(values)
    if text is not None:
        mask |= np.strings.str_len(text) == 0
    return mask


def placeholder_mask(values: pd.Series, missing: np.ndarray,
                     text: np.ndarray | None = None) -> np.ndarray:
    """True where a text cell holds a placeholder such as 'NA' or '-' (kept, but suspicious)."""
    if text is None:
        text = clean_text(values)
    out = np.zeros(len(values), bool)
    if text is None:
        return out
    short = ~missing & (np.strings.str_len(text) <= max(map(len, PLACEHOLDER_TOKENS)))
    if short.any():
        lowered = np.strings.lower(text[short]).astype(object)
        out[short] = pd.Series(lowered).isin(PLACEHOLDER_TOKENS).to_numpy(bool)
    return out


def _text_floats(text: np.ndarray, cand: np.ndarray) -> np.ndarray:
    """Correctly rounded doubles of the candidate cells (numpy parses as Python's float()
    does); NaN where a cell is not a plain ASCII decimal number."""
    out = np.full(len(text), np.nan)
    if not cand.any():
        return out
    sub = text[cand]
    joined = "".join(sub.astype(object))
    if joined.isascii() and "," not in joined and "_" not in joined:
        # the common case, decided by one scan of the joined text: every cell is ASCII
        # without separators or underscores, so all are parsed at once (as below)
        try:
            out[cand] = sub.astype(np.float64)
            return out
        except ValueError:  # some cells are not numbers: the cell-by-cell rules below
            pass
    comma = np.strings.find(sub, ",") >= 0
    if comma.any():  # thousands separators: 1,234,567.5
        grouped = np.zeros(len(sub), bool)
        grouped[comma] = pd.Series(sub[comma].astype(object)).str.fullmatch(
            _THOUSANDS).to_numpy(bool)
        sub = np.where(grouped, np.strings.replace(sub, ",", ""), sub).astype(_SD)
    plain = _ascii(sub) & (np.strings.find(sub, "_") < 0)
    vals = np.full(len(sub), np.nan)
    try:
        vals[plain] = sub[plain].astype(np.float64)
    except ValueError:  # some cells are not numbers: find them with the number pattern
        ok = plain & pd.Series(sub.astype(object)).str.fullmatch(_NUMBER).to_numpy(bool)
        vals[ok] = sub[ok].astype(np.float64)
    out[cand] = vals
    return out


# Bytes that stop the one-pass number reading of :func:`plain_numbers`: blanks (every ASCII
# character ``str.isspace`` counts, so that no cell needs stripping), ',' and '_'.
_NOT_PLAIN = np.zeros(256, bool)
_NOT_PLAIN[[9, 10, 11, 12, 13, 28, 29, 30, 31, 32, ord(","), ord("_")]] = True


def plain_numbers(values: pd.Series) -> tuple[np.ndarray, np.ndarray] | None:
    """A text column of plain ASCII numbers read in one pass: ``(floats, missing)``, or None
    when any cell needs the cell-by-cell rules of :func:`parse_float` (then use them).

    One scan of the joined text decides: if no cell holds a blank, a thousands separator, an
    underscore or a non-ASCII character, every cell is already stripped and each is either
    empty (missing) or parsed exactly as :func:`parse_float` parses it. The numbers are read
    by Arrow's cast, which gives the correctly rounded double (Python's ``float()``), over
    the whole column at once; if Arrow refuses any cell, None (the cell-by-cell rules decide).
    Non-finite results (``inf``, ``1e400``, ``nan``) are returned as such: the caller reports
    them as not numbers.

    >>> out, missing = plain_numbers(pd.Series(["0.1", "", "2e3", None]))
    >>> out.tolist()[::2], missing.tolist()
    ([0.1, 2000.0], [False, True, False, True])
    >>> plain_numbers(pd.Series(["1,234.5", "7"])) is None  # a separator: cell by cell
    True
    """
    if not is_text(values) or logical_type(values) != "text":
        return None
    obj = values.to_numpy(object)
    null = pd.isna(obj)
    cells = obj[~null] if null.any() else obj
    joined = "".join(cells)
    if not joined.isascii() or _NOT_PLAIN[np.frombuffer(joined.encode("ascii"), np.uint8)].any():
        return None
    empty = cells == ""
    import pyarrow as pa
    import pyarrow.compute as pc

    try:
        parsed = pc.cast(pa.array(cells[~empty], type=pa.string()), pa.float64())
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return None
    out = np.full(len(obj), np.nan)
    missing = null.copy()
    missing[~null] = empty
    out[~missing] = parsed.to_numpy(zero_copy_only=False)
    return out, missing


def parse_float(values: pd.Series, missing: np.ndarray,
                text: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Numbers; '1,234.5' (thousands separators) is read as 1234.5. Returns (values, bad).

    Text is parsed with correct rounding, and a yes/no value is not a number:

    >>> out, bad = parse_float(pd.Series(["0.1", "1,234.5", "NA", "", "1e400"]),
    ...                        np.array([False, False, False, True, False]))
    >>> out.tolist()[:2], bad.tolist()
    ([0.1, 1234.5], [False, False, True, False, True])
    """
    n = len(values)
    if pd.api.types.is_bool_dtype(values.dtype):
        return np.full(n, np.nan), ~missing
    if pd.api.types.is_numeric_dtype(values.dtype):
        out = values.to_numpy(dtype=float, na_value=np.nan)
    else:
        if text is None:
            text = clean_text(values)
        if text is None:  # dates, timedeltas …: not numbers
            return np.full(n, np.nan), ~missing
        obj = values.to_numpy(object)
        is_bool = np.fromiter((isinstance(v, (bool, np.bool_)) for v in obj), bool, n) \
            if logical_type(values) not in ("text", "empty") else np.zeros(n, bool)
        out = _text_floats(text, ~missing & ~is_bool)
    bad = ~missing & ~np.isfinite(out)
    out = np.where(missing, np.nan, out)
    return out, bad


def parse_int(values: pd.Series, missing: np.ndarray,
              text: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Whole numbers (3.0 is accepted, 3.5 is not: never truncated). Returns (floats, bad)."""
    out, bad = parse_float(values, missing, text)
    with np.errstate(invalid="ignore"):
        fractional = np.isfinite(out) & (out != np.round(out))
    return out, bad | fractional


def _datetimes_ns(values: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """A datetime column as naive datetime64[ns] and the mask of values outside its range."""
    if getattr(values.dt, "tz", None) is not None:
        values = values.dt.tz_localize(None)
    arr = values.to_numpy()
    unit = np.datetime_data(arr.dtype)[0]
    if unit == "ns":
        return arr.astype("datetime64[ns]"), np.zeros(len(arr), bool)
    lo = np.datetime64(pd.Timestamp.min.ceil("D").date()).astype(arr.dtype)
    hi = np.datetime64(pd.Timestamp.max.floor("D").date()).astype(arr.dtype)
    nat = np.isnat(arr)
    out_of_range = ~nat & ((arr < lo) | (arr > hi))
    safe = np.where(out_of_range, np.datetime64("NaT"), arr)
    return safe.astype("datetime64[ns]"), out_of_range


def parse_date(values: pd.Series, missing: np.ndarray,
               text: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Calendar dates as datetime64[ns] at midnight. Returns (values, bad).

    A datetime with a time of day other than midnight is bad: a date column holds days.

    >>> out, bad = parse_date(pd.Series(["2024-03-01", "2024/3/1", "20240301", "202431",
    ...                                  "03/01/2024"]), np.zeros(5, bool))
    >>> bad.tolist()
    [False, False, False, True, True]
    """
    n = len(values)
    out_of_range = np.zeros(n, bool)
    if pd.api.types.is_datetime64_any_dtype(values.dtype):
        out, out_of_range = _datetimes_ns(values)
    else:
        if text is None:
            text = clean_text(values)
        if text is None:  # numbers are not dates; their text is judged like any text
            text = np.strings.strip(values.astype(str).to_numpy(object).astype(_SD))
        out = np.full(n, np.datetime64("NaT"), dtype="datetime64[ns]")
        todo = ~missing & (_ascii(text) | (np.strings.find(text, "年") >= 0))
        length = np.strings.str_len(text)
        compact = np.strings.isdecimal(text) & (length == 8)
        for pattern, fmt in DATE_PATTERNS:
            if not todo.any():
                break
            hit = todo & compact if fmt == "%Y%m%d" else todo & ~compact
            if not hit.any():
                continue
            cells = pd.Series(text[hit].astype(object))
            if "年" in pattern:  # the only form pandas' format matching leaves loose
                cells = cells.where(cells.str.fullmatch(pattern), None)
            parsed = pd.to_datetime(cells, format=fmt, errors="coerce").to_numpy(
                "datetime64[ns]")
            got = ~np.isnat(parsed)
            idx = np.flatnonzero(hit)[got]
            out[idx] = parsed[got]
            todo[idx] = False
    nat = np.isnat(out)
    with np.errstate(invalid="ignore"):
        timed = ~nat & (out != out.astype("datetime64[D]").astype("datetime64[ns]"))
    bad = (~missing & nat) | timed | out_of_range
    out = np.where(missing | bad, np.datetime64("NaT"), out)
    return out, bad


def parse_bool(values: pd.Series, missing: np.ndarray,
               text: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """true/false, 1/0, yes/no, Y/N, 是/否. Returns (object array of True/False/None, bad)."""
    if pd.api.types.is_bool_dtype(values.dtype):
        out = values.astype(object).to_numpy(object)
        out[missing] = None
        return out, np.zeros(len(values), bool)
    if text is None:
        text = clean_text(values)
    if text is None:
        text = np.strings.strip(values.astype(str).to_numpy(object).astype(_SD))
    lowered = pd.Series(np.strings.lower(text).astype(object))
    if pd.api.types.is_numeric_dtype(values.dtype):
        lowered = lowered.str.replace(r"\.0$", "", regex=True)
    is_true = lowered.isin(TRUE_TOKENS).to_numpy()
    is_false = lowered.isin(FALSE_TOKENS).to_numpy()
    bad = ~missing & ~is_true & ~is_false
    out = np.where(is_true, True, np.where(is_false, False, None)).astype(object)
    out[missing] = None
    return out, bad


def _cell_text(value) -> str | None:
    """One cell of a mixed column (a spreadsheet) as text; None if a number is not exact."""
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, (bool, np.bool_)):
        return str(bool(value))
    if isinstance(value, (int, np.integer)):
        return str(int(value))
    if isinstance(value, (float, np.floating)):
        v = float(value)
        if np.isfinite(v) and v == round(v) and abs(v) <= EXACT_INT_LIMIT:
            return str(int(v))
        return None
    return str(value).strip()


def parse_str(values: pd.Series, missing: np.ndarray,
              text: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Text with surrounding blanks removed (IDs typed ' P01' match 'P01'). Returns (values, bad).

    A number in a text column (an id stored as a number) is written as its digits when that is
    exact: a whole number of at most 2^53. A fraction or a larger float is bad: its digits are
    not known (a 20-digit id held as a float has lost its last digits).

    >>> out, bad = parse_str(pd.Series([1001.0, 1e19, 12.5]), np.zeros(3, bool))
    >>> out.tolist(), bad.tolist()
    (['1001', None, None], [False, True, True])
    """
    n = len(values)
    bad = np.zeros(n, bool)
    if pd.api.types.is_float_dtype(values.dtype):
        arr = values.to_numpy(dtype=float, na_value=np.nan)
        with np.errstate(invalid="ignore"):
            whole = np.isfinite(arr) & (arr == np.round(arr)) & (np.abs(arr) <= EXACT_INT_LIMIT)
        out = np.full(n, None, dtype=object)
        out[whole] = arr[whole].astype(np.int64).astype(str)
        bad = ~missing & ~whole
    elif is_text(values) and logical_type(values) not in ("text", "empty"):
        cells = [None if m else _cell_text(v)
                 for v, m in zip(values.to_numpy(object), missing, strict=True)]
        out = np.empty(n, dtype=object)
        out[:] = cells
        bad = ~missing & np.array([c is None for c in cells], dtype=bool)
    elif is_text(values):
        out = (clean_text(values) if text is None else text).astype(object)
    else:
        out = values.astype(str).to_numpy(object)
    out = out.copy()
    out[missing | bad] = None
    return out, bad


PARSERS = {"float": parse_float, "int": parse_int, "date": parse_date, "bool": parse_bool,
           "str": parse_str}
