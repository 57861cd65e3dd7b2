"""The severity families that :class:`puhui.losses.fit.SeverityFitter` can fit.

Each family is a ``scipy.stats`` continuous law with location fixed at 0. Parameters keep
scipy's names and order (shapes, then ``scale``), so a fitted ``params_`` dict can be passed
straight back to scipy: ``scipy.stats.lognorm(**params)``.

==============  ====================  =========================  ==========================
name            also accepted         parameters (scipy)         textbook (Loss Models)
==============  ====================  =========================  ==========================
``expon``       exponential           scale = θ                  exponential(θ)
``gamma``       —                     a = α, scale = θ           gamma(α, θ)
``lognorm``     lognormal             s = σ, scale = e^μ         lognormal(μ, σ)
``weibull_min`` weibull               c = τ, scale = θ           Weibull(θ, τ)
``lomax``       pareto, pareto2       c = α, scale = θ           Pareto (II)(α, θ)
``genpareto``   gpd                   c = ξ, scale = σ           generalized Pareto (POT)
``fisk``        loglogistic           c = γ, scale = θ           log-logistic(γ, θ)
``burr12``      burr                  c = γ, d = α, scale = θ    Burr (XII)(α, θ, γ)
==============  ====================  =========================  ==========================

The optimiser works on unconstrained coordinates ``z``: every parameter is ``exp(z)`` except
the generalized-Pareto shape, ``ξ = exp(z) − 1`` (ξ > −1, where the likelihood is bounded;
Smith 1985). Starting points come from moment and quantile matching on the data, which the
fitter first divides by their geometric mean so that every family sees numbers near 1.

For the optimiser each family also carries its log-density and log-survival function at
scale 1 as plain numpy formulas (``Family.logpdf(t, *shapes)``, ``Family.logsf(t, *shapes)``,
t = x/θ; at scale θ subtract log θ from the log-density). They equal scipy's ``logpdf`` /
``logsf`` (tests/test_fit_properties.py checks them against scipy to 1e-10) but skip scipy's
argument checking, which costs more than the arithmetic at the sample sizes of a severity
fit; the fitted ``dist_`` and the reported ``loglik_`` are scipy's.

================  ====================================  ==================================
family            log f(t)                              log S(t)
================  ====================================  ==================================
exponential       −t                                    −t
gamma(α)          (α−1) log t − t − log Γ(α)            log Q(α, t)  (regularised upper Γ)
lognormal(σ)      −log(σ t √(2π)) − (log t)²/(2σ²)      log Φ(−log t / σ)
Weibull(τ)        log τ + (τ−1) log t − t^τ             −t^τ
Pareto II(α)      log α − (α+1) log(1+t)                −α log(1+t)
GPD(ξ), ξ ≠ 0     −(1+1/ξ) log(1+ξt)                    −log(1+ξt)/ξ  (−∞ where 1+ξt ≤ 0)
GPD(0)            −t                                    −t
log-logistic(γ)   log γ + (γ−1) log t − 2 L             −L
Burr XII(γ, α)    log γα + (γ−1) log t − (α+1) L        −α L
================  ====================================  ==================================

with L = log(1 + t^γ) computed as logaddexp(0, γ log t), which stays finite where t^γ
overflows (Klugman, Panjer & Willmot, *Loss Models*, Appendix A, for the densities).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from scipy import special, stats

from puhui.errors import ParameterError

__all__ = ["Family", "FAMILIES", "ALIASES", "get_family"]

_EULER = 0.5772156649015329


@dataclass(frozen=True)
class DataSummary:
    """Weighted summaries of the standardised losses used for starting values."""

    mean: float
    var: float
    log_mean: float
    log_sd: float
    q25: float
    q50: float
    q75: float

    @classmethod
    def of(cls, y: np.ndarray, w: np.ndarray) -> DataSummary:
        order = np.argsort(y)
        ys, ws = y[order], w[order]
        cum = np.cumsum(ws) / ws.sum()

        def quantile(p: float) -> float:
            return float(ys[min(np.searchsorted(cum, p), ys.size - 1)])

        mean = float(np.average(y, weights=w))
        var = float(np.average((y - mean) ** 2, weights=w))
        ly = np.log(y)
        lm = float(np.average(ly, weights=w))
        lsd = float(np.sqrt(np.average((ly - lm) ** 2, weights=w)))
        q25, q50, q75 = quantile(0.25), quantile(0.5), quantile(0.75)
        return cls(mean, max(var, 1e-12), lm, max(lsd, 1e-3), q25, q50, max(q75, q25 * 1.001))


@dataclass(frozen=True)
class Family:
    """One severity law: its scipy object, parameter names and starting-value rule.

    ``starts(s)`` returns candidate parameter tuples (shapes, then scale) in the standardised
    units of :class:`DataSummary` ``s``; ``logpdf(t, *shapes)`` and ``logsf(t, *shapes)`` are
    the log-density and log-survival function at scale 1 (see the module's table).
    """

    name: str
    zh: str
    en: str
    shapes: tuple[str, ...]
    starts: Callable[[DataSummary], list[tuple[float, ...]]]
    logpdf: Callable[..., np.ndarray]  # log f(t; shapes) at scale 1
    logsf: Callable[..., np.ndarray]  # log S(t; shapes) at scale 1
    shifted: tuple[bool, ...] = ()  # per shape: True where value = exp(z) - 1 (GPD shape)

    @property
    def rv(self):
        return getattr(stats, self.name)

    @property
    def param_names(self) -> tuple[str, ...]:
        return (*self.shapes, "scale")

    def is_shifted(self, i: int) -> bool:
        return i < len(self.shifted) and self.shifted[i]


# --- log-density and log-survival at scale 1 (t = x / θ > 0); formulas in the module docstring
def _log1p_pow(t, c):
    """L = log(1 + t^c) as logaddexp(0, c log t): finite where t^c overflows."""
    return np.logaddexp(0.0, c * np.log(t))


def _gamma_logpdf(t, a):
    return (a - 1.0) * np.log(t) - t - special.gammaln(a)


def _gamma_logsf(t, a):
    return np.log(special.gammaincc(a, t))


_LOG_SQRT_2PI = 0.5 * np.log(2.0 * np.pi)


def _lognorm_logpdf(t, s):
    lt = np.log(t)
    return -np.log(s) - _LOG_SQRT_2PI - lt - 0.5 * (lt / s) ** 2


def _lognorm_logsf(t, s):
    return special.log_ndtr(-np.log(t) / s)


def _weibull_logpdf(t, c):
    lt = np.log(t)
    return np.log(c) + (c - 1.0) * lt - np.exp(c * lt)


def _weibull_logsf(t, c):
    return -(t**c)


def _lomax_logpdf(t, c):
    return np.log(c) - (c + 1.0) * np.log1p(t)


def _lomax_logsf(t, c):
    return -c * np.log1p(t)


def _gpd_log1p(t, c):
    """log(1 + ξt)/ξ, and t where ξ = 0 (its limit); −∞ outside the support 1 + ξt > 0."""
    with np.errstate(invalid="ignore", divide="ignore"):
        out = np.where(c == 0.0, t, np.log1p(c * t) / np.where(c == 0.0, 1.0, c))
    return np.where(1.0 + c * t > 0.0, out, np.inf)


def _genpareto_logpdf(t, c):
    return -(c + 1.0) * _gpd_log1p(t, c)


def _genpareto_logsf(t, c):
    return -_gpd_log1p(t, c)


def _burr_logpdf(t, c, d):
    return np.log(c * d) + (c - 1.0) * np.log(t) - (d + 1.0) * _log1p_pow(t, c)


def _burr_logsf(t, c, d):
    return -d * _log1p_pow(t, c)


def _gamma_starts(s: DataSummary):
    a = s.mean**2 / s.var
    return [(a, s.var / s.mean), (1.0, s.mean)]


def _lognorm_starts(s: DataSummary):
    iqr_sigma = np.log(s.q75 / s.q25) / 1.3489795
    return [(s.log_sd, np.exp(s.log_mean)), (max(iqr_sigma, 1e-3), s.q50)]


def _weibull_starts(s: DataSummary):
    c = (np.pi / np.sqrt(6.0)) / s.log_sd  # sd of log X is π/(c√6) for a Weibull
    return [(c, np.exp(s.log_mean + _EULER / c)), (1.0, s.mean)]


def _lomax_starts(s: DataSummary):
    out = []
    if s.var > s.mean**2:  # moment matching exists only when CV > 1
        alpha = 2.0 * s.var / (s.var - s.mean**2)
        out.append((alpha, s.mean * (alpha - 1.0)))
    out.append((2.0, s.q50 / (np.sqrt(2.0) - 1.0)))  # median θ(2^{1/α} − 1) with α = 2
    out.append((10.0, s.mean * 9.0))  # near-exponential tail
    return out


def _genpareto_starts(s: DataSummary):
    xi = float(np.clip(0.5 * (1.0 - s.mean**2 / s.var), -0.4, 0.9))
    return [(xi, s.mean * (1.0 - xi)), (0.1, s.mean * 0.9)]


def _fisk_starts(s: DataSummary):
    c_sd = (np.pi / np.sqrt(3.0)) / s.log_sd  # sd of log X is π/(c√3)
    c_iqr = 2.0 * np.log(3.0) / np.log(s.q75 / s.q25)  # quartiles at θ·3^{∓1/c}
    return [(c_sd, s.q50), (c_iqr, s.q50)]


def _burr_starts(s: DataSummary):
    c = (np.pi / np.sqrt(3.0)) / s.log_sd
    out = [(c, 1.0, s.q50), (np.pi / np.sqrt(6.0) / s.log_sd, 3.0, 2.0 * s.q50)]
    out += [(1.0, a, th) for a, th in _lomax_starts(s)[:1]]
    return out


FAMILIES: dict[str, Family] = {
    f.name: f
    for f in [
        Family("expon", "指数分布", "exponential", (), lambda s: [(s.mean,)],
               lambda t: -t, lambda t: -t),
        Family("gamma", "伽马分布", "gamma", ("a",), _gamma_starts,
               _gamma_logpdf, _gamma_logsf),
        Family("lognorm", "对数正态分布", "lognormal", ("s",), _lognorm_starts,
               _lognorm_logpdf, _lognorm_logsf),
        Family("weibull_min", "威布尔分布", "Weibull", ("c",), _weibull_starts,
               _weibull_logpdf, _weibull_logsf),
        Family("lomax", "帕累托分布（II型）", "Pareto (Lomax)", ("c",), _lomax_starts,
               _lomax_logpdf, _lomax_logsf),
        Family("genpareto", "广义帕累托分布", "generalized Pareto", ("c",), _genpareto_starts,
               _genpareto_logpdf, _genpareto_logsf, shifted=(True,)),
        Family("fisk", "对数逻辑斯谛分布", "log-logistic", ("c",), _fisk_starts,
               lambda t, c: _burr_logpdf(t, c, 1.0), lambda t, c: _burr_logsf(t, c, 1.0)),
        Family("burr12", "伯尔分布（XII型）", "Burr XII", ("c", "d"), _burr_starts,
               _burr_logpdf, _burr_logsf),
    ]
}

ALIASES: dict[str, str] = {
    "exponential": "expon",
    "exp": "expon",
    "lognormal": "lognorm",
    "weibull": "weibull_min",
    "pareto": "lomax",
    "pareto2": "lomax",
    "paretoii": "lomax",
    "gpd": "genpareto",
    "generalized_pareto": "genpareto",
    "loglogistic": "fisk",
    "log_logistic": "fisk",
    "burr": "burr12",
    "burrxii": "burr12",
}


def get_family(name: str) -> Family:
    """The :class:`Family` called ``name`` (scipy name or an alias, case-insensitive)."""
    if not isinstance(name, str):
        raise ParameterError(f"family must be a string such as 'lognorm', got {name!r}")
    key = name.strip().lower().replace("-", "_").replace(" ", "_")
    key = ALIASES.get(key, key)
    if key not in FAMILIES:
        known = ", ".join(FAMILIES)
        raise ParameterError(f"family: unknown severity family {name!r}; choose one of {known}")
    return FAMILIES[key]
