"""From pure premium to gross premium (毛保费): expense loading and a risk margin.

Per member-year, with

* ``E`` the pure premium (纯保费, expected claims per member, 元),
* ``e`` the fixed expense per member (元, e.g. the platform and claims-handling cost),
* ``v`` the variable expense rate (手续费及佣金 + 业务及管理费 + 税金及附加 + 保险保障基金, as a
  fraction of premium; :attr:`puhui.products.Expenses.variable_rate`),
* ``M`` the risk margin per member (风险边际, 元) and ``τ`` the target combined ratio
  (目标综合成本率),

the gross premium ``P`` is defined by one of two balance equations (``basis``):

* ``"margin"``: premium pays claims, expenses and the margin,
  ``P = E + e + M + v·P``, so ``P = (E + e + M) / (1 − v)``;
* ``"target"``: the expected combined ratio equals the target,
  ``(E + e)/P + v = τ``, so ``P = (E + e) / (τ − v)``;
* ``"max"``: the larger of the two, so that both the target combined ratio and the risk
  criterion behind ``M`` are met.

The risk margin comes from the distribution of the portfolio's aggregate claims ``S`` (N
members), :func:`risk_margin`:

* ``"var"``: ``M = (VaR_p(S) − E[S]) / N``. With the ``"margin"`` basis the premium income net
  of expenses is then ``N (P (1 − v) − e) = E[S] + N M = VaR_p(S)``, so
  ``P(S + expenses > premium) = P(CR > 100%) ≤ 1 − p``: the margin is exactly the premium such
  that the probability of an underwriting loss is at most ``α = 1 − p``;
* ``"tvar"``: ``M = (TVaR_p(S) − E[S]) / N`` (expected shortfall);
* ``"sd"``: ``M = k·σ(S) / N`` (standard-deviation principle, ``k = level``);
* ``"none"``: ``M = 0``.

Examples
--------
>>> round(float(gross_premium(80.0, variable_rate=0.098, expense_per_member=2.0, margin=5.0)), 4)
96.4523
>>> round(float(gross_premium(80.0, variable_rate=0.098, expense_per_member=2.0,
...                           target_combined_ratio=0.95, basis="target")), 4)
96.2441
"""

from __future__ import annotations

import math

import numpy as np

from puhui.errors import ParameterError

__all__ = ["BASES", "MEASURES", "gross_premium", "risk_margin"]

BASES = ("margin", "target", "max")
MEASURES = ("var", "tvar", "sd", "none")


def _fraction(name: str, value, lo: float, hi: float, *, hi_open: bool = True) -> float:
    try:
        x = float(value)
    except (TypeError, ValueError):
        raise ParameterError(f"{name}: expected a number, got {value!r}") from None
    ok = math.isfinite(x) and lo <= x and (x < hi if hi_open else x <= hi)
    if not ok:
        bracket = ")" if hi_open else "]"
        raise ParameterError(f"{name}: must lie in [{lo}, {hi}{bracket}, got {value!r}")
    return x


def gross_premium(pure_premium, *, variable_rate: float, expense_per_member=0.0, margin=0.0,
                  target_combined_ratio: float | None = None, basis: str = "margin"):
    """Gross premium per member (毛保费, 元) from the pure premium and the loadings (vectorised).

    Parameters
    ----------
    pure_premium : float or array_like
        ``E``, expected claims per member (元), ``≥ 0``.
    variable_rate : float
        ``v``, variable expenses as a fraction of premium, in ``[0, 1)``.
    expense_per_member : float or array_like, default 0
        ``e``, fixed expense per member (元), ``≥ 0``.
    margin : float or array_like, default 0
        ``M``, risk margin per member (元), ``≥ 0`` (used by the ``"margin"`` basis).
    target_combined_ratio : float, optional
        ``τ`` in ``(v, 1.5]`` (needed by the ``"target"`` and ``"max"`` bases).
    basis : {"margin", "target", "max"}
        ``(E + e + M)/(1 − v)``, ``(E + e)/(τ − v)`` or the larger of the two.

    Returns
    -------
    numpy.ndarray or numpy.float64
        ``P`` in yuan, broadcast over the inputs.
    """
    if basis not in BASES:
        raise ParameterError(f"basis: use one of {BASES}, got {basis!r}")
    v = _fraction("variable_rate", variable_rate, 0.0, 1.0)
    arrays = {}
    for name, value in (("pure_premium", pure_premium), ("expense_per_member", expense_per_member),
                        ("margin", margin)):
        a = np.asarray(value, dtype=float)
        if np.any(~np.isfinite(a) | (a < 0)):
            raise ParameterError(f"{name}: must be finite and ≥ 0 (元 per member)")
        arrays[name] = a
    cost = arrays["pure_premium"] + arrays["expense_per_member"]
    by_margin = (cost + arrays["margin"]) / (1.0 - v)
    if basis == "margin":
        return by_margin[()]
    if target_combined_ratio is None:
        raise ParameterError(f"target_combined_ratio: needed for basis {basis!r}")
    tau = _fraction("target_combined_ratio", target_combined_ratio, 0.0, 1.5, hi_open=False)
    if not tau > v:
        raise ParameterError(f"target_combined_ratio ({tau}) must exceed the variable expense "
                             f"rate ({v}) to leave room for claims")
    by_target = cost / (tau - v)
    return (by_target if basis == "target" else np.maximum(by_margin, by_target))[()]


def risk_margin(distribution, members: float, measure: str = "var", level: float = 0.95) -> float:
    """Risk margin per member (风险边际, 元) from the aggregate claims distribution.

    Parameters
    ----------
    distribution : aggregate distribution
        Of the portfolio's total claims ``S`` in one year (a
        :class:`~puhui.losses.aggregate_dist.DiscreteAggregate` or
        :class:`~puhui.losses.aggregate_dist.ApproxAggregate` from
        :func:`puhui.losses.aggregate`), with ``mean``, ``quantile``, ``tvar`` and ``std``.
    members : float
        ``N``, members in the portfolio (member-years), ``> 0``.
    measure : {"var", "tvar", "sd", "none"}
        ``(VaR_p − E[S])/N``, ``(TVaR_p − E[S])/N``, ``k σ(S)/N`` or 0.
    level : float, default 0.95
        ``p`` in ``(0, 1)`` for VaR / TVaR (``α = 1 − p`` is the accepted probability of an
        underwriting loss); the multiple ``k ≥ 0`` for ``"sd"``.

    Returns
    -------
    float
        ``M ≥ 0`` in yuan per member (a negative spread, possible only for a degenerate law, is
        reported as 0).

    Examples
    --------
    >>> from scipy import stats
    >>> from puhui.losses import Poisson, aggregate
    >>> S = aggregate(Poisson(100.0), stats.expon(scale=1000.0), method="normal")
    >>> round(risk_margin(S, members=10_000, measure="sd", level=2.0), 4)  # 2·√(2·10⁸)/10⁴
    2.8284
    """
    if measure not in MEASURES:
        raise ParameterError(f"measure: use one of {MEASURES}, got {measure!r}")
    n = float(members)
    if not (math.isfinite(n) and n > 0):
        raise ParameterError(f"members: the portfolio size must be > 0, got {members!r}")
    if measure == "none":
        return 0.0
    if measure == "sd":
        k = _fraction("level", level, 0.0, math.inf)
        return float(k * distribution.std() / n)
    p = _fraction("level", level, 0.0, 1.0)
    if p == 0.0:
        raise ParameterError("level: the VaR / TVaR level must lie in (0, 1)")
    mean = float(distribution.mean())
    upper = distribution.quantile(p) if measure == "var" else distribution.tvar(p)
    upper = float(upper)
    if not math.isfinite(upper):
        raise ParameterError(f"the aggregate distribution gives no finite {measure} at level "
                             f"{p}; widen its grid or use another method")
    return max(upper - mean, 0.0) / n
