"""Special-group products: term life on a table, accident cover by frequency × severity, group
pricing from a census and credibility to each group's experience (puhui.life.products,
puhui.life.accident, puhui.life.group).

Reference values are independent computations written out in the tests: ``q·v·S`` summed over a
small census with the q of the official table (保监发〔2016〕107号 annex, CL1/CL2; CL1 q₅₀ =
0.4249 % is also quoted by Xinhua, 2017-03-02), the equivalence principle as explicit sums over
policy years, closed-form layer expectations of the exponential law, brute-force Monte Carlo
means, and the credibility formulas of Bühlmann & Gisler (2005, ch. 4) and the square-root rule.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from puhui.benefits import Benefit
from puhui.errors import DataError, ParameterError
from puhui.life.accident import (
    DISABILITY_SHARES,
    AccidentLine,
    AccidentProduct,
    disability_grades,
    fixed_sum,
    payout_cdf,
)
from puhui.life.catalogue import load_table
from puhui.life.group import GroupExperienceRating, price_census
from puhui.life.premiums import Expenses, gross_premium
from puhui.life.products import TermLifeProduct, one_year_gross

CL1 = load_table("CL1_2010_2013")
CL2 = load_table("CL2_2010_2013")
SEXED = {"M": CL1, "F": CL2}
# q_x of the official annex (保监发〔2016〕107号, 非养老类业务一表): CL1 男, CL2 女.
Q_CL1 = {30: 0.000797, 40: 0.001651, 50: 0.004249}
Q_CL2 = {30: 0.000340, 45: 0.001137, 50: 0.001859}


# --------------------------------------------------------------------------- term life
def test_published_q50_one_year_term_premium():
    # Xinhua 2017-03-02: CL1 q50 = 0.4249 %. One-year term, 150 % of table, i = 2.5 %, S = 100,000:
    # P = S · v · 1.5 q = 100000 · 1.5 · 0.004249 / 1.025 = 621.80 yuan.
    p = TermLifeProduct(CL1, term=1, interest=0.025, mortality_loading=1.5)
    assert float(p.net_premium(50, sum_insured=100_000)) == pytest.approx(621.804878, rel=1e-9)


def test_census_one_year_term_equals_q_v_s_summed_by_hand():
    census = pd.DataFrame({
        "group": ["A", "A", "A", "B", "B"],
        "age": [30, 50, 40, 30, 45],
        "sex": ["M", "M", "M", "F", "F"],
        "sum_insured": [100_000, 50_000, 80_000, 100_000, 60_000],
        "lives": [3, 1, 2, 4, 1],
        "loading": [1.0, 1.0, 1.0, 1.2, 1.2],
    })
    v, m = 1 / 1.03, 1.5
    prod = TermLifeProduct(SEXED, term=1, interest=0.03, mortality_loading=m)
    res = price_census(prod, census)
    # Hand computation: Σ lives · S · v · L · m · q (no q reaches 1 here).
    a = v * m * (3 * 100_000 * Q_CL1[30] + 1 * 50_000 * Q_CL1[50] + 2 * 80_000 * Q_CL1[40])
    b = v * m * 1.2 * (4 * 100_000 * Q_CL2[30] + 1 * 60_000 * Q_CL2[45])
    got = res.groups.set_index("group")["net_premium"]
    assert got["A"] == pytest.approx(a, rel=1e-12)
    assert got["B"] == pytest.approx(b, rel=1e-12)
    claims = res.groups.set_index("group")["expected_claims"]
    assert claims["A"] == pytest.approx(a / v, rel=1e-12)   # q·S, undiscounted
    total = res.summary().set_index("group").loc["all"]
    assert total["lives"] == 11 and total["net_premium"] == pytest.approx(a + b, rel=1e-12)
    assert total["mean_age"] == pytest.approx((90 + 50 + 80 + 120 + 45) / 11)


def test_short_term_level_premium_by_explicit_sums():
    # Equivalence principle year by year: P Σ_{k<n} vᵏ ₖp = S Σ_{k<n} v^{k+1} ₖp q_{x+k}.
    x, n, i, m, s = 45, 5, 0.025, 1.6, 100_000.0
    q = np.minimum(m * CL2.qx[x:x + n], 1.0)
    kp = np.concatenate([[1.0], np.cumprod(1 - q)[:-1]])
    v = 1 / (1 + i)
    k = np.arange(n)
    expected = s * np.sum(v ** (k + 1) * kp * q) / np.sum(v**k * kp)
    prod = TermLifeProduct(SEXED, term=n, interest=i, mortality_loading=m)
    assert float(prod.net_premium(x, "F", s)) == pytest.approx(expected, rel=1e-12)


def test_gross_premium_formula_and_agreement_with_life_gross_premium():
    exp = Expenses(initial_premium_share=0.1, premium_share=0.15, initial_per_policy=5.0,
                   per_policy=8.0, initial_per_sum_insured=0.0002)
    prod = TermLifeProduct(CL1, term=1, interest=0.02, expenses=exp, profit_margin=0.05)
    s, x = 200_000.0, 50
    net = s * Q_CL1[50] / 1.02
    hand = (net + 0.0002 * s + 5.0 + 8.0) / (1 - 0.15 - 0.1 - 0.05)
    assert float(prod.gross_premium(x, sum_insured=s)) == pytest.approx(hand, rel=1e-12)
    assert float(one_year_gross(net, expenses=exp, profit_margin=0.05, sum_insured=s)) == \
        pytest.approx(hand, rel=1e-12)
    # n = 1 in the life module's general formula with the margin added to the renewal share.
    loaded = Expenses(initial_premium_share=0.1, premium_share=0.2, initial_per_policy=5.0,
                      per_policy=8.0, initial_per_sum_insured=0.0002)
    assert float(gross_premium(CL1, x, 1, benefit="term", i=0.02, expenses=loaded,
                               sum_insured=s)) == pytest.approx(hand, rel=1e-12)


def test_loading_caps_q_at_one_and_rate_table():
    prod = TermLifeProduct(CL1, term=1, interest=0.0, mortality_loading=20.0)
    assert float(prod.expected_claims(100, sum_insured=1.0)) == 1.0   # 20 q₁₀₀ > 1 → 1
    rates = TermLifeProduct(SEXED, interest=0.0).premium_rates([30, 50], gross=False)
    assert rates.loc[50, "M"] == pytest.approx(1000 * Q_CL1[50])
    assert rates.loc[30, "F"] == pytest.approx(1000 * Q_CL2[30])


def test_age_limits_are_refused_with_rows_named():
    prod = TermLifeProduct(SEXED, term=5, min_entry_age=18, max_entry_age=60, max_expiry_age=63)
    with pytest.raises(ParameterError, match="above the maximum entry age"):
        prod.net_premium(61, "M")
    with pytest.raises(ParameterError, match="past the age cap"):
        prod.net_premium(60, "M")
    census = pd.DataFrame({"group": ["A", "A", "B", None], "age": [17, 59, 40.5, 30],
                           "sex": ["M", "X", "F", "F"], "sum_insured": [1e5, 1e5, -5, 1e5],
                           "lives": [1, 2, 0, 1]})
    with pytest.raises(DataError) as err:
        price_census(prod, census)
    found = {(p.column, p.row, p.rule) for p in err.value.problems}
    assert found == {("age", 1, "entry_age_out_of_range"), ("age", 2, "past_age_cap"),
                     ("age", 3, "not_an_integer"), ("sex", 2, "not_allowed"),
                     ("sum_insured", 3, "out_of_range"), ("lives", 3, "not_a_count"),
                     ("group", 4, "missing_value")}
    with pytest.raises(DataError, match="sum_insured"):
        price_census(prod, census.drop(columns="sum_insured"))


def test_bad_product_parameters():
    with pytest.raises(ParameterError, match="term"):
        TermLifeProduct(CL1, term=0)
    with pytest.raises(ParameterError, match="mortality_loading"):
        TermLifeProduct(CL1, mortality_loading=-1)
    with pytest.raises(ParameterError, match="100 %"):
        TermLifeProduct(CL1, expenses=Expenses(premium_share=0.6), profit_margin=0.5)
    with pytest.raises(ParameterError, match="give sex"):
        TermLifeProduct(SEXED).net_premium(40)
    with pytest.raises(ParameterError, match="no table for sex"):
        TermLifeProduct(SEXED).net_premium(40, "X")


# --------------------------------------------------------------------------- accident cover
MED = Benefit(deductible=100.0, payout_ratio=0.9, cap=10_000.0)


def test_accident_premium_closed_form_exponential():
    # X ~ Exp(θ): E[min(X, u)] = θ(1 − e^{−u/θ}); layer (100, 100 + 10000/0.9) at 90 %.
    theta = 2_000.0
    top = 100 + 10_000 / 0.9
    epay = 0.9 * theta * (np.exp(-100 / theta) - np.exp(-top / theta))
    prod = AccidentProduct([AccidentLine("death", 0.001, fixed_sum(50_000)),
                            AccidentLine("medical", 0.03, stats.expon(scale=theta), MED)])
    assert float(prod.net_premium()) == pytest.approx(50.0 + 0.03 * epay, rel=1e-12)
    assert prod.line("medical").claim_rate() == pytest.approx(0.03 * np.exp(-100 / theta))
    b = prod.breakdown()
    assert b["pure_premium"].sum() == pytest.approx(float(prod.net_premium()), rel=1e-12)


def test_accident_frequency_times_payout_equals_simulation_mean():
    # Brute force: N ~ Poisson(λ·n) events per life-year, lognormal costs through the layer.
    rng = np.random.default_rng(11)
    sev = stats.lognorm(s=1.0, scale=1_500.0)
    line = AccidentLine("medical", {60: 0.02, 70: 0.03, 80: 0.05}, sev, MED)
    ages = np.repeat([62, 75, 85], 400_000)
    n = rng.poisson(line.rate(ages))
    x = sev.rvs(size=int(n.sum()), random_state=rng)
    pay = np.minimum(0.9 * np.maximum(x - 100, 0), 10_000)
    per_life = np.bincount(np.repeat(np.arange(ages.size), n), weights=pay,
                           minlength=ages.size)
    se = per_life.std() / np.sqrt(ages.size)
    assert per_life.mean() == pytest.approx(float(line.pure_premium(ages).mean()), abs=4 * se)
    assert np.mean(pay > 0) == pytest.approx(float(line.claim_rate(62) / 0.02), abs=0.002)


def test_disability_grades_expectation():
    p = np.array([0.01, 0.02, 0.03, 0.04, 0.06, 0.08, 0.11, 0.15, 0.20, 0.30])
    law = disability_grades(30_000, p)
    shares = np.array([1.0, 0.9, 0.8, 0.7, 0.6, 0.5, 0.4, 0.3, 0.2, 0.1])
    assert DISABILITY_SHARES == tuple(shares)
    line = AccidentLine("disability", 0.002, law)
    assert line.expected_payout() == pytest.approx(30_000 * float(p @ shares), rel=1e-12)
    with pytest.raises(ParameterError, match="sum to 1"):
        disability_grades(30_000, p * 2)


def test_payout_cdf_against_simulated_payouts():
    rng = np.random.default_rng(5)
    sev = stats.lognorm(s=1.2, scale=3_000.0)
    x = sev.rvs(size=400_000, random_state=rng)
    designs = [MED, Benefit(deductible=500, payout_ratio=0.7, bands=[(5_000, 0.9)], cap=20_000),
               Benefit(deductible=1_000, payout_ratio=0.8, franchise=True, cap=30_000)]
    y = np.array([0.0, 50.0, 700.0, 800.0, 3_000.0, 9_999.0, 10_000.0, 19_999.0, 25_000.0,
                  30_000.0])
    for b in designs:
        emp = (b.pay(x)[None, :] <= y[:, None]).mean(axis=1)
        got = payout_cdf(sev, b, y)
        assert np.all(np.diff(got) >= 0) and got[-1] == 1.0
        assert np.allclose(got, emp, atol=5 * np.sqrt(0.25 / x.size))


def test_group_claims_distribution_mean_and_tail():
    prod = AccidentProduct([AccidentLine("death", {60: 0.001, 80: 0.003}, fixed_sum(30_000)),
                            AccidentLine("medical", {60: 0.02, 80: 0.05},
                                         stats.lognorm(s=1.0, scale=1_500.0), MED)])
    ages = np.array([65] * 300 + [82] * 100)
    g = prod.claims_distribution(ages, step=50.0)
    assert g.expected_total == pytest.approx(float(prod.net_premium(ages).sum()), rel=1e-12)
    assert g.expected_count == pytest.approx(300 * 0.021 + 100 * 0.053)
    # the rounding discretisation moves each payout by at most step/2
    assert abs(g.distribution.mean() - g.expected_total) < 25.0 * g.expected_count
    # simulation of the same compound sum
    rng = np.random.default_rng(2)
    sims = 40_000
    nd = rng.poisson(300 * 0.001 + 100 * 0.003, sims)
    nm = rng.poisson(300 * 0.02 + 100 * 0.05, sims)
    xm = stats.lognorm(s=1.0, scale=1_500.0).rvs(size=int(nm.sum()), random_state=rng)
    med = np.bincount(np.repeat(np.arange(sims), nm), weights=MED.pay(xm), minlength=sims)
    total = 30_000 * nd + med
    assert float(g.distribution.quantile(0.95)) == pytest.approx(np.quantile(total, 0.95),
                                                                 rel=0.03)
    s = g.summary(premium=float(prod.gross_premium(ages).sum()))
    assert 0 < s["prob_claims_above_premium"].iloc[0] < 0.5


def test_accident_validation():
    sev = stats.expon(scale=1_000)
    with pytest.raises(ParameterError, match="unique"):
        AccidentProduct([AccidentLine("a", 0.1, sev), AccidentLine("a", 0.1, sev)])
    with pytest.raises(ParameterError, match="≥ 0"):
        AccidentLine("a", -0.1, sev)
    line = AccidentLine("a", {60: 0.01, 70: 0.02}, sev)
    with pytest.raises(ParameterError, match="lowest"):
        line.rate(59)
    with pytest.raises(ParameterError, match="give the age"):
        line.rate()
    with pytest.raises(ParameterError, match="grid"):
        AccidentLine("a", 0.1, sev, Benefit(deductible=[0, 100]))
    prod = AccidentProduct([line], min_entry_age=60, max_entry_age=85)
    with pytest.raises(ParameterError, match="outside 60–85"):
        prod.net_premium([70, 90])
    census = pd.DataFrame({"group": ["g"], "age": [90]})
    with pytest.raises(DataError, match="entry_age_out_of_range"):
        price_census(prod, census)


# --------------------------------------------------------------------------- credibility
EXPERIENCE = pd.DataFrame({
    "group": ["A"] * 3 + ["B"] * 3 + ["C"] * 2 + ["D"] * 3,
    "period": [1, 2, 3, 1, 2, 3, 2, 3, 1, 2, 3],
    "actual": [30, 41, 38, 9, 14, 6, 60, 75, 22, 19, 30],
    "expected": [35.0, 36.0, 37.0, 10.0, 10.5, 11.0, 50.0, 52.0, 20.0, 21.0, 22.0],
})


def test_limited_fluctuation_weights_by_formula():
    r = GroupExperienceRating("limited_fluctuation", p=0.9, k=0.05).fit(EXPERIENCE)
    n_f = (stats.norm.ppf(0.95) / 0.05) ** 2          # 1,082.2 claims
    t = r.table_.set_index("group")
    for g, n in {"A": 109, "B": 29, "C": 135, "D": 71}.items():
        z = min(1.0, np.sqrt(n / n_f))
        e = EXPERIENCE.loc[EXPERIENCE.group == g, "expected"].sum()
        assert t.loc[g, "z"] == pytest.approx(z, rel=1e-12)
        assert t.loc[g, "credible_ae"] == pytest.approx(z * n / e + (1 - z), rel=1e-12)
    port = GroupExperienceRating("limited_fluctuation", complement="portfolio").fit(EXPERIENCE)
    assert port.complement_ == pytest.approx(344 / 304.5)


def test_buhlmann_straub_weights_by_formula():
    # Bühlmann & Gisler (2005), §4.8: unbiased estimators with weights w_it = expected.
    e = EXPERIENCE.assign(x=EXPERIENCE.actual / EXPERIENCE.expected)
    w_i = e.groupby("group")["expected"].sum()
    xbar_i = e.groupby("group").apply(lambda d: np.average(d.x, weights=d.expected),
                                      include_groups=False)
    s2 = sum((d.expected * (d.x - xbar_i[g]) ** 2).sum() for g, d in e.groupby("group")) / \
        (len(e) - 4)
    w = w_i.sum()
    x_ww = (w_i * xbar_i).sum() / w
    a = (w_i * (xbar_i - x_ww) ** 2).sum() - 3 * s2
    a *= w / (w**2 - (w_i**2).sum())
    z = w_i / (w_i + s2 / a)
    m = (z * xbar_i).sum() / z.sum()
    r = GroupExperienceRating().fit(EXPERIENCE)
    t = r.table_.set_index("group")
    assert r.within_variance_ == pytest.approx(s2, rel=1e-12)
    assert r.between_variance_ == pytest.approx(a, rel=1e-12)
    assert r.collective_ == pytest.approx(m, rel=1e-12)
    np.testing.assert_allclose(t["z"], z[t.index], rtol=1e-12)
    np.testing.assert_allclose(t["credible_ae"], (m + z * (xbar_i - m))[t.index], rtol=1e-12)


def test_apply_reprices_with_the_factor_as_group_loading():
    r = GroupExperienceRating("limited_fluctuation").fit(EXPERIENCE)
    census = pd.DataFrame({"group": ["A", "B", "E"], "age": [40, 50, 30],
                           "sum_insured": [100_000, 100_000, 100_000], "lives": [10, 5, 2]})
    prod = TermLifeProduct(CL1, interest=0.0, expenses=Expenses(premium_share=0.2,
                                                                per_policy=10.0))
    out = r.apply(prod, census).set_index("group")
    f = r.factors(["A", "B", "E"])
    assert f["E"] == 1.0 and not out.loc["E", "has_experience"]
    # rated gross = (f · q · S + 10) / 0.8 per life: the factor loads the risk, not the expenses
    for g, x, n in (("A", 40, 10), ("B", 50, 5)):
        hand = n * (f[g] * Q_CL1[x] * 100_000 + 10.0) / 0.8
        assert out.loc[g, "rated_premium"] == pytest.approx(hand, rel=1e-12)


def test_experience_validation():
    bad = EXPERIENCE.copy()
    bad.loc[0, "expected"] = 0.0
    bad.loc[1, "period"] = 1
    with pytest.raises(DataError) as err:
        GroupExperienceRating().fit(bad)
    rules = {p.rule for p in err.value.problems}
    assert rules == {"out_of_range", "duplicate_key"}
    with pytest.raises(ParameterError, match="method"):
        GroupExperienceRating("other").fit(EXPERIENCE)
    with pytest.raises(ParameterError, match="fit"):
        GroupExperienceRating().factors(["A"])


# --------------------------------------------------------------------------- properties
@settings(max_examples=40, deadline=None)
@given(age=st.integers(18, 60), load=st.floats(1.0, 3.0), extra=st.floats(0.01, 1.0),
       s=st.floats(1e4, 1e6), ds=st.floats(1.0, 1e5), sex=st.sampled_from(["M", "F"]))
def test_term_premium_rises_with_loading_and_sum_insured(age, load, extra, s, ds, sex):
    exp = Expenses(initial_premium_share=0.1, premium_share=0.1, per_policy=10.0)
    base = TermLifeProduct(SEXED, term=5, mortality_loading=load, expenses=exp)
    more = base.with_loading(load + extra)
    for f in ("net_premium", "gross_premium"):
        p0 = float(getattr(base, f)(age, sex, s))
        assert float(getattr(more, f)(age, sex, s)) > p0
        assert float(getattr(base, f)(age, sex, s + ds)) > p0


@settings(max_examples=40, deadline=None)
@given(d=st.floats(0.0, 5_000.0), dd=st.floats(1.0, 5_000.0), r=st.floats(0.3, 0.95),
       cap=st.floats(2_000.0, 50_000.0), lam=st.floats(0.001, 0.2))
def test_accident_premium_falls_with_deductible_rises_with_ratio_and_cap(d, dd, r, cap, lam):
    sev = stats.lognorm(s=1.0, scale=1_500.0)

    def premium(deductible, ratio, c):
        line = AccidentLine("medical", lam, sev, Benefit(deductible=deductible,
                                                         payout_ratio=ratio, cap=c))
        return float(AccidentProduct([line], expenses=Expenses(premium_share=0.2))
                     .gross_premium())

    p0 = premium(d, r, cap)
    assert premium(d + dd, r, cap) < p0
    assert premium(d, min(r + 0.05, 1.0), cap) > p0
    assert premium(d, r, cap * 1.5) > p0
    assert p0 <= lam * min(cap, r * sev.mean()) / 0.8 + 1e-9   # payout ≤ r·X and ≤ cap
