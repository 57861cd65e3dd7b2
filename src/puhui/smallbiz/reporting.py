"""Report sections of the small-business family (小微企业 / 个体工商户): price, review, tuning
and the rule check, appended to a :class:`puhui.report.Report` (``puhui price|review|tune`` on a
smallbiz product file; :mod:`puhui.cli.smallbiz`).

Every number comes from the family's functions (:mod:`.pricing`, :mod:`.review`); this module
only arranges them. The rule check (:func:`rule_check`) runs :func:`puhui.rules.check` with the
regulation rulebooks in force on the valuation date — none of them applies to small-business
cover (they are scoped to agriculture and 惠民保; puhui has no small-business rulebook yet), and
the report says so — and the EXAMPLE company policy book of the family
(``smallbiz_policy_example.toml``: 综合成本率 ≤ 95 %, P(CR > 100 %) ≤ 10 %) with any policy book
the user gives.

Every heading, paragraph and caption is written in English (the default) and Chinese
(``zh=`` / ``caption_zh=``): a ``lang="zh"`` report has ``rep.untranslated == []``, with the
same numbers (formatted once, inserted in both texts).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from ..report import Report
from ..rules import check
from .bonus_malus import BonusMalus
from .pricing import employer_rates, ilf, liability_premium, liability_severity, price_property
from .product import Product
from .review import (
    employer_prob_loss,
    experience_rate,
    liability_prob_loss,
    property_prob_loss,
    review_employer,
    review_liability,
    review_property,
    tune_employer,
    tune_liability,
    tune_property,
)

__all__ = ["POLICY_EXAMPLE", "add_price", "add_review", "add_rule_check", "add_tuning",
           "rule_check"]

#: The family's EXAMPLE company policy rulebook (checked on every run; not a regulation).
POLICY_EXAMPLE = Path(__file__).with_name("smallbiz_policy_example.toml")
#: The default tuning grid of a property product: 每次事故免赔额 (元) × 赔付比例.
DEFAULT_DEDUCTIBLES = (0.0, 500.0, 1_000.0, 2_000.0, 5_000.0, 10_000.0)
DEFAULT_RATIOS = (0.7, 0.8, 0.9, 1.0)
#: The default tuning grid of a liability product: 每次事故赔偿限额 (元; the product's own is
#: added), 累计赔偿限额 as a multiple of it, 每次事故免赔额 (元; the product's own is added).
DEFAULT_LIMITS = (50_000.0, 100_000.0, 200_000.0, 500_000.0, 1_000_000.0)
DEFAULT_AGGREGATE_MULTIPLES = (1.0, 2.0, 3.0)
DEFAULT_LIABILITY_DEDUCTIBLES = (0.0, 500.0, 1_000.0, 2_000.0)
#: The default tuning grid of an employer product: 每人伤亡责任限额 (元), 医疗免赔额 (元) and
#: 医疗赔付比例 (the product's own values are added).
DEFAULT_PERSON_LIMITS = (200_000.0, 300_000.0, 500_000.0, 800_000.0, 1_000_000.0)
DEFAULT_MEDICAL_DEDUCTIBLES = (0.0, 100.0, 500.0, 1_000.0)
DEFAULT_MEDICAL_RATIOS = (0.7, 0.8, 0.9, 1.0)


def rule_check(product: Product, values: dict, *, as_of, policies=()) -> pd.DataFrame:
    """:func:`puhui.rules.check` of ``values`` (``combined_ratio``, ``loss_ratio``,
    ``prob_cr_above_100``) against the regulations in force on ``as_of`` (scope: sector
    ``small_business``, line ``smallbiz_<kind>`` — no shipped regulation has that scope) and
    the family's example policy book plus ``policies``. NaN values are not checked."""
    return check(values, scope={"sector": "small_business", "line": f"smallbiz_{product.kind}"},
                 policies=[POLICY_EXAMPLE, *policies], as_of=as_of)


def add_rule_check(rep: Report, table: pd.DataFrame, *, name: str, as_of) -> None:
    """The rule-check section: which rulebooks were checked, and their rows."""
    from ..rules import rulebook

    books = table.attrs.get("books", [])
    regulations = [b for b in books if _kind(b, rulebook) == "regulation"]
    policies = [b for b in books if b not in regulations]
    rep.heading("Rule check (合规检查)", level=3, zh="合规检查")
    reg_rows = table[table["kind"] == "regulation"] if len(table) else table
    regs = ", ".join(regulations)
    pols = ", ".join(policies)
    if len(reg_rows) == 0:
        rep.text(f"**No regulation rulebook in force for this family**: the regulation books in "
                 f"force on {as_of} ({regs or 'none'}) are scoped to "
                 "agriculture and 惠民保; puhui has no small-business (小微企业) rulebook yet "
                 "(金办发〔2025〕46号 asks for the cover but sets no figure). The rows below are "
                 f"company policy only ({pols}; the example book is an EXAMPLE, "
                 "not a regulation).",
                 zh=f"**本产品族暂无适用的监管规则**：{as_of} 有效的监管规则（{regs or '无'}）"
                    "适用于农险和惠民保；puhui 尚无小微企业保险的监管规则（金办发〔2025〕46号要求"
                    f"提供相关保障，但未规定数值）。下列各行仅为公司政策（{pols}；示例规则为示例，"
                    "并非监管规定）。")
    if len(table) == 0:
        rep.text("No quantity to check (no design chosen).",
                 zh="没有可检查的指标（未选定方案）。")
    rep.table(name, table[["rule", "quantity", "value", "limit", "passed", "kind", "source"]],
              caption="Rules checked (puhui.rules.check): value, limit and whether it holds",
              caption_zh="规则检查（puhui.rules.check）：指标值、限值及是否满足")


def _kind(book_id: str, rulebook) -> str:
    try:
        return rulebook(book_id).kind
    except Exception:  # a policy book given as a file is not a shipped id
        return "policy"


# ---------------------------------------------------------------------------------- price
def add_price(rep: Report, product: Product, data: dict, *, as_of, policies=()) -> dict:
    """Pricing sections of ``product`` on ``data`` (property: ``risks``, one row per firm;
    employer: ``groups``; liability: ``policies_table`` with ``units``). Returns the
    assumptions to record in the manifest."""
    rep.heading(f"Pricing (定价): {product.name} ({product.code})",
                zh=f"定价：{product.name}（{product.code}）")
    e = product.expenses
    tau, v = f"{product.target_combined_ratio:.0%}", f"{e.variable_rate:.1%}"
    rep.text(f"Kind {product.kind}; target 综合成本率 τ = {tau}; "
             f"variable expenses {v} of premium, {e.per_member:g} 元 per "
             f"policy, {e.per_claim:g} 元 per claim. Gross premium P = (E + F + k·n)/(τ − v) "
             "(puhui.pricing.gross_up).",
             zh=f"险种类型 {_KIND_ZH[product.kind]}；目标综合成本率 τ = {tau}；变动费用率 {v}"
                f"（占保费），每张保单固定费用 {e.per_member:g} 元，每件赔案理赔费用 "
                f"{e.per_claim:g} 元。毛保费 P = (E + F + k·n)/(τ − v)（puhui.pricing.gross_up）。")
    if product.kind == "property":
        return _price_property(rep, product, data["risks"], as_of=as_of, policies=policies)
    if product.kind == "employer":
        return _price_employer(rep, product, data["groups"], as_of=as_of, policies=policies)
    return _price_liability(rep, product, data["policies_table"], as_of=as_of,
                            policies=policies)


_KIND_ZH = {"property": "财产险", "liability": "公众责任险", "employer": "雇主责任险"}
_COVER_ZH = {"basic": "基本险", "comprehensive": "综合险"}


def _price_property(rep, product, risks, *, as_of, policies):
    priced = price_property(product, risks)
    t = product.terms
    by = priced.assign(risks=1).groupby(["occupancy", "location_grade"], sort=True).agg(
        risks=("risks", "sum"), sum_insured=("sum_insured", "sum"),
        expected_loss=("expected_loss", "sum"), pure_premium=("pure_premium", "sum"),
        gross_premium=("gross_premium", "sum")).reset_index()
    by["rate_permille"] = by["gross_premium"] / by["sum_insured"] * 1000.0
    by["pure_premium_per_risk"] = by["pure_premium"] / by["risks"]
    by["gross_premium_per_risk"] = by["gross_premium"] / by["risks"]
    prob = property_prob_loss(product, risks)
    total = float(priced["gross_premium"].sum())
    n, si = f"{len(priced):,}", f"{priced['sum_insured'].sum():,.0f}"
    ded, ratio, tot, pr = (f"{t.deductible:,.0f}", f"{t.payout_ratio:.0%}", f"{total:,.2f}",
                           f"{prob:.2%}")
    rep.text(f"{n} risks, sum insured {si} 元; "
             f"每次事故免赔额 {ded} 元, 赔付比例 {ratio}, cover "
             f"{t.cover}. Pure premium λ·r·V·E[X]·(1 − G(d/V)) on the Swiss Re exposure curve "
             f"of each occupancy; gross premium {tot} 元 for the book. P(CR > 100%) of a "
             f"year at that premium (NP2 on the compound-Poisson cumulants): {pr}.",
             zh=f"共 {n} 个标的，保险金额合计 {si} 元；每次事故免赔额 {ded} 元，赔付比例 {ratio}，"
                f"保障范围为{_COVER_ZH[t.cover]}。纯保费 λ·r·V·E[X]·(1 − G(d/V))，按各占用性质的 "
                f"Swiss Re 暴露曲线计算；全部标的毛保费 {tot} 元。按该保费计，一年内综合成本率"
                f"超过 100% 的概率（复合泊松累积量的 NP2 近似）为 {pr}。")
    rep.table("price_property", by[["occupancy", "location_grade", "risks", "sum_insured",
                                    "pure_premium_per_risk", "gross_premium_per_risk",
                                    "rate_permille"]],
              caption="Premium by occupancy (占用性质) and location grade (地段风险等级): "
                      "费率 ‰ of the sum insured",
              caption_zh="按占用性质和地段风险等级的保费：费率（‰，占保险金额）")
    rep.table("price_risks", priced, caption="Every risk priced (first rows shown)",
              caption_zh="每个标的的保费（仅显示前若干行）", max_rows=20)
    checks = rule_check(product, {"combined_ratio": product.target_combined_ratio,
                                  "prob_cr_above_100": prob}, as_of=as_of, policies=policies)
    add_rule_check(rep, checks, name="price_rule_check", as_of=as_of)
    return {"risks": len(priced), "gross_premium": total, "prob_cr_above_100": prob}


def _ncd_table(product: Product, lams=(0.05, 0.1, 0.2, 0.4)) -> pd.DataFrame:
    t = product.terms
    ncd = BonusMalus(list(t.ncd_relativities), start=t.ncd_start, penalty=t.ncd_penalty)
    return ncd.summary(list(lams))


_NO_EMPLOYER_PROB = (
    "P(CR > 100%) is not computed for an employer product: the file gives the mean "
    "disability-grade share s̄, not the grades' distribution, so the book's higher "
    "cumulants are not defined.",
    "本产品不计算综合成本率超过 100% 的概率：产品文件只给出伤残等级给付比例的均值 s̄，"
    "未给出伤残等级的分布，因此整体赔款的高阶累积量无法确定。")


def _employer_prob(rep, prob: float, where_en: str, where_zh: str) -> None:
    """The sentence on P(CR > 100%) of an employer book (or why it is not computed)."""
    if not np.isfinite(prob):
        rep.text(_NO_EMPLOYER_PROB[0], zh=_NO_EMPLOYER_PROB[1])
        return
    pr = f"{prob:.2%}"
    rep.text(f"P(CR > 100%) of {where_en}: {pr} (NP2 on the book's cumulants: 工亡, 伤残 by the "
             "grades' distribution 伤残等级 1–10, and 医疗, compound Poisson per head; "
             "puhui.smallbiz.employer_moments). For a book of a few hundred heads, whose year "
             "turns on one or two deaths, NP2 overstates it (a prudent figure; docs/smallbiz.md).",
             zh=f"{where_zh}综合成本率超过 100% 的概率为 {pr}（基于整体赔款累积量的 NP2 近似：工亡、"
                "按伤残等级 1–10 分布计算的伤残、医疗，每人为复合泊松；"
                "puhui.smallbiz.employer_moments）。对于仅数百人、一年结果取决于一两起工亡的业务，"
                "NP2 会高估该概率（属审慎估计；见 docs/smallbiz.md）。")


def _price_employer(rep, product, groups, *, as_of, policies):
    from .pricing import price_groups

    t = product.terms
    rates = employer_rates(product)
    priced = price_groups(product, groups)
    lim, med, n, man = (f"{t.death_disability_limit:,.0f}", f"{t.medical_limit:,.0f}",
                        f"{len(priced):,}", f"{priced['manual_premium'].sum():,.2f}")
    base_zh = {"headcount": "人数", "payroll": "工资总额"}[t.exposure_base]
    rep.text(f"Per head and year in 职业类别 k: φ_k·[(q_death + q_dis·s̄)·L + μ·E[min(r(X − d)₊, "
             f"M)]] with 每人伤亡责任限额 L = {lim} 元 and 每人医疗费用"
             f"限额 M = {med} 元; exposure base {t.exposure_base}. "
             f"{n} groups, manual premium {man} 元.",
             zh=f"职业类别 k 每人每年纯保费：φ_k·[(q_death + q_dis·s̄)·L + μ·E[min(r(X − d)₊, M)]]，"
                f"其中每人伤亡责任限额 L = {lim} 元，每人医疗费用限额 M = {med} 元；风险单位为"
                f"{base_zh}。共 {n} 个团体，按职业类别费率计算的保费合计 {man} 元。")
    rep.table("price_class_rates", rates, caption="Rates per head by 职业类别 1–6 (pure and "
              "gross, 元 a head-year)", caption_zh="职业类别 1–6 每人费率（纯保费与毛保费，"
              "元/人·年）")
    rep.table("price_groups", priced, caption="Manual (class-rate) premium of every group "
              "(first rows shown)", caption_zh="各团体按职业类别费率计算的保费（仅显示前若干行）",
              max_rows=20)
    rep.table("price_ncd", _ncd_table(product),
              caption="无赔款优待 (NCD) scale as a bonus–malus chain: stationary mean relativity "
                      "b(λ) and Loimaranta efficiency η(λ) at claim rates λ a group-year",
              caption_zh="无赔款优待（NCD）等级表作为奖惩系统马尔可夫链：在每团体每年出险率 λ 下"
                         "的平稳平均系数 b(λ) 与 Loimaranta 效率 η(λ)")
    prob = employer_prob_loss(product, groups)
    _employer_prob(rep, prob, "a year of this book at the manual premium",
                   "按费率保费计，本业务一年内")
    checks = rule_check(product, {"combined_ratio": product.target_combined_ratio,
                                  "prob_cr_above_100": prob}, as_of=as_of, policies=policies)
    add_rule_check(rep, checks, name="price_rule_check", as_of=as_of)
    return {"groups": len(priced), "manual_premium": float(priced["manual_premium"].sum()),
            "prob_cr_above_100": prob}


def _price_liability(rep, product, table, *, as_of, policies):
    t = product.terms
    units = table["units"].to_numpy(float)
    card = liability_premium(product, units)
    limits = np.array(sorted({t.ilf_base_limit, t.limit_per_accident, 50_000.0, 100_000.0,
                              200_000.0, 500_000.0, 1_000_000.0}))
    factors = pd.DataFrame({"limit_per_accident": limits,
                            "ilf": ilf(liability_severity(product), limits,
                                       base_limit=t.ilf_base_limit, deductible=t.deductible)})
    prem = table.merge(card[["units", "gross_premium"]], on="units", how="left")
    book = float(prem["gross_premium"].sum())
    prob = liability_prob_loss(product, units, prem["gross_premium"].to_numpy(float))
    n, lam, med, sig = (f"{len(table):,}", f"{t.frequency:g}", f"{t.severity_median:,.0f}",
                        f"{t.severity_sigma:g}")
    lim, agg, tot, pr = (f"{t.limit_per_accident:,.0f}", f"{t.aggregate_limit:,.0f}",
                         f"{book:,.2f}", f"{prob:.2%}")
    base_zh = {"floor_area": "营业面积（每百平方米）", "turnover": "营业收入（每万元）"}[
        t.exposure_base]
    rep.text(f"{n} policies on the {t.exposure_base} base; accidents Poisson(λ n) "
             f"with λ = {lam} per unit, lognormal loss (median "
             f"{med} 元, σ {sig}); 每次事故赔偿限额 "
             f"{lim} 元, 累计赔偿限额 {agg} 元. Pure "
             f"premium E[min(S, A)] by FFT. Book premium {tot} 元; P(CR > 100%) of a year "
             f"of this book at that premium (NP2 on the policies' cumulants): {pr}.",
             zh=f"共 {n} 张保单，风险单位为{base_zh}；事故次数服从 Poisson(λ n)，λ = {lam}（每单位），"
                f"每次事故损失服从对数正态分布（中位数 {med} 元，σ {sig}）；每次事故赔偿限额 "
                f"{lim} 元，累计赔偿限额 {agg} 元。纯保费 E[min(S, A)] 由 FFT 计算。全部保单保费 "
                f"{tot} 元；按该保费计，本业务一年内综合成本率超过 100% 的概率（各保单累积量的 "
                f"NP2 近似）为 {pr}。")
    rep.table("price_rate_card", card, caption="Premium per policy size (exposure units): "
              "with and without the aggregate limit",
              caption_zh="按保单规模（风险单位数）的保费：考虑与不考虑累计赔偿限额")
    rep.table("price_ilf", factors, caption="Increased-limit factors (增限因子) against the "
              f"base limit {t.ilf_base_limit:,.0f} 元",
              caption_zh=f"增限因子（相对基准限额 {t.ilf_base_limit:,.0f} 元）")
    checks = rule_check(product, {"combined_ratio": product.target_combined_ratio,
                                  "prob_cr_above_100": prob}, as_of=as_of, policies=policies)
    add_rule_check(rep, checks, name="price_rule_check", as_of=as_of)
    return {"policies": len(table), "gross_premium": book, "prob_cr_above_100": prob}


# --------------------------------------------------------------------------------- review
def add_review(rep: Report, product: Product, data: dict, *, as_of, policies=()) -> dict:
    """Review sections (回溯分析): property — A/E with limited-fluctuation credibility and the
    综合成本率 by occupancy, P(CR > 100 %) of the latest year; employer — group experience
    rating (经验费率) with credibility and the 综合成本率 by year; liability — A/E of the
    limited cost by accident year with IBNR, credibility, 综合成本率 and P(CR > 100 %).
    Returns the assumptions."""
    rep.heading(f"Retrospective review (回溯分析): {product.name} ({product.code})",
                zh=f"回溯分析：{product.name}（{product.code}）")
    if product.kind == "property":
        return _review_property(rep, product, data["book"], as_of=as_of, policies=policies)
    if product.kind == "liability":
        return _review_liability(rep, product, data["policies_table"], data["claims"],
                                 as_of=as_of, policies=policies)
    return _review_employer(rep, product, data["groups"], as_of=as_of, policies=policies)


def _review_property(rep, product, book, *, as_of, policies):
    res = review_property(product, book)
    last = int(book["year"].max())
    first = int(book["year"].min())
    latest = book[book["year"] == last]
    prob = property_prob_loss(product, latest, latest["premium"].to_numpy(float))
    allrow = res[res["occupancy"] == "all"].iloc[0]
    n, nf, ae, z, cr, pr = (f"{len(book):,}", f"{res.attrs['full_standard']:,.0f}",
                            f"{allrow['ae']:.3f}", f"{allrow['z']:.0%}",
                            f"{allrow['combined_ratio']:.1%}", f"{prob:.2%}")
    rep.text(f"Policy years {first}–{last}, {n} risk-years. A/E = "
             "claims paid / claims expected on the product's basis; credibility Z = min(1, "
             f"√(n/n_F)) of the claim count (n_F = {nf}); "
             f"credible A/E = Z·A/E + (1 − Z). Whole book: A/E {ae}, Z "
             f"{z}, 综合成本率 {cr}. P(CR > 100%) of "
             f"policy year {last} at its earned premium (NP2): {pr}.",
             zh=f"保单年度 {first}–{last}，共 {n} 个标的年。A/E = 实际赔款 / 按产品定价基础的预期赔款；"
                f"可信度 Z = min(1, √(n/n_F))，n 为赔案件数（完全可信标准 n_F = {nf}）；"
                f"可信度加权 A/E = Z·A/E + (1 − Z)。全部业务：A/E {ae}，Z {z}，综合成本率 {cr}。"
                f"{last} 保单年度按其已赚保费计，综合成本率超过 100% 的概率（NP2）为 {pr}。")
    shown = res.rename(columns={"exposure": "risk_years", "expected": "expected_paid",
                                "actual": "actual_paid", "claims": "claim_count"})
    rep.table("review_by_occupancy", shown, caption="A/E, credibility, loss ratio, expense ratio "
              "and 综合成本率 by occupancy",
              caption_zh="按占用性质的 A/E、可信度、赔付率、费用率与综合成本率")
    checks = rule_check(product, {"combined_ratio": float(allrow["combined_ratio"]),
                                  "loss_ratio": float(allrow["loss_ratio"]),
                                  "prob_cr_above_100": prob}, as_of=as_of, policies=policies)
    add_rule_check(rep, checks, name="review_rule_check", as_of=as_of)
    return {"years": [first, last], "ae": float(allrow["ae"]),
            "combined_ratio": float(allrow["combined_ratio"]), "prob_cr_above_100": prob}


def _review_liability(rep, product, table, claims, *, as_of, policies):
    res = review_liability(product, table, claims, as_of=as_of)
    years = res[res["year"] != "all"]
    allrow = res[res["year"] == "all"].iloc[0]
    last = years.iloc[-1]
    latest = table[table["year"] == int(last["year"])]
    prob = liability_prob_loss(product, latest["units"].to_numpy(float),
                               latest["premium"].to_numpy(float))
    has_ibnr = np.isfinite(float(allrow["ibnr_amount"]))
    first, lastyear = years["year"].iloc[0], last["year"]
    ae, z, cr, nf, pr = (f"{allrow['ae']:.3f}", f"{allrow['z']:.0%}",
                         f"{allrow['combined_ratio']:.1%}",
                         f"{res.attrs['full_standard']:,.0f}", f"{prob:.2%}")
    rep.text(f"Accident years {first}–{lastyear}, valued at {as_of}. Expected = the filed "
             "limited cost E[min(S, A)] of each policy-year (liability_premium: 每次事故赔偿限额, "
             "累计赔偿限额 and 免赔额 of the product); A/E = ultimate / expected; credibility "
             f"Z = min(1, √(n/n_F)) of the reported claim count (n_F = {nf}, allowing for the "
             "CV of the limited payout per accident); credible A/E = Z·A/E + (1 − Z). Loss ratio "
             "= ultimate (reported incurred + IBNR) / earned premium; 综合成本率 = loss ratio + "
             f"expense ratio. Whole book: A/E {ae}, Z {z}, 综合成本率 {cr}. P(CR > 100%) of "
             f"accident year {lastyear} at its earned premium (NP2): {pr}.",
             zh=f"事故年度 {first}–{lastyear}，评估日 {as_of}。预期赔款 = 各保单年度按产品条款"
                "（每次事故赔偿限额、累计赔偿限额和免赔额）计算的限额后期望成本 E[min(S, A)]"
                "（liability_premium）；A/E = 最终赔款 / 预期赔款；可信度 Z = min(1, √(n/n_F))，"
                f"n 为已报告赔案件数（完全可信标准 n_F = {nf}，已考虑限额后每次事故赔款的变异系数）；"
                "可信度加权 A/E = Z·A/E + (1 − Z)。赔付率 = 最终赔款（已报告已发生赔款 + IBNR）/ "
                f"已赚保费；综合成本率 = 赔付率 + 费用率。全部业务：A/E {ae}，Z {z}，综合成本率 "
                f"{cr}。{lastyear} 事故年度按其已赚保费计，综合成本率超过 100% 的概率（NP2）为 "
                f"{pr}。")
    if has_ibnr:
        share, share_last = f"{allrow['unreported_share']:.1%}", f"{last['unreported_share']:.1%}"
        k = len(years) - 1
        rep.text(f"IBNR (未报案) by {res.attrs['ibnr_method']}. Share of the ultimate not yet "
                 f"reported at {as_of}: {share} over all years, {share_last} for accident year "
                 f"{lastyear}. No tail factor: claims reported more than {k} years after their "
                 "accident year are not estimated (liability claims are long-tailed; a longer "
                 "history would show them).",
                 zh=f"IBNR（已发生未报案）采用 {_IBNR_ZH.get(res.attrs['ibnr_method'], '')}"
                    f"估计。评估日 {as_of} 尚未报告部分占最终赔款的比例：全部年度 {share}，"
                    f"{lastyear} 事故年度 {share_last}。未使用尾部因子：事故年度后超过 {k} 年"
                    "才报案的赔案未作估计（责任险赔案为长尾，需更长的历史数据才能观察到）。")
    else:
        rep.text("**IBNR not estimated**: the claims table has no report_date (报案日期), so the "
                 "share of the ultimate still unreported at the valuation date is not estimated "
                 "and the A/E rests on the reported claims only (an understatement for the "
                 "recent, long-tailed years).",
                 zh="**未估计 IBNR**：赔案表没有报案日期（report_date），因此无法估计评估日尚未"
                    "报告部分占最终赔款的比例，A/E 仅基于已报告赔案（对近期、长尾年度会低估）。")
    rep.table("review_by_year", res, caption="A/E, IBNR, credibility, loss ratio, expense ratio "
              "and 综合成本率 by accident year",
              caption_zh="按事故年度的 A/E、IBNR、可信度、赔付率、费用率与综合成本率")
    checks = rule_check(product, {"combined_ratio": float(allrow["combined_ratio"]),
                                  "loss_ratio": float(allrow["loss_ratio"]),
                                  "prob_cr_above_100": prob}, as_of=as_of, policies=policies)
    add_rule_check(rep, checks, name="review_rule_check", as_of=as_of)
    return {"years": [str(first), str(lastyear)], "ae": float(allrow["ae"]),
            "combined_ratio": float(allrow["combined_ratio"]), "prob_cr_above_100": prob,
            "ibnr_method": res.attrs["ibnr_method"],
            "unreported_share": float(allrow["unreported_share"]) if has_ibnr else None}


_IBNR_ZH = {
    "chain ladder on reported incurred (accident year × development year)":
        "链梯法（已报告已发生赔款，事故年度 × 进展年度）",
    "Bornhuetter–Ferguson on reported incurred (accident year × development year), a-priori "
    "the filed expected loss ratio":
        "Bornhuetter–Ferguson 法（已报告已发生赔款，事故年度 × 进展年度，先验赔付率取定价预期"
        "赔付率）",
}


def _review_employer(rep, product, groups, *, as_of, policies):
    rated = experience_rate(product, groups)
    years = review_employer(product, groups)
    prem = years.attrs["premium_by_group"]
    a = rated.attrs
    whole = float(years["claims_paid"].sum() / years["premium"].sum())
    given = "premium" in groups.columns
    source = "the groups' premium column" if given else \
        "the class rates (no premium column: the manual premium is taken as earned)"
    source_zh = "团体数据中的保费列" if given else "职业类别费率（无保费列：以费率保费作为已赚保费）"
    cred = product.terms.credibility
    cred_zh = {"buhlmann_straub": "Bühlmann–Straub 模型", "limited_fluctuation": "有限波动法"}[cred]
    ng, y0, y1, lr = (f"{rated['group'].nunique():,}", years["year"].min(), years["year"].max(),
                      f"{whole:.1%}")
    rep.text(f"{ng} groups over {y0}–"
             f"{y1}; premium from {source}. Group experience rating (经验费率): "
             f"factor = m̂ + Z(X̄ − m̂) by {cred} "
             "(puhui.credibility.experience_rating); next year's premium = manual × factor. "
             f"Loss ratio over the years {lr}.",
             zh=f"共 {ng} 个团体，年度 {y0}–{y1}；保费取自{source_zh}。团体经验费率：调整系数 = "
                f"m̂ + Z(X̄ − m̂)，采用{cred_zh}（puhui.credibility.experience_rating）；下一年保费 = "
                f"费率保费 × 调整系数。各年度合计赔付率 {lr}。")
    rep.table("review_years", years.drop(columns="heads"),
              caption="综合赔付率, 综合费用率 and 综合成本率 by year",
              caption_zh="各年度综合赔付率、综合费用率与综合成本率")
    rep.table("review_experience_rating", rated, caption="Experience-rated premium by group: "
              "A/E, credibility Z, factor (first rows shown)",
              caption_zh="各团体经验费率保费：A/E、可信度 Z、调整系数（仅显示前若干行）",
              max_rows=20)
    structure = {k: v for k, v in a.items() if isinstance(v, (int, float, np.floating))}
    if structure:
        rep.table("review_credibility_structure",
                  pd.DataFrame({"quantity": list(structure),
                                "value": [float(v) for v in structure.values()]}),
                  caption="Credibility structure (collective mean, variances, constant)",
                  caption_zh="可信度结构参数（总体均值、方差与可信度常数）",
                  floatfmt=",.6g")
    last = years.iloc[-1]
    latest = groups["year"].to_numpy() == last["year"]
    prob = employer_prob_loss(product, groups[latest], prem[latest])
    _employer_prob(rep, prob, f"policy year {last['year']} at its premium",
                   f"{last['year']} 保单年度按其保费计，")
    checks = rule_check(product, {"combined_ratio": float(last["combined_ratio"]),
                                  "loss_ratio": float(last["loss_ratio"]),
                                  "prob_cr_above_100": prob}, as_of=as_of, policies=policies)
    add_rule_check(rep, checks, name="review_rule_check", as_of=as_of)
    return {"groups": int(rated["group"].nunique()), "loss_ratio": whole,
            "prob_cr_above_100": prob}


# --------------------------------------------------------------------------------- tuning
def _grid(given, default, own) -> list[float]:
    """The grid of one term: the values given, else the default with the product's own."""
    if given is not None:
        return [float(x) for x in given]
    return sorted({float(x) for x in default} | {float(own)})


def add_tuning(rep: Report, product: Product, risks: pd.DataFrame, *, deductibles=None,
               payout_ratios=None, max_price: float | None = None,
               max_prob_loss: float | None = 0.10, limits=None, aggregate_multiples=None,
               as_of, policies=()) -> dict:
    """Tuning sections of a smallbiz product: every design at its required premium, the
    frontier and the choice under ``max_price`` and ``max_prob_loss``.

    * property (``risks``: the firms): 免赔额 × 赔付比例 (:func:`puhui.smallbiz.tune_property`);
    * liability (``risks``: the policies, ``units``): 每次事故赔偿限额 (``limits``) × 累计赔偿
      限额 (``aggregate_multiples`` of it) × 免赔额 (``deductibles``), risk-loaded to
      ``max_prob_loss`` (:func:`puhui.smallbiz.tune_liability`);
    * employer (``risks``: the groups): 每人伤亡责任限额 (``limits``) × 医疗免赔额
      (``deductibles``) × 赔付比例 (``payout_ratios``), by 职业类别
      (:func:`puhui.smallbiz.tune_employer`).
    """
    from ..errors import ParameterError
    from ..tuning import plot_frontier

    t = product.terms
    if product.kind == "property":
        if limits is not None or aggregate_multiples is not None:
            raise ParameterError("limits apply to liability and employer products, not property")
        d = list(DEFAULT_DEDUCTIBLES if deductibles is None else deductibles)
        r = list(DEFAULT_RATIOS if payout_ratios is None else payout_ratios)
        table, choice = tune_property(product, risks, d, r, max_price=max_price,
                                      max_prob_loss=max_prob_loss)
        grid = {"deductibles": d, "payout_ratios": r}
        benefit = "share_paid"
        rep.heading(f"Tuning (方案调优: 每次事故免赔额 × 赔付比例): {product.name}",
                    zh=f"方案调优（每次事故免赔额 × 赔付比例）：{product.name}")
        what = (f"{len(table)} designs on {len(risks):,} risks; each at its required premium "
                "(the one gross-up at the target 综合成本率), P(CR > 100%) by NP2 at that "
                "premium. Objective: share of losses paid, then indemnity share.",
                f"共 {len(table)} 个方案，{len(risks):,} 个标的；每个方案按其所需保费（目标综合"
                "成本率下的毛保费）计算，并按 NP2 近似计算该保费下综合成本率超过 100% 的概率。"
                "目标：获赔损失占比最大，其次为赔偿占比最大。")
    elif product.kind == "liability":
        if payout_ratios is not None:
            raise ParameterError("--payout-ratio does not apply to a liability product (its "
                                 "terms are limits and a deductible)")
        lim = _grid(limits, DEFAULT_LIMITS, t.limit_per_accident)
        mult = list(DEFAULT_AGGREGATE_MULTIPLES if aggregate_multiples is None
                    else aggregate_multiples)
        d = _grid(deductibles, DEFAULT_LIABILITY_DEDUCTIBLES, t.deductible)
        table, choice = tune_liability(product, risks["units"].to_numpy(float), lim, mult, d,
                                       max_price=max_price, max_prob_loss=max_prob_loss)
        grid = {"limits": lim, "aggregate_multiples": mult, "deductibles": d}
        benefit = "indemnity_share"
        rep.heading(f"Tuning (方案调优: 每次事故赔偿限额 × 累计赔偿限额 × 免赔额): {product.name}",
                    zh=f"方案调优（每次事故赔偿限额 × 累计赔偿限额 × 免赔额）：{product.name}")
        alpha = "—" if max_prob_loss is None else f"{max_prob_loss:.0%}"
        what = (f"{len(table)} designs on {len(risks):,} policies. Each design's required premium "
                "is the larger of the premium at the target 综合成本率 and the premium at which "
                f"P(CR > 100%) = {alpha} (NP2 on the book's cumulants from one batched FFT): a "
                "book of small liability policies is too spread for the target's margin alone. "
                "Objective: share of the ground-up liability losses paid (indemnity share), then "
                "share of accidents paid.",
                f"共 {len(table)} 个方案，{len(risks):,} 张保单。每个方案的所需保费取目标综合成本率"
                f"下的保费与使综合成本率超过 100% 的概率等于 {alpha} 的保费两者中的较大者（基于一次"
                "批量 FFT 得到的整体累积量，NP2 近似）：小额责任险保单组合的波动较大，仅靠目标"
                "综合成本率的利润空间不足以覆盖。目标：赔偿占全部责任损失的比例最大，其次为获赔"
                "事故占比最大。")
    else:
        lim = _grid(limits, DEFAULT_PERSON_LIMITS, t.death_disability_limit)
        d = _grid(deductibles, DEFAULT_MEDICAL_DEDUCTIBLES, t.medical_deductible)
        r = _grid(payout_ratios, DEFAULT_MEDICAL_RATIOS, t.medical_ratio)
        if aggregate_multiples is not None:
            raise ParameterError("aggregate limits apply to liability products only")
        graded = t.grade_probabilities is not None
        if not graded:
            max_prob_loss = None
        table, choice = tune_employer(product, risks, lim, d, r, max_price=max_price,
                                      max_prob_loss=max_prob_loss, risk_loading=graded)
        grid = {"limits": lim, "deductibles": d, "payout_ratios": r}
        benefit = "indemnity_share"
        alpha = "—" if max_prob_loss is None else f"{max_prob_loss:.0%}"
        if graded:
            risk = ("Each design's required premium is the larger of the premium at the target "
                    f"综合成本率 and the premium at which P(CR > 100%) = {alpha} (NP2 on the "
                    "book's cumulants with the grades' distribution 伤残等级 1–10): a few "
                    "hundred heads with a 伤亡 limit of several hundred thousand 元 are too "
                    "spread for the target's margin alone.",
                    "每个方案的所需保费取目标综合成本率下的保费与使综合成本率超过 100% 的概率等于 "
                    f"{alpha} 的保费两者中的较大者（按伤残等级 1–10 分布计算整体累积量，NP2 近似）："
                    "数百人、每人伤亡责任限额达数十万元的业务波动较大，仅靠目标综合成本率的利润空间"
                    "不足以覆盖。")
        else:
            risk = _NO_EMPLOYER_PROB
        rep.heading(f"Tuning (方案调优: 每人伤亡责任限额 × 医疗免赔额 × 赔付比例): {product.name}",
                    zh=f"方案调优（每人伤亡责任限额 × 医疗免赔额 × 赔付比例）：{product.name}")
        what = (f"{len(table)} designs on {len(risks):,} groups; the rates of 职业类别 1–6 per "
                "design at the target 综合成本率 (columns gross_class_1…6); premium at target "
                "= mean gross per head on the book's class mix. Objective: indemnity share, "
                "then share of injuries paid. " + risk[0],
                f"共 {len(table)} 个方案，{len(risks):,} 个团体；各方案在目标综合成本率下的职业类别 "
                "1–6 每人费率（gross_class_1…6 列）；目标综合成本率下的保费为按本业务职业类别结构"
                "计算的每人平均毛保费。目标：赔偿占比最大，其次为获赔伤者占比最大。" + risk[1])
    limits_txt = ", ".join(f"{c} {op} {v:g}" for c, op, v in choice.constraints.limits())
    rep.text(f"{what[0]} Constraints: {limits_txt or 'none'}.",
             zh=f"{what[1]}约束：{limits_txt or '无'}。")
    rep.table("tuning_designs", table, caption="Every design", caption_zh="全部方案",
              max_rows=30)
    rep.table("tuning_frontier", table[table["frontier"]],
              caption="The Pareto frontier: no design is cheaper with a higher benefit",
              caption_zh="帕累托前沿：不存在保费更低而保障更高的方案")
    if choice.design is None:
        rep.text("**No design meets the constraints**: relax the budget or the ceiling on "
                 "P(CR > 100%).",
                 zh="**没有满足约束的方案**：请放宽预算或综合成本率超过 100% 的概率上限。")
    else:
        row = choice.row
        terms_en, terms_zh = _design_terms(product.kind, row)
        req, feas = f"{row['required_premium']:,.2f}", f"{choice.feasible_designs}"
        prob = row["prob_cr_above_100"]
        pr = "not computed" if not np.isfinite(prob) else f"{prob:.2%}"
        pr_zh = "未计算" if not np.isfinite(prob) else f"{prob:.2%}"
        cr, ben = f"{row['expected_cr']:.1%}", f"{row[benefit]:.1%}"
        unit_en = {"property": "risk", "liability": "policy", "employer": "head"}[product.kind]
        unit_zh = {"property": "每个标的", "liability": "每张保单", "employer": "每人"}[
            product.kind]
        ben_zh = {"share_paid": "获赔损失占比", "indemnity_share": "赔偿占比"}[benefit]
        rep.text(f"**Chosen design {choice.design}**: {terms_en}; required premium "
                 f"{req} 元 per {unit_en}, expected 综合成本率 {cr}, P(CR > 100%) {pr}, "
                 f"{benefit.replace('_', ' ')} {ben} ({feas} of {choice.designs} designs meet "
                 "the constraints).",
                 zh=f"**选定方案 {choice.design}**：{terms_zh}；所需保费{unit_zh} {req} 元，预期综合"
                    f"成本率 {cr}，综合成本率超过 100% 的概率 {pr_zh}，{ben_zh} {ben}（{choice.designs} "
                    f"个方案中有 {feas} 个满足约束）。")
        rep.table("tuning_choice", choice.summary(), caption="Constraints at the chosen design",
                  caption_zh="选定方案的约束情况")
    rep.figure("tuning_frontier", plot_frontier(table, benefit=benefit,
                                                chosen=choice.design).figure,
               caption=f"Required premium against {benefit.replace('_', ' ')}; frontier and "
                       "choice",
               caption_zh=f"所需保费与{'获赔损失占比' if benefit == 'share_paid' else '赔偿占比'}"
                          "；帕累托前沿与选定方案")
    values = ({"combined_ratio": float(choice.row["expected_cr"]),
               "prob_cr_above_100": float(choice.row["prob_cr_above_100"])}
              if choice.design is not None else {"combined_ratio": np.nan})
    checks = rule_check(product, values, as_of=as_of, policies=policies)
    add_rule_check(rep, checks, name="tuning_rule_check", as_of=as_of)
    return {**grid, "max_price": max_price, "max_prob_loss": max_prob_loss,
            "chosen_design": choice.design}


def _design_terms(kind: str, row) -> tuple[str, str]:
    """A chosen design's terms, in English and Chinese."""
    if kind == "property":
        d, r = f"{row['deductible']:,.0f}", f"{row['payout_ratio']:.0%}"
        return (f"每次事故免赔额 {d} 元, 赔付比例 {r}", f"每次事故免赔额 {d} 元，赔付比例 {r}")
    if kind == "liability":
        lim, agg, d = (f"{row['limit_per_accident']:,.0f}", f"{row['aggregate_limit']:,.0f}",
                       f"{row['deductible']:,.0f}")
        return (f"每次事故赔偿限额 {lim} 元, 累计赔偿限额 {agg} 元, 每次事故免赔额 {d} 元",
                f"每次事故赔偿限额 {lim} 元，累计赔偿限额 {agg} 元，每次事故免赔额 {d} 元")
    lim, d, r = (f"{row['death_disability_limit']:,.0f}", f"{row['medical_deductible']:,.0f}",
                 f"{row['medical_ratio']:.0%}")
    return (f"每人伤亡责任限额 {lim} 元, 医疗免赔额 {d} 元, 医疗赔付比例 {r}",
            f"每人伤亡责任限额 {lim} 元，医疗免赔额 {d} 元，医疗赔付比例 {r}")
