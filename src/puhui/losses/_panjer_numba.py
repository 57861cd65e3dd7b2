"""Compiled kernels of :mod:`puhui.losses.aggregate`: Panjer's recursion and the truncated
self-convolution (numba, single-threaded; imported on first use so that ``import puhui`` does
not load numba).

Both kernels sum in a fixed order — four interleaved partial sums, added pairwise at the end —
so a result is the same bit for bit on every run, whatever the number of threads (numba's
``parallel`` is not used) and whatever the machine (no ``fastmath``: no re-association, no
fused multiply-add contraction).
"""

from __future__ import annotations

import numba
import numpy as np


@numba.njit(cache=True, nogil=True)
def panjer_recursion(f, a, b, const, g0, n, target, tol):  # pragma: no cover - compiled
    """``g_0 = g0``; for x = 1 … n−1, with m = len(f) − 1,

    ``g_x = [const·f_x + Σ_{j=1}^{min(x,m)} (a + b j/x) f_j g_{x−j}] / (1 − a f_0)``

    computed as ``(const·f_x + Σ a f_j g_{x−j} + (Σ b j f_j g_{x−j}) / x) / (1 − a f_0)``
    (the first sum is skipped when a = 0, i.e. Poisson).  Stops after node x when
    ``tol > 0`` and ``target − Σ_{y≤x} g_y ≤ tol``; returns ``g[:x+1]``.
    """
    m = f.size - 1
    fa = np.empty(m + 1)
    fb = np.empty(m + 1)
    for j in range(m + 1):
        fa[j] = a * f[j]
        fb[j] = b * j * f[j]
    denom = 1.0 - a * f[0]
    g = np.zeros(n)
    g[0] = g0
    cum = g0
    stop = n
    with_a = a != 0.0
    for x in range(1, n):
        k = x if x < m else m
        p0 = 0.0
        p1 = 0.0
        p2 = 0.0
        p3 = 0.0
        q0 = 0.0
        q1 = 0.0
        q2 = 0.0
        q3 = 0.0
        j = 1
        if with_a:
            while j + 3 <= k:
                y0 = g[x - j]
                y1 = g[x - j - 1]
                y2 = g[x - j - 2]
                y3 = g[x - j - 3]
                p0 += fa[j] * y0
                p1 += fa[j + 1] * y1
                p2 += fa[j + 2] * y2
                p3 += fa[j + 3] * y3
                q0 += fb[j] * y0
                q1 += fb[j + 1] * y1
                q2 += fb[j + 2] * y2
                q3 += fb[j + 3] * y3
                j += 4
            while j <= k:
                y0 = g[x - j]
                p0 += fa[j] * y0
                q0 += fb[j] * y0
                j += 1
        else:
            while j + 3 <= k:
                q0 += fb[j] * g[x - j]
                q1 += fb[j + 1] * g[x - j - 1]
                q2 += fb[j + 2] * g[x - j - 2]
                q3 += fb[j + 3] * g[x - j - 3]
                j += 4
            while j <= k:
                q0 += fb[j] * g[x - j]
                j += 1
        s = ((p0 + p1) + (p2 + p3)) + ((q0 + q1) + (q2 + q3)) / x
        fx = f[x] if x <= m else 0.0
        gx = (const * fx + s) / denom
        g[x] = gx
        cum += gx
        if tol > 0.0 and target - cum <= tol:
            stop = x + 1
            break
    return g[:stop]


@numba.njit(cache=True, nogil=True)
def self_convolve(g, n):  # pragma: no cover - compiled
    """The first ``min(n, 2·len(g) − 1)`` terms of ``g * g``: ``c_i = Σ_j g_j g_{i−j}``, summed
    over the pairs j < i − j (doubled) plus the middle square — exact products, no FFT."""
    size = g.size
    length = min(n, 2 * size - 1)
    out = np.empty(length)
    for i in range(length):
        lo = i - size + 1
        if lo < 0:
            lo = 0
        half = (i - 1) // 2  # last j with j < i − j
        s0 = 0.0
        s1 = 0.0
        s2 = 0.0
        s3 = 0.0
        j = lo
        while j + 3 <= half:
            s0 += g[j] * g[i - j]
            s1 += g[j + 1] * g[i - j - 1]
            s2 += g[j + 2] * g[i - j - 2]
            s3 += g[j + 3] * g[i - j - 3]
            j += 4
        while j <= half:
            s0 += g[j] * g[i - j]
            j += 1
        s = 2.0 * ((s0 + s1) + (s2 + s3))
        if i % 2 == 0 and i // 2 < size:
            s += g[i // 2] * g[i // 2]
        out[i] = s
    return out
