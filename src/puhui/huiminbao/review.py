"""惠民保 retrospective review (精算回溯), policy year by policy year.

The 2025 NFRA notice asks insurers to review each policy year and adjust benefits and rates by
the deviation of actual from expected claims. :func:`review` runs the standard steps:

1. exposure and earned premium by policy year (pro rata by day, to the valuation date);
2. reported claims and IBNR by policy year: chain ladder with Mack standard errors on the
   reported-count and reported-incurred triangles (policy-year origin, quarterly development
   by report date), and Bornhuetter–Ferguson with the basis loss ratio as the a-priori — the
   method for the immature latest year;
3. cells (policy year × segment × age band × benefit line) with the IBNR spread as the basis
   expects it, and actual vs expected by each dimension, frequency and severity separately,
   with exact Poisson intervals, credibility and the drivers of the deviation;
4. underwriting-year ratios: 满期赔付率 (ultimate / earned premium), the expense ratio from the
   product's expense assumptions, and the combined ratio 综合成本率 against the target.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ..errors import ParameterError
from ..experience.ae import AEResult, actual_vs_expected
from ..experience.exposure import earned
from ..experience.ibnr import ReserveResult, bornhuetter_ferguson, chain_ladder
from ..experience.triangles import triangle
from ..ratios import combined_ratio_from, underwriting_year_ratios
from .cells import allocate_ibnr, experience_cells
from .folder import check_product
from .product import Product

DIMENSIONS = {"policy_year": ("policy_year",), "segment": ("segment",),
              "age_band": ("age_band",), "benefit_line": ("benefit_line",),
              "year_line": ("policy_year", "benefit_line"),
              "year_segment": ("policy_year", "segment"),
              "segment_line": ("segment", "benefit_line")}
IBNR_METHODS = ("bornhuetter_ferguson", "chain_ladder")


@dataclass(frozen=True)
class ReviewResult:
    """Everything a review found; tables are DataFrames, figures come from ``plot_*``."""

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
        ax.bar(x, 100 * r["earned_loss_ratio"], label=label("满期赔付率", "loss ratio"),
               color="#4c72b0")
        ax.bar(x, 100 * r["expense_ratio"], bottom=100 * r["earned_loss_ratio"],
               label=label("费用率", "expense ratio"), color="#dd8452")
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


def _reserves(claims, policies, as_of, premium_by_year, apriori) -> dict[str, ReserveResult]:
    import warnings

    from ..experience.triangles import ExcludedRecordsWarning

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ExcludedRecordsWarning)  # none after as_of by design
        tri = triangle(claims, origin="policy_year", value=["count", "incurred"], grain="OYDQ",
                       as_of=as_of, policies=policies)
    out = {"count_cl": chain_ladder(tri["count"]), "incurred_cl": chain_ladder(tri["incurred"])}
    out["incurred_bf"] = bornhuetter_ferguson(tri["incurred"], premium=premium_by_year,
                                              apriori=apriori)
    return out


def _origin_years(res: ReserveResult) -> np.ndarray:
    return np.array([pd.Period(str(o)).year if not isinstance(o, (int, np.integer)) else int(o)
                     for o in res.by_origin["origin"]], dtype="int64")


def review(product: Product, policies: pd.DataFrame, claims: pd.DataFrame,
           basis: pd.DataFrame, *, as_of, ibnr_method: str = "bornhuetter_ferguson",
           level: float = 0.95) -> ReviewResult:
    """Run the retrospective review of a 惠民保 book at the valuation date ``as_of``.

    Parameters
    ----------
    product : Product
        The product (expenses and target combined ratio are read from it); the policies must
        be its book: one code in their ``product`` column, equal to ``product.code``.
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
    """
    if ibnr_method not in IBNR_METHODS:
        raise ParameterError(f"ibnr_method must be one of {IBNR_METHODS}")
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

    cells = experience_cells(pol, claims, basis)
    exp_by_year = cells.groupby("policy_year")["expected_amount"].sum()
    prem_by_year = premium.set_index("policy_year")["earned_premium"]
    apriori = (exp_by_year / prem_by_year).reindex(prem_by_year.index)
    reserves = _reserves(claims, pol, as_of, prem_by_year, apriori.to_numpy())

    years = _origin_years(reserves["count_cl"])
    cnt = reserves["count_cl"].by_origin
    ibnr = pd.DataFrame({
        "policy_year": years,
        "reported_count": cnt["latest"].to_numpy(),
        "ibnr_count": cnt["ibnr"].to_numpy(),
        "reported_incurred": reserves["incurred_cl"].by_origin["latest"].to_numpy(),
        "ibnr_chain_ladder": reserves["incurred_cl"].by_origin["ibnr"].to_numpy(),
        "mack_se": reserves["incurred_cl"].by_origin["mack_se"].to_numpy(),
        "ibnr_bornhuetter_ferguson": reserves["incurred_bf"].by_origin["ibnr"].to_numpy(),
    })
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
    ratios = underwriting_year_ratios(uw[["policy_year", "members", "paid", "outstanding",
                                          "written_premium", "earned_premium"]])
    e = product.expenses
    expenses = e.amount(uw["members"].to_numpy(float), uw["earned_premium"].to_numpy(float))
    with np.errstate(divide="ignore", invalid="ignore"):  # no earned premium: no ratio
        ratios["expense_ratio"] = expenses / uw["earned_premium"].to_numpy(float)
    ratios["combined_ratio"] = combined_ratio_from(ratios["earned_loss_ratio"],
                                                   ratios["expense_ratio"])
    ratios["target_combined_ratio"] = product.target_combined_ratio
    ratios["expected_loss_ratio"] = (exp_by_year.reindex(ratios["policy_year"]).to_numpy()
                                     / uw["earned_premium"].to_numpy())

    notes = [f"IBNR amounts by {ibnr_method.replace('_', '–')}; counts by chain ladder on "
             "reported counts (policy-year origin, quarterly development by report date).",
             "Incurred = paid + case reserves as held at the valuation date; development of case "
             "estimates (IBNER) needs several valuations and is not measured."]
    return ReviewResult(product, as_of, ibnr_method, premium, reserves, ibnr, cells, ae, ratios,
                        notes)
