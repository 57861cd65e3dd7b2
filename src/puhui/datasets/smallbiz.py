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
3. **Public liability** (:func:`liability_book`): ``policies`` 公众责任 policies × the policy
   years 2020–2024 (sizes 1–50 units of 100 m² 营业面积, :data:`LIABILITY_SIZES`), earned
   premium = the product's gross premium; accidents Poisson at
   :data:`PLANTED_LIABILITY` ``frequency_factor`` × the filed rate, dated uniformly in the
   year, lognormal loss of the product, paid ``min((X − d)₊, L)`` and at most the 累计赔偿限额
   a policy-year (in accident order); each claim is reported after a lognormal lag and settled
   after a further lognormal delay. Valued at 2024-12-31: claims reported later are not in
   the table (the IBNR the review estimates; their true amount per year is in ``attrs``);
   reported claims are ``paid`` if settled, else held as ``case_reserve`` at their final
   amount (no IBNER).

Calibration (assumptions, see docs/datasets.md): the frequencies and Swiss Re curves are the
example product's; sizes follow the 小微企业 definition (工信部联企业〔2011〕300号: 小型/微型
by headcount and turnover), not a published portfolio.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..errors import ParameterError
from ..smallbiz.exposure_curve import swiss_re_curve
from ..smallbiz.pricing import employer_rates, price_property
from ..smallbiz.product import Product, example_product_path

__all__ = ["LIABILITY_SIZES", "PLANTED_LIABILITY", "PLANTED_PROPERTY", "SEED",
           "employer_groups", "liability_book", "property_book"]

SEED = 20250417
YEARS = (2022, 2023, 2024)
#: Liability book: policy years, policy sizes (exposure units of 100 m²) and their shares.
LIABILITY_YEARS = (2020, 2021, 2022, 2023, 2024)
LIABILITY_SIZES = (1.0, 2.0, 5.0, 10.0, 20.0, 50.0)
LIABILITY_SIZE_SHARES = (0.30, 0.28, 0.22, 0.12, 0.06, 0.02)
#: Planted truth of the liability book: accidents at 1.15 × the filed frequency; report lag
#: lognormal (years) with median 0.4 and σ 1.0 (mean 0.66 years, 2.6 % reported more than
#: three years after the accident); settlement 0.5 years (median) after the report.
PLANTED_LIABILITY = {"frequency_factor": 1.15, "lag_median": 0.4, "lag_sigma": 1.0,
                     "settle_median": 0.5, "settle_sigma": 0.8}
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


def liability_book(seed: int = SEED, policies: int = 400) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The seeded 公众责任 book (see the module notes): ``(policies, claims)``.

    ``policies``: one row per policy × year (``policy, year, units, premium``); ``claims``:
    one row per claim reported by 2024-12-31 (``claim_id, policy, year, accident_date,
    report_date, paid, case_reserve``). ``claims.attrs["unreported"]`` holds the true amount
    of the claims not yet reported, by accident year. Every size of :data:`LIABILITY_SIZES`
    is present (the first six policies take one each).
    """
    from ..smallbiz.pricing import liability_premium, liability_severity

    product = Product.from_toml(example_product_path("liability"))
    t = product.terms
    if policies < len(LIABILITY_SIZES):
        raise ParameterError(f"policies must be ≥ {len(LIABILITY_SIZES)}, got {policies}")
    rng = np.random.default_rng(seed + 2)
    units = rng.choice(LIABILITY_SIZES, policies, p=LIABILITY_SIZE_SHARES)
    units[:len(LIABILITY_SIZES)] = LIABILITY_SIZES
    card = liability_premium(product, units).set_index("units")["gross_premium"]
    book = pd.concat([pd.DataFrame({"policy": [f"PL{i:05d}" for i in range(policies)],
                                    "year": y, "units": units}) for y in LIABILITY_YEARS],
                     ignore_index=True)
    book["premium"] = card.reindex(book["units"]).to_numpy().round(2)
    truth = PLANTED_LIABILITY
    n = rng.poisson(t.frequency * truth["frequency_factor"] * book["units"].to_numpy())
    row = np.repeat(np.arange(len(book)), n)
    year = book["year"].to_numpy()[row]
    start = pd.to_datetime(pd.Series(year).astype(str) + "-01-01").to_numpy()
    accident = start + (rng.random(row.size) * 365.0 * 86400).astype("timedelta64[s]")
    x = liability_severity(product).rvs(size=row.size, random_state=rng)
    pay = np.minimum(np.maximum(x - t.deductible, 0.0), t.limit_per_accident)
    order = np.lexsort((accident, row))                      # by policy-year, then date
    row, year, accident, pay = row[order], year[order], accident[order], pay[order]
    cum = pd.Series(pay).groupby(row).cumsum().to_numpy()
    pay = np.clip(np.minimum(cum, t.aggregate_limit) - np.minimum(cum - pay,
                                                                  t.aggregate_limit), 0.0, None)
    year_s = 365.25 * 86400
    lag = rng.lognormal(np.log(truth["lag_median"]), truth["lag_sigma"], row.size)
    settle = rng.lognormal(np.log(truth["settle_median"]), truth["settle_sigma"], row.size)
    report = accident + (lag * year_s).astype("timedelta64[s]")
    closed = accident + ((lag + settle) * year_s).astype("timedelta64[s]")
    as_of = np.datetime64("2024-12-31T23:59:59")
    keep = (pay > 0) & (report <= as_of)
    late = (pay > 0) & (report > as_of)
    settled = closed <= as_of
    claims = pd.DataFrame({
        "claim_id": [f"C{i:06d}" for i in range(int(keep.sum()))],
        "policy": book["policy"].to_numpy()[row[keep]], "year": year[keep],
        "accident_date": pd.to_datetime(accident[keep]).normalize(),
        "report_date": pd.to_datetime(report[keep]).normalize(),
        "paid": np.where(settled[keep], pay[keep], 0.0).round(2),
        "case_reserve": np.where(settled[keep], 0.0, pay[keep]).round(2)})
    claims.attrs["unreported"] = (pd.Series(pay[late]).groupby(year[late]).sum()
                                  .reindex(LIABILITY_YEARS, fill_value=0.0).to_dict())
    return book, claims
