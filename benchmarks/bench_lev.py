"""Benchmark 3 (issue 3): closed-form limited expected values, evaluations per second.

Target: at least 10 million LEV evaluations per second for the closed forms (lognormal and
gamma on a 10^7 array of limits). Other laws and the second limited moment are printed for
information. Single process, the best of 3 runs (the machine is shared).

Prints its figures and PASS/MISS; the exit code is always 0.

    python benchmarks/bench_lev.py
"""

from __future__ import annotations

import os
import platform
import time

import numpy as np
import scipy
from scipy import stats

from puhui.losses.lev import lev, lev_moment

N = 10_000_000
TARGET = 10e6


def header(title: str) -> None:
    print(title)
    print(f"  nproc={len(os.sched_getaffinity(0))}  python={platform.python_version()}  numpy={np.__version__}"
          f"  scipy={scipy.__version__}  machine={platform.machine()}")


def verdict(ok: bool) -> str:
    return "PASS" if ok else "MISS"


def rate(func, u) -> float:
    best = np.inf
    for _ in range(3):
        t0 = time.perf_counter()
        func(u)
        best = min(best, time.perf_counter() - t0)
    return u.size / best


def main() -> None:
    header("bench_lev: closed-form LEV on 10^7 limits")
    rng = np.random.default_rng(7)
    limits = rng.lognormal(9.0, 1.5, N)  # limits in yuan spanning the body and the tail

    cases = [
        ("lognorm(s=1.2, scale=8000)", stats.lognorm(1.2, scale=8_000.0), True),
        ("gamma(a=2, scale=6000)", stats.gamma(2.0, scale=6_000.0), True),
        ("gamma(a=0.5, scale=20000)", stats.gamma(0.5, scale=20_000.0), False),
        ("expon(scale=10000)", stats.expon(scale=10_000.0), False),
        ("weibull_min(c=0.8, scale=9000)", stats.weibull_min(0.8, scale=9_000.0), False),
        ("lomax(c=2.5, scale=15000)", stats.lomax(2.5, scale=15_000.0), False),
        ("genpareto(c=0.3, scale=8000)", stats.genpareto(0.3, scale=8_000.0), False),
        ("burr12(c=2, d=1.5, scale=9000)", stats.burr12(2.0, 1.5, scale=9_000.0), False),
    ]
    for name, model, targeted in cases:
        r1 = rate(lambda u, m=model: lev(m, u), limits)
        tag = f"target 10M/s {verdict(r1 >= TARGET)}" if targeted else "(info)"
        print(f"  LEV   {name:32s} {r1 / 1e6:7.1f} M evals/s  {tag}")
    for name, model, _targeted in cases[:2]:
        r2 = rate(lambda u, m=model: lev_moment(m, u, 2), limits)
        print(f"  LEV_2 {name:32s} {r2 / 1e6:7.1f} M evals/s  (info)")


if __name__ == "__main__":
    main()
