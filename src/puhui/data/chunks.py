"""Out-of-core tables (分块处理): read a CSV or Parquet table in chunks, validate each chunk, and
combine per-chunk aggregates exactly, on this machine or on a Dask cluster.

A portfolio table (200 million crop records, 160 million 惠民保 member-years) does not fit in
memory as a pandas frame (about 100 bytes per text cell). :func:`scan` reads it ``chunk_rows``
rows at a time — a CSV with Arrow's streaming reader, a Parquet file or folder (a partitioned
dataset) with :mod:`pyarrow.dataset` — checks every chunk with the rules of
:func:`puhui.data.validate` (the same per-cell checks, called column by column, the row numbers
shifted to the file's), checks the table's key across chunks (a 64-bit hash of each key, 8 bytes
per row, sorted at the end), and hands each clean chunk to an :class:`Aggregation`:
``partial = agg.map(chunk)`` then ``agg.combine(partials)`` in chunk order.

**Same answers as the in-memory path.** A clean table gives the same typed values chunk by
chunk as :func:`puhui.data.load`; a table with any problem (a bad cell, a repeated key, a
header that names no column, a file the streaming reader cannot take: another encoding, a
ragged row, a quoted line break, .gz, .xlsx) is read again whole by :func:`puhui.data.load`,
so the error report is exactly the in-memory one (above :data:`~puhui.data.io.MAX_TEXT_BYTES`
the chunked problems are reported instead, with the file's row numbers). Aggregates that
place values (the yields panel) are identical; aggregates that add money (experience cells)
are sums in another order, equal to the in-memory ones to about 1e-15 relative.

**Engines.** ``engine="local"`` works chunk after chunk in this process. ``engine="dask"``
sends each chunk to a ``dask.distributed`` cluster — a :class:`~distributed.LocalCluster` on
this machine by default, or the scheduler at ``scheduler="tcp://host:8786"`` — where it is
validated and mapped; the partials come back and are combined in chunk order here, so both
engines give byte-identical results (same chunks, same combination order). The reading stays
in this process (the file need not be visible to the workers); at most ``2 × workers`` chunks
are in flight, which bounds memory.

**Peak memory** is the process's peak resident set size (``getrusage`` ``ru_maxrss``), read
after the scan (:func:`peak_rss`); commands print it and record it in their manifest.
"""

from __future__ import annotations

import csv
import io
import os
import resource
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import DataError, ParameterError, Problem

#: Rows per chunk by default: about 100 MB of a pandas frame of five text columns.
DEFAULT_CHUNK_ROWS = 1_000_000
ENGINES = ("local", "dask")

_CSV = {".csv", ".txt", ".tsv"}
_PARQUET = {".parquet", ".pq"}
_BLOCK = 1 << 26  # bytes scanned at a time for NUL bytes and bare carriage returns


def peak_rss() -> int:
    """Peak resident memory of this process so far, in bytes (``ru_maxrss``: KiB on Linux,
    bytes on macOS)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return int(peak if sys.platform == "darwin" else peak * 1024)


class _Fallback(Exception):
    """The streaming reader cannot take this file: read it whole (:func:`puhui.data.load`)."""


# --- reading in chunks --------------------------------------------------------------------

def _suffix(path: Path) -> str:
    return path.suffix.lower()


def _csv_header(path: Path, sep: str) -> list[str]:
    with open(path, "rb") as fh:
        first = fh.readline(1 << 20)
    if not first.endswith(b"\n"):
        raise _Fallback("no complete header line")
    try:
        text = first.decode("utf-8").lstrip("\ufeff")
    except UnicodeDecodeError:
        raise _Fallback("not UTF-8") from None
    if '"' in text:
        rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=sep))
        if len(rows) != 1:
            raise _Fallback("quoted header")
        return rows[0]
    return text.rstrip("\r\n").split(sep)


def _check_bytes(path: Path) -> None:
    """Fall back to the whole-file reader for NUL bytes, a bare carriage return or a UTF-16/32
    byte-order mark (the encodings and line ends the streaming reader does not decide)."""
    prev_cr = False
    with open(path, "rb") as fh:
        head = fh.read(4)
        if head.startswith((b"\xff\xfe", b"\xfe\xff")):
            raise _Fallback("UTF-16/32")
        fh.seek(0)
        while block := fh.read(_BLOCK):
            if b"\0" in block:
                raise _Fallback("NUL byte")
            cr = block.count(b"\r")
            if cr or prev_cr:
                crlf = block.count(b"\r\n") + (prev_cr and block.startswith(b"\n"))
                if cr + prev_cr - block.endswith(b"\r") != crlf:
                    raise _Fallback("bare carriage return")
            prev_cr = block.endswith(b"\r")
    if prev_cr:
        raise _Fallback("bare carriage return at the end")


def _csv_tables(path: Path, chunk_rows: int, sep: str | None) -> Iterator:
    """Arrow tables of ``chunk_rows`` rows (all columns text) of a UTF-8 CSV."""
    import pyarrow as pa
    import pyarrow.csv as pcsv

    if sep is None:
        with open(path, "rb") as fh:
            first = fh.readline(1 << 20)
        sep = "\t" if _suffix(path) == ".tsv" or (b"\t" in first and b"," not in first) else ","
    names = _csv_header(path, sep)
    if len(names) < 2 or len(set(names)) != len(names) or "" in names:
        raise _Fallback("header")
    _check_bytes(path)
    try:
        reader = _open_csv(pcsv, pa, path, names, sep)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as exc:
        raise _Fallback(str(exc)) from None
    yield from _rechunk(reader, chunk_rows)


def _open_csv(pcsv, pa, path: Path, names: list[str], sep: str):
    return pcsv.open_csv(
        path,
        read_options=pcsv.ReadOptions(column_names=names, skip_rows=1, block_size=1 << 24),
        parse_options=pcsv.ParseOptions(delimiter=sep, newlines_in_values=False,
                                        ignore_empty_lines=False),
        convert_options=pcsv.ConvertOptions(column_types={n: pa.string() for n in names},
                                            strings_can_be_null=False,
                                            quoted_strings_can_be_null=False))


def _rechunk(batches, chunk_rows: int) -> Iterator:
    """Tables of exactly ``chunk_rows`` rows (the last one shorter) from record batches."""
    import pyarrow as pa

    pending, n = [], 0
    try:
        for batch in batches:
            if batch.num_rows == 0:
                continue
            pending.append(batch)
            n += batch.num_rows
            while n >= chunk_rows:
                table = pa.Table.from_batches(pending)
                yield table.slice(0, chunk_rows)
                rest = table.slice(chunk_rows)
                pending, n = rest.to_batches(), rest.num_rows
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError, UnicodeDecodeError) as exc:
        raise _Fallback(str(exc)) from None
    if n:
        yield pa.Table.from_batches(pending)


def _parquet_tables(path: Path, chunk_rows: int) -> Iterator:
    import pyarrow as pa
    import pyarrow.dataset as pads

    try:
        dataset = pads.dataset(path, format="parquet")
        schema = dataset.schema
    except (pa.ArrowInvalid, OSError) as exc:
        raise _Fallback(str(exc)) from None
    if any(pa.types.is_nested(f.type) for f in schema) or len(set(schema.names)) != len(
            schema.names) or "__index_level_0__" in schema.names:
        raise _Fallback("nested, repeated or index columns")
    yield from _rechunk(dataset.to_batches(batch_size=min(chunk_rows, 1 << 20)), chunk_rows)


# --- one chunk: the cells as read, then validated ---------------------------------------------

#: Bytes that make a number cell need the cell-by-cell rules (:func:`puhui.data.parse.
#: plain_numbers`): ASCII blanks, ',', '_' and every non-ASCII byte.
_NOT_PLAIN = np.zeros(256, bool)
_NOT_PLAIN[[9, 10, 11, 12, 13, 28, 29, 30, 31, 32, ord(","), ord("_")]] = True
_NOT_PLAIN[128:] = True


def _plain_floats(arr, whole: bool):
    """A text column of plain numbers as float64 (NaN for an empty cell), exactly as
    :func:`puhui.data.parse.plain_numbers` reads it — or None (keep the text) when a cell is
    not plain, not finite, or (``whole``) not a whole number: the text then goes through the
    validation rules, which report it with the cell as written."""
    import pyarrow as pa
    import pyarrow.compute as pc

    arr = arr.combine_chunks() if isinstance(arr, pa.ChunkedArray) else arr
    if arr.null_count:
        return None
    offsets = np.frombuffer(arr.buffers()[1], np.int32)[arr.offset:arr.offset + len(arr) + 1]
    data = np.frombuffer(arr.buffers()[2], np.uint8)[offsets[0]:offsets[-1]]
    if data.size and (data.max() > 126 or np.count_nonzero(data <= 32)
                      or np.count_nonzero(data == 44) or np.count_nonzero(data == 95)):
        return None  # a byte of _NOT_PLAIN (by comparisons: 4× faster than a lookup table)
    empty = np.diff(offsets) == 0
    try:
        parsed = pc.cast(arr.filter(pa.array(~empty)) if empty.any() else arr, pa.float64())
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return None
    values = parsed.to_numpy(zero_copy_only=False)
    if not np.isfinite(values).all() or (whole and (values != np.round(values)).any()):
        return None
    out = np.full(len(arr), np.nan)
    out[~empty] = values
    return out


_SAMPLE = 10_000


def _distinct_cells(arr):
    """A text column with few distinct values as a Categorical of the cells as written (the
    chunk's distinct values in order of first appearance, Arrow's ``dictionary_encode``), or
    None when more than half of its cells are distinct."""
    import pyarrow as pa
    import pyarrow.compute as pc

    arr = arr.combine_chunks() if isinstance(arr, pa.ChunkedArray) else arr
    if arr.null_count or not len(arr):
        return None
    if len(arr) > 4 * _SAMPLE:  # an id column: its first rows are already mostly distinct
        head = arr.slice(0, _SAMPLE)
        if pc.count_distinct(head).as_py() > 0.5 * len(head):
            return None
    enc = pc.dictionary_encode(arr)
    if len(enc.dictionary) > 0.5 * len(arr):
        return None
    cats = enc.dictionary.to_pandas().to_numpy(object)
    return pd.Categorical.from_codes(enc.indices.to_numpy(), categories=pd.Index(cats, dtype=object),
                                     validate=False)


#: The last day datetime64[ns] holds whole (2262-04-11) and the first (1677-09-22), as days.
_NS_DAYS = (int(np.datetime64(pd.Timestamp.min.ceil("D").date(), "D").astype(np.int64)),
            int(np.datetime64(pd.Timestamp.max.floor("D").date(), "D").astype(np.int64)))


def _arrow_text(arr) -> pd.Series:
    """A text column with many distinct values, left in Arrow (``string[pyarrow]``): checked
    by :func:`_check_plain_text` without a Python string per cell."""
    import pyarrow as pa

    arr = arr.combine_chunks() if isinstance(arr, pa.ChunkedArray) else arr
    if arr.type != pa.string():
        arr = arr.cast(pa.string())
    return pd.Series(pd.arrays.ArrowStringArray(arr))


def _parquet_columns(table, kind: str) -> pd.DataFrame:
    """A Parquet chunk as :func:`puhui.data.io.arrow_frame` gives it, except three kinds of
    columns that are checked at array speed: a text column of Arrow strings with at most half
    of its cells distinct (a Categorical of the cells, as for a CSV chunk), any other column of
    Arrow strings without nulls (``string[pyarrow]``, :func:`_check_plain_text`), and a
    ``date32`` date column without nulls inside the datetime64[ns] range (datetime64[ns]: the
    same days :func:`puhui.data.parse.parse_date` reads from the dates as objects)."""
    import pyarrow as pa

    from .io import arrow_frame
    from .schema import DATE, STR, schema

    sch = schema(kind)
    fast, rest = {}, []
    for i, fld in enumerate(table.schema):
        target = sch.resolve(str(fld.name).strip().lstrip("\ufeff"))
        dtype = sch.column(target).dtype if target in sch.names else None
        col = table.column(i)
        t = fld.type.value_type if pa.types.is_dictionary(fld.type) else fld.type
        if col.null_count == 0 and len(col):
            if dtype == STR and (pa.types.is_string(t) or pa.types.is_large_string(t)):
                if t != fld.type:
                    col = col.cast(t)
                cells = _distinct_cells(col)
                fast[fld.name] = _arrow_text(col) if cells is None else cells
                continue
            if dtype == DATE and pa.types.is_date32(t):
                days = (col.cast(t) if t != fld.type else col).to_numpy().astype(np.int64)
                if _NS_DAYS[0] <= days.min() and days.max() <= _NS_DAYS[1]:
                    fast[fld.name] = days.astype("datetime64[D]").astype("datetime64[ns]")
                    continue
        rest.append(fld.name)
    if not fast:
        return arrow_frame(table)[0]
    typed = arrow_frame(table.select(rest))[0] if rest else pd.DataFrame(
        index=pd.RangeIndex(table.num_rows))
    cols = {n: fast[n] if n in fast else typed[n] for n in table.column_names}
    return pd.DataFrame(cols, index=pd.RangeIndex(table.num_rows))


def _frame(table, kind: str, fmt: str) -> pd.DataFrame:
    """The chunk as :func:`puhui.data.read_table` gives it: text cells for a CSV (number columns
    of plain numbers already as floats, which validation reads to the same values; text and
    date columns with few distinct values as a Categorical of the cells as written, checked
    value by value in :func:`check_chunk`; other text columns as Arrow strings, checked at
    array speed by :func:`_check_plain_text`), typed columns for Parquet
    (:func:`_parquet_columns`)."""
    from .schema import DATE, FLOAT, INT, STR, schema

    if fmt == "parquet":
        if len(set(table.column_names)) != len(table.column_names):
            from .io import arrow_frame

            return arrow_frame(table)[0]
        return _parquet_columns(table, kind)
    sch = schema(kind)
    cols = {}
    for name in table.column_names:
        col = table.column(name)
        target = sch.resolve(str(name).strip().lstrip("\ufeff"))
        dtype = sch.column(target).dtype if target in sch.names else None
        cells = None
        if dtype in (FLOAT, INT):
            cells = _plain_floats(col, dtype == INT)
        elif dtype in (STR, DATE):
            cells = _distinct_cells(col)
            if cells is None and dtype == STR and col.null_count == 0 and len(col):
                cells = _arrow_text(col)
        cols[name] = cells if cells is not None else col.to_pandas().to_numpy(object)
    return pd.DataFrame(cols)


def _utf8_buffers(arr) -> tuple[np.ndarray, np.ndarray]:
    """The offsets (``len + 1``) and the UTF-8 bytes of an Arrow ``string`` or
    ``large_string`` array (zero copy)."""
    import pyarrow as pa

    width = np.int64 if pa.types.is_large_string(arr.type) else np.int32
    offsets = np.frombuffer(arr.buffers()[1], width)[arr.offset:arr.offset + len(arr) + 1]
    buf = arr.buffers()[2]
    data = np.frombuffer(buf, np.uint8) if buf is not None else np.zeros(0, np.uint8)
    return offsets, data


def _is_arrow_text(series: pd.Series) -> bool:
    return isinstance(series.array, pd.arrays.ArrowStringArray)


def _check_plain_text(series: pd.Series, col):
    """The typed values of a text column of Arrow strings when no rule of
    :func:`puhui.data.validate._check_column` can apply to any cell, else None (the caller
    checks it as Python strings, for the row numbers and the cells as written).

    No rule applies when every cell is non-empty printable ASCII without blanks (33–126: the
    stripped text is the cell itself, not missing), no cell is a placeholder (``NA``, ``-`` …,
    :data:`puhui.data.parse.PLACEHOLDER_TOKENS`, looked for among the short cells only) and
    the column has no list of allowed values. The values are then the cells themselves (kept
    as ``string[pyarrow]``; ``astype(object)`` gives the in-memory column)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    from .parse import PLACEHOLDER_TOKENS

    if col.allowed is not None:
        return None
    arr = pa.chunked_array(series.array._pa_array).combine_chunks()
    if arr.null_count or not len(arr):
        return None
    offsets, data = _utf8_buffers(arr)
    data = data[offsets[0]:offsets[-1]]
    lengths = np.diff(offsets)
    if not lengths.all() or (data.size and (data.min() < 33 or data.max() > 126)):
        return None
    longest = max(map(len, PLACEHOLDER_TOKENS))
    short = lengths <= longest
    if short.any():
        lowered = pc.utf8_lower(arr.filter(pa.array(short)))
        tokens = pa.array(sorted(t for t in PLACEHOLDER_TOKENS if t.isascii()))
        if pc.any(pc.is_in(lowered, value_set=tokens)).as_py():
            return None
    return series.array


def _check_distinct(series: pd.Series, col, table: str):
    """:func:`puhui.data.validate._check_column` of a Categorical column of raw cells, run on
    its distinct values only (every rule of a text or date cell is a function of the cell
    alone) and mapped back by the codes: typed values as a Categorical (text) or an array
    (dates). Any problem or note → None (the caller checks the column row by row, for the
    row numbers)."""
    from .schema import STR
    from .validate import _check_column

    cat = series.array
    values, problems, notes = _check_column(pd.Series(np.asarray(cat.categories, object),
                                                      dtype=object), col, table)
    if problems or notes:
        return None
    codes = cat.codes
    if (codes < 0).any():
        return None
    if col.dtype != STR:
        return np.asarray(values)[codes]
    ucodes, uniq = pd.factorize(np.asarray(values, object))  # cleaned text may coincide
    return pd.Categorical.from_codes(ucodes[codes], categories=pd.Index(uniq, dtype=object),
                                     validate=False)


@dataclass
class _Checked:
    partial: object
    problems: list
    notes: list
    hashes: np.ndarray
    rows: int


# Order of a column's problems in validate(): missing values, bad cells, values not allowed,
# bounds (checked in one pass, by row).
_RANK = {"missing_value": 0, "not_a_number": 1, "not_an_integer": 1, "not_a_date": 1,
         "not_a_boolean": 1, "inexact_id": 1, "not_allowed": 2}


def _shift(problems, start: int) -> list[Problem]:
    return [replace(p, row=p.row + start) if p.row is not None else p for p in problems]


def check_chunk(raw: pd.DataFrame, kind: str, *, table: str, start: int = 0,
                strict: bool = False,
                key_hashes: bool = True) -> tuple[pd.DataFrame, list, list, np.ndarray]:
    """Validate one chunk (rows ``start + 1 …`` of the file) with the per-cell and per-row
    rules of :func:`puhui.data.validate`: ``(typed, problems, notes, key_hashes)``.

    The key (or, for a table without one, the whole row) is returned as 64-bit hashes for the
    check across chunks; header problems are checked once, before the chunks.
    """
    from .schema import schema
    from .validate import _check_column, _header_names, _row_problems, _wrong_type

    sch = schema(kind)
    raw = raw.reset_index(drop=True)
    written = [str(c).strip().lstrip("\ufeff") for c in raw.columns]
    columns, _ = _header_names(written, sch, table)
    raw.columns = columns
    out, problems, notes = {}, [], []
    for col in sch.columns:
        if col.name not in raw.columns:
            continue
        series = raw[col.name]
        categorical = isinstance(series.dtype, pd.CategoricalDtype)
        shown = pd.Series(np.asarray(series.cat.categories, object)) if categorical else series
        if strict and _wrong_type(shown, col) is not None:
            problems.append(Problem(table, col.name, None, "wrong_type", "wrong type"))
            continue
        if categorical or _is_arrow_text(series):
            typed_values = (_check_distinct(series, col, table) if categorical
                            else _check_plain_text(series, col))
            if typed_values is not None:
                out[col.name] = typed_values
                continue
            series = series.astype(object)
        values, col_problems, col_notes = _check_column(series, col, table)
        problems.extend(sorted(_shift(col_problems, start),
                               key=lambda p: (_RANK.get(p.rule, 3), p.row or 0)))
        notes.extend(_shift(col_notes, start))
        out[col.name] = values
    typed = pd.DataFrame(out, index=raw.index)
    problems.extend(_shift(_row_problems(typed, kind, table), start))
    key = [k for k in sch.key if k in typed.columns]
    if not key_hashes:  # the aggregation checks the key itself (Aggregation.checks_key)
        hashes = np.zeros(0, np.uint64)
    elif key and not any(k not in typed.columns for k in sch.key if k in sch.required):
        hashes = row_hashes(typed[key])
    elif not key and len(typed.columns):
        hashes = row_hashes(typed)
    else:
        hashes = np.zeros(0, np.uint64)
    return typed, problems, notes, hashes


_FNV_OFFSET, _FNV_PRIME = np.uint64(0xCBF29CE484222325), np.uint64(0x100000001B3)
_NULL_HASH = np.uint64(0x9E3779B97F4A7C15)
#: Longest text hashed byte by byte over the whole column (one numpy pass per byte position);
#: a column with longer cells is hashed by pandas (one Python string per cell).
_HASH_BYTES = 64


def _mix64(h: np.ndarray) -> np.ndarray:
    """The splitmix64 finaliser (Steele, Lea & Flood 2014): spreads nearby values over all 64
    bits."""
    h = (h ^ (h >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    h = (h ^ (h >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return h ^ (h >> np.uint64(31))


def _text_hashes(values) -> np.ndarray:
    """64-bit hashes of text cells (a sequence of str/None, or an Arrow string array), a
    function of each text alone whatever the column's representation: FNV-1a over the UTF-8
    bytes (one vectorised pass per byte position), then :func:`_mix64`; a null has its own
    value. A cell longer than :data:`_HASH_BYTES` bytes is hashed by pandas' ``hash_array``
    instead."""
    import pyarrow as pa

    arr = values if isinstance(values, (pa.Array, pa.ChunkedArray)) else pa.array(
        values, pa.string())
    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks()
    if not (pa.types.is_string(arr.type) or pa.types.is_large_string(arr.type)):
        arr = arr.cast(pa.string())
    if not len(arr):
        return np.zeros(0, np.uint64)
    offsets, data = _utf8_buffers(arr)
    starts = offsets[:-1].astype(np.int64)
    lengths = np.diff(offsets).astype(np.int64)
    h = np.full(len(arr), _FNV_OFFSET, np.uint64)
    longest = min(int(lengths.max()), _HASH_BYTES)
    with np.errstate(over="ignore"):
        if longest and (lengths == longest).all():  # ids of one length: a bytes matrix
            matrix = data[offsets[0]:offsets[-1]].reshape(len(arr), longest)
            for j in range(longest):
                h = (h ^ matrix[:, j].astype(np.uint64)) * _FNV_PRIME
        else:
            last = max(len(data) - 1, 0)
            padded = data if len(data) else np.zeros(1, np.uint8)
            for j in range(longest):
                byte = padded[np.minimum(starts + j, last)].astype(np.uint64)
                h = np.where(lengths > j, (h ^ byte) * _FNV_PRIME, h)
    long = lengths > _HASH_BYTES
    if long.any():  # (a function of the text alone all the same)
        texts = arr.filter(pa.array(long)).to_numpy(zero_copy_only=False).astype(object)
        h[long] = pd.util.hash_array(texts, categorize=False)
    if arr.null_count:
        h = np.where(arr.is_valid().to_numpy(zero_copy_only=False), h, _NULL_HASH)
    with np.errstate(over="ignore"):
        return _mix64(h.astype(np.uint64))


def row_hashes(frame: pd.DataFrame) -> np.ndarray:
    """A 64-bit hash of each row of a typed chunk (its key columns, or all), for the check of
    repeated keys across chunks: equal rows give equal hashes whatever the representation of a
    text column (object, Categorical, ``string[pyarrow]``), so chunks read by different paths
    can be compared. Text is hashed by :func:`_text_hashes`, other columns by pandas'
    ``hash_array``; the columns are combined as in ``hash_combine`` (Boost)."""
    from .parse import is_text

    out = None
    for name in frame.columns:
        series = frame[name]
        if isinstance(series.dtype, pd.CategoricalDtype):
            cats = series.cat.categories
            codes = series.cat.codes.to_numpy()
            if cats.dtype == object and pd.api.types.infer_dtype(cats) == "string":
                h = np.append(_text_hashes(np.asarray(cats, object)), _text_hashes([None]))
            else:
                h = np.append(pd.util.hash_array(np.asarray(cats)), np.uint64(0))
            h = h[np.where(codes < 0, len(cats), codes)]
        elif _is_arrow_text(series):
            h = _text_hashes(series.array._pa_array)
        elif is_text(series) and pd.api.types.infer_dtype(series, skipna=True) in (
                "string", "empty"):
            h = _text_hashes(series.to_numpy(object))
        else:
            h = pd.util.hash_pandas_object(series, index=False).to_numpy()
        h = np.asarray(h, np.uint64)
        if out is None:
            out = h.copy()
        else:
            with np.errstate(over="ignore"):
                out ^= h + np.uint64(0x9E3779B97F4A7C15) + (out << np.uint64(6)) + (
                    out >> np.uint64(2))
    return out if out is not None else np.zeros(len(frame), np.uint64)


def _work(table, kind, name, start, fmt, agg):
    """One chunk, on this process or a Dask worker: read, validate, map."""
    raw = _frame(table, kind, fmt)
    typed, problems, notes, hashes = check_chunk(raw, kind, table=name, start=start,
                                                 strict=fmt == "parquet",
                                                 key_hashes=not getattr(agg, "checks_key",
                                                                        False))
    partial = agg.map(typed) if not problems and agg is not None else None
    return _Checked(partial, problems, notes, hashes, len(typed))


# --- aggregations -------------------------------------------------------------------------------

class Aggregation:
    """What a scan computes: ``map(typed_chunk) → partial`` on each chunk (on a worker with the
    Dask engine: the object is pickled), ``combine(list_of_partials) → result`` once, in chunk
    order. Subclasses must be importable top-level classes (for Dask). In a chunk, text
    columns with few distinct values arrive as pandas ``Categorical`` and other text columns
    without a cell to clean as ``string[pyarrow]`` (the values typed as
    :func:`puhui.data.load` types them; ``astype(object)`` or :func:`plain_columns` gives its
    columns)."""

    def map(self, chunk: pd.DataFrame):
        raise NotImplementedError

    def combine(self, partials: list):
        raise NotImplementedError


def plain_columns(frame: pd.DataFrame) -> pd.DataFrame:
    """A typed chunk with its text columns as object, as :func:`puhui.data.load` gives them
    (a chunk's text arrives as a Categorical or as ``string[pyarrow]``)."""
    cols = [c for c in frame.columns if isinstance(frame[c].dtype, pd.CategoricalDtype)
            or _is_arrow_text(frame[c])]
    if not cols:
        return frame
    out = frame.copy(deep=False)
    for c in cols:
        out[c] = np.asarray(frame[c].astype(object), object)
    return out


class Collect(Aggregation):
    """The typed table itself (the chunks concatenated, text columns as object like
    :func:`puhui.data.load`): the in-memory result, for tests."""

    def map(self, chunk):
        return plain_columns(chunk)

    def combine(self, partials):
        return pd.concat(partials, ignore_index=True) if partials else pd.DataFrame()


@dataclass
class ScanResult:
    """What :func:`scan` returns: the aggregate, the rows read, the chunks, the peak memory
    (bytes, :func:`peak_rss`) and the engine used."""

    result: object
    rows: int
    chunks: int
    peak_bytes: int
    engine: str
    notes: list = field(default_factory=list)


# --- the scan ----------------------------------------------------------------------------------

def _tables(path: Path, chunk_rows: int, sep: str | None):
    suffix = _suffix(path)
    if path.is_dir() or suffix in _PARQUET:
        return _parquet_tables(path, chunk_rows), "parquet"
    if suffix in _CSV:
        return _csv_tables(path, chunk_rows, sep), "csv"
    raise _Fallback(f"{suffix} is read whole")


def _in_memory(source, kind: str, table: str, agg: Aggregation, engine: str) -> ScanResult:
    from .io import load

    typed = load(source, kind, table=table)
    result = agg.combine([agg.map(typed)])
    return ScanResult(result, len(typed), 1, peak_rss(), engine)


def _client(scheduler):
    try:
        from distributed import Client, LocalCluster
    except ImportError:
        raise ParameterError("engine='dask' needs dask.distributed: pip install "
                             "'puhui[scale]' (or 'dask[distributed]')") from None
    if scheduler is None:
        cluster = LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                               dashboard_address=None)
        return Client(cluster), cluster
    if isinstance(scheduler, str):
        try:
            return Client(scheduler, timeout="20s"), False  # ours to close, not the cluster
        except OSError as exc:
            raise ParameterError(f"cannot reach the Dask scheduler {scheduler!r}: {exc}") from None
    return scheduler, None  # a distributed.Client given by the caller


def scan(source, kind: str, agg: Aggregation, *, chunk_rows: int = DEFAULT_CHUNK_ROWS,
         engine: str = "local", scheduler=None, table: str | None = None,
         sep: str | None = None) -> ScanResult:
    """Validate a table chunk by chunk and aggregate it (module notes).

    Parameters
    ----------
    source : path
        A CSV/TSV (UTF-8, with or without BOM), a Parquet file, or a folder of Parquet files
        (a partitioned dataset); other files (.xlsx, .gz, GBK text …) are read whole.
    kind : str
        The table's schema (``policies``, ``yields`` …, :func:`puhui.data.validate`).
    agg : Aggregation
    chunk_rows : int
        Rows per chunk (memory ≈ chunk_rows × about 100 bytes per text cell, per chunk in
        flight).
    engine : {"local", "dask"}
    scheduler : str or distributed.Client, optional
        Dask only: a scheduler address (``tcp://host:8786``) or a client; default a
        ``LocalCluster`` of 2 worker processes, closed after the scan.
    table : str, optional
        Name in problems (default: the file name).

    Returns
    -------
    ScanResult

    Raises
    ------
    puhui.DataError
        Every problem of the table, as :func:`puhui.data.load` reports them.
    """
    if engine not in ENGINES:
        raise ParameterError(f"engine must be one of {', '.join(ENGINES)}, got {engine!r}")
    if not (isinstance(chunk_rows, (int, np.integer)) and chunk_rows > 0):
        raise ParameterError(f"chunk_rows must be a positive integer, got {chunk_rows!r}")
    if not isinstance(source, (str, os.PathLike)):
        raise ParameterError(f"scan() reads a file or folder, got {type(source).__name__}")
    path = Path(source)
    if not path.exists():
        raise ParameterError(f"no such file: {path}")
    name = table or path.name
    try:
        tables, fmt = _tables(path, int(chunk_rows), sep)
        return _scan(tables, fmt, path, kind, name, agg, engine, scheduler)
    except _Fallback:
        if path.is_dir():
            raise ParameterError(f"{path}: not a readable Parquet dataset") from None
        return _in_memory(path, kind, name, agg, engine)


def _header_ok(table, kind: str, name: str, fmt: str) -> None:
    """Header problems (missing, unknown, repeated columns): read whole for the full report."""
    from .validate import validate

    try:
        validate(_frame(table.slice(0, 0), kind, fmt), kind, table=name)
    except DataError:
        raise _Fallback("header problems") from None


def _scan(tables, fmt, path, kind, name, agg, engine, scheduler) -> ScanResult:
    checked: list[_Checked] = []
    start = 0
    first = True
    if engine == "local":
        for table in tables:
            if first:
                _header_ok(table, kind, name, fmt)
                first = False
            checked.append(_work(table, kind, name, start, fmt, agg))
            start += table.num_rows
    else:
        client, cluster = _client(scheduler)
        try:
            workers = max(1, len(client.scheduler_info().get("workers", {})))
            futures = []
            for table in tables:
                if first:
                    _header_ok(table, kind, name, fmt)
                    first = False
                futures.append(client.submit(_work, table, kind, name, start, fmt, agg,
                                             pure=False))
                start += table.num_rows
                while sum(not f.done() for f in futures) >= 2 * workers:
                    from distributed import wait

                    wait([f for f in futures if not f.done()], return_when="FIRST_COMPLETED")
            checked = client.gather(futures)
        finally:
            if cluster is not None:  # a client (and cluster) this scan started
                client.close()
                if cluster is not False:
                    cluster.close()
    if first:  # no data rows: the in-memory path reports an empty table as it does
        raise _Fallback("no rows")
    problems = [p for c in checked for p in c.problems]
    hashes = np.concatenate([c.hashes for c in checked]) if checked else np.zeros(0)
    dup = _duplicate_rows(hashes)
    if problems or len(dup):
        from .io import MAX_TEXT_BYTES

        if path.is_dir() or path.stat().st_size > MAX_TEXT_BYTES:
            problems += [Problem(name, None, int(r), "duplicate_id",
                                 "the key (or the whole row) repeats: the same 64-bit hash as "
                                 "another row") for r in dup[:1000]]
            raise DataError(problems)
        raise _Fallback("problems: the in-memory reader reports them")
    notes = [p for c in checked for p in c.notes]
    if notes:
        import warnings

        from ..errors import DataWarning

        warnings.warn(DataWarning(notes), stacklevel=3)
    result = agg.combine([c.partial for c in checked])
    return ScanResult(result, start, len(checked), peak_rss(), engine, notes)


def _duplicate_rows(hashes: np.ndarray) -> np.ndarray:
    """1-based rows whose hash occurs more than once."""
    if len(hashes) < 2:
        return np.zeros(0, np.int64)
    s = np.sort(hashes)  # (sorting values is several times faster than argsort)
    if not (s[1:] == s[:-1]).any():
        return np.zeros(0, np.int64)
    order = np.argsort(hashes, kind="stable")
    s = hashes[order]
    same = s[1:] == s[:-1]
    mark = np.zeros(len(s), bool)
    mark[1:] |= same
    mark[:-1] |= same
    return np.sort(order[mark]) + 1


__all__ = ["Aggregation", "Collect", "DEFAULT_CHUNK_ROWS", "ENGINES", "ScanResult", "check_chunk",
           "peak_rss", "plain_columns", "row_hashes", "scan"]
