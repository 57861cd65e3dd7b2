"""Aggregate losses: FFT round-off, the default grid's tail rule, and Panjer at C speed.

Regression tests for issue 10 part 4:

* the FFT's accuracy must improve as the grid refines (it used to fall: round-off negatives of
  the discretised severity and of the FFT were set to 0, which adds mass far in the tail);
* the default grid must hold all but ``tol`` of the probability (heavy-tailed counts lost
  2e-6 … 3e-4 of it);
* Panjer must agree with R actuar's ``aggregateDist("recursive")``.
"""

from __future__ import annotations

import math
import shutil
import subprocess
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import integrate, stats
from scipy.optimize import isotonic_regression

from puhui.errors import ParameterError
from puhui.losses.aggregate import _repair_roundoff, aggregate, exact_moments
from puhui.losses.aggregate_dist import AccuracyWarning
from puhui.losses.discretize import _nonincreasing_fit, discretize
from puhui.losses.frequency import Binomial, NegativeBinomial, Poisson, ZeroModified
from puhui.losses.frequency_ab1 import Logarithmic

GAMMA = stats.gamma(2.0)


# --------------------------------------------------------------------------------------------
# FFT accuracy on fine grids of heavy tails
# --------------------------------------------------------------------------------------------
def _truncated_moment(sev, k: int, top: float) -> float:
    """E[X^k; X ≤ top] by adaptive quadrature of x^k f(x) (independent of puhui's LEV code)."""
    return integrate.quad(lambda x: x**k * sev.pdf(x), 0.0, top, limit=500,
                          points=[1.0, 10.0, 100.0])[0]


@pytest.mark.parametrize("sev", [stats.lomax(4.0, scale=3.0), stats.lognorm(1.0)],
                         ids=["lomax4", "lognorm1"])
def test_fft_cv_error_falls_as_the_grid_refines(sev):
    # Poisson(10) claims on the grid [0, 2000] at 2^16 … 2^19 nodes (2^20 is in
    # benchmarks/bench_aggregate_fft.py).  Before the fix the CV error *grew* with the node
    # count -- Lomax +5.0e-5, +1.5e-4, +6.5e-4, +2.7e-3; lognormal +2.7e-5 … +1.2e-3 -- because
    # round-off negatives were set to 0.  GEMAct 1.3 on the same problem: Lomax −6.4e-6,
    # lognormal +1.6e-7 at 2^19 (benchmark output).
    lam, top = 10.0, 2000.0
    mean, var, _ = exact_moments(Poisson(lam), sev)
    cv_exact = math.sqrt(var) / mean
    # the same law with the claims beyond the grid end removed: E[X^k; X ≤ 2000]
    m1, m2 = _truncated_moment(sev, 1, top), _truncated_moment(sev, 2, top)
    cv_cut = math.sqrt(lam * m2) / (lam * m1)
    errs, theory = [], []
    for k in range(16, 20):
        n = 2**k
        h = top / (n - 1)
        S = aggregate(Poisson(lam), sev, method="fft", step=h, n_nodes=n)
        assert np.all(S.pmf >= 0)
        assert abs(S.mean_rel_error) < 2e-8  # unbiased discretisation: mean exact up to the cut
        errs.append(S.std() / S.mean() / cv_cut - 1)
        # the unbiased discretisation adds E[(X − x_j)(x_{j+1} − X)] ≈ h²/6 to E[X²], hence
        # CV → CV·(1 + h²/(12 m2)): the only error left, falling 4× per doubling
        theory.append(h * h / (12 * m2))
        if k == 19:
            assert abs(S.std() / S.mean() / cv_exact - 1) <= 1e-5  # target: ≤ 1e-4
    errs, theory = np.array(errs), np.array(theory)
    assert np.all(np.diff(np.abs(errs)) < 0)  # falls at every refinement …
    # … exactly as the discretisation predicts (a constant offset from the mass of S beyond
    # the grid cancels in the differences)
    np.testing.assert_allclose(np.diff(errs), np.diff(theory), rtol=0.02, atol=2e-9)
    assert abs(errs[-1]) < 1e-6


def test_unbiased_discretisation_of_a_heavy_tail_keeps_mass_and_mean_on_a_fine_grid():
    # Lomax(4, 3) on 2^18 cells of [0, 2000]: far out the LEV differences cancel and round-off
    # makes some masses negative; the monotone repair must leave them ≥ 0 with the total mass
    # F(2000) and the mean E[X; X ≤ 2000] exact (before: zeroed, +2e-9 of mass at the tail)
    sev = stats.lomax(4.0, scale=3.0)
    h = 2000.0 / 2**18
    d = discretize(sev, h, 2000.0, "unbiased")
    assert d.noise_mass > 0  # the repair had something to do
    assert np.all(d.pmf >= 0)
    assert d.pmf.sum() == pytest.approx(sev.cdf(2000.0), abs=1e-13)
    # E[X; X ≤ u] = E[min(X, u)] − u S(u), E[min(X, u)] = θ/(α−1)·(1 − (θ/(θ+u))^{α−1})
    partial = 3.0 / 3.0 * (1 - (3.0 / 2003.0) ** 3) - 2000.0 * (3.0 / 2003.0) ** 4
    assert d.mean() == pytest.approx(partial, rel=1e-12)
    # second moment: E[X²; X ≤ 2000] plus the discretisation's h²/6
    assert d.moment(2) == pytest.approx(_truncated_moment(sev, 2, 2000.0) + h * h / 6, rel=1e-6)


@settings(max_examples=40, deadline=None)
@given(
    size=st.integers(5, 400),
    seed=st.integers(0, 2**32 - 1),
    noise=st.floats(1e-18, 1e-12),
)
def test_property_roundoff_repair_keeps_mass_and_mean(size, seed, noise):
    # a decaying pmf plus round-off noise of both signs
    rng = np.random.default_rng(seed)
    g = np.exp(-np.arange(size) / rng.uniform(1.0, 40.0)) * rng.uniform(0.5, 1.0, size)
    g = g / g.sum() * 0.999 + noise * rng.standard_normal(size)
    out, removed = _repair_roundoff(g)
    assert np.all(out >= 0)
    assert removed == pytest.approx(float(-g[g < 0].sum()), abs=1e-30)
    assert out.sum() == pytest.approx(g.sum(), abs=1e-15 + 4 * removed)
    k = np.arange(size)
    assert np.dot(k, out) == pytest.approx(np.dot(k, g), abs=1e-13 + 4 * size * removed)
    first = int(np.argmax(g < 0)) if (g < 0).any() else size
    # nothing changes before the noisy stretch (pooling starts at most 64 nodes earlier)
    assert np.array_equal(out[: max(first - 65, 0)], g[: max(first - 65, 0)])


@settings(max_examples=40, deadline=None)
@given(size=st.integers(1, 600), seed=st.integers(0, 2**32 - 1), start=st.integers(0, 600))
def test_property_partial_isotonic_fit_equals_the_full_one(size, seed, start):
    # decreasing, then noisy from `start` on: fitting from near the first violation must give
    # the least-squares non-increasing fit of the whole array
    rng = np.random.default_rng(seed)
    t = np.sort(rng.uniform(0, 1, size))[::-1].copy()
    t[min(start, size):] += 1e-3 * rng.standard_normal(size - min(start, size))
    fit, first = _nonincreasing_fit(t)
    full = isotonic_regression(t, increasing=False).x
    np.testing.assert_allclose(fit, full, rtol=0, atol=1e-15)
    assert np.array_equal(fit[:first], t[:first])


# --------------------------------------------------------------------------------------------
# tilting only where it pays
# --------------------------------------------------------------------------------------------
def test_fft_tilts_a_short_grid_only():
    fx = discretize(GAMMA, step=0.5, upper=35.0, method="unbiased")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", AccuracyWarning)
        short = aggregate(Poisson(10), fx, method="fft", upper=35.0)  # 4 % of S beyond 35
        pan = aggregate(Poisson(10), fx, method="panjer", upper=35.0, tol=0.0)
    assert short.info["tilt_theta"] == pytest.approx(20 / short.info["fft_length"])
    np.testing.assert_allclose(short.pmf, pan.pmf, rtol=1e-9, atol=1e-15)
    full = aggregate(Poisson(10), fx, method="fft", upper=200.0)  # holds S: no tilting
    assert full.info["tilt_theta"] == 0.0
    ref = aggregate(Poisson(10), fx, method="panjer", upper=200.0, tol=0.0)
    np.testing.assert_allclose(full.pmf, ref.pmf, rtol=1e-9, atol=1e-16)


# --------------------------------------------------------------------------------------------
# default grid: extended until no more than tol is missing
# --------------------------------------------------------------------------------------------
HEAVY_COUNTS = {
    # before the fix, mass lost by the default grid (step 0.1, Gamma(2, 1) claims):
    # FFT 1.6e-8 / Panjer 2.4e-6 (CTE99 −3.7e-4 relative) for the geometric;
    # FFT 5.3e-6 / Panjer 7.2e-5 (CTE99 −9.4e-3) for the zero-modified logarithmic
    "geometric": NegativeBinomial(1.0, 5.0),
    "ZM-logarithmic": ZeroModified(Logarithmic(5.0), 0.3),
}


@pytest.mark.parametrize("method", ["fft", "panjer"])
@pytest.mark.parametrize("name", list(HEAVY_COUNTS))
def test_default_grid_holds_all_but_tol(name, method):
    freq = HEAVY_COUNTS[name]
    S = aggregate(freq, GAMMA, method=method, step=0.1)
    assert S.truncated_mass <= 1e-12
    assert S.info["default_grid_doublings"] >= 1  # mean + 12 sd was not enough
    # independent computation: the other method on a grid four times longer
    other = "panjer" if method == "fft" else "fft"
    n_big = 4 * S.pmf.size
    big = aggregate(freq, GAMMA, method=other, step=0.1, n_nodes=n_big, tol=0.0)
    assert big.truncated_mass < 1e-12
    # ≤ 1e-12 of mass missing moves CTE_0.999 by at most ~1e-12·x_end/(1e-3·CTE) ≈ 3e-9
    np.testing.assert_allclose(S.cte([0.99, 0.999]), big.cte([0.99, 0.999]), rtol=1e-8)
    np.testing.assert_allclose(S.quantile([0.99, 0.999]), big.quantile([0.99, 0.999]))


def test_default_grid_refuses_a_tail_it_cannot_hold():
    # a finite-variance Pareto with Poisson(10): holding all but 1e-12 would need the claims
    # up to ~1e5 on a grid of step 0.01 (1e7 nodes): refused at once, with the way out
    with pytest.raises(ParameterError, match=r"(?s)heavy tail.*upper= or n_nodes="):
        aggregate(Poisson(10), stats.lomax(2.5), method="fft", step=0.01)
    with pytest.raises(ParameterError, match="method='fft'"):
        aggregate(Poisson(10), stats.lomax(2.5), method="panjer", step=0.1)
    # the explicit grid is the way out: the cut is reported, not refused
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", AccuracyWarning)
        S = aggregate(Poisson(10), stats.lomax(2.5), method="fft", step=0.01, upper=500.0)
    cut = 1 - math.exp(-10 * stats.lomax(2.5).sf(500.0))  # claims beyond 500 …
    assert cut < S.truncated_mass < 1.1 * cut  # … plus sums of smaller claims beyond 500
    with pytest.raises(ParameterError, match="tol=0"):
        aggregate(Poisson(10), GAMMA, method="panjer", step=0.1, tol=0.0)
    with pytest.raises(ParameterError, match="tol must be"):
        aggregate(Poisson(10), GAMMA, method="panjer", step=0.1, tol=-1.0)


# --------------------------------------------------------------------------------------------
# Panjer against R actuar
# --------------------------------------------------------------------------------------------
# R 4, actuar 3.3.2:
#   fx <- discretize(pgamma(x, 2, 1), method = "unbiased", from = 0, to = 22, step = 0.5,
#                    lev = levgamma(x, 2, 1))
#   Fs <- aggregateDist("recursive", model.sev = fx, x.scale = 0.5, tol = 1e-14, maxit = 300,
#                       <model.freq and parameters below>)
#   fs <- get("fs", environment(Fs)); fs[c(0, 5, 10, 20, 40, 60, 80, 120) + 1]; VaR(Fs, 0.99);
#   CTE(Fs, 0.99); mean(Fs)
# (maxit = 300: 301 nodes, 0 … 150; the defective severity, mass F(22) < 1, never lets the cdf
# reach 1 − tol.)
ACTUAR_NODES = [0, 5, 10, 20, 40, 60, 80, 120]
ACTUAR = {
    # model.freq = "poisson", lambda = 10
    "poisson": (Poisson(10.0), [
        6.2931292976656212e-05, 0.00068110125902589279, 0.0028925672704413754,
        0.013331651278995231, 0.025300999536493923, 0.00977963867251248,
        0.0015091649158346875, 6.4162350269803088e-06], 41.0, 45.013258852190525,
        19.99999723842669),
    # "zero-modified negative binomial", size = 2, prob = 0.4, p0 = 0.3 (β = 1/prob − 1)
    "zm-negbin": (ZeroModified(NegativeBinomial(2.0, 1.5), 0.3), [
        0.30538217744148849, 0.036039834823288264, 0.02869125653027212,
        0.014552079839466787, 0.0026380362448259779, 0.00039444892623355349,
        5.384474132288312e-05, 8.7082721968296112e-07], 25.5, 30.778092734458962,
        4.9999994860360042),
    # "zero-modified logarithmic", prob = 0.8, p0 = 0.3 (actuar's prob = β/(1+β): β = 4)
    "zm-logarithmic": (ZeroModified(Logarithmic(4.0), 0.3), [
        0.3115126697017726, 0.053243738713718243, 0.025085234156706233,
        0.0075724305870210505, 0.001319086360089752, 0.00030629249486645066,
        8.0011463916962846e-05, 6.4709814208717946e-06], 24.5, 32.335096132213074,
        3.4794747461335409),
    # "binomial", size = 20, prob = 0.3
    "binomial": (Binomial(20, 0.3), [
        0.001053588020742461, 0.0069412885323213817, 0.019400986803894273,
        0.037708381489766719, 0.011048103573874514, 0.00055955804243937768,
        9.9041961642022766e-06, 4.0495807210958017e-10], 26.5, 29.429947970746444,
        11.999998674110062),
}
VIGNETTE_FX = discretize(GAMMA, step=0.5, upper=22.0, method="unbiased")


@pytest.mark.parametrize("name", list(ACTUAR))
def test_panjer_reproduces_actuar(name):
    freq, fs, var99, cte99, mean = ACTUAR[name]
    S = aggregate(freq, VIGNETTE_FX, method="panjer", upper=150.0, tol=0.0)
    assert S.pmf.size == 301
    # the two discretisations of Gamma(2, 1) differ in the last bits; 1e-10 after 120 steps
    np.testing.assert_allclose(S.pmf[ACTUAR_NODES], fs, rtol=1e-10)
    assert S.quantile(0.99) == var99
    assert S.cte(0.99) == pytest.approx(cte99, rel=1e-12)
    assert S.mean() == pytest.approx(mean, rel=1e-12)
    # and FFT on the same grid gives the same law (the logarithmic count's tail beyond 150 makes
    # it tilt: round-off ~1e-13 absolute towards the grid end)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", AccuracyWarning)
        F = aggregate(freq, VIGNETTE_FX, method="fft", upper=150.0)
    np.testing.assert_allclose(F.pmf, S.pmf, rtol=1e-8, atol=1e-12)


def test_panjer_kernel_sums_to_working_precision_and_is_repeatable():
    # every node against the recursion evaluated with exactly rounded sums (math.fsum)
    freq = ZeroModified(NegativeBinomial(3.0, 2.0), 0.2)
    f = VIGNETTE_FX.pmf
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", AccuracyWarning)  # the grid ends at 60 on purpose
        S = aggregate(freq, VIGNETTE_FX, method="panjer", upper=60.0, tol=0.0)
        again = aggregate(freq, VIGNETTE_FX, method="panjer", upper=60.0, tol=0.0)
    a, b = freq.a, freq.b
    const = freq.p1 - (a + b) * freq.p0
    g = [float(freq.pgf(f[0]))]
    for x in range(1, S.pmf.size):
        terms = [(a + b * j / x) * f[j] * g[x - j] for j in range(1, min(x, f.size - 1) + 1)]
        fx = f[x] if x < f.size else 0.0
        g.append((const * fx + math.fsum(terms)) / (1 - a * f[0]))
    np.testing.assert_allclose(S.pmf, g, rtol=1e-13, atol=0)
    assert np.array_equal(S.pmf, again.pmf)  # fixed summation order: bit for bit


R_PANJER = r"""
suppressPackageStartupMessages(library(actuar))
fx <- discretize(pgamma(x, 2, 1), method = "unbiased", from = 0, to = 22, step = 0.5,
                 lev = levgamma(x, 2, 1))
run <- function(...) suppressWarnings(aggregateDist("recursive", model.sev = fx, x.scale = 0.5,
                                                    tol = 1e-14, maxit = 300, ...))
out <- list(run(model.freq = "poisson", lambda = 10),
            run(model.freq = "zero-modified negative binomial", size = 2, prob = 0.4, p0 = 0.3),
            run(model.freq = "zero-modified logarithmic", prob = 0.8, p0 = 0.3),
            run(model.freq = "binomial", size = 20, prob = 0.3),
            suppressWarnings(aggregateDist("recursive", model.sev = fx, x.scale = 0.5,
                                           model.freq = "poisson", lambda = 500, convolve = 1,
                                           tol = 1e-14, maxit = 4999)))
for (Fs in out) cat(sprintf("%.17g", get("fs", environment(Fs))), "\n")
"""


@pytest.mark.skipif(shutil.which("Rscript") is None, reason="Rscript is not installed")
def test_panjer_matches_actuar_live():
    res = subprocess.run(["Rscript", "-e", R_PANJER], capture_output=True, text=True,
                         timeout=120, check=False)
    if res.returncode != 0 and "actuar" in res.stderr:
        pytest.skip("R package actuar is not installed")
    assert res.returncode == 0, res.stderr
    rows = [np.array(line.split(), dtype=float) for line in res.stdout.strip().splitlines()]
    assert len(rows) == 5
    for (freq, *_), fs in zip(ACTUAR.values(), rows[:4], strict=True):
        S = aggregate(freq, VIGNETTE_FX, method="panjer", upper=150.0, tol=0.0)
        # the last bits of the two Gamma discretisations differ; the binomial recursion
        # (a < 0) amplifies them to ~3e-9 relative on masses below 1e-14, hence atol
        np.testing.assert_allclose(S.pmf, fs, rtol=1e-10, atol=1e-22)
    # λ = 1000 by splitting in two and convolving back (actuar: lambda = 500, convolve = 1,
    # 5000 recursion nodes squared to 9999): node i < 5000 needs recursion nodes ≤ i only
    fs = rows[4]
    assert fs.size == 9999
    S = aggregate(Poisson(1000.0), VIGNETTE_FX, method="panjer", n_nodes=5000, convolve=1,
                  tol=0.0)
    # the grid, 0 … 2500, holds S up to the severity cut, P_N(F(22)) = e^{−1000·S(22)}, and
    # ~5e-10 beyond 2500
    assert S.pmf.size == 5000
    assert 0 < float(Poisson(1000.0).pgf(VIGNETTE_FX.pmf.sum())) - S.pmf.sum() < 1e-9
    np.testing.assert_allclose(S.pmf, fs[:5000], rtol=1e-10, atol=1e-22)


def test_a_grid_too_large_to_allocate_is_refused_before_allocating():
    # issue 11: aggregate(Poisson(1e7), …, step=0.001) asked numpy for 256 GiB
    import pytest
    from scipy import stats

    from puhui.errors import ParameterError
    from puhui.losses import Poisson, aggregate

    with pytest.raises(ParameterError, match="GiB"):
        aggregate(Poisson(1e7), stats.gamma(2), "fft", step=0.001)
