"""Command-line runners of the small-business family (小微企业 / 个体工商户): ``puhui price``,
``puhui review`` and ``puhui tune`` on a smallbiz product file — read the product file and the
data folder strictly, call the family's report sections (:mod:`puhui.smallbiz.reporting`),
write the report folder and its manifest.

Data folder (``--data DIR``; each table ``.csv``, ``.parquet`` or ``.xlsx``; headers in
English, Chinese or both):

=========== ==================== ==========================================================
kind        table                columns
=========== ==================== ==========================================================
property    ``firms``            firm, year, occupancy, location_grade, sum_insured,
                                 [exposure] (risk-years, default 1), [premium] (earned, 元;
                                 review)
property    ``claims`` (review)  firm, year, claim_count, claims_paid — one row per firm ×
                                 year with claims
employer    ``groups``           group, year, occupation_class (1–6), headcount or payroll,
                                 [claim_count, claims_paid] (review), [premium]
liability   ``policies``         policy, units (exposure units: 100 m² or 10,000 元),
                                 [year] (policy year), [premium] (earned, 元; review)
liability   ``liability_claims`` claim_id, policy, accident_date, [report_date], paid,
            (review)             case_reserve — one row per claim reported by the valuation
                                 date (the end of the latest policy year)
=========== ==================== ==========================================================

``price`` and ``tune`` use the latest year of ``firms`` / ``groups`` / ``policies``; ``review``
every year. ``tune``: property 免赔额 × 赔付比例; liability 每次事故赔偿限额 × 累计赔偿限额 ×
免赔额; employer 每人伤亡责任限额 × 医疗免赔额 × 赔付比例 (:func:`puhui.smallbiz.reporting.
add_tuning`). ``review`` of a liability product: A/E of the limited cost by accident year with
IBNR from the report dates (not estimated without them), credibility and 综合成本率.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd

from ..data.schema import DATE, FLOAT, INT, STR, Column, Schema
from ..errors import DataError, ParameterError, Problem
from ..report import csv_bytes
from ..repro import check_output_folder, write_bytes
from ..smallbiz import reporting
from ..smallbiz.product import Product
from .tables import read_folder_table, write_family_report

__all__ = ["SCHEMAS", "read_data", "run_price", "run_review", "run_tune", "write_example"]

_MONEY = dict(minimum=0.0, maximum=1e12)
FIRMS = Schema("firms", "企业标的", "one row per firm × policy year", (
    Column("firm", STR, "企业", "firm id"),
    Column("year", INT, "保单年度", "policy year", minimum=1900, maximum=2200),
    Column("occupancy", STR, "占用性质", "occupancy class of the product file"),
    Column("location_grade", STR, "地段风险等级", "location risk grade of the product file"),
    Column("sum_insured", FLOAT, "保险金额", "sum insured (元)", minimum=0.01, maximum=1e12),
    Column("exposure", FLOAT, "风险单位年", "risk-years earned", required=False, minimum=0.0,
           maximum=1e6),
    Column("premium", FLOAT, "已赚保费", "earned premium (元)", required=False, **_MONEY),
))
CLAIMS = Schema("claims", "赔案汇总", "one row per firm × year with claims", (
    Column("firm", STR, "企业", "firm id"),
    Column("year", INT, "保单年度", "policy year", minimum=1900, maximum=2200),
    Column("claim_count", INT, "赔案件数", "claims paid", minimum=0, maximum=1e6),
    Column("claims_paid", FLOAT, "已决赔款", "claims paid (元)", **_MONEY),
))
GROUPS = Schema("groups", "雇主团体", "one row per employer group × year", (
    Column("group", STR, "团体", "group id"),
    Column("year", INT, "保单年度", "policy year", minimum=1900, maximum=2200),
    Column("occupation_class", INT, "职业类别", "职业类别 1–6", minimum=1, maximum=6),
    Column("headcount", FLOAT, "人数", "heads insured", required=False, minimum=0.01,
           maximum=1e7),
    Column("payroll", FLOAT, "工资总额", "payroll (元)", required=False, minimum=0.01,
           maximum=1e12),
    Column("claim_count", INT, "赔案件数", "claims", required=False, minimum=0, maximum=1e6),
    Column("claims_paid", FLOAT, "已决赔款", "claims paid (元)", required=False, **_MONEY),
    Column("premium", FLOAT, "保费", "premium (元)", required=False, **_MONEY),
))
POLICIES = Schema("policies", "保单", "one row per liability policy (× policy year)", (
    Column("policy", STR, "保单", "policy id"),
    Column("year", INT, "保单年度", "policy year", required=False, minimum=1900, maximum=2200),
    Column("units", FLOAT, "风险单位数", "exposure units (100 m² or 10,000 元)", minimum=0.001,
           maximum=1e9),
    Column("premium", FLOAT, "已赚保费", "earned premium (元)", required=False, **_MONEY),
))
LIABILITY_CLAIMS = Schema("liability_claims", "责任险赔案", "one row per reported claim", (
    Column("claim_id", STR, "赔案号", "claim id"),
    Column("policy", STR, "保单", "policy id"),
    Column("accident_date", DATE, "出险日期", "accident date"),
    Column("report_date", DATE, "报案日期", "report date", required=False),
    Column("paid", FLOAT, "已决赔款", "paid (元)", **_MONEY),
    Column("case_reserve", FLOAT, "未决赔款", "case reserve (元)", **_MONEY),
))
SCHEMAS = {"firms": FIRMS, "claims": CLAIMS, "groups": GROUPS, "policies": POLICIES,
           "liability_claims": LIABILITY_CLAIMS}


def _latest(frame: pd.DataFrame) -> pd.DataFrame:
    return frame[frame["year"] == frame["year"].max()].reset_index(drop=True)


def _need(frame: pd.DataFrame, columns, table: str, why: str) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise DataError([Problem(table, c, None, "missing_column",
                                 f"required column is missing ({why})") for c in missing])


def read_data(product: Product, data_dir, command: str) -> tuple[dict, dict]:
    """The data folder's tables for ``command`` (``price``, ``review``, ``tune``) of
    ``product``: (tables by name, their paths)."""
    if product.kind == "property":
        firms, path = read_folder_table(data_dir, "firms", FIRMS)
        paths = {"firms": path}
        if command != "review":
            return {"risks": _latest(firms)}, paths
        _need(firms, ("premium",), path.name, "the review needs the earned premium")
        claims, cpath = read_folder_table(data_dir, "claims", CLAIMS)
        paths["claims"] = cpath
        key = firms[["firm", "year"]].astype(str).agg("/".join, axis=1)
        ckey = claims[["firm", "year"]].astype(str).agg("/".join, axis=1)
        unknown = ~ckey.isin(key)
        if unknown.any():
            raise DataError([Problem(cpath.name, "firm", int(i) + 1, "unknown_firm",
                                     f"no row of {path.name} for this firm and year",
                                     ckey.iloc[i]) for i in unknown.to_numpy().nonzero()[0][:20]])
        if ckey.duplicated().any():
            i = int(ckey.duplicated().to_numpy().nonzero()[0][0])
            raise DataError([Problem(cpath.name, "firm", i + 1, "duplicate",
                                     "one row per firm × year", ckey.iloc[i])])
        book = firms.merge(claims, on=["firm", "year"], how="left")
        book[["claim_count", "claims_paid"]] = book[["claim_count", "claims_paid"]].fillna(0.0)
        if "exposure" not in book.columns:
            book["exposure"] = 1.0
        return {"book": book}, paths
    if product.kind == "employer":
        groups, path = read_folder_table(data_dir, "groups", GROUPS)
        base = "headcount" if product.terms.exposure_base == "headcount" else "payroll"
        _need(groups, (base,), path.name, f"the product's exposure base is {base}")
        if command == "review":
            _need(groups, ("claim_count", "claims_paid"), path.name, "the review needs claims")
            return {"groups": groups}, {"groups": path}
        return {"groups": _latest(groups)}, {"groups": path}
    policies, path = read_folder_table(data_dir, "policies", POLICIES)
    if command != "review":
        latest = _latest(policies) if "year" in policies.columns else policies
        return {"policies_table": latest}, {"policies": path}
    _need(policies, ("year", "premium"), path.name,
          "the review needs the policy year and the earned premium")
    claims, cpath = read_folder_table(data_dir, "liability_claims", LIABILITY_CLAIMS)
    dup = claims["claim_id"].duplicated()
    if dup.any():
        i = int(dup.to_numpy().nonzero()[0][0])
        raise DataError([Problem(cpath.name, "claim_id", i + 1, "duplicate",
                                 "one row per claim", claims["claim_id"].iloc[i])])
    return ({"policies_table": policies, "claims": claims},
            {"policies": path, "liability_claims": cpath})


def _as_of(frame: pd.DataFrame | None, fallback: str = "2025-12-31") -> str:
    """The rule check's date: the end of the data's latest year (deterministic outputs)."""
    if frame is None or "year" not in frame.columns:
        return fallback
    return f"{int(frame['year'].max())}-12-31"


def _run(command: str, title: str, product_path, data_dir, out_dir, options: dict,
         section, title_zh: str | None = None) -> Path:
    inputs = (product_path, data_dir)
    check_output_folder(out_dir, inputs=inputs)
    product = Product.from_toml(product_path)
    data, paths = read_data(product, data_dir, command)
    frame = next(iter(data.values()))
    as_of = _as_of(frame)
    return write_family_report(command, title, {"family": "smallbiz", "kind": product.kind},
                               product, product_path, data_dir, out_dir, paths, inputs, options,
                               section, data, as_of, title_zh=title_zh)


def run_price(product_path, data_dir, out_dir, *, policy_books=()) -> Path:
    """``puhui price`` of a smallbiz product (property, liability or employer)."""
    return _run("price", "Pricing (定价)", product_path, data_dir, out_dir,
                {"policy_books": list(map(str, policy_books))},
                lambda rep, p, data, **kw: reporting.add_price(rep, p, data, **kw),
                title_zh="定价")


def run_review(product_path, data_dir, out_dir, *, policy_books=()) -> Path:
    """``puhui review`` of a smallbiz product (property, liability or employer)."""
    return _run("review", "Retrospective review (回溯分析)", product_path, data_dir, out_dir,
                {"policy_books": list(map(str, policy_books))},
                lambda rep, p, data, **kw: reporting.add_review(rep, p, data, **kw),
                title_zh="回溯分析")


def run_tune(product_path, data_dir, out_dir, *, deductibles=None, payout_ratios=None,
             max_price=None, max_prob_loss=0.10, limits=None, aggregate_multiples=None,
             policy_books=()) -> Path:
    """``puhui tune`` of a smallbiz product: property 免赔额 × 赔付比例; liability 每次事故赔偿
    限额 (``limits``) × 累计赔偿限额 (``aggregate_multiples``) × 免赔额; employer 每人伤亡责任
    限额 (``limits``) × 医疗免赔额 × 赔付比例 (:func:`puhui.smallbiz.reporting.add_tuning`).
    A grid term the product's kind does not have is an error (never silently ignored)."""
    kind = Product.from_toml(product_path).kind
    if kind == "liability" and payout_ratios is not None:
        raise ParameterError("puhui tune: --payout-ratio does not apply to a smallbiz liability "
                             "product (its terms are limits and a deductible)")
    options = {"deductibles": deductibles, "payout_ratios": payout_ratios,
               "limits": limits, "aggregate_multiples": aggregate_multiples,
               "max_price": max_price, "max_prob_loss": max_prob_loss,
               "policy_books": list(map(str, policy_books))}
    key = {"property": "risks", "liability": "policies_table", "employer": "groups"}[kind]
    return _run("tune", "Tuning (方案调优)", product_path, data_dir, out_dir, options,
                lambda rep, p, data, **kw: reporting.add_tuning(
                    rep, p, data[key], deductibles=deductibles, payout_ratios=payout_ratios,
                    max_price=max_price, max_prob_loss=max_prob_loss, limits=limits,
                    aggregate_multiples=aggregate_multiples, **kw),
                title_zh="方案调优")


#: Sizes of the example liability policies (exposure units per policy; every size is in
#: every year of the seeded book, so the price report's rate card has these rows).
EXAMPLE_UNITS = (1, 2, 5, 10, 20, 50)


def write_example(folder: Path, *, size: int | None = None, seed: int | None = None) -> list[Path]:
    """Write the example data folder of the family into ``folder`` (a staged, empty folder):
    ``firms.csv`` + ``claims.csv`` (the seeded property book,
    :func:`puhui.datasets.smallbiz.property_book`), ``groups.csv`` (the seeded staff groups,
    :func:`puhui.datasets.smallbiz.employer_groups`), ``policies.csv`` + ``liability_claims.csv``
    (the seeded 公众责任 book, :func:`puhui.datasets.smallbiz.liability_book`: every size of
    :data:`EXAMPLE_UNITS` each year) and the three example product files (``property.toml``,
    ``employer.toml``, ``liability.toml``). ``size``: firms of the property book (groups of
    the staff book ``size // 10``, at least 10; liability policies ``size // 4``, at least
    20)."""
    from ..datasets.smallbiz import SEED, employer_groups, liability_book, property_book
    from ..smallbiz.product import KINDS, example_product_path

    seed = SEED if seed is None else int(seed)
    firms = 1500 if size is None else int(size)
    if firms < 1:
        raise ParameterError(f"--size must be ≥ 1, got {firms}")
    book = property_book(seed, firms=firms)
    groups = employer_groups(seed, groups=120 if size is None else max(10, firms // 10))
    pl_book, pl_claims = liability_book(seed, policies=400 if size is None
                                        else max(20, firms // 4))
    claims = book.loc[book["claim_count"] > 0, ["firm", "year", "claim_count", "claims_paid"]]
    tables = {
        "firms.csv": book[["firm", "year", "occupancy", "location_grade", "sum_insured",
                           "exposure", "premium"]],
        "claims.csv": claims.astype({"claim_count": "int64"}),
        "groups.csv": groups.drop(columns="true_factor"),
        "policies.csv": pl_book,
        "liability_claims.csv": pl_claims.assign(
            accident_date=pl_claims["accident_date"].dt.strftime("%Y-%m-%d"),
            report_date=pl_claims["report_date"].dt.strftime("%Y-%m-%d")).drop(columns="year"),
    }
    written = [write_bytes(folder / name, csv_bytes(t)) for name, t in tables.items()]
    for kind in KINDS:
        target = folder / f"{kind}.toml"
        shutil.copyfile(example_product_path(kind), target)
        written.append(target)
    return written
