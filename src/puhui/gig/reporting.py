"""Report sections of gig-worker cover (新就业形态人员专属灵活型保险): price, review, tuning
and the rule check, appended to a :class:`puhui.report.Report` (``puhui price|review|tune`` on a
gig product file; :mod:`puhui.cli.gig`).

The numbers come from :mod:`.pricing`, :mod:`.review` and :mod:`.tuning`; this module arranges
them. The rule check runs :func:`puhui.rules.check` with the regulation rulebooks in force on
the valuation date — none applies to gig-worker cover (they are scoped to agriculture and
惠民保; puhui has no rulebook for this cover yet), and the report says so — and the family's
EXAMPLE company policy book (``gig_policy_example.toml``: 综合成本率 ≤ 95 %, P(CR > 100 %) ≤
10 %, at most 3 元 a rider-day) with any policy book the user gives.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from ..experience.exposure import activity_exposure
from ..report import Report
from ..rules import check
from .pricing import line_table, unit_premiums
from .product import GigProduct
from .review import fit_factors, prob_cr_above, review, season_of
from .tuning import choose, tune

__all__ = ["POLICY_EXAMPLE", "add_price", "add_review", "add_rule_check", "add_tuning",
           "rule_check"]

#: The family's EXAMPLE company policy rulebook (checked on every run; not a regulation).
POLICY_EXAMPLE = Path(__file__).with_name("gig_policy_example.toml")
#: The default tuning grid: medical 免赔额 (元) × 赔付比例 × premium per order (× the filed).
DEFAULT_DEDUCTIBLES = (0.0, 100.0, 200.0, 500.0)
DEFAULT_RATIOS = (0.6, 0.7, 0.8, 0.9, 1.0)
DEFAULT_PREMIUM_STEPS = (0.9, 1.0, 1.1, 1.2, 1.3)


def rule_check(values: dict, *, as_of, policies=()) -> pd.DataFrame:
    """:func:`puhui.rules.check` of ``values`` (``combined_ratio``, ``loss_ratio``,
    ``prob_cr_above_100``, ``premium_per_day``) against the regulations in force on ``as_of``
    (scope: sector ``gig_economy``, line ``gig`` — no shipped regulation has that scope) and the
    family's example policy book plus ``policies``."""
    return check(values, scope={"sector": "gig_economy", "line": "gig"},
                 policies=[POLICY_EXAMPLE, *policies], as_of=as_of)


def add_rule_check(rep: Report, table: pd.DataFrame, *, name: str, as_of) -> None:
    """The rule-check section: which rulebooks were checked, and their rows."""
    from ..rules import rulebook

    books = table.attrs.get("books", [])
    regulations = []
    for b in books:
        try:
            if rulebook(b).kind == "regulation":
                regulations.append(b)
        except Exception:  # a policy book given as a file is not a shipped id
            pass
    policies = [b for b in books if b not in regulations]
    rep.heading("Rule check (合规检查)", level=3)
    if not (table["kind"] == "regulation").any():
        rep.text(f"**No regulation rulebook in force for this family**: the regulation books in "
                 f"force on {as_of} ({', '.join(regulations) or 'none'}) are scoped to "
                 "agriculture and 惠民保; puhui has no rulebook for gig-worker cover (专属灵活型"
                 "保险) yet. The rows below are company policy only "
                 f"({', '.join(policies)}; the example book is an EXAMPLE, not a regulation).")
    if len(table) == 0:
        rep.text("No quantity to check (no design chosen).")
    rep.table(name, table[["rule", "quantity", "value", "limit", "passed", "kind", "source"]],
              caption="Rules checked (puhui.rules.check): value, limit and whether it holds")


def _activity(log: pd.DataFrame, by) -> pd.DataFrame:
    return activity_exposure(log.assign(season=season_of(log["date"])), by=list(by),
                             period=None, measures=("orders", "hours"))


def _premium_per_day(product: GigProduct, log: pd.DataFrame, premium: float) -> float:
    """The price a rider sees, 元 per day worked, of ``premium`` on the product's basis."""
    units = {"order": log["orders"].sum(), "day": len(log), "hour": log["hours"].sum()}
    return float(premium * units[product.premium_basis] / len(log))


# ---------------------------------------------------------------------------------- price
def add_price(rep: Report, product: GigProduct, log: pd.DataFrame, *, as_of,
              policies=()) -> dict:
    """Pricing sections: per line, per order / day / hour by city and by city × season, the
    filed premium against the indicated one, P(CR > 100 %) at the filed premium."""
    rep.heading(f"Pricing (按单/按天/按小时定价): {product.name}")
    lines = line_table(product)
    whole = unit_premiums(product, _activity(log, ()))
    by_city = unit_premiums(product, _activity(log, ("city",)), by=("city",))
    by_cell = unit_premiums(product, _activity(log, ("city", "season")), by=("city", "season"))
    p = float(whole["premium_per_order"].iloc[0])
    e = product.expenses
    filed = product.premium
    rep.text(f"Frequencies per million orders, factors f_city·f_season of the product file; "
             f"pure premium E = f Σ λ_l E[Y_l], gross P = (E + k·n)/(τ − v) with τ = "
             f"{product.target_combined_ratio:.0%}, v = {e.variable_rate:.1%}, k = "
             f"{e.per_claim:g} 元 per claim. On the activity log ({log['orders'].sum():,.0f} "
             f"orders, {len(log):,} rider-days): **{p:.4f} 元 an order**, "
             f"{float(whole['premium_per_day'].iloc[0]):.2f} 元 a rider-day, "
             f"{float(whole['premium_per_hour'].iloc[0]):.3f} 元 an hour.")
    rep.table("price_lines", lines, caption="Benefit lines before factors: events per million "
              "orders, mean loss, expected payout, pure premium per order", floatfmt=",.6g")
    rep.table("price_by_city", by_city, caption="Gross premium per order, rider-day and hour "
              "by city", floatfmt=",.4f")
    rep.table("price_by_city_season", by_cell, caption="… by city × season (quarter)",
              floatfmt=",.4f")
    values = {"combined_ratio": product.target_combined_ratio,
              "premium_per_day": float(whole["premium_per_day"].iloc[0])}
    out = {"premium_per_order": p}
    if filed is not None:
        income = float(np.sum(_income(product, log)))
        prob = float(prob_cr_above(product, log, premium=income))
        per_day = _premium_per_day(product, log, filed)
        rep.text(f"Filed premium {filed:g} 元 per {product.premium_basis} "
                 f"({per_day:.2f} 元 a rider-day): income {income:,.2f} 元 on the log, "
                 f"P(CR > 100%) of a year at the filed premium {prob:.2%} (NP2 on the "
                 "compound-Poisson cumulants).")
        values.update(prob_cr_above_100=prob)
        out.update(filed=filed, prob_cr_above_100_filed=prob)
    checks = rule_check(values, as_of=as_of, policies=policies)
    add_rule_check(rep, checks, name="price_rule_check", as_of=as_of)
    return out


def _income(product: GigProduct, log: pd.DataFrame):
    from .pricing import premium_income

    return premium_income(product, log["orders"].sum(), len(log), log["hours"].sum())


# --------------------------------------------------------------------------------- review
def add_review(rep: Report, product: GigProduct, log: pd.DataFrame, claims: pd.DataFrame, *,
               as_of, policies=(), factors: bool = True) -> dict:
    """Review sections: A/E by platform × city with credibility, Bühlmann–Straub on the
    monthly A/E, death and disability as large losses, the year's ratios, P(CR > 100 %), the
    GLM's city and season factors (``factors``) and the rule check."""
    if product.premium is None:
        from ..errors import ParameterError

        raise ParameterError("a review needs the filed premium: set [product] premium in the "
                             "product file")
    res = review(product, log, claims, policies=())
    r = res.ratios
    rep.heading(f"Retrospective review (回溯): {product.name}")
    rep.text(f"{log['orders'].sum():,.0f} orders and {len(claims):,} claims; premium earned on "
             f"the day worked at the filed {product.premium:g} 元 per {product.premium_basis}. "
             f"综合赔付率 {r['loss_ratio']:.1%}, 综合费用率 {r['expense_ratio']:.1%}, "
             f"综合成本率 {r['combined_ratio']:.1%} (with death and disability at their expected "
             f"cost: {r['combined_ratio_large_at_expected']:.1%}). P(CR > 100%) next year at "
             f"the same activity and price: {res.prob_cr_above_100:.2%}.")
    rep.table("review_ratios", pd.DataFrame({"quantity": list(r), "value": list(r.values())}),
              caption="The year's ratios (puhui.ratios.combined_ratio)")
    rep.table("review_ae", res.ae.summary(), caption="A/E of medical and liability claims by "
              "platform × city: exact intervals, limited-fluctuation credibility")
    rep.table("review_buhlmann_straub", res.buhlmann, caption="Bühlmann–Straub on the monthly "
              "amount A/E by platform × city")
    rep.table("review_large_losses", res.large_losses, caption="Death and disability (大额): "
              "actual against expected count (exact Poisson interval) and amount")
    out = {"loss_ratio": r["loss_ratio"], "combined_ratio": r["combined_ratio"],
           "prob_cr_above_100": res.prob_cr_above_100}
    if factors:
        fit, _ = fit_factors(product, log, claims)
        t = fit.factor_table
        keep = [c for c in ("factor", "level", "exposure", "claim_count",
                            "frequency_relativity", "credibility") if c in t.columns]
        rep.table("review_factors", t[keep].rename(columns={"factor": "dimension"}), caption="City and season frequency relativities: "
                  "Poisson GLM, offset log(orders), platform a control "
                  "(puhui.experience.glm.fit_rate_groups)")
    checks = rule_check({"combined_ratio": r["combined_ratio"], "loss_ratio": r["loss_ratio"],
                         "prob_cr_above_100": res.prob_cr_above_100}, as_of=as_of,
                        policies=policies)
    add_rule_check(rep, checks, name="review_rule_check", as_of=as_of)
    return out


# --------------------------------------------------------------------------------- tuning
def add_tuning(rep: Report, product: GigProduct, log: pd.DataFrame, *, deductibles=None,
               payout_ratios=None, premiums=None, max_premium_per_day: float = 3.0,
               max_prob_loss: float = 0.10, as_of, policies=()) -> dict:
    """Tuning sections: medical 免赔额 × 赔付比例 × premium per order
    (:func:`puhui.gig.tuning.tune`), the frontier (price per rider-day against benefit ratio)
    and the choice within the daily budget, the target 综合成本率 and P(CR > 100 %) ≤ α."""
    from ..tuning import plot_frontier

    d = list(DEFAULT_DEDUCTIBLES if deductibles is None else deductibles)
    r = list(DEFAULT_RATIOS if payout_ratios is None else payout_ratios)
    if premiums is None:
        base = product.premium if product.premium is not None else float(
            unit_premiums(product, _activity(log, ()))["premium_per_order"].iloc[0])
        premiums = [round(base * s, 4) for s in DEFAULT_PREMIUM_STEPS]
    p = list(premiums)
    table = tune(product, log, deductibles=d, payout_ratios=r, premiums=p)
    choice = choose(table, max_premium_per_day=max_premium_per_day,
                    max_combined_ratio=product.target_combined_ratio,
                    max_prob_loss=max_prob_loss)
    rep.heading(f"Tuning (方案调优: 医疗免赔额 × 赔付比例 × 每单保费): {product.name}")
    limits = ", ".join(f"{c} {op} {v:g}" for c, op, v in choice.constraints.limits())
    rep.text(f"{len(table)} designs on the log's {log['orders'].sum():,.0f} orders; expected CR "
             "(E + k·n)/P + v, P(CR > 100%) by NP2 for a book of the log's size, benefit ratio "
             f"E/P. Objective: benefit ratio, then share of medical accidents paid. Constraints: "
             f"{limits} (required premium = premium per rider-day).")
    rep.table("tuning_designs", table, caption="Every design", max_rows=30, floatfmt=",.4f")
    rep.table("tuning_frontier", table[table["frontier"]], caption="The Pareto frontier: no "
              "design is cheaper a day with a higher benefit ratio", floatfmt=",.4f")
    if choice.design is None:
        rep.text("**No design meets the constraints** for a book of this size: a larger book, "
                 "a higher budget or a looser ceiling on P(CR > 100%) is needed.")
        values = {"combined_ratio": np.nan}
    else:
        row = choice.row
        rep.text(f"**Chosen design {choice.design}**: medical 免赔额 "
                 f"{row['medical_deductible']:,.0f} 元, 赔付比例 {row['medical_ratio']:.0%}, "
                 f"{row['premium_per_order']:g} 元 an order ({row['premium_per_day']:.2f} 元 a "
                 f"rider-day); expected CR {row['expected_cr']:.1%}, P(CR > 100%) "
                 f"{row['prob_cr_above_100']:.2%}, benefit ratio {row['benefit_ratio']:.1%} "
                 f"({choice.feasible_designs} of {choice.designs} designs meet the "
                 "constraints).")
        rep.table("tuning_choice", choice.summary(), caption="Constraints at the chosen design")
        values = {"combined_ratio": float(row["expected_cr"]),
                  "prob_cr_above_100": float(row["prob_cr_above_100"]),
                  "premium_per_day": float(row["premium_per_day"])}
    rep.figure("tuning_frontier", plot_frontier(table, cost="premium_per_day",
                                                benefit="benefit_ratio",
                                                chosen=choice.design).figure,
               caption="Premium per rider-day against benefit ratio; frontier and choice")
    checks = rule_check(values, as_of=as_of, policies=policies)
    add_rule_check(rep, checks, name="tuning_rule_check", as_of=as_of)
    return {"deductibles": d, "payout_ratios": r, "premiums": p,
            "max_premium_per_day": max_premium_per_day, "max_prob_loss": max_prob_loss,
            "chosen_design": choice.design}
