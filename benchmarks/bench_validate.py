"""Benchmark: validation at array speed (issue 18, first bullet).

Prints, side by side:

* ``load_huiminbao()`` (read + validate the bundled 惠民保 book, 584,000 member-years);
* ``puhui.data.validate`` of each bundled table (read once, validation alone timed), beside
  the floor pandas sets for the same columns (``astype`` of the typed columns, no checks);
* ``puhui reprice`` on a yields CSV of ``--cells`` region × crop cells × 30 years: the command
  (in process: read, validate, rate, write the CSV and the manifest) against the API
  (``reprice`` on the frame already in memory), run alternately in the same process, the
  median of the runs' ratios; and pandas' own typed ``read_csv`` of the file as the peer for
  the reading part. The issue's target: command ≤ 1.2 × API.

Run: ``python benchmarks/bench_validate.py [--cells 100000] [--repeats 3]``. The machine's load
average is printed with the figures (2 shared cores: timings of a busy machine vary).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _harness import best_of  # noqa: E402
from bench_reprice import synthetic_yields  # noqa: E402

import puhui.datasets as ds  # noqa: E402
from puhui.agri.batch import reprice  # noqa: E402
from puhui.cli.agri import run_reprice  # noqa: E402
from puhui.data import read_table, validate  # noqa: E402
from puhui.data.schema import BOOL, DATE, FLOAT, INT, schema  # noqa: E402
from puhui.datasets.loaders import _path  # noqa: E402
from puhui.report import csv_bytes  # noqa: E402

BUNDLED = (("huiminbao/policies", "policies"), ("huiminbao/costs", "costs"),
           ("huiminbao/claims", "claims"), ("huiminbao/payments", "payments"),
           ("crops/yields", "yields"), ("crops/policies", "policies"),
           ("crops/claims", "claims"), ("index/rainfall", "index_series"),
           ("index/prices", "prices"))
_PANDAS_TYPE = {FLOAT: "float64", INT: "float64", BOOL: "object", DATE: "datetime64[ns]"}


def _pandas_floor(df: pd.DataFrame, kind: str) -> None:
    """What pandas alone costs to type the same columns (no checks, no reports)."""
    for col in schema(kind).columns:
        if col.name not in df:
            continue
        s = df[col.name]
        if col.dtype == DATE:
            pd.to_datetime(s, format="mixed", errors="coerce")
        elif col.dtype in (FLOAT, INT):
            pd.to_numeric(s, errors="coerce")
        else:
            s.astype(str).str.strip()


def _load(repeats: int) -> None:
    t = best_of(ds.load_huiminbao, repeats)
    print(f"load_huiminbao() (584,000 member-years + costs, claims, payments): {t:6.2f} s")


def _tables(repeats: int) -> None:
    print(f"\n{'table':24s} {'rows':>9s} {'validate s':>11s} {'pandas typing s':>16s}")
    for name, kind in BUNDLED:
        path = _path(name)
        df = read_table(path)
        t = best_of(lambda df=df, kind=kind, path=path: validate(df, kind, table=path.name),
                    repeats)
        floor = best_of(lambda df=df, kind=kind: _pandas_floor(df, kind), repeats)
        print(f"{name:24s} {len(df):9,d} {t:11.3f} {floor:16.3f}")


def _reprice(cells: int, repeats: int) -> None:
    """The command against the API in the same run, alternately, ``repeats`` times each: the
    median ratio is what a shared machine's load disturbs least."""
    import statistics
    import time

    df = synthetic_yields(cells)
    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp) / "yields.csv"
        df.to_csv(src, index=False)
        # the API's input: the same file's values, in memory (round_trip: the correctly
        # rounded floats the command reads; pandas' default parser may differ in the last bit)
        frame = pd.read_csv(src, float_precision="round_trip")
        api, command, ratios, loads = [], [], [], []
        for i in range(repeats):
            t = time.perf_counter()
            rates = reprice(frame, (0.7, 0.8, 0.9))
            api.append(time.perf_counter() - t)
            t = time.perf_counter()
            run_reprice(src, Path(tmp) / f"rates{i}.csv", progress=False)
            command.append(time.perf_counter() - t)
            ratios.append(command[-1] / api[-1])
            loads.append(os.getloadavg()[0])
        same = (Path(tmp) / "rates0.csv").read_bytes() == csv_bytes(rates)
        api_path = best_of(lambda: reprice(src, (0.7, 0.8, 0.9)), repeats)
        reading = best_of(lambda: read_table(src), repeats)
        validating = best_of(lambda: validate(read_table(src), "yields"), repeats) - reading
        writing = best_of(lambda: csv_bytes(rates), repeats)
        peer = best_of(lambda: pd.read_csv(src, dtype={"region": str, "crop": str,
                                                       "year": "int64", "yield": "float64"}),
                       repeats)
    ratio = statistics.median(ratios)
    print(f"\nreprice at {cells:,} cells × 30 years ({len(df):,} rows), {repeats} runs each, "
          f"load average {min(loads):.1f}–{max(loads):.1f}:")
    print(f"  API  reprice(frame in memory)          median {statistics.median(api):6.2f} s  "
          f"(runs {', '.join(f'{t:.2f}' for t in api)})")
    print(f"  CLI  run_reprice(file → rates + manifest) median {statistics.median(command):6.2f} s"
          f"  (runs {', '.join(f'{t:.2f}' for t in command)})")
    print(f"  ratio CLI / API, median of the runs' ratios {ratio:4.2f} "
          f"({', '.join(f'{r:.2f}' for r in ratios)}); target ≤ 1.20: "
          f"{'PASS' if ratio <= 1.2 else 'MISS'}; rate table identical to the API's: {same}")
    print(f"  API  reprice(path: chunked read + validate, in memory) {api_path:6.2f} s")
    print(f"       whole-file read_table {reading:5.2f} s, validate {validating:5.2f} s, "
          f"rate table to CSV (puhui.report.csv_bytes) {writing:5.2f} s")
    print(f"  peer pandas read_csv with dtypes        {peer:6.2f} s (no checks)")


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--cells", type=int, default=100_000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--only", choices=["load", "tables", "reprice"], default=None)
    args = parser.parse_args(argv)
    print(f"{os.cpu_count()} cores, load average {os.getloadavg()[0]:.2f} at start; "
          f"best of {args.repeats}")
    if args.only in (None, "load"):
        _load(args.repeats)
    if args.only in (None, "tables"):
        _tables(args.repeats)
    if args.only in (None, "reprice"):
        _reprice(args.cells, args.repeats)
    print(f"load average {os.getloadavg()[0]:.2f} at the end")


if __name__ == "__main__":
    main()
