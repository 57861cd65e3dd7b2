"""Accident cover for a special group priced by frequency × severity (意外伤害保险).

An :class:`AccidentProduct` is one-year cover made of benefit lines (责任), each an
:class:`AccidentLine`: an annual event rate λ per insured life (出险率, by age band if needed),
a loss law X per event (a scipy law, an :class:`~puhui.losses.Empirical` sample, any loss model
of :mod:`puhui.losses`) and the benefit terms as a stack of layers (:class:`puhui.benefits.Benefit`:
免赔额 / 起付线 d, 赔付比例 r, 封顶线 cap). Typical lines:

* 意外身故 accidental death: a fixed sum S (``fixed_sum(S)``);
* 意外伤残 accidental disability: S × the grade's share (1 级 100 % … 10 级 10 %,
  《人身保险伤残评定标准》): ``disability_grades(S, probabilities)``;
* 意外医疗 accidental medical expenses: reimbursement ``min(r (X − d)₊, cap)`` of the cost X.

Net premium (纯保费) per life a year, *standard* collective risk model with independent lines:

    P(x) = Σ_lines λ_line(x) · E[pay_line(X)],
    E[pay(X)] = Σ_layers s (LEV(a + l) − LEV(a))            (:func:`puhui.losses.expected_payout`)

and the gross premium ``G = (P + I + e) / (1 − c − c₀ − m)`` (:func:`one_year_gross`). For a
group of n lives the annual claims are compound Poisson, ``N ~ Poisson(Σ λ)``, each claim's
payout drawn from the mixture of the lines' payout laws (:meth:`AccidentProduct.claims_distribution`,
through :func:`puhui.losses.aggregate`).

The payout law of a line, ``P(pay(X) ≤ y) = F_X(sup{x : pay(x) ≤ y})``, comes from
:func:`puhui.losses.coverage` (:func:`payout_cdf` is a thin wrapper of it).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ..benefits import Benefit
from ..benefits.disability import DISABILITY_GRADE_SHARES, check_grade_probabilities
from ..benefits.layer import as_stack
from ..errors import ParameterError
from ..losses import Empirical, Poisson, aggregate, expected_payout, payout_probability
from ..losses.coverage import coverage
from ..losses.discretize import DiscreteSeverity
from .premiums import Expenses
from .products import _check_margin, one_year_gross

#: Payout share of the ten disability grades (伤残等级 1–10) of 《人身保险伤残评定标准及代码》
#: (JR/T 0083—2013): 100 % … 10 %, as a tuple. The one home of the table is
#: :data:`puhui.benefits.disability.DISABILITY_GRADE_SHARES` (the same scale the gig and
#: smallbiz families pay on); this name is kept for the life API.
DISABILITY_SHARES = tuple(DISABILITY_GRADE_SHARES.tolist())


def fixed_sum(amount: float) -> Empirical:
    """A loss law that is always ``amount`` yuan (a fixed-sum benefit, e.g. 意外身故保险金)."""
    amount = float(amount)
    if not (np.isfinite(amount) and amount > 0):
        raise ParameterError(f"amount must be a positive number of yuan, got {amount!r}")
    return Empirical([amount])


def disability_grades(sum_insured: float, probabilities: Sequence[float]) -> Empirical:
    """Loss law of a disability benefit: S × grade share with the grades' probabilities.

    ``probabilities[k]`` is P(grade k + 1 | a disability claim), grades 1 (100 %) … 10 (10 %)
    as in 《人身保险伤残评定标准》 (:data:`puhui.benefits.disability.DISABILITY_GRADE_SHARES`);
    they must sum to 1 (:func:`puhui.benefits.disability.check_grade_probabilities`).
    """
    p = check_grade_probabilities(probabilities)
    s = float(sum_insured)
    if not (np.isfinite(s) and s > 0):
        raise ParameterError(f"sum_insured must be positive, got {sum_insured!r}")
    return Empirical(s * DISABILITY_GRADE_SHARES, weights=p)


@dataclass(frozen=True, eq=False)
class AccidentLine:
    """One benefit line of accident cover: rate × loss law × benefit terms.

    Parameters
    ----------
    name : str
        E.g. ``"death"`` (意外身故), ``"disability"`` (意外伤残), ``"medical"`` (意外医疗).
    frequency : float or mapping {lowest age of band: rate}
        Expected events per insured life a year (出险率). A mapping such as
        ``{60: 0.02, 70: 0.03, 80: 0.045}`` gives the rate of each age band [60, 70), [70, 80),
        [80, ∞); ages below the first band are refused.
    severity : loss law
        Frozen scipy law, :class:`~puhui.losses.Empirical` (see :func:`fixed_sum`,
        :func:`disability_grades`) or any model with ``lev`` and ``cdf``.
    benefit : Benefit, Layer or LayerStack
        The terms paid on a loss X (default: pay X in full).
    """

    name: str
    frequency: float | Mapping[int, float]
    severity: object
    benefit: object = field(default_factory=Benefit)

    def __post_init__(self):
        stack = as_stack(self.benefit)
        if stack.grid_shape != ():
            raise ParameterError(f"line {self.name!r}: benefit must be one design, not a grid "
                                 f"{stack.grid_shape}")
        self.rate(None if not isinstance(self.frequency, Mapping)
                  else min(self.frequency))  # validates the rates

    def rate(self, age=None) -> np.ndarray:
        """Annual event rate λ at ``age`` (a scalar rate ignores the age)."""
        if not isinstance(self.frequency, Mapping):
            lam = float(self.frequency)
            if not (np.isfinite(lam) and lam >= 0):
                raise ParameterError(f"line {self.name!r}: frequency must be ≥ 0, got {lam!r}")
            return np.full(np.shape(age), lam) if age is not None else np.asarray(lam)
        edges = np.array(sorted(self.frequency), dtype=float)
        rates = np.array([float(self.frequency[k]) for k in sorted(self.frequency)])
        if not np.all(np.isfinite(rates)) or np.any(rates < 0):
            raise ParameterError(f"line {self.name!r}: band rates must be ≥ 0, got {rates}")
        if age is None:
            raise ParameterError(f"line {self.name!r} has rates by age band: give the age")
        a = np.asarray(age, dtype=float)
        if np.any(~np.isfinite(a)) or np.any(a < edges[0]):
            raise ParameterError(f"line {self.name!r}: ages must be ≥ {edges[0]:g}, the lowest "
                                 "age band")
        return rates[np.searchsorted(edges, a, side="right") - 1]

    def expected_payout(self) -> float:
        """``E[pay(X)]`` per event (yuan), from the layer stack and the loss law's LEV."""
        return float(expected_payout(self.severity, self.benefit))

    def pure_premium(self, age=None) -> np.ndarray:
        """``λ(age) · E[pay(X)]``: this line's net premium per life a year (yuan)."""
        return self.rate(age) * self.expected_payout()

    def claim_rate(self, age=None) -> np.ndarray:
        """Paid claims per life a year, ``λ(age) · P(pay(X) > 0)`` (a loss under the 免赔额
        is not a claim)."""
        return self.rate(age) * float(payout_probability(self.severity, self.benefit))


@dataclass(frozen=True, eq=False)
class AccidentProduct:
    """One-year accident cover for a group (老年人意外险, 外卖骑手意外险 …).

    Parameters
    ----------
    lines : sequence of AccidentLine
        The benefit lines; names must be unique.
    min_entry_age, max_entry_age : int, optional
        投保年龄 limits (a census outside them is refused).
    frequency_loading : float
        Multiplier on every line's rate (e.g. 1.3 for a riskier occupation class, 职业类别加费).
    expenses : Expenses
        Expense loadings (shares of the premium, yuan per policy); per-sum-insured expenses do
        not apply to accident cover and must be 0.
    profit_margin : float
        Share of the gross premium (利润附加).
    name : str

    Examples
    --------
    >>> from scipy import stats
    >>> from puhui.benefits import Benefit
    >>> from puhui.life.accident import AccidentLine, AccidentProduct, fixed_sum
    >>> death = AccidentLine("death", 0.001, fixed_sum(50_000))
    >>> medical = AccidentLine("medical", 0.03, stats.expon(scale=2_000),
    ...                        Benefit(deductible=100, payout_ratio=0.9, cap=10_000))
    >>> p = AccidentProduct([death, medical])
    >>> round(float(p.net_premium()), 2)   # 0.001·50000 + 0.03·0.9·2000·(e^{-0.05} − e^{-5.61})
    101.17
    """

    lines: Sequence[AccidentLine]
    min_entry_age: int | None = None
    max_entry_age: int | None = None
    frequency_loading: float = 1.0
    expenses: Expenses = field(default_factory=Expenses)
    profit_margin: float = 0.0
    name: str = "accident"
    term: int = field(default=1, init=False)
    max_expiry_age: int | None = field(default=None, init=False)

    def __post_init__(self):
        lines = tuple(self.lines)
        if not lines or not all(isinstance(ln, AccidentLine) for ln in lines):
            raise ParameterError("lines must be one or more AccidentLine")
        names = [ln.name for ln in lines]
        if len(set(names)) != len(names):
            raise ParameterError(f"line names must be unique, got {names}")
        object.__setattr__(self, "lines", lines)
        if not (np.isfinite(self.frequency_loading) and self.frequency_loading >= 0):
            raise ParameterError(f"frequency_loading must be ≥ 0, got {self.frequency_loading!r}")
        if not isinstance(self.expenses, Expenses):
            raise ParameterError("expenses must be a puhui.life.Expenses")
        if self.expenses.initial_per_sum_insured:
            raise ParameterError("initial_per_sum_insured does not apply to accident cover")
        _check_margin(self.profit_margin, self.expenses)
        lo, hi = self.min_entry_age, self.max_entry_age
        if lo is not None and hi is not None and lo > hi:
            raise ParameterError(f"min_entry_age {lo} is above max_entry_age {hi}")
        if hi is not None:
            object.__setattr__(self, "max_expiry_age", int(hi) + 1)

    def line(self, name: str) -> AccidentLine:
        for ln in self.lines:
            if ln.name == name:
                return ln
        raise ParameterError(f"no line {name!r}; lines are {[ln.name for ln in self.lines]}")

    def _ages(self, age):
        if age is None:
            return None
        a = np.asarray(age, dtype=float)
        lo, hi = self.min_entry_age, self.max_entry_age
        bad = (a < lo if lo is not None else False) | (a > hi if hi is not None else False)
        if np.any(bad):
            raise ParameterError(f"{self.name}: entry age(s) {np.unique(a[bad]).tolist()[:5]} "
                                 f"outside {lo}–{hi}")
        return a

    def rates(self, age=None) -> dict[str, np.ndarray]:
        """Loaded annual rate of every line at ``age``."""
        a = self._ages(age)
        return {ln.name: self.frequency_loading * ln.rate(a) for ln in self.lines}

    def net_premium(self, age=None) -> np.ndarray:
        """``Σ λ_line(age) · E[pay_line]`` per life a year (yuan), vectorised over ages."""
        a = self._ages(age)
        return sum(self.frequency_loading * ln.pure_premium(a) for ln in self.lines)

    def gross_premium(self, age=None) -> np.ndarray:
        """Gross premium per life a year: ``(P + I + e) / (1 − c − c₀ − m)``."""
        return one_year_gross(self.net_premium(age), expenses=self.expenses,
                              profit_margin=self.profit_margin)

    def expected_claims(self, age=None) -> np.ndarray:
        """Expected claims per life a year (yuan) — the net premium of one-year cover."""
        return self.net_premium(age)

    def expected_by_line(self, age, exposure) -> pd.DataFrame:
        """Expected paid claims and amounts per input row and line, for an A/E study.

        ``age`` (one age per row, e.g. the lowest age of a band) and ``exposure`` (life-years)
        broadcast; returns ``row, line, expected_count = E·λ·P(pay > 0)`` and
        ``expected_amount = E·λ·E[pay]`` (yuan), rows in input order within each line.
        """
        a = self._ages(age)
        e = np.asarray(exposure, dtype=float)
        if not np.all(np.isfinite(e)) or np.any(e < 0):
            raise ParameterError("exposure must be finite and ≥ 0 (life-years)")
        a, e = np.broadcast_arrays(a, e)
        frames = [pd.DataFrame({"row": np.arange(a.size), "line": ln.name,
                                "expected_count": (self.frequency_loading * e
                                                   * ln.claim_rate(a)).ravel(),
                                "expected_amount": (self.frequency_loading * e
                                                    * ln.pure_premium(a)).ravel()})
                  for ln in self.lines]
        return pd.concat(frames, ignore_index=True)

    def breakdown(self, age=None) -> pd.DataFrame:
        """Per line: rate λ, mean loss E[X], expected payout E[pay], pure premium λ·E[pay].

        With ``age`` an array, one block per age.
        """
        a = self._ages(age)
        rows = []
        for ln in self.lines:
            lam = np.atleast_1d(self.frequency_loading * ln.rate(a))
            epay = ln.expected_payout()
            rows.append(pd.DataFrame({"line": ln.name,
                                      "age": np.nan if a is None else np.atleast_1d(a),
                                      "frequency": lam, "mean_loss": _mean(ln.severity),
                                      "expected_payout": epay, "pure_premium": lam * epay}))
        return pd.concat(rows, ignore_index=True)

    def claims_distribution(self, ages, *, step: float, method: str = "fft",
                            upper: float | None = None, **kwargs):
        """Distribution of a group's total annual claims (总赔款) by the loss core.

        ``ages`` lists the insured lives (one age each; or a count when no line depends on
        age). N ~ Poisson(Σ_lives Σ_lines λ), each claim paid from the mixture of the lines'
        payout laws weighted by their expected counts, discretised on 0, step, … by rounding
        (mid-points of :func:`payout_cdf`); then :func:`puhui.losses.aggregate` (FFT by
        default, with its moment self-check). The exact mean ``Σ λ E[pay]`` is
        ``expected_total``.
        """
        if np.ndim(ages) == 0:
            n = float(ages)
            if not (np.isfinite(n) and n > 0):
                raise ParameterError(f"ages: a count of lives must be > 0, got {ages!r}")
            counts = {name: n * r for name, r in self.rates(None).items()}
        else:
            counts = {name: float(np.sum(r)) for name, r in self.rates(np.asarray(ages)).items()}
        total = sum(counts.values())
        if not total > 0:
            raise ParameterError("the group expects no claims (every rate is 0)")
        top = max(float(as_stack(ln.benefit).max_payout()) for ln in self.lines)
        if not np.isfinite(top):
            top = max(float(_quantile(ln.severity, 1 - 1e-9)) for ln in self.lines)
        grid = np.arange(int(np.ceil(top / step)) + 2) * float(step)
        cdf = sum(counts[ln.name] / total * payout_cdf(ln.severity, ln.benefit, grid + step / 2)
                  for ln in self.lines)
        pmf = np.diff(np.concatenate([[0.0], np.minimum(cdf, 1.0)]))
        sev = DiscreteSeverity(np.maximum(pmf, 0.0), float(step), "rounding",
                               max(0.0, 1.0 - float(cdf[-1])))
        result = aggregate(Poisson(total), sev, method=method, upper=upper, **kwargs)
        exact = float(sum(counts[ln.name] * ln.expected_payout() for ln in self.lines))
        return GroupClaims(distribution=result, expected_count=total, expected_total=exact,
                           lives=float(np.size(ages)) if np.ndim(ages) else float(ages))


@dataclass(frozen=True)
class GroupClaims:
    """A group's annual claims: the aggregate distribution and the exact expectations.

    ``distribution`` is the loss core's result (``mean()``, ``quantile(p)``, ``sf(x)``,
    ``moment_check()``); ``expected_total = Σ λ E[pay]`` is exact, so
    ``distribution.mean() / expected_total − 1`` is the discretisation error.
    """

    distribution: object
    expected_count: float
    expected_total: float
    lives: float

    def summary(self, premium: float | None = None) -> pd.DataFrame:
        """Lives, expected claims (count, yuan), computed mean, 95 %/99.5 % quantiles and, with
        the group's ``premium``, the probability that claims exceed it (亏损概率)."""
        d = self.distribution
        row = {"lives": self.lives, "expected_claims": self.expected_count,
               "expected_total": self.expected_total, "computed_mean": float(d.mean()),
               "q95": float(d.quantile(0.95)), "q995": float(d.quantile(0.995))}
        if premium is not None:
            row["premium"] = float(premium)
            row["prob_claims_above_premium"] = float(d.sf(float(premium)))
        return pd.DataFrame([row])


def payout_cdf(severity, benefit, y) -> np.ndarray:
    """``P(pay(X) ≤ y)`` for a single benefit design (a stack of layers, franchise allowed).

    A thin wrapper of ``coverage(severity, benefit).cdf(y)``
    (:func:`puhui.losses.coverage`): ``pay`` is non-decreasing and piecewise linear, so
    ``{x : pay(x) ≤ y}`` is an interval ``[0, x*(y)]`` and the answer is ``F_X(x*(y))``;
    y ≥ the largest payout gives 1.
    """
    st = as_stack(benefit)
    if st.grid_shape != ():
        raise ParameterError("payout_cdf needs one design, not a grid")
    if not (hasattr(severity, "cdf") or hasattr(severity, "sf")):
        raise ParameterError(f"severity {type(severity).__name__} has no cdf(x)")
    return np.asarray(coverage(severity, benefit).cdf(y), dtype=float)


def _mean(model) -> float:
    m = getattr(model, "mean", None)
    return float(m()) if callable(m) else float("nan")


def _quantile(model, q):
    for attr in ("ppf", "quantile"):
        f = getattr(model, attr, None)
        if callable(f):
            return f(q)
    raise ParameterError(f"severity {type(model).__name__} has neither ppf nor quantile; give a "
                         "benefit with a cap")


__all__ = ["AccidentLine", "AccidentProduct", "DISABILITY_SHARES", "GroupClaims", "disability_grades",
           "fixed_sum", "payout_cdf"]
