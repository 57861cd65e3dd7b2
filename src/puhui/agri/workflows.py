"""Command-line workflow ``puhui reprice``: a yields table in, a rate table and manifest out."""

from __future__ import annotations

import io
from pathlib import Path

import pandas as pd

from ..data import load
from ..errors import ParameterError
from ..repro import Manifest, atomic_write_bytes
from .batch import reprice


def run_reprice(yields_path, out_path, *, coverage_levels=(0.7, 0.8, 0.9),
                detrend: str = "linear", adjustment: str = "additive",
                bandwidth: str = "silverman", skip_invalid: bool = False,
                progress: bool = True) -> Path:
    """Validate the yields, rate every region × crop × coverage level, write rates + manifest.

    The rate table is written atomically as CSV (UTF-8 with BOM, so Excel shows Chinese region
    names) or Parquet by the suffix of ``out_path``; ``OUT.manifest.json`` records the input's
    SHA-256, the options, the versions and any cell that could not be rated.
    """
    out = Path(out_path)
    if out.suffix.lower() not in (".csv", ".parquet"):
        raise ParameterError(f"--out must end in .csv or .parquet, got {out.name}")
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
        data = rates.to_csv(index=False, lineterminator="\n").encode("utf-8-sig")
    else:
        buf = io.BytesIO()
        rates.to_parquet(buf, index=False)
        data = buf.getvalue()
    atomic_write_bytes(out, data)
    manifest = Manifest(command="puhui reprice", assumptions={
        "coverage_levels": levels, "detrend": detrend, "adjustment": adjustment,
        "bandwidth": bandwidth, "cells_rated": int(len(rates) // max(len(levels), 1)),
        "cells_skipped": pd.DataFrame(skipped).to_dict("records") if skipped else []})
    manifest.add_input("yields", yields_path, rows=len(yields),
                       relative_to=Path(yields_path).parent)
    manifest.add_output(out, out.parent)
    manifest.write(out.with_name(out.name + ".manifest.json"))
    return out
