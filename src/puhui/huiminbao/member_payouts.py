"""Member-level experience (经验数据) for 惠民保 pricing: trended costs and payouts per member-year.

Each member-year ``i`` has on each benefit line ``l`` an annual covered cost ``x_il`` (0 when the
costs table has no row). The cost is trended to the pricing year ``Y`` **before** the design is
applied, then paid under the member's segment terms (起付线 ``d``, 赔付比例 ``r``, 封顶线 ``C``)::

    x̃_il = x_il · (1 + g)^(Y − y_i)
    pay_il = min(r · (x̃_il − d)₊, C)

Trending the ground-up cost keeps the leverage of a deductible: with ``d > 0`` the expected
payout grows faster than the cost trend ``g`` (Klugman, Panjer & Willmot, *Loss Models*, ch. 8,
the effect of inflation on a deductible); trending payouts instead would understate it.

The trended member × line table ``x̃`` is :func:`puhui.experience.member_costs.cost_table` (the
one built for tuning's :class:`~puhui.experience.member_costs.MemberCosts` too), with the
product's lines and segments; the terms of each segment are the product's
(:meth:`puhui.huiminbao.Product.benefit`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from puhui.errors import DataError, ParameterError, Problem
from puhui.experience.member_costs import cost_table
from puhui.huiminbao.product import Product

__all__ = ["MemberPayouts", "member_payouts", "payouts_from_table", "table_for_product"]


@dataclass(frozen=True, eq=False)
class MemberPayouts:
    """Trended payouts of every member-year on every line (result of :func:`member_payouts`).

    Attributes
    ----------
    lines : tuple of str
        Benefit lines, in the product's order.
    payout : ndarray, shape (n, lines)
        Payout under the design of each member-year's trended cost (元).
    cost : ndarray, shape (n, lines)
        The trended annual covered costs (元).
    weight : ndarray, shape (n,)
        Member-years (exposure) of each row.
    segment : ndarray of int, shape (n,)
        Index into ``segments``.
    segments : tuple of str
        The product's segments (:attr:`puhui.huiminbao.Product.segments`).
    band : ndarray of int, shape (n,)
        Index into ``band_labels``.
    year : ndarray of int, shape (n,)
        Policy year (保单年度) of the row.
    band_labels : tuple of str
        Age bands ``[lower, upper)``; one band ``"all"`` when no bands are used.
    pricing_year : int
        Year the costs were trended to.
    trend : float
        Medical trend per year used.
    """

    lines: tuple[str, ...]
    payout: np.ndarray
    cost: np.ndarray
    weight: np.ndarray
    segment: np.ndarray
    segments: tuple[str, ...]
    band: np.ndarray
    year: np.ndarray
    band_labels: tuple[str, ...]
    pricing_year: int
    trend: float

    @property
    def years(self) -> tuple[int, ...]:
        return tuple(int(y) for y in np.unique(self.year))


def _band_edges(product: Product, bands) -> tuple[np.ndarray, np.ndarray, tuple[str, ...]]:
    if product.age_bands:
        if bands is not None:
            raise ParameterError("bands: the product is priced by age band; its price bands are "
                                 "used (leave bands=None)")
        pairs = [(lo, hi) for lo, hi, _ in product.age_bands]
    elif bands is None:
        return np.array([-np.inf]), np.array([np.inf]), ("all",)
    else:
        try:
            pairs = [(float(lo), float(hi)) for lo, hi in bands]
        except (TypeError, ValueError):
            raise ParameterError("bands: give age bands as (lower, upper) pairs, "
                                 "[lower, upper)") from None
        if not pairs:
            raise ParameterError("bands: at least one age band is needed")
        for (lo, hi), nxt in zip(pairs, pairs[1:] + [None], strict=True):
            if not lo < hi or (nxt is not None and nxt[0] != hi):
                raise ParameterError("bands: age bands must be contiguous [lower, upper) pairs "
                                     "with lower < upper")
    lows = np.array([p[0] for p in pairs], dtype=float)
    highs = np.array([p[1] for p in pairs], dtype=float)
    labels = tuple(f"{lo:g}-{hi:g}" for lo, hi in pairs)
    return lows, highs, labels


def _require(table: pd.DataFrame, name: str, columns: Sequence[str]) -> None:
    missing = [c for c in columns if c not in table.columns]
    if missing:
        raise DataError([Problem(name, c, None, "missing_column", "required column is missing")
                         for c in missing])


def _bands(product: Product, policies: pd.DataFrame, bands) -> tuple[np.ndarray, tuple]:
    """Age band index of every member-year (all 0, band ``all``, without bands)."""
    lows, highs, labels = _band_edges(product, bands)
    if labels == ("all",):
        return np.zeros(len(policies), dtype=np.int64), labels
    _require(policies, "policies", ("age",))
    age = pd.to_numeric(policies["age"], errors="coerce").to_numpy(float)
    band = np.searchsorted(lows, age, side="right") - 1
    inside = (band >= 0) & np.isfinite(age) & (age < highs[np.clip(band, 0, None)])
    if not np.all(inside):
        r = int(np.flatnonzero(~inside)[0])
        raise DataError([Problem("policies", "age", r + 1, "outside_bands",
                                 f"age outside the bands {list(labels)}",
                                 policies["age"].iloc[r])])
    return band, labels


def member_payouts(product: Product, policies: pd.DataFrame, costs: pd.DataFrame, *,
                   pricing_year: int | None = None, trend: float | None = None,
                   years: Sequence[int] | None = None, bands=None) -> MemberPayouts:
    """Trended costs and payouts per member-year and line under ``product``'s design.

    Parameters
    ----------
    product : puhui.huiminbao.Product
        Lines and their terms per segment; the age bands when priced by age.
    policies : DataFrame
        One row per member-year: ``policy_id`` (unique), ``segment`` (one of
        ``product.segments``), ``policy_year``; ``age`` when bands are used; ``exposure``
        (member-years, default 1).
    costs : DataFrame
        ``policy_id``, ``benefit_line``, ``cost``: annual covered cost (元, ground-up, before the
        起付线); a member without a row had no cost on the line; several rows of one member and
        line are added up.
    pricing_year : int, optional
        Year the costs are trended to (default: last policy year + 1).
    trend : float, optional
        Medical trend ``g`` per year (default: ``product.medical_trend``), ``> −1``.
    years : sequence of int, optional
        Policy years to use (default: all).
    bands : sequence of (lower, upper), optional
        Age bands ``[lower, upper)`` for the cells of a flat-priced product (used by credibility
        and to re-weight to a later age mix); an age-banded product uses its price bands.

    Returns
    -------
    MemberPayouts

    Raises
    ------
    DataError
        A problem in the tables (see :func:`puhui.experience.member_costs.cost_table`): e.g. a
        ``segment`` the product does not define, or a ``benefit_line`` that is not one of its
        lines — each named with its row, its value and the product's segments or lines.

    Examples
    --------
    >>> from puhui.huiminbao import Product, example_product_path
    >>> product = Product.from_toml(example_product_path())
    >>> pol = pd.DataFrame({"policy_id": ["a", "b"], "segment": ["healthy", "preexisting"],
    ...                     "policy_year": [2025, 2025]})
    >>> cst = pd.DataFrame({"policy_id": ["a"], "benefit_line": ["in_catalogue"],
    ...                     "cost": [30_000.0]})
    >>> mp = member_payouts(product, pol, cst, trend=0.0)
    >>> mp.payout[:, 0].tolist()  # 0.8 · (30,000 − 20,000); the 既往症 member had no cost
    [8000.0, 0.0]
    >>> member_payouts(product, pol.assign(segment=["healthy", "elderly"]), cst)
    Traceback (most recent call last):
    ...
    puhui.errors.DataError: 1 problem(s) found:
      policies, column 'segment', row 2: [unknown_value] not a segment of product HMB-XC:
      ['healthy', 'preexisting'] (value: 'elderly')
    """
    _require(policies, "policies", ("policy_id", "segment", "policy_year"))
    _require(costs, "costs", ("policy_id", "benefit_line", "cost"))
    band, labels = _bands(product, policies, bands)
    g = product.medical_trend if trend is None else trend
    table = cost_table(policies, costs, lines=[line.name for line in product.lines],
                       segments=product.segments, years=years, trend=g,
                       to_year=pricing_year, owner=f"product {product.code}")
    return _payouts(product, table, band[table.rows], labels)


def _payouts(product: Product, table, band: np.ndarray, labels) -> MemberPayouts:
    """The design's payout of every row of a cost table (lines and segments the product's)."""
    x, seg = table.cost, table.segment
    pay = np.zeros_like(x)
    for j, line in enumerate(table.lines):
        per_segment = product.benefit(line).terms  # the product's terms of every segment
        for s, name in enumerate(table.segments):
            mask = seg == s
            if mask.any():
                pay[mask, j] = per_segment[name].pay(x[mask, j])
    return MemberPayouts(lines=table.lines, payout=pay, cost=x, weight=table.weight,
                         segment=seg, segments=table.segments, band=band,
                         year=table.year, band_labels=labels, pricing_year=table.to_year,
                         trend=table.trend)


def table_for_product(product: Product, table, *, pricing_year: int | None = None,
                      trend: float | None = None, years: Sequence[int] | None = None,
                      bands=None):
    """A weighted cost table (:class:`~puhui.experience.member_costs.CostTable`, e.g. from
    :func:`puhui.experience.scale.member_cost_table`: the member-years without any cost as one
    row per segment × year with weight Σ exposure) put on the product's lines and segments, the
    policy ``years`` kept, and re-trended to ``trend`` (default the product's medical trend)
    and ``pricing_year`` (default the last year kept + 1), as :func:`member_payouts` trends,
    when they differ from the table's: ``x̃ = x_table · (1 + g)^(Y − y) / (1 + g_table)^(Y_table
    − y)``.

    A row stands for its weight in member-years, so every weighted statistic of the pricing
    and of tuning is that of the expanded rows; what needs each member (its age: age bands,
    fairness groups by age) is not in such a table, so ``bands`` and age-banded products are
    refused.
    """
    from dataclasses import replace

    from puhui.experience.member_costs import CostTable, check_trend, trended

    if not isinstance(table, CostTable):
        raise ParameterError(f"expected a CostTable, got {type(table).__name__}")
    if product.age_bands or bands is not None:
        raise ParameterError("a weighted cost table has no ages: price by age band from the "
                             "policies and costs (member by member), not from a cost table")
    if table.year is None:
        raise ParameterError("the cost table has no policy years (policy_year)")
    names = [line.name for line in product.lines]
    absent = [n for n in names if n not in table.lines]
    extra = [n for n in table.lines if n not in names]
    if absent or extra:
        raise ParameterError(f"the cost table's lines {list(table.lines)} are not the product "
                             f"{product.code}'s lines {names}")
    unknown = [s for s in table.segments if s not in product.segments]
    if unknown:
        raise ParameterError(f"the cost table has segment(s) {unknown} that are not segments "
                             f"of product {product.code}: {list(product.segments)}")
    keep = slice(None)  # every row: the table's arrays are shared, not copied (national size)
    if years is not None:
        wanted = np.atleast_1d(np.asarray(years, dtype=np.int64))
        inside = np.isin(table.year, wanted)
        if not inside.any():
            raise ParameterError(f"years: no member-years in the policy years {list(wanted)}")
        if not inside.all():
            keep = inside
    order = [table.lines.index(n) for n in names]
    cost = table.cost[keep]
    if order != list(range(len(order))):
        cost = cost[:, order]
    year = table.year[keep]
    g = check_trend(product.medical_trend if trend is None else trend)
    to_year = int(year.max()) + 1 if pricing_year is None else int(pricing_year)
    if g != table.trend or to_year != table.to_year:  # undo the table's trend, apply this one
        cost = trended(cost, year, g, to_year)  # a new array: divided in place
        cost /= ((1.0 + table.trend) ** (table.to_year - year))[:, None]
    seg = np.array([product.segments.index(s) for s in table.segments], dtype=np.int64)
    segment = table.segment[keep]
    if not np.array_equal(seg, np.arange(len(seg))):
        segment = seg[segment]
    return replace(table, cost=cost, weight=table.weight[keep], segment=segment, year=year,
                   rows=table.rows[keep], lines=tuple(names),
                   segments=tuple(product.segments), to_year=to_year, trend=g,
                   count=None if table.count is None else table.count[keep])


def payouts_from_table(product: Product, table, *, pricing_year: int | None = None,
                       trend: float | None = None, years: Sequence[int] | None = None,
                       bands=None) -> MemberPayouts:
    """:func:`member_payouts` of a weighted cost table (:func:`table_for_product`): the same
    payouts row by row, each row standing for its weight in member-years.

    Pricing adds each row's payout once (``Σ pay / Σ w``), so a row that stands for several
    members (``count > 1``) must have no cost — the count rows of
    :func:`puhui.experience.scale.member_cost_table` have none; another is refused.
    """
    t = table_for_product(product, table, pricing_year=pricing_year, trend=trend, years=years,
                          bands=bands)
    if t.count is not None:
        bad = (np.asarray(t.count) > 1) & (t.cost > 0).any(axis=1)
        if bad.any():
            raise ParameterError(f"the cost table has {int(bad.sum())} row(s) standing for "
                                 "several member-years (count > 1) with a cost: pricing adds "
                                 "each row's payout once; expand them into one row per "
                                 "member-year (only rows without any cost may be counts)")
    return _payouts(product, t, np.zeros(len(t.weight), dtype=np.int64), ("all",))
