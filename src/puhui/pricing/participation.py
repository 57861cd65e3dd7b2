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

**Take-up responds to the benefit too.** The costs ``c_k`` and values ``V_k`` describe the
scenario's *reference design* (today's 起付线 / 赔付比例 / 封顶线). A design that pays each member
``B`` times what the reference design pays (``B`` = the ratio of expected payouts per member, the
*benefit ratio*; the classes differ by how often they claim, so a design moves every class's
expected payout in the same proportion) changes the class costs to ``B c_k`` and the perceived
values to::

    V_k(B) = V_k · B^b

with ``b`` the benefit elasticity of the perceived value (``benefit_elasticity``). With the
value link ``V_k = V̄ (c_k/c̄)^a`` of :meth:`ParticipationScenario.from_costs` the default is
``b = a``: the value follows the class's own expected payout whatever moves it — its risk or the
design (``V_k(B) = V̄ (B c_k / c̄)^a``). ``b = 0`` is the price-only take-up. A cut in benefits
(``B < 1``) lowers every value, so fewer members buy at a given price, and — the low-value
(healthy) members being the more price-sensitive — the ones who leave are the healthier: the
same anti-selection as a price rise. This is the random-utility reading of the 惠民保 choice
experiments: utility falls with the premium and rises with the 赔付比例, falls with the 起付线
(Chen et al. 2022, a mixed logit on 947 respondents; Wang et al. 2025: members who see
themselves at higher risk value generous benefits more); and of contingent valuation: the
willingness to pay for basic cover rose from 30 to 47 元 when its coinsurance was removed and
to 43 元 without its deductible (Bärnighausen et al. 2007). The power form and ``b = a`` are
modelling choices (docs/pricing_huiminbao.md, "Take-up that responds to benefits").

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
:func:`scipy.optimize.minimize_scalar` around the grid's best balance. :func:`equilibrium_prices`
finds the equilibrium of many benefit ratios at once (one per design) with
:func:`lowest_stable_root`: the same scan for the first crossing from deficit to surplus, then a
bisection of every bracket together (vectorised, no loop per design).

Sources: Chen N., Bai J., Nicholas S., Maitland E., Tan J., Wang J. (2022), "Preferences for
private health insurance in China: a discrete choice experiment", *Frontiers in Public Health*
10:985582 (惠民保; utility falls with the premium, rises with the reimbursement ratio; a 15,000 元
deductible preferred to 20,000 元); Wang Q., Wang J., Zhang S., Yu F., De Allegri M. (2025),
"Psychological constructs and preferences for a complementary inclusive health insurance: a
hybrid choice model", *Health Policy and Planning*, doi:10.1093/heapol/czaf056; Bärnighausen
T., Liu Y., Zhang X., Sauerborn R. (2007),
"Willingness to pay for social health insurance among informal sector workers in Wuhan, China:
a contingent valuation study", *BMC Health Services Research* 7:114.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import optimize, special

from puhui.errors import ParameterError

__all__ = ["RiskClass", "ParticipationScenario", "Equilibrium", "equilibrium_price",
           "equilibrium_prices", "lowest_stable_root", "spiral"]


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
    benefit_elasticity : float, default 0
        ``b ≥ 0``: a design paying ``B`` times the reference design's expected payout changes
        each value to ``V_k B^b`` and each cost to ``B c_k`` (module docstring). 0: take-up
        responds to the price only. :meth:`from_costs` sets it to the risk awareness ``a``.

    Notes
    -----
    Every demand and cost method takes an optional ``benefit`` (``B``, broadcast against the
    price; 1 = the reference design).

    Examples
    --------
    >>> sc = ParticipationScenario.from_costs([60.0, 100.0, 160.0], [0.3, 0.5, 0.2],
    ...                                       population=1e6, mean_value=80.0, awareness=1.0,
    ...                                       sensitivity=2.0)
    >>> bool(sc.participation(120.0) < sc.participation(100.0))
    True
    >>> bool(sc.average_cost(120.0) > sc.average_cost(100.0))
    True

    A design paying 20% less loses members at the same price (``b = a = 1`` here):

    >>> bool(sc.participation(100.0, benefit=0.8) < sc.participation(100.0))
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
    benefit_elasticity: float = 0.0
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
        _positive("benefit_elasticity", self.benefit_elasticity, strict=False)
        object.__setattr__(self, "_arrays", (share, cost, value))

    @classmethod
    def from_costs(cls, costs, shares, *, population: float, mean_value: float,
                   awareness: float, sensitivity: float, names=None,
                   benefit_elasticity: float | None = None,
                   **economics) -> ParticipationScenario:
        """Classes whose value follows their cost: ``V_k = V̄ (c_k / c̄)^a``.

        ``a = 0``: nobody knows their risk (every class values the cover at ``V̄``; no
        anti-selection); ``a = 1``: the value is proportional to the expected cost.
        ``benefit_elasticity`` (default ``a``): the value follows the class's expected payout
        whatever moves it, its risk or the design, ``V_k(B) = V̄ (B c_k / c̄)^a``.
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
        b = a if benefit_elasticity is None else benefit_elasticity
        return cls(tuple(RiskClass(str(n), float(si), float(ci), float(vi))
                         for n, si, ci, vi in zip(names, s, c, values, strict=True)),
                   population=population, sensitivity=sensitivity, benefit_elasticity=b,
                   **economics)

    # -- demand and cost -------------------------------------------------------------------------
    def _benefit(self, price, benefit) -> tuple[np.ndarray, np.ndarray]:
        """Price and the factor ``1 / B^b`` on it (``P / V_k(B) = P / (V_k B^b)``), checked and
        broadcast; ``B^b`` is taken before broadcasting (one per design, not per price)."""
        p = np.asarray(price, dtype=float)
        if np.any(~np.isfinite(p) | (p <= 0)):
            raise ParameterError("price: must be finite and > 0 (元)")
        if benefit is None:
            return p, np.ones(())
        b = np.asarray(benefit, dtype=float)
        if np.any(~np.isfinite(b) | (b < 0)):
            raise ParameterError("benefit: the ratio of expected payouts to the reference "
                                 "design's must be finite and ≥ 0")
        try:
            np.broadcast_shapes(p.shape, b.shape)
        except ValueError:
            raise ParameterError(f"benefit: shape {b.shape} does not match the price's "
                                 f"{p.shape}") from None
        scale = b ** self.benefit_elasticity  # V_k(B) = V_k · B^b (B = 0: a cover worth nothing)
        with np.errstate(divide="ignore"):
            return p, np.where(scale > 0, 1.0 / np.where(scale > 0, scale, 1.0), np.inf)

    def _utility(self, price, benefit) -> np.ndarray:
        """``x_k = β (P / V_k(B) − 1)``, shape ``price.shape + (classes,)``: take-up is
        ``t_max / (1 + e^{x_k})``."""
        p, inv = self._benefit(price, benefit)
        _, _, value = self._arrays
        ratio = np.multiply(p, inv)[..., None]
        return self.sensitivity * (ratio / value - 1.0)

    def _log_take_up(self, price, benefit=None) -> np.ndarray:
        # log t_k = log t_max − log(1 + exp(x_k)), stable for any price
        return np.log(self.max_take_up) - np.logaddexp(0.0, self._utility(price, benefit))

    def take_up(self, price, benefit=None) -> np.ndarray:
        """``t_k(P)`` for every class: shape ``price.shape + (classes,)``; with ``benefit``
        ``B``, the take-up of a design paying ``B`` times the reference design (values
        ``V_k B^b``)."""
        return np.exp(self._log_take_up(price, benefit))

    def participation(self, price, benefit=None):
        """Participation rate ``Σ π_k t_k(P)`` (参保率), vectorised over prices (and benefit
        ratios)."""
        share, _, _ = self._arrays
        return (self.take_up(price, benefit) @ share)[()]

    def members(self, price, benefit=None):
        """Members ``n(P) = population · participation`` (参保人数)."""
        return (self.population * np.asarray(self.participation(price, benefit)))[()]

    def pool_shares(self, price, benefit=None) -> np.ndarray:
        """Share of each class among the members: ``π_k t_k / Σ π_j t_j`` (NaN when nobody
        takes up)."""
        share, _, _ = self._arrays
        with np.errstate(divide="ignore", invalid="ignore"):
            lw = self._log_take_up(price, benefit) + np.log(share)
            return np.exp(lw - special.logsumexp(lw, axis=-1, keepdims=True))

    def average_cost(self, price, benefit=None):
        """Expected claims per member of the pool at price ``P`` (元): ``B Σ_k w_k c_k`` with
        the pool shares ``w_k``."""
        _, cost, _ = self._arrays
        b = np.asarray(1.0 if benefit is None else benefit, dtype=float)
        return (self.pool_shares(price, benefit) @ cost * b)[()]

    def _fixed_per_member(self, price, benefit=None):
        if self.fixed_expense == 0:
            return np.zeros(np.broadcast_shapes(np.shape(price), np.shape(benefit)))
        with np.errstate(divide="ignore", over="ignore"):  # nobody left: an infinite share
            return self.fixed_expense / np.asarray(self.members(price, benefit))

    def required_premium(self, price, benefit=None):
        """``R(P) = (c̄(P) + e + F/n(P)) / (τ − v)``: the premium that balances at the target
        combined ratio once the membership has reacted to ``P`` (元)."""
        num = (np.asarray(self.average_cost(price, benefit)) + self.expense_per_member
               + self._fixed_per_member(price, benefit))
        return (num / (self.target_combined_ratio - self.variable_rate))[()]

    def balance(self, price, benefit=None):
        """``b(P) = P (τ − v) − c̄(P) − e − F/n(P)`` (元 per member; ``> 0`` = surplus over the
        target)."""
        p = np.asarray(price, dtype=float)
        return (p * (self.target_combined_ratio - self.variable_rate)
                - np.asarray(self.average_cost(p, benefit)) - self.expense_per_member
                - self._fixed_per_member(p, benefit))[()]

    def retention(self, old_price: float, new_price: float, base: float = 1.0) -> np.ndarray:
        """Renewal rate (续保率) of each class after a price change:
        ``base · min(1, t_k(P_new) / t_k(P_old))`` — members renew at the base rate unless the
        price change pushes them out of the take-up."""
        b = _positive("base", base, upper=1.0)
        lt = self._log_take_up(np.array([old_price, new_price], dtype=float))
        return b * np.minimum(1.0, np.exp(lt[1] - lt[0]))

    def elasticity(self, price, benefit=None):
        """Price elasticity of participation ``d ln(participation) / d ln P``."""
        share, _, value = self._arrays
        t = self.take_up(price, benefit)
        p, inv = self._benefit(price, benefit)
        eps = (-self.sensitivity * np.multiply(p, inv)[..., None] / value
               * (1.0 - t / self.max_take_up))
        return ((t * eps) @ share / (t @ share))[()]

    def benefit_elasticity_of_participation(self, price, benefit=None):
        """``d ln(participation) / d ln B`` at price ``P``: ``−b`` times the price elasticity
        (the take-up depends on ``P / B^b`` only)."""
        return (-self.benefit_elasticity * np.asarray(self.elasticity(price, benefit)))[()]

    def table(self, price: float, benefit: float = 1.0) -> pd.DataFrame:
        """Per class at price ``P`` (and benefit ratio ``B``): share, cost, value, take-up,
        members, pool share."""
        share, cost, value = self._arrays
        b = float(benefit)
        t = self.take_up(float(price), b)
        return pd.DataFrame({"share": share, "cost": cost * b,
                             "value": value * b ** self.benefit_elasticity, "take_up": t,
                             "members": self.population * share * t,
                             "pool_share": self.pool_shares(float(price), b)},
                            index=pd.Index([c.name for c in self.classes], name="class"))

    def default_range(self, benefit=1.0):
        """Prices searched by default: from 1% of the lowest value to
        ``max(20 · highest value, 2 (c_max + e)/(τ − v))`` — values and costs of the design
        with benefit ratio ``B`` (an array of ``B`` gives arrays of bounds)."""
        _, cost, value = self._arrays
        b = np.asarray(benefit, dtype=float)
        scale = b ** self.benefit_elasticity
        hi = np.maximum(20.0 * value.max() * scale, 2.0 * (cost.max() * b
                        + self.expense_per_member)
                        / (self.target_combined_ratio - self.variable_rate))
        lo = 0.01 * float(value.min()) * scale
        if b.ndim == 0:
            return float(lo), float(hi)
        return lo, hi


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
    benefit : float
        The design's benefit ratio ``B`` (1 = the reference design).
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
    benefit: float = 1.0

    def summary(self) -> pd.DataFrame:
        """Per class at the equilibrium (or at the best price when none), with the headline
        numbers in ``.attrs``."""
        at = self.price if self.exists else self.best_price
        out = self.scenario.table(at, self.benefit)
        out.attrs.update(exists=self.exists, benefit=self.benefit, price=self.price, participation=self.participation,
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
        req = np.asarray(sc.required_premium(p, self.benefit))
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
        ax2.plot(p, 100 * np.asarray(sc.participation(p, self.benefit)), color="C0",
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
                      grid: int = 2001, benefit: float = 1.0) -> Equilibrium:
    """The price that still balances after the membership reacts (逆选择下的均衡价格).

    Parameters
    ----------
    scenario : ParticipationScenario
    price_range : (float, float), optional
        Admissible prices (元), e.g. ``(49, 200)`` for the usual 惠民保 range; default
        :meth:`ParticipationScenario.default_range`.
    grid : int, default 2001
        Points of the geometric grid scanned for sign changes of the balance.
    benefit : float, default 1
        Benefit ratio ``B`` of the design priced (its expected payout per member over the
        reference design's): values ``V_k B^b``, costs ``B c_k``.

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
    benefit = _positive("benefit", benefit)
    lo, hi = (scenario.default_range(benefit) if price_range is None
              else map(float, price_range))
    if not (np.isfinite(lo) and np.isfinite(hi) and 0 < lo < hi):
        raise ParameterError(f"price_range: need 0 < low < high, got {price_range!r}")
    if int(grid) < 3:
        raise ParameterError("grid: at least 3 points")

    def f(x):
        return scenario.balance(x, benefit)

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
    table["participation"] = (scenario.participation(table["price"].to_numpy(), benefit)
                              if len(table) else [])
    stable = table[table["stable"]]
    exists = len(stable) > 0
    price = float(stable["price"].iloc[0]) if exists else np.nan
    if exists:
        part = float(scenario.participation(price, benefit))
        vals = (part, float(scenario.members(price, benefit)),
                float(scenario.average_cost(price, benefit)), float(f(price)))
    else:
        vals = (np.nan, np.nan, np.nan, np.nan)
    return Equilibrium(exists, price, *vals, roots=table, best_price=best_p,
                       best_balance=best_b, price_range=(lo, hi), scenario=scenario,
                       benefit=benefit)


def lowest_stable_root(balance, low, high, *, grid: int = 257,
                       rtol: float = 1e-13) -> tuple[np.ndarray, np.ndarray]:
    """The lowest price where each of K balance curves crosses from deficit to surplus,
    all K at once.

    Parameters
    ----------
    balance : callable
        ``balance(p, rows)``: the balances at prices ``p`` of shape ``(len(rows), m)`` — row
        ``i`` of ``p`` belongs to problem ``rows[i]`` (an integer index array) — of the same
        shape; vectorised, elementwise per row.
    low, high : array_like, shape (K,)
        Search range of each problem, ``0 < low < high``.
    grid : int, default 257
        Points of the geometric scan of each range.
    rtol : float, default 1e-13
        Relative change of the root estimate at which the refinement of a row stops.

    Returns
    -------
    (price, exists) : (ndarray, ndarray of bool), shape (K,)
        The first grid cell of each row where ``b < 0`` then ``b ≥ 0`` brackets the root,
        refined by the Illinois variant of false position (a bracketing method, superlinear;
        Dowell & Jarratt 1971), the unfinished rows together (NaN where no such cell: no stable
        equilibrium in the range).

    Notes
    -----
    Two roots inside one grid cell (a tangency, at the edge of a death spiral) are missed: the
    scan's step is ``(high/low)^{1/(grid−1)}``; :func:`equilibrium_price` checks the cell of
    the best balance as well. A false-position step that is not finite or leaves the bracket
    is replaced by a bisection step.

    Examples
    --------
    >>> roots = np.array([[2.0], [3.0]])
    >>> price, ok = lowest_stable_root(lambda p, rows: p - roots[rows], [1.0, 1.0],
    ...                                [10.0, 10.0])
    >>> price.round(12).tolist(), ok.tolist()
    ([2.0, 3.0], [True, True])
    """
    lo = np.atleast_1d(np.asarray(low, dtype=float))
    hi = np.atleast_1d(np.asarray(high, dtype=float))
    lo, hi = np.broadcast_arrays(lo, hi)
    if lo.ndim != 1:
        raise ParameterError("low, high: one bound per problem (1-D)")
    if np.any(~np.isfinite(lo) | ~np.isfinite(hi) | (lo <= 0) | (hi <= lo)):
        raise ParameterError("low, high: need 0 < low < high for every problem")
    if int(grid) < 3:
        raise ParameterError("grid: at least 3 points")
    k = lo.size
    rows = np.arange(k)
    steps = np.linspace(0.0, 1.0, int(grid))
    p = lo[:, None] * (hi / lo)[:, None] ** steps
    p[:, -1] = hi
    with np.errstate(over="ignore", invalid="ignore"):
        b = np.asarray(balance(p, rows), dtype=float)
    if b.shape != p.shape:
        raise ParameterError(f"balance: expected shape {p.shape}, got {b.shape}")
    cross = (b[:, :-1] < 0) & (b[:, 1:] >= 0)
    exists = cross.any(axis=1)
    j = np.argmax(cross, axis=1)
    root = np.full(k, np.nan)
    act = rows[exists]  # the rows still refined
    a, c = p[act, j[act]], p[act, j[act] + 1]
    fa, fc = b[act, j[act]], b[act, j[act] + 1]
    m = c.copy()
    kept_a = np.zeros(act.size, bool)  # which end the previous step kept (Illinois)
    kept_c = np.zeros(act.size, bool)
    for _ in range(200):
        if act.size == 0:
            break
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            fp = c - fc * (c - a) / (fc - fa)
        inside = np.isfinite(fp) & (fp > a) & (fp < c)
        new = np.where(inside, fp, 0.5 * (a + c))
        with np.errstate(over="ignore", invalid="ignore"):
            fm = np.asarray(balance(new[:, None], act), dtype=float)[:, 0]
        done = (np.abs(new - m) <= rtol * np.abs(new)) | (fm == 0) | (c - a <= rtol * c)
        m = new
        root[act[done]] = m[done]
        left = fm < 0  # the root lies above m: m replaces a
        # Illinois: the end kept twice running has its balance halved
        fc = np.where(left & kept_c, 0.5 * fc, fc)
        fa = np.where(~left & kept_a, 0.5 * fa, fa)
        a, fa = np.where(left, m, a), np.where(left, fm, fa)
        c, fc = np.where(left, c, m), np.where(left, fc, fm)
        kept_c, kept_a = left, ~left
        keep = ~done
        act, a, c, fa, fc, m = act[keep], a[keep], c[keep], fa[keep], fc[keep], m[keep]
        kept_a, kept_c = kept_a[keep], kept_c[keep]
    root[act] = m  # (not reached in practice: false position converges long before)
    return root, exists


def equilibrium_prices(scenario: ParticipationScenario, benefit, *, price_range=None,
                       grid: int = 513) -> pd.DataFrame:
    """The equilibrium price of many designs at once, one benefit ratio each (vectorised).

    Parameters
    ----------
    scenario : ParticipationScenario
    benefit : array_like, shape (K,)
        Benefit ratio ``B`` of each design (``> 0``; 1 = the reference design).
    price_range : (float, float), optional
        Admissible prices (元) for every design; default each design's
        :meth:`ParticipationScenario.default_range`.
    grid : int, default 513
        Points of each design's geometric scan (:func:`lowest_stable_root`).

    Returns
    -------
    DataFrame
        One row per design: ``benefit``, ``exists``, ``price`` (the lowest stable root, NaN
        when none), ``participation``, ``members``, ``average_cost`` at that price.

    Examples
    --------
    >>> sc = ParticipationScenario.from_costs([60.0, 100.0, 160.0], [0.3, 0.5, 0.2],
    ...                                       population=1e6, mean_value=80.0, awareness=1.0,
    ...                                       sensitivity=2.0, variable_rate=0.1)
    >>> eq = equilibrium_prices(sc, [0.8, 1.0])
    >>> bool(abs(eq["price"].iloc[1] - equilibrium_price(sc).price) < 1e-9)
    True
    """
    if not isinstance(scenario, ParticipationScenario):
        raise ParameterError("scenario: expected a ParticipationScenario")
    b = np.atleast_1d(np.asarray(benefit, dtype=float))
    if b.ndim != 1 or np.any(~np.isfinite(b) | (b <= 0)):
        raise ParameterError("benefit: a 1-D array of ratios > 0 (one per design)")
    if price_range is None:
        lo, hi = scenario.default_range(b)
    else:
        lo, hi = (np.full(b.size, float(v)) for v in price_range)

    def f(p, rows):
        return scenario.balance(p, b[rows][:, None])

    price, exists = lowest_stable_root(f, lo, hi, grid=grid)
    out = pd.DataFrame({"benefit": b, "exists": exists, "price": price})
    at = np.where(exists, price, 1.0)
    for name, fn in (("participation", scenario.participation), ("members", scenario.members),
                     ("average_cost", scenario.average_cost)):
        out[name] = np.where(exists, fn(at, b), np.nan)
    return out


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
