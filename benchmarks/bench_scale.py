"""Benchmark: the portfolio at scale, out of core (issue 18). Each case runs in a fresh child
process and prints its time and peak resident memory (``ru_maxrss``):

* experience cells — earned premium and exposure by product × region × year
  (:func:`puhui.experience.scale.earned_cells`) from ``N`` policy rows (partitioned Parquet);
* reprice — :func:`puhui.agri.reprice` of ``M`` region × crop cells × 30 years read from a
  partitioned Parquet folder (chunked read + validation + rating).

The data are written first by ``gen_scale_data.py`` (git-ignored ``benchmarks/.scale_data/``).
Targets on a 2-core machine: every case under 8 GB peak; 1e8 policy rows to experience cells
in under 10 minutes. Run: ``python benchmarks/bench_scale.py [--policies N] [--cells M]
[--engine local|dask]``.
"""

from __future__ import annotations

import argparse
import json
import os
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
    else:
        from puhui.agri.batch import load_yield_panel, reprice

        panel, res = load_yield_panel(folder, engine=engine)
        out = reprice(panel, (0.7, 0.8, 0.9))
        rows = res.rows
    return {"seconds": time.perf_counter() - start, "peak": peak_rss(), "rows": rows,
            "out_rows": len(out), "chunks": res.chunks}


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--policies", type=int, default=10_000_000)
    parser.add_argument("--cells", type=int, default=1_000_000)
    parser.add_argument("--engine", default="local", choices=["local", "dask"])
    parser.add_argument("--case", choices=["cells", "reprice"], help=argparse.SUPPRESS)
    parser.add_argument("--folder", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.case:  # the child process
        print(json.dumps(_case(args.case, args.folder, args.engine)))
        return
    print(f"{os.cpu_count()} cores, load average {os.getloadavg()[0]:.2f}; engine "
          f"{args.engine}")
    cases = []
    if args.policies:
        cases.append(("cells", gen_scale_data.write_policies(args.policies,
                                                             gen_scale_data.DATA)))
    if args.cells:
        cases.append(("reprice", gen_scale_data.write_yields(args.cells, gen_scale_data.DATA)))
    for case, folder in cases:
        run = subprocess.run([sys.executable, __file__, "--case", case, "--folder", str(folder),
                              "--engine", args.engine], capture_output=True, text=True,
                             check=True)
        r = json.loads(run.stdout.strip().splitlines()[-1])
        what = ("experience cells (earned, product × region × year)" if case == "cells"
                else "reprice (3 levels, empirical + kernel)")
        per_row = r["peak"] / max(r["rows"], 1)
        print(f"{what}: {r['rows']:,} rows in {r['chunks']} chunks → {r['out_rows']:,} rows; "
              f"{r['seconds']:.1f} s ({r['rows'] / r['seconds']:,.0f} rows/s); peak "
              f"{r['peak'] / GIB:.2f} GiB ({per_row:,.0f} B/row); under 8 GB: "
              f"{'PASS' if r['peak'] < 8e9 else 'FAIL'}")


if __name__ == "__main__":
    main()
