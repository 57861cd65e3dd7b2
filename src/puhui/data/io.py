"""Reading tables from CSV (UTF-8, UTF-8 with BOM, GB18030/GBK), Parquet and Excel .xlsx."""

from __future__ import annotations

import io
import os
from pathlib import Path

import pandas as pd

from ..errors import DataError, ParameterError, Problem

#: Encodings tried, in order, for CSV files when none is given. GB18030 is a superset of GBK
#: and GB2312, the encodings of Chinese spreadsheet exports; UTF-8-SIG also reads plain UTF-8.
CSV_ENCODINGS = ("utf-8-sig", "gb18030")

CSV_SUFFIXES = {".csv", ".txt", ".tsv"}
EXCEL_SUFFIXES = {".xlsx", ".xlsm"}
PARQUET_SUFFIXES = {".parquet", ".pq"}


def read_table(source, *, sheet_name=0, encoding: str | None = None,
               sep: str | None = None) -> pd.DataFrame:
    """Read a table as text cells, ready for :func:`puhui.data.validate`.

    Parameters
    ----------
    source : path or DataFrame
        ``.csv``/``.tsv``/``.txt`` (optionally ``.gz``), ``.parquet``, ``.xlsx``; a DataFrame is
        returned as a copy.
    sheet_name : int or str
        Excel sheet to read.
    encoding : str, optional
        CSV encoding; by default UTF-8 (with or without BOM) and then GB18030 (GBK) are tried.
    sep : str, optional
        CSV separator; by default ',' (tab for ``.tsv``).

    CSV and Excel cells are read as text so that validation, not the reader, decides what a
    number or a date is (a reader that guesses would coerce silently).
    """
    if isinstance(source, pd.DataFrame):
        return source.copy()
    if not isinstance(source, (str, os.PathLike)):
        raise ParameterError(f"cannot read a table from {type(source).__name__}")
    path = Path(source)
    if not path.exists():
        raise ParameterError(f"no such file: {path}")
    suffixes = [s.lower() for s in path.suffixes]
    suffix = suffixes[-2] if suffixes and suffixes[-1] == ".gz" and len(suffixes) > 1 \
        else (suffixes[-1] if suffixes else "")
    if suffix in CSV_SUFFIXES:
        return _read_csv(path, encoding, sep or ("\t" if suffix == ".tsv" else ","))
    if suffix in PARQUET_SUFFIXES:
        return pd.read_parquet(path)
    if suffix in EXCEL_SUFFIXES:
        raw = pd.read_excel(path, sheet_name=sheet_name, dtype=str, keep_default_na=False,
                            engine="openpyxl", header=None)
        return _with_header(raw)
    if suffix == ".xls":
        raise ParameterError(f"{path.name}: old .xls workbooks are not supported; "
                             "save the sheet as .xlsx or CSV")
    raise ParameterError(f"{path.name}: unknown file type {suffix!r}; use CSV, Parquet or .xlsx")


def _read_csv(path: Path, encoding: str | None, sep: str) -> pd.DataFrame:
    raw = path.read_bytes()
    if path.suffix.lower() == ".gz":
        import gzip

        raw = gzip.decompress(raw)
    tried = (encoding,) if encoding else CSV_ENCODINGS
    for enc in tried:
        try:
            text = raw.decode(enc)
        except (UnicodeDecodeError, LookupError):
            continue
        raw = pd.read_csv(io.StringIO(text), sep=sep, dtype=str, keep_default_na=False,
                          na_values=[], skipinitialspace=False, header=None)
        return _with_header(raw)
    raise DataError([Problem(path.name, None, None, "encoding",
                             f"cannot decode the file as {' or '.join(tried)}; save it as UTF-8 "
                             "or GBK/GB18030")])


def _with_header(raw: pd.DataFrame) -> pd.DataFrame:
    """First row as the header, kept as written: pandas' own header reading renames a repeated
    name ('premium' → 'premium.1'), which would hide a duplicated column from validation."""
    if raw.empty:
        return pd.DataFrame()
    out = raw.iloc[1:].reset_index(drop=True)
    out.columns = [str(c) for c in raw.iloc[0].tolist()]
    return out


def load(source, kind: str, **related) -> pd.DataFrame:
    """Read and validate a table: ``validate(read_table(source), kind, **related)``.

    ``related`` passes ``policies=``/``claims=`` for the cross-table rules and
    ``extra_columns=``; the file name is used as the table name in problems.
    """
    from .validate import validate

    name = Path(source).name if isinstance(source, (str, os.PathLike)) else kind
    return validate(read_table(source), kind, table=related.pop("table", name), **related)
