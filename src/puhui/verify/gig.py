"""Recompute a gig-worker cover filing (灵活就业人员/新就业形态人员专属灵活型保险) with
:mod:`puhui.gig`.

The filing's 产品信息 (premium basis and filed premium, sums insured, medical and liability
terms), 假设 (target 综合成本率, expenses, frequencies per million orders, lognormal costs, the
ten disability-grade probabilities) and the city and season factors of its 费率表 (city ×
season) make a :class:`puhui.gig.GigProduct` (its own strict checks). Then:

* every 费率表 row — ``pure_per_order`` and ``premium_per_order`` at the row's city and season —
  by :func:`puhui.gig.per_order` (``E = f Σ λ_l E[Y_l]``, ``P = (E + k·n)/(τ − v)``);
* on the data of ``--data`` (the folder of ``puhui datasets example gig``: ``activity`` and
  ``claims``, read with the schemas of ``puhui price|review``, :mod:`puhui.cli.gig`):
  ``indicated_per_order``, ``indicated_per_day``, ``indicated_per_hour`` (the whole log's mix,
  :func:`puhui.gig.unit_premiums`), ``filed_per_day`` (the filed premium per rider-day on the
  log), ``loss_ratio``, ``expense_ratio``, ``combined_ratio``,
  ``combined_ratio_large_at_expected``, ``prob_cr_above_100``, ``ae.P/C`` (amount A/E of a
  platform/city) and ``credible_ae.P/C`` (Bühlmann–Straub) — :func:`puhui.gig.review.review`,
  as ``puhui review`` computes them.

Rules: :func:`puhui.gig.reporting.rule_check` (:func:`puhui.rules.check`) on the filed pricing
basis — the target 综合成本率 and, with data, the filed premium per rider-day (the family's
daily budget). No regulation rulebook applies (see :data:`puhui.verify.smallbiz.NO_REGULATION`);
the rows are the EXAMPLE company policy book, and the report says so.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import ParameterError
from .filing import Filing
from .smallbiz import NO_REGULATION, _one_per, _result_rows

EXPENSE_KEYS = ("commission", "admin", "taxes", "protection_fund", "per_claim")


def product_of(filing: Filing):
    """The :class:`~puhui.gig.GigProduct` a filing describes."""
    from ..gig import GigProduct

    v = filing.value
    doc = {"family": "gig",
           "product": {"name": v("name"), "premium_basis": v("premium_basis"),
                       "premium": v("premium"),
                       "target_combined_ratio": v("target_combined_ratio")},
           "death": {"sum_insured": v("death_sum"), "per_million_orders": v("death_per_million")},
           "disability": {"sum_insured": v("disability_sum"),
                          "per_million_orders": v("disability_per_million"),
                          "grade_probabilities": [v(f"disability_grade_{k}")
                                                  for k in range(1, 11)]},
           "medical": {"per_million_orders": v("medical_per_million"),
                       "median": v("medical_median"), "sigma": v("medical_sigma"),
                       "deductible": v("medical_deductible"),
                       "payout_ratio": v("medical_ratio"), "cap": v("medical_cap")},
           "liability": {"per_million_orders": v("liability_per_million"),
                         "median": v("liability_median"), "sigma": v("liability_sigma"),
                         "deductible": v("liability_deductible", 0.0),
                         "limit": v("liability_limit")},
           "factors": {"city": {k: float(x) for k, x in
                                _one_per(filing, "city", "city_factor").items()},
                       "season": {k: float(x) for k, x in
                                  _one_per(filing, "season", "season_factor").items()}},
           "expenses": {k: v(k) for k in EXPENSE_KEYS if v(k) is not None}}
    try:
        return GigProduct.from_dict(doc, source=filing.source.name)
    except ParameterError as err:
        raise ParameterError(f"{filing.source.name}: {err}") from None


def read_data(data) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The activity log and the claims of a data folder, read as ``puhui review`` reads them."""
    from ..cli.gig import ACTIVITY, CLAIMS
    from ..cli.tables import read_folder_table

    log, path = read_folder_table(data, "activity", ACTIVITY)
    if len(log) == 0:
        raise ParameterError(f"{path}: the activity log has no rows")
    claims, _ = read_folder_table(data, "claims", CLAIMS)
    return log, claims


def _activity(log: pd.DataFrame) -> pd.DataFrame:
    from ..experience.exposure import activity_exposure
    from ..gig.review import season_of

    return activity_exposure(log.assign(season=season_of(log["date"])), by=[], period=None,
                             measures=("orders", "hours"))


def experience_values(product, data) -> tuple[dict[str, float], list[tuple[str, str]]]:
    """The figures recomputed from the data folder ``data`` (module docstring), with notes."""
    from ..gig import unit_premiums
    from ..gig.review import review

    log, claims = read_data(data)
    whole = unit_premiums(product, _activity(log)).iloc[0]
    values = {"indicated_per_order": float(whole["premium_per_order"]),
              "indicated_per_day": float(whole["premium_per_day"]),
              "indicated_per_hour": float(whole["premium_per_hour"]),
              "filed_per_day": filed_per_day(product, log)}
    res = review(product, log, claims, policies=())
    for k in ("loss_ratio", "expense_ratio", "combined_ratio",
              "combined_ratio_large_at_expected"):
        values[k] = float(res.ratios[k])
    values["prob_cr_above_100"] = float(res.prob_cr_above_100)
    ae = res.ae.summary()
    for p, c, x in zip(ae["platform"], ae["city"], ae["amount_ae"], strict=True):
        values[f"ae.{p}/{c}"] = float(x)
    for key, x in zip(res.buhlmann["platform_city"], res.buhlmann["credible_ae"], strict=True):
        values[f"credible_ae.{key}"] = float(x)
    notes = [(f"Activity log of {Path(data).name}: {log['orders'].sum():,.0f} orders, "
              f"{len(log):,} rider-days, {len(claims):,} claims; reviewed at the filed premium "
              f"{product.premium:g} 元 per {product.premium_basis}.",
              f"作业记录（数据目录 {Path(data).name}）：{log['orders'].sum():,.0f} 单，"
              f"{len(log):,} 人天，{len(claims):,} 件赔案；按报备保费每{_BASIS_ZH[product.premium_basis]}"
              f" {product.premium:g} 元回溯。")]
    return values, notes


_BASIS_ZH = {"order": "单", "day": "人天", "hour": "小时"}


def filed_per_day(product, log: pd.DataFrame) -> float:
    """The filed premium per rider-day: premium × units of its basis on the log / rider-days."""
    units = {"order": float(log["orders"].sum()), "day": float(len(log)),
             "hour": float(log["hours"].sum())}[product.premium_basis]
    return float(product.premium * units / len(log))


def recompute(filing: Filing, data=None) -> tuple[list[dict], pd.DataFrame, list]:
    """(comparison rows, rule checklist with sheet/cell, notes) of a gig filing."""
    from ..gig import per_order
    from ..gig.reporting import rule_check

    product = product_of(filing)
    r = filing.rates
    q = per_order(product, r["city"].astype(str).to_numpy(object),
                  r["season"].astype(str).to_numpy(object))
    ours = {"pure_per_order": np.broadcast_to(q["pure"], (len(r),)),
            "premium_per_order": np.broadcast_to(q["gross"], (len(r),))}
    rows = []
    for col in filing.family.rate_figures:
        for i in range(len(r)):
            rows.append({"figure": f"{col}.{r['city'].iat[i]}.{r['season'].iat[i]}",
                         "sheet": filing.rates_sheet, "cell": filing.rate_cells[col].iat[i],
                         "filed": r[col].iat[i], "puhui": float(ours[col][i]), "kind": "rate"})
    e = product.expenses
    notes = [(f"{len(r)} 费率表 rows (city × season) priced by puhui.gig.per_order: "
              "E = f Σ λ_l E[Y_l] per order, P = (E + k·n)/(τ − v) with τ = "
              f"{product.target_combined_ratio:.0%}, v = {e.variable_rate:.1%}, k = "
              f"{e.per_claim:g} 元 per claim.",
              f"费率表 {len(r)} 行（城市 × 季节）由 puhui.gig.per_order 重算：每单纯保费 "
              "E = f Σ λ_l E[Y_l]，每单毛保费 P = (E + k·n)/(τ − v)，目标综合成本率 τ = "
              f"{product.target_combined_ratio:.0%}，变动费用率 v = {e.variable_rate:.1%}，"
              f"每案理赔费用 k = {e.per_claim:g} 元。")]
    values = {"combined_ratio": product.target_combined_ratio}
    cells = {"combined_ratio": filing.where("target_combined_ratio")}
    res = filing.results
    if len(res):
        if data is None:
            raise ParameterError(f"{filing.source.name}: the filed results "
                                 f"({', '.join(res['figure'][:5])}{' …' if len(res) > 5 else ''})"
                                 " are recomputed from the activity log and claims: give the data "
                                 "folder (puhui datasets example gig --out DIR) with --data DIR")
        found, more = experience_values(product, data)
        notes += more
        rows += _result_rows(filing, found)
        values["premium_per_day"] = found["filed_per_day"]
        cells["premium_per_day"] = filing.where("premium")
    rules = rule_check(values, as_of=filing.as_of)
    rules["sheet"] = [cells[q][0] for q in rules["quantity"]]
    rules["cell"] = [cells[q][1] for q in rules["quantity"]]
    rules["row"] = ""
    notes.append(NO_REGULATION)
    return rows, rules, notes
