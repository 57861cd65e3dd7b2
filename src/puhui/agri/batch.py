"""Batch repricing (批量费率重算): premium rates for every region × crop × coverage level.

``reprice(yields)`` turns a ``yields`` table (region, crop, year, yield) into a rate table, the
same numbers :class:`puhui.agri.YieldModel` gives cell by cell, computed on a (cells × years)
panel in chunks with no Python loop per cell (see :mod:`puhui.agri.batch_fit`).
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..errors import DataError, ParameterError, Problem
from . import batch_fit as bf
from .trend import check_adjustment, check_method
from .trend import min_years as trend_min_years
from .yield_model import check_coverage

#: Densities the batch engine computes, and the name of their rate column.
RATE_COLUMNS = {"empirical": "empirical_rate", "kde": "kernel_rate",
                "lognormal": "lognormal_rate", "weibull": "weibull_rate"}
_MAX_PROBLEMS = 1000


@dataclass(frozen=True)
class YieldPanel:
    """Yields as a (cells × years) array.

    Attributes
    ----------
    cells : DataFrame
        One row per region × crop, sorted, in the row order of ``values``.
    years : ndarray of int
        The years that occur in the table (columns of ``values``).
    values : ndarray
        Yields, NaN where a cell has no yield for a year.
    """

    cells: pd.DataFrame
    years: np.ndarray
    values: np.ndarray


def yield_panel(yields: pd.DataFrame, *, table: str = "yields") -> YieldPanel:
    """Check a ``yields`` table and pivot it to a (cells × years) panel, vectorised.

    Every bad row is reported in one :class:`puhui.DataError` (missing column or value, a
    yield that is not a number or is negative, a year that is not a whole number, a repeated
    region × crop × year); nothing is dropped or filled.
    """
    if not isinstance(yields, pd.DataFrame):
        raise ParameterError(f"yields must be a DataFrame, got {type(yields).__name__}")
    missing = [c for c in ("region", "crop", "year", "yield") if c not in yields.columns]
    if missing:
        raise DataError([Problem(table, c, None, "missing_column",
                                 "the yields table needs region, crop, year and yield")
                         for c in missing])
    problems: list[Problem] = []
    rows = np.arange(1, len(yields) + 1)

    def report(bad, column, rule, message, values):
        for r, v in zip(rows[bad][:_MAX_PROBLEMS], np.asarray(values)[bad][:_MAX_PROBLEMS],
                        strict=True):
            problems.append(Problem(table, column, int(r), rule, message, v))

    y = pd.to_numeric(yields["yield"], errors="coerce").to_numpy(float)
    raw_y = yields["yield"].to_numpy()
    report(np.isnan(y) & pd.isna(raw_y), "yield", "missing_value", "no yield", raw_y)
    report(np.isnan(y) & ~pd.isna(raw_y), "yield", "not_a_number", "not a number", raw_y)
    report(y < 0, "yield", "negative", "a yield cannot be negative", raw_y)
    yr = pd.to_numeric(yields["year"], errors="coerce").to_numpy(float)
    raw_yr = yields["year"].to_numpy()
    report(~np.isfinite(yr) | (yr != np.round(yr)), "year", "not_an_integer",
           "the year must be a whole number", raw_yr)
    for col in ("region", "crop"):
        raw = yields[col].to_numpy()
        report(pd.isna(raw), col, "missing_value", f"no {col}", raw)
    if problems:
        raise DataError(problems)
    grouped = yields.groupby(["region", "crop"], sort=True, observed=True)
    code = grouped.ngroup().to_numpy()
    cells = grouped.size().index.to_frame(index=False)[["region", "crop"]]
    years, col = np.unique(yr.astype(np.int64), return_inverse=True)
    key = code.astype(np.int64) * len(years) + col
    order = np.argsort(key, kind="stable")
    dup = np.zeros(len(key), bool)
    dup[order[1:]] = key[order[1:]] == key[order[:-1]]
    if dup.any():
        report(dup, "year", "duplicate_id", "region × crop × year repeats", raw_yr)
        raise DataError(problems)
    values = np.full((len(cells), len(years)), np.nan)
    values[code, col] = y
    return YieldPanel(cells, years, values)


class PanelAggregation:
    """The ``yields`` table chunk by chunk (:func:`puhui.data.chunks.scan`) as a
    :class:`YieldPanel` equal to :func:`yield_panel` of the whole validated table: each chunk
    keeps its region × crop pairs once and, per row, a pair code, the year and the yield (20
    bytes a row instead of about 200 for the text cells); the pairs of all chunks are sorted as
    ``groupby(["region", "crop"], sort=True)`` sorts them, and the yields placed in the
    (cells × years) array. Repeated region × crop × year keys were refused by the scan."""

    def map(self, chunk: pd.DataFrame):
        r_codes, r_uniq = pd.factorize(chunk["region"])  # a Categorical's codes: no hashing
        c_codes, c_uniq = pd.factorize(chunk["crop"])
        nc = max(len(c_uniq), 1)
        pair = r_codes.astype(np.int64) * nc + c_codes
        if len(r_uniq) * nc <= 4 * len(pair) + 1024:  # the pairs present, by a mask
            present = np.zeros(len(r_uniq) * nc, bool)
            present[pair] = True
            pairs = np.flatnonzero(present)
            codes = (np.cumsum(present) - 1)[pair]
        else:
            codes, pairs = pd.factorize(pair)
        return (np.asarray(r_uniq, object)[pairs // nc], np.asarray(c_uniq, object)[pairs % nc],
                codes.astype(np.int64), chunk["year"].to_numpy(np.int64),
                chunk["yield"].to_numpy(float))

    def combine(self, partials) -> YieldPanel:
        if not partials:
            return YieldPanel(pd.DataFrame({"region": [], "crop": []}, dtype=object),
                              np.zeros(0, np.int64), np.zeros((0, 0)))
        pairs = pd.DataFrame({"region": np.concatenate([p[0] for p in partials]),
                              "crop": np.concatenate([p[1] for p in partials])})
        cells = pairs.drop_duplicates().sort_values(["region", "crop"], kind="mergesort")
        cells = cells.reset_index(drop=True)
        index = pd.MultiIndex.from_frame(cells)
        years = np.unique(np.concatenate([p[3] for p in partials]))
        values = np.full((len(cells), len(years)), np.nan)
        for region, crop, codes, year, y in partials:
            local = index.get_indexer(pd.MultiIndex.from_arrays([region, crop]))
            values[local[codes], np.searchsorted(years, year)] = y
        return YieldPanel(cells, years, values)


def load_yield_panel(source, *, engine: str = "local", scheduler=None,
                     chunk_rows: int | None = None, table: str | None = None):
    """Read, validate and pivot a ``yields`` file (CSV, Parquet file or partitioned folder)
    chunk by chunk: ``(panel, scan_result)`` (:func:`puhui.data.chunks.scan`: rows, chunks,
    peak memory, engine). ``engine="dask"`` validates the chunks on a ``dask.distributed``
    cluster (a ``LocalCluster`` by default, or ``scheduler="tcp://…"``); the panel is the same.
    The problems of a bad file are those of :func:`puhui.data.load`."""
    from ..data.chunks import DEFAULT_CHUNK_ROWS, scan

    res = scan(source, "yields", PanelAggregation(), engine=engine, scheduler=scheduler,
               chunk_rows=chunk_rows or DEFAULT_CHUNK_ROWS, table=table)
    return res.result, res


def reprice(yields, coverage_levels=(0.7, 0.8, 0.9), *, detrend: str = "linear",
            adjustment="additive", density=("empirical", "kde"), bandwidth="silverman",
            rating_year: int | None = None, min_years: int | None = None,
            on_invalid: str = "error", chunk_size: int = 20_000,
            progress: bool = False, engine: str = "local", scheduler=None) -> pd.DataFrame:
    """Premium rates for every region × crop × coverage level of a yields table.

    Parameters
    ----------
    yields : DataFrame, YieldPanel or path
        The ``yields`` table (region, crop, year, yield[, area]); a path (CSV, Parquet, a
        folder of Parquet files) is read and validated chunk by chunk
        (:func:`load_yield_panel`, out of core).
    coverage_levels : sequence of float
        Coverage levels θ (保障水平), e.g. 0.7, 0.8, 0.9.
    detrend : {"linear", "quadratic", "robust", "none"}
        Trend, as in :class:`~puhui.agri.YieldModel` (LOESS is not batched: use the model per
        cell).
    adjustment : {"additive", "multiplicative", "heteroscedastic"} or float
    density : str or sequence of {"empirical", "kde", "lognormal", "weibull"}
        Laws whose rates are computed; columns ``empirical_rate``, ``kernel_rate``,
        ``lognormal_rate``, ``weibull_rate``.
    bandwidth : {"silverman", "scott", "cv"} or float
        Kernel bandwidth rule (``"cv"`` is much slower: 60 leave-one-out evaluations).
    rating_year : int, optional
        Year rated, the same for all cells; by default each cell's last year + 1.
    min_years : int, optional
        Fewest years a cell needs (default: the trend's parameters + 2).
    on_invalid : {"error", "skip"}
        A cell that cannot be rated (too few years, expected yield ≤ 0, constant yields for a
        kernel, non-positive yields for a parametric law, …) raises a DataError listing every
        such cell, or with ``"skip"`` is left out and listed in ``result.attrs["skipped"]``
        (records of region, crop and reason: ``pd.DataFrame(result.attrs["skipped"])``).
    chunk_size : int
        Cells per chunk (memory ≈ chunk_size × years × levels × 8 bytes per temporary).
    progress : bool
        Show a tqdm progress bar over the chunks.
    engine : {"local", "dask"}
        For a path: validate its chunks here or on a ``dask.distributed`` cluster
        (``scheduler``: an address ``tcp://host:8786`` or a Client; default a LocalCluster).
        The rates are the same.

    Returns
    -------
    DataFrame
        One row per cell × level: region, crop, coverage, n_years, first_year, last_year,
        rating_year, expected_yield (μ, 预期单产), guarantee (θμ), cv (coefficient of variation
        of the adjusted yields), beta (heteroscedasticity exponent), bandwidth (kde), and one
        rate column per density (纯风险损失率, fraction of the liability θμ × price).

    Examples
    --------
    >>> df = pd.DataFrame({"region": "A", "crop": "rice", "year": range(2000, 2010),
    ...                    "yield": [500, 520, 430, 540, 560, 480, 570, 590, 600, 520.0]})
    >>> out = reprice(df, (0.8, 0.9))
    >>> list(out["coverage"])
    [0.8, 0.9]
    """
    check_method(detrend)
    if detrend not in bf.BATCH_TRENDS:
        raise ParameterError(f"detrend={detrend!r} is not batched; use one of "
                             f"{', '.join(bf.BATCH_TRENDS)}, or YieldModel cell by cell")
    adjustment = check_adjustment(adjustment)
    densities = (density,) if isinstance(density, str) else tuple(density)
    bad = [d for d in densities if d not in RATE_COLUMNS]
    if bad or not densities:
        raise ParameterError(f"density={density!r}: the batch engine computes "
                             f"{', '.join(RATE_COLUMNS)}")
    if on_invalid not in ("error", "skip"):
        raise ParameterError(f"on_invalid must be 'error' or 'skip', got {on_invalid!r}")
    if not (isinstance(chunk_size, (int, np.integer)) and chunk_size > 0):
        raise ParameterError(f"chunk_size must be a positive integer, got {chunk_size!r}")
    theta = check_coverage(coverage_levels).ravel()
    need = trend_min_years(detrend) if min_years is None else int(min_years)
    if need < trend_min_years(detrend):
        raise ParameterError(f"min_years={min_years} is below the {trend_min_years(detrend)} "
                             f"years detrend={detrend!r} needs")
    if isinstance(yields, (str, os.PathLike)):
        yields = load_yield_panel(yields, engine=engine, scheduler=scheduler)[0]
    elif engine != "local":
        raise ParameterError("engine='dask' reads a file: give the yields as a path")
    panel = yields if isinstance(yields, YieldPanel) else yield_panel(yields)
    Y = panel.values
    n_cells = len(Y)
    if n_cells == 0:  # a header-only file would give an empty rate table and exit 0
        raise DataError([Problem(getattr(yields, "attrs", {}).get("table", "yields"), None, None,
                                 "empty", "the yields table has no rows: nothing to rate")])
    out = {name: np.full(n_cells, np.nan) for name in
           ("expected", "cv", "beta", "bandwidth", "first", "last", "T")}
    rates = {d: np.full((n_cells, theta.size), np.nan) for d in densities}
    reason = np.full(n_cells, "", dtype=object)

    starts = range(0, n_cells, chunk_size)
    if progress:
        from tqdm.auto import tqdm

        starts = tqdm(starts, total=len(starts), desc="repricing", unit="chunk")
    for i in starts:
        sl = slice(i, i + chunk_size)
        _rate_chunk(Y[sl], panel.years, theta, detrend, adjustment, densities, bandwidth,
                    rating_year, need, {k: v[sl] for k, v in out.items()},
                    {k: v[sl] for k, v in rates.items()}, reason[sl])

    invalid = reason != ""
    if invalid.any() and on_invalid == "error":
        idx = np.flatnonzero(invalid)
        raise DataError([Problem("yields", None, None, str(reason[j]),
                                 f"region={panel.cells['region'].iat[j]!r}, "
                                 f"crop={panel.cells['crop'].iat[j]!r} cannot be rated")
                         for j in idx[:_MAX_PROBLEMS]])
    keep = np.flatnonzero(~invalid)
    K = theta.size
    rep = np.repeat(keep, K)
    result = pd.DataFrame({
        "region": panel.cells["region"].to_numpy()[rep],
        "crop": panel.cells["crop"].to_numpy()[rep],
        "coverage": np.tile(theta, keep.size),
        "n_years": (~np.isnan(Y)).sum(axis=1)[rep],
        "first_year": out["first"][rep].astype(np.int64),
        "last_year": out["last"][rep].astype(np.int64),
        "rating_year": out["T"][rep].astype(np.int64),
        "expected_yield": out["expected"][rep],
        "guarantee": np.tile(theta, keep.size) * out["expected"][rep],
        "cv": out["cv"][rep],
        "beta": out["beta"][rep],
        "bandwidth": out["bandwidth"][rep],
    })
    for d in densities:
        result[RATE_COLUMNS[d]] = rates[d][keep].ravel()
    if "kde" not in densities:
        result = result.drop(columns="bandwidth")
    # plain records, not a DataFrame: pandas compares attrs when it concatenates frames
    result.attrs["skipped"] = [
        {"region": r, "crop": c, "reason": str(w)} for r, c, w in zip(
            panel.cells["region"].to_numpy()[invalid], panel.cells["crop"].to_numpy()[invalid],
            reason[invalid], strict=True)]
    result.attrs["method"] = {"detrend": detrend, "adjustment": adjustment,
                              "density": list(densities), "bandwidth": bandwidth,
                              "rating_year": rating_year, "min_years": need}
    return result


def _rate_chunk(Y, years, theta, detrend, adjustment, densities, bandwidth, rating_year,
                need, out, rates, reason):
    """Rate one chunk of cells in place (``out``, ``rates``, ``reason`` are views)."""
    mask = ~np.isnan(Y)
    n = mask.sum(axis=1)
    short = n < need
    reason[short] = f"fewer than {need} years"
    ok = ~short
    if not ok.any():
        return
    Yk = Y[ok]
    m_ok = mask[ok]
    first = np.where(m_ok, years[None, :], np.iinfo(np.int64).max).min(axis=1)
    last = np.where(m_ok, years[None, :], np.iinfo(np.int64).min).max(axis=1)
    T = last + 1.0 if rating_year is None else np.full(len(Yk), float(rating_year))
    fitted, expected = bf.batch_trend(Yk, years, detrend, T)
    why = np.full(len(Yk), "", dtype=object)
    why[~(expected > 0)] = "expected yield not positive"
    if adjustment != "additive":
        trend_bad = np.any(m_ok & ~(fitted > 0), axis=1)
        why[(why == "") & trend_bad] = "trend not positive in every year"
    adjusted, beta = bf.adjust(Yk, fitted, expected, adjustment)
    why[(why == "") & ~np.isfinite(beta)] = "heteroscedasticity exponent undefined"
    with np.errstate(invalid="ignore", divide="ignore"):
        sd = np.nanstd(adjusted, axis=1, ddof=1)
        cv = sd / np.nanmean(adjusted, axis=1)
    if "kde" in densities:
        why[(why == "") & ~(sd > 0)] = "constant adjusted yields (kernel needs two values)"
    if {"lognormal", "weibull"} & set(densities):
        nonpos = np.any(m_ok & ~(adjusted > 0), axis=1)
        why[(why == "") & nonpos] = "adjusted yield not positive (parametric law)"
    good = why == ""
    guarantee = theta[None, :] * expected[good, None]
    a = adjusted[good]
    h = np.full(len(Yk), np.nan)
    with np.errstate(invalid="ignore", divide="ignore"):
        for d in densities:
            if d == "empirical":
                r = bf.empirical_rates(a, guarantee)
            elif d == "kde":
                h[good] = bf.bandwidths(a, bandwidth)
                r = bf.kernel_rates(a, guarantee, h[good])
            elif d == "lognormal":
                r = bf.lognormal_rates(a, guarantee)
            else:
                r = bf.weibull_rates(a, guarantee)
            full = np.full((len(Yk), theta.size), np.nan)
            full[good] = r
            rates[d][ok] = full
    idx_ok = np.flatnonzero(ok)
    reason[idx_ok[~good]] = why[~good]
    for name, value in (("expected", expected), ("cv", cv), ("beta", beta), ("bandwidth", h),
                        ("first", first), ("last", last), ("T", T)):
        out[name][ok] = value
