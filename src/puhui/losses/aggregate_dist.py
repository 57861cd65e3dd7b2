"""Aggregate-loss distributions (总赔款分布) returned by :func:`puhui.losses.aggregate.aggregate`.

Two result types, both immutable:

* :class:`DiscreteAggregate` -- a pmf on a grid (FFT, Panjer) or on simulated values;
* :class:`ApproxAggregate` -- the normal and normal-power (NP2) approximations.

Risk measures (as in R actuar ``VaR``/``CTE``):

* ``quantile(p)`` = VaR_p = the smallest x with F(x) ≥ p;
* ``cte(p)`` = CTE_p = E[S | S > VaR_p] (actuar's ``CTE``; for a discrete law the atom at
  VaR_p is excluded);
* ``tvar(p)`` = TVaR_p = VaR_p + E[(S − VaR_p)₊]/(1 − p) = (1/(1−p)) ∫_p^1 VaR_u du, the
  expected shortfall with the standard correction for an atom at VaR_p (Acerbi & Tasche 2002).
  For a continuous law the two coincide; on a grid ``cte ≥ tvar``.

Every result carries the exact moments of S computed from the frequency and severity moments
next to its own, with relative errors (the *moment self-check*).
"""

from __future__ import annotations

import functools
import math
import warnings
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import stats

from puhui.errors import ParameterError

__all__ = ["DiscreteAggregate", "ApproxAggregate", "AccuracyWarning"]


class AccuracyWarning(UserWarning):
    """A numerical result is less accurate than the check tolerance."""


def _probabilities(p) -> np.ndarray:
    arr = np.asarray(p, dtype=float)
    if np.any(~np.isfinite(arr) | (arr < 0) | (arr > 1)):
        raise ParameterError("probabilities p must lie in [0, 1]")
    return arr


def _rel(value: float, exact: float) -> float:
    if not (math.isfinite(exact) and math.isfinite(value)) or exact == 0:
        return math.nan
    return (value - exact) / abs(exact)


class _MomentCheck:
    """Shared moment self-check and summary (mixin for the result classes)."""

    exact_mean: float
    exact_var: float
    exact_skew: float

    @property
    def mean_rel_error(self) -> float:
        """(computed mean − exact mean) / exact mean."""
        return _rel(self.mean(), self.exact_mean)

    @property
    def var_rel_error(self) -> float:
        """(computed variance − exact variance) / exact variance."""
        return _rel(self.var(), self.exact_var)

    @property
    def skew_rel_error(self) -> float:
        """(computed skewness − exact skewness) / |exact skewness|."""
        return _rel(self.skew(), self.exact_skew)

    def moment_check(self) -> pd.DataFrame:
        """Computed vs exact mean, variance and skewness with relative errors."""
        return pd.DataFrame(
            {
                "computed": [self.mean(), self.var(), self.skew()],
                "exact": [self.exact_mean, self.exact_var, self.exact_skew],
                "relative_error": [self.mean_rel_error, self.var_rel_error, self.skew_rel_error],
            },
            index=pd.Index(["mean", "variance", "skewness"], name="moment"),
        )

    def std(self) -> float:
        """Standard deviation."""
        return math.sqrt(self.var())


@dataclass(frozen=True, eq=False)
class DiscreteAggregate(_MomentCheck):
    """Aggregate loss S as masses ``pmf`` at the points ``x`` (increasing).

    Attributes
    ----------
    method : str
        ``"fft"``, ``"panjer"`` or ``"simulation"``.
    x, pmf : ndarray
        Support points (yuan) and their probabilities.
    step : float or None
        Grid step h (None for simulation).
    exact_mean, exact_var, exact_skew : float
        Moments of S from the frequency and severity moments (NaN when the severity moment
        does not exist).
    severity_lost_mass : float
        Severity probability beyond its grid (discretisation truncation).
    tail_mass : float
        Mass of S computed beyond the last grid point (FFT padding region; Panjer: remaining
        mass when the recursion stopped).  Should be negligible.
    info : dict
        Method details (tilting θ, FFT length, round-off mass set to 0, seed, n_sim, …).
    """

    method: str
    x: np.ndarray
    pmf: np.ndarray
    step: float | None
    exact_mean: float
    exact_var: float
    exact_skew: float
    severity_lost_mass: float = 0.0
    tail_mass: float = 0.0
    info: dict = field(default_factory=dict)

    # -- basic quantities ----------------------------------------------------------------
    @functools.cached_property
    def _cum(self) -> np.ndarray:
        return np.cumsum(self.pmf)

    @property
    def truncated_mass(self) -> float:
        """``1 − Σ pmf``: probability not represented on the support."""
        return float(1.0 - self._cum[-1])

    def _index_at(self, x) -> np.ndarray:
        """Index of the last support point ≤ x (−1 when x is below the support)."""
        xa = np.asarray(x, dtype=float)
        if self.step is not None:
            # clip before the cast: x = ±inf must land on the ends, not on int64's minimum
            idx = np.clip(np.floor(xa / self.step + 1e-9), -1, self.x.size - 1)
            return idx.astype(np.int64)
        return np.searchsorted(self.x, xa, side="right") - 1

    def cdf(self, x):
        """F(x) = P[S ≤ x]; beyond the support it is ``1 − truncated_mass``."""
        idx = self._index_at(x)
        out = np.where(idx < 0, 0.0, self._cum[np.maximum(idx, 0)])
        return out if out.ndim else float(out)

    def sf(self, x):
        """P[S > x] = 1 − F(x)."""
        out = 1.0 - np.asarray(self.cdf(x))
        return out if out.ndim else float(out)

    def mean(self) -> float:
        """Σ x f(x)."""
        return float(np.sum(self.x * self.pmf))  # not np.dot: BLAS sums differ by thread count

    def var(self) -> float:
        """Σ (x − mean)² f(x)."""
        return float(np.sum((self.x - self.mean()) ** 2 * self.pmf))

    def skew(self) -> float:
        """Σ (x − mean)³ f(x) / var^{3/2}."""
        v = self.var()
        return float(np.sum((self.x - self.mean()) ** 3 * self.pmf) / v**1.5) if v > 0 else math.nan

    # -- limited moments (so that a benefit can be priced on S) ----------------------------
    @functools.cached_property
    def _tail_pmf(self) -> np.ndarray:
        """``T[i] = Σ_{j≥i} f(x_j)`` for i = 0..n (suffix sums, exact in the far tail)."""
        return np.concatenate([np.cumsum(self.pmf[::-1])[::-1], [0.0]])

    @functools.cached_property
    def _power_prefix(self) -> dict:
        return {}

    def lev_moment(self, u, k: float = 2):
        """Limited moment ``E[min(S, u)^k] = Σ_j min(x_j, u)^k f(x_j)`` (有限矩).

        With ``i(u)`` the number of support points ``≤ u`` (a binary search),
        ``P_k[i] = Σ_{j<i} x_j^k f(x_j)`` (prefix sums, cached per order) and the suffix sums
        ``T[i] = Σ_{j≥i} f(x_j)``: ``E[min(S, u)^k] = P_k[i] + u^k T[i]``. ``u ≤ 0`` gives 0 and
        ``u = inf`` the raw moment ``Σ x^k f(x)``; like :meth:`mean`, the truncated mass (beyond
        the support) contributes nothing. Vectorised over ``u``.

        Examples
        --------
        >>> S = DiscreteAggregate("fft", np.array([0.0, 1.0, 2.0]), np.array([0.5, 0.3, 0.2]),
        ...                       1.0, 0.7, 0.61, float("nan"))
        >>> [float(v) for v in S.lev_moment([0.5, 1.5, np.inf], 2)]  # Σ min(x, u)² f(x)
        [0.125, 0.75, 1.1]
        """
        try:
            k = float(k)
        except (TypeError, ValueError):
            raise ParameterError(f"k: the order must be a positive number, got {k!r}") from None
        if not (math.isfinite(k) and k > 0):
            raise ParameterError(f"k: the order must be a positive finite number, got {k!r}")
        try:
            u = np.asarray(u, dtype=float)
        except (TypeError, ValueError):
            raise ParameterError(f"u: limits must be numbers, got {u!r}") from None
        cache = self._power_prefix
        if k not in cache:
            xk = self.x if k == 1 else np.power(self.x, k)
            cache[k] = np.concatenate([[0.0], np.cumsum(xk * self.pmf)])
        nan = np.isnan(u)
        uu = np.where(nan, 0.0, u)
        i = np.searchsorted(self.x, uu, side="right")
        tail = self._tail_pmf[i]
        with np.errstate(invalid="ignore", over="ignore"):
            capped = np.where(tail > 0, np.power(uu, k) * tail, 0.0)
        out = np.where(uu > 0, cache[k][i] + capped, 0.0)
        return np.where(nan, np.nan, out)[()]

    def lev(self, u):
        """Limited expected value ``E[min(S, u)]`` (有限期望值), e.g. for a stop-loss layer
        ``E[(S − d)₊] = mean − lev(d)``; see :meth:`lev_moment`."""
        return self.lev_moment(u, 1.0)

    # -- risk measures -------------------------------------------------------------------
    def quantile(self, p):
        """VaR_p: the smallest support point x with F(x) ≥ p (NaN, with a warning, when p
        exceeds the computed mass)."""
        pa = _probabilities(p)
        idx = np.searchsorted(self._cum, pa, side="left")
        beyond = idx >= self.x.size
        if np.any(beyond):
            warnings.warn(
                f"p above the computed total mass {self._cum[-1]:.12g}: quantile is NaN; "
                "widen the grid (upper / n_nodes)",
                AccuracyWarning,
                stacklevel=2,
            )
        out = np.where(beyond, np.nan, self.x[np.minimum(idx, self.x.size - 1)])
        return out if out.ndim else float(out)

    def cte(self, p):
        """CTE_p = E[S | S > VaR_p] (actuar ``CTE``); NaN when no mass lies above VaR_p."""
        pa = np.atleast_1d(_probabilities(p))
        var = np.atleast_1d(self.quantile(pa))
        xf = self.x * self.pmf
        tail_w = self._cum[-1] - self._cum  # mass strictly above each support point
        tail_xw = np.cumsum(xf[::-1])[::-1] - xf  # Σ_{x' > x} x' f(x')
        out = np.full(pa.shape, np.nan)
        ok = np.isfinite(var)
        idx = self._index_at(var[ok])
        w = tail_w[idx]
        with np.errstate(invalid="ignore", divide="ignore"):
            out[ok] = np.where(w > 0, tail_xw[idx] / w, np.nan)
        return out if np.ndim(p) else float(out[0])

    def tvar(self, p):
        """TVaR_p = VaR_p + E[(S − VaR_p)₊]/(1 − p) (atom-corrected expected shortfall)."""
        pa = np.atleast_1d(_probabilities(p))
        if np.any(pa >= 1):
            raise ParameterError("tvar needs p < 1")
        var = np.atleast_1d(self.quantile(pa))
        xf = self.x * self.pmf
        tail_w = self._cum[-1] - self._cum
        tail_xw = np.cumsum(xf[::-1])[::-1] - xf
        out = np.full(pa.shape, np.nan)
        ok = np.isfinite(var)
        idx = self._index_at(var[ok])
        stop_loss = tail_xw[idx] - var[ok] * tail_w[idx]
        out[ok] = var[ok] + stop_loss / (1.0 - pa[ok])
        return out if np.ndim(p) else float(out[0])

    # -- reporting -----------------------------------------------------------------------
    def summary(self) -> pd.DataFrame:
        """Moment self-check table; grid diagnostics in ``.attrs``."""
        df = self.moment_check()
        df.attrs.update(
            method=self.method,
            step=self.step,
            n_points=int(self.x.size),
            truncated_mass=self.truncated_mass,
            severity_lost_mass=self.severity_lost_mass,
            tail_mass=self.tail_mass,
            **self.info,
        )
        return df

    def plot(self, ax=None, kind: str = "cdf"):
        """Step plot of the cdf (``kind="cdf"``) or the pmf (``kind="pmf"``); returns the Axes."""
        from puhui.plots import label, new_axes

        if kind not in ("cdf", "pmf"):
            raise ParameterError(f"kind must be 'cdf' or 'pmf', got {kind!r}")
        ax = new_axes(ax)
        if kind == "cdf":
            ax.step(self.x, self._cum, where="post")
            ax.set_ylabel(label("累计概率 F(x)", "F(x)"))
        else:
            ax.plot(self.x, self.pmf, lw=1)
            ax.set_ylabel(label("概率", "probability"))
        ax.set_xlabel(label("总赔款 S（元）", "aggregate loss S (yuan)"))
        ax.set_title(f"{self.method}")
        return ax

    def __repr__(self) -> str:
        return (
            f"DiscreteAggregate(method={self.method!r}, points={self.x.size}, "
            f"step={self.step}, mean={self.mean():.6g} (exact {self.exact_mean:.6g}), "
            f"truncated_mass={self.truncated_mass:.3g})"
        )


@dataclass(frozen=True, eq=False)
class ApproxAggregate(_MomentCheck):
    """Normal or normal-power (NP2) approximation of S from its first three moments.

    * normal: ``F(x) = Φ((x − μ)/σ)``; ``VaR_p = μ + σ z_p``; ``CTE_p = μ + σ φ(z_p)/(1−p)``.
    * NP2 (Daykin, Pentikäinen & Pesonen 1994; actuar ``"npower"``), valid for x > μ:
      ``F(x) = Φ(−3/γ + √(9/γ² + 1 + (6/γ)(x − μ)/σ))``; ``VaR_p = μ + σ(z_p + γ(z_p² − 1)/6)``
      for p > ½; ``CTE_p = μ + σ φ(z_p)(1 + γ z_p/6)/(1 − p)`` (Castañer, Claramunt & Mármol
      2013).  Outside the range of validity the functions return NaN, as actuar does.
    """

    method: str
    mu: float
    sigma2: float
    gamma: float

    @property
    def exact_mean(self) -> float:
        return self.mu

    @property
    def exact_var(self) -> float:
        return self.sigma2

    @property
    def exact_skew(self) -> float:
        return self.gamma

    def mean(self) -> float:
        return self.mu

    def var(self) -> float:
        return self.sigma2

    def skew(self) -> float:
        """0 for the normal law, γ for NP2."""
        return 0.0 if self.method == "normal" else self.gamma

    def cdf(self, x):
        xa = np.asarray(x, dtype=float)
        s = math.sqrt(self.sigma2)
        if self.method == "normal":
            out = stats.norm.cdf((xa - self.mu) / s)
        else:
            g = self.gamma
            with np.errstate(invalid="ignore"):
                arg = 9 / g**2 + 1 + 6 / g * (xa - self.mu) / s
                out = np.where(xa > self.mu, stats.norm.cdf(-3 / g + np.sqrt(arg)), np.nan)
        return out if out.ndim else float(out)

    def sf(self, x):
        out = 1.0 - np.asarray(self.cdf(x))
        return out if out.ndim else float(out)

    def quantile(self, p):
        pa = _probabilities(p)
        z = stats.norm.ppf(pa)
        s = math.sqrt(self.sigma2)
        if self.method == "normal":
            out = self.mu + s * z
        else:
            out = np.where(pa > 0.5, self.mu + s * (z + self.gamma * (z**2 - 1) / 6), np.nan)
        return out if out.ndim else float(out)

    def cte(self, p):
        pa = _probabilities(p)
        if np.any(pa >= 1):
            raise ParameterError("cte needs p < 1")
        z = stats.norm.ppf(pa)
        s = math.sqrt(self.sigma2)
        factor = 1.0 if self.method == "normal" else 1 + self.gamma * z / 6
        out = self.mu + s * stats.norm.pdf(z) * factor / (1 - pa)
        if self.method == "np2":
            out = np.where(pa > 0.5, out, np.nan)
        return out if np.ndim(out) else float(out)

    tvar = cte  # continuous approximations: CTE and TVaR coincide

    def summary(self) -> pd.DataFrame:
        df = self.moment_check()
        df.attrs.update(method=self.method)
        return df

    def plot(self, ax=None, n: int = 400):
        """The approximate cdf over μ ± 4σ; returns the Axes."""
        from puhui.plots import label, new_axes

        ax = new_axes(ax)
        s = math.sqrt(self.sigma2)
        xs = np.linspace(max(0.0, self.mu - 4 * s), self.mu + 5 * s, n)
        ax.plot(xs, self.cdf(xs))
        ax.set_xlabel(label("总赔款 S（元）", "aggregate loss S (yuan)"))
        ax.set_ylabel(label("累计概率 F(x)", "F(x)"))
        ax.set_title(self.method)
        return ax
