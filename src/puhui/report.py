"""Run reports: a Markdown document with tables, PNG figures and a manifest, written atomically.

A report folder looks like::

    out/
      report.md          the document an actuary reads (tables inline, figures linked)
      tables/*.csv       every table in full (UTF-8 with BOM so Excel opens Chinese text)
      figures/*.png      every figure
      manifest.json      inputs and their SHA-256, versions, seed, assumptions, outputs

The folder is written whole or not at all (:func:`puhui.repro.staged_folder`). CSV cells of
text that a spreadsheet would run as a formula (``=``, ``+``, ``-``, ``@``, tab, CR first) are
written with a leading ``'`` (:func:`excel_safe`); numbers are left as numbers.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pandas as pd

from . import repro
from .repro import Manifest

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
    the minimal quoting leaves bare, splitting the row in a reader) makes every cell quoted."""
    import csv

    safe = excel_safe(df)
    bare_cr = any(_has_cr(safe.iloc[:, i]) for i in range(safe.shape[1]))
    quoting = csv.QUOTE_ALL if bare_cr else csv.QUOTE_MINIMAL
    return safe.to_csv(index=False, lineterminator="\n", quoting=quoting).encode("utf-8-sig")


def markdown_table(df: pd.DataFrame, *, floatfmt: str = ",.2f", index: bool = False,
                   max_rows: int = 60) -> str:
    """A DataFrame as a GitHub-flavoured Markdown table (no extra dependency).

    Floats use ``floatfmt``; columns whose name ends in ``_ratio``/``_rate`` or contains
    ``ratio`` are shown as percentages with two decimals.
    """
    if index:
        df = df.reset_index()
    shown = df.head(max_rows)
    cols = [str(c) for c in shown.columns]

    def fmt(col: str, v) -> str:
        if v is None or (isinstance(v, float) and np.isnan(v)):
            return ""
        if isinstance(v, (float, np.floating)):
            if ("ratio" in col or col.endswith(("_rate", "_share", "_cr")) or col.startswith(
                    ("prob_", "share_")) or col in ("credibility",)):
                return f"{v:.2%}"
            return format(float(v), floatfmt)
        if isinstance(v, (int, np.integer)) and not isinstance(v, bool) and "year" not in col:
            return f"{v:,}"
        if isinstance(v, pd.Timestamp):
            return v.strftime("%Y-%m-%d")
        return str(v)

    lines = ["| " + " | ".join(cols) + " |",
             "|" + "|".join("---:" if pd.api.types.is_numeric_dtype(shown[c]) else "---"
                            for c in shown.columns) + "|"]
    for row in shown.itertuples(index=False):
        lines.append("| " + " | ".join(fmt(c, v) for c, v in zip(cols, row, strict=True))
                     + " |")
    if len(df) > max_rows:
        lines.append(f"\n… {len(df) - max_rows} more rows in the CSV file.")
    return "\n".join(lines)


class Report:
    """Collects sections, tables and figures, then writes them with a manifest.

    Examples
    --------
    >>> import tempfile, pandas as pd
    >>> rep = Report("Demo", manifest=Manifest(command="doctest"))
    >>> rep.text("Hello.")
    >>> rep.table("t", pd.DataFrame({"a": [1.5]}), caption="A table")
    >>> folder = rep.write(tempfile.mkdtemp())
    >>> sorted(p.name for p in folder.iterdir())
    ['manifest.json', 'report.md', 'tables']
    """

    def __init__(self, title: str, *, manifest: Manifest):
        self.title = title
        self.manifest = manifest
        self._parts: list[str] = []
        self._tables: dict[str, pd.DataFrame] = {}
        self._figures: dict[str, bytes] = {}  # PNG bytes

    def heading(self, text: str, level: int = 2) -> None:
        self._parts.append("#" * level + " " + text)

    def text(self, text: str) -> None:
        self._parts.append(text.strip())

    def table(self, name: str, df: pd.DataFrame, *, caption: str = "", **fmt) -> None:
        """Add a table: shown inline (first rows) and written in full to tables/NAME.csv."""
        self._tables[name] = df
        body = markdown_table(df, **fmt)
        self._parts.append((f"**{caption}** (`tables/{name}.csv`)\n\n" if caption else "")
                           + body)

    def figure(self, name: str, fig, *, caption: str = "") -> None:
        """Add a matplotlib figure, saved as figures/NAME.png. It is rendered now and closed, so
        a long report does not keep every figure open until :meth:`write`."""
        from .plots import figure_png

        self._figures[name] = figure_png(fig)
        self._parts.append(f"![{caption or name}](figures/{name}.png)"
                           + (f"\n\n*{caption}*" if caption else ""))

    def write(self, out_dir: str | os.PathLike, *, inputs=()) -> Path:
        """Write report.md, tables, figures and manifest.json as the folder ``out_dir``.

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
        doc = f"# {self.title}\n\n" + "\n\n".join(self._parts) + "\n"
        doc += ("\n---\nInputs, their SHA-256, library versions, seed and assumptions: "
                "`manifest.json`.\n")
        path = repro.write_bytes(out / "report.md", doc.encode("utf-8"))
        self.manifest.add_output(path, out)
        repro.write_bytes(out / repro.MANIFEST_NAME, self.manifest.to_bytes())
