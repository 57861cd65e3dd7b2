"""Rates within 银保监规〔2023〕4号, subsidy split, risk zoning, county credibility (puhui.agri)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from puhui.agri.lcr import county_rates
from puhui.agri.rules import (
    YEARLY_CAP_POLICY,
    base_rate,
    cap_rate_change,
    check_expense_ratio,
    check_sum_insured,
    filed_rate,
    premium_adequacy,
    rate_band,
)
from puhui.agri.subsidy import farmer_premium, subsidy_split
from puhui.agri.zoning import risk_zones
from puhui.errors import ParameterError, RuleError


def test_worked_example_of_domain_md():
    # DOMAIN.md: benchmark 3%, loading 20% → base 3.75%; filed rate within 2.81%–4.69%
    # (3.75% × 0.75 = 2.8125%, 3.75% × 1.25 = 4.6875%)
    assert float(base_rate(0.03, 0.20)) == pytest.approx(0.0375, rel=1e-12)
    lo, hi = rate_band(0.03, 0.20)
    assert float(lo) == pytest.approx(0.028125, rel=1e-12)
    assert float(hi) == pytest.approx(0.046875, rel=1e-12)
    assert float(filed_rate(0.03, 0.20, 1.1).rate) == pytest.approx(0.04125, rel=1e-12)
    # non-subsidised band [0.5, 1.5]: 1.875% – 5.625%
    lo, hi = rate_band(0.03, 0.20, subsidised=False)
    assert (float(lo), float(hi)) == pytest.approx((0.01875, 0.05625))


def test_breaches_raise_rule_errors_naming_the_rule():
    with pytest.raises(RuleError, match=r"费率调整系数.*\[0.75, 1.25\]"):
        filed_rate(0.03, 0.20, 1.3)
    with pytest.raises(RuleError, match="附加费率"):
        filed_rate(0.03, 0.30, 1.0)
    filed_rate(0.03, 0.30, 1.0, subsidised=False)           # no loading cap off subsidy
    filed_rate(0.03, 0.20, 1.45, subsidised=False)
    with pytest.raises(RuleError, match=r"\[0.5, 1.5\]"):
        filed_rate(0.03, 0.20, 0.4, subsidised=False)
    with pytest.raises(RuleError, match="综合费用率"):
        check_expense_ratio(0.21)
    check_expense_ratio([0.15, 0.20])
    with pytest.raises(RuleError, match="80%"):
        check_sum_insured(900.0, 1000.0)
    assert float(check_sum_insured(800.0, 1000.0)) == pytest.approx(0.8)
    with pytest.raises(ParameterError):
        filed_rate(-0.01, 0.2)


def test_clipping_only_on_request_and_reported():
    r = filed_rate(0.03, 0.20, [0.6, 1.0, 1.4], clip=True)
    np.testing.assert_allclose(r.factor, [0.75, 1.0, 1.25])
    np.testing.assert_allclose(r.requested_factor, [0.6, 1.0, 1.4])
    assert r.clipped.tolist() == [True, False, True]
    assert r.notes and "clipped" in r.notes[0] and "entries 0, 2" in r.notes[0]
    assert r.summary()["clipped"].tolist() == [True, False, True]
    assert not filed_rate(0.03, 0.2, 1.0).notes


@settings(max_examples=60, deadline=None)
@given(bench=st.floats(0.001, 0.3), loading=st.floats(0, 0.20), factor=st.floats(0.1, 3))
def test_filed_rate_always_within_band_when_clipped(bench, loading, factor):
    r = filed_rate(bench, loading, factor, clip=True)
    lo, hi = rate_band(bench, loading)
    assert lo * (1 - 1e-12) <= float(r.rate) <= hi * (1 + 1e-12)
    assert bool(r.clipped) == (not 0.75 <= factor <= 1.25)


def test_rate_change_cap():
    # the cap is the company's, named by the caller (here the example policy book's +20%)
    with pytest.raises(RuleError, match="20%"):
        cap_rate_change(0.04, 0.05, max_increase=YEARLY_CAP_POLICY)
    r = cap_rate_change([0.04, 0.04, 0.04], [0.05, 0.045, 0.02], max_increase=0.2, clip=True)
    np.testing.assert_allclose(r.rate, [0.048, 0.045, 0.02])
    assert r.capped.tolist() == [True, False, False]
    r = cap_rate_change(0.04, 0.02, max_increase=0.2, max_decrease=0.25, clip=True)
    assert float(r.rate) == pytest.approx(0.03)
    with pytest.raises(RuleError):
        cap_rate_change(0.04, 0.02, max_increase=0.2, max_decrease=0.25)


def test_premium_adequacy():
    # at the valuation date: unearned premium vs claims + expenses of the unexpired risk
    res = premium_adequacy([100.0, 100.0], [70.0, 95.0], [20.0, 15.0],
                           valuation_date="2025-06-30")
    assert res.adequate.tolist() == [True, False]
    np.testing.assert_allclose(res.ratio, [0.9, 1.1])
    np.testing.assert_allclose(res.deficiency, [0.0, 10.0])     # 保费不足准备金
    np.testing.assert_allclose(res.unexpired_risk_reserve, [100.0, 110.0])
    with pytest.raises(RuleError, match="保费不足准备金"):
        premium_adequacy(100.0, 95.0, 15.0, valuation_date="2025-06-30", strict=True)


def test_subsidy_split_and_farmer_premium_from_the_county_schedule():
    # observed schedule (DOMAIN.md): rice 完全成本 1100 元/亩 at 4.5% = 49.5 元;
    # 中央 45% / 省 27% / 县 3% → farmer 25% = 12.375 元/亩
    s = subsidy_split("crop", "central", provincial=0.27, county=0.03)
    assert (s.central, s.provincial, s.county) == (0.45, 0.27, 0.03)
    assert s.farmer == pytest.approx(0.25)
    assert float(farmer_premium(1100.0, 0.045, s)) == pytest.approx(12.375, rel=1e-12)
    amounts = s.amounts(1100.0 * 0.045)
    assert amounts.loc[0, "premium"] == pytest.approx(49.5)
    assert amounts.loc[0, ["central", "provincial", "county", "farmer"]].sum() == \
        pytest.approx(49.5)
    # maize 800 at 4.5% = 36 元, wheat 700 at 2.72% = 19.04 元 (same schedule)
    assert float(farmer_premium([800.0, 700.0], [0.045, 0.0272], s)[1]) == \
        pytest.approx(19.04 * 0.25)
    assert subsidy_split("crop", "eastern").central == 0.35
    assert subsidy_split("livestock", "western", provincial=0.23, county=0.07).farmer == \
        pytest.approx(0.20)
    assert subsidy_split("commercial_forest", "eastern").central == 0.30
    with pytest.raises(RuleError, match="25%"):
        subsidy_split("crop", "central", provincial=0.20)
    with pytest.raises(RuleError, match="100%"):
        subsidy_split("crop", "central", provincial=0.5, county=0.2)


def test_quantile_zoning():
    rates = pd.Series([0.01, 0.02, 0.03, 0.05, 0.06, 0.07, 0.10, 0.12, 0.15],
                      index=[f"c{i}" for i in range(9)])
    z = risk_zones(rates, 3)
    assert z.table["zone"].tolist() == [1, 1, 1, 2, 2, 2, 3, 3, 3]
    zones = z.summary()
    np.testing.assert_allclose(zones["zone_rate"], [0.02, 0.06, 0.37 / 3])
    assert z.rate("zone")["c8"] == pytest.approx(0.37 / 3)
    assert z.rate("region")["c8"] == 0.15
    w = np.array([1, 1, 2, 1, 1, 1, 1, 1, 1.0])
    zw = risk_zones(rates, 3, weights=w)
    assert zw.zones["zone_rate"].iloc[0] == pytest.approx((0.01 + 0.02 + 0.06) / 4)


def test_kmeans_zoning_is_seeded_and_ordered():
    rng = np.random.default_rng(0)
    r = np.concatenate([rng.normal(0.02, 0.002, 20), rng.normal(0.06, 0.003, 15),
                        rng.normal(0.15, 0.01, 5)])
    table = pd.DataFrame({"region": [f"县{i}" for i in range(40)], "pure_rate": r})
    a = risk_zones(table, 3, method="kmeans", seed=1)
    b = risk_zones(table, 3, method="kmeans", seed=1)
    pd.testing.assert_frame_equal(a.table, b.table)
    assert a.zones["n_regions"].tolist() == [20, 15, 5]
    assert a.zones["zone_rate"].is_monotonic_increasing
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots()
    assert a.plot(ax=ax) is ax
    plt.close(fig)
    with pytest.raises(ParameterError):
        risk_zones(pd.Series([0.01, 0.01, 0.01, 0.02]), 3)      # ties: zones would be empty


def _experience(flood_prone=False):
    rng = np.random.default_rng(42)
    regions = [f"county{i}" for i in range(12)]
    true = rng.uniform(0.02, 0.10, len(regions))
    rows = []
    for r, m in zip(regions, true, strict=True):
        for year in range(2005, 2020):
            liability = rng.uniform(5e6, 2e7)
            lcr = m * rng.gamma(2.0, 0.5)
            if year == 2016 and r < "county5":
                lcr += 0.5                                       # a catastrophe year
            if flood_prone and year % 3 == 0 and r in ("county1", "county7"):
                lcr += 0.6                                       # floods, again and again
            rows.append((r, year, lcr * liability, liability))
    df = pd.DataFrame(rows, columns=["region", "year", "indemnity", "liability"])
    df["group"] = np.where(df["region"] < "county6", "north", "south")
    return df


def _pooled_threshold(lcr, w, q):
    """The provincial cap by hand: sort all county-years, accumulate liability, take the first
    LCR whose cumulative share reaches q (the inverse of the weighted distribution)."""
    order = np.argsort(lcr)
    share = np.cumsum(w[order]) / w.sum()
    return lcr[order][np.argmax(share >= q - 1e-12)]


def _bs_by_hand(x, w, region):
    """Bühlmann–Straub by its formulas (Bühlmann & Gisler 2005, ch. 4): z, own means, the
    z-weighted collective and K."""
    wi = w.groupby(region).sum()
    xi = (x * w).groupby(region).sum() / wi
    ni = region.value_counts().reindex(wi.index)
    s2 = (w * (x - region.map(xi)) ** 2).sum() / (ni - 1).sum()
    xw = (wi * xi).sum() / wi.sum()
    a = wi.sum() * ((wi * (xi - xw) ** 2).sum() - (len(wi) - 1) * s2) / \
        (wi.sum() ** 2 - (wi ** 2).sum())
    z = wi / (wi + s2 / a)
    return z, xi, (z * xi).sum() / z.sum(), s2 / a, a


def test_county_rates_against_an_independent_computation():
    df = _experience()
    res = county_rates(df, cat_quantile=0.8, cat_spread="liability")
    t = res.table.set_index("region")
    # 1. one provincial cap (pooled, liability-weighted 80th percentile) and the loading
    lcr, w = (df["indemnity"] / df["liability"]).to_numpy(), df["liability"].to_numpy()
    tau = _pooled_threshold(lcr, w, 0.8)
    assert res.threshold == tau and (t["cap"] == tau).all()
    assert (w[lcr <= tau].sum() / w.sum() >= 0.8) and (w[lcr < tau].sum() / w.sum() < 0.8)
    capped = pd.Series(np.minimum(lcr, tau), index=df.index)
    excess = pd.Series(lcr, index=df.index) - capped
    assert res.cat_load == pytest.approx((excess * w).sum() / w.sum(), rel=1e-12)
    assert (t["cat_load"] == res.cat_load).all() and (t["cat_z"] == 0).all()
    # 2. Bühlmann–Straub on the capped LCRs
    z, xi, _, k, a = _bs_by_hand(capped, df["liability"], df["region"])
    assert a > 0
    np.testing.assert_allclose(t.loc[z.index, "z"], z, rtol=1e-10)
    assert res.credibility_constant == pytest.approx(k, rel=1e-10)
    # 3. complement = neighbour-group liability-weighted capped LCR; rate = blend + cat load
    wi = df["liability"].groupby(df["region"]).sum()
    grp = df.drop_duplicates("region").set_index("region")["group"]
    group_lcr = (xi * wi).groupby(grp).sum() / wi.groupby(grp).sum()
    expected = z * xi + (1 - z) * grp.map(group_lcr) + res.cat_load
    np.testing.assert_allclose(t.loc[expected.index, "pure_rate"], expected, rtol=1e-10)
    assert (t["lcr_capped"] <= t["lcr"] + 1e-15).all()
    # 4. the credibility spread: one catastrophe year across five counties shows no
    # county-to-county difference in the excess (a ≤ 0), so it is the statewide loading
    assert _bs_by_hand(excess, df["liability"], df["region"])[4] <= 0
    cred = county_rates(df, cat_quantile=0.8, cat_spread="credibility").table
    assert (cred["cat_z"] == 0).all()
    np.testing.assert_allclose(cred["cat_load"], res.cat_load, rtol=1e-12)


def test_county_rates_credibility_spread_by_hand():
    # two counties flooded every third year: the excess carries a county signal (a > 0)
    df = _experience(flood_prone=True)
    res = county_rates(df, cat_quantile=0.8, cat_spread="credibility")
    t = res.table.set_index("region")
    lcr, w = (df["indemnity"] / df["liability"]).to_numpy(), df["liability"].to_numpy()
    tau = _pooled_threshold(lcr, w, 0.8)
    capped = pd.Series(np.minimum(lcr, tau), index=df.index)
    excess = pd.Series(lcr, index=df.index) - capped
    zx, ex, collective, _, ax = _bs_by_hand(excess, df["liability"], df["region"])
    assert ax > 0
    load = zx * ex + (1 - zx) * collective             # z-weighted collective
    np.testing.assert_allclose(t.loc[load.index, "cat_z"], zx, rtol=1e-10)
    np.testing.assert_allclose(t.loc[load.index, "cat_load"], load, rtol=1e-10)
    flat = county_rates(df, cat_quantile=0.8, cat_spread="liability").table.set_index("region")
    np.testing.assert_allclose(t["pure_rate"] - t["cat_load"],
                               flat["pure_rate"] - flat["cat_load"], rtol=1e-12)
    wi = df["liability"].groupby(df["region"]).sum()
    assert (load * wi).sum() == pytest.approx((excess * w).sum(), rel=1e-10)   # balance
    # the flooded counties carry more of the loading than the statewide share
    assert (t.loc[["county1", "county7"], "cat_load"] > res.cat_load).all()


def test_county_rates_without_cap_and_errors():
    df = _experience()
    res = county_rates(df, cat_quantile=1.0, groups={r: "all" for r in df["region"].unique()})
    assert res.cat_load == 0.0
    t = res.table
    np.testing.assert_allclose(t["lcr_capped"], t["lcr"], rtol=1e-12)
    with pytest.raises(ParameterError, match="group"):
        county_rates(df.drop(columns="group"), groups={"county0": "a"})
    with pytest.raises(Exception, match="liability"):
        county_rates(df.assign(liability=0.0))
