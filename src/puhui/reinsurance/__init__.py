"""Reinsurance and the 大灾准备金, product-neutral: the same tools for crops and 惠民保.

* :mod:`~puhui.reinsurance.treaties` — :class:`QuotaShare` (成数), :class:`PerRiskXL` (险位超赔),
  :class:`PerEventXL` (事故超赔), :class:`StopLoss` (赔付率超赔) on loss-ratio bands; each
  ``cede`` is vectorised and every layer is a :class:`puhui.benefits.Layer`;
* :mod:`~puhui.reinsurance.reserve` — :class:`CatastropheReserve` (农业保险大灾风险准备金,
  财金〔2013〕129号): contributions by line and draws above a loss-ratio trigger;
* :mod:`~puhui.reinsurance.programme` — :class:`Programme`: the treaties in order, then the
  reserve; gross, net and after-reserve combined ratios on scenarios (burn or simulated years)
  or exactly on a law of the year's claims, with mean, sd, VaR/TVaR and P(CR > 100%).

Floor 3 (beside :mod:`puhui.pricing`): it uses losses, ratios and benefits, never a product
family. See docs/reinsurance.md.
"""

from __future__ import annotations

from .programme import LawResult, Programme, ProgrammeResult
from .reserve import CONTRIBUTION_BANDS, CatastropheReserve, reserve_contributions
from .treaties import PerEventXL, PerRiskXL, QuotaShare, StopLoss

__all__ = ["CONTRIBUTION_BANDS", "CatastropheReserve", "LawResult", "PerEventXL", "PerRiskXL",
           "Programme", "ProgrammeResult", "QuotaShare", "StopLoss", "reserve_contributions"]
