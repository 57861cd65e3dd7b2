"""The (a, b, 1) members that are not modified (a, b, 0) laws: logarithmic and ETNB.

Klugman, Panjer & Willmot, *Loss Models*, §6.6: besides the zero-truncated and zero-modified
Poisson, binomial and negative binomial, the (a, b, 1) class holds laws whose recursion
``p_k = (a + b/k) p_{k-1}`` (k ≥ 2) has no (a, b, 0) counterpart:

* the **logarithmic** law, ``a = β/(1+β)``, ``b = −a``::

      p_k = (β/(1+β))^k / (k ln(1+β)),   k ≥ 1,      P(z) = 1 − ln(1 − β(z−1)) / ln(1+β)

* the **extended truncated negative binomial** (ETNB), the zero-truncated NB formula with
  ``−1 < r < 0`` allowed (r > 0 is the ordinary zero-truncated NB)::

      a = β/(1+β),  b = (r−1)β/(1+β),   p_1 = rβ / ((1+β)^{r+1} − (1+β)),
      P(z) = [(1 − β(z−1))^{−r} − (1+β)^{−r}] / [1 − (1+β)^{−r}]

  The logarithmic law is its limit as r → 0.

Both have ``P[N = 0] = 0``; wrap them in :class:`~puhui.losses.frequency.ZeroModified` to put
mass at zero (the zero-modified logarithmic and ETNB of *Loss Models*).

Moments. For NB(r, β) the raw moments ``E[N^j]`` are polynomials in r that vanish at r = 0;
they stay valid for −1 < r < 0 as identities of the pgf, and truncation divides them by
``1 − (1+β)^{−r}`` (``N^j`` is 0 at N = 0). The logarithmic moments are the r → 0 limit: the
r-linear coefficients ``β, β(1+β), β(1+β)(1+2β)`` divided by ``ln(1+β)``.

scipy has the logarithmic law (``scipy.stats.logser``, used here for the pmf and draws) but
not the ETNB: its pmf is computed here from the closed form with ``scipy.special.gammaln``.
"""

from __future__ import annotations

import math

import numpy as np
from scipy import special, stats

from puhui.errors import ParameterError

from .frequency_base import FrequencyModel, _positive, _rng

__all__ = ["Logarithmic", "ExtendedTruncatedNB"]


def _nb_raw_moments(r: float, beta: float) -> tuple[float, float, float]:
    """E[N], E[N²], E[N³] of NB(r, β) as polynomials in r (valid for any real r)."""
    k1 = r * beta
    k2 = r * beta * (1 + beta)
    k3 = r * beta * (1 + beta) * (1 + 2 * beta)
    return k1, k2 + k1**2, k3 + 3 * k2 * k1 + k1**3


def _cumulants_from_raw(m1: float, m2: float, m3: float) -> tuple[float, float, float]:
    return m1, m2 - m1**2, m3 - 3 * m2 * m1 + 2 * m1**3


class Logarithmic(FrequencyModel):
    """Logarithmic law with parameter β > 0 (a zero-truncated (a, b, 1) member).

    ``p_k = (β/(1+β))^k / (k ln(1+β))`` for k ≥ 1; mean ``β / ln(1+β)``. scipy's
    ``logser(p)`` with ``p = β/(1+β)``.

    Examples
    --------
    >>> n = Logarithmic(1.0)
    >>> round(n.mean(), 6), round(float(n.pmf(1)), 6)     # 1/ln 2, (1/2)/ln 2
    (1.442695, 0.721348)
    """

    zero_modifiable = True

    def __init__(self, beta: float):
        self.beta = _positive("beta", beta)
        self.a = self.beta / (1.0 + self.beta)
        self.b = -self.a
        self.p0 = 0.0
        self.exposure = 1.0
        self._log1pb = math.log1p(self.beta)

    @property
    def is_zero_modified(self) -> bool:  # p1 ≠ (a + b) p0 = 0: Panjer needs the (a, b, 1) term
        return True

    def pmf(self, k):
        return stats.logser.pmf(k, self.a)

    def pgf(self, z):
        return 1.0 - np.log(1.0 - self.beta * (np.asarray(z) - 1.0)) / self._log1pb

    def cumulants(self):
        b, lg = self.beta, self._log1pb
        return _cumulants_from_raw(b / lg, b * (1 + b) / lg, b * (1 + b) * (1 + 2 * b) / lg)

    def rvs(self, size, seed):
        return stats.logser.rvs(self.a, size=size, random_state=_rng(seed)).astype(np.int64)

    def _ppf(self, v):
        """Quantiles from the tabulated cdf (scipy's ``logser.ppf`` searches value by value and
        took ~10 s for 10⁵ draws)."""
        return _tabulated_ppf(self, v)

    def with_exposure(self, exposure: float):
        raise ParameterError("a logarithmic count has no exposure scaling (the sum of "
                             "logarithmic counts is not logarithmic); model the number of "
                             "claim events instead, e.g. a compound Poisson–logarithmic = NB")

    def __repr__(self) -> str:
        return f"Logarithmic(beta={self.beta!r})"


def _tabulated_ppf(law, v):
    """Quantiles of an (a, b, 1) count with 0 < a < 1 from its cdf tabulated until the tail is
    below 1e-16: the tail of k ≥ K behaves like a^K k^{r−1} (logarithmic: r = 0), so K = 37/−ln a
    plus a margin of 50 (e^{−37} ≈ 1e-16)."""
    end = int(max(50, math.ceil(37.0 / -math.log(law.a)) + 50))
    cdf = np.cumsum(law.pmf(np.arange(end + 1)))
    return np.searchsorted(cdf, np.asarray(v) * cdf[-1], side="left").astype(float)


class ExtendedTruncatedNB(FrequencyModel):
    """Extended truncated negative binomial ETNB(r, β), r > −1, r ≠ 0, β > 0.

    For r > 0 this is the zero-truncated NB; for −1 < r < 0 it is the extension of
    *Loss Models* §6.6 (no (a, b, 0) counterpart). pmf for k ≥ 1::

        p_k = Γ(k+r) / (Γ(r) k!) · (β/(1+β))^k / ((1+β)^r − 1)

    Examples
    --------
    >>> n = ExtendedTruncatedNB(-0.5, 1.0)   # Loss Models §6.6: p1, p2, p3
    >>> [round(float(n.pmf(k)), 6) for k in (1, 2, 3)]
    [0.853553, 0.106694, 0.026674]
    """

    zero_modifiable = True

    def __init__(self, r: float, beta: float):
        try:
            r = float(r)
        except (TypeError, ValueError):
            raise ParameterError(f"r must be a number, got {r!r}") from None
        if not math.isfinite(r) or r <= -1.0 or r == 0.0:
            raise ParameterError(f"r must be finite, > −1 and ≠ 0 (r = 0 is the logarithmic "
                                 f"law: use Logarithmic), got {r!r}")
        self.r = r
        self.beta = _positive("beta", beta)
        self.a = self.beta / (1.0 + self.beta)
        self.b = (self.r - 1.0) * self.a
        self.p0 = 0.0
        self.exposure = 1.0
        # 1 − (1+β)^{−r}: positive for r > 0, negative for r < 0; (1+β)^r − 1 has the sign of r
        self._norm = -math.expm1(-self.r * math.log1p(self.beta))

    @property
    def is_zero_modified(self) -> bool:  # p1 ≠ (a + b) p0 = 0: Panjer needs the (a, b, 1) term
        return True

    def pmf(self, k):
        k = np.asarray(k, dtype=float)
        valid = (k >= 1) & (k == np.floor(k))
        kk = np.where(valid, k, 1.0)
        r, lb = self.r, math.log1p(self.beta)
        # Γ(k+r)/Γ(r) = r Γ(k+r)/Γ(r+1), with Γ(r+1) > 0 and Γ(k+r) > 0 for k ≥ 1, r > −1
        log_ratio = (special.gammaln(kk + r) - special.gammaln(r + 1.0)
                     - special.gammaln(kk + 1.0))
        log_mag = log_ratio + kk * math.log(self.a) - math.log(abs(math.expm1(r * lb)))
        # sign: r / ((1+β)^r − 1) > 0 for every admissible r
        out = np.where(valid, abs(r) * np.exp(log_mag), 0.0)
        return out if out.ndim else float(out)

    def pgf(self, z):
        z = np.asarray(z)
        return ((1.0 - self.beta * (z - 1.0)) ** (-self.r)
                - (1.0 + self.beta) ** (-self.r)) / self._norm

    def cumulants(self):
        m = _nb_raw_moments(self.r, self.beta)
        return _cumulants_from_raw(*(x / self._norm for x in m))

    def rvs(self, size, seed):
        """Inverse-cdf draws (:meth:`_ppf` of uniforms)."""
        return self._ppf(_rng(seed).random(size)).astype(np.int64)

    def _ppf(self, v):
        """Quantiles from the tabulated cdf (scipy has no ETNB)."""
        return _tabulated_ppf(self, v)

    def with_exposure(self, exposure: float):
        raise ParameterError("an ETNB count has no exposure scaling; fit it to the counts of "
                             "the exposure you price")

    def __repr__(self) -> str:
        return f"ExtendedTruncatedNB(r={self.r!r}, beta={self.beta!r})"
