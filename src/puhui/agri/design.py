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
loss core (the kernel expectation reuses the closed form of :mod:`puhui.agri.density`).

Index designs (天气指数保险) are in :mod:`puhui.agri.index_design`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.special import ndtr

from ..errors import DataError, ParameterError, Problem
from ..pricing import Expenses as _Expenses
from . import batch_fit as bf
from .batch import yield_panel
from .density import kde_layer
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


@dataclass(frozen=True, init=False)
class Expenses(_Expenses):
    """Expense assumptions of a crop product (综合费用, 元): :class:`puhui.pricing.Expenses`
    under the crop keywords.

    expenses = ``per_mu`` × insured 亩 (承保、防灾减损、管理; the model's ``per_member``) +
    ``premium_share`` × premium (手续费、税金及附加、保险保障基金) + ``per_paid_mu`` × 亩 with a
    payout (查勘定损; the model's ``per_claim``). The other shares of the model (e.g.
    ``catastrophe_reserve``, 大灾准备金) may be given by keyword.

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


def _per_cell(name, value, cells):
    """A scalar, a mapping crop → value, or one value per cell, as an array over the cells."""
    if isinstance(value, dict):
        missing = sorted(set(cells["crop"]) - set(value))
        if missing:
            raise ParameterError(f"{name}: no value for crop(s) {missing}")
        return cells["crop"].map(value).to_numpy(float)
    a = np.asarray(value, float)
    if a.ndim == 0:
        return np.full(len(cells), float(a))
    if a.shape != (len(cells),):
        raise ParameterError(f"{name}: give a scalar, a crop mapping or {len(cells)} values")
    return a


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
}


def _label(col: str) -> str:
    from ..plots import label

    return label(*_LABELS.get(col, (col, col)))


@dataclass(frozen=True)
class CostDesignStudy:
    """Evaluated designs of a cost cover (see :func:`evaluate_cost_designs`).

    ``designs``: the portfolio, one row per design (the same θ, d and loading for every crop);
    ``by_crop``: each crop's product per design (rates, per-亩 figures, its own ratios);
    ``by_year``: the burn, one row per design × crop × past year.
    """

    designs: pd.DataFrame
    by_crop: pd.DataFrame
    by_year: pd.DataFrame
    band: tuple[float, float]
    max_expense_ratio: float

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
        the Axes."""
        from ..plots import label, new_axes
        from ..tuning.frontier import pareto_mask

        t = self._table(crop)
        ax = new_axes(ax)
        ok = t["expense_ok"].to_numpy(bool)
        sc = ax.scatter(t.loc[ok, x], t.loc[ok, y], c=t.loc[ok, "combined_ratio"], s=12,
                        cmap="RdYlGn_r", vmin=0.85, vmax=1.05, zorder=2,
                        label=label("方案", "designs"))
        ax.scatter(t.loc[~ok, x], t.loc[~ok, y], marker="x", s=10, color="0.6", zorder=1,
                   label=label("综合费用率 > 上限", "expense ratio above ceiling"))
        front = np.zeros(len(t), bool)
        front[ok] = pareto_mask(t.loc[ok, x].to_numpy(float), t.loc[ok, y].to_numpy(float))
        f = t[front].sort_values(x)
        ax.plot(f[x], f[y], "-", color="tab:blue", lw=1.2, zorder=3,
                label=label("前沿", "frontier"))
        if chosen is not None:
            row = t[t["design"] == chosen]
            ax.scatter(row[x], row[y], marker="*", s=250, color="tab:red", edgecolor="k",
                       zorder=4, label=label("选定方案", "chosen design"))
        ax.figure.colorbar(sc, ax=ax, label=_label("combined_ratio"))
        ax.set_xlabel(_label(x))
        ax.set_ylabel(_label(y))
        ax.legend(loc="lower right", fontsize="small")
        return ax

    def plot_heatmap(self, value: str = "combined_ratio", *, crop: str | None = None,
                     loading: float | None = None, fmt: str = "{:.0%}", vmin=None, vmax=None,
                     level: float | None = None, ax=None):
        """``value`` over coverage level (rows) × deductible (columns) at one loading; colours
        clipped to [vmin, vmax]; a white contour at ``level`` (e.g. the 20% expense ceiling);
        returns the Axes."""
        from ..plots import label, new_axes

        t = self._table(crop)
        load = t["loading"].iloc[0] if loading is None else loading
        t = t[np.isclose(t["loading"], load)]
        if t.empty:
            raise ParameterError(f"no design with loading {loading!r}")
        grid = t.pivot(index="coverage", columns="deductible", values=value)
        v = grid.to_numpy(float)
        ax = new_axes(ax)
        im = ax.imshow(v, origin="lower", aspect="auto", cmap="viridis", vmin=vmin, vmax=vmax)
        if level is not None and np.nanmin(v) < level < np.nanmax(v):
            ax.contour(v, levels=[level], colors="w", linewidths=1.5)
        if v.size <= 150:
            for (i, j), z in np.ndenumerate(v):
                ax.text(j, i, fmt.format(z), ha="center", va="center", fontsize=7,
                        color="w" if z < np.nanmedian(v) else "k")
        step_x, step_y = max(1, grid.shape[1] // 8), max(1, grid.shape[0] // 8)
        ax.set_xticks(range(0, grid.shape[1], step_x),
                      [f"{d:.0%}" for d in grid.columns[::step_x]])
        ax.set_yticks(range(0, grid.shape[0], step_y),
                      [f"{c:.0%}" for c in grid.index[::step_y]])
        ax.set_xlabel(label("绝对免赔率", "deductible (share of sum insured)"))
        ax.set_ylabel(label("保障水平", "coverage level"))
        ax.figure.colorbar(im, ax=ax, label=_label(value))
        return ax


def _metrics(area, premium, claims, paid, claims_t, paid_t, expenses, split, years, ceiling):
    """Ratios, subsidy and burn statistics; arrays (...,) and (..., years), broadcasting."""
    spent = expenses.amount(area, premium, paid)
    with np.errstate(divide="ignore", invalid="ignore"):
        # a design that never paid in the history has no premium and no ratios (NaN)
        lr = np.where(premium > 0, claims / premium, np.nan)
        er = np.where(premium > 0, spent / premium, np.nan)
        cr_t = np.where(premium[..., None] > 0, (claims_t + expenses.amount(
            area[..., None], premium[..., None], paid_t)) / premium[..., None], np.nan)
        worst = np.argmax(np.nan_to_num(cr_t, nan=-np.inf), axis=-1)
        out = {"insured_mu": area, "premium": premium, "expected_claims": claims,
               "expenses": spent, "loss_ratio": lr, "expense_ratio": er,
               "combined_ratio": lr + er, "expense_ok": er <= ceiling + 1e-12,
               "payout_probability": paid / area, "expected_indemnity_per_mu": claims / area,
               "premium_per_mu": premium / area,
               "farmer_premium_per_mu": premium * split.farmer / area,
               "farmer_premium": premium * split.farmer, "subsidy": premium * (1 - split.farmer),
               "central": premium * split.central, "provincial": premium * split.provincial,
               "county": premium * split.county, "burn_cr_mean": cr_t.mean(-1),
               "p_cr_above_100": (cr_t > 1).mean(-1), "cr_q90": np.quantile(cr_t, 0.9, axis=-1),
               "worst_year": years[worst],
               "worst_cr": np.take_along_axis(cr_t, worst[..., None], -1)[..., 0]}
    return {k: np.ravel(np.broadcast_to(v, np.shape(premium))) for k, v in out.items()}, cr_t


def evaluate_cost_designs(panel: DetrendedPanel, insured_mu, sum_insured, *,
                          split: SubsidySplit, coverage_levels=(0.8, 0.9, 1.0),
                          deductibles=(0.0, 0.1, 0.2), loadings=(0.20,), factor=1.0,
                          expenses: Expenses = Expenses(), price=None, base_yield=None,
                          density: str = "empirical", bandwidth="silverman", rates=None,
                          subsidised: bool = True,
                          max_expense_ratio: float = MAX_EXPENSE_RATIO) -> CostDesignStudy:
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
        The grid: 保障水平 θ, 绝对免赔率 d (share of SI), 附加费率 (≤ 25% when subsidised).
    factor : float
        费率调整系数 (within the 2023 band, else RuleError).
    expenses : Expenses
    base_yield : scalar, mapping or array per cell, optional
        Yield the coverage level applies to (default the trend yield μ of the rating year).
    density : {"empirical", "kde"}
        Yield law of the expectation: the detrended years (the burn-year mean then equals the
        expectation), or the Gaussian kernel law with ``bandwidth`` (Goodwin & Ker 1998).
    rates : mapping crop → rate, optional
        Keep these filed rates (e.g. today's schedule); ``factor`` is then the implied
        费率调整系数 of each crop and ``in_band`` says whether it is inside the band.

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
        ``by_crop`` adds the benchmark (pure) rate, base rate, factor, filed rate, ``in_band``
        and the deductible in 元/亩 (免赔额 = d·SI). Memory ≈ (θ, d) pairs × cells × years × 8
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
    e, prob = cost_cover_expected(y[None], c, si, p, dp[:, None], bandwidth=h)
    pay = cost_cover_pay(y[None], c[..., None], si[:, None], None if p is None else p[:, None],
                         dp[:, None, None])                                  # (pairs, C, n)
    crops = pd.unique(cells["crop"])
    onehot = (cells["crop"].to_numpy()[:, None] == crops[None, :]).astype(float)   # (C, K)
    claims_t = np.einsum("gcn,c,ck->gkn", pay, area, onehot)[pair]         # (G, K, n)
    # farmer's loss: the shortfall below the base yield, valued as the cover values it, ≤ SI
    loss = cost_cover_pay(y, base[:, None], si[:, None], None if p is None else p[:, None])
    var_net = ((loss[None] - pay).var(axis=-1) * area) @ onehot              # (pairs, K)
    var_loss = (loss.var(axis=-1) * area) @ onehot                           # (K,)
    paid_t = np.einsum("gcn,c,ck->gkn", (pay > 0).astype(float), area, onehot)[pair]
    e, prob = e[pair], prob[pair]                                            # (G, C)
    liab = area * si
    area_k, liab_k = area @ onehot, liab @ onehot
    claims_k, paid_k = (e * area) @ onehot, (prob * area) @ onehot           # (G, K)
    bench_k = claims_k / liab_k
    # one filed rate per crop (a provincial schedule): the liability-weighted benchmark
    fr = filed_rate(bench_k, ll[:, None], 1.0 if rates is not None else factor,
                    subsidised=subsidised)
    rate_c = fr.rate @ onehot.T if rates is None else \
        np.broadcast_to(_per_cell("rates", rates, cells), (G, len(cells)))
    prem_k = (rate_c * liab) @ onehot
    tot, _ = _metrics(area_k.sum(), prem_k.sum(1), claims_k.sum(1), paid_k.sum(1),
                      claims_t.sum(1), paid_t.sum(1), expenses, split, panel.years,
                      max_expense_ratio)
    per, cr_t = _metrics(area_k, prem_k, claims_k, paid_k, claims_t, paid_t, expenses, split,
                         panel.years, max_expense_ratio)
    with np.errstate(divide="ignore", invalid="ignore"):
        tot["risk_reduction"] = 1 - var_net.sum(1)[pair] / var_loss.sum()
        per["risk_reduction"] = (1 - var_net / var_loss)[pair].ravel()
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
            "benchmark_rate": bench_k.ravel(), "base_rate": base_k.ravel(),
            "factor": (rate_k / base_k).ravel(), "rate": rate_k.ravel(),
            "in_band": ((rate_k >= base_k * lo * (1 - 1e-12))
                        & (rate_k <= base_k * hi * (1 + 1e-12))).ravel(), **per})
    if rates is not None:
        designs["in_band"] = by_crop.groupby("design")["in_band"].all().to_numpy()
    n = panel.years.size
    by_year = pd.DataFrame({
        "design": np.repeat(np.arange(G), K * n), "crop": np.tile(np.repeat(crops, n), G),
        "year": np.tile(panel.years, G * K), "claims": claims_t.ravel(),
        "paid_mu": paid_t.ravel(), "combined_ratio": cr_t.ravel()})
    return CostDesignStudy(designs, by_crop, by_year, (lo, hi), max_expense_ratio)
