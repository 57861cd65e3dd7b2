"""A reinsurance programme (再保险安排): treaties applied in order, then the 大灾准备金.

For each year (scenario) with gross premium ``P``, expenses ``E = v·P + F`` (company expenses,
on the gross business) and gross claims ``S``::

    net claims        C   = S − Σ_t recoveries_t                    (自留赔款)
    ceded premium     R   = Σ_QS q·P_t + Σ_XL,SL premium_t + reinstatement premiums
    net earned        N   = P − R                                   (已赚保费, 自留)
    commission        K   = Σ_QS c·q·P_t                            (摊回分保费用)
    reserve           c·N contributed, D = draw(C) paid            (大灾准备金)

    gross CR          = S/P + E/P
    net CR            = C/N + (E − K)/N                             (综合成本率, ratios.md)
    after-reserve CR  = (C − D)/N + (E − K + c·N)/N

each summed by :func:`puhui.ratios.combined_ratio_from` (the one combined ratio). The net
result ``P − R + K − C − E = N·(1 − net CR)``: a cover's price shows up in the net CR, so a
programme that cuts the tail but costs more than it recovers on average raises the mean.
``P_t`` is the premium still retained when treaty ``t`` applies (quota shares cede premium;
excess-of-loss premiums are paid from it but do not change the subject premium of a later
stop loss).

**Order.** Treaties apply in the order given, each to what the previous ones left: quota share
at any level, per-risk before per-event before stop loss (losses are summed by event, then by
year, as the treaties need). Per-risk and per-event covers need each risk's loss (and its event):
:meth:`Programme.run` on scenarios — simulated or historic burn years, where correlated risks
(counties in one flood) stay together. Quota share and stop loss need only the year's total:
:meth:`Programme.on_law` on the discrete law of ``S`` (FFT, Panjer, simulation: independent
risks, 惠民保), exactly — each step maps the support of the law through a non-decreasing
function, so the net and after-reserve laws are the same masses at new points, the stop loss
expectation is ``share · (LEV(b·P) − LEV(a·P))`` of the claims reaching it, and P(CR > 100%)
is :func:`puhui.ratios.exceedance_probability` of the claims law.

**Premium of a cover priced with a loading** is ``(1 + loading)`` times its expected ceded
claims: the mean over the scenarios (burn cost) in :meth:`~Programme.run`, the exact
expectation on the law in :meth:`~Programme.on_law`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from puhui.benefits.layer import check_losses
from puhui.errors import ParameterError
from puhui.losses.aggregate_dist import DiscreteAggregate
from puhui.losses.empirical import Empirical
from puhui.ratios import combined_ratio_from, exceedance_probability
from puhui.ratios.exceedance import burn_exceedance

from .reserve import CatastropheReserve
from .treaties import LEVELS, PerEventXL, PerRiskXL, QuotaShare, StopLoss, _ExcessOfLoss

__all__ = ["LawResult", "Programme", "ProgrammeResult"]

BASES = ("gross", "net", "after_reserve")
BASIS_ZH = {"gross": "再保前", "net": "再保后", "after_reserve": "大灾准备金后"}
LEVELS_P = (0.95, 0.99)


def _check_expenses(expense_ratio, fixed_expenses) -> tuple[float, float]:
    try:
        v, f = float(expense_ratio), float(fixed_expenses)
    except (TypeError, ValueError):
        raise ParameterError("expense_ratio, fixed_expenses: must be numbers") from None
    if not (math.isfinite(v) and 0 <= v < 1):
        raise ParameterError(f"expense_ratio: a share of premium in [0, 1), got {expense_ratio!r}")
    if not (math.isfinite(f) and f >= 0):
        raise ParameterError(f"fixed_expenses: must be a finite number ≥ 0, got {fixed_expenses!r}")
    return v, f


def _cr_law(values, pmf) -> DiscreteAggregate:
    """A discrete law on sorted points (for VaR/TVaR of a combined ratio or of claims)."""
    x = np.maximum.accumulate(np.asarray(values, dtype=float))  # a monotone map's round-off
    nan = math.nan
    return DiscreteAggregate("reinsurance", x, np.asarray(pmf, dtype=float), None, nan, nan, nan)


def _row(law: DiscreteAggregate, prob_above: float) -> dict:
    out = {"mean": law.mean(), "sd": math.sqrt(max(law.var(), 0.0))}
    for p in LEVELS_P:
        out[f"var_{round(p * 100)}"] = float(law.quantile(p))
        out[f"tvar_{round(p * 100)}"] = float(law.tvar(p))
    out["p_cr_above_100"] = float(prob_above)
    return out


def _summary_frame(rows: dict) -> pd.DataFrame:
    df = pd.DataFrame.from_dict(rows, orient="index")
    df.insert(0, "basis_zh", [BASIS_ZH[b] for b in df.index])
    df.index.name = "basis"
    return df


def _plot_laws(laws: dict, ax=None):
    from puhui.plots import label, new_axes

    ax = new_axes(ax)
    names = {"gross": label("再保前", "gross"), "net": label("再保后", "net of reinsurance"),
             "after_reserve": label("大灾准备金后", "after the catastrophe reserve")}
    for basis, law in laws.items():
        ax.step(law.x, np.cumsum(law.pmf), where="post", label=names[basis])
    ax.axvline(1.0, color="grey", lw=0.8, ls="--")
    ax.set_xlabel(label("综合成本率", "combined ratio"))
    ax.set_ylabel(label("累计概率", "cumulative probability"))
    ax.legend()
    return ax


@dataclass(frozen=True, eq=False)
class ProgrammeResult:
    """A programme on scenarios: every amount per scenario (year), in yuan.

    ``frame()`` is the table per scenario; ``summary()`` the mean, sd, VaR/TVaR 95/99 and
    P(CR > 100%) (burn: the share of scenarios, :func:`puhui.ratios.burn_exceedance`) of the
    gross, net and after-reserve combined ratios; ``plot(ax=)`` their distributions.
    """

    premium: np.ndarray
    gross_claims: np.ndarray
    ceded: dict
    net_claims: np.ndarray
    reinsurance_premium: dict
    commission: np.ndarray
    expenses: np.ndarray
    contribution: np.ndarray
    draw: np.ndarray
    gross_cr: np.ndarray
    net_cr: np.ndarray
    after_cr: np.ndarray
    info: dict = field(default_factory=dict)

    @property
    def ceded_premium(self) -> np.ndarray:
        return np.sum(list(self.reinsurance_premium.values()), axis=0) if self.reinsurance_premium \
            else np.zeros_like(self.premium)

    @property
    def net_premium(self) -> np.ndarray:
        """``P − R + K``: what the insurer keeps of the premium (commission counted back)."""
        return self.premium - self.ceded_premium + self.commission

    def frame(self) -> pd.DataFrame:
        df = pd.DataFrame({"premium": self.premium, "gross_claims": self.gross_claims})
        for name, c in self.ceded.items():
            df[f"recovery[{name}]"] = c
        df["net_claims"] = self.net_claims
        for name, p in self.reinsurance_premium.items():
            df[f"premium[{name}]"] = p
        df["commission"] = self.commission
        df["expenses"] = self.expenses
        df["reserve_contribution"] = self.contribution
        df["reserve_draw"] = self.draw
        df["gross_cr"], df["net_cr"], df["after_cr"] = self.gross_cr, self.net_cr, self.after_cr
        df.index.name = "scenario"
        return df

    def _laws(self) -> dict:
        n = self.gross_cr.size
        out = {}
        for basis, cr in zip(BASES, (self.gross_cr, self.net_cr, self.after_cr), strict=True):
            order = np.argsort(cr, kind="stable")
            out[basis] = _cr_law(cr[order], np.full(n, 1.0 / n))
        return out

    def summary(self) -> pd.DataFrame:
        laws = self._laws()
        crs = {"gross": self.gross_cr, "net": self.net_cr, "after_reserve": self.after_cr}
        df = _summary_frame({b: _row(laws[b], burn_exceedance(crs[b])) for b in BASES})
        df.attrs.update(n_scenarios=int(self.gross_cr.size),
                        mean_recovery={k: float(v.mean()) for k, v in self.ceded.items()},
                        mean_reinsurance_premium={k: float(np.mean(v))
                                                  for k, v in self.reinsurance_premium.items()},
                        mean_commission=float(self.commission.mean()), **self.info)
        return df

    def plot(self, ax=None):
        """Cumulative distributions of the three combined ratios (Chinese labels when the
        machine has a CJK font); returns the Axes."""
        return _plot_laws(self._laws(), ax)


@dataclass(frozen=True, eq=False)
class LawResult:
    """A programme on a law of the year's gross claims ``S``: the laws of the gross, net and
    after-reserve claims (same masses as ``S``, mapped points) and the year's fixed amounts."""

    premium: float
    net_earned: float
    expenses: float
    commission: float
    contribution: float
    laws: dict
    expected_ceded: dict
    reinsurance_premium: dict
    info: dict = field(default_factory=dict)

    def _denominators(self) -> dict:
        """``(D, e)`` per basis: CR = (claims + e)/D."""
        k, c = self.commission, self.contribution
        return {"gross": (self.premium, self.expenses),
                "net": (self.net_earned, self.expenses - k),
                "after_reserve": (self.net_earned, self.expenses - k + c)}

    def cr_laws(self) -> dict:
        out = {}
        for basis, (d, e) in self._denominators().items():
            law = self.laws[basis]
            out[basis] = _cr_law((law.x + e) / d, law.pmf)
        return out

    def summary(self) -> pd.DataFrame:
        """Mean, sd, VaR/TVaR 95/99 of each CR and P(CR > 100%) = P(claims > D − e) from the
        claims law by :func:`puhui.ratios.exceedance_probability`."""
        crs = self.cr_laws()
        rows = {}
        for basis, (d, e) in self._denominators().items():
            prob = exceedance_probability(d - e, law=self.laws[basis])
            rows[basis] = _row(crs[basis], prob)
        df = _summary_frame(rows)
        df.attrs.update(expected_recovery=dict(self.expected_ceded),
                        reinsurance_premium=dict(self.reinsurance_premium),
                        commission=self.commission, reserve_contribution=self.contribution,
                        **self.info)
        return df

    def plot(self, ax=None):
        return _plot_laws(self.cr_laws(), ax)


class Programme:
    """Treaties applied in order (see the module docstring), then an optional
    :class:`~puhui.reinsurance.CatastropheReserve`.

    Examples
    --------
    Four years of a county portfolio (premium 100 a year), a 30% quota share with 25%
    commission, then a stop loss 90–150% of the retained loss ratio at 10% rate on line:

    >>> prog = Programme([QuotaShare(0.3, 0.25), StopLoss(0.9, 1.5, rate_on_line=0.10)])
    >>> res = prog.run([60.0, 80.0, 130.0, 210.0], premium=100.0, expense_ratio=0.12)
    >>> res.net_claims.round(2).tolist()   # 0.7·S less its part in [63, 105] (90–150% of 70)
    [42.0, 56.0, 63.0, 105.0]
    >>> res.net_cr.round(4).tolist()       # (C + 12 − 7.5)/(100 − 30 − 4.2)
    [0.7067, 0.9195, 1.0258, 1.6641]
    """

    def __init__(self, treaties: Sequence, reserve: CatastropheReserve | None = None):
        treaties = list(treaties)
        kinds = (QuotaShare, PerRiskXL, PerEventXL, StopLoss)
        last = -1
        for i, t in enumerate(treaties):
            if not isinstance(t, kinds):
                raise ParameterError(f"treaties[{i}]: {type(t).__name__} is not a QuotaShare, "
                                     "PerRiskXL, PerEventXL or StopLoss")
            if t.level is not None:
                if LEVELS[t.level] < last:
                    raise ParameterError(
                        f"treaties[{i}]: a {type(t).__name__} cannot follow a cover on "
                        "larger totals; order per-risk, then per-event, then stop loss "
                        "(quota shares anywhere)")
                last = LEVELS[t.level]
        if reserve is not None and not isinstance(reserve, CatastropheReserve):
            raise ParameterError("reserve: a CatastropheReserve or None")
        self.treaties = tuple(treaties)
        self.reserve = reserve

    def _names(self) -> list[str]:
        return [f"{i + 1}:{type(t).__name__}" for i, t in enumerate(self.treaties)]

    def __repr__(self) -> str:
        return f"Programme({self._names()}, reserve={self.reserve!r})"

    # ------------------------------------------------------------------ scenarios
    def run(self, losses, premium, *, scenario=None, event=None, n_scenarios=None,
            expense_ratio=0.0, fixed_expenses=0.0) -> ProgrammeResult:
        """Apply the programme to scenarios (years) of losses.

        Parameters
        ----------
        losses : array_like
            2-D ``(scenarios, risks)``: each row a year, each column a risk (county, farm,
            member); or 1-D: with ``scenario`` the year of each loss, without it one total per
            year. Yuan, ≥ 0.
        premium : float or array_like
            Gross premium of each year (broadcast to the scenarios), > 0.
        scenario : array_like of int, optional
            For 1-D losses: the year (0 … n − 1) of each loss, in the order the losses occur.
        event : array_like, optional
            The event of each loss (same shape as ``losses``; a label, events are per year) —
            needed by a per-event cover.
        n_scenarios : int, optional
            Number of years (default: ``max(scenario) + 1``; years without a loss count).
        expense_ratio, fixed_expenses : float
            The insurer's own expenses ``v·P + F`` (on the gross premium).
        """
        v, f = _check_expenses(expense_ratio, fixed_expenses)
        x = check_losses(losses)
        ev = None if event is None else np.asarray(event)
        if x.ndim == 2:
            if scenario is not None:
                raise ParameterError("scenario: not with 2-D losses (rows are the years)")
            n = x.shape[0]
            sc = np.repeat(np.arange(n), x.shape[1])
        elif x.ndim == 1:
            if scenario is None:
                sc = np.arange(x.size)
            else:
                sc = np.asarray(scenario)
                if sc.shape != x.shape or not np.issubdtype(sc.dtype, np.integer):
                    raise ParameterError("scenario: integer year codes, one per loss")
                if sc.size and sc.min() < 0:
                    raise ParameterError("scenario: codes must be ≥ 0")
            n = int(sc.max()) + 1 if sc.size else 0
        else:
            raise ParameterError(f"losses: 1-D or 2-D, got shape {x.shape}")
        if n_scenarios is not None:
            if int(n_scenarios) < n:
                raise ParameterError(f"n_scenarios: {n_scenarios} is below the largest year "
                                     f"code + 1 ({n})")
            n = int(n_scenarios)
        if n == 0:
            raise ParameterError("losses: at least one scenario is needed")
        if ev is not None:
            try:
                ev = np.broadcast_to(ev, x.shape).ravel()
            except ValueError:
                raise ParameterError(f"event: shape {ev.shape} does not match the losses' "
                                     f"{x.shape}") from None
        x = x.ravel()
        try:
            p = np.broadcast_to(np.asarray(premium, dtype=float), (n,)).copy()
        except ValueError:
            raise ParameterError(f"premium: one per scenario ({n}) or one for all") from None
        if np.any(~np.isfinite(p) | (p <= 0)):
            raise ParameterError("premium: must be finite and > 0 in every scenario")

        current, cur_sc, level = x, sc, "risk"
        subject = p.copy()
        ceded, prem = {}, {}
        commission = np.zeros(n)
        for name, t in zip(self._names(), self.treaties, strict=True):
            if t.level is not None and LEVELS[t.level] > LEVELS[level]:
                if t.level == "event":
                    if ev is None:
                        raise ParameterError(f"{name}: a per-event cover needs event= (the event "
                                             "of each loss)")
                    _, codes = np.unique(ev, return_inverse=True)
                    keys = cur_sc.astype(np.int64) * (int(codes.max()) + 1) + codes.ravel()
                    uniq, inv = np.unique(keys, return_inverse=True)
                    current = np.bincount(inv.ravel(), current, minlength=uniq.size)
                    cur_sc = uniq // (int(codes.max()) + 1)
                else:
                    current = np.bincount(cur_sc, current, minlength=n)
                    cur_sc = np.arange(n)
                level = t.level
            if isinstance(t, QuotaShare):
                c = t.cede(current)
                prem[name] = t.ceded_premium(subject)
                commission = commission + t.commission_on(subject)
                subject = subject - prem[name]
                annual = np.bincount(cur_sc, c, minlength=n)
            elif isinstance(t, _ExcessOfLoss):
                c = t.cede(current, cur_sc)
                annual = np.bincount(cur_sc, c, minlength=n)
                base = t.premium(annual.mean())
                prem[name] = base + t.reinstatement_premium(annual, base)
            else:  # StopLoss: the year's totals
                c = t.cede(current, subject)
                annual = c
                if t.rate_on_line is not None:
                    prem[name] = float(t.rate_on_line) * float(t.share) * (
                        float(t.exhaustion_lr) - float(t.attachment_lr)) * subject
                else:
                    prem[name] = np.full(n, (1.0 + float(t.loading)) * annual.mean())
            ceded[name] = annual
            current = current - c
        gross = np.bincount(sc, x, minlength=n)
        net = np.bincount(cur_sc, current, minlength=n)
        prem = {k: np.broadcast_to(np.asarray(val, dtype=float), (n,)).copy()
                for k, val in prem.items()}
        ceded_premium = np.sum(list(prem.values()), axis=0) if prem else np.zeros(n)
        net_earned = p - ceded_premium
        if np.any(net_earned <= 0):
            raise ParameterError("the programme cedes all the premium or more in some scenario "
                                 "(net earned premium ≤ 0): no net ratio exists")
        expenses = v * p + f
        contribution, draw = self._reserve(net, p, net_earned)
        with np.errstate(divide="ignore", invalid="ignore"):
            gross_cr = combined_ratio_from(gross / p, expenses / p)
            net_cr = combined_ratio_from(net / net_earned, (expenses - commission) / net_earned)
            after_cr = combined_ratio_from((net - draw) / net_earned,
                                           (expenses - commission + contribution) / net_earned)
        return ProgrammeResult(
            premium=p, gross_claims=gross, ceded=ceded, net_claims=net,
            reinsurance_premium=prem, commission=commission, expenses=expenses,
            contribution=contribution, draw=draw, gross_cr=np.asarray(gross_cr),
            net_cr=np.asarray(net_cr), after_cr=np.asarray(after_cr),
            info={"treaties": self._names(), "route": "scenarios"})

    def _reserve(self, net, premium, net_earned):
        if self.reserve is None:
            z = np.zeros_like(np.asarray(net, dtype=float))
            return z, z
        contribution = np.broadcast_to(self.reserve.contribution(net_earned),
                                       np.shape(net)).astype(float)
        base = net_earned if self.reserve.premium_basis == "net" else premium
        return contribution, self.reserve.draw(net, base, contribution)

    # ------------------------------------------------------------------ a law of S
    def on_law(self, law, premium, *, expense_ratio=0.0, fixed_expenses=0.0) -> LawResult:
        """Apply the programme to the discrete law of the year's gross claims ``S`` (a
        :class:`~puhui.losses.aggregate_dist.DiscreteAggregate` from
        :func:`puhui.losses.aggregate`, or an :class:`~puhui.losses.empirical.Empirical`).

        Only quota shares and stop losses: they depend on ``S`` alone. Expected recoveries are
        exact on the law: ``q·E[S]`` and ``share · (LEV(b·P) − LEV(a·P))`` of the claims
        reaching the stop loss.
        """
        v, f = _check_expenses(expense_ratio, fixed_expenses)
        if isinstance(law, DiscreteAggregate):
            x, pmf = np.asarray(law.x, dtype=float), np.asarray(law.pmf, dtype=float)
        elif isinstance(law, Empirical):
            x = np.asarray(law.values, dtype=float)
            w = law.weights
            pmf = np.full(x.size, 1.0 / x.size) if w is None else np.asarray(w) / np.sum(w)
        else:
            raise ParameterError(f"law: a DiscreteAggregate (puhui.losses.aggregate) or an "
                                 f"Empirical, got {type(law).__name__}; a continuous law can be "
                                 "discretised with aggregate(..., method='fft')")
        if np.any(x < 0):
            raise ParameterError("law: claims must be ≥ 0")
        for i, t in enumerate(self.treaties):
            if not isinstance(t, (QuotaShare, StopLoss)):
                raise ParameterError(
                    f"treaties[{i}]: a {type(t).__name__} needs each risk's or event's loss, "
                    "which a law of the year's total does not hold; use run() on scenarios "
                    "(simulated or historic years)")
        try:
            p = float(premium)
        except (TypeError, ValueError):
            raise ParameterError("premium: one number (yuan) for the year") from None
        if not (math.isfinite(p) and p > 0):
            raise ParameterError("premium: must be finite and > 0")
        current, subject = x.copy(), p
        expected, prem = {}, {}
        commission = 0.0
        for name, t in zip(self._names(), self.treaties, strict=True):
            incoming = _cr_law(current, pmf)
            if isinstance(t, QuotaShare):
                c = t.cede(current)
                expected[name] = float(t.share) * incoming.mean()
                prem[name] = float(t.ceded_premium(subject))
                commission += float(t.commission_on(subject))
                subject -= prem[name]
            else:
                a = float(t.attachment_lr) * subject
                b = float(t.exhaustion_lr) * subject
                c = t.cede(current, subject)
                expected[name] = float(t.share) * float(incoming.lev(b) - incoming.lev(a))
                prem[name] = t.premium(subject, expected[name])
            current = current - c
        net_earned = p - sum(prem.values())
        if net_earned <= 0:
            raise ParameterError("the programme cedes all the premium or more (net earned "
                                 "premium ≤ 0)")
        expenses = v * p + f
        contribution, draw = self._reserve(current, p, net_earned)
        contribution = float(np.ravel(contribution)[0]) if contribution.size else 0.0
        laws = {"gross": _cr_law(x, pmf), "net": _cr_law(current, pmf),
                "after_reserve": _cr_law(current - draw, pmf)}
        return LawResult(premium=p, net_earned=net_earned, expenses=expenses,
                         commission=commission, contribution=contribution, laws=laws,
                         expected_ceded=expected, reinsurance_premium=prem,
                         info={"treaties": self._names(), "route": "law"})
