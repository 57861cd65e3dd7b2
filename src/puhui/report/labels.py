"""Column labels, units and number formats of report tables (列名、单位与数字格式), and the
report language (``--lang zh|en``).

Every table a report shows is formatted by its column **names**, looked up here — never by the
size of its numbers. One convention per quantity:

========== ================================================= =================================
kind       shown (report.md, report.html)                    tables.xlsx number format
========== ================================================= =================================
count      integer, thousands separators: ``514,547``         ``#,##0``
year       integer, no separator: ``2025``                    ``0``
code       integer id (design, rank, zone): ``73``            ``0``
money      元, separators, 2 decimals: ``1,234.50``           ``#,##0.00``
percent    a fraction × 100, fixed decimals: ``85.01%``       ``0.00%`` (the value stays 0.8501)
factor     a dimensionless multiple (A/E, rate factor): 1.042  ``0.000``
number     other measures, fixed decimals (yield kg/亩 …)     ``#,##0.0``
flag, text, date: as they are (a flag ``True``/``False``; ``是``/``否`` in Chinese, ``yes``/``no``
           in English)
label      a header only: the values differ from row to row (a long table's ``min``, a filing's
           ``filed`` figure) and are shown by their row's quantity or by the fallback
========== ================================================= =================================

A missing number is shown as ``—``. Headers carry the unit: ``pure premium (元)``,
``expected CR (%)`` (``纯保费（元）`` in Chinese).

**Lookup** (:func:`lookup`), in this order:

1. the name in :data:`REGISTRY` (``pure_premium``, ``expected_cr`` …);
2. a registered name followed by a known qualifier of :data:`QUALIFIERS`
   (``expected_cr_fixed``, ``share_paid_today``, ``benefit_ratio_min_group``, ``ae_lower``):
   the base quantity's format, its label with the qualifier;
3. the naming rules of :data:`NAME_RULES` (``*_loss_ratio``, ``*_ratio``, ``*_rate``,
   ``*_share``, ``*_cr``, ``prob_*``, ``share_*`` → percent; ``*_premium`` → money;
   ``*_count`` → count; ``*_year`` → year);
4. otherwise the column is **unregistered**: its header is its name, an integer column is
   shown with thousands separators (without them when the name contains ``year``) and a float
   column with the table's ``floatfmt`` (``,.2f`` unless the report section says otherwise).

Long tables whose first column names a quantity per row (``metric``, ``quantity``,
``constraint``, ``item`` — :data:`ROW_KEY_COLUMNS`, e.g. the tuning summary's ``expected_cr``
row) format each row's numbers by that row's quantity, so ``expected_cr`` reads 126.02% in every
table; report.md and report.html show the row's label with its unit (``expected CR (%)``).

**Language.** ``lang`` is ``"zh"``, ``"en"`` or ``None`` (the default: the report as the
families write it — English prose with Chinese terms, English table headers with units, figure
labels in Chinese where a CJK font is installed). ``"zh"`` gives Chinese table headers, the
report's own texts (table notes, contents, the footer) in Chinese and Chinese figure labels
(English where no CJK font is installed, so a figure never shows empty boxes); ``"en"``
English headers, texts and figure labels. The sections' prose, titles and captions are written
by the product families in both languages (:meth:`puhui.report.Report.tr` and the ``zh=`` /
``caption_zh=`` arguments of its methods; :func:`tr` for text written outside a report, such as a
figure's title); a ``"zh"`` report lists any text added without its Chinese in
``Report.untranslated``. ``puhui … --lang zh`` sets the language for a whole run
(:func:`language`); figures are drawn in the language in force when they are drawn.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, replace

from ..errors import ParameterError

#: The report languages (``--lang``); ``None`` is the default mix.
LANGS = ("zh", "en")

#: Kinds of quantity and how each is shown (module docstring).
KINDS = ("count", "year", "code", "money", "percent", "factor", "number", "flag", "text",
         "date", "label")

#: Kinds whose values are numbers formatted by the kind.
NUMERIC_KINDS = ("count", "year", "code", "money", "percent", "factor", "number")

#: The unit each kind puts in a header (en, zh) unless the quantity names its own.
KIND_UNITS = {"money": ("元", "元"), "percent": ("%", "%")}


@dataclass(frozen=True)
class Quantity:
    """A column (or row) quantity: how it is named, shown and defined.

    ``decimals`` counts the decimals shown (for a percent: of the percentage, so 2 gives
    ``85.01%``). ``unit`` overrides the kind's unit (``kg/亩``). ``definition`` says what the
    quantity is, with its formula where there is one (the 说明 sheet of tables.xlsx).
    """

    name: str
    kind: str
    en: str
    zh: str
    decimals: int = 0
    definition: str = ""
    unit: str = ""

    def __post_init__(self):
        if self.kind not in KINDS:
            raise ParameterError(f"quantity {self.name!r}: unknown kind {self.kind!r}; one of "
                                 f"{', '.join(KINDS)}")
        if not (isinstance(self.decimals, int) and 0 <= self.decimals <= 10):
            raise ParameterError(f"quantity {self.name!r}: decimals must be 0 … 10")

    @property
    def numeric(self) -> bool:
        """True when the kind formats numbers (not a flag, a text or a date)."""
        return self.kind in NUMERIC_KINDS

    def unit_for(self, lang: str | None) -> str:
        """The unit shown in a header: the quantity's own, else its kind's (元, %), else ""."""
        if self.unit:
            return self.unit
        units = KIND_UNITS.get(self.kind)
        return "" if units is None else units[1 if lang == "zh" else 0]

    def label(self, lang: str | None) -> str:
        """The name without unit: Chinese for ``lang="zh"``, English otherwise."""
        return self.zh if lang == "zh" else self.en

    def header(self, lang: str | None, *, with_unit: bool = True) -> str:
        """The header of a column of this quantity: ``pure premium (元)``, ``纯保费（元）``.

        >>> REGISTRY["pure_premium"].header(None), REGISTRY["pure_premium"].header("zh")
        ('pure premium (元)', '纯保费（元）')
        >>> REGISTRY["expected_cr"].header("en")
        'expected CR (%)'
        """
        text = self.label(lang)
        unit = self.unit_for(lang) if with_unit else ""
        if not unit:
            return text
        return f"{text}（{unit}）" if lang == "zh" else f"{text} ({unit})"


# name, kind, decimals, English, 中文, definition (formula where known)
_ROWS: tuple[tuple[str, str, int, str, str, str], ...] = (
    # -- ids, groups and text ------------------------------------------------------------------
    ("product", "text", 0, "product", "产品", "product code"),
    ("table", "text", 0, "table", "表", "bundled table (folder/name)"),
    ("kind", "text", 0, "kind", "类别", "kind of table, rule or cell"),
    ("file", "text", 0, "file", "文件", "file name"),
    ("status", "text", 0, "status", "状态", "result of the check"),
    ("rows", "count", 0, "rows", "行数", "number of rows"),
    ("columns", "count", 0, "columns", "列数", "number of columns"),
    ("segment", "text", 0, "segment", "人群", "segment of members: healthy (健康体) or "
     "preexisting (既往症人群)"),
    ("line", "text", 0, "benefit line", "责任类型", "benefit line: in_catalogue (医保目录内), "
     "out_of_catalogue (目录外), special_drugs (特药)"),
    ("benefit_line", "text", 0, "benefit line", "责任类型", "benefit line: in_catalogue "
     "(医保目录内), out_of_catalogue (目录外), special_drugs (特药)"),
    ("age_band", "text", 0, "age band", "年龄段", "age band of the member"),
    ("dimension", "text", 0, "dimension", "维度", "the grouping an A/E row belongs to"),
    ("group", "text", 0, "group", "组别", "group of members (segment, age band …)"),
    ("item", "text", 0, "item", "项目", "line of the indication"),
    ("shown", "text", 0, "shown", "显示值", "the value as shown to a reader"),
    ("basis", "text", 0, "basis", "依据", "where the value comes from"),
    ("lever", "text", 0, "lever", "调整方式", "how the benefit is changed"),
    ("rule", "text", 0, "rule", "规则", "rule id (puhui rules show ID)"),
    ("quantity", "text", 0, "quantity", "指标", "the quantity a row is about"),
    ("limit", "text", 0, "limit", "限值", "the limit a rule or constraint sets"),
    ("source", "text", 0, "source", "出处", "the regulation or policy the rule comes from"),
    ("metric", "text", 0, "metric", "指标", "the quantity a row is about"),
    ("constraint", "text", 0, "constraint", "约束", "a constraint on a column of the designs "
     "(NAME <= VALUE or NAME >= VALUE)"),
    ("current", "flag", 0, "current design", "现行方案", "today's design (in the designs: "
     "True on its row; in the summary: its value)"),
    ("min", "label", 0, "min", "最小值", "smallest value over the grid"),
    ("median", "label", 0, "median", "中位数", "median over the grid"),
    ("max", "label", 0, "max", "最大值", "largest value over the grid"),
    ("region", "text", 0, "county", "县（区域）", "county or region code"),
    ("crop", "text", 0, "crop", "作物", "crop (险种)"),
    ("signal", "text", 0, "signal", "信号", "above: the A/E interval lies above 1 (filed rate "
     "too low); below: under 1"),
    ("band_hit", "text", 0, "band hit", "触及调整区间", "low / high: the indicated factor is "
     "outside the 费率调整系数 band and is clipped"),
    ("design", "code", 0, "design", "方案号", "design number in the grid (起付线 × 赔付比例)"),
    ("rank", "code", 0, "rank", "排名", "rank by the objective, 1 best"),
    ("zone", "code", 0, "zone", "风险区", "risk zone (风险区划), 1 the lowest risk"),
    ("significant", "flag", 0, "significant", "显著", "the interval excludes 1"),
    ("passed", "flag", 0, "passed", "通过", "the rule holds"),
    ("binding", "flag", 0, "binding", "起作用", "the constraint is at its limit"),
    ("subsidised", "flag", 0, "subsidised", "财政补贴", "财政补贴性产品 (band [0.75, 1.25])"),
    ("adequate", "flag", 0, "adequate", "保费充足", "no premium deficiency (保费不足准备金 = 0)"),
    ("valuation_date", "date", 0, "valuation date", "评估日", "valuation date"),
    ("start_date", "date", 0, "start date", "保险起期", "start of cover"),
    ("end_date", "date", 0, "end date", "保险止期", "end of cover (inclusive)"),
    # -- years and counts ---------------------------------------------------------------------
    ("policy_year", "year", 0, "policy year", "保单年度", "policy (underwriting) year: the year "
     "the cover starts"),
    ("year", "year", 0, "year", "年度", "year (in a repricing path: years from now)"),
    ("first_year", "year", 0, "first year", "首年", "first year of experience"),
    ("last_year", "year", 0, "last year", "末年", "last year of experience"),
    ("rating_year", "year", 0, "rating year", "费率年度", "year the rate is for"),
    ("policies", "count", 0, "policies", "保单数", "number of policies"),
    ("claim_count", "count", 0, "claims", "报案件数", "number of reported claims"),
    ("reported_count", "count", 0, "reported claims", "已报案件数", "claims reported by the "
     "valuation date"),
    ("ibnr_count", "number", 1, "IBNR claims", "未报案件数", "claims incurred but not reported: "
     "chain ladder on reported counts"),
    ("actual_count", "count", 0, "actual claims", "实际件数", "claims observed"),
    ("expected_count", "number", 1, "expected claims", "预期件数", "claims the pricing basis "
     "expects for the exposure"),
    ("members", "count", 0, "members", "参保人数", "members (persons insured); for a design, "
     "its equilibrium membership"),
    ("members_paid", "count", 0, "members paid", "获赔人数", "expected number of members with a "
     "payout"),
    ("member_years", "count", 0, "member-years", "人年", "exposure in member-years (人年)"),
    ("earned_exposure", "number", 0, "earned exposure", "已赚风险单位", "exposure units × "
     "earned share of the term: member-years (人年) for annual cover, 亩 for a crop season"),
    ("n_years", "count", 0, "years", "年数", "years of experience"),
    ("n_regions", "count", 0, "counties", "县数", "counties in the zone"),
    ("counties", "count", 0, "counties", "县数", "counties of the crop"),
    ("cells_above", "count", 0, "cells above", "偏高格数", "cells whose A/E interval lies "
     "above 1"),
    ("cells_below", "count", 0, "cells below", "偏低格数", "cells whose A/E interval lies "
     "below 1"),
    # -- money (元) ------------------------------------------------------------------------------
    ("premium", "money", 2, "premium", "保费", "premium"),
    ("written_premium", "money", 2, "written premium", "保费收入", "premium written"),
    ("earned_premium", "money", 2, "earned premium", "已赚保费", "premium earned pro rata by "
     "day to the valuation date (1/365 method); in a statement 保费收入 − 分出保费 − "
     "提取未到期责任准备金"),
    ("net_earned_premium", "money", 2, "net earned premium", "净已赚保费", "earned premium net "
     "of reinsurance"),
    ("paid", "money", 2, "paid", "已决赔款", "claims paid by the valuation date"),
    ("case_reserve", "money", 2, "case reserve", "已报案未决赔款", "case reserves held at the "
     "valuation date"),
    ("incurred", "money", 2, "incurred", "已发生赔款", "paid + case reserves (+ IBNR where the "
     "table includes it)"),
    ("reported_incurred", "money", 2, "reported incurred", "已报告赔款", "paid + case reserves, "
     "before IBNR"),
    ("ibnr_chain_ladder", "money", 2, "IBNR, chain ladder", "IBNR（链梯法）", "IBNR by the "
     "chain ladder on the incurred triangle"),
    ("mack_se", "money", 2, "Mack s.e.", "Mack 标准误", "standard error of the chain-ladder "
     "reserve (Mack 1993)"),
    ("ibnr_bf_filed", "money", 2, "IBNR, BF on the filed basis", "IBNR（BF法，报备基础）",
     "Bornhuetter–Ferguson IBNR with the filed loss ratio as a-priori"),
    ("ibnr_bornhuetter_ferguson", "money", 2, "IBNR, Bornhuetter–Ferguson", "IBNR（BF法）",
     "Bornhuetter–Ferguson IBNR = ELR′ × earned premium × (1 − 1/CDF)"),
    ("ibnr_amount", "money", 2, "IBNR", "IBNR 金额", "IBNR used (the method chosen)"),
    ("ultimate", "money", 2, "ultimate", "最终赔款", "reported incurred + IBNR"),
    ("underwriting_result", "money", 2, "underwriting result", "承保利润", "net earned premium − "
     "net claims incurred − expenses"),
    ("expenses", "money", 2, "expenses", "费用", "expenses (in the ratios table: actual or "
     "assumed)"),
    ("gross_written_premium", "money", 2, "gross written premium", "保费收入", "premium written, "
     "gross of reinsurance"),
    ("ceded_premium", "money", 2, "ceded premium", "分出保费", "premium ceded to reinsurers"),
    ("change_in_upr", "money", 2, "change in UPR", "提取未到期责任准备金", "increase of the "
     "unearned premium reserve"),
    ("claims_paid", "money", 2, "claims paid", "赔付支出", "claims paid in the period"),
    ("ceded_claims_paid", "money", 2, "ceded claims paid", "摊回赔付支出", "reinsurers' share "
     "of the claims paid"),
    ("change_in_claim_reserves", "money", 2, "change in claim reserves", "提取未决赔款准备金",
     "increase of the claim reserves, IBNR included"),
    ("ceded_change_in_claim_reserves", "money", 2, "ceded change in claim reserves",
     "摊回未决赔款准备金", "reinsurers' share of the increase of the claim reserves"),
    ("commission", "money", 2, "commission", "手续费及佣金", "commission and fees"),
    ("admin_expenses", "money", 2, "admin expenses", "业务及管理费", "general and "
     "administrative expenses"),
    ("taxes_and_surcharges", "money", 2, "taxes and surcharges", "税金及附加", "taxes and "
     "surcharges"),
    ("protection_fund", "money", 2, "protection fund", "保险保障基金", "insurance protection "
     "fund levy"),
    ("reinsurance_expenses", "money", 2, "reinsurance expenses", "分保费用", "reinsurance "
     "expenses (assumed business)"),
    ("ceded_reinsurance_expenses", "money", 2, "ceded reinsurance expenses", "摊回分保费用",
     "reinsurance commission recovered"),
    ("deviation", "money", 2, "deviation", "偏差金额", "actual − expected claim amount"),
    ("frequency_effect", "money", 2, "frequency effect", "频率影响", "part of the deviation "
     "due to the claim frequency"),
    ("severity_effect", "money", 2, "severity effect", "案均影响", "part of the deviation due "
     "to the average claim"),
    ("deductible", "money", 2, "deductible", "起付线", "annual deductible (起付线) of the "
     "design (healthy members, in-catalogue line)"),
    ("expected_payout", "money", 2, "expected payout", "期望赔付", "expected payout per "
     "member-year"),
    ("expected_payout_raw", "money", 2, "expected payout, raw", "期望赔付（原始）", "trended "
     "mean payout per member-year, before credibility"),
    ("pure_premium", "money", 2, "pure premium", "纯保费", "expected claims per member-year = "
     "Σ_s π_s Σ_l E[min(r (X − d)₊, C)]"),
    ("required_premium", "money", 2, "required premium", "所需保费", "premium that meets the "
     "target combined ratio τ: (E[claims] + e)/(τ − v); with take-up, the equilibrium price"),
    ("gross_premium", "money", 2, "gross premium", "毛保费", "(pure premium + fixed expense + "
     "margin) / (1 − variable expense rate)"),
    ("price", "money", 2, "price", "价格", "price (premium) per member"),
    ("payout_per_claimant", "money", 2, "payout per claimant", "人均赔付", "E[claims] / "
     "share paid: the mean payout of a member who is paid"),
    ("pool_cost", "money", 2, "pool cost", "人均赔付成本", "expected claims per member of the "
     "equilibrium pool"),
    ("average_cost", "money", 2, "average cost", "人均赔付成本", "expected claims per member of "
     "the remaining pool"),
    ("claims", "money", 2, "expected claims", "期望赔款", "expected claims per member"),
    ("expense_per_member", "money", 2, "fixed expense", "人均固定费用", "fixed expense per "
     "member"),
    ("variable_expense", "money", 2, "variable expense", "变动费用", "gross premium × variable "
     "expense rate"),
    ("margin", "money", 2, "margin", "风险边际", "risk margin per member"),
    ("liability", "money", 2, "liability", "保险金额", "sum insured (保险金额)"),
    ("indemnity", "money", 2, "indemnity", "赔款", "indemnity paid"),
    ("expected", "money", 2, "expected indemnity", "预期赔款", "filed pure rate × liability"),
    ("indemnity_to_date", "money", 2, "indemnity to date", "已发生赔款", "indemnity of the "
     "policies in force, to the valuation date"),
    ("unearned_premium", "money", 2, "unearned premium", "未赚保费", "premium × unexpired share "
     "(1/365 method)"),
    ("deferred_acquisition_cost", "money", 2, "deferred acquisition cost", "递延获取成本",
     "acquisition cost deferred with the unearned premium"),
    ("unearned_premium_reserve", "money", 2, "unearned premium reserve", "未赚保费准备金",
     "unearned premium − deferred acquisition cost"),
    ("expected_claims", "money", 2, "expected claims", "预期赔款", "indicated pure rate × "
     "liability × unexpired share"),
    ("deficiency", "money", 2, "premium deficiency", "保费不足准备金", "max(0, expected claims "
     "+ expenses − unearned premium reserve)"),
    ("unexpired_risk_reserve", "money", 2, "unexpired risk reserve", "未到期责任准备金",
     "unearned premium reserve + premium deficiency"),
    # -- percentages --------------------------------------------------------------------------
    ("paid_loss_ratio", "percent", 2, "paid loss ratio", "已决赔付率", "paid / earned premium"),
    ("incurred_loss_ratio", "percent", 2, "reported loss ratio", "已报告赔付率", "(paid + case "
     "reserve) / earned premium, before IBNR"),
    ("loss_ratio", "percent", 2, "loss ratio", "综合赔付率", "(赔付支出 − 摊回赔付支出 + "
     "提取未决赔款准备金 − 摊回未决赔款准备金) / 已赚保费; crop cells: indemnity / premium"),
    ("simple_loss_ratio", "percent", 2, "simple loss ratio", "简单赔付率", "(paid + "
     "outstanding, IBNR included) / written premium"),
    ("earned_loss_ratio", "percent", 2, "earned loss ratio", "满期赔付率", "(paid + "
     "outstanding, IBNR included) / earned premium"),
    ("expense_ratio", "percent", 2, "expense ratio", "综合费用率", "(手续费及佣金 + 业务及管理费 "
     "+ 税金及附加 + 分保费用 − 摊回分保费用 + 保险保障基金) / 已赚保费"),
    ("combined_ratio", "percent", 2, "combined ratio", "综合成本率", "综合赔付率 + 综合费用率"),
    ("target_combined_ratio", "percent", 2, "target CR", "目标综合成本率", "the product's "
     "target combined ratio τ"),
    ("expected_loss_ratio", "percent", 2, "expected loss ratio", "预期赔付率", "loss ratio the "
     "pricing basis expects"),
    ("filed_loss_ratio", "percent", 2, "filed loss ratio", "报备赔付率", "expected loss ratio "
     "(ELR) of the filed basis"),
    ("apriori_loss_ratio", "percent", 2, "a-priori loss ratio", "先验赔付率", "BF a-priori "
     "ELR′ = ELR_filed · (Z · A/E + 1 − Z)"),
    ("apriori_credibility", "percent", 1, "a-priori credibility Z", "先验信度 Z", "limited-"
     "fluctuation credibility of the year's claims, Z = √(n / 1,082) ≤ 1"),
    ("credibility", "percent", 1, "credibility Z", "信度 Z", "credibility of the cell's "
     "experience (0–100%)"),
    ("z", "percent", 1, "credibility Z", "信度 Z", "Bühlmann–Straub credibility of the county, "
     "Z = w/(w + k)"),
    ("deviation_share", "percent", 2, "share of deviation", "偏差占比", "the row's deviation / "
     "the total deviation"),
    ("share_paid", "percent", 2, "share paid", "获赔率", "members with a payout per "
     "member-year"),
    ("segment_mix", "percent", 2, "segment mix", "人群占比", "π_s: the segment's share of "
     "member-years"),
    ("expected_cr", "percent", 2, "expected CR", "预期综合成本率", "(E[claims] + e)/P + v at the "
     "price P"),
    ("benefit_ratio", "percent", 2, "benefit ratio", "赔付率", "E[claims] / price"),
    ("prob_cr_above_100", "percent", 2, "P(CR > 100%)", "P(综合成本率 > 100%)", "probability "
     "that the year's combined ratio exceeds 100% (normal-power approximation)"),
    ("payout_ratio", "percent", 1, "payout ratio", "赔付比例", "share of the cost above the "
     "起付线 that is paid (healthy members, in-catalogue line)"),
    ("participation", "percent", 2, "participation", "参保率", "members / eligible population"),
    ("retention", "percent", 2, "retention", "续保率", "share of last year's members who renew"),
    ("coverage", "percent", 0, "coverage θ", "保障水平 θ", "guaranteed share of the expected "
     "yield"),
    ("cv", "percent", 2, "CV", "变异系数", "coefficient of variation of the adjusted yields"),
    ("empirical_rate", "percent", 3, "empirical rate", "经验费率", "pure premium rate "
     "E[(θμ − Y)₊]/(θμ) by the empirical distribution"),
    ("kernel_rate", "percent", 3, "kernel rate", "核密度费率", "pure premium rate "
     "E[(θμ − Y)₊]/(θμ) by a Gaussian kernel density"),
    ("pure_rate", "percent", 3, "pure rate", "纯费率", "pure premium rate (纯风险损失率)"),
    ("min_rate", "percent", 3, "lowest rate", "最低费率", "lowest county rate in the zone"),
    ("max_rate", "percent", 3, "highest rate", "最高费率", "highest county rate in the zone"),
    ("zone_rate", "percent", 3, "zone rate", "区费率", "the zone's rate: weighted mean of its "
     "counties' rates"),
    ("benchmark_rate", "percent", 3, "benchmark pure rate", "基准纯风险损失率", "industry "
     "benchmark pure rate"),
    ("loading", "percent", 2, "loading", "附加费率", "expense loading of the filed rate"),
    ("filed_pure_rate", "percent", 3, "filed pure rate", "报备纯费率", "benchmark pure rate × "
     "factor"),
    ("actual_rate", "percent", 3, "actual rate", "实际损失率", "indemnity / liability"),
    ("indicated_pure_rate", "percent", 3, "indicated pure rate", "指示纯费率", "filed pure rate "
     "× credibility-weighted A/E"),
    ("uncovered_pure_rate", "percent", 3, "uncovered pure rate", "未覆盖纯费率", "benchmark "
     "pure rate × band gap: the pure rate the band leaves uncollected"),
    ("filed_rate", "percent", 3, "filed rate", "报备费率", "benchmark pure rate × factor / "
     "(1 − loading)"),
    ("new_rate", "percent", 3, "new rate", "新费率", "base rate × new factor"),
    ("used_pure_rate", "percent", 3, "pure rate used", "所用纯费率", "pure rate behind the "
     "expected claims"),
    ("rate_change", "percent", 2, "rate change", "费率变动", "new rate / filed rate − 1"),
    ("unexpired_share", "percent", 2, "unexpired share", "未到期比例", "share of the term still "
     "to run at the valuation date"),
    ("ratio", "percent", 2, "adequacy ratio", "充足率比", "(expected claims + expenses) / "
     "unearned premium reserve; above 100%: a deficiency"),
    # -- factors (multiples) ------------------------------------------------------------------
    ("frequency_ae", "factor", 3, "frequency A/E", "频率 A/E", "actual / expected claim count"),
    ("severity_ae", "factor", 3, "severity A/E", "案均 A/E", "actual / expected average claim"),
    ("amount_ae", "factor", 3, "amount A/E", "金额 A/E", "actual / expected claim amount"),
    ("frequency_lower", "factor", 3, "frequency A/E, lower", "频率 A/E 下限", "lower end of "
     "the exact Poisson interval of the frequency A/E"),
    ("frequency_upper", "factor", 3, "frequency A/E, upper", "频率 A/E 上限", "upper end of "
     "the exact Poisson interval of the frequency A/E"),
    ("amount_lower", "factor", 3, "amount A/E, lower", "金额 A/E 下限", "lower end of the "
     "compound-Poisson interval of the amount A/E"),
    ("amount_upper", "factor", 3, "amount A/E, upper", "金额 A/E 上限", "upper end of the "
     "compound-Poisson interval of the amount A/E"),
    ("credible_ae", "factor", 3, "credible A/E", "信度加权 A/E", "Z · A/E + (1 − Z) · 1"),
    ("ae", "factor", 3, "A/E", "A/E", "indemnity / expected loss at the filed pure rate"),
    ("ae_reported", "factor", 3, "A/E, reported", "A/E（已报告）", "reported incurred / "
     "expected cost (before IBNR)"),
    ("premium_at_target", "money", 2, "premium at the target CR", "目标综合成本率下保费",
     "gross premium at the target combined ratio, before any risk loading (元)"),
    ("aggregate_multiple", "factor", 1, "aggregate limit ÷ limit per accident",
     "累计限额倍数", "累计赔偿限额 as a multiple of the 每次事故赔偿限额"),
    ("credibility_ae", "factor", 3, "credibility-weighted A/E", "信度加权 A/E",
     "A/E* = Z · A/E + (1 − Z) · A/E of the zone + catastrophe load"),
    ("complement_ae", "factor", 3, "complement A/E", "补充 A/E", "the zone's A/E, the "
     "credibility complement"),
    ("cat_load", "factor", 3, "catastrophe load", "巨灾附加", "A/E above the provincial "
     "catastrophe cap, spread over the crop"),
    ("cat_threshold", "factor", 3, "catastrophe cap", "巨灾阈值", "yearly A/E above which the "
     "excess is spread over the crop"),
    ("factor", "factor", 3, "rate factor", "费率调整系数", "filed rate adjustment factor"),
    ("indicated_factor", "factor", 3, "indicated factor", "指示调整系数", "factor × "
     "credibility-weighted A/E"),
    ("new_factor", "factor", 3, "new factor", "新调整系数", "indicated factor clipped into the "
     "费率调整系数 band"),
    ("band_low", "factor", 2, "band low", "调整系数下限", "lowest factor the rules allow"),
    ("band_high", "factor", 2, "band high", "调整系数上限", "highest factor the rules allow"),
    ("band_gap", "factor", 3, "band gap", "区间缺口", "indicated − new factor"),
    # -- other measures -----------------------------------------------------------------------
    ("expected_yield", "number", 1, "expected yield μ", "预期单产 μ", "expected yield of the "
     "rating year on the detrended yields"),
    ("guarantee", "number", 1, "guarantee θμ", "保障产量 θμ", "coverage × expected yield"),
    ("beta", "number", 3, "heteroscedasticity β", "异方差指数 β", "exponent of the "
     "heteroscedastic adjustment"),
    ("bandwidth", "number", 2, "bandwidth", "核带宽", "kernel bandwidth (Silverman's rule "
     "unless stated)"),
    ("weight", "number", 2, "weight", "权重", "weight of the zone: sum of its counties' "
     "weights (1 each without weights)"),
    ("credibility_constant", "number", 2, "credibility constant k", "信度常数 k",
     "Bühlmann–Straub k = σ²/τ²"),
    ("within_variance", "number", 2, "within variance σ²", "组内方差 σ²", "Bühlmann within-"
     "county variance"),
    ("between_variance", "number", 4, "between variance τ²", "组间方差 τ²", "Bühlmann "
     "between-county variance"),
    ("yearly_ae_variance", "number", 4, "yearly A/E variance", "年度 A/E 方差", "variance of "
     "the crop's provincial A/E over the years"),
    ("slack", "label", 0, "slack", "余量", "limit − value (≥ 0: met)"),
    ("value", "label", 0, "value", "值", "the value of the row's quantity"),
    ("figure", "text", 0, "figure", "数字项", "id of a filed figure (puhui verify)"),
    ("sheet", "text", 0, "sheet", "工作表", "sheet of the filing workbook"),
    ("cell", "text", 0, "cell", "单元格", "cell of the filing workbook"),
    ("row", "text", 0, "row", "行", "the row a check is about (a 费率表 row key, a crop)"),
    ("filed", "label", 0, "filed", "报备值", "the figure as filed"),
    ("puhui", "label", 0, "recomputed", "重算值", "the figure recomputed by puhui"),
    ("abs_diff", "label", 0, "absolute difference", "绝对差", "|filed − recomputed|"),
    ("rel_diff", "label", 0, "relative difference", "相对差", "(filed − recomputed) / "
     "recomputed"),
    ("tolerance", "label", 0, "tolerance", "容差", "largest absolute difference accepted"),
    ("parameter", "label", 0, "parameter", "参数", "the lever's parameter (a factor or 元)"),
    ("target", "label", 0, "target", "目标值", "value the calibration aims at"),
    ("fitted", "label", 0, "fitted", "拟合值", "value the calibrated scenario gives"),
    ("residual", "label", 0, "residual", "残差", "fitted − target"),
    # -- small-business (小微企业) and gig-worker (新就业形态) cover ----------------------------
    ("firm", "text", 0, "firm", "企业", "firm (小微企业 / 个体工商户) id"),
    ("occupancy", "text", 0, "occupancy", "占用性质", "occupancy class of the property"),
    ("location_grade", "text", 0, "location grade", "地段风险等级", "location risk grade"),
    ("occupation_class", "code", 0, "occupation class", "职业类别", "职业类别 1–6"),
    ("platform", "text", 0, "platform", "平台", "delivery or ride-hailing platform"),
    ("city", "text", 0, "city", "城市", "city"),
    ("season", "text", 0, "season", "季节", "calendar quarter Q1–Q4"),
    ("platform_city", "text", 0, "platform / city", "平台/城市", "platform × city cell"),
    ("risks", "count", 0, "risks", "标的数", "number of risks (locations) insured"),
    ("risk_years", "number", 2, "risk-years", "风险单位年", "risk-years earned"),
    ("rate_permille", "number", 3, "rate", "费率", "gross premium / sum insured × 1000 (费率 ‰)"),
    ("deductible_per_loss", "money", 2, "deductible per loss", "每次事故免赔额", "deductible "
     "per loss (每次事故免赔额) of the design"),
    ("expected_paid", "money", 2, "expected claims paid", "预期赔款", "claims the product's "
     "basis expects: pure premium × exposure"),
    ("actual_paid", "money", 2, "claims paid", "实际赔款", "claims paid in the experience"),
    ("indemnity_share", "percent", 2, "indemnity share", "赔偿占比", "expected payout / "
     "expected ground-up loss"),
    ("frontier", "flag", 0, "on the frontier", "前沿方案", "no design is cheaper with a higher "
     "benefit (Pareto frontier)"),
    ("headcount", "count", 0, "headcount", "人数", "heads insured"),
    ("payroll", "money", 2, "payroll", "工资总额", "payroll (工资总额)"),
    ("pure_per_head", "money", 2, "pure premium per head", "人均纯保费", "φ_k · [(q_death + "
     "q_dis · s̄) · L + μ · E[min(r (X − d)₊, M)]]"),
    ("gross_per_head", "money", 2, "gross premium per head", "人均毛保费", "pure per head "
     "grossed up: (E + F + k·n)/(τ − v)"),
    ("claims_per_head", "number", 5, "claims per head", "人均出险次数", "expected paid claims "
     "per head-year"),
    ("gross_per_10k_payroll", "money", 2, "gross premium per 10,000 元 payroll",
     "每万元工资毛保费", "gross per head / (average salary / 10,000)"),
    ("death_disability_limit", "money", 2, "death and disability limit", "每人伤亡责任限额",
     "limit per person for death and disability"),
    ("medical_limit", "money", 2, "medical limit", "每人医疗费用限额", "medical limit per person"),
    ("medical_deductible", "money", 2, "medical deductible", "医疗免赔额", "deductible per "
     "accident of the medical cover"),
    ("medical_ratio", "percent", 1, "medical payout ratio", "医疗赔付比例", "share of the "
     "medical cost above the deductible that is paid"),
    ("lam", "number", 3, "claim rate λ", "出险率 λ", "claims per year of a group"),
    ("mean_relativity", "factor", 4, "mean relativity b(λ)", "平均费率系数 b(λ)",
     "Σ π_i(λ) r_i at the stationary distribution of the NCD scale"),
    ("efficiency", "number", 4, "efficiency η(λ)", "效率 η(λ)", "Loimaranta efficiency "
     "d ln b / d ln λ"),
    ("best_class_share", "percent", 2, "share in the best class", "最优等级占比", "stationary "
     "share of the best NCD class"),
    ("units", "number", 2, "exposure units", "风险单位数", "100 m² of floor area or 10,000 元 "
     "of turnover"),
    ("expected_accidents", "number", 4, "expected accidents", "预期事故数", "λ × units"),
    ("pure_no_aggregate", "money", 2, "pure premium without aggregate", "不计累计限额纯保费",
     "λ n E[min((X − d)₊, L)]"),
    ("aggregate_factor", "factor", 4, "aggregate factor", "累计限额系数", "E[min(S, A)] / "
     "E[S]"),
    ("limit_per_accident", "money", 2, "limit per accident", "每次事故赔偿限额", "limit per "
     "accident"),
    ("ilf", "factor", 4, "ILF", "增限因子", "E[min((X − d)₊, L)] / E[min((X − d)₊, B)]"),
    ("orders", "count", 0, "orders", "单量", "orders delivered"),
    ("worker_days", "count", 0, "rider-days", "人天", "worker-days (rows of the activity log)"),
    ("workers", "count", 0, "workers", "骑手数", "distinct workers"),
    ("hours", "number", 1, "hours", "在线时长", "hours online"),
    ("orders_per_day", "number", 2, "orders per day", "日均单量", "orders / worker-days"),
    ("orders_per_hour", "number", 3, "orders per hour", "时均单量", "orders / hours"),
    ("per_million_orders", "number", 3, "per million orders", "百万单出险率", "events per "
     "million orders"),
    ("payout_probability", "percent", 2, "P(payout > 0)", "赔付概率", "probability that an "
     "event is paid something"),
    ("pure_per_order", "number", 5, "pure premium per order", "每单纯保费", "f Σ λ_l E[Y_l] "
     "(元)", ),
    ("claims_per_order", "number", 8, "paid claims per order", "每单出险次数", "f Σ λ_l "
     "P(Y_l > 0)"),
    ("premium_per_order", "number", 4, "premium per order", "每单保费", "gross premium per "
     "order (元)"),
    ("premium_per_day", "number", 3, "premium per rider-day", "每人天保费", "premium × orders "
     "/ worker-days (元)"),
    ("premium_per_hour", "number", 4, "premium per hour", "每小时保费", "premium × orders / "
     "hours (元)"),
    ("count_lower", "number", 1, "count, lower", "件数下限", "lower end of the exact Poisson "
     "interval of the count"),
    ("count_upper", "number", 1, "count, upper", "件数上限", "upper end of the exact Poisson "
     "interval of the count"),
    ("mean_severity", "money", 2, "mean loss", "案均损失", "mean ground-up loss of an event "
     "(before deductible, payout ratio and limit)"),
    ("actual_amount", "money", 2, "actual amount", "实际赔款金额", "claims paid observed"),
    ("expected_amount", "money", 2, "expected amount", "预期赔款金额", "claims paid the "
     "product's basis expects for the exposure"),
    ("loss_ratio_large_at_expected", "percent", 2, "loss ratio, death and disability at "
     "expected", "身故伤残按预期计的综合赔付率", "loss ratio with the death and disability "
     "claims at their expected cost instead of the year's"),
    ("combined_ratio_large_at_expected", "percent", 2, "combined ratio, death and disability "
     "at expected", "身故伤残按预期计的综合成本率", "combined ratio with the death and "
     "disability claims at their expected cost instead of the year's"),
    ("level", "text", 0, "level", "水平", "level of a rating factor (a city, a season, a "
     "platform)"),
    ("frequency_relativity", "factor", 3, "frequency relativity", "频率相对系数", "exp(β) of "
     "the level in the Poisson GLM, relative to the factor's base level"),
)

_UNITS = {"expected_yield": "kg/亩", "guarantee": "kg/亩", "rate_permille": "‰",
          "pure_per_order": "元", "premium_per_order": "元", "premium_per_day": "元",
          "premium_per_hour": "元", "hours": "h"}

#: Every registered quantity by column name.
REGISTRY: dict[str, Quantity] = {
    name: Quantity(name, kind, en, zh, decimals, definition, _UNITS.get(name, ""))
    for name, kind, decimals, en, zh, definition in _ROWS}

#: Qualifiers that may follow a registered name (``share_paid_today``): (English, 中文).
QUALIFIERS: dict[str, tuple[str, str]] = {
    "fixed": ("fixed membership", "固定参保人数"),
    "today": ("today", "现行"),
    "chosen": ("chosen", "选定方案"),
    "lower": ("lower", "下限"),
    "upper": ("upper", "上限"),
    "min_group": ("lowest group", "最低组"),
    "healthy": ("healthy", "健康体"),
    "preexisting": ("preexisting", "既往症"),
    "filed": ("filed", "报备"),
    "in_catalogue": ("in-catalogue", "医保目录内"),
    "out_of_catalogue": ("out-of-catalogue", "目录外"),
    "special_drugs": ("special drugs", "特药"),
    "low": ("low", "低"),
    "mid": ("mid", "中"),
    "high": ("high", "高"),
}

#: Naming rules for names not registered: (regular expression, kind, decimals).
NAME_RULES: tuple[tuple[str, str, int], ...] = (
    (r".+_loss_ratio$|.+_ratio$|.+_rate$|.+_share$|.+_cr$|^prob_.+|^share_.+", "percent", 2),
    (r".+_premium$", "money", 2),
    (r".+_count$", "count", 0),
    (r".+_year$", "year", 0),
)

#: First columns that name a quantity per row (a long table): its numbers follow the row.
ROW_KEY_COLUMNS = ("metric", "quantity", "constraint", "item")

_OPERATOR = re.compile(r"\s*(<=|>=|==|<|>|=|≤|≥)\s*$")


def row_label(key: str, q: Quantity, lang: str | None) -> str:
    """The label of a row key (``expected_cr <=``) with its unit and operator.

    >>> row_label("expected_cr <=", REGISTRY["expected_cr"], "zh")
    '预期综合成本率（%） <='
    """
    m = _OPERATOR.search(key)
    return q.header(lang) + (f" {m.group(1)}" if m else "")


def lookup(name) -> Quantity | None:
    """The quantity of a column (or a row key) ``name``, or None when it is unregistered
    (module docstring: registry, registered name + qualifier, naming rules).

    >>> lookup("expected_cr_fixed").header("en")
    'expected CR, fixed membership (%)'
    >>> lookup("share_paid_today").header("zh")
    '获赔率·现行（%）'
    >>> lookup("ibnr_share").kind, lookup("x") is None
    ('percent', True)
    """
    if not isinstance(name, str):
        return None
    key = _OPERATOR.sub("", name.strip()).replace(" ", "_")
    q = REGISTRY.get(key)
    if q is not None:
        return q
    for qual, (en, zh) in QUALIFIERS.items():
        base = key[: -len(qual) - 1]
        if key.endswith("_" + qual) and base in REGISTRY:
            q = REGISTRY[base]
            return replace(q, name=key, en=f"{q.en}, {en}", zh=f"{q.zh}·{zh}",
                           definition=f"{q.definition} — {en}".strip(" —"))
    for pattern, kind, decimals in NAME_RULES:
        if re.match(pattern, key):
            words = key.replace("_", " ")
            return Quantity(key, kind, words, words, decimals, "")
    return None


def registered_quantities() -> list[Quantity]:
    """Every registered quantity, in the registry's order."""
    return list(REGISTRY.values())


# -- language ----------------------------------------------------------------------------------

_LANG: ContextVar[str | None] = ContextVar("puhui_report_language", default=None)


def check_language(lang) -> str | None:
    """``lang`` if it is ``"zh"``, ``"en"`` or None, else a :class:`~puhui.errors.ParameterError`.

    >>> check_language("zh")
    'zh'
    >>> check_language("fr")
    Traceback (most recent call last):
    ...
    puhui.errors.ParameterError: report language must be 'zh' or 'en' (or None for the default mix), got 'fr'
    """
    if lang is None or lang in LANGS:
        return lang
    raise ParameterError(f"report language must be 'zh' or 'en' (or None for the default mix), "
                         f"got {lang!r}")


def current_language() -> str | None:
    """The report language in force (:func:`language`; ``puhui … --lang``), None by default."""
    return _LANG.get()


@contextmanager
def language(lang: str | None) -> Iterator[str | None]:
    """Within the block, reports, table headers and figure labels are in ``lang``.

    >>> with language("en"):
    ...     current_language()
    'en'
    >>> current_language() is None
    True
    """
    token = _LANG.set(check_language(lang))
    try:
        yield lang
    finally:
        _LANG.reset(token)


#: The report's own texts (not the families' prose): key → (English, 中文).
TEXTS: dict[str, tuple[str, str]] = {
    "csv": ("(`tables/{name}.csv`)", "（`tables/{name}.csv`）"),
    "more_rows": ("… {n} more rows in the CSV file.", "… 另有 {n} 行，见 CSV 文件。"),
    "more_rows_html": ("… {n} more rows in tables/{name}.csv and in tables.xlsx.",
                       "… 另有 {n} 行，见 tables/{name}.csv 与 tables.xlsx。"),
    "trailer": ("Inputs, their SHA-256, library versions, seed and assumptions: "
                "`manifest.json`.",
                "输入文件及其 SHA-256、程序库版本、随机种子与假设：`manifest.json`。"),
    "contents": ("Contents", "目录"),
    "files": ("Files: report.md, report.html (this page), tables.xlsx (every table), "
              "tables/*.csv, figures/*.png, manifest.json.",
              "文件：report.md、report.html（本页）、tables.xlsx（全部表格）、tables/*.csv、"
              "figures/*.png、manifest.json。"),
    "yes": ("yes", "是"),
    "no": ("no", "否"),
}


def text(key: str, lang: str | None, **values) -> str:
    """One of the report's own texts (:data:`TEXTS`) in ``lang`` (English by default).

    >>> text("more_rows", "zh", n=3)
    '… 另有 3 行，见 CSV 文件。'
    """
    en, zh = TEXTS[key]
    return (zh if lang == "zh" else en).format(**values)


def tr(en: str, zh: str) -> str:
    """``zh`` when the language in force (:func:`current_language`) is ``"zh"``, else ``en`` —
    for prose written outside a :class:`~puhui.report.Report` (a figure's title, a note
    returned by a family's function); inside a report use :meth:`puhui.report.Report.tr`.

    >>> with language("zh"):
    ...     tr("Loss ratio", "赔付率")
    '赔付率'
    >>> tr("Loss ratio", "赔付率")
    'Loss ratio'
    """
    return zh if current_language() == "zh" else en
