"""Figures of a tuning study: the price–benefit frontier and heat maps over 起付线 × 赔付比例."""

from __future__ import annotations

import numpy as np

from puhui.errors import ParameterError
from puhui.plots import label, new_axes
from puhui.tuning.frontier import pareto_mask

__all__ = ["plot_frontier", "plot_heatmap"]

_LABELS = {
    "required_premium": ("所需保费（元/人）", "required premium (yuan per member)"),
    "price": ("价格（元/人）", "price (yuan per member)"),
    "pure_premium": ("人均赔付（元）", "expected payout per member (yuan)"),
    "share_paid": ("获赔率", "share of members paid"),
    "payout_per_claimant": ("获赔人均赔付（元）", "average payout per claimant (yuan)"),
    "expected_cr": ("预期综合成本率", "expected combined ratio"),
    "prob_cr_above_100": ("P(综合成本率 > 100%)", "P(combined ratio > 100%)"),
    "benefit_ratio": ("赔付率", "benefit ratio"),
    "deductible": ("起付线（元）", "deductible (yuan)"),
    "payout_ratio": ("赔付比例", "payout ratio"),
    "cap": ("封顶线（元）", "cap (yuan)"),
}


def _label(col: str) -> str:
    zh, en = _LABELS.get(col, (col, col))
    return label(zh, en)


def _table(evaluation):
    return getattr(evaluation, "table", evaluation)


def plot_frontier(evaluation, *, cost: str = "required_premium", benefit: str = "share_paid",
                  chosen: int | None = None, ax=None):
    """Scatter of every design (cost vs benefit) with the Pareto frontier, the chosen design and
    the current design marked; returns the Axes.

    Parameters
    ----------
    evaluation : Evaluation or DataFrame
        Evaluated designs (columns ``design``, ``current``, ``cost`` and ``benefit``).
    cost, benefit : str
        Columns on the x axis (minimised) and the y axis (maximised).
    chosen : int, optional
        Design number to mark (e.g. ``optimise(...).design``).
    ax : matplotlib Axes, optional
    """
    t = _table(evaluation)
    for col in (cost, benefit):
        if col not in t.columns:
            raise ParameterError(f"column {col!r} not in the evaluation table")
    ax = new_axes(ax)
    x, y = t[cost].to_numpy(float), t[benefit].to_numpy(float)
    ax.scatter(x, y, s=8, color="0.7", label=label("方案", "designs"), zorder=1)
    front = pareto_mask(x, y)
    order = np.argsort(x[front], kind="stable")
    ax.plot(x[front][order], y[front][order], "-o", ms=3, color="tab:blue",
            label=label("帕累托前沿", "Pareto frontier"), zorder=2)
    if "current" in t.columns and t["current"].any():
        cur = t[t["current"].to_numpy(bool)]
        ax.scatter(cur[cost], cur[benefit], marker="s", s=60, color="tab:orange",
                   edgecolor="k", label=label("现行方案", "current design"), zorder=3)
    if chosen is not None:
        row = t[t["design"] == chosen]
        if len(row) == 0:
            raise ParameterError(f"chosen: no design {chosen}")
        ax.scatter(row[cost], row[benefit], marker="*", s=180, color="tab:red",
                   edgecolor="k", label=label("选定方案", "chosen design"), zorder=4)
    ax.set_xlabel(_label(cost))
    ax.set_ylabel(_label(benefit))
    ax.legend(loc="best", fontsize="small")
    ax.set_title(label("价格与保障的权衡", "price versus benefit"))
    return ax


def plot_heatmap(evaluation, value: str = "required_premium", *, x: str = "deductible",
                 y: str = "payout_ratio", where: dict | None = None, annotate: bool = True,
                 ax=None):
    """Heat map of ``value`` over two axes of the grid (起付线 × 赔付比例 by default).

    Parameters
    ----------
    evaluation : Evaluation or DataFrame
    value : str
        Metric to show, e.g. ``required_premium`` or ``prob_cr_above_100``.
    x, y : str
        Axis columns of the grid.
    where : dict, optional
        Fix the other axes, ``{"cap": 2e6}``: every (x, y) cell must then hold one design.
    annotate : bool, default True
        Write the value in each cell.
    ax : matplotlib Axes, optional
    """
    t = _table(evaluation)
    for col in (value, x, y):
        if col not in t.columns:
            raise ParameterError(f"column {col!r} not in the evaluation table")
    if "current" in t.columns:
        t = t[~t["current"].to_numpy(bool) | t[[x, y]].notna().all(axis=1).to_numpy()]
    for col, v in (where or {}).items():
        if col not in t.columns:
            raise ParameterError(f"where: no column {col!r}")
        t = t[t[col] == v]
    t = t.drop_duplicates(subset=[c for c in t.columns if c not in ("design", "current")])
    if t.duplicated([x, y]).any():
        raise ParameterError(f"several designs share a ({x}, {y}) cell; fix the other axes "
                             "with where={...}")
    table = t.pivot(index=y, columns=x, values=value).sort_index().sort_index(axis=1)
    ax = new_axes(ax)
    img = ax.imshow(table.to_numpy(float), origin="lower", aspect="auto", cmap="viridis")
    ax.set_xticks(range(table.shape[1]), [f"{v:g}" for v in table.columns])
    ax.set_yticks(range(table.shape[0]), [f"{v:g}" for v in table.index])
    ax.set_xlabel(_label(x))
    ax.set_ylabel(_label(y))
    ax.figure.colorbar(img, ax=ax, label=_label(value))
    if annotate:
        vals = table.to_numpy(float)
        mid = np.nanmean(vals)
        ratio = value in ("expected_cr", "prob_cr_above_100", "benefit_ratio", "share_paid")
        big = np.nanmax(np.abs(vals)) >= 100
        fmt = "{:.0%}" if ratio else ("{:.0f}" if big else "{:.2f}")
        for i in range(vals.shape[0]):
            for j in range(vals.shape[1]):
                if np.isfinite(vals[i, j]):
                    ax.text(j, i, fmt.format(vals[i, j]), ha="center", va="center",
                            fontsize="x-small", color="w" if vals[i, j] < mid else "k")
    return ax
