"""Aggregate loss distributions: FFT, Panjer, simulation, normal and NP2 approximations."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import integrate, stats

from puhui.errors import ParameterError
from puhui.losses.aggregate import aggregate, exact_moments
from puhui.losses.aggregate_dist import AccuracyWarning
from puhui.losses.discretize import discretize
from puhui.losses.frequency import (
    Binomial,
    NegativeBinomial,
    Poisson,
    ZeroModified,
    ZeroTruncated,
)
from puhui.losses.frequency_ab1 import ExtendedTruncatedNB, Logarithmic

GAMMA = stats.gamma(2.0)  # Gamma(2, 1): mean 2, E[X²] = 6, E[X³] = 24


def brute_force_compound(freq, f, n):
    """Σ_k P[N=k] f^{*k} on n nodes by repeated numpy convolution (actuar's "convolution"
    method) -- independent of the FFT and Panjer code."""
    out = np.zeros(n)
    conv = np.zeros(n)
    conv[0] = 1.0
    for k in range(0, 400):
        pk = float(freq.pmf(k))
        out += pk * conv
        if k > 5 and pk < 1e-18:
            break
        conv = np.convolve(conv, f)[:n]
    return out


def var_cte_by_definition(x, pmf, p):
    """VaR_p = min{x: F(x) ≥ p}; CTE_p = E[S | S > VaR_p] (actuar's CTE)."""
    cum = np.cumsum(pmf)
    v = x[np.argmax(cum >= p)]
    tail = x > v
    return v, np.sum(x[tail] * pmf[tail]) / np.sum(pmf[tail])


def compound_poisson_gamma_cdf(lam, x):
    """Exact F_S(x) for Poisson(λ) claims of Gamma(2, 1) size: Σ_n p_n G_{2n}(x)."""
    x = np.atleast_1d(np.asarray(x, dtype=float))
    n = np.arange(1, 200)
    pn = stats.poisson.pmf(n, lam)
    return math.exp(-lam) + (pn[:, None] * stats.gamma.cdf(x[None, :], 2 * n[:, None])).sum(0)


# --------------------------------------------------------------------------------------------
# actuar "risk" vignette example
# --------------------------------------------------------------------------------------------
def test_actuar_risk_vignette_compound_poisson_gamma_by_panjer():
    # R actuar, vignette "risk" (Dutang, Goulet & Pigeon), §"Calculation of the aggregate claim
    # amount distribution":
    #   fx <- discretize(pgamma(x, 2, 1), method = "unbiased", from = 0, to = 22, step = 0.5,
    #                    lev = levgamma(x, 2, 1))
    #   Fs <- aggregateDist("recursive", model.freq = "poisson", model.sev = fx,
    #                       lambda = 10, x.scale = 0.5)
    #   quantile(Fs); quantile(Fs, 0.999); VaR(Fs); CTE(Fs)
    # The vignette's printed output is only in its PDF, which we could not read; the reference
    # here is an independent computation of the same quantities: actuar's own "convolution"
    # method (Σ_k p_k f^{*k}, numpy.convolve) on the same discretised severity, with VaR and
    # CTE taken from their definitions.  Literal values below are that computation's output.
    fx = discretize(GAMMA, step=0.5, upper=22.0, method="unbiased")
    S = aggregate(Poisson(10), fx, method="panjer", upper=200.0, tol=1e-15)
    ref = brute_force_compound(Poisson(10), fx.pmf, S.pmf.size)
    np.testing.assert_allclose(S.pmf, ref, rtol=1e-10, atol=1e-15)
    assert S.x[1] == 0.5  # x.scale = 0.5

    probs = [0.25, 0.5, 0.75, 0.9, 0.95, 0.975, 0.99, 0.995, 0.999]
    q = S.quantile(probs)
    expected = [var_cte_by_definition(S.x, ref, p)[0] for p in probs]
    np.testing.assert_array_equal(q, expected)
    np.testing.assert_array_equal(q, [14.5, 19.5, 25.0, 30.5, 34.0, 37.0, 41.0, 43.5, 49.5])

    cte = S.cte([0.9, 0.95, 0.99])
    expected_cte = [var_cte_by_definition(S.x, ref, p)[1] for p in (0.9, 0.95, 0.99)]
    np.testing.assert_allclose(cte, expected_cte, rtol=1e-12)
    np.testing.assert_array_equal(np.round(cte, 2), [35.42, 38.55, 45.01])

    # mean(Fs): the severity keeps mass F(22) < 1 and mean E[X; X ≤ 22] (unbiased on (0, 22)),
    # so E[S] = P_N'(F(22)) · E[X; X ≤ 22] = λ e^{−λ S(22)} E[X; X ≤ 22]
    assert S.mean() == pytest.approx(10 * math.exp(-10 * fx.lost_mass) * fx.mean(), rel=1e-12)
    assert abs(S.mean_rel_error) < 2e-7

    # and against the true continuous law: every VaR within one step of the exact quantile
    grid = np.arange(0, 100, 0.01)
    F = compound_poisson_gamma_cdf(10, grid)
    for p, v in zip(probs, q, strict=True):
        exact_q = grid[np.argmax(F >= p)]
        assert abs(v - exact_q) <= 0.5


def test_actuar_normal_and_np2_approximations():
    # actuar demo "risk": aggregateDist("normal", moments = c(20, 60)) and
    # aggregateDist("npower", moments = c(20, 60, 0.516398)); the formulas are those of actuar's
    # quantile.aggregateDist and CTE.aggregateDist (NP: Castañer, Claramunt & Mármol 2013).
    mean, var, skew = exact_moments(Poisson(10), GAMMA)
    assert (mean, var) == pytest.approx((20.0, 60.0))
    assert skew == pytest.approx(0.516398, abs=1e-6)  # λE[X³]/(λE[X²])^{3/2} = 240/60^{1.5}
    p = np.array([0.6, 0.9, 0.95, 0.99, 0.995])
    z = stats.norm.ppf(p)
    s = math.sqrt(60)
    N = aggregate(Poisson(10), GAMMA, method="normal")
    np.testing.assert_allclose(N.quantile(p), 20 + s * z, rtol=1e-14)
    np.testing.assert_allclose(N.cdf(20 + s * z), p, rtol=1e-12)
    # normal CTE: E[S | S > VaR] by numerical integration of the normal tail
    for pi, v in zip(p, N.quantile(p), strict=True):
        tail = integrate.quad(lambda x: x * stats.norm.pdf(x, 20, s), v, np.inf)[0] / (1 - pi)
        assert N.cte(pi) == pytest.approx(tail, rel=1e-9)
    assert N.skew() == 0.0 and N.skew_rel_error == pytest.approx(-1.0)

    NP = aggregate(Poisson(10), GAMMA, method="np2")
    g = skew
    np.testing.assert_allclose(NP.quantile(p), 20 + s * (z + g * (z**2 - 1) / 6), rtol=1e-14)
    np.testing.assert_allclose(NP.cdf(NP.quantile(p)), p, rtol=1e-12)  # cdf inverts quantile
    # NP CTE = (1/(1−p)) ∫_p^1 VaR_u du, by quadrature of the NP quantile function
    for pi in p:
        integral = integrate.quad(lambda u: NP.quantile(u), pi, 1, limit=200)[0] / (1 - pi)
        assert NP.cte(pi) == pytest.approx(integral, rel=1e-7)
    # valid above the mean only, as in actuar (NA there)
    assert math.isnan(NP.cdf(19.0)) and math.isnan(NP.quantile(0.4))
    assert NP.summary().loc["skewness", "relative_error"] == 0.0
    assert NP.mean() == 20 and NP.var() == pytest.approx(60) and NP.std() == pytest.approx(s)


# --------------------------------------------------------------------------------------------
# exact moments
# --------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "freq",
    [
        Poisson(4.0),
        NegativeBinomial(1.5, 2.0),
        Binomial(20, 0.15),
        ZeroModified(Poisson(2.0), 0.6),
        ZeroTruncated(NegativeBinomial(0.8, 1.5)),
        Logarithmic(2.0),
        ZeroModified(ExtendedTruncatedNB(-0.5, 1.0), 0.4),
    ],
    ids=["P", "NB", "Bin", "ZMP", "ZTNB", "Log", "ZM-ETNB"],
)
def test_exact_moments_against_conditioning_on_n(freq):
    # E[S^j] = Σ_n p_n E[G^j], G ~ Gamma(2n, 1): E[G] = 2n, E[G²] = 2n(2n+1), E[G³] = 2n(2n+1)(2n+2)
    n = np.arange(0, 600)
    p = freq.pmf(n)
    a = 2.0 * n
    m1, m2, m3 = (np.sum(p * v) for v in (a, a * (a + 1), a * (a + 1) * (a + 2)))
    var = m2 - m1**2
    skew = (m3 - 3 * m1 * m2 + 2 * m1**3) / var**1.5
    assert exact_moments(freq, GAMMA) == pytest.approx((m1, var, skew), rel=1e-9)


# --------------------------------------------------------------------------------------------
# FFT, Panjer and simulation agree
# --------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "freq",
    [
        Poisson(6.0),
        NegativeBinomial(3.0, 1.2),
        Binomial(15, 0.3),
        ZeroModified(Poisson(3.0), 0.5),
        ZeroTruncated(NegativeBinomial(2.0, 0.7)),
        ZeroModified(Binomial(10, 0.2), 0.3),
        ZeroModified(Logarithmic(1.5), 0.7),
        ExtendedTruncatedNB(-0.4, 0.8),
    ],
    ids=["P", "NB", "Bin", "ZMP", "ZTNB", "ZMBin", "ZMLog", "ETNB"],
)
def test_fft_panjer_and_brute_force_convolution_agree(freq):
    fx = discretize(stats.lognorm(0.6, scale=2.0), step=0.25, upper=30.0, method="unbiased")
    fft = aggregate(freq, fx, method="fft", upper=160.0)
    pan = aggregate(freq, fx, method="panjer", upper=160.0, tol=0.0)
    ref = brute_force_compound(freq, fx.pmf, fft.pmf.size)
    np.testing.assert_allclose(pan.pmf, ref, rtol=1e-9, atol=1e-14)
    # FFT round-off grows like e^{θk} towards the grid end (tilting): ~1e-13 absolute there
    np.testing.assert_allclose(fft.pmf, ref, rtol=1e-7, atol=1e-12)
    assert fft.tail_mass < 1e-12 and pan.tail_mass < 1e-12


def test_fft_mean_is_exact_with_unbiased_discretisation():
    # benchmark 2 set-up: compound Poisson(10)–Gamma(2, 1) on 2^16 nodes
    S = aggregate(Poisson(10), GAMMA, method="fft", step=0.01, n_nodes=2**16)
    assert abs(S.mean_rel_error) < 1e-6
    assert abs(S.var_rel_error) < 1e-4  # discretisation adds ~λh²/6 to the variance
    assert S.truncated_mass < 1e-8
    frame = S.summary()
    assert list(frame.index) == ["mean", "variance", "skewness"]
    # the grid holds S (padding mass < tol): no tilting, whose e^{θk} round-off would cost more
    assert frame.attrs["tilt_theta"] == 0.0 and abs(frame.attrs["fft_padding_mass"]) < 1e-12
    assert aggregate(Poisson(10), GAMMA, step=0.01, n_nodes=2**16, tilt=True).info[
        "tilt_theta"] == pytest.approx(20 / S.info["fft_length"])
    # heavier tail: lognormal claims
    L = aggregate(Poisson(5), stats.lognorm(1.0), method="fft", step=0.01, n_nodes=2**16)
    assert abs(L.mean_rel_error) < 1e-6


def test_fft_matches_the_exact_continuous_law():
    S = aggregate(Poisson(10), GAMMA, method="fft", step=0.02, upper=0.02 * 4095)
    x = np.array([5.0, 12.0, 20.0, 31.0, 45.0, 60.0])
    F = compound_poisson_gamma_cdf(10, x)
    lo = compound_poisson_gamma_cdf(10, x - 0.02)
    hi = compound_poisson_gamma_cdf(10, x + 0.02)
    got = S.cdf(x)
    assert np.all((got >= lo - 1e-9) & (got <= hi + 1e-9))
    np.testing.assert_allclose(got, F, atol=2e-3)


def test_simulation_agrees_with_fft_within_monte_carlo_error():
    n_sim = 200_000
    sim = aggregate(Poisson(10), GAMMA, method="simulation", n_sim=n_sim, seed=20240611)
    fft = aggregate(Poisson(10), GAMMA, method="fft", step=0.01, n_nodes=2**14)
    x = np.array([8.0, 15.0, 20.0, 28.0, 36.0, 45.0])
    F = fft.cdf(x)
    se = np.sqrt(F * (1 - F) / n_sim)
    assert np.all(np.abs(sim.cdf(x) - F) < 5 * se + 1e-3)
    assert abs(sim.mean() - 20) < 5 * sim.info["mc_se_mean"]
    # same seed, same numbers
    again = aggregate(Poisson(10), GAMMA, method="simulation", n_sim=n_sim, seed=20240611)
    np.testing.assert_array_equal(sim.x, again.x)
    np.testing.assert_array_equal(sim.pmf, again.pmf)
    assert sim.step is None and sim.info["n_sim"] == n_sim


def test_fft_guards_against_wrap_around():
    # grid ends at 35 (P[S > 35] ≈ 4 %): the FFT must still equal Panjer on the grid, which has
    # no wrap-around; without padding and tilting the tail folds back onto small amounts.
    fx = discretize(GAMMA, step=0.5, upper=35.0, method="unbiased")
    with pytest.warns(AccuracyWarning, match="off the grid"):
        fft = aggregate(Poisson(10), fx, method="fft", upper=35.0)
    with pytest.warns(AccuracyWarning):
        pan = aggregate(Poisson(10), fx, method="panjer", upper=35.0, tol=0.0)
    np.testing.assert_allclose(fft.pmf, pan.pmf, rtol=1e-9, atol=1e-15)
    assert fft.tail_mass == pytest.approx(pan.tail_mass, rel=1e-9)
    assert fft.tail_mass == pytest.approx(1 - compound_poisson_gamma_cdf(10, 35.0)[0], rel=0.1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", AccuracyWarning)
        raw = aggregate(Poisson(10), fx, method="fft", upper=35.0, padding=1, tilt=False)
    assert abs(raw.pmf[0] - pan.pmf[0]) > 1e-4  # aliasing without the guard


def test_risk_measures_on_a_small_discrete_law():
    # S ∈ {0, 1, 2, 3} with masses 0.5, 0.2, 0.2, 0.1 (hand computation)
    fx = np.array([0.0, 1.0])  # every claim is exactly one unit
    S = aggregate(Binomial(3, 0.3), fx, method="panjer", step=1.0, upper=3.0, tol=0.0)
    pmf = stats.binom.pmf(np.arange(4), 3, 0.3)
    np.testing.assert_allclose(S.pmf, pmf, rtol=1e-12)
    # VaR_0.9: F(1) = 0.784, F(2) = 0.973 → 2; CTE_0.9 = E[S | S > 2] = 3
    assert S.quantile(0.9) == 2.0
    assert S.cte(0.9) == pytest.approx(3.0)
    # TVaR_0.9 = 2 + E[(S − 2)₊] / 0.1 = 2 + 0.027 / 0.1 = 2.27 (atom-corrected)
    assert S.tvar(0.9) == pytest.approx(2 + pmf[3] / 0.1)
    assert S.quantile(0.0) == 0.0
    assert S.cte(0.95) == pytest.approx(3.0)
    np.testing.assert_allclose(S.cdf([-1, 0, 0.5, 2.9, 10]), [0, pmf[0], pmf[0], pmf[:3].sum(), 1])
    np.testing.assert_allclose(S.sf(1.0), 1 - pmf[:2].sum())


def test_quantile_beyond_the_grid_is_nan_with_a_warning():
    fx = discretize(GAMMA, step=0.5, upper=20.0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", AccuracyWarning)
        S = aggregate(Poisson(10), fx, method="fft", upper=20.0)
    with pytest.warns(AccuracyWarning, match="quantile is NaN"):
        assert math.isnan(S.quantile(0.99))


def test_coarse_discretisation_warns():
    with pytest.warns(AccuracyWarning, match="variance off"):
        aggregate(Poisson(10), GAMMA, method="fft", step=2.0, discretization="rounding")


def test_plot_and_repr():
    import matplotlib.pyplot as plt

    S = aggregate(Poisson(10), GAMMA, step=0.1)
    ax = S.plot()
    assert ax.get_lines()
    ax2 = S.plot(kind="pmf")
    assert ax2 is not None
    ax3 = aggregate(Poisson(10), GAMMA, method="np2").plot()
    assert ax3.get_lines()
    assert "fft" in repr(S)
    with pytest.raises(ParameterError):
        S.plot(kind="hist")
    plt.close("all")


@pytest.mark.parametrize(
    "kwargs,match",
    [
        ({"method": "recursive"}, "method"),
        ({"method": "fft"}, "step"),
        ({"method": "fft", "step": 0.5, "upper": 10.3}, "multiple"),
        ({"method": "fft", "step": 0.5, "upper": 10.0, "n_nodes": 100}, "disagree"),
        ({"method": "fft", "step": 0.5, "padding": 0.5}, "padding"),
        ({"method": "fft", "step": 0.5, "tilt": -1.0}, "tilt"),
        ({"method": "simulation"}, "seed"),
        ({"method": "simulation", "seed": 1, "n_sim": 1}, "n_sim"),
    ],
)
def test_bad_arguments(kwargs, match):
    with pytest.raises(ParameterError, match=match):
        aggregate(Poisson(10), GAMMA, **kwargs)


def test_impossible_requests_are_refused():
    # P[S = 0] = e^{-2000(1 − f_0)} underflows: Panjer splits the Poisson count (no error),
    # and a count that cannot be split is refused with the way out
    ok = aggregate(Poisson(2000), GAMMA, method="panjer", step=0.25, upper=5000.0,
                   severity_upper=50.0)
    assert ok.info["convolve"] >= 1 and abs(ok.mean_rel_error) < 1e-9
    with pytest.raises(ParameterError, match="underflows"):
        aggregate(ZeroTruncated(Poisson(2000)), GAMMA, method="panjer", step=1.0, upper=100.0)
    pareto = stats.lomax(1.5)  # infinite variance
    with pytest.raises(ParameterError, match="upper="):
        aggregate(Poisson(3), pareto, step=0.1)
    with pytest.raises(ParameterError, match="NP2"):
        aggregate(Poisson(3), stats.lomax(2.5), method="np2")
    fx = discretize(GAMMA, step=0.5, upper=10.0)
    with pytest.raises(ParameterError, match="differs"):
        aggregate(Poisson(3), fx, step=0.25)


# --------------------------------------------------------------------------------------------
# properties
# --------------------------------------------------------------------------------------------
@settings(max_examples=30, deadline=None)
@given(
    lam=st.floats(0.2, 15.0),
    shape=st.floats(0.5, 5.0),
    scale=st.floats(0.2, 5.0),
    method=st.sampled_from(["fft", "panjer"]),
    p=st.floats(0.01, 0.995),
)
def test_property_distribution_and_risk_measures(lam, shape, scale, method, p):
    sev = stats.gamma(shape, scale=scale)
    mean = lam * shape * scale
    h = (mean + 12 * math.sqrt(lam * shape * (shape + 1)) * scale) / 300
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", AccuracyWarning)
        S = aggregate(Poisson(lam), sev, method=method, step=h, n_nodes=301)
    assert np.all(S.pmf >= 0)
    total = S.pmf.sum()
    assert total <= 1 + 1e-9
    # sums to 1 within the reported truncation
    assert 1 - total == pytest.approx(S.truncated_mass, abs=1e-12)
    assert (
        S.truncated_mass
        <= S.tail_mass + (1 - float(Poisson(lam).pgf(1 - S.severity_lost_mass))) + 1e-9
    )
    cdf = S.cdf(S.x)
    assert np.all(np.diff(cdf) >= -1e-15)
    q = S.quantile(p)
    if math.isnan(q):
        return
    assert S.cdf(q) >= p  # F(VaR) ≥ p …
    assert q == S.x[0] or S.cdf(q - h) < p  # … and VaR is the smallest such point
    cte, tvar = S.cte(p), S.tvar(p)
    if not math.isnan(cte):
        assert cte >= q
        assert q - 1e-9 <= tvar <= cte + 1e-9


def test_simulation_takes_puhui_laws_with_their_seed_signature():
    # puhui's own laws draw with rvs(size=, seed=), scipy's with rvs(size=, random_state=): both
    # must simulate, and an Empirical severity must give the compound mean λ·E[X] exactly in
    # expectation (checked within 5 Monte Carlo standard errors) and the same draws on a re-run.
    from puhui.losses.empirical import Empirical

    law = Empirical(np.array([1.0, 2.0, 4.0, 10.0]))
    a = aggregate(Poisson(3), law, method="simulation", n_sim=50_000, seed=7)
    b = aggregate(Poisson(3), law, method="simulation", n_sim=50_000, seed=7)
    np.testing.assert_array_equal(a.pmf, b.pmf)
    assert abs(a.mean() - 3 * 4.25) < 5 * a.info["mc_se_mean"]
    assert set(np.round(a.x, 9)) <= {float(k) for k in range(0, 400)}  # sums of whole numbers


# --------------------------------------------------------------------------------------------
# Panjer for large expected counts: split N into 2^k parts, recurse, convolve back
# --------------------------------------------------------------------------------------------
@pytest.mark.parametrize("freq", [Poisson(4000.0), NegativeBinomial(2000.0, 1.5),
                                  Binomial(8000, 0.4)], ids=["P", "NB", "Bin"])
def test_panjer_splits_and_convolves_when_p0_underflows(freq):
    # P[S = 0] = P_N(f_0) is below 1e-300 for all three: the plain recursion cannot start
    fx = discretize(GAMMA, step=0.5, upper=9000.0, method="unbiased")
    assert float(freq.pgf(fx.pmf[0])) < 1e-280
    pan = aggregate(freq, fx, method="panjer", upper=9000.0, tol=0.0)
    fft = aggregate(freq, fx, method="fft", upper=9000.0)
    assert pan.info["convolve"] >= 2
    np.testing.assert_allclose(pan.pmf, fft.pmf[: pan.pmf.size], rtol=1e-6, atol=1e-13)
    assert abs(pan.mean_rel_error) < 1e-7 and abs(pan.var_rel_error) < 1e-7  # grid ends at 6σ
    assert np.all(pan.pmf >= 0)


def test_explicit_convolve_equals_the_plain_recursion():
    # for a small count the split is not needed: both routes give the same compound law
    fx = discretize(GAMMA, step=0.25, upper=120.0, method="unbiased")
    plain = aggregate(Poisson(12.0), fx, method="panjer", upper=120.0, tol=0.0)
    split = aggregate(Poisson(12.0), fx, method="panjer", upper=120.0, convolve=3, tol=0.0)
    assert "convolve" not in plain.info and split.info["convolve"] == 3
    np.testing.assert_allclose(split.pmf, plain.pmf, rtol=1e-10, atol=1e-16)
    # with tol > 0 the recursion for N/8 stops within tol/8 of its limit (actuar's rule), so
    # the squared-back law misses at most tol: total variation to the full one ≤ tol
    early = aggregate(Poisson(12.0), fx, method="panjer", upper=120.0, convolve=3, tol=1e-12)
    diff = np.abs(plain.pmf - np.pad(early.pmf, (0, plain.pmf.size - early.pmf.size))).sum()
    assert 0 < diff <= 1e-12 and early.tail_mass <= plain.tail_mass + 1e-12
    nb = aggregate(NegativeBinomial(6.0, 2.0), fx, method="panjer", upper=120.0, tol=0.0)
    nb3 = aggregate(NegativeBinomial(6.0, 2.0), fx, method="panjer", upper=120.0, convolve=2)
    np.testing.assert_allclose(nb3.pmf, nb.pmf, rtol=1e-10, atol=1e-16)


def test_convolve_is_refused_where_it_does_not_apply():
    fx = discretize(GAMMA, step=0.5, upper=60.0, method="unbiased")
    with pytest.raises(ParameterError, match="panjer' only"):
        aggregate(Poisson(3.0), fx, method="fft", upper=60.0, convolve=2)
    with pytest.raises(ParameterError, match="cannot be split"):
        aggregate(ZeroModified(Poisson(3.0), 0.4), fx, method="panjer", upper=60.0, convolve=1)
    with pytest.raises(ParameterError, match="cannot be split"):
        aggregate(Binomial(10, 0.3), fx, method="panjer", upper=60.0, convolve=2)
    with pytest.raises(ParameterError, match="whole number"):
        aggregate(Poisson(3.0), fx, method="panjer", upper=60.0, convolve=-1)
    # a zero-modified count whose P[S = 0] underflows still says what to do
    with pytest.raises(ParameterError, match="underflows"):
        aggregate(ZeroModified(Poisson(2000.0), 0.0), fx, method="panjer", upper=60.0)
