"""Reading a 惠民保 data folder: member-years, claims, costs, payments and the pricing basis.

A folder holds one file per table, named by its kind, in any supported format::

    policies.parquet | policies.csv | policies.xlsx      (always required)
    costs.*                                              (required by price and tune)
    claims.*                                             (required by review)
    basis.*                                              (the pricing basis, required by
                                                          review; or planted.json for the
                                                          bundled synthetic data)
    payments.*                                           (optional, review)
    expenses.*                                           (optional, review: the actual
                                                          expenses by policy year; without
                                                          it the review uses the product
                                                          file's assumed expenses and says so)

``puhui price`` and ``puhui tune`` read the policies and the costs alone
(``read_book(folder, for_review=False)``): a folder without claims or a basis prices and tunes;
``puhui review`` needs the claims and the basis, and a missing one is an error naming the file
it looked for. Headers may be English or Chinese (``docs/data_model.md``); ``puhui template
book DIR`` writes a blank folder (``docs/own_book.md``).

Every table is validated (with the cross-table rules) before use. Given the product, the book
must be that product's: every member-year's ``product`` code equals the product file's ``code``
(:func:`check_product`); a book of another product, or of two products, is an error.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from ..data import load
from ..errors import ParameterError
from .basis import basis_from_planted, read_basis

SUFFIXES = (".parquet", ".csv", ".xlsx", ".csv.gz")
#: ``puhui price --pricing-year`` may be at most this many years after the book's latest year.
MAX_YEARS_AHEAD = 5


#: Why a command needs a table, for the error when its file is missing.
NEEDED_BY = {
    "policies": "every command reads the member-years (保单)",
    "costs": "price and tune need the members' annual covered costs (医疗费用)",
    "claims": "the review needs the claims (赔案)",
    "basis": "the review compares experience with the pricing basis (定价基础)",
}


def _find(folder: Path, stem: str, required: bool) -> Path | None:
    hits = [folder / f"{stem}{s}" for s in SUFFIXES if (folder / f"{stem}{s}").exists()]
    if len(hits) > 1:
        raise ParameterError(f"{folder}: several files for '{stem}': {[h.name for h in hits]}")
    if not hits and required:
        why = f": {NEEDED_BY[stem]}" if stem in NEEDED_BY else ""
        raise ParameterError(f"{folder}: no {stem} file ({', '.join(stem + s for s in SUFFIXES)})"
                             f"{why}; `puhui template book DIR` writes a blank one with its "
                             "columns explained (docs/own_book.md)")
    return hits[0] if hits else None


def _not_empty(table: pd.DataFrame, path: Path) -> pd.DataFrame:
    if not len(table):
        raise ParameterError(f"{path}: the table has a header but no rows; fill in one row "
                             "per member-year (docs/own_book.md)")
    return table


@dataclass
class BookData:
    """A validated 惠民保 book read from a folder, with the paths it came from."""

    policies: pd.DataFrame
    claims: pd.DataFrame | None
    basis: pd.DataFrame | None
    costs: pd.DataFrame | None = None
    payments: pd.DataFrame | None = None
    valuation_date: str | None = None
    paths: dict[str, Path] = field(default_factory=dict)
    expenses: pd.DataFrame | None = None


def policy_years(policies: pd.DataFrame) -> np.ndarray:
    """The policy years (保单年度) of a book, ascending: ``policy_year``, else the start year."""
    year = (policies["policy_year"] if "policy_year" in policies.columns
            else policies["start_date"].dt.year)
    return np.unique(np.asarray(year, dtype="int64"))


def _span(years: np.ndarray) -> str:
    listed = "" if len(years) == years[-1] - years[0] + 1 else f" ({', '.join(map(str, years))})"
    return f"{years[0]}–{years[-1]}{listed}"


def check_product(policies: pd.DataFrame, product, *, table: str = "policies") -> None:
    """The book is ``product``'s: one product code in the policies' ``product`` column, equal to
    the product file's ``code`` — else a :class:`ParameterError` naming the codes.

    >>> import pandas as pd
    >>> from puhui.huiminbao import Product, example_product_path
    >>> check_product(pd.DataFrame({"product": ["HMB-XC", "HMB-YC"]}),
    ...               Product.from_toml(example_product_path()))
    Traceback (most recent call last):
    ...
    puhui.errors.ParameterError: policies: the book holds 2 products (HMB-XC, HMB-YC); ...
    """
    if "product" not in policies.columns:
        raise ParameterError(f"{table}: no 'product' column to check against the product file's "
                             f"code {product.code!r}")
    codes = sorted(str(c) for c in pd.unique(policies["product"]))
    if len(codes) > 1:
        shown = ", ".join(codes[:10]) + (", …" if len(codes) > 10 else "")
        raise ParameterError(f"{table}: the book holds {len(codes)} products ({shown}); review, "
                             "tune and price one product at a time (split the policies by "
                             "their 'product' column)")
    if codes and codes[0] != product.code:
        raise ParameterError(f"{table}: the policies are of product {codes[0]!r} but the product "
                             f"file is for {product.code!r}; use that product's file (or data)")


def check_years(policies: pd.DataFrame, years, *, option: str = "years") -> list[int]:
    """``years`` as ints if every one is a policy year of the book; else an error naming the
    book's span."""
    have = policy_years(policies)
    years = [int(y) for y in np.atleast_1d(years)]
    outside = sorted(set(years) - set(have.tolist()))
    if not years or outside:
        raise ParameterError(f"{option} {outside or years}: the book's policy years are "
                             f"{_span(have)}; choose among them")
    return years


def check_pricing_year(policies: pd.DataFrame, year, *, option: str = "pricing_year") -> int:
    """``year`` if it follows the book's latest policy year by 1 to :data:`MAX_YEARS_AHEAD`
    years; else an error naming the book's span."""
    have = policy_years(policies)
    latest = int(have[-1])
    if not latest < int(year) <= latest + MAX_YEARS_AHEAD:
        raise ParameterError(f"{option} {year}: the book's policy years are {_span(have)}; price "
                             f"a year after the latest, {latest + 1}–{latest + MAX_YEARS_AHEAD}")
    return int(year)


def read_book(folder: str | Path, *, for_review: bool = True, product=None) -> BookData:
    """Read and validate every table of a 惠民保 data folder.

    ``for_review=True`` (``puhui review``): policies, claims and the basis required, costs and
    payments read when present. ``for_review=False`` (``puhui price`` and ``puhui tune``, which
    work from member costs): only policies and costs are read — costs required; claims,
    payments and the basis are neither needed nor read (and stay out of the manifest).
    ``product``: check that the book is this product's (:func:`check_product`) before
    reading anything but the policies."""
    folder = Path(folder)
    if not folder.is_dir():
        raise ParameterError(f"no such data folder: {folder}")
    paths = {"policies": _find(folder, "policies", True)}
    policies = _not_empty(load(paths["policies"], "policies"), paths["policies"])
    if product is not None:
        check_product(policies, product, table=paths["policies"].name)
    claims = costs = payments = basis = valuation = None
    if (p := _find(folder, "costs", not for_review)) is not None:
        paths["costs"] = p
        costs = load(p, "costs", policies=policies)
    if not for_review:
        return BookData(policies, None, None, costs, None, None, paths)
    paths["claims"] = _find(folder, "claims", True)
    claims = load(paths["claims"], "claims", policies=policies)
    if (p := _find(folder, "payments", False)) is not None:
        paths["payments"] = p
        payments = load(p, "payments", claims=claims)
    if (p := _find(folder, "basis", False)) is not None:
        paths["basis"] = p
        basis = read_basis(p)
    elif (folder / "planted.json").exists():
        paths["basis"] = folder / "planted.json"
        planted = json.loads(paths["basis"].read_text(encoding="utf-8"))
        basis = basis_from_planted(planted)
        valuation = planted.get("valuation_date")
    else:
        raise ParameterError(f"{folder}: no pricing basis (basis.csv, basis.parquet, basis.xlsx) "
                             f"for the review: {NEEDED_BY['basis']}, one row per policy year × "
                             "segment × age band × benefit line (the basis table of "
                             "docs/data_model.md; `puhui template book DIR` writes a blank one)")
    expenses = None
    if (p := _find(folder, "expenses", False)) is not None:
        paths["expenses"] = p
        expenses = load(p, "expenses")
    return BookData(policies, claims, basis, costs, payments, valuation, paths, expenses)
