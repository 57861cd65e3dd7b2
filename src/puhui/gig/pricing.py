"""Pricing gig-worker cover per order, per day and per hour (按单/按天/按小时定价).

Per order, with ``λ_l`` the events per order of line ``l`` (the product's per-million rate /
10⁶), ``f = f_city · f_season`` the frequency factor and ``Y_l = pay_l(X_l)`` the payout of one
event (:func:`puhui.losses.expected_payout` on the line's layer stack):

* pure premium (纯保费) per order ``E = f Σ_l λ_l E[Y_l]``;
* paid claims per order ``n = f Σ_l λ_l P(Y_l > 0)``;
* gross premium per order (:func:`puhui.pricing.gross_up`)
  ``P = (E + k n) / (τ − v)`` — ``k`` the cost per claim (理赔费用), ``v`` the variable expense
  rate, ``τ`` the target 综合成本率;
* per day and per hour, with the activity log's mix: ``P_day = P · O / D`` and
  ``P_hour = P · O / H`` for the orders ``O``, worker-days ``D`` and hours ``H`` of a group
  (:func:`unit_premiums`) — the same expected premium income on the same activity.

Claims of a year with ``O`` orders are compound Poisson: ``N ~ Poisson(O f Σ λ_l)``, so the
cumulants of the total payout ``S`` are ``κ_j = O f Σ_l λ_l E[Y_l^j]`` (j = 1, 2, 3;
:func:`puhui.losses.payout.layer_moments`), which give P(CR > 100 %) by the NP2 approximation
(:func:`puhui.ratios.exceedance_probability`); :func:`claims_distribution` gives the law of ``S``
by the loss core's FFT instead.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..errors import ParameterError
from ..losses import Poisson, aggregate
from ..losses.coverage import coverage
from ..losses.discretize import DiscreteSeverity
from ..losses.payout import layer_moments
from ..pricing import gross_up
from .product import GRADE_SHARES, LINES, GigProduct


def _check(product) -> GigProduct:
    if not isinstance(product, GigProduct):
        raise ParameterError(f"product must be a puhui.gig.GigProduct, got "
                             f"{type(product).__name__}")
    return product


def line_moments(product: GigProduct, line: str, **terms) -> tuple[np.ndarray, ...]:
    """``E[Y]``, ``E[Y²]``, ``E[Y³]``, ``P(Y > 0)`` of one event's payout on ``line``.

    ``terms`` (medical ``deductible`` / ``payout_ratio`` / ``cap``, arrays broadcast) give a
    grid of medical designs; the fixed-sum lines are exact sums over their atoms.
    """
    _check(product)
    if line in ("death", "disability"):
        x, p = _atoms(product, line)
        return (np.asarray(p @ x), np.asarray(p @ x**2), np.asarray(p @ x**3),
                np.asarray(float(p[x > 0].sum())))
    law = product.severity(line)
    b = product.benefit(line, **terms) if line == "medical" else product.benefit(line)
    st = b.stack()
    shape = st.grid_shape
    d = np.broadcast_to(st.attachment[..., 0], shape).ravel()
    r = np.broadcast_to(st.share[..., 0], shape).ravel()
    cap = np.broadcast_to((st.top[..., 0] - st.attachment[..., 0]) * st.share[..., 0],
                          shape).ravel()
    return tuple(m.reshape(shape) for m in layer_moments(law, d, r, cap))


def _atoms(product: GigProduct, line: str) -> tuple[np.ndarray, np.ndarray]:
    """Amounts and probabilities of a fixed-sum line (death: one atom; disability: 10 grades)."""
    if line == "death":
        return np.array([product.death_sum]), np.array([1.0])
    return product.disability_sum * GRADE_SHARES, np.asarray(product.grade_probabilities)


def line_table(product: GigProduct) -> pd.DataFrame:
    """Per line (before factors): events per million orders, mean loss, E[pay], P(pay > 0),
    pure premium and paid claims per order."""
    _check(product)
    rows = []
    for line in LINES:
        m1, _, _, prob = line_moments(product, line)
        lam = product.rate(line)
        rows.append({"line": line, "per_million_orders": lam * 1e6,
                     "mean_loss": float(product.severity(line).mean()),
                     "expected_payout": float(m1), "payout_probability": float(prob),
                     "pure_per_order": lam * float(m1), "claims_per_order": lam * float(prob)})
    return pd.DataFrame(rows)


def per_order(product: GigProduct, city=None, season=None, **terms) -> dict[str, np.ndarray]:
    """Pure premium ``E``, paid claims ``n``, the cumulants ``κ₂, κ₃`` of the payout, and gross
    premium ``P`` per order; vectorised over cities / seasons and over medical ``terms`` (the
    medical grid's axes come first, then the shape of ``city``/``season``)."""
    _check(product)
    f = product.factor(city, season)
    k1 = k2 = k3 = n = 0.0
    grid = ()
    for line in LINES:
        m1, m2, m3, prob = line_moments(product, line, **terms)
        lam = product.rate(line)
        k1, k2, k3, n = k1 + lam * m1, k2 + lam * m2, k3 + lam * m3, n + lam * prob
        grid = np.broadcast_shapes(grid, np.shape(m1))
    f = np.asarray(f).reshape((1,) * len(grid) + np.shape(f))
    ex = tuple(slice(None) for _ in grid) + (None,) * (f.ndim - len(grid))
    k1, k2, k3, n = (np.asarray(np.broadcast_to(v, grid))[ex] * f for v in (k1, k2, k3, n))
    e = product.expenses
    gross = gross_up(k1, variable_rate=e.variable_rate, per_claim=e.per_claim,
                     expected_claims=n, target_combined_ratio=product.target_combined_ratio)
    return {"pure": k1, "claims": n, "second": k2, "third": k3, "gross": gross}


def unit_premiums(product: GigProduct, activity: pd.DataFrame, by=()) -> pd.DataFrame:
    """Gross premium per order, per worker-day and per hour of each group of an activity table.

    ``activity`` is :func:`puhui.experience.exposure.activity_exposure` output (``orders``,
    ``hours``, ``worker_days`` and the ``by`` columns; a ``city`` and/or ``season`` column among
    ``by`` applies the product's factors). Rows are summed over every other column first.
    Returns ``[*by, orders, worker_days, hours, orders_per_day, orders_per_hour, pure_per_order,
    premium_per_order, premium_per_day, premium_per_hour]``: ``P_day = P · O / D`` and
    ``P_hour = P · O / H``.
    """
    _check(product)
    by = (by,) if isinstance(by, str) else tuple(by)
    need = ("orders", "hours", "worker_days", *by)
    missing = [c for c in need if c not in activity.columns]
    if missing:
        raise ParameterError(f"activity lacks column(s) {missing}")
    if by:
        g = activity.groupby(list(by), sort=True, observed=True)[
            ["orders", "worker_days", "hours"]].sum().reset_index()
    else:
        g = activity[["orders", "worker_days", "hours"]].sum().to_frame().T
    o, d, h = (g[c].to_numpy(float) for c in ("orders", "worker_days", "hours"))
    if np.any(o <= 0) or np.any(d <= 0) or np.any(h <= 0):
        raise ParameterError("every group needs orders, worker-days and hours > 0")
    q = per_order(product, g["city"].to_numpy() if "city" in by else None,
                  g["season"].to_numpy() if "season" in by else None)
    gross = np.broadcast_to(q["gross"], o.shape)
    g["orders_per_day"], g["orders_per_hour"] = o / d, o / h
    g["pure_per_order"] = np.broadcast_to(q["pure"], o.shape)
    g["premium_per_order"] = gross
    g["premium_per_day"], g["premium_per_hour"] = gross * o / d, gross * o / h
    return g


def premium_income(product: GigProduct, orders, worker_days, hours) -> np.ndarray:
    """Premium collected at the product's filed ``premium`` on its ``premium_basis``:
    ``premium × orders`` (按单), ``× worker_days`` (按天) or ``× hours`` (按小时)."""
    _check(product)
    if product.premium is None:
        raise ParameterError("the product has no filed premium; price it first")
    unit = {"order": orders, "day": worker_days, "hour": hours}[product.premium_basis]
    return product.premium * np.asarray(unit, dtype=float)


def claims_distribution(product: GigProduct, orders: float, *, step: float = 50.0,
                        city=None, season=None, **terms):
    """Law of a year's total payout on ``orders`` orders by the loss core (FFT).

    ``N ~ Poisson(O f Σ λ_l)``; one claim's payout is drawn from the mixture of the lines'
    payout laws (:func:`puhui.losses.coverage`) weighted by ``λ_l``, discretised on
    ``0, step, …`` by rounding; then :func:`puhui.losses.aggregate`.
    """
    _check(product)
    o = float(orders)
    if not (np.isfinite(o) and o > 0):
        raise ParameterError(f"orders must be > 0, got {orders!r}")
    f = float(product.factor(city, season))
    lam = {line: product.rate(line) for line in LINES}
    total = sum(lam.values())
    if total <= 0:
        raise ParameterError("every line's rate is 0: no claims to distribute")
    top = max(product.death_sum, product.disability_sum, product.liability_limit,
              terms.get("cap", product.medical_cap))
    grid = np.arange(int(np.ceil(top / step)) + 2) * float(step)
    cdf = np.zeros_like(grid)
    for line in LINES:
        b = product.benefit(line, **terms) if line == "medical" else product.benefit(line)
        cdf += lam[line] / total * np.asarray(coverage(product.severity(line), b).cdf(
            grid + step / 2), float)
    pmf = np.maximum(np.diff(np.concatenate([[0.0], np.minimum(cdf, 1.0)])), 0.0)
    sev = DiscreteSeverity(pmf, float(step), "rounding", max(0.0, 1.0 - float(cdf[-1])))
    return aggregate(Poisson(o * f * total), sev)


__all__ = ["claims_distribution", "line_moments", "line_table", "per_order", "premium_income",
           "unit_premiums"]
