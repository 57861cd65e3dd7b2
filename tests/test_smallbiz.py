"""puhui.smallbiz: exposure curves, bonus–malus (NCD), product files, pricing, review, tuning."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import integrate, stats

from puhui.benefits import Benefit
from puhui.credibility import BuhlmannStraub
from puhui.datasets.smallbiz import employer_groups, property_book
from puhui.errors import DataError, ParameterError
from puhui.losses import expected_payout, lev
from puhui.ratios import expected_combined_ratio
from puhui.smallbiz import (
    BonusMalus,
    DamageRatioLaw,
    Product,
    damage_ratio_cdf,
    employer_rates,
    example_product_path,
    excess_moments,
    experience_rate,
    exposure_curve,
    ilf,
    liability_premium,
    liability_severity,
    mean_damage_ratio,
    price_groups,
    price_property,
    review_property,
    swiss_re_curve,
    tune_property,
)

PROPERTY = Product.from_toml(example_product_path("property"))
LIABILITY = Product.from_toml(example_product_path("liability"))
EMPLOYER = Product.from_toml(example_product_path("employer"))


# ---------------------------------------------------------------- exposure curves (MBBEFD)
def _sf(x, b, g):
    return 1.0 - float(damage_ratio_cdf(x, b, g))


@pytest.mark.parametrize("c", [1.5, 2.0, 3.0, 4.0, 5.0])
def test_swiss_re_curves_against_integration(c):
    # Bernegger (1997) section 5: b = exp(3.1 − 0.15(1+c)c), g = exp((0.78 + 0.12c)c); Y1–Y4
    # are c = 1.5, 2, 3, 4 and the Lloyd's curve c = 5 (published constants, typed here).
    b, g = swiss_re_curve(c)
    assert b == pytest.approx(math.exp(3.1 - 0.15 * (1 + c) * c), rel=1e-15)
    assert g == pytest.approx(math.exp((0.78 + 0.12 * c) * c), rel=1e-15)
    # independent: G(d) = ∫_0^d S / ∫_0^1 S by adaptive quadrature of the damage-ratio law
    total = integrate.quad(_sf, 0, 1, args=(b, g), limit=200)[0]
    assert mean_damage_ratio(b, g) == pytest.approx(total, rel=1e-9)
    for d in (0.001, 0.01, 0.05, 0.2, 0.5, 0.9):
        part = integrate.quad(_sf, 0, d, args=(b, g), limit=200)[0]
        assert float(exposure_curve(d, b, g)) == pytest.approx(part / total, rel=1e-8)
    # total-loss probability 1/g: the atom at X = 1
    assert _sf(1 - 1e-12, b, g) == pytest.approx(1 / g, rel=1e-6)
    assert float(damage_ratio_cdf(1.0, b, g)) == 1.0


def test_exposure_curve_special_cases_are_the_limits():
    # b → 1 and g b → 1 are the limits of the general formula (Bernegger 1997, eq. 2.4–2.6)
    d = np.linspace(0, 1, 11)
    g = 8.0
    near = exposure_curve(d, 1 + 1e-6, g)
    exact = np.log1p((g - 1) * d) / np.log(g)
    np.testing.assert_allclose(near, exact, atol=1e-6)
    np.testing.assert_allclose(exposure_curve(d, 1.0, g), exact, rtol=1e-14)
    b = 0.2
    np.testing.assert_allclose(exposure_curve(d, b, 1 / b), (1 - b**d) / (1 - b), rtol=1e-14)
    np.testing.assert_allclose(exposure_curve(d, b, 1 / b * (1 + 1e-6)),
                               (1 - b**d) / (1 - b), atol=1e-5)
    np.testing.assert_allclose(exposure_curve(d, 3.0, 1.0), d)          # g = 1: total losses
    assert mean_damage_ratio(1.0, g) == pytest.approx(integrate.quad(
        lambda x: 1 / (1 + (g - 1) * x), 0, 1)[0], rel=1e-10)


@settings(max_examples=25)
@given(c=st.floats(0.0, 6.0), d1=st.floats(0, 1), d2=st.floats(0, 1))
def test_exposure_curve_is_a_concave_cdf_of_the_loss(c, d1, d2):
    b, g = swiss_re_curve(c)
    lo, hi = sorted((d1, d2))
    g_lo, g_hi = float(exposure_curve(lo, b, g)), float(exposure_curve(hi, b, g))
    assert 0.0 <= g_lo <= g_hi + 1e-12 <= 1.0 + 1e-12
    assert g_hi >= hi - 1e-9                       # concave from (0,0) to (1,1): above the diagonal
    assert float(exposure_curve(0, b, g)) == pytest.approx(0, abs=1e-12)
    assert float(exposure_curve(1, b, g)) == pytest.approx(1, abs=1e-12)


def test_damage_ratio_law_prices_through_the_loss_core():
    law = DamageRatioLaw.swiss_re(2_000_000, 2.5)
    d = np.array([0.0, 1_000.0, 20_000.0, 400_000.0])
    via_core = expected_payout(law, Benefit(deductible=d, payout_ratio=0.9))
    closed = 0.9 * law.mean() * (1 - exposure_curve(d / 2e6, law.b, law.g))
    np.testing.assert_allclose(via_core, closed, rtol=1e-12)
    # lev_moment(u, 2) against quadrature of 2 y S(y)
    for u in (1e5, 1e6, 5e6):
        t = min(u / 2e6, 1.0)
        q = integrate.quad(lambda x: 2 * x * _sf(x, law.b, law.g), 0, t, limit=200)[0] * 4e12
        assert float(law.lev_moment(u, 2)) == pytest.approx(q, rel=1e-8)
    m1, m2, m3 = excess_moments(0.01, law.b, law.g)
    for k, m in ((1, m1), (2, m2), (3, m3)):
        q = integrate.quad(lambda x, k=k: k * (x - 0.01) ** (k - 1) * _sf(x, law.b, law.g),
                           0.01, 1, limit=200)[0]
        assert float(m) == pytest.approx(q, rel=1e-8)


def test_exposure_curve_bad_input():
    with pytest.raises(ParameterError, match="b must be > 0"):
        exposure_curve(0.1, 0.0, 2.0)
    with pytest.raises(ParameterError, match="g must be ≥ 1"):
        exposure_curve(0.1, 2.0, 0.5)
    with pytest.raises(ParameterError, match="≥ 0"):
        swiss_re_curve(-1.0)
    with pytest.raises(ParameterError, match="sum_insured"):
        DamageRatioLaw(0.0, 2.0, 3.0)
    with pytest.raises(ParameterError, match="NaN"):
        exposure_curve(float("nan"), 2.0, 3.0)


# ------------------------------------------------------------------- bonus–malus (NCD)
def test_ncd_published_example_down_two_levels():
    # A published NCD exercise (studyx.ai homework 112309474, an exam question): levels
    # 0%, 25%, 50%, 60%; a claim-free year moves up one level, a year with one or more claims
    # down two; P(claim in a year) = 0.2. Stationary proportions solved by hand:
    # π60 = 4 π50, π25 = π50 / 0.8, π0 = 0.5625 π50, Σ = 6.8125 π50 →
    # (0%, 25%, 50%, 60%) = (0.082569, 0.183486, 0.146789, 0.587156).
    # Classes here run best first: 60% (0), 50% (1), 25% (2), 0% (3).
    bm = BonusMalus([0.4, 0.5, 0.75, 1.0], start=3, rules=[[0, 2], [0, 3], [1, 3], [2, 3]])
    pi = bm.stationary(-math.log(0.8))
    np.testing.assert_allclose(pi[::-1], [0.5625, 1.25, 1, 4] / np.float64(6.8125), rtol=1e-12)


def test_ncd_published_example_birth_death():
    # Published exam question (levels 0, 25, 30, 40 %, up one level a claim-free year, down
    # one after a claim year, p = 0.8, premium 1,000 at level 0): a birth–death chain, so
    # π_i ∝ x^i with x = p/(1 − p) = 4 → (1, 4, 16, 64)/85 and the mean premium
    # 1000 (1 + 4·0.75 + 16·0.7 + 64·0.6)/85 = 630.588.
    bm = BonusMalus([0.6, 0.7, 0.75, 1.0], start=3, rules=[[0, 1], [0, 2], [1, 3], [2, 3]])
    lam = -math.log(0.8)
    np.testing.assert_allclose(bm.stationary(lam), np.array([64, 16, 4, 1]) / 85, rtol=1e-12)
    assert 1000 * bm.mean_relativity(lam) == pytest.approx(53600 / 85, rel=1e-12)


def test_ncd_stationary_against_eigenvector_and_iteration():
    bm = BonusMalus([0.5, 0.6, 0.7, 0.8, 1.0, 1.2, 1.5, 2.0], start=4, penalty=3)
    lam = np.array([0.02, 0.1, 0.4])
    pi = bm.stationary(lam)
    for j, lj in enumerate(lam):
        p = bm.transition_matrix(lj)
        np.testing.assert_allclose(p.sum(axis=1), 1.0, rtol=1e-12)
        w, v = np.linalg.eig(p.T)                 # left eigenvector of eigenvalue 1
        e = np.real(v[:, np.argmin(abs(w - 1))])
        np.testing.assert_allclose(pi[j], e / e.sum(), atol=1e-12)
        np.testing.assert_allclose(bm.distribution(lj, 400)[()], pi[j], atol=1e-9)


def test_loimaranta_efficiency_closed_form_and_finite_difference():
    # two classes, −1/top: π_bonus = e^{−λ}, b = r1 − (r1 − r0) e^{−λ},
    # η = λ (r1 − r0) e^{−λ} / b (Lemaire 1995, ch. 9, the simplest system)
    r0, r1 = 0.8, 1.2
    bm = BonusMalus([r0, r1], start=1)
    lam = np.array([0.05, 0.2, 1.0])
    b = r1 - (r1 - r0) * np.exp(-lam)
    np.testing.assert_allclose(bm.mean_relativity(lam), b, rtol=1e-13)
    np.testing.assert_allclose(bm.efficiency(lam), lam * (r1 - r0) * np.exp(-lam) / b,
                               rtol=1e-11)
    big = BonusMalus([0.5, 0.6, 0.7, 0.8, 1.0, 1.2, 1.5, 2.0], start=4, penalty=3)
    h = 1e-6
    fd = (np.log(big.mean_relativity(lam * (1 + h))) - np.log(big.mean_relativity(lam * (1 - h)))
          ) / (np.log1p(h) - np.log1p(-h))
    np.testing.assert_allclose(big.efficiency(lam), fd, rtol=1e-6)


@settings(max_examples=20)
@given(lam=st.floats(1e-3, 3.0), penalty=st.integers(1, 4))
def test_ncd_stationary_is_a_distribution(lam, penalty):
    bm = BonusMalus([0.6, 0.7, 0.8, 0.9, 1.0, 1.2, 1.4], start=4, penalty=penalty)
    pi = bm.stationary(lam)
    assert pi.min() >= -1e-12 and pi.sum() == pytest.approx(1.0, abs=1e-12)
    np.testing.assert_allclose(pi @ bm.transition_matrix(lam), pi, atol=1e-12)
    assert 0.6 - 1e-12 <= bm.mean_relativity(lam) <= 1.4 + 1e-12


def test_ncd_bad_input():
    with pytest.raises(ParameterError, match="at least two"):
        BonusMalus([1.0], start=0)
    with pytest.raises(ParameterError, match="start"):
        BonusMalus([0.8, 1.0], start=2)
    with pytest.raises(ParameterError, match="> 0"):
        BonusMalus([0.0, 1.0], start=1)
    with pytest.raises(ParameterError, match="rules"):
        BonusMalus([0.8, 1.0], start=1, rules=[[0, 5], [0, 1]])
    with pytest.raises(ParameterError, match="penalty"):
        BonusMalus([0.8, 1.0], start=1, penalty=0)
    with pytest.raises(ParameterError, match="lam"):
        BonusMalus([0.8, 1.0], start=1).stationary(-0.1)


# -------------------------------------------------------------------------- product files
def _doc(kind="liability", **over):
    doc = {"product": {"code": "T", "kind": kind, "target_combined_ratio": 0.95},
           "expenses": {"commission": 0.1},
           "liability": {"exposure_base": "floor_area", "frequency": 0.01,
                         "severity_median": 5000, "severity_sigma": 1.2,
                         "limit_per_accident": 1e5, "aggregate_limit": 3e5}}
    for k, v in over.items():
        doc[k] = v
    return doc


def test_product_file_strict():
    assert Product.from_dict(_doc()).terms.limit_per_accident == 1e5
    bad = _doc()
    bad["liability"]["limt_per_accident"] = 1
    with pytest.raises(ParameterError, match="did you mean 'limit_per_accident'"):
        Product.from_dict(bad)
    with pytest.raises(ParameterError, match=r"did you mean \[liability\]"):
        Product.from_dict({**_doc(), "liabilty": {}})
    bad = _doc()
    bad["liability"]["frequency"] = "0.01"
    with pytest.raises(ParameterError, match="must be a number"):
        Product.from_dict(bad)
    bad = _doc()
    bad["liability"]["aggregate_limit"] = 5e4
    with pytest.raises(ParameterError, match="aggregate_limit"):
        Product.from_dict(bad)
    bad = _doc()
    bad["liability"]["exposure_base"] = "floorarea"
    with pytest.raises(ParameterError, match="did you mean 'floor_area'"):
        Product.from_dict(bad)
    bad = _doc()
    bad["product"]["target_combined_ratio"] = 95
    bad["expenses"]["commission"] = 12
    with pytest.raises(ParameterError, match="(?s)target_combined_ratio.*commission"):
        Product.from_dict(bad)                # every problem listed at once


def test_product_file_employer_and_property_checks(tmp_path):
    text = example_product_path("employer").read_text(encoding="utf-8")
    f = tmp_path / "e.toml"
    f.write_text(text.replace("class_factors = [1.0, 1.3, 1.7, 2.3, 3.1, 4.2]",
                              "class_factors = [1.0, 1.3]").replace("start = 3", "start = 9"),
                 encoding="utf-8")
    with pytest.raises(ParameterError, match="(?s)6 factors.*start must be a class"):
        Product.from_toml(f)
    text = example_product_path("property").read_text(encoding="utf-8")
    f.write_text(text.replace("curve = 3.0", "curv = 3.0"), encoding="utf-8")
    with pytest.raises(ParameterError, match="did you mean 'curve'"):
        Product.from_toml(f)
    with pytest.raises(ParameterError, match="kind must be one of"):
        example_product_path("marine")


# --------------------------------------------------------------------------------- pricing
RISKS = pd.DataFrame({"sum_insured": [3e5, 1e6, 5e6, 8e5],
                      "occupancy": ["office", "catering", "warehouse", "retail"],
                      "location_grade": ["A", "B", "C", "B"]})


def test_property_pure_premium_equals_the_loss_core_and_grosses_up_once():
    out = price_property(PROPERTY, RISKS)
    t = PROPERTY.terms
    for _, row in out.iterrows():
        o = t.occupancies[row["occupancy"]]
        law = DamageRatioLaw.swiss_re(row["sum_insured"], o.curve)
        lam = o.frequency * t.location_grades[row["location_grade"]]
        pay = float(expected_payout(law, Benefit(deductible=t.deductible,
                                                 payout_ratio=t.payout_ratio)))
        assert row["pure_premium"] == pytest.approx(lam * pay, rel=1e-12)
        assert row["claim_probability"] == pytest.approx(lam * float(law.sf(t.deductible)))
    e = PROPERTY.expenses
    cr = expected_combined_ratio(out["pure_premium"] + e.per_claim * out["claim_probability"],
                                 out["gross_premium"], variable_rate=e.variable_rate,
                                 fixed_expenses=e.per_member)
    np.testing.assert_allclose(cr, PROPERTY.target_combined_ratio, rtol=1e-12)
    basic = price_property(Product.from_dict(_basic()), RISKS)
    np.testing.assert_allclose(basic["pure_premium"], out["pure_premium"] * t.basic_share)


def _basic():
    import tomllib
    doc = tomllib.loads(example_product_path("property").read_text(encoding="utf-8"))
    doc["property"]["cover"] = "basic"
    return doc


def test_property_bad_risks():
    bad = RISKS.assign(occupancy=["office", "bar", "warehouse", "retail"],
                       sum_insured=[3e5, -1.0, 5e6, 8e5])
    with pytest.raises(DataError) as err:
        price_property(PROPERTY, bad)
    rules = {(p.column, p.row) for p in err.value.problems}
    assert {("occupancy", 2), ("sum_insured", 2)} <= rules
    with pytest.raises(ParameterError, match="not property"):
        price_property(LIABILITY, RISKS)


def test_liability_premium_and_ilf():
    sev = liability_severity(LIABILITY)
    t = LIABILITY.terms
    # ILF against the lognormal LEV closed form (Klugman–Panjer–Willmot, Appendix A)
    mu, s = math.log(t.severity_median), t.severity_sigma

    def lev_ln(u):
        z = (math.log(u) - mu - s * s) / s
        return math.exp(mu + s * s / 2) * stats.norm.cdf(z) + u * stats.norm.sf((math.log(u)
                                                                                 - mu) / s)
    d = t.deductible
    limits = [5e4, 1e5, 5e5]
    expect = [(lev_ln(d + L) - lev_ln(d)) / (lev_ln(d + 1e5) - lev_ln(d)) for L in limits]
    np.testing.assert_allclose(ilf(sev, limits, base_limit=1e5, deductible=d), expect,
                               rtol=1e-9)
    # a huge aggregate limit: E[min(S, A)] = λ n E[payout per accident]
    out = liability_premium(LIABILITY, [2.0], aggregate_limit=1e9)
    per = float(expected_payout(sev, Benefit(deductible=d, cap=t.limit_per_accident)))
    assert out["pure_premium"].iloc[0] == pytest.approx(2 * t.frequency * per, rel=2e-3)
    # a binding aggregate limit (= one accident's limit) against Monte Carlo
    tight = liability_premium(LIABILITY, [50.0], aggregate_limit=t.limit_per_accident)
    rng = np.random.default_rng(7)
    n = rng.poisson(50 * t.frequency, 200_000)
    x = sev.rvs(size=n.sum(), random_state=rng)
    pay = np.minimum(np.maximum(x - d, 0), t.limit_per_accident)
    s_year = np.bincount(np.repeat(np.arange(n.size), n), weights=pay, minlength=n.size)
    mc = np.minimum(s_year, t.limit_per_accident).mean()
    assert tight["pure_premium"].iloc[0] == pytest.approx(mc, rel=0.02)
    assert tight["aggregate_factor"].iloc[0] < 1.0
    with pytest.raises(ParameterError, match="units"):
        liability_premium(LIABILITY, [0.0])


def test_employer_rates_by_hand():
    t = EMPLOYER.terms
    rates = employer_rates(EMPLOYER)
    med = stats.lognorm(s=t.medical_sigma, scale=t.medical_median)
    d, r, m = t.medical_deductible, t.medical_ratio, t.medical_limit
    # E[min(r (X − d)₊, M)] = r (LEV(d + M/r) − LEV(d))
    per_injury = r * (float(lev(med, d + m / r)) - float(lev(med, d)))
    base = (t.death_rate + t.disability_rate * t.disability_share) * t.death_disability_limit \
        + t.medical_frequency * per_injury
    np.testing.assert_allclose(rates["pure_per_head"], np.array(t.class_factors) * base,
                               rtol=1e-12)
    g = price_groups(EMPLOYER, pd.DataFrame({"group": ["a"], "occupation_class": [5],
                                             "headcount": [30]}))
    assert g["expected_claims"].iloc[0] == pytest.approx(30 * t.class_factors[4] * base)
    with pytest.raises(DataError, match="1–6"):
        price_groups(EMPLOYER, pd.DataFrame({"group": ["a"], "occupation_class": [7],
                                             "headcount": [3]}))


# ----------------------------------------------------------------------- review and tuning
def test_experience_rate_is_buhlmann_straub_on_the_class_rates():
    exp = employer_groups().drop(columns="true_factor")
    out = experience_rate(EMPLOYER, exp)
    assert out["z"].gt(0).all() and out.attrs["between_variance"] > 0
    priced = price_groups(EMPLOYER, exp)
    ratio = (exp["claims_paid"] / priced["expected_claims"]).to_numpy()
    x = pd.DataFrame({"g": exp["group"], "y": exp["year"], "r": ratio,
                      "w": priced["expected_claims"]})
    bs = BuhlmannStraub().fit(x.pivot(index="g", columns="y", values="r"),
                              x.pivot(index="g", columns="y", values="w"))
    np.testing.assert_allclose(out["factor"], bs.premiums_.to_numpy(), rtol=1e-12)
    np.testing.assert_allclose(out["rated_premium"], out["manual_premium"] * out["factor"])
    lf = experience_rate(EMPLOYER, exp, method="limited_fluctuation")
    # Z = √(n / n_F), n_F = (1.645/0.05)² (1 + 1²) ≈ 2,165 claims (CV 1 of the claim size)
    nf = (stats.norm.ppf(0.95) / 0.05) ** 2 * 2
    np.testing.assert_allclose(lf["z"], np.minimum(1, np.sqrt(lf["claims"] / nf)), rtol=1e-12)


def test_review_property_totals_and_seeded_truth():
    book = property_book(firms=400)
    rev = review_property(PROPERTY, book)
    total = rev.set_index("occupancy").loc["all"]
    assert total["actual"] == pytest.approx(book["claims_paid"].sum())
    assert total["premium"] == pytest.approx(book["premium"].sum())
    assert total["combined_ratio"] == pytest.approx(total["loss_ratio"] + total["expense_ratio"])
    assert property_book(firms=400).equals(book)                     # seeded
    with pytest.raises(DataError, match="claims_paid"):
        review_property(PROPERTY, book.drop(columns="claims_paid"))


def test_tune_property_matches_pricing_design_by_design():
    book = property_book(firms=200).query("year == 2024")
    table, choice = tune_property(PROPERTY, book, [0.0, 2_000.0, 10_000.0], [0.8, 1.0],
                                  max_price=10_000.0, max_prob_loss=0.99)
    for _, row in table.iterrows():
        p = price_property(PROPERTY, book, deductible=row["deductible"],
                           payout_ratio=row["payout_ratio"])
        assert row["pure_premium"] == pytest.approx(p["pure_premium"].mean(), rel=1e-12)
        assert row["required_premium"] == pytest.approx(p["gross_premium"].mean(), rel=1e-12)
    np.testing.assert_allclose(table["expected_cr"], PROPERTY.target_combined_ratio, rtol=1e-9)
    assert choice.design == 1                          # no deductible, full ratio: within budget
    assert table["frontier"].any()
