"""Member-level experience (经验数据) for 惠民保 pricing: trended costs and payouts per member-year.

Each member-year ``i`` has on each benefit line ``l`` an annual covered cost ``x_il`` (0 when the
costs table has no row). The cost is trended to the pricing year ``Y`` **before** the design is
applied, then paid under the member's segment terms (起付线 ``d``, 赔付比例 ``r``, 封顶线 ``C``)::

    x̃_il = x_il · (1 + g)^(Y − y_i)
    pay_il = min(r · (x̃_il − d)₊, C)

Trending the ground-up cost keeps the leverage of a deductible: with ``d > 0`` the expected
payout grows faster than the cost trend ``g`` (Klugman, Panjer & Willmot, *Loss Models*, ch. 8,
the effect of inflation on a deductible); trending payouts instead would understate it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from puhui.errors import DataError, ParameterError, Problem
from puhui.huiminbao.product import SEGMENTS, Product

__all__ = ["MemberPayouts", "member_payouts"]


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
        Index into :data:`puhui.huiminbao.product.SEGMENTS` (healthy, preexisting).
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


def member_payouts(product: Product, policies: pd.DataFrame, costs: pd.DataFrame, *,
                   pricing_year: int | None = None, trend: float | None = None,
                   years: Sequence[int] | None = None, bands=None) -> MemberPayouts:
    """Trended costs and payouts per member-year and line under ``product``'s design.

    Parameters
    ----------
    product : puhui.huiminbao.Product
        Lines and their terms per segment; the age bands when priced by age.
    policies : DataFrame
        One row per member-year: ``policy_id`` (unique), ``segment`` (healthy / preexisting),
        ``policy_year``; ``age`` when bands are used; ``exposure`` (member-years, default 1).
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
    """
    _require(policies, "policies", ("policy_id", "segment", "policy_year"))
    _require(costs, "costs", ("policy_id", "benefit_line", "cost"))
    g = product.medical_trend if trend is None else float(trend)
    if not (np.isfinite(g) and g > -1):
        raise ParameterError(f"trend: the medical trend must be finite and > −1, got {trend!r}")
    ids = pd.Index(policies["policy_id"])
    if not ids.is_unique:
        dup = ids[ids.duplicated()][0]
        raise DataError([Problem("policies", "policy_id", None, "duplicate_id",
                                 "one row per member-year is required", dup)])
    seg_names = policies["segment"].astype(str).to_numpy()
    seg = pd.Index(SEGMENTS).get_indexer(seg_names)
    if np.any(seg < 0):
        r = int(np.flatnonzero(seg < 0)[0])
        raise DataError([Problem("policies", "segment", r + 1, "unknown_value",
                                 f"segment must be one of {SEGMENTS}", seg_names[r])])
    year = pd.to_numeric(policies["policy_year"], errors="coerce").to_numpy(float)
    if np.any(~np.isfinite(year)):
        r = int(np.flatnonzero(~np.isfinite(year))[0])
        raise DataError([Problem("policies", "policy_year", r + 1, "not_a_number",
                                 "policy_year must be a whole year",
                                 policies["policy_year"].iloc[r])])
    year = year.astype(np.int64)
    if "exposure" in policies.columns:
        weight = pd.to_numeric(policies["exposure"], errors="coerce").to_numpy(float)
        bad = ~np.isfinite(weight) | (weight < 0)
        if np.any(bad):
            r = int(np.flatnonzero(bad)[0])
            raise DataError([Problem("policies", "exposure", r + 1, "negative_or_missing",
                                     "exposure (member-years) must be ≥ 0",
                                     policies["exposure"].iloc[r])])
    else:
        weight = np.ones(len(policies))

    lows, highs, labels = _band_edges(product, bands)
    if labels == ("all",):
        band = np.zeros(len(policies), dtype=np.int64)
    else:
        _require(policies, "policies", ("age",))
        age = pd.to_numeric(policies["age"], errors="coerce").to_numpy(float)
        band = np.searchsorted(lows, age, side="right") - 1
        inside = (band >= 0) & np.isfinite(age) & (age < highs[np.clip(band, 0, None)])
        if not np.all(inside):
            r = int(np.flatnonzero(~inside)[0])
            raise DataError([Problem("policies", "age", r + 1, "outside_bands",
                                     f"age outside the bands {list(labels)}",
                                     policies["age"].iloc[r])])

    lines = tuple(line.name for line in product.lines)
    pos = ids.get_indexer(costs["policy_id"])
    if np.any(pos < 0):
        r = int(np.flatnonzero(pos < 0)[0])
        raise DataError([Problem("costs", "policy_id", r + 1, "unknown_id",
                                 "policy_id not in policies", costs["policy_id"].iloc[r])])
    line_idx = pd.Index(lines).get_indexer(costs["benefit_line"])
    if np.any(line_idx < 0):
        r = int(np.flatnonzero(line_idx < 0)[0])
        raise DataError([Problem("costs", "benefit_line", r + 1, "unknown_value",
                                 f"not a line of product {product.code}: {list(lines)}",
                                 costs["benefit_line"].iloc[r])])
    amount = pd.to_numeric(costs["cost"], errors="coerce").to_numpy(float)
    bad = ~np.isfinite(amount) | (amount < 0)
    if np.any(bad):
        r = int(np.flatnonzero(bad)[0])
        raise DataError([Problem("costs", "cost", r + 1, "negative_or_missing",
                                 "cost must be a number ≥ 0 (元)", costs["cost"].iloc[r])])

    keep = np.ones(len(policies), bool)
    if years is not None:
        wanted = np.atleast_1d(np.asarray(years, dtype=np.int64))
        keep = np.isin(year, wanted)
        if not keep.any():
            raise ParameterError(f"years: no member-years in {wanted.tolist()}")
    target = int(year[keep].max()) + 1 if pricing_year is None else int(pricing_year)

    x = np.zeros((len(policies), len(lines)))
    np.add.at(x, (pos, line_idx), amount)
    rows = np.flatnonzero(keep)
    x = x[rows] * ((1.0 + g) ** (target - year[rows]))[:, None]
    seg, band, year, weight = seg[rows], band[rows], year[rows], weight[rows]
    pay = np.zeros_like(x)
    for j, line in enumerate(product.lines):
        for s, name in enumerate(SEGMENTS):
            mask = seg == s
            if mask.any():
                pay[mask, j] = line.for_segment(name).pay(x[mask, j])
    return MemberPayouts(lines=lines, payout=pay, cost=x, weight=weight, segment=seg, band=band,
                         year=year, band_labels=labels, pricing_year=target, trend=g)
