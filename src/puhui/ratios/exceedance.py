"""P(Θ·S > t): the chance that a year's claims pass a threshold, with parameter risk (one home).

The combined ratio (综合成本率) of a year with premium ``P``, variable expense rate ``v`` and fixed
expenses ``F`` is ``CR = S/P + v + F/P``, so ``P(CR > c) = P(S > t)`` with ``t = (c − v)·P − F``;
for ``N`` members at price ``p`` and expense ``e`` per member, ``CR > 100% ⇔ S > N (p (1 − v) −
e)``. Every P(CR > c) of puhui is :func:`exceedance_probability` of such a threshold:
:class:`puhui.ratios.CombinedRatioDistribution` (a law of ``S`` from
:func:`puhui.losses.aggregate`), :func:`puhui.tuning.evaluate` (K designs given by the cumulants
of ``S``) and :func:`puhui.pricing.price_from_experience` / ``price_from_model``.

**The law of S.** Either any loss law with ``cdf`` (FFT, Panjer, simulation …), or the cumulants
``κ₁, κ₂, κ₃`` of ``S``, vectorised over designs, with the normal-power approximation NP2
(Daykin, Pentikäinen & Pesonen, *Practical Risk Theory for Actuaries*, 1994, ch. 3; actuar's
``"npower"``): with ``z = (t − μ)/σ`` and skewness ``γ``::

    P(S ≤ t) ≈ Φ(y),   y = (3/γ)(√(1 + γ²/9 + 2γz/3) − 1) = (γ/3 + 2z)/(1 + √(1 + γ²/9 + 2γz/3)),

the root of ``z = y + γ(y² − 1)/6`` that tends to ``z`` as ``γ → 0`` (the second form has no
division by γ, so γ = 0 gives the normal law). Where the square root is of a negative number the
threshold lies beyond the range the approximation covers and the cdf is 0 (γ > 0) or 1 (γ < 0).
:class:`puhui.losses.aggregate_dist.ApproxAggregate` holds the same formula for one scalar law
and ``t > μ`` only (NaN below, as actuar); :func:`np2_cdf` takes arrays and every ``t``.

**Parameter risk** (参数不确定性: trend, anti-selection, a basis that is off): next year's claims
are ``Θ·S`` with ``Θ`` lognormal, ``E[Θ] = 1``, coefficient of variation ``c``
(``σ_Θ² = ln(1 + c²)``, ``μ_Θ = −σ_Θ²/2``), independent of ``S``::

    P(Θ S > t) = E_Θ[P(S > t/Θ)] = E_S[P(ln Θ > ln t − ln S)],

integrated by Gauss–Hermite quadrature (``numpy.polynomial.hermite_e.hermegauss``, 40 nodes by
default; written by hand because no library mixes a law over a scale factor). For a law of ``S``
the first form is used. For cumulants the integral runs over ``ln Θ`` when the process is the
wider source of spread (CV of S ≥ σ_Θ), otherwise over the NP2 normal variable of S
(``S = μ + σ(Y + γ(Y² − 1)/6)``, ``Y ~ N(0, 1)``), so that the integrand is never a near-step —
with a million members the process CV is ~1% and the parameter CV 5–10%.

Known limit of the law form: it integrates over ``Θ`` only, which is accurate (≤ 1e-7 against
adaptive quadrature) while the CV of S is at least ``c``; below that the integrand is a
near-step and 40 nodes miss, e.g. by 1e-2 at ``c = 0.1`` with a process CV of 1%, 6e-2 at
``c = 0.3`` (``tests/test_layers.py`` records it). Use the cumulant form there.
"""

from __future__ import annotations

import warnings

import numpy as np
from numpy.polynomial.hermite_e import hermegauss
from scipy import special

from puhui.errors import ParameterError
from puhui.losses.aggregate_dist import AccuracyWarning

__all__ = ["claims_cdf", "exceedance_probability", "np2_cdf"]

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


def _claim_level(cv, nodes) -> tuple[float, np.ndarray, np.ndarray, float, float]:
    """``cv`` checked, and the quadrature of ``Θ``: nodes ``u`` of N(0, 1), weights summing
    to 1, ``σ_Θ`` and ``μ_Θ`` (``Θ = exp(μ_Θ + σ_Θ u)``)."""
    try:
        cv = float(cv)
    except (TypeError, ValueError):
        raise ParameterError(f"cv: the claim-level coefficient of variation must be a number, "
                             f"got {cv!r}") from None
    if not (np.isfinite(cv) and cv >= 0):
        raise ParameterError(f"cv: the claim-level coefficient of variation must be ≥ 0, "
                             f"got {cv!r}")
    if isinstance(nodes, bool) or not isinstance(nodes, (int, np.integer)) or nodes < 1:
        raise ParameterError(f"nodes: a whole number ≥ 1 of Gauss–Hermite nodes, got {nodes!r}")
    if cv == 0.0:
        return cv, np.zeros(1), np.ones(1), 0.0, 0.0
    s2 = np.log1p(cv**2)
    u, w = hermegauss(int(nodes))
    return cv, u, w / w.sum(), np.sqrt(s2), -s2 / 2.0


def exceedance_probability(threshold, mean=None, var=None, third=None, *, law=None,
                           method: str = "np2", cv: float = 0.0, nodes: int = 40):
    """``P(Θ·S > threshold)``: the chance that claims pass ``threshold``, vectorised.

    Parameters
    ----------
    threshold : array_like
        ``t`` in yuan: ``(c − v)·P − F`` for ``CR > c``; ``N (p (1 − v) − e)`` for
        ``CR > 100%`` of ``N`` members at price ``p``.
    mean, var, third : array_like, optional
        ``κ₁, κ₂, κ₃`` of the aggregate ``S`` (yuan, yuan², yuan³), broadcast with
        ``threshold`` (one per design). Give these or ``law``.
    law : loss law with ``cdf``, optional
        The law of ``S`` itself (e.g. from :func:`puhui.losses.aggregate`).
    method : {"np2", "normal"}
        With cumulants: NP2 uses the skewness ``κ₃/κ₂^{3/2}``; "normal" ignores it.
    cv : float, default 0
        Coefficient of variation of the lognormal claim-level factor ``Θ`` (0 = none).
    nodes : int, default 40
        Gauss–Hermite nodes for the mixture over ``Θ``.

    Returns
    -------
    ndarray or float
        The probability, with the broadcast shape of the inputs.

    Examples
    --------
    >>> from scipy import stats
    >>> round(float(exceedance_probability(120.0, 100.0, 100.0, 0.0)), 6)  # normal: 1 − Φ(2)
    0.02275
    >>> round(float(exceedance_probability(120.0, law=stats.norm(100.0, 10.0))), 6)
    0.02275
    """
    cv, u, w, sd_theta, mu_theta = _claim_level(cv, nodes)
    if law is not None:
        if mean is not None or var is not None or third is not None:
            raise ParameterError("give the law of S or its cumulants (mean, var, third), "
                                 "not both")
        out = 1.0 - np.asarray(claims_cdf(threshold, law, cv=cv, nodes=nodes))
        return out if out.ndim else float(out)
    if mean is None or var is None or third is None:
        raise ParameterError("give the cumulants mean, var and third of S, or its law=")
    if method not in METHODS:
        raise ParameterError(f"method: use one of {METHODS}, got {method!r}")
    t = np.asarray(threshold, dtype=float)
    mean = np.asarray(mean, dtype=float)
    var = np.asarray(var, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        skew = np.asarray(third, dtype=float) / var**1.5 if method == "np2" else np.zeros(())
    if method == "np2":  # a degenerate aggregate (σ = 0) needs no skewness
        skew = np.where(var > 0, skew, 0.0)
    if method == "np2" and not np.all(np.isfinite(skew)):
        warnings.warn("the third moment of the aggregate is infinite or undefined for some "
                      "designs (a heavy tail without a cap): NP2 falls back to the normal "
                      "approximation there", AccuracyWarning, stacklevel=2)
        skew = np.where(np.isfinite(skew), skew, 0.0)
    if cv == 0.0:
        return (1.0 - np2_cdf(t, mean, var, skew))[()]
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


def claims_cdf(threshold, law, *, cv: float = 0.0, nodes: int = 40):
    """``P(Θ·S ≤ threshold) = Σ_q w_q F_S(t/θ_q)`` for a law of ``S`` (``F_S = 0`` below 0).

    The complement of :func:`exceedance_probability` with ``law=``, which returns
    ``1 − claims_cdf(...)``; one vectorised call of ``law.cdf`` on ``threshold × nodes``.

    Examples
    --------
    >>> from scipy import stats
    >>> round(float(claims_cdf(120.0, stats.norm(100.0, 10.0))), 6)   # Φ(2)
    0.97725
    >>> round(float(claims_cdf(120.0, stats.norm(100.0, 10.0), cv=0.1)), 6)
    0.914939

    The last is ``∫ Φ((120/θ − 100)/10) f_Θ(θ) dθ`` (``scipy.integrate.quad`` gives
    0.914938537515994; the 40-node quadrature is within 1e-15 of it).
    """
    cv, u, w, sd_theta, mu_theta = _claim_level(cv, nodes)
    if not hasattr(law, "cdf"):
        raise ParameterError(f"law: {type(law).__name__} has no cdf(x)")
    theta = np.exp(sd_theta * u + mu_theta) if cv > 0 else np.ones(1)
    t = np.asarray(threshold, dtype=float)[..., None] / theta
    out = (np.where(t < 0, 0.0, law.cdf(np.maximum(t, 0.0))) * w).sum(axis=-1)
    return out if out.ndim else float(out)
