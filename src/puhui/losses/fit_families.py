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
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from scipy import stats

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
    units of :class:`DataSummary` ``s``.
    """

    name: str
    zh: str
    en: str
    shapes: tuple[str, ...]
    starts: Callable[[DataSummary], list[tuple[float, ...]]]
    shifted: tuple[bool, ...] = ()  # per shape: True where value = exp(z) - 1 (GPD shape)

    @property
    def rv(self):
        return getattr(stats, self.name)

    @property
    def param_names(self) -> tuple[str, ...]:
        return (*self.shapes, "scale")

    def is_shifted(self, i: int) -> bool:
        return i < len(self.shifted) and self.shifted[i]


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
        Family("expon", "指数分布", "exponential", (), lambda s: [(s.mean,)]),
        Family("gamma", "伽马分布", "gamma", ("a",), _gamma_starts),
        Family("lognorm", "对数正态分布", "lognormal", ("s",), _lognorm_starts),
        Family("weibull_min", "威布尔分布", "Weibull", ("c",), _weibull_starts),
        Family("lomax", "帕累托分布（II型）", "Pareto (Lomax)", ("c",), _lomax_starts),
        Family("genpareto", "广义帕累托分布", "generalized Pareto", ("c",), _genpareto_starts,
               shifted=(True,)),
        Family("fisk", "对数逻辑斯谛分布", "log-logistic", ("c",), _fisk_starts),
        Family("burr12", "伯尔分布（XII型）", "Burr XII", ("c", "d"), _burr_starts),
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
