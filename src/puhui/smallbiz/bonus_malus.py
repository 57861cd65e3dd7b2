"""无赔款优待 (NCD) as a bonus–malus system: transitions, stationary distribution, efficiency.

A bonus–malus system (Lemaire, *Bonus-Malus Systems in Automobile Insurance*, Kluwer 1995,
ch. 2–3) has classes ``0 … K−1`` with premium relativities ``r_i`` (费率系数: 0.7 = a 30 %
discount), a starting class and a transition rule ``T(i, n)``: the class next year of a policy
in class ``i`` with ``n`` claims this year. :class:`BonusMalus` uses the usual rule "one class
down (better) after a claim-free year, ``penalty`` classes up per claim", bounded by the ends,
or any explicit rule table.

With claim counts ``N ~ Poisson(λ)`` a year, the class is a Markov chain with

* transition matrix ``P_ij(λ) = Σ_n p_n(λ) 1[T(i, n) = j]``, ``p_n(λ) = e^{−λ} λ^n / n!``
  (the last column of the rule table takes every ``n ≥`` its count);
* stationary distribution ``π(λ)``: ``π P = π``, ``Σ π_i = 1`` (the system's long-run mix of a
  λ-policyholder; unique for the irreducible aperiodic chains a sensible rule gives);
* stationary mean relativity ``b(λ) = Σ_i π_i(λ) r_i``;
* Loimaranta efficiency ``η(λ) = d ln b(λ) / d ln λ = (λ / b) Σ_i π'_i(λ) r_i`` (Loimaranta
  1972; Lemaire 1995, ch. 9): how much of a change in the claim rate the premium follows in
  the long run (1 = fully). ``π'`` solves ``π' (I − P) = π P'`` with ``Σ π'_i = 0``, and
  ``P'_ij = Σ_n (p_{n−1} − p_n) 1[T(i, n) = j]`` (``d p_n / dλ = p_{n−1} − p_n``).

Everything is vectorised over λ (a batch of linear solves, no Python loop per λ).

>>> bm = BonusMalus([0.6, 0.8, 1.0, 1.25, 1.5], start=2, penalty=2)
>>> pi = bm.stationary(0.1)
>>> round(float(pi.sum()), 12), int(pi.argmax())
(1.0, 0)
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from scipy import stats

from ..errors import ParameterError

__all__ = ["BonusMalus"]


class BonusMalus:
    """A bonus–malus (NCD) scale and its Markov analysis under Poisson claims.

    Parameters
    ----------
    relativities : sequence of float
        ``r_i > 0`` of classes ``0 … K−1`` (class 0 the best), ``K ≥ 2``.
    start : int
        Class of a new policy (新保).
    penalty : int, default 1
        Classes up per claim (``T(i, n) = min(i + penalty·n, K−1)`` for ``n ≥ 1``).
    bonus : int, default 1
        Classes down after a claim-free year (``T(i, 0) = max(i − bonus, 0)``).
    rules : array_like of int, optional
        An explicit rule table ``K × (m + 1)``: row i, column n = next class with n claims, the
        last column for ``n ≥ m``. Replaces ``penalty`` and ``bonus``.

    Raises
    ------
    ParameterError
        Relativities not positive and finite, fewer than two classes, a start or a rule outside
        the classes, steps below 1.
    """

    def __init__(self, relativities, start: int, *, penalty: int = 1, bonus: int = 1,
                 rules=None):
        r = np.asarray(relativities, dtype=float)
        if r.ndim != 1 or r.size < 2:
            raise ParameterError("relativities: need a list of at least two class relativities")
        if np.any(~np.isfinite(r) | (r <= 0)):
            raise ParameterError(f"relativities must be finite and > 0, got {r.tolist()}")
        k = r.size
        if not _is_int(start) or not 0 <= start < k:
            raise ParameterError(f"start: the new-policy class must be an integer in 0…{k - 1}, "
                                 f"got {start!r}")
        if rules is None:
            for name, step in (("penalty", penalty), ("bonus", bonus)):
                if not _is_int(step) or step < 1:
                    raise ParameterError(f"{name}: classes moved must be an integer ≥ 1, got "
                                         f"{step!r}")
            m = max(1, math.ceil((k - 1) / penalty))  # n ≥ m claims: the top class from anywhere
            i = np.arange(k)[:, None]
            n = np.arange(m + 1)[None, :]
            table = np.where(n == 0, np.maximum(i - bonus, 0), np.minimum(i + penalty * n, k - 1))
        else:
            table = np.asarray(rules)
            if table.ndim != 2 or table.shape[0] != k or table.shape[1] < 2:
                raise ParameterError(f"rules: need a table of {k} rows (classes) × at least 2 "
                                     f"columns (0, 1, … claims), got shape {table.shape}")
            if not np.issubdtype(table.dtype, np.integer) or np.any((table < 0) | (table >= k)):
                raise ParameterError(f"rules: every next class must be an integer in 0…{k - 1}")
        self.relativities = r
        self.start = int(start)
        self.rules = table.astype(int)
        self.penalty, self.bonus = penalty, bonus

    @property
    def classes(self) -> int:
        return self.relativities.size

    def _lam(self, lam) -> np.ndarray:
        lam = np.asarray(lam, dtype=float)
        if np.any(~np.isfinite(lam) | (lam <= 0)):
            raise ParameterError("lam: the Poisson claim rates must be finite and > 0")
        return lam

    def _claim_probs(self, lam: np.ndarray):
        """``p_n`` for n < m and ``P(N ≥ m)`` in the last column; and their λ-derivatives."""
        m = self.rules.shape[1] - 1
        n = np.arange(m)
        p = stats.poisson.pmf(n, lam[..., None])
        tail = stats.poisson.sf(m - 1, lam)[..., None]
        probs = np.concatenate([p, tail], axis=-1)
        prev = np.concatenate([np.zeros(lam.shape + (1,)), p], axis=-1)  # p_{n−1}
        dp = prev - probs
        dp[..., -1] = stats.poisson.pmf(m - 1, lam)  # d P(N ≥ m)/dλ = p_{m−1}
        return probs, dp

    def _matrix(self, weights: np.ndarray) -> np.ndarray:
        k = self.classes
        onehot = (self.rules[..., None] == np.arange(k)).astype(float)  # K × (m+1) × K
        return np.einsum("...n,inj->...ij", weights, onehot)

    def transition_matrix(self, lam):
        """``P(λ)``, shape ``λ.shape + (K, K)``; rows sum to 1."""
        lam = self._lam(lam)
        return self._matrix(self._claim_probs(lam)[0])

    def stationary(self, lam):
        """``π(λ)``, shape ``λ.shape + (K,)``: solves ``π (I − P) = 0``, ``Σ π = 1`` (one
        equation replaced by the normalisation)."""
        lam = self._lam(lam)
        pmat = self._matrix(self._claim_probs(lam)[0])
        return self._solve_stationary(pmat)

    def _solve_stationary(self, pmat):
        k = self.classes
        a = np.swapaxes(np.eye(k) - pmat, -1, -2).copy()
        a[..., -1, :] = 1.0
        rhs = np.zeros(pmat.shape[:-1])
        rhs[..., -1] = 1.0
        return np.linalg.solve(a, rhs[..., None])[..., 0]

    def mean_relativity(self, lam):
        """``b(λ) = Σ π_i(λ) r_i``, the stationary mean relativity."""
        return (self.stationary(lam) @ self.relativities)[()]

    def efficiency(self, lam):
        """Loimaranta efficiency ``η(λ) = d ln b / d ln λ`` (analytic derivative of π)."""
        lam = self._lam(lam)
        probs, dp = self._claim_probs(lam)
        pmat, dmat = self._matrix(probs), self._matrix(dp)
        pi = self._solve_stationary(pmat)
        k = self.classes
        a = np.swapaxes(np.eye(k) - pmat, -1, -2).copy()
        a[..., -1, :] = 1.0
        rhs = np.einsum("...i,...ij->...j", pi, dmat)
        rhs[..., -1] = 0.0
        dpi = np.linalg.solve(a, rhs[..., None])[..., 0]
        b = pi @ self.relativities
        return (lam * (dpi @ self.relativities) / b)[()]

    def distribution(self, lam, years: int):
        """The class distribution after ``years`` years from the start class (row vector
        ``e_start P^years``), shape ``λ.shape + (K,)``."""
        if not _is_int(years) or years < 0:
            raise ParameterError(f"years must be an integer ≥ 0, got {years!r}")
        pmat = self.transition_matrix(lam)
        x = np.zeros(pmat.shape[:-1])
        x[..., self.start] = 1.0
        for _ in range(int(years)):  # loops over years, not over policies
            x = np.einsum("...i,...ij->...j", x, pmat)
        return x

    def summary(self, lam) -> pd.DataFrame:
        """Per λ: the stationary mean relativity ``b``, the efficiency ``η`` and the share in
        the best class."""
        lam = np.atleast_1d(self._lam(lam))
        pi = self.stationary(lam)
        return pd.DataFrame({"lam": lam, "mean_relativity": pi @ self.relativities,
                             "efficiency": self.efficiency(lam), "best_class_share": pi[:, 0]})


def _is_int(x) -> bool:
    return isinstance(x, int | np.integer) and not isinstance(x, bool)
