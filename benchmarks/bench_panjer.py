"""Panjer's recursion: puhui against R actuar's C recursion, ``aggregateDist("recursive")``.

Compound Poisson(λ) with λ = 10, 100, 1000 and Gamma(2, 1) claims, discretised once by puhui
(unbiased / local-moment method, step h = 0.05, up to 40 where the claim-size tail is below
1e-15) and handed to both tools as the same doubles (a binary file read by R's ``readBin``).
Both run until the computed cdf is within ``TOL`` of 1 (actuar's ``tol``; puhui's ``tol``), so
they compute the same nodes; for λ = 1000, ``P[S = 0] = e^{−λ(1 − f_0)}`` underflows and both
split the count in two and convolve back (actuar: ``lambda = 500, convolve = 1``, its tolerance
rule ``(1 − tol)^{1/2}`` for the half; puhui picks the same split by itself and stops the half
within ``tol/2``).  The node counts, the largest pmf difference and the times are printed side
by side:

* puhui: ``aggregate(Poisson(λ), fx, "panjer", n_nodes=…, tol=TOL)``, best of several runs
  (``time.perf_counter``) after one warm-up call (numba's compiled kernel is cached on disk);
* actuar: ``system.time`` over ``REPS`` calls inside one R process, divided by ``REPS`` — R's
  start-up and the file read are not timed.

Target: puhui/actuar ≤ 1.2 at every λ.  Without ``Rscript`` (or actuar) the R column is
skipped with a message.  Prints PASS/MISS; the exit code is always 0.

    python benchmarks/bench_panjer.py
"""

from __future__ import annotations

import os
import platform
import shutil
import subprocess
import tempfile
import warnings
from pathlib import Path

import numpy as np
import scipy
from _harness import best_of
from scipy import stats

from puhui.losses.aggregate import aggregate
from puhui.losses.discretize import discretize
from puhui.losses.frequency import Poisson

STEP = 0.05
SEV_UPPER = 40.0  # Gamma(2, 1): S(40) = 41 e^{-40} ≈ 2e-16
TOL = 1e-7  # ≥ 2·sqrt(ε): actuar caps the tolerance of the half at 1 − sqrt(ε) when convolving
LAMBDAS = (10.0, 100.0, 1000.0)
CONVOLVE = {10.0: 0, 100.0: 0, 1000.0: 1}
REPS = {10.0: 50, 100.0: 10, 1000.0: 3}
TARGET = 1.2

R_SCRIPT = r"""
suppressPackageStartupMessages(library(actuar))
args <- commandArgs(trailingOnly = TRUE)
fx <- readBin(args[1], "double", n = as.integer(args[2]), size = 8, endian = "little")
lam <- as.numeric(args[3]); conv <- as.integer(args[4]); reps <- as.integer(args[5])
h <- as.numeric(args[6]); tol <- as.numeric(args[7])
## actuar: with convolve = k the frequency parameter is given already divided by 2^k
run <- function() aggregateDist("recursive", model.freq = "poisson", model.sev = fx,
                                lambda = lam / 2^conv, x.scale = h, convolve = conv,
                                tol = tol, maxit = 10000000L)
Fs <- run()
tm <- system.time(for (i in seq_len(reps)) run())[["elapsed"]] / reps
fs <- get("fs", environment(Fs))
writeBin(fs, args[8], size = 8, endian = "little")
cat(sprintf("%.9f %d\n", tm, length(fs)))
"""


def nproc() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - non-Linux
        return os.cpu_count() or 1


def r_version() -> str | None:
    if shutil.which("Rscript") is None:
        return None
    out = subprocess.run(
        ["Rscript", "-e", 'cat(as.character(packageVersion("actuar")))'],
        capture_output=True, text=True, check=False,
    )
    return out.stdout.strip() if out.returncode == 0 else None


def run_actuar(fx: np.ndarray, lam: float, tmp: Path) -> tuple[float, np.ndarray]:
    src, sev, out = tmp / "panjer.R", tmp / "fx.bin", tmp / "fs.bin"
    src.write_text(R_SCRIPT)
    fx.astype("<f8").tofile(sev)
    res = subprocess.run(
        ["Rscript", str(src), str(sev), str(fx.size), repr(lam), str(CONVOLVE[lam]),
         str(REPS[lam]), repr(STEP), repr(TOL), str(out)],
        capture_output=True, text=True, check=True,
    )
    seconds, _ = res.stdout.split()
    return float(seconds), np.fromfile(out, dtype="<f8")


def main() -> int:
    warnings.simplefilter("ignore")
    actuar_version = r_version()
    print("bench_panjer -- compound Poisson(λ)-Gamma(2,1), Panjer recursion, step 0.05, "
          f"tol {TOL:g}")
    print(f"nproc={nproc()}  python={platform.python_version()}  numpy={np.__version__}  "
          f"scipy={scipy.__version__}  actuar={actuar_version or 'not available'}")
    fx = discretize(stats.gamma(2.0), STEP, SEV_UPPER, "unbiased")
    print(f"severity: {fx.pmf.size} nodes, lost mass {fx.lost_mass:.1e}")
    if actuar_version is None:
        print("Rscript or actuar not available: the actuar column is skipped")
    print(f"{'lambda':>7} {'nodes':>8} {'puhui ms':>10} {'actuar ms':>10} {'ratio':>7} "
          f"{'max |Δpmf|':>11}  verdict")
    all_ok = True
    with tempfile.TemporaryDirectory() as tmpdir:
        for lam in LAMBDAS:
            mean, sd = lam * 2.0, (lam * 6.0) ** 0.5
            n_nodes = int((mean + 40 * sd) / STEP)  # room enough: the tol stop ends the run

            def run(lam=lam, n_nodes=n_nodes):
                return aggregate(Poisson(lam), fx, method="panjer", n_nodes=n_nodes, tol=TOL)

            S = run()  # warm-up (numba loads its cached kernel)
            assert S.info.get("convolve", 0) == CONVOLVE[lam]
            t_puhui = best_of(run, max(3, REPS[lam] // 5))
            if actuar_version is None:
                print(f"{lam:7.0f} {S.pmf.size:8d} {t_puhui * 1e3:10.2f} {'--':>10} "
                      f"{'--':>7} {'--':>11}  (no R)")
                continue
            t_r, fs = run_actuar(fx.pmf, lam, Path(tmpdir))
            common = min(fs.size, S.pmf.size)
            diff = float(np.max(np.abs(fs[:common] - S.pmf[:common])))
            ratio = t_puhui / t_r
            ok = ratio <= TARGET
            all_ok &= ok
            nodes = f"{S.pmf.size}" if fs.size == S.pmf.size else f"{S.pmf.size}/{fs.size}"
            print(f"{lam:7.0f} {nodes:>8} {t_puhui * 1e3:10.2f} {t_r * 1e3:10.2f} "
                  f"{ratio:7.2f} {diff:11.1e}  {'PASS' if ok else 'MISS'}")
    if actuar_version is not None:
        print(f"speed: {'PASS' if all_ok else 'MISS'} (target: puhui/actuar ≤ {TARGET} at every λ)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
