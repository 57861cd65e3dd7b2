"""Special-group health (puhui.life.health): incidence calibration, present values against a
year-by-year loop, the medical layer against quadrature, A/E, tuning, bad input."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import integrate, stats

from puhui.errors import ParameterError
from puhui.life import HealthProduct, LifeTable, cancer_incidence, review_health, tune_health

SEV = stats.lognorm(s=1.0, scale=3_000.0)


def toy_table():
    ages = np.arange(50, 106)
    return LifeTable(ages=ages, qx=np.minimum(0.005 * np.exp(0.09 * (ages - 50)), 1.0) * (
        ages < 105) + (ages == 105), name="toy")


def product(**kw):
    base = dict(table=toy_table(), lump_sum=50_000.0, medical_severity=SEV,
                incidence_loading=1.2, mortality_loading=1.1, medical_rate=0.3,
                deductible=500.0, payout_ratio=0.8, cap=20_000.0, term=5, interest=0.025)
    base.update(kw)
    return HealthProduct(**base)


def test_incidence_reproduces_the_published_cumulative_rate():
    # 国家癌症中心, cancer incidence in China 2015: cumulative rate 0–74 = 21.44 %
    mids = np.arange(15) * 5 + 2.5
    assert float(np.sum(5 * cancer_incidence(mids))) == pytest.approx(0.2144, rel=1e-12)
    assert np.all(np.diff(cancer_incidence(np.arange(0, 100))) >= 0)


def test_present_values_against_a_year_by_year_loop():
    p = product()
    top = 500 + 20_000 / 0.8
    m = 0.3 * (integrate.quad(lambda x: 0.8 * (x - 500) * SEV.pdf(x), 500, top, limit=400)[0]
               + 20_000 * SEV.sf(top))
    assert float(p.medical_cost()) == pytest.approx(m, rel=1e-6)
    for x in (55, 70):
        v, tp, lump, med, ann = 1 / 1.025, 1.0, 0.0, 0.0, 0.0
        for t in range(5):
            q = min(1.1 * float(toy_table().qx[x + t - 50]), 1.0)
            i = min(1.2 * float(cancer_incidence(x + t)), 1.0)
            lump += tp * (1 - q / 2) * i * 50_000 * v ** (t + 0.5)
            med += tp * (1 - q / 2 - i / 2) * m * v ** (t + 0.5)
            ann += tp * v**t
            tp *= (1 - q) * (1 - i)
        pv = p.present_values(x)
        assert pv["lump"].item() == pytest.approx(lump, rel=1e-10)
        assert pv["medical"].item() == pytest.approx(med, rel=1e-6)
        assert pv["annuity"].item() == pytest.approx(ann, rel=1e-12)
        assert float(p.net_premium(x)[0]) == pytest.approx((lump + med) / ann, rel=1e-6)


def test_one_year_cover_by_hand():
    p = product(term=1)
    q, i = 1.1 * float(toy_table().qx[10]), 1.2 * float(cancer_incidence(60))
    v = 1 / 1.025
    ref = v**0.5 * (50_000 * i * (1 - q / 2) + float(p.medical_cost()) * (1 - q / 2 - i / 2))
    assert float(p.net_premium(60)[0]) == pytest.approx(ref, rel=1e-12)
    # gross-up: (P + e)/(τ − v)
    g = product(term=1, per_policy=20.0, variable_rate=0.15).gross_premium(60, 0.95)
    assert float(g[0]) == pytest.approx((ref + 20.0) / (0.95 - 0.15), rel=1e-12)


@settings(max_examples=15)
@given(d=st.floats(0, 5_000), g=st.floats(0.5, 3.0))
def test_premium_moves_the_right_way(d, g):
    p = product(deductible=d, incidence_loading=g)
    base, higher_d = p.net_premium(65, deductible=np.array([d, d + 100.0])).ravel()
    assert base == pytest.approx(float(p.net_premium(65)[0]), rel=1e-12)  # grid = scalar call
    assert higher_d <= base + 1e-9
    assert float(product(deductible=d, incidence_loading=g * 1.1).net_premium(65)[0]) >= \
        base - 1e-9


def test_review_and_tuning():
    p = product(term=1)
    exp = p.expected_claims([60, 70], [1_000.0, 1_000.0])
    cells = pd.DataFrame({"group": ["elderly", "disabled"], "age": [60, 70],
                          "exposure": [1_000.0, 1_000.0]})
    n = (exp["cancer_count"] + exp["medical_count"]).to_numpy()
    amt = (exp["cancer_amount"] + exp["medical_amount"]).to_numpy()
    cells["actual_count"] = np.round(n * [1.0, 1.5])
    cells["actual_amount"] = amt * [1.0, 1.5]
    r = review_health(p, cells)
    t = r.table.set_index("group")
    assert t.loc["disabled", "amount_ae"] == pytest.approx(1.5, rel=1e-12)
    assert t.loc["elderly", "amount_ae"] == pytest.approx(1.0, rel=1e-12)
    assert 0 <= t.loc["disabled", "credibility"] <= 1
    grid = tune_health(p, [60, 70], deductibles=[0, 500, 1_000], payout_ratios=[0.7, 0.9],
                       premium=1_500.0)
    assert len(grid) == 6
    row = grid.iloc[0]
    assert row["expected_cr"] == pytest.approx(row["net_premium"] / 1_500 + 0.15, rel=1e-12)
    assert np.all(np.diff(grid.query("payout_ratio == 0.7")["net_premium"]) < 0)


def test_bad_input():
    with pytest.raises(ParameterError):
        product(term=0)
    with pytest.raises(ParameterError):
        product(lump_sum=-1.0)
    with pytest.raises(ParameterError):
        product(table="CL1")
    with pytest.raises(ParameterError, match="outside the table"):
        product(term=20).net_premium(95)
    with pytest.raises(ParameterError):
        cancer_incidence(-1)
    with pytest.raises(ParameterError, match="lack"):
        review_health(product(), pd.DataFrame({"age": [60]}))
