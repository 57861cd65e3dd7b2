"""A **synthetic** yield–price history for revenue cover (种植收入保险): 30 years of one county's
maize yields with projected and harvest prices.

No real price history is bundled with the crop portfolio (``../shared/data`` holds US yields
but no prices, and the project does not ship those files), so this module generates a small
seeded example, computed on each call (30 rows; no file). **It is not observed data.**

One county of the bundled province's maize (:mod:`puhui.datasets.crops`: the 1995 level, the
trend and the volatility of its maize), for the harvest years t = 1995 … 2024:

    y_t   = μ₁₉₉₅ · (1 + b (t − 1995)) · exp(σ_y Z_y,t − σ_y²/2)      (kg/亩)
    R_t   = P_h,t / P_p,t = exp(σ_p Z_p,t − σ_p²/2)                  (harvest / projected)
    ln P_p,t+1 = ln P̄_t+1 + φ (ln P_h,t − ln P̄_t) + s ε_t,  P̄_t = P̄₁₉₉₅ e^{g (t − 1995)}  (元/kg)

with (Z_y, Z_p) standard bivariate normal of correlation ρ, ε standard normal, independent over
the years; μ₁₉₉₅ = 300 kg/亩, b = 1.5 % a year and σ_y = 0.10 (the crop generator's maize figures);
the projected price of the next season follows this harvest's price, reverting (φ = 0.7) to a
level P̄ that starts at P_p,1995 = P̄₁₉₉₅ = 1.20 元/kg and grows g = 2.5 % a year (about 2.4 元/kg
by 2024), with s = 0.08. Only the ratio R enters a revenue rate; the price level sets money
amounts. The dependence is a Gaussian copula; Kendall's
τ = (2/π) arcsin ρ.

Calibration, with sources:

* ρ = −0.5: the yield–price correlation of Illinois county corn, state average −0.51 (range −0.72
  to −0.31 across counties) — farmdoc daily, *Relative importance of price vs. yield
  variability in crop revenue risk*, University of Illinois, October 2012. So τ = −1/3.
* σ_p = 0.20: the USDA RMA price volatility factor for corn, 0.20 in 2013 and 0.19 in 2014 (the
  RMA's implied volatility of the December futures, scaled to the harvest-price month; RMA,
  *Volatility factor calculation methodology*, 2011).

The table has the columns of a ``yields`` table (validated by :func:`puhui.data.validate`, the
price columns kept) — ``region, crop, year, yield`` — and ``projected_price``,
``harvest_price`` (元/kg). Yields are rounded to 0.1 kg/亩, prices to 0.001 元/kg.

>>> df = load_revenue_example()
>>> df.shape, int(df["year"].min()), int(df["year"].max())
((30, 6), 1995, 2024)
>>> bool((df["harvest_price"] > 0).all() and (df["projected_price"] > 0).all())
True
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from . import crops as gen

SEED = 20121001
REGION, CROP = "XN-maize-example", "maize"
FIRST_YEAR, YEARS = 1995, 30
#: Yield–price correlation ρ of the Gaussian copula (farmdoc daily 2012: Illinois −0.51).
YIELD_PRICE_CORRELATION = -0.5
#: sd of ln(harvest / projected price) (RMA corn volatility factor 0.20 in 2013).
PRICE_VOLATILITY = 0.20
PROJECTED_PRICE_1995 = 1.20          # 元/kg
PRICE_GROWTH, PRICE_PERSISTENCE, PRICE_NOISE = 0.025, 0.7, 0.08


def truth() -> dict:
    """The generator's parameters (what a fit to the example should come near)."""
    rho = YIELD_PRICE_CORRELATION
    return {"correlation": rho, "kendall_tau": float(2.0 / np.pi * np.arcsin(rho)),
            "price_volatility": PRICE_VOLATILITY, "yield_sigma": gen.SIGMA[CROP],
            "level_1995": gen.LEVEL_1995[CROP], "trend": gen.TREND[CROP], "seed": SEED}


def generate_revenue_example(seed: int = SEED, years: int = YEARS) -> pd.DataFrame:
    """The example table for ``years`` harvest years from 1995, deterministic for a seed
    (module formulas; ``numpy.random.default_rng(seed)``)."""
    years = int(years)
    if years < 2:
        raise ValueError("years must be at least 2")
    rng = np.random.default_rng(seed)
    rho = YIELD_PRICE_CORRELATION
    z = rng.standard_normal((years, 2))
    z_y = z[:, 0]
    z_p = rho * z[:, 0] + np.sqrt(1.0 - rho * rho) * z[:, 1]
    eps = rng.standard_normal(years)
    t = np.arange(FIRST_YEAR, FIRST_YEAR + years)
    s_y = gen.SIGMA[CROP]
    trend = gen.LEVEL_1995[CROP] * (1.0 + gen.TREND[CROP] * (t - FIRST_YEAR))
    yields = trend * np.exp(s_y * z_y - 0.5 * s_y * s_y)
    ratio = np.exp(PRICE_VOLATILITY * z_p - 0.5 * PRICE_VOLATILITY ** 2)
    projected = np.empty(years)
    projected[0] = PROJECTED_PRICE_1995
    harvest = np.empty(years)
    level = np.log(PROJECTED_PRICE_1995) + PRICE_GROWTH * (t - FIRST_YEAR)     # ln P̄_t
    for i in range(years):          # a 30-step recursion: next season's price follows harvest
        harvest[i] = projected[i] * ratio[i]
        if i + 1 < years:
            projected[i + 1] = np.exp(level[i + 1] + PRICE_PERSISTENCE * (np.log(harvest[i])
                                      - level[i]) + PRICE_NOISE * eps[i])
    return pd.DataFrame({
        "region": REGION, "crop": CROP, "year": t,
        "yield": np.round(yields, 1),
        "projected_price": np.round(projected, 3),
        "harvest_price": np.round(harvest, 3),
    })


def load_revenue_example(seed: int = SEED) -> pd.DataFrame:
    """The example (default seed), validated as a ``yields`` table with the price columns kept."""
    from ..data import validate

    return validate(generate_revenue_example(seed), "yields", extra_columns="keep",
                    table="revenue example")
