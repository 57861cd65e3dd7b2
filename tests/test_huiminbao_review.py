"""The 惠民保 review on the bundled data finds the deviations the generator planted; its
损益核算 on the actual expenses, the Bornhuetter–Ferguson a-priori, the indication and the rule
check (issue 15) are held to hand computations; a small book gets no ``inf`` and no warning."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

import puhui
import puhui.datasets
from puhui.huiminbao import Product, basis_from_planted, example_product_path, review
from puhui.huiminbao.review import check_expenses

#: The reviews of these tests run with the numerical warnings as errors: none may leak out.
pytestmark = pytest.mark.filterwarnings("error::RuntimeWarning")


@pytest.fixture(scope="module")
def result(bundled_huiminbao):
    hmb = bundled_huiminbao
    basis = basis_from_planted(hmb.planted)
    res = review(Product.from_toml(example_product_path()), hmb.policies, hmb.claims, basis,
                 as_of=hmb.planted["valuation_date"], expenses=hmb.expenses, costs=hmb.costs,
                 policy_books=["example.company_policy"])
    return res, hmb.planted


def _row(res, dimension, **where):
    t = res.ae[dimension].table
    for k, v in where.items():
        t = t[t[k] == v]
    assert len(t) == 1
    return t.iloc[0]


def test_planted_frequency_deviations_are_found(result):
    res, planted = result
    found = {d["name"]: d for d in planted["planted_deviations"]}
    assert found["preexisting_frequency"]["multiplier"] > 1
    pre = _row(res, "segment", segment="preexisting")
    assert pre["frequency_lower"] > 1 and pre["significant"]       # 既往症 claim more
    old = _row(res, "age_band", age_band="80+")
    assert old["frequency_lower"] > 1 and old["significant"]       # 80+ claim more
    ooc = _row(res, "segment_line", segment="healthy", benefit_line="out_of_catalogue")
    assert ooc["frequency_upper"] < 1 and ooc["significant"]       # favourable, as planted
    # the planted multipliers lie inside (or near) the frequency intervals; anti-selection
    # (healthier members leave) pushes the observed ratios up a little
    assert pre["frequency_lower"] - 0.05 < 1.30 < pre["frequency_upper"] + 0.10
    assert old["frequency_lower"] - 0.05 < 1.15 < old["frequency_upper"] + 0.10


def test_special_drug_severity_2025_shows_in_the_amount(result):
    res, _ = result
    sd25 = _row(res, "year_line", policy_year=2025, benefit_line="special_drugs")
    sd23 = _row(res, "year_line", policy_year=2023, benefit_line="special_drugs")
    assert sd25["amount_lower"] > 1
    assert sd25["severity_ae"] > sd23["severity_ae"]


def test_unplanted_cells_are_mostly_quiet(result):
    res, _ = result
    t = res.ae["age_band"].table
    quiet = t[t["age_band"].isin(["18-39", "40-49"])]
    assert not quiet["significant"].any()


def test_ibnr_is_close_to_the_truth(result):
    res, planted = result
    truth = {y["policy_year"]: y for y in planted["years"]}
    ib = res.ibnr.set_index("policy_year")
    # the latest year carries most IBNR; the estimate is within 2 Mack s.e. of the truth
    assert ib.loc[2025, "ibnr_count"] == pytest.approx(truth[2025]["ibnr_claims"], rel=0.25)
    err = abs(ib.loc[2025, "ibnr_chain_ladder"] - truth[2025]["ibnr"])
    assert err < 3 * ib.loc[2025, "mack_se"]
    assert ib.loc[2023, "ibnr_amount"] < 0.01 * ib.loc[2023, "reported_incurred"]
    # ultimate = reported + IBNR, and cells add up to the yearly totals
    np.testing.assert_allclose(ib["ultimate"], ib["reported_incurred"] + ib["ibnr_amount"])
    by_year = res.cells.groupby("policy_year")["actual_amount"].sum()
    np.testing.assert_allclose(by_year.to_numpy(), ib["ultimate"].to_numpy(), rtol=1e-9)


def test_ratios_hand_check(result, bundled_huiminbao):
    # 满期赔付率 is gross; 综合赔付率, 综合费用率, 综合成本率 are on the regulatory definitions
    # with the bundled actual expenses and its 20% quota share, written out by hand here:
    #   earned (net) = written − ceded (fully earned: no UPR at 2026-02-28)
    #   net claims   = paid − recovered + outstanding · (1 − recovered / paid)   (the
    #                  reinsurers' share of the outstanding estimated at the paid share)
    #   expenses     = commission + admin + taxes + protection fund − ceding commission
    res, planted = result
    r = res.ratios.set_index("policy_year")
    ib = res.ibnr.set_index("policy_year")
    exp = bundled_huiminbao.expenses.set_index("policy_year")
    cl = bundled_huiminbao.claims.merge(bundled_huiminbao.policies[["policy_id", "policy_year"]],
                                        on="policy_id")
    paid = cl.groupby("policy_year")["paid"].sum()
    prem = {int(k): v for k, v in planted["pricing_basis"]["prices"].items()}
    members = res.premium.set_index("policy_year")["members"]
    for y in (2023, 2024, 2025):
        earned = prem[y] * members[y]          # annual policies, fully earned by 2026-02-28
        ult = ib.loc[y, "ultimate"]
        assert r.loc[y, "earned_loss_ratio"] == pytest.approx(ult / earned, rel=1e-12)
        e = exp.loc[y]
        net_earned = earned - e["ceded_premium"]
        share = e["ceded_claims_paid"] / paid[y]
        net_claims = (paid[y] - e["ceded_claims_paid"] + (ult - paid[y]) * (1 - share))
        expenses = (e["commission"] + e["admin_expenses"] + e["taxes_and_surcharges"]
                    + e["protection_fund"] - e["ceded_reinsurance_expenses"])
        assert r.loc[y, "net_earned_premium"] == pytest.approx(net_earned, rel=1e-12)
        assert r.loc[y, "loss_ratio"] == pytest.approx(net_claims / net_earned, rel=1e-12)
        assert r.loc[y, "expense_ratio"] == pytest.approx(expenses / net_earned, rel=1e-12)
        assert r.loc[y, "combined_ratio"] == pytest.approx((net_claims + expenses) / net_earned,
                                                           rel=1e-12)
        assert r.loc[y, "expenses"] == "actual"
    # a quota share leaves the loss ratio as it was gross; the ceding commission lowers the
    # expense ratio below the gross 10.6% of 2025
    assert r.loc[2025, "loss_ratio"] == pytest.approx(r.loc[2025, "earned_loss_ratio"])
    assert any(n.startswith("Reinsurers' share of the outstanding claims") for n in res.notes)


def test_significant_deviation_table_and_figures(result):
    res, _ = result
    sig = res.significant_deviations()
    assert {"segment", "age_band"} <= set(sig["dimension"])
    assert sig["deviation"].abs().is_monotonic_decreasing
    assert res.plot_ratios().get_title()
    assert res.plot_ae("segment").get_xlabel()


def test_review_rejects_claims_after_the_valuation_date(bundled_huiminbao):
    hmb = bundled_huiminbao
    with pytest.raises(puhui.ParameterError, match="after as_of"):
        review(Product.from_toml(example_product_path()), hmb.policies, hmb.claims,
               basis_from_planted(hmb.planted), as_of="2025-06-30")
    with pytest.raises(puhui.ParameterError, match="ibnr_method"):
        review(Product.from_toml(example_product_path()), hmb.policies, hmb.claims,
               basis_from_planted(hmb.planted), as_of="2026-02-28", ibnr_method="magic")


def test_cli_review_writes_a_report(tmp_path, capsys, book):
    # the command on the small book of conftest.py (1,500 members a year; the review's numbers
    # on the bundled book are tested through the API above, and the demo runs the same
    # workflow on it)
    import json

    from puhui.cli import main

    data = book
    # actual expenses given with --expenses (Chinese headers), checked against a company policy
    written = pd.read_parquet(data / "policies.parquet").groupby("policy_year")["premium"].sum()
    expenses = tmp_path / "费用.csv"
    pd.DataFrame({"保单年度": written.index, "手续费及佣金": 0.03 * written.to_numpy(),
                  "业务及管理费": 0.07 * written.to_numpy(), "税金及附加": 0.0,
                  "保险保障基金": 0.008 * written.to_numpy()}).to_csv(expenses, index=False)
    out = tmp_path / "out"
    assert main(["review", str(example_product_path()), "--data", str(data), "--out",
                 str(out), "--expenses", str(expenses), "--policy",
                 "example.company_policy"]) == 0
    doc = (out / "report.md").read_text(encoding="utf-8")
    assert "Significant deviations" in doc and "preexisting" in doc
    assert "Expenses actual (the expenses table)" in doc and "assumed, not actual" not in doc
    assert "Indication for the next policy year" in doc and "benefit change" in doc
    assert "policy.rate_change.yearly_cap" in doc and "Benktander" in doc
    ratios = pd.read_csv(out / "tables" / "review_ratios.csv", encoding="utf-8-sig")
    np.testing.assert_allclose(ratios["expense_ratio"], 0.108, rtol=1e-12)   # 3% + 7% + 0.8%
    man = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert {"product", "policies", "claims", "basis", "expenses"} <= set(man["inputs"])
    assert man["assumptions"]["expenses"] == "actual"
    assert man["assumptions"]["bf_apriori"] == "updated"
    assert (out / "figures" / "review_combined_ratio.png").stat().st_size > 1000
    # a folder without a basis is a clear error, exit status 2
    bare = tmp_path / "bare"
    bare.mkdir()
    for name in ("policies.parquet", "claims.csv"):
        (bare / name).write_bytes((data / name).read_bytes())
    assert main(["review", str(example_product_path()), "--data", str(bare), "--out",
                 str(tmp_path / "o")]) == 2
    assert "no pricing basis" in capsys.readouterr().err


# --- issue 15: the Bornhuetter–Ferguson a-priori -----------------------------------------------

def test_bf_apriori_is_the_filed_basis_updated_by_the_reviews_ae(result):
    from puhui.experience.ibnr import benktander

    res, _ = result
    ib = res.ibnr.set_index("policy_year")
    # the figures: 2025 IBNR 1.73 M by chain ladder, 1.58 M by BF on the filed basis,
    # whose A/E on that basis is 1.09
    assert ib.loc[2025, "ibnr_chain_ladder"] == pytest.approx(1_732_906.51, abs=0.01)
    assert ib.loc[2025, "ibnr_bf_filed"] == pytest.approx(1_578_331.34, abs=0.01)
    expected = res.cells.groupby("policy_year")["expected_amount"].sum()
    ae_filed = (ib["reported_incurred"] + ib["ibnr_bf_filed"]) / expected
    assert ae_filed.loc[2025] == pytest.approx(1.0898, abs=5e-5)
    # 2,800 claims a year: full credibility, so ELR′ = ELR_filed · A/E = (C + IBNR_BF) / P,
    # the BF ultimate loss ratio — and BF on it is Benktander's method (Mack 2000)
    earned = res.premium.set_index("policy_year")["earned_premium"]
    assert (ib["apriori_credibility"] == 1.0).all()
    np.testing.assert_allclose(ib["apriori_loss_ratio"], ib["filed_loss_ratio"] * ae_filed,
                               rtol=1e-12)
    np.testing.assert_allclose(ib["apriori_loss_ratio"],
                               (ib["reported_incurred"] + ib["ibnr_bf_filed"]) / earned,
                               rtol=1e-12)
    tri = res.reserves["incurred_cl"].triangle
    gb = benktander(tri, premium=earned, apriori=ib["filed_loss_ratio"].to_numpy())
    np.testing.assert_allclose(ib["ibnr_bornhuetter_ferguson"], gb.by_origin["ibnr"],
                               rtol=1e-10, atol=1e-6)
    # by hand: IBNR_GB = q · U_BF with q = 1 − 1/CDF at 2025's age (14 months)
    q = 1 - 1 / res.reserves["incurred_bf"].by_origin["cdf"].iloc[-1]
    u_bf = ib.loc[2025, "reported_incurred"] + ib.loc[2025, "ibnr_bf_filed"]
    assert ib.loc[2025, "ibnr_bornhuetter_ferguson"] == pytest.approx(q * u_bf, rel=1e-10)
    assert ib.loc[2025, "ibnr_bornhuetter_ferguson"] == pytest.approx(1_720_133.58, abs=0.01)
    assert (ib["ibnr_amount"] == ib["ibnr_bornhuetter_ferguson"]).all()
    note = next(n for n in res.notes if n.startswith("Bornhuetter–Ferguson a-priori"))
    assert "Benktander" in note and "Mack 2000" in note and "1,578,331 → 1,720,134" in note


# --- issue 15: a small book ---------------------------------------------------------------------

@pytest.fixture(scope="module")
def small(book):
    """The small book of conftest.py (1,500 members a year), reviewed with the numerical
    warnings as errors."""
    from puhui.huiminbao.folder import read_book

    product = Product.from_toml(example_product_path())
    data = read_book(book, product=product)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        return review(product, data.policies, data.claims, data.basis,
                      as_of=data.valuation_date)


@pytest.fixture(scope="module")
def tiny():
    """A book of 400 members a year, reviewed on the filed a-priori: its count triangle has
    two equal link ratios of 1.25 where claims still develop."""
    from puhui.datasets.huiminbao_claims import generate_huiminbao

    h = generate_huiminbao(seed=1, members=400)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        return review(Product.from_toml(example_product_path()), h["policies"], h["claims"],
                      basis_from_planted(h["planted"]), as_of=h["planted"]["valuation_date"],
                      bf_apriori="filed")


def test_small_book_bf_apriori_is_credibility_weighted(small, tiny):
    ib = small.ibnr.set_index("policy_year")
    z = ib["apriori_credibility"]
    assert ((z > 0) & (z < 1)).all()                      # a few dozen claims a year
    expected = small.cells.groupby("policy_year")["expected_amount"].sum()
    ae_filed = (ib["reported_incurred"] + ib["ibnr_bf_filed"]) / expected
    np.testing.assert_allclose(ib["apriori_loss_ratio"],
                               ib["filed_loss_ratio"] * (z * ae_filed + 1 - z), rtol=1e-12)
    assert ib.loc[2025, "ibnr_bornhuetter_ferguson"] > ib.loc[2025, "ibnr_bf_filed"]
    # bf_apriori="filed": the filed basis as it is, and the note gives the updated figure
    filed = tiny.ibnr
    np.testing.assert_allclose(filed["ibnr_bornhuetter_ferguson"], filed["ibnr_bf_filed"])
    np.testing.assert_allclose(filed["apriori_loss_ratio"], filed["filed_loss_ratio"])
    assert (filed["apriori_credibility"] == 0).all()
    assert any("as filed" in n and "would be" in n for n in tiny.notes)


def test_small_book_mack_is_a_number_or_says_why(small, tiny):
    # Both books reviewed without a RuntimeWarning (the fixtures turn them into errors; before,
    # chainladder's σ extrapolation through log 0 printed overflow warnings). The small book's
    # 2025 s.e. is Mack's own: its later link ratios are all 1 (development finished)
    se = small.ibnr["mack_se"].to_numpy()
    assert np.isfinite(se).all() and se[-1] > 0
    # the tiny book's count triangle: no figure, the reason instead of an inf or a 0
    note = next(n for n in tiny.notes if n.startswith("Chain ladder on reported counts"))
    assert "Mack standard error not available" in note and "every link ratio is 1.25" in note
    assert "needs ≥ 3 development periods reported by ≥ 2 origins each" in note
    assert np.isnan(tiny.reserves["count_cl"].totals["mack_se"].iloc[0])
    assert np.isfinite(tiny.ibnr["mack_se"]).all()           # the amounts' s.e. is available


def test_small_book_expenses_assumed_are_flagged(small):
    from puhui.huiminbao.reporting import intro

    assert (small.ratios["expenses"] == "assumed").all() and small.expenses_basis == "assumed"
    assert any(n.startswith("Expenses assumed, not actual") for n in small.notes)
    assert "**Expenses assumed, not actual**" in intro(small)
    np.testing.assert_allclose(small.ratios["expense_ratio"], 0.098, rtol=1e-12)
    np.testing.assert_allclose(small.ratios["combined_ratio"],
                               small.ratios["earned_loss_ratio"] + 0.098, rtol=1e-12)
    # without member costs the trend is not leveraged, and the report says what it would take
    assert any("give the member costs" in n for n in small.notes)


# --- issue 15: the expenses table ---------------------------------------------------------------

def test_expenses_table_is_checked_strictly():
    prem = pd.DataFrame({"policy_year": [2024, 2025], "written_premium": [1000.0, 1100.0]})
    good = pd.DataFrame({"保单年度": ["2024", "2025"], "手续费及佣金": ["30", "33"],
                         "业务及管理费": ["60", "66"], "税金及附加": ["0", "0"],
                         "保险保障基金": ["8", "8.8"], "分出保费": ["200", "220"]})
    t = check_expenses(good, prem)                        # Chinese headers, as read from CSV
    assert t["commission"].tolist() == [30.0, 33.0]
    assert t["ceded_claims_paid"].tolist() == [0.0, 0.0]  # absent optional lines are 0 …
    assert t["ceded_claim_reserves"].isna().all()         # … but this one is estimated
    cases = [
        (good.iloc[:1], "missing_year"),
        (good.assign(保单年度=["2024", "2026"]), "unknown_year"),
        (good.assign(分出保费=["200", "1200"]), "above_premium"),
        (good.assign(手续费及佣金=["30", "-1"]), "negative"),
        (good.drop(columns="保险保障基金"), "missing_column"),
        (pd.concat([good, good.iloc[[1]]]), "duplicate_id"),
    ]
    for table, rule in cases:
        with pytest.raises(puhui.DataError) as err:
            check_expenses(table, prem)
        assert rule in {p.rule for p in err.value.problems}, rule


# --- issue 15: the indication with the rule check -----------------------------------------------

def test_indication_rate_and_benefit_change(result, bundled_huiminbao):
    res, _ = result
    hmb = bundled_huiminbao
    product = res.product
    ind = res.indication
    # the leverage of the 6% trend through the design, by hand on the 2025 member costs:
    # Σ pay(1.06 x) / Σ pay(x), each line and segment on its own terms
    pol = hmb.policies[hmb.policies["policy_year"] == 2025][["policy_id", "segment"]]
    c = hmb.costs.merge(pol, on="policy_id")
    now = nxt = 0.0
    for (line, seg), g in c.groupby(["benefit_line", "segment"]):
        terms = product.line(line).for_segment(seg)
        now += terms.pay(g["cost"].to_numpy()).sum()
        nxt += terms.pay(1.06 * g["cost"].to_numpy()).sum()
    t = res.indication_table.set_index("item")["value"]
    assert t["trend factor to 2026"] == pytest.approx(nxt / now, rel=1e-9)
    # loss-ratio method: L = ultimate per member × λ / 109; v = the 2025 actual expense ratio
    ult = res.ibnr.set_index("policy_year").loc[2025, "ultimate"]
    lr = ult / 188_000 * (nxt / now) / 109.0
    e = hmb.expenses.set_index("policy_year").loc[2025]
    v = (e["commission"] + e["admin_expenses"] + e["taxes_and_surcharges"]
         + e["protection_fund"]) / 20_492_000.0
    assert ind.credibility == 1.0 and ind.projected_loss_ratio == pytest.approx(lr, rel=1e-9)
    assert ind.indicated_change == pytest.approx(lr / (0.95 - v) - 1, rel=1e-9)
    assert ind.benefit_change == pytest.approx((0.95 - v) / lr - 1, rel=1e-9)
    # the company policy's +20% cap is applied and said so; the indicated change is kept
    assert ind.change == pytest.approx(0.20) and ind.clipped and ind.indicated_change > 0.3
    # each design carries the benefit change: expected payout (1 + change) × the current one
    lev = res.benefit_levers.set_index("lever")["expected_payout"]
    current = lev["current design"]
    assert current == pytest.approx(nxt / len(pol), rel=1e-9)
    for name in lev.index[1:]:
        assert lev[name] == pytest.approx((1 + ind.benefit_change) * current, rel=1e-6)
    # the rule check: regulation (the 2025 notice) and the company policy, kept apart
    rc = res.rule_check.set_index("rule")
    assert bool(rc.loc["health.actuarial_review", "passed"])
    assert bool(rc.loc["health.no_in_year_claim_condition_change", "passed"])
    assert not bool(rc.loc["health.product_name_custom", "passed"])   # no 定制 in the name
    assert bool(rc.loc["policy.rate_change.yearly_cap", "passed"])
    assert rc.loc["policy.rate_change.yearly_cap", "kind"] == "policy"
    assert not bool(rc.loc["policy.target_combined_ratio", "passed"])  # capped: CR > 95%
