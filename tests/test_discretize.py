"""Severity discretisation (actuar ``discretize()``; KPW *Loss Models* §9.6.5)."""

from __future__ import annotations

import shutil
import subprocess

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


# actuar 3.3.2: discretize(pgamma(x, 2, 1), from = 0, to = 60, step = 0.5, method = "unbiased",
#                          lev = levgamma(x, 2, 1))  — entries 77 and 79 (0-based) are −4.4e-16
ACTUAR_UNBIASED_GAMMA = np.array([
    0.03265329856316712, 0.14197004990231976, 0.18001112554486776, 0.16613667084353745,
    0.13531157686829598, 0.10302297434136154, 0.0751948379033145, 0.053315915052442264,
    0.03701283931303312, 0.025285014657706828, 0.017056010599718174, 0.011388149659935731,
    0.007539968204256731, 0.00495697764540548, 0.0032393185534647095, 0.002105921872414207,
    0.0013629336659315427, 0.0008785967495104074, 0.0005643964568267101, 0.0003614298293723728,
    0.00023080669256136943, 0.00014702006735900497, 9.343531981320652e-05, 5.925711211407503e-05,
    3.750957736681215e-05, 2.3701944122045404e-05, 1.4952909249466018e-05, 9.419337864802202e-06,
    5.925366520109776e-06, 3.722652178517194e-06, 2.3359848402293437e-06, 1.4642056487268462e-06,
    9.168104382339948e-07, 5.734961248116122e-07, 3.5841025347593813e-07, 2.2379618158652193e-07,
    1.3962672751333116e-07, 8.704576748286286e-08, 5.4226051648953444e-08, 3.375717749776186e-08,
    2.1000876149201986e-08, 1.3056779657460993e-08, 8.112883698174755e-09, 5.0381037119962e-09,
    3.1269666855848754e-09, 1.939786553606382e-09, 1.2027348006427019e-09, 7.453815342728376e-10,
    4.6173331824661545e-10, 2.859001924093718e-10, 1.7695178655685595e-10, 1.0947731610144729e-10,
    6.770495275532085e-11, 4.185674029599795e-11, 2.5866420116926747e-11, 1.5980106127244653e-11,
    9.868994510497942e-12, 6.092459869933009e-12, 3.76054742901033e-12, 2.3208102106764272e-12,
    1.4308554341369017e-12, 8.819611707622244e-13, 5.444533712761768e-13, 3.352873534367973e-13,
    2.0694557179012918e-13, 1.2656542480726785e-13, 7.904787935331115e-14, 4.796163466380676e-14,
    2.9753977059954195e-14, 1.8207657603852567e-14, 1.1102230246251565e-14, 7.549516567451064e-15,
    3.9968028886505635e-15, 2.220446049250313e-15, 1.7763568394002505e-15, 8.881784197001252e-16,
    1.3322676295501878e-15, -4.440892098500626e-16, 8.881784197001252e-16, -4.440892098500626e-16,
    0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0,
    0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0,
    0.0, 0.0, 0.0
])


def test_user_pmf_round_off_negatives_from_actuar():
    f = ACTUAR_UNBIASED_GAMMA
    assert np.sum(f < 0) == 2 and f.min() == -4.4408920985006262e-16
    d = as_discrete(f, step=0.5)
    assert np.all(d.pmf >= 0) and d.pmf[77] == 0.0 and d.pmf[79] == 0.0
    assert d.noise_mass == pytest.approx(2 * 4.4408920985006262e-16, rel=1e-15)
    np.testing.assert_array_equal(d.pmf[f >= 0], f[f >= 0])  # the rest untouched
    assert f[77] < 0  # the caller's array is not modified
    assert as_discrete([0.5, 0.5], step=1.0).noise_mass == 0.0
    # beyond round-off (−1e-12 × total mass) it stays an error naming the index and value
    g = f.copy()
    g[90] = -1e-9
    with pytest.raises(ParameterError, match=r"pmf\[90\] = -1e-09"):
        as_discrete(g, step=0.5)


@pytest.mark.skipif(shutil.which("Rscript") is None, reason="Rscript is not installed")
def test_user_pmf_from_live_actuar():
    code = ('suppressMessages(library(actuar)); f <- discretize(pgamma(x, 2, 1), from = 0, '
            'to = 60, step = 0.5, method = "unbiased", lev = levgamma(x, 2, 1)); '
            'cat(sprintf("%.17g", f), sep = " ")')
    run = subprocess.run(["Rscript", "-e", code], capture_output=True, text=True, timeout=120)
    if run.returncode != 0 and "actuar" in run.stderr:
        pytest.skip("R package actuar is not installed")
    assert run.returncode == 0, run.stderr
    f = np.array([float(v) for v in run.stdout.split()])
    np.testing.assert_array_equal(f, ACTUAR_UNBIASED_GAMMA)
    d = as_discrete(f, step=0.5)
    assert np.all(d.pmf >= 0) and d.noise_mass == -float(f[f < 0].sum())


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
