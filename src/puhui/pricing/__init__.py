"""惠民保 pricing (定价): price per member and the participation / anti-selection model.

* :func:`price_from_experience` — price per member from member-level experience: costs trended
  to the pricing year before the 起付线, mean payout per member-year by line × segment (× age
  band), optional Bühlmann–Straub credibility, risk margin from the portfolio's aggregate
  claims, gross-up at the expense loading or the target combined ratio (:class:`PricingResult`);
* :func:`price_from_model` and :class:`CostModelFitter` — the same from a fitted cost frequency
  × severity (with truncation at a reporting threshold);
* :func:`gross_premium`, :func:`risk_margin` — the loadings on their own; :func:`gross_up`, the
  one gross-up every family uses, and :class:`Expenses`, the one expense model (its home is
  :mod:`puhui.products.definition`, below pricing, as the product file holds it);
* :class:`ParticipationScenario`, :func:`equilibrium_price`, :func:`spiral`,
  :func:`default_scenario` — participation (参保率) and anti-selection (逆选择): the price that
  still balances after the healthier members leave, or the death spiral when none does;
* :func:`renewal_selection`, :func:`leaver_cost_ratio` — the footprint of anti-selection in
  renewal data.

See ``docs/pricing_huiminbao.md``.

>>> from puhui.pricing import price_from_experience, equilibrium_price, default_scenario
"""

from __future__ import annotations

from puhui.pricing.cost_model import CostModelFitter
from puhui.pricing.huiminbao import price_from_experience, price_from_model
from puhui.pricing.loading import Expenses, gross_premium, gross_up, risk_margin
from puhui.pricing.member_experience import MemberPayouts, member_payouts
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
from puhui.pricing.result import PricingResult

__all__ = [
    "Calibration",
    "CostModelFitter",
    "Equilibrium",
    "Expenses",
    "MemberPayouts",
    "ParticipationScenario",
    "PricingResult",
    "RiskClass",
    "calibrate_scenario",
    "default_scenario",
    "equilibrium_price",
    "gross_premium",
    "gross_up",
    "leaver_cost_ratio",
    "member_payouts",
    "price_from_experience",
    "price_from_model",
    "renewal_selection",
    "risk_margin",
    "spiral",
]
