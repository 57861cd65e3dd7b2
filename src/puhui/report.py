"""Run reports: a Markdown document with tables, PNG figures and a manifest, written atomically.

A report folder looks like::

    out/
      report.md          the document an actuary reads (tables inline, figures linked)
      tables/*.csv       every table in full (UTF-8 with BOM so Excel opens Chinese text)
      figures/*.png      every figure
      manifest.json      inputs and their SHA-256, versions, seed, assumptions, outputs
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pandas as pd

from .plots import figure_png
from .repro import Manifest, atomic_write_bytes, atomic_write_text


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
        self._figures[name] = figure_png(fig)
        self._parts.append(f"![{caption or name}](figures/{name}.png)"
                           + (f"\n\n*{caption}*" if caption else ""))

    def write(self, out_dir: str | os.PathLike) -> Path:
        """Write report.md, tables, figures and manifest.json into ``out_dir``."""
        out = Path(out_dir)
        out.mkdir(parents=True, exist_ok=True)
        for name, df in self._tables.items():
            data = df.to_csv(index=False, lineterminator="\n").encode("utf-8-sig")
            path = atomic_write_bytes(out / "tables" / f"{name}.csv", data)
            self.manifest.add_output(path, out)
        for name, png in self._figures.items():
            path = atomic_write_bytes(out / "figures" / f"{name}.png", png)
            self.manifest.add_output(path, out)
        doc = f"# {self.title}\n\n" + "\n\n".join(self._parts) + "\n"
        doc += ("\n---\nInputs, their SHA-256, library versions, seed and assumptions: "
                "`manifest.json`.\n")
        path = atomic_write_text(out / "report.md", doc)
        self.manifest.add_output(path, out)
        self.manifest.write(out / "manifest.json")
        return out
