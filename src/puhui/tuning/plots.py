"""Figures of a tuning study: the price–benefit frontier and heat maps over two grid axes.

Product-neutral: both functions take an :class:`~puhui.tuning.evaluate.Evaluation` (惠民保,
起付线 × 赔付比例 by default) or any DataFrame with one row per design and the named columns —
the crop design study (:class:`puhui.agri.design.CostDesignStudy`) draws its heat maps
(保障水平 × 绝对免赔率) and trade-offs with them. ``labels`` adds or overrides the axis names
(column → (Chinese, English)) of the family's columns.
"""

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


def _label(col: str, labels: dict | None = None) -> str:
    zh, en = (labels or {}).get(col) or _LABELS.get(col, (col, col))
    return label(zh, en)


_DEFAULT_TITLE = ("价格与保障的权衡", "price versus benefit")


def _table(evaluation):
    return getattr(evaluation, "table", evaluation)


def plot_frontier(evaluation, *, cost: str = "required_premium", benefit: str = "share_paid",
                  chosen: int | None = None, ax=None, color: str | None = None,
                  feasible: str | None = None, labels: dict | None = None,
                  title=_DEFAULT_TITLE, vmin=None, vmax=None, cmap: str = "RdYlGn_r",
                  legend_loc: str = "best",
                  infeasible_label: tuple[str, str] = ("不满足约束", "infeasible")):
    """Scatter of every design (cost vs benefit) with the Pareto frontier, the chosen design and
    the current design marked; returns the Axes.

    The frontier is :func:`puhui.tuning.frontier.pareto_mask` of (``cost``, ``benefit``) over
    the designs shown as feasible.

    Parameters
    ----------
    evaluation : Evaluation or DataFrame
        Evaluated designs (columns ``design``, ``cost`` and ``benefit``; ``current`` optional).
    cost, benefit : str
        Columns on the x axis (minimised) and the y axis (maximised).
    chosen : int, optional
        Design number to mark (e.g. ``optimise(...).design``).
    ax : matplotlib Axes, optional
    color : str, optional
        A column to colour the designs by (with a colour bar, ``cmap`` clipped to
        [``vmin``, ``vmax``]); default one grey.
    feasible : str, optional
        A boolean column: designs where it is False are drawn as ✕ (legend
        ``infeasible_label``, (Chinese, English)) and left off the frontier (e.g.
        ``expense_ok``, 综合费用率 within its ceiling).
    labels : dict, optional
        Column → (Chinese, English) axis names, over the 惠民保 defaults.
    title : (str, str) or None
        (Chinese, English) title; None for none.
    legend_loc : str, default "best"
    """
    t = _table(evaluation)
    for col in (cost, benefit, color, feasible):
        if col is not None and col not in t.columns:
            raise ParameterError(f"column {col!r} not in the evaluation table")
    ax = new_axes(ax)
    x, y = t[cost].to_numpy(float), t[benefit].to_numpy(float)
    if color is None and feasible is None:
        ax.scatter(x, y, s=8, color="0.7", label=label("方案", "designs"), zorder=1)
        front = pareto_mask(x, y)
    else:
        ok = np.ones(len(t), bool) if feasible is None else t[feasible].to_numpy(bool)
        style = {"color": "0.7"} if color is None else {
            "c": t.loc[ok, color].to_numpy(float), "cmap": cmap, "vmin": vmin, "vmax": vmax}
        sc = ax.scatter(x[ok], y[ok], s=8, zorder=1, label=label("方案", "designs"), **style)
        if not ok.all():
            ax.scatter(x[~ok], y[~ok], marker="x", s=10, color="0.6", zorder=1,
                       label=label(*infeasible_label))
        if color is not None:
            ax.figure.colorbar(sc, ax=ax, label=_label(color, labels))
        front = np.zeros(len(t), bool)
        front[ok] = pareto_mask(x[ok], y[ok])
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
    ax.set_xlabel(_label(cost, labels))
    ax.set_ylabel(_label(benefit, labels))
    ax.legend(loc=legend_loc, fontsize="small")
    if title is not None:
        ax.set_title(label(*title))
    return ax


def plot_heatmap(evaluation, value: str = "required_premium", *, x: str = "deductible",
                 y: str = "payout_ratio", where: dict | None = None, annotate: bool = True,
                 ax=None, fmt: str | None = None, vmin=None, vmax=None,
                 level: float | None = None, labels: dict | None = None,
                 tick_fmt: str = "{:g}", max_ticks: int | None = None,
                 chosen: int | None = None, current=None, legend_loc: str = "lower center"):
    """Heat map of ``value`` over two axes of the grid (起付线 × 赔付比例 by default).

    Parameters
    ----------
    evaluation : Evaluation or DataFrame
        One row per design with the columns ``value``, ``x`` and ``y``.
    value : str
        Metric to show, e.g. ``required_premium`` or ``prob_cr_above_100``.
    x, y : str
        Axis columns of the grid.
    where : dict, optional
        Fix the other axes, ``{"cap": 2e6}``: every (x, y) cell must then hold one design.
    annotate : bool, default True
        Write the value in each cell.
    ax : matplotlib Axes, optional
    fmt : str, optional
        Format of the cell values (``"{:.1%}"``); default a percentage for the 惠民保 ratios,
        else a number.
    vmin, vmax : float, optional
        Colour scale clipped to [vmin, vmax].
    level : float, optional
        A white contour at this value (e.g. the 20% 综合费用率 ceiling), drawn when the values
        straddle it.
    labels : dict, optional
        Column → (Chinese, English) axis names, over the 惠民保 defaults.
    tick_fmt : str, default "{:g}"
        Format of the tick labels (``"{:.0%}"`` for shares).
    max_ticks : int, optional
        Label about this many ticks per axis (every k-th), for large grids.
    chosen : int, optional
        Design number to mark with a star (e.g. ``optimise(...).design``); it must lie in the
        map (its ``where`` values).
    current : (x, y) or (x, y, text), optional
        Where to mark today's design with a square when it is not a cell of the map (e.g. its
        in-catalogue 赔付比例 when the lines' ratios differ): axis values, placed between the
        cells by linear interpolation of the ticks (clamped to the map); ``text`` is added to
        the legend label. By default a current design that is a cell of the map is marked.
    legend_loc : str, default "lower center"
        Legend position (when a design is marked): by default above the map, outside the
        cells.
    """
    if max_ticks is not None and (isinstance(max_ticks, bool) or not (
            isinstance(max_ticks, (int, np.integer)) and max_ticks >= 1)):
        raise ParameterError(f"max_ticks: a whole number ≥ 1, got {max_ticks!r}")
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
    img = ax.imshow(table.to_numpy(float), origin="lower", aspect="auto", cmap="viridis",
                    vmin=vmin, vmax=vmax)
    if level is not None:
        vals = table.to_numpy(float)
        if np.nanmin(vals) < level < np.nanmax(vals):
            ax.contour(vals, levels=[level], colors="w", linewidths=1.5)
    step_x = 1 if max_ticks is None else max(1, table.shape[1] // max_ticks)
    step_y = 1 if max_ticks is None else max(1, table.shape[0] // max_ticks)
    ax.set_xticks(range(0, table.shape[1], step_x),
                  [tick_fmt.format(v) for v in table.columns[::step_x]])
    ax.set_yticks(range(0, table.shape[0], step_y),
                  [tick_fmt.format(v) for v in table.index[::step_y]])
    ax.set_xlabel(_label(x, labels))
    ax.set_ylabel(_label(y, labels))
    ax.figure.colorbar(img, ax=ax, label=_label(value, labels))
    if annotate:
        vals = table.to_numpy(float)
        mid = np.nanmean(vals)
        if fmt is None:
            ratio = value in ("expected_cr", "prob_cr_above_100", "benefit_ratio", "share_paid",
                              "expected_cr_fixed", "prob_cr_above_100_fixed")
            big = np.nanmax(np.abs(vals)) >= 100
            fmt = "{:.0%}" if ratio else ("{:.0f}" if big else "{:.2f}")
        for i in range(vals.shape[0]):
            for j in range(vals.shape[1]):
                if np.isfinite(vals[i, j]):
                    ax.text(j, i, fmt.format(vals[i, j]), ha="center", va="center",
                            fontsize="x-small", color="w" if vals[i, j] < mid else "k")
    _mark_designs(ax, t, table, x, y, chosen, current, legend_loc)
    return ax


def _position(value: float, ticks) -> float:
    """Image coordinate of an axis value: linear between the (sorted) tick values."""
    ticks = np.asarray(ticks, dtype=float)
    return float(np.interp(value, ticks, np.arange(ticks.size)))


def _mark_designs(ax, t, table, x, y, chosen, current, legend_loc) -> None:
    """Square on today's design, star on the chosen one (heat map coordinates)."""
    marked = False
    cur = None
    if current is not None:
        try:
            cx, cy, *text = current
            cur = (float(cx), float(cy), " ".join(str(v) for v in text))
        except (TypeError, ValueError):
            raise ParameterError("current: give (x, y) or (x, y, text) axis values") from None
    elif "current" in t.columns and t["current"].any():
        row = t[t["current"].to_numpy(bool)].iloc[0]
        if np.isfinite(row[x]) and np.isfinite(row[y]):
            cur = (float(row[x]), float(row[y]), "")
    if cur is not None:
        text = f" ({cur[2]})" if cur[2] else ""
        ax.plot(_position(cur[0], table.columns), _position(cur[1], table.index), marker="s",
                ms=11, mfc="none", mec="tab:orange", mew=2.5, ls="none",
                label=label("现行方案", "current design") + text)
        marked = True
    if chosen is not None:
        row = t[t["design"] == chosen] if "design" in t.columns else t.iloc[:0]
        if len(row) == 0:
            raise ParameterError(f"chosen: design {chosen} is not in the map (fix the other "
                                 "axes with where= to the chosen design's values)")
        row = row.iloc[0]
        ax.plot(_position(float(row[x]), table.columns), _position(float(row[y]), table.index),
                marker="*", ms=22, mfc="none", mec="tab:red", mew=2.0, ls="none",
                label=label("选定方案", "chosen design"))
        marked = True
    if marked:
        outside = {"bbox_to_anchor": (0.5, 1.0), "ncol": 2, "frameon": False} if (
            legend_loc == "lower center") else {"framealpha": 0.85}
        ax.legend(loc=legend_loc, fontsize="small", **outside)
