"""Graduation of crude mortality rates (死亡率修匀): Whittaker–Henderson and Gompertz–Makeham.

* **Whittaker–Henderson** (*standard*; Whittaker 1923, Henderson 1924; London, *Graduation:
  The Revision of Estimates*, 1985): the graduated values v minimise
  ``Σ wₓ (vₓ − uₓ)² + h Σ (Δᶻ vₓ)²`` (fit + h × roughness of order z), i.e. they solve the
  sparse linear system ``(W + h DᵀD) v = W u`` with D the z-th difference matrix. Weighted
  moments of order < z are preserved: ``Σ w xʲ v = Σ w xʲ u`` for j < z. Written by hand (a
  sparse solve with :mod:`scipy.sparse`): no field library ships it.
* **Gompertz–Makeham** (*standard*): force of mortality ``μ_y = A + B cʸ`` fitted by Poisson
  maximum likelihood to deaths D and central exposure E (deaths ~ Poisson(E μ), 中心暴露),
  with :func:`scipy.optimize.minimize`. ``makeham=False`` fixes A = 0 (Gompertz), which is a
  Poisson GLM with log link and offset log E (the tests check it against statsmodels).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import optimize, sparse, stats
from scipy.sparse.linalg import spsolve
from scipy.special import comb

from ..errors import ParameterError
from ..plots import label, new_axes


@dataclass(frozen=True)
class Graduation:
    """Crude and graduated rates by age, with the method and its parameters.

    When deaths and exposure are known, :meth:`summary` reports the standard tests of a
    graduation's adherence to data: χ² = Σ zₓ² with ``zₓ = (Dₓ − Eₓ v̂ₓ)/√(Eₓ v̂ₓ)``, the
    number of positive deviations (signs test) and the largest |z|.
    """

    ages: np.ndarray
    crude: np.ndarray
    graduated: np.ndarray
    weights: np.ndarray
    method: str
    params: dict = field(default_factory=dict)
    deaths: np.ndarray | None = None
    exposure: np.ndarray | None = None

    def to_frame(self) -> pd.DataFrame:
        """Age, crude, graduated, weight (and deaths, exposure, expected, z when known)."""
        df = pd.DataFrame({"age": self.ages, "crude": self.crude, "graduated": self.graduated,
                           "weight": self.weights})
        if self.deaths is not None and self.exposure is not None:
            expected = self.exposure * self.graduated
            df["deaths"] = self.deaths
            df["exposure"] = self.exposure
            df["expected"] = expected
            with np.errstate(divide="ignore", invalid="ignore"):
                df["z"] = np.where(expected > 0, (self.deaths - expected) / np.sqrt(expected),
                                   np.nan)
        return df

    def summary(self) -> pd.DataFrame:
        """Method, parameters and (with deaths and exposure) χ², its p-value, signs test."""
        row = {"method": self.method, **self.params, "ages": len(self.ages)}
        if self.deaths is not None and self.exposure is not None:
            z = self.to_frame()["z"].to_numpy()
            z = z[np.isfinite(z)]
            dof = max(len(z) - int(self.params.get("dof_used", 0)), 1)
            chi2 = float(np.sum(z**2))
            row.update(chi2=chi2, dof=dof, p_value=float(stats.chi2.sf(chi2, dof)),
                       positive_deviations=int(np.sum(z > 0)), max_abs_z=float(np.max(np.abs(z)))
                       if z.size else np.nan)
        return pd.DataFrame([row])

    def plot(self, ax=None, *, log: bool = True):
        """Crude rates as points and the graduated curve as a line; returns the Axes."""
        ax = new_axes(ax)
        ax.plot(self.ages, self.crude, "o", ms=3, alpha=0.6, label=label("粗死亡率", "crude"))
        ax.plot(self.ages, self.graduated, "-", label=label("修匀后", "graduated")
                + f" ({self.method})")
        if log:
            ax.set_yscale("log")
        ax.set_xlabel(label("年龄", "age"))
        ax.set_ylabel(label("死亡率", "mortality rate"))
        ax.legend()
        return ax


def whittaker_henderson(crude, weights=None, *, order: int = 2, smoothing: float = 100.0,
                        ages=None, deaths=None, exposure=None) -> Graduation:
    """Whittaker–Henderson graduation: solve ``(W + h DᵀD) v = W u`` (sparse).

    Parameters
    ----------
    crude : array
        Crude rates u by consecutive age (NaN allowed where the weight is 0).
    weights : array, optional
        Weights w ≥ 0 (commonly the exposure; or exposure / rate for Poisson variance);
        default 1.
    order : int
        z, the order of the differences in the roughness term (2 or 3 are usual).
    smoothing : float
        h ≥ 0; h = 0 returns the crude rates, h → ∞ the weighted least-squares polynomial of
        degree z − 1.
    ages, deaths, exposure : array, optional
        Kept in the result for its table and adherence tests.

    Examples
    --------
    >>> import numpy as np
    >>> from puhui.life import whittaker_henderson
    >>> g = whittaker_henderson(np.array([1.0, 3.0, 2.0, 4.0, 3.0]), order=2, smoothing=1e9)
    >>> np.round(g.graduated, 3).tolist()   # → the least-squares line
    [1.6, 2.1, 2.6, 3.1, 3.6]
    """
    u = np.asarray(crude, dtype=float).ravel()
    n = u.size
    w = np.ones(n) if weights is None else np.asarray(weights, dtype=float).ravel()
    if w.size != n:
        raise ParameterError(f"weights has {w.size} values for {n} crude rates")
    if not np.all(np.isfinite(w)) or np.any(w < 0):
        raise ParameterError("weights must be finite and ≥ 0")
    if np.any(~np.isfinite(u) & (w > 0)):
        raise ParameterError("crude rates must be finite where the weight is positive")
    order = int(order)
    if order < 1 or n <= order:
        raise ParameterError(f"order must be ≥ 1 and below the number of ages ({n}), got {order}")
    h = float(smoothing)
    if not np.isfinite(h) or h < 0:
        raise ParameterError(f"smoothing must be finite and ≥ 0, got {smoothing}")
    if np.count_nonzero(w) < order:
        raise ParameterError(f"need at least {order} ages with positive weight")
    coeffs = [(-1.0) ** (order - j) * comb(order, j) for j in range(order + 1)]
    d = sparse.diags(coeffs, offsets=list(range(order + 1)), shape=(n - order, n))
    system = (sparse.diags(w) + h * (d.T @ d)).tocsc()
    v = spsolve(system, w * np.where(w > 0, u, 0.0))
    if not np.all(np.isfinite(v)):
        raise ParameterError("the Whittaker–Henderson system is singular (too few ages with "
                             "weight for this order)")
    ages = np.arange(n) if ages is None else np.asarray(ages)
    return Graduation(ages=ages, crude=u, graduated=v, weights=w,
                      method=f"Whittaker–Henderson z={order}, h={h:g}",
                      params={"order": order, "smoothing": h},
                      deaths=None if deaths is None else np.asarray(deaths, dtype=float),
                      exposure=None if exposure is None else np.asarray(exposure, dtype=float))


class GompertzMakeham:
    """Gompertz–Makeham law ``μ_y = A + B cʸ`` fitted by Poisson maximum likelihood.

    Parameters
    ----------
    makeham : bool
        Fit the age-independent term A ≥ 0 (Makeham); False fixes A = 0 (Gompertz).
    age_offset : float
        Central exposure at age last birthday x is attributed to the force at ``x +
        age_offset`` (0.5: mid-year, the usual choice).

    Attributes
    ----------
    A_, B_, c_ : float
        Fitted parameters.
    loglik_ : float
        Poisson log-likelihood at the optimum (with the log D! constant).
    cov_ : ndarray
        Covariance of (A, ln B, ln c) (or (ln B, ln c)) from the observed information.

    Examples
    --------
    >>> import numpy as np
    >>> from puhui.life import GompertzMakeham
    >>> ages = np.arange(40, 90)
    >>> exposure = np.full(ages.size, 10_000.0)
    >>> mu = 5e-4 + 2e-5 * 1.1 ** (ages + 0.5)
    >>> deaths = np.random.default_rng(1).poisson(exposure * mu)
    >>> gm = GompertzMakeham().fit(ages, deaths, exposure)
    >>> bool(abs(gm.c_ - 1.1) < 0.01)
    True
    """

    def __init__(self, makeham: bool = True, age_offset: float = 0.5):
        self.makeham = makeham
        self.age_offset = age_offset

    def fit(self, ages, deaths, exposure) -> GompertzMakeham:
        """Fit to deaths and central exposure by age; returns ``self``."""
        ages = np.asarray(ages, dtype=float).ravel()
        dth = np.asarray(deaths, dtype=float).ravel()
        ex = np.asarray(exposure, dtype=float).ravel()
        if not (ages.size == dth.size == ex.size) or ages.size < 3:
            raise ParameterError("ages, deaths and exposure must have the same length (≥ 3)")
        if np.any(~np.isfinite(dth)) or np.any(dth < 0) or np.any(~np.isfinite(ex)) \
                or np.any(ex < 0):
            raise ParameterError("deaths and exposure must be finite and ≥ 0")
        if np.sum(dth) <= 0:
            raise ParameterError("no deaths: the law cannot be fitted")
        keep = ex > 0
        if np.any(dth[~keep] > 0):
            raise ParameterError("deaths recorded at ages with zero exposure")
        y = ages[keep] + float(self.age_offset)
        dth, ex = dth[keep], ex[keep]
        ybar = float(np.average(y, weights=dth + 1e-12))
        yc = y - ybar
        scale = float(np.sum(dth))

        # Start: Gompertz by weighted least squares on log crude rates where deaths > 0.
        pos = dth > 0
        b1, b0 = np.polyfit(yc[pos], np.log(dth[pos] / ex[pos]), 1, w=np.sqrt(dth[pos])) \
            if np.count_nonzero(pos) >= 2 else (0.08, np.log(scale / ex.sum()))

        def parts(theta):
            a, c0, c1 = (theta if self.makeham else (0.0, *theta))
            g = np.exp(c0 + c1 * yc)
            return a, g, a + g

        def negloglik(theta):
            a, g, mu = parts(theta)
            if np.any(mu <= 0):
                return np.inf, np.zeros_like(theta)
            r = dth / mu - ex
            grad = [np.sum(r * g), np.sum(r * g * yc)]
            if self.makeham:
                grad = [np.sum(r)] + grad
            ll = np.sum(dth * np.log(mu) - ex * mu)
            return -ll / scale, -np.asarray(grad) / scale

        if self.makeham:
            x0 = np.array([0.0, b0, b1])
            bounds = [(0.0, None), (None, None), (None, None)]
        else:
            x0 = np.array([b0, b1])
            bounds = None
        res = optimize.minimize(negloglik, x0, jac=True, method="L-BFGS-B", bounds=bounds,
                                options={"ftol": 1e-15, "gtol": 1e-11, "maxiter": 10_000})
        theta = res.x
        # Newton polish on the free parameters (concave for Gompertz; interior A for Makeham).
        free = np.ones(theta.size, bool)
        if self.makeham and theta[0] <= 1e-14:
            free[0] = False
        for _ in range(20):
            grad = -negloglik(theta)[1] * scale
            hess = self._hessian(theta, yc, dth, ex)
            gf, hf = grad[free], hess[np.ix_(free, free)]
            if np.any(np.linalg.eigvalsh(hf) >= 0):
                break
            step = np.linalg.solve(hf, gf)
            theta_new = theta.copy()
            theta_new[free] = theta[free] - step
            if self.makeham and theta_new[0] < 0:
                break
            theta = theta_new
            if np.max(np.abs(step)) < 1e-13:
                break
        a, c0, c1 = (theta if self.makeham else (0.0, *theta))
        self.A_ = float(a)
        self.c_ = float(np.exp(c1))
        self.B_ = float(np.exp(c0 - c1 * ybar))
        _, _, mu = parts(theta)
        self.loglik_ = float(np.sum(stats.poisson.logpmf(dth, ex * mu)))
        hess = self._hessian(theta, yc, dth, ex)
        info = -hess[np.ix_(free, free)]
        cov = np.full((theta.size, theta.size), np.nan)
        cov[np.ix_(free, free)] = np.linalg.inv(info)
        # covariance of (A, ln B, ln c): ln B = c0 − c1·ȳ is linear in (c0, c1)
        jac = np.eye(theta.size)
        jac[-2, -1] = -ybar
        self.cov_ = jac @ cov @ jac.T
        self.converged_ = bool(res.success)
        self.n_ages_ = int(y.size)
        self._data = (ages, np.asarray(deaths, float), np.asarray(exposure, float))
        return self

    @staticmethod
    def _hessian(theta, yc, dth, ex):
        makeham = theta.size == 3
        a, c0, c1 = (theta if makeham else (0.0, *theta))
        g = np.exp(c0 + c1 * yc)
        mu = a + g
        dmu = [g, g * yc]
        d2 = [[g, g * yc], [g * yc, g * yc**2]]
        if makeham:
            dmu = [np.ones_like(g)] + dmu
            zero = np.zeros_like(g)
            d2 = [[zero, zero, zero], [zero, *d2[0]], [zero, *d2[1]]]
        k = len(dmu)
        r = dth / mu - ex
        hess = np.empty((k, k))
        for p in range(k):
            for q in range(k):
                hess[p, q] = np.sum(-dth / mu**2 * dmu[p] * dmu[q] + r * d2[p][q])
        return hess

    def mu(self, y) -> np.ndarray:
        """Force of mortality ``μ_y = A + B cʸ`` at exact age y."""
        self._check_fitted()
        return self.A_ + self.B_ * self.c_ ** np.asarray(y, dtype=float)

    def qx(self, x) -> np.ndarray:
        """One-year death probability ``q_x = 1 − exp(−A − B cˣ (c − 1)/ln c)``."""
        self._check_fitted()
        x = np.asarray(x, dtype=float)
        integral = self.A_ + self.B_ * self.c_**x * (self.c_ - 1.0) / np.log(self.c_)
        return -np.expm1(-integral)

    def graduation(self) -> Graduation:
        """The fit as a :class:`Graduation` of the central rates D/E (for tests and plots)."""
        self._check_fitted()
        ages, dth, ex = self._data
        with np.errstate(divide="ignore", invalid="ignore"):
            crude = np.where(ex > 0, dth / ex, np.nan)
        return Graduation(ages=ages, crude=crude, graduated=self.mu(ages + self.age_offset),
                          weights=ex, method="Gompertz–Makeham" if self.makeham else "Gompertz",
                          params={"A": self.A_, "B": self.B_, "c": self.c_,
                                  "dof_used": 3 if self.makeham else 2},
                          deaths=dth, exposure=ex)

    def summary(self) -> pd.DataFrame:
        """Parameters with standard errors (A; ln B and ln c on the log scale)."""
        self._check_fitted()
        names = ["A", "ln B", "ln c"] if self.makeham else ["ln B", "ln c"]
        est = ([self.A_] if self.makeham else []) + [np.log(self.B_), np.log(self.c_)]
        se = np.sqrt(np.diag(self.cov_))
        return pd.DataFrame({"parameter": names, "estimate": est, "std_error": se})

    def plot(self, ax=None):
        """Crude central rates and the fitted μ on a log scale; returns the Axes."""
        return self.graduation().plot(ax=ax)

    def _check_fitted(self):
        if not hasattr(self, "A_"):
            raise ParameterError("call fit() first")
