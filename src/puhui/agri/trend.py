"""Yield trends and detrending (产量趋势与去趋势) for one region × crop series.

Yields grow with technology, so the raw history understates the yield a farmer expects today.
A trend ŷ_t is fitted to the history, its value ŷ_T in the rating year T is the **expected
yield** (预期单产, APH-like), and each past yield is brought to the technology of year T:

* additive        ỹ_t = ŷ_T + (y_t − ŷ_t)
* multiplicative  ỹ_t = ŷ_T · y_t / ŷ_t
* heteroscedastic ỹ_t = ŷ_T + (y_t − ŷ_t)·(ŷ_T / ŷ_t)^(β/2), with Var(e_t) ∝ ŷ_t^β
  (Harri, Coble, Ker & Goodwin 2011, *Relaxing heteroscedasticity assumptions in area-yield
  crop insurance rating*, AJAE 93(3)); β = 0 is additive, β = 2 multiplicative; β is estimated
  by least squares of ln e_t² on ln ŷ_t, or given as a number.

Trends use the field libraries: ordinary least squares (statsmodels ``OLS``) for ``"none"``
(a constant), ``"linear"`` and ``"quadratic"``; the Huber M-estimator (statsmodels ``RLM`` with
``HuberT``, MAD scale) for ``"robust"``; LOWESS (statsmodels ``lowess``, local linear,
3 robustness iterations) for ``"loess"``, whose rating-year value is the local linear fit at T.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..errors import ParameterError

#: Trend methods and the number of parameters of their polynomial (loess is non-parametric).
TREND_METHODS = {"none": 1, "linear": 2, "quadratic": 3, "robust": 2, "loess": 2}
ADJUSTMENTS = ("additive", "multiplicative", "heteroscedastic")

#: Years are centred on this origin and scaled by this span before fitting polynomials, so the
#: normal equations stay well conditioned (the fitted values do not depend on the choice).
_SPAN = 10.0


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


def design(years, rating_year: float, degree: int) -> np.ndarray:
    """Polynomial design matrix in s = (year − T)/10: columns 1, s, s², … (degree + 1)."""
    s = (np.asarray(years, dtype=float) - rating_year) / _SPAN
    return np.vander(s, degree + 1, increasing=True)


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


def fit_trend(years, yields, method: str = "linear", *, rating_year: float | None = None,
              frac: float = 2.0 / 3.0) -> TrendFit:
    """Fit a yield trend and return its value in the rating year.

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
    import statsmodels.api as sm

    method = check_method(method)
    years, yields = check_series(years, yields)
    if years.size < min_years(method):
        raise ParameterError(f"detrend={method!r} needs at least {min_years(method)} years, "
                             f"got {years.size}")
    T = float(years[-1] + 1 if rating_year is None else rating_year)
    if method == "loess":
        if not 0 < frac <= 1:
            raise ParameterError(f"frac must be in (0, 1], got {frac}")
        lowess = sm.nonparametric.lowess
        fitted = lowess(yields, years, frac=frac, it=3, return_sorted=False)
        expected = float(lowess(yields, years, frac=frac, it=3, xvals=np.array([T]))[0])
        return TrendFit(method, years, yields, np.asarray(fitted, float), T, expected,
                        np.empty(0))
    degree = TREND_METHODS[method] - 1
    X = design(years, T, degree)
    if method == "robust":
        res = sm.RLM(yields, X, M=sm.robust.norms.HuberT()).fit()
    else:
        res = sm.OLS(yields, X).fit()
    params = np.asarray(res.params, dtype=float)
    return TrendFit(method, years, yields, X @ params, T, float(params[0]), params)


def heteroscedasticity_beta(residuals, fitted) -> float:
    """β of Var(e_t) ∝ ŷ_t^β: slope of the least-squares line of ln e_t² on ln ŷ_t.

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
    slope, _ = np.polyfit(np.log(f), np.log(e * e), 1)
    return float(slope)


def adjust_yields(trend: TrendFit, adjustment: str | float = "additive"
                  ) -> tuple[np.ndarray, float]:
    """Yields brought to the rating year's technology, ỹ_t, and the β used.

    ``"additive"`` is β = 0, ``"multiplicative"`` β = 2, ``"heteroscedastic"`` estimates β
    (:func:`heteroscedasticity_beta`); a number is used as β.
    """
    adjustment = check_adjustment(adjustment)
    e, f, T = trend.residuals, trend.fitted, trend.expected
    if adjustment == "additive":
        return T + e, 0.0
    if np.any(f <= 0) or T <= 0:
        raise ParameterError("a multiplicative or heteroscedastic adjustment needs a positive "
                             "trend in every year and in the rating year; use "
                             "adjustment='additive' or another trend")
    if adjustment == "multiplicative":
        return T * trend.yields / f, 2.0
    beta = heteroscedasticity_beta(e, f) if adjustment == "heteroscedastic" else adjustment
    return T + e * (T / f) ** (beta / 2.0), float(beta)
