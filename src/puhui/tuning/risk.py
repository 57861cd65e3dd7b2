"""P(combined ratio > 100%) of K designs: moved to :mod:`puhui.ratios.exceedance`.

The one exceedance probability of puhui (NP2 or normal from the aggregate's cumulants, with a
lognormal claim-level factor for parameter risk) lives in :mod:`puhui.ratios.exceedance`, below
pricing and tuning; this module keeps the old import path working.
"""

from __future__ import annotations

from puhui.ratios.exceedance import METHODS, exceedance_probability, np2_cdf

__all__ = ["METHODS", "exceedance_probability", "np2_cdf"]
