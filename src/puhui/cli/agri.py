"""Command-line workflow ``puhui reprice``: a yields table in, a rate table and manifest out."""

from __future__ import annotations

import io
from pathlib import Path

import pandas as pd

from ..agri.batch import reprice
from ..data import load
from ..errors import ParameterError
from ..report import csv_bytes
from ..repro import Manifest, check_output_file, write_file_with_manifest


def run_reprice(yields_path, out_path, *, coverage_levels=(0.7, 0.8, 0.9),
                detrend: str = "linear", adjustment: str = "additive",
                bandwidth: str = "silverman", skip_invalid: bool = False,
                progress: bool = True) -> Path:
    """Validate the yields, rate every region × crop × coverage level, write rates + manifest.

    The rate table is written as CSV (UTF-8 with BOM, so Excel shows Chinese region names;
    text cells that would run as a formula get a leading ``'``, :func:`puhui.report.excel_safe`)
    or Parquet by the suffix of ``out_path``; ``OUT.manifest.json`` records the input's
    SHA-256, the options, the versions, any cell that could not be rated and the rate table's
    SHA-256. The pair is written by :func:`puhui.repro.write_file_with_manifest` (data file
    renamed into place first, then the manifest: a reader checks the hash).
    """
    out = Path(out_path)
    if out.suffix.lower() not in (".csv", ".parquet"):
        raise ParameterError(f"--out must end in .csv or .parquet, got {out.name}")
    check_output_file(out, inputs=(yields_path,))
    levels = [float(c) for c in coverage_levels]
    if not levels or any(not 0 < c <= 1 for c in levels):
        raise ParameterError(f"coverage levels must lie in (0, 1], got {levels}")
    yields = load(yields_path, "yields")
    rates = reprice(yields, levels, detrend=detrend, adjustment=adjustment,
                    bandwidth=bandwidth, on_invalid="skip" if skip_invalid else "error",
                    progress=progress)
    skipped = rates.attrs.get("skipped", [])
    rates.attrs = {}
    if out.suffix.lower() == ".csv":
        data = csv_bytes(rates)
    else:
        buf = io.BytesIO()
        rates.to_parquet(buf, index=False)
        data = buf.getvalue()
    manifest = Manifest(command="puhui reprice", assumptions={
        "coverage_levels": levels, "detrend": detrend, "adjustment": adjustment,
        "bandwidth": bandwidth, "skip_invalid": bool(skip_invalid),
        "cells_rated": int(len(rates) // max(len(levels), 1)),
        "cells_skipped": pd.DataFrame(skipped).to_dict("records") if skipped else []})
    manifest.add_input("yields", yields_path, rows=len(yields),
                       relative_to=Path(yields_path).parent)
    write_file_with_manifest(out, data, manifest, inputs=(yields_path,))
    return out
