"""A/E by cell and rate indication: hand computations, exact Poisson limits, properties."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy import stats

import puhui
from puhui.experience.ae import actual_vs_expected
from puhui.experience.indication import rate_indication


def cells():
    return pd.DataFrame({
        "segment": ["healthy", "healthy", "preexisting"],
        "line": ["a", "b", "a"],
        "actual_count": [90, 10, 60],
        "expected_count": [80.0, 20.0, 40.0],
        "actual_amount": [900_000.0, 100_000.0, 900_000.0],
        "expected_amount": [800_000.0, 200_000.0, 600_000.0],
        "amount_sq": [1e10, 1e9, 2e10],
    })


def test_ae_by_group_hand_computed():
    r = actual_vs_expected(cells(), by=["segment"])
    t = r.table.set_index("segment")
    # healthy: 100 actual vs 100 expected claims; amounts 1.0M vs 1.0M
    assert t.loc["healthy", "frequency_ae"] == pytest.approx(1.0)
    assert t.loc["preexisting", "frequency_ae"] == pytest.approx(1.5)
    assert t.loc["preexisting", "severity_ae"] == pytest.approx((900_000 / 60) / (600_000 / 40))
    # exact Poisson (Garwood) limits for 60 claims, divided by the 40 expected
    lo = stats.chi2.ppf(0.025, 120) / 2 / 40
    hi = stats.chi2.ppf(0.975, 122) / 2 / 40
    assert t.loc["preexisting", "frequency_lower"] == pytest.approx(lo, rel=1e-12)
    assert t.loc["preexisting", "frequency_upper"] == pytest.approx(hi, rel=1e-12)
    # compound Poisson interval: S ± 1.96 sqrt(Σx²)
    half = stats.norm.ppf(0.975) * np.sqrt(2e10)
    assert t.loc["preexisting", "amount_upper"] == pytest.approx((900_000 + half) / 600_000)
    assert bool(t.loc["preexisting", "significant"]) and not bool(t.loc["healthy",
                                                                        "significant"])
    # limited-fluctuation credibility: sqrt(60 / 1082.2)
    assert t.loc["preexisting", "credibility"] == pytest.approx(np.sqrt(60 / r.full_standard))
    assert r.full_standard == pytest.approx(1082.217, abs=1e-3)


def test_drivers_split_the_deviation_exactly():
    r = actual_vs_expected(cells(), by=["segment", "line"])
    t = r.table
    dev = t["actual_amount"] - t["expected_amount"]
    np.testing.assert_allclose(t["frequency_effect"] + t["severity_effect"], dev)
    assert t["deviation_share"].sum() == pytest.approx(1.0)
    # healthy/b: 10 vs 20 claims at expected severity 10,000 → frequency effect −100,000
    row = t[(t.segment == "healthy") & (t.line == "b")].iloc[0]
    assert row["frequency_effect"] == pytest.approx(-100_000)
    assert row["severity_effect"] == pytest.approx(0.0)


def test_total_row_and_plot():
    r = actual_vs_expected(cells())
    assert len(r.table) == 1 and r.table["actual_count"].iloc[0] == 160
    ax = r.plot()
    assert ax.get_xlabel()


def test_ae_input_errors():
    with pytest.raises(puhui.ParameterError, match="lacks column"):
        actual_vs_expected(cells().drop(columns="expected_count"))
    with pytest.raises(puhui.ParameterError, match="whole"):
        actual_vs_expected(cells().assign(actual_count=[1.5, 2, 3]))
    with pytest.raises(puhui.ParameterError, match="expected_count > 0"):
        actual_vs_expected(cells().assign(expected_count=0.0), by=["line"])


@given(st.integers(0, 500), st.floats(1, 500), st.floats(0.5, 0.99))
def test_interval_contains_the_estimate(n, e, level):
    df = pd.DataFrame({"actual_count": [n], "expected_count": [e],
                       "actual_amount": [n * 1000.0], "expected_amount": [e * 1000.0]})
    t = actual_vs_expected(df, level=level).table.iloc[0]
    assert t["frequency_lower"] <= t["frequency_ae"] <= t["frequency_upper"]
    assert 0 <= t["credibility"] <= 1


def test_indication_formula():
    # Δ = (L + f)/(T − v) − 1 = (0.80 + 0.02)/(0.95 − 0.10) − 1
    r = rate_indication(0.80, target_combined_ratio=0.95, variable_expense_ratio=0.10,
                        fixed_expense_ratio=0.02)
    assert r.indicated_change == pytest.approx(0.82 / 0.85 - 1)
    assert r.projected_combined_ratio == pytest.approx(0.95)


def test_indication_credibility_and_complement():
    r = rate_indication(1.2, target_combined_ratio=1.0, variable_expense_ratio=0.1,
                        credibility=0.25)
    # complement = T − v − f = 0.9 ("no change"); L = 0.25·1.2 + 0.75·0.9 = 0.975
    assert r.projected_loss_ratio == pytest.approx(0.975)
    assert r.indicated_change == pytest.approx(0.975 / 0.9 - 1)


def test_indication_cap_is_a_rule_not_a_silent_clip():
    with pytest.raises(puhui.ParameterError, match="no premium"):
        rate_indication(0.0, target_combined_ratio=1.0)
    with pytest.raises(puhui.RuleError, match="breaches"):
        rate_indication(1.5, target_combined_ratio=1.0, max_change=0.2)
    r = rate_indication(1.5, target_combined_ratio=1.0, max_change=0.2, clip=True)
    assert r.clipped and r.change == pytest.approx(0.2) and r.indicated_change > 0.2
    r = rate_indication(0.5, target_combined_ratio=1.0, max_change=0.2, clip=True)
    assert r.change == pytest.approx(-0.2)


@given(st.floats(0.01, 3), st.floats(0, 1), st.floats(0.5, 1.2))
def test_indication_meets_target_when_unclipped(lr, z, target):
    r = rate_indication(lr, target_combined_ratio=target, variable_expense_ratio=0.1,
                        credibility=z)
    assert r.projected_combined_ratio == pytest.approx(target, rel=1e-9)
