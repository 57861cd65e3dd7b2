"""Vectorised premium rates for many yield series at once (cells × years).

Every function here takes a panel ``Y`` of shape (cells, years) with NaN for a missing year and
works on all rows together — no Python loop per cell. The single-series reference is
:class:`puhui.agri.YieldModel` (statsmodels, scipy); the tests check both agree cell by cell.

* Trends and adjustments: :func:`puhui.agri.trend.batch_trend` and
  :func:`puhui.agri.trend.batch_adjust` (the one trend fitter, which ``fit_trend`` also runs),
  available here as ``batch_trend`` and ``adjust``.
* Empirical rates: each row sorted once, prefix sums, then for each guarantee c the shortfall
  k·c − (sum of the k yields below c) over n.
* Kernel rates: the closed form of :func:`puhui.agri.density.kde_layer` on a
  (cells, levels, years) array.
* Lognormal: MLE in closed form (mean and sd of ln y). Weibull: the MLE shape solves
  Σ x^k ln x / Σ x^k − 1/k − mean(ln x) = 0 (bisection on ln k, all cells together).
"""

from __future__ import annotations

import numpy as np
from scipy.special import gamma as gamma_fn
from scipy.special import gammainc, ndtr

from .density import golden_cv_bandwidth, kde_layer, rule_bandwidth, weibull_mle
from .trend import batch_adjust as adjust
from .trend import batch_trend as batch_trend

__all__ = ["BATCH_TRENDS", "adjust", "bandwidths", "batch_trend", "empirical_rates",
           "kernel_rates", "lognormal_rates", "weibull_rates", "weibull_shape"]

#: The trends the batch pricing offers (``reprice``, ``detrended_panel``); ``batch_trend``
#: also fits ``"loess"`` (for ``fit_trend``), which these callers do not expose.
BATCH_TRENDS = ("none", "linear", "quadratic", "robust")


def empirical_rates(adjusted, guarantee):
    """E[min((c − Y)₊, c)]/c under each row's empirical law, by sorting and prefix sums.

    ``adjusted`` (cells, years) with NaN for missing years; ``guarantee`` (cells, levels).
    """
    y = np.sort(np.maximum(adjusted, 0.0), axis=1)       # NaN sort last; yields < 0 count as 0
    n = (~np.isnan(y)).sum(axis=1)
    y0 = np.where(np.isnan(y), np.inf, y)
    prefix = np.concatenate([np.zeros((len(y), 1)), np.cumsum(np.where(np.isinf(y0), 0.0, y0),
                                                              axis=1)], axis=1)
    k = (y0[:, None, :] < guarantee[:, :, None]).sum(axis=2)          # (cells, levels)
    below = np.take_along_axis(prefix, k, axis=1)
    return (k * guarantee - below) / n[:, None] / guarantee


def kernel_rates(adjusted, guarantee, bandwidth):
    """Gaussian-kernel rates, closed form, all cells and levels at once."""
    shortfall = kde_layer(guarantee[:, :, None], adjusted[:, None, :], bandwidth[:, None, None])
    return shortfall / guarantee


def bandwidths(adjusted, rule):
    """Per-cell bandwidth: 'silverman' / 'scott' (scipy's rules), 'cv', or a number."""
    if isinstance(rule, str) and rule == "cv":
        out = np.empty(len(adjusted))
        step = 1000                       # the LOO objective holds (cells, n, n) arrays
        for i in range(0, len(adjusted), step):
            out[i:i + step] = golden_cv_bandwidth(adjusted[i:i + step])
        return out
    if isinstance(rule, str):
        return rule_bandwidth(adjusted, rule, axis=1)
    return np.full(len(adjusted), float(rule))


def lognormal_rates(adjusted, guarantee):
    """Rates under the lognormal MLE (μ, σ of ln y, ddof 0); c − LEV(c) in closed form."""
    with np.errstate(divide="ignore", invalid="ignore"):
        ly = np.log(adjusted)
    mu = np.nanmean(ly, axis=1)[:, None]
    sig = np.nanstd(ly, axis=1)[:, None]
    c = guarantee
    with np.errstate(divide="ignore"):
        d = (np.log(c) - mu) / sig
    shortfall = c * ndtr(d) - np.exp(mu + 0.5 * sig * sig) * ndtr(d - sig)
    return shortfall / c


def weibull_shape(adjusted, iterations: int = 100):
    """MLE Weibull shape k per row (location 0): :func:`puhui.agri.density.weibull_mle`."""
    return weibull_mle(adjusted, iterations)[0]


def weibull_rates(adjusted, guarantee):
    """Rates under the Weibull MLE; LEV(c) = λΓ(1+1/k)P(1+1/k, (c/λ)^k) + c·exp(−(c/λ)^k)."""
    k, lam = weibull_mle(adjusted)
    k, lam = k[:, None], lam[:, None]
    u = (guarantee / lam) ** k
    lev = lam * gamma_fn(1 + 1 / k) * gammainc(1 + 1 / k, u) + guarantee * np.exp(-u)
    return (guarantee - lev) / guarantee
