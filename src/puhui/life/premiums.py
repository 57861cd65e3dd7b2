"""Net and gross premiums (纯保费、毛保费) by the equivalence principle, and net premium reserves.

Equivalence principle (收支平衡原则, *standard*): the expected present value of premiums equals
that of benefits (and, for gross premiums, of expenses) at issue.

* Net annual premium, payable m-thly for h years (缴费期 h ≤ n):
  ``P · ä^{(m)}_{x:h} = S · A``, with A the benefit's value per unit sum insured S (保额).
* Gross annual premium G with :class:`Expenses`:
  ``G ä_{x:h} = S·A + I_S·S + I_pol + e·ä_{x:n} + G (c ä_{x:h} + c₀)``, so
  ``G = (S·A + I_S·S + I_pol + e·ä_{x:n}) / ((1 − c) ä_{x:h} − c₀)``.
* Net premium reserve (净保费责任准备金), prospective, at integer duration t:
  ``ₜV = S · A_{[x]+t} − P · ä_{[x]+t:h−t}`` (values of the remaining benefit and premiums);
  it satisfies the recursion ``(ₜV + P)(1 + i) = S q_{[x]+t} + p_{[x]+t} ₜ₊₁V`` for benefits
  paid at the end of the year of death.

Benefits (``benefit=``): ``"term"`` 定期寿险, ``"endowment"`` 两全保险, ``"whole_life"``
终身寿险, ``"pure_endowment"`` 生存保险. A single premium (趸缴) is ``premium_term=1``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..errors import ParameterError
from ..pricing.loading import Expenses as _Expenses
from ..pricing.loading import gross_up
from .present_values import (
    _cumulants,
    _whole,
    annuity_due,
    endowment_insurance,
    pure_endowment,
    term_insurance,
    whole_life_insurance,
)
from .table import LifeTable

BENEFITS = ("term", "endowment", "whole_life", "pure_endowment")


@dataclass(frozen=True, init=False)
class Expenses(_Expenses):
    """Expense loadings for a gross premium (费用附加): :class:`puhui.pricing.Expenses` under the
    life keywords, plus the loadings at issue.

    Parameters
    ----------
    initial_premium_share : float
        Extra share of the first year's gross premium spent at issue (首年佣金等首年附加),
        on top of ``premium_share``; in [0, 1).
    premium_share : float
        Share of every gross premium (续期佣金, 税费, 保险保障基金 …), in [0, 1). The split
        shares of the model (``commission``, ``taxes`` …) may be given by keyword instead; the
        premiums use their sum :attr:`variable_rate`.
    initial_per_policy : float
        Yuan per policy at issue (保单签发费用).
    per_policy : float
        Yuan per policy at the start of every policy year while in force (维持费用; the
        model's ``per_member``).
    initial_per_sum_insured : float
        Fraction of the sum insured spent at issue (e.g. 0.002 = 2‰ of 保额, 核保体检).

    Notes
    -----
    The model's ``per_claim`` has no place in these premiums (claim expenses are loaded per
    policy) and must stay 0.
    """

    initial_premium_share: float = 0.0
    initial_per_policy: float = 0.0
    initial_per_sum_insured: float = 0.0

    def __init__(self, initial_premium_share=0.0, premium_share=0.0, initial_per_policy=0.0,
                 per_policy=None, initial_per_sum_insured=0.0, *, per_member=0.0, **shares):
        if per_policy is not None and not (np.isfinite(per_policy) and per_policy >= 0.0):
            raise ParameterError(f"Expenses.per_policy must be finite and ≥ 0, got {per_policy}")
        for name, value in (("initial_premium_share", initial_premium_share),
                            ("initial_per_policy", initial_per_policy),
                            ("initial_per_sum_insured", initial_per_sum_insured)):
            object.__setattr__(self, name, value)
        super().__init__(premium_share=premium_share,
                         per_member=per_member if per_policy is None else per_policy, **shares)

    def __post_init__(self):
        super().__post_init__()
        if not (0.0 <= self.initial_premium_share < 1.0):
            raise ParameterError(f"Expenses.initial_premium_share must lie in [0, 1), got "
                                 f"{self.initial_premium_share}")
        for name in ("initial_per_policy", "initial_per_sum_insured"):
            value = getattr(self, name)
            if not (np.isfinite(value) and value >= 0.0):
                raise ParameterError(f"Expenses.{name} must be finite and ≥ 0, got {value}")
        if self.per_claim:
            raise ParameterError("Expenses.per_claim: the life premiums load claim expenses "
                                 "per policy (per_policy); per_claim must be 0")

    @property
    def per_policy(self) -> float:
        """Yuan per policy a year (``per_member``)."""
        return self.per_member


def benefit_value(table: LifeTable, x, n=None, *, benefit: str, i: float,
                  claims_m: float = 1) -> np.ndarray:
    """Expected present value of the benefit per unit sum insured (趸缴纯保费).

    ``claims_m`` > 1 pays death benefits at the end of the 1/m-th of the year of death (UDD).
    """
    if benefit not in BENEFITS:
        raise ParameterError(f"benefit must be one of {BENEFITS}, got {benefit!r}")
    if benefit == "whole_life":
        if n is not None:
            raise ParameterError("a whole-life benefit takes no term n")
        return whole_life_insurance(table, x, i=i, m=claims_m)
    if n is None:
        raise ParameterError(f"a {benefit} benefit needs a term n")
    if benefit == "term":
        return term_insurance(table, x, n, i=i, m=claims_m)
    if benefit == "endowment":
        return endowment_insurance(table, x, n, i=i, m=claims_m)
    return pure_endowment(table, x, n, i=i)


def net_premium(table: LifeTable, x, n=None, *, benefit: str, i: float, premium_term=None,
                premium_m: float = 1, claims_m: float = 1,
                sum_insured: float = 1.0) -> np.ndarray:
    """Net annual premium by the equivalence principle: ``P = S·A / ä^{(m)}_{x:h}`` (纯保费).

    ``premium_term`` h defaults to the benefit term (whole life for whole-life cover); the
    annual amount P is paid in ``premium_m`` instalments of P/m.

    Examples
    --------
    >>> from puhui.life import load_table, net_premium
    >>> t = load_table("CL1_2010_2013").scaled(1.5)   # disabled cohort, 150% of table
    >>> p = net_premium(t, 40, 20, benefit="term", i=0.025, sum_insured=100_000)
    >>> bool(p > net_premium(load_table("CL1_2010_2013"), 40, 20, benefit="term", i=0.025,
    ...                       sum_insured=100_000))
    True
    """
    a = benefit_value(table, x, n, benefit=benefit, i=i, claims_m=claims_m)
    annuity = annuity_due(table, x, _premium_term(n, premium_term), i=i, m=premium_m)
    return _per(sum_insured) * a / annuity


def gross_premium(table: LifeTable, x, n=None, *, benefit: str, i: float, expenses: Expenses,
                  premium_term=None, premium_m: float = 1, claims_m: float = 1,
                  sum_insured: float = 1.0) -> np.ndarray:
    """Gross annual premium with expense loadings (毛保费/总保费), equivalence principle.

    ``G = (S·A + I_S·S + I_pol + e·ä_{x:n}) / ((1 − c)·ä^{(m)}_{x:h} − c₀)`` with the
    loadings of :class:`Expenses` (per-policy maintenance e over the policy term n, or for
    life when n is None).
    """
    if not isinstance(expenses, Expenses):
        raise ParameterError("expenses must be a puhui.life.Expenses")
    s = _per(sum_insured)
    a = benefit_value(table, x, n, benefit=benefit, i=i, claims_m=claims_m)
    prem = annuity_due(table, x, _premium_term(n, premium_term), i=i, m=premium_m)
    maint = annuity_due(table, x, n, i=i)
    outgo = (s * a + expenses.initial_per_sum_insured * s + expenses.initial_per_policy
             + expenses.per_policy * maint)
    if np.any((1.0 - expenses.variable_rate) * prem - expenses.initial_premium_share <= 0):
        raise ParameterError("expense shares absorb the whole premium: (1 − premium_share)·ä "
                             "− initial_premium_share must be > 0")
    # G = outgo / ((1 − c)·ä − c₀), the one gross-up
    return gross_up(outgo, variable_rate=expenses.variable_rate, annuity=prem,
                    initial_share=expenses.initial_premium_share)


def net_premium_reserve(table: LifeTable, x, t, n=None, *, benefit: str, i: float,
                        premium_term=None, sum_insured: float = 1.0) -> np.ndarray:
    """Prospective net premium reserve ``ₜV`` at integer duration t (净保费准备金).

    Annual premiums in advance, benefits at the end of the year of death (or at n). The
    reserve is 0 at t = 0 and, for an endowment, S at t = n.
    """
    if benefit not in BENEFITS:
        raise ParameterError(f"benefit must be one of {BENEFITS}, got {benefit!r}")
    if (benefit == "whole_life") != (n is None):
        raise ParameterError("give a term n for term, endowment and pure endowment benefits, "
                             "and none for whole life")
    p = net_premium(table, x, n, benefit=benefit, i=i, premium_term=premium_term)
    t = _whole(t, "t")
    h = _premium_term(n, premium_term)
    x_b, t_b, p_b = np.broadcast_arrays(_whole(x, "x"), t, p)
    c = _cumulants(table, x_b, n, 0, i)
    if h is not None:
        h_b = np.broadcast_to(_whole(h, "premium_term"), x_b.shape)
    if np.any(t_b > c.end):
        raise ParameterError("duration t must not exceed the term n")
    alive = c.E(t_b)
    if np.any(alive <= 0):
        raise ParameterError("no life survives to duration t under this table")
    if benefit == "pure_endowment":
        ben = c.E(c.end)
    else:
        ben = c.AI(c.end) - c.AI(t_b)
        if benefit == "endowment":
            ben = ben + c.E(c.end)
    h_end = c.end if h is None else np.minimum(h_b, c.end)
    prem = c.AD(np.maximum(h_end, t_b)) - c.AD(t_b)
    return _per(sum_insured) * (ben - p_b * prem) / alive


def _premium_term(n, premium_term):
    if premium_term is None:
        return n
    h = _whole(premium_term, "premium_term")
    if np.any(h < 1):
        raise ParameterError("premium_term must be ≥ 1 year (1 = single premium, 趸缴)")
    if n is not None and np.any(h > np.asarray(n)):
        raise ParameterError("premium_term must not exceed the benefit term n")
    return h


def _per(sum_insured):
    s = np.asarray(sum_insured, dtype=float)
    if not np.all(np.isfinite(s)) or np.any(s <= 0):
        raise ParameterError(f"sum_insured must be positive, got {sum_insured!r}")
    return s
