"""Schemas of the tables puhui reads: columns, dtypes, units, Chinese terms and value rules.

The schema is data, not code: `docs/data_model.md` is written from it and
`puhui.data.validate` enforces it. Conventions (see docs/architecture.md):

* money in yuan (元, float64); ratios as fractions in [0, 1]; dates as ``datetime64``;
* ``end_date`` is the **last day of cover, inclusive** (保险止期: "至 … 二十四时止"), so a policy
  from 2024-01-01 to 2024-12-31 covers 366 days;
* ``exposure`` is the number of exposure units a policy covers over its whole term
  (人 for medical and accident cover, 亩 for crops, 头 for livestock, 户 for farm houses).

**Column headers in English or Chinese.** Every column has an English name and a Chinese term
(``Column.zh``); a table's header may use either, or both in one cell, and the two languages
may be mixed in one file (:meth:`Schema.resolve`)::

    policy_id                    the English name
    保单号                        the Chinese term (a term with alternatives, 风险单位数/承保数量,
                                 is accepted whole or as either part; a qualifier in
                                 parentheses may be left out: 未决赔款准备金)
    保单号 policy_id              both, separated by blanks, '/' or in parentheses:
    policy_id (保单号)            保单号(policy_id), policy_id/保单号 …

Headers are compared after Unicode NFKC normalisation (full-width letters and parentheses typed
in a Chinese input method read as ASCII) with the blanks around them removed; English names are
case-sensitive. The terms of one table never collide (checked when a :class:`Schema` is made),
so a header names at most one column; two headers naming the same column are an error.
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from dataclasses import dataclass, field

# Column value types understood by the validator.
STR, FLOAT, INT, DATE, BOOL = "str", "float", "int", "date", "bool"

#: Upper bound of every money column (元): 10^12 (1 万亿元) is far above any one policy or claim
#: and keeps sums over millions of rows finite and exact to the fen. A larger value is an error.
MAX_MONEY = 1e12
#: Upper bound of exposure units and areas (人, 亩, 头, 户).
MAX_UNITS = 1e10


def bound_text(x: float) -> str:
    """A bound as written in the docs: 1e12 rather than 1e+12.

    >>> bound_text(1e12), bound_text(2200), bound_text(0.5)
    ('1e12', '2200', '0.5')
    """
    text = f"{x:g}"
    return text.replace("e+", "e")


def normalize_header(text) -> str:
    """A header as it is compared with the schema's names: Unicode NFKC (full-width letters,
    digits and parentheses become ASCII), without a byte-order mark or surrounding blanks, inner
    runs of blanks as one space.

    >>> normalize_header(" \ufeff保单号（ policy_id ） ")
    '保单号( policy_id )'
    """
    text = unicodedata.normalize("NFKC", str(text)).replace("\ufeff", "")
    return " ".join(text.split())


def zh_headers(zh: str) -> tuple[str, ...]:
    """The Chinese headers accepted for a column whose term is ``zh``: the term as written, each
    of its '/'-separated alternatives, and each without a parenthesised qualifier.

    >>> zh_headers("风险单位数/承保数量")
    ('风险单位数/承保数量', '风险单位数', '承保数量')
    >>> zh_headers("未决赔款准备金(已报案)")
    ('未决赔款准备金(已报案)', '未决赔款准备金')
    """
    term = normalize_header(zh)
    out = [term]
    for part in [term, *term.split("/")]:
        for form in (part.strip(), re.sub(r"\s*\([^()]*\)\s*$", "", part).strip()):
            if form and form not in out:
                out.append(form)
    return tuple(out)


@dataclass(frozen=True)
class Column:
    """One column of a table: name, type, unit, Chinese term and value rules."""

    name: str
    dtype: str
    zh: str
    description: str
    unit: str = ""
    required: bool = True
    nullable: bool = False
    minimum: float | None = None
    maximum: float | None = None
    allowed: tuple[str, ...] | None = None

    @property
    def rule(self) -> str:
        """The value rule in words, for documentation."""
        parts = []
        if self.allowed:
            parts.append("one of " + ", ".join(self.allowed))
        if self.minimum is not None and self.maximum is not None:
            parts.append(f"in [{bound_text(self.minimum)}, {bound_text(self.maximum)}]")
        elif self.minimum is not None:
            parts.append(f"≥ {bound_text(self.minimum)}")
        if self.nullable:
            parts.append("may be empty")
        return "; ".join(parts)

    @property
    def headers(self) -> tuple[str, ...]:
        """Every header that names this column: the English name and the Chinese forms
        (:func:`zh_headers`)."""
        return (self.name, *(h for h in zh_headers(self.zh) if h != self.name))


@dataclass(frozen=True)
class Schema:
    """A table kind: its columns and the columns whose combination must be unique."""

    kind: str
    zh: str
    description: str
    columns: tuple[Column, ...]
    key: tuple[str, ...] = field(default_factory=tuple)

    def __post_init__(self):
        # every header names one column of the table: a Chinese term shared by two columns
        # would make a header ambiguous, so it is refused when the schema is made
        owner: dict[str, str] = {}
        for c in self.columns:
            for h in c.headers:
                if owner.setdefault(h, c.name) != c.name:
                    raise ValueError(f"schema {self.kind!r}: header {h!r} would name both "
                                     f"{owner[h]!r} and {c.name!r}")
        object.__setattr__(self, "_headers", owner)

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)

    def resolve(self, header) -> str | None:
        """The column a header names (English, Chinese, or both in one cell), else None.

        Examples
        --------
        >>> s = schema("claims")
        >>> [s.resolve(h) for h in ("claim_id", "赔案号", "赔案号 claim_id", "paid（已决赔款）",
        ...                         "未决赔款准备金", "赔案号 paid", "Claim_ID")]
        ['claim_id', 'claim_id', 'claim_id', 'paid', 'case_reserve', None, None]
        """
        h = normalize_header(header)
        found = self._one(h)
        if found is not None:
            return found
        # two names of the same column: "保单号 policy_id", "保单号/policy_id"
        for m in re.finditer(r" |/", h):
            left, right = self._one(h[:m.start()].strip()), self._one(h[m.end():].strip())
            if left is not None and left == right:
                return left
        return None

    def _one(self, h: str) -> str | None:
        """A header that is one name of a column, or a name with another in parentheses
        (保单号(policy_id), policy_id (保单号))."""
        found = self._headers.get(h)
        if found is None:
            m = re.fullmatch(r"(.+)\(([^()]+)\)", h)
            if m:
                left = self._headers.get(m.group(1).strip())
                found = left if left == self._headers.get(m.group(2).strip()) else None
        return found

    def suggest(self, header) -> str | None:
        """The column whose English or Chinese name is nearest ``header`` (difflib), if any is
        near enough to be a likely misspelling.

        >>> schema("policies").suggest("保单编号"), schema("policies").suggest("Premium")
        ('policy_id', 'premium')
        """
        h = normalize_header(header)
        parts = [h, *(p.strip() for p in re.split(r"[ /()]", h) if p.strip())]
        names = {k.lower(): v for k, v in self._headers.items()}
        for part in parts:
            near = difflib.get_close_matches(part.lower(), list(names), n=1, cutoff=0.6)
            if near:
                return names[near[0]]
        return None

    def header_list(self) -> str:
        """The English name and Chinese term of every column, for messages:
        ``policy_id = 保单号, product = 产品, …``."""
        return ", ".join(f"{c.name} = {c.zh}" for c in self.columns)

    @property
    def required(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns if c.required)

    def column(self, name: str) -> Column:
        for c in self.columns:
            if c.name == name:
                return c
        raise KeyError(name)


def _money(name: str, zh: str, description: str, **kw) -> Column:
    return Column(name, FLOAT, zh, description, unit="元 (yuan)", minimum=0.0,
                  maximum=MAX_MONEY, **kw)


def _ratio(name: str, zh: str, description: str, **kw) -> Column:
    return Column(name, FLOAT, zh, description, unit="fraction", minimum=0.0, maximum=1.0,
                  required=False, nullable=True, **kw)


POLICIES = Schema(
    "policies",
    "保单",
    "One row per policy (or per insured member of a group policy) and policy year.",
    (
        Column("policy_id", STR, "保单号", "Unique policy (or member-year) identifier."),
        Column("product", STR, "产品", "Product code, e.g. a 惠民保 city product or a crop cover."),
        Column("region", STR, "地区", "City, county or province the risk is in."),
        Column("segment", STR, "细分/人群", "Rating segment, e.g. healthy / preexisting, or a crop."),
        Column("start_date", DATE, "保险起期", "First day of cover."),
        Column("end_date", DATE, "保险止期", "Last day of cover (inclusive)."),
        _money("sum_insured", "保险金额", "Sum insured per policy (all exposure units)."),
        _money("premium", "保费", "Written premium of the policy for its whole term."),
        Column("exposure", FLOAT, "风险单位数/承保数量",
               "Exposure units covered for the whole term (人, 亩, 头, 户 …).",
               unit="unit", minimum=0.0, maximum=MAX_UNITS),
        Column("exposure_unit", STR, "承保单位", "Unit of `exposure`: 人, 亩, 头, 户 …",
               required=False),
        Column("policy_year", INT, "保单年度", "Policy (underwriting) year of the row.",
               required=False, minimum=1900, maximum=2200),
        Column("age", INT, "年龄", "Age at entry, in completed years.", unit="year",
               required=False, nullable=True, minimum=0, maximum=120),
        Column("sex", STR, "性别", "M or F.", required=False, nullable=True, allowed=("M", "F")),
        Column("preexisting", BOOL, "既往症", "Member has a pre-existing condition.",
               required=False, nullable=True),
        Column("crop", STR, "作物", "Crop or animal insured (agricultural cover).",
               required=False, nullable=True),
        _ratio("subsidy_share", "财政补贴比例",
               "Share of the premium paid by central + local government subsidy."),
        _ratio("payout_ratio", "赔付比例", "Payout ratio that applies to this member."),
    ),
    key=("policy_id",),
)

CLAIMS = Schema(
    "claims",
    "赔案",
    "One row per claim, valued at the data's valuation date.",
    (
        Column("claim_id", STR, "赔案号", "Unique claim identifier."),
        Column("policy_id", STR, "保单号", "Policy the claim is made under."),
        Column("accident_date", DATE, "出险日期", "Date of loss / treatment."),
        Column("report_date", DATE, "报案日期", "Date the claim was reported."),
        _money("paid", "已决赔款", "Paid to date (cumulative)."),
        _money("case_reserve", "未决赔款准备金(已报案)", "Case reserve outstanding."),
        Column("status", STR, "赔案状态", "open, closed or reopened.",
               allowed=("open", "closed", "reopened")),
        Column("payment_date", DATE, "支付日期", "Date of the (last) payment; empty if unpaid.",
               required=False, nullable=True),
        Column("benefit_line", STR, "责任类型",
               "Benefit line, e.g. in_catalogue (医保目录内), out_of_catalogue (目录外), "
               "special_drugs (特药).", required=False, nullable=True),
    ),
    key=("claim_id",),
)

PAYMENTS = Schema(
    "payments",
    "赔款支付明细",
    "One row per payment on a claim (for development triangles with several payments).",
    (
        Column("claim_id", STR, "赔案号", "Claim the payment belongs to."),
        Column("payment_date", DATE, "支付日期", "Date of payment."),
        _money("amount", "支付金额", "Amount paid (yuan); recoveries are separate rows "
               "in a later release."),
        Column("payment_id", STR, "支付流水号", "Identifier of the payment, needed only to tell "
               "apart two real payments of the same amount on the same day of the same claim "
               "(without it such rows are reported as `duplicate_row`).", required=False),
    ),
    key=("payment_id",),
)

COSTS = Schema(
    "costs",
    "医疗费用",
    "Ground-up annual covered cost of a member on a benefit line (惠民保 experience), one row per "
    "member × line with a cost; members without a row had no cost.",
    (
        Column("policy_id", STR, "保单号", "Member-year (policy) the cost belongs to."),
        Column("benefit_line", STR, "责任类型",
               "in_catalogue (医保目录内自付), out_of_catalogue (目录外), special_drugs (特药) …"),
        _money("cost", "合规医疗费用", "Annual covered cost before 起付线 and 赔付比例."),
    ),
    key=("policy_id", "benefit_line"),
)

BASIS = Schema(
    "basis",
    "定价基础",
    "The pricing basis a 惠民保 price was filed on (`basis.csv`, read by `puhui review`): the "
    "expected members paid and payout per member-year, one row per policy year × segment × age "
    "band × benefit line. The bands of a year must not overlap (`overlapping_bands`), and every "
    "member's age must fall in a band.",
    (
        Column("policy_year", INT, "保单年度", "Policy year the expectation is for.",
               minimum=1900, maximum=2200),
        Column("segment", STR, "细分/人群", "Segment of the product (healthy, preexisting …), as "
               "in the policies' `segment` column."),
        Column("age_band", STR, "年龄段", "Label of the age band, e.g. 0-59 or 60+."),
        Column("min_age", INT, "最低年龄", "First age of the band (inclusive).", unit="year",
               minimum=0, maximum=120),
        Column("max_age", INT, "最高年龄", "Last age of the band (inclusive).", unit="year",
               minimum=0, maximum=120),
        Column("benefit_line", STR, "责任类型", "Benefit line, as in the product file's "
               "[[lines]] names (in_catalogue, out_of_catalogue, special_drugs …)."),
        Column("claims_per_member", FLOAT, "出险率", "Expected number of members paid on the "
               "line per member-year (e.g. 0.012).", unit="per member-year", minimum=0.0,
               maximum=MAX_UNITS),
        _money("payout_per_member", "人均赔付", "Expected payout on the line per member-year."),
    ),
    key=("policy_year", "segment", "age_band", "benefit_line"),
)

EXPENSES = Schema(
    "expenses",
    "费用",
    "Actual expenses and reinsurance of a product's policy years (损益核算), one row per policy "
    "year, for the retrospective review's combined ratio by the regulatory definitions "
    "(puhui.ratios); cumulative from the start of the year to the valuation date.",
    (
        Column("policy_year", INT, "保单年度", "Policy (underwriting) year the amounts belong to.",
               minimum=1900, maximum=2200),
        _money("commission", "手续费及佣金", "Commission and brokerage."),
        _money("admin_expenses", "业务及管理费", "Operating and administrative expenses "
               "allocated to the year (claims handling included)."),
        _money("taxes_and_surcharges", "税金及附加", "Taxes and surcharges (0 for VAT-exempt "
               "short-term health cover)."),
        _money("protection_fund", "保险保障基金", "Insurance protection fund levy."),
        _money("ceded_premium", "分出保费", "Premium ceded to reinsurers (0 when absent).",
               required=False),
        _money("ceded_claims_paid", "摊回赔付支出", "Reinsurers' share of the claims paid "
               "(摊回赔款; 0 when absent).", required=False),
        _money("ceded_claim_reserves", "摊回未决赔款准备金", "Reinsurers' share of the outstanding "
               "claims (case reserves and IBNR) at the valuation date; when absent, the share "
               "recovered on paid claims is applied to the outstanding claims.", required=False),
        _money("ceded_reinsurance_expenses", "摊回分保费用", "Ceding commission recovered from "
               "reinsurers (0 when absent).", required=False),
    ),
    key=("policy_year",),
)

YIELDS = Schema(
    "yields",
    "单产",
    "Yield history per region and crop (one row per region × crop × year).",
    (
        Column("region", STR, "地区", "County / region."),
        Column("crop", STR, "作物", "Crop."),
        Column("year", INT, "年份", "Harvest year.", minimum=1800, maximum=2200),
        Column("yield", FLOAT, "单产", "Yield per unit area (e.g. kg/亩).", unit="kg/亩",
               minimum=0.0, maximum=1e6),
        Column("area", FLOAT, "面积", "Area harvested or insured.", unit="亩", minimum=0.0,
               maximum=MAX_UNITS, required=False, nullable=True),
    ),
    key=("region", "crop", "year"),
)

INDEX_SERIES = Schema(
    "index_series",
    "指数序列",
    "Weather or other index observations per station (e.g. daily rainfall, temperature).",
    (
        Column("station", STR, "站点", "Weather station or index identifier."),
        Column("date", DATE, "日期", "Observation date."),
        Column("value", FLOAT, "数值", "Observed value (rainfall in mm, temperature in °C …).",
               minimum=-1e9, maximum=1e9),
        Column("variable", STR, "指标", "What `value` measures, e.g. rainfall_mm.",
               required=False),
    ),
    key=("station", "date", "variable"),
)

PRICES = Schema(
    "prices",
    "价格",
    "Market price series (e.g. wholesale vegetable prices for 价格指数保险).",
    (
        Column("market", STR, "市场", "Market where the price is observed."),
        Column("product", STR, "品种", "Product priced (e.g. 茭白)."),
        Column("date", DATE, "日期", "Observation date."),
        Column("price", FLOAT, "价格", "Price per unit (元/kg).", unit="元/kg", minimum=0.0,
               maximum=1e6),
    ),
    key=("market", "product", "date"),
)

SCHEMAS: dict[str, Schema] = {
    s.kind: s for s in (POLICIES, CLAIMS, PAYMENTS, COSTS, BASIS, EXPENSES, YIELDS, INDEX_SERIES,
                        PRICES)
}


def schema(kind: str) -> Schema:
    """The schema of table ``kind`` (one of ``SCHEMAS``)."""
    try:
        return SCHEMAS[kind]
    except KeyError:
        from ..errors import ParameterError

        raise ParameterError(
            f"unknown table kind {kind!r}; expected one of {', '.join(SCHEMAS)}"
        ) from None
