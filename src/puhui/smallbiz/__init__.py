"""Small-business cover (小微企业 / 个体工商户): property, public liability, 雇主责任 and staff
group cover, with group experience rating and a 无赔款优待 (NCD) scale.

* :mod:`.product` — the product file (TOML, read strictly; ``kind`` = property, liability or
  employer) and the bundled examples (:func:`example_product_path`);
* :mod:`.exposure_curve` — damage ratios on the MBBEFD / Swiss Re exposure curves (Bernegger
  1997) and :class:`DamageRatioLaw`, a loss model of :mod:`puhui.losses`;
* :mod:`.pricing` — pure premium through the loss core, gross by :func:`puhui.pricing.gross_up`:
  property by occupancy, sum insured, location grade and 免赔额; public liability with limits
  per accident and in aggregate and ILFs; employer's liability by 职业类别 1–6;
* :mod:`.bonus_malus` — the NCD scale as a bonus–malus Markov chain: stationary distribution
  and Loimaranta efficiency (Lemaire 1995);
* :mod:`.review` — A/E with credibility, 综合成本率, P(CR > 100%) (property and 公众责任, the
  latter with IBNR from report dates), group experience rating and the tuning studies
  (property 免赔额 × 赔付比例, liability 限额 × 累计限额 × 免赔额, employer 每人限额 × 免赔额 ×
  赔付比例) on one grid evaluator (:func:`evaluate_designs`); the employer book's P(CR > 100%)
  from its cumulants with the 伤残等级 1–10 distribution (:func:`employer_moments`,
  :func:`employer_prob_loss`).

See ``docs/smallbiz.md``.

>>> p = Product.from_toml(example_product_path("employer"))
>>> round(float(employer_rates(p)["gross_per_head"].iloc[0]), 2)     # 职业类别 1, 元 a head
152.11
"""

from __future__ import annotations

from .bonus_malus import BonusMalus
from .exposure_curve import (
    SWISS_RE_C,
    DamageRatioLaw,
    damage_ratio_cdf,
    excess_moments,
    exposure_curve,
    mean_damage_ratio,
    swiss_re_curve,
)
from .pricing import (
    employer_moments,
    employer_rates,
    gross,
    ilf,
    liability_design_moments,
    liability_premium,
    liability_severity,
    price_groups,
    price_property,
    property_moments,
)
from .product import (
    KINDS,
    EmployerTerms,
    LiabilityTerms,
    Occupancy,
    Product,
    PropertyTerms,
    example_product_path,
    load_product,
)
from .review import (
    employer_prob_loss,
    evaluate_designs,
    experience_rate,
    liability_prob_loss,
    property_prob_loss,
    review_employer,
    review_liability,
    review_property,
    tune_employer,
    tune_liability,
    tune_property,
)

__all__ = [
    "KINDS", "SWISS_RE_C", "BonusMalus", "DamageRatioLaw", "EmployerTerms", "LiabilityTerms",
    "Occupancy", "Product", "PropertyTerms", "damage_ratio_cdf", "employer_moments",
    "employer_prob_loss", "employer_rates", "evaluate_designs", "example_product_path",
    "excess_moments", "experience_rate", "exposure_curve", "gross", "ilf",
    "liability_design_moments", "liability_premium", "liability_prob_loss",
    "liability_severity", "load_product", "mean_damage_ratio", "price_groups", "price_property",
    "property_moments", "property_prob_loss", "review_employer", "review_liability",
    "review_property", "swiss_re_curve", "tune_employer", "tune_liability", "tune_property",
]
