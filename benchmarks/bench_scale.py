"""Benchmark: the portfolio at scale, out of core (issue 18). Each case runs in a fresh child
process and prints its time and peak resident memory (``ru_maxrss``):

* experience cells — earned premium and exposure by product × region × year
  (:func:`puhui.experience.scale.earned_cells`) from ``N`` policy rows (partitioned Parquet);
* reprice — :func:`puhui.agri.batch.reprice_csv` (what ``puhui reprice`` runs) of ``M``
  region × crop cells × 30 years read from a partitioned Parquet folder: chunked read,
  validation and rating, the rate table written to CSV as the regions are rated;
* member pricing — :func:`puhui.huiminbao.pricing.price_from_experience` of a weighted cost
  table of ``--member-years`` member-years (the members without cost as counts,
  :func:`national_cost_table`), e.g. 1.6e8 for a national 惠民保 market;
* member tuning — :func:`puhui.huiminbao.tuning.tune` of the same table (every policy year,
  the default 起付线 × 赔付比例 grid, each design at its participation equilibrium), in its
  own child process (``--member-cases price,tune``).

Each case also prints the CPU time (user + sys) of its child process, which the load of a
shared machine inflates much less than the wall time.

The data are written first by ``gen_scale_data.py`` (git-ignored ``benchmarks/.scale_data/``).
Targets on a 2-core machine: every case under 8 GB peak; 1e8 policy rows to experience cells
in under 10 minutes. Run: ``python benchmarks/bench_scale.py [--policies N] [--cells M]
[--member-years K [--member-cases price,tune]] [--engine local|dask]`` (``0`` skips a case).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import gen_scale_data  # noqa: E402

GIB = 2**30


def _case(case: str, folder: str, engine: str) -> dict:
    from puhui.data.chunks import peak_rss

    start = time.perf_counter()
    if case == "cells":
        from puhui.experience.scale import earned_cells

        out, res = earned_cells(folder, ("product", "region"), "year", engine=engine)
        rows = res.rows
    elif case == "member":
        return _member_case(int(folder))
    elif case == "tune":
        return _tune_case(int(folder))
    else:  # what `puhui reprice` does: the rate table written as the regions are rated
        from puhui.agri.batch import reprice_csv

        target = Path(folder).with_name(Path(folder).name + "-rates.csv")
        try:
            with open(target, "wb") as fh:
                run = reprice_csv(folder, fh, (0.7, 0.8, 0.9), engine=engine)
            size = target.stat().st_size
        finally:
            target.unlink(missing_ok=True)
        return {"seconds": time.perf_counter() - start, "peak": peak_rss(), "rows": run.rows,
                "out_rows": run.cells_rated * 3, "chunks": run.chunks, "how": run.how,
                "bytes": size}
    return {"seconds": time.perf_counter() - start, "peak": peak_rss(), "rows": rows,
            "out_rows": len(out), "chunks": res.chunks}


def national_cost_table(member_years: int, seed: int = 18):
    """A weighted cost table of ``member_years`` member-years (3 policy years) bootstrapped from
    the bundled 惠民保 book: its member-years with a cost resampled (each with its costs,
    segment and year), the others carried as count rows per segment × year (exposure 1
    each: weight = count, the member-years merged) — the table
    :func:`puhui.experience.scale.member_cost_table` gives for a national book."""
    import numpy as np
    import pandas as pd

    import puhui.datasets
    from puhui.experience.member_costs import CostTable, cost_table
    from puhui.experience.scale import _compact

    folder = puhui.datasets.data_dir() / "huiminbao"
    pol = pd.read_parquet(folder / "policies.parquet")
    base = _compact(cost_table(pol, pd.read_parquet(folder / "costs.parquet")))
    scale = member_years / float(base.weight.sum())
    costed = base.rows >= 0
    n = int(round(costed.sum() * scale))
    pick = np.flatnonzero(costed)[np.random.default_rng(seed).integers(0, costed.sum(), n)]
    zero = np.flatnonzero(~costed)
    count = np.round(base.count[zero] * scale).astype(np.int64)
    count[-1] += member_years - n - count.sum()  # exactly member_years in all
    weight = np.concatenate([np.ones(n), count.astype(float)])
    return CostTable(cost=np.concatenate([base.cost[pick], base.cost[zero]]), weight=weight,
                     segment=np.concatenate([base.segment[pick], base.segment[zero]]),
                     year=np.concatenate([base.year[pick], base.year[zero]]),
                     rows=np.full(n + len(zero), -1), lines=base.lines,
                     segments=base.segments, to_year=base.to_year, trend=base.trend,
                     count=np.concatenate([np.ones(n, np.int64), count]))


def _member_case(member_years: int) -> dict:
    """Pricing from member costs at ``member_years`` (:func:`national_cost_table`): the
    weighted table built, then priced (``method="np2"``: at national size the FFT grid is
    refused, docs/scale.md)."""
    import warnings

    from puhui.data.chunks import peak_rss
    from puhui.huiminbao import Product, example_product_path
    from puhui.huiminbao.pricing import price_from_experience

    start = time.perf_counter()
    table = national_cost_table(member_years)
    built = time.perf_counter() - start
    product = Product.from_toml(example_product_path())
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = price_from_experience(product, table, None, method="np2")
    return {"seconds": time.perf_counter() - start, "build_seconds": built, "peak": peak_rss(),
            "rows": member_years, "out_rows": len(table.weight), "chunks": 0,
            "gross_premium": float(res.gross_premium)}


def _tune_case(member_years: int) -> dict:
    """Tuning from member costs at ``member_years`` (:func:`national_cost_table`): the
    weighted table built, then :func:`puhui.huiminbao.tuning.tune` on every policy year (the
    default grid of 99 designs and today's, each at its participation equilibrium; N the
    table's member-years)."""
    from puhui.data.chunks import peak_rss
    from puhui.huiminbao import Product, example_product_path
    from puhui.huiminbao.tuning import tune

    start = time.perf_counter()
    table = national_cost_table(member_years)
    built = time.perf_counter() - start
    product = Product.from_toml(example_product_path())
    ev, choice, _ = tune(product, table, None, years=sorted(set(table.year.tolist())))
    cur = ev.table[ev.table["current"]].iloc[0]
    return {"seconds": time.perf_counter() - start, "build_seconds": built, "peak": peak_rss(),
            "rows": member_years, "out_rows": len(table.weight), "chunks": 0,
            "designs": len(ev), "chosen": choice.design,
            "members": float(ev.assumptions["members"]),
            "prob_current": float(cur["prob_cr_above_100"]),
            "required_current": float(cur["required_premium"])}


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--policies", type=int, default=10_000_000)
    parser.add_argument("--cells", type=int, default=1_000_000)
    parser.add_argument("--member-years", type=int, default=0,
                        help="price from a weighted cost table of this many member-years "
                             "(1.6e8: a national 惠民保 market)")
    parser.add_argument("--member-cases", default="price,tune",
                        help="with --member-years: pricing and/or tuning (comma-separated)")
    parser.add_argument("--engine", default="local", choices=["local", "dask"])
    parser.add_argument("--case", choices=["cells", "reprice", "member", "tune"],
                        help=argparse.SUPPRESS)
    parser.add_argument("--folder", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.case:  # the child process
        out = _case(args.case, args.folder, args.engine)
        usage = resource.getrusage(resource.RUSAGE_SELF)
        out["cpu"] = usage.ru_utime + usage.ru_stime  # user + sys: little inflated by load
        print(json.dumps(out))
        return
    print(f"{os.cpu_count()} cores, load average {os.getloadavg()[0]:.2f}; engine "
          f"{args.engine}")
    cases = []
    if args.policies:
        cases.append(("cells", gen_scale_data.write_policies(args.policies,
                                                             gen_scale_data.DATA)))
    if args.cells:
        cases.append(("reprice", gen_scale_data.write_yields(args.cells, gen_scale_data.DATA)))
    if args.member_years:
        wanted = {c.strip() for c in args.member_cases.split(",")}
        if "price" in wanted:
            cases.append(("member", args.member_years))
        if "tune" in wanted:
            cases.append(("tune", args.member_years))
    for case, folder in cases:
        run = subprocess.run([sys.executable, __file__, "--case", case, "--folder", str(folder),
                              "--engine", args.engine], capture_output=True, text=True,
                             check=True)
        r = json.loads(run.stdout.strip().splitlines()[-1])
        if case == "tune":
            print(f"tuning from a weighted cost table: {r['rows']:,} member-years in "
                  f"{r['out_rows']:,} rows (built in {r['build_seconds']:.1f} s); "
                  f"{r['designs']} designs at their participation equilibrium; "
                  f"{r['seconds']:.1f} s in all; CPU {r['cpu']:.1f} s; peak "
                  f"{r['peak'] / GIB:.2f} GiB; chosen design {r['chosen']}; today's design: "
                  f"P(CR > 100%) {r['prob_current']:.4g}, required premium "
                  f"{r['required_current']:.2f} 元; under 8 GB: "
                  f"{'PASS' if r['peak'] < 8e9 else 'FAIL'}")
            continue
        if case == "member":
            print(f"pricing from a weighted cost table: {r['rows']:,} member-years in "
                  f"{r['out_rows']:,} rows (built in {r['build_seconds']:.1f} s); "
                  f"{r['seconds']:.1f} s in all; CPU {r['cpu']:.1f} s; peak "
                  f"{r['peak'] / GIB:.2f} GiB; gross premium {r['gross_premium']:.2f} 元; "
                  f"under 8 GB: {'PASS' if r['peak'] < 8e9 else 'FAIL'}")
            continue
        what = ("experience cells (earned, product × region × year)" if case == "cells"
                else f"reprice (3 levels, empirical + kernel; {r['how']}; rate table "
                     f"{r['bytes'] / 2**30:.2f} GiB of CSV)")
        per_row = r["peak"] / max(r["rows"], 1)
        print(f"{what}: {r['rows']:,} rows in {r['chunks']} chunks → {r['out_rows']:,} rows; "
              f"{r['seconds']:.1f} s ({r['rows'] / r['seconds']:,.0f} rows/s; CPU "
              f"{r['cpu']:.1f} s); peak "
              f"{r['peak'] / GIB:.2f} GiB ({per_row:,.0f} B/row); under 8 GB: "
              f"{'PASS' if r['peak'] < 8e9 else 'FAIL'}")


if __name__ == "__main__":
    main()
