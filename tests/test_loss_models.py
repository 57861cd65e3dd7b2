"""Zero-inflated, mixture and spliced loss models: moments by quadrature, simulation, errors."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import integrate, stats

from puhui.benefits import Benefit
from puhui.errors import ParameterError
from puhui.losses.empirical import Empirical
from puhui.losses.lev import lev, lev_moment
from puhui.losses.models import Mixture, Spliced, ZeroInflated
from puhui.losses.payout import expected_payout, payout_probability, payout_variance


def quad_limited(model, u, k, breaks=()):
    """Independent reference ∫_0^u k x^(k−1) S(x) dx by adaptive quadrature of model.sf."""
    pts = sorted({0.0, u, *[b for b in breaks if 0 < b < u]})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        parts = [integrate.quad(lambda x: k * x ** (k - 1) * float(model.sf(x)), a, b,
                                epsabs=0, epsrel=1e-12, limit=400)[0]
                 for a, b in zip(pts[:-1], pts[1:], strict=True)]
    return float(sum(parts))


# -- ZeroInflated --------------------------------------------------------------------------------


def test_zero_inflated_law():
    sev = stats.gamma(2.0, scale=5_000.0)
    z = ZeroInflated(0.9, sev)
    u = np.array([0.0, 1_000.0, 25_000.0, np.inf])
    np.testing.assert_allclose(z.lev(u), 0.1 * lev(sev, u), rtol=1e-15)
    np.testing.assert_allclose(lev_moment(z, u, 2), 0.1 * lev_moment(sev, u, 2), rtol=1e-15)
    # mean 0.1·10 000; variance 0.1·E[Y²] − (0.1·E[Y])², E[Y²] = θ²α(α+1) = 1.5e8
    assert z.mean() == pytest.approx(1_000.0)
    assert z.var() == pytest.approx(0.1 * 1.5e8 - 1_000.0**2)
    assert z.cdf(0.0) == pytest.approx(0.9) and z.cdf(-1.0) == 0.0 and z.sf(-1.0) == 1.0
    np.testing.assert_allclose(z.ppf([0.5, 0.9, 0.95]), [0.0, 0.0, sev.ppf(0.5)])
    b = Benefit(deductible=2_000.0, payout_ratio=0.8, cap=20_000.0)
    assert expected_payout(z, b) == pytest.approx(0.1 * expected_payout(sev, b), rel=1e-14)
    assert payout_probability(z, b) == pytest.approx(0.1 * sev.sf(2_000.0), rel=1e-14)


def test_zero_inflated_simulation_is_seeded_and_consistent():
    z = ZeroInflated(0.8, stats.lognorm(1.0, scale=3_000.0))
    a, b = z.rvs(200_000, seed=4), z.rvs(200_000, seed=4)
    np.testing.assert_array_equal(a, b)
    assert np.mean(a == 0) == pytest.approx(0.8, abs=0.005)
    se = a.std() / np.sqrt(a.size)
    assert abs(a.mean() - z.mean()) < 5 * se
    # the same sample through Empirical: expected payout within sampling error
    ben = Benefit(deductible=1_000.0, payout_ratio=0.7, cap=15_000.0)
    paid = ben.pay(a)
    assert abs(expected_payout(Empirical(a), ben) - expected_payout(z, ben)) < 5 * (
        paid.std() / np.sqrt(a.size))


def test_zero_inflated_rejects_bad_input():
    with pytest.raises(ParameterError, match="p0"):
        ZeroInflated(1.0, stats.expon())
    with pytest.raises(ParameterError, match="severity"):
        ZeroInflated(0.5, stats.norm())
    with pytest.raises(ParameterError, match="severity"):
        ZeroInflated(0.5, object())


# -- Mixture --------------------------------------------------------------------------------------


def test_mixture_is_linear_in_the_components():
    comps = [stats.expon(scale=1_000.0), stats.lognorm(1.5, scale=8_000.0), Empirical([0, 500, 2e4])]
    w = [0.5, 0.3, 0.2]
    mix = Mixture(w, comps)
    u = np.array([0.0, 700.0, 1e4, 1e6, np.inf])
    want = sum(wi * lev(c, u) for wi, c in zip(w, comps, strict=True))
    np.testing.assert_allclose(mix.lev(u), want, rtol=1e-14)
    second = sum(wi * float(lev_moment(c, np.inf, 2)) for wi, c in zip(w, comps, strict=True))
    assert mix.var() == pytest.approx(second - mix.mean() ** 2, rel=1e-13)
    x = np.array([100.0, 5_000.0])
    np.testing.assert_allclose(mix.cdf(x) + mix.sf(x), 1.0, rtol=1e-14)


def test_mixture_quantile_inverts_the_cdf():
    mix = Mixture([0.7, 0.3], [stats.expon(scale=1_000.0), stats.gamma(3.0, scale=10_000.0)])
    q = np.array([0.01, 0.3, 0.5, 0.9, 0.999])
    np.testing.assert_allclose(mix.cdf(mix.ppf(q)), q, rtol=1e-10)
    with pytest.raises(ParameterError, match="q:"):
        mix.ppf(2.0)


def test_mixture_simulation_and_errors():
    mix = Mixture([0.6, 0.4], [stats.expon(scale=1_000.0), stats.expon(scale=20_000.0)])
    x = mix.rvs(100_000, seed=9)
    np.testing.assert_array_equal(x, mix.rvs(100_000, seed=9))
    assert abs(x.mean() - mix.mean()) < 5 * x.std() / np.sqrt(x.size)
    with pytest.raises(ParameterError, match="sum to 1"):
        Mixture([0.5, 0.4], [stats.expon(), stats.expon()])
    with pytest.raises(ParameterError, match="one weight per model"):
        Mixture([1.0], [stats.expon(), stats.expon()])
    with pytest.raises(ParameterError, match="finite and ≥ 0"):
        Mixture([1.5, -0.5], [stats.expon(), stats.expon()])
    with pytest.raises(ParameterError, match=r"models\[1\]"):
        Mixture([0.5, 0.5], [stats.expon(), "x"])


# -- Spliced --------------------------------------------------------------------------------------


@pytest.mark.parametrize("xi", [0.3, 0.0, -0.2])
def test_spliced_limited_moments_match_quadrature(xi):
    sp = Spliced(stats.lognorm(1.0, scale=5_000.0), threshold=50_000.0, tail_xi=xi,
                 tail_beta=20_000.0, tail_weight=0.02)
    for u in [100.0, 5_000.0, 50_000.0, 80_000.0, 1e6]:
        for k in (1, 2):
            want = quad_limited(sp, u, k, breaks=(5_000.0, 50_000.0, 150_000.0))
            assert lev_moment(sp, u, k) == pytest.approx(want, rel=1e-9)
    assert lev(sp, 0.0) == 0.0


def test_spliced_law_pieces():
    body = stats.lognorm(1.0, scale=5_000.0)
    sp = Spliced(body, threshold=50_000.0, tail_xi=0.3, tail_beta=20_000.0, tail_weight=0.02)
    assert sp.sf(50_000.0) == pytest.approx(0.02, rel=1e-14)
    # body: (1 − w) F_b(x)/F_b(t); tail: w · S_GPD(x − t)
    assert sp.cdf(10_000.0) == pytest.approx(0.98 * body.cdf(1e4) / body.cdf(5e4), rel=1e-14)
    assert sp.sf(90_000.0) == pytest.approx(0.02 * stats.genpareto(0.3, scale=2e4).sf(4e4))
    # mean = (1 − w) E[X_b | X_b ≤ t] + w (t + β/(1 − ξ))
    cond, _ = integrate.quad(lambda x: x * body.pdf(x), 0, 50_000.0, epsabs=0, epsrel=1e-13)
    want = 0.98 * cond / body.cdf(5e4) + 0.02 * (5e4 + 2e4 / 0.7)
    assert sp.mean() == pytest.approx(want, rel=1e-11)
    q = np.array([0.1, 0.5, 0.98, 0.99, 0.9999])
    np.testing.assert_allclose(sp.cdf(sp.ppf(q)), q, rtol=1e-12)
    assert sp.ppf(0.98) == pytest.approx(50_000.0)
    # default tail weight S_b(t) keeps F continuous at the threshold
    cont = Spliced(body, threshold=50_000.0, tail_xi=0.3, tail_beta=20_000.0)
    assert cont.tail_weight == pytest.approx(body.sf(5e4))
    assert cont.cdf(5e4 - 1e-6) == pytest.approx(cont.cdf(5e4 + 1e-6), abs=1e-9)
    assert "Spliced" in repr(cont)


def test_spliced_bounded_tail_and_payouts():
    sp = Spliced(stats.gamma(2.0, scale=3_000.0), threshold=20_000.0, tail_xi=-0.25,
                 tail_beta=5_000.0, tail_weight=0.05)
    end = 20_000.0 + 5_000.0 / 0.25  # upper end of the support
    assert sp.sf(end) == 0.0 and sp.cdf(end + 1) == 1.0
    assert lev(sp, end) == pytest.approx(sp.mean(), rel=1e-13)
    ben = Benefit(deductible=5_000.0, payout_ratio=0.8, cap=20_000.0)
    # ordinary single band: E[pay] = r ∫_d^{d + cap/r} S(x) dx, by quadrature of sf
    want = 0.8 * quad_limited(sp, 30_000.0, 1, breaks=(5_000.0, 20_000.0)) - 0.8 * quad_limited(
        sp, 5_000.0, 1)
    assert expected_payout(sp, ben) == pytest.approx(want, rel=1e-10)
    x = sp.rvs(200_000, seed=12)
    paid = ben.pay(x)
    assert abs(paid.mean() - want) < 5 * paid.std() / np.sqrt(x.size)
    assert payout_variance(sp, ben) == pytest.approx(paid.var(), rel=0.02)


def test_spliced_rejects_bad_input():
    body = stats.lognorm(1.0, scale=5_000.0)
    with pytest.raises(ParameterError, match="threshold"):
        Spliced(body, threshold=0.0, tail_xi=0.2, tail_beta=1.0)
    with pytest.raises(ParameterError, match="tail_beta"):
        Spliced(body, threshold=1e4, tail_xi=0.2, tail_beta=-1.0)
    with pytest.raises(ParameterError, match="tail_xi"):
        Spliced(body, threshold=1e4, tail_xi=np.nan, tail_beta=1.0)
    with pytest.raises(ParameterError, match="tail_weight"):
        Spliced(body, threshold=1e4, tail_xi=0.2, tail_beta=1.0, tail_weight=1.0)
    with pytest.raises(ParameterError, match="no mass below"):
        Spliced(stats.uniform(loc=100.0, scale=10.0), threshold=50.0, tail_xi=0.1, tail_beta=1.0)
    with pytest.raises(ParameterError, match="q:"):
        Spliced(body, threshold=1e4, tail_xi=0.2, tail_beta=1.0).ppf(-0.1)


@settings(max_examples=40, deadline=None)
@given(st.floats(0.2, 2.0), st.floats(-0.4, 0.8), st.floats(0.001, 0.2),
       st.lists(st.floats(0.0, 5e5), min_size=3, max_size=10))
def test_spliced_cdf_and_lev_are_monotone(sigma, xi, weight, points):
    sp = Spliced(stats.lognorm(sigma, scale=4_000.0), threshold=30_000.0, tail_xi=xi,
                 tail_beta=10_000.0, tail_weight=weight)
    x = np.unique(points)
    f = sp.cdf(x)
    assert np.all(np.diff(f) >= -1e-15) and np.all((f >= 0) & (f <= 1))
    values = sp.lev(x)
    assert np.all(np.diff(values) >= -1e-9 * np.abs(values[1:]))
    assert np.all(values <= np.minimum(x, sp.mean()) * (1 + 1e-12) + 1e-9)
