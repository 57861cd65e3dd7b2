"""Generate partitioned Parquet data for the scale benchmarks (issue 18); not committed.

Writes, under ``benchmarks/.scale_data/`` (git-ignored) unless ``--out`` says otherwise:

* ``policies_N/part-XXXXX.parquet`` — ``N`` 惠民保-like member-years (``policies`` schema:
  policy_id, product, region, segment, start_date, end_date, sum_insured, premium, exposure,
  policy_year), 1,000,000 rows per file;
* ``yields_sorted_M/part-XXXXX.parquet`` — ``M`` region × crop cells × 30 years of yields
  (``bench_reprice.synthetic_yields``), 1,000,000 rows per file, grouped by region in sorted
  order.

Each part is generated from its own seed, so memory stays at one part whatever N and M.
Run: ``python benchmarks/gen_scale_data.py --policies 10000000 --cells 1000000``.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_reprice import synthetic_yields  # noqa: E402

DATA = Path(__file__).resolve().parent / ".scale_data"
PART_ROWS = 1_000_000
PRODUCTS = ("HMB-XC", "HMB-DF", "HMB-NB", "HMB-SZ")
SEGMENTS = ("healthy", "preexisting")


def policies_part(first: int, n: int, seed: int) -> pd.DataFrame:
    """Member-years ``first … first + n − 1``: annual covers starting on the 1st of a month of
    2022–2024, premium 59–129 元 by product, one member each."""
    rng = np.random.default_rng(seed)
    year = rng.integers(2022, 2025, n)
    month = rng.integers(1, 13, n)
    start = pd.to_datetime(pd.DataFrame({"year": year, "month": month, "day": 1}))
    # one year less a day: the day before the same 1st of the month a year on (vectorised;
    # equal to start + DateOffset(years=1) − 1 day for a 1st of the month)
    end = pd.to_datetime(pd.DataFrame({"year": year + 1, "month": month, "day": 1})) \
        - pd.Timedelta(days=1)
    product = rng.integers(0, len(PRODUCTS), n)
    return pd.DataFrame({
        "policy_id": np.char.add("M", np.char.zfill(np.arange(first, first + n).astype(str),
                                                    10)).astype(object),
        "product": np.asarray(PRODUCTS, object)[product],
        "region": pd.Series(rng.integers(0, 300, n)).map("R{:03d}".format),
        "segment": np.asarray(SEGMENTS, object)[(rng.random(n) < 0.12).astype(int)],
        "start_date": start.dt.date, "end_date": end.dt.date,
        "sum_insured": 3e6, "premium": np.asarray([89.0, 59.0, 129.0, 99.0])[product],
        "exposure": 1.0, "policy_year": year})


def write_policies(n: int, out: Path) -> Path:
    folder = out / f"policies_{n}"
    if (folder / "_done").exists():
        return folder
    folder.mkdir(parents=True, exist_ok=True)
    for i, first in enumerate(range(0, n, PART_ROWS)):
        path = folder / f"part-{i:05d}.parquet"
        if path.exists():  # a run stopped part-way resumes (each part is written whole)
            continue
        part = policies_part(first, min(PART_ROWS, n - first), seed=1000 + i)
        part.to_parquet(folder / f".part-{i:05d}.tmp", index=False)
        (folder / f".part-{i:05d}.tmp").rename(path)
    (folder / "_done").write_text("")
    return folder


def write_yields(cells: int, out: Path, years: int = 30) -> Path:
    """Cells grouped by region, the regions in sorted order across the parts (``P00000-…``):
    the order in which `puhui reprice` rates a file in one pass with bounded memory."""
    folder = out / f"yields_sorted_{cells}"
    if (folder / "_done").exists():
        return folder
    folder.mkdir(parents=True, exist_ok=True)
    step = max(1, PART_ROWS // years)
    for i, first in enumerate(range(0, cells, step)):
        part = synthetic_yields(min(step, cells - first), years, seed=2024 + i)
        part["region"] = f"P{i:05d}-" + part["region"]  # distinct cells across parts
        part.to_parquet(folder / f"part-{i:05d}.parquet", index=False)
    (folder / "_done").write_text("")
    return folder


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--policies", type=int, default=10_000_000)
    parser.add_argument("--cells", type=int, default=1_000_000)
    parser.add_argument("--out", type=Path, default=DATA)
    args = parser.parse_args(argv)
    for what, write, n in (("policies", write_policies, args.policies),
                           ("yields", write_yields, args.cells)):
        t = time.perf_counter()
        folder = write(n, args.out)
        size = sum(f.stat().st_size for f in folder.glob("*.parquet"))
        print(f"{what}: {folder} ({size / 2**20:,.0f} MiB) in {time.perf_counter() - t:.1f} s")


if __name__ == "__main__":
    main()
