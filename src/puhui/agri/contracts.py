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
projected / harvest price (预期价格 / 收获价格), λ = loss-limit level of an area plan (GRP:
payment factor (T − y)/(T − λμ), capped at 1). RevenueCover needs the joint law of yield and
price and is priced by burn analysis (``burn_rate``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..benefits import Layer
from ..errors import ParameterError
from ..losses import expected_payout as _expected_payout
from ..losses import lev as _lev


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
    """Area-yield cover (区域产量保险, GRP-like): pays liability × payment factor.

    trigger T = θ·μ_area; payment factor = min(1, (T − y)₊ / (T − λ·μ_area)), λ =
    ``loss_limit_level`` (0: the factor is (T − y)/T).

    Examples
    --------
    >>> c = AreaYieldCover(expected_yield=600.0, coverage_level=0.9, liability=800.0)
    >>> round(float(c.pay(432.0)), 6)     # (540 − 432)/540 × 800
    160.0
    """

    expected_yield: float
    coverage_level: float = 0.9
    liability: float = 1.0
    loss_limit_level: float = 0.0

    def __post_init__(self):
        _positive("expected_yield", self.expected_yield)
        _positive("coverage_level", self.coverage_level)
        _positive("liability", self.liability)
        lam = np.asarray(self.loss_limit_level, float)
        if np.any(lam < 0) or np.any(lam >= np.asarray(self.coverage_level, float)):
            raise ParameterError("loss_limit_level must be in [0, coverage_level)")

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
        return self.expected_payout(model) / self.liability
