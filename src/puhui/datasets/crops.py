"""Seeded generator of the bundled provincial crop portfolio (yields, 完全成本 policies, claims).

A fictitious province ("Xiangnan", 100 counties) grows rice, maize and wheat. Yields (单产,
kg/亩) for 1995–2024 follow

    y_ikt = μ_ik · (1 + b_k (t − 1995)) · exp(σ_ik e_ikt − σ_ik²/2) · (1 − L_ikt)

* ``μ_ik``: county level (soil, irrigation), the crop's 1995 level × e^{0.08 N};
* ``b_k``: linear trend per year (rice 0.6%, maize 1.5%, wheat 1.9%);
* ``σ_ik = σ_k · v_i``: crop volatility (rice 0.08, maize 0.10, wheat 0.08) times a county risk
  level ``v_i = exp(0.3 Z_i − 0.045)`` with ``Z`` a spatial field (range 150 km): risk zones;
* ``e_ikt = √0.30 P_kt + √0.45 S_ikt + √0.25 ε_ikt``: a provincial shock ``P`` (shared by the
  crops with correlation 0.5, the weather), a spatially correlated county field ``S`` with
  covariance ``exp(−d_ij / 80 km)`` (distance kernel, drawn through its Cholesky factor) and
  county noise ``ε``; unit variance in total;
* ``L_ikt``: catastrophe years (大灾年), each year with probability 0.12: a flood or drought
  centred on a random point, loss ``severity · exp(−(d/150 km)²)`` with severity 0.2–0.5 scaled
  by the crop's sensitivity (drought hurts maize most, floods hurt rice most).

完全成本 policies cover the last three harvest years (2022–2024) at the county schedule of
DOMAIN.md: rice 1,100 元/亩 at 4.5%, maize 800 元/亩 at 4.5%, wheat 700 元/亩 at 2.72%; subsidy
中央 45% + 省 27% + 县 3% = 75% (``subsidy_share``), farmers 25%. The indemnity per 亩 is the yield
shortfall below the guarantee, valued at the crop price and capped at the sum insured:

    indemnity = min(price · (θ · ȳ₅ − y)₊, SI)   with θ = 1.0 and ȳ₅ the county's mean yield
                                                   over the 5 previous years (保险产量).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

SEED = 19950101
CROPS = ("rice", "maize", "wheat")
FIRST_YEAR, LAST_YEAR = 1995, 2024
POLICY_YEARS = (2022, 2023, 2024)
VALUATION_DATE = "2025-03-31"
PROVINCE = "Xiangnan"
BOX = {"lon": (114.0, 118.5), "lat": (29.0, 33.5)}

LEVEL_1995 = {"rice": 400.0, "maize": 300.0, "wheat": 250.0}  # kg/亩
TREND = {"rice": 0.006, "maize": 0.015, "wheat": 0.019}  # share of the 1995 level per year
SIGMA = {"rice": 0.08, "maize": 0.10, "wheat": 0.08}  # sd of the log yield shock (average)
VOLATILITY_SD, VOLATILITY_RANGE_KM = 0.30, 150.0  # county risk level (风险区划 signal)
SHARES = {"province": 0.30, "spatial": 0.45, "county": 0.25}
CROP_WEATHER_CORRELATION = 0.5
KERNEL_RANGE_KM = 80.0
CAT_PROBABILITY, CAT_RADIUS_KM, CAT_SEVERITY = 0.12, 150.0, (0.20, 0.50)
CAT_SENSITIVITY = {"flood": {"rice": 1.0, "maize": 0.6, "wheat": 0.5},
                   "drought": {"rice": 0.5, "maize": 1.0, "wheat": 0.8}}

#: The county schedule (DOMAIN.md "Observed county schedule"): SI per 亩, rate, harvest price.
SUM_INSURED_PER_MU = {"rice": 1100.0, "maize": 800.0, "wheat": 700.0}
RATE = {"rice": 0.045, "maize": 0.045, "wheat": 0.0272}
SUBSIDY_SHARE = 0.75  # 中央 45% + 省 27% + 县 3%
PRICE = {"rice": 2.6, "maize": 2.3, "wheat": 2.4}  # 元/kg at harvest
COVERAGE = 1.0  # guarantee = 100% of the 5-year mean yield; SI caps the indemnity
GUARANTEE_YEARS = 5
#: Period of cover (month, day) and whether it starts in the previous calendar year.
SEASON = {"rice": ((4, 1), (10, 31), False), "maize": ((5, 1), (9, 30), False),
          "wheat": ((10, 15), (6, 15), True)}
LOSS_DATE = {"rice": (9, 10), "maize": (8, 15), "wheat": (5, 20)}  # typical loss date


def haversine_km(lon, lat) -> np.ndarray:
    """Great-circle distances (km) between all pairs of points (earth radius 6,371 km)."""
    lon, lat = np.radians(np.asarray(lon)), np.radians(np.asarray(lat))
    dlon = lon[:, None] - lon[None, :]
    dlat = lat[:, None] - lat[None, :]
    a = np.sin(dlat / 2) ** 2 + np.cos(lat[:, None]) * np.cos(lat[None, :]) * np.sin(dlon / 2) ** 2
    return 2 * 6371.0 * np.arcsin(np.sqrt(np.clip(a, 0.0, 1.0)))


def _counties(rng: np.random.Generator, n: int) -> pd.DataFrame:
    side = int(np.ceil(np.sqrt(n)))
    cells = np.arange(side * side)[:n]
    (lo0, lo1), (la0, la1) = BOX["lon"], BOX["lat"]
    lon = lo0 + (cells % side + rng.uniform(0.1, 0.9, n)) * (lo1 - lo0) / side
    lat = la0 + (cells // side + rng.uniform(0.1, 0.9, n)) * (la1 - la0) / side
    south = (la1 - lat) / (la1 - la0)  # 1 in the south, 0 in the north
    base = rng.lognormal(np.log(150_000.0), 0.5, n)
    area = {"rice": base * (0.2 + 1.2 * south), "maize": base * (0.3 + 0.7 * (1 - south)),
            "wheat": base * (0.1 + 1.0 * (1 - south))}
    out = pd.DataFrame({"region": [f"XN{i:03d}" for i in range(1, n + 1)],
                        "province": PROVINCE,
                        "lon": np.round(lon, 4), "lat": np.round(lat, 4)})
    for crop in CROPS:
        out[f"{crop}_area"] = np.round(area[crop], -2)
    out["participation"] = np.round(rng.uniform(0.55, 0.90, n), 3)
    return out


def _catastrophes(rng, years, lon, lat) -> tuple[list[dict], np.ndarray]:
    """Catastrophe events and the loss share L[crop, county, year] they cause."""
    loss = np.zeros((len(CROPS), len(lon), len(years)))
    hit = rng.random(len(years)) < CAT_PROBABILITY
    kind = np.where(rng.random(len(years)) < 0.5, "flood", "drought")
    centre = rng.integers(0, len(lon), len(years))
    sev = rng.uniform(*CAT_SEVERITY, len(years))
    events = []
    for t in np.flatnonzero(hit):
        d = haversine_km(np.append(lon, lon[centre[t]]), np.append(lat, lat[centre[t]]))[-1, :-1]
        footprint = np.exp(-((d / CAT_RADIUS_KM) ** 2))
        for k, crop in enumerate(CROPS):
            loss[k, :, t] = sev[t] * CAT_SENSITIVITY[kind[t]][crop] * footprint
        events.append({"year": int(years[t]), "kind": str(kind[t]),
                       "centre_lon": float(lon[centre[t]]), "centre_lat": float(lat[centre[t]]),
                       "radius_km": CAT_RADIUS_KM, "severity": round(float(sev[t]), 4)})
    return events, loss


def _shocks(rng, n_years, dist, size=None) -> tuple[np.ndarray, np.ndarray]:
    """Standardised log-yield shocks e[crop, county, year] (unit variance, see module doc).

    Returns ``(e, province)`` with the provincial component ``province[crop, 0, year]``.
    """
    n = dist.shape[0]
    reps = () if size is None else (size,)
    chol = np.linalg.cholesky(np.exp(-dist / KERNEL_RANGE_KM) + 1e-10 * np.eye(n))
    weather = rng.standard_normal(reps + (1, 1, n_years))
    own = rng.standard_normal(reps + (len(CROPS), 1, n_years))
    c = CROP_WEATHER_CORRELATION
    province = np.sqrt(c) * weather + np.sqrt(1 - c) * own
    spatial = np.einsum("ij,...kjt->...kit", chol,
                        rng.standard_normal(reps + (len(CROPS), n, n_years)))
    county = rng.standard_normal(reps + (len(CROPS), n, n_years))
    e = (np.sqrt(SHARES["province"]) * province + np.sqrt(SHARES["spatial"]) * spatial
         + np.sqrt(SHARES["county"]) * county)
    return e, province


def _trend(level: np.ndarray, years: np.ndarray) -> np.ndarray:
    """Expected (trend) yield μ_ik (1 + b_k (t − 1995)) as [crop, county, year]."""
    b = np.array([TREND[c] for c in CROPS])[:, None, None]
    return level[:, :, None] * (1.0 + b * (years[None, None, :] - FIRST_YEAR))


def _volatility(rng, dist) -> np.ndarray:
    """County risk level v_i = exp(0.3 Z_i − 0.045), Z a spatial field (range 150 km)."""
    n = dist.shape[0]
    chol = np.linalg.cholesky(np.exp(-dist / VOLATILITY_RANGE_KM) + 1e-10 * np.eye(n))
    z = chol @ rng.standard_normal(n)
    return np.exp(VOLATILITY_SD * z - VOLATILITY_SD**2 / 2)


def _sigma(vol: np.ndarray) -> np.ndarray:
    """σ_ik = σ_k · v_i as [crop, county]."""
    return np.array([SIGMA[c] for c in CROPS])[:, None] * vol[None, :]


def indemnity_per_mu(crop: str, guarantee_yield, actual_yield) -> np.ndarray:
    """``min(price · (θ·ȳ₅ − y)₊, SI per 亩)``, 元/亩 (θ = ``COVERAGE``)."""
    shortfall = np.maximum(COVERAGE * np.asarray(guarantee_yield) - np.asarray(actual_yield), 0)
    return np.minimum(PRICE[crop] * shortfall, SUM_INSURED_PER_MU[crop])


def _true_rates(rng, level, sigma, guarantee, dist_to, draws: int) -> np.ndarray:
    """Monte Carlo expected indemnity / SI for the next year, [crop, county].

    Marginally each county's shock ``e`` is N(0, 1); the catastrophe loss is drawn from the same
    event model (probability, uniform centre, kind, severity) as the history.
    """
    n = dist_to.shape[0]
    year = np.array([LAST_YEAR + 1])
    mu = _trend(level, year)[:, :, 0]
    e = rng.standard_normal((len(CROPS), n, draws))
    hit = rng.random(draws) < CAT_PROBABILITY
    flood = rng.random(draws) < 0.5
    centre = rng.integers(0, n, draws)
    sev = rng.uniform(*CAT_SEVERITY, draws)
    footprint = np.exp(-((dist_to[:, centre] / CAT_RADIUS_KM) ** 2))  # [county, draw]
    rates = np.empty((len(CROPS), n))
    for k, crop in enumerate(CROPS):
        sens = np.where(flood, CAT_SENSITIVITY["flood"][crop], CAT_SENSITIVITY["drought"][crop])
        loss = np.where(hit, sev * sens, 0.0)[None, :] * footprint
        s = sigma[k][:, None]
        y = mu[k][:, None] * np.exp(s * e[k] - s**2 / 2) * (1 - loss)
        pay = indemnity_per_mu(crop, guarantee[k][:, None], y)
        rates[k] = pay.mean(axis=1) / SUM_INSURED_PER_MU[crop]
    return rates


def _dates(year: int, md: tuple[int, int]) -> np.datetime64:
    return np.datetime64(f"{year:04d}-{md[0]:02d}-{md[1]:02d}", "D")


def generate_crops(seed: int = SEED, counties: int = 100, rate_draws: int = 20_000) -> dict:
    """Generate the bundled crop portfolio.

    Parameters
    ----------
    seed : int
        Seed of ``numpy.random.default_rng`` (the bundled files use ``SEED = 19950101``).
    counties : int
        Number of counties (≥ 6 so that the policy years have a guarantee history).
    rate_draws : int
        Monte Carlo draws per county for the true next-year loss-cost rates in the truth.

    Returns
    -------
    dict
        ``counties``, ``yields``, ``policies``, ``claims`` (DataFrames) and ``planted`` (truth).

    Examples
    --------
    >>> from puhui.datasets.crops import generate_crops
    >>> data = generate_crops(seed=1, counties=9, rate_draws=200)
    >>> data["yields"].shape
    (810, 5)
    """
    from ..errors import ParameterError

    if int(counties) != counties or counties < 6:
        raise ParameterError(f"counties must be a whole number ≥ 6, got {counties!r}")
    rng = np.random.default_rng(seed)
    years = np.arange(FIRST_YEAR, LAST_YEAR + 1)
    cty = _counties(rng, int(counties))
    lon, lat = cty["lon"].to_numpy(), cty["lat"].to_numpy()
    dist = haversine_km(lon, lat)
    level = np.array([LEVEL_1995[c] for c in CROPS])[:, None] * np.exp(
        0.08 * rng.standard_normal((len(CROPS), len(lon))))
    vol = _volatility(rng, dist)
    sigma = _sigma(vol)[:, :, None]
    events, cat = _catastrophes(rng, years, lon, lat)
    e, province = _shocks(rng, len(years), dist)
    mu = _trend(level, years)
    yld = np.round(mu * np.exp(sigma * e - sigma**2 / 2) * (1 - cat), 1)
    drift = rng.uniform(0.9, 1.1, yld.shape)
    area = np.round(np.stack([cty[f"{c}_area"].to_numpy() for c in CROPS])[:, :, None] * drift,
                    -2)
    k_idx, i_idx, t_idx = np.meshgrid(np.arange(len(CROPS)), np.arange(len(lon)),
                                      np.arange(len(years)), indexing="ij")
    yields = pd.DataFrame({
        "region": cty["region"].to_numpy(object)[i_idx.ravel()],
        "crop": np.asarray(CROPS, object)[k_idx.ravel()],
        "year": years[t_idx.ravel()].astype(np.int64),
        "yield": yld.ravel(), "area": area.ravel()})
    yields = yields.sort_values(["region", "crop", "year"], kind="stable").reset_index(drop=True)

    pol_rows, claim_rows = [], []
    part = cty["participation"].to_numpy()
    for year in POLICY_YEARS:
        t = year - FIRST_YEAR
        guarantee = yld[:, :, t - GUARANTEE_YEARS:t].mean(axis=2)
        for k, crop in enumerate(CROPS):
            start_md, end_md, prev = SEASON[crop]
            insured = np.round(area[k, :, t] * part)
            si = insured * SUM_INSURED_PER_MU[crop]
            ids = [f"XN-FC-{year}-{r}-{crop}" for r in cty["region"]]
            pol_rows.append(pd.DataFrame({
                "policy_id": ids, "product": f"XN-FC-{crop}", "region": cty["region"],
                "segment": crop, "start_date": _dates(year - prev, start_md),
                "end_date": _dates(year, end_md), "sum_insured": si,
                "premium": np.round(si * RATE[crop], 2), "exposure": insured,
                "exposure_unit": "亩", "policy_year": year, "crop": crop,
                "subsidy_share": SUBSIDY_SHARE}))
            pay = np.round(indemnity_per_mu(crop, guarantee[k], yld[k, :, t]) * insured, 2)
            hit = pay > 0
            m = int(hit.sum())
            acc = _dates(year, LOSS_DATE[crop]) + rng.integers(-20, 21, m).astype(
                "timedelta64[D]")
            rep = acc + rng.integers(1, 11, m).astype("timedelta64[D]")
            claim_rows.append(pd.DataFrame({
                "policy_id": np.asarray(ids, object)[hit], "accident_date": acc,
                "report_date": rep,
                "paid": pay[hit], "case_reserve": 0.0, "status": "closed",
                "payment_date": rep + rng.integers(30, 76, m).astype("timedelta64[D]"),
                "benefit_line": "yield_shortfall"}))
    policies = pd.concat(pol_rows, ignore_index=True)
    for c in ("start_date", "end_date"):
        policies[c] = policies[c].astype("datetime64[ns]")
    policies["policy_year"] = policies["policy_year"].astype(np.int64)
    claims = pd.concat(claim_rows, ignore_index=True)
    claims.insert(0, "claim_id", [f"XN-FC-C{i:05d}" for i in range(1, len(claims) + 1)])
    for c in ("accident_date", "report_date", "payment_date"):
        claims[c] = claims[c].astype("datetime64[ns]")

    guarantee_next = yld[:, :, -GUARANTEE_YEARS:].mean(axis=2)
    rates = _true_rates(np.random.default_rng([seed, 1]), level, sigma[:, :, 0],
                        guarantee_next, dist, int(rate_draws))
    next_mu = _trend(level, np.array([LAST_YEAR + 1]))[:, :, 0]
    truth_rows = [{"region": r, "crop": crop, "level_1995": float(level[k, i]),
                   "trend_per_year": TREND[crop], "volatility": float(vol[i]),
                   "sigma": float(sigma[k, i, 0]), "expected_yield_2025": float(next_mu[k, i]),
                   "guarantee_yield_2025": float(guarantee_next[k, i]),
                   "true_loss_cost_rate_2025": float(rates[k, i]),
                   "filed_rate": RATE[crop]}
                  for k, crop in enumerate(CROPS) for i, r in enumerate(cty["region"])]
    planted = {
        "dataset": "crops", "seed": int(seed), "counties": int(counties),
        "valuation_date": VALUATION_DATE,
        "model": "yield = level*(1+trend*(year-1995))*exp(sigma*e - sigma^2/2)*(1-cat_loss); "
                 "e = sqrt(.30)*province + sqrt(.45)*spatial + sqrt(.25)*county",
        "sigma": dict(SIGMA), "volatility": {"sd": VOLATILITY_SD,
                                             "range_km": VOLATILITY_RANGE_KM},
        "trend": dict(TREND), "level_1995_mean": dict(LEVEL_1995),
        "variance_shares": dict(SHARES), "crop_weather_correlation": CROP_WEATHER_CORRELATION,
        "kernel": {"form": "exp(-d/range)", "range_km": KERNEL_RANGE_KM},
        "catastrophe": {"probability": CAT_PROBABILITY, "radius_km": CAT_RADIUS_KM,
                        "severity_range": list(CAT_SEVERITY),
                        "sensitivity": {k: dict(v) for k, v in CAT_SENSITIVITY.items()},
                        "events": events},
        "province_shock": {crop: [round(float(v), 4) for v in province[k, 0]]
                           for k, crop in enumerate(CROPS)},
        "schedule": {c: {"sum_insured_per_mu": SUM_INSURED_PER_MU[c], "rate": RATE[c],
                         "price_per_kg": PRICE[c]} for c in CROPS},
        "subsidy_share": SUBSIDY_SHARE, "coverage": COVERAGE,
        "guarantee": f"mean county yield of the {GUARANTEE_YEARS} previous years",
        "indemnity": "min(price * max(coverage * guarantee - yield, 0), SI per mu) * insured mu",
        "county_crop": truth_rows,
    }
    return {"counties": cty, "yields": yields, "policies": policies, "claims": claims,
            "planted": planted}
