"""Revenue cover on a fitted yield–price copula (puhui.agri.revenue) and area-yield GRP cover.

Independent checks: the independence copula's rate against a double integral of the product
of the marginals (scipy.integrate.dblquad); the Gaussian copula with lognormal marginals against
the closed-form put on the lognormal revenue Y·R; copula τ recovered on simulated data; the GRP
payment factor against a hand computation of a published-style worksheet.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import integrate, optimize, stats
from statsmodels.distributions.copula.api import ClaytonCopula, FrankCopula, GumbelCopula

from puhui.agri import AreaYieldCover, RevenueCover, RevenueModel, YieldModel, fit_copula
from puhui.agri.revenue import CopulaFit, pseudo_observations, yield_quantile
from puhui.datasets.revenue import generate_revenue_example, load_revenue_example, truth
from puhui.errors import ParameterError

SQRT_2PI = math.sqrt(2 * math.pi)


def _history(n=40, rho=-0.5, seed=7, sigma_y=0.12, sigma_p=0.2):
    """Yields with a linear trend and lognormal noise, price ratios lognormal, a Gaussian
    copula of correlation rho between the two shocks (so Kendall's τ = 2/π · arcsin ρ)."""
    rng = np.random.default_rng(seed)
    years = np.arange(2025 - n, 2025)
    z1 = rng.standard_normal(n)
    z2 = rho * z1 + np.sqrt(1 - rho**2) * rng.standard_normal(n)
    yields = (400 + 3 * (years - years[0])) * np.exp(sigma_y * z1 - sigma_y**2 / 2)
    projected = 2.0 * np.exp(0.05 * rng.standard_normal(n))
    harvest = projected * np.exp(sigma_p * z2 - sigma_p**2 / 2)
    return years, yields, projected, harvest


@pytest.fixture(scope="module")
def lognormal_model():
    """Lognormal yield law (multiplicative adjustment) and lognormal price ratio: marginals
    with known densities for the exact checks."""
    years, y, pp, ph = _history()
    return RevenueModel(adjustment="multiplicative", density="lognormal",
                        draws=100_000).fit(years, y, pp, ph)


# ----------------------------------------------------------------------------- copula fit
@pytest.mark.parametrize("family, copula, rotation, tau", [
    ("clayton", ClaytonCopula(theta=2.0), 0, 0.5),               # τ = θ/(θ + 2)
    ("gumbel", GumbelCopula(theta=1.5), 270, -1 / 3),            # τ = 1 − 1/θ, rotated
    ("frank", FrankCopula(theta=5.0), 270, -0.4567),             # rotated Frank = Frank(−5)
])
def test_fit_copula_recovers_known_tau(family, copula, rotation, tau):
    uv = copula.rvs(600, (), np.random.default_rng(11))
    u, v = uv[:, 0], uv[:, 1]
    if rotation == 270:
        v = 1 - v                                  # (U, 1 − V) ~ C: negative dependence
    assert np.isclose(float(copula.tau()) * (-1 if rotation else 1), tau, atol=1e-3)
    best, table = fit_copula(u, v, copula=family)
    assert best.family == family and best.rotation in ((0, 180) if tau > 0 else (90, 270))
    assert abs(best.tau - tau) < 0.06              # sd of τ̂ at n = 600 is about 0.02
    auto, table = fit_copula(u, v)                 # selection by AIC: sign and size right
    assert abs(auto.tau - tau) < 0.08 and table["selected"].sum() == 1
    assert table.loc[table["selected"], "aic"].item() == table["aic"].min()


def _frank_density(u, v, t):
    # Nelsen (2006) eq. (4.2.7) differentiated twice: valid for θ of either sign
    a = 1 - np.exp(-t)
    return t * a * np.exp(-t * (u + v)) / (a - (1 - np.exp(-t * u)) * (1 - np.exp(-t * v))) ** 2


def test_rotated_densities_and_mpl_against_closed_forms():
    rng = np.random.default_rng(2)
    u, v = rng.uniform(0.02, 0.98, (2, 50))
    # rotation 270 of Frank(θ) is Frank(−θ); of the Gaussian ρ the Gaussian −ρ
    assert np.allclose(CopulaFit("frank", 270, 4.0).logpdf(u, v),
                       np.log(_frank_density(u, v, -4.0)), rtol=1e-10)
    a, b = stats.norm.ppf(u), stats.norm.ppf(v)

    def gauss_logc(r):
        return (-0.5 * np.log(1 - r * r)
                - (r * r * (a * a + b * b) - 2 * r * a * b) / (2 * (1 - r * r)))

    assert np.allclose(CopulaFit("gaussian", 270, 0.6).logpdf(u, v), gauss_logc(-0.6),
                       rtol=1e-10)
    # Clayton rotated 90: (1 − U, V) ~ C, so the density is c(1 − u, v), with
    # c(x, y) = (1 + θ)(xy)^(−θ−1) (x^−θ + y^−θ − 1)^(−2−1/θ)
    x, y, t = 1 - u, v, 1.5
    clayton = (1 + t) * (x * y) ** (-t - 1) * (x**-t + y**-t - 1) ** (-2 - 1 / t)
    assert np.allclose(CopulaFit("clayton", 90, t).logpdf(u, v), np.log(clayton), rtol=1e-10)
    # maximum pseudo-likelihood of the Gaussian copula, maximised here without statsmodels
    years, yl, pp, ph = _history(n=40, rho=-0.6, seed=12)
    pu, pv = pseudo_observations(yl), pseudo_observations(ph / pp)
    a, b = stats.norm.ppf(pu), stats.norm.ppf(pv)
    best = optimize.minimize_scalar(lambda r: -gauss_logc(r).sum(), bounds=(-0.99, 0.99),
                                    method="bounded", options={"xatol": 1e-10}).x
    fit, _ = fit_copula(yl, ph / pp, copula="gaussian")
    assert fit.parameter == pytest.approx(best, abs=1e-6) and best < 0
    assert fit.loglik == pytest.approx(gauss_logc(best).sum(), abs=1e-8)


def test_itau_is_the_inverted_sample_tau():
    years, y, pp, ph = _history(n=60, rho=-0.6, seed=3)
    u = pseudo_observations(y)
    tau = stats.kendalltau(y, ph / pp)[0]
    best, _ = fit_copula(y, ph / pp, copula="gaussian", method="itau")
    assert best.rotation == 270                    # negative τ: Gaussian reported with ρ < 0
    assert np.isclose(best.parameter, np.sin(np.pi * tau / 2), atol=1e-12)
    best, _ = fit_copula(y, ph / pp, copula="clayton", method="itau")
    assert np.isclose(best.theta, 2 * -tau / (1 + tau), atol=1e-12)     # 2τ/(1 − τ) of −τ
    assert np.allclose(np.sort(u), np.arange(1, 61) / 61)


def test_revenue_model_recovers_the_dependence_of_a_long_history():
    years, y, pp, ph = _history(n=200, rho=-0.5, seed=5)
    m = RevenueModel(copula="gaussian", draws=2_000).fit(years, y, pp, ph)
    assert abs(m.copula_.parameter - (-0.5)) < 0.1  # ρ̂ of 200 pairs: sd about 0.05
    assert abs(m.copula_.tau - 2 / np.pi * np.arcsin(-0.5)) < 0.07
    assert RevenueModel(draws=2_000).fit(years, y, pp, ph).copula_.tau < -0.2


# ----------------------------------------------------------------------------- exact checks
@pytest.mark.parametrize("theta, hpo", [(0.85, False), (0.85, True)])
def test_independence_rate_equals_double_integral(lognormal_model, theta, hpo):
    m = lognormal_model.with_copula("independence")
    law_y = m.yield_model_.dist_                      # lognorm(s_y, loc=0, scale=e^{m_y})
    my, sy = np.log(law_y.kwds["scale"]), law_y.args[0]
    mr, sr = m.price_params_["mu"], m.price_params_["sigma"]
    K = theta * m.expected_yield_

    # rate = E[(θμ·max(1, R) − Y·R)₊] / (θμ) = ∫∫ (max(1, r) − y·r/K)₊ f_Y(y) φ(z) dy dz with
    # r = e^{mr + sr z}: outer over the normal score z of R (split at r = 1, the option's kink),
    # inner over y from 0 to the break-even yield K·max(1, r)/r
    def integrand(y, z):
        r = math.exp(mr + sr * z)
        fy = math.exp(-0.5 * ((math.log(y) - my) / sy) ** 2) / (y * sy * SQRT_2PI)
        return ((max(1.0, r) if hpo else 1.0) - y * r / K) * fy * math.exp(-0.5 * z * z) / SQRT_2PI

    def top(z):
        r = math.exp(mr + sr * z)
        return K * (max(1.0, r) if hpo else 1.0) / r

    kink = -mr / sr
    parts = [integrate.dblquad(integrand, a, b, 1e-9, top, epsabs=1e-11, epsrel=1e-8)
             for a, b in ((-8.5, kink), (kink, 8.5))]
    exact = sum(p[0] for p in parts)
    rate, se = m.rate(theta, harvest_price_option=hpo, return_se=True)
    assert max(p[1] for p in parts) < 1e-8 and 0.005 < exact < 0.2
    assert abs(rate - exact) < 4 * se, (rate, exact, se)


def test_gaussian_copula_lognormal_marginals_equal_the_closed_form_put(lognormal_model):
    # Y = e^{m_y + s_y Z1}, R = e^{m_r + s_r Z2}, corr(Z1, Z2) = ρ: Y·R is lognormal with
    # M = m_y + m_r, S² = s_y² + s_r² + 2ρ s_y s_r, and without the harvest-price option
    # E[(K − YR)₊] = K Φ((ln K − M)/S) − e^{M + S²/2} Φ((ln K − M − S²)/S)   (Black put)
    for rho in (-0.5, 0.0, 0.4):
        m = lognormal_model.with_copula("gaussian", parameter=rho)
        law = m.yield_model_.dist_                      # lognorm(s_y, loc=0, scale=e^{m_y})
        s_y, scale = law.args[0], law.kwds["scale"]
        M = np.log(scale) + m.price_params_["mu"]
        sr = m.price_params_["sigma"]
        S = np.sqrt(s_y**2 + sr**2 + 2 * rho * s_y * sr)
        for theta in (0.8, 0.9):
            K = theta * m.expected_yield_
            put = K * stats.norm.cdf((np.log(K) - M) / S) - \
                np.exp(M + S**2 / 2) * stats.norm.cdf((np.log(K) - M - S**2) / S)
            rate, se = m.rate(theta, harvest_price_option=False, return_se=True)
            assert abs(rate - put / K) < 4 * se, (rho, theta, rate, put / K, se)


def test_negative_dependence_lowers_the_rate(lognormal_model):
    rates = {rho: lognormal_model.with_copula("gaussian", parameter=rho).rate(
        [0.8, 0.9], harvest_price_option=False) for rho in (-0.6, 0.0, 0.6)}
    assert np.all(rates[-0.6] < rates[0.0]) and np.all(rates[0.0] < rates[0.6])
    ind = lognormal_model.with_copula("independence").rate([0.8, 0.9], True)
    neg = lognormal_model.with_copula("gaussian", parameter=-0.6).rate([0.8, 0.9], True)
    assert np.all(neg < ind)                      # with the harvest-price option too
    # the fitted model (ρ̂ < 0) shows the hedge in its summary
    s = lognormal_model.summary([0.75, 0.85])
    assert lognormal_model.copula_.tau < 0 and np.all(s["natural_hedge"] > 0)


# ----------------------------------------------------------------------------- properties
_PROPERTY_MODEL = RevenueModel(density="kde", draws=3_000).fit(*_history(n=25, seed=2))


@settings(max_examples=20)
@given(theta=st.floats(0.5, 1.0), rho=st.floats(-0.9, 0.9))
def test_harvest_price_option_never_cheaper(theta, rho):
    # the option raises the guarantee draw by draw (same draws): never a lower rate; and the
    # rate, a share of θμP_p, grows with θ ((θc − x)₊/θ = (c − x/θ)₊)
    m = _PROPERTY_MODEL.with_copula("gaussian", parameter=rho)
    levels = [theta, min(theta + 0.05, 1.0)]
    base = m.rate(levels, harvest_price_option=False)
    hpo = m.rate(levels, harvest_price_option=True)
    assert np.all(hpo >= base) and np.all(np.diff(base) >= 0) and np.all(np.diff(hpo) >= 0)
    assert np.all(base >= 0)


def test_rate_goes_through_the_revenue_cover_formula(lognormal_model):
    y, ph = lognormal_model.simulate()
    cover = RevenueCover(lognormal_model.expected_yield_, 0.8, lognormal_model.projected_price_,
                         harvest_price_option=True)
    assert lognormal_model.rate(0.8) == pytest.approx(cover.burn_rate(y, ph), rel=1e-12)
    assert lognormal_model.expected_indemnity(0.8) == pytest.approx(
        lognormal_model.rate(0.8) * float(cover.sum_insured), rel=1e-12)


def test_seeded_determinism():
    years, y, pp, ph = _history(n=30, seed=9)
    a = RevenueModel(draws=10_000, seed=123).fit(years, y, pp, ph)
    b = RevenueModel(draws=10_000, seed=123).fit(years, y, pp, ph)
    c = RevenueModel(draws=10_000, seed=124).fit(years, y, pp, ph)
    assert a.rate([0.7, 0.8, 0.9]).tolist() == b.rate([0.7, 0.8, 0.9]).tolist()
    r, se = a.rate(0.85, return_se=True)
    assert c.rate(0.85) != r and abs(c.rate(0.85) - r) < 6 * se
    assert RevenueModel(draws=10_000).fit(years, y, pp, ph).seed == 20240614


def test_yield_quantile_inverts_each_law():
    years, y, _, _ = _history(n=30, seed=4)
    p = np.array([0.01, 0.3, 0.5, 0.9, 0.999])
    for density in ("kde", "lognormal", "weibull", "empirical"):
        m = YieldModel(density=density).fit(years, y)
        q = yield_quantile(m, p)
        if density == "empirical":      # the step inverse: F(q) ≥ p > F(q⁻)
            assert np.all(m.cdf(q) >= p) and np.all(m.cdf(q - 1e-9) < p)
        else:
            assert np.allclose(m.cdf(q), p, atol=1e-10)


def test_price_volatility_gives_the_implied_martingale_law():
    years, y, pp, ph = _history(n=20)
    m = RevenueModel(price_volatility=0.2, draws=2_000).fit(years, y, pp, ph)
    assert m.price_params_["law"] == "lognormal (implied volatility)"
    assert m.price_params_["mu"] == pytest.approx(-0.02, rel=1e-14)
    assert m.price_params_["sigma"] == 0.2
    assert m.price_ratio_quantile(0.5) == pytest.approx(np.exp(-0.02), rel=1e-12)
    e = RevenueModel(price_law="empirical", draws=2_000).fit(years, y, pp, ph)
    assert set(np.unique(e.simulate()[1] / e.projected_price_)) <= set(ph / pp)


# ----------------------------------------------------------------------------- bundled data
def test_bundled_example_and_its_fit():
    d = load_revenue_example()
    assert d.equals(load_revenue_example()) and d.shape == (30, 6)
    # pinned first row: a change in the generator or numpy's stream shows here
    assert d.iloc[0][["yield", "projected_price", "harvest_price"]].tolist() == \
        [358.6, 1.2, 0.874]
    assert truth()["kendall_tau"] == pytest.approx(-1 / 3)
    assert not generate_revenue_example(seed=1).equals(d)
    m = RevenueModel(draws=20_000).fit(d["year"], d["yield"], d["projected_price"],
                                       d["harvest_price"])
    s = m.summary([0.8, 0.9])
    assert m.copula_.tau < 0 and np.all(s["natural_hedge"] > 0)
    assert np.all(s["rate_harvest_option"] >= s["rate"])
    assert set(s.attrs) >= {"copula", "sample_tau", "price_law", "copulas", "seed"}
    ax = m.plot(draws=300)
    assert len(ax.collections) == 2 and ax.get_xlim() == (0.0, 1.0)


# ----------------------------------------------------------------------------- bad input
def test_bad_input_raises_parameter_error():
    years, y, pp, ph = _history(n=20)
    m = RevenueModel(draws=2_000)
    with pytest.raises(ParameterError, match="same length"):
        m.fit(years, y, pp[:-1], ph)
    with pytest.raises(ParameterError, match="positive"):
        m.fit(years, y, np.where(years == years[3], 0.0, pp), ph)
    with pytest.raises(ParameterError, match="positive"):
        m.fit(years, y, pp, -ph)
    with pytest.raises(ParameterError, match="at least 10"):
        m.fit(years[:8], y[:8], pp[:8], ph[:8])
    with pytest.raises(ParameterError, match="not fitted"):
        RevenueModel().rate(0.8)
    for bad in ({"copula": "student"}, {"price_law": "gamma"}, {"seed": None},
                {"draws": 10}, {"price_volatility": -0.1},
                {"price_law": "empirical", "price_volatility": 0.2}):
        with pytest.raises(ParameterError):
            RevenueModel(**{"draws": 2_000, **bad}).fit(years, y, pp, ph)
    fitted = m.fit(years, y, pp, ph)
    with pytest.raises(ParameterError, match="coverage_level"):
        fitted.rate(1.7)
    with pytest.raises(ParameterError):
        CopulaFit("clayton", 45, 1.0)
    with pytest.raises(ParameterError):
        CopulaFit("gumbel", 0, 0.5)                # Gumbel θ ≥ 1


# ----------------------------------------------------------------------------- GRP
def test_grp_payment_factor_against_a_hand_computation():
    # A GRP sales worksheet for corn (Group Risk Protection brochure, Dick Sims Inc.): expected
    # county yield 140 bu/acre × coverage 90 % = trigger 126; price $4.50 × 140 × factor 1.5 =
    # $945 maximum protection, 100 % of it chosen; payment yield 110. By hand:
    # payment factor = (126 − 110)/126 = 0.126984…, indemnity = 945 × 16/126 = $120.00.
    g = AreaYieldCover.grp(140.0, coverage_level=0.9, price=4.5, protection_factor=1.5)
    assert float(g.trigger) == 126.0 and float(g.liability) == 945.0
    county = np.array([110.0, 126.0, 150.0, 63.0, 0.0])
    assert np.allclose(g.payment_factor(county), [16 / 126, 0.0, 0.0, 0.5, 1.0], rtol=1e-15)
    assert np.allclose(g.pay(county), [120.0, 0.0, 0.0, 472.5, 945.0], rtol=1e-14)
    # 60 % of the maximum protection (factor 0.9): indemnity scales, the factor does not
    g9 = AreaYieldCover.grp(140.0, 0.9, 4.5, protection_factor=0.9)
    assert float(g9.pay(110.0)) == pytest.approx(0.9 * 140 * 4.5 * 16 / 126, rel=1e-14)


def test_grp_rate_from_the_yield_model():
    years, y, _, _ = _history(n=30, seed=8)
    for density in ("empirical", "kde"):
        model = YieldModel(density=density).fit(years, y)
        mu = model.expected_yield_
        for theta in (0.7, 0.8, 0.9):
            rates = [AreaYieldCover.grp(mu, theta, price=2.3, protection_factor=pf)
                     .pure_rate(model) for pf in (0.6, 1.0, 1.5)]
            assert np.allclose(rates, rates[0], rtol=1e-12)   # rate free of the protection
            assert rates[0] == pytest.approx(model.premium_rate(theta), rel=1e-12)
            if density == "empirical":                   # E[(T − Y)₊/T] over the history
                T = theta * mu
                by_hand = np.mean(np.maximum(T - model.adjusted_yields_, 0) / T)
                assert rates[0] == pytest.approx(by_hand, rel=1e-12)


@pytest.mark.parametrize("kwargs", [{"protection_factor": 1.6}, {"protection_factor": 0.0},
                                    {"protection_factor": -1.0},
                                    {"protection_factor": float("nan")},
                                    {"coverage_level": 0.95}, {"coverage_level": 0.6},
                                    {"price": 0.0}])
def test_grp_bad_terms(kwargs):
    with pytest.raises(ParameterError):
        AreaYieldCover.grp(140.0, **{"coverage_level": 0.9, "price": 4.5, **kwargs})
    if "protection_factor" in kwargs:
        with pytest.raises(ParameterError, match="protection_factor"):
            AreaYieldCover(140.0, 0.9, 945.0, protection_factor=kwargs["protection_factor"])
