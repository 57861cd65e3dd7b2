"""Command-line workflows of the crop family: ``puhui reprice`` (a yields table in, a rate table
and manifest out) and ``puhui crop-review`` (county experience and filed rates in, a 费率回溯
report and manifest out)."""

from __future__ import annotations

import io
import sys
from pathlib import Path

import pandas as pd

from ..agri.batch import load_yield_panel, reprice
from ..data.chunks import peak_rss
from ..errors import ParameterError
from ..report import csv_bytes
from ..repro import Manifest, check_output_file, write_file_with_manifest


def run_reprice(yields_path, out_path, *, coverage_levels=(0.7, 0.8, 0.9),
                detrend: str = "linear", adjustment: str = "additive",
                bandwidth: str = "silverman", skip_invalid: bool = False,
                progress: bool = True, engine: str = "local", scheduler=None,
                chunk_rows: int | None = None) -> Path:
    """Validate the yields, rate every region × crop × coverage level, write rates + manifest.

    The yields are read and validated chunk by chunk (out of core,
    :func:`puhui.agri.batch.load_yield_panel`; ``engine="dask"`` on a ``dask.distributed``
    cluster, ``scheduler`` its address); the peak memory of the run is printed and recorded in
    the manifest (``peak_memory_bytes``).

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
    panel, scanned = load_yield_panel(yields_path, engine=engine, scheduler=scheduler,
                                      chunk_rows=chunk_rows)
    rates = reprice(panel, levels, detrend=detrend, adjustment=adjustment,
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
        "cells_skipped": pd.DataFrame(skipped).to_dict("records") if skipped else [],
        "engine": scanned.engine, "chunks": scanned.chunks})
    peak = peak_rss()
    manifest.add_input("yields", yields_path, rows=scanned.rows,
                       relative_to=Path(yields_path).parent)
    manifest.assumptions["peak_memory_bytes"] = peak
    write_file_with_manifest(out, data, manifest, inputs=(yields_path,))
    print(f"reprice: {scanned.rows:,} rows in {scanned.chunks} chunk(s) ({scanned.engine} "
          f"engine), peak memory {peak / 2**20:,.0f} MiB", file=sys.stderr)
    return out


def run_crop_review(experience_path, filed_path, out_dir, *, as_of, zones_path=None,
                    level: float = 0.95, year_effect: bool = True,
                    maintenance_expense: float = 0.0, acquisition_cost: float = 0.0) -> Path:
    """``puhui crop-review``: review the filed county rates against the county × crop × year
    experience (:func:`puhui.agri.review.crop_review`); report and manifest to ``out_dir``
    (written whole, :meth:`puhui.report.Report.write`)."""
    import os

    from ..agri.review import crop_review
    from ..agri.review_report import add_crop_review
    from ..report import Report
    from ..repro import check_output_folder

    inputs = tuple(p for p in (experience_path, filed_path, zones_path) if p is not None)
    check_output_folder(out_dir, inputs=inputs)  # refuse a bad --out before the work
    options = {"as_of": as_of, "level": level, "year_effect": year_effect,
               "maintenance_expense": maintenance_expense, "acquisition_cost": acquisition_cost}
    res = crop_review(experience_path, filed_path, zones=zones_path, as_of=as_of, level=level,
                      year_effect=year_effect, maintenance_expense=maintenance_expense,
                      acquisition_cost=acquisition_cost)
    manifest = Manifest(command="puhui crop-review",
                        assumptions={**res.assumptions, "options": options})
    for name, path in (("experience", experience_path), ("filed", filed_path),
                       ("zones", zones_path)):
        if path is not None:
            manifest.add_input(name, path, relative_to=Path(path).parent)
    rep = Report("费率回溯 — crop rate review by county", manifest=manifest,
                 title_zh="农险费率回溯（分县）")
    add_crop_review(rep, res)
    return rep.write(os.fspath(out_dir), inputs=inputs)
