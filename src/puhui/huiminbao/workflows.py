"""Command-line workflows for 惠民保: ``puhui review``, ``puhui tune`` and ``puhui price`` (and
their parts of ``puhui demo``)."""

from __future__ import annotations

import os
from pathlib import Path

from ..errors import ParameterError
from ..products import Product
from ..report import Report
from ..repro import Manifest, check_output_folder
from .folder import check_pricing_year, check_product, check_years, read_book
from .reporting import add_review
from .review import review


def run_review(product_path, data_dir, out_dir, *, as_of=None,
               ibnr_method: str = "bornhuetter_ferguson") -> Path:
    """Review the book in ``data_dir`` against ``product_path``; write the report to ``out_dir``
    (replaced whole, :meth:`puhui.report.Report.write`)."""
    inputs = (product_path, data_dir)
    check_output_folder(out_dir, inputs=inputs)  # refuse a bad --out before the work
    options = {"as_of": as_of, "ibnr_method": ibnr_method}
    product = Product.from_toml(product_path)
    book = read_book(data_dir, product=product)
    as_of = as_of or book.valuation_date
    if as_of is None:
        raise ParameterError("give the valuation date with --as-of YYYY-MM-DD")
    res = review(product, book.policies, book.claims, book.basis, as_of=as_of,
                 ibnr_method=ibnr_method)
    manifest = Manifest(command=f"puhui review {Path(product_path).name}",
                        assumptions={"valuation_date": str(as_of), "ibnr_method": ibnr_method,
                                     "options": options})
    manifest.add_input("product", product_path, relative_to=Path(product_path).parent)
    for name, path in book.paths.items():
        manifest.add_input(name, path, relative_to=Path(data_dir))
    rep = Report(f"精算回溯 — {product.name}", manifest=manifest)
    add_review(rep, res)
    return rep.write(os.fspath(out_dir), inputs=inputs)


#: Default grid of `puhui tune`: the shared 起付线 of the medical lines and the healthy 赔付比例.
DEFAULT_DEDUCTIBLES = tuple(range(5_000, 30_001, 2_500))
DEFAULT_RATIOS = (0.5, 0.55, 0.6, 0.65, 0.7, 0.75, 0.8, 0.85, 0.9)


def tune(product: Product, policies, costs, *, years=None, trend: float | None = None,
         to_year: int | None = None, deductibles=DEFAULT_DEDUCTIBLES, ratios=DEFAULT_RATIOS,
         lines=("in_catalogue", "out_of_catalogue"), price: float | None = None,
         claim_cv: float = 0.05, alpha: float = 0.10, max_price: float | None = None):
    """Evaluate a 起付线 × 赔付比例 grid on trended experience and choose a design.

    The experience of ``years`` (default: the latest policy year) is trended at ``trend``
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
                                           policy_year=years, trend=trend, to_year=to_year)
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


def run_tune(product_path, data_dir, out_dir, **options) -> Path:
    """``puhui tune``: tune the product on the costs in ``data_dir``; report to ``out_dir``.

    The manifest records every option of :func:`tune`, defaults included (``options``: the
    grid, ``alpha``, ``claim_cv``, ``max_price`` …), and the constraints applied."""
    import inspect

    inputs = (product_path, data_dir)
    check_output_folder(out_dir, inputs=inputs)
    product = Product.from_toml(product_path)
    book = read_book(data_dir, product=product)
    if book.costs is None:
        raise ParameterError(f"{data_dir}: tuning needs member-level costs (costs.parquet/csv)")
    ev, choice, constraints = tune(product, book.policies, book.costs, **options)
    bound = inspect.signature(tune).bind(product, book.policies, book.costs, **options)
    bound.apply_defaults()
    used = {k: v for k, v in bound.arguments.items()
            if k not in ("product", "policies", "costs")}
    manifest = Manifest(command=f"puhui tune {Path(product_path).name}",
                        assumptions={**ev.assumptions, "options": used,
                                     "constraints": [list(c) for c in constraints.limits()]})
    manifest.add_input("product", product_path, relative_to=Path(product_path).parent)
    for name, path in book.paths.items():
        manifest.add_input(name, path, relative_to=Path(data_dir))
    rep = Report(f"方案调优 — {product.name}", manifest=manifest)
    add_tuning(rep, ev, choice, constraints, product)
    return rep.write(os.fspath(out_dir), inputs=inputs)


def run_price(product_path, data_dir, out_dir, *, pricing_year: int | None = None,
              trend: float | None = None, level: float = 0.95, participation: float = 0.15,
              anti_selection: bool = True) -> Path:
    """``puhui price``: price the product for the next year from the member costs in
    ``data_dir`` (:func:`puhui.pricing.price_from_experience`) and, for a flat-priced product,
    the participation equilibrium under anti-selection (:func:`puhui.pricing.report.
    scenario_for`); report to ``out_dir``."""
    from ..pricing import price_from_experience
    from ..pricing.report import add_pricing, scenario_for

    inputs = (product_path, data_dir)
    check_output_folder(out_dir, inputs=inputs)
    options = {"pricing_year": pricing_year, "trend": trend, "level": level,
               "participation": participation, "anti_selection": anti_selection}
    product = Product.from_toml(product_path)
    book = read_book(data_dir, for_review=False, product=product)
    if pricing_year is not None:
        check_pricing_year(book.policies, pricing_year, option="--pricing-year")
    res = price_from_experience(product, book.policies, book.costs, pricing_year=pricing_year,
                                trend=trend, level=level)
    calibration = None
    if anti_selection and product.flat_price is not None:
        calibration = scenario_for(product, res, participation=participation)
    assumptions = {**res.assumptions,
                   "participation_at_current_price": participation if calibration else None,
                   "options": options}
    manifest = Manifest(command=f"puhui price {Path(product_path).name}", assumptions=assumptions)
    manifest.add_input("product", product_path, relative_to=Path(product_path).parent)
    for name, path in book.paths.items():
        manifest.add_input(name, path, relative_to=Path(data_dir))
    rep = Report(f"定价 — {product.name}", manifest=manifest)
    add_pricing(rep, res, product, calibration=calibration)
    return rep.write(os.fspath(out_dir), inputs=inputs)
