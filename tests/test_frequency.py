"""Claim-count models: the (a, b, 0) and (a, b, 1) classes, exposure, and the count fitter.

References: Klugman, Panjer & Willmot, *Loss Models* (4th ed.), §6.5–6.6 (the (a, b, 0) and
(a, b, 1) classes, Table 6.1 for a, b and p0); scipy.stats pmfs and moments as the independent
computation.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import optimize, stats

from puhui.errors import ParameterError
from puhui.losses.frequency import (
    Binomial,
    NegativeBinomial,
    Poisson,
    ZeroModified,
    ZeroTruncated,
    as_frequency,
)
from puhui.losses.frequency_ab1 import ExtendedTruncatedNB, Logarithmic
from puhui.losses.frequency_fit import ClaimCountFitter

LAWS = [
    (Poisson(3.5), stats.poisson(3.5)),
    (NegativeBinomial(2.5, 1.5), stats.nbinom(2.5, 1 / 2.5)),
    (Binomial(12, 0.3), stats.binom(12, 0.3)),
]


@pytest.mark.parametrize("model,ref", LAWS)
def test_ab0_recursion_and_p0_against_scipy(model, ref):
    # KPW §6.5: p_k / p_{k-1} = a + b/k for the (a, b, 0) class; pmf from scipy.
    k = np.arange(1, 10)
    ratio = ref.pmf(k) / ref.pmf(k - 1)
    np.testing.assert_allclose(ratio, model.a + model.b / k, rtol=1e-12)
    assert model.p0 == pytest.approx(ref.pmf(0), rel=1e-14)
    np.testing.assert_allclose(model.pmf(np.arange(15)), ref.pmf(np.arange(15)), rtol=1e-13)


@pytest.mark.parametrize("model,ref", LAWS)
def test_moments_against_scipy(model, ref):
    mean, var, skew = (float(v) for v in ref.stats(moments="mvs"))
    assert model.mean() == pytest.approx(mean, rel=1e-12)
    assert model.var() == pytest.approx(var, rel=1e-12)
    assert model.skew() == pytest.approx(skew, rel=1e-10)


@pytest.mark.parametrize("model,ref", LAWS)
def test_pgf_is_the_power_series_of_the_pmf(model, ref):
    k = np.arange(400)
    p = ref.pmf(k)
    for z in (0.0, 0.3, 0.9, np.exp(1j * 0.7), 0.5 * np.exp(-2.1j)):
        assert model.pgf(z) == pytest.approx(np.sum(p * z**k), abs=1e-13)


def test_cdf_matches_scipy():
    n = NegativeBinomial(1.5, 2.0)
    k = np.array([-1, 0, 2.5, 7, 30])
    np.testing.assert_allclose(n.cdf(k), stats.nbinom(1.5, 1 / 3).cdf(k), rtol=1e-12)


def test_poisson_exposure_scales_the_rate():
    n = Poisson(0.02, exposure=500)
    assert n.lam == pytest.approx(10.0)
    assert n.with_exposure(1000).mean() == pytest.approx(20.0)


def test_negative_binomial_exposure_r_is_a_sum_of_independent_units():
    # convention "r": e independent units NB(r, β) sum to NB(e·r, β); checked by convolution
    unit = NegativeBinomial(0.8, 1.3)
    three = unit.with_exposure(3)
    p = unit.pmf(np.arange(200))
    conv = np.convolve(np.convolve(p, p), p)[:60]
    np.testing.assert_allclose(three.pmf(np.arange(60)), conv, rtol=1e-10, atol=1e-16)


def test_negative_binomial_exposure_beta_scales_the_scale():
    n = NegativeBinomial(2.0, 0.5, exposure=3.0, exposure_scales="beta")
    assert (n.r, n.beta) == (2.0, 1.5)
    assert n.mean() == pytest.approx(3.0)
    assert n.var() == pytest.approx(3.0 * 2.5)  # rβ(1+β), grows faster than the mean


@pytest.mark.parametrize(
    "base", [Poisson(1.7), NegativeBinomial(0.6, 2.0), Binomial(8, 0.25)], ids=["P", "NB", "B"]
)
@pytest.mark.parametrize("p0", [0.0, 0.35, 0.8])
def test_zero_modified_class(base, p0):
    zm = ZeroModified(base, p0)
    k = np.arange(0, 300)
    pmf = zm.pmf(k)
    assert pmf[0] == pytest.approx(p0)
    assert pmf.sum() == pytest.approx(1.0, abs=1e-12)
    # (a, b, 1): the recursion holds from k = 2 on (KPW §6.6)
    kk = np.arange(2, 9)
    np.testing.assert_allclose(pmf[kk] / pmf[kk - 1], base.a + base.b / kk, rtol=1e-10)
    # moments by direct summation of the pmf
    mean = np.sum(k * pmf)
    var = np.sum(k**2 * pmf) - mean**2
    third = np.sum((k - mean) ** 3 * pmf)
    assert zm.mean() == pytest.approx(mean, rel=1e-10)
    assert zm.var() == pytest.approx(var, rel=1e-10)
    assert zm.cumulants()[2] == pytest.approx(third, rel=1e-8, abs=1e-12)
    for z in (0.2, 0.95, np.exp(0.4j)):
        assert zm.pgf(z) == pytest.approx(np.sum(pmf * z**k), abs=1e-12)
    assert zm.p1 == pytest.approx(pmf[1])


def test_zero_truncated_poisson_closed_form():
    # E[N | N > 0] = λ / (1 − e^{−λ}) for the zero-truncated Poisson (KPW Appendix B)
    zt = ZeroTruncated(Poisson(1.0))
    assert zt.p0 == 0.0
    assert zt.mean() == pytest.approx(1 / (1 - math.exp(-1)), rel=1e-14)


def test_random_counts_are_reproducible_and_unbiased():
    for model in (Poisson(2.0), NegativeBinomial(1.2, 3.0), ZeroModified(Poisson(2.0), 0.7)):
        a = model.rvs(200_000, seed=11)
        b = model.rvs(200_000, seed=11)
        np.testing.assert_array_equal(a, b)
        se = model.std() / math.sqrt(a.size)
        assert abs(a.mean() - model.mean()) < 5 * se
    with pytest.raises(ParameterError, match="seed"):
        Poisson(1.0).rvs(10, seed=None)


def test_scipy_counts_are_accepted():
    assert as_frequency(stats.poisson(3.0)).lam == 3.0
    nb = as_frequency(stats.nbinom(2.0, 0.25))
    assert (nb.r, nb.beta) == (2.0, 3.0)
    b = as_frequency(stats.binom(10, 0.2))
    assert (b.m, b.q) == (10, 0.2)
    lg = as_frequency(stats.logser(0.75))
    assert isinstance(lg, Logarithmic) and lg.beta == pytest.approx(3.0)
    with pytest.raises(ParameterError):
        as_frequency(stats.gamma(2.0))


@pytest.mark.parametrize(
    "make",
    [
        lambda: Poisson(-1.0),
        lambda: Poisson(float("nan")),
        lambda: NegativeBinomial(0.0, 1.0),
        lambda: NegativeBinomial(1.0, 1.0, exposure_scales="mu"),
        lambda: Binomial(3, 0.5, exposure=0.5),
        lambda: Binomial(3, 1.0),
        lambda: ZeroModified(Poisson(1.0), 1.0),
        lambda: ZeroModified(ZeroTruncated(Poisson(1.0)), 0.2),
        lambda: ZeroTruncated(Poisson(1.0), p0=0.3),
    ],
)
def test_bad_parameters_raise(make):
    with pytest.raises(ParameterError):
        make()


@settings(max_examples=50, deadline=None)
@given(
    lam=st.floats(0.01, 50),
    r=st.floats(0.05, 20),
    beta=st.floats(0.01, 20),
    p0=st.floats(0.0, 0.99),
)
def test_property_pmf_is_a_distribution(lam, r, beta, p0):
    for model in (Poisson(lam), NegativeBinomial(r, beta), ZeroModified(Poisson(lam), p0)):
        k = np.arange(0, 5000)
        pmf = model.pmf(k)
        assert np.all(pmf >= 0)
        assert pmf.sum() == pytest.approx(1.0, abs=1e-7)
        assert model.mean() == pytest.approx(np.sum(k * pmf), rel=1e-6)


# --------------------------------------------------------------------------------------------
# fitting
# --------------------------------------------------------------------------------------------
def test_poisson_fit_is_total_claims_over_total_exposure():
    rng = np.random.default_rng(5)
    e = rng.uniform(0.2, 3.0, 3000)
    n = rng.poisson(0.15 * e)
    fit = ClaimCountFitter("poisson").fit(n, exposure=e)
    assert fit.rate_ == pytest.approx(n.sum() / e.sum(), rel=1e-10)
    # Fisher information: Var(λ̂) = λ / Σe
    assert fit.rate_se_ == pytest.approx(math.sqrt(fit.rate_ / e.sum()), rel=1e-6)
    assert isinstance(fit.model_, Poisson)
    assert fit.predict(2.0).lam == pytest.approx(2 * fit.rate_)
    ll = np.sum(stats.poisson.logpmf(n, fit.rate_ * e))
    assert fit.loglik_ == pytest.approx(ll, rel=1e-10)
    assert fit.aic_ == pytest.approx(2 - 2 * ll)
    assert list(fit.summary().columns[:3]) == ["family", "rate", "rate_se"]


def test_negative_binomial_fit_matches_an_independent_likelihood_maximisation():
    rng = np.random.default_rng(9)
    e = rng.uniform(0.5, 2.0, 2500)
    alpha, rate = 0.6, 0.4
    mu = rate * e
    n = rng.negative_binomial(1 / alpha, 1 / (1 + alpha * mu))
    fit = ClaimCountFitter("negbin").fit(n, exposure=e)

    def nll(theta):  # NB2 with mean μe, variance μe + α(μe)², via scipy's nbinom
        m, a = math.exp(theta[0]) * e, math.exp(theta[1])
        return -np.sum(stats.nbinom.logpmf(n, 1 / a, 1 / (1 + a * m)))

    opt = optimize.minimize(
        nll,
        x0=[math.log(0.3), math.log(1.0)],
        method="Nelder-Mead",
        options={"xatol": 1e-10, "fatol": 1e-12, "maxiter": 4000},
    )
    assert fit.rate_ == pytest.approx(math.exp(opt.x[0]), rel=1e-4)
    assert fit.alpha_ == pytest.approx(math.exp(opt.x[1]), rel=1e-3)
    assert fit.loglik_ == pytest.approx(-opt.fun, rel=1e-8)
    model = fit.model_
    assert model.exposure_scales == "beta"
    assert model.with_exposure(2.0).mean() == pytest.approx(2 * fit.rate_)
    assert model.with_exposure(2.0).var() == pytest.approx(
        2 * fit.rate_ + fit.alpha_ * (2 * fit.rate_) ** 2
    )


@pytest.mark.parametrize(
    "counts,exposure,match",
    [
        ([1, -1, 0], None, "counts"),
        ([1, 0.5, 0], None, "counts"),
        ([1, 2, 0], [1.0, 0.0, 1.0], "exposure"),
        ([1, 2, 0], [1.0, 1.0], "match"),
        ([0, 0, 0], None, "all zero"),
    ],
)
def test_fitter_rejects_bad_data(counts, exposure, match):
    with pytest.raises(ParameterError, match=match):
        ClaimCountFitter("poisson").fit(counts, exposure)


def test_fitter_rejects_unknown_family_and_unfitted_use():
    with pytest.raises(ParameterError):
        ClaimCountFitter("gamma").fit([1, 2])
    with pytest.raises(ParameterError, match="fit"):
        ClaimCountFitter().summary()


# --------------------------------------------------------------------------------------------
# the (a, b, 1) laws without an (a, b, 0) parent: logarithmic and ETNB (Loss Models §6.6)
# --------------------------------------------------------------------------------------------
def test_etnb_textbook_example():
    # Klugman, Panjer & Willmot, Loss Models, §6.6: the ETNB with r = −0.5, β = 1 has
    # p1 = rβ/((1+β)^{r+1} − (1+β)) = 0.853553, p2 = 0.106694, p3 = 0.026674 (a = 0.5, b = −0.75)
    n = ExtendedTruncatedNB(-0.5, 1.0)
    assert (n.a, n.b, n.p0) == (0.5, -0.75, 0.0)
    np.testing.assert_allclose(n.pmf([0, 1, 2, 3]), [0.0, 0.853553, 0.106694, 0.026674],
                               atol=5e-7)
    assert n.p1 == pytest.approx(-0.5 / (2**0.5 - 2), rel=1e-14)


def test_logarithmic_against_scipy_and_closed_forms():
    beta = 2.5
    n, ref = Logarithmic(beta), stats.logser(beta / (1 + beta))
    k = np.arange(0, 400)
    np.testing.assert_allclose(n.pmf(k), ref.pmf(k), rtol=1e-13, atol=0)
    assert (n.a, n.b) == (pytest.approx(beta / (1 + beta)), pytest.approx(-beta / (1 + beta)))
    assert n.mean() == pytest.approx(ref.mean(), rel=1e-12)
    assert n.var() == pytest.approx(ref.var(), rel=1e-12)
    assert n.skew() == pytest.approx(float(ref.stats(moments="s")), rel=1e-9)
    # pgf 1 − ln(1 − β(z − 1))/ln(1 + β) as the power series of the pmf
    z = np.array([0.0, 0.3, 0.9, 1.0])
    np.testing.assert_allclose(n.pgf(z), [np.sum(n.pmf(k) * zz**k) for zz in z], rtol=1e-12)


def test_etnb_tends_to_the_logarithmic_and_extends_the_zero_truncated_nb():
    k = np.arange(1, 60)
    for r in (1e-7, -1e-7):
        np.testing.assert_allclose(ExtendedTruncatedNB(r, 1.3).pmf(k), Logarithmic(1.3).pmf(k),
                                   rtol=1e-6)
    # r > 0: the zero-truncated negative binomial, pmf, pgf and moments
    etnb, zt = ExtendedTruncatedNB(1.7, 0.6), ZeroTruncated(NegativeBinomial(1.7, 0.6))
    np.testing.assert_allclose(etnb.pmf(np.arange(80)), zt.pmf(np.arange(80)), rtol=1e-12,
                               atol=1e-300)
    assert etnb.pgf(0.4) == pytest.approx(zt.pgf(0.4), rel=1e-12)
    np.testing.assert_allclose(etnb.cumulants(), zt.cumulants(), rtol=1e-12)


@settings(max_examples=40, deadline=None)
@given(r=st.floats(-0.95, 5.0).filter(lambda r: abs(r) > 1e-3), beta=st.floats(0.05, 4.0),
       p0=st.floats(0.0, 0.95), log=st.booleans())
def test_property_ab1_laws_are_distributions_with_the_recursion(r, beta, p0, log):
    base = Logarithmic(beta) if log else ExtendedTruncatedNB(r, beta)
    n = ZeroModified(base, p0)
    k = np.arange(0, 4000)
    p = n.pmf(k)
    assert np.all(p >= 0) and p.sum() == pytest.approx(1.0, abs=1e-10)
    assert p[0] == pytest.approx(p0)
    # p_k = (a + b/k) p_{k−1} for k ≥ 2
    kk = k[2:40]
    np.testing.assert_allclose(p[2:40], (n.a + n.b / kk) * p[1:39], rtol=1e-10, atol=1e-300)
    # moments from the closed forms equal the sums over the pmf
    m = [np.sum(k.astype(float) ** j * p) for j in (1, 2, 3)]
    np.testing.assert_allclose(n.raw_moments(), m, rtol=1e-8)


def test_ab1_draws_are_reproducible_and_unbiased():
    for law in (Logarithmic(1.2), ExtendedTruncatedNB(-0.6, 2.0),
                ZeroModified(Logarithmic(0.8), 0.5), ZeroModified(ExtendedTruncatedNB(0.5, 1.0),
                                                                  0.3)):
        x = law.rvs(100_000, 11)
        np.testing.assert_array_equal(x, law.rvs(100_000, 11))
        assert x.min() >= 0 and x.dtype == np.int64
        assert abs(x.mean() - law.mean()) < 5 * law.std() / math.sqrt(x.size)
        # the empirical frequencies of 1, 2, 3 agree with the pmf (binomial error)
        for j in (1, 2, 3):
            pj = float(law.pmf(j))
            assert abs(np.mean(x == j) - pj) < 5 * math.sqrt(pj * (1 - pj) / x.size) + 1e-4


@pytest.mark.parametrize("make, match", [
    (lambda: ExtendedTruncatedNB(-1.0, 1.0), "r must be"),
    (lambda: ExtendedTruncatedNB(0.0, 1.0), "logarithmic"),
    (lambda: ExtendedTruncatedNB(0.5, -1.0), "beta"),
    (lambda: Logarithmic(0.0), "beta"),
    (lambda: Logarithmic(1.0).with_exposure(2.0), "exposure"),
    (lambda: ZeroModified(ZeroModified(Poisson(1.0), 0.5), 0.2), "base must be"),
])
def test_ab1_bad_parameters_raise(make, match):
    with pytest.raises(ParameterError, match=match):
        make()
