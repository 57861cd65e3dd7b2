"""puhui (普惠): actuarial toolkit for Chinese inclusive insurance (普惠保险).

Pricing, retrospective review (精算回溯), combined-ratio models (综合成本率) and deductible /
payout tuning (免赔额、起付线、赔付比例) for agricultural, 惠民保 and special-group products.
"""

from __future__ import annotations

from . import data
from .errors import DataError, ParameterError, Problem, PuhuiError, RuleError

__version__ = "0.1.0"

__all__ = [
    "DataError",
    "data",
    "ParameterError",
    "Problem",
    "PuhuiError",
    "RuleError",
    "__version__",
]
