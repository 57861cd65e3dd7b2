"""`YieldModel`: trend, adjustment and density of one region × crop yield series (单产模型).

The premium rate (纯风险损失率) of yield cover at coverage level θ (保障水平) is

    τ(θ) = E[min((θ·μ − Y)₊, θ·μ)] / (θ·μ),

with μ the trend yield of the rating year and Y the yield law fitted to the detrended history
(see :mod:`puhui.agri.trend` and :mod:`puhui.agri.density`).

The shortfall below a guarantee is a loss model of the loss core (:class:`YieldShortfall`,
from :meth:`YieldModel.shortfall`), so crop covers price with
``puhui.losses.expected_payout(cover.loss_model(model), cover.layer())``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from ..errors import ParameterError
from . import density as dens
from .farm import check_farm, farm_bandwidth
from .trend import adjust_yields, check_adjustment, check_method, fit_trend


def check_coverage(coverage_level) -> np.ndarray:
    """Coverage levels θ as an array, each in (0, 1.5] (保障水平; 0.7 = 70% of expected yield)."""
    theta = np.asarray(coverage_level, dtype=float)
    if theta.size == 0 or not np.all(np.isfinite(theta)) or np.any(theta <= 0) \
            or np.any(theta > 1.5):
        raise ParameterError(f"coverage_level must be in (0, 1.5], got {coverage_level!r}")
    return theta


#: Composite Gauss–Legendre rule of YieldShortfall.lev_moment (k ≠ 1): panels × nodes.
_GL_PANELS, _GL_NODES = 8, 16


class YieldShortfall:
    """Loss model of the shortfall below a guarantee (产量缺口): X = s · (g − Y⁺)₊.

    Y is the yield law of a fitted :class:`YieldModel` (Y⁺ = max(Y, 0): a kernel density that
    reaches below zero counts as a zero yield), g the guarantee yield (保障产量, kg/亩) and s the
    money per kg of shortfall (元/kg; s = 1 keeps X in kg). X lies in [0, s·g], with an atom
    P(Y ≥ g) at 0. It meets :class:`puhui.losses.LossModel`:

    * ``lev(u) = E[min(X, u)] = s · (G(g) − G(g − min(g, u/s)))``, with
      G(t) = E[(t − Y⁺)₊] = :meth:`YieldModel.expected_shortfall` (G(t) = 0 for t ≤ 0), because
      min(s(g − Y⁺)₊, u) = s[(g − Y⁺)₊ − (g − u/s − Y⁺)₊]; for u ≥ s·g it is the mean s·G(g);
    * ``sf(x) = P(Y⁺ < g − x/s)`` for 0 ≤ x < s·g (1 below 0, 0 from s·g on), ``cdf = 1 − sf``;
    * ``lev_moment(u, k)``: exact sample mean for the empirical law; otherwise
      E[min(X, u)^k] = ∫_0^v k x^(k−1) sf(x) dx, v = min(u, s·g), by composite Gauss–Legendre
      (8 × 16 nodes; for k < 1 in w = x^k, ∫_0^{v^k} sf(w^{1/k}) dw, a bounded integrand).

    ``g`` and ``s`` may be arrays; they broadcast elementwise with ``u`` (as scipy parameters).

    Examples
    --------
    >>> years = np.arange(2000, 2010)
    >>> m = YieldModel("none", density="empirical").fit(years, [300.0, 500.0] * 5)
    >>> x = m.shortfall(400.0, price=2.0)         # X = 2·(400 − Y)₊: 200 or 0, equally likely
    >>> float(x.mean()), float(x.lev(150.0)), float(x.sf(100.0))
    (100.0, 75.0, 0.5)
    """

    def __init__(self, model: YieldModel, guarantee, price=1.0):
        model._check_fitted()
        g = np.asarray(guarantee, float)
        s = np.asarray(price, float)
        if g.size == 0 or not np.all(np.isfinite(g)) or np.any(g <= 0):
            raise ParameterError("the guarantee yield must be positive")
        if s.size == 0 or not np.all(np.isfinite(s)) or np.any(s <= 0):
            raise ParameterError(f"price must be positive and finite, got {price!r}")
        self.model, self.guarantee, self.price = model, g, s

    def __repr__(self) -> str:
        return (f"YieldShortfall(guarantee={self.guarantee}, price={self.price}, "
                f"density={self.model.density!r})")

    @property
    def max_loss(self):
        """s·g, the loss of a zero yield (the top of the support)."""
        return self.price * self.guarantee

    def _G(self, t):
        """G(t) = E[(t − Y⁺)₊], 0 for t ≤ 0."""
        t = np.asarray(t, float)
        return np.where(t > 0, self.model.expected_shortfall(np.maximum(t, 1e-300)), 0.0)

    def _below(self, t):
        """P(Y⁺ < t) for t > 0 (= P(Y < t)); 0 for t ≤ 0."""
        t = np.asarray(t, float)
        m = self.model
        if m.law_ == "empirical":
            p = (m.adjusted_yields_ < t[..., None]).mean(axis=-1)
        else:
            p = m.cdf(t)
        return np.where(t > 0, p, 0.0)

    def mean(self):
        """E[X] = s·G(g)."""
        out = self.price * self.model.expected_shortfall(self.guarantee)
        return out[()] if np.ndim(out) == 0 else out

    def lev(self, u):
        """E[min(X, u)] (module formula), vectorised over u."""
        u = np.asarray(u, float)
        g, s = self.guarantee, self.price
        with np.errstate(invalid="ignore"):
            top = self.model.expected_shortfall(np.broadcast_to(g, np.broadcast_shapes(
                g.shape, s.shape)))
            inside = s * (top - self._G(g - np.minimum(g, u / s)))
            out = np.where(u >= s * g, s * top, inside)
        out = np.where(u > 0, out, 0.0)
        return np.where(np.isnan(u), np.nan, out)[()]

    def lev_moment(self, u, k: float = 2):
        """E[min(X, u)^k], k > 0 (exact for the empirical law, Gauss–Legendre otherwise)."""
        from ..losses.lev import _check_k

        k = _check_k(k)
        if k == 1:
            return self.lev(u)
        u = np.asarray(u, float)
        g, s = self.guarantee, self.price
        m = self.model
        if m.law_ == "empirical":
            x = s[..., None] * np.maximum(g[..., None] - np.maximum(m.adjusted_yields_, 0.0),
                                          0.0)
            out = (np.minimum(x, np.maximum(u, 0.0)[..., None]) ** k).mean(axis=-1)
        else:
            v = np.minimum(np.maximum(u, 0.0), s * g)
            nodes, weights = np.polynomial.legendre.leggauss(_GL_NODES)
            edges = np.linspace(0.0, 1.0, _GL_PANELS + 1)
            half = 0.5 * (edges[1] - edges[0])
            t = (edges[:-1, None] + half * (nodes[None, :] + 1.0)).ravel()   # in (0, 1)
            w = np.tile(weights, _GL_PANELS) * half
            if k >= 1:      # ∫_0^v k x^(k−1) sf(x) dx, a smooth integrand
                x = v[..., None] * t
                sf = self._below(g[..., None] - x / s[..., None])
                out = v * (k * x ** (k - 1.0) * sf * w).sum(axis=-1)
            else:           # ∫_0^{v^k} sf(w^{1/k}) dw: bounded where x^(k−1) is not
                top = v**k
                x = (top[..., None] * t) ** (1.0 / k)
                sf = self._below(g[..., None] - x / s[..., None])
                out = top * (sf * w).sum(axis=-1)
        out = np.where(u > 0, out, 0.0)
        return np.where(np.isnan(u), np.nan, out)[()]

    def sf(self, x):
        """P(X > x)."""
        x = np.asarray(x, float)
        g, s = self.guarantee, self.price
        with np.errstate(invalid="ignore"):
            out = np.where(x < 0, 1.0, self._below(g - np.maximum(x, 0.0) / s))
        return np.where(np.isnan(x), np.nan, out)[()]

    def cdf(self, x):
        """P(X ≤ x) = 1 − sf(x)."""
        return (1.0 - np.asarray(self.sf(x)))[()]


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
    farm : None, float ≥ 1 or FarmAdjustment
        County → farm adjustment (:mod:`puhui.agri.farm`): with k, the law is the county's
        plus independent farm noise, sd(farm) = k · sd(county) — the Gaussian kernel on the
        adjusted yields with bandwidth :func:`~puhui.agri.farm.farm_bandwidth` (empirical or
        kde density only). None (default): the county law, unchanged.

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
    law_ : str
        The law the rates use: ``density``, or "kde" under a county → farm adjustment.
    assumptions_ : dict
        What the rates assume beyond the data (the county → farm adjustment, if any).

    Examples
    --------
    >>> years = np.arange(2000, 2020)
    >>> y = 400 + 5 * (years - 2000) + 30 * np.sin(years)
    >>> m = YieldModel(detrend="linear", density="empirical").fit(years, y)
    >>> 0 <= m.premium_rate(0.8) <= m.premium_rate(0.9) <= 1
    True
    """

    def __init__(self, detrend="linear", adjustment="additive", density="kde",
                 bandwidth="silverman", rating_year=None, frac=2.0 / 3.0, farm=None):
        self.detrend = detrend
        self.adjustment = adjustment
        self.density = density
        self.bandwidth = bandwidth
        self.rating_year = rating_year
        self.frac = frac
        self.farm = farm

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
        self.law_ = self.density
        self.farm_ = check_farm(self.farm)
        self.assumptions_ = {"county_to_farm": "none (county yields)"}
        if self.farm_ is not None:
            if self.density not in ("empirical", "kde"):
                raise ParameterError(f"the county → farm adjustment needs density='empirical' or "
                                     f"'kde' (a kernel law), not {self.density!r}")
            if isinstance(self.farm_.ratio, dict):
                raise ParameterError("a YieldModel rates one series: give one k (farm=1.3), "
                                     "not a crop → k mapping")
            h = farm_bandwidth(self.adjusted_yields_, self.farm_.ratio_for(), self.bandwidth_)
            if h > 0:
                self.county_bandwidth_, self.bandwidth_ = self.bandwidth_, float(h)
                self.law_ = "kde"
            self.assumptions_["county_to_farm"] = self.farm_.describe()
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
        if self.law_ == "empirical":
            return dens.empirical_layer(c[..., None], y)
        if self.law_ == "kde":
            return dens.kde_layer(c[..., None], y, self.bandwidth_)
        return dens.parametric_layer(c, self.dist_)

    def shortfall(self, guarantee, price=1.0) -> YieldShortfall:
        """The loss model of X = price · (guarantee − Y⁺)₊ (a :class:`YieldShortfall`).

        ``guarantee`` in yield units (kg/亩), ``price`` in 元/kg (1: X in kg). Its mean is the
        expected indemnity of yield cover; any loss-core function prices a layer of it.
        """
        return YieldShortfall(self, guarantee, price)

    def premium_rate(self, coverage_level) -> np.ndarray | float:
        """Pure premium rate τ(θ) = E[min((θμ − Y)₊, θμ)] / (θμ), vectorised over θ.

        The mean of the shortfall loss model at g = θμ, divided by g.
        """
        self._check_fitted()
        theta = check_coverage(coverage_level)
        c = theta * self.expected_yield_
        rate = np.asarray(self.shortfall(c).mean()) / c
        return float(rate) if rate.ndim == 0 else rate

    def expected_indemnity(self, coverage_level, price: float = 1.0):
        """Expected indemnity per unit area in money: price × E[min((θμ − Y)₊, θμ)]."""
        theta = check_coverage(coverage_level)
        return self.shortfall(theta * self.expected_yield_, price).mean()

    def pdf(self, y):
        """Density of the fitted yield law (not defined for ``density="empirical"``)."""
        self._check_fitted()
        if self.law_ == "kde":
            return dens.kde_pdf(y, self.adjusted_yields_, self.bandwidth_)
        if self.dist_ is not None:
            return self.dist_.pdf(y)
        raise ParameterError("the empirical law has no density; use cdf()")

    def cdf(self, y):
        """Distribution function of the fitted yield law."""
        self._check_fitted()
        y = np.asarray(y, float)
        if self.law_ == "kde":
            return dens.kde_cdf(y, self.adjusted_yields_, self.bandwidth_)
        if self.dist_ is not None:
            return self.dist_.cdf(y)
        return (self.adjusted_yields_ <= y[..., None]).mean(axis=-1)

    def summary(self, coverage_levels=(0.7, 0.8, 0.9)) -> pd.DataFrame:
        """One row per coverage level: expected yield, guarantee and premium rate."""
        theta = check_coverage(coverage_levels).ravel()
        out = pd.DataFrame({
            "detrend": self.detrend, "adjustment": str(self.adjustment),
            "density": self.density, "rating_year": self.trend_.rating_year,
            "n_years": self.trend_.years.size, "expected_yield": self.expected_yield_,
            "coverage": theta, "guarantee": theta * self.expected_yield_,
            "premium_rate": np.atleast_1d(self.premium_rate(theta)),
        })
        if self.farm_ is not None:
            out["farm_ratio"] = self.farm_.ratio_for()
        out.attrs["assumptions"] = dict(self.assumptions_)
        return out

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
        if self.law_ != "empirical":
            grid = np.linspace(min(y.min(), 0.5 * y.mean()), y.max() * 1.15, 400)
            ax.plot(grid, self.pdf(grid), label=label("拟合分布", "fitted") + f" ({self.density})")
        for t in np.ravel(coverage_levels):
            ax.axvline(t * self.expected_yield_, ls="--", lw=0.8, color="C3")
        ax.axvline(self.expected_yield_, color="k", lw=1, label=label("预期单产", "expected yield"))
        ax.set_xlabel(label("单产", "yield"))
        ax.set_ylabel(label("密度", "density"))
        ax.legend()
        return ax
