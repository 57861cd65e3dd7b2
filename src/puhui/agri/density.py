"""Yield densities and the expected shortfall below a guarantee (产量分布与期望损失).

For a guarantee c = θ·μ (coverage level θ, expected yield μ) the indemnity per unit area in
yield units is the single layer ``min((c − Y)₊, c)`` (attachment 0, limit c, on the shortfall
c − Y; the cap at c only matters for a kernel density, whose support reaches below zero:
yields below zero count as a zero yield). Its expectation, divided by c, is the premium rate
(纯风险损失率)

    τ(θ) = E[min((θμ − Y)₊, θμ)] / (θμ) = 1 − E[min(Y⁺, c)] / c = 1 − LEV_{Y⁺}(c) / c.

* Empirical: the mean of the shortfalls of the adjusted yields.
* Gaussian kernel (Goodwin & Ker 1998, *Nonparametric estimation of crop yield distributions*,
  AJAE 80(1)): with centres y_i and bandwidth h, in closed form (written here by hand; scipy's
  ``gaussian_kde`` has no partial expectation)

      E[(c − Y)₊] = (1/n) Σ_i [(c − y_i) Φ(z_i) + h φ(z_i)],   z_i = (c − y_i)/h,

  and E[min((c − Y)₊, c)] = E[(c − Y)₊] − E[(0 − Y)₊].
* Parametric (lognormal, Weibull, beta; Nelson & Preckel 1989 for the beta): maximum
  likelihood by scipy.stats, and c − LEV(c) by the loss core's limited expected value.

Bandwidths: ``"silverman"`` and ``"scott"`` are scipy's ``gaussian_kde`` rules
(h = factor · sd, factor (3n/4)^(−1/5) and n^(−1/5)); ``"cv"`` maximises the leave-one-out
log-likelihood (likelihood cross-validation) over h in [0.05, 3] × the Silverman bandwidth.
"""

from __future__ import annotations

import numpy as np
from scipy import stats
from scipy.special import ndtr

from ..errors import ParameterError
from ..losses.lev import lev

DENSITIES = ("empirical", "kde", "lognormal", "weibull", "beta")
PARAMETRIC = {"lognormal": stats.lognorm, "weibull": stats.weibull_min, "beta": stats.beta}
BANDWIDTHS = ("silverman", "scott", "cv")
#: Search interval of the likelihood-cross-validated bandwidth, as multiples of Silverman's h.
CV_BOUNDS = (0.05, 3.0)
_INV_SQRT_2PI = 1.0 / np.sqrt(2.0 * np.pi)


def check_density(density: str) -> str:
    if density not in DENSITIES:
        raise ParameterError(f"density={density!r} is not known; use one of {', '.join(DENSITIES)}")
    return density


def _phi(z):
    return _INV_SQRT_2PI * np.exp(-0.5 * z * z)


def normal_shortfall(c, centres, h):
    """E[(c − Y)₊] for Y ~ N(centre, h²), elementwise and broadcasting; h = 0 gives (c − y)₊."""
    c, centres, h = np.broadcast_arrays(np.asarray(c, float), np.asarray(centres, float),
                                        np.asarray(h, float))
    d = c - centres
    with np.errstate(divide="ignore", invalid="ignore"):
        z = d / h
        out = d * ndtr(z) + h * _phi(z)
    return np.where(h > 0, out, np.maximum(d, 0.0))


def kde_layer(c, centres, h, axis: int = -1):
    """E[min((c − Y)₊, c)] for the equally weighted Gaussian kernel density with centres ``centres``.

    ``c`` must broadcast against ``centres`` with the centres on ``axis`` (NaN centres are
    missing years and are left out of the mean). Closed form of the module notes.

    Examples
    --------
    >>> round(float(kde_layer(1.0, np.array([1.0]), 0.1)), 6)   # E[(−Z·0.1)₊] = 0.1·φ(0)
    0.039894
    """
    centres = np.asarray(centres, float)
    valid = ~np.isnan(centres)
    y = np.where(valid, centres, 0.0)
    s = normal_shortfall(c, y, h) - normal_shortfall(0.0, y, h)
    s = np.where(valid, s, 0.0)
    return s.sum(axis=axis) / valid.sum(axis=axis)


def empirical_layer(c, sample, axis: int = -1):
    """E[min((c − Y)₊, c)] under the empirical distribution of ``sample`` (NaN = missing)."""
    sample = np.asarray(sample, float)
    valid = ~np.isnan(sample)
    s = np.minimum(np.maximum(c - np.where(valid, sample, 0.0), 0.0), c)
    return np.where(valid, s, 0.0).sum(axis=axis) / valid.sum(axis=axis)


def kde_pdf(x, centres, h):
    """Gaussian kernel density at ``x`` (1-D centres, scalar h > 0)."""
    x = np.asarray(x, float)[..., None]
    return _phi((x - centres) / h).mean(axis=-1) / h


def kde_cdf(x, centres, h):
    """Gaussian kernel distribution function at ``x`` (1-D centres, scalar h > 0)."""
    x = np.asarray(x, float)[..., None]
    return ndtr((x - centres) / h).mean(axis=-1)


def loo_loglik(h, sample):
    """Leave-one-out log-likelihood of a Gaussian kernel density, batched over rows.

    ``sample`` has shape (cells, n) with NaN for missing years; ``h`` has shape (cells,).
    Σ_i ln[ 1/((m−1) h) Σ_{j≠i} φ((y_i − y_j)/h) ] over the m valid points of each row.
    """
    sample = np.atleast_2d(np.asarray(sample, float))
    h = np.asarray(h, float).reshape(-1, 1, 1)
    valid = ~np.isnan(sample)
    y = np.where(valid, sample, 0.0)
    m = valid.sum(axis=1)
    pair = valid[:, :, None] & valid[:, None, :]
    np.einsum("cii->ci", pair)[...] = False
    k = np.where(pair, _phi((y[:, :, None] - y[:, None, :]) / h), 0.0).sum(axis=2)
    with np.errstate(divide="ignore"):
        terms = np.log(k / ((m[:, None] - 1) * h[:, :, 0]))
    return np.where(valid, terms, 0.0).sum(axis=1)


def rule_bandwidth(sample, method: str = "silverman", axis: int = -1):
    """Silverman or Scott bandwidth as scipy's ``gaussian_kde`` computes it (NaN = missing).

    h = factor(n) · sd(ddof=1), factor = (3n/4)^(−1/5) (Silverman) or n^(−1/5) (Scott).
    """
    sample = np.asarray(sample, float)
    n = (~np.isnan(sample)).sum(axis=axis)
    sd = np.nanstd(sample, axis=axis, ddof=1)
    if method == "silverman":
        return sd * (n * 3.0 / 4.0) ** -0.2
    if method == "scott":
        return sd * n ** -0.2
    raise ParameterError(f"bandwidth={method!r}: use 'silverman', 'scott', 'cv' or a number")


def kde_bandwidth(sample, method="silverman") -> float:
    """Bandwidth h of a Gaussian kernel density of a 1-D sample.

    ``"silverman"`` / ``"scott"`` come from ``scipy.stats.gaussian_kde``; ``"cv"`` maximises
    the leave-one-out log-likelihood with ``scipy.optimize.minimize_scalar`` (bounded, on ln h,
    within ``CV_BOUNDS`` × Silverman); a positive number is returned as is.
    """
    sample = np.asarray(sample, float)
    if not isinstance(method, str):
        h = float(method)
        if not h > 0:
            raise ParameterError(f"bandwidth must be positive, got {method!r}")
        return h
    if sample.size < 2 or np.ptp(sample) == 0:
        raise ParameterError("a kernel density needs at least two different yields")
    if method in ("silverman", "scott"):
        kde = stats.gaussian_kde(sample, bw_method=method)
        return float(np.sqrt(kde.covariance[0, 0]))
    if method != "cv":
        raise ParameterError(f"bandwidth={method!r}: use 'silverman', 'scott', 'cv' or a number")
    from scipy.optimize import minimize_scalar

    h0 = kde_bandwidth(sample, "silverman")
    res = minimize_scalar(lambda lh: -loo_loglik(np.exp([lh]), sample[None, :])[0],
                          bounds=(np.log(CV_BOUNDS[0] * h0), np.log(CV_BOUNDS[1] * h0)),
                          method="bounded", options={"xatol": 1e-10})
    return float(np.exp(res.x))


def golden_cv_bandwidth(sample, iterations: int = 60):
    """Likelihood-CV bandwidths of many rows at once (vectorised golden-section search on ln h).

    Same objective and interval as :func:`kde_bandwidth` with ``"cv"``; rows of ``sample``
    are cells, NaN marks a missing year.
    """
    sample = np.atleast_2d(np.asarray(sample, float))
    h0 = rule_bandwidth(sample, "silverman", axis=1)
    a, b = np.log(CV_BOUNDS[0] * h0), np.log(CV_BOUNDS[1] * h0)
    g = (np.sqrt(5.0) - 1.0) / 2.0
    x1, x2 = b - g * (b - a), a + g * (b - a)
    f1, f2 = loo_loglik(np.exp(x1), sample), loo_loglik(np.exp(x2), sample)
    for _ in range(iterations):
        left = f1 >= f2          # the maximum lies in [a, x2]
        a, b = np.where(left, a, x1), np.where(left, x2, b)
        new = np.where(left, b - g * (b - a), a + g * (b - a))
        fnew = loo_loglik(np.exp(new), sample)
        x1, x2, f1, f2 = (np.where(left, new, x2), np.where(left, x1, new),
                          np.where(left, fnew, f2), np.where(left, f1, fnew))
    return np.exp((a + b) / 2.0)


def fit_parametric(sample, density: str):
    """Maximum-likelihood fit of a yield law with location 0: a frozen scipy distribution.

    Lognormal: ``scipy.stats.lognorm.fit(x, floc=0)``. Weibull: the profile-likelihood root of
    :func:`weibull_mle` (exact to machine precision). Beta: support
    [0, b] with b = max + (max − min)/(n − 1) (the range stretched by one average spacing,
    since the upper end of a yield law is not observed), then ``beta.fit(x, floc=0, fscale=b)``.
    """
    check_density(density)
    x = np.asarray(sample, float)
    if density not in PARAMETRIC:
        raise ParameterError(f"{density!r} is not a parametric density")
    if np.any(x <= 0):
        raise ParameterError(f"a {density} yield density needs positive adjusted yields; "
                             "use density='kde' or 'empirical', or a multiplicative adjustment")
    if x.size < 3 or np.ptp(x) == 0:
        raise ParameterError(f"a {density} fit needs at least three different yields")
    law = PARAMETRIC[density]
    if density == "beta":
        upper = x.max() + np.ptp(x) / (x.size - 1)
        a, b, _, _ = law.fit(x, floc=0.0, fscale=upper, optimizer=_tight_fmin)
        return law(a, b, loc=0.0, scale=upper)
    if density == "weibull":
        k, lam = weibull_mle(x[None, :])
        return law(float(k[0]), loc=0.0, scale=float(lam[0]))
    shape, _, scale = law.fit(x, floc=0.0)
    return law(shape, loc=0.0, scale=scale)


def weibull_mle(adjusted, iterations: int = 100):
    """Weibull MLE with location 0 for every row of a (cells, years) panel (NaN = no year).

    The profile likelihood of the shape ``k`` (Cohen 1965, *Maximum likelihood estimation in the
    Weibull distribution based on complete and on censored samples*, Technometrics 7(4)) gives
    the scale in closed form, ``λ = (mean x^k)^(1/k)``, and the shape as the root of the score

        g(k) = Σ x^k ln x / Σ x^k − 1/k − mean(ln x) = 0,

    which is increasing in ``k`` (one root). The root is found by bisection on ``ln k`` in
    [1e-3, 1e4] for all rows together: 100 halvings of a width of 16.1 reach machine precision,
    with no Python loop per row (a general-purpose optimiser, e.g. scipy's Nelder–Mead in
    ``weibull_min.fit``, stops short of the optimum and can take seconds per sample). ``x`` is
    divided by the row's maximum first so that ``x^k`` cannot overflow. Returns ``(k, λ)``.

    >>> k, lam = weibull_mle(np.array([[3.0, 5.0, 7.0, 9.0]]))
    >>> x = np.log([3.0, 5.0, 7.0, 9.0]); w = np.exp(k[0] * x)
    >>> bool(abs((w * x).sum() / w.sum() - 1 / k[0] - x.mean()) < 1e-12)
    True
    """
    y = np.asarray(adjusted, float)
    mask = ~np.isnan(y)
    top = np.nanmax(y, axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        lx = np.where(mask, np.log(y / top[:, None]), 0.0)
    n = mask.sum(axis=1)
    mean_lx = lx.sum(axis=1) / n
    lo, hi = np.full(len(y), np.log(1e-3)), np.full(len(y), np.log(1e4))
    for _ in range(iterations):
        mid = 0.5 * (lo + hi)
        k = np.exp(mid)[:, None]
        xk = np.where(mask, np.exp(k * lx), 0.0)
        g = (xk * lx).sum(axis=1) / xk.sum(axis=1) - 1.0 / k[:, 0] - mean_lx
        lo, hi = np.where(g < 0, mid, lo), np.where(g < 0, hi, mid)
    k = np.exp(0.5 * (lo + hi))
    xk = np.where(mask, np.exp(k[:, None] * lx), 0.0)
    lam = top * (xk.sum(axis=1) / n) ** (1.0 / k)
    return k, lam


def _tight_fmin(func, x0, args=(), disp=0):
    # scipy's default Nelder-Mead stops at xtol 1e-4: too loose to compare rates to 1e-6
    from scipy.optimize import fmin

    return fmin(func, x0, args=args, xtol=1e-12, ftol=1e-14, maxiter=20_000, maxfun=40_000,
                disp=0)


def parametric_layer(c, dist):
    """E[min((c − Y)₊, c)] = c − LEV(c) for a non-negative frozen law (loss-core LEV)."""
    c = np.asarray(c, float)
    return c - np.asarray(lev(dist, c), float)
