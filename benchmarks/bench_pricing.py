"""Benchmark: 惠民保 pricing from member-level experience, and the participation equilibrium.

Timed on the bundled book (584,000 member-years over 2023–2025, three benefit lines) and on the
same book stacked ``--copies`` times (policy ids made unique; the price must not change, which
is checked), from the validated tables to the premium table:

* :func:`puhui.huiminbao.price_from_experience` — trend before the deductible, the design applied
  to every member × line, expected payout by segment, the aggregate distribution by FFT and the
  VaR margin;
* the same with Bühlmann–Straub credibility over six age bands;
* :func:`puhui.pricing.equilibrium_price` on the calibrated participation scenario.

No issue sets a target here; the figures show that repricing a city's book is interactive.
Run: ``python benchmarks/bench_pricing.py [--copies K] [--repeat R]``.
"""

from __future__ import annotations

import argparse
import os
import sys
import time

import numpy as np
import pandas as pd

from puhui.datasets import load_huiminbao
from puhui.huiminbao import Product, example_product_path, price_from_experience
from puhui.pricing import default_scenario, equilibrium_price

BANDS = [(18, 40), (40, 50), (50, 60), (60, 70), (70, 80), (80, 96)]


def stacked(policies: pd.DataFrame, costs: pd.DataFrame, copies: int):
    """The book repeated ``copies`` times with unique policy ids."""
    if copies == 1:
        return policies, costs
    pols, csts = [], []
    for c in range(copies):
        pols.append(policies.assign(policy_id=policies["policy_id"] + f"#{c}"))
        csts.append(costs.assign(policy_id=costs["policy_id"] + f"#{c}"))
    return pd.concat(pols, ignore_index=True), pd.concat(csts, ignore_index=True)


def best_of(repeat: int, fn):
    times, out = [], None
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return min(times), out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--copies", type=int, default=5)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args(argv)

    product = Product.from_toml(example_product_path())
    data = load_huiminbao()
    print(f"pricing benchmark  nproc={os.cpu_count()}  python={sys.version.split()[0]}  "
          f"numpy={np.__version__}  pandas={pd.__version__}")
    base = None
    for copies in (1, args.copies):
        pol, cst = stacked(data.policies, data.costs, copies)
        t, res = best_of(args.repeat, lambda p=pol, c=cst: price_from_experience(product, p, c))
        tb, _ = best_of(args.repeat, lambda p=pol, c=cst: price_from_experience(
            product, p, c, bands=BANDS, credibility="buhlmann_straub"))
        base = res.gross_premium if base is None else base
        same = "same price" if copies == 1 else (
            f"price {res.gross_premium:.4f} vs {base:.4f} 元 on one copy (pure premium equal: "
            f"{np.isclose(res.pure_premium, price_from_experience(product, data.policies, data.costs).pure_premium, rtol=1e-12)})")  # noqa: E501
        print(f"  {len(pol):>9,} member-years, {len(cst):>9,} cost rows: "
              f"price_from_experience {t:6.2f} s; with 6 age bands + Bühlmann–Straub {tb:6.2f} s"
              f"  ({same})")
    cal = default_scenario()
    t, eq = best_of(args.repeat, lambda: equilibrium_price(cal.scenario))
    print(f"  equilibrium_price on the calibrated scenario: {1000 * t:.1f} ms "
          f"(price {eq.price:.2f} 元, residual {eq.residual:.1e})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
