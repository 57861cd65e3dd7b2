"""Severity discretisation (actuar ``discretize()``; KPW *Loss Models* §9.6.5)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import integrate, stats

from puhui.errors import ParameterError
from puhui.losses.discretize import DiscreteSeverity, as_discrete, discretize


class SurvivalOnly:
    """A law known only through cdf/sf (no closed-form LEV): forces the quadrature path."""

    def __init__(self, law):
        self._law = law

    def cdf(self, x):
        return self._law.cdf(x)

    def sf(self, x):
        return self._law.sf(x)


def partial_mean(law, b):
    """E[X; X ≤ b] by adaptive quadrature (independent of puhui)."""
    return integrate.quad(lambda x: x * law.pdf(x), 0, b, limit=200, epsabs=1e-13)[0]


def test_actuar_vignette_gamma_unbiased_keeps_mass_and_mean():
    # actuar "risk" vignette: discretize(pgamma(x, 2, 1), method = "unbiased", from = 0,
    # to = 22, step = 0.5, lev = levgamma(x, 2, 1)).  The method matches total probability and
    # the first moment on (0, 22): Σ f = F(22), Σ x f = E[X ∧ 22] − 22·S(22) = E[X; X ≤ 22].
    law = stats.gamma(2.0)
    d = discretize(law, step=0.5, upper=22.0, method="unbiased")
    assert d.pmf.size == 45
    assert d.pmf.sum() == pytest.approx(law.cdf(22.0), abs=1e-15)
    assert d.mean() == pytest.approx(partial_mean(law, 22.0), rel=1e-13)
    assert d.lost_mass == pytest.approx(law.sf(22.0), rel=1e-6)
    # the first mass: f_0 = 1 − E[X ∧ h]/h, E[X ∧ h] = ∫_0^h S for the gamma(2, 1)
    lev_h = integrate.quad(law.sf, 0, 0.5)[0]
    assert d.pmf[0] == pytest.approx(1 - lev_h / 0.5, rel=1e-12)


@pytest.mark.parametrize(
    "law",
    [stats.gamma(2.0), stats.lognorm(1.0), stats.weibull_min(0.7, scale=3.0), stats.lomax(3.0)],
    ids=["gamma", "lognorm", "weibull", "lomax"],
)
def test_unbiased_closed_form_lev_and_quadrature_agree(law):
    # two independent routes to the cell integrals: closed-form LEV (puhui.losses.lev) and
    # Gauss–Legendre integration of the survival function
    a = discretize(law, step=0.25, upper=40.0, method="unbiased")
    b = discretize(SurvivalOnly(law), step=0.25, upper=40.0, method="unbiased")
    np.testing.assert_allclose(a.pmf, b.pmf, atol=1e-11)
    assert a.mean() == pytest.approx(partial_mean(law, 40.0), rel=1e-9)


def test_rounding_cdf_passes_midway():
    # rounding: the step cdf at node k equals F((k + ½) h)
    law = stats.lognorm(0.8, scale=1000.0)
    h = 50.0
    d = discretize(law, step=h, upper=10_000.0, method="rounding")
    k = np.arange(d.pmf.size)
    np.testing.assert_allclose(np.cumsum(d.pmf), law.cdf((k + 0.5) * h), rtol=1e-12, atol=1e-15)


def test_upper_and_lower_bound_the_true_cdf():
    # KPW: the upper discretisation has a cdf above the true one, the lower one below
    law = stats.weibull_min(1.5, scale=2.0)
    up = discretize(law, step=0.1, upper=10.0, method="upper")
    lo = discretize(law, step=0.1, upper=10.0, method="lower")
    xs = np.linspace(0, 9.95, 500)
    assert np.all(up.cdf(xs) >= law.cdf(xs) - 1e-14)
    assert np.all(lo.cdf(xs) <= law.cdf(xs) + 1e-14)
    # and their means bracket the true mean
    assert lo.mean() > law.mean() - 1e-9 > up.mean()


def test_tail_masses_keep_relative_precision():
    # far-tail masses come from survival-function differences, not 1 − 1 cancellation
    law = stats.expon()
    d = discretize(law, step=1.0, upper=60.0, method="rounding")
    exact = np.exp(-(np.arange(1, 61) - 0.5)) - np.exp(-(np.arange(1, 61) + 0.5))
    np.testing.assert_allclose(d.pmf[1:], exact, rtol=1e-12)


def test_user_pmf_and_helpers():
    d = as_discrete([0.5, 0.3, 0.1], step=10.0)
    assert isinstance(d, DiscreteSeverity)
    assert d.lost_mass == pytest.approx(0.1)
    assert d.mean() == pytest.approx(5.0)
    assert d.upper == 20.0
    np.testing.assert_allclose(d.cdf([-1, 0, 15, 99]), [0.0, 0.5, 0.8, 0.9])
    for bad in ([-0.1, 1.1], [0.7, 0.7], [[0.5]], []):
        with pytest.raises(ParameterError):
            as_discrete(bad, step=1.0)


@pytest.mark.parametrize(
    "kwargs,match",
    [
        ({"method": "midpoint"}, "method"),
        ({"step": 0.0}, "step"),
        ({"upper": 10.3}, "multiple"),
        ({"upper": -1.0}, "upper"),
    ],
)
def test_bad_arguments(kwargs, match):
    args = {"step": 1.0, "upper": 10.0, "method": "rounding"} | kwargs
    with pytest.raises(ParameterError, match=match):
        discretize(stats.expon(), **args)


def test_negative_support_and_missing_cdf_are_rejected():
    with pytest.raises(ParameterError, match="non-negative"):
        discretize(stats.norm(), step=1.0, upper=10.0)
    with pytest.raises(ParameterError, match="cdf"):
        discretize(object(), step=1.0, upper=10.0)


@settings(max_examples=40, deadline=None)
@given(
    shape=st.floats(0.3, 8.0),
    scale=st.floats(0.1, 10.0),
    n=st.integers(5, 400),
    method=st.sampled_from(["rounding", "upper", "lower", "unbiased"]),
)
def test_property_masses_form_a_sub_distribution(shape, scale, n, method):
    law = stats.gamma(shape, scale=scale)
    upper = 6 * shape * scale
    h = upper / n
    d = discretize(law, step=h, upper=h * n, method=method)
    assert np.all(d.pmf >= 0)
    assert d.pmf.sum() <= 1 + 1e-12
    assert d.pmf.sum() + d.lost_mass == pytest.approx(1.0, abs=1e-12)
    # mass lost lies between the law's tail beyond the grid end and beyond half a step more
    assert law.sf(h * (n + 1)) - 1e-12 <= d.lost_mass <= law.sf(h * (n - 1)) + 1e-12
