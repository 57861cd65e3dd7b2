"""What a benefit design is priced or tuned on (成本数据): member × line costs, or fitted laws.

* :func:`cost_table` — **the** member × benefit-line cost table of puhui, built once from a
  ``policies`` table (one row per member-year) and a long ``costs`` table: one row per member-year
  with the annual covered cost on every line (0 where the member had none), trended to the pricing
  year ``Y`` before any benefit is applied::

      x̃_il = x_il · (1 + g)^(Y − y_i)

  (``g`` the medical trend, 医疗费用趋势; ``y_i`` the policy year). Every table problem is a
  :class:`puhui.errors.DataError` naming the table, the column, the row and the value.
  :class:`MemberCosts` (tuning) and :func:`puhui.huiminbao.member_payouts` (pricing) both read it.
* :class:`MemberCosts` — experience by segment: evaluating on it is exact for the empirical law:
  each line × segment becomes a :class:`puhui.losses.empirical.Empirical` (the positive costs plus
  one atom at 0 weighted by the members without a cost), and the joint costs across lines are
  kept for the share of members paid and the covariance of the lines.
* :class:`CostModel` — a fitted model: for each line × segment the probability ``q`` that a
  member has a covered cost and the law of that cost when positive (a frozen ``scipy.stats``
  law or any object with ``lev_moment`` and ``sf``). Lines are then taken as independent.
  :class:`puhui.huiminbao.CostModelFitter` fits one.

All are product-neutral: the lines and the segments (人群, e.g. healthy / 既往症) are whatever the
caller's product defines (``segments=product.segments``); without them, the segments found in
the data, sorted.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from puhui.errors import DataError, ParameterError, Problem
from puhui.losses.empirical import Empirical
from puhui.losses.models import ZeroInflated

__all__ = ["CostModel", "CostTable", "MemberCosts", "cost_table", "segment_codes",
           "segment_weights"]


def _names(values, what: str) -> tuple[str, ...]:
    """Distinct, non-empty names (of lines or segments) as a tuple of str."""
    if isinstance(values, str) or not isinstance(values, Sequence | np.ndarray):
        raise ParameterError(f"{what}: give a sequence of names, got {values!r}")
    out = tuple(str(v) for v in values)
    if not out or len(set(out)) != len(out) or any(not v.strip() for v in out):
        raise ParameterError(f"{what}: need distinct, non-empty names, got {list(out)}")
    return out


def _of(owner: str | None, what: str) -> str:
    return f"a {what} of {owner}" if owner else f"one of the {what}s"


def _plain(value):
    """A numpy scalar as the Python value (errors show 2025.5, not np.float64(2025.5))."""
    return value.item() if isinstance(value, np.generic) else value


def _distinct(values: np.ndarray, few: int = 64) -> tuple[np.ndarray, list[int], list[str]]:
    """``(index of each row's value, first row of each value, the values as str)``, values in
    order of first appearance. A few distinct values (segments) are found by one comparison
    each — O(n) per value, no sort or string hashing of the whole column; more than ``few``
    fall back to :func:`pandas.factorize`."""
    n = values.size
    index = np.full(n, -1, dtype=np.int64)
    firsts: list[int] = []
    rest = np.ones(n, bool)
    start = 0
    while len(firsts) < few:
        left = np.flatnonzero(rest[start:])
        if left.size == 0:
            return index, firsts, [str(values[r]) for r in firsts]
        r = start + int(left[0])
        same = values == values[r]
        index[same] = len(firsts)
        firsts.append(r)
        rest &= ~same
        start = r + 1
    index, uniques = pd.factorize(values)  # codes in order of first appearance
    firsts = np.unique(index, return_index=True)[1].tolist()
    return index.astype(np.int64), firsts, [str(v) for v in uniques]


def segment_codes(values, segments=None, *, table: str = "policies",
                  column: str | None = "segment", owner: str | None = None,
                  rows=None) -> tuple[np.ndarray, tuple[str, ...]]:
    """Position of each row's segment in ``segments``, checked.

    Parameters
    ----------
    values : array_like
        The segment (人群) of each row, e.g. ``"healthy"`` / ``"preexisting"`` (既往症).
    segments : sequence of str, optional
        The segments allowed, in order (e.g. ``product.segments``). Default: the segments found
        in ``values``, sorted.
    table, column, owner : str
        Named in the error: the table and column read (``column=None`` when ``values`` is the
        table), and who defines the segments (e.g. ``"product HMB-XC"``).
    rows : array_like of int, optional
        1-based row numbers of ``values`` in ``table`` (default ``1, 2, …``).

    Returns
    -------
    (codes, segments) : (ndarray of int64, tuple of str)

    Raises
    ------
    DataError
        One problem per segment value not in ``segments``, at its first row, listing the
        segments allowed.

    Examples
    --------
    >>> segment_codes(["healthy", "preexisting", "healthy"])[0].tolist()
    [0, 1, 0]
    >>> segment_codes(["healthy", "sick"], ("healthy", "preexisting"), owner="product T")
    Traceback (most recent call last):
    ...
    puhui.errors.DataError: 1 problem(s) found:
      policies, column 'segment', row 2: [unknown_value] not a segment of product T:
      ['healthy', 'preexisting'] (value: 'sick')
    """
    raw = values.to_numpy() if isinstance(values, pd.Series) else np.asarray(values)
    if raw.ndim != 1:
        raise ParameterError(f"{column or table}: expected one value per row, got shape "
                             f"{raw.shape}")
    at = np.arange(1, raw.size + 1) if rows is None else np.asarray(rows)
    if raw.dtype.kind not in "US":  # text arrays hold no missing value
        missing = pd.isna(raw)
        if np.any(missing):
            r = int(np.flatnonzero(missing)[0])
            raise DataError([Problem(table, column, int(at[r]), "missing",
                                     "every row needs its segment", None)])
    found, firsts, names = _distinct(raw)
    if segments is None:
        segments = sorted(set(names))
        if not segments:
            raise ParameterError(f"{column or table}: no rows, so no segments")
    segs = _names(segments, "segments")
    position = {s: k for k, s in enumerate(segs)}
    lookup = np.array([position.get(name, -1) for name in names], dtype=np.int64)
    bad = np.flatnonzero(lookup < 0)
    if bad.size:
        raise DataError([Problem(table, column, int(at[firsts[u]]), "unknown_value",
                                 f"not {_of(owner, 'segment')}: {list(segs)}",
                                 _plain(raw[firsts[u]])) for u in bad])
    codes = lookup[found] if lookup.size else np.zeros(0, np.int64)
    return codes, segs


@dataclass(frozen=True, eq=False)
class CostTable:
    """The member × line cost table (result of :func:`cost_table`).

    Attributes
    ----------
    cost : ndarray, shape (n, lines)
        Trended annual covered cost of each member-year kept on each line (元).
    weight : ndarray, shape (n,)
        Exposure (member-years) of each row; 1 without an ``exposure`` column.
    segment : ndarray of int, shape (n,)
        Index into ``segments``.
    year : ndarray of int, shape (n,), or None
        Policy year (保单年度) of each row; None when the policies have no ``policy_year``.
    rows : ndarray of int, shape (n,)
        Position (0-based) of each row in the ``policies`` table.
    lines, segments : tuple of str
    to_year : int or None
        Year the costs were trended to (None without policy years).
    trend : float
        Medical trend per year used.
    count : ndarray of int64, shape (n,), or None
        Number of member-year rows of the policies each row stands for (条数): 1 for an
        ordinary row, ``c`` for a *count row* — ``c`` member-years of one segment and year
        without any cost merged into one row of cost 0 and weight their Σ exposure
        (:func:`puhui.experience.scale.member_cost_table`). None: every row is one member-year.
        Tuning's member law counts rows (``Σ count``) besides weighting them by exposure
        (:class:`MemberCosts`).
    """

    cost: np.ndarray
    weight: np.ndarray
    segment: np.ndarray
    year: np.ndarray | None
    rows: np.ndarray
    lines: tuple[str, ...]
    segments: tuple[str, ...]
    to_year: int | None
    trend: float
    count: np.ndarray | None = None

    def counts(self) -> np.ndarray:
        """The rows' counts as int64 (all 1 when :attr:`count` is None)."""
        if self.count is None:
            return np.ones(len(self.weight), dtype=np.int64)
        return np.asarray(self.count, dtype=np.int64)


def _counts(counts, n: int) -> np.ndarray | None:
    """Row counts as float (exact: whole numbers), checked: one whole number ≥ 1 per row."""
    if counts is None:
        return None
    c = np.asarray(counts)
    try:
        c = c.astype(float)
    except (TypeError, ValueError):
        raise ParameterError("counts: need one whole number ≥ 1 per row (member-years the "
                             "row stands for)") from None
    if c.shape != (n,) or np.any(~np.isfinite(c) | (c < 1) | (c != np.round(c))) \
            or np.any(c > 2.0**53):
        raise ParameterError(f"counts: need one whole number ≥ 1 per row ({n} rows; the "
                             f"member-years each row stands for), got shape {c.shape}")
    return c


def segment_weights(values, name: str, segments) -> dict[str, float]:
    """``values`` (a mapping segment → number: member-years, a mix) over ``segments``, a missing
    segment counting 0; an unknown segment, a negative or non-finite value, or all zero is a
    :class:`ParameterError` naming ``name``."""
    if not isinstance(values, Mapping):
        raise ParameterError(f"{name}: expected a mapping segment → value")
    unknown = set(values) - set(segments)
    if unknown:
        raise ParameterError(f"{name}: unknown segments {sorted(unknown)}; the segments are "
                             f"{list(segments)}")
    out = {s: float(values.get(s, 0.0)) for s in segments}
    if any(not np.isfinite(v) or v < 0 for v in out.values()) or sum(out.values()) <= 0:
        raise ParameterError(f"{name}: values must be finite, ≥ 0 and not all 0")
    return out


def _missing_columns(table: pd.DataFrame, name: str, columns, why: str = "") -> list[Problem]:
    return [Problem(name, c, None, "missing_column", "required column is missing" + why)
            for c in columns if c not in table.columns]


def _first_bad(table: str, column: str, bad: np.ndarray, rule: str, message: str,
               values) -> DataError:
    r = int(np.flatnonzero(bad)[0])
    return DataError([Problem(table, column, r + 1, rule, message, _plain(values.iloc[r]))])


def _numbers(frame: pd.DataFrame, column: str) -> np.ndarray:
    return pd.to_numeric(frame[column], errors="coerce").to_numpy(float)


def check_trend(trend) -> float:
    """The medical trend ``g`` (医疗费用趋势) as a float, finite and ``> −1``, else a
    ParameterError."""
    try:
        g = float(trend)
    except (TypeError, ValueError):
        g = np.nan
    if not (np.isfinite(g) and g > -1):
        raise ParameterError(f"trend: the medical trend must be finite and > −1, got {trend!r}")
    return g


def trended(cost: np.ndarray, year: np.ndarray, g: float, to_year: int) -> np.ndarray:
    """Costs (member-years × lines) of policy years ``year`` trended to ``to_year``:
    ``cost × (1 + g)^(to_year − year)`` — the one trend of the cost tables (whole or in chunks,
    :mod:`puhui.experience.scale`)."""
    return cost * ((1.0 + g) ** (to_year - np.asarray(year)))[:, None]


def cost_table(policies: pd.DataFrame, costs: pd.DataFrame, *, lines=None, segments=None,
               years=None, trend: float = 0.0, to_year: int | None = None,
               owner: str | None = None) -> CostTable:
    """The member × line cost table, trended: one row per member-year, one column per line.

    Parameters
    ----------
    policies : DataFrame
        One row per member-year: ``policy_id`` (unique), ``segment``; ``policy_year`` (保单年度,
        needed to select years or to trend); ``exposure`` (member-years, default 1 each).
    costs : DataFrame
        ``policy_id``, ``benefit_line``, ``cost``: annual covered cost (元, ground-up, before the
        起付线); a member-year without a row had no cost on the line; several rows of one
        member-year and line are added up.
    lines : sequence of str, optional
        The lines, in this order (default: the lines found, sorted); every cost row must be on
        one of them.
    segments : sequence of str, optional
        The segments allowed, in order (default: those found, sorted).
    years : int or sequence of int, optional
        Keep only these policy years (default: all).
    trend : float, default 0
        Medical trend ``g`` per year, finite and ``> −1``.
    to_year : int, optional
        Year ``Y`` the costs are trended to (default: the last policy year kept + 1).
    owner : str, optional
        Who defines the lines and segments, named in errors (e.g. ``"product HMB-XC"``).

    Returns
    -------
    CostTable

    Raises
    ------
    DataError
        A missing column; a repeated ``policy_id`` (its row); a segment not allowed, a policy
        year that is not a whole number, a negative or missing exposure; a cost row whose
        ``policy_id`` is not in ``policies``, whose line is not one of ``lines`` or whose cost is
        not a number ``≥ 0`` — each with its row and value.
    ParameterError
        A bad trend, or no member-years in ``years``.

    Examples
    --------
    >>> pol = pd.DataFrame({"policy_id": ["a", "b"], "segment": ["healthy", "preexisting"],
    ...                     "policy_year": [2024, 2025]})
    >>> cst = pd.DataFrame({"policy_id": ["a", "a", "b"], "benefit_line": ["x", "x", "y"],
    ...                     "cost": [100.0, 10.0, 50.0]})
    >>> t = cost_table(pol, cst, trend=0.1)  # trended to 2026: a by 1.1², b by 1.1
    >>> t.lines, t.to_year, t.cost.round(2).tolist()
    (('x', 'y'), 2026, [[133.1, 0.0], [0.0, 55.0]])
    """
    problems = (_missing_columns(policies, "policies", ("policy_id", "segment"))
                + _missing_columns(costs, "costs", ("policy_id", "benefit_line", "cost")))
    has_year = "policy_year" in policies.columns
    g = check_trend(trend)
    if not has_year and (years is not None or g != 0.0):
        why = " (needed to select policy years)" if years is not None else \
            " (needed for the medical trend)"
        problems += _missing_columns(policies, "policies", ("policy_year",), why)
    if problems:
        raise DataError(problems)

    ids = pd.Index(policies["policy_id"])
    if not ids.is_unique:
        raise _first_bad("policies", "policy_id", ids.duplicated(), "duplicate_id",
                         "one row per member-year is required", policies["policy_id"])
    seg, segments = segment_codes(policies["segment"], segments, owner=owner)
    year = None
    if has_year:
        raw_year = _numbers(policies, "policy_year")
        bad = ~np.isfinite(raw_year) | (raw_year != np.round(raw_year))
        if np.any(bad):
            raise _first_bad("policies", "policy_year", bad, "not_a_number",
                             "policy_year must be a whole year", policies["policy_year"])
        year = raw_year.astype(np.int64)
    if "exposure" in policies.columns:
        weight = _numbers(policies, "exposure")
        bad = ~np.isfinite(weight) | (weight < 0)
        if np.any(bad):
            raise _first_bad("policies", "exposure", bad, "negative_or_missing",
                             "exposure (member-years) must be ≥ 0", policies["exposure"])
    else:
        weight = np.ones(len(policies))

    pos = ids.get_indexer(costs["policy_id"])
    if np.any(pos < 0):
        raise _first_bad("costs", "policy_id", pos < 0, "unknown_id",
                         "policy_id not in policies", costs["policy_id"])
    if lines is None:
        lines = sorted(costs["benefit_line"].dropna().astype(str).unique().tolist())
        if not lines:
            raise ParameterError("lines: the costs table has no benefit line; give lines=")
    lines = _names(lines, "lines")
    line_idx = pd.Index(lines).get_indexer(costs["benefit_line"])
    if np.any(line_idx < 0):
        bad = np.flatnonzero(line_idx < 0)
        shown = costs["benefit_line"].iloc[bad]
        first = pd.Series(bad).groupby(shown.astype(str).to_numpy(), sort=False).first()
        hint = "" if owner else "; filter the costs table first to leave a line out"
        raise DataError([Problem("costs", "benefit_line", int(r) + 1, "unknown_value",
                                 f"not {_of(owner, 'line')}: {list(lines)}{hint}",
                                 costs["benefit_line"].iloc[r]) for r in first])
    amount = _numbers(costs, "cost")
    bad = ~np.isfinite(amount) | (amount < 0)
    if np.any(bad):
        raise _first_bad("costs", "cost", bad, "negative_or_missing",
                         "cost must be a number ≥ 0 (元)", costs["cost"])

    keep = np.ones(len(policies), bool)
    if years is not None:
        wanted = np.atleast_1d(np.asarray(years, dtype=np.int64))
        keep = np.isin(year, wanted)
        if not keep.any():
            raise ParameterError(f"years: no member-years in the policy years {wanted.tolist()}")
    target = None
    if year is not None:
        target = int(year[keep].max()) + 1 if to_year is None else int(to_year)
    elif to_year is not None:
        target = int(to_year)

    x = np.zeros((len(policies), len(lines)))
    np.add.at(x, (pos, line_idx), amount)
    rows = np.flatnonzero(keep)
    x = x[rows]
    if year is not None:
        x = trended(x, year[rows], g, target)
    return CostTable(cost=x, weight=weight[rows], segment=seg[rows],
                     year=None if year is None else year[rows], rows=rows, lines=lines,
                     segments=segments, to_year=target, trend=g)


class MemberCosts:
    """Annual covered cost per member-year and benefit line (经验数据), by segment.

    Parameters
    ----------
    costs : DataFrame or 2-D array, shape ``(n, lines)``
        Cost in yuan of each member-year on each line (0 = no covered cost); finite, ``≥ 0``.
    lines : sequence of str
        Line names of the columns (taken from the DataFrame's columns when omitted).
    segment : array_like of str, length n
        The segment (人群) of each member-year, e.g. ``"healthy"`` / ``"preexisting"`` (既往症).
    weights : array_like, length n, optional
        Exposure of each row in member-years (default 1 each).
    segments : sequence of str, optional
        The segments, in order — those the product defines (``product.segments``); a segment
        with no row has 0 member-years. Default: the segments found in ``segment``, sorted.
    counts : array_like of int, length n, optional
        Number of member-year rows each row stands for (条数; default 1 each): a row of count
        ``c`` is ``c`` members with the same costs whose exposures add up to its weight — e.g.
        the member-years without any cost of one segment × year merged into one row
        (:func:`puhui.experience.scale.member_cost_table`). Whole numbers ``≥ 1``.

    Notes
    -----
    Tuning reads the experience as members (:mod:`puhui.tuning.evaluate`): the law of a
    member's cost counts each row ``count`` times, the exposure weights the member-years.
    With ``n_i`` the count and ``w_i`` the exposure of row ``i`` (of a segment):

    * member law: ``P(X = x) = Σ_{i: x_i = x} n_i / Σ_i n_i``;
    * mean exposure per member ``m = Σ_i w_i / Σ_i n_i``;

    so a table with count rows gives the figures of its expanded rows (each row repeated
    ``n_i`` times, exposures any split of ``w_i``) exactly.

    Examples
    --------
    >>> mc = MemberCosts([[0.0, 0.0], [30_000.0, 500.0]], lines=["a", "b"],
    ...                  segment=["healthy", "preexisting"])
    >>> mc.members()
    {'healthy': 1.0, 'preexisting': 1.0}
    >>> MemberCosts([[0.0]], lines=["a"], segment=["healthy"],
    ...             segments=("healthy", "preexisting", "elderly")).members()
    {'healthy': 1.0, 'preexisting': 0.0, 'elderly': 0.0}

    Nine members without a cost (8.5 member-years) as one count row:

    >>> mc = MemberCosts([[0.0], [2_000.0]], lines=["a"], segment=["healthy", "healthy"],
    ...                  weights=[8.5, 1.0], counts=[9, 1])
    >>> mc.members(), mc.counts("healthy").tolist()
    ({'healthy': 9.5}, [9.0, 1.0])
    """

    def __init__(self, costs, lines: Sequence[str] | None = None, segment=None, weights=None,
                 *, segments: Sequence[str] | None = None, counts=None):
        if isinstance(costs, pd.DataFrame):
            lines = tuple(costs.columns) if lines is None else tuple(lines)
            x = costs.to_numpy(dtype=float)
        else:
            x = np.asarray(costs, dtype=float)
        if x.ndim != 2 or x.shape[0] == 0:
            raise ParameterError(f"costs: expected a non-empty 2-D table (members × lines), "
                                 f"got shape {x.shape}")
        if lines is None or len(lines) != x.shape[1]:
            raise ParameterError(f"lines: give one name per cost column ({x.shape[1]})")
        self.lines = _names(lines, "lines")
        bad = ~np.isfinite(x) | (x < 0)
        if np.any(bad):
            r, c = (int(v) for v in np.argwhere(bad)[0])
            raise DataError([Problem("costs", self.lines[c], r + 1, "negative_or_missing",
                                     "costs must be finite and ≥ 0", x[r, c])])
        if segment is None:
            raise ParameterError("segment: give each member-year's segment "
                                 "(e.g. healthy / preexisting)")
        if np.shape(segment) != (x.shape[0],):
            raise ParameterError(f"segment: expected {x.shape[0]} values, got shape "
                                 f"{np.shape(segment)}")
        codes, segs = segment_codes(segment, segments, table="segment", column=None)
        w = np.ones(x.shape[0]) if weights is None else np.asarray(weights, dtype=float)
        if w.shape != (x.shape[0],) or np.any(~np.isfinite(w) | (w < 0)):
            raise ParameterError("weights: need one finite weight ≥ 0 per member-year")
        self._setup(x, codes, segs, w, source=("segment", None, np.arange(1, x.shape[0] + 1)),
                    counts=_counts(counts, x.shape[0]))

    def _setup(self, x, codes, segments, w, *, source, counts=None) -> None:
        self._segments = tuple(segments)
        self._x = {s: np.ascontiguousarray(x[codes == k]) for k, s in enumerate(segments)}
        self._w = {s: w[codes == k] for k, s in enumerate(segments)}
        self._n = None if counts is None else {s: counts[codes == k]
                                               for k, s in enumerate(segments)}
        table, column, rows = source
        # a row of a table read in chunks (or a count row) has no position: rows −1 → 0
        self._first_row = {s: (table, column, int(rows[np.argmax(codes == k)]))
                           for k, s in enumerate(segments)
                           if np.any(codes == k) and rows[np.argmax(codes == k)] >= 1}
        self._laws: dict[tuple[str, str], Empirical] = {}

    @classmethod
    def from_tables(cls, policies: pd.DataFrame, costs: pd.DataFrame, *, lines=None,
                    policy_year=None, trend: float = 0.0, to_year=None, segments=None,
                    owner: str | None = None) -> MemberCosts:
        """Member × line costs from a ``policies`` table and a long ``costs`` table.

        The table is :func:`cost_table`'s (the one member × line cost table of puhui).

        Parameters
        ----------
        policies : DataFrame
            One row per member-year: ``policy_id``, ``segment`` and optionally ``policy_year``
            and ``exposure`` (member-years, used as weights).
        costs : DataFrame
            ``policy_id``, ``benefit_line``, ``cost`` (annual covered cost, yuan); a member
            with no row on a line had no cost there.
        lines : sequence of str, optional
            The lines, in this order (default: the lines found, sorted); every cost row must be
            on one of them.
        policy_year : int or sequence of int, optional
            Keep only these policy years (保单年度).
        trend : float, default 0
            Medical trend (医疗费用趋势) per year: a cost of year ``y`` is multiplied by
            ``(1 + trend)^(to_year − y)``.
        to_year : int, optional
            Year the costs are trended to (default: the last policy year kept + 1).
        segments : sequence of str, optional
            The segments the product defines, in order (``product.segments``); a member-year
            of another segment is a :class:`~puhui.errors.DataError` naming its row. Default:
            the segments found, sorted.
        owner : str, optional
            Who defines the lines and segments, named in errors (e.g. ``"product HMB-XC"``).
        """
        t = cost_table(policies, costs, lines=lines, segments=segments, years=policy_year,
                       trend=trend, to_year=to_year, owner=owner)
        return cls.from_table(t)

    @classmethod
    def from_table(cls, table: CostTable) -> MemberCosts:
        """The member costs of a :class:`CostTable` — of :func:`cost_table`, or a weighted one
        with count rows (:func:`puhui.experience.scale.member_cost_table`; its
        :attr:`CostTable.count` become the rows' counts). Errors name the rows of the
        ``policies`` table (a count row has none).

        >>> import pandas as pd
        >>> t = cost_table(pd.DataFrame({"policy_id": ["a", "b"], "segment": ["x", "x"]}),
        ...                pd.DataFrame({"policy_id": ["a"], "benefit_line": ["l"],
        ...                              "cost": [10.0]}))
        >>> MemberCosts.from_table(t)
        MemberCosts(lines=['l'], x=2 member-years)
        """
        if not isinstance(table, CostTable):
            raise ParameterError(f"expected a CostTable, got {type(table).__name__}")
        if table.cost.shape[0] == 0:
            raise ParameterError("policies: no member-years")
        out = cls.__new__(cls)
        out.lines = table.lines
        counts = None
        if table.count is not None:
            counts = _counts(table.count, table.cost.shape[0])
        out._setup(table.cost, table.segment, table.segments, table.weight,
                   source=("policies", "segment", table.rows + 1), counts=counts)
        return out

    # -- access ---------------------------------------------------------------------------------

    @property
    def segments(self) -> tuple[str, ...]:
        """The segments, in order."""
        return self._segments

    def members(self) -> dict[str, float]:
        """Member-years (the weight total) per segment."""
        return {s: float(self._w[s].sum()) for s in self._segments}

    def first_row(self, segment: str) -> tuple[str, str | None, int] | None:
        """``(table, column, 1-based row)`` of the first member-year of ``segment`` in the
        table the costs were built from (None when the segment has no row); errors name it."""
        return self._first_row.get(segment)

    def _segment(self, segment: str) -> str:
        if segment not in self._x:
            raise ParameterError(f"segment {segment!r} is not among the costs' segments "
                                 f"{list(self._segments)}")
        return segment

    def matrix(self, segment: str) -> tuple[np.ndarray, np.ndarray]:
        """``(costs (n_s, lines), weights (n_s,))`` of one segment (read-only)."""
        s = self._segment(segment)
        return self._x[s], self._w[s]

    def counts(self, segment: str) -> np.ndarray:
        """Number of member-year rows each row of ``segment`` stands for, as float (all 1
        without ``counts``); aligned with :meth:`matrix`."""
        s = self._segment(segment)
        return np.ones(len(self._w[s])) if self._n is None else self._n[s]

    def law(self, line: str, segment: str) -> Empirical:
        """Empirical law of the annual cost on ``line`` for members of ``segment``, zeros
        included (the positive costs plus one atom at 0 carrying the zero-cost weight)."""
        key = (line, segment)
        if key not in self._laws:
            if line not in self.lines:
                raise ParameterError(f"line {line!r} not in the costs; lines: {list(self.lines)}")
            x, w = self.matrix(segment)
            x = x[:, self.lines.index(line)]
            if w.sum() == 0:
                raise ParameterError(f"segment {segment!r} has no member-years")
            pos = x > 0
            sample = np.concatenate([[0.0], x[pos]])
            weights = np.concatenate([[w[~pos].sum()], w[pos]])
            self._laws[key] = Empirical(sample, weights)
        return self._laws[key]

    def __repr__(self) -> str:
        m = ", ".join(f"{s}={v:.0f}" for s, v in self.members().items())
        return f"MemberCosts(lines={list(self.lines)}, {m} member-years)"


class CostModel:
    """A fitted cost model per line × segment: cost probability and positive-cost law.

    Parameters
    ----------
    laws : mapping ``(line, segment) → law`` or ``→ (q, severity)``
        The law of a member's annual cost on the line, zeros included: a loss model with
        ``lev_moment(u, k)`` and ``sf(x)`` (e.g. :class:`puhui.losses.models.ZeroInflated`), or a
        pair ``(q, severity)`` — the probability ``0 < q ≤ 1`` of a covered cost in the year and
        the law of the cost when positive (a frozen ``scipy.stats`` law with closed-form limited
        moments, see :func:`puhui.losses.lev.lev_moment`, or any loss model), turned into
        ``ZeroInflated(1 − q, severity)``. Every line needs a law for every segment.
    members : mapping segment → float
        Member-years per segment (the portfolio mix and size); a segment left out has 0.
    segments : sequence of str, optional
        The segments, in order (e.g. ``product.segments``). Default: those of ``laws``, in the
        order they first appear.

    Notes
    -----
    A model carries no joint law of the lines: the share of members paid uses
    ``1 − Π_l (1 − P_l)`` and the variance ``Σ_l Var(Y_l)`` (lines independent).

    Examples
    --------
    >>> from scipy import stats
    >>> model = CostModel({("drugs", "healthy"): (0.01, stats.lognorm(1.0, scale=3000.0)),
    ...                    ("drugs", "preexisting"): (0.02, stats.lognorm(1.0, scale=3500.0))},
    ...                   members={"healthy": 9000, "preexisting": 1000})
    >>> model.lines, model.segments
    (('drugs',), ('healthy', 'preexisting'))
    """

    def __init__(self, laws: Mapping, members: Mapping[str, float], *,
                 segments: Sequence[str] | None = None):
        if not isinstance(laws, Mapping) or not laws:
            raise ParameterError("laws: expected a mapping (line, segment) → (q, law)")
        self._laws = {}
        lines, found = [], []
        for key, value in laws.items():
            try:
                line, seg = key
            except (TypeError, ValueError):
                raise ParameterError(f"laws: key {key!r} is not (line, segment)") from None
            line, seg = str(line), str(seg)
            if segments is not None and seg not in segments:
                raise ParameterError(f"laws[{key!r}]: unknown segment {seg!r}; use "
                                     f"{list(segments)}")
            if isinstance(value, tuple):
                try:
                    q, severity = value
                    q = float(q)
                except (TypeError, ValueError):
                    raise ParameterError(f"laws[{key!r}]: expected (q, severity)") from None
                if not 0 < q <= 1:
                    raise ParameterError(f"laws[{key!r}]: probability q must lie in (0, 1], "
                                         f"got {q!r}")
                value = ZeroInflated(1.0 - q, severity)
            if not (hasattr(value, "sf") and hasattr(value, "lev_moment")
                    or hasattr(value, "dist")):
                raise ParameterError(f"laws[{key!r}]: the law needs lev_moment and sf")
            self._laws[(line, seg)] = value
            if line not in lines:
                lines.append(line)
            if seg not in found:
                found.append(seg)
        segs = _names(found if segments is None else segments, "segments")
        missing = [(ln, s) for ln in lines for s in segs if (ln, s) not in self._laws]
        if missing:
            raise ParameterError(f"laws: missing line × segment {missing}")
        self.lines = tuple(lines)
        self._segments = segs
        self._members = segment_weights(members, "members", segs)

    @property
    def segments(self) -> tuple[str, ...]:
        """The segments, in order."""
        return self._segments

    def members(self) -> dict[str, float]:
        return dict(self._members)

    def first_row(self, segment: str) -> None:
        """A model has no rows (see :meth:`MemberCosts.first_row`)."""
        return None

    def law(self, line: str, segment: str):
        try:
            return self._laws[(line, segment)]
        except KeyError:
            raise ParameterError(f"no law for line {line!r}, segment {segment!r}") from None
