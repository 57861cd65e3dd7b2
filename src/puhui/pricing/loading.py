"""From pure premium to gross premium (毛保费): expense loading and a risk margin.

Per member-year, with

* ``E`` the pure premium (纯保费, expected claims per member, 元),
* ``e`` the fixed expense per member (元, e.g. the platform and claims-handling cost),
* ``v`` the variable expense rate (手续费及佣金 + 业务及管理费 + 税金及附加 + 保险保障基金, as a
  fraction of premium; :attr:`puhui.pricing.Expenses.variable_rate`),
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

# the one expense model, re-exported: puhui.pricing.Expenses is puhui.pricing.expenses.Expenses
from puhui.pricing.expenses import Expenses

__all__ = ["BASES", "MEASURES", "Expenses", "gross_premium", "gross_up", "risk_margin"]

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


def _nonneg(name: str, value) -> np.ndarray:
    a = np.asarray(value, dtype=float)
    if np.any(~np.isfinite(a) | (a < 0)):
        raise ParameterError(f"{name}: must be finite and ≥ 0")
    return a


def _shares(name: str, value) -> np.ndarray:
    a = np.asarray(value, dtype=float)
    if np.any(~np.isfinite(a) | (a < 0) | (a >= 1)):
        raise ParameterError(f"{name}: a share of premium, must lie in [0, 1), got {value!r}")
    return a


def gross_up(pure, *, variable_rate, fixed=0.0, per_claim=0.0, expected_claims=0.0,
             margin_rate=0.0, target_combined_ratio=1.0, annuity=1.0, initial_share=0.0):
    """The one gross-up (毛保费/附加费率换算): premium from cost and loadings (vectorised).

    The premium ``P`` balances expected outgo against the premium kept after the loadings
    taken as shares of premium:

    ``τ·ä·P = E + F + k·n + (v + m)·ä·P + c₀·P``, so
    ``P = (E + F + k·n) / ((τ − v − m)·ä − c₀)``

    with ``E`` the pure premium (纯保费, or a present value of benefits and expenses), ``F`` a
    fixed amount per policy / member (元), ``k`` the cost per claim (理赔费用, 元) and ``n`` the
    expected number of claims per policy, ``v`` the variable expense rate (费用率: 手续费及佣金
    + 业务及管理费 + 税金及附加 + 保险保障基金 + …), ``m`` a profit margin (利润附加) as a share
    of premium, ``τ`` the target combined ratio (目标综合成本率; 1 = break-even), ``ä`` the
    value of the premiums paid (1 for one-year cover; the premium annuity ``ä_{x:h}`` for life
    cover) and ``c₀`` a share of the first premium only (首年附加). Special cases:

    * 惠民保 / non-life loading: ``P = (E + e + M) / (1 − v)`` and ``P = (E + e) / (τ − v)``
      (:func:`gross_premium`);
    * the agricultural 基准费率 = 基准纯风险损失率 / (1 − 附加费率) (``v`` = 附加费率,
      :func:`puhui.agri.rules.base_rate`);
    * life: ``G = outgo / ((1 − c)·ä − c₀)`` (:func:`puhui.life.gross_premium`) and one-year
      cover ``G = (P + I + e) / (1 − c − c₀ − m)`` (:func:`puhui.life.one_year_gross`).

    The numerator is summed and the denominator formed in exactly this order,
    ``((E + F) + k·n) / (((τ − v) − m)·ä − c₀)``, so that each special case gives the same
    bits as its textbook form (adding 0, subtracting 0 and multiplying by 1 are exact).

    Parameters
    ----------
    pure : float or array_like
        ``E`` (元), finite and ≥ 0.
    variable_rate : float or array_like
        ``v``, share of premium, in [0, 1).
    fixed, per_claim, expected_claims : float or array_like, default 0
        ``F``, ``k``, ``n``; finite and ≥ 0.
    margin_rate : float or array_like, default 0
        ``m``, share of premium, in [0, 1).
    target_combined_ratio : float, default 1
        ``τ > 0``, finite.
    annuity : float or array_like, default 1
        ``ä > 0``.
    initial_share : float or array_like, default 0
        ``c₀`` in [0, 1).

    Returns
    -------
    numpy.ndarray or numpy.float64
        ``P``, broadcast over the inputs.

    Raises
    ------
    ParameterError
        An input is out of range, or the loadings absorb the whole premium
        (``(τ − v − m)·ä − c₀ ≤ 0``).

    Examples
    --------
    >>> float(gross_up(80.0, variable_rate=0.2))            # 80 / 0.8
    100.0
    >>> float(gross_up(60.0, variable_rate=0.2, fixed=3.0, margin_rate=0.05))  # 63 / 0.75
    84.0
    >>> float(gross_up(0.03, variable_rate=0.20))           # 基准费率 at 附加费率 20%
    0.0375
    >>> float(gross_up(10.0, variable_rate=0.1, per_claim=50.0, expected_claims=0.2,
    ...                target_combined_ratio=0.9))          # (10 + 50·0.2) / (0.9 − 0.1)
    25.0
    """
    e = _nonneg("pure", pure)
    f = _nonneg("fixed", fixed)
    k = _nonneg("per_claim", per_claim)
    n = _nonneg("expected_claims", expected_claims)
    v = _shares("variable_rate", variable_rate)
    m = _shares("margin_rate", margin_rate)
    c0 = _shares("initial_share", initial_share)
    tau = _fraction("target_combined_ratio", target_combined_ratio, 0.0, math.inf)
    if tau == 0.0:
        raise ParameterError("target_combined_ratio: must be > 0")
    a = np.asarray(annuity, dtype=float)
    if np.any(~np.isfinite(a) | (a <= 0)):
        raise ParameterError("annuity: the value of the premiums paid must be finite and > 0")
    denom = (tau - v - m) * a - c0
    if np.any(denom <= 0):
        raise ParameterError("the loadings absorb the whole premium: (τ − variable_rate − "
                             "margin_rate)·annuity − initial_share must be > 0")
    return ((e + f + k * n) / denom)[()]


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
    by_margin = np.asarray(gross_up(cost, fixed=arrays["margin"], variable_rate=v))
    if basis == "margin":
        return by_margin[()]
    if target_combined_ratio is None:
        raise ParameterError(f"target_combined_ratio: needed for basis {basis!r}")
    tau = _fraction("target_combined_ratio", target_combined_ratio, 0.0, 1.5, hi_open=False)
    if not tau > v:
        raise ParameterError(f"target_combined_ratio ({tau}) must exceed the variable expense "
                             f"rate ({v}) to leave room for claims")
    by_target = np.asarray(gross_up(cost, variable_rate=v, target_combined_ratio=tau))
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
