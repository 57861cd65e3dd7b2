"""Experience tables out of core (大数据量经验表): earned cells and member cost tables from a
``policies`` file read in chunks (:func:`puhui.data.chunks.scan`), on this machine or a Dask
cluster.

* :func:`earned_cells` — written premium, earned premium (已赚保费), earned exposure and UPR
  by group × calendar period. Each chunk goes through :func:`puhui.experience.exposure.earned`
  itself (no second formula): the cells of a policy depend on that policy alone, so the cells
  of the book are the sums of the cells of the chunks, grouped again by ``[*by, period]``.
  The sums are added in another order than in one pass, so they equal the in-memory table to
  about 1e-15 relative (tested to 1e-12); the keys, their order and the columns are identical.
  The local and Dask engines give byte-identical tables (same chunks, same order).
* :func:`member_cost_table` — the member × line cost table of
  :func:`puhui.experience.member_costs.cost_table` with the members **without any cost carried
  as counts**: one row per segment × policy year with cost 0 and weight Σ exposure, instead of
  one row per member. In a 惠民保 book about 80–90 % of the member-years have no covered cost,
  so the table shrinks by that share, and every weighted statistic of it (mean cost, the
  empirical law of :class:`~puhui.experience.member_costs.MemberCosts`) is unchanged.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

import numpy as np
import pandas as pd

from ..data.chunks import DEFAULT_CHUNK_ROWS, Aggregation, plain_columns, scan
from ..errors import DataError, ParameterError
from .exposure import OUTPUT_COLUMNS, earned
from .member_costs import CostTable, check_trend, cost_table, trended


def _plain_keys(frame: pd.DataFrame) -> pd.DataFrame:
    """Text columns of a chunk (Categorical, ``string[pyarrow]``) as object, as
    :func:`puhui.data.load` gives them."""
    return plain_columns(frame)


class EarnedAggregation(Aggregation):
    """Earned cells chunk by chunk: ``map`` is :func:`~puhui.experience.exposure.earned` of the
    chunk, ``combine`` adds the cells of the same ``[*by, period]`` key (sorted as
    :func:`earned` sorts them)."""

    def __init__(self, by=("product",), period="year", as_of=None,
                 exposure_base="unit_years"):
        self.by = (by,) if isinstance(by, str) else tuple(by)
        self.period, self.as_of, self.exposure_base = period, as_of, exposure_base

    def map(self, chunk):
        return _plain_keys(earned(chunk, self.by, self.period, self.as_of, self.exposure_base))

    def combine(self, partials):
        keys = [*self.by] + (["period"] if self.period is not None else [])
        cells = pd.concat(partials, ignore_index=True)
        if not keys:
            return cells[list(OUTPUT_COLUMNS)].sum().to_frame().T
        out = cells.groupby(keys, sort=True, dropna=False, observed=True)[
            list(OUTPUT_COLUMNS)].sum().reset_index()
        return out[[*keys, *OUTPUT_COLUMNS]]


def earned_cells(source, by: Sequence[str] | str = ("product",), period: str | None = "year",
                 as_of=None, *, exposure_base: str = "unit_years",
                 chunk_rows: int = DEFAULT_CHUNK_ROWS, engine: str = "local", scheduler=None,
                 table: str | None = None):
    """Earned cells of a ``policies`` file (CSV, Parquet file or partitioned folder) read and
    validated chunk by chunk: ``(cells, scan_result)``.

    ``cells`` is :func:`puhui.experience.exposure.earned` of the whole validated table
    (same columns, keys and order; the money to about 1e-15 relative: module notes);
    ``scan_result`` gives the rows, chunks, peak memory and engine
    (:class:`puhui.data.chunks.ScanResult`). ``engine="dask"`` maps the chunks on a
    ``dask.distributed`` cluster (``scheduler``: an address or a Client; default a
    LocalCluster of 2 processes).

    Examples
    --------
    >>> import puhui.datasets
    >>> path = puhui.datasets.data_dir() / "crops" / "policies.csv"
    >>> cells, res = earned_cells(path, by="product", chunk_rows=400)
    >>> res.chunks, round(float(cells["earned_premium"].sum()), 2) == round(float(
    ...     earned(puhui.data.load(path, "policies"), "product")["earned_premium"].sum()), 2)
    (3, True)
    """
    agg = EarnedAggregation(by, period, as_of, exposure_base)
    res = scan(source, "policies", agg, chunk_rows=chunk_rows, engine=engine,
               scheduler=scheduler, table=table)
    return res.result, res


class MemberCostAggregation(Aggregation):
    """A :class:`~puhui.experience.member_costs.CostTable` chunk by chunk, members without any
    cost as one row per segment × policy year (:func:`member_cost_table`). The ``costs`` table
    (rows only for member-years with a cost) is held in memory, sorted by ``policy_id``; each
    chunk of policies takes its own cost rows and goes through
    :func:`~puhui.experience.member_costs.cost_table` untrended; the trend to the common year
    is applied at the end, as ``cost_table`` applies it."""

    def __init__(self, costs: pd.DataFrame, *, lines=None, years=None, trend: float = 0.0,
                 to_year: int | None = None):
        if not isinstance(costs, pd.DataFrame):
            raise ParameterError(f"costs must be a DataFrame, got {type(costs).__name__}")
        missing = [c for c in ("policy_id", "benefit_line", "cost") if c not in costs.columns]
        if missing:
            raise _missing(missing)
        if lines is None:
            lines = sorted(costs["benefit_line"].dropna().astype(str).unique().tolist())
            if not lines:
                raise ParameterError("lines: the costs table has no benefit line; give lines=")
        self.lines = tuple(lines)
        order = np.argsort(costs["policy_id"].to_numpy(object), kind="stable")
        self.costs = costs.iloc[order].reset_index(drop=True)
        self.cost_rows = order  # position of each sorted row in the caller's table
        ids, first, count = np.unique(self.costs["policy_id"].to_numpy(object),
                                      return_index=True, return_counts=True)
        self.ids, self.first, self.count = pd.Index(ids), first, count
        self.years, self.trend, self.to_year = years, trend, to_year

    def map(self, chunk):
        chunk = _plain_keys(chunk)
        pos = self.ids.get_indexer(chunk["policy_id"].to_numpy(object))
        hit = pos[pos >= 0]
        k = self.count[hit]
        rows = np.repeat(self.first[hit] - np.cumsum(k) + k, k) + np.arange(k.sum())
        years = self.years
        if years is not None and "policy_year" in chunk.columns:
            wanted = np.atleast_1d(np.asarray(years, dtype=np.int64))
            if not np.isin(chunk["policy_year"].to_numpy(), wanted).any():
                return None, rows
        ct = cost_table(chunk, self.costs.iloc[rows], lines=self.lines, years=years)
        return _compact(ct), rows

    def combine(self, partials):
        matched = np.zeros(len(self.costs), bool)
        for _, rows in partials:
            matched[rows] = True
        if not matched.all():
            bad = int(np.flatnonzero(~matched)[0])
            from ..errors import Problem

            raise DataError([Problem("costs", "policy_id", int(self.cost_rows[bad]) + 1,
                                     "unknown_id", "policy_id not in policies",
                                     self.costs["policy_id"].iat[bad])])
        tables = [t for t, _ in partials if t is not None]
        if not tables:
            raise ParameterError(f"years: no member-years in the policy years {self.years}")
        segments = tuple(sorted({s for t in tables for s in t.segments}))
        seg = np.concatenate([np.searchsorted(segments, np.asarray(t.segments, object))[
            t.segment] for t in tables])
        has_year = tables[0].year is not None
        year = np.concatenate([t.year for t in tables]) if has_year else None
        whole = CostTable(cost=np.concatenate([t.cost for t in tables]),
                          weight=np.concatenate([t.weight for t in tables]), segment=seg,
                          year=year, rows=np.full(sum(len(t.weight) for t in tables), -1),
                          lines=self.lines, segments=segments, to_year=None, trend=0.0,
                          count=np.concatenate([t.counts() for t in tables]))
        out = _compact(whole)
        g = check_trend(self.trend)
        target = self.to_year
        if has_year:
            target = int(out.year.max()) + 1 if target is None else int(target)
            out = replace(out, cost=trended(out.cost, out.year, g, target))
        elif g != 0.0:
            raise _missing(["policy_year"], "policies")
        return replace(out, to_year=target, trend=g)


def _missing(columns, table="costs"):
    from ..errors import Problem

    return DataError([Problem(table, c, None, "missing_column", "a needed column is missing")
                      for c in columns])


def _compact(ct: CostTable) -> CostTable:
    """``ct`` with its rows of no cost on any line merged into one row per segment × year
    (cost 0, weight their Σ weight, ``count`` their Σ count, ``rows`` −1), after the rows with
    a cost (in their order). Segments × years without such rows get none."""
    zero = ~(ct.cost > 0).any(axis=1)
    if not zero.any():
        return ct if ct.count is not None else replace(ct, count=ct.counts())
    year = ct.year if ct.year is not None else np.zeros(len(ct.weight), np.int64)
    y0 = int(year.min()) if len(year) else 0
    span = int(year.max()) - y0 + 1 if len(year) else 1
    cell = ct.segment[zero].astype(np.int64) * span + (year[zero] - y0)
    size = len(ct.segments) * span
    w = np.bincount(cell, weights=ct.weight[zero], minlength=size)
    counts = ct.counts()
    n = np.bincount(cell, weights=counts[zero], minlength=size)  # exact: whole numbers < 2^53
    present = np.bincount(cell, minlength=size) > 0
    cells = np.flatnonzero(present)
    keep = ~zero
    return CostTable(
        cost=np.concatenate([ct.cost[keep], np.zeros((len(cells), len(ct.lines)))]),
        weight=np.concatenate([ct.weight[keep], w[present]]),
        segment=np.concatenate([ct.segment[keep], cells // span]).astype(ct.segment.dtype),
        year=None if ct.year is None else np.concatenate([ct.year[keep], cells % span + y0]),
        rows=np.concatenate([ct.rows[keep], np.full(len(cells), -1)]),
        lines=ct.lines, segments=ct.segments, to_year=ct.to_year, trend=ct.trend,
        count=np.concatenate([counts[keep], n[present].astype(np.int64)]))


def member_cost_table(policies, costs: pd.DataFrame, *, lines=None, years=None,
                      trend: float = 0.0, to_year: int | None = None,
                      chunk_rows: int = DEFAULT_CHUNK_ROWS, engine: str = "local",
                      scheduler=None):
    """The trended member × line cost table of a ``policies`` file read in chunks, the
    member-years without cost as counts: ``(table, scan_result)``.

    ``table`` is a :class:`~puhui.experience.member_costs.CostTable`: first every member-year
    with a cost on some line (its costs trended to ``to_year`` as
    :func:`~puhui.experience.member_costs.cost_table` trends them), then one row per segment ×
    policy year of the member-years without any cost (cost 0, weight Σ exposure, ``count`` the
    number of member-years merged, ``rows`` −1).
    Weighted, it is the table ``cost_table`` gives for the whole book (tests/test_scale.py);
    its ``rows`` are −1 (positions in a file read in chunks are not kept).

    Parameters
    ----------
    policies : path
        A ``policies`` CSV, Parquet file or partitioned folder (one row per member-year:
        ``policy_id``, ``segment``, ``policy_year``, ``exposure``).
    costs : DataFrame
        ``policy_id``, ``benefit_line``, ``cost`` (rows only for member-years with a cost:
        held in memory).
    lines, years, trend, to_year
        As :func:`~puhui.experience.member_costs.cost_table`.
    chunk_rows, engine, scheduler
        As :func:`puhui.data.chunks.scan`.
    """
    agg = MemberCostAggregation(costs, lines=lines, years=years, trend=trend, to_year=to_year)
    res = scan(policies, "policies", agg, chunk_rows=chunk_rows, engine=engine,
               scheduler=scheduler)
    return res.result, res


__all__ = ["EarnedAggregation", "MemberCostAggregation", "earned_cells", "member_cost_table"]
