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
               ibnr_method: str = "bornhuetter_ferguson", expenses=None,
               bf_apriori: str = "updated", policy_books=()) -> Path:
    """Review the book in ``data_dir`` against ``product_path``; write the report to ``out_dir``
    (replaced whole, :meth:`puhui.report.Report.write`).

    ``expenses``: a file of the actual expenses (the ``expenses`` table); by default the data
    folder's ``expenses.*`` if there is one, else the product file's assumed expenses (the report
    says so). ``bf_apriori``: ``"updated"`` (the basis loss ratio updated by the review's A/E) or
    ``"filed"``. ``policy_books``: company policy rulebooks the indication is checked against.
    The member costs of the folder, when present, leverage the trend and give the designs of
    the benefit change."""
    from ..data import load

    inputs = (product_path, data_dir) + ((expenses,) if expenses is not None else ())
    check_output_folder(out_dir, inputs=inputs)  # refuse a bad --out before the work
    options = {"as_of": as_of, "ibnr_method": ibnr_method, "expenses": expenses,
               "bf_apriori": bf_apriori, "policy_books": list(map(str, policy_books))}
    product = Product.from_toml(product_path)
    book = read_book(data_dir, product=product)
    as_of = as_of or book.valuation_date
    if as_of is None:
        raise ParameterError("give the valuation date with --as-of YYYY-MM-DD")
    paths = dict(book.paths)
    actual = book.expenses
    if expenses is not None:
        actual = load(expenses, "expenses")
        paths["expenses"] = Path(expenses)
    res = review(product, book.policies, book.claims, book.basis, as_of=as_of,
                 ibnr_method=ibnr_method, expenses=actual, bf_apriori=bf_apriori,
                 costs=book.costs, policy_books=policy_books)
    manifest = Manifest(command=f"puhui review {Path(product_path).name}",
                        assumptions={"valuation_date": str(as_of), "ibnr_method": ibnr_method,
                                     "bf_apriori": bf_apriori,
                                     "expenses": res.expenses_basis, "options": options})
    manifest.add_input("product", product_path, relative_to=Path(product_path).parent)
    for name, path in paths.items():
        manifest.add_input(name, path, relative_to=Path(data_dir) if name != "expenses"
                           or expenses is None else Path(expenses).parent)
    for book in policy_books:  # a company policy file the indication was checked against
        if str(book).endswith(".toml"):
            manifest.add_input(f"policy:{Path(book).stem}", book,
                               relative_to=Path(book).parent)
    rep = Report(f"Actuarial review (精算回溯) — {product.name}", manifest=manifest,
                 title_zh=f"精算回溯 — {product.name}")
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
    book = read_book(data_dir, for_review=False, product=product)  # policies and costs alone
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
    rep = Report(f"Tuning (方案调优) — {product.name}", manifest=manifest,
                 title_zh=f"方案调优 — {product.name}")
    add_tuning(rep, ev, choice, constraints, product)
    return rep.write(os.fspath(out_dir), inputs=inputs)


def run_price(product_path, data_dir, out_dir, *, pricing_year: int | None = None,
              trend: float | None = None, level: float = 0.95, participation: float = 0.15,
              anti_selection: bool = True, example_take_up: bool = False) -> Path:
    """``puhui price``: price the product for the next year from the member costs in
    ``data_dir`` (:func:`puhui.huiminbao.price_from_experience`) and, for a flat-priced product,
    the participation equilibrium under anti-selection (:func:`puhui.huiminbao.pricing_report.
    scenario_for`); report to ``out_dir``.

    The book's warnings (a region other than the product file's, a book too small to be fully
    credible) head the report and are printed to stderr. The scenario's take-up shape is the
    bundled example's: for another product it is left out, and the report says why, unless
    ``example_take_up`` applies it as an illustration (also said in the report)."""
    import sys
    import warnings

    from ..huiminbao.pricing import BookWarning, price_from_experience
    from ..huiminbao.pricing_report import add_pricing, take_up_scenario

    inputs = (product_path, data_dir)
    check_output_folder(out_dir, inputs=inputs)
    options = {"pricing_year": pricing_year, "trend": trend, "level": level,
               "participation": participation, "anti_selection": anti_selection,
               "example_take_up": example_take_up}
    product = Product.from_toml(product_path)
    book = read_book(data_dir, for_review=False, product=product)
    if pricing_year is not None:
        check_pricing_year(book.policies, pricing_year, option="--pricing-year")
    with warnings.catch_warnings():  # the book's warnings go to the report and to stderr
        warnings.simplefilter("ignore", BookWarning)
        res = price_from_experience(product, book.policies, book.costs,
                                    pricing_year=pricing_year, trend=trend, level=level)
    calibration = note = None
    if anti_selection and product.flat_price is not None:
        calibration, note = take_up_scenario(product, res, participation=participation,
                                             example_take_up=example_take_up)
    assumptions = {**res.assumptions,
                   "participation_at_current_price": participation if calibration else None,
                   "take_up_shape": (None if calibration is None else "bundled example"),
                   "options": options}
    manifest = Manifest(command=f"puhui price {Path(product_path).name}", assumptions=assumptions)
    manifest.add_input("product", product_path, relative_to=Path(product_path).parent)
    for name, path in book.paths.items():
        manifest.add_input(name, path, relative_to=Path(data_dir))
    rep = Report(f"Pricing (定价) — {product.name}", manifest=manifest,
                 title_zh=f"定价 — {product.name}")
    add_pricing(rep, res, product, calibration=calibration, take_up_note=note)
    folder = rep.write(os.fspath(out_dir), inputs=inputs)
    for warning in res.assumptions.get("book_warnings") or ():
        print(f"puhui price: warning — {warning}", file=sys.stderr)
    return folder
