"""The interface every claim-count model (出险次数模型) shares, and its argument checks.

:class:`FrequencyModel` is the base of the (a, b, 0) laws of :mod:`puhui.losses.frequency` and of
the (a, b, 1) laws of :mod:`puhui.losses.frequency_ab1`; both modules import it from here, so
neither imports the other for it. Derived quantities come from the cumulants ``κ₁, κ₂, κ₃``::

    E[N] = κ₁,  Var[N] = κ₂,  skew = κ₃ / κ₂^{3/2},
    E[N²] = κ₂ + κ₁²,  E[N³] = κ₃ + 3 κ₂ κ₁ + κ₁³

and ``P[N ≤ k]`` from the cumulated pmf.

Example
-------
>>> from puhui.losses.frequency import Poisson
>>> n = Poisson(2.0)
>>> isinstance(n, FrequencyModel), n.raw_moments()     # E[N²] = λ + λ², E[N³] = λ³ + 3λ² + λ
(True, (2.0, 6.0, 22.0))
"""

from __future__ import annotations

import math

import numpy as np

from puhui.errors import ParameterError

__all__ = ["FrequencyModel"]


def _positive(name: str, value, *, allow_zero: bool = False) -> float:
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise ParameterError(f"{name} must be a number, got {value!r}") from None
    if not math.isfinite(v) or v < 0 or (v == 0 and not allow_zero):
        rule = "≥ 0" if allow_zero else "> 0"
        raise ParameterError(f"{name} must be finite and {rule}, got {value!r}")
    return v


def _rng(seed) -> np.random.Generator:
    if isinstance(seed, np.random.Generator):
        return seed
    if seed is None:
        raise ParameterError("seed is required (an int or a numpy.random.Generator)")
    return np.random.default_rng(seed)


class FrequencyModel:
    """Common interface of the claim-count models.

    Subclasses define ``a``, ``b``, ``p0``, :meth:`pmf`, :meth:`pgf`, :meth:`cumulants` and
    :meth:`rvs`.  ``p1`` is ``pmf(1)`` (needed by the (a, b, 1) Panjer recursion).
    """

    a: float
    b: float
    p0: float

    # -- interface -----------------------------------------------------------------------
    def pmf(self, k):  # pragma: no cover - abstract
        raise NotImplementedError

    def pgf(self, z):  # pragma: no cover - abstract
        raise NotImplementedError

    def cumulants(self) -> tuple[float, float, float]:  # pragma: no cover - abstract
        raise NotImplementedError

    def rvs(self, size, seed):  # pragma: no cover - abstract
        raise NotImplementedError

    # -- derived -------------------------------------------------------------------------
    @property
    def p1(self) -> float:
        """P[N = 1]."""
        return float(self.pmf(1))

    @property
    def is_zero_modified(self) -> bool:
        """True for (a, b, 1) members whose ``p1`` is not ``(a + b) p0`` (zero-modified or
        zero-truncated laws, logarithmic, ETNB): Panjer's recursion then needs the extra term
        ``(p1 − (a + b) p0) f_x``."""
        return False

    def cdf(self, k):
        """P[N ≤ k] (k may be an array; non-integers are floored)."""
        k = np.floor(np.asarray(k, dtype=float))
        kmax = int(np.nanmax(k)) if k.size and np.nanmax(k) >= 0 else 0
        cum = np.cumsum(self.pmf(np.arange(kmax + 1)))
        idx = np.clip(k, -1, kmax).astype(int)
        out = np.where(idx < 0, 0.0, cum[np.maximum(idx, 0)])
        return out if out.ndim else float(out)

    def mean(self) -> float:
        """E[N]."""
        return self.cumulants()[0]

    def var(self) -> float:
        """Var[N]."""
        return self.cumulants()[1]

    def std(self) -> float:
        """Standard deviation of N."""
        return math.sqrt(self.var())

    def skew(self) -> float:
        """Skewness E[(N-μ)^3]/σ^3."""
        k1, k2, k3 = self.cumulants()
        return k3 / k2**1.5

    def raw_moments(self) -> tuple[float, float, float]:
        """E[N], E[N^2], E[N^3] from the cumulants."""
        k1, k2, k3 = self.cumulants()
        return k1, k2 + k1**2, k3 + 3 * k2 * k1 + k1**3
