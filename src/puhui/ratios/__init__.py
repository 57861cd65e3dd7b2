"""Combined ratios (综合成本率): the regulatory definitions and next year's distribution.

* :mod:`~puhui.ratios.definitions` — 综合赔付率, 综合费用率, 综合成本率, 简单赔付率, 满期赔付率
  exactly as defined for Chinese non-life statements (with reinsurance and reserve movements);
* :mod:`~puhui.ratios.projection` — the distribution of next year's combined ratio for a
  design from the aggregate loss model, and P(CR > 100%);
* :mod:`~puhui.ratios.exceedance` — :func:`exceedance_probability`, the one P(CR > c) (claims
  above a threshold, with parameter risk; from a law of the claims or, vectorised over designs,
  from their cumulants by NP2), used by the projection, pricing and tuning.
"""

from __future__ import annotations

from .definitions import (
    RATIO_FIELDS,
    STATEMENT_FIELDS,
    Ratios,
    Statement,
    combined_ratio,
    combined_ratio_from,
    expected_combined_ratio,
    underwriting_year_ratios,
)
from .exceedance import exceedance_probability, np2_cdf
from .projection import CombinedRatioDistribution, combined_ratio_distribution

__all__ = ["RATIO_FIELDS", "STATEMENT_FIELDS", "CombinedRatioDistribution", "Ratios",
           "Statement", "combined_ratio", "combined_ratio_distribution", "combined_ratio_from",
           "expected_combined_ratio",
           "exceedance_probability", "np2_cdf", "underwriting_year_ratios"]
