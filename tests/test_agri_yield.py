"""Yield trends, adjustments, densities and the YieldModel premium rate (puhui.agri)."""

from __future__ import annotations

import numpy as np
import pytest
import statsmodels.api as sm
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from scipy import integrate, stats

from puhui.agri.density import (
    fit_parametric,
    golden_cv_bandwidth,
    kde_bandwidth,
    kde_layer,
    loo_loglik,
    normal_shortfall,
)
from puhui.agri.trend import (
    TREND_METHODS,
    adjust_yields,
    batch_adjust,
    batch_trend,
    fit_trend,
    heteroscedasticity_beta,
)
from puhui.agri.yield_model import YieldModel
from puhui.errors import ParameterError

# A five-year history small enough to work by hand.
YEARS = np.array([2001, 2002, 2003, 2004, 2005])
YIELDS = np.array([100.0, 104.0, 96.0, 112.0, 108.0])


def test_linear_trend_by_hand():
    # x̄ = 2003, ȳ = 104; Σ(x−x̄)(y−ȳ) = 8 + 0 + 0 + 8 + 8 = 24, Σ(x−x̄)² = 10
    # slope 2.4, ŷ_2003 = 104, ŷ_2006 = 104 + 3·2.4 = 111.2 (the rating year = last + 1)
    t = fit_trend(YEARS, YIELDS, "linear")
    assert t.rating_year == 2006
    assert t.expected == pytest.approx(111.2, rel=1e-12)
    np.testing.assert_allclose(t.fitted, [99.2, 101.6, 104.0, 106.4, 108.8], rtol=1e-12)
    np.testing.assert_allclose(t.residuals, [0.8, 2.4, -8.0, 5.6, -0.8], atol=1e-11)


def test_adjustments_by_hand():
    t = fit_trend(YEARS, YIELDS, "linear")
    add, beta = adjust_yields(t, "additive")
    # ỹ = 111.2 + e_t
    np.testing.assert_allclose(add, [112.0, 113.6, 103.2, 116.8, 110.4], rtol=1e-12)
    assert beta == 0
    mult, beta = adjust_yields(t, "multiplicative")
    # ỹ = 111.2 · y_t / ŷ_t
    np.testing.assert_allclose(mult, 111.2 * YIELDS / np.array([99.2, 101.6, 104, 106.4, 108.8]),
                               rtol=1e-12)
    assert beta == 2
    # the heteroscedastic form with β = 0 and β = 2 is the additive and multiplicative form
    np.testing.assert_allclose(adjust_yields(t, 0.0)[0], add, rtol=1e-12)
    np.testing.assert_allclose(adjust_yields(t, 2.0)[0], mult, rtol=1e-12)


def test_empirical_rate_by_hand():
    # additive ỹ = 112.0, 113.6, 103.2, 116.8, 110.4; μ = 111.2. At θ = 1, c = 111.2:
    # shortfalls 0, 0, 8.0, 0, 0.8 → mean 1.76 → rate 1.76 / 111.2
    m = YieldModel("linear", "additive", "empirical").fit(YEARS, YIELDS)
    assert m.premium_rate(1.0) == pytest.approx(1.76 / 111.2, rel=1e-12)
    # no trend: μ = 104; at θ = 0.95, c = 98.8: only 96 falls short, by 2.8 → 0.56 / 98.8
    m = YieldModel("none", "additive", "empirical").fit(YEARS, YIELDS)
    assert m.expected_yield_ == pytest.approx(104.0)
    assert m.premium_rate(0.95) == pytest.approx(0.56 / 98.8, rel=1e-12)


def test_quadratic_and_loess_match_numpy_and_statsmodels():
    rng = np.random.default_rng(5)
    years = np.arange(1970, 2012)
    y = 80 + 1.5 * (years - 1970) + 0.02 * (years - 1970) ** 2 + rng.normal(0, 8, years.size)
    q = fit_trend(years, y, "quadratic")
    c = np.polyfit(years - 2012.0, y, 2)         # independent: numpy least squares
    assert q.expected == pytest.approx(c[-1], rel=1e-10)
    lo = fit_trend(years, y, "loess", frac=0.5)
    ref = sm.nonparametric.lowess(y, years, frac=0.5, return_sorted=False)
    np.testing.assert_allclose(lo.fitted, ref, rtol=1e-12)
    assert lo.expected == pytest.approx(lo.fitted[-1] + (lo.fitted[-1] - lo.fitted[-2]), rel=0.01)


def test_robust_trend_resists_an_outlier():
    years = np.arange(1990, 2020)
    y = 300 + 5.0 * (years - 1990) + np.random.default_rng(2).normal(0, 3, years.size)
    y[-1] = 50.0                                     # one disaster year at the end
    ols = fit_trend(years, y, "linear")
    rob = fit_trend(years, y, "robust")
    truth = 300 + 5.0 * 30
    assert abs(rob.expected - truth) < 5 < abs(ols.expected - truth)


def _panel(seed, cells, n_years, missing):
    """Random yield histories on a common year axis, NaN for missing years (≥ 6 kept a row)."""
    rng = np.random.default_rng(seed)
    years = np.arange(1990, 1990 + n_years, dtype=float)
    t = years - years[0]
    Y = (rng.uniform(200, 600, (cells, 1)) + rng.normal(4, 3, (cells, 1)) * t
         + rng.normal(0, 1, (cells, 1)) * 0.05 * t * t
         + rng.normal(0, 1, (cells, n_years)) * rng.uniform(5, 60, (cells, 1)))
    Y[rng.random(Y.shape) < 0.15] *= 0.4                       # disaster years (robust, loess)
    gone = rng.random(Y.shape) < missing
    gone[:, :6] = False                                        # every row keeps ≥ 6 years
    return years, np.where(gone, np.nan, np.abs(Y))


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), n_years=st.integers(6, 30),
       missing=st.sampled_from([0.0, 0.2, 0.4]), frac=st.sampled_from([2 / 3, 0.5, 1.0]))
def test_one_series_is_the_batch_fitter_on_one_row(seed, n_years, missing, frac):
    # fit_trend (one series) and batch_trend (a panel with gaps) are one fitter: every method
    # gives the same trend, rating-year value and adjusted yields to 1e-12
    years, Y = _panel(seed, 4, n_years, missing)
    T = np.array([years[-1] + 1, years[-1] + 1, years[-1] + 3, years[-1]])
    for method in TREND_METHODS:
        fitted, expected = batch_trend(Y, years, method, T, frac=frac)
        adjusted, beta = batch_adjust(Y, fitted, expected, "multiplicative")
        for c in range(len(Y)):
            ok = ~np.isnan(Y[c])
            if np.isnan(expected[c]):      # loess: < 2 weighted years at T; one series says so
                assert method == "loess"
                with pytest.raises(ParameterError, match="larger frac"):
                    fit_trend(years[ok], Y[c, ok], method, rating_year=T[c], frac=frac)
                continue
            one = fit_trend(years[ok], Y[c, ok], method, rating_year=T[c], frac=frac)
            np.testing.assert_allclose(one.fitted, fitted[c, ok], rtol=1e-12, atol=1e-9)
            assert one.expected == pytest.approx(expected[c], rel=1e-12, abs=1e-9)
            assert np.all(np.isnan(fitted[c, ~ok]))
            if np.all(one.fitted > 0) and one.expected > 0:
                np.testing.assert_allclose(adjust_yields(one, "multiplicative")[0],
                                           adjusted[c, ok], rtol=1e-12)


@settings(max_examples=15, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), n_years=st.integers(7, 40),
       frac=st.sampled_from([2 / 3, 0.4, 1.0]))
def test_trend_methods_equal_statsmodels_and_numpy(seed, n_years, frac):
    # the independent references: numpy least squares, statsmodels RLM (Huber) and lowess
    years, Y = _panel(seed, 1, n_years, 0.0)
    y = Y[0]
    T = years[-1] + 1
    for method, degree in (("none", 0), ("linear", 1), ("quadratic", 2)):
        t = fit_trend(years, y, method)
        coef = np.polyfit(years - T, y, degree)
        assert t.expected == pytest.approx(coef[-1], rel=1e-10)
        np.testing.assert_allclose(t.fitted, np.polyval(coef, years - T), rtol=1e-10)
    X = np.vander((years - T) / 10.0, 2, increasing=True)
    rlm = sm.RLM(y, X, M=sm.robust.norms.HuberT()).fit()
    rob = fit_trend(years, y, "robust")
    np.testing.assert_allclose(rob.params, rlm.params, rtol=1e-9)
    lowess = sm.nonparametric.lowess
    at_T = lowess(y, years, frac=frac, xvals=np.array([T]))[0]
    if np.isnan(at_T):               # fewer than two weighted years at T: refused, not NaN
        with pytest.raises(ParameterError, match="larger frac"):
            fit_trend(years, y, "loess", frac=frac)
        return
    lo = fit_trend(years, y, "loess", frac=frac)
    np.testing.assert_allclose(lo.fitted, lowess(y, years, frac=frac, return_sorted=False),
                               rtol=1e-12)
    assert lo.expected == pytest.approx(at_T, rel=1e-12)


def test_heteroscedasticity_beta_recovers_a_planted_exponent():
    rng = np.random.default_rng(11)
    fitted = np.linspace(50, 500, 4000)
    beta = 1.3
    e = rng.normal(0, 1, fitted.size) * fitted ** (beta / 2)
    # E[ln χ²₁] is a constant, so the slope of ln e² on ln ŷ estimates β without bias
    assert heteroscedasticity_beta(e, fitted) == pytest.approx(beta, abs=0.1)


def test_kde_closed_form_against_numerical_integral():
    # E[min((c − Y)₊, c)] = ∫_0^c F(y) dy (integration by parts), F from scipy's gaussian_kde
    rng = np.random.default_rng(3)
    y = rng.normal(100, 20, 25)
    kde = stats.gaussian_kde(y, bw_method="silverman")
    h = float(np.sqrt(kde.covariance[0, 0]))
    assert kde_bandwidth(y, "silverman") == pytest.approx(h, rel=1e-12)
    for c in (40.0, 80.0, 100.0, 130.0):
        num, _ = integrate.quad(lambda t: kde.integrate_box_1d(-np.inf, t), 0, c,
                                epsabs=1e-12, epsrel=1e-12, limit=200)
        assert kde_layer(c, y, h) == pytest.approx(num, rel=1e-8, abs=1e-12)


def test_normal_shortfall_limits():
    # h → 0 gives (c − y)₊; E[(c − Y)₊] for Y ~ N(c, h²) is h·φ(0) = h/√(2π)
    assert normal_shortfall(5.0, 3.0, 0.0) == 2.0
    assert normal_shortfall(5.0, 5.0, 2.0) == pytest.approx(2.0 / np.sqrt(2 * np.pi))


def test_bandwidth_rules_match_their_formulas():
    y = np.random.default_rng(4).gamma(9, 50, 31)
    sd, n = y.std(ddof=1), y.size
    assert kde_bandwidth(y, "silverman") == pytest.approx(sd * (3 * n / 4) ** -0.2, rel=1e-12)
    assert kde_bandwidth(y, "scott") == pytest.approx(sd * n ** -0.2, rel=1e-12)
    assert kde_bandwidth(y, 7.5) == 7.5


def test_cv_bandwidth_maximises_the_leave_one_out_likelihood():
    rng = np.random.default_rng(8)
    y = np.concatenate([rng.normal(100, 5, 20), rng.normal(140, 5, 20)])   # two modes
    h = kde_bandwidth(y, "cv")
    f = loo_loglik(np.array([h, h * 0.98, h * 1.02]), np.tile(y, (3, 1)))
    assert f[0] > f[1] and f[0] > f[2]
    # independent LOO by an explicit loop over the left-out point
    loo = sum(np.log(stats.norm.pdf(y[i], np.delete(y, i), h).mean()) for i in range(y.size))
    assert f[0] == pytest.approx(loo, rel=1e-12)
    assert h < kde_bandwidth(y, "silverman")        # Silverman oversmooths two modes
    assert golden_cv_bandwidth(y[None, :])[0] == pytest.approx(h, rel=1e-6)


@pytest.mark.parametrize("density", ["lognormal", "weibull", "beta"])
def test_parametric_rates_against_numerical_integral(density):
    rng = np.random.default_rng(6)
    years = np.arange(1985, 2015)
    y = 500 + 3 * (years - 1985) + rng.normal(0, 60, years.size)
    m = YieldModel("linear", "multiplicative", density).fit(years, y)
    dist = fit_parametric(m.adjusted_yields_, density)
    for theta in (0.7, 0.85, 1.0):
        c = theta * m.expected_yield_
        num, _ = integrate.quad(dist.cdf, 0, c, epsabs=1e-12, epsrel=1e-10, limit=200)
        assert m.premium_rate(theta) == pytest.approx(num / c, rel=1e-7, abs=1e-12)


def test_lognormal_fit_is_the_closed_form_mle():
    y = np.random.default_rng(1).lognormal(6, 0.2, 40)
    d = fit_parametric(y, "lognormal")
    s, loc, scale = d.args[0], d.kwds["loc"], d.kwds["scale"]
    assert loc == 0 and s == pytest.approx(np.log(y).std(), rel=1e-10)
    assert np.log(scale) == pytest.approx(np.log(y).mean(), rel=1e-10)


def test_expected_indemnity_and_summary():
    m = YieldModel("linear", "additive", "kde").fit(YEARS, YIELDS)
    rate = m.premium_rate(0.9)
    assert m.expected_indemnity(0.9, price=2.5) == pytest.approx(
        rate * 0.9 * m.expected_yield_ * 2.5)
    s = m.summary((0.8, 0.9))
    assert list(s["coverage"]) == [0.8, 0.9]
    assert s["premium_rate"].is_monotonic_increasing


def test_compare_densities_table():
    # 16 years: every law is refitted once per left-out year (Weibull and beta by a tight
    # simplex), so the table's cost grows with n²; 16 years prove the same columns and relations
    rng = np.random.default_rng(12)
    years = np.arange(1996, 2012)
    y = 120 + 1.8 * (years - 1980) + rng.normal(0, 12, years.size)
    m = YieldModel("linear", "multiplicative", "kde").fit(years, y)
    t = m.compare_densities()
    assert list(t["density"]) == ["empirical", "kde", "lognormal", "weibull", "beta"]
    assert {"loglik", "aic", "bic", "loo_loglik", "ks", "rate_0.9"} <= set(t.columns)
    lognormal = t.set_index("density").loc["lognormal"]
    d = fit_parametric(m.adjusted_yields_, "lognormal")
    assert lognormal["loglik"] == pytest.approx(d.logpdf(m.adjusted_yields_).sum())
    assert lognormal["aic"] == pytest.approx(4 - 2 * lognormal["loglik"])
    # LOO log-likelihood is below the in-sample one for every fitted law
    fitted = t.dropna(subset=["loglik"])
    assert (fitted["loo_loglik"] < fitted["loglik"]).all()


def test_plot_returns_axes():
    import matplotlib.pyplot as plt

    m = YieldModel("linear", "additive", "kde").fit(YEARS, YIELDS)
    fig, ax = plt.subplots()
    assert m.plot(ax=ax) is ax
    plt.close(fig)


def test_bad_input_is_reported():
    with pytest.raises(ParameterError, match="detrend"):
        YieldModel(detrend="cubic").fit(YEARS, YIELDS)
    with pytest.raises(ParameterError, match="density"):
        YieldModel(density="gamma").fit(YEARS, YIELDS)
    with pytest.raises(ParameterError, match="repeat"):
        YieldModel().fit([2001, 2001, 2002, 2003], [1.0, 2, 3, 4])
    with pytest.raises(ParameterError, match="NaN"):
        YieldModel().fit(YEARS, [1.0, np.nan, 3, 4, 5])
    with pytest.raises(ParameterError, match="≥ 0"):
        YieldModel().fit(YEARS, [1.0, -2, 3, 4, 5])
    with pytest.raises(ParameterError, match="at least"):
        YieldModel(detrend="quadratic").fit(YEARS[:4], YIELDS[:4])
    with pytest.raises(ParameterError, match="coverage_level"):
        YieldModel().fit(YEARS, YIELDS).premium_rate(0.0)
    with pytest.raises(ParameterError, match="not fitted"):
        YieldModel().premium_rate(0.8)
    with pytest.raises(ParameterError, match="β"):
        YieldModel("none", "heteroscedastic").fit(YEARS, YIELDS)


histories = st.lists(st.floats(50, 900, allow_nan=False), min_size=6, max_size=30)


@settings(max_examples=40, deadline=None)
@given(y=histories, density=st.sampled_from(["empirical", "kde"]),
       detrend=st.sampled_from(["none", "linear"]))
def test_rate_properties(y, density, detrend):
    y = np.array(y)
    assume(np.ptp(y) > 1e-6)
    try:
        m = YieldModel(detrend, "additive", density).fit(np.arange(y.size), y)
    except ParameterError as err:          # a falling trend can end below zero: refused
        assert "expected yield" in str(err)
        assume(False)
    theta = np.linspace(0.3, 1.2, 10)
    r = m.premium_rate(theta)
    assert np.all(r >= 0) and np.all(r <= 1)
    # E[min((c − Y)₊, c)] grows with c, and the rate E/c too (E/c = E[(1 − Y⁺/c)₊])
    assert np.all(np.diff(r) >= -1e-12)
    assert np.all(np.diff(m.expected_shortfall(theta * m.expected_yield_)) >= -1e-9)


@pytest.mark.parametrize("density", ["kde", "lognormal", "empirical"])
def test_shortfall_loss_model_against_direct_integration(density):
    # X = s·(g − Y⁺)₊: E[min(X, u)^k] = ∫ min(s(g − y⁺)₊, u)^k dF(y), integrated here over the
    # fitted density (the mass below 0 counts as y = 0), or summed over the sample (empirical)
    from scipy import integrate

    from puhui.losses import LossModel, expected_payout

    years = np.arange(1990, 2020)
    y = 430 + 4 * (years - 1990) + np.random.default_rng(2).normal(0, 60, years.size)
    m = YieldModel("linear", "multiplicative", density).fit(years, y)
    g, s = 0.9 * m.expected_yield_, 2.5
    x = m.shortfall(g, price=s)
    assert isinstance(x, LossModel)

    def direct(u, k):
        def pay(v):
            return min(s * max(g - max(v, 0.0), 0.0), u) ** k
        if density == "empirical":
            return float(np.mean([pay(v) for v in m.adjusted_yields_]))
        val, _ = integrate.quad(lambda v: pay(v) * float(m.pdf(v)), 0.0, g, limit=200,
                                epsabs=1e-12, epsrel=1e-12)
        return val + pay(0.0) * float(m.cdf(0.0))

    for u in (0.1 * s * g, 0.4 * s * g, s * g, np.inf):
        for k in (1, 2):
            want = direct(min(u, 10 * s * g), k)
            assert float(x.lev_moment(u, k)) == pytest.approx(want, rel=1e-9, abs=1e-12)
    assert float(x.mean()) == pytest.approx(s * float(m.expected_shortfall(g)), rel=1e-15)
    assert float(x.mean()) / (s * g) == pytest.approx(m.premium_rate(0.9), rel=1e-14)
    # P(X > x) = P(Y < g − x/s); an atom P(Y ≥ g) at 0
    assert float(x.sf(0.0)) == pytest.approx(float(np.mean(m.adjusted_yields_ < g))
                                             if density == "empirical" else float(m.cdf(g)))
    assert float(x.cdf(s * g)) == 1.0
    # a deductible layer of the shortfall, by the loss core
    from puhui.benefits import Benefit

    b = Benefit(deductible=0.1 * s * g, cap=0.5 * s * g)
    want = direct(0.6 * s * g, 1) - direct(0.1 * s * g, 1)
    assert float(expected_payout(x, b)) == pytest.approx(want, rel=1e-9, abs=1e-12)


def test_shortfall_rejects_bad_terms():
    years = np.arange(2000, 2015)
    m = YieldModel("linear", density="empirical").fit(years, 400 + 3 * (years - 2000.0) % 7)
    with pytest.raises(ParameterError, match="guarantee"):
        m.shortfall(0.0)
    with pytest.raises(ParameterError, match="price"):
        m.shortfall(100.0, price=-1.0)
    with pytest.raises(ParameterError, match="not fitted"):
        YieldModel().shortfall(100.0)


def test_weibull_fit_is_the_likelihood_optimum():
    # The profile-likelihood root (Cohen 1965) against scipy's general optimiser: never a lower
    # log-likelihood, the same parameters to scipy's precision, and the score equations at 0.
    rng = np.random.default_rng(11)
    for _ in range(5):
        y = stats.weibull_min(rng.uniform(2, 12), scale=rng.uniform(100, 800)).rvs(
            int(rng.integers(10, 40)), random_state=rng)
        d = fit_parametric(y, "weibull")
        k, lam = d.args[0], d.kwds["scale"]
        k_sp, _, lam_sp = stats.weibull_min.fit(y, floc=0)
        assert d.logpdf(y).sum() >= stats.weibull_min(k_sp, scale=lam_sp).logpdf(y).sum() - 1e-9
        assert k == pytest.approx(k_sp, rel=1e-4) and lam == pytest.approx(lam_sp, rel=1e-4)
        z = (y / lam) ** k          # d/dλ and d/dk of the log-likelihood
        assert abs(np.mean(z) - 1) < 1e-12
        assert abs(1 / k + np.mean(np.log(y / lam)) - np.mean(z * np.log(y / lam))) < 1e-10
