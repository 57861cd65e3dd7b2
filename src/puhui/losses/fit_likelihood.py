"""Severity data with deductibles and limits, and their log-likelihood.

Each observation i is a ground-up loss ``x_i`` (损失金额, the amount before the deductible is
taken off: payment + deductible), a truncation point ``d_i ≥ 0`` (the deductible / 起付线 /
免赔额 below which a loss is never reported: left truncation) and a flag ``δ_i`` that is True
when the loss reached the policy limit (封顶线) and is only known to be at least ``x_i``
(right censoring; ``x_i`` is then the limit, expressed as a ground-up amount). Its
contribution to the log-likelihood (Klugman, Panjer & Willmot, *Loss Models*, §13.2) is

    uncensored:  w_i · [log f(x_i) − log S(d_i)]
    censored:    w_i · [log S(x_i) − log S(d_i)]

with optional weights ``w_i ≥ 0`` read as frequency weights (an observation of weight 3 counts
as three identical observations). The sum is vectorised: the terms ``log S(·)`` are computed
once per distinct deductible and distinct limit, which are few in insurance data.

Example
-------
>>> from scipy import stats
>>> ll = severity_loglik(stats.expon(scale=100.0), [150.0, 300.0], truncation=100.0,
...                      censored=[False, True])
>>> round(ll, 6)  # log(f(150)/S(100)) + log(S(300)/S(100)) = −log 100 − 0.5 − 2
-7.10517
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from puhui.errors import ParameterError

__all__ = ["SeverityData", "as_severity_data", "severity_loglik"]


def _where(mask: np.ndarray, limit: int = 5) -> str:
    idx = np.flatnonzero(mask)
    shown = ", ".join(str(i) for i in idx[:limit])
    more = f" and {idx.size - limit} more" if idx.size > limit else ""
    return f"position(s) {shown}{more}"


def _numeric(name: str, value, n: int | None) -> np.ndarray:
    try:
        arr = np.asarray(value, dtype=float)
    except (TypeError, ValueError):
        raise ParameterError(f"{name}: must be numbers, got {value!r:.80}") from None
    if n is not None:
        if arr.ndim == 0:
            arr = np.full(n, float(arr))
        if arr.ndim != 1 or arr.size != n:
            raise ParameterError(f"{name}: must be a scalar or have one value per loss "
                                 f"({n}), got shape {arr.shape}")
    if np.isnan(arr).any():
        raise ParameterError(f"{name}: contains NaN at {_where(np.isnan(arr))}")
    return arr


@dataclass(frozen=True)
class SeverityData:
    """Validated severity observations (all arrays have one entry per observation)."""

    x: np.ndarray
    truncation: np.ndarray
    censored: np.ndarray
    weights: np.ndarray

    @property
    def n(self) -> float:
        """Number of observations: the sum of the (frequency) weights."""
        return float(self.weights.sum())

    @property
    def n_uncensored(self) -> float:
        return float(self.weights[~self.censored].sum())

    @property
    def n_censored(self) -> float:
        return float(self.weights[self.censored].sum())


def as_severity_data(x, truncation=None, censored=None, weights=None) -> SeverityData:
    """Check and convert the inputs of a severity fit; raise :class:`ParameterError` naming
    the argument and the rule broken (nothing is dropped, clipped or coerced)."""
    xa = _numeric("x", x, None)
    if xa.ndim != 1:
        raise ParameterError(f"x: must be one-dimensional, got shape {xa.shape}")
    n = xa.size
    if n == 0:
        raise ParameterError("x: no losses given")
    if not np.isfinite(xa).all():
        raise ParameterError(f"x: losses must be finite, infinite at {_where(~np.isfinite(xa))}")
    if (xa <= 0).any():
        bad = xa <= 0
        raise ParameterError(f"x: losses must be > 0 (a severity is a positive amount in yuan); "
                             f"found {xa[bad][0]!r} at {_where(bad)}")

    d = np.zeros(n) if truncation is None else _numeric("truncation", truncation, n)
    if not np.isfinite(d).all() or (d < 0).any():
        bad = ~np.isfinite(d) | (d < 0)
        raise ParameterError(f"truncation: deductibles must be finite and ≥ 0; found "
                             f"{d[bad][0]!r} at {_where(bad)}")
    if (d > xa).any():
        bad = d > xa
        i = int(np.flatnonzero(bad)[0])
        raise ParameterError(f"truncation: truncation point {d[i]!r} is above the observed loss "
                             f"x = {xa[i]!r} at {_where(bad)}; a loss under its deductible is "
                             f"never reported, so x must be the ground-up loss ≥ truncation")

    if censored is None:
        c = np.zeros(n, dtype=bool)
    else:
        raw = np.asarray(censored)
        if raw.ndim != 1 or raw.size != n:
            raise ParameterError(f"censored: must have one flag per loss ({n}), "
                                 f"got shape {raw.shape}")
        if raw.dtype == bool:
            c = raw.copy()
        else:
            num = _numeric("censored", raw, n)
            if not np.isin(num, (0.0, 1.0)).all():
                raise ParameterError(f"censored: flags must be True/False or 1/0; found "
                                     f"{num[~np.isin(num, (0.0, 1.0))][0]!r} at "
                                     f"{_where(~np.isin(num, (0.0, 1.0)))}")
            c = num.astype(bool)

    if weights is None:
        w = np.ones(n)
    else:
        w = _numeric("weights", weights, n)
        if not np.isfinite(w).all() or (w < 0).any():
            bad = ~np.isfinite(w) | (w < 0)
            raise ParameterError(f"weights: must be finite and ≥ 0; found {w[bad][0]!r} at "
                                 f"{_where(bad)}")
    if not (w[~c] > 0).any():
        what = "every observation is censored" if c.all() else "every uncensored loss has weight 0"
        raise ParameterError(f"censored: {what}; at least one exactly observed loss is needed "
                             f"to fit a severity distribution")
    return SeverityData(xa, d, c, w)


class GroupedData:
    """The data arranged for a fast log-likelihood: exact losses with their weights, distinct
    censoring points with summed weights, distinct positive deductibles with summed weights.
    Zero-weight rows are left out (they contribute nothing and could only produce 0·∞)."""

    def __init__(self, data: SeverityData, unit: float = 1.0):
        keep = data.weights > 0
        x, d, c, w = (data.x[keep] / unit, data.truncation[keep] / unit,
                      data.censored[keep], data.weights[keep])
        self.exact, self.exact_w = x[~c], w[~c]
        self.limits, self.limits_w = _group(x[c], w[c])
        pos = d > 0
        self.deductibles, self.deductibles_w = _group(d[pos], w[pos])
        self.total_w = float(w.sum())

    def loglik(self, logpdf, logsf) -> float:
        """Σ w log f(exact) + Σ w log S(limit) − Σ w log S(deductible); NaN is returned as −∞."""
        return float(self.loglik_rows(logpdf, logsf))

    def loglik_rows(self, logpdf, logsf) -> np.ndarray:
        """:meth:`loglik` for m parameter sets at once: ``logpdf(y)`` and ``logsf(y)`` return
        an (m, len(y)) array (one row per parameter set; or a 1-d array for one set), and the
        m log-likelihoods are returned."""
        # plain multiply-and-sum rather than np.dot: a threaded BLAS dot is slower here.
        # Overflow in a far tail (e.g. x**(-c) for tiny x) gives the right ±inf / 0 limits.
        with np.errstate(over="ignore", under="ignore", divide="ignore", invalid="ignore"):
            ll = (self.exact_w * logpdf(self.exact)).sum(axis=-1)
            if self.limits.size:
                ll = ll + (self.limits_w * logsf(self.limits)).sum(axis=-1)
            if self.deductibles.size:
                ll = ll - (self.deductibles_w * logsf(self.deductibles)).sum(axis=-1)
        return np.where(np.isnan(ll), -np.inf, ll)


def _group(values: np.ndarray, weights: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    if values.size == 0:
        return values, weights
    uniq, inv = np.unique(values, return_inverse=True)
    return uniq, np.bincount(inv, weights=weights, minlength=uniq.size)


def severity_loglik(dist, x, truncation=None, censored=None, weights=None) -> float:
    """Log-likelihood of severity data under a frozen scipy distribution ``dist``.

    ``Σ_i w_i [(1−δ_i) log f(x_i) + δ_i log S(x_i) − log S(d_i)]`` with d = ``truncation``
    (免赔额 / 起付线, left truncation) and δ = ``censored`` (losses at the 封顶线, right
    censoring). Arguments are checked as in :class:`~puhui.losses.fit.SeverityFitter`.
    """
    data = as_severity_data(x, truncation, censored, weights)
    return GroupedData(data).loglik(dist.logpdf, dist.logsf)
