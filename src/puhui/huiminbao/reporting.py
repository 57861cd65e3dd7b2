"""Writing the review of a 惠民保 book as a report (Markdown, CSV tables, PNG figures).

Sections: IBNR (with the Bornhuetter–Ferguson a-priori chosen and its effect, and why Mack's
standard error is missing where it is), 损益核算 by policy year on the regulatory definitions
(actual expenses, or assumed ones said so in bold), the indication for the next policy year
(rate change, benefit change, designs, rule check), and actual vs expected.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..plots import new_axes
from ..report import Report
from .review import ReviewResult

#: Where each of the review's notes is shown, by how it begins (else in the introduction).
_SECTION_OF_NOTE = (
    (("Bornhuetter–Ferguson a-priori", "Chain ladder on", "No claim reported"), "ibnr"),
    (("Expenses", "Reinsurers' share"), "ratios"),
    (("Indication", "No indication", "Benefit change"), "indication"),
)


def _notes(res: ReviewResult) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {"intro": [], "ibnr": [], "ratios": [], "indication": []}
    for note in res.notes:
        section = next((s for starts, s in _SECTION_OF_NOTE if note.startswith(starts)),
                       "intro")
        out[section].append(note)
    return out


def _shown(item: str, value) -> str:
    """An indication value as read: years plain, money in 元, ratios and changes in %."""
    if item == "experience year":
        return str(int(value))
    if not np.isfinite(value):
        return ""
    if "元" in item:
        text = f"{value:,.2f}"
    elif "trend factor" in item:
        text = f"{value:.4f}"
    else:
        text = f"{value:.2%}"
    return text.replace("-", "−")  # a minus sign, not a spreadsheet formula


def intro(res: ReviewResult) -> str:
    """The review's opening paragraph: valuation date, target, and whether the expenses are
    actual or — in bold — assumed."""
    p = res.product
    if res.expenses is None:
        basis = (f"**Expenses assumed, not actual**: the product file's "
                 f"{p.expenses.variable_rate:.1%} of premium + {p.expenses.per_member:g} 元 "
                 "per member, gross of reinsurance.")
    else:
        basis = ("Expenses actual (the expenses table), combined ratio on the regulatory "
                 "definitions, net of reinsurance.")
    return (f"Valuation date {res.as_of.date()}; target combined ratio "
            f"{p.target_combined_ratio:.0%}. {basis} " + " ".join(_notes(res)["intro"]))


def add_review(rep: Report, res: ReviewResult, *, prefix: str = "review") -> None:
    """Append the review's sections to ``rep``."""
    p = res.product
    notes = _notes(res)
    rep.heading(f"Retrospective review (精算回溯): {p.name} ({p.code})")
    rep.text(intro(res))

    rep.heading("IBNR by policy year (已发生未报案)", level=3)
    rep.text(" ".join(notes["ibnr"]))
    which = ("the basis loss ratio updated by the review's A/E, and on the filed basis: "
             "ibnr_bf_filed" if res.bf_apriori == "updated" else "the filed basis loss ratio")
    rep.table(f"{prefix}_ibnr", res.ibnr, caption="Reported claims and IBNR by policy year "
              f"(chain ladder with Mack s.e.; Bornhuetter–Ferguson on {which})")
    rep.figure(f"{prefix}_reserves", res.reserves["incurred_bf"].plot().figure,
               caption="Reported incurred and IBNR by policy year")

    rep.heading("损益核算: combined ratio by policy year", level=3)
    rep.text(" ".join(notes["ratios"]))
    rep.table(f"{prefix}_ratios", res.ratios, caption="Underwriting-year ratios: 满期赔付率 "
              "(gross), 综合赔付率, 综合费用率 and 综合成本率 (incl. IBNR; expenses "
              f"{res.expenses_basis})")
    if res.expenses is not None and res.statement is not None:
        rep.table(f"{prefix}_statement", _statement_lines(res), caption="The income-statement "
                  "lines of each policy year at the valuation date (puhui.ratios.Statement)")
    rep.figure(f"{prefix}_combined_ratio", res.plot_ratios().figure,
               caption="Combined ratio by policy year against the target")

    rep.heading("Indication for the next policy year (费率与责任调整)", level=3)
    rep.text(" ".join(notes["indication"]))
    if res.indication_table is not None:
        t = res.indication_table
        rep.table(f"{prefix}_indication",
                  t.assign(shown=[_shown(i, v) for i, v in zip(t["item"], t["value"],
                                                                strict=True)])
                  [["item", "value", "shown", "basis"]], floatfmt=",.6g",
                  caption="Rate indication (loss-ratio method, puhui.experience."
                          "rate_indication) and the benefit change at the current price")
    if res.benefit_levers is not None:
        rep.table(f"{prefix}_benefit_levers", res.benefit_levers,
                  caption="Designs that carry the benefit change at the current price "
                          "(expected payout per member, trended member costs)")
    if res.rule_check is not None:
        rep.table(f"{prefix}_rule_check", res.rule_check[
            ["rule", "quantity", "value", "limit", "passed", "kind", "source"]],
            caption="Rule check of the indication (puhui.rules: regulations in force on the "
                    "valuation date; company policy where given)")

    sig = res.significant_deviations()
    rep.heading("Actual vs expected against the pricing basis", level=3)
    rep.text("Frequency A/E with exact Poisson intervals; amount A/E with compound-Poisson "
             "intervals; IBNR spread to cells as the basis expects it. Deviations whose "
             "interval excludes 1:")
    rep.table(f"{prefix}_significant_deviations", sig, caption="Significant deviations")
    for dim in ("segment", "age_band", "year_line"):
        res_dim = res.ae[dim]
        rep.table(f"{prefix}_ae_{dim}", res_dim.summary(), caption=f"A/E by {dim}")
        ax = new_axes(None, figsize=(7.0, 0.3 * len(res_dim.table) + 1.5))
        rep.figure(f"{prefix}_ae_{dim}", res_dim.plot(ax=ax).figure,
                   caption=f"A/E (amount) by {dim}; red: the frequency or amount interval excludes 1")


def _statement_lines(res: ReviewResult) -> pd.DataFrame:
    """The statement lines beside the ratios they give (one row per policy year)."""
    s = res.statement
    keep = ["policy_year", "gross_written_premium", "ceded_premium", "earned_premium",
            "claims_paid", "ceded_claims_paid", "change_in_claim_reserves",
            "ceded_change_in_claim_reserves", "commission", "admin_expenses",
            "taxes_and_surcharges", "protection_fund", "ceded_reinsurance_expenses",
            "loss_ratio", "expense_ratio", "combined_ratio", "underwriting_result"]
    return s[[c for c in keep if c in s.columns]]
