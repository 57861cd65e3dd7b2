"""Command-line workflows for 惠民保: ``puhui review`` (and the review part of ``puhui demo``)."""

from __future__ import annotations

import os
from pathlib import Path

from ..errors import ParameterError
from ..products import Product
from ..report import Report
from ..repro import Manifest
from .folder import read_book
from .reporting import add_review
from .review import review


def run_review(product_path, data_dir, out_dir, *, as_of=None,
               ibnr_method: str = "bornhuetter_ferguson") -> Path:
    """Review the book in ``data_dir`` against ``product_path``; write the report to ``out_dir``."""
    product = Product.from_toml(product_path)
    book = read_book(data_dir)
    as_of = as_of or book.valuation_date
    if as_of is None:
        raise ParameterError("give the valuation date with --as-of YYYY-MM-DD")
    res = review(product, book.policies, book.claims, book.basis, as_of=as_of,
                 ibnr_method=ibnr_method)
    manifest = Manifest(command=f"puhui review {Path(product_path).name}",
                        assumptions={"valuation_date": str(as_of), "ibnr_method": ibnr_method})
    manifest.add_input("product", product_path, relative_to=Path(product_path).parent)
    for name, path in book.paths.items():
        manifest.add_input(name, path, relative_to=Path(data_dir))
    rep = Report(f"精算回溯 — {product.name}", manifest=manifest)
    add_review(rep, res)
    return rep.write(os.fspath(out_dir))
