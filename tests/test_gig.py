"""Gig-worker cover (puhui.gig): product file, pricing against independent integrals, the
NP2 P(CR > 100 %) against the FFT aggregate, factors by GLM, review, tuning, bad input."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import integrate

from puhui.errors import ParameterError
from puhui.gig import (
    GigProduct,
    claims_distribution,
    example_product_path,
    line_table,
    per_order,
    unit_premiums,
)
from puhui.gig.review import fit_factors, prob_cr_above, review, season_of
from puhui.gig.tuning import choose, tune
from puhui.ratios import exceedance_probability


@pytest.fixture(scope="module")
def product() -> GigProduct:
    return GigProduct.from_toml(example_product_path())


#: The test book: 400 riders at 10 × the planted rates — 80 k rider-days (a sixth of the
#: example's 490 k) with more claims (≈ 750 medical and liability against ≈ 460), so the
#: factor and A/E checks below are at least as sharp as on the full example, and fast.
TEST_BOOK = {"workers": 400, "frequency_multiplier": 10.0}


@pytest.fixture(scope="module")
def data():
    from puhui.datasets.gig import load_gig

    return load_gig(**TEST_BOOK)


@pytest.fixture(scope="module")
def book_product(product, data):
    """The example product at the test book's rates and 10 × its premium (same loss ratio)."""
    k = TEST_BOOK["frequency_multiplier"]
    rates = {f"{line}_rate": v for line, v in data["truth"]["per_million_orders"].items()}
    return product.with_terms(premium=product.premium * k, **rates)


@pytest.fixture(scope="module")
def fitted(book_product, data):
    """The GLM fitted once for the module."""
    return fit_factors(book_product, data["log"], data["claims"])[1]


def _lognorm_pdf(x, s, median):
    """Lognormal density written out (independent of scipy.stats)."""
    return math.exp(-0.5 * (math.log(x / median) / s) ** 2) / (x * s * math.sqrt(2 * math.pi))


def _lognorm_sf(x, s, median):
    return 0.5 * math.erfc(math.log(x / median) / (s * math.sqrt(2)))


def _layer_quad(s, median, d, r, cap, power=1):
    """E[min(r (X − d)₊, cap)^power] for X ~ lognormal(median, s), by adaptive quadrature of
    the payout against the density (split at the median for accuracy)."""
    top = d + cap / r
    cuts = sorted({max(d, 1e-12), min(max(median, d), top), top})
    body = sum(integrate.quad(lambda x: (r * (x - d)) ** power * _lognorm_pdf(x, s, median),
                              a, b, limit=200)[0] for a, b in zip(cuts, cuts[1:], strict=False))
    return body + cap**power * _lognorm_sf(top, s, median)


def test_pure_premium_per_order_against_quadrature(product):
    # medical: lognormal(median 800, σ 1.1), d = 100, r = 0.9, cap 50,000; liability:
    # lognormal(1,500, 1.4), limit 300,000; death 600,000; disability 600,000 × Σ p_k s_k
    med = _layer_quad(1.1, 800.0, 100.0, 0.9, 50_000.0)
    lia = _layer_quad(1.4, 1_500.0, 0.0, 1.0, 300_000.0)
    grades = np.array([0.01, 0.01, 0.02, 0.03, 0.04, 0.06, 0.09, 0.14, 0.25, 0.35])
    dis = 600_000.0 * grades @ (np.arange(10, 0, -1) / 10.0)
    ref = (25.0 * med + 7.0 * lia + 0.02 * 600_000.0 + 0.10 * dis) / 1e6
    q = per_order(product)
    assert float(q["pure"]) == pytest.approx(ref, rel=1e-7)
    # gross-up by hand: P = (E + k n) / (τ − v), n = Σ λ P(pay > 0)
    n = (25.0 * _lognorm_sf(100.0, 1.1, 800.0) + 7.0 + 0.02 + 0.10) / 1e6
    v = 0.10 + 0.08 + 0.008
    assert float(q["claims"]) == pytest.approx(n, rel=1e-12)
    assert float(q["gross"]) == pytest.approx((ref + 30.0 * n) / (0.95 - v), rel=1e-7)
    t = line_table(product)
    assert t["pure_per_order"].sum() == pytest.approx(ref, rel=1e-7)
    # the calibration: ≈ 2.9 元 a rider-day at 25 orders, inside the published 1–3 元
    assert 2.5 < 25 * float(q["gross"]) < 3.0


def test_second_and_third_cumulants_by_quadrature(product):
    def moment(k):
        return _layer_quad(1.1, 800.0, 100.0, 0.9, 50_000.0, power=k)

    only_medical = product.with_terms(death_rate=0.0, disability_rate=0.0, liability_rate=0.0)
    q = per_order(only_medical)
    assert float(q["second"]) == pytest.approx(25e-6 * moment(2), rel=1e-6)
    assert float(q["third"]) == pytest.approx(25e-6 * moment(3), rel=1e-5)


def test_np2_probability_against_the_fft_aggregate(product, data):
    # a book of 100 M orders: P(S > t) by NP2 on the cumulants vs the FFT law of the loss core
    log = data["log"]
    scale = 100e6 / float(log["orders"].sum())
    flat = product.with_terms(city_factors={}, season_factors={})
    law = claims_distribution(flat, 100e6, step=100.0)
    q = per_order(flat)
    mean = 100e6 * float(q["pure"])
    assert float(law.mean()) == pytest.approx(mean, rel=2e-3)
    premium = 100e6 * 0.11
    v = product.expenses.variable_rate
    t = (1 - v) * premium - 30.0 * 100e6 * float(q["claims"])
    fft = float(exceedance_probability(t, law=law))
    np2 = float(prob_cr_above(flat, log, premium=0.11 * log["orders"].sum(), scale=scale))
    assert np2 == pytest.approx(fft, abs=0.01)


def test_unit_premiums_by_hand(product):
    act = pd.DataFrame({"city": ["hangzhou", "ningbo"], "orders": [2500.0, 1000.0],
                        "worker_days": [100.0, 50.0], "hours": [900.0, 400.0]})
    p = product.with_terms(city_factors={"hangzhou": 1.0, "ningbo": 0.8})
    out = unit_premiums(p, act, by="city")
    g = float(per_order(p)["gross"])
    assert out["premium_per_order"].tolist() == pytest.approx([g, 0.8 * g], rel=1e-12)
    assert out["premium_per_day"].tolist() == pytest.approx([25 * g, 0.8 * g * 20], rel=1e-12)
    assert out["premium_per_hour"].tolist() == pytest.approx([g * 2500 / 900, 0.8 * g * 2.5],
                                                             rel=1e-12)


@settings(max_examples=10)
@given(d=st.floats(0, 2_000), r=st.floats(0.1, 1.0), dd=st.floats(1, 500), dr=st.floats(0, 0.5))
def test_pure_premium_falls_with_the_deductible_and_rises_with_the_ratio(product, d, r, dd, dr):
    # the three designs in one vectorised call: base, higher deductible, higher payout ratio
    pure = per_order(product, deductible=np.array([d, d + dd, d]),
                     payout_ratio=np.array([r, r, min(1.0, r + dr)]))["pure"].ravel()
    assert pure[1] <= pure[0] + 1e-15
    assert pure[2] >= pure[0] - 1e-15


def test_glm_recovers_the_planted_city_and_season_order(fitted, data):
    c, s = fitted.city_factors, fitted.season_factors
    # planted: wenzhou 1.25 > hangzhou 1.00 > ningbo 0.85; Q3 1.25 the highest season
    assert c["wenzhou"] > c["hangzhou"] > c["ningbo"]
    assert max(s, key=s.get) == "Q3"
    assert c["wenzhou"] / c["hangzhou"] == pytest.approx(1.25, abs=0.2)
    # rescaled to an order-weighted mean of 1
    log = data["log"]
    f = fitted.factor(log["city"], season_of(log["date"]))
    cf = fitted.factor(log["city"], None)
    assert float(np.average(cf, weights=log["orders"])) == pytest.approx(1.0, abs=1e-3)
    assert float(np.average(f, weights=log["orders"])) == pytest.approx(1.0, abs=0.02)


def test_test_book_has_the_planted_claim_counts(data):
    # the generator against its own law, independently: E[N_line] = Σ orders λ f_city f_season
    # f_platform over the rider-days; the counts are Poisson, so within 4 standard deviations
    t, log, claims = data["truth"], data["log"], data["claims"]
    assert t["per_million_orders"]["medical"] == pytest.approx(250.0)   # 25 × 10
    f = (log["city"].map(t["city"]).astype(float) * log["platform"].map(t["platform"]).astype(
        float) * pd.Series(season_of(log["date"])).map(t["season"]).astype(float)).to_numpy()
    weighted = float(np.sum(log["orders"].to_numpy() * f))
    for line in ("medical", "liability"):
        expected = weighted * t["per_million_orders"][line] / 1e6
        actual = int((claims["line"] == line).sum())
        assert abs(actual - expected) < 4 * math.sqrt(expected), (line, actual, expected)
    assert claims.merge(log, on=["worker", "date"]).shape[0] == len(claims)  # on a day worked


def test_generator_refuses_bad_sizes():
    from puhui.datasets.gig import generate_gig

    with pytest.raises(ParameterError, match="workers"):
        generate_gig(workers=0)
    with pytest.raises(ParameterError, match="frequency_multiplier"):
        generate_gig(workers=10, frequency_multiplier=-1.0)


@pytest.mark.filterwarnings("ignore:estimated between-contract variance")  # z = 0: fine
def test_review_finds_the_riskier_platform_and_keeps_the_identities(fitted, data):
    r = review(fitted, data["log"], data["claims"])
    t = r.ae.table
    by_platform = t.groupby("platform", observed=True)[["actual_count", "expected_count"]].sum()
    ae = by_platform["actual_count"] / by_platform["expected_count"]
    assert ae["B"] / ae["A"] == pytest.approx(1.2, abs=0.25)          # planted 1.20
    assert r.ratios["combined_ratio"] == pytest.approx(
        r.ratios["loss_ratio"] + r.ratios["expense_ratio"], rel=1e-12)
    # the premium (0.10 元 an order × 10 on the test book) on every order of the year
    assert r.ratios["earned_premium"] == pytest.approx(1.0 * data["log"]["orders"].sum())
    assert set(r.large_losses["line"]) == {"death", "disability"}
    assert np.all((r.buhlmann["z"] >= 0) & (r.buhlmann["z"] <= 1))
    assert r.rules["rule"].tolist() == ["policy.target_combined_ratio"]
    assert 0 <= r.prob_cr_above_100 <= 1


def test_tuning_grid_and_choice(product, data):
    t = tune(product, data["log"], deductibles=[0, 200, 500], payout_ratios=[0.7, 0.9],
             premiums=[0.10, 0.115, 0.13], book_orders=150e6)
    assert len(t) == 18
    # by hand: expected CR = (E + k n)/P + v on each row
    v = product.expenses.variable_rate
    row = t.iloc[0]
    assert row["expected_cr"] == pytest.approx(row["benefit_ratio"] + v + 30.0 * float(
        per_order(product, deductible=0.0, payout_ratio=0.7)["claims"]) / 0.10, rel=1e-3)
    # a higher premium lowers the CR and the chance of a loss
    wide = t.pivot_table(index=["medical_deductible", "medical_ratio"],
                         columns="premium_per_order", values=["expected_cr",
                                                              "prob_cr_above_100"])
    assert np.all(wide["expected_cr"][0.115] < wide["expected_cr"][0.10])
    assert np.all(wide["prob_cr_above_100"][0.115] < wide["prob_cr_above_100"][0.10])
    c = choose(t, max_premium_per_day=3.0, max_combined_ratio=0.95, max_prob_loss=0.10)
    chosen = t.loc[c.design]
    assert chosen["premium_per_day"] <= 3.0 and chosen["expected_cr"] <= 0.95
    assert chosen["prob_cr_above_100"] <= 0.10


def test_product_file_is_strict(product, tmp_path):
    import tomllib

    doc = tomllib.loads(example_product_path().read_text(encoding="utf-8"))
    doc["medical"]["payout_ration"] = 0.9
    with pytest.raises(ParameterError, match="did you mean 'payout_ratio'"):
        GigProduct.from_dict(doc)
    doc = tomllib.loads(example_product_path().read_text(encoding="utf-8"))
    doc["medical"]["payout_ratio"] = 90
    doc["product"]["premium_basis"] = "week"
    with pytest.raises(ParameterError, match="premium_basis.*medical_ratio must be in"):
        GigProduct.from_dict(doc)
    doc = tomllib.loads(example_product_path().read_text(encoding="utf-8"))
    del doc["liability"]
    with pytest.raises(ParameterError, match=r"\[liability\] is missing"):
        GigProduct.from_dict(doc)
    doc = tomllib.loads(example_product_path().read_text(encoding="utf-8"))
    doc["disability"]["grade_probabilities"] = [0.1] * 9
    with pytest.raises(ParameterError, match="grade_probabilities"):
        GigProduct.from_dict(doc)
    bad = tmp_path / "bad.toml"
    bad.write_text("[product\nname=1", encoding="utf-8")
    with pytest.raises(ParameterError, match="TOML"):
        GigProduct.from_toml(bad)
    with pytest.raises(ParameterError, match="no product file"):
        GigProduct.from_toml(tmp_path / "absent.toml")


def test_bad_input_is_refused(product, data):
    with pytest.raises(ParameterError):
        per_order("not a product")
    with pytest.raises(ParameterError):
        product.severity("fire")
    with pytest.raises(ParameterError, match="lines are"):
        review(product, data["log"], data["claims"].assign(line="fire"))
    with pytest.raises(ParameterError):
        tune(product, data["log"], deductibles=[0], payout_ratios=[0.9], premiums=[0.0])
    with pytest.raises(ParameterError):
        unit_premiums(product, pd.DataFrame({"orders": [1.0]}))
    with pytest.raises(ParameterError, match="premium"):
        from puhui.gig import premium_income
        premium_income(product.with_terms(premium=None), 1.0, 1.0, 1.0)
