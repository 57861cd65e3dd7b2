"""Command-line runners for 惠民保: ``puhui review``, ``puhui tune`` and ``puhui price`` — read the
product file and the book, call the family's domain functions (:mod:`puhui.huiminbao`), write the
report and its manifest."""

from __future__ import annotations

import os
from pathlib import Path

from ..errors import ParameterError
from ..huiminbao.folder import check_pricing_year, read_book
from ..huiminbao.product import Product
from ..huiminbao.reporting import add_review
from ..huiminbao.review import review
from ..huiminbao.tuning import add_tuning, tune
from ..report import Report
from ..repro import Manifest, check_output_folder


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
    ``data_dir`` (:func:`puhui.huiminbao.price_from_experience`) and, for a flat-priced product,
    the participation equilibrium under anti-selection (:func:`puhui.huiminbao.pricing_report.
    scenario_for`); report to ``out_dir``."""
    from ..huiminbao.pricing import price_from_experience
    from ..huiminbao.pricing_report import add_pricing, scenario_for

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
