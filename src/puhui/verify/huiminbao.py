"""Recompute a 惠民保 filing with :mod:`puhui.huiminbao`.

The filing's 产品信息, 假设 and 费率表 (benefit terms by line × segment) are turned into a
:class:`puhui.huiminbao.Product` (the same strict checks as a product file); then, on the
experience data of ``--data`` (a folder as for ``puhui review`` / ``puhui price``):

* ``pure_premium``, ``gross_premium``, ``expected_cr`` — :func:`puhui.huiminbao.
  price_from_experience` (pricing year from 假设 ``pricing_year``, else the year after the
  latest policy year);
* ``indicated_change`` = gross premium / current flat price (产品信息 ``flat_price``) − 1;
* ``loss_ratio.Y``, ``expense_ratio.Y``, ``combined_ratio.Y`` (the review's ``ratios``),
  ``ibnr.Y`` (``ibnr_amount`` of the filed IBNR method) and ``ae.Y`` (amount A/E of the
  policy-year dimension) — :func:`puhui.huiminbao.review` at 产品信息 ``valuation_date`` (else
  the data folder's).

The rule checklist is the 2025 notice (cn.health.city_medical_2025) in force on the period's
last day: the product name contains 定制, and the duties and count the filing states.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from ..errors import DataError, ParameterError, Problem
from ..huiminbao import Product, price_from_experience, review
from ..huiminbao.folder import read_book
from ..huiminbao.product import SEGMENT_HINTS
from ..rules import check
from .compare import result_rows
from .filing import Filing

#: One validated book and the reviews made on it, kept for the process (key, book, reviews).
_CACHE: dict = {}

#: The segments of the 惠民保 filing format: the product file's two named segments.
SEGMENTS = SEGMENT_HINTS
RULE_FIELDS = ("applicable_area_listed", "product_filed", "actuarial_review_done",
               "premium_matches_cover", "in_year_claim_condition_changes")


def product_of(filing: Filing) -> Product:
    """The :class:`~puhui.huiminbao.Product` a filing describes (strictly checked)."""
    v = filing.value
    r = filing.rates
    lines = []
    for line in pd.unique(r["line"]):
        sub = r[r["line"] == line]
        entry = {"name": str(line)}
        zh = sub["line_zh"].dropna() if "line_zh" in sub else pd.Series([], dtype=object)
        if len(zh):
            entry["zh"] = str(zh.iat[0])
        caps = sub["cap"].unique()
        if len(caps) != 1:
            raise DataError([Problem(f"{filing.source.name}, {filing.rates_sheet}", "cap", None,
                                     "inconsistent", f"line {line}: one 封顶线 per line, got "
                                     f"{sorted(caps)}")])
        entry["cap"] = float(caps[0])
        for _, row in sub.iterrows():
            if row["segment"] not in SEGMENTS:
                raise DataError([Problem(f"{filing.source.name}, {filing.rates_sheet}",
                                         "segment", None, "unknown_value",
                                         f"segment must be one of {SEGMENTS}, got "
                                         f"{row['segment']!r}")])
            entry[row["segment"]] = {"deductible": float(row["deductible"]),
                                     "payout_ratio": float(row["payout_ratio"])}
        lines.append(entry)
    doc = {"product": {"code": v("code"), "name": v("name"),
                       "target_combined_ratio": v("target_combined_ratio")},
           "price": {"flat": v("flat_price")},
           "expenses": {k: v(k) for k in ("commission", "admin", "taxes", "protection_fund",
                                          "per_member")},
           "assumptions": {"medical_trend": v("medical_trend")},
           "lines": lines}
    return Product.from_dict(doc, source=str(filing.source.name))


def _signature(folder: Path) -> tuple:
    return tuple(sorted((p.name, p.stat().st_size, p.stat().st_mtime_ns)
                        for p in folder.iterdir() if p.is_file()))


def book_of(data_dir, product: Product):
    """The validated book of ``data_dir`` (kept for the process while the folder's files are
    unchanged: a regulator verifying several filings on one book reads it once)."""
    folder = Path(data_dir).resolve()
    key = (str(folder), _signature(folder), product.code)
    if _CACHE.get("key") != key:
        _CACHE.clear()
        _CACHE.update(key=key, book=read_book(folder, product=product), reviews={})
    return _CACHE["book"]


def _review(product: Product, book, as_of: str, method: str):
    """The review of ``book``; kept with the cached book only (the cache holds that book
    alive, so the identity test cannot match another book at a reused address)."""
    if _CACHE.get("book") is not book:
        return review(product, book.policies, book.claims, book.basis, as_of=as_of,
                      ibnr_method=method)
    reviews = _CACHE["reviews"]
    key = (repr(product), as_of, method)
    if key not in reviews:
        reviews[key] = review(product, book.policies, book.claims, book.basis, as_of=as_of,
                              ibnr_method=method)
    return reviews[key]


def recompute(filing: Filing, data=None) -> tuple[list[dict], pd.DataFrame, list[str]]:
    """(comparison rows, rule checklist with sheet/cell, notes) of a 惠民保 filing."""
    product = product_of(filing)
    res = filing.results
    notes: list[tuple[str, str]] = []
    rows: list[dict] = []
    if len(res) and data is None:
        raise ParameterError(f"{filing.source.name}: the filed results ({', '.join(res['figure'][:5])}"
                             f"{' …' if len(res) > 5 else ''}) are recomputed from the experience:"
                             " give the data folder with --data DIR")
    base = res["figure"].str.split(".", n=1).str[0]
    pricing = {"pure_premium", "gross_premium", "expected_cr", "indicated_change"}
    values: dict[str, float] = {}
    if len(res) and data is not None:
        book = book_of(data, product)
        if base.isin(list(pricing)).any():
            if book.costs is None:
                raise ParameterError(f"{data}: pricing figures need member costs "
                                     "(costs.parquet/csv)")
            year = filing.value("pricing_year")
            pr = price_from_experience(product, book.policies, book.costs, pricing_year=year)
            values.update(pure_premium=pr.pure_premium, gross_premium=float(pr.gross_premium),
                          expected_cr=pr.expected_cr,
                          indicated_change=float(pr.gross_premium) / product.flat_price - 1)
            years = ", ".join(map(str, pr.assumptions["years"]))
            notes.append((f"Priced for {pr.assumptions['pricing_year']} from the member costs of "
                          f"{years} (trend {pr.assumptions['trend']:.2%}).",
                          f"按 {years} 年的人均医疗费用定价 {pr.assumptions['pricing_year']} 年"
                          f"（医疗费用趋势 {pr.assumptions['trend']:.2%}）。"))
        if (~base.isin(list(pricing))).any():
            as_of = filing.value("valuation_date") or book.valuation_date
            if as_of is None:
                raise ParameterError("review figures need the valuation date: give "
                                     "valuation_date in 产品信息")
            method = filing.value("ibnr_method") or "bornhuetter_ferguson"
            rv = _review(product, book, str(as_of), method)
            ratios = rv.ratios.set_index("policy_year")
            ibnr = rv.ibnr.set_index("policy_year")
            ae = rv.ae["policy_year"].table.set_index("policy_year")
            for y in ratios.index:
                values[f"loss_ratio.{y}"] = float(ratios.at[y, "earned_loss_ratio"])
                values[f"expense_ratio.{y}"] = float(ratios.at[y, "expense_ratio"])
                values[f"combined_ratio.{y}"] = float(ratios.at[y, "combined_ratio"])
                values[f"ibnr.{y}"] = float(ibnr.at[y, "ibnr_amount"])
                if y in ae.index:
                    values[f"ae.{y}"] = float(ae.at[y, "amount_ae"])
            years = ", ".join(map(str, ratios.index))
            notes.append((f"Review at {as_of} with the {method} IBNR; policy years {years}.",
                          f"评估日 {as_of} 回溯，IBNR 方法 {method}；保单年度 {years}。"))
    rows += result_rows(filing, values, missing_hint="a policy year not in the book?")

    given = {"product_name": filing.value("name")}
    cells = {"product_name": filing.where("name")}
    for k in RULE_FIELDS:
        if k in filing.info:
            given[k] = filing.value(k)
            cells[k] = filing.where(k)
    rules = check(given, scope={"sector": "health", "line": "huiminbao"}, as_of=filing.as_of)
    rules["sheet"] = [cells[q][0] for q in rules["quantity"]]
    rules["cell"] = [cells[q][1] for q in rules["quantity"]]
    unstated = [k for k in RULE_FIELDS if k not in filing.info]
    if unstated:
        notes.append(("Not stated in the filing, so not checked: " + ", ".join(unstated) + ".",
                      "报备材料未声明、因此未检查：" + "、".join(unstated) + "。"))
    return rows, rules, notes
