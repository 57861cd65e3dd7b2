"""Reinsurance treaties (再保险合同) as small frozen dataclasses with a vectorised ``cede``.

Every non-proportional cover is a layer on some loss variable, written with the one layer of
the package, :class:`puhui.benefits.Layer` (``share · clip(x − a, 0, l)``):

=================  ====================  ===========================================  =========
treaty             loss variable x       ceded amount                                 level
=================  ====================  ===========================================  =========
``QuotaShare``     any (each loss)       ``q · x``                                    any
``PerRiskXL``      each risk's loss      ``clip(x − r, 0, l)`` (险位超赔)              risk
``PerEventXL``     each event's total    ``clip(x − r, 0, l)`` (事故超赔)              event
``StopLoss``       the year's claims     ``s · clip(x − a·P, 0, (b − a)·P)`` (赔付率超赔) year
=================  ====================  ===========================================  =========

with ``P`` the premium the loss-ratio band is stated on (the subject premium). With
``reinstatements = k`` an excess-of-loss layer pays at most ``(k + 1)·l`` in a year; the ceded
amounts are taken in the order the losses are given (chronological within a year) until the
annual limit is used up.

**Premium (再保费).** A cover is never free: an excess-of-loss or stop-loss treaty needs either a
``rate_on_line`` (premium = rate × limit in yuan, 按责任限额费率) or a ``loading`` on its
expected ceded claims (premium = (1 + loading) · E[ceded], 按期望分出赔款加成). A quota share
cedes ``q`` of the premium and receives a ceding commission ``c`` (分保佣金, 摊回分保费用) on it.
Reinstatement premiums are ``reinstatement_rate × premium × (amount reinstated / l)``, pro rata
as to amount (not time), on the first ``k·l`` of ceded losses.

Sources: the treaty forms and the reinstatement arithmetic follow Klugman, Panjer & Willmot,
*Loss Models* (4th ed., 2012), §8 (coverage modifications) and §9.7 (stop-loss and the
aggregate), and Kaas, Goovaerts, Dhaene & Denuit, *Modern Actuarial Risk Theory* (2nd ed.,
2008), ch. 3 (stop-loss premiums) and ch. 10 (reinsurance orderings: a higher retention never
cedes more).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from puhui.benefits import Layer
from puhui.benefits.layer import check_losses
from puhui.errors import ParameterError

__all__ = ["PerEventXL", "PerRiskXL", "QuotaShare", "StopLoss"]

LEVELS = {"risk": 0, "event": 1, "year": 2}


def _number(value, name: str, *, low=0.0, high=math.inf, high_open=False, allow_inf=False):
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise ParameterError(f"{name}: must be a number, got {value!r}") from None
    if math.isnan(v) or (math.isinf(v) and not allow_inf):
        raise ParameterError(f"{name}: must be a finite number, got {value!r}")
    if v < low or v > high or (high_open and v == high):
        bound = f"[{low:g}, {high:g}{')' if high_open else ']'}"
        raise ParameterError(f"{name}: must lie in {bound} (0.3, not 30), got {value!r}")
    return v


def _premium_terms(obj) -> None:
    rol, loading = obj.rate_on_line, obj.loading
    if (rol is None) == (loading is None):
        raise ParameterError(
            f"{type(obj).__name__}: give exactly one of rate_on_line= (premium = rate × limit) "
            "or loading= (premium = (1 + loading) × expected ceded claims); a cover is not free")
    if rol is not None:
        _number(rol, "rate_on_line", high=1.0)
    else:
        _number(loading, "loading", low=-0.99, high=10.0)


@dataclass(frozen=True)
class QuotaShare:
    """成数分保: cede ``share`` of every loss and of the premium; receive ``commission``.

    ``cede(x) = share · x`` (the layer ``Layer(0, inf, share)``), ceded premium
    ``share · P``, ceding commission ``commission · share · P`` (摊回分保费用).

    Examples
    --------
    >>> QuotaShare(0.3, commission=0.25).cede([100.0, 0.0, 50.0]).tolist()
    [30.0, 0.0, 15.0]
    """

    share: float
    commission: float = 0.0

    level = None  # proportional: applies at whatever level the claims are

    def __post_init__(self):
        _number(self.share, "share", high=1.0)
        _number(self.commission, "commission", high=1.0, high_open=True)

    @property
    def layer(self) -> Layer:
        return Layer(0.0, np.inf, self.share)

    def cede(self, claims):
        """Ceded part of each loss (yuan), vectorised."""
        return self.layer.pay_elementwise(claims)

    def ceded_premium(self, premium):
        return self.share * np.asarray(premium, dtype=float)

    def commission_on(self, premium):
        return self.commission * self.ceded_premium(premium)


@dataclass(frozen=True)
class _ExcessOfLoss:
    retention: float
    limit: float
    reinstatements: int | None = None
    rate_on_line: float | None = None
    loading: float | None = None
    reinstatement_rate: float = 1.0

    def __post_init__(self):
        _number(self.retention, "retention")
        lim = _number(self.limit, "limit", allow_inf=True)
        if lim <= 0:
            raise ParameterError(f"limit: must be > 0, got {self.limit!r}")
        k = self.reinstatements
        if k is not None and (isinstance(k, bool) or not isinstance(k, (int, np.integer))
                              or k < 0):
            raise ParameterError(f"reinstatements: a whole number ≥ 0 or None (unlimited, free), "
                                 f"got {k!r}")
        if self.rate_on_line is not None and math.isinf(lim):
            raise ParameterError("rate_on_line: an unlimited layer has no rate on line; "
                                 "price it with loading=")
        _number(self.reinstatement_rate, "reinstatement_rate", high=2.0)
        _premium_terms(self)

    @property
    def layer(self) -> Layer:
        """The cover as a :class:`puhui.benefits.Layer` on the loss it applies to."""
        return Layer(self.retention, self.limit, 1.0)

    @property
    def annual_limit(self) -> float:
        """``(k + 1) · limit`` (inf with unlimited reinstatements)."""
        if self.reinstatements is None:
            return math.inf
        return (self.reinstatements + 1) * float(self.limit)

    def cede(self, losses, scenario=None):
        """Ceded part of each loss; with finite reinstatements the year's total is capped at
        :attr:`annual_limit`, losses taken in the order given within each ``scenario`` (year).

        Examples
        --------
        >>> xl = PerRiskXL(100.0, 200.0, reinstatements=1, rate_on_line=0.1)
        >>> xl.cede([50.0, 400.0, 350.0, 500.0], scenario=[0, 0, 0, 1]).tolist()
        [0.0, 200.0, 200.0, 200.0]
        >>> PerRiskXL(100.0, 200.0, reinstatements=0, rate_on_line=0.1).cede(
        ...     [400.0, 350.0], scenario=[0, 0]).tolist()    # one limit a year
        [200.0, 0.0]
        """
        x = check_losses(losses)
        per_loss = self.layer.pay_elementwise(x)
        cap = self.annual_limit
        if math.isinf(cap):
            return per_loss
        if scenario is None:
            scenario = np.zeros(x.shape, dtype=np.int64)
        sc = np.asarray(scenario)
        if sc.shape != x.shape:
            raise ParameterError(f"scenario: shape {sc.shape} differs from the losses' {x.shape}")
        flat, s = per_loss.ravel(), sc.ravel()
        order = np.argsort(s, kind="stable")       # group by year, keep the order within it
        c = flat[order]
        cum = np.cumsum(c)
        starts = np.r_[True, s[order][1:] != s[order][:-1]]
        base = np.maximum.accumulate(np.where(starts, cum - c, 0.0))  # cum before each year
        before = cum - c - base                     # ceded earlier in the same year
        out = np.empty_like(flat)
        out[order] = np.clip(cap - before, 0.0, c)
        return out.reshape(x.shape)

    def premium(self, expected_ceded: float) -> float:
        """Reinsurance premium: ``rate_on_line × limit`` or ``(1 + loading) × E[ceded]``."""
        if self.rate_on_line is not None:
            return float(self.rate_on_line) * float(self.limit)
        return (1.0 + float(self.loading)) * float(expected_ceded)

    def reinstatement_premium(self, annual_ceded, premium: float):
        """``reinstatement_rate × premium × min(ceded, k·limit)/limit`` per year (0 when
        reinstatements are unlimited and free, or k = 0)."""
        c = np.asarray(annual_ceded, dtype=float)
        k = self.reinstatements
        if not k or math.isinf(float(self.limit)):
            return np.zeros(c.shape)
        lim = float(self.limit)
        return float(self.reinstatement_rate) * premium * np.minimum(c, k * lim) / lim


@dataclass(frozen=True)
class PerRiskXL(_ExcessOfLoss):
    """险位超赔: ``clip(x − retention, 0, limit)`` on each risk's loss (a farm, a county, a
    member), optionally ``reinstatements`` times a year.

    Examples
    --------
    >>> PerRiskXL(1_000.0, 4_000.0, loading=0.2).cede([500.0, 3_000.0, 9_000.0]).tolist()
    [0.0, 2000.0, 4000.0]
    """

    level = "risk"


@dataclass(frozen=True)
class PerEventXL(_ExcessOfLoss):
    """事故超赔 (巨灾超赔): ``clip(E − retention, 0, limit)`` on each event's total ``E`` (the
    sum of the risks' losses — after any per-risk cover — that one flood or drought causes)."""

    level = "event"


@dataclass(frozen=True)
class StopLoss:
    """赔付率超赔 (stop loss): covers the year's loss ratio between ``attachment_lr`` and
    ``exhaustion_lr``, ``share`` of it::

        cede(S) = share · clip(S − a·P, 0, (b − a)·P) = Layer(a·P, (b − a)·P, share).pay(S)

    with ``P`` the subject premium. E.g. ``StopLoss(0.9, 1.5)``: the insurer keeps the loss
    ratio below 90%, the reinsurer pays 90–150%, above 150% is the insurer's again (or the
    大灾准备金's, :class:`puhui.reinsurance.CatastropheReserve`). Expected recovery on a law of
    ``S``: ``share · (LEV(b·P) − LEV(a·P))``.

    Examples
    --------
    >>> sl = StopLoss(0.9, 1.5, rate_on_line=0.08)
    >>> sl.cede([80.0, 120.0, 200.0], premium=100.0).tolist()
    [0.0, 30.0, 60.0]
    >>> round(sl.premium(100.0, expected_ceded=5.0), 6)   # 8% of the 60 yuan limit
    4.8
    """

    attachment_lr: float
    exhaustion_lr: float = math.inf
    share: float = 1.0
    rate_on_line: float | None = None
    loading: float | None = None

    level = "year"

    def __post_init__(self):
        a = _number(self.attachment_lr, "attachment_lr", high=100.0)
        b = _number(self.exhaustion_lr, "exhaustion_lr", allow_inf=True)
        if not b > a:
            raise ParameterError(f"exhaustion_lr: must exceed attachment_lr ({a:g}), got {b:g}")
        _number(self.share, "share", high=1.0)
        if self.rate_on_line is not None and math.isinf(b):
            raise ParameterError("rate_on_line: an unlimited stop loss has no rate on line; "
                                 "price it with loading=")
        _premium_terms(self)

    def layer(self, premium) -> Layer:
        """The cover in yuan for a subject premium ``P``: ``Layer(a·P, (b − a)·P, share)``."""
        p = np.asarray(premium, dtype=float)
        if np.any(~np.isfinite(p) | (p <= 0)):
            raise ParameterError("premium: the subject premium of a stop loss must be > 0")
        a, b = float(self.attachment_lr), float(self.exhaustion_lr)
        return Layer(a * p, (b - a) * p if math.isfinite(b) else np.inf, self.share)

    def cede(self, claims, premium):
        """Ceded part of each year's claims (vectorised; ``premium`` broadcasts)."""
        return self.layer(premium).pay_elementwise(claims)

    def limit(self, premium) -> float:
        """The most it pays in yuan: ``share · (b − a) · P``."""
        return float(self.share) * (float(self.exhaustion_lr) - float(self.attachment_lr)) \
            * float(premium)

    def premium(self, subject_premium: float, expected_ceded: float) -> float:
        if self.rate_on_line is not None:
            return float(self.rate_on_line) * self.limit(subject_premium)
        return (1.0 + float(self.loading)) * float(expected_ceded)
