"""Round trip of every table kind through every file format puhui reads.

A valid table (floats at full precision, Chinese text, dates, ids, empty optional cells) written
as CSV (UTF-8 and GBK), .xlsx or Parquet reads and validates back to exactly the table it was
(floats bit for bit): the readers neither lose digits nor coerce anything."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from puhui.data import SCHEMAS, load, validate
from puhui.data.parse import PLACEHOLDER_TOKENS
from puhui.data.schema import BOOL, DATE, FLOAT, INT

# text: the 3,755 GB2312 level-1 hanzi (common simplified Chinese, encodable in GBK) and ASCII
# letters and digits
HANZI = "".join(bytes((lead, trail)).decode("gb2312") for lead in range(0xB0, 0xD8)
                for trail in range(0xA1, 0xFF) if (lead, trail) != (0xD7, 0xFA)
                and not (lead == 0xD7 and trail > 0xF9))
ALPHABET = HANZI + "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
TEXT = st.text(st.sampled_from(ALPHABET), min_size=1, max_size=6).filter(
    lambda t: t.lower() not in PLACEHOLDER_TOKENS)
DAYS = st.integers(0, 40_000)  # days after 1990-01-01 (to 2099)
EPOCH = np.datetime64("1990-01-01", "D")


def _float(col, digits):
    lo = -1e12 if col.minimum is None else col.minimum
    hi = 1e12 if col.maximum is None else col.maximum
    floats = st.floats(lo, hi, allow_nan=False, allow_infinity=False)
    if digits:  # as typed in Excel: 15 significant digits
        return floats.map(lambda x: min(max(float(f"{x:.{digits}g}"), lo), hi) + 0.0)
    return floats.map(lambda x: x + 0.0)  # (no -0.0)


def _cells(col, n, draw, key_index, digits=None):
    """n valid cells of column ``col`` (None where an optional nullable cell is empty)."""
    if col.allowed:
        cells = draw(st.lists(st.sampled_from(col.allowed), min_size=n, max_size=n))
    elif col.dtype == FLOAT:
        cells = draw(st.lists(_float(col, digits), min_size=n, max_size=n))
    elif col.dtype == INT:
        cells = draw(st.lists(st.integers(int(col.minimum), int(col.maximum)), min_size=n,
                              max_size=n))
    elif col.dtype == DATE:
        cells = [EPOCH + d for d in draw(st.lists(DAYS, min_size=n, max_size=n))]
    elif col.dtype == BOOL:
        cells = draw(st.lists(st.booleans(), min_size=n, max_size=n))
    else:
        cells = draw(st.lists(TEXT, min_size=n, max_size=n))
        if key_index:  # unique ids: the row number, then any text
            cells = [f"{i}{t}" for i, t in enumerate(cells)]
    if col.nullable:
        empty = draw(st.lists(st.booleans(), min_size=n, max_size=n))
        cells = [None if e else c for c, e in zip(cells, empty, strict=True)]
    return cells


@st.composite
def valid_tables(draw, kind, digits=None):
    sch = SCHEMAS[kind]
    n = draw(st.integers(1, 5))
    data = {}
    for col in sch.columns:
        if not col.required and not draw(st.booleans()):
            continue
        data[col.name] = _cells(col, n, draw, key_index=col.name in sch.key[:1], digits=digits)
    df = pd.DataFrame(data)
    for col in sch.columns:
        if col.name in df and col.dtype == DATE:
            df[col.name] = pd.to_datetime(df[col.name])
    # the rules between columns: dates in order, a closed claim has no reserve
    order = {"policies": [("start_date", "end_date")],
             "claims": [("accident_date", "report_date"), ("report_date", "payment_date")]}
    for earlier, later in order.get(kind, []):
        if earlier in df and later in df:
            df[later] = df[earlier] + (df[later] - pd.Timestamp(EPOCH)).abs() % pd.Timedelta(
                "800D")
    if kind == "claims":
        df.loc[df["status"] == "closed", "case_reserve"] = 0.0
    return df


def _write(df: pd.DataFrame, path, fmt: str):
    if fmt == "csv-utf8":
        df.to_csv(path, index=False, encoding="utf-8")
    elif fmt == "csv-gbk":
        df.to_csv(path, index=False, encoding="gbk")
    elif fmt == "xlsx":
        df.to_excel(path, index=False)
    else:
        df.to_parquet(path)


SUFFIX = {"csv-utf8": ".csv", "csv-gbk": ".csv", "xlsx": ".xlsx", "parquet": ".parquet"}


def _round_trip(tmp_path_factory, fmt, kind, df):
    expected = validate(df, kind)
    path = tmp_path_factory.mktemp("rt") / f"{kind}{SUFFIX[fmt]}"
    _write(df, path, fmt)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a valid file gives no warning either
        got = load(path, kind)
    pd.testing.assert_frame_equal(got, expected, check_exact=True)
    for c in expected.columns:
        if expected[c].dtype == np.float64:  # bit for bit, not only ==
            a, b = got[c].to_numpy(), expected[c].to_numpy()
            assert np.array_equal(a.view(np.int64), b.view(np.int64)), c


KINDS = sorted(SCHEMAS)


@pytest.mark.parametrize("fmt", ["csv-utf8", "csv-gbk", "parquet"])
@pytest.mark.parametrize("kind", KINDS)
@settings(max_examples=6)
@given(data=st.data())
def test_text_and_parquet_round_trip(tmp_path_factory, kind, fmt, data):
    _round_trip(tmp_path_factory, fmt, kind, data.draw(valid_tables(kind)))


# openpyxl (and so pandas.to_excel) writes numbers with 16 significant digits ("%.16g"), so a
# full-precision double does not survive *writing* an .xlsx with it; the tables written here
# hold numbers as typed in Excel (15 significant digits). Reading full precision is tested
# below with the 17 digits Excel itself writes.
@pytest.mark.parametrize("kind", KINDS)
@settings(max_examples=3)
@given(data=st.data())
def test_xlsx_round_trip(tmp_path_factory, kind, data):
    _round_trip(tmp_path_factory, "xlsx", kind, data.draw(valid_tables(kind, digits=15)))


def test_xlsx_numbers_are_read_at_full_precision(tmp_path):
    import zipfile

    values = [0.1 + 0.2, 100000000000.53125, 5e-324, 123456.78901234567]
    df = pd.DataFrame({"claim_id": [f"C{i}" for i in range(4)],
                       "payment_date": pd.to_datetime(["2024-06-01"] * 4), "amount": values})
    written = tmp_path / "short.xlsx"
    df.to_excel(written, index=False)
    path = tmp_path / "payments.xlsx"
    with zipfile.ZipFile(written) as src, zipfile.ZipFile(path, "w") as dst:
        for item in src.infolist():
            data = src.read(item)
            if item.filename == "xl/worksheets/sheet1.xml":  # the 17 digits Excel writes
                for v in values:
                    data = data.replace(f"<v>{v:.16g}</v>".encode(), f"<v>{v!r}</v>".encode())
            dst.writestr(item, data)
    got = load(path, "payments")["amount"].to_numpy()
    assert np.array_equal(got.view(np.int64), np.array(values).view(np.int64))


def test_every_column_type_is_generated():
    assert {c.dtype for s in SCHEMAS.values() for c in s.columns} == {
        "str", "float", "int", "date", "bool"}
