"""Industry benchmark (行业基准纯风险损失率) as an input table, and the rate filed on it.

The 中国精算师协会 (China Association of Actuaries) publishes 基准纯风险损失率 for major crops by
county or risk zone; 银保监规〔2023〕4号 then leaves the company only two numbers — "对于使用行业
基准纯风险损失率的产品，保险公司的费率调整限于费率调整系数和附加费率" (rule
``agri.industry_benchmark`` of the rulebook ``cn.agri.actuarial_2023``)::

    费率 = 基准纯风险损失率 / (1 − 附加费率) × 费率调整系数       (:func:`puhui.agri.rules.filed_rate`)

with the factor within its band and the loading within its cap (both from the rulebook). The
published tables are not public in machine-readable form: puhui reads them in the documented
format below and ships a **synthetic** example for the bundled province
(:func:`puhui.datasets.benchmark_tables.load_crop_benchmark`).

**Table format** (CSV or DataFrame, one row per rate; ``docs/agriculture.md``):

============== ======== ==================================================================
column         required meaning
============== ======== ==================================================================
region / zone  one      县 code (as in the yields table) or 风险区 label; a zone table needs a
                        zone map (region, crop, zone: :func:`read_zone_map`)
crop           yes      crop as in the yields table
product        no       product name (e.g. 完全成本保险), text
coverage       yes      保障水平 θ, share of the trend yield, in (0, 1.5]
deductible     no       绝对免赔率 d, share of the sum insured, in [0, 1) (absent: 0)
benchmark_rate yes      基准纯风险损失率 = E[indemnity] / sum insured, in (0, 1)
source         yes      who published it (text)
version        yes      edition or year (text or number)
============== ======== ==================================================================

Read strictly (:func:`read_benchmark`): an unknown column is an error naming the nearest known
one; a missing cell, a rate outside (0, 1), a coverage or deductible out of range, or two rows for
the same region/zone × crop × product × coverage × deductible raise a
:class:`puhui.errors.DataError` naming each row and column.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import DataError, ParameterError, Problem
from .rules import factor_band, filed_rate

#: The columns of a benchmark table, with their meaning (see the module notes).
BENCHMARK_COLUMNS: dict[str, str] = {
    "region": "县 code, as in the yields table (or zone)",
    "zone": "风险区 label (or region); needs a zone map",
    "crop": "crop",
    "product": "product name, text (optional)",
    "coverage": "保障水平 θ, share of the trend yield, in (0, 1.5]",
    "deductible": "绝对免赔率 d, share of the sum insured, in [0, 1) (optional, 0)",
    "benchmark_rate": "基准纯风险损失率, in (0, 1)",
    "source": "publisher of the table",
    "version": "edition or year",
}
ZONE_MAP_COLUMNS: dict[str, str] = {"region": "县 code", "crop": "crop", "zone": "风险区 label"}
_REQUIRED = ("crop", "coverage", "benchmark_rate", "source", "version")
_TEXT = ("region", "zone", "crop", "product", "source", "version")
#: Terms are matched to 1e-6 (coverage 0.85 in a table matches 0.85 of a grid).
_DECIMALS = 6


def _frame(source, table: str) -> pd.DataFrame:
    if isinstance(source, pd.DataFrame):
        return source.copy()
    if isinstance(source, (str, Path)):
        path = Path(source)
        if not path.is_file():
            raise ParameterError(f"{table}: no file {str(path)!r}")
        return pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8")
    raise ParameterError(f"{table}: give a CSV path or a DataFrame, not {type(source).__name__}")


def _unknown_columns(df, known, table) -> list[Problem]:
    out = []
    for col in df.columns:
        if col not in known:
            near = difflib.get_close_matches(str(col), list(known), n=1, cutoff=0.5)
            hint = f"; did you mean '{near[0]}'?" if near else \
                f"; known columns: {', '.join(known)}"
            out.append(Problem(table, str(col), None, "unknown_column",
                               f"unknown column{hint}"))
    return out


def _blank(s: pd.Series) -> np.ndarray:
    """Missing cells: NaN/None or text that is empty once stripped."""
    return (s.isna() | s.astype(str).str.strip().isin(["", "nan", "NaN", "None"])).to_numpy()


def _numbers(df, col, table, lo, hi, *, lo_open, hi_open, what, problems):
    """The column as floats; out-of-range or non-numeric cells become Problems."""
    x = pd.to_numeric(df[col], errors="coerce").to_numpy(float)
    blank = _blank(df[col])
    bad = ~blank & ~np.isfinite(x)
    above = x >= hi if hi_open else x > hi
    below = x <= lo if lo_open else x < lo
    out = ~blank & np.isfinite(x) & (above | below)
    lo_b, hi_b = "(" if lo_open else "[", ")" if hi_open else "]"
    for i in np.flatnonzero(bad):
        problems.append(Problem(table, col, int(i) + 1, "not_a_number", f"{what} must be a number",
                                df[col].iloc[i]))
    for i in np.flatnonzero(out):
        problems.append(Problem(table, col, int(i) + 1, "out_of_range",
                                f"{what} must lie in {lo_b}{lo:g}, {hi:g}{hi_b}", df[col].iloc[i]))
    return x


def _missing(df, cols, table, problems):
    for col in cols:
        for i in np.flatnonzero(_blank(df[col])):
            problems.append(Problem(table, col, int(i) + 1, "missing_value",
                                    f"{col} is empty"))


def _duplicates(df, keys, table, problems):
    dup = df.duplicated(keys, keep=False).to_numpy()
    if dup.any():
        first = {}
        for i in np.flatnonzero(dup):
            k = tuple(df[keys].iloc[i])
            if k in first:
                problems.append(Problem(table, "+".join(keys), int(i) + 1, "duplicate",
                                        f"same {', '.join(keys)} as row {first[k]}: "
                                        f"{dict(zip(keys, k, strict=True))}"))
            else:
                first[k] = int(i) + 1


def read_zone_map(source) -> pd.DataFrame:
    """A zone map (region, crop, zone): which 风险区 each county × crop belongs to, read strictly.

    >>> read_zone_map(pd.DataFrame({"region": ["A", "B"], "crop": "rice", "zone": ["Z1", "Z1"]}))
      region  crop zone
    0      A  rice   Z1
    1      B  rice   Z1
    """
    table = "zone map"
    df = _frame(source, table)
    problems = _unknown_columns(df, ZONE_MAP_COLUMNS, table)
    missing = [c for c in ZONE_MAP_COLUMNS if c not in df.columns]
    problems += [Problem(table, c, None, "missing_column", f"required column {c} is absent")
                 for c in missing]
    if problems:
        raise DataError(problems)
    _missing(df, list(ZONE_MAP_COLUMNS), table, problems)
    out = df[list(ZONE_MAP_COLUMNS)].astype(str).apply(lambda s: s.str.strip())
    _duplicates(out, ["region", "crop"], table, problems)
    if problems:
        raise DataError(problems)
    return out.reset_index(drop=True)


@dataclass(frozen=True)
class Benchmark:
    """An industry benchmark table, read by :func:`read_benchmark`.

    ``table``: the rows (``key``, crop, product, coverage, deductible, benchmark_rate, source,
    version); ``key``: "region" or "zone"; ``zones``: the zone map of a zone table (else None).
    """

    table: pd.DataFrame
    key: str
    zones: pd.DataFrame | None = None

    def describe(self) -> str:
        """Source and version of the table, one line (for a results table's assumptions)."""
        pairs = self.table[["source", "version"]].drop_duplicates().to_numpy()
        return "; ".join(f"{s} ({v})" for s, v in pairs)

    def products(self) -> pd.DataFrame:
        """The crop × coverage × deductible terms the table rates."""
        return (self.table[["crop", "coverage", "deductible"]].drop_duplicates()
                .sort_values(["crop", "coverage", "deductible"]).reset_index(drop=True))

    def keys_for(self, cells: pd.DataFrame) -> np.ndarray:
        """The region or zone of each cell (region, crop) — the key the table is by."""
        if self.key == "region":
            return cells["region"].astype(str).to_numpy(object)
        if self.zones is None:
            raise ParameterError("this benchmark is by zone: give the zone map "
                                 "(read_benchmark(..., zones=...))")
        m = cells[["region", "crop"]].astype(str).merge(self.zones, how="left",
                                                         on=["region", "crop"])
        lost = m["zone"].isna().to_numpy()
        if lost.any():
            raise DataError([Problem("zone map", "zone", None, "missing_zone",
                                     f"no zone for region={r!r}, crop={c!r}")
                             for r, c in m.loc[lost, ["region", "crop"]].to_numpy()[:50]])
        return m["zone"].to_numpy(object)

    def rates(self, cells: pd.DataFrame, coverage, deductible=0.0) -> np.ndarray:
        """基准纯风险损失率 of each (coverage, deductible) term × cell, an array (terms, cells).

        ``cells`` has columns region, crop; ``coverage`` and ``deductible`` broadcast to the
        terms (1-D). A term the table does not rate for a cell raises a DataError naming it —
        the benchmark is never extrapolated.
        """
        theta, d = np.broadcast_arrays(np.atleast_1d(np.asarray(coverage, float)),
                                       np.atleast_1d(np.asarray(deductible, float)))
        theta, d = theta.ravel(), d.ravel()
        keys = self.keys_for(cells)
        n_cells = len(cells)
        want = pd.DataFrame({
            "term": np.repeat(np.arange(theta.size), n_cells),
            "cell": np.tile(np.arange(n_cells), theta.size),
            "k": np.tile(keys, theta.size),
            "crop": np.tile(cells["crop"].astype(str).to_numpy(object), theta.size),
            "coverage": np.repeat(theta.round(_DECIMALS), n_cells),
            "deductible": np.repeat(d.round(_DECIMALS), n_cells)})
        t = self.table.rename(columns={self.key: "k"})
        t = t.assign(coverage=t["coverage"].round(_DECIMALS),
                     deductible=t["deductible"].round(_DECIMALS))
        m = want.merge(t[["k", "crop", "coverage", "deductible", "benchmark_rate"]], how="left",
                       on=["k", "crop", "coverage", "deductible"], validate="many_to_one")
        lost = m["benchmark_rate"].isna().to_numpy()
        if lost.any():
            gone = m.loc[lost, ["k", "crop", "coverage", "deductible"]].drop_duplicates()
            raise DataError([Problem("benchmark", "benchmark_rate", None, "no_benchmark",
                                     f"no benchmark for {self.key}={k!r}, crop={c!r} at "
                                     f"coverage {th:g}, deductible {dd:g}: evaluate only the "
                                     "terms the table rates (Benchmark.products())")
                             for k, c, th, dd in gone.to_numpy()[:50]])
        out = np.empty(theta.size * n_cells)
        out[m["term"].to_numpy() * n_cells + m["cell"].to_numpy()] = m["benchmark_rate"]
        return out.reshape(theta.size, n_cells)


def read_benchmark(source, *, zones=None) -> Benchmark:
    """Read a benchmark table strictly (format: module notes); ``zones`` a zone map for a table
    by zone (path or DataFrame, :func:`read_zone_map`).

    >>> t = pd.DataFrame({"region": ["A", "A"], "crop": "rice", "coverage": [0.8, 1.0],
    ...                   "benchmark_rate": [0.012, 0.031], "source": "synthetic",
    ...                   "version": 2025})
    >>> b = read_benchmark(t)
    >>> b.rates(pd.DataFrame({"region": ["A"], "crop": ["rice"]}), [1.0, 0.8]).ravel().tolist()
    [0.031, 0.012]
    """
    table = "benchmark"
    df = _frame(source, table)
    df.columns = [str(c).strip() for c in df.columns]
    problems = _unknown_columns(df, BENCHMARK_COLUMNS, table)
    keys = [c for c in ("region", "zone") if c in df.columns]
    if len(keys) != 1:
        problems.append(Problem(table, "region", None, "key_column",
                                "give exactly one of the columns region (县) or zone (风险区)"
                                + (", not both" if len(keys) == 2 else "")))
    problems += [Problem(table, c, None, "missing_column", f"required column {c} is absent "
                         f"({BENCHMARK_COLUMNS[c]})") for c in _REQUIRED if c not in df.columns]
    if problems:
        raise DataError(problems)
    key = keys[0]
    if df.empty:
        raise DataError([Problem(table, None, None, "empty", "the table has no rows")])
    optional = [c for c in ("product", "deductible") if c in df.columns]
    _missing(df, [key, *_REQUIRED, *optional], table, problems)
    theta = _numbers(df, "coverage", table, 0.0, 1.5, lo_open=True, hi_open=False,
                     what="coverage (保障水平)", problems=problems)
    d = (_numbers(df, "deductible", table, 0.0, 1.0, lo_open=False, hi_open=True,
                  what="deductible (绝对免赔率)", problems=problems)
         if "deductible" in df.columns else np.zeros(len(df)))
    rate = _numbers(df, "benchmark_rate", table, 0.0, 1.0, lo_open=True, hi_open=True,
                    what="benchmark_rate (基准纯风险损失率)", problems=problems)
    out = pd.DataFrame({key: df[key].astype(str).str.strip(),
                        "crop": df["crop"].astype(str).str.strip(),
                        "product": (df["product"].astype(str).str.strip()
                                    if "product" in df.columns else ""),
                        "coverage": theta, "deductible": d, "benchmark_rate": rate,
                        "source": df["source"].astype(str).str.strip(),
                        "version": df["version"].astype(str).str.strip()})
    rounded = out.assign(coverage=out["coverage"].round(_DECIMALS),
                         deductible=out["deductible"].round(_DECIMALS))
    _duplicates(rounded, [key, "crop", "product", "coverage", "deductible"], table, problems)
    if problems:
        raise DataError(problems)
    zone_map = None if zones is None else read_zone_map(zones)
    if zone_map is not None and key != "zone":
        raise ParameterError("a zone map was given but the benchmark is by region")
    return Benchmark(out, key, zone_map)


def benchmark_position(model_rate, benchmark_rate, *, subsidised: bool = True):
    """Where the company's modelled pure rate lies against the benchmark's band.

    The band is benchmark × the 费率调整系数 band (the rates the company could file at a given
    loading are base × band, so a modelled rate below benchmark × lower edge is a risk the
    benchmark prices higher than the factor can follow). Returns (ratio = model/benchmark,
    position: "below band" / "within band" / "above band"), arrays.

    >>> r, p = benchmark_position([0.0319, 0.033], 0.0426)
    >>> [round(float(x), 3) for x in r], p.tolist()
    ([0.749, 0.775], ['below band', 'within band'])
    """
    m = np.asarray(model_rate, float)
    b = np.asarray(benchmark_rate, float)
    if np.any(~(b > 0)):
        raise ParameterError("benchmark_rate must be positive")
    lo, hi = factor_band(subsidised)
    ratio = m / b
    pos = np.where(ratio < lo - 1e-12, "below band",
                   np.where(ratio > hi + 1e-12, "above band", "within band"))
    return ratio, pos


def per_cell(name, value, cells) -> np.ndarray:
    """A scalar, a mapping crop → value, or one value per cell, as an array over the cells
    (rows of ``cells``, which has a ``crop`` column)."""
    if isinstance(value, dict):
        missing = sorted(set(cells["crop"]) - set(value))
        if missing:
            raise ParameterError(f"{name}: no value for crop(s) {missing}")
        return cells["crop"].map(value).to_numpy(float)
    a = np.asarray(value, float)
    if a.ndim == 0:
        return np.full(len(cells), float(a))
    if a.shape != (len(cells),):
        raise ParameterError(f"{name}: give a scalar, a crop mapping or {len(cells)} values")
    return a


def benchmark_filing(benchmark: Benchmark, cells: pd.DataFrame, *, coverage, deductible=0.0,
                     loading, factor=1.0, model_rate=None, subsidised: bool = True,
                     clip: bool = False) -> pd.DataFrame:
    """The rate of each cell filed on the industry benchmark: only factor and loading are the
    company's.

    费率 = 基准纯风险损失率 / (1 − 附加费率) × 费率调整系数 by :func:`puhui.agri.rules.filed_rate`
    (a factor outside the band or a loading above the cap raises
    :class:`puhui.rules.RegulationBreach`, unless ``clip=True``, which moves the factor to the
    band's edge and says so in ``clipped``). ``factor`` and ``loading`` are scalars, crop
    mappings or one value per cell; ``model_rate`` (optional) is the company's own pure rate of
    each cell, shown beside the benchmark with :func:`benchmark_position`.

    Returns one row per cell: region, crop, the benchmark key, coverage, deductible,
    benchmark_rate, loading, factor, base_rate, rate, band_low / band_high (base × band: the
    rates the company could file at this loading), clipped, and — given ``model_rate`` —
    model_rate, model_to_benchmark, model_position, model_below_band. ``attrs["source"]`` is the
    table's source and version.

    >>> b = read_benchmark(pd.DataFrame({"region": ["A"], "crop": "rice", "coverage": 1.0,
    ...                    "benchmark_rate": 0.03, "source": "synthetic", "version": 1}))
    >>> f = benchmark_filing(b, pd.DataFrame({"region": ["A"], "crop": ["rice"]}),
    ...                      coverage=1.0, loading=0.2, factor=1.2, model_rate=0.02)
    >>> round(float(f["rate"].iloc[0]), 6), f["model_position"].iloc[0]   # 0.03/0.8·1.2
    (0.045, 'below band')
    """
    if not isinstance(benchmark, Benchmark):
        raise ParameterError("benchmark must be a Benchmark (read_benchmark)")
    if not {"region", "crop"} <= set(cells.columns):
        raise ParameterError("cells needs columns region and crop")
    bench = benchmark.rates(cells, coverage, deductible)
    if bench.shape[0] != 1:
        raise ParameterError("benchmark_filing files one coverage and deductible; loop over "
                             "designs with evaluate_cost_designs(benchmark=...)")
    b = bench[0]
    load = per_cell("loading", loading, cells)
    f = per_cell("factor", factor, cells)
    fr = filed_rate(b, load, f, subsidised=subsidised, clip=clip)
    lo, hi = fr.band
    out = pd.DataFrame({"region": cells["region"].to_numpy(), "crop": cells["crop"].to_numpy()})
    if benchmark.key == "zone":
        out["zone"] = benchmark.keys_for(cells)
    out = out.assign(coverage=float(np.ravel(coverage)[0]),
                     deductible=float(np.ravel(deductible)[0]), benchmark_rate=b,
                     loading=load, factor=np.broadcast_to(fr.factor, b.shape),
                     base_rate=fr.base_rate, rate=fr.rate, band_low=fr.base_rate * lo,
                     band_high=fr.base_rate * hi,
                     clipped=np.broadcast_to(fr.clipped, b.shape))
    if model_rate is not None:
        m = per_cell("model_rate", model_rate, cells)
        ratio, pos = benchmark_position(m, b, subsidised=subsidised)
        out = out.assign(model_rate=m, model_to_benchmark=ratio, model_position=pos,
                         model_below_band=pos == "below band")
    out.attrs["source"] = benchmark.describe()
    out.attrs["notes"] = list(fr.notes)
    return out
