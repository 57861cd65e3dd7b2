"""Participation (参保率) and anti-selection (逆选择): the price that still balances after the
membership reacts.

The eligible population (参保基数, e.g. the city's basic medical insurance members) is split into
risk classes ``k`` with population shares ``π_k``, expected claims ``c_k`` (元 per member-year
under the design) and a perceived value ``V_k`` (元). At price ``P`` a member of class ``k``
takes up the cover with probability (a logistic take-up in the price relative to the value)::

    t_k(P) = t_max / (1 + exp(β (P / V_k − 1)))

so ``V_k`` is the price at which half of ``t_max`` buy and ``β`` is the price sensitivity; the
price elasticity of take-up is ``−β (P/V_k)(1 − t_k/t_max)``. When members know their own risk,
the value rises with the expected cost, ``V_k = V̄ (c_k / c̄)^a`` (``a`` the risk awareness,
``c̄ = Σ π_k c_k``); then a member with a lower ``V_k`` is *more* price-sensitive, and a price
rise makes the healthier (lower-cost) members leave disproportionately: for two classes with
``V_j < V_k`` the ratio ``t_k/t_j`` rises with ``P`` (its log-derivative is
``β(1 − t_j)/V_j − β(1 − t_k)/V_k > 0`` because ``t_j ≤ t_k``), so the pool's average cost

    c̄(P) = Σ π_k t_k(P) c_k / Σ π_k t_k(P)

rises with the price while participation ``Σ π_k t_k(P)`` falls.

Balance (premium = claims + expenses at the target combined ratio ``τ``, with variable expense
rate ``v``, expense ``e`` per member and fixed expenses ``F`` per year spread over the
``n(P) = population · participation`` members)::

    b(P) = P (τ − v) − c̄(P) − e − F / n(P) = 0,   i.e.  P = R(P) = (c̄(P) + e + F/n(P)) / (τ − v)

``R(P)`` is the required premium once the membership has reacted to ``P``. An equilibrium is a
root of ``b``; the repricing ``P_{t+1} = R(P_t)`` converges to a root where ``b`` crosses from
deficit to surplus (``R' < 1``: stable) and moves away from one where it crosses back. When
``b < 0`` at every admissible price no price balances: each repricing drives out more healthy
members — the **death spiral** (死亡螺旋) behind the products discontinued since 2022
(DOMAIN.md: about a quarter by end-2023).

The take-up law and the balance equation are written here by hand (no library models insurance
participation); roots are found by :func:`scipy.optimize.brentq` on sign changes over a
geometric price grid, and a grid without a sign change is confirmed by
:func:`scipy.optimize.minimize_scalar` around the grid's best balance.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import optimize, special

from puhui.errors import ParameterError

__all__ = ["RiskClass", "ParticipationScenario", "Equilibrium", "equilibrium_price", "spiral"]


@dataclass(frozen=True)
class RiskClass:
    """One risk class of the eligible population.

    Parameters
    ----------
    name : str
    share : float
        Share of the eligible population (``π_k``), ``≥ 0``.
    cost : float
        Expected claims per member-year under the design (元), ``≥ 0``.
    value : float
        Perceived value ``V_k`` (元), ``> 0``: the price at which half of ``t_max`` take up.
    """

    name: str
    share: float
    cost: float
    value: float


def _positive(name, value, *, strict=True, upper=None) -> float:
    x = float(value)
    ok = np.isfinite(x) and (x > 0 if strict else x >= 0) and (upper is None or x <= upper)
    if not ok:
        rule = "> 0" if strict else "≥ 0"
        raise ParameterError(f"{name}: must be finite and {rule}"
                             + ("" if upper is None else f" and ≤ {upper}") + f", got {value!r}")
    return x


@dataclass(frozen=True, eq=False)
class ParticipationScenario:
    """A population of risk classes and the product's economics (scenario model).

    Parameters
    ----------
    classes : sequence of RiskClass
        Shares must sum to 1.
    population : float
        Eligible population (人), ``> 0``.
    sensitivity : float
        ``β > 0`` of the logistic take-up.
    max_take_up : float, default 1
        ``t_max`` in ``(0, 1]``.
    target_combined_ratio : float, default 0.95
        ``τ`` (目标综合成本率).
    variable_rate : float, default 0
        ``v``, variable expenses as a fraction of premium (``< τ``).
    expense_per_member : float, default 0
        ``e`` (元 per member).
    fixed_expense : float, default 0
        ``F`` (元 per year, whatever the membership).

    Examples
    --------
    >>> sc = ParticipationScenario.from_costs([60.0, 100.0, 160.0], [0.3, 0.5, 0.2],
    ...                                       population=1e6, mean_value=80.0, awareness=1.0,
    ...                                       sensitivity=2.0)
    >>> bool(sc.participation(120.0) < sc.participation(100.0))
    True
    >>> bool(sc.average_cost(120.0) > sc.average_cost(100.0))
    True
    """

    classes: tuple[RiskClass, ...]
    population: float
    sensitivity: float
    max_take_up: float = 1.0
    target_combined_ratio: float = 0.95
    variable_rate: float = 0.0
    expense_per_member: float = 0.0
    fixed_expense: float = 0.0
    _arrays: tuple = field(init=False, repr=False, compare=False)

    def __post_init__(self):
        classes = tuple(self.classes)
        if not classes or not all(isinstance(c, RiskClass) for c in classes):
            raise ParameterError("classes: give at least one RiskClass")
        object.__setattr__(self, "classes", classes)
        share = np.array([_positive(f"share of {c.name!r}", c.share, strict=False)
                          for c in classes])
        cost = np.array([_positive(f"cost of {c.name!r}", c.cost, strict=False)
                         for c in classes])
        value = np.array([_positive(f"value of {c.name!r}", c.value) for c in classes])
        if abs(share.sum() - 1.0) > 1e-9:
            raise ParameterError(f"classes: shares must sum to 1, got {share.sum():.12g}")
        _positive("population", self.population)
        _positive("sensitivity", self.sensitivity)
        _positive("max_take_up", self.max_take_up, upper=1.0)
        tau = _positive("target_combined_ratio", self.target_combined_ratio, upper=1.5)
        v = _positive("variable_rate", self.variable_rate, strict=False)
        if not v < tau:
            raise ParameterError(f"variable_rate ({v}) must be below the target combined ratio "
                                 f"({tau})")
        _positive("expense_per_member", self.expense_per_member, strict=False)
        _positive("fixed_expense", self.fixed_expense, strict=False)
        object.__setattr__(self, "_arrays", (share, cost, value))

    @classmethod
    def from_costs(cls, costs, shares, *, population: float, mean_value: float,
                   awareness: float, sensitivity: float, names=None,
                   **economics) -> ParticipationScenario:
        """Classes whose value follows their cost: ``V_k = V̄ (c_k / c̄)^a``.

        ``a = 0``: nobody knows their risk (every class values the cover at ``V̄``; no
        anti-selection); ``a = 1``: the value is proportional to the expected cost.
        ``economics`` are the remaining constructor arguments.
        """
        c = np.asarray(costs, dtype=float)
        s = np.asarray(shares, dtype=float)
        if c.shape != s.shape or c.ndim != 1 or c.size == 0:
            raise ParameterError("costs and shares: two 1-D arrays of the same length")
        a = _positive("awareness", awareness, strict=False)
        vbar = _positive("mean_value", mean_value)
        cbar = float(np.dot(s, c))
        if not cbar > 0:
            raise ParameterError("costs: the population's mean cost must be > 0")
        with np.errstate(divide="ignore"):
            values = vbar * (c / cbar) ** a
        names = [f"class {i + 1}" for i in range(c.size)] if names is None else list(names)
        return cls(tuple(RiskClass(str(n), float(si), float(ci), float(vi))
                         for n, si, ci, vi in zip(names, s, c, values, strict=True)),
                   population=population, sensitivity=sensitivity, **economics)

    # -- demand and cost -------------------------------------------------------------------------
    def _log_take_up(self, price) -> np.ndarray:
        p = np.asarray(price, dtype=float)
        if np.any(~np.isfinite(p) | (p <= 0)):
            raise ParameterError("price: must be finite and > 0 (元)")
        _, _, value = self._arrays
        # log t_k = log t_max − log(1 + exp(β (P/V_k − 1))), stable for any price
        return np.log(self.max_take_up) - np.logaddexp(
            0.0, self.sensitivity * (p[..., None] / value - 1.0))

    def take_up(self, price) -> np.ndarray:
        """``t_k(P)`` for every class: shape ``price.shape + (classes,)``."""
        return np.exp(self._log_take_up(price))

    def participation(self, price):
        """Participation rate ``Σ π_k t_k(P)`` (参保率), vectorised over prices."""
        share, _, _ = self._arrays
        return (self.take_up(price) @ share)[()]

    def members(self, price):
        """Members ``n(P) = population · participation`` (参保人数)."""
        return (self.population * np.asarray(self.participation(price)))[()]

    def pool_shares(self, price) -> np.ndarray:
        """Share of each class among the members: ``π_k t_k / Σ π_j t_j``."""
        share, _, _ = self._arrays
        with np.errstate(divide="ignore"):
            lw = self._log_take_up(price) + np.log(share)
        return np.exp(lw - special.logsumexp(lw, axis=-1, keepdims=True))

    def average_cost(self, price):
        """Expected claims per member of the pool at price ``P`` (元)."""
        _, cost, _ = self._arrays
        return (self.pool_shares(price) @ cost)[()]

    def _fixed_per_member(self, price):
        if self.fixed_expense == 0:
            return np.zeros(np.shape(price))
        with np.errstate(divide="ignore", over="ignore"):  # nobody left: an infinite share
            return self.fixed_expense / np.asarray(self.members(price))

    def required_premium(self, price):
        """``R(P) = (c̄(P) + e + F/n(P)) / (τ − v)``: the premium that balances at the target
        combined ratio once the membership has reacted to ``P`` (元)."""
        num = (np.asarray(self.average_cost(price)) + self.expense_per_member
               + self._fixed_per_member(price))
        return (num / (self.target_combined_ratio - self.variable_rate))[()]

    def balance(self, price):
        """``b(P) = P (τ − v) − c̄(P) − e − F/n(P)`` (元 per member; ``> 0`` = surplus over the
        target)."""
        p = np.asarray(price, dtype=float)
        return (p * (self.target_combined_ratio - self.variable_rate)
                - np.asarray(self.average_cost(p)) - self.expense_per_member
                - self._fixed_per_member(p))[()]

    def retention(self, old_price: float, new_price: float, base: float = 1.0) -> np.ndarray:
        """Renewal rate (续保率) of each class after a price change:
        ``base · min(1, t_k(P_new) / t_k(P_old))`` — members renew at the base rate unless the
        price change pushes them out of the take-up."""
        b = _positive("base", base, upper=1.0)
        lt = self._log_take_up(np.array([old_price, new_price], dtype=float))
        return b * np.minimum(1.0, np.exp(lt[1] - lt[0]))

    def elasticity(self, price):
        """Price elasticity of participation ``d ln(participation) / d ln P``."""
        share, _, value = self._arrays
        t = self.take_up(price)
        p = np.asarray(price, dtype=float)[..., None]
        eps = -self.sensitivity * p / value * (1.0 - t / self.max_take_up)
        return ((t * eps) @ share / (t @ share))[()]

    def table(self, price: float) -> pd.DataFrame:
        """Per class at price ``P``: share, cost, value, take-up, members, pool share."""
        share, cost, value = self._arrays
        t = self.take_up(float(price))
        return pd.DataFrame({"share": share, "cost": cost, "value": value, "take_up": t,
                             "members": self.population * share * t,
                             "pool_share": self.pool_shares(float(price))},
                            index=pd.Index([c.name for c in self.classes], name="class"))

    def default_range(self) -> tuple[float, float]:
        """Prices searched by default: from 1% of the lowest value to
        ``max(20 · highest value, 2 (c_max + e)/(τ − v))``."""
        _, cost, value = self._arrays
        hi = max(20.0 * value.max(), 2.0 * (cost.max() + self.expense_per_member)
                 / (self.target_combined_ratio - self.variable_rate))
        return 0.01 * float(value.min()), float(hi)


@dataclass(frozen=True, eq=False)
class Equilibrium:
    """Result of :func:`equilibrium_price`.

    Attributes
    ----------
    exists : bool
        A balancing price exists in the searched range (False: death spiral).
    price : float
        The lowest stable root of ``b`` (NaN when none).
    participation, members, average_cost : float
        At the equilibrium price (NaN when none).
    residual : float
        ``b(price)`` (元 per member), ``|·| ≤ 1e-8``.
    roots : DataFrame
        Every root found: ``price``, ``stable``, ``participation``.
    best_price, best_balance : float
        Price with the largest balance in the range and that balance (the least deficit when
        no equilibrium exists).
    price_range : (float, float)
    scenario : ParticipationScenario
    """

    exists: bool
    price: float
    participation: float
    members: float
    average_cost: float
    residual: float
    roots: pd.DataFrame
    best_price: float
    best_balance: float
    price_range: tuple[float, float]
    scenario: ParticipationScenario = field(repr=False)

    def summary(self) -> pd.DataFrame:
        """Per class at the equilibrium (or at the best price when none), with the headline
        numbers in ``.attrs``."""
        at = self.price if self.exists else self.best_price
        out = self.scenario.table(at)
        out.attrs.update(exists=self.exists, price=self.price, participation=self.participation,
                         members=self.members, average_cost=self.average_cost,
                         residual=self.residual, best_price=self.best_price,
                         best_balance=self.best_balance, price_range=self.price_range)
        return out

    def plot(self, ax=None, n: int = 400):
        """Demand (participation, right axis) and cost (required premium ``R(P)``, left axis)
        curves against the price, with the line ``R = P`` and the equilibrium. Returns the
        left Axes."""
        from puhui.plots import label, new_axes

        ax = new_axes(ax)
        sc = self.scenario
        lo, hi = self.price_range
        top = min(hi, 2.5 * (self.price if self.exists else self.best_price))
        p = np.linspace(max(lo, 1e-9), top, n)
        req = np.asarray(sc.required_premium(p))
        ax.plot(p, np.where(np.isfinite(req), req, np.nan), color="C3",
                label=label("所需保费 R(P)", "required premium R(P)"))
        ax.plot(p, p, color="k", lw=1, ls=":", label="R = P")
        if self.exists:
            ax.plot([self.price], [self.price], "o", color="C3",
                    label=label(f"均衡 {self.price:.1f} 元", f"equilibrium {self.price:.1f}"))
        ax.set_ylim(0, 1.3 * top)
        ax.set_xlabel(label("价格（元/人）", "price (yuan per member)"))
        ax.set_ylabel(label("每人所需保费（元）", "required premium (yuan)"))
        ax2 = ax.twinx()
        ax2.plot(p, 100 * np.asarray(sc.participation(p)), color="C0",
                 label=label("参保率", "participation"))
        ax2.set_ylabel(label("参保率（%）", "participation (%)"))
        ax2.set_ylim(bottom=0)
        handles = ax.get_legend_handles_labels()
        h2 = ax2.get_legend_handles_labels()
        ax.legend(handles[0] + h2[0], handles[1] + h2[1], fontsize="small", loc="upper center")
        ax.set_title(label("逆选择下的均衡价格", "equilibrium price under anti-selection")
                     if self.exists else label("无均衡：死亡螺旋", "no equilibrium: death spiral"))
        return ax


def _roots(f, grid: np.ndarray, values: np.ndarray) -> list[tuple[float, bool]]:
    out = []
    sign = values >= 0
    for i in np.flatnonzero(sign[1:] != sign[:-1]):
        a, b = grid[i], grid[i + 1]
        root = optimize.brentq(f, a, b, xtol=1e-13, rtol=4 * np.finfo(float).eps, maxiter=200)
        out.append((float(root), bool(not sign[i])))
    return out


def equilibrium_price(scenario: ParticipationScenario, price_range=None,
                      grid: int = 2001) -> Equilibrium:
    """The price that still balances after the membership reacts (逆选择下的均衡价格).

    Parameters
    ----------
    scenario : ParticipationScenario
    price_range : (float, float), optional
        Admissible prices (元), e.g. ``(49, 200)`` for the usual 惠民保 range; default
        :meth:`ParticipationScenario.default_range`.
    grid : int, default 2001
        Points of the geometric grid scanned for sign changes of the balance.

    Returns
    -------
    Equilibrium
        ``exists`` is False when ``b(P) < 0`` at every price in the range (death spiral).

    Examples
    --------
    >>> sc = ParticipationScenario.from_costs([60.0, 100.0, 160.0], [0.3, 0.5, 0.2],
    ...                                       population=1e6, mean_value=80.0, awareness=1.0,
    ...                                       sensitivity=2.0, variable_rate=0.1)
    >>> eq = equilibrium_price(sc)
    >>> eq.exists, abs(eq.residual) < 1e-8
    (True, True)
    """
    if not isinstance(scenario, ParticipationScenario):
        raise ParameterError("scenario: expected a ParticipationScenario")
    lo, hi = scenario.default_range() if price_range is None else map(float, price_range)
    if not (np.isfinite(lo) and np.isfinite(hi) and 0 < lo < hi):
        raise ParameterError(f"price_range: need 0 < low < high, got {price_range!r}")
    if int(grid) < 3:
        raise ParameterError("grid: at least 3 points")
    f = scenario.balance
    p = np.geomspace(lo, hi, int(grid))
    with np.errstate(over="ignore"):
        b = np.asarray(f(p), dtype=float)
    roots = _roots(f, p, b)
    i = int(np.nanargmax(b))
    res = optimize.minimize_scalar(lambda x: -f(x), bounds=(p[max(i - 1, 0)],
                                   p[min(i + 1, p.size - 1)]), method="bounded",
                                   options={"xatol": 1e-10 * p[i]})
    best_p, best_b = (float(res.x), float(-res.fun)) if -res.fun > b[i] else (float(p[i]),
                                                                              float(b[i]))
    if not roots and best_b > 0:  # two roots inside one grid cell, around the peak
        pts = np.array([p[max(i - 1, 0)], best_p, p[min(i + 1, p.size - 1)]])
        roots = _roots(f, pts, np.asarray(f(pts), dtype=float))
    table = pd.DataFrame(roots, columns=["price", "stable"])
    table["participation"] = (scenario.participation(table["price"].to_numpy())
                              if len(table) else [])
    stable = table[table["stable"]]
    exists = len(stable) > 0
    price = float(stable["price"].iloc[0]) if exists else np.nan
    if exists:
        part = float(scenario.participation(price))
        vals = (part, float(scenario.members(price)), float(scenario.average_cost(price)),
                float(f(price)))
    else:
        vals = (np.nan, np.nan, np.nan, np.nan)
    return Equilibrium(exists, price, *vals, roots=table, best_price=best_p,
                       best_balance=best_b, price_range=(lo, hi), scenario=scenario)


def spiral(scenario: ParticipationScenario, start_price: float, years: int = 10) -> pd.DataFrame:
    """Year-by-year repricing ``P_{t+1} = R(P_t)`` from ``start_price``: converges to a stable
    equilibrium, or rises without bound in a death spiral (stops when nobody is left).

    Returns
    -------
    DataFrame
        ``year``, ``price``, ``participation``, ``members``, ``average_cost``,
        ``required_premium`` (the next year's price).
    """
    price = _positive("start_price", start_price)
    rows = []
    for year in range(int(years) + 1):
        req = float(scenario.required_premium(price))
        rows.append({"year": year, "price": price,
                     "participation": float(scenario.participation(price)),
                     "members": float(scenario.members(price)),
                     "average_cost": float(scenario.average_cost(price)),
                     "required_premium": req})
        if not np.isfinite(req):
            break
        price = req
    return pd.DataFrame(rows)
