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
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from puhui.benefits.layer import as_stack
from puhui.benefits.segments import SegmentedBenefit
from puhui.errors import ParameterError
from puhui.losses.lev import _frozen_params, _is_frozen_scipy, lev, lev_moment

__all__ = [
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
