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

The weighted Kaplan–Meier estimate is written here (a few vectorised lines) because
``scipy.stats.ecdf`` takes no weights; the tests check it against scipy and lifelines.
"""

from __future__ import annotations

import numpy as np

__all__ = ["pit", "kaplan_meier", "ks_statistic", "ad_statistic", "gof_statistics"]


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


def kaplan_meier(t, event, weights=None) -> tuple[np.ndarray, np.ndarray]:
    """Weighted Kaplan–Meier (product-limit) estimate of the cdf for right-censored data.

    Returns the distinct event times and F(t) just after each. Events at a time come before
    censorings at the same time (the usual convention).

    >>> times, cdf = kaplan_meier([1.0, 2.0, 3.0], [True, False, True])
    >>> [round(float(v), 6) for v in cdf]  # S = 2/3 after t = 1, then 0 after t = 3 (one at risk)
    [0.333333, 1.0]
    """
    t = np.asarray(t, dtype=float)
    event = np.asarray(event, dtype=bool)
    w = np.ones_like(t) if weights is None else np.asarray(weights, dtype=float)
    order = np.argsort(t, kind="stable")
    ts, es, ws = t[order], event[order], w[order]
    at_risk_from = np.concatenate([np.cumsum(ws[::-1])[::-1], [0.0]])  # Σ w over t ≥ ts[i]
    times, inv = np.unique(ts[es], return_inverse=True)
    deaths = np.bincount(inv, weights=ws[es], minlength=times.size)
    at_risk = at_risk_from[np.searchsorted(ts, times, side="left")]
    surv = np.cumprod(1.0 - np.divide(deaths, at_risk, out=np.zeros_like(deaths),
                                      where=at_risk > 0))
    return times, 1.0 - surv


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
    event, weights = ~data.censored[keep], data.weights[keep]
    return {"ks": ks_statistic(w, log1m, event, weights),
            "ad": ad_statistic(w, log1m, event, weights)}
