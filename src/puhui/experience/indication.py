"""Rate indication (费率厘定/费率调整) from experience, within the rules in force.

The loss-ratio method at a target combined ratio (目标综合成本率). With projected losses ``L``
(ultimate, trended to the rating period, at current rates) as a ratio to current premium,
variable expenses ``v`` (share of premium: commission, admin, taxes, protection fund) and fixed
expenses ``f`` (as a ratio to current premium), the new premium ``P′ = P (1 + Δ)`` meets

    CR′ = (L + f) / (1 + Δ) + v = T      ⇒      Δ = (L + f) / (T − v) − 1 .

The experience is credibility-weighted with a complement: ``L = Z · L_exp + (1 − Z) · L_c``
(``L_c`` the basis loss ratio at current rates; Z from limited fluctuation or Bühlmann–Straub).

Rules: the indicated change may be bounded by a year-on-year cap. No Chinese regulation sets
such a cap — it is a **company policy** (e.g. the +20% of the US federal crop programme, in the
example policy book ``example.company_policy``): given as a number ``max_change`` or as a rule
on ``rate_change`` read from a rulebook (:mod:`puhui.rules`). A change outside the cap raises
:class:`puhui.rules.PolicyBreach` (a :class:`puhui.RuleError`) labelled "company policy"; with
``clip=True`` it is clipped and the result says so. The regulatory bounds of a filed rate (the
费率调整系数 band of 银保监规〔2023〕4号) are checked by :func:`puhui.agri.filed_rate` and
:func:`puhui.rules.check`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..errors import ParameterError
from ..rules import Rule, policy_breach


@dataclass(frozen=True)
class Indication:
    """Result of :func:`rate_indication` (all ratios as fractions)."""

    experience_loss_ratio: float
    complement_loss_ratio: float
    credibility: float
    projected_loss_ratio: float
    variable_expense_ratio: float
    fixed_expense_ratio: float
    target_combined_ratio: float
    indicated_change: float
    change: float
    clipped: bool
    rule: str

    @property
    def projected_combined_ratio(self) -> float:
        """Combined ratio next year at the adopted change."""
        return ((self.projected_loss_ratio + self.fixed_expense_ratio) / (1 + self.change)
                + self.variable_expense_ratio)

    def summary(self) -> dict:
        out = dict(self.__dict__)
        out["projected_combined_ratio"] = self.projected_combined_ratio
        return out


def rate_indication(experience_loss_ratio: float, *, target_combined_ratio: float,
                    variable_expense_ratio: float = 0.0, fixed_expense_ratio: float = 0.0,
                    credibility: float = 1.0, complement_loss_ratio: float | None = None,
                    max_change: float | Rule | None = None, clip: bool = False) -> Indication:
    """Indicated premium change that brings next year's combined ratio to the target.

    Parameters
    ----------
    experience_loss_ratio : float
        Projected ultimate losses / premium at current rates (trended, developed, incl. IBNR).
    target_combined_ratio : float
        目标综合成本率 ``T``.
    variable_expense_ratio, fixed_expense_ratio : float
        ``v`` and ``f`` above.
    credibility : float
        ``Z`` in [0, 1] given to the experience.
    complement_loss_ratio : float, optional
        ``L_c``; defaults to the loss ratio that meets the target at current rates
        (``T − v − f``), i.e. "no change" for the uncredible part.
    max_change : float or Rule, optional
        Year-on-year cap — a company policy: a number caps ``|Δ|`` (e.g. 0.2); a rule on
        ``rate_change`` from a rulebook caps ``Δ`` from above (``max``) or to a ``band``. A
        breach raises ``PolicyBreach`` (the rule's own kind for a rule) unless ``clip``.

    Examples
    --------
    >>> r = rate_indication(0.90, target_combined_ratio=0.95, variable_expense_ratio=0.10)
    >>> round(r.indicated_change, 6)          # (0.90) / (0.95 − 0.10) − 1
    0.058824
    >>> from puhui.rules import rule
    >>> cap = rule("policy.rate_change.yearly_cap", book="example.company_policy")
    >>> rate_indication(1.2, target_combined_ratio=0.95, max_change=cap, clip=True).change
    0.2
    """
    lr, T, v, f, z = (float(a) for a in (experience_loss_ratio, target_combined_ratio,
                                         variable_expense_ratio, fixed_expense_ratio,
                                         credibility))
    if not (np.isfinite(lr) and lr >= 0):
        raise ParameterError(f"experience_loss_ratio must be ≥ 0, got {lr}")
    if not 0 <= z <= 1:
        raise ParameterError(f"credibility must be in [0, 1], got {z}")
    if not (0 <= v < T):
        raise ParameterError("need 0 ≤ variable_expense_ratio < target_combined_ratio")
    if f < 0:
        raise ParameterError("fixed_expense_ratio must be ≥ 0")
    comp = T - v - f if complement_loss_ratio is None else float(complement_loss_ratio)
    projected = z * lr + (1 - z) * comp
    if projected + f <= 0:
        raise ParameterError("projected losses and fixed expenses are both zero: no premium "
                             "level is indicated")
    indicated = (projected + f) / (T - v) - 1
    change, clipped, rule = indicated, False, "none"
    if max_change is None:
        return Indication(lr, comp, z, projected, v, f, T, indicated, change, clipped, rule)
    if isinstance(max_change, Rule):
        if max_change.quantity != "rate_change" or max_change.comparison not in ("max", "band"):
            raise ParameterError(f"max_change: rule '{max_change.id}' bounds "
                                 f"{max_change.quantity} ({max_change.comparison}); a 'max' or "
                                 "'band' rule on rate_change is needed")
        lo, hi = ((-np.inf, max_change.value) if max_change.comparison == "max"
                  else max_change.value)
        rule = f"{max_change.id}: change {max_change.limit_text}"
        breach = max_change.breach
    else:
        if not max_change > 0:
            raise ParameterError("max_change must be > 0")
        lo, hi = -max_change, max_change
        rule = f"|change| ≤ {max_change:.0%} a year"

        def breach(message):
            return policy_breach(message, what=f"max_change={max_change:g} given by the caller")
    if not lo - 1e-12 <= indicated <= hi + 1e-12:
        if not clip:
            raise breach(f"indicated change {indicated:+.2%} breaches the rule {rule}; pass "
                         "clip=True to adopt the capped change")
        change, clipped = float(np.clip(indicated, lo, hi)), True
    return Indication(lr, comp, z, projected, v, f, T, indicated, change, clipped, rule)
