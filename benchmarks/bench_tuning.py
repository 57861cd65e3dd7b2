"""Benchmark: a grid of ≥ 20,000 惠民保 designs on 1,000,000 member-years in < 10 s (issue 4).

The book: the bundled 惠民保 member-years of policy year 2025, costs trended to 2026 at the
product's medical trend, resampled with a seeded generator to 1,000,000 member-years (rows drawn
with replacement, so each keeps its joint costs across lines and its segment).

The grid: healthy 起付线 (25 values) × 赔付比例 (20) × 封顶线 (5) × 既往症 deductible multiple (4)
× 既往症 ratio share (2) = 20,000 designs on the in- and out-of-catalogue lines, plus the current
design. Timed: :func:`puhui.tuning.evaluate` from the member × line cost matrix (building the
empirical laws, the exact joint lattices, NP2 with a 5% claim-level CV) to the result table.

Run: ``python benchmarks/bench_tuning.py [--members N] [--repeat R]``. Prints the figures,
``nproc`` and PASS/MISS; exits 0 either way.
"""

from __future__ import annotations

import argparse
import os
import sys
import time

import numpy as np

from puhui.datasets import load_huiminbao
from puhui.huiminbao import Product, example_product_path
from puhui.tuning import Constraints, DesignGrid, MemberCosts, evaluate, optimise

TARGET_S = 10.0


def book(members: int, seed: int = 2026):
    """``members`` member-years resampled from the bundled 2025 book (costs trended to 2026)."""
    product = Product.from_toml(example_product_path())
    data = load_huiminbao()
    lines = [ln.name for ln in product.lines]
    base = MemberCosts.from_tables(data.policies, data.costs, lines=lines, policy_year=2025,
                                   trend=product.medical_trend, to_year=2026)
    xs, segs = [], []
    for seg in base.segments:
        x, _w = base.matrix(seg)
        xs.append(x)
        segs.append(np.full(len(x), seg))
    x, seg = np.concatenate(xs), np.concatenate(segs)
    rng = np.random.default_rng(seed)
    pick = rng.integers(0, len(x), size=members)
    return product, lines, x[pick], seg[pick]


def grid_for(product) -> DesignGrid:
    return DesignGrid.from_product(
        product,
        deductible=np.linspace(5_000, 29_000, 25),
        payout_ratio=np.round(np.linspace(0.50, 0.95, 20), 4),
        cap=[100_000, 500_000, 1_000_000, 2_000_000, 3_000_000],
        preexisting_deductible_multiple=[1.0, 1.5, 2.0, 2.5],
        preexisting_payout_share=[0.5, 0.6],
        lines=["in_catalogue", "out_of_catalogue"],
    )


def main(argv=None) -> float:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--members", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)
    product, lines, x, seg = book(args.members)
    grid = grid_for(product)
    times = []
    for _ in range(args.repeat):
        start = time.perf_counter()
        costs = MemberCosts(x, lines=lines, segment=seg)
        ev = evaluate(grid, costs, product, claim_cv=0.05)
        times.append(time.perf_counter() - start)
    best, worst = min(times), max(times)
    nproc = os.cpu_count()
    t = ev.table
    cur = t[t["current"]].iloc[0]
    print(f"tuning: {len(grid):,} designs × {args.members:,} member-years × {len(lines)} lines "
          f"evaluated in {best:.2f} s (best of {args.repeat}; worst {worst:.2f} s) on "
          f"nproc = {nproc}; target < {TARGET_S:.0f} s: "
          f"{'PASS' if worst < TARGET_S else 'MISS'}")
    print(f"  share paid / variance: {ev.assumptions['share_paid']} / "
          f"{ev.assumptions['variance']}")
    print(f"  current design: pure premium {cur['pure_premium']:.2f} 元, required premium "
          f"{cur['required_premium']:.2f} 元, expected CR at {cur['price']:.0f} 元 "
          f"{cur['expected_cr']:.1%}, P(CR > 100%) {cur['prob_cr_above_100']:.3f}, share paid "
          f"{cur['share_paid']:.2%}")
    choice = optimise(ev, Constraints(max_price=cur["price"], max_prob_loss=0.05))
    if choice.design is not None:
        row = choice.row
        print(f"  best design with required premium ≤ {cur['price']:.0f} 元 and P(CR > 100%) ≤ "
              f"5%: 起付线 {row['deductible']:.0f}, 赔付比例 {row['payout_ratio']:.2f}, 封顶线 "
              f"{row['cap']:.0f} → pure premium {row['pure_premium']:.2f} 元 "
              f"({choice.feasible_designs:,} feasible designs)")
    front = ev.frontier()
    print(f"  Pareto frontier (required premium vs share paid): {len(front)} designs")
    # check: 20 random designs by brute force (apply the payout to every member and average)
    rng = np.random.default_rng(7)
    sample = rng.choice(len(grid), size=20, replace=False)
    start = time.perf_counter()
    err = 0.0
    for k in sample:
        total = 0.0
        for j, s in enumerate(("healthy", "preexisting")):
            m = seg == s
            d, r, c = (grid.terms[k, :, j, i] for i in range(3))
            total += np.minimum(r * np.maximum(x[m] - d, 0.0), c).sum()
        err = max(err, abs(total / len(x) / t["pure_premium"][k] - 1.0))
    loop = (time.perf_counter() - start) / len(sample) * len(grid)
    print(f"  brute force on 20 designs: max relative difference {err:.1e} "
          f"({'OK' if err < 1e-9 else 'DIFFERENT'}); a loop over all designs would take "
          f"≈ {loop:.0f} s")
    return worst


if __name__ == "__main__":
    main()
    sys.exit(0)
