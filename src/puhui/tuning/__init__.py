"""Benefit tuning (方案调优): design grids, evaluation, constraints, Pareto frontier, optimiser.

>>> from puhui.tuning import DesignGrid, MemberCosts, evaluate
"""

from __future__ import annotations

from puhui.tuning.costs import CostModel, MemberCosts
from puhui.tuning.evaluate import Evaluation, evaluate
from puhui.tuning.grid import DesignGrid

__all__ = ["CostModel", "DesignGrid", "Evaluation", "MemberCosts", "evaluate"]
