"""Seeded generators of a daily rainfall station series and a 茭白 (water bamboo) price series.

Both drive index contracts (天气指数保险, 价格指数保险) in the examples.

**Rainfall** (station ``XN-R01``, daily mm, 1995–2024): a two-state (dry/wet) Markov chain for
rain occurrence with seasonal transition probabilities, and gamma amounts (shape 0.7) with a
seasonal mean, both following a humid East-China climatology (≈ 1,400 mm a year with the
梅雨 "plum rain" peak in June; monthly normals in ``MONTHLY_MM``). Each year has a wetness factor
``exp(0.12 N − 0.0072)`` on amounts; planted **drought summers** (July–August rain × 0.3) are
recorded in the truth. The chain runs one step per day of year for all years at once.

**Prices** (market ``XN-wholesale``, 茭白, daily 元/kg, 2015–2024): 茭白 is harvested in spring
(May–June) and autumn (September–October); prices are lowest then and highest in winter::

    log p_t = log(base(doy_t)) + 0.03 (t − 2015) + Y_year + G_year·h(doy_t) + u_t

with ``base`` a smooth seasonal curve between ~2.6 and ~7 元/kg, a 3% a year price level trend,
``Y`` an AR(1) yearly level (φ = 0.4, sd 0.10), a harvest-glut shock ``G`` (sd 0.25, planted
glut years at −0.5) that acts on the harvest windows ``h``, and daily AR(1) noise ``u``
(φ = 0.9, innovation sd 0.03, via ``scipy.signal.lfilter``).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import signal

RAIN_SEED = 19950102
PRICE_SEED = 20150101
STATION = "XN-R01"
MARKET = "XN-wholesale"
PRODUCT = "茭白"

#: Monthly rainfall normals (mm) of a humid East-China station (approximate climatology).
MONTHLY_MM = (75, 85, 130, 120, 135, 230, 160, 160, 110, 80, 65, 55)
#: Share of wet days per month (≥ 0.1 mm).
WET_SHARE = (0.38, 0.42, 0.50, 0.48, 0.48, 0.55, 0.42, 0.42, 0.35, 0.28, 0.30, 0.30)
PERSISTENCE = 0.35  # P(wet | wet) − P(wet | dry)
GAMMA_SHAPE = 0.7
DROUGHT_YEARS_RAIN = (2003, 2013, 2022)
DROUGHT_FACTOR = 0.3

GLUT_YEARS = (2017, 2021)
PRICE_TREND = 0.03


def _month_of_day(dates: np.ndarray) -> np.ndarray:
    return (dates.astype("datetime64[M]").astype(int) % 12)


def _seasonal(doy: np.ndarray, monthly) -> np.ndarray:
    """Smooth interpolation of monthly values over day of year (periodic)."""
    mid = (np.arange(12) + 0.5) * 365.25 / 12
    x = np.concatenate([mid - 365.25, mid, mid + 365.25])
    y = np.tile(np.asarray(monthly, float), 3)
    return np.interp(doy, x, y)


def generate_rainfall(seed: int = RAIN_SEED, first_year: int = 1995,
                      last_year: int = 2024) -> dict:
    """Daily rainfall of one station as an ``index_series`` table, with its truth.

    Examples
    --------
    >>> from puhui.datasets.series import generate_rainfall
    >>> data = generate_rainfall(seed=1, first_year=2000, last_year=2001)
    >>> list(data["rainfall"].columns)
    ['station', 'date', 'value', 'variable']
    """
    from ..errors import ParameterError

    if first_year > last_year:
        raise ParameterError("first_year must not be after last_year")
    rng = np.random.default_rng(seed)
    years = np.arange(first_year, last_year + 1)
    n_years = len(years)
    doy = np.arange(366)
    wet_share = _seasonal(doy + 0.5, WET_SHARE)
    p_wd = wet_share * (1 - PERSISTENCE)  # stationary share = p_wd / (1 − PERSISTENCE)
    p_ww = p_wd + PERSISTENCE
    days_in_month = np.array([31, 28.25, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31])
    mean_wet = _seasonal(doy + 0.5, np.asarray(MONTHLY_MM) / (days_in_month
                                                           * np.asarray(WET_SHARE)))
    wetness = np.exp(0.12 * rng.standard_normal(n_years) - 0.0072)
    u = rng.random((366, n_years))
    amounts = rng.gamma(GAMMA_SHAPE, 1.0 / GAMMA_SHAPE, (366, n_years))
    wet = np.zeros((366, n_years), bool)
    state = rng.random(n_years) < wet_share[0]
    for d in doy:  # one step per day of year, vectorised over the years
        state = u[d] < np.where(state, p_ww[d], p_wd[d])
        wet[d] = state
    rain = np.where(wet, amounts * mean_wet[:, None] * wetness[None, :], 0.0)
    summer = (doy >= 181) & (doy < 243)  # ~ July and August
    drought = np.isin(years, DROUGHT_YEARS_RAIN)
    rain[np.ix_(summer, drought)] *= DROUGHT_FACTOR
    rain = np.round(rain, 1)
    start = (years - 1970).astype("datetime64[Y]").astype("datetime64[D]")
    dates = start[None, :] + doy[:, None].astype("timedelta64[D]")
    valid = dates.astype("datetime64[Y]").astype(int) + 1970 == years[None, :]
    order_dates = dates.T[valid.T]
    values = rain.T[valid.T]
    table = pd.DataFrame({"station": STATION, "date": order_dates.astype("datetime64[ns]"),
                          "value": values, "variable": "rainfall_mm"})
    annual = table.groupby(table["date"].dt.year)["value"].sum()
    planted = {
        "dataset": "rainfall", "seed": int(seed), "station": STATION,
        "monthly_normals_mm": list(MONTHLY_MM), "wet_day_share": list(WET_SHARE),
        "persistence": PERSISTENCE, "gamma_shape": GAMMA_SHAPE,
        "drought_years": [int(y) for y in years[drought]],
        "drought_months": "July-August rain x 0.3",
        "wetness_factor": {str(y): float(w) for y, w in zip(years, wetness, strict=True)},
        "annual_total_mm": {str(y): float(v) for y, v in annual.items()},
    }
    return {"rainfall": table, "planted": planted}


def _price_base(doy: np.ndarray) -> np.ndarray:
    # 元/kg by month: high in winter, lowest in the May–June and Sept–Oct harvests.
    monthly = (6.8, 7.0, 6.2, 4.8, 3.2, 2.6, 3.4, 4.2, 3.0, 2.7, 3.8, 5.6)
    return _seasonal(doy, monthly)


def generate_prices(seed: int = PRICE_SEED, first_year: int = 2015,
                    last_year: int = 2024) -> dict:
    """Daily wholesale 茭白 prices as a ``prices`` table, with its truth.

    Examples
    --------
    >>> from puhui.datasets.series import generate_prices
    >>> data = generate_prices(seed=1, first_year=2020, last_year=2020)
    >>> len(data["prices"])
    366
    """
    from ..errors import ParameterError

    if first_year > last_year:
        raise ParameterError("first_year must not be after last_year")
    rng = np.random.default_rng(seed)
    dates = np.arange(np.datetime64(f"{first_year}-01-01"),
                      np.datetime64(f"{last_year + 1}-01-01"), dtype="datetime64[D]")
    year = dates.astype("datetime64[Y]").astype(int) + 1970
    years = np.arange(first_year, last_year + 1)
    yi = year - first_year
    doy = (dates - dates.astype("datetime64[Y]").astype("datetime64[D]")).astype(int)
    level = signal.lfilter([1.0], [1.0, -0.4], 0.10 * rng.standard_normal(len(years)))
    glut = 0.25 * rng.standard_normal(len(years))
    glut[np.isin(years, GLUT_YEARS)] = -0.5
    month = _month_of_day(dates)
    harvest = np.isin(month, (4, 5, 8, 9)).astype(float)  # May, Jun, Sep, Oct
    harvest = np.convolve(harvest, np.ones(15) / 15, mode="same")  # soften the edges
    noise = signal.lfilter([1.0], [1.0, -0.9], 0.03 * rng.standard_normal(len(dates)))
    logp = (np.log(_price_base(doy + 0.5)) + PRICE_TREND * (year - first_year + doy / 365.25)
            + level[yi] + glut[yi] * harvest + noise)
    price = np.round(np.exp(logp), 2)
    table = pd.DataFrame({"market": MARKET, "product": PRODUCT,
                          "date": dates.astype("datetime64[ns]"), "price": price})
    planted = {
        "dataset": "prices", "seed": int(seed), "market": MARKET, "product": PRODUCT,
        "unit": "元/kg", "trend_per_year": PRICE_TREND,
        "yearly_level": {str(y): float(v) for y, v in zip(years, level, strict=True)},
        "harvest_glut_shock": {str(y): float(v) for y, v in zip(years, glut, strict=True)},
        "glut_years": [int(y) for y in years[np.isin(years, GLUT_YEARS)]],
        "harvest_months": [5, 6, 9, 10],
    }
    return {"prices": table, "planted": planted}
