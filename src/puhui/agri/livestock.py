"""Livestock cover (养殖业保险): 能繁母猪 (breeding sows) and 育肥猪 (finishing pigs), per head,
with epidemic years (疫病年).

**The cover.** Each insured head has a sum insured (保险金额, 元/头). A death from a covered cause
(disease and epidemic 疾病/疫病, natural disaster, accident) pays the sum insured — for 育肥猪 a
share of it by the animal's weight class (a 20–30 kg pig is worth less than a 100 kg one) — less
the absolute deductible (绝对免赔率 δ, a share of each loss)::

    indemnity of one death in class b = SI · s_b · (1 − δ),   E[indemnity] = SI · (1 − δ) · Σ_b w_b s_b

with ``s_b`` the share of SI paid in class b and ``w_b`` the share of deaths in class b
(:class:`LivestockCover`; 能繁母猪 have one class, s = 1). The schedules shipped as defaults are
published ones (sources in docs/datasets.md, section "Livestock and 农房"): 能繁母猪 1,500 元/头
and 育肥猪 800 元/头 (the 2019 raise from 1,000–1,200 and 500–600 元), a county's filed rates 6%
and 5.5%, and a 育肥猪 weight schedule paying 30 / 40 / 60 / 80 / 100% of SI from 20 / 30 / 40 /
60 / 90 kg. The share of deaths by weight class is an assumption.

**Deaths with epidemic years** (:class:`HerdMortality`). A year is ordinary (probability 1 − p)
or an epidemic year (疫病年, probability p) for the whole portfolio: an epidemic — a 蓝耳病 or
an African-swine-fever year — strikes every herd of the region in the same year, which is what
makes the portfolio's loss ratio swing. Given the state e ∈ {0, 1}, herd h with n_h insured
heads has its own death rate Λ_h ~ Gamma(α_e, q_e/α_e) (mean q_e; herds differ in hygiene and
exposure) and deaths D_h | Λ_h ~ Poisson(n_h Λ_h), independently across herds — a mixed-Poisson
herd model, so D_h ~ NB(r = α_e, β = n_h q_e / α_e), the loss core's
:class:`~puhui.losses.NegativeBinomial` with ``exposure = n_h`` and ``exposure_scales="beta"``
(one risk factor for the whole herd: the variance n q (1 + n q/α) grows with n², as herd-level
outbreaks do)::

    E[D_h] = n_h [(1 − p) q_0 + p q_1],     P(year) = (1 − p) Π_h NB(d_h; α_0, n_h q_0/α_0)
                                                     +  p    Π_h NB(d_h; α_1, n_h q_1/α_1)

α = ∞ is a Poisson herd (no heterogeneity). The law is unbounded, so a herd may in principle lose
more heads than it has; :meth:`HerdMortality.excess_probability` reports that mass (about 1e-6
per herd in an epidemic year at the bundled calibration) — a mixed binomial would bound it, at
the price of the closed forms below.

**The portfolio's year** (:class:`PortfolioDeaths`): the total count T = Σ_h D_h is a claim-count
law of the loss core (a :class:`~puhui.losses.FrequencyModel`) with probability generating
function and cumulants

    P_T(z) = (1 − p) Π_h P_{h,0}(z) + p Π_h P_{h,1}(z),    κ_j(T | e) = Σ_h κ_j(D_h | e)

(each P_{h,e} the loss core's NB pgf, so the claims S = Σ of T indemnities go through
:func:`puhui.losses.aggregate` by FFT exactly — the compound of a mixture is the mixture of the
compounds). Panjer's recursion does not apply (T is not an (a, b, 0) law); simulation does
(``rvs``).

**Price** (:func:`price_livestock`): the pure rate (纯风险损失率) is E[indemnity per head]/SI; the
filed rate is the 2023 formula 费率 = 纯风险损失率 / (1 − 附加费率) × 费率调整系数
(:func:`puhui.agri.rules.filed_rate`, which refuses a loading above the cap or a factor outside
the band: 养殖业 is in the scope of 银保监规〔2023〕4号); the subsidy is the livestock line's
(:func:`puhui.agri.subsidy_split`, 中央 50% / 40%); the year's combined ratio is the one of
:mod:`puhui.ratios` on the FFT law of the claims, and P(CR > 100%) its exceedance probability.

**Fit** (:class:`HerdMortalityFitter`): maximum likelihood of (q_0, q_1, p, α_0, α_1) on a
herd × year history (heads insured, deaths), the epidemic state shared by all herds of a year —
a two-component mixture over years (as in McLachlan & Peel, *Finite Mixture Models*, 2000, ch. 1,
with whole years as the observations), maximised by L-BFGS-B from two starts; standard errors
from the observed information (numerical Hessian, delta method); the posterior probability that
each year was an epidemic year; and a likelihood-ratio statistic against one state.

Examples
--------
>>> m = HerdMortality(0.035, 0.14, 0.1, ordinary_dispersion=8.0, epidemic_dispersion=2.5)
>>> round(m.mean_rate, 4)                       # 0.9·3.5% + 0.1·14%
0.0455
>>> cover = sow_cover()                          # 1,500 元/头, no deductible
>>> round(float(cover.expected_loss_per_head(m)), 2)
68.25
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from fractions import Fraction

import numpy as np
import pandas as pd
from scipy import optimize, special, stats

from ..data.bounds import Bound, check_number
from ..errors import DataError, ParameterError, Problem
from ..losses import Empirical, NegativeBinomial, Poisson, aggregate
from ..losses.frequency_base import FrequencyModel
from ..pricing import Expenses, gross_up
from ..ratios import CombinedRatioDistribution, combined_ratio_from, expected_combined_ratio
from ..rules import check
from .rules import FiledRate, filed_rate
from .subsidy import SubsidySplit, subsidy_split

__all__ = [
    "ANIMALS", "FINISHING_DEATH_SHARES", "FINISHING_PAYOUT_SHARES", "FINISHING_SUM_INSURED",
    "FINISHING_WEIGHT_CLASSES", "SOW_SUM_INSURED", "HerdMortality", "HerdMortalityFitter",
    "DEFAULT_EXPENSES", "LivestockCover", "LivestockPrice", "PortfolioDeaths", "burn_ratios",
    "finishing_pig_cover", "price_livestock", "sow_cover",
]

#: The animals covered, with their Chinese names.
ANIMALS = {"sow": "能繁母猪", "finishing": "育肥猪"}
#: 能繁母猪 sum insured, 元/头 (raised in 2019 from 1,000–1,200; docs/datasets.md).
SOW_SUM_INSURED = 1500.0
#: 育肥猪 sum insured, 元/头 (raised in 2019 from 500–600; docs/datasets.md).
FINISHING_SUM_INSURED = 800.0
#: 育肥猪 weight classes (lower bounds, kg) and the share of the sum insured a death pays in each
#: (a published 育肥猪 schedule: 20–30 kg 30%, 30–40 kg 40%, 40–60 kg 60%, 60–90 kg 80%,
#: 90 kg and over 100%; secondary source, docs/datasets.md).
FINISHING_WEIGHT_CLASSES = (20.0, 30.0, 40.0, 60.0, 90.0)
FINISHING_PAYOUT_SHARES = (0.3, 0.4, 0.6, 0.8, 1.0)
#: Share of 育肥猪 deaths in each weight class — an ASSUMPTION (no published split was found):
#: more deaths among the younger, lighter pigs of a batch.
FINISHING_DEATH_SHARES = (0.15, 0.15, 0.25, 0.25, 0.20)

_RATE = Bound(0.0, 1.0, lo_open=True, hi_open=True, hint="a fraction: write 4% as 0.04")
_PROB = Bound(0.0, 1.0, hi_open=True, hint="a probability: write 10% as 0.1")
_DISPERSION = Bound(0.0, math.inf, lo_open=True, hi_open=False)
_SHARE = Bound(0.0, 1.0, hi_open=True, hint="a fraction: write 5% as 0.05")
_AMOUNT = Bound(0.0, math.inf, lo_open=True)


# ---------------------------------------------------------------------------------------------
# the herd mortality law
# ---------------------------------------------------------------------------------------------
def _heads(heads, name: str = "heads") -> np.ndarray:
    """Herd sizes as a 1-D float array of whole numbers ≥ 1."""
    try:
        n = np.atleast_1d(np.asarray(heads, dtype=float))
    except (TypeError, ValueError):
        raise ParameterError(f"{name}: insured heads per herd must be numbers") from None
    if n.ndim != 1 or n.size == 0:
        raise ParameterError(f"{name}: give one number of insured heads per herd (1-D, not empty)")
    bad = ~np.isfinite(n) | (n < 1) | (n != np.round(n))
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise ParameterError(f"{name}: insured heads must be whole numbers ≥ 1; herd {i} has "
                             f"{n[i]!r}")
    return n


@dataclass(frozen=True)
class HerdMortality:
    """Deaths per insured head with epidemic years (疫病年): the two-state mixed-Poisson herd law.

    Parameters
    ----------
    ordinary_rate : float
        q_0, expected deaths per insured head in an ordinary year (policy period), in (0, 1).
    epidemic_rate : float
        q_1 > q_0, the same in an epidemic year.
    epidemic_probability : float
        p, the chance that a year is an epidemic year, in [0, 1).
    ordinary_dispersion, epidemic_dispersion : float
        α_0, α_1 > 0: the gamma shape of the herds' death rates in each state (herd rate CV =
        1/√α); ``inf`` is a Poisson herd (no heterogeneity).

    Examples
    --------
    >>> m = HerdMortality(0.04, 0.15, 0.1, ordinary_dispersion=5.0, epidemic_dispersion=2.0)
    >>> round(m.mean_rate, 6)
    0.051
    >>> m.herd_law(100, epidemic=True)
    NegativeBinomial(r=2.0, beta=0.075, exposure=100.0, exposure_scales='beta')
    """

    ordinary_rate: float
    epidemic_rate: float
    epidemic_probability: float
    ordinary_dispersion: float = math.inf
    epidemic_dispersion: float = math.inf

    def __post_init__(self):
        problems = []
        for name, bound, label in (
                ("ordinary_rate", _RATE, "ordinary_rate (q_0, deaths per head)"),
                ("epidemic_rate", _RATE, "epidemic_rate (q_1, deaths per head)"),
                ("epidemic_probability", _PROB, "epidemic_probability (p)"),
                ("ordinary_dispersion", _DISPERSION, "ordinary_dispersion (α_0)"),
                ("epidemic_dispersion", _DISPERSION, "epidemic_dispersion (α_1)")):
            value = getattr(self, name)
            if name.endswith("dispersion") and isinstance(value, (int, float)) \
                    and not isinstance(value, bool) and value == math.inf:
                object.__setattr__(self, name, math.inf)
                continue
            try:
                object.__setattr__(self, name, check_number(value, bound, label))
            except ParameterError as err:
                problems.append(str(err))
        if problems:
            raise ParameterError("; ".join(problems))
        if not self.epidemic_rate > self.ordinary_rate:
            raise ParameterError(f"epidemic_rate ({self.epidemic_rate:g}) must exceed "
                                 f"ordinary_rate ({self.ordinary_rate:g}): an epidemic year is "
                                 "the worse state")

    @property
    def mean_rate(self) -> float:
        """E[deaths per head] = (1 − p) q_0 + p q_1."""
        p = self.epidemic_probability
        return (1.0 - p) * self.ordinary_rate + p * self.epidemic_rate

    def _state(self, epidemic: bool) -> tuple[float, float]:
        if epidemic:
            return self.epidemic_rate, self.epidemic_dispersion
        return self.ordinary_rate, self.ordinary_dispersion

    def herd_law(self, heads: float, *, epidemic: bool) -> FrequencyModel:
        """Deaths of one herd of ``heads`` insured heads in a year of the given state: the loss
        core's ``NegativeBinomial(α, q/α, exposure=heads, exposure_scales="beta")`` (``Poisson(q,
        exposure=heads)`` when α = ∞)."""
        n = float(_heads([heads])[0])
        q, alpha = self._state(epidemic)
        if math.isinf(alpha):
            return Poisson(q, exposure=n)
        return NegativeBinomial(alpha, q / alpha, exposure=n, exposure_scales="beta")

    def deaths(self, heads) -> PortfolioDeaths:
        """The law of the year's total deaths over herds of these sizes (:class:`PortfolioDeaths`)."""
        return PortfolioDeaths(self, heads)

    def excess_probability(self, heads) -> pd.Series:
        """Expected number of herds whose deaths exceed their heads, per state — the mass the
        unbounded mixed-Poisson law puts where no herd can be (should be ≪ 1)."""
        n = _heads(heads)
        out = {}
        for state, epidemic in (("ordinary", False), ("epidemic", True)):
            q, alpha = self._state(epidemic)
            if math.isinf(alpha):
                out[state] = float(stats.poisson.sf(n, n * q).sum())
            else:
                out[state] = float(stats.nbinom.sf(n, alpha, alpha / (alpha + n * q)).sum())
        return pd.Series(out, name="herds_above_heads")

    def log_likelihood(self, deaths, heads, unit) -> float:
        """Log-likelihood of deaths of herd-years whose epidemic unit (year) is ``unit``."""
        d = np.asarray(deaths, dtype=float)
        n = _heads(heads)
        codes, inverse = np.unique(np.asarray(unit), return_inverse=True)
        ll0, ll1 = _unit_logliks(d, n, inverse.ravel(), codes.size, self)
        p = self.epidemic_probability
        if p == 0:
            return float(ll0.sum())
        return float(np.logaddexp(math.log1p(-p) + ll0, math.log(p) + ll1).sum())

    def simulate(self, heads, years: int, seed) -> dict:
        """``years`` years of deaths for herds of these sizes: ``{"epidemic": (years,) bool,
        "deaths": (years, herds) int}`` (gamma rates then Poisson counts, explicit seed)."""
        n = _heads(heads)
        if isinstance(years, bool) or not isinstance(years, (int, np.integer)) or years < 1:
            raise ParameterError(f"years: a whole number ≥ 1, got {years!r}")
        if seed is None:
            raise ParameterError("seed is required (an int or a numpy.random.Generator)")
        rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
        epidemic = rng.random(int(years)) < self.epidemic_probability
        rates = _draw_rates(self, epidemic, n.size, rng)
        deaths = rng.poisson(rates * n[None, :])
        return {"epidemic": epidemic, "deaths": deaths}

    def summary(self) -> pd.DataFrame:
        """The parameters with their Chinese terms."""
        rows = [("ordinary_rate", "平常年份死亡率 q_0", self.ordinary_rate),
                ("epidemic_rate", "疫病年死亡率 q_1", self.epidemic_rate),
                ("epidemic_probability", "疫病年概率 p", self.epidemic_probability),
                ("ordinary_dispersion", "平常年份离散参数 α_0", self.ordinary_dispersion),
                ("epidemic_dispersion", "疫病年离散参数 α_1", self.epidemic_dispersion),
                ("mean_rate", "期望死亡率", self.mean_rate)]
        return pd.DataFrame(rows, columns=["parameter", "zh", "value"]).set_index("parameter")


def _draw_rates(m: HerdMortality, epidemic: np.ndarray, herds: int,
                rng: np.random.Generator) -> np.ndarray:
    """Herd death rates Λ (years × herds): Gamma(α_e, q_e/α_e), or q_e when α_e = ∞."""
    out = np.empty((epidemic.size, herds))
    for flag in (False, True):                       # two states, not one loop per herd
        rows = epidemic == flag
        q, alpha = m._state(flag)
        k = int(rows.sum())
        if k:
            out[rows] = q if math.isinf(alpha) else rng.gamma(alpha, q / alpha, (k, herds))
    return out


def _unit_logliks(d: np.ndarray, n: np.ndarray, inverse: np.ndarray, units: int,
                  m: HerdMortality) -> tuple[np.ndarray, np.ndarray]:
    """Σ over the herd-years of each unit of log NB(d; α_e, n q_e/α_e), for e = 0 and 1."""
    out = []
    for epidemic in (False, True):
        q, alpha = m._state(epidemic)
        mu = n * q
        if math.isinf(alpha):
            lp = stats.poisson.logpmf(d, mu)
        else:
            lp = stats.nbinom.logpmf(d, alpha, alpha / (alpha + mu))
        out.append(np.bincount(inverse, lp, minlength=units))
    return out[0], out[1]


# ---------------------------------------------------------------------------------------------
# the portfolio's total deaths: a claim-count law of the loss core
# ---------------------------------------------------------------------------------------------
class PortfolioDeaths(FrequencyModel):
    """T = total deaths of a year over herds of sizes ``heads``, epidemic mixture included.

    ``pgf(z) = (1 − p) Π_h P_{h,0}(z) + p Π_h P_{h,1}(z)`` with each herd's pgf from the loss
    core's NB / Poisson law (:meth:`HerdMortality.herd_law`), evaluated once per distinct herd size
    and raised to the number of herds of that size; cumulants of each state are the sums of the
    herds' (independent given the state), mixed through the raw moments. ``pmf`` inverts the pgf
    on the unit circle by one FFT; ``rvs`` draws the state, the herds' gamma rates and Poisson
    deaths. Not an (a, b, 0) law: :func:`puhui.losses.aggregate` takes it with ``method="fft"``
    or ``"simulation"``, never ``"panjer"``.

    Examples
    --------
    >>> m = HerdMortality(0.04, 0.15, 0.1, ordinary_dispersion=5.0, epidemic_dispersion=2.0)
    >>> T = PortfolioDeaths(m, [100, 100, 250])
    >>> round(T.mean(), 6)                          # 450 heads × 5.1%
    22.95
    >>> round(float(T.pmf(np.arange(2000)).sum()), 12)
    1.0
    """

    def __init__(self, mortality: HerdMortality, heads):
        if not isinstance(mortality, HerdMortality):
            raise ParameterError(f"mortality: a HerdMortality, got {type(mortality).__name__}")
        self.mortality = mortality
        self.heads = _heads(heads)
        self.sizes, self.counts = np.unique(self.heads, return_counts=True)
        self.p0 = float(np.real(self.pgf(0.0)))

    @property
    def a(self) -> float:
        raise ParameterError("the portfolio's death count is a mixture of sums of negative "
                             "binomials, not an (a, b, 0) law: use method='fft' or 'simulation'")

    @property
    def b(self) -> float:
        return self.a

    def _state_log_pgf(self, z, epidemic: bool):
        z = np.asarray(z)
        out = np.zeros(z.shape, dtype=complex if np.iscomplexobj(z) else float)
        m = self.mortality
        for size, count in zip(self.sizes, self.counts, strict=True):  # distinct herd sizes
            w = m.herd_law(size, epidemic=epidemic).pgf(z)
            with np.errstate(divide="ignore"):
                out = out + count * np.log(w)        # w^count: exact for a whole count
        return out

    def pgf(self, z):
        """P_T(z) = E[z^T] (z may be complex, |z| ≤ 1)."""
        p = self.mortality.epidemic_probability
        g0 = np.exp(self._state_log_pgf(z, False))
        if p == 0:
            return g0
        return (1.0 - p) * g0 + p * np.exp(self._state_log_pgf(z, True))

    def state_cumulants(self, epidemic: bool) -> tuple[float, float, float]:
        """κ_1, κ_2, κ_3 of T in one state: the sums over herds."""
        m = self.mortality
        total = np.zeros(3)
        for size, count in zip(self.sizes, self.counts, strict=True):
            total += count * np.asarray(m.herd_law(size, epidemic=epidemic).cumulants())
        return float(total[0]), float(total[1]), float(total[2])

    def cumulants(self) -> tuple[float, float, float]:
        p = self.mortality.epidemic_probability
        raw = np.zeros(3)
        for weight, epidemic in ((1.0 - p, False), (p, True)):
            k1, k2, k3 = self.state_cumulants(epidemic)
            raw += weight * np.array([k1, k2 + k1**2, k3 + 3 * k2 * k1 + k1**3])
        m1, m2, m3 = raw
        return float(m1), float(m2 - m1**2), float(m3 - 3 * m2 * m1 + 2 * m1**3)

    def _pmf_array(self) -> np.ndarray:
        cached = getattr(self, "_pmf_cache", None)
        if cached is not None:
            return cached
        k1, k2, _ = self.state_cumulants(True)
        length = 1 << max(8, int(math.ceil(k1 + 40.0 * math.sqrt(k2) + 64)).bit_length())
        while True:
            z = np.exp(2j * np.pi * np.arange(length) / length)
            p = np.real(np.fft.fft(self.pgf(z))) / length
            # aliasing check: the last eighth of the window must be empty
            if np.abs(p[-(length // 8):]).max() < 1e-15 or length >= 1 << 24:
                break
            length *= 2
        p = np.clip(p, 0.0, None)
        self._pmf_cache = p
        return p

    def pmf(self, k):
        k = np.asarray(k)
        p = self._pmf_array()
        kk = np.asarray(k, dtype=np.int64)
        inside = (kk >= 0) & (kk < p.size) & (k == kk)
        out = np.where(inside, p[np.clip(kk, 0, p.size - 1)], 0.0)
        return out if out.ndim else float(out)

    def rvs(self, size, seed):
        if seed is None:
            raise ParameterError("seed is required (an int or a numpy.random.Generator)")
        rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
        size = int(size)
        out = np.empty(size, dtype=np.int64)
        block = max(1, 2_000_000 // self.heads.size)       # bounded memory, not one per draw
        for start in range(0, size, block):
            k = min(block, size - start)
            epidemic = rng.random(k) < self.mortality.epidemic_probability
            rates = _draw_rates(self.mortality, epidemic, self.heads.size, rng)
            out[start:start + k] = rng.poisson(rates * self.heads[None, :]).sum(axis=1)
        return out

    def __repr__(self) -> str:
        return f"PortfolioDeaths({self.heads.size} herds, {int(self.heads.sum())} heads)"


# ---------------------------------------------------------------------------------------------
# the cover
# ---------------------------------------------------------------------------------------------
def _shares(values, name: str) -> tuple[float, ...]:
    try:
        a = np.atleast_1d(np.asarray(values, dtype=float))
    except (TypeError, ValueError):
        raise ParameterError(f"{name}: must be numbers") from None
    if a.ndim != 1 or a.size == 0 or np.any(~np.isfinite(a)) or np.any(a < 0) or np.any(a > 1):
        raise ParameterError(f"{name}: shares in [0, 1], one per weight class, got {values!r}")
    return tuple(float(v) for v in a)


def _lattice_denominator(shares: Sequence[float]) -> int:
    """The smallest D ≤ 1000 with every D·s a whole number (the payout lattice is SI(1 − δ)/D)."""
    d = 1
    for s in shares:
        d = math.lcm(d, Fraction(s).limit_denominator(1000).denominator)
    if d > 1000 or any(abs(d * s - round(d * s)) > 1e-9 for s in shares):
        raise ParameterError(f"payout_shares {tuple(shares)}: give shares with at most three "
                             "decimals (e.g. 0.35), so that the payouts lie on a lattice")
    return d


@dataclass(frozen=True)
class LivestockCover:
    """Per-head livestock cover: sum insured, weight-class payout shares, absolute deductible.

    Parameters
    ----------
    animal : {"sow", "finishing"}
        能繁母猪 or 育肥猪.
    sum_insured : float
        保险金额 per head (元), > 0.
    deductible : float, default 0
        绝对免赔率 δ: the share of each death's indemnity the farmer bears, in [0, 1).
    payout_shares : sequence of float
        s_b, the share of the sum insured a death in weight class b pays (1 for a sow).
    death_shares : sequence of float
        w_b, the share of deaths in class b (summing to 1).
    weight_classes : sequence of float, optional
        The classes' lower weight bounds in kg (labels for tables).

    Examples
    --------
    >>> c = finishing_pig_cover()
    >>> round(c.indemnity_per_death, 2)    # 800 × (.15·.3 + .15·.4 + .25·.6 + .25·.8 + .2·1)
    524.0
    >>> c.pay([[0, 1, 0, 0, 2]]).tolist()  # one 30–40 kg and two ≥ 90 kg deaths
    [1920.0]
    """

    animal: str = "sow"
    sum_insured: float = SOW_SUM_INSURED
    deductible: float = 0.0
    payout_shares: tuple = (1.0,)
    death_shares: tuple = (1.0,)
    weight_classes: tuple | None = None

    def __post_init__(self):
        if self.animal not in ANIMALS:
            raise ParameterError(f"animal={self.animal!r}; use one of {', '.join(ANIMALS)} "
                                 f"({', '.join(ANIMALS.values())})")
        object.__setattr__(self, "sum_insured",
                           check_number(self.sum_insured, _AMOUNT, "sum_insured (保险金额, 元/头)"))
        object.__setattr__(self, "deductible",
                           check_number(self.deductible, _SHARE, "deductible (绝对免赔率)"))
        s = _shares(self.payout_shares, "payout_shares")
        w = _shares(self.death_shares, "death_shares")
        if len(s) != len(w):
            raise ParameterError(f"payout_shares ({len(s)}) and death_shares ({len(w)}) need "
                                 "one entry per weight class each")
        if abs(sum(w) - 1.0) > 1e-9:
            raise ParameterError(f"death_shares must sum to 1, got {sum(w):.12g}")
        if max(s) <= 0:
            raise ParameterError("payout_shares: at least one class must pay something")
        object.__setattr__(self, "payout_shares", s)
        object.__setattr__(self, "death_shares", w)
        _lattice_denominator(s)
        if self.weight_classes is not None:
            wc = tuple(float(v) for v in np.atleast_1d(self.weight_classes))
            if len(wc) != len(s):
                raise ParameterError("weight_classes: one lower bound per payout share")
            object.__setattr__(self, "weight_classes", wc)

    @property
    def mean_share(self) -> float:
        """Σ_b w_b s_b: the expected share of the sum insured one death pays (before δ)."""
        return float(np.dot(self.death_shares, self.payout_shares))

    @property
    def indemnity_per_death(self) -> float:
        """E[indemnity of one death] = SI (1 − δ) Σ_b w_b s_b (元)."""
        return self.sum_insured * (1.0 - self.deductible) * self.mean_share

    def amounts(self) -> np.ndarray:
        """The indemnity of one death in each class, SI · s_b · (1 − δ) (元)."""
        return self.sum_insured * (1.0 - self.deductible) * np.asarray(self.payout_shares)

    def lattice_step(self) -> float:
        """The step on which every indemnity lies: SI (1 − δ)/D (元)."""
        return self.sum_insured * (1.0 - self.deductible) / _lattice_denominator(
            self.payout_shares)

    def severity(self) -> Empirical:
        """The indemnity of one death as a loss law of the loss core (an
        :class:`~puhui.losses.Empirical` on the class amounts, weighted by the death shares)."""
        return Empirical(self.amounts(), weights=np.asarray(self.death_shares))

    def pay(self, deaths_by_class):
        """Indemnity (元) for observed deaths by class (last axis = the classes), vectorised."""
        d = np.asarray(deaths_by_class, dtype=float)
        if d.shape[-1:] != (len(self.payout_shares),):
            raise ParameterError(f"deaths_by_class: the last axis must hold the "
                                 f"{len(self.payout_shares)} weight classes, got shape {d.shape}")
        if np.any(~np.isfinite(d) | (d < 0)):
            raise ParameterError("deaths_by_class: counts must be finite and ≥ 0")
        return np.sum(d * self.amounts(), axis=-1)

    def expected_loss_per_head(self, mortality: HerdMortality):
        """Pure premium per insured head: E[deaths per head] × E[indemnity per death]
        = [(1 − p) q_0 + p q_1] · SI (1 − δ) Σ_b w_b s_b (元)."""
        if not isinstance(mortality, HerdMortality):
            raise ParameterError(f"mortality: a HerdMortality, got {type(mortality).__name__}")
        return mortality.mean_rate * self.indemnity_per_death

    def pure_rate(self, mortality: HerdMortality) -> float:
        """纯风险损失率 = expected loss per head / sum insured."""
        return float(self.expected_loss_per_head(mortality) / self.sum_insured)


def sow_cover(sum_insured: float = SOW_SUM_INSURED, deductible: float = 0.0) -> LivestockCover:
    """能繁母猪 cover: a death pays the sum insured (less δ).

    >>> sow_cover().indemnity_per_death
    1500.0
    """
    return LivestockCover("sow", sum_insured, deductible)


def finishing_pig_cover(sum_insured: float = FINISHING_SUM_INSURED, deductible: float = 0.0, *,
                        payout_shares=FINISHING_PAYOUT_SHARES,
                        death_shares=FINISHING_DEATH_SHARES,
                        weight_classes=FINISHING_WEIGHT_CLASSES) -> LivestockCover:
    """育肥猪 cover with the weight-class schedule (shares of SI by class; death split assumed).

    >>> round(finishing_pig_cover(deductible=0.1).indemnity_per_death, 2)
    471.6
    """
    return LivestockCover("finishing", sum_insured, deductible, tuple(payout_shares),
                          tuple(death_shares), tuple(weight_classes))


# ---------------------------------------------------------------------------------------------
# price
# ---------------------------------------------------------------------------------------------
#: Expenses used when none are given (assumptions, shares of premium): 手续费 4%, 业务及管理费 8%,
#: 税金 0 (农业保险 is VAT-exempt), 保险保障基金 0.8%, 大灾准备金 2% (养殖业 band 1–3%).
DEFAULT_EXPENSES = Expenses(commission=0.04, admin=0.08, protection_fund=0.008,
                            catastrophe_reserve=0.02)


@dataclass(frozen=True, eq=False)
class LivestockPrice:
    """The price of a livestock cover on a herd portfolio (see :func:`price_livestock`)."""

    cover: LivestockCover
    mortality: HerdMortality
    heads: int
    herds: int
    pure_rate: float
    filed: FiledRate
    premium_per_head: float
    premium: float
    expected_claims: float
    expenses: float
    variable_rate: float
    expected_loss_ratio: float
    expected_combined_ratio: float
    break_even_rate: float
    claims: object
    combined_ratio: CombinedRatioDistribution
    p_cr_above_100: float
    subsidy: SubsidySplit
    farmer_premium_per_head: float
    rules: pd.DataFrame
    assumptions: dict = field(default_factory=dict)

    @property
    def rate(self) -> float:
        """The filed rate (费率)."""
        return float(self.filed.rate)

    def summary(self) -> pd.DataFrame:
        """The price, its ratios and the rule check in one table (name, 中文, value)."""
        rows = [
            ("animal", "险种", ANIMALS[self.cover.animal]),
            ("sum_insured", "保险金额 (元/头)", self.cover.sum_insured),
            ("deductible", "绝对免赔率", self.cover.deductible),
            ("herds", "养殖场(户)数", self.herds),
            ("heads", "承保数量 (头)", self.heads),
            ("mean_death_rate", "期望死亡率", self.mortality.mean_rate),
            ("pure_rate", "纯风险损失率", self.pure_rate),
            ("loading", "附加费率", float(self.filed.loading)),
            ("factor", "费率调整系数", float(self.filed.factor)),
            ("rate", "费率", self.rate),
            ("premium_per_head", "保费 (元/头)", self.premium_per_head),
            ("farmer_premium_per_head", "农户自缴 (元/头)", self.farmer_premium_per_head),
            ("premium", "保费 (元)", self.premium),
            ("expected_claims", "期望赔款 (元)", self.expected_claims),
            ("expected_loss_ratio", "期望赔付率", self.expected_loss_ratio),
            ("expected_combined_ratio", "期望综合成本率", self.expected_combined_ratio),
            ("p_cr_above_100", "P(综合成本率 > 100%)", self.p_cr_above_100),
            ("cr_95", "综合成本率 95% 分位", self.combined_ratio.quantile(0.95)),
            ("break_even_rate", "保本费率", self.break_even_rate),
            ("rules_passed", "监管规则全部通过", bool(self.rules["passed"].all())),
        ]
        return pd.DataFrame(rows, columns=["name", "zh", "value"]).set_index("name")


def price_livestock(cover: LivestockCover, mortality: HerdMortality, heads, *,
                    loading: float = 0.20, factor: float = 1.0, subsidised: bool = True,
                    expenses: Expenses | None = None, region_type: str = "central",
                    provincial: float = 0.25, county: float = 0.05, method: str = "fft",
                    seed=None, max_nodes: int = 1 << 16, as_of=None) -> LivestockPrice:
    """Price a per-head livestock cover on a herd portfolio, on the shared pipeline.

    1. **pure rate** (纯风险损失率) = [(1 − p) q_0 + p q_1] · (1 − δ) Σ_b w_b s_b
       (:meth:`LivestockCover.pure_rate`);
    2. **filed rate** = pure rate / (1 − 附加费率) × 费率调整系数 by
       :func:`puhui.agri.rules.filed_rate` — a loading above the 2023 cap or a factor outside
       the band raises :class:`~puhui.rules.RegulationBreach`; premium per head = rate × SI;
    3. **the year's claims** S = Σ of T indemnities, T = :class:`PortfolioDeaths` of the herds,
       by :func:`puhui.losses.aggregate` (FFT on the indemnity lattice SI(1 − δ)/D, coarsened to
       at most ``max_nodes`` nodes; or ``method="simulation"`` with ``seed``);
    4. **ratios**: expenses = ``expenses.amount(heads, premium)`` (:class:`puhui.pricing.Expenses`,
       per head and shares of premium); expected 综合成本率 by
       :func:`puhui.ratios.expected_combined_ratio`; its distribution
       :class:`puhui.ratios.CombinedRatioDistribution` on the law of S, and P(CR > 100%);
       the break-even rate (CR = 100%) by :func:`puhui.pricing.gross_up`;
    5. **subsidy** :func:`puhui.agri.subsidy_split` for the livestock line and the farmer's
       premium per head; **rules** :func:`puhui.rules.check` of the loading, the factor and the
       subsidy shares in the scope (agriculture, livestock, subsidised, region type).

    Parameters
    ----------
    cover : LivestockCover
    mortality : HerdMortality
    heads : array_like
        Insured heads of each herd in the priced year.
    loading, factor : float
        附加费率 and 费率调整系数.
    subsidised : bool
        财政补贴性产品 (the 2023 rule's band and cap).
    expenses : puhui.pricing.Expenses, optional
        Default :data:`DEFAULT_EXPENSES` (assumptions); ``per_member`` is per head.
    region_type, provincial, county : subsidy split of the livestock line.
    method : {"fft", "simulation"}
    seed : int, optional
        Needed for ``method="simulation"``.
    max_nodes : int
        Largest FFT grid before the indemnity lattice is coarsened (by an integer factor; the
        loss core's unbiased discretisation keeps the mean).
    as_of : date or str, optional
        Rulebooks in force on this date (default today).

    Examples
    --------
    >>> m = HerdMortality(0.035, 0.14, 0.1, ordinary_dispersion=8.0, epidemic_dispersion=2.5)
    >>> res = price_livestock(sow_cover(), m, [120] * 40, loading=0.2)
    >>> round(res.pure_rate, 4), round(res.rate, 6)        # 4.55% / 0.8
    (0.0455, 0.056875)
    >>> round(res.farmer_premium_per_head, 4)              # 85.3125 × 20% (中央 50, 省 25, 县 5)
    17.0625
    """
    if not isinstance(cover, LivestockCover):
        raise ParameterError(f"cover: a LivestockCover, got {type(cover).__name__}")
    if not isinstance(mortality, HerdMortality):
        raise ParameterError(f"mortality: a HerdMortality, got {type(mortality).__name__}")
    if method not in ("fft", "simulation"):
        raise ParameterError(f"method: 'fft' or 'simulation', got {method!r}")
    n = _heads(heads)
    expenses = DEFAULT_EXPENSES if expenses is None else expenses
    if not isinstance(expenses, Expenses):
        raise ParameterError(f"expenses: a puhui.pricing.Expenses, got {type(expenses).__name__}")
    total_heads = float(n.sum())

    pure = cover.pure_rate(mortality)
    filed = filed_rate(pure, loading, factor, subsidised=subsidised)
    rate = float(filed.rate)
    per_head = rate * cover.sum_insured
    premium = per_head * total_heads
    expected = float(cover.expected_loss_per_head(mortality)) * total_heads
    spent = float(expenses.amount(total_heads, premium))
    fixed = float(expenses.amount(total_heads, 0.0))
    v = expenses.variable_rate
    loss_ratio = expected / premium
    cr = float(expected_combined_ratio(expected, premium, variable_rate=v, fixed_expenses=fixed))
    even = float(gross_up(expected / total_heads, variable_rate=v, fixed=fixed / total_heads)
                 ) / cover.sum_insured

    deaths = mortality.deaths(n)
    sev = cover.severity()
    if method == "fft":
        h = cover.lattice_step()
        k1, k2, _ = deaths.cumulants()
        span = (k1 + 12.0 * math.sqrt(k2)) * float(np.max(cover.amounts()))
        h *= max(1, math.ceil(span / h / max_nodes))
        law = aggregate(deaths, sev, "fft", step=h)
    else:
        law = aggregate(deaths, sev, "simulation", seed=seed)
    dist = CombinedRatioDistribution(law, premium, v, fixed, 0.0)

    split = subsidy_split("livestock", region_type, provincial=provincial, county=county)
    rules = check({"loading": float(filed.loading), "rate_factor": float(filed.factor),
                   "central_subsidy_share": split.central,
                   "provincial_subsidy_share": split.provincial},
                  scope={"sector": "agriculture", "line": "livestock", "subsidised": subsidised,
                         "region_type": region_type}, as_of=as_of)
    excess = mortality.excess_probability(n)
    if excess.max() > 1e-3:
        warnings.warn(f"the herd law puts {excess.max():.2g} expected herds above their heads in "
                      "a year (mixed Poisson, unbounded): the claims are overstated by that "
                      "much; a larger dispersion α bounds it", stacklevel=2)
    assumptions = {"expenses": {k: getattr(expenses, k) for k in (
        "commission", "admin", "taxes", "protection_fund", "catastrophe_reserve",
        "premium_share", "per_member", "per_claim")},
        "per_claim_expenses": "per_claim is not charged: claims are counted per death here",
        "herds_above_heads": excess.to_dict(), "claims_method": law.method,
        "claims_step": law.step}
    return LivestockPrice(
        cover=cover, mortality=mortality, heads=int(total_heads), herds=int(n.size),
        pure_rate=pure, filed=filed, premium_per_head=per_head, premium=premium,
        expected_claims=expected, expenses=spent, variable_rate=v, expected_loss_ratio=loss_ratio,
        expected_combined_ratio=cr, break_even_rate=even, claims=law, combined_ratio=dist,
        p_cr_above_100=float(dist.prob_above(1.0)), subsidy=split,
        farmer_premium_per_head=per_head * split.farmer, rules=rules, assumptions=assumptions)


# ---------------------------------------------------------------------------------------------
# fit
# ---------------------------------------------------------------------------------------------
_NAMES = ("ordinary_rate", "epidemic_rate", "epidemic_probability", "ordinary_dispersion",
          "epidemic_dispersion")


def _history(history, herd, year, heads, deaths, unit) -> tuple[pd.DataFrame, list[str]]:
    """The history checked: DataError naming each bad row (1-based) and column."""
    if not isinstance(history, pd.DataFrame):
        raise ParameterError(f"history: a DataFrame (herd × year), got {type(history).__name__}")
    units = [year] if unit is None else list(unit)
    needed = list(dict.fromkeys([herd, *units, heads, deaths]))
    missing = [c for c in needed if c not in history.columns]
    if missing:
        raise DataError([Problem("history", c, None, "missing_column",
                                 f"required column {c!r} is absent") for c in missing])
    problems = []
    nums = {}
    for col, what in ((heads, "insured heads"), (deaths, "deaths")):
        x = pd.to_numeric(history[col], errors="coerce").to_numpy(float)
        bad = ~np.isfinite(x) | (x < 0) | (x != np.round(x))
        if col == heads:
            bad |= x < 1
        for i in np.flatnonzero(bad)[:50]:
            problems.append(Problem("history", col, int(i) + 1, "not_a_count",
                                    f"{what} must be a whole number ≥ {1 if col == heads else 0}",
                                    history[col].iloc[i]))
        nums[col] = x
    over = np.isfinite(nums[heads]) & np.isfinite(nums[deaths]) & (nums[deaths] > nums[heads])
    for i in np.flatnonzero(over)[:50]:
        problems.append(Problem("history", deaths, int(i) + 1, "deaths_above_heads",
                                "deaths exceed the insured heads", history[deaths].iloc[i]))
    for c in [herd, *units]:
        for i in np.flatnonzero(history[c].isna().to_numpy())[:50]:
            problems.append(Problem("history", c, int(i) + 1, "missing_value",
                                    f"{c} is missing"))
    dup = history.duplicated(subset=list(dict.fromkeys([herd, *units])), keep="first").to_numpy()
    for i in np.flatnonzero(dup)[:50]:
        problems.append(Problem("history", "+".join(dict.fromkeys([herd, *units])), int(i) + 1,
                                "duplicate", "a herd appears twice in one year"))
    if problems:
        raise DataError(problems)
    keys = (pd.MultiIndex.from_frame(history[units]) if len(units) > 1
            else pd.Index(history[units[0]], name=units[0]))
    codes, labels = pd.factorize(keys, sort=True)
    out = pd.DataFrame({"unit": codes, "heads": nums[heads], "deaths": nums[deaths]})
    out.attrs["labels"] = labels
    n_units = len(labels)
    if n_units < 3:
        raise DataError([Problem("history", year, None, "too_few_years",
                                 f"an epidemic probability needs several years; got {n_units}")])
    if out["deaths"].sum() == 0:
        raise DataError([Problem("history", deaths, None, "no_deaths",
                                 "no deaths at all: the rates cannot be estimated")])
    return out, units


def _unpack(theta: np.ndarray, fixed_alpha) -> HerdMortality:
    q0 = math.exp(theta[0])
    q1 = q0 * (1.0 + math.exp(theta[1]))
    p = float(special.expit(theta[2]))
    if fixed_alpha is None:
        a0, a1 = math.exp(theta[3]), math.exp(theta[4])
    else:
        a0 = a1 = fixed_alpha
    return HerdMortality(min(q0, 1 - 1e-12), min(q1, 1 - 1e-12), min(p, 1 - 1e-12), a0, a1)


class HerdMortalityFitter:
    """Maximum likelihood of the epidemic-year herd law on a herd × year history.

    Parameters
    ----------
    dispersion : "fit", float or inf
        ``"fit"`` estimates α_0 and α_1; a number fixes both; ``inf`` is a Poisson herd.

    Notes
    -----
    After :meth:`fit`: ``mortality_`` (:class:`HerdMortality`), ``loglik_``, ``se_`` (standard
    errors of the five parameters, NaN where not estimated or the information is singular),
    ``posterior_`` (P(epidemic year | data) by year), ``one_state_loglik_`` and
    ``lr_statistic_`` (2 × the log-likelihood gained by the epidemic state), ``n_years_``,
    ``n_herd_years_``, ``converged_``.

    Examples
    --------
    >>> m = HerdMortality(0.04, 0.12, 0.15, ordinary_dispersion=6.0, epidemic_dispersion=3.0)
    >>> sim = m.simulate(np.full(20, 200), years=40, seed=1)
    >>> hist = pd.DataFrame({"herd": np.tile(np.arange(20), 40),
    ...                      "year": np.repeat(np.arange(40), 20),
    ...                      "heads": 200, "deaths": sim["deaths"].ravel()})
    >>> fit = HerdMortalityFitter().fit(hist)
    >>> bool((fit.posterior_ > 0.5).to_numpy().tolist() == sim["epidemic"].tolist())
    True
    """

    def __init__(self, *, dispersion="fit"):
        if isinstance(dispersion, str):
            if dispersion != "fit":
                raise ParameterError(f"dispersion: 'fit', a number > 0 or inf, got {dispersion!r}")
            self._alpha = None
        else:
            if isinstance(dispersion, (int, float)) and not isinstance(dispersion, bool) \
                    and dispersion == math.inf:
                self._alpha = math.inf
            else:
                self._alpha = check_number(dispersion, _DISPERSION, "dispersion")
        self.dispersion = dispersion

    def _nll(self, theta, d, n, inv, units):
        try:
            m = _unpack(theta, self._alpha)
        except (ParameterError, OverflowError):
            return 1e300
        ll0, ll1 = _unit_logliks(d, n, inv, units, m)
        p = m.epidemic_probability
        val = -float(np.logaddexp(math.log1p(-p) + ll0, math.log(p) + ll1).sum())
        return val if math.isfinite(val) else 1e300

    def _starts(self, d, n, inv, units) -> list[np.ndarray]:
        rate = np.bincount(inv, d, minlength=units) / np.bincount(inv, n, minlength=units)
        order = np.argsort(rate)
        r = rate[order]
        best, split = -1.0, units - 1
        for k in range(1, units):              # Otsu's split of the years' rates (≤ a few dozen)
            w0, w1 = k / units, 1 - k / units
            gap = w0 * w1 * (r[:k].mean() - r[k:].mean()) ** 2
            if gap > best:
                best, split = gap, k
        low = np.isin(inv, order[:split])
        q0 = max(d[low].sum() / n[low].sum(), 1e-6)
        q1 = max(d[~low].sum() / n[~low].sum(), 1.5 * q0) if (~low).any() else 3 * q0
        p = min(max((units - split) / units, 0.02), 0.45)
        starts = []
        for a0, a1, pp, ratio in ((8.0, 2.0, p, q1 / q0), (20.0, 5.0, 0.1, 3.0)):
            theta = [math.log(q0), math.log(max(ratio - 1.0, 0.05)), float(special.logit(pp))]
            if self._alpha is None:
                theta += [math.log(a0), math.log(a1)]
            starts.append(np.array(theta))
        return starts

    def fit(self, history: pd.DataFrame, *, herd: str = "herd", year: str = "year",
            heads: str = "heads", deaths: str = "deaths", unit: Sequence[str] | None = None):
        """Fit on ``history`` (one row per herd × year: insured heads, deaths).

        ``unit`` names the columns whose combination shares an epidemic state (default: the
        year alone; e.g. ``["region", "year"]`` for several regions)."""
        data, units_cols = _history(history, herd, year, heads, deaths, unit)
        labels = data.attrs["labels"]
        inv = data["unit"].to_numpy(np.int64)
        d, n = data["deaths"].to_numpy(float), data["heads"].to_numpy(float)
        units = len(labels)
        k = 5 if self._alpha is None else 3
        bounds = [(math.log(1e-8), math.log(0.999)), (-12.0, 8.0), (-12.0, 12.0)]
        bounds += [(math.log(0.05), math.log(1e6))] * (k - 3)
        best = None
        for start in self._starts(d, n, inv, units):
            res = optimize.minimize(self._nll, start, args=(d, n, inv, units), method="L-BFGS-B",
                                    bounds=bounds)
            if best is None or res.fun < best.fun:
                best = res
        theta = best.x
        self.mortality_ = _unpack(theta, self._alpha)
        self.loglik_ = -float(best.fun)
        self.converged_ = bool(best.success)
        self.se_ = self._standard_errors(theta, d, n, inv, units, bounds)
        ll0, ll1 = _unit_logliks(d, n, inv, units, self.mortality_)
        p = self.mortality_.epidemic_probability
        post = special.expit(math.log(p) - math.log1p(-p) + ll1 - ll0)
        index = pd.MultiIndex.from_tuples(list(labels), names=units_cols) \
            if len(units_cols) > 1 else pd.Index(labels, name=units_cols[0])
        self.posterior_ = pd.Series(post, index=index, name="p_epidemic")
        self.one_state_loglik_ = self._one_state(d, n)
        self.lr_statistic_ = 2.0 * (self.loglik_ - self.one_state_loglik_)
        self.n_years_ = int(units)
        self.n_herd_years_ = int(d.size)
        return self

    def _one_state(self, d, n) -> float:
        """Log-likelihood of the best single-state herd law (no epidemic years)."""
        def nll(t):
            q = math.exp(t[0])
            alpha = self._alpha if self._alpha is not None else math.exp(t[1])
            mu = n * q
            lp = (stats.poisson.logpmf(d, mu) if math.isinf(alpha)
                  else stats.nbinom.logpmf(d, alpha, alpha / (alpha + mu)))
            s = -float(lp.sum())
            return s if math.isfinite(s) else 1e300
        start = [math.log(max(d.sum() / n.sum(), 1e-8))] + ([math.log(5.0)]
                                                             if self._alpha is None else [])
        bnds = [(math.log(1e-8), 0.0)] + ([(math.log(0.05), math.log(1e6))]
                                          if self._alpha is None else [])
        return -float(optimize.minimize(nll, start, method="L-BFGS-B", bounds=bnds).fun)

    def _standard_errors(self, theta, d, n, inv, units, bounds) -> pd.Series:
        """Observed-information standard errors (central-difference Hessian in θ, delta method)."""
        k = theta.size
        nan = pd.Series(np.nan, index=list(_NAMES), name="se")
        at_bound = any(abs(t - lo) < 1e-6 or abs(t - hi) < 1e-6
                       for t, (lo, hi) in zip(theta, bounds, strict=True))
        if at_bound:
            return nan
        eps = 1e-4
        f0 = self._nll(theta, d, n, inv, units)
        hess = np.empty((k, k))
        for i in range(k):                      # 5 parameters: 2k² evaluations, no loop per herd
            for j in range(i, k):
                ei, ej = np.eye(k)[i] * eps, np.eye(k)[j] * eps
                if i == j:
                    val = (self._nll(theta + ei, d, n, inv, units) - 2 * f0
                           + self._nll(theta - ei, d, n, inv, units)) / eps**2
                else:
                    val = (self._nll(theta + ei + ej, d, n, inv, units)
                           - self._nll(theta + ei - ej, d, n, inv, units)
                           - self._nll(theta - ei + ej, d, n, inv, units)
                           + self._nll(theta - ei - ej, d, n, inv, units)) / (4 * eps**2)
                hess[i, j] = hess[j, i] = val
        try:
            cov = np.linalg.inv(hess)
        except np.linalg.LinAlgError:
            return nan
        if not np.all(np.isfinite(cov)) or np.any(np.diag(cov) <= 0):
            return nan
        m = _unpack(theta, self._alpha)
        q0, q1, p = m.ordinary_rate, m.epidemic_rate, m.epidemic_probability
        jac = np.zeros((5, k))                  # ∂(q0, q1, p, α0, α1)/∂θ
        jac[0, 0] = q0
        jac[1, 0], jac[1, 1] = q1, q1 - q0
        jac[2, 2] = p * (1 - p)
        if k == 5:
            jac[3, 3], jac[4, 4] = m.ordinary_dispersion, m.epidemic_dispersion
        var = np.einsum("ik,kl,il->i", jac, cov, jac)
        se = np.sqrt(np.where(var > 0, var, np.nan))
        if k == 3:
            se[3:] = np.nan
        return pd.Series(se, index=list(_NAMES), name="se")

    def summary(self) -> pd.DataFrame:
        """Estimates with standard errors and the fit statistics in ``attrs``."""
        if not hasattr(self, "mortality_"):
            raise ParameterError("call fit() first")
        m = self.mortality_
        est = [getattr(m, name) for name in _NAMES]
        out = pd.DataFrame({"estimate": est, "se": self.se_.to_numpy()}, index=list(_NAMES))
        out.attrs.update(loglik=self.loglik_, one_state_loglik=self.one_state_loglik_,
                         lr_statistic=self.lr_statistic_, n_years=self.n_years_,
                         n_herd_years=self.n_herd_years_, converged=self.converged_,
                         epidemic_years=[k for k, v in self.posterior_.items() if v > 0.5])
        return out


def burn_ratios(history: pd.DataFrame, *, premium: str = "premium", paid: str = "paid",
                year: str = "year", expenses: Expenses | None = None,
                heads: str = "heads") -> pd.DataFrame:
    """Each year's loss ratio and combined ratio of a herd history (burn analysis, 历史回测):
    paid / premium and (paid + expenses) / premium, by :func:`puhui.ratios.combined_ratio_from`.

    Examples
    --------
    >>> h = pd.DataFrame({"year": [2020, 2020, 2021], "heads": [10, 20, 10],
    ...                   "premium": [900.0, 1800.0, 900.0], "paid": [1500.0, 0.0, 3000.0]})
    >>> burn_ratios(h, expenses=Expenses(admin=0.1))["combined_ratio"].round(4).tolist()
    [0.6556, 3.4333]
    """
    expenses = DEFAULT_EXPENSES if expenses is None else expenses
    for c in (premium, paid, year, heads):
        if c not in history.columns:
            raise DataError([Problem("history", c, None, "missing_column",
                                     f"required column {c!r} is absent")])
    g = history.groupby(year)[[premium, paid, heads]].sum()
    if (g[premium] <= 0).any():
        raise DataError([Problem("history", premium, None, "no_premium",
                                 "a year without premium has no loss ratio")])
    lr = g[paid] / g[premium]
    er = expenses.amount(g[heads].to_numpy(float), g[premium].to_numpy(float)) / g[premium]
    return pd.DataFrame({"premium": g[premium], "paid": g[paid], "loss_ratio": lr,
                         "expense_ratio": er,
                         "combined_ratio": combined_ratio_from(lr.to_numpy(), er.to_numpy())},
                        index=g.index)

