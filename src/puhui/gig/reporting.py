"""Report sections of gig-worker cover (新就业形态人员专属灵活型保险): price, review, tuning
and the rule check, appended to a :class:`puhui.report.Report` (``puhui price|review|tune`` on a
gig product file; :mod:`puhui.cli.gig`).

The numbers come from :mod:`.pricing`, :mod:`.review` and :mod:`.tuning`; this module arranges
them. The rule check runs :func:`puhui.rules.check` with the regulation rulebooks in force on
the valuation date — none applies to gig-worker cover (they are scoped to agriculture and
惠民保; puhui has no rulebook for this cover yet), and the report says so — and the family's
EXAMPLE company policy book (``gig_policy_example.toml``: 综合成本率 ≤ 95 %, P(CR > 100 %) ≤
10 %, at most 3 元 a rider-day) with any policy book the user gives.

Every heading, sentence and caption is written in both languages (:meth:`puhui.report.Report.tr`
and the ``zh=`` / ``caption_zh=`` arguments): a ``lang="zh"`` report (``puhui … --lang zh``) is
Chinese throughout, with the same numbers as the English one; its figure is drawn in the report's
language.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from ..experience.exposure import activity_exposure
from ..report import Report
from ..report.labels import language
from ..rules import check
from .pricing import line_table, unit_premiums
from .product import GigProduct
from .review import fit_factors, prob_cr_above, review, season_of
from .tuning import choose, tune

__all__ = ["POLICY_EXAMPLE", "add_price", "add_review", "add_rule_check", "add_tuning",
           "rule_check"]

#: The family's EXAMPLE company policy rulebook (checked on every run; not a regulation).
POLICY_EXAMPLE = Path(__file__).with_name("gig_policy_example.toml")
#: The default tuning grid: medical 免赔额 (元) × 赔付比例 × premium per order (× the filed).
DEFAULT_DEDUCTIBLES = (0.0, 100.0, 200.0, 500.0)
DEFAULT_RATIOS = (0.6, 0.7, 0.8, 0.9, 1.0)
DEFAULT_PREMIUM_STEPS = (0.9, 1.0, 1.1, 1.2, 1.3)


def rule_check(values: dict, *, as_of, policies=()) -> pd.DataFrame:
    """:func:`puhui.rules.check` of ``values`` (``combined_ratio``, ``loss_ratio``,
    ``prob_cr_above_100``, ``premium_per_day``) against the regulations in force on ``as_of``
    (scope: sector ``gig_economy``, line ``gig`` — no shipped regulation has that scope) and the
    family's example policy book plus ``policies``."""
    return check(values, scope={"sector": "gig_economy", "line": "gig"},
                 policies=[POLICY_EXAMPLE, *policies], as_of=as_of)


def add_rule_check(rep: Report, table: pd.DataFrame, *, name: str, as_of) -> None:
    """The rule-check section: which rulebooks were checked, and their rows."""
    from ..rules import rulebook

    books = table.attrs.get("books", [])
    regulations = []
    for b in books:
        try:
            if rulebook(b).kind == "regulation":
                regulations.append(b)
        except Exception:  # a policy book given as a file is not a shipped id
            pass
    policies = [b for b in books if b not in regulations]
    rep.heading("Rule check (合规检查)", level=3, zh="合规检查")
    if not (table["kind"] == "regulation").any():
        rep.text(f"**No regulation rulebook in force for this family**: the regulation books in "
                 f"force on {as_of} ({', '.join(regulations) or 'none'}) are scoped to "
                 "agriculture and 惠民保; puhui has no rulebook for gig-worker cover (专属灵活型"
                 "保险) yet. The rows below are company policy only "
                 f"({', '.join(policies)}; the example book is an EXAMPLE, not a regulation).",
                 zh=f"**本险种没有现行有效的监管规则库**：{as_of} 有效的监管规则库"
                 f"（{'、'.join(regulations) or '无'}）仅适用于农业保险和惠民保，puhui 尚无"
                 "新就业形态人员专属灵活型保险的规则库。下表各行仅为公司内部政策"
                 f"（{'、'.join(policies)}；示例规则库仅作示例，并非监管规定）。")
    if len(table) == 0:
        rep.text("No quantity to check (no design chosen).",
                 zh="没有可检查的指标（未选定方案）。")
    rep.table(name, table[["rule", "quantity", "value", "limit", "passed", "kind", "source"]],
              caption="Rules checked (puhui.rules.check): value, limit and whether it holds",
              caption_zh="已检查的规则（puhui.rules.check）：指标值、限值及是否满足")


def _activity(log: pd.DataFrame, by) -> pd.DataFrame:
    return activity_exposure(log.assign(season=season_of(log["date"])), by=list(by),
                             period=None, measures=("orders", "hours"))


#: Axis names (Chinese, English) of the tuning figure: the benefit ratio is drawn as a fraction.
FRONTIER_AXES = {"premium_per_day": ("每人天保费（元）", "premium per rider-day (元)"),
                 "benefit_ratio": ("赔付率 E/P", "benefit ratio E/P")}
#: The premium basis of a product file (``premium_basis``) in Chinese: 元 per 单 / 人天 / 小时.
BASIS_ZH = {"order": "单", "day": "人天", "hour": "小时"}


def _limit_text(column: str, op: str, value: float, lang: str | None) -> str:
    """A tuning constraint as a reader says it, with the quantity's label and unit:
    ``expected CR ≤ 95%``, ``预期综合成本率 ≤ 95%``, ``required premium ≤ 3 元``.

    >>> _limit_text("expected_cr", "<=", 0.95, "zh"), _limit_text("required_premium", "<=", 3, None)
    ('预期综合成本率 ≤ 95%', 'required premium ≤ 3 元')
    """
    from ..report.labels import lookup

    q = lookup(column)
    sign = {"<=": "≤", ">=": "≥"}.get(op, op)
    if q is None:
        return f"{column} {sign} {value:g}"
    shown = (f"{100 * value:.10g}%" if q.kind == "percent"
             else f"{value:g} 元" if q.unit_for(lang) == "元" else f"{value:g}")
    return f"{q.label(lang)} {sign} {shown}"


def _premium_per_day(product: GigProduct, log: pd.DataFrame, premium: float) -> float:
    """The price a rider sees, 元 per day worked, of ``premium`` on the product's basis."""
    units = {"order": log["orders"].sum(), "day": len(log), "hour": log["hours"].sum()}
    return float(premium * units[product.premium_basis] / len(log))


# ---------------------------------------------------------------------------------- price
def add_price(rep: Report, product: GigProduct, log: pd.DataFrame, *, as_of,
              policies=()) -> dict:
    """Pricing sections: per line, per order / day / hour by city and by city × season, the
    filed premium against the indicated one, P(CR > 100 %) at the filed premium."""
    rep.heading(f"Pricing (按单/按天/按小时定价): {product.name}",
                zh=f"定价（按单、按天、按小时）：{product.name}")
    lines = line_table(product).rename(columns={"mean_loss": "mean_severity"})  # 案均损失
    whole = unit_premiums(product, _activity(log, ()))
    by_city = unit_premiums(product, _activity(log, ("city",)), by=("city",))
    by_cell = unit_premiums(product, _activity(log, ("city", "season")), by=("city", "season"))
    p = float(whole["premium_per_order"].iloc[0])
    e = product.expenses
    filed = product.premium
    tau, v, k = (f"{product.target_combined_ratio:.0%}", f"{e.variable_rate:.1%}",
                 f"{e.per_claim:g}")
    orders, days = f"{log['orders'].sum():,.0f}", f"{len(log):,}"
    per_day = f"{float(whole['premium_per_day'].iloc[0]):.2f}"
    per_hour = f"{float(whole['premium_per_hour'].iloc[0]):.3f}"
    rep.text(f"Frequencies per million orders, factors f_city·f_season of the product file; "
             f"pure premium E = f Σ λ_l E[Y_l], gross P = (E + k·n)/(τ − v) with τ = "
             f"{tau}, v = {v}, k = {k} 元 per claim. On the activity log ({orders} "
             f"orders, {days} rider-days): **{p:.4f} 元 an order**, "
             f"{per_day} 元 a rider-day, {per_hour} 元 an hour.",
             zh=f"出险频率按每百万单计，城市与季节系数 f_city·f_season 取自产品文件；纯保费 "
             f"E = f Σ λ_l E[Y_l]，毛保费 P = (E + k·n)/(τ − v)，其中目标综合成本率 τ = {tau}，"
             f"变动费用率 v = {v}，每件赔案理赔费用 k = {k} 元。按作业记录（{orders} 单，"
             f"{days} 人天）：**每单 {p:.4f} 元**，每人天 {per_day} 元，每小时 {per_hour} 元。")
    rep.table("price_lines", lines, caption="Benefit lines before factors: events per million "
              "orders, mean loss, expected payout, pure premium per order",
              caption_zh="各项责任（未乘城市与季节系数）：每百万单出险次数、平均损失、期望赔付、"
              "每单纯保费", floatfmt=",.6g")
    rep.table("price_by_city", by_city, caption="Gross premium per order, rider-day and hour "
              "by city", caption_zh="分城市的每单、每人天、每小时毛保费", floatfmt=",.4f")
    rep.table("price_by_city_season", by_cell, caption="… by city × season (quarter)",
              caption_zh="分城市 × 季节（季度）的每单、每人天、每小时毛保费", floatfmt=",.4f")
    values = {"combined_ratio": product.target_combined_ratio,
              "premium_per_day": float(whole["premium_per_day"].iloc[0])}
    out = {"premium_per_order": p}
    if filed is not None:
        income = float(np.sum(_income(product, log)))
        prob = float(prob_cr_above(product, log, premium=income))
        per_day = _premium_per_day(product, log, filed)
        basis = BASIS_ZH.get(product.premium_basis, product.premium_basis)
        rep.text(f"Filed premium {filed:g} 元 per {product.premium_basis} "
                 f"({per_day:.2f} 元 a rider-day): income {income:,.2f} 元 on the log, "
                 f"P(CR > 100%) of a year at the filed premium {prob:.2%} (NP2 on the "
                 "compound-Poisson cumulants).",
                 zh=f"报备保费每{basis} {filed:g} 元（每人天 {per_day:.2f} 元）：按作业记录保费收入 "
                 f"{income:,.2f} 元；按报备保费，一年的综合成本率超过 100% 的概率 P(CR > 100%) "
                 f"为 {prob:.2%}（复合泊松累积量的 NP2 近似）。")
        values.update(prob_cr_above_100=prob)
        out.update(filed=filed, prob_cr_above_100_filed=prob)
    checks = rule_check(values, as_of=as_of, policies=policies)
    add_rule_check(rep, checks, name="price_rule_check", as_of=as_of)
    return out


def _income(product: GigProduct, log: pd.DataFrame):
    from .pricing import premium_income

    return premium_income(product, log["orders"].sum(), len(log), log["hours"].sum())


# --------------------------------------------------------------------------------- review
def add_review(rep: Report, product: GigProduct, log: pd.DataFrame, claims: pd.DataFrame, *,
               as_of, policies=(), factors: bool = True) -> dict:
    """Review sections: A/E by platform × city with credibility, Bühlmann–Straub on the
    monthly A/E, death and disability as large losses, the year's ratios, P(CR > 100 %), the
    GLM's city and season factors (``factors``) and the rule check."""
    if product.premium is None:
        from ..errors import ParameterError

        raise ParameterError("a review needs the filed premium: set [product] premium in the "
                             "product file")
    res = review(product, log, claims, policies=())
    r = res.ratios
    rep.heading(f"Retrospective review (回溯): {product.name}", zh=f"经验回溯：{product.name}")
    orders, n_claims = f"{log['orders'].sum():,.0f}", f"{len(claims):,}"
    lr, er, cr = (f"{r[k]:.1%}" for k in ("loss_ratio", "expense_ratio", "combined_ratio"))
    large, prob = f"{r['combined_ratio_large_at_expected']:.1%}", f"{res.prob_cr_above_100:.2%}"
    basis = BASIS_ZH.get(product.premium_basis, product.premium_basis)
    rep.text(f"{orders} orders and {n_claims} claims; premium earned on "
             f"the day worked at the filed {product.premium:g} 元 per {product.premium_basis}. "
             f"综合赔付率 {lr}, 综合费用率 {er}, 综合成本率 {cr} (with death and disability at "
             f"their expected cost: {large}). P(CR > 100%) next year at the same activity and "
             f"price: {prob}.",
             zh=f"共 {orders} 单、{n_claims} 件赔案；保费按报备的每{basis} {product.premium:g} 元"
             f"在作业当日确认为已赚保费。综合赔付率 {lr}，综合费用率 {er}，综合成本率 {cr}"
             f"（身故与伤残按预期成本计：{large}）。业务量与价格不变时，下一年 P(CR > 100%) "
             f"为 {prob}。")
    rep.table("review_ratios", pd.DataFrame({"quantity": list(r), "value": list(r.values())}),
              caption="The year's ratios (puhui.ratios.combined_ratio)",
              caption_zh="本年度各项比率（puhui.ratios.combined_ratio）")
    rep.table("review_ae", res.ae.summary(), caption="A/E of medical and liability claims by "
              "platform × city: exact intervals, limited-fluctuation credibility",
              caption_zh="分平台 × 城市的医疗与责任赔案 A/E：精确区间，有限波动信度")
    rep.table("review_buhlmann_straub", res.buhlmann, caption="Bühlmann–Straub on the monthly "
              "amount A/E by platform × city",
              caption_zh="分平台 × 城市逐月赔款金额 A/E 的 Bühlmann–Straub 信度")
    rep.table("review_large_losses", res.large_losses, caption="Death and disability (大额): "
              "actual against expected count (exact Poisson interval) and amount",
              caption_zh="身故与伤残（大额）：实际与预期件数（泊松精确区间）及金额")
    out = {"loss_ratio": r["loss_ratio"], "combined_ratio": r["combined_ratio"],
           "prob_cr_above_100": res.prob_cr_above_100}
    if factors:
        fit, _ = fit_factors(product, log, claims)
        t = fit.factor_table
        keep = [c for c in ("factor", "level", "exposure", "claim_count",
                            "frequency_relativity", "credibility") if c in t.columns]
        shown = t[keep].rename(columns={"factor": "dimension", "exposure": "orders"})
        rep.table("review_factors", shown, caption="City and season frequency relativities: "
                  "Poisson GLM, offset log(orders), platform a control "
                  "(puhui.experience.glm.fit_rate_groups)",
                  caption_zh="城市与季节的频率相对系数：泊松 GLM，偏移项 log(单量)，平台作为"
                  "控制变量（puhui.experience.glm.fit_rate_groups）")
    checks = rule_check({"combined_ratio": r["combined_ratio"], "loss_ratio": r["loss_ratio"],
                         "prob_cr_above_100": res.prob_cr_above_100}, as_of=as_of,
                        policies=policies)
    add_rule_check(rep, checks, name="review_rule_check", as_of=as_of)
    return out


# --------------------------------------------------------------------------------- tuning
def add_tuning(rep: Report, product: GigProduct, log: pd.DataFrame, *, deductibles=None,
               payout_ratios=None, premiums=None, max_premium_per_day: float = 3.0,
               max_prob_loss: float = 0.10, as_of, policies=()) -> dict:
    """Tuning sections: medical 免赔额 × 赔付比例 × premium per order
    (:func:`puhui.gig.tuning.tune`), the frontier (price per rider-day against benefit ratio)
    and the choice within the daily budget, the target 综合成本率 and P(CR > 100 %) ≤ α."""
    from ..tuning import plot_frontier

    d = list(DEFAULT_DEDUCTIBLES if deductibles is None else deductibles)
    r = list(DEFAULT_RATIOS if payout_ratios is None else payout_ratios)
    if premiums is None:
        base = product.premium if product.premium is not None else float(
            unit_premiums(product, _activity(log, ()))["premium_per_order"].iloc[0])
        premiums = [round(base * s, 4) for s in DEFAULT_PREMIUM_STEPS]
    p = list(premiums)
    table = tune(product, log, deductibles=d, payout_ratios=r, premiums=p)
    choice = choose(table, max_premium_per_day=max_premium_per_day,
                    max_combined_ratio=product.target_combined_ratio,
                    max_prob_loss=max_prob_loss)
    rep.heading(f"Tuning (方案调优: 医疗免赔额 × 赔付比例 × 每单保费): {product.name}",
                zh=f"方案调优（医疗免赔额 × 赔付比例 × 每单保费）：{product.name}")
    limits = choice.constraints.limits()
    orders = f"{log['orders'].sum():,.0f}"
    rep.text(f"{len(table)} designs on the log's {orders} orders; expected CR "
             "(E + k·n)/P + v, P(CR > 100%) by NP2 for a book of the log's size, benefit ratio "
             f"E/P. Objective: benefit ratio, then share of medical accidents paid. Constraints: "
             + ", ".join(_limit_text(*c, rep.lang) for c in limits)
             + " (required premium = premium per rider-day).",
             zh=f"在作业记录的 {orders} 单上评估 {len(table)} 个方案；预期综合成本率 = "
             "(E + k·n)/P + v，P(CR > 100%) 按与作业记录同等规模的业务以 NP2 近似计算，"
             "赔付率 = E/P。目标：赔付率最高，其次为医疗事故获赔比例最高。约束："
             + "，".join(_limit_text(*c, "zh") for c in limits) + "（所需保费即每人天保费）。")
    rep.table("tuning_designs", table, caption="Every design", caption_zh="全部方案",
              max_rows=30, floatfmt=",.4f")
    rep.table("tuning_frontier", table[table["frontier"]], caption="The Pareto frontier: no "
              "design is cheaper a day with a higher benefit ratio",
              caption_zh="帕累托前沿：没有其他方案每人天更便宜而赔付率更高", floatfmt=",.4f")
    if choice.design is None:
        rep.text("**No design meets the constraints** for a book of this size: a larger book, "
                 "a higher budget or a looser ceiling on P(CR > 100%) is needed.",
                 zh="按当前业务规模，**没有满足全部约束的方案**：需要更大的业务规模、更高的"
                 "每人天预算，或放宽 P(CR > 100%) 的上限。")
        values = {"combined_ratio": np.nan}
    else:
        row = choice.row
        ded, ratio = f"{row['medical_deductible']:,.0f}", f"{row['medical_ratio']:.0%}"
        per_order, per_day = f"{row['premium_per_order']:g}", f"{row['premium_per_day']:.2f}"
        cr, prob = f"{row['expected_cr']:.1%}", f"{row['prob_cr_above_100']:.2%}"
        benefit = f"{row['benefit_ratio']:.1%}"
        rep.text(f"**Chosen design {choice.design}**: medical 免赔额 {ded} 元, 赔付比例 {ratio}, "
                 f"{per_order} 元 an order ({per_day} 元 a rider-day); expected CR {cr}, "
                 f"P(CR > 100%) {prob}, benefit ratio {benefit} ({choice.feasible_designs} of "
                 f"{choice.designs} designs meet the constraints).",
                 zh=f"**选定方案 {choice.design}**：医疗免赔额 {ded} 元，赔付比例 {ratio}，每单 "
                 f"{per_order} 元（每人天 {per_day} 元）；预期综合成本率 {cr}，P(CR > 100%) 为 "
                 f"{prob}，赔付率 {benefit}（{choice.designs} 个方案中有 "
                 f"{choice.feasible_designs} 个满足约束）。")
        rep.table("tuning_choice", choice.summary(), caption="Constraints at the chosen design",
                  caption_zh="选定方案的各项约束")
        values = {"combined_ratio": float(row["expected_cr"]),
                  "prob_cr_above_100": float(row["prob_cr_above_100"]),
                  "premium_per_day": float(row["premium_per_day"])}
    with language(rep.lang):  # the figure's labels in the report's language
        ax = plot_frontier(table, cost="premium_per_day", benefit="benefit_ratio",
                           chosen=choice.design, labels=FRONTIER_AXES)
    rep.figure("tuning_frontier", ax.figure,
               caption="Premium per rider-day against benefit ratio; frontier and choice",
               caption_zh="每人天保费与赔付率：帕累托前沿与选定方案")
    checks = rule_check(values, as_of=as_of, policies=policies)
    add_rule_check(rep, checks, name="tuning_rule_check", as_of=as_of)
    return {"deductibles": d, "payout_ratios": r, "premiums": p,
            "max_premium_per_day": max_premium_per_day, "max_prob_loss": max_prob_loss,
            "chosen_design": choice.design}
