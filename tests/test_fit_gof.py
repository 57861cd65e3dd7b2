"""Goodness of fit, family comparison and QQ/PP plots for truncated and censored severities."""

from __future__ import annotations

import math
import warnings

import matplotlib
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import integrate, stats

from puhui.errors import ParameterError
from puhui.losses.fit import SeverityFitter
from puhui.losses.fit_compare import compare_fits
from puhui.losses.fit_gof import (
    ad_statistic,
    gof_statistics,
    kaplan_meier,
    ks_statistic,
    pit,
    product_limit,
)
from puhui.losses.fit_likelihood import as_severity_data
from puhui.losses.fit_plots import plotting_positions, pp_plot, qq_plot

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


def _classic_ad(u):
    """Textbook Anderson–Darling sum for a complete sample of uniforms."""
    u = np.sort(u)
    n = u.size
    i = np.arange(1, n + 1)
    return -n - np.mean((2 * i - 1) * (np.log(u) + np.log1p(-u[::-1])))


# ------------------------------------------------------------------------------ Kaplan–Meier
def test_kaplan_meier_matches_scipy_ecdf():
    rng = np.random.default_rng(1)
    t = rng.exponential(size=300).round(2)  # ties on purpose
    event = rng.uniform(size=300) < 0.7
    times, cdf = kaplan_meier(t, event)
    ref = stats.ecdf(stats.CensoredData(uncensored=t[event], right=t[~event]))
    assert np.array_equal(times, np.unique(t[event]))
    assert np.allclose(cdf, ref.cdf.evaluate(times), rtol=1e-12, atol=1e-14)


def test_weighted_kaplan_meier_matches_lifelines():
    lifelines = pytest.importorskip("lifelines")
    rng = np.random.default_rng(2)
    t = rng.exponential(size=200).round(2)
    event = rng.uniform(size=200) < 0.8
    w = rng.integers(1, 5, size=200).astype(float)
    times, cdf = kaplan_meier(t, event, w)
    km = lifelines.KaplanMeierFitter().fit(t, event_observed=event, weights=w)
    ref = 1.0 - km.survival_function_at_times(times).to_numpy()
    assert np.allclose(cdf, ref, rtol=1e-10, atol=1e-12)


# 6-MP arm of the Freireich et al. (1963) leukaemia trial, remission weeks, 0 = censored.
# Klein & Moeschberger, Survival Analysis (2nd ed. 2003), Table 4.1A: Ŝ(t) and its Greenwood
# standard error at the seven relapse times.
SIX_MP_WEEKS = [6, 6, 6, 6, 7, 9, 10, 10, 11, 13, 16, 17, 19, 20, 22, 23, 25, 32, 32, 34, 35]
SIX_MP_RELAPSE = [1, 1, 1, 0, 1, 0, 1, 0, 0, 1, 1, 0, 0, 0, 1, 1, 0, 0, 0, 0, 0]
SIX_MP_TABLE = {6: (0.857, 0.076), 7: (0.807, 0.087), 10: (0.753, 0.096), 13: (0.690, 0.107),
                16: (0.627, 0.114), 22: (0.538, 0.128), 23: (0.448, 0.135)}


def test_product_limit_reproduces_the_published_6mp_table():
    pl = product_limit(SIX_MP_WEEKS, SIX_MP_RELAPSE)
    rows = pl.events > 0
    assert pl.time[rows].tolist() == list(SIX_MP_TABLE)
    s_pub, se_pub = np.array(list(SIX_MP_TABLE.values())).T
    np.testing.assert_allclose(pl.survival[rows], s_pub, atol=5e-4)      # 3 decimals printed
    np.testing.assert_allclose(pl.survival[rows] * np.sqrt(pl.greenwood[rows]), se_pub,
                               atol=5e-4)
    # by hand: 21 at risk and 3 relapses at week 6 (the censored 6 is at risk: events first),
    # 17 at risk and 1 relapse at week 7
    assert pl.survival[0] == pytest.approx(18 / 21, rel=1e-15)
    assert pl.sf(7.5) == pytest.approx(18 / 21 * 16 / 17, rel=1e-15)
    assert pl.at_risk[rows].tolist() == [21, 17, 15, 12, 11, 7, 6]
    assert pl.median() == 23.0  # Ŝ first falls to ≤ 1/2 at 23 weeks (0.448)
    times, cdf = kaplan_meier(SIX_MP_WEEKS, SIX_MP_RELAPSE)
    np.testing.assert_array_equal(cdf, 1 - pl.survival[rows])


def _lifelines_km(t, event, entry, weights, alpha=0.05):
    from lifelines import KaplanMeierFitter

    return KaplanMeierFitter(alpha=alpha).fit(t, event, entry=entry, weights=weights)


def test_product_limit_equals_lifelines_with_left_truncation_weights_and_ties():
    pytest.importorskip("lifelines")
    rng = np.random.default_rng(7)
    n = 600
    entry = rng.uniform(0, 3, n).round(1)
    t = np.maximum(entry + rng.exponential(4.0, n), entry + 0.1).round(1)   # ties on purpose
    event = rng.uniform(size=n) < 0.75
    w = rng.integers(1, 4, n).astype(float)      # whole weights: lifelines' variance needs them
    t[:20] = entry[:20]                          # censored at entry: never at risk
    event[:20] = False
    pl = product_limit(t, event, w, entry=entry)
    ref = _lifelines_km(t, event, entry, w, alpha=0.1)
    np.testing.assert_array_equal(pl.time, ref.survival_function_.index.to_numpy(float))
    np.testing.assert_allclose(pl.survival, ref.survival_function_.iloc[:, 0], rtol=1e-12,
                               atol=1e-15)
    lo, hi = pl.confidence_interval(0.1)
    np.testing.assert_allclose(lo, ref.confidence_interval_.iloc[:, 0], rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(hi, ref.confidence_interval_.iloc[:, 1], rtol=1e-12, atol=1e-15)
    et = ref.event_table
    np.testing.assert_array_equal(pl.events, et["observed"])
    np.testing.assert_array_equal(pl.censored, et["censored"])
    np.testing.assert_array_equal(pl.entered, et["entrance"])
    # lifelines' at_risk counts the entries at t_j; the product's risk set does not
    np.testing.assert_array_equal(pl.at_risk[1:], (et["at_risk"] - et["entrance"]).to_numpy()[1:])
    assert pl.median() == ref.median_survival_time_


@settings(max_examples=30)
@given(st.lists(st.tuples(st.integers(0, 6), st.integers(1, 6), st.booleans(),
                          st.integers(1, 3)), min_size=1, max_size=25))
def test_whole_weights_are_repeated_lives(rows):
    # a weight k is k identical lives; entry < exit (an event exactly at entry is refused)
    entry = np.array([r[0] for r in rows], float)
    t = entry + np.array([r[1] for r in rows], float)
    event = np.array([r[2] for r in rows])
    w = np.array([r[3] for r in rows])
    try:
        weighted = product_limit(t, event, w.astype(float), entry=entry)
    except ParameterError as err:              # lifelines' early-gap guard: the same for both
        with pytest.raises(ParameterError, match="under observation"):
            product_limit(np.repeat(t, w), np.repeat(event, w), entry=np.repeat(entry, w))
        assert "under observation" in str(err)
        return
    repeated = product_limit(np.repeat(t, w), np.repeat(event, w), entry=np.repeat(entry, w))
    np.testing.assert_array_equal(weighted.time, repeated.time)
    np.testing.assert_allclose(weighted.survival, repeated.survival, rtol=1e-14, atol=0)
    np.testing.assert_allclose(weighted.greenwood, repeated.greenwood, rtol=1e-14, atol=0)
    # and the curve is a survival function: starts ≤ 1, never rises, stays ≥ 0
    assert np.all(np.diff(weighted.survival) <= 0) and weighted.survival.min() >= 0
    # without truncation (all enter before the first exit) the risk set is every exit ≥ t
    free = product_limit(t, event, w.astype(float))
    early = product_limit(t, event, w.astype(float), entry=np.full(t.size, -1.0))
    np.testing.assert_array_equal(free.survival, early.survival[1:])


def test_product_limit_refuses_bad_input():
    with pytest.raises(ParameterError, match="≤ the exit"):
        product_limit([1.0, 2.0], [True, True], entry=[0.0, 3.0])
    with pytest.raises(ParameterError, match="entry time"):
        product_limit([1.0, 2.0], [True, True], entry=[0.0, 2.0])
    with pytest.raises(ParameterError, match="weights"):
        product_limit([1.0, 2.0], [True, True], [1.0, -1.0])
    with pytest.raises(ParameterError, match="NaN"):
        product_limit([1.0, np.nan], [True, True])
    with pytest.raises(ParameterError, match="same length"):
        product_limit([1.0, 2.0], [True])
    with pytest.raises(ParameterError, match="alpha"):
        product_limit([1.0, 2.0], [True, True]).confidence_interval(1.5)
    # nobody under observation early while later lives enter (lifelines raises here too)
    with pytest.raises(ParameterError, match="under observation"):
        product_limit([1.0, 5.0, 6.0, 7.0], [True, True, True, True],
                      entry=[0.0, 4.0, 4.0, 4.0])


# ------------------------------------------------------------------------ KS and AD statistics
def test_complete_data_statistics_are_the_classical_ones():
    x = stats.gamma(2.0).rvs(size=250, random_state=3)
    dist = stats.gamma(2.2, scale=0.9)
    w, log1m = pit(dist, x, 0.0)
    event = np.ones(x.size, bool)
    assert ks_statistic(w, log1m, event) == pytest.approx(stats.kstest(x, dist.cdf).statistic,
                                                          rel=1e-12)
    assert ad_statistic(w, log1m, event) == pytest.approx(_classic_ad(dist.cdf(x)), rel=1e-10)


def test_mixed_truncation_uses_each_conditional_cdf():
    # with truncation only, the statistics are the classical ones on the transformed sample
    # u_i = (F(x_i) − F(d_i)) / S(d_i), computed here directly from cdf/sf
    rng = np.random.default_rng(4)
    dist = stats.lognorm(1.0, scale=1000.0)
    x = dist.rvs(size=4000, random_state=rng)
    d = rng.choice([0.0, 300.0, 800.0], size=x.size)
    x, d = x[x > d], d[x > d]
    u = (dist.cdf(x) - dist.cdf(d)) / dist.sf(d)
    data = as_severity_data(x, d)
    got = gof_statistics(dist, data)
    assert got["ks"] == pytest.approx(stats.kstest(u, "uniform").statistic, rel=1e-9)
    assert got["ad"] == pytest.approx(_classic_ad(u), rel=1e-8)
    # and under the true law the transformed sample is uniform: a small KS distance
    assert got["ks"] < 1.63 / np.sqrt(x.size)  # 1% critical value of the KS test


def test_truncated_censored_statistics_match_loss_models_integrals():
    # Loss Models (Klugman, Panjer & Willmot), §16.4: with deductible d and limit u,
    # D = max_{d ≤ x ≤ u} |F_n(x) − F*(x)| and A² = n ∫_d^u (F_n − F*)² / (F*(1 − F*)) dF*
    # with F*(x) = (F(x) − F(d)) / S(d) and F_n the empirical cdf (all n observations in the
    # denominator). Both are computed here on the loss scale by brute force and quadrature.
    d, u = 200.0, 3000.0
    law = stats.weibull_min(0.9, scale=1000.0)
    x = law.rvs(size=400, random_state=5)
    x = x[x > d]
    c = x >= u
    x = np.minimum(x, u)
    n = x.size
    model = stats.weibull_min(0.95, scale=950.0)  # a slightly wrong model

    def f_star(t):
        return (model.cdf(t) - model.cdf(d)) / model.sf(d)

    exact = np.sort(x[~c])

    def f_n(t):
        return np.searchsorted(exact, t, side="right") / n

    grid = np.sort(np.concatenate([np.linspace(d, u, 20001), exact, exact - 1e-9]))
    grid = grid[(grid >= d) & (grid <= u)]
    ks_ref = np.max(np.abs(f_n(grid) - f_star(grid)))
    pieces = np.concatenate([[d], exact, [u]])
    ad_ref = 0.0
    # the Weibull(0.95, 950) cdf and density written out with math (checked against scipy),
    # since quad calls the integrand thousands of times
    k_, lam = 0.95, 950.0
    sf_d = math.exp(-((d / lam) ** k_))

    def fs(t):
        return (sf_d - math.exp(-((t / lam) ** k_))) / sf_d

    def pdf(t):
        return k_ / lam * (t / lam) ** (k_ - 1) * math.exp(-((t / lam) ** k_))

    for t in (d, 500.0, 1500.0, u):
        assert fs(t) == pytest.approx(float(f_star(t)), rel=1e-12, abs=1e-15)
        assert pdf(t) == pytest.approx(float(model.pdf(t)), rel=1e-12)

    def integrand(t, fa):
        f = fs(t)
        return (fa - f) ** 2 / (f * (1 - f)) * pdf(t) / sf_d

    for a, b in zip(pieces[:-1], pieces[1:], strict=True):
        val, _ = integrate.quad(integrand, a, b, args=(f_n(a),), epsabs=1e-13, epsrel=1e-11,
                                limit=200)
        ad_ref += val
    ad_ref *= n
    got = gof_statistics(model, as_severity_data(x, d, c))
    assert got["ks"] == pytest.approx(ks_ref, abs=2e-6)
    assert got["ad"] == pytest.approx(ad_ref, rel=1e-6)


# ------------------------------------------------------------------------------- compare_fits
@pytest.fixture(scope="module")
def lognormal_claims():
    """Seeded 惠民保-like claims: lognormal ground-up costs, 起付线 of 0 / 5,000 / 10,000 yuan,
    封顶线 of 200,000 or 500,000 yuan."""
    rng = np.random.default_rng(6)
    x = stats.lognorm(1.3, scale=8000.0).rvs(size=9000, random_state=rng)
    d = rng.choice([0.0, 5000.0, 10000.0], size=x.size)
    u = rng.choice([200000.0, 500000.0], size=x.size)
    x, d, u = x[x > d], d[x > d], u[x > d]
    c = x >= u
    return np.minimum(x, u), d, c


def test_compare_fits_table(lognormal_claims):
    x, d, c = lognormal_claims
    table, fitters = compare_fits(x, truncation=d, censored=c, return_fitters=True)
    assert set(table.index) == {"expon", "gamma", "lognorm", "weibull_min", "lomax",
                                "genpareto", "fisk", "burr12"}
    assert list(table.columns) == ["label", "k", "loglik", "aic", "bic", "delta_aic", "ks", "ad",
                                   "converged", "params"]
    assert table["aic"].is_monotonic_increasing
    assert table.index[0] == "lognorm"  # the law that made the data
    n = x.size
    for fam, row in table.iterrows():
        f = fitters[fam]
        assert row["loglik"] == f.loglik_ and row["k"] == f.k_
        assert row["aic"] == pytest.approx(2 * row["k"] - 2 * row["loglik"])
        assert row["bic"] == pytest.approx(row["k"] * np.log(n) - 2 * row["loglik"])
        assert row["params"] == f.params_
        gof = gof_statistics(f.dist_, f.data_)
        assert row["ks"] == gof["ks"] and row["ad"] == gof["ad"]
    assert table["delta_aic"].iloc[0] == 0.0
    # the true law is also the closest by the distribution-free statistics
    assert table["ad"].idxmin() in {"lognorm", "burr12"}
    # nested families: the bigger model never has a lower maximised likelihood
    ll = table["loglik"]
    assert ll["gamma"] >= ll["expon"] - 1e-6 and ll["weibull_min"] >= ll["expon"] - 1e-6
    assert ll["burr12"] >= ll["lomax"] - 1e-6 and ll["burr12"] >= ll["fisk"] - 1e-6


def test_compare_fits_keeps_going_when_a_family_fails(monkeypatch, lognormal_claims):
    x, d, c = lognormal_claims
    original = SeverityFitter.fit

    def failing(self, *args, **kwargs):
        if self.family == "gamma":
            raise ParameterError("x: the gamma likelihood is not finite at any starting point")
        return original(self, *args, **kwargs)

    monkeypatch.setattr(SeverityFitter, "fit", failing)
    with pytest.warns(UserWarning, match="gamma could not be fitted"):
        table = compare_fits(x[:500], ["lognorm", "gamma", "expon"], truncation=d[:500],
                             censored=c[:500])
    assert table.index[-1] == "gamma" and np.isnan(table.loc["gamma", "aic"])
    assert not table.loc["gamma", "converged"]
    assert table.loc[["lognorm", "expon"], "aic"].notna().all()


@pytest.mark.parametrize(("families", "rule"), [("lognorm", "list"), ([], "non-empty"),
                                                (["lognorm", "lognormal"], "twice"),
                                                (["cauchy"], "unknown")])
def test_compare_fits_bad_families(families, rule):
    with pytest.raises(ParameterError, match=rule):
        compare_fits([1.0, 2.0, 3.0], families)


# --------------------------------------------------------------------------------- QQ and PP
def test_plotting_positions_complete_data_are_hazen():
    x = stats.gamma(2.0, scale=100.0).rvs(size=50, random_state=7)
    f = SeverityFitter("gamma").fit(x)
    pos = plotting_positions(f)
    n = x.size
    assert np.allclose(pos["p"], (np.arange(1, n + 1) - 0.5) / n)
    assert np.allclose(pos["x"], np.sort(x))
    assert np.allclose(pos["q"], f.dist_.ppf(pos["p"]), rtol=1e-9)


def test_plotting_positions_respect_truncation(lognormal_claims):
    x, d, c = lognormal_claims
    f = SeverityFitter("lognorm").fit(x, truncation=d, censored=c)
    pos = plotting_positions(f)
    assert pos["x"].size == (~c).sum()
    # q is the conditional quantile: (F(q) − F(d)) / S(d) = p for each loss's own deductible
    dist = f.dist_
    cond = (dist.cdf(pos["q"]) - dist.cdf(pos["truncation"])) / dist.sf(pos["truncation"])
    assert np.allclose(cond, pos["p"], rtol=1e-8)
    assert (pos["q"] >= pos["truncation"]).all()
    # a good fit: the PP points hug the diagonal
    assert np.max(np.abs(pos["w"] - pos["p"])) < 0.03


def test_qq_and_pp_plots_draw_on_given_axes(lognormal_claims):
    x, d, c = lognormal_claims
    f = SeverityFitter("lognorm").fit(x, truncation=d, censored=c)
    fig, axes = plt.subplots(1, 2)
    try:
        assert qq_plot(f, ax=axes[0]) is axes[0]
        assert pp_plot(f, ax=axes[1]) is axes[1]
        pts = axes[1].collections[0].get_offsets()
        assert len(pts) == (~c).sum()
        assert axes[0].get_xscale() == "log" and axes[0].get_xlabel()
        assert axes[1].get_xlim() == (0.0, 1.0)
    finally:
        plt.close(fig)
    ax = qq_plot(f, log=False)
    assert ax.get_xscale() == "linear"
    plt.close(ax.figure)


def test_plots_need_a_fitted_fitter():
    with pytest.raises(ParameterError, match="fit"):
        qq_plot(SeverityFitter("lognorm"))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(ParameterError, match="fit"):
            pp_plot(object())


# ------------------------------------------------------------------------------ the docs page
def test_docs_example_runs_and_prints_what_the_page_shows(capsys):
    import re
    from pathlib import Path

    page = Path(__file__).resolve().parents[1] / "docs" / "severity_fitting.md"
    text = page.read_text(encoding="utf-8")
    code = re.search(r"```python\n(.*?)```", text, re.S).group(1)
    shown = re.search(r"Output \(.*?\):\n\n```\n(.*?)```", text, re.S).group(1)
    exec(compile(code, str(page), "exec"), {})
    plt.close("all")
    printed = capsys.readouterr().out
    # Compare line by line, word by word (ignoring the blanks pandas pads with). Numbers must agree
    # to 1e-6 relative, not to the last printed digit: standard errors come from a finite-
    # difference Hessian (statsmodels approx_hess3) whose round-off moves the 8th significant
    # digit between machines (1135.7988 vs 1135.7992 seen on two machines with the same wheels).
    got = [line.split() for line in printed.strip().splitlines()]
    want = [line.split() for line in shown.strip().splitlines()]
    assert [len(w) for w in got] == [len(w) for w in want], printed

    def same(a: str, b: str) -> bool:
        try:
            x, y = float(a.strip("{},':")), float(b.strip("{},':"))
        except ValueError:
            return a == b
        return abs(x - y) <= 1e-6 * max(abs(x), abs(y), 1e-300)

    bad = [(g, w) for gl, wl in zip(got, want, strict=True) for g, w in zip(gl, wl, strict=True)
           if not same(g, w)]
    assert not bad, bad
