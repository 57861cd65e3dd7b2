"""Pareto frontier (帕累托前沿) between price and benefit.

A design ``a`` *dominates* ``b`` when it costs no more and gives no less — ``cost_a ≤ cost_b`` and
``benefit_a ≥ benefit_b`` — and is strictly better in one of the two. The frontier is the set of
designs no other design dominates: for each price the most generous design, and along it every
extra yuan of premium buys extra benefit. Designs with identical (cost, benefit) do not dominate
each other, so duplicates are all on the frontier.

The computation sorts once (O(K log K)): after sorting by cost, a design is non-dominated iff its
benefit is the largest at its cost and strictly above the best benefit of every cheaper design.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from puhui.errors import ParameterError

__all__ = ["pareto_mask", "pareto_frontier"]


def pareto_mask(cost, benefit) -> np.ndarray:
    """Boolean mask of the non-dominated points (minimise ``cost``, maximise ``benefit``).

    Points with a NaN in either value cannot be compared and are never on the frontier.

    Examples
    --------
    >>> pareto_mask([100, 120, 110, 130], [50, 70, 40, 70]).tolist()
    [True, True, False, False]
    """
    c = np.asarray(cost, dtype=float)
    b = np.asarray(benefit, dtype=float)
    if c.shape != b.shape or c.ndim != 1:
        raise ParameterError(f"cost, benefit: need two 1-D arrays of one length, got {c.shape} "
                             f"and {b.shape}")
    ok = ~(np.isnan(c) | np.isnan(b))
    idx = np.flatnonzero(ok)
    out = np.zeros(c.shape, bool)
    if idx.size == 0:
        return out
    cs, bs = c[idx], b[idx]
    order = np.lexsort((-bs, cs))  # cost ascending, benefit descending
    cs, bs = cs[order], bs[order]
    starts = np.flatnonzero(np.r_[True, cs[1:] != cs[:-1]])  # first of each cost group
    group = np.cumsum(np.r_[True, cs[1:] != cs[:-1]]) - 1
    group_best = bs[starts]  # sorted by benefit descending within the group
    best_cheaper = np.r_[-np.inf, np.maximum.accumulate(group_best)[:-1]]
    keep = (bs == group_best[group]) & (bs > best_cheaper[group])
    out[idx[order[keep]]] = True
    return out


def pareto_frontier(table: pd.DataFrame, cost: str = "required_premium",
                    benefit: str = "share_paid") -> pd.DataFrame:
    """Rows of ``table`` on the Pareto frontier of ``cost`` (min) against ``benefit`` (max).

    Parameters
    ----------
    table : DataFrame
        One row per design, e.g. :attr:`puhui.tuning.evaluate.Evaluation.table`.
    cost : str, default "required_premium"
        Column to minimise (所需保费, or ``price``, ``expected_cr`` …).
    benefit : str, default "share_paid"
        Column to maximise: the share of members paid (获赔率), ``payout_per_claimant``,
        ``benefit_ratio`` at a fixed price … Note that against ``required_premium`` the expected
        payout per member (``pure_premium``) is no trade-off at all — the required premium is an
        increasing affine function of it, so every design would be on that "frontier".

    Returns
    -------
    DataFrame
        The frontier rows sorted by cost ascending, then benefit descending, then original row
        order (deterministic for ties).
    """
    for col in (cost, benefit):
        if col not in table.columns:
            raise ParameterError(f"column {col!r} not in the table; columns: "
                                 f"{list(table.columns)[:20]} …")
    mask = pareto_mask(table[cost].to_numpy(float), table[benefit].to_numpy(float))
    front = table[mask]
    order = np.lexsort((np.arange(len(front)), -front[benefit].to_numpy(float),
                        front[cost].to_numpy(float)))
    return front.iloc[order]
