"""Claim-count (frequency, 出险次数) models: the (a, b, 0) and (a, b, 1) classes.

The (a, b, 0) class (Klugman, Panjer & Willmot, *Loss Models*, §6.5) holds the counts whose
probabilities satisfy ``p_k = (a + b/k) p_{k-1}`` for k ≥ 1:

============  ==============  ==================  ===================  ==================
law           a               b                   p0                   pgf P(z)
============  ==============  ==================  ===================  ==================
Poisson(λ)    0               λ                   e^{-λ}               exp(λ(z-1))
NB(r, β)      β/(1+β)         (r-1)β/(1+β)        (1+β)^{-r}           (1-β(z-1))^{-r}
Bin(m, q)     -q/(1-q)        (m+1)q/(1-q)        (1-q)^m              (1+q(z-1))^m
============  ==============  ==================  ===================  ==================

The (a, b, 1) class keeps the same recursion from k ≥ 2 and frees ``p0``: the zero-modified
law puts mass ``p0M`` at zero and rescales the rest, ``p^M_k = (1-p0M)/(1-p0) · p_k``; the
zero-truncated law is the case ``p0M = 0``.  Many inclusive-insurance members never claim, so
a zero-modified count is often the natural frequency model.

Exposure (风险暴露, e.g. member-years).  A rate is given per unit of exposure and
``exposure`` scales it: Poisson ``λ = rate × exposure``.  For the negative binomial two
conventions exist and ``exposure_scales`` names the one used:

* ``"r"`` (default; *Loss Models*, "exposure modification"): the portfolio is a sum of
  independent units, so NB(r, β) per unit becomes NB(r·e, β); mean and variance both scale by e.
* ``"beta"``: one common risk parameter for the whole exposure (the NB2 regression with
  ``offset = log(exposure)``, as fitted by :class:`ClaimCountFitter`), so NB(r, β) becomes
  NB(r, β·e); the variance grows faster than the mean.

Example
-------
>>> n = NegativeBinomial(r=2.0, beta=0.5, exposure=3.0)
>>> round(n.mean(), 6), round(n.var(), 6)
(3.0, 4.5)
"""

from __future__ import annotations

import math

import numpy as np
from scipy import stats

from puhui.errors import ParameterError

from .frequency_ab1 import Logarithmic
from .frequency_base import FrequencyModel, _positive, _rng

__all__ = [
    "FrequencyModel",
    "Poisson",
    "NegativeBinomial",
    "Binomial",
    "ZeroModified",
    "ZeroTruncated",
    "as_frequency",
]


class Poisson(FrequencyModel):
    """Poisson claim count with ``λ = rate × exposure``.

    Parameters
    ----------
    rate : float
        Expected claims per unit of exposure (出险率), > 0.
    exposure : float
        Units of exposure (member-years, policies, mu of crop), > 0.

    Examples
    --------
    >>> Poisson(0.02, exposure=500).lam
    10.0
    """

    zero_modifiable = True

    def __init__(self, rate: float, exposure: float = 1.0):
        self.rate = _positive("rate", rate)
        self.exposure = _positive("exposure", exposure)
        self.lam = self.rate * self.exposure
        self.a = 0.0
        self.b = self.lam
        self.p0 = math.exp(-self.lam)

    def with_exposure(self, exposure: float) -> Poisson:
        """The same rate on another exposure."""
        return Poisson(self.rate, exposure)

    def pmf(self, k):
        return stats.poisson.pmf(k, self.lam)

    def pgf(self, z):
        return np.exp(self.lam * (np.asarray(z) - 1.0))

    def cumulants(self):
        return self.lam, self.lam, self.lam

    def rvs(self, size, seed):
        return _rng(seed).poisson(self.lam, size)

    def _ppf(self, v):
        return stats.poisson.ppf(v, self.lam)

    def __repr__(self) -> str:
        return f"Poisson(rate={self.rate!r}, exposure={self.exposure!r})"


class NegativeBinomial(FrequencyModel):
    """Negative binomial NB(r, β) in the *Loss Models* parametrisation.

    ``P[N=k] = C(k+r-1, k) (1/(1+β))^r (β/(1+β))^k``, mean ``rβ``, variance ``rβ(1+β)``.
    (scipy's ``nbinom(n, p)`` is ``n = r``, ``p = 1/(1+β)``.)

    Parameters
    ----------
    r, beta : float
        Shape and scale per unit of exposure, both > 0.
    exposure : float
        Units of exposure.
    exposure_scales : {"r", "beta"}
        Which parameter the exposure multiplies; see the module docstring.

    Examples
    --------
    >>> NegativeBinomial(2.0, 0.5, exposure=3.0, exposure_scales="beta").var()
    7.5
    """

    zero_modifiable = True

    def __init__(self, r: float, beta: float, exposure: float = 1.0, exposure_scales: str = "r"):
        self.r_unit = _positive("r", r)
        self.beta_unit = _positive("beta", beta)
        self.exposure = _positive("exposure", exposure)
        if exposure_scales not in ("r", "beta"):
            raise ParameterError(f"exposure_scales must be 'r' or 'beta', got {exposure_scales!r}")
        self.exposure_scales = exposure_scales
        if exposure_scales == "r":
            self.r, self.beta = self.r_unit * self.exposure, self.beta_unit
        else:
            self.r, self.beta = self.r_unit, self.beta_unit * self.exposure
        self.a = self.beta / (1.0 + self.beta)
        self.b = (self.r - 1.0) * self.a
        self.p0 = (1.0 + self.beta) ** (-self.r)

    def with_exposure(self, exposure: float) -> NegativeBinomial:
        """The same per-unit parameters on another exposure."""
        return NegativeBinomial(self.r_unit, self.beta_unit, exposure, self.exposure_scales)

    def pmf(self, k):
        return stats.nbinom.pmf(k, self.r, 1.0 / (1.0 + self.beta))

    def pgf(self, z):
        return (1.0 - self.beta * (np.asarray(z) - 1.0)) ** (-self.r)

    def cumulants(self):
        r, b = self.r, self.beta
        return r * b, r * b * (1 + b), r * b * (1 + b) * (1 + 2 * b)

    def rvs(self, size, seed):
        return _rng(seed).negative_binomial(self.r, 1.0 / (1.0 + self.beta), size)

    def _ppf(self, v):
        return stats.nbinom.ppf(v, self.r, 1.0 / (1.0 + self.beta))

    def __repr__(self) -> str:
        return (
            f"NegativeBinomial(r={self.r_unit!r}, beta={self.beta_unit!r}, "
            f"exposure={self.exposure!r}, exposure_scales={self.exposure_scales!r})"
        )


class Binomial(FrequencyModel):
    """Binomial Bin(m, q): at most ``m × exposure`` claims, each with probability ``q``.

    Used when each insured unit claims at most once (e.g. a death or a total crop loss per mu).
    ``m × exposure`` must be a whole number.

    Examples
    --------
    >>> Binomial(1, 0.1, exposure=50).mean()
    5.0
    """

    zero_modifiable = True

    def __init__(self, m: int, q: float, exposure: float = 1.0):
        m_f = _positive("m", m)
        self.q = _positive("q", q)
        if self.q >= 1.0:
            raise ParameterError(f"q must be < 1, got {q!r}")
        self.exposure = _positive("exposure", exposure)
        total = m_f * self.exposure
        if abs(total - round(total)) > 1e-9 * max(1.0, total):
            raise ParameterError(
                f"m × exposure must be a whole number of trials, got {m!r} × {exposure!r}"
            )
        self.m_unit = m_f
        self.m = int(round(total))
        self.a = -self.q / (1.0 - self.q)
        self.b = (self.m + 1) * self.q / (1.0 - self.q)
        self.p0 = (1.0 - self.q) ** self.m

    def with_exposure(self, exposure: float) -> Binomial:
        return Binomial(self.m_unit, self.q, exposure)

    def pmf(self, k):
        return stats.binom.pmf(k, self.m, self.q)

    def pgf(self, z):
        return (1.0 + self.q * (np.asarray(z) - 1.0)) ** self.m

    def cumulants(self):
        m, q = self.m, self.q
        return m * q, m * q * (1 - q), m * q * (1 - q) * (1 - 2 * q)

    def rvs(self, size, seed):
        return _rng(seed).binomial(self.m, self.q, size)

    def _ppf(self, v):
        return stats.binom.ppf(v, self.m, self.q)

    def __repr__(self) -> str:
        return f"Binomial(m={self.m_unit!r}, q={self.q!r}, exposure={self.exposure!r})"


class ZeroModified(FrequencyModel):
    """Zero-modified member of the (a, b, 1) class built on an (a, b, 0) law.

    ``P[N=0] = p0``, ``P[N=k] = (1-p0)/(1-p0_base) · P_base[N=k]`` for k ≥ 1; pgf
    ``P^M(z) = p0 + (1-p0) (P(z) - p0_base)/(1 - p0_base)``.

    Parameters
    ----------
    base : Poisson | NegativeBinomial | Binomial | Logarithmic | ExtendedTruncatedNB
        The law whose recursion (a, b) is kept: an (a, b, 0) law, or one of the zero-truncated
        (a, b, 1) laws of :mod:`puhui.losses.frequency_ab1` (then ``p0_base = 0``).
    p0 : float
        Probability of no claim, in [0, 1).  ``p0 = 0`` is the zero-truncated law.

    Examples
    --------
    >>> zm = ZeroModified(Poisson(1.0), p0=0.6)
    >>> round(float(zm.pmf(0)), 3), round(zm.mean(), 4)
    (0.6, 0.6328)
    """

    def __init__(self, base: FrequencyModel, p0: float):
        if not getattr(base, "zero_modifiable", False):
            raise ParameterError(
                "base must be a Poisson, NegativeBinomial or Binomial model (the (a, b, 0) "
                "class) or a Logarithmic / ExtendedTruncatedNB law, got "
                f"{type(base).__name__}"
            )
        p0 = _positive("p0", p0, allow_zero=True)
        if p0 >= 1.0:
            raise ParameterError(f"p0 must be < 1, got {p0!r}")
        if base.p0 >= 1.0:
            raise ParameterError("the base law has P[N=0] = 1; nothing to modify")
        self.base = base
        self.p0 = p0
        self.a, self.b = base.a, base.b
        self._scale = (1.0 - p0) / (1.0 - base.p0)

    @property
    def is_zero_modified(self) -> bool:
        return True

    @property
    def exposure(self) -> float:
        return self.base.exposure

    def with_exposure(self, exposure: float) -> ZeroModified:
        return type(self)(self.base.with_exposure(exposure), self.p0)

    def pmf(self, k):
        k = np.asarray(k)
        out = np.where(k == 0, self.p0, self._scale * self.base.pmf(k))
        return out if out.ndim else float(out)

    def pgf(self, z):
        return self.p0 + self._scale * (self.base.pgf(z) - self.base.p0)

    def cumulants(self):
        m1, m2, m3 = (self._scale * m for m in self.base.raw_moments())
        return m1, m2 - m1**2, m3 - 3 * m2 * m1 + 2 * m1**3

    def rvs(self, size, seed):
        rng = _rng(seed)
        u = rng.random(size)
        # positive part by inversion of the zero-truncated base cdf
        v = self.base.p0 + rng.random(size) * (1.0 - self.base.p0)
        positive = self.base._ppf(v)
        return np.where(u < self.p0, 0, np.maximum(positive, 1)).astype(np.int64)

    def __repr__(self) -> str:
        return f"ZeroModified({self.base!r}, p0={self.p0!r})"


class ZeroTruncated(ZeroModified):
    """Zero-truncated law: the (a, b, 1) member with ``P[N=0] = 0``.

    Examples
    --------
    >>> round(ZeroTruncated(Poisson(1.0)).mean(), 4)
    1.582
    """

    def __init__(self, base: FrequencyModel, p0: float = 0.0):
        if p0 != 0.0:
            raise ParameterError("a zero-truncated law has p0 = 0; use ZeroModified instead")
        super().__init__(base, 0.0)

    def with_exposure(self, exposure: float) -> ZeroTruncated:
        return ZeroTruncated(self.base.with_exposure(exposure))

    def __repr__(self) -> str:
        return f"ZeroTruncated({self.base!r})"


def as_frequency(obj) -> FrequencyModel:
    """Accept a puhui frequency model or a frozen ``scipy.stats`` poisson / nbinom / binom /
    logser.

    Examples
    --------
    >>> as_frequency(stats.poisson(3.0)).lam
    3.0
    """
    if isinstance(obj, FrequencyModel):
        return obj
    dist = getattr(obj, "dist", None)
    name = getattr(dist, "name", None)
    if name == "logser" and dict(obj.kwds).get("loc", 0) == 0 and len(obj.args) <= 1:
        p = obj.args[0] if obj.args else obj.kwds["p"]
        return Logarithmic(p / (1.0 - p))
    if name in ("poisson", "nbinom", "binom"):
        args, kwds = list(obj.args), dict(obj.kwds)
        if kwds.get("loc", 0) != 0 or (name == "poisson" and len(args) > 1 and args[1] != 0):
            raise ParameterError("shifted (loc ≠ 0) scipy count laws are not supported")
        if name == "poisson":
            mu = args[0] if args else kwds["mu"]
            return Poisson(mu)
        n = args[0] if args else kwds["n"]
        p = args[1] if len(args) > 1 else kwds["p"]
        if name == "nbinom":
            return NegativeBinomial(n, (1.0 - p) / p)
        return Binomial(n, p)
    raise ParameterError(
        "frequency must be a puhui frequency model (Poisson, NegativeBinomial, Binomial, "
        "ZeroModified, ZeroTruncated, Logarithmic, ExtendedTruncatedNB) or a frozen scipy "
        f"poisson/nbinom/binom/logser, got {obj!r}"
    )
