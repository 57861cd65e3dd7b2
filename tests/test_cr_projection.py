"""Distribution of next year's combined ratio: exact identities and a seeded simulation."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy import integrate, stats

import puhui
from puhui.losses.aggregate_dist import DiscreteAggregate
from puhui.losses.empirical import Empirical
from puhui.losses.frequency import Poisson
from puhui.ratios import combined_ratio_distribution

SEV = stats.gamma(2, scale=500.0)


def dist(premium=130_000.0, cv=0.0, **kw):
    return combined_ratio_distribution(Poisson(100), SEV, premium=premium,
                                       variable_expense_rate=0.1, fixed_expenses=2_000.0,
                                       parameter_cv=cv, step=25.0, **kw)


def test_without_parameter_risk_it_is_the_claims_tail():
    d = dist()
    # CR > 1  ⇔  S > (1 − 0.1)·130,000 − 2,000 = 115,000
    assert d.prob_above(1.0) == pytest.approx(float(d.claims.sf(115_000.0)), abs=1e-12)
    assert d.mean() == pytest.approx((100 * 1000 + 2000) / 130_000 + 0.1, rel=1e-6)


def test_normal_method_matches_its_closed_form():
    d = dist(method="normal")
    mu, sd = 100 * 1000.0, np.sqrt(100 * SEV.moment(2))
    assert d.prob_above(1.0) == pytest.approx(stats.norm.sf(115_000, mu, sd), rel=1e-9)


def test_parameter_risk_agrees_with_simulation():
    # independent check: simulate N, the claims and the lognormal level factor
    rng = np.random.default_rng(20260101)
    n_sim, cv = 200_000, 0.15
    n = rng.poisson(100, n_sim)
    s = rng.gamma(2.0 * n, 500.0)              # sum of n Gamma(2, 500) is Gamma(2n, 500)
    s2 = np.log1p(cv**2)
    lam = rng.lognormal(-s2 / 2, np.sqrt(s2), n_sim)
    cr = lam * s / 130_000 + 0.1 + 2_000 / 130_000
    p_sim = (cr > 1).mean()
    se = np.sqrt(p_sim * (1 - p_sim) / n_sim)
    d = dist(cv=cv)
    assert abs(d.prob_above(1.0) - p_sim) < 4 * se + 1e-3
    assert d.quantile(0.95) == pytest.approx(np.quantile(cr, 0.95), rel=5e-3)


def test_quantile_inverts_the_cdf():
    d = dist(cv=0.1)
    for p in (0.1, 0.5, 0.9, 0.99):
        q = d.quantile(p)
        # the claims law lives on a grid: the cdf may jump by one node's mass at q
        assert p - 1e-8 <= d.cdf(q + 1e-9) and d.cdf(q - 1e-6) <= p + 1e-8


@given(st.floats(80_000, 300_000), st.floats(0.0, 0.4))
def test_more_premium_means_less_chance_of_a_loss(premium, cv):
    assert dist(premium * 1.05, cv).prob_above(1.0) <= dist(premium, cv).prob_above(1.0) + 1e-12


def test_bad_arguments():
    with pytest.raises(puhui.ParameterError):
        dist(premium=0.0)
    with pytest.raises(puhui.ParameterError):
        dist(cv=-0.1)
    with pytest.raises(puhui.ParameterError):
        dist().quantile(1.5)


# ------------------------------------------------- parameter risk wider than the process (M)
# P(ΘS > t) for a law of S: exact Σ p_i F_Θ(t/x_i) for a discrete law, Gauss–Hermite over the
# wider of Θ and S otherwise. Reference: scipy.integrate.quad over u = (ln Θ − μ_Θ)/σ_Θ with
# the step(s) of the integrand given as `points=` — independent of the library's routes.

PARAM_CVS = (0.0, 0.02, 0.05, 0.1, 0.3)
PROCESS_CVS = (0.005, 0.01, 0.05, 0.3)
MU = 1.0e6
T_GRID = MU * np.array([0.9, 1.0, 1.05, 1.3])


def _theta(u, cv):
    s2 = np.log1p(cv**2)
    return np.exp(np.sqrt(s2) * u - s2 / 2)


def _quad_sf(t, sf, cv, steps=()):
    """``∫ sf(t/θ(u)) φ(u) du`` by adaptive quadrature, breaking at u where t/θ(u) = step."""
    if cv == 0:
        return float(sf(t))
    s2 = np.log1p(cv**2)
    kinks = [(np.log(t / x) + s2 / 2) / np.sqrt(s2) for x in steps if x > 0]
    kinks = sorted(k for k in kinks if -12 < k < 12)
    return integrate.quad(lambda u: sf(t / _theta(u, cv)) * stats.norm.pdf(u), -12, 12,
                          points=kinks or None, epsabs=1e-15, epsrel=1e-12,
                          limit=max(200, 50 * len(kinks)))[0]


@pytest.mark.parametrize("process_cv", PROCESS_CVS)
@pytest.mark.parametrize("cv", PARAM_CVS)
def test_a_continuous_law_against_quadrature(cv, process_cv):
    # a skewed (gamma) S with mean μ and CV process_cv; the step of sf(t/θ) is near S's median
    law = stats.gamma(1 / process_cv**2, scale=MU * process_cv**2)
    ref = [_quad_sf(t, law.sf, cv, steps=(law.median(),)) for t in T_GRID]
    got = puhui.ratios.exceedance_probability(T_GRID, law=law, cv=cv)
    np.testing.assert_allclose(got, ref, rtol=0, atol=1e-7)


@pytest.mark.parametrize("process_cv", PROCESS_CVS)
@pytest.mark.parametrize("cv", PARAM_CVS)
def test_a_discrete_law_against_quadrature(cv, process_cv):
    # seven unequal atoms with mean ≈ μ and CV ≈ process_cv, one at 0 (an empty year)
    x = MU * (1 + process_cv * np.array([-1.6, -0.9, -0.3, 0.0, 0.4, 1.1, 2.2]))
    w = np.array([1.0, 3.0, 5.0, 6.0, 4.0, 2.0, 1.0])
    law = Empirical(np.r_[0.0, x], weights=np.r_[0.01, w])
    ref = [_quad_sf(t, law.sf, cv, steps=x) for t in T_GRID]
    got = puhui.ratios.exceedance_probability(T_GRID, law=law, cv=cv)
    np.testing.assert_allclose(got, ref, rtol=0, atol=1e-7)
    # and by hand: P(ΘS > t) = Σ_i p_i P(Θ > t/x_i), the sf of scipy's lognormal (the atom at
    # 0 never passes t > 0)
    if cv > 0:
        s = np.sqrt(np.log1p(cv**2))
        p = np.r_[0.01, w] / np.sum(np.r_[0.01, w])
        hand = [np.sum(p[1:] * stats.lognorm.sf(t / x, s, scale=np.exp(-s**2 / 2)))
                for t in T_GRID]
        np.testing.assert_allclose(got, hand, rtol=0, atol=1e-14)


def test_a_lattice_aggregate_against_quadrature():
    # a DiscreteAggregate on the lattice 2000·k (every support point is a step of sf(t/θ)):
    # S/2000 ~ Binomial(100, ½), mean 100,000, process CV 10% below the parameter CV 0.3
    k = np.arange(101)
    s = DiscreteAggregate("fft", 2000.0 * k, stats.binom.pmf(k, 100, 0.5), 2000.0, 1e5,
                          2000.0**2 * 25, 0.0)
    d = puhui.ratios.CombinedRatioDistribution(s, 130_000.0, 0.1, 0.0, 0.3)
    keep = s.pmf > 1e-18
    for c in (0.87, 1.0, 1.2):
        t = (c - 0.1) * 130_000
        ref = _quad_sf(t, s.sf, 0.3, steps=s.x[keep])
        assert d.sf(c) == pytest.approx(ref, abs=1e-7)
        assert d.cdf(c) == pytest.approx(1 - ref, abs=1e-7)


def test_a_large_portfolio_where_parameter_risk_dominates():
    # 惠民保-sized: S ~ N(μ, (1% μ)²), parameter CV 10%, CR > 100% ⇔ ΘS > 1.05μ. Before the
    # fix the 40 nodes over Θ gave 0.30577477; scipy.integrate.quad (_quad_sf, or _mixed_sf of
    # tests/test_layers.py, points at the median) gives 0.29570289, hard-coded here.
    d = puhui.ratios.CombinedRatioDistribution(stats.norm(MU, 0.01 * MU), premium=1.05 * MU,
                                               variable_expense_rate=0.0,
                                               fixed_expenses=0.0, parameter_cv=0.1)
    assert d.prob_above(1.0) == pytest.approx(0.29570289, abs=1e-8)
    assert d.prob_above(1.0) == pytest.approx(_quad_sf(1.05 * MU, d.claims.sf, 0.1, (MU,)),
                                              abs=1e-12)
    for p in (0.05, 0.5, 0.95, 0.995):  # quantiles are roots of the same cdf
        q = d.quantile(p)
        assert d.cdf(q) == pytest.approx(p, abs=1e-9)
        assert 1 - d.sf(q) == pytest.approx(p, abs=1e-9)
    # the quantiles of CR = ΘS/P with S ≈ μ are close to those of Θ/1.05 (lognormal)
    s = np.sqrt(np.log1p(0.01))
    assert d.quantile(0.95) == pytest.approx(
        stats.lognorm.ppf(0.95, s, scale=np.exp(-s**2 / 2)) / 1.05, rel=2e-3)


def test_an_approximate_law_uses_the_cumulant_form():
    # ApproxAggregate (normal / NP2) goes through the cumulant form, also below the mean
    for method in ("normal", "np2"):
        d = dist(cv=0.2, method=method)
        a = d.claims
        t = (np.array([0.6, 1.0]) - 0.1) * 130_000 - 2_000
        third = a.gamma * a.sigma2**1.5 if a.method == "np2" else 0.0
        ref = puhui.ratios.exceedance_probability(t, a.mu, a.sigma2, third, method=a.method,
                                                  cv=0.2)
        np.testing.assert_array_equal(d.sf(np.array([0.6, 1.0])), ref)
        assert np.all(np.isfinite(d.cdf(np.array([0.6, 1.0]))))


LAWS = {
    "fft": dist().claims,
    "empirical": Empirical([0.0, 90_000.0, 100_000.0, 100_000.0, 130_000.0]),
    "gamma": stats.gamma(400.0, scale=250.0),
}


@given(st.sampled_from(sorted(LAWS)), st.sampled_from(PARAM_CVS),
       st.lists(st.floats(-0.2, 2.0), min_size=2, max_size=8))
def test_the_cdf_is_a_cdf(name, cv, crs):
    d = puhui.ratios.CombinedRatioDistribution(LAWS[name], 130_000.0, 0.1, 2_000.0, cv)
    c = np.sort(np.array(crs))
    f = d.cdf(c)
    assert np.all((f >= 0) & (f <= 1))
    assert np.all(np.diff(f) >= -1e-15)
    np.testing.assert_allclose(d.sf(c), 1 - f, rtol=0, atol=1e-15)


@given(st.sampled_from(sorted(LAWS)), st.lists(st.floats(-0.2, 2.0), min_size=1, max_size=8))
def test_no_parameter_risk_is_the_law_itself(name, crs):
    law = LAWS[name]
    d = puhui.ratios.CombinedRatioDistribution(law, 130_000.0, 0.1, 2_000.0, 0.0)
    c = np.array(crs)
    t = (c - 0.1) * 130_000.0 - 2_000.0
    # exactly the law's own sf and cdf (negative claims count as 0; the FFT law's round-off
    # masses of ±1e-18 are clipped so that the result is a probability)
    sf, cdf = (np.clip(np.asarray(f(np.maximum(t, 0.0))), 0, 1) for f in (law.sf, law.cdf))
    assert np.array_equal(d.sf(c), np.where(t < 0, 1.0, sf))
    assert np.array_equal(d.cdf(c), np.where(t < 0, 0.0, cdf))


def test_a_narrow_law_without_quantiles_is_refused():
    # narrower than Θ and no ppf/quantile: integrating over Θ alone would be off by ~1e-2
    class NoQuantile:
        def __init__(self):
            self._law = stats.norm(MU, 0.01 * MU)

        def cdf(self, x):
            return self._law.cdf(x)

        def mean(self):
            return MU

        def var(self):
            return (0.01 * MU) ** 2

    with pytest.raises(puhui.ParameterError, match="ppf/quantile"):
        puhui.ratios.exceedance_probability(1.05 * MU, law=NoQuantile(), cv=0.1)
    # wider than Θ: the quadrature over Θ needs only the cdf
    assert puhui.ratios.exceedance_probability(1.05 * MU, law=NoQuantile(), cv=0.005) == \
        pytest.approx(_quad_sf(1.05 * MU, stats.norm(MU, 0.01 * MU).sf, 0.005, (MU,)), abs=1e-7)
