"""Limited-fluctuation credibility (有限波动信度).

Full credibility when the number of claims reaches
``n_F = (z_{(1+p)/2} / k)² (1 + CV²)`` -- 1,082 claims for p = 90 %, k = 5 %, CV = 0 -- and
partial credibility ``Z = min(1, √(n / n_F))`` (Longley-Cook 1962; *Loss Models* ch. 17).
"""

from __future__ import annotations

import math

import numpy as np
from scipy import stats

from puhui.errors import ParameterError

__all__ = ["full_credibility_standard", "partial_credibility"]


def full_credibility_standard(p: float = 0.90, k: float = 0.05, cv: float = 0.0) -> float:
    """Expected claim count for full credibility (完全信度标准).

    ``n_F = (z_{(1+p)/2} / k)² (1 + CV²)`` with ``CV`` the coefficient of variation of the
    claim size (``cv = 0`` for claim counts alone).

    Examples
    --------
    >>> round(full_credibility_standard(0.90, 0.05))
    1082
    """
    p, k, cv = float(p), float(k), float(cv)
    if not 0 < p < 1:
        raise ParameterError(f"p (confidence) must be in (0, 1), got {p!r}")
    if not 0 < k < 1:
        raise ParameterError(f"k (tolerance) must be in (0, 1), got {k!r}")
    if not (math.isfinite(cv) and cv >= 0):
        raise ParameterError(f"cv must be finite and ≥ 0, got {cv!r}")
    z = stats.norm.ppf((1 + p) / 2)
    return float((z / k) ** 2 * (1 + cv**2))


def partial_credibility(n, p: float = 0.90, k: float = 0.05, cv: float = 0.0):
    """Square-root rule ``Z = min(1, √(n / n_F))`` for ``n`` observed claims (vectorised).

    Examples
    --------
    >>> round(float(partial_credibility(270.6)), 3)
    0.5
    """
    n_arr = np.asarray(n, dtype=float)
    if np.any(~np.isfinite(n_arr) | (n_arr < 0)):
        raise ParameterError("n (claim counts) must be finite and ≥ 0")
    z = np.minimum(1.0, np.sqrt(n_arr / full_credibility_standard(p, k, cv)))
    return z if z.ndim else float(z)
