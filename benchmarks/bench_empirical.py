"""Benchmark (issue 10): building ``Empirical`` on 10^7 losses against the floor.

The floor is what any empirical law needs: one sort of the losses and one running sum,
``np.cumsum(np.sort(x))``. ``Empirical(x)`` sorts, checks the input and keeps the running sum
of the sorted losses (the suffix sums for layers are made on first use). Weighted, it keeps the
stable order (tied losses add their weights in sample order) and the running sums of the
weights both ways; numpy's own stable ``argsort`` of the same array is printed beside it.

The losses (seeded): 10^7 members, 60% without a claim (zero), the others lognormal with a
median of about 13,000 yuan; weights uniform on (0, 1). Times: the best of ``--repeat`` rounds,
each round running every case once in turn in one process (so a busy machine slows all cases
alike). Peak memory: each case in its own process, once, under ``tracemalloc`` (the peak of
what the call allocates; the input excluded).

Targets: ``Empirical(x)`` within 1.25× the floor's time and 1.05× its peak memory.

Run: ``python benchmarks/bench_empirical.py [--n 10000000] [--repeat 3]``. Prints the figures
and PASS/MISS; exits 0 either way.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time

import numpy as np
from _harness import child, peak_bytes, verdict

CASES = ("floor: np.cumsum(np.sort(x))", "Empirical(x)",
         "np.argsort(x, kind='stable') (info)", "Empirical(x, w) (info)")
TIME_TARGET, MEMORY_TARGET = 1.25, 1.05


def losses(n: int, seed: int = 20260101) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    x = rng.lognormal(9.5, 1.3, n)
    x[rng.random(n) < 0.6] = 0.0
    return x, rng.random(n)


def _calls(n: int) -> dict:
    from puhui.losses.empirical import Empirical

    x, w = losses(n)
    return {
        CASES[0]: lambda: np.cumsum(np.sort(x)),
        CASES[1]: lambda: Empirical(x),
        CASES[2]: lambda: np.argsort(x, kind="stable"),
        CASES[3]: lambda: Empirical(x, w),
    }


def _times(n: int, repeat: int) -> dict:
    calls = _calls(n)
    best = dict.fromkeys(CASES, np.inf)
    for _ in range(repeat):
        for case, call in calls.items():
            t0 = time.perf_counter()
            out = call()
            best[case] = min(best[case], time.perf_counter() - t0)
            del out
    return best


def _peak(case: str, n: int) -> int:
    return peak_bytes(_calls(n)[case])


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--n", type=int, default=10_000_000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args(argv)
    print(f"bench_empirical: Empirical on {args.n:,} losses (60% zeros) vs the floor")
    print(f"  nproc={len(os.sched_getaffinity(0))}  python={platform.python_version()}  "
          f"numpy={np.__version__}  machine={platform.machine()}")
    times = child(__file__, "times", str(args.n), str(args.repeat))
    res = {case: {"time": times[case], "peak": child(__file__, "peak", case, str(args.n))["peak"]}
           for case in CASES}
    floor = res[CASES[0]]
    print(f"  {'case':40s} {'time s':>8s} {'× floor':>8s} {'peak MB':>9s} {'× floor':>8s}")
    for case in CASES:
        r = res[case]
        rt, rm = r["time"] / floor["time"], r["peak"] / floor["peak"]
        tag = ""
        if case == CASES[1]:
            tag = (f"  time ≤ {TIME_TARGET}× {verdict(rt <= TIME_TARGET)}, "
                   f"memory ≤ {MEMORY_TARGET}× {verdict(rm <= MEMORY_TARGET)}")
        print(f"  {case:40s} {r['time']:8.3f} {rt:8.2f} {r['peak'] / 2**20:9.0f} {rm:8.2f}{tag}")


if __name__ == "__main__":
    if sys.argv[1:3] == ["--child", "times"]:
        print(json.dumps(_times(int(sys.argv[3]), int(sys.argv[4]))))
    elif sys.argv[1:3] == ["--child", "peak"]:
        print(json.dumps({"peak": _peak(sys.argv[3], int(sys.argv[4]))}))
    else:
        main()
