"""Rate indication (费率厘定/费率调整) from experience, within the rules in force.

The loss-ratio method at a target combined ratio (目标综合成本率). With projected losses ``L``
(ultimate, trended to the rating period, at current rates) as a ratio to current premium,
variable expenses ``v`` (share of premium: commission, admin, taxes, protection fund) and fixed
expenses ``f`` (as a ratio to current premium), the new premium ``P′ = P (1 + Δ)`` meets

    CR′ = (L + f) / (1 + Δ) + v = T      ⇒      Δ = (L + f) / (T − v) − 1 .

The experience is credibility-weighted with a complement: ``L = Z · L_exp + (1 − Z) · L_c``
(``L_c`` the basis loss ratio at current rates; Z from limited fluctuation or Bühlmann–Straub).

Two different bounds, kept apart:

* **Regulation — the 费率调整系数 band** (银保监规〔2023〕4号, part 二: [0.75, 1.25] for
  财政补贴性产品, [0.5, 1.5] otherwise, read from the rulebook in force on ``as_of``). For an
  agricultural product (``current_factor`` and ``subsidised`` given) the change is carried by
  the factor — the benchmark 基准纯风险损失率 and the loading unchanged, as the rule allows a
  company on the industry benchmark to adjust only the factor and the loading — so the indicated
  factor ``current_factor × (1 + Δ)`` must lie in the band. Outside it the indication is
  refused with :class:`puhui.rules.RegulationBreach` naming the rule and its source; with
  ``clip_band=True`` the factor is moved to the band's edge and the result says so
  (``band_clipped``, ``notes``). Never silently.
* **Company policy — a year-on-year cap** (``max_change``): no Chinese regulation sets one (the
  +20% of the US federal crop programme is in the example policy book
  ``example.company_policy``); given as a number or as a rule on ``rate_change`` from a
  rulebook. A change outside the cap raises :class:`puhui.rules.PolicyBreach` labelled "company
  policy"; with ``clip=True`` it is clipped and the result says so. Without ``max_change`` no
  cap applies.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import numpy as np

from ..errors import ParameterError
from ..rules import Rule, policy_breach, rulebooks


@dataclass(frozen=True)
class Indication:
    """Result of :func:`rate_indication` (all ratios as fractions).

    ``indicated_change`` is the change the experience asks for, ``change`` the one adopted
    (different only where ``clipped`` — the company cap — or ``band_clipped`` — the regulatory
    factor band — is True, which needs the caller's ``clip`` / ``clip_band``). For an
    agricultural indication ``current_factor``, ``indicated_factor`` (current × (1 + indicated
    change)), ``factor`` (current × (1 + change)), ``factor_band`` and ``band_rule`` (rule id and
    source) describe the 费率调整系数; they are None otherwise.
    """

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
    current_factor: float | None = None
    indicated_factor: float | None = None
    factor: float | None = None
    factor_band: tuple[float, float] | None = None
    band_rule: str | None = None
    band_clipped: bool = False
    notes: tuple[str, ...] = field(default=())

    @property
    def projected_combined_ratio(self) -> float:
        """Combined ratio next year at the adopted change."""
        return ((self.projected_loss_ratio + self.fixed_expense_ratio) / (1 + self.change)
                + self.variable_expense_ratio)

    @property
    def benefit_change(self) -> float:
        """The other lever: the change of the expected claims per member (保险责任/赔付水平)
        that meets the target at the **current** premium, ``(T − v − f) / L − 1`` (negative:
        benefits must be cut by that share of the expected payout; positive: the margin could
        be spent on members). At ``CR′ = L′ + f + v = T`` with the premium unchanged,
        ``L′ = T − v − f``. NaN when no claims are projected.

        >>> r = rate_indication(0.90, target_combined_ratio=0.95, variable_expense_ratio=0.10)
        >>> round(r.benefit_change, 6)            # 0.85 / 0.90 − 1
        -0.055556
        """
        if self.projected_loss_ratio <= 0:  # no claims projected: no benefit level to scale
            return float("nan")
        return ((self.target_combined_ratio - self.variable_expense_ratio
                 - self.fixed_expense_ratio) / self.projected_loss_ratio - 1)

    def summary(self) -> dict:
        out = dict(self.__dict__)
        out["notes"] = list(self.notes)
        out["projected_combined_ratio"] = self.projected_combined_ratio
        out["benefit_change"] = self.benefit_change
        return out


def factor_band_rule(subsidised: bool, as_of=None) -> Rule | None:
    """The 费率调整系数 band rule in force on ``as_of`` (today when None) for an agricultural
    product, subsidised or not; None when no shipped regulation in force bounds the factor.

    >>> factor_band_rule(True, "2025-01-01").value
    (0.75, 1.25)
    >>> factor_band_rule(True, "2023-06-30") is None        # the 2023 rule starts 2023-09-01
    True
    """
    on = date.today() if as_of is None else as_of
    found = [r for b in rulebooks("regulation", as_of=on)
             for r in b.applicable("rate_factor", sector="agriculture", subsidised=subsidised)
             if r.comparison == "band"]
    if not found:
        return None
    # several books bounding the factor: the narrowest (every band must hold)
    return max(found, key=lambda r: (r.value[0], -r.value[1]))


def _band(current_factor, subsidised, as_of):
    """Validate the agricultural inputs; (rule, (lo, hi)) or (None, None)."""
    if current_factor is None and subsidised is None:
        return None, None
    if current_factor is None:
        raise ParameterError("an agricultural indication (subsidised given) needs "
                             "current_factor, the 费率调整系数 in force, so that the indicated "
                             "factor can be checked against the band of 银保监规〔2023〕4号")
    if not isinstance(subsidised, bool):
        raise ParameterError("an agricultural indication (current_factor given) needs "
                             "subsidised=True or False (财政补贴性产品 or not): it selects the "
                             "费率调整系数 band")
    f = float(current_factor)
    if not (np.isfinite(f) and f > 0):
        raise ParameterError(f"current_factor must be a positive number, got {current_factor!r}")
    band_rule = factor_band_rule(subsidised, as_of)
    return band_rule, (None if band_rule is None else band_rule.value)


def rate_indication(experience_loss_ratio: float, *, target_combined_ratio: float,
                    variable_expense_ratio: float = 0.0, fixed_expense_ratio: float = 0.0,
                    credibility: float = 1.0, complement_loss_ratio: float | None = None,
                    max_change: float | Rule | None = None, clip: bool = False,
                    current_factor: float | None = None, subsidised: bool | None = None,
                    as_of=None, clip_band: bool = False) -> Indication:
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
        None (the default): no cap.
    clip : bool
        Adopt the capped change instead of raising (recorded in ``clipped``).
    current_factor : float, optional
        The 费率调整系数 in force — an agricultural indication: the indicated factor
        ``current_factor × (1 + Δ)`` is checked against the band of the rulebook in force.
        Needs ``subsidised``.
    subsidised : bool, optional
        财政补贴性产品 ([0.75, 1.25]) or not ([0.5, 1.5]).
    as_of : date or 'YYYY-MM-DD', optional
        Date whose rulebooks apply (today when None).
    clip_band : bool
        Move the factor to the band's edge instead of raising ``RegulationBreach``; the
        result's ``band_clipped`` and ``notes`` record it.

    Examples
    --------
    >>> r = rate_indication(0.90, target_combined_ratio=0.95, variable_expense_ratio=0.10)
    >>> round(r.indicated_change, 6)          # (0.90) / (0.95 − 0.10) − 1
    0.058824
    >>> from puhui.rules import rule
    >>> cap = rule("policy.rate_change.yearly_cap", book="example.company_policy")
    >>> rate_indication(1.2, target_combined_ratio=0.95, max_change=cap, clip=True).change
    0.2

    An agricultural indication: factor 1.2 × (1 + 29.4%) = 1.55 is outside [0.75, 1.25]; with
    ``clip_band`` the factor stops at 1.25 (a change of +4.2%):

    >>> r = rate_indication(1.10, target_combined_ratio=0.95, variable_expense_ratio=0.10,
    ...                     current_factor=1.2, subsidised=True, as_of="2025-01-01",
    ...                     clip_band=True)
    >>> round(r.indicated_factor, 4), r.factor, round(r.change, 4), r.band_clipped
    (1.5529, 1.25, 0.0417, True)
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
    band_rule, band = _band(current_factor, subsidised, as_of)
    comp = T - v - f if complement_loss_ratio is None else float(complement_loss_ratio)
    projected = z * lr + (1 - z) * comp
    if projected + f <= 0:
        raise ParameterError("projected losses and fixed expenses are both zero: no premium "
                             "level is indicated")
    indicated = (projected + f) / (T - v) - 1

    # the company's cap (policy): bounds on Δ
    cap_lo, cap_hi, rule = -np.inf, np.inf, "none"
    breach = None
    if max_change is not None:
        if isinstance(max_change, Rule):
            if max_change.quantity != "rate_change" or \
                    max_change.comparison not in ("max", "band"):
                raise ParameterError(f"max_change: rule '{max_change.id}' bounds "
                                     f"{max_change.quantity} ({max_change.comparison}); a 'max' "
                                     "or 'band' rule on rate_change is needed")
            cap_lo, cap_hi = ((-np.inf, max_change.value) if max_change.comparison == "max"
                              else max_change.value)
            rule = f"{max_change.id}: change {max_change.limit_text}"
            breach = max_change.breach
        else:
            if not max_change > 0:
                raise ParameterError("max_change must be > 0")
            cap_lo, cap_hi = -max_change, max_change
            rule = f"|change| ≤ {max_change:.0%} a year"

            def breach(message):
                return policy_breach(message, what=f"max_change={max_change:g} given by the "
                                                   "caller")

    # the regulation's band (费率调整系数): bounds on Δ through the factor
    notes: list[str] = []
    factor0 = None if current_factor is None else float(current_factor)
    band_text = None
    band_lo, band_hi = -np.inf, np.inf
    if factor0 is not None and band is None:
        notes.append(f"no 费率调整系数 band in force on {as_of or date.today().isoformat()} "
                     "(银保监规〔2023〕4号 applies from 2023-09-01): the factor is not bounded")
    elif band is not None:
        band_text = f"{band_rule.id}: {band_rule.limit_text} ({band_rule.source})"
        band_lo, band_hi = band[0] / factor0 - 1, band[1] / factor0 - 1

    change, clipped, band_clipped = indicated, False, False
    tol = 1e-12
    if not band_lo - tol <= change <= band_hi + tol:
        kind = "财政补贴性产品" if subsidised else "其他产品"
        error = band_rule.breach(
            f"费率调整系数 within {band_rule.limit_text} for {kind}; the indicated factor "
            f"{factor0:g} × (1 {indicated:+.2%}) = {factor0 * (1 + indicated):.4g} is outside "
            "it; pass clip_band=True to adopt the factor at the band's edge")
        if not clip_band:
            raise error
        change, band_clipped = float(np.clip(change, band_lo, band_hi)), True
        notes.append(f"clipped to the band: {error}")
    if not cap_lo - tol <= change <= cap_hi + tol:
        if not clip:
            raise breach(f"indicated change {change:+.2%} breaches the rule {rule}; pass "
                         "clip=True to adopt the capped change")
        change, clipped = float(np.clip(change, cap_lo, cap_hi)), True
    if band_clipped or clipped:
        if not band_lo - tol <= change <= band_hi + tol:
            raise ParameterError(f"no change satisfies both the 费率调整系数 band ({band_text}) "
                                 f"and the company cap ({rule}) from factor {factor0:g}")
    factor = None if factor0 is None else factor0 * (1 + change)
    if band_clipped and factor is not None:       # exactly at the edge, not 1.2499999999999998
        factor = float(np.clip(factor, band[0], band[1]))
    return Indication(lr, comp, z, projected, v, f, T, indicated, change, clipped, rule,
                      current_factor=factor0,
                      indicated_factor=None if factor0 is None else factor0 * (1 + indicated),
                      factor=factor, factor_band=band, band_rule=band_text,
                      band_clipped=band_clipped, notes=tuple(notes))
