"""Pricing of the small-business covers: pure premium from the loss core, gross via
:func:`puhui.pricing.gross_up` (the one gross-up; never a second one here).

**Property** (财产基本险 / 综合险). A risk with sum insured ``V`` (保险金额), occupancy o
(占用性质) and location grade l (地段风险等级) has losses at the rate
``λ = f_o · a_l · s`` a year (``s = basic_share`` for 基本险, 1 for 综合险); each loss is
``Y = V·X`` with X the damage ratio on the Swiss Re curve ``c_o``
(:mod:`puhui.smallbiz.exposure_curve`). With 每次事故免赔额 d and 赔付比例 r the payout per loss
is ``r (Y − d)₊`` (at most ``r (V − d)``), so

    pure premium = λ · r · V · E[X] · (1 − G(d/V))          (the deductible credit is G(d/V))

— the same number as ``λ · expected_payout(DamageRatioLaw(V, b, g), Benefit(d, r))`` through
the loss core (a test checks it), computed here in closed form for a whole book at once.

**Public liability** (公众责任). ``n`` exposure units (营业面积 per 100 m², or 营业收入 per
10,000 元) give ``N ~ Poisson(λ n)`` accidents a year; the loss per accident X is lognormal;
each accident pays ``min((X − d)₊, L)`` (每次事故赔偿限额 L) and the year pays at most the
累计赔偿限额 A:

    pure premium = E[min(S, A)],  S = Σ_{j ≤ N} min((X_j − d)₊, L)

with the law of S from :func:`puhui.losses.aggregate` (FFT) over :func:`puhui.losses.coverage`.
Increased-limit factors (ILF) from the fitted severity:
``ILF(L) = E[min((X − d)₊, L)] / E[min((X − d)₊, B)]`` (B the base limit).

**雇主责任 / staff group cover.** Per head and year of 职业类别 k (class factor ``φ_k``):

    pure = φ_k · [(q_death + q_dis · s̄) · L_person + μ_med · E[min(r (X − d)₊, M)]]

with the per-person 伤亡 limit ``L_person``, the mean disability-grade share ``s̄`` and the
per-person medical limit M on a lognormal medical cost X. On the ``payroll`` base the rate is
per 10,000 元 of 工资总额: ``pure_per_head / (average_salary / 10,000)``.

With the grades' distribution ``p_g`` in the product file (伤残等级 1–10, payout shares ``s_g``
of :data:`puhui.benefits.disability.DISABILITY_GRADE_SHARES`), each head's yearly payout is a
compound Poisson sum of three independent causes — 工亡 (rate ``φ q_death``, amount L), 伤残
(rate ``φ q_dis``, amount ``L s_G``) and 医疗 (rate ``φ μ_med``, amount
``Y = min(r (X − d)₊, M)``) — so its cumulants are (:func:`employer_moments`)

    κ_j = φ_k [(q_death + q_dis · Σ_g p_g s_g^j) · L^j + μ_med · E[Y^j]],   j = 1, 2, 3,

``E[Y^j]`` from :func:`puhui.losses.payout.layer_moments`; a book's cumulants are the heads'
sums, for P(CR > 100%) by NP2 (:func:`puhui.ratios.exceedance_probability`).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from ..benefits import Benefit
from ..benefits.disability import grade_share_moments
from ..errors import DataError, ParameterError, Problem
from ..losses import Poisson, aggregate, coverage, expected_payout
from ..losses.payout import layer_moments
from ..pricing import gross_up
from .exposure_curve import damage_ratio_cdf, excess_moments, swiss_re_curve
from .product import UNITS, Product

__all__ = ["employer_moments", "employer_rates", "gross", "ilf", "liability_design_moments", "liability_premium",
           "liability_severity", "price_groups", "price_property", "property_moments"]


def _need_kind(product: Product, kind: str) -> None:
    if not isinstance(product, Product):
        raise ParameterError(f"product must be a smallbiz Product, got {type(product).__name__}")
    if product.kind != kind:
        raise ParameterError(f"product {product.code} is a {product.kind} product, not {kind}")


def gross(product: Product, pure, expected_claims=0.0):
    """Gross premium of a pure premium under the product's expenses and target 综合成本率:
    ``P = (E + F + k·n) / (τ − v)`` (:func:`puhui.pricing.gross_up`)."""
    e = product.expenses
    return gross_up(pure, variable_rate=e.variable_rate, fixed=e.per_member,
                    per_claim=e.per_claim, expected_claims=expected_claims,
                    target_combined_ratio=product.target_combined_ratio)


# ------------------------------------------------------------------------------ property
def _labels(frame: pd.DataFrame, col: str, allowed: dict, table: str) -> list[Problem]:
    v = frame[col].to_numpy(object)
    bad = ~pd.Series(v).isin(list(allowed)).to_numpy()
    return [Problem(table, col, int(i) + 1, "not_allowed",
                    f"must be one of {sorted(allowed)}", v[i]) for i in np.flatnonzero(bad)]


def _positive(frame: pd.DataFrame, col: str, table: str, *, zero: bool = False):
    x = pd.to_numeric(frame[col], errors="coerce").to_numpy(float)
    bad = ~np.isfinite(x) | ((x < 0) if zero else (x <= 0))
    return x, [Problem(table, col, int(i) + 1, "out_of_range",
                       f"must be a number {'≥' if zero else '>'} 0", frame[col].iloc[i])
               for i in np.flatnonzero(bad)]


def _columns(frame, need, table):
    if not isinstance(frame, pd.DataFrame):
        raise ParameterError(f"{table} must be a DataFrame")
    missing = [c for c in need if c not in frame.columns]
    if missing:
        raise DataError([Problem(table, c, None, "missing_column", "required column is missing")
                         for c in missing])


def price_property(product: Product, risks: pd.DataFrame, *, deductible=None,
                   payout_ratio=None, table: str = "risks") -> pd.DataFrame:
    """Pure and gross premium of every risk (one row per risk) of a property product.

    ``risks`` columns: ``sum_insured`` (元 > 0), ``occupancy`` and ``location_grade`` (names
    of the product file). ``deductible``/``payout_ratio`` override the product's terms.
    Returns ``risks`` with ``frequency, expected_loss, pure_premium, gross_premium, rate_permille``
    (gross / V × 1000, 费率 ‰) and ``claim_probability`` (expected paid claims a year).
    Loops run over the occupancy classes (a handful), never over risks.
    """
    _need_kind(product, "property")
    _columns(risks, ("sum_insured", "occupancy", "location_grade"), table)
    t = product.terms
    r = risks.reset_index(drop=True)
    v, problems = _positive(r, "sum_insured", table)
    problems += _labels(r, "occupancy", t.occupancies, table)
    problems += _labels(r, "location_grade", t.location_grades, table)
    if problems:
        raise DataError(problems)
    d = t.deductible if deductible is None else float(deductible)
    ratio = t.payout_ratio if payout_ratio is None else float(payout_ratio)
    Benefit(deductible=d, payout_ratio=ratio)  # the loss core's checks of d and r
    share = t.basic_share if t.cover == "basic" else 1.0
    grade = r["location_grade"].map(t.location_grades).to_numpy(float)
    freq = np.zeros(len(r))
    paid = np.zeros(len(r))
    prob = np.zeros(len(r))
    ground = np.zeros(len(r))
    occ = r["occupancy"].to_numpy(object)
    for name, o in t.occupancies.items():
        m = occ == name
        if not m.any():
            continue
        b, g = swiss_re_curve(o.curve)
        delta = np.minimum(d / v[m], 1.0)
        (m1,) = excess_moments(delta, b, g, orders=(1,))
        (m0,) = excess_moments(0.0, b, g, orders=(1,))
        freq[m] = o.frequency * grade[m] * share
        paid[m] = ratio * v[m] * m1
        ground[m] = v[m] * m0
        prob[m] = 1.0 - _cdf_ratio(delta, b, g)
    pure = freq * paid
    claims = freq * prob
    out = r.assign(frequency=freq, expected_loss=freq * ground, pure_premium=pure,
                   claim_probability=claims)
    out["gross_premium"] = gross(product, pure, claims)
    out["rate_permille"] = out["gross_premium"] / v * 1000.0
    return out


def _cdf_ratio(delta, b, g):
    return np.asarray(damage_ratio_cdf(delta, b, g))


def property_moments(product: Product, risks: pd.DataFrame, deductible, payout_ratio):
    """Cumulants ``κ₁, κ₂, κ₃`` of the book's yearly claims paid (compound Poisson per risk:
    ``κ_j = Σ_i λ_i E[Y_i^j]``), broadcast over ``deductible`` and ``payout_ratio`` arrays
    (one value per design): shape ``np.broadcast(deductible, payout_ratio).shape``. Also the
    expected number of paid claims. For P(CR > c) by NP2
    (:func:`puhui.ratios.exceedance_probability`)."""
    _need_kind(product, "property")
    t = product.terms
    base = price_property(product, risks)
    d, r = np.broadcast_arrays(np.asarray(deductible, float), np.asarray(payout_ratio, float))
    v = base["sum_insured"].to_numpy(float)
    lam = base["frequency"].to_numpy(float)
    occ = base["occupancy"].to_numpy(object)
    k1 = np.zeros(d.shape)
    k2 = np.zeros(d.shape)
    k3 = np.zeros(d.shape)
    n = np.zeros(d.shape)
    for name, o in t.occupancies.items():  # classes, not risks or designs
        m = occ == name
        if not m.any():
            continue
        b, g = swiss_re_curve(o.curve)
        delta = np.minimum(d[..., None] / v[m], 1.0)            # designs × risks
        e1, e2, e3 = excess_moments(delta, b, g)
        rr = r[..., None]
        k1 += np.sum(lam[m] * rr * v[m] * e1, axis=-1)
        k2 += np.sum(lam[m] * rr**2 * v[m] ** 2 * e2, axis=-1)
        k3 += np.sum(lam[m] * rr**3 * v[m] ** 3 * e3, axis=-1)
        n += np.sum(lam[m] * (1.0 - _cdf_ratio(delta, b, g)), axis=-1)
    return k1, k2, k3, n


# ----------------------------------------------------------------------------- liability
def liability_severity(product: Product):
    """The lognormal loss per accident of the product (frozen scipy law)."""
    _need_kind(product, "liability")
    t = product.terms
    return stats.lognorm(s=t.severity_sigma, scale=t.severity_median)


def ilf(severity, limits, *, base_limit: float, deductible: float = 0.0):
    """Increased-limit factors ``E[min((X − d)₊, L)] / E[min((X − d)₊, B)]`` (增限因子),
    vectorised over ``limits`` (one :func:`puhui.losses.expected_payout` call on a grid).

    >>> from scipy import stats
    >>> f = ilf(stats.expon(scale=1000.0), [1000.0, 2000.0], base_limit=1000.0)
    >>> [round(float(x), 6) for x in f]                    # (1 − e^{−L/θ}) / (1 − e^{−1})
    [1.0, 1.367879]
    """
    lim = np.asarray(limits, dtype=float)
    if np.any(~(lim > 0)) or not base_limit > 0:
        raise ParameterError("limits and base_limit must be > 0")
    num = expected_payout(severity, Benefit(deductible=deductible, cap=lim))
    den = expected_payout(severity, Benefit(deductible=deductible, cap=float(base_limit)))
    return np.asarray(num, dtype=float) / float(den)


def liability_premium(product: Product, units, *, limit_per_accident=None, aggregate_limit=None,
                      deductible=None, severity=None, step: float | None = None,
                      moments: bool = False) -> pd.DataFrame:
    """Pure and gross premium of a liability policy per distinct number of exposure ``units``.

    ``E[min(S, A)]`` with S the FFT compound Poisson of the per-accident payout
    (:func:`puhui.losses.coverage`); one aggregate per distinct ``units`` value (the rate
    card's sizes), never per policy. Columns: ``units, expected_accidents,
    pure_no_aggregate`` (``λ n · E[payout per accident]``), ``pure_premium`` (with the
    aggregate limit), ``aggregate_factor`` (their ratio), ``gross_premium``; with
    ``moments=True`` also ``claims_var`` and ``claims_third``, the 2nd and 3rd cumulants of the
    policy's yearly payout ``min(S, A)`` (from ``E[min(S, A)^j]``, the aggregate's
    ``lev_moment``) for P(CR > 100%) of a book by NP2.
    """
    _need_kind(product, "liability")
    t = product.terms
    n = np.unique(np.asarray(units, dtype=float))
    if n.size == 0 or np.any(~np.isfinite(n) | (n <= 0)):
        raise ParameterError("units: exposure units must be finite and > 0")
    lim = t.limit_per_accident if limit_per_accident is None else float(limit_per_accident)
    agg = t.aggregate_limit if aggregate_limit is None else float(aggregate_limit)
    d = t.deductible if deductible is None else float(deductible)
    if agg < lim:
        raise ParameterError("aggregate_limit must be ≥ limit_per_accident")
    sev = liability_severity(product) if severity is None else severity
    benefit = Benefit(deductible=d, cap=lim)
    per_accident = coverage(sev, benefit)
    mean_pay = per_accident.mean()
    h = step if step is not None else lim / 2000.0
    rows = []
    for size in n:  # distinct rate-card sizes (a handful), not policies
        lam = t.frequency * size
        s = aggregate(Poisson(lam), per_accident, step=h)
        m1, m2, m3 = (float(s.lev_moment(agg, j)) for j in (1, 2, 3))
        rows.append((size, lam, lam * mean_pay, m1, m2 - m1 * m1,
                     m3 - 3.0 * m1 * m2 + 2.0 * m1**3))
    out = pd.DataFrame(rows, columns=["units", "expected_accidents", "pure_no_aggregate",
                                      "pure_premium", "claims_var", "claims_third"])
    extra = out.pop("claims_var"), out.pop("claims_third")
    out["aggregate_factor"] = out["pure_premium"] / out["pure_no_aggregate"]
    claims = out["expected_accidents"].to_numpy() * float(sev.sf(d))   # accidents paid
    out["gross_premium"] = gross(product, out["pure_premium"].to_numpy(), np.asarray(claims))
    if moments:
        out["claims_var"], out["claims_third"] = extra
    return out


def liability_design_moments(product: Product, units, limits_per_accident, aggregate_limits,
                             deductibles, *, severity=None, step: float | None = None) -> dict:
    """Cumulants of a liability book's yearly payout for K designs at once (the tuning grid).

    ``units``: the book's policies (exposure units each; repeats allowed — one aggregate per
    distinct size); ``limits_per_accident`` L, ``aggregate_limits`` A and ``deductibles`` d:
    1-D arrays of one value per design (broadcast together). For every design the payout per
    accident ``Y = min((X − d)₊, L)`` is put on a common grid ``0, h, 2h, …`` by the
    mean-preserving rule (Klugman–Panjer–Willmot, *Loss Models*, §9.6.5, "method of local
    moment matching" of order 1):

        f₀ = 1 − E[min(Y, h)]/h,   f_k = (2E[min(Y, kh)] − E[min(Y, (k−1)h)] − E[min(Y, (k+1)h)])/h

    with ``E[min(Y, u)] = LEV_X(d + min(u, L)) − LEV_X(d)`` (one vectorised LEV call over
    designs × nodes); the compound Poisson law of each policy size n is
    ``ifft(exp(λn(φ − 1)))`` with φ the FFT of the K rows at once (numpy's FFT along the
    grid axis: no loop over designs); then ``E[min(S, A)^j] = Σ_{x<A} x^j f(x) + A^j P(S ≥ A)``
    by prefix sums for every design's own A. Returns a dict of arrays (one value per design):
    ``k1, k2, k3`` (cumulants of the book's payout, summed over independent policies),
    ``paid_accidents`` (``Σ λ n P(X > d)``), ``accidents`` (``Σ λ n``), ``ground_up``
    (``Σ λ n E[X]``), and ``step``. The premium of one design agrees with
    :func:`liability_premium` to the discretisation error (tested within 0.5 %).
    """
    from ..losses import lev

    _need_kind(product, "liability")
    t = product.terms
    sizes, counts = np.unique(np.asarray(units, dtype=float), return_counts=True)
    if sizes.size == 0 or np.any(~np.isfinite(sizes) | (sizes <= 0)):
        raise ParameterError("units: exposure units must be finite and > 0")
    L, A, d = np.broadcast_arrays(*(np.atleast_1d(np.asarray(v, dtype=float))
                                    for v in (limits_per_accident, aggregate_limits,
                                              deductibles)))
    if L.ndim != 1:
        raise ParameterError("limits, aggregate limits and deductibles: one value per design")
    if np.any(~np.isfinite(L) | (L <= 0)) or np.any(~np.isfinite(d) | (d < 0)):
        raise ParameterError("limit_per_accident must be finite and > 0, deductible ≥ 0")
    if np.any(~(A >= L)) or np.any(~np.isfinite(A)):
        raise ParameterError("aggregate_limit (累计赔偿限额) must be finite and ≥ "
                             "limit_per_accident (每次事故赔偿限额) in every design")
    sev = liability_severity(product) if severity is None else severity
    m_max = t.frequency * float(sizes.max())
    # accidents a year covered by the grid: P(N > m + 6√m + 8) < 1e-9 for every size here
    span = max(float(A.max()), float(L.max()) * (m_max + 6.0 * np.sqrt(m_max) + 8.0))
    h = float(step) if step is not None else max(float(L.min()) / 400.0, span / (2**16 - 2))
    if not h > 0:
        raise ParameterError("step must be > 0")
    n_fft = 1 << int(np.ceil(np.log2(span / h + 2.0)))
    top = int(np.ceil(float(L.max()) / h)) + 2                 # nodes of the payout per accident
    u = np.arange(top + 2, dtype=float) * h                    # 0, h, …, (top + 1) h
    base = np.asarray(lev(sev, d), dtype=float)
    lev_y = np.asarray(lev(sev, d[:, None] + np.minimum(u[None, :], L[:, None])),
                       dtype=float) - base[:, None]            # designs × nodes
    f = np.empty((L.size, top + 1))
    f[:, 0] = 1.0 - lev_y[:, 1] / h
    f[:, 1:] = (2.0 * lev_y[:, 1:top + 1] - lev_y[:, :top] - lev_y[:, 2:top + 2]) / h
    f = np.clip(f, 0.0, None)
    phi = np.fft.rfft(f, n=n_fft, axis=1)
    idx = np.minimum(np.floor(A / h + 1e-9).astype(int) + 1, n_fft)   # nodes x ≤ A
    width = int(idx.max())
    x = np.arange(width) * h
    powers = np.stack([np.ones(width), x, x * x, x**3], axis=1)          # nodes × (x⁰ … x³)
    below = np.arange(width)[None, :] < idx[:, None]                     # designs × nodes
    k1 = np.zeros(L.size)
    k2 = np.zeros(L.size)
    k3 = np.zeros(L.size)
    for size, count in zip(sizes, counts, strict=True):     # distinct sizes, not policies
        lam = t.frequency * size
        pmf = np.fft.irfft(np.exp(lam * (phi - 1.0)), n=n_fft, axis=1)[:, :width]
        sums = (np.clip(pmf, 0.0, None) * below) @ powers                # Σ_{x ≤ A} x^j f(x)
        tail = np.clip(1.0 - sums[:, 0], 0.0, None)                     # P(S > A)
        m1, m2, m3 = (sums[:, j] + A**j * tail for j in (1, 2, 3))
        k1 += count * m1
        k2 += count * (m2 - m1 * m1)
        k3 += count * (m3 - 3.0 * m1 * m2 + 2.0 * m1**3)
    lam_book = t.frequency * float(np.sum(sizes * counts))
    return {"k1": k1, "k2": k2, "k3": k3,
            "paid_accidents": lam_book * np.asarray(sev.sf(d), dtype=float),
            "accidents": np.full(L.size, lam_book),
            "ground_up": np.full(L.size, lam_book * float(sev.mean())), "step": h}


# ------------------------------------------------------------------------------ employer
def employer_rates(product: Product, *, death_disability_limit=None, medical_limit=None,
                   medical_deductible=None, medical_ratio=None) -> pd.DataFrame:
    """Pure and gross premium per head (and per 10,000 元 payroll on that base) for 职业类别
    1–6. The limits and medical terms broadcast (give arrays for a grid of designs: the result
    then has one row per class × design, with the design's terms as columns)."""
    _need_kind(product, "employer")
    t = product.terms
    L = np.asarray(t.death_disability_limit if death_disability_limit is None
                   else death_disability_limit, float)
    M = np.asarray(t.medical_limit if medical_limit is None else medical_limit, float)
    d = np.asarray(t.medical_deductible if medical_deductible is None else medical_deductible,
                   float)
    r = np.asarray(t.medical_ratio if medical_ratio is None else medical_ratio, float)
    L, M, d, r = np.broadcast_arrays(L, M, d, r)
    if np.any(~(L > 0)):
        raise ParameterError("death_disability_limit must be > 0")
    med = stats.lognorm(s=t.medical_sigma, scale=t.medical_median)
    per_injury = np.asarray(expected_payout(med, Benefit(deductible=d, payout_ratio=r, cap=M)))
    base = (t.death_rate + t.disability_rate * t.disability_share) * L \
        + t.medical_frequency * per_injury
    phi = np.asarray(t.class_factors)
    shape = L.shape
    pure = phi.reshape((6,) + (1,) * len(shape)) * base                 # class × designs
    claims = phi.reshape((6,) + (1,) * len(shape)) * (
        t.death_rate + t.disability_rate
        + t.medical_frequency * np.asarray(stats.lognorm.sf(d, t.medical_sigma,
                                                            scale=t.medical_median)))
    gross_head = gross(product, pure, claims)
    out = pd.DataFrame({
        "occupation_class": np.repeat(np.arange(1, 7), max(1, int(np.prod(shape)))),
        "death_disability_limit": np.tile(L.ravel(), 6),
        "medical_limit": np.tile(M.ravel(), 6),
        "medical_deductible": np.tile(d.ravel(), 6), "medical_ratio": np.tile(r.ravel(), 6),
        "pure_per_head": np.ravel(pure), "gross_per_head": np.ravel(gross_head),
        "claims_per_head": np.ravel(claims)})
    if t.exposure_base == "payroll":
        out["gross_per_10k_payroll"] = out["gross_per_head"] / (t.average_salary / UNITS[
            "payroll"])
    return out


def employer_moments(product: Product, *, death_disability_limit=None, medical_limit=None,
                     medical_deductible=None, medical_ratio=None):
    """Cumulants ``(κ₁, κ₂, κ₃)`` of one head's yearly payout for 职业类别 1–6, each of shape
    ``(6, *designs)`` (the terms broadcast as in :func:`employer_rates`):
    ``κ_j = φ_k [(q_death + q_dis Σ_g p_g s_g^j) L^j + μ E[Y^j]]``, compound Poisson per cause
    (module notes). ``κ₁`` is :func:`employer_rates`' ``pure_per_head``. ``κ₂, κ₃`` are NaN
    when the product file gives only the mean disability share (no ``grade_probabilities``).

    >>> from puhui.smallbiz import Product, example_product_path
    >>> k1, k2, k3 = employer_moments(Product.from_toml(example_product_path("employer")))
    >>> round(float(k1[0]), 4), round(float(np.sqrt(k2[0])), 2)     # 职业类别 1, 元 a head
    (108.3047, 3859.57)
    """
    _need_kind(product, "employer")
    t = product.terms
    L, M, d, r = np.broadcast_arrays(*(np.asarray(v if g is None else g, float) for v, g in (
        (t.death_disability_limit, death_disability_limit), (t.medical_limit, medical_limit),
        (t.medical_deductible, medical_deductible), (t.medical_ratio, medical_ratio))))
    if np.any(~(L > 0)):
        raise ParameterError("death_disability_limit must be > 0")
    med = stats.lognorm(s=t.medical_sigma, scale=t.medical_median)
    y = layer_moments(med, np.ravel(d), np.ravel(r), np.ravel(M))[:3]
    if t.grade_probabilities is None:
        shares = (t.disability_share, np.nan, np.nan)
    else:
        shares = grade_share_moments(t.grade_probabilities)
    phi = np.asarray(t.class_factors).reshape((6,) + (1,) * L.ndim)
    return tuple(phi * ((t.death_rate + t.disability_rate * s) * L**j
                        + t.medical_frequency * np.reshape(m, L.shape))
                 for j, (s, m) in enumerate(zip(shares, y, strict=True), start=1))


def price_groups(product: Product, groups: pd.DataFrame, *, table: str = "groups"
                 ) -> pd.DataFrame:
    """Manual (class-rate) premium of every group: ``groups`` columns ``group``,
    ``occupation_class`` (1–6) and ``headcount`` (or ``payroll``, 元, on the payroll base).
    Adds ``exposure`` (heads, or payroll / 10,000 元), ``expected_claims`` (pure, 元),
    ``manual_premium`` (gross, 元)."""
    _need_kind(product, "employer")
    t = product.terms
    col = "headcount" if t.exposure_base == "headcount" else "payroll"
    _columns(groups, ("group", "occupation_class", col), table)
    g = groups.reset_index(drop=True)
    x, problems = _positive(g, col, table)
    cls = pd.to_numeric(g["occupation_class"], errors="coerce").to_numpy(float)
    bad = ~np.isin(cls, np.arange(1, 7))
    problems += [Problem(table, "occupation_class", int(i) + 1, "not_allowed",
                         "职业类别 must be 1–6", g["occupation_class"].iloc[i])
                 for i in np.flatnonzero(bad)]
    if problems:
        raise DataError(problems)
    rates = employer_rates(product).set_index("occupation_class")
    k = cls.astype(int)
    heads = x if col == "headcount" else x / t.average_salary
    out = g.assign(exposure=x / UNITS[col],
                   expected_claims=heads * rates["pure_per_head"].reindex(k).to_numpy(),
                   manual_premium=heads * rates["gross_per_head"].reindex(k).to_numpy())
    return out
