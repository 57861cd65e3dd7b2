"""Short-term term life cover for a special group, priced on a life table (团体/短期定期寿险).

A :class:`TermLifeProduct` is one-year or short-term (n ≤ a few years) term life cover with a
level annual premium, priced by the equivalence principle on a table per sex (e.g.
``{"M": CL1, "F": CL2}`` of 中国人身保险业经验生命表（2010－2013）) with

* a multiplicative mortality loading (死亡率加成, e.g. 150 % of table for a disabled cohort,
  ``q' = min(1.5 q, 1)``: :meth:`puhui.life.LifeTable.scaled`);
* entry-age limits (投保年龄) and an age cap on cover (保障终止年龄):
  :meth:`puhui.life.LifeTable.with_age_limits`, refused with :class:`puhui.ParameterError`;
* expense loadings (费用附加, :class:`puhui.life.Expenses`) and a profit margin (利润附加)
  taken as a share of every gross premium.

Formulas (*standard*, Dickson–Hardy–Waters, AMLCR, ch. 6), sum insured S (保额), interest i,
``v = 1/(1+i)``, term n:

* net annual premium ``P = S · A¹_{x:n} / ä_{x:n}``; for one year ``P = S · v · q_x``;
* gross annual premium ``G = (S·A¹ + I_S·S + I + e·ä_{x:n}) / ((1 − c − m)·ä_{x:n} − c₀)``
  with the loadings of :class:`~puhui.life.Expenses` (c₀ initial and c renewal premium shares, I
  per policy at issue, e per policy a year, I_S per unit sum insured) and the margin m; for one
  year ``G = (S v q + I_S S + I + e) / (1 − c − c₀ − m)``;
* expected first-year claims ``q_x · S`` (undiscounted: what an A/E study compares with).

Everything is vectorised over arrays of ages, sexes and sums insured (one call per sex).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ..errors import ParameterError
from ..pricing.loading import gross_up
from . import premiums
from .premiums import Expenses
from .table import LifeTable


@dataclass(frozen=True, eq=False)
class TermLifeProduct:
    """One-year or short-term term life cover priced on a life table (定期寿险).

    Parameters
    ----------
    table : LifeTable or mapping sex → LifeTable
        The industry table, e.g. ``load_table("CL1_2010_2013")``, or one per sex:
        ``{"M": CL1, "F": CL2}`` (非养老类业务一表 for term business).
    term : int
        Term n in years (保险期间), ≥ 1; premiums are level and annual over the term.
    interest : float
        Pricing interest rate i (预定利率), e.g. 0.025.
    mortality_loading : float
        Multiplicative loading on q (死亡率加成), 1.5 = 150 % of table.
    min_entry_age, max_entry_age, max_expiry_age : int, optional
        投保年龄 limits and the age by which cover must end (x + n ≤ max_expiry_age).
    expenses : Expenses
        Expense loadings of the gross premium.
    profit_margin : float
        Profit margin m as a share of every gross premium (利润附加), in [0, 1).
    name : str
        Product name for tables and figures.

    Examples
    --------
    >>> from puhui.life import load_table
    >>> from puhui.life.products import TermLifeProduct
    >>> cl1 = load_table("CL1_2010_2013")
    >>> p = TermLifeProduct(cl1, term=1, interest=0.025, mortality_loading=1.5)
    >>> q = 1.5 * float(cl1.qx[40])
    >>> bool(abs(float(p.net_premium(40, sum_insured=100_000)) - 100_000 * q / 1.025) < 1e-9)
    True
    """

    table: LifeTable | Mapping[str, LifeTable]
    term: int = 1
    interest: float = 0.025
    mortality_loading: float = 1.0
    min_entry_age: int | None = None
    max_entry_age: int | None = None
    max_expiry_age: int | None = None
    expenses: Expenses = field(default_factory=Expenses)
    profit_margin: float = 0.0
    name: str = "term life"

    def __post_init__(self):
        tables = self.table.values() if isinstance(self.table, Mapping) else [self.table]
        if not tables or not all(isinstance(t, LifeTable) for t in tables):
            raise ParameterError("table must be a LifeTable or a mapping sex → LifeTable")
        if int(self.term) != self.term or self.term < 1:
            raise ParameterError(f"term must be a whole number of years ≥ 1, got {self.term!r}")
        if not (np.isfinite(self.interest) and self.interest > -1):
            raise ParameterError(f"interest must be a finite rate > −1, got {self.interest!r}")
        if not (np.isfinite(self.mortality_loading) and self.mortality_loading >= 0):
            raise ParameterError("mortality_loading must be finite and ≥ 0 (1.5 = 150 % of "
                                 f"table), got {self.mortality_loading!r}")
        if not isinstance(self.expenses, Expenses):
            raise ParameterError("expenses must be a puhui.life.Expenses")
        _check_margin(self.profit_margin, self.expenses)
        # Fail early on limits that no table accepts (LifeTable checks them).
        self.basis(next(iter(self.table)) if isinstance(self.table, Mapping) else None)

    # ------------------------------------------------------------------ the basis
    @property
    def sexes(self) -> tuple[str, ...] | None:
        """The sexes with a table (``None`` for a single unisex table)."""
        return tuple(self.table) if isinstance(self.table, Mapping) else None

    def basis(self, sex=None) -> LifeTable:
        """The pricing table of ``sex``: loaded by ``mortality_loading``, with the age limits."""
        if isinstance(self.table, Mapping):
            if sex not in self.table:
                raise ParameterError(f"{self.name}: no table for sex {sex!r}; tables are given "
                                     f"for {list(self.table)}")
            t = self.table[sex]
        else:
            t = self.table
        if self.mortality_loading != 1.0:
            t = t.scaled(self.mortality_loading)
        if any(v is not None for v in (self.min_entry_age, self.max_entry_age,
                                       self.max_expiry_age)):
            t = t.with_age_limits(min_entry_age=self.min_entry_age,
                                  max_entry_age=self.max_entry_age,
                                  max_expiry_age=self.max_expiry_age)
        return t

    def with_loading(self, mortality_loading: float) -> TermLifeProduct:
        """The same product with another mortality loading (e.g. after a review)."""
        return dataclasses.replace(self, mortality_loading=float(mortality_loading))

    # ------------------------------------------------------------------ premiums
    def net_premium(self, age, sex=None, sum_insured=1.0) -> np.ndarray:
        """Net annual premium ``S · A¹_{x:n} / ä_{x:n}`` (纯保费), yuan per life a year."""
        return self._by_sex(age, sex, sum_insured, self._net)

    def gross_premium(self, age, sex=None, sum_insured=1.0) -> np.ndarray:
        """Gross annual premium with the expense loadings and the profit margin (毛保费)."""
        return self._by_sex(age, sex, sum_insured, self._gross)

    def expected_claims(self, age, sex=None, sum_insured=1.0) -> np.ndarray:
        """Expected death claims of the first policy year, ``q_x · S`` (undiscounted, yuan)."""
        return self._by_sex(age, sex, sum_insured, self._claims)

    def premium_rates(self, ages, *, per: float = 1000.0, gross: bool = True) -> pd.DataFrame:
        """Rate table (费率表): annual premium per ``per`` yuan of sum insured, age × sex."""
        ages = np.asarray(ages)
        func = self.gross_premium if gross else self.net_premium
        cols = {}
        for sex in (self.sexes or (None,)):
            cols["all" if sex is None else sex] = func(ages, sex, per)
        return pd.DataFrame(cols, index=pd.Index(ages, name="age"))

    # ------------------------------------------------------------------ internals
    def _net(self, table, x, s):
        return premiums.net_premium(table, x, self.term, benefit="term", i=self.interest,
                                    sum_insured=s)

    def _gross(self, table, x, s):
        loaded = dataclasses.replace(self.expenses, premium_share=self.expenses.premium_share
                                     + self.profit_margin)
        return premiums.gross_premium(table, x, self.term, benefit="term", i=self.interest,
                                      expenses=loaded, sum_insured=s)

    def _claims(self, table, x, s):
        table.check_cover(x, self.term)
        return table.tqx(x, 1.0) * s

    def _by_sex(self, age, sex, sum_insured, func) -> np.ndarray:
        age = np.asarray(age, dtype=float)
        s = np.asarray(sum_insured, dtype=float)
        if not np.all(np.isfinite(s)) or np.any(s <= 0):
            raise ParameterError(f"sum_insured must be positive, got {sum_insured!r}")
        if self.sexes is None:
            return np.asarray(func(self.basis(), age, s), dtype=float)
        if sex is None:
            raise ParameterError(f"{self.name} has a table per sex {self.sexes}: give sex")
        age, sex_arr, s = np.broadcast_arrays(age, np.asarray(sex, dtype=object), s)
        unknown = set(pd.unique(sex_arr.ravel())) - set(self.sexes)
        if unknown:
            raise ParameterError(f"{self.name}: no table for sex {sorted(map(str, unknown))}; "
                                 f"tables are given for {list(self.sexes)}")
        out = np.zeros(age.shape)
        for sx in self.sexes:  # one vectorised call per sex
            m = sex_arr == sx
            if m.any():
                out[m] = func(self.basis(sx), age[m], s[m])
        return out


def one_year_gross(net, *, expenses: Expenses | None = None, profit_margin: float = 0.0,
                   sum_insured=0.0):
    """Gross premium of one-year cover from its net premium (短期险毛保费).

    ``G = (P + I_S·S + I + e) / (1 − c − c₀ − m)`` with the :class:`~puhui.life.Expenses`
    loadings (shares of the gross premium c, c₀; yuan per policy I, e; per unit sum insured I_S)
    and the profit margin m. The same as :func:`puhui.life.gross_premium` for n = 1.

    Examples
    --------
    >>> from puhui.life import Expenses
    >>> float(one_year_gross(60.0, expenses=Expenses(premium_share=0.2, per_policy=3.0),
    ...                      profit_margin=0.05))
    84.0
    """
    expenses = Expenses() if expenses is None else expenses
    if not isinstance(expenses, Expenses):
        raise ParameterError("expenses must be a puhui.life.Expenses")
    _check_margin(profit_margin, expenses)
    p = np.asarray(net, dtype=float)
    if not np.all(np.isfinite(p)) or np.any(p < 0):
        raise ParameterError("net premium must be finite and ≥ 0")
    share = expenses.variable_rate + expenses.initial_premium_share + profit_margin
    outgo = (p + expenses.initial_per_sum_insured * np.asarray(sum_insured, dtype=float)
             + expenses.initial_per_policy + expenses.per_policy)
    return gross_up(outgo, variable_rate=share)   # outgo / (1 − c − c₀ − m), the one gross-up


def _check_margin(margin, expenses: Expenses) -> None:
    if not (np.isfinite(margin) and 0.0 <= margin < 1.0):
        raise ParameterError(f"profit_margin must lie in [0, 1), got {margin!r}")
    total = expenses.variable_rate + expenses.initial_premium_share + margin
    if total >= 1.0:
        raise ParameterError(f"expense shares and profit margin take {total:.0%} of the premium; "
                             "they must stay below 100 %")


__all__ = ["TermLifeProduct", "one_year_gross"]
