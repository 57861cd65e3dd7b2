"""Maximum-likelihood severity fitting with deductibles (left truncation) and limits (right
censoring).

Claims data from inclusive insurance are seldom complete: a loss under the 起付线 / 免赔额
(deductible d) is never reported, and a loss above the 封顶线 (limit u) is recorded only as
"at least u". :class:`SeverityFitter` maximises

    ℓ(θ) = Σ_i w_i [ (1−δ_i) log f(x_i; θ) + δ_i log S(x_i; θ) − log S(d_i; θ) ]

(Klugman, Panjer & Willmot, *Loss Models*, §13.2), per observation, so mixed deductibles and
limits in one portfolio are handled, for the families of :mod:`puhui.losses.fit_families`
(exponential, gamma, lognormal, Weibull, Pareto II / Lomax, generalized Pareto, log-logistic,
Burr XII), location fixed at 0. ``x`` holds ground-up losses (payment + deductible); for a
censored row ``x`` is the limit as a ground-up amount.

Method (written here because scipy's ``rv_continuous.fit`` handles censoring but not
truncation): the losses are divided by their geometric mean, the log-likelihood (each family's
log-density and log-survival formulas in numpy, equal to scipy's ``logpdf`` / ``logsf``) is
maximised with BFGS over log-parameters (central-difference gradient, its 2k points in one
vectorised pass) from several moment- and quantile-matching starting points, the best
optimum is polished by Newton steps, and standard errors come from the observed information
(numerical Hessian by ``statsmodels.tools.numdiff.approx_hess3``) carried to the natural
parameters by the delta method.

Example
-------
>>> import numpy as np
>>> rng = np.random.default_rng(1)
>>> x = rng.lognormal(mean=8.0, sigma=1.2, size=2000)
>>> kept = x > 2000.0  # deductible 2,000 yuan: smaller losses are never reported
>>> f = SeverityFitter("lognorm").fit(x[kept], truncation=2000.0)
>>> bool(abs(np.log(f.params_["scale"]) - 8.0) < 4 * f.se_["scale"] / f.params_["scale"])
True
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
from scipy import optimize
from statsmodels.tools.numdiff import approx_fprime, approx_hess3

from puhui.errors import ParameterError
from puhui.losses.fit_families import DataSummary, Family, get_family
from puhui.losses.fit_likelihood import GroupedData, SeverityData, as_severity_data

__all__ = ["SeverityFitter", "fit_severity", "ConvergenceWarning"]


class ConvergenceWarning(UserWarning):
    """The optimiser stopped away from a clean maximum (gradient not ≈ 0 or the observed
    information not positive definite); estimates are the best found, standard errors may be
    NaN."""


class SeverityFitter:
    """Fit a severity law by maximum likelihood with truncation and censoring (scikit-learn
    style: the constructor stores its arguments, :meth:`fit` learns and returns ``self``).

    Parameters
    ----------
    family : str, default "lognorm"
        A scipy name (``expon``, ``gamma``, ``lognorm``, ``weibull_min``, ``lomax``,
        ``genpareto``, ``fisk``, ``burr12``) or an alias (``exponential``, ``lognormal``,
        ``weibull``, ``pareto``, ``gpd``, ``loglogistic``, ``burr``).
    fixed : dict, optional
        Parameters held at given values (scipy names, e.g. ``{"c": 2.0}`` for a Weibull with
        τ = 2, ``{"scale": 150.0}`` for a Pareto with θ = 150, in yuan); the rest are estimated.

    Attributes
    ----------
    family_ : str
        Canonical scipy name of the family.
    params_ : dict
        All parameters (shapes then ``scale``, scale in yuan), fixed ones included.
    se_ : dict
        Standard errors from the observed information; NaN for fixed parameters.
    cov_ : pandas.DataFrame
        Covariance matrix of the estimated parameters.
    dist_ : scipy frozen distribution
        The fitted ground-up law (``loc=0``), usable with ``puhui.losses.lev.lev(dist_, u)``.
    loglik_, aic_, bic_ : float
        Maximised log-likelihood, ``2k − 2ℓ`` and ``k log n − 2ℓ``.
    k_ : int
        Number of estimated parameters.
    fixed_ : dict
        The parameters that were held fixed (validated copy of ``fixed``).
    n_, n_censored_ : float
        Number of observations (sum of weights) and of censored ones.
    converged_ : bool
        Gradient ≈ 0, observed information positive definite at the optimum, no standard
        error above 1,000 × its estimate (which marks a likelihood rising along a ridge to the
        edge of the parameter space, e.g. a Pareto on a light-tailed sample), and no parameter
        at the edge of the search box (beyond e^±19 in units of the geometric-mean loss, e.g. a
        gamma shape running to 0 on a heavy-tailed truncated sample: no finite maximum).
    data_ : SeverityData
        The validated data (used by the goodness-of-fit statistics and plots).

    Examples
    --------
    >>> f = SeverityFitter("expon").fit([600.0, 700.0, 900.0], truncation=500.0)
    >>> round(f.params_["scale"], 4)  # SOA Exam C sample question: θ̂ = 700/3
    233.3333
    """

    def __init__(self, family: str = "lognorm", *, fixed: dict | None = None):
        self.family = family
        self.fixed = fixed

    # ------------------------------------------------------------------ fitting
    def fit(self, x, truncation=None, censored=None, weights=None) -> SeverityFitter:
        """Fit to ground-up losses ``x`` (yuan).

        Parameters
        ----------
        x : array-like
            Ground-up losses > 0; for a censored row, the limit (ground-up amount) it reached.
        truncation : float or array-like, optional
            Deductible (起付线 / 免赔额) per loss: losses at or below it are never reported.
        censored : array-like of bool, optional
            True where the loss is only known to be ≥ x (it hit the 封顶线).
        weights : array-like, optional
            Frequency weights ≥ 0.
        """
        fam = get_family(self.family)
        fixed = _check_fixed(fam, self.fixed)
        data = as_severity_data(x, truncation, censored, weights)
        problem = _Problem(fam, fixed, data)
        z, hess_norm = problem.maximise()

        self.family_ = fam.name
        self.fixed_ = dict(fixed)
        self.data_ = data
        self.params_ = problem.natural(z)
        self.dist_ = fam.rv(**self.params_)
        self.loglik_ = GroupedData(data).loglik(self.dist_.logpdf, self.dist_.logsf)
        self.k_ = len(problem.free)
        self.n_ = data.n
        self.n_censored_ = data.n_censored
        self.aic_ = 2.0 * self.k_ - 2.0 * self.loglik_
        self.bic_ = self.k_ * np.log(self.n_) - 2.0 * self.loglik_

        cov = _covariance(hess_norm * problem.grouped.total_w, problem.jacobian(z))
        grad = np.ravel(approx_fprime(z, problem.objective, centered=True))
        se = dict(zip(problem.free, np.sqrt(np.diag(cov)), strict=True))
        # a likelihood that is flat along a ridge to the edge of the parameter space (e.g. a
        # Pareto fitted to a light tail: α, θ → ∞ with θ/α fixed, the exponential limit) has no
        # finite maximum; the optimiser stops somewhere on the ridge, where the standard errors
        # are orders of magnitude above the estimates. That is not a converged fit.
        rel_se = max((se[p] / abs(self.params_[p]) for p in problem.free
                      if np.isfinite(se[p]) and self.params_[p] != 0), default=0.0)
        on_ridge = rel_se > _RIDGE_REL_SE
        # the same limit seen from the parameters: one of them ran to the edge of the box
        at_edge = bool(np.max(np.abs(z)) > _Z_BOUND - 1.0)
        self.converged_ = bool(np.isfinite(cov).all() and np.max(np.abs(grad)) < 1e-5
                               and not on_ridge and not at_edge)
        if not self.converged_:
            warnings.warn(f"{fam.name}: the optimiser did not reach a clean maximum "
                          f"(max |gradient| {np.max(np.abs(grad)):.2g}, information positive "
                          f"definite: {np.isfinite(cov).all()}, largest standard error / "
                          f"estimate {rel_se:.2g}, a parameter at the edge of the search "
                          f"box: {at_edge}); estimates are the best found",
                          ConvergenceWarning, stacklevel=2)
        self.cov_ = pd.DataFrame(cov, index=problem.free, columns=problem.free)
        self.se_ = {name: float(se.get(name, np.nan)) for name in fam.param_names}
        return self

    # ------------------------------------------------------------------ results
    def summary(self) -> pd.DataFrame:
        """Parameters with standard errors; fit statistics in ``.attrs``."""
        self._check_fitted()
        fixed = self.fixed_
        table = pd.DataFrame(
            {
                "estimate": [self.params_[p] for p in self.params_],
                "std_error": [self.se_[p] for p in self.params_],
                "fixed": [p in fixed for p in self.params_],
            },
            index=pd.Index(list(self.params_), name="parameter"),
        )
        table.attrs = {"family": self.family_, "loglik": self.loglik_, "aic": self.aic_,
                       "bic": self.bic_, "k": self.k_, "n": self.n_,
                       "n_censored": self.n_censored_, "converged": self.converged_}
        return table

    def __repr__(self) -> str:
        if not hasattr(self, "params_"):
            return f"SeverityFitter(family={self.family!r}, fixed={self.fixed!r})"
        shown = ", ".join(f"{k}={v:.6g}" for k, v in self.params_.items())
        return (f"SeverityFitter({self.family_}: {shown}; loglik={self.loglik_:.6g}, "
                f"AIC={self.aic_:.6g}, n={self.n_:g})")

    def _check_fitted(self) -> None:
        if not hasattr(self, "params_"):
            raise ParameterError("fitter: call fit() before using the results")


def fit_severity(x, family: str = "lognorm", *, truncation=None, censored=None, weights=None,
                 fixed: dict | None = None) -> SeverityFitter:
    """Shortcut for ``SeverityFitter(family, fixed=fixed).fit(x, truncation, censored, weights)``.

    >>> round(fit_severity([1.0, 2.0, 3.0], "expon").params_["scale"], 6)
    2.0
    """
    return SeverityFitter(family, fixed=fixed).fit(x, truncation, censored, weights)


# ---------------------------------------------------------------------- internals
def _check_fixed(fam: Family, fixed) -> dict[str, float]:
    if fixed is None:
        return {}
    if not isinstance(fixed, dict):
        raise ParameterError(f"fixed: must be a dict of parameter values, got {fixed!r}")
    out = {}
    for name, value in fixed.items():
        if name not in fam.param_names:
            raise ParameterError(f"fixed: {fam.name} has parameters {fam.param_names}, "
                                 f"not {name!r}")
        v = float(value)
        lower = -1.0 if (name != "scale" and fam.is_shifted(fam.shapes.index(name))) else 0.0
        if not (np.isfinite(v) and v > lower):
            raise ParameterError(f"fixed: {name} must be finite and > {lower:g}, got {value!r}")
        out[name] = v
    if len(out) == len(fam.param_names):
        raise ParameterError("fixed: every parameter is fixed, nothing is left to fit")
    return out


_Z_BOUND = 20.0
_FD_STEP = np.finfo(float).eps ** (1.0 / 3.0)  # central-difference step relative to max(1, |z|)
_RIDGE_REL_SE = 1e3  # standard error / estimate above this: the maximum is not finite (a ridge)


class _Problem:
    """The optimisation in standardised units (losses divided by their geometric mean) and
    unconstrained coordinates z (log of each free parameter; log(1 + ξ) for the GPD shape)."""

    def __init__(self, fam: Family, fixed: dict[str, float], data: SeverityData):
        self.fam, self.fixed = fam, fixed
        pos = data.weights > 0
        self.unit = float(np.exp(np.average(np.log(data.x[pos]), weights=data.weights[pos])))
        self.grouped = GroupedData(data, self.unit)
        self.free = [p for p in fam.param_names if p not in fixed]
        self.std_fixed = {p: (v / self.unit if p == "scale" else v) for p, v in fixed.items()}
        exact = ~data.censored & pos
        self.summary = DataSummary.of(data.x[exact] / self.unit, data.weights[exact])
        # per parameter (shapes, then scale): its column in z (None when fixed), the shift
        # (1 for the GPD shape, whose value is exp(z) − 1) and the fixed value
        self._layout = [(self.free.index(n) if n in self.free else None,
                         1.0 if self._shifted(n) else 0.0, self.std_fixed.get(n))
                        for n in fam.param_names]

    def _shifted(self, name: str) -> bool:
        return name != "scale" and self.fam.is_shifted(self.fam.shapes.index(name))

    def std_params(self, z) -> dict[str, float]:
        out = dict(self.std_fixed)
        for name, zi in zip(self.free, z, strict=True):
            out[name] = float(np.exp(zi) - 1.0) if self._shifted(name) else float(np.exp(zi))
        return out

    def natural(self, z) -> dict[str, float]:
        p = self.std_params(z)
        p["scale"] *= self.unit
        return {name: p[name] for name in self.fam.param_names}

    def jacobian(self, z) -> np.ndarray:
        """d(natural parameter)/dz for each free parameter (diagonal)."""
        nat = self.natural(z)
        return np.array([np.exp(zi) if self._shifted(n) else nat[n]
                         for n, zi in zip(self.free, z, strict=True)])

    def objective(self, z) -> float:
        """Negative log-likelihood per unit weight (standardised units)."""
        return float(self.objective_rows(np.asarray(z, dtype=float)[None, :])[0])

    def objective_rows(self, zs: np.ndarray) -> np.ndarray:
        """:meth:`objective` at each row of ``zs`` (m × k), in one vectorised pass."""
        # Parameters beyond e^±20 (in units of the geometric-mean loss) are where log f and
        # log S become huge numbers whose difference is rounding noise: stay inside (a NaN
        # coordinate fails the comparison too).
        inside = np.abs(zs).max(axis=1) <= _Z_BOUND
        if not inside.all():
            zs = np.where(inside[:, None], zs, 0.0)
        e = np.exp(zs)
        # each parameter as an (m, 1) column: exp(z), exp(z) − 1 (GPD shape) or its fixed value
        p = [e[:, i:i + 1] - shift if i is not None else fixed
             for i, shift, fixed in self._layout]
        shapes, scale = p[:-1], p[-1]
        # the family's own numpy formulas (equal to scipy's logpdf / logsf, without scipy's
        # per-call argument checking, which dominates the cost of one evaluation)
        logpdf, logsf, log_scale = self.fam.logpdf, self.fam.logsf, np.log(scale)
        with np.errstate(all="ignore"):
            ll = self.grouped.loglik_rows(lambda y: logpdf(y / scale, *shapes) - log_scale,
                                          lambda y: logsf(y / scale, *shapes))
            return np.where(inside & np.isfinite(ll), -ll / self.grouped.total_w, np.inf)

    def gradient(self, z) -> np.ndarray:
        """Central-difference gradient of :meth:`objective` (the steps of scipy's "3-point"
        rule, h_i = ε^⅓ max(1, |z_i|)), its 2k points evaluated in one vectorised pass."""
        z = np.asarray(z, dtype=float)
        h = _FD_STEP * np.maximum(1.0, np.abs(z))
        up, down = z + np.diag(h), z - np.diag(h)
        f = self.objective_rows(np.vstack([up, down]))
        with np.errstate(invalid="ignore"):
            return (f[: z.size] - f[z.size:]) / (np.diag(up) - np.diag(down))

    def starts(self) -> list[np.ndarray]:
        out = []
        for cand in self.fam.starts(self.summary):
            values = dict(zip(self.fam.param_names, cand, strict=True))
            z = []
            for name in self.free:
                v = float(values[name]) + (1.0 if self._shifted(name) else 0.0)
                z.append(np.log(v) if np.isfinite(v) and v > 0 else np.nan)
            z = np.array(z)
            if np.isfinite(z).all():
                out.append(z)
        return out

    def maximise(self) -> tuple[np.ndarray, np.ndarray]:
        """Best optimum over the starting points, polished; returns (z, Hessian of objective)."""
        candidates = [z for z in self.starts() if np.isfinite(self.objective(z))]
        if not candidates:
            raise ParameterError(f"x: the {self.fam.name} likelihood is not finite at any "
                                 f"starting point; this family cannot describe these losses")
        best = None
        for z0 in candidates:
            res = _local_min(self.objective, z0, self.gradient)
            if best is None or res[1] < best[1]:
                best = res
        z, fz = best
        return _newton_polish(self.objective, z, fz)


def _local_min(f, z0: np.ndarray, jac) -> tuple[np.ndarray, float]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        res = optimize.minimize(f, z0, method="BFGS", jac=jac,
                                options={"gtol": 1e-9, "maxiter": 400})
        z, fz = res.x, float(res.fun)
        stuck = not np.isfinite(fz) or (
            not res.success and np.max(np.abs(np.ravel(approx_fprime(z, f, centered=True)))) > 1e-6)
        if stuck:
            # BFGS can be thrown by an infinite value (e.g. a GPD support bound): fall back on
            # the derivative-free simplex, then let BFGS finish from there.
            nm = optimize.minimize(f, z0, method="Nelder-Mead",
                                   options={"xatol": 1e-10, "fatol": 1e-14, "maxiter": 4000})
            z, fz = nm.x, float(nm.fun)
            res = optimize.minimize(f, z, method="BFGS", jac=jac, options={"gtol": 1e-9})
            if np.isfinite(res.fun) and res.fun <= fz:
                z, fz = res.x, float(res.fun)
    return z, fz


def _newton_polish(f, z: np.ndarray, fz: float, steps: int = 4):
    """A few Newton steps on the numerical gradient and Hessian, each kept only if it does not
    lower the likelihood; returns the point and the Hessian there."""
    hess = approx_hess3(z, f)
    for _ in range(steps):
        grad = np.ravel(approx_fprime(z, f, centered=True))
        try:
            np.linalg.cholesky(hess)
            step = np.linalg.solve(hess, grad)
        except np.linalg.LinAlgError:
            break
        z_new = z - step
        f_new = f(z_new)
        if not (np.isfinite(f_new) and f_new <= fz):
            break
        z, fz = z_new, f_new
        hess = approx_hess3(z, f)
        if np.max(np.abs(step)) < 1e-10:
            break
    return z, hess


def _covariance(hess_total: np.ndarray, jac: np.ndarray) -> np.ndarray:
    """Delta method: cov(θ) = J H⁻¹ J with H the observed information in z coordinates."""
    k = jac.size
    if not np.isfinite(hess_total).all():
        return np.full((k, k), np.nan)
    try:
        np.linalg.cholesky(hess_total)
    except np.linalg.LinAlgError:
        return np.full((k, k), np.nan)
    cov_z = np.linalg.inv(hess_total)
    return cov_z * np.outer(jac, jac)
