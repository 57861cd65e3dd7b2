"""One home per formula (issue 12): the gross-up, the expense model and the combined ratio.

Each unified formula is checked against an independent computation (exact rational arithmetic
with :class:`fractions.Fraction`, or the balance equation it solves), and every site that used
to write the formula inline is checked to give the very same numbers as the one function
(bit-identical: ``==`` on floats, where the algebra is the same).
"""

from __future__ import annotations

import dataclasses
from fractions import Fraction

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import puhui.agri as agri
import puhui.huiminbao as products
import puhui.life as life
import puhui.pricing as pricing
from puhui.agri.rules import base_rate
from puhui.errors import ParameterError
from puhui.life import load_table
from puhui.life.premiums import annuity_due, benefit_value
from puhui.life.products import one_year_gross
from puhui.pricing import Expenses, gross_premium, gross_up
from puhui.ratios import (
    Statement,
    combined_ratio,
    combined_ratio_from,
    expected_combined_ratio,
)

share = st.floats(0.0, 0.3, allow_nan=False)
money = st.floats(0.0, 1e4, allow_nan=False, allow_subnormal=False)  # amounts in 元: never subnormal (5e-324 / 0.95 rounds back to 5e-324)


# -- the one gross-up ------------------------------------------------------------------------------


def _exact(pure, v, fixed=0.0, k=0.0, n=0.0, m=0.0, tau=1.0, a=1.0, c0=0.0) -> float:
    """P = (E + F + k·n) / ((τ − v − m)·ä − c₀) in exact rational arithmetic (then rounded)."""
    F = Fraction
    num = F(pure) + F(fixed) + F(k) * F(n)
    den = (F(tau) - F(v) - F(m)) * F(a) - F(c0)
    return float(num / den)


@settings(max_examples=60, deadline=None)
@given(pure=money, v=share, fixed=money, k=money, n=st.floats(0.0, 3.0), m=share,
       tau=st.floats(0.7, 1.2), a=st.floats(1.0, 20.0), c0=share)
def test_gross_up_solves_its_balance_equation(pure, v, fixed, k, n, m, tau, a, c0):
    if (tau - v - m) * a - c0 <= 1e-3:
        with pytest.raises(ParameterError, match="absorb"):
            gross_up(pure, variable_rate=v, fixed=fixed, per_claim=k, expected_claims=n,
                     margin_rate=m, target_combined_ratio=tau, annuity=a, initial_share=c0)
        return
    p = float(gross_up(pure, variable_rate=v, fixed=fixed, per_claim=k, expected_claims=n,
                       margin_rate=m, target_combined_ratio=tau, annuity=a, initial_share=c0))
    assert p == pytest.approx(_exact(pure, v, fixed, k, n, m, tau, a, c0), rel=1e-12, abs=1e-12)
    # τ·ä·P = E + F + k·n + (v + m)·ä·P + c₀·P
    lhs, rhs = tau * a * p, pure + fixed + k * n + (v + m) * a * p + c0 * p
    assert lhs == pytest.approx(rhs, rel=1e-10, abs=1e-9)


def test_gross_up_hand_values_and_broadcasting():
    assert float(gross_up(80.0, variable_rate=0.2)) == 100.0
    # 惠民保 worked example of pricing/loading.py: (80 + 2 + 5)/(1 − 0.098)
    assert float(gross_up(82.0, fixed=5.0, variable_rate=0.098)) == pytest.approx(96.4523, abs=5e-5)
    out = gross_up(np.array([[10.0], [20.0]]), variable_rate=np.array([0.0, 0.5]))
    assert out.shape == (2, 2)
    assert out.tolist() == [[10.0, 20.0], [20.0, 40.0]]


@pytest.mark.parametrize("kw, match", [
    (dict(variable_rate=1.0), "variable_rate"),
    (dict(variable_rate=-0.1), "variable_rate"),
    (dict(variable_rate=0.1, margin_rate=np.nan), "margin_rate"),
    (dict(variable_rate=0.6, margin_rate=0.4), "absorb"),
    (dict(variable_rate=0.1, fixed=-1.0), "fixed"),
    (dict(variable_rate=0.1, annuity=0.0), "annuity"),
    (dict(variable_rate=0.1, target_combined_ratio=0.0), "target_combined_ratio"),
    (dict(variable_rate=0.5, target_combined_ratio=0.5), "absorb"),
])
def test_gross_up_rejects_bad_input(kw, match):
    with pytest.raises(ParameterError, match=match):
        gross_up(10.0, **kw)
    with pytest.raises(ParameterError, match="pure"):
        gross_up([1.0, np.inf], variable_rate=0.1)


# -- every former site gives the one gross-up's numbers ------------------------------------------


@settings(max_examples=40, deadline=None)
@given(pure=st.lists(money, min_size=1, max_size=5), v=share, e=money, margin=money,
       tau=st.floats(0.8, 1.2))
def test_loading_gross_premium_is_gross_up(pure, v, e, margin, tau):
    pure = np.array(pure)
    by_margin = gross_premium(pure, variable_rate=v, expense_per_member=e, margin=margin)
    by_target = gross_premium(pure, variable_rate=v, expense_per_member=e,
                              target_combined_ratio=tau, basis="target")
    assert np.array_equal(by_margin, gross_up(pure + e, fixed=margin, variable_rate=v))
    assert np.array_equal(by_target, gross_up(pure, fixed=e, variable_rate=v,
                                              target_combined_ratio=tau))
    # the textbook forms, bit for bit
    assert np.array_equal(by_margin, (pure + e + margin) / (1.0 - v))
    assert np.array_equal(by_target, (pure + e) / (tau - v))


@settings(max_examples=40, deadline=None)
@given(b=st.lists(st.floats(0.0, 0.2), min_size=1, max_size=6), load=st.floats(0.0, 0.20))
def test_agri_base_rate_is_gross_up(b, load):
    b = np.array(b)
    got = base_rate(b, load)
    assert np.array_equal(got, gross_up(b, variable_rate=load))
    assert np.array_equal(got, b / (1.0 - load))      # 基准纯风险损失率 / (1 − 附加费率)
    # DOMAIN.md worked example: 3% at 附加费率 20% → 3.75%
    assert float(base_rate(0.03, 0.20)) == 0.0375


@settings(max_examples=40, deadline=None)
@given(net=money, c=share, c0=share, m=share, i_pol=money, e=money, s=st.floats(0, 1e5),
       i_s=st.floats(0, 0.01))
def test_life_one_year_gross_is_gross_up(net, c, c0, m, i_pol, e, s, i_s):
    exp = life.Expenses(initial_premium_share=c0, premium_share=c, initial_per_policy=i_pol,
                        per_policy=e, initial_per_sum_insured=i_s)
    g = one_year_gross(net, expenses=exp, profit_margin=m, sum_insured=s)
    outgo = net + i_s * s + i_pol + e
    assert g == gross_up(outgo, variable_rate=c + c0 + m)
    assert g == pytest.approx(_exact(outgo, c + c0 + m), rel=1e-12)


def test_life_gross_premium_is_gross_up_with_the_premium_annuity():
    t = load_table("CL1_2010_2013")
    exp = life.Expenses(initial_premium_share=0.3, premium_share=0.08, initial_per_policy=50.0,
                        per_policy=12.0, initial_per_sum_insured=0.001)
    x, n, i, s = np.array([25, 40, 55]), 20, 0.03, 100_000.0
    g = life.gross_premium(t, x, n, benefit="endowment", i=i, expenses=exp, sum_insured=s)
    a = benefit_value(t, x, n, benefit="endowment", i=i)
    ann = annuity_due(t, x, n, i=i)
    outgo = s * a + 0.001 * s + 50.0 + 12.0 * ann
    assert np.array_equal(g, gross_up(outgo, variable_rate=0.08, annuity=ann,
                                      initial_share=0.3))
    assert np.array_equal(g, outgo / ((1.0 - 0.08) * ann - 0.3))   # the textbook form
    # the accident / one-year product goes through the same function
    acc = one_year_gross(60.0, expenses=life.Expenses(premium_share=0.2, per_policy=3.0),
                         profit_margin=0.05)
    assert float(acc) == 84.0                                      # 63 / 0.75


# -- the tuning and 惠民保 pricing sites -------------------------------------------------------------


@pytest.fixture(scope="module")
def product():
    return products.Product.from_toml(products.example_product_path())


def test_tuning_required_premium_and_expected_cr_use_the_one_functions(product):
    from puhui.tuning.costs import MemberCosts
    from puhui.tuning.evaluate import evaluate
    from puhui.tuning.grid import DesignGrid

    rng = np.random.default_rng(7)
    n = 300
    x = np.where(rng.random((n, 3)) < 0.3, np.round(rng.lognormal(8.5, 1.2, (n, 3)), -1), 0.0)
    seg = np.where(rng.random(n) < 0.3, "preexisting", "healthy")
    costs = MemberCosts(x, lines=[ln.name for ln in product.lines], segment=seg)
    grid = DesignGrid.from_product(product, deductible=[0.0, 5_000.0], payout_ratio=[0.5, 0.8],
                                   lines=["in_catalogue", "out_of_catalogue"])
    exp = dataclasses.replace(product.expenses, per_member=3.0)
    t = evaluate(grid, costs, product, expenses=exp).table
    v, e, tau = exp.variable_rate, 3.0, product.target_combined_ratio
    pure = t["pure_premium"].to_numpy()
    assert np.array_equal(t["required_premium"].to_numpy(),
                          gross_up(pure, fixed=e, variable_rate=v, target_combined_ratio=tau))
    assert np.array_equal(t["expected_cr"].to_numpy(),
                          expected_combined_ratio(pure, t["price"].to_numpy(), variable_rate=v,
                                                  fixed_expenses=e))
    for s in grid.segments:
        assert np.array_equal(t[f"required_premium_{s}"].to_numpy(), gross_up(
            t[f"pure_premium_{s}"].to_numpy(), fixed=e, variable_rate=v,
            target_combined_ratio=tau))
    # at the required premium the expected combined ratio is the target
    t2 = evaluate(grid, costs, product, expenses=exp, price="required").table
    assert np.allclose(t2["expected_cr"], tau, rtol=1e-13)


def test_huiminbao_pricing_uses_the_one_functions(product):
    from puhui.huiminbao import price_from_experience

    rng = np.random.default_rng(3)
    n = 800
    pol = pd.DataFrame({"policy_id": [f"P{i:04d}" for i in range(n)],
                        "segment": np.where(rng.random(n) < 0.25, "preexisting", "healthy"),
                        "policy_year": rng.choice([2024, 2025], n),
                        "age": rng.integers(18, 90, n)})
    has = np.flatnonzero(rng.random(n) < 0.4)
    cst = pd.DataFrame({"policy_id": pol["policy_id"].to_numpy()[has],
                        "benefit_line": "in_catalogue",
                        "cost": np.round(rng.lognormal(10.0, 1.0, has.size), 2)})
    res = price_from_experience(product, pol, cst, trend=0.0)
    a, prem = res.assumptions, res.premium
    v, e = a["variable_rate"], a["expense_per_member"]
    assert a["expected_cr"] == float(expected_combined_ratio(
        a["pure_premium"], a["average_price"], variable_rate=v, fixed_expenses=e))
    pure = prem["pure_premium"].to_numpy(float)
    want = gross_premium(pure, variable_rate=v, expense_per_member=e,
                         margin=prem["risk_margin"].to_numpy(float))
    assert np.array_equal(prem["gross_premium"].to_numpy(float), want)


# -- the one expense model ------------------------------------------------------------------------


def test_one_expenses_class_under_every_family_name():
    assert pricing.Expenses is Expenses
    assert issubclass(agri.Expenses, Expenses) and issubclass(life.Expenses, Expenses)
    hmb = Expenses(commission=0.04, admin=0.06, taxes=0.0, protection_fund=0.008,
                            per_member=2.0)
    crop = agri.Expenses(per_mu=1.5, premium_share=0.06, per_paid_mu=4.0)
    lf = life.Expenses(initial_premium_share=0.3, premium_share=0.1, per_policy=15.0)
    # family keywords map onto the model's fields
    assert (crop.per_member, crop.per_claim, crop.per_mu, crop.per_paid_mu) == (1.5, 4.0, 1.5, 4.0)
    assert (lf.per_member, lf.per_policy, lf.variable_rate) == (15.0, 15.0, 0.1)
    # v = the sum of the shares, in the documented order
    assert hmb.variable_rate == 0.04 + 0.06 + 0.0 + 0.008 + 0.0 + 0.0
    assert hmb.variable_rate == pytest.approx(0.108, rel=1e-15)
    # amount = per_member·N + v·P + per_claim·n, checked by hand
    assert float(crop.amount(100.0, 2000.0, 10.0)) == 1.5 * 100 + 0.06 * 2000 + 4.0 * 10
    assert float(hmb.amount(10, 1000.0)) == pytest.approx(2.0 * 10 + 0.108 * 1000, rel=1e-15)
    # replace keeps working on the subclasses (TermLifeProduct loads the profit margin so)
    lf2 = dataclasses.replace(lf, premium_share=0.15)
    assert isinstance(lf2, life.Expenses) and lf2.per_policy == 15.0
    assert lf2.initial_premium_share == 0.3
    crop2 = dataclasses.replace(crop, catastrophe_reserve=0.02)
    assert crop2.variable_rate == pytest.approx(0.08) and crop2.per_mu == 1.5


@pytest.mark.parametrize("make, match", [
    (lambda: Expenses(commission=0.6, admin=0.5), "less than 100%"),
    (lambda: Expenses(per_claim=-1.0), "per_claim"),
    (lambda: agri.Expenses(per_mu=-1.0), "per_mu"),
    (lambda: agri.Expenses(premium_share=1.0), "premium_share"),
    (lambda: life.Expenses(per_policy=-1.0), "per_policy"),
    (lambda: life.Expenses(initial_premium_share=1.0), "initial_premium_share"),
    (lambda: life.Expenses(per_claim=5.0), "per_claim"),
])
def test_expenses_reject_bad_input(make, match):
    with pytest.raises(ParameterError, match=match):
        make()


def test_huiminbao_product_refuses_a_per_claim_expense_it_cannot_price(product):
    with pytest.raises(ParameterError, match="per_claim"):
        dataclasses.replace(product, expenses=Expenses(per_claim=10.0))


def test_agri_design_metrics_equal_the_model_amount():
    crop = agri.Expenses(per_mu=1.0, premium_share=0.06, per_paid_mu=4.0)
    area, prem, paid = np.array([10.0, 20.0]), np.array([300.0, 0.0]), np.array([2.0, 0.0])
    want = 1.0 * area + 0.06 * prem + 4.0 * paid         # the crop formula as documented
    assert np.array_equal(crop.amount(area, prem, paid), want)


# -- the one combined ratio ----------------------------------------------------------------------


@settings(max_examples=40, deadline=None)
@given(claims=money, fixed=money, v=share, prem=st.floats(1.0, 1e4))
def test_expected_combined_ratio_against_exact_and_inverse_of_gross_up(claims, fixed, v, prem):
    cr = float(expected_combined_ratio(claims, prem, variable_rate=v, fixed_expenses=fixed))
    F = Fraction
    assert cr == pytest.approx(float((F(claims) + F(fixed)) / F(prem) + F(v)), rel=1e-12)
    tau = 0.95
    if tau - v > 0.05:
        p = gross_up(claims, fixed=fixed, variable_rate=v, target_combined_ratio=tau)
        if p > 0:
            assert float(expected_combined_ratio(claims, p, variable_rate=v,
                                                 fixed_expenses=fixed)) == pytest.approx(tau)


def test_statement_combined_ratio_is_the_sum_of_its_parts():
    s = Statement(gross_written_premium=1000.0, change_in_upr=100.0, claims_paid=600.0,
                  change_in_claim_reserves=120.0, commission=50.0, admin_expenses=80.0,
                  taxes_and_surcharges=6.0, protection_fund=8.0)
    r = combined_ratio(s)
    assert r.combined_ratio == combined_ratio_from(r.loss_ratio, r.expense_ratio)
    assert r.combined_ratio == pytest.approx((720.0 + 144.0) / 900.0, rel=1e-15)
    assert combined_ratio_from([0.7, np.nan], 0.1)[1] != combined_ratio_from(0.7, 0.1)  # NaN kept
    with pytest.raises(ParameterError, match="broadcast"):
        combined_ratio_from([0.1, 0.2], [0.1, 0.2, 0.3])
    with pytest.raises(ParameterError, match="loss_ratio"):
        combined_ratio_from("x", 0.1)
