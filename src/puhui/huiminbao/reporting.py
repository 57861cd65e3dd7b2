"""Writing the review of a 惠民保 book as a report (Markdown, CSV tables, PNG figures)."""

from __future__ import annotations

from ..plots import new_axes
from ..report import Report
from .review import ReviewResult


def add_review(rep: Report, res: ReviewResult, *, prefix: str = "review") -> None:
    """Append the review's sections to ``rep``."""
    p = res.product
    rep.heading(f"Retrospective review (精算回溯): {p.name} ({p.code})")
    rep.text(f"Valuation date {res.as_of.date()}; target combined ratio "
             f"{p.target_combined_ratio:.0%}; expenses {p.expenses.variable_rate:.1%} of premium "
             f"+ {p.expenses.per_member:g} 元 per member. " + " ".join(res.notes))
    rep.table(f"{prefix}_ibnr", res.ibnr, caption="Reported claims and IBNR by policy year "
              "(chain ladder with Mack s.e.; Bornhuetter–Ferguson on the basis loss ratio)")
    rep.figure(f"{prefix}_reserves", res.reserves["incurred_bf"].plot().figure,
               caption="Reported incurred and IBNR by policy year")
    rep.table(f"{prefix}_ratios", res.ratios, caption="Underwriting-year ratios: 满期赔付率, "
              "expense ratio and 综合成本率 (incl. IBNR)")
    rep.figure(f"{prefix}_combined_ratio", res.plot_ratios().figure,
               caption="Combined ratio by policy year against the target")
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
