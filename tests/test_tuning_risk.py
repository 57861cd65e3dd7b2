"""P(CR > 100%): the NP2 approximation, the parameter-uncertainty mixture, and a simulation check."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import integrate, stats

from puhui.huiminbao import Product, example_product_path
from puhui.losses.aggregate_dist import AccuracyWarning, ApproxAggregate
from puhui.tuning.costs import MemberCosts
from puhui.tuning.evaluate import evaluate
from puhui.tuning.grid import DesignGrid
from puhui.tuning.risk import exceedance_probability, np2_cdf
from test_tuning import LINES, synthetic_costs


def test_np2_matches_the_scalar_approximation_of_the_loss_core():
    """Same formula as puhui.losses.aggregate_dist.ApproxAggregate (scalar) on x > μ."""
    law = ApproxAggregate("np2", mu=200.0, sigma2=200.0, gamma=0.5)
    x = np.array([201.0, 210.0, 230.0, 260.0, 300.0])
    assert np.allclose(np2_cdf(x, 200.0, 200.0, 0.5), law.cdf(x), rtol=1e-13, atol=0)
    normal = ApproxAggregate("normal", mu=200.0, sigma2=200.0, gamma=0.5)
    assert np.allclose(np2_cdf(x, 200.0, 200.0, 0.0), normal.cdf(x), rtol=1e-13)


def test_np2_hand_computed_value():
    # Daykin, Pentikäinen & Pesonen (1994) NP formula, by hand: μ = 200, σ² = 200, γ = 0.5,
    # x = 210: z = 10/√200 = 0.70711; y = −3/γ + √(9/γ² + 1 + 6z/γ) = −6 + √(45.48528) = 0.74428;
    # F = Φ(0.74428) = 0.77164.
    assert float(np2_cdf(210.0, 200.0, 200.0, 0.5)) == pytest.approx(0.77164, abs=1e-5)


@pytest.mark.parametrize("shape", [10.0, 40.0, 200.0])
def test_np2_against_the_exact_gamma_tail(shape):
    """NP2 on a gamma law (skewness 2/√α) against its exact tail: the approximation error in
    the tail probabilities that matter (1%–10%) stays below 0.3 percentage points."""
    law = stats.gamma(shape, scale=100.0)
    mean, var, third = law.mean(), law.var(), 2 * shape * 100.0**3
    x = law.ppf([0.90, 0.95, 0.99])
    approx = exceedance_probability(x, mean, var, third)
    assert np.allclose(approx, [0.10, 0.05, 0.01], atol=3e-3)
    normal = exceedance_probability(x, mean, var, third, method="normal")
    assert np.abs(approx - [0.10, 0.05, 0.01]).max() < np.abs(normal - [0.10, 0.05, 0.01]).max()


def test_np2_warns_and_falls_back_when_the_third_moment_is_infinite():
    with pytest.warns(AccuracyWarning, match="normal"):
        got = exceedance_probability([110.0, 120.0], 100.0, 100.0, [np.inf, 500.0])
    assert got[0] == pytest.approx(stats.norm.sf(1.0), rel=1e-12)
    assert got[1] == pytest.approx(exceedance_probability(120.0, 100.0, 100.0, 500.0))


def test_np2_limits_and_degenerate_laws():
    assert float(np2_cdf(1e9, 0.0, 1.0, 2.0)) == 1.0
    assert float(np2_cdf(-1e9, 0.0, 1.0, 2.0)) == 0.0  # below the NP2 range for γ > 0
    assert float(np2_cdf(5.0, 5.0, 0.0, 0.0)) == 1.0 and float(np2_cdf(4.9, 5.0, 0.0, 0.0)) == 0.0
    # negative skewness: the root continuous in γ, mirror image of the positive case
    assert float(np2_cdf(1.0, 0.0, 1.0, -0.4)) == pytest.approx(1 - np2_cdf(-1.0, 0, 1, 0.4),
                                                                rel=1e-12)


@pytest.mark.parametrize("cv, process_cv", [(0.01, 0.03), (0.05, 0.03), (0.2, 0.03),
                                             (0.1, 0.001), (0.1, 0.1)])
def test_claim_level_uncertainty_against_direct_integration(cv, process_cv):
    """P(Θ S > T) with Θ ~ lognormal(mean 1, CV c) and S normal: Gauss–Hermite against
    scipy.integrate.quad over the lognormal density (independent computation), from a
    process-dominated to a parameter-dominated (near-step integrand) case."""
    mean = 1.0e6
    sd = process_cv * mean
    s2 = np.log1p(cv**2)
    theta = stats.lognorm(np.sqrt(s2), scale=np.exp(-s2 / 2))
    for t in (0.98e6, 1.05e6, 1.2e6):
        ref = integrate.quad(lambda th, t=t: theta.pdf(th) * stats.norm.sf(t / th, mean, sd),
                             0, 5, points=[t / mean], limit=400, epsabs=1e-12)[0]
        got = exceedance_probability(t, mean, sd**2, 0.0, method="normal", cv=cv)
        assert got == pytest.approx(ref, rel=1e-4, abs=1e-8), (t, got, ref)
    # no uncertainty: the plain normal tail
    assert exceedance_probability(1.05e6, mean, sd**2, 0.0, method="normal") == pytest.approx(
        stats.norm.sf(1.05e6, mean, sd), rel=1e-12)


def test_claim_level_uncertainty_with_skewness_against_simulation():
    """NP2 aggregate (S a gamma law, skewness 0.63) mixed over Θ: against 2·10⁶ draws."""
    law = stats.gamma(10.0, scale=100.0)
    rng = np.random.default_rng(11)
    s2 = np.log1p(0.1**2)
    draws = law.rvs(2_000_000, random_state=rng) * rng.lognormal(-s2 / 2, np.sqrt(s2), 2_000_000)
    t = np.array([1100.0, 1400.0, 1700.0])
    sim = (draws[:, None] > t).mean(axis=0)
    got = exceedance_probability(t, law.mean(), law.var(), 2 * 10.0 * 100.0**3, cv=0.1)
    assert np.allclose(got, sim, atol=4e-3)


def test_prob_cr_above_100_against_portfolio_simulation():
    """The evaluation's P(CR > 100%) for a portfolio of 1,000 members against 20,000 simulated
    portfolios resampled from the same book (fixed segment counts; lines dependent)."""
    product = Product.from_toml(example_product_path())
    x, seg, _ = synthetic_costs(n=600, seed=7, weights=False)
    costs = MemberCosts(x, lines=LINES, segment=seg)
    grid = DesignGrid.from_product(product, deductible=[2_000.0, 10_000.0], payout_ratio=[0.8],
                                   lines=["in_catalogue", "out_of_catalogue"],
                                   include_current=False)
    n_members = 1000
    mix = costs.members()
    counts = {s: round(n_members * mix[s] / sum(mix.values())) for s in mix}
    n_members = sum(counts.values())
    rng = np.random.default_rng(2024)
    n_sim = 20_000
    v = product.expenses.variable_rate
    for k in range(len(grid)):
        totals = np.zeros(n_sim)
        for j, s in enumerate(("healthy", "preexisting")):
            xs = x[seg == s]
            y = sum(np.minimum(grid.terms[k, i, j, 1] * np.maximum(xs[:, i]
                                                                   - grid.terms[k, i, j, 0], 0),
                               grid.terms[k, i, j, 2]) for i in range(3))
            draws = rng.integers(0, len(y), size=(n_sim, counts[s]))
            totals += y[draws].sum(axis=1)
        for q in (0.90, 0.97):
            threshold = np.quantile(totals, q)
            price = threshold / (n_members * (1 - v))  # CR = 100% exactly at the quantile
            ev = evaluate(grid.take([k]), costs, product, price=price, members=counts)
            sim = float((totals > threshold).mean())
            got = float(ev.table["prob_cr_above_100"].iloc[0])
            # NP2 error plus Monte Carlo error (sd ≤ 0.0021): within 0.012
            assert got == pytest.approx(sim, abs=0.012), (k, q, got, sim)
