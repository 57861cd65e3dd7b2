"""Command-line workflows of the crop family: ``puhui reprice`` (a yields table in, a rate table
and manifest out) and ``puhui crop-review`` (county experience and filed rates in, a 费率回溯
report and manifest out)."""

from __future__ import annotations

import io
import sys
from pathlib import Path

import pandas as pd

from ..agri.batch import load_yield_panel, reprice, reprice_csv
from ..data.chunks import peak_rss
from ..errors import ParameterError
from ..repro import Manifest, check_output_file, write_file_with_manifest


def run_reprice(yields_path, out_path, *, coverage_levels=(0.7, 0.8, 0.9),
                detrend: str = "linear", adjustment: str = "additive",
                bandwidth: str = "silverman", skip_invalid: bool = False,
                progress: bool = True, engine: str = "local", scheduler=None,
                chunk_rows: int | None = None) -> Path:
    """Validate the yields, rate every region × crop × coverage level, write rates + manifest.

    The yields are read and validated chunk by chunk (out of core); a CSV rate table is
    written as the regions are rated (:func:`puhui.agri.batch.reprice_csv`: bounded memory for
    a file grouped by region in sorted order, and the rating overlaps the reading), a Parquet
    one from the table in memory; ``engine="dask"`` validates the chunks on a
    ``dask.distributed`` cluster (``scheduler`` its address) and rates in memory. The input is
    hashed in a thread meanwhile. The peak memory of the run is printed and recorded in the
    manifest (``peak_memory_bytes``), with how the table was rated (``rated``).

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
    if Path(yields_path).is_dir():
        raise ParameterError(f"{yields_path} is a folder: puhui reprice reads one file (CSV or "
                             "Parquet), whose SHA-256 the manifest records; the API "
                             "puhui.agri.reprice / reprice_csv read a folder of Parquet files")
    levels = [float(c) for c in coverage_levels]
    if not levels or any(not 0 < c <= 1 for c in levels):
        raise ParameterError(f"coverage levels must lie in (0, 1], got {levels}")
    digest = _hash_in_background(yields_path)  # hashlib releases the GIL: overlaps the work
    manifest = Manifest(command="puhui reprice")
    on_invalid = "skip" if skip_invalid else "error"

    def record(rows, chunks, engine_used, cells_rated, skipped, how):
        manifest.assumptions.update({
            "coverage_levels": levels, "detrend": detrend, "adjustment": adjustment,
            "bandwidth": bandwidth, "skip_invalid": bool(skip_invalid),
            "cells_rated": int(cells_rated),
            "cells_skipped": pd.DataFrame(skipped).to_dict("records") if skipped else [],
            "engine": engine_used, "chunks": chunks, "rated": how})
        manifest.add_input("yields", yields_path, rows=rows,
                           relative_to=Path(yields_path).parent, sha256=digest())
        manifest.assumptions["peak_memory_bytes"] = peak_rss()
        return rows, chunks, engine_used

    if out.suffix.lower() == ".csv":  # written as the regions are rated (bounded memory)
        done = []

        def write(fh):
            run = reprice_csv(yields_path, fh, levels, detrend=detrend, adjustment=adjustment,
                              bandwidth=bandwidth, on_invalid=on_invalid, engine=engine,
                              scheduler=scheduler, chunk_rows=chunk_rows, progress=progress)
            done.append(record(run.rows, run.chunks, run.engine, run.cells_rated,
                               run.skipped, run.how))

        write_file_with_manifest(out, write, manifest, inputs=(yields_path,))
        rows, chunks, engine_used = done[0]
    else:
        panel, scanned = load_yield_panel(yields_path, engine=engine, scheduler=scheduler,
                                          chunk_rows=chunk_rows)
        rates = reprice(panel, levels, detrend=detrend, adjustment=adjustment,
                        bandwidth=bandwidth, on_invalid=on_invalid, progress=progress)
        skipped = rates.attrs.get("skipped", [])
        rates.attrs = {}
        buf = io.BytesIO()
        rates.to_parquet(buf, index=False)
        rows, chunks, engine_used = record(scanned.rows, scanned.chunks, scanned.engine,
                                           len(rates) // len(levels), skipped, "in memory")
        write_file_with_manifest(out, buf.getvalue(), manifest, inputs=(yields_path,))
    peak = manifest.assumptions["peak_memory_bytes"]
    print(f"reprice: {rows:,} rows in {chunks} chunk(s) ({engine_used} engine), peak memory "
          f"{peak / 2**20:,.0f} MiB", file=sys.stderr)
    return out


def _hash_in_background(path):
    """Start hashing ``path`` (SHA-256) in a thread, and reading the source state the manifest
    records (git, cached); the returned function waits for the hash."""
    import threading

    from ..repro import sha256_file, source_state

    box = {}

    def work():
        try:
            box["hash"] = sha256_file(path)
            source_state()
        except BaseException as exc:  # re-raised by the caller
            box["error"] = exc

    thread = threading.Thread(target=work, name="puhui-hash", daemon=True)
    thread.start()

    def result() -> str:
        thread.join()
        if "error" in box:
            raise box["error"]
        return box["hash"]

    return result


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
