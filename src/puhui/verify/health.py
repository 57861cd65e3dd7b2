"""Recompute a special-group health filing (特定人群普惠健康险: 老年人 / 残疾人 / 脱贫人口) with
:mod:`puhui.life.health_product` and :mod:`puhui.life.health_review`.

The filing's 产品信息 (mortality table, term, age bands), 假设 (cancer lump sum S and incidence
slope b, the medical layer's cost law and 起付线 d / 赔付比例 r / 年度限额 C, interest, expenses,
target 综合成本率 τ) and the group columns of its 费率表 (entry ages, incidence and mortality
loadings, hospital stays λ and the filed premium — one value per group) make a
:class:`puhui.life.health_product.HealthPlan` (:meth:`HealthPlan.from_dict`, the strict checks of
a product file). Then:

* every 费率表 row (group × age band) — ``net_premium`` ``P(x) = (S·A + m·M)/ä`` and
  ``gross_premium`` ``G(x) = (P(x) + e)/(τ − v)`` of :meth:`puhui.life.health.HealthProduct.
  net_premium` / ``gross_premium``, averaged over the whole entry ages ``x`` of the band within
  the group's ages (equal weights: the rate card does not depend on a book);
* on the data of ``--data`` (the folder of ``puhui datasets example health``: ``members`` and
  ``claims``, read with the schemas of ``puhui price|review``, :mod:`puhui.cli.health`), as
  ``puhui price`` and ``puhui review`` compute them — on next year's book (the latest policy
  year's members, a full year each; :func:`puhui.life.health_review.next_year_book`) at the
  filed terms, :func:`puhui.life.health_review.tune` of the one filed design gives
  ``required_premium.G`` (the premium group G needs at τ), ``expected_cr`` (the book's
  ``(E + eN)/P + v`` at the filed premiums), ``expected_cr_max_group`` and
  ``prob_cr_above_100`` (NP2); :func:`puhui.life.health_review.review` gives ``ae.G/L`` (amount
  A/E of group G, line L = cancer or medical), ``credible_ae.G/L`` (``Z·A/E + (1 − Z)``,
  ``Z = min(1, √(n/1082))``), ``loss_ratio.Y``, ``expense_ratio.Y``, ``combined_ratio.Y``
  (policy year Y or ``all``) and ``prob_cr_above_100_revised`` (on the credibility-revised
  basis).

Rules: :func:`puhui.life.health_review.rule_check` (:func:`puhui.rules.check`) on the filed
pricing basis — the target 综合成本率 (假设), the highest filed premium (费率表 低门槛) and the
share of stays paid ``P(X > d)`` (假设 起付线). No regulation rulebook applies
(:data:`NO_REGULATION`); the rows are the family's EXAMPLE company policy book. The experience
figures (P(CR > 100 %) included: it depends on the book of the data) are recomputed and compared,
not judged against it.

>>> from puhui.verify import example_filing, read_filing
>>> plan = plan_of(read_filing(example_filing("health")))
>>> sorted(plan.groups), plan.deductible, plan.target_combined_ratio
(['disabled', 'elderly', 'poverty_alleviated'], 500.0, 0.95)
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import DataError, ParameterError, Problem
from .filing import Filing
from .smallbiz import _one_per, _result_rows

__all__ = ["NO_REGULATION", "experience_values", "plan_of", "rate_rows", "recompute"]

EXPENSE_KEYS = ("commission", "admin", "taxes", "protection_fund", "catastrophe_reserve",
                "premium_share", "per_member")
GROUP_COLUMNS = ("min_age", "max_age", "incidence_loading", "mortality_loading",
                 "hospital_stays", "premium")

NO_REGULATION = (
    "No regulation rulebook applies to this family: puhui's regulation books in force are scoped "
    "to agriculture and 惠民保, and none sets a figure for special-group health cover (特定人群"
    "普惠健康险). The rule checklist is the family's EXAMPLE company policy book "
    "(health_policy_example.toml, not a regulation), applied to the filed pricing basis: the "
    "target 综合成本率, the highest filed premium and the share of hospital stays paid P(X > 起付线); "
    "the experience figures, P(CR > 100%) included, are recomputed and compared, not judged "
    "against it.",
    "本险种无适用的监管规则库：puhui 现行的监管规则库仅适用于农业保险和惠民保，均未对特定人群普惠"
    "健康险设定数值。规则检查表为该险种的示例公司政策（health_policy_example.toml，非监管规定），"
    "仅用于检查报备的定价基础：目标综合成本率、最高备案保费和住院获赔比例 P(X > 起付线)；经验数据"
    "指标（包括 P(综合成本率 > 100%)）只做重算比对，不以该政策评判。")


def _table(filing: Filing) -> str:
    return f"{filing.source.name}, {filing.rates_sheet}"


def _age_bands(filing: Filing) -> list[int]:
    sheet, cell = filing.where("age_bands")
    text = str(filing.value("age_bands")).replace("，", ",")
    try:
        x = [float(t) for t in text.split(",") if t.strip()]
        if not x or any(not v.is_integer() for v in x):
            raise ValueError
    except ValueError:
        raise ParameterError(f"{filing.source.name}, {sheet} {cell}: age_bands (年龄段下限) "
                             "must be whole ages separated by commas (30, 40, 50, 60, 70), got "
                             f"{text!r}") from None
    return [int(v) for v in x]


def plan_of(filing: Filing):
    """The :class:`~puhui.life.health_product.HealthPlan` a filing describes."""
    from ..life.health_product import HealthPlan

    v = filing.value
    groups = {}
    per = {c: _one_per(filing, "group", c) for c in GROUP_COLUMNS}
    for g in per["premium"]:
        groups[g] = {"ages": [int(per["min_age"][g]), int(per["max_age"][g])],
                     **{c: float(per[c][g]) for c in GROUP_COLUMNS[2:]}}
    cancer = {"lump_sum": v("lump_sum")}
    if v("incidence_slope") is not None:
        cancer["incidence_slope"] = v("incidence_slope")
    doc = {"family": "health",
           "product": {"name": v("name"), "mortality_table": v("mortality_table"),
                       "interest": v("interest"), "term": v("term"),
                       "target_combined_ratio": v("target_combined_ratio"),
                       "age_bands": _age_bands(filing)},
           "groups": groups, "cancer": cancer,
           "medical": {"median": v("medical_median"), "sigma": v("medical_sigma"),
                       "deductible": v("deductible"), "payout_ratio": v("payout_ratio"),
                       "limit": v("limit")},
           "expenses": {k: v(k) for k in EXPENSE_KEYS if v(k) is not None}}
    try:
        return HealthPlan.from_dict(doc, source=filing.source.name)
    except ParameterError as err:
        raise ParameterError(f"{filing.source.name} (产品信息, 假设 and the group columns of "
                             f"{filing.rates_sheet}): {err}") from None


def rate_rows(plan, rates: pd.DataFrame, *, table: str = "费率表 rates") -> pd.DataFrame:
    """``net_premium`` and ``gross_premium`` of each 费率表 row (``group``, ``age_band``): the
    mean over the band's whole entry ages within the group's of
    :meth:`~puhui.life.health.HealthProduct.net_premium` and ``gross_premium`` at τ."""
    tau = plan.target_combined_ratio
    cards = []
    for g in dict.fromkeys(rates["group"].astype(str)):
        ages = plan.group(g).ages
        p = plan.product(g)
        cards.append(pd.DataFrame({"group": g, "age_band": plan.band_of(ages),
                                   "net_premium": p.net_premium(ages),
                                   "gross_premium": p.gross_premium(ages, tau)}))
    card = pd.concat(cards).groupby(["group", "age_band"], sort=False).mean()
    key = pd.MultiIndex.from_arrays([rates["group"].astype(str), rates["age_band"].astype(str)])
    out = card.reindex(key)
    missing = out["net_premium"].isna().to_numpy()
    if missing.any():
        i = int(missing.nonzero()[0][0])
        g, band = key[i]
        bands = ", ".join(card.loc[g].index) if g in card.index.get_level_values(0) else "none"
        raise DataError([Problem(table, "年龄段 age_band", i + 1, "bad_value",
                                 f"group {g}: no entry age of the group in the band {band!r} "
                                 f"(the group's bands: {bands})", band)])
    return out.reset_index()


def read_data(data) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The member-years and the claims of a data folder, read as ``puhui review`` reads them."""
    from ..cli.tables import read_folder_table
    from ..life.health_product import CLAIMS, MEMBERS

    members, path = read_folder_table(data, "members", MEMBERS)
    if len(members) == 0:
        raise ParameterError(f"{path}: the members table has no rows")
    claims, _ = read_folder_table(data, "claims", CLAIMS)
    return members, claims


def experience_values(plan, data) -> tuple[dict[str, float], list[tuple[str, str]]]:
    """The figures recomputed from the data folder ``data`` (module docstring), with notes."""
    from ..life.health_review import next_year_book, review, tune

    members, claims = read_data(data)
    book = next_year_book(members)
    design = tune(plan, book, deductibles=[plan.deductible], payout_ratios=[plan.payout_ratio],
                  limits=[plan.limit], lump_sums=[plan.lump_sum]).iloc[0]
    values = {f"required_premium.{g}": float(design[f"required_premium_{g}"])
              for g in plan.groups if f"required_premium_{g}" in design.index}
    for k in ("expected_cr", "expected_cr_max_group", "prob_cr_above_100"):
        values[k] = float(design[k])
    res = review(plan, members, claims)
    values["prob_cr_above_100_revised"] = float(res.prob_cr_above_100["revised_basis"])
    for g, line, ae, z in zip(res.by_group["group"], res.by_group["line"],
                              res.by_group["amount_ae"], res.by_group["credible_ae"],
                              strict=True):
        values[f"ae.{g}/{line}"] = float(ae)
        values[f"credible_ae.{g}/{line}"] = float(z)
    for _, r in res.ratios.iterrows():
        for col in ("loss_ratio", "expense_ratio", "combined_ratio"):
            values[f"{col}.{r['policy_year']}"] = float(r[col])
    years = sorted(members["policy_year"].unique())
    n = members["exposure"].sum()
    notes = [(f"Experience of {Path(data).name}: {n:,.0f} member-years of policy years "
              f"{years[0]}–{years[-1]} and {len(claims):,} claims; next year's book is the "
              f"{len(book):,} members of {years[-1]}, a full year each, at the filed premiums.",
              f"经验数据（数据目录 {Path(data).name}）：{years[0]}–{years[-1]} 保单年度共 {n:,.0f} "
              f"人年、{len(claims):,} 笔理赔；下一年度业务为 {years[-1]} 年的 {len(book):,} 名参保人，"
              "各按一整年计，按备案保费计算。")]
    return values, notes


def _rates_note(plan, n: int) -> tuple[str, str]:
    e = plan.expenses
    tau, v = f"{plan.target_combined_ratio:.0%}", f"{e.variable_rate:.1%}"
    d, r, c, s = (f"{plan.deductible:,.0f}", f"{plan.payout_ratio:.0%}", f"{plan.limit:,.0f}",
                  f"{plan.lump_sum:,.0f}")
    return (f"{n} 费率表 rows (group × age band) priced by puhui.life.health.HealthProduct: "
            f"P = (S·A + m·M)/ä with S = {s} 元 and m = λ E[min(r (X − d)+, C)] (起付线 d = {d} "
            f"元, 赔付比例 r = {r}, 年度限额 C = {c} 元), G = (P + e)/(τ − v) with τ = {tau}, v = "
            f"{v}, e = {e.per_member:g} 元 a member-year; each row the mean over the band's "
            "whole entry ages of the group.",
            f"费率表 {n} 行（人群 × 年龄段）由 puhui.life.health.HealthProduct 重算：纯保费 "
            f"P = (S·A + m·M)/ä，癌症保险金额 S = {s} 元，医疗补充 m = λ E[min(r (X − d)+, C)]"
            f"（起付线 d = {d} 元，赔付比例 r = {r}，年度限额 C = {c} 元）；毛保费 G = (P + e)/(τ − v)，"
            f"目标综合成本率 τ = {tau}，变动费用率 v = {v}，每人年固定费用 e = {e.per_member:g} 元；"
            "每行为该人群在该年龄段内各整数投保年龄的平均值。")


def recompute(filing: Filing, data=None) -> tuple[list[dict], pd.DataFrame, list]:
    """(comparison rows, rule checklist with sheet/cell, notes) of a health filing."""
    from ..life.health_review import rule_check

    plan = plan_of(filing)
    r = filing.rates
    priced = rate_rows(plan, r, table=_table(filing))
    rows = []
    for col in filing.family.rate_figures:
        kind = next(f.tolerance for f in filing.family.figures if f.id == col)
        for i in range(len(r)):
            rows.append({"figure": f"{col}.{r['group'].iat[i]}.{r['age_band'].iat[i]}",
                         "sheet": filing.rates_sheet, "cell": filing.rate_cells[col].iat[i],
                         "filed": r[col].iat[i], "puhui": float(priced[col].iat[i]),
                         "kind": kind})
    notes = [_rates_note(plan, len(r))]
    res = filing.results
    if len(res):
        if data is None:
            raise ParameterError(f"{filing.source.name}: the filed results "
                                 f"({', '.join(res['figure'][:5])}{' …' if len(res) > 5 else ''})"
                                 " are recomputed from the member-years and claims: give the "
                                 "data folder (puhui datasets example health --out DIR) with "
                                 "--data DIR")
        values, more = experience_values(plan, data)
        notes += more
        rows += _result_rows(filing, values)
    top = int(np.argmax(r["premium"].to_numpy(float)))
    first = next(iter(plan.groups))
    values = {"combined_ratio": plan.target_combined_ratio,
              "premium_max": float(r["premium"].iat[top]),
              "share_paid": float(plan.product(first).medical_share_paid())}
    cells = {"combined_ratio": filing.where("target_combined_ratio"),
             "premium_max": (filing.rates_sheet, filing.rate_cells["premium"].iat[top]),
             "share_paid": filing.where("deductible")}
    rules = rule_check(values, as_of=filing.as_of)
    rules["sheet"] = [cells[q][0] for q in rules["quantity"]]
    rules["cell"] = [cells[q][1] for q in rules["quantity"]]
    rules["row"] = ""
    notes.append(NO_REGULATION)
    return rows, rules, notes
