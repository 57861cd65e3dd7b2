"""County → farm adjustment (puhui.agri.farm): the farm law's spread, its rates in the yield
model and the design study, and the ratio fitted from farm data."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import integrate

from puhui.agri import YieldModel
from puhui.agri.design import (
    cost_cover_by_year,
    cost_cover_expected,
    cost_cover_pay,
    detrended_panel,
    evaluate_cost_designs,
)
from puhui.agri.farm import (
    DEFAULT_FARM_RATIO,
    FarmAdjustment,
    county_to_farm,
    farm_bandwidth,
    fit_farm_ratio,
)
from puhui.agri.subsidy import subsidy_split
from puhui.errors import ParameterError

YEARS = np.arange(1995, 2025)
Y = 450 + 4 * (YEARS - 1995) + np.random.default_rng(1).normal(0, 45, YEARS.size)
SPLIT = subsidy_split("crop", "central", provincial=0.27, county=0.03)


@pytest.mark.parametrize("density", ["empirical", "kde"])
def test_farm_law_has_k_times_the_county_sd(density):
    county = YieldModel("linear", "additive", density).fit(YEARS, Y)
    farm = YieldModel("linear", "additive", density, farm=1.3).fit(YEARS, Y)
    var_c = county.adjusted_yields_.var() + (county.bandwidth_ ** 2 if density == "kde" else 0)
    # the farm law's variance by numerical integration of its density
    mean = integrate.quad(lambda x: x * farm.pdf(x), -2000, 3000, limit=400)[0]
    var_f = integrate.quad(lambda x: (x - mean) ** 2 * farm.pdf(x), -2000, 3000, limit=400)[0]
    assert np.sqrt(var_f / var_c) == pytest.approx(1.3, rel=1e-6)
    assert mean == pytest.approx(county.adjusted_yields_.mean(), rel=1e-9)
    # farm risk costs more at every coverage level
    assert np.all(farm.premium_rate([0.7, 0.8, 0.9]) > county.premium_rate([0.7, 0.8, 0.9]))
    assert "k = 1.3" in farm.summary().attrs["assumptions"]["county_to_farm"]
    assert county.summary().attrs["assumptions"]["county_to_farm"] == "none (county yields)"


def test_ratio_one_is_the_county_law():
    for density in ("empirical", "kde"):
        a = YieldModel("linear", "additive", density).fit(YEARS, Y)
        b = YieldModel("linear", "additive", density, farm=1.0).fit(YEARS, Y)
        np.testing.assert_allclose(b.premium_rate([0.8, 0.9, 1.0]),
                                   a.premium_rate([0.8, 0.9, 1.0]), rtol=1e-12)


def test_farm_rate_by_simulating_farms():
    # farm = county year + N(0, τ²), τ = h_farm: the mean payout by simulation
    m = YieldModel("linear", "additive", "empirical", farm=1.3).fit(YEARS, Y)
    h = float(farm_bandwidth(m.adjusted_yields_, 1.3))
    rng = np.random.default_rng(5)
    sim = m.adjusted_yields_[rng.integers(0, YEARS.size, 400_000)] + h * rng.standard_normal(
        400_000)
    c = 0.9 * m.expected_yield_
    mc = np.minimum(np.maximum(c - sim, 0.0), c).mean() / c
    assert m.premium_rate(0.9) == pytest.approx(mc, rel=0.02)


def test_by_year_terms_average_to_the_kernel_expectation():
    y = np.array([[320.0, 410.0, 470.0, 505.0, 560.0]])
    for h in (0.0, 25.0):
        e_t, p_t = cost_cover_by_year(y, 480.0, 1000.0, 2.4, 0.05, bandwidth=h)
        if h == 0:
            np.testing.assert_allclose(e_t, cost_cover_pay(y, 480.0, 1000.0, 2.4, 0.05))
            np.testing.assert_array_equal(p_t, (e_t > 0).astype(float))
        else:
            e, p = cost_cover_expected(y, 480.0, 1000.0, 2.4, 0.05, bandwidth=h)
            np.testing.assert_allclose(e_t.mean(-1), e, rtol=1e-12)
            np.testing.assert_allclose(p_t.mean(-1), p, rtol=1e-12)


@settings(max_examples=30, deadline=None)
@given(k1=st.floats(1.0, 2.0), k2=st.floats(1.0, 2.0), theta=st.floats(0.6, 1.0),
       seed=st.integers(0, 10_000))
def test_rate_rises_with_the_ratio(k1, k2, theta, seed):
    # (c − y)₊ is convex: more spread never lowers the rate while c ≤ the mean and yields stay
    # positive (CV ≤ 10%, k ≤ 2)
    y = 500 * (1 + 0.1 * np.random.default_rng(seed).standard_normal(20))
    lo, hi = sorted((k1, k2))
    m = [YieldModel("none", "additive", "empirical", farm=k).fit(np.arange(20), y)
         for k in (lo, hi)]
    c = theta * y.mean() / m[0].expected_yield_
    assert m[0].premium_rate(c) <= m[1].premium_rate(c) + 1e-12


def test_fit_recovers_the_ratio():
    rng = np.random.default_rng(11)
    years = np.arange(1995, 2025)
    county = pd.DataFrame([{"region": r, "crop": "rice", "year": t,
                            "yield": (450 + 3 * (t - 1995)) * (1 + 0.08 * z)}
                           for r in ("A", "B") for t, z in zip(years, rng.standard_normal(30),
                                                               strict=True)])
    farms = pd.concat([county.assign(farm=f, **{"yield": county["yield"] * (1 + 0.06 * rng.
                       standard_normal(len(county)))}) for f in range(40)], ignore_index=True)
    fit = fit_farm_ratio(farms, county)
    # a farm's relative deviation is r_c + 0.06 ε (1 + r_c): Var ≈ v_c + 0.0036 (1 + v_c), with
    # v_c each county's own relative residual variance about its linear trend (numpy polyfit)
    v = []
    for _, g in county.groupby("region"):
        trend = np.polyval(np.polyfit(g["year"], g["yield"], 1), g["year"])
        v.append((g["yield"] / trend - 1).var())
    v = np.array(v)
    expected = np.sqrt(np.mean(1 + 0.0036 * (1 + v) / v))
    assert fit.ratio_for("rice") == pytest.approx(expected, abs=0.04)
    assert len(fit.fitted) == 80 and "fitted from 80 farm series" in fit.source


def test_bad_ratios_and_densities_are_refused():
    with pytest.raises(ParameterError, match="≥ 1"):
        county_to_farm(0.9)
    with pytest.raises(ParameterError, match="'empirical' or 'kde'"):
        YieldModel("linear", "additive", "lognormal", farm=1.3).fit(YEARS, Y)
    with pytest.raises(ParameterError, match="one k"):
        YieldModel(farm={"rice": 1.3}).fit(YEARS, Y)
    with pytest.raises(ParameterError, match="FarmAdjustment"):
        YieldModel(farm="high").fit(YEARS, Y)
    assert county_to_farm().ratio_for() == DEFAULT_FARM_RATIO == 1.3
    assert FarmAdjustment({"rice": 1.2}).ratios(["rice", "rice"]).tolist() == [1.2, 1.2]


def test_design_study_with_the_farm_adjustment():
    rng = np.random.default_rng(3)
    rows = [{"region": r, "crop": c, "year": t,
             "yield": (400 + 3 * (t - 1995)) * np.exp(0.12 * rng.standard_normal())}
            for r in ("A", "B") for c in ("rice", "maize") for t in range(1995, 2020)]
    panel = detrended_panel(pd.DataFrame(rows))
    kw = dict(split=SPLIT, coverage_levels=(0.9, 1.0), deductibles=(0.0, 0.1))
    si = {"rice": 1000.0, "maize": 800.0}
    base = evaluate_cost_designs(panel, 1000.0, si, **kw)
    same = evaluate_cost_designs(panel, 1000.0, si, farm=1.0, **kw)
    farm = evaluate_cost_designs(panel, 1000.0, si, farm={"rice": 1.3, "maize": 1.2}, **kw)
    np.testing.assert_allclose(same.by_crop["expected_claims"], base.by_crop["expected_claims"],
                               rtol=1e-12)
    assert (farm.by_crop["expected_claims"] > base.by_crop["expected_claims"]).all()
    # the burn years still average to the expectation, and the county measure of risk removed
    # is kept
    yearly = farm.by_year.groupby(["design", "crop"], sort=False)["claims"].mean().to_numpy()
    np.testing.assert_allclose(yearly, farm.by_crop["expected_claims"], rtol=1e-10)
    np.testing.assert_allclose(farm.by_crop["risk_reduction"], base.by_crop["risk_reduction"])
    assert "rice 1.3" in farm.assumptions["county_to_farm"]
    assert base.assumptions["county_to_farm"] == "none (county yields)"
