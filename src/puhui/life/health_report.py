"""Report sections of special-group health cover (特定人群普惠健康险): price, review, tuning and
the rule check, in English and Chinese, appended to a :class:`puhui.report.Report`
(``puhui price|review|tune`` on a health product file; :mod:`puhui.cli.health`).

The numbers come from :mod:`.health_product` and :mod:`.health_review`; this module arranges
them. Every text is given in both languages (``rep.text(en, zh=…)``): a ``lang="zh"`` report
has ``rep.untranslated == []``, and the numbers are the same in both. The rule check runs
:func:`puhui.rules.check` with the regulations in force (none is scoped to this cover, and the
report says so) and the family's EXAMPLE company policy book ``health_policy_example.toml``
(综合成本率 ≤ 95 %, P(CR > 100 %) ≤ 10 %, premium ≤ 300 元 a year, ≥ 50 % of stays paid).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..report import Report
from ..report.labels import lookup
from .health_product import GROUPS, HealthPlan
from .health_review import (
    choose,
    next_year_book,
    prob_cr_above,
    review,
    rule_check,
    tune,
)

__all__ = ["DEFAULT_DEDUCTIBLES", "DEFAULT_LIMITS", "DEFAULT_LUMP_SUMS", "DEFAULT_RATIOS",
           "add_price", "add_review", "add_rule_check", "add_tuning"]

#: The default tuning grid: 起付线 (元) × 赔付比例 × 年度限额 (元) × cancer lump sum (元).
DEFAULT_DEDUCTIBLES = (0.0, 200.0, 500.0, 1_000.0)
DEFAULT_RATIOS = (0.5, 0.6, 0.7, 0.8, 0.9)
DEFAULT_LIMITS = (10_000.0, 20_000.0, 50_000.0)
DEFAULT_LUMP_SUMS = (5_000.0, 10_000.0, 20_000.0)

#: Chinese headers of the columns the report registry does not know.
_ZH = {"lump_sum": "癌症保额（元）", "exposure": "暴露（人年）", "cancer_part": "癌症部分（元）",
       "medical_part": "医疗部分（元）", "net": "纯保费（元）", "indicated": "指示毛保费（元）",
       "filed": "备案保费（元）", "expected_cr_at_filed": "备案保费下预期综合成本率",
       "expected_cr_max_group": "各人群最高预期综合成本率",
       "incidence_loading": "癌症发生率系数", "hospital_stays": "年住院次数",
       "revised_incidence_loading": "修订后癌症发生率系数",
       "revised_hospital_stays": "修订后年住院次数", "constraint": "约束", "slack": "余量",
       "binding": "是否紧约束", "net_claims_incurred": "赔款支出（元）",
       "total_expenses": "费用支出（元）"}


def _headers(rep: Report, df: pd.DataFrame) -> pd.DataFrame:
    """``df`` with the Chinese header of each column the registry does not know, in a
    ``lang="zh"`` report (``required_premium_<group>`` → 所需保费：<人群>)."""
    if rep.lang != "zh":
        return df
    names = {}
    for c in df.columns:
        if c.startswith("required_premium_") and c[17:] in GROUPS:
            names[c] = f"所需保费：{GROUPS[c[17:]]}（元）"
        elif c in _ZH and lookup(c) is None:
            names[c] = _ZH[c]
    return df.rename(columns=names)


def _group_label(rep: Report, names) -> list[str]:
    return [GROUPS[g] if rep.lang == "zh" else g for g in names]


def add_rule_check(rep: Report, table: pd.DataFrame, *, name: str, as_of) -> None:
    """The rule-check section: which rulebooks were checked, and their rows."""
    rep.heading("Rule check (合规检查)", level=3, zh="合规检查")
    books = ", ".join(table.attrs.get("books", [])) or "none"
    if not (table["kind"] == "regulation").any():
        rep.text(f"**No regulation rulebook applies to this cover**: the books in force on "
                 f"{as_of} ({books}) are scoped to agriculture and 惠民保; puhui has no "
                 "rulebook for special-group health cover yet. The rows below are company "
                 "policy only (the example book is an EXAMPLE, not a regulation).",
                 zh=f"**没有适用于本产品的监管规则**：{as_of} 有效的规则手册（{books}）适用于"
                 "农业保险和惠民保；puhui 尚无特定人群健康险的监管规则手册。下表仅为公司政策"
                 "（示例手册仅为示例，并非监管规定）。")
    rep.table(name, table[["rule", "quantity", "value", "limit", "passed", "kind", "source"]],
              caption="Rules checked (puhui.rules.check): value, limit and whether it holds",
              caption_zh="规则检查（puhui.rules.check）：取值、限值及是否满足")


def _share_paid(plan: HealthPlan) -> float:
    return float(plan.severity.sf(plan.deductible))


# ---------------------------------------------------------------------------------- price
def add_price(rep: Report, plan: HealthPlan, members: pd.DataFrame, *, as_of,
              policies=()) -> dict:
    """Pricing sections: by group on next year's book (the latest policy year's members),
    the net premium's cancer and medical parts, the indicated gross premium at the target CR
    against the filed, expected CR and P(CR > 100 %) at the filed premiums, the rule check."""
    book = next_year_book(members)
    e = plan.expenses
    tau = plan.target_combined_ratio
    rows = []
    for g in plan.groups:
        b = book[book["group"].astype(str) == g]
        if len(b) == 0:
            continue
        p = plan.product(g)
        pv = p.present_values(b["age"].to_numpy())
        net = pv["net_premium"].to_numpy()
        exp = p.expected_claims(b["age"].to_numpy(), b["exposure"].to_numpy(float))
        claims = float((exp["cancer_amount"] + exp["medical_amount"]).sum())
        filed = plan.groups[g].premium
        n = float(b["exposure"].sum())
        rows.append({"group": g, "members": n,
                     "cancer_part": float(np.mean(pv["lump"] / pv["annuity"])),
                     "medical_part": float(np.mean(pv["medical"] / pv["annuity"])),
                     "net": float(net.mean()),
                     "indicated": float(np.mean(p.gross_premium(b["age"].to_numpy(), tau))),
                     "filed": np.nan if filed is None else filed,
                     "expected_cr_at_filed": np.nan if filed is None else
                     (claims + e.per_member * n) / (filed * n) + e.variable_rate})
    table = pd.DataFrame(rows)
    rep.heading(f"Pricing (定价): {plan.name}", zh=f"定价：{plan.name}")
    rep.text(f"Next year's book: the latest policy year's {len(book):,} members, a full year "
             f"each. Net premium P = (S·A + m·M)/ä per age (cancer lump sum S = "
             f"{plan.lump_sum:,.0f} 元 on the NCC 2015 incidence × the group's loading; medical "
             f"m = λ E[min(r (X − d)+, C)] with 起付线 d = {plan.deductible:,.0f} 元, 赔付比例 r = "
             f"{plan.payout_ratio:.0%}, 限额 C = {plan.limit:,.0f} 元), averaged over the group's "
             f"ages; gross G = (P + e)/(τ − v) with τ = {tau:.0%}, v = {e.variable_rate:.1%}, "
             f"e = {e.per_member:g} 元 a member-year.",
             zh=f"下一年度业务：最近保单年度的 {len(book):,} 名参保人，各按一整年计。各年龄纯保费 "
             f"P = (S·A + m·M)/ä（癌症定额给付 S = {plan.lump_sum:,.0f} 元，发生率为国家癌症中心 "
             f"2015 年水平乘以人群系数；医疗补充 m = λ E[min(r (X − d)+, C)]，起付线 d = "
             f"{plan.deductible:,.0f} 元，赔付比例 r = {plan.payout_ratio:.0%}，年度限额 C = "
             f"{plan.limit:,.0f} 元），按人群年龄平均；毛保费 G = (P + e)/(τ − v)，τ = {tau:.0%}，"
             f"v = {e.variable_rate:.1%}，e = 每人年 {e.per_member:g} 元。")
    shown = table.assign(group=_group_label(rep, table["group"]))
    rep.table("price_by_group", _headers(rep, shown),
              caption="By group: members, cancer and medical parts of the net premium, the "
                      "indicated gross premium at the target 综合成本率 and the filed premium",
              caption_zh="分人群：参保人数、纯保费中的癌症与医疗部分、目标综合成本率下的指示毛保费"
                         "与备案保费", floatfmt=",.2f")
    out = {"indicated": dict(zip(table["group"], table["indicated"].round(4), strict=True))}
    values = {"premium_max": float(table["filed"].max()) if table["filed"].notna().any()
              else np.nan, "share_paid": _share_paid(plan)}
    if table["filed"].notna().all():
        prob = float(prob_cr_above(plan, book))
        cr = float(np.average(table["expected_cr_at_filed"],
                              weights=table["filed"] * table["members"]))
        rep.text(f"At the filed premiums the book's expected 综合成本率 is {cr:.1%} and "
                 f"P(CR > 100%) of next year {prob:.2%} (NP2 on the cumulants of the year's "
                 "claims: cancer Bernoulli × S, medical compound Poisson).",
                 zh=f"按备案保费，业务整体预期综合成本率为 {cr:.1%}，下一年度 P(综合成本率 > 100%) "
                 f"为 {prob:.2%}（对年度赔款累积量用 NP2 近似：癌症为伯努利 × S，医疗为复合泊松）。")
        values.update(combined_ratio=cr, prob_cr_above_100=prob)
        out.update(expected_cr=cr, prob_cr_above_100=prob)
    add_rule_check(rep, rule_check(values, as_of=as_of, policies=policies),
                   name="price_rule_check", as_of=as_of)
    return out


# --------------------------------------------------------------------------------- review
def add_review(rep: Report, plan: HealthPlan, members: pd.DataFrame, claims: pd.DataFrame, *,
               as_of, policies=()) -> dict:
    """Review sections: A/E of cancer incidence and of the medical layer by group (and
    group × age band) with credibility, the statement ratios, the revised basis and
    P(CR > 100 %) of next year, the rule check."""
    res = review(plan, members, claims)
    r = res.ratios.set_index("policy_year").loc["all"]
    years = sorted(members["policy_year"].unique())
    rep.heading(f"Retrospective review (回溯): {plan.name}", zh=f"精算回溯：{plan.name}")
    rep.text(f"{members['exposure'].sum():,.0f} member-years of policy years "
             f"{years[0]}–{years[-1]} and {len(claims):,} claims (cancer diagnoses and hospital "
             f"stays; a stay pays min(r (X − d)+, C) of its cost). 已赚保费 "
             f"{r['earned_premium']:,.0f} 元, 综合赔付率 {r['loss_ratio']:.1%}, 综合费用率 "
             f"{r['expense_ratio']:.1%}, 综合成本率 {r['combined_ratio']:.1%}.",
             zh=f"保单年度 {years[0]}–{years[-1]} 共 {members['exposure'].sum():,.0f} 人年、"
             f"{len(claims):,} 笔理赔（癌症确诊与住院；住院按 min(r (X − d)+, C) 赔付）。"
             f"已赚保费 {r['earned_premium']:,.0f} 元，综合赔付率 {r['loss_ratio']:.1%}，"
             f"综合费用率 {r['expense_ratio']:.1%}，综合成本率 {r['combined_ratio']:.1%}。")
    bg = res.by_group.assign(group=_group_label(rep, res.by_group["group"]),
                             line=[rep.tr(v, {"cancer": "癌症", "medical": "医疗"}[v])
                                   for v in res.by_group["line"]])
    rep.table("review_by_group", bg, caption="A/E by group and line: exact Poisson interval "
              "of the count, compound-Poisson interval of the amount, limited-fluctuation "
              "credibility Z = min(1, √(n/1082))",
              caption_zh="分人群、分责任的 A/E：件数为精确泊松区间，金额为复合泊松区间；有限波动"
                         "信度 Z = min(1, √(n/1082))", floatfmt=",.3f")
    for key, ae, en, zh in (("review_cancer_ae", res.cancer, "Cancer incidence A/E by group × "
                             "age band", "癌症发生率 A/E（人群 × 年龄段）"),
                            ("review_medical_ae", res.medical, "Medical layer A/E by group × "
                             "age band", "医疗补充责任 A/E（人群 × 年龄段）")):
        t = ae.summary()
        rep.table(key, t.assign(group=_group_label(rep, t["group"])), caption=en,
                  caption_zh=zh, floatfmt=",.3f")
    ratios = res.ratios.assign(policy_year=[rep.tr("all", "合计") if y == "all" else y
                                            for y in res.ratios["policy_year"]])
    rep.table("review_ratios", _headers(rep, ratios), caption="Each policy year's ratios "
              "(puhui.ratios.combined_ratio; policy years are calendar years, claims settled)",
              caption_zh="各保单年度比率（puhui.ratios.combined_ratio；保单年度即会计年度，"
                         "赔案均已结案）", floatfmt=",.3f")
    sig = res.by_group[res.by_group["significant"]]
    found = "; ".join(f"{g} {line} amount A/E {a:.2f}" for g, line, a in zip(
        sig["group"], sig["line"], sig["amount_ae"], strict=True)) or "none"
    found_zh = "；".join(f"{GROUPS[g]}{'癌症' if line == 'cancer' else '医疗'}金额 A/E {a:.2f}"
                        for g, line, a in zip(sig["group"], sig["line"], sig["amount_ae"],
                                              strict=True)) or "无"
    z_cancer = float(res.by_group.loc[res.by_group["line"] == "cancer", "credibility"].max())
    rep.text(f"Significant deviations (interval excluding 1): {found}. Cancer claims are few "
             f"(credibility {z_cancer:.0%} "
             "at most), so the cancer basis stays close to the filed one. The revised basis "
             "multiplies each group's incidence loading by the credible cancer A/E and its "
             "hospital-stay rate by the credible medical amount A/E.",
             zh=f"显著偏差（区间不含 1）：{found_zh}。癌症理赔件数少（信度最高 "
             f"{z_cancer:.0%}），癌症定价"
             "基础基本维持备案水平。修订后的定价基础：各人群癌症发生率系数乘以信度加权癌症 A/E，"
             "年住院次数乘以信度加权医疗金额 A/E。")
    rows = [{"group": g, "incidence_loading": t.incidence_loading,
             "revised_incidence_loading": res.revised.groups[g].incidence_loading,
             "hospital_stays": t.hospital_stays,
             "revised_hospital_stays": res.revised.groups[g].hospital_stays}
            for g, t in plan.groups.items()]
    rev = pd.DataFrame(rows)
    rep.table("review_revised_basis", _headers(rep, rev.assign(group=_group_label(
        rep, rev["group"]))), caption="The basis filed and revised by credibility",
        caption_zh="备案定价基础与信度修订后的定价基础", floatfmt=",.4f")
    prob = res.prob_cr_above_100
    rep.text(f"P(CR > 100%) of next year at the filed premiums: {prob['filed_basis']:.2%} on "
             f"the filed basis, {prob['revised_basis']:.2%} on the revised basis.",
             zh=f"按备案保费，下一年度 P(综合成本率 > 100%)：备案定价基础下为 "
             f"{prob['filed_basis']:.2%}，修订定价基础下为 {prob['revised_basis']:.2%}。")
    values = {"combined_ratio": float(r["combined_ratio"]), "loss_ratio": float(r["loss_ratio"]),
              "prob_cr_above_100": prob["revised_basis"], "share_paid": _share_paid(plan),
              "premium_max": float(max(t.premium for t in plan.groups.values()))}
    add_rule_check(rep, rule_check(values, as_of=as_of, policies=policies),
                   name="review_rule_check", as_of=as_of)
    return {"loss_ratio": float(r["loss_ratio"]), "combined_ratio": float(r["combined_ratio"]),
            "prob_cr_above_100": prob,
            "credible_ae": {f"{g}/{line}": round(float(v), 6) for g, line, v in zip(
                res.by_group["group"], res.by_group["line"], res.by_group["credible_ae"],
                strict=True)}}


# --------------------------------------------------------------------------------- tuning
def add_tuning(rep: Report, plan: HealthPlan, members: pd.DataFrame, claims: pd.DataFrame, *,
               deductibles=None, payout_ratios=None, limits=None, lump_sums=None,
               max_prob_loss: float = 0.10, min_share_paid: float = 0.5, as_of,
               policies=()) -> dict:
    """Tuning sections on the credibility-revised basis (:func:`add_review`'s): the grid
    起付线 × 赔付比例 × 限额 × lump sum at the filed premiums, the frontier (expected CR against
    the share of stays paid), the choice and the rule check."""
    from ..tuning import plot_frontier

    grid = {k: list(v if v is not None else dflt) for k, v, dflt in (
        ("deductibles", deductibles, DEFAULT_DEDUCTIBLES),
        ("payout_ratios", payout_ratios, DEFAULT_RATIOS), ("limits", limits, DEFAULT_LIMITS),
        ("lump_sums", lump_sums, DEFAULT_LUMP_SUMS))}
    basis = review(plan, members, claims).revised
    book = next_year_book(members)
    table = tune(basis, book, **grid)
    tau = plan.target_combined_ratio
    choice = choose(table, max_combined_ratio=tau, max_prob_loss=max_prob_loss,
                    min_share_paid=min_share_paid)
    rep.heading(f"Tuning (方案调优: 起付线 × 赔付比例 × 限额 × 癌症保额): {plan.name}",
                zh=f"方案调优（起付线 × 赔付比例 × 年度限额 × 癌症保额）：{plan.name}")
    rep.text(f"{len(table)} designs on next year's book ({len(book):,} members) at the filed "
             f"premiums, on the credibility-revised basis. Expected CR (E + eN)/P + v of the "
             f"book and of each group, P(CR > 100%) by NP2, share of stays paid P(X > d). "
             f"Objective: the share of stays paid, then the benefit ratio E/P. Constraints: "
             f"expected CR ≤ {tau:.0%} for the book and every group, P(CR > 100%) ≤ "
             f"{max_prob_loss:.0%}, share paid ≥ {min_share_paid:.0%}.",
             zh=f"共 {len(table)} 个方案，基于下一年度业务（{len(book):,} 人）、备案保费和信度"
             f"修订后的定价基础。预期综合成本率 (E + eN)/P + v（整体及各人群），P(综合成本率 > "
             f"100%) 用 NP2 近似，获赔率为住院获赔比例 P(X > d)。目标：获赔率最高，其次赔付率"
             f" E/P 最高。约束：整体及各人群预期综合成本率 ≤ {tau:.0%}，P(综合成本率 > 100%) ≤ "
             f"{max_prob_loss:.0%}，获赔率 ≥ {min_share_paid:.0%}。")
    rep.table("tuning_designs", _headers(rep, table), caption="Every design",
              caption_zh="全部方案", max_rows=30, floatfmt=",.4f")
    rep.table("tuning_frontier", _headers(rep, table[table["frontier"]]),
              caption="The Pareto frontier: no design has a lower expected CR and pays more "
                      "stays", caption_zh="帕累托前沿：没有方案能以更低的预期综合成本率赔付更多住院",
              floatfmt=",.4f")
    if choice.design is None:
        rep.text("**No design meets the constraints**: a higher premium, a larger book or a "
                 "looser ceiling on P(CR > 100%) is needed.",
                 zh="**没有方案满足约束**：需要提高保费、扩大业务规模或放宽亏损概率上限。")
        values = {"combined_ratio": np.nan}
    else:
        row = choice.row
        rep.text(f"**Chosen design {choice.design}**: 起付线 {row['deductible']:,.0f} 元, "
                 f"赔付比例 {row['payout_ratio']:.0%}, 限额 {row['limit']:,.0f} 元, cancer "
                 f"{row['lump_sum']:,.0f} 元; expected CR {row['expected_cr']:.1%} (highest "
                 f"group {row['expected_cr_max_group']:.1%}), P(CR > 100%) "
                 f"{row['prob_cr_above_100']:.2%}, {row['share_paid']:.0%} of stays paid "
                 f"({choice.feasible_designs} of {choice.designs} designs meet the "
                 "constraints).",
                 zh=f"**选定方案 {choice.design}**：起付线 {row['deductible']:,.0f} 元，赔付比例 "
                 f"{row['payout_ratio']:.0%}，年度限额 {row['limit']:,.0f} 元，癌症保额 "
                 f"{row['lump_sum']:,.0f} 元；预期综合成本率 {row['expected_cr']:.1%}（人群最高 "
                 f"{row['expected_cr_max_group']:.1%}），P(综合成本率 > 100%) "
                 f"{row['prob_cr_above_100']:.2%}，{row['share_paid']:.0%} 的住院获得赔付"
                 f"（{choice.designs} 个方案中 {choice.feasible_designs} 个满足约束）。")
        rep.table("tuning_choice", _headers(rep, choice.summary()),
                  caption="Constraints at the chosen design", caption_zh="选定方案的约束情况")
        values = {"combined_ratio": float(row["expected_cr_max_group"]),
                  "prob_cr_above_100": float(row["prob_cr_above_100"]),
                  "share_paid": float(row["share_paid"]),
                  "premium_max": float(max(t.premium for t in plan.groups.values()))}
    rep.figure("tuning_frontier", plot_frontier(table, cost="expected_cr", benefit="share_paid",
                                                chosen=choice.design).figure,
               caption="Expected CR against the share of stays paid; frontier and choice",
               caption_zh="预期综合成本率与获赔率；前沿与选定方案")
    add_rule_check(rep, rule_check(values, as_of=as_of, policies=policies),
                   name="tuning_rule_check", as_of=as_of)
    return {**grid, "max_prob_loss": max_prob_loss, "min_share_paid": min_share_paid,
            "chosen_design": choice.design}
