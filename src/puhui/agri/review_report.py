"""Writing an agricultural rate review (农险费率回溯) as report sections (Markdown, CSV, PNG)."""

from __future__ import annotations

from ..report import Report
from ..report.labels import language
from ..report.notes import say
from .review import CropReview


def add_crop_review(rep: Report, res: CropReview, *, prefix: str = "crop_review",
                    top: int = 30) -> None:
    """Append the review's sections to ``rep``: method and notes, the counties whose A/E lies
    above 1, the counties by credibility-weighted A/E, the factors that hit the band, the
    保费不足准备金 test, the full cell table (CSV) and the A/E figure of the ``top`` cells by
    credibility-weighted A/E. The prose is in ``rep``'s language (:meth:`puhui.report.Report.tr`:
    Chinese in a ``lang="zh"`` report, with the same numbers), the review's ``res.notes`` too
    (:class:`~puhui.report.notes.Note`, shown by :func:`~puhui.report.notes.say`)."""
    s = res.summary()
    a = s.attrs
    t = res.table
    rep.heading("费率回溯 (rate review) by county", zh="分县费率回溯")
    kinds_zh = {"subsidised": "财政补贴性产品", "other": "其他产品"}
    bands = "; ".join(f"{k}: {v or 'none in force'}" for k, v in res.band_rules.items())
    bands_zh = "；".join(f"{kinds_zh.get(k, k)}：{v or '无现行规定'}"
                        for k, v in res.band_rules.items())
    years = int(t["n_years"].sum())
    rep.text(
        f"Valuation date {res.as_of}; {a['cells']} county × crop cells, "
        f"{years:,} closed county-years. A/E = indemnity / (filed pure rate × "
        f"liability), filed pure rate = 基准纯风险损失率 × 费率调整系数; {res.level:.0%} normal "
        "interval from the year-to-year variance of the yearly A/E pooled over each crop's "
        "counties; Bühlmann–Straub credibility with the zone as complement "
        "(`puhui.agri.county_rates` on the A/E ratios"
        + (", the province's common year effect removed first" if res.year_effect else "")
        + "); indicated factor = factor × credibility-weighted A/E, clipped into the band in "
        f"force ({bands}).",
        zh=f"评估日 {res.as_of}；县 × 作物单元 {a['cells']} 个，已满期县年 {years:,} 个。"
        "A/E = 赔款 /（报备纯费率 × 保险金额），报备纯费率 = 基准纯风险损失率 × 费率调整系数；"
        f"{res.level:.0%} 正态区间，方差为各作物所属各县年度 A/E 逐年波动的合并估计；"
        "Bühlmann–Straub 信度，以风险区为补充（对 A/E 运行 `puhui.agri.county_rates`"
        + ("，先剔除全省共同的年度效应" if res.year_effect else "")
        + "）；指示调整系数 = 费率调整系数 × 信度加权 A/E，并截入现行的费率调整系数区间"
        f"（{bands_zh}）。")
    notes = [say(rep, n) for n in res.notes]  # each in the report's language
    rep.text(
        f"**{a['above']}** cells have an A/E interval above 1 and {a['below']} below it; with "
        f"every filed rate right about {a['false_positive_expected']:.1f} would lie above by "
        f"chance at this level. **{a['band_hits']}** indicated factors fall outside the band "
        "and stop at its edge." + ("" if not notes else " Notes: " + " ".join(notes)),
        zh=f"A/E 区间整体高于 1 的单元 **{a['above']}** 个，整体低于 1 的 {a['below']} 个；"
        f"即使报备费率全部恰当，在此置信水平下也约有 {a['false_positive_expected']:.1f} 个"
        f"单元会因随机波动而高于 1。**{a['band_hits']}** 个指示调整系数超出调整区间，"
        "止于区间边界。" + ("" if not notes else "说明：" + "".join(notes)))
    rep.table(f"{prefix}_structure", res.structure,
              caption="Structure per crop: credibility constant K = s²/a, within and between "
                      "variance, catastrophe threshold (A/E units) and the pooled variance of "
                      "the yearly A/E",
              caption_zh="各作物的结构参数：信度常数 K = s²/a、组内方差与组间方差、"
                         "巨灾阈值（以 A/E 计）及年度 A/E 的合并方差", floatfmt=",.4g")
    cols = ["region", *(["crop"] if "crop" in t.columns else []), "zone", "ae", "ae_lower",
            "ae_upper", "z", "credibility_ae", "factor", "indicated_factor", "new_factor",
            "band_hit"]
    rep.table(f"{prefix}_above", res.flagged("above")[cols],
              caption="Cells whose A/E interval lies above 1 (filed rate too low)",
              caption_zh="A/E 区间整体高于 1 的单元（报备费率偏低）", floatfmt=",.3f")
    by = res.by_region()
    money = ["liability", "indemnity", "expected"]
    by[money] = by[money].round(0).astype("int64")            # 元; the ratios keep decimals
    rep.table(f"{prefix}_by_county", by,
              caption="Counties over their crops, largest credibility-weighted A/E first",
              caption_zh="各县（合并各作物），按信度加权 A/E 由高到低排列",
              floatfmt=",.3f", max_rows=20)
    rep.table(f"{prefix}_band_hits", res.band_hits(),
              caption="Indicated factors outside the 费率调整系数 band: the new factor stops at the "
                      "edge; band_gap is what it could not follow",
              caption_zh="超出费率调整系数区间的指示调整系数：新调整系数止于区间边界，"
                         "区间缺口为未能调整到位的部分", floatfmt=",.3f", max_rows=30)
    if res.adequacy_total is not None:
        tot = res.adequacy_total
        due = float(tot["deficiency"].sum())
        upr = float(tot["unearned_premium"].sum())
        claims = float(tot["expected_claims"].sum())
        rep.heading("保费不足准备金 at the valuation date", level=3, zh="评估日的保费不足准备金")
        rep.text(
            f"Policies in force on {res.as_of}: unearned premium "
            f"{upr:,.0f} 元 (1/365), expected claims of the "
            f"unexpired risk {claims:,.0f} 元 at the indicated "
            f"pure rates; 保费不足准备金 due {due:,.0f} 元"
            + (" — the premium in force does not cover the unexpired risk." if due > 0
               else "; the 未赚保费准备金 is adequate."),
            zh=f"{res.as_of} 的有效保单：未赚保费 {upr:,.0f} 元（1/365 法），按指示纯费率计算的"
            f"未到期风险预期赔款 {claims:,.0f} 元；应提取保费不足准备金 {due:,.0f} 元"
            + ("——现有保费不足以覆盖未到期风险。" if due > 0 else "；未赚保费准备金充足。"))
        rep.table(f"{prefix}_adequacy_total", tot, caption="保费不足准备金 by crop (险种)",
                  caption_zh="分作物（险种）的保费不足准备金", floatfmt=",.0f")
        rep.table(f"{prefix}_adequacy_cells", res.adequacy, floatfmt=",.0f",
                  caption="The same test by county (the reserve is held by 险种)",
                  caption_zh="分县的同一测试（准备金按险种提取）", max_rows=20)
    rep.table(f"{prefix}_cells", t, caption="Every cell", caption_zh="全部县 × 作物单元",
              floatfmt=",.4g", max_rows=15)
    with language(rep.lang):  # the figure's labels in the report's language
        ax = res.plot(top=top)
    rep.figure(f"{prefix}_ae", ax.figure,
               caption="A/E with its interval (red: above 1, blue: below, grey: the interval "
                       "holds 1) and the credibility-weighted A/E (diamonds), the "
                       f"{top} cells with the largest credibility-weighted A/E; "
                       "`CropReview.plot(crop=...)` draws one crop",
               caption_zh="A/E 及其区间（红色：高于 1；蓝色：低于 1；灰色：区间包含 1）与"
                          f"信度加权 A/E（菱形），取信度加权 A/E 最高的 {top} 个单元；"
                          "`CropReview.plot(crop=...)` 可只绘制一种作物")
