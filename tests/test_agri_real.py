"""Rates on real US yields (USDA NASS via R agridat) and a real basis-risk case (NOAA).

The data sit beside the project in ../shared/data; these tests skip where it is absent. Each
rate is checked against an independent computation written here with numpy / scipy only
(least squares by ``numpy.polyfit``, the kernel law by ``scipy.stats.gaussian_kde`` and the
expectation by numerical integration), not with puhui's own formulas.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import integrate, stats

from puhui.agri.basis import basis_risk
from puhui.agri.batch import reprice
from puhui.agri.trend import fit_trend
from puhui.agri.weather import WeatherIndexCover, window_index
from puhui.agri.yield_model import YieldModel

CROPS = ("corn", "soybean", "wheat", "rice")


def nass(shared_data, first=1982, last=2011) -> pd.DataFrame:
    frames = []
    for crop in CROPS:
        df = pd.read_csv(shared_data / "agridat_nass" / f"nass.{crop}.txt", sep="\t")
        df = df[(df["year"] >= first) & (df["year"] <= last)].dropna(subset=["yield"])
        frames.append(pd.DataFrame({"region": df["state"], "crop": crop, "year": df["year"],
                                    "yield": df["yield"].astype(float)}))
    return pd.concat(frames, ignore_index=True)


def iowa_jja_rainfall(shared_data) -> pd.Series:
    """Iowa (NOAA state code 013, division 0) June–August precipitation in inches."""
    rows = []
    path = shared_data / "noaa_climdiv" / "climdiv-pcpnst-v1.0_080521.txt"
    for line in path.read_text().splitlines():
        tok = line.split()
        if tok[0][:4] == "0130" and tok[0][4:6] == "01":
            year = int(tok[0][-4:])
            for month, v in enumerate(tok[1:13], start=1):
                if float(v) != -9.99:
                    rows.append((pd.Timestamp(year, month, 1), float(v)))
    s = pd.Series(dict(rows)).sort_index()
    idx = window_index(s, "06-01", "08-31", how="sum")
    idx = idx[idx["n_obs"] == 3]
    return pd.Series(idx["index"].to_numpy(), index=idx["year"].to_numpy())


def independent_rates(years, yields, thetas, *, multiplicative=False):
    """Linear trend by numpy.polyfit, empirical and kernel rates by direct integration."""
    T = years.max() + 1
    slope, intercept = np.polyfit(years, yields, 1)
    trend, mu = intercept + slope * years, intercept + slope * T
    adj = mu * yields / trend if multiplicative else yields - trend + mu
    kde = stats.gaussian_kde(adj, bw_method="silverman")
    emp, ker = [], []
    for theta in thetas:
        c = theta * mu
        emp.append(np.mean(np.clip(c - adj, 0, c)) / c)
        # E[min((c − Y)₊, c)] = ∫_0^c F(y) dy
        val, _ = integrate.quad(lambda t: kde.integrate_box_1d(-np.inf, t), 0, c,
                                epsabs=1e-12, epsrel=1e-10, limit=200)
        ker.append(val / c)
    return mu, np.array(emp), np.array(ker)


def test_iowa_corn_rates_agree_with_an_independent_computation(shared_data):
    df = nass(shared_data, 1956, 2011)
    ia = df[(df["region"] == "Iowa") & (df["crop"] == "corn")]
    years, y = ia["year"].to_numpy(float), ia["yield"].to_numpy()
    thetas = (0.65, 0.75, 0.85, 0.9)
    for mult in (False, True):
        mu, emp, ker = independent_rates(years, y, thetas, multiplicative=mult)
        adj = "multiplicative" if mult else "additive"
        m_emp = YieldModel("linear", adj, "empirical").fit(years, y)
        m_ker = YieldModel("linear", adj, "kde").fit(years, y)
        assert m_ker.expected_yield_ == pytest.approx(mu, rel=1e-10)
        np.testing.assert_allclose(m_emp.premium_rate(thetas), emp, rtol=1e-9, atol=1e-14)
        np.testing.assert_allclose(m_ker.premium_rate(thetas), ker, rtol=1e-7, atol=1e-12)
    # Iowa corn is low risk: 85% cover costs a few percent of liability, rising with θ
    r = YieldModel("linear", "multiplicative", "kde").fit(years, y).premium_rate(thetas)
    assert 0.005 < r[2] < 0.06 and np.all(np.diff(r) > 0)


def test_batch_rates_on_all_states_and_crops(shared_data):
    df = nass(shared_data)
    out = reprice(df, (0.7, 0.8, 0.9), detrend="linear", adjustment="additive",
                  min_years=20, on_invalid="skip")
    assert len(out) > 300
    checked = 0
    for (region, crop), g in out.groupby(["region", "crop"]):
        cell = df[(df["region"] == region) & (df["crop"] == crop)]
        mu, emp, ker = independent_rates(cell["year"].to_numpy(float),
                                         cell["yield"].to_numpy(), (0.7, 0.8, 0.9))
        assert g["expected_yield"].iloc[0] == pytest.approx(mu, rel=1e-9)
        np.testing.assert_allclose(g["empirical_rate"], emp, rtol=1e-9, atol=1e-14)
        np.testing.assert_allclose(g["kernel_rate"], ker, rtol=1e-7, atol=1e-12)
        checked += 1
    assert checked == len(out) // 3


def test_iowa_rainfall_index_basis_risk(shared_data):
    # Iowa corn 1926–2011 against June–August rainfall: the drought years 1936 and 1988 pay,
    # the 1993 flood (wettest summer on record) is a loss the drought index cannot see.
    corn = nass(shared_data, 1926, 2011)
    ia = corn[(corn["region"] == "Iowa") & (corn["crop"] == "corn")]
    rain = iowa_jja_rainfall(shared_data).loc[1926:2011]
    trend = fit_trend(ia["year"], ia["yield"], "quadratic")
    years = trend.years.astype(int)
    assert np.array_equal(years, rain.index.to_numpy())
    theta = 0.85
    loss = np.maximum(theta - trend.yields / trend.fitted, 0) / theta   # share of guarantee lost
    cover = WeatherIndexCover(trigger=float(rain.quantile(0.2)), exit=float(rain.min()),
                              sum_insured=1.0)
    payout = cover.pay(rain.to_numpy())
    at = {int(y): i for i, y in enumerate(years)}
    assert loss[at[1936]] > 0.3 and payout[at[1936]] > 0.5
    assert loss[at[1988]] > 0.1 and payout[at[1988]] > 0.3
    assert loss[at[1993]] > 0.2 and payout[at[1993]] == 0       # flood: loss, no payout
    b = basis_risk(payout, loss)
    # the same statistics by a plain loop
    n = len(years)
    assert b.p_loss_no_payout == sum(x > 0 and p == 0 for x, p in zip(loss, payout,
                                                                      strict=True)) / n
    assert b.p_payout_no_loss == sum(p > 0 and x == 0 for x, p in zip(loss, payout,
                                                                      strict=True)) / n
    assert b.correlation == pytest.approx(np.corrcoef(payout, loss)[0, 1])
    # a weak proxy: positive but low correlation, and both kinds of mismatch occur
    assert 0.1 < b.correlation < 0.6
    assert b.p_loss_no_payout > 0.05 and b.p_payout_no_loss > 0.05
