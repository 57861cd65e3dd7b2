"""惠民保 (城市定制型商业医疗保险) workflows: pricing basis, experience cells, review.

>>> from puhui.huiminbao import review, basis_from_planted   # doctest: +SKIP
"""

from __future__ import annotations

from .basis import age_band_of, basis_from_planted, check_basis, read_basis
from .cells import allocate_ibnr, experience_cells, member_cells
from .review import DIMENSIONS, ReviewResult, review

__all__ = ["DIMENSIONS", "ReviewResult", "age_band_of", "allocate_ibnr", "basis_from_planted",
           "check_basis", "experience_cells", "member_cells", "read_basis", "review"]
