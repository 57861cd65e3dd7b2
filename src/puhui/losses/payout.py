"""Expected payout, its variance and the payout probability of a benefit under a loss law.

A benefit is a stack of layers ``(a_i, l_i, s_i)`` (see :mod:`puhui.benefits`) plus, for a
franchise deductible, a jump ``J`` paid when ``X > d``. With ``L_i = min(X, a_i+l_i) − min(X, a_i)``:

* ``E[pay] = Σ_i s_i E[L_i] + J S(d)``,  ``E[L_i] = LEV(a_i + l_i) − LEV(a_i)``;
* ``E[pay²] = Σ_i Σ_j s_i s_j E[L_i L_j] + 2J Σ_i s_i E[L_i 1{X>d}] + J² S(d)``, where
  ``E[L_i²] = LEV₂(b) − LEV₂(a) − 2a (LEV(b) − LEV(a))`` (b = a + l), ``E[L_i L_j] = l_i E[L_j]``
  when layer i lies wholly below layer j, and in general
  ``E[L_i L_j] = M(b_i,b_j) − M(b_i,a_j) − M(a_i,b_j) + M(a_i,a_j)`` with
  ``M(u, v) = E[min(X,u) min(X,v)] = LEV₂(m) + m (LEV(M) − LEV(m))``, m = min(u,v), M = max(u,v);
  ``E[L_i 1{X>d}] = E[L_i] − E[L_i(min(X, d))] + L_i(d) S(d)``.

Only ``LEV``, ``LEV₂`` and ``S`` of the loss law are needed, so the same code prices a parametric
law (closed forms), an :class:`~puhui.losses.empirical.Empirical` sample (binary searches on
prefix sums: K designs on N losses in O(N log N + K log N)) or any model of
:mod:`puhui.losses.models`. Results have the shape of the benefit's design grid.

:func:`layer_moments` gives the first three moments and ``P(Y > 0)`` of one layer
``Y = min(r (X − d)₊, C)`` per design, the inputs of the NP2 approximation of a portfolio
(pricing's risk margin, tuning's P(CR > 100%)); its third moment is the binomial expansion of
``(min(X, u) − d)^k`` on ``X > d`` (every term vanishes on ``X ≤ d``), ``u = d + C/r``::

    E[Y^k] = r^k Σ_{j=1..k} C(k, j) (−d)^(k−j) (E[min(X, u)^j] − E[min(X, d)^j]).
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from puhui.benefits.benefit import Benefit
from puhui.benefits.layer import as_stack
from puhui.benefits.segments import SegmentedBenefit
from puhui.errors import ParameterError
from puhui.losses.lev import _frozen_params, _is_frozen_scipy, lev, lev_moment

__all__ = [
    "layer_moments",
    "expected_payout",
    "payout_second_moment",
    "payout_variance",
    "payout_probability",
]


# -- access to the loss law ---------------------------------------------------------------------


def _check_model(model) -> None:
    if _is_frozen_scipy(model):
        shapes, loc, scale = _frozen_params(model)
        if any(np.ndim(p) for p in (*shapes, loc, scale)):
            raise ParameterError(
                "model: array-valued scipy parameters are not supported for payouts (the "
                "benefit's grid already has the design axes); freeze one law per parameter set"
            )
    elif not hasattr(model, "lev"):
        raise ParameterError(
            f"model: {type(model).__name__} is neither a frozen scipy.stats law nor a loss "
            "model with lev(u)"
        )


def _sf(model, x):
    if not hasattr(model, "sf"):
        raise ParameterError(f"model: {type(model).__name__} has no sf(x), needed here")
    return np.asarray(model.sf(np.asarray(x, dtype=float)), dtype=float)


def _layer_mean(model, a, b):
    """``E[min(X, b) − min(X, a)]`` for ``a ≤ b`` (elementwise)."""
    method = getattr(model, "layer_mean", None)
    if method is not None:
        return np.asarray(method(a, b), dtype=float)
    with np.errstate(invalid="ignore"):
        out = lev(model, b) - lev(model, a)
    return np.where(b > a, out, 0.0)


def _layer_second(model, a, b):
    """``E[(min(X, b) − min(X, a))²]`` for ``a ≤ b``."""
    method = getattr(model, "layer_second_moment", None)
    if method is not None:
        return np.asarray(method(a, b), dtype=float)
    with np.errstate(invalid="ignore"):
        out = lev_moment(model, b, 2) - lev_moment(model, a, 2) - 2.0 * a * _layer_mean(model, a, b)
    return np.where(b > a, out, 0.0)


def _cross_moment(model, u, v):
    """``M(u, v) = E[min(X, u) min(X, v)]``."""
    lo, hi = np.minimum(u, v), np.maximum(u, v)
    with np.errstate(invalid="ignore"):
        return lev_moment(model, lo, 2) + lo * _layer_mean(model, lo, hi)


def _weighted(share, values):
    """``share · values`` with ``0 · inf = 0`` (a band paying 0 % of an infinite-mean layer)."""
    with np.errstate(invalid="ignore"):
        return np.where(share > 0, share * values, 0.0)


# -- segmented benefits --------------------------------------------------------------------------


def _per_segment(func, model, benefit: SegmentedBenefit):
    if benefit.mix is None:
        raise ParameterError("benefit: a SegmentedBenefit needs its mix (segment shares) here")
    total = np.zeros(benefit.grid_shape)
    for name, terms in benefit.terms.items():
        if isinstance(model, Mapping):
            if name not in model:
                raise ParameterError(f"model: no loss model for segment '{name}'")
            seg_model = model[name]
        else:
            seg_model = model
        total = total + benefit.mix[name] * func(seg_model, terms)
    return total[()]


# -- public functions ----------------------------------------------------------------------------


def expected_payout(model, benefit):
    """Expected payout per loss (期望赔付) of a benefit design or a grid of designs.

    Parameters
    ----------
    model : frozen scipy.stats law, Empirical, or loss model with ``lev`` (and ``sf`` for a
        franchise); for a :class:`~puhui.benefits.SegmentedBenefit`, a mapping segment → model
        or one model for all segments.
    benefit : Benefit, Layer, LayerStack or SegmentedBenefit
        The design(s); array parameters form a grid.

    Returns
    -------
    numpy.ndarray or numpy.float64
        ``E[pay(X)]`` in yuan, shape ``benefit.grid_shape``;
        ``Σ_i s_i (LEV(a_i + l_i) − LEV(a_i)) + J S(d)``. For a SegmentedBenefit, the mean per
        member ``Σ_s mix_s E_s[pay]``.

    Notes
    -----
    Far-tail layers of a parametric law are differences of two LEVs close to the mean, so they
    carry an absolute error of about ``1e-16 × mean``; Empirical sums only the losses inside
    each layer.

    Examples
    --------
    >>> from scipy import stats
    >>> from puhui.benefits import Benefit
    >>> b = Benefit(deductible=1000.0, payout_ratio=0.8)
    >>> round(float(expected_payout(stats.expon(scale=1000.0), b)), 4)  # 0.8·1000·e^{-1}
    294.3036
    """
    if isinstance(benefit, SegmentedBenefit):
        return _per_segment(expected_payout, model, benefit)
    _check_model(model)
    st = as_stack(benefit)
    means = _layer_mean(model, st.attachment, st.top)
    out = _weighted(st.share, means).sum(axis=-1)
    if st.jump_size is not None:
        out = out + _weighted(st.jump_size, _sf(model, st.jump_at))
    return np.asarray(out, dtype=float)[()]


def payout_second_moment(model, benefit):
    """``E[pay(X)²]`` in yuan², shape ``benefit.grid_shape`` (see the module notes)."""
    if isinstance(benefit, SegmentedBenefit):
        return _per_segment(payout_second_moment, model, benefit)
    _check_model(model)
    st = as_stack(benefit)
    a, top, s, lim = st.attachment, st.top, st.share, st.limit
    means = _layer_mean(model, a, top)
    total = _weighted(s * s, _layer_second(model, a, top)).sum(axis=-1)
    n = st.n_layers
    for i in range(n):  # pairs of the few layers of one design (vectorised over designs)
        for j in range(i + 1, n):
            ai, bi, aj, bj = a[..., i], top[..., i], a[..., j], top[..., j]
            below = bi <= aj  # layer i wholly under layer j: L_i = l_i whenever L_j > 0
            above = bj <= ai
            with np.errstate(invalid="ignore"):
                cross = np.where(below, _weighted(lim[..., i], means[..., j]),
                                 _weighted(lim[..., j], means[..., i]))
            overlap = ~(below | above)
            if np.any(overlap):
                general = (_cross_moment(model, bi, bj) - _cross_moment(model, bi, aj)
                           - _cross_moment(model, ai, bj) + _cross_moment(model, ai, aj))
                cross = np.where(overlap, general, cross)
            total = total + 2.0 * _weighted(s[..., i] * s[..., j], cross)
    if st.jump_size is not None:
        d = st.jump_at[..., None]
        surv = _sf(model, st.jump_at)
        at_d = np.clip(d - a, 0.0, lim)
        with np.errstate(invalid="ignore"):
            below_d = _layer_mean(model, np.minimum(d, a), np.minimum(d, top))
            joint = means - below_d + np.where(at_d > 0, at_d * surv[..., None], 0.0)
        jump = st.jump_size
        total = total + 2.0 * _weighted(jump, _weighted(s, joint).sum(axis=-1))
        total = total + _weighted(jump * jump, surv)
    return np.asarray(total, dtype=float)[()]


def payout_variance(model, benefit):
    """``Var[pay(X)]`` per loss in yuan², shape ``benefit.grid_shape``.

    ``E[pay²] − E[pay]²``; rounding can leave a few ulps below 0 for near-deterministic payouts,
    which are returned as 0. For a SegmentedBenefit: the variance for a member drawn at random
    (segment mixture).
    """
    second = payout_second_moment(model, benefit)
    mean = expected_payout(model, benefit)
    with np.errstate(invalid="ignore"):
        var = np.asarray(second - mean * mean, dtype=float)
    return np.maximum(var, 0.0)[()]


def payout_probability(model, benefit):
    """Probability that a loss leads to a payout, ``P(pay(X) > 0)`` (赔付发生率 per loss).

    ``S(a*)`` with ``a*`` the lowest attachment of a layer that pays (share > 0, limit > 0) or
    the franchise point; 0 for a design that never pays. Shape ``benefit.grid_shape``.
    """
    if isinstance(benefit, SegmentedBenefit):
        return _per_segment(payout_probability, model, benefit)
    _check_model(model)
    st = as_stack(benefit)
    pays = (st.share > 0) & (st.limit > 0)
    start = np.where(pays, st.attachment, np.inf).min(axis=-1)
    if st.jump_size is not None:
        start = np.where(st.jump_size > 0, np.minimum(start, st.jump_at), start)
    finite = np.isfinite(start)
    prob = np.where(finite, _sf(model, np.where(finite, start, 0.0)), 0.0)
    return np.asarray(prob, dtype=float)[()]


def layer_moments(law, deductible, payout_ratio, cap) -> tuple[np.ndarray, ...]:
    """``E[Y]``, ``E[Y²]``, ``E[Y³]`` and ``P(Y > 0)`` of ``Y = min(r (X − d)₊, C)`` per design.

    Parameters
    ----------
    law : Empirical, frozen scipy law, or loss model with ``lev_moment(u, k)`` and ``sf``
        Law of the annual cost ``X`` of one member on one line (zeros included).
    deductible, payout_ratio, cap : array_like, shape (K,)
        起付线 ``d ≥ 0``, 赔付比例 ``r ∈ (0, 1]``, 封顶线 ``C > 0`` (``inf`` = no cap).

    Returns
    -------
    tuple of ndarray
        ``(E[Y], E[Y²], E[Y³], P(Y > 0))`` in yuan, yuan², yuan³ and probability.

    Notes
    -----
    The first two moments and the payout probability are :func:`expected_payout`,
    :func:`payout_second_moment` and :func:`payout_probability` of ``Benefit(d, r, C)``; the
    third is ``r³ [ΔLEV₃ − 3d ΔLEV₂ + 3d² ΔLEV₁]`` with
    ``ΔLEV_j = E[min(X, u)^j] − E[min(X, d)^j]``, from :func:`puhui.losses.lev.lev_moment`
    (closed forms; O(log N) per limit for an :class:`~puhui.losses.empirical.Empirical`).

    Examples
    --------
    Exponential costs (mean θ = 1,000) are memoryless: given ``X > d`` the excess is again
    exponential, so without a cap ``E[Y^k] = e^{−d/θ} r^k k! θ^k``:

    >>> from scipy import stats
    >>> m1, m2, m3, p = layer_moments(stats.expon(scale=1000.0), [1000.0], [0.8], [np.inf])
    >>> round(float(p[0]), 6)                            # P(X > d) = e^{−1}
    0.367879
    >>> [round(float(v[0] / (np.exp(-1.0) * 0.8**k * np.prod(range(1, k + 1)) * 1e3**k)), 12)
    ...  for k, v in ((1, m1), (2, m2), (3, m3))]
    [1.0, 1.0, 1.0]
    """
    benefit = Benefit(deductible=deductible, payout_ratio=payout_ratio, cap=cap)
    st = benefit.stack()
    a, top, r = st.attachment[..., 0], st.top[..., 0], st.share[..., 0]
    m1 = np.asarray(expected_payout(law, benefit), dtype=float)
    m2 = np.asarray(payout_second_moment(law, benefit), dtype=float)
    diff = {j: lev_moment(law, top, j) - lev_moment(law, a, j) for j in (2, 3)}
    with np.errstate(invalid="ignore"):
        layer = np.where(top > a, lev_moment(law, top, 1) - lev_moment(law, a, 1), 0.0)
        third = diff[3] - 3.0 * a * diff[2] + 3.0 * a * a * layer
    m3 = np.maximum(r**3 * third, 0.0)
    prob = np.asarray(payout_probability(law, benefit), dtype=float)
    return m1, m2, m3, prob
