"""Farm-house cover (农房保险, 农村住房保险): per household, driven by catastrophes.

**The cover.** Each insured household (户) has a sum insured (保险金额, e.g. 1.6–4 万元 in Fujian's
basic and top-up cover); a house damaged by a covered peril (typhoon 台风, flood 洪水 / 暴雨,
earthquake 地震 where covered, fire …) pays its loss — the sum insured times the damage ratio
(损失程度; 1 for a collapsed house 倒塌) — less a deductible per household and event (免赔额 d,
元)::

    X = SI · Z,    Y = (X − d)₊ = Layer(d, SI − d).pay(X)        (:class:`FarmhouseCover`)

**Catastrophe-driven losses** (:class:`FarmhouseModel`). A county's houses are damaged together
by events, not one by one. For each peril k:

* events per year ~ Poisson(λ_k);
* in one event the share of the N insured households damaged is U ~ Gamma(r_k, m_k/r_k) (mean
  m_k, CV 1/√r_k: most typhoons touch a few houses, a few touch many), and the number damaged is
  K | U ~ Poisson(N U) — so K ~ NB(r_k, N m_k/r_k), the loss core's
  :class:`~puhui.losses.NegativeBinomial` with ``exposure = N`` and ``exposure_scales="beta"``
  (a Poisson approximation of the binomial thinning, accurate while the share damaged is small:
  :meth:`FarmhouseModel.excess_probability` reports P(K > N));
* each damaged house has the damage ratio Z = 1 with probability c_k (倒塌) and
  Z ~ Beta(mean μ_k, CV v_k) otherwise (部分损失); the household payout Y has the law
  :func:`puhui.losses.coverage` of X = SI·Z under the cover's layer.

The event loss L_k = Σ_{i ≤ K} Y_i is :func:`puhui.losses.aggregate` of (K, Y) by FFT; the year's
claims S = Σ_k Σ_{events} L is compound Poisson with λ = Σ λ_k and the event-loss mixture
Σ_k (λ_k/λ) L_k (a sum of independent compound Poissons is one; Klugman, Panjer & Willmot,
*Loss Models*, §9.4), again by :func:`puhui.losses.aggregate` — FFT, or ``"simulation"`` with
an explicit seed. Its mean has the closed form

    E[S] = Σ_k λ_k · N m_k · E[Y_k],    pure rate = E[S] / (N · SI)

(:meth:`FarmhouseModel.expected_annual_loss`, the independent check of the FFT).
:meth:`FarmhouseModel.simulate` draws events and households directly (events, shares, counts,
damage ratios: the model without the loss core), the second check and the input of the
reinsurance programme's scenarios.

**Price** (:func:`price_farmhouse`): premium per household by :func:`puhui.pricing.gross_up` at
a target combined ratio; its combined-ratio distribution and P(CR > 100%) by
:class:`puhui.ratios.CombinedRatioDistribution` on the law of S. 农房保险 is a property cover,
not 农业保险: 银保监规〔2023〕4号 applies to 种植业、养殖业和森林 only (its part 一 适用范围), so
no loading cap or factor band is applied here, and no 大灾准备金 of 财金〔2013〕129号.

**Reinsurance** (:meth:`FarmhouseModel.expected_recovery`): a per-event excess of loss
(:class:`puhui.reinsurance.PerEventXL`, 事故超赔) recovers ``LEV_L(r + l) − LEV_L(r)`` of every
event, λ of them a year — exact on the event-loss laws (:func:`puhui.losses.expected_payout`);
the whole programme (per-event XL, then a stop loss on the year's loss ratio) runs on simulated
years with :meth:`puhui.reinsurance.Programme.run` (docs/agriculture.md shows one).

Examples
--------
>>> model = FarmhouseModel(20_000, FarmhouseCover(40_000.0), DEFAULT_PERILS)
>>> round(model.pure_rate() * 1000, 4)             # ‰ of the sum insured
0.3757
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import stats

from ..benefits import Layer
from ..data.bounds import Bound, check_number
from ..errors import ParameterError
from ..losses import (
    Empirical,
    Mixture,
    NegativeBinomial,
    Poisson,
    aggregate,
    coverage,
    expected_payout,
)
from ..losses.discretize import as_discrete
from ..pricing import Expenses, gross_up
from ..ratios import CombinedRatioDistribution, expected_combined_ratio
from ..reinsurance import PerEventXL

__all__ = ["DEFAULT_FARMHOUSE_EXPENSES", "DEFAULT_PERILS", "PERILS_ZH", "FarmhouseCover",
           "FarmhouseModel", "FarmhousePrice", "Peril", "price_farmhouse"]

#: Perils with their Chinese names.
PERILS_ZH = {"typhoon": "台风", "flood": "洪水", "earthquake": "地震", "fire": "火灾",
             "other": "其他"}

_POSITIVE = Bound(0.0, math.inf, lo_open=True)
_NONNEG = Bound(0.0, math.inf)
_SHARE_OPEN = Bound(0.0, 1.0, lo_open=True, hi_open=True, hint="a fraction: write 1% as 0.01")
_PROB = Bound(0.0, 1.0, hi_open=False, hint="a probability: write 20% as 0.2")


@dataclass(frozen=True)
class Peril:
    """One catastrophe peril of a farm-house portfolio (see the module docstring).

    Parameters
    ----------
    name : str
        ``typhoon``, ``flood``, ``earthquake``, ``fire`` or ``other``.
    frequency : float
        λ, events per year (≥ 0).
    share_damaged : float
        m, the mean share of insured households one event damages, in (0, 1).
    share_cv : float
        CV of that share across events (> 0): r = 1/CV².
    collapse_probability : float
        c, the chance a damaged house is a total loss (倒塌), in [0, 1].
    damage_mean, damage_cv : float
        Mean (in (0, 1)) and CV (> 0) of the damage ratio of a partial loss (a Beta law).

    Examples
    --------
    >>> p = Peril("typhoon", 1.2, 0.0005, 2.0, 0.15, 0.3, 0.8)
    >>> round(p.mean_damage_ratio, 4)                # .15·1 + .85·.3
    0.405
    """

    name: str
    frequency: float
    share_damaged: float
    share_cv: float
    collapse_probability: float
    damage_mean: float
    damage_cv: float

    def __post_init__(self):
        if self.name not in PERILS_ZH:
            raise ParameterError(f"peril name {self.name!r}; use one of {', '.join(PERILS_ZH)}")
        problems = []
        for key, bound, label in (("frequency", _NONNEG, "frequency (events a year)"),
                                  ("share_damaged", _SHARE_OPEN, "share_damaged"),
                                  ("share_cv", _POSITIVE, "share_cv"),
                                  ("collapse_probability", _PROB, "collapse_probability"),
                                  ("damage_mean", _SHARE_OPEN, "damage_mean"),
                                  ("damage_cv", _POSITIVE, "damage_cv")):
            try:
                object.__setattr__(self, key, check_number(getattr(self, key), bound,
                                                           f"{self.name}: {label}"))
            except ParameterError as err:
                problems.append(str(err))
        if problems:
            raise ParameterError("; ".join(problems))
        mu, cv = self.damage_mean, self.damage_cv
        if not cv**2 < (1.0 - mu) / mu:
            raise ParameterError(f"{self.name}: damage_cv {cv:g} is too large for a Beta law of "
                                 f"mean {mu:g} (needs CV² < (1 − mean)/mean = "
                                 f"{(1 - mu) / mu:.4g})")

    @property
    def zh(self) -> str:
        return PERILS_ZH[self.name]

    @property
    def beta_parameters(self) -> tuple[float, float]:
        """(a, b) of the partial-loss Beta law: a + b = μ(1 − μ)/σ² − 1."""
        mu, sd = self.damage_mean, self.damage_cv * self.damage_mean
        total = mu * (1.0 - mu) / sd**2 - 1.0
        return mu * total, (1.0 - mu) * total

    @property
    def share_shape(self) -> float:
        """r = 1/CV², the gamma shape of the event's share damaged."""
        return 1.0 / self.share_cv**2

    @property
    def mean_damage_ratio(self) -> float:
        """E[Z] = c + (1 − c) μ."""
        c = self.collapse_probability
        return c + (1.0 - c) * self.damage_mean


#: An illustrative peril set for a coastal county (ASSUMPTIONS calibrated so that the pure rate
#: is a few tenths of a per mille of a 40,000 元 sum insured, the order of the published premiums
#: of 8–20 元 per household for 1.8–8 万元: docs/datasets.md).
DEFAULT_PERILS = (
    Peril("typhoon", 1.2, 0.0005, 2.0, 0.15, 0.30, 0.8),
    Peril("flood", 0.6, 0.0003, 1.5, 0.10, 0.35, 0.7),
    Peril("earthquake", 0.05, 0.002, 1.5, 0.30, 0.40, 0.6),
)


@dataclass(frozen=True)
class FarmhouseCover:
    """Per-household cover: sum insured and a deductible per household and event (元).

    >>> layer = FarmhouseCover(40_000.0, deductible=500.0).layer
    >>> float(layer.attachment), float(layer.limit)
    (500.0, 39500.0)
    """

    sum_insured: float = 40_000.0
    deductible: float = 0.0

    def __post_init__(self):
        si = check_number(self.sum_insured, _POSITIVE, "sum_insured (每户保险金额, 元)")
        d = check_number(self.deductible, _NONNEG, "deductible (免赔额, 元)")
        if not d < si:
            raise ParameterError(f"deductible ({d:g}) must be below the sum insured ({si:g})")
        object.__setattr__(self, "sum_insured", si)
        object.__setattr__(self, "deductible", d)

    @property
    def layer(self) -> Layer:
        """The household's cover on its loss X = SI·Z: ``Layer(d, SI − d)``."""
        return Layer(self.deductible, self.sum_insured - self.deductible, 1.0)

    def pay(self, damage_ratio):
        """Payout (元) for damage ratios Z (vectorised): (SI·Z − d)₊."""
        z = np.asarray(damage_ratio, dtype=float)
        if np.any(~np.isfinite(z) | (z < 0) | (z > 1)):
            raise ParameterError("damage_ratio: values in [0, 1]")
        return self.layer.pay_elementwise(self.sum_insured * z)


class FarmhouseModel:
    """N insured households under a cover, hit by catastrophe perils (module docstring).

    Parameters
    ----------
    households : int
        N, insured households (≥ 1).
    cover : FarmhouseCover
    perils : sequence of Peril
        At least one, distinct names.
    """

    def __init__(self, households: int, cover: FarmhouseCover, perils: Sequence[Peril]):
        if isinstance(households, bool) or not isinstance(households, (int, np.integer)) \
                or households < 1:
            raise ParameterError(f"households: a whole number ≥ 1, got {households!r}")
        if not isinstance(cover, FarmhouseCover):
            raise ParameterError(f"cover: a FarmhouseCover, got {type(cover).__name__}")
        perils = tuple(perils)
        if not perils or not all(isinstance(p, Peril) for p in perils):
            raise ParameterError("perils: one or more Peril")
        names = [p.name for p in perils]
        if len(set(names)) != len(names):
            raise ParameterError(f"perils: each peril once, got {names}")
        if sum(p.frequency for p in perils) <= 0:
            raise ParameterError("perils: at least one peril must have a frequency > 0")
        self.households = int(households)
        self.cover = cover
        self.perils = perils
        self._events: dict = {}

    def __repr__(self) -> str:
        return (f"FarmhouseModel({self.households} households, SI {self.cover.sum_insured:g}, "
                f"perils {[p.name for p in self.perils]})")

    # -- one household, one event ---------------------------------------------------------
    def damage_law(self, peril: Peril):
        """The loss of one damaged house X = SI·Z: an atom at SI (倒塌) with probability c, and
        SI × Beta(a, b) (a :class:`puhui.losses.Mixture`)."""
        a, b = peril.beta_parameters
        si = self.cover.sum_insured
        c = peril.collapse_probability
        partial = stats.beta(a, b, scale=si)
        if c == 0:
            return partial
        if c == 1:
            return Empirical([si])
        return Mixture([c, 1.0 - c], [Empirical([si]), partial])

    def payout_law(self, peril: Peril):
        """The payout of one damaged house, :func:`puhui.losses.coverage` of X under the layer."""
        return coverage(self.damage_law(peril), self.cover.layer)

    def household_counts(self, peril: Peril) -> NegativeBinomial:
        """K, the houses one event damages: NB(r, N m/r) (loss core, ``exposure_scales="beta"``)."""
        return NegativeBinomial(peril.share_shape, peril.share_damaged / peril.share_shape,
                                exposure=self.households, exposure_scales="beta")

    def excess_probability(self) -> pd.Series:
        """P(K > N) for each peril: the mass the mixed-Poisson count puts beyond the portfolio."""
        out = {}
        for p in self.perils:
            k = self.household_counts(p)
            out[p.name] = float(stats.nbinom.sf(self.households, k.r, 1.0 / (1.0 + k.beta)))
        return pd.Series(out, name="p_more_than_households")

    def default_step(self) -> float:
        """The FFT step: SI/50 (元; the household payouts are discretised on it, mean kept)."""
        return self.cover.sum_insured / 50.0

    def event_loss(self, peril: Peril, step: float | None = None):
        """The law of one event's loss L = Σ_{i ≤ K} Y_i (FFT, :func:`puhui.losses.aggregate`)."""
        h = self.default_step() if step is None else float(step)
        key = (peril, h)
        if key not in self._events:
            top = h * math.ceil((self.cover.sum_insured - self.cover.deductible) / h)
            self._events[key] = aggregate(self.household_counts(peril), self.payout_law(peril),
                                          "fft", step=h, severity_upper=top)
        return self._events[key]

    # -- the year -----------------------------------------------------------------------------
    def annual_frequency(self) -> Poisson:
        """Events a year over all perils: Poisson(Σ λ_k)."""
        return Poisson(sum(p.frequency for p in self.perils))

    def event_severity(self, step: float | None = None):
        """The loss of an event of any peril: the mixture Σ_k (λ_k/λ) L_k on one lattice (a
        :class:`~puhui.losses.DiscreteSeverity`)."""
        h = self.default_step() if step is None else float(step)
        active = [p for p in self.perils if p.frequency > 0]
        laws = [self.event_loss(p, h) for p in active]
        size = max(law.pmf.size for law in laws)
        lam = np.array([p.frequency for p in active])
        pmf = np.zeros(size)
        for w, law in zip(lam / lam.sum(), laws, strict=True):   # a few perils
            pmf[:law.pmf.size] += w * law.pmf
        return as_discrete(pmf, h)

    def annual_loss(self, *, method: str = "fft", step: float | None = None, seed=None,
                    n_sim: int = 100_000):
        """The law of the year's claims S (:func:`puhui.losses.aggregate`: ``"fft"``, or
        ``"simulation"`` with an explicit ``seed``)."""
        if method not in ("fft", "simulation"):
            raise ParameterError(f"method: 'fft' or 'simulation', got {method!r}")
        sev = self.event_severity(step)
        if method == "fft":
            return aggregate(self.annual_frequency(), sev, "fft")
        return aggregate(self.annual_frequency(), sev, "simulation", seed=seed, n_sim=n_sim)

    def expected_annual_loss(self) -> float:
        """E[S] = Σ_k λ_k · N m_k · E[Y_k] (元; closed form, no FFT)."""
        total = 0.0
        for p in self.perils:
            y = float(expected_payout(self.damage_law(p), self.cover.layer))
            total += p.frequency * self.households * p.share_damaged * y
        return total

    def pure_rate(self) -> float:
        """纯风险损失率 = E[S] / (N · SI)."""
        return self.expected_annual_loss() / (self.households * self.cover.sum_insured)

    def expected_recovery(self, xl: PerEventXL, step: float | None = None) -> float:
        """E[a year's recovery] of a per-event excess of loss with unlimited free reinstatements:
        Σ_k λ_k (LEV_{L_k}(r + l) − LEV_{L_k}(r)) (:func:`puhui.losses.expected_payout` of the
        treaty's layer on each peril's event law)."""
        if not isinstance(xl, PerEventXL):
            raise ParameterError(f"xl: a PerEventXL, got {type(xl).__name__}")
        if xl.reinstatements is not None:
            raise ParameterError("expected_recovery: the exact form holds for unlimited "
                                 "reinstatements (reinstatements=None); simulate the programme "
                                 "for a limited number")
        return float(sum(p.frequency * float(expected_payout(self.event_loss(p, step), xl.layer))
                         for p in self.perils if p.frequency > 0))

    # -- simulation ---------------------------------------------------------------------------
    def simulate(self, years: int, seed, *, houses: bool = False):
        """Events of ``years`` simulated years, drawn directly (not through the loss core).

        Returns one row per event with ``year`` (0 …), ``event`` (a number unique over the
        years), ``peril``, ``households`` (houses damaged), ``collapsed`` and ``loss`` (the
        payouts, 元); with ``houses=True`` also a table of the damaged houses (``event``,
        ``damage_ratio``, ``collapsed``, ``paid``) as a second value."""
        if isinstance(years, bool) or not isinstance(years, (int, np.integer)) or years < 1:
            raise ParameterError(f"years: a whole number ≥ 1, got {years!r}")
        if seed is None:
            raise ParameterError("seed is required (an int or a numpy.random.Generator)")
        rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
        parts, house_parts, first = [], [], 0
        for p in self.perils:                         # a few perils; everything else vectorised
            n_events = rng.poisson(p.frequency, int(years))
            year = np.repeat(np.arange(int(years)), n_events)
            share = rng.gamma(p.share_shape, p.share_damaged / p.share_shape, year.size)
            k = rng.poisson(self.households * share)
            owner = np.repeat(np.arange(year.size), k)
            ratio, collapsed = self._damage_ratios(p, owner.size, rng)
            paid = self.cover.pay(ratio)
            parts.append(pd.DataFrame({
                "year": year, "peril": p.name, "households": k,
                "collapsed": np.bincount(owner, collapsed, minlength=year.size).astype(int),
                "loss": np.bincount(owner, paid, minlength=year.size),
                "_key": first + np.arange(year.size)}))
            if houses:
                house_parts.append(pd.DataFrame({"_key": first + owner, "damage_ratio": ratio,
                                                 "collapsed": collapsed, "paid": paid}))
            first += year.size
        events = pd.concat(parts, ignore_index=True).sort_values(["year", "_key"],
                                                                kind="stable")
        events.insert(1, "event", np.arange(len(events)))
        events = events.reset_index(drop=True)
        if not houses:
            return events.drop(columns="_key")
        number = pd.Series(events["event"].to_numpy(), index=events["_key"].to_numpy())
        table = pd.concat(house_parts, ignore_index=True)
        table.insert(0, "event", number.loc[table["_key"].to_numpy()].to_numpy())
        table = table.drop(columns="_key").sort_values("event", kind="stable")
        return events.drop(columns="_key"), table.reset_index(drop=True)

    def _damage_ratios(self, p: Peril, size: int, rng: np.random.Generator):
        collapsed = rng.random(size) < p.collapse_probability
        a, b = p.beta_parameters
        ratio = np.where(collapsed, 1.0, rng.beta(a, b, size))
        return ratio, collapsed

    def annual_totals(self, events: pd.DataFrame, years: int) -> np.ndarray:
        """Each simulated year's total loss (years without events count 0)."""
        return np.bincount(events["year"].to_numpy(int), events["loss"].to_numpy(float),
                           minlength=int(years))

    def summary(self) -> pd.DataFrame:
        """Per peril: λ, mean houses damaged per event, mean payout per house, E[loss a year]."""
        rows = []
        for p in self.perils:
            y = float(expected_payout(self.damage_law(p), self.cover.layer))
            k = self.households * p.share_damaged
            rows.append({"peril": p.name, "zh": p.zh, "events_per_year": p.frequency,
                         "households_per_event": k, "payout_per_household": y,
                         "loss_per_event": k * y, "loss_per_year": p.frequency * k * y})
        out = pd.DataFrame(rows).set_index("peril")
        out.attrs["pure_rate"] = self.pure_rate()
        return out


#: Expenses used when none are given (assumptions, shares of premium): 手续费 2% (统保, little
#: distribution), 业务及管理费 10%, 税金及附加 0.5%, 保险保障基金 0.8%.
DEFAULT_FARMHOUSE_EXPENSES = Expenses(commission=0.02, admin=0.10, taxes=0.005,
                                      protection_fund=0.008)


@dataclass(frozen=True, eq=False)
class FarmhousePrice:
    """The price of a farm-house cover (see :func:`price_farmhouse`)."""

    model: FarmhouseModel
    pure_premium: float
    premium_per_household: float
    premium: float
    rate: float
    expected_claims: float
    expected_combined_ratio: float
    claims: object
    combined_ratio: CombinedRatioDistribution
    p_cr_above_100: float
    assumptions: dict = field(default_factory=dict)

    def summary(self) -> pd.DataFrame:
        cr = self.combined_ratio
        rows = [("households", "承保户数", self.model.households),
                ("sum_insured", "每户保险金额 (元)", self.model.cover.sum_insured),
                ("pure_premium", "纯保费 (元/户)", self.pure_premium),
                ("pure_rate_permille", "纯风险损失率 (‰)", 1000 * self.model.pure_rate()),
                ("premium_per_household", "保费 (元/户)", self.premium_per_household),
                ("rate_permille", "费率 (‰)", 1000 * self.rate),
                ("premium", "保费 (元)", self.premium),
                ("expected_claims", "期望赔款 (元)", self.expected_claims),
                ("expected_combined_ratio", "期望综合成本率", self.expected_combined_ratio),
                ("p_cr_above_100", "P(综合成本率 > 100%)", self.p_cr_above_100),
                ("cr_99", "综合成本率 99% 分位", cr.quantile(0.99)),
                ("claims_var_99", "年赔款 99% VaR (元)", float(self.claims.quantile(0.99)))]
        return pd.DataFrame(rows, columns=["name", "zh", "value"]).set_index("name")


def price_farmhouse(model: FarmhouseModel, *, target_combined_ratio: float = 0.95,
                    expenses: Expenses | None = None, method: str = "fft", seed=None,
                    step: float | None = None) -> FarmhousePrice:
    """Premium per household at a target combined ratio, and the year's CR distribution.

    ``P = (E + e) / (τ − v)`` per household (:func:`puhui.pricing.gross_up`, E = E[S]/N from
    the closed form, e = ``expenses.per_member``, v = ``expenses.variable_rate``); the claims law
    from :meth:`FarmhouseModel.annual_loss`; CR = S/(N·P) + v + e/P
    (:class:`puhui.ratios.CombinedRatioDistribution`), P(CR > 100%).

    Examples
    --------
    >>> model = FarmhouseModel(20_000, FarmhouseCover(40_000.0), DEFAULT_PERILS[:2])
    >>> res = price_farmhouse(model)       # typhoon and flood only
    >>> round(res.pure_premium, 3)         # (1.2·10·40,000·.405 + .6·6·40,000·.415)/20,000
    12.708
    >>> round(res.premium_per_household, 2), round(res.rate * 1000, 4)   # 12.708/(.95 − .133)
    (15.55, 0.3889)
    """
    if not isinstance(model, FarmhouseModel):
        raise ParameterError(f"model: a FarmhouseModel, got {type(model).__name__}")
    expenses = DEFAULT_FARMHOUSE_EXPENSES if expenses is None else expenses
    if not isinstance(expenses, Expenses):
        raise ParameterError(f"expenses: a puhui.pricing.Expenses, got {type(expenses).__name__}")
    n = model.households
    expected = model.expected_annual_loss()
    pure = expected / n
    v = expenses.variable_rate
    per = float(gross_up(pure, variable_rate=v, fixed=expenses.per_member,
                         target_combined_ratio=target_combined_ratio))
    premium = per * n
    fixed = float(expenses.amount(n, 0.0))
    law = model.annual_loss(method=method, step=step, seed=seed)
    dist = CombinedRatioDistribution(law, premium, v, fixed, 0.0)
    cr = float(expected_combined_ratio(expected, premium, variable_rate=v, fixed_expenses=fixed))
    return FarmhousePrice(
        model=model, pure_premium=pure, premium_per_household=per, premium=premium,
        rate=per / model.cover.sum_insured, expected_claims=expected, expected_combined_ratio=cr,
        claims=law, combined_ratio=dist, p_cr_above_100=float(dist.prob_above(1.0)),
        assumptions={"target_combined_ratio": target_combined_ratio, "variable_rate": v,
                     "per_household_expense": expenses.per_member, "claims_method": law.method,
                     "claims_step": law.step,
                     "p_more_than_households": model.excess_probability().to_dict()})
