"""Design grids for crop cover (方案设计): coverage × deductible × loading, and index designs.

**Cost cover with a deductible** (物化成本 / 完全成本保险, 保障水平 θ, 绝对免赔率 d). Per 亩,
with guarantee c = θ·b (b the base yield: the trend yield μ of the rating year, or a 5-year
mean), sum insured SI and price p (元/kg; ``None``: the loss-degree form p = SI/c)::

    x   = min(p·(c − y⁺)₊, SI)                      money loss (CostCover)
    pay = (x − d·SI)₊                              免赔额 d·SI 元/亩
        = p·[(c − D − y⁺)₊ − (c − U − y⁺)₊],      D = d·SI/p, U = SI/p

so the loss-degree form pays SI·(损失率 − d)₊ with 损失率 = (c − y)₊/c, and
E[pay] = p·(G(c − D) − G(c − U)) with G(t) = E[(t − Y⁺)₊] (0 for t ≤ 0): two shortfalls of
the yield law (empirical, or the Gaussian kernel in closed form, :mod:`puhui.agri.density`);
P(pay > 0) = P(Y < c − D).

:func:`evaluate_cost_designs` rates every design of a θ × d × 附加费率 grid for a whole
province at once (designs × cells × years arrays, no loop per design or cell): the filed rate
by the 2023 rule (基准纯风险损失率 / (1 − 附加费率) × 费率调整系数, per crop or per cell), the
subsidy split and farmer premium per 亩, expenses (a fixed cost per insured 亩, a share of
premium and a loss-adjustment cost per 亩 with a payout), and the combined ratio — expected,
and year by year as if each past year's (detrended) yields recurred (burn analysis).

No library evaluates such a grid; it is written here with numpy, on the layer algebra of the
loss core (the kernel expectation reuses the closed form of :mod:`puhui.agri.density`). The
numbers come from the product-neutral homes, not from formulas of their own: expenses from
:meth:`puhui.pricing.Expenses.amount`; 综合成本率 = 综合赔付率 + 综合费用率 from
:func:`puhui.ratios.combined_ratio_from` (expected) and
:func:`puhui.ratios.expected_combined_ratio` (each burn year, ``(claims_t + expenses_t)/P``);
P(CR > 100%) over the burn years from :func:`puhui.ratios.exceedance.burn_exceedance`
(``(1/n) Σ_t 1{CR_t > 1}``); the frontier from :func:`puhui.tuning.pareto_mask`; the heat map
and trade-off figures from :func:`puhui.tuning.plot_heatmap` and
:func:`puhui.tuning.plot_frontier`.

Index designs (天气指数保险) are in :mod:`puhui.agri.index_design`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy.special import ndtr

from ..errors import DataError, ParameterError, Problem
from ..pricing import Expenses as _Expenses
from ..ratios.definitions import combined_ratio_from, expected_combined_ratio
from ..ratios.exceedance import burn_exceedance
from . import batch_fit as bf
from .batch import yield_panel
from .benchmark import Benchmark, benchmark_position
from .benchmark import per_cell as _per_cell
from .density import kde_layer, normal_shortfall
from .farm import check_farm, farm_bandwidth
from .rules import MAX_EXPENSE_RATIO, filed_rate
from .subsidy import SubsidySplit
from .trend import check_adjustment
from .yield_model import check_coverage


@dataclass(frozen=True)
class DetrendedPanel:
    """Detrended yields of many region × crop cells (rows) over the same years (columns)."""

    cells: pd.DataFrame
    years: np.ndarray
    adjusted: np.ndarray
    expected_yield: np.ndarray


def detrended_panel(yields, *, detrend: str = "linear", adjustment="multiplicative",
                    rating_year: int | None = None) -> DetrendedPanel:
    """Yields brought to the rating year's technology, for every cell (as :func:`reprice`).

    Every cell must have a yield in every year (a grid evaluation compares years across
    cells); gaps raise a DataError naming the cells.
    """
    if detrend not in bf.BATCH_TRENDS:
        raise ParameterError(f"detrend={detrend!r}; use one of {', '.join(bf.BATCH_TRENDS)}")
    panel = yield_panel(yields)
    gaps = np.isnan(panel.values).any(axis=1)
    if gaps.any():
        raise DataError([Problem("yields", "year", None, "missing_year",
                                 f"region={r!r}, crop={c!r} lacks a year of the panel")
                         for r, c in panel.cells.loc[gaps, ["region", "crop"]].to_numpy()])
    T = float(panel.years.max() + 1 if rating_year is None else rating_year)
    fitted, mu = bf.batch_trend(panel.values, panel.years, detrend, np.full(len(gaps), T))
    bad = ~(mu > 0) | np.any(~(fitted > 0), axis=1)
    if bad.any():
        raise DataError([Problem("yields", "yield", None, "trend_not_positive",
                                 f"region={r!r}, crop={c!r}: the trend is not positive")
                         for r, c in panel.cells.loc[bad, ["region", "crop"]].to_numpy()])
    adjusted, _ = bf.adjust(panel.values, fitted, mu, check_adjustment(adjustment))
    return DetrendedPanel(panel.cells.assign(expected_yield=mu), panel.years, adjusted, mu)


def _terms(guarantee, sum_insured, price, deductible):
    c = np.asarray(guarantee, float)
    si = np.asarray(sum_insured, float)
    d = np.asarray(deductible, float)
    if np.any(~(c > 0)) or np.any(~(si > 0)):
        raise ParameterError("guarantee and sum_insured must be positive")
    if np.any(~((d >= 0) & (d < 1))):
        raise ParameterError(f"deductible (免赔率, share of SI) must be in [0, 1), got {d}")
    p = si / c if price is None else np.asarray(price, float)
    if np.any(~(p > 0)):
        raise ParameterError("price must be positive")
    return c, si, p, d


def cost_cover_pay(yields, guarantee, sum_insured, price=None, deductible=0.0):
    """Indemnity per 亩 (min(p·(c − y⁺)₊, SI) − d·SI)₊, elementwise and broadcasting.

    Examples
    --------
    >>> float(cost_cover_pay(300.0, 500.0, 1000.0, deductible=0.1))   # 1000·(0.4 − 0.1)
    300.0
    """
    c, si, p, d = _terms(guarantee, sum_insured, price, deductible)
    x = np.minimum(p * np.maximum(c - np.maximum(np.asarray(yields, float), 0.0), 0.0), si)
    return np.maximum(x - d * si, 0.0)


def cost_cover_expected(adjusted, guarantee, sum_insured, price=None, deductible=0.0, *,
                        bandwidth=None):
    """(E[pay], P(pay > 0)) per 亩 under each row's yield law; years on the last axis.

    ``adjusted`` (..., n) are yield samples; the terms broadcast against ``adjusted[..., 0]``.
    ``bandwidth=None``: the empirical law of the samples; otherwise the Gaussian kernel law
    with that bandwidth h (broadcasting like the terms), in closed form:
    E[pay] = p·(G(c − D) − G(c − U)), P(pay > 0) = (1/n) Σ_i Φ((c − D − y_i)/h).

    Examples
    --------
    >>> e, pr = cost_cover_expected([[300.0, 500.0, 600.0, 700.0]], 500.0, 1000.0)
    >>> float(e[0]), float(pr[0])                 # 1000·0.4 / 4 years, 1 year of 4 pays
    (100.0, 0.25)
    """
    y = np.asarray(adjusted, float)
    c, si, p, d = _terms(guarantee, sum_insured, price, deductible)
    top, bottom = c - d * si / p, c - si / p
    if bandwidth is None:
        y0 = np.maximum(y, 0.0)

        def shortfall(t):
            return np.maximum(np.maximum(t, 0.0)[..., None] - y0, 0.0).mean(axis=-1)

        prob = (y0 < top[..., None]).mean(axis=-1)
    else:
        h = np.asarray(bandwidth, float)
        if np.any(~(h > 0)):
            raise ParameterError("bandwidth must be positive")
        h = h[..., None]

        def shortfall(t):
            return kde_layer(np.maximum(t, 0.0)[..., None], y, h)

        prob = np.where(top > 0, ndtr((top[..., None] - y) / h).mean(axis=-1), 0.0)
    return p * (shortfall(top) - shortfall(bottom)), prob


def cost_cover_by_year(adjusted, guarantee, sum_insured, price=None, deductible=0.0, *,
                       bandwidth=0.0):
    """(E[pay | ỹ_t], P(pay > 0 | ỹ_t)) per 亩 for each year t, the yield Y = ỹ_t + η with
    η ~ N(0, h²) (h = ``bandwidth``; 0: η = 0, the year's own payout).

    The county → farm adjustment (:mod:`puhui.agri.farm`): year t's claims of a portfolio of
    many farms in a county whose yield was ỹ_t, each farm's own luck η averaged out. With
    G_t(s) = E[(s − (ỹ_t + η)⁺)₊] = N_h(s − ỹ_t) − N_h(−ỹ_t) (N_h(x) = E[(x − hZ)₊], the
    closed form of :func:`puhui.agri.density.normal_shortfall`; 0 for s ≤ 0)::

        E[pay | ỹ_t] = p·(G_t(c − D) − G_t(c − U)),   P(pay > 0 | ỹ_t) = Φ((c − D − ỹ_t)/h)

    so the mean over the years is :func:`cost_cover_expected` under the kernel law with
    bandwidth h, and h = 0 gives :func:`cost_cover_pay` and 1{ỹ_t < c − D}.

    Examples
    --------
    >>> e, pr = cost_cover_by_year([[300.0, 700.0]], 500.0, 1000.0)
    >>> e.tolist(), pr.tolist()                    # h = 0: the years' own payouts
    ([[400.0, 0.0]], [[1.0, 0.0]])
    """
    y = np.asarray(adjusted, float)
    c, si, p, d = _terms(guarantee, sum_insured, price, deductible)
    h = np.asarray(bandwidth, float)
    if np.any(~(h >= 0)):
        raise ParameterError("bandwidth must be ≥ 0")
    top, bottom = (c - d * si / p)[..., None], (c - si / p)[..., None]
    h = h[..., None] if h.ndim else h

    def shortfall(t):
        g = normal_shortfall(t, y, h) - normal_shortfall(0.0, y, h)
        return np.where(t > 0, g, 0.0)

    with np.errstate(divide="ignore", invalid="ignore"):
        z = ndtr((top - y) / np.where(h > 0, h, 1.0))
    prob = np.where(top > 0, np.where(h > 0, z, (y < top).astype(float)), 0.0)
    return p[..., None] * (shortfall(top) - shortfall(bottom)), prob


@dataclass(frozen=True, init=False)
class Expenses(_Expenses):
    """Expense assumptions of a crop product (综合费用, 元): :class:`puhui.pricing.Expenses`
    under the crop keywords.

    expenses = ``per_mu`` × insured 亩 (承保、防灾减损、管理; the model's ``per_member``) +
    ``premium_share`` × premium (手续费、税金及附加、保险保障基金) + ``per_paid_mu`` × 亩 with a
    payout (查勘定损; the model's ``per_claim``). The other shares of the model may be given by
    keyword — among them ``catastrophe_reserve``, the 大灾准备金 contribution (保费准备金 of
    《农业保险大灾风险准备金管理办法》, 财金〔2013〕129号: a share of the retained premium, for
    种植业 2%–4% as the rule is commonly summarised; the design study reports it apart from the
    综合费用率, see :func:`evaluate_cost_designs`).

    >>> e = Expenses(per_mu=1.0, premium_share=0.06, per_paid_mu=4.0)
    >>> float(e.amount(100.0, 2000.0, 10.0))     # 1·100 + 0.06·2000 + 4·10
    260.0
    """

    def __init__(self, per_mu=None, premium_share=0.0, per_paid_mu=None, *, per_member=0.0,
                 per_claim=0.0, **shares):
        for name, v in (("per_mu", per_mu), ("per_paid_mu", per_paid_mu)):
            if v is not None and not (np.isfinite(v) and v >= 0):
                raise ParameterError(f"Expenses.{name} must be finite and ≥ 0, got {v!r}")
        super().__init__(premium_share=premium_share,
                         per_member=per_member if per_mu is None else per_mu,
                         per_claim=per_claim if per_paid_mu is None else per_paid_mu, **shares)

    @property
    def per_mu(self) -> float:
        """Yuan per insured 亩 (``per_member``)."""
        return self.per_member

    @property
    def per_paid_mu(self) -> float:
        """Yuan per 亩 with a payout (``per_claim``)."""
        return self.per_claim


def _insured(insured_mu, cells):
    if isinstance(insured_mu, pd.DataFrame):
        cols = {"region", "crop", "insured_mu"}
        if not cols <= set(insured_mu.columns):
            raise ParameterError(f"insured_mu table needs columns {sorted(cols)}")
        m = cells[["region", "crop"]].merge(insured_mu[list(cols)], how="left",
                                            on=["region", "crop"], validate="one_to_one")
        if m["insured_mu"].isna().any():
            raise DataError([Problem("insured_mu", "insured_mu", None, "missing_value",
                                     f"region={r!r}, crop={c!r} has no insured area")
                             for r, c in m.loc[m["insured_mu"].isna(), ["region", "crop"]]
                             .to_numpy()])
        a = m["insured_mu"].to_numpy(float)
    else:
        a = _per_cell("insured_mu", insured_mu, cells)
    if np.any(~np.isfinite(a)) or np.any(a < 0) or a.sum() <= 0:
        raise ParameterError("insured_mu must be finite, ≥ 0 and not all zero")
    return a


_LABELS = {
    "farmer_premium_per_mu": ("农户自缴保费（元/亩）", "farmer premium (yuan per mu)"),
    "expected_indemnity_per_mu": ("期望赔款（元/亩）", "expected indemnity (yuan per mu)"),
    "premium_per_mu": ("保费（元/亩）", "premium (yuan per mu)"),
    "subsidy": ("财政补贴（元）", "subsidy (yuan)"),
    "combined_ratio": ("综合成本率", "combined ratio"),
    "expense_ratio": ("综合费用率", "expense ratio"),
    "rate": ("费率", "rate"),
    "risk_reduction": ("农户风险降低比例", "share of farmer risk removed"),
    "p_cr_above_100": ("P(综合成本率 > 100%)", "P(combined ratio > 100%)"),
    "loss_ratio": ("综合赔付率", "loss ratio"),
    "payout_probability": ("赔付概率", "probability of a payout"),
    "coverage": ("保障水平", "coverage level"),
    "deductible": ("绝对免赔率", "deductible (share of sum insured)"),
    "reserve_ratio": ("大灾准备金计提率", "catastrophe reserve share"),
    "benchmark_combined_ratio": ("综合成本率（行业基准）", "combined ratio (benchmark claims)"),
}
#: Columns shown as percentages in a heat map.
_RATIOS = frozenset({"combined_ratio", "expense_ratio", "loss_ratio", "rate", "benchmark_rate",
                     "base_rate", "risk_reduction", "p_cr_above_100", "payout_probability",
                     "burn_cr_mean", "cr_q90", "worst_cr", "coverage", "deductible",
                     "reserve_ratio", "model_rate", "model_to_benchmark",
                     "benchmark_loss_ratio", "benchmark_combined_ratio"})


@dataclass(frozen=True)
class CostDesignStudy:
    """Evaluated designs of a cost cover (see :func:`evaluate_cost_designs`).

    ``designs``: the portfolio, one row per design (the same θ, d and loading for every crop);
    ``by_crop``: each crop's product per design (rates, per-亩 figures, its own ratios);
    ``by_year``: the burn, one row per design × crop × past year;
    ``assumptions``: what the figures rest on beyond the data (the basis of the rates — the
    company's model or an industry benchmark with its source —, the county → farm adjustment,
    the density, the 大灾准备金 share).
    """

    designs: pd.DataFrame
    by_crop: pd.DataFrame
    by_year: pd.DataFrame
    band: tuple[float, float]
    max_expense_ratio: float
    assumptions: dict = field(default_factory=dict)

    def summary(self) -> pd.DataFrame:
        """The main columns of the portfolio table."""
        return self.designs[["design", "coverage", "deductible", "loading",
                             "farmer_premium_per_mu", "expected_indemnity_per_mu", "subsidy",
                             "risk_reduction", "loss_ratio", "expense_ratio", "combined_ratio",
                             "p_cr_above_100", "cr_q90", "expense_ok"]]

    def _table(self, crop):
        if crop is None:
            return self.designs
        t = self.by_crop[self.by_crop["crop"] == crop]
        if t.empty:
            raise ParameterError(f"no crop {crop!r} in the study")
        return t

    def plot_tradeoff(self, x: str = "farmer_premium_per_mu",
                      y: str = "expected_indemnity_per_mu", *, crop: str | None = None,
                      chosen: int | None = None, ax=None):
        """Designs coloured by combined ratio, ✕ where 综合费用率 breaks the ceiling, the
        frontier (least x for most y) of the others, and the chosen design as a star; returns
        the Axes.

        Drawn by :func:`puhui.tuning.plots.plot_frontier` (its frontier is
        :func:`puhui.tuning.frontier.pareto_mask` over the designs with ``expense_ok``).
        """
        from ..tuning.plots import plot_frontier

        return plot_frontier(self._table(crop), cost=x, benefit=y, chosen=chosen, ax=ax,
                             color="combined_ratio", feasible="expense_ok", labels=_LABELS,
                             title=None, vmin=0.85, vmax=1.05, legend_loc="lower right",
                             infeasible_label=("综合费用率 > 上限",
                                               "expense ratio above ceiling"))

    def plot_heatmap(self, value: str = "combined_ratio", *, crop: str | None = None,
                     loading: float | None = None, fmt: str | None = None, vmin=None,
                     vmax=None, level: float | None = None, ax=None):
        """``value`` over coverage level (rows) × deductible (columns) at one loading; colours
        clipped to [vmin, vmax]; a white contour at ``level`` (e.g. the 20% expense ceiling);
        cell values written (format ``fmt``; default a percentage for ratios, else 元 to 0.1)
        when the grid has at most 150 cells; returns the Axes.

        Drawn by :func:`puhui.tuning.plots.plot_heatmap` (x = ``deductible``, y = ``coverage``).
        """
        from ..tuning.plots import plot_heatmap

        t = self._table(crop)
        load = t["loading"].iloc[0] if loading is None else loading
        t = t[np.isclose(t["loading"], load)]
        if t.empty:
            raise ParameterError(f"no design with loading {loading!r}")
        if fmt is None:
            fmt = "{:.0%}" if value in _RATIOS else "{:,.1f}"
        cells = t["coverage"].nunique() * t["deductible"].nunique()
        return plot_heatmap(t, value, x="deductible", y="coverage", annotate=cells <= 150,
                            ax=ax, fmt=fmt, vmin=vmin, vmax=vmax, level=level,
                            labels=_LABELS, tick_fmt="{:.0%}", max_ticks=8)


def _metrics(area, premium, claims, paid, claims_t, paid_t, expenses, split, years, ceiling):
    """Ratios, subsidy and burn statistics; arrays (...,) and (..., years), broadcasting.

    Expenses are :meth:`Expenses.amount` (the one expense formula of
    :class:`puhui.pricing.Expenses`), its ``catastrophe_reserve`` share of premium (大灾准备金)
    reported apart (``catastrophe_reserve``, ``reserve_ratio``) and outside ``expenses`` /
    ``expense_ratio``, but inside every combined ratio; the combined ratios are those of
    :mod:`puhui.ratios.definitions` (:func:`~puhui.ratios.definitions.combined_ratio_from` of
    the expected loss and expense ratios; each burn year's
    :func:`~puhui.ratios.definitions.expected_combined_ratio` of its claims and expenses, all
    given as amounts); P(CR > 100%) over the burn years is
    :func:`puhui.ratios.exceedance.burn_exceedance`.
    """
    # the 大灾准备金 contribution is a cost of the year (in the combined ratio) but a reserve,
    # not a 费用: it is reported apart from the 综合费用率 the 20% ceiling applies to
    reserve = expenses.catastrophe_reserve * premium
    spent = expenses.amount(area, premium, paid) - reserve
    prem_t = premium[..., None]
    spent_t = expenses.amount(area[..., None], prem_t, paid_t)
    with np.errstate(divide="ignore", invalid="ignore"):
        # a design that never paid in the history has no premium and no ratios (NaN)
        lr = np.where(premium > 0, claims / premium, np.nan)
        er = np.where(premium > 0, spent / premium, np.nan)
        rr = np.where(premium > 0, expenses.catastrophe_reserve, np.nan)
        # the year's CR = (claims_t + expenses_t)/P: every expense as an amount, so
        # variable_rate = 0 (the premium share is inside Expenses.amount)
        cr_t = np.where(prem_t > 0, expected_combined_ratio(claims_t, prem_t,
                                                            fixed_expenses=spent_t), np.nan)
        no_ratio = np.isnan(cr_t).all(axis=-1)
        worst = np.argmax(np.nan_to_num(cr_t, nan=-np.inf), axis=-1)
        out = {"insured_mu": area, "premium": premium, "expected_claims": claims,
               "expenses": spent, "catastrophe_reserve": reserve, "loss_ratio": lr,
               "expense_ratio": er, "reserve_ratio": rr,
               "combined_ratio": combined_ratio_from(lr, er + rr),
               "expense_ok": er <= ceiling + 1e-12,
               "payout_probability": paid / area, "expected_indemnity_per_mu": claims / area,
               "premium_per_mu": premium / area,
               "farmer_premium_per_mu": premium * split.farmer / area,
               "farmer_premium": premium * split.farmer, "subsidy": premium * (1 - split.farmer),
               "central": premium * split.central, "provincial": premium * split.provincial,
               "county": premium * split.county, "burn_cr_mean": cr_t.mean(-1),
               "p_cr_above_100": burn_exceedance(cr_t, 1.0),
               "cr_q90": np.quantile(cr_t, 0.9, axis=-1), "worst_year": years[worst],
               "worst_cr": np.take_along_axis(cr_t, worst[..., None], -1)[..., 0]}
    out = {k: np.ravel(np.broadcast_to(v, np.shape(premium))) for k, v in out.items()}
    # no worst year where no year has a ratio (not the first year of the history)
    out["worst_year"] = pd.array(out["worst_year"], dtype="Int64")
    out["worst_year"][np.ravel(np.broadcast_to(no_ratio, np.shape(premium)))] = pd.NA
    return out, cr_t


def evaluate_cost_designs(panel: DetrendedPanel, insured_mu, sum_insured, *,
                          split: SubsidySplit, coverage_levels=(0.8, 0.9, 1.0),
                          deductibles=(0.0, 0.1, 0.2), loadings=(0.20,), factor=1.0,
                          expenses: Expenses = Expenses(), price=None, base_yield=None,
                          density: str = "empirical", bandwidth="silverman", rates=None,
                          subsidised: bool = True,
                          max_expense_ratio: float = MAX_EXPENSE_RATIO,
                          benchmark: Benchmark | None = None, farm=None) -> CostDesignStudy:
    """Every coverage × deductible × loading design of a cost cover, for a whole portfolio.

    Parameters
    ----------
    panel : DetrendedPanel
        From :func:`detrended_panel`: detrended yields per region × crop cell.
    insured_mu : scalar, mapping crop → value, array per cell, or DataFrame
        Insured area per cell (亩); a DataFrame has columns region, crop, insured_mu.
    sum_insured, price : scalar, mapping crop → value, or one value per cell
        Sum insured per 亩 (完全成本) and price per kg (``None``: the loss-degree form).
    split : SubsidySplit
        Who pays the premium (中央 / 省 / 县 / 农户).
    coverage_levels, deductibles, loadings : sequences
        The grid: 保障水平 θ, 绝对免赔率 d (share of SI), 附加费率 (≤ the rulebook's cap, 20%,
        when subsidised: a loading above it raises RegulationBreach).
    factor : float, mapping crop → value, or (with a benchmark) one value per cell
        费率调整系数 (within the 2023 band, else RegulationBreach).
    expenses : Expenses
        Its ``catastrophe_reserve`` share (大灾准备金) is reported apart (``catastrophe_reserve``,
        ``reserve_ratio``): outside the 综合费用率 the ceiling applies to (a reserve, not a 费用),
        inside every combined ratio.
    base_yield : scalar, mapping or array per cell, optional
        Yield the coverage level applies to (default the trend yield μ of the rating year).
    density : {"empirical", "kde"}
        Yield law of the expectation: the detrended years (the burn-year mean then equals the
        expectation), or the Gaussian kernel law with ``bandwidth`` (Goodwin & Ker 1998).
    rates : mapping crop → rate, optional
        Keep these filed rates (e.g. today's schedule); ``factor`` is then the implied
        费率调整系数 of each crop and ``in_band`` says whether it is inside the band.
    benchmark : Benchmark, optional
        The industry 基准纯风险损失率 (:func:`puhui.agri.benchmark.read_benchmark`). Given, the
        rate of every cell is the rule's formula on **its** benchmark at the design's θ and d,
        费率 = 基准纯风险损失率 / (1 − 附加费率) × 费率调整系数 (:func:`~puhui.agri.rules.filed_rate`):
        the company sets only ``factor`` (within the band) and ``loadings`` (within the cap),
        ``rates`` may not be given, and a design the table does not rate raises DataError. The
        company's own modelled pure rate is kept beside it (``model_rate``,
        ``model_to_benchmark``, ``model_position``: "below band" where the model is below
        benchmark × the band's lower edge), and ``benchmark_loss_ratio`` /
        ``benchmark_combined_ratio`` give the ratios with the benchmark's expected claims.
    farm : None, float ≥ 1, crop → k mapping, or FarmAdjustment
        County → farm adjustment (:mod:`puhui.agri.farm`): each cell's yield law gets the
        farm's own variation, sd(farm) = k·sd(county), so the expected payouts are those of a
        cover that pays each farm's loss; each burn year contributes E[pay | the county's
        yield] (:func:`cost_cover_by_year`). ``risk_reduction`` stays the county-level measure.
        None (default): county yields as they are. Recorded in ``assumptions``.

    Returns
    -------
    CostDesignStudy
        Per design (``designs``) and per design × crop (``by_crop``): insured 亩, premium,
        expected claims, expenses, 综合赔付率 / 综合费用率 / 综合成本率 (expected, with
        ``expense_ok`` against the 20% ceiling), the premium per payer (central, provincial,
        county, farmer) and per 亩, the expected indemnity per 亩, P(pay > 0), and from the
        burn years the mean combined ratio, P(CR > 100%), its 90% quantile, the worst year and
        ``risk_reduction`` = 1 − Σ A·Var(L − pay) / Σ A·Var(L) (A insured 亩, variances over
        the years of each cell): the share of the farmer's yield-loss variance the cover
        removes, with L = min(p·(b − y⁺)₊, SI) the loss below the base yield b (θ = 1, d = 0).
        ``by_crop`` adds the company's modelled pure rate (``model_rate``), the 基准纯风险损失率
        the rate is built on (``benchmark_rate``: the industry table's, liability-weighted,
        or without one the model's), base rate, factor, filed rate, ``in_band`` and the
        deductible in 元/亩 (免赔额 = d·SI). ``assumptions`` records the basis of the rates, the
        density, the county → farm adjustment and the 大灾准备金 share. Memory ≈ (θ, d) pairs × cells × years × 8
        bytes.

    Examples
    --------
    >>> import puhui.datasets as ds
    >>> from puhui.agri.subsidy import subsidy_split
    >>> panel = detrended_panel(ds.load_crop_yields())
    >>> study = evaluate_cost_designs(panel, 1000.0, {"rice": 1100, "maize": 800, "wheat": 700},
    ...                               split=subsidy_split(provincial=0.27, county=0.03))
    >>> len(study.designs), len(study.by_crop)
    (9, 27)
    """
    if density not in ("kde", "empirical"):
        raise ParameterError(f"density={density!r}; use 'empirical' or 'kde'")
    if not isinstance(split, SubsidySplit):
        raise ParameterError("split must be a SubsidySplit (see subsidy_split)")
    farm = check_farm(farm)
    if benchmark is not None:
        if not isinstance(benchmark, Benchmark):
            raise ParameterError("benchmark must be a Benchmark (puhui.agri.benchmark."
                                 "read_benchmark)")
        if rates is not None:
            raise ParameterError("with an industry benchmark the company sets only the factor "
                                 "and the loading (银保监规〔2023〕4号): rates= cannot be given")
    cells, y = panel.cells, panel.adjusted
    area = _insured(insured_mu, cells)
    si = _per_cell("sum_insured", sum_insured, cells)
    p = None if price is None else _per_cell("price", price, cells)
    base = panel.expected_yield if base_yield is None else _per_cell("base_yield", base_yield,
                                                                     cells)
    theta = check_coverage(coverage_levels).ravel()
    tp, dp = (g.ravel() for g in np.meshgrid(theta, np.asarray(deductibles, float).ravel(),
                                             indexing="ij"))
    # payouts depend on (θ, d) only: computed per pair, then spread over the loadings
    load = np.asarray(loadings, float).ravel()
    pair, ll = np.repeat(np.arange(tp.size), load.size), np.tile(load, tp.size)
    G = pair.size
    c = tp[:, None] * base[None, :]                                          # (pairs, C)
    h = None if density == "empirical" else bf.bandwidths(y, bandwidth)
    pay = cost_cover_pay(y[None], c[..., None], si[:, None], None if p is None else p[:, None],
                         dp[:, None, None])                                  # (pairs, C, n)
    county_pay = pay
    if farm is None:
        e, prob = cost_cover_expected(y[None], c, si, p, dp[:, None], bandwidth=h)
        paid = (pay > 0).astype(float)
    else:
        # the farm law: the county's years + N(0, h_farm²); each year E[pay | county yield]
        h_farm = farm_bandwidth(y, farm.ratios(cells["crop"]), h)           # (C,)
        pay, paid = cost_cover_by_year(y[None], c, si, p, dp[:, None], bandwidth=h_farm)
        e, prob = pay.mean(axis=-1), paid.mean(axis=-1)
    crops = pd.unique(cells["crop"])
    onehot = (cells["crop"].to_numpy()[:, None] == crops[None, :]).astype(float)   # (C, K)
    claims_t = np.einsum("gcn,c,ck->gkn", pay, area, onehot)[pair]         # (G, K, n)
    # farmer's loss: the shortfall below the base yield, valued as the cover values it, ≤ SI
    loss = cost_cover_pay(y, base[:, None], si[:, None], None if p is None else p[:, None])
    var_net = ((loss[None] - county_pay).var(axis=-1) * area) @ onehot       # (pairs, K)
    var_loss = (loss.var(axis=-1) * area) @ onehot                           # (K,)
    paid_t = np.einsum("gcn,c,ck->gkn", paid, area, onehot)[pair]
    e, prob = e[pair], prob[pair]                                            # (G, C)
    liab = area * si
    area_k, liab_k = area @ onehot, liab @ onehot
    claims_k, paid_k = (e * area) @ onehot, (prob * area) @ onehot           # (G, K)
    model_k = claims_k / liab_k                          # the company's modelled pure rate
    if benchmark is not None:
        # each cell's rate on its own industry benchmark; the company sets factor and loading
        bench_c = benchmark.rates(cells, tp, dp)                             # (pairs, C)
        fr = filed_rate(bench_c[pair], ll[:, None], _per_cell("factor", factor, cells)[None],
                        subsidised=subsidised)
        rate_c = fr.rate
        bench_k = ((bench_c * liab) @ onehot)[pair] / liab_k
        basis = f"industry benchmark: {benchmark.describe()}"
    else:
        # one filed rate per crop (a provincial schedule): the liability-weighted model rate
        bench_k = model_k
        f_k = (np.array([_per_cell("factor", factor, cells)[cells["crop"].to_numpy() == k][0]
                         for k in crops]) if isinstance(factor, dict) else factor)
        fr = filed_rate(bench_k, ll[:, None], 1.0 if rates is not None else f_k,
                        subsidised=subsidised)
        rate_c = fr.rate @ onehot.T if rates is None else \
            np.broadcast_to(_per_cell("rates", rates, cells), (G, len(cells)))
        basis = ("given rates (rates=)" if rates is not None else
                 "company model: the liability-weighted modelled pure rate of each crop as "
                 "基准纯风险损失率")
    prem_k = (rate_c * liab) @ onehot
    tot, _ = _metrics(area_k.sum(), prem_k.sum(1), claims_k.sum(1), paid_k.sum(1),
                      claims_t.sum(1), paid_t.sum(1), expenses, split, panel.years,
                      max_expense_ratio)
    per, cr_t = _metrics(area_k, prem_k, claims_k, paid_k, claims_t, paid_t, expenses, split,
                         panel.years, max_expense_ratio)
    with np.errstate(divide="ignore", invalid="ignore"):
        tot["risk_reduction"] = 1 - var_net.sum(1)[pair] / var_loss.sum()
        per["risk_reduction"] = (1 - var_net / var_loss)[pair].ravel()
        # the ratios with the benchmark's expected claims (= the model's without a benchmark)
        blr_k = bench_k * liab_k / prem_k
        tot["benchmark_loss_ratio"] = (bench_k * liab_k).sum(1) / prem_k.sum(1)
        per["benchmark_loss_ratio"] = blr_k.ravel()
        for out in (tot, per):
            out["benchmark_combined_ratio"] = combined_ratio_from(
                out["benchmark_loss_ratio"], out["expense_ratio"] + out["reserve_ratio"])
    grid = {"coverage": tp[pair], "deductible": dp[pair], "loading": ll}
    designs = pd.DataFrame({"design": np.arange(G), **grid, "liability": liab.sum(), **tot})
    K, lo, hi = len(crops), *fr.band
    with np.errstate(divide="ignore", invalid="ignore"):
        base_k = bench_k / (1 - ll[:, None])
        rate_k = prem_k / liab_k
        by_crop = pd.DataFrame({
            "design": np.repeat(np.arange(G), K), "crop": np.tile(crops, G),
            **{k: np.repeat(v, K) for k, v in grid.items()},
            "sum_insured_per_mu": np.tile(liab_k / area_k, G),
            "deductible_per_mu": (grid["deductible"][:, None] * liab_k / area_k).ravel(),
            "model_rate": model_k.ravel(), "benchmark_rate": bench_k.ravel(),
            "base_rate": base_k.ravel(),
            "factor": (rate_k / base_k).ravel(), "rate": rate_k.ravel(),
            "in_band": ((rate_k >= base_k * lo * (1 - 1e-12))
                        & (rate_k <= base_k * hi * (1 + 1e-12))).ravel(), **per})
    if rates is not None:
        designs["in_band"] = by_crop.groupby("design")["in_band"].all().to_numpy()
    if benchmark is not None:
        ratio, pos = benchmark_position(by_crop["model_rate"].to_numpy(),
                                        by_crop["benchmark_rate"].to_numpy(),
                                        subsidised=subsidised)
        by_crop["model_to_benchmark"], by_crop["model_position"] = ratio, pos
    n = panel.years.size
    by_year = pd.DataFrame({
        "design": np.repeat(np.arange(G), K * n), "crop": np.tile(np.repeat(crops, n), G),
        "year": np.tile(panel.years, G * K), "claims": claims_t.ravel(),
        "paid_mu": paid_t.ravel(), "combined_ratio": cr_t.ravel()})
    assumptions = {
        "rate_basis": basis,
        "density": density if h is None else f"{density} (bandwidth {bandwidth!r})",
        "county_to_farm": "none (county yields)" if farm is None else farm.describe(),
        "catastrophe_reserve": f"{expenses.catastrophe_reserve:.2%} of premium (大灾准备金)",
        "expenses": repr(expenses)}
    return CostDesignStudy(designs, by_crop, by_year, (lo, hi), max_expense_ratio, assumptions)
