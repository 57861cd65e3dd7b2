"""惠民保 benefit tuning (方案调优): the 起付线 × 赔付比例 grid evaluated on trended experience
(:mod:`puhui.tuning`), the design chosen under the product's constraints, and its report
sections."""

from __future__ import annotations

from ..report import Report
from .folder import check_product, check_years
from .product import Product

__all__ = ["DEFAULT_DEDUCTIBLES", "DEFAULT_RATIOS", "add_tuning", "tune"]


#: Default grid of `puhui tune`: the shared 起付线 of the medical lines and the healthy 赔付比例.
DEFAULT_DEDUCTIBLES = tuple(range(5_000, 30_001, 2_500))
DEFAULT_RATIOS = (0.5, 0.55, 0.6, 0.65, 0.7, 0.75, 0.8, 0.85, 0.9)


def tune(product: Product, policies, costs, *, years=None, trend: float | None = None,
         to_year: int | None = None, deductibles=DEFAULT_DEDUCTIBLES, ratios=DEFAULT_RATIOS,
         lines=("in_catalogue", "out_of_catalogue"), price: float | None = None,
         claim_cv: float = 0.05, alpha: float = 0.10, max_price: float | None = None):
    """Evaluate a 起付线 × 赔付比例 grid on trended experience and choose a design.

    The experience of ``years`` (default: the latest policy year), by the product's segments
    (``product.segments``; a member-year of another segment is an error naming its row), is
    trended at ``trend``
    (default: the product's medical trend) to ``to_year`` (default: the next year). Every
    design is evaluated at the current price; the choice maximises the expected payout per
    member subject to: expected combined ratio ≤ the target, P(CR > 100%) ≤ ``alpha`` (with
    a lognormal claim-level CV ``claim_cv``) and, if given, required premium ≤ ``max_price``.

    Returns ``(evaluation, choice, constraints)``.
    """
    from ..tuning import Constraints, DesignGrid, MemberCosts, evaluate, optimise

    check_product(policies, product)
    pol = policies if "policy_year" in policies.columns else policies.assign(
        policy_year=policies["start_date"].dt.year)
    years = ([int(pol["policy_year"].max())] if years is None
             else check_years(pol, years, option="years"))
    trend = product.medical_trend if trend is None else float(trend)
    member_costs = MemberCosts.from_tables(pol, costs, lines=[ln.name for ln in product.lines],
                                           policy_year=years, trend=trend, to_year=to_year,
                                           segments=product.segments,
                                           owner=f"product {product.code}")
    grid = DesignGrid.from_product(product, deductible=list(deductibles),
                                   payout_ratio=list(ratios), lines=list(lines))
    ev = evaluate(grid, member_costs, product, price=price, claim_cv=claim_cv)
    constraints = Constraints(max_price=max_price,
                              max_combined_ratio=product.target_combined_ratio,
                              max_prob_loss=alpha)
    choice = optimise(ev, constraints, objective=("pure_premium", "share_paid"))
    ev.assumptions.update(experience_years=years, trend=trend)
    return ev, choice, constraints


def add_tuning(rep: Report, ev, choice, constraints, product: Product) -> None:
    """Append the tuning sections to a report."""
    from ..tuning import plot_frontier, plot_heatmap

    a = ev.assumptions
    rep.heading(f"Benefit tuning (起付线 × 赔付比例): {product.name}")
    rep.text(f"Experience of policy year(s) {a['experience_years']} trended at "
             f"{a['trend']:.1%} a year; {len(ev)} designs evaluated at the price "
             f"{a['price']:g} 元 for {a['members']:,.0f} members; P(CR > 100%) by the "
             f"normal-power approximation with a {a['claim_cv']:.0%} claim-level CV. "
             f"Constraints: {', '.join(f'{c} {op} {v:g}' for c, op, v in constraints.limits())}.")
    rep.table("tuning_summary", ev.summary().reset_index(),
              caption="Current design and the range over the grid")
    cols = ["design", "deductible", "payout_ratio", "current", "pure_premium",
            "required_premium", "expected_cr", "prob_cr_above_100", "share_paid",
            "payout_per_claimant"]
    rep.table("tuning_designs", ev.table[[c for c in cols if c in ev.table.columns]],
              caption="Every design (first rows shown)", max_rows=15)
    if choice.design is None:
        rep.text("**No design meets the constraints at the current price**: the price must "
                 "rise, or the constraints be relaxed.")
    else:
        row = choice.row
        rep.text(f"**Chosen design {choice.design}**: 起付线 {row['deductible']:,.0f} 元, "
                 f"赔付比例 {row['payout_ratio']:.0%} (healthy); expected payout "
                 f"{row['pure_premium']:.2f} 元 per member, expected combined ratio "
                 f"{row['expected_cr']:.1%}, P(CR > 100%) {row['prob_cr_above_100']:.1%}, "
                 f"{row['share_paid']:.2%} of members paid.")
        rep.table("tuning_choice", choice.summary(), caption="Constraints at the chosen design")
    rep.figure("tuning_frontier", plot_frontier(ev, chosen=choice.design).figure,
               caption="Price–benefit frontier (share of members paid against required premium)")
    rep.figure("tuning_heatmap", plot_heatmap(ev, "expected_cr").figure,
               caption="Expected combined ratio over 起付线 × 赔付比例")
