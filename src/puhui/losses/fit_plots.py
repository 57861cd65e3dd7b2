"""QQ and PP plots for a fitted severity law that respect deductibles and limits.

Both plots use the conditional (truncated) fitted law of each observation,
F_d(x) = (F(x) − F(d)) / S(d), and the Kaplan–Meier plotting positions of
:mod:`puhui.losses.fit_gof`: for exact (uncensored) losses sorted by their PIT value w,
p_i = (F_n(w_i−) + F_n(w_i)) / 2, the middle of the Kaplan–Meier step, which is the Hazen
position (i − ½)/n when nothing is censored. Censored observations are not drawn (their value
is not known) but they shape the Kaplan–Meier positions of the others.

* PP plot: fitted conditional probability w_i against the empirical p_i.
* QQ plot: fitted conditional quantile F_d⁻¹(p_i) = S⁻¹((1 − p_i) S(d_i)) against the loss x_i
  (log axes by default: losses are skewed).

Points near the diagonal mean a good fit.

Example
-------
>>> import numpy as np
>>> from puhui.losses.fit import SeverityFitter
>>> f = SeverityFitter("lognorm").fit(np.random.default_rng(3).lognormal(7, 1, 300))
>>> ax = qq_plot(f)
>>> ax.get_xscale()
'log'
"""

from __future__ import annotations

import numpy as np

from puhui.errors import ParameterError
from puhui.losses.fit_gof import kaplan_meier, pit
from puhui.plots import label, new_axes

__all__ = ["qq_plot", "pp_plot", "plotting_positions"]


def plotting_positions(fitter) -> dict[str, np.ndarray]:
    """Exact losses of a fitted :class:`~puhui.losses.fit.SeverityFitter` with their PIT value
    ``w``, Kaplan–Meier plotting position ``p`` and fitted conditional quantile ``q``,
    sorted by ``w``."""
    if not hasattr(fitter, "dist_"):
        raise ParameterError("fitter: pass a fitted SeverityFitter (call fit() first)")
    data, dist = fitter.data_, fitter.dist_
    keep = data.weights > 0
    x, d, c, wt = data.x[keep], data.truncation[keep], data.censored[keep], data.weights[keep]
    w, _ = pit(dist, x, d)
    times, cdf = kaplan_meier(w, ~c, wt)
    exact = ~c
    xe, de, we = x[exact], d[exact], w[exact]
    order = np.argsort(we, kind="stable")
    xe, de, we = xe[order], de[order], we[order]
    j = np.searchsorted(times, we)
    before = np.concatenate([[0.0], cdf])[j]
    p = 0.5 * (before + cdf[j])
    s_d = np.where(de > 0, dist.sf(np.where(de > 0, de, 1.0)), 1.0)
    q = dist.isf((1.0 - p) * s_d)
    return {"x": xe, "truncation": de, "w": we, "p": p, "q": q}


def _diagonal(ax, lo: float, hi: float) -> None:
    ax.plot([lo, hi], [lo, hi], color="0.4", linewidth=1.0, linestyle="--",
            label=label("45° 参考线", "45° line"))


def qq_plot(fitter, ax=None, *, log: bool = True, **scatter_kw):
    """Quantile–quantile plot of a fitted severity law (fitted conditional quantile on x, the
    observed loss on y, in yuan); returns the Axes."""
    pos = plotting_positions(fitter)
    ax = new_axes(ax)
    scatter_kw.setdefault("s", 10)
    scatter_kw.setdefault("alpha", 0.7)
    ax.scatter(pos["q"], pos["x"], **scatter_kw)
    both = np.concatenate([pos["q"], pos["x"]])
    both = both[np.isfinite(both) & (both > 0)]
    _diagonal(ax, both.min(), both.max())
    if log:
        ax.set_xscale("log")
        ax.set_yscale("log")
    ax.set_xlabel(label(f"拟合分位数（{fitter.family_}，元）",
                        f"fitted quantile ({fitter.family_}, yuan)"))
    ax.set_ylabel(label("观测损失（元）", "observed loss (yuan)"))
    ax.set_title(label("QQ 图（考虑免赔额截断与封顶删失）",
                       "QQ plot (deductible truncation, limit censoring)"))
    ax.legend(loc="upper left")
    return ax


def pp_plot(fitter, ax=None, **scatter_kw):
    """Probability–probability plot: fitted conditional cdf against the Kaplan–Meier
    plotting position; returns the Axes."""
    pos = plotting_positions(fitter)
    ax = new_axes(ax)
    scatter_kw.setdefault("s", 10)
    scatter_kw.setdefault("alpha", 0.7)
    ax.scatter(pos["w"], pos["p"], **scatter_kw)
    _diagonal(ax, 0.0, 1.0)
    ax.set_xlim(0.0, 1.0)
    ax.set_ylim(0.0, 1.0)
    ax.set_xlabel(label(f"拟合条件分布函数（{fitter.family_}）",
                        f"fitted conditional cdf ({fitter.family_})"))
    ax.set_ylabel(label("经验分布函数（Kaplan–Meier）", "empirical cdf (Kaplan–Meier)"))
    ax.set_title(label("PP 图（考虑免赔额截断与封顶删失）",
                       "PP plot (deductible truncation, limit censoring)"))
    ax.legend(loc="upper left")
    return ax
