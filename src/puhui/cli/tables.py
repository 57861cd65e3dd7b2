"""Reading a family's data folder strictly (``puhui price|review|tune --data DIR``).

A table of a folder is found by its name (``firms.csv``, ``firms.parquet`` or ``firms.xlsx``;
exactly one) and read by :func:`puhui.data.read_table` (text cells; UTF-8 or GBK). Its columns
are described by a :class:`puhui.data.schema.Schema` (headers in English, Chinese or both,
:meth:`~puhui.data.schema.Schema.resolve`). Every problem is collected into one
:class:`puhui.errors.DataError`: an unknown column (with the near name,
:meth:`~puhui.data.schema.Schema.suggest`), a missing one, an empty or non-numeric cell, a number
outside its bounds, a value outside the allowed set, a bad date — with the table, the column and
the 1-based row.

>>> import pandas as pd
>>> from puhui.data.schema import Column, Schema, FLOAT, STR
>>> s = Schema("demo", "示例", "demo", (Column("firm", STR, "企业", ""),
...                                     Column("sum_insured", FLOAT, "保险金额", "", minimum=0.0)))
>>> try:
...     typed_table(pd.DataFrame({"firm": ["F1"], "sum_insurd": ["1"]}), s, "demo.csv")
... except Exception as err:
...     print(err.problems[0])  # doctest: +ELLIPSIS
demo.csv, column 'sum_insurd': [unknown_column] ... — did you mean sum_insured (保险金额)? ...
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from ..data import read_table
from ..data.schema import BOOL, DATE, FLOAT, INT, STR, Schema, normalize_header
from ..errors import DataError, ParameterError, Problem

__all__ = ["find_table", "read_folder_table", "typed_table"]

SUFFIXES = (".csv", ".parquet", ".xlsx")
#: At most this many bad rows are listed per column and rule (the count says how many more).
MAX_ROWS_LISTED = 20


def find_table(folder, name: str) -> Path:
    """The one file ``NAME.csv|.parquet|.xlsx`` in ``folder``; ParameterError if none or two."""
    folder = Path(folder)
    if not folder.is_dir():
        raise ParameterError(f"--data {folder}: not a folder")
    found = [folder / f"{name}{s}" for s in SUFFIXES if (folder / f"{name}{s}").is_file()]
    if not found:
        have = sorted(p.name for p in folder.iterdir() if p.suffix in SUFFIXES)
        raise ParameterError(f"{folder}: no {name}.csv (or .parquet, .xlsx) in the data folder "
                             f"(found: {', '.join(have) or 'no table'})")
    if len(found) > 1:
        raise ParameterError(f"{folder}: {' and '.join(p.name for p in found)} both hold the "
                             f"{name} table; keep one")
    return found[0]


def _listed(table: str, column: str, rule: str, message: str, bad: np.ndarray,
            values) -> list[Problem]:
    rows = np.flatnonzero(bad)
    out = [Problem(table, column, int(i) + 1, rule, message, values[i])
           for i in rows[:MAX_ROWS_LISTED]]
    if rows.size > MAX_ROWS_LISTED:
        out.append(Problem(table, column, None, rule, f"{message}: {rows.size - MAX_ROWS_LISTED:,} "
                           "more rows"))
    return out


def typed_table(df: pd.DataFrame, schema: Schema, table: str) -> pd.DataFrame:
    """``df`` (text cells, or typed Parquet columns) checked against ``schema`` and typed:
    the schema's columns in its order (text as object, numbers float64, whole numbers int64,
    dates datetime64, yes/no bool). Every problem is listed in one DataError."""
    problems: list[Problem] = []
    names = {}
    for h in df.columns:
        col = schema.resolve(h)
        if col is None:
            near = schema.suggest(h)
            hint = (f" — did you mean {near} ({schema.column(near).zh})?" if near else ".")
            problems.append(Problem(table, normalize_header(h), None, "unknown_column",
                                    f"not a column of the {schema.kind} table ({schema.zh})"
                                    f"{hint} The columns: {schema.header_list()}"))
        elif col in names.values():
            problems.append(Problem(table, col, None, "duplicate_column",
                                    "two headers name this column"))
        else:
            names[h] = col
    df = df.rename(columns=names).reset_index(drop=True)
    out = {}
    for c in schema.columns:
        if c.name not in df.columns:
            if c.required:
                problems.append(Problem(table, c.name, None, "missing_column",
                                        f"required column is missing: head it {c.name} or "
                                        f"{c.zh}"))
            continue
        raw = df[c.name]
        text = raw.astype(str).str.strip() if raw.dtype == object else raw
        empty = raw.isna().to_numpy() | (text.eq("").to_numpy() if raw.dtype == object
                                         else np.zeros(len(raw), bool))
        if empty.any() and not c.nullable:
            problems += _listed(table, c.name, "empty", "a value is required", empty,
                                raw.to_numpy(object))
        if c.dtype == STR:
            values = text.to_numpy(object)
            if c.allowed is not None:
                bad = ~empty & ~np.isin(values, list(c.allowed))
                problems += _listed(table, c.name, "not_allowed",
                                    f"must be one of {', '.join(c.allowed)}", bad, values)
        elif c.dtype in (FLOAT, INT):
            values = pd.to_numeric(text, errors="coerce").to_numpy(float)
            bad = ~empty & ~np.isfinite(values)
            problems += _listed(table, c.name, "not_a_number", "must be a finite number", bad,
                                raw.to_numpy(object))
            ok = ~empty & ~bad
            if c.dtype == INT:
                frac = ok & (values != np.round(values))
                problems += _listed(table, c.name, "not_whole", "must be a whole number", frac,
                                    raw.to_numpy(object))
            for bound, rule, message in ((c.minimum, "below_minimum", "must be ≥ {b:g}"),
                                         (c.maximum, "above_maximum", "must be ≤ {b:g}")):
                if bound is not None:
                    out_of = ok & ((values < bound) if rule == "below_minimum"
                                   else (values > bound))
                    problems += _listed(table, c.name, rule, message.format(b=bound), out_of,
                                        raw.to_numpy(object))
            if c.dtype == INT and not empty.any():
                values = np.nan_to_num(values).astype(np.int64)
        elif c.dtype == DATE:
            values = pd.to_datetime(text, errors="coerce", format="mixed").to_numpy(
                "datetime64[ns]")
            bad = ~empty & np.isnat(values)
            problems += _listed(table, c.name, "not_a_date", "must be a date YYYY-MM-DD", bad,
                                raw.to_numpy(object))
        elif c.dtype == BOOL:
            low = text.astype(str).str.lower()
            values = low.isin(("true", "1", "yes", "是")).to_numpy()
            bad = ~empty & ~low.isin(("true", "1", "yes", "是", "false", "0", "no", "否")
                                     ).to_numpy()
            problems += _listed(table, c.name, "not_yes_no", "must be true or false", bad,
                                raw.to_numpy(object))
        out[c.name] = values
    if problems:
        raise DataError(problems)
    return pd.DataFrame(out)


def read_folder_table(folder, name: str, schema: Schema) -> tuple[pd.DataFrame, Path]:
    """The table ``name`` of a data folder, read and checked (:func:`typed_table`); returns the
    typed table and its path (for the manifest)."""
    path = find_table(folder, name)
    return typed_table(read_table(path), schema, path.name), path


def write_family_report(command: str, title: str, family: dict, product, product_path,
                        data_dir, out_dir, paths: dict, inputs, options: dict, section,
                        data, as_of: str, title_zh: str | None = None):
    """One run of ``puhui price|review|tune`` for a family other than 惠民保: the report
    ``title — product.name`` (``title_zh — product.name`` in a ``--lang zh`` report) with ``section(rep, product, data, as_of=, policies=)``, its
    manifest (``family`` keys, the date of the rule check, what the section used, the options;
    the product file, the data files and any company-policy rulebook file as inputs), written
    whole to ``out_dir``. The one writer of ``puhui.cli.smallbiz`` and ``puhui.cli.gig``."""
    import os

    from ..report import Report
    from ..repro import Manifest

    policies = [str(p) for p in options.get("policy_books", ())]
    manifest = Manifest(command=f"puhui {command} {Path(product_path).name}")
    rep = Report(f"{title} — {product.name}", manifest=manifest,
                 title_zh=None if title_zh is None else f"{title_zh} — {product.name}")
    used = section(rep, product, data, as_of=as_of, policies=policies)
    manifest.assumptions.update({**family, "as_of": as_of, "results": used,
                                 "options": options})
    manifest.add_input("product", product_path, relative_to=Path(product_path).parent)
    for name, path in paths.items():
        manifest.add_input(name, path, relative_to=Path(data_dir))
    for book in policies:
        if book.endswith(".toml"):
            manifest.add_input(f"policy:{Path(book).stem}", book, relative_to=Path(book).parent)
    return rep.write(os.fspath(out_dir), inputs=inputs)
