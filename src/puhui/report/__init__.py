"""Run reports: a Markdown document, the same as a web page, a workbook of every table, CSV tables,
PNG figures and a manifest, written atomically.

A report folder looks like::

    out/
      report.md          the document an actuary reads (tables inline, figures linked)
      report.html        the same as one self-contained page (figures embedded, opens offline)
      tables.xlsx        every table, one sheet each, 中文 and English headers, a 说明 sheet
      tables/*.csv       every table in full, raw numbers (UTF-8 with BOM so Excel opens Chinese)
      figures/*.png      every figure
      manifest.json      inputs and their SHA-256, versions, seed, assumptions, outputs

Tables are formatted for people in report.md, report.html and tables.xlsx by one convention per
quantity, looked up by column name (:mod:`puhui.report.labels`, :mod:`puhui.report.formats`):
counts as integers with thousands separators, ratios as percentages with fixed decimals, money
in 元 with 2 decimals, units in the headers. The CSV files keep the raw numbers. ``lang``
(``"zh"``, ``"en"``, or None for the default mix; ``puhui … --lang``) sets the language of the
headers and of the report's own texts.

The folder is written whole or not at all (:func:`puhui.repro.staged_folder`), and the same run
gives the same bytes in every file. CSV cells of text that a spreadsheet would run as a formula
(``=``, ``+``, ``-``, ``@``, tab, CR first) are written with a leading ``'`` (:func:`excel_safe`);
numbers are left as numbers.
"""

from __future__ import annotations

import os
from contextlib import contextmanager
from pathlib import Path

import pandas as pd

from .. import repro
from ..repro import Manifest
from .formats import Shown, present
from .labels import check_language, current_language, text
from .notes import Note, say  # noqa: F401  (re-exported: a note in two languages)

#: First characters that make a spreadsheet treat a cell as a formula (OWASP "CSV injection").
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _neutralise(values: pd.Series) -> pd.Series:
    if isinstance(values.dtype, pd.CategoricalDtype):
        values = values.astype(object)
    if not (values.dtype == object or pd.api.types.is_string_dtype(values.dtype)):
        return values
    try:
        first = values.str[:1]
    except AttributeError:  # an object column without any text (dates, Decimals …)
        return values
    risky = first.isin(FORMULA_START).to_numpy(dtype=bool)
    if not risky.any():
        return values
    out = values.astype(object).copy()
    out[risky] = "'" + values[risky].astype(str)
    return out


def excel_safe(df: pd.DataFrame) -> pd.DataFrame:
    """``df`` with every TEXT cell (and column name) that starts with ``=``, ``+``, ``-``,
    ``@``, a tab or a carriage return prefixed by a single quote ``'``, so Excel or WPS shows it
    as text instead of running it as a formula (``=HYPERLINK(…)`` in a region name). Numbers,
    negative ones included, are not touched.

    >>> df = pd.DataFrame({"region": ["=1+2", "A", "-20%"], "v": [-1.5, 2.0, 3.0]})
    >>> excel_safe(df).to_dict("list")
    {'region': ["'=1+2", 'A', "'-20%"], 'v': [-1.5, 2.0, 3.0]}
    """
    out = df.copy()
    for i in range(out.shape[1]):
        out.isetitem(i, _neutralise(out.iloc[:, i]))
    names = [("'" + c) if isinstance(c, str) and c.startswith(FORMULA_START) else c
             for c in out.columns]
    if names != list(out.columns):
        out.columns = names
    return out


def _has_cr(values: pd.Series) -> bool:
    if not (values.dtype == object or pd.api.types.is_string_dtype(values.dtype)):
        return False
    try:
        return bool(values.str.contains("\r", regex=False, na=False).any())
    except AttributeError:  # no text in the column
        return False


def csv_bytes(df: pd.DataFrame) -> bytes:
    """A table as CSV for a spreadsheet: :func:`excel_safe`, UTF-8 with BOM (Excel then reads
    Chinese text), ``\\n`` line ends, no index. A text cell holding a carriage return (which
    the minimal quoting leaves bare, splitting the row in a reader) makes every cell quoted.

    Tables of float, integer, boolean and text columns are written by :func:`_csv_minimal`
    (Arrow, no Python call per cell), byte-identical to pandas' ``to_csv``; others by pandas.
    """
    import csv

    fast = _csv_minimal(df)
    if fast is not None:
        return fast
    safe = excel_safe(df)
    bare_cr = any(_has_cr(safe.iloc[:, i]) for i in range(safe.shape[1]))
    quoting = csv.QUOTE_ALL if bare_cr else csv.QUOTE_MINIMAL
    return safe.to_csv(index=False, lineterminator="\n", quoting=quoting).encode("utf-8-sig")


def _float_text(values):
    """Float cells as ``ndarray.astype(str)`` writes them (Python's shortest ``repr``: ``0.1``,
    ``500.0``, ``1e-05``, ``1e+16``), NaN as the empty string: ``(text, whole)``, an Arrow
    array and the mask of cells that still need ``.0`` after them — without a Python call per
    cell.

    Arrow's cast (double-conversion ``ToShortest``) gives the same shortest round-trip digits
    as ``repr`` (both: the fewest digits that read back to the same double, the closest to it
    among those); only the layout differs — Arrow writes ``500`` for ``500.0`` and
    ``0.00001`` for ``1e-05``. So the cells with ``|x|`` in [1e-4, 1e15) (and zeros), where
    ``repr`` writes plain digits, take Arrow's text (plus ``.0`` for a whole number); the
    others (tiny, huge, ±inf, NaN, or any Arrow text with an exponent) are few and formatted
    by NumPy. tests/test_scale.py compares the result with ``astype(str)`` on random doubles
    of every exponent."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    values = np.ascontiguousarray(values, dtype=np.float64)
    mag = np.abs(values)
    with np.errstate(invalid="ignore"):
        plain = ((mag >= 1e-4) & (mag < 1e15)) | (values == 0)
        safe = np.where(plain, values, 0.0)
    text = pc.cast(pa.array(safe), pa.large_string())
    other = ~plain | np.asarray(pc.match_substring(text, "e"), bool)
    whole = ~other & (safe == np.trunc(safe))
    if other.any():
        cells = values[other].astype(str)
        cells[np.isnan(values[other])] = ""
        text = pc.replace_with_mask(text, pa.array(other), pa.array(cells, pa.large_string()))
    return text, whole


def _text_cells(values):
    """A text column (str or missing) as Arrow, made safe and quoted as :func:`csv_bytes`
    writes it; None for a column of other objects or with a carriage return."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    null = pd.isna(values)
    cells = np.where(null, "", values) if null.any() else values
    if pd.api.types.infer_dtype(cells, skipna=False) not in ("string", "empty"):
        return None
    text = pa.array(cells, pa.large_string())
    if pc.any(pc.match_substring(text, "\r")).as_py():
        return None  # every cell quoted: pandas writes it
    risky = pc.match_substring_regex(text, "^[=+@\\t-]")  # excel_safe's FORMULA_START
    if pc.any(risky).as_py():
        empty = pa.scalar("", pa.large_string())
        text = pc.if_else(risky, pc.binary_join_element_wise(
            pa.scalar("'", pa.large_string()), text, empty), text)
    quote = pc.match_substring_regex(text, '[,"\n]')
    if pc.any(quote).as_py():
        mark = pa.scalar('"', pa.large_string())
        quoted = pc.binary_join_element_wise(mark, pc.replace_substring(text, '"', '""'), mark,
                                             pa.scalar("", pa.large_string()))
        text = pc.if_else(quote, quoted, text)
    return text


def _csv_text(values):
    """Cells of one column as pandas' ``to_csv`` writes them (after :func:`excel_safe`) with
    minimal quoting: ``(text, whole)``, an Arrow ``large_string`` array and the mask of float
    cells to be followed by ``.0`` (or None); None for a column pandas formats otherwise
    (dates, categories, nullable integers, mixed objects) or one with a carriage return.

    Floats as ``ndarray.astype(str)`` — what pandas itself does without ``float_format`` —
    and NaN the empty string (:func:`_float_text`); integers ``str`` (Arrow's cast writes the
    same digits); booleans ``True``/``False``; text is quoted (``"`` doubled) when it holds a
    comma, a quote or a line feed, as Python's ``csv`` module does."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    kind = values.dtype.kind
    if kind == "f":
        return _float_text(values)
    if kind in "iu":
        return pc.cast(pa.array(values), pa.large_string()), None
    if kind == "b":
        return pa.array(np.where(values, "True", "False"), pa.large_string()), None
    text = _text_cells(values) if kind == "O" else None
    return None if text is None else (text, None)


def _tail(whole, sep: str):
    """The bytes written after each cell: ``.0`` where ``whole``, then ``sep`` (Arrow array
    built from its buffers, or one scalar)."""
    import numpy as np
    import pyarrow as pa

    if whole is None or not whole.any():
        return pa.scalar(sep, pa.large_string())
    offsets = np.zeros(len(whole) + 1, np.int64)
    np.cumsum(1 + 2 * whole, out=offsets[1:])
    data = np.empty(offsets[-1], np.uint8)
    data[offsets[1:] - 1] = ord(sep)
    at = offsets[:-1][whole]
    data[at] = ord(".")
    data[at + 1] = ord("0")
    return pa.LargeStringArray.from_buffers(len(whole), pa.py_buffer(offsets),
                                            pa.py_buffer(data))


def _csv_minimal(df: pd.DataFrame) -> bytes | None:
    """``excel_safe(df).to_csv(index=False, lineterminator="\\n")`` in UTF-8 with BOM, built
    column by column with Arrow and joined in one pass (no Python loop per cell):
    byte-identical to pandas for float, integer, boolean and text columns; None (use pandas)
    for any other column, a text cell with a carriage return, or a table of fewer than two
    columns."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    if df.shape[1] < 2 or not all(isinstance(c, str) for c in df.columns):
        return None
    parts = []
    for i in range(df.shape[1]):
        cells = _csv_text(df.iloc[:, i].to_numpy())
        if cells is None:
            return None
        parts += [cells[0], _tail(cells[1], "\n" if i == df.shape[1] - 1 else ",")]
    names = [("'" + c) if c.startswith(FORMULA_START) else c for c in df.columns]
    header = _text_cells(np.array(names, dtype=object))
    if header is None:
        return None
    head = (",".join(header.to_pylist()) + "\n").encode("utf-8-sig")
    if not len(df):
        return head
    body = pc.binary_join_element_wise(*parts, pa.scalar("", pa.large_string()))
    offsets = np.frombuffer(body.buffers()[1], np.int64)[body.offset:body.offset + len(body) + 1]
    return head + body.buffers()[2].to_pybytes()[offsets[0]:offsets[-1]]


def _md_cell(text: str) -> str:
    """A cell's text made safe inside a Markdown table row (``|`` escaped, no line break)."""
    return text.replace("|", "\\|").replace("\r", " ").replace("\n", " ")


def markdown_table(df: pd.DataFrame, *, floatfmt: str = ",.2f", index: bool = False,
                   max_rows: int = 60, lang: str | None = None) -> str:
    """A DataFrame as a GitHub-flavoured Markdown table, formatted for people.

    Each column is shown by its quantity, looked up by name (:mod:`puhui.report.labels`):
    counts as integers with thousands separators, years without, money with 2 decimals,
    ratios as percentages with the quantity's decimals, headers with units. Unregistered float
    columns use ``floatfmt``. ``lang`` defaults to the language in force
    (:func:`puhui.report.labels.current_language`).

    >>> print(markdown_table(pd.DataFrame({"policy_year": [2025], "loss_ratio": [0.8123],
    ...                                    "paid": [1234.5]})))
    | policy year | loss ratio (%) | paid (元) |
    |---:|---:|---:|
    | 2025 | 81.23% | 1,234.50 |
    """
    if lang is None:
        lang = current_language()
    shown = present(df, floatfmt=floatfmt, index=index, max_rows=max_rows, lang=lang)
    return _markdown_of(shown, lang)


def _markdown_of(shown: Shown, lang: str | None) -> str:
    lines = ["| " + " | ".join(_md_cell(h) for h in shown.headers) + " |",
             "|" + "|".join("---:" if num else "---" for num in shown.numeric) + "|"]
    lines += ["| " + " | ".join(_md_cell(v) for v in row) + " |" for row in shown.rows]
    if shown.hidden:
        lines.append("\n" + text("more_rows", lang, n=f"{shown.hidden:,}"))
    return "\n".join(lines)


class Report:
    """Collects sections, tables and figures, then writes them with a manifest.

    ``lang`` (``"zh"``, ``"en"``; default: the language in force,
    :func:`puhui.report.labels.current_language`, which is None — the default mix — unless
    ``puhui … --lang`` or :func:`puhui.report.labels.language` set one) is the language of the
    table headers and of the report's own texts; figures are drawn in the language in force
    when they are drawn.

    Examples
    --------
    >>> import tempfile, pandas as pd
    >>> rep = Report("Demo", manifest=Manifest(command="doctest"))
    >>> rep.text("Hello.")
    >>> rep.table("t", pd.DataFrame({"a": [1.5]}), caption="A table")
    >>> folder = rep.write(tempfile.mkdtemp())
    >>> sorted(p.name for p in folder.iterdir())
    ['manifest.json', 'report.html', 'report.md', 'tables', 'tables.xlsx']
    """

    def __init__(self, title: str, *, manifest: Manifest, lang: str | None = None,
                 title_zh: str | None = None):
        self.manifest = manifest
        self.lang = check_language(lang) if lang is not None else current_language()
        #: Texts added without their Chinese in a ``lang="zh"`` report (shown in English).
        self.untranslated: list[str] = []
        self.title = self.tr(title, title_zh)
        # ("heading", level, text) | ("text", text) | ("table", name, caption, fmt, df)
        # | ("figure", name, caption)
        self._parts: list[tuple] = []
        self._tables: dict[str, pd.DataFrame] = {}
        self._formats: dict[str, dict] = {}
        self._captions: dict[str, str] = {}
        self._figures: dict[str, bytes] = {}  # PNG bytes
        self._depth = 0  # headings added inside nested() go this many levels deeper

    def tr(self, en: str, zh: str | None = None) -> str:
        """The text in the report's language: ``zh`` in a ``lang="zh"`` report, else ``en``
        (English prose with Chinese terms is the default mix). A ``lang="zh"`` report given
        no ``zh`` shows ``en`` and lists it in :attr:`untranslated`, so a test can require
        that a family's report is Chinese throughout.

        >>> rep = Report("Review", manifest=Manifest(command="doctest"), lang="zh", title_zh="回溯")
        >>> rep.tr("Premium", "保费"), rep.tr("Loss ratio"), rep.untranslated
        ('保费', 'Loss ratio', ['Loss ratio'])
        """
        if self.lang != "zh":
            return en
        if zh is None:
            if en.strip():
                self.untranslated.append(en)
            return en
        return zh

    def heading(self, text: str, level: int = 2, *, zh: str | None = None) -> None:
        """A section heading (``zh``: its Chinese, used in a ``lang="zh"`` report)."""
        self._parts.append(("heading", min(int(level) + self._depth, 6), self.tr(text, zh)))

    @contextmanager
    def nested(self, levels: int = 1):
        """Headings added inside the block are ``levels`` deeper: a family's sections, which
        start at level 2 in a report of their own, nest under a section of a composite report
        (the demo's "3. 惠民保 …" holds the review and tuning sections as its subsections).

        >>> rep = Report("R", manifest=Manifest(command="doctest"))
        >>> rep.heading("1. Part")
        >>> with rep.nested():
        ...     rep.heading("Family section")
        >>> [p[1] for p in rep._parts]
        [2, 3]
        """
        self._depth += int(levels)
        try:
            yield self
        finally:
            self._depth -= int(levels)

    def text(self, text: str, *, zh: str | None = None) -> None:
        """A paragraph of prose (``zh``: its Chinese, used in a ``lang="zh"`` report)."""
        self._parts.append(("text", self.tr(text, zh).strip()))

    def table(self, name: str, df: pd.DataFrame, *, caption: str = "",
              caption_zh: str | None = None, **fmt) -> None:
        """Add a table: shown inline (first rows, formatted for people: :func:`markdown_table`
        with ``fmt`` — ``floatfmt``, ``max_rows``, ``index``, and ``columns``/``row_key`` to
        show some columns only, :func:`puhui.report.formats.present`), written in full to
        tables/NAME.csv (raw numbers, every column) and as a sheet of tables.xlsx.
        ``caption_zh`` is the caption of a ``lang="zh"`` report."""
        caption = self.tr(caption, caption_zh)
        self._tables[name] = df
        self._formats[name] = dict(fmt)
        self._captions[name] = caption
        self._parts.append(("table", name, caption, dict(fmt), df))

    def figure(self, name: str, fig, *, caption: str = "",
               caption_zh: str | None = None) -> None:
        """Add a matplotlib figure, saved as figures/NAME.png and embedded in report.html. It is
        rendered now and closed, so a long report does not keep every figure open until
        :meth:`write`. ``caption_zh`` is the caption of a ``lang="zh"`` report."""
        from ..plots import figure_png

        caption = self.tr(caption, caption_zh)

        self._figures[name] = figure_png(fig)
        self._parts.append(("figure", name, caption))

    def _shown(self, df: pd.DataFrame, fmt: dict) -> Shown:
        return present(df, lang=self.lang, **fmt)

    def markdown(self) -> str:
        """report.md as text."""
        blocks = []
        for part in self._parts:
            kind = part[0]
            if kind == "heading":
                blocks.append("#" * part[1] + " " + part[2])
            elif kind == "text":
                blocks.append(part[1])
            elif kind == "table":
                _, name, caption, fmt, df = part
                body = _markdown_of(self._shown(df, fmt), self.lang)
                head = (f"**{caption}** {text('csv', self.lang, name=name)}\n\n"
                        if caption else "")
                blocks.append(head + body)
            else:
                _, name, caption = part
                blocks.append(f"![{caption or name}](figures/{name}.png)"
                              + (f"\n\n*{caption}*" if caption else ""))
        doc = f"# {self.title}\n\n" + "\n\n".join(blocks) + "\n"
        return doc + "\n---\n" + text("trailer", self.lang) + "\n"

    def html(self) -> bytes:
        """report.html as bytes (:mod:`puhui.report.html`)."""
        from .html import render

        blocks = []
        for part in self._parts:
            if part[0] == "table":
                _, name, caption, fmt, df = part
                blocks.append(("table", name, caption, self._shown(df, fmt)))
            elif part[0] == "figure":
                _, name, caption = part
                blocks.append(("figure", name, caption, self._figures[name]))
            else:
                blocks.append(part)
        return render(self.title, blocks, lang=self.lang)

    def xlsx(self) -> bytes:
        """tables.xlsx as bytes (:mod:`puhui.report.xlsx`): every table written (the last one
        added under a name, as in tables/NAME.csv)."""
        from .xlsx import workbook_bytes

        return workbook_bytes(self.title, [
            (name, self._captions[name], df, self._formats[name].get("floatfmt", ",.2f"))
            for name, df in self._tables.items()])

    def write(self, out_dir: str | os.PathLike, *, inputs=()) -> Path:
        """Write report.md, report.html, tables.xlsx, tables, figures and manifest.json as the
        folder ``out_dir``.

        The folder is replaced whole (:func:`puhui.repro.staged_folder`): files of an earlier
        run that this one does not write are gone, and an error or interrupt leaves the earlier
        folder as it was. ``inputs`` are paths the folder must not be, contain or lie inside.
        Refused (:class:`puhui.repro.OutputError`): a link, a file, a non-empty folder that
        puhui did not write.
        """
        with repro.staged_folder(out_dir, inputs=inputs) as tmp:
            self._write_into(tmp)
        return Path(out_dir)

    def _write_into(self, out: Path) -> None:
        self.manifest.outputs.clear()
        for name, df in self._tables.items():
            path = repro.write_bytes(out / "tables" / f"{name}.csv", csv_bytes(df))
            self.manifest.add_output(path, out)
        for name, png in self._figures.items():
            path = repro.write_bytes(out / "figures" / f"{name}.png", png)
            self.manifest.add_output(path, out)
        for name, data in (("report.md", self.markdown().encode("utf-8")),
                           ("report.html", self.html()), ("tables.xlsx", self.xlsx())):
            self.manifest.add_output(repro.write_bytes(out / name, data), out)
        repro.write_bytes(out / repro.MANIFEST_NAME, self.manifest.to_bytes())
