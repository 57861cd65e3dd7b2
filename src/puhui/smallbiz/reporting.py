"""Report sections of the small-business family (小微企业 / 个体工商户): price, review, tuning
and the rule check, appended to a :class:`puhui.report.Report` (``puhui price|review|tune`` on a
smallbiz product file; :mod:`puhui.cli.smallbiz`).

Every number comes from the family's functions (:mod:`.pricing`, :mod:`.review`); this module
only arranges them. The rule check (:func:`rule_check`) runs :func:`puhui.rules.check` with the
regulation rulebooks in force on the valuation date — none of them applies to small-business
cover (they are scoped to agriculture and 惠民保; puhui has no small-business rulebook yet), and
the report says so — and the EXAMPLE company policy book of the family
(``smallbiz_policy_example.toml``: 综合成本率 ≤ 95 %, P(CR > 100 %) ≤ 10 %) with any policy book
the user gives.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from ..report import Report
from ..rules import check
from .bonus_malus import BonusMalus
from .pricing import employer_rates, ilf, liability_premium, liability_severity, price_property
from .product import Product
from .review import experience_rate, property_prob_loss, review_property, tune_property

__all__ = ["POLICY_EXAMPLE", "add_price", "add_review", "add_rule_check", "add_tuning",
           "rule_check"]

#: The family's EXAMPLE company policy rulebook (checked on every run; not a regulation).
POLICY_EXAMPLE = Path(__file__).with_name("smallbiz_policy_example.toml")
#: The default tuning grid of a property product: 每次事故免赔额 (元) × 赔付比例.
DEFAULT_DEDUCTIBLES = (0.0, 500.0, 1_000.0, 2_000.0, 5_000.0, 10_000.0)
DEFAULT_RATIOS = (0.7, 0.8, 0.9, 1.0)


def rule_check(product: Product, values: dict, *, as_of, policies=()) -> pd.DataFrame:
    """:func:`puhui.rules.check` of ``values`` (``combined_ratio``, ``loss_ratio``,
    ``prob_cr_above_100``) against the regulations in force on ``as_of`` (scope: sector
    ``small_business``, line ``smallbiz_<kind>`` — no shipped regulation has that scope) and
    the family's example policy book plus ``policies``. NaN values are not checked."""
    return check(values, scope={"sector": "small_business", "line": f"smallbiz_{product.kind}"},
                 policies=[POLICY_EXAMPLE, *policies], as_of=as_of)


def add_rule_check(rep: Report, table: pd.DataFrame, *, name: str, as_of) -> None:
    """The rule-check section: which rulebooks were checked, and their rows."""
    from ..rules import rulebook

    books = table.attrs.get("books", [])
    regulations = [b for b in books if _kind(b, rulebook) == "regulation"]
    policies = [b for b in books if b not in regulations]
    rep.heading("Rule check (合规检查)", level=3)
    reg_rows = table[table["kind"] == "regulation"] if len(table) else table
    if len(reg_rows) == 0:
        rep.text(f"**No regulation rulebook in force for this family**: the regulation books in "
                 f"force on {as_of} ({', '.join(regulations) or 'none'}) are scoped to "
                 "agriculture and 惠民保; puhui has no small-business (小微企业) rulebook yet "
                 "(金办发〔2025〕46号 asks for the cover but sets no figure). The rows below are "
                 f"company policy only ({', '.join(policies)}; the example book is an EXAMPLE, "
                 "not a regulation).")
    if len(table) == 0:
        rep.text("No quantity to check (no design chosen).")
    rep.table(name, table[["rule", "quantity", "value", "limit", "passed", "kind", "source"]],
              caption="Rules checked (puhui.rules.check): value, limit and whether it holds")


def _kind(book_id: str, rulebook) -> str:
    try:
        return rulebook(book_id).kind
    except Exception:  # a policy book given as a file is not a shipped id
        return "policy"


# ---------------------------------------------------------------------------------- price
def add_price(rep: Report, product: Product, data: dict, *, as_of, policies=()) -> dict:
    """Pricing sections of ``product`` on ``data`` (property: ``risks``, one row per firm;
    employer: ``groups``; liability: ``policies_table`` with ``units``). Returns the
    assumptions to record in the manifest."""
    rep.heading(f"Pricing (定价): {product.name} ({product.code})")
    e = product.expenses
    rep.text(f"Kind {product.kind}; target 综合成本率 τ = {product.target_combined_ratio:.0%}; "
             f"variable expenses {e.variable_rate:.1%} of premium, {e.per_member:g} 元 per "
             f"policy, {e.per_claim:g} 元 per claim. Gross premium P = (E + F + k·n)/(τ − v) "
             "(puhui.pricing.gross_up).")
    if product.kind == "property":
        return _price_property(rep, product, data["risks"], as_of=as_of, policies=policies)
    if product.kind == "employer":
        return _price_employer(rep, product, data["groups"], as_of=as_of, policies=policies)
    return _price_liability(rep, product, data["policies_table"], as_of=as_of,
                            policies=policies)


def _price_property(rep, product, risks, *, as_of, policies):
    priced = price_property(product, risks)
    t = product.terms
    by = priced.assign(risks=1).groupby(["occupancy", "location_grade"], sort=True).agg(
        risks=("risks", "sum"), sum_insured=("sum_insured", "sum"),
        expected_loss=("expected_loss", "sum"), pure_premium=("pure_premium", "sum"),
        gross_premium=("gross_premium", "sum")).reset_index()
    by["rate_permille"] = by["gross_premium"] / by["sum_insured"] * 1000.0
    by["pure_premium_per_risk"] = by["pure_premium"] / by["risks"]
    by["gross_premium_per_risk"] = by["gross_premium"] / by["risks"]
    prob = property_prob_loss(product, risks)
    total = float(priced["gross_premium"].sum())
    rep.text(f"{len(priced):,} risks, sum insured {priced['sum_insured'].sum():,.0f} 元; "
             f"每次事故免赔额 {t.deductible:,.0f} 元, 赔付比例 {t.payout_ratio:.0%}, cover "
             f"{t.cover}. Pure premium λ·r·V·E[X]·(1 − G(d/V)) on the Swiss Re exposure curve "
             f"of each occupancy; gross premium {total:,.2f} 元 for the book. P(CR > 100%) of a "
             f"year at that premium (NP2 on the compound-Poisson cumulants): {prob:.2%}.")
    rep.table("price_property", by[["occupancy", "location_grade", "risks", "sum_insured",
                                    "pure_premium_per_risk", "gross_premium_per_risk",
                                    "rate_permille"]],
              caption="Premium by occupancy (占用性质) and location grade (地段风险等级): "
                      "费率 ‰ of the sum insured")
    rep.table("price_risks", priced, caption="Every risk priced (first rows shown)",
              max_rows=20)
    checks = rule_check(product, {"combined_ratio": product.target_combined_ratio,
                                  "prob_cr_above_100": prob}, as_of=as_of, policies=policies)
    add_rule_check(rep, checks, name="price_rule_check", as_of=as_of)
    return {"risks": len(priced), "gross_premium": total, "prob_cr_above_100": prob}


def _ncd_table(product: Product, lams=(0.05, 0.1, 0.2, 0.4)) -> pd.DataFrame:
    t = product.terms
    ncd = BonusMalus(list(t.ncd_relativities), start=t.ncd_start, penalty=t.ncd_penalty)
    return ncd.summary(list(lams))


def _price_employer(rep, product, groups, *, as_of, policies):
    from .pricing import price_groups

    t = product.terms
    rates = employer_rates(product)
    priced = price_groups(product, groups)
    rep.text(f"Per head and year in 职业类别 k: φ_k·[(q_death + q_dis·s̄)·L + μ·E[min(r(X − d)₊, "
             f"M)]] with 每人伤亡责任限额 L = {t.death_disability_limit:,.0f} 元 and 每人医疗费用"
             f"限额 M = {t.medical_limit:,.0f} 元; exposure base {t.exposure_base}. "
             f"{len(priced):,} groups, manual premium {priced['manual_premium'].sum():,.2f} 元.")
    rep.table("price_class_rates", rates, caption="Rates per head by 职业类别 1–6 (pure and "
              "gross, 元 a head-year)")
    rep.table("price_groups", priced, caption="Manual (class-rate) premium of every group "
              "(first rows shown)", max_rows=20)
    rep.table("price_ncd", _ncd_table(product),
              caption="无赔款优待 (NCD) scale as a bonus–malus chain: stationary mean relativity "
                      "b(λ) and Loimaranta efficiency η(λ) at claim rates λ a group-year")
    checks = rule_check(product, {"combined_ratio": product.target_combined_ratio},
                        as_of=as_of, policies=policies)
    add_rule_check(rep, checks, name="price_rule_check", as_of=as_of)
    rep.text("P(CR > 100%) is not computed for an employer product: the file gives the mean "
             "disability-grade share s̄, not the grades' distribution, so the book's higher "
             "cumulants are not defined.")
    return {"groups": len(priced), "manual_premium": float(priced["manual_premium"].sum())}


def _price_liability(rep, product, table, *, as_of, policies):
    t = product.terms
    card = liability_premium(product, table["units"].to_numpy(float))
    limits = np.array(sorted({t.ilf_base_limit, t.limit_per_accident, 50_000.0, 100_000.0,
                              200_000.0, 500_000.0, 1_000_000.0}))
    factors = pd.DataFrame({"limit_per_accident": limits,
                            "ilf": ilf(liability_severity(product), limits,
                                       base_limit=t.ilf_base_limit, deductible=t.deductible)})
    prem = table.merge(card[["units", "gross_premium"]], on="units", how="left")
    rep.text(f"{len(table):,} policies on the {t.exposure_base} base; accidents Poisson(λ n) "
             f"with λ = {t.frequency:g} per unit, lognormal loss (median "
             f"{t.severity_median:,.0f} 元, σ {t.severity_sigma:g}); 每次事故赔偿限额 "
             f"{t.limit_per_accident:,.0f} 元, 累计赔偿限额 {t.aggregate_limit:,.0f} 元. Pure "
             f"premium E[min(S, A)] by FFT. Book premium {prem['gross_premium'].sum():,.2f} 元.")
    rep.table("price_rate_card", card, caption="Premium per policy size (exposure units): "
              "with and without the aggregate limit")
    rep.table("price_ilf", factors, caption="Increased-limit factors (增限因子) against the "
              f"base limit {t.ilf_base_limit:,.0f} 元")
    checks = rule_check(product, {"combined_ratio": product.target_combined_ratio},
                        as_of=as_of, policies=policies)
    add_rule_check(rep, checks, name="price_rule_check", as_of=as_of)
    return {"policies": len(table), "gross_premium": float(prem["gross_premium"].sum())}


# --------------------------------------------------------------------------------- review
def add_review(rep: Report, product: Product, data: dict, *, as_of, policies=()) -> dict:
    """Review sections (回溯分析): property — A/E with limited-fluctuation credibility and the
    综合成本率 by occupancy, P(CR > 100 %) of the latest year; employer — group experience
    rating (经验费率) with credibility and the 综合成本率 by year. Returns the assumptions."""
    rep.heading(f"Retrospective review (回溯分析): {product.name} ({product.code})")
    if product.kind == "property":
        return _review_property(rep, product, data["book"], as_of=as_of, policies=policies)
    return _review_employer(rep, product, data["groups"], as_of=as_of, policies=policies)


def _review_property(rep, product, book, *, as_of, policies):
    res = review_property(product, book)
    last = int(book["year"].max())
    latest = book[book["year"] == last]
    prob = property_prob_loss(product, latest, latest["premium"].to_numpy(float))
    allrow = res[res["occupancy"] == "all"].iloc[0]
    rep.text(f"Policy years {int(book['year'].min())}–{last}, {len(book):,} risk-years. A/E = "
             "claims paid / claims expected on the product's basis; credibility Z = min(1, "
             f"√(n/n_F)) of the claim count (n_F = {res.attrs['full_standard']:,.0f}); "
             f"credible A/E = Z·A/E + (1 − Z). Whole book: A/E {allrow['ae']:.3f}, Z "
             f"{allrow['z']:.0%}, 综合成本率 {allrow['combined_ratio']:.1%}. P(CR > 100%) of "
             f"policy year {last} at its earned premium (NP2): {prob:.2%}.")
    shown = res.rename(columns={"exposure": "risk_years", "expected": "expected_paid",
                                "actual": "actual_paid", "claims": "claim_count"})
    rep.table("review_by_occupancy", shown, caption="A/E, credibility, loss ratio, expense ratio "
              "and 综合成本率 by occupancy")
    checks = rule_check(product, {"combined_ratio": float(allrow["combined_ratio"]),
                                  "loss_ratio": float(allrow["loss_ratio"]),
                                  "prob_cr_above_100": prob}, as_of=as_of, policies=policies)
    add_rule_check(rep, checks, name="review_rule_check", as_of=as_of)
    return {"years": [int(book["year"].min()), last], "ae": float(allrow["ae"]),
            "combined_ratio": float(allrow["combined_ratio"]), "prob_cr_above_100": prob}


def _review_employer(rep, product, groups, *, as_of, policies):
    from ..ratios import combined_ratio_from
    from .pricing import price_groups

    rated = experience_rate(product, groups)
    priced = price_groups(product, groups)
    e = product.expenses
    prem = groups["premium"].to_numpy(float) if "premium" in groups.columns else \
        priced["manual_premium"].to_numpy(float)
    heads = priced["exposure"].to_numpy(float) if product.terms.exposure_base == "headcount" \
        else priced["payroll"].to_numpy(float) / product.terms.average_salary
    years = pd.DataFrame({"year": groups["year"].to_numpy(), "premium": prem,
                          "claims_paid": groups["claims_paid"].to_numpy(float),
                          "claim_count": groups["claim_count"].to_numpy(float),
                          "heads": heads}).groupby("year").sum().reset_index()
    years["loss_ratio"] = years["claims_paid"] / years["premium"]
    years["expense_ratio"] = e.variable_rate + (e.per_member * years["heads"]
                                                + e.per_claim * years["claim_count"]) \
        / years["premium"]
    years["combined_ratio"] = combined_ratio_from(years["loss_ratio"].to_numpy(),
                                                  years["expense_ratio"].to_numpy())
    a = rated.attrs
    whole = float(years["claims_paid"].sum() / years["premium"].sum())
    source = "the groups' premium column" if "premium" in groups.columns else \
        "the class rates (no premium column: the manual premium is taken as earned)"
    rep.text(f"{rated['group'].nunique():,} groups over {years['year'].min()}–"
             f"{years['year'].max()}; premium from {source}. Group experience rating (经验费率): "
             f"factor = m̂ + Z(X̄ − m̂) by {product.terms.credibility} "
             "(puhui.credibility.experience_rating); next year's premium = manual × factor. "
             f"Loss ratio over the years {whole:.1%}.")
    rep.table("review_years", years.drop(columns="heads"),
              caption="综合赔付率, 综合费用率 and 综合成本率 by year")
    rep.table("review_experience_rating", rated, caption="Experience-rated premium by group: "
              "A/E, credibility Z, factor (first rows shown)", max_rows=20)
    structure = {k: v for k, v in a.items() if isinstance(v, (int, float, np.floating))}
    if structure:
        rep.table("review_credibility_structure",
                  pd.DataFrame({"quantity": list(structure),
                                "value": [float(v) for v in structure.values()]}),
                  caption="Credibility structure (collective mean, variances, constant)",
                  floatfmt=",.6g")
    last = years.iloc[-1]
    checks = rule_check(product, {"combined_ratio": float(last["combined_ratio"]),
                                  "loss_ratio": float(last["loss_ratio"])}, as_of=as_of,
                        policies=policies)
    add_rule_check(rep, checks, name="review_rule_check", as_of=as_of)
    rep.text("P(CR > 100%) is not computed for an employer product: the file gives the mean "
             "disability-grade share, not the grades' distribution (higher cumulants undefined).")
    return {"groups": int(rated["group"].nunique()), "loss_ratio": whole}


# --------------------------------------------------------------------------------- tuning
def add_tuning(rep: Report, product: Product, risks: pd.DataFrame, *, deductibles=None,
               payout_ratios=None, max_price: float | None = None,
               max_prob_loss: float | None = 0.10, as_of, policies=()) -> dict:
    """Tuning sections of a property product: every 免赔额 × 赔付比例 design at its required
    premium (:func:`puhui.smallbiz.tune_property`), the frontier (price against share paid)
    and the choice under ``max_price`` (mean gross per risk) and ``max_prob_loss``."""
    from ..tuning import plot_frontier

    d = list(DEFAULT_DEDUCTIBLES if deductibles is None else deductibles)
    r = list(DEFAULT_RATIOS if payout_ratios is None else payout_ratios)
    table, choice = tune_property(product, risks, d, r, max_price=max_price,
                                  max_prob_loss=max_prob_loss)
    rep.heading(f"Tuning (方案调优: 每次事故免赔额 × 赔付比例): {product.name}")
    limits = ", ".join(f"{c} {op} {v:g}" for c, op, v in choice.constraints.limits()) or "none"
    rep.text(f"{len(table)} designs on {len(risks):,} risks; each at its required premium (the "
             "one gross-up at the target 综合成本率), P(CR > 100%) by NP2 at that premium. "
             f"Objective: share of losses paid, then indemnity share. Constraints: {limits}.")
    shown = table.rename(columns={"deductible": "deductible_per_loss"})
    rep.table("tuning_designs", shown, caption="Every design (免赔额 × 赔付比例)", max_rows=30)
    rep.table("tuning_frontier", shown[shown["frontier"]],
              caption="The Pareto frontier: no design is cheaper with a higher share paid")
    if choice.design is None:
        rep.text("**No design meets the constraints**: relax the budget or the ceiling on "
                 "P(CR > 100%).")
    else:
        row = choice.row
        rep.text(f"**Chosen design {choice.design}**: 每次事故免赔额 {row['deductible']:,.0f} 元, "
                 f"赔付比例 {row['payout_ratio']:.0%}; required premium "
                 f"{row['required_premium']:,.2f} 元 per risk, P(CR > 100%) "
                 f"{row['prob_cr_above_100']:.2%}, {row['share_paid']:.1%} of losses paid "
                 f"({choice.feasible_designs} of {choice.designs} designs meet the "
                 "constraints).")
        rep.table("tuning_choice", choice.summary(), caption="Constraints at the chosen design")
    rep.figure("tuning_frontier", plot_frontier(table, chosen=choice.design).figure,
               caption="Required premium against share of losses paid; frontier and choice")
    values = ({"combined_ratio": float(choice.row["expected_cr"]),
               "prob_cr_above_100": float(choice.row["prob_cr_above_100"])}
              if choice.design is not None else {"combined_ratio": np.nan})
    checks = rule_check(product, values, as_of=as_of, policies=policies)
    add_rule_check(rep, checks, name="tuning_rule_check", as_of=as_of)
    return {"deductibles": d, "payout_ratios": r, "max_price": max_price,
            "max_prob_loss": max_prob_loss, "chosen_design": choice.design}
