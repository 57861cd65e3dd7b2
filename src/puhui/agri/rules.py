"""Agricultural rates within the rules (农业保险费率监管规则).

《农业保险精算规定（试行）》(银保监规〔2023〕4号, 2023-04-21), part 二 费率构成:

* 费率 = 基准费率 × 费率调整系数;
* 基准费率 = 基准纯风险损失率 / (1 − 附加费率)  (目标赔付率 = 1 − 附加费率);
* 费率调整系数 within [0.75, 1.25] for 财政补贴性产品 (subsidised products), [0.5, 1.5] otherwise;
* 附加费率 ≤ 25% for subsidised products (a figure not yet confirmed from the article: another
  reading gives 20%; see the rule's note).

The 2024 notice of 财政部、农业农村部、金融监管总局 on 完全成本保险 and 种植收入保险 for rice,
wheat and maize adds 综合费用率 ≤ 20% and a sum insured ≤ 80% of the planting income; the 2023
rule also asks for a premium adequacy test (保费充足性测试 / 保费不足准备金) and rate
back-testing (费率回溯).

Every figure is read from the shipped rulebooks (:mod:`puhui.rules`; ``puhui rules show
cn.agri.actuarial_2023``), where each carries its 文号, article, date and a note on what could
not be confirmed. A breached rule raises :class:`puhui.rules.RegulationBreach` (a
:class:`puhui.errors.RuleError`) naming the rule, its source and the offending entries.

A yearly cap on rate changes is **not** a Chinese regulation: the +20% of
:func:`cap_rate_change` is the US federal crop programme's practice, used here as a company
policy (the example policy book ``example.company_policy``); its breach raises
:class:`puhui.rules.PolicyBreach`, labelled "company policy".

Only where the caller passes ``clip=True`` is a number moved into its band, and the result then
says so (``clipped`` and ``notes``).
"""

from __future__ import annotations

from dataclasses import dataclass

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
#: The example company policy behind :func:`cap_rate_change`'s default (not a regulation).
YEARLY_CAP_POLICY = rule("policy.rate_change.yearly_cap", book="example.company_policy")

RULE_2023 = rulebook("cn.agri.actuarial_2023").document
#: 费率调整系数 bands of the 2023 rule (from the rulebook).
FACTOR_BAND_SUBSIDISED: tuple[float, float] = _BAND_SUBSIDISED.value
FACTOR_BAND_OTHER: tuple[float, float] = _BAND_OTHER.value
#: 附加费率 ceiling for subsidised products (from the rulebook; not confirmed, see its note).
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
    subsidised product's loading breaks the rulebook's cap (25%).

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
        附加费率, a fraction (≤ 25% for subsidised products).
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
    :func:`filed_rate`). The cap is the company's: ``max_increase`` as a number, or a ``max``
    rule on ``rate_change`` from a policy book (:func:`puhui.rules.load_rulebook`). Left out,
    it is the example policy book's +20% (``example.company_policy``: the US federal crop
    programme's practice). A change above ``+max_increase`` (or below ``−max_decrease``) raises
    :class:`puhui.rules.PolicyBreach` labelled "company policy", unless ``clip=True``, which
    moves the rate to the cap and records it in ``capped`` / ``notes``.

    Examples
    --------
    >>> cap_rate_change(0.04, 0.06, clip=True).rate.item()
    0.048
    >>> cap_rate_change(0.04, 0.05, max_increase=0.25).rate.item()
    0.05
    """
    policy = YEARLY_CAP_POLICY if max_increase is None else max_increase
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


@dataclass(frozen=True)
class PremiumAdequacy:
    """保费充足性测试: expected claims + expenses against premium.

    ``ratio`` = (expected claims + expenses) / premium (an expected combined ratio);
    ``deficiency`` = max(0, expected claims + expenses − premium), the 保费不足准备金.
    """

    premium: np.ndarray
    expected_claims: np.ndarray
    expenses: np.ndarray
    ratio: np.ndarray
    deficiency: np.ndarray
    adequate: np.ndarray

    def summary(self) -> pd.DataFrame:
        arrays = np.broadcast_arrays(self.premium, self.expected_claims, self.expenses,
                                     self.ratio, self.deficiency, self.adequate)
        names = ("premium", "expected_claims", "expenses", "ratio", "deficiency", "adequate")
        return pd.DataFrame({k: np.ravel(v) for k, v in zip(names, arrays, strict=True)})


def premium_adequacy(premium, expected_claims, expenses, *, strict: bool = False
                     ) -> PremiumAdequacy:
    """Premium adequacy test (保费充足性测试) of the 2023 rule, vectorised.

    With ``strict=True`` an inadequate premium raises RegulationBreach (a RuleError); otherwise
    the result reports the deficiency reserve (保费不足准备金) to hold. Adequate means
    (expected claims + expenses) / premium ≤ 1 (the bound of rule ``agri.premium_adequacy``).

    Examples
    --------
    >>> premium_adequacy(100.0, 70.0, 20.0).adequate.item()
    True
    """
    p = np.asarray(premium, float)
    c = np.asarray(expected_claims, float)
    e = np.asarray(expenses, float)
    if np.any(p <= 0) or np.any(c < 0) or np.any(e < 0):
        raise ParameterError("premium must be > 0, expected_claims and expenses ≥ 0")
    need = c + e
    ok = need <= _ADEQUACY.value * p * (1 + 1e-12)
    if strict and not np.all(ok):
        raise _ADEQUACY.breach(f"保费充足性测试: expected claims + expenses exceed the premium "
                               f"at {_where(~ok)}")
    return PremiumAdequacy(p, c, e, need / p, np.maximum(need - p, 0.0), ok)
