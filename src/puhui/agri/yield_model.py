"""`YieldModel`: trend, adjustment and density of one region × crop yield series (单产模型).

The premium rate (纯风险损失率) of yield cover at coverage level θ (保障水平) is

    τ(θ) = E[min((θ·μ − Y)₊, θ·μ)] / (θ·μ),

with μ the trend yield of the rating year and Y the yield law fitted to the detrended history
(see :mod:`puhui.agri.trend` and :mod:`puhui.agri.density`).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from ..errors import ParameterError
from . import density as dens
from .trend import adjust_yields, check_adjustment, check_method, fit_trend


def check_coverage(coverage_level) -> np.ndarray:
    """Coverage levels θ as an array, each in (0, 1.5] (保障水平; 0.7 = 70% of expected yield)."""
    theta = np.asarray(coverage_level, dtype=float)
    if theta.size == 0 or not np.all(np.isfinite(theta)) or np.any(theta <= 0) \
            or np.any(theta > 1.5):
        raise ParameterError(f"coverage_level must be in (0, 1.5], got {coverage_level!r}")
    return theta


class YieldModel:
    """Yield model for crop-yield insurance rating (产量保险费率厘定).

    Parameters
    ----------
    detrend : {"linear", "quadratic", "robust", "loess", "none"}
        Trend of the yield history (robust = Huber M-estimator, loess = LOWESS).
    adjustment : {"additive", "multiplicative", "heteroscedastic"} or float
        How past yields are brought to the rating year (a number is the exponent β of
        Var(e_t) ∝ ŷ_t^β; "heteroscedastic" estimates it).
    density : {"empirical", "kde", "beta", "weibull", "lognormal"}
        Law of the adjusted yields.
    bandwidth : {"silverman", "scott", "cv"} or float
        Kernel bandwidth rule (``density="kde"``), or h itself in yield units.
    rating_year : int, optional
        Year rated; by default the last year of the history + 1.
    frac : float
        LOWESS span for ``detrend="loess"``.

    Attributes
    ----------
    trend_ : TrendFit
    expected_yield_ : float
        μ = ŷ_T, expected yield in the rating year (预期单产).
    adjusted_yields_ : ndarray
        ỹ_t, the history at the rating year's technology.
    beta_ : float
        Heteroscedasticity exponent used (0 additive, 2 multiplicative).
    bandwidth_ : float or None
        Kernel bandwidth h (kde only).
    dist_ : frozen scipy distribution or None
        Fitted parametric law (beta / weibull / lognormal only).

    Examples
    --------
    >>> years = np.arange(2000, 2020)
    >>> y = 400 + 5 * (years - 2000) + 30 * np.sin(years)
    >>> m = YieldModel(detrend="linear", density="empirical").fit(years, y)
    >>> 0 <= m.premium_rate(0.8) <= m.premium_rate(0.9) <= 1
    True
    """

    def __init__(self, detrend="linear", adjustment="additive", density="kde",
                 bandwidth="silverman", rating_year=None, frac=2.0 / 3.0):
        self.detrend = detrend
        self.adjustment = adjustment
        self.density = density
        self.bandwidth = bandwidth
        self.rating_year = rating_year
        self.frac = frac

    def fit(self, years, yields) -> YieldModel:
        """Fit trend, adjustment and density to a yield history; returns self."""
        check_method(self.detrend)
        check_adjustment(self.adjustment)
        dens.check_density(self.density)
        self.trend_ = fit_trend(years, yields, self.detrend, rating_year=self.rating_year,
                                frac=self.frac)
        self.expected_yield_ = self.trend_.expected
        if not self.expected_yield_ > 0:
            raise ParameterError(f"the trend gives an expected yield of {self.expected_yield_:g} "
                                 "in the rating year; choose another trend or rating year")
        self.adjusted_yields_, self.beta_ = adjust_yields(self.trend_, self.adjustment)
        self.bandwidth_, self.dist_ = None, None
        if self.density == "kde":
            self.bandwidth_ = dens.kde_bandwidth(self.adjusted_yields_, self.bandwidth)
        elif self.density in dens.PARAMETRIC:
            self.dist_ = dens.fit_parametric(self.adjusted_yields_, self.density)
        return self

    def _check_fitted(self):
        if not hasattr(self, "trend_"):
            raise ParameterError("the YieldModel is not fitted: call fit(years, yields) first")

    def expected_shortfall(self, guarantee) -> np.ndarray:
        """E[min((c − Y)₊, c)] at guarantee yields ``c`` (yield units per unit area)."""
        self._check_fitted()
        c = np.asarray(guarantee, float)
        if np.any(c <= 0):
            raise ParameterError("the guarantee yield must be positive")
        y = self.adjusted_yields_
        if self.density == "empirical":
            return dens.empirical_layer(c[..., None], y)
        if self.density == "kde":
            return dens.kde_layer(c[..., None], y, self.bandwidth_)
        return dens.parametric_layer(c, self.dist_)

    def premium_rate(self, coverage_level) -> np.ndarray | float:
        """Pure premium rate τ(θ) = E[min((θμ − Y)₊, θμ)] / (θμ), vectorised over θ."""
        self._check_fitted()
        theta = check_coverage(coverage_level)
        c = theta * self.expected_yield_
        rate = self.expected_shortfall(c) / c
        return float(rate) if rate.ndim == 0 else rate

    def expected_indemnity(self, coverage_level, price: float = 1.0):
        """Expected indemnity per unit area in money: price × E[min((θμ − Y)₊, θμ)]."""
        theta = check_coverage(coverage_level)
        return price * self.expected_shortfall(theta * self.expected_yield_)

    def pdf(self, y):
        """Density of the fitted yield law (not defined for ``density="empirical"``)."""
        self._check_fitted()
        if self.density == "kde":
            return dens.kde_pdf(y, self.adjusted_yields_, self.bandwidth_)
        if self.dist_ is not None:
            return self.dist_.pdf(y)
        raise ParameterError("the empirical law has no density; use cdf()")

    def cdf(self, y):
        """Distribution function of the fitted yield law."""
        self._check_fitted()
        y = np.asarray(y, float)
        if self.density == "kde":
            return dens.kde_cdf(y, self.adjusted_yields_, self.bandwidth_)
        if self.dist_ is not None:
            return self.dist_.cdf(y)
        return (self.adjusted_yields_ <= y[..., None]).mean(axis=-1)

    def summary(self, coverage_levels=(0.7, 0.8, 0.9)) -> pd.DataFrame:
        """One row per coverage level: expected yield, guarantee and premium rate."""
        theta = check_coverage(coverage_levels).ravel()
        return pd.DataFrame({
            "detrend": self.detrend, "adjustment": str(self.adjustment),
            "density": self.density, "rating_year": self.trend_.rating_year,
            "n_years": self.trend_.years.size, "expected_yield": self.expected_yield_,
            "coverage": theta, "guarantee": theta * self.expected_yield_,
            "premium_rate": np.atleast_1d(self.premium_rate(theta)),
        })

    def compare_densities(self, coverage_levels=(0.7, 0.8, 0.9),
                          densities=dens.DENSITIES) -> pd.DataFrame:
        """Fit every density to the same adjusted yields and compare them.

        Columns: log-likelihood (in sample), k (parameters), AIC, BIC, leave-one-out
        log-likelihood (comparable between kernel and parametric laws: each point is scored by
        the law fitted without it), Kolmogorov–Smirnov statistic and p-value (scipy ``kstest``;
        the p-value ignores that parameters were estimated, so it is optimistic), and the rate
        at each coverage level.
        """
        self._check_fitted()
        y = self.adjusted_yields_
        n = y.size
        rows = []
        for name in densities:
            m = YieldModel(self.detrend, self.adjustment, name, self.bandwidth,
                           self.rating_year, self.frac)
            try:
                m.fit(self.trend_.years, self.trend_.yields)
            except ParameterError as err:
                rows.append({"density": name, "note": str(err)})
                continue
            row = {"density": name, "note": ""}
            if name == "empirical":
                row.update(loglik=np.nan, k=np.nan, aic=np.nan, bic=np.nan, loo_loglik=np.nan,
                           ks=np.nan, ks_pvalue=np.nan)
            else:
                if name == "kde":
                    ll, k = float(np.log(m.pdf(y)).sum()), np.nan
                    loo = float(dens.loo_loglik(np.array([m.bandwidth_]), y[None, :])[0])
                else:
                    ll, k = float(m.dist_.logpdf(y).sum()), 2
                    loo = float(sum(dens.fit_parametric(np.delete(y, i), name).logpdf(y[i])
                                    for i in range(n)))
                ks = stats.kstest(y, m.cdf)
                row.update(loglik=ll, k=k, aic=2 * k - 2 * ll, bic=k * np.log(n) - 2 * ll,
                           loo_loglik=loo, ks=float(ks.statistic), ks_pvalue=float(ks.pvalue))
            for t, r in zip(np.ravel(coverage_levels),
                            np.atleast_1d(m.premium_rate(coverage_levels)), strict=True):
                row[f"rate_{t:g}"] = float(r)
            rows.append(row)
        return pd.DataFrame(rows)

    def plot(self, ax=None, coverage_levels=(0.7, 0.8, 0.9)):
        """Histogram of the adjusted yields, the fitted density and the guarantees; returns ax."""
        from ..plots import label, new_axes

        self._check_fitted()
        ax = new_axes(ax)
        y = self.adjusted_yields_
        ax.hist(y, bins="auto", density=True, alpha=0.4, color="grey",
                label=label("调整后单产", "adjusted yields"))
        if self.density != "empirical":
            grid = np.linspace(min(y.min(), 0.5 * y.mean()), y.max() * 1.15, 400)
            ax.plot(grid, self.pdf(grid), label=label("拟合分布", "fitted") + f" ({self.density})")
        for t in np.ravel(coverage_levels):
            ax.axvline(t * self.expected_yield_, ls="--", lw=0.8, color="C3")
        ax.axvline(self.expected_yield_, color="k", lw=1, label=label("预期单产", "expected yield"))
        ax.set_xlabel(label("单产", "yield"))
        ax.set_ylabel(label("密度", "density"))
        ax.legend()
        return ax
