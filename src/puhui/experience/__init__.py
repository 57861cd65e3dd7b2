"""Experience analysis (经验分析) for retrospective reviews (精算回溯).

* exposure and earned premium by period and policy year (:mod:`.exposure`);
* claim development triangles from records and IBNR by chain ladder (Mack) and
  Bornhuetter–Ferguson, with chainladder doing the development arithmetic (:mod:`.triangles`,
  :mod:`.ibnr`);
* actual vs expected by cell with exact Poisson intervals and credibility (:mod:`.ae`);
* rate groups by GLM (费率分组): frequency × severity or Tweedie relativities through
  statsmodels, credibility for thin levels, lift and double lift (:mod:`.glm`);
* rate indications within the rules (:mod:`.indication`);
* mortality and lapse studies and survival curves through lifelines (:mod:`.mortality`,
  :mod:`.survival`);
* an experience summary by product and policy year (:mod:`.summary`).
"""

from __future__ import annotations

from .ae import AEResult, actual_vs_expected
from .exposure import earned, earned_by_policy, policy_term_years
from .glm import RateGroups, fit_rate_groups, plot_double_lift, plot_factor, plot_lift
from .ibnr import ReserveResult, bornhuetter_ferguson, chain_ladder, plot_development_factors
from .indication import Indication, rate_indication
from .mortality import (
    MortalityAE,
    MortalityStudy,
    exact_age,
    exposure_by_age,
    mortality_study,
    poisson_interval,
)
from .summary import summary
from .survival import (
    ClaimDelays,
    CoxComparison,
    SurvivalCurves,
    age_scale,
    claim_delays,
    cox_compare,
    kaplan_meier,
    nelson_aalen,
)
from .triangles import (
    DevelopmentCells,
    ExcludedRecordsWarning,
    development_cells,
    parse_grain,
    triangle,
)

__all__ = [
    "AEResult", "ClaimDelays", "CoxComparison", "DevelopmentCells", "ExcludedRecordsWarning",
    "Indication", "MortalityAE", "MortalityStudy", "RateGroups", "ReserveResult",
    "SurvivalCurves",
    "actual_vs_expected", "age_scale", "bornhuetter_ferguson", "chain_ladder", "claim_delays",
    "cox_compare", "development_cells", "earned", "earned_by_policy", "exact_age",
    "exposure_by_age", "fit_rate_groups", "kaplan_meier", "mortality_study", "nelson_aalen",
    "parse_grain", "plot_development_factors", "plot_double_lift", "plot_factor", "plot_lift",
    "poisson_interval", "policy_term_years", "rate_indication",
    "summary", "triangle",
]
