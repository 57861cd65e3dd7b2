"""Benefit tuning (方案调优): design grids, evaluation, constraints, Pareto frontier, optimiser.

An actuary states the ranges of 起付线, 赔付比例 and 封顶线 (and the 既往症 terms) to consider
(:class:`DesignGrid`), evaluates every design on member-level experience (:class:`MemberCosts`)
or a fitted model (:class:`CostModel`) with :func:`evaluate`, and picks a design on the
price–benefit frontier (:func:`pareto_frontier`) or the best one under constraints
(:func:`optimise`), or every feasible design best first (:func:`ranking`: the fixed-price
question). With a participation scenario each design is evaluated at its own participation
equilibrium (take-up responds to the price and to the benefit). See ``docs/tuning.md``.

Tuning sits above pricing and uses the layers below it; these names are re-exported from
there: :class:`MemberCosts` and :class:`CostModel` (:mod:`puhui.experience.member_costs`),
:func:`exceedance_probability` and :func:`np2_cdf` (:mod:`puhui.ratios.exceedance`), and
:func:`layer_moments` (:mod:`puhui.losses.payout`).

>>> from puhui.tuning import Constraints, DesignGrid, MemberCosts, evaluate, optimise
"""

from __future__ import annotations

from puhui.experience.member_costs import CostModel, MemberCosts
from puhui.losses.payout import layer_moments
from puhui.ratios.exceedance import exceedance_probability, np2_cdf
from puhui.tuning.evaluate import Evaluation, evaluate
from puhui.tuning.frontier import pareto_frontier, pareto_mask
from puhui.tuning.grid import DesignGrid
from puhui.tuning.optimise import DEFAULT_OBJECTIVE, Choice, Constraints, optimise, ranking
from puhui.tuning.plots import plot_frontier, plot_heatmap

__all__ = [
    "DEFAULT_OBJECTIVE",
    "Choice",
    "Constraints",
    "CostModel",
    "DesignGrid",
    "Evaluation",
    "MemberCosts",
    "evaluate",
    "exceedance_probability",
    "layer_moments",
    "np2_cdf",
    "optimise",
    "pareto_frontier",
    "pareto_mask",
    "plot_frontier",
    "plot_heatmap",
    "ranking",
]
