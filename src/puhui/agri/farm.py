"""County → farm adjustment (县级单产 → 农户单产): farm yields vary more than county yields.

A county's yield is the average of its farms', so the idiosyncratic part of each farm's
shortfall (hail on one field, a late sowing, a pest outbreak in one village) averages out:
rating a cover that indemnifies **each farm's** loss (完全成本保险, 查勘定损 per household) on
county yields understates its risk. Studies of farm against aggregate yields agree on the
direction: Cooper, Langemeier, Schnitkey & Zulauf (2009, *Constructing farm level yield densities
from aggregated data*, AAEA meeting paper: "yield variability can be significantly higher at the
farm level than at more aggregated levels, including the county"); Coble, Dismukes & Thomas
(2007, *Policy implications of crop yield and revenue variability at differing levels of
disaggregation*, AAEA meeting paper: spatial disaggregation from county to farm increases yield
variability); Finger (2012, *Biases in farm-level yield risk analysis due to the use of aggregated
data*, AgEcon Search record 199770: Swiss wheat and barley, farm-level variability up to 2.38
times the national figure).

**The model** (Miranda 1991, *Area-yield crop insurance reconsidered*, AJAE 73(2), with the farm's
β = 1): a farm's detrended yield is its county's plus an independent farm term,

    Y_farm = Y_county + η,    η ~ N(0, τ²),    sd(Y_farm) = k · sd(Y_county),

so τ² = (k² − 1)·Var(Y_county): the variance of the detrended yield deviations is inflated by k²
(``ratio`` = k, the farm/county dispersion ratio). For a county law given by its detrended years
ỹ_t (empirical, variance v) or by a Gaussian kernel on them (bandwidth h, variance v + h²), the
farm law is the Gaussian kernel on the same centres with

    h_farm² = k² · Var(Y_county) − v     (:func:`farm_bandwidth`),

so every closed form of the kernel law applies (:func:`puhui.agri.density.kde_layer`), and year t
of a burn analysis contributes the farm's expected payout given the county's yield y_t — the
portfolio's claims in a year with county yield y_t, farms' own luck averaged over many farms.

**The default** k = 1.3 (:data:`DEFAULT_FARM_RATIO`) is an assumption, not a measurement: the
middle of the 20–40% by which county yields understate farm-level risk in the national study
issue 14 of this project refers to (that study was not identified; the figures above bracket it
in direction, not in size). Where the company has farm yields, fit k
(:func:`fit_farm_ratio`) and use that. Nothing applies the adjustment unless asked:
``YieldModel(farm=...)`` and ``evaluate_cost_designs(farm=...)`` record it in their assumptions.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ..errors import DataError, ParameterError, Problem

#: k = farm sd / county sd of the detrended yields, used when the adjustment is asked for without
#: a figure (an assumption: the middle of the 20–40% of issue 14; see the module notes).
DEFAULT_FARM_RATIO = 1.3
DEFAULT_SOURCE = ("assumed k = 1.3: the middle of the 20–40% understatement of farm-level risk "
                  "by county yields cited in issue 14 (study not identified); direction as in "
                  "Cooper et al. 2009, Coble et al. 2007, Finger 2012")


@dataclass(frozen=True)
class FarmAdjustment:
    """A county → farm dispersion ratio k per crop (or one for all), with where it comes from.

    ``ratio`` is a float (every crop) or a mapping crop → k; each k ≥ 1 (a farm cannot vary less
    than the average of farms like it). ``source`` says where k comes from; ``fitted`` holds the
    per-farm diagnostics of :func:`fit_farm_ratio` (else None).

    >>> FarmAdjustment(1.25).ratio_for("rice")
    1.25
    """

    ratio: float | dict = DEFAULT_FARM_RATIO
    source: str = DEFAULT_SOURCE
    fitted: pd.DataFrame | None = field(default=None, compare=False, repr=False)

    def __post_init__(self):
        values = self.ratio.values() if isinstance(self.ratio, dict) else [self.ratio]
        for v in values:
            if not (isinstance(v, (int, float, np.floating)) and np.isfinite(v) and v >= 1):
                raise ParameterError(f"the county → farm ratio k must be a number ≥ 1 (farm sd "
                                     f"= k · county sd), got {v!r}")

    def ratio_for(self, crop: str | None = None) -> float:
        """k for ``crop`` (the one k where a single figure was given)."""
        if not isinstance(self.ratio, dict):
            return float(self.ratio)
        if crop not in self.ratio:
            raise ParameterError(f"no county → farm ratio for crop {crop!r}; "
                                 f"given for {sorted(self.ratio)}")
        return float(self.ratio[crop])

    def ratios(self, crops) -> np.ndarray:
        """k per entry of ``crops`` (an array of crop names)."""
        return np.array([self.ratio_for(c) for c in np.asarray(crops, object)], float)

    def describe(self) -> str:
        """One line for a results table's assumptions."""
        k = (", ".join(f"{c} {v:g}" for c, v in sorted(self.ratio.items()))
             if isinstance(self.ratio, dict) else f"{float(self.ratio):g}")
        return f"county → farm: sd(farm) = k · sd(county), k = {k} ({self.source})"


def county_to_farm(ratio=DEFAULT_FARM_RATIO, *, source: str | None = None) -> FarmAdjustment:
    """The adjustment with k = ``ratio`` (default :data:`DEFAULT_FARM_RATIO`, an assumption).

    >>> county_to_farm().describe()[:50]
    'county → farm: sd(farm) = k · sd(county), k = 1.3 '
    """
    if source is None:
        source = DEFAULT_SOURCE if ratio is DEFAULT_FARM_RATIO else "given by the caller"
    return FarmAdjustment(ratio, source)


def check_farm(farm) -> FarmAdjustment | None:
    """None, a FarmAdjustment, or a number k (→ ``county_to_farm(k)``)."""
    if farm is None or isinstance(farm, FarmAdjustment):
        return farm
    if isinstance(farm, (int, float, np.floating)) and not isinstance(farm, bool):
        return county_to_farm(float(farm))
    if isinstance(farm, dict):
        return county_to_farm(dict(farm))
    raise ParameterError(f"farm must be None, a number k ≥ 1, a crop → k mapping or a "
                         f"FarmAdjustment (county_to_farm()), got {type(farm).__name__}")


def farm_bandwidth(adjusted, ratio, bandwidth=None, axis: int = -1):
    """Kernel bandwidth of the farm law: h_farm = √(k²·Var(Y_county) − v) (module notes).

    ``adjusted`` are the county's detrended yields (years on ``axis``), v their variance
    (ddof 0); ``bandwidth`` the county law's kernel bandwidth h (None: the empirical law, h = 0),
    so Var(Y_county) = v + h². ``ratio`` (k ≥ 1) and ``bandwidth`` broadcast against the cells.

    >>> y = np.array([300.0, 500.0])                  # v = 100², farm sd = 1.3 · 100
    >>> round(float(farm_bandwidth(y, 1.3)), 6)       # √(1.69·10⁴ − 10⁴) = 100·√0.69
    83.066239
    """
    y = np.asarray(adjusted, float)
    k = np.asarray(ratio, float)
    if np.any(~(k >= 1)):
        raise ParameterError(f"the county → farm ratio k must be ≥ 1, got {ratio!r}")
    v = y.var(axis=axis)
    h2 = 0.0 if bandwidth is None else np.asarray(bandwidth, float) ** 2
    return np.sqrt(np.maximum(k * k * (v + h2) - v, 0.0))


def _relative_residuals(table, keys, detrend):
    """Per series: y_t / ŷ_t − 1 of the trend (batch), as (keys DataFrame, years, residuals)."""
    from . import batch_fit as bf

    wide = table.pivot_table(index=keys, columns="year", values="yield", aggfunc="first")
    values = wide.to_numpy(float)
    years = wide.columns.to_numpy(float)
    rows = np.flatnonzero((~np.isnan(values)).sum(axis=1) < 5)
    if rows.size:
        raise DataError([Problem("yields", "year", None, "too_few_years",
                                 f"{dict(zip(keys, np.atleast_1d(wide.index[i]), strict=True))}"
                                 " has fewer than 5 years") for i in rows])
    if np.isnan(values).any():
        raise DataError([Problem("yields", "year", None, "missing_year",
                                 "farm and county series must cover the same years: "
                                 f"{int(np.isnan(values).any(axis=1).sum())} series have gaps")])
    fitted, _ = bf.batch_trend(values, years, detrend, np.full(len(values), years.max() + 1))
    return wide.index.to_frame(index=False), years, values / fitted - 1.0


def fit_farm_ratio(farm_yields: pd.DataFrame, county_yields: pd.DataFrame, *,
                   detrend: str = "linear") -> FarmAdjustment:
    """k per crop from farm yields: k̂² = mean over farms of Var(r_farm) / Var(r_county).

    ``farm_yields`` has columns region, crop, farm, year, yield; ``county_yields`` region, crop,
    year, yield, over the same years. Each series is detrended (``detrend``, as the design
    study) and its relative deviations r_t = y_t/ŷ_t − 1 taken (so farms of different levels
    compare); each farm's variance ratio to its county is averaged per crop, and
    k̂ = max(1, √mean). ``fitted`` holds each farm's ratio.

    >>> rng = np.random.default_rng(0)
    >>> yr = np.arange(2000, 2020)
    >>> county = pd.DataFrame({"region": "A", "crop": "rice", "year": yr,
    ...                        "yield": 500 * (1 + 0.1 * rng.standard_normal(20))})
    >>> farms = pd.concat([county.assign(farm=f, **{"yield": county["yield"] * (1 + 0.1 *
    ...                    rng.standard_normal(20))}) for f in range(30)])
    >>> 1.2 < fit_farm_ratio(farms, county).ratio_for("rice") < 1.7   # √2 ≈ 1.41 in the law
    True
    """
    from . import batch_fit as bf

    if detrend not in bf.BATCH_TRENDS:
        raise ParameterError(f"detrend={detrend!r}; use one of {', '.join(bf.BATCH_TRENDS)}")
    for name, t, cols in (("farm_yields", farm_yields, {"region", "crop", "farm", "year",
                                                        "yield"}),
                          ("county_yields", county_yields, {"region", "crop", "year", "yield"})):
        if not isinstance(t, pd.DataFrame) or not cols <= set(t.columns):
            raise ParameterError(f"{name} needs columns {sorted(cols)}")
    fk, fyears, fr = _relative_residuals(farm_yields, ["region", "crop", "farm"], detrend)
    ck, cyears, cr = _relative_residuals(county_yields, ["region", "crop"], detrend)
    if not np.array_equal(fyears, cyears):
        raise DataError([Problem("farm_yields", "year", None, "years_differ",
                                 "farm and county yields must cover the same years")])
    county_var = pd.Series(cr.var(axis=1), index=pd.MultiIndex.from_frame(ck))
    idx = pd.MultiIndex.from_frame(fk[["region", "crop"]])
    cv = county_var.reindex(idx).to_numpy()
    if np.isnan(cv).any():
        missing = fk.loc[np.isnan(cv), ["region", "crop"]].drop_duplicates()
        raise DataError([Problem("county_yields", "region", None, "missing_county",
                                 f"no county series for region={r!r}, crop={c!r}")
                         for r, c in missing.to_numpy()])
    if np.any(cv <= 0):
        raise DataError([Problem("county_yields", "yield", None, "no_variation",
                                 "a county series has no variation about its trend")])
    fitted = fk.assign(variance_ratio=fr.var(axis=1) / cv)
    k = fitted.groupby("crop")["variance_ratio"].mean().clip(lower=1.0) ** 0.5
    return FarmAdjustment({c: float(v) for c, v in k.items()},
                          f"fitted from {len(fitted)} farm series ({detrend} trend)", fitted)
