"""Agricultural rates within the rules (农业保险费率监管规则).

《农业保险精算规定（试行）》(银保监规〔2023〕4号, 2023-04-21), part 二 费率构成:

* 费率 = 基准费率 × 费率调整系数;
* 基准费率 = 基准纯风险损失率 / (1 − 附加费率)  (目标赔付率 = 1 − 附加费率);
* 费率调整系数 within [0.75, 1.25] for 财政补贴性产品 (subsidised products), [0.5, 1.5] otherwise;
* 附加费率 of subsidised products capped — at 20%, the stricter of the two readings in
  circulation, until the article text is read (the only source found, a news report of
  2023-04-28, gives 25%; see the rule's note: ``puhui rules show cn.agri.actuarial_2023``).

The 2024 notice of 财政部、农业农村部、金融监管总局 on 完全成本保险 and 种植收入保险 for rice,
wheat and maize adds 综合费用率 ≤ 20% and a sum insured ≤ 80% of the planting income; the 2023
rule also asks for rate back-testing (费率回溯) and a 保费不足准备金 assessment at each valuation
date (:func:`premium_adequacy`).

Every figure is read from the shipped rulebooks (:mod:`puhui.rules`), where each carries its
文号, article, date and a note on what could not be confirmed. A breached rule raises
:class:`puhui.rules.RegulationBreach` (a :class:`puhui.errors.RuleError`) naming the rule, its
source and the offending entries.

A yearly cap on rate changes is **not** a Chinese regulation (the 2023 rule bounds the factor):
:func:`cap_rate_change` applies a cap only where the caller names it — a number, or a rule of a
company policy book such as the example ``example.company_policy`` (+20%, the US federal crop
programme's practice, :data:`YEARLY_CAP_POLICY`); its breach raises
:class:`puhui.rules.PolicyBreach`, labelled "company policy".

Only where the caller passes ``clip=True`` is a number moved into its band, and the result then
says so (``clipped`` and ``notes``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd

from ..errors import ParameterError
from ..pricing.loading import gross_up
from ..rules import Rule, policy_breach, rule, rulebook

_BAND_SUBSIDISED = rule("agri.factor_band.subsidised", book="cn.agri.actuarial_2023")
_BAND_OTHER = rule("agri.factor_band.other", book="cn.agri.actuarial_2023")
_LOADING_CAP = rule("agri.loading_cap.subsidised", book="cn.agri.actuarial_2023")
_ADEQUACY = rule("agri.premium_adequacy", book="cn.agri.actuarial_2023")
_EXPENSE_CAP = rule("agri.expense_ratio.full_cost_income", book="cn.agri.full_cost_income_2024")
_SUM_INSURED_CAP = rule("agri.sum_insured_share.full_cost_income",
                        book="cn.agri.full_cost_income_2024")
#: The example company policy's yearly cap (+20%, the US practice; not a regulation), for callers
#: who adopt it: ``cap_rate_change(prev, new, max_increase=YEARLY_CAP_POLICY)``.
YEARLY_CAP_POLICY = rule("policy.rate_change.yearly_cap", book="example.company_policy")

RULE_2023 = rulebook("cn.agri.actuarial_2023").document
#: 费率调整系数 bands of the 2023 rule (from the rulebook).
FACTOR_BAND_SUBSIDISED: tuple[float, float] = _BAND_SUBSIDISED.value
FACTOR_BAND_OTHER: tuple[float, float] = _BAND_OTHER.value
#: 附加费率 ceiling for subsidised products (from the rulebook: 20%, the stricter reading; not
#: confirmed from the article text, see the rule's note).
MAX_LOADING_SUBSIDISED: float = _LOADING_CAP.value
#: 综合费用率 ceiling (2024 notice on 完全成本保险 / 种植收入保险; from the rulebook).
MAX_EXPENSE_RATIO: float = _EXPENSE_CAP.value
#: Sum insured as a share of planting income, ceiling of the same notice (from the rulebook).
MAX_SUM_INSURED_SHARE: float = _SUM_INSURED_CAP.value


def _where(mask) -> str:
    idx = np.argwhere(np.atleast_1d(mask))
    shown = ", ".join(str(tuple(int(v) for v in i)) if len(i) > 1 else str(int(i[0]))
                      for i in idx[:10])
    more = f" and {len(idx) - 10} more" if len(idx) > 10 else ""
    return f"entries {shown}{more}" if np.ndim(mask) else "the value"


def _rates(name, value, *, upper=1.0):
    a = np.asarray(value, dtype=float)
    bad = ~np.isfinite(a) | (a < 0) | (a >= upper)
    if np.any(bad):
        raise ParameterError(f"{name} must be in [0, {upper:g}); {int(bad.sum())} value(s) "
                             f"outside at {_where(bad)}, e.g. {np.ravel(a[bad])[:5]}")
    return a


def factor_band(subsidised: bool = True) -> tuple[float, float]:
    """The 费率调整系数 band: (0.75, 1.25) subsidised, (0.5, 1.5) otherwise."""
    return FACTOR_BAND_SUBSIDISED if subsidised else FACTOR_BAND_OTHER


def base_rate(benchmark_rate, loading, *, subsidised: bool = True):
    """基准费率 = 基准纯风险损失率 / (1 − 附加费率); raises RegulationBreach (a RuleError) if a
    subsidised product's loading breaks the rulebook's cap (:data:`MAX_LOADING_SUBSIDISED`,
    20% — unconfirmed, the stricter reading; see the rule's note).

    Examples
    --------
    >>> float(base_rate(0.03, 0.20))
    0.0375
    """
    b = _rates("benchmark_rate", benchmark_rate)
    load = _rates("loading", loading)
    if subsidised and np.any(load > MAX_LOADING_SUBSIDISED + 1e-12):
        raise _LOADING_CAP.breach(
            f"附加费率 (loading) ≤ {MAX_LOADING_SUBSIDISED:.0%} for subsidised products; "
            f"breached at {_where(load > MAX_LOADING_SUBSIDISED)} (loading {np.max(load):.4g})")
    return gross_up(b, variable_rate=load)   # b / (1 − load), the one gross-up


def rate_band(benchmark_rate, loading, *, subsidised: bool = True):
    """(lowest, highest) rate a company may file: base rate × the factor band.

    Examples
    --------
    >>> [round(float(r), 6) for r in rate_band(0.03, 0.20)]   # DOMAIN.md worked example
    [0.028125, 0.046875]
    """
    b = base_rate(benchmark_rate, loading, subsidised=subsidised)
    lo, hi = factor_band(subsidised)
    return b * lo, b * hi


@dataclass(frozen=True)
class FiledRate:
    """A rate built by the 2023 formula (arrays broadcast over the inputs).

    ``requested_factor`` is the factor asked for; ``factor`` the one used (different only where
    ``clipped`` is True, which can only happen when the caller passed ``clip=True``).
    """

    benchmark_rate: np.ndarray
    loading: np.ndarray
    base_rate: np.ndarray
    requested_factor: np.ndarray
    factor: np.ndarray
    rate: np.ndarray
    band: tuple[float, float]
    subsidised: bool
    clipped: np.ndarray
    notes: tuple[str, ...]

    def summary(self) -> pd.DataFrame:
        """The rate build-up as a table (one row per entry)."""
        cols = {"benchmark_rate": self.benchmark_rate, "loading": self.loading,
                "base_rate": self.base_rate, "requested_factor": self.requested_factor,
                "factor": self.factor, "rate": self.rate, "clipped": self.clipped}
        arrays = np.broadcast_arrays(*(np.asarray(v) for v in cols.values()))
        df = pd.DataFrame({k: np.ravel(v) for k, v in zip(cols, arrays, strict=True)})
        df.attrs["notes"] = list(self.notes)
        return df


def filed_rate(benchmark_rate, loading, factor=1.0, *, subsidised: bool = True,
               clip: bool = False) -> FiledRate:
    """费率 = 基准纯风险损失率 / (1 − 附加费率) × 费率调整系数, checked against the 2023 rule.

    Parameters
    ----------
    benchmark_rate : float or array
        基准纯风险损失率 (the industry benchmark where one is published), a fraction.
    loading : float or array
        附加费率, a fraction (≤ :data:`MAX_LOADING_SUBSIDISED` for subsidised products).
    factor : float or array
        费率调整系数 the company applies.
    subsidised : bool
        财政补贴性产品 (band [0.75, 1.25]) or not ([0.5, 1.5]).
    clip : bool
        Move a factor outside its band to the band's edge instead of raising RuleError; the
        result's ``clipped`` and ``notes`` record where.

    Examples
    --------
    >>> r = filed_rate(0.03, 0.20, 1.25)
    >>> round(float(r.rate), 6)
    0.046875
    """
    b = _rates("benchmark_rate", benchmark_rate)
    load = _rates("loading", loading)
    base = base_rate(b, load, subsidised=subsidised)
    f = np.asarray(factor, dtype=float)
    if not np.all(np.isfinite(f)) or np.any(f <= 0):
        raise ParameterError(f"factor must be positive, got {factor!r}")
    lo, hi = factor_band(subsidised)
    outside = (f < lo - 1e-12) | (f > hi + 1e-12)
    kind = "财政补贴性产品" if subsidised else "其他产品"
    notes: tuple[str, ...] = ()
    if np.any(outside):
        band_rule = _BAND_SUBSIDISED if subsidised else _BAND_OTHER
        error = band_rule.breach(f"费率调整系数 within [{lo}, {hi}] for {kind}; factor "
                                 f"{np.ravel(f[outside] if f.ndim else f)[:5]} at "
                                 f"{_where(outside)}")
        if not clip:
            raise error
        notes = (f"clipped: {error}",)
    used = np.clip(f, lo, hi) if clip else f
    return FiledRate(b, load, base, f, used, base * used, (lo, hi), subsidised,
                     np.asarray(outside), notes)


def _breach(regulation: Rule, limit: float, name: str, message: str):
    """The error for a breached ``limit``: the regulation's where ``limit`` is its figure, else
    a company policy the caller set (a stricter or looser limit is not a regulation)."""
    if limit == regulation.value:
        return regulation.breach(message)
    return policy_breach(message, what=f"{name}={limit:g} given by the caller instead of the "
                                       f"regulation's {regulation.value:g}")


def check_expense_ratio(expense_ratio, *, limit: float = MAX_EXPENSE_RATIO):
    """Raise RuleError where 综合费用率 exceeds ``limit`` (20% for 完全成本 / 种植收入保险).

    At the default ``limit`` the breach is a :class:`~puhui.rules.RegulationBreach` of the 2024
    notice; another ``limit`` is the caller's own (a :class:`~puhui.rules.PolicyBreach`).
    """
    e = _rates("expense_ratio", expense_ratio, upper=np.inf)
    if np.any(e > limit + 1e-12):
        raise _breach(_EXPENSE_CAP, limit, "limit",
                      f"综合费用率 ≤ {limit:.0%} for 完全成本保险 / 种植收入保险; breached at "
                      f"{_where(e > limit)} (expense ratio {np.max(e):.4g})")
    return e


def check_sum_insured(sum_insured, planting_income, *, max_share: float = MAX_SUM_INSURED_SHARE):
    """Raise RuleError where the sum insured exceeds ``max_share`` of the planting income
    (a RegulationBreach of the 2024 notice at the default 80%, a PolicyBreach otherwise)."""
    si = np.asarray(sum_insured, float)
    income = np.asarray(planting_income, float)
    if np.any(income <= 0) or np.any(si < 0):
        raise ParameterError("sum_insured must be ≥ 0 and planting_income > 0")
    over = si > max_share * income + 1e-9
    if np.any(over):
        raise _breach(_SUM_INSURED_CAP, max_share, "max_share",
                      f"保险金额 ≤ {max_share:.0%} of 种植收入; breached at {_where(over)}")
    return si / income


@dataclass(frozen=True)
class RateChange:
    """A year-on-year rate change under a cap (费率调整幅度)."""

    previous_rate: np.ndarray
    indicated_rate: np.ndarray
    rate: np.ndarray
    change: np.ndarray
    capped: np.ndarray
    notes: tuple[str, ...]


def cap_rate_change(previous_rate, indicated_rate, *, max_increase: float | Rule | None = None,
                    max_decrease: float | None = None, clip: bool = False) -> RateChange:
    """Check an indicated rate against a year-on-year change cap — a **company policy**.

    No Chinese regulation caps the yearly change (银保监规〔2023〕4号 bounds the factor, see
    :func:`filed_rate`), so there is no default: the caller names the company's cap, as a
    number or as a ``max`` rule on ``rate_change`` from a policy book
    (:func:`puhui.rules.load_rulebook`; e.g. :data:`YEARLY_CAP_POLICY`, the example book's +20%,
    the US federal crop programme's practice). A change above ``+max_increase`` (or below
    ``−max_decrease``) raises :class:`puhui.rules.PolicyBreach` labelled "company policy",
    unless ``clip=True``, which moves the rate to the cap and records it in ``capped`` /
    ``notes``.

    Examples
    --------
    >>> cap_rate_change(0.04, 0.06, max_increase=YEARLY_CAP_POLICY, clip=True).rate.item()
    0.048
    >>> cap_rate_change(0.04, 0.05, max_increase=0.25).rate.item()
    0.05
    """
    if max_increase is None:
        raise ParameterError(
            "cap_rate_change needs the company policy's cap: max_increase=0.15 (a number) or a "
            "'max' rule on rate_change from a policy book, e.g. max_increase=YEARLY_CAP_POLICY "
            "(the example book's +20%, the US practice). No Chinese regulation caps the yearly "
            "change, so puhui applies none by default")
    policy = max_increase
    if isinstance(policy, Rule):
        if policy.quantity != "rate_change" or policy.comparison != "max":
            raise ParameterError(f"max_increase: rule '{policy.id}' bounds {policy.quantity} "
                                 f"({policy.comparison}); a 'max' rule on rate_change is needed")
        max_increase = policy.value
    elif isinstance(policy, bool) or not isinstance(policy, int | float | np.number) or \
            not (np.isfinite(policy) and policy >= 0):
        raise ParameterError(f"max_increase must be a number ≥ 0 or a rule, got {policy!r}")
    prev = np.asarray(previous_rate, float)
    new = np.asarray(indicated_rate, float)
    if np.any(prev <= 0) or np.any(new < 0) or not np.all(np.isfinite(new)):
        raise ParameterError("previous_rate must be > 0 and indicated_rate ≥ 0")
    hi = prev * (1 + max_increase)
    lo = prev * (1 - max_decrease) if max_decrease is not None else np.zeros_like(prev)
    out = (new > hi * (1 + 1e-12)) | (new < lo * (1 - 1e-12))
    notes: tuple[str, ...] = ()
    if np.any(out):
        bounds = f"+{max_increase:.0%}" + ("" if max_decrease is None else f"/−{max_decrease:.0%}")
        message = f"yearly rate change cap {bounds} breached at {_where(out)}"
        if isinstance(policy, Rule) and max_decrease is None:
            error = policy.breach(message)
        else:
            given = ("max_increase" if not isinstance(policy, Rule) else f"rule '{policy.id}'") + \
                ("" if max_decrease is None else " and max_decrease")
            error = policy_breach(message, what=f"{given} given by the caller")
        if not clip:
            raise error
        notes = (f"capped: {error}",)
    rate = np.clip(new, lo, hi) if clip else new
    return RateChange(prev, new, rate, rate / prev - 1.0, np.asarray(out), notes)



def valuation_day(value, name: str, why: str) -> pd.Timestamp:
    """The valuation date (评估日) ``value`` as a day: required (``why`` says what it selects)
    and a date, else a ParameterError naming ``name``. The one check of the 保费不足准备金 test
    and the crop rate review.

    >>> valuation_day("2025-06-30 12:00", "as_of", "it selects the rules")
    Timestamp('2025-06-30 00:00:00')
    """
    if value is None:
        raise ParameterError(f"{name} is required: {why}")
    try:
        when = pd.Timestamp(value)
    except (TypeError, ValueError):
        when = pd.NaT
    if pd.isna(when):
        raise ParameterError(f"{name} must be a date (YYYY-MM-DD), got {value!r}")
    return when.normalize()

@dataclass(frozen=True)
class PremiumAdequacy:
    """保费不足准备金评估 at a valuation date (准备金评估日), per unit (arrays broadcast).

    ``unearned_premium_reserve`` (未赚保费准备金) = unearned premium − the unexpired part of the
    acquisition cost; ``ratio`` = (expected claims + expenses of the unexpired risk) /
    未赚保费准备金; ``deficiency`` (保费不足准备金) = max(0, expected claims + expenses −
    未赚保费准备金); ``unexpired_risk_reserve`` (未到期责任准备金) = 未赚保费准备金 + 保费不足准备金.
    """

    valuation_date: date
    unearned_premium: np.ndarray
    deferred_acquisition_cost: np.ndarray
    unearned_premium_reserve: np.ndarray
    expected_claims: np.ndarray
    expenses: np.ndarray
    ratio: np.ndarray
    deficiency: np.ndarray
    unexpired_risk_reserve: np.ndarray
    adequate: np.ndarray

    def summary(self) -> pd.DataFrame:
        """One row per unit: the valuation date, the inputs and the reserves."""
        names = ("unearned_premium", "deferred_acquisition_cost", "unearned_premium_reserve",
                 "expected_claims", "expenses", "ratio", "deficiency", "unexpired_risk_reserve",
                 "adequate")
        arrays = np.broadcast_arrays(*(getattr(self, k) for k in names))
        df = pd.DataFrame({k: np.ravel(v) for k, v in zip(names, arrays, strict=True)})
        df.insert(0, "valuation_date", pd.Timestamp(self.valuation_date))
        return df


def premium_adequacy(unearned_premium, expected_claims, expenses, *,
                     valuation_date=None, deferred_acquisition_cost=0.0,
                     strict: bool = False) -> PremiumAdequacy:
    """保费不足准备金评估 (premium deficiency test) at a valuation date, vectorised.

    Part 四 of 银保监规〔2023〕4号 asks for a 保费不足准备金 assessment; the reserve rules define
    it (《保险公司非寿险业务准备金管理办法实施细则第1号：未到期责任准备金》 第二条, 第四条, 第三章):
    at the valuation date the 未到期责任准备金 of the in-force policies is the 未赚保费准备金
    plus a 保费不足准备金 where that is not enough for the unexpired risk::

        未赚保费准备金 UPR = unearned premium − unexpired acquisition cost (保单获取成本)
        保费不足准备金 PDR = max(0, E[claims] + E[expenses] − UPR)     (of the unexpired risk)
        未到期责任准备金  = UPR + PDR,     ratio = (E[claims] + E[expenses]) / UPR

    (Adequate means ratio ≤ 1, the bound of rule ``agri.premium_adequacy``.) This is a test of
    the unexpired risk at ``valuation_date``, not of a product's premium at inception: a crop
    season half gone has half its premium unearned and the claims still to come of that half.

    Parameters
    ----------
    unearned_premium : float or array
        Unearned premium of the in-force policies at ``valuation_date`` (元): e.g. the sum of
        :func:`puhui.experience.exposure.earned_by_policy` ``(policies, as_of=valuation_date)
        ["unearned_premium"]`` (1/365 method; a season's uneven risk may call for a risk-
        distribution method, 细则第1号 第七条).
    expected_claims : float or array
        Expected claims (and claim-handling expenses) still to come on the unexpired risk.
    expenses : float or array
        Expected maintenance expenses of the unexpired risk (保单维持费用; not the acquisition
        cost already paid).
    valuation_date : date or 'YYYY-MM-DD'
        The 准备金评估日 — required: the test means nothing without one.
    deferred_acquisition_cost : float or array
        The unexpired part of the 保单获取成本 (commission …), deducted from the unearned premium
        to give the 未赚保费准备金 (第四条); 0 by default.
    strict : bool
        Raise :class:`~puhui.rules.RegulationBreach` naming the reserve due where a 保费不足准备金
        is needed (default: report it).

    Examples
    --------
    >>> r = premium_adequacy(60.0, 48.0, 7.0, deferred_acquisition_cost=10.0,
    ...                      valuation_date="2025-06-30")
    >>> float(r.unearned_premium_reserve), float(r.deficiency), bool(r.adequate)
    (50.0, 5.0, False)
    """
    when = valuation_day(valuation_date, "valuation_date",
                         "the 保费不足准备金 test is made at a 准备金评估日 on the unexpired risk of "
                         "the policies in force then")
    u, c, e, d = (np.asarray(v, float) for v in (unearned_premium, expected_claims, expenses,
                                                  deferred_acquisition_cost))
    for name, a in (("unearned_premium", u), ("expected_claims", c), ("expenses", e),
                    ("deferred_acquisition_cost", d)):
        bad = ~np.isfinite(a) | (a < 0)
        if np.any(bad):
            raise ParameterError(f"{name} must be finite and ≥ 0; bad at {_where(bad)}")
    if np.any(d > u):
        raise ParameterError("deferred_acquisition_cost (the unexpired acquisition cost) cannot "
                             f"exceed the unearned premium; it does at {_where(d > u)}")
    upr = u - d
    need = c + e
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(upr > 0, need / upr, np.where(need > 0, np.inf, 0.0))
    ok = need <= _ADEQUACY.value * upr * (1 + 1e-12) + 1e-12
    deficiency = np.maximum(need - upr, 0.0)
    if strict and not np.all(ok):
        raise _ADEQUACY.breach(
            f"保费不足准备金评估 at {when.date()}: expected claims + expenses of the unexpired risk "
            f"exceed the 未赚保费准备金 at {_where(~ok)}; a 保费不足准备金 of "
            f"{float(np.sum(deficiency)):,.2f} is due")
    return PremiumAdequacy(when.date(), u, d, upr, c, e, ratio, deficiency, upr + deficiency, ok)
