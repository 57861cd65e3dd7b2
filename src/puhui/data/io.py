"""Reading tables from CSV (UTF-8, UTF-8 with BOM, GB18030/GBK, UTF-16), Parquet and Excel .xlsx.

Every way a file can be unreadable ends in one clean error naming the file and what is wrong:
:class:`puhui.ParameterError` when the path itself is unusable (missing, a directory, no read
permission, unknown type), :class:`puhui.DataError` when the content is (rules below, the
``rule`` of each :class:`puhui.Problem`). ``puhui validate`` prints either and exits 2.

=====================  ======================================================================
``encoding``           a CSV that is not valid UTF-8 and not plausible GB18030/GBK text: a
                       UTF-8 file with a row in another encoding (the line is named), Big5
                       or other text that reads as mojibake, undecodable bytes
``nul_byte``           a NUL byte in a text file (the lines are named)
``empty_file``         no header row
``ragged_row``         a CSV row with more or fewer fields than the header (or a blank line)
``unbalanced_quote``   a quote that is never closed
``bad_csv``            any other CSV syntax error
``corrupt_file``       a damaged or fake .gz/.xlsx/.parquet file
``missing_sheet``      the requested sheet is not in the workbook
``duplicate_column``   a Parquet column name appears twice
``nested_column``      a Parquet column holds lists, structs or maps (one value per cell)
``file_too_large``     the text or the unpacked workbook is above the size limit
=====================  ======================================================================

Warnings (:class:`puhui.errors.DataWarning`, the table is read): ``hidden_rows``,
``hidden_columns``, ``hidden_sheet`` — parts of an .xlsx sheet that the person who checked it
in Excel could not see, but that are read.

**Encodings.** A CSV without a declared encoding is decided strictly, never guessed per cell:

1. a UTF-16/UTF-32 byte-order mark: decoded as such (Excel's "Unicode text" export);
2. UTF-8 (with or without BOM) when the *whole* file decodes as UTF-8;
3. otherwise, if most non-ASCII text is valid UTF-8, the file is UTF-8 with a few rows in
   another encoding (a row pasted from a GBK file): an error naming those lines — not a silent
   re-decoding of the whole file;
4. otherwise GB18030 (a superset of GBK and GB2312), if the whole file decodes and reads as
   simplified Chinese: it is refused when it reads better as Big5, when it holds private-use
   characters, when a line is UTF-8 inside the GBK text, or when at least 20 % of its non-ASCII
   characters (and at least 3) lie outside GB2312 and common punctuation — the signature of
   text in another encoding read as GB18030 (mojibake). A very short Big5 text whose bytes
   happen to be common GB2312 characters cannot be told apart (高雄 in Big5 reads as 蔼动).

The fix is the same in every case: save the file as UTF-8 (Excel: 另存为 → "CSV UTF-8
(逗号分隔)"), or pass ``encoding=`` when the encoding is known.

**Size limits.** A text file of more than :data:`MAX_TEXT_BYTES` (after .gz decompression),
and an .xlsx whose parts unpack to more than :data:`MAX_XLSX_UNPACKED_BYTES`, are refused
before they are read (the sizes declared in the zip directory are checked first, so a
"zip bomb" costs nothing): convert such data to CSV or Parquet.
"""

from __future__ import annotations

import codecs
import csv
import functools
import io
import os
import re
import sys
import warnings
import zipfile
import zlib
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import DataError, DataWarning, ParameterError, Problem, PuhuiError

CSV_SUFFIXES = {".csv", ".txt", ".tsv"}
EXCEL_SUFFIXES = {".xlsx", ".xlsm"}
PARQUET_SUFFIXES = {".parquet", ".pq"}

#: Largest CSV/text file read (bytes, after .gz decompression): 2 GiB. Use Parquet for more.
MAX_TEXT_BYTES = 2 * 1024**3
#: Largest unpacked size of an .xlsx (sum of the sizes its zip directory declares): 256 MiB.
#: openpyxl reads about 2 MB of sheet XML per second (a 786 MB sheet took 400 s and 2.5 GB of
#: memory), so this bounds a read at about 2 minutes; larger tables belong in CSV or Parquet.
MAX_XLSX_UNPACKED_BYTES = 256 * 1024**2

# Share (and least number) of unusual characters from which GB18030 text is taken as mojibake:
# a few rare characters (生僻字 in names, such as 镕 or 喆) are normal in simplified text.
_MOJIBAKE_SHARE = 0.2
_MOJIBAKE_MIN = 3

_OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # old .xls, and password-protected .xlsx


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
        CSV encoding; by default decided strictly (see the module notes): UTF-8 with or without
        BOM, UTF-16 with BOM, or GB18030/GBK when the text reads as simplified Chinese.
    sep : str, optional
        CSV separator, one character; by default ',' (tab for ``.tsv``, and for a ``.txt``
        whose header has tabs and no commas).

    Notes
    -----
    CSV cells are read as text and spreadsheet cells as the value Excel stored, so that
    validation, not the reader, decides what a number, a date or an id is (a reader that
    guesses would coerce silently). Parquet columns keep their types, and validation checks
    them against the schema.

    Raises
    ------
    puhui.ParameterError
        The path is missing, a directory, unreadable, or of an unknown type.
    puhui.DataError
        The content cannot be read as a table (see the rules above).
    """
    if isinstance(source, pd.DataFrame):
        return source.copy()
    if not isinstance(source, (str, os.PathLike)):
        raise ParameterError(f"cannot read a table from {type(source).__name__}")
    path = Path(source)
    suffixes = [s.lower() for s in path.suffixes]
    gz = bool(suffixes) and suffixes[-1] == ".gz"
    suffix = (suffixes[-2] if len(suffixes) > 1 else "") if gz else (
        suffixes[-1] if suffixes else "")
    head = _check_readable(path)
    if suffix in CSV_SUFFIXES:
        if sep is not None and len(sep) != 1:
            raise ParameterError(f"sep must be one character, got {sep!r}")
        raw = _read_bytes(path, gz)
        out = _read_csv(raw, path.name, encoding, sep, suffix)
        fmt = "csv"
    elif gz:
        raise ParameterError(f"{path.name}: only CSV/TSV/TXT files can be read from .gz")
    elif suffix in PARQUET_SUFFIXES:
        out, types = _read_parquet(path)
        out.attrs["puhui_types"] = types
        fmt = "parquet"
    elif suffix in EXCEL_SUFFIXES:
        out = _read_xlsx(path, sheet_name, head)
        fmt = "xlsx"
    elif suffix == ".xls":
        raise ParameterError(f"{path.name}: old .xls workbooks are not supported; "
                             "save the sheet as .xlsx or CSV")
    else:
        raise ParameterError(f"{path.name}: unknown file type {suffix!r}; use CSV, Parquet "
                             "or .xlsx")
    out.attrs["puhui_format"] = fmt
    out.attrs["puhui_source"] = path.name
    return out


def load(source, kind: str, **related) -> pd.DataFrame:
    """Read and validate a table: ``validate(read_table(source), kind, **related)``.

    ``related`` passes ``policies=``/``claims=`` for the cross-table rules and
    ``extra_columns=``; the file name is used as the table name in problems.
    """
    from .validate import validate

    name = Path(source).name if isinstance(source, (str, os.PathLike)) else kind
    return validate(read_table(source), kind, table=related.pop("table", name), **related)


# --- the file -----------------------------------------------------------------------------

def _problem(name: str, rule: str, message: str, row: int | None = None,
             column: str | None = None, value=None) -> DataError:
    return DataError([Problem(name, column, row, rule, message, value)])


def _check_readable(path: Path) -> bytes:
    """The first bytes of the file, or a ParameterError saying why it cannot be read."""
    try:
        if path.is_dir():
            raise ParameterError(f"{path} is a directory, not a file: give the path of a "
                                 "table file (CSV, Parquet or .xlsx)")
        with open(path, "rb") as fh:
            return fh.read(8)
    except FileNotFoundError:
        raise ParameterError(f"no such file: {path}") from None
    except PermissionError:
        raise ParameterError(f"{path}: permission denied (the file cannot be read by this "
                             "user)") from None
    except OSError as exc:
        raise ParameterError(f"{path}: cannot read the file ({exc.strerror or exc})") from None


def _read_bytes(path: Path, gz: bool) -> bytes:
    size = path.stat().st_size
    if not gz and size > MAX_TEXT_BYTES:
        raise _too_large(path.name, size, MAX_TEXT_BYTES, "text file")
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise ParameterError(f"{path}: cannot read the file ({exc.strerror or exc})") from None
    if not gz:
        return raw
    # stream-decompress with a cap: a small .gz can unpack to gigabytes
    out = bytearray()
    data = raw
    try:
        while True:
            dec = zlib.decompressobj(wbits=31)
            while not dec.eof:
                chunk = dec.decompress(data, 1 << 24)
                data = dec.unconsumed_tail
                if not chunk and not data:
                    raise zlib.error("compressed file ended before the end-of-stream marker")
                out += chunk
                if len(out) > MAX_TEXT_BYTES:
                    raise _too_large(path.name, len(out), MAX_TEXT_BYTES, "decompressed text",
                                     at_least=True)
            data = dec.unused_data.lstrip(b"\0")  # concatenated members
            if not data:
                break
    except zlib.error as exc:
        raise _problem(path.name, "corrupt_file", f"not a valid .gz file ({exc}); "
                       "compress it again or give the uncompressed CSV") from None
    return bytes(out)


def _too_large(name: str, size: int, limit: int, what: str, at_least: bool = False):
    more = "more than " if at_least else ""
    setting, fix = ("MAX_XLSX_UNPACKED_BYTES", "save the sheet as CSV (UTF-8) or Parquet") if (
        "workbook" in what) else ("MAX_TEXT_BYTES", "convert the table to Parquet or split it")
    return _problem(name, "file_too_large",
                    f"the {what} is {more}{size / 2**20:,.0f} MiB, above the limit of "
                    f"{limit / 2**20:,.0f} MiB (puhui.data.io.{setting}); {fix}")


# --- encodings ------------------------------------------------------------------------------

_CHUNK = 1 << 22  # characters scanned at a time (keeps the code-point arrays small)


def _code_points(text: str) -> np.ndarray:
    return np.frombuffer(text.encode("utf-32-le"), np.uint32)


def _line_starts(data) -> np.ndarray:
    """Offsets at which each line starts (line k, 1-based, starts at [k - 1]) of bytes or str."""
    if isinstance(data, np.ndarray):
        found = [np.flatnonzero(data == 10)]
    elif isinstance(data, (bytes, bytearray)):
        found = [np.flatnonzero(np.frombuffer(data, np.uint8) == 10)]
    else:
        found = [np.flatnonzero(_code_points(data[i:i + _CHUNK]) == 10) + i
                 for i in range(0, len(data), _CHUNK)]
    return np.concatenate([[0], *(f + 1 for f in found)]).astype(np.int64)


def _line_of(starts: np.ndarray, offsets) -> np.ndarray:
    """1-based line numbers of character (or byte) offsets."""
    return np.searchsorted(starts, np.asarray(offsets), side="right")


def _lines_text(lines) -> str:
    lines = list(lines)
    shown = ", ".join(str(x) for x in lines[:5])
    return f"line {shown}" if len(lines) == 1 else (
        f"lines {shown}" + (f" … ({len(lines)} lines)" if len(lines) > 5 else ""))


_SAVE_AS_UTF8 = ("save the file as UTF-8 (Excel: 另存为 → 'CSV UTF-8 (逗号分隔)'; WPS/记事本: "
                 "编码 UTF-8), or pass encoding= if you know the file's encoding")


@functools.cache
def _common_table(kind: str) -> np.ndarray:
    """Code points (BMP) that are ordinary in simplified ('gb') or traditional ('big5') text.

    'gb': ASCII, Latin-1, general punctuation, CJK symbols, full-width forms, and the GB2312
    rows of punctuation, numbers, full-width ASCII (A1–A3) and the 6,763 hanzi (B0–F7).
    'big5': the same punctuation ranges, Big5 symbols (A140–A3BF) and its 5,401 frequently
    used characters (A440–C67E).
    """
    table = np.zeros(0x10000, bool)
    table[:0x100] = True
    table[0x2000:0x2070] = table[0x3000:0x3040] = table[0xFF00:0xFFF0] = True
    if kind == "gb":
        codec, leads, trails = "gb2312", [0xA1, 0xA2, 0xA3, *range(0xB0, 0xF8)], range(0xA1,
                                                                                      0xFF)
    else:
        codec, leads, trails = "big5", range(0xA1, 0xC7), [*range(0x40, 0x7F),
                                                            *range(0xA1, 0xFF)]
    for lead in leads:
        row = bytes(b for trail in trails for b in (lead, trail))
        try:
            chars = row.decode(codec)
        except UnicodeDecodeError:  # a row with unassigned pairs: one pair at a time
            chars = "".join(row[i:i + 2].decode(codec, "ignore") for i in range(0, len(row), 2))
        table[_code_points(chars)] = True
    return table


def _unusual(text: str, kind: str) -> tuple[int, np.ndarray, np.ndarray]:
    """(number of non-ASCII characters, offsets and code points of those not common in
    ``kind`` text)."""
    table = _common_table(kind)
    n, offsets, points = 0, [], []
    for start in range(0, len(text), _CHUNK):
        cp = _code_points(text[start:start + _CHUNK])
        non = cp >= 0x80
        n += int(non.sum())
        odd = np.flatnonzero(non & ((cp > 0xFFFF) | ~table[np.minimum(cp, 0xFFFF)]))
        offsets.append(odd + start)
        points.append(cp[odd])
    return n, np.concatenate(offsets), np.concatenate(points)


def _decode(raw: bytes, name: str, encoding: str | None) -> str:
    """The text of a CSV file, decided strictly (module notes), or a DataError."""
    if encoding is not None:
        try:
            codecs.lookup(encoding)
        except LookupError:
            raise ParameterError(f"unknown encoding {encoding!r}") from None
        return _strict(raw, name, encoding).lstrip("\ufeff")
    for bom, enc in ((codecs.BOM_UTF32_LE, "utf-32"), (codecs.BOM_UTF32_BE, "utf-32"),
                     (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16")):
        if raw.startswith(bom):
            return _strict(raw, name, enc)
    _check_nul(raw, name)
    if raw.startswith(codecs.BOM_UTF8):
        return _strict(raw, name, "utf-8-sig")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        pass
    # Valid UTF-8 Chinese text (3-byte characters, common hanzi and punctuation) against
    # invalid bytes: bytes of GBK text rarely form such characters by chance.
    t8 = raw.decode("utf-8", "replace")
    common = _common_table("gb")
    valid, replaced = [], []
    for start in range(0, len(t8), _CHUNK):
        cp = _code_points(t8[start:start + _CHUNK])
        bad = cp == 0xFFFD
        good = (cp >= 0x800) & (cp <= 0xFFFF) & ~bad & common[np.minimum(cp, 0xFFFF)]
        valid.append(np.flatnonzero(good) + start)
        replaced.append(np.flatnonzero(bad) + start)
    valid, replaced = np.concatenate(valid), np.concatenate(replaced)
    if len(valid):
        starts = _line_starts(t8)
        bad_lines = np.unique(_line_of(starts, replaced))
        utf8_lines = np.setdiff1d(np.unique(_line_of(starts, valid)), bad_lines)
    if len(valid) > len(replaced):
        # a UTF-8 file with a few rows in another encoding: name them
        raise _mixed(name, bad_lines, "not valid UTF-8 although the rest of the file is UTF-8 "
                     "(probably pasted from a GBK/ANSI file)")
    try:
        text = raw.decode("gb18030")
    except UnicodeDecodeError as exc:
        if len(valid) and len(utf8_lines):
            # both encodings: name the lines of the smaller group
            if len(utf8_lines) < len(bad_lines):
                raise _mixed(name, utf8_lines, "UTF-8 while the other lines are not (GBK/ANSI):"
                             " the file mixes encodings") from None
            raise _mixed(name, bad_lines, "not UTF-8 while the other lines are: the file mixes "
                         "encodings") from None
        line = int(raw.count(b"\n", 0, exc.start)) + 1
        raise _problem(name, "encoding",
                       f"the file is neither UTF-8 nor GB18030/GBK (undecodable bytes on line "
                       f"{line}); " + _SAVE_AS_UTF8) from None
    _check_gb_text(raw, text, name)
    return text


def _mixed(name: str, lines: np.ndarray, what: str) -> DataError:
    one = len(lines) == 1
    return _problem(name, "encoding",
                    f"{_lines_text(lines)} {'is' if one else 'are'} {what}; retype or re-save "
                    f"{'that row' if one else 'those rows'}, and " + _SAVE_AS_UTF8,
                    row=int(lines[0]) - 1 if lines[0] > 1 else None)


def _strict(raw: bytes, name: str, encoding: str) -> str:
    try:
        text = raw.decode(encoding)
    except UnicodeDecodeError as exc:
        wide = encoding.lower().replace("_", "-").startswith(("utf-16", "utf-32"))
        line = None if wide else int(bytes(exc.object).count(b"\n", 0, exc.start)) + 1
        where = f" on line {line}" if line else f" at byte {exc.start}"
        label = {"utf-8-sig": "UTF-8 (it starts with a UTF-8 byte-order mark)",
                 "utf-16": "UTF-16 (it starts with a UTF-16 byte-order mark)",
                 "utf-32": "UTF-32 (it starts with a UTF-32 byte-order mark)"}.get(
                     encoding, encoding)
        raise _problem(name, "encoding",
                       f"the file is not valid {label}{where}; " + _SAVE_AS_UTF8) from None
    if "\0" in text:
        nul = [np.flatnonzero(_code_points(text[i:i + _CHUNK]) == 0) + i
               for i in range(0, len(text), _CHUNK)]
        lines = np.unique(_line_of(_line_starts(text), np.concatenate(nul)))
        raise _problem(name, "nul_byte", f"NUL characters on {_lines_text(lines)}; a text "
                       "table cannot hold them: remove them or export the table again")
    return text


def _check_nul(raw: bytes, name: str) -> None:
    if b"\0" not in raw:
        return
    arr = np.frombuffer(raw, np.uint8)
    nul = np.flatnonzero(arr == 0)
    lines = np.unique(_line_of(_line_starts(arr), nul))
    hint = (" — the file looks like UTF-16 without a byte-order mark" if len(nul) > len(arr) / 4
            else "")
    raise _problem(name, "nul_byte", f"NUL bytes on {_lines_text(lines)}{hint}; a text table "
                   "cannot hold them: remove them, or " + _SAVE_AS_UTF8)


def _check_gb_text(raw: bytes, text: str, name: str) -> None:
    """Refuse GB18030 text that is not plausible simplified Chinese (module notes, step 4)."""
    n, odd, points = _unusual(text, "gb")
    if not len(odd):
        return
    odd_lines = np.unique(_line_of(_line_starts(text), odd))
    # a line that is valid UTF-8 inside a GBK file
    raw_starts = _line_starts(raw)
    for line in odd_lines[:1000]:
        lo = raw_starts[line - 1]
        hi = raw_starts[line] if line < len(raw_starts) else len(raw)
        chunk = raw[lo:hi]
        try:
            as_utf8 = chunk.decode("utf-8")
        except UnicodeDecodeError:
            continue
        if not as_utf8.isascii():
            raise _problem(name, "encoding",
                           f"line {line} is UTF-8 while other lines are GBK/GB18030 (rows "
                           "from files in two encodings); re-save the file in one encoding: "
                           + _SAVE_AS_UTF8, row=line - 1 if line > 1 else None)
    try:
        big5 = raw.decode("big5")
    except UnicodeDecodeError:
        big5 = None
    if big5 is not None:
        _, odd_b, _ = _unusual(big5, "big5")
        if len(odd_b) < len(odd):
            raise _problem(name, "encoding",
                           f"the file is not UTF-8 and reads as Big5 (traditional Chinese), not "
                           f"GBK/GB18030: read as GBK, {len(odd)} of {n} characters are unusual "
                           f"(first on line {odd_lines[0]}: {_snippet(text, odd[0])!r}); "
                           + _SAVE_AS_UTF8)
    private = bool(((points >= 0xE000) & (points <= 0xF8FF)).any())
    if private or (len(odd) >= _MOJIBAKE_MIN and len(odd) >= _MOJIBAKE_SHARE * n):
        what = "private-use (undefined) characters" if private else (
            f"{len(odd)} of {n} non-ASCII characters that are rare in simplified Chinese")
        raise _problem(name, "encoding",
                       f"the file is not UTF-8, and read as GB18030/GBK it holds {what} (first "
                       f"on line {odd_lines[0]}: {_snippet(text, odd[0])!r}): it is probably "
                       "in another encoding (Big5, Shift-JIS …) and would be read as mojibake; "
                       + _SAVE_AS_UTF8)


def _snippet(text: str, at: int) -> str:
    lo = max(text.rfind("\n", 0, at) + 1, at - 20)
    hi = text.find("\n", at)
    hi = min(hi if hi >= 0 else len(text), at + 20)
    return text[lo:hi]


# --- CSV ------------------------------------------------------------------------------------

def _read_csv(raw: bytes, name: str, encoding: str | None, sep: str | None,
              suffix: str) -> pd.DataFrame:
    text = _decode(raw, name, encoding)
    if not text.strip():
        raise _problem(name, "empty_file", "the file is empty: a table needs a header row "
                       "with the column names")
    if sep is None:
        first = text[:text.find("\n")] if "\n" in text else text
        sep = "\t" if suffix == ".tsv" or ("\t" in first and "," not in first) else ","
    counts = _field_counts(text, sep)
    while len(counts) and counts[-1] == 0:  # blank lines at the end of the file
        counts = counts[:-1]
    known = len(counts) > 0  # (False only if the csv module could not split the text)
    width = int(counts[0]) if known else 0
    try:
        frame = pd.read_csv(io.StringIO(text), sep=sep, dtype=str, keep_default_na=False,
                            na_values=[], skipinitialspace=False, header=None,
                            skip_blank_lines=False, engine="c")
    except pd.errors.ParserError as exc:
        msg = str(exc)
        m = re.search(r"EOF inside string starting at row (\d+)", msg)
        if m:
            raise _problem(name, "unbalanced_quote",
                           f'a quote (") opened on line {int(m.group(1)) + 1} is never closed; '
                           "close it or remove it") from None
        if known and (counts > width).any():
            raise _ragged(name, counts, width) from None
        raise _problem(name, "bad_csv", f"not a readable CSV table: {msg.split(': ')[-1]}"
                       ) from None
    if known:
        frame = frame.iloc[:len(counts)]
        if len(frame) == len(counts) and (counts != width).any():
            raise _ragged(name, counts, width)
    return _with_header(frame)


def _field_counts(text: str, sep: str) -> np.ndarray:
    """Number of fields of each record (0 for a blank line), header first."""
    if '"' not in text and text.count("\r") == text.count("\r\n"):
        data = np.frombuffer(text.encode("utf-8"), np.uint8)
        starts = _line_starts(data)
        ends = np.append(starts[1:] - 1, len(data))
        if ends[-1] == starts[-1] and len(starts) > 1:  # the final newline
            starts, ends = starts[:-1], ends[:-1]
        seps = np.flatnonzero(data == ord(sep))
        counts = np.searchsorted(seps, ends) - np.searchsorted(seps, starts) + 1
        width = ends - starts
        counts[(width == 0) | ((width == 1) & (data[np.minimum(starts, len(data) - 1)] == 13))] = 0
        return counts
    old = csv.field_size_limit()
    csv.field_size_limit(max(old, min(len(text) + 1, sys.maxsize)))
    try:
        return np.fromiter(map(len, csv.reader(io.StringIO(text, newline=""), delimiter=sep)),
                           np.int64)
    except csv.Error:
        return np.zeros(0, np.int64)
    finally:
        csv.field_size_limit(old)


def _ragged(name: str, counts: np.ndarray, width: int) -> DataError:
    problems = []
    for r in np.flatnonzero(counts != width)[:200]:
        k = int(counts[r])
        what = "is blank" if k == 0 else f"has {k} field{'s' * (k != 1)}"
        problems.append(Problem(name, None, int(r), "ragged_row",
                                f"row {what}, the header has {width} (a missing or extra "
                                "separator, or an unquoted separator inside a value)"))
    more = int((counts != width).sum()) - len(problems)
    if more > 0:
        problems.append(Problem(name, None, None, "ragged_row", f"… and {more} more rows"))
    return DataError(problems)


def _with_header(raw: pd.DataFrame) -> pd.DataFrame:
    """First row as the header, kept as written: pandas' own header reading renames a repeated
    name ('premium' → 'premium.1'), which would hide a duplicated column from validation."""
    if raw.empty:
        return pd.DataFrame()
    out = raw.iloc[1:].reset_index(drop=True)
    out.columns = ["" if c is None else str(c) for c in raw.iloc[0].tolist()]
    return out


# --- Excel ----------------------------------------------------------------------------------

def _read_xlsx(path: Path, sheet_name, head: bytes) -> pd.DataFrame:
    name = path.name
    if head.startswith(_OLE2_MAGIC):
        raise _problem(name, "corrupt_file", "not an .xlsx file: it is an old .xls workbook or "
                       "a password-protected workbook; open it in Excel/WPS and save it as .xlsx "
                       "without a password, or as CSV UTF-8")
    try:
        with zipfile.ZipFile(path) as zf:
            unpacked = sum(i.file_size for i in zf.infolist())
            if unpacked > MAX_XLSX_UNPACKED_BYTES:
                raise _too_large(name, unpacked, MAX_XLSX_UNPACKED_BYTES, "unpacked workbook")
            parts = _sheet_parts(zf)
    except zipfile.BadZipFile as exc:
        raise _problem(name, "corrupt_file", f"not a valid .xlsx file ({exc}): the file is "
                       "damaged, truncated or not a workbook; open it in Excel/WPS and save it "
                       "again, or save it as CSV UTF-8") from None
    import openpyxl

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except PuhuiError:
        raise
    except Exception as exc:  # openpyxl raises KeyError, ValueError … on a damaged package
        raise _problem(name, "corrupt_file", f"cannot read the workbook ({type(exc).__name__}:"
                       f" {exc}); open it in Excel/WPS and save it again, or save it as CSV "
                       "UTF-8") from None
    try:
        sheets = book.worksheets
        names = [ws.title for ws in sheets]
        if isinstance(sheet_name, int) and not isinstance(sheet_name, bool):
            if not 0 <= sheet_name < len(sheets):
                raise _problem(name, "missing_sheet", f"the workbook has {len(sheets)} sheet(s) "
                               f"({', '.join(names)}); there is no sheet number {sheet_name}")
            ws = sheets[sheet_name]
        elif sheet_name in names:
            ws = sheets[names.index(sheet_name)]
        else:
            raise _problem(name, "missing_sheet", f"no sheet named {sheet_name!r}; the sheets "
                           f"are: {', '.join(names)}")
        try:
            ws.reset_dimensions()
            rows = [tuple(r) for r in ws.iter_rows(values_only=True)]
        except PuhuiError:
            raise
        except Exception as exc:
            raise _problem(name, "corrupt_file", f"cannot read sheet {ws.title!r} ("
                           f"{type(exc).__name__}: {exc}); open the workbook in Excel/WPS and "
                           "save it again, or save it as CSV UTF-8") from None
        state = getattr(ws, "sheet_state", "visible")
        title = ws.title
    finally:
        book.close()
    frame = _cells_frame(rows)
    notes = []
    if state != "visible":
        visible = [t for t, s in zip(names, (getattr(w, "sheet_state", "visible")
                                             for w in sheets), strict=True) if s == "visible"]
        notes.append(Problem(name, None, None, "hidden_sheet",
                             f"the sheet read, {title!r}, is hidden in Excel (visible sheets: "
                             f"{', '.join(visible) or 'none'}); check that it is the one meant"))
    notes += _hidden_parts(path, parts.get(title), frame)
    if notes:
        warnings.warn(DataWarning(notes), stacklevel=3)
    return frame


def _cells_frame(rows: list[tuple]) -> pd.DataFrame:
    """Spreadsheet rows (first = header) as a frame of cell values (object columns)."""
    while rows and all(v is None for v in rows[-1]):
        rows.pop()
    if not rows:
        return pd.DataFrame()
    width = max(len(r) for r in rows)
    grid = np.full((len(rows), width), None, dtype=object)
    for i, r in enumerate(rows):
        grid[i, :len(r)] = r
    used = np.flatnonzero([any(v is not None for v in grid[:, j]) for j in range(width)])
    grid = grid[:, :used[-1] + 1] if len(used) else grid[:, :0]
    header = ["" if v is None else (str(int(v)) if isinstance(v, float) and v.is_integer()
                                    else str(v)).strip() for v in grid[0]]
    out = pd.DataFrame(grid[1:], columns=range(grid.shape[1]), dtype=object)
    out.columns = header
    return out


def _sheet_parts(zf: zipfile.ZipFile) -> dict[str, str]:
    """Sheet name → path of its XML part inside the package (from workbook.xml and its rels)."""
    import xml.etree.ElementTree as ET

    try:
        book = ET.fromstring(zf.read("xl/workbook.xml"))
        rels = ET.fromstring(zf.read("xl/_rels/workbook.xml.rels"))
    except (KeyError, ET.ParseError):
        return {}
    targets = {r.get("Id"): r.get("Target", "") for r in rels}
    out = {}
    for sheet in book.iter():
        if not sheet.tag.endswith("}sheet"):
            continue
        rid = next((v for k, v in sheet.attrib.items() if k.endswith("}id")), None)
        target = targets.get(rid, "")
        out[sheet.get("name")] = target.lstrip("/") if target.startswith("/") else \
            "xl/" + target
    return out


_ROW_TAG = re.compile(rb"<(?:\w+:)?row\b[^>]*>")
_COL_TAG = re.compile(rb"<(?:\w+:)?col\b[^>]*>")
_HIDDEN = re.compile(rb'\bhidden="(?:1|true)"')


def _hidden_parts(path: Path, part: str | None, frame: pd.DataFrame) -> list[Problem]:
    """Hidden rows and columns of the sheet, within the data read."""
    if not part:
        return []
    with zipfile.ZipFile(path) as zf:
        try:
            xml = zf.read(part)
        except KeyError:
            return []
    if not _HIDDEN.search(xml):
        return []
    notes = []
    rows = []
    for m in _ROW_TAG.finditer(xml):
        tag = m.group(0)
        if _HIDDEN.search(tag):
            r = re.search(rb'\br="(\d+)"', tag)
            if r and 1 < int(r.group(1)) <= len(frame) + 1:
                rows.append(int(r.group(1)) - 1)
    if rows:
        notes.append(Problem(path.name, None, None, "hidden_rows",
                             f"{len(rows)} hidden (or filtered-out) row(s) are read although "
                             f"they are not visible in Excel: data rows "
                             f"{', '.join(map(str, rows[:20]))}{' …' if len(rows) > 20 else ''}"
                             "; unhide them and check them"))
    cols = []
    for m in _COL_TAG.finditer(xml):
        tag = m.group(0)
        lo, hi = re.search(rb'\bmin="(\d+)"', tag), re.search(rb'\bmax="(\d+)"', tag)
        if _HIDDEN.search(tag) and lo and hi:
            for j in range(int(lo.group(1)), min(int(hi.group(1)), frame.shape[1]) + 1):
                cols.append(str(frame.columns[j - 1]))
    if cols:
        notes.append(Problem(path.name, ", ".join(cols[:20]), None, "hidden_columns",
                             "hidden column(s) are read although they are not visible in "
                             "Excel; unhide them and check them"))
    return notes


# --- Parquet --------------------------------------------------------------------------------

def _read_parquet(path: Path) -> tuple[pd.DataFrame, dict[str, str]]:
    import pyarrow as pa
    import pyarrow.parquet as pq

    name = path.name
    try:
        pf = pq.ParquetFile(path)
        schema = pf.schema_arrow
    except PuhuiError:
        raise
    except Exception as exc:
        raise _problem(name, "corrupt_file", f"not a readable Parquet file ({exc}); write it "
                       "again") from None
    names = list(schema.names)
    problems = []
    seen = set()
    for n in names:
        if n in seen:
            problems.append(Problem(name, n, None, "duplicate_column",
                                    "column name appears more than once"))
        seen.add(n)
    for field in schema:
        t = field.type
        if pa.types.is_dictionary(t):
            t = t.value_type
        if pa.types.is_nested(t):
            problems.append(Problem(name, field.name, None, "nested_column",
                                    f"the column holds nested values ({field.type}); a table "
                                    "cell must hold one value"))
    if problems:
        raise DataError(problems)
    try:
        table = pf.read()
    except Exception as exc:
        raise _problem(name, "corrupt_file", f"not a readable Parquet file ({exc}); write it "
                       "again") from None
    # an unnamed pandas index written as a column (df[mask].to_parquet()) is not data; a named
    # one (df.set_index("claim_id")) is kept as a column
    meta = schema.pandas_metadata or {}
    index_columns = {c for c in meta.get("index_columns", []) if isinstance(c, str)
                     and re.fullmatch(r"__index_level_\d+__", c)}
    return arrow_frame(table, index_columns)


def arrow_frame(table, index_columns=frozenset()) -> tuple[pd.DataFrame, dict[str, str]]:
    """An Arrow table (a Parquet file, or one chunk of it: :mod:`puhui.data.chunks`) as the
    frame validation reads, and each column's Arrow type: dictionaries decoded, decimals as
    correctly rounded doubles, integers with nulls as objects, dates as objects."""
    import pyarrow as pa
    import pyarrow.compute as pc

    types = {}
    columns = {}
    for i, field in enumerate(table.schema):
        if field.name in index_columns:
            continue
        col = table.column(i)
        t = field.type
        if pa.types.is_dictionary(t):
            t = t.value_type
            col = pc.cast(col, t)
        types[field.name] = str(t)
        if pa.types.is_decimal(t):  # exact decimal → correctly rounded double
            text = pc.cast(col, pa.string()).to_numpy(zero_copy_only=False)
            vals = np.full(len(text), np.nan)
            ok = np.array([v is not None for v in text], bool)
            vals[ok] = text[ok].astype(str).astype(np.float64)
            columns[field.name] = vals
            continue
        columns[field.name] = col.to_pandas(integer_object_nulls=True, date_as_object=True)
    out = pd.DataFrame(columns, index=pd.RangeIndex(table.num_rows))
    return out, types
