"""Vectorised trend fits and premium rates for many yield series at once (cells × years).

Every function here takes a panel ``Y`` of shape (cells, years) with NaN for a missing year and
works on all rows together — no Python loop per cell. The single-series reference is
:class:`puhui.agri.YieldModel` (statsmodels, scipy); the tests check both agree cell by cell.

* Polynomial trends: weighted least squares on the normal equations, one small (p × p) system
  per cell solved together by ``numpy.linalg.solve`` (weights 0 mark missing years).
* Robust trend: the IRLS of statsmodels ``RLM`` (Huber t = 1.345, MAD scale about 0, stop when
  the deviance moves by ≤ 1e-8 or after 50 iterations), reproduced step by step for all cells.
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
from scipy.stats import norm

from .density import golden_cv_bandwidth, kde_layer, rule_bandwidth
from .trend import _SPAN, TREND_METHODS

BATCH_TRENDS = ("none", "linear", "quadratic", "robust")
_HUBER_T = 1.345
_MAD_C = float(norm.ppf(0.75))


def design(years, rating_year) -> np.ndarray:
    """(cells, years, 1) scaled years s = (year − T_cell)/10, for polynomial designs."""
    return (np.asarray(years, float)[None, :] - np.asarray(rating_year, float)[:, None]) / _SPAN


def _wls(X, Y0, W):
    XW = X * W[:, :, None]
    A = np.swapaxes(XW, 1, 2) @ X
    b = np.einsum("cnp,cn->cp", XW, Y0)
    return np.linalg.solve(A, b[..., None])[..., 0]


def batch_trend(Y, years, method, rating_year):
    """Trend fitted values (cells, years) and rating-year values (cells,) for every row of ``Y``.

    ``method`` is one of ``BATCH_TRENDS``; ``rating_year`` has one entry per cell.
    """
    mask = ~np.isnan(Y)
    Y0 = np.where(mask, Y, 0.0)
    W = mask.astype(float)
    s = design(years, rating_year)
    X = s[:, :, None] ** np.arange(TREND_METHODS[method])[None, None, :]
    params = _wls(X, Y0, W)
    if method == "robust":
        params = _irls_huber(X, Y0, mask, params)
    fitted = np.einsum("cnp,cp->cn", X, params)
    return np.where(mask, fitted, np.nan), params[:, 0]


def _huber_rho(z):
    a = np.abs(z)
    return np.where(a <= _HUBER_T, 0.5 * z * z, a * _HUBER_T - 0.5 * _HUBER_T ** 2)


def _irls_huber(X, Y0, mask, params, tol=1e-8, maxiter=50):
    """statsmodels ``RLM(M=HuberT()).fit()`` for all cells at once (see the module notes)."""
    p = X.shape[2]
    df = mask.sum(axis=1) - p

    resid, scale, dev_prev = _irls_state(X, Y0, mask, params, mask.astype(float), df)
    active = np.ones(len(params), bool)
    for iteration in range(2, maxiter + 1):
        active &= scale > 0          # statsmodels stops on a perfect fit
        if not active.any():
            break
        idx = np.flatnonzero(active)
        az = np.abs(resid[idx] / scale[idx, None])
        with np.errstate(divide="ignore"):
            w = np.where(mask[idx], np.where(az <= _HUBER_T, 1.0, _HUBER_T / az), 0.0)
        new = _wls(X[idx], Y0[idx], w)
        r_i, s_i, d_i = _irls_state(X[idx], Y0[idx], mask[idx], new, w, df[idx])
        params[idx], resid[idx], scale[idx] = new, r_i, s_i
        done = (np.abs(d_i - dev_prev[idx]) <= tol) | (iteration >= maxiter)
        dev_prev[idx] = d_i
        active[idx[done]] = False
    return params


def _irls_state(X, Y0, mask, par, w, df):
    """Residuals, MAD scale and deviance Σρ(r / WLS scale) after a (weighted) fit."""
    resid = np.where(mask, Y0 - np.einsum("cnp,cp->cn", X, par), 0.0)
    wls_scale = (w * resid * resid).sum(axis=1) / df
    scale = np.nanmedian(np.where(mask, np.abs(resid), np.nan), axis=1) / _MAD_C
    with np.errstate(divide="ignore", invalid="ignore"):
        dev = np.where(mask, _huber_rho(resid / wls_scale[:, None]), 0.0).sum(axis=1)
    return resid, scale, dev


def heteroscedasticity_beta(resid, fitted):
    """Per-row slope of ln e² on ln ŷ (Harri et al. 2011); NaN where undefined."""
    mask = ~np.isnan(resid)
    with np.errstate(divide="ignore", invalid="ignore"):
        x = np.where(mask, np.log(fitted), np.nan)
        y = np.where(mask, np.log(resid * resid), np.nan)
        xm = np.nanmean(x, axis=1, keepdims=True)
        ym = np.nanmean(y, axis=1, keepdims=True)
        sxx = np.nansum((x - xm) ** 2, axis=1)
        beta = np.nansum((x - xm) * (y - ym), axis=1) / sxx
    spread = np.nanmax(x, axis=1) - np.nanmin(x, axis=1)     # a constant trend has no slope
    bad = ~(spread > 0) | ~np.isfinite(beta)
    return np.where(bad, np.nan, beta)


def adjust(Y, fitted, expected, adjustment):
    """Adjusted yields ỹ (cells, years) and the β used per cell (NaN where undefined)."""
    e = Y - fitted
    T = expected[:, None]
    if adjustment == "additive":
        return T + e, np.zeros(len(Y))
    if adjustment == "multiplicative":
        with np.errstate(divide="ignore", invalid="ignore"):
            return T * Y / fitted, np.full(len(Y), 2.0)
    beta = heteroscedasticity_beta(e, fitted) if adjustment == "heteroscedastic" \
        else np.full(len(Y), float(adjustment))
    with np.errstate(divide="ignore", invalid="ignore"):
        return T + e * (T / fitted) ** (beta[:, None] / 2.0), beta


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
    """MLE Weibull shape k per row (location 0), by bisection on ln k in [1e-3, 1e4]."""
    mask = ~np.isnan(adjusted)
    with np.errstate(divide="ignore", invalid="ignore"):
        lx = np.log(adjusted / np.nanmax(adjusted, axis=1, keepdims=True))
    lx = np.where(mask, lx, -np.inf)
    mean_lx = np.where(mask, lx, 0.0).sum(axis=1) / mask.sum(axis=1)
    lo, hi = np.full(len(adjusted), np.log(1e-3)), np.full(len(adjusted), np.log(1e4))
    lx_f = np.where(mask, lx, 0.0)
    for _ in range(iterations):
        mid = 0.5 * (lo + hi)
        k = np.exp(mid)[:, None]
        xk = np.where(mask, np.exp(k * lx), 0.0)
        g = (xk * lx_f).sum(axis=1) / xk.sum(axis=1) - 1.0 / k[:, 0] - mean_lx
        lo, hi = np.where(g < 0, mid, lo), np.where(g < 0, hi, mid)
    return np.exp(0.5 * (lo + hi))


def weibull_rates(adjusted, guarantee):
    """Rates under the Weibull MLE; LEV(c) = λΓ(1+1/k)P(1+1/k, (c/λ)^k) + c·exp(−(c/λ)^k)."""
    k = weibull_shape(adjusted)
    mask = ~np.isnan(adjusted)
    top = np.nanmax(adjusted, axis=1)
    # λ = (mean x^k)^(1/k), computed on x / max so that x^k cannot overflow
    xk = np.where(mask, (np.where(mask, adjusted, 0.0) / top[:, None]) ** k[:, None], 0.0)
    lam = top * (xk.sum(axis=1) / mask.sum(axis=1)) ** (1.0 / k)
    k, lam = k[:, None], lam[:, None]
    u = (guarantee / lam) ** k
    lev = lam * gamma_fn(1 + 1 / k) * gammainc(1 + 1 / k, u) + guarantee * np.exp(-u)
    return (guarantee - lev) / guarantee
