"""The validator checks text columns per distinct value and parses numbers column-wise (issue
18); these tests prove it reports exactly what the old cell-by-cell validator reported.

The old implementation is kept below as the slow reference (``reference_check_column``): for
random small tables with bad cells of every kind the old validator handles (wrong types, bad
dates, unknown codes, blanks, full-width digits, stray and full-width spaces, placeholders,
thousands separators, inexact ids, mixed spreadsheet cells), the new ``validate`` must raise
the same :class:`puhui.DataError` (same problems: table, column, row, rule, message, value, in
the same order, and the same message with its cap on the problems listed), warn the same
placeholders and return the same typed frame, by both of its paths (every text column
factorized, and none).
"""

from __future__ import annotations

import importlib
import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import puhui
from puhui.data import validate
from puhui.data.parse import (
    _NUMBER,
    _THOUSANDS,
    DATE_PATTERNS,
    EXACT_INT_LIMIT,
    FALSE_TOKENS,
    PLACEHOLDER_TOKENS,
    TRUE_TOKENS,
    is_text,
    logical_type,
)
from puhui.data.schema import BOOL, DATE, FLOAT, INT, STR, bound_text
from puhui.errors import DataWarning, Problem

# (``puhui.data.validate`` is also the name of the function the package exports)
P = importlib.import_module("puhui.data.parse")
V = importlib.import_module("puhui.data.validate")

# --- the slow reference: the per-cell implementation before vectorising (issue 18) -----------
# Copied from puhui.data.parse / puhui.data.validate as they were before column checks ran per
# distinct value; the fast validator must give exactly its problems, warnings and frame.

_SD = np.dtypes.StringDType()


def _ref_clean_text(values: pd.Series):
    if not is_text(values):
        return None
    obj = values.to_numpy(object)
    null = pd.isna(obj)
    if null.any():
        obj = np.where(null, "", obj)
    return np.strings.strip(obj.astype(_SD))


def _ref_ascii(text):
    return np.fromiter((t.isascii() for t in text.astype(object)), bool, len(text))


def _ref_missing(values, text):
    mask = values.isna().to_numpy(bool)
    if text is not None:
        mask |= np.strings.str_len(text) == 0
    return mask


def _ref_placeholders(values, missing, text):
    out = np.zeros(len(values), bool)
    if text is None:
        return out
    for i, t in enumerate(text.astype(object)):
        out[i] = not missing[i] and t.lower() in PLACEHOLDER_TOKENS
    return out


def _ref_text_floats(text, cand):
    out = np.full(len(text), np.nan)
    if not cand.any():
        return out
    sub = text[cand]
    comma = np.strings.find(sub, ",") >= 0
    if comma.any():
        grouped = np.zeros(len(sub), bool)
        grouped[comma] = pd.Series(sub[comma].astype(object)).str.fullmatch(
            _THOUSANDS).to_numpy(bool)
        sub = np.where(grouped, np.strings.replace(sub, ",", ""), sub).astype(_SD)
    plain = _ref_ascii(sub) & (np.strings.find(sub, "_") < 0)
    vals = np.full(len(sub), np.nan)
    try:
        vals[plain] = sub[plain].astype(np.float64)
    except ValueError:
        ok = plain & pd.Series(sub.astype(object)).str.fullmatch(_NUMBER).to_numpy(bool)
        vals[ok] = sub[ok].astype(np.float64)
    out[cand] = vals
    return out


def _ref_float(values, missing, text):
    n = len(values)
    if pd.api.types.is_bool_dtype(values.dtype):
        return np.full(n, np.nan), ~missing
    if pd.api.types.is_numeric_dtype(values.dtype):
        out = values.to_numpy(dtype=float, na_value=np.nan)
    else:
        if text is None:
            return np.full(n, np.nan), ~missing
        obj = values.to_numpy(object)
        is_bool = np.fromiter((isinstance(v, (bool, np.bool_)) for v in obj), bool, n) \
            if logical_type(values) not in ("text", "empty") else np.zeros(n, bool)
        out = _ref_text_floats(text, ~missing & ~is_bool)
    bad = ~missing & ~np.isfinite(out)
    return np.where(missing, np.nan, out), bad


def _ref_int(values, missing, text):
    out, bad = _ref_float(values, missing, text)
    with np.errstate(invalid="ignore"):
        fractional = np.isfinite(out) & (out != np.round(out))
    return out, bad | fractional


def _ref_date(values, missing, text):
    n = len(values)
    out_of_range = np.zeros(n, bool)
    if pd.api.types.is_datetime64_any_dtype(values.dtype):
        out, out_of_range = P._datetimes_ns(values)
    else:
        if text is None:
            text = np.strings.strip(values.astype(str).to_numpy(object).astype(_SD))
        out = np.full(n, np.datetime64("NaT"), dtype="datetime64[ns]")
        todo = ~missing & (_ref_ascii(text) | (np.strings.find(text, "年") >= 0))
        compact = np.strings.isdecimal(text) & (np.strings.str_len(text) == 8)
        for pattern, fmt in DATE_PATTERNS:
            hit = todo & compact if fmt == "%Y%m%d" else todo & ~compact
            if not hit.any():
                continue
            cells = pd.Series(text[hit].astype(object))
            if "年" in pattern:
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
    return np.where(missing | bad, np.datetime64("NaT"), out), bad


def _ref_bool(values, missing, text):
    if pd.api.types.is_bool_dtype(values.dtype):
        out = values.astype(object).to_numpy(object)
        out[missing] = None
        return out, np.zeros(len(values), bool)
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


def _ref_cell_text(value):
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


def _ref_str(values, missing, text):
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
        cells = [None if m else _ref_cell_text(v)
                 for v, m in zip(values.to_numpy(object), missing, strict=True)]
        out = np.empty(n, dtype=object)
        out[:] = cells
        bad = ~missing & np.array([c is None for c in cells], dtype=bool)
    elif is_text(values):
        out = text.astype(object)
    else:
        out = values.astype(str).to_numpy(object)
    out = out.copy()
    out[missing | bad] = None
    return out, bad


_REF_PARSERS = {FLOAT: _ref_float, INT: _ref_int, DATE: _ref_date, BOOL: _ref_bool,
                STR: _ref_str}


def reference_check_column(raw, col, name, **_):
    """The column checks of the old validator, cell by cell (no factorizing)."""
    problems, notes = [], []
    text = _ref_clean_text(raw)
    missing = _ref_missing(raw, text)
    values, bad = _REF_PARSERS[col.dtype](raw, missing, text)
    if not col.nullable:
        for r in V._rows(missing):
            problems.append(Problem(name, col.name, int(r), "missing_value",
                                    "a value is required"))
    for r in V._rows(bad):
        problems.append(Problem(name, col.name, int(r), V._BAD_RULE[col.dtype],
                                V._BAD_TEXT[col.dtype], V._plain(raw.iloc[r - 1])))
    ok = ~missing & ~bad
    if col.dtype == STR:
        for r in V._rows(_ref_placeholders(raw, missing, text)):
            notes.append(Problem(name, col.name, int(r), "placeholder_text",
                                 "kept as text, not as a missing value (only an empty cell is "
                                 "missing); empty the cell if no value is meant",
                                 values[r - 1]))
    if col.allowed is not None:
        listed = np.array([v in col.allowed for v in values], bool)
        for r in V._rows(ok & ~listed):
            problems.append(Problem(name, col.name, int(r), "not_allowed",
                                    f"must be one of {', '.join(col.allowed)}",
                                    values[r - 1]))
    if col.dtype in (FLOAT, INT) and (col.minimum is not None or col.maximum is not None):
        v = np.where(ok, values, np.nan)
        with np.errstate(invalid="ignore"):
            low = v < col.minimum if col.minimum is not None else np.zeros(len(v), bool)
            high = v > col.maximum if col.maximum is not None else np.zeros(len(v), bool)
        ratio = col.minimum == 0 and col.maximum == 1
        for r in V._rows(low | high):
            if ratio:
                rule_name, msg = "ratio_out_of_range", "a ratio must be in [0, 1]"
            elif low[r - 1] and col.minimum == 0 and col.dtype == FLOAT:
                rule_name, msg = "negative", "must be ≥ 0"
            elif col.maximum is None:
                rule_name, msg = "out_of_range", f"must be ≥ {bound_text(col.minimum)}"
            else:
                lo = "" if col.minimum is None else f"{bound_text(col.minimum)}, "
                rule_name, msg = "out_of_range", (
                    f"must be in [{lo}{bound_text(col.maximum)}]{V._unit_text(col)}"
                    if lo else f"must be ≤ {bound_text(col.maximum)}{V._unit_text(col)}")
            problems.append(Problem(name, col.name, int(r), rule_name, msg, float(v[r - 1])))
        bad = bad | low | high
    return V._typed(values, col, missing | bad), problems, notes


# --- running both validators -------------------------------------------------------------------

def _outcome(df: pd.DataFrame, kind: str, **related):
    """What validate() does with a table: ('ok', frame, warnings) or ('error', problems, text)."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            out = validate(df.copy(), kind, **related)
        except puhui.DataError as err:
            return ("error", [_key(p) for p in err.problems], str(err))
    notes = [[_key(p) for p in w.message.problems] for w in caught
             if isinstance(w.message, DataWarning)]
    return ("ok", out, notes)


def _key(p: Problem) -> tuple:
    """A problem as a comparable tuple (NaN values compare equal, types are kept)."""
    value = p.value
    if isinstance(value, float) and np.isnan(value):
        value = "<nan>"
    return (p.table, p.column, p.row, p.rule, p.message, type(value).__name__, repr(value))


def _both(df: pd.DataFrame, kind: str, **related):
    """The old validator's outcome, then the new one's with every text column factorized and
    with none (both must equal the old)."""
    with pytest.MonkeyPatch.context() as m:
        m.setattr(V, "_check_column", reference_check_column)
        old = _outcome(df, kind, **related)
    news = []
    for share in (1.0, 0.0):
        with pytest.MonkeyPatch.context() as m:
            m.setattr(V, "FACTORIZE_MAX_SHARE", share)
            news.append(_outcome(df, kind, **related))
    return old, news


def _assert_same(old, new):
    assert new[0] == old[0], (old[1], new[1])
    if old[0] == "error":
        assert new[1] == old[1]
        assert new[2] == old[2]
    else:
        pd.testing.assert_frame_equal(new[1], old[1], check_exact=True)
        assert list(new[1].dtypes) == list(old[1].dtypes)
        assert new[2] == old[2]


# --- bad cells of every kind the validator handles -----------------------------------------------

NUMBERS = ["1", "89", "0", "1,234.5", "3,000,000", "1,23", " 12 ", "\u3000" + "7", "12\xa0",
           "１２", "1_000", "abc", "NA", "-", "", "   ", "-5", "1e400", "inf", "nan", "2025.0",
           "2025.5", "+.5", "5.", "1e3", "0.1", "1e12", "2e12", None, np.nan]
DATES = ["2024-03-01", "2024/3/1", "20240301", "202431", "03/01/2024", "2024年3月1日",
         "2024年3月1", "2024-02-30", "２０２４-03-01", " 2024-03-01 ", "2024-03-01 00:00:00",
         "2024-03-01 12:00:00", "2024-03-01T00:00:00", "2023-12-31", "soon", "", "NA", None]
BOOLS = ["true", "Y", "是", "否", "1", "0", "no", "maybe", "", " TRUE ", "1.0", "NULL", None]
IDS = ["P1", "P2", " P1", "P1 ", "NA", "-", "—", "", "  ", "杭州", "Ｐ１", "\u3000P2", "n/a",
       "p3", None]
SEXES = ["M", "F", "m", "X", " F", "", "NA", None]
STATUSES = ["open", "closed", "reopened", "Closed", "done", "", None]


def _column(draw, tokens, n):
    return draw(st.lists(st.sampled_from(tokens), min_size=n, max_size=n))


@st.composite
def policy_tables(draw):
    n = draw(st.integers(1, 9))
    cols = {
        "policy_id": _column(draw, IDS, n),
        "product": _column(draw, ["HMB", "HMB ", "NA", "", None], n),
        "region": _column(draw, ["杭州", " 杭州", "德清", "", None], n),
        "segment": _column(draw, ["healthy", "preexisting", "-"], n),
        "start_date": _column(draw, DATES, n),
        "end_date": _column(draw, DATES, n),
        "sum_insured": _column(draw, NUMBERS, n),
        "premium": _column(draw, NUMBERS, n),
        "exposure": _column(draw, NUMBERS, n),
    }
    if draw(st.booleans()):
        cols["policy_year"] = _column(draw, NUMBERS + ["1899", "2201", "2024"], n)
        cols["age"] = _column(draw, NUMBERS + ["121", "45", "45.5"], n)
        cols["sex"] = _column(draw, SEXES, n)
        cols["preexisting"] = _column(draw, BOOLS, n)
        cols["subsidy_share"] = _column(draw, NUMBERS + ["0.3", "1.5"], n)
    return pd.DataFrame(cols)


@st.composite
def claim_tables(draw):
    n = draw(st.integers(1, 9))
    return pd.DataFrame({
        "claim_id": _column(draw, IDS, n),
        "policy_id": _column(draw, IDS, n),
        "accident_date": _column(draw, DATES, n),
        "report_date": _column(draw, DATES, n),
        "paid": _column(draw, NUMBERS, n),
        "case_reserve": _column(draw, NUMBERS, n),
        "status": _column(draw, STATUSES, n),
        "benefit_line": _column(draw, IDS, n),
    })


MIXED = [1, 1.0, 0, 0.0, 1001, 1001.0, True, False, "1001", " 1001", 12.5, 1e19, 2**53, np.int64(7), "NA",
         "", None, np.nan, "2024-03-01", pd.Timestamp("2024-03-01")]


@st.composite
def mixed_tables(draw):
    """Object columns of a spreadsheet (numbers, yes/no, text and dates in one column)."""
    n = draw(st.integers(1, 8))
    return pd.DataFrame({
        "region": pd.Series(_column(draw, MIXED, n), dtype=object),
        "crop": pd.Series(_column(draw, ["rice", "rice", " maize", 3, None], n), dtype=object),
        "year": pd.Series(_column(draw, MIXED + [2024, "2024", 2024.0, True], n),
                          dtype=object),
        "yield": pd.Series(_column(draw, MIXED + [500.5, "500.5", "1,000"], n), dtype=object),
    })


@settings(max_examples=20)
@given(policy_tables())
def test_policies_report_exactly_as_the_cell_by_cell_validator(df):
    old, news = _both(df, "policies")
    for new in news:
        _assert_same(old, new)


@settings(max_examples=25)
@given(claim_tables())
def test_claims_report_exactly_as_the_cell_by_cell_validator(df):
    old, news = _both(df, "claims")
    for new in news:
        _assert_same(old, new)


@settings(max_examples=40)
@given(mixed_tables())
def test_mixed_spreadsheet_columns_are_not_merged_by_factorizing(df):
    # 1, 1.0 and True are one key of a hash table but three different cells
    old, news = _both(df, "yields")
    for new in news:
        _assert_same(old, new)


def test_equal_keys_of_different_types_stay_different_cells():
    # a hash table holds 1, 1.0 and True as one key: the spreadsheet cells are '1', '1', 'True'
    # in a text column, and True is not a year
    df = pd.DataFrame({"region": pd.Series([1, True, 1.0, "1", 0, False], dtype=object),
                       "crop": ["rice"] * 6,
                       "year": pd.Series([2024, True, 2024.0, "2024", 2025, False], dtype=object),
                       "yield": pd.Series([1, True, 1.0, "1", 0, False], dtype=object)})
    old, news = _both(df, "yields")
    assert old[0] == "error"
    assert ("yields", "year", 2, "not_an_integer") in [k[:4] for k in old[1]]
    for new in news:
        _assert_same(old, new)


GOOD_NUMBERS = ["1", "89", "0", "1,234.5", " 12 ", "\u30007", "2025.0", "+.5", "5.", "1e3",
                "0.1", "3,000,000"]
STARTS = ["2023-01-01", "2023/1/1", "20230101", "2023年1月1日", " 2023-01-01 ",
          "2023-01-01 00:00:00", "2023-01-01T00:00:00"]
ENDS = ["2024-12-31", "2024/12/31", "20241231", "2024年12月31日", "2024-12-31\u3000"]


@st.composite
def good_policy_tables(draw):
    """Tables that pass (with stray blanks, separators, every date form, placeholders kept as
    text): the typed frames must be equal."""
    n = draw(st.integers(1, 9))
    forms = _column(draw, ["{}", " {}", "{} ", "\u3000{}", "{}\t"], n)
    return pd.DataFrame({
        "policy_id": [f.format(f"P{i}") for i, f in enumerate(forms)],
        "product": _column(draw, ["HMB", " HMB", "NA", "-"], n),
        "region": _column(draw, ["杭州", " 杭州", "德清"], n),
        "segment": _column(draw, ["healthy", "preexisting", "null"], n),
        "start_date": _column(draw, STARTS, n),
        "end_date": _column(draw, ENDS, n),
        "sum_insured": _column(draw, GOOD_NUMBERS, n),
        "premium": _column(draw, GOOD_NUMBERS, n),
        "exposure": _column(draw, GOOD_NUMBERS, n),
        "policy_year": _column(draw, ["2024", " 2024", "2024.0", "2,024"], n),
        "age": _column(draw, ["45", "0", " 120", "", None], n),
        "sex": _column(draw, ["M", "F", " F", "", None], n),
        "preexisting": _column(draw, ["true", "Y", "是", "否", "0", " no", "", None], n),
    })


@settings(max_examples=20)
@given(good_policy_tables())
def test_typed_frames_and_warnings_are_the_same(df):
    old, news = _both(df, "policies")
    assert old[0] == "ok", old[1]
    for new in news:
        _assert_same(old, new)


@pytest.mark.parametrize(("name", "kind"), [
    ("crops/policies", "policies"), ("crops/yields", "yields"), ("index/prices", "prices"),
    ("huiminbao/claims", "claims")])
def test_bundled_tables_are_validated_as_before(name, kind):
    from puhui.data import read_table
    from puhui.datasets.loaders import _path

    df = read_table(_path(name))
    old, news = _both(df, kind)
    assert old[0] == "ok"
    for new in news:
        _assert_same(old, new)


PLAIN = st.one_of(st.from_regex(P._NUMBER, fullmatch=True),
                  st.floats(allow_nan=False).map(repr),
                  st.floats(0, 1e6).map(str),
                  st.sampled_from(["", "inf", "-Infinity", "nan", "1e400", "-0", "+.5", "5.",
                                   "00012", "1e-400", None]))


@settings(max_examples=25)
@given(st.lists(PLAIN, min_size=1, max_size=12))
def test_plain_numbers_are_read_as_python_reads_them(cells):
    # the one-pass reader gives the correctly rounded double of float(), bit for bit, and the
    # validator's report on a number and a whole-number column of such cells is the old one
    read = P.plain_numbers(pd.Series(cells, dtype=object))
    if any(c is not None for c in cells):
        assert read is not None
        out, missing = read
        assert missing.tolist() == [c is None or c == "" for c in cells]
        want = np.array([np.nan if m else float(c) for c, m in zip(cells, missing, strict=True)])
        assert np.array_equal(out.view(np.int64)[~np.isnan(want)],
                              want.view(np.int64)[~np.isnan(want)])
        assert np.isnan(out[np.isnan(want)]).all()
    n = len(cells)
    df = pd.DataFrame({"region": [f"R{i}" for i in range(n)], "crop": ["rice"] * n,
                       "year": cells[::-1], "yield": cells})
    old, news = _both(df, "yields")
    for new in news:
        _assert_same(old, new)


def test_plain_numbers_leaves_cells_that_need_rules_to_them():
    # blanks (incl. the ASCII separators str.isspace counts), separators, underscores,
    # full-width digits and numbers stored as numbers go cell by cell
    for cells in (["1", " 2"], ["1", "2\x1f"], ["1,000"], ["1_000"], ["１２"], ["1", "x y"]):
        assert P.plain_numbers(pd.Series(cells, dtype=object)) is None, cells
    assert P.plain_numbers(pd.Series([1.5, 2.0])) is None
    assert P.plain_numbers(pd.Series(["1", "abc"], dtype=object)) is None  # Arrow refuses
