"""Joint payout moments of K designs across the benefit lines of member-level experience.

One line's moments ``E[Y]``, ``E[Y²]``, ``E[Y³]`` and ``P(Y > 0)`` are
:func:`puhui.losses.payout.layer_moments` (re-exported here). Across lines a member's total
payout is ``Σ_l Y_l``. Two quantities need the *joint* law of the lines, and for experience both
are computed exactly on a lattice (written by hand; no library evaluates these
multi-dimensional empirical sums on a grid):

* the probability that no line pays, ``P(X_l ≤ d_l ∀ l)``: the members are binned by the rank
  of each ``X_l`` among the distinct deductibles of line ``l``, and cumulative sums of the
  L-dimensional histogram give the joint cdf at every lattice point (O(N + Π n_l));
* ``E[Y_l Y_m]``: with ``Y = r((X − d)₊ − (X − u)₊)`` it is a signed sum of
  ``G(α, β) = E[(X_l − α)₊ (X_m − β)₊] = Σ_{x_l>α, x_m>β} w (x_l x_m − β x_l − α x_m + αβ) / W``
  at ``α ∈ {d_l, u_l}``, ``β ∈ {d_m, u_m}``, read from 2-D reverse cumulative sums of
  histograms weighted by ``1, x_l, x_m, x_l x_m``.

Limits whose lattice would be too large fall back to independence of the lines, and the caller
is told which method was used.
"""

from __future__ import annotations

import numpy as np

from puhui.losses.payout import layer_moments

__all__ = ["layer_moments", "no_payout_probability", "cross_moment"]

MAX_LATTICE = 8_000_000


def _ranks(values: np.ndarray, points: np.ndarray) -> np.ndarray:
    """Number of lattice points strictly below each value (``x > points[j]`` ⇔ ``j < rank``)."""
    return np.searchsorted(points, values, side="left")


def no_payout_probability(costs: np.ndarray, weights: np.ndarray,
                          deductibles: np.ndarray, *, columns=None) -> np.ndarray | None:
    """Exact ``P(X_l ≤ d_{k,l} for every line l)`` for each design ``k`` (nobody is paid).

    Parameters
    ----------
    costs : ndarray, shape (n, L)
        Annual cost of each member on each line.
    weights : ndarray, shape (n,)
        Weight of each row in the law: tuning passes the members it stands for (1 for a
        member, ``c`` for a count row of ``c`` members with the same costs,
        :meth:`puhui.experience.member_costs.MemberCosts.counts`).
    deductibles : ndarray, shape (K, L)
        起付线 of each design and line.
    columns : sequence of int, optional
        The columns of ``costs`` that are the lines of ``deductibles``, in order (default:
        all): read in place, without a copy of the table.

    Returns
    -------
    ndarray of shape (K,), or None when the lattice ``Π_l (n_l + 1)`` of distinct deductibles
    exceeds :data:`MAX_LATTICE` cells (the caller then assumes independent lines).

    Examples
    --------
    Three members, one line, 起付线 100 and 1,000: the members at or below it are not paid.

    >>> no_payout_probability(np.array([[0.0], [500.0], [2_000.0]]), np.ones(3),
    ...                       np.array([[100.0], [1_000.0]])).tolist()
    [0.3333333333333333, 0.6666666666666666]
    """
    cols = list(range(costs.shape[1])) if columns is None else list(columns)
    points, index = [], []
    for line in range(len(cols)):
        pts, inv = np.unique(deductibles[:, line], return_inverse=True)
        points.append(pts)
        index.append(inv.reshape(-1))
    shape = tuple(p.size + 1 for p in points)
    if np.prod(shape, dtype=np.int64) > MAX_LATTICE:
        return None
    total = float(weights.sum())
    if total <= 0:
        return np.full(deductibles.shape[0], np.nan)
    anyc = costs[:, cols[0]] > 0
    for c in cols[1:]:
        anyc |= costs[:, c] > 0
    ws = weights[anyc]
    # the lattice cell of each member with a cost, one line at a time (row-major, as
    # np.ravel_multi_index): no copy of the members' costs on every line at once
    cell = np.zeros(ws.size, dtype=np.int64)
    for line, c in enumerate(cols):
        cell *= shape[line]
        cell += _ranks(costs[anyc, c], points[line])
    hist = np.bincount(cell, weights=ws, minlength=int(np.prod(shape))).reshape(shape)
    hist.flat[0] += float(weights[~anyc].sum())  # members without any cost: rank 0 everywhere
    for axis in range(len(cols)):
        hist = np.cumsum(hist, axis=axis)
    return hist[tuple(index)] / total


def cross_moment(x: np.ndarray, y: np.ndarray, weights: np.ndarray,
                 layers_x: tuple[np.ndarray, np.ndarray, np.ndarray],
                 layers_y: tuple[np.ndarray, np.ndarray, np.ndarray]) -> np.ndarray | None:
    """Exact ``E[Y_l Y_m]`` for each design, two lines of the same members.

    Parameters
    ----------
    x, y : ndarray, shape (n,)
        The members' annual costs on the two lines.
    weights : ndarray, shape (n,)
        Weight of each row (tuning: the members it stands for, as in
        :func:`no_payout_probability`).
    layers_x, layers_y : tuple of ndarray, each shape (K,)
        ``(d, r, C)`` of each design on the two lines.

    Returns
    -------
    ndarray of shape (K,), or None when the 2-D lattice is larger than :data:`MAX_LATTICE`.
    """
    total = float(weights.sum())
    both = (x > 0) & (y > 0)
    xs, ys, ws = x[both], y[both], weights[both]
    if xs.size == 0 or total <= 0:
        return np.zeros(np.broadcast_shapes(*(np.shape(v) for v in (*layers_x, *layers_y))))
    (dx, rx, cx), (dy, ry, cy) = layers_x, layers_y
    ux, uy = dx + cx / rx, dy + cy / ry
    # attachments at or beyond the largest cost never bind: (X − α)₊ = 0 there
    ax = np.unique(np.concatenate([dx, ux]))
    ay = np.unique(np.concatenate([dy, uy]))
    ax, ay = ax[ax < xs.max()], ay[ay < ys.max()]
    if ax.size == 0 or ay.size == 0:  # no design's layer reaches the largest costs
        return np.zeros(np.broadcast_shapes(dx.shape, dy.shape))
    shape = (ax.size + 1, ay.size + 1)
    if shape[0] * shape[1] > MAX_LATTICE:
        return None
    ix, iy = _ranks(xs, ax), _ranks(ys, ay)
    cell = np.ravel_multi_index((ix, iy), shape)
    size = shape[0] * shape[1]

    def orthant(values):
        h = np.bincount(cell, weights=values, minlength=size).reshape(shape)
        # S[p, q] = Σ over members with rank_x ≥ p + 1 and rank_y ≥ q + 1  (x > ax[p], y > ay[q])
        h = h[::-1, ::-1].cumsum(axis=0).cumsum(axis=1)[::-1, ::-1]
        return np.pad(h[1:, 1:], ((0, 1), (0, 1)))  # index p ↔ attachment ax[p]; last = none

    s1, sx, sy, sxy = (orthant(v) for v in (ws, ws * xs, ws * ys, ws * xs * ys))

    def g(alpha, beta):
        """E[(X − α)₊ (Y − β)₊] for attachments α, β (arrays of shape (K,))."""
        p = np.searchsorted(ax, alpha, side="left")
        q = np.searchsorted(ay, beta, side="left")
        # α beyond the lattice (≥ max cost or inf) → the padded zero row
        p = np.where((p < ax.size) & (ax[np.minimum(p, ax.size - 1)] == alpha), p, ax.size)
        q = np.where((q < ay.size) & (ay[np.minimum(q, ay.size - 1)] == beta), q, ay.size)
        a = np.where(np.isfinite(alpha), alpha, 0.0)
        b = np.where(np.isfinite(beta), beta, 0.0)
        return sxy[p, q] - b * sx[p, q] - a * sy[p, q] + a * b * s1[p, q]

    e = g(dx, dy) - g(dx, uy) - g(ux, dy) + g(ux, uy)
    return np.maximum(rx * ry * e / total, 0.0)
