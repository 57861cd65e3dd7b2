"""Price-index design helpers: target price, strike grid, revenue basis risk (puhui.agri)."""

from __future__ import annotations

import shutil
import subprocess

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from puhui.agri.basis import basis_risk
from puhui.agri.price_index import (
    PriceIndexCover,
    average_prices,
    revenue_basis,
    strike_grid,
    target_prices,
)
from puhui.errors import ParameterError
from puhui.losses import Empirical, fit_severity


def _averages():
    return pd.DataFrame({
        "market": ["a"] * 6 + ["b"] * 4,
        "product": "茭白",
        "year": [2015, 2016, 2017, 2018, 2019, 2020, 2016, 2017, 2019, 2020],
        "average_price": [2.0, 3.0, 4.0, 5.0, 9.0, 1.0, 2.0, 4.0, 6.0, 8.0]})


def test_target_price_is_the_trailing_average_by_series_and_year():
    t = target_prices(_averages(), 3)
    a = t[t["market"] == "a"].set_index("year")
    # T_2018 = (2 + 3 + 4)/3, T_2019 = (3 + 4 + 5)/3, T_2020 = (4 + 5 + 9)/3
    np.testing.assert_allclose(a["target_price"].loc[2018:].to_numpy(), [3.0, 4.0, 6.0])
    assert a["target_price"].loc[:2017].isna().all()
    np.testing.assert_allclose(a["price_ratio"].loc[2020], 1.0 / 6.0)
    # market b has no 2018: a gap leaves no full 3-year history, so no target (not a guess)
    assert t.loc[t["market"] == "b", "target_price"].isna().all()
    # two years: every b year lacks one of its two previous years (2015, 2018 missing)
    b2 = target_prices(_averages(), 2)
    assert b2.loc[b2["market"] == "b", "target_price"].isna().all()
    np.testing.assert_allclose(b2.loc[b2["market"] == "a", "target_price"].dropna(),
                               [2.5, 3.5, 4.5, 7.0])


def test_target_price_olympic_and_trended():
    a = _averages()[lambda d: d["market"] == "a"]
    o = target_prices(a, 5, method="olympic").set_index("year")
    # 2020: previous five 2, 3, 4, 5, 9 → drop 2 and 9 → (3 + 4 + 5)/3
    assert o.loc[2020, "target_price"] == pytest.approx(4.0)
    g = target_prices(a, 3, trend=0.10).set_index("year")
    # T_2018 = (4·1.1 + 3·1.1² + 2·1.1³)/3
    assert g.loc[2018, "target_price"] == pytest.approx((4 * 1.1 + 3 * 1.21 + 2 * 1.331) / 3)
    # one year with no trend is the previous year's price, as average_prices reports it
    prev = target_prices(a, 1).set_index("year")
    assert prev.loc[2016:, "target_price"].tolist() == [2.0, 3.0, 4.0, 5.0, 9.0]


def test_target_price_rejects_bad_input():
    a = _averages()
    with pytest.raises(ParameterError, match="years"):
        target_prices(a, 0)
    with pytest.raises(ParameterError, match="Olympic"):
        target_prices(a, 2, method="olympic")
    with pytest.raises(ParameterError, match="method"):
        target_prices(a, 3, method="median")
    with pytest.raises(ParameterError, match="trend"):
        target_prices(a, 3, trend=-1.0)
    with pytest.raises(ParameterError, match="> 0"):
        target_prices(a.assign(average_price=a["average_price"].where(a["year"] != 2017)), 3)
    with pytest.raises(ParameterError, match="one row per"):
        target_prices(pd.concat([a, a.iloc[:1]]), 3)
    with pytest.raises(ParameterError, match="columns"):
        target_prices(a.drop(columns="year"), 3)


def test_average_prices_accepts_a_concatenated_table():
    # two markets concatenated without a new index used to crash (duplicate index labels)
    one = pd.DataFrame({"market": "m", "product": "茭白", "price": [3.0, 5.0],
                        "date": pd.to_datetime(["2023-05-01", "2023-05-02"])})
    both = pd.concat([one, one.assign(market="n", price=[1.0, 2.0])])
    out = average_prices(both, "05-01", "05-31")
    assert out["average_price"].tolist() == [4.0, 1.5]


def test_strike_grid_on_the_burn_years_is_the_burn_cost_of_the_cover():
    rng = np.random.default_rng(3)
    ratios = np.exp(rng.normal(0.05, 0.3, 25))
    target, q = 4.2, 1000.0
    strikes = np.array([0.6, 0.75, 0.8, 0.9, 1.0, 1.2])
    g = strike_grid(Empirical(ratios), strikes, target_price=target, insured_quantity=q)
    for s, row in zip(strikes, g.itertuples(), strict=True):
        cover = PriceIndexCover(target_price=s * target, insured_quantity=q)
        pays = cover.pay(ratios * target)
        assert row.expected_payout == pytest.approx(pays.mean(), rel=1e-12)
        assert row.pure_rate == pytest.approx(cover.burn_rate(ratios * target), rel=1e-12)
        assert row.p_payout == pytest.approx((pays > 0).mean())
        assert row.payout_sd == pytest.approx(pays.std(), rel=1e-9)
        assert row.sum_insured == pytest.approx(float(cover.sum_insured))
    # a strike exactly at an observed ratio: that year pays nothing (R < s is strict)
    at = strike_grid(Empirical([0.5, 0.8, 1.0]), [0.8])
    assert at["p_payout"].iloc[0] == pytest.approx(1 / 3)
    assert at["expected_payout"].iloc[0] == pytest.approx(0.3 / 3)


def test_strike_grid_lognormal_matches_black_put_and_actuar():
    # E[(s − R)₊] for log R ~ N(m, σ²): s Φ(−d₂) − F Φ(−d₁), F = e^{m + σ²/2},
    # d₁ = (ln(F/s) + σ²/2)/σ, d₂ = d₁ − σ (Black 1976, undiscounted put) — an independent
    # closed form, against the layer algebra on scipy's lognormal.
    m, sig = 0.06, 0.3
    law = stats.lognorm(sig, scale=np.exp(m))
    s = np.array([0.7, 0.8, 1.0])
    g = strike_grid(law, s)
    f = np.exp(m + sig**2 / 2)
    d1 = (np.log(f / s) + sig**2 / 2) / sig
    put = s * stats.norm.cdf(-(d1 - sig)) - f * stats.norm.cdf(-d1)
    np.testing.assert_allclose(g["expected_payout"], put, rtol=1e-10)
    np.testing.assert_allclose(g["p_payout"], stats.norm.cdf((np.log(s) - m) / sig), rtol=1e-12)
    # R actuar 3.3.2: levlnorm(c(0.7, 0.8, 1), meanlog = 0.06, sdlog = 0.3) and plnorm(…)
    lev_r = np.array([0.692967731732358, 0.780500254529724, 0.921955627395091])
    np.testing.assert_allclose(g["expected_payout"], s - lev_r, rtol=1e-10)
    np.testing.assert_allclose(g["p_payout"], [0.082429074332549, 0.172632905138044,
                                               0.420740290560897], rtol=1e-10)
    # payout variance by simulation (5 standard errors)
    r = law.rvs(400_000, random_state=np.random.default_rng(11))
    pays = np.maximum(s[:, None] - r[None, :], 0)
    np.testing.assert_allclose(g["payout_sd"], pays.std(axis=1), rtol=0.01)


@pytest.mark.skipif(shutil.which("Rscript") is None, reason="R is not installed")
def test_strike_grid_against_r_actuar_live():
    out = subprocess.run(
        ["Rscript", "-e", "suppressMessages(library(actuar)); "
         "cat(format(0.8 - levlnorm(0.8, 0.06, 0.3), digits = 15))"],
        capture_output=True, text=True, check=True, timeout=60).stdout
    g = strike_grid(stats.lognorm(0.3, scale=np.exp(0.06)), [0.8])
    assert g["expected_payout"].iloc[0] == pytest.approx(float(out), rel=1e-10)


@settings(max_examples=40)
@given(ratios=st.lists(st.floats(0.05, 5.0), min_size=2, max_size=30),
       strikes=st.lists(st.floats(0.1, 2.0), min_size=2, max_size=6, unique=True),
       target=st.floats(0.5, 20.0))
def test_strike_grid_invariants(ratios, strikes, target):
    s = np.sort(np.asarray(strikes))
    g = strike_grid(Empirical(ratios), s, target_price=target, insured_quantity=100.0)
    # payout within [0, sum insured]; rate, P(pay) and expected payout rise with the strike
    # (d/ds [(s − LEV(s))/s] = E[R; R < s]/s² ≥ 0)
    assert np.all(g["expected_payout"] >= 0)
    assert np.all(g["expected_payout"] <= g["sum_insured"] * (1 + 1e-12))
    for col in ("pure_rate", "p_payout", "expected_payout"):
        assert np.all(np.diff(g[col].to_numpy()) >= -1e-12), col
    direct = np.maximum(s[:, None] * target - np.asarray(ratios)[None, :] * target, 0) * 100
    np.testing.assert_allclose(g["expected_payout"], direct.mean(axis=1), rtol=1e-9, atol=1e-9)


def test_strike_grid_works_with_a_fitted_law_and_rejects_bad_input():
    r = np.exp(np.random.default_rng(5).normal(0.0, 0.25, 40))
    fit = fit_severity(r, "lognorm")
    g = strike_grid(fit.dist_, [0.8, 0.9])
    assert g["pure_rate"].between(0, 1).all()
    with pytest.raises(ParameterError, match="strikes"):
        strike_grid(Empirical(r), [0.0, 0.8])
    with pytest.raises(ParameterError, match="strikes"):
        strike_grid(Empirical(r), [[0.8]])
    with pytest.raises(ParameterError, match="target_price"):
        strike_grid(Empirical(r), [0.8], target_price=[1.0, 2.0])
    with pytest.raises(ParameterError, match="cdf"):
        strike_grid(object(), [0.8])


def test_revenue_basis_by_hand_and_through_basis_risk():
    pay = np.array([0.0, 300.0, 0.0, 100.0, 500.0])
    y = np.array([1000.0, 1000.0, 800.0, 1200.0, 900.0])
    p = np.array([4.0, 2.5, 3.0, 3.5, 2.0])
    r = revenue_basis(pay, y, p, 4000.0, bad_level=0.8)
    # revenues 4000, 2500, 2400, 4200, 1800 → losses 0, 1500, 1600, 0, 2200; bad: years 2, 3, 5
    loss = np.array([0, 1500, 1600, 0, 2200.0])
    assert r.p_bad == pytest.approx(0.6)
    assert r.p_paid_given_bad == pytest.approx(2 / 3)
    assert r.p_paid_given_not_bad == pytest.approx(0.5)
    assert r.loss_covered_share == pytest.approx((300 + 500) / loss.sum())
    assert r.basis == basis_risk(pay, loss)
    assert set(r.summary()["statistic"]) >= {"correlation", "p_paid_given_bad"}
    # broadcasting: one payout per year against growers × years
    grid = revenue_basis(pay, np.vstack([y, y]), p, 4000.0)
    assert grid.basis.n == 10 and grid.p_bad == pytest.approx(0.6)


def test_revenue_basis_rejects_bad_input():
    with pytest.raises(ParameterError, match="broadcast"):
        revenue_basis([0.0, 1.0], [1.0, 2.0, 3.0], 1.0, 1.0)
    with pytest.raises(ParameterError, match="grower_price"):
        revenue_basis([0.0, 1.0], [1.0, 2.0], [-1.0, 1.0], 1.0)
    with pytest.raises(ParameterError, match="bad_level"):
        revenue_basis([0.0, 1.0], [1.0, 2.0], 1.0, 1.0, bad_level=1.5)
