"""Writing the review of a 惠民保 book as a report (Markdown, CSV tables, PNG figures).

Sections: IBNR (with the Bornhuetter–Ferguson a-priori chosen and its effect, and why Mack's
standard error is missing where it is), 损益核算 by policy year on the regulatory definitions
(actual expenses, or assumed ones said so in bold), the indication for the next policy year
(rate change, benefit change, designs, rule check), and actual vs expected.

Every heading, sentence and caption is written in English and in Chinese: a ``lang="zh"``
report (``puhui review --lang zh``) shows the Chinese, with the same numbers. The review's notes
(:class:`puhui.report.notes.Note`) carry their own Chinese and the section they belong to.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..plots import new_axes
from ..report import Report
from ..report.labels import lookup, tr
from ..report.notes import Note, say
from .review import ReviewResult

#: The report sections a review note can belong to (:attr:`puhui.report.notes.Note.section`;
#: a note that is not a Note, or names another section, goes to the introduction).
NOTE_SECTIONS = ("intro", "ibnr", "ratios", "indication")

#: The A/E dimensions shown, in Chinese.
_DIMENSION_ZH = {"segment": "人群", "age_band": "年龄段", "year_line": "保单年度 × 责任类型"}


def _notes(res: ReviewResult) -> dict[str, list[Note | str]]:
    """The review's notes by the section that shows them (each note carries its section)."""
    out: dict[str, list[Note | str]] = {s: [] for s in NOTE_SECTIONS}
    for note in res.notes:
        section = getattr(note, "section", "intro")
        out[section if section in out else "intro"].append(note)
    return out


def _joined(notes, rep: Report | None = None) -> tuple[str, str]:
    """Notes as one paragraph: (English, Chinese). A note without Chinese (not a
    :class:`~puhui.report.notes.Note`) stays English, and ``rep`` lists it as untranslated."""
    return (" ".join(getattr(n, "en", n) for n in notes),
            "".join(getattr(n, "zh", n) if rep is None else say(rep, n) for n in notes))


def _say(rep: Report | None, en: str, zh: str) -> str:
    return tr(en, zh) if rep is None else rep.tr(en, zh)


def _shown(item: str, value) -> str:
    """An indication value as read: years plain, money in 元, ratios and changes in %."""
    if item == "experience year":
        return str(int(value))
    if not np.isfinite(value):
        return ""
    if "元" in item:
        text = f"{value:,.2f}"
    elif "trend factor" in item:
        text = f"{value:.4f}"
    else:
        text = f"{value:.2%}"
    return text.replace("-", "−")  # a minus sign, not a spreadsheet formula


def intro(res: ReviewResult, rep: Report | None = None) -> str:
    """The review's opening paragraph: valuation date, target, and whether the expenses are
    actual or — in bold — assumed; in the language of ``rep`` (else the language in force,
    :func:`puhui.report.labels.tr`)."""
    return _say(rep, *_intro(res, rep))


def _intro(res: ReviewResult, rep: Report | None) -> tuple[str, str]:
    """:func:`intro` in English and in Chinese."""
    p = res.product
    if res.expenses is None:
        basis = (f"**Expenses assumed, not actual**: the product file's "
                 f"{p.expenses.variable_rate:.1%} of premium + {p.expenses.per_member:g} 元 "
                 "per member, gross of reinsurance.")
        basis_zh = (f"**费用为假设值，并非实际数**：按产品文件取保费的 "
                    f"{p.expenses.variable_rate:.1%} 加每人 {p.expenses.per_member:g} 元，"
                    "未扣除再保险。")
    else:
        basis = ("Expenses actual (the expenses table), combined ratio on the regulatory "
                 "definitions, net of reinsurance.")
        basis_zh = "费用为实际数（expenses 表），综合成本率按监管口径计算，扣除再保险。"
    notes, notes_zh = _joined(_notes(res)["intro"], rep)
    return (f"Valuation date {res.as_of.date()}; target combined ratio "
            f"{p.target_combined_ratio:.0%}. {basis} " + notes,
            f"评估日 {res.as_of.date()}；目标综合成本率 {p.target_combined_ratio:.0%}。"
            f"{basis_zh}" + notes_zh)


def _text(rep: Report, notes) -> None:
    """A paragraph of notes in the report's language."""
    en, zh = _joined(notes, rep)
    rep.text(en, zh=zh)


def add_review(rep: Report, res: ReviewResult, *, prefix: str = "review") -> None:
    """Append the review's sections to ``rep``, in its language (English, or Chinese in a
    ``lang="zh"`` report)."""
    p = res.product
    notes = _notes(res)
    rep.heading(f"Retrospective review (精算回溯): {p.name} ({p.code})",
                zh=f"精算回溯：{p.name}（{p.code}）")
    en, zh = _intro(res, rep)
    rep.text(en, zh=zh)

    rep.heading("IBNR by policy year (已发生未报案)", level=3,
                zh="各保单年度的 IBNR（已发生未报案未决赔款准备金）")
    _text(rep, notes["ibnr"])
    if res.bf_apriori == "updated":
        which = ("the basis loss ratio updated by the review's A/E, and on the filed basis: "
                 "ibnr_bf_filed")
        which_zh = (f"经本次回溯 A/E 更新的基础赔付率，报备基础下的结果见"
                    f"“{lookup('ibnr_bf_filed').zh}”列")
    else:
        which, which_zh = "the filed basis loss ratio", "报备基础赔付率"
    rep.table(f"{prefix}_ibnr", res.ibnr, caption="Reported claims and IBNR by policy year "
              f"(chain ladder with Mack s.e.; Bornhuetter–Ferguson on {which})",
              caption_zh="各保单年度的已报告赔款与 IBNR（链梯法，附 Mack 标准误；"
                         f"Bornhuetter–Ferguson 法基于{which_zh}）")
    rep.figure(f"{prefix}_reserves", res.reserves["incurred_bf"].plot().figure,
               caption="Reported incurred and IBNR by policy year",
               caption_zh="各保单年度的已报告赔款与 IBNR")

    rep.heading("损益核算: combined ratio by policy year", level=3,
                zh="损益核算：各保单年度的综合成本率")
    _text(rep, notes["ratios"])
    basis_zh = "实际数" if res.expenses_basis == "actual" else "假设值"
    rep.table(f"{prefix}_ratios", res.ratios, caption="Underwriting-year ratios: 满期赔付率 "
              "(gross), 综合赔付率, 综合费用率 and 综合成本率 (incl. IBNR; expenses "
              f"{res.expenses_basis})",
              caption_zh="各保单年度（承保年度口径）的满期赔付率（毛额）、综合赔付率、综合费用率"
                         f"与综合成本率（含 IBNR；费用为{basis_zh}）")
    if res.expenses is not None and res.statement is not None:
        rep.table(f"{prefix}_statement", _statement_lines(res), caption="The income-statement "
                  "lines of each policy year at the valuation date (puhui.ratios.Statement)",
                  caption_zh="评估日各保单年度的损益表项目（puhui.ratios.Statement）")
    rep.figure(f"{prefix}_combined_ratio", res.plot_ratios().figure,
               caption="Combined ratio by policy year against the target",
               caption_zh="各保单年度的综合成本率与目标值")

    rep.heading("Indication for the next policy year (费率与责任调整)", level=3,
                zh="下一保单年度的费率与责任调整指示")
    _text(rep, notes["indication"])
    zh = rep.lang == "zh"  # the tables' text cells: their Chinese columns in a zh report
    if res.indication_table is not None:
        t = res.indication_table
        t = t.assign(shown=[_shown(i, v) for i, v in zip(t["item"], t["value"], strict=True)])
        t = t[["item", "value", "shown", "basis",
               *(c for c in ("item_zh", "basis_zh") if c in t.columns)]]
        # the rows' quantities (85.20% for a ratio) follow the English item in either language
        view = ({"columns": {"item_zh": "item", "value": "value", "shown": "shown",
                             "basis_zh": "basis"}, "row_key": "item"}
                if zh and "item_zh" in t.columns
                else {"columns": {"item": "item", "value": "value", "shown": "shown",
                                  "basis": "basis"}})
        rep.table(f"{prefix}_indication", t, floatfmt=",.6g", **view,
                  caption="Rate indication (loss-ratio method, puhui.experience."
                          "rate_indication) and the benefit change at the current price",
                  caption_zh="费率指示（赔付率法，puhui.experience.rate_indication）及现行价格"
                             "下的责任调整幅度")
    if res.benefit_levers is not None:
        lev = res.benefit_levers
        names = ["lever", "parameter", "design", "expected_payout", "share_paid"]
        shown = {c: c for c in names}
        if zh and {"lever_zh", "design_zh"} <= set(lev.columns):
            # "方案", not the registry's "design" (方案号, a grid's design number)
            shown = {**{"lever_zh": "lever", "parameter": "parameter", "design_zh": "方案"},
                     **{c: c for c in names[3:]}}
        rep.table(f"{prefix}_benefit_levers", lev, columns=shown,
                  caption="Designs that carry the benefit change at the current price "
                          "(expected payout per member, trended member costs)",
                  caption_zh="在现行价格下实现该责任调整的方案（人均期望赔付，基于经趋势调整的"
                             "参保人医疗费用）")
    if res.rule_check is not None:
        rep.table(f"{prefix}_rule_check", res.rule_check[
            ["rule", "quantity", "value", "limit", "passed", "kind", "source"]],
            caption="Rule check of the indication (puhui.rules: regulations in force on the "
                    "valuation date; company policy where given)",
            caption_zh="费率指示的规则检查（puhui.rules：评估日有效的监管规定；如提供，另含"
                       "公司政策）")

    sig = res.significant_deviations()
    rep.heading("Actual vs expected against the pricing basis", level=3,
                zh="实际与预期之比（A/E，对照定价基础）")
    rep.text("Frequency A/E with exact Poisson intervals; amount A/E with compound-Poisson "
             "intervals; IBNR spread to cells as the basis expects it. Deviations whose "
             "interval excludes 1:",
             zh="出险频率 A/E 采用精确泊松区间，赔款金额 A/E 采用复合泊松区间；IBNR 按定价基础"
                "的预期分摊至各单元。区间不含 1 的偏差如下：")
    rep.table(f"{prefix}_significant_deviations", sig, caption="Significant deviations",
              caption_zh="显著偏差")
    for dim in ("segment", "age_band", "year_line"):
        res_dim = res.ae[dim]
        dim_zh = _DIMENSION_ZH[dim]
        rep.table(f"{prefix}_ae_{dim}", res_dim.summary(), caption=f"A/E by {dim}",
                  caption_zh=f"按{dim_zh}的 A/E")
        ax = new_axes(None, figsize=(7.0, 0.3 * len(res_dim.table) + 1.5))
        rep.figure(f"{prefix}_ae_{dim}", res_dim.plot(ax=ax).figure,
                   caption=f"A/E (amount) by {dim}; red: the frequency or amount interval excludes 1",
                   caption_zh=f"按{dim_zh}的 A/E（赔款金额）；红色：出险频率或赔款金额的区间不含 1")


def _statement_lines(res: ReviewResult) -> pd.DataFrame:
    """The statement lines beside the ratios they give (one row per policy year)."""
    s = res.statement
    keep = ["policy_year", "gross_written_premium", "ceded_premium", "earned_premium",
            "claims_paid", "ceded_claims_paid", "change_in_claim_reserves",
            "ceded_change_in_claim_reserves", "commission", "admin_expenses",
            "taxes_and_surcharges", "protection_fund", "ceded_reinsurance_expenses",
            "loss_ratio", "expense_ratio", "combined_ratio", "underwriting_result"]
    return s[[c for c in keep if c in s.columns]]
