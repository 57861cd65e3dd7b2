"""Empirical loss law of a (weighted) sample: sorted values with prefix and suffix sums.

Every quantity a benefit needs — ``F(u)``, ``S(u)``, ``E[min(X, u)^k]``, the mean of a layer —
is a sum over the losses below or above a limit. Sorting once (O(N log N)) and keeping running
sums makes each limit one binary search (O(log N)), so K benefit designs on N losses cost
O(N log N + K log N) instead of O(N·K).
"""

from __future__ import annotations

import numpy as np

from puhui.errors import ParameterError

__all__ = ["Empirical"]


def _first_bad(mask: np.ndarray) -> int:
    return int(np.flatnonzero(mask)[0])


class Empirical:
    """Empirical distribution of losses (经验损失分布), optionally weighted.

    Parameters
    ----------
    sample : array_like, 1-D
        Losses in yuan, finite and ``≥ 0`` (zeros allowed: members without a claim).
    weights : array_like, 1-D, optional
        Non-negative weights of the losses, e.g. exposure (保单年) or sampling weights; the law
        gives loss ``x_j`` probability ``w_j / Σw``. Default: equal weights.

    Notes
    -----
    With ``i(u)`` the number of losses ``≤ u`` in sorted order, ``W = Σ w``,
    ``C_k[i] = Σ_{j<i} w_j x_j^k`` (prefix) and ``T_k[i] = Σ_{j≥i} w_j x_j^k`` (suffix):

    * ``F(u) = C_0[i]/W``, ``S(u) = T_0[i]/W``;
    * ``E[min(X, u)^k] = (C_k[i] + u^k T_0[i]) / W`` — actuar's ``elev``:
      ``(Σ_{x_j<u} x_j + Σ_{x_j≥u} u)/n`` for equal weights;
    * layer ``(a, b]``: ``E[min((X−a)₊, b−a)] = (Σ_{a<x_j≤b} w_j (x_j − a) + (b−a) T_0[i(b)])/W``,
      where the partial sum over ``(a, b]`` is taken from the prefix or the suffix sums,
      whichever has the smaller operands (less cancellation for far-tail layers).

    Variances use ``ddof = 0`` (the variance of the empirical law itself). Quantiles are the
    left-continuous inverse ``min{x : F(x) ≥ q}`` (R's ``quantile(type = 1)``).

    Examples
    --------
    >>> dental = Empirical([141, 16, 46, 40, 351, 259, 317, 1511, 107, 567])
    >>> float(dental.lev(100.0))  # (16 + 40 + 46 + 7·100)/10
    80.2
    """

    def __init__(self, sample, weights=None):
        try:
            x = np.asarray(sample, dtype=float)
        except (TypeError, ValueError):
            raise ParameterError("sample: losses must be numbers") from None
        if x.ndim != 1:
            raise ParameterError(f"sample: expected a 1-D array of losses, got shape {x.shape}")
        if x.size == 0:
            raise ParameterError("sample: at least one loss is needed")
        if not np.all(np.isfinite(x)):
            i = _first_bad(~np.isfinite(x))
            raise ParameterError(f"sample: losses must be finite; position {i} is {x[i]!r}")
        if np.any(x < 0):
            i = _first_bad(x < 0)
            raise ParameterError(f"sample: losses must be ≥ 0; position {i} is {x[i]!r}")
        order = np.argsort(x, kind="stable")
        self._x = x[order]
        self._n = x.size
        if weights is None:
            self._w = None
            self._total = float(self._n)
            counts = np.arange(self._n + 1, dtype=float)
            self._c0 = counts
            self._t0 = self._n - counts
        else:
            try:
                w = np.asarray(weights, dtype=float)
            except (TypeError, ValueError):
                raise ParameterError("weights: weights must be numbers") from None
            if w.shape != x.shape:
                raise ParameterError(
                    f"weights: shape {w.shape} does not match sample shape {x.shape}"
                )
            if not np.all(np.isfinite(w)) or np.any(w < 0):
                i = _first_bad(~np.isfinite(w) | (w < 0))
                raise ParameterError(f"weights: must be finite and ≥ 0; position {i} is {w[i]!r}")
            w = w[order]
            self._w = w
            self._c0, self._t0 = self._running(w)
            self._total = float(self._c0[-1])
            if not self._total > 0:
                raise ParameterError("weights: the weights sum to 0")
        self._sums: dict[float, tuple[np.ndarray, np.ndarray]] = {}
        self._mean = float(self._power_sums(1.0)[0][-1] / self._total)
        self._var: float | None = None  # computed on first use (a centred pass over the data)

    # -- internals ------------------------------------------------------------------------------

    @staticmethod
    def _running(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Prefix sums ``Σ_{j<i}`` and suffix sums ``Σ_{j≥i}``, both of length N + 1."""
        prefix = np.concatenate([[0.0], np.cumsum(values)])
        suffix = np.concatenate([np.cumsum(values[::-1])[::-1], [0.0]])
        return prefix, suffix

    def _power_sums(self, k: float) -> tuple[np.ndarray, np.ndarray]:
        if k not in self._sums:
            v = self._x if k == 1 else np.power(self._x, k)
            if self._w is not None:
                v = v * self._w
            self._sums[k] = self._running(v)
        return self._sums[k]

    def _count_le(self, u: np.ndarray) -> np.ndarray:
        return np.searchsorted(self._x, u, side="right")

    @staticmethod
    def _range_sum(prefix, suffix, lo, hi):
        """``Σ_{lo ≤ j < hi}`` from whichever running sum has the smaller operands."""
        use_prefix = prefix[hi] <= suffix[lo]
        return np.where(use_prefix, prefix[hi] - prefix[lo], suffix[lo] - suffix[hi])

    # -- the law ------------------------------------------------------------------------------

    @property
    def values(self) -> np.ndarray:
        """The losses, sorted ascending (read-only view)."""
        v = self._x.view()
        v.flags.writeable = False
        return v

    @property
    def weights(self) -> np.ndarray | None:
        """The weights in the sorted order of :attr:`values`, or ``None`` for equal weights."""
        if self._w is None:
            return None
        w = self._w.view()
        w.flags.writeable = False
        return w

    @property
    def n(self) -> int:
        """Number of losses in the sample."""
        return self._n

    def __repr__(self) -> str:
        kind = "equal weights" if self._w is None else "weighted"
        return f"Empirical(n={self._n}, {kind}, mean={self._mean:.6g})"

    def cdf(self, x):
        """``F(x) = P(X ≤ x)``."""
        x = np.asarray(x, dtype=float)
        out = self._c0[self._count_le(x)] / self._total
        return np.where(np.isnan(x), np.nan, out)[()]

    def sf(self, x):
        """``S(x) = P(X > x)``."""
        x = np.asarray(x, dtype=float)
        out = self._t0[self._count_le(x)] / self._total
        return np.where(np.isnan(x), np.nan, out)[()]

    def mean(self) -> float:
        """``E[X]`` in yuan."""
        return self._mean

    def var(self) -> float:
        """``Var[X]`` of the empirical law (``ddof = 0``), in yuan², from centred values."""
        if self._var is None:
            dev = (self._x - self._mean) ** 2
            self._var = float((dev.sum() if self._w is None else dev @ self._w) / self._total)
        return self._var

    def std(self) -> float:
        """Standard deviation of the empirical law (``ddof = 0``)."""
        return float(np.sqrt(self._var))

    def moment(self, k: float) -> float:
        """Raw moment ``E[X^k]``."""
        return float(self._power_sums(float(k))[0][-1] / self._total)

    def quantile(self, q):
        """``min{x : F(x) ≥ q}`` for ``q ∈ [0, 1]`` (R ``quantile(type = 1)``); VaR of the law."""
        q = np.asarray(q, dtype=float)
        if np.any(~((q >= 0) & (q <= 1))):
            raise ParameterError("q: probabilities must lie in [0, 1]")
        if self._w is None:
            cum = np.arange(1, self._n + 1) / self._n  # exact i/n, no accumulated rounding
        else:
            cum = self._c0[1:] / self._total
        idx = np.minimum(np.searchsorted(cum, q, side="left"), self._n - 1)
        return self._x[idx][()]

    ppf = quantile

    def lev_moment(self, u, k: float = 2):
        """``E[min(X, u)^k]``; ``u ≤ 0`` gives 0, ``u = inf`` gives ``E[X^k]``."""
        k = float(k)
        if not (np.isfinite(k) and k > 0):
            raise ParameterError(f"k: the order must be a positive finite number, got {k!r}")
        u = np.asarray(u, dtype=float)
        i = self._count_le(u)
        prefix, _suffix = self._power_sums(k)
        tail = self._t0[i]
        with np.errstate(invalid="ignore", over="ignore"):
            capped = np.where(tail > 0, np.power(u, k) * tail, 0.0)
        out = (prefix[i] + capped) / self._total
        out = np.where(u > 0, out, 0.0)
        return np.where(np.isnan(u), np.nan, out)[()]

    def lev(self, u):
        """Limited expected value ``E[min(X, u)]`` (actuar ``elev``); ``u ≤ 0`` gives 0."""
        return self.lev_moment(u, 1.0)

    def layer_mean(self, attachment, top):
        """``E[min(X, top) − min(X, attachment)]`` for ``0 ≤ attachment ≤ top ≤ inf``.

        The same number as ``lev(top) − lev(attachment)``, computed from the losses inside the
        layer only, so far-tail layers keep their relative precision.
        """
        a = np.asarray(attachment, dtype=float)
        b = np.asarray(top, dtype=float)
        a, b = np.broadcast_arrays(a, b)
        ia, ib = self._count_le(a), self._count_le(b)
        p1, s1 = self._power_sums(1.0)
        inside_x = self._range_sum(p1, s1, ia, ib)
        inside_w = self._range_sum(self._c0, self._t0, ia, ib)
        tail = self._t0[ib]
        with np.errstate(invalid="ignore", over="ignore"):
            width_part = np.where(tail > 0, (b - a) * tail, 0.0)
        out = (inside_x - a * inside_w + width_part) / self._total
        return np.where(b > a, out, 0.0)[()]

    def layer_second_moment(self, attachment, top):
        """``E[(min(X, top) − min(X, attachment))²]`` from the losses inside the layer."""
        a = np.asarray(attachment, dtype=float)
        b = np.asarray(top, dtype=float)
        a, b = np.broadcast_arrays(a, b)
        ia, ib = self._count_le(a), self._count_le(b)
        p1, s1 = self._power_sums(1.0)
        p2, s2 = self._power_sums(2.0)
        inside_x2 = self._range_sum(p2, s2, ia, ib)
        inside_x = self._range_sum(p1, s1, ia, ib)
        inside_w = self._range_sum(self._c0, self._t0, ia, ib)
        tail = self._t0[ib]
        with np.errstate(invalid="ignore", over="ignore"):
            width_part = np.where(tail > 0, (b - a) ** 2 * tail, 0.0)
            inside = inside_x2 - 2.0 * a * inside_x + a * a * inside_w
        out = (np.maximum(inside, 0.0) + width_part) / self._total
        return np.where(b > a, out, 0.0)[()]

    def rvs(self, size=None, seed=None):
        """Resample losses (bootstrap); ``seed``: int or ``numpy.random.Generator``."""
        rng = np.random.default_rng(seed)
        if self._w is None:
            return self._x[rng.integers(0, self._n, size=size)]
        return rng.choice(self._x, size=size, p=self._w / self._total)
