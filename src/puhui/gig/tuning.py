"""Tuning study of gig-worker cover: medical 免赔额 × 赔付比例 × per-order premium.

For every design ``(d, r)`` of the medical line and every premium ``P`` per order, on a year
with the activity log's orders ``O`` (weighted by the frequency factors):

* ``pure_per_order`` ``E(d, r)`` and paid claims ``n(d, r)`` per order (:func:`per_order`);
* ``premium_per_day = P · O / D`` (the price a rider sees, 元 per day worked) —
  ``required_premium`` for :func:`puhui.tuning.optimise`;
* ``expected_cr = (E + k n)/P + v`` (:func:`puhui.ratios.expected_combined_ratio`);
* ``prob_cr_above_100`` — NP2 on the compound-Poisson cumulants
  (:func:`puhui.gig.review.prob_cr_above`);
* ``benefit_ratio = E / P`` (what riders get back per yuan) and ``share_paid``, the share of
  medical accidents that are paid something ``P(X > d)``.

:func:`choose` picks the design with the highest benefit ratio among those within a daily
budget, a target CR and a ceiling on P(CR > 100 %) (:func:`puhui.tuning.optimise`).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..errors import ParameterError
from ..ratios import expected_combined_ratio
from ..tuning import Constraints, optimise, pareto_mask
from .pricing import line_moments, per_order
from .product import GigProduct
from .review import prob_cr_above, season_of


def tune(product: GigProduct, log: pd.DataFrame, *, deductibles, payout_ratios, premiums,
         parameter_cv: float = 0.0, book_orders: float | None = None) -> pd.DataFrame:
    """Evaluate the grid ``deductibles × payout_ratios × premiums`` (one row per design).

    ``book_orders``: the orders of the book whose P(CR > 100 %) is wanted (default the log's;
    the log's mix of cities and seasons is kept)."""
    d, r, p = (np.asarray(v, dtype=float).ravel() for v in (deductibles, payout_ratios,
                                                          premiums))
    if min(d.size, r.size, p.size) == 0:
        raise ParameterError("give at least one deductible, payout ratio and premium")
    if np.any(p <= 0) or np.any(~np.isfinite(p)):
        raise ParameterError("premiums must be finite and > 0 (元 per order)")
    dd, rr, pp = d[:, None, None], r[None, :, None], p[None, None, :]
    f = product.factor(log["city"], season_of(log["date"]))
    orders = float(log["orders"].sum())
    factor = float(np.sum(log["orders"].to_numpy(float) * f)) / orders
    q = per_order(product, deductible=dd[..., 0], payout_ratio=rr[..., 0])
    pure, claims = q["pure"][..., None] * factor, q["claims"][..., None] * factor
    e = product.expenses
    cr = expected_combined_ratio(pure + e.per_claim * claims, pp,
                                 variable_rate=e.variable_rate)
    income = pp * orders
    scale = 1.0 if book_orders is None else float(book_orders) / orders
    prob = prob_cr_above(product, log, premium=income, parameter_cv=parameter_cv, scale=scale,
                         deductible=dd, payout_ratio=rr)
    share = line_moments(product, "medical", deductible=dd[..., 0], payout_ratio=rr[..., 0])[3]
    shape = (d.size, r.size, p.size)
    t = pd.DataFrame({
        "medical_deductible": np.broadcast_to(dd, shape).ravel(),
        "medical_ratio": np.broadcast_to(rr, shape).ravel(),
        "premium_per_order": np.broadcast_to(pp, shape).ravel(),
        "premium_per_day": np.broadcast_to(pp * orders / len(log), shape).ravel(),
        "pure_per_order": np.broadcast_to(pure, shape).ravel(),
        "expected_cr": np.broadcast_to(cr, shape).ravel(),
        "prob_cr_above_100": np.broadcast_to(prob, shape).ravel(),
        "benefit_ratio": np.broadcast_to(pure / pp, shape).ravel(),
        "share_paid": np.broadcast_to(share[..., None], shape).ravel(),
    })
    t.insert(0, "design", np.arange(len(t)))
    t["required_premium"] = t["premium_per_day"]
    t["frontier"] = pareto_mask(t["premium_per_day"].to_numpy(), t["benefit_ratio"].to_numpy())
    return t


def choose(table: pd.DataFrame, *, max_premium_per_day: float = 3.0,
           max_combined_ratio: float = 0.95, max_prob_loss: float = 0.10):
    """The design with the highest benefit ratio (then the higher share paid) within a daily
    budget, the target CR and P(CR > 100 %) ≤ α (:func:`puhui.tuning.optimise`)."""
    c = Constraints(max_price=max_premium_per_day, max_combined_ratio=max_combined_ratio,
                    max_prob_loss=max_prob_loss)
    return optimise(table, c, objective=["benefit_ratio", "share_paid"], maximize=[True, True])


__all__ = ["choose", "tune"]
