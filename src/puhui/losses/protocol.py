"""The loss-model contract (损失模型协议): what an object must offer to be priced by the loss core.

A *loss model* is the law of a non-negative loss ``X`` in yuan (or any money unit; a crop
shortfall may also be in kg). The layer algebra of :mod:`puhui.losses.payout` needs nothing
else than these five methods, so any object that has them — a fitted parametric law, a sample,
an aggregate distribution, the law of a payout, a crop-yield shortfall — prices every
:class:`~puhui.benefits.Benefit`, :class:`~puhui.benefits.Layer` or grid of designs:

==============================  ==============================================================
method                          meaning and conventions
==============================  ==============================================================
``lev(u)``                      ``E[min(X, u)]`` (有限期望值), vectorised over ``u`` (array in,
                                array of the same shape out); ``u ≤ 0`` gives 0, ``u = inf``
                                gives ``E[X]`` (``inf`` if the mean does not exist). It is
                                non-decreasing, concave and ``0 ≤ lev(u) ≤ u``.
``lev_moment(u, k)``            ``E[min(X, u)^k]`` for ``k > 0``, vectorised over ``u``;
                                ``lev_moment(u, 1) == lev(u)``; ``u = inf`` gives ``E[X^k]``,
                                ``inf`` when that moment does not exist (never a finite
                                remainder of a divergent integral).
``cdf(x)``, ``sf(x)``           ``P(X ≤ x)`` and ``P(X > x)``, vectorised, ``cdf + sf = 1``;
                                right-continuous, so an atom at ``x`` belongs to ``cdf(x)``
                                (a franchise pays when ``X > d``: ``sf(d)``).
``mean()``                      ``E[X] = lev(inf)`` (a float; ``inf`` if it does not exist).
==============================  ==============================================================

Met by :class:`~puhui.losses.Empirical`, :class:`~puhui.losses.DiscreteAggregate`,
:class:`~puhui.losses.Coverage`, :class:`~puhui.losses.ZeroInflated`,
:class:`~puhui.losses.Mixture`, :class:`~puhui.losses.Spliced` and the crop-yield shortfall
:class:`puhui.agri.yield_model.YieldShortfall`. A frozen ``scipy.stats`` continuous law has
``cdf``, ``sf`` and ``mean`` but no ``lev``: :func:`as_loss_model` wraps it with the loss
core's closed forms (:func:`puhui.losses.lev.lev`).

**Plugging in a new loss model**: write a class with these five methods (derive ``lev`` from
``lev_moment(u, 1)`` or the other way round), check it with ``isinstance(m, LossModel)`` and
run it through the contract test ``tests/test_loss_model_contract.py`` (add it to the list of
models there). ``expected_payout``, ``payout_variance``, ``payout_probability`` and
:func:`~puhui.losses.coverage` then apply unchanged. Optional fast paths the payout code uses
when present: ``layer_mean(a, b)`` and ``layer_second_moment(a, b)``.
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

import numpy as np

from puhui.errors import ParameterError

from .lev import lev as _lev
from .lev import lev_moment as _lev_moment
from .lev_numeric import _check_frozen, _is_frozen_scipy

__all__ = ["LossModel", "ScipyLossModel", "as_loss_model", "LOSS_MODEL_METHODS"]

#: The methods of the contract, in the order they are documented.
LOSS_MODEL_METHODS = ("lev", "lev_moment", "cdf", "sf", "mean")


@runtime_checkable
class LossModel(Protocol):
    """Law of a non-negative loss X (see the module notes for units and conventions).

    ``isinstance(obj, LossModel)`` checks that the five methods exist (not what they return:
    that is the job of the contract test).

    Examples
    --------
    >>> from puhui.losses import Empirical
    >>> isinstance(Empirical([0.0, 100.0, 300.0]), LossModel)
    True
    >>> from scipy import stats
    >>> isinstance(stats.expon(scale=1000.0), LossModel)      # no lev: wrap it
    False
    >>> isinstance(as_loss_model(stats.expon(scale=1000.0)), LossModel)
    True
    """

    def lev(self, u):
        """E[min(X, u)], vectorised over u."""

    def lev_moment(self, u, k: float = 2):
        """E[min(X, u)^k], vectorised over u."""

    def cdf(self, x):
        """P(X ≤ x)."""

    def sf(self, x):
        """P(X > x)."""

    def mean(self):
        """E[X]."""


class ScipyLossModel:
    """A frozen ``scipy.stats`` continuous law of a non-negative loss, as a :class:`LossModel`.

    ``lev`` and ``lev_moment`` are :func:`puhui.losses.lev.lev` / ``lev_moment`` (closed forms
    of Klugman–Panjer–Willmot Appendix A, numerical otherwise); ``cdf``, ``sf`` and ``mean`` are
    scipy's. The law must put no mass below 0 (checked here).
    """

    def __init__(self, law):
        if not _is_frozen_scipy(law):
            raise ParameterError(f"law: {type(law).__name__} is not a frozen scipy.stats law")
        _check_frozen(law)
        self.law = law

    def __repr__(self) -> str:
        return f"ScipyLossModel({self.law.dist.name}, args={self.law.args}, kwds={self.law.kwds})"

    def lev(self, u):
        return _lev(self.law, u)

    def lev_moment(self, u, k: float = 2):
        return _lev_moment(self.law, u, k)

    def cdf(self, x):
        return self.law.cdf(np.asarray(x, dtype=float))

    def sf(self, x):
        return self.law.sf(np.asarray(x, dtype=float))

    def mean(self) -> float:
        m = _lev(self.law, np.inf)
        return float(m) if np.ndim(m) == 0 else m


def as_loss_model(obj) -> LossModel:
    """``obj`` as a :class:`LossModel`: a frozen scipy law is wrapped, a model returned as is.

    Parameters
    ----------
    obj : frozen scipy.stats continuous law, or object with lev, lev_moment, cdf, sf and mean

    Returns
    -------
    LossModel

    Raises
    ------
    ParameterError
        If ``obj`` is neither, naming the missing methods; or if a scipy law is discrete or
        puts mass below 0.

    Examples
    --------
    >>> from scipy import stats
    >>> m = as_loss_model(stats.expon(scale=1000.0))
    >>> round(float(m.lev(1000.0)), 6), m.mean()              # 1000 (1 − e^{−1})
    (632.120559, 1000.0)
    >>> as_loss_model(object())
    Traceback (most recent call last):
    ...
    puhui.errors.ParameterError: model: object is not a loss model: it lacks lev, lev_moment, cdf, sf, mean (see puhui.losses.LossModel; a frozen scipy.stats law is wrapped automatically)
    """
    if _is_frozen_scipy(obj):
        return ScipyLossModel(obj)
    missing = [name for name in LOSS_MODEL_METHODS if not callable(getattr(obj, name, None))]
    if missing:
        raise ParameterError(
            f"model: {type(obj).__name__} is not a loss model: it lacks {', '.join(missing)} "
            "(see puhui.losses.LossModel; a frozen scipy.stats law is wrapped automatically)"
        )
    return obj
