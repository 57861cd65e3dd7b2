"""Benchmark: earned premium and exposure of 600,000 policies by product and period."""

from __future__ import annotations

import os
import time

import numpy as np
import pandas as pd

from puhui.experience.exposure import earned


def main() -> None:
    rng = np.random.default_rng(7)
    n = 600_000
    start = np.datetime64("2023-01-01") + rng.integers(0, 3 * 365, n).astype("timedelta64[D]")
    p = pd.DataFrame({
        "product": rng.choice(["A", "B", "C", "D"], n),
        "start_date": pd.to_datetime(start),
        "end_date": pd.to_datetime(start + np.timedelta64(364, "D")),
        "premium": rng.uniform(50, 200, n), "exposure": np.ones(n)})
    print(f"earned() on {n:,} policies, nproc={os.cpu_count()}")
    for period in ("year", "quarter", "month", None):
        best = float("inf")
        for _ in range(3):
            t0 = time.perf_counter()
            earned(p, by=("product",), period=period, as_of="2025-06-30")
            best = min(best, time.perf_counter() - t0)
        print(f"  period={str(period):8s} {best:6.3f} s (best of 3)")


if __name__ == "__main__":
    main()
