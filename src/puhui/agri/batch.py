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


def _place(parts, years: np.ndarray):
    """Yields of :meth:`PanelAggregation.map` partials placed in a (cells × ``years``) panel:
    ``(cells, values, repeated)``, the cells sorted as ``groupby(["region", "crop"],
    sort=True)`` sorts them, and whether a region × crop × year occurs twice (values are
    placed, so a repeat would silently keep one of them)."""
    parts = [p for p in parts if len(p[2])]
    if not parts:
        return (pd.DataFrame({"region": [], "crop": []}, dtype=object),
                np.zeros((0, len(years))), False)
    used = [np.flatnonzero(np.bincount(p[2], minlength=len(p[0]))) for p in parts]
    region = np.concatenate([p[0][u] for p, u in zip(parts, used, strict=True)])
    crop = np.concatenate([p[1][u] for p, u in zip(parts, used, strict=True)])
    pairs = pd.DataFrame({"region": region, "crop": crop})
    single = len(parts) == 1  # one part: its used pairs are distinct
    if not single:
        pairs = pairs.drop_duplicates()
    order = pairs.sort_values(["region", "crop"], kind="mergesort").index.to_numpy()
    cells = pairs.loc[order].reset_index(drop=True)
    values = np.full((len(cells), len(years)), np.nan)
    seen = None if single else np.zeros(values.shape, bool)
    repeated = False
    index = None if single else pd.MultiIndex.from_frame(cells)
    for p, u in zip(parts, used, strict=True):
        local = np.full(len(p[0]), -1, np.int64)
        if single:
            local[u[order]] = np.arange(len(order))
        else:
            local[u] = index.get_indexer(pd.MultiIndex.from_arrays([p[0][u], p[1][u]]))
        row = local[p[2]]
        col = _year_columns(years, p[3])
        flat = row * len(years) + col
        if values.size <= 4 * len(flat) + 1024:  # dense: count the placements
            repeated |= bool(np.bincount(flat, minlength=values.size).max(initial=0) > 1)
        elif len(flat) > 1:
            s = np.sort(flat)
            repeated |= bool((s[1:] == s[:-1]).any())
        if seen is not None:
            repeated |= bool(seen.ravel()[flat].any())
            seen.ravel()[flat] = True
        values.ravel()[flat] = p[4]
    return cells, values, repeated


def _year_columns(years: np.ndarray, year: np.ndarray) -> np.ndarray:
    """Column of each year in the sorted ``years`` (a lookup table over their span)."""
    if len(years) and years[-1] - years[0] < 4 * len(year) + 1024:
        lookup = np.zeros(years[-1] - years[0] + 1, np.int64)
        lookup[years - years[0]] = np.arange(len(years))
        return lookup[year - years[0]]
    return np.searchsorted(years, year)


class _Abandon(Exception):
    """The streamed rating gives way (:attr:`StreamRates.stop`): end the scan at once."""


class StreamRates:
    """Rate a yields table as :func:`puhui.data.chunks.scan` validates it (the local engine:
    ``map`` is called here, chunk after chunk in file order) and write the rate table's CSV
    rows as they come — peak memory bounded by a few chunks, whatever the number of cells.

    A region is rated once its rows are complete: when a chunk arrives, every region below the
    chunk's greatest region is complete if no later chunk holds a smaller region; the rows of
    the greatest one wait for the next chunk. So a file grouped by region with the regions in
    sorted order (the crops and years in any order) is rated in one pass, and the rows come
    out in the order of :func:`reprice` (region, crop, coverage). The rating itself runs in
    two worker threads, by blocks of ``chunk_size`` cells, overlapping the reading and checking
    of the next chunk (NumPy and Arrow release the GIL); the blocks are written in order.
    Cells are rated on the panel of the years seen so far; every number of a cell
    depends on its row alone, so the bytes are those of the whole table — provided no later
    chunk brings a new year (then ``stop`` says ``"years"`` and the table is rated again with
    the years known). ``stop`` is also set for a region met again after a greater one
    (``"order"``), a repeated region × crop × year (``"repeat"``: the scan's key check gives
    the report) or a chunk handed again after a fallback of the scan (``"restart"``).
    """

    checks_key = True  # a repeated region × crop × year is found here (see "repeat")
    _IN_FLIGHT = 4      # blocks rated ahead of the writing, at most

    def __init__(self, opts: _Options, write, years=None, *, threaded: bool = True):
        from ..report import csv_bytes

        self.opts, self.write = opts, write
        self.fixed = None if years is None else np.asarray(years, np.int64)
        self.years = self.fixed if years is not None else np.zeros(0, np.int64)
        self.stop: str | None = None
        self.calls = 0
        self.cells = 0
        self.skipped: list[dict] = []
        self.header = csv_bytes(pd.DataFrame({c: [] for c in opts.columns}))
        self.progress = None  # a tqdm bar of the rows read, if any
        self._carry = None          # rows of the greatest region so far (map partials)
        self._carry_region = None
        self._emitted = False
        self._pending = []          # futures of the blocks being rated, in output order
        self._pool = None
        if threaded:
            from concurrent.futures import ThreadPoolExecutor

            self._pool = ThreadPoolExecutor(2, thread_name_prefix="puhui-reprice")

    def _block(self, region, crop, values, years):
        """Rate one block of cells: its CSV rows (no header) and its skipped cells."""
        from ..report import csv_bytes

        data, skipped = _rate_cells(self.opts, region, crop, values, years, as_csv=True)
        if not isinstance(data, bytes):  # a table csv_bytes writes with pandas
            data = csv_bytes(data)
            if not data.startswith(self.header):  # pragma: no cover - csv_bytes writes it
                raise AssertionError("csv_bytes wrote another header")
            data = data[len(self.header):]
        return data, len(region) - len(skipped), skipped

    def _written(self, result):
        data, rated, skipped = result
        self.write(data)
        self.cells += rated
        self.skipped += skipped

    def _drain(self, keep: int):
        """Write the finished blocks at the head of the queue; wait while more than ``keep``
        are in flight."""
        while self._pending and (len(self._pending) > keep or self._pending[0].done()):
            self._written(self._pending.pop(0).result())

    def _submit(self, parts):
        self._emitted = True
        cells, values, repeated = _place(parts, self.years)
        if repeated:
            self.stop = "repeat"
            raise _Abandon(self.stop)
        if not len(cells):
            return
        region = cells["region"].to_numpy()
        crop = cells["crop"].to_numpy()
        if any("\r" in str(v) for v in pd.unique(np.concatenate([region, crop]))):
            self.stop = "text"  # csv_bytes then quotes every cell of the whole table
            raise _Abandon(self.stop)
        step = self.opts.chunk_size
        for i in range(0, len(cells), step):
            job = (region[i:i + step], crop[i:i + step], values[i:i + step], self.years)
            if self._pool is None:
                self._written(self._block(*job))
            else:
                self._pending.append(self._pool.submit(self._block, *job))
                self._drain(self._IN_FLIGHT)

    def close(self):
        """Write the blocks still being rated (unless stopped) and end the workers."""
        if self.progress is not None:
            self.progress.close()
            self.progress = None
        try:
            if self.stop is None:
                self._drain(0)
        finally:
            for f in self._pending:
                f.cancel()
            self._pending = []
            if self._pool is not None:
                self._pool.shutdown(wait=True, cancel_futures=True)
                self._pool = None

    # -- the scan's side --------------------------------------------------------------------
    def map(self, chunk: pd.DataFrame):
        token = self.calls
        self.calls += 1
        if self.progress is not None:
            self.progress.update(len(chunk))
        if not len(chunk):
            return token
        part = PanelAggregation().map(chunk)
        years = np.union1d(self.years, part[3]) if self.fixed is None else self.years
        if len(years) != len(self.years) and self._emitted:
            self.stop = "years"
        if self.fixed is not None and not np.isin(part[3], years).all():
            self.stop = "years"
        self.years = years
        if self.stop is not None:
            return token
        regions = part[0]
        low, high = min(regions), max(regions)
        if self._carry is not None and low < self._carry_region:
            self.stop = "order"
            raise _Abandon(self.stop)  # no use reading on: the table is rated in memory
        top = regions == high
        rows_top = top[part[2]]
        last = _rows(part, rows_top)
        if self._carry is not None and self._carry_region == high:
            self._carry.append(last)
            return token
        ready = self._carry or []
        if not rows_top.all():
            ready.append(_rows(part, ~rows_top))
        self._carry, self._carry_region = [last], high
        if ready:
            self._submit(ready)
        return token

    def combine(self, partials):
        if list(partials) != list(range(self.calls)):
            self.stop = self.stop or "restart"  # the scan fell back and handed the table again
        if self.stop is None and self._carry is not None:
            self._submit(self._carry)
            self._carry = None
        self.close()
        return self


def _rows(part, mask):
    """The rows ``mask`` of a :meth:`PanelAggregation.map` partial (its pairs kept)."""
    return (part[0], part[1], part[2][mask], part[3][mask], part[4][mask])


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
    opts = _options(coverage_levels, detrend, adjustment, density, bandwidth, rating_year,
                    min_years, on_invalid, chunk_size)
    if isinstance(yields, (str, os.PathLike)):
        yields = load_yield_panel(yields, engine=engine, scheduler=scheduler)[0]
    elif engine != "local":
        raise ParameterError("engine='dask' reads a file: give the yields as a path")
    panel = yields if isinstance(yields, YieldPanel) else yield_panel(yields)
    if len(panel.values) == 0:  # a header-only file would give an empty rate table and exit 0
        raise DataError([Problem(getattr(yields, "attrs", {}).get("table", "yields"), None, None,
                                 "empty", "the yields table has no rows: nothing to rate")])
    result, skipped = _rate_cells(opts, panel.cells["region"].to_numpy(),
                                  panel.cells["crop"].to_numpy(), panel.values, panel.years,
                                  progress)
    if skipped and on_invalid == "error":
        raise DataError(_unrated_problems(skipped))
    # plain records, not a DataFrame: pandas compares attrs when it concatenates frames
    result.attrs["skipped"] = skipped
    result.attrs["method"] = opts.method
    return result


@dataclass(frozen=True)
class _Options:
    """The checked options of a repricing run."""

    theta: np.ndarray
    detrend: str
    adjustment: object
    densities: tuple
    bandwidth: object
    rating_year: int | None
    need: int
    on_invalid: str
    chunk_size: int

    @property
    def method(self) -> dict:
        return {"detrend": self.detrend, "adjustment": self.adjustment,
                "density": list(self.densities), "bandwidth": self.bandwidth,
                "rating_year": self.rating_year, "min_years": self.need}

    @property
    def columns(self) -> list[str]:
        """The rate table's columns, in order."""
        return (["region", "crop", "coverage", "n_years", "first_year", "last_year",
                 "rating_year", "expected_yield", "guarantee", "cv", "beta"]
                + (["bandwidth"] if "kde" in self.densities else [])
                + [RATE_COLUMNS[d] for d in self.densities])


def _options(coverage_levels, detrend, adjustment, density, bandwidth, rating_year, min_years,
             on_invalid, chunk_size) -> _Options:
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
    return _Options(theta, detrend, adjustment, densities, bandwidth, rating_year, need,
                    on_invalid, int(chunk_size))


def _unrated_problems(skipped) -> list[Problem]:
    return [Problem("yields", None, None, s["reason"],
                    f"region={s['region']!r}, crop={s['crop']!r} cannot be rated")
            for s in skipped[:_MAX_PROBLEMS]]


def _rate_cells(opts: _Options, region, crop, Y, years, progress: bool = False,
                as_csv: bool = False):
    """Rate the cells (rows of ``Y``, sorted by region × crop): ``(rate_table, skipped)``, the
    rows of the rated cells and the records of the others (``as_csv``: the rows as the bytes
    of :func:`puhui.report.csv_bytes` without its header). Every number of a cell depends on
    that cell's row alone (and on the columns ``years``), so cells rated in any grouping give
    the same bytes."""
    theta, densities = opts.theta, opts.densities
    n_cells = len(Y)
    out = {name: np.full(n_cells, np.nan) for name in
           ("expected", "cv", "beta", "bandwidth", "first", "last", "T")}
    rates = {d: np.full((n_cells, theta.size), np.nan) for d in densities}
    reason = np.full(n_cells, "", dtype=object)
    starts = range(0, n_cells, opts.chunk_size)
    if progress:
        from tqdm.auto import tqdm

        starts = tqdm(starts, total=len(starts), desc="repricing", unit="chunk")
    for i in starts:
        sl = slice(i, i + opts.chunk_size)
        _rate_chunk(Y[sl], years, theta, opts.detrend, opts.adjustment, densities,
                    opts.bandwidth, opts.rating_year, opts.need,
                    {k: v[sl] for k, v in out.items()}, {k: v[sl] for k, v in rates.items()},
                    reason[sl])
    invalid = reason != ""
    keep = np.flatnonzero(~invalid)
    K = theta.size
    per_cell = {  # the columns repeated on the K rows of a cell
        "region": region[keep], "crop": crop[keep],
        "n_years": (~np.isnan(Y)).sum(axis=1)[keep],
        "first_year": out["first"][keep].astype(np.int64),
        "last_year": out["last"][keep].astype(np.int64),
        "rating_year": out["T"][keep].astype(np.int64),
        "expected_yield": out["expected"][keep], "cv": out["cv"][keep],
        "beta": out["beta"][keep], "bandwidth": out["bandwidth"][keep]}
    coverage = np.tile(theta, keep.size)
    per_row = {"coverage": coverage,
               "guarantee": coverage * np.repeat(out["expected"][keep], K)}
    for d in densities:
        per_row[RATE_COLUMNS[d]] = rates[d][keep].ravel()
    skipped = [{"region": r, "crop": c, "reason": str(w)} for r, c, w in zip(
        region[invalid], crop[invalid], reason[invalid], strict=True)]
    if as_csv:
        data = _csv_rows(opts.columns, per_cell, per_row, K)
        if data is not None:
            return data, skipped
    rep = np.repeat(np.arange(keep.size), K)
    result = pd.DataFrame({c: per_cell[c][rep] if c in per_cell else per_row[c]
                           for c in opts.columns})
    return result, skipped


def _csv_rows(columns, per_cell, per_row, K: int) -> bytes | None:
    """The rows of :func:`puhui.report.csv_bytes` of the rate table (no header), with the
    columns of a cell formatted once and repeated on its K rows (the same cells, so the same
    bytes; tests/test_reprice_scale.py compares them); None where ``csv_bytes`` would not take
    its fast path."""
    import pyarrow as pa
    import pyarrow.compute as pc

    from ..report import _csv_text, _tail

    n_cells = len(per_cell["region"])
    if not n_cells:
        return b""
    rep = np.repeat(np.arange(n_cells), K)
    take = pa.array(rep)
    parts = []
    for i, name in enumerate(columns):
        cells = _csv_text(per_cell[name] if name in per_cell else per_row[name])
        if cells is None:
            return None
        text, whole = cells
        if name in per_cell:
            text = text.take(take)
            whole = None if whole is None else whole[rep]
        parts += [text, _tail(whole, "\n" if i == len(columns) - 1 else ",")]
    body = pc.binary_join_element_wise(*parts, pa.scalar("", pa.large_string()))
    offsets = np.frombuffer(body.buffers()[1], np.int64)[body.offset:body.offset + len(body) + 1]
    return body.buffers()[2].to_pybytes()[offsets[0]:offsets[-1]]


@dataclass
class RepriceRun:
    """What :func:`reprice_csv` did: rows read, chunks, engine, the cells rated and skipped
    (records of region, crop, reason), the peak memory (bytes) and how the table was rated —
    ``"streamed"`` (one pass, bounded memory) or the reason it was rated otherwise."""

    rows: int
    chunks: int
    engine: str
    cells_rated: int
    skipped: list
    peak_bytes: int
    how: str


#: Rows per chunk of :func:`reprice_csv` by default: small enough that the rating of the first
#: chunk starts soon (it overlaps the reading of the next ones), large enough that the cost per
#: chunk stays small (measured at 1e5 cells × 30 years: 250,000 rows 1.0 × the API's time,
#: 1,000,000 rows 1.1–1.25 ×, docs/scale.md).
STREAM_CHUNK_ROWS = 250_000

#: Why a streamed rating gave way, as reported in :attr:`RepriceRun.how`.
_WHY = {"years": "streamed twice: a later chunk brought a year the first chunks lacked",
        "order": "in memory: the file is not grouped by region in sorted order",
        "restart": "in memory: the streaming reader could not read the file",
        "text": "in memory: a region or crop holds a carriage return",
        "repeat": "in memory: a region × crop × year repeats"}


def reprice_csv(source, out, coverage_levels=(0.7, 0.8, 0.9), *, detrend: str = "linear",
                adjustment="additive", density=("empirical", "kde"), bandwidth="silverman",
                rating_year: int | None = None, min_years: int | None = None,
                on_invalid: str = "error", chunk_size: int = 20_000,
                chunk_rows: int | None = None, engine: str = "local", scheduler=None,
                table: str | None = None, threaded: bool = True,
                progress: bool = False) -> RepriceRun:
    """The rate table of :func:`reprice` of the yields file ``source`` written as CSV to the
    binary file ``out`` (bytes of :func:`puhui.report.csv_bytes` of the whole table), reading,
    checking and rating the file chunk by chunk (:class:`StreamRates`): the rows are written
    as the regions are rated, so memory stays at a few chunks whatever the number of cells.

    This takes a file grouped by region, the regions in sorted order (any order of crops and
    years within a region), in one pass. Otherwise the table is rated the way :func:`reprice`
    rates a path (the panel in memory): a file whose first chunks lack a year of a later chunk
    is read twice; one whose regions are not grouped in sorted order, the Dask engine, and the
    files the streaming reader does not take are rated in memory. ``out`` must be seekable
    (it is rewritten from the start in those cases). Problems are those of :func:`reprice`.
    ``progress`` shows a tqdm bar of the rows read; ``threaded=False`` rates in the calling
    thread (the bytes are the same).

    Returns
    -------
    RepriceRun
    """
    from ..data.chunks import peak_rss, scan
    from ..report import csv_bytes

    opts = _options(coverage_levels, detrend, adjustment, density, bandwidth, rating_year,
                    min_years, on_invalid, chunk_size)
    if not isinstance(source, (str, os.PathLike)):
        raise ParameterError(f"reprice_csv() reads a file or folder, got "
                             f"{type(source).__name__}")
    rows = int(chunk_rows or STREAM_CHUNK_ROWS)
    start = out.tell()
    how, years = "streamed", None
    for _ in range(2) if engine == "local" else ():
        out.seek(start)
        out.truncate()
        rater = StreamRates(opts, out.write, years, threaded=threaded)
        out.write(rater.header)
        if progress:
            from tqdm.auto import tqdm

            rater.progress = tqdm(desc="repricing", unit=" rows", unit_scale=True)
        try:
            res = scan(source, "yields", rater, chunk_rows=rows, table=table)
        except _Abandon:
            rater.close()
            how = _WHY[rater.stop]
            break
        except BaseException:
            rater.stop = rater.stop or "aborted"  # the worker skips what is queued
            rater.close()
            raise
        rater.close()
        if rater.stop is None:
            if not rater.cells and not rater.skipped:
                raise DataError([Problem("yields", None, None, "empty",
                                         "the yields table has no rows: nothing to rate")])
            if rater.skipped and on_invalid == "error":
                raise DataError(_unrated_problems(rater.skipped))
            return RepriceRun(res.rows, res.chunks, res.engine, rater.cells, rater.skipped,
                              peak_rss(), how)
        how = _WHY[rater.stop]
        if rater.stop != "years" or years is not None:
            break
        years = rater.years
    if engine != "local":
        how = f"in memory: the {engine} engine"
    out.seek(start)
    out.truncate()
    panel, res = load_yield_panel(source, engine=engine, scheduler=scheduler,
                                  chunk_rows=chunk_rows, table=table)
    rates = reprice(panel, opts.theta, detrend=detrend, adjustment=adjustment,
                    density=density, bandwidth=bandwidth, rating_year=rating_year,
                    min_years=min_years, on_invalid=on_invalid, chunk_size=chunk_size)
    out.write(csv_bytes(rates))
    return RepriceRun(res.rows, res.chunks, res.engine, len(rates) // len(opts.theta),
                      rates.attrs["skipped"], peak_rss(), how)


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
