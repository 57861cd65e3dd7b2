"""A **synthetic** industry benchmark table (基准纯风险损失率) for the bundled crop province.

The 中国精算师协会 publishes 基准纯风险损失率 by county or risk zone, but not in machine-readable
form; this module writes an example in the format of :mod:`puhui.agri.benchmark`, so that the
benchmark path of the design study and of a filing can be run and tested. **It is not a table of
the 中国精算师协会**: every figure is computed here, deterministically, from the law that generated
the bundled crop data (:mod:`puhui.datasets.crops`) — what a table pooled over the whole
industry's experience would approximate, and exactly what the bundled company, with its 30
county-years, can only estimate.

For each county × crop and each term — 保障水平 θ ∈ {80, 85, 90, 95, 100}% of the 2025 trend
yield μ (the generator's ``expected_yield_2025``), 绝对免赔率 d ∈ {0, 5, 10, 15, 20}% of the sum
insured — the loss-degree cover pays SI·((c − Y⁺)₊/c − d)₊ with c = θμ, so its pure rate is

    r(θ, d) = E[((θμ − Y⁺)₊/(θμ) − d)₊],   Y = μ·exp(σe − σ²/2)·(1 − L)

with e ~ N(0, 1) and L the catastrophe loss of the generator's event model (probability 0.12,
flood or drought, severity 0.2–0.5, footprint exp(−(d/150 km)²)), by ``draws`` Monte Carlo draws
(seeded: ``numpy.random.default_rng([SEED, 2])``, common to all counties, so one event strikes
neighbours together). Counties are grouped per crop into five risk zones (风险区 Z1 lowest …
Z5) by the quintiles of r(100%, 0); a zone's benchmark is the mean of its counties' rates
weighted by insured area (planted area × participation).

Files (``src/puhui/datasets/benchmarks/``, written by :func:`write_benchmark_tables`):
``crop_benchmark.csv`` (zone, crop, product, coverage, deductible, benchmark_rate, source,
version: 375 rows) and ``crop_zones.csv`` (region, crop, zone: 300 rows). ``tests/
test_agri_benchmark.py`` checks that the shipped files equal a fresh generation byte for byte.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import numpy as np
import pandas as pd

from . import crops as gen

COVERAGES = (0.80, 0.85, 0.90, 0.95, 1.00)
DEDUCTIBLES = (0.0, 0.05, 0.10, 0.15, 0.20)
ZONES = 5
DRAWS = 20_000
PRODUCT = "完全成本保险"
SOURCE = "SYNTHETIC (puhui.datasets.benchmark_tables) - not a 中国精算师协会 table"
VERSION = "synthetic-2025.1"
FILES = {"benchmark": "crop_benchmark.csv", "zones": "crop_zones.csv"}


def _county_rates(counties: pd.DataFrame, truth: pd.DataFrame, draws: int, seed) -> dict:
    """r(θ, d) per crop: array (coverages, deductibles, counties) (module formula)."""
    rng = np.random.default_rng(seed)
    lon, lat = counties["lon"].to_numpy(float), counties["lat"].to_numpy(float)
    n = lon.size
    dist = gen.haversine_km(lon, lat)
    hit = rng.random(draws) < gen.CAT_PROBABILITY
    flood = rng.random(draws) < 0.5
    centre = rng.integers(0, n, draws)
    sev = rng.uniform(*gen.CAT_SEVERITY, draws)
    footprint = np.exp(-((dist[:, centre] / gen.CAT_RADIUS_KM) ** 2))        # (counties, draws)
    e = rng.standard_normal((len(gen.CROPS), n, draws))
    theta = np.asarray(COVERAGES)
    d = np.asarray(DEDUCTIBLES)
    out = {}
    for k, crop in enumerate(gen.CROPS):
        t = truth[truth["crop"] == crop].set_index("region").reindex(counties["region"])
        s = t["sigma"].to_numpy(float)[:, None]
        sens = np.where(flood, gen.CAT_SENSITIVITY["flood"][crop],
                        gen.CAT_SENSITIVITY["drought"][crop])
        loss = np.where(hit, sev * sens, 0.0)[None, :] * footprint
        ratio = np.exp(s * e[k] - s * s / 2) * (1 - loss)                   # Y/μ (counties, n)
        r = np.zeros((theta.size, d.size, n))
        for a, th in enumerate(COVERAGES):
            # loss degree (θμ − Y⁺)₊/(θμ) where positive, then E[(degree − d)₊] per county
            county, draw = np.nonzero(ratio < th)
            degree = 1.0 - np.maximum(ratio[county, draw], 0.0) / th
            for b, dd in enumerate(d):
                r[a, b] = np.bincount(county, np.maximum(degree - dd, 0.0), minlength=n) / draws
        out[crop] = r
    return out


def generate_benchmark_tables(draws: int = DRAWS) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(benchmark table by zone, zone map), deterministic (module notes).

    >>> bench, zones = generate_benchmark_tables(draws=2_000)
    >>> bench.shape, zones.shape
    ((375, 8), (300, 3))
    """
    from .loaders import load_counties, load_planted

    counties = load_counties()                   # the bundled province and its true law
    truth = pd.DataFrame(load_planted("crops")["county_crop"])
    rates = _county_rates(counties, truth, int(draws), [gen.SEED, 2])
    i_full = (COVERAGES.index(1.0), DEDUCTIBLES.index(0.0))
    rows, zone_rows = [], []
    for crop in gen.CROPS:
        r = rates[crop]                                      # (θ, d, counties)
        w = (counties[f"{crop}_area"] * counties["participation"]).to_numpy(float)
        key = r[i_full[0], i_full[1]]
        rank = np.argsort(np.argsort(key, kind="stable"), kind="stable")
        zone = 1 + (rank * ZONES) // key.size                # quintile classes, Z1 lowest
        for z in range(1, ZONES + 1):
            m = zone == z
            avg = (r[..., m] * w[m]).sum(axis=-1) / w[m].sum()
            for a, th in enumerate(COVERAGES):
                for b, dd in enumerate(DEDUCTIBLES):
                    rows.append({"zone": f"Z{z}", "crop": crop, "product": PRODUCT,
                                 "coverage": th, "deductible": dd,
                                 "benchmark_rate": float(avg[a, b]), "source": SOURCE,
                                 "version": VERSION})
        zone_rows.append(pd.DataFrame({"region": counties["region"], "crop": crop,
                                       "zone": [f"Z{z}" for z in zone]}))
    bench = pd.DataFrame(rows)
    zones = pd.concat(zone_rows, ignore_index=True)
    return bench, zones


def _csv(df: pd.DataFrame) -> str:
    return df.to_csv(index=False, float_format="%.6g", lineterminator="\n")


def write_benchmark_tables(folder=None, draws: int = DRAWS) -> dict[str, Path]:
    """Write the two CSV files into ``folder`` (default: the package's ``benchmarks/``)."""
    folder = Path(__file__).with_name("benchmarks") if folder is None else Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    bench, zones = generate_benchmark_tables(draws)
    out = {}
    for name, df in (("benchmark", bench), ("zones", zones)):
        path = folder / FILES[name]
        path.write_text(_csv(df), encoding="utf-8")
        out[name] = path
    return out


def benchmark_files() -> dict[str, Path]:
    """Paths of the shipped CSV files."""
    base = resources.files("puhui.datasets") / "benchmarks"
    return {k: Path(str(base / v)) for k, v in FILES.items()}


def load_crop_benchmark():
    """The shipped synthetic benchmark, read strictly (a :class:`puhui.agri.benchmark.Benchmark`
    by zone, with its zone map).

    >>> b = load_crop_benchmark()
    >>> b.key, len(b.table), len(b.zones)
    ('zone', 375, 300)
    """
    from ..agri.benchmark import read_benchmark

    files = benchmark_files()
    return read_benchmark(files["benchmark"], zones=files["zones"])
