"""Gig-worker cover by the order, the day or the hour (新就业形态人员专属灵活型保险).

* :class:`GigProduct` — accident (身故, 伤残 by grade, 医疗 with 免赔额 and 赔付比例) and third-party
  liability (第三者责任) cover with frequencies per million orders; strict TOML product file
  (:func:`example_product_path`);
* pricing per order / day / hour (:mod:`puhui.gig.pricing`);
* seasonal and city factors by a Poisson GLM with offset log(orders)
  (:func:`fit_factors`, through :func:`puhui.experience.fit_rate_groups`);
* review by platform × city: A/E with credibility, combined ratio, P(CR > 100 %), rule check
  (:func:`review`);
* a tuning study of the medical deductible, payout ratio and per-order premium (:func:`tune`).

See ``docs/gig.md``.
"""

from __future__ import annotations

from .pricing import (
    claims_distribution,
    line_moments,
    line_table,
    per_order,
    premium_income,
    unit_premiums,
)
from .product import GRADE_SHARES, LINES, PREMIUM_BASES, GigProduct, example_product_path

__all__ = [
    "GRADE_SHARES",
    "GigProduct",
    "LINES",
    "PREMIUM_BASES",
    "claims_distribution",
    "example_product_path",
    "line_moments",
    "line_table",
    "per_order",
    "premium_income",
    "unit_premiums",
]
