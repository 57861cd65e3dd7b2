"""``puhui demo``: the main job on the bundled data, written as a report to ``out/``.

Sections:

1. every bundled table loaded and validated (rows, columns, SHA-256 in the manifest);
2. experience by product and policy year: exposure, earned premium, claim counts, paid,
   incurred (reported), loss ratios — for the 惠民保 product and the crop portfolio, with
   figures;
3. the 惠民保 retrospective review (IBNR, A/E against the basis, combined ratio by year on the
   bundled actual expenses, the indication for the next year) and the 起付线 × 赔付比例 tuning
   on trended experience;
4. batch repricing of the crop portfolio at three coverage levels, and risk zoning.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pandas as pd

from . import datasets
from .experience.summary import summary
from .huiminbao.product import Product, example_product_path
from .plots import label, new_axes
from .report import Report
from .repro import Manifest, check_output_folder

#: Which validated table each bundled file is, for the validation section.
BUNDLED_KINDS = {
    "huiminbao/policies": "policies", "huiminbao/costs": "costs", "huiminbao/claims": "claims",
    "huiminbao/payments": "payments", "huiminbao/expenses": "expenses",
    "crops/yields": "yields", "crops/policies": "policies",
    "crops/claims": "claims", "index/rainfall": "index_series", "index/prices": "prices",
}


#: The bundled crops in Chinese (the report's captions).
_CROP_ZH = {"rice": "水稻", "maize": "玉米", "wheat": "小麦"}


def loss_ratio_figure(table: pd.DataFrame, ax=None):
    """Incurred (reported) loss ratio by policy year, one line per product; returns the Axes."""
    ax = new_axes(ax)
    for product, rows in table.groupby("product", sort=True):
        ax.plot(rows["policy_year"], 100 * rows["incurred_loss_ratio"], marker="o",
                label=product)
    ax.axhline(100, color="grey", lw=0.8, ls="--")
    ax.set_xlabel(label("保单年度", "policy year"))
    ax.set_ylabel(label("已报告赔付率 (%)", "reported loss ratio (%)"))
    ax.set_title(label("各产品保单年度赔付率（未含IBNR）",
                       "Loss ratio by product and policy year (before IBNR)"))
    years = sorted(table["policy_year"].unique())
    ax.set_xticks(years, [str(y) for y in years])
    ax.legend(fontsize=8)
    return ax


def premium_figure(table: pd.DataFrame, ax=None):
    """Earned premium and incurred claims by product and policy year (bars, 万元)."""
    ax = new_axes(ax)
    labels = [f"{p} {y}" for p, y in zip(table["product"], table["policy_year"], strict=True)]
    x = range(len(table))
    ax.bar([i - 0.2 for i in x], table["earned_premium"] / 1e4, width=0.4,
           label=label("已赚保费", "earned premium"))
    ax.bar([i + 0.2 for i in x], table["incurred"] / 1e4, width=0.4,
           label=label("已报告赔款", "reported incurred"))
    ax.set_xticks(list(x), labels, fontsize=7, rotation=35, ha="right")
    ax.set_ylabel(label("万元", "10,000 yuan"))
    ax.set_yscale("log")
    ax.legend(fontsize=8)
    ax.set_title(label("已赚保费与已报告赔款", "Earned premium and reported claims"))
    return ax


def run_demo(out_dir: str | os.PathLike = "out") -> Path:
    """Run the demo and write ``report.md``, tables, figures and ``manifest.json`` as the folder
    ``out_dir`` (replaced whole; refused if it is, holds or lies in the data or product)."""
    inputs = (datasets.data_dir(), example_product_path())
    check_output_folder(out_dir, inputs=inputs)
    files = datasets.files()
    hmb = datasets.load_huiminbao()
    crops = datasets.load_crops()
    planted = hmb.planted
    as_of = planted["valuation_date"]

    manifest = Manifest(command="puhui demo", seed=int(planted["seed"]),
                        assumptions={"valuation_date": as_of,
                                     "earning": "pro rata by day (1/365), end_date inclusive"})
    loaded = {
        "huiminbao/policies": hmb.policies, "huiminbao/costs": hmb.costs,
        "huiminbao/claims": hmb.claims, "huiminbao/payments": hmb.payments,
        "huiminbao/expenses": hmb.expenses, "crops/yields": crops.yields,
        "crops/policies": crops.policies, "crops/claims": crops.claims,
        "index/rainfall": datasets.load_rainfall(), "index/prices": datasets.load_prices(),
    }
    rows = []
    for name, df in loaded.items():
        manifest.add_input(name, files[name], rows=len(df), relative_to=files[name].parents[1])
        rows.append({"table": name, "kind": BUNDLED_KINDS[name], "rows": len(df),
                     "columns": df.shape[1], "file": files[name].name, "status": "valid"})

    rep = Report("puhui demo — bundled data", manifest=manifest,
                 title_zh="puhui 演示 — 内置数据")
    rep.text("This report is produced by `puhui demo` on the bundled seeded data sets "
             "(`docs/datasets.md`). Every number can be reproduced from the inputs listed, with "
             "their SHA-256, in `manifest.json`.",
             zh="本报告由 `puhui demo` 基于内置的固定随机种子数据集（`docs/datasets.md`）生成。"
                "报告中的每个数字都可由 `manifest.json` 所列的输入文件（附 SHA-256）重现。")
    rep.heading("1. Data loaded and validated (数据校验)", zh="1. 数据读取与校验")
    rep.table("validation", pd.DataFrame(rows),
              caption="Every bundled table passed puhui.data.validate",
              caption_zh="全部内置数据表均通过 puhui.data.validate 校验")

    rep.heading("2. Experience by product and policy year (经验数据)",
                zh="2. 分产品、分保单年度的经验数据")
    rep.text(f"Premium and exposure are earned pro rata by day to the valuation date {as_of}; "
             "claims are as reported at that date (paid + case reserves, before IBNR).",
             zh=f"保费与风险暴露按日比例计算截至评估日 {as_of} 的已赚部分；赔款为该日的已报告"
                "赔款（已付赔款 + 已报案未决赔款准备金，未含 IBNR）。")
    table = pd.concat([summary(hmb.policies, hmb.claims, as_of=as_of),
                       summary(crops.policies, crops.claims, as_of=as_of)], ignore_index=True)
    rep.table("experience_by_product_year", table,
              caption="Exposure, premium, claims and loss ratios by product and policy year",
              caption_zh="分产品、分保单年度的风险暴露、保费、赔款与赔付率")
    rep.figure("loss_ratio_by_year", loss_ratio_figure(table).figure,
               caption="Reported loss ratio by product and policy year",
               caption_zh="分产品、分保单年度的已报告赔付率")
    rep.figure("premium_and_claims", premium_figure(table).figure,
               caption="Earned premium and reported claims", caption_zh="已赚保费与已报告赔款")

    product_path = example_product_path()
    manifest.add_input("product", product_path, relative_to=product_path.parent)
    product = Product.from_toml(product_path)  # frozen: one object serves every section
    _review_section(rep, hmb, product)
    _pricing_section(rep, hmb, product)
    _crop_section(rep, crops, table)
    return rep.write(out_dir, inputs=inputs)


def _review_section(rep: Report, hmb, product: Product) -> None:
    """3. The 惠民保 retrospective review (精算回溯) on the bundled product file."""
    from .huiminbao import basis_from_planted, review
    from .huiminbao.reporting import add_review

    res = review(product, hmb.policies, hmb.claims,
                 basis_from_planted(hmb.planted), as_of=hmb.planted["valuation_date"],
                 expenses=hmb.expenses, costs=hmb.costs)
    rep.heading("3. 惠民保 retrospective review (精算回溯), benefit tuning and price",
                zh="3. 惠民保精算回溯、保障方案调优与定价")
    from .huiminbao.tuning import add_tuning, tune

    ev, choice, constraints = tune(product, hmb.policies, hmb.costs)
    with rep.nested():  # the family's sections are subsections of section 3
        add_review(rep, res)
        add_tuning(rep, ev, choice, constraints, product)


def _pricing_section(rep: Report, hmb, product: Product) -> None:
    """3b. The 2026 price from member experience, and the price that survives anti-selection."""
    from .huiminbao.pricing import price_from_experience
    from .huiminbao.pricing_report import add_pricing, scenario_for

    res = price_from_experience(product, hmb.policies, hmb.costs)
    with rep.nested():
        add_pricing(rep, res, product, calibration=scenario_for(product, res))


def _crop_section(rep: Report, crops, experience: pd.DataFrame) -> None:
    """4. Batch repricing of the province's crops and risk zoning (风险区划)."""
    from .agri import reprice, risk_zones

    rep.heading("4. Crop repricing and risk zoning (费率重算与风险区划)",
                zh="4. 农作物费率重算与风险区划")
    rates = reprice(crops.yields, (0.7, 0.8, 0.9))
    rep.text("Premium rate τ(θ) = E[(θμ − Y)₊]/(θμ) for every county × crop at coverage "
             "levels θ = 70/80/90%, on linearly detrended yields (additive adjustment), by the "
             "empirical distribution and a Gaussian kernel (Silverman bandwidth).",
             zh="各县 × 作物在保障水平 θ = 70/80/90% 下的纯费率 τ(θ) = E[(θμ − Y)₊]/(θμ)，"
                "基于线性去趋势的单产（加法调整），分别以经验分布和高斯核密度（Silverman "
                "带宽）估计。")
    rep.table("crop_rates", rates, caption="Pure premium rates by county, crop and coverage",
              caption_zh="分县、分作物、分保障水平的纯费率", floatfmt=",.4f", max_rows=12)
    crop_rows = experience[experience["product"].isin(crops.policies["product"].unique())]
    pooled = (crop_rows.groupby("product")["incurred"].sum()
              / crop_rows.groupby("product")["earned_premium"].sum())
    worst = crop_rows.loc[crop_rows["incurred_loss_ratio"].idxmax()]
    at90 = rates[np.isclose(rates["coverage"], 0.9)]
    top = f"{crop_rows['incurred_loss_ratio'].max():.0%}"
    span = f"{rates['kernel_rate'].min():.2%}–{rates['kernel_rate'].max():.2%}"
    mean90 = f"{at90['kernel_rate'].mean():.2%}"
    rep.text(
        f"**Why section 2 shows loss ratios of up to {top} beside pure rates of {span} here.** "
        "They are "
        "not the same cover and not the same horizon. (1) The bundled policies are 完全成本 "
        "cover: they pay the yield shortfall below 100% of the county's 5-year mean yield, at "
        "the harvest price, up to a sum insured of 700–1,100 元/亩, for a premium at the county "
        "schedule (2.72–4.5% of the sum insured); the rates above are yield cover at θ = 70–90% "
        "of the detrended expected yield, as a share of the guarantee θμ — the first 10–30% of "
        "the expected yield is the farmer's, which removes most county-level shortfalls. "
        f"(2) One year is not a rate: {worst['product']} {int(worst['policy_year'])} was a "
        "catastrophe year (大灾年; the generator draws one with probability 12% a year); over "
        "the three policy years the pooled loss ratios are "
        + ", ".join(f"{p} {v:.0%}" for p, v in pooled.items())
        + f". (3) County yields average farm losses away: the mean kernel rate at θ = 90% is "
        f"{mean90} on county yields; a farm's risk is higher "
        "(`puhui.agri.county_to_farm`, docs/agriculture.md).",
        zh=f"**为什么第 2 节的赔付率高达 {top}，而此处的纯费率只有 {span}？** 两者的保障责任"
        "不同，时间跨度也不同。(1) 内置保单为完全成本保险：按收获时的价格赔付低于本县 5 年"
        "平均单产 100% 的减产部分，保险金额为 700–1,100 元/亩，保费按县级费率表收取（保险"
        "金额的 2.72–4.5%）；上表的费率则是以去趋势期望单产的 θ = 70–90% 为保障的产量保险，"
        "以保障额 θμ 的比例表示——期望单产的前 10–30% 由农户自担，这已排除了大部分县级"
        f"减产。(2) 单一年度不等于费率：{worst['product']} {int(worst['policy_year'])} 年是"
        "大灾年（数据生成器每年以 12% 的概率抽取大灾年）；三个保单年度合并计算的赔付率为 "
        + "、".join(f"{p} {v:.0%}" for p, v in pooled.items())
        + f"。(3) 县级单产把农户层面的损失平均掉了：θ = 90% 时基于县级单产的平均核密度费率"
        f"为 {mean90}；单个农户的风险更高（`puhui.agri.county_to_farm`，docs/agriculture.md）。")
    for crop in sorted(rates["crop"].unique()):
        at80 = rates[(rates["crop"] == crop) & np.isclose(rates["coverage"], 0.8)]
        zoning = risk_zones(pd.DataFrame({"region": at80["region"],
                                          "pure_rate": at80["kernel_rate"]}), 3)
        name = _CROP_ZH.get(crop, crop)
        rep.table(f"zones_{crop}", zoning.summary(),
                  caption=f"Risk zones for {crop} (kernel rate at 80% coverage, quantile classes)",
                  caption_zh=f"{name}风险区划（80% 保障水平下的核密度费率，按分位数分级）",
                  floatfmt=",.4f")
        rep.figure(f"zones_{crop}", zoning.plot().figure, caption=f"Risk zones: {crop}",
                   caption_zh=f"风险区划：{name}")
