"""Closed-form limited moments ``E[min(Y, v)^k]`` of the scipy laws listed in
:data:`CLOSED_FORM_LAWS`, for ``Y = θ Z`` (scale θ, standard law Z) and ``v ≥ 0`` (may be inf).

Klugman, Panjer & Willmot, *Loss Models: From Data to Decisions* (Wiley, 4th ed. 2012),
Appendix A, rewritten where noted in numerically stable form (no cancellation at ``v → 0``, no
``inf·0`` at ``v = inf``). Used through :func:`puhui.losses.lev.lev`; written by hand because
scipy has no limited moments (its ``expect`` integrates numerically, 1,000× slower).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from scipy import special

__all__ = ["CLOSED_FORM_LAWS"]

# ---------------------------------------------------------------------------------------------
# numerically stable building blocks
# ---------------------------------------------------------------------------------------------


def _int_exp(m, length):
    """``∫_0^length exp(−m t) dt`` for any real ``m`` and ``length ∈ [0, inf]`` (stable at m=0)."""
    m = np.asarray(m, dtype=float)
    length = np.asarray(length, dtype=float)
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        finite = length * special.exprel(-m * length)
        at_inf = np.where(m > 0, 1.0 / np.where(m > 0, m, 1.0), np.inf)
        out = np.where(np.isinf(length), at_inf, finite)
        # 0 · exprel(±inf) is nan, but the integral over an empty range is 0
        return np.where(length == 0, 0.0, out)


def _tail_term(v, k, survival):
    """``v^k · S(v)``, defined as 0 where ``S(v) = 0`` (in particular at ``v = inf``)."""
    with np.errstate(over="ignore", invalid="ignore"):
        return np.where(survival > 0, np.power(v, k) * survival, 0.0)


def _incomplete_beta(y, ybar, a, b):
    """Unregularised incomplete beta ``B(y; a, b) = ∫_0^y t^(a−1) (1−t)^(b−1) dt``, ``a > 0``.

    ``ybar = 1 − y`` is passed separately, computed without rounding (it is ``1/(1+z)`` for the
    Burr laws), because near ``y = 1`` the tail of the integral lives in ``1 − y``. For ``b > 0``
    this is ``B(a, b) I_y(a, b)``, evaluated as ``B(a, b) [1 − I_{1−y}(b, a)]`` when ``y > 1/2``.
    For ``b ≤ 0`` (a limited moment whose full moment does not exist) the Gauss hypergeometric
    form ``y^a / a · ₂F₁(a, 1 − b; a + 1; y)`` is used (DLMF 8.17.7); it is infinite at y = 1.
    """
    y, ybar, a, b = np.broadcast_arrays(*(np.asarray(z, dtype=float) for z in (y, ybar, a, b)))
    out = np.empty(y.shape)
    pos = b > 0
    with np.errstate(over="ignore", invalid="ignore", divide="ignore", under="ignore"):
        if np.any(pos):
            yp, ybp, ap, bp = y[pos], ybar[pos], a[pos], b[pos]
            upper = yp > 0.5
            reg = np.where(upper, special.betaincc(bp, ap, np.where(upper, ybp, 0.5)),
                           special.betainc(ap, bp, np.where(upper, 0.5, yp)))
            out[pos] = special.beta(ap, bp) * reg
        neg = ~pos
        if np.any(neg):
            yn, an, bn = y[neg], a[neg], b[neg]
            val = np.power(yn, an) / an * special.hyp2f1(an, 1.0 - bn, an + 1.0, yn)
            out[neg] = np.where(ybar[neg] <= 0.0, np.inf, val)
    return out


# ---------------------------------------------------------------------------------------------
# closed forms: E[min(Y, v)^k] for Y = theta * Z, v >= 0 (may be inf); KPW Appendix A
# ---------------------------------------------------------------------------------------------


def _lev_expon(shapes, theta, v, k):
    # KPW A.3.3.1: E[(X∧x)^k] = θ^k Γ(k+1) Γ(k+1; x/θ) + x^k e^{−x/θ}
    x = v / theta
    if k == 1:
        return theta * -np.expm1(-x)
    body = np.power(theta, k) * special.gamma(k + 1.0) * special.gammainc(k + 1.0, x)
    return body + _tail_term(v, k, np.exp(-x))


def _gamma_k1_exact(a, theta, v):
    x = v / theta
    return theta * a * special.gammainc(a + 1.0, x) + _tail_term(v, 1, special.gammaincc(a, x))


def _lev_gamma(shapes, theta, v, k):
    # KPW A.3.3.1: E[(X∧x)^k] = θ^k Γ(α+k)/Γ(α) Γ(α+k; x/θ) + x^k [1 − Γ(α; x/θ)]
    (a,) = shapes
    x = v / theta
    if k != 1:
        ratio = np.exp(special.gammaln(a + k) - special.gammaln(a))
        body = np.power(theta, k) * ratio * special.gammainc(a + k, x)
        return body + _tail_term(v, k, special.gammaincc(a, x))
    # k = 1 with one incomplete gamma per point instead of two (the speed target is 10⁷/s):
    # P(a+1, x) = P(a, x) − x^a e^{−x}/Γ(a+1) turns KPW's form into
    #   E[X∧v]/θ = x − (x − a) P(a, x) − g = a + (x − a) Q(a, x) − g,   g = x^a e^{−x}/Γ(a).
    # The Q form is used above x = a + 1 (no cancellation as P → 1). The P form cancels for
    # a < 1 and x → 0 (relative error ≈ ε a x^(a−1)/Γ(a+1)); there the textbook form is used.
    scalar_a = np.ndim(a) == 0
    shape = np.broadcast_shapes(np.shape(a), np.shape(x))
    out = np.empty(shape)
    x_b = np.broadcast_to(x, shape)
    a_b = a if scalar_a else np.broadcast_to(a, shape)
    upper = ~(x_b < a_b + 1.0)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore", under="ignore"):
        for mask, lower_side in ((~upper, True), (upper, False)):
            if not np.any(mask):
                continue
            xm = x_b[mask]
            am = a if scalar_a else a_b[mask]
            g = np.exp(am * np.log(xm) - xm - special.gammaln(am))
            if lower_side:
                vals = xm - (xm - am) * special.gammainc(am, xm) - g
                risky = (np.asarray(am) < 1.0) & (
                    (am - 1.0) * np.log(xm) + np.log(am) - special.gammaln(am + 1.0) > np.log(50.0)
                )
                if np.any(risky):
                    a_r = am if scalar_a else am[risky]
                    vals[risky] = _gamma_k1_exact(a_r, 1.0, xm[risky])
            else:
                q = special.gammaincc(am, xm)
                vals = am + np.where(q > 0, (xm - am) * q, 0.0) - np.where(g > 0, g, 0.0)
            out[mask] = vals
    return theta * out


def _lev_lognorm(shapes, theta, v, k):
    # KPW A.4.1.1: E[(X∧x)^k] = e^{kμ + k²σ²/2} Φ((ln x − μ − kσ²)/σ) + x^k [1 − F(x)]
    (s,) = shapes
    with np.errstate(divide="ignore"):
        z = (np.log(v) - np.log(theta)) / s
    body = np.power(theta, k) * np.exp(0.5 * (k * s) ** 2) * special.ndtr(z - k * s)
    return body + _tail_term(v, k, special.ndtr(-z))


def _lev_weibull(shapes, theta, v, k):
    # KPW A.3.2.3: E[(X∧x)^k] = θ^k Γ(1+k/τ) Γ(1+k/τ; (x/θ)^τ) + x^k e^{−(x/θ)^τ}
    (c,) = shapes
    x = np.power(v / theta, c)
    g = 1.0 + k / c
    body = np.power(theta, k) * special.gamma(g) * special.gammainc(g, x)
    return body + _tail_term(v, k, np.exp(-x))


def _lev_pareto(shapes, theta, v, k):
    # Single-parameter Pareto (scipy ``pareto``; KPW A.5.1.4), support Y ≥ θ:
    #   E[(X∧x)^k] = θ^k [1 + k ∫_0^{ln(x/θ)} e^{−(α−k)s} ds]  for x ≥ θ, and x^k for x < θ,
    # which is KPW's αθ^k/(α−k) − kθ^α/((α−k)x^{α−k}) written without the pole at α = k.
    (b,) = shapes
    with np.errstate(divide="ignore"):
        log_ratio = np.log(v / theta)
    above = np.power(theta, k) * (1.0 + k * _int_exp(b - k, np.maximum(log_ratio, 0.0)))
    return np.where(v >= theta, above, np.power(v, k))


def _series_gpd_second(xi, length, terms=14):
    """``Σ_{n≥1} (2^n − 1) ξ^(n−1) P(n+1, L)``: the k = 2 GPD integral for small ξ·min(L, 1)."""
    total = np.zeros(np.shape(xi))
    for n in range(terms, 0, -1):  # smallest terms first
        total = total + (2.0**n - 1.0) * np.power(xi, n - 1) * special.gammainc(n + 1.0, length)
    return total


def _lev_gpd_core(xi, sigma, v, k):
    """Generalized Pareto (POT form) ``S(x) = (1 + ξx/σ)^(−1/ξ)`` for k ∈ {1, 2}.

    With ``t = log(1 + ξx/σ)/ξ`` the survival function is ``e^{−t}`` and ``dx = σ e^{ξt} dt``:
      E[X∧v]     = σ ∫_0^L e^{−(1−ξ)t} dt,
      E[(X∧v)^2] = 2σ² ∫_0^L e^{−(1−ξ)t} (e^{ξt} − 1)/ξ dt
                 = 2σ² [I(1−2ξ, L) − I(1−ξ, L)] / ξ,   L = log(1 + ξv/σ)/ξ,
    where ``I(m, L) = ∫_0^L e^{−mt} dt``. Smooth through ξ = 0 (exponential) and valid for
    ξ < 0 (bounded support, ``L = inf`` beyond the endpoint −σ/ξ). Derived here (the KPW
    generalized Pareto is a different family); checked against quadrature in the tests.
    """
    xi, sigma, v = np.broadcast_arrays(*(np.asarray(z, dtype=float) for z in (xi, sigma, v)))
    z = xi * v / sigma
    with np.errstate(divide="ignore", invalid="ignore"):
        small = np.abs(z) < 1e-8
        ratio = np.where(small, 1.0 - 0.5 * z, np.log1p(z) / np.where(small, 1.0, z))
        length = np.where((z <= -1.0) | np.isinf(v), np.inf, (v / sigma) * ratio)
    if k == 1:
        return sigma * _int_exp(1.0 - xi, length)
    if k != 2:  # pragma: no cover - dispatcher only sends k in {1, 2}
        raise AssertionError(k)
    use_series = np.abs(xi) * np.minimum(length, 1.0) < 1e-3
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        first = _int_exp(1.0 - 2.0 * xi, length)
        direct = np.where(np.isinf(first), np.inf, (first - _int_exp(1.0 - xi, length)) / xi)
    out = np.where(use_series, 0.0, direct)
    if np.any(use_series):
        out = np.array(out, copy=True)
        out[use_series] = _series_gpd_second(xi[use_series], length[use_series])
    return 2.0 * sigma**2 * out


def _lev_genpareto(shapes, theta, v, k):
    (c,) = shapes
    return _lev_gpd_core(c, theta, v, k)


def _lev_burr12_general(gamma_, alpha, theta, v, k):
    # Burr XII (KPW A.2.2.1 "Burr", α = d, γ = c), reduced with Γ(1+k/γ)Γ(α−k/γ)/Γ(α)·β(...)
    #   = α·B(y; 1+k/γ, α−k/γ) (unregularised):
    #   E[(X∧x)^k] = θ^k α B(y; 1+k/γ, α−k/γ) + x^k (1 + (x/θ)^γ)^(−α),  y = z/(1+z), z=(x/θ)^γ
    z = np.power(v / theta, gamma_)
    with np.errstate(divide="ignore"):
        y = 1.0 / (1.0 + 1.0 / z)
    a, b = 1.0 + k / gamma_, alpha - k / gamma_
    body = np.power(theta, k) * alpha * _incomplete_beta(y, 1.0 / (1.0 + z), a, b)
    return body + _tail_term(v, k, np.power(1.0 + z, -alpha))


def _lev_burr12(shapes, theta, v, k):
    c, d = shapes
    return _lev_burr12_general(c, d, theta, v, k)


def _lev_fisk(shapes, theta, v, k):
    # log-logistic = Burr XII with α = 1 (KPW A.2.3.2)
    (c,) = shapes
    return _lev_burr12_general(c, 1.0, theta, v, k)


def _lev_lomax(shapes, theta, v, k):
    # two-parameter Pareto (KPW A.2.3.1) = GPD with ξ = 1/α, σ = θ/α
    (c,) = shapes
    if k in (1, 2):
        return _lev_gpd_core(1.0 / c, theta / c, v, k)
    return _lev_burr12_general(1.0, c, theta, v, k)


def _lev_burr3(shapes, theta, v, k):
    # Burr III = KPW inverse Burr (A.2.2.2, τ = d, γ = c), reduced as for Burr XII:
    #   E[(X∧x)^k] = θ^k τ B(y; τ+k/γ, 1−k/γ) + x^k (1 − y^τ),  y = z/(1+z)
    c, d = shapes
    z = np.power(v / theta, c)
    with np.errstate(divide="ignore"):
        y = 1.0 / (1.0 + 1.0 / z)
        one_minus_ytau = -np.expm1(-d * np.log1p(1.0 / z))
    body = np.power(theta, k) * d * _incomplete_beta(y, 1.0 / (1.0 + z), d + k / c, 1.0 - k / c)
    return body + _tail_term(v, k, one_minus_ytau)


_Closed = Callable[[tuple, np.ndarray, np.ndarray, float], np.ndarray]

#: scipy law name → (closed form, set of orders k it covers, None = every k > 0)
_CLOSED: dict[str, tuple[_Closed, frozenset | None]] = {
    "expon": (_lev_expon, None),
    "gamma": (_lev_gamma, None),
    "lognorm": (_lev_lognorm, None),
    "weibull_min": (_lev_weibull, None),
    "pareto": (_lev_pareto, None),
    "lomax": (_lev_lomax, None),
    "genpareto": (_lev_genpareto, frozenset({1, 2})),
    "fisk": (_lev_fisk, None),
    "burr12": (_lev_burr12, None),
    "burr": (_lev_burr3, None),
}

#: names of the scipy.stats laws with closed-form limited moments
CLOSED_FORM_LAWS: tuple[str, ...] = tuple(_CLOSED)

