"""The one expense model of every product family (费用假设): shares of premium, an amount per
policy / member / insured unit and an amount per claim; :func:`puhui.pricing.gross_up` turns pure
premium into premium with it.

Each number is checked against :data:`EXPENSE_BOUNDS` when an :class:`Expenses` is built (the
product files of the families add their own keys to these bounds).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from puhui.data.bounds import Bound, check_fields, check_number, raise_all
from puhui.errors import ParameterError

__all__ = ["EXPENSE_BOUNDS", "EXPENSE_LABELS", "PREMIUM_SHARES", "Expenses", "check_expense"]

_SHARE = Bound(0.0, 1.0, hint="a fraction of premium: write 4% as 0.04")
#: Bounds of the expense keys (shares of premium in [0, 1); amounts in 元 ≥ 0).
EXPENSE_BOUNDS: dict[str, Bound] = {
    "commission": _SHARE,
    "admin": _SHARE,
    "taxes": _SHARE,
    "protection_fund": _SHARE,
    "per_member": Bound(0.0),
    "catastrophe_reserve": _SHARE,
    "premium_share": _SHARE,
    "per_claim": Bound(0.0),
}
#: How an error message names each expense key (English key, Chinese term).
EXPENSE_LABELS: dict[str, str] = {
    "commission": "commission (手续费及佣金)",
    "admin": "admin (业务及管理费)",
    "taxes": "taxes (税金及附加)",
    "protection_fund": "protection_fund (保险保障基金)",
    "per_member": "per_member (元 per member)",
    "catastrophe_reserve": "catastrophe_reserve (大灾准备金)",
    "premium_share": "premium_share (other share of premium)",
    "per_claim": "per_claim (元 per claim)",
}


def check_expense(value, key: str) -> float:
    """``value`` checked against ``EXPENSE_BOUNDS[key]`` (:func:`puhui.data.bounds.check_number`)."""
    return check_number(value, EXPENSE_BOUNDS[key], EXPENSE_LABELS[key])


#: The shares of premium of :class:`Expenses`, in the order :attr:`Expenses.variable_rate` sums.
PREMIUM_SHARES = ("commission", "admin", "taxes", "protection_fund", "catastrophe_reserve",
                  "premium_share")


@dataclass(frozen=True)
class Expenses:
    """The one expense model (费用假设) of every product family, product-neutral.

    Expenses of a period, for ``N`` policies / members / insured units, premium ``P`` and ``n``
    claims::

        expenses = v·P + per_member·N + per_claim·n
        v = commission + admin + taxes + protection_fund + catastrophe_reserve + premium_share

    Shares of premium, each in [0, 1) and together below 1:

    * ``commission`` — 手续费及佣金;
    * ``admin`` — 业务及管理费 (the part proportional to premium);
    * ``taxes`` — 税金及附加;
    * ``protection_fund`` — 保险保障基金;
    * ``catastrophe_reserve`` — 大灾准备金 (agriculture);
    * ``premium_share`` — any other share of premium, or all of them when not split (the
      agriculture and life families give one share).

    Amounts (元, ≥ 0): ``per_member`` per policy / member / insured unit (每单/每人/每亩) and
    ``per_claim`` per claim (理赔费用, 查勘定损).

    The product file of 惠民保 (:class:`puhui.huiminbao.Product`) gives the first five (``[expenses]``); :class:`puhui.agri.Expenses`
    and :class:`puhui.life.Expenses` are this class under their own keywords (per 亩, per
    policy). :func:`puhui.pricing.gross_up` turns pure premium into premium with it.

    Examples
    --------
    >>> e = Expenses(commission=0.04, admin=0.06, protection_fund=0.008, per_member=2.0)
    >>> round(e.variable_rate, 3)
    0.108
    >>> float(e.amount(members=10, premium=1000.0))      # 0.108·1000 + 2·10
    128.0
    """

    commission: float = 0.0
    admin: float = 0.0
    taxes: float = 0.0
    protection_fund: float = 0.0
    per_member: float = 0.0
    catastrophe_reserve: float = 0.0
    premium_share: float = 0.0
    per_claim: float = 0.0

    def __post_init__(self):
        raise_all(check_fields(self, {name: name for name in (*PREMIUM_SHARES, "per_member",
                                                             "per_claim")}, check_expense))
        if not self.variable_rate < 1:
            raise ParameterError(f"{' + '.join(PREMIUM_SHARES)} = {self.variable_rate:g}: "
                                 "variable expenses must take less than 100% of the premium")

    @property
    def variable_rate(self) -> float:
        """Share of premium consumed by variable expenses (综合费用率 before fixed costs)."""
        return (self.commission + self.admin + self.taxes + self.protection_fund
                + self.catastrophe_reserve + self.premium_share)

    def amount(self, members, premium, claims=0.0):
        """Expenses in yuan, ``per_member·N + v·P + per_claim·n`` (broadcasting)."""
        return (self.per_member * np.asarray(members, float)
                + self.variable_rate * np.asarray(premium, float)
                + self.per_claim * np.asarray(claims, float))
