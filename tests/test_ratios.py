"""Chinese regulatory ratios on hand-computed statements (DOMAIN.md, section "Ratios")."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from puhui.errors import ParameterError
from puhui.ratios import (
    STATEMENT_FIELDS,
    Ratios,
    Statement,
    combined_ratio,
    underwriting_year_ratios,
)

PLAIN = dict(gross_written_premium=1_000_000.0, change_in_upr=100_000.0, claims_paid=600_000.0,
             change_in_claim_reserves=120_000.0, commission=50_000.0, admin_expenses=80_000.0,
             taxes_and_surcharges=6_000.0, protection_fund=8_000.0)

# 30% quota share: the reinsurer takes 30% of premium and claims and pays a ceding commission.
CEDED = dict(PLAIN, ceded_premium=300_000.0, change_in_upr=70_000.0, ceded_claims_paid=180_000.0,
             ceded_change_in_claim_reserves=36_000.0, ceded_reinsurance_expenses=90_000.0)


def test_statement_without_reinsurance():
    # 已赚保费 = 1,000,000 − 0 − 100,000 = 900,000
    # 综合赔付率 = (600,000 + 120,000) / 900,000 = 0.80
    # 综合费用率 = (50,000 + 80,000 + 6,000 + 8,000) / 900,000 = 144,000 / 900,000 = 0.16
    # 综合成本率 = 0.96; 简单赔付率 = (600,000 + 120,000) / 1,000,000 = 0.72
    # 承保利润 = 900,000 − 720,000 − 144,000 = 36,000
    r = combined_ratio(Statement(**PLAIN))
    assert isinstance(r, Ratios)
    assert r.earned_premium == 900_000.0
    assert r.net_claims_incurred == 720_000.0 and r.total_expenses == 144_000.0
    assert r.loss_ratio == pytest.approx(0.80, rel=1e-15)
    assert r.expense_ratio == pytest.approx(0.16, rel=1e-15)
    assert r.combined_ratio == pytest.approx(0.96, rel=1e-15)
    assert r.simple_loss_ratio == pytest.approx(0.72, rel=1e-15)
    assert r.underwriting_result == pytest.approx(36_000.0)


def test_statement_with_quota_share_reinsurance():
    # 已赚保费 = 1,000,000 − 300,000 (分出保费) − 70,000 (提取未到期, net) = 630,000
    # 综合赔付率 = (600,000 − 180,000 + 120,000 − 36,000) / 630,000 = 504,000 / 630,000 = 0.80
    # 综合费用率 = (50,000 + 80,000 + 6,000 + 0 − 90,000 + 8,000) / 630,000 = 54,000 / 630,000
    #           = 0.0857142857…;  综合成本率 = 0.8857142857…
    # 简单赔付率 stays gross: (600,000 + 120,000) / 1,000,000 = 0.72
    r = combined_ratio(CEDED)  # a mapping works too
    assert r.earned_premium == 630_000.0
    assert r.loss_ratio == pytest.approx(0.80, rel=1e-15)
    assert r.expense_ratio == pytest.approx(54_000 / 630_000, rel=1e-15)
    assert r.combined_ratio == pytest.approx(558_000 / 630_000, rel=1e-15)
    assert r.simple_loss_ratio == pytest.approx(0.72, rel=1e-15)
    # assumed business with 10,000 of 分保费用 adds 10,000 / 630,000 to the expense ratio
    r2 = combined_ratio(dict(CEDED, reinsurance_expenses=10_000.0))
    assert r2.expense_ratio - r.expense_ratio == pytest.approx(10_000 / 630_000, rel=1e-12)


def test_reserve_releases_are_negative_changes():
    # 已赚保费 = 500 − (−50) = 550 (UPR released); claims = 400 + (−40) = 360;
    # 综合赔付率 = 360 / 550 = 0.654545…;  综合费用率 = (20 + 30 + 3 + 4) / 550 = 57 / 550
    r = combined_ratio(Statement(gross_written_premium=500.0, change_in_upr=-50.0,
                                 claims_paid=400.0, change_in_claim_reserves=-40.0,
                                 commission=20.0, admin_expenses=30.0,
                                 taxes_and_surcharges=3.0, protection_fund=4.0))
    assert r.loss_ratio == pytest.approx(360 / 550, rel=1e-15)
    assert r.expense_ratio == pytest.approx(57 / 550, rel=1e-15)


def test_table_by_period_and_product():
    rows = [dict(PLAIN, period="2024", product="HMB"), dict(CEDED, period="2024", product="AGR"),
            dict(PLAIN, period="2025", product="HMB", claims_paid=700_000.0)]
    table = pd.DataFrame(rows).fillna(0.0)
    out = combined_ratio(table)
    assert list(out.columns[:2]) == ["period", "product"]
    assert out["combined_ratio"].tolist() == pytest.approx(
        [0.96, 558_000 / 630_000, (820_000 + 144_000) / 900_000])
    # the table gives the same numbers as the statements one by one
    for i, row in enumerate(rows):
        one = combined_ratio({k: v for k, v in row.items() if k in STATEMENT_FIELDS})
        assert out["loss_ratio"].iloc[i] == pytest.approx(one.loss_ratio, rel=1e-15)
    # reinsurance columns may be absent (no reinsurance), the others may not
    plain = combined_ratio(pd.DataFrame([PLAIN]))
    assert plain["combined_ratio"].iloc[0] == pytest.approx(0.96)
    summary = combined_ratio(Statement(**PLAIN)).summary()
    assert summary.attrs["zh"]["combined_ratio"] == "综合成本率"
    assert summary["combined_ratio"].iloc[0] == pytest.approx(0.96)


def test_array_statement_is_vectorised():
    s = Statement(**{**PLAIN, "claims_paid": np.array([600_000.0, 690_000.0])})
    r = combined_ratio(s)
    np.testing.assert_allclose(r.loss_ratio, [0.8, 0.9])
    assert r.summary().shape[0] == 2


def test_zero_gross_premium_leaves_only_the_simple_ratio_undefined():
    r = combined_ratio(dict(PLAIN, gross_written_premium=0.0, change_in_upr=-900_000.0))
    assert np.isnan(r.simple_loss_ratio)
    assert r.loss_ratio == pytest.approx(0.8)


def test_errors():
    with pytest.raises(ParameterError, match="已赚保费"):
        combined_ratio(dict(PLAIN, change_in_upr=1_000_000.0))  # earned premium 0, not inf
    table = pd.DataFrame([dict(PLAIN, product="A"), dict(PLAIN, product="B", change_in_upr=2e6)])
    with pytest.raises(ParameterError, match="'product': 'B'"):
        combined_ratio(table)
    with pytest.raises(ParameterError, match="gross_written_premium"):
        combined_ratio(dict(PLAIN, gross_written_premium=-1.0))
    with pytest.raises(ParameterError, match="commission .手续费及佣金."):
        combined_ratio(pd.DataFrame([PLAIN]).drop(columns="commission"))
    with pytest.raises(ParameterError, match="finite"):
        combined_ratio(dict(PLAIN, claims_paid=float("nan")))
    with pytest.raises(ParameterError, match="unknown"):
        combined_ratio(dict(PLAIN, premium=1.0))
    with pytest.raises(ParameterError, match="incomplete"):
        combined_ratio({"gross_written_premium": 1.0})
    with pytest.raises(ParameterError, match="Statement"):
        combined_ratio(42)


def test_underwriting_year_ratios():
    # paid 700,000 + outstanding (case 150,000 + IBNR 50,000) = incurred 900,000;
    # 简单赔付率 = 900,000 / 1,000,000 = 0.90; 满期赔付率 = 900,000 / 900,000 = 1.00
    out = underwriting_year_ratios(pd.DataFrame({
        "policy_year": [2024], "paid": [700_000.0], "outstanding": [200_000.0],
        "written_premium": [1_000_000.0], "earned_premium": [900_000.0]}))
    assert list(out.columns) == ["policy_year", "incurred", "simple_loss_ratio",
                                 "earned_loss_ratio"]
    assert out.iloc[0].tolist() == pytest.approx([2024, 900_000.0, 0.9, 1.0])
    with pytest.raises(ParameterError, match="满期保费"):
        underwriting_year_ratios({"paid": [1.0], "outstanding": [0.0],
                                  "written_premium": [1.0], "earned_premium": [0.0]})
    with pytest.raises(ParameterError, match="outstanding"):
        underwriting_year_ratios({"paid": [1.0], "written_premium": [1.0],
                                  "earned_premium": [1.0]})


# ---------------------------------------------------------------------------------------------
# Properties
# ---------------------------------------------------------------------------------------------

money = st.floats(0, 1e9, allow_nan=False, allow_infinity=False)
change = st.floats(-1e8, 1e8, allow_nan=False, allow_infinity=False)


@st.composite
def statements(draw):
    d = {n: draw(change if signed else money) for n, (_, _, signed) in STATEMENT_FIELDS.items()}
    # earned premium positive and not a tiny difference of large numbers (which would make
    # any float comparison ill-conditioned): at least 5% of the premium lines it comes from
    base = d["ceded_premium"] + max(d["change_in_upr"], 0)
    d["gross_written_premium"] = base + max(0.05 * (base + abs(d["change_in_upr"])), 1.0) \
        + draw(st.floats(0, 1e9))
    return d


@settings(max_examples=80, deadline=None)
@given(statements())
def test_combined_is_loss_plus_expense_from_the_raw_lines(d):
    r = combined_ratio(d)
    earned = d["gross_written_premium"] - d["ceded_premium"] - d["change_in_upr"]
    claims = (d["claims_paid"] - d["ceded_claims_paid"] + d["change_in_claim_reserves"]
              - d["ceded_change_in_claim_reserves"])
    costs = (d["commission"] + d["admin_expenses"] + d["taxes_and_surcharges"]
             + d["reinsurance_expenses"] - d["ceded_reinsurance_expenses"]
             + d["protection_fund"])
    assert r.combined_ratio == pytest.approx((claims + costs) / earned, rel=1e-9, abs=1e-9)
    assert r.combined_ratio == pytest.approx(r.loss_ratio + r.expense_ratio, rel=1e-12,
                                             abs=1e-12)
    assert r.underwriting_result == pytest.approx(earned * (1 - r.combined_ratio), rel=1e-6,
                                                  abs=1e-3)


@settings(max_examples=60, deadline=None)
@given(statements(), st.floats(1e-3, 1e3))
def test_ratios_do_not_depend_on_the_currency_unit(d, c):
    a = combined_ratio(d)
    b = combined_ratio({k: v * c for k, v in d.items()})
    for name in ("loss_ratio", "expense_ratio", "combined_ratio"):
        assert getattr(b, name) == pytest.approx(getattr(a, name), rel=1e-9, abs=1e-12)
    assert b.earned_premium == pytest.approx(c * a.earned_premium, rel=1e-9)
