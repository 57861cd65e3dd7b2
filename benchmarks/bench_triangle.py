"""Benchmark (issue 10): a paid triangle from payment records, puhui vs chainladder.Triangle.

The book (seeded): claims with accident dates over 2019–2025, a report lag, and on average 2.3
payments per claim (string claim ids such as ``HMB-XC-C00000001``), all dated up to the
valuation date 2025-12-31, so both tools see the same money. Sizes: 200,000, 1,000,000 and
4,600,000 payments.

Times: the best of ``--repeat`` rounds, each round running every case once in turn in one
process (so a busy machine slows all cases alike). Peak memory: each case in its own process,
once, under ``tracemalloc`` (the peak of what the call allocates; the data loaded beforehand
excluded). Cases:

* ``chainladder``: ``cl.Triangle(records, origin="accident_date", development="payment_date",
  columns="paid", cumulative=False).grain("OYDY")`` on payment records (one row per payment
  with its accident date) — the peer;
* ``puhui records``: ``triangle(records, value="paid", as_of=…)`` on the same records (no
  report date needed);
* ``puhui claims+payments``: ``triangle(claims, payments=payments, …)`` from the two tables of
  the data model: it matches each payment's string claim id itself, the peer is given the
  records already joined (the join, ``payments.merge(claims)``, is timed separately for
  information).

Target: puhui ≤ 1.0× chainladder's time at 1–5 million payments in both puhui cases. The
triangles must agree to round-off (the max abs difference of the incremental cells is printed,
and its size relative to the largest cell).

Run: ``python benchmarks/bench_triangle.py [--sizes 200000 1000000 4600000] [--repeat 2]``.
Prints the figures and PASS/MISS; exits 0 either way.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
from _harness import child, peak_bytes, verdict

AS_OF = "2025-12-31"
CASES = ("chainladder", "join (info)", "puhui records", "puhui claims+payments")


def header(title: str) -> None:
    import chainladder as cl

    print(title)
    print(f"  nproc={len(os.sched_getaffinity(0))}  python={platform.python_version()}  "
          f"numpy={np.__version__}  pandas={pd.__version__}  chainladder={cl.__version__}  "
          f"machine={platform.machine()}")


def book(n_payments: int, seed: int = 20251231) -> tuple[pd.DataFrame, pd.DataFrame]:
    """``claims`` and exactly ``n_payments`` ``payments``, all dated up to ``AS_OF``."""
    rng = np.random.default_rng(seed)
    n_claims = int(n_payments / 2.3 * 1.15) + 10  # some claims and payments fall after AS_OF
    start, end = np.datetime64("2019-01-01"), np.datetime64(AS_OF)
    acc = start + rng.integers(0, int((end - start).astype(int)) + 1, n_claims).astype(
        "timedelta64[D]")
    rep = acc + rng.exponential(25.0, n_claims).astype(np.int64).astype("timedelta64[D]")
    which = np.sort(rng.integers(0, n_claims, int(n_payments * 1.15) + 10))
    pay = rep[which] + rng.gamma(1.2, 120.0, which.size).astype(np.int64).astype(
        "timedelta64[D]")
    amount = np.round(rng.lognormal(8.0, 1.2, which.size), 2)
    keep = (pay <= end) & (rep[which] <= end)
    which, pay, amount = which[keep][:n_payments], pay[keep][:n_payments], amount[keep][:n_payments]
    if which.size < n_payments:
        raise RuntimeError("the generator made too few payments")
    ids = pd.Series(np.arange(n_claims)).map("HMB-XC-C{:08d}".format).to_numpy(object)
    reported = rep <= end
    claims = pd.DataFrame({"claim_id": ids[reported],
                           "accident_date": acc[reported].astype("datetime64[ns]"),
                           "report_date": rep[reported].astype("datetime64[ns]")})
    payments = pd.DataFrame({"claim_id": ids[which], "payment_date": pay.astype("datetime64[ns]"),
                             "amount": amount})
    return claims, payments


def records_of(claims: pd.DataFrame, payments: pd.DataFrame) -> pd.DataFrame:
    """One row per payment with its claim's accident date (the peer's input)."""
    out = payments.merge(claims[["claim_id", "accident_date"]], on="claim_id", how="left")
    return out.rename(columns={"amount": "paid"})[["claim_id", "accident_date", "payment_date",
                                                   "paid"]]


# -- cases, run in child processes ------------------------------------------------------------

def _calls(folder: Path) -> dict:
    import warnings

    claims = pd.read_parquet(folder / "claims.parquet")
    payments = pd.read_parquet(folder / "payments.parquet")
    records = pd.read_parquet(folder / "records.parquet")

    def call(case):
        if case == "chainladder":
            import chainladder as cl

            tri = cl.Triangle(records, origin="accident_date", development="payment_date",
                              columns="paid", cumulative=False).grain("OYDY")
            return np.nan_to_num(np.asarray(tri.values, float)[0, 0])
        if case == "join (info)":
            records_of(claims, payments)
            return None
        from puhui.experience.triangles import triangle

        with warnings.catch_warnings():
            warnings.simplefilter("error")  # nothing may be excluded or inconsistent here
            if case == "puhui records":
                tri = triangle(records, value="paid", as_of=AS_OF, cumulative=False)
            else:
                tri = triangle(claims, payments=payments, value="paid", as_of=AS_OF,
                               cumulative=False)
        return np.nan_to_num(np.asarray(tri.values, float)[0, 0])

    return {case: (lambda case=case: call(case)) for case in CASES}


def _times(folder: Path, repeat: int) -> dict:
    calls = _calls(folder)
    best = dict.fromkeys(CASES, np.inf)
    for _ in range(repeat):
        for case, call in calls.items():
            t0 = time.perf_counter()
            grid = call()
            best[case] = min(best[case], time.perf_counter() - t0)
            if grid is not None:
                np.save(folder / f"{case.replace(' ', '_')}.npy", grid)
    return best


def _peak(case: str, folder: Path) -> int:
    return peak_bytes(_calls(folder)[case])


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", type=int, nargs="+", default=[200_000, 1_000_000, 4_600_000])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)
    header("bench_triangle: paid triangle (OYDY, as_of 2025-12-31) from payment records")
    print(f"  {'payments':>10s} {'case':24s} {'time s':>8s} {'× cl':>6s} {'peak MB':>9s} "
          f"{'× cl':>6s}  max |Δ| (relative)")
    with tempfile.TemporaryDirectory() as tmp:
        for n in args.sizes:
            folder = Path(tmp) / str(n)
            folder.mkdir()
            claims, payments = book(n)
            claims.to_parquet(folder / "claims.parquet")
            payments.to_parquet(folder / "payments.parquet")
            records_of(claims, payments).to_parquet(folder / "records.parquet")
            del claims, payments
            times = child(__file__, "times", str(folder), str(args.repeat))
            res = {case: {"time": times[case],
                          "peak": child(__file__, "peak", case, str(folder))["peak"]} for case in CASES}
            ref = res["chainladder"]
            peer = np.load(folder / "chainladder.npy")
            for case in CASES:
                r = res[case]
                ratio_t, ratio_m = r["time"] / ref["time"], r["peak"] / ref["peak"]
                diff, tag = "", ""
                if case.startswith("puhui"):
                    grid = np.load(folder / f"{case.replace(' ', '_')}.npy")
                    if grid.shape != peer.shape:
                        diff = f"shape {grid.shape} vs {peer.shape}"
                    else:
                        d = float(np.abs(grid - peer).max())
                        diff = f"{d:.3g} ({d / np.abs(peer).max():.1e})"
                    if n >= 1_000_000:
                        tag = f"  target ≤ 1.0× {verdict(ratio_t <= 1.0)}"
                print(f"  {n:>10,d} {case:24s} {r['time']:8.2f} {ratio_t:6.2f} "
                      f"{r['peak'] / 2**20:9.0f} {ratio_m:6.2f}  {diff}{tag}")


if __name__ == "__main__":
    if sys.argv[1:3] == ["--child", "times"]:
        print(json.dumps(_times(Path(sys.argv[3]), int(sys.argv[4]))))
    elif sys.argv[1:3] == ["--child", "peak"]:
        print(json.dumps({"peak": _peak(sys.argv[3], Path(sys.argv[4]))}))
    else:
        main()
