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

_SERIES_TOL = 1e-17  # relative size of the last series term kept
_SERIES_MAX = 200_000  # safety cap on series terms (never reached for valid parameters)


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
    """``v^k · S(v)``, defined as 0 where ``S(v) = 0`` (in particular at ``v = inf``).

    Where ``v^k`` overflows but ``S(v) > 0`` the product is formed in logarithms.
    """
    with np.errstate(over="ignore", invalid="ignore"):
        vk = v if k == 1 else np.power(v, k)
        out = np.where(survival > 0, vk * survival, 0.0)
    if np.isinf(out).any():
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            logs = k * np.log(v) + np.log(survival)
        out = np.where(np.isinf(out), np.exp(logs), out)
    return out


def _power_integral(m, log_lo, log_hi):
    """``∫_lo^hi t^(m−1) dt`` for ``0 ≤ lo ≤ hi < inf`` given as logarithms, any real ``m``.

    With ``D = ln(hi/lo)`` this is ``hi^m · D · exprel(−mD)`` — no pole at ``m = 0`` (the
    logarithmic case) — and, where ``mD < −1`` (``m < 0``, a fast-growing integrand),
    ``lo^m · (1 − e^{mD}) / (−m)``, which cannot overflow before the true value does.
    ``lo = 0`` gives ``hi^m / m`` for ``m > 0`` and ``inf`` for ``m ≤ 0``.
    """
    m, log_lo, log_hi = np.broadcast_arrays(*(np.asarray(z, dtype=float)
                                              for z in (m, log_lo, log_hi)))
    with np.errstate(over="ignore", invalid="ignore", divide="ignore", under="ignore"):
        span = log_hi - log_lo
        md = m * span
        near = np.exp(m * log_hi) * span * special.exprel(-md)
        safe_m = np.where(m < 0, m, -1.0)
        far = np.exp(m * log_lo) * -np.expm1(md) / -safe_m
        out = np.where(md < -1.0, far, near)
        at_zero = np.where(m > 0, np.exp(m * log_hi) / np.where(m > 0, m, 1.0), np.inf)
        out = np.where(np.isinf(span), at_zero, out)
        return np.where(span == 0, 0.0, out)


def _beta_series_lower(y, log_y, log_ybar, a, b):
    """``B(y; a, b)`` by DLMF 8.17.8, ``y^a (1−y)^b / a · Σ_j (a+b)_j/(a+1)_j y^j``.

    Needs ``a > 0``, ``a + b > 0`` and ``b ≤ 1``: every term is positive and each is at most
    ``y`` times the one before, so the sum is exact to rounding (no cancellation) and the
    neglected remainder is below ``term · y/(1−y)``. Used for ``y`` bounded away from 1.
    """
    total = np.ones(y.shape)
    idx = np.arange(y.size)
    term = np.ones(y.shape)
    ya, aa, ba, stop = y, a, b, _SERIES_TOL * (1.0 - y)
    j = 0
    while idx.size and j < _SERIES_MAX:
        term = term * ((aa + ba + j) / (aa + 1.0 + j)) * ya
        total[idx] += term
        keep = term > stop * total[idx]
        idx, term, ya, aa, ba, stop = idx[keep], term[keep], ya[keep], aa[keep], ba[keep], stop[keep]
        j += 1
    with np.errstate(under="ignore"):
        return np.exp(a * log_y + b * log_ybar) / a * total


def _beta_series_upper(log_ybar, s0, a, b):
    """``∫_ybar^s0 s^(b−1) (1−s)^(a−1) ds`` (``0 ≤ ybar ≤ s0 ≤ ½``) as ``Σ_j c_j ∫ s^(b+j−1) ds``.

    ``c_j = (1−a)_j / j!`` are the Taylor coefficients of ``(1−s)^(a−1)``; each power integral
    is :func:`_power_integral` (exact through ``b + j = 0``). With ``s0 ≤ 1/(a−1)`` the
    alternating signs cost at most a factor ``((1+s0)/(1−s0))^(a−1) ≤ e²`` of cancellation.
    """
    log_s0 = np.log(s0)
    total = np.zeros(log_ybar.shape)
    idx = np.arange(log_ybar.size)
    coef = np.ones(log_ybar.shape)
    ly, ls0, aa, ba = log_ybar, log_s0, a, b
    j = 0
    while idx.size and j < _SERIES_MAX:
        m = ba + j
        term = coef * _power_integral(m, ly, ls0)
        total[idx] += term
        with np.errstate(over="ignore", invalid="ignore", under="ignore"):
            # a bound on every later term: |c_j| s0^m / m once m > 0 (each c_j s0^j shrinks)
            bound = np.abs(coef) * np.exp(m * ls0) / np.where(m > 0, m, 1.0)
        done = (m > 1.0) & ((bound <= _SERIES_TOL * np.abs(total[idx])) | ~np.isfinite(total[idx]))
        coef = coef * (j + 1.0 - aa) / (j + 1.0)
        keep = ~done
        idx, coef, ly, ls0, aa, ba = idx[keep], coef[keep], ly[keep], ls0[keep], aa[keep], ba[keep]
        j += 1
    return total


def _incomplete_beta_nonpos(y, ybar, log_y, log_ybar, a, b):
    """Unregularised ``B(y; a, b)`` for ``b ≤ 0`` (``a > 0``, ``a + b > 0``); inf at ``y = 1``.

    For ``b ≤ 0`` the integral ``∫_0^y t^(a−1)(1−t)^(b−1) dt`` diverges at ``t → 1`` — this is
    the limited moment of a law whose full moment does not exist — so there is no complement
    to subtract from. Split at ``y₀ = 1 − s0`` (``s0 = min(½, 1/(a−1))``): below it the
    positive series of :func:`_beta_series_lower`, above it
    ``B(y₀; a, b) + ∫_{1−y}^{s0} s^(b−1)(1−s)^(a−1) ds`` with ``1 − y`` passed exactly.
    """
    s0 = np.where(a > 3.0, 1.0 / np.where(a > 3.0, a - 1.0, 1.0), 0.5)
    out = np.empty(y.shape)
    low = ybar >= s0
    if np.any(low):
        out[low] = _beta_series_lower(y[low], log_y[low], log_ybar[low], a[low], b[low])
    high = ~low
    if np.any(high):
        s0h, ah, bh = s0[high], a[high], b[high]
        y0 = 1.0 - s0h  # exact: s0 is ½ or 1/(a−1) ≤ ½
        split = _beta_series_lower(y0, np.log(y0), np.log(s0h), ah, bh)
        with np.errstate(divide="ignore"):
            out[high] = split + _beta_series_upper(log_ybar[high], s0h, ah, bh)
    return out


def _upper_gamma_cf(s, w):
    """``Γ(s, w)`` by Legendre's continued fraction (modified Lentz), for ``w ≥ 1``, ``s ≤ 1``.

    ``Γ(s, w) = e^{−w} w^s / (w+1−s − 1(1−s)/(w+3−s − 2(2−s)/(w+5−s − …)))``
    (DLMF 8.9.2, even contraction); converges quickly for ``w ≥ 1 > s − 1``.
    """
    tiny = 1e-300
    bq = w + 1.0 - s
    c = np.full(w.shape, 1.0 / tiny)
    d = 1.0 / bq
    h = d.copy()
    idx = np.arange(w.size)
    ss = s
    i = 1
    while idx.size and i < 10_000:
        an = -i * (i - ss)
        bq = bq + 2.0
        d = an * d + bq
        d = np.where(np.abs(d) < tiny, tiny, d)
        c = bq + an / c
        c = np.where(np.abs(c) < tiny, tiny, c)
        d = 1.0 / d
        delta = d * c
        h[idx] *= delta
        keep = np.abs(delta - 1.0) > 1e-16
        idx, bq, c, d, ss = idx[keep], bq[keep], c[keep], d[keep], ss[keep]
        i += 1
    with np.errstate(under="ignore"):
        return np.exp(s * np.log(w) - w) * h


def _upper_gamma_nonpos(s, w):
    """Upper incomplete gamma ``Γ(s, w) = ∫_w^∞ t^(s−1) e^{−t} dt`` for ``s ≤ 0``, ``w ≥ 0``.

    scipy's ``gammaincc`` needs ``s > 0``. For ``w ≥ 1`` the continued fraction; for
    ``w < 1``, ``Γ(s, 1) + Σ_j (−1)^j/j! ∫_w^1 t^(s+j−1) dt`` (the exponential's Taylor series;
    alternating, but the terms' absolute sum is at most e² times the result). ``w = 0`` is inf.
    """
    s, w = np.broadcast_arrays(np.asarray(s, dtype=float), np.asarray(w, dtype=float))
    out = np.empty(w.shape)
    big = w >= 1.0
    if np.any(big):
        out[big] = _upper_gamma_cf(s[big], w[big])
    small = ~big
    if np.any(small):
        ss, ws = s[small], w[small]
        with np.errstate(divide="ignore"):
            log_w = np.log(ws)
        total = _upper_gamma_cf(ss, np.ones(ss.shape))
        factorial = 1.0
        for j in range(40 + int(np.ceil(max(0.0, -np.min(ss))))):
            if j:
                factorial *= j
            term = _power_integral(ss + j, log_w, 0.0) / factorial
            total = total + (term if j % 2 == 0 else -term)
            if j > -np.min(ss) + 1 and np.all(np.abs(term) <= _SERIES_TOL * np.abs(total)):
                break
        out[small] = np.where(ws == 0.0, np.inf, total)
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
    if k in (1, 2):
        return _lev_gpd_core(c, theta, v, k)
    # |ξ| ≤ 1e−100: the exponential law to far below double precision (ξ·x ≪ 1e−80 for every
    # x < 1e20 σ); scipy's own genpareto.cdf is wrong there (it returns x for |ξ| < ~1e−160)
    return _lev_expon((), theta, v, k)


def _genpareto_orders(k, shapes) -> bool:
    (c,) = shapes
    return k in (1, 2) or bool(np.all(np.abs(c) <= 1e-100))


def _logit_parts(v, theta, gamma_):
    """``y = z/(1+z)``, ``1 − y = 1/(1+z)`` and their logarithms for ``z = (v/θ)^γ``.

    Computed from ``ln z`` with the logistic function, so neither side loses digits and
    ``z`` never overflows (``v`` up to inf, ``γ`` large).
    """
    with np.errstate(divide="ignore"):
        log_z = gamma_ * (np.log(v) - np.log(theta))
    y, ybar = special.expit(log_z), special.expit(-log_z)
    log_y, log_ybar = -np.logaddexp(0.0, -log_z), -np.logaddexp(0.0, log_z)
    return y, ybar, log_y, log_ybar


def _lev_trbeta(alpha, gamma_, tau, theta, v, k):
    """Transformed beta (KPW A.2.1.1) ``F(x) = I_y(τ, α)``, ``y = z/(1+z)``, ``z = (x/θ)^γ``.

    KPW's limited moment
      E[(X∧x)^k] = θ^k Γ(τ+k/γ)Γ(α−k/γ)/(Γ(α)Γ(τ)) β(τ+k/γ, α−k/γ; y) + x^k [1 − F(x)]
    written with the unregularised incomplete beta as
      E[(X∧x)^k] = θ^k B(y; τ+k/γ, α−k/γ) / B(α, τ) + x^k I_{1−y}(α, τ).
    For ``b = α − k/γ > 0`` scipy's ``betainc``/``betaincc`` (the complement ``I_y(a,b) =
    1 − I_{1−y}(b,a)`` above y = ½, with ``1 − y`` computed exactly) are accurate to a few ulp
    even for ``b → 0⁺``. For ``b ≤ 0`` — the full moment ``E[X^k]`` does not exist, yet every
    limited moment does — :func:`_incomplete_beta_nonpos` (series, no ``₂F₁`` at y → 1).
    Members: Burr XII (τ = 1), Burr III / inverse Burr (α = 1), log-logistic (α = τ = 1),
    Lomax (γ = τ = 1), inverse Pareto (α = γ = 1), beta prime / KPW generalized Pareto (γ = 1).
    """
    params = [np.asarray(z, dtype=float) for z in (alpha, gamma_, tau, theta)]
    if all(p.ndim == 0 for p in params) and (params[0] - k / params[1]) > 0:
        return _lev_trbeta_scalar(*params, np.asarray(v, dtype=float), k)
    alpha, gamma_, tau, theta, v = np.broadcast_arrays(*params, np.asarray(v, dtype=float))
    y, ybar, log_y, log_ybar = _logit_parts(v, theta, gamma_)
    a, b = tau + k / gamma_, alpha - k / gamma_
    body = np.empty(v.shape)
    pos = b > 0
    with np.errstate(over="ignore", under="ignore", invalid="ignore", divide="ignore"):
        if np.any(pos):
            ap, bp, yp, ybp = a[pos], b[pos], y[pos], ybar[pos]
            upper = yp > 0.5
            reg = np.where(upper, special.betaincc(bp, ap, np.where(upper, ybp, 0.5)),
                           special.betainc(ap, bp, np.where(upper, 0.5, yp)))
            ratio = np.exp(special.betaln(ap, bp) - special.betaln(alpha[pos], tau[pos]))
            body[pos] = ratio * reg
        neg = ~pos
        if np.any(neg):
            b_y = _incomplete_beta_nonpos(y[neg], ybar[neg], log_y[neg], log_ybar[neg],
                                          a[neg], b[neg])
            body[neg] = b_y * np.exp(-special.betaln(alpha[neg], tau[neg]))
        surv = _trbeta_survival(alpha, tau, y, ybar, log_y, log_ybar)
        body = np.where(v == 0.0, 0.0, np.power(theta, k) * body)
    return body + _tail_term(v, k, surv)


def _trbeta_survival(alpha, tau, y, ybar, log_y, log_ybar):
    """``1 − F = I_{1−y}(α, τ)``: ``(1−y)^α`` for τ = 1, ``1 − y^τ`` for α = 1, else the
    regularised incomplete beta on the side of ½ where it has full relative precision."""
    if np.all(tau == 1.0):
        return np.exp(alpha * log_ybar)
    if np.all(alpha == 1.0):
        return -np.expm1(tau * log_y)
    return np.where(ybar < 0.5, special.betainc(alpha, tau, np.minimum(ybar, 0.5)),
                    special.betaincc(tau, alpha, np.minimum(y, 0.5)))


def _lev_trbeta_scalar(alpha, gamma_, tau, theta, v, k):
    """:func:`_lev_trbeta` for scalar parameters with ``α − k/γ > 0`` (no broadcasting of the
    parameters to the limits' shape: the ratio of beta functions is computed once)."""
    y, ybar, log_y, log_ybar = _logit_parts(v, theta, gamma_)
    a, b = tau + k / gamma_, alpha - k / gamma_
    with np.errstate(over="ignore", under="ignore", invalid="ignore", divide="ignore"):
        upper = y > 0.5
        reg = np.where(upper, special.betaincc(b, a, np.where(upper, ybar, 0.5)),
                       special.betainc(a, b, np.where(upper, 0.5, y)))
        coef = np.power(theta, k) * np.exp(special.betaln(a, b) - special.betaln(alpha, tau))
        body = np.where(v == 0.0, 0.0, coef * reg)
        surv = _trbeta_survival(alpha, tau, y, ybar, log_y, log_ybar)
    return body + _tail_term(v, k, surv)


def _lev_burr12(shapes, theta, v, k):
    # scipy burr12(c, d): S(x) = (1 + x^c)^(−d) — KPW Burr (A.2.2.1) with α = d, γ = c
    c, d = shapes
    return _lev_trbeta(d, c, 1.0, theta, v, k)


def _lev_fisk(shapes, theta, v, k):
    # scipy fisk(c): F(x) = 1/(1 + x^(−c)) — KPW log-logistic (A.2.3.2), γ = c
    (c,) = shapes
    return _lev_trbeta(1.0, c, 1.0, theta, v, k)


def _lev_lomax(shapes, theta, v, k):
    # scipy lomax(c): S(x) = (1 + x)^(−c) — KPW Pareto (A.2.3.1) with α = c;
    # k ∈ {1, 2} through the generalized Pareto with ξ = 1/α, σ = θ/α (elementary functions)
    (c,) = shapes
    if k in (1, 2):
        return _lev_gpd_core(1.0 / c, theta / c, v, k)
    return _lev_trbeta(c, 1.0, 1.0, theta, v, k)


def _lev_burr3(shapes, theta, v, k):
    # scipy burr(c, d): F(x) = (1 + x^(−c))^(−d) — KPW inverse Burr (A.2.2.2), τ = d, γ = c;
    # c = 1 is KPW's inverse Pareto (A.2.3.3)
    c, d = shapes
    return _lev_trbeta(1.0, c, d, theta, v, k)


def _lev_betaprime(shapes, theta, v, k):
    # scipy betaprime(a, b): f(x) = x^(a−1) (1+x)^(−a−b) / B(a, b) — KPW generalized Pareto
    # (A.2.2.3, actuar genpareto) with τ = a, α = b; the transformed beta with γ = 1
    a, b = shapes
    return _lev_trbeta(b, 1.0, a, theta, v, k)


def _lev_mielke(shapes, theta, v, k):
    # scipy mielke(k, s): F(x) = x^k / (1 + x^s)^(k/s) = (z/(1+z))^(k/s), z = x^s:
    # the inverse Burr with γ = s, τ = k/s
    kk, s = shapes
    return _lev_trbeta(1.0, s, kk / s, theta, v, k)


def _lev_gengamma(shapes, theta, v, k):
    """scipy gengamma(a, c): ``(X/θ)^c ~ Gamma(a)``, ``c ≠ 0``.

    ``c > 0`` is KPW's transformed gamma (A.3.2.1, α = a, τ = c):
      E[(X∧x)^k] = θ^k Γ(a+k/c)/Γ(a) · P(a+k/c, w) + x^k Q(a, w),          w = (x/θ)^c;
    ``c < 0`` is KPW's inverse transformed gamma (A.3.3.1, α = a, τ = −c), with the upper
    incomplete gamma (unregularised) for every ``s = a + k/c`` — also ``s ≤ 0``, where the full
    moment does not exist but the limited one does:
      E[(X∧x)^k] = θ^k Γ(a+k/c, w)/Γ(a) + x^k P(a, w),                     w = (x/θ)^c = (θ/x)^(−c).
    (P, Q the regularised lower/upper incomplete gamma functions.)
    """
    a, c = shapes
    a, c, theta, v = np.broadcast_arrays(*(np.asarray(z, dtype=float) for z in (a, c, theta, v)))
    s = a + k / c
    with np.errstate(divide="ignore", over="ignore", under="ignore", invalid="ignore"):
        w = np.exp(c * (np.log(v) - np.log(theta)))
        lg_a = special.gammaln(a)
        ratio = np.exp(special.gammaln(np.where(s > 0, s, 1.0)) - lg_a)
        body = np.where(c > 0, ratio * special.gammainc(s, w), ratio * special.gammaincc(s, w))
        surv = np.where(c > 0, special.gammaincc(a, w), special.gammainc(a, w))
        nonpos = s <= 0
        if np.any(nonpos):
            body[nonpos] = _upper_gamma_nonpos(s[nonpos], w[nonpos]) * np.exp(-lg_a[nonpos])
        body = np.where(v == 0.0, 0.0, np.power(theta, k) * body)
    return body + _tail_term(v, k, surv)


def _lev_invgamma(shapes, theta, v, k):
    # scipy invgamma(a): θ/X ~ Gamma(a) — KPW inverse gamma (A.3.3.2): gengamma(a, −1)
    (a,) = shapes
    return _lev_gengamma((a, -1.0), theta, v, k)


def _lev_invweibull(shapes, theta, v, k):
    # scipy invweibull(c): (X/θ)^(−c) ~ Exp(1) — KPW inverse Weibull (A.3.3.3): gengamma(1, −c);
    # c = 1 is KPW's inverse exponential (A.3.3.4)
    (c,) = shapes
    return _lev_gengamma((1.0, -np.asarray(c, dtype=float)), theta, v, k)


_Closed = Callable[[tuple, np.ndarray, np.ndarray, float], np.ndarray]

#: scipy law name → (closed form, which orders it covers: None = every k > 0, or a predicate
#: of (k, shapes))
_CLOSED: dict[str, tuple[_Closed, Callable[[float, tuple], bool] | None]] = {
    "expon": (_lev_expon, None),
    "gamma": (_lev_gamma, None),
    "lognorm": (_lev_lognorm, None),
    "weibull_min": (_lev_weibull, None),
    "pareto": (_lev_pareto, None),
    "lomax": (_lev_lomax, None),
    "genpareto": (_lev_genpareto, _genpareto_orders),
    "fisk": (_lev_fisk, None),
    "burr12": (_lev_burr12, None),
    "burr": (_lev_burr3, None),
    "betaprime": (_lev_betaprime, None),
    "mielke": (_lev_mielke, None),
    "gengamma": (_lev_gengamma, None),
    "invgamma": (_lev_invgamma, None),
    "invweibull": (_lev_invweibull, None),
}

#: names of the scipy.stats laws with closed-form limited moments
CLOSED_FORM_LAWS: tuple[str, ...] = tuple(_CLOSED)
