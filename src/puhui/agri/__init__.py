"""Agricultural insurance pricing (农业保险定价): yields, contracts, rates within the rules.

* :class:`YieldModel` — trend, adjustment and density of a yield history; premium rate
  τ(θ) = E[(θμ − Y)₊]/(θμ) (纯风险损失率).
* :func:`reprice` — the same rates for every region × crop × coverage level of a yields table,
  vectorised (批量费率重算).
* Contracts as layers: :class:`YieldCover`, :class:`CostCover` (物化成本 / 完全成本),
  :class:`RevenueCover` (种植收入保险; rated on a fitted yield–price copula by
  :class:`RevenueModel`), :class:`AreaYieldCover` (GRP: ``AreaYieldCover.grp``),
  :class:`WeatherIndexCover`, :class:`TieredIndexCover` (天气指数), :class:`PriceIndexCover`
  (价格指数保险); basis risk and burn analysis.
* Rules of 银保监规〔2023〕4号: :func:`filed_rate`, :func:`rate_band`, expense-ratio and
  premium-adequacy checks, yearly change cap; :func:`subsidy_split` and :func:`farmer_premium`.
* :func:`risk_zones` (风险区划) and :func:`county_rates` (loss-cost ratio with credibility).
* :func:`crop_review` (费率回溯 by county): A/E against the filed rates with its interval,
  credibility with the zone as complement, the new 费率调整系数 within the band, the
  保费不足准备金 test at the valuation date (report sections: ``agri.review_report``).
* The industry benchmark (行业基准纯风险损失率): :func:`read_benchmark`, :func:`benchmark_filing`
  (only the factor and the loading are the company's); the county → farm adjustment
  :func:`county_to_farm` / :func:`fit_farm_ratio` (farm sd = k · county sd).
* Livestock and 农房: :class:`LivestockCover` (能繁母猪 / 育肥猪 per head) on
  :class:`HerdMortality` (mixed-Poisson herds with epidemic years 疫病年, fitted by
  :class:`HerdMortalityFitter`), :func:`price_livestock`; :class:`FarmhouseModel` (catastrophe
  events × households damaged × damage ratio), :func:`price_farmhouse`.
"""

from __future__ import annotations

from .basis import BasisRisk, BurnAnalysis, basis_risk, burn_analysis
from .batch import YieldPanel, reprice, yield_panel
from .benchmark import (
    Benchmark,
    benchmark_filing,
    benchmark_position,
    read_benchmark,
    read_zone_map,
)
from .contracts import AreaYieldCover, CostCover, RevenueCover, YieldCover, full_cost
from .density import kde_bandwidth
from .design import (
    CostDesignStudy,
    DetrendedPanel,
    Expenses,
    cost_cover_by_year,
    cost_cover_expected,
    cost_cover_pay,
    detrended_panel,
    evaluate_cost_designs,
)
from .farm import DEFAULT_FARM_RATIO, FarmAdjustment, county_to_farm, farm_bandwidth, fit_farm_ratio
from .farmhouse import FarmhouseCover, FarmhouseModel, FarmhousePrice, Peril, price_farmhouse
from .index_design import index_design_table, tiered_payouts
from .lcr import CountyRates, county_rates
from .livestock import (
    HerdMortality,
    HerdMortalityFitter,
    LivestockCover,
    LivestockPrice,
    PortfolioDeaths,
    finishing_pig_cover,
    price_livestock,
    sow_cover,
)
from .price_index import PriceIndexCover, average_prices
from .revenue import CopulaFit, RevenueModel, fit_copula
from .review import CropReview, crop_review
from .rules import (
    FiledRate,
    PremiumAdequacy,
    RateChange,
    base_rate,
    cap_rate_change,
    check_expense_ratio,
    check_sum_insured,
    factor_band,
    filed_rate,
    premium_adequacy,
    rate_band,
)
from .subsidy import SubsidySplit, farmer_premium, subsidy_split
from .trend import TrendFit, adjust_yields, fit_trend
from .weather import TieredIndexCover, WeatherIndexCover, window_index
from .yield_model import YieldModel, YieldShortfall
from .zoning import RiskZoning, risk_zones

__all__ = [
    "FarmhouseCover", "FarmhouseModel", "FarmhousePrice", "HerdMortality", "HerdMortalityFitter",
    "LivestockCover", "LivestockPrice", "Peril", "PortfolioDeaths", "finishing_pig_cover",
    "price_farmhouse", "price_livestock", "sow_cover",
    "Benchmark", "benchmark_filing", "benchmark_position", "read_benchmark", "read_zone_map",
    "DEFAULT_FARM_RATIO", "FarmAdjustment", "county_to_farm", "farm_bandwidth", "fit_farm_ratio",
    "CostDesignStudy", "DetrendedPanel", "Expenses", "cost_cover_by_year", "cost_cover_expected",
    "cost_cover_pay",
    "detrended_panel", "evaluate_cost_designs", "index_design_table", "tiered_payouts",
    "CopulaFit", "RevenueModel", "fit_copula",
    "CropReview", "crop_review",
    "AreaYieldCover", "BasisRisk", "BurnAnalysis", "CostCover", "CountyRates", "FiledRate",
    "PremiumAdequacy", "PriceIndexCover", "RateChange", "RevenueCover", "RiskZoning",
    "SubsidySplit", "TieredIndexCover", "TrendFit", "WeatherIndexCover", "YieldCover",
    "YieldModel", "YieldPanel", "YieldShortfall", "adjust_yields", "average_prices", "base_rate",
    "basis_risk", "burn_analysis", "cap_rate_change", "check_expense_ratio", "check_sum_insured",
    "county_rates", "factor_band", "farmer_premium", "filed_rate", "fit_trend", "full_cost",
    "kde_bandwidth", "premium_adequacy", "rate_band", "reprice", "risk_zones",
    "subsidy_split", "window_index", "yield_panel",
]
