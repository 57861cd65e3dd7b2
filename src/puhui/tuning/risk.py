"""P(combined ratio > 100%) of a portfolio, vectorised over designs (NP2 or normal, mixed).

For a portfolio of ``N_s`` members in segment ``s`` the aggregate payout ``S = Σ_i Y_i`` has the
cumulants ``κ_j(S) = Σ_s N_s κ_j(Y_s)`` (members independent). With price ``P`` per member,
variable expense rate ``v`` and expense ``e`` per member, the combined ratio (综合成本率) is
``CR = (S + v·N·P + e·N)/(N·P)``, so ``CR > 1 ⇔ S > T = N (P (1 − v) − e)``.

``P(S > T)`` is taken from the normal-power approximation NP2 (Daykin, Pentikäinen & Pesonen,
*Practical Risk Theory for Actuaries*, 1994, ch. 3; actuar's ``"npower"``): with
``z = (T − μ)/σ`` and skewness ``γ``,

    P(S ≤ T) ≈ Φ(y),   y = (3/γ)(√(1 + γ²/9 + 2γz/3) − 1) = (γ/3 + 2z)/(1 + √(1 + γ²/9 + 2γz/3)),

the root of ``z = y + γ(y² − 1)/6`` that tends to ``z`` as ``γ → 0`` (the second form has no
division by γ, so γ = 0 gives the normal law). Where the square root is of a negative number the
threshold lies beyond the range the approximation covers and the cdf is 0 (γ > 0) or 1 (γ < 0).
This is the same formula as :class:`puhui.losses.aggregate_dist.ApproxAggregate` for
``x > μ``, written again here because that class holds one scalar law and K designs need
arrays.

Parameter uncertainty (参数不确定性): the claim level is uncertain — next year's claims are
``Θ·S`` with ``Θ`` lognormal, ``E[Θ] = 1`` and coefficient of variation ``c``
(``σ_Θ² = ln(1 + c²)``, ``μ_Θ = −σ_Θ²/2``), independent of ``S``. Then
``P(Θ S > T) = E_Θ[P(S > T/Θ)] = E_S[P(ln Θ > ln T − ln S)]``. Both forms are integrated by
Gauss–Hermite quadrature (``numpy.polynomial.hermite_e.hermegauss``): over ``ln Θ`` when the
process is the wider source of spread (CV of S ≥ σ_Θ), otherwise over the NP2 normal variable of
S (``S = μ + σ(Y + γ(Y² − 1)/6)``, ``Y ~ N(0, 1)``), so that the integrand is never a near-step
— with a million members the process CV is ~1% and the parameter CV 5–10%.
"""

from __future__ import annotations

import warnings

import numpy as np
from numpy.polynomial.hermite_e import hermegauss
from scipy import special

from puhui.errors import ParameterError
from puhui.losses.aggregate_dist import AccuracyWarning

__all__ = ["exceedance_probability", "np2_cdf"]

METHODS = ("np2", "normal")


def np2_cdf(x, mean, var, skew):
    """NP2 approximation of ``P(S ≤ x)`` from the mean, variance and skewness (vectorised).

    Examples
    --------
    >>> round(float(np2_cdf(0.0, 0.0, 1.0, 0.0)), 6)  # γ = 0: the normal law
    0.5
    """
    x, mean, var, skew = np.broadcast_arrays(*(np.asarray(v, dtype=float)
                                               for v in (x, mean, var, skew)))
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        z = (x - mean) / np.sqrt(var)
        inner = 1.0 + skew**2 / 9.0 + 2.0 * skew * z / 3.0
        y = (skew / 3.0 + 2.0 * z) / (1.0 + np.sqrt(np.maximum(inner, 0.0)))
        y = np.where(inner >= 0, y, np.where(skew > 0, -np.inf, np.inf))
        # a degenerate law (σ = 0) sits at its mean
        y = np.where(var > 0, y, np.where(x >= mean, np.inf, -np.inf))
    return special.ndtr(y)[()]


def exceedance_probability(threshold, mean, var, third, *, method: str = "np2",
                           cv: float = 0.0, nodes: int = 40):
    """``P(Θ·S > threshold)`` for aggregates given by their cumulants, vectorised.

    Parameters
    ----------
    threshold : array_like
        ``T`` in yuan (e.g. ``N (P (1 − v) − e)`` for ``CR > 100%``).
    mean, var, third : array_like
        ``κ₁, κ₂, κ₃`` of the aggregate ``S`` (yuan, yuan², yuan³).
    method : {"np2", "normal"}
        NP2 uses the skewness ``κ₃/κ₂^{3/2}``; "normal" ignores it.
    cv : float, default 0
        Coefficient of variation of the lognormal claim-level factor ``Θ`` (0 = none).
    nodes : int, default 40
        Gauss–Hermite nodes for the mixture over ``Θ``.
    """
    if method not in METHODS:
        raise ParameterError(f"method: use one of {METHODS}, got {method!r}")
    cv = float(cv)
    if not (np.isfinite(cv) and cv >= 0):
        raise ParameterError(f"cv: the claim-level coefficient of variation must be ≥ 0, "
                             f"got {cv!r}")
    t = np.asarray(threshold, dtype=float)
    mean = np.asarray(mean, dtype=float)
    var = np.asarray(var, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        skew = np.asarray(third, dtype=float) / var**1.5 if method == "np2" else np.zeros(1)
    if method == "np2":  # a degenerate aggregate (σ = 0) needs no skewness
        skew = np.where(var > 0, skew, 0.0)
    if method == "np2" and not np.all(np.isfinite(skew)):
        warnings.warn("the third moment of the aggregate is infinite or undefined for some "
                      "designs (a heavy tail without a cap): NP2 falls back to the normal "
                      "approximation there", AccuracyWarning, stacklevel=2)
        skew = np.where(np.isfinite(skew), skew, 0.0)
    if cv == 0.0:
        return (1.0 - np2_cdf(t, mean, var, skew))[()]
    s2 = np.log1p(cv**2)
    sd_theta, mu_theta = np.sqrt(s2), -s2 / 2.0
    u, w = hermegauss(int(nodes))
    w = w / w.sum()
    shape = np.broadcast_shapes(t.shape, mean.shape, var.shape, skew.shape)
    over_theta = np.zeros(shape)
    over_s = np.zeros(shape)
    sd = np.sqrt(var)
    g = np.broadcast_to(skew, shape)
    with np.errstate(divide="ignore", invalid="ignore"):
        # NP2 quantile map y ↦ x = μ + σ(y + γ(y² − 1)/6), monotone for γy > −3 (an atom below)
        y_floor = np.where(g > 0, -3.0 / np.where(g > 0, g, 1.0), -np.inf)
        y_ceil = np.where(g < 0, -3.0 / np.where(g < 0, g, -1.0), np.inf)
        log_t = np.log(t)
        for uq, wq in zip(u, w, strict=True):  # loops over quadrature nodes, not designs
            theta = np.exp(mu_theta + sd_theta * uq)
            over_theta = over_theta + wq * (1.0 - np2_cdf(t / theta, mean, var, skew))
            y = np.clip(uq, y_floor, y_ceil)
            x = mean + sd * (y + g * (y * y - 1.0) / 6.0)
            inner = np.where(x > 0, (np.log(np.where(x > 0, x, 1.0)) + mu_theta - log_t)
                             / sd_theta, -np.inf)
            over_s = over_s + wq * special.ndtr(inner)
        process_cv = sd / mean
    # integrate over whichever factor is the wider one: the integrand is then smooth
    use_s = (process_cv < sd_theta) & (mean > 0) & (t > 0)
    return np.where(use_s, over_s, over_theta)[()]
