"""Benefits as stacks of layers (责任层): 起付线, 赔付比例, 封顶线, bands, franchise, segments.

Every benefit here is a piecewise-linear non-decreasing function of one loss variable, written
as layers ``(attachment, limit, share)``; expected payouts then need only limited expected
values of the loss law (see :mod:`puhui.losses.payout`).
"""

from __future__ import annotations

from puhui.benefits.benefit import Benefit
from puhui.benefits.layer import Layer, LayerStack, as_stack
from puhui.benefits.segments import SegmentedBenefit

__all__ = ["Benefit", "Layer", "LayerStack", "SegmentedBenefit", "as_stack"]
