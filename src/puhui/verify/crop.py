"""Recompute a crop rate filing (种植险费率报备) with :mod:`puhui.agri`.

For every 费率表 row (county × crop), by 银保监规〔2023〕4号 part 二 (费率构成):

* 费率 = 基准纯风险损失率 / (1 − 附加费率) × 费率调整系数 — the formula of
  :func:`puhui.agri.filed_rate`; the base rate is :func:`puhui.agri.base_rate`, called without
  its cap check so that a loading above the cap is listed by the rule checklist rather than
  stopping the recomputation (on a filing within the rules the figures equal
  ``filed_rate(...).rate``, see tests/test_verify.py);
* the rule checklist (:func:`puhui.rules.check`, books in force on the period's last day):
  费率调整系数 band and 附加费率 cap (2023 rule, scope ``subsidised``); sum insured ≤ 80% of
  the planting income (产值) and 综合费用率 ≤ 20% for 完全成本 / 种植收入 cover of rice, wheat
  and maize (2024 notice);
* 综合费用率 (结果 ``expense_ratio``) = the sum of the expense items of 假设 (commission, admin,
  loss adjustment, other) — a filed ratio below the items is an under-allocation.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..agri import base_rate
from ..errors import DataError, Problem
from ..rules import check
from .filing import Filing

EXPENSE_ITEMS = ("commission", "admin", "loss_adjustment", "other_expenses")


def expense_ratio(filing: Filing) -> float:
    """综合费用率 = Σ expense items of 假设 (fractions of premium)."""
    return float(sum(filing.value(k, 0.0) for k in EXPENSE_ITEMS))


def recompute(filing: Filing, data=None) -> tuple[list[dict], pd.DataFrame, list[str]]:
    """(comparison rows, rule checklist with sheet/cell, notes) of a crop filing."""
    r = filing.rates
    cells = filing.rate_cells
    sheet = filing.rates_sheet
    problems = []
    for col in ("benchmark_rate", "loading"):
        bad = ~((r[col] >= 0) & (r[col] < 1))
        for i in np.flatnonzero(bad.to_numpy()):
            problems.append(Problem(f"{filing.source.name}, {sheet}", col, int(i) + 1,
                                    "out_of_range", f"{col} must be in [0, 1)", r[col].iat[i]))
    for col in ("factor", "sum_insured", "planting_income"):
        bad = ~(r[col] > 0)
        for i in np.flatnonzero(bad.to_numpy()):
            problems.append(Problem(f"{filing.source.name}, {sheet}", col, int(i) + 1,
                                    "out_of_range", f"{col} must be > 0", r[col].iat[i]))
    if problems:
        raise DataError(problems)
    bench = r["benchmark_rate"].to_numpy(float)
    load = r["loading"].to_numpy(float)
    factor = r["factor"].to_numpy(float)
    # the formula of filed_rate; the caps go to the checklist (every breach listed)
    rate = base_rate(bench, load, subsidised=False) * factor
    rows = []
    for i in range(len(r)):
        rows.append({"figure": f"rate.{r['county'].iat[i]}.{r['crop'].iat[i]}", "sheet": sheet,
                     "cell": cells["rate"].iat[i], "filed": r["rate"].iat[i],
                     "puhui": float(rate[i]), "kind": "rate"})
    e = expense_ratio(filing)
    res = filing.results
    for _, f in res.iterrows():
        if f["figure"] == "expense_ratio":
            rows.append({"figure": "expense_ratio", "sheet": f["sheet"], "cell": f["cell"],
                         "filed": f["value"], "puhui": e, "kind": "ratio",
                         "tolerance": f["tolerance"]})

    subsidised = bool(filing.value("subsidised"))
    product = str(filing.value("product"))
    designs = pd.DataFrame({"loading": load, "rate_factor": factor,
                            "sum_insured_share": r["sum_insured"].to_numpy(float)
                            / r["planting_income"].to_numpy(float),
                            "sector": "agriculture", "line": "crop", "subsidised": subsidised,
                            "product": product, "crop": r["crop"].astype(str).to_numpy()})
    table = check(designs, as_of=filing.as_of)
    where = {"loading": "loading", "rate_factor": "factor", "sum_insured_share": "sum_insured"}
    table["sheet"] = sheet
    table["cell"] = [cells[where[q]].iat[int(i)] for q, i in zip(table["quantity"], table["row"],
                                                                  strict=True)]
    table["row"] = [f"{r['county'].iat[int(i)]}/{r['crop'].iat[int(i)]}" for i in table["row"]]
    # 综合费用率: one design per crop of the filing
    e_sheet, e_cell = _expense_cell(filing)
    parts = [table]
    for crop in pd.unique(r["crop"].astype(str)):
        t = check({"expense_ratio": e}, scope={"sector": "agriculture", "line": "crop",
                                               "subsidised": subsidised, "product": product,
                                               "crop": crop}, as_of=filing.as_of)
        if len(t):
            parts.append(t.assign(row=crop, sheet=e_sheet, cell=e_cell))
    rules = pd.concat(parts, ignore_index=True)
    notes = [(f"费率 = 基准纯风险损失率 / (1 − 附加费率) × 费率调整系数 for {len(r)} county × crop "
              f"rows; 综合费用率 = Σ expense items of 假设 = {e:.4f}.",
              f"费率表 {len(r)} 行（县 × 作物）按 费率 = 基准纯风险损失率 / (1 − 附加费率) × "
              f"费率调整系数 重算；综合费用率 = 假设中各项费用之和 = {e:.4f}。")]
    return rows, rules, notes


def _expense_cell(filing: Filing) -> tuple[str, str]:
    """Where the 综合费用率 stands: the 结果 row if filed, else the first expense item."""
    res = filing.results
    hit = res[res["figure"] == "expense_ratio"]
    if len(hit):
        return hit["sheet"].iat[0], hit["cell"].iat[0]
    for k in EXPENSE_ITEMS:
        if k in filing.assumptions:
            return filing.where(k)
    return "", ""
