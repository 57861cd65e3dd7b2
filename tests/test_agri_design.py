"""Design grids of crop cover (puhui.agri.design, puhui.agri.index_design): cost cover × deductible, index designs."""

from __future__ import annotations

import matplotlib
import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import integrate, stats

from puhui.agri.basis import basis_risk, burn_analysis
from puhui.agri.batch import reprice
from puhui.agri.contracts import CostCover
from puhui.agri.design import (
    Expenses,
    cost_cover_expected,
    cost_cover_pay,
    detrended_panel,
    evaluate_cost_designs,
)
from puhui.agri.index_design import index_design_table, tiered_payouts
from puhui.agri.rules import filed_rate
from puhui.agri.subsidy import subsidy_split
from puhui.agri.weather import TieredIndexCover, WeatherIndexCover
from puhui.agri.yield_model import YieldModel
from puhui.errors import DataError, ParameterError, RuleError
from puhui.ratios import Statement, combined_ratio, combined_ratio_from, expected_combined_ratio
from puhui.ratios.exceedance import burn_exceedance

matplotlib.use("Agg")
SPLIT = subsidy_split("crop", "central", provincial=0.27, county=0.03)   # DOMAIN.md schedule


# --- one cover --------------------------------------------------------------------------


def test_cost_cover_pay_by_hand():
    # loss-degree form: SI·(损失率 − d)₊ with 损失率 = (c − y)₊ / c
    # c = 500, SI = 1000: y = 300 → 损失率 0.4; d = 0.1 → 300; y = 480 → 0.04 < 0.1 → 0
    np.testing.assert_allclose(cost_cover_pay([300.0, 480.0, 0.0, 600.0], 500.0, 1000.0,
                                              deductible=0.1), [300.0, 0.0, 900.0, 0.0])
    # price form, capped at SI: (500 − 100)·2.5 = 1000 → min(., 800) = 800; − 0.05·800 = 760
    assert float(cost_cover_pay(100.0, 500.0, 800.0, 2.5, 0.05)) == pytest.approx(760.0)
    # (500 − 400)·2.5 = 250 − 40 = 210
    assert float(cost_cover_pay(400.0, 500.0, 800.0, 2.5, 0.05)) == pytest.approx(210.0)


def test_no_deductible_is_the_cost_cover_contract():
    y = np.linspace(0, 700, 57)
    for price in (None, 2.3):
        contract = CostCover(sum_insured=800.0, expected_yield=550.0, price=price,
                             coverage_level=0.9)
        np.testing.assert_allclose(cost_cover_pay(y, 0.9 * 550.0, 800.0, price), contract.pay(y))


def test_bad_terms_raise():
    with pytest.raises(ParameterError, match="deductible"):
        cost_cover_pay(1.0, 500.0, 1000.0, deductible=1.0)
    with pytest.raises(ParameterError, match="positive"):
        cost_cover_pay(1.0, 0.0, 1000.0)
    with pytest.raises(ParameterError, match="price"):
        cost_cover_pay(1.0, 500.0, 1000.0, price=-1.0)
    with pytest.raises(ParameterError, match="bandwidth"):
        cost_cover_expected([[1.0, 2.0]], 5.0, 10.0, bandwidth=0.0)


def test_empirical_expectation_by_a_plain_loop():
    rng = np.random.default_rng(3)
    y = rng.normal(450, 70, (5, 25))
    c, si, p = 460.0, 1000.0, 2.4
    for d in (0.0, 0.07, 0.3):
        e, prob = cost_cover_expected(y, c, si, p, d)
        for row in range(5):
            pays = [max(min(p * max(c - max(v, 0.0), 0.0), si) - d * si, 0.0) for v in y[row]]
            assert e[row] == pytest.approx(np.mean(pays), rel=1e-12, abs=1e-12)
            assert prob[row] == pytest.approx(np.mean([q > 0 for q in pays]))


@pytest.mark.parametrize("price, d", [(None, 0.0), (None, 0.12), (2.2, 0.05), (3.0, 0.2)])
def test_kernel_expectation_by_numerical_integration(price, d):
    # E[pay] = ∫ pay(y) f(y) dy under scipy's gaussian_kde (Silverman), an independent
    # computation of the closed form p·(G(c − D) − G(c − U)).
    rng = np.random.default_rng(11)
    y = rng.normal(500, 60, 30)
    kde = stats.gaussian_kde(y, bw_method="silverman")
    h = float(np.sqrt(kde.covariance[0, 0]))
    c, si = 0.95 * 500.0, 900.0
    e, prob = cost_cover_expected(y[None, :], c, si, price, d, bandwidth=h)

    # the payout by the contract's formula at one point (checked against cost_cover_pay), and
    # the Gaussian kernel density written out (checked against scipy's gaussian_kde): plain
    # Python in the integrand, as quad calls it thousands of times
    pp0 = si / c if price is None else price
    norm = 1.0 / (y.size * h * np.sqrt(2.0 * np.pi))

    def pay(v):
        return max(min(pp0 * max(c - max(v, 0.0), 0.0), si) - d * si, 0.0)

    def density(v):
        return norm * float(np.exp(-0.5 * ((v - y) / h) ** 2).sum())

    for v in (-10.0, 0.5 * c, c - d * si / pp0 - 1.0, c + 1.0):
        assert pay(v) == pytest.approx(float(cost_cover_pay(v, c, si, price, d)[()]), abs=1e-12)
        assert density(v) == pytest.approx(float(kde(v)[0]), rel=1e-12, abs=1e-300)
    kinks = sorted(k for k in (0.0, c - si / pp0, c - d * si / pp0) if -300.0 < k < c)
    ref, _ = integrate.quad(lambda v: pay(v) * density(v), -300.0, c, epsabs=1e-10,
                            epsrel=1e-10, limit=400, points=kinks)
    pp = si / c if price is None else price
    ref_prob = kde.integrate_box_1d(-np.inf, c - d * si / pp)
    assert e[0] == pytest.approx(ref, rel=1e-7)
    assert prob[0] == pytest.approx(ref_prob, rel=1e-9)


def test_kernel_expectation_matches_the_yield_model():
    # CostCover.expected_payout under a fitted YieldModel (kde) is the same expectation
    years = np.arange(1990, 2020)
    rng = np.random.default_rng(5)
    yields = 400 + 5 * (years - 1990) + rng.normal(0, 45, years.size)
    m = YieldModel("linear", "additive", "kde").fit(years, yields)
    for price in (None, 2.6):
        cover = CostCover(1100.0, m.expected_yield_, price, coverage_level=0.9)
        e, _ = cost_cover_expected(m.adjusted_yields_[None, :], 0.9 * m.expected_yield_,
                                   1100.0, price, bandwidth=m.bandwidth_)
        assert e[0] == pytest.approx(float(cover.expected_payout(m)), rel=1e-10)


@settings(max_examples=50, deadline=None)
@given(theta=st.floats(0.5, 1.0), d1=st.floats(0.0, 0.5), d2=st.floats(0.0, 0.5),
       seed=st.integers(0, 10_000), kernel=st.booleans(), priced=st.booleans())
def test_expectation_falls_with_the_deductible_and_rises_with_coverage(theta, d1, d2, seed,
                                                                         kernel, priced):
    y = np.random.default_rng(seed).normal(500, 90, 30)
    h = 40.0 if kernel else None
    price = 2.5 if priced else None
    lo, hi = sorted((d1, d2))
    e_lo, p_lo = cost_cover_expected(y, theta * 500, 1000.0, price, lo, bandwidth=h)
    e_hi, p_hi = cost_cover_expected(y, theta * 500, 1000.0, price, hi, bandwidth=h)
    e_up, _ = cost_cover_expected(y, min(theta + 0.05, 1.0) * 500, 1000.0, price, lo,
                                  bandwidth=h)
    assert e_hi <= e_lo + 1e-9 and p_hi <= p_lo + 1e-12
    assert e_up >= e_lo - 1e-9
    assert 0 <= e_lo <= 1000.0 * (1 - lo) + 1e-9 and 0 <= p_lo <= 1


# --- a portfolio of designs ------------------------------------------------------------


def _raw_small():
    years = np.arange(2015, 2025)
    rng = np.random.default_rng(42)
    rows = []
    for region in ("A", "B"):
        for crop, level in (("rice", 500.0), ("wheat", 350.0)):
            y = level * (1 + 0.01 * (years - 2015)) * rng.lognormal(0, 0.12, years.size)
            rows.append(pd.DataFrame({"region": region, "crop": crop, "year": years,
                                      "yield": y}))
    return pd.concat(rows, ignore_index=True)


def small_panel():
    return detrended_panel(_raw_small())


SI = {"rice": 1100.0, "wheat": 700.0}
AREA = pd.DataFrame({"region": ["A", "A", "B", "B"], "crop": ["rice", "wheat"] * 2,
                     "insured_mu": [1000.0, 2000.0, 1500.0, 500.0]})
EXP = Expenses(per_mu=1.0, premium_share=0.06, per_paid_mu=4.0)


def test_panel_matches_reprice_and_the_yield_model():
    raw, panel = _raw_small(), small_panel()
    rates = reprice(raw, (0.9,), adjustment="multiplicative", density="empirical")
    np.testing.assert_allclose(panel.expected_yield, rates["expected_yield"], rtol=1e-12)
    model = YieldModel("linear", "multiplicative", "empirical")
    for i, (region, crop) in enumerate(panel.cells[["region", "crop"]].to_numpy()):
        cell = raw[(raw["region"] == region) & (raw["crop"] == crop)]
        m = model.fit(cell["year"], cell["yield"])
        np.testing.assert_allclose(panel.adjusted[i], m.adjusted_yields_, rtol=1e-10)


def test_panel_with_a_gap_is_refused():
    raw = _raw_small().drop(index=3)
    with pytest.raises(DataError, match="lacks a year"):
        detrended_panel(raw)


def test_portfolio_by_hand_and_by_the_ratio_definitions():
    # loadings within the stricter 20% reading of the 2023 cap (the rulebook's, issue 14)
    panel = small_panel()
    study = evaluate_cost_designs(panel, AREA, SI, split=SPLIT, coverage_levels=(0.95, 1.0),
                                  deductibles=(0.0, 0.05), loadings=(0.15, 0.2), factor=1.1,
                                  expenses=EXP)
    assert len(study.designs) == 8 and len(study.by_crop) == 16
    area = AREA.set_index(["region", "crop"])["insured_mu"]
    assert study.designs["premium"].gt(0).all()
    for _, row in study.designs.iterrows():
        # by hand: per cell E[pay] as the mean over years, a rate per crop from the
        # liability-weighted benchmark, then the 2023 formula
        premium = claims = paid = 0.0
        for crop in ("rice", "wheat"):
            cl = li = pm = 0.0
            for i, (region, c) in enumerate(panel.cells[["region", "crop"]].to_numpy()):
                if c != crop:
                    continue
                pays = cost_cover_pay(panel.adjusted[i], row.coverage * panel.expected_yield[i],
                                      SI[crop], None, row.deductible)
                a = area[(region, crop)]
                cl += a * pays.mean()
                li += a * SI[crop]
                pm += a * (pays > 0).mean()
            rate = (cl / li) / (1 - row.loading) * 1.1
            premium += rate * li
            claims += cl
            paid += pm
        expenses = 1.0 * 5000.0 + 0.06 * premium + 4.0 * paid   # 5,000 亩 insured
        assert row.premium == pytest.approx(premium, rel=1e-12)
        assert row.expected_claims == pytest.approx(claims, rel=1e-12)
        assert row.expenses == pytest.approx(expenses, rel=1e-12)
        # the ratios as puhui.ratios defines them, from a one-year statement
        r = combined_ratio(Statement(
            gross_written_premium=premium, change_in_upr=0.0, claims_paid=claims,
            change_in_claim_reserves=0.0, commission=0.06 * premium,
            admin_expenses=expenses - 0.06 * premium, taxes_and_surcharges=0.0,
            protection_fund=0.0))
        assert row.loss_ratio == pytest.approx(r.loss_ratio, rel=1e-12)
        assert row.combined_ratio == pytest.approx(r.combined_ratio, rel=1e-12)
        # the loss ratio of a rate built by the 2023 formula is (1 − loading)/factor
        assert row.loss_ratio == pytest.approx((1 - row.loading) / 1.1, rel=1e-12)
        assert row.expense_ok == (r.expense_ratio <= 0.20)
        # the subsidy split adds up; the farmer pays 25%
        assert row.central + row.provincial + row.county + row.farmer_premium == \
            pytest.approx(row.premium)
        assert row.farmer_premium_per_mu == pytest.approx(0.25 * premium / 5000.0)


def test_crop_rows_add_up_and_carry_the_filed_rate():
    study = evaluate_cost_designs(small_panel(), AREA, SI, split=SPLIT, loadings=(0.2,),
                                  expenses=EXP, coverage_levels=(0.8, 1.0),
                                  deductibles=(0.0, 0.05))
    bc = study.by_crop
    totals = bc.groupby("design")[["premium", "expected_claims", "expenses", "subsidy"]].sum()
    np.testing.assert_allclose(totals.to_numpy(), study.designs[
        ["premium", "expected_claims", "expenses", "subsidy"]].to_numpy(), rtol=1e-12)
    ref = filed_rate(bc["benchmark_rate"].to_numpy(), 0.2, 1.0).rate
    np.testing.assert_allclose(bc["rate"], ref, rtol=1e-12)
    assert bc["in_band"].all()
    np.testing.assert_allclose(bc["deductible_per_mu"], bc["deductible"] * bc["sum_insured_per_mu"])
    np.testing.assert_allclose(bc["farmer_premium_per_mu"], 0.25 * bc["rate"] *
                               bc["sum_insured_per_mu"], rtol=1e-12)


def test_burn_years_average_to_the_expectation_and_risk_reduction():
    panel = small_panel()
    study = evaluate_cost_designs(panel, AREA, SI, split=SPLIT, expenses=EXP,
                                  coverage_levels=(0.85, 1.0), deductibles=(0.0, 0.1))
    d = study.designs
    np.testing.assert_allclose(d["burn_cr_mean"], d["combined_ratio"], rtol=1e-12)
    # a design that never paid in the history has no premium and no ratios (not 0, not inf)
    never = d["premium"] == 0
    assert never.any() and d.loc[never, ["combined_ratio", "burn_cr_mean"]].isna().all().all()
    # … nor a burn P(CR > 100%) (not 0: no year was good either) nor a worst year
    assert d.loc[never, ["p_cr_above_100", "cr_q90", "worst_cr"]].isna().all().all()
    assert d.loc[never, "worst_year"].isna().all() and d.loc[~never, "worst_year"].notna().all()
    assert not d.loc[never, "expense_ok"].any()
    full = d[(d["coverage"] == 1.0) & (d["deductible"] == 0.0)]
    assert full["risk_reduction"].iloc[0] == pytest.approx(1.0)
    # risk reduction of one design by hand: 1 − Σ A Var(L − pay) / Σ A Var(L)
    row = d.iloc[0]
    area = AREA.set_index(["region", "crop"])["insured_mu"]
    num = den = 0.0
    for i, (region, crop) in enumerate(panel.cells[["region", "crop"]].to_numpy()):
        loss = cost_cover_pay(panel.adjusted[i], panel.expected_yield[i], SI[crop])
        pay = cost_cover_pay(panel.adjusted[i], row.coverage * panel.expected_yield[i],
                             SI[crop], None, row.deductible)
        num += area[(region, crop)] * np.var(loss - pay)
        den += area[(region, crop)] * np.var(loss)
    assert row.risk_reduction == pytest.approx(1 - num / den, rel=1e-12)
    yearly = study.by_year[study.by_year["design"] == 0]
    assert len(yearly) == 2 * panel.years.size
    assert set(yearly["crop"]) == {"rice", "wheat"}


def test_fixed_rates_report_the_implied_factor():
    panel = small_panel()
    base = evaluate_cost_designs(panel, AREA, SI, split=SPLIT, coverage_levels=(1.0,),
                                 deductibles=(0.0,), loadings=(0.2,))
    b = base.by_crop.set_index("crop")["base_rate"]
    rates = {"rice": float(b["rice"]) * 1.2, "wheat": float(b["wheat"]) * 1.4}
    study = evaluate_cost_designs(panel, AREA, SI, split=SPLIT, coverage_levels=(1.0,),
                                  deductibles=(0.0,), loadings=(0.2,), rates=rates)
    bc = study.by_crop.set_index("crop")
    assert bc.loc["rice", "factor"] == pytest.approx(1.2)
    assert bc.loc["wheat", "factor"] == pytest.approx(1.4)
    assert bool(bc.loc["rice", "in_band"]) and not bool(bc.loc["wheat", "in_band"])
    assert not bool(study.designs["in_band"].iloc[0])


def test_rules_and_inputs_are_enforced():
    panel = small_panel()
    with pytest.raises(RuleError, match="附加费率"):
        evaluate_cost_designs(panel, AREA, SI, split=SPLIT, loadings=(0.3,))
    with pytest.raises(RuleError, match="费率调整系数"):
        evaluate_cost_designs(panel, AREA, SI, split=SPLIT, factor=1.3)
    with pytest.raises(DataError, match="no insured area"):
        evaluate_cost_designs(panel, AREA.iloc[:3], SI, split=SPLIT)
    with pytest.raises(ParameterError, match="no value for crop"):
        evaluate_cost_designs(panel, AREA, {"rice": 1100.0}, split=SPLIT)
    with pytest.raises(ParameterError, match="density"):
        evaluate_cost_designs(panel, AREA, SI, split=SPLIT, density="normal")
    with pytest.raises(ParameterError, match="SubsidySplit"):
        evaluate_cost_designs(panel, AREA, SI, split=0.25)
    with pytest.raises(ParameterError, match="coverage_level"):
        evaluate_cost_designs(panel, AREA, SI, split=SPLIT, coverage_levels=(0.0,))


def test_kernel_portfolio_uses_the_kernel_expectation():
    panel = small_panel()
    study = evaluate_cost_designs(panel, AREA, SI, split=SPLIT, coverage_levels=(0.95,),
                                  deductibles=(0.05,), density="kde")
    from puhui.agri.batch_fit import bandwidths

    h = bandwidths(panel.adjusted, "silverman")
    si = panel.cells["crop"].map(SI).to_numpy()
    e, _ = cost_cover_expected(panel.adjusted, 0.95 * panel.expected_yield, si, None, 0.05,
                               bandwidth=h)
    area = AREA.set_index(["region", "crop"]).loc[
        list(map(tuple, panel.cells[["region", "crop"]].to_numpy())), "insured_mu"].to_numpy()
    assert study.designs["expected_claims"].iloc[0] == pytest.approx((e * area).sum(),
                                                                     rel=1e-12)


def test_plots_draw(tmp_path):
    import matplotlib.pyplot as plt

    study = evaluate_cost_designs(small_panel(), AREA, SI, split=SPLIT, expenses=EXP,
                                  coverage_levels=(0.8, 0.9, 1.0), deductibles=(0.0, 0.1))
    ax = study.plot_tradeoff(chosen=0)
    assert ax.get_xlabel() and ax.get_ylabel() and len(ax.collections) >= 2
    ax = study.plot_heatmap("rate", crop="rice", fmt="{:.1%}")
    assert len(ax.texts) == 6
    with pytest.raises(ParameterError, match="no crop"):
        study.plot_tradeoff(crop="cotton")
    plt.close("all")


# --- the study runs on puhui.ratios and puhui.tuning -------------------------------------


def _study_with_bad_years():
    # loading 10% and factor 0.9: loss ratio 1.0 — several burn years above 100%
    return evaluate_cost_designs(small_panel(), AREA, SI, split=SPLIT, expenses=EXP,
                                 coverage_levels=(0.9, 1.0), deductibles=(0.0, 0.05),
                                 loadings=(0.1, 0.2), factor=0.9)


def test_ratios_are_those_of_puhui_ratios_called_directly():
    """Combined ratios and P(CR > 100%) recomputed from the study's own amounts with the
    puhui.ratios functions (and the statement definition of 综合成本率): the same numbers."""
    study = _study_with_bad_years()
    bc, by, d = study.by_crop, study.by_year, study.designs
    # a crop design that never paid in the history has no premium and no ratio at all
    sold = bc["premium"].to_numpy() > 0
    assert not sold.all() and bc.loc[~sold, ["combined_ratio", "p_cr_above_100"]].isna().all().all()
    # expected: CR = loss ratio + expense ratio = (claims + expenses)/premium
    np.testing.assert_array_equal(bc["combined_ratio"],
                                  combined_ratio_from(bc["loss_ratio"], bc["expense_ratio"]))
    np.testing.assert_allclose(bc["combined_ratio"][sold], expected_combined_ratio(
        bc["expected_claims"], bc["premium"], fixed_expenses=bc["expenses"])[sold], rtol=1e-13)
    # each burn year of each crop: a one-year statement (premium share as commission, per-亩
    # and per-claim costs as admin expenses)
    yr = by.merge(bc[["design", "crop", "premium", "insured_mu"]], on=["design", "crop"])
    n = small_panel().years.size
    assert yr.loc[yr["premium"] == 0, "combined_ratio"].isna().all()
    yr = yr[yr["premium"] > 0]
    admin = EXP.per_mu * yr["insured_mu"] + EXP.per_paid_mu * yr["paid_mu"]
    stmt = combined_ratio(Statement(
        gross_written_premium=yr["premium"].to_numpy(), change_in_upr=0.0,
        claims_paid=yr["claims"].to_numpy(), change_in_claim_reserves=0.0,
        commission=EXP.premium_share * yr["premium"].to_numpy(), admin_expenses=admin.to_numpy(),
        taxes_and_surcharges=0.0, protection_fund=0.0))
    np.testing.assert_allclose(yr["combined_ratio"], stmt.combined_ratio, rtol=1e-12)
    # the burn P(CR > 100%) per crop and for the portfolio: burn_exceedance and a plain count
    cr = yr["combined_ratio"].to_numpy().reshape(int(sold.sum()), n)
    p = bc.loc[sold, "p_cr_above_100"].to_numpy()
    np.testing.assert_array_equal(p, burn_exceedance(cr, 1.0))
    np.testing.assert_array_equal(p, [sum(v > 1.0 for v in row) / n for row in cr])
    assert 0 < p.max() and p.min() < 1           # the test sees bad and good years
    tot = by.groupby(["design", "year"])[["claims", "paid_mu"]].sum().reset_index() \
        .merge(d[["design", "premium", "insured_mu"]], on="design")
    cr_tot = expected_combined_ratio(tot["claims"], tot["premium"], fixed_expenses=EXP.amount(
        tot["insured_mu"], tot["premium"], tot["paid_mu"])).reshape(len(d), n)
    np.testing.assert_allclose(d["burn_cr_mean"], cr_tot.mean(axis=1), rtol=1e-12)
    np.testing.assert_array_equal(d["p_cr_above_100"], burn_exceedance(cr_tot))
    np.testing.assert_allclose(d["cr_q90"], np.quantile(cr_tot, 0.9, axis=1), rtol=1e-12)


def test_burn_exceedance_by_hand_and_its_errors():
    # 3 of 5 years above 100%; c = 1.2: 1 of 5; axis 0 counts down the columns
    cr = [0.9, 1.05, 1.3, 0.99, 1.01]
    assert burn_exceedance(cr) == 0.6 and burn_exceedance(cr, 1.2) == 0.2
    assert burn_exceedance(np.array([cr, cr]).T, [1.0, 1.2], axis=0).tolist() == [0.6, 0.2]
    assert burn_exceedance([1.0, 1.0]) == 0.0                       # strictly above c
    with pytest.raises(ParameterError, match="no year"):
        burn_exceedance(np.empty((3, 0)))
    with pytest.raises(ParameterError, match="along an axis"):
        burn_exceedance(1.2)
    with pytest.raises(ParameterError, match="threshold"):
        burn_exceedance(cr, np.nan)
    with pytest.raises(ParameterError, match="axis"):
        burn_exceedance(cr, axis=1)


@settings(max_examples=40, deadline=None)
@given(rows=st.lists(st.lists(st.floats(0.0, 3.0), min_size=4, max_size=4), min_size=1,
                     max_size=6), c1=st.floats(0.5, 1.5), c2=st.floats(0.5, 1.5))
def test_burn_exceedance_counts_years_and_falls_with_the_threshold(rows, c1, c2):
    cr = np.array(rows)
    lo, hi = sorted((c1, c2))
    p_lo, p_hi = burn_exceedance(cr, lo), burn_exceedance(cr, hi)
    assert p_lo.tolist() == [sum(v > lo for v in r) / 4 for r in rows]
    assert np.all(p_hi <= p_lo) and np.all((p_lo >= 0) & (p_lo <= 1))
    assert np.all(p_lo * 4 == np.round(p_lo * 4))              # a multiple of 1/n


def test_heatmap_and_tradeoff_are_drawn_by_puhui_tuning_with_chinese_labels(tmp_path,
                                                                            monkeypatch):
    import warnings

    import matplotlib.pyplot as plt

    import puhui.tuning.plots as tp
    from puhui.plots import cjk_font, save_figure, use_cjk_font
    from puhui.tuning.frontier import pareto_mask

    study = _study_with_bad_years()
    calls = []
    for name in ("plot_heatmap", "plot_frontier"):
        real = getattr(tp, name)
        monkeypatch.setattr(tp, name, lambda *a, _real=real, _name=name, **k:
                            calls.append(_name) or _real(*a, **k))
    chinese = use_cjk_font()
    assert chinese == (cjk_font() is not None)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fig, axes = plt.subplots(1, 2, figsize=(11, 4), layout="constrained")
        ax = study.plot_heatmap("expense_ratio", crop="rice", loading=0.2, level=0.2,
                                ax=axes[0])
        ax2 = study.plot_tradeoff(crop="rice", chosen=1, ax=axes[1])
        png = save_figure(fig, tmp_path / "crop_heatmap.png")
    assert calls == ["plot_heatmap", "plot_frontier"]
    assert not [w for w in caught if "missing from font" in str(w.message)]
    assert png.stat().st_size > 10_000
    if chinese:
        assert (ax.get_xlabel(), ax.get_ylabel()) == ("绝对免赔率", "保障水平")
        assert ax.figure.axes[-2].get_ylabel() == "综合费用率"        # the colour bar
        assert ax2.get_xlabel() == "农户自缴保费（元/亩）"
    else:
        assert ax.get_xlabel() == "deductible (share of sum insured)"
    # the image is the pivot of the table: coverage up the rows, deductible along the columns
    t = study.by_crop[(study.by_crop["crop"] == "rice") & (study.by_crop["loading"] == 0.2)]
    ref = t.pivot(index="coverage", columns="deductible", values="expense_ratio")
    np.testing.assert_array_equal(ax.get_images()[0].get_array(), ref.to_numpy())
    assert [x.get_text() for x in ax.get_xticklabels()] == ["0%", "5%"]
    assert [x.get_text() for x in ax.texts] == [f"{v:.0%}" for v in ref.to_numpy().ravel()]
    # the frontier line is pareto_mask over the designs within the expense ceiling
    r = study.by_crop[study.by_crop["crop"] == "rice"]
    ok = r["expense_ok"].to_numpy()
    front = r[ok][pareto_mask(r.loc[ok, "farmer_premium_per_mu"].to_numpy(),
                              r.loc[ok, "expected_indemnity_per_mu"].to_numpy())]
    line = ax2.get_lines()[0]
    np.testing.assert_array_equal(np.sort(line.get_xdata()),
                                  np.sort(front["farmer_premium_per_mu"]))
    plt.close("all")


def test_tuning_plots_take_a_plain_table():
    """The generalised tuning figures on a DataFrame with named columns (no Evaluation)."""
    import matplotlib.pyplot as plt

    from puhui.tuning.plots import plot_frontier, plot_heatmap

    g = pd.DataFrame({"design": range(6), "a": [0.1, 0.2, 0.3] * 2, "b": [1.0] * 3 + [2.0] * 3,
                      "v": [0.5, 0.9, 1.1, 1.3, 0.7, 0.2], "cost": [1, 2, 3, 4, 5, 6.0],
                      "gain": [1, 3, 2, 5, 4, 6.0], "ok": [True] * 5 + [False]})
    ax = plot_heatmap(g, "v", x="a", y="b", fmt="{:.2f}", level=1.0, vmin=0.0, vmax=1.0,
                      labels={"a": ("甲", "A"), "b": ("乙", "B"), "v": ("值", "V")},
                      tick_fmt="{:.0%}", max_ticks=1)
    assert ax.get_images()[0].get_array().tolist() == [[0.5, 0.9, 1.1], [1.3, 0.7, 0.2]]
    assert ax.get_images()[0].get_clim() == (0.0, 1.0)
    assert [x.get_text() for x in ax.get_xticklabels()] == ["10%"]          # every 3rd
    assert ax.get_xlabel() in ("甲", "A") and len(ax.texts) == 6
    with pytest.raises(ParameterError, match="max_ticks"):
        plot_heatmap(g, "v", x="a", y="b", max_ticks=0)
    ax = plot_frontier(g, cost="cost", benefit="gain", color="v", feasible="ok", title=None,
                       chosen=3)
    # design 5 is infeasible, so the frontier of the others is 0, 1, 3
    assert sorted(ax.get_lines()[0].get_xdata().tolist()) == [1.0, 2.0, 4.0]
    assert ax.get_title() == "" and len(ax.get_legend().get_texts()) == 4
    with pytest.raises(ParameterError, match="not in the evaluation table"):
        plot_frontier(g, cost="cost", benefit="gain", color="nope")
    plt.close("all")


# --- index designs ---------------------------------------------------------------------


def test_tiered_payouts_equal_the_tiered_contract():
    rng = np.random.default_rng(8)
    index = rng.uniform(0, 400, 60)
    thresholds = np.array([[250.0, 180.0, 100.0], [200.0, 150.0, 120.0], [300.0, 90.0, 10.0]])
    shares = (0.5, 0.7, 0.9)
    pay = tiered_payouts(index, thresholds, shares, 400.0)
    for j, t in enumerate(thresholds):
        np.testing.assert_allclose(pay[j], TieredIndexCover(tuple(t), shares, 400.0).pay(index))
    heat = tiered_payouts(index, [[30.0, 35.0]], [0.4, 1.0], 10.0, direction="excess")
    np.testing.assert_allclose(heat[0], TieredIndexCover((30.0, 35.0), (0.4, 1.0), 10.0,
                                                         "excess").pay(index))
    with pytest.raises(ParameterError, match="decrease"):
        tiered_payouts(index, [[100.0, 200.0]], [0.5, 1.0])
    with pytest.raises(ParameterError, match="shares"):
        tiered_payouts(index, [[200.0, 100.0]], [0.7, 0.5])


def test_index_table_equals_basis_risk_and_burn_analysis_row_by_row():
    rng = np.random.default_rng(21)
    years = np.arange(1995, 2025)
    index = rng.gamma(8, 40, years.size)
    farms = np.maximum(0, 200 - index)[None, :] * rng.uniform(0.5, 1.5, (12, 1)) + \
        rng.exponential(5, (12, years.size)) * (rng.random((12, years.size)) < 0.2)
    T = np.array([250.0, 200.0, 150.0, 120.0])
    E = np.array([50.0, 20.0, 30.0, 0.0])
    cover = WeatherIndexCover(T[:, None], E[:, None], 400.0)
    pay = cover.pay(index[None, :])
    table = index_design_table(pay, farms, sum_insured=400.0, loading=0.2)
    for j in range(len(T)):
        b = basis_risk(np.tile(pay[j], 12), farms.ravel())
        for field in b.__dataclass_fields__:
            assert table[field].iloc[j] == pytest.approx(getattr(b, field), rel=1e-10,
                                                         abs=1e-12, nan_ok=True), field
        burn = burn_analysis(WeatherIndexCover(T[j], E[j], 400.0), index, years)
        assert table["burn_cost"].iloc[j] == pytest.approx(burn.pure_premium)
        assert table["pure_rate"].iloc[j] == pytest.approx(burn.pure_rate)
        assert table["burn_se"].iloc[j] == pytest.approx(burn.std / np.sqrt(years.size))
        assert table["rate"].iloc[j] == pytest.approx(burn.pure_rate / 0.8)
    # one loss series (an area loss) instead of farms
    area = index_design_table(pay, farms.mean(0), sum_insured=400.0)
    b = basis_risk(pay[1], farms.mean(0))
    assert area["correlation"].iloc[1] == pytest.approx(b.correlation)


def test_index_table_edge_cases():
    loss = np.array([0.0, 5.0, 0.0, 9.0])
    t = index_design_table(np.zeros((1, 4)), loss, sum_insured=10.0)
    assert np.isnan(t["correlation"].iloc[0]) and np.isnan(t["spearman"].iloc[0])
    assert t["p_loss_no_payout"].iloc[0] == 0.5
    with pytest.raises(ParameterError, match="share the years"):
        index_design_table(np.zeros((2, 3)), loss, sum_insured=10.0)
    with pytest.raises(ParameterError, match="≥ 0"):
        index_design_table(-np.ones((1, 4)), loss, sum_insured=10.0)
    with pytest.raises(RuleError):
        index_design_table(np.ones((1, 4)), loss, sum_insured=10.0, loading=0.4)


def test_cost_cover_pay_reproduces_the_bundled_claims():
    # The bundled 完全成本 claims of 2022–2024 were generated by the datasets module's own
    # formula: min(price · (ȳ₅ − y)₊, SI) per 亩 × insured 亩, ȳ₅ the 5 previous years' mean.
    import puhui.datasets as ds

    crops = ds.load_crops()
    price = {k: v["price_per_kg"] for k, v in crops.planted["schedule"].items()}
    si = {k: v["sum_insured_per_mu"] for k, v in crops.planted["schedule"].items()}
    wide = crops.yields.pivot_table(index=["region", "crop"], columns="year", values="yield")
    paid = crops.claims.merge(crops.policies[["policy_id", "region", "crop", "policy_year"]],
                              on="policy_id").set_index(["region", "crop", "policy_year"])["paid"]
    checked = 0
    for year in (2022, 2023, 2024):
        pol = crops.policies[crops.policies["policy_year"] == year]
        keys = list(zip(pol["region"], pol["crop"], strict=True))
        guarantee = wide.loc[keys, list(range(year - 5, year))].mean(axis=1).to_numpy()
        actual = wide.loc[keys, year].to_numpy()
        crop = pol["crop"].to_numpy()
        pay = cost_cover_pay(actual, guarantee, pd.Series(crop).map(si).to_numpy(),
                             pd.Series(crop).map(price).to_numpy())
        expected = np.round(pay * pol["exposure"].to_numpy(), 2)
        got = np.array([paid.get((r, c, year), 0.0) for r, c in keys])
        np.testing.assert_allclose(got, expected, rtol=0, atol=0.011)
        checked += int((expected > 0).sum())
    assert checked > 100


def test_catastrophe_reserve_is_in_the_combined_ratio_but_not_the_expense_ceiling():
    """Issue 14: the crop study's expenses omitted the 大灾准备金. Its contribution (a share of
    premium, 财金〔2013〕129号) is a cost of every year — in every combined ratio — but a reserve,
    not a 费用: the 综合费用率 the 20% ceiling applies to leaves it out. Before the fix it had no
    column of its own and was counted inside expense_ratio."""
    panel = small_panel()
    kw = dict(split=SPLIT, coverage_levels=(0.9, 1.0), deductibles=(0.0,), loadings=(0.2,))
    plain = evaluate_cost_designs(panel, AREA, SI, expenses=EXP, **kw)
    cat = evaluate_cost_designs(panel, AREA, SI, expenses=Expenses(
        per_mu=1.0, premium_share=0.06, per_paid_mu=4.0, catastrophe_reserve=0.03), **kw)
    for a, b in ((plain.designs, cat.designs), (plain.by_crop, cat.by_crop)):
        np.testing.assert_allclose(b["expense_ratio"], a["expense_ratio"], rtol=1e-12)
        np.testing.assert_allclose(b["reserve_ratio"], 0.03)
        np.testing.assert_allclose(b["catastrophe_reserve"], 0.03 * b["premium"], rtol=1e-12)
        np.testing.assert_allclose(b["combined_ratio"], a["combined_ratio"] + 0.03, rtol=1e-12)
        assert (b["expense_ok"] == a["expense_ok"]).all()
    # each burn year carries it too: CR_t = (claims_t + expenses_t + 0.03·P)/P
    np.testing.assert_allclose(cat.by_year["combined_ratio"],
                               plain.by_year["combined_ratio"] + 0.03, rtol=1e-12)
    assert cat.assumptions["catastrophe_reserve"].startswith("3.00%")
    # the ratios match the statement definition with the reserve as a cost
    row = cat.designs.iloc[0]
    assert row["combined_ratio"] == pytest.approx(
        (row["expected_claims"] + row["expenses"] + row["catastrophe_reserve"]) / row["premium"],
        rel=1e-12)
