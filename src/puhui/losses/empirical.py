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


def _fractions_below(q: np.ndarray, n: int) -> np.ndarray:
    """``#{j < n : (j + 1)/n < q}``, i.e. ``np.searchsorted(np.arange(1, n + 1)/n, q)``.

    Starts from ``⌈q·n⌉ − 1`` and steps by one until ``(r)/n < q ≤ (r + 1)/n`` holds for the
    same floating-point quotients the array would hold (they grow with ``j``), so the answer
    is the searchsorted one exactly, without an array of ``n`` fractions.
    """
    r = np.clip(np.ceil(q * n) - 1, 0, n).astype(np.int64)
    while True:
        down = (r > 0) & (r / n >= q)
        up = (r < n) & ((r + 1) / n < q)
        if not (down.any() or up.any()):
            return r
        r = r - down + up


def _prefix_sums(values: np.ndarray) -> np.ndarray:
    """``[0, v_0, v_0 + v_1, …]`` (length N + 1), summed left to right, in one array."""
    out = np.empty(values.size + 1)
    out[0] = 0.0
    np.cumsum(values, out=out[1:])
    return out


def _suffix_sums(values: np.ndarray) -> np.ndarray:
    """``[Σ_{j≥0} v_j, Σ_{j≥1} v_j, …, 0]`` (length N + 1), summed right to left."""
    out = np.empty(values.size + 1)
    out[-1] = 0.0
    np.cumsum(values[::-1], out=out[::-1][1:])
    return out


def _stable_sort(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``order = np.argsort(x, kind="stable")`` and ``x[order]``, for finite ``x ≥ 0``.

    numpy's stable sort of floats is a merge sort, several times slower than its vectorised
    sort of integers. The bits of a float ``≥ 0`` read as an int64 grow with the float (−0.0
    has its sign bit cleared, so it ties with 0.0), so one integer sort of
    ``p_j = (bits_j >> b) << b | j`` with ``2^b ≥ N`` orders by the high bits of the value and
    then by position. Different values that share those bits (within a relative ``2^(b−52)``
    of each other) are then put in (value, position) order within their run; exact ties are
    already in position order. The result is the stable order exactly.
    """
    n = x.size
    b = max(1, (n - 1).bit_length())
    p = np.ascontiguousarray(x).view(np.int64) & np.int64(0x7FFF_FFFF_FFFF_FFFF)
    p >>= b
    p <<= b
    p |= np.arange(n, dtype=np.int64)
    p.sort()
    order = p & np.int64((1 << b) - 1)
    s = x[order]
    down = np.flatnonzero(s[1:] < s[:-1])
    if down.size:  # runs of one truncated value holding different values: [lo, hi) of p
        runs = np.unique(p[down] >> b)
        lo = np.searchsorted(p, runs << b, side="left")
        hi = np.searchsorted(p, (runs + 1) << b, side="left")
        size = hi - lo
        start = np.repeat(lo - (np.cumsum(size) - size), size)
        members = start + np.arange(int(size.sum()))
        fixed = members[np.lexsort((order[members], s[members]))]
        order[members], s[members] = order[fixed], s[fixed]
    return order, s


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

    Building the law costs one sort and one running sum: with equal weights numpy's vectorised
    sort (ties are equal values, so their order does not matter) and ``C_1``; the counts
    ``C_0 = i``, ``T_0 = N − i`` are not stored. With weights, the stable order (tied losses add
    their weights in sample order) through one integer sort, and ``C_0``, ``T_0``, ``C_1``.
    Suffix sums ``T_k`` for ``k ≥ 1`` and higher powers are made on first use.

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
        self._n = x.size
        self._pre: dict[float, np.ndarray] = {}  # k → prefix sums of w·x^k
        self._suf: dict[float, np.ndarray] = {}  # k → suffix sums, made on first use
        if weights is None:
            # Equal weights: only the sorted values matter, and tied values are equal whatever
            # their order, so numpy's (unstable, vectorised) sort gives the same array as a
            # stable one. Sorting first also checks the input: NaN and +inf sort last, -inf
            # and negative losses first.
            self._x = np.sort(x)
            if not (np.isfinite(self._x[0]) and np.isfinite(self._x[-1])):
                self._reject_non_finite(x)
            if self._x[0] < 0:
                self._reject_negative(x)
            self._keep_signed_zeros(x)
            self._w = None
            self._c0 = self._t0 = None  # counts i and n − i, computed where needed
            self._total = float(self._n)
        else:
            try:
                w = np.asarray(weights, dtype=float)
            except (TypeError, ValueError):
                raise ParameterError("weights: weights must be numbers") from None
            lo, hi = x.min(), x.max()  # NaN propagates
            if not (np.isfinite(lo) and np.isfinite(hi)):
                self._reject_non_finite(x)
            if lo < 0:
                self._reject_negative(x)
            if w.shape != x.shape:
                raise ParameterError(
                    f"weights: shape {w.shape} does not match sample shape {x.shape}"
                )
            if not (w.min() >= 0 and np.isfinite(w.max())):  # NaN fails both
                i = _first_bad(~np.isfinite(w) | (w < 0))
                raise ParameterError(f"weights: must be finite and ≥ 0; position {i} is {w[i]!r}")
            # With weights, the order inside a run of tied losses decides how their weights
            # are added up (and the order :attr:`weights` shows): keep the stable order.
            order, self._x = _stable_sort(x)
            self._w = w[order]
            del order
            self._c0 = _prefix_sums(self._w)
            self._t0 = _suffix_sums(self._w)
            self._total = float(self._c0[-1])
            if not self._total > 0:
                raise ParameterError("weights: the weights sum to 0")
        self._mean = float(self._prefix(1.0)[-1] / self._total)
        self._var: float | None = None  # computed on first use (a centred pass over the data)

    # -- internals ------------------------------------------------------------------------------

    @staticmethod
    def _reject_non_finite(x: np.ndarray):
        i = _first_bad(~np.isfinite(x))
        raise ParameterError(f"sample: losses must be finite; position {i} is {x[i]!r}")

    @staticmethod
    def _reject_negative(x: np.ndarray):
        i = _first_bad(x < 0)
        raise ParameterError(f"sample: losses must be ≥ 0; position {i} is {x[i]!r}")

    def _keep_signed_zeros(self, x: np.ndarray) -> None:
        """Put 0.0 and −0.0 in the order of the sample, as a stable sort does (they tie).

        numpy's vectorised sort may return −0.0 as 0.0; a sample holding −0.0 gets its zeros
        back as they were.
        """
        if self._x[0] == 0 and np.signbit(x).any():
            self._x[: int(np.searchsorted(self._x, 0.0, side="right"))] = x[x == 0]

    def _terms(self, k: float) -> np.ndarray:
        """``w_j x_j^k`` in sorted order (``x_j^k`` with equal weights)."""
        v = self._x if k == 1 else np.power(self._x, k)
        if self._w is not None:
            v = v * self._w
        return v

    def _prefix(self, k: float) -> np.ndarray:
        """``C_k[i] = Σ_{j<i} w_j x_j^k``, length N + 1."""
        if k not in self._pre:
            self._pre[k] = _prefix_sums(self._terms(k))
        return self._pre[k]

    def _suffix(self, k: float) -> np.ndarray:
        """``T_k[i] = Σ_{j≥i} w_j x_j^k``, length N + 1."""
        if k not in self._suf:
            self._suf[k] = _suffix_sums(self._terms(k))
        return self._suf[k]

    def _weight_below(self, i) -> np.ndarray:
        """``C_0[i]``: total weight of the ``i`` smallest losses."""
        if self._c0 is None:
            return np.asarray(i, dtype=float)
        return self._c0[i]

    def _weight_from(self, i) -> np.ndarray:
        """``T_0[i]``: total weight of the losses from the ``i``-th on."""
        if self._t0 is None:
            return np.asarray(self._n - np.asarray(i), dtype=float)
        return self._t0[i]

    def _weight_between(self, lo, hi) -> np.ndarray:
        """``Σ_{lo ≤ j < hi} w_j`` (for equal weights the count ``hi − lo``, exactly)."""
        if self._c0 is None:
            return np.asarray(np.asarray(hi) - np.asarray(lo), dtype=float)
        return self._range_sum(self._c0, self._t0, lo, hi)

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
        out = self._weight_below(self._count_le(x)) / self._total
        return np.where(np.isnan(x), np.nan, out)[()]

    def sf(self, x):
        """``S(x) = P(X > x)``."""
        x = np.asarray(x, dtype=float)
        out = self._weight_from(self._count_le(x)) / self._total
        return np.where(np.isnan(x), np.nan, out)[()]

    def mean(self) -> float:
        """``E[X]`` in yuan."""
        return self._mean

    def var(self) -> float:
        """``Var[X]`` of the empirical law (``ddof = 0``), in yuan², from centred values."""
        if self._var is None:
            dev = self._x - self._mean
            dev *= dev
            self._var = float((dev.sum() if self._w is None else dev @ self._w) / self._total)
        return self._var

    def std(self) -> float:
        """Standard deviation of the empirical law (``ddof = 0``)."""
        return float(np.sqrt(self.var()))

    def moment(self, k: float) -> float:
        """Raw moment ``E[X^k]``."""
        return float(self._prefix(float(k))[-1] / self._total)

    def quantile(self, q):
        """``min{x : F(x) ≥ q}`` for ``q ∈ [0, 1]`` (R ``quantile(type = 1)``); VaR of the law."""
        q = np.asarray(q, dtype=float)
        if np.any(~((q >= 0) & (q <= 1))):
            raise ParameterError("q: probabilities must lie in [0, 1]")
        if self._w is None:  # F at the j-th loss is exactly (j + 1)/n: no array needed
            idx = _fractions_below(q, self._n)
        else:
            idx = np.searchsorted(self._c0[1:] / self._total, q, side="left")
        idx = np.minimum(idx, self._n - 1)
        return self._x[idx][()]

    ppf = quantile

    def lev_moment(self, u, k: float = 2):
        """``E[min(X, u)^k]``; ``u ≤ 0`` gives 0, ``u = inf`` gives ``E[X^k]``."""
        k = float(k)
        if not (np.isfinite(k) and k > 0):
            raise ParameterError(f"k: the order must be a positive finite number, got {k!r}")
        u = np.asarray(u, dtype=float)
        i = self._count_le(u)
        prefix = self._prefix(k)
        tail = self._weight_from(i)
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
        inside_x = self._range_sum(self._prefix(1.0), self._suffix(1.0), ia, ib)
        inside_w = self._weight_between(ia, ib)
        tail = self._weight_from(ib)
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
        inside_x2 = self._range_sum(self._prefix(2.0), self._suffix(2.0), ia, ib)
        inside_x = self._range_sum(self._prefix(1.0), self._suffix(1.0), ia, ib)
        inside_w = self._weight_between(ia, ib)
        tail = self._weight_from(ib)
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
