"""P(Θ·S > t): the chance that a year's claims pass a threshold, with parameter risk (one home).

The combined ratio (综合成本率) of a year with premium ``P``, variable expense rate ``v`` and fixed
expenses ``F`` is ``CR = S/P + v + F/P``, so ``P(CR > c) = P(S > t)`` with ``t = (c − v)·P − F``;
for ``N`` members at price ``p`` and expense ``e`` per member, ``CR > 100% ⇔ S > N (p (1 − v) −
e)``. Every P(CR > c) of puhui is :func:`exceedance_probability` of such a threshold:
:class:`puhui.ratios.CombinedRatioDistribution` (a law of ``S`` from
:func:`puhui.losses.aggregate`), :func:`puhui.tuning.evaluate` (K designs given by the cumulants
of ``S``) and :func:`puhui.huiminbao.price_from_experience` / ``price_from_model``.

The other estimator, with no model of ``S``: :func:`burn_exceedance`, the share of past years
whose combined ratio passed ``c`` (burn analysis, 历史回测; the crop design study of
:mod:`puhui.agri.design` reports it as ``p_cr_above_100``).

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

integrated so that the integrand is never a near-step — with a million members the process CV
of ``S`` is ~1% and the parameter CV 5–10%, and a 40-node Gauss–Hermite rule over ``Θ`` alone
then misses by up to 1e-2 (CV 0.1) or 6e-2 (CV 0.3):

* **a discrete law of S** (masses ``p_i`` at ``x_i ≥ 0``: :class:`~puhui.losses.aggregate_dist.
  DiscreteAggregate` from FFT, Panjer or simulation, :class:`~puhui.losses.empirical.Empirical`)
  is mixed exactly, with the closed-form lognormal cdf of ``Θ``::

      P(Θ S ≤ t) = Σ_i p_i F_Θ(t/x_i),   F_Θ(y) = Φ((ln y − μ_Θ)/σ_Θ)

  (an atom at 0 counts for ``t ≥ 0``; mass a DiscreteAggregate lost beyond its grid counts as
  above every ``t``, as its own ``sf`` does). Points with ``|ln t − ln x_i − μ_Θ| > 9σ_Θ``
  contribute ``p_i`` or 0 to within ``Φ(−9) ≈ 1e-19``, as do the outer 1e-18 of the mass of
  ``S`` on either side (to within that mass), and are summed by a cumulative sum; the rest is
  one vectorised ``ndtr`` over thresholds × points (in blocks);
* **any other law** (scipy, …) by 40-node Gauss–Hermite quadrature (``numpy.polynomial.hermite_e.
  hermegauss``; written by hand because no library mixes a law over a scale factor) over the
  wider factor: over ``ln Θ``, ``Σ_q w_q F_S(t/θ_q)``, while the CV of ``S`` (``std/mean``) is
  at least ``σ_Θ``; otherwise over ``S = F_S⁻¹(Φ(Z))``, ``Z ~ N(0, 1)`` (the law's ``ppf``/``isf``
  or ``quantile``), ``Σ_q w_q F_Θ(t/s_q)``. Both are within 1e-7 of ``scipy.integrate.quad``
  across parameter CVs 0–0.3 and process CVs 0.5%–30% (``tests/test_cr_projection.py``);
* an :class:`~puhui.losses.aggregate_dist.ApproxAggregate` (normal or NP2 from the cumulants)
  goes to the cumulant form below.

``S`` is a claims total, so ``F_S(s) = 0`` for ``s < 0`` (negative claims count as 0) in the law
forms. For cumulants, vectorised over designs, the integral runs over ``ln Θ`` when the process
is the wider source of spread (CV of S ≥ σ_Θ), otherwise over the NP2 normal variable of S
(``S = μ + σ(Y + γ(Y² − 1)/6)``, ``Y ~ N(0, 1)``).
"""

from __future__ import annotations

import warnings

import numpy as np
from numpy.polynomial.hermite_e import hermegauss
from scipy import special

from puhui.errors import ParameterError
from puhui.losses.aggregate_dist import AccuracyWarning, ApproxAggregate, DiscreteAggregate
from puhui.losses.empirical import Empirical

__all__ = ["burn_exceedance", "claims_cdf", "exceedance_probability", "np2_cdf"]

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
        t = np.asarray(threshold, dtype=float)
        if isinstance(law, ApproxAggregate):  # the cumulant form: NP2 also below the mean
            return exceedance_probability(t, *_cumulants(law), method=law.method, cv=cv,
                                          nodes=nodes)
        if cv == 0.0 and hasattr(law, "sf"):
            # the law's own sf (clipped to [0, 1]: an FFT law has round-off masses of ±1e-18)
            out = np.where(t < 0, 1.0, np.clip(law.sf(np.maximum(t, 0.0)), 0.0, 1.0))
        else:
            out = 1.0 - np.asarray(claims_cdf(t, law, cv=cv, nodes=nodes))
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


def burn_exceedance(cr_by_year, threshold=1.0, *, axis: int = -1):
    """Burn (empirical) ``P(CR > c)``: the share of past years whose combined ratio exceeded ``c``.

    With the combined ratios ``CR_1 … CR_n`` of ``n`` years (each year's claims and expenses
    over the premium, as if that year recurred: burn analysis, 历史回测)::

        P̂(CR > c) = (1/n) Σ_t 1{CR_t > c}

    The estimator of :func:`exceedance_probability` needs a model of the claims ``S`` (its law
    or cumulants); this one needs none and is coarse — a multiple of ``1/n``, 0 when no past
    year was bad. A year with no ratio (NaN: no premium) makes the row's estimate NaN, as
    ``numpy.mean`` and ``numpy.quantile`` of the same years are, rather than counting as a
    good year.

    Parameters
    ----------
    cr_by_year : array_like
        Combined ratios, the years along ``axis`` (at least one year).
    threshold : float or array_like, default 1.0
        ``c`` (1.0: 综合成本率 > 100%), broadcast against the result.
    axis : int, default -1
        The axis of the years.

    Returns
    -------
    ndarray or float
        The share, with ``axis`` removed.

    Examples
    --------
    >>> burn_exceedance([0.8, 1.02, 0.95, 1.3])            # 2 of 4 years above 100%
    0.5
    >>> burn_exceedance([[0.8, 1.02], [0.9, 0.99]], 0.95).tolist()
    [0.5, 0.5]
    >>> burn_exceedance([[0.8, 1.02], [np.nan, np.nan]]).tolist()
    [0.5, nan]
    """
    try:
        cr = np.asarray(cr_by_year, dtype=float)
        c = np.asarray(threshold, dtype=float)
    except (TypeError, ValueError):
        raise ParameterError("cr_by_year and threshold must be numbers") from None
    if cr.ndim == 0:
        raise ParameterError("cr_by_year: give the combined ratios of the years along an axis")
    try:
        years = cr.shape[axis]
    except IndexError:
        raise ParameterError(f"axis={axis!r} does not exist for cr_by_year of shape "
                             f"{cr.shape}") from None
    if years == 0:
        raise ParameterError("cr_by_year: no year to count")
    if not np.all(np.isfinite(c)):
        raise ParameterError(f"threshold must be finite, got {threshold!r}")
    share = (cr > c if c.ndim == 0 else cr > np.expand_dims(c, axis)).mean(axis=axis)
    out = np.where(np.isnan(cr).any(axis=axis), np.nan, share)
    return out if out.ndim else float(out)


def claims_cdf(threshold, law, *, cv: float = 0.0, nodes: int = 40):
    """``P(Θ·S ≤ threshold)`` for a law of ``S`` (``F_S = 0`` below 0), vectorised.

    Exact for a discrete law (``Σ_i p_i F_Θ(t/x_i)``); otherwise Gauss–Hermite over the wider
    of ``ln Θ`` and ``S`` (module docstring). The complement of :func:`exceedance_probability`
    with ``law=``, which returns ``1 − claims_cdf(...)`` when ``cv > 0``.

    Examples
    --------
    >>> from scipy import stats
    >>> round(float(claims_cdf(120.0, stats.norm(100.0, 10.0))), 6)   # Φ(2)
    0.97725
    >>> round(float(claims_cdf(120.0, stats.norm(100.0, 10.0), cv=0.1)), 6)
    0.914939

    The last is ``∫ Φ((120/θ − 100)/10) f_Θ(θ) dθ`` (``scipy.integrate.quad`` gives
    0.914938537515994; the 40-node quadrature over ``Θ`` is within 1e-15 of it). With two
    atoms, ``S ∈ {90, 110}`` with probability ½ each, it is ``½F_Θ(120/90) + ½F_Θ(120/110)``
    (``scipy.stats.lognorm`` gives 0.9100515949773187):

    >>> from puhui.losses.empirical import Empirical
    >>> round(float(claims_cdf(120.0, Empirical([90.0, 110.0]), cv=0.1)), 6)
    0.910052
    """
    cv, u, w, sd_theta, mu_theta = _claim_level(cv, nodes)
    if not hasattr(law, "cdf"):
        raise ParameterError(f"law: {type(law).__name__} has no cdf(x)")
    t = np.asarray(threshold, dtype=float)
    if isinstance(law, ApproxAggregate):  # the cumulant form: NP2 also below the mean
        out = 1.0 - np.asarray(exceedance_probability(t, *_cumulants(law), method=law.method,
                                                      cv=cv, nodes=nodes))
        return out if out.ndim else float(out)
    if cv == 0.0:
        out = np.where(t < 0, 0.0, np.clip(law.cdf(np.maximum(t, 0.0)), 0.0, 1.0))
        return out if out.ndim else float(out)
    atoms = _atoms(law)
    if atoms is not None:
        out = _discrete_mixture_cdf(t, *atoms, mu_theta, sd_theta)
    elif _process_cv(law) < sd_theta:
        if not _has_quantile(law):
            raise ParameterError(f"law: {type(law).__name__} is narrower than the parameter "
                                 f"risk (cv {cv:g}) and has no ppf/quantile to integrate over S "
                                 "with; give a discrete law or its cumulants")
        out = _over_claims_cdf(t, law, u, w, mu_theta, sd_theta)
    else:
        theta = np.exp(sd_theta * u + mu_theta)
        ts = t[..., None] / theta
        out = (np.where(ts < 0, 0.0, law.cdf(np.maximum(ts, 0.0))) * w).sum(axis=-1)
    out = np.where(np.isnan(t), np.nan, np.clip(out, 0.0, 1.0))
    return out if out.ndim else float(out)


def _cumulants(law: ApproxAggregate) -> tuple[float, float, float]:
    """``κ₁, κ₂, κ₃`` of a normal or NP2 approximation of ``S``."""
    third = law.gamma * law.sigma2**1.5 if law.method == "np2" else 0.0
    return law.mu, law.sigma2, third


#: ``|z| > 9`` standard deviations of ``ln Θ``: ``Φ(−9) ≈ 1.1e-19`` is taken as 0.
_Z_CUT = 9.0
#: Mass of ``S`` in either tail that may be counted as wholly below / above ``t/Θ``.
_MASS_CUT = 1e-18
#: Largest thresholds × points block evaluated at once by the discrete mixture.
_BLOCK = 2_000_000


def _atoms(law):
    """``(x, p, beyond)`` for a discrete law of S: support ``x`` (increasing, clipped at 0),
    masses ``p`` and the mass ``beyond`` every point; ``None`` for other laws."""
    if isinstance(law, DiscreteAggregate):
        x, p = np.asarray(law.x, dtype=float), np.asarray(law.pmf, dtype=float)
        beyond = max(float(law.truncated_mass), 0.0)
    elif isinstance(law, Empirical):
        x = np.asarray(law.values, dtype=float)
        wts = law.weights
        p = np.full(x.size, 1.0 / x.size) if wts is None else np.asarray(wts) / np.sum(wts)
        beyond = 0.0
    else:
        return None
    return np.maximum(x, 0.0), p, beyond


def _discrete_mixture_cdf(t, x, p, beyond, mu_theta, sd_theta):
    """``Σ_i p_i F_Θ(t/x_i)`` with ``F_Θ(t/0) = 1`` for ``t ≥ 0`` and 0 for ``t < 0``."""
    flat = t.ravel()
    out = np.zeros(flat.shape)
    cum = np.concatenate([[0.0], np.cumsum(p)])
    zero = flat == 0  # only the atom at 0 (ΘS = 0 ≤ 0)
    out[zero] = cum[np.searchsorted(x, 0.0, side="right")]
    pos = np.flatnonzero(flat > 0)
    if pos.size:
        lt = np.log(flat[pos])
        # x < t·e^{−μ−9σ}: F_Θ(t/x) = 1; x > t·e^{−μ+9σ}: F_Θ(t/x) = 0 (to 1e-19)
        lo = np.searchsorted(x, np.exp(lt.min() - mu_theta - _Z_CUT * sd_theta), side="left")
        hi = np.searchsorted(x, np.exp(lt.max() - mu_theta + _Z_CUT * sd_theta), side="right")
        # … and the points in the outer 1e-18 of the mass of S count as 1 (below) or 0 (above)
        lo = max(lo, int(np.searchsorted(cum, _MASS_CUT, side="right")) - 1)
        hi = min(hi, int(np.searchsorted(cum, cum[-1] - _MASS_CUT, side="left")))
        xs, ps = x[lo:hi], p[lo:hi]
        with np.errstate(divide="ignore"):
            lx = np.log(xs)  # −inf for an atom at 0: Φ(+inf) = 1
        rows = max(1, _BLOCK // max(xs.size, 1))
        for start in range(0, pos.size, rows):  # blocks of thresholds, not one per point
            sl = slice(start, start + rows)
            z = (lt[sl, None] - lx - mu_theta) / sd_theta
            # an elementwise sum, not BLAS: the same bits whatever the thread count
            out[pos[sl]] = cum[lo] + (special.ndtr(z) * ps).sum(axis=-1)
    out = np.minimum(out, 1.0 - beyond)
    return np.where(flat < 0, 0.0, out).reshape(t.shape)


def _process_cv(law) -> float:
    """Coefficient of variation of ``S`` (inf when it has no finite mean > 0 or variance)."""
    try:
        mean, var = float(law.mean()), float(law.var())
    except Exception:  # a law without moments: treat the process as the wider factor
        return np.inf
    if not (np.isfinite(mean) and mean > 0 and np.isfinite(var) and var >= 0):
        return np.inf
    return float(np.sqrt(var) / mean)


def _has_quantile(law) -> bool:
    return hasattr(law, "ppf") or hasattr(law, "quantile")


def _over_claims_cdf(t, law, u, w, mu_theta, sd_theta):
    """``Σ_q w_q F_Θ(t/s_q)``, ``s_q = F_S⁻¹(Φ(u_q))`` (upper nodes by ``isf(Φ(−u_q))`` for
    accuracy near 1); ``s_q ≤ 0`` is an atom at 0."""
    if hasattr(law, "ppf"):
        s = np.where(u <= 0, law.ppf(special.ndtr(np.minimum(u, 0.0))),
                     law.isf(special.ndtr(-np.maximum(u, 0.0))) if hasattr(law, "isf")
                     else law.ppf(special.ndtr(np.maximum(u, 0.0))))
    else:
        s = np.asarray(law.quantile(special.ndtr(u)), dtype=float)
    s = np.asarray(s, dtype=float)
    tt = t[..., None]
    with np.errstate(divide="ignore", invalid="ignore"):
        z = (np.log(np.where(tt > 0, tt, 1.0)) - np.log(np.where(s > 0, s, 1.0)) - mu_theta) \
            / sd_theta
        f = np.where(s > 0, np.where(tt > 0, special.ndtr(z), 0.0), 1.0)
    f = np.where(np.isnan(s), np.nan, f)
    return np.where(t < 0, 0.0, (f * w).sum(axis=-1))
