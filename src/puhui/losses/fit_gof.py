"""Goodness of fit for truncated and censored severity data: KS and Anderson–Darling.

Each observation is first mapped through its own conditional (truncated) fitted cdf,

    w_i = (F(x_i) − F(d_i)) / S(d_i)          (probability integral transform, PIT)

which is Uniform(0, 1) under the model whatever the deductible d_i, so mixed deductibles
pool into one sample. A censored observation gives a right-censored uniform (the true w_i
is ≥ the transformed limit). The empirical cdf F_n of the w's is the Kaplan–Meier product-limit
estimate (weighted; it is the ordinary ecdf when nothing is censored), compared with the
uniform cdf on [0, τ]: τ = 1 when F_n reaches 1 (the largest observation is exact), otherwise
τ is the largest transformed limit, beyond which the data say nothing. Then

    KS = sup_{0 ≤ t ≤ τ} |F_n(t) − t|
    AD = n ∫_0^τ (F_n(t) − t)² / (t (1 − t)) dt

with n the number of observations (sum of weights). On [y_j, y_{j+1}) where F_n = F_j the
integrand integrates in closed form, −(b − a) + F_j² log(b/a) + (1 − F_j)² log((1 − a)/(1 − b)),
which is the computing formula of Klugman, Panjer & Willmot (*Loss Models*, §16.4) for one
deductible and one limit. Without truncation or censoring both statistics are the classical
ones (scipy ``kstest`` and the textbook Anderson–Darling sum). Parameters are estimated from
the same data, so the usual critical values do not apply; use the statistics to rank fits (or
bootstrap them).

The Kaplan–Meier estimate is written here, once for all of puhui (:func:`product_limit`:
weights, right censoring, left truncation, Greenwood variance; a few vectorised lines) because
``scipy.stats.ecdf`` takes neither weights nor entry times; the tests check it against the
published 6-MP table, scipy and lifelines. The survival curves of
:mod:`puhui.experience.survival` are a DataFrame view of it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.special import ndtri

from puhui.errors import ParameterError

__all__ = ["pit", "ProductLimit", "product_limit", "kaplan_meier", "ks_statistic",
           "ad_statistic", "gof_statistics"]


def pit(dist, x, truncation) -> tuple[np.ndarray, np.ndarray]:
    """Conditional cdf ``w = (F(x) − F(d)) / S(d)`` and ``log(1 − w) = log S(x) − log S(d)``.

    Computed from ``logsf`` so that w near 1 keeps its precision in ``log(1 − w)``.

    >>> from scipy import stats
    >>> w, _ = pit(stats.expon(scale=1.0), [2.0], [1.0])
    >>> round(float(w[0]), 6)  # memoryless: 1 − e^{−1}
    0.632121
    """
    x = np.asarray(x, dtype=float)
    d = np.broadcast_to(np.asarray(truncation, dtype=float), x.shape)
    with np.errstate(over="ignore", under="ignore", divide="ignore"):  # far tails: ±inf is right
        log_s_d = np.where(d > 0, dist.logsf(np.where(d > 0, d, 1.0)), 0.0)
        log1m = np.minimum(dist.logsf(x) - log_s_d, 0.0)
    return -np.expm1(log1m), log1m


@dataclass(frozen=True)
class ProductLimit:
    """A Kaplan–Meier (product-limit, 乘积极限) estimate with its risk table.

    One row per distinct time (exit times, and entry times when left truncation is given),
    increasing. With weights wᵢ (1 by default), d_j = Σ wᵢ over events at t_j and the risk set

        n_j = Σ wᵢ [entryᵢ < t_j ≤ exitᵢ]          (entry = −∞ without left truncation)

    so a life entering at t is at risk only *after* t, and a life leaving at t_j (event or
    censoring) is at risk at t_j: events come before censorings at a tie. Then

        Ŝ(t) = Π_{t_j ≤ t} (1 − d_j / n_j)
        V(t) = Σ_{t_j ≤ t} d_j / (n_j (n_j − d_j))     (Greenwood's sum; 0 where d_j = n_j)

    Klein & Moeschberger, *Survival Analysis* (2nd ed. 2003), §4.2 (eqs. 4.2.1–4.2.2) and §4.6
    (left truncation: the risk set counts only lives that have entered).

    Attributes
    ----------
    time : ndarray
        Distinct times t_j.
    entered, events, censored : ndarray
        Σ w of lives entering, dying (the event) and censored at t_j.
    at_risk : ndarray
        n_j, the risk set of the factor at t_j.
    survival : ndarray
        Ŝ(t_j).
    greenwood : ndarray
        V(t_j), Greenwood's sum (the variance of Ŝ is Ŝ² V).
    """

    time: np.ndarray
    entered: np.ndarray
    events: np.ndarray
    censored: np.ndarray
    at_risk: np.ndarray
    survival: np.ndarray
    greenwood: np.ndarray

    @property
    def event_times(self) -> np.ndarray:
        """Times with at least one event (d_j > 0)."""
        return self.time[self.events > 0]

    @property
    def cdf(self) -> np.ndarray:
        """F̂(t_j) = 1 − Ŝ(t_j) at every row."""
        return 1.0 - self.survival

    def sf(self, t) -> np.ndarray:
        """Ŝ(t) at any times (right-continuous step function; 1 before the first row)."""
        t = np.asarray(t, dtype=float)
        idx = np.searchsorted(self.time, t, side="right") - 1
        return np.where(idx >= 0, self.survival[np.maximum(idx, 0)], 1.0)

    def median(self) -> float:
        """First time with Ŝ(t) ≤ 1/2 (inf when the curve stays above 1/2)."""
        below = np.flatnonzero(self.survival <= 0.5)
        return float(self.time[below[0]]) if below.size else float("inf")

    def confidence_interval(self, alpha: float = 0.05) -> tuple[np.ndarray, np.ndarray]:
        """Pointwise (1 − α) band for Ŝ(t_j) on the log(−log) scale ("exponential Greenwood").

        With v = log Ŝ and z = Φ⁻¹(1 − α/2), the band is exp(−exp(log(−v) ∓ z √V / v)), i.e.
        Ŝ^{exp(∓ z σ)} with σ = √V / |log Ŝ| (Kalbfleisch & Prentice 2002, §1.3; Klein &
        Moeschberger 2003, eq. 4.3.2). Where Ŝ = 1 the band is [1, 1].

        By hand at t = 1 with 4 at risk and 1 event: Ŝ = 3/4, V = 1/(4·3), σ = √V/|log Ŝ| =
        1.00345, so the 95% band is [0.75^{e^{1.96 σ}}, 0.75^{e^{−1.96 σ}}] = [0.1279, 0.9605].

        >>> pl = product_limit([1.0, 2.0, 3.0, 4.0], [True, True, False, True])
        >>> lo, hi = pl.confidence_interval(0.05)
        >>> round(float(lo[0]), 4), round(float(hi[0]), 4)
        (0.1279, 0.9605)
        """
        if not 0 < alpha < 1:
            raise ParameterError(f"alpha must be in (0, 1), got {alpha}")
        z = float(ndtri(1.0 - alpha / 2.0))
        with np.errstate(divide="ignore", invalid="ignore"):
            v = np.log(self.survival)
            spread = z * np.sqrt(self.greenwood) / v
            lower = np.exp(-np.exp(np.log(-v) - spread))
            upper = np.exp(-np.exp(np.log(-v) + spread))
        return np.where(np.isnan(lower), 1.0, lower), np.where(np.isnan(upper), 1.0, upper)


def product_limit(t, event, weights=None, *, entry=None) -> ProductLimit:
    """Kaplan–Meier estimate for right-censored, optionally left-truncated, weighted data.

    The one product-limit estimator of puhui (see :class:`ProductLimit` for the formulas):
    :func:`kaplan_meier` here (the cdf at the event times, for goodness of fit) and
    :func:`puhui.experience.survival.kaplan_meier` (curves by group from a DataFrame) call it.

    Written by hand, not taken from lifelines: the goodness-of-fit code needs the estimate as
    arrays at every event time with fractional weights, many times per fit, and lifelines'
    ``KaplanMeierFitter`` is a per-call fitted object over a DataFrame; the tests check this
    estimator against ``KaplanMeierFitter`` (entry times, weights, ties) to 1e-12 and against
    Klein & Moeschberger's table below.

    Parameters
    ----------
    t : array_like
        Exit times (event or censoring).
    event : array_like of bool
        True for an event, False for a censored exit.
    weights : array_like, optional
        Non-negative weight of each observation (default 1).
    entry : array_like, optional
        Entry times (left truncation), ≤ t; an event exactly at entry is refused (the life is
        not yet at risk).

    Examples
    --------
    Klein & Moeschberger (2003), Table 4.1A: 6-MP arm of the Freireich et al. (1963) leukaemia
    trial, remission times in weeks (censored ones marked +).

    >>> weeks = [6, 6, 6, 6, 7, 9, 10, 10, 11, 13, 16, 17, 19, 20, 22, 23, 25, 32, 32, 34, 35]
    >>> relapse = [1, 1, 1, 0, 1, 0, 1, 0, 0, 1, 1, 0, 0, 0, 1, 1, 0, 0, 0, 0, 0]
    >>> pl = product_limit(weeks, relapse)
    >>> [round(float(s), 3) for s in pl.survival[pl.events > 0]]
    [0.857, 0.807, 0.753, 0.69, 0.627, 0.538, 0.448]
    """
    t = np.asarray(t, dtype=float)
    event = np.asarray(event, dtype=bool)
    w = np.ones_like(t) if weights is None else np.asarray(weights, dtype=float)
    if t.ndim != 1 or event.shape != t.shape or w.shape != t.shape:
        raise ParameterError("t, event and weights must be 1-D arrays of the same length, got "
                             f"shapes {t.shape}, {event.shape} and {w.shape}")
    if not np.all(np.isfinite(w) & (w >= 0)):
        raise ParameterError("weights must be finite numbers ≥ 0")
    if np.isnan(t).any():
        raise ParameterError("t must not be NaN")
    order = np.argsort(t, kind="stable")
    ts, es, ws = t[order], event[order], w[order]
    if entry is None:
        times = np.unique(ts)
    else:
        entry = np.asarray(entry, dtype=float)
        if entry.shape != t.shape:
            raise ParameterError(f"entry must have the shape of t {t.shape}, got {entry.shape}")
        if not np.all(entry <= t):  # NaN fails too
            raise ParameterError("entry must be a number ≤ the exit time t")
        if np.any(event & (entry == t)):
            raise ParameterError("an event at the entry time: the life is not yet at risk "
                                 "(the risk set is entry < t ≤ exit)")
        times = np.unique(np.concatenate([ts, entry]))
    tail = np.concatenate([np.cumsum(ws[::-1])[::-1], [0.0]])        # Σ w over ts ≥ ts[i]
    at_risk = tail[np.searchsorted(ts, times, side="left")]
    pos = np.searchsorted(times, ts)
    events = _sums(pos[es], ws[es], times.size)
    censored = _sums(pos[~es], ws[~es], times.size)
    if entry is None:
        entered = np.zeros(times.size)
    else:
        order_e = np.argsort(entry, kind="stable")
        es_, ws_ = entry[order_e], w[order_e]
        tail_e = np.concatenate([np.cumsum(ws_[::-1])[::-1], [0.0]])  # Σ w over entry ≥ t
        at_risk = at_risk - tail_e[np.searchsorted(es_, times, side="left")]
        entered = _sums(np.searchsorted(times, es_), ws_, times.size)
        # lifelines' guard (KaplanMeierFitter): nobody under observation within the first half
        # of the table means too few early entries for the product to carry on; refuse it.
        alive = np.cumsum(entered - events - censored)
        half = alive[: times.size // 2]
        if half.size and half.min() == 0:
            t0 = times[int(np.argmin(half))]
            raise ParameterError(f"nobody is under observation just after t = {t0:g} while "
                                 "later lives enter: too few early entries (left truncation) "
                                 "for a product-limit curve; start the curve later")
    factor = 1.0 - np.divide(events, at_risk, out=np.zeros_like(events), where=at_risk > 0)
    survival = np.cumprod(np.maximum(factor, 0.0))
    gap = at_risk - events
    term = np.divide(events, at_risk * gap, out=np.zeros_like(events),
                     where=(gap > 0) & (events > 0))
    return ProductLimit(times, entered, events, censored, at_risk, survival, np.cumsum(term))


def _sums(idx, w, size) -> np.ndarray:
    """Σ w by row index (float even when empty)."""
    return np.bincount(idx, weights=w, minlength=size).astype(float, copy=False)


def kaplan_meier(t, event, weights=None, *, entry=None) -> tuple[np.ndarray, np.ndarray]:
    """Weighted Kaplan–Meier estimate of the cdf: the distinct event times and F(t) just after
    each (a thin view of :func:`product_limit`; events come before censorings at a tie).

    >>> times, cdf = kaplan_meier([1.0, 2.0, 3.0], [True, False, True])
    >>> [round(float(v), 6) for v in cdf]  # S = 2/3 after t = 1, then 0 after t = 3 (one at risk)
    [0.333333, 1.0]
    """
    pl = product_limit(t, event, weights, entry=entry)
    rows = pl.events > 0
    return pl.time[rows], pl.cdf[rows]


def _steps(w, log1m, event, weights):
    """Event points y_j with KM values F_j, and the upper end τ with log(1 − τ)."""
    times, cdf = kaplan_meier(w, event, weights)
    # log(1 − y) at each event time, taken from the precise log1m of a matching observation
    order = np.argsort(w, kind="stable")
    idx = order[np.searchsorted(w[order], times, side="left")]
    log1m_times = log1m[idx]
    if cdf.size and cdf[-1] >= 1.0 - 1e-12:
        tau, log1m_tau = 1.0, -np.inf
    else:
        j = int(np.argmax(w))
        tau, log1m_tau = float(w[j]), float(log1m[j])
    return times, cdf, log1m_times, tau, log1m_tau


def ks_statistic(w, log1m, event, weights=None) -> float:
    """Kolmogorov–Smirnov distance between the Kaplan–Meier cdf of the PIT values ``w`` and the
    uniform cdf on [0, τ] (see the module text)."""
    times, cdf, _, tau, _ = _steps(np.asarray(w), np.asarray(log1m), event, weights)
    before = np.concatenate([[0.0], cdf[:-1]])
    d = max(np.max(np.abs(cdf - times), initial=0.0), np.max(np.abs(before - times), initial=0.0))
    last = cdf[-1] if cdf.size else 0.0
    return float(max(d, abs(last - tau)))


def ad_statistic(w, log1m, event, weights=None) -> float:
    """Anderson–Darling statistic ``n ∫_0^τ (F_n − t)² / (t(1 − t)) dt`` with F_n the
    Kaplan–Meier cdf of the PIT values ``w`` (see the module text)."""
    w, log1m = np.asarray(w, dtype=float), np.asarray(log1m, dtype=float)
    n = float(np.sum(np.ones_like(w) if weights is None else weights))
    times, cdf, log1m_times, tau, log1m_tau = _steps(w, log1m, event, weights)
    # pieces [a_j, b_j) with F = F_j: a = (0, y_1, …, y_k), b = (y_1, …, y_k, τ), F = (0, F_1..F_k)
    a = np.concatenate([[0.0], times])
    b = np.concatenate([times, [tau]])
    log1m_a = np.concatenate([[0.0], log1m_times])
    log1m_b = np.concatenate([log1m_times, [log1m_tau]])
    f = np.concatenate([[0.0], cdf])
    with np.errstate(divide="ignore", invalid="ignore"):
        lower = np.where(f > 0, f**2 * (np.log(b) - np.log(a)), 0.0)
        upper = np.where(f < 1, (1.0 - f) ** 2 * (log1m_a - log1m_b), 0.0)
    total = -tau + np.sum(lower) + np.sum(upper)
    return float(n * total)


def gof_statistics(dist, data) -> dict[str, float]:
    """KS and AD statistics of a fitted ``dist`` on :class:`SeverityData` ``data``."""
    keep = data.weights > 0
    w, log1m = pit(dist, data.x[keep], data.truncation[keep])
    if np.isnan(w).any():  # the fitted law gives no conditional cdf (e.g. S(d) = 0): no statistic
        return {"ks": float("nan"), "ad": float("nan")}
    event, weights = ~data.censored[keep], data.weights[keep]
    return {"ks": ks_statistic(w, log1m, event, weights),
            "ad": ad_statistic(w, log1m, event, weights)}
