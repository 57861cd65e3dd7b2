"""Crop, weather-index and price-index contracts; basis risk; burn analysis (puhui.agri)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import integrate

from puhui.agri.basis import basis_risk, burn_analysis
from puhui.agri.contracts import (
    AreaYieldCover,
    CostCover,
    RevenueCover,
    YieldCover,
    full_cost,
)
from puhui.agri.price_index import PriceIndexCover, average_prices
from puhui.agri.weather import TieredIndexCover, WeatherIndexCover, window_index
from puhui.agri.yield_model import YieldModel
from puhui.errors import ParameterError

rng = np.random.default_rng(7)
YEARS = np.arange(1985, 2015)
YIELDS = 480 + 4 * (YEARS - 1985) + rng.normal(0, 55, YEARS.size)


def test_layer_pays_elementwise():
    # share · min((x − a)₊, l): the loss core's Layer, parameters broadcast with the losses
    from puhui.benefits import Layer

    np.testing.assert_allclose(Layer(4, 10, 0.5).pay_elementwise([0, 5, 12, 30]), [0, 0.5, 4, 5])
    np.testing.assert_allclose(Layer(0, [100, 50], 1).pay_elementwise([80, 80]), [80, 50])
    with pytest.raises(ParameterError, match="broadcast"):
        Layer(0, [1.0, 2.0], 1).pay_elementwise([1.0, 2.0, 3.0])
    import puhui.agri

    assert not hasattr(puhui.agri, "layer_pay")     # the covers pay through Layer only


def test_yield_cover_by_hand():
    c = YieldCover(expected_yield=500.0, coverage_level=0.8, price=2.6)
    # guarantee 400 kg; y = 300 → 100 kg × 2.6 = 260 元; a total loss pays 400 × 2.6 = 1040
    np.testing.assert_allclose(c.pay([450.0, 400.0, 300.0, 0.0]), [0, 0, 260, 1040])
    assert float(c.sum_insured) == pytest.approx(1040.0)


def test_cost_cover_by_hand_and_full_cost():
    si = float(full_cost(physical=480.0, land=420.0, labour=200.0))
    assert si == 1100.0                 # 完全成本 = 物化 + 土地 + 人工
    c = CostCover(sum_insured=si, expected_yield=550.0, price=2.5)
    # shortfall × price capped at SI: (550 − 300) × 2.5 = 625; (550 − 50) × 2.5 = 1250 → 1100
    np.testing.assert_allclose(c.pay([600.0, 300.0, 50.0]), [0, 625, 1100])
    d = CostCover(sum_insured=1100.0, expected_yield=550.0)        # loss-degree form
    np.testing.assert_allclose(d.pay([275.0, 0.0]), [550.0, 1100.0])


def test_revenue_cover_by_hand():
    c = RevenueCover(expected_yield=500.0, coverage_level=0.8, projected_price=2.5)
    # with the harvest-price option the guarantee is 400 × max(2.5, P_h)
    # P_h = 3.0: 1200 − 300 × 3.0 = 300; P_h = 2.0: 1000 − 300 × 2.0 = 400
    np.testing.assert_allclose(c.pay([300.0, 300.0], [3.0, 2.0]), [300.0, 400.0])
    no = RevenueCover(500.0, 0.8, 2.5, harvest_price_option=False)
    # without it: 1000 − 300 × 3.0 = 100
    assert float(no.pay(300.0, 3.0)) == pytest.approx(100.0)
    assert float(c.sum_insured) == pytest.approx(1000.0)


def test_area_yield_cover_by_hand():
    c = AreaYieldCover(expected_yield=600.0, coverage_level=0.9, liability=800.0)
    # trigger 540; payment factor (540 − y)/540
    np.testing.assert_allclose(c.pay([600.0, 432.0, 0.0]), [0.0, 160.0, 800.0])
    limited = AreaYieldCover(600.0, 0.9, 800.0, loss_limit_level=0.3)
    # factor = (540 − y)/(540 − 180), capped at 1: y = 360 → 0.5 → 400; y = 100 → 800
    np.testing.assert_allclose(limited.pay([360.0, 100.0]), [400.0, 800.0])


@pytest.mark.parametrize("density", ["kde", "lognormal"])
def test_expected_payouts_against_numerical_integrals(density):
    m = YieldModel("linear", "multiplicative", density).fit(YEARS, YIELDS)
    mu = m.expected_yield_

    def expect(pay):  # E[pay(Y⁺)] = ∫ pay dF over [0, ∞) plus the mass below 0 at pay(0)
        val, _ = integrate.quad(lambda y: pay(y) * m.pdf(y), 0, 3 * mu, limit=400,
                                epsabs=1e-10, epsrel=1e-10)
        return val + pay(0.0) * m.cdf(0.0)

    c = YieldCover(mu, 0.85, 2.0)
    assert float(c.expected_payout(m)) == pytest.approx(expect(c.pay), rel=1e-6)
    assert float(c.pure_rate(m)) == pytest.approx(m.premium_rate(0.85), rel=1e-12)
    cost = CostCover(sum_insured=0.4 * mu * 2.0, expected_yield=mu, price=2.0)
    assert float(cost.expected_payout(m)) == pytest.approx(expect(cost.pay), rel=1e-6)
    area = AreaYieldCover(mu, 0.9, 1000.0, loss_limit_level=0.5)
    assert float(area.expected_payout(m)) == pytest.approx(expect(area.pay), rel=1e-6)


@settings(max_examples=60, deadline=None)
@given(y=st.lists(st.floats(0, 2000), min_size=1, max_size=20),
       theta=st.floats(0.3, 1.2), price=st.floats(0.1, 10), si_share=st.floats(0.05, 1.5))
def test_payout_never_exceeds_sum_insured(y, theta, price, si_share):
    y = np.array(y)
    yc = YieldCover(600.0, theta, price)
    cc = CostCover(si_share * 600 * price, 600.0, price, theta)
    ac = AreaYieldCover(600.0, theta, 900.0)
    for c in (yc, cc):
        p = c.pay(y)
        assert np.all(p >= 0) and np.all(p <= c.sum_insured + 1e-9)
    assert np.all(ac.pay(y) <= 900.0 + 1e-9)
    # a lower yield never pays less
    order = np.argsort(y)
    assert np.all(np.diff(yc.pay(y[order])) <= 1e-9)


@settings(max_examples=50, deadline=None)
@given(index=st.lists(st.floats(-50, 500), min_size=1, max_size=20),
       trigger=st.floats(100, 300), width=st.floats(1, 100), si=st.floats(1, 1e4))
def test_weather_payout_bounds(index, trigger, width, si):
    index = np.array(index)
    drought = WeatherIndexCover(trigger, trigger - width, si)
    heat = WeatherIndexCover(trigger, trigger + width, si)
    for c in (drought, heat):
        p = c.pay(index)
        assert np.all(p >= 0) and np.all(p <= si * (1 + 1e-12))
    assert np.all(np.diff(drought.pay(np.sort(index))) <= 1e-9)
    assert np.all(np.diff(heat.pay(np.sort(index))) >= -1e-9)


def test_weather_covers_by_hand():
    c = WeatherIndexCover(trigger=200.0, exit=100.0, sum_insured=500.0)
    assert c.direction == "deficit" and float(c.tick) == 5.0      # 500 元 / 100 mm
    np.testing.assert_allclose(c.pay([250, 200, 180, 100, 20]), [0, 0, 100, 500, 500])
    heat = WeatherIndexCover(trigger=5.0, exit=15.0, sum_insured=300.0)   # days ≥ 35 °C
    np.testing.assert_allclose(heat.pay([3, 8, 20]), [0, 90, 300])
    tiers = TieredIndexCover((-3.0, -5.0, -7.0), (0.5, 0.7, 0.9), 1000.0)
    np.testing.assert_allclose(tiers.pay([0.0, -3.0, -4.9, -5.0, -8.0]), [0, 500, 500, 700, 900])
    rain = TieredIndexCover((300.0, 400.0), (0.3, 1.0), 200.0, direction="excess")
    np.testing.assert_allclose(rain.pay([250, 300, 450]), [0, 60, 200])
    with pytest.raises(ParameterError):
        TieredIndexCover((-5.0, -3.0), (0.5, 0.7), 1000.0)
    with pytest.raises(ParameterError):
        WeatherIndexCover(100.0, 100.0, 1.0)


def test_window_indices():
    dates = pd.date_range("2023-01-01", "2024-12-31", freq="D")
    values = np.where(dates.dayofyear % 10 == 0, 8.0, 0.0)      # 8 mm every tenth day
    values[(dates >= "2024-07-01") & (dates <= "2024-07-20")] = 0.0     # a 2024 dry spell
    s = pd.Series(values, index=dates)
    total = window_index(s, "06-01", "08-31", how="sum")
    expected = [s["2023-06-01":"2023-08-31"].sum(), s["2024-06-01":"2024-08-31"].sum()]
    np.testing.assert_allclose(total["index"], expected)
    assert total["year"].tolist() == [2023, 2024]
    assert total["n_obs"].tolist() == [92, 92]
    # the longest dry run (< 1 mm), checked with a plain loop
    runs = window_index(s, "06-01", "08-31", how="run_below", threshold=1.0)
    for year, got in zip(runs["year"], runs["index"], strict=True):
        best = cur = 0
        for v in s[f"{year}-06-01":f"{year}-08-31"]:
            cur = cur + 1 if v < 1.0 else 0
            best = max(best, cur)
        assert got == best
    # the driest 15-day spell: 0 mm in 2024, 8 mm in 2023 (a rain day every ten days)
    spell = window_index(s, "06-01", "08-31", how="sum", spell=15, worst="min")
    assert spell["index"].tolist() == [8.0, 0.0]
    days = window_index(s, "06-01", "08-31", how="days_above", threshold=1.0)
    assert days["index"].tolist() == [9.0, 7.0]
    winter = window_index(s, "12-01", "02-28", how="sum")     # across New Year
    assert winter["year"].tolist() == [2023, 2024, 2025]


def test_window_index_table_and_errors():
    df = pd.DataFrame({"station": ["A"] * 3 + ["B"] * 3, "date": pd.to_datetime(
        ["2020-06-01", "2020-07-01", "2020-08-01"] * 2), "value": [1.0, 2, 3, 4, 5, 6]})
    out = window_index(df, "06-01", "08-31", how="mean")
    assert out.set_index("station")["index"].to_dict() == {"A": 2.0, "B": 5.0}
    with pytest.raises(ParameterError, match="missing"):
        window_index(df.assign(value=[1.0, None, 3, 4, 5, 6]), "06-01", "08-31")
    with pytest.raises(ParameterError, match="threshold"):
        window_index(df, "06-01", "08-31", how="run_below")


def test_price_index_cover_and_average_prices():
    c = PriceIndexCover(target_price=3.0, insured_quantity=2000.0)
    np.testing.assert_allclose(c.pay([3.5, 2.5, 0.0]), [0.0, 1000.0, 6000.0])
    assert float(c.sum_insured) == 6000.0
    assert c.burn_rate([3.5, 2.5, 3.0, 1.5]) == pytest.approx((1000 + 3000) / 4 / 6000)
    dates = pd.to_datetime(["2022-05-03", "2022-05-20", "2022-06-02", "2023-05-10",
                            "2023-05-11", "2024-05-15"])
    p = pd.DataFrame({"market": "杭州", "product": "茭白", "date": dates,
                      "price": [4.0, 5.0, 9.0, 3.0, 4.0, 2.0]})
    a = average_prices(p, "05-01", "05-31")
    assert a["average_price"].tolist() == [4.5, 3.5, 2.0]          # June price left out
    assert a["target_previous_year"].tolist()[1:] == [4.5, 3.5]
    pays = PriceIndexCover(a["target_previous_year"].iloc[1:].to_numpy(), 1000.0).pay(
        a["average_price"].iloc[1:].to_numpy())
    np.testing.assert_allclose(pays, [1000.0, 1500.0])


@settings(max_examples=50, deadline=None)
@given(payout=st.lists(st.floats(0, 100), min_size=2, max_size=30), seed=st.integers(0, 99))
def test_basis_risk_against_a_plain_loop(payout, seed):
    p = np.array(payout)
    x = np.random.default_rng(seed).choice([0.0, 5.0, 50.0], p.size)
    b = basis_risk(p, x)
    n = p.size
    assert b.p_loss_no_payout == sum(1 for a, c in zip(p, x, strict=True) if c > 0 and a == 0) / n
    assert b.p_payout_no_loss == sum(1 for a, c in zip(p, x, strict=True) if a > 0 and c == 0) / n
    assert b.uncovered_loss == pytest.approx(sum(max(c - a, 0) for a, c in
                                                 zip(p, x, strict=True)) / n)
    assert 0 <= b.p_loss_no_payout <= b.p_loss <= 1


def test_basis_risk_perfect_index():
    loss = np.array([0.0, 10, 0, 30, 5])
    b = basis_risk(loss, loss)
    assert b.p_loss_no_payout == b.p_payout_no_loss == 0 == b.uncovered_loss
    assert b.correlation == pytest.approx(1.0) and b.variance_reduction == pytest.approx(1.0)
    assert set(b.summary()["statistic"]) >= {"p_loss_no_payout", "correlation"}


def test_burn_analysis():
    c = WeatherIndexCover(200.0, 100.0, 500.0)
    idx = pd.Series([250.0, 150.0, 300.0, 50.0], index=[2020, 2021, 2022, 2023])
    b = burn_analysis(c, idx)
    # payouts 0, 250, 0, 500 → mean 187.5 → rate 0.375; 2 of 4 years pay
    assert b.pure_premium == 187.5 and b.pure_rate == 0.375 and b.payout_frequency == 0.5
    assert b.table["year"].tolist() == [2020, 2021, 2022, 2023]
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots()
    assert b.plot(ax=ax) is ax
    plt.close(fig)


def test_contracts_are_layers_of_the_loss_core():
    from puhui.benefits import Layer
    from puhui.losses.empirical import Empirical
    from puhui.losses.payout import expected_payout

    y = np.array([0.0, 120.0, 300.0, 380.0, 400.0, 520.0])
    rain = np.array([20.0, 100.0, 150.0, 210.0])
    cases = [
        (YieldCover(500.0, 0.8, 2.6), (y,)),
        (CostCover(900.0, 550.0, 2.5), (y,)),
        (RevenueCover(500.0, 0.8, 2.5), (y, np.array([3.0, 2.0, 2.2, 2.6, 3.1, 1.9]))),
        (AreaYieldCover(600.0, 0.9, 800.0, loss_limit_level=0.3), (y,)),
        (WeatherIndexCover(200.0, 100.0, 500.0), (rain,)),
        (PriceIndexCover(3.0, 2000.0), (np.array([3.5, 2.5, 0.5]),)),
    ]
    for contract, obs in cases:
        layer = contract.layer()
        assert isinstance(layer, Layer)
        x = contract.money_loss(*obs)
        np.testing.assert_allclose(layer.pay(x), contract.pay(*obs), rtol=1e-12, atol=1e-9)
        # the loss core prices the layer on the empirical money losses: the burn cost
        assert float(expected_payout(Empirical(x), layer)) == pytest.approx(
            contract.pay(*obs).mean(), rel=1e-12)
    with pytest.raises(ParameterError, match="scalar"):
        YieldCover(500.0, np.array([0.7, 0.8]), 2.6).layer()


@pytest.mark.parametrize("density", ["empirical", "kde", "lognormal"])
def test_covers_price_through_the_loss_core(density):
    # pure premium = expected_payout(cover.loss_model(model), cover.layer()) = LEV_X(SI)
    from puhui.losses import LossModel, expected_payout, lev

    m = YieldModel("linear", "multiplicative", density).fit(YEARS, YIELDS)
    mu = m.expected_yield_
    covers = [YieldCover(mu, 0.85, 2.0), CostCover(0.4 * mu * 2.0, mu, 2.0),
              CostCover(900.0, mu), AreaYieldCover(mu, 0.9, 1000.0, loss_limit_level=0.5)]
    for c in covers:
        x = c.loss_model(m)
        assert isinstance(x, LossModel)
        direct = float(expected_payout(x, c.layer()))
        assert float(c.expected_payout(m)) == direct
        assert direct == float(lev(x, c.layer().limit))
        # the loss model is the law of money_loss: its mean is E[money_loss(Y⁺)] (burn cost on
        # the empirical law, where the sample is exact)
        if density == "empirical":
            sample = c.money_loss(np.maximum(m.adjusted_yields_, 0.0))
            assert float(x.mean()) == pytest.approx(sample.mean(), rel=1e-12)
            assert direct == pytest.approx(c.pay(m.adjusted_yields_).mean(), rel=1e-12)
    # the yield cover's pure rate is the model's premium rate (same shortfall law)
    assert float(covers[0].pure_rate(m)) == pytest.approx(m.premium_rate(0.85), rel=1e-14)


def test_cover_grids_price_elementwise():
    m = YieldModel("linear", "additive", "kde").fit(YEARS, YIELDS)
    mu = m.expected_yield_
    theta = np.array([0.7, 0.8, 0.9])
    grid = YieldCover(mu, theta, 2.0).expected_payout(m)
    one = [float(YieldCover(mu, t, 2.0).expected_payout(m)) for t in theta]
    np.testing.assert_allclose(grid, one, rtol=1e-14)
    si = np.array([300.0, 600.0, 1500.0])
    grid = CostCover(si, mu, 2.0, 0.9).expected_payout(m)
    one = [float(CostCover(v, mu, 2.0, 0.9).expected_payout(m)) for v in si]
    np.testing.assert_allclose(grid, one, rtol=1e-14)
