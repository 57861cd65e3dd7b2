"""The disability-grade benefit table (伤残等级给付比例表), one home for every family.

A disability benefit pays ``S × s_g`` for 伤残等级 g, with the payout shares of
《人身保险伤残评定标准及代码》(JR/T 0083—2013, 中国保险行业协会 / 中国法医学会): grade 1 (一级)
100 %, each grade 10 points less, grade 10 (十级) 10 % — the same ten steps as the 工伤
(GB/T 16180—2014) grades that 雇主责任 policies pay on. A product gives the grades'
probabilities ``p_g = P(grade g | a disability)``; the benefit's moments per unit of ``S`` are
``E[s^j] = Σ_g p_g s_g^j`` (:func:`grade_share_moments`), which a compound-Poisson book needs
for its cumulants (``κ_j = λ S^j E[s^j]``).

>>> DISABILITY_GRADE_SHARES.tolist()
[1.0, 0.9, 0.8, 0.7, 0.6, 0.5, 0.4, 0.3, 0.2, 0.1]
>>> [round(float(m), 6) for m in grade_share_moments([0.0] * 8 + [0.5, 0.5])]   # grades 9, 10
[0.15, 0.025, 0.0045]
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ..errors import ParameterError

__all__ = ["DISABILITY_GRADE_SHARES", "check_grade_probabilities", "grade_share_moments"]

#: Payout share of the ten disability grades (伤残等级 1–10), JR/T 0083—2013: 100 % … 10 %.
DISABILITY_GRADE_SHARES = np.arange(10, 0, -1) / 10.0
DISABILITY_GRADE_SHARES.setflags(write=False)


def check_grade_probabilities(probabilities: Sequence[float], *, tol: float = 1e-9
                              ) -> np.ndarray:
    """The ten grades' probabilities as an array, or a :class:`~puhui.errors.ParameterError`:
    10 finite numbers ≥ 0 (grades 1 … 10) summing to 1 (within ``tol``)."""
    try:
        p = np.asarray(probabilities, dtype=float)
    except (TypeError, ValueError):
        raise ParameterError("grade probabilities must be 10 numbers ≥ 0 (grades 1 … 10)"
                             ) from None
    if p.shape != (10,) or not np.all(np.isfinite(p)) or np.any(p < 0):
        raise ParameterError("grade probabilities must be 10 numbers ≥ 0 (grades 1 … 10)")
    if abs(p.sum() - 1.0) > tol:
        raise ParameterError(f"grade probabilities must sum to 1, got {p.sum():.12g}")
    return p


def grade_share_moments(probabilities: Sequence[float], orders=(1, 2, 3)) -> tuple:
    """``E[s^j] = Σ_g p_g s_g^j`` of the payout share s for each order j (the mean share s̄ is
    j = 1)."""
    p = check_grade_probabilities(probabilities)
    return tuple(float(p @ DISABILITY_GRADE_SHARES ** j) for j in orders)
