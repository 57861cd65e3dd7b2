"""Member × line costs and fitted cost models: moved to :mod:`puhui.experience.member_costs`.

:class:`MemberCosts` (experience) and :class:`CostModel` (fitted laws) are read by pricing and
tuning alike, so they live below both; this module keeps the old import path working. Their
segments are the product's (``segments=product.segments``), not a constant of this package.
"""

from __future__ import annotations

from puhui.experience.member_costs import CostModel, MemberCosts

__all__ = ["MemberCosts", "CostModel"]
