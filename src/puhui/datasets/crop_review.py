"""The bundled 费率回溯 example: county × crop × year experience with a planted drift.

Built from the stored tables of the bundled crop province (:mod:`puhui.datasets.crops`: yields,
counties, the generator's truth) and its zone map (``benchmarks/crop_zones.csv``), for
:func:`puhui.agri.review.crop_review` and ``puhui crop-review``. Deterministic apart from the
seeded noise of the planted drift.

**The book.** The 完全成本 cover of the bundled data (guarantee = the county's mean yield of the 5
previous years, indemnity = min(price · (ȳ₅ − y)₊, SI per 亩) · insured 亩, insured 亩 = planted
area × participation, sum insured 1,100 / 800 / 700 元/亩) for every county × crop and the
harvest years 2015–2024 (the rates in force since 2015), plus the wheat of harvest 2025 in force
at the valuation date 2024-12-31 (cover 2024-10-15 – 2025-06-15, insured 亩 of 2024, no claim
yet). Premium = liability × the filed rate.

**The filed rates** (county × crop, the 2023 formula): 基准纯风险损失率 = the zone's loss cost of
that cover over 1995–2024 (liability-weighted, zones of ``crop_zones.csv``: a long-history
benchmark, *synthetic*), 费率调整系数 = the county's relativity to its zone under the
generator's true law (``true_loss_cost_rate_2025`` over the zone's mean), rounded to 0.05 and
kept in [0.75, 1.25], 附加费率 20%, subsidised.

**The planted drift** (``PLANTED``): in the named counties, for every crop, the loss cost drifts
up from the filed level: year t pays on top of its yield-shortfall indemnity an extra
``DRIFT · (t − 2014)/10 · filed pure rate · liability · u_t`` (u_t lognormal, mean 1, sd of
log 0.3, seeded), so by 2024 these counties pay about ``1 + DRIFT`` times the filed pure rate
and over the decade 1 + 0.55 · DRIFT times. The drift is large on purpose: a county-crop's
yearly A/E in this province has a standard deviation of about 2 (zero in about 60% of years,
tens in a catastrophe year), so a 10-year A/E is known to about ±1.0 (rice) to ±1.9 (wheat) at
95%; a +60% drift is not distinguishable from chance in one county-crop (docs/datasets.md gives
the measured power).

Files (``src/puhui/datasets/crop_review/``, written by :func:`write_crop_review`):
``experience.csv``, ``filed.csv`` and ``planted.json`` (the planted counties, the drift and the
realised uplift of each planted cell); the zones are the bundled zone map
``benchmarks/crop_zones.csv`` (:func:`crop_review_files` lists all four).
"""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path

import numpy as np
import pandas as pd

from . import crops as gen

FIRST_YEAR, LAST_YEAR = 2015, 2024
AS_OF = "2024-12-31"
BENCHMARK_YEARS = (1995, 2024)
#: Counties whose loss cost drifts up (every crop).
PLANTED = ("XN017", "XN042", "XN063", "XN088")
#: By the last year the planted counties pay about 1 + DRIFT times the filed pure rate.
DRIFT = 5.0
NOISE_SD = 0.3
SEED = 20241231
LOADING = 0.20
FACTOR_STEP = 0.05
FACTOR_BAND = (0.75, 1.25)
FILES = {"experience": "experience.csv", "filed": "filed.csv", "planted": "planted.json"}


def _date(year, month, day) -> np.ndarray:
    """'YYYY-MM-DD' strings from whole-number arrays."""
    return pd.to_datetime(pd.DataFrame({"year": np.asarray(year, int),
                                        "month": np.asarray(month, int),
                                        "day": np.asarray(day, int)})).dt.strftime(
        "%Y-%m-%d").to_numpy(object)


def _book(yields: pd.DataFrame, counties: pd.DataFrame) -> pd.DataFrame:
    """Every county × crop × harvest year with a 5-year guarantee: liability and indemnity."""
    y = yields.merge(counties[["region", "participation"]], on="region", how="left")
    y = y.sort_values(["region", "crop", "year"], kind="stable").reset_index(drop=True)
    prev = y.groupby(["region", "crop"], sort=False)["yield"]
    y["guarantee"] = prev.transform(
        lambda s: s.shift(1).rolling(gen.GUARANTEE_YEARS).mean())
    y = y[y["guarantee"].notna()].copy()
    y["insured"] = np.round(y["area"] * y["participation"])
    si = y["crop"].map(gen.SUM_INSURED_PER_MU).to_numpy(float)
    y["liability"] = y["insured"] * si
    per_mu = np.minimum(y["crop"].map(gen.PRICE).to_numpy(float)
                        * np.maximum(gen.COVERAGE * y["guarantee"] - y["yield"], 0.0), si)
    y["indemnity"] = per_mu * y["insured"]
    return y


def generate_crop_review(*, planted=PLANTED, drift: float = DRIFT, seed: int = SEED,
                         folder=None) -> dict:
    """The example (module notes) as DataFrames: ``experience``, ``filed``, ``zones`` and the
    truth ``planted`` (a dict). ``folder``: the bundled data folder to read (default: the
    repository's ``data/``).

    >>> ex = generate_crop_review()
    >>> len(ex["experience"]), len(ex["filed"]), ex["planted"]["counties"][:2]
    (3100, 300, ['XN017', 'XN042'])
    """
    from ..errors import ParameterError
    from .benchmark_tables import benchmark_files
    from .loaders import load_counties, load_crop_yields, load_planted

    if not (np.isfinite(drift) and drift >= 0):
        raise ParameterError(f"drift must be ≥ 0, got {drift!r}")
    counties = load_counties(folder)
    book = _book(load_crop_yields(folder), counties)
    unknown = sorted(set(planted) - set(counties["region"]))
    if unknown:
        raise ParameterError(f"planted counties {unknown} are not in the province")
    zones = pd.read_csv(benchmark_files()["zones"], dtype=str)
    book = book.merge(zones, on=["region", "crop"], how="left")

    # filed rates: zone benchmark (1995–2024 loss cost) × the county's true relativity
    lo, hi = BENCHMARK_YEARS
    hist = book[book["year"].between(lo, hi)]
    zsum = hist.groupby(["zone", "crop"])[["indemnity", "liability"]].sum()
    bench = (zsum["indemnity"] / zsum["liability"]).rename("benchmark_rate").reset_index()
    truth = pd.DataFrame(load_planted("crops", folder)["county_crop"])[
        ["region", "crop", "true_loss_cost_rate_2025"]].merge(zones, on=["region", "crop"])
    zmean = truth.groupby(["zone", "crop"])["true_loss_cost_rate_2025"].transform("mean")
    rel = truth["true_loss_cost_rate_2025"] / zmean
    truth["factor"] = np.clip(np.round(rel / FACTOR_STEP) * FACTOR_STEP, *FACTOR_BAND).round(2)
    filed = truth.merge(bench, on=["zone", "crop"])[["region", "crop", "factor",
                                                      "benchmark_rate"]]
    filed = filed.assign(benchmark_rate=filed["benchmark_rate"].round(6), loading=LOADING,
                         subsidised=True)[["region", "crop", "benchmark_rate", "loading",
                                           "factor", "subsidised"]]
    filed = filed.sort_values(["region", "crop"], kind="stable").reset_index(drop=True)
    rate = filed.set_index(["region", "crop"])
    pure = rate["benchmark_rate"] * rate["factor"]
    gross = pure / (1 - rate["loading"])

    # the review years, with the planted drift
    exp = book[book["year"].between(FIRST_YEAR, LAST_YEAR)].copy()
    key = pd.MultiIndex.from_frame(exp[["region", "crop"]])
    exp["premium"] = np.round(exp["liability"] * gross.reindex(key).to_numpy(), 0)
    hit = exp["region"].isin(planted).to_numpy()
    ramp = (exp["year"].to_numpy() - (FIRST_YEAR - 1)) / (LAST_YEAR - FIRST_YEAR + 1)
    rng = np.random.default_rng(seed)
    u = np.exp(NOISE_SD * rng.standard_normal(len(exp)) - NOISE_SD**2 / 2)
    extra = np.where(hit, drift * ramp * pure.reindex(key).to_numpy() * exp["liability"] * u,
                     0.0)
    exp["base_indemnity"] = exp["indemnity"]
    exp["indemnity"] = np.minimum(exp["indemnity"] + extra, exp["liability"])
    exp["indemnity"] = exp["indemnity"].round(0)
    season = pd.DataFrame({c: {"sm": s[0], "sd": s[1], "em": e[0], "ed": e[1], "prev": int(p)}
                           for c, (s, e, p) in gen.SEASON.items()}).T.reindex(exp["crop"])
    yr = exp["year"].to_numpy()
    exp["start_date"] = _date(yr - season["prev"].to_numpy(), season["sm"], season["sd"])
    exp["end_date"] = _date(yr, season["em"], season["ed"])

    # wheat of harvest 2025, in force at the valuation date
    w = exp[(exp["crop"] == "wheat") & (exp["year"] == LAST_YEAR)].copy()
    w["year"] = LAST_YEAR + 1
    w["premium"] = np.round(w["liability"] * gross.reindex(
        pd.MultiIndex.from_frame(w[["region", "crop"]])).to_numpy(), 0)
    w["indemnity"] = 0.0
    w["start_date"] = f"{LAST_YEAR:04d}-10-15"
    w["end_date"] = f"{LAST_YEAR + 1:04d}-06-15"
    cols = ["region", "crop", "year", "start_date", "end_date", "liability", "premium",
            "indemnity"]
    out = pd.concat([exp[cols], w[cols]], ignore_index=True)
    out = out.sort_values(["region", "crop", "year"], kind="stable").reset_index(drop=True)
    out["liability"] = out["liability"].round(0)

    cells = exp[hit].groupby(["region", "crop"])[["indemnity", "base_indemnity"]].sum()
    planted_truth = {
        "dataset": "crop_review", "seed": int(seed), "valuation_date": AS_OF,
        "years": [FIRST_YEAR, LAST_YEAR], "counties": sorted(planted), "drift": float(drift),
        "drift_rule": "extra indemnity = drift * (year - 2014)/10 * filed pure rate * liability"
                      " * u, u lognormal (mean 1, sd of log 0.3), capped at the liability",
        "uplift": [{"region": r, "crop": c,
                    "indemnity": round(float(v["indemnity"]), 2),
                    "without_drift": round(float(v["base_indemnity"]), 2)}
                   for (r, c), v in cells.iterrows()],
        "benchmark": f"zone loss cost of the cover, {lo}-{hi} (synthetic)",
        "factor": "county true relativity to its zone (true_loss_cost_rate_2025 / zone mean), "
                  "rounded to 0.05, within [0.75, 1.25]",
        "loading": LOADING}
    return {"experience": out, "filed": filed,
            "zones": zones.sort_values(["region", "crop"], kind="stable").reset_index(
                drop=True), "planted": planted_truth}


def _csv(df: pd.DataFrame) -> str:
    return df.to_csv(index=False, float_format="%.10g", lineterminator="\n")


def write_crop_review(folder=None) -> dict[str, Path]:
    """Write the example files into ``folder`` (default: the package's ``crop_review/``)."""
    folder = Path(__file__).with_name("crop_review") if folder is None else Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    ex = generate_crop_review()
    out = {}
    for name in ("experience", "filed"):
        out[name] = folder / FILES[name]
        out[name].write_text(_csv(ex[name]), encoding="utf-8")
    out["planted"] = folder / FILES["planted"]
    out["planted"].write_text(json.dumps(ex["planted"], ensure_ascii=False, indent=1,
                                         sort_keys=True) + "\n", encoding="utf-8")
    return out


def crop_review_files() -> dict[str, Path]:
    """Paths of the shipped example files: ``experience``, ``filed``, ``planted`` and ``zones``
    (the bundled zone map, ``benchmarks/crop_zones.csv``).

    >>> sorted(crop_review_files())
    ['experience', 'filed', 'planted', 'zones']
    """
    from .benchmark_tables import benchmark_files

    base = resources.files("puhui.datasets") / "crop_review"
    out = {k: Path(str(base / v)) for k, v in FILES.items()}
    out["zones"] = benchmark_files()["zones"]
    return out
