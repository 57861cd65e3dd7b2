"""Crop contracts as layers on a money loss (产量、成本、收入与区域产量保险).

Every contract maps what is observed (a yield, a price, an index) to a money loss x (元 per 亩,
``money_loss(...)`` ≥ 0) and pays the loss core's layer :class:`puhui.benefits.Layer`
(attachment 0, limit the sum insured, share 1) on it: ``pay(obs) = layer.pay(money_loss(obs))``
(``Layer.pay_elementwise``, so array terms broadcast elementwise with the observations and one
object can hold a whole grid of designs). ``layer()`` returns that Layer for a contract with
scalar terms.

Pricing goes through the loss core too: ``loss_model(yield_model)`` is the law of the money
loss, a :class:`puhui.agri.yield_model.YieldShortfall` X = s·(g − Y⁺)₊ meeting
:class:`puhui.losses.LossModel`, and the pure premium is

    E[pay] = puhui.losses.expected_payout(cover.loss_model(model), cover.layer())
           = LEV_X(SI) − LEV_X(0)

(``expected_payout(model)`` below; for array terms the same LEV difference, elementwise).

==================  ==========================================  ===================  ==========
contract            money loss x (元/亩)                         s (元 per kg)        limit
==================  ==========================================  ===================  ==========
YieldCover          (θμ − y)₊ · price                            price                θμ·price
CostCover           (θμ − y)₊ · price                            price or SI/(θμ)     SI
RevenueCover        (G − y·P_h)₊, G = θμ·max(P_p, P_h) with      —                    none
                    the harvest-price option, θμ·P_p without
AreaYieldCover      (T − y_area)₊ · liability/(T − λμ_area),     liability/(T − λμ)   liability
                    T = θμ_area
==================  ==========================================  ===================  ==========

θ = coverage level (保障水平), μ = expected yield (预期单产), y = realised yield, P_p / P_h =
projected / harvest price (预期价格 / 收获价格). The area cover pays the liability × the payment
factor min(1, (T − y)₊/(T − λμ)); λ = 0 is the RMA Group Risk Plan (GRP; Skees, Black & Barnett
1997), whose factor (T − y)₊/T reaches 1 only at a zero county yield and whose liability is the
policy protection = protection factor (≤ 1.5) × expected county yield × price
(:meth:`AreaYieldCover.grp`); λ > 0 is a loss-limit variant (the whole liability is paid from
the county yield λμ down). RevenueCover needs the joint law of yield and price: priced by
burn analysis (``burn_rate``) or on a fitted copula model
(:class:`puhui.agri.revenue.RevenueModel`, which pays through ``RevenueCover.pay``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..benefits import Layer
from ..errors import ParameterError
from ..losses import expected_payout as _expected_payout
from ..losses import lev as _lev

#: Largest GRP protection factor: the policy protection per unit area is at most 150 % of the
#: expected county yield × price (RMA Group Risk Plan; Skees, Black & Barnett 1997).
GRP_MAX_PROTECTION = 1.5
#: Coverage levels (trigger / expected county yield) of buy-up GRP: 70 % to 90 %.
GRP_COVERAGE = (0.70, 0.90)


def money_layer(limit=np.inf):
    """The loss core's Layer (attachment 0, limit ``limit`` 元, share 1) on a money loss;
    array limits are allowed (a grid of designs, paid elementwise with ``pay_elementwise``)."""
    return Layer(0.0, limit, 1.0)


def core_layer(limit=np.inf):
    """The loss core's :class:`puhui.benefits.Layer` (attachment 0, share 1) on a money loss,
    for one design (scalar terms)."""
    if np.ndim(limit):
        raise ParameterError("layer() describes one design: give the contract scalar terms")
    return money_layer(float(limit))


def price_layer(loss_model, limit):
    """E[min(X, limit)]: the expected payout of the layer (0, limit, 1) on the loss model.

    One design: :func:`puhui.losses.expected_payout` of :func:`core_layer`; a grid of designs
    (array terms, the model's parameters of the same shape): ``LEV(limit) − LEV(0)``
    elementwise, the same formula (``LEV(0) = 0``).
    """
    if np.ndim(limit) == 0 and np.ndim(getattr(loss_model, "guarantee", 0)) == 0 \
            and np.ndim(getattr(loss_model, "price", 0)) == 0:
        return _expected_payout(loss_model, core_layer(limit))
    return _lev(loss_model, limit)


def _positive(name, value):
    a = np.asarray(value, dtype=float)
    if not np.all(np.isfinite(a)) or np.any(a <= 0):
        raise ParameterError(f"{name} must be positive, got {value!r}")
    return a


def _check_protection(value):
    pf = np.asarray(value, dtype=float)
    if not np.all(np.isfinite(pf)) or np.any(pf <= 0) or np.any(pf > GRP_MAX_PROTECTION):
        raise ParameterError(f"protection_factor must be in (0, {GRP_MAX_PROTECTION:g}] (GRP "
                             f"protection is at most 150 % of expected county yield × price), "
                             f"got {value!r}")
    return pf


def _nonneg_obs(name, value):
    a = np.asarray(value, dtype=float)
    if not np.all(np.isfinite(a)) or np.any(a < 0):
        raise ParameterError(f"{name} must be finite and ≥ 0")
    return a


@dataclass(frozen=True)
class YieldCover:
    """Yield cover (产量保险), individual or county: pays (θμ − y)₊ × price.

    Examples
    --------
    >>> c = YieldCover(expected_yield=500.0, coverage_level=0.8, price=2.6)
    >>> float(c.pay(300.0)), float(c.sum_insured)
    (260.0, 1040.0)
    """

    expected_yield: float
    coverage_level: float = 0.8
    price: float = 1.0

    def __post_init__(self):
        _positive("expected_yield", self.expected_yield)
        _positive("coverage_level", self.coverage_level)
        _positive("price", self.price)

    @property
    def guarantee(self):
        """Guaranteed yield θμ (保障产量)."""
        return np.asarray(self.coverage_level, float) * self.expected_yield

    @property
    def sum_insured(self):
        """Liability per unit area θμ × price (保险金额)."""
        return self.guarantee * self.price

    def loss(self, yields):
        """Loss variable x = θμ − y (yield units)."""
        return self.guarantee - _nonneg_obs("yields", yields)

    def pay(self, yields):
        """Indemnity per unit area (元): the layer (0, SI, 1) on :meth:`money_loss`."""
        return money_layer(self.sum_insured).pay_elementwise(self.money_loss(yields))

    def money_loss(self, yields):
        """(θμ − y)₊ × price (元/亩), the loss the layer() pays on."""
        return np.maximum(self.loss(yields), 0.0) * self.price

    def layer(self):
        """This cover as a loss-core Layer on :meth:`money_loss` (limit = sum insured)."""
        return core_layer(self.sum_insured)

    def loss_model(self, model):
        """Law of :meth:`money_loss` under a fitted YieldModel: price · (θμ − Y⁺)₊."""
        return model.shortfall(self.guarantee, self.price)

    def expected_payout(self, model):
        """Expected indemnity under a fitted :class:`~puhui.agri.YieldModel`:
        ``expected_payout(loss_model(model), layer())`` = price · E[(θμ − Y⁺)₊]."""
        return price_layer(self.loss_model(model), self.sum_insured)

    def pure_rate(self, model):
        """纯风险损失率 = expected indemnity / sum insured."""
        return self.expected_payout(model) / self.sum_insured


@dataclass(frozen=True)
class CostCover:
    """物化成本 / 完全成本 cover: shortfall × price, capped at the sum insured per 亩.

    ``sum_insured`` is the insured cost per 亩 (物化成本, or 完全成本 = 物化成本 + 土地成本 +
    人工成本, see :func:`full_cost`). Without a ``price`` the loss degree form is used:
    price = sum insured / (θμ), so a total loss pays the sum insured.

    Examples
    --------
    >>> c = CostCover(sum_insured=1100.0, expected_yield=550.0, price=2.5)
    >>> float(c.pay(200.0)), float(c.pay(0.0))
    (875.0, 1100.0)
    """

    sum_insured: float
    expected_yield: float
    price: float | None = None
    coverage_level: float = 1.0

    def __post_init__(self):
        _positive("sum_insured", self.sum_insured)
        _positive("expected_yield", self.expected_yield)
        _positive("coverage_level", self.coverage_level)
        if self.price is not None:
            _positive("price", self.price)

    @property
    def guarantee(self):
        return np.asarray(self.coverage_level, float) * self.expected_yield

    @property
    def unit_price(self):
        """Price per unit of shortfall (given, or sum insured / θμ)."""
        return self.sum_insured / self.guarantee if self.price is None else \
            np.asarray(self.price, float)

    def loss(self, yields):
        """Loss variable x = (θμ − y) × price (元/亩)."""
        return (self.guarantee - _nonneg_obs("yields", yields)) * self.unit_price

    def pay(self, yields):
        """Indemnity per 亩 (元): the layer (0, SI, 1) on :meth:`money_loss`."""
        return money_layer(self.sum_insured).pay_elementwise(self.money_loss(yields))

    def money_loss(self, yields):
        return np.maximum(self.loss(yields), 0.0)

    def layer(self):
        """This cover as a loss-core Layer on :meth:`money_loss` (limit = sum insured)."""
        return core_layer(self.sum_insured)

    def loss_model(self, model):
        """Law of :meth:`money_loss` under a fitted YieldModel: unit_price · (θμ − Y⁺)₊."""
        return model.shortfall(self.guarantee, self.unit_price)

    def expected_payout(self, model):
        """E[min((θμ − Y)₊ · price, SI)] under a YieldModel: LEV(SI) of the money loss,
        p·[G(θμ) − G(θμ − SI/p)] (one layer of the shortfall)."""
        return price_layer(self.loss_model(model), self.sum_insured)

    def pure_rate(self, model):
        return self.expected_payout(model) / self.sum_insured


def full_cost(physical, land, labour):
    """完全成本 = 物化成本 + 土地成本 + 人工成本 (元/亩)."""
    parts = [np.asarray(v, float) for v in (physical, land, labour)]
    if any(np.any(p < 0) for p in parts):
        raise ParameterError("cost components must be ≥ 0")
    return parts[0] + parts[1] + parts[2]


@dataclass(frozen=True)
class RevenueCover:
    """种植收入保险: revenue guarantee θμ·P against realised yield × harvest price.

    indemnity = max(0, μθ·max(P_p, P_h) − y·P_h) with the harvest-price option
    (RMA Revenue Protection), max(0, μθ·P_p − y·P_h) without it.

    Examples
    --------
    >>> c = RevenueCover(expected_yield=500.0, coverage_level=0.8, projected_price=2.5)
    >>> float(c.pay(300.0, 3.0)), float(c.pay(300.0, 2.0))
    (300.0, 400.0)
    """

    expected_yield: float
    coverage_level: float = 0.8
    projected_price: float = 1.0
    harvest_price_option: bool = True

    def __post_init__(self):
        _positive("expected_yield", self.expected_yield)
        _positive("coverage_level", self.coverage_level)
        _positive("projected_price", self.projected_price)

    @property
    def sum_insured(self):
        """Liability at the projected price, θμ·P_p (元/亩)."""
        return np.asarray(self.coverage_level, float) * self.expected_yield * self.projected_price

    def revenue_guarantee(self, harvest_price):
        p = _positive("harvest_price", harvest_price)
        price = np.maximum(self.projected_price, p) if self.harvest_price_option \
            else np.asarray(self.projected_price, float)
        return np.asarray(self.coverage_level, float) * self.expected_yield * price

    def loss(self, yields, harvest_price):
        """Loss variable x = guarantee − y·P_h."""
        return self.revenue_guarantee(harvest_price) - \
            _nonneg_obs("yields", yields) * _positive("harvest_price", harvest_price)

    def pay(self, yields, harvest_price):
        """Indemnity per 亩 (元): the unlimited layer on :meth:`money_loss` (the loss never
        exceeds the guarantee, since revenue y·P_h ≥ 0)."""
        return money_layer().pay_elementwise(self.money_loss(yields, harvest_price))

    def money_loss(self, yields, harvest_price):
        return np.maximum(self.loss(yields, harvest_price), 0.0)

    def layer(self):
        """A loss-core Layer on :meth:`money_loss`; no limit is needed (revenue ≥ 0 keeps the
        loss below the guarantee, which moves with the harvest price)."""
        return core_layer()

    def burn_rate(self, yields, harvest_prices):
        """Mean indemnity over joint (yield, price) scenarios or years / sum insured."""
        return np.mean(self.pay(yields, harvest_prices), axis=-1) / self.sum_insured


@dataclass(frozen=True)
class AreaYieldCover:
    """Area-yield cover (区域产量保险): pays liability × payment factor on the county yield.

    trigger T = θ·μ_area (coverage level × expected county yield); payment factor
    = min(1, (T − y)₊ / (T − λ·μ_area)), λ = ``loss_limit_level``.

    **GRP** (RMA Group Risk Plan; Skees, J. R., Black, J. R. & Barnett, B. J. (1997), *Designing
    and rating an area yield crop insurance contract*, AJAE 79(2), 430–438): λ = 0, so

        payment factor = max(0, (T − y)/T),   indemnity = payment factor × policy protection,
        policy protection = protection factor × μ_area × price,  protection factor ≤ 1.5,

    with buy-up coverage levels θ of 70–90 % (:meth:`grp`). The pure rate is the expected
    payment factor E[(T − Y)₊]/T, the same for every protection factor — for a yield model of
    the county yields, ``YieldModel.premium_rate(θ)``; :meth:`pure_rate` computes it through
    the loss core. Worked example (a GRP sales worksheet for corn): expected county yield 140
    bu/acre, θ = 90 % → trigger 126; price $4.50, protection factor 1.5 → protection $945/acre;
    a county yield of 110 → factor 16/126 → indemnity $120/acre.

    ``protection_factor`` is recorded (and checked: in (0, 1.5]) when the liability was set
    from it; otherwise None.

    Examples
    --------
    >>> c = AreaYieldCover(expected_yield=600.0, coverage_level=0.9, liability=800.0)
    >>> round(float(c.pay(432.0)), 6)     # (540 − 432)/540 × 800
    160.0
    >>> g = AreaYieldCover.grp(140.0, coverage_level=0.9, price=4.5, protection_factor=1.5)
    >>> float(g.trigger), float(g.liability), round(float(g.pay(110.0)), 6)
    (126.0, 945.0, 120.0)
    """

    expected_yield: float
    coverage_level: float = 0.9
    liability: float = 1.0
    loss_limit_level: float = 0.0
    protection_factor: float | None = None

    def __post_init__(self):
        _positive("expected_yield", self.expected_yield)
        _positive("coverage_level", self.coverage_level)
        _positive("liability", self.liability)
        lam = np.asarray(self.loss_limit_level, float)
        if np.any(lam < 0) or np.any(lam >= np.asarray(self.coverage_level, float)):
            raise ParameterError("loss_limit_level must be in [0, coverage_level)")
        if self.protection_factor is not None:
            _check_protection(self.protection_factor)

    @classmethod
    def grp(cls, expected_county_yield, coverage_level=0.9, price=1.0,
            protection_factor=1.0) -> AreaYieldCover:
        """A GRP cover: trigger = θ × expected county yield (θ in [0.70, 0.90]), no loss limit,
        liability (policy protection per unit area) = protection factor × expected county
        yield × price, the protection factor in (0, 1.5] (class notes)."""
        theta = np.asarray(coverage_level, float)
        lo, hi = GRP_COVERAGE
        if not np.all(np.isfinite(theta)) or np.any(theta < lo - 1e-12) or \
                np.any(theta > hi + 1e-12):
            raise ParameterError(f"a GRP coverage level is {lo:.0%} to {hi:.0%} of the expected "
                                 f"county yield, got {coverage_level!r}")
        pf = _check_protection(protection_factor)
        mu = _positive("expected_county_yield", expected_county_yield)
        p = _positive("price", price)
        return cls(expected_yield=expected_county_yield, coverage_level=coverage_level,
                   liability=(pf * mu * p)[()], loss_limit_level=0.0,
                   protection_factor=protection_factor)

    @property
    def trigger(self):
        return np.asarray(self.coverage_level, float) * self.expected_yield

    @property
    def width(self):
        """T − λμ_area: the shortfall that pays the whole liability."""
        return self.trigger - np.asarray(self.loss_limit_level, float) * self.expected_yield

    def payment_factor(self, area_yields):
        """min(1, (T − y)₊ / (T − λμ)): the layer (0, 1, 1) on the loss degree."""
        degree = np.maximum(self.trigger - _nonneg_obs("area_yields", area_yields), 0.0) / \
            self.width
        return money_layer(1.0).pay_elementwise(degree)

    def pay(self, area_yields):
        """Indemnity (元): the layer (0, liability, 1) on :meth:`money_loss`."""
        return money_layer(self.liability).pay_elementwise(self.money_loss(area_yields))

    def money_loss(self, area_yields):
        """(T − y)₊ × liability / (T − λμ) (元), the loss the layer() pays on."""
        return np.maximum(self.trigger - _nonneg_obs("area_yields", area_yields), 0.0) * \
            self.liability / self.width

    def layer(self):
        return core_layer(self.liability)

    def loss_model(self, model):
        """Law of the money loss under a YieldModel of the area yield:
        (liability / (T − λμ)) · (T − Y⁺)₊."""
        return model.shortfall(self.trigger, np.asarray(self.liability, float) / self.width)

    def expected_payout(self, model):
        """Expected indemnity under a YieldModel of the area yield: LEV(liability) of the money
        loss, liability/(T − λμ) · [G(T) − G(λμ)]."""
        return price_layer(self.loss_model(model), self.liability)

    def pure_rate(self, model):
        """E[pay]/liability; for GRP (λ = 0) the expected payment factor E[(T − Y⁺)₊]/T."""
        return self.expected_payout(model) / self.liability
