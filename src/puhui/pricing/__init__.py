"""Pricing (定价), product-neutral: the expense model, the loadings and the gross-up, the
portfolio's aggregate claims, participation and renewal. A product family prices with these
(惠民保: :func:`puhui.huiminbao.price_from_experience`).

* :func:`gross_premium`, :func:`risk_margin` — the loadings on their own; :func:`gross_up`, the
  one gross-up every family uses, and :class:`Expenses`, the one expense model (:mod:`puhui.pricing.expenses`);
* :class:`ParticipationScenario`, :func:`equilibrium_price`, :func:`spiral`,
  :func:`default_scenario` — participation (参保率) and anti-selection (逆选择): the price that
  still balances after the healthier members leave, or the death spiral when none does;
* :func:`renewal_selection`, :func:`leaver_cost_ratio` — the footprint of anti-selection in
  renewal data.

See ``docs/pricing_huiminbao.md``.

>>> from puhui.pricing import gross_up, equilibrium_price, default_scenario
"""

from __future__ import annotations

from puhui.pricing.loading import Expenses, gross_premium, gross_up, risk_margin
from puhui.pricing.participation import (
    Equilibrium,
    ParticipationScenario,
    RiskClass,
    equilibrium_price,
    spiral,
)
from puhui.pricing.participation_calibration import (
    Calibration,
    calibrate_scenario,
    default_scenario,
)
from puhui.pricing.renewal import leaver_cost_ratio, renewal_selection

__all__ = [
    "Calibration",
    "Equilibrium",
    "Expenses",
    "ParticipationScenario",
    "RiskClass",
    "calibrate_scenario",
    "default_scenario",
    "equilibrium_price",
    "gross_premium",
    "gross_up",
    "leaver_cost_ratio",
    "renewal_selection",
    "risk_margin",
    "spiral",
]
