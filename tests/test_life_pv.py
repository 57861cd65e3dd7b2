"""Present values, premiums and reserves against commutation functions, a textbook table and
actuarial identities."""

from __future__ import annotations

import time

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from puhui.errors import ParameterError
from puhui.life.catalogue import load_table
from puhui.life.premiums import (
    Expenses,
    benefit_value,
    gross_premium,
    net_premium,
    net_premium_reserve,
)
from puhui.life.present_values import (
    annuity_due,
    annuity_immediate,
    endowment_insurance,
    nominal_rates,
    pure_endowment,
    term_insurance,
    whole_life_insurance,
)
from puhui.life.table import LifeTable

TABLES = ["CL1_2010_2013", "CL4_2010_2013", "CL5_2010_2013", "CL3_2000_2003"]


def commutation(table: LifeTable, i: float):
    """Classical commutation columns D, N, C, M (independent of puhui's path sums)."""
    v = 1 / (1 + i)
    lx = table.lx(1.0)
    ages = table.ages.astype(float)
    D = v**ages * lx
    C = v ** (ages + 1) * lx * table.qx
    N = np.cumsum(D[::-1])[::-1]
    M = np.cumsum(C[::-1])[::-1]
    pad = np.zeros(200)
    return (np.concatenate([D, pad]), np.concatenate([N, pad]), np.concatenate([C, pad]),
            np.concatenate([M, pad]))


@pytest.mark.parametrize("name", TABLES)
@pytest.mark.parametrize("i", [0.0, 0.025, 0.035, 0.06])
def test_present_values_equal_commutation_functions(name, i):
    t = load_table(name)
    D, N, _, M = commutation(t, i)
    x = np.repeat(np.arange(0, 106), 4)
    n = np.tile([1, 5, 20, 60], 106)
    np.testing.assert_allclose(annuity_due(t, x, i=i), N[x] / D[x], rtol=1e-12)
    np.testing.assert_allclose(annuity_due(t, x, n, i=i), (N[x] - N[x + n]) / D[x], rtol=1e-12)
    np.testing.assert_allclose(whole_life_insurance(t, x, i=i), M[x] / D[x], rtol=1e-12)
    np.testing.assert_allclose(term_insurance(t, x, n, i=i), (M[x] - M[x + n]) / D[x],
                               rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(pure_endowment(t, x, n, i=i), D[x + n] / D[x], rtol=1e-12,
                               atol=1e-15)
    np.testing.assert_allclose(endowment_insurance(t, x, n, i=i),
                               (M[x] - M[x + n] + D[x + n]) / D[x], rtol=1e-12)
    np.testing.assert_allclose(annuity_immediate(t, x, n, i=i),
                               (N[x + 1] - N[x + n + 1]) / D[x], rtol=1e-12, atol=1e-15)
    u = np.tile([0, 3, 10, 25], 106)
    np.testing.assert_allclose(annuity_due(t, x, n, i=i, defer=u),
                               (N[x + u] - N[x + u + n]) / D[x], rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(whole_life_insurance(t, x, i=i, defer=u), M[x + u] / D[x],
                               rtol=1e-12, atol=1e-15)


def test_standard_ultimate_survival_model_values():
    # Dickson, Hardy & Waters, Actuarial Mathematics for Life Contingent Risks (2nd ed., 2013),
    # Standard Ultimate Survival Model: Makeham A = 0.00022, B = 2.7e-6, c = 1.124, i = 5%;
    # Appendix D tables: ä_20 = 19.9664, A_20 = 0.04922, ä_60 = 14.9041, A_60 = 0.29028.
    ages = np.arange(20, 131)
    q = -np.expm1(-0.00022 - 2.7e-6 * 1.124**ages * (1.124 - 1) / np.log(1.124))
    q[-1] = 1.0
    susm = LifeTable(ages, q, name="SUSM")
    a = annuity_due(susm, [20, 60], i=0.05)
    A = whole_life_insurance(susm, [20, 60], i=0.05)
    np.testing.assert_allclose(a, [19.9664, 14.9041], atol=5e-5)
    np.testing.assert_allclose(A, [0.04922, 0.29028], atol=5e-6)


@given(x=st.integers(0, 105), n=st.integers(0, 120), i=st.floats(0.0, 0.15),
       name=st.sampled_from(TABLES), load=st.floats(0.5, 3.0))
def test_textbook_identities(x, n, i, name, load):
    t = load_table(name).scaled(load)
    d = i / (1 + i)
    a_due, a_imm = annuity_due(t, x, n, i=i), annuity_immediate(t, x, n, i=i)
    A1, E = term_insurance(t, x, n, i=i), pure_endowment(t, x, n, i=i)
    A = endowment_insurance(t, x, n, i=i)
    assert A == pytest.approx(A1 + E, abs=1e-13)                         # A = A¹ + ₙE
    assert A == pytest.approx(1 - d * a_due, abs=1e-12)                  # A = 1 − d ä
    assert a_imm == pytest.approx(a_due - 1 + E, abs=1e-12)              # a = ä − 1 + ₙE
    wl_a, wl_A = annuity_due(t, x, i=i), whole_life_insurance(t, x, i=i)
    assert wl_A == pytest.approx(1 - d * wl_a, abs=1e-12)                # A_x = 1 − d ä_x
    assert annuity_immediate(t, x, i=i) == pytest.approx(wl_a - 1, abs=1e-12)   # ä = 1 + a
    assert 0 <= A1 <= 1 + 1e-12 and 0 <= E <= 1 and a_due <= n + 1e-12


@given(x=st.integers(0, 100), n=st.integers(1, 60), i=st.floats(0.001, 0.12),
       m=st.sampled_from([2, 4, 12]), name=st.sampled_from(TABLES))
def test_mthly_values_under_udd(x, n, i, m, name):
    t = load_table(name)
    a_m = annuity_due(t, x, n, i=i, m=m)
    # independent: the m-thly payments summed one by one with UDD survival probabilities
    times = np.arange(n * m) / m
    direct = np.sum((1 + i) ** -times * t.tpx(x, times)) / m
    assert a_m == pytest.approx(direct, rel=1e-11)
    # exact under UDD: A^{(m)}_{x:n} = 1 − d^{(m)} ä^{(m)}_{x:n} with death benefits at the
    # end of the 1/m-th year (i/i^{(m)} factor) and m-thly premiums (α, β)
    _, dm = nominal_rates(i, m)
    assert endowment_insurance(t, x, n, i=i, m=m) == pytest.approx(1 - dm * a_m, abs=1e-12)
    E = pure_endowment(t, x, n, i=i)
    assert annuity_immediate(t, x, n, i=i, m=m) == pytest.approx(a_m - (1 - E) / m, abs=1e-12)
    # continuous: Ā = 1 − δ ā
    delta = np.log1p(i)
    assert endowment_insurance(t, x, n, i=i, m=np.inf) == pytest.approx(
        1 - delta * annuity_due(t, x, n, i=i, m=np.inf), abs=1e-12)


def test_select_table_present_values_against_a_written_out_path():
    t = load_table("CL1_2010_2013").with_select([0.6, 0.8])
    x, n, i = 45, 20, 0.03
    q = [t.qx[x + k] * (0.6 if k == 0 else 0.8 if k == 1 else 1.0) for k in range(n)]
    p = np.concatenate([[1.0], np.cumprod(1 - np.array(q))])
    v = 1 / (1 + i)
    A1 = sum(v ** (k + 1) * p[k] * q[k] for k in range(n))
    a = sum(v**k * p[k] for k in range(n))
    assert float(term_insurance(t, x, n, i=i)) == pytest.approx(A1, rel=1e-13)
    assert float(annuity_due(t, x, n, i=i)) == pytest.approx(a, rel=1e-13)
    assert float(term_insurance(t, x, n, i=i)) < float(
        term_insurance(load_table("CL1_2010_2013"), x, n, i=i))


def test_arguments_checked():
    t = load_table("CL1_2010_2013")
    with pytest.raises(ParameterError, match="interest"):
        annuity_due(t, 40, i=-1)
    with pytest.raises(ParameterError, match="x must be whole"):
        annuity_due(t, 40.5, i=0.03)
    with pytest.raises(ParameterError, match="n must be whole"):
        term_insurance(t, 40, -1, i=0.03)
    with pytest.raises(ParameterError, match="m "):
        annuity_due(t, 40, 10, i=0.03, m=2.5)
    with pytest.raises(ParameterError, match="age x"):
        annuity_due(t, 110, i=0.03)
    capped = t.with_age_limits(min_entry_age=18, max_entry_age=65, max_expiry_age=80)
    with pytest.raises(ParameterError, match="whole-life"):
        whole_life_insurance(capped, 40, i=0.03)
    with pytest.raises(ParameterError, match="above the maximum entry age 65"):
        net_premium(capped, 70, 5, benefit="term", i=0.03)
    with pytest.raises(ParameterError, match="past the age cap 80"):
        net_premium(capped, 60, 25, benefit="term", i=0.03)
    with pytest.raises(ParameterError, match="benefit must be"):
        net_premium(t, 40, 10, benefit="annuity", i=0.03)
    with pytest.raises(ParameterError, match="needs a term"):
        net_premium(t, 40, benefit="term", i=0.03)
    with pytest.raises(ParameterError, match="premium_term must not exceed"):
        net_premium(t, 40, 10, benefit="term", i=0.03, premium_term=12)


# ---------------------------------------------------------------- premiums and reserves
def test_net_premium_equivalence_principle():
    t = load_table("CL1_2010_2013").scaled(1.5)  # disabled cohort at 150% of CL1
    x, n, i, s = np.arange(20, 61), 20, 0.025, 100_000
    p = net_premium(t, x, n, benefit="term", i=i, sum_insured=s)
    np.testing.assert_allclose(p * annuity_due(t, x, n, i=i), s * term_insurance(t, x, n, i=i),
                               rtol=1e-13)
    single = net_premium(t, x, n, benefit="term", i=i, sum_insured=s, premium_term=1)
    np.testing.assert_allclose(single, s * term_insurance(t, x, n, i=i), rtol=1e-13)
    monthly = net_premium(t, x, n, benefit="endowment", i=i, premium_m=12, premium_term=10)
    np.testing.assert_allclose(monthly * annuity_due(t, x, 10, i=i, m=12),
                               endowment_insurance(t, x, n, i=i), rtol=1e-13)
    assert np.all(np.diff(p) > 0)  # premium rises with entry age
    wl = net_premium(t, 40, benefit="whole_life", i=i, premium_term=20)
    assert float(wl) == pytest.approx(float(whole_life_insurance(t, 40, i=i)
                                            / annuity_due(t, 40, 20, i=i)), rel=1e-13)
    assert float(benefit_value(t, 40, 10, benefit="pure_endowment", i=i)) == pytest.approx(
        float(pure_endowment(t, 40, 10, i=i)))


@given(x=st.integers(18, 70), n=st.integers(1, 30), h=st.integers(1, 30),
       i=st.floats(0.0, 0.08), c0=st.floats(0, 0.5), c=st.floats(0, 0.3),
       fixed=st.floats(0, 200), maint=st.floats(0, 50), per_si=st.floats(0, 0.005),
       benefit=st.sampled_from(["term", "endowment", "pure_endowment"]))
def test_gross_premium_balances_benefits_and_expenses(x, n, h, i, c0, c, fixed, maint, per_si,
                                                      benefit):
    h = min(h, n)
    t = load_table("CL2_2010_2013")
    s = 50_000.0
    ex = Expenses(initial_premium_share=c0, premium_share=c, initial_per_policy=fixed,
                  per_policy=maint, initial_per_sum_insured=per_si)
    G = float(gross_premium(t, x, n, benefit=benefit, i=i, expenses=ex, premium_term=h,
                            sum_insured=s))
    prem = float(annuity_due(t, x, h, i=i))
    income = G * prem
    outgo = (s * float(benefit_value(t, x, n, benefit=benefit, i=i)) + per_si * s + fixed
             + maint * float(annuity_due(t, x, n, i=i)) + G * (c * prem + c0))
    assert income == pytest.approx(outgo, rel=1e-11)
    net = float(net_premium(t, x, n, benefit=benefit, i=i, premium_term=h, sum_insured=s))
    assert G >= net - 1e-9


def test_gross_premium_without_expenses_is_net_and_bad_expenses_rejected():
    t = load_table("CL1_2010_2013")
    g = gross_premium(t, 40, 20, benefit="term", i=0.03, expenses=Expenses())
    assert float(g) == pytest.approx(float(net_premium(t, 40, 20, benefit="term", i=0.03)))
    with pytest.raises(ParameterError, match="premium_share"):
        Expenses(premium_share=1.0)
    with pytest.raises(ParameterError, match="per_policy"):
        Expenses(per_policy=-1)
    with pytest.raises(ParameterError, match="absorb"):
        gross_premium(t, 40, 20, benefit="term", i=0.03, premium_term=1,
                      expenses=Expenses(initial_premium_share=0.6, premium_share=0.5))


@given(x=st.integers(20, 70), n=st.integers(1, 35), h=st.integers(1, 35),
       i=st.floats(0.0, 0.08), benefit=st.sampled_from(["term", "endowment", "whole_life"]),
       load=st.floats(1.0, 2.0))
def test_reserve_recursion(x, n, h, i, benefit, load):
    # Fackler recursion (AMLCR §7.5): (ₜV + P)(1 + i) = S·q_{x+t} + p_{x+t}·ₜ₊₁V, P = 0 after h
    t_ = load_table("CL1_2010_2013").scaled(load)
    term = None if benefit == "whole_life" else n
    h = min(h, n)
    s = 10_000.0
    P = float(net_premium(t_, x, term, benefit=benefit, i=i, premium_term=h, sum_insured=s))
    dur = np.arange(0, n)
    V = net_premium_reserve(t_, x, np.arange(0, n + 1), term, benefit=benefit, i=i,
                            premium_term=h, sum_insured=s)
    q = t_.qx[x + dur]
    lhs = (V[:-1] + np.where(dur < h, P, 0.0)) * (1 + i)
    rhs = s * q + (1 - q) * V[1:]
    np.testing.assert_allclose(lhs, rhs, rtol=1e-9, atol=1e-7)
    assert V[0] == pytest.approx(0.0, abs=1e-8 * s)
    if benefit == "endowment":
        assert V[-1] == pytest.approx(s, rel=1e-12)


def test_vectorised_pricing_of_a_large_census_is_fast():
    t = load_table("CL1_2010_2013").scaled(1.5)
    rng = np.random.default_rng(6)
    x = rng.integers(18, 66, size=200_000)
    n = rng.integers(1, 31, size=200_000)
    start = time.perf_counter()
    p = net_premium(t, x, n, benefit="term", i=0.025, sum_insured=100_000)
    elapsed = time.perf_counter() - start
    assert p.shape == (200_000,) and np.all(p > 0)
    assert elapsed < 2.0, f"200k policies took {elapsed:.2f}s"
