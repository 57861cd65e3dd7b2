"""Benchmark 1 (issue 3): 10,000 benefit designs × 1,000,000 empirical losses.

Targets: all expected payouts in < 1 s (building the sorted sample and its prefix sums
included), ≥ 100× faster than a straightforward NumPy loop over designs, results equal to the
loop to 1e-9 relative. The loop is timed on a random subset of designs and extrapolated
linearly (each iteration does the same work: three passes over the 1,000,000 losses).

Prints its figures and PASS/MISS against each target; the exit code is always 0.

    python benchmarks/bench_expected_payout.py
"""

from __future__ import annotations

import os
import platform
import shutil
import subprocess
import time

import numpy as np
import scipy

from puhui.benefits import Benefit
from puhui.losses.empirical import Empirical
from puhui.losses.payout import expected_payout

N_LOSSES = 1_000_000
SEED = 20250301
LOOP_SUBSET = 200


def nproc() -> str:
    if shutil.which("nproc"):
        return subprocess.run(["nproc"], capture_output=True, text=True).stdout.strip()
    return str(os.cpu_count())


def header(title: str) -> None:
    print(title)
    print(f"  nproc={nproc()}  python={platform.python_version()}  numpy={np.__version__}  "
          f"scipy={scipy.__version__}  machine={platform.machine()}")


def verdict(ok: bool) -> str:
    return "PASS" if ok else "MISS"


def main() -> None:
    header("bench_expected_payout: 10,000 designs x 1,000,000 empirical losses")
    rng = np.random.default_rng(SEED)
    # annual medical cost per claimant, yuan: lognormal with a median of about 13,000
    losses = rng.lognormal(9.5, 1.3, N_LOSSES)

    deductibles = np.linspace(0.0, 50_000.0, 25)  # 起付线
    ratios = np.linspace(0.3, 0.95, 20)  # 赔付比例
    caps = np.geomspace(50_000.0, 3_000_000.0, 20)  # 封顶线
    d, r, c = np.meshgrid(deductibles, ratios, caps, indexing="ij")
    n_designs = d.size
    print(f"  designs: {deductibles.size} deductibles x {ratios.size} ratios x {caps.size} caps"
          f" = {n_designs}")

    # --- vectorised: sort + prefix sums once, then K designs by binary search ---------------
    times, build_times = [], []
    for _ in range(5):
        t0 = time.perf_counter()
        model = Empirical(losses)
        t1 = time.perf_counter()
        fast = expected_payout(model, Benefit(deductible=d, payout_ratio=r, cap=c))
        t2 = time.perf_counter()
        times.append(t2 - t0)
        build_times.append(t1 - t0)
    total = float(np.median(times))
    build = float(np.median(build_times))
    print(f"  vectorised, median of 5: {total:.3f} s total "
          f"(Empirical sort + prefix sums {build:.3f} s, {n_designs} designs {total - build:.3f} s)")

    # --- straightforward loop over designs, on a random subset -------------------------------
    pick = np.random.default_rng(1).choice(n_designs, size=LOOP_SUBSET, replace=False)
    dd, rr, cc = d.ravel()[pick], r.ravel()[pick], c.ravel()[pick]
    t0 = time.perf_counter()
    slow = np.array([np.mean(np.minimum(ri * np.maximum(losses - di, 0.0), ci))
                     for di, ri, ci in zip(dd, rr, cc, strict=True)])
    loop_subset = time.perf_counter() - t0
    loop_full = loop_subset * n_designs / LOOP_SUBSET
    print(f"  NumPy loop: {loop_subset:.2f} s for {LOOP_SUBSET} designs "
          f"-> {loop_full:.1f} s extrapolated to {n_designs} (x{n_designs / LOOP_SUBSET:.0f})")

    rel = np.abs(fast.ravel()[pick] - slow) / np.abs(slow)
    speedup = loop_full / total
    print(f"  speed-up vs loop: {speedup:.0f}x")
    print(f"  max relative difference vs loop on {LOOP_SUBSET} designs: {rel.max():.2e}")
    print()
    print(f"  target: all {n_designs} expected payouts < 1 s ........ {total:.3f} s "
          f"{verdict(total < 1.0)}")
    print(f"  target: >= 100x faster than the NumPy loop ............ {speedup:.0f}x "
          f"{verdict(speedup >= 100)}")
    print(f"  target: equal to the loop to 1e-9 relative ............ {rel.max():.1e} "
          f"{verdict(rel.max() <= 1e-9)}")


if __name__ == "__main__":
    main()
