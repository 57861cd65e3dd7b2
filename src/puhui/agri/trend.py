"""Yield trends and detrending (产量趋势与去趋势): one vectorised fitter for many series.

Yields grow with technology, so the raw history understates the yield a farmer expects today.
A trend ŷ_t is fitted to the history, its value ŷ_T in the rating year T is the **expected
yield** (预期单产, APH-like), and each past yield is brought to the technology of year T:

* additive        ỹ_t = ŷ_T + (y_t − ŷ_t)
* multiplicative  ỹ_t = ŷ_T · y_t / ŷ_t
* heteroscedastic ỹ_t = ŷ_T + (y_t − ŷ_t)·(ŷ_T / ŷ_t)^(β/2), with Var(e_t) ∝ ŷ_t^β
  (Harri, Coble, Ker & Goodwin 2011, *Relaxing heteroscedasticity assumptions in area-yield
  crop insurance rating*, AJAE 93(3)); β = 0 is additive, β = 2 multiplicative; β is estimated
  by least squares of ln e_t² on ln ŷ_t, or given as a number.

**One fitter.** :func:`batch_trend` fits a panel ``Y`` of shape (cells, years), NaN for a
missing year, all rows together (no Python loop per cell); :func:`fit_trend` is that fitter on
a one-row panel, wrapped in a :class:`TrendFit`; likewise :func:`batch_adjust` /
:func:`adjust_yields` and :func:`batch_heteroscedasticity_beta` /
:func:`heteroscedasticity_beta`. The methods, in the scaled year s = (year − T)/10:

* ``"none"`` (a constant), ``"linear"``, ``"quadratic"``: ordinary least squares on the normal
  equations, one small (p × p) system per cell solved together by ``numpy.linalg.solve``
  (weights 0 mark missing years); the tests check it against statsmodels ``OLS`` and
  ``numpy.polyfit``.
* ``"robust"``: the Huber M-estimator of statsmodels ``RLM(M=HuberT())`` — IRLS with Huber
  t = 1.345, MAD scale about 0, stopping when the deviance moves by ≤ 1e-8 or after 50
  iterations — reproduced step by step for all cells (Huber 1981, *Robust Statistics*; IRLS as
  in Holland & Welsch 1977, Commun. Stat. A6(9)); the tests check it against ``RLM``.
* ``"loess"``: LOWESS (Cleveland 1979, JASA 74(368)) as statsmodels ``lowess`` computes it:
  local linear fits on the k = ⌊frac·n⌋ nearest years (2 ≤ k ≤ n) with tricube weights, and
  3 robustness iterations with bisquare weights of the residuals over 6 × their median; the
  rating-year value is the local linear fit at T with the last robustness weights.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.stats import norm

from ..errors import ParameterError

#: Trend methods and the number of parameters of their polynomial (loess is non-parametric).
TREND_METHODS = {"none": 1, "linear": 2, "quadratic": 3, "robust": 2, "loess": 2}
ADJUSTMENTS = ("additive", "multiplicative", "heteroscedastic")

#: Years are centred on the rating year and scaled by this span before fitting polynomials, so
#: the normal equations stay well conditioned (the fitted values do not depend on the choice).
_SPAN = 10.0
_HUBER_T = 1.345
_MAD_C = float(norm.ppf(0.75))
_LOWESS_ITERATIONS = 3


@dataclass(frozen=True)
class TrendFit:
    """A fitted yield trend.

    Attributes
    ----------
    method : str
        ``"none"``, ``"linear"``, ``"quadratic"``, ``"robust"`` or ``"loess"``.
    years, yields, fitted : ndarray
        The history and the trend ŷ_t at each year.
    rating_year : float
        T, the year being rated.
    expected : float
        ŷ_T, the expected yield in the rating year (预期单产).
    params : ndarray
        Polynomial coefficients in the scaled year ``(year − rating_year) / 10``, lowest order
        first (empty for loess); so ``params[0]`` is ŷ_T for the polynomial trends.
    """

    method: str
    years: np.ndarray
    yields: np.ndarray
    fitted: np.ndarray
    rating_year: float
    expected: float
    params: np.ndarray

    @property
    def residuals(self) -> np.ndarray:
        """e_t = y_t − ŷ_t."""
        return self.yields - self.fitted


def check_method(method: str) -> str:
    if method not in TREND_METHODS:
        raise ParameterError(
            f"detrend={method!r} is not a trend method; use one of {', '.join(TREND_METHODS)}")
    return method


def check_adjustment(adjustment) -> str | float:
    if isinstance(adjustment, str):
        if adjustment not in ADJUSTMENTS:
            raise ParameterError(f"adjustment={adjustment!r} is not known; use one of "
                                 f"{', '.join(ADJUSTMENTS)} or a number β")
        return adjustment
    beta = float(adjustment)
    if not np.isfinite(beta):
        raise ParameterError(f"adjustment β must be finite, got {adjustment!r}")
    return beta


def min_years(method: str) -> int:
    """Fewest years a trend needs: its parameters plus two degrees of freedom for the spread."""
    return TREND_METHODS[check_method(method)] + 2


def check_series(years, yields) -> tuple[np.ndarray, np.ndarray]:
    """Years and yields as float arrays, checked: same length, finite, yields ≥ 0, years unique."""
    years = np.asarray(years, dtype=float)
    yields = np.asarray(yields, dtype=float)
    if years.ndim != 1 or yields.ndim != 1 or years.shape != yields.shape:
        raise ParameterError("years and yields must be 1-D arrays of the same length, got "
                             f"shapes {years.shape} and {yields.shape}")
    if not (np.all(np.isfinite(years)) and np.all(np.isfinite(yields))):
        raise ParameterError("years and yields must be finite numbers (no NaN): a missing "
                             "year is left out of the series, not filled")
    if np.any(yields < 0):
        raise ParameterError(f"yields must be ≥ 0; got {yields[yields < 0][:5]}")
    if np.unique(years).size != years.size:
        raise ParameterError("years must not repeat: one yield per year")
    order = np.argsort(years, kind="stable")
    return years[order], yields[order]


def _check_frac(frac: float) -> float:
    if not 0 < frac <= 1:
        raise ParameterError(f"frac must be in (0, 1], got {frac}")
    return float(frac)


# ---------------------------------------------------------------------- the fitter
def batch_trend(Y, years, method, rating_year, *, frac: float = 2.0 / 3.0):
    """Trend fitted values (cells, years) and rating-year values ŷ_T (cells,) for every row.

    Parameters
    ----------
    Y : ndarray (cells, years)
        Yields, NaN for a missing year.
    years : ndarray (years,)
        The common year axis, increasing, without repeats.
    method : str
        A key of ``TREND_METHODS`` (see the module notes).
    rating_year : ndarray (cells,)
        T of each cell.
    frac : float
        LOWESS span, for ``"loess"`` (whose arrays hold cells × years² numbers: pass panels
        of a few thousand cells at a time).

    Examples
    --------
    >>> Y = np.array([[390.0, 400.0, 410.0, 420.0], [500.0, np.nan, 480.0, 470.0]])
    >>> fitted, expected = batch_trend(Y, np.arange(2019, 2023), "linear", np.full(2, 2023))
    >>> [round(float(v), 6) for v in expected]
    [430.0, 460.0]
    """
    fitted, expected, _ = _fit_panel(Y, years, method, rating_year, frac)
    return fitted, expected


def _fit_panel(Y, years, method, rating_year, frac):
    """(fitted, expected, params) — params (cells, p) in the scaled year, (cells, 0) for loess."""
    Y = np.asarray(Y, dtype=float)
    years = np.asarray(years, dtype=float)
    rating_year = np.asarray(rating_year, dtype=float)
    mask = ~np.isnan(Y)
    if check_method(method) == "loess":
        fitted, expected = _lowess_panel(Y, years, mask, rating_year, _check_frac(frac))
        return fitted, expected, np.empty((len(Y), 0))
    Y0 = np.where(mask, Y, 0.0)
    s = (years[None, :] - rating_year[:, None]) / _SPAN
    X = s[:, :, None] ** np.arange(TREND_METHODS[method])[None, None, :]
    params = _wls(X, Y0, mask.astype(float))
    if method == "robust":
        params = _irls_huber(X, Y0, mask, params)
    fitted = np.einsum("cnp,cp->cn", X, params)
    return np.where(mask, fitted, np.nan), params[:, 0], params


def _wls(X, Y0, W):
    XW = X * W[:, :, None]
    A = np.swapaxes(XW, 1, 2) @ X
    b = np.einsum("cnp,cn->cp", XW, Y0)
    return np.linalg.solve(A, b[..., None])[..., 0]


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
    scale = _row_median(np.abs(resid), mask) / _MAD_C
    with np.errstate(divide="ignore", invalid="ignore"):
        dev = np.where(mask, _huber_rho(resid / wls_scale[:, None]), 0.0).sum(axis=1)
    return resid, scale, dev


def _window_sum(w, left, k):
    """Σ of ``w`` (cells, targets, years) over each window [left, left + k), added up the way
    ``numpy.sum`` adds a slice of k numbers, so that the weights are normalised to the last bit
    as in the reference: left to right below 8 terms, otherwise 8 running lane sums over the
    first k − k mod 8 terms, combined pairwise, then the rest left to right (windows of up to
    128 years, numpy's block size)."""
    cells, targets, n_years = w.shape
    width = max(8, -(-int(k.max()) // 8) * 8)
    pos = np.arange(width)
    kk = k[:, None, None]
    idx = np.minimum(left[:, :, None] + pos, n_years - 1)
    win = np.where(pos < kk, np.take_along_axis(w, idx, axis=2), 0.0)
    k8 = kk - kk % 8
    lanes = np.cumsum(np.where(pos < k8, win, 0.0).reshape(cells, targets, width // 8, 8),
                      axis=2)[:, :, -1, :]
    paired = ((lanes[..., 0] + lanes[..., 1]) + (lanes[..., 2] + lanes[..., 3])) \
        + ((lanes[..., 4] + lanes[..., 5]) + (lanes[..., 6] + lanes[..., 7]))
    rest = np.where(pos >= k8, win, 0.0)
    blocked = _running_sum(np.concatenate([paired[..., None], rest], axis=2))
    return np.where(kk[..., 0] < 8, _running_sum(win), blocked)


def _row_median(a, mask):
    """Median of each row's observed entries: the mean of the two middle order statistics
    (the same value, to the last bit, as ``numpy.nanmedian``, without its masked-array cost)."""
    s = np.sort(np.where(mask, a, np.inf), axis=1)
    n = mask.sum(axis=1)[:, None]
    low = np.take_along_axis(s, (n - 1) // 2, axis=1)[:, 0]
    high = np.take_along_axis(s, n // 2, axis=1)[:, 0]
    return (low + high) / 2.0


def _lowess_panel(Y, years, mask, rating_year, frac):
    """LOWESS of every row at its own years and at T (see the module notes), all rows at once.

    Each row's observed years are packed to the left (``x``, ``y``, ``ok``); the targets are
    those years and T. For a target v the window is the k consecutive years starting at
    l = #{l' < n − k: (x_l' + x_{l'+k}) / 2 < v} (the k nearest), radius r the larger distance
    to its ends, tricube weights (1 − (|x − v|/r)³)³ times the robustness weights, and the local
    linear fit Σ_j w_j (1 + (v − x̄)(x_j − x̄)/max(Σ w (x − x̄)², 1e-12)) y_j with normalised w.
    A target with fewer than two weights above 1e-12 takes its own yield (NaN at T).
    """
    cells, n_years = Y.shape
    order = np.argsort(~mask, axis=1, kind="stable")         # observed years first, in order
    ok = np.take_along_axis(mask, order, axis=1)
    x = np.where(ok, years[order], np.nan)
    y = np.where(ok, np.take_along_axis(Y, order, axis=1), 0.0)
    n = ok.sum(axis=1)
    k = np.clip((frac * n + 1e-10).astype(int), 2, n)
    cols = np.arange(n_years)
    right = np.take_along_axis(x, np.minimum(cols[None, :] + k[:, None], n_years - 1), axis=1)
    mid = np.where(cols[None, :] < (n - k)[:, None], (x + right) / 2.0, np.inf)
    targets = np.concatenate([x, rating_year[:, None]], axis=1)  # (cells, years + 1)
    with np.errstate(invalid="ignore"):
        left = (mid[:, None, :] < targets[:, :, None]).sum(axis=2)
    last = left + k[:, None] - 1
    x_left = np.take_along_axis(x, left, axis=1)
    x_last = np.take_along_axis(x, np.minimum(last, n_years - 1), axis=1)
    radius = np.fmax(targets - x_left, x_last - targets)
    in_window = (cols[None, None, :] >= left[:, :, None]) & (cols[None, None, :] <= last[:, :, None])
    with np.errstate(invalid="ignore", divide="ignore"):
        d = np.abs(x[:, None, :] - targets[:, :, None]) / radius[:, :, None]
        cube = d * d * d
        cube = 1.0 - cube
        tricube = np.where(in_window, cube * cube * cube, 0.0)
    robust = ok.astype(float)
    own = np.concatenate([y, np.full((cells, 1), np.nan)], axis=1)  # fallback: own yield / NaN
    for iteration in range(_LOWESS_ITERATIONS + 1):
        w = tricube * robust[:, None, :]
        total = _window_sum(w, left, k)
        good = (w > 1e-12).sum(axis=2) >= 2
        with np.errstate(invalid="ignore", divide="ignore"):
            w = w / total[:, :, None]
            xbar = _running_sum(w * np.where(ok, x, 0.0)[:, None, :])
            dev = np.where(ok, x, 0.0)[:, None, :] - xbar[:, :, None]
            sq = np.fmax(_running_sum(w * (dev * dev)), 1e-12)
            proj = w * (1.0 + (targets - xbar)[:, :, None] * dev / sq[:, :, None])
            fit = np.where(good, _running_sum(proj * y[:, None, :]), own)
        if iteration < _LOWESS_ITERATIONS:
            resid = np.where(ok, np.abs(y - fit[:, :n_years]), np.nan)
            med = _row_median(resid, ok)[:, None]
            with np.errstate(invalid="ignore", divide="ignore"):
                u = np.where(med == 0, (resid > 0).astype(float), resid / (6.0 * med))
            u = np.minimum(u, 1.0)
            robust = np.where(ok, (1.0 - u * u) ** 2, 0.0)
    fitted = np.full((cells, n_years), np.nan)
    np.put_along_axis(fitted, order, np.where(ok, fit[:, :n_years], np.nan), axis=1)
    return fitted, fit[:, n_years]


def _running_sum(a):
    """Σ over the last axis, left to right (the order of the reference's loop; the years lie
    near 2000, so the order shows in the last digits of x̄ and of the fit)."""
    return np.cumsum(a, axis=-1)[..., -1]


def fit_trend(years, yields, method: str = "linear", *, rating_year: float | None = None,
              frac: float = 2.0 / 3.0) -> TrendFit:
    """Fit a yield trend and return its value in the rating year (:func:`batch_trend` on one
    series).

    Parameters
    ----------
    years, yields : array_like
        The history (单产序列), one yield per year, any order.
    method : {"linear", "quadratic", "robust", "loess", "none"}
        The trend (see the module notes).
    rating_year : float, optional
        T; by default the last year + 1.
    frac : float
        LOWESS span (share of the points in each local fit), for ``"loess"``.

    Examples
    --------
    >>> t = fit_trend([2019, 2020, 2021, 2022], [390.0, 400.0, 410.0, 420.0])
    >>> round(t.expected, 6)
    430.0
    """
    method = check_method(method)
    years, yields = check_series(years, yields)
    if years.size < min_years(method):
        raise ParameterError(f"detrend={method!r} needs at least {min_years(method)} years, "
                             f"got {years.size}")
    T = float(years[-1] + 1 if rating_year is None else rating_year)
    if method == "loess":
        _check_frac(frac)
    fitted, expected, params = _fit_panel(yields[None, :], years, method, np.array([T]), frac)
    if np.isnan(expected[0]):
        raise ParameterError(f"detrend='loess' with frac={frac:g}: fewer than two of the "
                             f"{years.size} years carry weight at the rating year {T:g}; use "
                             "a larger frac (or a rating year nearer the data)")
    return TrendFit(method, years, yields, fitted[0], T, float(expected[0]), params[0])


# ---------------------------------------------------------------------- adjustments
def batch_heteroscedasticity_beta(resid, fitted):
    """Per-row β of Var(e_t) ∝ ŷ_t^β: the least-squares slope of ln e_t² on ln ŷ_t over the
    observed years (Harri et al. 2011, eq. (2)–(3)); NaN where undefined (a trend ≤ 0, a
    constant trend, a zero residual)."""
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


def batch_adjust(Y, fitted, expected, adjustment):
    """Adjusted yields ỹ (cells, years) and the β used per cell (NaN where undefined)."""
    e = Y - fitted
    T = expected[:, None]
    if adjustment == "additive":
        return T + e, np.zeros(len(Y))
    if adjustment == "multiplicative":
        with np.errstate(divide="ignore", invalid="ignore"):
            return T * Y / fitted, np.full(len(Y), 2.0)
    beta = batch_heteroscedasticity_beta(e, fitted) if adjustment == "heteroscedastic" \
        else np.full(len(Y), float(adjustment))
    with np.errstate(divide="ignore", invalid="ignore"):
        return T + e * (T / fitted) ** (beta[:, None] / 2.0), beta


def heteroscedasticity_beta(residuals, fitted) -> float:
    """β of Var(e_t) ∝ ŷ_t^β for one series (:func:`batch_heteroscedasticity_beta` on one row).

    Harri et al. (2011), eq. (2)–(3). Needs positive trend values and non-zero residuals (a
    zero residual has no logarithm: it is reported, not dropped).
    """
    e = np.asarray(residuals, float)
    f = np.asarray(fitted, float)
    if np.any(f <= 0):
        raise ParameterError("heteroscedastic adjustment needs a positive trend ŷ_t in every year")
    if np.ptp(f) == 0:
        raise ParameterError("heteroscedastic adjustment needs a trend that changes over the years "
                             "(β is the slope of ln e² on ln ŷ); give β as a number instead")
    if np.any(e == 0):
        raise ParameterError("heteroscedastic adjustment: a residual is exactly 0, so ln e² is "
                             "undefined; give β as a number instead")
    return float(batch_heteroscedasticity_beta(e[None, :], f[None, :])[0])


def adjust_yields(trend: TrendFit, adjustment: str | float = "additive"
                  ) -> tuple[np.ndarray, float]:
    """Yields brought to the rating year's technology, ỹ_t, and the β used
    (:func:`batch_adjust` on one series).

    ``"additive"`` is β = 0, ``"multiplicative"`` β = 2, ``"heteroscedastic"`` estimates β
    (:func:`heteroscedasticity_beta`); a number is used as β.
    """
    adjustment = check_adjustment(adjustment)
    f, T = trend.fitted, trend.expected
    if adjustment != "additive" and (np.any(f <= 0) or T <= 0):
        raise ParameterError("a multiplicative or heteroscedastic adjustment needs a positive "
                             "trend in every year and in the rating year; use "
                             "adjustment='additive' or another trend")
    if adjustment == "heteroscedastic":
        heteroscedasticity_beta(trend.residuals, f)           # the checks, with their messages
    adjusted, beta = batch_adjust(trend.yields[None, :], f[None, :], np.array([T]), adjustment)
    return adjusted[0], float(beta[0])
