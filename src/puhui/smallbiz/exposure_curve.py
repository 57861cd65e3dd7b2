"""Property damage ratios (损失程度): the MBBEFD exposure curves of Bernegger (1997).

A property loss is a share ``X = loss / sum insured`` (损失率, damage ratio) of the sum insured
(保险金额) ``V``, on ``[0, 1]`` with an atom at 1 (全损, total loss). Bernegger's MBBEFD class
(Maxwell–Boltzmann, Bose–Einstein, Fermi–Dirac; S. Bernegger, "The Swiss Re exposure curves and
the MBBEFD distribution class", ASTIN Bulletin 27(1), 1997, 99–111) gives, for ``b > 0`` and
``g ≥ 1``:

* the exposure curve (暴露曲线) ``G(d) = E[min(X, d)] / E[X]``, the share of the expected loss
  below a deductible or retention of ``d·V``:

  ``G(d) = ln[((g − 1) b + (1 − g b) b^d) / (1 − b)] / ln(g b)``  (b ≠ 1, g b ≠ 1, g > 1),
  ``G(d) = ln(1 + (g − 1) d) / ln g``  (b = 1),  ``G(d) = (1 − b^d) / (1 − b)``  (g b = 1),
  ``G(d) = d``  (g = 1: every loss is a total loss);

* the damage-ratio law ``F(x) = 1 − (1 − b) / ((g − 1) b^{1−x} + 1 − g b)`` for ``0 ≤ x < 1``
  (``1 − 1/(1 + (g − 1) x)`` for b = 1, ``1 − b^x`` for g b = 1), ``F(1) = 1``; the total-loss
  probability is ``P(X = 1) = 1/g``;
* the mean ``E[X] = 1/G'(0) = ln(g b)(1 − b) / (ln b (1 − g b))``.

The Swiss Re curves are the one-parameter family ``b = exp(3.1 − 0.15 (1 + c) c)``,
``g = exp((0.78 + 0.12 c) c)`` (Bernegger 1997, section 5), with ``c = 1.5, 2, 3, 4`` giving
the Swiss Re curves Y1–Y4 (personal lines → large industrial risks) and ``c = 5`` the Lloyd's
curve (:data:`SWISS_RE_C`). A larger c means smaller damage ratios (a big plant rarely burns
down whole), so a deductible of the same share removes more of the expected loss.

:class:`DamageRatioLaw` is the loss ``Y = V·X`` in yuan as a loss model of
:mod:`puhui.losses` (``lev``, ``lev_moment``, ``cdf``, ``sf``, ``mean``), so a property benefit
(每次事故免赔额, 赔付比例, the sum insured as cap) is priced by
:func:`puhui.losses.expected_payout` like any other: ``E[(Y − d)₊ ∧ V] = V·E[X]·(1 − G(d/V))``.

>>> b, g = swiss_re_curve(3.0)                 # Y3
>>> round(b, 6), round(g, 4)
(3.669297, 30.5694)
>>> round(float(exposure_curve(0.1, b, g)), 4)  # 10% of the sum insured as deductible
0.4056
"""

from __future__ import annotations

import math

import numpy as np

from ..errors import ParameterError

__all__ = ["SWISS_RE_C", "DamageRatioLaw", "damage_ratio_cdf", "excess_moments", "exposure_curve",
           "mean_damage_ratio", "swiss_re_curve"]

#: The Swiss Re curves as values of Bernegger's c (1997, section 5).
SWISS_RE_C = {"Y1": 1.5, "Y2": 2.0, "Y3": 3.0, "Y4": 4.0, "Lloyds": 5.0}

_TOL = 1e-9          # |b − 1|, |g b − 1|, g − 1 below this: the limiting form
_GL_X, _GL_W = np.polynomial.legendre.leggauss(48)


def swiss_re_curve(c: float) -> tuple[float, float]:
    """``(b, g)`` of the Swiss Re curve with parameter ``c ≥ 0`` (Bernegger 1997, eq. 5.1–5.2):
    ``b = exp(3.1 − 0.15 (1 + c) c)``, ``g = exp((0.78 + 0.12 c) c)``.

    >>> [round(swiss_re_curve(c)[1], 3) for c in (1.5, 2.0)]      # g of Y1, Y2
    [4.221, 7.691]
    """
    c = _finite(c, "c")
    if c < 0:
        raise ParameterError(f"c: the Swiss Re curve parameter must be ≥ 0, got {c!r}")
    return math.exp(3.1 - 0.15 * (1.0 + c) * c), math.exp((0.78 + 0.12 * c) * c)


def _finite(x, name: str) -> float:
    if isinstance(x, bool) or not isinstance(x, int | float | np.integer | np.floating):
        raise ParameterError(f"{name} must be a number, got {x!r}")
    x = float(x)
    if not math.isfinite(x):
        raise ParameterError(f"{name} must be finite, got {x!r}")
    return x


def _check_bg(b, g) -> tuple[float, float]:
    b, g = _finite(b, "b"), _finite(g, "g")
    if b <= 0:
        raise ParameterError(f"b: the MBBEFD parameter b must be > 0, got {b!r}")
    if g < 1:
        raise ParameterError(f"g: the MBBEFD parameter g must be ≥ 1 (1/g = P(total loss)), "
                             f"got {g!r}")
    return b, g


def _case(b: float, g: float) -> str:
    if g - 1.0 < _TOL:
        return "total"
    if abs(b - 1.0) < _TOL:
        return "b1"
    if abs(g * b - 1.0) < _TOL:
        return "gb1"
    return "general"


def _ratios(d) -> np.ndarray:
    d = np.asarray(d, dtype=float)
    if np.any(np.isnan(d)):
        raise ParameterError("damage ratios must not be NaN")
    return d


def exposure_curve(d, b: float, g: float):
    """``G(d)`` of the MBBEFD law with parameters ``(b, g)``, vectorised over ``d``; ``d`` is
    clipped to ``[0, 1]`` (a retention above the sum insured removes everything).

    >>> round(float(exposure_curve(0.5, 1.0, math.e)), 6)     # b = 1: ln(1 + (e − 1)/2)
    0.620115
    """
    b, g = _check_bg(b, g)
    x = np.clip(_ratios(d), 0.0, 1.0)
    case = _case(b, g)
    if case == "total":
        out = x
    elif case == "b1":
        out = np.log1p((g - 1.0) * x) / math.log(g)
    elif case == "gb1":
        out = (1.0 - b**x) / (1.0 - b)
    else:
        out = np.log(((g - 1.0) * b + (1.0 - g * b) * b**x) / (1.0 - b)) / math.log(g * b)
    return np.clip(out, 0.0, 1.0)[()]  # G(0) = 0 and G(1) = 1 exactly (not −1e-16 by rounding)


def mean_damage_ratio(b: float, g: float) -> float:
    """``E[X] = 1/G'(0)`` (Bernegger 1997, eq. 2.9 and its limits).

    >>> round(mean_damage_ratio(*swiss_re_curve(0.0)), 6) == 1.0     # c = 0: total losses
    True
    """
    b, g = _check_bg(b, g)
    case = _case(b, g)
    if case == "total":
        return 1.0
    if case == "b1":
        return math.log(g) / (g - 1.0)
    if case == "gb1":
        return (1.0 - b) / -math.log(b)
    return math.log(g * b) * (1.0 - b) / (math.log(b) * (1.0 - g * b))


def damage_ratio_cdf(x, b: float, g: float):
    """``F(x) = P(X ≤ x)``, vectorised; 0 below 0, 1 from 1 on (the atom ``1/g`` at 1)."""
    b, g = _check_bg(b, g)
    x = _ratios(x)
    case = _case(b, g)
    inner = np.clip(x, 0.0, 1.0)
    if case == "total":
        sf = np.ones_like(inner)
    elif case == "b1":
        sf = 1.0 / (1.0 + (g - 1.0) * inner)
    elif case == "gb1":
        sf = b**inner
    else:
        sf = (1.0 - b) / ((g - 1.0) * b ** (1.0 - inner) + 1.0 - g * b)
    out = np.where(x < 0, 0.0, np.where(x >= 1.0, 1.0, 1.0 - sf))
    return out[()]


class DamageRatioLaw:
    """The loss ``Y = V·X`` (元) of a risk with sum insured ``V`` and MBBEFD damage ratio ``X``.

    A loss model of :mod:`puhui.losses` (``lev``, ``lev_moment``, ``cdf``, ``sf``, ``mean``):

    * ``lev(u) = V·E[X]·G(min(u/V, 1))``;
    * ``lev_moment(u, k) = V^k ∫_0^t k x^{k−1} (1 − F(x)) dx`` with ``t = min(u/V, 1)``
      (48-point Gauss–Legendre on ``[0, t)``, where ``1 − F`` is smooth, plus nothing at the
      atom: ``min(X, t) < 1`` there only when t < 1);
    * ``cdf``/``sf`` from :func:`damage_ratio_cdf`.

    Parameters
    ----------
    sum_insured : float
        ``V`` in yuan, > 0 (保险金额).
    b, g : float
        MBBEFD parameters (``b > 0``, ``g ≥ 1``), or use :meth:`swiss_re`.

    Examples
    --------
    >>> from puhui.benefits import Benefit
    >>> from puhui.losses import expected_payout
    >>> law = DamageRatioLaw.swiss_re(1_000_000, 3.0)
    >>> pay = float(expected_payout(law, Benefit(deductible=10_000, cap=1_000_000)))
    >>> round(pay / law.mean(), 6) == round(1 - float(exposure_curve(0.01, law.b, law.g)), 6)
    True
    """

    def __init__(self, sum_insured: float, b: float, g: float):
        v = _finite(sum_insured, "sum_insured")
        if v <= 0:
            raise ParameterError(f"sum_insured: 保险金额 must be > 0 yuan, got {sum_insured!r}")
        self.b, self.g = _check_bg(b, g)
        self.sum_insured = v
        self._mu = mean_damage_ratio(self.b, self.g)

    @classmethod
    def swiss_re(cls, sum_insured: float, c: float) -> DamageRatioLaw:
        """The law on the Swiss Re curve ``c`` (:func:`swiss_re_curve`)."""
        return cls(sum_insured, *swiss_re_curve(c))

    def _t(self, u) -> np.ndarray:
        u = np.asarray(u, dtype=float)
        if np.any(np.isnan(u)):
            raise ParameterError("limits must not be NaN")
        return np.clip(u / self.sum_insured, 0.0, 1.0)

    def lev(self, u):
        t = self._t(u)
        return (self.sum_insured * self._mu * np.asarray(exposure_curve(t, self.b, self.g)))[()]

    def lev_moment(self, u, k: float = 2):
        k = _finite(k, "k")
        if k <= 0:
            raise ParameterError(f"k must be > 0, got {k!r}")
        if k == 1:
            return self.lev(u)
        t = self._t(u)
        # ∫_0^t k x^{k−1} S(x) dx by Gauss–Legendre on [0, t): nodes t(ξ + 1)/2
        x = t[..., None] * (_GL_X + 1.0) / 2.0
        sf = 1.0 - np.asarray(damage_ratio_cdf(np.minimum(x, np.nextafter(1.0, 0.0)),
                                               self.b, self.g))
        integral = (t / 2.0) * np.sum(_GL_W * k * x ** (k - 1.0) * sf, axis=-1)
        return (self.sum_insured**k * integral)[()]

    def cdf(self, y):
        y = np.asarray(y, dtype=float)
        return damage_ratio_cdf(y / self.sum_insured, self.b, self.g)

    def sf(self, y):
        return (1.0 - np.asarray(self.cdf(y)))[()]

    def mean(self) -> float:
        return self.sum_insured * self._mu

    def total_loss_probability(self) -> float:
        """``P(X = 1) = 1/g`` (全损概率)."""
        return 1.0 / self.g

    def __repr__(self) -> str:
        return f"DamageRatioLaw(sum_insured={self.sum_insured:g}, b={self.b:.6g}, g={self.g:.6g})"


def excess_moments(delta, b: float, g: float, orders=(1, 2, 3)) -> tuple[np.ndarray, ...]:
    """``E[((X − δ)₊)^k]`` of the damage ratio for each ``k`` in ``orders``, vectorised over
    ``δ ∈ [0, 1]``: ``∫_δ^1 k (x − δ)^{k−1} (1 − F(x)) dx`` (48-point Gauss–Legendre; the
    atom at 1 is inside ``1 − F`` on ``[δ, 1)``). ``k = 1`` is ``E[X](1 − G(δ))``.

    >>> b, g = swiss_re_curve(2.0)
    >>> m1, = excess_moments(0.05, b, g, orders=(1,))
    >>> bool(abs(m1 - mean_damage_ratio(b, g) * (1 - exposure_curve(0.05, b, g))) < 1e-12)
    True
    """
    b, g = _check_bg(b, g)
    d = np.clip(_ratios(delta), 0.0, 1.0)
    out = []
    for k in orders:  # two or three orders, not a loop over risks
        if k == 1:
            out.append(mean_damage_ratio(b, g) * (1.0 - np.asarray(exposure_curve(d, b, g))))
            continue
        width = 1.0 - d
        x = d[..., None] + width[..., None] * (_GL_X + 1.0) / 2.0
        sf = 1.0 - np.asarray(damage_ratio_cdf(np.minimum(x, np.nextafter(1.0, 0.0)), b, g))
        out.append((width / 2.0) * np.sum(_GL_W * k * (x - d[..., None]) ** (k - 1) * sf,
                                          axis=-1))
    return tuple(np.asarray(m, dtype=float) for m in out)
