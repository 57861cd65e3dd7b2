"""Seeded small-business books (小微企业 / 个体工商户): a property book and staff groups.

Generated in memory from a seed (a few thousand rows, well under a second) with the bundled
example products of :mod:`puhui.smallbiz`; nothing is written to ``data/``.

1. **Property** (:func:`property_book`): ``firms`` small firms × the policy years 2022–2024,
   each with an occupancy (办公, 商铺零售, 餐饮, 仓储, 小型加工), a location grade A/B/C and a
   sum insured (保险金额: 0.2–5 million 元, lognormal around 600,000 元). Losses: Poisson with
   the product's rate × a planted factor per occupancy (:data:`PLANTED_PROPERTY`: 餐饮 runs
   at 1.30 × the filed frequency, the others at 1.0), damage ratios drawn from the
   occupancy's Swiss Re curve (inverse of the MBBEFD cdf, the atom at 1 = total loss), paid
   ``r (Y − d)₊``. Earned premium = the product's gross premium.
2. **Staff groups** (:func:`employer_groups`): ``groups`` employer groups × 2022–2024, with an
   occupation class 1–6, a headcount (2–60, 小微企业 sizes), claims from the product's class
   rates × a group factor θ ~ Gamma(mean 1, CV 0.35) recorded as ``true_factor``.

Calibration (assumptions, see docs/datasets.md): the frequencies and Swiss Re curves are the
example product's; sizes follow the 小微企业 definition (工信部联企业〔2011〕300号: 小型/微型
by headcount and turnover), not a published portfolio.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..smallbiz.exposure_curve import swiss_re_curve
from ..smallbiz.pricing import employer_rates, price_property
from ..smallbiz.product import Product, example_product_path

__all__ = ["PLANTED_PROPERTY", "SEED", "employer_groups", "property_book"]

SEED = 20250417
YEARS = (2022, 2023, 2024)
#: Planted frequency factors per occupancy (truth of the property book).
PLANTED_PROPERTY = {"office": 1.0, "retail": 1.0, "catering": 1.30, "warehouse": 1.0,
                    "workshop": 1.0}


def _damage_ratio_draw(u: np.ndarray, b: float, g: float) -> np.ndarray:
    """Inverse of the MBBEFD cdf (general case b ≠ 1, g b ≠ 1): F(x) = 1 − (1 − b) /
    ((g − 1) b^{1−x} + 1 − g b) solved for x; u above F(1−) = 1 − 1/g is a total loss."""
    sf = 1.0 - u
    total = sf <= 1.0 / g
    with np.errstate(divide="ignore", invalid="ignore"):
        y = ((1.0 - b) / np.where(total, 1.0, sf) - 1.0 + g * b) / (g - 1.0)
        x = 1.0 - np.log(y) / np.log(b)
    return np.where(total, 1.0, np.clip(x, 0.0, 1.0))


def property_book(seed: int = SEED, firms: int = 1500) -> pd.DataFrame:
    """The seeded property book: one row per firm × year (see the module notes)."""
    product = Product.from_toml(example_product_path("property"))
    t = product.terms
    rng = np.random.default_rng(seed)
    occ_names = list(t.occupancies)
    occ = rng.choice(occ_names, firms, p=[0.25, 0.30, 0.20, 0.10, 0.15])
    grade = rng.choice(list(t.location_grades), firms, p=[0.3, 0.5, 0.2])
    si = np.clip(np.round(np.exp(rng.normal(np.log(6e5), 0.8, firms)), -4), 2e5, 5e6)
    firm = pd.DataFrame({"firm": [f"F{i:05d}" for i in range(firms)], "occupancy": occ,
                         "location_grade": grade, "sum_insured": si})
    book = pd.concat([firm.assign(year=y) for y in YEARS], ignore_index=True)
    priced = price_property(product, book)
    lam = priced["frequency"].to_numpy() * book["occupancy"].map(PLANTED_PROPERTY).to_numpy()
    n = rng.poisson(lam)
    paid = np.zeros(len(book))
    count = np.zeros(len(book))
    idx = np.repeat(np.arange(len(book)), n)
    if idx.size:
        occ_l = book["occupancy"].to_numpy(object)[idx]
        x = np.zeros(idx.size)
        for name, o in t.occupancies.items():  # classes, not losses
            m = occ_l == name
            b, g = swiss_re_curve(o.curve)
            x[m] = _damage_ratio_draw(rng.random(m.sum()), b, g)
        y = x * si[idx % firms]
        pay = t.payout_ratio * np.maximum(y - t.deductible, 0.0)
        np.add.at(paid, idx, pay)
        np.add.at(count, idx, (pay > 0).astype(float))
    return book.assign(exposure=1.0, premium=priced["gross_premium"].to_numpy().round(2),
                       claim_count=count, claims_paid=paid.round(2))


def employer_groups(seed: int = SEED, groups: int = 120) -> pd.DataFrame:
    """The seeded staff groups: one row per group × year (see the module notes)."""
    product = Product.from_toml(example_product_path("employer"))
    rng = np.random.default_rng(seed + 1)
    cls = rng.choice(np.arange(1, 7), groups, p=[0.25, 0.25, 0.2, 0.15, 0.1, 0.05])
    heads0 = rng.integers(2, 61, groups)
    theta = rng.gamma(1 / 0.35**2, 0.35**2, groups)
    rates = employer_rates(product).set_index("occupation_class")
    rows = []
    for y in YEARS:  # three years, each vectorised over groups
        heads = np.maximum(1, np.round(heads0 * rng.uniform(0.85, 1.15, groups))).astype(int)
        mu = theta * heads * rates["pure_per_head"].reindex(cls).to_numpy()
        freq = theta * heads * rates["claims_per_head"].reindex(cls).to_numpy()
        n = rng.poisson(freq)
        # claim sizes: gamma around the mean cost per claim (CV 2), so that E[paid] = mu
        mean_size = mu / np.maximum(freq, 1e-12)
        paid = np.where(n > 0, rng.gamma(np.maximum(n, 1) / 4.0, 4.0 * mean_size), 0.0)
        rows.append(pd.DataFrame({"group": [f"G{i:04d}" for i in range(groups)], "year": y,
                                  "occupation_class": cls, "headcount": heads,
                                  "claim_count": n, "claims_paid": paid.round(2),
                                  "true_factor": theta}))
    return pd.concat(rows, ignore_index=True)
