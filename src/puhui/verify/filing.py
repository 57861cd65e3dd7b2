"""The filing format (报备材料) that ``puhui verify`` reads, and its strict reader.

A filing is one Excel workbook or one folder with the same content:

===========  =====================  ==========================================================
sheet        folder file            content
===========  =====================  ==========================================================
说明         —                      how to fill in each field (written by ``puhui template``)
产品信息     ``product.toml``       product, region, period, benefit terms (key → value)
假设         ``assumptions.toml``   the pricing basis: trend, expenses, loadings, target CR
费率表       ``rates.csv``          rates by cell (crop, life) or benefit terms (惠民保)
结果         ``results.csv``        the filed results: figure, description, value, unit,
                                    optional tolerance
===========  =====================  ==========================================================

The key → value sheets (产品信息, 假设) have the columns ``字段 key``, ``名称 name``,
``值 value``, ``单位 unit``, ``说明 description``; in the folder they are flat TOML tables
(``key = value``). A header cell may be written in Chinese, in English, or both
(``值 value``). CSV files are UTF-8 or GBK, decided strictly by :func:`puhui.data.read_table`.

Every field, column and figure id is from the documented list of its family
(:data:`FAMILIES`); an unknown one is an error suggesting the nearest name. A missing sheet,
file, column or required field is a :class:`~puhui.errors.DataError` naming the file, the sheet
and the column. Every value keeps its address (``sheet``, ``cell``) so that a difference can be
traced to the cell the filer typed.
"""

from __future__ import annotations

import difflib
import math
import tomllib
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

import pandas as pd

from ..errors import DataError, ParameterError, Problem

__all__ = ["FAMILIES", "PER_LABELS", "SMALLBIZ_KINDS", "Cell", "Field", "Figure", "Filing", "Family", "read_filing",
           "SHEETS", "figure_spec"]

#: Sheet key → (Chinese sheet name, folder file name).
SHEETS = {"info": ("产品信息", "product.toml"), "assumptions": ("假设", "assumptions.toml"),
          "rates": ("费率表", "rates.csv"), "results": ("结果", "results.csv")}
README_SHEET = "说明"
#: Columns of the key → value sheets and of the results sheet: key → Chinese header.
KV_COLUMNS = {"key": "字段", "name": "名称", "value": "值", "unit": "单位",
              "description": "说明"}
RESULT_COLUMNS = {"figure": "指标", "description": "说明", "value": "值", "unit": "单位",
                  "tolerance": "容差"}


@dataclass(frozen=True)
class Field:
    """One field of a key → value sheet, or one column of the rates sheet."""

    key: str
    zh: str
    kind: str            # "text" | "number" | "int" | "bool" | "date"
    unit: str = ""
    description: str = ""
    required: bool = True


@dataclass(frozen=True)
class Figure:
    """One filed result a family recomputes. ``per`` is what an id is suffixed with
    (``"year"``: ``ibnr.2025``; ``"class"``: an occupancy or ``all``, ``ae.retail``;
    ``"cell"``: a platform/city, ``ae.A/hangzhou``; ``"group"``: a health target group,
    ``required_premium.elderly``; ``"group_line"``: a group/benefit line,
    ``ae.elderly/medical``; ``"row"``: a 费率表 column checked per
    row); ``tolerance`` the default class (:mod:`puhui.verify.compare`)."""

    id: str
    zh: str
    description: str
    unit: str
    tolerance: str       # "money" | "rate_money" | "ratio" | "rate"
    per: str | None = None
    needs_data: bool = True


@dataclass(frozen=True)
class Family:
    name: str
    zh: str
    info: tuple[Field, ...]
    assumptions: tuple[Field, ...]
    rates: tuple[Field, ...]
    figures: tuple[Figure, ...]
    rate_key: tuple[str, ...]          # the columns naming a rates row
    rate_figures: tuple[str, ...] = ()  # rates columns that are filed results, checked too


def _f(key, zh, kind, unit="", description="", required=True):
    return Field(key, zh, kind, unit, description, required)


_DUTIES = (
    _f("applicable_area_listed", "适用地区已列明", "bool", "", "是否列明适用地区 (yes/no)", False),
    _f("product_filed", "已备案", "bool", "", "产品是否已报备 (yes/no)", False),
    _f("actuarial_review_done", "已精算回溯", "bool", "", "是否定期开展损益核算和精算回溯", False),
    _f("premium_matches_cover", "保费与保障相适配", "bool", "", "保费与保障是否相适配", False),
    _f("in_year_claim_condition_changes", "年度内理赔条件变更次数", "int", "次",
       "保单年度内变更理赔条件的次数 (must be 0)", False),
)

HUIMINBAO = Family(
    "huiminbao", "惠民保",
    info=(_f("code", "产品代码", "text", "", "the product code of the book (policies.product)"),
          _f("name", "产品名称", "text", "", "产品名称 (the 2025 notice asks for 定制 in it)"),
          _f("region", "适用地区", "text", "", "city / region covered"),
          _f("period_start", "保险期间起", "date", "", "first day of the filed policy year"),
          _f("period_end", "保险期间止", "date", "", "last day of the filed policy year"),
          _f("flat_price", "现行保费", "number", "元/人", "current flat price per member"),
          _f("valuation_date", "评估日", "date", "", "valuation date of the review figures",
             False),
          *_DUTIES),
    assumptions=(
        _f("medical_trend", "医疗费用趋势", "number", "每年", "medical trend a year, fraction"),
        _f("commission", "手续费及佣金", "number", "保费占比", "share of premium"),
        _f("admin", "业务及管理费", "number", "保费占比", "share of premium"),
        _f("taxes", "税金及附加", "number", "保费占比", "share of premium"),
        _f("protection_fund", "保险保障基金", "number", "保费占比", "share of premium"),
        _f("per_member", "每人固定费用", "number", "元/人", "fixed expense per member"),
        _f("target_combined_ratio", "目标综合成本率", "number", "", "target combined ratio"),
        _f("pricing_year", "定价年度", "int", "", "year priced (default: after the latest)",
           False),
        _f("ibnr_method", "IBNR方法", "text", "", "bornhuetter_ferguson or chain_ladder",
           False)),
    rates=(_f("line", "责任", "text", "", "benefit line: in_catalogue, out_of_catalogue, "
              "special_drugs"),
           _f("line_zh", "责任名称", "text", "", "Chinese name of the line", False),
           _f("segment", "人群", "text", "", "healthy (健康体) or preexisting (既往症)"),
           _f("deductible", "起付线", "number", "元", "annual deductible"),
           _f("payout_ratio", "赔付比例", "number", "", "share paid above the deductible"),
           _f("cap", "封顶线", "number", "元", "annual cap on the payout of the line")),
    figures=(
        Figure("pure_premium", "纯保费", "pure premium per member, pricing year", "元/人",
               "money"),
        Figure("gross_premium", "毛保费", "gross premium per member, pricing year", "元/人",
               "money"),
        Figure("expected_cr", "预期综合成本率", "expected combined ratio at the gross premium",
               "", "ratio"),
        Figure("indicated_change", "费率调整幅度", "gross premium / current flat price − 1", "",
               "ratio"),
        Figure("loss_ratio", "满期赔付率", "earned loss ratio incl. IBNR, by policy year", "",
               "ratio", per="year"),
        Figure("expense_ratio", "费用率", "expense ratio, by policy year", "", "ratio",
               per="year"),
        Figure("combined_ratio", "综合成本率", "combined ratio, by policy year", "", "ratio",
               per="year"),
        Figure("ibnr", "IBNR", "IBNR amount (the filed method), by policy year", "元",
               "money", per="year"),
        Figure("ae", "A/E", "actual / expected claim amount, by policy year", "", "ratio",
               per="year")),
    rate_key=("line", "segment"),
)

CROP = Family(
    "crop", "种植险",
    info=(_f("name", "产品名称", "text", "", "product name"),
          _f("product", "产品类型", "text", "", "full_cost (完全成本), planting_income "
             "(种植收入), cost (物化成本) …"),
          _f("subsidised", "财政补贴性产品", "bool", "", "yes/no: 财政补贴性产品"),
          _f("region", "适用地区", "text", "", "province"),
          _f("period_start", "保险期间起", "date", "", "first day of the filed period"),
          _f("period_end", "保险期间止", "date", "", "last day of the filed period")),
    assumptions=(
        _f("commission", "手续费", "number", "保费占比", "share of premium"),
        _f("admin", "业务及管理费", "number", "保费占比", "share of premium"),
        _f("loss_adjustment", "查勘定损费用", "number", "保费占比", "share of premium"),
        _f("other_expenses", "其他费用", "number", "保费占比", "share of premium"),
        _f("coverage", "保障水平", "number", "", "coverage level θ of the benchmark rate",
           False)),
    rates=(_f("county", "县", "text", "", "county (region code)"),
           _f("crop", "作物", "text", "", "rice, wheat, maize …"),
           _f("benchmark_rate", "基准纯风险损失率", "number", "", "benchmark pure rate"),
           _f("loading", "附加费率", "number", "", "loading, fraction of the rate"),
           _f("factor", "费率调整系数", "number", "", "rate adjustment factor"),
           _f("rate", "费率", "number", "", "filed rate = benchmark / (1 − loading) × factor"),
           _f("sum_insured", "保险金额", "number", "元/亩", "sum insured per mu"),
           _f("planting_income", "种植收入", "number", "元/亩",
              "planting income (产值) per mu")),
    figures=(
        Figure("expense_ratio", "综合费用率", "expense items of 假设 summed", "", "ratio",
               needs_data=False),
        Figure("rate", "费率", "filed rate of a 费率表 row (checked per row)", "", "rate",
               per="row", needs_data=False)),
    rate_key=("county", "crop"),
    rate_figures=("rate",),
)

LIFE = Family(
    "life", "定期寿险",
    info=(_f("name", "产品名称", "text", "", "product name"),
          _f("table", "生命表", "text", "", "one table for all (e.g. CL1_2010_2013)", False),
          _f("table_male", "男性生命表", "text", "", "table for sex M", False),
          _f("table_female", "女性生命表", "text", "", "table for sex F", False),
          _f("term", "保险期间", "int", "年", "term in years"),
          _f("period_start", "销售期间起", "date", "", "first day of sale"),
          _f("period_end", "销售期间止", "date", "", "last day of sale"),
          _f("min_entry_age", "最低投保年龄", "int", "岁", "", False),
          _f("max_entry_age", "最高投保年龄", "int", "岁", "", False),
          _f("max_expiry_age", "保障终止年龄", "int", "岁", "", False)),
    assumptions=(
        _f("interest", "预定利率", "number", "", "pricing interest rate"),
        _f("mortality_loading", "死亡率加成", "number", "", "1.5 = 150% of table"),
        _f("premium_share", "保费比例费用", "number", "保费占比", "every premium"),
        _f("initial_premium_share", "首年附加费用", "number", "保费占比", "first year", False),
        _f("per_policy", "每单维持费用", "number", "元/单", "each year", False),
        _f("initial_per_policy", "每单签发费用", "number", "元/单", "at issue", False),
        _f("profit_margin", "利润附加", "number", "保费占比", "", False),
        _f("per", "费率单位保额", "number", "元", "rates are per this sum insured (e.g. 1000)")),
    rates=(_f("age", "年龄", "int", "岁", "entry age"),
           _f("sex", "性别", "text", "", "M, F (or all for one table)"),
           _f("net_premium", "纯保费", "number", "元", "net annual premium per `per` 元"),
           _f("gross_premium", "毛保费", "number", "元", "gross annual premium per `per` 元")),
    figures=(
        Figure("net_premium", "纯保费", "net premium of a 费率表 row", "元", "rate_money",
               per="row", needs_data=False),
        Figure("gross_premium", "毛保费", "gross premium of a 费率表 row", "元", "rate_money",
               per="row", needs_data=False)),
    rate_key=("age", "sex"),
    rate_figures=("net_premium", "gross_premium"),
)

_EXPENSES = (
    _f("commission", "手续费及佣金", "number", "保费占比", "share of premium"),
    _f("admin", "业务及管理费", "number", "保费占比", "share of premium"),
    _f("taxes", "税金及附加", "number", "保费占比", "share of premium", False),
    _f("protection_fund", "保险保障基金", "number", "保费占比", "share of premium"),
)

SMALLBIZ = Family(
    "smallbiz", "小微企业财产险",
    info=(_f("code", "产品代码", "text", "", "product code"),
          _f("name", "产品名称", "text", "", "product name"),
          _f("kind", "险种类别", "text", "", "property (财产基本险/综合险); a liability or "
             "employer filing has its own fields (SMALLBIZ_KINDS)"),
          _f("cover", "保障类型", "text", "", "basic (基本险) or comprehensive (综合险)"),
          _f("region", "适用地区", "text", "", "city / province"),
          _f("period_start", "销售期间起", "date", "", "first day of the filed period"),
          _f("period_end", "销售期间止", "date", "", "last day of the filed period"),
          _f("deductible", "每次事故免赔额", "number", "元", "deductible per loss"),
          _f("payout_ratio", "赔付比例", "number", "", "share of the loss above the deductible "
             "that is paid (default 1)", False),
          _f("basic_share", "基本险责任占比", "number", "", "share of the 综合险 loss frequency "
             "that the 基本险 perils cover (basic cover only)", False)),
    assumptions=(
        *_EXPENSES,
        _f("per_member", "每单固定费用", "number", "元/单", "fixed expense per policy", False),
        _f("per_claim", "每案理赔费用", "number", "元/案", "claim handling cost per claim",
           False),
        _f("target_combined_ratio", "目标综合成本率", "number", "", "target combined ratio τ")),
    rates=(_f("occupancy", "占用性质", "text", "", "occupancy class (office, retail …)"),
           _f("occupancy_zh", "占用性质名称", "text", "", "Chinese name of the occupancy", False),
           _f("location_grade", "地段风险等级", "text", "", "location risk grade (A, B, C …)"),
           _f("frequency", "损失频率", "number", "次/年", "losses a risk-year of the occupancy "
              "(综合险 perils, factor-1 grade); one value per occupancy"),
           _f("curve", "损失曲线参数", "number", "", "Swiss Re exposure curve c of the "
              "occupancy's damage ratio; one value per occupancy"),
           _f("grade_factor", "地段系数", "number", "", "frequency factor of the location grade; "
              "one value per grade"),
           _f("sum_insured", "保险金额", "number", "元", "the sum insured the row is priced at"),
           _f("pure_premium", "纯保费", "number", "元", "filed pure premium a year of the row"),
           _f("gross_premium", "毛保费", "number", "元", "filed gross premium a year of the row"),
           _f("rate_permille", "费率", "number", "‰", "filed rate: gross premium / sum insured "
              "× 1000")),
    figures=(
        Figure("pure_premium", "纯保费", "pure premium of a 费率表 row: λ·r·V·E[X]·(1 − G(d/V))",
               "元", "rate_money", per="row", needs_data=False),
        Figure("gross_premium", "毛保费", "gross premium of a 费率表 row: (E + F + k·n)/(τ − v)",
               "元", "rate_money", per="row", needs_data=False),
        Figure("rate_permille", "费率", "gross premium / sum insured × 1000 of a 费率表 row",
               "‰", "ratio", per="row", needs_data=False),
        Figure("book_gross_premium", "业务总毛保费", "gross premium of the latest year's risks "
               "of the data (Σ over firms)", "元", "money"),
        Figure("ae", "A/E", "claims paid / claims expected on the filed basis, by occupancy "
               "(or all)", "", "ratio", per="class"),
        Figure("credible_ae", "信度加权 A/E", "Z·A/E + (1 − Z), Z = min(1, √(n/1,082)), by "
               "occupancy (or all)", "", "ratio", per="class"),
        Figure("loss_ratio", "赔付率", "claims paid / earned premium, by occupancy (or all)", "",
               "ratio", per="class"),
        Figure("expense_ratio", "费用率", "v + (F·policies + k·claims) / earned premium, by "
               "occupancy (or all)", "", "ratio", per="class"),
        Figure("combined_ratio", "综合成本率", "loss ratio + expense ratio, by occupancy (or "
               "all)", "", "ratio", per="class"),
        Figure("prob_cr_above_100", "P(综合成本率 > 100%)", "of the latest policy year at its "
               "earned premium (NP2)", "", "ratio")),
    rate_key=("occupancy", "location_grade"),
    rate_figures=("pure_premium", "gross_premium", "rate_permille"),
)

#: The fields every smallbiz filing kind shares (产品信息).
_SMALLBIZ_INFO = (
    _f("code", "产品代码", "text", "", "product code"),
    _f("name", "产品名称", "text", "", "product name"),
    _f("region", "适用地区", "text", "", "city / province"),
    _f("period_start", "销售期间起", "date", "", "first day of the filed period"),
    _f("period_end", "销售期间止", "date", "", "last day of the filed period"))
_SMALLBIZ_COSTS = (
    *_EXPENSES,
    _f("per_member", "每单固定费用", "number", "元/单", "fixed expense per policy (per head: "
       "employer)", False),
    _f("per_claim", "每案理赔费用", "number", "元/案", "claim handling cost per claim", False),
    _f("target_combined_ratio", "目标综合成本率", "number", "", "target combined ratio τ"))
_BY_YEAR = "by accident year (or all)"

#: A 公众责任 filing (``kind = "liability"`` of the smallbiz family): a rate card by policy size.
SMALLBIZ_LIABILITY = Family(
    "smallbiz", "小微企业公众责任险",
    info=(*_SMALLBIZ_INFO[:2],
          _f("kind", "险种类别", "text", "", "liability (公众责任险)"),
          *_SMALLBIZ_INFO[2:],
          _f("exposure_base", "风险单位", "text", "", "floor_area (营业面积, per 100 m²) or "
             "turnover (营业收入, per 10,000 元)"),
          _f("deductible", "每次事故免赔额", "number", "元", "deductible per accident "
             "(default 0)", False),
          _f("limit_per_accident", "每次事故赔偿限额", "number", "元", "limit per accident"),
          _f("aggregate_limit", "累计赔偿限额", "number", "元", "aggregate limit a policy-year"),
          _f("ilf_base_limit", "增限因子基准限额", "number", "元", "base limit of the ILFs "
             "(default the limit per accident)", False)),
    assumptions=(
        *_SMALLBIZ_COSTS,
        _f("frequency", "事故频率", "number", "次/单位/年", "accidents per exposure unit a "
           "year"),
        _f("severity_median", "损失中位数", "number", "元", "lognormal median of the loss per "
           "accident"),
        _f("severity_sigma", "损失对数标准差", "number", "", "σ of the log loss per accident"),
        _f("ibnr_method", "IBNR方法", "text", "", "bornhuetter_ferguson (default) or "
           "chain_ladder", False)),
    rates=(_f("units", "风险单位数", "number", "单位", "policy size: exposure units (100 m² or "
              "10,000 元)"),
           _f("pure_premium", "纯保费", "number", "元", "filed pure premium E[min(S, A)] a "
              "year of a policy of this size"),
           _f("gross_premium", "毛保费", "number", "元", "filed gross premium a year of a "
              "policy of this size")),
    figures=(
        Figure("pure_premium", "纯保费", "pure premium E[min(S, A)] of a 费率表 row (FFT "
               "compound Poisson)", "元", "rate_money", per="row", needs_data=False),
        Figure("gross_premium", "毛保费", "gross premium of a 费率表 row: (E + F + k·n)/(τ − v)",
               "元", "rate_money", per="row", needs_data=False),
        Figure("book_gross_premium", "业务总毛保费", "gross premium of the latest year's "
               "policies of the data at the filed rate card (Σ)", "元", "money"),
        Figure("ibnr", "IBNR", f"IBNR amount (the filed method), {_BY_YEAR}", "元", "money",
               per="year"),
        Figure("ae", "A/E", f"ultimate / the filed limited cost, {_BY_YEAR}", "", "ratio",
               per="year"),
        Figure("credible_ae", "信度加权 A/E", f"Z·A/E + (1 − Z), {_BY_YEAR}", "", "ratio",
               per="year"),
        Figure("loss_ratio", "赔付率", f"ultimate / earned premium, {_BY_YEAR}", "", "ratio",
               per="year"),
        Figure("expense_ratio", "费用率", f"v + (F·policies + k·claims) / earned premium, "
               f"{_BY_YEAR}", "", "ratio", per="year"),
        Figure("combined_ratio", "综合成本率", f"loss ratio + expense ratio, {_BY_YEAR}", "",
               "ratio", per="year"),
        Figure("prob_cr_above_100", "P(综合成本率 > 100%)", "of the latest policy year at its "
               "earned premium (NP2)", "", "ratio")),
    rate_key=("units",),
    rate_figures=("pure_premium", "gross_premium"),
)

#: A 雇主责任 filing (``kind = "employer"`` of the smallbiz family): rates by 职业类别.
SMALLBIZ_EMPLOYER = Family(
    "smallbiz", "小微企业雇主责任险",
    info=(*_SMALLBIZ_INFO[:2],
          _f("kind", "险种类别", "text", "", "employer (雇主责任险)"),
          *_SMALLBIZ_INFO[2:],
          _f("exposure_base", "风险单位", "text", "", "headcount (人数) or payroll (工资总额, "
             "per 10,000 元)"),
          _f("death_disability_limit", "每人伤亡责任限额", "number", "元", "death and "
             "disability limit per person"),
          _f("medical_limit", "每人医疗费用限额", "number", "元", "medical limit per person"),
          _f("medical_deductible", "医疗免赔额", "number", "元", "medical deductible per "
             "accident (default 0)", False),
          _f("medical_ratio", "医疗赔付比例", "number", "", "medical share paid above the "
             "deductible (default 1)", False),
          _f("ncd_relativities", "无赔款优待系数", "text", "", "the NCD scale's relativities, "
             "best class first, comma-separated (0.7, 0.8, …)"),
          _f("ncd_start", "无赔款优待起始等级", "int", "", "the class new groups start in "
             "(0 = best)"),
          _f("ncd_penalty", "出险上调等级数", "int", "", "classes up per claim (default 1)",
             False)),
    assumptions=(
        *_SMALLBIZ_COSTS,
        _f("average_salary", "人均年工资", "number", "元", "payroll base: salary a head",
           False),
        _f("death_rate", "工亡率", "number", "每人每年", "deaths a head-year, 职业类别 1"),
        _f("disability_rate", "伤残率", "number", "每人每年", "disabilities a head-year, "
           "职业类别 1"),
        *(_f(f"disability_grade_{k}", f"伤残{k}级概率", "number", "", f"P(伤残等级 {k} | a "
             f"disability); the ten sum to 1 (JR/T 0083 shares {11 - k}0 %)", False)
          for k in range(1, 11)),
        _f("disability_share", "伤残平均给付比例", "number", "", "mean payout share of a "
           "disability (Σ p_g s_g; needed when the grades are not filed)", False),
        _f("medical_frequency", "医疗出险率", "number", "每人每年", "injuries treated a "
           "head-year, 职业类别 1"),
        _f("medical_median", "医疗费用中位数", "number", "元", "lognormal median of a medical "
           "cost"),
        _f("medical_sigma", "医疗费用对数标准差", "number", "", "σ of the log medical cost"),
        _f("credibility", "信度方法", "text", "", "buhlmann_straub (default) or "
           "limited_fluctuation", False)),
    rates=(_f("occupation_class", "职业类别", "int", "", "职业类别 1–6"),
           _f("class_factor", "职业类别系数", "number", "", "rate factor of the class"),
           _f("pure_premium", "纯保费", "number", "元/人", "filed pure premium a head-year"),
           _f("gross_premium", "毛保费", "number", "元/人", "filed gross premium a head-year")),
    figures=(
        Figure("pure_premium", "纯保费", "pure premium per head of a 费率表 row: φ_k[(q_d + "
               "q_dis s̄)L + μ E[min(r(X − d)₊, M)]]", "元/人", "rate_money", per="row",
               needs_data=False),
        Figure("gross_premium", "毛保费", "gross premium per head of a 费率表 row", "元/人",
               "rate_money", per="row", needs_data=False),
        Figure("book_manual_premium", "业务总费率保费", "manual (class-rate) premium of the "
               "latest year's groups of the data (Σ)", "元", "money"),
        Figure("rated_premium", "经验费率保费", "Σ experience-rated premium of the groups: "
               "manual × (m̂ + Z(X̄ − m̂)), credibility by the filed method", "元", "money"),
        Figure("loss_ratio", "赔付率", "claims paid / premium, by policy year", "", "ratio",
               per="year"),
        Figure("expense_ratio", "费用率", "v + (F·heads + k·claims) / premium, by policy year",
               "", "ratio", per="year"),
        Figure("combined_ratio", "综合成本率", "loss ratio + expense ratio, by policy year", "",
               "ratio", per="year"),
        Figure("prob_cr_above_100", "P(综合成本率 > 100%)", "of the latest policy year at its "
               "premium (NP2 with the grades' distribution)", "", "ratio")),
    rate_key=("occupation_class",),
    rate_figures=("pure_premium", "gross_premium"),
)

#: The smallbiz filing kinds (产品信息 ``kind``): each its own fields, rates and figures.
SMALLBIZ_KINDS = {"property": SMALLBIZ, "liability": SMALLBIZ_LIABILITY,
                  "employer": SMALLBIZ_EMPLOYER}

GIG = Family(
    "gig", "灵活就业人员保险",
    info=(_f("name", "产品名称", "text", "", "product name"),
          _f("region", "适用地区", "text", "", "city / province"),
          _f("period_start", "销售期间起", "date", "", "first day of the filed period"),
          _f("period_end", "销售期间止", "date", "", "last day of the filed period"),
          _f("premium_basis", "计费方式", "text", "", "order (按单), day (按天) or hour (按小时)"),
          _f("premium", "保费", "number", "元/计费单位", "filed premium per order, day or hour"),
          _f("death_sum", "意外身故保险金额", "number", "元", "sum insured of 意外身故"),
          _f("disability_sum", "意外伤残保险金额", "number", "元", "sum insured of 意外伤残 "
             "(× the grade's share, JR/T 0083—2013)"),
          _f("medical_deductible", "意外医疗免赔额", "number", "元", "deductible per accident"),
          _f("medical_ratio", "意外医疗赔付比例", "number", "", "share paid above the "
             "deductible"),
          _f("medical_cap", "意外医疗限额", "number", "元", "limit per accident"),
          _f("liability_deductible", "第三者责任免赔额", "number", "元", "deductible per "
             "accident (default 0)", False),
          _f("liability_limit", "第三者责任限额", "number", "元", "limit per accident")),
    assumptions=(
        _f("target_combined_ratio", "目标综合成本率", "number", "", "target combined ratio τ"),
        *_EXPENSES,
        _f("per_claim", "每案理赔费用", "number", "元/案", "claim handling cost per claim",
           False),
        _f("death_per_million", "身故百万单出险率", "number", "次/百万单", "deaths per million "
           "orders"),
        _f("disability_per_million", "伤残百万单出险率", "number", "次/百万单", "disabilities "
           "per million orders"),
        _f("medical_per_million", "医疗百万单出险率", "number", "次/百万单", "medical accidents "
           "per million orders"),
        _f("medical_median", "医疗费用中位数", "number", "元", "lognormal median of the medical "
           "cost of an accident"),
        _f("medical_sigma", "医疗费用对数标准差", "number", "", "σ of the log medical cost"),
        _f("liability_per_million", "第三者责任百万单出险率", "number", "次/百万单",
           "third-party accidents per million orders"),
        _f("liability_median", "第三者损失中位数", "number", "元", "lognormal median of the "
           "third-party damages"),
        _f("liability_sigma", "第三者损失对数标准差", "number", "", "σ of the log damages"),
        *(_f(f"disability_grade_{k}", f"伤残{k}级概率", "number", "",
             f"P(grade {k} | a disability); the ten sum to 1") for k in range(1, 11))),
    rates=(_f("city", "城市", "text", "", "city of the activity log"),
           _f("season", "季节", "text", "", "calendar quarter Q1 … Q4"),
           _f("city_factor", "城市系数", "number", "", "frequency factor of the city; one value "
              "per city"),
           _f("season_factor", "季节系数", "number", "", "frequency factor of the season; one "
              "value per season"),
           _f("pure_per_order", "每单纯保费", "number", "元", "filed pure premium per order: "
              "f Σ λ_l E[Y_l]"),
           _f("premium_per_order", "每单毛保费", "number", "元", "filed gross premium per order: "
              "(E + k·n)/(τ − v)")),
    figures=(
        Figure("pure_per_order", "每单纯保费", "pure premium per order of a 费率表 row", "元",
               "rate", per="row", needs_data=False),
        Figure("premium_per_order", "每单毛保费", "gross premium per order of a 费率表 row", "元",
               "rate", per="row", needs_data=False),
        Figure("indicated_per_order", "指示每单保费", "gross premium per order on the whole "
               "activity log (its city × season mix)", "元", "rate"),
        Figure("indicated_per_day", "指示每人天保费", "indicated premium per rider-day: P·O/D",
               "元", "rate_money"),
        Figure("indicated_per_hour", "指示每小时保费", "indicated premium per hour: P·O/H", "元",
               "rate_money"),
        Figure("filed_per_day", "报备每人天保费", "the filed premium per rider-day on the log",
               "元", "rate_money"),
        Figure("loss_ratio", "综合赔付率", "claims paid / premium earned on the log at the filed "
               "premium", "", "ratio"),
        Figure("expense_ratio", "综合费用率", "expense ratio of the log's year", "", "ratio"),
        Figure("combined_ratio", "综合成本率", "loss ratio + expense ratio", "", "ratio"),
        Figure("combined_ratio_large_at_expected", "综合成本率（大额按期望）", "combined ratio "
               "with death and disability at their expected cost", "", "ratio"),
        Figure("prob_cr_above_100", "P(综合成本率 > 100%)", "next year at the same activity and "
               "filed premium (NP2)", "", "ratio"),
        Figure("ae", "A/E", "amount A/E of medical and liability claims, by platform/city", "",
               "ratio", per="cell"),
        Figure("credible_ae", "信度加权 A/E", "Bühlmann–Straub credible A/E of the monthly "
               "amount A/E, by platform/city", "", "ratio", per="cell")),
    rate_key=("city", "season"),
    rate_figures=("pure_per_order", "premium_per_order"),
)

#: A special-group health filing (特定人群普惠健康险, :mod:`puhui.life.health_product`): a cancer
#: lump sum and a medical layer for 老年人 / 残疾人 / 脱贫人口; the 费率表 is group × age band.
HEALTH = Family(
    "health", "特定人群普惠健康险",
    info=(_f("name", "产品名称", "text", "", "product name"),
          _f("region", "适用地区", "text", "", "city / province"),
          _f("period_start", "销售期间起", "date", "", "first day of the filed period"),
          _f("period_end", "销售期间止", "date", "", "last day of the filed period"),
          _f("mortality_table", "生命表", "text", "", "bundled table the cover ends at death "
             "on (e.g. CL1_2010_2013)"),
          _f("term", "保险期间", "int", "年", "years of cover (1: one-year renewable)"),
          _f("age_bands", "年龄段下限", "text", "岁", "lower edges of the age bands, "
             "comma-separated (30, 40, 50, 60, 70: the last band is 70+)")),
    assumptions=(
        _f("lump_sum", "癌症保险金额", "number", "元", "cancer lump sum S on first diagnosis"),
        _f("incidence_slope", "癌症发生率斜率", "number", "", "Gompertz slope b of the "
           "NCC 2015-level incidence ι(x) = a e^{bx} (default 0.08)", False),
        _f("medical_median", "住院自付费用中位数", "number", "元", "lognormal median of the "
           "out-of-pocket cost X of a hospital stay"),
        _f("medical_sigma", "住院自付费用对数标准差", "number", "", "σ of log X"),
        _f("deductible", "起付线", "number", "元", "medical deductible d"),
        _f("payout_ratio", "赔付比例", "number", "", "share r paid above the 起付线"),
        _f("limit", "年度限额", "number", "元", "annual limit C on the medical payout"),
        _f("interest", "预定利率", "number", "", "pricing interest rate i"),
        *_EXPENSES,
        _f("catastrophe_reserve", "大灾准备金", "number", "保费占比", "share of premium",
           False),
        _f("premium_share", "其他保费比例费用", "number", "保费占比", "share of premium", False),
        _f("per_member", "每人固定费用", "number", "元/人年", "fixed expense e a member-year",
           False),
        _f("target_combined_ratio", "目标综合成本率", "number", "", "target combined ratio τ")),
    rates=(_f("group", "人群", "text", "", "elderly (老年人), disabled (残疾人) or "
              "poverty_alleviated (脱贫人口)"),
           _f("group_zh", "人群名称", "text", "", "Chinese name of the group", False),
           _f("min_age", "最低投保年龄", "int", "岁", "lowest entry age of the group; one value "
              "per group"),
           _f("max_age", "最高投保年龄", "int", "岁", "highest entry age of the group; one value "
              "per group"),
           _f("incidence_loading", "癌症发生率系数", "number", "", "× the NCC incidence; one "
              "value per group"),
           _f("mortality_loading", "死亡率系数", "number", "", "× the table's q_x; one value per "
              "group"),
           _f("hospital_stays", "年住院次数", "number", "次/人年", "hospital stays λ a "
              "member-year; one value per group"),
           _f("premium", "备案保费", "number", "元/人年", "the flat premium a member of the group "
              "pays a year; one value per group"),
           _f("age_band", "年龄段", "text", "", "an age band of age_bands (60-69, 70+ …) within "
              "the group's entry ages"),
           _f("net_premium", "纯保费", "number", "元/人年", "filed level net premium "
              "P = (S·A + m·M)/ä, mean over the band's whole entry ages of the group"),
           _f("gross_premium", "毛保费", "number", "元/人年", "filed gross premium "
              "(P + e)/(τ − v), mean over the band's whole entry ages of the group")),
    figures=(
        Figure("net_premium", "纯保费", "net premium of a 费率表 row: mean over the band's "
               "entry ages of (S·A + m·M)/ä", "元/人年", "rate_money", per="row",
               needs_data=False),
        Figure("gross_premium", "毛保费", "gross premium of a 费率表 row: mean over the band's "
               "entry ages of (P + e)/(τ − v)", "元/人年", "rate_money", per="row",
               needs_data=False),
        Figure("required_premium", "所需保费", "premium the group needs at the target 综合成本率 "
               "on next year's book (the latest policy year's members), by group", "元/人年",
               "money", per="group"),
        Figure("expected_cr", "预期综合成本率", "the book's expected combined ratio "
               "(E + eN)/P + v at the filed premiums", "", "ratio"),
        Figure("expected_cr_max_group", "各人群最高预期综合成本率", "the highest group's expected "
               "combined ratio at the filed premiums", "", "ratio"),
        Figure("prob_cr_above_100", "P(综合成本率 > 100%)", "next year at the filed premiums on "
               "the filed basis (NP2)", "", "ratio"),
        Figure("prob_cr_above_100_revised", "P(综合成本率 > 100%)（修订基础）", "next year at the "
               "filed premiums on the credibility-revised basis (NP2)", "", "ratio"),
        Figure("ae", "A/E", "actual / expected paid amount, by group/line (line cancer or "
               "medical)", "", "ratio", per="group_line"),
        Figure("credible_ae", "信度加权 A/E", "Z·A/E + (1 − Z), Z = min(1, √(n/1,082)), by "
               "group/line", "", "ratio", per="group_line"),
        Figure("loss_ratio", "综合赔付率", "claims paid / earned premium, by policy year (or "
               "all)", "", "ratio", per="year"),
        Figure("expense_ratio", "综合费用率", "expenses / earned premium, by policy year (or "
               "all)", "", "ratio", per="year"),
        Figure("combined_ratio", "综合成本率", "loss ratio + expense ratio, by policy year (or "
               "all)", "", "ratio", per="year")),
    rate_key=("group", "age_band"),
    rate_figures=("net_premium", "gross_premium"),
)

#: How a per-figure id is suffixed, as the 说明 sheet writes it (``ibnr.YEAR``).
PER_LABELS = {"year": "YEAR", "class": "OCCUPANCY", "cell": "PLATFORM/CITY", "row": "ROW",
              "group": "GROUP", "group_line": "GROUP/LINE"}

#: The families a filing may be of.
FAMILIES: dict[str, Family] = {f.name: f for f in (HUIMINBAO, CROP, LIFE, SMALLBIZ, GIG,
                                                        HEALTH)}


@dataclass(frozen=True)
class Cell:
    """A filed value with its address: ``sheet`` (or file) and ``cell`` (A1, or a TOML key)."""

    value: object
    sheet: str
    cell: str


@dataclass
class Filing:
    """A filing read strictly: family, key → :class:`Cell` dicts, the rates table (values)
    with the address of every cell, and the results rows."""

    family: Family
    source: Path
    info: dict[str, Cell]
    assumptions: dict[str, Cell]
    rates: pd.DataFrame
    rate_cells: pd.DataFrame           # same shape: "sheet!cell" of each value
    rates_sheet: str
    results: pd.DataFrame              # figure, description, value, unit, tolerance, sheet, cell
    files: list[Path] = field(default_factory=list)

    def value(self, key: str, default=None):
        """The value of an 产品信息 or 假设 field (``default`` when it was left empty)."""
        for part in (self.info, self.assumptions):
            if key in part:
                return part[key].value
        return default

    def where(self, key: str) -> tuple[str, str]:
        for part in (self.info, self.assumptions):
            if key in part:
                return part[key].sheet, part[key].cell
        return "", ""

    @property
    def as_of(self) -> str:
        """The day the rules are checked on: the last day of the filed period."""
        return str(self.value("period_end"))


def figure_spec(family: Family, figure_id: str) -> Figure:
    """The documented figure of ``figure_id`` (``ibnr.2025`` → ``ibnr``), or a ParameterError
    suggesting the nearest id."""
    base = figure_id.split(".", 1)[0]
    known = {f.id: f for f in family.figures}
    if base not in known:
        raise ParameterError(_unknown(f"figure id {figure_id!r} of a {family.name} filing",
                                      base, list(known)))
    return known[base]


def _unknown(what: str, name: str, known: list[str]) -> str:
    near = difflib.get_close_matches(name, known, n=1, cutoff=0.5)
    hint = f"; did you mean {near[0]!r}?" if near else ""
    return f"unknown {what}{hint} (known: {', '.join(known)})"


# --- reading -----------------------------------------------------------------------------------

def column_letter(j: int) -> str:
    """0 → A, 25 → Z, 26 → AA."""
    s = ""
    j += 1
    while j:
        j, r = divmod(j - 1, 26)
        s = chr(65 + r) + s
    return s


def _err(table: str, column: str | None, row: int | None, rule: str, message: str,
         value=None) -> DataError:
    return DataError([Problem(table, column, row, rule, message, value)])


def _match_columns(df: pd.DataFrame, names: dict[str, str], table: str,
                   required: list[str]) -> dict[str, int]:
    """Column key → position; a header cell may be the English key, the Chinese name or both."""
    where: dict[str, int] = {}
    problems = []
    for j, head in enumerate(df.columns):
        text = str(head).strip()
        if not text:
            continue
        words = text.replace("(", " ").replace(")", " ").split()
        hit = [k for k, zh in names.items() if text in (k, zh) or k in words or zh in words]
        if not hit:
            problems.append(Problem(table, text, None, "unknown_column",
                                    _unknown("column", text, [f"{zh} {k}" for k, zh in
                                                              names.items()])))
            continue
        where.setdefault(hit[0], j)
    for k in required:
        if k not in where:
            problems.append(Problem(table, f"{names[k]} {k}", None, "missing_column",
                                    f"the column '{names[k]} {k}' is missing"))
    if problems:
        raise DataError(problems)
    return where


def _blank(v) -> bool:
    return v is None or (isinstance(v, float) and math.isnan(v)) or (isinstance(v, str)
                                                                      and not v.strip())


def _convert(v, spec: Field, table: str, column: str, row: int | None):
    """A filed cell as the field's kind, or a DataError naming where it is."""
    if isinstance(v, str):
        v = v.strip()
    try:
        if spec.kind == "text":
            if isinstance(v, float) and v.is_integer():
                return str(int(v))
            return str(v)
        if spec.kind == "number":
            if isinstance(v, bool):
                raise ValueError
            x = float(str(v).replace(",", "")) if isinstance(v, str) else float(v)
            if not math.isfinite(x):
                raise ValueError
            return x
        if spec.kind == "int":
            if isinstance(v, bool):
                raise ValueError
            x = float(v)
            if not x.is_integer():
                raise ValueError
            return int(x)
        if spec.kind == "bool":
            if isinstance(v, bool):
                return v
            t = str(v).strip().lower()
            if t in ("yes", "true", "1", "是", "y"):
                return True
            if t in ("no", "false", "0", "否", "n"):
                return False
            raise ValueError
        if spec.kind == "date":
            if isinstance(v, datetime):
                return v.date().isoformat()
            if isinstance(v, date):
                return v.isoformat()
            return datetime.strptime(str(v)[:10], "%Y-%m-%d").date().isoformat()
    except (TypeError, ValueError):
        pass
    expect = {"text": "text", "number": "a number", "int": "a whole number",
              "bool": "yes or no (是/否)", "date": "a date YYYY-MM-DD"}[spec.kind]
    raise _err(table, column, row, "bad_value", f"{spec.key} ({spec.zh}) must be {expect}", v)


def _check_fields(found: dict[str, Cell], specs: tuple[Field, ...], table: str) -> dict:
    known = {s.key: s for s in specs}
    problems = []
    bad: set[str] = set()   # given but not of the field's kind (reported once, not as missing)
    out = {}
    for key, c in found.items():
        if key not in known:
            problems.append(Problem(table, None, None, "unknown_field",
                                    _unknown(f"field {key!r}", key, list(known))))
            continue
        if _blank(c.value):
            continue
        try:
            out[key] = Cell(_convert(c.value, known[key], table, c.cell, None), c.sheet, c.cell)
        except DataError as err:
            problems.extend(err.problems)
            bad.add(key)
    for s in specs:
        if s.required and s.key not in out and s.key not in bad:
            problems.append(Problem(table, s.key, None, "missing_field",
                                    f"the required field {s.key} ({s.zh}) is missing or empty"))
    if problems:
        raise DataError(problems)
    return out


def _read_sheet(path: Path, sheet: str, name: str) -> pd.DataFrame:
    from ..data import read_table

    if path.is_dir():
        return read_table(path / name)
    return read_table(path, sheet_name=sheet)


def _kv_from_frame(df: pd.DataFrame, table: str, sheet: str) -> dict[str, Cell]:
    cols = _match_columns(df, KV_COLUMNS, table, ["key", "value"])
    jk, jv = cols["key"], cols["value"]
    out: dict[str, Cell] = {}
    for i in range(len(df)):
        key = df.iat[i, jk]
        if _blank(key):
            continue
        key = str(key).strip()
        if key in out:
            raise _err(table, KV_COLUMNS["key"], i + 1, "duplicate_field",
                       f"the field {key} is given twice")
        out[key] = Cell(df.iat[i, jv], sheet, f"{column_letter(jv)}{i + 2}")
    return out


def _kv_from_toml(path: Path, table: str) -> dict[str, Cell]:
    from ..data.io import _check_readable, _decode, _read_bytes

    if not path.exists():
        raise _err(table, None, None, "missing_file", f"the file {path.name} is missing")
    _check_readable(path)
    text = _decode(_read_bytes(path, False), path.name, None)
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise _err(table, None, None, "bad_toml", f"not valid TOML: {exc}") from None
    out = {}
    for key, value in doc.items():
        if isinstance(value, dict):
            raise _err(table, key, None, "bad_toml", "a filing's TOML is flat (key = value); "
                       f"[{key}] is a table")
        out[key] = Cell(value, path.name, key)
    return out


def read_filing(source, family: str | None = None) -> Filing:
    """Read a filing (an .xlsx workbook or a folder), strictly.

    The family is read from 产品信息 / ``product.toml`` field ``family`` unless given.
    """
    path = Path(source)
    if not path.exists():
        raise ParameterError(f"{path}: no such filing (an .xlsx workbook or a folder)")
    folder = path.is_dir()
    if not folder and path.suffix.lower() != ".xlsx":
        raise ParameterError(f"{path}: a filing is an .xlsx workbook or a folder of "
                             "product.toml, assumptions.toml, rates.csv and results.csv")

    def table_name(key: str) -> str:
        zh, file = SHEETS[key]
        return f"{path.name}/{file}" if folder else f"{path.name}, sheet {zh}"

    def sheet_label(key: str) -> str:
        zh, file = SHEETS[key]
        return file if folder else zh

    kv = {}
    for key in ("info", "assumptions"):
        if folder:
            kv[key] = _kv_from_toml(path / SHEETS[key][1], table_name(key))
        else:
            df = _read_sheet(path, SHEETS[key][0], "")
            kv[key] = _kv_from_frame(df, table_name(key), sheet_label(key))
    fam_cell = kv["info"].pop("family", None)
    name = family or (str(fam_cell.value).strip() if fam_cell is not None else None)
    if name is None:
        raise _err(table_name("info"), "family", None, "missing_field",
                   f"the field family is missing: one of {', '.join(FAMILIES)}")
    if name not in FAMILIES:
        raise ParameterError(_unknown("family", name, list(FAMILIES)))
    fam = FAMILIES[name]
    if fam is SMALLBIZ:                       # the kind picks the smallbiz fields and figures
        kind = kv["info"].get("kind")
        kind = str(kind.value).strip() if kind is not None else "property"
        if kind not in SMALLBIZ_KINDS:
            raise ParameterError(f"{table_name('info')}: kind {kind!r} — "
                                 + _unknown("smallbiz kind", kind, list(SMALLBIZ_KINDS)))
        fam = SMALLBIZ_KINDS[kind]
    info = _check_fields(kv["info"], fam.info, table_name("info"))
    assumptions = _check_fields(kv["assumptions"], fam.assumptions, table_name("assumptions"))

    # 费率表
    rtable = table_name("rates")
    raw = _read_sheet(path, SHEETS["rates"][0], SHEETS["rates"][1])
    names = {s.key: s.zh for s in fam.rates}
    cols = _match_columns(raw, names, rtable, [s.key for s in fam.rates if s.required])
    data, cells = {}, {}
    keep = [i for i in range(len(raw)) if not all(_blank(v) for v in raw.iloc[i])]
    problems = []
    for s in fam.rates:
        if s.key not in cols:
            continue
        j = cols[s.key]
        vals, addr = [], []
        for i in keep:
            v = raw.iat[i, j]
            if _blank(v):
                if s.required:
                    problems.append(Problem(rtable, f"{s.zh} {s.key}", i + 1, "missing_value",
                                            "empty cell"))
                vals.append(None)
            else:
                try:
                    vals.append(_convert(v, s, rtable, f"{s.zh} {s.key}", i + 1))
                except DataError as err:
                    problems.extend(err.problems)
                    vals.append(None)
            addr.append(f"{column_letter(j)}{i + 2}")
        data[s.key], cells[s.key] = vals, addr
    if not keep:
        problems.append(Problem(rtable, None, None, "empty_table", "the rates table is empty"))
    if problems:
        raise DataError(problems)
    rates = pd.DataFrame(data)
    rate_cells = pd.DataFrame(cells)
    dup = rates.duplicated(list(fam.rate_key), keep=False)
    if dup.any():
        first = int(dup.to_numpy().nonzero()[0][0])
        raise _err(rtable, " × ".join(fam.rate_key), keep[first] + 1, "duplicate_row",
                   f"{' × '.join(fam.rate_key)} given twice: "
                   f"{tuple(rates.loc[first, list(fam.rate_key)])}")

    # 结果
    stable = table_name("results")
    raw = _read_sheet(path, SHEETS["results"][0], SHEETS["results"][1])
    cols = _match_columns(raw, RESULT_COLUMNS, stable, ["figure", "value"])
    rows = []
    seen = set()
    number = Field("value", "值", "number")
    tol = Field("tolerance", "容差", "number")
    for i in range(len(raw)):
        fid = raw.iat[i, cols["figure"]]
        if _blank(fid):
            continue
        fid = str(fid).strip()
        try:
            spec = figure_spec(fam, fid)
        except ParameterError as err:
            problems.append(Problem(stable, f"{RESULT_COLUMNS['figure']} figure", i + 1,
                                    "unknown_figure", str(err)))
            continue
        if spec.per == "row":
            problems.append(Problem(stable, "指标 figure", i + 1, "unknown_figure",
                                    f"{fid}: this figure is filed in the 费率表, one per row"))
            continue
        if (spec.per is None) != ("." not in fid):
            problems.append(Problem(stable, "指标 figure", i + 1, "bad_figure",
                                    f"{fid}: {'give it as ' + spec.id + '.' + PER_LABELS[spec.per] if spec.per else 'takes no suffix'}"))
            continue
        if fid in seen:
            problems.append(Problem(stable, "指标 figure", i + 1, "duplicate_figure",
                                    f"{fid} is given twice"))
            continue
        seen.add(fid)
        j = cols["value"]
        v = raw.iat[i, j]
        if _blank(v):
            problems.append(Problem(stable, "值 value", i + 1, "missing_value", f"{fid}: no value"))
            continue
        try:
            value = _convert(v, number, stable, "值 value", i + 1)
            t = raw.iat[i, cols["tolerance"]] if "tolerance" in cols else None
            t = None if _blank(t) else _convert(t, tol, stable, "容差 tolerance", i + 1)
        except DataError as err:
            problems.extend(err.problems)
            continue
        if t is not None and t < 0:
            problems.append(Problem(stable, "容差 tolerance", i + 1, "bad_value",
                                    "a tolerance is ≥ 0", t))
            continue
        rows.append({"figure": fid, "value": value, "tolerance": t,
                     "sheet": sheet_label("results"), "cell": f"{column_letter(j)}{i + 2}"})
    if problems:
        raise DataError(problems)
    results = pd.DataFrame(rows, columns=["figure", "value", "tolerance", "sheet", "cell"])
    files = [path] if not folder else sorted(p for p in path.iterdir() if p.is_file())
    return Filing(fam, path, info, assumptions, rates, rate_cells, sheet_label("rates"),
                  results, files)
