"""惠民保 retrospective review (精算回溯) and 损益核算, policy year by policy year.

The 2025 NFRA notice asks insurers to review each policy year (损益核算和精算回溯) and adjust
benefits and rates by the deviation of actual from expected claims. :func:`review` runs the
standard steps:

1. exposure and earned premium by policy year (pro rata by day, to the valuation date);
2. reported claims and IBNR by policy year: chain ladder with Mack standard errors on the
   reported-count and reported-incurred triangles (policy-year origin, quarterly development
   by report date), and Bornhuetter–Ferguson — the method for the immature latest year —
   with the basis loss ratio **updated by the review's own A/E** as the a-priori:
   ``ELR′ = ELR_filed · (Z · A/E + 1 − Z)``, Z the limited-fluctuation credibility of the
   year's claims. With Z = 1 this is the Benktander method (Mack 2000, ASTIN Bulletin 30(2)):
   the a-priori becomes the Bornhuetter–Ferguson ultimate of the filed basis. The filed a-priori
   is kept beside it (``bf_apriori="filed"`` adopts it);
3. cells (policy year × segment × age band × benefit line) with the IBNR spread as the basis
   expects it, and actual vs expected by each dimension, frequency and severity separately,
   with exact Poisson intervals, credibility and the drivers of the deviation;
4. 损益核算 by underwriting year on the regulatory definitions (:func:`puhui.ratios.
   combined_ratio`): 综合赔付率 net of reinsurance, 综合费用率 and 综合成本率 from the **actual
   expenses table** (手续费及佣金, 业务及管理费, 税金及附加, 保险保障基金, 分出保费, 摊回赔付支出,
   摊回未决赔款准备金, 摊回分保费用; :data:`puhui.data.schema.EXPENSES`) — or, without one, from
   the product file's assumed expenses, flagged ``expenses = "assumed"`` in the table and in the
   notes;
5. the indication for the next policy year (:func:`puhui.experience.rate_indication`): the rate
   change and, the other lever, the benefit change at the current price, each checked against
   the rulebooks in force (:func:`puhui.rules.check`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ..errors import DataError, ParameterError, Problem
from ..experience.ae import AEResult, actual_vs_expected
from ..experience.exposure import earned
from ..experience.ibnr import ReserveResult, bornhuetter_ferguson, chain_ladder
from ..experience.indication import Indication, rate_indication
from ..experience.triangles import triangle
from ..ratios import combined_ratio, underwriting_year_ratios
from ..report.notes import Note
from .cells import allocate_ibnr, experience_cells
from .folder import check_product
from .product import Product

DIMENSIONS = {"policy_year": ("policy_year",), "segment": ("segment",),
              "age_band": ("age_band",), "benefit_line": ("benefit_line",),
              "year_line": ("policy_year", "benefit_line"),
              "year_segment": ("policy_year", "segment"),
              "segment_line": ("segment", "benefit_line")}
IBNR_METHODS = ("bornhuetter_ferguson", "chain_ladder")
#: The a-priori loss ratio of Bornhuetter–Ferguson: the filed basis updated by the review's A/E
#: (the default), or the filed basis as it is.
BF_APRIORI = ("updated", "filed")
#: Expense lines of the expenses table (all required) and its reinsurance lines (optional).
EXPENSE_LINES = ("commission", "admin_expenses", "taxes_and_surcharges", "protection_fund")
REINSURANCE_LINES = ("ceded_premium", "ceded_claims_paid", "ceded_claim_reserves",
                     "ceded_reinsurance_expenses")
#: The scope of a 惠民保 product in the rulebooks (puhui.rules).
RULE_SCOPE = {"sector": "health", "line": "huiminbao"}


@dataclass(frozen=True)
class ReviewResult:
    """Everything a review found; tables are DataFrames, figures come from ``plot_*``.

    ``ibnr`` (one row per policy year) holds the chain ladder with Mack's s.e. and both
    Bornhuetter–Ferguson estimates: ``filed_loss_ratio`` / ``ibnr_bf_filed`` on the filed basis,
    ``apriori_loss_ratio`` / ``ibnr_bornhuetter_ferguson`` on the a-priori adopted
    (``bf_apriori``), with ``apriori_credibility`` the Z of its update. ``ratios`` holds the
    损益核算 of each year on the regulatory definitions, with ``expenses`` = ``"actual"`` or
    ``"assumed"``; ``statement`` the income-statement lines they come from. Each of
    ``notes`` is a :class:`~puhui.report.notes.Note`: the text in the language in force,
    with its English, its Chinese and the report section it belongs to. ``indication`` is the
    rate and benefit indication for the next policy year (None where it cannot be made, with a
    note) and ``indication_table`` its lines (``item``, ``value``, ``basis``; ``item_zh`` and
    ``basis_zh`` the same item and basis in Chinese), ``benefit_levers`` the designs that carry
    the benefit change (needs member costs; ``lever_zh`` and ``design_zh`` in Chinese),
    ``rule_check`` the rulebooks' verdict on them.
    """

    product: Product
    as_of: pd.Timestamp
    ibnr_method: str
    premium: pd.DataFrame
    reserves: dict[str, ReserveResult]
    ibnr: pd.DataFrame
    cells: pd.DataFrame
    ae: dict[str, AEResult]
    ratios: pd.DataFrame
    notes: list[str] = field(default_factory=list)
    bf_apriori: str = "updated"
    expenses: pd.DataFrame | None = None
    statement: pd.DataFrame | None = None
    indication: Indication | None = None
    indication_table: pd.DataFrame | None = None
    benefit_levers: pd.DataFrame | None = None
    rule_check: pd.DataFrame | None = None

    @property
    def expenses_basis(self) -> str:
        """``"actual"`` (an expenses table was given) or ``"assumed"`` (the product file's)."""
        return "actual" if self.expenses is not None else "assumed"

    def significant_deviations(self) -> pd.DataFrame:
        """Every dimension's groups whose A/E interval excludes 1, largest deviation first."""
        rows = []
        for name, res in self.ae.items():
            sig = res.table[res.table["significant"]]
            for _, r in sig.iterrows():
                rows.append({"dimension": name,
                             "group": " / ".join(str(r[c]) for c in res.by),
                             "frequency_ae": r["frequency_ae"], "severity_ae": r["severity_ae"],
                             "amount_ae": r["amount_ae"], "amount_lower": r["amount_lower"],
                             "amount_upper": r["amount_upper"],
                             "deviation": r["actual_amount"] - r["expected_amount"]})
        out = pd.DataFrame(rows)
        if out.empty:
            return out
        return out.reindex(out["deviation"].abs().sort_values(ascending=False).index).reset_index(
            drop=True)

    def plot_ae(self, dimension: str = "segment", ax=None, measure: str = "amount"):
        """Forest plot of A/E for one dimension (see ``DIMENSIONS``)."""
        return self.ae[dimension].plot(ax=ax, measure=measure)

    def plot_ratios(self, ax=None):
        """Loss, expense and combined ratio by policy year against the target."""
        from ..plots import label, new_axes

        ax = new_axes(ax)
        r = self.ratios
        x = np.arange(len(r))
        net = self.expenses is not None
        ax.bar(x, 100 * r["loss_ratio"],
               label=label("综合赔付率" if net else "满期赔付率",
                           "loss ratio (net)" if net else "loss ratio"), color="#4c72b0")
        ax.bar(x, 100 * r["expense_ratio"], bottom=100 * r["loss_ratio"],
               label=label("综合费用率" + ("" if net else " (假设)"),
                           "expense ratio" + ("" if net else " (assumed)")), color="#dd8452")
        ax.axhline(100 * self.product.target_combined_ratio, color="black", ls="--", lw=1,
                   label=label("目标综合成本率", "target combined ratio"))
        ax.axhline(100, color="grey", lw=0.8)
        for i, v in enumerate(r["combined_ratio"]):
            ax.text(i, 100 * v + 1, f"{v:.1%}", ha="center", fontsize=8)
        ax.set_xticks(x, [str(y) for y in r["policy_year"]])
        ax.set_xlabel(label("保单年度", "policy year"))
        ax.set_ylabel("%")
        ax.set_title(label("保单年度综合成本率（含IBNR）", "Combined ratio by policy year (incl. IBNR)"))
        ax.legend(fontsize=8, loc="lower right")
        return ax


# --- actual expenses ------------------------------------------------------------------------

def check_expenses(expenses: pd.DataFrame, premium: pd.DataFrame, *,
                   table: str = "expenses") -> pd.DataFrame:
    """The actual expenses table checked against the book: validated as the ``expenses`` table
    (:data:`puhui.data.schema.EXPENSES`), one row for every policy year of the book and none
    for another, and no more premium ceded than written. Optional reinsurance columns that are
    absent become 0, except ``ceded_claim_reserves`` (NaN: estimated, see :func:`review`).

    ``premium`` has ``policy_year`` and ``written_premium`` (the review's premium table).
    Raises :class:`puhui.DataError` listing every problem with its row.
    """
    from ..data import validate

    if not isinstance(expenses, pd.DataFrame):
        raise ParameterError(f"expenses: expected a DataFrame (the expenses table), got "
                             f"{type(expenses).__name__}")
    typed = validate(expenses, "expenses", table=table)
    years = premium["policy_year"].to_numpy("int64")
    span = f"{years.min()}–{years.max()}"
    problems = []
    have = typed["policy_year"].to_numpy("int64")
    for r in np.flatnonzero(~np.isin(have, years)) + 1:
        problems.append(Problem(table, "policy_year", int(r), "unknown_year",
                                f"not a policy year of the book ({span})", int(have[r - 1])))
    for y in sorted(set(years.tolist()) - set(have.tolist())):
        problems.append(Problem(table, "policy_year", None, "missing_year",
                                f"no row for policy year {y} of the book ({span}): give the "
                                "actual expenses of every year (without the table the product "
                                "file's assumed expenses are used, and the report says so)"))
    if "ceded_premium" in typed.columns:
        written = premium.set_index("policy_year")["written_premium"].reindex(have).to_numpy()
        over = typed["ceded_premium"].to_numpy(float) > written * (1 + 1e-9)
        for r in np.flatnonzero(over & np.isfinite(written)) + 1:
            problems.append(Problem(table, "ceded_premium", int(r), "above_premium",
                                    f"more ceded than the year's written premium "
                                    f"{written[r - 1]:,.2f}", typed["ceded_premium"].iat[r - 1]))
    if problems:
        raise DataError(problems)
    out = typed.set_index("policy_year").reindex(years)
    for col in REINSURANCE_LINES:
        if col not in out.columns:
            out[col] = np.nan if col == "ceded_claim_reserves" else 0.0
    return out[[*EXPENSE_LINES, *REINSURANCE_LINES]].rename_axis("policy_year").reset_index()


def _statements(uw: pd.DataFrame, product: Product, expenses: pd.DataFrame | None):
    """The income-statement lines of each underwriting year at the valuation date, and notes.

    Cumulative from the start of the year, so every reserve "change" is the reserve held:
    ``change_in_upr`` = UPR at the valuation date (net of the reinsurers' share, ceded premium
    taken as earned like the gross), ``change_in_claim_reserves`` = case reserves + IBNR.
    Without actual expenses, the product's: shares of earned premium and ``per_member`` per
    member (in 业务及管理费), no reinsurance.
    """
    written = uw["written_premium"].to_numpy(float)
    earned_p = uw["earned_premium"].to_numpy(float)
    upr = written - earned_p
    out = pd.DataFrame({"policy_year": uw["policy_year"].to_numpy(),
                        "gross_written_premium": written})
    notes = []
    if expenses is None:
        e = product.expenses
        other = e.variable_rate - e.commission - e.taxes - e.protection_fund
        out["ceded_premium"] = 0.0
        out["change_in_upr"] = upr
        out["claims_paid"] = uw["paid"].to_numpy(float)
        out["ceded_claims_paid"] = 0.0
        out["change_in_claim_reserves"] = uw["outstanding"].to_numpy(float)
        out["ceded_change_in_claim_reserves"] = 0.0
        out["commission"] = e.commission * earned_p
        out["admin_expenses"] = other * earned_p + e.per_member * uw["members"].to_numpy(float)
        out["taxes_and_surcharges"] = e.taxes * earned_p
        out["ceded_reinsurance_expenses"] = 0.0
        out["protection_fund"] = e.protection_fund * earned_p
        notes.append(Note(
            f"Expenses assumed, not actual: the product file's {e.variable_rate:.1%} of earned "
            f"premium + {e.per_member:g} 元 per member, gross of reinsurance. Give the actual "
            "expenses (an expenses table) for the combined ratio on the regulatory definitions.",
            f"费用为假设值，并非实际数：按产品文件取已赚保费的 {e.variable_rate:.1%} 加每人 "
            f"{e.per_member:g} 元，未扣除再保险。提供实际费用（expenses 表）即可按监管口径"
            "计算综合成本率。", section="ratios"))
        return out, notes
    x = expenses.set_index("policy_year").reindex(out["policy_year"])
    ceded = x["ceded_premium"].to_numpy(float)
    with np.errstate(divide="ignore", invalid="ignore"):
        ceded_upr = np.where(written > 0, ceded * upr / written, 0.0)
    paid = uw["paid"].to_numpy(float)
    outstanding = uw["outstanding"].to_numpy(float)
    recovered = x["ceded_claims_paid"].to_numpy(float)
    given = x["ceded_claim_reserves"].to_numpy(float)
    with np.errstate(divide="ignore", invalid="ignore"):
        share = np.where(paid > 0, recovered / paid, 0.0)
    estimated = np.isnan(given)
    ceded_out = np.where(estimated, share * outstanding, given)
    out["ceded_premium"] = ceded
    out["change_in_upr"] = upr - ceded_upr
    out["claims_paid"] = paid
    out["ceded_claims_paid"] = recovered
    out["change_in_claim_reserves"] = outstanding
    out["ceded_change_in_claim_reserves"] = ceded_out
    for col in EXPENSE_LINES:
        out[col] = x[col].to_numpy(float)
    out["ceded_reinsurance_expenses"] = x["ceded_reinsurance_expenses"].to_numpy(float)
    notes.append(Note("Expenses actual (the expenses table); 综合赔付率, 综合费用率 and 综合成本率 "
                      "on the regulatory definitions (puhui.ratios), net of reinsurance.",
                      "费用为实际数（expenses 表）；综合赔付率、综合费用率与综合成本率按监管口径"
                      "计算（puhui.ratios），均为扣除再保险后的净额。", section="ratios"))
    if estimated.any() and (ceded_out[estimated] > 0).any():
        shares = [(y, s) for y, s, e in zip(out["policy_year"], share, estimated, strict=True)
                  if e and s > 0]
        years = ", ".join(f"{y} ({s:.1%})" for y, s in shares)
        years_zh = "、".join(f"{y} 年 {s:.1%}" for y, s in shares)
        notes.append(Note(
            "Reinsurers' share of the outstanding claims (摊回未决赔款准备金) not given: "
            f"estimated at the share recovered on paid claims, {years} — right for a quota "
            "share, not for an excess-of-loss treaty (give ceded_claim_reserves).",
            "未提供摊回未决赔款准备金：按已付赔款的摊回比例估计（"
            f"{years_zh}）——适用于成数分保，不适用于超额赔款分保（请提供 "
            "ceded_claim_reserves）。", section="ratios"))
    return out, notes


# --- reserves -------------------------------------------------------------------------------

def _triangles(claims, policies, as_of):
    import warnings

    from ..experience.triangles import ExcludedRecordsWarning

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ExcludedRecordsWarning)  # none after as_of by design
        return triangle(claims, origin="policy_year", value=["count", "incurred"], grain="OYDQ",
                        as_of=as_of, policies=policies)


def _origin_years(res: ReserveResult) -> np.ndarray:
    return np.array([pd.Period(str(o)).year if not isinstance(o, (int, np.integer)) else int(o)
                     for o in res.by_origin["origin"]], dtype="int64")


def _age(year: int, as_of: pd.Timestamp) -> int:
    """Months from the start of policy year ``year`` to the end of the valuation month."""
    return (as_of.year - int(year)) * 12 + as_of.month


def _cdf_at(res: ReserveResult, age: int) -> float:
    """The factor to ultimate at development age ``age`` (months), 1 beyond the last age."""
    starts = res.factors["period"].str.split("-").str[0].astype(int).to_numpy()
    hit = np.flatnonzero(starts == age)
    return float(res.factors["cdf"].iat[hit[0]]) if len(hit) else 1.0


def _bf_by_year(tri, years, prem, apriori, res_cl, as_of):
    """Bornhuetter–Ferguson IBNR of every policy year: chainladder's on the triangle's origins,
    ``ELR · P · (1 − 1/CDF)`` at its age for a year without any claim yet (not an origin)."""
    have = years[np.isin(years, tri.years)]
    res = bornhuetter_ferguson(tri.incurred, premium=prem.loc[have],
                               apriori=apriori.loc[have].to_numpy())
    ibnr = pd.Series(0.0, index=years)
    ibnr.loc[_origin_years(res)] = res.by_origin["ibnr"].to_numpy()
    for y in years[~np.isin(years, tri.years)]:
        ibnr.loc[y] = apriori.loc[y] * prem.loc[y] * (1 - 1 / _cdf_at(res_cl, _age(y, as_of)))
    return res, ibnr


@dataclass
class _Tri:
    count: object
    incurred: object
    years: np.ndarray


def review(product: Product, policies: pd.DataFrame, claims: pd.DataFrame,
           basis: pd.DataFrame, *, as_of, ibnr_method: str = "bornhuetter_ferguson",
           level: float = 0.95, expenses: pd.DataFrame | None = None,
           bf_apriori: str = "updated", costs: pd.DataFrame | None = None,
           policy_books=()) -> ReviewResult:
    """Run the retrospective review of a 惠民保 book at the valuation date ``as_of``.

    Parameters
    ----------
    product : Product
        The product (assumed expenses, medical trend, price and target combined ratio are read
        from it); the policies must be its book: one code in their ``product`` column, equal to
        ``product.code``.
    policies, claims : DataFrame
        Validated member-year and claim tables (claims with ``benefit_line``).
    basis : DataFrame
        The pricing basis (see :mod:`puhui.huiminbao.basis`).
    as_of : date
        Valuation date (评估日).
    ibnr_method : {"bornhuetter_ferguson", "chain_ladder"}
        Method whose IBNR amount is spread into the cells; both are reported. IBNR counts come
        from the chain ladder on reported counts.
    level : float
        Confidence level of the A/E intervals.
    expenses : DataFrame, optional
        Actual expenses and reinsurance by policy year (the ``expenses`` table, see
        :func:`check_expenses`). Without it the product file's assumed expenses are used and
        the result says so (``ratios["expenses"] == "assumed"``, a note).
    bf_apriori : {"updated", "filed"}
        Bornhuetter–Ferguson's a-priori loss ratio: the filed basis updated by the review's
        A/E, ``ELR_filed · (Z·A/E + 1 − Z)`` (default; Benktander's method where Z = 1), or the
        filed basis as it is. Both IBNR figures are reported.
    costs : DataFrame, optional
        Member-level covered costs (the ``costs`` table): the medical trend is then leveraged
        through the 起付线 on them, and the benefit change is turned into designs
        (``benefit_levers``).
    policy_books : iterable
        Company policy rulebooks (ids or ``.toml`` paths, e.g. ``["example.company_policy"]``)
        checked with the regulations; a yearly cap on ``rate_change`` among them caps the
        adopted change (the indicated one is reported too).
    """
    if ibnr_method not in IBNR_METHODS:
        raise ParameterError(f"ibnr_method must be one of {IBNR_METHODS}")
    if bf_apriori not in BF_APRIORI:
        raise ParameterError(f"bf_apriori must be one of {BF_APRIORI}, got {bf_apriori!r}")
    if not isinstance(product, Product):
        raise ParameterError("product: expected a puhui.huiminbao.Product (Product.from_toml)")
    check_product(policies, product)
    try:
        date = pd.Timestamp(as_of)
    except (TypeError, ValueError):
        date = pd.NaT
    if pd.isna(date):
        raise ParameterError(f"as_of: give the valuation date as YYYY-MM-DD, got {as_of!r}")
    as_of = date
    if len(claims) and claims["report_date"].max() > as_of:
        raise ParameterError("claims are reported after as_of: value the claims at as_of first")
    pol = policies if "policy_year" in policies.columns else policies.assign(
        policy_year=policies["start_date"].dt.year.astype("int64"))
    premium = earned(pol, by=("policy_year",), period=None, as_of=as_of)
    premium["members"] = pol.groupby("policy_year").size().to_numpy()
    if expenses is not None:
        expenses = check_expenses(expenses, premium)

    cells = experience_cells(pol, claims, basis)
    exp_by_year = cells.groupby("policy_year")["expected_amount"].sum()
    prem_by_year = premium.set_index("policy_year")["earned_premium"]
    years = prem_by_year.index.to_numpy("int64")
    apriori_filed = (exp_by_year / prem_by_year).reindex(years)
    notes: list[str] = []
    reserves, ibnr = _reserves(claims, pol, as_of, years, prem_by_year, apriori_filed, cells,
                               level, bf_apriori, notes)
    ibnr["ibnr_amount"] = ibnr[f"ibnr_{ibnr_method}"]
    ibnr["ultimate"] = ibnr["reported_incurred"] + ibnr["ibnr_amount"]

    cells = allocate_ibnr(cells, ibnr[["policy_year", "ibnr_count", "ibnr_amount"]])
    ae = {name: actual_vs_expected(cells, by=dims, level=level)
          for name, dims in DIMENSIONS.items()}

    paid = claims["paid"].to_numpy(float)
    reserve = claims["case_reserve"].to_numpy(float)
    year_of_claim = pol.set_index("policy_id")["policy_year"].reindex(claims["policy_id"]).to_numpy()
    by_year = pd.DataFrame({"policy_year": year_of_claim, "paid": paid, "case": reserve}).groupby(
        "policy_year").sum()
    uw = premium[["policy_year", "written_premium", "earned_premium", "members"]].merge(
        by_year, on="policy_year", how="left").merge(ibnr[["policy_year", "ibnr_amount"]],
                                                     on="policy_year", how="left").fillna(0.0)
    uw["outstanding"] = uw["case"] + uw["ibnr_amount"]
    gross = underwriting_year_ratios(uw[["policy_year", "members", "paid", "outstanding",
                                         "written_premium", "earned_premium"]])
    statement, expense_notes = _statements(uw, product, expenses)
    net = combined_ratio(statement)
    ratios = gross.assign(
        net_earned_premium=net["earned_premium"].to_numpy(),
        loss_ratio=net["loss_ratio"].to_numpy(),
        expense_ratio=net["expense_ratio"].to_numpy(),
        combined_ratio=net["combined_ratio"].to_numpy(),
        underwriting_result=net["underwriting_result"].to_numpy(),
        expenses="actual" if expenses is not None else "assumed",
        target_combined_ratio=product.target_combined_ratio,
        expected_loss_ratio=exp_by_year.reindex(gross["policy_year"]).to_numpy()
        / uw["earned_premium"].to_numpy())

    method_zh = {"bornhuetter_ferguson": " Bornhuetter–Ferguson 法", "chain_ladder": "链梯法"}
    notes[:0] = [Note(f"IBNR amounts by {ibnr_method.replace('_', '–')}; counts by chain ladder "
                      "on reported counts (policy-year origin, quarterly development by report "
                      "date).",
                      f"IBNR 金额采用{method_zh[ibnr_method]}；件数采用已报案件数的链梯法（以保单"
                      "年度为起始年度，按报案日期以季度为发展期）。"),
                 Note("Incurred = paid + case reserves as held at the valuation date; "
                      "development of case estimates (IBNER) needs several valuations and is "
                      "not measured.",
                      "已发生赔款 = 已付赔款 + 评估日的已报案未决赔款准备金；已报案件估损的"
                      "进展（IBNER）需要多个评估时点的数据，本次未予测算。")]
    notes += expense_notes
    ind, ind_table, levers, rules, ind_notes = _indication(
        product, pol, premium, ibnr, ae, expenses, costs, policy_books, as_of)
    notes += ind_notes
    return ReviewResult(product, as_of, ibnr_method, premium, reserves, ibnr, cells, ae, ratios,
                        notes, bf_apriori, expenses, statement.merge(net, on="policy_year"), ind,
                        ind_table, levers, rules)


def _mack_note_zh(note: str) -> str:
    """The Chinese of a chain-ladder note (:attr:`puhui.experience.ibnr.ReserveResult.notes`,
    written in English by that module): what it means, then the note itself for its detail."""
    if "Mack standard error not available" not in note:
        return note
    return ("Mack 标准误无法给出：需要至少 3 个发展期、每期至少有 2 个保单年度的数据，且其中"
            f"至少 2 期的进展因子不全相同，即需要更多保单年度或更多赔案（原文：{note}）")


def _reserves(claims, pol, as_of, years, prem, apriori_filed, cells, level, bf_apriori, notes):
    """Chain ladder (counts, amounts) and Bornhuetter–Ferguson (filed and updated a-priori) per
    policy year; a year without claims has no origin in the triangles (CL IBNR 0)."""
    out = pd.DataFrame({"policy_year": years})
    if not len(claims):
        raise ParameterError("the book has no claims: a review needs the claims reported by "
                             "the valuation date")
    both = _triangles(claims, pol, as_of)
    tri = _Tri(both["count"], both["incurred"],
               np.asarray(both.origin.year, dtype="int64"))
    if len(tri.years) < 2:
        raise ParameterError(f"claims in one policy year only ({tri.years[0]}): the development "
                             "of claims (IBNR) needs claims in ≥ 2 policy years")
    reserves = {"count_cl": chain_ladder(tri.count), "incurred_cl": chain_ladder(tri.incurred)}
    for key, what, what_zh in (("incurred_cl", "reported incurred", "已报告赔款"),
                               ("count_cl", "reported counts", "已报案件数")):
        notes += [Note(f"Chain ladder on {what}: {n}", f"链梯法（{what_zh}）：{_mack_note_zh(n)}",
                       section="ibnr") for n in reserves[key].notes]
    missing = years[~np.isin(years, tri.years)]
    if len(missing):
        notes.append(Note(
            f"No claim reported yet in policy year(s) {', '.join(map(str, missing))}: "
            "chain-ladder IBNR 0 there; Bornhuetter–Ferguson reserves ELR · P · (1 − 1/CDF) at "
            "the year's age.",
            f"保单年度 {'、'.join(map(str, missing))} 尚无报案：该年度链梯法 IBNR 为 0；"
            "Bornhuetter–Ferguson 法按该年度的发展阶段提取 ELR · P · (1 − 1/CDF)。",
            section="ibnr"))

    def by_year(res, col):
        s = pd.Series(0.0, index=years)
        s.loc[_origin_years(res)] = res.by_origin[col].to_numpy()
        return s.to_numpy()

    cl_inc = reserves["incurred_cl"]
    out["reported_count"] = by_year(reserves["count_cl"], "latest")
    out["ibnr_count"] = by_year(reserves["count_cl"], "ibnr")
    out["reported_incurred"] = by_year(cl_inc, "latest")
    out["ibnr_chain_ladder"] = by_year(cl_inc, "ibnr")
    se = pd.Series(np.nan if cl_inc.notes else 0.0, index=years)
    se.loc[_origin_years(cl_inc)] = cl_inc.by_origin["mack_se"].to_numpy()
    out["mack_se"] = se.to_numpy()
    bf_filed, ibnr_filed = _bf_by_year(tri, years, prem, apriori_filed, cl_inc, as_of)

    # the a-priori updated by the review's A/E on the filed basis (first pass): Z·A/E + 1 − Z
    first = allocate_ibnr(cells, out[["policy_year", "ibnr_count"]].assign(
        ibnr_amount=ibnr_filed.to_numpy()))
    by = actual_vs_expected(first, by=("policy_year",), level=level).table.set_index(
        "policy_year").reindex(years)
    z = by["credibility"].to_numpy(float)
    apriori_upd = apriori_filed * by["credible_ae"].to_numpy(float)
    out["filed_loss_ratio"] = apriori_filed.to_numpy()
    out["ibnr_bf_filed"] = ibnr_filed.to_numpy()
    if bf_apriori == "updated":
        bf, ibnr_bf = _bf_by_year(tri, years, prem, apriori_upd, cl_inc, as_of)
        out["apriori_loss_ratio"] = apriori_upd.to_numpy()
        out["apriori_credibility"] = z
    else:
        bf, ibnr_bf = bf_filed, ibnr_filed
        out["apriori_loss_ratio"] = apriori_filed.to_numpy()
        out["apriori_credibility"] = 0.0
    out["ibnr_bornhuetter_ferguson"] = ibnr_bf.to_numpy()
    reserves["incurred_bf"] = bf
    reserves["incurred_bf_filed"] = bf_filed
    total_f, total_u = float(ibnr_filed.sum()), float(ibnr_bf.sum())
    if bf_apriori == "updated":
        latest = years[-1]
        effect = (f"{total_f:,.0f}", f"{total_u:,.0f}", f"{apriori_filed.loc[latest]:.1%}",
                  f"{apriori_upd.loc[latest]:.1%}", f"{ibnr_filed.loc[latest]:,.0f}",
                  f"{ibnr_bf.loc[latest]:,.0f}")
        notes.append(Note(
            "Bornhuetter–Ferguson a-priori: the filed basis loss ratio updated by the review's "
            "A/E, ELR′ = ELR_filed · (Z · A/E + 1 − Z), Z = √(n / 1,082) ≤ 1 the limited-"
            "fluctuation credibility of the year's claims (A/E and Z on the filed-basis "
            "Bornhuetter–Ferguson IBNR). With Z = 1 this is the Benktander method, the "
            "a-priori being the filed basis's Bornhuetter–Ferguson ultimate (Mack 2000, "
            "'Credible claims reserves: the Benktander method', ASTIN Bulletin 30(2)). "
            "Effect: IBNR {} on the filed basis → {} updated ({}: ELR {} → {}, IBNR {} → {})."
            .format(effect[0], effect[1], latest, *effect[2:]),
            "Bornhuetter–Ferguson 法的先验赔付率：以本次回溯的 A/E 更新报备基础赔付率，"
            "ELR′ = ELR_filed · (Z · A/E + 1 − Z)，其中 Z = √(n / 1,082) ≤ 1 为该年度赔案的"
            "有限波动信度（A/E 与 Z 均基于报备基础的 Bornhuetter–Ferguson IBNR）。Z = 1 时即"
            "为 Benktander 法，先验值取报备基础下的 Bornhuetter–Ferguson 最终赔款（Mack 2000，"
            "'Credible claims reserves: the Benktander method'，ASTIN Bulletin 30(2)）。"
            "影响：IBNR 由报备基础的 {} 变为更新后的 {}（{} 年：ELR {} → {}，IBNR {} → {}）。"
            .format(effect[0], effect[1], latest, *effect[2:]), section="ibnr"))
    else:
        _, would = _bf_by_year(tri, years, prem, apriori_upd, cl_inc, as_of)
        notes.append(Note(
            f"Bornhuetter–Ferguson a-priori: the filed basis loss ratio, as filed (IBNR "
            f"{total_f:,.0f}); updated by the review's A/E (the default) it would be "
            f"{float(would.sum()):,.0f}.",
            f"Bornhuetter–Ferguson 法的先验赔付率：采用报备基础赔付率（IBNR {total_f:,.0f}）；"
            f"若按本次回溯的 A/E 更新（默认做法），IBNR 将为 {float(would.sum()):,.0f}。",
            section="ibnr"))
    return reserves, out


# --- indication -----------------------------------------------------------------------------

def _policy_cap(policy_books):
    """The first ``rate_change`` cap (max or band) of the company policy books, or None."""
    from ..rules import load_rulebook, rulebook

    for b in policy_books:
        book = load_rulebook(b) if str(b).endswith(".toml") else rulebook(str(b))
        if book.kind != "policy":
            raise ParameterError(f"policy_books: {book.id} is a {book.kind} book, not company "
                                 "policy (regulations in force are checked anyway)")
        for r in book.applicable("rate_change", **RULE_SCOPE):
            if r.comparison in ("max", "band"):
                return r
    return None


def _indication(product, pol, premium, ibnr, ae, expenses, costs, policy_books, as_of):
    """The rate and benefit indication for the policy year after the latest, its designs and
    its rule check: (Indication | None, table, levers | None, rule check | None, notes).

    Loss-ratio method (:func:`puhui.experience.rate_indication`) on the latest policy year Y:
    ``L_exp = (ultimate_Y / member-years_Y) · λ / P``, the year's ultimate claims per
    member-year (IBNR included) trended one year to Y + 1 and divided by the current price
    ``P`` (the product file's, on-level). ``λ`` is the medical trend leveraged through the
    design on the member costs when they are given, ``E[pay((1 + g)·X)] / E[pay(X)]``, else
    ``1 + g`` (stated). Credibility Z: the A/E credibility of year Y; complement "no change".
    Expenses: the year's actual expense ratio (treated as a share of premium) or the product's.
    """
    notes: list[str] = []
    y = int(premium["policy_year"].max())
    prem = premium.set_index("policy_year")
    exposure = float(prem.loc[y, "earned_exposure"])
    ult = float(ibnr.set_index("policy_year").loc[y, "ultimate"])
    g = product.medical_trend
    latest = pol[pol["policy_year"] == y]
    if product.flat_price is not None:
        price, price_text = float(product.flat_price), "the product file's flat price"
        price_zh = "产品文件的统一价格"
    else:
        price = float(np.mean(product.price(latest["age"].to_numpy(float) + 1)))
        price_text = f"the product file's age-band prices on the {y} members one year older"
        price_zh = f"产品文件的分年龄段价格，按 {y} 年度参保人年龄加一岁计算"
    nxt = None
    if costs is not None:
        from .member_payouts import member_payouts

        nxt = member_payouts(product, pol, costs, years=[y], pricing_year=y + 1, trend=g)
        terms = _design(product, nxt)
        base = _pay(nxt.cost / (1.0 + g), *terms).sum()
        lam = float(_pay(nxt.cost, *terms).sum()) / base if base > 0 else 1.0 + g
        trend_text = (f"medical trend {g:.1%} on the member costs before the 起付线: payouts "
                      f"× {lam:.4f}")
        trend_zh = f"医疗费用趋势 {g:.1%} 作用于扣除起付线前的参保人医疗费用：赔付 × {lam:.4f}"
    else:
        lam = 1.0 + g
        trend_text = f"medical trend {g:.1%} on the claims"
        trend_zh = f"医疗费用趋势 {g:.1%} 直接作用于赔款"
        notes.append(Note(
            f"Indication: the medical trend {g:.1%} is applied to the claims as they are; with "
            "a 起付线 payouts grow faster than costs — give the member costs (costs table) to "
            "measure that leverage.",
            f"费率指示：医疗费用趋势 {g:.1%} 直接作用于现有赔款；设有起付线时，赔付的增长快于"
            "医疗费用的增长——提供参保人医疗费用（costs 表）即可测算这一杠杆效应。",
            section="indication"))
    experience = ult / exposure * lam / price if exposure > 0 else np.nan
    year_ae = ae["policy_year"].table.set_index("policy_year")
    z = float(year_ae.loc[y, "credibility"]) if y in year_ae.index else 0.0
    if expenses is not None:
        row = expenses.set_index("policy_year").loc[y]
        v = float(sum(row[c] for c in EXPENSE_LINES)) / float(prem.loc[y, "earned_premium"])
        f, exp_text = 0.0, f"actual expense ratio of {y} (gross of reinsurance)"
        exp_zh = f"{y} 年度实际费用率（再保前）"
    else:
        v = product.expenses.variable_rate
        f = product.expenses.per_member / price
        exp_text = "the product file's assumed expenses (not actual)"
        exp_zh = "产品文件的费用假设（非实际数）"
    cap = _policy_cap(policy_books)
    try:
        ind = rate_indication(experience, target_combined_ratio=product.target_combined_ratio,
                              variable_expense_ratio=v, fixed_expense_ratio=f, credibility=z,
                              max_change=cap, clip=cap is not None)
    except ParameterError as err:
        notes.append(Note(f"No indication for {y + 1}: {err}",
                          f"无法给出 {y + 1} 年度的费率指示：{err}", section="indication"))
        return None, None, None, None, notes
    new_price = price * (1 + ind.change)
    # the clipping rule: the company cap (a rate_change rule of a policy book) as applied
    rule_zh = ind.rule if cap is None else f"{cap.id}：调整幅度 {cap.limit_text}"
    rows = [  # item, value, basis; the item and the basis in Chinese
        ("experience year", y, "the latest policy year", "经验年度", "最近一个保单年度"),
        ("ultimate claims per member-year (元)", ult / exposure, "reported + IBNR",
         "每人年最终赔款（元）", "已报告赔款 + IBNR"),
        ("trend factor to " + str(y + 1), lam, trend_text, f"至 {y + 1} 年度的趋势因子",
         trend_zh),
        ("current price (元)", price, price_text, "现行价格（元）", price_zh),
        ("experience loss ratio L_exp", experience, "claims per member × trend / price",
         "经验赔付率 L_exp", "人均赔款 × 趋势因子 / 价格"),
        ("credibility Z", z, f"A/E credibility of {y}'s claims", "可信度 Z",
         f"{y} 年度赔款 A/E 的可信度"),
        ("complement loss ratio", ind.complement_loss_ratio, "no change: T − v − f",
         "信度补项赔付率", "维持现行费率：T − v − f"),
        ("projected loss ratio L", ind.projected_loss_ratio, "Z·L_exp + (1 − Z)·complement",
         "预测赔付率 L", "Z·L_exp + (1 − Z)·信度补项"),
        ("variable expense ratio v", v, exp_text, "变动费用率 v", exp_zh),
        ("fixed expense ratio f", f, "per-member expenses / price", "固定费用率 f",
         "人均固定费用 / 价格"),
        ("target combined ratio T", ind.target_combined_ratio, "the product file's",
         "目标综合成本率 T", "产品文件设定"),
        ("indicated rate change", ind.indicated_change, "(L + f)/(T − v) − 1",
         "指示费率调整幅度", "(L + f)/(T − v) − 1"),
        ("adopted rate change", ind.change, ind.rule if ind.clipped else "as indicated",
         "采用的费率调整幅度", rule_zh if ind.clipped else "同指示值"),
        (f"price {y + 1} (元)", new_price, "current × (1 + adopted change)",
         f"{y + 1} 年度价格（元）", "现行价格 × (1 + 采用的调整幅度)"),
        ("projected combined ratio", ind.projected_combined_ratio, "at the adopted change",
         "预测综合成本率", "按采用的调整幅度"),
        ("benefit change at the current price", ind.benefit_change,
         "(T − v − f)/L − 1: change of the expected claims per member",
         "现行价格下的责任调整幅度", "(T − v − f)/L − 1：人均期望赔款的变动"),
    ]
    table = pd.DataFrame(rows, columns=["item", "value", "basis", "item_zh", "basis_zh"])
    levers = None
    if nxt is not None and np.isfinite(ind.benefit_change):
        levers = _benefit_levers(product, nxt, ind.benefit_change)
    else:
        notes.append(Note("Benefit change: give the member costs (costs table) to turn it into "
                          "起付线 / 赔付比例 designs.",
                          "责任调整：提供参保人医疗费用（costs 表），即可将其换算为起付线 / "
                          "赔付比例方案。", section="indication"))
    values = {"rate_change": ind.change, "combined_ratio": ind.projected_combined_ratio,
              "product_name": product.name, "actuarial_review_done": True,
              "in_year_claim_condition_changes": 0}
    from ..rules import check

    rules = check(values, scope=RULE_SCOPE, policies=list(policy_books),
                  as_of=as_of.date())
    books = ", ".join(map(str, policy_books))
    notes.append(Note(
        f"Indication for {y + 1}: changes take effect at the renewal, none inside a policy year "
        "(in_year_claim_condition_changes = 0); checked against the regulations in force on "
        f"{as_of.date()}" + (f" and the company policy {books}." if policy_books
                             else " (no company policy book given: no yearly cap)."),
        f"{y + 1} 年度的费率指示：调整于续保时生效，保单年度内不作变更"
        "（in_year_claim_condition_changes = 0）；已对照 "
        f"{as_of.date()} 有效的监管规定" + (f"及公司政策 {books} 进行检查。" if policy_books
                                          else "进行检查（未提供公司政策规则，故无年度调整上限）。"),
        section="indication"))
    return ind, table, levers, rules, notes


def _design(product, mp):
    """起付线, 赔付比例 and 封顶线 of every member-year × line of ``mp`` (arrays (n, lines))."""
    terms = [[product.line(ln).for_segment(s) for ln in mp.lines] for s in mp.segments]
    return tuple(np.array([[getattr(t, a) for t in row] for row in terms])[mp.segment]
                 for a in ("deductible", "payout_ratio", "cap"))


def _pay(x, d, r, cap, scale=1.0, shift=0.0):
    """``min(min(s·r, 1) · (x − max(d + Δ, 0))₊, C)`` per member-year × line (the design's
    payout, :meth:`puhui.huiminbao.LineTerms.pay`, with the 赔付比例 scaled and the 起付线
    shifted)."""
    return np.minimum(np.minimum(r * scale, 1.0) * np.maximum(x - np.maximum(d + shift, 0.0),
                                                              0.0), cap)


def _benefit_levers(product, mp, change: float) -> pd.DataFrame:
    """Two one-parameter designs that change the expected payout per member by ``change`` at
    the trended costs ``mp`` (a :class:`MemberPayouts`): every 赔付比例 × s, or the 起付线 of the
    lines that have one + Δ 元. Solved by Brent's method on the member-level payouts."""
    from scipy.optimize import brentq

    w = mp.weight / mp.weight.sum()
    terms = [[product.line(ln).for_segment(s) for ln in mp.lines] for s in mp.segments]
    d, r, cap = _design(product, mp)
    x = mp.cost

    def mean_pay(scale=1.0, shift=0.0, lines=None):
        pay = _pay(x, d, r, cap, scale, shift if lines is None else shift * lines).sum(axis=1)
        return float(w @ pay), float(w @ (pay > 0))

    current, paid_now = mean_pay()
    target = (1.0 + change) * current
    rows = [{"lever": "current design", "parameter": 0.0, "design": "as filed",
             "expected_payout": current, "share_paid": paid_now,
             "lever_zh": "现行方案", "design_zh": "按报备方案"}]
    by_ratio = ("赔付比例 × s, every line and segment", "赔付比例 × s（所有责任、所有人群）")
    by_deductible = ("起付线 + Δ 元 on the lines with one", "起付线 + Δ 元（设有起付线的责任）")
    s_max = 1.0 / float(r.min()) if r.min() > 0 else 1.0
    lo, hi = mean_pay(0.0)[0] - target, mean_pay(s_max)[0] - target
    if lo <= 0 <= hi:
        s = brentq(lambda k: mean_pay(k)[0] - target, 0.0, s_max, xtol=1e-10)
        parts = [f"{ln} " + "/".join(f"{min(t.payout_ratio * s, 1):.0%}"
                                     for t in (row[j] for row in terms))
                 for j, ln in enumerate(mp.lines)]
        rows.append({"lever": by_ratio[0], "parameter": s, "design": "; ".join(parts),
                     "expected_payout": mean_pay(s)[0], "share_paid": mean_pay(s)[1],
                     "lever_zh": by_ratio[1], "design_zh": "；".join(parts)})
    else:
        rows.append({"lever": by_ratio[0], "parameter": np.nan,
                     "design": "out of reach (赔付比例 ≤ 100%)", "expected_payout": np.nan,
                     "share_paid": np.nan, "lever_zh": by_ratio[1],
                     "design_zh": "无法实现（赔付比例 ≤ 100%）"})
    has = (np.array([[t.deductible for t in row] for row in terms]) > 0).any(axis=0)
    if has.any():
        floor = -float(min(t.deductible for row in terms for j, t in enumerate(row)
                           if has[j] and t.deductible > 0))
        top = float(x.max()) + 1.0
        mask = has.astype(float)
        f_lo = mean_pay(shift=floor, lines=mask)[0] - target
        f_hi = mean_pay(shift=top, lines=mask)[0] - target
        if f_hi <= 0 <= f_lo:
            delta = brentq(lambda k: mean_pay(shift=k, lines=mask)[0] - target, floor, top,
                           xtol=1e-6)
            parts = [f"{ln} " + "/".join(f"{max(t.deductible + delta, 0):,.0f}"
                                         for t in (row[j] for row in terms))
                     for j, ln in enumerate(mp.lines) if has[j]]
            rows.append({"lever": by_deductible[0], "parameter": delta,
                         "design": "; ".join(parts),
                         "expected_payout": mean_pay(shift=delta, lines=mask)[0],
                         "share_paid": mean_pay(shift=delta, lines=mask)[1],
                         "lever_zh": by_deductible[1], "design_zh": "；".join(parts)})
        else:
            rows.append({"lever": by_deductible[0], "parameter": np.nan,
                         "design": "out of reach", "expected_payout": np.nan,
                         "share_paid": np.nan, "lever_zh": by_deductible[1],
                         "design_zh": "无法实现"})
    return pd.DataFrame(rows)
